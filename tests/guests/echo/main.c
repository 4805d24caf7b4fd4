/* echo: reads lines from the console (COM1) and prints them back; "quit" ends it. */
#include "guest.h"

const char test_title[] = "echo: console input reaches the guest";

#define UART_RBR 0
#define UART_LSR 5
#define UART_LSR_DR 0x01

/* One byte from COM1, polling its line status every 200 us. */
static char console_getc(void)
{
	while (!(inb(KDOM_PORT_COM1 + UART_LSR) & UART_LSR_DR))
		udelay(200);
	return inb(KDOM_PORT_COM1 + UART_RBR);
}

void test_main(void)
{
	char line[128];
	size_t len = 0;
	unsigned int lines = 0;

	printf("echo: ready\n");
	for (;;) {
		char c = console_getc();

		if (c == '\r')
			continue;
		if (c != '\n' && len < sizeof(line) - 1) {
			line[len++] = c;
			continue;
		}
		line[len] = '\0';
		len = 0;
		if (!strcmp(line, "quit"))
			break;
		printf("echo: %s\n", line);
		lines++;
	}
	report(lines > 0, "%u line(s) echoed before quit", lines);
}

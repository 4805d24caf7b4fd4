/* pit: programs PIT channel 2, reads its count back and watches OUT2 on port 0x61. */
#include "guest.h"

const char test_title[] = "pit: channel 2 count and port 0x61 OUT2";

#define PIT_CH2 0x42
#define PIT_CMD 0x43
#define PORT_61 0x61
#define PORT_61_GATE2 0x01
#define PORT_61_SPEAKER 0x02
#define PORT_61_OUT2 0x20
#define PIT_CMD_CH2_LOHI_MODE0 0xb0 /* channel 2, lobyte/hibyte, mode 0, binary */
#define PIT_CMD_LATCH_CH2 0x80

static void ch2_start(uint16_t count)
{
	outb(PORT_61, (inb(PORT_61) & ~PORT_61_SPEAKER) | PORT_61_GATE2);
	outb(PIT_CMD, PIT_CMD_CH2_LOHI_MODE0);
	outb(PIT_CH2, count & 0xff);
	outb(PIT_CH2, count >> 8);
}

static uint16_t ch2_read(void)
{
	uint16_t lo, hi;

	outb(PIT_CMD, PIT_CMD_LATCH_CH2);
	lo = inb(PIT_CH2);
	hi = inb(PIT_CH2);
	return hi << 8 | lo;
}

/* expect=virtual: a working i8254 channel 2 behind ports 0x42/0x43/0x61. */
static void check_working_pit(void)
{
	uint16_t first, second;
	uint64_t deadline;

	ch2_start(0xffff); /* about 55 ms at 1.193 MHz */
	first = ch2_read();
	report(!(inb(PORT_61) & PORT_61_OUT2), "OUT2 low while channel 2 counts (mode 0)");
	udelay(2000);
	second = ch2_read();
	report(first != 0 && second < first, "channel 2 counts down (0x%x, then 0x%x)", first,
	       second);

	ch2_start(200); /* about 170 us */
	deadline = tsc_deadline_ms(50);
	while (!(inb(PORT_61) & PORT_61_OUT2) && !tsc_expired(deadline))
		udelay(100);
	report(inb(PORT_61) & PORT_61_OUT2, "OUT2 high once the count ran out");
}

/* expect=none (`pit = 0`): nothing answers at the PIT's ports. */
static void check_no_pit(void)
{
	ch2_start(0x1234);
	report(ch2_read() == 0xffff, "no counter behind port 0x42 (reads all ones)");
	report(inb(PORT_61) == 0xff, "nothing behind port 0x61 (reads all ones)");
}

void test_main(void)
{
	const char *expect = cmdline_get("expect");

	if (!expect) {
		test_error("no expect=virtual|none on the command line");
		return;
	}
	if (!strcmp(expect, "virtual"))
		check_working_pit();
	else if (!strcmp(expect, "none"))
		check_no_pit();
	else
		test_error("unknown expect=%s", expect);
}

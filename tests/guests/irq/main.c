/* irq: external interrupts reach the guest — PIT channel 0 through the IOAPIC to the local APIC. */
#include "guest.h"

const char test_title[] = "irq: PIT channel 0 interrupts through the IOAPIC";

#define PIT_CH0 0x40
#define PIT_CMD 0x43
#define PIT_HZ 1193182
#define TIMER_VECTOR 0x30
#define IOAPIC_PIN_PIT 2 /* the MP table's IRQ 0 override */

static volatile unsigned int ticks;

static void on_timer(unsigned int vector)
{
	ticks++;
}

/*
 * expect=ticks (default): at least 5 ticks of a 1 kHz rate generator in
 * 200 ms; expect=none: the PIT is absent (pit = 0), no tick must come.
 */
void test_main(void)
{
	const char *expect = cmdline_get("expect");
	bool want_ticks = !expect || !strcmp(expect, "ticks");
	uint16_t count = PIT_HZ / 1000;

	irq_set_handler(TIMER_VECTOR, on_timer);
	lapic_enable();
	ioapic_route(cmdline_get_u64("pin", IOAPIC_PIN_PIT), TIMER_VECTOR, false, false);
	outb(PIT_CMD, 0x34); /* channel 0, lobyte/hibyte, mode 2 */
	outb(PIT_CH0, count & 0xff);
	outb(PIT_CH0, count >> 8);
	bool got = irq_wait(&ticks, 5, 200);

	if (want_ticks)
		report(got, "%u timer interrupt(s) on vector 0x%x within 200 ms", ticks,
		       TIMER_VECTOR);
	else
		report(ticks == 0, "no timer interrupt without a PIT (%u seen)", ticks);
}

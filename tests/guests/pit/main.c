/* pit: programs PIT channel 2, reads its count back and watches OUT2 on port 0x61. */
#include "guest.h"

const char test_title[] = "pit: channel 2 count and port 0x61 OUT2";

#define PIT_CH2 0x42
#define PIT_CMD 0x43
#define PORT_61 0x61
#define PORT_61_GATE2 0x01
#define PORT_61_SPEAKER 0x02
#define PORT_61_OUT2 0x20
#define PIT_CH0 0x40
#define PIT_CMD_CH2_LOHI_MODE0 0xb0 /* channel 2, lobyte/hibyte, mode 0, binary */
#define PIT_CMD_LATCH_CH2 0x80
#define PIT_CMD_CH2_LOHI_MODE2 0xb4 /* channel 2, lobyte/hibyte, rate generator */
#define PIT_CMD_CH0_LOHI_MODE2 0x34 /* channel 0, lobyte/hibyte, rate generator */
#define PIT_CMD_CH1_LSB_MODE3 0x56  /* channel 1, lobyte only, square wave */
#define PIT_CMD_LATCH_CH0 0x00
#define PIT_CMD_READBACK_CH0_CH2 0xca /* read-back: count and status of channels 0 and 2 */

/*
 * trace=1: remember every access to ports 0x42, 0x43 and 0x61 and print
 * them at the end as "io: out 0x43 0xb0" / "io: in 0x42 0x34", the form the
 * simulated host PIT logs, so a test can compare what the guest did with
 * what the host saw.  Accesses to channels 0 and 1 are not listed (they must
 * never reach the host); a read-back naming channel 2 is.
 */
#define TRACE_MAX 256
static struct {
	bool out;
	uint8_t port, value;
} trace[TRACE_MAX];
static unsigned int nr_trace;
static bool tracing;

static void trace_add(bool out, uint16_t port, uint8_t value)
{
	if (tracing && nr_trace < TRACE_MAX &&
	    (port == PIT_CH2 || port == PORT_61 ||
	     (port == PIT_CMD && out && ((value >> 6) == 2 || ((value >> 6) == 3 && (value & 8))))))
		trace[nr_trace++] = (typeof(trace[0])){ out, port, value };
}

static void pit_out(uint16_t port, uint8_t value)
{
	outb(port, value);
	trace_add(true, port, value);
}

static uint8_t pit_in(uint16_t port)
{
	uint8_t value = inb(port);

	trace_add(false, port, value);
	return value;
}

static void ch2_start(uint16_t count)
{
	pit_out(PORT_61, (pit_in(PORT_61) & ~PORT_61_SPEAKER) | PORT_61_GATE2);
	pit_out(PIT_CMD, PIT_CMD_CH2_LOHI_MODE0);
	pit_out(PIT_CH2, count & 0xff);
	pit_out(PIT_CH2, count >> 8);
}

static uint16_t ch2_read(void)
{
	uint16_t lo, hi;

	pit_out(PIT_CMD, PIT_CMD_LATCH_CH2);
	lo = pit_in(PIT_CH2);
	hi = pit_in(PIT_CH2);
	return hi << 8 | lo;
}

/* expect=virtual: a working i8254 channel 2 behind ports 0x42/0x43/0x61. */
static void check_working_pit(void)
{
	uint16_t first, second;
	uint64_t deadline;

	ch2_start(0xffff); /* about 55 ms at 1.193 MHz */
	first = ch2_read();
	report(!(pit_in(PORT_61) & PORT_61_OUT2), "OUT2 low while channel 2 counts (mode 0)");
	udelay(2000);
	second = ch2_read();
	report(first != 0 && second < first, "channel 2 counts down (0x%x, then 0x%x)", first,
	       second);

	ch2_start(200); /* about 170 us */
	deadline = tsc_deadline_ms(50);
	while (!(pit_in(PORT_61) & PORT_61_OUT2) && !tsc_expired(deadline))
		udelay(100);
	report(pit_in(PORT_61) & PORT_61_OUT2, "OUT2 high once the count ran out");
}

/*
 * channels=1: also program channels 0 and 1 and read channel 0 back, through
 * a latch and a read-back that names channels 0 and 2 together.  With a host
 * PIT behind channel 2 none of this may reach the host except the read-back's
 * channel-2 part.
 */
static void exercise_channels_0_and_1(void)
{
	uint8_t status0, status2, lo, hi;

	outb(PIT_CMD, PIT_CMD_CH0_LOHI_MODE2);
	outb(PIT_CH0, 0x00);
	outb(PIT_CH0, 0x40); /* 0x4000: about 13.7 ms */
	outb(PIT_CMD, PIT_CMD_CH1_LSB_MODE3);
	outb(PIT_CH0 + 1, 0x12);
	outb(PIT_CMD, PIT_CMD_LATCH_CH0);
	lo = inb(PIT_CH0);
	hi = inb(PIT_CH0);
	report((hi << 8 | lo) <= 0x4000, "channel 0 counts within its 0x4000 (0x%x)", hi << 8 | lo);
	ch2_start(0x8000);
	pit_out(PIT_CMD, PIT_CMD_READBACK_CH0_CH2);
	status0 = inb(PIT_CH0);
	status2 = pit_in(PIT_CH2);
	report((status0 & 0x3f) == 0x34, "read-back status of channel 0: 0x%x (mode 2, lo/hi)",
	       status0);
	report((status2 & 0x3f) == 0x30, "read-back status of channel 2: 0x%x (mode 0, lo/hi)",
	       status2);
	/* The read-back latched channel 2's count too: two bytes to drain. */
	pit_in(PIT_CH2);
	pit_in(PIT_CH2);
}

/*
 * leave=1: end with channel 2 as a rate generator (mode 2, lobyte/hibyte,
 * count 0x4321) with its gate open and the speaker off, a state that a check
 * on the host can recognise in the host's own PIT after the domain ended.
 */
#define LEAVE_COUNT 0x4321
static void leave_channel_2(void)
{
	pit_out(PORT_61, (pit_in(PORT_61) & ~PORT_61_SPEAKER) | PORT_61_GATE2);
	pit_out(PIT_CMD, PIT_CMD_CH2_LOHI_MODE2);
	pit_out(PIT_CH2, LEAVE_COUNT & 0xff);
	pit_out(PIT_CH2, LEAVE_COUNT >> 8);
	report(ch2_read() <= LEAVE_COUNT, "channel 2 left counting in mode 2 from 0x%x",
	       LEAVE_COUNT);
}

/* expect=none (`pit = 0`): nothing answers at the PIT's ports. */
static void check_no_pit(void)
{
	ch2_start(0x1234);
	report(ch2_read() == 0xffff, "no counter behind port 0x42 (reads all ones)");
	report(pit_in(PORT_61) == 0xff, "nothing behind port 0x61 (reads all ones)");
}

void test_main(void)
{
	const char *expect = cmdline_get("expect");

	if (!expect) {
		test_error("no expect=virtual|none on the command line");
		return;
	}
	tracing = cmdline_has_word("trace", "1", ',');
	if (!strcmp(expect, "virtual")) {
		check_working_pit();
		if (cmdline_has_word("channels", "1", ','))
			exercise_channels_0_and_1();
		if (cmdline_has_word("leave", "1", ','))
			leave_channel_2();
	} else if (!strcmp(expect, "none"))
		check_no_pit();
	else
		test_error("unknown expect=%s", expect);
	for (unsigned int i = 0; i < nr_trace; i++)
		printf("io: %s 0x%02x 0x%02x\n", trace[i].out ? "out" : "in", trace[i].port,
		       trace[i].value);
}

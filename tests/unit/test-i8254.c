/* Unit tests of the i8254 counter model, the PIT's forwarding rules and the host-port back ends. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "devices/host-ports.h"
#include "devices/i8254.h"
#include "tests/unit/fake-vm.h"
#include "tests/unit/unit.h"
#include "vmm/vm.h"

/* ---- The counter model, with time passed in ticks ---------------------------------------- */

static void counter_write_lsb_msb(struct i8254_counter *c, uint16_t count, uint64_t now)
{
	i8254_counter_write(c, count & 0xff, now);
	i8254_counter_write(c, count >> 8, now);
}

static uint16_t counter_read_lsb_msb(struct i8254_counter *c, uint64_t now)
{
	uint8_t lsb = i8254_counter_read(c, now);

	return lsb | i8254_counter_read(c, now) << 8;
}

START_TEST(test_counter_mode0_one_shot)
{
	struct i8254_counter c;
	uint64_t ticks;

	i8254_counter_init(&c, true);
	i8254_counter_control(&c, 0x30, 50); /* LSB then MSB, mode 0 */
	ck_assert(!i8254_counter_out(&c, 50));
	ck_assert(!i8254_counter_next_rise(&c, 50, &ticks));

	counter_write_lsb_msb(&c, 16, 100);
	ck_assert_uint_eq(i8254_counter_value(&c, 100), 16);
	ck_assert_uint_eq(i8254_counter_value(&c, 105), 11);
	ck_assert(i8254_counter_next_rise(&c, 105, &ticks));
	ck_assert_uint_eq(ticks, 11);
	ck_assert(!i8254_counter_out(&c, 115));
	ck_assert(i8254_counter_out(&c, 116));
	/* After the terminal count the counter wraps and OUT stays high: no second edge. */
	ck_assert_uint_eq(i8254_counter_value(&c, 120), 0xfffc);
	ck_assert(i8254_counter_out(&c, 100000));
	ck_assert(!i8254_counter_next_rise(&c, 120, &ticks));

	/* The gate suspends counting in mode 0. */
	counter_write_lsb_msb(&c, 16, 200);
	i8254_counter_set_gate(&c, false, 205);
	ck_assert_uint_eq(i8254_counter_value(&c, 300), 11);
	ck_assert(!i8254_counter_out(&c, 300));
	ck_assert(!i8254_counter_next_rise(&c, 300, &ticks));
	i8254_counter_set_gate(&c, true, 300);
	ck_assert_uint_eq(i8254_counter_value(&c, 305), 6);
	ck_assert(!i8254_counter_out(&c, 310));
	ck_assert(i8254_counter_out(&c, 311));

	/* The first byte of a new count stops it and drops OUT; the second starts it. */
	i8254_counter_write(&c, 0x00, 400);
	ck_assert(!i8254_counter_out(&c, 400));
	ck_assert_uint_eq(i8254_counter_value(&c, 500), i8254_counter_value(&c, 400));
	i8254_counter_write(&c, 0x01, 500); /* 0x100 */
	ck_assert_uint_eq(i8254_counter_value(&c, 510), 0x100 - 10);
	ck_assert(i8254_counter_out(&c, 500 + 0x100));

	/* A count of 0 is 0x10000. */
	counter_write_lsb_msb(&c, 0, 1000);
	ck_assert_uint_eq(i8254_counter_value(&c, 1001), 0xffff);
	ck_assert(!i8254_counter_out(&c, 1000 + 0xffff));
	ck_assert(i8254_counter_out(&c, 1000 + 0x10000));
}
END_TEST

START_TEST(test_counter_mode2_rate_generator)
{
	struct i8254_counter c;
	uint64_t ticks;

	i8254_counter_init(&c, true);
	i8254_counter_control(&c, 0x34, 0); /* mode 2 */
	ck_assert(i8254_counter_out(&c, 0));
	counter_write_lsb_msb(&c, 10, 0);
	ck_assert_uint_eq(i8254_counter_value(&c, 0), 10);
	ck_assert_uint_eq(i8254_counter_value(&c, 3), 7);
	ck_assert(i8254_counter_out(&c, 8));
	ck_assert(!i8254_counter_out(&c, 9)); /* low for the tick at count 1 */
	ck_assert_uint_eq(i8254_counter_value(&c, 9), 1);
	ck_assert(i8254_counter_out(&c, 10));
	ck_assert_uint_eq(i8254_counter_value(&c, 10), 10);
	ck_assert(i8254_counter_next_rise(&c, 3, &ticks));
	ck_assert_uint_eq(ticks, 7);
	ck_assert(i8254_counter_next_rise(&c, 10, &ticks));
	ck_assert_uint_eq(ticks, 10);

	/* A new count waits for the end of the current period. */
	counter_write_lsb_msb(&c, 4, 12);
	ck_assert(i8254_counter_status(&c, 12) & I8254_STATUS_NULL_COUNT);
	ck_assert_uint_eq(i8254_counter_value(&c, 15), 5);
	ck_assert(i8254_counter_next_rise(&c, 15, &ticks));
	ck_assert_uint_eq(ticks, 5);
	ck_assert_uint_eq(i8254_counter_value(&c, 20), 4);
	ck_assert(!(i8254_counter_status(&c, 20) & I8254_STATUS_NULL_COUNT));
	ck_assert(!i8254_counter_out(&c, 23));
	ck_assert(i8254_counter_next_rise(&c, 21, &ticks));
	ck_assert_uint_eq(ticks, 3);
	ck_assert_uint_eq(i8254_counter_value(&c, 20 + 4 * 100 + 1), 3);

	/* Gate low stops it with OUT high; the rising edge restarts a full period. */
	i8254_counter_set_gate(&c, false, 1000);
	ck_assert(i8254_counter_out(&c, 1003));
	ck_assert(!i8254_counter_next_rise(&c, 1003, &ticks));
	i8254_counter_set_gate(&c, true, 2000);
	ck_assert_uint_eq(i8254_counter_value(&c, 2000), 4);
	ck_assert(!i8254_counter_out(&c, 2003));
}
END_TEST

START_TEST(test_counter_mode3_square_wave)
{
	struct i8254_counter c;
	uint64_t ticks;

	i8254_counter_init(&c, true);
	i8254_counter_control(&c, 0x36, 0); /* mode 3 */
	counter_write_lsb_msb(&c, 10, 0);
	for (uint64_t t = 0; t < 5; t++)
		ck_assert_msg(i8254_counter_out(&c, t), "OUT high at %llu", (unsigned long long)t);
	for (uint64_t t = 5; t < 10; t++)
		ck_assert_msg(!i8254_counter_out(&c, t), "OUT low at %llu", (unsigned long long)t);
	ck_assert(i8254_counter_out(&c, 10));
	ck_assert_uint_eq(i8254_counter_value(&c, 2), 6); /* down by two */
	ck_assert_uint_eq(i8254_counter_value(&c, 5), 10);
	ck_assert_uint_eq(i8254_counter_value(&c, 7), 6);
	ck_assert(i8254_counter_next_rise(&c, 3, &ticks));
	ck_assert_uint_eq(ticks, 7);

	/* Odd counts are high one tick longer than low. */
	i8254_counter_control(&c, 0x36, 100);
	counter_write_lsb_msb(&c, 5, 100);
	ck_assert(i8254_counter_out(&c, 102));
	ck_assert(!i8254_counter_out(&c, 103));
	ck_assert(!i8254_counter_out(&c, 104));
	ck_assert(i8254_counter_out(&c, 105));

	/* Mode 7 is mode 3. */
	i8254_counter_control(&c, 0x3e, 200);
	ck_assert_uint_eq((i8254_counter_status(&c, 200) >> 1) & 7, 3);
}
END_TEST

START_TEST(test_counter_latch_and_read_order)
{
	struct i8254_counter c;

	i8254_counter_init(&c, true);
	i8254_counter_control(&c, 0x34, 0);
	counter_write_lsb_msb(&c, 0x1234, 0);

	/* A latched count survives time passing and a second latch command. */
	i8254_counter_latch_count(&c, 0x10);
	ck_assert_uint_eq(i8254_counter_read(&c, 0x100), 0x24);
	i8254_counter_latch_count(&c, 0x200);
	ck_assert_uint_eq(i8254_counter_read(&c, 0x300), 0x12);
	/* Once both bytes are read, reads are live again, LSB first. */
	ck_assert_uint_eq(counter_read_lsb_msb(&c, 0x334), 0x0f00);
	i8254_counter_latch_count(&c, 0x400);
	ck_assert_uint_eq(counter_read_lsb_msb(&c, 0x900), 0x1234 - 0x400);

	/* LSB-only and MSB-only access. */
	i8254_counter_control(&c, 0x14, 0x1000); /* LSB only, mode 2 */
	i8254_counter_write(&c, 0x80, 0x1000);
	ck_assert_uint_eq(i8254_counter_value(&c, 0x1000), 0x80);
	ck_assert_uint_eq(i8254_counter_read(&c, 0x1010), 0x70);
	ck_assert_uint_eq(i8254_counter_read(&c, 0x1010), 0x70);
	i8254_counter_control(&c, 0x20, 0x2000); /* MSB only, mode 0 */
	i8254_counter_write(&c, 0x12, 0x2000);
	ck_assert_uint_eq(i8254_counter_value(&c, 0x2000), 0x1200);
	i8254_counter_latch_count(&c, 0x2100);
	ck_assert_uint_eq(i8254_counter_read(&c, 0x3000), 0x11);
	ck_assert_uint_eq(i8254_counter_read(&c, 0x3000), 0x12 - 0x10);
}
END_TEST

START_TEST(test_counter_read_back_status)
{
	struct i8254_counter ch[3];
	struct i8254_counter *all[3] = { &ch[0], &ch[1], &ch[2] };

	for (int i = 0; i < 3; i++)
		i8254_counter_init(&ch[i], true);
	i8254_command(all, 0xb0, 0); /* channel 2, LSB then MSB, mode 0 */
	i8254_command(all, 0xe8, 0); /* read-back status of channel 2 */
	ck_assert_uint_eq(i8254_counter_read(&ch[2], 0), 0x70); /* OUT low, null count */

	counter_write_lsb_msb(&ch[2], 0x0010, 0);
	/* Status and count of channel 2: the status is read first. */
	i8254_command(all, 0xc8, 4);
	ck_assert_uint_eq(i8254_counter_read(&ch[2], 50), 0x30);
	ck_assert_uint_eq(counter_read_lsb_msb(&ch[2], 50), 0x000c);
	i8254_command(all, 0xe8, 16);
	ck_assert_uint_eq(i8254_counter_read(&ch[2], 16), 0xb0); /* OUT high */

	/* A counter latch command for channel 0 leaves channel 2 alone. */
	i8254_command(all, 0x00, 20);
	ck_assert(ch[0].count_latched);
	ck_assert(!ch[2].count_latched);

	/* One read-back for channels 0 and 1 latches both, and not channel 2. */
	i8254_command(all, 0x34, 20);
	i8254_command(all, 0x74, 20);
	i8254_command(all, 0xc6, 30);
	ck_assert(ch[0].status_latched && ch[1].status_latched);
	ck_assert(!ch[2].status_latched && !ch[2].count_latched);
	ck_assert_uint_eq(i8254_counter_read(&ch[1], 30) & 0x3f, 0x34);
	ck_assert_uint_eq(i8254_counter_read(&ch[0], 30) & 0x3f, 0x34);
	ck_assert(ch[0].count_latched && ch[1].count_latched); /* the count comes after */

	/* A NULL counter is someone else's: commands for it do nothing here. */
	all[2] = NULL;
	i8254_command(all, 0xb6, 40);
	ck_assert_uint_eq(ch[2].mode, 0);
}
END_TEST

/* ---- The PIT device on a fake VM ------------------------------------------------------------ */

/* Two reads of a counter port, LSB first. */
static uint16_t port_read_lsb_msb(struct vm *vm, uint16_t port)
{
	uint8_t lsb = fake_vm_port_read(vm, port);

	return lsb | fake_vm_port_read(vm, port) << 8;
}

#define RECORD_MAX 64

/* A host back end that records what reaches it and answers reads from a script. */
struct recording_host {
	struct host_ports base;
	char lines[RECORD_MAX][24];
	unsigned int nlines;
	uint8_t read_value;
	int fail; /* errno for the next access, then 0 */
};

static void recording_host_log(struct recording_host *rh, const char *dir, uint16_t port,
			       uint8_t value)
{
	ck_assert_uint_lt(rh->nlines, RECORD_MAX);
	snprintf(rh->lines[rh->nlines++], sizeof(rh->lines[0]), "%s 0x%02x 0x%02x", dir, port,
		 value);
}

static int recording_host_inb(struct host_ports *hp, uint16_t port, uint8_t *value)
{
	struct recording_host *rh = (struct recording_host *)hp;

	if (rh->fail) {
		int err = rh->fail;

		rh->fail = 0;
		return -err;
	}
	*value = rh->read_value;
	recording_host_log(rh, "in", port, *value);
	return 0;
}

static int recording_host_outb(struct host_ports *hp, uint16_t port, uint8_t value)
{
	struct recording_host *rh = (struct recording_host *)hp;

	recording_host_log(rh, "out", port, value);
	return 0;
}

static void recording_host_close(struct host_ports *hp)
{
}

static const struct host_ports_ops recording_host_ops = {
	.inb = recording_host_inb,
	.outb = recording_host_outb,
	.close = recording_host_close,
};

static void recording_host_init(struct recording_host *rh)
{
	memset(rh, 0, sizeof(*rh));
	rh->base.ops = &recording_host_ops;
	rh->base.name = "recording";
}

static void assert_recorded(struct recording_host *rh, const char *const *expected, unsigned int n)
{
	ck_assert_uint_eq(rh->nlines, n);
	for (unsigned int i = 0; i < n; i++)
		ck_assert_str_eq(rh->lines[i], expected[i]);
}

START_TEST(test_pit_forwards_only_channel_2_and_port_61)
{
	/*
	 * In order: channel 2's control word, count, latch and read; the channel-2
	 * part of two read-backs (the reserved bit 0 dropped); a port 0x61 write
	 * merged into the host's value, then a port 0x61 read.
	 */
	static const char *const expected[] = {
		"out 0x43 0xb0", "out 0x42 0x34", "out 0x42 0x12", "out 0x43 0x80", "in 0x42 0x5a",
		"out 0x43 0xd8", "out 0x43 0xe8", "in 0x61 0x5a",  "out 0x61 0x09", "in 0x61 0x5a",
	};
	struct vm vm;
	struct domain domain;
	struct recording_host rh;
	struct i8254 pit;
	uint8_t wide[2] = { 0x12, 0x34 };

	fake_vm_init(&vm, &domain);
	recording_host_init(&rh);
	rh.read_value = 0x5a;
	ck_assert_int_eq(i8254_create(&pit, &vm, &rh.base), 0);

	/* Channels 0 and 1, their latches and their read-backs stay virtual. */
	fake_vm_port_write(&vm, 0x43, 0x34);
	fake_vm_port_write(&vm, 0x40, 0x00);
	fake_vm_port_write(&vm, 0x40, 0x80); /* 0x8000: about 27 ms */
	fake_vm_port_write(&vm, 0x43, 0x74);
	fake_vm_port_write(&vm, 0x41, 0x10);
	fake_vm_port_write(&vm, 0x41, 0x00);
	fake_vm_port_write(&vm, 0x43, 0x00); /* latch channel 0 */
	ck_assert(pit.counters[0].count_latched);
	ck_assert_uint_le(port_read_lsb_msb(&vm, 0x40), 0x8000);
	fake_vm_port_write(&vm, 0x43, 0xe6); /* read-back of channels 0 and 1: status only */
	ck_assert(pit.counters[0].status_latched && pit.counters[1].status_latched);
	ck_assert_uint_eq(fake_vm_port_read(&vm, 0x40) & 0x3f, 0x34);
	ck_assert_uint_eq(fake_vm_port_read(&vm, 0x41) & 0x3f, 0x34);
	ck_assert_uint_eq(fake_vm_port_read(&vm, 0x43), 0xff); /* not forwarded either */
	ck_assert_uint_eq(rh.nlines, 0);

	/* Channel 2 goes to the host, in order. */
	fake_vm_port_write(&vm, 0x43, 0xb0);
	fake_vm_port_write(&vm, 0x42, 0x34);
	fake_vm_port_write(&vm, 0x42, 0x12);
	fake_vm_port_write(&vm, 0x43, 0x80);
	ck_assert_uint_eq(fake_vm_port_read(&vm, 0x42), 0x5a);
	/* Read-back of all three: the host sees channel 2 only, channel 0 is latched here. */
	ck_assert(!pit.counters[0].count_latched);
	fake_vm_port_write(&vm, 0x43, 0xde);
	ck_assert(pit.counters[0].count_latched && pit.counters[1].count_latched);
	fake_vm_port_write(&vm, 0x43, 0xe9);
	fake_vm_port_write(&vm, 0x61, 0xff & ~0x02); /* gate on, speaker off, NMI bits asked for */
	ck_assert_uint_eq(fake_vm_port_read(&vm, 0x61), 0x5a);

	/* Wider accesses reach nobody. */
	bus_dispatch(&vm.pio, 0x42, wide, 2, true, NULL);
	bus_dispatch(&vm.pio, 0x42, wide, 2, false, NULL);
	ck_assert_uint_eq(wide[0], 0xff);
	ck_assert_uint_eq(wide[1], 0xff);
	assert_recorded(&rh, expected, sizeof(expected) / sizeof(expected[0]));

	/* A host error reads as 0xff. */
	rh.fail = EIO;
	ck_assert_uint_eq(fake_vm_port_read(&vm, 0x42), 0xff);
	ck_assert(pit.host_error_logged);

	i8254_destroy(&pit);
	fake_vm_destroy(&vm);
}
END_TEST

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

START_TEST(test_pit_virtual_channel_2)
{
	struct vm vm;
	struct domain domain;
	struct i8254 pit;
	uint16_t first, second;

	fake_vm_init(&vm, &domain);
	ck_assert_int_eq(i8254_create(&pit, &vm, NULL), 0);

	/* What the pit test guest does: gate on, mode 0, count down, OUT2 at port 0x61 bit 5. */
	fake_vm_port_write(&vm, 0x61, (fake_vm_port_read(&vm, 0x61) & ~0x02) | 0x01);
	ck_assert_uint_eq(fake_vm_port_read(&vm, 0x61) & 0x0f, 0x01);
	fake_vm_port_write(&vm, 0x43, 0xb0);
	fake_vm_port_write(&vm, 0x42, 0xff);
	fake_vm_port_write(&vm, 0x42, 0xff);
	fake_vm_port_write(&vm, 0x43, 0x80);
	first = port_read_lsb_msb(&vm, 0x42);
	ck_assert(!(fake_vm_port_read(&vm, 0x61) & 0x20));
	sleep_ms(2);
	fake_vm_port_write(&vm, 0x43, 0x80);
	second = port_read_lsb_msb(&vm, 0x42);
	ck_assert_uint_ne(first, 0);
	ck_assert_uint_lt(second, first);

	fake_vm_port_write(&vm, 0x43, 0xb0);
	fake_vm_port_write(&vm, 0x42, 200);
	fake_vm_port_write(&vm, 0x42, 0);
	sleep_ms(2);
	ck_assert(fake_vm_port_read(&vm, 0x61) & 0x20);

	/* Gate off: a new mode 0 count does not run. */
	fake_vm_port_write(&vm, 0x61, 0x00);
	fake_vm_port_write(&vm, 0x43, 0xb0);
	fake_vm_port_write(&vm, 0x42, 200);
	fake_vm_port_write(&vm, 0x42, 0);
	sleep_ms(2);
	ck_assert(!(fake_vm_port_read(&vm, 0x61) & 0x20));

	i8254_destroy(&pit);
	fake_vm_destroy(&vm);
}
END_TEST

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ull + ts.tv_nsec / 1000000;
}

static uint64_t pit_pulses(struct i8254 *pit)
{
	uint64_t pulses;

	pthread_mutex_lock(&pit->lock);
	pulses = pit->irq_pulses;
	pthread_mutex_unlock(&pit->lock);
	return pulses;
}

START_TEST(test_pit_channel_0_pulses_irq_0)
{
	struct vm vm;
	struct domain domain;
	struct i8254 pit;
	uint64_t pulses, start;

	fake_vm_init(&vm, &domain);
	ck_assert_int_eq(i8254_create(&pit, &vm, NULL), 0);
	sleep_ms(5);
	ck_assert_uint_eq(pit_pulses(&pit), 0); /* nothing programmed, no interrupt */

	/* Mode 2 at 1193 ticks: 1 kHz. */
	fake_vm_port_write(&vm, 0x43, 0x34);
	fake_vm_port_write(&vm, 0x40, 1193 & 0xff);
	fake_vm_port_write(&vm, 0x40, 1193 >> 8);
	start = now_ms();
	sleep_ms(50);
	pulses = pit_pulses(&pit);
	ck_assert_uint_ge(pulses, 10);
	ck_assert_uint_le(pulses, now_ms() - start + 1);

	/* Mode 0: exactly one pulse. */
	fake_vm_port_write(&vm, 0x43, 0x30);
	pulses = pit_pulses(&pit);
	fake_vm_port_write(&vm, 0x40, 1193 & 0xff);
	fake_vm_port_write(&vm, 0x40, 1193 >> 8);
	for (int i = 0; i < 200 && pit_pulses(&pit) == pulses; i++)
		sleep_ms(5);
	sleep_ms(20);
	ck_assert_uint_eq(pit_pulses(&pit), pulses + 1);

	/* A count of 2 in mode 2 is held to KVM's 200 us minimum period. */
	fake_vm_port_write(&vm, 0x43, 0x34);
	pulses = pit_pulses(&pit);
	start = now_ms();
	fake_vm_port_write(&vm, 0x40, 2);
	fake_vm_port_write(&vm, 0x40, 0);
	sleep_ms(20);
	ck_assert_uint_gt(pit_pulses(&pit) - pulses, 0);
	ck_assert_uint_le(pit_pulses(&pit) - pulses, (now_ms() - start) * 1000 / 200 + 1);

	i8254_destroy(&pit);
	fake_vm_destroy(&vm);
}
END_TEST

/* ---- Host-port back ends ----------------------------------------------------------------- */

static char *read_whole_file(const char *path)
{
	static char buf[4096];
	int fd = open(path, O_RDONLY);
	ssize_t n;

	ck_assert_int_ge(fd, 0);
	n = read(fd, buf, sizeof(buf) - 1);
	ck_assert_int_ge(n, 0);
	buf[n] = '\0';
	close(fd);
	return buf;
}

static void temp_log_path(char *path, size_t len)
{
	char dir[] = "/tmp/kdom-pit-XXXXXX";

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, len, "%s/host-pit.log", dir);
}

static void remove_temp_log(const char *path)
{
	char dir[256];

	unlink(path);
	snprintf(dir, sizeof(dir), "%s", path);
	*strrchr(dir, '/') = '\0';
	rmdir(dir);
}

START_TEST(test_simulated_host_pit_logs_each_access)
{
	struct host_ports *hp;
	char path[256], spec[300], err[256] = "", expected[512];
	uint8_t lsb, msb, port_61, value;

	temp_log_path(path, sizeof(path));
	snprintf(spec, sizeof(spec), "simulated:%s", path);
	ck_assert_int_eq(host_ports_open(&hp, spec, err, sizeof(err)), 0);
	ck_assert_str_eq(hp->name, "simulated");

	ck_assert_int_eq(host_ports_outb(hp, 0x61, 0x01), 0);
	ck_assert_int_eq(host_ports_outb(hp, 0x43, 0xb0), 0);
	ck_assert_int_eq(host_ports_outb(hp, 0x42, 0x34), 0);
	ck_assert_int_eq(host_ports_outb(hp, 0x42, 0x12), 0);
	ck_assert_int_eq(host_ports_outb(hp, 0x43, 0x80), 0);
	ck_assert_int_eq(host_ports_inb(hp, 0x42, &lsb), 0);
	ck_assert_int_eq(host_ports_inb(hp, 0x42, &msb), 0);
	ck_assert_int_eq(host_ports_inb(hp, 0x61, &port_61), 0);
	ck_assert_uint_le(msb << 8 | lsb, 0x1234); /* counting down from the count written */
	ck_assert_uint_eq(port_61 & 0x2f, 0x01);   /* gate on, OUT2 low */

	/* Any other port is refused and leaves no line. */
	ck_assert_int_eq(host_ports_inb(hp, 0x40, &value), -EPERM);
	ck_assert_int_eq(host_ports_outb(hp, 0x40, 0x00), -EPERM);
	ck_assert_int_eq(host_ports_outb(hp, 0x41, 0x00), -EPERM);
	ck_assert_int_eq(host_ports_outb(hp, 0x80, 0x00), -EPERM);
	ck_assert_int_eq(host_ports_inb(hp, 0x60, &value), -EPERM);

	snprintf(expected, sizeof(expected),
		 "out 0x61 0x01\nout 0x43 0xb0\nout 0x42 0x34\nout 0x42 0x12\nout 0x43 0x80\n"
		 "in 0x42 0x%02x\nin 0x42 0x%02x\nin 0x61 0x%02x\n",
		 lsb, msb, port_61);
	ck_assert_str_eq(read_whole_file(path), expected);

	/* The simulated OUT2 goes high when a short count runs out. */
	ck_assert_int_eq(host_ports_outb(hp, 0x43, 0xb0), 0);
	ck_assert_int_eq(host_ports_outb(hp, 0x42, 200), 0);
	ck_assert_int_eq(host_ports_outb(hp, 0x42, 0), 0);
	sleep_ms(2);
	ck_assert_int_eq(host_ports_inb(hp, 0x61, &port_61), 0);
	ck_assert_uint_eq(port_61 & 0x2f, 0x21);
	host_ports_close(hp);

	/* A second back end on the same log appends to it. */
	ck_assert_int_eq(host_ports_open(&hp, spec, err, sizeof(err)), 0);
	ck_assert_int_eq(host_ports_outb(hp, 0x61, 0x00), 0);
	host_ports_close(hp);
	snprintf(expected, sizeof(expected), "\nin 0x61 0x%02x\nout 0x61 0x00\n", port_61);
	ck_assert_ptr_nonnull(strstr(read_whole_file(path), expected));
	remove_temp_log(path);
}
END_TEST

START_TEST(test_pit_on_simulated_host_forwards_channel_2_only)
{
	struct vm vm;
	struct domain domain;
	struct host_ports *hp;
	struct i8254 pit;
	char path[256], spec[300], err[256] = "";
	const char *log;

	temp_log_path(path, sizeof(path));
	snprintf(spec, sizeof(spec), "simulated:%s", path);
	ck_assert_int_eq(host_ports_open(&hp, spec, err, sizeof(err)), 0);
	fake_vm_init(&vm, &domain);
	ck_assert_int_eq(i8254_create(&pit, &vm, hp), 0);

	fake_vm_port_write(&vm, 0x43, 0x34);
	fake_vm_port_write(&vm, 0x40, 0x00);
	fake_vm_port_write(&vm, 0x40, 0x10);
	fake_vm_port_write(&vm, 0x43, 0x00);
	fake_vm_port_read(&vm, 0x40);
	fake_vm_port_read(&vm, 0x40);
	fake_vm_port_write(&vm, 0x43, 0xb0);
	fake_vm_port_write(&vm, 0x42, 0x00);
	fake_vm_port_write(&vm, 0x42, 0x10);
	fake_vm_port_write(&vm, 0x43, 0xca); /* read-back of channels 0 and 2 */

	i8254_destroy(&pit);
	host_ports_close(hp);
	fake_vm_destroy(&vm);
	log = read_whole_file(path);
	ck_assert_str_eq(log, "out 0x43 0xb0\nout 0x42 0x00\nout 0x42 0x10\nout 0x43 0xc8\n");
	ck_assert(pit.counters[0].status_latched && pit.counters[0].count_latched);
	remove_temp_log(path);
}
END_TEST

START_TEST(test_real_host_ports_succeed_or_say_why)
{
	const char *specs[] = { NULL, "real" };

	for (unsigned int i = 0; i < 2; i++) {
		struct host_ports *hp = (struct host_ports *)1;
		char err[256] = "";
		uint8_t value;
		int ret = host_ports_open(&hp, specs[i], err, sizeof(err));

		if (ret == 0) {
			/* A privileged run on a host with ports: still only the three. */
			ck_assert_ptr_nonnull(hp);
			ck_assert_int_eq(host_ports_inb(hp, 0x40, &value), -EPERM);
			ck_assert_int_eq(host_ports_outb(hp, 0x21, 0xff), -EPERM);
			host_ports_close(hp);
			continue;
		}
		ck_assert_int_lt(ret, 0);
		ck_assert_ptr_null(hp);
		ck_assert_msg(strstr(err, "ioperm: ") && strstr(err, "/dev/port: "),
			      "message names both tries: \"%s\"", err);
		ck_assert(ret == -ENODEV || ret == -EPERM);
	}
}
END_TEST

START_TEST(test_bad_host_port_specs_refused)
{
	const char *bad[] = { "bogus", "simulated", "simulated:", "Real", "" };
	struct host_ports *hp;
	char err[256];

	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		hp = (struct host_ports *)1;
		ck_assert_int_eq(host_ports_open(&hp, bad[i], err, sizeof(err)), -EINVAL);
		ck_assert_ptr_null(hp);
		ck_assert_msg(err[0], "no message for '%s'", bad[i]);
	}
	host_ports_open(&hp, "bogus", err, sizeof(err));
	ck_assert_str_eq(err, "unknown host port back end 'bogus' (use real or simulated:PATH)");
	ck_assert_int_eq(host_ports_open(&hp, "simulated:/nonexistent-dir/log", err, sizeof(err)),
			 -ENOENT);
	ck_assert_ptr_nonnull(strstr(err, "simulated"));
}
END_TEST

Suite *i8254_suite(void)
{
	Suite *suite = suite_create("i8254");
	TCase *model = tcase_create("counter model");
	TCase *device = tcase_create("device");
	TCase *host = tcase_create("host ports");

	tcase_add_test(model, test_counter_mode0_one_shot);
	tcase_add_test(model, test_counter_mode2_rate_generator);
	tcase_add_test(model, test_counter_mode3_square_wave);
	tcase_add_test(model, test_counter_latch_and_read_order);
	tcase_add_test(model, test_counter_read_back_status);
	suite_add_tcase(suite, model);

	tcase_add_test(device, test_pit_forwards_only_channel_2_and_port_61);
	tcase_add_test(device, test_pit_virtual_channel_2);
	tcase_add_test(device, test_pit_channel_0_pulses_irq_0);
	tcase_add_test(device, test_pit_on_simulated_host_forwards_channel_2_only);
	suite_add_tcase(suite, device);

	tcase_add_test(host, test_simulated_host_pit_logs_each_access);
	tcase_add_test(host, test_real_host_ports_succeed_or_say_why);
	tcase_add_test(host, test_bad_host_port_specs_refused);
	suite_add_tcase(suite, host);
	return suite;
}

/* The i8254 counter model: modes 0-5, latches and read-back, as functions of time in PIT ticks. */
#include <time.h>

#include "devices/i8254-counter.h"

#define NS_PER_SEC 1000000000ull
#define I8254_REFRESH_TICKS 18 /* port 0x61 bit 4 toggles every ~15 us, like DRAM refresh */

/* Modes 1 and 5 count whatever the gate does: the gate only triggers them. */
static bool counter_gate_triggers(const struct i8254_counter *c)
{
	return c->mode == 1 || c->mode == 5;
}

static uint64_t counter_elapsed(const struct i8254_counter *c, uint64_t now)
{
	uint64_t elapsed = c->elapsed_base;

	if (c->running && now > c->run_since)
		elapsed += now - c->run_since;
	return elapsed;
}

static void counter_start(struct i8254_counter *c, uint32_t count, uint64_t now)
{
	c->count = count;
	c->state = I8254_COUNTER_COUNTING;
	c->elapsed_base = 0;
	c->run_since = now;
	c->running = counter_gate_triggers(c) || c->gate;
	c->null_count = false;
	c->reload_pending = false;
}

/* Load a count written in modes 2 and 3 once the period it was written in has ended. */
static void counter_settle(struct i8254_counter *c, uint64_t now)
{
	uint64_t elapsed;

	if (!c->reload_pending)
		return;
	elapsed = counter_elapsed(c, now);
	if (elapsed < c->reload_at)
		return;
	c->count = c->reload;
	c->elapsed_base = elapsed - c->reload_at;
	c->run_since = now;
	c->reload_pending = false;
	c->null_count = false;
}

static uint16_t counter_value(const struct i8254_counter *c, uint64_t now)
{
	uint64_t elapsed, phase, high;
	uint32_t n = c->count;

	if (c->state != I8254_COUNTER_COUNTING)
		return c->frozen;
	elapsed = counter_elapsed(c, now);
	switch (c->mode) {
	case 2:
		return (uint16_t)(n - elapsed % n);
	case 3:
		/* Counts down by two through each half; odd counts spend one more tick high. */
		phase = elapsed % n;
		high = (n + 1) / 2;
		if (phase < high)
			return (uint16_t)(n - 2 * phase);
		return (uint16_t)((n & ~1u) - 2 * (phase - high));
	default:
		/* Modes 0, 1, 4 and 5 wrap around after the terminal count and go on. */
		return (uint16_t)(n - elapsed);
	}
}

static bool counter_out(const struct i8254_counter *c, uint64_t now)
{
	bool counting = c->state == I8254_COUNTER_COUNTING;
	uint64_t elapsed = counter_elapsed(c, now);
	uint32_t n = c->count;

	switch (c->mode) {
	case 0: /* low from the control word until the terminal count */
		return counting && elapsed >= n;
	case 1: /* low from the trigger until the terminal count */
		return !counting || elapsed >= n;
	case 2: /* low for the last tick of each period; high while the gate stops it */
		if (!counting || !c->running)
			return true;
		return elapsed % n != n - 1;
	case 3: /* high for the first half of each period */
		if (!counting || !c->running)
			return true;
		return elapsed % n < (n + 1) / 2;
	default: /* 4 and 5: low for the one tick of the terminal count */
		return !counting || elapsed != n;
	}
}

void i8254_counter_init(struct i8254_counter *c, bool gate)
{
	*c = (struct i8254_counter){
		.mode = 0,
		.access = I8254_ACCESS_LSB_MSB,
		.state = I8254_COUNTER_IDLE,
		.gate = gate,
		.count = 0x10000,
		.reload = 0x10000,
	};
}

void i8254_counter_control(struct i8254_counter *c, uint8_t control, uint64_t now)
{
	uint8_t mode = (control >> I8254_CTRL_MODE_SHIFT) & 7;

	counter_settle(c, now);
	c->frozen = counter_value(c, now);
	c->mode = mode > 5 ? mode - 4 : mode; /* 6 and 7 are 2 and 3 */
	c->access = (control >> I8254_CTRL_RW_SHIFT) & 3;
	c->state = I8254_COUNTER_IDLE;
	c->running = false;
	c->elapsed_base = 0;
	c->reload_pending = false;
	c->null_count = true;
	c->write_msb_next = false;
	c->read_msb_next = false;
	c->count_latched = false;
	c->status_latched = false;
}

void i8254_counter_latch_count(struct i8254_counter *c, uint64_t now)
{
	counter_settle(c, now);
	if (c->count_latched)
		return;
	c->latched_count = counter_value(c, now);
	c->latched_msb_next = false;
	c->count_latched = true;
}

void i8254_counter_latch_status(struct i8254_counter *c, uint64_t now)
{
	counter_settle(c, now);
	if (c->status_latched)
		return;
	c->latched_status = i8254_counter_status(c, now);
	c->status_latched = true;
}

static void counter_load(struct i8254_counter *c, uint16_t written, uint64_t now)
{
	uint32_t count = written ? written : 0x10000;
	uint64_t elapsed;

	c->reload = count;
	switch (c->mode) {
	case 1:
	case 5:
		/* Used at the next gate trigger; a running cycle finishes with its count. */
		if (c->state == I8254_COUNTER_IDLE)
			c->state = I8254_COUNTER_ARMED;
		c->null_count = true;
		break;
	case 2:
	case 3:
		/* A new count does not cut the current period short. */
		if (c->state == I8254_COUNTER_COUNTING && c->running) {
			elapsed = counter_elapsed(c, now);
			c->reload_at = (elapsed / c->count + 1) * c->count;
			c->reload_pending = true;
			c->null_count = true;
			break;
		}
		counter_start(c, count, now);
		break;
	default: /* 0 and 4 restart with the new count */
		counter_start(c, count, now);
		break;
	}
}

void i8254_counter_write(struct i8254_counter *c, uint8_t value, uint64_t now)
{
	counter_settle(c, now);
	switch (c->access) {
	case I8254_ACCESS_LSB:
		counter_load(c, value, now);
		break;
	case I8254_ACCESS_MSB:
		counter_load(c, value << 8, now);
		break;
	default:
		if (!c->write_msb_next) {
			c->write_lsb = value;
			c->write_msb_next = true;
			/* In mode 0 the first byte stops the count and drops OUT. */
			if (c->mode == 0) {
				c->frozen = counter_value(c, now);
				c->state = I8254_COUNTER_IDLE;
				c->running = false;
			}
			break;
		}
		c->write_msb_next = false;
		counter_load(c, c->write_lsb | value << 8, now);
		break;
	}
}

uint8_t i8254_counter_read(struct i8254_counter *c, uint64_t now)
{
	uint16_t value;

	counter_settle(c, now);
	if (c->status_latched) {
		c->status_latched = false;
		return c->latched_status;
	}
	if (c->count_latched) {
		value = c->latched_count;
		switch (c->access) {
		case I8254_ACCESS_LSB:
			c->count_latched = false;
			return value & 0xff;
		case I8254_ACCESS_MSB:
			c->count_latched = false;
			return value >> 8;
		default:
			if (!c->latched_msb_next) {
				c->latched_msb_next = true;
				return value & 0xff;
			}
			c->count_latched = false;
			return value >> 8;
		}
	}
	value = counter_value(c, now);
	switch (c->access) {
	case I8254_ACCESS_LSB:
		return value & 0xff;
	case I8254_ACCESS_MSB:
		return value >> 8;
	default:
		c->read_msb_next = !c->read_msb_next;
		return c->read_msb_next ? value & 0xff : value >> 8;
	}
}

void i8254_counter_set_gate(struct i8254_counter *c, bool gate, uint64_t now)
{
	counter_settle(c, now);
	if (gate == c->gate)
		return;
	c->gate = gate;
	switch (c->mode) {
	case 1:
	case 5:
		/* A rising edge (re)starts the count from the count register. */
		if (gate && c->state != I8254_COUNTER_IDLE)
			counter_start(c, c->reload, now);
		break;
	case 2:
	case 3:
		if (c->state != I8254_COUNTER_COUNTING)
			break;
		if (gate) {
			counter_start(c, c->reload, now); /* a rising edge reloads */
		} else {
			c->elapsed_base = counter_elapsed(c, now);
			c->running = false;
		}
		break;
	default:
		/* Modes 0 and 4: the gate suspends counting. */
		if (c->state != I8254_COUNTER_COUNTING)
			break;
		if (gate) {
			c->run_since = now;
			c->running = true;
		} else {
			c->elapsed_base = counter_elapsed(c, now);
			c->running = false;
		}
		break;
	}
}

bool i8254_counter_out(struct i8254_counter *c, uint64_t now)
{
	counter_settle(c, now);
	return counter_out(c, now);
}

uint16_t i8254_counter_value(struct i8254_counter *c, uint64_t now)
{
	counter_settle(c, now);
	return counter_value(c, now);
}

uint8_t i8254_counter_status(struct i8254_counter *c, uint64_t now)
{
	counter_settle(c, now);
	return (counter_out(c, now) ? I8254_STATUS_OUT : 0) |
	       (c->null_count ? I8254_STATUS_NULL_COUNT : 0) | c->access << I8254_CTRL_RW_SHIFT |
	       c->mode << I8254_CTRL_MODE_SHIFT;
}

bool i8254_counter_next_rise(struct i8254_counter *c, uint64_t now, uint64_t *ticks)
{
	uint64_t elapsed;
	uint32_t n;

	counter_settle(c, now);
	if (c->state != I8254_COUNTER_COUNTING || !c->running)
		return false;
	elapsed = counter_elapsed(c, now);
	n = c->count;
	switch (c->mode) {
	case 0:
	case 1:
		if (elapsed >= n)
			return false;
		*ticks = n - elapsed;
		return true;
	case 2:
	case 3:
		/* OUT rises as each period begins; a count of 1 never toggles it. */
		if (n < 2)
			return false;
		*ticks = n - elapsed % n;
		return true;
	default:
		if (elapsed > n)
			return false;
		*ticks = n + 1 - elapsed;
		return true;
	}
}

void i8254_command(struct i8254_counter *counters[I8254_NR_COUNTERS], uint8_t command, uint64_t now)
{
	unsigned int select = command >> I8254_CTRL_SC_SHIFT;
	struct i8254_counter *c;

	if (select == I8254_CTRL_SC_READ_BACK) {
		for (unsigned int i = 0; i < I8254_NR_COUNTERS; i++) {
			c = counters[i];
			if (!c || !(command & I8254_READ_BACK_COUNTER(i)))
				continue;
			if (!(command & I8254_READ_BACK_NO_STATUS))
				i8254_counter_latch_status(c, now);
			if (!(command & I8254_READ_BACK_NO_COUNT))
				i8254_counter_latch_count(c, now);
		}
		return;
	}
	c = counters[select];
	if (!c)
		return;
	if (((command >> I8254_CTRL_RW_SHIFT) & 3) == I8254_ACCESS_LATCH)
		i8254_counter_latch_count(c, now);
	else
		i8254_counter_control(c, command, now);
}

uint8_t i8254_port_61_read(uint8_t latch, struct i8254_counter *ch2, uint64_t now)
{
	uint8_t value = latch & I8254_PORT_61_WRITABLE;

	if ((now / I8254_REFRESH_TICKS) & 1)
		value |= I8254_PORT_61_REFRESH;
	if (i8254_counter_out(ch2, now))
		value |= I8254_PORT_61_OUT2;
	return value;
}

uint64_t i8254_ticks_now(void)
{
	struct timespec ts;
	uint64_t ns;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ns = (uint64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
	return (unsigned __int128)ns * I8254_FREQ_HZ / NS_PER_SEC;
}

uint64_t i8254_ticks_to_ns(uint64_t ticks)
{
	return ((unsigned __int128)ticks * NS_PER_SEC + I8254_FREQ_HZ - 1) / I8254_FREQ_HZ;
}

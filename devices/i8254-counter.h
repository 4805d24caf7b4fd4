/* The i8254 counter model, in PIT ticks: shared by the virtual PIT and the simulated host PIT. */
#ifndef KDOM_I8254_COUNTER_H
#define KDOM_I8254_COUNTER_H

#include <stdbool.h>
#include <stdint.h>

#define I8254_FREQ_HZ 1193182u /* the PIT's input clock */

#define I8254_PORT_CH0 0x40
#define I8254_PORT_CH1 0x41
#define I8254_PORT_CH2 0x42
#define I8254_PORT_CONTROL 0x43
#define I8254_PORT_61 0x61 /* system control port B: channel 2 gate, speaker, OUT2 */

#define I8254_NR_COUNTERS 3

/* Control word (port 0x43) fields. */
#define I8254_CTRL_SC_SHIFT 6 /* select counter: 0-2, or 3 for read-back */
#define I8254_CTRL_SC_READ_BACK 3
#define I8254_CTRL_RW_SHIFT 4 /* access: 0 counter latch, 1 LSB, 2 MSB, 3 LSB then MSB */
#define I8254_CTRL_MODE_SHIFT 1
#define I8254_CTRL_BCD 0x01
#define I8254_READ_BACK_NO_COUNT 0x20  /* COUNT# high: do not latch the count */
#define I8254_READ_BACK_NO_STATUS 0x10 /* STATUS# high: do not latch the status */
#define I8254_READ_BACK_COUNTER(i) (0x02 << (i))

enum i8254_access {
	I8254_ACCESS_LATCH = 0,
	I8254_ACCESS_LSB = 1,
	I8254_ACCESS_MSB = 2,
	I8254_ACCESS_LSB_MSB = 3,
};

/* Read-back status byte fields. */
#define I8254_STATUS_OUT 0x80
#define I8254_STATUS_NULL_COUNT 0x40

/* Port 0x61 bits. */
#define I8254_PORT_61_GATE2 0x01
#define I8254_PORT_61_SPEAKER 0x02
#define I8254_PORT_61_WRITABLE 0x0f /* gate, speaker, parity and channel check enables */
#define I8254_PORT_61_REFRESH 0x10  /* toggles every 15 us */
#define I8254_PORT_61_OUT2 0x20

enum i8254_counter_state {
	I8254_COUNTER_IDLE,	/* control word written, no count yet */
	I8254_COUNTER_ARMED,	/* modes 1 and 5: count written, waiting for a gate trigger */
	I8254_COUNTER_COUNTING, /* a count is loaded */
};

/*
 * Every function takes `now`, the time in PIT ticks (I8254_FREQ_HZ), from any
 * base that never goes backwards; tests pass it directly.  Loading a count
 * takes effect at the write (the one-clock load delay of the chip is not
 * modelled); a count rewritten in modes 2 and 3 loads when the current
 * period ends (in mode 3 the whole period, not the half-cycle).  BCD counting
 * is not supported: the BCD bit is ignored and reads back as 0 in the
 * status.  Not thread-safe: callers hold their own lock.
 */
struct i8254_counter {
	uint8_t mode; /* 0-5 */
	enum i8254_access access;
	enum i8254_counter_state state;
	bool gate;
	bool running;	       /* the count is advancing */
	uint32_t count;	       /* in use for this cycle: 1 .. 0x10000 */
	uint32_t reload;       /* the count register: 1 .. 0x10000 */
	uint64_t elapsed_base; /* ticks counted before run_since */
	uint64_t run_since;    /* when running last began */
	uint16_t frozen;       /* the value read while no count is loaded */
	bool reload_pending;   /* modes 2, 3: a new count loads when the period ends */
	uint64_t reload_at;    /* elapsed ticks at which it loads */
	bool null_count;       /* a count is written but not loaded yet */
	uint8_t write_lsb;     /* LSB-then-MSB: the LSB already written */
	bool write_msb_next;
	bool read_msb_next;
	bool count_latched;
	uint16_t latched_count;
	bool latched_msb_next; /* LSB-then-MSB: the latched LSB has been read */
	bool status_latched;
	uint8_t latched_status;
};

/* Power-on state: mode 0, LSB then MSB, no count loaded. */
void i8254_counter_init(struct i8254_counter *c, bool gate);

/* A control word addressed to this counter with access != latch. */
void i8254_counter_control(struct i8254_counter *c, uint8_t control, uint64_t now);

/* Counter-latch command; a second latch before the first is read is ignored. */
void i8254_counter_latch_count(struct i8254_counter *c, uint64_t now);

/* Read-back status latch; ignored while a status is latched. */
void i8254_counter_latch_status(struct i8254_counter *c, uint64_t now);

/* One byte written to the counter's port. */
void i8254_counter_write(struct i8254_counter *c, uint8_t value, uint64_t now);

/* One byte read from the counter's port: latched status, latched count, or the live count. */
uint8_t i8254_counter_read(struct i8254_counter *c, uint64_t now);

/* Drive the GATE input (channel 2's is port 0x61 bit 0; 0 and 1 are tied high). */
void i8254_counter_set_gate(struct i8254_counter *c, bool gate, uint64_t now);

/* The OUT pin. */
bool i8254_counter_out(struct i8254_counter *c, uint64_t now);

/* The counting element's value as a read would see it. */
uint16_t i8254_counter_value(struct i8254_counter *c, uint64_t now);

/* The read-back status byte (OUT, null count, access, mode, BCD). */
uint8_t i8254_counter_status(struct i8254_counter *c, uint64_t now);

/*
 * Ticks from `now` to OUT's next rising edge, in *ticks (> 0).  false when no
 * rising edge comes without further programming.
 */
bool i8254_counter_next_rise(struct i8254_counter *c, uint64_t now, uint64_t *ticks);

/*
 * Apply a byte written to port 0x43 to the counters it addresses: a control
 * word, a counter latch, or a read-back of several counters.  A NULL entry
 * of counters[] is a counter modelled elsewhere, left alone.
 */
void i8254_command(struct i8254_counter *counters[I8254_NR_COUNTERS], uint8_t command,
		   uint64_t now);

/* Port 0x61 as read: `latch`'s writable bits, the refresh toggle and channel 2's OUT. */
uint8_t i8254_port_61_read(uint8_t latch, struct i8254_counter *ch2, uint64_t now);

/* CLOCK_MONOTONIC in PIT ticks. */
uint64_t i8254_ticks_now(void);

/* The CLOCK_MONOTONIC nanosecond at which tick `ticks` begins (rounded up). */
uint64_t i8254_ticks_to_ns(uint64_t ticks);

#endif

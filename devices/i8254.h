/* The i8254 PIT device: channels 0 and 1 virtual, channel 2 and port 0x61 virtual or the host's. */
#ifndef KDOM_I8254_H
#define KDOM_I8254_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "devices/i8254-counter.h"

struct vm;
struct host_ports;

/*
 * Used instead of KVM's in-kernel PIT, which claims ports 0x40-0x43 and 0x61
 * whole, when the hardware domain may reach the host PIT.  With a host back
 * end, exactly these reach it (as Xen's hwdom_pit_access() forwards them):
 * accesses to port 0x42, control words and counter latches for channel 2,
 * the channel-2 part of a read-back, and port 0x61, of which the guest sets
 * only the gate and speaker bits (the host keeps its NMI enables).
 */
struct i8254 {
	struct vm *vm;
	struct host_ports *host; /* NULL: channel 2 and port 0x61 are virtual */
	pthread_mutex_t lock;
	struct i8254_counter counters[I8254_NR_COUNTERS]; /* [2] unused with a host */
	uint8_t port_61;				  /* virtual port 0x61's writable bits */
	bool host_error_logged;

	/* IRQ 0: a thread pulses the line at each rising edge of channel 0's OUT. */
	int timer_fd; /* timerfd, armed for the next rising edge */
	int stop_fd;  /* eventfd: stops the thread */
	pthread_t thread;
	bool thread_started;
	bool irq_armed;
	uint64_t irq_edge;	/* PIT tick of the edge timer_fd waits for */
	uint64_t last_pulse_ns; /* CLOCK_MONOTONIC of the last pulse */
	uint64_t irq_pulses;	/* pulses raised so far */
	bool irq_error_logged;
};

/*
 * Register ports 0x40-0x43 and 0x61 on vm->pio and start the IRQ 0 thread.
 * host (borrowed: the caller closes it after i8254_destroy()) takes channel
 * 2 and port 0x61; NULL makes the whole PIT virtual.  0 or -errno.
 */
int i8254_create(struct i8254 *pit, struct vm *vm, struct host_ports *host);

/* Stop the IRQ 0 thread and release the device; after the vCPUs are joined. */
void i8254_destroy(struct i8254 *pit);

#endif

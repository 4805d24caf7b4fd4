/* Userspace i8254 PIT: channels 0-1 virtual (IRQ 0), channel 2 and port 0x61 virtual or host. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "devices/host-ports.h"
#include "devices/i8254.h"
#include "vmm/log.h"
#include "vmm/vm.h"

#define NS_PER_SEC 1000000000ull
#define I8254_IRQ 0
/* Like KVM's min_timer_period_us: a guest cannot make IRQ 0 fire more often than this. */
#define I8254_MIN_IRQ_PERIOD_NS 200000ull
/* Port 0x61 bits the guest may set on the host; the rest stay the host's. */
#define I8254_HOST_PORT_61_GUEST_BITS (I8254_PORT_61_GATE2 | I8254_PORT_61_SPEAKER)

/* ---- IRQ 0 -------------------------------------------------------------------------------- */

static void i8254_irq_pulse(struct i8254 *pit)
{
	int ret;

	pit->irq_pulses++;
	ret = vm_irq_line(pit->vm, I8254_IRQ, 1);
	if (!ret)
		ret = vm_irq_line(pit->vm, I8254_IRQ, 0);
	if (ret < 0 && !pit->irq_error_logged) {
		pit->irq_error_logged = true;
		log_error("PIT: cannot pulse IRQ %d: %s", I8254_IRQ, strerror(-ret));
	}
}

/* Arm timer_fd for channel 0's next rising edge, or disarm it.  Lock held. */
static void i8254_irq_rearm(struct i8254 *pit, uint64_t now)
{
	struct itimerspec when = { 0 };
	uint64_t ticks, edge, ns;

	if (!i8254_counter_next_rise(&pit->counters[0], now, &ticks)) {
		if (pit->irq_armed) {
			pit->irq_armed = false;
			timerfd_settime(pit->timer_fd, TFD_TIMER_ABSTIME, &when, NULL);
		}
		return;
	}
	edge = now + ticks;
	if (pit->irq_armed && edge == pit->irq_edge)
		return;
	pit->irq_armed = true;
	pit->irq_edge = edge;
	ns = i8254_ticks_to_ns(edge);
	if (ns < pit->last_pulse_ns + I8254_MIN_IRQ_PERIOD_NS)
		ns = pit->last_pulse_ns + I8254_MIN_IRQ_PERIOD_NS;
	when.it_value.tv_sec = ns / NS_PER_SEC;
	when.it_value.tv_nsec = ns % NS_PER_SEC;
	timerfd_settime(pit->timer_fd, TFD_TIMER_ABSTIME, &when, NULL);
}

static void *i8254_irq_thread(void *opaque)
{
	struct i8254 *pit = opaque;
	struct pollfd fds[2] = {
		{ .fd = pit->timer_fd, .events = POLLIN },
		{ .fd = pit->stop_fd, .events = POLLIN },
	};
	uint64_t expirations, now;

	pthread_setname_np(pthread_self(), "pit");
	for (;;) {
		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			log_error("PIT: poll: %s; IRQ 0 stops", strerror(errno));
			break;
		}
		if (fds[1].revents)
			break;
		/* The fd is non-blocking: a vCPU may have re-armed it since poll(). */
		if (read(pit->timer_fd, &expirations, sizeof(expirations)) < 0)
			continue;
		pthread_mutex_lock(&pit->lock);
		now = i8254_ticks_now();
		if (pit->irq_armed && now >= pit->irq_edge) {
			i8254_irq_pulse(pit);
			pit->irq_armed = false;
			pit->last_pulse_ns = i8254_ticks_to_ns(now);
		}
		i8254_irq_rearm(pit, now);
		pthread_mutex_unlock(&pit->lock);
	}
	return NULL;
}

/* ---- The host's channel 2 and port 0x61 ------------------------------------------------- */

static void i8254_host_error(struct i8254 *pit, const char *what, uint16_t port, int err)
{
	if (pit->host_error_logged)
		return;
	pit->host_error_logged = true;
	log_warn("PIT: %s host port 0x%02x through %s failed: %s (reads give 0xff; not logged "
		 "again)",
		 what, port, pit->host->name, strerror(-err));
}

static uint8_t i8254_host_read(struct i8254 *pit, uint16_t port)
{
	uint8_t value;
	int ret = host_ports_inb(pit->host, port, &value);

	if (ret < 0) {
		i8254_host_error(pit, "reading", port, ret);
		return 0xff;
	}
	return value;
}

static void i8254_host_write(struct i8254 *pit, uint16_t port, uint8_t value)
{
	int ret = host_ports_outb(pit->host, port, value);

	if (ret < 0)
		i8254_host_error(pit, "writing", port, ret);
}

/* The guest sets the gate and speaker bits; the host's NMI enables stay as they are. */
static void i8254_host_write_port_61(struct i8254 *pit, uint8_t value)
{
	uint8_t host = i8254_host_read(pit, I8254_PORT_61);

	value = (host & I8254_PORT_61_WRITABLE & ~I8254_HOST_PORT_61_GUEST_BITS) |
		(value & I8254_HOST_PORT_61_GUEST_BITS);
	i8254_host_write(pit, I8254_PORT_61, value);
}

/* ---- Port I/O ------------------------------------------------------------------------------ */

static void i8254_write_command(struct i8254 *pit, uint8_t command, uint64_t now)
{
	struct i8254_counter *counters[I8254_NR_COUNTERS] = {
		&pit->counters[0],
		&pit->counters[1],
		pit->host ? NULL : &pit->counters[2],
	};
	unsigned int select = command >> I8254_CTRL_SC_SHIFT;

	if (pit->host && select == 2) {
		i8254_host_write(pit, I8254_PORT_CONTROL, command);
		return;
	}
	if (pit->host && select == I8254_CTRL_SC_READ_BACK) {
		/* Split: the host reads back channel 2 only, the rest is ours. */
		if (command & I8254_READ_BACK_COUNTER(2))
			i8254_host_write(pit, I8254_PORT_CONTROL,
					 (command & 0xf0) | I8254_READ_BACK_COUNTER(2));
		command &= ~(I8254_READ_BACK_COUNTER(2) | 0x01);
		if (!(command & (I8254_READ_BACK_COUNTER(0) | I8254_READ_BACK_COUNTER(1))))
			return;
	}
	i8254_command(counters, command, now);
}

static void i8254_write(struct i8254 *pit, uint16_t port, uint8_t value)
{
	uint64_t now = i8254_ticks_now();

	switch (port) {
	case I8254_PORT_CH0:
	case I8254_PORT_CH1:
		i8254_counter_write(&pit->counters[port - I8254_PORT_CH0], value, now);
		break;
	case I8254_PORT_CH2:
		if (pit->host)
			i8254_host_write(pit, port, value);
		else
			i8254_counter_write(&pit->counters[2], value, now);
		break;
	case I8254_PORT_CONTROL:
		i8254_write_command(pit, value, now);
		break;
	case I8254_PORT_61:
		if (pit->host) {
			i8254_host_write_port_61(pit, value);
			break;
		}
		pit->port_61 = value & I8254_PORT_61_WRITABLE;
		i8254_counter_set_gate(&pit->counters[2], value & I8254_PORT_61_GATE2, now);
		break;
	}
	i8254_irq_rearm(pit, now);
}

static uint8_t i8254_read(struct i8254 *pit, uint16_t port)
{
	uint64_t now = i8254_ticks_now();

	switch (port) {
	case I8254_PORT_CH0:
	case I8254_PORT_CH1:
		return i8254_counter_read(&pit->counters[port - I8254_PORT_CH0], now);
	case I8254_PORT_CH2:
		if (pit->host)
			return i8254_host_read(pit, port);
		return i8254_counter_read(&pit->counters[2], now);
	case I8254_PORT_61:
		if (pit->host)
			return i8254_host_read(pit, port);
		return i8254_port_61_read(pit->port_61, &pit->counters[2], now);
	default: /* the control port cannot be read */
		return 0xff;
	}
}

static void i8254_io(void *opaque, struct bus_access *access)
{
	struct i8254 *pit = opaque;

	if (access->len != 1) {
		if (!access->write)
			memset(access->data, 0xff, access->len);
		return;
	}
	pthread_mutex_lock(&pit->lock);
	if (access->write)
		i8254_write(pit, access->addr, access->data[0]);
	else
		access->data[0] = i8254_read(pit, access->addr);
	pthread_mutex_unlock(&pit->lock);
}

/* ---- Life cycle ---------------------------------------------------------------------------- */

static int i8254_start_thread(struct i8254 *pit)
{
	sigset_t all, saved;
	int ret;

	/* Signals belong to the event loop and the vCPUs, never to this thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &saved);
	ret = pthread_create(&pit->thread, NULL, i8254_irq_thread, pit);
	pthread_sigmask(SIG_SETMASK, &saved, NULL);
	if (ret)
		return -ret;
	pit->thread_started = true;
	return 0;
}

int i8254_create(struct i8254 *pit, struct vm *vm, struct host_ports *host)
{
	int ret;

	memset(pit, 0, sizeof(*pit));
	pit->vm = vm;
	pit->host = host;
	pit->timer_fd = pit->stop_fd = -1;
	pthread_mutex_init(&pit->lock, NULL);
	/* Channels 0 and 1 have their gates tied high; port 0x61 drives channel 2's. */
	for (unsigned int i = 0; i < I8254_NR_COUNTERS; i++)
		i8254_counter_init(&pit->counters[i], i != 2);

	pit->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	pit->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (pit->timer_fd < 0 || pit->stop_fd < 0) {
		ret = -errno;
		log_error("PIT: cannot create its timer: %s", strerror(errno));
		goto err_fds;
	}
	ret = bus_register(&vm->pio, I8254_PORT_CH0, 4, i8254_io, pit, "i8254");
	if (ret)
		goto err_fds;
	ret = bus_register(&vm->pio, I8254_PORT_61, 1, i8254_io, pit,
			   host ? "i8254 port 0x61 (host)" : "i8254 port 0x61");
	if (ret)
		goto err_pit_ports;
	ret = i8254_start_thread(pit);
	if (ret) {
		log_error("PIT: cannot start its IRQ thread: %s", strerror(-ret));
		goto err_port_61;
	}
	return 0;

err_port_61:
	bus_unregister(&vm->pio, I8254_PORT_61);
err_pit_ports:
	bus_unregister(&vm->pio, I8254_PORT_CH0);
err_fds:
	if (pit->timer_fd >= 0)
		close(pit->timer_fd);
	if (pit->stop_fd >= 0)
		close(pit->stop_fd);
	pit->timer_fd = pit->stop_fd = -1;
	pthread_mutex_destroy(&pit->lock);
	return ret;
}

void i8254_destroy(struct i8254 *pit)
{
	uint64_t one = 1;

	if (pit->thread_started) {
		if (write(pit->stop_fd, &one, sizeof(one)) != sizeof(one)) {
			/* Leave the device to the running thread rather than free it under it. */
			log_error("PIT: cannot stop its IRQ thread: %s", strerror(errno));
			return;
		}
		pthread_join(pit->thread, NULL);
		pit->thread_started = false;
	}
	close(pit->timer_fd);
	close(pit->stop_fd);
	pit->timer_fd = pit->stop_fd = -1;
	pthread_mutex_destroy(&pit->lock);
}

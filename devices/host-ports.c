/* Host I/O-port back ends: ioperm(), /dev/port, and a simulated host PIT that logs every access. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#if defined(__x86_64__) || defined(__i386__)
#include <sys/io.h>
#endif

#include "devices/host-ports.h"
#include "devices/i8254-counter.h"

#define HOST_PORTS_SIMULATED_PREFIX "simulated:"

bool host_port_allowed(uint16_t port)
{
	return port == I8254_PORT_CH2 || port == I8254_PORT_CONTROL || port == I8254_PORT_61;
}

/* ---- ioperm(): in and out instructions on the host's ports ---------------------------- */

#if defined(__x86_64__) || defined(__i386__)
static int ioperm_inb(struct host_ports *hp, uint16_t port, uint8_t *value)
{
	if (!host_port_allowed(port))
		return -EPERM;
	*value = inb(port);
	return 0;
}

static int ioperm_outb(struct host_ports *hp, uint16_t port, uint8_t value)
{
	if (!host_port_allowed(port))
		return -EPERM;
	outb(value, port);
	return 0;
}

static void ioperm_close(struct host_ports *hp)
{
	ioperm(I8254_PORT_CH2, 2, 0);
	ioperm(I8254_PORT_61, 1, 0);
	free(hp);
}

static const struct host_ports_ops ioperm_ops = {
	.inb = ioperm_inb,
	.outb = ioperm_outb,
	.close = ioperm_close,
};

/* 0 with ports 0x42, 0x43 and 0x61 granted to this thread, or a positive errno. */
static int ioperm_grant(void)
{
	int saved;

	if (ioperm(I8254_PORT_CH2, 2, 1) < 0)
		return errno;
	if (ioperm(I8254_PORT_61, 1, 1) < 0) {
		saved = errno;
		ioperm(I8254_PORT_CH2, 2, 0);
		return saved;
	}
	return 0;
}

static int ioperm_open(struct host_ports **out)
{
	struct host_ports *hp;
	int ret = ioperm_grant();

	if (ret)
		return -ret;
	hp = calloc(1, sizeof(*hp));
	if (!hp) {
		ioperm(I8254_PORT_CH2, 2, 0);
		ioperm(I8254_PORT_61, 1, 0);
		return -ENOMEM;
	}
	hp->ops = &ioperm_ops;
	hp->name = "ioperm";
	*out = hp;
	return 0;
}
#else
static int ioperm_open(struct host_ports **out)
{
	return -ENOSYS; /* no I/O port instructions on this architecture */
}
#endif

/* ---- /dev/port: the host's ports as a file, one byte at the port's offset ------------------ */

struct devport {
	struct host_ports base;
	int fd;
};

static int devport_inb(struct host_ports *hp, uint16_t port, uint8_t *value)
{
	struct devport *dp = (struct devport *)hp;
	ssize_t n;

	if (!host_port_allowed(port))
		return -EPERM;
	n = pread(dp->fd, value, 1, port);
	if (n < 0)
		return -errno;
	return n == 1 ? 0 : -EIO;
}

static int devport_outb(struct host_ports *hp, uint16_t port, uint8_t value)
{
	struct devport *dp = (struct devport *)hp;
	ssize_t n;

	if (!host_port_allowed(port))
		return -EPERM;
	n = pwrite(dp->fd, &value, 1, port);
	if (n < 0)
		return -errno;
	return n == 1 ? 0 : -EIO;
}

static void devport_close(struct host_ports *hp)
{
	struct devport *dp = (struct devport *)hp;

	close(dp->fd);
	free(dp);
}

static const struct host_ports_ops devport_ops = {
	.inb = devport_inb,
	.outb = devport_outb,
	.close = devport_close,
};

static int devport_open(struct host_ports **out)
{
	struct devport *dp;
	int fd = open("/dev/port", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	dp = calloc(1, sizeof(*dp));
	if (!dp) {
		close(fd);
		return -ENOMEM;
	}
	dp->base.ops = &devport_ops;
	dp->base.name = "/dev/port";
	dp->fd = fd;
	*out = &dp->base;
	return 0;
}

static int host_ports_open_real(struct host_ports **out, char *err, size_t errlen)
{
	int ioperm_ret, devport_ret;

	ioperm_ret = ioperm_open(out);
	if (!ioperm_ret)
		return 0;
	devport_ret = devport_open(out);
	if (!devport_ret)
		return 0;
	snprintf(err, errlen, "no access to host I/O ports: ioperm: %s; /dev/port: %s",
		 strerror(-ioperm_ret), strerror(-devport_ret));
	/* EPERM: the ports are there but kdom lacks the privilege; ENODEV: no way to them. */
	if (ioperm_ret == -EPERM || devport_ret == -EPERM || devport_ret == -EACCES)
		return -EPERM;
	return -ENODEV;
}

/* ---- The simulated host PIT: for tests on machines without host I/O ports ----------------- */

/*
 * A SIMULATION of the host's PIT channel 2 and port 0x61, counting from
 * CLOCK_MONOTONIC with the same counter model as the virtual PIT.  Channels
 * 0 and 1 are not simulated: control words for them are logged and dropped,
 * and since the virtual PIT never forwards them, any such line in the log
 * is a forwarding bug.
 */
struct simulated_pit {
	struct host_ports base;
	pthread_mutex_t lock;
	int log_fd;
	struct i8254_counter ch2;
	uint8_t port_61; /* writable bits */
};

static int simulated_log(struct simulated_pit *sim, const char *dir, uint16_t port, uint8_t value)
{
	char line[32];
	int len = snprintf(line, sizeof(line), "%s 0x%02x 0x%02x\n", dir, port, value);
	ssize_t n = write(sim->log_fd, line, len);

	if (n < 0)
		return -errno;
	return n == len ? 0 : -EIO;
}

static int simulated_inb(struct host_ports *hp, uint16_t port, uint8_t *value)
{
	struct simulated_pit *sim = (struct simulated_pit *)hp;
	uint64_t now;
	int ret;

	if (!host_port_allowed(port))
		return -EPERM;
	pthread_mutex_lock(&sim->lock);
	now = i8254_ticks_now();
	switch (port) {
	case I8254_PORT_CH2:
		*value = i8254_counter_read(&sim->ch2, now);
		break;
	case I8254_PORT_61:
		*value = i8254_port_61_read(sim->port_61, &sim->ch2, now);
		break;
	default: /* the control port cannot be read */
		*value = 0xff;
		break;
	}
	ret = simulated_log(sim, "in", port, *value);
	pthread_mutex_unlock(&sim->lock);
	return ret;
}

static int simulated_outb(struct host_ports *hp, uint16_t port, uint8_t value)
{
	struct simulated_pit *sim = (struct simulated_pit *)hp;
	struct i8254_counter *counters[I8254_NR_COUNTERS] = { NULL, NULL, &sim->ch2 };
	uint64_t now;
	int ret;

	if (!host_port_allowed(port))
		return -EPERM;
	pthread_mutex_lock(&sim->lock);
	now = i8254_ticks_now();
	switch (port) {
	case I8254_PORT_CH2:
		i8254_counter_write(&sim->ch2, value, now);
		break;
	case I8254_PORT_CONTROL:
		i8254_command(counters, value, now);
		break;
	default:
		sim->port_61 = value & I8254_PORT_61_WRITABLE;
		i8254_counter_set_gate(&sim->ch2, value & I8254_PORT_61_GATE2, now);
		break;
	}
	ret = simulated_log(sim, "out", port, value);
	pthread_mutex_unlock(&sim->lock);
	return ret;
}

static void simulated_close(struct host_ports *hp)
{
	struct simulated_pit *sim = (struct simulated_pit *)hp;

	close(sim->log_fd);
	pthread_mutex_destroy(&sim->lock);
	free(sim);
}

static const struct host_ports_ops simulated_ops = {
	.inb = simulated_inb,
	.outb = simulated_outb,
	.close = simulated_close,
};

static int host_ports_open_simulated(struct host_ports **out, const char *path, char *err,
				     size_t errlen)
{
	struct simulated_pit *sim;
	int fd, ret;

	if (!*path) {
		snprintf(err, errlen, "the simulated host PIT needs a log file: simulated:PATH");
		return -EINVAL;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "simulated host PIT: cannot open log %s: %s", path,
			 strerror(-ret));
		return ret;
	}
	sim = calloc(1, sizeof(*sim));
	if (!sim) {
		close(fd);
		snprintf(err, errlen, "simulated host PIT: out of memory");
		return -ENOMEM;
	}
	sim->base.ops = &simulated_ops;
	sim->base.name = "simulated";
	pthread_mutex_init(&sim->lock, NULL);
	sim->log_fd = fd;
	i8254_counter_init(&sim->ch2, false); /* port 0x61 starts with the gate off */
	*out = &sim->base;
	return 0;
}

int host_ports_open(struct host_ports **out, const char *spec, char *err, size_t errlen)
{
	size_t prefix = strlen(HOST_PORTS_SIMULATED_PREFIX);

	*out = NULL;
	if (!spec || !strcmp(spec, "real"))
		return host_ports_open_real(out, err, errlen);
	if (!strncmp(spec, HOST_PORTS_SIMULATED_PREFIX, prefix))
		return host_ports_open_simulated(out, spec + prefix, err, errlen);
	snprintf(err, errlen, "unknown host port back end '%s' (use real or simulated:PATH)", spec);
	return -EINVAL;
}

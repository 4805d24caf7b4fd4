/* Host I/O-port back ends for the hardware domain's PIT: the real ports or a simulated host PIT. */
#ifndef KDOM_HOST_PORTS_H
#define KDOM_HOST_PORTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct host_ports;

/* What a back end implements; every op returns 0 or a negative errno. */
struct host_ports_ops {
	int (*inb)(struct host_ports *hp, uint16_t port, uint8_t *value);
	int (*outb)(struct host_ports *hp, uint16_t port, uint8_t value);
	void (*close)(struct host_ports *hp); /* frees hp */
};

/* A back end embeds this as its first member. */
struct host_ports {
	const struct host_ports_ops *ops;
	const char *name; /* "ioperm", "/dev/port", "simulated", ... for messages */
};

/*
 * The only host ports a guest's accesses may ever reach: PIT channel 2, the
 * PIT control port, and port 0x61.  Every back end refuses the others with
 * -EPERM, whatever its caller checked.
 */
bool host_port_allowed(uint16_t port);

/*
 * Open a back end.  spec NULL or "real": the host's own ports, through
 * ioperm() (needs CAP_SYS_RAWIO; open it before the vCPU threads start, since
 * ioperm() grants are per thread and only threads created later inherit
 * them) or else /dev/port.  "simulated:PATH": a simulated host PIT channel 2
 * and port 0x61 that appends each access to the file PATH as a line
 * "out 0x43 0xb0" or "in 0x42 0x34".  0, or a negative errno with a message
 * in err: -ENODEV or -EPERM when the host gives no port access, -EINVAL for an
 * unknown spec.
 */
int host_ports_open(struct host_ports **out, const char *spec, char *err, size_t errlen);

/* Read one byte from a host port.  0, or -EPERM for a port not allowed, or -errno. */
static inline int host_ports_inb(struct host_ports *hp, uint16_t port, uint8_t *value)
{
	return hp->ops->inb(hp, port, value);
}

/* Write one byte to a host port.  0, or -EPERM for a port not allowed, or -errno. */
static inline int host_ports_outb(struct host_ports *hp, uint16_t port, uint8_t value)
{
	return hp->ops->outb(hp, port, value);
}

/* Release a back end (NULL is fine). */
static inline void host_ports_close(struct host_ports *hp)
{
	if (hp)
		hp->ops->close(hp);
}

#endif

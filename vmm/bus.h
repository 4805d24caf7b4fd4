/* Port-I/O and MMIO buses: devices register address ranges, exits are dispatched by lookup. */
#ifndef KDOM_BUS_H
#define KDOM_BUS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vcpu;

/* One guest access, as a device handler sees it. */
struct bus_access {
	uint64_t addr;	 /* absolute port or gpa */
	uint64_t offset; /* addr - base of the device's range */
	uint32_t len;	 /* 1, 2, 4 or 8 bytes */
	bool write;
	uint8_t *data;	   /* len bytes: source for writes, to fill for reads (preset 0xff) */
	struct vcpu *vcpu; /* the vCPU making the access; NULL in tests */
};

typedef void (*bus_handler_fn)(void *opaque, struct bus_access *access);

struct bus_range {
	uint64_t base;
	uint64_t len;
	bus_handler_fn handler;
	void *opaque;
	const char *name;
};

/*
 * Ranges sorted by base, never overlapping; lookups are a binary search under
 * a read lock so that later issues can move ranges (PCI BARs) at run time.
 */
struct bus {
	const char *name;
	struct bus_range *ranges;
	size_t nranges;
	size_t capacity;
	pthread_rwlock_t lock;
};

void bus_init(struct bus *bus, const char *name);
void bus_destroy(struct bus *bus);

/*
 * Register [base, base+len) for a device.  0, -EINVAL for an empty or
 * wrapping range, -EEXIST when it overlaps a registered range (the log names
 * both devices), -ENOMEM.
 */
int bus_register(struct bus *bus, uint64_t base, uint64_t len, bus_handler_fn handler, void *opaque,
		 const char *name);

/* Remove the range starting exactly at base.  0 or -ENOENT. */
int bus_unregister(struct bus *bus, uint64_t base);

/*
 * Hand one access to the device whose range holds all of [addr, addr+len).
 * Returns true when a device took it; false otherwise, in which case reads
 * see all-ones and writes are dropped.
 */
bool bus_dispatch(struct bus *bus, uint64_t addr, uint8_t *data, uint32_t len, bool write,
		  struct vcpu *vcpu);

#endif

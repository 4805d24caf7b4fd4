/* Sorted, non-overlapping address ranges with binary-search dispatch. */
#include "vmm/bus.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/log.h"

void bus_init(struct bus *bus, const char *name)
{
	memset(bus, 0, sizeof(*bus));
	bus->name = name;
	pthread_rwlock_init(&bus->lock, NULL);
}

void bus_destroy(struct bus *bus)
{
	free(bus->ranges);
	pthread_rwlock_destroy(&bus->lock);
	memset(bus, 0, sizeof(*bus));
}

/* Index of the first range whose base is greater than addr. */
static size_t bus_upper_bound(const struct bus *bus, uint64_t addr)
{
	size_t lo = 0, hi = bus->nranges;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (bus->ranges[mid].base <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Last address of a range; ranges never wrap, so this cannot overflow. */
static uint64_t range_last(const struct bus_range *range)
{
	return range->base + (range->len - 1);
}

int bus_register(struct bus *bus, uint64_t base, uint64_t len, bus_handler_fn handler, void *opaque,
		 const char *name)
{
	uint64_t last;
	size_t pos;
	int ret = 0;

	if (len == 0 || !handler || __builtin_add_overflow(base, len - 1, &last))
		return -EINVAL;

	pthread_rwlock_wrlock(&bus->lock);
	pos = bus_upper_bound(bus, base);
	if (pos > 0 && range_last(&bus->ranges[pos - 1]) >= base) {
		const struct bus_range *other = &bus->ranges[pos - 1];

		log_error("%s bus: %s at 0x%llx-0x%llx overlaps %s at 0x%llx-0x%llx", bus->name,
			  name, (unsigned long long)base, (unsigned long long)last, other->name,
			  (unsigned long long)other->base, (unsigned long long)range_last(other));
		ret = -EEXIST;
		goto out;
	}
	if (pos < bus->nranges && bus->ranges[pos].base <= last) {
		const struct bus_range *other = &bus->ranges[pos];

		log_error("%s bus: %s at 0x%llx-0x%llx overlaps %s at 0x%llx-0x%llx", bus->name,
			  name, (unsigned long long)base, (unsigned long long)last, other->name,
			  (unsigned long long)other->base, (unsigned long long)range_last(other));
		ret = -EEXIST;
		goto out;
	}
	if (bus->nranges == bus->capacity) {
		size_t capacity = bus->capacity ? bus->capacity * 2 : 16;
		struct bus_range *ranges = realloc(bus->ranges, capacity * sizeof(*ranges));

		if (!ranges) {
			ret = -ENOMEM;
			goto out;
		}
		bus->ranges = ranges;
		bus->capacity = capacity;
	}
	memmove(&bus->ranges[pos + 1], &bus->ranges[pos],
		(bus->nranges - pos) * sizeof(bus->ranges[0]));
	bus->ranges[pos] = (struct bus_range){
		.base = base, .len = len, .handler = handler, .opaque = opaque, .name = name
	};
	bus->nranges++;
out:
	pthread_rwlock_unlock(&bus->lock);
	return ret;
}

int bus_unregister(struct bus *bus, uint64_t base)
{
	size_t pos;
	int ret = -ENOENT;

	pthread_rwlock_wrlock(&bus->lock);
	pos = bus_upper_bound(bus, base);
	if (pos > 0 && bus->ranges[pos - 1].base == base) {
		memmove(&bus->ranges[pos - 1], &bus->ranges[pos],
			(bus->nranges - pos) * sizeof(bus->ranges[0]));
		bus->nranges--;
		ret = 0;
	}
	pthread_rwlock_unlock(&bus->lock);
	return ret;
}

bool bus_dispatch(struct bus *bus, uint64_t addr, uint8_t *data, uint32_t len, bool write,
		  struct vcpu *vcpu)
{
	struct bus_range range;
	uint64_t last;
	size_t pos;
	bool found = false;

	if (!write)
		memset(data, 0xff, len);
	if (len == 0 || __builtin_add_overflow(addr, (uint64_t)len - 1, &last))
		return false;

	pthread_rwlock_rdlock(&bus->lock);
	pos = bus_upper_bound(bus, addr);
	if (pos > 0 && range_last(&bus->ranges[pos - 1]) >= last) {
		range = bus->ranges[pos - 1];
		found = true;
	}
	pthread_rwlock_unlock(&bus->lock);
	if (!found)
		return false;

	struct bus_access access = {
		.addr = addr,
		.offset = addr - range.base,
		.len = len,
		.write = write,
		.data = data,
		.vcpu = vcpu,
	};
	range.handler(range.opaque, &access);
	return true;
}

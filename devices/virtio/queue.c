/* Split virtqueues, device side: every descriptor copied out and checked, rings reached through gmem_ptr(). */
#include "devices/virtio/queue.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/guest-mem.h"

/*
 * The rings are guest memory the driver writes while the device reads it.
 * Indices are read with acquire loads (the entries they cover are read
 * after them) and the used index is stored with a release store (the
 * entries are visible first); the full fences order the device's own
 * stores against its reads of the driver's event fields, as the
 * specification's memory barriers do (2.7.13).
 */
static uint16_t ring_load16(const uint16_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static void ring_store16(uint16_t *p, uint16_t value)
{
	__atomic_store_n(p, value, __ATOMIC_RELEASE);
}

static void ring_store32(uint32_t *p, uint32_t value)
{
	__atomic_store_n(p, value, __ATOMIC_RELAXED);
}

static void ring_full_barrier(void)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/* The event fields after each ring: used_event in the driver area, avail_event in the device area. */
static uint16_t *virtq_used_event(const struct virtq *vq)
{
	return &vq->avail->ring[vq->size];
}

static uint16_t *virtq_avail_event(const struct virtq *vq)
{
	return (uint16_t *)&vq->used->ring[vq->size];
}

__attribute__((format(printf, 2, 3))) static int virtq_fail(struct virtq *vq, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(vq->error, sizeof(vq->error), fmt, ap);
	va_end(ap);
	return -EIO;
}

int virtq_init(struct virtq *vq, const struct guest_mem *mem, uint16_t max_size)
{
	memset(vq, 0, sizeof(*vq));
	if (max_size == 0 || (max_size & (max_size - 1)))
		return -EINVAL;
	vq->chain.bufs = calloc(max_size, sizeof(*vq->chain.bufs));
	if (!vq->chain.bufs)
		return -ENOMEM;
	vq->mem = mem;
	vq->max_size = max_size;
	virtq_reset(vq);
	return 0;
}

void virtq_destroy(struct virtq *vq)
{
	free(vq->chain.bufs);
	vq->chain.bufs = NULL;
}

void virtq_reset(struct virtq *vq)
{
	vq->size = vq->max_size;
	vq->msix_vector = VIRTIO_MSI_NO_VECTOR;
	vq->enabled = false;
	vq->desc_gpa = vq->avail_gpa = vq->used_gpa = 0;
	vq->event_idx = vq->indirect = false;
	vq->desc = NULL;
	vq->avail = NULL;
	vq->used = NULL;
	vq->last_avail = vq->used_idx = vq->signalled_used = 0;
	vq->chain.nr_bufs = 0;
	vq->error[0] = '\0';
}

bool virtq_size_valid(const struct virtq *vq, uint32_t size)
{
	return size != 0 && size <= vq->max_size && (size & (size - 1)) == 0;
}

int virtq_enable(struct virtq *vq, bool event_idx, bool indirect)
{
	uint32_t size = vq->size;

	if (!virtq_size_valid(vq, size))
		return virtq_fail(vq, "queue size %u is not a power of two up to %u", size,
				  vq->max_size);
	if (vq->desc_gpa % VIRTQ_DESC_ALIGN || vq->avail_gpa % VIRTQ_AVAIL_ALIGN ||
	    vq->used_gpa % VIRTQ_USED_ALIGN)
		return virtq_fail(vq,
				  "misaligned rings (descriptors 0x%llx, driver 0x%llx, "
				  "device 0x%llx)",
				  (unsigned long long)vq->desc_gpa,
				  (unsigned long long)vq->avail_gpa,
				  (unsigned long long)vq->used_gpa);
	vq->desc = gmem_ptr(vq->mem, vq->desc_gpa, VIRTQ_DESC_BYTES(size));
	vq->avail = gmem_ptr(vq->mem, vq->avail_gpa, VIRTQ_AVAIL_BYTES(size));
	vq->used = gmem_ptr(vq->mem, vq->used_gpa, VIRTQ_USED_BYTES(size));
	if (!vq->desc || !vq->avail || !vq->used) {
		const char *what = !vq->desc	? "descriptor table"
				   : !vq->avail ? "driver area"
						: "device area";
		uint64_t gpa = !vq->desc ? vq->desc_gpa : !vq->avail ? vq->avail_gpa : vq->used_gpa;

		vq->desc = NULL;
		vq->avail = NULL;
		vq->used = NULL;
		return virtq_fail(vq, "%s at 0x%llx is not in RAM", what, (unsigned long long)gpa);
	}
	vq->event_idx = event_idx;
	vq->indirect = indirect;
	vq->last_avail = vq->used_idx = vq->signalled_used = 0;
	vq->enabled = true;
	return 0;
}

/* Where a chain walk is: the table it reads (the ring's or an indirect one) and how far. */
struct virtq_walk {
	const struct virtq_desc *table;
	uint32_t table_size;
	uint32_t index;
	uint32_t steps; /* descriptors taken from this table */
	bool indirect;
};

static int virtq_add_buf(struct virtq *vq, struct virtq_chain *c, const struct virtq_desc *d)
{
	bool writable = d->flags & VIRTQ_DESC_F_WRITE;
	uint8_t *host;

	if (c->nr_bufs >= vq->max_size)
		return virtq_fail(vq, "chain from head %u is longer than %u descriptors", c->head,
				  vq->max_size);
	if (!writable && c->nr_bufs > c->nr_readable)
		return virtq_fail(vq,
				  "chain from head %u has a device-readable buffer after a "
				  "writable one",
				  c->head);
	host = gmem_ptr(vq->mem, d->addr, d->len);
	if (!host)
		return virtq_fail(vq,
				  "chain from head %u has a buffer at 0x%llx (+0x%x) outside RAM",
				  c->head, (unsigned long long)d->addr, d->len);
	c->bufs[c->nr_bufs++] =
		(struct virtq_buf){ .host = host, .len = d->len, .writable = writable };
	if (writable) {
		c->writable_bytes += d->len;
	} else {
		c->readable_bytes += d->len;
		c->nr_readable++;
	}
	return 0;
}

/* Continue the walk in the table an indirect descriptor names (2.7.5.3), checked whole. */
static int virtq_enter_indirect(struct virtq *vq, const struct virtq_desc *d, struct virtq_walk *w,
				uint16_t head)
{
	const struct virtq_desc *table;

	if (!vq->indirect)
		return virtq_fail(vq,
				  "head %u: indirect descriptor, but VIRTIO_F_INDIRECT_DESC "
				  "was not negotiated",
				  head);
	if (w->indirect)
		return virtq_fail(vq, "head %u: nested indirect descriptor", head);
	if (d->flags & VIRTQ_DESC_F_NEXT)
		return virtq_fail(vq, "head %u: indirect descriptor with NEXT set", head);
	if (d->len == 0 || d->len % sizeof(struct virtq_desc))
		return virtq_fail(vq, "head %u: indirect table of %u bytes, not a multiple of 16",
				  head, d->len);
	if (d->len / sizeof(struct virtq_desc) > vq->max_size)
		return virtq_fail(vq, "head %u: indirect table of %u descriptors, more than %u",
				  head, d->len / (uint32_t)sizeof(struct virtq_desc), vq->max_size);
	table = gmem_ptr(vq->mem, d->addr, d->len);
	if (!table)
		return virtq_fail(vq, "head %u: indirect table at 0x%llx (+0x%x) outside RAM", head,
				  (unsigned long long)d->addr, d->len);
	*w = (struct virtq_walk){
		.table = table,
		.table_size = d->len / sizeof(struct virtq_desc),
		.indirect = true,
	};
	return 0;
}

/*
 * Follow a chain from head.  A table of n descriptors holds no chain longer
 * than n without repeating one, so counting steps per table finds every
 * loop; each descriptor is copied once and only the copy is used.
 */
static int virtq_walk_chain(struct virtq *vq, uint16_t head, struct virtq_chain *c)
{
	struct virtq_walk w = { .table = vq->desc, .table_size = vq->size, .index = head };
	struct virtq_desc d;
	int ret;

	c->head = head;
	c->nr_bufs = c->nr_readable = 0;
	c->readable_bytes = c->writable_bytes = 0;
	for (;;) {
		if (++w.steps > w.table_size)
			return virtq_fail(vq,
					  "head %u: descriptor loop (more than %u steps in a%s "
					  "table of %u)",
					  head, w.table_size, w.indirect ? "n indirect" : "",
					  w.table_size);
		memcpy(&d, &w.table[w.index], sizeof(d));
		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			ret = virtq_enter_indirect(vq, &d, &w, head);
			if (ret)
				return ret;
			continue;
		}
		ret = virtq_add_buf(vq, c, &d);
		if (ret)
			return ret;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			return 0;
		if (d.next >= w.table_size)
			return virtq_fail(vq, "head %u: next index %u beyond a table of %u", head,
					  d.next, w.table_size);
		w.index = d.next;
	}
}

int virtq_pop(struct virtq *vq, struct virtq_chain **chain)
{
	uint16_t avail_idx, pending, head;
	int ret;

	if (!vq->enabled)
		return 0;
	avail_idx = ring_load16(&vq->avail->idx);
	pending = avail_idx - vq->last_avail;
	if (pending == 0)
		return 0;
	if (pending > vq->size)
		return virtq_fail(vq,
				  "driver's index %u is %u entries ahead of the device's %u, "
				  "more than the queue's %u",
				  avail_idx, pending, vq->last_avail, vq->size);
	head = __atomic_load_n(&vq->avail->ring[vq->last_avail & (vq->size - 1)], __ATOMIC_RELAXED);
	if (head >= vq->size)
		return virtq_fail(vq, "head index %u beyond the table of %u", head, vq->size);
	ret = virtq_walk_chain(vq, head, &vq->chain);
	if (ret)
		return ret;
	vq->last_avail++;
	*chain = &vq->chain;
	return 1;
}

void virtq_push_head(struct virtq *vq, uint16_t head, uint32_t written)
{
	struct virtq_used_elem *elem;

	if (!vq->enabled)
		return;
	elem = &vq->used->ring[vq->used_idx & (vq->size - 1)];
	ring_store32(&elem->id, head);
	ring_store32(&elem->len, written);
	vq->used_idx++;
	ring_store16(&vq->used->idx, vq->used_idx); /* the element is visible before the index */
}

void virtq_push(struct virtq *vq, const struct virtq_chain *chain, uint32_t written)
{
	if (written > chain->writable_bytes)
		written = chain->writable_bytes;
	virtq_push_head(vq, chain->head, written);
}

bool virtq_arm_notify(struct virtq *vq)
{
	if (!vq->enabled)
		return false;
	if (vq->event_idx)
		ring_store16(virtq_avail_event(vq), vq->last_avail);
	ring_full_barrier(); /* the event is visible before the driver's index is read again */
	return ring_load16(&vq->avail->idx) != vq->last_avail;
}

bool virtq_should_interrupt(struct virtq *vq)
{
	uint16_t old = vq->signalled_used, now = vq->used_idx;

	if (!vq->enabled || old == now)
		return false;
	vq->signalled_used = now;
	ring_full_barrier(); /* the used index is visible before the driver's wishes are read */
	if (vq->event_idx)
		return virtq_need_event(ring_load16(virtq_used_event(vq)), now, old);
	return !(ring_load16(&vq->avail->flags) & VIRTQ_AVAIL_F_NO_INTERRUPT);
}

void virtq_unpop(struct virtq *vq)
{
	vq->last_avail--;
}

int virtq_serve(struct virtq *vq, virtq_handler_fn handler, void *opaque)
{
	unsigned int served = 0;
	struct virtq_chain *chain;
	int ret;

	do {
		while ((ret = virtq_pop(vq, &chain)) > 0) {
			uint32_t written = 0;

			ret = handler(opaque, vq, chain, &written);
			if (ret < 0)
				return ret;
			if (ret != VIRTQ_DEFERRED)
				virtq_push(vq, chain, written);
			if (++served == VIRTQ_SERVE_BUDGET)
				return 1;
		}
		if (ret < 0)
			return ret;
	} while (virtq_arm_notify(vq));
	return 0;
}

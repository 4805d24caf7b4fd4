/* Xen's memory_op: ballooning, shared_info and grant frames, the memory map, the top of RAM. */
#include <string.h>

#include "devices/xen/ops-internal.h"
#include "hv-roles/policy.h"

#define XEN_PAGE_SHIFT 12

/* struct xen_memory_reservation in either layout. */
struct xen_reservation {
	uint64_t extent_start; /* guest address of a xen_pfn_t array */
	uint64_t nr_extents;
	uint32_t extent_order;
	uint16_t domid;
};

static int xen_read_reservation(const struct xen_call *call, const struct xen_guest_ops *ops,
				uint64_t gva, struct xen_reservation *r)
{
	if (call->long_mode) {
		struct xen_memory_reservation64 r64;

		if (xen_copy_from_guest(ops, gva, &r64, sizeof(r64)))
			return -XEN_EFAULT;
		*r = (struct xen_reservation){ r64.extent_start, r64.nr_extents, r64.extent_order,
					       r64.domid };
	} else {
		struct xen_memory_reservation32 r32;

		if (xen_copy_from_guest(ops, gva, &r32, sizeof(r32)))
			return -XEN_EFAULT;
		*r = (struct xen_reservation){ r32.extent_start, r32.nr_extents, r32.extent_order,
					       r32.domid };
	}
	return 0;
}

/* Extent i: a xen_pfn_t, 8 bytes for a 64-bit caller and 4 for a 32-bit one. */
static int xen_read_extent(const struct xen_call *call, const struct xen_guest_ops *ops,
			   const struct xen_reservation *r, uint64_t i, uint64_t *gfn)
{
	size_t size = call->long_mode ? sizeof(uint64_t) : sizeof(uint32_t);
	uint64_t gva;
	uint32_t gfn32;

	if (!xen_guest_array_elem(call, r->extent_start, i, size, &gva))
		return -XEN_EFAULT;
	if (call->long_mode)
		return xen_copy_from_guest(ops, gva, gfn, size);
	if (xen_copy_from_guest(ops, gva, &gfn32, size))
		return -XEN_EFAULT;
	*gfn = gfn32;
	return 0;
}

enum xen_reservation_op {
	XEN_RESERVATION_INCREASE,
	XEN_RESERVATION_DECREASE,
	XEN_RESERVATION_POPULATE,
};

/*
 * increase_reservation, decrease_reservation, populate_physmap.
 *
 * They answer as Xen's do: the number of extents done, counted from the
 * first extent cmd names (start_extent, cmd >> MEMOP_EXTENT_SHIFT, normally
 * 0), so the guest compares it with nr_extents; the first extent that fails
 * ends the call.  At most XEN_EXTENTS_PER_CALL extents are served per call:
 * where Xen would continue the hypercall itself, kdom's caller sees a
 * partial count and may call again from there (Linux asks for at most 512).
 *
 * A request kdom refuses outright is an error, where Xen would answer "none
 * done": an unreadable reservation -EFAULT, another domain's -EPERM, extents
 * larger than one page -EINVAL (kdom's RAM is one fixed range of 4 KiB
 * pages), and decrease_reservation of a domain with pass-through devices
 * -EPERM (its RAM is pinned for DMA: a released page would stay mapped for
 * the device).
 *
 *  - decrease_reservation releases each frame (ops->release_page): the host
 *    memory goes, the frame reads as zeros when touched again.
 *  - populate_physmap reads the frames to fill from the array, like Xen for
 *    HVM (nothing is written back): a RAM frame is always backed, so each
 *    RAM frame succeeds (ops->is_ram) and the first other one ends the call.
 *  - increase_reservation: for an HVM guest Xen allocates pages and maps
 *    them nowhere (the array is output, for PV guests only); kdom has no
 *    pages beyond the domain's RAM to give, so none is done.
 */
static int64_t xen_memory_reservation(struct xen_domain *xd, const struct xen_call *call,
				      const struct xen_guest_ops *ops, enum xen_reservation_op op,
				      uint64_t start_extent)
{
	struct xen_reservation r;
	uint64_t end, i;

	if (xen_read_reservation(call, ops, call->arg[1], &r))
		return -XEN_EFAULT;
	if (!xen_domid_is_self(xd, r.domid))
		return -XEN_EPERM;
	if (r.extent_order != 0)
		return -XEN_EINVAL;
	if (op == XEN_RESERVATION_DECREASE && xd->passthrough)
		return -XEN_EPERM;
	if (start_extent >= r.nr_extents || op == XEN_RESERVATION_INCREASE)
		return start_extent;
	end = r.nr_extents - start_extent > XEN_EXTENTS_PER_CALL
		      ? start_extent + XEN_EXTENTS_PER_CALL
		      : r.nr_extents;
	for (i = start_extent; i < end; i++) {
		uint64_t gfn;

		if (xen_read_extent(call, ops, &r, i, &gfn) || gfn >= XEN_GFN_LIMIT)
			break;
		if (op == XEN_RESERVATION_DECREASE ? ops->release_page(ops->opaque, gfn) != 0
						   : !ops->is_ram(ops->opaque, gfn))
			break;
	}
	return i;
}

/* struct xen_add_to_physmap in either layout. */
struct xen_physmap_request {
	uint16_t domid;
	uint32_t space;
	uint64_t idx;
	uint64_t gpfn;
};

static int xen_read_physmap_request(const struct xen_call *call, const struct xen_guest_ops *ops,
				    uint64_t gva, struct xen_physmap_request *req)
{
	if (call->long_mode) {
		struct xen_add_to_physmap64 a;

		if (xen_copy_from_guest(ops, gva, &a, sizeof(a)))
			return -XEN_EFAULT;
		*req = (struct xen_physmap_request){ a.domid, a.space, a.idx, a.gpfn };
	} else {
		struct xen_add_to_physmap32 a;

		if (xen_copy_from_guest(ops, gva, &a, sizeof(a)))
			return -XEN_EFAULT;
		*req = (struct xen_physmap_request){ a.domid, a.space, a.idx, a.gpfn };
	}
	return 0;
}

/* A zeroed page at gpfn, remembered in *where. */
static int64_t xen_map_zero_page(struct xen_domain *xd, const struct xen_guest_ops *ops,
				 uint64_t gpfn, uint64_t *where)
{
	int ret;

	pthread_mutex_lock(&xd->lock);
	ret = ops->map_zero_page(ops->opaque, gpfn);
	if (ret >= 0)
		*where = gpfn;
	pthread_mutex_unlock(&xd->lock);
	return ret < 0 ? ret : 0; /* a host errno: Xen numbers errors as Linux does */
}

/*
 * add_to_physmap: the caller's own shared_info page (index 0) and grant
 * frame 0, each a zeroed page (no event is ever delivered, nothing is ever
 * granted).  A later call moves the page; the old frame keeps what it
 * holds.  Xen answers an index it has no frame for, and a space it cannot
 * map from, with -EINVAL (the grant table has one frame, v1: no status
 * frames); the spaces that move or borrow RAM are Xen's but not kdom's:
 * -EOPNOTSUPP.  Another domain's physmap: -EPERM.
 */
static int64_t xen_add_to_physmap(struct xen_domain *xd, const struct xen_call *call,
				  const struct xen_guest_ops *ops)
{
	struct xen_physmap_request req;

	if (xen_read_physmap_request(call, ops, call->arg[1], &req))
		return -XEN_EFAULT;
	if (!xen_domid_is_self(xd, req.domid))
		return -XEN_EPERM;
	switch (req.space) {
	case XENMAPSPACE_shared_info:
	case XENMAPSPACE_grant_table:
		if (req.idx != 0 || req.gpfn >= XEN_GFN_LIMIT)
			return -XEN_EINVAL;
		return xen_map_zero_page(xd, ops, req.gpfn,
					 req.space == XENMAPSPACE_shared_info ? &xd->shared_info_gfn
									      : &xd->grant_gfn);
	case XENMAPSPACE_gmfn:
	case XENMAPSPACE_gmfn_range:
	case XENMAPSPACE_gmfn_foreign:
	case XENMAPSPACE_dev_mmio:
		return -XEN_EOPNOTSUPP;
	default:
		return -XEN_EINVAL;
	}
}

/*
 * XENMEM_memory_map: as many of the domain's E820 entries as the guest has
 * room for (nr_entries), and how many were written.  Xen answers -ENOSYS for
 * a domain without a map.
 */
static int64_t xen_memory_map(const struct xen_call *call, const struct xen_guest_ops *ops)
{
	struct xen_e820_entry map[XEN_MEMORY_MAP_MAX];
	uint64_t gva = call->arg[1], buffer, at;
	uint32_t room;
	unsigned int n;

	if (call->long_mode) {
		struct xen_memory_map64 m;

		if (xen_copy_from_guest(ops, gva, &m, sizeof(m)))
			return -XEN_EFAULT;
		room = m.nr_entries;
		buffer = m.buffer;
	} else {
		struct xen_memory_map32 m;

		if (xen_copy_from_guest(ops, gva, &m, sizeof(m)))
			return -XEN_EFAULT;
		room = m.nr_entries;
		buffer = m.buffer;
	}
	n = ops->memory_map(ops->opaque, map, XEN_MEMORY_MAP_MAX);
	if (n == 0)
		return -XEN_ENOSYS;
	if (n > XEN_MEMORY_MAP_MAX)
		n = XEN_MEMORY_MAP_MAX;
	if (n > room)
		n = room;
	if (n && (!xen_guest_array_elem(call, buffer, 0, (uint64_t)n * sizeof(map[0]), &at) ||
		  xen_copy_to_guest(ops, at, map, n * sizeof(map[0]))))
		return -XEN_EFAULT;
	if (call->long_mode) {
		struct xen_memory_map64 m = { .nr_entries = n, .buffer = buffer };

		return xen_copy_to_guest(ops, gva, &m, sizeof(m));
	} else {
		struct xen_memory_map32 m = { .nr_entries = n, .buffer = (uint32_t)buffer };

		return xen_copy_to_guest(ops, gva, &m, sizeof(m));
	}
}

/*
 * XENMEM_maximum_ram_page: Xen answers the host's highest machine frame
 * + 1.  The hardware domain is told that (policy_sees_host_memory()); any
 * other kdom guest has only its own frames, so it is the frame above the
 * domain's highest RAM (from its memory map, which places RAM around the
 * MMIO hole), or its page count without a map.
 */
static int64_t xen_maximum_ram_page(struct xen_domain *xd, const struct xen_guest_ops *ops)
{
	struct xen_e820_entry map[XEN_MEMORY_MAP_MAX];
	unsigned int n;
	uint64_t top = 0;

	/* The hardware domain is told the host's, as Xen tells every domain. */
	if (policy_sees_host_memory(xd->domain) && ops->host_max_page &&
	    (top = ops->host_max_page(ops->opaque)) != 0)
		return (int64_t)top;
	n = ops->memory_map(ops->opaque, map, XEN_MEMORY_MAP_MAX);
	if (n > XEN_MEMORY_MAP_MAX)
		n = XEN_MEMORY_MAP_MAX;
	for (unsigned int i = 0; i < n; i++) {
		uint64_t end;

		if (map[i].type != XEN_E820_RAM ||
		    __builtin_add_overflow(map[i].addr, map[i].size, &end))
			continue;
		if (end >> XEN_PAGE_SHIFT > top)
			top = end >> XEN_PAGE_SHIFT;
	}
	return top ? (int64_t)top : (int64_t)xd->ram_pages;
}

/*
 * memory_op's cmd is an unsigned long: the op in its low bits, where a
 * reservation op resumes above them (other ops ignore those bits, as Xen's
 * do here).
 */
int64_t xen_memory_op(struct xen_domain *xd, const struct xen_call *call,
		      const struct xen_guest_ops *ops)
{
	uint64_t start_extent = call->arg[0] >> MEMOP_EXTENT_SHIFT;

	switch (call->arg[0] & MEMOP_CMD_MASK) {
	case XENMEM_increase_reservation:
		return xen_memory_reservation(xd, call, ops, XEN_RESERVATION_INCREASE,
					      start_extent);
	case XENMEM_decrease_reservation:
		return xen_memory_reservation(xd, call, ops, XEN_RESERVATION_DECREASE,
					      start_extent);
	case XENMEM_populate_physmap:
		return xen_memory_reservation(xd, call, ops, XEN_RESERVATION_POPULATE,
					      start_extent);
	case XENMEM_maximum_ram_page:
		return xen_maximum_ram_page(xd, ops);
	case XENMEM_add_to_physmap:
		return xen_add_to_physmap(xd, call, ops);
	case XENMEM_memory_map:
		return xen_memory_map(call, ops);
	default:
		return -XEN_ENOSYS;
	}
}

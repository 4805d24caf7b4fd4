/* What the Xen hypercall families share: guest copies, bounds, one handler per hypercall. */
#ifndef KDOM_DEVICES_XEN_OPS_INTERNAL_H
#define KDOM_DEVICES_XEN_OPS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devices/xen/ops.h"

/*
 * Bounds on one call's work, whatever the guest asks: a guest cannot make
 * kdom loop or allocate in proportion to a number it chose.
 */
#define XEN_EXTENTS_PER_CALL 1024		   /* reservation extents served per memory_op */
#define XEN_DOMAINS_PER_CALL KDOM_DOMINFO_LIST_MAX /* getdomaininfolist entries */
#define XEN_MEMORY_MAP_MAX 128			   /* E820 entries XENMEM_memory_map serves */
#define XEN_GFN_LIMIT (1ull << 40)		   /* frames of 52-bit guest-physical space */

/* Copy len bytes from guest linear address gva: 0 or -XEN_EFAULT. */
static inline int xen_copy_from_guest(const struct xen_guest_ops *ops, uint64_t gva, void *buf,
				      size_t len)
{
	return ops->read(ops->opaque, gva, buf, len) ? -XEN_EFAULT : 0;
}

/* Copy len bytes to guest linear address gva: 0 or -XEN_EFAULT. */
static inline int xen_copy_to_guest(const struct xen_guest_ops *ops, uint64_t gva, const void *buf,
				    size_t len)
{
	return ops->write(ops->opaque, gva, buf, len) ? -XEN_EFAULT : 0;
}

/*
 * Where element index of a guest array at base lies, each element size
 * bytes: false when it would end past the top of the caller's address space
 * (2^64, or 4 GiB for a 32-bit caller), so that no index wraps around.
 */
static inline bool xen_guest_array_elem(const struct xen_call *call, uint64_t base, uint64_t index,
					uint64_t size, uint64_t *gva)
{
	uint64_t offset, end;

	if (__builtin_mul_overflow(index, size, &offset) ||
	    __builtin_add_overflow(base, offset, gva) || __builtin_add_overflow(*gva, size, &end))
		return false;
	return call->long_mode || end <= (1ull << 32);
}

/* Whether a domid_t the guest passed names the caller (DOMID_SELF or its own domid). */
static inline bool xen_domid_is_self(const struct xen_domain *xd, uint32_t domid)
{
	return domid == XEN_DOMID_SELF || domid == xd->domain->domid;
}

/*
 * One handler per hypercall: the call's result for rax.  Arguments Xen
 * declares as int or unsigned int are taken as their low 32 bits, as Xen's
 * own prototypes take them from a 64-bit register.
 */
int64_t xen_console_io(struct xen_domain *xd, const struct xen_call *call,
		       const struct xen_guest_ops *ops);
int64_t xen_version_op(struct xen_domain *xd, const struct xen_call *call,
		       const struct xen_guest_ops *ops);
int64_t xen_hvm_op(struct xen_domain *xd, const struct xen_call *call,
		   const struct xen_guest_ops *ops);
int64_t xen_sched_op(struct xen_domain *xd, const struct xen_call *call,
		     const struct xen_guest_ops *ops);
int64_t xen_memory_op(struct xen_domain *xd, const struct xen_call *call,
		      const struct xen_guest_ops *ops);
int64_t xen_event_channel_op(struct xen_domain *xd, const struct xen_call *call,
			     const struct xen_guest_ops *ops);
int64_t xen_grant_table_op(struct xen_domain *xd, const struct xen_call *call,
			   const struct xen_guest_ops *ops);
int64_t xen_domctl_op(struct xen_domain *xd, const struct xen_call *call,
		      const struct xen_guest_ops *ops);
int64_t xen_sysctl_op(struct xen_domain *xd, const struct xen_call *call,
		      const struct xen_guest_ops *ops);

/* SCHEDOP_remote_shutdown as kdom's port serves KDOM_SCHEDOP_REMOTE_SHUTDOWN (same policy). */
int64_t xen_manage_remote_shutdown(struct xen_domain *xd, const struct xen_guest_ops *ops,
				   uint32_t domid, uint32_t reason);

#endif

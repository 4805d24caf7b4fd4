/* Xen's sched_op: yield, block, poll, the caller's shutdown and another domain's. */
#include "devices/xen/ops-internal.h"

static bool xen_shutdown_reason_valid(uint32_t reason)
{
	return reason <= SHUTDOWN_watchdog;
}

/*
 * SCHEDOP_shutdown: Xen records any reason; kdom acts on the reason, so one
 * it does not know is -EINVAL, as on kdom's port.
 */
static int64_t xen_sched_shutdown(const struct xen_guest_ops *ops, uint64_t gva)
{
	struct sched_shutdown shutdown;

	if (xen_copy_from_guest(ops, gva, &shutdown, sizeof(shutdown)))
		return -XEN_EFAULT;
	if (!xen_shutdown_reason_valid(shutdown.reason))
		return -XEN_EINVAL;
	ops->shutdown(ops->opaque, shutdown.reason);
	return 0;
}

static int64_t xen_sched_remote_shutdown(struct xen_domain *xd, const struct xen_guest_ops *ops,
					 uint64_t gva)
{
	struct sched_remote_shutdown remote;

	if (xen_copy_from_guest(ops, gva, &remote, sizeof(remote)))
		return -XEN_EFAULT;
	return xen_manage_remote_shutdown(xd, ops, remote.domain_id, remote.reason);
}

/*
 * No event ever becomes pending (nothing is bound to a port), so block and
 * poll return at once, as Xen's do when an event is already pending; the
 * guest's own timer or interrupt wakes it as usual.
 */
int64_t xen_sched_op(struct xen_domain *xd, const struct xen_call *call,
		     const struct xen_guest_ops *ops)
{
	switch ((uint32_t)call->arg[0]) {
	case SCHEDOP_yield:
	case SCHEDOP_block:
	case SCHEDOP_poll:
		return 0;
	case SCHEDOP_shutdown:
		return xen_sched_shutdown(ops, call->arg[1]);
	case SCHEDOP_remote_shutdown:
		return xen_sched_remote_shutdown(xd, ops, call->arg[1]);
	default:
		return -XEN_ENOSYS;
	}
}

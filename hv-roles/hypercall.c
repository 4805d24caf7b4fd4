/* Hypercall op handlers, numbered as Xen's public headers number them. */
#include "hv-roles/hypercall.h"

#include <stdbool.h>

#include "hv-roles/policy.h"

static int64_t hypercall_xen_version(const struct domain *caller, struct kdom_hypercall *req)
{
	switch (req->cmd) {
	case KDOM_XENVER_VERSION:
		return (KDOM_VERSION_MAJOR << 16) | KDOM_VERSION_MINOR;
	case KDOM_XENVER_GET_FEATURES: {
		uint32_t submap = 0;

		if (req->arg[0] != 0) {
			/* Xen answers unknown submaps with an empty map, not an error. */
			req->arg[1] = 0;
			return 0;
		}
		submap = policy_xen_features(caller);
		req->arg[1] = submap;
		return 0;
	}
	default:
		return -KDOM_ENOSYS;
	}
}

static bool shutdown_reason_valid(uint64_t reason)
{
	switch (reason) {
	case KDOM_SHUTDOWN_POWEROFF:
	case KDOM_SHUTDOWN_REBOOT:
	case KDOM_SHUTDOWN_SUSPEND:
	case KDOM_SHUTDOWN_CRASH:
	case KDOM_SHUTDOWN_WATCHDOG:
		return true;
	default:
		return false;
	}
}

/*
 * Management ops: a domain without management rights at all
 * (policy_may_request_management()) is refused here, before anything about
 * other domains is looked at; the toolstack decides the rest through the
 * policy module.
 */
static int64_t hypercall_manage(const struct domain *caller, const struct hypercall_ops *ops,
				struct kdom_hypercall *req)
{
	if (policy_may_request_management(caller)) {
		if (ops->refused)
			ops->refused(ops->opaque, req);
		return -KDOM_EPERM;
	}
	if (!ops->manage)
		return -KDOM_ENOSYS; /* `kdom run`: no toolstack, no other domains */
	return ops->manage(ops->opaque, req);
}

static bool domctl_known(uint32_t cmd)
{
	return cmd >= KDOM_DOMCTL_CREATEDOMAIN && cmd <= KDOM_DOMCTL_GETDOMAININFO;
}

static int64_t hypercall_sched_op(const struct domain *caller, const struct hypercall_ops *ops,
				  struct kdom_hypercall *req)
{
	switch (req->cmd) {
	case KDOM_SCHEDOP_YIELD:
		return 0;
	case KDOM_SCHEDOP_SHUTDOWN:
		if (!shutdown_reason_valid(req->arg[0]))
			return -KDOM_EINVAL;
		if (req->arg[1] > KDOM_RESULT_FAILURE)
			return -KDOM_EINVAL;
		ops->shutdown(ops->opaque, (uint32_t)req->arg[0], (uint32_t)req->arg[1]);
		return 0;
	case KDOM_SCHEDOP_REMOTE_SHUTDOWN:
		if (!shutdown_reason_valid(req->arg[1]))
			return policy_may_request_management(caller) ? -KDOM_EPERM : -KDOM_EINVAL;
		return hypercall_manage(caller, ops, req);
	default:
		return -KDOM_ENOSYS;
	}
}

/*
 * kdom_op: what Xen guests read from xenstore's control/shutdown, kdom
 * answers through the hypercall port (no xenstore here).
 */
static int64_t hypercall_kdom_op(const struct domain *caller, const struct hypercall_ops *ops,
				 struct kdom_hypercall *req)
{
	uint32_t request;

	switch (req->cmd) {
	case KDOM_KDOMOP_GET_CONTROL_REQUEST:
		request = ops->control_request ? ops->control_request(ops->opaque) : 0;
		req->arg[0] = request != 0;
		req->arg[1] = request ? request - 1 : 0;
		return 0;
	case KDOM_KDOMOP_GET_MEMORY_EXTENT: {
		bool host = policy_sees_host_memory(caller);

		req->arg[0] = req->arg[1] = 0;
		if (ops->memory_extent)
			ops->memory_extent(ops->opaque, host, &req->arg[0], &req->arg[1]);
		req->arg[2] = host;
		return 0;
	}
	case KDOM_KDOMOP_LAUNCH_FINALIZE:
	case KDOM_KDOMOP_GET_DOM_EXC:
		return hypercall_manage(caller, ops, req);
	default:
		return -KDOM_ENOSYS;
	}
}

void hypercall_dispatch(const struct domain *caller, const struct hypercall_ops *ops,
			struct kdom_hypercall *req)
{
	switch (req->op) {
	case KDOM_HC_XEN_VERSION:
		req->ret = hypercall_xen_version(caller, req);
		break;
	case KDOM_HC_SCHED_OP:
		req->ret = hypercall_sched_op(caller, ops, req);
		break;
	case KDOM_HC_KDOM_OP:
		req->ret = hypercall_kdom_op(caller, ops, req);
		break;
	case KDOM_HC_DOMCTL:
		req->ret =
			domctl_known(req->cmd) ? hypercall_manage(caller, ops, req) : -KDOM_ENOSYS;
		break;
	case KDOM_HC_SYSCTL:
		req->ret = req->cmd == KDOM_SYSCTL_GETDOMAININFOLIST
				   ? hypercall_manage(caller, ops, req)
				   : -KDOM_ENOSYS;
		break;
	default:
		req->ret = -KDOM_ENOSYS;
		break;
	}
}

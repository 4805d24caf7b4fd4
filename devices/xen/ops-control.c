/* Xen's domctl and sysctl (Xen 4.18's interface) and remote shutdown, on kdom's management path. */
#include <string.h>

#include "devices/xen/ops-internal.h"
#include "hv-roles/hypercall.h"
#include "hv-roles/policy.h"

/* kdom's GETDOMAININFO flags are Xen's XEN_DOMINF_* bits, so they pass through. */
_Static_assert(KDOM_DOMINF_DYING == XEN_DOMINF_dying, "dying");
_Static_assert(KDOM_DOMINF_SHUTDOWN == XEN_DOMINF_shutdown, "shutdown");
_Static_assert(KDOM_DOMINF_PAUSED == XEN_DOMINF_paused, "paused");
_Static_assert(KDOM_DOMINF_RUNNING == XEN_DOMINF_running, "running");
_Static_assert(KDOM_DOMINF_SHUTDOWNSHIFT == XEN_DOMINF_shutdownshift, "shutdown code");

#define XEN_DOMINF_FROM_KDOM                                                               \
	(XEN_DOMINF_dying | XEN_DOMINF_shutdown | XEN_DOMINF_paused | XEN_DOMINF_running | \
	 XEN_DOMINF_shutdownmask << XEN_DOMINF_shutdownshift)

/*
 * Every management request is served as kdom's port serves it, through its
 * dispatcher: the same role filter (policy_may_request_management, with
 * ops->refused told), then ops->manage, -ENOSYS without a toolstack.  Only
 * management ops come here, which never reach the port's shutdown callback.
 */
static int64_t xen_manage(struct xen_domain *xd, const struct xen_guest_ops *ops,
			  struct kdom_hypercall *req)
{
	struct hypercall_ops port = {
		.manage = ops->manage,
		.refused = ops->refused,
		.opaque = ops->opaque,
	};

	hypercall_dispatch(xd->domain, &port, req);
	return req->ret;
}

int64_t xen_manage_remote_shutdown(struct xen_domain *xd, const struct xen_guest_ops *ops,
				   uint32_t domid, uint32_t reason)
{
	struct kdom_hypercall req = {
		.op = KDOM_HC_SCHED_OP,
		.cmd = KDOM_SCHEDOP_REMOTE_SHUTDOWN,
		.arg = { domid, reason },
	};

	return xen_manage(xd, ops, &req);
}

/*
 * A domain without management rights learns nothing from domctl and
 * sysctl, not even whether its structure was readable or of the right
 * version: it is refused before anything is read (cmd 0 for the log).
 */
static int64_t xen_manage_refused(struct xen_domain *xd, const struct xen_guest_ops *ops,
				  uint32_t kdom_op)
{
	struct kdom_hypercall req = { .op = kdom_op };

	if (policy_may_request_management(xd->domain) == 0)
		return 0;
	if (ops->refused)
		ops->refused(ops->opaque, &req);
	return -XEN_EPERM;
}

/*
 * Xen's description of a domain from kdom's GETDOMAININFO answer (domid,
 * KDOM_DOMINF_* flags, pages, vCPUs | roles << 32).  Every kdom domain is
 * HVM in Xen's terms (PVH).  What kdom does not track reads as zero: shared,
 * paged and outstanding pages, the shared_info frame, CPU time, the handle
 * (kdom's management path does not carry other domains' UUIDs), pool 0.
 */
static void xen_dominfo_from_kdom(const struct kdom_hypercall *req,
				  struct xen_domctl_getdomaininfo *info)
{
	uint32_t vcpus = (uint32_t)req->arg[3];

	memset(info, 0, sizeof(*info));
	info->domain = (uint16_t)req->arg[0];
	info->flags = ((uint32_t)req->arg[1] & XEN_DOMINF_FROM_KDOM) | XEN_DOMINF_hvm_guest;
	info->tot_pages = req->arg[2];
	info->max_pages = req->arg[2];
	info->nr_online_vcpus = vcpus;
	info->max_vcpu_id = vcpus ? vcpus - 1 : XEN_INVALID_MAX_VCPU_ID;
}

/*
 * kdom's GETDOMAININFO: the first domain from domid up that the caller may
 * see, in *info, its domid in *found; -ESRCH when there is none.
 */
static int64_t xen_getdomaininfo(struct xen_domain *xd, const struct xen_guest_ops *ops,
				 uint32_t domid, struct xen_domctl_getdomaininfo *info,
				 uint32_t *found)
{
	struct kdom_hypercall req = {
		.op = KDOM_HC_DOMCTL,
		.cmd = KDOM_DOMCTL_GETDOMAININFO,
		.arg = { domid },
	};
	int64_t ret = xen_manage(xd, ops, &req);

	if (ret)
		return ret < 0 ? ret : -XEN_EINVAL;
	/* An answer below what was asked, or out of range, would loop or lie. */
	if (req.arg[0] < domid || req.arg[0] > DOMAIN_DOMID_MAX)
		return -XEN_ESRCH;
	xen_dominfo_from_kdom(&req, info);
	*found = (uint32_t)req.arg[0];
	return 0;
}

/* destroydomain, pausedomain, unpausedomain: kdom's op of the same name on domid. */
static int64_t xen_domctl_target(struct xen_domain *xd, const struct xen_guest_ops *ops,
				 uint32_t kdom_cmd, uint16_t domid)
{
	struct kdom_hypercall req = { .op = KDOM_HC_DOMCTL, .cmd = kdom_cmd, .arg = { domid } };

	return xen_manage(xd, ops, &req);
}

/*
 * domctl (arg0: struct xen_domctl).  As in Xen: a structure of another
 * interface version -EACCES; getdomaininfo describes exactly the domain
 * asked for (-ESRCH otherwise, also for one the caller may not see) and
 * writes the whole structure back.  Creating a domain takes a kernel and a
 * configuration kdom's port carries and Xen's createdomain does not:
 * -EOPNOTSUPP.
 */
int64_t xen_domctl_op(struct xen_domain *xd, const struct xen_call *call,
		      const struct xen_guest_ops *ops)
{
	struct xen_domctl domctl;
	uint64_t gva = call->arg[0];
	uint32_t found;
	int64_t ret;

	ret = xen_manage_refused(xd, ops, KDOM_HC_DOMCTL);
	if (ret)
		return ret;
	if (xen_copy_from_guest(ops, gva, &domctl, sizeof(domctl)))
		return -XEN_EFAULT;
	if (domctl.interface_version != XEN_DOMCTL_INTERFACE_VERSION)
		return -XEN_EACCES;
	switch (domctl.cmd) {
	case XEN_DOMCTL_createdomain:
		return -XEN_EOPNOTSUPP;
	case XEN_DOMCTL_destroydomain:
		return xen_domctl_target(xd, ops, KDOM_DOMCTL_DESTROYDOMAIN, domctl.domain);
	case XEN_DOMCTL_pausedomain:
		return xen_domctl_target(xd, ops, KDOM_DOMCTL_PAUSEDOMAIN, domctl.domain);
	case XEN_DOMCTL_unpausedomain:
		return xen_domctl_target(xd, ops, KDOM_DOMCTL_UNPAUSEDOMAIN, domctl.domain);
	case XEN_DOMCTL_getdomaininfo:
		ret = xen_getdomaininfo(xd, ops, domctl.domain, &domctl.u.getdomaininfo, &found);
		if (ret)
			return ret;
		if (found != domctl.domain)
			return -XEN_ESRCH;
		return xen_copy_to_guest(ops, gva, &domctl, sizeof(domctl));
	default:
		return -XEN_ENOSYS;
	}
}

/*
 * getdomaininfolist: the domains the caller may see, from first_domain up,
 * by domid, at most max_domains of them, one kdom GETDOMAININFO each (kdom's
 * own list writes to guest-physical memory; these structures go through
 * ops->write).  At most XEN_DOMAINS_PER_CALL are listed per call: a
 * toolstack pages on from the last domid + 1 when it got as many as it
 * asked for; one that asks for more at once sees the first 1024, which are
 * all a kdom host runs in practice (an error would fail the toolstacks
 * that ask for DOMID_FIRST_RESERVED entries).  An entry that cannot be
 * written is -EFAULT, as in Xen (those before it stay written).
 *
 * Each domain is listed under GETDOMAININFO's visibility rule: the
 * bootstrap domain after launch finalization, with no control role, gets
 * an empty list where kdom's port refuses its GETDOMAININFOLIST (-EPERM).
 */
static int64_t xen_sysctl_getdomaininfolist(struct xen_domain *xd, const struct xen_call *call,
					    const struct xen_guest_ops *ops,
					    struct xen_sysctl_getdomaininfolist *list)
{
	uint32_t max = list->max_domains, next = list->first_domain, n = 0;

	if (max > XEN_DOMAINS_PER_CALL)
		max = XEN_DOMAINS_PER_CALL;
	while (n < max && next <= DOMAIN_DOMID_MAX) {
		struct xen_domctl_getdomaininfo info;
		uint32_t found;
		uint64_t at;
		int64_t ret = xen_getdomaininfo(xd, ops, next, &info, &found);

		if (ret == -XEN_ESRCH)
			break;
		if (ret)
			return ret;
		if (!xen_guest_array_elem(call, list->buffer, n, sizeof(info), &at) ||
		    xen_copy_to_guest(ops, at, &info, sizeof(info)))
			return -XEN_EFAULT;
		n++;
		next = found + 1;
	}
	list->num_domains = n;
	return 0;
}

/* sysctl (arg0: struct xen_sysctl): as domctl; the structure is written back. */
int64_t xen_sysctl_op(struct xen_domain *xd, const struct xen_call *call,
		      const struct xen_guest_ops *ops)
{
	struct xen_sysctl sysctl;
	uint64_t gva = call->arg[0];
	int64_t ret;

	ret = xen_manage_refused(xd, ops, KDOM_HC_SYSCTL);
	if (ret)
		return ret;
	if (xen_copy_from_guest(ops, gva, &sysctl, sizeof(sysctl)))
		return -XEN_EFAULT;
	if (sysctl.interface_version != XEN_SYSCTL_INTERFACE_VERSION)
		return -XEN_EACCES;
	switch (sysctl.cmd) {
	case XEN_SYSCTL_getdomaininfolist:
		ret = xen_sysctl_getdomaininfolist(xd, call, ops, &sysctl.u.getdomaininfolist);
		if (ret)
			return ret;
		return xen_copy_to_guest(ops, gva, &sysctl, sizeof(sysctl));
	default:
		return -XEN_ENOSYS;
	}
}

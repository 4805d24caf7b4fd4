/* Xen hypercalls: per-domain state and the dispatch by hypercall number. */
#include "devices/xen/ops.h"

#include <string.h>

#include "devices/xen/ops-internal.h"

void xen_domain_init(struct xen_domain *xd, const struct domain *domain, uint64_t ram_pages,
		     bool passthrough)
{
	memset(xd, 0, sizeof(*xd));
	xd->domain = domain;
	xd->ram_pages = ram_pages;
	xd->passthrough = passthrough;
	pthread_mutex_init(&xd->lock, NULL);
	for (unsigned int port = 0; port < XEN_EVTCHN_PORTS; port++)
		xd->evtchn_state[port] = EVTCHNSTAT_closed;
	xd->shared_info_gfn = XEN_GFN_NONE;
	xd->grant_gfn = XEN_GFN_NONE;
}

void xen_domain_destroy(struct xen_domain *xd)
{
	pthread_mutex_destroy(&xd->lock);
}

int64_t xen_dispatch(struct xen_domain *xd, const struct xen_call *call,
		     const struct xen_guest_ops *ops)
{
	switch (call->op) {
	case __HYPERVISOR_console_io:
		return xen_console_io(xd, call, ops);
	case __HYPERVISOR_xen_version:
		return xen_version_op(xd, call, ops);
	case __HYPERVISOR_sched_op:
		return xen_sched_op(xd, call, ops);
	case __HYPERVISOR_hvm_op:
		return xen_hvm_op(xd, call, ops);
	case __HYPERVISOR_memory_op:
		return xen_memory_op(xd, call, ops);
	case __HYPERVISOR_event_channel_op:
		return xen_event_channel_op(xd, call, ops);
	case __HYPERVISOR_grant_table_op:
		return xen_grant_table_op(xd, call, ops);
	case __HYPERVISOR_domctl:
		return xen_domctl_op(xd, call, ops);
	case __HYPERVISOR_sysctl:
		return xen_sysctl_op(xd, call, ops);
	case __HYPERVISOR_vcpu_op: /* no per-vCPU areas or timers: guests fall back */
	default:
		return -XEN_ENOSYS;
	}
}

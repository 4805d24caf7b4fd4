/* Xen's event_channel_op (2-level ports, never bound) and grant_table_op (nothing granted). */
#include <string.h>

#include "devices/xen/ops-internal.h"

/*
 * Ports are allocated, looked at and closed as Xen's are, but never bound
 * to anything that could raise them: kdom delivers no events.  Port 0 is
 * reserved (reads as closed, cannot be sent to or closed).  Only the
 * caller's own ports: naming another domain is -EPERM.  The table is
 * XEN_EVTCHN_PORTS long, like the first bucket of Xen's; a port beyond it
 * is invalid, -EINVAL, as Xen answers a port it has not allocated room for.
 */

/* Lowest free port from 1, unbound to remote_dom; the caller holds xd->lock. */
static int xen_evtchn_alloc_port(struct xen_domain *xd, uint16_t remote_dom)
{
	for (unsigned int port = 1; port < XEN_EVTCHN_PORTS; port++) {
		if (xd->evtchn_state[port] != EVTCHNSTAT_closed)
			continue;
		xd->evtchn_state[port] = EVTCHNSTAT_unbound;
		xd->evtchn_remote[port] = remote_dom;
		return port;
	}
	return -XEN_ENOSPC;
}

static void xen_evtchn_free_port(struct xen_domain *xd, uint32_t port)
{
	xd->evtchn_state[port] = EVTCHNSTAT_closed;
	xd->evtchn_remote[port] = 0;
}

/*
 * EVTCHNOP_alloc_unbound: a port another domain could bind (none ever
 * does).  Any remote domain is taken as given (DOMID_SELF: the caller);
 * kdom cannot tell which exist.  A port whose number cannot be written back
 * is freed again.
 */
static int64_t xen_evtchn_alloc_unbound(struct xen_domain *xd, const struct xen_guest_ops *ops,
					uint64_t gva)
{
	struct evtchn_alloc_unbound alloc;
	int64_t ret;
	int port;

	if (xen_copy_from_guest(ops, gva, &alloc, sizeof(alloc)))
		return -XEN_EFAULT;
	if (!xen_domid_is_self(xd, alloc.dom))
		return -XEN_EPERM;
	if (alloc.remote_dom == XEN_DOMID_SELF)
		alloc.remote_dom = (uint16_t)xd->domain->domid;
	pthread_mutex_lock(&xd->lock);
	port = xen_evtchn_alloc_port(xd, alloc.remote_dom);
	if (port < 0) {
		ret = port;
		goto out;
	}
	alloc.port = port;
	ret = xen_copy_to_guest(ops, gva, &alloc, sizeof(alloc));
	if (ret)
		xen_evtchn_free_port(xd, port);
out:
	pthread_mutex_unlock(&xd->lock);
	return ret;
}

static int64_t xen_evtchn_status(struct xen_domain *xd, const struct xen_guest_ops *ops,
				 uint64_t gva)
{
	struct evtchn_status status;

	if (xen_copy_from_guest(ops, gva, &status, sizeof(status)))
		return -XEN_EFAULT;
	if (!xen_domid_is_self(xd, status.dom))
		return -XEN_EPERM;
	if (status.port >= XEN_EVTCHN_PORTS)
		return -XEN_EINVAL;
	memset(&status.u, 0, sizeof(status.u));
	status.vcpu = 0; /* where it would notify */
	pthread_mutex_lock(&xd->lock);
	status.status = xd->evtchn_state[status.port];
	if (status.status == EVTCHNSTAT_unbound)
		status.u.unbound.dom = xd->evtchn_remote[status.port];
	pthread_mutex_unlock(&xd->lock);
	return xen_copy_to_guest(ops, gva, &status, sizeof(status));
}

/* EVTCHNOP_send: to an unbound port Xen drops the event silently; to a closed one -EINVAL. */
static int64_t xen_evtchn_send(struct xen_domain *xd, const struct xen_guest_ops *ops, uint64_t gva)
{
	struct evtchn_send send;
	int64_t ret;

	if (xen_copy_from_guest(ops, gva, &send, sizeof(send)))
		return -XEN_EFAULT;
	if (send.port >= XEN_EVTCHN_PORTS)
		return -XEN_EINVAL;
	pthread_mutex_lock(&xd->lock);
	ret = xd->evtchn_state[send.port] == EVTCHNSTAT_unbound ? 0 : -XEN_EINVAL;
	pthread_mutex_unlock(&xd->lock);
	return ret;
}

static int64_t xen_evtchn_close(struct xen_domain *xd, const struct xen_guest_ops *ops,
				uint64_t gva)
{
	struct evtchn_close close;
	int64_t ret = -XEN_EINVAL;

	if (xen_copy_from_guest(ops, gva, &close, sizeof(close)))
		return -XEN_EFAULT;
	if (close.port == 0 || close.port >= XEN_EVTCHN_PORTS)
		return -XEN_EINVAL;
	pthread_mutex_lock(&xd->lock);
	if (xd->evtchn_state[close.port] != EVTCHNSTAT_closed) {
		xen_evtchn_free_port(xd, close.port);
		ret = 0;
	}
	pthread_mutex_unlock(&xd->lock);
	return ret;
}

int64_t xen_event_channel_op(struct xen_domain *xd, const struct xen_call *call,
			     const struct xen_guest_ops *ops)
{
	uint64_t gva = call->arg[1];

	switch ((uint32_t)call->arg[0]) {
	case EVTCHNOP_alloc_unbound:
		return xen_evtchn_alloc_unbound(xd, ops, gva);
	case EVTCHNOP_status:
		return xen_evtchn_status(xd, ops, gva);
	case EVTCHNOP_send:
		return xen_evtchn_send(xd, ops, gva);
	case EVTCHNOP_close:
		return xen_evtchn_close(xd, ops, gva);
	case EVTCHNOP_init_control: /* a Xen without the FIFO ABI: guests keep 2-level */
	case EVTCHNOP_expand_array:
	default:
		return -XEN_ENOSYS;
	}
}

/*
 * GNTTABOP_query_size: one v1 frame, and no room to grow (add_to_physmap
 * maps frame 0 only).  As in Xen, the answer for another domain is a status
 * in the structure, not an error: GNTST_permission_denied.  set_version is
 * refused, so guests stay on v1; nothing else is served: nothing is ever
 * granted.
 */
static int64_t xen_gnttab_query_size(struct xen_domain *xd, const struct xen_guest_ops *ops,
				     uint64_t gva, uint32_t count)
{
	struct gnttab_query_size query;

	if (count != 1)
		return -XEN_EINVAL;
	if (xen_copy_from_guest(ops, gva, &query, sizeof(query)))
		return -XEN_EFAULT;
	if (xen_domid_is_self(xd, query.dom)) {
		query.nr_frames = 1;
		query.max_nr_frames = 1;
		query.status = GNTST_okay;
	} else {
		query.status = GNTST_permission_denied;
	}
	return xen_copy_to_guest(ops, gva, &query, sizeof(query));
}

int64_t xen_grant_table_op(struct xen_domain *xd, const struct xen_call *call,
			   const struct xen_guest_ops *ops)
{
	switch ((uint32_t)call->arg[0]) {
	case GNTTABOP_query_size:
		return xen_gnttab_query_size(xd, ops, call->arg[1], (uint32_t)call->arg[2]);
	case GNTTABOP_set_version:
	default:
		return -XEN_ENOSYS;
	}
}

/* Xen hypercall handlers (placeholder: the full set lands from the handlers' branch). */
#include "devices/xen/ops.h"

#include <string.h>

void xen_domain_init(struct xen_domain *xd, const struct domain *domain, uint64_t ram_pages,
		     bool passthrough)
{
	memset(xd, 0, sizeof(*xd));
	xd->domain = domain;
	xd->ram_pages = ram_pages;
	xd->passthrough = passthrough;
	pthread_mutex_init(&xd->lock, NULL);
}

void xen_domain_destroy(struct xen_domain *xd)
{
	pthread_mutex_destroy(&xd->lock);
}

int64_t xen_dispatch(struct xen_domain *xd, const struct xen_call *call,
		     const struct xen_guest_ops *ops)
{
	char buf[XEN_CONSOLE_WRITE_MAX];
	struct sched_shutdown sd;

	(void)xd;
	switch (call->op) {
	case __HYPERVISOR_xen_version:
		return call->arg[0] == XENVER_version ? XEN_VERSION_MAJOR << 16 | XEN_VERSION_MINOR
						      : -XEN_ENOSYS;
	case __HYPERVISOR_console_io:
		if (call->arg[0] != CONSOLEIO_write || call->arg[1] > sizeof(buf))
			return -XEN_EINVAL;
		if (ops->read(ops->opaque, call->arg[2], buf, call->arg[1]))
			return -XEN_EFAULT;
		ops->console_write(ops->opaque, buf, call->arg[1]);
		return 0;
	case __HYPERVISOR_sched_op:
		if (call->arg[0] != SCHEDOP_shutdown)
			return call->arg[0] == SCHEDOP_yield ? 0 : -XEN_ENOSYS;
		if (ops->read(ops->opaque, call->arg[1], &sd, sizeof(sd)))
			return -XEN_EFAULT;
		if (sd.reason > SHUTDOWN_watchdog)
			return -XEN_EINVAL;
		ops->shutdown(ops->opaque, sd.reason);
		return 0;
	default:
		return -XEN_ENOSYS;
	}
}

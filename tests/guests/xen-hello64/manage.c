/* xen-hello64's management mode: Xen's domctl and sysctl through the hypercall page. */
#include "guest.h"
#include "xen-hello64.h"
#include "xen-hypercall.h"

#define MAX_STEPS 12
#define LIST_MAX 16

static long domctl(uint32_t cmd, uint32_t domid, uint32_t version, struct xen_domctl *d)
{
	memset(d, 0, sizeof(*d));
	d->cmd = cmd;
	d->interface_version = version;
	d->domain = (uint16_t)domid;
	return xen_hypercall(__HYPERVISOR_domctl, (unsigned long)d, 0, 0, 0, 0);
}

/* sysctl getdomaininfolist from domid 0; the domids seen go to seen[] ("1+3"). */
static long list_domains(char *seen, size_t len)
{
	static struct xen_domctl_getdomaininfo info[LIST_MAX];
	struct xen_sysctl s = {
		.cmd = XEN_SYSCTL_getdomaininfolist,
		.interface_version = XEN_SYSCTL_INTERFACE_VERSION,
		.u.getdomaininfolist = { .first_domain = 0,
					 .max_domains = LIST_MAX,
					 .buffer = (uint64_t)(uintptr_t)info },
	};
	long ret = xen_hypercall(__HYPERVISOR_sysctl, (unsigned long)&s, 0, 0, 0, 0);
	size_t used = 0;

	seen[0] = '\0';
	for (uint32_t i = 0; ret == 0 && i < s.u.getdomaininfolist.num_domains && i < LIST_MAX; i++)
		used += snprintf(seen + used, len > used ? len - used : 0, "%s%u", i ? "+" : "",
				 info[i].domain);
	if (ret == 0 && !used)
		snprintf(seen, len, "none");
	return ret;
}

/* One step: OP or OP:DOMID.  Its result; *seen filled by a list. */
static long run_step(const char *op, uint32_t domid, char *seen, size_t len)
{
	struct xen_domctl d;

	if (!strcmp(op, "list"))
		return list_domains(seen, len);
	if (!strcmp(op, "info"))
		return domctl(XEN_DOMCTL_getdomaininfo, domid, XEN_DOMCTL_INTERFACE_VERSION, &d);
	if (!strcmp(op, "pause"))
		return domctl(XEN_DOMCTL_pausedomain, domid, XEN_DOMCTL_INTERFACE_VERSION, &d);
	if (!strcmp(op, "unpause"))
		return domctl(XEN_DOMCTL_unpausedomain, domid, XEN_DOMCTL_INTERFACE_VERSION, &d);
	if (!strcmp(op, "destroy"))
		return domctl(XEN_DOMCTL_destroydomain, domid, XEN_DOMCTL_INTERFACE_VERSION, &d);
	if (!strcmp(op, "create"))
		return domctl(XEN_DOMCTL_createdomain, domid, XEN_DOMCTL_INTERFACE_VERSION, &d);
	if (!strcmp(op, "oldversion"))
		return domctl(XEN_DOMCTL_getdomaininfo, domid, XEN_DOMCTL_INTERFACE_VERSION - 1,
			      &d);
	test_error("unknown step '%s'", op);
	return 0;
}

static const char *result_name(long ret)
{
	switch (ret) {
	case 0:
		return "ok";
	case -XEN_EPERM:
		return "eperm";
	case -XEN_ESRCH:
		return "esrch";
	case -XEN_EACCES:
		return "eacces";
	case -XEN_EOPNOTSUPP:
		return "eopnotsupp";
	case -XEN_EINVAL:
		return "einval";
	default:
		return "other";
	}
}

/* The index-th comma-separated word of list into buf; NULL past the end. */
static const char *nth(const char *list, unsigned int index, char *buf, size_t len)
{
	size_t n = 0;

	for (unsigned int i = 0; list && i < index; i++) {
		list = strchr(list, ',');
		if (list)
			list++;
	}
	if (!list || !*list)
		return NULL;
	while (list[n] && list[n] != ',' && n + 1 < len) {
		buf[n] = list[n];
		n++;
	}
	buf[n] = '\0';
	return buf;
}

bool xen_manage_mode(void)
{
	const char *steps = cmdline_get("do"), *wants = cmdline_get("want"),
		   *see = cmdline_get("see");
	char step[32], want[16], seen[64] = "", later[64];
	bool listed = false;

	if (!steps)
		return false;
	for (unsigned int i = 0; i < MAX_STEPS && nth(steps, i, step, sizeof(step)); i++) {
		char *colon = strchr(step, ':');
		uint64_t domid = 0;
		long ret;

		if (colon) {
			*colon = '\0';
			parse_u64(colon + 1, &domid);
		}
		ret = run_step(step, (uint32_t)domid, listed ? later : seen, sizeof(seen));
		listed = listed || !strcmp(step, "list");
		if (!nth(wants, i, want, sizeof(want)))
			snprintf(want, sizeof(want), "(none)");
		report(!strcmp(result_name(ret), want), "step %u, %s:%lu: %ld (%s, expected %s)", i,
		       step, domid, ret, result_name(ret), want);
	}
	if (see)
		report(!strcmp(seen, see), "the first list saw %s (expected %s)", seen, see);
	return true;
}

/* control: domain management from inside a guest — domctl, sysctl, remote shutdown, finalize. */
#include "guest.h"

const char test_title[] = "control: domctl/sysctl management through the hypercall port";

/*
 * do=STEP,STEP,...   each STEP is OP or OP:DOMID, run in order:
 *   list              sysctl getdomaininfolist from domid 0
 *   info:D            domctl getdomaininfo (the first visible domain >= D)
 *   pause:D unpause:D destroy:D
 *   poweroff:D crash:D   sched_op remote_shutdown with that reason
 *   create:V          domctl createdomain from module 0 (the kernel image the
 *                     launch gave this domain), named child=NAME (NAME1...); V 1 asks
 *                     for domid 0, 2 for the control role, 3 for a PCI device
 *   finalize          kdom_op launch_finalize
 *   domexc            kdom_op get_dom_exc (the count is printed)
 *   sleep:MS          wait (the others act meanwhile)
 * want=R,R,...       what each step must return: ok, eperm, esrch, einval,
 *                    ebusy, or a number (domexc's count, ">0" for any)
 * see=D+D+...        the exact domids the first list must see ("none" for none)
 * see2=D+D+...       the same for the second list
 * The test fails on the first mismatch's report but runs every step.
 */

#define MAX_STEPS 16

static const char *word(const char *list, unsigned int index, char sep, char *buf, size_t len)
{
	const char *p = list;

	for (unsigned int i = 0; p && i < index; i++) {
		p = strchr(p, sep);
		if (p)
			p++;
	}
	if (!p || !*p)
		return NULL;
	size_t n = 0;

	while (p[n] && p[n] != sep && p[n] != ' ' && n + 1 < len) {
		buf[n] = p[n];
		n++;
	}
	buf[n] = '\0';
	return buf;
}

static const char *errname(int64_t ret)
{
	switch (ret) {
	case 0:
		return "ok";
	case -KDOM_EPERM:
		return "eperm";
	case -KDOM_ESRCH:
		return "esrch";
	case -KDOM_EINVAL:
		return "einval";
	case -KDOM_EBUSY:
		return "ebusy";
	case -KDOM_ENOSYS:
		return "enosys";
	case -KDOM_EFAULT:
		return "efault";
	default:
		return ret > 0 ? "ok" : "error";
	}
}

static uint64_t number(const char *s)
{
	uint64_t v = 0;

	return parse_u64(s, &v) ? v : ~0ull;
}

static bool result_matches(const char *want, int64_t ret, bool counted)
{
	if (!want)
		return false;
	if (counted && want[0] == '>')
		return ret > (int64_t)number(want + 1);
	if (counted && want[0] >= '0' && want[0] <= '9')
		return ret == (int64_t)number(want);
	return !strcmp(want, errname(ret));
}

static int64_t do_list(void)
{
	static struct kdom_dominfo infos[64];
	uint64_t args[4] = { 0, (uint64_t)infos, 64 };
	int64_t n = hypercall(KDOM_HC_SYSCTL, KDOM_SYSCTL_GETDOMAININFOLIST, args);
	static unsigned int lists;
	const char *see = cmdline_get(lists++ ? "see2" : "see");
	char seen[256] = "", want[256];
	size_t len = 0;

	for (int64_t i = 0; i < n && i < 64; i++)
		len += snprintf(seen + len, sizeof(seen) - len, "%s%u", i ? "+" : "",
				infos[i].domid);
	if (n > 0)
		printf("list: %s\n", seen);
	if (n >= 0 && see) {
		snprintf(want, sizeof(want), "%s", see);
		report(!strcmp(want, n ? seen : "none"), "list sees %s (expected %s)",
		       n ? seen : "none", want);
	}
	return n >= 0 ? 0 : n;
}

/*
 * The kernel image the launch handed this domain as module 0.  variant
 * (create:V) shapes the config: 0 plain, 1 asks for domid 0, 2 for the
 * control role, 3 for a PCI device; childlabel=L labels it.
 */
static int64_t do_create(uint64_t variant)
{
	static const char *const extras[] = {
		"",
		"domid = 0\n",
		"control = 1\n",
		"pci = [ \"vfio-user:/nonexistent.sock\" ]\ndriver_domain = 1\n",
	};
	const struct hvm_start_info *si = start_info();
	const struct hvm_modlist_entry *mod;
	static char config[512];
	const char *child = cmdline_get("child"), *label = cmdline_get("childlabel");
	uint64_t args[4];
	int64_t ret;
	size_t len;

	if (!si || si->nr_modules < 1) {
		test_error("create: no module 0 to create a domain from");
		return -KDOM_EINVAL;
	}
	if (variant >= sizeof(extras) / sizeof(extras[0]))
		variant = 0;
	mod = (const void *)si->modlist_paddr;
	/* The plain variant is named child=NAME itself; the others NAME1, NAME2, ... */
	len = snprintf(config, sizeof(config), "name = \"%s", child ? child : "child");
	if (variant)
		len += snprintf(config + len, sizeof(config) - len, "%llu",
				(unsigned long long)variant);
	len += snprintf(config + len, sizeof(config) - len,
			"\"\nmemory = 16\nextra = \"marker=%s\"\n%s", child ? child : "child",
			extras[variant]);
	if (label)
		snprintf(config + len, sizeof(config) - len, "label = \"%s\"\n", label);
	args[0] = mod->paddr;
	args[1] = mod->size;
	args[2] = (uint64_t)config;
	args[3] = strlen(config);
	ret = hypercall(KDOM_HC_DOMCTL, KDOM_DOMCTL_CREATEDOMAIN, args);
	if (ret >= 0)
		printf("create: domain %lld\n", (long long)ret);
	return ret;
}

static int64_t run_step(const char *step, bool *counted)
{
	char op[16] = "";
	const char *colon = strchr(step, ':');
	uint64_t domid = colon ? number(colon + 1) : 0;
	uint64_t args[4] = { domid };
	size_t n = colon ? (size_t)(colon - step) : strlen(step);

	if (n >= sizeof(op))
		n = sizeof(op) - 1;
	memcpy(op, step, n);
	*counted = false;
	if (!strcmp(op, "list"))
		return do_list();
	if (!strcmp(op, "info")) {
		int64_t ret = hypercall(KDOM_HC_DOMCTL, KDOM_DOMCTL_GETDOMAININFO, args);

		if (ret == 0)
			printf("info: domain %llu flags 0x%llx pages %llu\n",
			       (unsigned long long)args[0], (unsigned long long)args[1],
			       (unsigned long long)args[2]);
		return ret;
	}
	if (!strcmp(op, "pause"))
		return hypercall(KDOM_HC_DOMCTL, KDOM_DOMCTL_PAUSEDOMAIN, args);
	if (!strcmp(op, "unpause"))
		return hypercall(KDOM_HC_DOMCTL, KDOM_DOMCTL_UNPAUSEDOMAIN, args);
	if (!strcmp(op, "destroy"))
		return hypercall(KDOM_HC_DOMCTL, KDOM_DOMCTL_DESTROYDOMAIN, args);
	if (!strcmp(op, "poweroff") || !strcmp(op, "crash")) {
		args[1] = !strcmp(op, "crash") ? KDOM_SHUTDOWN_CRASH : KDOM_SHUTDOWN_POWEROFF;
		return hypercall(KDOM_HC_SCHED_OP, KDOM_SCHEDOP_REMOTE_SHUTDOWN, args);
	}
	if (!strcmp(op, "create")) {
		int64_t ret = do_create(domid);

		return ret >= 0 ? 0 : ret;
	}
	if (!strcmp(op, "finalize"))
		return hypercall(KDOM_HC_KDOM_OP, KDOM_KDOMOP_LAUNCH_FINALIZE, args);
	if (!strcmp(op, "domexc")) {
		*counted = true;
		int64_t ret = hypercall(KDOM_HC_KDOM_OP, KDOM_KDOMOP_GET_DOM_EXC, args);

		printf("domexc: %lld\n", (long long)ret);
		return ret;
	}
	if (!strcmp(op, "sleep")) {
		udelay(domid * 1000);
		return 0;
	}
	test_error("unknown step '%s'", step);
	return -KDOM_EINVAL;
}

void test_main(void)
{
	const char *steps = cmdline_get("do"), *wants = cmdline_get("want");
	char step[32], want[16];

	if (!steps || !wants) {
		test_error("no do= and want= on the command line");
		return;
	}
	for (unsigned int i = 0; i < MAX_STEPS && word(steps, i, ',', step, sizeof(step)); i++) {
		bool counted;
		int64_t ret = run_step(step, &counted);
		const char *w = word(wants, i, ',', want, sizeof(want));

		report(result_matches(w, ret, counted), "%s -> %s%s%lld (expected %s)", step,
		       counted ? "" : errname(ret), counted ? "" : " ", (long long)ret,
		       w ? w : "nothing");
	}
}

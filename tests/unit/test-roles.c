/* Unit tests of the role registry and of the policy module, as tables derived from DESIGN.md. */
#include <errno.h>
#include <string.h>

#include "hv-roles/policy.h"
#include "hv-roles/roles.h"
#include "kdom/abi.h"
#include "kdom/xen.h"
#include "tests/unit/unit.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * How the domain under test is made: directly from role flags, or through the
 * registry with `hardware_domid = 3` (Xen's late hardware domain) so that the
 * table also covers the role transfer.
 */
enum kind {
	K_GUEST,	    /* domid 5, no role */
	K_HW,		    /* domid 3, hardware */
	K_CTL,		    /* domid 4, control */
	K_HW_CTL,	    /* domid 3, hardware + control */
	K_BOOT,		    /* domid 0, no other role */
	K_BOOT_HW,	    /* domid 0, hardware (the default dom0) */
	K_BOOT_CTL,	    /* domid 0, control */
	K_BOOT_HW_CTL,	    /* domid 0, hardware + control (a classic dom0) */
	K_LATE_DOM0_BEFORE, /* hardware_domid = 3, domain 3 not created yet: domain 0 */
	K_LATE_DOM0_AFTER,  /* hardware_domid = 3, domain 3 created: domain 0 */
	K_LATE_HWDOM,	    /* hardware_domid = 3: domain 3 itself */
};

#define Y 1 /* bool yes */
#define N 0 /* bool no */
#define OK 0
#define EP (-EPERM)
#define D0 (1u << XENFEAT_dom0) /* policy_xen_features */
#define PR SIF_PRIVILEGED
#define IN SIF_INITDOMAIN
#define LEV POLICY_CPUID_LEVELED
#define HOST POLICY_CPUID_HOST
#define PNONE POLICY_PIT_NONE
#define PVIRT POLICY_PIT_VIRTUAL
#define PHOST POLICY_PIT_HOST
#define F_HW KDOM_ROLE_HARDWARE
#define F_CTL KDOM_ROLE_CONTROL
#define F_BOOT KDOM_ROLE_BOOTSTRAP

/*
 * One row per role combination, one column per decision.  Management columns
 * use a different domain as target and hold for every op that has a target
 * (create, destroy, pause, unpause, shutdown, reboot, getdomaininfo).
 */
struct role_row {
	enum kind kind;
	const char *what;
	unsigned int flags; /* guest-visible role flags */
	enum policy_cpuid cpuid;
	enum policy_pit pit;	     /* pit_host_access = 1, ports available, pit = 1 */
	enum policy_pit pit_denied;  /* pit_host_access = 0 */
	enum policy_pit pit_noports; /* pit_host_access = 1, no ioperm / /dev/port */
	enum policy_pit pit_off;     /* pit = 0 */
	int pci;		     /* released device, driver_domain = 0 */
	int pci_driver;		     /* released device, driver_domain = 1, policy allows */
	int pci_driver_denied;	     /* driver_domain = 1, policy forbids driver domains */
	int pci_unreleased;	     /* driver_domain = 1, device not released by the pool */
	int pci_bridge;		     /* host bridge, driver_domain = 1 */
	int pci_unviable;	     /* IOMMU group not viable, driver_domain = 1 */
	bool shutdown_forwarded;
	int save;
	bool pinned;		   /* hwdom_vcpus_pin = 1 */
	bool pinned_off;	   /* hwdom_vcpus_pin = 0 */
	int mg_pre_star;	   /* before finalization; caller manages "*"; guest t1 */
	int mg_post_star;	   /* after; "*"; guest t1 */
	int mg_post_t1;		   /* after; "t1"; guest t1 */
	int mg_post_t1_other;	   /* after; "t1"; guest t2 */
	int mg_post_t1_unlabelled; /* after; "t1"; guest without label */
	int mg_post_t1_hw;	   /* after; "t1"; hardware domain labelled t1 */
	int mg_post_star_hw;	   /* after; "*"; hardware domain */
	int mg_pre_t1_hw;	   /* before; "t1"; hardware domain labelled t1 */
	int list_pre;		   /* getdomaininfolist before finalization */
	int list_post;		   /* getdomaininfolist after */
};

/* clang-format off */
static const struct role_row role_table[] = {
	/* kind               what                       flags             cpuid pit    denied noports off   pci drv dnd unr brg unv fwd save pin off  pre* post* t1  oth unl hw  *hw pre-hw lpre lpost */
	{ K_GUEST,            "guest",                   0,                LEV,  PVIRT, PVIRT, PVIRT, PNONE, EP, OK, EP, EP, EP, EP, N,  OK,  N,  N,   EP,  EP,  EP, EP, EP, EP, EP, EP,    EP,  EP },
	{ K_HW,               "hardware",                F_HW,             HOST, PHOST, PVIRT, PVIRT, PNONE, OK, OK, OK, OK, EP, EP, Y,  EP,  Y,  N,   EP,  EP,  EP, EP, EP, EP, EP, EP,    EP,  EP },
	{ K_CTL,              "control",                 F_CTL,            HOST, PVIRT, PVIRT, PVIRT, PNONE, EP, OK, EP, EP, EP, EP, N,  OK,  N,  N,   OK,  OK,  OK, EP, EP, EP, OK, EP,    OK,  OK },
	{ K_HW_CTL,           "hardware+control",        F_HW | F_CTL,     HOST, PHOST, PVIRT, PVIRT, PNONE, OK, OK, OK, OK, EP, EP, Y,  EP,  Y,  N,   OK,  OK,  OK, EP, EP, EP, OK, EP,    OK,  OK },
	{ K_BOOT,             "bootstrap",               F_BOOT,           LEV,  PVIRT, PVIRT, PVIRT, PNONE, EP, OK, EP, EP, EP, EP, N,  OK,  N,  N,   OK,  EP,  EP, EP, EP, EP, EP, OK,    OK,  EP },
	{ K_BOOT_HW,          "bootstrap+hardware",      F_BOOT | F_HW,    HOST, PHOST, PVIRT, PVIRT, PNONE, OK, OK, OK, OK, EP, EP, Y,  EP,  Y,  N,   OK,  EP,  EP, EP, EP, EP, EP, OK,    OK,  EP },
	{ K_BOOT_CTL,         "bootstrap+control",       F_BOOT | F_CTL,   HOST, PVIRT, PVIRT, PVIRT, PNONE, EP, OK, EP, EP, EP, EP, N,  OK,  N,  N,   OK,  OK,  OK, EP, EP, EP, OK, OK,    OK,  OK },
	{ K_BOOT_HW_CTL,      "bootstrap+hardware+ctl",  F_BOOT | F_HW | F_CTL, HOST, PHOST, PVIRT, PVIRT, PNONE, OK, OK, OK, OK, EP, EP, Y, EP, Y, N, OK, OK, OK, EP, EP, EP, OK, OK,    OK,  OK },
	/* Late hardware domain: domain 0 holds the role until domain 3 exists, then only domain 3. */
	{ K_LATE_DOM0_BEFORE, "late: dom0 before hwdom", F_BOOT | F_HW,    HOST, PHOST, PVIRT, PVIRT, PNONE, OK, OK, OK, OK, EP, EP, Y,  EP,  Y,  N,   OK,  EP,  EP, EP, EP, EP, EP, OK,    OK,  EP },
	{ K_LATE_DOM0_AFTER,  "late: dom0 after hwdom",  F_BOOT,           LEV,  PVIRT, PVIRT, PVIRT, PNONE, EP, OK, EP, EP, EP, EP, N,  OK,  N,  N,   OK,  EP,  EP, EP, EP, EP, EP, OK,    OK,  EP },
	{ K_LATE_HWDOM,       "late: the hwdom",         F_HW,             HOST, PHOST, PVIRT, PVIRT, PNONE, OK, OK, OK, OK, EP, EP, Y,  EP,  Y,  N,   EP,  EP,  EP, EP, EP, EP, EP, EP,    EP,  EP },
};
/* clang-format on */

/* Holds what make_domain() builds; the registry keeps pointers into it. */
struct fixture {
	struct role_registry reg;
	struct domain dom0, hwdom;
	struct domain d;
};

static void admit_ok(struct role_registry *reg, int64_t domid, const char *name, bool hw, bool ctl,
		     struct domain *out)
{
	struct role_request req = { .domid = domid, .name = name, .hardware = hw, .control = ctl };
	char err[256] = "";
	int ret = roles_admit(reg, &req, out, err, sizeof(err));

	ck_assert_msg(ret == 0, "admitting domain %lld: %d %s", (long long)domid, ret, err);
}

/* The domain a row is about; the late kinds go through the registry. */
static const struct domain *make_domain(struct fixture *f, enum kind kind)
{
	char err[128];

	switch (kind) {
	case K_GUEST:
		domain_init(&f->d, 5, "guest", 0);
		return &f->d;
	case K_HW:
		domain_init(&f->d, 3, "hw", DOMAIN_ROLE_HARDWARE);
		return &f->d;
	case K_CTL:
		domain_init(&f->d, 4, "ctl", DOMAIN_ROLE_CONTROL);
		return &f->d;
	case K_HW_CTL:
		domain_init(&f->d, 3, "hwctl", DOMAIN_ROLE_HARDWARE | DOMAIN_ROLE_CONTROL);
		return &f->d;
	case K_BOOT:
		domain_init(&f->d, 0, "boot", 0);
		return &f->d;
	case K_BOOT_HW:
		domain_init(&f->d, 0, "boot", DOMAIN_ROLE_HARDWARE);
		return &f->d;
	case K_BOOT_CTL:
		domain_init(&f->d, 0, "boot", DOMAIN_ROLE_CONTROL);
		return &f->d;
	case K_BOOT_HW_CTL:
		domain_init(&f->d, 0, "boot", DOMAIN_ROLE_HARDWARE | DOMAIN_ROLE_CONTROL);
		return &f->d;
	case K_LATE_DOM0_BEFORE:
	case K_LATE_DOM0_AFTER:
	case K_LATE_HWDOM:
		ck_assert_int_eq(roles_init(&f->reg, 3, err, sizeof(err)), 0);
		admit_ok(&f->reg, 0, "boot", false, false, &f->dom0);
		if (kind == K_LATE_DOM0_BEFORE)
			return &f->dom0;
		admit_ok(&f->reg, 3, "hwdom", false, false, &f->hwdom);
		return kind == K_LATE_HWDOM ? &f->hwdom : &f->dom0;
	}
	ck_abort_msg("unknown kind %d", kind);
	return NULL;
}

START_TEST(test_role_table_devices)
{
	const struct role_row *row = &role_table[_i];
	struct fixture f;
	const struct domain *d = make_domain(&f, row->kind);
	const struct policy_host host = { .pit_host_access = true,
					  .host_ports_available = true,
					  .driver_domains_allowed = true,
					  .hwdom_vcpus_pin = true };
	struct policy_host denied = host, noports = host, nodrivers = host, nopin = host;
	const struct policy_domain_config plain = { .pit = true }, nopit = { .pit = false };
	const struct policy_domain_config driver = { .pit = true, .driver_domain = true };
	const struct policy_pci_device dev = { .group_viable = true, .released = true };
	const struct policy_pci_device unreleased = { .group_viable = true };
	const struct policy_pci_device bridge = { .host_bridge = true,
						  .group_viable = true,
						  .released = true };
	const struct policy_pci_device unviable = { .released = true };
	const char *reason = "unset";

	denied.pit_host_access = false;
	noports.host_ports_available = false;
	nodrivers.driver_domains_allowed = false;
	nopin.hwdom_vcpus_pin = false;

	ck_assert_msg(domain_role_flags(d) == row->flags, "%s: flags", row->what);
	ck_assert_msg(policy_cpuid(d) == row->cpuid, "%s: cpuid", row->what);
	ck_assert_msg(policy_pit_mode(d, &host, &plain, &reason) == row->pit, "%s: pit", row->what);
	ck_assert_msg(reason == NULL, "%s: no reason when nothing fell back", row->what);
	ck_assert_msg(policy_pit_mode(d, &denied, &plain, &reason) == row->pit_denied,
		      "%s: pit denied", row->what);
	/* The hardware domain's fallback, and only it, says why. */
	ck_assert_msg((reason != NULL) == is_hardware_domain(d), "%s: reason", row->what);
	if (reason)
		ck_assert_ptr_nonnull(strstr(reason, "pit_host_access"));
	ck_assert_msg(policy_pit_mode(d, &noports, &plain, &reason) == row->pit_noports,
		      "%s: pit noports", row->what);
	if (reason)
		ck_assert_ptr_nonnull(strstr(reason, "ioperm"));
	ck_assert_msg(policy_pit_mode(d, &host, &nopit, NULL) == row->pit_off, "%s: pit off",
		      row->what);
	ck_assert_msg(policy_may_assign_pci(d, &plain, &host, &dev, NULL) == row->pci, "%s: pci",
		      row->what);
	ck_assert_msg(policy_may_assign_pci(d, &driver, &host, &dev, NULL) == row->pci_driver,
		      "%s: pci driver", row->what);
	ck_assert_msg(policy_may_assign_pci(d, &driver, &nodrivers, &dev, NULL) ==
			      row->pci_driver_denied,
		      "%s: pci driver denied", row->what);
	ck_assert_msg(policy_may_assign_pci(d, &driver, &host, &unreleased, NULL) ==
			      row->pci_unreleased,
		      "%s: pci unreleased", row->what);
	ck_assert_msg(policy_may_assign_pci(d, &driver, &host, &bridge, NULL) == row->pci_bridge,
		      "%s: pci bridge", row->what);
	ck_assert_msg(policy_may_assign_pci(d, &driver, &host, &unviable, NULL) ==
			      row->pci_unviable,
		      "%s: pci unviable", row->what);
	ck_assert_msg(policy_shutdown_forwarded(d) == row->shutdown_forwarded, "%s: shutdown",
		      row->what);
	ck_assert_msg(policy_may_save(d) == row->save, "%s: save", row->what);
	ck_assert_msg(policy_vcpus_pinned(d, &host) == row->pinned, "%s: pinned", row->what);
	ck_assert_msg(policy_vcpus_pinned(d, &nopin) == row->pinned_off, "%s: pinned off",
		      row->what);
}
END_TEST

static const char *const manages_star[] = { "*" };
static const char *const manages_t1[] = { "t1" };

static void check_manage(const char *what, const char *column, const struct domain *caller,
			 const char *const *manages, const struct domain *target,
			 const char *target_label, bool finalized, int expected)
{
	const struct policy_subject c = {
		.dom = caller, .label = "t0", .manages = manages, .nr_manages = 1
	};
	const struct policy_subject t = { .dom = target, .label = target_label };

	for (int op = 0; op < POLICY_OP_COUNT; op++) {
		if (op == POLICY_OP_GETDOMAININFOLIST)
			continue;
		ck_assert_msg(policy_may_manage(&c, &t, op, finalized) == expected, "%s: %s: %s",
			      what, column, policy_op_name(op));
	}
}

START_TEST(test_role_table_management)
{
	const struct role_row *row = &role_table[_i];
	struct fixture f;
	const struct domain *d = make_domain(&f, row->kind);
	struct domain guest, hw;
	struct policy_subject c = { .dom = d, .manages = manages_star, .nr_manages = 1 };

	/* Targets are other domains; the policy reads only their flags and labels. */
	domain_init(&guest, 7, "tenant-guest", 0);
	domain_init(&hw, 9, "other-hw", DOMAIN_ROLE_HARDWARE);

	check_manage(row->what, "pre *", d, manages_star, &guest, "t1", false, row->mg_pre_star);
	check_manage(row->what, "post *", d, manages_star, &guest, "t1", true, row->mg_post_star);
	check_manage(row->what, "post t1", d, manages_t1, &guest, "t1", true, row->mg_post_t1);
	check_manage(row->what, "post t1 other", d, manages_t1, &guest, "t2", true,
		     row->mg_post_t1_other);
	check_manage(row->what, "post t1 unlabelled", d, manages_t1, &guest, NULL, true,
		     row->mg_post_t1_unlabelled);
	check_manage(row->what, "post t1 hw", d, manages_t1, &hw, "t1", true, row->mg_post_t1_hw);
	check_manage(row->what, "post * hw", d, manages_star, &hw, "t1", true,
		     row->mg_post_star_hw);
	check_manage(row->what, "pre t1 hw", d, manages_t1, &hw, "t1", false, row->mg_pre_t1_hw);
	ck_assert_msg(policy_may_manage(&c, NULL, POLICY_OP_GETDOMAININFOLIST, false) ==
			      row->list_pre,
		      "%s: list pre", row->what);
	ck_assert_msg(policy_may_manage(&c, NULL, POLICY_OP_GETDOMAININFOLIST, true) ==
			      row->list_post,
		      "%s: list post", row->what);
}
END_TEST

/*
 * Operations on oneself: only reading one's own info, and only for a domain
 * that may manage at all (DESIGN.md: other domains are refused every op).
 */
struct self_row {
	enum kind kind;
	bool finalized;
	int getdomaininfo; /* every other op on oneself is refused */
};

static const struct self_row self_table[] = {
	{ K_GUEST, false, EP },
	{ K_HW, false, EP },
	{ K_CTL, true, OK },
	{ K_HW_CTL, true, OK },
	{ K_BOOT, false, OK },
	{ K_BOOT, true, EP },
	{ K_BOOT_HW, false, OK },
	{ K_BOOT_HW, true, EP },
	{ K_BOOT_CTL, true, OK },
	{ K_BOOT_HW_CTL, true, OK },
	{ K_LATE_DOM0_AFTER, false, OK },
	{ K_LATE_HWDOM, false, EP },
};

START_TEST(test_manage_self)
{
	const struct self_row *row = &self_table[_i];
	struct fixture f;
	const struct domain *d = make_domain(&f, row->kind);
	const struct policy_subject s = {
		.dom = d, .label = "t1", .manages = manages_star, .nr_manages = 1
	};

	for (int op = 0; op < POLICY_OP_COUNT; op++) {
		int expected = op == POLICY_OP_GETDOMAININFO ? row->getdomaininfo : EP;

		if (op == POLICY_OP_GETDOMAININFOLIST)
			continue;
		ck_assert_msg(policy_may_manage(&s, &s, op, row->finalized) == expected,
			      "row %d: %s on itself", _i, policy_op_name(op));
	}
}
END_TEST

START_TEST(test_manage_bad_input)
{
	struct domain ctl, guest;
	const struct policy_subject c = { .dom = &ctl, .manages = manages_star, .nr_manages = 1 };
	const struct policy_subject t = { .dom = &guest };

	domain_init(&ctl, 4, "ctl", DOMAIN_ROLE_CONTROL);
	domain_init(&guest, 5, "guest", 0);
	ck_assert_int_eq(policy_may_manage(&c, &t, POLICY_OP_COUNT, true), -EPERM);
	ck_assert_int_eq(policy_may_manage(&c, &t, (enum policy_op) - 1, true), -EPERM);
	ck_assert_int_eq(policy_may_manage(&c, NULL, POLICY_OP_DESTROY, true), -EPERM);
	ck_assert_str_eq(policy_op_name(POLICY_OP_COUNT), "unknown");
	ck_assert_str_eq(policy_op_name(POLICY_OP_PAUSE), "pause");
}
END_TEST

/*
 * The role table, continued: who holds management rights beyond one
 * operation on one target, one row per role combination in role_table's
 * order.  The caller's grants, where a column names them, are "*" or "t1".
 */
struct rights_row {
	enum kind kind;
	int request;	       /* policy_may_request_management */
	bool rights_pre;       /* policy_bootstrap_rights before finalization */
	bool rights_post;      /* ... after */
	bool all_pre_star;     /* policy_manages_all before finalization, grants "*" */
	bool all_post_star;    /* ... after, grants "*" */
	bool all_pre_t1;       /* ... before, grants "t1" */
	bool all_post_t1;      /* ... after, grants "t1" */
	int finalize;	       /* policy_may_finalize_launch */
	bool launch_boot;      /* policy_launch_starts in a launch with a bootstrap domain */
	bool launch_no_boot;   /* ... in a launch without one */
	bool told_exits;       /* policy_told_of_domain_exits */
	uint32_t xen_features; /* policy_xen_features: submap 0 */
	uint32_t xen_sif;      /* policy_xen_start_flags */
	bool host_memory;      /* policy_sees_host_memory; also: policy_irq_budget's larger one */
};

/* clang-format off */
static const struct rights_row rights_table[] = {
	/* kind               request rpre rpost pre* post* pre-t1 post-t1 final lboot lnone told feat  sif      host */
	{ K_GUEST,            EP,     N,   N,    N,   N,    N,     N,      EP,   N,    Y,    N, 0,   0, N },
	{ K_HW,               EP,     N,   N,    N,   N,    N,     N,      EP,   N,    Y,    N, D0,  IN, Y },
	{ K_CTL,              OK,     N,   N,    Y,   Y,    N,     N,      EP,   N,    Y,    Y, 0,   PR, N },
	{ K_HW_CTL,           OK,     N,   N,    Y,   Y,    N,     N,      EP,   N,    Y,    Y, D0,  PR | IN, Y },
	{ K_BOOT,             OK,     Y,   N,    Y,   N,    Y,     N,      OK,   Y,    Y,    N, 0,   0, N },
	{ K_BOOT_HW,          OK,     Y,   N,    Y,   N,    Y,     N,      OK,   Y,    Y,    N, D0,  IN, Y },
	{ K_BOOT_CTL,         OK,     Y,   N,    Y,   Y,    Y,     N,      OK,   Y,    Y,    Y, 0,   PR, N },
	{ K_BOOT_HW_CTL,      OK,     Y,   N,    Y,   Y,    Y,     N,      OK,   Y,    Y,    Y, D0,  PR | IN, Y },
	{ K_LATE_DOM0_BEFORE, OK,     Y,   N,    Y,   N,    Y,     N,      OK,   Y,    Y,    N, D0,  IN, Y },
	{ K_LATE_DOM0_AFTER,  OK,     Y,   N,    Y,   N,    Y,     N,      OK,   Y,    Y,    N, 0,   0, N },
	{ K_LATE_HWDOM,       EP,     N,   N,    N,   N,    N,     N,      EP,   N,    Y,    N, D0,  IN, Y },
};
/* clang-format on */
_Static_assert(ARRAY_SIZE(rights_table) == ARRAY_SIZE(role_table), "one rights row per role row");

START_TEST(test_role_table_rights)
{
	const struct rights_row *row = &rights_table[_i];
	const char *what = role_table[_i].what;
	struct fixture f;
	const struct domain *d = make_domain(&f, row->kind);
	const struct policy_subject star = { .dom = d, .manages = manages_star, .nr_manages = 1 };
	const struct policy_subject t1 = { .dom = d, .manages = manages_t1, .nr_manages = 1 };
	const char *reason = "unset";
	const struct policy_host budgets = { .hwdom_irq_budget = 300, .domain_irq_budget = 7 };

	ck_assert_msg(row->kind == role_table[_i].kind, "rights_table row %d is not %s", _i, what);
	ck_assert_msg(policy_may_request_management(d) == row->request, "%s: request", what);
	ck_assert_msg(policy_bootstrap_rights(d, false) == row->rights_pre, "%s: rights pre", what);
	ck_assert_msg(policy_bootstrap_rights(d, true) == row->rights_post, "%s: rights post",
		      what);
	ck_assert_msg(policy_manages_all(&star, false) == row->all_pre_star, "%s: all pre *", what);
	ck_assert_msg(policy_manages_all(&star, true) == row->all_post_star, "%s: all post *",
		      what);
	ck_assert_msg(policy_manages_all(&t1, false) == row->all_pre_t1, "%s: all pre t1", what);
	ck_assert_msg(policy_manages_all(&t1, true) == row->all_post_t1, "%s: all post t1", what);
	ck_assert_msg(policy_may_finalize_launch(d, &reason) == row->finalize, "%s: finalize",
		      what);
	ck_assert_msg((reason != NULL) == (row->finalize != OK), "%s: finalize reason", what);
	ck_assert_msg(policy_may_finalize_launch(d, NULL) == row->finalize, "%s: no reason", what);
	ck_assert_msg(policy_launch_starts(d, true) == row->launch_boot, "%s: launch boot", what);
	ck_assert_msg(policy_launch_starts(d, false) == row->launch_no_boot, "%s: launch", what);
	ck_assert_msg(policy_told_of_domain_exits(d) == row->told_exits, "%s: told", what);
	ck_assert_msg(policy_xen_features(d) == row->xen_features, "%s: XENFEAT", what);
	ck_assert_msg(policy_xen_start_flags(d) == row->xen_sif, "%s: SIF flags", what);
	ck_assert_msg(policy_sees_host_memory(d) == row->host_memory, "%s: host memory", what);
	ck_assert_msg(policy_irq_budget(d, &budgets) == (row->host_memory ? 300u : 7u),
		      "%s: interrupt budget", what);
}
END_TEST

/* The domain a CREATEDOMAIN would make: domid and roles as roles_preview() gives them. */
enum new_kind {
	NEW_GUEST, /* domid 7, no role */
	NEW_CTL,   /* domid 8, control */
	NEW_HW,	   /* domid 9, hardware (a late hardware domain) */
	NEW_BOOT,  /* domid 0, no other role (hardware_domid names another) */
	NEW_PCI,   /* domid 7, no role, one `pci =` device */
	NEW_DRV,   /* domid 7, no role, `driver_domain = 1` */
};

enum grants { G_NONE, G_STAR, G_T1 };

/*
 * policy_may_create: a caller (by role combination, grants and finalization)
 * creating a domain of each kind, labelled t1 unless the row says t2.
 * reason: a word the refusal names, NULL when allowed.
 */
struct create_row {
	enum kind caller;
	enum grants grants;
	bool finalized;
	enum new_kind target;
	bool other_tenant; /* the new domain is labelled t2 */
	int expected;
	const char *reason;
};

/* clang-format off */
static const struct create_row create_table[] = {
	/* A control domain granted "*" may create anything. */
	{ K_CTL,              G_STAR, true,  NEW_GUEST, N, OK, NULL },
	{ K_CTL,              G_STAR, true,  NEW_CTL,   N, OK, NULL },
	{ K_CTL,              G_STAR, true,  NEW_HW,    N, OK, NULL },
	{ K_CTL,              G_STAR, true,  NEW_BOOT,  N, OK, NULL },
	{ K_CTL,              G_STAR, true,  NEW_PCI,   N, OK, NULL },
	{ K_CTL,              G_STAR, true,  NEW_DRV,   N, OK, NULL },
	{ K_CTL,              G_STAR, true,  NEW_GUEST, Y, OK, NULL },
	/* A tenant's control domain: plain domains of its tenant only. */
	{ K_CTL,              G_T1,   true,  NEW_GUEST, N, OK, NULL },
	{ K_CTL,              G_T1,   true,  NEW_GUEST, Y, EP, "caller's to manage" },
	{ K_CTL,              G_T1,   true,  NEW_CTL,   N, EP, "control domain" },
	{ K_CTL,              G_T1,   true,  NEW_HW,    N, EP, "hardware domain" },
	{ K_CTL,              G_T1,   true,  NEW_BOOT,  N, EP, "domain 0" },
	{ K_CTL,              G_T1,   true,  NEW_PCI,   N, EP, "PCI devices" },
	{ K_CTL,              G_T1,   true,  NEW_DRV,   N, EP, "driver domain" },
	{ K_HW_CTL,           G_T1,   true,  NEW_CTL,   N, EP, "control domain" },
	{ K_HW_CTL,           G_STAR, true,  NEW_PCI,   N, OK, NULL },
	/* The bootstrap domain builds anything until it finalizes, grants or not. */
	{ K_BOOT,             G_NONE, false, NEW_GUEST, N, OK, NULL },
	{ K_BOOT,             G_NONE, false, NEW_CTL,   N, OK, NULL },
	{ K_BOOT,             G_NONE, false, NEW_HW,    N, OK, NULL },
	{ K_BOOT,             G_NONE, false, NEW_PCI,   N, OK, NULL },
	{ K_BOOT,             G_NONE, false, NEW_DRV,   N, OK, NULL },
	{ K_LATE_DOM0_BEFORE, G_NONE, false, NEW_HW,    N, OK, NULL },
	{ K_BOOT,             G_NONE, true,  NEW_GUEST, N, EP, "caller's to manage" },
	{ K_BOOT,             G_NONE, true,  NEW_CTL,   N, EP, "control domain" },
	{ K_BOOT,             G_STAR, true,  NEW_GUEST, N, EP, "caller's to manage" },
	{ K_BOOT_CTL,         G_T1,   true,  NEW_GUEST, N, OK, NULL },
	{ K_BOOT_CTL,         G_T1,   true,  NEW_PCI,   N, EP, "PCI devices" },
	{ K_BOOT_HW_CTL,      G_STAR, true,  NEW_CTL,   N, OK, NULL },
	/* No management rights: nothing, whatever its grants say. */
	{ K_GUEST,            G_STAR, false, NEW_GUEST, N, EP, "caller's to manage" },
	{ K_GUEST,            G_STAR, false, NEW_CTL,   N, EP, "control domain" },
	{ K_HW,               G_STAR, true,  NEW_GUEST, N, EP, "caller's to manage" },
	{ K_HW,               G_STAR, true,  NEW_PCI,   N, EP, "PCI devices" },
	{ K_LATE_HWDOM,       G_STAR, false, NEW_GUEST, N, EP, "caller's to manage" },
};
/* clang-format on */

START_TEST(test_create_table)
{
	static const char *const *const grants[] = {
		[G_NONE] = NULL, [G_STAR] = manages_star, [G_T1] = manages_t1
	};
	const struct create_row *row = &create_table[_i];
	struct fixture f;
	const struct domain *d = make_domain(&f, row->caller);
	const struct policy_subject c = { .dom = d,
					  .manages = grants[row->grants],
					  .nr_manages = row->grants != G_NONE };
	struct policy_domain_config cfg = { .pit = true };
	struct domain nd;
	const struct policy_subject t = { .dom = &nd, .label = row->other_tenant ? "t2" : "t1" };
	const char *reason = "unset";

	switch (row->target) {
	case NEW_GUEST:
	case NEW_PCI:
	case NEW_DRV:
		domain_init(&nd, 7, "new", 0);
		cfg.nr_pci = row->target == NEW_PCI;
		cfg.driver_domain = row->target == NEW_DRV;
		break;
	case NEW_CTL:
		domain_init(&nd, 8, "new", DOMAIN_ROLE_CONTROL);
		break;
	case NEW_HW:
		domain_init(&nd, 9, "new", DOMAIN_ROLE_HARDWARE);
		break;
	case NEW_BOOT:
		domain_init(&nd, 0, "new", 0);
		break;
	}
	ck_assert_msg(policy_may_create(&c, &t, &cfg, row->finalized, &reason) == row->expected,
		      "create row %d", _i);
	if (row->reason)
		ck_assert_msg(reason && strstr(reason, row->reason), "create row %d: reason '%s'",
			      _i, reason ? reason : "(none)");
	else
		ck_assert_msg(reason == NULL, "create row %d: reason '%s' when allowed", _i,
			      reason);
	ck_assert_int_eq(policy_may_create(&c, &t, &cfg, row->finalized, NULL), row->expected);
}
END_TEST

/* ---- The registry ---------------------------------------------------------- */

static int admit(struct role_registry *reg, int64_t domid, const char *name, bool hw, bool ctl,
		 struct domain *out, char *err, size_t errlen)
{
	struct role_request req = { .domid = domid, .name = name, .hardware = hw, .control = ctl };

	err[0] = '\0';
	return roles_admit(reg, &req, out, err, errlen);
}

START_TEST(test_registry_default_refusals)
{
	struct role_registry reg;
	struct domain dom0, d;
	char err[256];

	ck_assert_int_eq(roles_init(&reg, ROLES_HARDWARE_DOMID_DEFAULT, err, sizeof(err)), 0);
	ck_assert_int_eq(roles_hardware_domid(&reg), -ENOENT);
	/* Domain 0 is the hardware domain without asking. */
	ck_assert_int_eq(admit(&reg, 0, "dom0", false, true, &dom0, err, sizeof(err)), 0);
	ck_assert(is_hardware_domain(&dom0) && is_control_domain(&dom0));
	ck_assert(!roles_hardware_moved(&reg, NULL));
	ck_assert_int_eq(roles_hardware_domid(&reg), 0);

	ck_assert_int_eq(admit(&reg, 5, "five", true, false, &d, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "domain 5 cannot be the hardware domain"));
	ck_assert_ptr_nonnull(strstr(err, "hardware_domid = 5"));
	ck_assert_int_eq(admit(&reg, 0, "again", false, false, &d, err, sizeof(err)), -EEXIST);
	ck_assert_ptr_nonnull(strstr(err, "domid 0 is already in use"));
	ck_assert_int_eq(
		admit(&reg, DOMAIN_DOMID_MAX + 1, "big", false, false, &d, err, sizeof(err)),
		-EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "out of range 0..32751"));
	ck_assert_int_eq(admit(&reg, -2, "neg", false, false, &d, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(admit(&reg, 1, "", false, false, &d, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(admit(&reg, 1, NULL, false, false, &d, err, sizeof(err)), -EINVAL);
	/* Refusals changed nothing. */
	ck_assert_uint_eq(reg.nr_domains, 1);
	ck_assert(!roles_domid_in_use(&reg, 5));
	ck_assert(!roles_domid_in_use(&reg, DOMAIN_DOMID_MAX + 1));

	ck_assert_int_eq(admit(&reg, DOMAIN_DOMID_MAX, "last", false, false, &d, err, sizeof(err)),
			 0);
	ck_assert_uint_eq(d.domid, DOMAIN_DOMID_MAX);
	ck_assert(!is_hardware_domain(&d) && !is_control_domain(&d));
	ck_assert_int_eq(roles_init(&reg, DOMAIN_DOMID_MAX + 1, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "hardware_domid"));
	ck_assert_int_eq(roles_init(&reg, -7, err, sizeof(err)), -EINVAL);
}
END_TEST

START_TEST(test_registry_allocation_and_release)
{
	struct role_registry reg;
	struct domain dom0, d[4];
	char err[256];

	ck_assert_int_eq(roles_init(&reg, ROLES_HARDWARE_DOMID_DEFAULT, err, sizeof(err)), 0);
	/* "any" never hands out domid 0, even while it is free. */
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(
			admit(&reg, ROLES_DOMID_ANY, "g", false, false, &d[i], err, sizeof(err)),
			0);
		ck_assert_uint_eq(d[i].domid, i + 1);
		ck_assert(!is_hardware_domain(&d[i]));
	}
	ck_assert_int_eq(roles_release(&reg, 2), 0);
	ck_assert_int_eq(roles_release(&reg, 2), -ENOENT);
	ck_assert_int_eq(roles_release(&reg, DOMAIN_DOMID_MAX + 1), -ENOENT);
	ck_assert_int_eq(admit(&reg, ROLES_DOMID_ANY, "g", false, false, &d[3], err, sizeof(err)),
			 0);
	ck_assert_uint_eq(d[3].domid, 2); /* the lowest hole */

	/* Releasing the hardware domain frees the role; re-admitting domain 0 takes it again. */
	ck_assert_int_eq(admit(&reg, 0, "dom0", false, false, &dom0, err, sizeof(err)), 0);
	ck_assert_int_eq(roles_hardware_domid(&reg), 0);
	ck_assert_int_eq(roles_release(&reg, 0), 0);
	ck_assert_int_eq(roles_hardware_domid(&reg), -ENOENT);
	ck_assert_int_eq(admit(&reg, 0, "dom0", true, false, &dom0, err, sizeof(err)), 0);
	ck_assert(is_hardware_domain(&dom0));
	ck_assert_uint_eq(reg.nr_domains, 4);
}
END_TEST

START_TEST(test_registry_late_hardware_domain)
{
	struct role_registry reg;
	struct domain dom0, hwdom, d[3];
	uint32_t from = 12345;
	char err[256];

	ck_assert_int_eq(roles_init(&reg, 3, err, sizeof(err)), 0);
	/* Until domain 3 exists, domain 0 is the hardware domain, asked or not. */
	ck_assert_int_eq(admit(&reg, 0, "boot", false, true, &dom0, err, sizeof(err)), 0);
	ck_assert(is_hardware_domain(&dom0));
	ck_assert_int_eq(roles_hardware_domid(&reg), 0);

	/* Allocation skips the designated domid. */
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(
			admit(&reg, ROLES_DOMID_ANY, "g", false, false, &d[i], err, sizeof(err)),
			0);
	ck_assert_uint_eq(d[0].domid, 1);
	ck_assert_uint_eq(d[1].domid, 2);
	ck_assert_uint_eq(d[2].domid, 4);

	ck_assert_int_eq(admit(&reg, 5, "five", true, false, &hwdom, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "domain 5 cannot be the hardware domain: hardware_domid = 3 "
			      "designates domain 3");

	/* Domain 3 takes the role from domain 0 without asking; domain 0 keeps its others. */
	ck_assert_int_eq(admit(&reg, 3, "hwdom", false, false, &hwdom, err, sizeof(err)), 0);
	ck_assert(is_hardware_domain(&hwdom));
	ck_assert(!is_hardware_domain(&dom0));
	ck_assert(is_control_domain(&dom0) && is_bootstrap_domain(&dom0));
	ck_assert(roles_hardware_moved(&reg, &from));
	ck_assert_uint_eq(from, 0);
	ck_assert_int_eq(roles_hardware_domid(&reg), 3);

	/* The next admission moves nothing. */
	ck_assert_int_eq(admit(&reg, 6, "six", false, false, &d[0], err, sizeof(err)), 0);
	ck_assert(!roles_hardware_moved(&reg, NULL));

	/* Domain 0 back while domain 3 holds the role: a second hardware domain is refused. */
	ck_assert_int_eq(roles_release(&reg, 0), 0);
	ck_assert_int_eq(admit(&reg, 0, "boot", true, false, &dom0, err, sizeof(err)), -EEXIST);
	ck_assert_ptr_nonnull(strstr(err, "domain 0 cannot be the hardware domain"));
	ck_assert_int_eq(admit(&reg, 0, "boot", false, false, &dom0, err, sizeof(err)), 0);
	ck_assert(!is_hardware_domain(&dom0));

	/* The role does not go back to domain 0 when domain 3 goes; domain 3 regains it. */
	ck_assert_int_eq(roles_release(&reg, 3), 0);
	ck_assert_int_eq(roles_hardware_domid(&reg), -ENOENT);
	ck_assert(!is_hardware_domain(&dom0));
	ck_assert_int_eq(admit(&reg, 3, "hwdom", true, false, &hwdom, err, sizeof(err)), 0);
	ck_assert(is_hardware_domain(&hwdom));
	ck_assert(!roles_hardware_moved(&reg, NULL));
}
END_TEST

START_TEST(test_registry_late_hardware_domain_first)
{
	struct role_registry reg;
	struct domain dom0, hwdom;
	char err[256];

	/* Domain 3 created before domain 0: it is the hardware domain, nothing moves. */
	ck_assert_int_eq(roles_init(&reg, 3, err, sizeof(err)), 0);
	ck_assert_int_eq(admit(&reg, 3, "hwdom", true, false, &hwdom, err, sizeof(err)), 0);
	ck_assert(is_hardware_domain(&hwdom));
	ck_assert(!roles_hardware_moved(&reg, NULL));
	ck_assert_int_eq(admit(&reg, 0, "boot", false, false, &dom0, err, sizeof(err)), 0);
	ck_assert(!is_hardware_domain(&dom0));
	ck_assert_int_eq(roles_hardware_domid(&reg), 3);

	/* hardware_domid = 0 is the default spelled out. */
	ck_assert_int_eq(roles_init(&reg, 0, err, sizeof(err)), 0);
	ck_assert_int_eq(admit(&reg, 0, "boot", false, false, &dom0, err, sizeof(err)), 0);
	ck_assert(is_hardware_domain(&dom0));
	ck_assert_int_eq(admit(&reg, ROLES_DOMID_ANY, "g", false, false, &hwdom, err, sizeof(err)),
			 0);
	ck_assert_uint_eq(hwdom.domid, 1);
}
END_TEST

/* What the registry would decide, without deciding it; and an admission taken back. */
START_TEST(test_registry_preview_and_cancel)
{
	struct role_registry reg;
	struct role_request req = { .domid = 0, .name = "zero" };
	struct domain dom0, hwdom, g;
	unsigned int roles = 99;
	uint32_t domid = 99;
	char err[256];

	ck_assert_int_eq(roles_init(&reg, ROLES_HARDWARE_DOMID_DEFAULT, err, sizeof(err)), 0);
	/* Domain 0 with no hardware domain yet would be the hardware domain. */
	ck_assert_int_eq(roles_preview(&reg, &req, &domid, &roles, err, sizeof(err)), 0);
	ck_assert_uint_eq(domid, 0);
	ck_assert_uint_eq(roles, DOMAIN_ROLE_HARDWARE);
	ck_assert(!roles_domid_in_use(&reg, 0)); /* nothing was admitted */
	req = (struct role_request){ .domid = ROLES_DOMID_ANY, .name = "g", .control = true };
	ck_assert_int_eq(roles_preview(&reg, &req, &domid, &roles, err, sizeof(err)), 0);
	ck_assert_uint_eq(domid, 1);
	ck_assert_uint_eq(roles, DOMAIN_ROLE_CONTROL);
	req = (struct role_request){ .domid = 4, .name = "h", .hardware = true };
	ck_assert_int_eq(roles_preview(&reg, &req, &domid, &roles, err, sizeof(err)), -EINVAL);

	/* A late hardware domain that never ran: the role goes back to domain 0. */
	ck_assert_int_eq(roles_init(&reg, 3, err, sizeof(err)), 0);
	ck_assert_int_eq(admit(&reg, 0, "boot", false, false, &dom0, err, sizeof(err)), 0);
	ck_assert(is_hardware_domain(&dom0));
	req = (struct role_request){ .domid = ROLES_DOMID_ANY, .name = "any" };
	ck_assert_int_eq(roles_preview(&reg, &req, &domid, &roles, err, sizeof(err)), 0);
	ck_assert_uint_eq(domid, 1);
	ck_assert_uint_eq(roles, 0);
	req = (struct role_request){ .domid = 3, .name = "hw" };
	ck_assert_int_eq(roles_preview(&reg, &req, &domid, &roles, err, sizeof(err)), 0);
	ck_assert_uint_eq(roles, DOMAIN_ROLE_HARDWARE);
	ck_assert(is_hardware_domain(&dom0)); /* the preview moved nothing */
	ck_assert_int_eq(admit(&reg, 3, "hw", false, false, &hwdom, err, sizeof(err)), 0);
	ck_assert(!is_hardware_domain(&dom0));
	ck_assert_int_eq(roles_cancel(&reg, &hwdom, &dom0), 0);
	ck_assert(is_hardware_domain(&dom0));
	ck_assert_int_eq(roles_hardware_domid(&reg), 0);
	ck_assert(!roles_domid_in_use(&reg, 3));
	/* Cancelling an ordinary admission frees its domid and moves nothing. */
	ck_assert_int_eq(admit(&reg, ROLES_DOMID_ANY, "g", false, false, &g, err, sizeof(err)), 0);
	ck_assert_int_eq(roles_cancel(&reg, &g, NULL), 0);
	ck_assert(!roles_domid_in_use(&reg, g.domid));
	ck_assert(is_hardware_domain(&dom0));
	ck_assert_int_eq(roles_cancel(&reg, &g, NULL), -ENOENT);
}
END_TEST

Suite *roles_suite(void)
{
	Suite *suite = suite_create("roles");
	TCase *policy = tcase_create("policy");
	TCase *registry = tcase_create("registry");

	tcase_add_loop_test(policy, test_role_table_devices, 0, ARRAY_SIZE(role_table));
	tcase_add_loop_test(policy, test_role_table_management, 0, ARRAY_SIZE(role_table));
	tcase_add_loop_test(policy, test_role_table_rights, 0, ARRAY_SIZE(rights_table));
	tcase_add_loop_test(policy, test_create_table, 0, ARRAY_SIZE(create_table));
	tcase_add_loop_test(policy, test_manage_self, 0, ARRAY_SIZE(self_table));
	tcase_add_test(policy, test_manage_bad_input);
	tcase_add_test(registry, test_registry_default_refusals);
	tcase_add_test(registry, test_registry_allocation_and_release);
	tcase_add_test(registry, test_registry_late_hardware_domain);
	tcase_add_test(registry, test_registry_late_hardware_domain_first);
	tcase_add_test(registry, test_registry_preview_and_cancel);
	suite_add_tcase(suite, policy);
	suite_add_tcase(suite, registry);
	return suite;
}

/* Unit tests of the hypercall op handlers. */
#include "hv-roles/hypercall.h"
#include "tests/unit/unit.h"

struct shutdown_record {
	int calls;
	uint32_t reason, result;
};

static void record_shutdown(void *opaque, uint32_t reason, uint32_t result)
{
	struct shutdown_record *rec = opaque;

	rec->calls++;
	rec->reason = reason;
	rec->result = result;
}

static struct kdom_hypercall call(const struct domain *d, struct shutdown_record *rec, uint32_t op,
				  uint32_t cmd, uint64_t arg0, uint64_t arg1)
{
	struct hypercall_ops ops = { .shutdown = record_shutdown, .opaque = rec };
	struct kdom_hypercall req = { .op = op, .cmd = cmd, .ret = 12345, .arg = { arg0, arg1 } };

	hypercall_dispatch(d, &ops, &req);
	return req;
}

START_TEST(test_xen_version)
{
	struct domain d;
	struct shutdown_record rec = { 0 };
	struct kdom_hypercall req;

	domain_init(&d, 1, "guest", 0);
	req = call(&d, &rec, KDOM_HC_XEN_VERSION, KDOM_XENVER_VERSION, 0, 0);
	ck_assert_int_eq(req.ret, (KDOM_VERSION_MAJOR << 16) | KDOM_VERSION_MINOR);
	req = call(&d, &rec, KDOM_HC_XEN_VERSION, 99, 0, 0);
	ck_assert_int_eq(req.ret, -KDOM_ENOSYS);
}
END_TEST

START_TEST(test_features_dom0_only_for_hardware)
{
	struct domain guest, hardware, control;
	struct shutdown_record rec = { 0 };
	struct kdom_hypercall req;

	domain_init(&guest, 1, "guest", 0);
	domain_init(&hardware, 2, "hw", DOMAIN_ROLE_HARDWARE);
	domain_init(&control, 3, "ctl", DOMAIN_ROLE_CONTROL);
	req = call(&guest, &rec, KDOM_HC_XEN_VERSION, KDOM_XENVER_GET_FEATURES, 0, 0xdead);
	ck_assert_int_eq(req.ret, 0);
	ck_assert_uint_eq(req.arg[1] & (1u << KDOM_XENFEAT_DOM0), 0);
	req = call(&control, &rec, KDOM_HC_XEN_VERSION, KDOM_XENVER_GET_FEATURES, 0, 0);
	ck_assert_uint_eq(req.arg[1] & (1u << KDOM_XENFEAT_DOM0), 0);
	req = call(&hardware, &rec, KDOM_HC_XEN_VERSION, KDOM_XENVER_GET_FEATURES, 0, 0);
	ck_assert_int_eq(req.ret, 0);
	ck_assert_uint_ne(req.arg[1] & (1u << KDOM_XENFEAT_DOM0), 0);
	/* Other submaps are empty, as Xen answers them. */
	req = call(&hardware, &rec, KDOM_HC_XEN_VERSION, KDOM_XENVER_GET_FEATURES, 7, 0xdead);
	ck_assert_int_eq(req.ret, 0);
	ck_assert_uint_eq(req.arg[1], 0);
}
END_TEST

START_TEST(test_shutdown_reasons)
{
	static const uint32_t reasons[] = { KDOM_SHUTDOWN_POWEROFF, KDOM_SHUTDOWN_REBOOT,
					    KDOM_SHUTDOWN_SUSPEND, KDOM_SHUTDOWN_CRASH,
					    KDOM_SHUTDOWN_WATCHDOG };
	struct domain d;
	struct kdom_hypercall req;

	domain_init(&d, 1, "guest", 0);
	for (unsigned int i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
		struct shutdown_record rec = { 0 };

		req = call(&d, &rec, KDOM_HC_SCHED_OP, KDOM_SCHEDOP_SHUTDOWN, reasons[i],
			   KDOM_RESULT_SKIP);
		ck_assert_int_eq(req.ret, 0);
		ck_assert_int_eq(rec.calls, 1);
		ck_assert_uint_eq(rec.reason, reasons[i]);
		ck_assert_uint_eq(rec.result, KDOM_RESULT_SKIP);
	}
}
END_TEST

START_TEST(test_bad_requests_refused)
{
	struct domain d;
	struct shutdown_record rec = { 0 };
	struct kdom_hypercall req;

	domain_init(&d, 1, "guest", 0);
	req = call(&d, &rec, KDOM_HC_SCHED_OP, KDOM_SCHEDOP_SHUTDOWN, 5, 0);
	ck_assert_int_eq(req.ret, -KDOM_EINVAL);
	req = call(&d, &rec, KDOM_HC_SCHED_OP, KDOM_SCHEDOP_SHUTDOWN, UINT64_MAX, 0);
	ck_assert_int_eq(req.ret, -KDOM_EINVAL);
	req = call(&d, &rec, KDOM_HC_SCHED_OP, KDOM_SCHEDOP_SHUTDOWN, 0, KDOM_RESULT_FAILURE + 1);
	ck_assert_int_eq(req.ret, -KDOM_EINVAL);
	req = call(&d, &rec, KDOM_HC_SCHED_OP, 77, 0, 0);
	ck_assert_int_eq(req.ret, -KDOM_ENOSYS);
	req = call(&d, &rec, 0xffffffff, 0, 0, 0);
	ck_assert_int_eq(req.ret, -KDOM_ENOSYS);
	ck_assert_int_eq(rec.calls, 0);
}
END_TEST

START_TEST(test_role_flags)
{
	struct domain d;

	domain_init(&d, 0, "dom0", DOMAIN_ROLE_HARDWARE | DOMAIN_ROLE_CONTROL);
	ck_assert_uint_eq(domain_role_flags(&d),
			  KDOM_ROLE_HARDWARE | KDOM_ROLE_CONTROL | KDOM_ROLE_BOOTSTRAP);
	domain_init(&d, 5, "guest", 0);
	ck_assert_uint_eq(domain_role_flags(&d), 0);
	ck_assert(!is_bootstrap_domain(&d));
	ck_assert_uint_eq(d.uuid[6] >> 4, 4); /* version 4 UUID */
}
END_TEST

/* A toolstack that records what reached it and answers 7. */
struct manage_record {
	int manage_calls, refused_calls;
	uint32_t op, cmd;
	uint32_t request; /* the control request control_request() reports */
};

static int64_t record_manage(void *opaque, struct kdom_hypercall *req)
{
	struct manage_record *rec = opaque;

	rec->manage_calls++;
	rec->op = req->op;
	rec->cmd = req->cmd;
	req->arg[3] = 0x5a;
	return 7;
}

static void record_refused(void *opaque, const struct kdom_hypercall *req)
{
	((struct manage_record *)opaque)->refused_calls++;
}

static uint32_t report_request(void *opaque)
{
	return ((struct manage_record *)opaque)->request;
}

static struct kdom_hypercall manage_call(const struct domain *d, struct manage_record *rec,
					 bool toolstack, uint32_t op, uint32_t cmd, uint64_t arg1)
{
	struct hypercall_ops ops = {
		.shutdown = NULL,
		.control_request = report_request,
		.manage = toolstack ? record_manage : NULL,
		.refused = record_refused,
		.opaque = rec,
	};
	struct kdom_hypercall req = { .op = op, .cmd = cmd, .arg = { 1, arg1 } };

	hypercall_dispatch(d, &ops, &req);
	return req;
}

/* A monitor whose host has 64 GiB (highest frame 0x1080000) and whose domain 256 MiB. */
static void fake_extent(void *opaque, bool host, uint64_t *bytes, uint64_t *max_pfn)
{
	*bytes = host ? 64ull << 30 : 256ull << 20;
	*max_pfn = host ? 0x1080000 : 0x10000;
}

/* The hardware domain is told the host's memory extent, every other domain its own. */
START_TEST(test_memory_extent_by_role)
{
	struct hypercall_ops ops = { .memory_extent = fake_extent };
	struct domain guest, hardware, control, bootstrap;
	const struct domain *domains[] = { &guest, &hardware, &control, &bootstrap };

	domain_init(&guest, 4, "guest", 0);
	domain_init(&hardware, 2, "hw", DOMAIN_ROLE_HARDWARE);
	domain_init(&control, 3, "ctl", DOMAIN_ROLE_CONTROL);
	domain_init(&bootstrap, 0, "boot", 0);
	for (size_t i = 0; i < sizeof(domains) / sizeof(domains[0]); i++) {
		struct kdom_hypercall req = { .op = KDOM_HC_KDOM_OP,
					      .cmd = KDOM_KDOMOP_GET_MEMORY_EXTENT,
					      .arg = { 9, 9, 9, 9 } };
		bool host = domains[i] == &hardware;

		hypercall_dispatch(domains[i], &ops, &req);
		ck_assert_int_eq(req.ret, 0);
		ck_assert_uint_eq(req.arg[0], host ? 64ull << 30 : 256ull << 20);
		ck_assert_uint_eq(req.arg[1], host ? 0x1080000 : 0x10000);
		ck_assert_uint_eq(req.arg[2], host);
	}
}
END_TEST

/*
 * Management ops: refused by role (and reported as refused) before the
 * toolstack hears of them for a domain that is neither control nor
 * bootstrap; passed on for the others; ENOSYS without a toolstack.
 */
START_TEST(test_management_ops_by_role)
{
	static const uint32_t ops[][2] = {
		{ KDOM_HC_DOMCTL, KDOM_DOMCTL_CREATEDOMAIN },
		{ KDOM_HC_DOMCTL, KDOM_DOMCTL_DESTROYDOMAIN },
		{ KDOM_HC_DOMCTL, KDOM_DOMCTL_PAUSEDOMAIN },
		{ KDOM_HC_DOMCTL, KDOM_DOMCTL_UNPAUSEDOMAIN },
		{ KDOM_HC_DOMCTL, KDOM_DOMCTL_GETDOMAININFO },
		{ KDOM_HC_SYSCTL, KDOM_SYSCTL_GETDOMAININFOLIST },
		{ KDOM_HC_SCHED_OP, KDOM_SCHEDOP_REMOTE_SHUTDOWN },
		{ KDOM_HC_KDOM_OP, KDOM_KDOMOP_LAUNCH_FINALIZE },
		{ KDOM_HC_KDOM_OP, KDOM_KDOMOP_GET_DOM_EXC },
	};
	struct domain guest, hardware, control, bootstrap;
	struct kdom_hypercall req;

	domain_init(&guest, 4, "guest", 0);
	domain_init(&hardware, 2, "hw", DOMAIN_ROLE_HARDWARE);
	domain_init(&control, 3, "ctl", DOMAIN_ROLE_CONTROL);
	domain_init(&bootstrap, 0, "boot", 0);
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		struct manage_record rec = { 0 };

		/* Neither control nor bootstrap: EPERM, the toolstack never asked. */
		req = manage_call(&guest, &rec, true, ops[i][0], ops[i][1], KDOM_SHUTDOWN_POWEROFF);
		ck_assert_int_eq(req.ret, -KDOM_EPERM);
		req = manage_call(&hardware, &rec, true, ops[i][0], ops[i][1],
				  KDOM_SHUTDOWN_POWEROFF);
		ck_assert_int_eq(req.ret, -KDOM_EPERM);
		ck_assert_int_eq(rec.manage_calls, 0);
		ck_assert_int_eq(rec.refused_calls, 2);
		ck_assert_uint_eq(req.arg[3], 0); /* nothing learnt */

		/* Control and bootstrap: the toolstack decides. */
		req = manage_call(&control, &rec, true, ops[i][0], ops[i][1],
				  KDOM_SHUTDOWN_POWEROFF);
		ck_assert_int_eq(req.ret, 7);
		ck_assert_uint_eq(req.arg[3], 0x5a);
		req = manage_call(&bootstrap, &rec, true, ops[i][0], ops[i][1],
				  KDOM_SHUTDOWN_POWEROFF);
		ck_assert_int_eq(req.ret, 7);
		ck_assert_int_eq(rec.manage_calls, 2);
		ck_assert_uint_eq(rec.op, ops[i][0]);
		ck_assert_uint_eq(rec.cmd, ops[i][1]);

		/* No toolstack (kdom run). */
		req = manage_call(&control, &rec, false, ops[i][0], ops[i][1],
				  KDOM_SHUTDOWN_POWEROFF);
		ck_assert_int_eq(req.ret, -KDOM_ENOSYS);
	}
}
END_TEST

START_TEST(test_management_bad_requests)
{
	struct domain control, guest;
	struct manage_record rec = { 0 };
	struct kdom_hypercall req;

	domain_init(&control, 3, "ctl", DOMAIN_ROLE_CONTROL);
	domain_init(&guest, 4, "guest", 0);
	/* Unknown domctl and sysctl sub-ops. */
	req = manage_call(&control, &rec, true, KDOM_HC_DOMCTL, 99, 0);
	ck_assert_int_eq(req.ret, -KDOM_ENOSYS);
	req = manage_call(&control, &rec, true, KDOM_HC_SYSCTL, 1, 0);
	ck_assert_int_eq(req.ret, -KDOM_ENOSYS);
	/* A remote shutdown with a bad reason: EINVAL for who may ask, EPERM for others. */
	req = manage_call(&control, &rec, true, KDOM_HC_SCHED_OP, KDOM_SCHEDOP_REMOTE_SHUTDOWN, 9);
	ck_assert_int_eq(req.ret, -KDOM_EINVAL);
	req = manage_call(&guest, &rec, true, KDOM_HC_SCHED_OP, KDOM_SCHEDOP_REMOTE_SHUTDOWN, 9);
	ck_assert_int_eq(req.ret, -KDOM_EPERM);
	ck_assert_int_eq(rec.manage_calls, 0);
	/* Every domain may read its own control request. */
	rec.request = KDOM_SHUTDOWN_REBOOT + 1;
	req = manage_call(&guest, &rec, false, KDOM_HC_KDOM_OP, KDOM_KDOMOP_GET_CONTROL_REQUEST, 0);
	ck_assert_int_eq(req.ret, 0);
	ck_assert_uint_eq(req.arg[0], 1);
	ck_assert_uint_eq(req.arg[1], KDOM_SHUTDOWN_REBOOT);
	rec.request = 0;
	req = manage_call(&guest, &rec, false, KDOM_HC_KDOM_OP, KDOM_KDOMOP_GET_CONTROL_REQUEST, 0);
	ck_assert_uint_eq(req.arg[0], 0);
	req = manage_call(&guest, &rec, false, KDOM_HC_KDOM_OP, 77, 0);
	ck_assert_int_eq(req.ret, -KDOM_ENOSYS);
}
END_TEST

Suite *hypercall_suite(void)
{
	Suite *suite = suite_create("hypercall");
	TCase *tc = tcase_create("ops");

	tcase_add_test(tc, test_xen_version);
	tcase_add_test(tc, test_features_dom0_only_for_hardware);
	tcase_add_test(tc, test_shutdown_reasons);
	tcase_add_test(tc, test_bad_requests_refused);
	tcase_add_test(tc, test_role_flags);
	tcase_add_test(tc, test_management_ops_by_role);
	tcase_add_test(tc, test_memory_extent_by_role);
	tcase_add_test(tc, test_management_bad_requests);
	suite_add_tcase(suite, tc);
	return suite;
}

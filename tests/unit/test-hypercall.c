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

Suite *hypercall_suite(void)
{
	Suite *suite = suite_create("hypercall");
	TCase *tc = tcase_create("ops");

	tcase_add_test(tc, test_xen_version);
	tcase_add_test(tc, test_features_dom0_only_for_hardware);
	tcase_add_test(tc, test_shutdown_reasons);
	tcase_add_test(tc, test_bad_requests_refused);
	tcase_add_test(tc, test_role_flags);
	suite_add_tcase(suite, tc);
	return suite;
}

/* features: role discovery — XENFEAT_dom0 and kdom's role flags match the domain's role. */
#include "guest.h"

const char test_title[] = "features: XENFEAT_dom0 and kdom role flags";

/*
 * expect=hardware|control|bootstrap|guest (several joined by '+', e.g.
 * hardware+control): the roles this domain must see.  Runs its CPUID before
 * any user-mode entry (see the cpuid guest).
 */
static bool expects(const char *role)
{
	return cmdline_has_word("expect", role, '+');
}

void test_main(void)
{
	uint32_t flags = cpuid(KDOM_CPUID_INFO).ecx;
	uint64_t args[4] = { 0 };
	bool dom0;

	if (!cmdline_get("expect")) {
		test_error("no expect= on the command line");
		return;
	}
	report(xen_version(KDOM_XENVER_GET_FEATURES, args) == 0, "XENVER_get_features answered");
	dom0 = args[1] & (1u << KDOM_XENFEAT_DOM0);
	report(dom0 == expects("hardware"), "XENFEAT_dom0 %s (expected %s)", dom0 ? "set" : "clear",
	       expects("hardware") ? "set" : "clear");
	report(!!(flags & KDOM_ROLE_HARDWARE) == expects("hardware"), "CPUID role flag hardware %s",
	       flags & KDOM_ROLE_HARDWARE ? "set" : "clear");
	report(!!(flags & KDOM_ROLE_CONTROL) == expects("control"), "CPUID role flag control %s",
	       flags & KDOM_ROLE_CONTROL ? "set" : "clear");
	report(!!(flags & KDOM_ROLE_BOOTSTRAP) == expects("bootstrap"),
	       "CPUID role flag bootstrap %s", flags & KDOM_ROLE_BOOTSTRAP ? "set" : "clear");
}

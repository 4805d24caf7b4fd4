/* features: role discovery — XENFEAT_dom0 and kdom's role flags match the domain's role. */
#include "guest.h"

const char test_title[] = "features: XENFEAT_dom0 and kdom role flags";

/*
 * expect=hardware|control|bootstrap|guest (several joined by '+', e.g.
 * hardware+control): the roles this domain must see.  Runs its CPUID before
 * any user-mode entry (see the cpuid guest).  The memory extent kdom tells
 * it must be the host's for the hardware domain (host-kb=N: the host's
 * MemTotal, when given) and its own for the others (memory-mib=N: its RAM).
 */
static bool expects(const char *role)
{
	return cmdline_has_word("expect", role, '+');
}

static void check_memory_extent(bool hardware)
{
	uint64_t args[4] = { 0 }, expected;
	int64_t ret = hypercall(KDOM_HC_KDOM_OP, KDOM_KDOMOP_GET_MEMORY_EXTENT, args);

	report(ret == 0, "GET_MEMORY_EXTENT answered (%ld)", (long)ret);
	report(args[2] == hardware, "the memory extent told is %s (expected %s)",
	       args[2] ? "the host's" : "the domain's own", hardware ? "the host's" : "its own");
	report(args[1] >= args[0] / 4096, "highest frame 0x%lx covers %lu bytes", args[1], args[0]);
	if (hardware && cmdline_get("host-kb") && parse_u64(cmdline_get("host-kb"), &expected))
		report(args[0] == expected * 1024, "host RAM %lu KiB (expected %lu)",
		       args[0] / 1024, expected);
	if (!hardware && cmdline_get("memory-mib") &&
	    parse_u64(cmdline_get("memory-mib"), &expected))
		report(args[0] == expected << 20, "own RAM %lu MiB (expected %lu)", args[0] >> 20,
		       expected);
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
	check_memory_extent(expects("hardware"));
}

/* cpuid: the CPUID leaves and hypercall answers every kdom domain sees. */
#include "guest.h"

const char test_title[] = "cpuid: hypervisor leaves, kdom leaves and hidden features";

#define CPUID_1_ECX_CX16 (1u << 13)
#define CPUID_1_ECX_XSAVE (1u << 26)
#define CPUID_1_ECX_OSXSAVE (1u << 27)
#define CPUID_1_ECX_AVX (1u << 28)
#define CPUID_1_ECX_HYPERVISOR (1u << 31)
#define CPUID_7_EBX_AVX2 (1u << 5)

static bool regs_spell(const struct cpuid_regs *r, const char *text)
{
	uint32_t words[3] = { r->ebx, r->ecx, r->edx };

	return memcmp(words, text, 12) == 0;
}

/* Is `name` one of the comma-separated words of hidden=? */
static bool expect_hidden(const char *name)
{
	return cmdline_has_word("hidden", name, ',');
}

/* hidden=cx16,xsave: kdom must hide what its host's emulator cannot run. */
static void check_hidden_features(void)
{
	struct cpuid_regs leaf1 = cpuid(1);
	uint32_t max_leaf = cpuid(0).eax;

	if (expect_hidden("cx16"))
		report(!(leaf1.ecx & CPUID_1_ECX_CX16), "CMPXCHG16B hidden (CPUID.1:ECX[13] = 0)");
	if (!expect_hidden("xsave"))
		return;
	report(!(leaf1.ecx & (CPUID_1_ECX_XSAVE | CPUID_1_ECX_OSXSAVE)),
	       "XSAVE and OSXSAVE hidden (CPUID.1:ECX[26:27] = 0)");
	report(!(leaf1.ecx & CPUID_1_ECX_AVX), "AVX, which needs XSAVE, hidden");
	if (max_leaf >= 7)
		report(!(cpuid_count(7, 0).ebx & CPUID_7_EBX_AVX2), "AVX2 hidden");
	if (max_leaf >= 0xd) {
		struct cpuid_regs xsave = cpuid_count(0xd, 0);

		report(!xsave.eax && !xsave.ebx && !xsave.ecx && !xsave.edx,
		       "leaf 0xd (XSAVE state) empty");
	}
}

/*
 * Every CPUID here runs before the guest first enters user mode: on hosts
 * whose KVM emulates guest kernel mode (PVM), CPUID is not intercepted once
 * the vCPU has run CPL3 code, and the host's own leaves show through.
 */
void test_main(void)
{
	struct cpuid_regs leaf1 = cpuid(1), kvm = cpuid(0x40000000);
	struct cpuid_regs base = cpuid(KDOM_CPUID_BASE), info = cpuid(KDOM_CPUID_INFO);
	uint64_t domid = cmdline_get_u64("domid", 1);
	uint64_t args[4] = { 0 };
	int64_t version;

	report(leaf1.ecx & CPUID_1_ECX_HYPERVISOR, "hypervisor bit set (CPUID.1:ECX[31])");
	report(regs_spell(&kvm, "KVMKVMKVM\0\0\0"), "leaf 0x40000000 is KVM's");
	report(regs_spell(&base, "KDomKDomKDom"), "leaf 0x%x signature KDomKDomKDom",
	       KDOM_CPUID_BASE);
	report(base.eax >= KDOM_CPUID_INFO, "leaf 0x%x reaches leaf 0x%x (max 0x%x)",
	       KDOM_CPUID_BASE, KDOM_CPUID_INFO, base.eax);
	report(info.eax == KDOM_ABI_VERSION, "ABI version %u (expected %u)", info.eax,
	       KDOM_ABI_VERSION);
	report(info.ebx == domid, "domid %u (expected %llu)", info.ebx, (unsigned long long)domid);
	report(info.ecx == cmdline_get_u64("roles", 0), "role flags 0x%x (expected 0x%llx)",
	       info.ecx, (unsigned long long)cmdline_get_u64("roles", 0));
	report(info.edx == KDOM_PORT_HYPERCALL, "hypercall port 0x%x", info.edx);
	report((leaf1.ebx >> 24) == 0, "boot CPU has APIC ID 0");

	version = xen_version(KDOM_XENVER_VERSION, args);
	report(version == (KDOM_VERSION_MAJOR << 16 | KDOM_VERSION_MINOR),
	       "xen_version(XENVER_version) = 0x%llx", (long long)version);
	args[0] = 0;
	report(xen_version(KDOM_XENVER_GET_FEATURES, args) == 0 &&
		       !(args[1] & (1u << KDOM_XENFEAT_DOM0)),
	       "XENFEAT_dom0 not offered to a guest domain (submap 0x%llx)",
	       (unsigned long long)args[1]);
	report(xen_version(12345, args) == -KDOM_ENOSYS, "unknown xen_version sub-op: -ENOSYS");

	check_hidden_features();
}

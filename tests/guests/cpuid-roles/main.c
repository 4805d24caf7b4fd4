/* cpuid-roles: the CPUID policy of the domain's role — host identity or the leveled baseline. */
#include "guest.h"

const char test_title[] = "cpuid-roles: host or leveled CPUID by role, kdom leaves, overrides";

/*
 * Command line (all from the test, never from kdom):
 *   expect=ROLE[+ROLE]  hardware, control, bootstrap, guest: the domain's roles
 *   domid=N             its domid (default 1)
 *   vendor= family= model= stepping= brand=
 *                       the host CPU as /proc/cpuinfo names it (brand with '_'
 *                       for spaces); a hardware or control domain must see it
 *   cleared=a,b         features a `cpuid =` override cleared
 *   strict=1            also check leaf 1 and leaf 7 features against the
 *                       baseline (hosts whose KVM applies kdom's table there)
 * Every CPUID runs before any user-mode entry (see the cpuid guest).
 */

#define LEVELED_BRAND "kdom virtual CPU"
#define BASELINE_FAMILY 15
#define BASELINE_MODEL 107
#define BASELINE_STEPPING 1
/* The x86-64-v2 baseline, as docs/roles.md lists it. */
#define BASELINE_1_EDX 0x078bfbffu
#define BASELINE_1_ECX 0x81b82201u /* with the hypervisor bit */
#define BASELINE_81_ECX 0x00000001u
#define BASELINE_81_EDX 0x20100800u
/* What KVM/the host may add on top in leaf 1 EDX: HTT (logical processor count). */
#define LEAF1_EDX_HTT (1u << 28)

struct feature {
	const char *name;
	uint32_t leaf;
	int reg; /* 2 = ECX, 3 = EDX */
	int bit;
};

static const struct feature features[] = {
	{ "sse4_2", 1, 2, 20 },		  { "aes", 1, 2, 25 },
	{ "popcnt", 1, 2, 23 },		  { "lahfsahf", 0x80000001, 2, 0 },
	{ "abm", 0x80000001, 2, 5 },	  { "rdtscp", 0x80000001, 3, 27 },
	{ "page1gb", 0x80000001, 3, 26 }, { "nx", 0x80000001, 3, 20 },
};

static bool expects(const char *role)
{
	return cmdline_has_word("expect", role, '+');
}

static uint32_t reg_of(struct cpuid_regs r, int reg)
{
	return reg == 2 ? r.ecx : r.edx;
}

static void brand_string(char out[49])
{
	uint32_t words[12];

	for (unsigned int i = 0; i < 3; i++) {
		struct cpuid_regs r = cpuid(0x80000002 + i);

		words[4 * i] = r.eax;
		words[4 * i + 1] = r.ebx;
		words[4 * i + 2] = r.ecx;
		words[4 * i + 3] = r.edx;
	}
	memcpy(out, words, 48);
	out[48] = '\0';
}

/* The brand as Linux's "model name" shows it: leading and trailing blanks cut, '_' for ' '. */
static const char *brand_as_cpuinfo(char *brand)
{
	char *start = brand, *end;

	while (*start == ' ')
		start++;
	end = start + strlen(start);
	while (end > start && end[-1] == ' ')
		*--end = '\0';
	for (char *p = start; *p; p++)
		if (*p == ' ')
			*p = '_';
	return start;
}

static void signature(uint32_t eax, uint32_t *family, uint32_t *model, uint32_t *stepping)
{
	*family = (eax >> 8) & 0xf;
	*model = (eax >> 4) & 0xf;
	if (*family == 0xf)
		*family += (eax >> 20) & 0xff;
	if (*family >= 6)
		*model |= ((eax >> 16) & 0xf) << 4;
	*stepping = eax & 0xf;
}

static void check_vendor(void)
{
	struct cpuid_regs r = cpuid(0);
	const char *want = cmdline_get("vendor");
	char vendor[13];

	memcpy(vendor, &r.ebx, 4);
	memcpy(vendor + 4, &r.edx, 4);
	memcpy(vendor + 8, &r.ecx, 4);
	vendor[12] = '\0';
	if (want)
		report(!strcmp(vendor, want), "vendor %s (expected the host's, %s)", vendor, want);
}

static void check_host_policy(void)
{
	uint32_t family, model, stepping;
	char brand[49];
	const char *seen;

	brand_string(brand);
	seen = brand_as_cpuinfo(brand);
	report(cmdline_get("brand") && !strcmp(seen, cmdline_get("brand")),
	       "brand '%s' is the host's ('%s')", seen,
	       cmdline_get("brand") ? cmdline_get("brand") : "(not given)");
	signature(cpuid(1).eax, &family, &model, &stepping);
	report(family == cmdline_get_u64("family", ~0ull) &&
		       model == cmdline_get_u64("model", ~0ull) &&
		       stepping == cmdline_get_u64("stepping", ~0ull),
	       "family %u model %u stepping %u are the host's", family, model, stepping);
}

static void check_leveled_policy(void)
{
	struct cpuid_regs leaf1 = cpuid(1), ext1 = cpuid(0x80000001);
	uint32_t family, model, stepping;
	char brand[49];

	brand_string(brand);
	report(!strcmp(brand, LEVELED_BRAND), "brand '%s' (expected '" LEVELED_BRAND "')", brand);
	signature(leaf1.eax, &family, &model, &stepping);
	report(family == BASELINE_FAMILY && model == BASELINE_MODEL &&
		       stepping == BASELINE_STEPPING,
	       "family %u model %u stepping %u are the baseline's", family, model, stepping);
	report(cpuid(0).eax <= 0xd, "highest basic leaf 0x%x within the baseline's 0xd",
	       cpuid(0).eax);
	report(cpuid(0x80000000).eax <= 0x80000008,
	       "highest extended leaf 0x%x within the baseline's 0x80000008",
	       cpuid(0x80000000).eax);
	report(!(ext1.ecx & ~BASELINE_81_ECX) && !(ext1.edx & ~BASELINE_81_EDX),
	       "leaf 0x80000001 features within the baseline (ECX %08x EDX %08x)", ext1.ecx,
	       ext1.edx);
	if (!cmdline_has_word("strict", "1", ','))
		return;
	report(!(leaf1.ecx & ~BASELINE_1_ECX) && !(leaf1.edx & ~(BASELINE_1_EDX | LEAF1_EDX_HTT)),
	       "leaf 1 features within the baseline (ECX %08x EDX %08x)", leaf1.ecx, leaf1.edx);
	struct cpuid_regs leaf7 = cpuid_count(7, 0);
	report(!leaf7.ebx && !leaf7.ecx && !leaf7.edx, "no leaf 7 features");
}

static void check_kdom_leaves(void)
{
	struct cpuid_regs kvm = cpuid(0x40000000), base = cpuid(KDOM_CPUID_BASE);
	struct cpuid_regs info = cpuid(KDOM_CPUID_INFO);
	uint32_t flags = (expects("hardware") ? KDOM_ROLE_HARDWARE : 0) |
			 (expects("control") ? KDOM_ROLE_CONTROL : 0) |
			 (expects("bootstrap") ? KDOM_ROLE_BOOTSTRAP : 0);

	report(cpuid(1).ecx & (1u << 31), "hypervisor bit set");
	report(!memcmp(&kvm.ebx, "KVMK", 4) && !memcmp(&kvm.ecx, "VMKV", 4) &&
		       !memcmp(&kvm.edx, "M\0\0\0", 4),
	       "leaf 0x40000000 is KVM's");
	report(!memcmp(&base.ebx, "KDom", 4) && !memcmp(&base.ecx, "KDom", 4) &&
		       !memcmp(&base.edx, "KDom", 4),
	       "leaf 0x%x says KDomKDomKDom", KDOM_CPUID_BASE);
	report(info.eax == KDOM_ABI_VERSION, "interface version %u", info.eax);
	report(info.ebx == cmdline_get_u64("domid", 1), "domid %u (expected %llu)", info.ebx,
	       (unsigned long long)cmdline_get_u64("domid", 1));
	report(info.ecx == flags, "role flags 0x%x (expected 0x%x)", info.ecx, flags);
	report(info.edx == KDOM_PORT_HYPERCALL, "hypercall port 0x%x", info.edx);
}

static void check_cleared(void)
{
	for (size_t i = 0; i < sizeof(features) / sizeof(features[0]); i++) {
		const struct feature *f = &features[i];

		if (cmdline_has_word("cleared", f->name, ','))
			report(!(reg_of(cpuid(f->leaf), f->reg) & (1u << f->bit)),
			       "%s cleared by the override", f->name);
	}
}

/*
 * The leaves kdom's table decides on every host, printed the way `kdom
 * cpuid` prints them, so a test can check that the command tells the truth.
 */
static void print_seen(void)
{
	static const uint32_t leaves[] = { 0x40000100, 0x40000101, 0x80000002, 0x80000003,
					   0x80000004 };

	for (size_t i = 0; i < sizeof(leaves) / sizeof(leaves[0]); i++) {
		struct cpuid_regs r = cpuid(leaves[i]);

		printf("seen %08x.0: %08x %08x %08x %08x\n", leaves[i], r.eax, r.ebx, r.ecx, r.edx);
	}
	/*
	 * strict=1: the feature words of leaves 1 and 7 too, which hosts with
	 * VMX/SVM take from kdom's table (tests/lab/check-cpuid-strict compares
	 * them with `kdom cpuid`).
	 */
	if (cmdline_has_word("strict", "1", ',')) {
		struct cpuid_regs l1 = cpuid(1), l7 = cpuid_count(7, 0);

		printf("features 00000001.0: ecx %08x edx %08x\n", l1.ecx, l1.edx);
		printf("features 00000007.0: ebx %08x ecx %08x edx %08x\n", l7.ebx, l7.ecx, l7.edx);
	}
}

void test_main(void)
{
	print_seen();
	if (!cmdline_get("expect")) {
		test_error("no expect= on the command line");
		return;
	}
	check_vendor();
	check_kdom_leaves();
	if (expects("hardware") || expects("control"))
		check_host_policy();
	else
		check_leveled_policy();
	check_cleared();
}

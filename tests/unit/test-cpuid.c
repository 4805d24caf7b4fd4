/* Unit tests of the CPUID table kdom gives each vCPU. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kdom/abi.h"
#include "tests/unit/unit.h"
#include "vmm/x86/cpuid.h"

/* A "supported" table with every feature bit set, as a generous host would give. */
static struct kvm_cpuid2 *all_features(void)
{
	static const uint32_t functions[][2] = {
		{ 0, 0 },	   { 1, 0 },
		{ 2, 0 },	   { 4, 0 },
		{ 4, 1 },	   { 7, 0 },
		{ 7, 1 },	   { 0xb, 0 },
		{ 0xb, 1 },	   { 0xd, 0 },
		{ 0xd, 1 },	   { 0x40000000, 0 },
		{ 0x40000001, 0 }, { KDOM_CPUID_BASE, 0 },
		{ 0x80000000, 0 }, { 0x80000001, 0 },
		{ 0x80000002, 0 }, { 0x80000003, 0 },
		{ 0x80000004, 0 }, { 0x80000008, 0 },
	};
	size_t n = sizeof(functions) / sizeof(functions[0]);
	struct kvm_cpuid2 *cpuid = calloc(1, sizeof(*cpuid) + n * sizeof(cpuid->entries[0]));

	cpuid->nent = n;
	for (size_t i = 0; i < n; i++) {
		struct kvm_cpuid_entry2 *e = &cpuid->entries[i];

		e->function = functions[i][0];
		e->index = functions[i][1];
		e->eax = e->ebx = e->ecx = e->edx = 0xffffffff;
	}
	return cpuid;
}

#define find cpuid_find

/* A host whose every register reads 0xHHLLLLSR: H=0xa5, leaf low 16 bits, subleaf, register. */
static void fake_host(uint32_t leaf, uint32_t subleaf, uint32_t regs[4])
{
	for (uint32_t r = 0; r < 4; r++)
		regs[r] = 0xa5000000u | (leaf & 0xffff) << 8 | (subleaf & 0xf) << 4 | r;
}

static struct kvm_cpuid2 *build(const struct kvm_cpuid2 *supported, const struct domain *d,
				enum policy_cpuid policy, const struct cpuid_override *ov,
				unsigned int nr_vcpus, bool cpl0_emulated, char *err)
{
	struct cpuid_request req = {
		.supported = supported,
		.host = fake_host,
		.policy = policy,
		.override = ov,
		.domain = d,
		.nr_vcpus = nr_vcpus,
		.cpl0_emulated = cpl0_emulated,
	};

	err[0] = '\0';
	return cpuid_build(&req, err, 256);
}

static char *brand(const struct kvm_cpuid2 *t, char out[49])
{
	for (uint32_t i = 0; i < 3; i++) {
		const struct kvm_cpuid_entry2 *e = find(t, 0x80000002 + i, 0);

		ck_assert_ptr_nonnull(e);
		memcpy(out + 16 * i, &e->eax, 4);
		memcpy(out + 16 * i + 4, &e->ebx, 4);
		memcpy(out + 16 * i + 8, &e->ecx, 4);
		memcpy(out + 16 * i + 12, &e->edx, 4);
	}
	out[48] = '\0';
	return out;
}

START_TEST(test_cpuid_hides_what_the_emulator_cannot_run)
{
	struct kvm_cpuid2 *supported = all_features(), *table;
	struct domain d;
	char err[256];

	domain_init(&d, 3, "t", DOMAIN_ROLE_HARDWARE);
	table = build(supported, &d, POLICY_CPUID_HOST, NULL, 1, true, err);
	ck_assert_ptr_nonnull(table);
	ck_assert_uint_eq(find(table, 1, 0)->ecx & (1u << 13), 0); /* CX16 */
	ck_assert_uint_eq(find(table, 1, 0)->ecx & (3u << 26), 0); /* XSAVE, OSXSAVE */
	ck_assert_uint_eq(find(table, 1, 0)->ecx & (1u << 28), 0); /* AVX */
	ck_assert_uint_eq(find(table, 7, 0)->ebx & (1u << 5), 0);  /* AVX2 */
	ck_assert_uint_eq(find(table, 7, 0)->ebx & (1u << 16), 0); /* AVX512F */
	ck_assert_uint_eq(find(table, 0xd, 0)->eax | find(table, 0xd, 1)->eax, 0);
	ck_assert_uint_ne(find(table, 1, 0)->ecx & 1, 0); /* SSE3 stays */
	ck_assert_uint_ne(find(table, 7, 0)->ebx & 1, 0); /* FSGSBASE stays */
	free(table);

	table = build(supported, &d, POLICY_CPUID_HOST, NULL, 1, false, err);
	ck_assert_uint_ne(find(table, 1, 0)->ecx & (1u << 13), 0);
	ck_assert_uint_ne(find(table, 1, 0)->ecx & (1u << 26), 0);
	ck_assert_uint_ne(find(table, 0xd, 0)->eax, 0);
	free(table);
	free(supported);
}
END_TEST

START_TEST(test_cpuid_kdom_leaves_and_apic_ids)
{
	struct kvm_cpuid2 *supported = all_features(), *table, *vcpu;
	const struct kvm_cpuid_entry2 *e;
	struct domain d;
	char err[256];

	domain_init(&d, 42, "t", DOMAIN_ROLE_CONTROL);
	for (int policy = POLICY_CPUID_LEVELED; policy <= POLICY_CPUID_HOST; policy++) {
		table = build(supported, &d, policy, NULL, 8, false, err);
		ck_assert_ptr_nonnull(table);
		vcpu = cpuid_for_vcpu(table, 5);
		e = find(vcpu, 1, 0);
		ck_assert_uint_eq(e->ebx >> 24, 5);		    /* APIC ID */
		ck_assert_uint_eq((e->ebx >> 16) & 0xff, 8);	    /* logical processors */
		ck_assert_uint_ne(e->ecx & (1u << 31), 0);	    /* hypervisor bit */
		ck_assert_uint_eq(find(vcpu, 0xb, 1)->edx, 5);	    /* x2APIC ID */
		ck_assert_uint_eq(find(table, 1, 0)->ebx >> 24, 0); /* the domain table's stays */
		e = find(vcpu, 0x40000000, 0);			    /* KVM's leaf stays KVM's */
		ck_assert_ptr_nonnull(e);
		ck_assert_uint_eq(e->ebx, 0xffffffff);
		e = find(vcpu, KDOM_CPUID_BASE, 0);
		ck_assert_uint_eq(e->eax, KDOM_CPUID_INFO);
		ck_assert_mem_eq(&e->ebx, "KDom", 4);
		ck_assert_mem_eq(&e->ecx, "KDom", 4);
		ck_assert_mem_eq(&e->edx, "KDom", 4);
		e = find(vcpu, KDOM_CPUID_INFO, 0);
		ck_assert_uint_eq(e->eax, KDOM_ABI_VERSION);
		ck_assert_uint_eq(e->ebx, 42);
		ck_assert_uint_eq(e->ecx, KDOM_ROLE_CONTROL);
		ck_assert_uint_eq(e->edx, KDOM_PORT_HYPERCALL);
		/* The host's entry in kdom's range was replaced, not duplicated. */
		unsigned int count = 0;
		for (uint32_t i = 0; i < vcpu->nent; i++)
			count += vcpu->entries[i].function == KDOM_CPUID_BASE;
		ck_assert_uint_eq(count, 1);
		free(vcpu);
		free(table);
	}
	free(supported);
}
END_TEST

/* Host policy: KVM's features, the host's identification (the fake host's values). */
START_TEST(test_cpuid_host_policy)
{
	struct kvm_cpuid2 *supported = all_features(), *table;
	uint32_t host[4];
	struct domain d;
	char err[256], text[49];

	domain_init(&d, 0, "t", DOMAIN_ROLE_HARDWARE);
	table = build(supported, &d, POLICY_CPUID_HOST, NULL, 1, false, err);
	ck_assert_ptr_nonnull(table);
	fake_host(0, 0, host);
	ck_assert_uint_eq(find(table, 0, 0)->ebx, host[1]); /* vendor */
	ck_assert_uint_eq(find(table, 0, 0)->ecx, host[2]);
	ck_assert_uint_eq(find(table, 0, 0)->edx, host[3]);
	fake_host(1, 0, host);
	ck_assert_uint_eq(find(table, 1, 0)->eax, host[0]);    /* family/model/stepping */
	ck_assert_uint_eq(find(table, 1, 0)->edx, 0xffffffff); /* features: KVM's */
	fake_host(4, 1, host);
	ck_assert_uint_eq(find(table, 4, 1)->eax, host[0]); /* cache descriptors */
	ck_assert_uint_eq(find(table, 4, 1)->edx, host[3]);
	fake_host(2, 0, host);
	ck_assert_uint_eq(find(table, 2, 0)->ebx, host[1]);
	fake_host(0xb, 1, host);
	ck_assert_uint_eq(find(table, 0xb, 1)->ebx, host[1]); /* topology */
	fake_host(0x80000003, 0, host);
	ck_assert_uint_eq(find(table, 0x80000003, 0)->ecx, host[2]); /* brand */
	ck_assert_str_ne(brand(table, text), CPUID_LEVELED_BRAND);
	ck_assert_uint_eq(find(table, 7, 0)->ebx, 0xffffffff);
	free(table);
	free(supported);
}
END_TEST

/* Leveled policy: the baseline and nothing of the host but vendor and address sizes. */
START_TEST(test_cpuid_leveled_policy)
{
	struct kvm_cpuid2 *supported = all_features(), *table;
	const struct kvm_cpuid_entry2 *e;
	struct domain d;
	char err[256], text[49];

	domain_init(&d, 4, "t", 0);
	table = build(supported, &d, POLICY_CPUID_LEVELED, NULL, 4, false, err);
	ck_assert_ptr_nonnull(table);
	ck_assert_str_eq(brand(table, text), CPUID_LEVELED_BRAND);
	e = find(table, 1, 0);
	ck_assert_uint_eq(e->eax, CPUID_BASELINE_SIGNATURE);
	/* x86-64-v2, spelled out bit by bit: sse3 ssse3 cx16 sse4_1 sse4_2 x2apic popcnt
	 * tsc-deadline hypervisor; fpu..pse36 but bit 10, clflush, mmx fxsr sse sse2. */
	ck_assert_uint_eq(e->ecx, (1u << 0) | (1u << 9) | (1u << 13) | (1u << 19) | (1u << 20) |
					  (1u << 21) | (1u << 23) | (1u << 24) | (1u << 31));
	ck_assert_uint_eq(e->edx, (0x3ffffu & ~(1u << 10)) | (1u << 19) | (0xfu << 23));
	e = find(table, 7, 0);
	ck_assert_uint_eq(e->ebx | e->ecx | e->edx, 0);
	e = find(table, 0x80000001, 0);
	ck_assert_uint_eq(e->ecx, 1u);					 /* lahfsahf */
	ck_assert_uint_eq(e->edx, (1u << 11) | (1u << 20) | (1u << 29)); /* syscall nx lm */
	ck_assert_uint_le(find(table, 0, 0)->eax, 0xd);
	ck_assert_uint_le(find(table, 0x80000000, 0)->eax, 0x80000008);
	ck_assert_uint_eq(find(table, 4, 0)->eax, 0); /* no cache leaves */
	ck_assert_ptr_null(find(table, 4, 1));
	ck_assert_uint_eq(find(table, 2, 0)->ebx, 0);
	ck_assert_uint_eq(find(table, 0xb, 1)->ebx, 4); /* 4 cores */
	ck_assert_uint_eq(find(table, 0xb, 1)->eax, 2); /* x2APIC ID shift */
	/* Nothing from the fake host's cpuid instruction leaked in. */
	for (uint32_t i = 0; i < table->nent; i++) {
		e = &table->entries[i];
		ck_assert_uint_ne(e->eax >> 24, 0xa5);
		ck_assert_uint_ne(e->ebx >> 24, 0xa5);
	}
	free(table);
	free(supported);
}
END_TEST

START_TEST(test_cpuid_override_parse)
{
	struct cpuid_override ov;
	char err[256];

	ck_assert_int_eq(cpuid_override_parse("host,sse4_2=0,aes=0", &ov, err, sizeof(err)), 0);
	ck_assert_uint_eq(ov.count, 2);
	ck_assert_uint_eq(ov.settings[0].leaf, 1);
	ck_assert_uint_eq(ov.settings[0].reg, CPUID_ECX);
	ck_assert_uint_eq(ov.settings[0].bit, 20);
	ck_assert(!ov.settings[0].value);
	ck_assert_uint_eq(ov.settings[1].bit, 25);
	ck_assert_int_eq(cpuid_override_parse("avx2=1, sse4.1=0", &ov, err, sizeof(err)), 0);
	ck_assert_uint_eq(ov.settings[0].leaf, 7);
	ck_assert_uint_eq(ov.settings[0].bit, 5);
	ck_assert(ov.settings[0].value);
	ck_assert_uint_eq(ov.settings[1].bit, 19);

	static const struct {
		const char *text, *message;
	} bad[] = {
		{ "host,frob=0", "cpuid: unknown feature 'frob'" },
		{ "aes=2", "cpuid: 'aes=2': a feature is set with =1 or cleared with =0" },
		{ "aes", "cpuid: 'aes' is not name=0 or name=1" },
		{ "host,,aes=0", "cpuid: empty item in 'host,,aes=0'" },
		{ "", "cpuid: empty item in ''" },
		{ "hypervisor=0", "cpuid: the hypervisor bit is always set" },
		{ "aes=0,host", "cpuid: 'host' is not name=0 or name=1" },
		{ "0x00000001:ecx=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx0",
		  "cpuid: '0x00000001:ecx=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx0': the "
		  "leaf:register=bits "
		  "form is not supported, use feature names (sse4_2=0)" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		ck_assert_int_eq(cpuid_override_parse(bad[i].text, &ov, err, sizeof(err)), -EINVAL);
		ck_assert_str_eq(err, bad[i].message);
	}
	/* More settings than fit. */
	char many[CPUID_OVERRIDE_MAX * 6 + 16] = "host";
	for (int i = 0; i <= CPUID_OVERRIDE_MAX; i++)
		strcat(many, ",aes=0");
	ck_assert_int_eq(cpuid_override_parse(many, &ov, err, sizeof(err)), -EINVAL);
}
END_TEST

START_TEST(test_cpuid_override_applies)
{
	struct kvm_cpuid2 *supported = all_features(), *table;
	struct cpuid_override ov;
	struct domain d;
	char err[256];

	domain_init(&d, 1, "t", 0);
	/* Clear on the host policy; set a KVM-supported feature beyond the baseline. */
	ck_assert_int_eq(
		cpuid_override_parse("host,sse4_2=0,aes=0,lahfsahf=0", &ov, err, sizeof(err)), 0);
	table = build(supported, &d, POLICY_CPUID_HOST, &ov, 1, false, err);
	ck_assert_ptr_nonnull(table);
	ck_assert_uint_eq(find(table, 1, 0)->ecx & ((1u << 20) | (1u << 25)), 0);
	ck_assert_uint_eq(find(table, 0x80000001, 0)->ecx & 1, 0);
	ck_assert_uint_ne(find(table, 1, 0)->ecx & (1u << 19), 0); /* sse4_1 untouched */
	free(table);
	ck_assert_int_eq(cpuid_override_parse("aes=1,rdtscp=1", &ov, err, sizeof(err)), 0);
	table = build(supported, &d, POLICY_CPUID_LEVELED, &ov, 1, false, err);
	ck_assert_ptr_nonnull(table);
	ck_assert_uint_ne(find(table, 1, 0)->ecx & (1u << 25), 0);
	ck_assert_uint_ne(find(table, 0x80000001, 0)->edx & (1u << 27), 0);
	free(table);
	/* Setting what KVM does not support is refused, naming it. */
	find(supported, 1, 0);
	((struct kvm_cpuid_entry2 *)find(supported, 1, 0))->ecx &= ~(1u << 25);
	table = build(supported, &d, POLICY_CPUID_HOST, &ov, 1, false, err);
	ck_assert_ptr_null(table);
	ck_assert_str_eq(err, "cpuid: aes=1, but KVM on this host does not support aes");
	free(supported);
}
END_TEST

START_TEST(test_cpuid_sort)
{
	struct kvm_cpuid2 *supported = all_features(), *table;
	struct domain d;
	char err[256];

	domain_init(&d, 1, "t", DOMAIN_ROLE_HARDWARE);
	table = build(supported, &d, POLICY_CPUID_HOST, NULL, 1, false, err);
	cpuid_sort(table);
	for (uint32_t i = 1; i < table->nent; i++) {
		const struct kvm_cpuid_entry2 *a = &table->entries[i - 1], *b = &table->entries[i];

		ck_assert(a->function < b->function ||
			  (a->function == b->function && a->index < b->index));
	}
	free(table);
	free(supported);
}
END_TEST

Suite *cpuid_suite(void)
{
	Suite *suite = suite_create("cpuid");
	TCase *tc = tcase_create("table");

	tcase_add_test(tc, test_cpuid_hides_what_the_emulator_cannot_run);
	tcase_add_test(tc, test_cpuid_kdom_leaves_and_apic_ids);
	tcase_add_test(tc, test_cpuid_host_policy);
	tcase_add_test(tc, test_cpuid_leveled_policy);
	tcase_add_test(tc, test_cpuid_override_parse);
	tcase_add_test(tc, test_cpuid_override_applies);
	tcase_add_test(tc, test_cpuid_sort);
	suite_add_tcase(suite, tc);
	return suite;
}

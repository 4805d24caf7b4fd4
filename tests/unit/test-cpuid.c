/* Unit tests of the CPUID table kdom gives each vCPU. */
#include <stdlib.h>
#include <string.h>

#include "kdom/abi.h"
#include "tests/unit/unit.h"
#include "vmm/cpuid.h"

/* A "supported" table with every feature bit set, as a generous host would give. */
static struct kvm_cpuid2 *all_features(void)
{
	static const uint32_t functions[][2] = {
		{ 0, 0 },
		{ 1, 0 },
		{ 7, 0 },
		{ 7, 1 },
		{ 0xb, 0 },
		{ 0xb, 1 },
		{ 0xd, 0 },
		{ 0xd, 1 },
		{ 0x40000000, 0 },
		{ 0x40000001, 0 },
		{ KDOM_CPUID_BASE, 0 },
		{ 0x80000000, 0 },
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

static const struct kvm_cpuid_entry2 *find(const struct kvm_cpuid2 *cpuid, uint32_t function,
					   uint32_t index)
{
	for (uint32_t i = 0; i < cpuid->nent; i++)
		if (cpuid->entries[i].function == function && cpuid->entries[i].index == index)
			return &cpuid->entries[i];
	return NULL;
}

START_TEST(test_cpuid_hides_what_the_emulator_cannot_run)
{
	struct kvm_cpuid2 *supported = all_features(), *table;
	struct domain d;

	domain_init(&d, 3, "t", 0);
	table = cpuid_for_vcpu(supported, &d, 0, 1, true);
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

	table = cpuid_for_vcpu(supported, &d, 0, 1, false);
	ck_assert_uint_ne(find(table, 1, 0)->ecx & (1u << 13), 0);
	ck_assert_uint_ne(find(table, 1, 0)->ecx & (1u << 26), 0);
	ck_assert_uint_ne(find(table, 0xd, 0)->eax, 0);
	free(table);
	free(supported);
}
END_TEST

START_TEST(test_cpuid_identity_leaves)
{
	struct kvm_cpuid2 *supported = all_features(), *table;
	const struct kvm_cpuid_entry2 *e;
	struct domain d;

	domain_init(&d, 42, "t", DOMAIN_ROLE_CONTROL);
	table = cpuid_for_vcpu(supported, &d, 5, 8, false);
	e = find(table, 1, 0);
	ck_assert_uint_eq(e->ebx >> 24, 5);		   /* APIC ID */
	ck_assert_uint_eq((e->ebx >> 16) & 0xff, 8);	   /* logical processors */
	ck_assert_uint_ne(e->ecx & (1u << 31), 0);	   /* hypervisor bit */
	ck_assert_uint_eq(find(table, 0xb, 1)->edx, 5);	   /* x2APIC ID */
	ck_assert_ptr_nonnull(find(table, 0x40000000, 0)); /* KVM's leaf stays */
	e = find(table, KDOM_CPUID_BASE, 0);
	ck_assert_uint_eq(e->eax, KDOM_CPUID_INFO);
	ck_assert_mem_eq(&e->ebx, "KDom", 4);
	ck_assert_mem_eq(&e->ecx, "KDom", 4);
	ck_assert_mem_eq(&e->edx, "KDom", 4);
	e = find(table, KDOM_CPUID_INFO, 0);
	ck_assert_uint_eq(e->eax, KDOM_ABI_VERSION);
	ck_assert_uint_eq(e->ebx, 42);
	ck_assert_uint_eq(e->ecx, KDOM_ROLE_CONTROL);
	ck_assert_uint_eq(e->edx, KDOM_PORT_HYPERCALL);
	/* The host's entry in kdom's range was replaced, not duplicated. */
	unsigned int count = 0;
	for (uint32_t i = 0; i < table->nent; i++)
		count += table->entries[i].function == KDOM_CPUID_BASE;
	ck_assert_uint_eq(count, 1);
	free(table);
	free(supported);
}
END_TEST

Suite *cpuid_suite(void)
{
	Suite *suite = suite_create("cpuid");
	TCase *tc = tcase_create("table");

	tcase_add_test(tc, test_cpuid_hides_what_the_emulator_cannot_run);
	tcase_add_test(tc, test_cpuid_identity_leaves);
	suite_add_tcase(suite, tc);
	return suite;
}

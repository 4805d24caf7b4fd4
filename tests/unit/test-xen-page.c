/* Unit tests of Xen's hypercall page and the decoding of a stub's registers. */
#include <string.h>

#include "devices/xen/hypercall.h"
#include "tests/unit/unit.h"

START_TEST(test_xen_page_stubs)
{
	uint8_t page[4096];

	memset(page, 0, sizeof(page));
	xen_hypercall_page_fill(page);
	for (uint32_t n = 0; n < XEN_HYPERCALL_STUBS; n++) {
		const uint8_t *stub = page + n * XEN_HYPERCALL_STUB_SIZE;
		uint32_t imm;

		/* mov $n, %eax; out %al, $port; ret — never a RET first (guests check). */
		ck_assert_uint_eq(stub[0], 0xb8);
		memcpy(&imm, stub + 1, 4);
		ck_assert_uint_eq(imm, n);
		ck_assert_uint_eq(stub[5], 0xe6);
		ck_assert_uint_eq(stub[6], XEN_HYPERCALL_PORT);
		ck_assert_uint_eq(stub[7], 0xc3);
		for (unsigned int i = 8; i < XEN_HYPERCALL_STUB_SIZE; i++)
			ck_assert_uint_eq(stub[i], 0xcc);
	}
}
END_TEST

START_TEST(test_xen_decode_modes)
{
	struct kvm_regs regs = {
		.rax = 0xffffffff00000011ull, /* op 17 in eax; the upper half is not the op's */
		.rbx = 0x1111111100000001ull,
		.rcx = 0x2222222200000002ull,
		.rdx = 0x3333333300000003ull,
		.rsi = 0x4444444400000004ull,
		.rdi = 0x5555555500000005ull,
		.r10 = 0x6666666600000006ull,
		.r8 = 0x7777777700000007ull,
	};
	struct kvm_sregs sregs = { 0 };
	struct xen_call call;

	/* 64-bit: rdi, rsi, rdx, r10, r8, whole. */
	xen_call_decode(&regs, true, 3, &call);
	ck_assert_uint_eq(call.op, 17);
	ck_assert(call.long_mode);
	ck_assert_uint_eq(call.vcpu_id, 3);
	ck_assert_uint_eq(call.arg[0], regs.rdi);
	ck_assert_uint_eq(call.arg[1], regs.rsi);
	ck_assert_uint_eq(call.arg[2], regs.rdx);
	ck_assert_uint_eq(call.arg[3], regs.r10);
	ck_assert_uint_eq(call.arg[4], regs.r8);
	/* 32-bit: ebx, ecx, edx, esi, edi, truncated to 32 bits. */
	xen_call_decode(&regs, false, 0, &call);
	ck_assert(!call.long_mode);
	ck_assert_uint_eq(call.arg[0], 1);
	ck_assert_uint_eq(call.arg[1], 2);
	ck_assert_uint_eq(call.arg[2], 3);
	ck_assert_uint_eq(call.arg[3], 4);
	ck_assert_uint_eq(call.arg[4], 5);

	/* Long mode needs both EFER.LMA and a 64-bit code segment (not compatibility mode). */
	ck_assert(!xen_long_mode(&sregs));
	sregs.efer = 1u << 10;
	ck_assert(!xen_long_mode(&sregs));
	sregs.cs.l = 1;
	ck_assert(xen_long_mode(&sregs));
	sregs.efer = 0;
	ck_assert(!xen_long_mode(&sregs));
}
END_TEST

Suite *xen_page_suite(void)
{
	Suite *suite = suite_create("xen-page");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_xen_page_stubs);
	tcase_add_test(tc, test_xen_decode_modes);
	suite_add_tcase(suite, tc);
	return suite;
}

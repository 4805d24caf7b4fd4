/* Unit tests of the checked guest-memory accessor. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "tests/unit/unit.h"
#include "vmm/guest-mem.h"

START_TEST(test_gmem_bounds)
{
	static uint8_t ram[1 << 20];
	struct guest_mem mem;
	uint8_t byte = 0x5a;

	gmem_wrap(&mem, ram, sizeof(ram));
	ck_assert_ptr_eq(gmem_ptr(&mem, 0, 1), ram);
	ck_assert_ptr_eq(gmem_ptr(&mem, sizeof(ram) - 1, 1), ram + sizeof(ram) - 1);
	ck_assert_ptr_eq(gmem_ptr(&mem, 0, sizeof(ram)), ram);
	ck_assert_ptr_null(gmem_ptr(&mem, sizeof(ram), 1));
	ck_assert_ptr_null(gmem_ptr(&mem, sizeof(ram) - 1, 2));
	ck_assert_ptr_null(gmem_ptr(&mem, 0, sizeof(ram) + 1));
	/* Arithmetic that wraps must not look like a small range. */
	ck_assert_ptr_null(gmem_ptr(&mem, UINT64_MAX, 2));
	ck_assert_ptr_null(gmem_ptr(&mem, 16, UINT64_MAX));
	ck_assert_ptr_null(gmem_ptr(&mem, UINT64_MAX - 7, 16));
	ck_assert_int_eq(gmem_write(&mem, sizeof(ram), &byte, 1), -EFAULT);
	ck_assert_int_eq(gmem_write(&mem, 100, &byte, 1), 0);
	ck_assert_int_eq(ram[100], 0x5a);
	byte = 0;
	ck_assert_int_eq(gmem_read(&mem, 100, &byte, 1), 0);
	ck_assert_int_eq(byte, 0x5a);
	ck_assert_int_eq(gmem_read(&mem, sizeof(ram) - 4, &byte, 8), -EFAULT);
}
END_TEST

START_TEST(test_gmem_high_region)
{
	/* Pretend to have 3 GiB + 8 MiB: the 8 MiB above the hole lands at 4 GiB. */
	struct guest_mem mem = {
		.host = (uint8_t *)(uintptr_t)0x10000000000ull, /* never dereferenced */
		.size = 0xc0000000ull + (8u << 20),
		.low_size = 0xc0000000ull,
		.fd = -1,
	};

	ck_assert_ptr_nonnull(gmem_ptr(&mem, 0xbffff000ull, 0x1000));
	ck_assert_ptr_null(gmem_ptr(&mem, 0xbffff000ull, 0x1001)); /* runs into the hole */
	ck_assert_ptr_null(gmem_ptr(&mem, 0xc0000000ull, 1));
	ck_assert_ptr_null(gmem_ptr(&mem, 0xfee00000ull, 4));
	ck_assert_ptr_eq(gmem_ptr(&mem, GMEM_4G, 1), mem.host + mem.low_size);
	ck_assert_ptr_nonnull(gmem_ptr(&mem, GMEM_4G + (8u << 20) - 1, 1));
	ck_assert_ptr_null(gmem_ptr(&mem, GMEM_4G + (8u << 20) - 1, 2));
	ck_assert_uint_eq(gmem_high_end(&mem), GMEM_4G + (8u << 20));
}
END_TEST

START_TEST(test_gmem_create_sizes)
{
	struct guest_mem mem;
	const char *err = NULL;

	ck_assert_int_eq(gmem_create(&mem, 1, &err), -EINVAL);
	ck_assert_ptr_nonnull(err);
	ck_assert_int_eq(gmem_create(&mem, GMEM_MAX_MIB + 1, &err), -EINVAL);
	ck_assert_int_eq(gmem_create(&mem, 4, &err), 0);
	ck_assert_int_ge(mem.fd, 0);
	ck_assert_uint_eq(mem.size, 4u << 20);
	ck_assert_ptr_nonnull(gmem_ptr(&mem, (4u << 20) - 1, 1));
	ck_assert_ptr_null(gmem_ptr(&mem, 4u << 20, 1));
	gmem_destroy(&mem);
	ck_assert_ptr_null(gmem_ptr(&mem, 0, 1));
	gmem_destroy(&mem); /* twice is harmless */
}
END_TEST

Suite *guest_mem_suite(void)
{
	Suite *suite = suite_create("guest-mem");
	TCase *tc = tcase_create("accessor");

	tcase_add_test(tc, test_gmem_bounds);
	tcase_add_test(tc, test_gmem_high_region);
	tcase_add_test(tc, test_gmem_create_sizes);
	suite_add_tcase(suite, tc);
	return suite;
}

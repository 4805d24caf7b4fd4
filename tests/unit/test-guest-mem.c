/* Unit tests of the checked guest-memory accessor. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/unit.h"
#include "vmm/guest-mem.h"
#include "vmm/host-memory.h"

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

/*
 * A fake paging for gmem_copy_linear(): linear page n maps to guest page
 * map[n] (UINT64_MAX: not mapped), read-only where ro[n].
 */
struct fake_paging {
	uint64_t map[8];
	bool ro[8];
	unsigned int calls;
};

static int fake_translate(void *opaque, uint64_t gva, bool write, uint64_t *gpa)
{
	struct fake_paging *p = opaque;
	uint64_t page = gva / 4096;

	p->calls++;
	if (page >= 8 || p->map[page] == UINT64_MAX || (write && p->ro[page]))
		return -EFAULT;
	*gpa = p->map[page] * 4096 + gva % 4096;
	return 0;
}

START_TEST(test_gmem_copy_linear)
{
	static uint8_t ram[16 * 4096];
	struct fake_paging paging = {
		/* linear 0 -> 5, 1 -> 2 (not contiguous), 2 unmapped, 3 -> 7 read-only, 4 -> beyond RAM */
		.map = { 5, 2, UINT64_MAX, 7, 100, UINT64_MAX, UINT64_MAX, UINT64_MAX },
		.ro = { [3] = true },
	};
	struct guest_mem mem;
	uint8_t buf[64], pattern[64];

	gmem_wrap(&mem, ram, sizeof(ram));
	for (unsigned int i = 0; i < sizeof(pattern); i++)
		pattern[i] = (uint8_t)(0xa0 + i);

	/* A copy straddling linear pages 0 and 1 lands in guest pages 5 and 2. */
	ck_assert_int_eq(
		gmem_copy_linear(&mem, 4096 - 16, pattern, 64, true, fake_translate, &paging), 0);
	ck_assert_mem_eq(ram + 5 * 4096 + 4096 - 16, pattern, 16);
	ck_assert_mem_eq(ram + 2 * 4096, pattern + 16, 48);
	memset(buf, 0, sizeof(buf));
	ck_assert_int_eq(gmem_copy_linear(&mem, 4096 - 16, buf, 64, false, fake_translate, &paging),
			 0);
	ck_assert_mem_eq(buf, pattern, 64);

	/* Into an unmapped page: nothing moves, not even the mapped part's bytes. */
	memset(ram, 0, sizeof(ram));
	ck_assert_int_eq(
		gmem_copy_linear(&mem, 2 * 4096 - 8, pattern, 16, true, fake_translate, &paging),
		-EFAULT);
	ck_assert_int_eq(ram[2 * 4096 + 4096 - 8], 0);
	/* Read-only: readable, not writable. */
	ck_assert_int_eq(gmem_copy_linear(&mem, 3 * 4096, buf, 8, false, fake_translate, &paging),
			 0);
	ck_assert_int_eq(
		gmem_copy_linear(&mem, 3 * 4096, pattern, 8, true, fake_translate, &paging),
		-EFAULT);
	ck_assert_int_eq(ram[7 * 4096], 0);
	/* Mapped to a guest page that is not RAM. */
	ck_assert_int_eq(gmem_copy_linear(&mem, 4 * 4096, buf, 8, false, fake_translate, &paging),
			 -EFAULT);
	/* Too long, and wrapping past the top, are refused before any translation. */
	paging.calls = 0;
	ck_assert_int_eq(
		gmem_copy_linear(&mem, 0, buf, GMEM_LINEAR_MAX + 1, false, fake_translate, &paging),
		-EFAULT);
	ck_assert_int_eq(
		gmem_copy_linear(&mem, UINT64_MAX - 3, buf, 8, false, fake_translate, &paging),
		-EFAULT);
	ck_assert_uint_eq(paging.calls, 0);
	/* Zero bytes copy nothing and succeed. */
	ck_assert_int_eq(gmem_copy_linear(&mem, 2 * 4096, buf, 0, false, fake_translate, &paging),
			 0);
}
END_TEST

START_TEST(test_gmem_release)
{
	struct guest_mem mem;
	const char *err = NULL;
	uint8_t *page;

	ck_assert_int_eq(gmem_create(&mem, 4, &err), 0);
	page = gmem_ptr(&mem, 8192, 4096);
	memset(page, 0x77, 4096);
	ck_assert_int_eq(gmem_release(&mem, 8192, 4096), 0);
	for (unsigned int i = 0; i < 4096; i++)
		ck_assert_int_eq(page[i], 0);
	ck_assert_int_eq(gmem_release(&mem, mem.size, 4096), -EFAULT);
	gmem_destroy(&mem);
}
END_TEST

/* The host's extent from /proc text: iomem with addresses (root), without, and bad meminfo. */
START_TEST(test_host_memory_parse)
{
	static const char meminfo[] = "MemTotal:       24587648 kB\nMemFree:  1000 kB\n";
	static const char iomem_root[] = "00000000-00000fff : Reserved\n"
					 "00001000-0009fbff : System RAM\n"
					 "000a0000-000fffff : Reserved\n"
					 "00100000-bffdffff : System RAM\n"
					 "  01000000-01e00fff : Kernel code\n"
					 "fec00000-fec003ff : IOAPIC 0\n"
					 "100000000-63fffffff : System RAM\n"
					 "640000000-67fffffff : PCI Bus 0000:00\n";
	static const char iomem_user[] = "00000000-00000000 : Reserved\n"
					 "00000000-00000000 : System RAM\n";
	uint64_t bytes, max_pfn;

	ck_assert_int_eq(host_memory_parse(meminfo, iomem_root, &bytes, &max_pfn), 0);
	ck_assert_uint_eq(bytes, 24587648ull * 1024);
	ck_assert_uint_eq(max_pfn, 0x640000000ull >> 12); /* the end of the highest System RAM */
	ck_assert_int_eq(host_memory_parse(meminfo, iomem_user, &bytes, &max_pfn), 0);
	ck_assert_uint_eq(max_pfn, 24587648ull * 1024 >> 12); /* no addresses: the page count */
	ck_assert_int_eq(host_memory_parse(meminfo, NULL, &bytes, &max_pfn), 0);
	ck_assert_uint_eq(max_pfn, 24587648ull * 1024 >> 12);
	ck_assert_int_eq(host_memory_parse("MemFree: 5 kB\n", iomem_root, &bytes, &max_pfn),
			 -EINVAL);
	ck_assert_uint_eq(bytes, 0);
	ck_assert_int_eq(host_memory_parse(NULL, NULL, &bytes, &max_pfn), -EINVAL);
	/* This host's own files parse. */
	ck_assert_int_eq(host_memory_extent(&bytes, &max_pfn), 0);
	ck_assert_uint_gt(bytes, 0);
	ck_assert_uint_ge(max_pfn, bytes >> 12 >> 1);
}
END_TEST

Suite *guest_mem_suite(void)
{
	Suite *suite = suite_create("guest-mem");
	TCase *tc = tcase_create("accessor");

	tcase_add_test(tc, test_gmem_bounds);
	tcase_add_test(tc, test_gmem_high_region);
	tcase_add_test(tc, test_gmem_create_sizes);
	tcase_add_test(tc, test_gmem_copy_linear);
	tcase_add_test(tc, test_gmem_release);
	tcase_add_test(tc, test_host_memory_parse);
	suite_add_tcase(suite, tc);
	return suite;
}

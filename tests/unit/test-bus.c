/* Unit tests of the port/MMIO bus: registration, overlap refusal, dispatch. */
#include <errno.h>
#include <string.h>

#include "tests/unit/unit.h"
#include "vmm/bus.h"

struct fake_device {
	int calls;
	struct bus_access last;
	uint8_t last_data[8];
	uint8_t read_value;
};

static void fake_io(void *opaque, struct bus_access *access)
{
	struct fake_device *dev = opaque;

	dev->calls++;
	dev->last = *access;
	if (access->write)
		memcpy(dev->last_data, access->data, access->len);
	else
		memset(access->data, dev->read_value, access->len);
}

START_TEST(test_bus_overlap_refused)
{
	struct bus bus;
	struct fake_device a = { 0 }, b = { 0 };

	bus_init(&bus, "test");
	ck_assert_int_eq(bus_register(&bus, 0x3f8, 8, fake_io, &a, "a"), 0);
	ck_assert_int_eq(bus_register(&bus, 0x3f8, 1, fake_io, &b, "b"), -EEXIST);
	ck_assert_int_eq(bus_register(&bus, 0x3f0, 9, fake_io, &b, "b"), -EEXIST);
	ck_assert_int_eq(bus_register(&bus, 0x3ff, 4, fake_io, &b, "b"), -EEXIST);
	ck_assert_int_eq(bus_register(&bus, 0x3f0, 0x20, fake_io, &b, "b"), -EEXIST);
	ck_assert_int_eq(bus_register(&bus, 0x3f0, 8, fake_io, &b, "b"), 0);  /* adjacent below */
	ck_assert_int_eq(bus_register(&bus, 0x400, 8, fake_io, &b, "b2"), 0); /* adjacent above */
	ck_assert_int_eq(bus_register(&bus, 0x10, 0, fake_io, &b, "empty"), -EINVAL);
	ck_assert_int_eq(bus_register(&bus, UINT64_MAX, 2, fake_io, &b, "wraps"), -EINVAL);
	ck_assert_int_eq(bus_register(&bus, UINT64_MAX, 1, fake_io, &b, "last"), 0);
	ck_assert_uint_eq(bus.nranges, 4);
	for (size_t i = 1; i < bus.nranges; i++)
		ck_assert_uint_lt(bus.ranges[i - 1].base, bus.ranges[i].base);
	bus_destroy(&bus);
}
END_TEST

START_TEST(test_bus_dispatch)
{
	struct bus bus;
	struct fake_device a = { .read_value = 0x11 }, b = { .read_value = 0x22 };
	uint8_t data[4] = { 1, 2, 3, 4 };

	bus_init(&bus, "test");
	ck_assert_int_eq(bus_register(&bus, 0x60, 1, fake_io, &a, "a"), 0);
	ck_assert_int_eq(bus_register(&bus, 0x1000, 0x100, fake_io, &b, "b"), 0);

	ck_assert(bus_dispatch(&bus, 0x1010, data, 4, true, NULL));
	ck_assert_int_eq(b.calls, 1);
	ck_assert_uint_eq(b.last.offset, 0x10);
	ck_assert_uint_eq(b.last.addr, 0x1010);
	ck_assert_mem_eq(b.last_data, data, 4);

	ck_assert(bus_dispatch(&bus, 0x60, data, 1, false, NULL));
	ck_assert_int_eq(data[0], 0x11);

	/* Unclaimed reads see all-ones; writes go nowhere. */
	ck_assert(!bus_dispatch(&bus, 0x61, data, 2, false, NULL));
	ck_assert_int_eq(data[0], 0xff);
	ck_assert_int_eq(data[1], 0xff);
	ck_assert(!bus_dispatch(&bus, 0x0, data, 1, true, NULL));

	/* An access that straddles the end of a range is not the device's. */
	ck_assert(!bus_dispatch(&bus, 0x10fe, data, 4, false, NULL));
	ck_assert(!bus_dispatch(&bus, 0x5f, data, 2, true, NULL));
	ck_assert(!bus_dispatch(&bus, UINT64_MAX, data, 2, false, NULL));
	ck_assert_int_eq(a.calls, 1);
	ck_assert_int_eq(b.calls, 1);

	ck_assert_int_eq(bus_unregister(&bus, 0x1000), 0);
	ck_assert_int_eq(bus_unregister(&bus, 0x1000), -ENOENT);
	ck_assert(!bus_dispatch(&bus, 0x1010, data, 1, false, NULL));
	bus_destroy(&bus);
}
END_TEST

START_TEST(test_bus_many_ranges)
{
	static struct fake_device devs[200];
	struct bus bus;
	uint8_t data[2];

	bus_init(&bus, "test");
	/* Insert out of order; lookups must still find every one. */
	for (int i = 0; i < 200; i++) {
		int slot = (i * 37) % 200;

		ck_assert_int_eq(bus_register(&bus, slot * 16, 8, fake_io, &devs[slot], "d"), 0);
	}
	for (int slot = 0; slot < 200; slot++) {
		ck_assert(bus_dispatch(&bus, slot * 16 + 7, data, 1, false, NULL));
		ck_assert_int_eq(devs[slot].calls, 1);
		ck_assert(!bus_dispatch(&bus, slot * 16 + 8, data, 1, false, NULL));
	}
	bus_destroy(&bus);
}
END_TEST

Suite *bus_suite(void)
{
	Suite *suite = suite_create("bus");
	TCase *tc = tcase_create("ranges");

	tcase_add_test(tc, test_bus_overlap_refused);
	tcase_add_test(tc, test_bus_dispatch);
	tcase_add_test(tc, test_bus_many_ranges);
	suite_add_tcase(suite, tc);
	return suite;
}

/* Unit tests of split virtqueue parsing against a fake guest memory: good chains, indirect tables, every refusal. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devices/virtio/queue.h"
#include "tests/unit/unit.h"
#include "vmm/guest-mem.h"

#define RAM_SIZE (1u << 20)
#define DESC_GPA 0x1000
#define AVAIL_GPA 0x2000
#define USED_GPA 0x3000
#define TABLE_GPA 0x4000 /* indirect tables */
#define BUF_GPA 0x10000
#define QMAX 16
#define QSIZE 8

/* A queue of QSIZE (of at most QMAX) over 1 MiB of RAM, rings at fixed addresses. */
struct qfix {
	uint8_t *ram;
	struct guest_mem mem;
	struct virtq vq;
};

static void qfix_init(struct qfix *f, bool event_idx, bool indirect)
{
	f->ram = calloc(1, RAM_SIZE);
	ck_assert_ptr_nonnull(f->ram);
	gmem_wrap(&f->mem, f->ram, RAM_SIZE);
	ck_assert_int_eq(virtq_init(&f->vq, &f->mem, QMAX), 0);
	f->vq.size = QSIZE;
	f->vq.desc_gpa = DESC_GPA;
	f->vq.avail_gpa = AVAIL_GPA;
	f->vq.used_gpa = USED_GPA;
	ck_assert_int_eq(virtq_enable(&f->vq, event_idx, indirect), 0);
}

static void qfix_destroy(struct qfix *f)
{
	virtq_destroy(&f->vq);
	free(f->ram);
}

static struct virtq_desc *table_at(struct qfix *f, uint64_t gpa)
{
	return (struct virtq_desc *)(f->ram + gpa);
}

static void set_desc(struct virtq_desc *table, unsigned int i, uint64_t addr, uint32_t len,
		     uint16_t flags, uint16_t next)
{
	table[i] = (struct virtq_desc){ .addr = addr, .len = len, .flags = flags, .next = next };
}

static struct virtq_avail *avail(struct qfix *f)
{
	return (struct virtq_avail *)(f->ram + AVAIL_GPA);
}

static struct virtq_used *used(struct qfix *f)
{
	return (struct virtq_used *)(f->ram + USED_GPA);
}

static void avail_add(struct qfix *f, uint16_t head)
{
	avail(f)->ring[avail(f)->idx % QSIZE] = head;
	avail(f)->idx++;
}

static void expect_malformed(struct qfix *f, const char *needle)
{
	struct virtq_chain *chain;

	ck_assert_int_eq(virtq_pop(&f->vq, &chain), -EIO);
	ck_assert_msg(strstr(f->vq.error, needle), "'%s' does not say '%s'", f->vq.error, needle);
}

START_TEST(test_virtq_single_buffer)
{
	struct qfix f;
	struct virtq_chain *chain;

	qfix_init(&f, false, false);
	ck_assert_int_eq(virtq_pop(&f.vq, &chain), 0);
	set_desc(table_at(&f, DESC_GPA), 3, BUF_GPA, 64, VIRTQ_DESC_F_WRITE, 0);
	avail_add(&f, 3);
	ck_assert_int_eq(virtq_pop(&f.vq, &chain), 1);
	ck_assert_uint_eq(chain->head, 3);
	ck_assert_uint_eq(chain->nr_bufs, 1);
	ck_assert_uint_eq(chain->nr_readable, 0);
	ck_assert_uint_eq(chain->writable_bytes, 64);
	ck_assert_ptr_eq(chain->bufs[0].host, f.ram + BUF_GPA);
	ck_assert(chain->bufs[0].writable);
	virtq_push(&f.vq, chain, 1000); /* more than it holds: clamped */
	ck_assert_uint_eq(used(&f)->idx, 1);
	ck_assert_uint_eq(used(&f)->ring[0].id, 3);
	ck_assert_uint_eq(used(&f)->ring[0].len, 64);
	ck_assert_int_eq(virtq_pop(&f.vq, &chain), 0);
	qfix_destroy(&f);
}
END_TEST

START_TEST(test_virtq_chain_readable_then_writable)
{
	struct qfix f;
	struct virtq_chain *chain;
	struct virtq_desc *desc;

	qfix_init(&f, false, false);
	desc = table_at(&f, DESC_GPA);
	set_desc(desc, 0, BUF_GPA, 16, VIRTQ_DESC_F_NEXT, 5);
	set_desc(desc, 5, BUF_GPA + 16, 32, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 7);
	set_desc(desc, 7, BUF_GPA + 48, 8, VIRTQ_DESC_F_WRITE, 0);
	avail_add(&f, 0);
	ck_assert_int_eq(virtq_pop(&f.vq, &chain), 1);
	ck_assert_uint_eq(chain->nr_bufs, 3);
	ck_assert_uint_eq(chain->nr_readable, 1);
	ck_assert_uint_eq(chain->readable_bytes, 16);
	ck_assert_uint_eq(chain->writable_bytes, 40);
	ck_assert_ptr_eq(chain->bufs[2].host, f.ram + BUF_GPA + 48);
	/* A readable buffer after a writable one is refused. */
	set_desc(desc, 7, BUF_GPA + 48, 8, 0, 0);
	avail_add(&f, 0);
	expect_malformed(&f, "readable buffer after a writable");
	qfix_destroy(&f);
}
END_TEST

START_TEST(test_virtq_indirect)
{
	struct qfix f;
	struct virtq_chain *chain;
	struct virtq_desc *table;

	qfix_init(&f, false, true);
	table = table_at(&f, TABLE_GPA);
	set_desc(table, 0, BUF_GPA, 8, VIRTQ_DESC_F_NEXT, 2);
	set_desc(table, 2, BUF_GPA + 8, 8, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
	set_desc(table, 1, BUF_GPA + 16, 8, VIRTQ_DESC_F_WRITE, 0);
	/* A direct buffer first, then the indirect table ends the chain. */
	set_desc(table_at(&f, DESC_GPA), 4, BUF_GPA + 100, 4, VIRTQ_DESC_F_NEXT, 6);
	set_desc(table_at(&f, DESC_GPA), 6, TABLE_GPA, 3 * 16, VIRTQ_DESC_F_INDIRECT, 0);
	avail_add(&f, 4);
	ck_assert_int_eq(virtq_pop(&f.vq, &chain), 1);
	ck_assert_uint_eq(chain->head, 4);
	ck_assert_uint_eq(chain->nr_bufs, 4);
	ck_assert_uint_eq(chain->nr_readable, 2);
	ck_assert_ptr_eq(chain->bufs[3].host, f.ram + BUF_GPA + 16);
	qfix_destroy(&f);
}
END_TEST

/* Each bad indirect descriptor is refused with its own reason. */
START_TEST(test_virtq_indirect_refused)
{
	static const struct {
		uint64_t addr;
		uint32_t len;
		uint16_t flags;
		const char *reason;
	} cases[] = {
		{ TABLE_GPA, 2 * 16, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT, "with NEXT" },
		{ TABLE_GPA, 20, VIRTQ_DESC_F_INDIRECT, "not a multiple of 16" },
		{ TABLE_GPA, 0, VIRTQ_DESC_F_INDIRECT, "not a multiple of 16" },
		{ TABLE_GPA, (QMAX + 1) * 16, VIRTQ_DESC_F_INDIRECT,
		  "17 descriptors, more than 16" },
		{ RAM_SIZE - 16, 2 * 16, VIRTQ_DESC_F_INDIRECT, "outside RAM" },
	};
	struct qfix f;

	for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		qfix_init(&f, false, true);
		set_desc(table_at(&f, TABLE_GPA), 0, BUF_GPA, 8, VIRTQ_DESC_F_WRITE, 0);
		set_desc(table_at(&f, DESC_GPA), 0, cases[i].addr, cases[i].len, cases[i].flags, 1);
		avail_add(&f, 0);
		expect_malformed(&f, cases[i].reason);
		qfix_destroy(&f);
	}
	/* Nested: an indirect descriptor inside the table. */
	qfix_init(&f, false, true);
	set_desc(table_at(&f, TABLE_GPA), 0, TABLE_GPA, 16, VIRTQ_DESC_F_INDIRECT, 0);
	set_desc(table_at(&f, DESC_GPA), 0, TABLE_GPA, 16, VIRTQ_DESC_F_INDIRECT, 0);
	avail_add(&f, 0);
	expect_malformed(&f, "nested indirect");
	qfix_destroy(&f);
	/* Not negotiated. */
	qfix_init(&f, false, false);
	set_desc(table_at(&f, DESC_GPA), 0, TABLE_GPA, 16, VIRTQ_DESC_F_INDIRECT, 0);
	avail_add(&f, 0);
	expect_malformed(&f, "not negotiated");
	qfix_destroy(&f);
}
END_TEST

START_TEST(test_virtq_loops)
{
	struct qfix f;
	struct virtq_desc *desc, *table;

	qfix_init(&f, false, true);
	desc = table_at(&f, DESC_GPA);
	set_desc(desc, 0, BUF_GPA, 8, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
	set_desc(desc, 1, BUF_GPA, 8, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 0);
	avail_add(&f, 0);
	expect_malformed(&f, "descriptor loop (more than 8 steps in a table of 8)");
	qfix_destroy(&f);

	qfix_init(&f, false, true); /* onto itself */
	set_desc(table_at(&f, DESC_GPA), 2, BUF_GPA, 8, VIRTQ_DESC_F_NEXT, 2);
	avail_add(&f, 2);
	expect_malformed(&f, "descriptor loop");
	qfix_destroy(&f);

	qfix_init(&f, false, true); /* inside an indirect table */
	table = table_at(&f, TABLE_GPA);
	set_desc(table, 0, BUF_GPA, 8, VIRTQ_DESC_F_NEXT, 1);
	set_desc(table, 1, BUF_GPA, 8, VIRTQ_DESC_F_NEXT, 0);
	set_desc(table_at(&f, DESC_GPA), 0, TABLE_GPA, 2 * 16, VIRTQ_DESC_F_INDIRECT, 0);
	avail_add(&f, 0);
	expect_malformed(&f, "loop (more than 2 steps in an indirect table");
	qfix_destroy(&f);
}
END_TEST

START_TEST(test_virtq_outside_ram)
{
	static const struct {
		uint64_t addr;
		uint32_t len;
	} cases[] = {
		{ RAM_SIZE, 8 },		  /* just past the end */
		{ RAM_SIZE - 4, 8 },		  /* across the end */
		{ 0xc0000000ull, 8 },		  /* the MMIO hole */
		{ 0xffffffffffffff00ull, 0x200 }, /* wrapping around */
	};
	struct qfix f;

	for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		qfix_init(&f, false, false);
		set_desc(table_at(&f, DESC_GPA), 0, cases[i].addr, cases[i].len, VIRTQ_DESC_F_WRITE,
			 0);
		avail_add(&f, 0);
		expect_malformed(&f, "outside RAM");
		qfix_destroy(&f);
	}
}
END_TEST

START_TEST(test_virtq_bad_indices)
{
	struct qfix f;

	qfix_init(&f, false, false);
	avail_add(&f, QSIZE); /* head beyond the table */
	expect_malformed(&f, "head index 8 beyond the table of 8");
	qfix_destroy(&f);

	qfix_init(&f, false, false);
	set_desc(table_at(&f, DESC_GPA), 0, BUF_GPA, 8, VIRTQ_DESC_F_NEXT, QSIZE);
	avail_add(&f, 0);
	expect_malformed(&f, "next index 8 beyond a table of 8");
	qfix_destroy(&f);

	qfix_init(&f, false, false); /* the driver's index a whole ring and one ahead */
	avail(&f)->idx = QSIZE + 1;
	expect_malformed(&f, "9 entries ahead of the device's 0, more than the queue's 8");
	qfix_destroy(&f);
}
END_TEST

/* max_size descriptors at most: a direct one before a full indirect table is one too many. */
START_TEST(test_virtq_oversized_chain)
{
	struct qfix f;
	struct virtq_desc *table;

	qfix_init(&f, false, true);
	table = table_at(&f, TABLE_GPA);
	for (unsigned int i = 0; i < QMAX; i++)
		set_desc(table, i, BUF_GPA, 1, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, i + 1);
	table[QMAX - 1].flags = VIRTQ_DESC_F_WRITE;
	set_desc(table_at(&f, DESC_GPA), 0, BUF_GPA, 1, VIRTQ_DESC_F_NEXT, 1);
	set_desc(table_at(&f, DESC_GPA), 1, TABLE_GPA, QMAX * 16, VIRTQ_DESC_F_INDIRECT, 0);
	avail_add(&f, 0);
	expect_malformed(&f, "longer than 16 descriptors");
	qfix_destroy(&f);
}
END_TEST

START_TEST(test_virtq_enable_checks)
{
	struct guest_mem mem;
	struct virtq vq;
	uint8_t *ram = calloc(1, RAM_SIZE);

	gmem_wrap(&mem, ram, RAM_SIZE);
	ck_assert_int_eq(virtq_init(&vq, &mem, 12), -EINVAL); /* not a power of two */
	ck_assert_int_eq(virtq_init(&vq, &mem, QMAX), 0);
	ck_assert_uint_eq(vq.size, QMAX);
	ck_assert_uint_eq(vq.msix_vector, VIRTIO_MSI_NO_VECTOR);
	ck_assert(!virtq_size_valid(&vq, 0));
	ck_assert(!virtq_size_valid(&vq, 3));
	ck_assert(!virtq_size_valid(&vq, 2 * QMAX));
	ck_assert(virtq_size_valid(&vq, 1));
	ck_assert(virtq_size_valid(&vq, QMAX));
	vq.desc_gpa = DESC_GPA + 8; /* descriptors need 16-byte alignment */
	vq.avail_gpa = AVAIL_GPA;
	vq.used_gpa = USED_GPA;
	ck_assert_int_eq(virtq_enable(&vq, false, false), -EIO);
	ck_assert_ptr_nonnull(strstr(vq.error, "misaligned"));
	vq.desc_gpa = DESC_GPA;
	vq.used_gpa = USED_GPA + 2; /* the device area needs 4 */
	ck_assert_int_eq(virtq_enable(&vq, false, false), -EIO);
	vq.used_gpa = RAM_SIZE - 8; /* runs past the end of RAM */
	ck_assert_int_eq(virtq_enable(&vq, false, false), -EIO);
	ck_assert_ptr_nonnull(strstr(vq.error, "device area at 0xffff8 is not in RAM"));
	ck_assert(!vq.enabled);
	vq.used_gpa = USED_GPA;
	ck_assert_int_eq(virtq_enable(&vq, false, false), 0);
	ck_assert(vq.enabled);
	virtq_reset(&vq);
	ck_assert(!vq.enabled);
	ck_assert_uint_eq(vq.desc_gpa, 0);
	virtq_destroy(&vq);
	free(ram);
}
END_TEST

START_TEST(test_virtq_interrupt_suppression)
{
	struct qfix f;
	struct virtq_chain *chain;

	qfix_init(&f, false, false);
	ck_assert(!virtq_should_interrupt(&f.vq)); /* nothing pushed */
	set_desc(table_at(&f, DESC_GPA), 0, BUF_GPA, 8, VIRTQ_DESC_F_WRITE, 0);
	avail_add(&f, 0);
	ck_assert_int_eq(virtq_pop(&f.vq, &chain), 1);
	virtq_push(&f.vq, chain, 8);
	ck_assert(virtq_should_interrupt(&f.vq));
	ck_assert(!virtq_should_interrupt(&f.vq)); /* already told */
	avail(&f)->flags = VIRTQ_AVAIL_F_NO_INTERRUPT;
	avail_add(&f, 0);
	ck_assert_int_eq(virtq_pop(&f.vq, &chain), 1);
	virtq_push(&f.vq, chain, 8);
	ck_assert(!virtq_should_interrupt(&f.vq));
	qfix_destroy(&f);
}
END_TEST

START_TEST(test_virtq_event_idx)
{
	struct qfix f;
	struct virtq_chain *chain;
	uint16_t *used_event, *avail_event;

	qfix_init(&f, true, false);
	used_event = &avail(&f)->ring[QSIZE];
	avail_event = (uint16_t *)&used(&f)->ring[QSIZE];
	set_desc(table_at(&f, DESC_GPA), 0, BUF_GPA, 8, VIRTQ_DESC_F_WRITE, 0);
	*used_event = 1; /* interrupt once used->idx passes 1, not before */
	avail_add(&f, 0);
	ck_assert_int_eq(virtq_pop(&f.vq, &chain), 1);
	virtq_push(&f.vq, chain, 8);
	ck_assert(!virtq_should_interrupt(&f.vq));
	ck_assert(!virtq_arm_notify(&f.vq));
	ck_assert_uint_eq(*avail_event, 1);
	avail_add(&f, 0);
	ck_assert(virtq_arm_notify(&f.vq)); /* arrived after the device looked */
	ck_assert_int_eq(virtq_pop(&f.vq, &chain), 1);
	virtq_push(&f.vq, chain, 8);
	ck_assert(virtq_should_interrupt(&f.vq));
	avail(&f)->flags = VIRTQ_AVAIL_F_NO_INTERRUPT; /* ignored with the event index */
	*used_event = 2;
	avail_add(&f, 0);
	ck_assert_int_eq(virtq_pop(&f.vq, &chain), 1);
	virtq_push(&f.vq, chain, 8);
	ck_assert(virtq_should_interrupt(&f.vq));
	qfix_destroy(&f);
}
END_TEST

static int serve_fill(void *opaque, struct virtq *vq, struct virtq_chain *chain, uint32_t *written)
{
	unsigned int *calls = opaque;

	(*calls)++;
	memset(chain->bufs[0].host, 0xab, chain->bufs[0].len);
	*written = chain->bufs[0].len;
	return 0;
}

START_TEST(test_virtq_serve)
{
	struct qfix f;
	unsigned int calls = 0;

	qfix_init(&f, true, false);
	for (unsigned int i = 0; i < 3; i++) {
		set_desc(table_at(&f, DESC_GPA), i, BUF_GPA + 16 * i, 16, VIRTQ_DESC_F_WRITE, 0);
		avail_add(&f, i);
	}
	ck_assert_int_eq(virtq_serve(&f.vq, serve_fill, &calls), 0);
	ck_assert_uint_eq(calls, 3);
	ck_assert_uint_eq(used(&f)->idx, 3);
	ck_assert_uint_eq(used(&f)->ring[2].id, 2);
	ck_assert_uint_eq(f.ram[BUF_GPA + 47], 0xab);
	ck_assert_uint_eq(*(uint16_t *)&used(&f)->ring[QSIZE], 3); /* avail_event */
	avail_add(&f, 9);
	ck_assert_int_eq(virtq_serve(&f.vq, serve_fill, &calls), -EIO);
	qfix_destroy(&f);
}
END_TEST

Suite *virtio_queue_suite(void)
{
	Suite *s = suite_create("virtio-queue");
	TCase *tc = tcase_create("split");

	tcase_add_test(tc, test_virtq_single_buffer);
	tcase_add_test(tc, test_virtq_chain_readable_then_writable);
	tcase_add_test(tc, test_virtq_indirect);
	tcase_add_test(tc, test_virtq_indirect_refused);
	tcase_add_test(tc, test_virtq_loops);
	tcase_add_test(tc, test_virtq_outside_ram);
	tcase_add_test(tc, test_virtq_bad_indices);
	tcase_add_test(tc, test_virtq_oversized_chain);
	tcase_add_test(tc, test_virtq_enable_checks);
	tcase_add_test(tc, test_virtq_interrupt_suppression);
	tcase_add_test(tc, test_virtq_event_idx);
	tcase_add_test(tc, test_virtq_serve);
	suite_add_tcase(s, tc);
	return s;
}

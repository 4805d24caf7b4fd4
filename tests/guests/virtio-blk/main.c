/* virtio-blk: kdom's block device from the guest's side — identity, config, reads, writes, flush, errors. */
#include "guest.h"
#include "virtio.h"

const char test_title[] = "virtio-blk: the virtio block device over kdom's io_uring back end";

/*
 * The image's sector s holds the 16-byte line "sector %08u\n" 32 times
 * (tests/integration/blk-image make); what the guest writes, "wrote!
 * %08u\n".  The command line says what to expect:
 *   sectors=N    the capacity (required)
 *   serial=TEXT  what GET_ID answers (default: nothing, all zeros)
 *   queues=N     num_queues (default 1)
 *   discard=0    no VIRTIO_BLK_F_DISCARD offered (default: offered)
 *   mode=rw      (default) reads, writes to sectors 100-107, flush, write-zeroes
 *                to 200-207, discard of 300-307, GET_ID, refusals, every queue
 *   mode=ro      VIRTIO_BLK_F_RO; reads work, writes are I/O errors
 *   mode=enospc  the image on a full file system: sector 10 is rewritten and
 *                flushed, a write to sector hole=N (unallocated) fails with
 *                IOERR, sector 10 still reads back what was written
 *   mode=eio     the image returns EIO: reads fail; a write and a flush do not
 *                both succeed; the device goes on answering
 */

#define MAX_QUEUES 4
#define QUEUE_SIZE 64
#define SLOTS 8 /* requests in flight per queue at once; 3 descriptors each */
#define CHUNK (32u << 10)
#define CONFIG_VECTOR 0x60
#define QUEUE_VECTOR0 0x61
#define WAIT_MS 5000
#define NO_STATUS 0xee /* what a status byte holds until the device writes it */
#define TRANSPORT_FEATURES                                             \
	((1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_F_EVENT_IDX) | \
	 (1ull << VIRTIO_F_INDIRECT_DESC))
#define BLK_FEATURES                                                                            \
	((1ull << VIRTIO_BLK_F_SEG_MAX) | (1ull << VIRTIO_BLK_F_BLK_SIZE) |                     \
	 (1ull << VIRTIO_BLK_F_FLUSH) | (1ull << VIRTIO_BLK_F_MQ) | (1ull << VIRTIO_BLK_F_RO) | \
	 (1ull << VIRTIO_BLK_F_DISCARD) | (1ull << VIRTIO_BLK_F_WRITE_ZEROES))

struct slot {
	struct virtio_blk_req_header hdr;
	uint8_t status;
};

static struct virtio_dev dev;
static struct virtio_queue queues[MAX_QUEUES];
static unsigned int nr_queues;
static uint64_t capacity;
static uint8_t rings[MAX_QUEUES][8192] __attribute__((aligned(4096)));
static struct slot slots[MAX_QUEUES][SLOTS] __attribute__((aligned(16)));
static uint8_t buffer[CHUNK] __attribute__((aligned(4096)));
static uint8_t small[MAX_QUEUES][SLOTS][512] __attribute__((aligned(512)));
static struct virtq_desc indirect[8] __attribute__((aligned(16)));
static volatile unsigned int queue_irqs[MAX_QUEUES];

static void on_queue(unsigned int vector)
{
	if (vector - QUEUE_VECTOR0 < MAX_QUEUES)
		queue_irqs[vector - QUEUE_VECTOR0]++;
}

static void on_config(unsigned int vector)
{
}

/* ---- Sector contents ----------------------------------------------------------------- */

/* Fill count sectors from first with prefix's lines ("sector", "wrote!"). */
static void fill(uint8_t *p, uint64_t first, unsigned int count, const char *prefix)
{
	char line[32];

	for (unsigned int s = 0; s < count; s++) {
		snprintf(line, sizeof(line), "%s %08u\n", prefix, (unsigned int)(first + s));
		for (unsigned int i = 0; i < 32; i++)
			memcpy(p + s * 512 + i * 16, line, 16);
	}
}

/* Whether count sectors hold prefix's lines (NULL: zeros); the first bad sector in *bad. */
static bool holds(const uint8_t *p, uint64_t first, unsigned int count, const char *prefix,
		  uint64_t *bad)
{
	static uint8_t want[512];

	for (unsigned int s = 0; s < count; s++) {
		if (prefix)
			fill(want, first + s, 1, prefix);
		else
			memset(want, 0, sizeof(want));
		if (memcmp(p + s * 512, want, 512)) {
			*bad = first + s;
			return false;
		}
	}
	return true;
}

/* ---- Requests ------------------------------------------------------------------------ */

static bool device_writes(uint32_t type)
{
	return type == VIRTIO_BLK_T_IN || type == VIRTIO_BLK_T_GET_ID;
}

/*
 * Lay out a request in slot s of queue q (descriptors 3s to 3s + 2): the
 * header, len bytes of data (none when 0), the status; made available,
 * with the event index asking for an interrupt at the next completion.
 */
static void put(unsigned int q, unsigned int s, uint32_t type, uint64_t sector, void *data,
		uint32_t len)
{
	struct virtio_queue *vq = &queues[q];
	struct slot *sl = &slots[q][s];
	uint16_t d = 3 * s;

	sl->hdr = (struct virtio_blk_req_header){ .type = type, .sector = sector };
	sl->status = NO_STATUS;
	virtio_queue_desc(vq, d, (uint64_t)&sl->hdr, sizeof(sl->hdr), VIRTQ_DESC_F_NEXT,
			  len ? d + 1 : d + 2);
	if (len)
		virtio_queue_desc(
			vq, d + 1, (uint64_t)data, len,
			(device_writes(type) ? VIRTQ_DESC_F_WRITE : 0) | VIRTQ_DESC_F_NEXT, d + 2);
	virtio_queue_desc(vq, d + 2, (uint64_t)&sl->status, 1, VIRTQ_DESC_F_WRITE, 0);
	if (vq->event_idx)
		virtio_queue_set_used_event(vq, vq->last_used);
	virtio_queue_submit(vq, d);
}

/* Take n used entries of queue q (polling); whether they all came back. */
static bool take_used(unsigned int q, unsigned int n, uint32_t *len)
{
	uint32_t id;

	for (unsigned int i = 0; i < n; i++)
		if (!virtio_queue_wait(&queues[q], &id, len, WAIT_MS))
			return false;
	return true;
}

/* One request on queue 0, waited for: its status (NO_STATUS if it never came back). */
static uint8_t blk_do(uint32_t type, uint64_t sector, void *data, uint32_t len)
{
	uint32_t used_len;

	put(0, 0, type, sector, data, len);
	virtio_queue_kick(&queues[0]);
	if (!take_used(0, 1, &used_len))
		return NO_STATUS;
	return slots[0][0].status;
}

static uint8_t segment(uint32_t type, uint64_t sector, uint32_t count, uint32_t flags)
{
	static struct virtio_blk_discard_write_zeroes seg;

	seg = (struct virtio_blk_discard_write_zeroes){ sector, count, flags };
	return blk_do(type, 0, &seg, sizeof(seg));
}

/* ---- Bringing the device up ---------------------------------------------------------- */

static bool start_device(void)
{
	uint64_t wanted = TRANSPORT_FEATURES | (virtio_device_features(&dev) & BLK_FEATURES);

	if (!virtio_negotiate(&dev, wanted))
		return false;
	virtio_msix_route(&dev, 0, CONFIG_VECTOR);
	for (unsigned int q = 0; q < nr_queues; q++)
		virtio_msix_route(&dev, q + 1, QUEUE_VECTOR0 + q);
	virtio_msix_enable(&dev, true);
	virtio_write16(&dev, VIRTIO_PCI_COMMON_MSIX, 0);
	for (unsigned int q = 0; q < nr_queues; q++)
		if (!virtio_queue_setup(&dev, &queues[q], q, QUEUE_SIZE, rings[q], q + 1))
			return false;
	virtio_driver_ok(&dev);
	return virtio_status(&dev) & VIRTIO_STATUS_DRIVER_OK;
}

static void check_identity_and_config(bool ro)
{
	uint64_t offered = virtio_device_features(&dev);
	uint64_t want_sectors = cmdline_get_u64("sectors", 0);
	uint32_t class = pci_cfg_read32(dev.slot, 0, 0x08);
	bool discard = cmdline_get_u64("discard", 1);

	report(pci_cfg_read16(dev.slot, 0, 2) == VIRTIO_PCI_DEVICE_ID_BASE + VIRTIO_ID_BLOCK &&
		       class >> 8 == 0x010000,
	       "00:%02x.0 is 1af4:1042, class 0x%06x", dev.slot, class >> 8);
	report((offered & TRANSPORT_FEATURES) == TRANSPORT_FEATURES &&
		       (offered & (1ull << VIRTIO_BLK_F_SEG_MAX)) &&
		       (offered & (1ull << VIRTIO_BLK_F_BLK_SIZE)) &&
		       (offered & (1ull << VIRTIO_BLK_F_FLUSH)) &&
		       (offered & (1ull << VIRTIO_BLK_F_MQ)),
	       "offers SEG_MAX, BLK_SIZE, FLUSH, MQ (0x%llx)", (unsigned long long)offered);
	report(!!(offered & (1ull << VIRTIO_BLK_F_RO)) == ro &&
		       !!(offered & (1ull << VIRTIO_BLK_F_WRITE_ZEROES)) == !ro &&
		       !!(offered & (1ull << VIRTIO_BLK_F_DISCARD)) == (!ro && discard),
	       "%s", ro ? "RO, no WRITE_ZEROES or DISCARD" : "WRITE_ZEROES, DISCARD as asked");
	capacity = virtio_config_read64(&dev, VIRTIO_BLK_CFG_CAPACITY);
	report(capacity == want_sectors, "capacity %llu sectors (expected %llu)",
	       (unsigned long long)capacity, (unsigned long long)want_sectors);
	report(virtio_config_read32(&dev, VIRTIO_BLK_CFG_BLK_SIZE) == 512 &&
		       virtio_config_read32(&dev, VIRTIO_BLK_CFG_SEG_MAX) >= 2,
	       "blk_size %u, seg_max %u", virtio_config_read32(&dev, VIRTIO_BLK_CFG_BLK_SIZE),
	       virtio_config_read32(&dev, VIRTIO_BLK_CFG_SEG_MAX));
	nr_queues = virtio_config_read16(&dev, VIRTIO_BLK_CFG_NUM_QUEUES);
	report(nr_queues == cmdline_get_u64("queues", 1) &&
		       virtio_read16(&dev, VIRTIO_PCI_COMMON_NUMQ) == nr_queues,
	       "num_queues %u", nr_queues);
	if (nr_queues > MAX_QUEUES || nr_queues == 0)
		nr_queues = 1;
}

/* ---- What the default mode checks ------------------------------------------------------ */

static void check_read_all(void)
{
	unsigned int per = CHUNK / 512;
	uint64_t bad = 0;
	bool ok = true;

	for (uint64_t s = 0; s < capacity && ok; s += per) {
		unsigned int count = capacity - s < per ? capacity - s : per;

		memset(buffer, 0, sizeof(buffer));
		ok = blk_do(VIRTIO_BLK_T_IN, s, buffer, count * 512) == VIRTIO_BLK_S_OK &&
		     holds(buffer, s, count, "sector", &bad);
		if (!ok && !bad)
			bad = s;
	}
	if (ok)
		report(true, "all %llu sectors read as the host wrote them",
		       (unsigned long long)capacity);
	else
		report(false, "sector %llu does not read as the host wrote it",
		       (unsigned long long)bad);
}

/* A read through an indirect table of four buffers; a write with header and data in one buffer. */
static void check_layouts(void)
{
	struct virtio_queue *vq = &queues[0];
	uint64_t bad = 0;
	uint32_t len = 0;

	slots[0][0].hdr = (struct virtio_blk_req_header){ .type = VIRTIO_BLK_T_IN, .sector = 40 };
	slots[0][0].status = NO_STATUS;
	indirect[0] = (struct virtq_desc){ (uint64_t)&slots[0][0].hdr, 16, VIRTQ_DESC_F_NEXT, 1 };
	for (unsigned int i = 0; i < 4; i++)
		indirect[1 + i] =
			(struct virtq_desc){ (uint64_t)small[0][i], 512,
					     VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 2 + i };
	indirect[5] =
		(struct virtq_desc){ (uint64_t)&slots[0][0].status, 1, VIRTQ_DESC_F_WRITE, 0 };
	virtio_queue_desc(vq, 0, (uint64_t)indirect, 6 * sizeof(indirect[0]), VIRTQ_DESC_F_INDIRECT,
			  0);
	virtio_queue_submit(vq, 0);
	virtio_queue_kick(vq);
	if (!take_used(0, 1, &len))
		len = 0;
	report(slots[0][0].status == VIRTIO_BLK_S_OK && len == 2049 &&
		       holds(small[0][0], 40, 1, "sector", &bad) &&
		       holds(small[0][3], 43, 1, "sector", &bad),
	       "a read through an indirect table of 4 buffers (used length %u)", len);
	/* Header and data in one readable buffer: the device splits them itself. */
	memcpy(buffer, &(struct virtio_blk_req_header){ .type = VIRTIO_BLK_T_OUT, .sector = 108 },
	       16);
	fill(buffer + 16, 108, 1, "wrote!");
	slots[0][0].status = NO_STATUS;
	virtio_queue_desc(vq, 0, (uint64_t)buffer, 16 + 512, VIRTQ_DESC_F_NEXT, 1);
	virtio_queue_desc(vq, 1, (uint64_t)&slots[0][0].status, 1, VIRTQ_DESC_F_WRITE, 0);
	virtio_queue_submit(vq, 0);
	virtio_queue_kick(vq);
	report(take_used(0, 1, &len) && slots[0][0].status == VIRTIO_BLK_S_OK,
	       "a write whose header and data share a buffer");
}

/* SLOTS reads in flight at once on every queue, each queue interrupting on its own vector. */
static void check_queues(void)
{
	for (unsigned int q = 0; q < nr_queues; q++) {
		unsigned int irqs = queue_irqs[q];
		uint64_t bad = 0;
		uint32_t len;
		bool ok;

		for (unsigned int s = 0; s < SLOTS; s++) {
			memset(small[q][s], 0, 512);
			put(q, s, VIRTIO_BLK_T_IN, 50 + 8 * q + s, small[q][s], 512);
		}
		virtio_queue_kick(&queues[q]);
		ok = irq_wait(&queue_irqs[q], irqs + 1, WAIT_MS);
		ok &= take_used(q, SLOTS, &len);
		for (unsigned int s = 0; s < SLOTS && ok; s++)
			ok = slots[q][s].status == VIRTIO_BLK_S_OK &&
			     holds(small[q][s], 50 + 8 * q + s, 1, "sector", &bad);
		report(ok, "queue %u: %u reads in flight at once, right data, an interrupt (%u)", q,
		       SLOTS, queue_irqs[q] - irqs);
	}
}

static void check_write_flush(void)
{
	uint64_t bad = 0;

	fill(buffer, 100, 8, "wrote!");
	report(blk_do(VIRTIO_BLK_T_OUT, 100, buffer, 8 * 512) == VIRTIO_BLK_S_OK,
	       "write sectors 100-107");
	report(blk_do(VIRTIO_BLK_T_FLUSH, 0, NULL, 0) == VIRTIO_BLK_S_OK, "flush");
	memset(buffer, 0, 10 * 512);
	report(blk_do(VIRTIO_BLK_T_IN, 99, buffer, 10 * 512) == VIRTIO_BLK_S_OK &&
		       holds(buffer, 99, 1, "sector", &bad) &&
		       holds(buffer + 512, 100, 9, "wrote!", &bad),
	       "sectors 99-108 read back: one as it was, nine written");
}

static void check_zeroes_discard(void)
{
	uint64_t bad = 0;
	bool discard = virtio_device_features(&dev) & (1ull << VIRTIO_BLK_F_DISCARD);

	report(segment(VIRTIO_BLK_T_WRITE_ZEROES, 200, 4, 0) == VIRTIO_BLK_S_OK &&
		       segment(VIRTIO_BLK_T_WRITE_ZEROES, 204, 4,
			       VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP) == VIRTIO_BLK_S_OK,
	       "write zeroes to sectors 200-203, and 204-207 allowed to unmap");
	memset(buffer, 0xff, 10 * 512);
	report(blk_do(VIRTIO_BLK_T_IN, 199, buffer, 10 * 512) == VIRTIO_BLK_S_OK &&
		       holds(buffer, 199, 1, "sector", &bad) &&
		       holds(buffer + 512, 200, 8, NULL, &bad) &&
		       holds(buffer + 9 * 512, 208, 1, "sector", &bad),
	       "sectors 200-207 read as zeros, their neighbours untouched");
	if (discard)
		report(segment(VIRTIO_BLK_T_DISCARD, 300, 8, 0) == VIRTIO_BLK_S_OK,
		       "discard sectors 300-307");
	report(segment(VIRTIO_BLK_T_DISCARD, 300, 8, 1) == VIRTIO_BLK_S_UNSUPP,
	       "a discard with the unmap flag is unsupported");
}

static void check_get_id(void)
{
	const char *want = cmdline_get("serial");
	char id[VIRTIO_BLK_ID_BYTES + 1] = { 0 };

	report(blk_do(VIRTIO_BLK_T_GET_ID, 0, id, VIRTIO_BLK_ID_BYTES) == VIRTIO_BLK_S_OK &&
		       !strcmp(id, want ? want : ""),
	       "GET_ID: '%s'", id);
}

static void check_refusals(void)
{
	report(blk_do(VIRTIO_BLK_T_IN, capacity, buffer, 512) == VIRTIO_BLK_S_IOERR,
	       "a read at the capacity: IOERR");
	report(blk_do(VIRTIO_BLK_T_IN, capacity - 1, buffer, 1024) == VIRTIO_BLK_S_IOERR,
	       "a read across the end: IOERR");
	report(blk_do(VIRTIO_BLK_T_OUT, 0, buffer, 100) == VIRTIO_BLK_S_IOERR,
	       "a write of 100 bytes: IOERR");
	report(blk_do(99, 0, buffer, 512) == VIRTIO_BLK_S_UNSUPP, "request type 99: UNSUPP");
}

/* ---- The other modes ------------------------------------------------------------------- */

static void run_readonly(void)
{
	uint64_t bad = 0;

	fill(buffer, 5, 1, "wrote!");
	report(blk_do(VIRTIO_BLK_T_OUT, 5, buffer, 512) == VIRTIO_BLK_S_IOERR,
	       "a write to a read-only disk: IOERR");
	report(segment(VIRTIO_BLK_T_WRITE_ZEROES, 5, 1, 0) == VIRTIO_BLK_S_UNSUPP,
	       "write zeroes (not offered): UNSUPP");
	report(blk_do(VIRTIO_BLK_T_FLUSH, 0, NULL, 0) == VIRTIO_BLK_S_OK, "flush: OK");
	memset(buffer, 0, 512);
	report(blk_do(VIRTIO_BLK_T_IN, 5, buffer, 512) == VIRTIO_BLK_S_OK &&
		       holds(buffer, 5, 1, "sector", &bad),
	       "sector 5 reads as it was");
}

static void run_enospc(void)
{
	uint64_t hole = cmdline_get_u64("hole", capacity - 1), bad = 0;

	fill(buffer, 10, 1, "wrote!");
	report(blk_do(VIRTIO_BLK_T_OUT, 10, buffer, 512) == VIRTIO_BLK_S_OK &&
		       blk_do(VIRTIO_BLK_T_FLUSH, 0, NULL, 0) == VIRTIO_BLK_S_OK,
	       "sector 10 (allocated) rewritten and flushed");
	fill(buffer, hole, 8, "wrote!");
	report(blk_do(VIRTIO_BLK_T_OUT, hole, buffer, 8 * 512) == VIRTIO_BLK_S_IOERR,
	       "a write to sectors %llu-%llu (a hole on a full file system): IOERR",
	       (unsigned long long)hole, (unsigned long long)hole + 7);
	memset(buffer, 0, 512);
	report(blk_do(VIRTIO_BLK_T_IN, 10, buffer, 512) == VIRTIO_BLK_S_OK &&
		       holds(buffer, 10, 1, "wrote!", &bad),
	       "sector 10 still reads what was flushed");
	report(blk_do(VIRTIO_BLK_T_FLUSH, 0, NULL, 0) == VIRTIO_BLK_S_OK,
	       "a flush afterwards: OK (the failed write was never acknowledged)");
}

static void run_eio(void)
{
	char id[VIRTIO_BLK_ID_BYTES] = { 0 };
	uint8_t write_status, flush_status;

	report(blk_do(VIRTIO_BLK_T_IN, 0, buffer, 4096) == VIRTIO_BLK_S_IOERR, "a read: IOERR");
	fill(buffer, 8, 8, "wrote!");
	write_status = blk_do(VIRTIO_BLK_T_OUT, 8, buffer, 4096);
	flush_status = blk_do(VIRTIO_BLK_T_FLUSH, 0, NULL, 0);
	report(write_status == VIRTIO_BLK_S_IOERR || flush_status == VIRTIO_BLK_S_IOERR,
	       "a write (%u) and a flush (%u): not both OK", write_status, flush_status);
	report(blk_do(VIRTIO_BLK_T_GET_ID, 0, id, sizeof(id)) == VIRTIO_BLK_S_OK,
	       "the device still answers (GET_ID)");
}

void test_main(void)
{
	const char *mode = cmdline_get("mode");
	bool ro = mode && !strcmp(mode, "ro");

	if (!virtio_find(VIRTIO_ID_BLOCK, &dev)) {
		test_fail("no virtio-blk on the PCI bus (kdom run --disk)");
		return;
	}
	irq_set_handler(CONFIG_VECTOR, on_config);
	for (unsigned int q = 0; q < MAX_QUEUES; q++)
		irq_set_handler(QUEUE_VECTOR0 + q, on_queue);
	lapic_enable();
	check_identity_and_config(ro);
	if (!start_device()) {
		test_fail("the device did not start (status 0x%x)", virtio_status(&dev));
		return;
	}
	if (!mode || !strcmp(mode, "rw")) {
		check_read_all();
		check_layouts();
		check_queues();
		check_write_flush();
		check_zeroes_discard();
		check_get_id();
		check_refusals();
	} else if (ro) {
		check_read_all();
		run_readonly();
	} else if (!strcmp(mode, "enospc")) {
		run_enospc();
	} else if (!strcmp(mode, "eio")) {
		run_eio();
	} else {
		test_error("mode=%s: not rw, ro, enospc or eio", mode);
	}
}

/* Unit tests of virtio-blk on a fake VM over a temporary image: config, requests, errors, flush order, locks. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devices/pci.h"
#include "devices/virtio/blk.h"
#include "tests/unit/fake-vm.h"
#include "tests/unit/unit.h"
#include "vmm/vm.h"

#define RAM_SIZE (4u << 20)
#define DESC_GPA 0x10000
#define AVAIL_GPA 0x11000
#define USED_GPA 0x12000
#define HDR_GPA 0x13000	   /* 16 bytes per head */
#define STATUS_GPA 0x14000 /* one byte per head */
#define DATA_GPA 0x100000  /* 64 KiB per head */
#define DATA_STRIDE 0x10000
#define QSIZE 32
#define SECTORS 256 /* the image: 128 KiB */
#define FEATURES                                                       \
	((1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_F_EVENT_IDX) | \
	 (1ull << VIRTIO_F_INDIRECT_DESC))

/* A fake VM with RAM, bus 0 and one virtio-blk over a temporary image, its BAR decoded. */
struct bfix {
	struct domain domain;
	struct vm vm;
	struct pci_bus bus;
	struct blk_image image;
	struct virtio_blk blk;
	uint8_t *ram;
	uint64_t bar;
	char path[64];
};

/* Sector s of the image holds the byte s + i at offset i: any sector tells where it came from. */
static uint8_t pattern(uint64_t sector, unsigned int i)
{
	return (uint8_t)(sector * 7 + i);
}

static void make_image(char *path, size_t len)
{
	static uint8_t buf[SECTORS * 512];
	int fd;

	snprintf(path, len, "/tmp/kdom-test-blk.XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	for (unsigned int s = 0; s < SECTORS; s++)
		for (unsigned int i = 0; i < 512; i++)
			buf[s * 512 + i] = pattern(s, i);
	ck_assert_int_eq(write(fd, buf, sizeof(buf)), sizeof(buf));
	close(fd);
}

static int open_image(struct blk_image *img, const char *path, const char *vdev, bool ro,
		      bool direct, char *err, size_t errlen)
{
	struct disk_spec spec = { .target = (char *)path, .readonly = ro, .discard = true };

	spec.direct_io = direct;
	snprintf(spec.vdev, sizeof(spec.vdev), "%s", vdev);
	snprintf(spec.serial, sizeof(spec.serial), "KDOM-SERIAL-1");
	return blk_image_open(img, &spec, err, errlen);
}

static void bfix_init_with(struct bfix *f, bool ro, bool direct, unsigned int queues)
{
	char err[512] = "";

	memset(f, 0, sizeof(*f));
	make_image(f->path, sizeof(f->path));
	ck_assert_msg(open_image(&f->image, f->path, "xvda", ro, direct, err, sizeof(err)) == 0,
		      "%s", err);
	fake_vm_init(&f->vm, &f->domain);
	f->ram = calloc(1, RAM_SIZE);
	ck_assert_ptr_nonnull(f->ram);
	gmem_wrap(&f->vm.mem, f->ram, RAM_SIZE);
	ck_assert_int_eq(pci_bus_create(&f->bus, &f->vm), 0);
	ck_assert_int_eq(virtio_blk_create(&f->blk, &f->vm, &f->bus, NULL, &f->image, queues), 0);
	f->bar = fake_vm_pci_read(&f->vm, f->blk.vp.pci.slot, 0x10, 4) & ~0xfu;
	fake_vm_pci_write(&f->vm, f->blk.vp.pci.slot, 0x04, 2, 0x6);
}

static void bfix_init(struct bfix *f)
{
	bfix_init_with(f, false, false, 1);
}

static void bfix_destroy(struct bfix *f)
{
	virtio_blk_destroy(&f->blk);
	pci_bus_destroy(&f->bus);
	fake_vm_destroy(&f->vm);
	blk_image_close(&f->image);
	free(f->ram);
	unlink(f->path);
}

static uint64_t common_read(struct bfix *f, unsigned int offset, uint32_t len)
{
	return fake_vm_mmio_read(&f->vm, f->bar + VIRTIO_PCI_COMMON_OFFSET + offset, len);
}

static void common_write(struct bfix *f, unsigned int offset, uint32_t len, uint64_t value)
{
	fake_vm_mmio_write(&f->vm, f->bar + VIRTIO_PCI_COMMON_OFFSET + offset, len, value);
}

static uint64_t config_read(struct bfix *f, unsigned int offset, uint32_t len)
{
	return fake_vm_mmio_read(&f->vm, f->bar + VIRTIO_PCI_DEVICE_OFFSET + offset, len);
}

static uint8_t dev_status(struct bfix *f)
{
	return common_read(f, VIRTIO_PCI_COMMON_STATUS, 1);
}

static uint64_t device_features(struct bfix *f)
{
	uint64_t features;

	common_write(f, VIRTIO_PCI_COMMON_DFSELECT, 4, 0);
	features = common_read(f, VIRTIO_PCI_COMMON_DF, 4);
	common_write(f, VIRTIO_PCI_COMMON_DFSELECT, 4, 1);
	return features | common_read(f, VIRTIO_PCI_COMMON_DF, 4) << 32;
}

/* Negotiate, queue 0 of QSIZE at the fixed rings, DRIVER_OK. */
static void start(struct bfix *f)
{
	uint8_t s = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER;

	common_write(f, VIRTIO_PCI_COMMON_STATUS, 1, 0);
	memset(f->ram + DESC_GPA, 0, 3 * 4096);
	common_write(f, VIRTIO_PCI_COMMON_STATUS, 1, s);
	for (unsigned int half = 0; half < 2; half++) {
		common_write(f, VIRTIO_PCI_COMMON_GFSELECT, 4, half);
		common_write(f, VIRTIO_PCI_COMMON_GF, 4, (uint32_t)(FEATURES >> (32 * half)));
	}
	common_write(f, VIRTIO_PCI_COMMON_STATUS, 1, s | VIRTIO_STATUS_FEATURES_OK);
	common_write(f, VIRTIO_PCI_COMMON_Q_SELECT, 2, 0);
	common_write(f, VIRTIO_PCI_COMMON_Q_SIZE, 2, QSIZE);
	common_write(f, VIRTIO_PCI_COMMON_Q_DESC, 8, DESC_GPA);
	common_write(f, VIRTIO_PCI_COMMON_Q_AVAIL, 8, AVAIL_GPA);
	common_write(f, VIRTIO_PCI_COMMON_Q_USED, 8, USED_GPA);
	common_write(f, VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
	common_write(f, VIRTIO_PCI_COMMON_STATUS, 1,
		     s | VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
	ck_assert(dev_status(f) & VIRTIO_STATUS_DRIVER_OK);
}

static struct virtq_desc *desc(struct bfix *f)
{
	return (struct virtq_desc *)(f->ram + DESC_GPA);
}

static struct virtq_used *used(struct bfix *f)
{
	return (struct virtq_used *)(f->ram + USED_GPA);
}

static uint8_t *data(struct bfix *f, uint16_t head)
{
	return f->ram + DATA_GPA + (uint64_t)head * DATA_STRIDE;
}

static uint8_t status_of(struct bfix *f, uint16_t head)
{
	return f->ram[STATUS_GPA + head];
}

/*
 * Lay out a request at head (descriptors 3 * head ...): the header, len
 * bytes of data (device-writable for IN and GET_ID), the status byte; made
 * available, not yet notified.
 */
static void put_request(struct bfix *f, uint16_t head, uint32_t type, uint64_t sector, uint32_t len)
{
	struct virtio_blk_req_header hdr = { .type = type, .sector = sector };
	uint16_t d = 3 * head, data_flags = 0;
	struct virtq_avail *avail = (struct virtq_avail *)(f->ram + AVAIL_GPA);

	if (type == VIRTIO_BLK_T_IN || type == VIRTIO_BLK_T_GET_ID)
		data_flags = VIRTQ_DESC_F_WRITE;
	memcpy(f->ram + HDR_GPA + 16 * head, &hdr, sizeof(hdr));
	f->ram[STATUS_GPA + head] = 0xee;
	desc(f)[d] = (struct virtq_desc){ HDR_GPA + 16 * head, 16, VIRTQ_DESC_F_NEXT, d + 1 };
	desc(f)[d + 1] = (struct virtq_desc){ DATA_GPA + (uint64_t)head * DATA_STRIDE, len,
					      data_flags | VIRTQ_DESC_F_NEXT, d + 2 };
	desc(f)[d + 2] = (struct virtq_desc){ STATUS_GPA + head, 1, VIRTQ_DESC_F_WRITE, 0 };
	if (len == 0) /* no data buffer */
		desc(f)[d] =
			(struct virtq_desc){ HDR_GPA + 16 * head, 16, VIRTQ_DESC_F_NEXT, d + 2 };
	avail->ring[avail->idx % QSIZE] = d;
	avail->idx++;
}

/*
 * Serve the queue, then reap completions as the event loop does (which
 * submits nothing of its own) until used->idx reaches want, 10 s at most.
 */
static void serve_until(struct bfix *f, uint16_t want)
{
	virtio_pci_service_queue(&f->blk.vp, 0);
	for (unsigned int guard = 0; used(f)->idx != want && guard < 10000; guard++) {
		usleep(1000);
		virtio_blk_complete(&f->blk);
	}
	ck_assert_uint_eq(used(f)->idx, want);
}

/* One request on its own: put, serve, completed; its status. */
static uint8_t request(struct bfix *f, uint32_t type, uint64_t sector, uint32_t len)
{
	uint16_t want = used(f)->idx + 1;

	put_request(f, 0, type, sector, len);
	serve_until(f, want);
	return status_of(f, 0);
}

static bool data_has_pattern(const uint8_t *p, uint64_t sector, unsigned int count)
{
	for (unsigned int s = 0; s < count; s++)
		for (unsigned int i = 0; i < 512; i++)
			if (p[s * 512 + i] != pattern(sector + s, i))
				return false;
	return true;
}

START_TEST(test_virtio_blk_config)
{
	struct bfix f;
	uint64_t features;

	bfix_init_with(&f, false, false, 3);
	ck_assert_uint_eq(fake_vm_pci_read(&f.vm, f.blk.vp.pci.slot, 0x00, 4), 0x10421af4);
	ck_assert_uint_eq(fake_vm_pci_read(&f.vm, f.blk.vp.pci.slot, 0x08, 4) >> 8, 0x010000);
	features = device_features(&f);
	ck_assert(features & (1ull << VIRTIO_BLK_F_SEG_MAX));
	ck_assert(features & (1ull << VIRTIO_BLK_F_BLK_SIZE));
	ck_assert(features & (1ull << VIRTIO_BLK_F_FLUSH));
	ck_assert(features & (1ull << VIRTIO_BLK_F_MQ));
	ck_assert(features & (1ull << VIRTIO_BLK_F_DISCARD));
	ck_assert(features & (1ull << VIRTIO_BLK_F_WRITE_ZEROES));
	ck_assert(!(features & (1ull << VIRTIO_BLK_F_RO)));
	ck_assert_uint_eq(config_read(&f, VIRTIO_BLK_CFG_CAPACITY, 8), SECTORS);
	ck_assert_uint_eq(config_read(&f, VIRTIO_BLK_CFG_SEG_MAX, 4), VIRTIO_BLK_SEG_MAX);
	ck_assert_uint_eq(config_read(&f, VIRTIO_BLK_CFG_BLK_SIZE, 4), 512);
	ck_assert_uint_eq(config_read(&f, VIRTIO_BLK_CFG_NUM_QUEUES, 2), 3);
	ck_assert_uint_eq(common_read(&f, VIRTIO_PCI_COMMON_NUMQ, 2), 3);
	ck_assert_uint_eq(config_read(&f, VIRTIO_BLK_CFG_MAX_DISCARD_SEG, 4), 1);
	ck_assert_uint_eq(config_read(&f, VIRTIO_BLK_CFG_MAX_WRITE_ZEROES_SECTORS, 4),
			  VIRTIO_BLK_ZEROES_SECTORS_MAX);
	ck_assert_uint_eq(config_read(&f, VIRTIO_BLK_CFG_WRITE_ZEROES_MAY_UNMAP, 1), 1);
	bfix_destroy(&f);
	/* Read-only: RO, and neither discard nor write-zeroes. */
	bfix_init_with(&f, true, false, 1);
	features = device_features(&f);
	ck_assert(features & (1ull << VIRTIO_BLK_F_RO));
	ck_assert(!(features & (1ull << VIRTIO_BLK_F_DISCARD)));
	ck_assert(!(features & (1ull << VIRTIO_BLK_F_WRITE_ZEROES)));
	ck_assert_uint_eq(config_read(&f, VIRTIO_BLK_CFG_NUM_QUEUES, 2), 1);
	bfix_destroy(&f);
}
END_TEST

START_TEST(test_virtio_blk_read_write)
{
	struct bfix f;
	uint8_t buf[1024];
	int fd;

	bfix_init(&f);
	start(&f);
	ck_assert_uint_eq(request(&f, VIRTIO_BLK_T_IN, 10, 4096), VIRTIO_BLK_S_OK);
	ck_assert(data_has_pattern(data(&f, 0), 10, 8));
	ck_assert_uint_eq(used(&f)->ring[0].len, 4096 + 1);
	memset(data(&f, 0), 0x5a, 1024);
	ck_assert_uint_eq(request(&f, VIRTIO_BLK_T_OUT, 3, 1024), VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(request(&f, VIRTIO_BLK_T_FLUSH, 0, 0), VIRTIO_BLK_S_OK);
	fd = open(f.path, O_RDONLY);
	ck_assert_int_eq(pread(fd, buf, sizeof(buf), 3 * 512), sizeof(buf));
	close(fd);
	for (unsigned int i = 0; i < sizeof(buf); i++)
		ck_assert_uint_eq(buf[i], 0x5a);
	memset(data(&f, 0), 0, 4096);
	ck_assert_uint_eq(request(&f, VIRTIO_BLK_T_IN, 2, 2048), VIRTIO_BLK_S_OK);
	ck_assert(data_has_pattern(data(&f, 0), 2, 1));
	ck_assert_uint_eq(data(&f, 0)[512], 0x5a);
	ck_assert_uint_eq(data(&f, 0)[3 * 512 - 1], 0x5a);
	ck_assert(data_has_pattern(data(&f, 0) + 3 * 512, 5, 1));
	ck_assert_uint_eq(f.blk.stats.reads, 2);
	ck_assert_uint_eq(f.blk.stats.writes, 1);
	ck_assert_uint_eq(f.blk.stats.flushes, 1);
	bfix_destroy(&f);
}
END_TEST

/* The header, data and status share descriptors: any layout (VIRTIO_F_VERSION_1). */
START_TEST(test_virtio_blk_any_layout)
{
	struct bfix f;
	struct virtq_avail *avail;
	struct virtio_blk_req_header hdr = { .type = VIRTIO_BLK_T_IN, .sector = 7 };
	uint8_t *buf;

	bfix_init(&f);
	start(&f);
	avail = (struct virtq_avail *)(f.ram + AVAIL_GPA);
	buf = data(&f, 1);
	memcpy(buf, &hdr, 8); /* the header split over two buffers */
	memcpy(buf + 100, (uint8_t *)&hdr + 8, 8);
	desc(&f)[0] = (struct virtq_desc){ DATA_GPA + DATA_STRIDE, 8, VIRTQ_DESC_F_NEXT, 1 };
	desc(&f)[1] = (struct virtq_desc){ DATA_GPA + DATA_STRIDE + 100, 8, VIRTQ_DESC_F_NEXT, 2 };
	/* Data and status in one writable buffer. */
	desc(&f)[2] = (struct virtq_desc){ DATA_GPA, 513, VIRTQ_DESC_F_WRITE, 0 };
	avail->ring[0] = 0;
	avail->idx = 1;
	serve_until(&f, 1);
	ck_assert(data_has_pattern(data(&f, 0), 7, 1));
	ck_assert_uint_eq(data(&f, 0)[512], VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(used(&f)->ring[0].len, 513);
	bfix_destroy(&f);
}
END_TEST

START_TEST(test_virtio_blk_refusals)
{
	struct bfix f;
	char id[VIRTIO_BLK_ID_BYTES + 1] = { 0 };

	bfix_init(&f);
	start(&f);
	ck_assert_uint_eq(request(&f, VIRTIO_BLK_T_IN, SECTORS, 512), VIRTIO_BLK_S_IOERR);
	ck_assert_uint_eq(request(&f, VIRTIO_BLK_T_IN, SECTORS - 1, 1024), VIRTIO_BLK_S_IOERR);
	ck_assert_uint_eq(request(&f, VIRTIO_BLK_T_IN, ~0ull, 512), VIRTIO_BLK_S_IOERR);
	ck_assert_uint_eq(request(&f, VIRTIO_BLK_T_OUT, 0, 100), VIRTIO_BLK_S_IOERR);
	ck_assert_uint_eq(request(&f, VIRTIO_BLK_T_IN, SECTORS - 1, 512), VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(request(&f, 99, 0, 512), VIRTIO_BLK_S_UNSUPP);
	ck_assert_uint_eq(request(&f, VIRTIO_BLK_T_GET_ID, 0, VIRTIO_BLK_ID_BYTES),
			  VIRTIO_BLK_S_OK);
	memcpy(id, data(&f, 0), VIRTIO_BLK_ID_BYTES);
	ck_assert_str_eq(id, "KDOM-SERIAL-1");
	ck_assert_uint_eq(used(&f)->ring[6].len, VIRTIO_BLK_ID_BYTES + 1);
	ck_assert_uint_eq(f.blk.stats.errors, 5);
	bfix_destroy(&f);
	/* Read-only: writes are I/O errors, the image unchanged; reads and flushes work. */
	bfix_init_with(&f, true, false, 1);
	start(&f);
	memset(data(&f, 0), 0, 512);
	ck_assert_uint_eq(request(&f, VIRTIO_BLK_T_OUT, 0, 512), VIRTIO_BLK_S_IOERR);
	ck_assert_uint_eq(request(&f, VIRTIO_BLK_T_WRITE_ZEROES, 0, 16), VIRTIO_BLK_S_UNSUPP);
	ck_assert_uint_eq(request(&f, VIRTIO_BLK_T_FLUSH, 0, 0), VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(request(&f, VIRTIO_BLK_T_IN, 0, 512), VIRTIO_BLK_S_OK);
	ck_assert(data_has_pattern(data(&f, 0), 0, 1));
	bfix_destroy(&f);
}
END_TEST

static uint8_t segment_request(struct bfix *f, uint32_t type, uint64_t sector, uint32_t count,
			       uint32_t flags)
{
	struct virtio_blk_discard_write_zeroes seg = { sector, count, flags };

	memcpy(data(f, 0), &seg, sizeof(seg));
	return request(f, type, 0, sizeof(seg));
}

START_TEST(test_virtio_blk_discard_write_zeroes)
{
	struct bfix f;
	uint8_t zero[2048] = { 0 };

	bfix_init(&f);
	start(&f);
	ck_assert_uint_eq(segment_request(&f, VIRTIO_BLK_T_WRITE_ZEROES, 20, 4, 0),
			  VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(request(&f, VIRTIO_BLK_T_IN, 19, 6 * 512), VIRTIO_BLK_S_OK);
	ck_assert(data_has_pattern(data(&f, 0), 19, 1));
	ck_assert_int_eq(memcmp(data(&f, 0) + 512, zero, sizeof(zero)), 0);
	ck_assert(data_has_pattern(data(&f, 0) + 5 * 512, 24, 1));
	ck_assert_uint_eq(segment_request(&f, VIRTIO_BLK_T_WRITE_ZEROES, 40, 4,
					  VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP),
			  VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(request(&f, VIRTIO_BLK_T_IN, 40, 2048), VIRTIO_BLK_S_OK);
	ck_assert_int_eq(memcmp(data(&f, 0), zero, sizeof(zero)), 0);
	ck_assert_uint_eq(segment_request(&f, VIRTIO_BLK_T_DISCARD, 64, 64, 0), VIRTIO_BLK_S_OK);
	/* Refused: flags not known, a range off the disk, too large, two segments. */
	ck_assert_uint_eq(segment_request(&f, VIRTIO_BLK_T_DISCARD, 0, 8, 1), VIRTIO_BLK_S_UNSUPP);
	ck_assert_uint_eq(segment_request(&f, VIRTIO_BLK_T_WRITE_ZEROES, SECTORS - 1, 2, 0),
			  VIRTIO_BLK_S_IOERR);
	ck_assert_uint_eq(segment_request(&f, VIRTIO_BLK_T_WRITE_ZEROES, 0,
					  VIRTIO_BLK_ZEROES_SECTORS_MAX + 1, 0),
			  VIRTIO_BLK_S_IOERR);
	ck_assert_uint_eq(request(&f, VIRTIO_BLK_T_DISCARD, 0, 32), VIRTIO_BLK_S_UNSUPP);
	bfix_destroy(&f);
}
END_TEST

/*
 * A flush made available with writes before it completes after them:
 * their chains are back in the used ring first, whatever order the ring
 * finishes them in.
 */
START_TEST(test_virtio_blk_flush_after_writes)
{
	struct bfix f;
	struct virtq_used *u;
	unsigned int flush_at = 0;

	bfix_init(&f);
	start(&f);
	for (uint16_t head = 0; head < 4; head++) {
		memset(data(&f, head), 0x10 + head, 8192);
		put_request(&f, head, VIRTIO_BLK_T_OUT, 16 * head, 8192);
	}
	put_request(&f, 4, VIRTIO_BLK_T_FLUSH, 0, 0);
	put_request(&f, 5, VIRTIO_BLK_T_IN, 100, 512);
	serve_until(&f, 6);
	u = used(&f);
	for (unsigned int i = 0; i < 6; i++)
		if (u->ring[i].id == 3 * 4)
			flush_at = i;
	for (unsigned int i = 0; i < 6; i++)
		if (u->ring[i].id < 3 * 4) /* the writes */
			ck_assert_uint_lt(i, flush_at);
	for (uint16_t head = 0; head < 6; head++)
		ck_assert_uint_eq(status_of(&f, head), VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(f.blk.io.writes_in_flight, 0);
	ck_assert_ptr_null(f.blk.io.flush_head);
	bfix_destroy(&f);
}
END_TEST

/* The image shrank under the domain: a read past its end is short, an I/O error, logged. */
START_TEST(test_virtio_blk_short_read)
{
	struct bfix f;
	struct capture c;
	char log[1024];

	bfix_init(&f);
	start(&f);
	ck_assert_int_eq(truncate(f.path, 64 * 512), 0);
	capture_begin(&c);
	ck_assert_uint_eq(request(&f, VIRTIO_BLK_T_IN, 63, 1024), VIRTIO_BLK_S_IOERR);
	ck_assert_int_eq(capture_end(&c, log, sizeof(log)), 1);
	ck_assert_msg(strstr(log, "virtio-blk xvda: read of 1024 bytes at sector 63: 512 of 1024 "
				  "bytes; the guest gets an I/O error"),
		      "%s", log);
	ck_assert_uint_eq(request(&f, VIRTIO_BLK_T_IN, 10, 512), VIRTIO_BLK_S_OK);
	bfix_destroy(&f);
}
END_TEST

/* A chain without a status byte, or a head reused while in flight: the device needs a reset. */
START_TEST(test_virtio_blk_malformed)
{
	struct bfix f;
	struct virtq_avail *avail;

	bfix_init(&f);
	start(&f);
	avail = (struct virtq_avail *)(f.ram + AVAIL_GPA);
	put_request(&f, 0, VIRTIO_BLK_T_IN, 0, 512);
	desc(&f)[1].flags = 0; /* ends at a readable data buffer: no status byte */
	virtio_pci_service_queue(&f.blk.vp, 0);
	ck_assert(dev_status(&f) & VIRTIO_STATUS_NEEDS_RESET);
	ck_assert_uint_eq(used(&f)->idx, 0);
	start(&f);
	avail = (struct virtq_avail *)(f.ram + AVAIL_GPA);
	put_request(&f, 0, VIRTIO_BLK_T_OUT, 0, 512);
	avail->ring[1] = 0; /* the same head again, before the first came back */
	avail->idx = 2;
	virtio_pci_service_queue(&f.blk.vp, 0);
	/* The first may have completed as it was submitted; then the second is served too. */
	if (used(&f)->idx == 0)
		ck_assert(dev_status(&f) & VIRTIO_STATUS_NEEDS_RESET);
	bfix_destroy(&f);
}
END_TEST

/* A reset waits for I/O in flight and drops its completions: nothing reaches the used ring. */
START_TEST(test_virtio_blk_reset_in_flight)
{
	struct bfix f;

	bfix_init(&f);
	start(&f);
	for (uint16_t head = 0; head < 4; head++)
		put_request(&f, head, VIRTIO_BLK_T_OUT, 8 * head, 4096);
	put_request(&f, 4, VIRTIO_BLK_T_FLUSH, 0, 0);
	fake_vm_mmio_write(&f.vm, f.bar + VIRTIO_PCI_NOTIFY_OFFSET, 2, 0);
	virtio_pci_service_queue(&f.blk.vp, 0);
	common_write(&f, VIRTIO_PCI_COMMON_STATUS, 1, 0);
	ck_assert_uint_eq(f.blk.io.in_flight, 0);
	ck_assert_ptr_null(f.blk.io.flush_head);
	virtio_blk_complete(&f.blk);
	start(&f);
	ck_assert_uint_eq(request(&f, VIRTIO_BLK_T_IN, 0, 512), VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(used(&f)->idx, 1);
	bfix_destroy(&f);
}
END_TEST

/* O_DIRECT: aligned requests go direct, unaligned ones through the page cache; both right. */
START_TEST(test_virtio_blk_direct)
{
	struct bfix f;

	bfix_init_with(&f, false, true, 1);
	start(&f);
	ck_assert_uint_eq(request(&f, VIRTIO_BLK_T_IN, 8, 8192), VIRTIO_BLK_S_OK);
	ck_assert(data_has_pattern(data(&f, 0), 8, 16));
	ck_assert_uint_eq(request(&f, VIRTIO_BLK_T_IN, 1, 512), VIRTIO_BLK_S_OK);
	ck_assert(data_has_pattern(data(&f, 0), 1, 1));
	memset(data(&f, 0), 0x77, 512);
	ck_assert_uint_eq(request(&f, VIRTIO_BLK_T_OUT, 3, 512), VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(request(&f, VIRTIO_BLK_T_FLUSH, 0, 0), VIRTIO_BLK_S_OK);
	memset(data(&f, 0), 0, 4096);
	ck_assert_uint_eq(request(&f, VIRTIO_BLK_T_IN, 0, 4096), VIRTIO_BLK_S_OK);
	ck_assert(data_has_pattern(data(&f, 0), 0, 3));
	ck_assert_uint_eq(data(&f, 0)[3 * 512 + 100], 0x77);
	ck_assert(data_has_pattern(data(&f, 0) + 4 * 512, 4, 4));
	bfix_destroy(&f);
}
END_TEST

/* Open file description locks: one writer, or any number of readers. */
START_TEST(test_virtio_blk_image_locks)
{
	struct blk_image a, b, c;
	char path[64], err[512];

	make_image(path, sizeof(path));
	ck_assert_int_eq(open_image(&a, path, "xvda", false, false, err, sizeof(err)), 0);
	ck_assert_int_eq(open_image(&b, path, "xvdb", false, false, err, sizeof(err)), -EBUSY);
	ck_assert_msg(strstr(err, "disk xvdb: ") && strstr(err, path) &&
			      strstr(err, "another domain holds it"),
		      "%s", err);
	ck_assert_int_eq(open_image(&b, path, "xvdb", true, false, err, sizeof(err)), -EBUSY);
	ck_assert_msg(strstr(err, "another domain holds it read-write"), "%s", err);
	blk_image_close(&a);
	ck_assert_int_eq(open_image(&a, path, "xvda", true, false, err, sizeof(err)), 0);
	ck_assert_int_eq(open_image(&b, path, "xvdb", true, false, err, sizeof(err)), 0);
	ck_assert_int_eq(open_image(&c, path, "xvdc", false, false, err, sizeof(err)), -EBUSY);
	ck_assert_uint_eq(a.sectors, SECTORS);
	blk_image_close(&a);
	blk_image_close(&b);
	blk_image_close(&b); /* twice is harmless */
	ck_assert_int_eq(open_image(&c, "/nonexistent/img", "xvdc", false, false, err, sizeof(err)),
			 -ENOENT);
	ck_assert_str_eq(err, "disk xvdc: /nonexistent/img: No such file or directory");
	ck_assert_int_eq(open_image(&c, "/tmp", "xvdc", true, false, err, sizeof(err)), -EINVAL);
	unlink(path);
}
END_TEST

START_TEST(test_virtio_blk_no_fd_leak)
{
	int before = unit_count_fds();
	struct bfix f;

	bfix_init_with(&f, false, true, 4);
	start(&f);
	ck_assert_uint_eq(request(&f, VIRTIO_BLK_T_IN, 0, 512), VIRTIO_BLK_S_OK);
	bfix_destroy(&f);
	ck_assert_int_eq(unit_count_fds(), before);
}
END_TEST

Suite *virtio_blk_suite(void)
{
	Suite *s = suite_create("virtio-blk");
	TCase *tc = tcase_create("device");

	tcase_add_test(tc, test_virtio_blk_config);
	tcase_add_test(tc, test_virtio_blk_read_write);
	tcase_add_test(tc, test_virtio_blk_any_layout);
	tcase_add_test(tc, test_virtio_blk_refusals);
	tcase_add_test(tc, test_virtio_blk_discard_write_zeroes);
	tcase_add_test(tc, test_virtio_blk_flush_after_writes);
	tcase_add_test(tc, test_virtio_blk_short_read);
	tcase_add_test(tc, test_virtio_blk_malformed);
	tcase_add_test(tc, test_virtio_blk_reset_in_flight);
	tcase_add_test(tc, test_virtio_blk_direct);
	tcase_add_test(tc, test_virtio_blk_image_locks);
	tcase_add_test(tc, test_virtio_blk_no_fd_leak);
	suite_add_tcase(s, tc);
	return s;
}

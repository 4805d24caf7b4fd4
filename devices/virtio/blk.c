/* virtio-blk (virtio 5.2): requests taken out of the driver's chains, checked, and started on blk-io.c's ring. */
#include "devices/virtio/blk.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>

#include "devices/virtio/blk-internal.h"
#include "vmm/event-loop.h"
#include "vmm/log.h"

/* PCI class: mass storage, SCSI, as other VMMs present virtio-blk. */
#define VIRTIO_BLK_CLASS 0x010000

/* A request was started on the ring: its status comes later. */
#define BLK_STARTED 0xff

#define BLK_HEADER_BYTES sizeof(struct virtio_blk_req_header)
#define BLK_SEGMENT_BYTES sizeof(struct virtio_blk_discard_write_zeroes)

/* ---- Chains --------------------------------------------------------------------------- */

/*
 * The iovecs of len bytes of the chain's buffers [from, to), starting
 * skip bytes in; how many (at most to - from).  The chain holds len bytes
 * there: the caller measured them.
 */
static unsigned int chain_iov(const struct virtq_chain *c, unsigned int from, unsigned int to,
			      uint64_t skip, uint64_t len, struct iovec *iov)
{
	unsigned int n = 0;

	for (unsigned int i = from; i < to && len; i++) {
		const struct virtq_buf *b = &c->bufs[i];
		uint64_t take;

		if (skip >= b->len) {
			skip -= b->len;
			continue;
		}
		take = b->len - skip < len ? b->len - skip : len;
		iov[n++] = (struct iovec){ .iov_base = b->host + skip, .iov_len = take };
		len -= take;
		skip = 0;
	}
	return n;
}

/* Copy len bytes between buf and the chain's buffers [from, to), skip bytes in. */
static void chain_copy(const struct virtq_chain *c, unsigned int from, unsigned int to,
		       uint64_t skip, void *buf, uint64_t len, bool to_guest)
{
	struct iovec iov[VIRTIO_BLK_QUEUE_SIZE];
	unsigned int n = chain_iov(c, from, to, skip, len, iov);
	uint8_t *p = buf;

	for (unsigned int i = 0; i < n; i++) {
		if (to_guest)
			memcpy(iov[i].iov_base, p, iov[i].iov_len);
		else
			memcpy(p, iov[i].iov_base, iov[i].iov_len);
		p += iov[i].iov_len;
	}
}

/* The chain's last device-writable byte: where the status goes. */
static uint8_t *chain_status_byte(const struct virtq_chain *c)
{
	for (unsigned int i = c->nr_bufs; i-- > c->nr_readable;)
		if (c->bufs[i].len)
			return c->bufs[i].host + c->bufs[i].len - 1;
	return NULL;
}

__attribute__((format(printf, 2, 3))) static int blk_malformed(struct virtq *vq, const char *fmt,
							       ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(vq->error, sizeof(vq->error), fmt, ap);
	va_end(ap);
	return -EIO;
}

/* ---- Requests ------------------------------------------------------------------------- */

/* Whether sectors [sector, sector + count) lie on the disk. */
static bool blk_range_ok(const struct virtio_blk *blk, uint64_t sector, uint64_t count)
{
	return sector <= blk->image->sectors && count <= blk->image->sectors - sector;
}

/* IN and OUT: data a whole number of sectors, on the disk, not too large. */
static uint8_t blk_prepare_rw(struct virtio_blk *blk, struct blk_request *req,
			      const struct virtq_chain *c, uint64_t sector)
{
	bool write = req->type == VIRTIO_BLK_T_OUT;
	uint64_t len = write ? c->readable_bytes - BLK_HEADER_BYTES : c->writable_bytes - 1;

	if (len % VIRTIO_BLK_SECTOR_SIZE || len > VIRTIO_BLK_REQUEST_MAX ||
	    !blk_range_ok(blk, sector, len / VIRTIO_BLK_SECTOR_SIZE)) {
		log_debug("%s: %s of %llu bytes at sector %llu refused (capacity %llu)", blk->name,
			  write ? "write" : "read", (unsigned long long)len,
			  (unsigned long long)sector, (unsigned long long)blk->image->sectors);
		return VIRTIO_BLK_S_IOERR;
	}
	if (len == 0)
		return VIRTIO_BLK_S_OK;
	req->offset = sector * VIRTIO_BLK_SECTOR_SIZE;
	req->len = len;
	if (write)
		req->nr_iov = chain_iov(c, 0, c->nr_readable, BLK_HEADER_BYTES, len, req->iov);
	else
		req->nr_iov = chain_iov(c, c->nr_readable, c->nr_bufs, 0, len, req->iov);
	req->written = write ? 1 : len + 1;
	blk_io_start(req);
	return BLK_STARTED;
}

/* GET_ID: the serial, NUL-padded to 20 bytes, as much as the buffers take. */
static uint8_t blk_get_id(struct virtio_blk *blk, struct blk_request *req,
			  const struct virtq_chain *c)
{
	char id[VIRTIO_BLK_ID_BYTES] = { 0 };
	uint64_t len = c->writable_bytes - 1;

	memcpy(id, blk->image->serial, strnlen(blk->image->serial, sizeof(id)));
	if (len > sizeof(id))
		len = sizeof(id);
	chain_copy(c, c->nr_readable, c->nr_bufs, 0, id, len, true);
	req->written = len + 1;
	return VIRTIO_BLK_S_OK;
}

/* DISCARD and WRITE_ZEROES: one segment (max_*_seg is 1), its flags known, its range on the disk. */
static uint8_t blk_prepare_segment(struct virtio_blk *blk, struct blk_request *req,
				   const struct virtq_chain *c)
{
	bool discard = req->type == VIRTIO_BLK_T_DISCARD;
	uint64_t data = c->readable_bytes - BLK_HEADER_BYTES;
	uint32_t max = discard ? VIRTIO_BLK_DISCARD_SECTORS_MAX : VIRTIO_BLK_ZEROES_SECTORS_MAX;
	uint32_t flags_known = discard ? 0 : VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP;
	struct virtio_blk_discard_write_zeroes seg;

	if (data == 0 || data % BLK_SEGMENT_BYTES)
		return VIRTIO_BLK_S_IOERR;
	if (data > BLK_SEGMENT_BYTES)
		return VIRTIO_BLK_S_UNSUPP;
	chain_copy(c, 0, c->nr_readable, BLK_HEADER_BYTES, &seg, sizeof(seg), false);
	if (seg.flags & ~flags_known)
		return VIRTIO_BLK_S_UNSUPP;
	if (seg.num_sectors > max || !blk_range_ok(blk, seg.sector, seg.num_sectors))
		return VIRTIO_BLK_S_IOERR;
	if (seg.num_sectors == 0)
		return VIRTIO_BLK_S_OK;
	req->offset = seg.sector * VIRTIO_BLK_SECTOR_SIZE;
	req->len = (uint64_t)seg.num_sectors * VIRTIO_BLK_SECTOR_SIZE;
	req->unmap = seg.flags & VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP;
	blk_io_start(req);
	return BLK_STARTED;
}

/* The request's status now, or BLK_STARTED when it went to the ring. */
static uint8_t blk_prepare(struct virtio_blk *blk, struct blk_request *req,
			   const struct virtq_chain *c, uint64_t sector)
{
	const struct blk_image *img = blk->image;

	switch (req->type) {
	case VIRTIO_BLK_T_IN:
		blk->stats.reads++;
		return blk_prepare_rw(blk, req, c, sector);
	case VIRTIO_BLK_T_OUT:
		blk->stats.writes++;
		return img->readonly ? VIRTIO_BLK_S_IOERR : blk_prepare_rw(blk, req, c, sector);
	case VIRTIO_BLK_T_FLUSH:
		blk->stats.flushes++;
		if (img->readonly)
			return VIRTIO_BLK_S_OK; /* nothing was written */
		blk_io_start(req);
		return BLK_STARTED;
	case VIRTIO_BLK_T_GET_ID:
		blk->stats.others++;
		return blk_get_id(blk, req, c);
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		blk->stats.others++;
		if (!(blk->ops.features &
		      (1ull << (req->type == VIRTIO_BLK_T_DISCARD ? VIRTIO_BLK_F_DISCARD
								  : VIRTIO_BLK_F_WRITE_ZEROES))))
			return VIRTIO_BLK_S_UNSUPP;
		return blk_prepare_segment(blk, req, c);
	default:
		blk->stats.others++;
		return VIRTIO_BLK_S_UNSUPP;
	}
}

/*
 * One chain: the header (16 device-readable bytes, in whatever buffers),
 * the data, the status (the last device-writable byte).  Served now, or
 * started on the ring and returned when it completes.
 */
static int blk_serve_chain(void *opaque, struct virtq *vq, struct virtq_chain *c, uint32_t *written)
{
	struct virtio_blk *blk = opaque;
	unsigned int q = vq - blk->vp.queues;
	struct virtio_blk_req_header hdr;
	struct blk_request *req;
	uint8_t status;

	if (c->readable_bytes < BLK_HEADER_BYTES || c->writable_bytes < 1)
		return blk_malformed(vq,
				     "head %u: a request of %llu readable and %llu writable bytes "
				     "lacks a header or a status byte",
				     c->head, (unsigned long long)c->readable_bytes,
				     (unsigned long long)c->writable_bytes);
	req = &blk->queues[q].requests[c->head];
	if (req->in_flight)
		return blk_malformed(vq, "head %u made available again while in flight", c->head);
	chain_copy(c, 0, c->nr_readable, 0, &hdr, sizeof(hdr), false);
	*req = (struct blk_request){
		.blk = blk,
		.queue = q,
		.head = c->head,
		.type = hdr.type,
		.status = chain_status_byte(c),
		.written = 1,
		.iov = blk->queues[q].iovs + (size_t)c->head * VIRTIO_BLK_QUEUE_SIZE,
	};
	status = blk_prepare(blk, req, c, hdr.sector);
	if (status == BLK_STARTED)
		return VIRTQ_DEFERRED;
	*req->status = status;
	*written = status == VIRTIO_BLK_S_OK ? req->written : 1;
	if (status != VIRTIO_BLK_S_OK)
		blk->stats.errors++;
	return 0;
}

void blk_request_finish(struct blk_request *req, uint8_t status)
{
	struct virtio_blk *blk = req->blk;

	req->in_flight = false;
	if (blk->io.discarding)
		return;
	*req->status = status;
	if (status != VIRTIO_BLK_S_OK)
		blk->stats.errors++;
	virtq_push_head(&blk->vp.queues[req->queue], req->head,
			status == VIRTIO_BLK_S_OK ? req->written : 1);
}

/* ---- The device ----------------------------------------------------------------------- */

static int blk_queue_notify(struct virtio_pci *vp, struct virtq *vq)
{
	struct virtio_blk *blk = vp->opaque;
	int ret = virtq_serve(vq, blk_serve_chain, blk);

	blk_io_submit(blk);
	blk_io_reap(blk); /* what completed as it was submitted (cached reads) goes back now */
	return ret;
}

/* The driver reset the device: nothing it handed over may complete into its memory later. */
static void blk_reset(struct virtio_pci *vp)
{
	blk_io_drain(vp->opaque);
}

static void put_le(uint8_t *p, uint64_t value, unsigned int bytes)
{
	for (unsigned int i = 0; i < bytes; i++)
		p[i] = value >> (8 * i);
}

static void blk_config_read(struct virtio_pci *vp, uint32_t offset, uint8_t *data, uint32_t len)
{
	const struct virtio_blk *blk = vp->opaque;
	uint8_t config[VIRTIO_BLK_CFG_SIZE] = { 0 };
	uint32_t granule = blk->image->block_size > 4096 ? blk->image->block_size : 4096;

	put_le(config + VIRTIO_BLK_CFG_CAPACITY, blk->image->sectors, 8);
	put_le(config + VIRTIO_BLK_CFG_SEG_MAX, VIRTIO_BLK_SEG_MAX, 4);
	put_le(config + VIRTIO_BLK_CFG_BLK_SIZE, blk->image->block_size, 4);
	put_le(config + VIRTIO_BLK_CFG_NUM_QUEUES, blk->nr_queues, 2);
	put_le(config + VIRTIO_BLK_CFG_MAX_DISCARD_SECTORS, VIRTIO_BLK_DISCARD_SECTORS_MAX, 4);
	put_le(config + VIRTIO_BLK_CFG_MAX_DISCARD_SEG, 1, 4);
	put_le(config + VIRTIO_BLK_CFG_DISCARD_ALIGNMENT, granule / VIRTIO_BLK_SECTOR_SIZE, 4);
	put_le(config + VIRTIO_BLK_CFG_MAX_WRITE_ZEROES_SECTORS, VIRTIO_BLK_ZEROES_SECTORS_MAX, 4);
	put_le(config + VIRTIO_BLK_CFG_MAX_WRITE_ZEROES_SEG, 1, 4);
	config[VIRTIO_BLK_CFG_WRITE_ZEROES_MAY_UNMAP] = 1;
	memcpy(data, config + offset, len);
}

/* SEG_MAX, BLK_SIZE, FLUSH, MQ always; RO, or WRITE_ZEROES and (when asked) DISCARD. */
static uint64_t blk_features(const struct blk_image *img)
{
	uint64_t features = (1ull << VIRTIO_BLK_F_SEG_MAX) | (1ull << VIRTIO_BLK_F_BLK_SIZE) |
			    (1ull << VIRTIO_BLK_F_FLUSH) | (1ull << VIRTIO_BLK_F_MQ);

	if (img->readonly)
		return features | (1ull << VIRTIO_BLK_F_RO);
	features |= 1ull << VIRTIO_BLK_F_WRITE_ZEROES;
	if (img->discard)
		features |= 1ull << VIRTIO_BLK_F_DISCARD;
	return features;
}

static int blk_queues_alloc(struct virtio_blk *blk)
{
	for (unsigned int q = 0; q < blk->nr_queues; q++) {
		struct blk_queue *bq = &blk->queues[q];

		bq->requests = calloc(VIRTIO_BLK_QUEUE_SIZE, sizeof(*bq->requests));
		bq->iovs = calloc((size_t)VIRTIO_BLK_QUEUE_SIZE * VIRTIO_BLK_QUEUE_SIZE,
				  sizeof(*bq->iovs));
		if (!bq->requests || !bq->iovs)
			return -ENOMEM;
	}
	return 0;
}

static int blk_on_completion(struct event_loop *loop, int fd, int res, void *opaque)
{
	eventfd_t count;

	eventfd_read(fd, &count);
	virtio_blk_complete(opaque);
	return 0;
}

int virtio_blk_create(struct virtio_blk *blk, struct vm *vm, struct pci_bus *bus,
		      struct event_loop *loop, struct blk_image *image, unsigned int nr_queues)
{
	int ret;

	memset(blk, 0, sizeof(*blk));
	blk->io.event_fd = blk->io.loop_id = -1;
	blk->image = image;
	blk->nr_queues = nr_queues < 1			     ? 1
			 : nr_queues > VIRTIO_BLK_QUEUES_MAX ? VIRTIO_BLK_QUEUES_MAX
							     : nr_queues;
	snprintf(blk->name, sizeof(blk->name), "virtio-blk %s", image->vdev);
	blk->ops = (struct virtio_device_ops){
		.name = blk->name,
		.device_id = VIRTIO_ID_BLOCK,
		.class_code = VIRTIO_BLK_CLASS,
		.nr_queues = blk->nr_queues,
		.queue_max_size = VIRTIO_BLK_QUEUE_SIZE,
		.features = blk_features(image),
		.config_size = VIRTIO_BLK_CFG_SIZE,
		.config_read = blk_config_read,
		.queue_notify = blk_queue_notify,
		.reset = blk_reset,
	};
	ret = blk_queues_alloc(blk);
	if (!ret)
		ret = blk_io_init(blk);
	if (ret) {
		log_error("cannot create %s: %s", blk->name, strerror(-ret));
		return ret;
	}
	ret = virtio_pci_create(&blk->vp, vm, bus, loop, &blk->ops, blk); /* logs its failures */
	if (ret || !loop)
		return ret;
	blk->loop = loop;
	blk->io.loop_id = event_loop_add(loop, blk->io.event_fd, blk->name, blk_on_completion, blk);
	return blk->io.loop_id < 0 ? blk->io.loop_id : 0;
}

void virtio_blk_destroy(struct virtio_blk *blk)
{
	if (!blk->image)
		return; /* never created */
	if (blk->io.loop_id >= 0)
		event_loop_remove(blk->loop, blk->io.loop_id);
	blk->io.loop_id = -1;
	blk_io_drain(blk);
	virtio_pci_destroy(&blk->vp);
	blk_io_exit(blk);
	for (unsigned int q = 0; q < VIRTIO_BLK_QUEUES_MAX; q++) {
		free(blk->queues[q].requests);
		free(blk->queues[q].iovs);
		blk->queues[q] = (struct blk_queue){ 0 };
	}
	blk->image = NULL;
}

static void blk_complete_locked(struct virtio_pci *vp, void *arg)
{
	blk_io_reap(arg); /* submits the retries and flushes its completions started */
}

void virtio_blk_complete(struct virtio_blk *blk)
{
	virtio_pci_complete(&blk->vp, blk_complete_locked, blk);
}

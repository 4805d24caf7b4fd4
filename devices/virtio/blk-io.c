/* virtio-blk's I/O: one io_uring per disk, completions reaped on the event loop, flushes after earlier writes. */
#include "devices/virtio/blk.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "devices/virtio/blk-internal.h"
#include "vmm/log.h"

/*
 * Ordering, and what the guest may rely on (virtio 5.2.6.2):
 *
 * - A read, write, discard or write-zeroes completes when its operation
 *   does: a write has reached the host's page cache (or, with O_DIRECT,
 *   the device), not necessarily stable storage — kdom is a volatile
 *   write-back cache, which is why it offers VIRTIO_BLK_F_FLUSH.
 * - A flush is started only once every write made available before it
 *   (on any of the disk's queues) has completed, and then is one
 *   fdatasync() of the image (IORING_OP_FSYNC, DATASYNC).  Its OK is
 *   written only after that returned 0: whatever the driver saw completed
 *   before it sent the flush, and whatever it sent before the flush, is
 *   on stable storage when the flush completes.  Writes made available
 *   after the flush do not wait for it and are not covered by it.
 * - An error from fdatasync() (a write-back failure) fails the flush with
 *   IOERR; nothing is acknowledged before it is durable.
 */

#define BLK_ZERO_ALIGN 4096

static bool blk_io_aligned(const struct blk_request *req)
{
	uint64_t bits = req->offset | req->len;

	for (unsigned int i = 0; i < req->nr_iov; i++)
		bits |= (uintptr_t)req->iov[i].iov_base | req->iov[i].iov_len;
	return !(bits & (req->blk->image->dio_align - 1));
}

/* The descriptor a read or write goes to: O_DIRECT when the disk is and the request aligned. */
static int blk_io_fd(struct blk_request *req)
{
	const struct blk_image *img = req->blk->image;

	req->direct = img->direct && !req->buffered && blk_io_aligned(req);
	return req->direct ? img->fd : img->buffered_fd;
}

/* The zero buffer as req's iovecs, len bytes' worth. */
static void blk_io_zero_iov(struct blk_request *req)
{
	uint64_t left = req->len;

	req->nr_iov = 0;
	while (left) {
		uint64_t take = left < VIRTIO_BLK_ZERO_BUF_SIZE ? left : VIRTIO_BLK_ZERO_BUF_SIZE;

		req->iov[req->nr_iov++] =
			(struct iovec){ .iov_base = req->blk->io.zeros, .iov_len = take };
		left -= take;
	}
}

static int blk_io_fallocate_mode(const struct blk_request *req)
{
	bool punch = req->unmap;
	int keep = FALLOC_FL_KEEP_SIZE;

	if (req->type == VIRTIO_BLK_T_DISCARD)
		/* On a block device PUNCH_HOLE alone would write zeros; this discards. */
		return FALLOC_FL_PUNCH_HOLE | keep |
		       (req->blk->image->block_device ? FALLOC_FL_NO_HIDE_STALE : 0);
	if (req->stage == BLK_ZEROES_FALLOCATE2)
		punch = !punch;
	return punch ? FALLOC_FL_PUNCH_HOLE | keep : FALLOC_FL_ZERO_RANGE | keep;
}

static struct io_uring_sqe *blk_io_sqe(struct blk_io *io)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&io->ring);

	if (!sqe) {
		io_uring_submit(&io->ring);
		sqe = io_uring_get_sqe(&io->ring);
	}
	return sqe;
}

/* Queue req's operation as it stands now; false when the ring has no room. */
static bool blk_io_prep(struct blk_request *req)
{
	struct virtio_blk *blk = req->blk;
	const struct blk_image *img = blk->image;
	struct io_uring_sqe *sqe = blk_io_sqe(&blk->io);

	if (!sqe)
		return false;
	req->direct = false;
	switch (req->type) {
	case VIRTIO_BLK_T_IN:
		io_uring_prep_readv(sqe, blk_io_fd(req), req->iov, req->nr_iov, req->offset);
		break;
	case VIRTIO_BLK_T_OUT:
		io_uring_prep_writev(sqe, blk_io_fd(req), req->iov, req->nr_iov, req->offset);
		break;
	case VIRTIO_BLK_T_FLUSH:
		io_uring_prep_fsync(sqe, img->fd, IORING_FSYNC_DATASYNC);
		break;
	case VIRTIO_BLK_T_WRITE_ZEROES:
		if (req->stage == BLK_ZEROES_WRITE) {
			blk_io_zero_iov(req);
			io_uring_prep_writev(sqe, blk_io_fd(req), req->iov, req->nr_iov,
					     req->offset);
			break;
		}
		/* fall through */
	case VIRTIO_BLK_T_DISCARD:
		io_uring_prep_fallocate(sqe, img->fd, blk_io_fallocate_mode(req), req->offset,
					req->len);
		break;
	}
	io_uring_sqe_set_data(sqe, req);
	blk->io.in_flight++;
	return true;
}

/* A write finished: the flushes waiting for it are one write closer to starting. */
static void blk_io_write_done(struct virtio_blk *blk, uint64_t seq)
{
	struct blk_io *io = &blk->io;
	struct blk_request *f;

	io->writes_in_flight--;
	for (f = io->flush_head; f; f = f->next_flush)
		if (seq <= f->barrier)
			f->waiting--;
	/* A later flush waits for all an earlier one does, so they start in order. */
	while ((f = io->flush_head) && !f->waiting) {
		io->flush_head = f->next_flush;
		if (!io->flush_head)
			io->flush_tail = NULL;
		if (!blk_io_prep(f))
			blk_request_finish(f, VIRTIO_BLK_S_IOERR);
	}
}

static void blk_io_finish(struct blk_request *req, uint8_t status)
{
	if (blk_type_writes(req->type))
		blk_io_write_done(req->blk, req->seq);
	blk_request_finish(req, status);
}

void blk_io_start(struct blk_request *req)
{
	struct blk_io *io = &req->blk->io;

	req->in_flight = true;
	if (blk_type_writes(req->type)) {
		req->seq = ++io->write_seq;
		io->writes_in_flight++;
	}
	if (req->type == VIRTIO_BLK_T_FLUSH && io->writes_in_flight) {
		req->barrier = io->write_seq;
		req->waiting = io->writes_in_flight;
		req->next_flush = NULL;
		if (io->flush_tail)
			io->flush_tail->next_flush = req;
		else
			io->flush_head = req;
		io->flush_tail = req;
		return;
	}
	if (!blk_io_prep(req))
		blk_io_finish(req, VIRTIO_BLK_S_IOERR);
}

void blk_io_submit(struct virtio_blk *blk)
{
	int ret;

	if (!blk->io.ring_ready)
		return;
	ret = io_uring_submit(&blk->io.ring);
	if (ret < 0 && ret != -EINTR) {
		if (blk->io.warnings++ < VIRTIO_BLK_IO_WARNINGS)
			log_warn("%s: io_uring_submit: %s; trying again", blk->name,
				 strerror(-ret));
		eventfd_write(blk->io.event_fd, 1); /* the event loop comes back to submit */
	}
}

/* Whether the operation is tried another way: O_DIRECT refused, a write-zeroes way unsupported. */
static bool blk_io_retry(struct blk_request *req, int res)
{
	if (res == -EINVAL && req->direct) {
		req->buffered = true; /* the file system's alignment was stricter than guessed */
	} else if (req->type == VIRTIO_BLK_T_WRITE_ZEROES && req->stage < BLK_ZEROES_WRITE &&
		   (res == -EOPNOTSUPP || res == -EINVAL || res == -ENODEV)) {
		req->stage++;
	} else {
		return false;
	}
	if (!blk_io_prep(req))
		blk_io_finish(req, VIRTIO_BLK_S_IOERR);
	return true;
}

static const char *blk_io_what(const struct blk_request *req)
{
	switch (req->type) {
	case VIRTIO_BLK_T_IN:
		return "read";
	case VIRTIO_BLK_T_OUT:
		return "write";
	case VIRTIO_BLK_T_FLUSH:
		return "flush";
	case VIRTIO_BLK_T_DISCARD:
		return "discard";
	default:
		return "write-zeroes";
	}
}

/* The status an operation's result gives; host errors and short transfers are IOERR, logged. */
static uint8_t blk_io_status(struct blk_request *req, int res)
{
	struct virtio_blk *blk = req->blk;
	bool moves_data =
		req->type == VIRTIO_BLK_T_IN || req->type == VIRTIO_BLK_T_OUT ||
		(req->type == VIRTIO_BLK_T_WRITE_ZEROES && req->stage == BLK_ZEROES_WRITE);
	uint64_t expected = moves_data ? req->len : 0;

	if (res >= 0 && (uint64_t)res == expected)
		return VIRTIO_BLK_S_OK;
	if (req->type == VIRTIO_BLK_T_DISCARD && (res == -EOPNOTSUPP || res == -ENODEV))
		return VIRTIO_BLK_S_OK; /* a hint the image cannot take: the data stays */
	if (blk->io.warnings++ < VIRTIO_BLK_IO_WARNINGS) {
		char why[64];

		if (res < 0)
			snprintf(why, sizeof(why), "%s", strerror(-res));
		else
			snprintf(why, sizeof(why), "%d of %llu bytes", res,
				 (unsigned long long)req->len);
		log_warn("%s: %s of %llu bytes at sector %llu: %s; the guest gets an I/O "
			 "error%s",
			 blk->name, blk_io_what(req), (unsigned long long)req->len,
			 (unsigned long long)(req->offset / VIRTIO_BLK_SECTOR_SIZE), why,
			 blk->io.warnings == VIRTIO_BLK_IO_WARNINGS
				 ? " (further such messages suppressed)"
				 : "");
	}
	return VIRTIO_BLK_S_IOERR;
}

static void blk_io_done(struct blk_request *req, int res)
{
	if (req->blk->io.discarding) {
		req->in_flight = false;
		return;
	}
	if (blk_io_retry(req, res))
		return;
	blk_io_finish(req, blk_io_status(req, res));
}

void blk_io_reap(struct virtio_blk *blk)
{
	struct blk_io *io = &blk->io;
	struct io_uring_cqe *cqe;
	unsigned int head, seen = 0;

	if (!io->ring_ready)
		return;
	io_uring_for_each_cqe(&io->ring, head, cqe)
	{
		seen++;
		io->in_flight--;
		blk_io_done(io_uring_cqe_get_data(cqe), cqe->res);
	}
	io_uring_cq_advance(&io->ring, seen);
	/* Flushes whose writes are done, and retries, go to the kernel now: nothing else may come. */
	if (io_uring_sq_ready(&io->ring))
		blk_io_submit(blk);
}

void blk_io_drain(struct virtio_blk *blk)
{
	struct blk_io *io = &blk->io;

	if (!io->ring_ready)
		return;
	io->discarding = true;
	while (io->in_flight) {
		int ret = io_uring_submit_and_wait(&io->ring, 1);

		if (ret < 0 && ret != -EINTR) {
			log_error("%s: waiting for I/O in flight: %s", blk->name, strerror(-ret));
			break;
		}
		blk_io_reap(blk);
	}
	io->flush_head = io->flush_tail = NULL;
	io->writes_in_flight = 0;
	io->discarding = false;
	for (unsigned int q = 0; q < blk->nr_queues; q++)
		for (unsigned int i = 0; blk->queues[q].requests && i < VIRTIO_BLK_QUEUE_SIZE; i++)
			blk->queues[q].requests[i].in_flight = false;
}

int blk_io_init(struct virtio_blk *blk)
{
	struct blk_io *io = &blk->io;
	int ret;

	io->zeros = aligned_alloc(BLK_ZERO_ALIGN, VIRTIO_BLK_ZERO_BUF_SIZE);
	if (!io->zeros)
		return -ENOMEM;
	memset(io->zeros, 0, VIRTIO_BLK_ZERO_BUF_SIZE);
	ret = io_uring_queue_init(blk->nr_queues * VIRTIO_BLK_QUEUE_SIZE, &io->ring, 0);
	if (ret)
		return ret;
	io->ring_ready = true;
	io->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (io->event_fd < 0)
		return -errno;
	return io_uring_register_eventfd(&io->ring, io->event_fd);
}

void blk_io_exit(struct virtio_blk *blk)
{
	struct blk_io *io = &blk->io;

	if (io->ring_ready)
		io_uring_queue_exit(&io->ring);
	io->ring_ready = false;
	if (io->event_fd >= 0)
		close(io->event_fd);
	io->event_fd = -1;
	free(io->zeros);
	io->zeros = NULL;
}

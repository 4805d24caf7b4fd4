/* What virtio-blk's files share: a request in flight, and the I/O calls blk.c makes of blk-io.c. */
#ifndef KDOM_VIRTIO_BLK_INTERNAL_H
#define KDOM_VIRTIO_BLK_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "devices/virtio/blk.h"

/* How a WRITE_ZEROES request is tried, in order, until one is supported. */
enum blk_zeroes_stage {
	BLK_ZEROES_FALLOCATE,  /* ZERO_RANGE, or PUNCH_HOLE when the driver lets it unmap */
	BLK_ZEROES_FALLOCATE2, /* the other of the two */
	BLK_ZEROES_WRITE,      /* zeros written from a buffer */
};

/*
 * One request the driver made available, from the chain's head until its
 * status is written and the chain returned.  Its data buffers are
 * iovecs into guest RAM (gmem_ptr()'s, checked when the chain was taken).
 */
struct blk_request {
	struct virtio_blk *blk;
	uint16_t queue, head;
	uint32_t type;	   /* VIRTIO_BLK_T_* */
	bool in_flight;	   /* the driver handed it over and has not got it back */
	bool buffered;	   /* served through the page cache though the disk is direct */
	bool direct;	   /* its current operation went to the O_DIRECT descriptor */
	bool unmap;	   /* WRITE_ZEROES: the driver lets the range be deallocated */
	uint8_t stage;	   /* WRITE_ZEROES: an enum blk_zeroes_stage */
	uint8_t *status;   /* the status byte, in guest RAM */
	uint32_t written;  /* the used length once it succeeds */
	uint64_t offset;   /* bytes into the image */
	uint64_t len;	   /* bytes */
	struct iovec *iov; /* the queue's VIRTIO_BLK_QUEUE_SIZE for this head */
	unsigned int nr_iov;
	uint64_t seq;			/* a write: its number among the disk's writes */
	uint64_t barrier;		/* a waiting flush: the last write it must see done */
	unsigned int waiting;		/* a waiting flush: writes up to barrier in flight */
	struct blk_request *next_flush; /* the next waiting flush */
};

/* Whether a request type writes the image: what a flush waits for. */
static inline bool blk_type_writes(uint32_t type)
{
	return type == VIRTIO_BLK_T_OUT || type == VIRTIO_BLK_T_DISCARD ||
	       type == VIRTIO_BLK_T_WRITE_ZEROES;
}

/* ---- blk-io.c: the ring (all under the device lock) ---- */

/* The ring, its eventfd (registered with it) and the zero buffer.  0 or -errno. */
int blk_io_init(struct virtio_blk *blk);
/* Free what blk_io_init() made; nothing may be in flight. */
void blk_io_exit(struct virtio_blk *blk);
/*
 * Start req (its fields filled in): a read, a write, a flush (after the
 * writes made available before it have completed), a discard or a write
 * of zeros.  It completes later through blk_io_reap(), or at once with
 * IOERR when the ring has no room.
 */
void blk_io_start(struct blk_request *req);
/* Hand what was started to the kernel. */
void blk_io_submit(struct virtio_blk *blk);
/* Complete every request whose operation the ring finished; submit what that started. */
void blk_io_reap(struct virtio_blk *blk);
/* Wait until nothing is in flight, dropping every result (the device is reset). */
void blk_io_drain(struct virtio_blk *blk);

/* ---- blk.c ---- */

/* Write req's status, return its chain to the driver (unless the device was reset meanwhile). */
void blk_request_finish(struct blk_request *req, uint8_t status);

#endif

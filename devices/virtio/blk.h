/* virtio-blk: a raw image file or block device served as a virtio block device, its I/O on io_uring. */
#ifndef KDOM_VIRTIO_BLK_H
#define KDOM_VIRTIO_BLK_H

#include <liburing.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "devices/virtio/pci.h"
#include "hv-roles/domain-config.h"

#define VIRTIO_BLK_QUEUE_SIZE 256 /* the largest queue the driver may choose */
#define VIRTIO_BLK_SEG_MAX \
	(VIRTIO_BLK_QUEUE_SIZE - 2)		  /* data buffers: a chain less header, status */
#define VIRTIO_BLK_QUEUES_MAX 4			  /* request queues (MQ) */
#define VIRTIO_BLK_REQUEST_MAX (64u << 20)	  /* data bytes one read or write may move */
#define VIRTIO_BLK_DISCARD_SECTORS_MAX (1u << 22) /* 2 GiB per discard */
#define VIRTIO_BLK_ZEROES_SECTORS_MAX (1u << 15)  /* 16 MiB per write-zeroes */
#define VIRTIO_BLK_ZERO_BUF_SIZE (64u << 10) /* one iovec each, VIRTIO_BLK_QUEUE_SIZE at most */
#define VIRTIO_BLK_IO_WARNINGS 8	     /* host I/O errors logged per disk */

_Static_assert(VIRTIO_BLK_ZEROES_SECTORS_MAX * 512ull <=
		       (uint64_t)VIRTIO_BLK_QUEUE_SIZE * VIRTIO_BLK_ZERO_BUF_SIZE,
	       "a write-zeroes request fits the zero buffer's iovecs");

/*
 * A disk's image, opened and locked before the domain is built: a raw
 * file or a block device, with an open file description lock (F_OFD_SETLK,
 * whole file) that keeps other domains out — a write lock for a
 * read-write disk, a read lock for a read-only one.
 */
struct blk_image {
	char *path;
	char vdev[DISK_VDEV_MAX];
	char serial[DISK_SERIAL_MAX + 1];
	int fd;		  /* the image; O_DIRECT when direct; holds the lock */
	int buffered_fd;  /* direct: the same file without O_DIRECT (unaligned requests); else fd */
	int excl_fd;	  /* a read-write block device's O_EXCL claim, or -1 */
	uint64_t sectors; /* capacity in 512-byte sectors (a partial last sector is not served) */
	uint32_t block_size; /* the guest's logical block size: 512, or a block device's own */
	uint32_t dio_align;  /* direct: offsets, lengths and addresses aligned so go direct */
	bool block_device, readonly, discard, direct;
};

/*
 * Open spec's target for a disk: O_RDONLY for access=ro, O_RDWR otherwise
 * (a block device then also claimed with O_EXCL, refused while mounted), with
 * O_DIRECT for direct-io-safe where the file system allows it (else
 * through the page cache, with a warning), locked against other domains.
 * 0, or -errno with err saying what, naming the disk and the file.
 */
int blk_image_open(struct blk_image *img, const struct disk_spec *spec, char *err, size_t errlen);
/* Flush (a read-write image) and close; safe on a zeroed or closed image. */
void blk_image_close(struct blk_image *img);

struct blk_request;

/* Requests of one queue, by head index: in flight until completed. */
struct blk_queue {
	struct blk_request *requests; /* VIRTIO_BLK_QUEUE_SIZE */
	struct iovec *iovs;	      /* VIRTIO_BLK_QUEUE_SIZE per request */
};

/* What a disk has served: for --stats and the benches. */
struct blk_stats {
	uint64_t reads, writes, flushes, others, errors;
};

/*
 * The io_uring all of a disk's queues submit to; its completions reach the
 * event loop through an eventfd.  Under the transport's device lock.
 */
struct blk_io {
	struct io_uring ring;
	bool ring_ready;
	int event_fd;
	int loop_id;
	unsigned int in_flight;	       /* operations the ring holds */
	bool discarding;	       /* a reset drains the ring: completions are dropped */
	uint64_t write_seq;	       /* writes (OUT, DISCARD, WRITE_ZEROES) submitted so far */
	unsigned int writes_in_flight; /* of them, not completed */
	struct blk_request *flush_head, *flush_tail; /* flushes waiting for earlier writes */
	uint8_t *zeros;				     /* VIRTIO_BLK_ZERO_BUF_SIZE, aligned */
	unsigned int warnings;			     /* host errors logged */
};

struct virtio_blk {
	struct virtio_pci vp;
	struct virtio_device_ops ops; /* per disk: its name, queues and features */
	char name[32];		      /* "virtio-blk xvda" */
	struct blk_image *image;      /* the builder's, open until after virtio_blk_destroy() */
	unsigned int nr_queues;
	struct blk_queue queues[VIRTIO_BLK_QUEUES_MAX];
	struct blk_io io;
	struct event_loop *loop;
	struct blk_stats stats;
};

/*
 * Put image on bus as a virtio block device of nr_queues request queues
 * (1..VIRTIO_BLK_QUEUES_MAX), its I/O completions watched by loop (NULL:
 * the caller reaps with virtio_blk_complete()).  0 or -errno (logged);
 * virtio_blk_destroy() is due either way.
 */
int virtio_blk_create(struct virtio_blk *blk, struct vm *vm, struct pci_bus *bus,
		      struct event_loop *loop, struct blk_image *image, unsigned int nr_queues);
/* Wait for I/O in flight, then undo virtio_blk_create(); before vm_destroy(). */
void virtio_blk_destroy(struct virtio_blk *blk);

/*
 * Return the requests whose I/O completed, with their interrupts, and
 * submit what that started (flushes, retries): what the event loop does
 * when the ring's eventfd fires.  Tests call it.
 */
void virtio_blk_complete(struct virtio_blk *blk);

#endif

/* Split virtqueues, device side: chains checked whole through the guest-memory accessor, used ring, event index. */
#ifndef KDOM_VIRTIO_QUEUE_H
#define KDOM_VIRTIO_QUEUE_H

#include <stdbool.h>
#include <stdint.h>

#include "kdom/virtio.h"

struct guest_mem;

/* How many chains one virtq_serve() call takes before it lets other work run. */
#define VIRTQ_SERVE_BUDGET 256

/* One buffer of a chain, in host memory: the guest's [gpa, gpa + len) is RAM. */
struct virtq_buf {
	uint8_t *host;
	uint32_t len;
	bool writable; /* the device writes it (VIRTQ_DESC_F_WRITE) */
};

/*
 * A descriptor chain the driver made available, every descriptor copied
 * out of the guest and checked before the device sees it: the device-
 * readable buffers first (nr_readable of them), then the writable ones.
 */
struct virtq_chain {
	uint16_t head; /* what the used ring gives back */
	unsigned int nr_bufs, nr_readable;
	uint64_t readable_bytes, writable_bytes;
	struct virtq_buf *bufs; /* the queue's own array, valid until the next virtq_pop() */
};

/*
 * One split virtqueue.  The driver's configuration (size, vector, ring
 * addresses) is written by the transport while the queue is disabled;
 * virtq_enable() checks it and resolves the rings once.  Not locked: the
 * transport serializes every call.
 */
struct virtq {
	const struct guest_mem *mem;
	uint16_t max_size; /* a power of two; also the longest chain taken */
	uint16_t size;	   /* what the driver chose: a power of two <= max_size */
	uint16_t msix_vector;
	bool enabled;
	uint64_t desc_gpa, avail_gpa, used_gpa;

	/* Set by virtq_enable(). */
	bool event_idx, indirect; /* negotiated VIRTIO_F_EVENT_IDX, VIRTIO_F_INDIRECT_DESC */
	struct virtq_desc *desc;
	struct virtq_avail *avail;
	struct virtq_used *used;
	uint16_t last_avail;	 /* the next avail ring entry the device takes */
	uint16_t used_idx;	 /* the device's copy of used->idx */
	uint16_t signalled_used; /* used_idx when the driver was last considered for an interrupt */

	struct virtq_chain chain;
	char error[160]; /* why the ring is malformed, when a call returned -EIO */
};

/* Set up a queue of at most max_size entries (a power of two, 1..32768).  0, -EINVAL or -ENOMEM. */
int virtq_init(struct virtq *vq, const struct guest_mem *mem, uint16_t max_size);
/* Free what virtq_init() allocated.  Safe on a zeroed queue. */
void virtq_destroy(struct virtq *vq);

/* Back to the state after a device reset: disabled, size max_size, no addresses, no vector. */
void virtq_reset(struct virtq *vq);

/* Whether the driver may choose size: a power of two, 1 to max_size. */
bool virtq_size_valid(const struct virtq *vq, uint32_t size);

/*
 * Start using the rings the driver configured, with the features it
 * negotiated: each part aligned and lying whole in RAM.  0, or -EIO with
 * vq->error saying what is wrong (the queue stays disabled).
 */
int virtq_enable(struct virtq *vq, bool event_idx, bool indirect);

/*
 * Give back the chain the last virtq_pop() (below) took, unused (a device that
 * found nothing to put in it): the next virtq_pop() takes it again.
 */
void virtq_unpop(struct virtq *vq);

/*
 * Take the next available chain: 1 with *chain, 0 when there is none, or
 * -EIO with vq->error when the ring is malformed — the avail index more
 * than size ahead, a head or next index beyond the table, a buffer not in
 * RAM, a loop (more descriptors than the table holds), a chain longer than
 * max_size descriptors, a readable buffer after a writable one, or a bad
 * indirect descriptor (nested, chained with NEXT, not negotiated, a table
 * not a multiple of 16 bytes, empty, larger than max_size entries or not
 * in RAM).
 */
int virtq_pop(struct virtq *vq, struct virtq_chain **chain);

/* Return chain to the driver with written bytes (at most its writable bytes) filled in. */
void virtq_push(struct virtq *vq, const struct virtq_chain *chain, uint32_t written);

/*
 * Return the chain at head later, once a device finished it (chains served
 * asynchronously): written is the caller's to bound by the chain's
 * writable bytes.  Nothing when the queue was reset meanwhile.
 */
void virtq_push_head(struct virtq *vq, uint16_t head, uint32_t written);

/*
 * After pushes: tell the driver where to notify next (avail_event, with
 * the event index) and say whether chains arrived meanwhile, so that none
 * is left waiting for a notification that will not come.
 */
bool virtq_arm_notify(struct virtq *vq);

/*
 * Whether the driver wants an interrupt for what was pushed since the last
 * call: used_event crossed (event index), or VIRTQ_AVAIL_F_NO_INTERRUPT
 * clear; false when nothing was pushed.
 */
bool virtq_should_interrupt(struct virtq *vq);

/*
 * Serve one chain: fill its writable buffers and say how many bytes in
 * *written.  0, VIRTQ_DEFERRED when the device took the chain and returns
 * it later with virtq_push_head(), or -EIO with a reason in the queue's
 * error for a request the device cannot make sense of.
 */
#define VIRTQ_DEFERRED 1
typedef int (*virtq_handler_fn)(void *opaque, struct virtq *vq, struct virtq_chain *chain,
				uint32_t *written);

/*
 * Pop, serve and push chains until none is left (notifications armed), or
 * VIRTQ_SERVE_BUDGET were served: 0 when done, 1 when chains remain (the
 * caller comes back later), -EIO when the ring or a request is malformed.
 */
int virtq_serve(struct virtq *vq, virtq_handler_fn handler, void *opaque);

#endif

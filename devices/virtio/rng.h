/* virtio-rng: the virtio entropy device on kdom's PCI bus. */
#ifndef KDOM_VIRTIO_RNG_H
#define KDOM_VIRTIO_RNG_H

#include <stdint.h>

#include "devices/virtio/pci.h"

#define VIRTIO_RNG_QUEUE_SIZE 64	   /* the largest queue the driver may choose */
#define VIRTIO_RNG_REQUEST_MAX (64u << 10) /* bytes one request gets at most */

struct virtio_rng {
	struct virtio_pci vp;
	uint64_t bytes; /* handed to the guest so far */
};

/*
 * Put an entropy device on bus (watched by loop when not NULL): one queue
 * whose device-writable buffers are filled from getrandom(), up to
 * VIRTIO_RNG_REQUEST_MAX bytes a request.  0 or -errno (logged);
 * virtio_rng_destroy() is due either way.
 */
int virtio_rng_create(struct virtio_rng *rng, struct vm *vm, struct pci_bus *bus,
		      struct event_loop *loop);
void virtio_rng_destroy(struct virtio_rng *rng);

#endif

/* virtio-rng (virtio 5.4): the driver's device-writable buffers filled from the host's getrandom(). */
#include "devices/virtio/rng.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "vmm/log.h"

/* PCI class 0xff: a device that fits no other class, as other VMMs present virtio-rng. */
#define VIRTIO_RNG_CLASS 0xff0000

/* Fill host[0, len) from the host's pool; the bytes written. */
static uint32_t rng_fill(uint8_t *host, uint32_t len)
{
	uint32_t done = 0;

	while (done < len) {
		ssize_t n = getrandom(host + done, len - done, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			log_warn("virtio-rng: getrandom: %s", n < 0 ? strerror(errno) : "no bytes");
			break;
		}
		done += n;
	}
	return done;
}

/* One request: its writable buffers filled in order; device-readable ones carry nothing for it. */
static int rng_serve_chain(void *opaque, struct virtq *vq, struct virtq_chain *chain,
			   uint32_t *written)
{
	struct virtio_rng *rng = opaque;
	uint32_t total = 0;

	for (unsigned int i = chain->nr_readable; i < chain->nr_bufs; i++) {
		const struct virtq_buf *buf = &chain->bufs[i];
		uint32_t want = buf->len;
		uint32_t got;

		if (want > VIRTIO_RNG_REQUEST_MAX - total)
			want = VIRTIO_RNG_REQUEST_MAX - total;
		got = rng_fill(buf->host, want);
		total += got;
		if (got < buf->len)
			break;
	}
	rng->bytes += total;
	*written = total;
	return 0;
}

static int rng_queue_notify(struct virtio_pci *vp, struct virtq *vq)
{
	return virtq_serve(vq, rng_serve_chain, vp->opaque);
}

static const struct virtio_device_ops virtio_rng_ops = {
	.name = "virtio-rng",
	.device_id = VIRTIO_ID_RNG,
	.class_code = VIRTIO_RNG_CLASS,
	.nr_queues = 1,
	.queue_max_size = VIRTIO_RNG_QUEUE_SIZE,
	.features = 0, /* the entropy device has no feature bits of its own */
	.config_size = 0,
	.queue_notify = rng_queue_notify,
};

int virtio_rng_create(struct virtio_rng *rng, struct vm *vm, struct pci_bus *bus,
		      struct event_loop *loop)
{
	rng->bytes = 0;
	return virtio_pci_create(&rng->vp, vm, bus, loop, &virtio_rng_ops, rng);
}

void virtio_rng_destroy(struct virtio_rng *rng)
{
	virtio_pci_destroy(&rng->vp);
}

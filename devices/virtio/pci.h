/* The virtio 1.x PCI transport (modern only): what a virtio device plugs into to appear on kdom's PCI bus. */
#ifndef KDOM_VIRTIO_PCI_H
#define KDOM_VIRTIO_PCI_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "devices/pci.h"
#include "devices/virtio/queue.h"
#include "kdom/virtio.h"

struct event_loop;
struct vm;
struct virtio_pci;

#define VIRTIO_PCI_QUEUES_MAX 8
#define VIRTIO_PCI_VECTORS_MAX (VIRTIO_PCI_QUEUES_MAX + 1) /* one for config changes */
#define VIRTIO_PCI_DEVICE_CONFIG_MAX 4096

/*
 * The one memory BAR (BAR 0, 64-bit, not prefetchable) that carries every
 * structure, each in a page of its own: the common configuration, the ISR,
 * the device configuration, the notification doorbells (queue q at
 * VIRTIO_PCI_NOTIFY_MULTIPLIER * q), the MSI-X table and its PBA.  Drivers
 * find them through the capabilities, never through these numbers.
 */
#define VIRTIO_PCI_BAR 0
#define VIRTIO_PCI_BAR_SIZE 0x8000
#define VIRTIO_PCI_COMMON_OFFSET 0x0000
#define VIRTIO_PCI_ISR_OFFSET 0x1000
#define VIRTIO_PCI_DEVICE_OFFSET 0x2000
#define VIRTIO_PCI_NOTIFY_OFFSET 0x3000
#define VIRTIO_PCI_MSIX_TABLE_OFFSET 0x4000
#define VIRTIO_PCI_MSIX_PBA_OFFSET 0x5000
#define VIRTIO_PCI_MSIX_PBA_SIZE 8 /* a bit per vector, in one quadword */
#define VIRTIO_PCI_NOTIFY_MULTIPLIER 4

/* Features the transport offers every device: VERSION_1 (required), EVENT_IDX, INDIRECT_DESC. */
#define VIRTIO_PCI_TRANSPORT_FEATURES                                  \
	((1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_F_EVENT_IDX) | \
	 (1ull << VIRTIO_F_INDIRECT_DESC))

/*
 * A virtio device: its identity, its feature bits, its configuration
 * space and what it does when a queue is notified.  Everything else —
 * PCI, feature negotiation, status, queues, interrupts, notifications —
 * is the transport's.  The callbacks run with the device lock held, on
 * the event loop's thread (queues) or a vCPU's (configuration space,
 * reset).  A device whose requests complete later (virtio-blk) returns
 * them through virtio_pci_complete() on the event loop's thread, and
 * makes sure in reset() that none is still in flight.
 */
struct virtio_device_ops {
	const char *name;
	uint16_t device_id;	 /* VIRTIO_ID_*; the PCI device ID is 0x1040 + device_id */
	uint32_t class_code;	 /* PCI class << 16 | subclass << 8 | programming interface */
	unsigned int nr_queues;	 /* 1..VIRTIO_PCI_QUEUES_MAX */
	uint16_t queue_max_size; /* a power of two, up to VIRTQ_SIZE_MAX */
	uint64_t features;	 /* device-specific bits; the transport adds its own */
	uint32_t config_size; /* bytes of device configuration, 0..VIRTIO_PCI_DEVICE_CONFIG_MAX */
	/* Device configuration: [offset, offset + len) lies within config_size.  May be NULL. */
	void (*config_read)(struct virtio_pci *vp, uint32_t offset, uint8_t *data, uint32_t len);
	void (*config_write)(struct virtio_pci *vp, uint32_t offset, const uint8_t *data,
			     uint32_t len);
	/*
	 * The driver notified queue vq (or chains were left over): serve it,
	 * usually with virtq_serve().  0, 1 when chains remain (the transport
	 * comes back), or -EIO with vq->error set: the ring or a request is
	 * malformed and the device needs a reset.  Interrupts are the
	 * transport's business.
	 */
	int (*queue_notify)(struct virtio_pci *vp, struct virtq *vq);
	/* The driver reset the device: forget any state of its own.  May be NULL. */
	void (*reset)(struct virtio_pci *vp);
};

/* One MSI-X vector: an eventfd KVM turns into the guest's message (irqfd). */
struct virtio_pci_vector {
	int fd;
	uint32_t gsi;
	bool routed; /* gsi is an MSI route carrying addr/data */
	bool irqfd;  /* fd is attached to gsi: the vector is unmasked */
	uint64_t addr;
	uint32_t data;
};

/*
 * The transport's state.  Lock order: intx_lock, then the PCI bus lock,
 * then lock.  Configuration space cycles arrive with the bus lock held;
 * BAR accesses (vCPU threads) and queue service (the event loop) take
 * lock alone; INTx levels change under intx_lock only, never under lock,
 * as pci_set_intx() takes the bus lock.
 */
struct virtio_pci {
	const struct virtio_device_ops *ops;
	void *opaque; /* the device's own state */
	struct vm *vm;
	struct pci_device pci;
	pthread_mutex_t lock;
	pthread_mutex_t intx_lock;
	bool locks_ready;

	/* PCI configuration space (under the bus lock). */
	uint8_t config[PCI_CONFIG_SIZE];
	uint8_t writable[PCI_CONFIG_SIZE]; /* bits the guest may change */
	uint8_t msix_cap, pci_cfg_cap;
	bool bar_mapped;
	uint64_t bar_gpa; /* where it is mapped, when bar_mapped */
	unsigned int placement_warnings;

	/* The device (under lock). */
	uint64_t device_features, driver_features;
	uint32_t device_feature_select, driver_feature_select;
	uint8_t status;
	uint8_t config_generation;
	uint8_t isr;
	uint16_t config_vector;
	uint16_t queue_select;
	struct virtq queues[VIRTIO_PCI_QUEUES_MAX];
	bool bus_master;	     /* the command register's, mirrored */
	unsigned int reset_warnings; /* malformed rings logged so far */

	/* Interrupts (under lock). */
	bool msix_enabled, msix_masked, intx_disabled;
	unsigned int nr_vectors;
	uint32_t msix_table[VIRTIO_PCI_VECTORS_MAX][4];
	struct virtio_pci_vector vectors[VIRTIO_PCI_VECTORS_MAX];
	bool intx_level; /* under intx_lock */

	/* Notifications: one eventfd per queue (KVM_IOEVENTFD on its doorbell), one for INTx. */
	int notify_fds[VIRTIO_PCI_QUEUES_MAX];
	bool ioeventfds; /* the doorbells are KVM's while the BAR is mapped */
	int intx_fd;	 /* written when the INTx level must be looked at again */
	struct event_loop *loop;
	int loop_ids[VIRTIO_PCI_QUEUES_MAX + 1];
	struct virtio_pci_queue_ref {
		struct virtio_pci *vp;
		unsigned int index;
	} queue_refs[VIRTIO_PCI_QUEUES_MAX];
};

/*
 * Put a virtio device on bus: its BAR placed in the 32-bit window (memory
 * decoding off until the guest enables it), INTA, MSI-X vectors for config
 * changes and each queue, and, when loop is not NULL, its doorbells and
 * INTx work watched by loop.  opaque is the device's, for its callbacks.
 * 0 or -errno (logged); virtio_pci_destroy() is due either way.
 */
int virtio_pci_create(struct virtio_pci *vp, struct vm *vm, struct pci_bus *bus,
		      struct event_loop *loop, const struct virtio_device_ops *ops, void *opaque);
/* Undo virtio_pci_create(), whatever part of it ran; before vm_destroy(). */
void virtio_pci_destroy(struct virtio_pci *vp);

/*
 * Serve queue index now, as a notification does: nothing unless the
 * driver is ready (DRIVER_OK, queue enabled, bus master, no reset
 * pending).  What the event loop calls; tests call it directly.
 */
void virtio_pci_service_queue(struct virtio_pci *vp, unsigned int index);

/*
 * A device that serves requests asynchronously finished some outside
 * queue_notify: run done(vp, arg) with the device lock held, as
 * queue_notify runs (it returns chains with virtq_push_head()), then
 * interrupt the driver for each queue as it wants and bring INTx in line.
 * Without the device lock, from the thread that serves the queues.
 */
void virtio_pci_complete(struct virtio_pci *vp, void (*done)(struct virtio_pci *vp, void *arg),
			 void *arg);

/*
 * The device cannot go on: set DEVICE_NEEDS_RESET, log why (one line, a
 * few times per device at most) and, once the driver is running, send a
 * configuration change interrupt.  Until the driver resets the device its
 * queues are not served.  With the device lock held.
 */
void virtio_pci_needs_reset(struct virtio_pci *vp, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The device's configuration changed: a new generation and an interrupt.  Device lock held. */
void virtio_pci_config_changed(struct virtio_pci *vp);

/* Bring the INTx line to what the ISR and interrupt mode say.  Without the device lock. */
void virtio_pci_intx_sync(struct virtio_pci *vp);

#endif

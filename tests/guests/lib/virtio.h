/* A small virtio 1.x PCI driver for test guests: find, negotiate, one split queue at a time, MSI-X or INTx. */
#ifndef GUEST_VIRTIO_H
#define GUEST_VIRTIO_H

#include <stdbool.h>
#include <stdint.h>

#include "kdom/virtio.h"

/* A virtio PCI device as the driver found it: where its structures are (identity mapped). */
struct virtio_dev {
	unsigned int slot;
	uint64_t bar[6];	 /* memory BARs as the driver reads them (0: none) */
	uint64_t common, isr;	 /* the structures' addresses, from the capabilities */
	uint64_t device, notify; /* device configuration (0: none), the doorbells' base */
	uint32_t device_len, notify_len, notify_multiplier;
	unsigned int pci_cfg_cap; /* VIRTIO_PCI_CAP_PCI_CFG's offset, 0 if none */
	unsigned int msix_cap;	  /* 0 if none */
	unsigned int msix_vectors;
	uint64_t msix_table, msix_pba;
	uint64_t features; /* what virtio_negotiate() settled on */
};

/* One split virtqueue in the driver's memory. */
struct virtio_queue {
	struct virtio_dev *dev;
	uint16_t index, size;
	struct virtq_desc *desc;
	struct virtq_avail *avail;
	struct virtq_used *used;
	uint16_t avail_idx; /* the next avail->idx to publish */
	uint16_t last_used; /* used entries the driver has taken */
	uint16_t kicked;    /* avail_idx when virtio_queue_kick() last looked */
	uint64_t doorbell;
	bool event_idx;
};

/* Bytes virtio_queue_setup() needs for a queue of size entries (page-aligned memory). */
uint64_t virtio_queue_bytes(uint16_t size);

/*
 * Find the lowest slot with vendor 0x1af4, device 0x1040 + device_id; turn
 * on memory decoding and bus mastering; read its BARs and capabilities.
 * Whether it was found with common, notify and ISR structures.
 */
bool virtio_find(uint16_t device_id, struct virtio_dev *dev);
/* The same for the nth such device (0: the lowest slot), for guests with several. */
bool virtio_find_nth(uint16_t device_id, unsigned int nth, struct virtio_dev *dev);

/* The common configuration structure's registers (offsets VIRTIO_PCI_COMMON_*). */
uint8_t virtio_read8(const struct virtio_dev *dev, unsigned int offset);
uint16_t virtio_read16(const struct virtio_dev *dev, unsigned int offset);
uint32_t virtio_read32(const struct virtio_dev *dev, unsigned int offset);
void virtio_write8(const struct virtio_dev *dev, unsigned int offset, uint8_t value);
void virtio_write16(const struct virtio_dev *dev, unsigned int offset, uint16_t value);
void virtio_write32(const struct virtio_dev *dev, unsigned int offset, uint32_t value);
/* A 64-bit field written as two 32-bit halves, as Linux does. */
void virtio_write64(const struct virtio_dev *dev, unsigned int offset, uint64_t value);

/* The device configuration structure's fields (the device's own layout; 0 without one). */
uint8_t virtio_config_read8(const struct virtio_dev *dev, unsigned int offset);
uint16_t virtio_config_read16(const struct virtio_dev *dev, unsigned int offset);
uint32_t virtio_config_read32(const struct virtio_dev *dev, unsigned int offset);
/* A 64-bit field as two 32-bit reads, read again until config_generation holds still. */
uint64_t virtio_config_read64(const struct virtio_dev *dev, unsigned int offset);

/* The 64 feature bits the device offers. */
uint64_t virtio_device_features(const struct virtio_dev *dev);
/* Reset (status 0) and wait for it to read back 0; whether it did. */
bool virtio_reset(struct virtio_dev *dev);
/*
 * Reset, ACKNOWLEDGE and DRIVER, accept wanted (as is: bits the device does
 * not offer are offered back, to test refusal), set FEATURES_OK and read it
 * back.  Whether FEATURES_OK stuck; dev->features is what was accepted.
 */
bool virtio_negotiate(struct virtio_dev *dev, uint64_t wanted);
/* Set DRIVER_OK (after the queues). */
void virtio_driver_ok(struct virtio_dev *dev);
uint8_t virtio_status(const struct virtio_dev *dev);

/*
 * Set up queue index with size entries in mem (virtio_queue_bytes(size),
 * page-aligned, zeroed here), its MSI-X vector (VIRTIO_MSI_NO_VECTOR for
 * none), and enable it.  Whether the device took the size and enabled it.
 */
bool virtio_queue_setup(struct virtio_dev *dev, struct virtio_queue *vq, uint16_t index,
			uint16_t size, void *mem, uint16_t msix_vector);
/* Descriptor i. */
void virtio_queue_desc(struct virtio_queue *vq, uint16_t i, uint64_t addr, uint32_t len,
		       uint16_t flags, uint16_t next);
/* Make the chain at head available (the descriptors written first). */
void virtio_queue_submit(struct virtio_queue *vq, uint16_t head);
/* Notify the device, unless the event index says it needs none; whether it was notified. */
bool virtio_queue_kick(struct virtio_queue *vq);
/* Take the next used entry: whether there was one. */
bool virtio_queue_used(struct virtio_queue *vq, uint32_t *id, uint32_t *len);
/* Wait up to timeout_ms for the next used entry, polling. */
bool virtio_queue_wait(struct virtio_queue *vq, uint32_t *id, uint32_t *len,
		       unsigned int timeout_ms);
/* With the event index: ask for an interrupt only once used->idx passes value. */
void virtio_queue_set_used_event(struct virtio_queue *vq, uint16_t value);
/* The device's avail_event (where it wants the next notification). */
uint16_t virtio_queue_avail_event(const struct virtio_queue *vq);

/* MSI-X: table entry i sends vector to this CPU, unmasked; the capability on or off. */
void virtio_msix_route(struct virtio_dev *dev, unsigned int i, unsigned int vector);
void virtio_msix_enable(struct virtio_dev *dev, bool enable);
/* The ISR (read to clear). */
uint8_t virtio_isr(const struct virtio_dev *dev);

/*
 * A read of len bytes (1, 2, 4) at offset of BAR bar through the
 * VIRTIO_PCI_CAP_PCI_CFG window in configuration space.
 */
uint32_t virtio_cfg_window_read(const struct virtio_dev *dev, unsigned int bar, uint32_t offset,
				uint32_t len);

#endif

/* What the virtio PCI transport's files share: the common configuration, interrupts, the BAR's structures. */
#ifndef KDOM_VIRTIO_PCI_INTERNAL_H
#define KDOM_VIRTIO_PCI_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/virtio/pci.h"

/* How many malformed-ring messages a device logs before it goes quiet. */
#define VIRTIO_PCI_RESET_WARNINGS 8

/* ---- pci-common.c: the common configuration structure, device status, reset (lock held) ---- */

/* A read of len bytes (1..8) at offset of the common structure; bytes beyond it read 0. */
void virtio_pci_common_read(struct virtio_pci *vp, uint32_t offset, uint8_t *data, uint32_t len);
/*
 * A write: a field at its own width, or a 64-bit field's halves as two
 * 32-bit writes; anything else is dropped.
 */
void virtio_pci_common_write(struct virtio_pci *vp, uint32_t offset, const uint8_t *data,
			     uint32_t len);
/* The device as after power-on: status 0, no features, queues disabled, no vectors. */
void virtio_pci_reset(struct virtio_pci *vp);

/* ---- pci-irq.c: MSI-X vectors and INTx (lock held unless said) ---- */

/* One eventfd per vector, every table entry masked.  0 or -errno. */
int virtio_pci_vectors_init(struct virtio_pci *vp);
/* Detach and close every vector.  Without the lock, at teardown. */
void virtio_pci_vectors_destroy(struct virtio_pci *vp);
/* Drop interrupts a masked vector holds (the device was reset). */
void virtio_pci_vectors_drain(struct virtio_pci *vp);
/*
 * Interrupt the driver: MSI-X vector `vector` when MSI-X is enabled
 * (nothing for VIRTIO_MSI_NO_VECTOR), else the ISR bit, which
 * virtio_pci_intx_sync() turns into the INTx level once the lock is
 * dropped.  The configuration bit is set in the ISR either way (4.1.4.5).
 */
void virtio_pci_raise(struct virtio_pci *vp, uint8_t isr_bit, uint16_t vector);
/* A vector number the driver wrote: itself when it exists, else VIRTIO_MSI_NO_VECTOR. */
uint16_t virtio_pci_vector_check(const struct virtio_pci *vp, uint32_t vector);
/* MSI-X table (len 4 or 8, aligned) and PBA accesses, offsets from their starts. */
void virtio_pci_msix_table_access(struct virtio_pci *vp, uint32_t offset, uint8_t *data,
				  uint32_t len, bool write);
void virtio_pci_msix_pba_read(struct virtio_pci *vp, uint32_t offset, uint8_t *data, uint32_t len);
/* The MSI-X capability's enable or function mask changed (a configuration cycle). */
void virtio_pci_msix_control(struct virtio_pci *vp, bool enabled, bool masked);

#endif

/* Virtio PCI interrupts: MSI-X vectors as KVM irqfds (table, PBA, masking), else the ISR and INTx. */
#include "devices/virtio/pci-internal.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "vmm/irq.h"
#include "vmm/log.h"
#include "vmm/vm.h"

#define MSIX_ENTRY_SIZE 16
#define MSIX_ADDR_LO 0
#define MSIX_ADDR_HI 1
#define MSIX_DATA 2
#define MSIX_CONTROL 3
#define MSIX_CONTROL_MASKED 1u

int virtio_pci_vectors_init(struct virtio_pci *vp)
{
	vp->nr_vectors = vp->ops->nr_queues + 1;
	for (unsigned int i = 0; i < VIRTIO_PCI_VECTORS_MAX; i++)
		vp->vectors[i] = (struct virtio_pci_vector){ .fd = -1 };
	for (unsigned int i = 0; i < vp->nr_vectors; i++) {
		vp->msix_table[i][MSIX_CONTROL] = MSIX_CONTROL_MASKED;
		vp->vectors[i].fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (vp->vectors[i].fd < 0)
			return -errno;
	}
	return 0;
}

/* Stop KVM delivering vector i and free its route; pending signals stay in its eventfd. */
static void vector_detach(struct virtio_pci *vp, unsigned int i)
{
	struct virtio_pci_vector *v = &vp->vectors[i];

	if (v->irqfd)
		irq_irqfd_deassign(vp->vm, v->fd, v->gsi);
	if (v->routed)
		irq_msi_route_remove(vp->vm, v->gsi);
	v->irqfd = v->routed = false;
}

void virtio_pci_vectors_destroy(struct virtio_pci *vp)
{
	for (unsigned int i = 0; i < VIRTIO_PCI_VECTORS_MAX; i++) {
		if (vp->vectors[i].fd < 0)
			continue;
		vector_detach(vp, i);
		close(vp->vectors[i].fd);
		vp->vectors[i].fd = -1;
	}
}

void virtio_pci_vectors_drain(struct virtio_pci *vp)
{
	eventfd_t count;

	for (unsigned int i = 0; i < vp->nr_vectors; i++)
		if (!vp->vectors[i].irqfd)
			eventfd_read(vp->vectors[i].fd, &count); /* non-blocking */
}

/*
 * Bring vector i in line with its table entry: while MSI-X is on and the
 * vector unmasked, its eventfd is an irqfd on a route carrying its
 * message; masked, the irqfd is detached and signals wait in the eventfd
 * (its pending bit), delivered by KVM when it is attached again.
 */
static void vector_update(struct virtio_pci *vp, unsigned int i)
{
	struct virtio_pci_vector *v = &vp->vectors[i];
	const uint32_t *entry = vp->msix_table[i];
	uint64_t addr = (uint64_t)entry[MSIX_ADDR_HI] << 32 | entry[MSIX_ADDR_LO];
	uint32_t data = entry[MSIX_DATA];
	bool live = vp->msix_enabled && !vp->msix_masked &&
		    !(entry[MSIX_CONTROL] & MSIX_CONTROL_MASKED);

	if (!live) {
		if (v->irqfd && irq_irqfd_deassign(vp->vm, v->fd, v->gsi) == 0)
			v->irqfd = false;
		return;
	}
	if (!v->routed) {
		if (irq_msi_route_add(vp->vm, addr, data, &v->gsi))
			return;
		v->routed = true;
	} else if ((v->addr != addr || v->data != data) &&
		   irq_msi_route_update(vp->vm, v->gsi, addr, data)) {
		return;
	}
	v->addr = addr;
	v->data = data;
	if (!v->irqfd)
		v->irqfd = irq_irqfd_assign(vp->vm, v->fd, v->gsi, -1) == 0;
}

void virtio_pci_msix_control(struct virtio_pci *vp, bool enabled, bool masked)
{
	pthread_mutex_lock(&vp->lock);
	if (vp->msix_enabled && !enabled) {
		for (unsigned int i = 0; i < vp->nr_vectors; i++)
			vector_detach(vp, i);
		vp->msix_enabled = false;
		virtio_pci_vectors_drain(vp);
	}
	vp->msix_enabled = enabled;
	vp->msix_masked = masked;
	for (unsigned int i = 0; i < vp->nr_vectors; i++)
		vector_update(vp, i);
	pthread_mutex_unlock(&vp->lock);
}

uint16_t virtio_pci_vector_check(const struct virtio_pci *vp, uint32_t vector)
{
	return vector < vp->nr_vectors ? vector : VIRTIO_MSI_NO_VECTOR;
}

void virtio_pci_raise(struct virtio_pci *vp, uint8_t isr_bit, uint16_t vector)
{
	if (isr_bit == VIRTIO_PCI_ISR_CONFIG || !vp->msix_enabled)
		vp->isr |= isr_bit;
	if (vp->msix_enabled && vector < vp->nr_vectors)
		eventfd_write(vp->vectors[vector].fd, 1);
}

static void msix_entry_write(struct virtio_pci *vp, unsigned int i, unsigned int word,
			     uint32_t value)
{
	uint32_t *entry = vp->msix_table[i];
	uint32_t old = entry[word];

	if (word == MSIX_CONTROL)
		value = (old & ~MSIX_CONTROL_MASKED) | (value & MSIX_CONTROL_MASKED);
	entry[word] = value;
	/* A message change counts once the vector is (or stays) unmasked; a mask change always. */
	if (value != old)
		vector_update(vp, i);
}

void virtio_pci_msix_table_access(struct virtio_pci *vp, uint32_t offset, uint8_t *data,
				  uint32_t len, bool write)
{
	unsigned int i = offset / MSIX_ENTRY_SIZE;

	if ((len != 4 && len != 8) || offset % len || i >= vp->nr_vectors)
		return; /* reads stay zero */
	for (uint32_t done = 0; done < len; done += 4) {
		unsigned int word = (offset + done) % MSIX_ENTRY_SIZE / 4;
		uint32_t value;

		if (write) {
			memcpy(&value, data + done, 4);
			msix_entry_write(vp, i, word, value);
		} else {
			memcpy(data + done, &vp->msix_table[i][word], 4);
		}
	}
}

/* A vector's pending bit: it is masked and its eventfd holds a signal. */
static bool vector_pending(const struct virtio_pci *vp, unsigned int i)
{
	struct pollfd pfd = { .fd = vp->vectors[i].fd, .events = POLLIN };

	return !vp->vectors[i].irqfd && poll(&pfd, 1, 0) == 1;
}

void virtio_pci_msix_pba_read(struct virtio_pci *vp, uint32_t offset, uint8_t *data, uint32_t len)
{
	for (uint32_t byte = 0; byte < len; byte++)
		for (unsigned int bit = 0; bit < 8; bit++) {
			unsigned int i = (offset + byte) * 8 + bit;

			if (i < vp->nr_vectors && vector_pending(vp, i))
				data[byte] |= 1u << bit;
		}
}

void virtio_pci_intx_sync(struct virtio_pci *vp)
{
	bool level;

	if (!vp->pci.bus)
		return;
	pthread_mutex_lock(&vp->intx_lock);
	pthread_mutex_lock(&vp->lock);
	level = vp->isr && !vp->msix_enabled && !vp->intx_disabled;
	pthread_mutex_unlock(&vp->lock);
	if (level != vp->intx_level) {
		pci_set_intx(&vp->pci, level);
		vp->intx_level = level;
	}
	pthread_mutex_unlock(&vp->intx_lock);
}

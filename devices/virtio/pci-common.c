/* The virtio PCI common configuration structure: feature negotiation, the device status machine, queue setup, reset. */
#include "devices/virtio/pci-internal.h"

#include <stddef.h>
#include <string.h>
#include <sys/eventfd.h>

#include "vmm/log.h"

/* The structure's fields (4.1.4.3) and their widths. */
static const struct common_field {
	uint8_t offset, width;
} common_fields[] = {
	{ VIRTIO_PCI_COMMON_DFSELECT, 4 }, { VIRTIO_PCI_COMMON_DF, 4 },
	{ VIRTIO_PCI_COMMON_GFSELECT, 4 }, { VIRTIO_PCI_COMMON_GF, 4 },
	{ VIRTIO_PCI_COMMON_MSIX, 2 },	   { VIRTIO_PCI_COMMON_NUMQ, 2 },
	{ VIRTIO_PCI_COMMON_STATUS, 1 },   { VIRTIO_PCI_COMMON_CFGGENERATION, 1 },
	{ VIRTIO_PCI_COMMON_Q_SELECT, 2 }, { VIRTIO_PCI_COMMON_Q_SIZE, 2 },
	{ VIRTIO_PCI_COMMON_Q_MSIX, 2 },   { VIRTIO_PCI_COMMON_Q_ENABLE, 2 },
	{ VIRTIO_PCI_COMMON_Q_NOFF, 2 },   { VIRTIO_PCI_COMMON_Q_DESC, 8 },
	{ VIRTIO_PCI_COMMON_Q_AVAIL, 8 },  { VIRTIO_PCI_COMMON_Q_USED, 8 },
};

static const struct common_field *common_field_at(uint32_t offset)
{
	for (size_t i = 0; i < sizeof(common_fields) / sizeof(common_fields[0]); i++)
		if (offset >= common_fields[i].offset &&
		    offset < (uint32_t)common_fields[i].offset + common_fields[i].width)
			return &common_fields[i];
	return NULL;
}

/* The queue queue_select names, or NULL when there is none (its fields read 0). */
static struct virtq *common_queue(struct virtio_pci *vp)
{
	return vp->queue_select < vp->ops->nr_queues ? &vp->queues[vp->queue_select] : NULL;
}

static uint32_t features_half(uint64_t features, uint32_t select)
{
	return select < 2 ? (uint32_t)(features >> (32 * select)) : 0;
}

static uint64_t common_queue_get(struct virtio_pci *vp, uint32_t field)
{
	struct virtq *vq = common_queue(vp);

	if (!vq)
		return field == VIRTIO_PCI_COMMON_Q_MSIX ? VIRTIO_MSI_NO_VECTOR : 0;
	switch (field) {
	case VIRTIO_PCI_COMMON_Q_SIZE:
		return vq->size;
	case VIRTIO_PCI_COMMON_Q_MSIX:
		return vq->msix_vector;
	case VIRTIO_PCI_COMMON_Q_ENABLE:
		return vq->enabled;
	case VIRTIO_PCI_COMMON_Q_NOFF:
		return vp->queue_select; /* doorbell q at q * VIRTIO_PCI_NOTIFY_MULTIPLIER */
	case VIRTIO_PCI_COMMON_Q_DESC:
		return vq->desc_gpa;
	case VIRTIO_PCI_COMMON_Q_AVAIL:
		return vq->avail_gpa;
	case VIRTIO_PCI_COMMON_Q_USED:
		return vq->used_gpa;
	}
	return 0;
}

static uint64_t common_get(struct virtio_pci *vp, uint32_t field)
{
	switch (field) {
	case VIRTIO_PCI_COMMON_DFSELECT:
		return vp->device_feature_select;
	case VIRTIO_PCI_COMMON_DF:
		return features_half(vp->device_features, vp->device_feature_select);
	case VIRTIO_PCI_COMMON_GFSELECT:
		return vp->driver_feature_select;
	case VIRTIO_PCI_COMMON_GF:
		return features_half(vp->driver_features, vp->driver_feature_select);
	case VIRTIO_PCI_COMMON_MSIX:
		return vp->config_vector;
	case VIRTIO_PCI_COMMON_NUMQ:
		return vp->ops->nr_queues;
	case VIRTIO_PCI_COMMON_STATUS:
		return vp->status;
	case VIRTIO_PCI_COMMON_CFGGENERATION:
		return vp->config_generation;
	case VIRTIO_PCI_COMMON_Q_SELECT:
		return vp->queue_select;
	}
	return common_queue_get(vp, field);
}

void virtio_pci_common_read(struct virtio_pci *vp, uint32_t offset, uint8_t *data, uint32_t len)
{
	for (uint32_t i = 0; i < len; i++) {
		const struct common_field *f = common_field_at(offset + i);

		data[i] = f ? common_get(vp, f->offset) >> (8 * (offset + i - f->offset)) : 0;
	}
}

/* Whether what the driver accepted may be: a subset of the offer, and VERSION_1 (modern only). */
static bool common_features_ok(const struct virtio_pci *vp)
{
	if (vp->driver_features & ~vp->device_features) {
		log_debug("%s: driver accepted features 0x%llx not offered", vp->ops->name,
			  (unsigned long long)(vp->driver_features & ~vp->device_features));
		return false;
	}
	if (!(vp->driver_features & (1ull << VIRTIO_F_VERSION_1))) {
		log_debug("%s: driver did not accept VIRTIO_F_VERSION_1", vp->ops->name);
		return false;
	}
	return true;
}

/* Buffers made available before DRIVER_OK are looked at once the driver is ready. */
static void common_kick_enabled_queues(struct virtio_pci *vp)
{
	for (unsigned int i = 0; i < vp->ops->nr_queues; i++)
		if (vp->queues[i].enabled)
			eventfd_write(vp->notify_fds[i], 1);
}

/*
 * The driver's status bits only accumulate until a reset (writing 0).
 * FEATURES_OK sticks only when the accepted features are acceptable (the
 * driver reads it back, 3.1.1), DRIVER_OK only after FEATURES_OK, and
 * NEEDS_RESET is the device's alone.
 */
static void common_write_status(struct virtio_pci *vp, uint8_t value)
{
	uint8_t added = value & ~vp->status & ~VIRTIO_STATUS_NEEDS_RESET;

	if (value == 0) {
		virtio_pci_reset(vp);
		return;
	}
	if ((added & VIRTIO_STATUS_FEATURES_OK) && !common_features_ok(vp))
		added &= ~VIRTIO_STATUS_FEATURES_OK;
	if ((added & VIRTIO_STATUS_DRIVER_OK) &&
	    !((vp->status | added) & VIRTIO_STATUS_FEATURES_OK))
		added &= ~VIRTIO_STATUS_DRIVER_OK;
	vp->status |= added;
	if (added & VIRTIO_STATUS_DRIVER_OK)
		common_kick_enabled_queues(vp);
}

static void common_write_driver_features(struct virtio_pci *vp, uint32_t value)
{
	uint32_t select = vp->driver_feature_select;

	if (select >= 2 || (vp->status & VIRTIO_STATUS_FEATURES_OK))
		return; /* fixed once FEATURES_OK is set */
	vp->driver_features &= ~(0xffffffffull << (32 * select));
	vp->driver_features |= (uint64_t)value << (32 * select);
}

/* queue_enable = 1: the rings are checked now; a queue the driver got wrong needs a reset. */
static void common_enable_queue(struct virtio_pci *vp, struct virtq *vq)
{
	uint64_t features = vp->driver_features;

	if (vq->enabled || !(vp->status & VIRTIO_STATUS_FEATURES_OK) ||
	    (vp->status & VIRTIO_STATUS_NEEDS_RESET))
		return;
	if (virtq_enable(vq, features & (1ull << VIRTIO_F_EVENT_IDX),
			 features & (1ull << VIRTIO_F_INDIRECT_DESC)))
		virtio_pci_needs_reset(vp, "queue %u: %s", vp->queue_select, vq->error);
}

static void common_set_gpa(uint64_t *gpa, uint32_t shift, uint32_t len, uint64_t value)
{
	uint64_t mask = len == 8 ? ~0ull : 0xffffffffull << shift;

	*gpa = (*gpa & ~mask) | ((value << shift) & mask);
}

/* A write to the selected queue's fields; the rings are fixed while it is enabled. */
static void common_queue_set(struct virtio_pci *vp, const struct common_field *f, uint32_t shift,
			     uint32_t len, uint64_t value)
{
	struct virtq *vq = common_queue(vp);

	if (!vq)
		return;
	switch (f->offset) {
	case VIRTIO_PCI_COMMON_Q_SIZE:
		if (!vq->enabled && virtq_size_valid(vq, value))
			vq->size = value;
		else
			log_debug("%s: queue %u size %llu refused", vp->ops->name, vp->queue_select,
				  (unsigned long long)value);
		return;
	case VIRTIO_PCI_COMMON_Q_MSIX:
		vq->msix_vector = virtio_pci_vector_check(vp, value);
		return;
	case VIRTIO_PCI_COMMON_Q_ENABLE:
		if (value == 1)
			common_enable_queue(vp, vq);
		return;
	}
	if (vq->enabled)
		return;
	if (f->offset == VIRTIO_PCI_COMMON_Q_DESC)
		common_set_gpa(&vq->desc_gpa, shift, len, value);
	else if (f->offset == VIRTIO_PCI_COMMON_Q_AVAIL)
		common_set_gpa(&vq->avail_gpa, shift, len, value);
	else if (f->offset == VIRTIO_PCI_COMMON_Q_USED)
		common_set_gpa(&vq->used_gpa, shift, len, value);
}

static void common_set(struct virtio_pci *vp, const struct common_field *f, uint32_t shift,
		       uint32_t len, uint64_t value)
{
	switch (f->offset) {
	case VIRTIO_PCI_COMMON_DFSELECT:
		vp->device_feature_select = value;
		return;
	case VIRTIO_PCI_COMMON_GFSELECT:
		vp->driver_feature_select = value;
		return;
	case VIRTIO_PCI_COMMON_GF:
		common_write_driver_features(vp, value);
		return;
	case VIRTIO_PCI_COMMON_MSIX:
		vp->config_vector = virtio_pci_vector_check(vp, value);
		return;
	case VIRTIO_PCI_COMMON_STATUS:
		common_write_status(vp, value);
		return;
	case VIRTIO_PCI_COMMON_Q_SELECT:
		vp->queue_select = value;
		return;
	case VIRTIO_PCI_COMMON_DF:
	case VIRTIO_PCI_COMMON_NUMQ:
	case VIRTIO_PCI_COMMON_CFGGENERATION:
	case VIRTIO_PCI_COMMON_Q_NOFF:
		return; /* read-only */
	}
	common_queue_set(vp, f, shift, len, value);
}

void virtio_pci_common_write(struct virtio_pci *vp, uint32_t offset, const uint8_t *data,
			     uint32_t len)
{
	const struct common_field *f = common_field_at(offset);
	uint32_t shift;
	uint64_t value = 0;

	if (!f)
		return;
	shift = 8 * (offset - f->offset);
	if (!(shift == 0 && len == f->width) &&
	    !(f->width == 8 && len == 4 && (shift == 0 || shift == 32))) {
		log_debug("%s: common configuration write of %u bytes at 0x%x dropped",
			  vp->ops->name, len, offset);
		return;
	}
	memcpy(&value, data, len); /* little-endian, as the host */
	common_set(vp, f, shift, len, value);
}

void virtio_pci_reset(struct virtio_pci *vp)
{
	vp->status = 0;
	vp->driver_features = 0;
	vp->device_feature_select = vp->driver_feature_select = 0;
	vp->queue_select = 0;
	vp->config_vector = VIRTIO_MSI_NO_VECTOR;
	vp->isr = 0;
	for (unsigned int i = 0; i < vp->ops->nr_queues; i++)
		virtq_reset(&vp->queues[i]);
	virtio_pci_vectors_drain(vp);
	if (vp->ops->reset)
		vp->ops->reset(vp);
}

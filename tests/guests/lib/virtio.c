/* A small virtio 1.x PCI driver for test guests: the capabilities walked, features negotiated, split queues. */
#include "lib.h"
#include "virtio.h"

#define PCI_COMMAND 0x04
#define PCI_COMMAND_MEMORY 0x2
#define PCI_COMMAND_MASTER 0x4
#define PCI_BAR0 0x10
#define PCI_BAR_IO 0x1
#define PCI_BAR_TYPE_64 0x4
#define PCI_CAPABILITY_LIST 0x34
#define PCI_CAP_ID_MSIX 0x11
#define MSIX_ENABLE 0x8000
#define PAGE 4096ull

/* x86 keeps stores in order; the driver's store-then-load (event index) needs a full fence. */
#define virtio_wmb() asm volatile("" ::: "memory")
#define virtio_mb() asm volatile("mfence" ::: "memory")

static uint64_t round_up(uint64_t value, uint64_t align)
{
	return (value + align - 1) & ~(align - 1);
}

static void virtio_read_bars(struct virtio_dev *dev)
{
	for (unsigned int bar = 0; bar < 6; bar++) {
		uint32_t low = pci_cfg_read32(dev->slot, 0, PCI_BAR0 + 4 * bar);

		dev->bar[bar] = 0;
		if (low & PCI_BAR_IO)
			continue;
		dev->bar[bar] = low & ~0xfull;
		if ((low & 0x6) == PCI_BAR_TYPE_64 && bar < 5) {
			dev->bar[bar] |=
				(uint64_t)pci_cfg_read32(dev->slot, 0, PCI_BAR0 + 4 * (bar + 1))
				<< 32;
			dev->bar[++bar] = 0;
		}
	}
}

/* One vendor capability: the structure it names, at BAR + offset. */
static void virtio_take_cap(struct virtio_dev *dev, unsigned int pos)
{
	unsigned int slot = dev->slot;
	uint8_t type = pci_cfg_read8(slot, 0, pos + VIRTIO_PCI_CAP_CFG_TYPE);
	uint8_t bar = pci_cfg_read8(slot, 0, pos + VIRTIO_PCI_CAP_BAR);
	uint32_t offset = pci_cfg_read32(slot, 0, pos + VIRTIO_PCI_CAP_OFFSET);
	uint32_t length = pci_cfg_read32(slot, 0, pos + VIRTIO_PCI_CAP_LENGTH);
	uint64_t addr = bar < 6 && dev->bar[bar] ? dev->bar[bar] + offset : 0;

	if (type == VIRTIO_PCI_CAP_PCI_CFG) {
		dev->pci_cfg_cap = pos;
	} else if (type == VIRTIO_PCI_CAP_COMMON_CFG && !dev->common) {
		dev->common = addr;
	} else if (type == VIRTIO_PCI_CAP_ISR_CFG && !dev->isr) {
		dev->isr = addr;
	} else if (type == VIRTIO_PCI_CAP_DEVICE_CFG && !dev->device) {
		dev->device = addr;
		dev->device_len = length;
	} else if (type == VIRTIO_PCI_CAP_NOTIFY_CFG && !dev->notify) {
		dev->notify = addr;
		dev->notify_len = length;
		dev->notify_multiplier = pci_cfg_read32(slot, 0, pos + VIRTIO_PCI_NOTIFY_CAP_MULT);
	}
}

static void virtio_take_msix(struct virtio_dev *dev, unsigned int pos)
{
	uint32_t table = pci_cfg_read32(dev->slot, 0, pos + 4);
	uint32_t pba = pci_cfg_read32(dev->slot, 0, pos + 8);

	dev->msix_cap = pos;
	dev->msix_vectors = (pci_cfg_read16(dev->slot, 0, pos + 2) & 0x7ff) + 1;
	dev->msix_table = dev->bar[table & 7] + (table & ~7u);
	dev->msix_pba = dev->bar[pba & 7] + (pba & ~7u);
}

bool virtio_find(uint16_t device_id, struct virtio_dev *dev)
{
	return virtio_find_nth(device_id, 0, dev);
}

bool virtio_find_nth(uint16_t device_id, unsigned int nth, struct virtio_dev *dev)
{
	uint8_t pos;

	memset(dev, 0, sizeof(*dev));
	if (!pci_find_nth(VIRTIO_PCI_VENDOR_ID, VIRTIO_PCI_DEVICE_ID_BASE + device_id, nth,
			  &dev->slot))
		return false;
	virtio_read_bars(dev);
	pci_cfg_write16(dev->slot, 0, PCI_COMMAND,
			pci_cfg_read16(dev->slot, 0, PCI_COMMAND) | PCI_COMMAND_MEMORY |
				PCI_COMMAND_MASTER);
	pos = pci_cfg_read8(dev->slot, 0, PCI_CAPABILITY_LIST) & ~3;
	for (unsigned int guard = 0; pos && guard < 48; guard++) {
		uint8_t id = pci_cfg_read8(dev->slot, 0, pos);

		if (id == VIRTIO_PCI_CAP_VENDOR)
			virtio_take_cap(dev, pos);
		else if (id == PCI_CAP_ID_MSIX)
			virtio_take_msix(dev, pos);
		pos = pci_cfg_read8(dev->slot, 0, pos + 1) & ~3;
	}
	return dev->common && dev->notify && dev->isr;
}

uint8_t virtio_read8(const struct virtio_dev *dev, unsigned int offset)
{
	return mmio_read8(dev->common + offset);
}

uint16_t virtio_read16(const struct virtio_dev *dev, unsigned int offset)
{
	return mmio_read16(dev->common + offset);
}

uint32_t virtio_read32(const struct virtio_dev *dev, unsigned int offset)
{
	return mmio_read32(dev->common + offset);
}

void virtio_write8(const struct virtio_dev *dev, unsigned int offset, uint8_t value)
{
	mmio_write8(dev->common + offset, value);
}

void virtio_write16(const struct virtio_dev *dev, unsigned int offset, uint16_t value)
{
	mmio_write16(dev->common + offset, value);
}

void virtio_write32(const struct virtio_dev *dev, unsigned int offset, uint32_t value)
{
	mmio_write32(dev->common + offset, value);
}

void virtio_write64(const struct virtio_dev *dev, unsigned int offset, uint64_t value)
{
	mmio_write32(dev->common + offset, (uint32_t)value);
	mmio_write32(dev->common + offset + 4, (uint32_t)(value >> 32));
}

uint8_t virtio_config_read8(const struct virtio_dev *dev, unsigned int offset)
{
	return dev->device && offset + 1 <= dev->device_len ? mmio_read8(dev->device + offset) : 0;
}

uint16_t virtio_config_read16(const struct virtio_dev *dev, unsigned int offset)
{
	return dev->device && offset + 2 <= dev->device_len ? mmio_read16(dev->device + offset) : 0;
}

uint32_t virtio_config_read32(const struct virtio_dev *dev, unsigned int offset)
{
	return dev->device && offset + 4 <= dev->device_len ? mmio_read32(dev->device + offset) : 0;
}

uint64_t virtio_config_read64(const struct virtio_dev *dev, unsigned int offset)
{
	uint8_t generation;
	uint64_t value;

	do {
		generation = virtio_read8(dev, VIRTIO_PCI_COMMON_CFGGENERATION);
		value = virtio_config_read32(dev, offset) |
			(uint64_t)virtio_config_read32(dev, offset + 4) << 32;
	} while (generation != virtio_read8(dev, VIRTIO_PCI_COMMON_CFGGENERATION));
	return value;
}

uint64_t virtio_device_features(const struct virtio_dev *dev)
{
	uint64_t features;

	virtio_write32(dev, VIRTIO_PCI_COMMON_DFSELECT, 0);
	features = virtio_read32(dev, VIRTIO_PCI_COMMON_DF);
	virtio_write32(dev, VIRTIO_PCI_COMMON_DFSELECT, 1);
	features |= (uint64_t)virtio_read32(dev, VIRTIO_PCI_COMMON_DF) << 32;
	return features;
}

uint8_t virtio_status(const struct virtio_dev *dev)
{
	return virtio_read8(dev, VIRTIO_PCI_COMMON_STATUS);
}

bool virtio_reset(struct virtio_dev *dev)
{
	uint64_t deadline = tsc_deadline_ms(1000);

	virtio_write8(dev, VIRTIO_PCI_COMMON_STATUS, 0);
	while (virtio_status(dev) != 0)
		if (tsc_expired(deadline))
			return false;
	return true;
}

bool virtio_negotiate(struct virtio_dev *dev, uint64_t wanted)
{
	uint8_t status = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER;

	if (!virtio_reset(dev))
		return false;
	virtio_write8(dev, VIRTIO_PCI_COMMON_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
	virtio_write8(dev, VIRTIO_PCI_COMMON_STATUS, status);
	virtio_write32(dev, VIRTIO_PCI_COMMON_GFSELECT, 0);
	virtio_write32(dev, VIRTIO_PCI_COMMON_GF, (uint32_t)wanted);
	virtio_write32(dev, VIRTIO_PCI_COMMON_GFSELECT, 1);
	virtio_write32(dev, VIRTIO_PCI_COMMON_GF, (uint32_t)(wanted >> 32));
	dev->features = wanted;
	virtio_write8(dev, VIRTIO_PCI_COMMON_STATUS, status | VIRTIO_STATUS_FEATURES_OK);
	return virtio_status(dev) & VIRTIO_STATUS_FEATURES_OK;
}

void virtio_driver_ok(struct virtio_dev *dev)
{
	virtio_write8(dev, VIRTIO_PCI_COMMON_STATUS, virtio_status(dev) | VIRTIO_STATUS_DRIVER_OK);
}

uint64_t virtio_queue_bytes(uint16_t size)
{
	return round_up(VIRTQ_DESC_BYTES(size) + VIRTQ_AVAIL_BYTES(size), PAGE) +
	       round_up(VIRTQ_USED_BYTES(size), PAGE);
}

bool virtio_queue_setup(struct virtio_dev *dev, struct virtio_queue *vq, uint16_t index,
			uint16_t size, void *mem, uint16_t msix_vector)
{
	uint8_t *base = mem;

	memset(mem, 0, virtio_queue_bytes(size));
	*vq = (struct virtio_queue){
		.dev = dev,
		.index = index,
		.size = size,
		.desc = (struct virtq_desc *)base,
		.avail = (struct virtq_avail *)(base + VIRTQ_DESC_BYTES(size)),
		.used = (struct virtq_used *)(base + round_up(VIRTQ_DESC_BYTES(size) +
								      VIRTQ_AVAIL_BYTES(size),
							      PAGE)),
		.event_idx = dev->features & (1ull << VIRTIO_F_EVENT_IDX),
	};
	virtio_write16(dev, VIRTIO_PCI_COMMON_Q_SELECT, index);
	virtio_write16(dev, VIRTIO_PCI_COMMON_Q_SIZE, size);
	if (virtio_read16(dev, VIRTIO_PCI_COMMON_Q_SIZE) != size)
		return false;
	virtio_write64(dev, VIRTIO_PCI_COMMON_Q_DESC, (uint64_t)vq->desc);
	virtio_write64(dev, VIRTIO_PCI_COMMON_Q_AVAIL, (uint64_t)vq->avail);
	virtio_write64(dev, VIRTIO_PCI_COMMON_Q_USED, (uint64_t)vq->used);
	virtio_write16(dev, VIRTIO_PCI_COMMON_Q_MSIX, msix_vector);
	vq->doorbell = dev->notify + (uint64_t)virtio_read16(dev, VIRTIO_PCI_COMMON_Q_NOFF) *
					     dev->notify_multiplier;
	virtio_write16(dev, VIRTIO_PCI_COMMON_Q_ENABLE, 1);
	return virtio_read16(dev, VIRTIO_PCI_COMMON_Q_ENABLE) == 1;
}

void virtio_queue_desc(struct virtio_queue *vq, uint16_t i, uint64_t addr, uint32_t len,
		       uint16_t flags, uint16_t next)
{
	vq->desc[i] = (struct virtq_desc){ .addr = addr, .len = len, .flags = flags, .next = next };
}

void virtio_queue_submit(struct virtio_queue *vq, uint16_t head)
{
	volatile uint16_t *ring = vq->avail->ring;

	ring[vq->avail_idx & (vq->size - 1)] = head;
	vq->avail_idx++;
	virtio_wmb(); /* the descriptors and the entry before the index */
	*(volatile uint16_t *)&vq->avail->idx = vq->avail_idx;
}

bool virtio_queue_kick(struct virtio_queue *vq)
{
	uint16_t now = vq->avail_idx, old = vq->kicked;

	vq->kicked = now;
	virtio_mb(); /* the index is visible before the device's wishes are read */
	if (vq->event_idx) {
		/* Notify only when the device's avail_event lies in what was published since. */
		if (!virtq_need_event(virtio_queue_avail_event(vq), now, old))
			return false;
	} else if (*(volatile uint16_t *)&vq->used->flags & VIRTQ_USED_F_NO_NOTIFY) {
		return false;
	}
	mmio_write16(vq->doorbell, vq->index);
	return true;
}

bool virtio_queue_used(struct virtio_queue *vq, uint32_t *id, uint32_t *len)
{
	volatile struct virtq_used_elem *elem;

	if (*(volatile uint16_t *)&vq->used->idx == vq->last_used)
		return false;
	virtio_mb(); /* the entry after the index */
	elem = &vq->used->ring[vq->last_used & (vq->size - 1)];
	*id = elem->id;
	*len = elem->len;
	vq->last_used++;
	return true;
}

bool virtio_queue_wait(struct virtio_queue *vq, uint32_t *id, uint32_t *len,
		       unsigned int timeout_ms)
{
	uint64_t deadline = tsc_deadline_ms(timeout_ms);

	while (!virtio_queue_used(vq, id, len))
		if (tsc_expired(deadline))
			return false;
	return true;
}

void virtio_queue_set_used_event(struct virtio_queue *vq, uint16_t value)
{
	*(volatile uint16_t *)&vq->avail->ring[vq->size] = value;
	virtio_mb();
}

uint16_t virtio_queue_avail_event(const struct virtio_queue *vq)
{
	return *(volatile uint16_t *)&vq->used->ring[vq->size];
}

void virtio_msix_route(struct virtio_dev *dev, unsigned int i, unsigned int vector)
{
	uint64_t entry = dev->msix_table + 16ull * i;

	mmio_write32(entry + 0, (uint32_t)msi_address());
	mmio_write32(entry + 4, (uint32_t)(msi_address() >> 32));
	mmio_write32(entry + 8, msi_data(vector));
	mmio_write32(entry + 12, 0); /* unmasked */
}

void virtio_msix_enable(struct virtio_dev *dev, bool enable)
{
	uint16_t control = pci_cfg_read16(dev->slot, 0, dev->msix_cap + 2);

	control = enable ? control | MSIX_ENABLE : control & ~MSIX_ENABLE;
	pci_cfg_write16(dev->slot, 0, dev->msix_cap + 2, control);
}

uint8_t virtio_isr(const struct virtio_dev *dev)
{
	return mmio_read8(dev->isr);
}

uint32_t virtio_cfg_window_read(const struct virtio_dev *dev, unsigned int bar, uint32_t offset,
				uint32_t len)
{
	unsigned int cap = dev->pci_cfg_cap;
	uint32_t data;

	if (!cap)
		return 0xffffffff;
	pci_cfg_write8(dev->slot, 0, cap + VIRTIO_PCI_CAP_BAR, bar);
	pci_cfg_write32(dev->slot, 0, cap + VIRTIO_PCI_CAP_OFFSET, offset);
	pci_cfg_write32(dev->slot, 0, cap + VIRTIO_PCI_CAP_LENGTH, len);
	data = pci_cfg_read32(dev->slot, 0, cap + VIRTIO_PCI_CFG_CAP_DATA);
	return len == 4 ? data : data & ((1u << (8 * len)) - 1);
}

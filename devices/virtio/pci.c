/* The virtio PCI transport: configuration space and capabilities, the BAR and its doorbells, queue service. */
#include "devices/virtio/pci.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "devices/virtio/pci-internal.h"
#include "vmm/bus.h"
#include "vmm/event-loop.h"
#include "vmm/ioeventfd.h"
#include "vmm/log.h"
#include "vmm/vm.h"

/* The configuration header (PCI Local Bus 3.0, 6.1) and the capabilities used here. */
#define PCI_VENDOR_ID 0x00
#define PCI_DEVICE_ID 0x02
#define PCI_COMMAND 0x04
#define PCI_COMMAND_MEMORY 0x0002
#define PCI_COMMAND_MASTER 0x0004
#define PCI_COMMAND_PARITY 0x0040
#define PCI_COMMAND_SERR 0x0100
#define PCI_COMMAND_INTX_DISABLE 0x0400
#define PCI_STATUS 0x06
#define PCI_STATUS_INTERRUPT 0x08
#define PCI_STATUS_CAP_LIST 0x10
#define PCI_REVISION_ID 0x08
#define PCI_CLASS_PROG 0x09
#define PCI_HEADER_TYPE 0x0e
#define PCI_BAR0 0x10
#define PCI_BAR_MEM_TYPE_64 0x04
#define PCI_SUBSYSTEM_VENDOR_ID 0x2c
#define PCI_SUBSYSTEM_ID 0x2e
#define PCI_CAPABILITY_LIST 0x34
#define PCI_INTERRUPT_LINE 0x3c
#define PCI_INTERRUPT_PIN 0x3d
#define PCI_CAP_ID_MSIX 0x11
#define PCI_MSIX_FLAGS 2
#define PCI_MSIX_FLAGS_ENABLE 0x8000
#define PCI_MSIX_FLAGS_MASKALL 0x4000
#define PCI_MSIX_TABLE 4
#define PCI_MSIX_PBA 8
#define PCI_MSIX_SIZE 12
#define PCI_CAPS_START 0x40

#define VIRTIO_PCI_PLACEMENT_WARNINGS 8

_Static_assert(VIRTIO_PCI_VECTORS_MAX * 16 <=
		       VIRTIO_PCI_MSIX_PBA_OFFSET - VIRTIO_PCI_MSIX_TABLE_OFFSET,
	       "the MSI-X table fits its page");
_Static_assert(VIRTIO_PCI_VECTORS_MAX <= 8 * VIRTIO_PCI_MSIX_PBA_SIZE, "the PBA fits");
_Static_assert(VIRTIO_PCI_QUEUES_MAX *VIRTIO_PCI_NOTIFY_MULTIPLIER <= 0x1000,
	       "the doorbells fit their page");

/* ---- Configuration space ------------------------------------------------------------ */

static void cfg_put(struct virtio_pci *vp, uint32_t offset, uint32_t len, uint32_t value)
{
	for (uint32_t i = 0; i < len; i++)
		vp->config[offset + i] = value >> (8 * i);
}

static uint32_t cfg_get(const struct virtio_pci *vp, uint32_t offset, uint32_t len)
{
	uint32_t value = 0;

	for (uint32_t i = 0; i < len; i++)
		value |= (uint32_t)vp->config[offset + i] << (8 * i);
	return value;
}

static void cfg_allow(struct virtio_pci *vp, uint32_t offset, uint32_t len, uint32_t mask)
{
	for (uint32_t i = 0; i < len; i++)
		vp->writable[offset + i] = mask >> (8 * i);
}

static uint64_t cfg_bar_address(const struct virtio_pci *vp)
{
	return ((uint64_t)cfg_get(vp, PCI_BAR0 + 4, 4) << 32 | cfg_get(vp, PCI_BAR0, 4)) & ~0xfull;
}

/* The header: identity, command, one 64-bit memory BAR at bar_gpa, INTA. */
static void cfg_init_header(struct virtio_pci *vp, uint64_t bar_gpa)
{
	uint16_t device = VIRTIO_PCI_DEVICE_ID_BASE + vp->ops->device_id;

	cfg_put(vp, PCI_VENDOR_ID, 2, VIRTIO_PCI_VENDOR_ID);
	cfg_put(vp, PCI_DEVICE_ID, 2, device);
	cfg_allow(vp, PCI_COMMAND, 2,
		  PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_PARITY | PCI_COMMAND_SERR |
			  PCI_COMMAND_INTX_DISABLE);
	cfg_put(vp, PCI_STATUS, 2, PCI_STATUS_CAP_LIST);
	cfg_put(vp, PCI_REVISION_ID, 1, VIRTIO_PCI_REVISION);
	cfg_put(vp, PCI_CLASS_PROG, 3, vp->ops->class_code);
	cfg_put(vp, PCI_HEADER_TYPE, 1, 0);
	cfg_put(vp, PCI_BAR0, 4, (uint32_t)bar_gpa | PCI_BAR_MEM_TYPE_64);
	cfg_allow(vp, PCI_BAR0, 4, ~(VIRTIO_PCI_BAR_SIZE - 1) & ~0xfu);
	cfg_put(vp, PCI_BAR0 + 4, 4, bar_gpa >> 32);
	cfg_allow(vp, PCI_BAR0 + 4, 4, 0xffffffffu);
	/* Non-transitional: a subsystem ID of 0x40 or more (4.1.2.1); the device ID is one. */
	cfg_put(vp, PCI_SUBSYSTEM_VENDOR_ID, 2, VIRTIO_PCI_VENDOR_ID);
	cfg_put(vp, PCI_SUBSYSTEM_ID, 2, device);
	cfg_put(vp, PCI_CAPABILITY_LIST, 1, PCI_CAPS_START);
	cfg_allow(vp, PCI_INTERRUPT_LINE, 1, 0xff);
	cfg_put(vp, PCI_INTERRUPT_PIN, 1, 1);
}

/* Link a capability of id at *pos (size bytes, 4-aligned), after the one at prev. */
static uint32_t cfg_add_cap(struct virtio_pci *vp, uint32_t *pos, uint32_t *prev, uint8_t id,
			    uint32_t size)
{
	uint32_t at = *pos;

	if (*prev)
		vp->config[*prev + 1] = at;
	vp->config[at] = id;
	*prev = at;
	*pos = (at + size + 3) & ~3u;
	return at;
}

static void cfg_add_virtio_cap(struct virtio_pci *vp, uint32_t *pos, uint32_t *prev, uint8_t type,
			       uint32_t offset, uint32_t length, uint32_t size)
{
	uint32_t at = cfg_add_cap(vp, pos, prev, VIRTIO_PCI_CAP_VENDOR, size);

	vp->config[at + VIRTIO_PCI_CAP_LEN] = size;
	vp->config[at + VIRTIO_PCI_CAP_CFG_TYPE] = type;
	vp->config[at + VIRTIO_PCI_CAP_BAR] = VIRTIO_PCI_BAR;
	cfg_put(vp, at + VIRTIO_PCI_CAP_OFFSET, 4, offset);
	cfg_put(vp, at + VIRTIO_PCI_CAP_LENGTH, 4, length);
	if (type == VIRTIO_PCI_CAP_NOTIFY_CFG)
		cfg_put(vp, at + VIRTIO_PCI_NOTIFY_CAP_MULT, 4, VIRTIO_PCI_NOTIFY_MULTIPLIER);
	if (type == VIRTIO_PCI_CAP_PCI_CFG) {
		/* The window's bar, offset, length and data are the driver's to write. */
		vp->pci_cfg_cap = at;
		vp->config[at + VIRTIO_PCI_CAP_BAR] = 0;
		cfg_put(vp, at + VIRTIO_PCI_CAP_OFFSET, 4, 0);
		cfg_put(vp, at + VIRTIO_PCI_CAP_LENGTH, 4, 0);
		cfg_allow(vp, at + VIRTIO_PCI_CAP_BAR, 1, 0xff);
		cfg_allow(vp, at + VIRTIO_PCI_CAP_OFFSET, 4, 0xffffffffu);
		cfg_allow(vp, at + VIRTIO_PCI_CAP_LENGTH, 4, 0xffffffffu);
		cfg_allow(vp, at + VIRTIO_PCI_CFG_CAP_DATA, 4, 0xffffffffu);
	}
}

/* MSI-X, then the virtio structures (4.1.4), all in BAR 0. */
static void cfg_init_caps(struct virtio_pci *vp)
{
	uint32_t pos = PCI_CAPS_START, prev = 0;
	uint32_t at = cfg_add_cap(vp, &pos, &prev, PCI_CAP_ID_MSIX, PCI_MSIX_SIZE);

	vp->msix_cap = at;
	cfg_put(vp, at + PCI_MSIX_FLAGS, 2, vp->nr_vectors - 1);
	cfg_allow(vp, at + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
	cfg_put(vp, at + PCI_MSIX_TABLE, 4, VIRTIO_PCI_MSIX_TABLE_OFFSET | VIRTIO_PCI_BAR);
	cfg_put(vp, at + PCI_MSIX_PBA, 4, VIRTIO_PCI_MSIX_PBA_OFFSET | VIRTIO_PCI_BAR);
	cfg_add_virtio_cap(vp, &pos, &prev, VIRTIO_PCI_CAP_COMMON_CFG, VIRTIO_PCI_COMMON_OFFSET,
			   VIRTIO_PCI_COMMON_SIZE, VIRTIO_PCI_CAP_SIZE);
	cfg_add_virtio_cap(vp, &pos, &prev, VIRTIO_PCI_CAP_NOTIFY_CFG, VIRTIO_PCI_NOTIFY_OFFSET,
			   vp->ops->nr_queues * VIRTIO_PCI_NOTIFY_MULTIPLIER,
			   VIRTIO_PCI_NOTIFY_CAP_SIZE);
	cfg_add_virtio_cap(vp, &pos, &prev, VIRTIO_PCI_CAP_ISR_CFG, VIRTIO_PCI_ISR_OFFSET, 1,
			   VIRTIO_PCI_CAP_SIZE);
	if (vp->ops->config_size)
		cfg_add_virtio_cap(vp, &pos, &prev, VIRTIO_PCI_CAP_DEVICE_CFG,
				   VIRTIO_PCI_DEVICE_OFFSET, vp->ops->config_size,
				   VIRTIO_PCI_CAP_SIZE);
	cfg_add_virtio_cap(vp, &pos, &prev, VIRTIO_PCI_CAP_PCI_CFG, 0, 0, VIRTIO_PCI_CFG_CAP_SIZE);
}

/* ---- The BAR ---------------------------------------------------------------------------- */

/*
 * One access to the BAR's structures; reads start zeroed.  Returns whether
 * the INTx level may have changed (the ISR was read, the device reset).
 */
static bool bar_access(struct virtio_pci *vp, uint64_t offset, uint8_t *data, uint32_t len,
		       bool write)
{
	const struct virtio_device_ops *ops = vp->ops;
	uint64_t end = offset + len;
	bool intx = false;

	if (!write)
		memset(data, 0, len);
	pthread_mutex_lock(&vp->lock);
	if (end <= VIRTIO_PCI_COMMON_OFFSET + VIRTIO_PCI_COMMON_SIZE) {
		if (write)
			virtio_pci_common_write(vp, offset, data, len);
		else
			virtio_pci_common_read(vp, offset, data, len);
		intx = write;
	} else if (offset == VIRTIO_PCI_ISR_OFFSET && !write) {
		data[0] = vp->isr; /* read to clear (4.1.4.5) */
		vp->isr = 0;
		intx = true;
	} else if (offset >= VIRTIO_PCI_DEVICE_OFFSET &&
		   end <= VIRTIO_PCI_DEVICE_OFFSET + ops->config_size) {
		if (write && ops->config_write)
			ops->config_write(vp, offset - VIRTIO_PCI_DEVICE_OFFSET, data, len);
		else if (!write && ops->config_read)
			ops->config_read(vp, offset - VIRTIO_PCI_DEVICE_OFFSET, data, len);
	} else if (offset >= VIRTIO_PCI_MSIX_TABLE_OFFSET && offset < VIRTIO_PCI_MSIX_PBA_OFFSET) {
		virtio_pci_msix_table_access(vp, offset - VIRTIO_PCI_MSIX_TABLE_OFFSET, data, len,
					     write);
	} else if (offset >= VIRTIO_PCI_MSIX_PBA_OFFSET &&
		   end <= VIRTIO_PCI_MSIX_PBA_OFFSET + VIRTIO_PCI_MSIX_PBA_SIZE && !write) {
		virtio_pci_msix_pba_read(vp, offset - VIRTIO_PCI_MSIX_PBA_OFFSET, data, len);
	}
	pthread_mutex_unlock(&vp->lock);
	return intx;
}

/* A doorbell write that reached kdom (no ioeventfd, or a length KVM's does not match). */
static bool bar_doorbell(struct virtio_pci *vp, uint64_t offset, bool write)
{
	uint64_t q = (offset - VIRTIO_PCI_NOTIFY_OFFSET) / VIRTIO_PCI_NOTIFY_MULTIPLIER;

	if (offset < VIRTIO_PCI_NOTIFY_OFFSET || offset >= VIRTIO_PCI_NOTIFY_OFFSET + 0x1000)
		return false;
	if (write && (offset - VIRTIO_PCI_NOTIFY_OFFSET) % VIRTIO_PCI_NOTIFY_MULTIPLIER == 0 &&
	    q < vp->ops->nr_queues)
		eventfd_write(vp->notify_fds[q], 1);
	return true;
}

static void virtio_pci_bar_io(void *opaque, struct bus_access *access)
{
	struct virtio_pci *vp = opaque;

	if (access->len > 8)
		return;
	if (bar_doorbell(vp, access->offset, access->write)) {
		if (!access->write)
			memset(access->data, 0, access->len);
		return;
	}
	if (bar_access(vp, access->offset, access->data, access->len, access->write))
		virtio_pci_intx_sync(vp);
}

static void bar_doorbells_detach(struct virtio_pci *vp, unsigned int count)
{
	for (unsigned int q = 0; q < count; q++)
		ioeventfd_deassign(vp->vm, vp->notify_fds[q],
				   vp->bar_gpa + VIRTIO_PCI_NOTIFY_OFFSET +
					   q * VIRTIO_PCI_NOTIFY_MULTIPLIER,
				   2);
}

/* The doorbells become KVM's: a driver's 16-bit notify never exits to a vCPU thread. */
static void bar_doorbells_attach(struct virtio_pci *vp)
{
	for (unsigned int q = 0; q < vp->ops->nr_queues; q++) {
		uint64_t gpa =
			vp->bar_gpa + VIRTIO_PCI_NOTIFY_OFFSET + q * VIRTIO_PCI_NOTIFY_MULTIPLIER;
		int ret = ioeventfd_assign(vp->vm, vp->notify_fds[q], gpa, 2);

		if (ret) {
			bar_doorbells_detach(vp, q);
			log_debug("%s: doorbells exit to kdom (KVM_IOEVENTFD: %s)", vp->ops->name,
				  strerror(-ret));
			return;
		}
	}
	vp->ioeventfds = true;
}

static void bar_unmap(struct virtio_pci *vp)
{
	if (!vp->bar_mapped)
		return;
	if (vp->ioeventfds)
		bar_doorbells_detach(vp, vp->ops->nr_queues);
	vp->ioeventfds = false;
	bus_unregister(&vp->vm->mmio, vp->bar_gpa);
	vp->bar_mapped = false;
}

static void bar_map(struct virtio_pci *vp, uint64_t gpa)
{
	const char *why = NULL;

	if (!pci_bus_window_contains(vp->pci.bus, gpa, VIRTIO_PCI_BAR_SIZE))
		why = "outside the PCI windows";
	else if (bus_register(&vp->vm->mmio, gpa, VIRTIO_PCI_BAR_SIZE, virtio_pci_bar_io, vp,
			      vp->ops->name))
		why = "over another device";
	if (why) {
		if (vp->placement_warnings++ < VIRTIO_PCI_PLACEMENT_WARNINGS)
			log_warn("%s: the guest put its BAR at 0x%llx, %s; not mapped%s",
				 vp->ops->name, (unsigned long long)gpa, why,
				 vp->placement_warnings == VIRTIO_PCI_PLACEMENT_WARNINGS
					 ? " (further such warnings suppressed)"
					 : "");
		return;
	}
	vp->bar_mapped = true;
	vp->bar_gpa = gpa;
	bar_doorbells_attach(vp);
}

/* Decode the BAR where the guest put it while memory decoding is on; nowhere otherwise. */
static void bar_update(struct virtio_pci *vp)
{
	bool decode = cfg_get(vp, PCI_COMMAND, 2) & PCI_COMMAND_MEMORY;
	uint64_t gpa = cfg_bar_address(vp);

	if (vp->bar_mapped && (!decode || gpa != vp->bar_gpa))
		bar_unmap(vp);
	if (decode && !vp->bar_mapped)
		bar_map(vp, gpa);
}

/* ---- Configuration cycles -------------------------------------------------------------- */

static bool cfg_overlaps(uint32_t offset, uint32_t len, uint32_t start, uint32_t size)
{
	return offset < start + size && start < offset + len;
}

/* The VIRTIO_PCI_CAP_PCI_CFG window (4.1.4.9): its data bytes reach the BAR. */
static void cfg_window_access(struct virtio_pci *vp, bool write)
{
	uint32_t cap = vp->pci_cfg_cap;
	uint32_t offset = cfg_get(vp, cap + VIRTIO_PCI_CAP_OFFSET, 4);
	uint32_t len = cfg_get(vp, cap + VIRTIO_PCI_CAP_LENGTH, 4);
	uint8_t *data = &vp->config[cap + VIRTIO_PCI_CFG_CAP_DATA];

	if (vp->config[cap + VIRTIO_PCI_CAP_BAR] != VIRTIO_PCI_BAR ||
	    (len != 1 && len != 2 && len != 4) || offset % len ||
	    (uint64_t)offset + len > VIRTIO_PCI_BAR_SIZE)
		return;
	if (bar_doorbell(vp, offset, write))
		return;
	/* The bus lock is held: the INTx level is brought in line from the event loop. */
	if (bar_access(vp, offset, data, len, write))
		eventfd_write(vp->intx_fd, 1);
}

static uint32_t virtio_pci_cfg_read(struct pci_device *pci, uint32_t offset, uint32_t len)
{
	struct virtio_pci *vp = pci->opaque;
	uint32_t value;

	if (vp->pci_cfg_cap &&
	    cfg_overlaps(offset, len, vp->pci_cfg_cap + VIRTIO_PCI_CFG_CAP_DATA, 4))
		cfg_window_access(vp, false);
	value = cfg_get(vp, offset, len);
	if (cfg_overlaps(offset, len, PCI_STATUS, 1)) {
		bool pending;

		pthread_mutex_lock(&vp->lock);
		pending = vp->isr && !vp->msix_enabled;
		pthread_mutex_unlock(&vp->lock);
		if (pending)
			value |= PCI_STATUS_INTERRUPT << (8 * (PCI_STATUS - offset));
	}
	return value;
}

/* What a configuration write changes beyond its bytes. */
static void cfg_apply(struct virtio_pci *vp, uint16_t old_command, uint16_t old_msix)
{
	uint16_t command = cfg_get(vp, PCI_COMMAND, 2);
	uint16_t msix = cfg_get(vp, vp->msix_cap + PCI_MSIX_FLAGS, 2);

	bar_update(vp);
	if ((command ^ old_command) & (PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE)) {
		pthread_mutex_lock(&vp->lock);
		vp->bus_master = command & PCI_COMMAND_MASTER;
		vp->intx_disabled = command & PCI_COMMAND_INTX_DISABLE;
		pthread_mutex_unlock(&vp->lock);
		eventfd_write(vp->intx_fd, 1);
		if (command & PCI_COMMAND_MASTER)
			for (unsigned int q = 0; q < vp->ops->nr_queues; q++)
				eventfd_write(vp->notify_fds[q], 1);
	}
	if (msix != old_msix) {
		virtio_pci_msix_control(vp, msix & PCI_MSIX_FLAGS_ENABLE,
					msix & PCI_MSIX_FLAGS_MASKALL);
		eventfd_write(vp->intx_fd, 1);
	}
}

static void virtio_pci_cfg_write(struct pci_device *pci, uint32_t offset, uint32_t len,
				 uint32_t value)
{
	struct virtio_pci *vp = pci->opaque;
	uint16_t old_command = cfg_get(vp, PCI_COMMAND, 2);
	uint16_t old_msix = cfg_get(vp, vp->msix_cap + PCI_MSIX_FLAGS, 2);

	for (uint32_t i = 0; i < len; i++) {
		uint8_t mask = vp->writable[offset + i];
		uint8_t *byte = &vp->config[offset + i];

		*byte = (*byte & ~mask) | ((value >> (8 * i)) & mask);
	}
	if (vp->pci_cfg_cap &&
	    cfg_overlaps(offset, len, vp->pci_cfg_cap + VIRTIO_PCI_CFG_CAP_DATA, 4))
		cfg_window_access(vp, true);
	cfg_apply(vp, old_command, old_msix);
}

static const struct pci_device_ops virtio_pci_cfg_ops = {
	.cfg_read = virtio_pci_cfg_read,
	.cfg_write = virtio_pci_cfg_write,
};

/* ---- Queues and the device's state ---------------------------------------------------- */

static bool queue_live(const struct virtio_pci *vp, const struct virtq *vq)
{
	return (vp->status & (VIRTIO_STATUS_DRIVER_OK | VIRTIO_STATUS_NEEDS_RESET)) ==
		       VIRTIO_STATUS_DRIVER_OK &&
	       vq->enabled && vp->bus_master;
}

/*
 * Interrupt the driver for every queue that returned chains it wants to
 * hear of: the one served, and any whose asynchronous requests completed
 * meanwhile.  Lock held.
 */
static void virtio_pci_interrupt_queues(struct virtio_pci *vp)
{
	for (unsigned int q = 0; q < vp->ops->nr_queues; q++) {
		struct virtq *vq = &vp->queues[q];

		if (virtq_should_interrupt(vq))
			virtio_pci_raise(vp, VIRTIO_PCI_ISR_QUEUE, vq->msix_vector);
	}
}

void virtio_pci_service_queue(struct virtio_pci *vp, unsigned int index)
{
	struct virtq *vq;
	int ret;

	if (index >= vp->ops->nr_queues)
		return;
	vq = &vp->queues[index];
	pthread_mutex_lock(&vp->lock);
	if (queue_live(vp, vq)) {
		ret = vp->ops->queue_notify(vp, vq);
		if (ret < 0) {
			virtio_pci_needs_reset(vp, "queue %u: %s", index, vq->error);
		} else {
			virtio_pci_interrupt_queues(vp);
			if (ret > 0) /* more to do: after whatever else waits */
				eventfd_write(vp->notify_fds[index], 1);
		}
	}
	pthread_mutex_unlock(&vp->lock);
	virtio_pci_intx_sync(vp);
}

void virtio_pci_complete(struct virtio_pci *vp, void (*done)(struct virtio_pci *vp, void *arg),
			 void *arg)
{
	pthread_mutex_lock(&vp->lock);
	done(vp, arg);
	virtio_pci_interrupt_queues(vp);
	pthread_mutex_unlock(&vp->lock);
	virtio_pci_intx_sync(vp);
}

void virtio_pci_needs_reset(struct virtio_pci *vp, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	if (vp->status & VIRTIO_STATUS_NEEDS_RESET)
		return;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	vp->status |= VIRTIO_STATUS_NEEDS_RESET;
	if (vp->reset_warnings++ < VIRTIO_PCI_RESET_WARNINGS)
		log_warn("%s (00:%02x.0) needs a reset: %s%s", vp->ops->name, vp->pci.slot, why,
			 vp->reset_warnings == VIRTIO_PCI_RESET_WARNINGS
				 ? " (further such messages suppressed)"
				 : "");
	if (vp->status & VIRTIO_STATUS_DRIVER_OK)
		virtio_pci_raise(vp, VIRTIO_PCI_ISR_CONFIG, vp->config_vector);
}

void virtio_pci_config_changed(struct virtio_pci *vp)
{
	vp->config_generation++;
	if (vp->status & VIRTIO_STATUS_DRIVER_OK)
		virtio_pci_raise(vp, VIRTIO_PCI_ISR_CONFIG, vp->config_vector);
}

/* ---- Event loop ------------------------------------------------------------------------- */

static int virtio_pci_on_notify(struct event_loop *loop, int fd, int res, void *opaque)
{
	struct virtio_pci_queue_ref *ref = opaque;
	eventfd_t count;

	eventfd_read(fd, &count);
	virtio_pci_service_queue(ref->vp, ref->index);
	return 0;
}

static int virtio_pci_on_intx(struct event_loop *loop, int fd, int res, void *opaque)
{
	eventfd_t count;

	eventfd_read(fd, &count);
	virtio_pci_intx_sync(opaque);
	return 0;
}

static int virtio_pci_watch(struct virtio_pci *vp, struct event_loop *loop)
{
	unsigned int n = vp->ops->nr_queues;
	int id;

	vp->loop = loop;
	for (unsigned int q = 0; q < n; q++) {
		vp->queue_refs[q] = (struct virtio_pci_queue_ref){ .vp = vp, .index = q };
		id = event_loop_add(loop, vp->notify_fds[q], vp->ops->name, virtio_pci_on_notify,
				    &vp->queue_refs[q]);
		if (id < 0)
			return id;
		vp->loop_ids[q] = id;
	}
	id = event_loop_add(loop, vp->intx_fd, vp->ops->name, virtio_pci_on_intx, vp);
	if (id < 0)
		return id;
	vp->loop_ids[n] = id;
	return 0;
}

/* ---- Creation ------------------------------------------------------------------------- */

static bool virtio_pci_ops_valid(const struct virtio_device_ops *ops)
{
	return ops->name && ops->queue_notify && ops->nr_queues >= 1 &&
	       ops->nr_queues <= VIRTIO_PCI_QUEUES_MAX && ops->queue_max_size &&
	       !(ops->queue_max_size & (ops->queue_max_size - 1)) &&
	       ops->queue_max_size <= VIRTQ_SIZE_MAX &&
	       ops->config_size <= VIRTIO_PCI_DEVICE_CONFIG_MAX;
}

/* Host resources: locks, queues, eventfds.  Nothing the guest sees yet. */
static int virtio_pci_open(struct virtio_pci *vp)
{
	int ret;

	pthread_mutex_init(&vp->lock, NULL);
	pthread_mutex_init(&vp->intx_lock, NULL);
	vp->locks_ready = true;
	for (unsigned int q = 0; q < vp->ops->nr_queues; q++) {
		ret = virtq_init(&vp->queues[q], &vp->vm->mem, vp->ops->queue_max_size);
		if (ret)
			return ret;
		vp->notify_fds[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (vp->notify_fds[q] < 0)
			return -errno;
	}
	vp->intx_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vp->intx_fd < 0)
		return -errno;
	return virtio_pci_vectors_init(vp);
}

int virtio_pci_create(struct virtio_pci *vp, struct vm *vm, struct pci_bus *bus,
		      struct event_loop *loop, const struct virtio_device_ops *ops, void *opaque)
{
	uint64_t bar_gpa;
	int ret;

	memset(vp, 0, sizeof(*vp));
	vp->intx_fd = -1;
	for (unsigned int i = 0; i < VIRTIO_PCI_QUEUES_MAX; i++)
		vp->notify_fds[i] = -1;
	for (unsigned int i = 0; i <= VIRTIO_PCI_QUEUES_MAX; i++)
		vp->loop_ids[i] = -1;
	for (unsigned int i = 0; i < VIRTIO_PCI_VECTORS_MAX; i++)
		vp->vectors[i].fd = -1;
	if (!virtio_pci_ops_valid(ops))
		return -EINVAL;
	vp->ops = ops;
	vp->opaque = opaque;
	vp->vm = vm;
	vp->device_features =
		(ops->features | VIRTIO_PCI_TRANSPORT_FEATURES) & ~(1ull << VIRTIO_F_RING_PACKED);
	ret = virtio_pci_open(vp);
	if (!ret)
		ret = pci_bus_alloc_mmio(bus, VIRTIO_PCI_BAR_SIZE, false, &bar_gpa);
	if (ret)
		goto fail;
	cfg_init_header(vp, bar_gpa);
	cfg_init_caps(vp);
	vp->pci = (struct pci_device){
		.ops = &virtio_pci_cfg_ops, .opaque = vp, .name = ops->name, .intx_pin = 1
	};
	ret = pci_bus_add(bus, &vp->pci);
	if (ret)
		goto fail;
	vp->config[PCI_INTERRUPT_LINE] = vp->pci.intx_gsi; /* as firmware would write it */
	virtio_pci_reset(vp);
	if (loop)
		ret = virtio_pci_watch(vp, loop);
	if (!ret)
		return 0;
fail:
	log_error("cannot create %s: %s", ops->name, strerror(-ret));
	return ret;
}

void virtio_pci_destroy(struct virtio_pci *vp)
{
	if (!vp->ops)
		return; /* never created */
	for (unsigned int i = 0; i <= VIRTIO_PCI_QUEUES_MAX; i++)
		if (vp->loop_ids[i] >= 0)
			event_loop_remove(vp->loop, vp->loop_ids[i]);
	bar_unmap(vp);
	virtio_pci_vectors_destroy(vp);
	for (unsigned int q = 0; q < VIRTIO_PCI_QUEUES_MAX; q++) {
		if (vp->notify_fds[q] >= 0)
			close(vp->notify_fds[q]);
		virtq_destroy(&vp->queues[q]);
	}
	if (vp->intx_fd >= 0)
		close(vp->intx_fd);
	if (vp->locks_ready) {
		pthread_mutex_destroy(&vp->lock);
		pthread_mutex_destroy(&vp->intx_lock);
	}
	vp->ops = NULL;
}

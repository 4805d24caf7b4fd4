/* PCI pass-through: a back end's device on the guest's bus, its BARs, DMA and interrupts. */
#include "vfio/passthrough.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vfio/vfio-user.h"
#include "vmm/bus.h"
#include "vmm/event-loop.h"
#include "vmm/irq.h"
#include "vmm/log.h"
#include "vmm/vm.h"

#define PT_PAGE 4096ull
#define PT_PLACEMENT_WARNINGS 8 /* a guest moving BARs about must not flood the log */
#define PCI_BAR0 0x10
#define PCI_INTERRUPT_PIN 0x3d

/* Memory slots for BARs: one per BAR of each slot's device, after RAM's. */
#define PT_SLOT(dev_slot, bar) (VM_SLOT_FIRST_FREE + (dev_slot)*PT_BARS + (bar))

static void pt_end(struct pt_device *d, int err)
{
	if (!d->ended)
		log_error("%s: the device stopped answering (%s); it reads as absent from now on",
			  d->backend->name, strerror(-err));
	d->ended = true;
}

/* ---- Configuration space ------------------------------------------------------------- */

static uint32_t pt_cfg_read(struct pci_device *pci, uint32_t offset, uint32_t len)
{
	struct pt_device *d = pci->opaque;

	return d->ended ? (len == 4 ? 0xffffffffu : (1u << (8 * len)) - 1)
			: pt_config_read(&d->config, offset, len);
}

static void pt_cfg_write(struct pci_device *pci, uint32_t offset, uint32_t len, uint32_t value)
{
	struct pt_device *d = pci->opaque;

	if (!d->ended)
		pt_config_write(&d->config, offset, len, value);
}

static const struct pci_device_ops pt_pci_ops = {
	.cfg_read = pt_cfg_read,
	.cfg_write = pt_cfg_write,
};

/* ---- BARs ------------------------------------------------------------------------------ */

/*
 * The PBA as the guest reads it: a masked vector whose irqfd is detached
 * has its device's signals waiting in its eventfd; that is its pending bit.
 */
static void pt_msix_refresh_pending(struct pt_device *d)
{
	pthread_mutex_lock(&d->lock);
	for (unsigned int i = 0; d->irq_index == VFIO_PCI_MSIX_IRQ_INDEX && i < d->nr_vectors;
	     i++) {
		struct pollfd pfd = { .fd = d->vectors[i].fd, .events = POLLIN };
		bool pending =
			!d->vectors[i].irqfd && d->vectors[i].fd >= 0 && poll(&pfd, 1, 0) == 1;

		pt_config_msix_set_pending(&d->config, i, pending);
	}
	pthread_mutex_unlock(&d->lock);
}

/*
 * A trapped BAR access: the MSI-X table and PBA are kdom's (config-space
 * virtualization keeps them), everything else goes to the back end.
 */
static void pt_bar_io(void *opaque, struct bus_access *access)
{
	struct pt_bar_map *ref = opaque;
	struct pt_device *d = ref->dev;
	unsigned int table_bar, pba_bar;
	uint64_t table_off, table_size, pba_off, pba_size, value;
	int ret;

	if (d->ended || access->len > 8)
		return; /* reads stay all ones */
	if (!pt_config_msix_table(&d->config, &table_bar, &table_off, &table_size) &&
	    table_bar == ref->index && access->offset >= table_off &&
	    access->offset + access->len <= table_off + table_size) {
		pthread_mutex_lock(&d->pci.bus->lock);
		if (access->write) {
			value = 0;
			memcpy(&value, access->data, access->len);
			pt_config_msix_table_write(&d->config, access->offset - table_off,
						   access->len, value);
		} else {
			value = pt_config_msix_table_read(&d->config, access->offset - table_off,
							  access->len);
			memcpy(access->data, &value, access->len);
		}
		pthread_mutex_unlock(&d->pci.bus->lock);
		return;
	}
	if (!pt_config_msix_pba(&d->config, &pba_bar, &pba_off, &pba_size) &&
	    pba_bar == ref->index && access->offset >= pba_off &&
	    access->offset + access->len <= pba_off + pba_size) {
		if (!access->write) {
			pthread_mutex_lock(&d->pci.bus->lock);
			pt_msix_refresh_pending(d);
			value = pt_config_msix_pba_read(&d->config, access->offset - pba_off,
							access->len);
			pthread_mutex_unlock(&d->pci.bus->lock);
			memcpy(access->data, &value, access->len);
		}
		return;
	}
	ret = access->write ? d->backend->ops->region_write(d->backend, ref->index, access->offset,
							    access->data, access->len)
			    : d->backend->ops->region_read(d->backend, ref->index, access->offset,
							   access->data, access->len);
	if (ret == -ENODEV)
		pt_end(d, ret);
	else if (ret && !access->write)
		memset(access->data, 0xff, access->len);
}

/* Inside one of the bus's PCI windows, whole. */
static bool pt_bar_placement_ok(const struct pt_device *d, uint64_t gpa, uint64_t size)
{
	const struct pci_bus *bus = d->pci.bus;

	if (gpa + size < gpa)
		return false;
	if (gpa >= PCI_MMIO32_BASE && gpa + size <= PCI_MMIO32_END)
		return true;
	return gpa >= bus->mmio64_base && gpa + size <= bus->mmio64_end;
}

static void pt_bar_unmap(struct pt_device *d, unsigned int bar)
{
	struct pt_bar_map *m = &d->bars[bar];

	if (!m->mapped)
		return;
	if (m->slot_used)
		vm_set_memory_slot(d->vm, m->slot, m->gpa, 0, m->host);
	if (m->host)
		munmap(m->host, m->size);
	bus_unregister(&d->vm->mmio, m->gpa);
	m->host = NULL;
	m->slot_used = false;
	m->mapped = false;
}

/*
 * Map BAR bar at gpa: always claimed on the MMIO bus (a BAR over another
 * device's, the LAPIC's or outside the PCI windows is refused and left
 * unmapped, which the guest sees as all ones); mmapped into a memory slot
 * when the back end allows it and the MSI-X table is not inside.
 */
static void pt_bar_map(struct pt_device *d, unsigned int bar, uint64_t gpa)
{
	const struct pt_bar *b = pt_config_bar(&d->config, bar);
	struct pt_bar_map *m = &d->bars[bar];
	unsigned int table_bar, pba_bar;
	uint64_t off, size;
	void *host;
	int ret;

	if (!b || !b->size)
		return;
	if (!pt_bar_placement_ok(d, gpa, b->size)) {
		if (d->placement_warnings++ < PT_PLACEMENT_WARNINGS)
			log_warn("%s: the guest put BAR %u at 0x%llx (+0x%llx), outside the PCI "
				 "windows; not mapped%s",
				 d->backend->name, bar, (unsigned long long)gpa,
				 (unsigned long long)b->size,
				 d->placement_warnings == PT_PLACEMENT_WARNINGS
					 ? " (further such warnings suppressed)"
					 : "");
		return;
	}
	ret = bus_register(&d->vm->mmio, gpa, b->size, pt_bar_io, m, d->pci.name);
	if (ret) {
		if (d->placement_warnings++ < PT_PLACEMENT_WARNINGS)
			log_warn("%s: BAR %u at 0x%llx overlaps another device; not mapped",
				 d->backend->name, bar, (unsigned long long)gpa);
		return;
	}
	m->mapped = true;
	m->gpa = gpa;
	m->size = b->size;
	m->host = NULL;
	m->slot_used = false;
	if (m->mmap_fd < 0)
		return;
	if ((!pt_config_msix_table(&d->config, &table_bar, &off, &size) && table_bar == bar) ||
	    (!pt_config_msix_pba(&d->config, &pba_bar, &off, &size) && pba_bar == bar))
		return; /* the MSI-X pages must trap: the whole BAR does */
	host = mmap(NULL, b->size, PROT_READ | PROT_WRITE, MAP_SHARED, m->mmap_fd, m->mmap_offset);
	if (host == MAP_FAILED)
		return; /* trapped instead */
	m->host = host;
	m->slot = PT_SLOT(d->pci.slot - 1, bar);
	if (vm_set_memory_slot(d->vm, m->slot, gpa, b->size, host) == 0)
		m->slot_used = true;
}

static void pt_bar_moved(void *opaque, unsigned int bar, uint64_t old_gpa, uint64_t new_gpa,
			 bool enabled)
{
	struct pt_device *d = opaque;

	pthread_mutex_lock(&d->lock);
	pt_bar_unmap(d, bar);
	if (enabled)
		pt_bar_map(d, bar, new_gpa);
	pthread_mutex_unlock(&d->lock);
}

/* ---- Interrupts ------------------------------------------------------------------------ */

/*
 * Kernel vfio-pci takes one interrupt type at a time: INTx is switched off
 * while MSI or MSI-X is wired, and on again after.
 */
static void pt_intx_trigger(struct pt_device *d, bool on)
{
	int32_t fd;

	if (!d->intx_wired || d->ended)
		return;
	if (!on) {
		d->backend->ops->set_irqs(d->backend, VFIO_PCI_INTX_IRQ_INDEX,
					  VFIO_IRQ_SET_ACTION_TRIGGER, 0, 0, NULL);
		return;
	}
	fd = d->intx_fd;
	if (!d->backend->ops->set_irqs(d->backend, VFIO_PCI_INTX_IRQ_INDEX,
				       VFIO_IRQ_SET_ACTION_TRIGGER, 0, 1, &fd)) {
		fd = d->intx_resample_fd;
		d->backend->ops->set_irqs(d->backend, VFIO_PCI_INTX_IRQ_INDEX,
					  VFIO_IRQ_SET_ACTION_UNMASK, 0, 1, &fd);
	}
}

static void pt_vectors_unwire(struct pt_device *d)
{
	bool had = d->nr_vectors != 0;

	if (d->nr_vectors && !d->ended)
		d->backend->ops->set_irqs(d->backend, d->irq_index, VFIO_IRQ_SET_ACTION_TRIGGER, 0,
					  0, NULL);
	for (unsigned int i = 0; i < d->nr_vectors; i++) {
		struct pt_vector *v = &d->vectors[i];

		if (v->irqfd)
			irq_irqfd_deassign(d->vm, v->fd, v->gsi);
		if (v->routed)
			irq_msi_route_remove(d->vm, v->gsi);
		if (v->fd >= 0)
			close(v->fd);
		*v = (struct pt_vector){ .fd = -1 };
	}
	d->nr_vectors = 0;
	if (had)
		pt_intx_trigger(d, true);
}

/* Route vector i to (addr, data); its irqfd only while it may be delivered. */
static void pt_vector_set(struct pt_device *d, unsigned int i, uint64_t addr, uint32_t data,
			  bool masked)
{
	struct pt_vector *v = &d->vectors[i];

	if (!v->routed) {
		if (irq_msi_route_add(d->vm, addr, data, &v->gsi))
			return;
		v->routed = true;
	} else {
		irq_msi_route_update(d->vm, v->gsi, addr, data);
	}
	/* A masked vector's signals wait in its eventfd; KVM delivers them at the next assign. */
	if (masked && v->irqfd) {
		irq_irqfd_deassign(d->vm, v->fd, v->gsi);
		v->irqfd = false;
	} else if (!masked && !v->irqfd) {
		v->irqfd = irq_irqfd_assign(d->vm, v->fd, v->gsi, -1) == 0;
	}
}

/* n eventfds handed to the back end's irq index. */
static int pt_vectors_wire(struct pt_device *d, uint32_t index, unsigned int n)
{
	int32_t fds[PT_MAX_VECTORS];
	int ret;

	if (n > PT_MAX_VECTORS)
		n = PT_MAX_VECTORS;
	pt_intx_trigger(d, false);
	for (unsigned int i = 0; i < n; i++) {
		d->vectors[i] = (struct pt_vector){ .fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK) };
		fds[i] = d->vectors[i].fd;
	}
	d->nr_vectors = n;
	d->irq_index = index;
	ret = d->backend->ops->set_irqs(d->backend, index, VFIO_IRQ_SET_ACTION_TRIGGER, 0, n, fds);
	if (ret == -ENODEV)
		pt_end(d, ret);
	else if (ret)
		log_warn("%s: cannot wire %u interrupt vector(s): %s", d->backend->name, n,
			 strerror(-ret));
	return ret;
}

static void pt_msix_update(void *opaque, bool enabled, bool function_masked)
{
	struct pt_device *d = opaque;
	unsigned int n = pt_config_msix_vectors(&d->config);

	pthread_mutex_lock(&d->lock);
	if (!enabled) {
		if (d->irq_index == VFIO_PCI_MSIX_IRQ_INDEX)
			pt_vectors_unwire(d);
	} else {
		if (d->nr_vectors == 0 || d->irq_index != VFIO_PCI_MSIX_IRQ_INDEX) {
			pt_vectors_unwire(d);
			pt_vectors_wire(d, VFIO_PCI_MSIX_IRQ_INDEX, n);
		}
		for (unsigned int i = 0; i < d->nr_vectors; i++) {
			uint64_t addr;
			uint32_t data;
			bool masked;

			if (!pt_config_msix_entry(&d->config, i, &addr, &data, &masked))
				pt_vector_set(d, i, addr, data, masked);
		}
	}
	pthread_mutex_unlock(&d->lock);
}

static void pt_msix_vector_update(void *opaque, unsigned int i)
{
	struct pt_device *d = opaque;
	uint64_t addr;
	uint32_t data;
	bool masked;

	pthread_mutex_lock(&d->lock);
	if (d->irq_index == VFIO_PCI_MSIX_IRQ_INDEX && i < d->nr_vectors &&
	    !pt_config_msix_entry(&d->config, i, &addr, &data, &masked))
		pt_vector_set(d, i, addr, data, masked);
	pthread_mutex_unlock(&d->lock);
}

static void pt_msi_update(void *opaque, bool enabled, uint64_t addr, uint32_t data,
			  unsigned int nvec, uint32_t mask)
{
	struct pt_device *d = opaque;

	pthread_mutex_lock(&d->lock);
	if (!enabled) {
		if (d->irq_index == VFIO_PCI_MSI_IRQ_INDEX)
			pt_vectors_unwire(d);
	} else {
		if (d->irq_index != VFIO_PCI_MSI_IRQ_INDEX || d->nr_vectors != nvec) {
			pt_vectors_unwire(d);
			pt_vectors_wire(d, VFIO_PCI_MSI_IRQ_INDEX, nvec);
		}
		for (unsigned int i = 0; i < d->nr_vectors; i++)
			pt_vector_set(d, i, addr, data | i, mask & (1u << i));
	}
	pthread_mutex_unlock(&d->lock);
}

static const struct pt_config_ops pt_config_callbacks = {
	.bar_moved = pt_bar_moved,
	.msi_update = pt_msi_update,
	.msix_update = pt_msix_update,
	.msix_vector_update = pt_msix_vector_update,
};

/* INTx: the back end signals intx_fd; KVM's level irqfd asserts the line until the EOI, then resample_fd unmasks. */
static int pt_intx_wire(struct pt_device *d)
{
	struct vfio_irq_info info = { .argsz = sizeof(info), .index = VFIO_PCI_INTX_IRQ_INDEX };
	int32_t fd;
	int ret;

	if (!d->pci.intx_pin || d->backend->ops->irq_info(d->backend, &info) || info.count < 1)
		return 0;
	d->intx_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	d->intx_resample_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (d->intx_fd < 0 || d->intx_resample_fd < 0)
		return -errno;
	ret = irq_irqfd_assign(d->vm, d->intx_fd, d->pci.intx_gsi, d->intx_resample_fd);
	if (ret)
		return ret;
	d->intx_wired = true;
	fd = d->intx_fd;
	ret = d->backend->ops->set_irqs(d->backend, VFIO_PCI_INTX_IRQ_INDEX,
					VFIO_IRQ_SET_ACTION_TRIGGER, 0, 1, &fd);
	if (!ret) {
		fd = d->intx_resample_fd;
		ret = d->backend->ops->set_irqs(d->backend, VFIO_PCI_INTX_IRQ_INDEX,
						VFIO_IRQ_SET_ACTION_UNMASK, 0, 1, &fd);
	}
	return ret;
}

/* ---- The device ------------------------------------------------------------------------ */

/* Guest RAM, both regions, for the device's DMA at iova = guest physical address. */
static int pt_dma_map_ram(struct pt_device *d)
{
	const struct guest_mem *mem = &d->vm->mem;
	int ret = d->backend->ops->dma_map(d->backend, 0, mem->low_size, mem->host, mem->fd, 0);

	if (!ret && mem->size > mem->low_size)
		ret = d->backend->ops->dma_map(d->backend, GMEM_4G, mem->size - mem->low_size,
					       mem->host + mem->low_size, mem->fd, mem->low_size);
	return ret;
}

/* Place the BARs as firmware would, decoding left off: the guest may move them. */
static int pt_place_bars(struct pt_device *d, char *err, size_t errlen)
{
	for (unsigned int bar = 0; bar < PT_BARS; bar++) {
		const struct pt_bar *b = pt_config_bar(&d->config, bar);
		struct vfio_region_info info = { .argsz = sizeof(info), .index = bar };
		uint64_t gpa;
		int fd = -1;

		d->bars[bar].mmap_fd = -1;
		if (!b || !b->size)
			continue;
		if (d->backend->ops->region_info(d->backend, &info, &fd) == 0 &&
		    (info.flags & VFIO_REGION_INFO_FLAG_MMAP) && fd >= 0) {
			d->bars[bar].mmap_fd = fd;
			d->bars[bar].mmap_offset = info.offset;
		}
		/* Large 64-bit BARs above 4 GiB, the rest in the 32-bit window. */
		if (pci_bus_alloc_mmio(d->pci.bus, b->size, b->is64 && b->size >= (256ull << 20),
				       &gpa) &&
		    pci_bus_alloc_mmio(d->pci.bus, b->size, !(b->is64 && b->size >= (256ull << 20)),
				       &gpa)) {
			snprintf(err, errlen,
				 "%s: no room for BAR %u (%llu bytes) in the PCI windows",
				 d->backend->name, bar, (unsigned long long)b->size);
			return -ENOSPC;
		}
		pthread_mutex_lock(&d->pci.bus->lock);
		pt_config_write(&d->config, PCI_BAR0 + 4 * bar, 4, (uint32_t)gpa);
		if (b->is64)
			pt_config_write(&d->config, PCI_BAR0 + 4 * (bar + 1), 4,
					(uint32_t)(gpa >> 32));
		pthread_mutex_unlock(&d->pci.bus->lock);
	}
	return 0;
}

int pt_device_create(struct pt_device **out, struct vm *vm, struct pci_bus *bus,
		     struct pt_backend *backend, char *err, size_t errlen)
{
	struct pt_device *d = calloc(1, sizeof(*d));
	int ret;

	if (!d) {
		backend->ops->close(backend);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	d->vm = vm;
	d->backend = backend;
	d->intx_fd = d->intx_resample_fd = -1;
	pthread_mutex_init(&d->lock, NULL);
	for (unsigned int i = 0; i < PT_MAX_VECTORS; i++)
		d->vectors[i].fd = -1;
	for (unsigned int bar = 0; bar < PT_BARS; bar++)
		d->bars[bar] = (struct pt_bar_map){ .dev = d, .index = bar, .mmap_fd = -1 };
	ret = pt_config_init(&d->config, backend, err, errlen);
	if (ret) {
		backend->ops->close(backend);
		pthread_mutex_destroy(&d->lock);
		free(d);
		return ret;
	}
	d->config.ops = &pt_config_callbacks;
	d->config.opaque = d;
	d->pci = (struct pci_device){
		.ops = &pt_pci_ops,
		.opaque = d,
		.name = backend->name,
		.intx_pin = pt_config_read(&d->config, PCI_INTERRUPT_PIN, 1) & 7,
	};
	if (d->pci.intx_pin > 4)
		d->pci.intx_pin = 0;
	if (!bus) {
		snprintf(err, errlen, "%s: the domain has no PCI bus", backend->name);
		ret = -ENODEV;
		goto fail_config;
	}
	ret = pci_bus_add(bus, &d->pci);
	if (ret) {
		snprintf(err, errlen, "%s: no free PCI slot: %s", backend->name, strerror(-ret));
		goto fail_config;
	}
	ret = pt_place_bars(d, err, errlen);
	if (!ret) {
		ret = pt_dma_map_ram(d);
		if (ret)
			snprintf(err, errlen, "%s: cannot map guest RAM for the device's DMA: %s",
				 backend->name, strerror(-ret));
	}
	if (!ret) {
		ret = pt_intx_wire(d);
		if (ret)
			snprintf(err, errlen, "%s: cannot wire INTx: %s", backend->name,
				 strerror(-ret));
	}
	if (ret) {
		pt_device_destroy(d);
		return ret;
	}
	log_info("%s: PCI device %02x.0 on the guest's bus 0", backend->name, d->pci.slot);
	*out = d;
	return 0;
fail_config:
	pt_config_destroy(&d->config);
	backend->ops->close(backend);
	pthread_mutex_destroy(&d->lock);
	free(d);
	return ret;
}

void pt_device_destroy(struct pt_device *d)
{
	const struct guest_mem *mem;

	if (!d)
		return;
	mem = &d->vm->mem;
	pthread_mutex_lock(&d->lock);
	pt_vectors_unwire(d);
	if (d->intx_wired) {
		if (!d->ended)
			d->backend->ops->set_irqs(d->backend, VFIO_PCI_INTX_IRQ_INDEX,
						  VFIO_IRQ_SET_ACTION_TRIGGER, 0, 0, NULL);
		irq_irqfd_deassign(d->vm, d->intx_fd, d->pci.intx_gsi);
	}
	for (unsigned int bar = 0; bar < PT_BARS; bar++)
		pt_bar_unmap(d, bar);
	pthread_mutex_unlock(&d->lock);
	if (!d->ended) {
		d->backend->ops->dma_unmap(d->backend, 0, mem->low_size);
		if (mem->size > mem->low_size)
			d->backend->ops->dma_unmap(d->backend, GMEM_4G, mem->size - mem->low_size);
	}
	if (d->intx_fd >= 0)
		close(d->intx_fd);
	if (d->intx_resample_fd >= 0)
		close(d->intx_resample_fd);
	d->backend->ops->close(d->backend);
	pt_config_destroy(&d->config);
	pthread_mutex_destroy(&d->lock);
	free(d);
}

static int pt_on_server_request(struct event_loop *loop, int fd, int res, void *opaque)
{
	struct pt_device *d = opaque;

	/* An ended device (its server gone or misbehaving) is not watched again. */
	return vfio_user_serve(d->backend) == 0 ? 0 : 1;
}

/* A vfio-user server may ask for DMA while no request of ours is in flight. */
int pt_device_watch(struct pt_device *d, struct event_loop *loop)
{
	int fd = vfio_user_poll_fd(d->backend), id;

	if (fd < 0)
		return 0;
	id = event_loop_add(loop, fd, "vfio-user server", pt_on_server_request, d);
	return id < 0 ? id : 0;
}

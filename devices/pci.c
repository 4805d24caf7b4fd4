/* PCI bus 0: the host bridge on ports 0xCF8-0xCFF (mechanism #1 and 0xCF9 reset), BAR windows, INTx. */
#include "devices/pci.h"

#include <errno.h>
#include <string.h>

#include "kdom/abi.h"
#include "vmm/log.h"
#include "vmm/vm.h"

#define PCI_PORT_BASE 0xcf8
#define PCI_PORT_COUNT 8
#define PCI_PORT_ADDRESS 0 /* 0xCF8: a dword register */
#define PCI_PORT_RESET 1   /* 0xCF9: a byte register */
#define PCI_PORT_DATA 4	   /* 0xCFC-0xCFF */

/*
 * The configuration address register (mechanism #1).  Bits 30:28 are
 * reserved and read as 0; bits 27:24 are where AMD's extended-config
 * mechanism puts register bits 11:8.  kdom's configuration spaces end at
 * 255, so an access with those bits set reaches nothing (all ones), and a
 * guest probing for extended space finds none.  Bits 1:0 come from the
 * data port used.
 */
#define PCI_ADDRESS_ENABLE (1u << 31)
#define PCI_ADDRESS_EXT_REGISTER (0xfu << 24)
#define PCI_ADDRESS_KEPT (PCI_ADDRESS_ENABLE | PCI_ADDRESS_EXT_REGISTER | 0x00fffffcu)
#define PCI_ADDRESS_BUS(a) (((a) >> 16) & 0xff)
#define PCI_ADDRESS_SLOT(a) (((a) >> 11) & 0x1f)
#define PCI_ADDRESS_FUNCTION(a) (((a) >> 8) & 0x7)
#define PCI_ADDRESS_REGISTER(a) ((a)&0xfc)

/* The standard header fields the host bridge fills. */
#define PCI_VENDOR_ID 0x00
#define PCI_DEVICE_ID 0x02
#define PCI_COMMAND 0x04
#define PCI_REVISION_ID 0x08
#define PCI_CLASS_PROG 0x09
#define PCI_CLASS_DEVICE 0x0a /* subclass, then base class at 0x0b */
#define PCI_CACHE_LINE_SIZE 0x0c
#define PCI_LATENCY_TIMER 0x0d
#define PCI_HEADER_TYPE 0x0e
#define PCI_INTERRUPT_LINE 0x3c

/*
 * The host bridge answers as Intel's 82441FX (i440FX PMC), vendor 8086
 * device 1237 revision 02, the bridge QEMU's "pc" machine, Firecracker's
 * and other VMMs' emulated platforms present: every guest OS knows it and
 * needs no new driver, and Linux's mechanism #1 sanity check (a host
 * bridge class or an Intel vendor on bus 0) passes.
 */
#define PCI_BRIDGE_VENDOR 0x8086
#define PCI_BRIDGE_DEVICE 0x1237
#define PCI_BRIDGE_REVISION 0x02
#define PCI_CLASS_BRIDGE 0x06
#define PCI_SUBCLASS_BRIDGE_HOST 0x00

/*
 * What a write to the host bridge's header changes: the command bits a
 * bridge may have (I/O, memory, bus master, parity and SERR# response),
 * the cache line size, the latency timer and the interrupt line, which
 * firmware and drivers write and read back but nothing here acts on.
 * Everything else is read-only.
 */
/* clang-format off */
static const uint8_t pci_bridge_writable[PCI_CONFIG_SIZE] = {
	[PCI_COMMAND] = 0x47,		/* IO | MEMORY | MASTER | PARITY */
	[PCI_COMMAND + 1] = 0x01,	/* SERR */
	[PCI_CACHE_LINE_SIZE] = 0xff,
	[PCI_LATENCY_TIMER] = 0xff,
	[PCI_INTERRUPT_LINE] = 0xff,
};
/* clang-format on */

static uint32_t pci_bridge_cfg_read(struct pci_device *dev, uint32_t offset, uint32_t len)
{
	struct pci_bus *bus = dev->opaque;
	uint32_t value = 0;

	for (uint32_t i = 0; i < len; i++)
		value |= (uint32_t)bus->bridge_config[offset + i] << (8 * i);
	return value;
}

static void pci_bridge_cfg_write(struct pci_device *dev, uint32_t offset, uint32_t len,
				 uint32_t value)
{
	struct pci_bus *bus = dev->opaque;

	for (uint32_t i = 0; i < len; i++) {
		uint8_t mask = pci_bridge_writable[offset + i];
		uint8_t *byte = &bus->bridge_config[offset + i];

		*byte = (*byte & ~mask) | ((value >> (8 * i)) & mask);
	}
}

static const struct pci_device_ops pci_bridge_ops = {
	.cfg_read = pci_bridge_cfg_read,
	.cfg_write = pci_bridge_cfg_write,
};

static void pci_config_put16(uint8_t *config, uint32_t offset, uint16_t value)
{
	config[offset] = value & 0xff;
	config[offset + 1] = value >> 8;
}

static void pci_bridge_init(struct pci_bus *bus)
{
	uint8_t *config = bus->bridge_config;

	memset(config, 0, PCI_CONFIG_SIZE);
	pci_config_put16(config, PCI_VENDOR_ID, PCI_BRIDGE_VENDOR);
	pci_config_put16(config, PCI_DEVICE_ID, PCI_BRIDGE_DEVICE);
	config[PCI_REVISION_ID] = PCI_BRIDGE_REVISION;
	config[PCI_CLASS_PROG] = 0x00;
	config[PCI_CLASS_DEVICE] = PCI_SUBCLASS_BRIDGE_HOST;
	config[PCI_CLASS_DEVICE + 1] = PCI_CLASS_BRIDGE;
	config[PCI_HEADER_TYPE] = 0x00; /* type 0, single function */

	bus->host_bridge = (struct pci_device){
		.ops = &pci_bridge_ops,
		.opaque = bus,
		.name = "host bridge",
		.bus = bus,
		.slot = 0,
	};
	bus->slots[0] = &bus->host_bridge;
}

/* The device a configuration address selects, or NULL: only bus 0, function 0 answers. */
static struct pci_device *pci_decode(struct pci_bus *bus, uint32_t address)
{
	if (!(address & PCI_ADDRESS_ENABLE) || (address & PCI_ADDRESS_EXT_REGISTER) ||
	    PCI_ADDRESS_BUS(address) != 0 || PCI_ADDRESS_FUNCTION(address) != 0)
		return NULL;
	return bus->slots[PCI_ADDRESS_SLOT(address)];
}

/* 0xCFC-0xCFF: byte lanes select the register's bytes; a misaligned access reaches nothing. */
static void pci_config_data(struct pci_bus *bus, struct bus_access *access)
{
	uint32_t address = bus->config_address;
	uint32_t offset = PCI_ADDRESS_REGISTER(address) + (access->offset - PCI_PORT_DATA);
	struct pci_device *dev = pci_decode(bus, address);
	uint32_t len = access->len, value = 0;

	if (!dev || (len != 1 && len != 2 && len != 4) || offset % len)
		return;
	if (access->write) {
		for (uint32_t i = 0; i < len; i++)
			value |= (uint32_t)access->data[i] << (8 * i);
		dev->ops->cfg_write(dev, offset, len, value);
		return;
	}
	value = dev->ops->cfg_read(dev, offset, len);
	for (uint32_t i = 0; i < len; i++)
		access->data[i] = value >> (8 * i);
}

static void pci_io(void *opaque, struct bus_access *access)
{
	struct pci_bus *bus = opaque;
	bool reset = false;

	pthread_mutex_lock(&bus->lock);
	if (access->offset == PCI_PORT_ADDRESS && access->len == 4) {
		/* Byte and word accesses to 0xCF8-0xCFB are not the address register. */
		if (access->write) {
			uint32_t value;

			memcpy(&value, access->data, 4);
			bus->config_address = value & PCI_ADDRESS_KEPT;
		} else {
			memcpy(access->data, &bus->config_address, 4);
		}
	} else if (access->offset == PCI_PORT_RESET && access->len == 1) {
		/* The reset control register, as PIIX/ICH chipsets have it. */
		if (access->write) {
			bus->reset_control = access->data[0] & ~KDOM_CF9_RESET_CPU;
			reset = access->data[0] & KDOM_CF9_RESET_CPU;
		} else {
			access->data[0] = bus->reset_control;
		}
	} else if (access->offset >= PCI_PORT_DATA) {
		pci_config_data(bus, access);
	}
	pthread_mutex_unlock(&bus->lock);
	if (reset)
		vm_stop(bus->vm, VM_STOP_REBOOT, 0, "guest requested reboot (port 0xcf9)");
}

/* The first 1 GiB boundary at or above both 4 GiB and the end of RAM. */
static uint64_t pci_mmio64_base(const struct guest_mem *mem)
{
	uint64_t top = gmem_high_end(mem);

	if (top < GMEM_4G)
		top = GMEM_4G;
	return (top + (1ull << 30) - 1) & ~((1ull << 30) - 1);
}

int pci_bus_create(struct pci_bus *bus, struct vm *vm)
{
	int ret;

	memset(bus, 0, sizeof(*bus));
	pthread_mutex_init(&bus->lock, NULL);
	pci_bridge_init(bus);
	bus->mmio32_next = PCI_MMIO32_BASE;
	bus->mmio64_base = bus->mmio64_next = pci_mmio64_base(&vm->mem);
	bus->mmio64_end = bus->mmio64_base + PCI_MMIO64_SIZE;
	ret = bus_register(&vm->pio, PCI_PORT_BASE, PCI_PORT_COUNT, pci_io, bus, "pci");
	if (ret) {
		pthread_mutex_destroy(&bus->lock);
		return ret;
	}
	bus->vm = vm;
	return 0;
}

void pci_bus_destroy(struct pci_bus *bus)
{
	if (!bus->vm)
		return; /* never created */
	bus_unregister(&bus->vm->pio, PCI_PORT_BASE);
	pthread_mutex_destroy(&bus->lock);
	bus->vm = NULL;
}

int pci_bus_add(struct pci_bus *bus, struct pci_device *dev)
{
	int ret = -ENOSPC;

	if (!dev->ops || !dev->ops->cfg_read || !dev->ops->cfg_write || dev->intx_pin > 4)
		return -EINVAL;
	pthread_mutex_lock(&bus->lock);
	for (unsigned int slot = 1; slot < PCI_SLOTS; slot++) {
		if (bus->slots[slot])
			continue;
		dev->bus = bus;
		dev->slot = slot;
		dev->intx_gsi = 0;
		if (dev->intx_pin)
			dev->intx_gsi =
				PCI_INTX_GSI_BASE + (slot + dev->intx_pin - 1) % PCI_INTX_GSIS;
		bus->slots[slot] = dev;
		ret = 0;
		break;
	}
	pthread_mutex_unlock(&bus->lock);
	if (ret)
		log_error("no free PCI slot for %s", dev->name ? dev->name : "a device");
	return ret;
}

/* Place size bytes, naturally aligned, in [*next, end); advances *next. */
static int pci_window_alloc(uint64_t *next, uint64_t end, uint64_t size, uint64_t *gpa)
{
	uint64_t base = (*next + size - 1) & ~(size - 1);

	if (base < *next || base > end || end - base < size)
		return -ENOSPC;
	*gpa = base;
	*next = base + size;
	return 0;
}

int pci_bus_alloc_mmio(struct pci_bus *bus, uint64_t size, bool above_4g, uint64_t *gpa)
{
	int ret;

	if (size == 0 || (size & (size - 1)))
		return -EINVAL;
	if (size < 4096)
		size = 4096; /* a page of its own, as the PCI spec advises for small BARs */
	pthread_mutex_lock(&bus->lock);
	if (above_4g)
		ret = pci_window_alloc(&bus->mmio64_next, bus->mmio64_end, size, gpa);
	else
		ret = pci_window_alloc(&bus->mmio32_next, PCI_MMIO32_END, size, gpa);
	pthread_mutex_unlock(&bus->lock);
	return ret;
}

bool pci_bus_window_contains(const struct pci_bus *bus, uint64_t gpa, uint64_t size)
{
	if (size == 0 || gpa + size < gpa)
		return false;
	if (gpa >= PCI_MMIO32_BASE && gpa + size <= PCI_MMIO32_END)
		return true;
	return gpa >= bus->mmio64_base && gpa + size <= bus->mmio64_end;
}

int pci_set_intx(struct pci_device *dev, int level)
{
	struct pci_bus *bus = dev->bus;
	bool asserted = false;
	int ret;

	if (!bus || !dev->intx_pin)
		return -EINVAL;
	/* Devices sharing a GSI are wired-OR: the line is up while any of them holds it. */
	pthread_mutex_lock(&bus->lock);
	if (level)
		bus->intx_asserted |= 1u << dev->slot;
	else
		bus->intx_asserted &= ~(1u << dev->slot);
	for (unsigned int slot = 0; slot < PCI_SLOTS; slot++) {
		struct pci_device *other = bus->slots[slot];

		if (other && other->intx_pin && other->intx_gsi == dev->intx_gsi &&
		    (bus->intx_asserted & (1u << slot)))
			asserted = true;
	}
	ret = vm_irq_line(bus->vm, dev->intx_gsi, asserted);
	pthread_mutex_unlock(&bus->lock);
	return ret;
}

void pci_bus_intx_routes(const struct pci_bus *bus, struct irq_intx_routes *routes)
{
	struct pci_bus *locked = (struct pci_bus *)bus; /* the lock is the only thing changed */
	unsigned int count = 0;

	pthread_mutex_lock(&locked->lock);
	for (unsigned int slot = 0; slot < PCI_SLOTS; slot++) {
		const struct pci_device *dev = bus->slots[slot];

		if (!dev || !dev->intx_pin)
			continue;
		routes->intx[count++] = (struct irq_intx_route){ .slot = slot,
								 .pin = dev->intx_pin,
								 .gsi = dev->intx_gsi };
	}
	pthread_mutex_unlock(&locked->lock);
	routes->nr_intx = count;
}

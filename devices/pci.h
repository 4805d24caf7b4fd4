/* PCI: the host bridge (configuration mechanism #1 at 0xCF8/0xCFC), bus 0, BAR windows, INTx. */
#ifndef KDOM_PCI_H
#define KDOM_PCI_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "vmm/irq.h"

struct vm;

#define PCI_SLOTS 32
#define PCI_CONFIG_SIZE 256 /* what mechanism #1 reaches */

/* The guest-physical windows BARs are placed in (kdom/abi.h has the guest's view). */
#define PCI_MMIO32_BASE 0xc0000000ull /* KDOM_GPA_MMIO_HOLE */
#define PCI_MMIO32_END 0xfec00000ull  /* the IOAPIC; the LAPIC sits above */
#define PCI_MMIO64_SIZE (64ull << 30) /* above guest RAM, 1 GiB aligned */

/* INTx: slot S pin P (1 = INTA) reaches IOAPIC pin 16 + (S + P - 1) % 8, level, active low. */
#define PCI_INTX_GSI_BASE 16
#define PCI_INTX_GSIS 8

struct pci_device;

/*
 * What a device does with its configuration space.  offset is 0..255,
 * len 1, 2 or 4 and offset is aligned to len (the bus checks both);
 * values are little-endian in the low bytes.  Called with the bus lock
 * held, from a vCPU thread.
 */
struct pci_device_ops {
	uint32_t (*cfg_read)(struct pci_device *dev, uint32_t offset, uint32_t len);
	void (*cfg_write)(struct pci_device *dev, uint32_t offset, uint32_t len, uint32_t value);
};

struct pci_device {
	const struct pci_device_ops *ops;
	void *opaque;
	const char *name;
	/* Set by pci_bus_add(): */
	struct pci_bus *bus;
	uint8_t slot;
	uint8_t intx_pin;  /* 1 (INTA) .. 4 (INTD), 0: no INTx; set before pci_bus_add() */
	uint32_t intx_gsi; /* the IOAPIC pin its INTx is wired to */
};

struct pci_bus {
	struct vm *vm;
	pthread_mutex_t lock;
	uint32_t config_address; /* 0xCF8 */
	uint8_t reset_control;	 /* 0xCF9: the reset register lives in the bridge's ports */
	struct pci_device *slots[PCI_SLOTS];
	struct pci_device host_bridge; /* slot 0 */
	uint8_t bridge_config[PCI_CONFIG_SIZE];
	uint64_t mmio32_next, mmio64_base, mmio64_next, mmio64_end;
	uint32_t intx_asserted; /* bit per slot: its INTx line is held up (wired-OR per GSI) */
};

/*
 * Register the host bridge on ports 0xCF8-0xCFF (0xCF9 keeps its reset
 * meaning, as PIIX/ICH chipsets have it: 0x06 resets the domain) and slot 0.
 * The 64-bit window starts at the first 1 GiB boundary at or above both
 * 4 GiB and the end of guest RAM.  0 or -errno.
 */
int pci_bus_create(struct pci_bus *bus, struct vm *vm);
/* Unregister the ports (before vm_destroy()).  Safe on a zeroed or never created bus. */
void pci_bus_destroy(struct pci_bus *bus);

/* Put dev in the lowest free slot (1..31).  0, or -ENOSPC / -errno. */
int pci_bus_add(struct pci_bus *bus, struct pci_device *dev);

/*
 * Firmware's BAR placement: size bytes (a power of two, >= 4 KiB for
 * MMIO), naturally aligned, in the 32-bit window or (above_4g) the 64-bit
 * one; smaller sizes get a page.  0 with *gpa, -EINVAL for a size that
 * is not a power of two, or -ENOSPC.
 */
int pci_bus_alloc_mmio(struct pci_bus *bus, uint64_t size, bool above_4g, uint64_t *gpa);

/*
 * Whether [gpa, gpa + size) lies whole inside one of the bus's BAR
 * windows: where a device may decode a BAR the guest moved.
 */
bool pci_bus_window_contains(const struct pci_bus *bus, uint64_t gpa, uint64_t size);

/* Drive dev's INTx line (level; the IOAPIC pin is active low in the tables, KVM takes 1 = asserted). */
int pci_set_intx(struct pci_device *dev, int level);

/* Bus 0's INTx routes, as mptable_write() takes them (after every device is attached). */
void pci_bus_intx_routes(const struct pci_bus *bus, struct irq_intx_routes *routes);

#endif

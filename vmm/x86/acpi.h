/* The ACPI tables guests read to find their CPUs, interrupt routing, PCI windows and power control. */
#ifndef KDOM_ACPI_H
#define KDOM_ACPI_H

#include <stdint.h>

#include "vmm/guest-mem.h"
#include "vmm/irq.h"

/* A guest-physical window of the PCI host bridge; size 0: none. */
struct acpi_window {
	uint64_t base, size;
};

/* What the tables describe, as data: the builder gathers it from the VM and its PCI bus. */
struct acpi_platform {
	unsigned int nr_vcpus;		   /* local APIC IDs 0..n-1, the IOAPIC's ID n */
	const struct irq_intx_routes *pci; /* bus 0's INTx routes: the bridge's _PRT (NULL: none) */
	struct acpi_window mmio32, mmio64; /* where BARs go: the bridge's _CRS */
};

/*
 * Write the RSDP (ACPI 2.0+) at LAYOUT_ACPI and after it, below the MP
 * table: the FACS, the XSDT, the FADT (PM1a blocks at the ports of
 * kdom/abi.h, the SCI, a fixed-hardware power button, reset through port
 * 0xCF9), the MADT (a local APIC per vCPU as the MP table numbers them,
 * the IOAPIC, the overrides of IRQ 0 to pin 2 and of the SCI, LINT1 NMI)
 * and the DSDT (\_S5 and the PCI host bridge with its _CRS and _PRT).
 * 0 with *rsdp (its guest-physical address), or -EINVAL / -E2BIG / -EFAULT.
 */
int acpi_write(const struct guest_mem *mem, const struct acpi_platform *platform, uint64_t *rsdp);

#endif

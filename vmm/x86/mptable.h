/* The Intel MultiProcessor table guests read to find their CPUs and interrupt routing. */
#ifndef KDOM_MPTABLE_H
#define KDOM_MPTABLE_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/guest-mem.h"

#define MPTABLE_INTX_MAX 32 /* one per slot of PCI bus 0 */

/* One PCI device's INTx as the MP table routes it: slot, pin (1 = INTA) and GSI. */
struct mptable_intx {
	uint8_t slot, pin;
	uint32_t gsi;
};

/* PCI bus 0 as the MP table describes it. */
struct mptable_pci {
	unsigned int nr_intx;
	struct mptable_intx intx[MPTABLE_INTX_MAX];
};

/*
 * Write an MP floating pointer and configuration table (spec 1.4) at
 * LAYOUT_MPTABLE: one processor entry per vCPU (APIC ID = vCPU index, the
 * first is the boot processor), the PCI bus (ID 0, when pci is not NULL)
 * and the ISA bus (ID 1), the IOAPIC, the ISA IRQ routing of KVM's
 * in-kernel irqchip and one entry per INTx route in pci.  0 or -errno.
 */
int mptable_write(const struct guest_mem *mem, unsigned int nr_vcpus,
		  const struct mptable_pci *pci);

#endif

/* The Intel MultiProcessor table guests read to find their CPUs and interrupt routing. */
#ifndef KDOM_MPTABLE_H
#define KDOM_MPTABLE_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/guest-mem.h"
#include "vmm/irq.h"

/*
 * Write an MP floating pointer and configuration table (spec 1.4) at
 * LAYOUT_MPTABLE: one processor entry per vCPU (APIC ID = vCPU index, the
 * first is the boot processor), the PCI bus (ID 0, when pci is not NULL)
 * and the ISA bus (ID 1), the IOAPIC, the ISA IRQ routing of KVM's
 * in-kernel irqchip and one entry per INTx route in pci.  0 or -errno.
 */
int mptable_write(const struct guest_mem *mem, unsigned int nr_vcpus,
		  const struct irq_intx_routes *pci);

#endif

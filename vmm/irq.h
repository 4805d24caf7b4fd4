/* Interrupt routing beyond the legacy lines: MSI routes (KVM GSI routing) and irqfds. */
#ifndef KDOM_IRQ_H
#define KDOM_IRQ_H

#include <stdbool.h>
#include <stdint.h>

struct vm;

/* The GSIs MSI routes are allocated from (24 IOAPIC pins below). */
#define IRQ_MSI_GSI_BASE 24
#define IRQ_MSI_GSIS 232

/*
 * Route a new GSI to the MSI (address, data) and install the whole table
 * (KVM_SET_GSI_ROUTING replaces it: the IOAPIC and PIC entries are kept as
 * KVM's defaults have them).  0 with *gsi, or -ENOSPC / -errno.
 */
int irq_msi_route_add(struct vm *vm, uint64_t address, uint32_t data, uint32_t *gsi);
/* Change a route's message (the guest reprogrammed the vector).  0 or -errno. */
int irq_msi_route_update(struct vm *vm, uint32_t gsi, uint64_t address, uint32_t data);
int irq_msi_route_remove(struct vm *vm, uint32_t gsi);

/*
 * KVM_IRQFD: a write to fd raises gsi.  resample_fd >= 0 makes it level
 * triggered (KVM signals resample_fd at the EOI: VFIO's INTx unmask).
 * 0 or -errno.
 */
int irq_irqfd_assign(struct vm *vm, int fd, uint32_t gsi, int resample_fd);
int irq_irqfd_deassign(struct vm *vm, int fd, uint32_t gsi);

#endif

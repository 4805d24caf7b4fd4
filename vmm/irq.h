/* Interrupt routing beyond the legacy lines: MSI routes (KVM GSI routing) and irqfds. */
#ifndef KDOM_IRQ_H
#define KDOM_IRQ_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct vm;
struct kvm_irq_routing;

/* The GSIs MSI routes are allocated from (24 IOAPIC pins below). */
#define IRQ_MSI_GSI_BASE 24
#define IRQ_MSI_GSIS 232

#define IRQ_INTX_ROUTES_MAX 32 /* one per slot of PCI bus 0 */

/* One PCI device's INTx line: slot, pin (1 = INTA) and the GSI it raises. */
struct irq_intx_route {
	uint8_t slot, pin;
	uint32_t gsi;
};

/* PCI bus 0's INTx routes: what the bus reports, what the MP table describes. */
struct irq_intx_routes {
	unsigned int nr_intx;
	struct irq_intx_route intx[IRQ_INTX_ROUTES_MAX];
};

/* KVM's default routes: GSIs 0-23 to the IOAPIC pins, 0-15 also to the PICs. */
#define IRQ_DEFAULT_ROUTES (24 - 1 + 16) /* IOAPIC pins but 2 (IRQ 0 sits there), PIC pins */

struct irq_msi_route {
	bool used;
	uint64_t address;
	uint32_t data;
};

/* A VM's GSI routing (struct vm's irq): the MSI routes; the defaults are implied. */
struct irq_routing {
	pthread_mutex_t lock;
	struct irq_msi_route msi[IRQ_MSI_GSIS]; /* msi[i] is GSI IRQ_MSI_GSI_BASE + i */
	unsigned int budget;			/* routes the domain may hold; 0: IRQ_MSI_GSIS */
	unsigned int used;
	bool budget_told; /* the log said once that the budget is spent */
};

/*
 * The whole table KVM_SET_GSI_ROUTING takes: KVM's default entries,
 * exactly as the kernel's kvm_setup_default_irq_routing() installs them,
 * then one MSI entry per used route.  Allocated (free() it); NULL when
 * out of memory.  Pure: no KVM needed.
 */
struct kvm_irq_routing *irq_routing_build(const struct irq_msi_route msi[IRQ_MSI_GSIS]);

/*
 * Route a new GSI to the MSI (address, data) and install the whole table
 * (KVM_SET_GSI_ROUTING replaces it: the IOAPIC and PIC entries are kept as
 * KVM's defaults have them).  0 with *gsi, or -ENOSPC / -errno.
 */
/*
 * A new MSI route: 0 and *gsi, or -ENOSPC when the domain's budget
 * (irq_set_budget()) or the table is spent (the first refusal is logged,
 * naming the budget), or -errno from KVM.
 */
int irq_msi_route_add(struct vm *vm, uint64_t address, uint32_t data, uint32_t *gsi);

/* The MSI routes vm's domain may hold at once (policy_irq_budget()); 0: no limit but the table. */
void irq_set_budget(struct vm *vm, unsigned int routes);
/* Change a route's message (the guest reprogrammed the vector).  0 or -errno. */
int irq_msi_route_update(struct vm *vm, uint32_t gsi, uint64_t address, uint32_t data);
int irq_msi_route_remove(struct vm *vm, uint32_t gsi);

/* Install the legacy routes at VM creation (IRQ 0 to IOAPIC pin 2).  0 or -errno. */
int irq_routing_init(struct vm *vm);

/*
 * KVM_IRQFD: a write to fd raises gsi.  resample_fd >= 0 makes it level
 * triggered (KVM signals resample_fd at the EOI: VFIO's INTx unmask).
 * 0 or -errno.
 */
int irq_irqfd_assign(struct vm *vm, int fd, uint32_t gsi, int resample_fd);
int irq_irqfd_deassign(struct vm *vm, int fd, uint32_t gsi);

#endif

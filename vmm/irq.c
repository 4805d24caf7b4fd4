/* GSI routing (KVM's legacy defaults plus MSI routes, installed whole) and irqfds. */
#include "vmm/irq.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vmm/log.h"
#include "vmm/vm.h"

#define IRQ_LEGACY_GSIS 24 /* the IOAPIC's pins */
#define IRQ_PIC_GSIS 16	   /* the two PICs' pins */

struct kvm_irq_routing *irq_routing_build(const struct irq_msi_route msi[IRQ_MSI_GSIS])
{
	size_t max = IRQ_DEFAULT_ROUTES + IRQ_MSI_GSIS;
	struct kvm_irq_routing *table;
	struct kvm_irq_routing_entry *entry;

	table = calloc(1, sizeof(*table) + max * sizeof(table->entries[0]));
	if (!table)
		return NULL;
	entry = table->entries;
	/*
	 * KVM_SET_GSI_ROUTING replaces KVM's own table, so the legacy lines
	 * keep working only if the new one repeats it: the kernel's
	 * default_routing[] (arch/x86/kvm/irq_comm.c, later irq.c) routes
	 * GSI n to IOAPIC pin n and, for n < 16, also to pin n % 8 of the
	 * master (n < 8) or slave PIC, GSI 2 included.  One change, as QEMU
	 * makes it and as kdom's MP table says: ISA IRQ 0 (the PIT, GSI 0)
	 * reaches IOAPIC pin 2, the interrupt source override every PC
	 * firmware describes; pin 0 carries nothing (the PIC's ExtINT is LINT0's
	 * business).  Found by the irq guest: with KVM's own table IRQ 0
	 * arrived on pin 0 while the MP table sent guests to pin 2.
	 */
	for (uint32_t gsi = 0; gsi < IRQ_LEGACY_GSIS; gsi++) {
		if (gsi != 2)
			*entry++ = (struct kvm_irq_routing_entry){
				.gsi = gsi,
				.type = KVM_IRQ_ROUTING_IRQCHIP,
				.u.irqchip = { .irqchip = KVM_IRQCHIP_IOAPIC,
					       .pin = gsi == 0 ? 2 : gsi },
			};
		if (gsi >= IRQ_PIC_GSIS)
			continue;
		*entry++ = (struct kvm_irq_routing_entry){
			.gsi = gsi,
			.type = KVM_IRQ_ROUTING_IRQCHIP,
			.u.irqchip = { .irqchip = gsi < 8 ? KVM_IRQCHIP_PIC_MASTER
							  : KVM_IRQCHIP_PIC_SLAVE,
				       .pin = gsi % 8 },
		};
	}
	for (uint32_t i = 0; i < IRQ_MSI_GSIS; i++) {
		if (!msi[i].used)
			continue;
		*entry++ = (struct kvm_irq_routing_entry){
			.gsi = IRQ_MSI_GSI_BASE + i,
			.type = KVM_IRQ_ROUTING_MSI,
			.u.msi = { .address_lo = (uint32_t)msi[i].address,
				   .address_hi = (uint32_t)(msi[i].address >> 32),
				   .data = msi[i].data },
		};
	}
	table->nr = entry - table->entries;
	return table;
}

/* Hand KVM the whole table.  Called with the routing lock held. */
static int irq_routing_install(struct vm *vm)
{
	struct kvm_irq_routing *table = irq_routing_build(vm->irq.msi);
	int ret = 0;

	if (!table)
		return -ENOMEM;
	if (ioctl(vm->vm_fd, KVM_SET_GSI_ROUTING, table) < 0) {
		ret = -errno;
		log_error("KVM_SET_GSI_ROUTING (%u entries): %s", table->nr, strerror(errno));
	}
	free(table);
	return ret;
}

int irq_routing_init(struct vm *vm)
{
	int ret;

	pthread_mutex_lock(&vm->irq.lock);
	ret = irq_routing_install(vm);
	pthread_mutex_unlock(&vm->irq.lock);
	return ret;
}

int irq_msi_route_add(struct vm *vm, uint64_t address, uint32_t data, uint32_t *gsi)
{
	struct irq_msi_route *route = NULL;
	int ret;

	pthread_mutex_lock(&vm->irq.lock);
	if (vm->irq.budget && vm->irq.used >= vm->irq.budget) {
		if (!vm->irq.budget_told)
			log_warn(
				"domain %u (%s) holds its interrupt budget of %u MSI/MSI-X routes "
				"(host keys hwdom_irq_budget, domain_irq_budget): a further vector "
				"is not delivered",
				vm->domain->domid, vm->domain->name, vm->irq.budget);
		vm->irq.budget_told = true;
		ret = -ENOSPC;
		goto out;
	}
	for (unsigned int i = 0; i < IRQ_MSI_GSIS && !route; i++)
		if (!vm->irq.msi[i].used)
			route = &vm->irq.msi[i];
	if (!route) {
		ret = -ENOSPC;
		goto out;
	}
	*route = (struct irq_msi_route){ .used = true, .address = address, .data = data };
	ret = irq_routing_install(vm);
	if (ret) {
		route->used = false;
	} else {
		*gsi = IRQ_MSI_GSI_BASE + (route - vm->irq.msi);
		vm->irq.used++;
	}
out:
	pthread_mutex_unlock(&vm->irq.lock);
	return ret;
}

/* The route behind an MSI GSI, or NULL.  Called with the routing lock held. */
static struct irq_msi_route *irq_msi_route(struct vm *vm, uint32_t gsi)
{
	if (gsi < IRQ_MSI_GSI_BASE || gsi - IRQ_MSI_GSI_BASE >= IRQ_MSI_GSIS)
		return NULL;
	if (!vm->irq.msi[gsi - IRQ_MSI_GSI_BASE].used)
		return NULL;
	return &vm->irq.msi[gsi - IRQ_MSI_GSI_BASE];
}

int irq_msi_route_update(struct vm *vm, uint32_t gsi, uint64_t address, uint32_t data)
{
	struct irq_msi_route *route, old;
	int ret = -ENOENT;

	pthread_mutex_lock(&vm->irq.lock);
	route = irq_msi_route(vm, gsi);
	if (route) {
		old = *route;
		route->address = address;
		route->data = data;
		ret = irq_routing_install(vm);
		if (ret)
			*route = old;
	}
	pthread_mutex_unlock(&vm->irq.lock);
	return ret;
}

int irq_msi_route_remove(struct vm *vm, uint32_t gsi)
{
	struct irq_msi_route *route;
	int ret = -ENOENT;

	pthread_mutex_lock(&vm->irq.lock);
	route = irq_msi_route(vm, gsi);
	if (route) {
		route->used = false;
		ret = irq_routing_install(vm);
		if (ret)
			route->used = true;
		else
			vm->irq.used--;
	}
	pthread_mutex_unlock(&vm->irq.lock);
	return ret;
}

void irq_set_budget(struct vm *vm, unsigned int routes)
{
	pthread_mutex_lock(&vm->irq.lock);
	vm->irq.budget = routes;
	pthread_mutex_unlock(&vm->irq.lock);
}

int irq_irqfd_assign(struct vm *vm, int fd, uint32_t gsi, int resample_fd)
{
	struct kvm_irqfd irqfd = { .fd = fd, .gsi = gsi };

	if (resample_fd >= 0) {
		irqfd.flags = KVM_IRQFD_FLAG_RESAMPLE;
		irqfd.resamplefd = resample_fd;
	}
	if (ioctl(vm->vm_fd, KVM_IRQFD, &irqfd) < 0) {
		int saved = errno;

		log_error("KVM_IRQFD (GSI %u%s): %s", gsi, resample_fd >= 0 ? ", resample" : "",
			  strerror(saved));
		return -saved;
	}
	return 0;
}

int irq_irqfd_deassign(struct vm *vm, int fd, uint32_t gsi)
{
	struct kvm_irqfd irqfd = { .fd = fd, .gsi = gsi, .flags = KVM_IRQFD_FLAG_DEASSIGN };

	if (ioctl(vm->vm_fd, KVM_IRQFD, &irqfd) < 0)
		return -errno;
	return 0;
}

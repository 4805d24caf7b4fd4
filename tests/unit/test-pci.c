/* Unit tests of the PCI host bridge, bus 0's slots and windows, GSI routing and the MP table's PCI entries. */
#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devices/pci.h"
#include "kdom/abi.h"
#include "tests/unit/fake-vm.h"
#include "tests/unit/unit.h"
#include "vmm/irq.h"
#include "vmm/vm.h"
#include "vmm/x86/layout.h"
#include "vmm/x86/mptable.h"

#define CF8 0xcf8
#define CFC 0xcfc

static uint32_t cfg_address(unsigned int slot, unsigned int offset)
{
	return 0x80000000u | slot << 11 | (offset & 0xfc);
}

/* A mechanism #1 read of len bytes at offset of bus 0, slot, function 0. */
static uint32_t cfg_read(struct vm *vm, unsigned int slot, unsigned int offset, uint32_t len)
{
	fake_vm_port_out(vm, CF8, 4, cfg_address(slot, offset));
	return fake_vm_port_in(vm, CFC + (offset & 3), len);
}

static void cfg_write(struct vm *vm, unsigned int slot, unsigned int offset, uint32_t len,
		      uint32_t value)
{
	fake_vm_port_out(vm, CF8, 4, cfg_address(slot, offset));
	fake_vm_port_out(vm, CFC + (offset & 3), len, value);
}

/* A device that records the last access it saw and answers reads with a pattern. */
struct probe {
	struct pci_device dev;
	uint32_t offset, len, value;
	bool wrote;
};

static uint32_t probe_cfg_read(struct pci_device *dev, uint32_t offset, uint32_t len)
{
	struct probe *p = dev->opaque;

	p->offset = offset;
	p->len = len;
	p->wrote = false;
	return 0xa0b0c0d0u >> (8 * (4 - len)) | offset;
}

static void probe_cfg_write(struct pci_device *dev, uint32_t offset, uint32_t len, uint32_t value)
{
	struct probe *p = dev->opaque;

	p->offset = offset;
	p->len = len;
	p->value = value;
	p->wrote = true;
}

static const struct pci_device_ops probe_ops = {
	.cfg_read = probe_cfg_read,
	.cfg_write = probe_cfg_write,
};

static void probe_init(struct probe *p, uint8_t pin)
{
	memset(p, 0, sizeof(*p));
	p->dev.ops = &probe_ops;
	p->dev.opaque = p;
	p->dev.name = "probe";
	p->dev.intx_pin = pin;
}

START_TEST(test_cf9_reset_register)
{
	struct vm vm;
	struct domain domain;
	struct pci_bus pci;

	fake_vm_init(&vm, &domain);
	ck_assert_int_eq(pci_bus_create(&pci, &vm), 0);

	/* As port 0xCF9 always behaved: bit 2 resets, the rest is kept without it. */
	fake_vm_port_out(&vm, KDOM_PORT_RESET_CF9, 1, 0x02);
	ck_assert_uint_eq(fake_vm_port_in(&vm, KDOM_PORT_RESET_CF9, 1), 0x02);
	ck_assert_int_eq(vm.outcome.reason, VM_STOP_NONE);
	fake_vm_port_out(&vm, KDOM_PORT_RESET_CF9, 2, 0x0606); /* not a byte: not the register */
	ck_assert_uint_eq(fake_vm_port_in(&vm, KDOM_PORT_RESET_CF9, 2), 0xffff);
	ck_assert_int_eq(vm.outcome.reason, VM_STOP_NONE);
	/* The address register's byte lanes are not the reset register either. */
	fake_vm_port_out(&vm, CF8, 4, 0x80000000);
	ck_assert_uint_eq(fake_vm_port_in(&vm, CF8, 4), 0x80000000);
	ck_assert_int_eq(vm.outcome.reason, VM_STOP_NONE);

	fake_vm_port_out(&vm, KDOM_PORT_RESET_CF9, 1, 0x02 | KDOM_CF9_RESET_CPU);
	ck_assert_int_eq(vm.outcome.reason, VM_STOP_REBOOT);
	ck_assert_ptr_nonnull(strstr(vm.outcome.message, "0xcf9"));
	ck_assert_int_eq(vm_outcome_exit_code(&vm.outcome), KDOM_EXIT_REBOOT);
	ck_assert_uint_eq(fake_vm_port_in(&vm, KDOM_PORT_RESET_CF9, 1), 0x02);

	/* A reset written alone (bit 2 without bit 1) resets too, as before. */
	vm.outcome.reason = VM_STOP_NONE;
	fake_vm_port_out(&vm, KDOM_PORT_RESET_CF9, 1, KDOM_CF9_RESET_CPU);
	ck_assert_int_eq(vm.outcome.reason, VM_STOP_REBOOT);
	ck_assert_uint_eq(fake_vm_port_in(&vm, KDOM_PORT_RESET_CF9, 1), 0x00);

	pci_bus_destroy(&pci);
	pci_bus_destroy(&pci); /* a second time does nothing */
	fake_vm_destroy(&vm);
}
END_TEST

START_TEST(test_mechanism1_decoding)
{
	struct vm vm;
	struct domain domain;
	struct pci_bus pci;

	fake_vm_init(&vm, &domain);
	ck_assert_int_eq(pci_bus_create(&pci, &vm), 0);

	/* Linux's probe: the address register reads back what was written. */
	fake_vm_port_out(&vm, CF8, 4, 0x80000000);
	ck_assert_uint_eq(fake_vm_port_in(&vm, CF8, 4), 0x80000000);
	/* Reserved bits 30:28 and bits 1:0 read as zero. */
	fake_vm_port_out(&vm, CF8, 4, 0xf0000003);
	ck_assert_uint_eq(fake_vm_port_in(&vm, CF8, 4), 0x80000000);
	/* Byte and word accesses do not reach the address register. */
	fake_vm_port_out(&vm, CF8 + 3, 1, 0x01);
	fake_vm_port_out(&vm, CF8, 2, 0x1234);
	ck_assert_uint_eq(fake_vm_port_in(&vm, CF8, 4), 0x80000000);
	ck_assert_uint_eq(fake_vm_port_in(&vm, CF8, 2), 0xffff);
	ck_assert_uint_eq(fake_vm_port_in(&vm, CF8 + 2, 1), 0xff);

	/* The data port's byte lanes select the register's bytes. */
	ck_assert_uint_eq(fake_vm_port_in(&vm, CFC, 4), 0x12378086);
	ck_assert_uint_eq(fake_vm_port_in(&vm, CFC, 1), 0x86);
	ck_assert_uint_eq(fake_vm_port_in(&vm, CFC + 1, 1), 0x80);
	ck_assert_uint_eq(fake_vm_port_in(&vm, CFC + 2, 1), 0x37);
	ck_assert_uint_eq(fake_vm_port_in(&vm, CFC + 3, 1), 0x12);
	ck_assert_uint_eq(fake_vm_port_in(&vm, CFC, 2), 0x8086);
	ck_assert_uint_eq(fake_vm_port_in(&vm, CFC + 2, 2), 0x1237);
	/* A misaligned word, and accesses past 0xCFF, reach nothing. */
	ck_assert_uint_eq(fake_vm_port_in(&vm, CFC + 1, 2), 0xffff);
	ck_assert_uint_eq(fake_vm_port_in(&vm, CFC + 3, 2), 0xffff);
	ck_assert_uint_eq(fake_vm_port_in(&vm, CFC + 2, 4), 0xffffffff);

	/* The register field counts dwords; the class dword and header bytes. */
	ck_assert_uint_eq(cfg_read(&vm, 0, 0x08, 4), 0x06000002);
	ck_assert_uint_eq(cfg_read(&vm, 0, 0x0b, 1), 0x06);
	ck_assert_uint_eq(cfg_read(&vm, 0, 0x0a, 2), 0x0600);
	ck_assert_uint_eq(cfg_read(&vm, 0, 0x0e, 1), 0x00);

	/* Enable bit clear: reads are all ones and writes go nowhere. */
	fake_vm_port_out(&vm, CF8, 4, 0x0000000c);
	ck_assert_uint_eq(fake_vm_port_in(&vm, CFC, 4), 0xffffffff);
	fake_vm_port_out(&vm, CFC + 1, 1, 0x40); /* the latency timer, were it enabled */
	ck_assert_uint_eq(cfg_read(&vm, 0, 0x0d, 1), 0x00);

	/* Bus 1, function 1 and the extended-register bits reach nothing. */
	fake_vm_port_out(&vm, CF8, 4, 0x80010000);
	ck_assert_uint_eq(fake_vm_port_in(&vm, CFC, 4), 0xffffffff);
	fake_vm_port_out(&vm, CF8, 4, 0x80000100);
	ck_assert_uint_eq(fake_vm_port_in(&vm, CFC, 4), 0xffffffff);
	fake_vm_port_out(&vm, CF8, 4, 0x81000000);
	ck_assert_uint_eq(fake_vm_port_in(&vm, CFC, 4), 0xffffffff);
	fake_vm_port_out(&vm, CF8, 4, 0x8100000c);
	fake_vm_port_out(&vm, CFC + 1, 1, 0x40);
	ck_assert_uint_eq(cfg_read(&vm, 0, 0x0d, 1), 0x00);
	/* ... and the last register of bus 0 function 0 still answers. */
	ck_assert_uint_eq(cfg_read(&vm, 0, 0xfc, 4), 0x00000000);

	pci_bus_destroy(&pci);
	fake_vm_destroy(&vm);
}
END_TEST

START_TEST(test_absent_slots_read_all_ones)
{
	struct vm vm;
	struct domain domain;
	struct pci_bus pci;

	fake_vm_init(&vm, &domain);
	ck_assert_int_eq(pci_bus_create(&pci, &vm), 0);
	for (unsigned int slot = 1; slot < PCI_SLOTS; slot++) {
		ck_assert_uint_eq(cfg_read(&vm, slot, 0, 4), 0xffffffff);
		cfg_write(&vm, slot, 0x04, 2, 0x0007);
		ck_assert_uint_eq(cfg_read(&vm, slot, 0x04, 2), 0xffff);
		ck_assert_uint_eq(cfg_read(&vm, slot, 0x3d, 1), 0xff);
	}
	pci_bus_destroy(&pci);
	fake_vm_destroy(&vm);
}
END_TEST

START_TEST(test_host_bridge_read_only)
{
	struct vm vm;
	struct domain domain;
	struct pci_bus pci;
	uint8_t before[PCI_CONFIG_SIZE];

	fake_vm_init(&vm, &domain);
	ck_assert_int_eq(pci_bus_create(&pci, &vm), 0);
	for (unsigned int offset = 0; offset < PCI_CONFIG_SIZE; offset++)
		before[offset] = cfg_read(&vm, 0, offset, 1);

	/* All ones everywhere, in every width: only the writable fields change. */
	for (unsigned int offset = 0; offset < PCI_CONFIG_SIZE; offset += 4)
		cfg_write(&vm, 0, offset, 4, 0xffffffff);
	for (unsigned int offset = 0; offset < PCI_CONFIG_SIZE; offset += 2)
		cfg_write(&vm, 0, offset, 2, 0xffff);
	for (unsigned int offset = 0; offset < PCI_CONFIG_SIZE; offset++) {
		uint8_t now = cfg_read(&vm, 0, offset, 1);

		switch (offset) {
		case 0x04:
			ck_assert_uint_eq(now, 0x47);
			break;
		case 0x05:
			ck_assert_uint_eq(now, 0x01);
			break;
		case 0x0c:
		case 0x0d:
		case 0x3c:
			ck_assert_uint_eq(now, 0xff);
			break;
		default:
			ck_assert_msg(now == before[offset], "offset 0x%02x changed: %02x -> %02x",
				      offset, before[offset], now);
		}
	}
	ck_assert_uint_eq(cfg_read(&vm, 0, 0x00, 4), 0x12378086);
	ck_assert_uint_eq(cfg_read(&vm, 0, 0x10, 4), 0); /* no BARs */
	ck_assert_uint_eq(cfg_read(&vm, 0, 0x06, 2), 0); /* status: nothing to clear */
	ck_assert_uint_eq(cfg_read(&vm, 0, 0x3d, 1), 0); /* no INTx */

	cfg_write(&vm, 0, 0x04, 2, 0x0000);
	ck_assert_uint_eq(cfg_read(&vm, 0, 0x04, 2), 0x0000);
	cfg_write(&vm, 0, 0x3c, 1, 0x0b);
	ck_assert_uint_eq(cfg_read(&vm, 0, 0x3c, 4), 0x0000000b);
	pci_bus_destroy(&pci);
	fake_vm_destroy(&vm);
}
END_TEST

START_TEST(test_bus_add_slots_and_gsis)
{
	struct vm vm;
	struct domain domain;
	struct pci_bus pci;
	static struct probe probes[PCI_SLOTS + 1];
	struct probe bad;

	fake_vm_init(&vm, &domain);
	ck_assert_int_eq(pci_bus_create(&pci, &vm), 0);

	probe_init(&bad, 5);
	ck_assert_int_eq(pci_bus_add(&pci, &bad.dev), -EINVAL);
	probe_init(&bad, 1);
	bad.dev.ops = NULL;
	ck_assert_int_eq(pci_bus_add(&pci, &bad.dev), -EINVAL);

	for (unsigned int i = 1; i < PCI_SLOTS; i++) {
		uint8_t pin = i % 5; /* 0 (none), then INTA..INTD */

		probe_init(&probes[i], pin);
		ck_assert_int_eq(pci_bus_add(&pci, &probes[i].dev), 0);
		ck_assert_uint_eq(probes[i].dev.slot, i);
		ck_assert_ptr_eq(probes[i].dev.bus, &pci);
		if (pin)
			ck_assert_uint_eq(probes[i].dev.intx_gsi,
					  PCI_INTX_GSI_BASE + (i + pin - 1) % PCI_INTX_GSIS);
		else
			ck_assert_int_eq(pci_set_intx(&probes[i].dev, 1), -EINVAL);
	}
	/* The swizzle: slot 1 INTA is GSI 17, slot 3 INTC 21, slot 8 INTC wraps to 18. */
	ck_assert_uint_eq(probes[1].dev.intx_gsi, 17);
	ck_assert_uint_eq(probes[3].dev.intx_gsi, 21);
	ck_assert_uint_eq(probes[8].dev.intx_gsi, 18);
	probe_init(&probes[PCI_SLOTS], 1);
	ck_assert_int_eq(pci_bus_add(&pci, &probes[PCI_SLOTS].dev), -ENOSPC);

	/* Mechanism #1 reaches each device with the register offset and width. */
	ck_assert_uint_eq(cfg_read(&vm, 5, 0x40, 4), 0xa0b0c0d0 | 0x40);
	ck_assert_uint_eq(probes[5].offset, 0x40);
	ck_assert_uint_eq(probes[5].len, 4);
	ck_assert_uint_eq(cfg_read(&vm, 6, 0x42, 2), 0xa0b0 | 0x42);
	ck_assert_uint_eq(probes[6].offset, 0x42);
	ck_assert_uint_eq(probes[6].len, 2);
	cfg_write(&vm, 7, 0x13, 1, 0x5a);
	ck_assert(probes[7].wrote);
	ck_assert_uint_eq(probes[7].offset, 0x13);
	ck_assert_uint_eq(probes[7].len, 1);
	ck_assert_uint_eq(probes[7].value, 0x5a);
	cfg_write(&vm, 7, 0x10, 4, 0xfffff000);
	ck_assert_uint_eq(probes[7].value, 0xfffff000);
	ck_assert_uint_eq(probes[7].len, 4);
	/* A function other than 0 of a present slot is absent. */
	fake_vm_port_out(&vm, CF8, 4, cfg_address(5, 0) | 1 << 8);
	ck_assert_uint_eq(fake_vm_port_in(&vm, CFC, 4), 0xffffffff);

	pci_bus_destroy(&pci);
	fake_vm_destroy(&vm);
}
END_TEST

START_TEST(test_alloc_mmio_windows)
{
	struct vm vm;
	struct domain domain;
	struct pci_bus pci;
	uint64_t gpa;

	/* 64 MiB of RAM: the 64-bit window starts at 4 GiB. */
	fake_vm_init(&vm, &domain);
	vm.mem.size = vm.mem.low_size = 64ull << 20;
	ck_assert_int_eq(pci_bus_create(&pci, &vm), 0);
	ck_assert_uint_eq(pci.mmio64_base, 4ull << 30);
	ck_assert_uint_eq(pci.mmio64_end, (4ull << 30) + PCI_MMIO64_SIZE);

	ck_assert_int_eq(pci_bus_alloc_mmio(&pci, 0, false, &gpa), -EINVAL);
	ck_assert_int_eq(pci_bus_alloc_mmio(&pci, 3 << 12, false, &gpa), -EINVAL);
	ck_assert_int_eq(pci_bus_alloc_mmio(&pci, 4096, false, &gpa), 0);
	ck_assert_uint_eq(gpa, PCI_MMIO32_BASE);
	ck_assert_int_eq(pci_bus_alloc_mmio(&pci, 256, false, &gpa), 0); /* a page of its own */
	ck_assert_uint_eq(gpa, PCI_MMIO32_BASE + 0x1000);
	ck_assert_int_eq(pci_bus_alloc_mmio(&pci, 1 << 20, false, &gpa), 0);
	ck_assert_uint_eq(gpa, PCI_MMIO32_BASE + (1 << 20)); /* naturally aligned */
	ck_assert_int_eq(pci_bus_alloc_mmio(&pci, 256 << 20, false, &gpa), 0);
	ck_assert_uint_eq(gpa, 0xd0000000);
	ck_assert_int_eq(pci_bus_alloc_mmio(&pci, 512 << 20, false, &gpa), -ENOSPC);
	ck_assert_int_eq(pci_bus_alloc_mmio(&pci, 4ull << 30, false, &gpa), -ENOSPC);
	/* Failures use nothing up: the window fills exactly to the IOAPIC. */
	ck_assert_int_eq(pci_bus_alloc_mmio(&pci, 256 << 20, false, &gpa), 0);
	ck_assert_uint_eq(gpa, 0xe0000000);
	ck_assert_int_eq(pci_bus_alloc_mmio(&pci, 128 << 20, false, &gpa), 0);
	ck_assert_uint_eq(gpa, 0xf0000000);
	ck_assert_int_eq(pci_bus_alloc_mmio(&pci, 64 << 20, false, &gpa), 0);
	ck_assert_int_eq(pci_bus_alloc_mmio(&pci, 32 << 20, false, &gpa), 0);
	ck_assert_uint_eq(gpa, 0xfc000000);
	ck_assert_int_eq(pci_bus_alloc_mmio(&pci, 16 << 20, false, &gpa), -ENOSPC);
	ck_assert_int_eq(pci_bus_alloc_mmio(&pci, 8 << 20, false, &gpa), 0);
	ck_assert_int_eq(pci_bus_alloc_mmio(&pci, 4 << 20, false, &gpa), 0);
	ck_assert_uint_eq(gpa + (4 << 20), PCI_MMIO32_END);
	ck_assert_int_eq(pci_bus_alloc_mmio(&pci, 4096, false, &gpa), -ENOSPC);

	ck_assert_int_eq(pci_bus_alloc_mmio(&pci, 4096, true, &gpa), 0);
	ck_assert_uint_eq(gpa, 4ull << 30);
	ck_assert_int_eq(pci_bus_alloc_mmio(&pci, 64ull << 30, true, &gpa), -ENOSPC);
	pci_bus_destroy(&pci);

	/* RAM up to 5.5 GiB: the window starts at 6 GiB and ends 64 GiB later. */
	vm.mem.low_size = 3ull << 30;
	vm.mem.size = (3ull << 30) + (3ull << 29);
	ck_assert_int_eq(pci_bus_create(&pci, &vm), 0);
	ck_assert_uint_eq(pci.mmio64_base, 6ull << 30);
	ck_assert_int_eq(pci_bus_alloc_mmio(&pci, 1ull << 30, true, &gpa), 0);
	ck_assert_uint_eq(gpa, 6ull << 30);
	ck_assert_int_eq(pci_bus_alloc_mmio(&pci, 64ull << 30, true, &gpa), -ENOSPC);
	ck_assert_int_eq(pci_bus_alloc_mmio(&pci, 32ull << 30, true, &gpa), 0);
	ck_assert_uint_eq(gpa, 32ull << 30);
	ck_assert_int_eq(pci_bus_alloc_mmio(&pci, 4ull << 30, true, &gpa), 0);
	ck_assert_uint_eq(gpa, 64ull << 30);
	ck_assert_int_eq(pci_bus_alloc_mmio(&pci, 2ull << 30, true, &gpa), 0);
	ck_assert_uint_eq(gpa + (2ull << 30), 70ull << 30); /* exactly the end */
	ck_assert_int_eq(pci_bus_alloc_mmio(&pci, 4096, true, &gpa), -ENOSPC);
	/* The 32-bit window is independent of the 64-bit one. */
	ck_assert_int_eq(pci_bus_alloc_mmio(&pci, 4096, false, &gpa), 0);
	ck_assert_uint_eq(gpa, PCI_MMIO32_BASE);
	pci_bus_destroy(&pci);

	/* RAM ending on a 1 GiB boundary: the window starts right there. */
	vm.mem.size = (3ull << 30) + (1ull << 30);
	ck_assert_int_eq(pci_bus_create(&pci, &vm), 0);
	ck_assert_uint_eq(pci.mmio64_base, 5ull << 30);
	pci_bus_destroy(&pci);
	fake_vm_destroy(&vm);
}
END_TEST

START_TEST(test_routing_table_legacy_routes)
{
	struct irq_msi_route msi[IRQ_MSI_GSIS];
	struct kvm_irq_routing *table;
	unsigned int ioapic[24] = { 0 }, pic[16] = { 0 };

	memset(msi, 0, sizeof(msi));
	table = irq_routing_build(msi);
	ck_assert_ptr_nonnull(table);
	ck_assert_uint_eq(table->nr, IRQ_DEFAULT_ROUTES);
	ck_assert_uint_eq(table->flags, 0);
	for (unsigned int i = 0; i < table->nr; i++) {
		const struct kvm_irq_routing_entry *e = &table->entries[i];

		ck_assert_uint_eq(e->type, KVM_IRQ_ROUTING_IRQCHIP);
		ck_assert_uint_eq(e->flags, 0);
		ck_assert_uint_lt(e->gsi, 24);
		if (e->u.irqchip.irqchip == KVM_IRQCHIP_IOAPIC) {
			/* The ISA IRQ 0 override: GSI 0 (the PIT) on pin 2, as the MP table says. */
			ck_assert_uint_eq(e->u.irqchip.pin, e->gsi == 0 ? 2 : e->gsi);
			ck_assert_uint_ne(e->gsi, 2);
			ioapic[e->gsi]++;
		} else {
			/* As the kernel's table: GSI 2 keeps its PIC route too. */
			ck_assert_uint_lt(e->gsi, 16);
			ck_assert_uint_eq(e->u.irqchip.irqchip, e->gsi < 8 ? KVM_IRQCHIP_PIC_MASTER
									   : KVM_IRQCHIP_PIC_SLAVE);
			ck_assert_uint_eq(e->u.irqchip.pin, e->gsi % 8);
			pic[e->gsi]++;
		}
	}
	for (unsigned int gsi = 0; gsi < 24; gsi++)
		ck_assert_uint_eq(ioapic[gsi], gsi == 2 ? 0 : 1);
	for (unsigned int gsi = 0; gsi < 16; gsi++)
		ck_assert_uint_eq(pic[gsi], 1);
	free(table);

	/* MSI routes follow, one per used GSI, with the message split as KVM takes it. */
	msi[0] = (struct irq_msi_route){ .used = true, .address = 0xfee00000, .data = 0x4041 };
	msi[5] = (struct irq_msi_route){ .used = true,
					 .address = 0x1234fee01000ull,
					 .data = 0x0031 };
	msi[IRQ_MSI_GSIS - 1] = (struct irq_msi_route){ .used = true, .address = 0xfee00000 };
	table = irq_routing_build(msi);
	ck_assert_ptr_nonnull(table);
	ck_assert_uint_eq(table->nr, IRQ_DEFAULT_ROUTES + 3);
	const struct kvm_irq_routing_entry *e = &table->entries[IRQ_DEFAULT_ROUTES];

	ck_assert_uint_eq(e[0].type, KVM_IRQ_ROUTING_MSI);
	ck_assert_uint_eq(e[0].gsi, IRQ_MSI_GSI_BASE);
	ck_assert_uint_eq(e[0].u.msi.address_lo, 0xfee00000);
	ck_assert_uint_eq(e[0].u.msi.address_hi, 0);
	ck_assert_uint_eq(e[0].u.msi.data, 0x4041);
	ck_assert_uint_eq(e[1].gsi, IRQ_MSI_GSI_BASE + 5);
	ck_assert_uint_eq(e[1].u.msi.address_lo, 0xfee01000);
	ck_assert_uint_eq(e[1].u.msi.address_hi, 0x1234);
	ck_assert_uint_eq(e[1].u.msi.data, 0x31);
	ck_assert_uint_eq(e[2].gsi, 255);
	free(table);

	/* Every route in use still fits. */
	for (unsigned int i = 0; i < IRQ_MSI_GSIS; i++)
		msi[i].used = true;
	table = irq_routing_build(msi);
	ck_assert_ptr_nonnull(table);
	ck_assert_uint_eq(table->nr, IRQ_DEFAULT_ROUTES + IRQ_MSI_GSIS);
	free(table);
}
END_TEST

struct mp_seen {
	int pci_bus, isa_bus;
	unsigned int isa_irqs, pci_irqs;
	uint8_t pci_src[PCI_SLOTS], pci_dst[PCI_SLOTS], pci_flags[PCI_SLOTS];
};

/* Parse the table mptable_write() put in ram; checksums and length must hold. */
static void mp_parse(const uint8_t *ram, size_t size, struct mp_seen *seen)
{
	const uint8_t *fp = ram + LAYOUT_MPTABLE, *entry;
	uint32_t table;
	uint16_t length, count;
	uint8_t sum = 0;

	memset(seen, 0, sizeof(*seen));
	seen->pci_bus = seen->isa_bus = -1;
	ck_assert_mem_eq(fp, "_MP_", 4);
	memcpy(&table, fp + 4, 4);
	ck_assert_uint_lt(table + 44, size);
	ck_assert_mem_eq(ram + table, "PCMP", 4);
	memcpy(&length, ram + table + 4, 2);
	memcpy(&count, ram + table + 34, 2);
	for (unsigned int i = 0; i < length; i++)
		sum += ram[table + i];
	ck_assert_uint_eq(sum, 0);
	entry = ram + table + 44;
	for (unsigned int i = 0; i < count; i++) {
		switch (entry[0]) {
		case 0:
			entry += 20;
			continue;
		case 1:
			if (!memcmp(entry + 2, "PCI   ", 6))
				seen->pci_bus = entry[1];
			else if (!memcmp(entry + 2, "ISA   ", 6))
				seen->isa_bus = entry[1];
			break;
		case 3:
			/* Buses come before the interrupts that name them. */
			if (entry[4] == seen->isa_bus) {
				seen->isa_irqs++;
			} else {
				ck_assert_int_eq(entry[4], seen->pci_bus);
				ck_assert_uint_eq(entry[1], 0); /* INT */
				seen->pci_src[seen->pci_irqs] = entry[5];
				seen->pci_dst[seen->pci_irqs] = entry[7];
				seen->pci_flags[seen->pci_irqs] = entry[2];
				seen->pci_irqs++;
			}
			break;
		}
		entry += 8;
	}
	ck_assert_uint_eq(entry - (ram + table), length);
}

/* The bus's INTx routes, as the builder hands them to mptable_write(). */
static const struct irq_intx_routes *pci_routes(const struct pci_bus *bus)
{
	static struct irq_intx_routes routes;

	pci_bus_intx_routes(bus, &routes);
	return &routes;
}

/*
 * The interrupt budget refuses a route past it before KVM is asked (this
 * VM has none), and says so once; no budget leaves the table as the limit.
 */
START_TEST(test_irq_budget_refuses)
{
	struct vm vm;
	struct domain domain;
	struct capture cap;
	char log[512];
	uint32_t gsi = 0;

	domain_init(&domain, 6, "budgeted", 0);
	fake_vm_init(&vm, &domain);
	irq_set_budget(&vm, 2);
	vm.irq.used = 2; /* two routes held */
	capture_begin(&cap);
	ck_assert_int_eq(irq_msi_route_add(&vm, 0xfee00000, 0x41, &gsi), -ENOSPC);
	ck_assert_int_eq(irq_msi_route_add(&vm, 0xfee00000, 0x42, &gsi), -ENOSPC);
	ck_assert_int_eq(capture_end(&cap, log, sizeof(log)), 1);
	ck_assert_ptr_nonnull(strstr(log, "domain 6 (budgeted) holds its interrupt budget of 2"));
	ck_assert_uint_eq(gsi, 0);
	fake_vm_destroy(&vm);
}
END_TEST

START_TEST(test_mptable_pci_entries)
{
	size_t size = 2 << 20;
	uint8_t *ram = calloc(1, size);
	static struct probe probes[PCI_SLOTS];
	struct mp_seen seen;
	struct domain domain;
	struct pci_bus pci;
	struct vm vm;

	fake_vm_init(&vm, &domain);
	gmem_wrap(&vm.mem, ram, size);
	ck_assert_int_eq(pci_bus_create(&pci, &vm), 0);

	/* Without devices: the PCI bus (ID 0, as Linux matches it) and no PCI interrupts. */
	ck_assert_int_eq(mptable_write(&vm.mem, 2, pci_routes(&pci)), 0);
	mp_parse(ram, size, &seen);
	ck_assert_int_eq(seen.pci_bus, 0);
	ck_assert_int_eq(seen.isa_bus, 1);
	ck_assert_uint_eq(seen.isa_irqs, 16);
	ck_assert_uint_eq(seen.pci_irqs, 0);

	/* Without a bus (the unit tests' old callers): no PCI bus entry at all. */
	ck_assert_int_eq(mptable_write(&vm.mem, 1, NULL), 0);
	mp_parse(ram, size, &seen);
	ck_assert_int_eq(seen.pci_bus, -1);
	ck_assert_int_eq(seen.isa_bus, 1);

	/* Slots 1-3 with INTA, INTB and INTD, slot 4 with no INTx. */
	const uint8_t pins[] = { 1, 2, 4, 0 };
	for (unsigned int i = 0; i < 4; i++) {
		probe_init(&probes[i], pins[i]);
		ck_assert_int_eq(pci_bus_add(&pci, &probes[i].dev), 0);
	}
	ck_assert_int_eq(mptable_write(&vm.mem, DOMAIN_VCPUS_MAX, pci_routes(&pci)), 0);
	mp_parse(ram, size, &seen);
	ck_assert_uint_eq(seen.pci_irqs, 3);
	for (unsigned int i = 0; i < 3; i++) {
		const struct pci_device *dev = &probes[i].dev;

		ck_assert_uint_eq(seen.pci_src[i], dev->slot << 2 | (dev->intx_pin - 1));
		ck_assert_uint_eq(seen.pci_dst[i], dev->intx_gsi);
		ck_assert_uint_eq(seen.pci_flags[i], 0x0f); /* level, active low */
	}
	ck_assert_uint_eq(seen.pci_src[1], 2 << 2 | 1);
	ck_assert_uint_eq(seen.pci_dst[1], 16 + (2 + 2 - 1) % 8);

	/* A full bus fits in the table. */
	for (unsigned int i = 4; i < PCI_SLOTS - 1; i++) {
		probe_init(&probes[i], 1 + i % 4);
		ck_assert_int_eq(pci_bus_add(&pci, &probes[i].dev), 0);
	}
	ck_assert_int_eq(mptable_write(&vm.mem, DOMAIN_VCPUS_MAX, pci_routes(&pci)), 0);
	mp_parse(ram, size, &seen);
	ck_assert_uint_eq(seen.pci_irqs, PCI_SLOTS - 2); /* all but slot 0 and slot 4 */

	pci_bus_destroy(&pci);
	fake_vm_destroy(&vm);
	free(ram);
}
END_TEST

Suite *pci_suite(void)
{
	Suite *suite = suite_create("pci");
	TCase *tc = tcase_create("bus 0");

	tcase_add_test(tc, test_cf9_reset_register);
	tcase_add_test(tc, test_mechanism1_decoding);
	tcase_add_test(tc, test_absent_slots_read_all_ones);
	tcase_add_test(tc, test_host_bridge_read_only);
	tcase_add_test(tc, test_bus_add_slots_and_gsis);
	tcase_add_test(tc, test_alloc_mmio_windows);
	tcase_add_test(tc, test_routing_table_legacy_routes);
	tcase_add_test(tc, test_mptable_pci_entries);
	tcase_add_test(tc, test_irq_budget_refuses);
	suite_add_tcase(suite, tc);
	return suite;
}

/* MP table (Intel MultiProcessor Specification 1.4) construction. */
#include "vmm/x86/mptable.h"

#include <errno.h>
#include <string.h>

#include "kdom/abi.h"
#include "vmm/x86/layout.h"

struct mp_floating_pointer {
	char signature[4]; /* "_MP_" */
	uint32_t config_table;
	uint8_t length; /* in 16-byte units */
	uint8_t spec_rev;
	uint8_t checksum;
	uint8_t features[5];
} __attribute__((packed));

struct mp_config_header {
	char signature[4]; /* "PCMP" */
	uint16_t base_length;
	uint8_t spec_rev;
	uint8_t checksum;
	char oem_id[8];
	char product_id[12];
	uint32_t oem_table;
	uint16_t oem_table_size;
	uint16_t entry_count;
	uint32_t lapic_address;
	uint16_t ext_length;
	uint8_t ext_checksum;
	uint8_t reserved;
} __attribute__((packed));

struct mp_processor {
	uint8_t type; /* 0 */
	uint8_t lapic_id;
	uint8_t lapic_version;
	uint8_t flags;
	uint32_t signature;
	uint32_t features;
	uint32_t reserved[2];
} __attribute__((packed));

struct mp_bus {
	uint8_t type; /* 1 */
	uint8_t bus_id;
	char bus_type[6];
} __attribute__((packed));

struct mp_ioapic {
	uint8_t type; /* 2 */
	uint8_t id;
	uint8_t version;
	uint8_t flags;
	uint32_t address;
} __attribute__((packed));

struct mp_interrupt {
	uint8_t type; /* 3: I/O interrupt, 4: local interrupt */
	uint8_t irq_type;
	uint16_t flags;
	uint8_t src_bus;
	uint8_t src_irq;
	uint8_t dst_id;
	uint8_t dst_pin;
} __attribute__((packed));

_Static_assert(sizeof(struct mp_floating_pointer) == 16, "MP floating pointer");
_Static_assert(sizeof(struct mp_config_header) == 44, "MP config header");
_Static_assert(sizeof(struct mp_processor) == 20, "MP processor entry");
_Static_assert(sizeof(struct mp_bus) == 8, "MP bus entry");
_Static_assert(sizeof(struct mp_ioapic) == 8, "MP IOAPIC entry");
_Static_assert(sizeof(struct mp_interrupt) == 8, "MP interrupt entry");

#define MP_CPU_ENABLED 0x01
#define MP_CPU_BOOT 0x02
#define MP_IRQ_INT 0
#define MP_IRQ_NMI 1
#define MP_IRQ_EXTINT 3
#define MP_ISA_IRQS 16
#define MP_IRQ_FLAGS_PCI 0x0f /* polarity 3 (active low), trigger 3 (level): MP spec 1.4 */
#define MP_LAPIC_VERSION 0x14
#define MP_IOAPIC_VERSION 0x11

#define MP_TABLE_MAX                                                                \
	(sizeof(struct mp_floating_pointer) + sizeof(struct mp_config_header) +     \
	 VM_MAX_MP_CPUS * sizeof(struct mp_processor) + 2 * sizeof(struct mp_bus) + \
	 sizeof(struct mp_ioapic) +                                                 \
	 (MP_ISA_IRQS + IRQ_INTX_ROUTES_MAX + 2) * sizeof(struct mp_interrupt))
#define VM_MAX_MP_CPUS 254

/*
 * Bus IDs.  Linux matches a PCI device's interrupt entries by comparing
 * the entry's source bus ID with the device's PCI bus number
 * (IO_APIC_get_PCI_irq_vector()), so the PCI bus must be ID 0; the ISA bus
 * takes the next one, as SeaBIOS numbers them (PCI buses first).
 */
#define MP_BUS_PCI 0
#define MP_BUS_ISA 1

static uint8_t mp_checksum(const void *data, size_t len)
{
	const uint8_t *bytes = data;
	uint8_t sum = 0;

	while (len--)
		sum += *bytes++;
	return (uint8_t)-sum;
}

static uint8_t *mp_add_bus(uint8_t *cursor, uint8_t id, const char type[6])
{
	struct mp_bus *bus = (void *)cursor;

	bus->type = 1;
	bus->bus_id = id;
	memcpy(bus->bus_type, type, 6);
	return cursor + sizeof(*bus);
}

static uint8_t *mp_add_interrupt(uint8_t *cursor, uint8_t irq_type, uint16_t flags, uint8_t src_bus,
				 uint8_t src_irq, uint8_t dst_id, uint8_t dst_pin)
{
	struct mp_interrupt *intr = (void *)cursor;

	intr->type = 3;
	intr->irq_type = irq_type;
	intr->flags = flags;
	intr->src_bus = src_bus;
	intr->src_irq = src_irq;
	intr->dst_id = dst_id;
	intr->dst_pin = dst_pin;
	return cursor + sizeof(*intr);
}

static uint8_t *mp_add_processor(uint8_t *cursor, unsigned int cpu)
{
	struct mp_processor *proc = (void *)cursor;

	proc->type = 0;
	proc->lapic_id = cpu;
	proc->lapic_version = MP_LAPIC_VERSION;
	proc->flags = MP_CPU_ENABLED | (cpu == 0 ? MP_CPU_BOOT : 0);
	proc->signature = 0x600; /* family 6: only a hint for old kernels */
	proc->features = 0x201;	 /* FPU, APIC */
	return cursor + sizeof(*proc);
}

static uint8_t *mp_add_ioapic(uint8_t *cursor, uint8_t id)
{
	struct mp_ioapic *ioapic = (void *)cursor;

	ioapic->type = 2;
	ioapic->id = id;
	ioapic->version = MP_IOAPIC_VERSION;
	ioapic->flags = 1;
	ioapic->address = KDOM_GPA_IOAPIC;
	return cursor + sizeof(*ioapic);
}

/* Local APIC pin lint of every CPU: LINT0 ExtINT, LINT1 NMI. */
static uint8_t *mp_add_local_interrupt(uint8_t *cursor, unsigned int lint)
{
	struct mp_interrupt *intr = (void *)cursor;

	intr->type = 4;
	intr->irq_type = lint == 0 ? MP_IRQ_EXTINT : MP_IRQ_NMI;
	intr->dst_id = 0xff; /* every local APIC */
	intr->dst_pin = lint;
	return cursor + sizeof(*intr);
}

/* The configuration header's fields and checksum, then the floating pointer to it. */
static void mp_seal(struct mp_floating_pointer *fp, struct mp_config_header *header,
		    const uint8_t *end, unsigned int entries)
{
	memcpy(header->signature, "PCMP", 4);
	header->base_length = end - (const uint8_t *)header;
	header->spec_rev = 4;
	memcpy(header->oem_id, "KDOM    ", 8);
	memcpy(header->product_id, "KDOM VM     ", 12);
	header->entry_count = entries;
	header->lapic_address = KDOM_GPA_LAPIC;
	header->checksum = mp_checksum(header, header->base_length);

	memcpy(fp->signature, "_MP_", 4);
	fp->config_table = LAYOUT_MPTABLE + sizeof(*fp);
	fp->length = 1;
	fp->spec_rev = 4;
	fp->checksum = mp_checksum(fp, sizeof(*fp));
}

int mptable_write(const struct guest_mem *mem, unsigned int nr_vcpus,
		  const struct irq_intx_routes *pci)
{
	uint8_t table[MP_TABLE_MAX];
	struct mp_floating_pointer *fp = (void *)table;
	struct mp_config_header *header = (void *)(fp + 1);
	uint8_t *cursor = (uint8_t *)(header + 1);
	unsigned int entries = 0;
	uint8_t ioapic_id = nr_vcpus;

	if (nr_vcpus == 0 || nr_vcpus > VM_MAX_MP_CPUS ||
	    (pci && pci->nr_intx > IRQ_INTX_ROUTES_MAX))
		return -EINVAL;
	memset(table, 0, sizeof(table));

	for (unsigned int cpu = 0; cpu < nr_vcpus; cpu++, entries++)
		cursor = mp_add_processor(cursor, cpu);
	if (pci) {
		cursor = mp_add_bus(cursor, MP_BUS_PCI, "PCI   ");
		entries++;
	}
	cursor = mp_add_bus(cursor, MP_BUS_ISA, "ISA   ");
	entries++;
	cursor = mp_add_ioapic(cursor, ioapic_id);
	entries++;

	/* KVM's irqchip wires the PIC to IOAPIC pin 0 and the PIT (IRQ 0) to pin 2. */
	for (unsigned int irq = 0; irq < MP_ISA_IRQS; irq++, entries++) {
		if (irq == 2)
			cursor = mp_add_interrupt(cursor, MP_IRQ_EXTINT, 0, MP_BUS_ISA, 0,
						  ioapic_id, 0);
		else
			cursor = mp_add_interrupt(cursor, MP_IRQ_INT, 0, MP_BUS_ISA, irq, ioapic_id,
						  irq == 0 ? 2 : irq);
	}
	/* PCI INTx: source IRQ = slot << 2 | (pin - 1), level and active low. */
	for (unsigned int i = 0; pci && i < pci->nr_intx; i++, entries++) {
		const struct irq_intx_route *intx = &pci->intx[i];

		cursor = mp_add_interrupt(cursor, MP_IRQ_INT, MP_IRQ_FLAGS_PCI, MP_BUS_PCI,
					  intx->slot << 2 | (intx->pin - 1), ioapic_id, intx->gsi);
	}
	for (unsigned int lint = 0; lint < 2; lint++, entries++)
		cursor = mp_add_local_interrupt(cursor, lint);

	mp_seal(fp, header, cursor, entries);
	return gmem_write(mem, LAYOUT_MPTABLE, table, cursor - table);
}

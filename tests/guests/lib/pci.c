/* PCI for test guests: mechanism #1 configuration access to bus 0, BAR sizing, the MP table's PCI interrupts. */
#include "lib.h"

#define PCI_ADDRESS_ENABLE (1u << 31)
#define PCI_VENDOR_NONE 0xffff

#define PCI_COMMAND 0x04
#define PCI_COMMAND_IO (1u << 0)
#define PCI_COMMAND_MEMORY (1u << 1)
#define PCI_BAR0 0x10
#define PCI_BAR_IO (1u << 0)
#define PCI_BAR_TYPE_MASK 0x6
#define PCI_BAR_TYPE_64 0x4
#define PCI_BAR_MEM_MASK 0xfffffff0u

#define MP_ENTRY_PROCESSOR 0
#define MP_ENTRY_BUS 1
#define MP_ENTRY_IO_INTERRUPT 3
#define MP_PROCESSOR_SIZE 20
#define MP_ENTRY_SIZE 8
#define MP_IRQ_INT 0

struct __attribute__((packed)) mp_bus {
	uint8_t type; /* MP_ENTRY_BUS */
	uint8_t bus_id;
	char bus_type[6]; /* "PCI   ", "ISA   " */
};

struct __attribute__((packed)) mp_io_interrupt {
	uint8_t type; /* MP_ENTRY_IO_INTERRUPT */
	uint8_t irq_type;
	uint16_t flags;
	uint8_t src_bus;
	uint8_t src_irq; /* PCI: slot << 2 | (pin - 1) */
	uint8_t dst_ioapic;
	uint8_t dst_pin;
};

/* Select bus 0, slot, fn and offset's dword; the data port for offset is then 0xCFC + (offset & 3). */
static void pci_select(unsigned int slot, unsigned int fn, unsigned int offset)
{
	outl(PCI_CONFIG_ADDRESS,
	     PCI_ADDRESS_ENABLE | (slot & 0x1f) << 11 | (fn & 0x7) << 8 | (offset & 0xfc));
}

uint32_t pci_cfg_read32(unsigned int slot, unsigned int fn, unsigned int offset)
{
	pci_select(slot, fn, offset);
	return inl(PCI_CONFIG_DATA);
}

uint16_t pci_cfg_read16(unsigned int slot, unsigned int fn, unsigned int offset)
{
	pci_select(slot, fn, offset);
	return inw(PCI_CONFIG_DATA + (offset & 2));
}

uint8_t pci_cfg_read8(unsigned int slot, unsigned int fn, unsigned int offset)
{
	pci_select(slot, fn, offset);
	return inb(PCI_CONFIG_DATA + (offset & 3));
}

void pci_cfg_write32(unsigned int slot, unsigned int fn, unsigned int offset, uint32_t value)
{
	pci_select(slot, fn, offset);
	outl(PCI_CONFIG_DATA, value);
}

void pci_cfg_write16(unsigned int slot, unsigned int fn, unsigned int offset, uint16_t value)
{
	pci_select(slot, fn, offset);
	outw(PCI_CONFIG_DATA + (offset & 2), value);
}

void pci_cfg_write8(unsigned int slot, unsigned int fn, unsigned int offset, uint8_t value)
{
	pci_select(slot, fn, offset);
	outb(PCI_CONFIG_DATA + (offset & 3), value);
}

#define PCI_CAPABILITY_LIST 0x34 /* the configuration header's capability pointer */

unsigned int pci_find_capability(unsigned int slot, uint8_t id)
{
	uint8_t pos = pci_cfg_read8(slot, 0, PCI_CAPABILITY_LIST) & ~3;

	for (unsigned int guard = 0; pos && guard < 48; guard++) {
		if (pci_cfg_read8(slot, 0, pos) == id)
			return pos;
		pos = pci_cfg_read8(slot, 0, pos + 1) & ~3;
	}
	return 0;
}

bool pci_find_nth(uint16_t vendor, uint16_t device, unsigned int nth, unsigned int *slot)
{
	for (unsigned int s = 0; s < PCI_SLOTS; s++) {
		uint32_t id = pci_cfg_read32(s, 0, 0);

		if ((id & 0xffff) == PCI_VENDOR_NONE)
			continue;
		if ((id & 0xffff) == vendor && id >> 16 == device && nth-- == 0) {
			*slot = s;
			return true;
		}
	}
	return false;
}

bool pci_find(uint16_t vendor, uint16_t device, unsigned int *slot)
{
	return pci_find_nth(vendor, device, 0, slot);
}

uint64_t pci_bar_size(unsigned int slot, unsigned int bar, bool *is64)
{
	unsigned int offset = PCI_BAR0 + 4 * bar;
	uint16_t command;
	uint32_t low, high = 0, low_mask, high_mask = 0xffffffff;
	uint64_t mask;

	*is64 = false;
	if (bar > 5)
		return 0;
	low = pci_cfg_read32(slot, 0, offset);
	if (low & PCI_BAR_IO)
		return 0;
	*is64 = (low & PCI_BAR_TYPE_MASK) == PCI_BAR_TYPE_64 && bar < 5;

	/* Decoding off while the BAR holds all ones, as firmware sizes them. */
	command = pci_cfg_read16(slot, 0, PCI_COMMAND);
	pci_cfg_write16(slot, 0, PCI_COMMAND, command & ~(PCI_COMMAND_IO | PCI_COMMAND_MEMORY));
	pci_cfg_write32(slot, 0, offset, 0xffffffff);
	low_mask = pci_cfg_read32(slot, 0, offset);
	pci_cfg_write32(slot, 0, offset, low);
	if (*is64) {
		high = pci_cfg_read32(slot, 0, offset + 4);
		pci_cfg_write32(slot, 0, offset + 4, 0xffffffff);
		high_mask = pci_cfg_read32(slot, 0, offset + 4);
		pci_cfg_write32(slot, 0, offset + 4, high);
	}
	pci_cfg_write16(slot, 0, PCI_COMMAND, command);

	mask = (uint64_t)high_mask << 32 | (low_mask & PCI_BAR_MEM_MASK);
	if (!(low_mask & PCI_BAR_MEM_MASK))
		return 0; /* not implemented: the BAR keeps no address bits */
	return ~mask + 1;
}

/* Call fn on each MP table entry of the given type until it returns true; false if none did. */
static bool mp_each_entry(uint8_t type, bool (*fn)(const uint8_t *entry, void *arg), void *arg)
{
	const struct mp_config *mpc = mp_find_config();
	const uint8_t *entry, *end;

	if (!mpc)
		return false;
	entry = (const uint8_t *)(mpc + 1);
	end = (const uint8_t *)mpc + mpc->length;
	for (unsigned int i = 0; i < mpc->entry_count && entry < end; i++) {
		unsigned int size =
			*entry == MP_ENTRY_PROCESSOR ? MP_PROCESSOR_SIZE : MP_ENTRY_SIZE;

		if (entry + size > end)
			break;
		if (*entry == type && fn(entry, arg))
			return true;
		entry += size;
	}
	return false;
}

static bool mp_match_pci_bus(const uint8_t *entry, void *arg)
{
	const struct mp_bus *bus = (const void *)entry;

	if (memcmp(bus->bus_type, "PCI   ", 6))
		return false;
	*(int *)arg = bus->bus_id;
	return true;
}

int pci_mptable_bus(void)
{
	int id = -1;

	mp_each_entry(MP_ENTRY_BUS, mp_match_pci_bus, &id);
	return id;
}

struct intx_lookup {
	uint8_t bus, src_irq;
	int gsi;
};

static bool mp_match_intx(const uint8_t *entry, void *arg)
{
	const struct mp_io_interrupt *intr = (const void *)entry;
	struct intx_lookup *lookup = arg;

	if (intr->irq_type != MP_IRQ_INT || intr->src_bus != lookup->bus ||
	    intr->src_irq != lookup->src_irq)
		return false;
	lookup->gsi = intr->dst_pin;
	return true;
}

int pci_intx_gsi(unsigned int slot, unsigned int pin)
{
	int bus = pci_mptable_bus();
	struct intx_lookup lookup = { .gsi = -1 };

	if (bus < 0 || slot >= PCI_SLOTS || pin < 1 || pin > 4)
		return -1;
	lookup.bus = bus;
	lookup.src_irq = slot << 2 | (pin - 1);
	mp_each_entry(MP_ENTRY_IO_INTERRUPT, mp_match_intx, &lookup);
	return lookup.gsi;
}

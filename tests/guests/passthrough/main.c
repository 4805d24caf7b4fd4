/* passthrough: the vfio-user test device on the guest's PCI bus — BARs, registers, DMA, MSI-X, INTx. */
#include "guest.h"
#include "kdom/testdev.h"

const char test_title[] = "passthrough: a passed-through PCI device end to end";

/* Registers, DMA, the direct BAR, MSI-X, INTx and MSI, in that order. */

#define PCI_CAP_ID_MSI 0x05
#define MSI_VECTOR 0x52

#define PCI_COMMAND 0x04
#define PCI_COMMAND_MEMORY 0x2
#define PCI_COMMAND_MASTER 0x4
#define PCI_COMMAND_INTX_DISABLE 0x400
#define PCI_CAP_ID_MSIX 0x11
#define MSIX_ENABLE 0x8000
#define MSIX_VECTOR_MASKED 0x1

#define MSIX_VECTOR 0x50
#define INTX_VECTOR 0x51
#define BAR0_NEW 0xc8000000u /* the guest moves BAR0 here: inside the PCI window */
#define DMA_BYTES 4096

static uint8_t dma_buffer[DMA_BYTES] __attribute__((aligned(4096)));
static volatile unsigned int msix_count, intx_count, msi_count;
static uint64_t bar0;
static unsigned int slot;

static uint32_t reg_read(unsigned int reg)
{
	return mmio_read32(bar0 + reg);
}

static void reg_write(unsigned int reg, uint32_t value)
{
	mmio_write32(bar0 + reg, value);
}

static void on_msix(unsigned int vector)
{
	msix_count++;
}

/* Level-triggered: quiet the device before the EOI, or the line fires again. */
static void on_intx(unsigned int vector)
{
	intx_count++;
	reg_write(TESTDEV_REG_IRQ_INTX, 0);
}

/* BAR4 is plain memory kdom maps straight into the guest (a memory slot, no exit). */
static uint64_t bar4;

static void check_direct_bar(void)
{
	bool is64;
	uint64_t size = pci_bar_size(slot, 4, &is64);

	bar4 = pci_cfg_read32(slot, 0, 0x20) & ~0xfu;
	report(size == 0x10000 && bar4, "BAR4: 64 KiB at 0x%llx", (unsigned long long)bar4);
	if (!bar4)
		return;
	mmio_write32(bar4, 0xfeedf00d);
	mmio_write32(bar4 + 0xfffc, 0x0badcafe);
	report(mmio_read32(bar4) == 0xfeedf00d && mmio_read32(bar4 + 0xfffc) == 0x0badcafe,
	       "BAR4 keeps what was written");
	report(reg_read(TESTDEV_REG_BAR4_WORD0) == 0xfeedf00d,
	       "the device sees the guest's BAR4 write (0x%x)", reg_read(TESTDEV_REG_BAR4_WORD0));
}

static void check_registers(void)
{
	report(reg_read(TESTDEV_REG_ID) == 0x4b440001, "ID register reads 0x%x",
	       reg_read(TESTDEV_REG_ID));
	reg_write(TESTDEV_REG_SCRATCH, 0x5a5aa5a5);
	report(reg_read(TESTDEV_REG_SCRATCH) == 0x5a5aa5a5,
	       "scratch register keeps what was written");
}

static bool pattern_ok(uint32_t seed)
{
	for (unsigned int i = 0; i < DMA_BYTES; i++)
		if (dma_buffer[i] != (uint8_t)(seed + i * 7))
			return false;
	return true;
}

static void check_dma(void)
{
	uint64_t gpa = (uint64_t)dma_buffer; /* identity-mapped */
	uint32_t seed = cmdline_get_u64("seed", 0x3c);

	memset(dma_buffer, 0, sizeof(dma_buffer));
	reg_write(TESTDEV_REG_DMA_ADDR_LO, (uint32_t)gpa);
	reg_write(TESTDEV_REG_DMA_ADDR_HI, (uint32_t)(gpa >> 32));
	reg_write(TESTDEV_REG_DMA_LEN, DMA_BYTES);
	reg_write(TESTDEV_REG_DMA_SEED, seed);
	reg_write(TESTDEV_REG_DMA_START, 1);
	report((reg_read(TESTDEV_REG_STATUS) &
		(TESTDEV_STATUS_DMA_DONE | TESTDEV_STATUS_DMA_ERROR)) == TESTDEV_STATUS_DMA_DONE,
	       "DMA done (status 0x%x)", reg_read(TESTDEV_REG_STATUS));
	report(pattern_ok(seed), "the device's pattern (seed 0x%x) is in guest memory at 0x%llx",
	       seed, (unsigned long long)gpa);
	report(reg_read(TESTDEV_REG_DMA_COUNT) == 1, "one DMA counted");

	/* Outside guest RAM (the MMIO hole): the device must refuse, nothing breaks. */
	reg_write(TESTDEV_REG_STATUS, TESTDEV_STATUS_DMA_DONE | TESTDEV_STATUS_DMA_ERROR);
	reg_write(TESTDEV_REG_DMA_ADDR_LO, 0xd0000000u);
	reg_write(TESTDEV_REG_DMA_ADDR_HI, 0);
	reg_write(TESTDEV_REG_DMA_START, 1);
	report(reg_read(TESTDEV_REG_STATUS) & TESTDEV_STATUS_DMA_ERROR,
	       "DMA outside guest RAM refused (status 0x%x)", reg_read(TESTDEV_REG_STATUS));
}

static void check_msix(void)
{
	unsigned int cap = pci_find_capability(slot, PCI_CAP_ID_MSIX);
	uint32_t table_bir, table_off;
	uint64_t table;

	report(cap != 0, "MSI-X capability at 0x%x", cap);
	if (!cap)
		return;
	table_bir = pci_cfg_read32(slot, 0, cap + 4) & 7;
	table_off = pci_cfg_read32(slot, 0, cap + 4) & ~7u;
	table = (pci_cfg_read32(slot, 0, 0x10 + 4 * table_bir) & ~0xfu) + table_off;
	mmio_write32(table + 0, (uint32_t)msi_address());
	mmio_write32(table + 4, (uint32_t)(msi_address() >> 32));
	mmio_write32(table + 8, msi_data(MSIX_VECTOR));
	mmio_write32(table + 12, 0); /* unmasked */
	pci_cfg_write16(slot, 0, cap + 2, pci_cfg_read16(slot, 0, cap + 2) | MSIX_ENABLE);
	reg_write(TESTDEV_REG_IRQ_MSIX, 0);
	bool arrived = irq_wait(&msix_count, 1, 1000);

	report(arrived, "MSI-X vector 0 arrived (%u interrupt(s))", msix_count);
	/* Masked: it must not arrive, but show in the PBA, and arrive once unmasked. */
	mmio_write32(table + 12, MSIX_VECTOR_MASKED);
	reg_write(TESTDEV_REG_IRQ_MSIX, 0);
	irq_wait(&msix_count, 2, 100);
	report(msix_count == 1, "a masked vector is held back (%u interrupt(s))", msix_count);
	uint32_t pba_bir = pci_cfg_read32(slot, 0, cap + 8) & 7;
	uint64_t pba = (pci_cfg_read32(slot, 0, 0x10 + 4 * pba_bir) & ~0xfu) +
		       (pci_cfg_read32(slot, 0, cap + 8) & ~7u);

	report(mmio_read32(pba) & 1, "its pending bit is set in the PBA (0x%x)", mmio_read32(pba));
	mmio_write32(table + 12, 0);
	arrived = irq_wait(&msix_count, 2, 1000);
	report(arrived, "unmasked, the held-back vector arrives (%u interrupt(s))", msix_count);
	report(!(mmio_read32(pba) & 1), "and its pending bit is clear");
	pci_cfg_write16(slot, 0, cap + 2, pci_cfg_read16(slot, 0, cap + 2) & ~MSIX_ENABLE);
}

static void on_msi(unsigned int vector)
{
	msi_count++;
}

/* Plain MSI: message in the capability, enabled, one interrupt. */
static void check_msi(void)
{
	unsigned int cap = pci_find_capability(slot, PCI_CAP_ID_MSI);
	uint16_t control;

	report(cap != 0, "MSI capability at 0x%x", cap);
	if (!cap)
		return;
	control = pci_cfg_read16(slot, 0, cap + 2);
	pci_cfg_write32(slot, 0, cap + 4, (uint32_t)msi_address());
	if (control & 0x80) { /* 64-bit address */
		pci_cfg_write32(slot, 0, cap + 8, (uint32_t)(msi_address() >> 32));
		pci_cfg_write16(slot, 0, cap + 12, msi_data(MSI_VECTOR));
	} else {
		pci_cfg_write16(slot, 0, cap + 8, msi_data(MSI_VECTOR));
	}
	pci_cfg_write16(slot, 0, cap + 2, control | 1);
	reg_write(TESTDEV_REG_IRQ_MSI, 1);
	bool arrived = irq_wait(&msi_count, 1, 1000);

	report(arrived, "MSI arrived (%u interrupt(s))", msi_count);
	pci_cfg_write16(slot, 0, cap + 2, control & ~1);
}

static void check_intx(void)
{
	uint8_t pin = pci_cfg_read8(slot, 0, 0x3d);
	int gsi = pci_intx_gsi(slot, pin);

	report(pin == 1 && gsi >= 16, "INTA routed to IOAPIC pin %d by the MP table", gsi);
	if (gsi < 0)
		return;
	ioapic_route(gsi, INTX_VECTOR, true, true);
	reg_write(TESTDEV_REG_IRQ_INTX, 1);
	bool arrived = irq_wait(&intx_count, 1, 1000);

	report(arrived, "INTx arrived (%u interrupt(s))", intx_count);
}

/*
 * abuse=1: what a hostile or broken guest might do must not harm kdom.
 * BAR0 is put over this guest's own RAM (kdom refuses to map it there: the
 * RAM stays RAM), over the LAPIC, over BAR2; then every config register is
 * written with garbage.  Afterwards the device is put back and must work.
 */
static void check_abuse(void)
{
	static volatile uint32_t ram_word = 0x600dcafe;
	uint32_t seed = 0x1234567;

	pci_cfg_write32(slot, 0, 0x10, (uint32_t)(uint64_t)&ram_word & ~0xfffu);
	report(ram_word == 0x600dcafe, "RAM under a BAR placed over it is still RAM");
	pci_cfg_write32(slot, 0, 0x10, KDOM_GPA_LAPIC);
	pci_cfg_write32(slot, 0, 0x10, pci_cfg_read32(slot, 0, 0x18) & ~0xfu);
	for (unsigned int off = 0; off < 256; off += 4) {
		seed = seed * 1103515245 + 12345;
		pci_cfg_write32(slot, 0, off, seed);
		pci_cfg_write16(slot, 0, off, seed >> 16);
		pci_cfg_write8(slot, 0, off + 3, seed >> 8);
	}
	/* Back to sane: BAR0 where it belongs, decoding on. */
	pci_cfg_write32(slot, 0, 0x10, BAR0_NEW);
	pci_cfg_write16(slot, 0, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	report(pci_cfg_read16(slot, 0, 0) == TESTDEV_VENDOR_ID,
	       "config space still reads the device");
	report(reg_read(TESTDEV_REG_ID) == 0x4b440001, "the device still answers after the abuse");
}

/*
 * bench=N: N reads of a trapped BAR register, and 16 DMAs of 1 MiB into
 * guest RAM at 16 MiB; printed for bench/passthrough (TSC cycles).
 */
static void run_bench(uint64_t reads)
{
	const uint64_t dma_bytes = 1 << 20, rounds = 16, target = 16 << 20;
	uint64_t start, cycles;

	start = rdtsc();
	for (uint64_t i = 0; i < reads; i++)
		(void)reg_read(TESTDEV_REG_ID);
	cycles = rdtsc() - start;
	printf("bench: mmio-read %llu reads, %llu tsc cycles\n", (unsigned long long)reads,
	       (unsigned long long)cycles);
	start = rdtsc();
	for (uint64_t i = 0; i < reads; i++)
		(void)mmio_read32(bar4);
	cycles = rdtsc() - start;
	printf("bench: direct-read %llu reads, %llu tsc cycles\n", (unsigned long long)reads,
	       (unsigned long long)cycles);
	reg_write(TESTDEV_REG_DMA_ADDR_LO, (uint32_t)target);
	reg_write(TESTDEV_REG_DMA_ADDR_HI, 0);
	reg_write(TESTDEV_REG_DMA_LEN, dma_bytes);
	start = rdtsc();
	for (uint64_t i = 0; i < rounds; i++)
		reg_write(TESTDEV_REG_DMA_START, 1);
	cycles = rdtsc() - start;
	report(!(reg_read(TESTDEV_REG_STATUS) & TESTDEV_STATUS_DMA_ERROR), "benchmark DMAs done");
	printf("bench: dma %llu bytes, %llu tsc cycles, tsc %llu kHz\n",
	       (unsigned long long)(rounds * dma_bytes), (unsigned long long)cycles,
	       (unsigned long long)tsc_khz());
}

/*
 * survive=1: the test kills the device's server while this guest runs; the
 * device must then read as absent (all ones) and everything else go on.
 */
static void check_survival(void)
{
	uint64_t deadline = tsc_deadline_ms(15000);
	uint32_t id;

	printf("passthrough: waiting for the device's server to go away\n");
	while ((id = reg_read(TESTDEV_REG_ID)) != 0xffffffff && !tsc_expired(deadline))
		udelay(20000);
	report(id == 0xffffffff, "the device reads all ones once its server is gone");
	reg_write(TESTDEV_REG_SCRATCH, 1); /* dropped, harmlessly */
	report(pci_cfg_read16(slot, 0, 0) == 0xffff ||
		       pci_cfg_read16(slot, 0, 0) == TESTDEV_VENDOR_ID,
	       "config space still answers the guest");
}

void test_main(void)
{
	uint64_t size0, size2;
	bool is64;

	if (!pci_find(TESTDEV_VENDOR_ID, TESTDEV_DEVICE_ID, &slot)) {
		test_fail("no device %04x:%04x on the PCI bus", TESTDEV_VENDOR_ID,
			  TESTDEV_DEVICE_ID);
		return;
	}
	printf("passthrough: test device at 00:%02x.0\n", slot);
	size0 = pci_bar_size(slot, 0, &is64);
	size2 = pci_bar_size(slot, 2, &is64);
	report(size0 == 4096 && size2 == 4096, "BAR0 and BAR2 size 4 KiB (0x%llx, 0x%llx)",
	       (unsigned long long)size0, (unsigned long long)size2);
	/* Map BAR0 where this guest wants it, then decode and master. */
	pci_cfg_write32(slot, 0, 0x10, BAR0_NEW);
	bar0 = pci_cfg_read32(slot, 0, 0x10) & ~0xfu;
	report(bar0 == BAR0_NEW, "BAR0 moved to 0x%llx", (unsigned long long)bar0);
	pci_cfg_write16(slot, 0, PCI_COMMAND,
			pci_cfg_read16(slot, 0, PCI_COMMAND) | PCI_COMMAND_MEMORY |
				PCI_COMMAND_MASTER);

	irq_set_handler(MSIX_VECTOR, on_msix);
	irq_set_handler(INTX_VECTOR, on_intx);
	irq_set_handler(MSI_VECTOR, on_msi);
	lapic_enable();
	check_registers();
	if (cmdline_has_word("survive", "1", ',')) {
		check_survival();
		return;
	}
	check_direct_bar();
	if (cmdline_get_u64("bench", 0)) {
		run_bench(cmdline_get_u64("bench", 0));
		return;
	}
	check_dma();
	check_msix();
	check_intx();
	check_msi();
	if (cmdline_has_word("abuse", "1", ','))
		check_abuse();
}

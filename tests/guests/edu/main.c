/* edu: QEMU's edu device through kernel VFIO — registers, factorial interrupt (MSI or INTx), DMA, a moved BAR. */
#include "guest.h"

const char test_title[] = "edu: QEMU's edu device passed through by kernel VFIO";

/*
 * The device (QEMU docs/specs/edu.rst): PCI 1234:11e8, BAR0 1 MiB of
 * registers, 32-bit accesses below 0x80.  Command line:
 *   irq=msi (default), irq=intx, irq=msi,intx or irq=intx,msi: how the
 *   factorial's completion interrupt arrives (both: one after the other);
 *   fact=N (default 12): the factorial asked of the device;
 *   expect=V: the value to expect from it (default N! computed here, modulo
 *   2^32 as the device computes it) — a wrong one must make the test fail;
 *   stray=ADDR: also a DMA from outside guest RAM (check_stray_dma()).
 */

#define EDU_VENDOR_ID 0x1234
#define EDU_DEVICE_ID 0x11e8
#define EDU_BAR0_SIZE 0x100000

#define EDU_REG_ID 0x00	      /* 0xRRrr00ed */
#define EDU_REG_LIVENESS 0x04 /* reads back the inverse of what was written */
#define EDU_REG_FACTORIAL 0x08
#define EDU_REG_STATUS 0x20
#define EDU_STATUS_COMPUTING 0x01
#define EDU_STATUS_IRQ_FACT 0x80
#define EDU_REG_IRQ_STATUS 0x24
#define EDU_REG_IRQ_ACK 0x64
#define EDU_IRQ_FACT 0x001
#define EDU_REG_DMA_SRC 0x80
#define EDU_REG_DMA_DST 0x88
#define EDU_REG_DMA_COUNT 0x90
#define EDU_REG_DMA_CMD 0x98
#define EDU_DMA_RUN 0x1
#define EDU_DMA_TO_RAM 0x2
#define EDU_DMA_BUFFER 0x40000 /* the device's 4 KiB buffer, in its DMA space */
/*
 * QEMU 7.2's edu stops the whole machine (hw_error) for a transfer that
 * reaches the buffer's last byte: stay clear of it.
 */
#define EDU_DMA_OFFSET 0x400
#define EDU_DMA_LIMIT (256u << 20) /* the default 28-bit DMA mask */

#define PCI_COMMAND 0x04
#define PCI_COMMAND_MEMORY 0x2
#define PCI_COMMAND_MASTER 0x4
#define PCI_COMMAND_INTX_DISABLE 0x400
#define PCI_STATUS 0x06
#define PCI_STATUS_INTERRUPT 0x8
#define PCI_INTERRUPT_PIN 0x3d
#define PCI_CAP_ID_MSI 0x05
#define PCI_MSI_ENABLE 0x1
#define PCI_MSI_64BIT 0x80

#define EDU_VECTOR 0x53
#define EDU_VECTOR_MOVED 0x54
#define DMA_BYTES 2048
#define WAIT_MS 5000 /* generous: the lab is nested under TCG */

static uint8_t dma_source[4096] __attribute__((aligned(4096)));
static uint8_t dma_target[4096] __attribute__((aligned(4096)));
static volatile unsigned int irq_count;
static volatile uint32_t irq_status_seen;
static volatile unsigned int irq_last_vector;
static unsigned int slot;
static uint64_t bar0;

static uint32_t reg_read(unsigned int reg)
{
	return mmio_read32(bar0 + reg);
}

static void reg_write(unsigned int reg, uint32_t value)
{
	mmio_write32(bar0 + reg, value);
}

/* MSI or INTx alike: acknowledge before the EOI, or a level line fires again. */
static void on_edu_irq(unsigned int vector)
{
	uint32_t status = reg_read(EDU_REG_IRQ_STATUS);

	irq_status_seen |= status;
	reg_write(EDU_REG_IRQ_ACK, status);
	irq_last_vector = vector;
	irq_count++;
}

/* Poll until the bits clear in reg, up to WAIT_MS; whether they did. */
static bool wait_clear(unsigned int reg, uint32_t bits)
{
	uint64_t deadline = tsc_deadline_ms(WAIT_MS);

	while (reg_read(reg) & bits) {
		if (tsc_expired(deadline))
			return false;
		udelay(1000);
	}
	return true;
}

/* Polled: n! into *result once the device is done; whether it finished. */
static bool edu_factorial(uint32_t n, uint32_t *result)
{
	bool done;

	reg_write(EDU_REG_FACTORIAL, n);
	done = wait_clear(EDU_REG_STATUS, EDU_STATUS_COMPUTING);
	*result = reg_read(EDU_REG_FACTORIAL);
	return done;
}

static void check_registers(const char *where)
{
	static const uint32_t patterns[] = { 0x12345678, 0 };
	uint32_t id = reg_read(EDU_REG_ID), got;

	report((id & 0xffff) == 0x00ed, "%s: identification 0x%08x (version %u.%u)", where, id,
	       id >> 24, (id >> 16) & 0xff);
	for (unsigned int i = 0; i < ARRAY_SIZE(patterns); i++) {
		reg_write(EDU_REG_LIVENESS, patterns[i]);
		got = reg_read(EDU_REG_LIVENESS);
		report(got == ~patterns[i], "%s: liveness inverts 0x%08x (0x%08x)", where,
		       patterns[i], got);
	}
}

/* The message in the MSI capability, enabled; false if the device has none. */
static bool msi_setup(void)
{
	unsigned int cap = pci_find_capability(slot, PCI_CAP_ID_MSI);
	uint16_t control;

	report(cap != 0, "MSI capability at 0x%x", cap);
	if (!cap)
		return false;
	control = pci_cfg_read16(slot, 0, cap + 2);
	pci_cfg_write32(slot, 0, cap + 4, (uint32_t)msi_address());
	if (control & PCI_MSI_64BIT) {
		pci_cfg_write32(slot, 0, cap + 8, (uint32_t)(msi_address() >> 32));
		pci_cfg_write16(slot, 0, cap + 12, msi_data(EDU_VECTOR));
	} else {
		pci_cfg_write16(slot, 0, cap + 8, msi_data(EDU_VECTOR));
	}
	pci_cfg_write16(slot, 0, cap + 2, control | PCI_MSI_ENABLE);
	report(pci_cfg_read16(slot, 0, cap + 2) & PCI_MSI_ENABLE, "MSI enabled");
	return true;
}

/* The message rewritten while MSI is on: the next interrupt comes on the new vector. */
static void check_msi_retarget(void)
{
	unsigned int cap = pci_find_capability(slot, PCI_CAP_ID_MSI);
	unsigned int data = pci_cfg_read16(slot, 0, cap + 2) & PCI_MSI_64BIT ? cap + 12 : cap + 8;

	irq_count = 0;
	irq_last_vector = 0;
	pci_cfg_write16(slot, 0, data, msi_data(EDU_VECTOR_MOVED));
	reg_write(EDU_REG_STATUS, EDU_STATUS_IRQ_FACT);
	reg_write(EDU_REG_FACTORIAL, 3);
	bool arrived = irq_wait(&irq_count, 1, WAIT_MS);

	report(arrived && irq_last_vector == EDU_VECTOR_MOVED,
	       "MSI retargeted while enabled: the interrupt comes on vector 0x%x (%u)",
	       irq_last_vector, irq_count);
	reg_write(EDU_REG_STATUS, 0);
	pci_cfg_write16(slot, 0, data, msi_data(EDU_VECTOR));
}

static void msi_teardown(void)
{
	unsigned int cap = pci_find_capability(slot, PCI_CAP_ID_MSI);

	if (cap)
		pci_cfg_write16(slot, 0, cap + 2,
				pci_cfg_read16(slot, 0, cap + 2) & ~PCI_MSI_ENABLE);
}

/* INTx: the IOAPIC pin the MP table names for the device's pin, level, active low. */
static int intx_setup(void)
{
	uint8_t pin = pci_cfg_read8(slot, 0, PCI_INTERRUPT_PIN);
	int gsi = pci_intx_gsi(slot, pin);

	report(pin >= 1 && pin <= 4 && gsi >= 16, "INT%c routed to IOAPIC pin %d by the MP table",
	       pin >= 1 && pin <= 4 ? 'A' + pin - 1 : '?', gsi);
	if (gsi >= 0)
		ioapic_route(gsi, EDU_VECTOR, true, true);
	return gsi;
}

/*
 * The command register's INTx disable holds the line back (the device shows
 * it pending in its status register); cleared, the interrupt arrives.
 */
static void check_intx_disable(void)
{
	uint16_t command = pci_cfg_read16(slot, 0, PCI_COMMAND), status;
	uint32_t got;
	bool arrived;

	irq_count = 0;
	pci_cfg_write16(slot, 0, PCI_COMMAND, command | PCI_COMMAND_INTX_DISABLE);
	reg_write(EDU_REG_STATUS, EDU_STATUS_IRQ_FACT);
	reg_write(EDU_REG_FACTORIAL, 4);
	bool done = wait_clear(EDU_REG_STATUS, EDU_STATUS_COMPUTING);

	got = reg_read(EDU_REG_FACTORIAL);
	irq_wait(&irq_count, 1, 200);
	report(done && got == 24 && irq_count == 0,
	       "with INTx disabled in the command register: 4! = %u, no interrupt (%u)", got,
	       irq_count);
	status = pci_cfg_read16(slot, 0, PCI_STATUS);
	report(status & PCI_STATUS_INTERRUPT, "the status register shows it pending (0x%x)",
	       status);
	pci_cfg_write16(slot, 0, PCI_COMMAND, command & ~PCI_COMMAND_INTX_DISABLE);
	arrived = irq_wait(&irq_count, 1, WAIT_MS);
	report(arrived, "enabled again, it arrives (%u interrupt(s))", irq_count);
}

/* fact=N: the device computes N! (modulo 2^32) and interrupts when done. */
static void check_factorial(bool intx)
{
	uint32_t n = cmdline_get_u64("fact", 12), want = 1, got;
	int gsi = -1;
	bool done;

	for (uint32_t i = 2; i <= n; i++)
		want *= i;
	want = cmdline_get_u64("expect", want);
	if (intx) {
		gsi = intx_setup();
		if (gsi < 0)
			return;
	} else if (!msi_setup()) {
		return;
	}
	irq_count = 0;
	irq_status_seen = 0;
	reg_write(EDU_REG_STATUS, EDU_STATUS_IRQ_FACT);
	reg_write(EDU_REG_FACTORIAL, n);
	bool arrived = irq_wait(&irq_count, 1, WAIT_MS);

	report(arrived, "the factorial's completion interrupt arrived by %s (%u interrupt(s))",
	       intx ? "INTx" : "MSI", irq_count);
	report(irq_status_seen & EDU_IRQ_FACT, "the interrupt status said factorial (0x%x)",
	       irq_status_seen);
	report(!(reg_read(EDU_REG_STATUS) & EDU_STATUS_COMPUTING), "the device is done computing");
	got = reg_read(EDU_REG_FACTORIAL);
	report(got == want, "%u! = %u (expected %u)", n, got, want);
	got = reg_read(EDU_REG_IRQ_STATUS);
	report(got == 0, "the interrupt is acknowledged (status 0x%x)", got);

	/* Again: INTx must be unmasked after each EOI for the next one to come. */
	for (unsigned int i = 2; i <= 3; i++) {
		reg_write(EDU_REG_FACTORIAL, n);
		if (!irq_wait(&irq_count, i, WAIT_MS))
			break;
	}
	report(irq_count == 3, "two more completions, two more interrupts (%u in all)", irq_count);

	/* Without the interrupt bit the device computes, and must stay quiet. */
	irq_count = 0;
	reg_write(EDU_REG_STATUS, 0);
	done = edu_factorial(5, &got);
	report(done && got == 120, "5! = %u, polled", got);
	irq_wait(&irq_count, 1, 200);
	report(irq_count == 0, "no interrupt without the status register's bit (%u)", irq_count);
	if (intx) {
		check_intx_disable();
		ioapic_mask(gsi, true);
	} else {
		check_msi_retarget();
		msi_teardown();
	}
}

/* One DMA between guest RAM and the device's buffer; whether it finished. */
static bool edu_dma(uint64_t src, uint64_t dst, uint32_t cmd)
{
	reg_write(EDU_REG_DMA_SRC, (uint32_t)src);
	reg_write(EDU_REG_DMA_DST, (uint32_t)dst);
	reg_write(EDU_REG_DMA_COUNT, DMA_BYTES);
	reg_write(EDU_REG_DMA_CMD, cmd | EDU_DMA_RUN);
	return wait_clear(EDU_REG_DMA_CMD, EDU_DMA_RUN);
}

/* Guest RAM -> the device's buffer -> another guest RAM address (iova = guest physical). */
static void check_dma(void)
{
	uint64_t src = (uint64_t)dma_source, dst = (uint64_t)dma_target; /* identity-mapped */
	unsigned int wrong = 0, first = DMA_BYTES;
	bool done;

	if (dst + DMA_BYTES > EDU_DMA_LIMIT || src + DMA_BYTES > EDU_DMA_LIMIT) {
		test_error("the DMA buffers lie above the device's 28-bit DMA mask");
		return;
	}
	for (unsigned int i = 0; i < sizeof(dma_source); i++) {
		dma_source[i] = (uint8_t)(i * 13 + (i >> 8) + 0x5a);
		dma_target[i] = 0;
	}
	report(edu_dma(src, EDU_DMA_BUFFER + EDU_DMA_OFFSET, 0),
	       "DMA of %u bytes from guest RAM at 0x%llx done", DMA_BYTES, (unsigned long long)src);
	report(edu_dma(EDU_DMA_BUFFER + EDU_DMA_OFFSET, dst, EDU_DMA_TO_RAM),
	       "DMA of %u bytes back to guest RAM at 0x%llx done", DMA_BYTES,
	       (unsigned long long)dst);
	for (unsigned int i = 0; i < DMA_BYTES; i++) {
		if (dma_target[i] != dma_source[i]) {
			wrong++;
			if (first == DMA_BYTES)
				first = i;
		}
	}
	report(wrong == 0, "the bytes came back unchanged (%u differ, first at %d)", wrong,
	       first == DMA_BYTES ? -1 : (int)first);
	wrong = 0;
	for (unsigned int i = DMA_BYTES; i < sizeof(dma_target); i++)
		wrong += dma_target[i] != 0;
	report(wrong == 0, "and nothing past them (%u bytes touched)", wrong);

	/* Bus mastering off, the device's DMA must not reach guest RAM; on again, it must. */
	memset(dma_target, 0, sizeof(dma_target));
	pci_cfg_write16(slot, 0, PCI_COMMAND,
			pci_cfg_read16(slot, 0, PCI_COMMAND) & ~PCI_COMMAND_MASTER);
	done = edu_dma(EDU_DMA_BUFFER + EDU_DMA_OFFSET, dst, EDU_DMA_TO_RAM);
	wrong = 0;
	for (unsigned int i = 0; i < sizeof(dma_target); i++)
		wrong += dma_target[i] != 0;
	report(done && wrong == 0,
	       "with bus mastering off the DMA leaves guest RAM alone (%u bytes written)", wrong);
	pci_cfg_write16(slot, 0, PCI_COMMAND,
			pci_cfg_read16(slot, 0, PCI_COMMAND) | PCI_COMMAND_MASTER);
	done = edu_dma(EDU_DMA_BUFFER + EDU_DMA_OFFSET, dst, EDU_DMA_TO_RAM);
	report(done && !memcmp(dma_target, dma_source, DMA_BYTES),
	       "with bus mastering on again the DMA lands");
}

/* Whether [addr, addr + len) touches RAM in the memory map kdom handed over. */
static bool in_ram(uint64_t addr, uint64_t len)
{
	const struct hvm_start_info *si = start_info();
	const struct hvm_memmap_table_entry *map;

	if (!si)
		return true; /* no map: assume the worst */
	map = (const void *)(uintptr_t)si->memmap_paddr;
	for (uint32_t i = 0; i < si->memmap_entries && i < 128; i++)
		if (map[i].type == XEN_HVM_MEMMAP_TYPE_RAM && addr < map[i].addr + map[i].size &&
		    map[i].addr < addr + len)
			return true;
	return false;
}

/*
 * stray=ADDR: a DMA from guest-physical ADDR, outside this guest's RAM and
 * below the device's DMA mask.  kdom maps only guest RAM for the device, so
 * the IOMMU must stop it (the host's kernel logs the fault: the scenario
 * checks that); the device and this guest go on.
 */
static void check_stray_dma(uint64_t addr)
{
	uint32_t id;

	if (in_ram(addr, DMA_BYTES) || addr + DMA_BYTES > EDU_DMA_LIMIT) {
		test_error("stray=0x%llx: not outside guest RAM and below 256 MiB",
			   (unsigned long long)addr);
		return;
	}
	printf("edu: DMA from 0x%llx, outside guest RAM\n", (unsigned long long)addr);
	report(edu_dma(addr, EDU_DMA_BUFFER + EDU_DMA_OFFSET, 0),
	       "the DMA from 0x%llx, outside guest RAM, ended", (unsigned long long)addr);
	id = reg_read(EDU_REG_ID);
	report((id & 0xffff) == 0x00ed, "the device still answers (0x%08x)", id);
}

/* The guest moves BAR0 inside the PCI window: the registers follow, the old place is empty. */
static void check_bar_move(void)
{
	uint64_t old = bar0, moved = old == 0xd0000000u ? 0xd0100000u : 0xd0000000u;
	uint16_t command = pci_cfg_read16(slot, 0, PCI_COMMAND);
	uint32_t got;
	bool done;

	pci_cfg_write32(slot, 0, 0x10, (uint32_t)moved);
	bar0 = pci_cfg_read32(slot, 0, 0x10) & ~0xfu;
	report(bar0 == moved, "BAR0 moved from 0x%llx to 0x%llx (reads 0x%llx)",
	       (unsigned long long)old, (unsigned long long)moved, (unsigned long long)bar0);
	bar0 = moved;
	check_registers("moved BAR0");
	done = edu_factorial(6, &got);
	report(done && got == 720, "moved BAR0: 6! = %u, polled", got);
	got = mmio_read32(old + EDU_REG_ID);
	report(got == 0xffffffff, "nothing answers at the old address any more (0x%08x)", got);

	/* Back, as an OS moves a BAR: decoding off, the BAR written, decoding on. */
	pci_cfg_write16(slot, 0, PCI_COMMAND, command & ~PCI_COMMAND_MEMORY);
	got = reg_read(EDU_REG_ID);
	report(got == 0xffffffff, "with memory decoding off BAR0 reads all ones (0x%08x)", got);
	pci_cfg_write32(slot, 0, 0x10, (uint32_t)old);
	pci_cfg_write16(slot, 0, PCI_COMMAND, command);
	bar0 = old;
	got = reg_read(EDU_REG_ID);
	report((got & 0xffff) == 0x00ed, "decoding on again, BAR0 answers back at 0x%llx (0x%08x)",
	       (unsigned long long)old, got);
}

/* irq=WORD[,WORD]: "msi" and "intx" in the order the factorial's interrupt is to use them. */
static bool irq_modes(bool intx[2], unsigned int *n)
{
	const char *p = cmdline_get("irq");

	*n = 0;
	if (!p) {
		intx[(*n)++] = false;
		return true;
	}
	while (*p && *n < 2) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);

		if (len == 3 && !strncmp(p, "msi", 3))
			intx[*n] = false;
		else if (len == 4 && !strncmp(p, "intx", 4))
			intx[*n] = true;
		else
			return false;
		(*n)++;
		p += comma ? len + 1 : len;
	}
	return *n && !*p;
}

void test_main(void)
{
	unsigned int modes;
	bool intx[2], is64;
	uint64_t size;

	if (!irq_modes(intx, &modes)) {
		test_error("irq=%s: expected msi, intx or both, comma-separated",
			   cmdline_get("irq"));
		return;
	}
	if (!pci_find(EDU_VENDOR_ID, EDU_DEVICE_ID, &slot)) {
		test_fail("no device %04x:%04x on the PCI bus", EDU_VENDOR_ID, EDU_DEVICE_ID);
		return;
	}
	printf("edu: device at 00:%02x.0, interrupts by %s%s%s\n", slot, intx[0] ? "INTx" : "MSI",
	       modes > 1 ? " then " : "", modes > 1 ? (intx[1] ? "INTx" : "MSI") : "");
	size = pci_bar_size(slot, 0, &is64);
	bar0 = pci_cfg_read32(slot, 0, 0x10) & ~0xfu;
	report(size == EDU_BAR0_SIZE && bar0, "BAR0: 0x%llx bytes at 0x%llx",
	       (unsigned long long)size, (unsigned long long)bar0);
	if (size != EDU_BAR0_SIZE || !bar0)
		return;
	pci_cfg_write16(slot, 0, PCI_COMMAND,
			pci_cfg_read16(slot, 0, PCI_COMMAND) | PCI_COMMAND_MEMORY |
				PCI_COMMAND_MASTER);

	irq_set_handler(EDU_VECTOR, on_edu_irq);
	irq_set_handler(EDU_VECTOR_MOVED, on_edu_irq);
	lapic_enable();
	/* The device keeps its state across domains (it has no reset): start clean. */
	reg_write(EDU_REG_STATUS, 0);
	reg_write(EDU_REG_IRQ_ACK, 0xffffffff);
	check_registers("BAR0");
	for (unsigned int i = 0; i < modes; i++)
		check_factorial(intx[i]);
	check_dma();
	if (cmdline_get("stray"))
		check_stray_dma(cmdline_get_u64("stray", 0));
	check_bar_move();
}

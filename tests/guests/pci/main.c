/* pci: the host bridge at 00:00.0, configuration mechanism #1, the MP table's PCI bus, and 0xCF9 reset. */
#include "guest.h"

/*
 * Command line:
 *   bridge-device=0xNNNN   the device ID expected of the Intel host bridge
 *                          (default 0x1237, the i440FX kdom presents)
 *   reset=cf9              after the checks, reset through port 0xCF9 (0x06):
 *                          the run must end as a reboot
 */

const char test_title[] = "pci: host bridge, configuration mechanism #1, MP table PCI bus";

#define INTEL 0x8086
#define PCI_ENABLE 0x80000000u

static void check_host_bridge(void)
{
	unsigned int want = cmdline_get_u64("bridge-device", 0x1237);
	uint32_t id = pci_cfg_read32(0, 0, 0x00);
	uint8_t class = pci_cfg_read8(0, 0, 0x0b), subclass = pci_cfg_read8(0, 0, 0x0a);
	unsigned int slot = PCI_SLOTS, bars = 0;
	bool is64;

	report((id & 0xffff) == INTEL && id >> 16 == want,
	       "host bridge %04x:%04x (expected %04x:%04x)", id & 0xffff, id >> 16, INTEL, want);
	report(class == 0x06 && subclass == 0x00, "host bridge class %02x/%02x (expected 06/00)",
	       class, subclass);
	report(pci_cfg_read8(0, 0, 0x0e) == 0x00, "host bridge header type 0, one function");
	report(pci_find(INTEL, want, &slot) && slot == 0, "pci_find() finds it in slot 0");

	/* Read-only: identity and BARs ignore writes; the latency timer takes them. */
	pci_cfg_write32(0, 0, 0x00, 0xffffffff);
	pci_cfg_write32(0, 0, 0x08, 0);
	report(pci_cfg_read32(0, 0, 0x00) == id && pci_cfg_read8(0, 0, 0x0b) == 0x06,
	       "host bridge IDs and class are read-only");
	for (unsigned int bar = 0; bar < 6; bar++)
		bars += pci_bar_size(0, bar, &is64) != 0 || pci_cfg_read32(0, 0, 0x10 + 4 * bar);
	report(bars == 0, "host bridge has no BARs (%u sized)", bars);
	pci_cfg_write8(0, 0, 0x0d, 0x40);
	report(pci_cfg_read8(0, 0, 0x0d) == 0x40, "latency timer is writable");
	pci_cfg_write8(0, 0, 0x0d, 0x00);
}

static void check_empty_slots(void)
{
	unsigned int answering = 0, functions = 0;

	for (unsigned int slot = 1; slot < PCI_SLOTS; slot++)
		if (pci_cfg_read32(slot, 0, 0x00) != 0xffffffff) {
			printf("slot %u answers: %08x\n", slot, pci_cfg_read32(slot, 0, 0x00));
			answering++;
		}
	report(answering == 0, "slots 1-31 read all ones (%u answer)", answering);
	for (unsigned int fn = 1; fn < 8; fn++)
		functions += pci_cfg_read32(0, fn, 0x00) != 0xffffffff;
	report(functions == 0, "functions 1-7 of slot 0 read all ones (%u answer)", functions);
}

static void check_mechanism1(void)
{
	uint8_t b[4];

	outl(PCI_CONFIG_ADDRESS, PCI_ENABLE);
	report(inl(PCI_CONFIG_ADDRESS) == PCI_ENABLE, "0xCF8 reads back %08x", PCI_ENABLE);
	for (unsigned int i = 0; i < 4; i++)
		b[i] = inb(PCI_CONFIG_DATA + i);
	report(b[0] == 0x86 && b[1] == 0x80 && b[2] == 0x37 && b[3] == 0x12,
	       "bytes at 0xCFC-0xCFF: %02x %02x %02x %02x (expected 86 80 37 12)", b[0], b[1], b[2],
	       b[3]);
	report(inw(PCI_CONFIG_DATA) == 0x8086 && inw(PCI_CONFIG_DATA + 2) == 0x1237,
	       "words at 0xCFC and 0xCFE");
	outl(PCI_CONFIG_ADDRESS, PCI_ENABLE | 0x08);
	report(inb(PCI_CONFIG_DATA + 3) == 0x06 && inb(PCI_CONFIG_DATA + 1) == 0x00,
	       "the byte lanes of register 0x08 hold the class code");

	outl(PCI_CONFIG_ADDRESS, 0);
	report(inl(PCI_CONFIG_DATA) == 0xffffffff,
	       "with the enable bit clear 0xCFC reads all ones");
	outl(PCI_CONFIG_ADDRESS, PCI_ENABLE | 1u << 16);
	report(inl(PCI_CONFIG_DATA) == 0xffffffff, "bus 1 reads all ones");

	/* 0xCF9 is the reset register, apart from the address register around it. */
	outl(PCI_CONFIG_ADDRESS, PCI_ENABLE);
	outb(KDOM_PORT_RESET_CF9, 0x02);
	report(inb(KDOM_PORT_RESET_CF9) == 0x02 && inl(PCI_CONFIG_ADDRESS) == PCI_ENABLE,
	       "0xCF9 keeps 0x02 without resetting; 0xCF8 is unchanged");
	outb(KDOM_PORT_RESET_CF9, 0x00);
}

static void check_mptable(void)
{
	int bus = pci_mptable_bus();
	unsigned int routed = 0;

	report(bus >= 0, "the MP table lists a PCI bus (ID %d)", bus);
	for (unsigned int slot = 0; slot < PCI_SLOTS; slot++)
		for (unsigned int pin = 1; pin <= 4; pin++)
			if (pci_intx_gsi(slot, pin) >= 0 &&
			    pci_cfg_read32(slot, 0, 0x00) == 0xffffffff)
				routed++;
	report(routed == 0, "no PCI interrupt entry for an absent slot (%u)", routed);
	report(pci_intx_gsi(0, 1) < 0, "the host bridge has no INTx entry");
}

static void reset_through_cf9(void)
{
	/* The runner judges by how the domain ends; this line says the checks passed. */
	printf("pci: resetting through port 0xcf9\n");
	printf("Test result: SUCCESS\n");
	outb(KDOM_PORT_RESET_CF9, 0x02 | KDOM_CF9_RESET_CPU);
	printf("Test result: FAILURE: port 0xcf9 did not reset the domain\n");
	sched_shutdown(KDOM_SHUTDOWN_POWEROFF, KDOM_RESULT_FAILURE);
	cpu_halt_forever();
}

void test_main(void)
{
	const char *reset = cmdline_get("reset");

	check_host_bridge();
	check_empty_slots();
	check_mechanism1();
	check_mptable();
	if (reset && test_result() == KDOM_RESULT_SUCCESS) {
		if (strcmp(reset, "cf9")) {
			test_error("unknown reset=%s", reset);
			return;
		}
		reset_through_cf9();
	}
}

/* hwdev: a real host device passed through (tests/hw): found by ID, BARs sized as the host says. */
#include "guest.h"

const char test_title[] = "hwdev: a host PCI device through kernel VFIO";

/*
 * vendor=0xVVVV device=0xDDDD: the device to find.  sizes=S0,S1,...,S5: each
 * BAR's size in bytes as the host's sysfs resource file gives it (0 for none
 * or an I/O BAR, which kdom does not pass).  The guest sizes every BAR, then
 * enables memory decoding and reads the first dword of the first memory BAR.
 */
void test_main(void)
{
	uint64_t vendor = cmdline_get_u64("vendor", 0), device = cmdline_get_u64("device", 0);
	const char *sizes = cmdline_get("sizes");
	unsigned int slot;

	if (!vendor || !sizes) {
		test_error("no vendor=, device= and sizes= on the command line");
		return;
	}
	report(pci_find(vendor, device, &slot), "device %04llx:%04llx on the guest's bus",
	       (unsigned long long)vendor, (unsigned long long)device);
	uint64_t want[6] = { 0 };
	const char *p = sizes;

	for (unsigned int bar = 0; bar < 6 && p && *p; bar++) {
		char word[24];
		size_t n = 0;

		while (p[n] && p[n] != ',' && n < sizeof(word) - 1) {
			word[n] = p[n];
			n++;
		}
		word[n] = '\0';
		parse_u64(word, &want[bar]);
		p = p[n] == ',' ? p + n + 1 : NULL;
	}
	for (unsigned int bar = 0; bar < 6; bar++) {
		bool is64 = false;
		uint64_t got = pci_bar_size(slot, bar, &is64);

		report(got == want[bar], "BAR%u size 0x%llx (host says 0x%llx)", bar,
		       (unsigned long long)got, (unsigned long long)want[bar]);
		if (is64)
			bar++; /* its upper half */
	}
}

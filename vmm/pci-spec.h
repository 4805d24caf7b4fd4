/* What `pci = [...]` and `--pci SPEC` name: a host device by BDF, or a vfio-user server. */
#ifndef KDOM_PCI_SPEC_H
#define KDOM_PCI_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PCI_SPEC_MAX 8 /* devices per domain */

enum pci_spec_kind { PCI_SPEC_HOST, PCI_SPEC_VFIO_USER };

struct pci_spec {
	enum pci_spec_kind kind;
	uint16_t domain; /* PCI_SPEC_HOST: segment, bus, device, function */
	uint8_t bus, dev, fn;
	char bdf[16];	/* "0000:03:00.0", canonical */
	char path[108]; /* PCI_SPEC_VFIO_USER: the server's socket */
};

/*
 * Parse "DDDD:BB:DD.F", "BB:DD.F" (segment 0) or "vfio-user:PATH".  0, or
 * -EINVAL with "pci 'X': what is wrong" in err.
 */
int pci_spec_parse(const char *text, struct pci_spec *spec, char *err, size_t errlen);

#endif

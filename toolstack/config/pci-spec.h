/* What `pci = [...]` and `--pci SPEC` name: a host device by BDF, or a vfio-user server. */
#ifndef KDOM_TOOLSTACK_PCI_SPEC_H
#define KDOM_TOOLSTACK_PCI_SPEC_H

#include <stddef.h>

#include "hv-roles/domain-config.h"

/*
 * Parse "DDDD:BB:DD.F", "BB:DD.F" (segment 0) or "vfio-user:PATH".  0, or
 * -EINVAL with "pci 'X': what is wrong" in err.
 */
int pci_spec_parse(const char *text, struct pci_spec *spec, char *err, size_t errlen);

#endif

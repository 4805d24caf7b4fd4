/* Which PCI devices a domain gets: the role rules applied, the back ends opened, before it starts. */
#ifndef KDOM_ASSIGN_H
#define KDOM_ASSIGN_H

#include <stddef.h>

#include "hv-roles/domain-config.h"
#include "hv-roles/domain.h"
#include "hv-roles/host-config.h"
#include "vfio/backend.h"

/*
 * For every `pci =` entry of dc: learn what the device is (a host device's
 * class and IOMMU group from sysfs; a vfio-user device's class from its
 * config space), ask policy_may_assign_pci() for domain d, and open its back
 * end.  All or nothing: 0 with backends[0..*n), or -errno with err naming the
 * device and the rule ("pci vfio-user:/run/d.sock refused for domain 1
 * (web): only the hardware domain may receive PCI devices, or a domain with
 * driver_domain = 1").
 */
int pt_assign_open(const struct domain *d, const struct domain_config *dc,
		   const struct host_config *host, struct pt_backend *backends[DOMAIN_PCI_MAX],
		   unsigned int *n, char *err, size_t errlen);

#endif

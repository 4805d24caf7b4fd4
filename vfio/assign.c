/* The pass-through assignment rules, applied with what the host and the device say. */
#include "vfio/assign.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "hv-roles/policy.h"
#include "vfio/host-pci.h"
#include "vfio/vfio-kernel.h"
#include "vfio/vfio-user.h"

#define PCI_CLASS_REVISION 0x08

/* A host device: its class and IOMMU group from sysfs, then VFIO. */
static int assign_host(const struct domain *d, const struct policy_domain_config *cfg,
		       const struct policy_host *ph, const struct pci_spec *spec,
		       struct pt_backend **out, char *err, size_t errlen)
{
	struct policy_pci_device facts = { .released = true };
	struct host_pci_device dev;
	char why[256] = "";
	const char *rule;
	bool viable = false;
	int group, ret;

	ret = host_pci_lookup(spec->bdf, &dev, err, errlen);
	if (ret)
		return ret;
	facts.host_bridge = host_pci_is_host_bridge(&dev);
	ret = vfio_kernel_group_status(spec->bdf, &vfio_sys_host, &group, &viable, why,
				       sizeof(why));
	if (ret == -ENOENT)
		snprintf(why, sizeof(why),
			 "%s has no IOMMU group: is the IOMMU on "
			 "(intel_iommu=on or amd_iommu=on)?",
			 spec->bdf);
	facts.group_viable = !ret && viable;
	if (policy_may_assign_pci(d, cfg, ph, &facts, &rule)) {
		bool group_rule = !facts.host_bridge && !facts.group_viable;

		snprintf(err, errlen, "pci %s refused for domain %u (%s): %s%s%s", spec->bdf,
			 d->domid, d->name, rule, group_rule && why[0] ? ": " : "",
			 group_rule ? why : "");
		return -EPERM;
	}
	return vfio_kernel_open(spec->bdf, &vfio_sys_host, out, err, errlen);
}

/* A vfio-user device: connect, then its class from its own config space. */
static int assign_vfio_user(const struct domain *d, const struct policy_domain_config *cfg,
			    const struct policy_host *ph, const struct pci_spec *spec,
			    struct pt_backend **out, char *err, size_t errlen)
{
	struct policy_pci_device facts = { .group_viable = true, .released = true };
	struct pt_backend *b;
	uint32_t class_rev = 0xffffffff;
	const char *rule;
	int ret;

	/* The rules that need nothing of the device come first: no connection for a refusal. */
	if (policy_may_assign_pci(d, cfg, ph, &facts, &rule)) {
		snprintf(err, errlen, "pci vfio-user:%s refused for domain %u (%s): %s", spec->path,
			 d->domid, d->name, rule);
		return -EPERM;
	}
	ret = vfio_user_open(spec->path, &b, err, errlen);
	if (ret)
		return ret;
	ret = b->ops->region_read(b, VFIO_PCI_CONFIG_REGION_INDEX, PCI_CLASS_REVISION, &class_rev,
				  4);
	if (ret) {
		snprintf(err, errlen, "pci vfio-user:%s: cannot read its config space: %s",
			 spec->path, strerror(-ret));
		b->ops->close(b);
		return ret;
	}
	facts.host_bridge = (class_rev >> 16) == 0x0600;
	if (policy_may_assign_pci(d, cfg, ph, &facts, &rule)) {
		snprintf(err, errlen, "pci vfio-user:%s refused for domain %u (%s): %s", spec->path,
			 d->domid, d->name, rule);
		b->ops->close(b);
		return -EPERM;
	}
	*out = b;
	return 0;
}

int pt_assign_open(const struct domain *d, const struct domain_config *dc,
		   const struct host_config *host, struct pt_backend *backends[DOMAIN_PCI_MAX],
		   unsigned int *n, char *err, size_t errlen)
{
	struct policy_domain_config cfg = { .pit = dc->pit, .driver_domain = dc->driver_domain };
	struct policy_host ph = host_config_policy(host);
	int ret = 0;

	*n = 0;
	for (unsigned int i = 0; i < dc->nr_pci && !ret; i++) {
		const struct pci_spec *spec = &dc->pci_spec[i];

		ret = spec->kind == PCI_SPEC_HOST
			      ? assign_host(d, &cfg, &ph, spec, &backends[*n], err, errlen)
			      : assign_vfio_user(d, &cfg, &ph, spec, &backends[*n], err, errlen);
		if (!ret)
			(*n)++;
	}
	while (ret && *n) {
		struct pt_backend *b = backends[--*n];

		b->ops->close(b);
	}
	return ret;
}

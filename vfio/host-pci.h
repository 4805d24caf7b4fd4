/* The host's PCI devices as sysfs shows them: existence, class, driver, binding to vfio-pci. */
#ifndef KDOM_HOST_PCI_H
#define KDOM_HOST_PCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HOST_PCI_SYSFS_ENV "KDOM_SYSFS_ROOT" /* tests: a folder standing for / */

struct host_pci_device {
	char bdf[16];
	uint32_t class_code; /* 0xCCSSPP */
	char driver[64];     /* "" when unbound */
	int iommu_group;     /* -1 without an IOMMU */
};

/* "/sys/bus/pci/devices/BDF/FILE" under the sysfs root.  */
void host_pci_path(char *buf, size_t len, const char *bdf, const char *file);

/* What sysfs says of bdf; 0, or -ENOENT with "no PCI device BDF on this host". */
int host_pci_lookup(const char *bdf, struct host_pci_device *dev, char *err, size_t errlen);

/* Class 06/00: a host bridge, never passed through. */
static inline bool host_pci_is_host_bridge(const struct host_pci_device *dev)
{
	return (dev->class_code >> 8) == 0x0600;
}

/*
 * Bind bdf to vfio-pci through driver_override (remembering its driver in
 * *previous), or give it back to previous ("" lets the kernel choose).
 * 0 or -errno with err.
 */
int host_pci_bind_vfio(const char *bdf, char *previous, size_t prevlen, char *err, size_t errlen);
int host_pci_unbind_vfio(const char *bdf, const char *previous, char *err, size_t errlen);

/* The devices bound to vfio-pci, one BDF per call of fn.  0 or -errno. */
int host_pci_list_vfio(void (*fn)(const char *bdf, void *opaque), void *opaque);

#endif

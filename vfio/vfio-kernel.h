/* The kernel VFIO back end: a host PCI device through /dev/vfio, its group, a type1 container. */
#ifndef KDOM_VFIO_KERNEL_H
#define KDOM_VFIO_KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "vfio/backend.h"

/*
 * Every kernel access of this back end goes through one of these: the
 * host's (vfio_sys_host, the libc calls) or, in the unit tests, a
 * simulation of the VFIO kernel interface and sysfs.  Each returns what
 * the system call does, or -errno instead of -1.
 */
struct vfio_sys {
	int (*open)(const struct vfio_sys *sys, const char *path, int flags);
	int (*close)(const struct vfio_sys *sys, int fd);
	/* arg is a pointer, or the value itself for VFIO_CHECK_EXTENSION and VFIO_SET_IOMMU. */
	int (*ioctl)(const struct vfio_sys *sys, int fd, unsigned long request, void *arg);
	ssize_t (*pread)(const struct vfio_sys *sys, int fd, void *buf, size_t len,
			 uint64_t offset);
	ssize_t (*pwrite)(const struct vfio_sys *sys, int fd, const void *buf, size_t len,
			  uint64_t offset);
	/* The link's target, NUL-terminated (truncated to len - 1): its length. */
	ssize_t (*readlink)(const struct vfio_sys *sys, const char *path, char *buf, size_t len);
	/* fn for each entry of the folder but "." and "..": 0, fn's first non-zero result. */
	int (*list_dir)(const struct vfio_sys *sys, const char *path,
			int (*fn)(void *opaque, const char *name), void *opaque);
	void *opaque; /* the simulation's state */
};

extern const struct vfio_sys vfio_sys_host;

/*
 * Open host device bdf ("DDDD:BB:DD.F", bound to vfio-pci) for
 * pass-through: its IOMMU group (which must be viable) in a type1v2
 * container of its own, the device reset when it supports reset (and
 * again on close).  0 with *out, or -errno with err saying why, e.g.
 * "IOMMU group 7 is not viable: 0000:03:00.1 is bound to snd_hda_intel;
 * bind it to vfio-pci or unbind it".  dma_map maps host at iova, readable
 * and writable by the device (fd and fd_offset are not used).
 */
int vfio_kernel_open(const char *bdf, const struct vfio_sys *sys, struct pt_backend **out,
		     char *err, size_t errlen);

/*
 * What sysfs says of bdf's IOMMU group, without opening anything (the role
 * policy refuses a device before its domain starts): 0 with *group and
 * *viable (every device of the group is bound to a VFIO driver, pci-stub or
 * pcieport, or is unbound, and bdf itself is bound to a VFIO driver; when
 * not, why names each offender); or -EINVAL (not a BDF), -ENODEV (no such
 * device), -ENOENT (no IOMMU group) with why.
 */
int vfio_kernel_group_status(const char *bdf, const struct vfio_sys *sys, int *group, bool *viable,
			     char *why, size_t len);

#endif

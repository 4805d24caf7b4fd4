/* The kernel VFIO back end: type1v2 container, group and device fds, through struct vfio_sys. */
#include "vfio/vfio-kernel.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vmm/log.h"

#define GROUP_DEVICES_MAX 64 /* offenders named in a message */

struct vfio_kernel {
	struct pt_backend backend; /* first: the back end's ops get this */
	const struct vfio_sys *sys;
	int container, group_fd, device;
	int group;
	bool container_set;
	struct vfio_device_info info;
	struct vfio_region_info regions[VFIO_PCI_NUM_REGIONS]; /* size 0: absent */
};

/* ---- The host's system calls ------------------------------------------------------------- */

static int host_open(const struct vfio_sys *sys, const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

static int host_close(const struct vfio_sys *sys, int fd)
{
	return close(fd) ? -errno : 0;
}

static int host_ioctl(const struct vfio_sys *sys, int fd, unsigned long request, void *arg)
{
	int ret = ioctl(fd, request, arg);

	return ret < 0 ? -errno : ret;
}

static ssize_t host_pread(const struct vfio_sys *sys, int fd, void *buf, size_t len,
			  uint64_t offset)
{
	ssize_t n = pread(fd, buf, len, offset);

	return n < 0 ? -errno : n;
}

static ssize_t host_pwrite(const struct vfio_sys *sys, int fd, const void *buf, size_t len,
			   uint64_t offset)
{
	ssize_t n = pwrite(fd, buf, len, offset);

	return n < 0 ? -errno : n;
}

static ssize_t host_readlink(const struct vfio_sys *sys, const char *path, char *buf, size_t len)
{
	ssize_t n = readlink(path, buf, len - 1);

	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return n;
}

static int host_list_dir(const struct vfio_sys *sys, const char *path,
			 int (*fn)(void *opaque, const char *name), void *opaque)
{
	DIR *dir = opendir(path);
	struct dirent *entry;
	int ret = 0;

	if (!dir)
		return -errno;
	while (!ret && (entry = readdir(dir)))
		if (strcmp(entry->d_name, ".") && strcmp(entry->d_name, ".."))
			ret = fn(opaque, entry->d_name);
	closedir(dir);
	return ret;
}

const struct vfio_sys vfio_sys_host = {
	.open = host_open,
	.close = host_close,
	.ioctl = host_ioctl,
	.pread = host_pread,
	.pwrite = host_pwrite,
	.readlink = host_readlink,
	.list_dir = host_list_dir,
};

/* ---- sysfs: the device, its group, the group's drivers ----------------------------------- */

/* "DDDD:BB:DD.F" (hex, device <= 0x1f, function <= 7), lower-cased into canon[13]. */
static bool bdf_parse(const char *bdf, char canon[13])
{
	static const char pattern[] = "xxxx:xx:xx.x";

	if (strlen(bdf) != sizeof(pattern) - 1)
		return false;
	for (size_t i = 0; pattern[i]; i++) {
		if (pattern[i] == 'x' ? !isxdigit((unsigned char)bdf[i]) : bdf[i] != pattern[i])
			return false;
		canon[i] = tolower((unsigned char)bdf[i]);
	}
	canon[sizeof(pattern) - 1] = '\0';
	return strtoul(canon + 8, NULL, 16) <= 0x1f && canon[11] <= '7';
}

/* The last component of the link at path (a driver's or group's name) in out. */
static int link_name(const struct vfio_sys *sys, const char *path, char *out, size_t len)
{
	char target[256];
	const char *slash;
	ssize_t n = sys->readlink(sys, path, target, sizeof(target));

	if (n < 0)
		return n;
	slash = strrchr(target, '/');
	if (snprintf(out, len, "%s", slash ? slash + 1 : target) >= (int)len)
		return -ENAMETOOLONG;
	return 0;
}

static bool driver_is_vfio(const char *driver)
{
	return strstr(driver, "vfio") != NULL;
}

/* A driver the kernel lets share a group with a device in user hands. */
static bool driver_allowed(const char *driver)
{
	return !driver[0] || driver_is_vfio(driver) || !strcmp(driver, "pci-stub") ||
	       !strcmp(driver, "pcieport");
}

struct offender {
	char bdf[64];
	char driver[64];
};

struct group_scan {
	const struct vfio_sys *sys;
	int group;
	unsigned int count;
	struct offender offenders[GROUP_DEVICES_MAX];
};

static int group_scan_device(void *opaque, const char *name)
{
	struct group_scan *scan = opaque;
	struct offender *o;
	char path[256], driver[64];

	snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%d/devices/%s/driver", scan->group,
		 name);
	if (link_name(scan->sys, path, driver, sizeof(driver)))
		driver[0] = '\0';
	if (driver_allowed(driver) || scan->count == GROUP_DEVICES_MAX)
		return 0;
	o = &scan->offenders[scan->count++];
	snprintf(o->bdf, sizeof(o->bdf), "%s", name);
	snprintf(o->driver, sizeof(o->driver), "%s", driver);
	return 0;
}

static int offender_compare(const void *a, const void *b)
{
	return strcmp(((const struct offender *)a)->bdf, ((const struct offender *)b)->bdf);
}

static void append(char *buf, size_t len, const char *fmt, ...)
{
	size_t used = strnlen(buf, len);
	va_list ap;

	if (used + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

/*
 * Name the devices that keep group from being viable in why: true when
 * there are some, false (why untouched) when sysfs shows none.
 */
static bool group_offenders(const struct vfio_sys *sys, int group, char *why, size_t len)
{
	struct group_scan *scan = calloc(1, sizeof(*scan));
	char path[128];
	bool found;

	if (!scan)
		return false;
	scan->sys = sys;
	scan->group = group;
	snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%d/devices", group);
	sys->list_dir(sys, path, group_scan_device, scan);
	found = scan->count > 0;
	if (found) {
		qsort(scan->offenders, scan->count, sizeof(scan->offenders[0]), offender_compare);
		snprintf(why, len, "IOMMU group %d is not viable: ", group);
		for (unsigned int i = 0; i < scan->count; i++)
			append(why, len, "%s%s is bound to %s", i ? ", " : "",
			       scan->offenders[i].bdf, scan->offenders[i].driver);
		append(why, len, "; bind %s to vfio-pci or unbind %s",
		       scan->count > 1 ? "them" : "it", scan->count > 1 ? "them" : "it");
	}
	free(scan);
	return found;
}

int vfio_kernel_group_status(const char *bdf, const struct vfio_sys *sys, int *group, bool *viable,
			     char *why, size_t len)
{
	char canon[13], path[128], target[256], name[64], driver[64], *end;
	long number;

	*viable = false;
	*group = -1;
	if (!bdf_parse(bdf, canon)) {
		snprintf(why, len, "'%s' is not a PCI device address (DDDD:BB:DD.F)", bdf);
		return -EINVAL;
	}
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", canon);
	if (sys->readlink(sys, path, target, sizeof(target)) < 0) {
		snprintf(why, len, "no PCI device %s on this host", canon);
		return -ENODEV;
	}
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", canon);
	if (link_name(sys, path, name, sizeof(name))) {
		snprintf(why, len,
			 "%s has no IOMMU group: is the IOMMU on (intel_iommu=on or amd_iommu=on)?",
			 canon);
		return -ENOENT;
	}
	number = strtol(name, &end, 10);
	if (!name[0] || *end || number < 0 || number > 0x7fffffff) {
		snprintf(why, len, "%s's IOMMU group '%s' is not a number", canon, name);
		return -ENOENT;
	}
	*group = number;
	if (group_offenders(sys, *group, why, len))
		return 0;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", canon);
	if (link_name(sys, path, driver, sizeof(driver)))
		driver[0] = '\0';
	if (!driver_is_vfio(driver)) {
		snprintf(why, len, "%s is not bound to vfio-pci (%s%s); bind it to vfio-pci", canon,
			 driver[0] ? "its driver: " : "it has no driver", driver);
		return 0;
	}
	*viable = true;
	why[0] = '\0';
	return 0;
}

/* ---- Opening and closing ------------------------------------------------------------------ */

static struct vfio_kernel *to_kernel(struct pt_backend *b)
{
	return (struct vfio_kernel *)b;
}

static int container_open(struct vfio_kernel *vk, char *err, size_t errlen)
{
	const struct vfio_sys *sys = vk->sys;
	int ret;

	vk->container = sys->open(sys, "/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (vk->container < 0) {
		ret = vk->container;
		snprintf(err, errlen, "cannot open /dev/vfio/vfio (is the vfio module loaded?): %s",
			 strerror(-ret));
		return ret;
	}
	ret = sys->ioctl(sys, vk->container, VFIO_GET_API_VERSION, NULL);
	if (ret != VFIO_API_VERSION) {
		snprintf(err, errlen, "/dev/vfio/vfio speaks VFIO API %d, kdom speaks %d", ret,
			 VFIO_API_VERSION);
		return ret < 0 ? ret : -ENOTSUP;
	}
	ret = sys->ioctl(sys, vk->container, VFIO_CHECK_EXTENSION,
			 (void *)(uintptr_t)VFIO_TYPE1v2_IOMMU);
	if (ret <= 0) {
		snprintf(err, errlen,
			 "the kernel's VFIO has no type1v2 IOMMU (is vfio_iommu_type1 "
			 "loaded?)");
		return ret < 0 ? ret : -ENOTSUP;
	}
	return 0;
}

static int group_open(struct vfio_kernel *vk, char *err, size_t errlen)
{
	const struct vfio_sys *sys = vk->sys;
	struct vfio_group_status status = { .argsz = sizeof(status) };
	char path[64];
	int ret;

	snprintf(path, sizeof(path), "/dev/vfio/%d", vk->group);
	vk->group_fd = sys->open(sys, path, O_RDWR | O_CLOEXEC);
	if (vk->group_fd < 0) {
		ret = vk->group_fd;
		if (ret == -EBUSY)
			snprintf(err, errlen,
				 "IOMMU group %d is in use (by another domain or program)",
				 vk->group);
		else
			snprintf(err, errlen, "cannot open %s for %s: %s", path, vk->backend.name,
				 strerror(-ret));
		return ret;
	}
	ret = sys->ioctl(sys, vk->group_fd, VFIO_GROUP_GET_STATUS, &status);
	if (ret < 0) {
		snprintf(err, errlen, "cannot get IOMMU group %d's status: %s", vk->group,
			 strerror(-ret));
		return ret;
	}
	if (!(status.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		if (!group_offenders(sys, vk->group, err, errlen))
			snprintf(err, errlen,
				 "IOMMU group %d is not viable: every device in it must be bound "
				 "to vfio-pci or unbound",
				 vk->group);
		return -EPERM;
	}
	ret = sys->ioctl(sys, vk->group_fd, VFIO_GROUP_SET_CONTAINER, &vk->container);
	if (ret < 0) {
		snprintf(err, errlen, "cannot put IOMMU group %d in a VFIO container: %s",
			 vk->group, strerror(-ret));
		return ret;
	}
	vk->container_set = true;
	ret = sys->ioctl(sys, vk->container, VFIO_SET_IOMMU, (void *)(uintptr_t)VFIO_TYPE1v2_IOMMU);
	if (ret < 0) {
		snprintf(err, errlen, "cannot set the type1v2 IOMMU for group %d: %s", vk->group,
			 strerror(-ret));
		return ret;
	}
	return 0;
}

static int device_open(struct vfio_kernel *vk, char *err, size_t errlen)
{
	const struct vfio_sys *sys = vk->sys;
	const char *name = vk->backend.name;
	unsigned int regions;
	int ret;

	vk->device = sys->ioctl(sys, vk->group_fd, VFIO_GROUP_GET_DEVICE_FD, (void *)name);
	if (vk->device < 0) {
		ret = vk->device;
		snprintf(err, errlen, "cannot get %s from IOMMU group %d: %s", name, vk->group,
			 strerror(-ret));
		return ret;
	}
	vk->info.argsz = sizeof(vk->info);
	ret = sys->ioctl(sys, vk->device, VFIO_DEVICE_GET_INFO, &vk->info);
	if (ret < 0) {
		snprintf(err, errlen, "cannot get %s's VFIO device info: %s", name, strerror(-ret));
		return ret;
	}
	if (!(vk->info.flags & VFIO_DEVICE_FLAGS_PCI) ||
	    vk->info.num_regions <= VFIO_PCI_CONFIG_REGION_INDEX) {
		snprintf(err, errlen, "%s is not a VFIO PCI device (flags 0x%x, %u regions)", name,
			 vk->info.flags, vk->info.num_regions);
		return -ENOTSUP;
	}
	regions = vk->info.num_regions < VFIO_PCI_NUM_REGIONS ? vk->info.num_regions
							      : VFIO_PCI_NUM_REGIONS;
	for (unsigned int i = 0; i < regions; i++) {
		struct vfio_region_info *r = &vk->regions[i];

		r->argsz = sizeof(*r);
		r->index = i;
		ret = sys->ioctl(sys, vk->device, VFIO_DEVICE_GET_REGION_INFO, r);
		if (ret < 0 && i == VFIO_PCI_CONFIG_REGION_INDEX) {
			snprintf(err, errlen, "cannot get %s's config region: %s", name,
				 strerror(-ret));
			return ret;
		}
		if (ret < 0) /* VGA on a device without it: -EINVAL */
			memset(r, 0, sizeof(*r));
	}
	if (vk->info.flags & VFIO_DEVICE_FLAGS_RESET) {
		ret = sys->ioctl(sys, vk->device, VFIO_DEVICE_RESET, NULL);
		if (ret < 0)
			log_warn("%s: reset failed: %s", name, strerror(-ret));
	} else {
		log_info("%s cannot be reset: the guest gets it as its host driver left it", name);
	}
	return 0;
}

static void vfio_kernel_release(struct vfio_kernel *vk)
{
	const struct vfio_sys *sys = vk->sys;
	int ret;

	if (vk->device >= 0) {
		if (vk->info.flags & VFIO_DEVICE_FLAGS_RESET) {
			ret = sys->ioctl(sys, vk->device, VFIO_DEVICE_RESET, NULL);
			if (ret < 0)
				log_warn("%s: reset on release failed: %s", vk->backend.name,
					 strerror(-ret));
		}
		sys->close(sys, vk->device);
	}
	if (vk->group_fd >= 0) {
		if (vk->container_set)
			sys->ioctl(sys, vk->group_fd, VFIO_GROUP_UNSET_CONTAINER, NULL);
		sys->close(sys, vk->group_fd);
	}
	if (vk->container >= 0)
		sys->close(sys, vk->container);
	free(vk);
}

/* ---- The back end's operations ------------------------------------------------------------ */

static int vk_device_info(struct pt_backend *b, struct vfio_device_info *info)
{
	*info = to_kernel(b)->info;
	return 0;
}

static int vk_region_info(struct pt_backend *b, struct vfio_region_info *info, int *mmap_fd)
{
	struct vfio_kernel *vk = to_kernel(b);
	int ret;

	*mmap_fd = -1;
	if (info->index < VFIO_PCI_NUM_REGIONS && info->index < vk->info.num_regions) {
		*info = vk->regions[info->index];
	} else {
		info->argsz = sizeof(*info);
		ret = vk->sys->ioctl(vk->sys, vk->device, VFIO_DEVICE_GET_REGION_INFO, info);
		if (ret < 0)
			return ret;
	}
	if (info->flags & VFIO_REGION_INFO_FLAG_MMAP)
		*mmap_fd = vk->device;
	return 0;
}

static int region_check(struct vfio_kernel *vk, uint32_t index, uint64_t offset, uint32_t len,
			uint32_t need)
{
	const struct vfio_region_info *r;

	if (index >= VFIO_PCI_NUM_REGIONS || index >= vk->info.num_regions)
		return -EINVAL;
	r = &vk->regions[index];
	if (!(r->flags & need) || offset > r->size || len > r->size - offset)
		return -EINVAL;
	return 0;
}

static int vk_region_read(struct pt_backend *b, uint32_t index, uint64_t offset, void *data,
			  uint32_t len)
{
	struct vfio_kernel *vk = to_kernel(b);
	ssize_t n;
	int ret = region_check(vk, index, offset, len, VFIO_REGION_INFO_FLAG_READ);

	if (ret)
		return ret;
	n = vk->sys->pread(vk->sys, vk->device, data, len, vk->regions[index].offset + offset);
	if (n < 0)
		return n;
	return (size_t)n == len ? 0 : -EIO;
}

static int vk_region_write(struct pt_backend *b, uint32_t index, uint64_t offset, const void *data,
			   uint32_t len)
{
	struct vfio_kernel *vk = to_kernel(b);
	ssize_t n;
	int ret = region_check(vk, index, offset, len, VFIO_REGION_INFO_FLAG_WRITE);

	if (ret)
		return ret;
	n = vk->sys->pwrite(vk->sys, vk->device, data, len, vk->regions[index].offset + offset);
	if (n < 0)
		return n;
	return (size_t)n == len ? 0 : -EIO;
}

static int vk_irq_info(struct pt_backend *b, struct vfio_irq_info *info)
{
	struct vfio_kernel *vk = to_kernel(b);
	int ret;

	info->argsz = sizeof(*info);
	ret = vk->sys->ioctl(vk->sys, vk->device, VFIO_DEVICE_GET_IRQ_INFO, info);
	return ret < 0 ? ret : 0;
}

static int vk_set_irqs(struct pt_backend *b, uint32_t index, uint32_t action, uint32_t start,
		       uint32_t count, const int32_t *fds)
{
	struct vfio_kernel *vk = to_kernel(b);
	size_t size = sizeof(struct vfio_irq_set) + (size_t)count * sizeof(int32_t);
	struct vfio_irq_set *set;
	int ret;

	if (count && !fds)
		return -EINVAL;
	if (count > 65536)
		return -EINVAL;
	set = calloc(1, size);
	if (!set)
		return -ENOMEM;
	set->argsz = size;
	set->flags = action | (count ? VFIO_IRQ_SET_DATA_EVENTFD : VFIO_IRQ_SET_DATA_NONE);
	set->index = index;
	set->start = start;
	set->count = count;
	if (count)
		memcpy(set->data, fds, (size_t)count * sizeof(int32_t));
	ret = vk->sys->ioctl(vk->sys, vk->device, VFIO_DEVICE_SET_IRQS, set);
	free(set);
	return ret < 0 ? ret : 0;
}

static int vk_dma_map(struct pt_backend *b, uint64_t iova, uint64_t size, void *host, int fd,
		      uint64_t fd_offset)
{
	struct vfio_kernel *vk = to_kernel(b);
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)host,
		.iova = iova,
		.size = size,
	};
	int ret = vk->sys->ioctl(vk->sys, vk->container, VFIO_IOMMU_MAP_DMA, &map);

	return ret < 0 ? ret : 0;
}

static int vk_dma_unmap(struct pt_backend *b, uint64_t iova, uint64_t size)
{
	struct vfio_kernel *vk = to_kernel(b);
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap),
		.iova = iova,
		.size = size,
	};
	int ret = vk->sys->ioctl(vk->sys, vk->container, VFIO_IOMMU_UNMAP_DMA, &unmap);

	if (ret < 0)
		return ret;
	if (unmap.size != size)
		log_debug("%s: unmapping 0x%llx bytes at iova 0x%llx unmapped 0x%llx", b->name,
			  (unsigned long long)size, (unsigned long long)iova,
			  (unsigned long long)unmap.size);
	return 0;
}

static int vk_reset(struct pt_backend *b)
{
	struct vfio_kernel *vk = to_kernel(b);
	int ret;

	if (!(vk->info.flags & VFIO_DEVICE_FLAGS_RESET))
		return -ENOTTY;
	ret = vk->sys->ioctl(vk->sys, vk->device, VFIO_DEVICE_RESET, NULL);
	return ret < 0 ? ret : 0;
}

static void vk_close(struct pt_backend *b)
{
	vfio_kernel_release(to_kernel(b));
}

static const struct pt_backend_ops vfio_kernel_ops = {
	.device_info = vk_device_info,
	.region_info = vk_region_info,
	.region_read = vk_region_read,
	.region_write = vk_region_write,
	.irq_info = vk_irq_info,
	.set_irqs = vk_set_irqs,
	.dma_map = vk_dma_map,
	.dma_unmap = vk_dma_unmap,
	.reset = vk_reset,
	.close = vk_close,
};

int vfio_kernel_open(const char *bdf, const struct vfio_sys *sys, struct pt_backend **out,
		     char *err, size_t errlen)
{
	struct vfio_kernel *vk;
	char canon[13];
	bool viable;
	int group, ret;

	*out = NULL;
	ret = vfio_kernel_group_status(bdf, sys, &group, &viable, err, errlen);
	if (ret)
		return ret;
	if (!viable)
		return -EPERM;
	bdf_parse(bdf, canon);
	vk = calloc(1, sizeof(*vk));
	if (!vk) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	vk->backend.ops = &vfio_kernel_ops;
	snprintf(vk->backend.name, sizeof(vk->backend.name), "%s", canon);
	vk->sys = sys;
	vk->group = group;
	vk->container = vk->group_fd = vk->device = -1;
	ret = container_open(vk, err, errlen);
	if (!ret)
		ret = group_open(vk, err, errlen);
	if (!ret)
		ret = device_open(vk, err, errlen);
	if (ret) {
		vfio_kernel_release(vk);
		return ret;
	}
	*out = &vk->backend;
	return 0;
}

/* The simulated VFIO kernel: containers, groups, devices and sysfs, checked as the kernel does. */
#include "tests/unit/vfio-sim.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define REGION_SHIFT 40 /* vfio-pci's VFIO_PCI_OFFSET_SHIFT: region index << 40 */
#define minsz(type, field) (offsetof(type, field) + sizeof(((type *)0)->field))

static struct vfio_sim *sim_of(const struct vfio_sys *sys)
{
	return sys->opaque;
}

static void sim_log(struct vfio_sim *sim, const char *fmt, const char *what)
{
	if (sim->n_log < VFIO_SIM_LOG)
		snprintf(sim->log[sim->n_log++], sizeof(sim->log[0]), fmt, what);
}

static struct vfio_sim_fd *fd_get(struct vfio_sim *sim, int fd)
{
	if (fd < VFIO_SIM_FD_BASE || fd >= VFIO_SIM_FD_BASE + VFIO_SIM_FDS)
		return NULL;
	if (sim->fds[fd - VFIO_SIM_FD_BASE].kind == SIM_FD_FREE)
		return NULL;
	return &sim->fds[fd - VFIO_SIM_FD_BASE];
}

static int fd_new(struct vfio_sim *sim, enum vfio_sim_fd_kind kind)
{
	for (int i = 0; i < VFIO_SIM_FDS; i++) {
		if (sim->fds[i].kind == SIM_FD_FREE) {
			memset(&sim->fds[i], 0, sizeof(sim->fds[i]));
			sim->fds[i].kind = kind;
			sim->fds[i].container = -1;
			sim->fds[i].group = -1;
			return VFIO_SIM_FD_BASE + i;
		}
	}
	return -EMFILE;
}

static struct vfio_sim_device *device_by_bdf(struct vfio_sim *sim, const char *bdf)
{
	for (unsigned int i = 0; i < sim->n_devices; i++)
		if (!strcmp(sim->devices[i].bdf, bdf))
			return &sim->devices[i];
	return NULL;
}

static bool driver_is_vfio(const char *driver)
{
	return strstr(driver, "vfio") != NULL;
}

/* The kernel's rule: every device unbound, or bound to a VFIO driver, pci-stub or pcieport. */
static bool group_viable(struct vfio_sim *sim, int group)
{
	for (unsigned int i = 0; i < sim->n_devices; i++) {
		const char *d = sim->devices[i].driver;

		if (sim->devices[i].group == group && d[0] && !driver_is_vfio(d) &&
		    strcmp(d, "pci-stub") && strcmp(d, "pcieport"))
			return false;
	}
	return true;
}

/* /dev/vfio/N exists while some device of group N is bound to a VFIO driver. */
static bool group_exists(struct vfio_sim *sim, int group)
{
	for (unsigned int i = 0; i < sim->n_devices; i++)
		if (sim->devices[i].group == group && driver_is_vfio(sim->devices[i].driver))
			return true;
	return false;
}

static void container_detach(struct vfio_sim *sim, int index)
{
	struct vfio_sim_container *c = &sim->containers[index];

	if (--c->groups)
		return;
	c->iommu = 0; /* the last group out takes the IOMMU and its mappings */
	c->n_dmas = 0;
	if (!c->fd_open)
		c->used = false;
}

/* ---- open, close ----------------------------------------------------------------------- */

static int sim_open(const struct vfio_sys *sys, const char *path, int flags)
{
	struct vfio_sim *sim = sim_of(sys);
	char *end;
	long group;
	int fd;

	sim_log(sim, "open %s", path);
	if (!strcmp(path, "/dev/vfio/vfio")) {
		for (int i = 0; i < VFIO_SIM_CONTAINERS; i++) {
			if (sim->containers[i].used)
				continue;
			fd = fd_new(sim, SIM_FD_CONTAINER);
			if (fd < 0)
				return fd;
			memset(&sim->containers[i], 0, sizeof(sim->containers[i]));
			sim->containers[i].used = sim->containers[i].fd_open = true;
			fd_get(sim, fd)->container = i;
			return fd;
		}
		return -ENOMEM;
	}
	if (strncmp(path, "/dev/vfio/", 10))
		return -ENOENT;
	group = strtol(path + 10, &end, 10);
	if (!path[10] || *end || !group_exists(sim, group))
		return -ENOENT;
	for (int i = 0; i < VFIO_SIM_FDS; i++)
		if (sim->fds[i].kind == SIM_FD_GROUP && sim->fds[i].group == group)
			return -EBUSY; /* one opener at a time */
	fd = fd_new(sim, SIM_FD_GROUP);
	if (fd >= 0)
		fd_get(sim, fd)->group = group;
	return fd;
}

static const char *fd_kind_name(enum vfio_sim_fd_kind kind)
{
	static const char *const names[] = { "free", "container", "group", "device" };

	return names[kind];
}

static int sim_close(const struct vfio_sys *sys, int fd)
{
	struct vfio_sim *sim = sim_of(sys);
	struct vfio_sim_fd *f = fd_get(sim, fd);

	if (!f)
		return -EBADF;
	sim_log(sim, "close %s", fd_kind_name(f->kind));
	switch (f->kind) {
	case SIM_FD_CONTAINER:
		sim->containers[f->container].fd_open = false;
		if (!sim->containers[f->container].groups)
			sim->containers[f->container].used = false;
		break;
	case SIM_FD_GROUP:
		if (f->container >= 0)
			container_detach(sim, f->container);
		break;
	case SIM_FD_DEVICE:
		f->device->irq_type = -1; /* release disables the interrupts */
		break;
	default:
		break;
	}
	f->kind = SIM_FD_FREE;
	return 0;
}

/* ---- Container ioctls ------------------------------------------------------------------ */

static bool dma_overlaps(const struct vfio_sim_dma *d, uint64_t iova, uint64_t size)
{
	return iova < d->iova + d->size && d->iova < iova + size;
}

static int sim_map_dma(struct vfio_sim_container *c, struct vfio_iommu_type1_dma_map *map)
{
	uint32_t prot = map->flags & (VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE);

	if (map->argsz < minsz(struct vfio_iommu_type1_dma_map, size) ||
	    (map->flags &
	     ~(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE | VFIO_DMA_MAP_FLAG_VADDR)))
		return -EINVAL;
	if (!prot || (map->flags & VFIO_DMA_MAP_FLAG_VADDR)) /* vaddr updates: not simulated */
		return -EINVAL;
	if (!map->size || ((map->size | map->iova | map->vaddr) & (VFIO_SIM_PAGE - 1)))
		return -EINVAL;
	if (map->iova + map->size - 1 < map->iova || map->vaddr + map->size - 1 < map->vaddr)
		return -EINVAL;
	for (unsigned int i = 0; i < c->n_dmas; i++)
		if (dma_overlaps(&c->dmas[i], map->iova, map->size))
			return -EEXIST;
	if (c->n_dmas == VFIO_SIM_DMAS)
		return -ENOSPC;
	c->dmas[c->n_dmas++] = (struct vfio_sim_dma){
		.iova = map->iova, .size = map->size, .vaddr = map->vaddr, .flags = map->flags
	};
	return 0;
}

static int sim_unmap_dma(struct vfio_sim_container *c, struct vfio_iommu_type1_dma_unmap *unmap)
{
	uint64_t iova = unmap->iova, size = unmap->size, unmapped = 0;
	unsigned int i = 0;

	if (unmap->argsz < minsz(struct vfio_iommu_type1_dma_unmap, size) || unmap->flags)
		return -EINVAL;
	if (!size || ((iova | size) & (VFIO_SIM_PAGE - 1)) || iova + size - 1 < iova)
		return -EINVAL;
	/* type1v2 unmaps whole mappings only: no bisecting one at either end. */
	for (i = 0; i < c->n_dmas; i++) {
		const struct vfio_sim_dma *d = &c->dmas[i];

		if (dma_overlaps(d, iova, 1) && d->iova != iova)
			return -EINVAL;
		if (dma_overlaps(d, iova + size - 1, 1) && d->iova + d->size != iova + size)
			return -EINVAL;
	}
	for (i = 0; i < c->n_dmas;) {
		if (dma_overlaps(&c->dmas[i], iova, size)) {
			unmapped += c->dmas[i].size;
			c->dmas[i] = c->dmas[--c->n_dmas];
		} else {
			i++;
		}
	}
	unmap->size = unmapped;
	return 0;
}

static int container_ioctl(struct vfio_sim *sim, struct vfio_sim_fd *f, unsigned long request,
			   void *arg)
{
	struct vfio_sim_container *c = &sim->containers[f->container];
	unsigned long value = (uintptr_t)arg;

	switch (request) {
	case VFIO_GET_API_VERSION:
		return sim->api_version;
	case VFIO_CHECK_EXTENSION:
		return value == VFIO_TYPE1_IOMMU ||
		       (value == VFIO_TYPE1v2_IOMMU && !sim->no_type1v2);
	case VFIO_SET_IOMMU:
		if (!c->groups || c->iommu)
			return -EINVAL;
		if (value != VFIO_TYPE1_IOMMU && (value != VFIO_TYPE1v2_IOMMU || sim->no_type1v2))
			return -ENODEV;
		c->iommu = value;
		return 0;
	case VFIO_IOMMU_MAP_DMA:
		return c->iommu ? sim_map_dma(c, arg) : -ENOTTY;
	case VFIO_IOMMU_UNMAP_DMA:
		return c->iommu ? sim_unmap_dma(c, arg) : -ENOTTY;
	}
	return -ENOTTY;
}

/* ---- Group ioctls ---------------------------------------------------------------------- */

static unsigned int group_devices_open(struct vfio_sim *sim, int group)
{
	unsigned int n = 0;

	for (int i = 0; i < VFIO_SIM_FDS; i++)
		if (sim->fds[i].kind == SIM_FD_DEVICE && sim->fds[i].device->group == group)
			n++;
	return n;
}

static int group_ioctl(struct vfio_sim *sim, struct vfio_sim_fd *f, unsigned long request,
		       void *arg)
{
	struct vfio_group_status *status = arg;
	struct vfio_sim_device *dev;
	struct vfio_sim_fd *cf;
	int fd;

	switch (request) {
	case VFIO_GROUP_GET_STATUS:
		if (status->argsz < minsz(struct vfio_group_status, flags))
			return -EINVAL;
		status->flags = (group_viable(sim, f->group) ? VFIO_GROUP_FLAGS_VIABLE : 0) |
				(f->container >= 0 ? VFIO_GROUP_FLAGS_CONTAINER_SET : 0);
		return 0;
	case VFIO_GROUP_SET_CONTAINER:
		if (f->container >= 0)
			return -EINVAL;
		cf = fd_get(sim, *(int32_t *)arg);
		if (!cf)
			return -EBADF;
		if (cf->kind != SIM_FD_CONTAINER)
			return -EINVAL;
		if (!group_viable(sim, f->group))
			return -EBUSY; /* the kernel cannot claim DMA ownership from its drivers */
		f->container = cf->container;
		sim->containers[cf->container].groups++;
		return 0;
	case VFIO_GROUP_UNSET_CONTAINER:
		if (f->container < 0)
			return -EINVAL;
		if (group_devices_open(sim, f->group))
			return -EBUSY;
		container_detach(sim, f->container);
		f->container = -1;
		return 0;
	case VFIO_GROUP_GET_DEVICE_FD:
		if (f->container < 0 || !sim->containers[f->container].iommu ||
		    !group_viable(sim, f->group))
			return -EINVAL;
		dev = device_by_bdf(sim, arg);
		if (!dev || dev->group != f->group || !driver_is_vfio(dev->driver))
			return -ENODEV;
		fd = fd_new(sim, SIM_FD_DEVICE);
		if (fd >= 0) {
			fd_get(sim, fd)->device = dev;
			fd_get(sim, fd)->group = f->group;
		}
		return fd;
	}
	return -ENOTTY;
}

/* ---- Device ioctls --------------------------------------------------------------------- */

static int check_eventfd(int fd)
{
	char path[64], target[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return -EBADF;
	target[n] = '\0';
	return strcmp(target, "anon_inode:[eventfd]") ? -EINVAL : 0;
}

/* vfio_set_irqs_validate_and_prepare(), then vfio-pci's rules per index. */
static int device_set_irqs(struct vfio_sim_device *dev, struct vfio_irq_set *set)
{
	size_t min = minsz(struct vfio_irq_set, count), size = 0;
	uint32_t data = set->flags & VFIO_IRQ_SET_DATA_TYPE_MASK;
	uint32_t action = set->flags & VFIO_IRQ_SET_ACTION_TYPE_MASK;
	bool disable;
	int ret;

	if (set->argsz < min || set->index >= VFIO_PCI_NUM_IRQS ||
	    set->count >= UINT32_MAX - set->start ||
	    (set->flags & ~(VFIO_IRQ_SET_DATA_TYPE_MASK | VFIO_IRQ_SET_ACTION_TYPE_MASK)))
		return -EINVAL;
	if (set->start >= dev->irqs[set->index].count ||
	    set->start + set->count > dev->irqs[set->index].count)
		return -EINVAL;
	if (data == VFIO_IRQ_SET_DATA_BOOL)
		size = 1;
	else if (data == VFIO_IRQ_SET_DATA_EVENTFD)
		size = 4;
	else if (data != VFIO_IRQ_SET_DATA_NONE)
		return -EINVAL;
	if (set->argsz - min < (size_t)set->count * size)
		return -EINVAL;
	if (action != VFIO_IRQ_SET_ACTION_MASK && action != VFIO_IRQ_SET_ACTION_UNMASK &&
	    action != VFIO_IRQ_SET_ACTION_TRIGGER)
		return -ENOTTY;

	disable = !set->count && data == VFIO_IRQ_SET_DATA_NONE;
	switch (set->index) {
	case VFIO_PCI_INTX_IRQ_INDEX:
		if (action != VFIO_IRQ_SET_ACTION_TRIGGER) {
			if (dev->irq_type != VFIO_PCI_INTX_IRQ_INDEX)
				return -EINVAL;
			break;
		}
		if (dev->irq_type == VFIO_PCI_INTX_IRQ_INDEX && disable) {
			dev->irq_type = -1;
			break;
		}
		if ((dev->irq_type != -1 && dev->irq_type != VFIO_PCI_INTX_IRQ_INDEX) ||
		    set->start || set->count != 1)
			return -EINVAL;
		break;
	case VFIO_PCI_MSI_IRQ_INDEX:
	case VFIO_PCI_MSIX_IRQ_INDEX:
		if (action != VFIO_IRQ_SET_ACTION_TRIGGER)
			return -ENOTTY; /* vfio-pci exports no MSI masking */
		if (dev->irq_type == (int)set->index && disable) {
			dev->irq_type = -1;
			break;
		}
		if (dev->irq_type != -1 && dev->irq_type != (int)set->index)
			return -EINVAL;
		break;
	default:
		if (action != VFIO_IRQ_SET_ACTION_TRIGGER || data != VFIO_IRQ_SET_DATA_EVENTFD)
			return -EINVAL;
		break;
	}
	if (data == VFIO_IRQ_SET_DATA_EVENTFD) {
		const int32_t *fds = (const int32_t *)set->data;
		bool any = false;

		for (uint32_t i = 0; i < set->count; i++) {
			if (fds[i] < 0)
				continue;
			ret = check_eventfd(fds[i]);
			if (ret)
				return ret;
			any = true;
		}
		if (action == VFIO_IRQ_SET_ACTION_TRIGGER &&
		    set->index <= VFIO_PCI_MSIX_IRQ_INDEX) {
			if (any)
				dev->irq_type = set->index;
			else if (set->index == VFIO_PCI_INTX_IRQ_INDEX)
				dev->irq_type = -1;
		}
	}
	if (dev->n_irq_sets < sizeof(dev->irq_sets) / sizeof(dev->irq_sets[0])) {
		struct vfio_sim_irq_set *r = &dev->irq_sets[dev->n_irq_sets++];

		memset(r, 0, sizeof(*r));
		r->index = set->index;
		r->flags = set->flags;
		r->start = set->start;
		r->count = set->count;
		if (data == VFIO_IRQ_SET_DATA_EVENTFD)
			memcpy(r->fds, set->data,
			       (set->count < 8 ? set->count : 8) * sizeof(int32_t));
	}
	return 0;
}

static int device_ioctl(struct vfio_sim *sim, struct vfio_sim_fd *f, unsigned long request,
			void *arg)
{
	struct vfio_sim_device *dev = f->device;
	struct vfio_device_info *info = arg;
	struct vfio_region_info *region = arg;
	struct vfio_irq_info *irq = arg;

	switch (request) {
	case VFIO_DEVICE_GET_INFO:
		if (info->argsz < minsz(struct vfio_device_info, num_irqs))
			return -EINVAL;
		info->flags = dev->flags;
		info->num_regions = dev->num_regions;
		info->num_irqs = VFIO_PCI_NUM_IRQS;
		return 0;
	case VFIO_DEVICE_GET_REGION_INFO:
		if (region->argsz < minsz(struct vfio_region_info, offset) ||
		    region->index >= dev->num_regions)
			return -EINVAL;
		if (region->index == VFIO_PCI_VGA_REGION_INDEX && !dev->regions[region->index].size)
			return -EINVAL; /* no VGA */
		region->flags = dev->regions[region->index].flags;
		region->size = dev->regions[region->index].size;
		region->offset = (uint64_t)region->index << REGION_SHIFT;
		region->cap_offset = 0;
		return 0;
	case VFIO_DEVICE_GET_IRQ_INFO:
		if (irq->argsz < minsz(struct vfio_irq_info, count) ||
		    irq->index >= VFIO_PCI_NUM_IRQS)
			return -EINVAL;
		irq->flags = dev->irqs[irq->index].flags;
		irq->count = dev->irqs[irq->index].count;
		return 0;
	case VFIO_DEVICE_SET_IRQS:
		return device_set_irqs(dev, arg);
	case VFIO_DEVICE_RESET:
		if (!(dev->flags & VFIO_DEVICE_FLAGS_RESET))
			return -EINVAL;
		dev->resets++;
		dev->irq_type = -1;
		memset(dev->regions[VFIO_PCI_CONFIG_REGION_INDEX].data + 4, 0, 2); /* command */
		return 0;
	}
	return -ENOTTY;
}

static const char *ioctl_name(unsigned long request)
{
#define NAME(r) \
	case r: \
		return #r
	switch (request) {
		NAME(VFIO_GET_API_VERSION);
		NAME(VFIO_CHECK_EXTENSION);
		NAME(VFIO_SET_IOMMU);
		NAME(VFIO_IOMMU_MAP_DMA);
		NAME(VFIO_IOMMU_UNMAP_DMA);
		NAME(VFIO_GROUP_GET_STATUS);
		NAME(VFIO_GROUP_SET_CONTAINER);
		NAME(VFIO_GROUP_UNSET_CONTAINER);
		NAME(VFIO_GROUP_GET_DEVICE_FD);
		NAME(VFIO_DEVICE_GET_INFO);
		NAME(VFIO_DEVICE_GET_REGION_INFO);
		NAME(VFIO_DEVICE_GET_IRQ_INFO);
		NAME(VFIO_DEVICE_SET_IRQS);
		NAME(VFIO_DEVICE_RESET);
	}
#undef NAME
	return "unknown";
}

static int sim_ioctl(const struct vfio_sys *sys, int fd, unsigned long request, void *arg)
{
	struct vfio_sim *sim = sim_of(sys);
	struct vfio_sim_fd *f = fd_get(sim, fd);
	char what[64];

	if (!f)
		return -EBADF;
	snprintf(what, sizeof(what), "%s %s", fd_kind_name(f->kind), ioctl_name(request));
	sim_log(sim, "%s", what);
	switch (f->kind) {
	case SIM_FD_CONTAINER:
		return container_ioctl(sim, f, request, arg);
	case SIM_FD_GROUP:
		return group_ioctl(sim, f, request, arg);
	case SIM_FD_DEVICE:
		return device_ioctl(sim, f, request, arg);
	default:
		return -EBADF;
	}
}

/* ---- Regions: pread/pwrite on the device fd --------------------------------------------- */

static ssize_t region_rw(struct vfio_sim *sim, int fd, void *buf, size_t len, uint64_t offset,
			 bool write)
{
	struct vfio_sim_fd *f = fd_get(sim, fd);
	struct vfio_sim_device *dev;
	struct vfio_sim_region *r;
	uint64_t index = offset >> REGION_SHIFT, pos = offset & ((1ull << REGION_SHIFT) - 1);
	size_t n;

	if (!f)
		return -EBADF;
	if (f->kind != SIM_FD_DEVICE)
		return -EINVAL;
	dev = f->device;
	if (index >= dev->num_regions)
		return -EINVAL;
	r = &dev->regions[index];
	if (!(r->flags & (write ? VFIO_REGION_INFO_FLAG_WRITE : VFIO_REGION_INFO_FLAG_READ)) ||
	    pos >= r->size)
		return -EINVAL;
	n = len < r->size - pos ? len : r->size - pos;
	if (dev->n_accesses < sizeof(dev->accesses) / sizeof(dev->accesses[0]))
		dev->accesses[dev->n_accesses++] = (struct vfio_sim_access){
			.index = index, .offset = pos, .len = len, .write = write
		};
	if (!write) {
		memcpy(buf, r->data + pos, n);
		return n;
	}
	for (size_t i = 0; i < n; i++) {
		uint64_t o = pos + i;
		uint8_t byte = ((const uint8_t *)buf)[i];

		/* Status: its error bits (8, 11-15) are write-1-to-clear, the rest read-only. */
		if (index == VFIO_PCI_CONFIG_REGION_INDEX && (o == 6 || o == 7))
			r->data[o] &= ~(byte & (o == 6 ? 0x00 : 0xf9));
		else
			r->data[o] = byte;
	}
	return n;
}

static ssize_t sim_pread(const struct vfio_sys *sys, int fd, void *buf, size_t len, uint64_t offset)
{
	return region_rw(sim_of(sys), fd, buf, len, offset, false);
}

static ssize_t sim_pwrite(const struct vfio_sys *sys, int fd, const void *buf, size_t len,
			  uint64_t offset)
{
	return region_rw(sim_of(sys), fd, (void *)buf, len, offset, true);
}

/* ---- sysfs -------------------------------------------------------------------------------- */

/* readlink(2)'s answer: the target, truncated to len - 1 and NUL-terminated. */
static ssize_t link_answer(char *buf, size_t len, const char *target)
{
	size_t n = strlen(target);

	if (n >= len)
		n = len - 1;
	memcpy(buf, target, n);
	buf[n] = '\0';
	return n;
}

static ssize_t sim_readlink(const struct vfio_sys *sys, const char *path, char *buf, size_t len)
{
	struct vfio_sim *sim = sim_of(sys);
	static const char devices[] = "/sys/bus/pci/devices/";
	static const char groups[] = "/sys/kernel/iommu_groups/";
	char bdf[16] = "", file[32] = "", target[128];
	struct vfio_sim_device *dev;
	int group = -1;

	if (!strncmp(path, devices, sizeof(devices) - 1)) {
		if (sscanf(path + sizeof(devices) - 1, "%15[^/]/%31s", bdf, file) < 1)
			return -ENOENT;
	} else if (!strncmp(path, groups, sizeof(groups) - 1)) {
		if (sscanf(path + sizeof(groups) - 1, "%d/devices/%15[^/]/%31s", &group, bdf,
			   file) != 3 ||
		    strcmp(file, "driver"))
			return -ENOENT;
	} else {
		return -ENOENT;
	}
	dev = device_by_bdf(sim, bdf);
	if (!dev || (group >= 0 && dev->group != group))
		return -ENOENT;
	if (!file[0])
		snprintf(target, sizeof(target), "../../../devices/pci0000:00/0000:00:01.0/%s",
			 dev->bdf);
	else if (!strcmp(file, "iommu_group") && dev->group >= 0)
		snprintf(target, sizeof(target), "../../../../kernel/iommu_groups/%d", dev->group);
	else if (!strcmp(file, "driver") && dev->driver[0])
		snprintf(target, sizeof(target), "../../../../bus/pci/drivers/%s", dev->driver);
	else
		return -ENOENT;
	return link_answer(buf, len, target);
}

static int sim_list_dir(const struct vfio_sys *sys, const char *path,
			int (*fn)(void *opaque, const char *name), void *opaque)
{
	struct vfio_sim *sim = sim_of(sys);
	bool found = false;
	char rest[16] = "";
	int group, ret;

	if (sscanf(path, "/sys/kernel/iommu_groups/%d/%15s", &group, rest) != 2 ||
	    strcmp(rest, "devices"))
		return -ENOENT;
	for (unsigned int i = 0; i < sim->n_devices; i++) {
		if (sim->devices[i].group != group)
			continue;
		found = true;
		ret = fn(opaque, sim->devices[i].bdf);
		if (ret)
			return ret;
	}
	return found ? 0 : -ENOENT;
}

/* ---- Set-up ------------------------------------------------------------------------------- */

struct vfio_sim *vfio_sim_create(void)
{
	struct vfio_sim *sim = calloc(1, sizeof(*sim));

	if (!sim)
		return NULL;
	sim->sys = (struct vfio_sys){
		.open = sim_open,
		.close = sim_close,
		.ioctl = sim_ioctl,
		.pread = sim_pread,
		.pwrite = sim_pwrite,
		.readlink = sim_readlink,
		.list_dir = sim_list_dir,
		.opaque = sim,
	};
	sim->api_version = VFIO_API_VERSION;
	return sim;
}

void vfio_sim_destroy(struct vfio_sim *sim)
{
	if (!sim)
		return;
	for (unsigned int i = 0; i < sim->n_devices; i++)
		for (unsigned int r = 0; r < VFIO_PCI_NUM_REGIONS; r++)
			free(sim->devices[i].regions[r].data);
	free(sim);
}

void vfio_sim_set_region(struct vfio_sim_device *dev, uint32_t index, uint64_t size, uint32_t flags)
{
	struct vfio_sim_region *r = &dev->regions[index];

	free(r->data);
	r->data = size ? calloc(1, size) : NULL;
	r->size = r->data ? size : 0;
	r->flags = r->data ? flags : 0;
}

struct vfio_sim_device *vfio_sim_add_device(struct vfio_sim *sim, const char *bdf, int group,
					    const char *driver)
{
	struct vfio_sim_device *dev;

	if (sim->n_devices == VFIO_SIM_DEVICES)
		return NULL;
	dev = &sim->devices[sim->n_devices++];
	memset(dev, 0, sizeof(*dev));
	snprintf(dev->bdf, sizeof(dev->bdf), "%s", bdf);
	snprintf(dev->driver, sizeof(dev->driver), "%s", driver);
	dev->group = group;
	dev->flags = VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET;
	dev->num_regions = VFIO_PCI_NUM_REGIONS;
	dev->irq_type = -1;
	for (uint32_t i = 0; i < VFIO_PCI_NUM_IRQS; i++)
		dev->irqs[i] = (struct vfio_irq_info){ .argsz = sizeof(dev->irqs[i]), .index = i };
	dev->irqs[VFIO_PCI_INTX_IRQ_INDEX].count = 1;
	dev->irqs[VFIO_PCI_INTX_IRQ_INDEX].flags =
		VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_MASKABLE | VFIO_IRQ_INFO_AUTOMASKED;
	vfio_sim_set_region(dev, VFIO_PCI_CONFIG_REGION_INDEX, 256,
			    VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE);
	return dev;
}

unsigned int vfio_sim_open_fds(const struct vfio_sim *sim)
{
	unsigned int n = 0;

	for (int i = 0; i < VFIO_SIM_FDS; i++)
		n += sim->fds[i].kind != SIM_FD_FREE;
	return n;
}

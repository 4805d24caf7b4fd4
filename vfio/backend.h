/* A passed-through PCI device as its back end presents it: kernel VFIO or vfio-user. */
#ifndef KDOM_VFIO_BACKEND_H
#define KDOM_VFIO_BACKEND_H

#include <linux/vfio.h>
#include <stddef.h>
#include <stdint.h>

struct pt_backend;

/*
 * The operations follow the kernel's VFIO device API (linux/vfio.h), which
 * vfio-user mirrors message for message, so both back ends fit one table.
 * Every operation returns 0 (or what it says) or -errno; a back end whose
 * device is gone (a vfio-user server that closed or misbehaved) fails every
 * later call with -ENODEV and says once, in the log, why.
 */
struct pt_backend_ops {
	/* VFIO_DEVICE_GET_INFO: num_regions, num_irqs, flags (VFIO_DEVICE_FLAGS_PCI). */
	int (*device_info)(struct pt_backend *b, struct vfio_device_info *info);
	/*
	 * VFIO_DEVICE_GET_REGION_INFO for info->index (VFIO_PCI_BAR0_REGION_INDEX
	 * .. VFIO_PCI_CONFIG_REGION_INDEX): size, flags (READ, WRITE, MMAP).
	 * When MMAP is set, *mmap_fd (>= 0, owned by the back end) and
	 * info->offset are what to mmap(); else *mmap_fd is -1.
	 */
	int (*region_info)(struct pt_backend *b, struct vfio_region_info *info, int *mmap_fd);
	/* Access len (1, 2, 4 or 8, or any for config space) bytes of a region. */
	int (*region_read)(struct pt_backend *b, uint32_t index, uint64_t offset, void *data,
			   uint32_t len);
	int (*region_write)(struct pt_backend *b, uint32_t index, uint64_t offset, const void *data,
			    uint32_t len);
	/* VFIO_DEVICE_GET_IRQ_INFO for info->index (INTX, MSI, MSIX): count, flags. */
	int (*irq_info)(struct pt_backend *b, struct vfio_irq_info *info);
	/*
	 * VFIO_DEVICE_SET_IRQS with VFIO_IRQ_SET_DATA_EVENTFD: action is
	 * VFIO_IRQ_SET_ACTION_TRIGGER or _UNMASK; fds[i] for vector start + i,
	 * -1 to detach one.  count 0 with DATA_NONE|ACTION_TRIGGER disables
	 * the index.
	 */
	int (*set_irqs)(struct pt_backend *b, uint32_t index, uint32_t action, uint32_t start,
			uint32_t count, const int32_t *fds);
	/*
	 * Let the device DMA to guest RAM [iova, iova + size), which is host
	 * memory at host, also reachable as fd at fd_offset (vfio-user shares
	 * the fd with its server; the kernel back end maps host).
	 */
	int (*dma_map)(struct pt_backend *b, uint64_t iova, uint64_t size, void *host, int fd,
		       uint64_t fd_offset);
	int (*dma_unmap)(struct pt_backend *b, uint64_t iova, uint64_t size);
	/* VFIO_DEVICE_RESET. */
	int (*reset)(struct pt_backend *b);
	/* Release everything; b is freed. */
	void (*close)(struct pt_backend *b);
};

struct pt_backend {
	const struct pt_backend_ops *ops;
	char name[128]; /* "0000:03:00.0" or "vfio-user:/run/dev.sock", for messages */
};

#endif

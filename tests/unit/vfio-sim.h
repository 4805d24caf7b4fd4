/* A simulation of the kernel's VFIO interface and sysfs PCI view behind struct vfio_sys. */
#ifndef KDOM_VFIO_SIM_H
#define KDOM_VFIO_SIM_H

#include <linux/vfio.h>
#include <stdbool.h>
#include <stdint.h>

#include "vfio/vfio-kernel.h"

#define VFIO_SIM_DEVICES 16
#define VFIO_SIM_FDS 32
#define VFIO_SIM_CONTAINERS 8
#define VFIO_SIM_DMAS 64
#define VFIO_SIM_LOG 128
#define VFIO_SIM_FD_BASE 1000 /* fake fds start here, clear of real ones */
#define VFIO_SIM_PAGE 4096ull /* the IOMMU's smallest page */

struct vfio_sim_region {
	uint64_t size;
	uint32_t flags; /* VFIO_REGION_INFO_FLAG_* */
	uint8_t *data;
};

/* One VFIO_DEVICE_SET_IRQS the device accepted (the first 8 fds kept). */
struct vfio_sim_irq_set {
	uint32_t index, flags, start, count;
	int32_t fds[8];
};

/* One pread/pwrite on the device fd, by region and offset within it. */
struct vfio_sim_access {
	uint32_t index;
	uint64_t offset;
	uint32_t len;
	bool write;
};

struct vfio_sim_device {
	char bdf[16];
	int group;	 /* -1: no IOMMU group */
	char driver[32]; /* "" when unbound */
	uint32_t flags;	 /* VFIO_DEVICE_FLAGS_*: PCI | RESET unless changed */
	uint32_t num_regions;
	struct vfio_sim_region regions[VFIO_PCI_NUM_REGIONS];
	struct vfio_irq_info irqs[VFIO_PCI_NUM_IRQS];
	int irq_type; /* the index with triggers set, -1: none (vfio-pci allows one at a time) */
	unsigned int resets;
	struct vfio_sim_irq_set irq_sets[32];
	unsigned int n_irq_sets;
	struct vfio_sim_access accesses[64];
	unsigned int n_accesses;
};

struct vfio_sim_dma {
	uint64_t iova, size, vaddr;
	uint32_t flags;
};

struct vfio_sim_container {
	bool used, fd_open;
	unsigned int groups;
	uint32_t iommu; /* 0 until VFIO_SET_IOMMU */
	struct vfio_sim_dma dmas[VFIO_SIM_DMAS];
	unsigned int n_dmas;
};

enum vfio_sim_fd_kind { SIM_FD_FREE, SIM_FD_CONTAINER, SIM_FD_GROUP, SIM_FD_DEVICE };

struct vfio_sim_fd {
	enum vfio_sim_fd_kind kind;
	int container; /* SIM_FD_CONTAINER: its index; SIM_FD_GROUP: the one set, or -1 */
	int group;
	struct vfio_sim_device *device;
};

struct vfio_sim {
	struct vfio_sys sys; /* sys.opaque is the simulation */
	int api_version;     /* VFIO_API_VERSION unless changed */
	bool no_type1v2;
	struct vfio_sim_device devices[VFIO_SIM_DEVICES];
	unsigned int n_devices;
	struct vfio_sim_fd fds[VFIO_SIM_FDS];
	struct vfio_sim_container containers[VFIO_SIM_CONTAINERS];
	/* "open /dev/vfio/7", "group VFIO_GROUP_GET_STATUS", "close device", ... */
	char log[VFIO_SIM_LOG][64];
	unsigned int n_log;
};

/* An empty host: no devices.  Free with vfio_sim_destroy(). */
struct vfio_sim *vfio_sim_create(void);
void vfio_sim_destroy(struct vfio_sim *sim);

/*
 * A PCI device in group (-1: none) bound to driver ("" unbound): PCI and
 * RESET flags, a 256-byte config region (zeros), no BARs, INTx only.
 */
struct vfio_sim_device *vfio_sim_add_device(struct vfio_sim *sim, const char *bdf, int group,
					    const char *driver);
/* Give region index size bytes (zeroed) with flags. */
void vfio_sim_set_region(struct vfio_sim_device *dev, uint32_t index, uint64_t size,
			 uint32_t flags);
/* The number of fake fds still open (a leak check). */
unsigned int vfio_sim_open_fds(const struct vfio_sim *sim);

#endif

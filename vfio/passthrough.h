/* A passed-through PCI device on the guest's bus: config space, BARs, DMA and interrupts. */
#ifndef KDOM_PASSTHROUGH_H
#define KDOM_PASSTHROUGH_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devices/pci.h"
#include "vfio/backend.h"
#include "vfio/pci-config.h"

struct vm;

#define PT_MAX_VECTORS 64 /* MSI-X vectors kdom wires */

struct pt_device;

/* How one BAR reaches the guest right now. */
struct pt_bar_map {
	struct pt_device *dev; /* for the MMIO handler */
	unsigned int index;
	bool mapped;
	uint64_t gpa, size;
	int mmap_fd; /* the back end's, when the region can be mmapped; else -1 */
	uint64_t mmap_offset;
	void *host;    /* the mmapped region (a memory slot), or NULL (trapped) */
	uint32_t slot; /* its KVM memory slot */
	bool slot_used;
	uint64_t table_lo, table_hi; /* the MSI-X table and PBA pages, trapped inside */
};

struct pt_vector {
	int fd;	      /* eventfd the back end signals; -1 unused */
	uint32_t gsi; /* its MSI route */
	bool routed, irqfd;
};

struct pt_device {
	struct pci_device pci;
	struct vm *vm;
	struct pt_backend *backend;
	struct pt_config config;
	pthread_mutex_t lock; /* BAR maps and vectors (config cycles hold the bus lock too) */
	struct pt_bar_map bars[PT_BARS];
	/* INTx: trigger and resample eventfds, wired by a level irqfd. */
	int intx_fd, intx_resample_fd;
	bool intx_wired;
	/* MSI-X or MSI, one at a time. */
	struct pt_vector vectors[PT_MAX_VECTORS];
	unsigned int nr_vectors;
	uint32_t irq_index; /* VFIO_PCI_MSIX_IRQ_INDEX or _MSI_IRQ_INDEX while wired */
	bool ended;	    /* the back end failed: the device reads all ones from now on */
	unsigned int placement_warnings; /* refused BAR placements logged so far */
};

/*
 * Put the back end's device on the domain's bus: the guest's config space,
 * BARs placed in the PCI windows as firmware would (decoding off), guest
 * RAM mapped for the device's DMA, INTx wired.  Takes the back end over
 * (closed by pt_device_destroy(), or here on failure).  0, or -errno with
 * err.
 */
int pt_device_create(struct pt_device **out, struct vm *vm, struct pci_bus *bus,
		     struct pt_backend *backend, char *err, size_t errlen);

struct event_loop;
/* Serve a vfio-user server's own requests (DMA) as they come, on loop; 0 or -errno. */
int pt_device_watch(struct pt_device *d, struct event_loop *loop);

/* Unwire, unmap, reset and close (after the vCPUs are joined). */
void pt_device_destroy(struct pt_device *d);

#endif

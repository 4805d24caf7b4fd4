/* Xen hypercall handlers: one call decoded from the stub's registers, served for its domain. */
#ifndef KDOM_DEVICES_XEN_OPS_H
#define KDOM_DEVICES_XEN_OPS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hv-roles/domain.h"
#include "kdom/abi.h"
#include "kdom/xen.h"

/*
 * The handlers know nothing of KVM: what they need of the VM comes through
 * these functions, so the unit tests serve calls with a fake behind them.
 * Every pointer a guest passes is a guest *linear* address in the calling
 * vCPU's current address space.
 */
struct xen_guest_ops {
	/* Copy len bytes from / to guest linear address gva: 0, or -EFAULT if any page is unmapped. */
	int (*read)(void *opaque, uint64_t gva, void *buf, size_t len);
	int (*write)(void *opaque, uint64_t gva, const void *buf, size_t len);
	/* Bytes the guest wrote with CONSOLEIO_write, to the domain's console. */
	void (*console_write)(void *opaque, const char *buf, size_t len);
	/* SCHEDOP_shutdown with a valid SHUTDOWN_* reason: the domain stops. */
	void (*shutdown)(void *opaque, uint32_t reason);
	/*
	 * Domain management through kdom's existing operations (the same
	 * struct kdom_hypercall the port interface uses); NULL when no
	 * toolstack runs the domain (`kdom run`).  Returns ret, fills req.
	 */
	int64_t (*manage)(void *opaque, struct kdom_hypercall *req);
	/*
	 * A management op refused by role: for the log.  A domctl or sysctl
	 * is refused before its structure is read: req->cmd is 0 then.
	 */
	void (*refused)(void *opaque, const struct kdom_hypercall *req);
	/* Guest RAM, by guest frame number: */
	/* A zeroed page appears at gfn (in RAM: cleared in place; else a new page mapped there). */
	int (*map_zero_page)(void *opaque, uint64_t gfn);
	/* The host memory behind gfn is released; it reads as zeros later.  -EINVAL: not RAM. */
	int (*release_page)(void *opaque, uint64_t gfn);
	/* gfn is guest RAM (populate/increase_reservation succeed for it). */
	bool (*is_ram)(void *opaque, uint64_t gfn);
	/* The domain's memory map (as the loader gave it); entries written, at most max. */
	unsigned int (*memory_map)(void *opaque, struct xen_e820_entry *map, unsigned int max);
	/* The host's highest page frame + 1 (what the hardware domain is told); 0: unknown. */
	uint64_t (*host_max_page)(void *opaque);
	void *opaque;
};

#define XEN_EVTCHN_PORTS 64	/* 2-level ABI would allow more; kdom keeps a small table */
#define XEN_GFN_NONE UINT64_MAX /* no page mapped (gfn 0 is a page like any other) */

/* One domain's Xen interface state, shared by its vCPUs. */
struct xen_domain {
	const struct domain *domain;
	bool passthrough;   /* RAM pinned for DMA: no decrease_reservation */
	uint64_t ram_pages; /* the domain's RAM in 4 KiB pages */
	pthread_mutex_t lock;
	uint8_t evtchn_state[XEN_EVTCHN_PORTS]; /* EVTCHNSTAT_*; port 0 stays reserved */
	uint16_t evtchn_remote[XEN_EVTCHN_PORTS];
	uint64_t shared_info_gfn; /* XEN_GFN_NONE: not mapped */
	uint64_t grant_gfn;	  /* grant frame 0; XEN_GFN_NONE: not mapped */
};

/* One call: the op, its arguments (truncated to 32 bits in 32-bit mode), who asks. */
struct xen_call {
	uint32_t op;
	uint64_t arg[5];
	bool long_mode; /* 64-bit caller: 64-bit structure layouts */
	unsigned int vcpu_id;
};

/* Fresh state for domain: every port closed but reserved port 0, nothing mapped. */
void xen_domain_init(struct xen_domain *xd, const struct domain *domain, uint64_t ram_pages,
		     bool passthrough);
/* Release what xen_domain_init() set up (its lock). */
void xen_domain_destroy(struct xen_domain *xd);

/* Serve one call; the result for rax (0 or more, or -XEN_Exxx).  Never fails otherwise. */
int64_t xen_dispatch(struct xen_domain *xd, const struct xen_call *call,
		     const struct xen_guest_ops *ops);

#endif

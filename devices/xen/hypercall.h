/* Xen's hypercall page and the exits it makes: the registers decoded into a call for ops.c. */
#ifndef KDOM_DEVICES_XEN_HYPERCALL_H
#define KDOM_DEVICES_XEN_HYPERCALL_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>

#include "devices/xen/ops.h"
#include "kdom/xen.h"

struct vm;
struct console;
struct hypercall_port;

#define XEN_EXTRA_PAGES 4 /* pages mapped outside RAM by add_to_physmap */

/* A domain's Xen interface (docs/xen-abi.md): the MSR, the exit port, the handlers' state. */
struct xen_device {
	struct vm *vm;
	struct console *console;
	struct hypercall_port *port; /* shutdown, management and its refusals go through it */
	struct xen_domain state;
	struct xen_e820_entry map[8]; /* the memory map the loader gave the guest */
	unsigned int nr_map;
	pthread_mutex_t pages_lock;
	struct {
		uint64_t gfn;
		void *host; /* one page, mapped at gfn in its own memory slot */
	} extra[XEN_EXTRA_PAGES];
	unsigned int complaints;
};

/*
 * Serve Xen's interface to vm's guest: writes to XEN_HYPERCALL_MSR install
 * the hypercall page, OUTs to XEN_HYPERCALL_PORT are hypercalls.  `port`
 * is the domain's kdom hypercall port, whose shutdown and management paths
 * Xen's calls share.  Passthrough: the domain's RAM is pinned for DMA.
 * After vm_create(), before vm_start().  0 or -errno (logged).
 */
int xen_device_create(struct xen_device *xd, struct vm *vm, struct console *console,
		      struct hypercall_port *port, bool passthrough);

/* The memory map XENMEM_memory_map reports (the one the guest booted with). */
void xen_device_set_memory_map(struct xen_device *xd, const struct xen_e820_entry *map,
			       unsigned int n);

void xen_device_destroy(struct xen_device *xd);

/* ---- The parts without KVM, for unit tests ---------------------------------- */

/* Fill a hypercall page: stub n = mov $n,%eax; out %al,$XEN_HYPERCALL_PORT; ret; int3 padding. */
void xen_hypercall_page_fill(uint8_t page[4096]);

/* Whether the vCPU is in 64-bit mode (EFER.LMA and CS.L). */
bool xen_long_mode(const struct kvm_sregs *sregs);

/* The call in the registers at the stub's exit: op in eax, arguments per mode. */
void xen_call_decode(const struct kvm_regs *regs, bool long_mode, unsigned int vcpu_id,
		     struct xen_call *call);

#endif

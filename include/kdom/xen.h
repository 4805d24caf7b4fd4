/* Xen's HVM/PVH guest interface as kdom serves it (docs/xen-abi.md), shared by kdom and guests. */
#ifndef KDOM_XEN_H
#define KDOM_XEN_H

/*
 * Our own statement of the numbers and layouts in Xen's public headers
 * (xen/include/public/: xen.h, arch-x86/cpuid.h, version.h, sched.h,
 * memory.h, hvm/params.h, hvm/hvm_op.h, event_channel.h, grant_table.h,
 * domctl.h, sysctl.h).  The layouts are the ABI; where a 32-bit guest's
 * differs (a pointer or an unsigned long inside), both are given.  Fixed
 * width types only: the freestanding guests include this too.
 */
#include <stdint.h>

/* ---- CPUID leaves (arch-x86/cpuid.h) -------------------------------------- */
/*
 * With the Xen interface on, Xen's leaves sit at the first free base:
 * 0x40000000 is KVM's and 0x40000100 kdom's, so Xen's start at 0x40000200.
 * Guests find them by scanning 0x40000000-0x4000ff00 in steps of 0x100.
 */
#define XEN_CPUID_BASE 0x40000200u
#define XEN_CPUID_SIGNATURE_EBX 0x566e6558u /* "XenV" */
#define XEN_CPUID_SIGNATURE_ECX 0x65584d4du /* "MMXe" */
#define XEN_CPUID_SIGNATURE_EDX 0x4d4d566eu /* "nVMM" */
/* base+0: eax = highest leaf (base+4).  base+1: eax = major << 16 | minor. */
#define XEN_CPUID_LEAVES 5
/* base+2: eax = hypercall pages (1), ebx = the MSR that installs one. */
#define XEN_HYPERCALL_MSR 0x40000000u
/* base+3: time leaf (zeros).  base+4: HVM leaf: */
#define XEN_HVM_CPUID_VCPU_ID_PRESENT (1u << 3) /* ebx = vCPU id */
#define XEN_HVM_CPUID_DOMID_PRESENT (1u << 4)	/* ecx = domid */

/* The version kdom's Xen interface reports (CPUID base+1, XENVER_version). */
#define XEN_VERSION_MAJOR 4
#define XEN_VERSION_MINOR 18

/* ---- The hypercall page ---------------------------------------------------- */
/*
 * The guest writes the guest-physical address of a page-aligned page to
 * XEN_HYPERCALL_MSR; kdom fills it with one 32-byte stub per hypercall:
 * stub n loads n into eax, exits to kdom through an OUT to
 * XEN_HYPERCALL_PORT (which changes no register) and returns with the
 * result in rax.  Arguments stay where the caller put them: rdi, rsi, rdx,
 * r10, r8 in 64-bit mode; ebx, ecx, edx, esi, edi in 32-bit mode.
 */
#define XEN_HYPERCALL_STUB_SIZE 32
#define XEN_HYPERCALL_STUBS 128 /* 4096 / 32 */
#define XEN_HYPERCALL_PORT 0xe4 /* an 8-bit port: the OUT takes it as an immediate */

/* ---- Hypercall numbers (xen.h __HYPERVISOR_*) ------------------------------ */
#define __HYPERVISOR_memory_op 12
#define __HYPERVISOR_xen_version 17
#define __HYPERVISOR_console_io 18
#define __HYPERVISOR_grant_table_op 20
#define __HYPERVISOR_vcpu_op 24
#define __HYPERVISOR_sched_op 29
#define __HYPERVISOR_event_channel_op 32
#define __HYPERVISOR_hvm_op 34
#define __HYPERVISOR_sysctl 35
#define __HYPERVISOR_domctl 36

/* Errors are negated Linux/Xen errno values (xen/include/public/errno.h). */
#define XEN_EPERM 1
#define XEN_ENOENT 2
#define XEN_ESRCH 3
#define XEN_EFAULT 14
#define XEN_EBUSY 16
#define XEN_EEXIST 17
#define XEN_EINVAL 22
#define XEN_ENOSPC 28
#define XEN_E2BIG 7
#define XEN_EACCES 13
#define XEN_ENOMEM 12
#define XEN_ENOSYS 38
#define XEN_EOPNOTSUPP 95

#define XEN_DOMID_SELF 0x7ff0u

/* ---- console_io (xen.h) ---------------------------------------------------- */
#define CONSOLEIO_write 0 /* (cmd, count, buffer) */
#define CONSOLEIO_read 1
#define XEN_CONSOLE_WRITE_MAX 4096 /* kdom: bytes served per CONSOLEIO_write */

/* ---- xen_version (version.h) ----------------------------------------------- */
#define XENVER_version 0
#define XENVER_extraversion 1 /* char[16] */
#define XENVER_compile_info 2 /* struct xen_compile_info */
#define XENVER_capabilities 3 /* char[1024] */
#define XENVER_changeset 4    /* char[64] */
#define XENVER_platform_parameters 5
#define XENVER_get_features 6 /* struct xen_feature_info */
#define XENVER_pagesize 7
#define XENVER_guest_handle 8 /* uint8_t[16] */

#define XEN_EXTRAVERSION_LEN 16
#define XEN_CAPABILITIES_LEN 1024
#define XEN_CHANGESET_LEN 64
#define XEN_GUEST_HANDLE_LEN 16

struct xen_compile_info {
	char compiler[64];
	char compile_by[16];
	char compile_domain[32];
	char compile_date[32];
};

struct xen_feature_info {
	uint32_t submap_idx; /* IN */
	uint32_t submap;     /* OUT */
};

/* platform_parameters: one xen_ulong_t (8 bytes in 64-bit mode, 4 in 32-bit). */

#define XENFEAT_dom0 11	     /* submap 0: the caller is the hardware domain */
#define XENFEAT_NR_SUBMAPS 1 /* submap_idx 1 and up: -EINVAL */

/* ---- sched_op (sched.h) ---------------------------------------------------- */
#define SCHEDOP_yield 0
#define SCHEDOP_block 1
#define SCHEDOP_shutdown 2 /* struct sched_shutdown */
#define SCHEDOP_poll 3
#define SCHEDOP_remote_shutdown 4 /* struct sched_remote_shutdown */

#define SHUTDOWN_poweroff 0
#define SHUTDOWN_reboot 1
#define SHUTDOWN_suspend 2
#define SHUTDOWN_crash 3
#define SHUTDOWN_watchdog 4

struct sched_shutdown {
	uint32_t reason;
};

struct sched_remote_shutdown {
	uint16_t domain_id;
	uint16_t pad;
	uint32_t reason;
};

/* ---- hvm_op (hvm/hvm_op.h, hvm/params.h) ----------------------------------- */
#define HVMOP_set_param 0
#define HVMOP_get_param 1

struct xen_hvm_param {
	uint16_t domid;
	uint16_t pad;
	uint32_t index;
	uint64_t value;
};

#define HVM_PARAM_STORE_PFN 1
#define HVM_PARAM_STORE_EVTCHN 2
#define HVM_PARAM_CONSOLE_PFN 17
#define HVM_PARAM_CONSOLE_EVTCHN 18

/* ---- memory_op (memory.h) -------------------------------------------------- */
#define XENMEM_increase_reservation 0
#define XENMEM_decrease_reservation 1
#define XENMEM_maximum_ram_page 2
#define XENMEM_populate_physmap 6
#define XENMEM_add_to_physmap 7
#define XENMEM_memory_map 9

/*
 * memory_op's cmd also carries where a preempted reservation op resumes:
 * the op in the low MEMOP_EXTENT_SHIFT bits, the first extent above them.
 */
#define MEMOP_EXTENT_SHIFT 6
#define MEMOP_CMD_MASK ((1u << MEMOP_EXTENT_SHIFT) - 1)

/* struct xen_memory_reservation: extent_start is a pointer, nr_extents a long. */
struct xen_memory_reservation64 {
	uint64_t extent_start; /* xen_pfn_t (8 bytes) array */
	uint64_t nr_extents;
	uint32_t extent_order;
	uint32_t mem_flags;
	uint16_t domid;
	uint16_t pad[3];
};

struct xen_memory_reservation32 {
	uint32_t extent_start; /* xen_pfn_t (4 bytes) array */
	uint32_t nr_extents;
	uint32_t extent_order;
	uint32_t mem_flags;
	uint16_t domid;
	uint16_t pad;
};

#define XENMAPSPACE_shared_info 0
#define XENMAPSPACE_grant_table 1
#define XENMAPSPACE_gmfn 2
#define XENMAPSPACE_gmfn_range 3
#define XENMAPSPACE_gmfn_foreign 4
#define XENMAPSPACE_dev_mmio 5
#define XENMAPIDX_grant_table_status 0x80000000u /* in idx: a v2 status frame */

struct xen_add_to_physmap64 {
	uint16_t domid;
	uint16_t size;
	uint32_t space;
	uint64_t idx;
	uint64_t gpfn;
};

struct xen_add_to_physmap32 {
	uint16_t domid;
	uint16_t size;
	uint32_t space;
	uint32_t idx;
	uint32_t gpfn;
};

struct xen_memory_map64 {
	uint32_t nr_entries; /* IN: room in buffer; OUT: entries written */
	uint32_t pad;
	uint64_t buffer; /* struct xen_e820_entry[] */
};

struct xen_memory_map32 {
	uint32_t nr_entries;
	uint32_t buffer;
};

struct xen_e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
} __attribute__((packed));

#define XEN_E820_RAM 1

/* ---- event_channel_op (event_channel.h) ------------------------------------ */
#define EVTCHNOP_close 3
#define EVTCHNOP_send 4
#define EVTCHNOP_status 5
#define EVTCHNOP_alloc_unbound 6
#define EVTCHNOP_init_control 11
#define EVTCHNOP_expand_array 12

#define EVTCHNSTAT_closed 0
#define EVTCHNSTAT_unbound 1

struct evtchn_alloc_unbound {
	uint16_t dom, remote_dom; /* IN */
	uint32_t port;		  /* OUT */
};

struct evtchn_send {
	uint32_t port;
};

struct evtchn_close {
	uint32_t port;
};

struct evtchn_status {
	uint16_t dom; /* IN */
	uint16_t pad;
	uint32_t port;	 /* IN */
	uint32_t status; /* OUT: EVTCHNSTAT_* */
	uint32_t vcpu;	 /* OUT */
	union {
		struct {
			uint16_t dom;
		} unbound;
		struct {
			uint16_t dom;
			uint16_t pad;
			uint32_t port;
		} interdomain;
		uint32_t pirq;
		uint32_t virq;
	} u;
};

/* ---- grant_table_op (grant_table.h) ---------------------------------------- */
#define GNTTABOP_setup_table 2
#define GNTTABOP_query_size 6
#define GNTTABOP_set_version 8

struct gnttab_query_size {
	uint16_t dom; /* IN */
	uint16_t pad;
	uint32_t nr_frames;	/* OUT */
	uint32_t max_nr_frames; /* OUT */
	int16_t status;		/* OUT: GNTST_* */
	uint16_t pad2;
};

#define GNTST_okay 0
#define GNTST_permission_denied (-8)

/* ---- domctl and sysctl (domctl.h, sysctl.h) of Xen 4.18 -------------------- */
/*
 * The toolstack interfaces are versioned: a caller built for another
 * interface gets -EACCES.  Xen 4.18's values: XEN_DOMCTL_INTERFACE_VERSION
 * 0x16 (bumped in the 4.18 cycle for Xen commit 31c655497461, "domctl:
 * Modify XEN_DOMCTL_getdomaininfo to fail if domid is not found"; 4.19
 * moved to 0x17) and XEN_SYSCTL_INTERFACE_VERSION 0x15 (last bumped in
 * 4.17, next in 4.21, as sysctl.h's "Last version bump" notes say).  Since that change getdomaininfo
 * describes exactly the domain asked for (-ESRCH otherwise); iteration is
 * sysctl getdomaininfolist's job.  The layouts are those of xen-4.18's
 * public headers, x86: 64-bit fields are 8-byte aligned for 32-bit callers
 * too (uint64_aligned_t), so one layout serves both; padding Xen leaves
 * implicit is spelled out here.
 */
#define XEN_DOMCTL_INTERFACE_VERSION 0x00000016u
#define XEN_SYSCTL_INTERFACE_VERSION 0x00000015u

#define XEN_DOMCTL_createdomain 1
#define XEN_DOMCTL_destroydomain 2
#define XEN_DOMCTL_pausedomain 3
#define XEN_DOMCTL_unpausedomain 4
#define XEN_DOMCTL_getdomaininfo 5

#define XEN_SYSCTL_getdomaininfolist 6

#define XEN_DOMINF_dying (1u << 0)
#define XEN_DOMINF_hvm_guest (1u << 1)
#define XEN_DOMINF_shutdown (1u << 2)
#define XEN_DOMINF_paused (1u << 3)
#define XEN_DOMINF_blocked (1u << 4)
#define XEN_DOMINF_running (1u << 5)
#define XEN_DOMINF_shutdownshift 16 /* the SHUTDOWN_* code, with XEN_DOMINF_shutdown */
#define XEN_DOMINF_shutdownmask 255u

#define XEN_INVALID_MAX_VCPU_ID 0xffffffffu /* max_vcpu_id of a domain without vCPUs */

/* arch-x86/xen.h */
struct xen_arch_domainconfig {
	uint32_t emulation_flags; /* XEN_X86_EMU_* */
	uint32_t misc_flags;
};

struct xen_domctl_getdomaininfo {
	uint16_t domain; /* OUT, also echoed in xen_domctl.domain */
	uint16_t pad1;
	uint32_t flags; /* XEN_DOMINF_* */
	uint64_t tot_pages;
	uint64_t max_pages;
	uint64_t outstanding_pages;
	uint64_t shr_pages;
	uint64_t paged_pages;
	uint64_t shared_info_frame;
	uint64_t cpu_time; /* ns */
	uint32_t nr_online_vcpus;
	uint32_t max_vcpu_id;
	uint32_t ssidref;
	uint8_t handle[16]; /* the domain's UUID */
	uint32_t cpupool;
	uint8_t gpaddr_bits;
	uint8_t pad2[7];
	struct xen_arch_domainconfig arch_config;
};

struct xen_domctl {
	uint32_t cmd;		    /* XEN_DOMCTL_* */
	uint32_t interface_version; /* XEN_DOMCTL_INTERFACE_VERSION */
	uint16_t domain;	    /* the target */
	uint16_t pad[3];
	union {
		struct xen_domctl_getdomaininfo getdomaininfo;
		uint8_t pad[128];
		uint64_t align; /* Xen's members are 8-byte aligned */
	} u;
};

struct xen_sysctl_getdomaininfolist {
	uint16_t first_domain; /* IN */
	uint16_t pad1;
	uint32_t max_domains; /* IN: room in buffer */
	uint64_t buffer;      /* IN: struct xen_domctl_getdomaininfo[] */
	uint32_t num_domains; /* OUT */
	uint32_t pad2;
};

struct xen_sysctl {
	uint32_t cmd;		    /* XEN_SYSCTL_* */
	uint32_t interface_version; /* XEN_SYSCTL_INTERFACE_VERSION */
	union {
		struct xen_sysctl_getdomaininfolist getdomaininfolist;
		uint8_t pad[128];
		uint64_t align;
	} u;
};

/* ---- hvm_start_info flags (xen.h SIF_*, as Hyperlaunch sets them) ---------- */
#define SIF_PRIVILEGED (1u << 0) /* a control domain */
#define SIF_INITDOMAIN (1u << 1) /* the hardware domain */

#ifndef __ASSEMBLER__
_Static_assert(sizeof(struct xen_memory_reservation64) == 32, "reservation (64-bit)");
_Static_assert(sizeof(struct xen_memory_reservation32) == 20, "reservation (32-bit)");
_Static_assert(sizeof(struct xen_add_to_physmap64) == 24, "add_to_physmap (64-bit)");
_Static_assert(sizeof(struct xen_add_to_physmap32) == 16, "add_to_physmap (32-bit)");
_Static_assert(sizeof(struct xen_memory_map64) == 16, "memory_map (64-bit)");
_Static_assert(sizeof(struct xen_e820_entry) == 20, "e820 entry");
_Static_assert(sizeof(struct evtchn_status) == 24, "evtchn_status");
_Static_assert(sizeof(struct gnttab_query_size) == 16, "gnttab_query_size");
_Static_assert(sizeof(struct xen_hvm_param) == 16, "xen_hvm_param");
_Static_assert(sizeof(struct xen_memory_map32) == 8, "memory_map (32-bit)");
_Static_assert(sizeof(struct xen_compile_info) == 144, "xen_compile_info");
_Static_assert(sizeof(struct xen_feature_info) == 8, "xen_feature_info");
_Static_assert(sizeof(struct sched_remote_shutdown) == 8, "sched_remote_shutdown");
_Static_assert(sizeof(struct evtchn_alloc_unbound) == 8, "evtchn_alloc_unbound");
_Static_assert(sizeof(struct xen_domctl_getdomaininfo) == 112, "getdomaininfo");
_Static_assert(__builtin_offsetof(struct xen_domctl_getdomaininfo, handle) == 76,
	       "getdomaininfo handle");
_Static_assert(__builtin_offsetof(struct xen_domctl_getdomaininfo, arch_config) == 104,
	       "getdomaininfo arch_config");
_Static_assert(__builtin_offsetof(struct xen_domctl, u) == 16, "xen_domctl header");
_Static_assert(sizeof(struct xen_domctl) == 144, "xen_domctl");
_Static_assert(sizeof(struct xen_sysctl_getdomaininfolist) == 24, "getdomaininfolist");
_Static_assert(__builtin_offsetof(struct xen_sysctl, u) == 8, "xen_sysctl header");
_Static_assert(sizeof(struct xen_sysctl) == 136, "xen_sysctl");
#endif

#endif /* KDOM_XEN_H */

/* The guest ABI shared by kdom and its test guests: ports, ops, codes, CPUID leaves. */
#ifndef KDOM_ABI_H
#define KDOM_ABI_H

/*
 * This header is included both by the monitor (hosted C) and by the
 * freestanding test guests, so it uses only fixed-width types and macros.
 * Bump KDOM_ABI_VERSION whenever a value or a layout below changes.
 */
#include <stdint.h>

#define KDOM_ABI_VERSION 1

/* ---- I/O ports kdom emulates ------------------------------------------ */
#define KDOM_PORT_POST 0x080 /* POST/delay port: writes ignored */
#define KDOM_PORT_COM1 0x3f8 /* 16550 UART, IRQ 4 */
#define KDOM_PORT_I8042_DATA 0x060
#define KDOM_PORT_I8042_CMD 0x064 /* write 0xfe: pulse reset line */
#define KDOM_PORT_RESET_CF9 0xcf9 /* write with bit 2 set: reset */
#define KDOM_PORT_PVPANIC 0x505	  /* read: features; write: event */
#define KDOM_PORT_HYPERCALL 0x510 /* 32-bit write: gpa of a request */

#define KDOM_PVPANIC_PANICKED (1u << 0)
#define KDOM_PVPANIC_CRASH_LOADED (1u << 1)

#define KDOM_I8042_CMD_RESET 0xfe
#define KDOM_CF9_RESET_CPU (1u << 2)

/* ---- ACPI (docs/devices.md) ---------------------------------------------- */
/*
 * kdom's FADT describes these; a guest should read them from there.  The PM1a
 * event block is PM1_STS (2 bytes, write 1 to clear) then PM1_EN (2 bytes);
 * the control block is PM1_CNT.  The SCI is ISA IRQ 9 on IOAPIC pin 9,
 * level triggered, active high (the MADT's override says so).  \_S5 in the
 * DSDT holds KDOM_ACPI_SLP_TYP_S5: writing it with SLP_EN powers off.
 */
#define KDOM_PORT_ACPI_PM1A_EVT 0x600
#define KDOM_PORT_ACPI_PM1A_CNT 0x604
#define KDOM_ACPI_SCI_IRQ 9
#define KDOM_ACPI_PM1_PWRBTN (1u << 8) /* PWRBTN_STS in PM1_STS, PWRBTN_EN in PM1_EN */
#define KDOM_ACPI_PM1_CNT_SCI_EN (1u << 0)
#define KDOM_ACPI_PM1_CNT_SLP_TYP_SHIFT 10
#define KDOM_ACPI_PM1_CNT_SLP_TYP_MASK (7u << 10)
#define KDOM_ACPI_PM1_CNT_SLP_EN (1u << 13)
#define KDOM_ACPI_SLP_TYP_S5 5

/* ---- Hypercall port ------------------------------------------------------ */
/*
 * The guest fills a struct kdom_hypercall in its own memory, below 4 GiB,
 * 8-byte aligned, and writes its guest-physical address with a 32-bit OUT
 * to KDOM_PORT_HYPERCALL.  kdom validates the block, serves it in that one
 * exit and writes the result to ->ret (0 or more on success, -KDOM_Exxx on
 * error).  Op and sub-op numbers follow Xen's public headers.
 */
struct kdom_hypercall {
	uint32_t op;
	uint32_t cmd;
	int64_t ret;
	uint64_t arg[4];
};

#define KDOM_HYPERCALL_SIZE 48

/* ops (xen/include/public/xen.h __HYPERVISOR_*) */
#define KDOM_HC_XEN_VERSION 17
#define KDOM_HC_SCHED_OP 29
#define KDOM_HC_SYSCTL 35
#define KDOM_HC_DOMCTL 36
#define KDOM_HC_KDOM_OP 48 /* kdom's own ops, in Xen's __HYPERVISOR_arch_0 slot */

/*
 * kdom_op sub-ops.  GET_CONTROL_REQUEST: arg[0] = 1 when the toolstack asks
 * the domain to shut down (`kdom shutdown` / `kdom reboot`), arg[1] = the
 * SHUTDOWN_* reason it asks for.  The first call registers the guest as one
 * that reads requests: from then on kdom also sends its vCPU 0 an NMI when a
 * request is made.  A guest that never asked gets the ACPI power button
 * instead (and still finds the request here if it asks later), so a guest
 * that handles requests makes this call at boot.  (Xen guests read
 * xenstore's control/shutdown.)
 */
#define KDOM_KDOMOP_GET_CONTROL_REQUEST 0
/* The bootstrap domain is done building the launch: its management rights end. */
#define KDOM_KDOMOP_LAUNCH_FINALIZE 1
/*
 * A control domain's count of domain shutdowns and destructions since it
 * last asked (ret), reset by asking: Xen's VIRQ_DOM_EXC, read by polling.
 */
#define KDOM_KDOMOP_GET_DOM_EXC 2
/*
 * The memory extent the caller may know (the seed's XENMEM_machphys_mapping
 * and max_page rule): the hardware domain is told the host's, arg[0] = the
 * host's RAM in bytes, arg[1] = its highest page frame + 1, arg[2] = 1;
 * every other domain its own, arg[0] = its RAM in bytes, arg[1] = the frame
 * above its highest RAM, arg[2] = 0.  ret 0.
 */
#define KDOM_KDOMOP_GET_MEMORY_EXTENT 3

/* xen_version sub-ops (public/version.h) */
#define KDOM_XENVER_VERSION 0	   /* ret = major << 16 | minor */
#define KDOM_XENVER_GET_FEATURES 6 /* arg[0] = submap index; ret 0, arg[1] = submap */

/* Feature bits in submap 0 (public/features.h) */
#define KDOM_XENFEAT_DOM0 11 /* the caller is the hardware domain */

/* kdom's own interface version as reported by XENVER_version */
#define KDOM_VERSION_MAJOR 0
#define KDOM_VERSION_MINOR 1

/* sched_op sub-ops (public/sched.h) */
#define KDOM_SCHEDOP_YIELD 0
#define KDOM_SCHEDOP_SHUTDOWN 2 /* arg[0] = reason; arg[1] = test result (kdom) */

/* shutdown reasons (public/sched.h SHUTDOWN_*) */
#define KDOM_SHUTDOWN_POWEROFF 0
#define KDOM_SHUTDOWN_REBOOT 1
#define KDOM_SHUTDOWN_SUSPEND 2
#define KDOM_SHUTDOWN_CRASH 3
#define KDOM_SHUTDOWN_WATCHDOG 4

#define KDOM_SCHEDOP_REMOTE_SHUTDOWN 4 /* arg[0] = domid, arg[1] = SHUTDOWN_* reason */

/*
 * domctl sub-ops (public/domctl.h XEN_DOMCTL_*); only a control domain (and
 * the bootstrap domain until launch finalization) may use them, within the
 * policy; everyone else gets -EPERM and learns nothing.
 *   CREATEDOMAIN    arg[0] = gpa of a kernel image in the caller's memory,
 *                   arg[1] = its length (at most 64 MiB), arg[2] = gpa of a
 *                   domain config in xl.cfg syntax without `kernel`,
 *                   arg[3] = its length (at most 16 KiB, UTF-8).  ret = the new
 *                   domid; the domain is created paused.
 *   DESTROYDOMAIN, PAUSEDOMAIN, UNPAUSEDOMAIN   arg[0] = domid.
 *   GETDOMAININFO   arg[0] = a domid: the first domain from it up that the
 *                   caller may see is described: arg[0] = its domid,
 *                   arg[1] = KDOM_DOMINF_* flags, arg[2] = its memory in
 *                   4 KiB pages, arg[3] = vCPUs | role flags << 32;
 *                   -ESRCH when there is none (as Xen's iteration).
 */
#define KDOM_DOMCTL_CREATEDOMAIN 1
#define KDOM_DOMCTL_DESTROYDOMAIN 2
#define KDOM_DOMCTL_PAUSEDOMAIN 3
#define KDOM_DOMCTL_UNPAUSEDOMAIN 4
#define KDOM_DOMCTL_GETDOMAININFO 5

/* Limits of CREATEDOMAIN's inputs. */
#define KDOM_CREATE_IMAGE_MAX (64u << 20)
#define KDOM_CREATE_CONFIG_MAX (16u << 10) /* fits a control-protocol message escaped */

/* XEN_DOMINF_* flags (public/domctl.h) */
#define KDOM_DOMINF_DYING (1u << 0)
#define KDOM_DOMINF_SHUTDOWN (1u << 2)
#define KDOM_DOMINF_PAUSED (1u << 3)
#define KDOM_DOMINF_RUNNING (1u << 5)
#define KDOM_DOMINF_SHUTDOWNSHIFT 16 /* the SHUTDOWN_* reason, with DOMINF_SHUTDOWN */

/*
 * sysctl sub-ops (public/sysctl.h).  GETDOMAININFOLIST: arg[0] = first
 * domid, arg[1] = gpa of an array of struct kdom_dominfo, arg[2] = its
 * length in entries (at most 1024); ret = entries written (the domains the
 * caller may see, by domid).
 */
#define KDOM_SYSCTL_GETDOMAININFOLIST 6
#define KDOM_DOMINFO_LIST_MAX 1024

struct kdom_dominfo {
	uint32_t domid;
	uint32_t flags; /* KDOM_DOMINF_* */
	uint64_t pages; /* 4 KiB pages of RAM */
	uint32_t vcpus;
	uint32_t roles; /* KDOM_ROLE_* */
	uint64_t reserved;
};

/* Error codes returned negated in ->ret (Xen's public/errno.h values) */
#define KDOM_EPERM 1
#define KDOM_ESRCH 3
#define KDOM_EIO 5
#define KDOM_E2BIG 7
#define KDOM_ENOMEM 12
#define KDOM_ENOENT 2
#define KDOM_EFAULT 14
#define KDOM_EBUSY 16
#define KDOM_EEXIST 17
#define KDOM_EINVAL 22
#define KDOM_ENOSPC 28
#define KDOM_ENOSYS 38

/* ---- Test results --------------------------------------------------------- */
/*
 * A test guest ends with a "Test result: X" console line and then a
 * SCHEDOP_shutdown(poweroff) whose arg[1] is one of these.  Ordered as XTF
 * orders them: the most severe result of a run wins.
 */
#define KDOM_RESULT_SUCCESS 0
#define KDOM_RESULT_SKIP 1
#define KDOM_RESULT_ERROR 2
#define KDOM_RESULT_FAILURE 3

/* ---- `kdom run` exit status (documented in kdom(1)) ----------------------- */
#define KDOM_EXIT_SUCCESS 0	 /* poweroff, test SUCCESS (or no result given) */
#define KDOM_EXIT_FAILURE 1	 /* test reported FAILURE */
#define KDOM_EXIT_ERROR 2	 /* test reported ERROR */
#define KDOM_EXIT_SKIP 3	 /* test reported SKIP */
#define KDOM_EXIT_REBOOT 4	 /* reboot requested (hypercall, i8042, 0xCF9) */
#define KDOM_EXIT_CRASH 5	 /* guest crash: pvpanic or SHUTDOWN_crash */
#define KDOM_EXIT_TRIPLE_FAULT 6 /* KVM_EXIT_SHUTDOWN */
#define KDOM_EXIT_INTERNAL 7	 /* KVM_EXIT_INTERNAL_ERROR (emulation failure) */
#define KDOM_EXIT_FAIL_ENTRY 8	 /* KVM_EXIT_FAIL_ENTRY */
#define KDOM_EXIT_SUSPEND 9	 /* SHUTDOWN_suspend */
#define KDOM_EXIT_WATCHDOG 10	 /* SHUTDOWN_watchdog */
#define KDOM_EXIT_KDOM_ERROR 125 /* kdom's own error: usage, config, image, host */

/* ---- CPUID leaves ----------------------------------------------------------- */
/* 0x40000000 stays KVM's; kdom's leaves start here. */
#define KDOM_CPUID_BASE 0x40000100u
/* BASE: eax = highest kdom leaf, ebx:ecx:edx = "KDomKDomKDom" */
#define KDOM_CPUID_SIGNATURE_EBX 0x6d6f444bu /* "KDom" */
#define KDOM_CPUID_SIGNATURE_ECX 0x6d6f444bu
#define KDOM_CPUID_SIGNATURE_EDX 0x6d6f444bu
/* BASE+1: eax = KDOM_ABI_VERSION, ebx = domid, ecx = role flags, edx = hypercall port */
#define KDOM_CPUID_INFO (KDOM_CPUID_BASE + 1)
#define KDOM_ROLE_HARDWARE (1u << 0)
#define KDOM_ROLE_CONTROL (1u << 1)
#define KDOM_ROLE_BOOTSTRAP (1u << 2)

/* ---- Guest physical memory map ------------------------------------------- */
#define KDOM_GPA_ACPI 0x000e0000u    /* ACPI RSDP, then the tables (up to the MP table) */
#define KDOM_GPA_MPTABLE 0x000f0000u /* MP floating pointer and table */
#define KDOM_GPA_KERNEL_MIN 0x00100000u
#define KDOM_GPA_MMIO_HOLE 0xc0000000u /* RAM above this moves above 4 GiB */
#define KDOM_GPA_IOAPIC 0xfec00000u
#define KDOM_GPA_LAPIC 0xfee00000u

#endif /* KDOM_ABI_H */

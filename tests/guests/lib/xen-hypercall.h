/* Xen's guest interface for the test guests, 32- or 64-bit: CPUID leaves, hypercall page, calls. */
#ifndef GUEST_XEN_HYPERCALL_H
#define GUEST_XEN_HYPERCALL_H

/*
 * Bitness-neutral: the 64-bit guests link it from the library, the 32-bit
 * ones build xen-hypercall.c with -m32.  Only Xen's interface, never
 * kdom's own port.  Pages are identity mapped, so a pointer is a gpa.
 */
#include <stdbool.h>
#include <stdint.h>

#include "kdom/xen.h"

#define XEN_PAGE_SIZE 4096
#define XEN_CPUID_SCAN_FIRST 0x40000000u
#define XEN_CPUID_SCAN_LAST 0x4000ff00u
#define XEN_CPUID_SCAN_STEP 0x100u

/* What a hypercall page holds before Xen fills it: RETs, so a premature call returns. */
#define XEN_PAGE_FILL 0xc3

/* The first base in 0x40000000-0x4000ff00 whose leaf says "XenVMMXenVMM"; 0 if none. */
uint32_t xen_cpuid_base(void);

/* CPUID leaf (for the base's leaves). */
void xen_cpuid(uint32_t leaf, uint32_t regs[4]);

/*
 * Whether page, filled with XEN_PAGE_FILL before its gpa went to the MSR,
 * now holds stubs: not all zero, not all XEN_PAGE_FILL, and not starting
 * with one.
 */
bool xen_hypercall_page_filled(const uint8_t *page);

/* Make the calls below go through page (installed by the caller's WRMSR). */
void xen_hypercall_page_use(const uint8_t *page);

/* The stub of hypercall nr: page + nr * 32. */
const void *xen_hypercall_stub(unsigned int nr);

/*
 * Hypercall nr with up to five arguments (rdi rsi rdx r10 r8, or ebx ecx
 * edx esi edi); the result, a negated XEN_E* on error.
 */
long xen_hypercall(unsigned int nr, unsigned long a1, unsigned long a2, unsigned long a3,
		   unsigned long a4, unsigned long a5);

static inline long xen_hypercall2(unsigned int nr, unsigned long a1, unsigned long a2)
{
	return xen_hypercall(nr, a1, a2, 0, 0, 0);
}

static inline long xen_console_write(const char *s, unsigned long len)
{
	return xen_hypercall(__HYPERVISOR_console_io, CONSOLEIO_write, len, (unsigned long)s, 0, 0);
}

static inline long xen_version_op(unsigned int cmd, void *arg)
{
	return xen_hypercall2(__HYPERVISOR_xen_version, cmd, (unsigned long)arg);
}

static inline long xen_sched_shutdown(unsigned int reason)
{
	struct sched_shutdown shutdown = { .reason = reason };

	return xen_hypercall2(__HYPERVISOR_sched_op, SCHEDOP_shutdown, (unsigned long)&shutdown);
}

/* ---- Register preservation --------------------------------------------------- */

/*
 * Every general-purpose register but the accumulator and the stack pointer:
 * loaded from in[] before a call, stored to out[] after it.
 */
#ifdef __x86_64__
#define XEN_CHECKED_REGS 14 /* rbx rcx rdx rsi rdi rbp r8-r15 */
#define XEN_REG_ARG1 4	    /* rdi */
#else
#define XEN_CHECKED_REGS 6 /* ebx ecx edx esi edi ebp */
#define XEN_REG_ARG1 0	   /* ebx */
#endif

struct xen_reg_check {
	unsigned long in[XEN_CHECKED_REGS];
	unsigned long out[XEN_CHECKED_REGS];
	unsigned long sp_before, sp_after; /* the stack pointer around the call */
	long result;
	const void *stub;
};

extern const char *const xen_reg_names[XEN_CHECKED_REGS];

/* Load in[], call stub, store the registers to out[] and the accumulator to result. */
void xen_call_with_registers(struct xen_reg_check *check);

#endif

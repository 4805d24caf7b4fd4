/* Constants the guest library's assembly and C share: selectors, sizes, struct offsets. */
#ifndef GUEST_ARCH_H
#define GUEST_ARCH_H

/* Where the guests are linked; the PVH loader puts them there, identity mapped. */
#define GUEST_LOAD_ADDR 0x100000

/* GDT selectors; USER_* are used with RPL 3. */
#define KERNEL_CS 0x08
#define KERNEL_DS 0x10
#define KERNEL_CS32 0x18 /* only for the AP trampoline's way through 32-bit mode */
#define USER_DS 0x20
#define USER_CS 0x28
#define GDT_FIRST_TSS 6 /* GDT index of CPU 0's TSS descriptor (two slots each) */
#define TSS_SELECTOR(cpu) ((GDT_FIRST_TSS + 2 * (cpu)) * 8)

#define MAX_CPUS 32
#define KSTACK_SHIFT 14
#define KSTACK_SIZE (1 << KSTACK_SHIFT) /* per-CPU kernel (CPL0) stack */
#define USTACK_SIZE 0x4000		/* per-CPU run_user() stack */

/* The real-mode AP trampoline is copied here; the SIPI vector is its page number. */
#define AP_TRAMPOLINE_ADDR 0x8000
#define AP_SIPI_VECTOR (AP_TRAMPOLINE_ADDR >> 12)

#define X86_EFLAGS_FIXED 0x2

/* Offsets into struct cpu (lib.h checks them) and struct tss64. */
#define CPU_SELF 0
#define CPU_USER_RETURN_RSP 8
#define CPU_RECOVER_RSP 16
#define CPU_USER_STACK_TOP 24
#define CPU_TSS 32
#define TSS_RSP0 4

#endif

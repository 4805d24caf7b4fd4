/* Guest boot: the PVH entry note, 32- to 64-bit entry, static page tables, GDT, AP trampoline. */
#include "arch.h"
#include "kdom/pvh.h"

#define MSR_EFER 0xc0000080
#define EFER_LME (1 << 8)
#define CR0_PE (1 << 0)
#define CR0_NW (1 << 29)
#define CR0_CD (1 << 30)
#define CR0_PG (1 << 31)
#define CR4_PAE (1 << 5)

/* Page table entry bits; accessed/dirty are preset so no walk has to write them. */
#define PTE_TABLE 0x27		/* present, writable, user, accessed */
#define PDE_2M 0xe7		/* ... plus dirty and 2 MiB page size */
#define PDE_2M_UNCACHED 0xff	/* ... plus PWT and PCD, for the MMIO hole */
#define MMIO_HOLE 0xc0000000	/* KDOM_GPA_MMIO_HOLE: LAPIC, IOAPIC, BARs */

/*
 * The PVH entry point (Xen's public/elfnote.h): loaders that find this
 * note start us in flat 32-bit protected mode with paging off and
 * %ebx = the guest-physical address of struct hvm_start_info.
 */
	.section .note.Xen, "a", @note
	.p2align 2
	.long 2f - 1f
	.long 4f - 3f
	.long XEN_ELFNOTE_PHYS32_ENTRY
1:	.asciz "Xen"
2:	.p2align 2
3:	.long pvh_start32
4:	.p2align 2

/*
 * Every CPU goes through here from flat 32-bit protected mode.  The
 * page tables are static, so entering long mode is a handful of
 * (emulated, hence expensive) CPL0 instructions and no loops.
 */
.macro enter_long_mode target
	mov %cr4, %eax
	or $CR4_PAE, %eax
	mov %eax, %cr4
	mov $pml4, %eax
	mov %eax, %cr3
	mov $MSR_EFER, %ecx
	rdmsr
	or $EFER_LME, %eax
	wrmsr
	mov %cr0, %eax
	and $~(CR0_CD | CR0_NW), %eax
	or $(CR0_PG | CR0_PE), %eax
	mov %eax, %cr0
	ljmp $KERNEL_CS, $\target
.endm

/* 64-bit code keeps null data selectors so that IRET to CPL3 leaves GS alone. */
.macro null_data_segments
	xor %eax, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %fs
	mov %eax, %gs
.endm

	.section .text.head, "ax"
	.code32
	.globl pvh_start32
pvh_start32:
	cld
	lgdt gdtr
	mov $KERNEL_DS, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %ss
	mov %ebx, %esi			/* hvm_start_info, for lib_main() */
	enter_long_mode bsp_start64

	.globl ap_start32
ap_start32:
	mov $KERNEL_DS, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %ss
	enter_long_mode ap_start64

	.code64
bsp_start64:
	null_data_segments
	mov $(kernel_stacks + KSTACK_SIZE), %rsp
	mov %esi, %edi
	call lib_main
	jmp halt_forever

/*
 * APs may arrive together, so each takes a ticket to pick its CPU index
 * and with it its stack; the BSP is CPU 0.
 */
ap_start64:
	null_data_segments
	mov $1, %eax
	lock xadd %eax, ap_ticket(%rip)
	inc %eax
	cmp $MAX_CPUS, %eax
	jae halt_forever
	mov %eax, %edi
	lea 1(%rax), %rsp
	shl $KSTACK_SHIFT, %rsp
	add $kernel_stacks, %rsp
	call ap_main

	.globl halt_forever
halt_forever:
	cli
	hlt
	jmp halt_forever

/*
 * The AP trampoline, copied to AP_TRAMPOLINE_ADDR and entered by SIPI in
 * real mode with %cs = AP_TRAMPOLINE_ADDR >> 4.  It only reaches 32-bit
 * protected mode; the rest is the shared path above.
 */
	.code16
	.globl ap_trampoline, ap_trampoline_end
ap_trampoline:
	cli
	mov %cs, %ax
	mov %ax, %ds
	lgdtl ap_trampoline_gdtr - ap_trampoline
	mov %cr0, %eax
	and $~(CR0_CD | CR0_NW), %eax
	or $CR0_PE, %eax
	mov %eax, %cr0
	ljmpl $KERNEL_CS32, $ap_start32
	.p2align 2
ap_trampoline_gdtr:
	.word gdt_end - gdt - 1
	.long gdt
ap_trampoline_end:
	.code64

	.data
	.p2align 4
	.globl gdt
gdt:
	.quad 0
	.quad 0x00af9b000000ffff	/* KERNEL_CS: 64-bit code, DPL 0 */
	.quad 0x00cf93000000ffff	/* KERNEL_DS */
	.quad 0x00cf9b000000ffff	/* KERNEL_CS32 */
	.quad 0x00cff3000000ffff	/* USER_DS: DPL 3 */
	.quad 0x00affb000000ffff	/* USER_CS: 64-bit code, DPL 3 */
	.fill 2 * MAX_CPUS, 8, 0	/* 16-byte TSS descriptors, written by cpu_init() */
gdt_end:

	.p2align 2
	.word 0
gdtr:
	.word gdt_end - gdt - 1
	.long gdt

/*
 * Identity map of the first 4 GiB in 2 MiB pages, user-accessible so that
 * run_user() code can touch anything; the MMIO hole from 3 GiB (LAPIC,
 * IOAPIC) is uncached.  Built by the assembler, not at run time.
 */
	.section .data.pagetables, "aw"
	.p2align 12
	.globl pml4
pml4:
	.quad pdpt + PTE_TABLE
	.fill 511, 8, 0
pdpt:
	.quad pd + PTE_TABLE
	.quad pd + 0x1000 + PTE_TABLE
	.quad pd + 0x2000 + PTE_TABLE
	.quad pd + 0x3000 + PTE_TABLE
	.fill 508, 8, 0		/* nothing above 4 GiB: a #PF there is a test's tool */
pd:
	.set page, 0
	.rept 2048
	.if page >= MMIO_HOLE
	.quad page + PDE_2M_UNCACHED
	.else
	.quad page + PDE_2M
	.endif
	.set page, page + 0x200000
	.endr

	.bss
	.p2align 2
ap_ticket:
	.long 0

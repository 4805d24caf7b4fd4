/* 32-bit guest boot: the PVH entry note, a flat GDT and a stack, PAE paging in the paged variant. */
#include "kdom/pvh.h"

/*
 * The PVH entry leaves us in flat 32-bit protected mode with paging off
 * and %ebx = the gpa of struct hvm_start_info, with segments and a stack
 * we may not rely on: load our own, then (GUEST32_PAGING_PAE) identity map
 * the first 4 GiB in 2 MiB pages and turn paging on, and call
 * guest32_main(start_info gpa), which does not return.
 */
#define CODE32 0x08
#define DATA32 0x10
#define STACK_SIZE 0x4000
#define CR0_PG (1 << 31)
#define CR4_PAE (1 << 5)
#define PDPTE_PRESENT 0x1	/* PAE PDPTEs have no writable or user bit */
#define PDE_2M 0xe3		/* present, writable, accessed, dirty, 2 MiB page */
#define PDE_2M_UNCACHED 0xfb	/* ... plus PWT and PCD, for the MMIO hole */
#define MMIO_HOLE 0xc0000000	/* KDOM_GPA_MMIO_HOLE */

	.section .note.Xen, "a", @note
	.p2align 2
	.long 2f - 1f
	.long 4f - 3f
	.long XEN_ELFNOTE_PHYS32_ENTRY
1:	.asciz "Xen"
2:	.p2align 2
3:	.long pvh_start32
4:	.p2align 2

	.section .text.head, "ax"
	.code32
	.globl pvh_start32
pvh_start32:
	cld
	lgdt gdtr
	ljmp $CODE32, $1f
1:	mov $DATA32, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %fs
	mov %eax, %gs
	mov %eax, %ss
	mov $(stack + STACK_SIZE), %esp
#ifdef GUEST32_PAGING_PAE
	mov %cr4, %eax
	or $CR4_PAE, %eax
	mov %eax, %cr4
	mov $pdpt, %eax
	mov %eax, %cr3
	mov %cr0, %eax
	or $CR0_PG, %eax
	mov %eax, %cr0
#endif
	push %ebx
	call guest32_main
halt:
	cli
	hlt
	jmp halt

	.data
	.p2align 3
gdt:
	.quad 0
	.quad 0x00cf9b000000ffff	/* CODE32: flat 32-bit code, DPL 0 */
	.quad 0x00cf93000000ffff	/* DATA32 */
gdt_end:

	.p2align 2
	.word 0
gdtr:
	.word gdt_end - gdt - 1
	.long gdt

#ifdef GUEST32_PAGING_PAE
/* Built by the assembler, not at run time (CPL0 instructions may be emulated). */
	.section .data.pagetables, "aw"
	.p2align 12
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
	.p2align 5
pdpt:
	.long pd + PDPTE_PRESENT, 0
	.long pd + 0x1000 + PDPTE_PRESENT, 0
	.long pd + 0x2000 + PDPTE_PRESENT, 0
	.long pd + 0x3000 + PDPTE_PRESENT, 0
#endif

	.bss
	.p2align 4
stack:
	.skip STACK_SIZE

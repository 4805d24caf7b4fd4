/* Where kdom places its boot structures in low guest memory. */
#ifndef KDOM_LAYOUT_H
#define KDOM_LAYOUT_H

#include "kdom/abi.h"

/*
 * Low memory, below the kernel at 1 MiB.  Loaders and the vCPU boot code
 * write only inside these windows; kernels may not load below
 * LAYOUT_KERNEL_MIN.
 */
#define LAYOUT_BOOT_GDT 0x0500ull    /* GDT for 64-bit Linux entry (4 entries) */
#define LAYOUT_START_INFO 0x6000ull  /* PVH hvm_start_info, modlist, memmap (one page) */
#define LAYOUT_BOOT_PARAMS 0x7000ull /* Linux zero page */
#define LAYOUT_PML4 0x9000ull	     /* identity page tables for Linux 64-bit entry */
#define LAYOUT_PDPT 0xa000ull
#define LAYOUT_PD 0xb000ull	   /* 4 pages: 4 GiB in 2 MiB pages */
#define LAYOUT_CMDLINE 0x20000ull  /* kernel command line */
#define LAYOUT_CMDLINE_MAX 4096ull /* bytes, including the NUL */
#define LAYOUT_EBDA 0x9fc00ull	   /* start of the reserved area below 1 MiB */
#define LAYOUT_ACPI KDOM_GPA_ACPI  /* ACPI RSDP and tables (BIOS area: scanned for the RSDP) */
#define LAYOUT_ACPI_MAX (KDOM_GPA_MPTABLE - KDOM_GPA_ACPI)
#define LAYOUT_MPTABLE KDOM_GPA_MPTABLE /* MP floating pointer + config table */
#define LAYOUT_KERNEL_MIN KDOM_GPA_KERNEL_MIN

#endif

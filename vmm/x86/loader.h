/* Kernel loaders: PVH ELF, Linux bzImage and vmlinux (64-bit boot protocol). */
#ifndef KDOM_LOADER_H
#define KDOM_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/guest-mem.h"

enum boot_mode {
	BOOT_PVH,     /* 32-bit protected mode, paging off, ebx = hvm_start_info */
	BOOT_LINUX64, /* 64-bit long mode, identity paging, rsi = boot_params */
};

/* What the loader decided for the boot vCPU. */
struct boot_setup {
	enum boot_mode mode;
	uint64_t entry;	    /* gpa of the first instruction */
	uint64_t boot_info; /* PVH: hvm_start_info gpa; Linux: boot_params gpa */
	bool linux_image;   /* Linux's (bzImage, vmlinux, or an ELF with Linux's notes) */
};

struct load_params {
	const uint8_t *kernel;
	size_t kernel_size;
	const uint8_t *initrd; /* may be NULL when initrd_size is 0 */
	size_t initrd_size;    /* 0: no initrd */
	const char *cmdline;   /* may be NULL: empty */
	uint32_t start_flags;  /* PVH: hvm_start_info's SIF_* flags */
	bool ram_pinned;       /* RAM is mapped for DMA (pass-through): nothing punched out */
	uint64_t acpi_rsdp;    /* the ACPI RSDP's address for the kernel; 0: none */
};

/*
 * Recognise the image (an ELF32 or ELF64 with a PVH entry note boots PVH,
 * any other ELF64 x86-64 as a Linux vmlinux, a "HdrS" image as a Linux
 * bzImage), place it and the boot structures (memory map, command line, initrd,
 * hvm_start_info or boot_params) in guest RAM, and fill *boot.
 * 0 on success; -EINVAL/-E2BIG/-ENOEXEC etc. with a human-readable reason in
 * err.  Everything is checked before the first write, so a refused image
 * leaves guest RAM untouched (and nothing is ever written outside it).
 */
int loader_load(const struct guest_mem *mem, const struct load_params *params,
		struct boot_setup *boot, char *err, size_t errlen);

/* The individual formats, for tests; same contract as loader_load(). */
int loader_load_pvh(const struct guest_mem *mem, const struct load_params *params,
		    struct boot_setup *boot, char *err, size_t errlen);
int loader_load_linux(const struct guest_mem *mem, const struct load_params *params,
		      struct boot_setup *boot, char *err, size_t errlen);

/* Read a whole regular file into a malloc()ed buffer, refusing files over max bytes. */
int loader_read_file(const char *path, size_t max, uint8_t **data, size_t *size, char *err,
		     size_t errlen);

/* ---- Shared by the format loaders (vmm/loader.c) --------------------------- */

/* Memory map entry types: the e820 and Xen hvm_memmap codes are the same. */
#define LOADER_MEM_RAM 1
#define LOADER_MEM_RESERVED 2
#define LOADER_MEMMAP_MAX 8

struct loader_mem_range {
	uint64_t addr;
	uint64_t size;
	uint32_t type; /* LOADER_MEM_* */
};

/*
 * The guest's physical memory map in ascending order: RAM below the EBDA,
 * the reserved legacy area up to 1 MiB, RAM up to the top of low RAM, the
 * reserved IOAPIC/LAPIC window and RAM above 4 GiB when there is any.
 * Returns the number of entries; -EINVAL when low RAM ends below 1 MiB,
 * -ENOSPC when max entries are not enough.
 */
int loader_build_memmap(const struct guest_mem *mem, struct loader_mem_range *map, size_t max,
			char *err, size_t errlen);

/* e_ident[EI_CLASS] values. */
#define LOADER_ELFCLASS32 1
#define LOADER_ELFCLASS64 2

/*
 * An x86 ELF image whose headers, segments and notes lie in the file:
 * ELFCLASS64 with EM_X86_64, or ELFCLASS32 with EM_386 or EM_X86_64 (a
 * 64-bit kernel in a 32-bit container), read into this one form.
 */
struct loader_elf {
	const uint8_t *image;
	size_t size;
	unsigned int elf_class; /* LOADER_ELFCLASS32 or LOADER_ELFCLASS64 */
	unsigned int machine;	/* e_machine */
	uint64_t entry;		/* e_entry */
	uint64_t phoff;
	unsigned int phnum;
	unsigned int phentsize;
	uint64_t load_start; /* lowest and highest+1 gpa of the PT_LOAD segments */
	uint64_t load_end;
	bool has_pvh_entry; /* a XEN_ELFNOTE_PHYS32_ENTRY note was found */
	uint32_t pvh_entry;
	bool is_linux; /* a note owned by "Linux" (every Linux vmlinux has them) */
};

/* True when the image starts with the ELF magic. */
bool loader_is_elf(const uint8_t *image, size_t size);

/* True when the image has the Linux setup header magic "HdrS" at 0x202. */
bool loader_is_bzimage(const uint8_t *image, size_t size);

/* Check everything about the image that does not depend on the guest. */
int loader_elf_parse(const uint8_t *image, size_t size, struct loader_elf *elf, char *err,
		     size_t errlen);

/* Check that every PT_LOAD segment lands in guest RAM at or above 1 MiB; no writes. */
int loader_elf_check_placement(const struct guest_mem *mem, const struct loader_elf *elf, char *err,
			       size_t errlen);

/* True when gpa lies in the memory image of some PT_LOAD segment. */
bool loader_elf_loads(const struct loader_elf *elf, uint64_t gpa);

/*
 * Copy the PT_LOAD segments (file bytes, then zeroes) into guest RAM; the
 * bss's whole pages are given back to the host unless ram_pinned (RAM
 * mapped for a device's DMA must keep its pages).
 */
int loader_elf_copy(const struct guest_mem *mem, const struct loader_elf *elf, bool ram_pinned,
		    char *err, size_t errlen);

/*
 * Check the command line against LAYOUT_CMDLINE_MAX and the kernel's own
 * limit (max_len bytes without the NUL); *len gets its length.
 */
int loader_check_cmdline(const char *cmdline, uint64_t max_len, size_t *len, char *err,
			 size_t errlen);

/*
 * Choose where the initrd goes: page-aligned, as high as possible below
 * min(limit, top of low RAM), not below floor (the end of the kernel).
 * *gpa = 0 when there is no initrd.  No writes.
 */
int loader_place_initrd(const struct guest_mem *mem, const struct load_params *params,
			uint64_t floor, uint64_t limit, uint64_t *gpa, char *err, size_t errlen);

#endif

/* The PVH boot ABI (Xen's public/arch-x86/hvm/start_info.h, elfnote.h), shared by kdom and guests. */
#ifndef KDOM_PVH_H
#define KDOM_PVH_H

/*
 * Our own statement of Xen's layout, version 1 (which added the memory map);
 * the layout is the ABI.  Usable from assembly for the constants.
 */
#define XEN_ELFNOTE_OWNER "Xen"	    /* the owner name of Xen's ELF notes */
#define XEN_ELFNOTE_PHYS32_ENTRY 18 /* ELF note (owner "Xen"): 32-bit PVH entry */
#define XEN_HVM_START_MAGIC_VALUE 0x336ec578u
#define XEN_HVM_START_INFO_VERSION 1
#define XEN_HVM_MEMMAP_TYPE_RAM 1
#define XEN_HVM_MEMMAP_TYPE_RESERVED 2

#ifndef __ASSEMBLY__
#include <stdint.h>

struct hvm_start_info {
	uint32_t magic;	  /* XEN_HVM_START_MAGIC_VALUE */
	uint32_t version; /* XEN_HVM_START_INFO_VERSION */
	uint32_t flags;	  /* SIF_* (kdom/xen.h): set with the Xen interface on */
	uint32_t nr_modules;
	uint64_t modlist_paddr; /* struct hvm_modlist_entry[nr_modules] */
	uint64_t cmdline_paddr;
	uint64_t rsdp_paddr;
	uint64_t memmap_paddr; /* struct hvm_memmap_table_entry[memmap_entries] */
	uint32_t memmap_entries;
	uint32_t reserved;
};

struct hvm_modlist_entry {
	uint64_t paddr;
	uint64_t size;
	uint64_t cmdline_paddr;
	uint64_t reserved;
};

struct hvm_memmap_table_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type; /* XEN_HVM_MEMMAP_TYPE_* */
	uint32_t reserved;
};

_Static_assert(sizeof(struct hvm_start_info) == 56, "hvm_start_info is 56 bytes");
_Static_assert(sizeof(struct hvm_modlist_entry) == 32, "hvm_modlist_entry is 32 bytes");
_Static_assert(sizeof(struct hvm_memmap_table_entry) == 24, "hvm_memmap_table_entry is 24 bytes");
#endif

#endif

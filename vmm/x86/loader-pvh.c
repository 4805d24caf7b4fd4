/* PVH boot: an ELF kernel with Xen's PHYS32_ENTRY note, started with an hvm_start_info. */
#include "vmm/x86/loader.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "kdom/pvh.h"
#include "vmm/x86/layout.h"

static_assert(offsetof(struct hvm_start_info, modlist_paddr) == 16, "modlist_paddr offset");
static_assert(offsetof(struct hvm_start_info, rsdp_paddr) == 32, "rsdp_paddr offset");
static_assert(offsetof(struct hvm_start_info, memmap_paddr) == 40, "memmap_paddr offset");
static_assert(offsetof(struct hvm_start_info, memmap_entries) == 48, "memmap_entries offset");

static_assert(XEN_HVM_MEMMAP_TYPE_RAM == LOADER_MEM_RAM, "memory map type codes agree");
static_assert(XEN_HVM_MEMMAP_TYPE_RESERVED == LOADER_MEM_RESERVED, "memory map type codes agree");

/* Everything shares one page at LAYOUT_START_INFO so that the guest finds it together. */
#define PVH_PAGE_SIZE 4096
#define PVH_MODLIST_OFFSET 0x40
#define PVH_MEMMAP_OFFSET 0x80
static_assert(PVH_MODLIST_OFFSET >= sizeof(struct hvm_start_info), "modlist after start_info");
static_assert(PVH_MODLIST_OFFSET + sizeof(struct hvm_modlist_entry) <= PVH_MEMMAP_OFFSET,
	      "one module fits before the memory map");
static_assert(PVH_MEMMAP_OFFSET + LOADER_MEMMAP_MAX * sizeof(struct hvm_memmap_table_entry) <=
		      PVH_PAGE_SIZE,
	      "the memory map fits in the page");
static_assert(LAYOUT_START_INFO + PVH_PAGE_SIZE <= LAYOUT_BOOT_PARAMS, "start_info page fits");

/* The start_info page: hvm_start_info, the module list (the initrd) and the memory map. */
static void pvh_fill_start_page(uint8_t page[PVH_PAGE_SIZE], const struct loader_mem_range *map,
				int entries, uint64_t initrd_gpa, const struct load_params *params)
{
	struct hvm_start_info info = {
		.magic = XEN_HVM_START_MAGIC_VALUE,
		.version = XEN_HVM_START_INFO_VERSION,
		.flags = params->start_flags,
		.cmdline_paddr = LAYOUT_CMDLINE,
		.rsdp_paddr = params->acpi_rsdp,
		.memmap_paddr = LAYOUT_START_INFO + PVH_MEMMAP_OFFSET,
		.memmap_entries = (uint32_t)entries,
	};

	memset(page, 0, PVH_PAGE_SIZE);
	if (initrd_gpa) {
		struct hvm_modlist_entry module = {
			.paddr = initrd_gpa,
			.size = params->initrd_size,
		};

		info.nr_modules = 1;
		info.modlist_paddr = LAYOUT_START_INFO + PVH_MODLIST_OFFSET;
		memcpy(page + PVH_MODLIST_OFFSET, &module, sizeof(module));
	}
	memcpy(page, &info, sizeof(info));
	for (int i = 0; i < entries; i++) {
		struct hvm_memmap_table_entry entry = {
			.addr = map[i].addr,
			.size = map[i].size,
			.type = map[i].type,
		};

		memcpy(page + PVH_MEMMAP_OFFSET + i * sizeof(entry), &entry, sizeof(entry));
	}
}

int loader_load_pvh(const struct guest_mem *mem, const struct load_params *params,
		    struct boot_setup *boot, char *err, size_t errlen)
{
	struct loader_mem_range map[LOADER_MEMMAP_MAX];
	uint8_t page[PVH_PAGE_SIZE];
	struct loader_elf elf;
	uint64_t initrd_gpa;
	size_t cmdline_len;
	int ret, entries;

	if (errlen)
		err[0] = '\0';
	ret = loader_elf_parse(params->kernel, params->kernel_size, &elf, err, errlen);
	if (ret)
		return ret;
	if (!elf.has_pvh_entry) {
		snprintf(err, errlen,
			 "ELF image has no PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY, type 18, "
			 "owner \"Xen\")");
		return -ENOEXEC;
	}
	ret = loader_elf_check_placement(mem, &elf, err, errlen);
	if (ret)
		return ret;
	if (!loader_elf_loads(&elf, elf.pvh_entry)) {
		snprintf(err, errlen, "PVH entry point 0x%x lies outside the loaded segments",
			 elf.pvh_entry);
		return -ENOEXEC;
	}
	ret = loader_check_cmdline(params->cmdline, LAYOUT_CMDLINE_MAX - 1, &cmdline_len, err,
				   errlen);
	if (ret)
		return ret;
	entries = loader_build_memmap(mem, map, LOADER_MEMMAP_MAX, err, errlen);
	if (entries < 0)
		return entries;
	/* Modules must stay below 4 GiB; low RAM already ends below the MMIO hole. */
	ret = loader_place_initrd(mem, params, elf.load_end, KDOM_GPA_MMIO_HOLE, &initrd_gpa, err,
				  errlen);
	if (ret)
		return ret;

	/* Everything is checked: from here on only writes that cannot fail. */
	pvh_fill_start_page(page, map, entries, initrd_gpa, params);
	ret = loader_elf_copy(mem, &elf, params->ram_pinned, err, errlen);
	if (ret)
		return ret;
	if (gmem_write(mem, LAYOUT_CMDLINE, params->cmdline ? params->cmdline : "",
		       cmdline_len + 1) < 0 ||
	    (initrd_gpa && gmem_write(mem, initrd_gpa, params->initrd, params->initrd_size) < 0) ||
	    gmem_write(mem, LAYOUT_START_INFO, page, sizeof(page)) < 0) {
		snprintf(err, errlen, "PVH boot structures do not fit in guest RAM");
		return -EFAULT;
	}

	boot->mode = BOOT_PVH;
	boot->entry = elf.pvh_entry;
	boot->boot_info = LAYOUT_START_INFO;
	return 0;
}

/* Linux x86 64-bit boot protocol: bzImage and vmlinux, boot_params (zero page) and e820. */
#include "vmm/x86/loader.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "vmm/x86/layout.h"

/*
 * Documentation/arch/x86/boot.rst and arch/x86/include/uapi/asm/bootparam.h;
 * our own definitions, laid out as the protocol fixes them.
 */
#define SETUP_HEADER_OFFSET 0x1f1
#define SETUP_HEADER_MAGIC "HdrS"
#define SETUP_HEADER_MAGIC_OFFSET 0x202
#define SETUP_HEADER_LIMIT 0x290 /* boot_params reserves up to here for the header */
#define SETUP_SECTOR_SIZE 512
#define SETUP_SECTS_DEFAULT 4 /* setup_sects 0 means 4 */
#define BOOT_FLAG_MAGIC 0xaa55
#define BOOT_PROTOCOL_64BIT 0x020c /* 2.12: xloadflags and the 64-bit entry */
#define BOOT_PROTOCOL_SYNTH 0x020f /* what we claim to speak to a vmlinux */
#define KERNEL_64BIT_ENTRY_OFFSET 0x200
#define INITRD_ADDR_MAX_DEFAULT 0x37ffffffull /* boot.rst: before protocol 2.03 */
#define LOADER_TYPE_UNDEFINED 0xff
#define HEAP_END_PTR 0xfe00 /* the customary value; unused by a 64-bit entry */

#define LOADED_HIGH (1u << 0)
#define CAN_USE_HEAP (1u << 7)
#define XLF_KERNEL_64 (1u << 0)
#define XLF_CAN_BE_LOADED_ABOVE_4G (1u << 1)

#define E820_MAX_ENTRIES_ZEROPAGE 128

struct linux_setup_header {
	uint8_t setup_sects;
	uint16_t root_flags;
	uint32_t syssize;
	uint16_t ram_size;
	uint16_t vid_mode;
	uint16_t root_dev;
	uint16_t boot_flag;
	uint16_t jump;
	uint32_t header;
	uint16_t version;
	uint32_t realmode_swtch;
	uint16_t start_sys_seg;
	uint16_t kernel_version;
	uint8_t type_of_loader;
	uint8_t loadflags;
	uint16_t setup_move_size;
	uint32_t code32_start;
	uint32_t ramdisk_image;
	uint32_t ramdisk_size;
	uint32_t bootsect_kludge;
	uint16_t heap_end_ptr;
	uint8_t ext_loader_ver;
	uint8_t ext_loader_type;
	uint32_t cmd_line_ptr;
	uint32_t initrd_addr_max;
	uint32_t kernel_alignment;
	uint8_t relocatable_kernel;
	uint8_t min_alignment;
	uint16_t xloadflags;
	uint32_t cmdline_size;
	uint32_t hardware_subarch;
	uint64_t hardware_subarch_data;
	uint32_t payload_offset;
	uint32_t payload_length;
	uint64_t setup_data;
	uint64_t pref_address;
	uint32_t init_size;
	uint32_t handover_offset;
	uint32_t kernel_info_offset;
} __attribute__((packed));

#define HDR_AT(field, offset)                                                                     \
	static_assert(offsetof(struct linux_setup_header, field) == (offset)-SETUP_HEADER_OFFSET, \
		      #field " offset")
HDR_AT(boot_flag, 0x1fe);
HDR_AT(header, 0x202);
HDR_AT(version, 0x206);
HDR_AT(type_of_loader, 0x210);
HDR_AT(loadflags, 0x211);
HDR_AT(ramdisk_image, 0x218);
HDR_AT(ramdisk_size, 0x21c);
HDR_AT(heap_end_ptr, 0x224);
HDR_AT(cmd_line_ptr, 0x228);
HDR_AT(initrd_addr_max, 0x22c);
HDR_AT(relocatable_kernel, 0x234);
HDR_AT(xloadflags, 0x236);
HDR_AT(cmdline_size, 0x238);
HDR_AT(pref_address, 0x258);
HDR_AT(init_size, 0x260);
HDR_AT(kernel_info_offset, 0x268);
static_assert(sizeof(struct linux_setup_header) == 0x26c - SETUP_HEADER_OFFSET,
	      "setup header ends at 0x26c");

/* A 2.12 header must reach init_size, which says how much room the kernel needs. */
#define SETUP_HEADER_MIN_END \
	(SETUP_HEADER_OFFSET + offsetof(struct linux_setup_header, init_size) + 4)

struct linux_e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
} __attribute__((packed));
static_assert(sizeof(struct linux_e820_entry) == 20, "e820 entry is 20 bytes");

/*
 * acpi_rsdp_addr came with boot protocol 2.14, first in the setup header,
 * then (since Linux 5.0) here in the zero page, which kernels read whatever
 * the version: a loader sets it and need not claim 2.14.
 */
struct linux_boot_params {
	uint8_t pad0[0x070];
	uint64_t acpi_rsdp_addr;
	uint8_t pad0b[0x1e8 - 0x078];
	uint8_t e820_entries;
	uint8_t pad1[SETUP_HEADER_OFFSET - 0x1e9];
	struct linux_setup_header hdr;
	uint8_t pad2[0x2d0 - SETUP_HEADER_OFFSET - sizeof(struct linux_setup_header)];
	struct linux_e820_entry e820_table[E820_MAX_ENTRIES_ZEROPAGE];
	uint8_t pad3[0x1000 - 0x2d0 - E820_MAX_ENTRIES_ZEROPAGE * sizeof(struct linux_e820_entry)];
} __attribute__((packed));
static_assert(sizeof(struct linux_boot_params) == 4096, "boot_params is one page");
static_assert(offsetof(struct linux_boot_params, acpi_rsdp_addr) == 0x070, "acpi_rsdp_addr offset");
static_assert(offsetof(struct linux_boot_params, e820_entries) == 0x1e8, "e820_entries offset");
static_assert(offsetof(struct linux_boot_params, hdr) == SETUP_HEADER_OFFSET, "hdr offset");
static_assert(offsetof(struct linux_boot_params, e820_table) == 0x2d0, "e820_table offset");
static_assert(LOADER_MEMMAP_MAX <= E820_MAX_ENTRIES_ZEROPAGE, "the memory map fits the zero page");
static_assert(LOADER_MEM_RAM == 1 && LOADER_MEM_RESERVED == 2, "E820_TYPE_RAM/RESERVED");
static_assert(LAYOUT_BOOT_PARAMS + sizeof(struct linux_boot_params) <= LAYOUT_PML4,
	      "zero page fits below the page tables");

bool loader_is_bzimage(const uint8_t *image, size_t size)
{
	return image && size >= SETUP_HEADER_MAGIC_OFFSET + 4 &&
	       memcmp(image + SETUP_HEADER_MAGIC_OFFSET, SETUP_HEADER_MAGIC, 4) == 0;
}

/* What both image kinds hand to the common tail. */
struct linux_image {
	uint64_t kernel_end;   /* initrd goes above this */
	uint64_t initrd_limit; /* and below this */
	uint64_t cmdline_max;  /* bytes, without the NUL */
};

/*
 * Checks shared by bzImage and vmlinux, then the boot_params page: *bp holds
 * the setup header; the rest is filled here.  No writes to guest RAM.
 */
static int linux_prepare_boot_params(const struct guest_mem *mem, const struct load_params *params,
				     const struct linux_image *image, struct linux_boot_params *bp,
				     uint64_t *initrd_gpa, size_t *cmdline_len, char *err,
				     size_t errlen)
{
	struct loader_mem_range map[LOADER_MEMMAP_MAX];
	int ret, entries;

	ret = loader_check_cmdline(params->cmdline, image->cmdline_max, cmdline_len, err, errlen);
	if (ret)
		return ret;
	entries = loader_build_memmap(mem, map, LOADER_MEMMAP_MAX, err, errlen);
	if (entries < 0)
		return entries;
	ret = loader_place_initrd(mem, params, image->kernel_end, image->initrd_limit, initrd_gpa,
				  err, errlen);
	if (ret)
		return ret;

	bp->hdr.type_of_loader = LOADER_TYPE_UNDEFINED;
	bp->hdr.loadflags |= LOADED_HIGH | CAN_USE_HEAP;
	bp->hdr.heap_end_ptr = HEAP_END_PTR;
	bp->hdr.cmd_line_ptr = LAYOUT_CMDLINE;
	/* Low RAM ends below 4 GiB, so the 32-bit fields suffice. */
	bp->hdr.ramdisk_image = (uint32_t)*initrd_gpa;
	bp->hdr.ramdisk_size = *initrd_gpa ? (uint32_t)params->initrd_size : 0;
	bp->acpi_rsdp_addr = params->acpi_rsdp;
	bp->e820_entries = (uint8_t)entries;
	for (int i = 0; i < entries; i++) {
		bp->e820_table[i].addr = map[i].addr;
		bp->e820_table[i].size = map[i].size;
		bp->e820_table[i].type = map[i].type;
	}
	return 0;
}

static int linux_write_boot_data(const struct guest_mem *mem, const struct load_params *params,
				 const struct linux_boot_params *bp, uint64_t initrd_gpa,
				 size_t cmdline_len, char *err, size_t errlen)
{
	if (gmem_write(mem, LAYOUT_CMDLINE, params->cmdline ? params->cmdline : "",
		       cmdline_len + 1) < 0 ||
	    (initrd_gpa && gmem_write(mem, initrd_gpa, params->initrd, params->initrd_size) < 0) ||
	    gmem_write(mem, LAYOUT_BOOT_PARAMS, bp, sizeof(*bp)) < 0) {
		snprintf(err, errlen, "Linux boot structures do not fit in guest RAM");
		return -EFAULT;
	}
	return 0;
}

/* The bzImage's setup header, copied into a zeroed *bp, and its protocol version checked. */
static int bzimage_read_header(const uint8_t *file, size_t size, struct linux_boot_params *bp,
			       char *err, size_t errlen)
{
	const struct linux_setup_header *hdr = &bp->hdr;
	size_t copy_end;

	if (size < SETUP_HEADER_MIN_END) {
		snprintf(err, errlen,
			 "bzImage is truncated: %zu bytes, but its setup header runs to 0x%zx",
			 size, (size_t)SETUP_HEADER_MIN_END);
		return -ENOEXEC;
	}
	/*
	 * boot.rst: the header ends at 0x202 plus the jump's byte at 0x201; copy
	 * it as the kernel wrote it so that fields we do not know survive.
	 */
	copy_end = SETUP_HEADER_MAGIC_OFFSET + file[0x201];
	if (copy_end < SETUP_HEADER_MIN_END)
		copy_end = SETUP_HEADER_MIN_END;
	if (copy_end > SETUP_HEADER_LIMIT)
		copy_end = SETUP_HEADER_LIMIT;
	if (copy_end > size)
		copy_end = size;
	memset(bp, 0, sizeof(*bp));
	memcpy((uint8_t *)bp + SETUP_HEADER_OFFSET, file + SETUP_HEADER_OFFSET,
	       copy_end - SETUP_HEADER_OFFSET);

	if (hdr->version < BOOT_PROTOCOL_64BIT) {
		snprintf(err, errlen,
			 "kernel does not support the 64-bit boot protocol: it speaks boot "
			 "protocol %u.%02u, 2.12 or later is needed",
			 hdr->version >> 8, hdr->version & 0xff);
		return -ENOEXEC;
	}
	if (!(hdr->xloadflags & XLF_KERNEL_64)) {
		snprintf(err, errlen,
			 "kernel does not support the 64-bit boot protocol: xloadflags 0x%x lacks "
			 "XLF_KERNEL_64",
			 hdr->xloadflags);
		return -ENOEXEC;
	}
	return 0;
}

/* Where in the file the protected-mode kernel lies, checked against the header. */
static int bzimage_find_kernel(const struct linux_setup_header *hdr, size_t size,
			       uint64_t *pm_offset, uint64_t *pm_size, char *err, size_t errlen)
{
	unsigned int setup_sects = hdr->setup_sects ? hdr->setup_sects : SETUP_SECTS_DEFAULT;

	*pm_offset = (uint64_t)(setup_sects + 1) * SETUP_SECTOR_SIZE;
	if (*pm_offset >= size) {
		snprintf(err, errlen,
			 "setup_sects (%u) puts the protected-mode kernel at offset 0x%" PRIx64
			 ", at or past the end of the file (size 0x%zx)",
			 hdr->setup_sects, *pm_offset, size);
		return -ENOEXEC;
	}
	*pm_size = size - *pm_offset;
	/*
	 * syssize (32 bits wide since 2.04) is the protected-mode size in
	 * 16-byte units, rounded down: a shorter file was cut off in transit.
	 */
	if ((uint64_t)hdr->syssize * 16 > *pm_size) {
		snprintf(
			err, errlen,
			"bzImage is truncated: syssize says the protected-mode kernel is 0x%" PRIx64
			" bytes, but the file holds only 0x%" PRIx64,
			(uint64_t)hdr->syssize * 16, *pm_size);
		return -ENOEXEC;
	}
	if (*pm_size <= KERNEL_64BIT_ENTRY_OFFSET) {
		snprintf(err, errlen,
			 "protected-mode kernel is only 0x%" PRIx64 " bytes, too short for its "
			 "64-bit entry point at offset 0x%x",
			 *pm_size, KERNEL_64BIT_ENTRY_OFFSET);
		return -ENOEXEC;
	}
	return 0;
}

/* Where the kernel loads (*load) and where it and its init_size room end (*end). */
static int bzimage_place(const struct guest_mem *mem, const struct linux_setup_header *hdr,
			 uint64_t pm_size, uint64_t *load, uint64_t *end, char *err, size_t errlen)
{
	uint64_t runtime, run_end;

	/* A relocatable kernel says where it prefers to run; others expect 1 MiB. */
	*load = LAYOUT_KERNEL_MIN;
	if (hdr->relocatable_kernel && hdr->pref_address)
		*load = hdr->pref_address;
	if (*load < LAYOUT_KERNEL_MIN) {
		snprintf(err, errlen,
			 "kernel load address 0x%" PRIx64 " (pref_address) lies below 1 MiB "
			 "(0x%x), where kdom keeps its boot structures",
			 *load, LAYOUT_KERNEL_MIN);
		return -EINVAL;
	}
	/*
	 * init_size counts from where the kernel runs, which is where it was
	 * loaded unless it cannot relocate: such a kernel moves itself to
	 * pref_address first.  Both ranges must be RAM, and the initrd goes
	 * above both.
	 */
	runtime = *load;
	if (!hdr->relocatable_kernel && hdr->pref_address > *load)
		runtime = hdr->pref_address;
	if (__builtin_add_overflow(*load, pm_size, end) ||
	    __builtin_add_overflow(runtime, (uint64_t)hdr->init_size, &run_end) ||
	    *end > gmem_low_end(mem) || run_end > gmem_low_end(mem) ||
	    !gmem_ptr(mem, *load, pm_size)) {
		snprintf(err, errlen,
			 "kernel does not fit in guest low RAM (0x0-0x%" PRIx64
			 "): it loads 0x%" PRIx64 " bytes at 0x%" PRIx64
			 " and needs 0x%x bytes (init_size) at 0x%" PRIx64
			 "; give the domain more memory",
			 gmem_low_end(mem), pm_size, *load, hdr->init_size, runtime);
		return -E2BIG;
	}
	if (run_end > *end)
		*end = run_end;
	return 0;
}

static int linux_load_bzimage(const struct guest_mem *mem, const struct load_params *params,
			      struct boot_setup *boot, char *err, size_t errlen)
{
	const uint8_t *file = params->kernel;
	struct linux_boot_params bp;
	const struct linux_setup_header *hdr = &bp.hdr;
	struct linux_image image;
	uint64_t pm_offset, pm_size, load, initrd_gpa;
	size_t cmdline_len;
	int ret;

	ret = bzimage_read_header(file, params->kernel_size, &bp, err, errlen);
	if (ret)
		return ret;
	ret = bzimage_find_kernel(hdr, params->kernel_size, &pm_offset, &pm_size, err, errlen);
	if (ret)
		return ret;
	ret = bzimage_place(mem, hdr, pm_size, &load, &image.kernel_end, err, errlen);
	if (ret)
		return ret;

	image.cmdline_max = hdr->cmdline_size;
	if (hdr->xloadflags & XLF_CAN_BE_LOADED_ABOVE_4G)
		image.initrd_limit = UINT64_MAX;
	else
		image.initrd_limit =
			(hdr->initrd_addr_max ? hdr->initrd_addr_max : INITRD_ADDR_MAX_DEFAULT) +
			1ull;
	ret = linux_prepare_boot_params(mem, params, &image, &bp, &initrd_gpa, &cmdline_len, err,
					errlen);
	if (ret)
		return ret;

	if (gmem_write(mem, load, file + pm_offset, pm_size) < 0) {
		snprintf(err, errlen, "kernel does not fit in guest RAM at 0x%" PRIx64, load);
		return -EFAULT;
	}
	ret = linux_write_boot_data(mem, params, &bp, initrd_gpa, cmdline_len, err, errlen);
	if (ret)
		return ret;
	boot->mode = BOOT_LINUX64;
	boot->entry = load + KERNEL_64BIT_ENTRY_OFFSET;
	boot->boot_info = LAYOUT_BOOT_PARAMS;
	return 0;
}

static int linux_load_vmlinux(const struct guest_mem *mem, const struct load_params *params,
			      struct boot_setup *boot, char *err, size_t errlen)
{
	struct linux_boot_params bp;
	struct linux_image image;
	struct loader_elf elf;
	uint64_t initrd_gpa;
	size_t cmdline_len;
	int ret;

	ret = loader_elf_parse(params->kernel, params->kernel_size, &elf, err, errlen);
	if (ret)
		return ret;
	/* The 64-bit boot protocol enters e_entry in long mode: only an ELF64 kernel has one. */
	if (elf.elf_class != LOADER_ELFCLASS64) {
		snprintf(err, errlen,
			 "ELF class %u is not supported: kdom loads 64-bit (ELFCLASS64) images",
			 elf.elf_class);
		return -ENOEXEC;
	}
	ret = loader_elf_check_placement(mem, &elf, err, errlen);
	if (ret)
		return ret;
	/* vmlinux's e_entry is phys_startup_64, a physical address. */
	if (!loader_elf_loads(&elf, elf.entry)) {
		snprintf(err, errlen,
			 "vmlinux entry point 0x%" PRIx64 " lies outside the loaded segments",
			 elf.entry);
		return -ENOEXEC;
	}

	/* No setup header in a vmlinux: make up the one a boot loader would have seen. */
	memset(&bp, 0, sizeof(bp));
	bp.hdr.boot_flag = BOOT_FLAG_MAGIC;
	memcpy(&bp.hdr.header, SETUP_HEADER_MAGIC, 4);
	bp.hdr.version = BOOT_PROTOCOL_SYNTH;
	bp.hdr.cmdline_size = LAYOUT_CMDLINE_MAX - 1;
	image.kernel_end = elf.load_end;
	image.initrd_limit = UINT64_MAX; /* a 64-bit kernel takes an initrd anywhere in low RAM */
	image.cmdline_max = LAYOUT_CMDLINE_MAX - 1;
	ret = linux_prepare_boot_params(mem, params, &image, &bp, &initrd_gpa, &cmdline_len, err,
					errlen);
	if (ret)
		return ret;

	ret = loader_elf_copy(mem, &elf, params->ram_pinned, err, errlen);
	if (ret)
		return ret;
	ret = linux_write_boot_data(mem, params, &bp, initrd_gpa, cmdline_len, err, errlen);
	if (ret)
		return ret;
	boot->mode = BOOT_LINUX64;
	boot->entry = elf.entry;
	boot->boot_info = LAYOUT_BOOT_PARAMS;
	return 0;
}

int loader_load_linux(const struct guest_mem *mem, const struct load_params *params,
		      struct boot_setup *boot, char *err, size_t errlen)
{
	if (errlen)
		err[0] = '\0';
	if (!params->kernel || params->kernel_size == 0) {
		snprintf(err, errlen, "kernel image is empty");
		return -ENOEXEC;
	}
	if (loader_is_elf(params->kernel, params->kernel_size))
		return linux_load_vmlinux(mem, params, boot, err, errlen);
	if (loader_is_bzimage(params->kernel, params->kernel_size))
		return linux_load_bzimage(mem, params, boot, err, errlen);
	snprintf(err, errlen,
		 "not a Linux kernel: neither an ELF vmlinux nor a bzImage (no \"HdrS\" magic at "
		 "offset 0x202)");
	return -ENOEXEC;
}

/* Kernel image detection, file reading, and the ELF and memory-map code both protocols share. */
#include "vmm/x86/loader.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kdom/pvh.h"
#include "vmm/log.h"
#include "vmm/x86/layout.h"

#define PAGE_SIZE 4096ull

/* The IOAPIC and LAPIC live in 0xfec00000-0xfeffffff; the map says so. */
#define APIC_AREA_END 0xff000000ull

/* ---- ELF64 layouts (System V gABI), our own definitions ------------------ */

#define ELF_MAGIC "\177ELF"
#define EI_CLASS 4
#define EI_DATA 5
#define EI_VERSION 6
#define ELFCLASS64 2
#define ELFDATA2LSB 1
#define EV_CURRENT 1
#define ET_EXEC 2
#define ET_DYN 3
#define EM_X86_64 62
#define PN_XNUM 0xffff
#define PT_LOAD 1
#define PT_NOTE 4
#define SHT_NOTE 7

struct elf64_ehdr {
	uint8_t e_ident[16];
	uint16_t e_type;
	uint16_t e_machine;
	uint32_t e_version;
	uint64_t e_entry;
	uint64_t e_phoff;
	uint64_t e_shoff;
	uint32_t e_flags;
	uint16_t e_ehsize;
	uint16_t e_phentsize;
	uint16_t e_phnum;
	uint16_t e_shentsize;
	uint16_t e_shnum;
	uint16_t e_shstrndx;
};
static_assert(sizeof(struct elf64_ehdr) == 64, "ELF64 header is 64 bytes");
static_assert(offsetof(struct elf64_ehdr, e_entry) == 24, "e_entry offset");
static_assert(offsetof(struct elf64_ehdr, e_phoff) == 32, "e_phoff offset");
static_assert(offsetof(struct elf64_ehdr, e_shoff) == 40, "e_shoff offset");
static_assert(offsetof(struct elf64_ehdr, e_phentsize) == 54, "e_phentsize offset");
static_assert(offsetof(struct elf64_ehdr, e_shnum) == 60, "e_shnum offset");

struct elf64_phdr {
	uint32_t p_type;
	uint32_t p_flags;
	uint64_t p_offset;
	uint64_t p_vaddr;
	uint64_t p_paddr;
	uint64_t p_filesz;
	uint64_t p_memsz;
	uint64_t p_align;
};
static_assert(sizeof(struct elf64_phdr) == 56, "ELF64 program header is 56 bytes");
static_assert(offsetof(struct elf64_phdr, p_paddr) == 24, "p_paddr offset");
static_assert(offsetof(struct elf64_phdr, p_align) == 48, "p_align offset");

struct elf64_shdr {
	uint32_t sh_name;
	uint32_t sh_type;
	uint64_t sh_flags;
	uint64_t sh_addr;
	uint64_t sh_offset;
	uint64_t sh_size;
	uint32_t sh_link;
	uint32_t sh_info;
	uint64_t sh_addralign;
	uint64_t sh_entsize;
};
static_assert(sizeof(struct elf64_shdr) == 64, "ELF64 section header is 64 bytes");
static_assert(offsetof(struct elf64_shdr, sh_offset) == 24, "sh_offset offset");

struct elf_note {
	uint32_t n_namesz;
	uint32_t n_descsz;
	uint32_t n_type;
};
static_assert(sizeof(struct elf_note) == 12, "ELF note header is 12 bytes");

/* ---- Small helpers ------------------------------------------------------- */

static uint64_t align_down(uint64_t value, uint64_t align)
{
	return value & ~(align - 1);
}

/* Is [offset, offset+len) inside a file of `size` bytes?  Overflow-safe. */
static bool range_in_file(uint64_t offset, uint64_t len, size_t size)
{
	return offset <= size && len <= size - offset;
}

/* "0x0-0x1000000" or "0x0-0xc0000000 and 0x100000000-0x140000000", for messages. */
static void describe_ram(const struct guest_mem *mem, char *buf, size_t len)
{
	uint64_t high_end = gmem_high_end(mem);

	if (high_end)
		snprintf(buf, len, "0x0-0x%" PRIx64 " and 0x%llx-0x%" PRIx64, gmem_low_end(mem),
			 GMEM_4G, high_end);
	else
		snprintf(buf, len, "0x0-0x%" PRIx64, gmem_low_end(mem));
}

/* ---- ELF ----------------------------------------------------------------- */

bool loader_is_elf(const uint8_t *image, size_t size)
{
	return image && size >= 4 && memcmp(image, ELF_MAGIC, 4) == 0;
}

/* Callers have checked that program header i lies in the file. */
static void elf_read_phdr(const struct loader_elf *elf, unsigned int i, struct elf64_phdr *ph)
{
	memcpy(ph, elf->image + elf->phoff + (uint64_t)i * elf->phentsize, sizeof(*ph));
}

/*
 * Walk the notes in [offset, offset+len) of the file (already checked to
 * lie in it) and record a PVH entry note.  Notes are padded to 4 bytes
 * unless their container asks for 8 (GNU property notes do; Linux's Xen
 * notes use 4).
 */
static int elf_scan_notes(struct loader_elf *elf, uint64_t offset, uint64_t len, uint64_t align,
			  const char *container, unsigned int index, char *err, size_t errlen)
{
	const uint8_t *base = elf->image + offset;
	uint64_t pos = 0;

	align = align == 8 ? 8 : 4;
	while (len - pos >= sizeof(struct elf_note)) {
		struct elf_note note;
		uint64_t name_pos, desc_pos, next;

		memcpy(&note, base + pos, sizeof(note));
		name_pos = pos + sizeof(note);
		/* Padding aligns the descriptor's and the next note's offsets, not the sizes. */
		desc_pos = (name_pos + note.n_namesz + align - 1) & ~(align - 1);
		if (desc_pos > len || note.n_descsz > len - desc_pos) {
			snprintf(err, errlen,
				 "ELF note at file offset 0x%" PRIx64 " (name size %u, descriptor "
				 "size %u) runs past the end of its %s %u",
				 offset + pos, note.n_namesz, note.n_descsz, container, index);
			return -ENOEXEC;
		}
		if (note.n_type == XEN_ELFNOTE_PHYS32_ENTRY &&
		    note.n_namesz == sizeof(XEN_ELFNOTE_OWNER) &&
		    memcmp(base + name_pos, XEN_ELFNOTE_OWNER, sizeof(XEN_ELFNOTE_OWNER)) == 0 &&
		    !elf->has_pvh_entry) {
			uint64_t entry;

			if (note.n_descsz == 4) {
				uint32_t entry32;

				memcpy(&entry32, base + desc_pos, 4);
				entry = entry32;
			} else if (note.n_descsz == 8) {
				memcpy(&entry, base + desc_pos, 8);
			} else {
				snprintf(err, errlen,
					 "PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY) has a %u-byte "
					 "descriptor; expected 4 or 8",
					 note.n_descsz);
				return -ENOEXEC;
			}
			if (entry > UINT32_MAX) {
				snprintf(err, errlen,
					 "PVH entry point 0x%" PRIx64 " is above 4 GiB; it must be "
					 "a 32-bit address",
					 entry);
				return -ENOEXEC;
			}
			elf->has_pvh_entry = true;
			elf->pvh_entry = (uint32_t)entry;
		}
		next = (desc_pos + note.n_descsz + align - 1) & ~(align - 1);
		if (next > len)
			break; /* the last note's padding may be cut off */
		pos = next;
	}
	return 0;
}

static int elf_check_program_headers(struct loader_elf *elf, char *err, size_t errlen)
{
	bool have_load = false;

	elf->load_start = UINT64_MAX;
	elf->load_end = 0;
	for (unsigned int i = 0; i < elf->phnum; i++) {
		struct elf64_phdr ph;
		uint64_t end;
		int ret;

		elf_read_phdr(elf, i, &ph);
		if (ph.p_type != PT_LOAD && ph.p_type != PT_NOTE)
			continue;
		if (!range_in_file(ph.p_offset, ph.p_filesz, elf->size)) {
			snprintf(err, errlen,
				 "ELF %s segment %u lies outside the file (offset 0x%" PRIx64
				 ", size 0x%" PRIx64 ", file size 0x%zx)",
				 ph.p_type == PT_LOAD ? "loadable" : "note", i, ph.p_offset,
				 ph.p_filesz, elf->size);
			return -ENOEXEC;
		}
		if (ph.p_type == PT_NOTE) {
			ret = elf_scan_notes(elf, ph.p_offset, ph.p_filesz, ph.p_align, "segment",
					     i, err, errlen);
			if (ret)
				return ret;
			continue;
		}
		if (ph.p_filesz > ph.p_memsz) {
			snprintf(err, errlen,
				 "ELF segment %u has a file size 0x%" PRIx64
				 " larger than its memory size 0x%" PRIx64,
				 i, ph.p_filesz, ph.p_memsz);
			return -ENOEXEC;
		}
		if (__builtin_add_overflow(ph.p_paddr, ph.p_memsz, &end)) {
			snprintf(err, errlen,
				 "ELF segment %u: address 0x%" PRIx64 " plus memory size 0x%" PRIx64
				 " overflows",
				 i, ph.p_paddr, ph.p_memsz);
			return -ENOEXEC;
		}
		if (ph.p_memsz == 0)
			continue;
		have_load = true;
		if (ph.p_paddr < elf->load_start)
			elf->load_start = ph.p_paddr;
		if (end > elf->load_end)
			elf->load_end = end;
	}
	if (!have_load) {
		snprintf(err, errlen, "ELF image has no loadable (PT_LOAD) segment");
		return -ENOEXEC;
	}
	return 0;
}

/* Section notes matter only to images without a PT_NOTE segment for the PVH note. */
static int elf_check_sections(struct loader_elf *elf, const struct elf64_ehdr *eh, char *err,
			      size_t errlen)
{
	uint64_t table_size;

	if (eh->e_shnum == 0)
		return 0;
	if (eh->e_shentsize < sizeof(struct elf64_shdr)) {
		snprintf(err, errlen, "ELF section header size %u is smaller than %zu bytes",
			 eh->e_shentsize, sizeof(struct elf64_shdr));
		return -ENOEXEC;
	}
	table_size = (uint64_t)eh->e_shnum * eh->e_shentsize;
	if (!range_in_file(eh->e_shoff, table_size, elf->size)) {
		snprintf(err, errlen,
			 "ELF section header table lies outside the file (offset 0x%" PRIx64
			 ", %u entries of %u bytes, file size 0x%zx)",
			 eh->e_shoff, eh->e_shnum, eh->e_shentsize, elf->size);
		return -ENOEXEC;
	}
	for (unsigned int i = 0; i < eh->e_shnum && !elf->has_pvh_entry; i++) {
		struct elf64_shdr sh;
		int ret;

		memcpy(&sh, elf->image + eh->e_shoff + (uint64_t)i * eh->e_shentsize, sizeof(sh));
		if (sh.sh_type != SHT_NOTE)
			continue;
		if (!range_in_file(sh.sh_offset, sh.sh_size, elf->size)) {
			snprintf(err, errlen,
				 "ELF note section %u lies outside the file (offset 0x%" PRIx64
				 ", size 0x%" PRIx64 ", file size 0x%zx)",
				 i, sh.sh_offset, sh.sh_size, elf->size);
			return -ENOEXEC;
		}
		ret = elf_scan_notes(elf, sh.sh_offset, sh.sh_size, sh.sh_addralign, "section", i,
				     err, errlen);
		if (ret)
			return ret;
	}
	return 0;
}

int loader_elf_parse(const uint8_t *image, size_t size, struct loader_elf *elf, char *err,
		     size_t errlen)
{
	struct elf64_ehdr eh;

	memset(elf, 0, sizeof(*elf));
	elf->image = image;
	elf->size = size;
	if (!loader_is_elf(image, size)) {
		snprintf(err, errlen, "not an ELF image (bad magic)");
		return -ENOEXEC;
	}
	if (size < sizeof(eh)) {
		snprintf(err, errlen,
			 "ELF image is truncated: %zu bytes, but the ELF64 header needs %zu", size,
			 sizeof(eh));
		return -ENOEXEC;
	}
	memcpy(&eh, image, sizeof(eh));
	if (eh.e_ident[EI_CLASS] != ELFCLASS64) {
		snprintf(err, errlen,
			 "ELF class %u is not supported: kdom loads 64-bit (ELFCLASS64) images",
			 eh.e_ident[EI_CLASS]);
		return -ENOEXEC;
	}
	if (eh.e_ident[EI_DATA] != ELFDATA2LSB) {
		snprintf(err, errlen, "ELF data encoding %u is not little-endian (ELFDATA2LSB)",
			 eh.e_ident[EI_DATA]);
		return -ENOEXEC;
	}
	if (eh.e_ident[EI_VERSION] != EV_CURRENT || eh.e_version != EV_CURRENT) {
		snprintf(err, errlen, "ELF version %u is not 1 (EV_CURRENT)",
			 eh.e_ident[EI_VERSION] != EV_CURRENT ? eh.e_ident[EI_VERSION]
							      : eh.e_version);
		return -ENOEXEC;
	}
	if (eh.e_machine != EM_X86_64) {
		snprintf(err, errlen, "ELF machine %u is not x86-64 (EM_X86_64, 62)", eh.e_machine);
		return -ENOEXEC;
	}
	if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN) {
		snprintf(err, errlen, "ELF type %u is not an executable (ET_EXEC or ET_DYN)",
			 eh.e_type);
		return -ENOEXEC;
	}
	if (eh.e_phnum == 0) {
		snprintf(err, errlen, "ELF image has no program headers");
		return -ENOEXEC;
	}
	if (eh.e_phnum == PN_XNUM) {
		snprintf(err, errlen,
			 "ELF image uses extended program header numbering (PN_XNUM), which kdom "
			 "does not support");
		return -ENOEXEC;
	}
	if (eh.e_phentsize < sizeof(struct elf64_phdr)) {
		snprintf(err, errlen, "ELF program header size %u is smaller than %zu bytes",
			 eh.e_phentsize, sizeof(struct elf64_phdr));
		return -ENOEXEC;
	}
	for (unsigned int i = 0; i < eh.e_phnum; i++) {
		uint64_t offset;

		if (__builtin_mul_overflow((uint64_t)i, eh.e_phentsize, &offset) ||
		    __builtin_add_overflow(offset, eh.e_phoff, &offset) ||
		    !range_in_file(offset, sizeof(struct elf64_phdr), size)) {
			snprintf(err, errlen,
				 "ELF program header %u lies outside the file (table offset "
				 "0x%" PRIx64 ", %u entries of %u bytes, file size 0x%zx)",
				 i, eh.e_phoff, eh.e_phnum, eh.e_phentsize, size);
			return -ENOEXEC;
		}
	}
	elf->entry = eh.e_entry;
	elf->phoff = eh.e_phoff;
	elf->phnum = eh.e_phnum;
	elf->phentsize = eh.e_phentsize;

	int ret = elf_check_program_headers(elf, err, errlen);
	if (ret)
		return ret;
	return elf_check_sections(elf, &eh, err, errlen);
}

int loader_elf_check_placement(const struct guest_mem *mem, const struct loader_elf *elf, char *err,
			       size_t errlen)
{
	for (unsigned int i = 0; i < elf->phnum; i++) {
		struct elf64_phdr ph;
		char ram[96];

		elf_read_phdr(elf, i, &ph);
		if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
			continue;
		/* Low memory holds kdom's boot structures and the legacy BIOS area. */
		if (ph.p_paddr < LAYOUT_KERNEL_MIN) {
			snprintf(err, errlen,
				 "ELF segment %u at 0x%" PRIx64 " lies below 1 MiB (0x%x), where "
				 "kdom keeps its boot structures",
				 i, ph.p_paddr, LAYOUT_KERNEL_MIN);
			return -EINVAL;
		}
		if (!gmem_ptr(mem, ph.p_paddr, ph.p_memsz)) {
			describe_ram(mem, ram, sizeof(ram));
			snprintf(err, errlen,
				 "ELF segment %u (0x%" PRIx64 "-0x%" PRIx64
				 ") is not in guest RAM (%s)",
				 i, ph.p_paddr, ph.p_paddr + ph.p_memsz, ram);
			return -EINVAL;
		}
	}
	return 0;
}

bool loader_elf_loads(const struct loader_elf *elf, uint64_t gpa)
{
	for (unsigned int i = 0; i < elf->phnum; i++) {
		struct elf64_phdr ph;

		elf_read_phdr(elf, i, &ph);
		if (ph.p_type == PT_LOAD && gpa >= ph.p_paddr && gpa - ph.p_paddr < ph.p_memsz)
			return true;
	}
	return false;
}

int loader_elf_copy(const struct guest_mem *mem, const struct loader_elf *elf, char *err,
		    size_t errlen)
{
	for (unsigned int i = 0; i < elf->phnum; i++) {
		struct elf64_phdr ph;
		uint8_t *dst;

		elf_read_phdr(elf, i, &ph);
		if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
			continue;
		dst = gmem_ptr(mem, ph.p_paddr, ph.p_memsz);
		if (!dst) {
			snprintf(err, errlen,
				 "ELF segment %u does not fit in guest RAM at 0x%" PRIx64, i,
				 ph.p_paddr);
			return -EFAULT;
		}
		memcpy(dst, elf->image + ph.p_offset, ph.p_filesz);
		/* The bss: guest RAM need not be zero (a reboot reuses it). */
		memset(dst + ph.p_filesz, 0, ph.p_memsz - ph.p_filesz);
	}
	return 0;
}

/* ---- Command line, initrd, memory map ------------------------------------ */

int loader_check_cmdline(const char *cmdline, uint64_t max_len, size_t *len, char *err,
			 size_t errlen)
{
	size_t n = cmdline ? strlen(cmdline) : 0;

	*len = n;
	if (n > LAYOUT_CMDLINE_MAX - 1) {
		snprintf(err, errlen, "command line is %zu bytes long; kdom's limit is %llu", n,
			 LAYOUT_CMDLINE_MAX - 1);
		return -E2BIG;
	}
	if (n > max_len) {
		snprintf(err, errlen,
			 "command line is %zu bytes long; the kernel accepts at most %" PRIu64
			 " (its cmdline_size)",
			 n, max_len);
		return -E2BIG;
	}
	return 0;
}

int loader_place_initrd(const struct guest_mem *mem, const struct load_params *params,
			uint64_t floor, uint64_t limit, uint64_t *gpa, char *err, size_t errlen)
{
	uint64_t top = gmem_low_end(mem), base, addr;

	*gpa = 0;
	if (params->initrd_size == 0)
		return 0;
	if (!params->initrd) {
		snprintf(err, errlen, "initrd size %zu given without initrd data",
			 params->initrd_size);
		return -EINVAL;
	}
	if (limit < top)
		top = limit;
	if (floor > UINT64_MAX - (PAGE_SIZE - 1))
		base = UINT64_MAX;
	else
		base = align_down(floor + PAGE_SIZE - 1, PAGE_SIZE);
	if (base < LAYOUT_KERNEL_MIN)
		base = LAYOUT_KERNEL_MIN;
	if (params->initrd_size > top || align_down(top - params->initrd_size, PAGE_SIZE) < base) {
		snprintf(err, errlen,
			 "initrd of %zu bytes (0x%zx) does not fit in guest RAM between the end of "
			 "the kernel (0x%" PRIx64 ") and 0x%" PRIx64,
			 params->initrd_size, params->initrd_size, base, top);
		return -E2BIG;
	}
	addr = align_down(top - params->initrd_size, PAGE_SIZE);
	if (!gmem_ptr(mem, addr, params->initrd_size)) {
		snprintf(err, errlen, "initrd at 0x%" PRIx64 " is not in guest RAM", addr);
		return -E2BIG;
	}
	*gpa = addr;
	return 0;
}

static int memmap_add(struct loader_mem_range *map, size_t max, size_t *count, uint64_t addr,
		      uint64_t end, uint32_t type)
{
	if (*count >= max)
		return -ENOSPC;
	map[*count] = (struct loader_mem_range){ .addr = addr, .size = end - addr, .type = type };
	(*count)++;
	return 0;
}

int loader_build_memmap(const struct guest_mem *mem, struct loader_mem_range *map, size_t max,
			char *err, size_t errlen)
{
	uint64_t low_end = gmem_low_end(mem), high_end = gmem_high_end(mem);
	size_t count = 0;
	int ret;

	if (low_end < LAYOUT_KERNEL_MIN) {
		snprintf(err, errlen,
			 "guest RAM is too small: low RAM ends at 0x%" PRIx64 ", below 1 MiB",
			 low_end);
		return -EINVAL;
	}
	ret = memmap_add(map, max, &count, 0, LAYOUT_EBDA, LOADER_MEM_RAM);
	if (!ret)
		ret = memmap_add(map, max, &count, LAYOUT_EBDA, LAYOUT_KERNEL_MIN,
				 LOADER_MEM_RESERVED);
	if (!ret && low_end > LAYOUT_KERNEL_MIN)
		ret = memmap_add(map, max, &count, LAYOUT_KERNEL_MIN, low_end, LOADER_MEM_RAM);
	if (!ret)
		ret = memmap_add(map, max, &count, KDOM_GPA_IOAPIC, APIC_AREA_END,
				 LOADER_MEM_RESERVED);
	if (!ret && high_end)
		ret = memmap_add(map, max, &count, GMEM_4G, high_end, LOADER_MEM_RAM);
	if (ret) {
		snprintf(err, errlen, "the guest memory map needs more than %zu entries", max);
		return ret;
	}
	return (int)count;
}

/* ---- Entry points -------------------------------------------------------- */

int loader_load(const struct guest_mem *mem, const struct load_params *params,
		struct boot_setup *boot, char *err, size_t errlen)
{
	const char *kind;
	int ret;

	if (errlen)
		err[0] = '\0';
	if (!params->kernel || params->kernel_size == 0) {
		snprintf(err, errlen, "kernel image is empty");
		return -ENOEXEC;
	}
	if (loader_is_elf(params->kernel, params->kernel_size)) {
		struct loader_elf elf;

		ret = loader_elf_parse(params->kernel, params->kernel_size, &elf, err, errlen);
		if (ret)
			return ret;
		if (elf.has_pvh_entry) {
			kind = "PVH ELF";
			ret = loader_load_pvh(mem, params, boot, err, errlen);
		} else {
			kind = "Linux vmlinux";
			ret = loader_load_linux(mem, params, boot, err, errlen);
		}
	} else if (loader_is_bzimage(params->kernel, params->kernel_size)) {
		kind = "Linux bzImage";
		ret = loader_load_linux(mem, params, boot, err, errlen);
	} else {
		snprintf(err, errlen,
			 "unrecognised kernel image: neither an ELF file nor a Linux bzImage (no "
			 "\"HdrS\" magic at offset 0x202)");
		return -ENOEXEC;
	}
	if (ret == 0)
		log_debug("loaded %s kernel: entry 0x%" PRIx64 ", boot info at 0x%" PRIx64, kind,
			  boot->entry, boot->boot_info);
	return ret;
}

int loader_read_file(const char *path, size_t max, uint8_t **data, size_t *size, char *err,
		     size_t errlen)
{
	struct stat st;
	uint8_t *buf = NULL;
	size_t len, done = 0;
	int fd, ret;

	*data = NULL;
	*size = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(-ret));
		return ret;
	}
	if (fstat(fd, &st) < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot stat %s: %s", path, strerror(-ret));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s is not a regular file", path);
		ret = -EINVAL;
		goto out;
	}
	if ((uint64_t)st.st_size > max) {
		snprintf(err, errlen, "%s is too large (%lld bytes; the limit is %zu)", path,
			 (long long)st.st_size, max);
		ret = -EFBIG;
		goto out;
	}
	len = (size_t)st.st_size;
	buf = malloc(len ? len : 1);
	if (!buf) {
		snprintf(err, errlen, "cannot allocate %zu bytes for %s", len, path);
		ret = -ENOMEM;
		goto out;
	}
	while (done < len) {
		ssize_t n = read(fd, buf + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			snprintf(err, errlen, "cannot read %s: %s", path, strerror(-ret));
			goto out;
		}
		if (n == 0) {
			snprintf(err, errlen, "%s shrank while being read (%zu of %zu bytes)", path,
				 done, len);
			ret = -EIO;
			goto out;
		}
		done += (size_t)n;
	}
	*data = buf;
	*size = len;
	buf = NULL;
	ret = 0;
out:
	free(buf);
	close(fd);
	return ret;
}

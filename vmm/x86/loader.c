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

/* ---- ELF layouts (System V gABI), our own definitions -------------------- */

#define ELF_MAGIC "\177ELF"
#define EI_NIDENT 16
#define EI_CLASS 4
#define EI_DATA 5
#define EI_VERSION 6
#define ELFDATA2LSB 1
#define EV_CURRENT 1
#define ET_EXEC 2
#define ET_DYN 3
#define EM_386 3
#define EM_X86_64 62
#define PN_XNUM 0xffff
#define PT_LOAD 1
#define PT_NOTE 4
#define SHT_NOTE 7

struct elf64_ehdr {
	uint8_t e_ident[EI_NIDENT];
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

struct elf32_ehdr {
	uint8_t e_ident[EI_NIDENT];
	uint16_t e_type;
	uint16_t e_machine;
	uint32_t e_version;
	uint32_t e_entry;
	uint32_t e_phoff;
	uint32_t e_shoff;
	uint32_t e_flags;
	uint16_t e_ehsize;
	uint16_t e_phentsize;
	uint16_t e_phnum;
	uint16_t e_shentsize;
	uint16_t e_shnum;
	uint16_t e_shstrndx;
};
static_assert(sizeof(struct elf32_ehdr) == 52, "ELF32 header is 52 bytes");
static_assert(offsetof(struct elf32_ehdr, e_entry) == 24, "e_entry offset");
static_assert(offsetof(struct elf32_ehdr, e_phoff) == 28, "e_phoff offset");
static_assert(offsetof(struct elf32_ehdr, e_shoff) == 32, "e_shoff offset");
static_assert(offsetof(struct elf32_ehdr, e_phentsize) == 42, "e_phentsize offset");
static_assert(offsetof(struct elf32_ehdr, e_shnum) == 48, "e_shnum offset");

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

/* p_flags moves behind the sizes in ELF32. */
struct elf32_phdr {
	uint32_t p_type;
	uint32_t p_offset;
	uint32_t p_vaddr;
	uint32_t p_paddr;
	uint32_t p_filesz;
	uint32_t p_memsz;
	uint32_t p_flags;
	uint32_t p_align;
};
static_assert(sizeof(struct elf32_phdr) == 32, "ELF32 program header is 32 bytes");
static_assert(offsetof(struct elf32_phdr, p_paddr) == 12, "p_paddr offset");
static_assert(offsetof(struct elf32_phdr, p_align) == 28, "p_align offset");

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

struct elf32_shdr {
	uint32_t sh_name;
	uint32_t sh_type;
	uint32_t sh_flags;
	uint32_t sh_addr;
	uint32_t sh_offset;
	uint32_t sh_size;
	uint32_t sh_link;
	uint32_t sh_info;
	uint32_t sh_addralign;
	uint32_t sh_entsize;
};
static_assert(sizeof(struct elf32_shdr) == 40, "ELF32 section header is 40 bytes");
static_assert(offsetof(struct elf32_shdr, sh_offset) == 16, "sh_offset offset");

struct elf_note {
	uint32_t n_namesz;
	uint32_t n_descsz;
	uint32_t n_type;
};
static_assert(sizeof(struct elf_note) == 12, "ELF note header is 12 bytes");

/*
 * Either class read into one form, so that every check below is written
 * once: the file header, a program header and a section header, widened.
 */
struct elf_header {
	unsigned int elf_class; /* LOADER_ELFCLASS32 or LOADER_ELFCLASS64 */
	uint8_t ident_data, ident_version;
	uint16_t type, machine;
	uint32_t version;
	uint64_t entry, phoff, shoff;
	unsigned int phentsize, phnum, shentsize, shnum;
};

struct elf_segment {
	uint32_t type;
	uint64_t offset, paddr, filesz, memsz, align;
};

struct elf_section {
	uint32_t type;
	uint64_t offset, size, addralign;
};

/* What else differs between the classes. */
struct elf_class_info {
	const char *name; /* "ELF64", for messages */
	unsigned int bits;
	size_t ehdr_size, phdr_size, shdr_size;
	uint64_t addr_end; /* segments end at or below this address */
};

static const struct elf_class_info elf_classes[] = {
	[LOADER_ELFCLASS32] = { "ELF32", 32, sizeof(struct elf32_ehdr), sizeof(struct elf32_phdr),
				sizeof(struct elf32_shdr), 1ull << 32 },
	[LOADER_ELFCLASS64] = { "ELF64", 64, sizeof(struct elf64_ehdr), sizeof(struct elf64_phdr),
				sizeof(struct elf64_shdr), UINT64_MAX },
};

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

/* ---- ELF: reading either class ------------------------------------------- */

bool loader_is_elf(const uint8_t *image, size_t size)
{
	return image && size >= 4 && memcmp(image, ELF_MAGIC, 4) == 0;
}

static const struct elf_class_info *class_info(unsigned int elf_class)
{
	return &elf_classes[elf_class];
}

/*
 * The two classes name their fields alike and differ in widths and order:
 * one list of designated initializers widens either.
 */
#define ELF_HEADER_FIELDS(raw)                                                                  \
	.type = (raw).e_type, .machine = (raw).e_machine, .version = (raw).e_version,           \
	.entry = (raw).e_entry, .phoff = (raw).e_phoff, .shoff = (raw).e_shoff,                 \
	.phentsize = (raw).e_phentsize, .phnum = (raw).e_phnum, .shentsize = (raw).e_shentsize, \
	.shnum = (raw).e_shnum
#define ELF_SEGMENT_FIELDS(raw)                                                 \
	.type = (raw).p_type, .offset = (raw).p_offset, .paddr = (raw).p_paddr, \
	.filesz = (raw).p_filesz, .memsz = (raw).p_memsz, .align = (raw).p_align
#define ELF_SECTION_FIELDS(raw)                                                  \
	.type = (raw).sh_type, .offset = (raw).sh_offset, .size = (raw).sh_size, \
	.addralign = (raw).sh_addralign

/* The magic, the class and a whole file header of that class; *eh gets it widened. */
static int elf_read_header(const uint8_t *image, size_t size, struct elf_header *eh, char *err,
			   size_t errlen)
{
	const struct elf_class_info *cls;

	memset(eh, 0, sizeof(*eh));
	if (!loader_is_elf(image, size)) {
		snprintf(err, errlen, "not an ELF image (bad magic)");
		return -ENOEXEC;
	}
	if (size < EI_NIDENT) {
		snprintf(err, errlen,
			 "ELF image is truncated: %zu bytes, but the ELF identification needs %d",
			 size, EI_NIDENT);
		return -ENOEXEC;
	}
	eh->elf_class = image[EI_CLASS];
	if (eh->elf_class != LOADER_ELFCLASS32 && eh->elf_class != LOADER_ELFCLASS64) {
		snprintf(err, errlen,
			 "ELF class %u is not supported: kdom loads 32-bit (ELFCLASS32) and 64-bit "
			 "(ELFCLASS64) images",
			 eh->elf_class);
		return -ENOEXEC;
	}
	cls = class_info(eh->elf_class);
	if (size < cls->ehdr_size) {
		snprintf(err, errlen,
			 "ELF image is truncated: %zu bytes, but the %s header needs %zu", size,
			 cls->name, cls->ehdr_size);
		return -ENOEXEC;
	}
	if (eh->elf_class == LOADER_ELFCLASS32) {
		struct elf32_ehdr raw;

		memcpy(&raw, image, sizeof(raw));
		*eh = (struct elf_header){ .elf_class = LOADER_ELFCLASS32, ELF_HEADER_FIELDS(raw) };
	} else {
		struct elf64_ehdr raw;

		memcpy(&raw, image, sizeof(raw));
		*eh = (struct elf_header){ .elf_class = LOADER_ELFCLASS64, ELF_HEADER_FIELDS(raw) };
	}
	eh->ident_data = image[EI_DATA];
	eh->ident_version = image[EI_VERSION];
	return 0;
}

/* Callers have checked that program header i lies in the file. */
static void elf_read_phdr(const struct loader_elf *elf, unsigned int i, struct elf_segment *seg)
{
	const uint8_t *p = elf->image + elf->phoff + (uint64_t)i * elf->phentsize;

	if (elf->elf_class == LOADER_ELFCLASS32) {
		struct elf32_phdr ph;

		memcpy(&ph, p, sizeof(ph));
		*seg = (struct elf_segment){ ELF_SEGMENT_FIELDS(ph) };
	} else {
		struct elf64_phdr ph;

		memcpy(&ph, p, sizeof(ph));
		*seg = (struct elf_segment){ ELF_SEGMENT_FIELDS(ph) };
	}
}

/* Callers have checked that section header i lies in the file. */
static void elf_read_shdr(const struct loader_elf *elf, const struct elf_header *eh, unsigned int i,
			  struct elf_section *sec)
{
	const uint8_t *p = elf->image + eh->shoff + (uint64_t)i * eh->shentsize;

	if (elf->elf_class == LOADER_ELFCLASS32) {
		struct elf32_shdr sh;

		memcpy(&sh, p, sizeof(sh));
		*sec = (struct elf_section){ ELF_SECTION_FIELDS(sh) };
	} else {
		struct elf64_shdr sh;

		memcpy(&sh, p, sizeof(sh));
		*sec = (struct elf_section){ ELF_SECTION_FIELDS(sh) };
	}
}

/* ---- ELF: checks, written once for both classes --------------------------- */

/* ELF64 must be x86-64; ELF32 may be i386 or x86-64 code in a 32-bit container. */
static int elf_check_machine(const struct elf_header *eh, char *err, size_t errlen)
{
	if (eh->elf_class == LOADER_ELFCLASS64 && eh->machine != EM_X86_64) {
		snprintf(err, errlen, "ELF machine %u is not x86-64 (EM_X86_64, 62)", eh->machine);
		return -ENOEXEC;
	}
	if (eh->elf_class == LOADER_ELFCLASS32 && eh->machine != EM_386 &&
	    eh->machine != EM_X86_64) {
		snprintf(err, errlen,
			 "ELF machine %u is neither i386 (EM_386, 3) nor x86-64 (EM_X86_64, 62)",
			 eh->machine);
		return -ENOEXEC;
	}
	return 0;
}

static int elf_check_header(const struct elf_header *eh, char *err, size_t errlen)
{
	size_t phdr_size = class_info(eh->elf_class)->phdr_size;

	if (eh->ident_data != ELFDATA2LSB) {
		snprintf(err, errlen, "ELF data encoding %u is not little-endian (ELFDATA2LSB)",
			 eh->ident_data);
		return -ENOEXEC;
	}
	if (eh->ident_version != EV_CURRENT || eh->version != EV_CURRENT) {
		snprintf(err, errlen, "ELF version %u is not 1 (EV_CURRENT)",
			 eh->ident_version != EV_CURRENT ? eh->ident_version : eh->version);
		return -ENOEXEC;
	}
	if (elf_check_machine(eh, err, errlen))
		return -ENOEXEC;
	if (eh->type != ET_EXEC && eh->type != ET_DYN) {
		snprintf(err, errlen, "ELF type %u is not an executable (ET_EXEC or ET_DYN)",
			 eh->type);
		return -ENOEXEC;
	}
	if (eh->phnum == 0) {
		snprintf(err, errlen, "ELF image has no program headers");
		return -ENOEXEC;
	}
	if (eh->phnum == PN_XNUM) {
		snprintf(err, errlen,
			 "ELF image uses extended program header numbering (PN_XNUM), which kdom "
			 "does not support");
		return -ENOEXEC;
	}
	if (eh->phentsize < phdr_size) {
		snprintf(err, errlen, "ELF program header size %u is smaller than %zu bytes",
			 eh->phentsize, phdr_size);
		return -ENOEXEC;
	}
	return 0;
}

/* Every program header lies in the file; the first that does not is named. */
static int elf_check_phdr_table(const struct elf_header *eh, size_t size, char *err, size_t errlen)
{
	size_t phdr_size = class_info(eh->elf_class)->phdr_size;

	for (unsigned int i = 0; i < eh->phnum; i++) {
		uint64_t offset;

		if (__builtin_mul_overflow((uint64_t)i, eh->phentsize, &offset) ||
		    __builtin_add_overflow(offset, eh->phoff, &offset) ||
		    !range_in_file(offset, phdr_size, size)) {
			snprintf(err, errlen,
				 "ELF program header %u lies outside the file (table offset "
				 "0x%" PRIx64 ", %u entries of %u bytes, file size 0x%zx)",
				 i, eh->phoff, eh->phnum, eh->phentsize, size);
			return -ENOEXEC;
		}
	}
	return 0;
}

/* The PVH entry note's descriptor: a 4- or 8-byte address that must fit in 32 bits. */
static int elf_read_pvh_entry(struct loader_elf *elf, const uint8_t *desc, uint32_t descsz,
			      char *err, size_t errlen)
{
	uint64_t entry;

	if (descsz == 4) {
		uint32_t entry32;

		memcpy(&entry32, desc, 4);
		entry = entry32;
	} else if (descsz == 8) {
		memcpy(&entry, desc, 8);
	} else {
		snprintf(err, errlen,
			 "PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY) has a %u-byte descriptor; "
			 "expected 4 or 8",
			 descsz);
		return -ENOEXEC;
	}
	if (entry > UINT32_MAX) {
		snprintf(err, errlen,
			 "PVH entry point 0x%" PRIx64
			 " is above 4 GiB; it must be a 32-bit address",
			 entry);
		return -ENOEXEC;
	}
	elf->has_pvh_entry = true;
	elf->pvh_entry = (uint32_t)entry;
	return 0;
}

static bool elf_note_is_pvh_entry(const struct elf_note *note, const uint8_t *name)
{
	return note->n_type == XEN_ELFNOTE_PHYS32_ENTRY &&
	       note->n_namesz == sizeof(XEN_ELFNOTE_OWNER) &&
	       memcmp(name, XEN_ELFNOTE_OWNER, sizeof(XEN_ELFNOTE_OWNER)) == 0;
}

/*
 * Walk the notes in [offset, offset+len) of the file (already checked to
 * lie in it) and record the first PVH entry note.  Notes are padded to 4
 * bytes unless their container asks for 8 (GNU property notes do; Linux's
 * Xen notes use 4).
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
		int ret;

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
		if (note.n_namesz == sizeof("Linux") &&
		    memcmp(base + name_pos, "Linux", sizeof("Linux")) == 0)
			elf->is_linux = true;
		if (!elf->has_pvh_entry && elf_note_is_pvh_entry(&note, base + name_pos)) {
			ret = elf_read_pvh_entry(elf, base + desc_pos, note.n_descsz, err, errlen);
			if (ret)
				return ret;
		}
		next = (desc_pos + note.n_descsz + align - 1) & ~(align - 1);
		if (next > len)
			break; /* the last note's padding may be cut off */
		pos = next;
	}
	return 0;
}

/* A PT_LOAD segment: its file bytes fit its memory image, which fits the class's addresses. */
static int elf_check_load_segment(const struct loader_elf *elf, unsigned int i,
				  const struct elf_segment *seg, char *err, size_t errlen)
{
	const struct elf_class_info *cls = class_info(elf->elf_class);
	uint64_t end;

	if (seg->filesz > seg->memsz) {
		snprintf(err, errlen,
			 "ELF segment %u has a file size 0x%" PRIx64
			 " larger than its memory size 0x%" PRIx64,
			 i, seg->filesz, seg->memsz);
		return -ENOEXEC;
	}
	if (__builtin_add_overflow(seg->paddr, seg->memsz, &end) || end > cls->addr_end) {
		snprintf(err, errlen,
			 "ELF segment %u: address 0x%" PRIx64 " plus memory size 0x%" PRIx64
			 " overflows %u bits",
			 i, seg->paddr, seg->memsz, cls->bits);
		return -ENOEXEC;
	}
	return 0;
}

static int elf_check_program_headers(struct loader_elf *elf, char *err, size_t errlen)
{
	bool have_load = false;

	elf->load_start = UINT64_MAX;
	elf->load_end = 0;
	for (unsigned int i = 0; i < elf->phnum; i++) {
		struct elf_segment seg;
		int ret;

		elf_read_phdr(elf, i, &seg);
		if (seg.type != PT_LOAD && seg.type != PT_NOTE)
			continue;
		if (!range_in_file(seg.offset, seg.filesz, elf->size)) {
			snprintf(err, errlen,
				 "ELF %s segment %u lies outside the file (offset 0x%" PRIx64
				 ", size 0x%" PRIx64 ", file size 0x%zx)",
				 seg.type == PT_LOAD ? "loadable" : "note", i, seg.offset,
				 seg.filesz, elf->size);
			return -ENOEXEC;
		}
		if (seg.type == PT_NOTE)
			ret = elf_scan_notes(elf, seg.offset, seg.filesz, seg.align, "segment", i,
					     err, errlen);
		else
			ret = elf_check_load_segment(elf, i, &seg, err, errlen);
		if (ret)
			return ret;
		if (seg.type != PT_LOAD || seg.memsz == 0)
			continue;
		have_load = true;
		if (seg.paddr < elf->load_start)
			elf->load_start = seg.paddr;
		if (seg.paddr + seg.memsz > elf->load_end)
			elf->load_end = seg.paddr + seg.memsz;
	}
	if (!have_load) {
		snprintf(err, errlen, "ELF image has no loadable (PT_LOAD) segment");
		return -ENOEXEC;
	}
	return 0;
}

/* Section notes matter only to images without a PT_NOTE segment for the PVH note. */
static int elf_check_sections(struct loader_elf *elf, const struct elf_header *eh, char *err,
			      size_t errlen)
{
	size_t shdr_size = class_info(eh->elf_class)->shdr_size;
	uint64_t table_size;

	if (eh->shnum == 0)
		return 0;
	if (eh->shentsize < shdr_size) {
		snprintf(err, errlen, "ELF section header size %u is smaller than %zu bytes",
			 eh->shentsize, shdr_size);
		return -ENOEXEC;
	}
	table_size = (uint64_t)eh->shnum * eh->shentsize;
	if (!range_in_file(eh->shoff, table_size, elf->size)) {
		snprintf(err, errlen,
			 "ELF section header table lies outside the file (offset 0x%" PRIx64
			 ", %u entries of %u bytes, file size 0x%zx)",
			 eh->shoff, eh->shnum, eh->shentsize, elf->size);
		return -ENOEXEC;
	}
	for (unsigned int i = 0; i < eh->shnum && !elf->has_pvh_entry; i++) {
		struct elf_section sec;
		int ret;

		elf_read_shdr(elf, eh, i, &sec);
		if (sec.type != SHT_NOTE)
			continue;
		if (!range_in_file(sec.offset, sec.size, elf->size)) {
			snprintf(err, errlen,
				 "ELF note section %u lies outside the file (offset 0x%" PRIx64
				 ", size 0x%" PRIx64 ", file size 0x%zx)",
				 i, sec.offset, sec.size, elf->size);
			return -ENOEXEC;
		}
		ret = elf_scan_notes(elf, sec.offset, sec.size, sec.addralign, "section", i, err,
				     errlen);
		if (ret)
			return ret;
	}
	return 0;
}

int loader_elf_parse(const uint8_t *image, size_t size, struct loader_elf *elf, char *err,
		     size_t errlen)
{
	struct elf_header eh;
	int ret;

	memset(elf, 0, sizeof(*elf));
	elf->image = image;
	elf->size = size;
	ret = elf_read_header(image, size, &eh, err, errlen);
	if (!ret)
		ret = elf_check_header(&eh, err, errlen);
	if (!ret)
		ret = elf_check_phdr_table(&eh, size, err, errlen);
	if (ret)
		return ret;
	elf->elf_class = eh.elf_class;
	elf->machine = eh.machine;
	elf->entry = eh.entry;
	elf->phoff = eh.phoff;
	elf->phnum = eh.phnum;
	elf->phentsize = eh.phentsize;
	ret = elf_check_program_headers(elf, err, errlen);
	if (ret)
		return ret;
	return elf_check_sections(elf, &eh, err, errlen);
}

/* ---- ELF: placing and copying the loadable segments ----------------------- */

int loader_elf_check_placement(const struct guest_mem *mem, const struct loader_elf *elf, char *err,
			       size_t errlen)
{
	for (unsigned int i = 0; i < elf->phnum; i++) {
		struct elf_segment seg;
		char ram[96];

		elf_read_phdr(elf, i, &seg);
		if (seg.type != PT_LOAD || seg.memsz == 0)
			continue;
		/* Low memory holds kdom's boot structures and the legacy BIOS area. */
		if (seg.paddr < LAYOUT_KERNEL_MIN) {
			snprintf(err, errlen,
				 "ELF segment %u at 0x%" PRIx64 " lies below 1 MiB (0x%x), where "
				 "kdom keeps its boot structures",
				 i, seg.paddr, LAYOUT_KERNEL_MIN);
			return -EINVAL;
		}
		if (!gmem_ptr(mem, seg.paddr, seg.memsz)) {
			describe_ram(mem, ram, sizeof(ram));
			snprintf(err, errlen,
				 "ELF segment %u (0x%" PRIx64 "-0x%" PRIx64
				 ") is not in guest RAM (%s)",
				 i, seg.paddr, seg.paddr + seg.memsz, ram);
			return -EINVAL;
		}
	}
	return 0;
}

bool loader_elf_loads(const struct loader_elf *elf, uint64_t gpa)
{
	for (unsigned int i = 0; i < elf->phnum; i++) {
		struct elf_segment seg;

		elf_read_phdr(elf, i, &seg);
		if (seg.type == PT_LOAD && gpa >= seg.paddr && gpa - seg.paddr < seg.memsz)
			return true;
	}
	return false;
}

/*
 * The bss: guest RAM need not be zero (a reboot reuses it).  Whole pages are
 * given back to the host rather than written (they read as zeros and cost
 * nothing until the guest touches them); the partial pages at the ends are
 * cleared; with RAM pinned for DMA every byte is written instead.
 * [gpa, gpa+len) is RAM, checked by the caller.
 */
static void elf_zero_bss(const struct guest_mem *mem, uint64_t gpa, uint64_t len, bool ram_pinned)
{
	uint64_t first = (gpa + GMEM_PAGE_SIZE - 1) & ~(GMEM_PAGE_SIZE - 1);
	uint64_t end = gpa + len, last = end & ~(GMEM_PAGE_SIZE - 1);

	if (len == 0)
		return;
	/* Pinned for DMA: a punched page would leave the device writing to the old one. */
	if (ram_pinned || first >= last || gmem_release(mem, first, last - first)) {
		memset(gmem_ptr(mem, gpa, len), 0, len);
		return;
	}
	if (first > gpa)
		memset(gmem_ptr(mem, gpa, first - gpa), 0, first - gpa);
	if (end > last)
		memset(gmem_ptr(mem, last, end - last), 0, end - last);
}

int loader_elf_copy(const struct guest_mem *mem, const struct loader_elf *elf, bool ram_pinned,
		    char *err, size_t errlen)
{
	for (unsigned int i = 0; i < elf->phnum; i++) {
		struct elf_segment seg;
		uint8_t *dst;

		elf_read_phdr(elf, i, &seg);
		if (seg.type != PT_LOAD || seg.memsz == 0)
			continue;
		dst = gmem_ptr(mem, seg.paddr, seg.memsz);
		if (!dst) {
			snprintf(err, errlen,
				 "ELF segment %u does not fit in guest RAM at 0x%" PRIx64, i,
				 seg.paddr);
			return -EFAULT;
		}
		memcpy(dst, elf->image + seg.offset, seg.filesz);
		elf_zero_bss(mem, seg.paddr + seg.filesz, seg.memsz - seg.filesz, ram_pinned);
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
		boot->linux_image = elf.is_linux || !elf.has_pvh_entry;
	} else if (loader_is_bzimage(params->kernel, params->kernel_size)) {
		kind = "Linux bzImage";
		ret = loader_load_linux(mem, params, boot, err, errlen);
		boot->linux_image = true;
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

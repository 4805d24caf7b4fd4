/* Unit tests for the kernel loaders: PVH ELF, vmlinux, bzImage, and reading image files. */
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tests/unit/unit.h"
#include "vmm/guest-mem.h"
#include "vmm/x86/layout.h"
#include "vmm/x86/loader.h"

#define MiB (1024ull * 1024)
#define PAGE 4096ull
#define GUARD_SIZE 4096
#define GUARD_BYTE 0x5a

typedef int (*load_fn)(const struct guest_mem *, const struct load_params *, struct boot_setup *,
		       char *, size_t);

/*
 * The layouts below are written from the specifications, independently of
 * the loader's own definitions, so that a wrong offset on either side shows.
 */
struct t_ehdr {
	uint8_t ident[16];
	uint16_t type, machine;
	uint32_t version;
	uint64_t entry, phoff, shoff;
	uint32_t flags;
	uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};
static_assert(sizeof(struct t_ehdr) == 64, "ELF64 header");

struct t_phdr {
	uint32_t type, flags;
	uint64_t offset, vaddr, paddr, filesz, memsz, align;
};
static_assert(sizeof(struct t_phdr) == 56, "ELF64 program header");

struct t_shdr {
	uint32_t name, type;
	uint64_t flags, addr, offset, size;
	uint32_t link, info;
	uint64_t addralign, entsize;
};
static_assert(sizeof(struct t_shdr) == 64, "ELF64 section header");

struct t_ehdr32 {
	uint8_t ident[16];
	uint16_t type, machine;
	uint32_t version;
	uint32_t entry, phoff, shoff;
	uint32_t flags;
	uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};
static_assert(sizeof(struct t_ehdr32) == 52, "ELF32 header");

struct t_phdr32 {
	uint32_t type, offset, vaddr, paddr, filesz, memsz, flags, align;
};
static_assert(sizeof(struct t_phdr32) == 32, "ELF32 program header");

struct t_shdr32 {
	uint32_t name, type, flags, addr, offset, size, link, info, addralign, entsize;
};
static_assert(sizeof(struct t_shdr32) == 40, "ELF32 section header");

#define T_EM_386 3
#define T_EM_X86_64 62

struct t_start_info {
	uint32_t magic, version, flags, nr_modules;
	uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr, memmap_paddr;
	uint32_t memmap_entries, reserved;
};
static_assert(sizeof(struct t_start_info) == 56, "hvm_start_info");

struct t_module {
	uint64_t paddr, size, cmdline_paddr, reserved;
};
static_assert(sizeof(struct t_module) == 32, "hvm_modlist_entry");

struct t_memmap {
	uint64_t addr, size;
	uint32_t type, reserved;
};
static_assert(sizeof(struct t_memmap) == 24, "hvm_memmap_table_entry");

/* ---- Guest memory with guard bands --------------------------------------- */

struct tmem {
	uint8_t *buf; /* guard | guest RAM | guard */
	size_t size;
	struct guest_mem mem;
};

static void tmem_init(struct tmem *t, size_t size)
{
	t->buf = calloc(1, size + 2 * GUARD_SIZE);
	ck_assert_ptr_nonnull(t->buf);
	memset(t->buf, GUARD_BYTE, GUARD_SIZE);
	memset(t->buf + GUARD_SIZE + size, GUARD_BYTE, GUARD_SIZE);
	t->size = size;
	gmem_wrap(&t->mem, t->buf + GUARD_SIZE, size);
}

static void tmem_check_guards(const struct tmem *t)
{
	for (size_t i = 0; i < GUARD_SIZE; i++) {
		ck_assert_msg(t->buf[i] == GUARD_BYTE, "write below guest RAM at -%zu",
			      GUARD_SIZE - i);
		ck_assert_msg(t->buf[GUARD_SIZE + t->size + i] == GUARD_BYTE,
			      "write above guest RAM at +%zu", i);
	}
}

static bool tmem_untouched(const struct tmem *t)
{
	const uint8_t *ram = t->buf + GUARD_SIZE;
	size_t i;

	for (i = 0; i + 8 <= t->size; i += 8) {
		uint64_t word;

		memcpy(&word, ram + i, 8);
		if (word)
			return false;
	}
	for (; i < t->size; i++)
		if (ram[i])
			return false;
	return true;
}

static void tmem_free(struct tmem *t)
{
	free(t->buf);
	t->buf = NULL;
}

static uint64_t guest_read(const struct guest_mem *mem, uint64_t gpa, unsigned int width)
{
	uint64_t value = 0;

	ck_assert_int_eq(gmem_read(mem, gpa, &value, width), 0);
	return value;
}

/* Is the guest range [gpa, gpa+len) equal to data? */
static bool guest_equals(const struct guest_mem *mem, uint64_t gpa, const void *data, size_t len)
{
	const void *p = gmem_ptr(mem, gpa, len);

	return p && memcmp(p, data, len) == 0;
}

static void put16(uint8_t *b, size_t off, uint16_t v)
{
	memcpy(b + off, &v, 2);
}
static void put32(uint8_t *b, size_t off, uint32_t v)
{
	memcpy(b + off, &v, 4);
}
static void put64(uint8_t *b, size_t off, uint64_t v)
{
	memcpy(b + off, &v, 8);
}

static void fill_pattern(uint8_t *p, size_t len, unsigned int seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(seed * 0x1d + i * 7 + (i >> 8));
}

/* ---- Image builders ------------------------------------------------------ */

#define T_MAX_SEGS 3

struct t_seg {
	uint32_t type; /* 1 = PT_LOAD */
	uint64_t paddr, filesz, memsz;
};

struct t_elf_spec {
	unsigned int nseg;
	struct t_seg seg[T_MAX_SEGS];
	uint64_t entry;
	bool pvh_note;		/* carry notes, the Xen PHYS32_ENTRY one last */
	bool note_in_section;	/* ... in an SHT_NOTE section instead of a PT_NOTE segment */
	uint32_t pvh_desc_size; /* 4 (default) or 8, or anything to test refusal */
	bool gnu_property;	/* add a PT_NOTE aligned to 8, as GNU property notes are */
	uint64_t pvh_entry;
	unsigned int bits; /* the ELF class: 64 (also for 0) or 32 */
	uint16_t machine;  /* e_machine; 0 for T_EM_X86_64 */
};

struct t_elf {
	uint8_t *data;
	size_t size;
	unsigned int bits;	    /* 32 or 64 */
	size_t phoff;		    /* program header i at phoff + i * phentsize */
	size_t phentsize;	    /* 56 or 32 */
	size_t shentsize;	    /* 64 or 40 */
	unsigned int note_phdr;	    /* index of the PT_NOTE header */
	size_t notes_off;	    /* first note */
	size_t pvh_note_off;	    /* the Xen note */
	size_t seg_off[T_MAX_SEGS]; /* file bytes of each segment */
	size_t shoff;		    /* 0 unless note_in_section */
};

static size_t align_up(size_t v, size_t a)
{
	return (v + a - 1) & ~(a - 1);
}

/* A note: header, name padded to 4, descriptor padded to 4. */
static size_t put_note(uint8_t *b, size_t off, const char *name, uint32_t type, const void *desc,
		       uint32_t descsz)
{
	uint32_t namesz = (uint32_t)strlen(name) + 1;

	if (b) {
		put32(b, off, namesz);
		put32(b, off + 4, descsz);
		put32(b, off + 8, type);
		memcpy(b + off + 12, name, namesz);
		memcpy(b + off + 12 + align_up(namesz, 4), desc, descsz);
	}
	return 12 + align_up(namesz, 4) + align_up(descsz, 4);
}

static size_t put_notes(uint8_t *b, size_t off, const struct t_elf_spec *spec, size_t *pvh_note_off)
{
	static const uint8_t linux_desc[5] = { 1, 2, 3, 4, 5 };
	uint8_t desc[16] = { 0 };
	size_t len;

	/* An unrelated note first, with odd sizes, so that the walk has to pad. */
	len = put_note(b, off, "Linux", 6, linux_desc, sizeof(linux_desc));
	memcpy(desc, &spec->pvh_entry, 8);
	*pvh_note_off = off + len;
	len += put_note(b, off + len, "Xen", 18, desc,
			spec->pvh_desc_size ? spec->pvh_desc_size : 4);
	return len;
}

/* Headers are filled in their ELF64 form and written in the image's class. */
static void put_ehdr(uint8_t *b, unsigned int bits, const struct t_ehdr *eh)
{
	struct t_ehdr32 eh32 = {
		.type = eh->type,
		.machine = eh->machine,
		.version = eh->version,
		.entry = (uint32_t)eh->entry,
		.phoff = (uint32_t)eh->phoff,
		.shoff = (uint32_t)eh->shoff,
		.ehsize = sizeof(eh32),
		.phentsize = eh->phentsize,
		.phnum = eh->phnum,
		.shentsize = eh->shentsize,
		.shnum = eh->shnum,
	};

	if (bits != 32) {
		memcpy(b, eh, sizeof(*eh));
		return;
	}
	memcpy(eh32.ident, eh->ident, sizeof(eh32.ident));
	memcpy(b, &eh32, sizeof(eh32));
}

static void put_phdr(uint8_t *b, const struct t_elf *out, unsigned int i, const struct t_phdr *ph)
{
	struct t_phdr32 ph32 = {
		.type = ph->type,
		.offset = (uint32_t)ph->offset,
		.vaddr = (uint32_t)ph->vaddr,
		.paddr = (uint32_t)ph->paddr,
		.filesz = (uint32_t)ph->filesz,
		.memsz = (uint32_t)ph->memsz,
		.flags = ph->flags,
		.align = (uint32_t)ph->align,
	};
	uint8_t *at = b + out->phoff + i * out->phentsize;

	if (out->bits == 32)
		memcpy(at, &ph32, sizeof(ph32));
	else
		memcpy(at, ph, sizeof(*ph));
}

static void put_shdr(uint8_t *b, const struct t_elf *out, unsigned int i, const struct t_shdr *sh)
{
	struct t_shdr32 sh32 = {
		.type = sh->type,
		.offset = (uint32_t)sh->offset,
		.size = (uint32_t)sh->size,
		.addralign = (uint32_t)sh->addralign,
	};
	uint8_t *at = b + out->shoff + i * out->shentsize;

	if (out->bits == 32)
		memcpy(at, &sh32, sizeof(sh32));
	else
		memcpy(at, sh, sizeof(*sh));
}

/* Where everything goes in the file; fills out's offsets and size. */
static void layout_elf(const struct t_elf_spec *spec, unsigned int nph, size_t notes_len,
		       size_t *property_off, struct t_elf *out)
{
	size_t off;

	out->bits = spec->bits == 32 ? 32 : 64;
	out->phentsize = out->bits == 32 ? sizeof(struct t_phdr32) : sizeof(struct t_phdr);
	out->shentsize = out->bits == 32 ? sizeof(struct t_shdr32) : sizeof(struct t_shdr);
	out->phoff = out->bits == 32 ? sizeof(struct t_ehdr32) : sizeof(struct t_ehdr);
	out->notes_off = align_up(out->phoff + nph * out->phentsize, 8);
	off = align_up(out->notes_off + notes_len, 16);
	if (spec->gnu_property) {
		*property_off = off;
		off += 32;
	}
	for (unsigned int i = 0; i < spec->nseg; i++) {
		out->seg_off[i] = off;
		off += spec->seg[i].filesz;
	}
	if (spec->note_in_section) {
		out->shoff = align_up(off, 8);
		off = out->shoff + 2 * out->shentsize;
	}
	out->size = off;
}

static void build_ehdr(const struct t_elf_spec *spec, unsigned int nph, struct t_elf *out)
{
	struct t_ehdr eh = { 0 };

	memcpy(eh.ident, "\177ELF", 4);
	eh.ident[4] = out->bits == 32 ? 1 : 2; /* ELFCLASS32 or ELFCLASS64 */
	eh.ident[5] = 1;		       /* little-endian */
	eh.ident[6] = 1;
	eh.type = 2; /* ET_EXEC */
	eh.machine = spec->machine ? spec->machine : T_EM_X86_64;
	eh.version = 1;
	eh.entry = spec->entry;
	eh.phoff = out->phoff;
	eh.ehsize = sizeof(eh);
	eh.phentsize = (uint16_t)out->phentsize;
	eh.phnum = (uint16_t)nph;
	if (spec->note_in_section) {
		eh.shoff = out->shoff;
		eh.shentsize = (uint16_t)out->shentsize;
		eh.shnum = 2;
	}
	put_ehdr(out->data, out->bits, &eh);
}

/* 12-byte header + "GNU\0" ends 8-aligned: no padding before the descriptor. */
static void build_gnu_property(uint8_t *b, size_t off, unsigned int index, const struct t_elf *out)
{
	struct t_phdr ph = {
		.type = 4,
		.offset = off,
		.filesz = 32,
		.align = 8,
	};

	put32(b, off, 4);
	put32(b, off + 4, 16);
	put32(b, off + 8, 5); /* NT_GNU_PROPERTY_TYPE_0 */
	memcpy(b + off + 12, "GNU", 4);
	put32(b, off + 16, 0xc0008002); /* x86 ISA needed */
	put32(b, off + 20, 4);
	put32(b, off + 24, 1);
	put_phdr(b, out, index, &ph);
}

static void build_pvh_notes(const struct t_elf_spec *spec, size_t notes_len, struct t_elf *out)
{
	uint8_t *b = out->data;

	put_notes(b, out->notes_off, spec, &out->pvh_note_off);
	if (spec->note_in_section) {
		struct t_shdr sh = {
			.type = 7, /* SHT_NOTE */
			.offset = out->notes_off,
			.size = notes_len,
			.addralign = 4,
		};

		put_shdr(b, out, 1, &sh);
	} else {
		struct t_phdr ph = {
			.type = 4, /* PT_NOTE */
			.offset = out->notes_off,
			.filesz = notes_len,
			.align = 4,
		};

		out->note_phdr = spec->nseg;
		put_phdr(b, out, spec->nseg, &ph);
	}
}

static void build_elf(const struct t_elf_spec *spec, struct t_elf *out)
{
	unsigned int nph =
		spec->nseg + (spec->pvh_note && !spec->note_in_section) + spec->gnu_property;
	size_t notes_len = 0, pvh_off = 0, property_off = 0;

	memset(out, 0, sizeof(*out));
	if (spec->pvh_note)
		notes_len = put_notes(NULL, 0, spec, &pvh_off);
	layout_elf(spec, nph, notes_len, &property_off, out);
	out->data = calloc(1, out->size);
	ck_assert_ptr_nonnull(out->data);
	build_ehdr(spec, nph, out);

	for (unsigned int i = 0; i < spec->nseg; i++) {
		struct t_phdr ph = {
			.type = spec->seg[i].type ? spec->seg[i].type : 1,
			.flags = 7,
			.offset = out->seg_off[i],
			.vaddr = (out->bits == 32 ? 0 : 0xffffffff80000000ull) + spec->seg[i].paddr,
			.paddr = spec->seg[i].paddr,
			.filesz = spec->seg[i].filesz,
			.memsz = spec->seg[i].memsz,
			.align = 0x1000,
		};

		put_phdr(out->data, out, i, &ph);
		fill_pattern(out->data + out->seg_off[i], spec->seg[i].filesz, i + 1);
	}
	if (spec->gnu_property)
		build_gnu_property(out->data, property_off, nph - 1, out);
	if (spec->pvh_note)
		build_pvh_notes(spec, notes_len, out);
}

static void free_elf(struct t_elf *elf)
{
	free(elf->data);
	elf->data = NULL;
}

/* Two segments at 1 MiB and 1.5 MiB, the first with a bss; entry inside the first. */
static struct t_elf_spec default_spec(bool pvh)
{
	struct t_elf_spec spec = {
	    .nseg = 2,
	    .seg =
		{
		    {.paddr = 0x100000, .filesz = 0x240, .memsz = 0x1000},
		    {.paddr = 0x180000, .filesz = 0x80, .memsz = 0x80},
		},
	    .entry = pvh ? 0xffffffff81000000ull : 0x100040,
	    .pvh_note = pvh,
	    .pvh_entry = 0x100040,
	};

	return spec;
}

/* The same spec as an ELF32 image of the given machine. */
static struct t_elf_spec elf32_spec(struct t_elf_spec spec, uint16_t machine)
{
	spec.bits = 32;
	spec.machine = machine;
	return spec;
}

/* The image variants every ELF check runs on: ELF64, ELF32 i386, ELF32 x86-64. */
struct t_variant {
	unsigned int bits;
	uint16_t machine;
	const char *name;
};

static const struct t_variant variants[] = {
	{ 64, T_EM_X86_64, "ELF64 x86-64" },
	{ 32, T_EM_386, "ELF32 i386" },
	{ 32, T_EM_X86_64, "ELF32 x86-64" },
};

#define T_VARIANTS (sizeof(variants) / sizeof(variants[0]))

static struct t_elf_spec variant_spec(const struct t_variant *v, bool pvh)
{
	struct t_elf_spec spec = default_spec(pvh);

	spec.bits = v->bits;
	spec.machine = v->machine;
	return spec;
}

/* Header fields the tests corrupt, at their offsets and widths in either class. */
enum t_field {
	T_E_TYPE,
	T_E_MACHINE,
	T_E_PHOFF,
	T_E_SHOFF,
	T_E_PHENTSIZE,
	T_E_PHNUM,
	T_E_SHENTSIZE,
	T_E_SHNUM,
	T_P_OFFSET,
	T_P_PADDR,
	T_P_FILESZ,
	T_P_MEMSZ,
	T_S_OFFSET,
	T_S_SIZE,
};

static const struct {
	uint8_t off64, width64, off32, width32;
} t_fields[] = {
	[T_E_TYPE] = { 16, 2, 16, 2 },	    [T_E_MACHINE] = { 18, 2, 18, 2 },
	[T_E_PHOFF] = { 32, 8, 28, 4 },	    [T_E_SHOFF] = { 40, 8, 32, 4 },
	[T_E_PHENTSIZE] = { 54, 2, 42, 2 }, [T_E_PHNUM] = { 56, 2, 44, 2 },
	[T_E_SHENTSIZE] = { 58, 2, 46, 2 }, [T_E_SHNUM] = { 60, 2, 48, 2 },
	[T_P_OFFSET] = { 8, 8, 4, 4 },	    [T_P_PADDR] = { 24, 8, 12, 4 },
	[T_P_FILESZ] = { 32, 8, 16, 4 },    [T_P_MEMSZ] = { 40, 8, 20, 4 },
	[T_S_OFFSET] = { 24, 8, 16, 4 },    [T_S_SIZE] = { 32, 8, 20, 4 },
};

/* Write field (of program or section header index) into image, cut to its width. */
static void set_field(uint8_t *image, const struct t_elf *elf, enum t_field field,
		      unsigned int index, uint64_t value)
{
	bool is32 = elf->bits == 32;
	size_t off = is32 ? t_fields[field].off32 : t_fields[field].off64;
	size_t width = is32 ? t_fields[field].width32 : t_fields[field].width64;

	if (field >= T_P_OFFSET && field <= T_P_MEMSZ)
		off += elf->phoff + index * elf->phentsize;
	else if (field >= T_S_OFFSET)
		off += elf->shoff + index * elf->shentsize;
	memcpy(image + off, &value, width); /* little-endian: the low bytes */
}

/* A minimal bzImage: boot sector and setup sectors with a setup header, then a body. */
struct t_bz_spec {
	uint8_t setup_sects;
	uint16_t version;
	uint16_t xloadflags;
	uint8_t relocatable;
	uint64_t pref_address;
	uint32_t init_size;
	uint32_t cmdline_size;
	uint32_t initrd_addr_max;
	size_t pm_size;
};

struct t_bz {
	uint8_t *data;
	size_t size;
	size_t pm_offset;
};

#define T_XLF_KERNEL_64 0x1
#define T_XLF_ABOVE_4G 0x2

static struct t_bz_spec default_bz_spec(void)
{
	struct t_bz_spec spec = {
		.setup_sects = 1,
		.version = 0x020f,
		.xloadflags = T_XLF_KERNEL_64,
		.relocatable = 0,
		.pref_address = 0x140000, /* it moves itself there: claims 0x140000-0x150000 */
		.init_size = 0x10000,
		.cmdline_size = 2047,
		.initrd_addr_max = 0x7fffffff,
		.pm_size = 0x340,
	};

	return spec;
}

static void build_bz(const struct t_bz_spec *spec, struct t_bz *out)
{
	unsigned int sects = spec->setup_sects ? spec->setup_sects : 4;
	uint8_t *b;

	out->pm_offset = (sects + 1) * 512;
	out->size = out->pm_offset + spec->pm_size;
	b = calloc(1, out->size);
	ck_assert_ptr_nonnull(b);
	out->data = b;
	b[0x1f1] = spec->setup_sects;
	put32(b, 0x1f4, (uint32_t)(spec->pm_size / 16));
	put16(b, 0x1fe, 0xaa55);
	b[0x200] = 0xeb; /* jmp short to the end of the header at 0x26c */
	b[0x201] = 0x26c - 0x202;
	memcpy(b + 0x202, "HdrS", 4);
	put16(b, 0x206, spec->version);
	put16(b, 0x20e, 0x0123); /* kernel_version: checks that the header is copied */
	b[0x211] = 0x01;	 /* LOADED_HIGH */
	put32(b, 0x214, 0x100000);
	put32(b, 0x22c, spec->initrd_addr_max);
	put32(b, 0x230, 0x200000);
	b[0x234] = spec->relocatable;
	put16(b, 0x236, spec->xloadflags);
	put32(b, 0x238, spec->cmdline_size);
	put64(b, 0x258, spec->pref_address);
	put32(b, 0x260, spec->init_size);
	fill_pattern(b + out->pm_offset, spec->pm_size, 9);
}

static void free_bz(struct t_bz *bz)
{
	free(bz->data);
	bz->data = NULL;
}

/* ---- Expectations -------------------------------------------------------- */

/*
 * Load with fn into fresh 16 MiB of guest RAM and expect a refusal whose
 * message holds `what`, with guest RAM untouched and nothing written
 * around it.
 */
static void expect_refused_mem(load_fn fn, const struct load_params *params, size_t mem_size,
			       const char *what)
{
	struct boot_setup boot = { 0 };
	struct tmem t;
	char err[512];
	int ret;

	tmem_init(&t, mem_size);
	ret = fn(&t.mem, params, &boot, err, sizeof(err));
	ck_assert_msg(ret < 0, "expected a refusal mentioning \"%s\", got %d", what, ret);
	ck_assert_msg(strstr(err, what), "error \"%s\" does not mention \"%s\"", err, what);
	/* Lowercase, unless it opens with an acronym ("ELF", "PVH"). */
	ck_assert_msg(islower((unsigned char)err[0]) ||
			      (isupper((unsigned char)err[0]) && isupper((unsigned char)err[1])),
		      "error \"%s\" does not start lowercase", err);
	ck_assert_msg(tmem_untouched(&t), "refused load (\"%s\") wrote to guest RAM", err);
	tmem_check_guards(&t);
	tmem_free(&t);
}

static void expect_refused(load_fn fn, const uint8_t *kernel, size_t size, const char *what)
{
	struct load_params params = { .kernel = kernel, .kernel_size = size };

	expect_refused_mem(fn, &params, 16 * MiB, what);
}

/* Build, corrupt one field of a copy, expect a refusal. */
static void expect_elf_refused(load_fn fn, const struct t_elf *elf, size_t off, const void *value,
			       size_t len, const char *what)
{
	uint8_t *copy = malloc(elf->size);

	ck_assert_ptr_nonnull(copy);
	memcpy(copy, elf->data, elf->size);
	memcpy(copy + off, value, len);
	expect_refused(fn, copy, elf->size, what);
	free(copy);
}

/* The same for one header field, written at its offset and width in the image's class. */
static void expect_field_refused(load_fn fn, const struct t_elf *elf, enum t_field field,
				 unsigned int index, uint64_t value, const char *what)
{
	uint8_t *copy = malloc(elf->size);

	ck_assert_ptr_nonnull(copy);
	memcpy(copy, elf->data, elf->size);
	set_field(copy, elf, field, index, value);
	expect_refused(fn, copy, elf->size, what);
	free(copy);
}

static void expect_elf_spec_refused(load_fn fn, const struct t_elf_spec *spec, const char *what)
{
	struct t_elf elf;

	build_elf(spec, &elf);
	expect_refused(fn, elf.data, elf.size, what);
	free_elf(&elf);
}

static void expect_bz_spec_refused(const struct t_bz_spec *spec, const char *what)
{
	struct t_bz bz;

	build_bz(spec, &bz);
	expect_refused(loader_load, bz.data, bz.size, what);
	expect_refused(loader_load_linux, bz.data, bz.size, what);
	free_bz(&bz);
}

/* The map a 16 MiB guest gets (the same in hvm_memmap and e820). */
static void check_map_16m(const uint8_t *table, size_t stride, unsigned int count)
{
	static const struct {
		uint64_t addr, size;
		uint32_t type;
	} want[] = {
		{ 0, 0x9fc00, 1 },
		{ 0x9fc00, 0x100000 - 0x9fc00, 2 },
		{ 0x100000, 16 * MiB - 0x100000, 1 },
		{ 0xfec00000, 0x400000, 2 },
	};

	ck_assert_uint_eq(count, 4);
	for (unsigned int i = 0; i < 4; i++) {
		uint64_t addr, size;
		uint32_t type;

		memcpy(&addr, table + i * stride, 8);
		memcpy(&size, table + i * stride + 8, 8);
		memcpy(&type, table + i * stride + 16, 4);
		ck_assert_uint_eq(addr, want[i].addr);
		ck_assert_uint_eq(size, want[i].size);
		ck_assert_uint_eq(type, want[i].type);
	}
}

/* ---- PVH ----------------------------------------------------------------- */

/*
 * A bss of whole pages over dirty RAM (a reboot reuses it): on real guest
 * RAM (a memfd) the whole pages are given back, the partial ones cleared;
 * every byte reads zero afterwards, and the pages past the bss keep theirs.
 */
START_TEST(test_bss_zeroed_in_memfd_ram)
{
	struct t_elf_spec spec = default_spec(true);
	struct guest_mem mem;
	const char *gerr = NULL;
	struct boot_setup boot;
	struct t_elf elf;
	char err[256];
	uint8_t *ram;

	spec.seg[0].memsz = 0x5100; /* bss: 0x100240-0x105100, pages 0x101000-0x104fff whole */
	build_elf(&spec, &elf);
	ck_assert_int_eq(gmem_create(&mem, 16, &gerr), 0);
	ram = gmem_ptr(&mem, 0x100000, 0x6000);
	for (int pinned = 0; pinned <= 1; pinned++) {
		struct load_params params = { .kernel = elf.data,
					      .kernel_size = elf.size,
					      .ram_pinned = pinned };
		unsigned char resident[4];

		memset(ram, 0xcc, 0x6000);
		ck_assert_msg(loader_load(&mem, &params, &boot, err, sizeof(err)) == 0, "%s", err);
		/*
		 * The whole bss pages: given back when nothing pins RAM (not resident
		 * until touched again: so check before reading), written in place when a device's DMA pins it
		 * (the device must keep seeing the guest's own pages).
		 */
		ck_assert_int_eq(mincore(ram + 0x1000, 4 * 4096, resident), 0);
		for (int i = 0; i < 4; i++)
			ck_assert_int_eq(resident[i] & 1, pinned);
		for (uint64_t off = 0x240; off < 0x5100; off++)
			ck_assert_msg(ram[off] == 0, "bss byte at 0x%lx is 0x%x",
				      (unsigned long)(0x100000 + off), ram[off]);
		for (uint64_t off = 0x5100; off < 0x6000; off++)
			ck_assert_int_eq(ram[off], 0xcc);
	}
	free_elf(&elf);
	gmem_destroy(&mem);
}
END_TEST

START_TEST(test_pvh_loads)
{
	struct t_elf_spec spec = default_spec(true);
	const char *cmdline = "console=ttyS0 kdom.test=1";
	size_t initrd_size = 0x2345;
	uint8_t *initrd = malloc(initrd_size);
	struct boot_setup boot;
	struct t_start_info si;
	struct t_module mod;
	struct t_elf elf;
	struct tmem t;
	char err[256];
	uint8_t page[4096];

	ck_assert_ptr_nonnull(initrd);
	fill_pattern(initrd, initrd_size, 42);
	build_elf(&spec, &elf);
	tmem_init(&t, 16 * MiB);
	/* The bss must be cleared even where RAM holds something. */
	memset(gmem_ptr(&t.mem, 0x100000, 0x1000), 0xcc, 0x1000);

	struct load_params params = {
		.kernel = elf.data,
		.kernel_size = elf.size,
		.initrd = initrd,
		.initrd_size = initrd_size,
		.cmdline = cmdline,
	};
	ck_assert_msg(loader_load(&t.mem, &params, &boot, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(boot.mode, BOOT_PVH);
	ck_assert_uint_eq(boot.entry, 0x100040);
	ck_assert_uint_eq(boot.boot_info, LAYOUT_START_INFO);

	/* Segments: file bytes, then zeroes up to memsz. */
	ck_assert(guest_equals(&t.mem, 0x100000, elf.data + elf.seg_off[0], 0x240));
	for (uint64_t gpa = 0x100240; gpa < 0x101000; gpa++)
		ck_assert_uint_eq(guest_read(&t.mem, gpa, 1), 0);
	ck_assert(guest_equals(&t.mem, 0x180000, elf.data + elf.seg_off[1], 0x80));

	ck_assert_int_eq(gmem_read(&t.mem, LAYOUT_START_INFO, &si, sizeof(si)), 0);
	ck_assert_uint_eq(si.magic, 0x336ec578);
	ck_assert_uint_eq(si.version, 1);
	ck_assert_uint_eq(si.flags, 0);
	ck_assert_uint_eq(si.rsdp_paddr, 0);
	ck_assert_uint_eq(si.cmdline_paddr, LAYOUT_CMDLINE);
	ck_assert_str_eq((const char *)gmem_ptr(&t.mem, si.cmdline_paddr, strlen(cmdline) + 1),
			 cmdline);

	/* Module list and memory map live in the start_info page. */
	ck_assert_uint_eq(si.nr_modules, 1);
	ck_assert_uint_ge(si.modlist_paddr, LAYOUT_START_INFO + sizeof(si));
	ck_assert_uint_le(si.modlist_paddr + sizeof(mod), LAYOUT_START_INFO + PAGE);
	ck_assert_uint_ge(si.memmap_paddr, LAYOUT_START_INFO + sizeof(si));
	ck_assert_uint_le(si.memmap_paddr + si.memmap_entries * sizeof(struct t_memmap),
			  LAYOUT_START_INFO + PAGE);
	ck_assert_int_eq(gmem_read(&t.mem, si.memmap_paddr, page,
				   si.memmap_entries * sizeof(struct t_memmap)),
			 0);
	check_map_16m(page, sizeof(struct t_memmap), si.memmap_entries);

	/* The initrd: page-aligned, at the top of RAM, above the kernel. */
	ck_assert_int_eq(gmem_read(&t.mem, si.modlist_paddr, &mod, sizeof(mod)), 0);
	ck_assert_uint_eq(mod.size, initrd_size);
	ck_assert_uint_eq(mod.cmdline_paddr, 0);
	ck_assert_uint_eq(mod.paddr % PAGE, 0);
	ck_assert_uint_eq(mod.paddr, (16 * MiB - initrd_size) & ~(PAGE - 1));
	ck_assert_uint_ge(mod.paddr, 0x180080);
	ck_assert(guest_equals(&t.mem, mod.paddr, initrd, initrd_size));

	tmem_check_guards(&t);
	tmem_free(&t);
	free_elf(&elf);
	free(initrd);
}
END_TEST

START_TEST(test_pvh_without_initrd_or_cmdline)
{
	struct t_elf_spec spec = default_spec(true);
	struct boot_setup boot;
	struct t_start_info si;
	struct t_elf elf;
	struct tmem t;
	char err[256];

	build_elf(&spec, &elf);
	tmem_init(&t, 16 * MiB);
	memset(gmem_ptr(&t.mem, LAYOUT_CMDLINE, 16), 'x', 16);
	struct load_params params = { .kernel = elf.data, .kernel_size = elf.size };
	ck_assert_msg(loader_load_pvh(&t.mem, &params, &boot, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(gmem_read(&t.mem, LAYOUT_START_INFO, &si, sizeof(si)), 0);
	ck_assert_uint_eq(si.nr_modules, 0);
	ck_assert_uint_eq(si.modlist_paddr, 0);
	ck_assert_uint_eq(si.cmdline_paddr, LAYOUT_CMDLINE);
	ck_assert_uint_eq(guest_read(&t.mem, LAYOUT_CMDLINE, 1), 0);
	ck_assert_uint_eq(si.memmap_entries, 4);
	tmem_check_guards(&t);
	tmem_free(&t);
	free_elf(&elf);
}
END_TEST

/* ELF32 PVH images, i386 and x86-64 code alike, load as ELF64 ones do. */
static void check_elf32_pvh_loads(const struct t_elf_spec *spec, uint64_t entry)
{
	struct boot_setup boot;
	struct t_start_info si;
	struct t_elf elf;
	struct tmem t;
	char err[256];

	build_elf(spec, &elf);
	ck_assert_uint_eq(elf.data[4], 1); /* ELFCLASS32 */
	tmem_init(&t, 16 * MiB);
	memset(gmem_ptr(&t.mem, 0x100000, 0x1000), 0xcc, 0x1000);
	struct load_params params = { .kernel = elf.data, .kernel_size = elf.size };
	ck_assert_msg(loader_load(&t.mem, &params, &boot, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(boot.mode, BOOT_PVH);
	ck_assert_uint_eq(boot.entry, entry);
	ck_assert_uint_eq(boot.boot_info, LAYOUT_START_INFO);
	ck_assert(guest_equals(&t.mem, 0x100000, elf.data + elf.seg_off[0], 0x240));
	for (uint64_t gpa = 0x100240; gpa < 0x101000; gpa++)
		ck_assert_uint_eq(guest_read(&t.mem, gpa, 1), 0);
	ck_assert(guest_equals(&t.mem, 0x180000, elf.data + elf.seg_off[1], 0x80));
	ck_assert_int_eq(gmem_read(&t.mem, LAYOUT_START_INFO, &si, sizeof(si)), 0);
	ck_assert_uint_eq(si.magic, 0x336ec578);
	ck_assert_uint_eq(si.memmap_entries, 4);
	tmem_check_guards(&t);
	tmem_free(&t);
	free_elf(&elf);
}

START_TEST(test_pvh_elf32_loads)
{
	static const uint16_t machines[] = { T_EM_386, T_EM_X86_64 };

	for (unsigned int m = 0; m < 2; m++) {
		struct t_elf_spec spec = elf32_spec(default_spec(true), machines[m]);

		check_elf32_pvh_loads(&spec, 0x100040);
		/* The note through the section headers, then an 8-byte descriptor. */
		spec.note_in_section = true;
		check_elf32_pvh_loads(&spec, 0x100040);
		spec.note_in_section = false;
		spec.pvh_desc_size = 8;
		spec.pvh_entry = 0x180010;
		check_elf32_pvh_loads(&spec, 0x180010);
		/* A GNU property note, padded to 8, before the Xen one. */
		spec = elf32_spec(default_spec(true), machines[m]);
		spec.gnu_property = true;
		check_elf32_pvh_loads(&spec, 0x100040);
	}
}
END_TEST

START_TEST(test_pvh_note_variants)
{
	struct t_elf_spec spec = default_spec(true);
	struct boot_setup boot;
	struct t_elf elf;
	struct tmem t;
	char err[256];

	/* The note found through the section headers only. */
	spec.note_in_section = true;
	build_elf(&spec, &elf);
	tmem_init(&t, 16 * MiB);
	struct load_params params = { .kernel = elf.data, .kernel_size = elf.size };
	ck_assert_msg(loader_load(&t.mem, &params, &boot, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(boot.mode, BOOT_PVH);
	ck_assert_uint_eq(boot.entry, 0x100040);
	tmem_free(&t);
	free_elf(&elf);

	/* A GNU property note, padded to 8, before the Xen one is found; also for vmlinux. */
	for (int pvh = 0; pvh <= 1; pvh++) {
		spec = default_spec(pvh);
		spec.gnu_property = true;
		build_elf(&spec, &elf);
		tmem_init(&t, 16 * MiB);
		params = (struct load_params){ .kernel = elf.data, .kernel_size = elf.size };
		ck_assert_msg(loader_load(&t.mem, &params, &boot, err, sizeof(err)) == 0, "%s",
			      err);
		ck_assert_int_eq(boot.mode, pvh ? BOOT_PVH : BOOT_LINUX64);
		tmem_free(&t);
		free_elf(&elf);
	}

	/* An 8-byte descriptor holding a 32-bit address. */
	spec = default_spec(true);
	spec.pvh_desc_size = 8;
	spec.pvh_entry = 0x180010;
	build_elf(&spec, &elf);
	tmem_init(&t, 16 * MiB);
	params = (struct load_params){ .kernel = elf.data, .kernel_size = elf.size };
	ck_assert_msg(loader_load(&t.mem, &params, &boot, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(boot.mode, BOOT_PVH);
	ck_assert_uint_eq(boot.entry, 0x180010);
	tmem_free(&t);
	free_elf(&elf);
}
END_TEST

/* Notes, in a segment or a section, that reach outside the file; for every class. */
static void expect_notes_refused(const struct t_variant *v)
{
	struct t_elf_spec spec = variant_spec(v, true);
	uint32_t huge = 0xfffffff0;
	struct t_elf elf;

	build_elf(&spec, &elf);
	expect_field_refused(loader_load, &elf, T_P_OFFSET, elf.note_phdr, elf.size,
			     "note segment 2 lies outside the file");
	expect_field_refused(loader_load, &elf, T_P_FILESZ, elf.note_phdr, elf.size,
			     "note segment 2 lies outside the file");
	expect_elf_refused(loader_load, &elf, elf.pvh_note_off + 4, &huge, 4,
			   "runs past the end of its segment 2");
	expect_elf_refused(loader_load, &elf, elf.pvh_note_off, &huge, 4,
			   "runs past the end of its segment 2");
	expect_elf_refused(loader_load, &elf, elf.notes_off + 4, &huge, 4,
			   "runs past the end of its segment 2");
	free_elf(&elf);

	spec.note_in_section = true;
	build_elf(&spec, &elf);
	expect_field_refused(loader_load, &elf, T_S_OFFSET, 1, elf.size - 4,
			     "note section 1 lies outside the file");
	expect_field_refused(loader_load, &elf, T_S_SIZE, 1, UINT64_MAX,
			     "note section 1 lies outside the file");
	free_elf(&elf);
}

START_TEST(test_pvh_refused)
{
	struct t_elf_spec spec = default_spec(true);
	struct t_elf vmlinux;
	struct t_elf_spec plain = default_spec(false);

	for (unsigned int v = 0; v < T_VARIANTS; v++)
		expect_notes_refused(&variants[v]);

	/* Entry points the image does not load, or that are not 32-bit. */
	spec.pvh_entry = 0x200000;
	expect_elf_spec_refused(loader_load, &spec,
				"PVH entry point 0x200000 lies outside the loaded segments");
	spec.pvh_entry = 0xfff;
	expect_elf_spec_refused(loader_load_pvh, &spec, "lies outside the loaded segments");
	spec = default_spec(true);
	spec.pvh_desc_size = 8;
	spec.pvh_entry = 0x100100040ull;
	expect_elf_spec_refused(loader_load, &spec, "above 4 GiB");
	spec.pvh_desc_size = 2;
	expect_elf_spec_refused(loader_load, &spec, "2-byte descriptor");

	/* No note at all: fine for Linux, not for PVH. */
	build_elf(&plain, &vmlinux);
	expect_refused(loader_load_pvh, vmlinux.data, vmlinux.size,
		       "no PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY");
	free_elf(&vmlinux);
}
END_TEST

/* ---- ELF checks common to PVH and vmlinux -------------------------------- */

/* Identification and file header fields, refused alike through fn in every class. */
static void expect_header_refused(load_fn fn, const struct t_elf *elf)
{
	bool is32 = elf->bits == 32;
	char what[96];
	uint8_t byte;

	byte = 3;
	expect_elf_refused(fn, elf, 4, &byte, 1, "ELF class 3 is not supported");
	byte = 0;
	expect_elf_refused(fn, elf, 4, &byte, 1, "ELF class 0 is not supported");
	byte = 2;
	expect_elf_refused(fn, elf, 5, &byte, 1, "data encoding 2");
	byte = 0;
	expect_elf_refused(fn, elf, 6, &byte, 1, "ELF version 0");
	if (is32)
		expect_field_refused(fn, elf, T_E_MACHINE, 0, 40,
				     "ELF machine 40 is neither i386 (EM_386, 3) nor x86-64");
	else
		expect_field_refused(fn, elf, T_E_MACHINE, 0, T_EM_386,
				     "ELF machine 3 is not x86-64");
	expect_field_refused(fn, elf, T_E_TYPE, 0, 1, "ELF type 1 is not an executable");
	expect_field_refused(fn, elf, T_E_PHNUM, 0, 0, "no program headers");
	expect_field_refused(fn, elf, T_E_PHNUM, 0, 0xffff, "PN_XNUM");
	snprintf(what, sizeof(what), "program header size %zu is smaller than %zu bytes",
		 elf->phentsize - 1, elf->phentsize);
	expect_field_refused(fn, elf, T_E_PHENTSIZE, 0, elf->phentsize - 1, what);
	expect_field_refused(fn, elf, T_E_PHOFF, 0, elf->size,
			     "ELF program header 0 lies outside the file");
	expect_field_refused(fn, elf, T_E_PHOFF, 0, elf->size - elf->phentsize + 1,
			     "ELF program header 0 lies outside the file");
	expect_field_refused(fn, elf, T_E_PHOFF, 0, UINT64_MAX - 8,
			     "ELF program header 0 lies outside the file");
	/* A table longer than the file: the first header past the end is named. */
	expect_field_refused(fn, elf, T_E_PHNUM, 0, 1000, "lies outside the file");
	/* Truncated inside the ELF header, or even inside the identification. */
	snprintf(what, sizeof(what), "the ELF%u header needs %zu", elf->bits, elf->phoff);
	expect_refused(fn, elf->data, elf->phoff - 1, what);
	expect_refused(fn, elf->data, 15, "the ELF identification needs 16");
}

/* Section headers pointing away. */
static void expect_section_table_refused(load_fn fn, const struct t_elf *elf)
{
	uint8_t *copy = malloc(elf->size);

	expect_field_refused(fn, elf, T_E_SHNUM, 0, 1, "section header size 0");
	ck_assert_ptr_nonnull(copy);
	memcpy(copy, elf->data, elf->size);
	set_field(copy, elf, T_E_SHENTSIZE, 0, elf->shentsize);
	set_field(copy, elf, T_E_SHNUM, 0, 3);
	set_field(copy, elf, T_E_SHOFF, 0, elf->size - elf->shentsize);
	expect_refused(fn, copy, elf->size, "section header table lies outside the file");
	set_field(copy, elf, T_E_SHOFF, 0, UINT64_MAX - elf->shentsize);
	expect_refused(fn, copy, elf->size, "section header table lies outside the file");
	free(copy);
}

START_TEST(test_elf_header_refused)
{
	static const uint8_t junk[] = "this is not a kernel image, not even close......";
	load_fn fns[] = { loader_load, loader_load_pvh, loader_load_linux };

	expect_refused(loader_load, junk, 0, "kernel image is empty");
	expect_refused(loader_load, NULL, 0, "kernel image is empty");
	expect_refused(loader_load, junk, sizeof(junk), "unrecognised kernel image");
	expect_refused(loader_load_pvh, junk, sizeof(junk), "not an ELF image");
	expect_refused(loader_load_linux, junk, sizeof(junk), "not a Linux kernel");

	for (unsigned int v = 0; v < T_VARIANTS; v++) {
		for (int pvh = 0; pvh <= 1; pvh++) {
			struct t_elf_spec spec = variant_spec(&variants[v], pvh);
			struct t_elf elf;

			build_elf(&spec, &elf);
			for (unsigned int f = 0; f < 3; f++) {
				if (fns[f] == loader_load_pvh && !pvh)
					continue;
				expect_header_refused(fns[f], &elf);
				expect_section_table_refused(fns[f], &elf);
			}
			free_elf(&elf);
		}
	}
}
END_TEST

/* A vmlinux is ELF64: an ELF32 image without a PVH note is refused, whatever its machine. */
START_TEST(test_vmlinux_elf32_refused)
{
	for (unsigned int v = 0; v < T_VARIANTS; v++) {
		struct t_elf_spec spec = variant_spec(&variants[v], false);
		struct t_elf elf;

		if (variants[v].bits != 32)
			continue;
		build_elf(&spec, &elf);
		expect_refused(
			loader_load, elf.data, elf.size,
			"ELF class 1 is not supported: kdom loads 64-bit (ELFCLASS64) images");
		expect_refused(
			loader_load_linux, elf.data, elf.size,
			"ELF class 1 is not supported: kdom loads 64-bit (ELFCLASS64) images");
		expect_refused(loader_load_pvh, elf.data, elf.size,
			       "no PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY");
		free_elf(&elf);
	}
}
END_TEST

/* Segment checks through fn (PVH or Linux), for the variant's class. */
static void expect_segments_refused(load_fn fn, const struct t_variant *v, bool pvh)
{
	struct t_elf_spec spec = variant_spec(v, pvh);
	struct t_elf elf;
	char what[96];

	build_elf(&spec, &elf);
	/* filesz > memsz */
	expect_field_refused(fn, &elf, T_P_MEMSZ, 1, 0x7f,
			     "segment 1 has a file size 0x80 larger than its memory size 0x7f");
	/* file bytes outside the file */
	expect_field_refused(fn, &elf, T_P_OFFSET, 0, elf.size - 0x100,
			     "loadable segment 0 lies outside the file");
	expect_field_refused(fn, &elf, T_P_OFFSET, 0, UINT64_MAX - 0x10,
			     "loadable segment 0 lies outside the file");
	expect_field_refused(fn, &elf, T_P_FILESZ, 1, UINT64_MAX,
			     "loadable segment 1 lies outside the file");
	/* addresses: past the end of the class's address space, outside RAM, too low */
	snprintf(what, sizeof(what), "plus memory size 0x80 overflows %u bits", elf.bits);
	expect_field_refused(fn, &elf, T_P_PADDR, 1, UINT64_MAX - 0x10, what);
	expect_field_refused(fn, &elf, T_P_PADDR, 1, 0x2000000,
			     "segment 1 (0x2000000-0x2000080) is not in guest RAM");
	expect_field_refused(fn, &elf, T_P_PADDR, 1, 16 * MiB - 0x40,
			     "is not in guest RAM (0x0-0x1000000)");
	expect_field_refused(fn, &elf, T_P_PADDR, 1, 0xc0000000, "is not in guest RAM");
	expect_field_refused(fn, &elf, T_P_PADDR, 1, 0xffffff80,
			     "segment 1 (0xffffff80-0x100000000) is not in guest RAM");
	expect_field_refused(fn, &elf, T_P_PADDR, 1, 0x8000, "below 1 MiB");
	expect_field_refused(fn, &elf, T_P_PADDR, 1, 0xfffc0, "below 1 MiB");
	/* a huge bss */
	expect_field_refused(fn, &elf, T_P_MEMSZ, 0, 0x10000000, "is not in guest RAM");
	free_elf(&elf);

	/* Nothing to load. */
	spec.seg[0].type = 6;
	spec.seg[1].type = 6;
	expect_elf_spec_refused(fn, &spec, "no loadable (PT_LOAD) segment");
}

START_TEST(test_elf_segments_refused)
{
	for (unsigned int v = 0; v < T_VARIANTS; v++) {
		/* A 32-bit image boots only as PVH; the vmlinux path refuses its class. */
		if (variants[v].bits == 64)
			expect_segments_refused(loader_load_linux, &variants[v], false);
		expect_segments_refused(loader_load_pvh, &variants[v], true);
	}

	/* ELF32: a segment may not wrap at 4 GiB, even by one byte. */
	struct t_elf_spec spec32 = elf32_spec(default_spec(true), T_EM_386);
	struct t_elf elf;

	build_elf(&spec32, &elf);
	expect_field_refused(
		loader_load, &elf, T_P_PADDR, 1, 0xffffff81,
		"segment 1: address 0xffffff81 plus memory size 0x80 overflows 32 bits");
	free_elf(&elf);

	/* vmlinux: e_entry must be loaded. */
	struct t_elf_spec spec = default_spec(false);
	spec.entry = 0xffffffff81000000ull;
	expect_elf_spec_refused(loader_load, &spec, "vmlinux entry point 0xffffffff81000000");
}
END_TEST

/* ---- Linux --------------------------------------------------------------- */

/* The boot_params fields every Linux load sets. */
static void check_zero_page(const uint8_t *bp, uint64_t initrd_gpa, size_t initrd_size)
{
	uint64_t v64;
	uint32_t v32;
	uint16_t v16;

	memcpy(&v16, bp + 0x1fe, 2);
	ck_assert_uint_eq(v16, 0xaa55);
	ck_assert(memcmp(bp + 0x202, "HdrS", 4) == 0);
	ck_assert_uint_eq(bp[0x210], 0xff);
	ck_assert_uint_eq(bp[0x211] & 0x81, 0x81);
	memcpy(&v16, bp + 0x224, 2);
	ck_assert_uint_eq(v16, 0xfe00);
	memcpy(&v32, bp + 0x228, 4);
	ck_assert_uint_eq(v32, LAYOUT_CMDLINE);
	memcpy(&v32, bp + 0x218, 4);
	ck_assert_uint_eq(v32, initrd_gpa);
	memcpy(&v32, bp + 0x21c, 4);
	ck_assert_uint_eq(v32, initrd_size);
	memcpy(&v64, bp + 0x250, 8);
	ck_assert_uint_eq(v64, 0); /* setup_data */
	check_map_16m(bp + 0x2d0, 20, bp[0x1e8]);
}

START_TEST(test_vmlinux_loads)
{
	struct t_elf_spec spec = default_spec(false);
	const char *cmdline = "root=/dev/vda console=ttyS0";
	uint8_t initrd[0x1800];
	struct boot_setup boot;
	struct t_elf elf;
	struct tmem t;
	uint8_t bp[4096];
	char err[256];
	uint32_t v32;
	uint16_t v16;

	fill_pattern(initrd, sizeof(initrd), 3);
	build_elf(&spec, &elf);
	tmem_init(&t, 16 * MiB);
	memset(gmem_ptr(&t.mem, 0x100000, 0x1000), 0xcc, 0x1000);
	struct load_params params = {
		.kernel = elf.data,
		.kernel_size = elf.size,
		.initrd = initrd,
		.initrd_size = sizeof(initrd),
		.cmdline = cmdline,
	};
	ck_assert_msg(loader_load(&t.mem, &params, &boot, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(boot.mode, BOOT_LINUX64);
	ck_assert_uint_eq(boot.entry, 0x100040);
	ck_assert_uint_eq(boot.boot_info, LAYOUT_BOOT_PARAMS);
	ck_assert(guest_equals(&t.mem, 0x100000, elf.data + elf.seg_off[0], 0x240));
	for (uint64_t gpa = 0x100240; gpa < 0x101000; gpa++)
		ck_assert_uint_eq(guest_read(&t.mem, gpa, 1), 0);
	ck_assert(guest_equals(&t.mem, 0x180000, elf.data + elf.seg_off[1], 0x80));

	ck_assert_int_eq(gmem_read(&t.mem, LAYOUT_BOOT_PARAMS, bp, sizeof(bp)), 0);
	/* 0x1800 bytes: the start is rounded down to a page. */
	check_zero_page(bp, 16 * MiB - 0x2000, sizeof(initrd));
	memcpy(&v16, bp + 0x206, 2);
	ck_assert_uint_eq(v16, 0x020f);
	memcpy(&v32, bp + 0x238, 4);
	ck_assert_uint_eq(v32, LAYOUT_CMDLINE_MAX - 1);
	ck_assert(guest_equals(&t.mem, 16 * MiB - 0x2000, initrd, sizeof(initrd)));
	ck_assert(guest_equals(&t.mem, LAYOUT_CMDLINE, cmdline, strlen(cmdline) + 1));
	tmem_check_guards(&t);
	tmem_free(&t);
	free_elf(&elf);
}
END_TEST

START_TEST(test_bzimage_loads)
{
	struct t_bz_spec spec = default_bz_spec();
	const char *cmdline = "console=ttyS0 quiet";
	uint8_t initrd[0x2000];
	struct boot_setup boot;
	struct tmem t;
	struct t_bz bz;
	uint8_t bp[4096];
	char err[256];
	uint16_t v16;

	fill_pattern(initrd, sizeof(initrd), 5);

	/* Not relocatable: loaded at 1 MiB; initrd below initrd_addr_max (8 MiB - 1). */
	spec.initrd_addr_max = 0x7fffff;
	build_bz(&spec, &bz);
	tmem_init(&t, 16 * MiB);
	struct load_params params = {
		.kernel = bz.data,
		.kernel_size = bz.size,
		.initrd = initrd,
		.initrd_size = sizeof(initrd),
		.cmdline = cmdline,
	};
	ck_assert_msg(loader_load(&t.mem, &params, &boot, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(boot.mode, BOOT_LINUX64);
	ck_assert_uint_eq(boot.entry, 0x100200);
	ck_assert_uint_eq(boot.boot_info, LAYOUT_BOOT_PARAMS);
	ck_assert(guest_equals(&t.mem, 0x100000, bz.data + bz.pm_offset, spec.pm_size));
	ck_assert_int_eq(gmem_read(&t.mem, LAYOUT_BOOT_PARAMS, bp, sizeof(bp)), 0);
	check_zero_page(bp, 0x800000 - sizeof(initrd), sizeof(initrd));
	memcpy(&v16, bp + 0x20e, 2);
	ck_assert_uint_eq(v16, 0x0123); /* copied from the image */
	ck_assert_uint_eq(bp[0x1f1], 1);
	memcpy(&v16, bp + 0x206, 2);
	ck_assert_uint_eq(v16, 0x020f);
	ck_assert(guest_equals(&t.mem, 0x800000 - sizeof(initrd), initrd, sizeof(initrd)));
	ck_assert(guest_equals(&t.mem, LAYOUT_CMDLINE, cmdline, strlen(cmdline) + 1));
	tmem_check_guards(&t);
	tmem_free(&t);
	free_bz(&bz);

	/*
	 * Relocatable, at pref_address; setup_sects 0 means 4; a kernel that
	 * takes its initrd above 4 GiB ignores initrd_addr_max.
	 */
	spec = default_bz_spec();
	spec.setup_sects = 0;
	spec.relocatable = 1;
	spec.pref_address = 0x400000;
	spec.initrd_addr_max = 0x7fffff;
	spec.xloadflags |= T_XLF_ABOVE_4G;
	build_bz(&spec, &bz);
	ck_assert_uint_eq(bz.pm_offset, 5 * 512);
	tmem_init(&t, 16 * MiB);
	params.kernel = bz.data;
	params.kernel_size = bz.size;
	ck_assert_msg(loader_load_linux(&t.mem, &params, &boot, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(boot.entry, 0x400200);
	ck_assert(guest_equals(&t.mem, 0x400000, bz.data + bz.pm_offset, spec.pm_size));
	ck_assert_int_eq(gmem_read(&t.mem, LAYOUT_BOOT_PARAMS, bp, sizeof(bp)), 0);
	check_zero_page(bp, 16 * MiB - sizeof(initrd), sizeof(initrd));
	tmem_check_guards(&t);
	tmem_free(&t);
	free_bz(&bz);
}
END_TEST

START_TEST(test_bzimage_initrd_above_kernel)
{
	struct t_bz_spec spec = default_bz_spec();
	struct boot_setup boot;
	struct tmem t;
	struct t_bz bz;
	char err[256];
	uint32_t v32;
	uint8_t *initrd = calloc(1, 2 * MiB);

	/* The kernel claims [1 MiB, 15 MiB) for decompression: 1 MiB is left. */
	ck_assert_ptr_nonnull(initrd);
	spec.relocatable = 1;
	spec.pref_address = 0x100000;
	spec.init_size = 14 * MiB;
	build_bz(&spec, &bz);
	struct load_params params = {
		.kernel = bz.data,
		.kernel_size = bz.size,
		.initrd = initrd,
		.initrd_size = MiB + 1,
	};
	expect_refused_mem(loader_load, &params, 16 * MiB,
			   "does not fit in guest RAM between the end of the kernel (0xf00000)");
	params.initrd_size = MiB;
	tmem_init(&t, 16 * MiB);
	ck_assert_msg(loader_load(&t.mem, &params, &boot, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(gmem_read(&t.mem, LAYOUT_BOOT_PARAMS + 0x218, &v32, 4), 0);
	ck_assert_uint_eq(v32, 15 * MiB);
	tmem_free(&t);

	/*
	 * A kernel that cannot relocate claims init_size from pref_address,
	 * not from where it was loaded: 2 MiB + 14 MiB is all of RAM.
	 */
	free_bz(&bz);
	spec.relocatable = 0;
	spec.pref_address = 0x200000;
	build_bz(&spec, &bz);
	params.kernel = bz.data;
	params.kernel_size = bz.size;
	params.initrd_size = 0x1000;
	expect_refused_mem(loader_load, &params, 16 * MiB,
			   "between the end of the kernel (0x1000000)");
	spec.pref_address = 0x300000;
	free_bz(&bz);
	build_bz(&spec, &bz);
	params.kernel = bz.data;
	expect_refused_mem(loader_load, &params, 16 * MiB,
			   "needs 0xe00000 bytes (init_size) at 0x300000");

	/* initrd_addr_max below the kernel's end leaves no room at all. */
	free_bz(&bz);
	spec = default_bz_spec();
	spec.initrd_addr_max = 0x14ffff;
	build_bz(&spec, &bz);
	params.kernel = bz.data;
	params.kernel_size = bz.size;
	params.initrd_size = 0x1000;
	expect_refused_mem(loader_load, &params, 16 * MiB, "does not fit");
	free_bz(&bz);
	free(initrd);
}
END_TEST

START_TEST(test_bzimage_refused)
{
	struct t_bz_spec spec = default_bz_spec();
	struct t_bz bz;

	spec.version = 0x020b;
	expect_bz_spec_refused(&spec, "kernel does not support the 64-bit boot protocol");
	expect_bz_spec_refused(&spec, "protocol 2.11, 2.12 or later");
	spec = default_bz_spec();
	spec.xloadflags = T_XLF_ABOVE_4G;
	expect_bz_spec_refused(&spec, "kernel does not support the 64-bit boot protocol");
	expect_bz_spec_refused(&spec, "lacks XLF_KERNEL_64");
	spec = default_bz_spec();
	spec.init_size = 32 * MiB;
	expect_bz_spec_refused(&spec, "does not fit in guest low RAM");
	spec = default_bz_spec();
	spec.relocatable = 1;
	spec.pref_address = 0x8000;
	expect_bz_spec_refused(&spec, "below 1 MiB");
	spec.pref_address = UINT64_MAX - 0xfff;
	expect_bz_spec_refused(&spec, "does not fit in guest low RAM");
	spec.pref_address = 0xfff000; /* RAM ends 0x1000 later, init_size does not fit */
	expect_bz_spec_refused(&spec, "does not fit in guest low RAM");
	spec.relocatable = 0;
	spec.pref_address = 16 * MiB; /* it would move itself to the end of RAM */
	expect_bz_spec_refused(&spec, "needs 0x10000 bytes (init_size) at 0x1000000");

	/* setup_sects pointing at or past the end of the file. */
	spec = default_bz_spec();
	build_bz(&spec, &bz);
	bz.data[0x1f1] = 200;
	expect_refused(loader_load, bz.data, bz.size, "setup_sects (200)");
	bz.data[0x1f1] = 1;
	put32(bz.data, 0x1f4, 0);
	expect_refused(loader_load, bz.data, bz.pm_offset, "past the end of the file");
	bz.data[0x1f1] = 0; /* 4 sectors: beyond this small file */
	expect_refused(loader_load, bz.data, bz.size, "setup_sects (0)");
	free_bz(&bz);

	/* A body too short to hold the 64-bit entry point. */
	spec = default_bz_spec();
	spec.pm_size = 0x200;
	expect_bz_spec_refused(&spec, "too short for its 64-bit entry point at offset 0x200");
	spec = default_bz_spec();

	/* A short header, a file shorter than syssize says. */
	build_bz(&spec, &bz);
	expect_refused(loader_load, bz.data, 0x240, "bzImage is truncated");
	expect_refused(loader_load, bz.data, bz.size - 1, "syssize says");
	free_bz(&bz);
}
END_TEST

/* ---- Command line and initrd limits, for every format -------------------- */

struct t_images {
	struct t_elf pvh, vmlinux;
	struct t_bz bz;
};

static void build_images(struct t_images *im, uint32_t cmdline_size)
{
	struct t_elf_spec pvh = default_spec(true), plain = default_spec(false);
	struct t_bz_spec bz = default_bz_spec();

	bz.cmdline_size = cmdline_size;
	build_elf(&pvh, &im->pvh);
	build_elf(&plain, &im->vmlinux);
	build_bz(&bz, &im->bz);
}

static void free_images(struct t_images *im)
{
	free_elf(&im->pvh);
	free_elf(&im->vmlinux);
	free_bz(&im->bz);
}

START_TEST(test_cmdline_limits)
{
	struct t_images im;
	char *longest = malloc(LAYOUT_CMDLINE_MAX + 1);

	ck_assert_ptr_nonnull(longest);
	build_images(&im, LAYOUT_CMDLINE_MAX - 1);
	const uint8_t *kernels[] = { im.pvh.data, im.vmlinux.data, im.bz.data };
	size_t sizes[] = { im.pvh.size, im.vmlinux.size, im.bz.size };

	for (unsigned int i = 0; i < 3; i++) {
		struct load_params params = { .kernel = kernels[i], .kernel_size = sizes[i] };
		struct boot_setup boot;
		struct tmem t;
		char err[256];

		/* The longest command line that fits lands whole, NUL-terminated. */
		memset(longest, 'k', LAYOUT_CMDLINE_MAX - 1);
		longest[LAYOUT_CMDLINE_MAX - 1] = '\0';
		params.cmdline = longest;
		tmem_init(&t, 16 * MiB);
		ck_assert_msg(loader_load(&t.mem, &params, &boot, err, sizeof(err)) == 0, "%s",
			      err);
		ck_assert(guest_equals(&t.mem, LAYOUT_CMDLINE, longest, LAYOUT_CMDLINE_MAX));
		tmem_check_guards(&t);
		tmem_free(&t);

		/* One more byte is refused. */
		longest[LAYOUT_CMDLINE_MAX - 1] = 'k';
		longest[LAYOUT_CMDLINE_MAX] = '\0';
		expect_refused_mem(loader_load, &params, 16 * MiB,
				   "command line is 4096 bytes long; kdom's limit is 4095");
	}
	free_images(&im);

	/* A bzImage's own, smaller limit. */
	build_images(&im, 255);
	memset(longest, 'k', 256);
	longest[256] = '\0';
	struct load_params params = { .kernel = im.bz.data,
				      .kernel_size = im.bz.size,
				      .cmdline = longest };
	expect_refused_mem(loader_load, &params, 16 * MiB, "the kernel accepts at most 255");
	free_images(&im);
	free(longest);
}
END_TEST

START_TEST(test_initrd_too_large)
{
	struct t_images im;
	size_t big = 15 * MiB;
	uint8_t *initrd = calloc(1, big);

	ck_assert_ptr_nonnull(initrd);
	build_images(&im, 2047);
	const uint8_t *kernels[] = { im.pvh.data, im.vmlinux.data, im.bz.data };
	size_t sizes[] = { im.pvh.size, im.vmlinux.size, im.bz.size };

	for (unsigned int i = 0; i < 3; i++) {
		struct load_params params = {
			.kernel = kernels[i],
			.kernel_size = sizes[i],
			.initrd = initrd,
			.initrd_size = big,
		};

		expect_refused_mem(loader_load, &params, 16 * MiB, "initrd of 15728640 bytes");
		expect_refused_mem(loader_load, &params, 16 * MiB, "does not fit in guest RAM");
		params.initrd = NULL;
		params.initrd_size = 1;
		expect_refused_mem(loader_load, &params, 16 * MiB, "without initrd data");
		/* More than all of RAM. */
		params.initrd = initrd;
		params.initrd_size = 17 * MiB;
		expect_refused_mem(loader_load, &params, 2 * MiB, "does not fit in guest RAM");
	}
	free_images(&im);
	free(initrd);
}
END_TEST

/* ---- Truncation: every prefix of a good image is refused or loads, never crashes ---- */

static void check_every_truncation(const uint8_t *image, size_t size)
{
	struct boot_setup boot;
	struct tmem t;
	char err[256];

	tmem_init(&t, 2 * MiB);
	for (size_t len = 0; len < size; len++) {
		/* An exact-size copy, so that ASan sees any read past its end. */
		uint8_t *copy = malloc(len ? len : 1);
		struct load_params params = { .kernel = copy, .kernel_size = len };
		int ret;

		ck_assert_ptr_nonnull(copy);
		memcpy(copy, image, len);
		ret = loader_load(&t.mem, &params, &boot, err, sizeof(err));
		ck_assert_msg(ret < 0, "a %zu-byte prefix of a %zu-byte image loaded", len, size);
		ck_assert_msg(err[0] != '\0', "no reason given for a %zu-byte prefix", len);
		free(copy);
	}
	tmem_check_guards(&t);

	struct load_params params = { .kernel = image, .kernel_size = size };
	ck_assert_msg(loader_load(&t.mem, &params, &boot, err, sizeof(err)) == 0, "%s", err);
	tmem_check_guards(&t);
	tmem_free(&t);
}

START_TEST(test_truncated_images)
{
	struct t_elf_spec section_note = default_spec(true);
	struct t_elf elf;
	struct t_images im;

	build_images(&im, 2047);
	check_every_truncation(im.pvh.data, im.pvh.size);
	check_every_truncation(im.vmlinux.data, im.vmlinux.size);
	check_every_truncation(im.bz.data, im.bz.size);
	free_images(&im);

	section_note.note_in_section = true;
	build_elf(&section_note, &elf);
	check_every_truncation(elf.data, elf.size);
	free_elf(&elf);

	/* ELF32, with the note in a segment and in a section. */
	for (int in_section = 0; in_section <= 1; in_section++) {
		struct t_elf_spec spec32 = elf32_spec(default_spec(true), T_EM_386);

		spec32.note_in_section = in_section;
		build_elf(&spec32, &elf);
		check_every_truncation(elf.data, elf.size);
		free_elf(&elf);
	}
}
END_TEST

/* ---- Memory map ---------------------------------------------------------- */

START_TEST(test_memmap)
{
	struct loader_mem_range map[LOADER_MEMMAP_MAX];
	struct guest_mem mem = { .host = NULL, .fd = -1 };
	char err[256];
	int n;

	/* 8 GiB: 3 GiB low, 5 GiB above 4 GiB. */
	mem.size = 8ull << 30;
	mem.low_size = 0xc0000000;
	n = loader_build_memmap(&mem, map, LOADER_MEMMAP_MAX, err, sizeof(err));
	ck_assert_int_eq(n, 5);
	ck_assert_uint_eq(map[0].addr, 0);
	ck_assert_uint_eq(map[0].size, 0x9fc00);
	ck_assert_uint_eq(map[0].type, LOADER_MEM_RAM);
	ck_assert_uint_eq(map[1].addr, 0x9fc00);
	ck_assert_uint_eq(map[1].addr + map[1].size, 0x100000);
	ck_assert_uint_eq(map[1].type, LOADER_MEM_RESERVED);
	ck_assert_uint_eq(map[2].addr, 0x100000);
	ck_assert_uint_eq(map[2].addr + map[2].size, 0xc0000000);
	ck_assert_uint_eq(map[2].type, LOADER_MEM_RAM);
	ck_assert_uint_eq(map[3].addr, 0xfec00000);
	ck_assert_uint_eq(map[3].addr + map[3].size, 0xff000000);
	ck_assert_uint_eq(map[3].type, LOADER_MEM_RESERVED);
	ck_assert_uint_eq(map[4].addr, 1ull << 32);
	ck_assert_uint_eq(map[4].size, 5ull << 30);
	ck_assert_uint_eq(map[4].type, LOADER_MEM_RAM);

	/* Exactly 3 GiB: nothing above 4 GiB. */
	mem.size = mem.low_size = 0xc0000000;
	ck_assert_int_eq(loader_build_memmap(&mem, map, LOADER_MEMMAP_MAX, err, sizeof(err)), 4);

	/* Exactly 1 MiB: no RAM above 1 MiB to report. */
	mem.size = mem.low_size = MiB;
	ck_assert_int_eq(loader_build_memmap(&mem, map, LOADER_MEMMAP_MAX, err, sizeof(err)), 3);
	ck_assert_uint_eq(map[2].addr, 0xfec00000);

	/* Too little RAM, too small a table. */
	mem.size = mem.low_size = 512 * 1024;
	ck_assert_int_eq(loader_build_memmap(&mem, map, LOADER_MEMMAP_MAX, err, sizeof(err)),
			 -EINVAL);
	ck_assert_msg(strstr(err, "guest RAM is too small"), "%s", err);
	mem.size = mem.low_size = 16 * MiB;
	ck_assert_int_eq(loader_build_memmap(&mem, map, 2, err, sizeof(err)), -ENOSPC);
	ck_assert_msg(strstr(err, "more than 2 entries"), "%s", err);
}
END_TEST

/* A guest with RAM above 4 GiB: the maps report it, the initrd stays below 3 GiB. */
START_TEST(test_high_memory)
{
	size_t size = 0xc0000000ull + 16 * MiB;
	struct t_elf_spec spec = default_spec(true);
	struct t_start_info si;
	struct t_module mod;
	struct t_memmap mm[5];
	struct boot_setup boot;
	struct guest_mem mem;
	struct t_images im;
	uint8_t initrd[0x1000];
	uint8_t bp[4096];
	char err[256];
	void *host;

	/* Untouched pages of a private anonymous mapping cost nothing. */
	host = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		    -1, 0);
	if (host == MAP_FAILED) {
		fprintf(stderr, "test_high_memory: cannot map 3 GiB, skipped\n");
		return;
	}
	gmem_wrap(&mem, host, size);
	fill_pattern(initrd, sizeof(initrd), 7);
	build_images(&im, 2047);
	struct load_params params = {
		.kernel = im.pvh.data,
		.kernel_size = im.pvh.size,
		.initrd = initrd,
		.initrd_size = sizeof(initrd),
	};
	ck_assert_msg(loader_load(&mem, &params, &boot, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(gmem_read(&mem, LAYOUT_START_INFO, &si, sizeof(si)), 0);
	ck_assert_uint_eq(si.memmap_entries, 5);
	ck_assert_int_eq(gmem_read(&mem, si.memmap_paddr, mm, sizeof(mm)), 0);
	ck_assert_uint_eq(mm[2].addr + mm[2].size, 0xc0000000);
	ck_assert_uint_eq(mm[4].addr, 1ull << 32);
	ck_assert_uint_eq(mm[4].size, 16 * MiB);
	ck_assert_uint_eq(mm[4].type, 1);
	ck_assert_int_eq(gmem_read(&mem, si.modlist_paddr, &mod, sizeof(mod)), 0);
	ck_assert_uint_eq(mod.paddr, 0xc0000000 - sizeof(initrd));
	ck_assert(guest_equals(&mem, mod.paddr, initrd, sizeof(initrd)));

	params.kernel = im.vmlinux.data;
	params.kernel_size = im.vmlinux.size;
	ck_assert_msg(loader_load(&mem, &params, &boot, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(gmem_read(&mem, LAYOUT_BOOT_PARAMS, bp, sizeof(bp)), 0);
	ck_assert_uint_eq(bp[0x1e8], 5);
	{
		uint64_t addr, len;

		memcpy(&addr, bp + 0x2d0 + 4 * 20, 8);
		memcpy(&len, bp + 0x2d0 + 4 * 20 + 8, 8);
		ck_assert_uint_eq(addr, 1ull << 32);
		ck_assert_uint_eq(len, 16 * MiB);
	}
	free_images(&im);

	/* A segment in the MMIO hole, and one in RAM above 4 GiB. */
	spec.seg[1].paddr = 0xd0000000;
	{
		struct t_elf elf;
		struct load_params p;

		build_elf(&spec, &elf);
		p = (struct load_params){ .kernel = elf.data, .kernel_size = elf.size };
		ck_assert_int_lt(loader_load(&mem, &p, &boot, err, sizeof(err)), 0);
		ck_assert_msg(strstr(err, "is not in guest RAM (0x0-0xc0000000 and "
					  "0x100000000-0x101000000)"),
			      "%s", err);
		free_elf(&elf);
		spec.seg[1].paddr = (1ull << 32) + MiB;
		build_elf(&spec, &elf);
		p = (struct load_params){ .kernel = elf.data, .kernel_size = elf.size };
		ck_assert_msg(loader_load(&mem, &p, &boot, err, sizeof(err)) == 0, "%s", err);
		ck_assert(guest_equals(&mem, (1ull << 32) + MiB, elf.data + elf.seg_off[1], 0x80));
		free_elf(&elf);
	}
	munmap(host, size);
}
END_TEST

/* ---- loader_read_file ---------------------------------------------------- */

START_TEST(test_read_file)
{
	char path[] = "/tmp/kdom-test-loader-XXXXXX";
	uint8_t content[3000], *data = NULL;
	size_t size = 1;
	char err[512];
	int fd;

	fill_pattern(content, sizeof(content), 11);
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, content, sizeof(content)), (ssize_t)sizeof(content));
	close(fd);

	ck_assert_int_eq(loader_read_file(path, sizeof(content), &data, &size, err, sizeof(err)),
			 0);
	ck_assert_uint_eq(size, sizeof(content));
	ck_assert(memcmp(data, content, size) == 0);
	free(data);

	ck_assert_int_eq(
		loader_read_file(path, sizeof(content) - 1, &data, &size, err, sizeof(err)),
		-EFBIG);
	ck_assert_ptr_null(data);
	ck_assert_uint_eq(size, 0);
	ck_assert_msg(strstr(err, "is too large (3000 bytes; the limit is 2999)"), "%s", err);
	ck_assert_msg(strstr(err, path), "%s", err);

	/* An empty file reads as empty; the loader then refuses it. */
	fd = open(path, O_WRONLY | O_TRUNC);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(loader_read_file(path, 100, &data, &size, err, sizeof(err)), 0);
	ck_assert_uint_eq(size, 0);
	free(data);
	unlink(path);

	ck_assert_int_eq(loader_read_file(path, 100, &data, &size, err, sizeof(err)), -ENOENT);
	ck_assert_ptr_null(data);
	ck_assert_msg(strstr(err, "cannot open") && strstr(err, path) &&
			      strstr(err, "No such file or directory"),
		      "%s", err);

	ck_assert_int_eq(loader_read_file("/tmp", 100, &data, &size, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, "/tmp is not a regular file"), "%s", err);
}
END_TEST

Suite *loader_suite(void)
{
	Suite *s = suite_create("loader");
	TCase *tc = tcase_create("pvh");

	tcase_add_test(tc, test_pvh_loads);
	tcase_add_test(tc, test_bss_zeroed_in_memfd_ram);
	tcase_add_test(tc, test_pvh_without_initrd_or_cmdline);
	tcase_add_test(tc, test_pvh_note_variants);
	tcase_add_test(tc, test_pvh_elf32_loads);
	tcase_add_test(tc, test_pvh_refused);
	suite_add_tcase(s, tc);

	tc = tcase_create("elf");
	tcase_add_test(tc, test_elf_header_refused);
	tcase_add_test(tc, test_vmlinux_elf32_refused);
	tcase_add_test(tc, test_elf_segments_refused);
	/* Over a hundred refused loads, each scanning 16 MiB for stray writes. */
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);

	tc = tcase_create("linux");
	tcase_add_test(tc, test_vmlinux_loads);
	tcase_add_test(tc, test_bzimage_loads);
	tcase_add_test(tc, test_bzimage_initrd_above_kernel);
	tcase_add_test(tc, test_bzimage_refused);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_add_test(tc, test_cmdline_limits);
	tcase_add_test(tc, test_initrd_too_large);
	tcase_add_test(tc, test_truncated_images);
	tcase_add_test(tc, test_memmap);
	tcase_add_test(tc, test_high_memory);
	/* Many loads under ASan: give them room. */
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);

	tc = tcase_create("files");
	tcase_add_test(tc, test_read_file);
	suite_add_tcase(s, tc);
	return s;
}

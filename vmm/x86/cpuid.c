/* CPUID tables: the host and leveled policies, libxl-style overrides, kdom's own leaves. */
#include "vmm/x86/cpuid.h"

#include <cpuid.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>

#include "kdom/abi.h"
#include "kdom/xen.h"
#include "vmm/kvm.h"
#include "vmm/log.h"

#define CPUID_MAX_ENTRIES 256
#define CPUID_EXT 0x80000000u

#define CPUID_1_ECX_CX16 (1u << 13)
#define CPUID_1_ECX_XSAVE (1u << 26)
#define CPUID_1_ECX_OSXSAVE (1u << 27)
#define CPUID_1_ECX_AVX (1u << 28)
#define CPUID_1_ECX_FMA (1u << 12)
#define CPUID_1_ECX_F16C (1u << 29)
#define CPUID_1_ECX_HYPERVISOR (1u << 31)
#define CPUID_7_EBX_AVX2 (1u << 5)
#define CPUID_7_EBX_AVX512_MASK 0xdc230000u /* F, DQ, IFMA, PF, ER, CD, BW, VL */
#define CPUID_7_ECX_AVX512_MASK 0x00005842u /* VBMI, VBMI2, VNNI, BITALG, VPOPCNTDQ */
#define CPUID_7_EDX_AVX512_MASK 0x0000000cu /* 4VNNIW, 4FMAPS */

/*
 * The x86-64-v2 baseline (the x86-64 psABI's level 2): every 64-bit CPU
 * since about 2009 has it, so a leveled domain can move between hosts.
 *   leaf 1 EDX  fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov
 *               pat pse36 clflush mmx fxsr sse sse2
 *   leaf 1 ECX  sse3 ssse3 cx16 sse4_1 sse4_2 x2apic popcnt tsc-deadline
 *   0x80000001  ECX lahfsahf; EDX syscall nx lm
 */
#define BASELINE_1_EDX 0x078bfbffu
#define BASELINE_1_ECX 0x01b82201u
#define BASELINE_81_ECX 0x00000001u
#define BASELINE_81_EDX 0x20100800u
#define BASELINE_MAX_BASIC 0xdu
#define BASELINE_MAX_EXT 0x80000008u

/* ---- Feature names ----------------------------------------------------------------- */

struct cpuid_feature {
	const char *name;
	uint32_t leaf;
	uint8_t subleaf;
	uint8_t reg;
	uint8_t bit;
};

#define F1D(n, b)                     \
	{                             \
		n, 1, 0, CPUID_EDX, b \
	}
#define F1C(n, b)                     \
	{                             \
		n, 1, 0, CPUID_ECX, b \
	}
#define F7B(n, b)                     \
	{                             \
		n, 7, 0, CPUID_EBX, b \
	}
#define F7C(n, b)                     \
	{                             \
		n, 7, 0, CPUID_ECX, b \
	}
#define F7D(n, b)                     \
	{                             \
		n, 7, 0, CPUID_EDX, b \
	}
#define FXC(n, b)                                 \
	{                                         \
		n, CPUID_EXT | 1, 0, CPUID_ECX, b \
	}
#define FXD(n, b)                                 \
	{                                         \
		n, CPUID_EXT | 1, 0, CPUID_EDX, b \
	}

/* libxl's names for the common features (xl.cfg(5) `cpuid`), with its aliases. */
static const struct cpuid_feature cpuid_features[] = {
	F1D("fpu", 0),
	F1D("vme", 1),
	F1D("de", 2),
	F1D("pse", 3),
	F1D("tsc", 4),
	F1D("msr", 5),
	F1D("pae", 6),
	F1D("mce", 7),
	F1D("cmpxchg8", 8),
	F1D("cx8", 8),
	F1D("apic", 9),
	F1D("sysenter", 11),
	F1D("sep", 11),
	F1D("mtrr", 12),
	F1D("pge", 13),
	F1D("mca", 14),
	F1D("cmov", 15),
	F1D("pat", 16),
	F1D("pse36", 17),
	F1D("clfsh", 19),
	F1D("clflush", 19),
	F1D("ds", 21),
	F1D("acpi", 22),
	F1D("mmx", 23),
	F1D("fxsr", 24),
	F1D("sse", 25),
	F1D("sse2", 26),
	F1D("ss", 27),
	F1D("htt", 28),
	F1D("tm", 29),
	F1D("pbe", 31),
	F1C("sse3", 0),
	F1C("pclmulqdq", 1),
	F1C("dtes64", 2),
	F1C("monitor", 3),
	F1C("dscpl", 4),
	F1C("vmx", 5),
	F1C("smx", 6),
	F1C("est", 7),
	F1C("tm2", 8),
	F1C("ssse3", 9),
	F1C("cntxid", 10),
	F1C("fma", 12),
	F1C("cmpxchg16", 13),
	F1C("cx16", 13),
	F1C("xtpr", 14),
	F1C("pdcm", 15),
	F1C("pcid", 17),
	F1C("dca", 18),
	F1C("sse4.1", 19),
	F1C("sse4_1", 19),
	F1C("sse4.2", 20),
	F1C("sse4_2", 20),
	F1C("x2apic", 21),
	F1C("movbe", 22),
	F1C("popcnt", 23),
	F1C("tsc-deadline", 24),
	F1C("aes", 25),
	F1C("xsave", 26),
	F1C("osxsave", 27),
	F1C("avx", 28),
	F1C("f16c", 29),
	F1C("rdrand", 30),
	F7B("fsgsbase", 0),
	F7B("tsc_adjust", 1),
	F7B("bmi1", 3),
	F7B("hle", 4),
	F7B("avx2", 5),
	F7B("smep", 7),
	F7B("bmi2", 8),
	F7B("erms", 9),
	F7B("invpcid", 10),
	F7B("rtm", 11),
	F7B("mpx", 14),
	F7B("avx512f", 16),
	F7B("avx512dq", 17),
	F7B("rdseed", 18),
	F7B("adx", 19),
	F7B("smap", 20),
	F7B("avx512-ifma", 21),
	F7B("clflushopt", 23),
	F7B("clwb", 24),
	F7B("avx512pf", 26),
	F7B("avx512er", 27),
	F7B("avx512cd", 28),
	F7B("sha", 29),
	F7B("avx512bw", 30),
	F7B("avx512vl", 31),
	F7C("prefetchwt1", 0),
	F7C("avx512-vbmi", 1),
	F7C("umip", 2),
	F7C("pku", 3),
	F7C("ospke", 4),
	F7C("avx512-vbmi2", 6),
	F7C("gfni", 8),
	F7C("vaes", 9),
	F7C("vpclmulqdq", 10),
	F7C("avx512-vnni", 11),
	F7C("avx512-bitalg", 12),
	F7C("avx512-vpopcntdq", 14),
	F7C("rdpid", 22),
	F7D("avx512-4vnniw", 2),
	F7D("avx512-4fmaps", 3),
	F7D("md-clear", 10),
	F7D("serialize", 14),
	F7D("ibrsb", 26),
	F7D("stibp", 27),
	F7D("l1d-flush", 28),
	F7D("arch-caps", 29),
	F7D("ssbd", 31),
	FXC("lahfsahf", 0),
	FXC("cmplegacy", 1),
	FXC("svm", 2),
	FXC("extapic", 3),
	FXC("altmovcr8", 4),
	FXC("cr8legacy", 4),
	FXC("abm", 5),
	FXC("lzcnt", 5),
	FXC("sse4a", 6),
	FXC("misalignsse", 7),
	FXC("3dnowprefetch", 8),
	FXC("osvw", 9),
	FXC("ibs", 10),
	FXC("xop", 11),
	FXC("skinit", 12),
	FXC("wdt", 13),
	FXC("lwp", 15),
	FXC("fma4", 16),
	FXC("tce", 17),
	FXC("nodeid", 19),
	FXC("tbm", 21),
	FXC("topoext", 22),
	FXD("syscall", 11),
	FXD("nx", 20),
	FXD("mmxext", 22),
	FXD("ffxsr", 25),
	FXD("page1gb", 26),
	FXD("rdtscp", 27),
	FXD("lm", 29),
	FXD("3dnowext", 30),
	FXD("3dnow", 31),
};

#define CPUID_NR_FEATURES (sizeof(cpuid_features) / sizeof(cpuid_features[0]))

static const struct cpuid_feature *cpuid_feature_named(const char *name, size_t len)
{
	for (size_t i = 0; i < CPUID_NR_FEATURES; i++)
		if (strlen(cpuid_features[i].name) == len &&
		    !strncasecmp(cpuid_features[i].name, name, len))
			return &cpuid_features[i];
	return NULL;
}

static int cpuid_parse_item(const char *item, size_t len, struct cpuid_override *ov, char *err,
			    size_t errlen)
{
	const char *eq = memchr(item, '=', len);
	const struct cpuid_feature *f;
	size_t name_len = eq ? (size_t)(eq - item) : len;
	int n = len > 64 ? 64 : (int)len;

	if (!eq || name_len == 0) {
		snprintf(err, errlen, "cpuid: '%.*s' is not name=0 or name=1", n, item);
		return -EINVAL;
	}
	if (memchr(item, ':', name_len)) {
		snprintf(err, errlen,
			 "cpuid: '%.*s': the leaf:register=bits form is not supported, use "
			 "feature names (sse4_2=0)",
			 n, item);
		return -EINVAL;
	}
	if (name_len == 10 && !strncasecmp(item, "hypervisor", 10)) {
		snprintf(err, errlen, "cpuid: the hypervisor bit is always set");
		return -EINVAL;
	}
	f = cpuid_feature_named(item, name_len);
	if (!f) {
		snprintf(err, errlen, "cpuid: unknown feature '%.*s'",
			 (int)(name_len > 64 ? 64 : name_len), item);
		return -EINVAL;
	}
	if (len - name_len != 2 || (eq[1] != '0' && eq[1] != '1')) {
		snprintf(err, errlen, "cpuid: '%.*s': a feature is set with =1 or cleared with =0",
			 n, item);
		return -EINVAL;
	}
	if (ov->count >= CPUID_OVERRIDE_MAX) {
		snprintf(err, errlen, "cpuid: more than %d settings", CPUID_OVERRIDE_MAX);
		return -EINVAL;
	}
	ov->settings[ov->count++] = (struct cpuid_setting){
		.name = f->name,
		.leaf = f->leaf,
		.subleaf = f->subleaf,
		.reg = f->reg,
		.bit = f->bit,
		.value = eq[1] == '1',
	};
	return 0;
}

int cpuid_override_parse(const char *text, struct cpuid_override *ov, char *err, size_t errlen)
{
	const char *p = text;
	bool first = true;

	memset(ov, 0, sizeof(*ov));
	for (;;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		while (len && (*p == ' ' || *p == '\t'))
			p++, len--;
		while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if (len == 0) {
			snprintf(err, errlen, "cpuid: empty item in '%.64s'", text);
			return -EINVAL;
		}
		if (!(first && len == 4 && !strncmp(p, "host", 4)) &&
		    cpuid_parse_item(p, len, ov, err, errlen))
			return -EINVAL;
		first = false;
		if (!end)
			return 0;
		p = end + 1;
	}
}

/* ---- Tables ------------------------------------------------------------------------ */

void cpuid_host(uint32_t leaf, uint32_t subleaf, uint32_t regs[4])
{
	__cpuid_count(leaf, subleaf, regs[0], regs[1], regs[2], regs[3]);
}

static size_t cpuid_table_size(void)
{
	return sizeof(struct kvm_cpuid2) + CPUID_MAX_ENTRIES * sizeof(struct kvm_cpuid_entry2);
}

struct kvm_cpuid2 *cpuid_get_supported(int kvm_fd)
{
	struct kvm_cpuid2 *cpuid = calloc(1, cpuid_table_size());

	if (!cpuid)
		return NULL;
	cpuid->nent = CPUID_MAX_ENTRIES;
	if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, cpuid) < 0) {
		log_error("KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
		free(cpuid);
		return NULL;
	}
	return cpuid;
}

const struct kvm_cpuid_entry2 *cpuid_find(const struct kvm_cpuid2 *table, uint32_t function,
					  uint32_t index)
{
	for (uint32_t i = 0; i < table->nent; i++)
		if (table->entries[i].function == function && table->entries[i].index == index)
			return &table->entries[i];
	return NULL;
}

static struct kvm_cpuid_entry2 *cpuid_entry(struct kvm_cpuid2 *table, uint32_t function,
					    uint32_t index)
{
	return (struct kvm_cpuid_entry2 *)cpuid_find(table, function, index);
}

static uint32_t *cpuid_reg(struct kvm_cpuid_entry2 *e, enum cpuid_reg reg)
{
	switch (reg) {
	case CPUID_EAX:
		return &e->eax;
	case CPUID_EBX:
		return &e->ebx;
	case CPUID_ECX:
		return &e->ecx;
	default:
		return &e->edx;
	}
}

/* Append an entry; NULL when the table is full. */
static struct kvm_cpuid_entry2 *cpuid_add(struct kvm_cpuid2 *table, uint32_t function,
					  uint32_t index, bool indexed)
{
	struct kvm_cpuid_entry2 *e;

	if (table->nent >= CPUID_MAX_ENTRIES)
		return NULL;
	e = &table->entries[table->nent++];
	memset(e, 0, sizeof(*e));
	e->function = function;
	e->index = index;
	e->flags = indexed ? KVM_CPUID_FLAG_SIGNIFCANT_INDEX : 0;
	return e;
}

static void cpuid_set(struct kvm_cpuid_entry2 *e, uint32_t eax, uint32_t ebx, uint32_t ecx,
		      uint32_t edx)
{
	e->eax = eax;
	e->ebx = ebx;
	e->ecx = ecx;
	e->edx = edx;
}

static uint32_t min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

/* Leaves whose every register identifies the host: cache/TLB, topology, brand. */
static bool cpuid_is_identification(uint32_t function)
{
	switch (function) {
	case 2:
	case 4:
	case 0xb:
	case 0x1f:
	case CPUID_EXT | 2:
	case CPUID_EXT | 3:
	case CPUID_EXT | 4:
	case CPUID_EXT | 5:
	case CPUID_EXT | 6:
	case CPUID_EXT | 0x1d:
	case CPUID_EXT | 0x1e:
		return true;
	default:
		return false;
	}
}

/*
 * Host policy: everything KVM supports, with the host's identification
 * read by the cpuid instruction (KVM's table already mirrors most of it;
 * reading the host makes the rule hold whatever KVM filters).
 */
static void cpuid_apply_host(struct kvm_cpuid2 *table, cpuid_host_fn host)
{
	uint32_t r[4];

	for (uint32_t i = 0; i < table->nent; i++) {
		struct kvm_cpuid_entry2 *e = &table->entries[i];

		if ((e->function & 0xf0000000u) == 0x40000000u)
			continue; /* hypervisor leaves: KVM's and kdom's */
		host(e->function, e->index, r);
		if (e->function == 0) {
			cpuid_set(e, min_u32(e->eax, r[0]), r[1], r[2], r[3]);
		} else if (e->function == 1) {
			e->eax = r[0];
			e->ebx = (e->ebx & 0xffff0000u) | (r[1] & 0xffffu);
		} else if (e->function == (CPUID_EXT | 8)) {
			e->eax = r[0];
			e->ecx = r[2];
		} else if (cpuid_is_identification(e->function)) {
			cpuid_set(e, r[0], r[1], r[2], r[3]);
		}
	}
}

/* Brand string leaves 0x80000002..4 from a NUL-padded 48-byte string. */
static int cpuid_add_brand(struct kvm_cpuid2 *table, const char *brand)
{
	char text[48] = { 0 };
	uint32_t w[12];

	strncpy(text, brand, sizeof(text) - 1);
	memcpy(w, text, sizeof(w));
	for (unsigned int i = 0; i < 3; i++) {
		struct kvm_cpuid_entry2 *e = cpuid_add(table, CPUID_EXT | (2 + i), 0, false);

		if (!e)
			return -ENOSPC;
		cpuid_set(e, w[4 * i], w[4 * i + 1], w[4 * i + 2], w[4 * i + 3]);
	}
	return 0;
}

/* Bits needed to number n things (x2APIC ID shift). */
static uint32_t cpuid_shift(unsigned int n)
{
	uint32_t shift = 0;

	while ((1u << shift) < n)
		shift++;
	return shift;
}

/*
 * Leveled policy: built from nothing but the baseline, KVM's table
 * consulted for what the host can do, its vendor (instructions behave by
 * vendor, so it cannot be leveled) and its address sizes.
 */
static int cpuid_build_leveled(struct kvm_cpuid2 *table, const struct kvm_cpuid2 *supported,
			       unsigned int nr_vcpus)
{
	static const struct kvm_cpuid_entry2 none;
	const struct kvm_cpuid_entry2 *s0 = cpuid_find(supported, 0, 0);
	const struct kvm_cpuid_entry2 *s1 = cpuid_find(supported, 1, 0);
	const struct kvm_cpuid_entry2 *sx0 = cpuid_find(supported, CPUID_EXT, 0);
	const struct kvm_cpuid_entry2 *sx1 = cpuid_find(supported, CPUID_EXT | 1, 0);
	const struct kvm_cpuid_entry2 *sx8 = cpuid_find(supported, CPUID_EXT | 8, 0);
	uint32_t shift = cpuid_shift(nr_vcpus);
	struct kvm_cpuid_entry2 *e;

	s1 = s1 ? s1 : &none;
	sx1 = sx1 ? sx1 : &none;
	if (!s0)
		return -ENOENT;
	for (uint32_t i = 0; i < supported->nent; i++) {
		if ((supported->entries[i].function & 0xffffff00u) != 0x40000000u)
			continue; /* KVM's leaves stay KVM's */
		if (table->nent >= CPUID_MAX_ENTRIES)
			return -ENOSPC;
		table->entries[table->nent++] = supported->entries[i];
	}

	if (!(e = cpuid_add(table, 0, 0, false)))
		return -ENOSPC;
	cpuid_set(e, min_u32(s0->eax, BASELINE_MAX_BASIC), s0->ebx, s0->ecx, s0->edx);
	if (!(e = cpuid_add(table, 1, 0, false)))
		return -ENOSPC;
	cpuid_set(e, CPUID_BASELINE_SIGNATURE, 8u << 8 /* CLFLUSH: 64 bytes */,
		  s1->ecx & BASELINE_1_ECX, s1->edx & BASELINE_1_EDX);
	if (!(e = cpuid_add(table, 2, 0, false)))
		return -ENOSPC;
	e->eax = 1; /* one iteration, no descriptors: caches are not the host's business */
	if (!cpuid_add(table, 4, 0, true)) /* type 0: no deterministic cache leaves */
		return -ENOSPC;
	if (!cpuid_add(table, 7, 0, true)) /* nothing of leaf 7 is in the baseline */
		return -ENOSPC;
	/* Topology: nr_vcpus cores of one thread in one package. */
	if (!(e = cpuid_add(table, 0xb, 0, true)))
		return -ENOSPC;
	cpuid_set(e, 0, 1, 0x100, 0);
	if (!(e = cpuid_add(table, 0xb, 1, true)))
		return -ENOSPC;
	cpuid_set(e, shift, nr_vcpus, 0x201, 0);
	if (!(e = cpuid_add(table, 0xb, 2, true)))
		return -ENOSPC;
	cpuid_set(e, 0, 0, 2, 0);

	if (!sx0)
		return 0;
	if (!(e = cpuid_add(table, CPUID_EXT, 0, false)))
		return -ENOSPC;
	cpuid_set(e, min_u32(sx0->eax, BASELINE_MAX_EXT), sx0->ebx, sx0->ecx, sx0->edx);
	if (!(e = cpuid_add(table, CPUID_EXT | 1, 0, false)))
		return -ENOSPC;
	cpuid_set(e, CPUID_BASELINE_SIGNATURE, 0, sx1->ecx & BASELINE_81_ECX,
		  sx1->edx & BASELINE_81_EDX);
	if (cpuid_add_brand(table, CPUID_LEVELED_BRAND))
		return -ENOSPC;
	if (!(e = cpuid_add(table, CPUID_EXT | 8, 0, false)))
		return -ENOSPC;
	cpuid_set(e, sx8 ? sx8->eax : 0, 0, nr_vcpus - 1, 0);
	return 0;
}

static int cpuid_apply_override(struct kvm_cpuid2 *table, const struct kvm_cpuid2 *supported,
				const struct cpuid_override *ov, char *err, size_t errlen)
{
	for (size_t i = 0; i < ov->count; i++) {
		const struct cpuid_setting *s = &ov->settings[i];
		struct kvm_cpuid_entry2 *e = cpuid_entry(table, s->leaf, s->subleaf);
		const struct kvm_cpuid_entry2 *sup = cpuid_find(supported, s->leaf, s->subleaf);
		uint32_t mask = 1u << s->bit;

		if (!s->value) {
			if (e)
				*cpuid_reg(e, s->reg) &= ~mask;
			continue;
		}
		if (!e || !sup || !(*cpuid_reg((struct kvm_cpuid_entry2 *)sup, s->reg) & mask)) {
			snprintf(err, errlen,
				 "cpuid: %s=1, but KVM on this host does not support %s", s->name,
				 s->name);
			return -EINVAL;
		}
		*cpuid_reg(e, s->reg) |= mask;
	}
	return 0;
}

/* Everything that needs XSAVE to manage its state goes when XSAVE goes. */
static void cpuid_hide_xsave(struct kvm_cpuid_entry2 *entry)
{
	switch (entry->function) {
	case 1:
		entry->ecx &= ~(CPUID_1_ECX_XSAVE | CPUID_1_ECX_OSXSAVE | CPUID_1_ECX_AVX |
				CPUID_1_ECX_FMA | CPUID_1_ECX_F16C);
		break;
	case 7:
		if (entry->index == 0) {
			entry->ebx &= ~(CPUID_7_EBX_AVX2 | CPUID_7_EBX_AVX512_MASK);
			entry->ecx &= ~CPUID_7_ECX_AVX512_MASK;
			entry->edx &= ~CPUID_7_EDX_AVX512_MASK;
		} else if (entry->index == 1) {
			entry->eax = 0; /* AVX-VNNI, AVX512_BF16 and friends */
		}
		break;
	case 0xd:
		entry->eax = entry->ebx = entry->ecx = entry->edx = 0;
		break;
	default:
		break;
	}
}

static int cpuid_add_kdom_leaves(struct kvm_cpuid2 *table, const struct domain *domain)
{
	struct kvm_cpuid_entry2 *e = cpuid_add(table, KDOM_CPUID_BASE, 0, false);

	if (!e)
		return -ENOSPC;
	cpuid_set(e, KDOM_CPUID_INFO, KDOM_CPUID_SIGNATURE_EBX, KDOM_CPUID_SIGNATURE_ECX,
		  KDOM_CPUID_SIGNATURE_EDX);
	e = cpuid_add(table, KDOM_CPUID_INFO, 0, false);
	if (!e)
		return -ENOSPC;
	cpuid_set(e, KDOM_ABI_VERSION, domain->domid, domain_role_flags(domain),
		  KDOM_PORT_HYPERCALL);
	return 0;
}

/*
 * Xen's leaves (include/kdom/xen.h) at XEN_CPUID_BASE: the signature, the
 * version, one hypercall page installed through XEN_HYPERCALL_MSR, a time
 * leaf of zeros, and the HVM leaf with the domid (and the vCPU id, which
 * cpuid_for_vcpu() fills in).
 */
static int cpuid_add_xen_leaves(struct kvm_cpuid2 *table, const struct domain *domain)
{
	const uint32_t leaves[XEN_CPUID_LEAVES][4] = {
		{ XEN_CPUID_BASE + XEN_CPUID_LEAVES - 1, XEN_CPUID_SIGNATURE_EBX,
		  XEN_CPUID_SIGNATURE_ECX, XEN_CPUID_SIGNATURE_EDX },
		{ XEN_VERSION_MAJOR << 16 | XEN_VERSION_MINOR, 0, 0, 0 },
		{ 1, XEN_HYPERCALL_MSR, 0, 0 },
		{ 0, 0, 0, 0 },
		{ XEN_HVM_CPUID_VCPU_ID_PRESENT | XEN_HVM_CPUID_DOMID_PRESENT, 0, domain->domid,
		  0 },
	};

	for (uint32_t i = 0; i < XEN_CPUID_LEAVES; i++) {
		struct kvm_cpuid_entry2 *e = cpuid_add(table, XEN_CPUID_BASE + i, 0, false);

		if (!e)
			return -ENOSPC;
		cpuid_set(e, leaves[i][0], leaves[i][1], leaves[i][2], leaves[i][3]);
	}
	return 0;
}

static bool cpuid_is_kdom_range(uint32_t function)
{
	return (function & 0xffffff00u) == KDOM_CPUID_BASE ||
	       (function & 0xffffff00u) == XEN_CPUID_BASE;
}

struct kvm_cpuid2 *cpuid_build(const struct cpuid_request *req, char *err, size_t errlen)
{
	struct kvm_cpuid2 *table = calloc(1, cpuid_table_size());
	const struct kvm_cpuid2 *sup = req->supported;
	int ret = 0;

	if (!table) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (req->policy == POLICY_CPUID_HOST) {
		for (uint32_t i = 0; i < sup->nent && i < CPUID_MAX_ENTRIES; i++) {
			/* kdom's own ranges are filled below, whatever the host offered there. */
			if (cpuid_is_kdom_range(sup->entries[i].function))
				continue;
			table->entries[table->nent++] = sup->entries[i];
		}
		cpuid_apply_host(table, req->host ? req->host : cpuid_host);
	} else {
		ret = cpuid_build_leveled(table, sup, req->nr_vcpus);
	}
	if (ret) {
		snprintf(err, errlen, "%s",
			 ret == -ENOENT ? "KVM's CPUID table has no leaf 0" : "CPUID table full");
		goto fail;
	}
	if (req->override && cpuid_apply_override(table, sup, req->override, err, errlen))
		goto fail;
	for (uint32_t i = 0; i < table->nent; i++) {
		struct kvm_cpuid_entry2 *e = &table->entries[i];

		if (e->function == 1) {
			/* APIC ID (cpuid_for_vcpu's), logical processor count */
			e->ebx = (e->ebx & 0x0000ffffu) | (req->nr_vcpus & 0xff) << 16;
			e->ecx |= CPUID_1_ECX_HYPERVISOR;
			if (req->cpl0_emulated)
				e->ecx &= ~CPUID_1_ECX_CX16;
		}
		if (req->cpl0_emulated)
			cpuid_hide_xsave(e);
	}
	if (cpuid_add_kdom_leaves(table, req->domain) ||
	    (req->xen && cpuid_add_xen_leaves(table, req->domain))) {
		snprintf(err, errlen, "CPUID table full (%d entries)", CPUID_MAX_ENTRIES);
		goto fail;
	}
	return table;
fail:
	free(table);
	return NULL;
}

struct kvm_cpuid2 *cpuid_for_vcpu(const struct kvm_cpuid2 *table, unsigned int vcpu_id)
{
	struct kvm_cpuid2 *copy = malloc(cpuid_table_size());

	if (!copy)
		return NULL;
	memcpy(copy, table, sizeof(*table) + table->nent * sizeof(table->entries[0]));
	for (uint32_t i = 0; i < copy->nent; i++) {
		struct kvm_cpuid_entry2 *e = &copy->entries[i];

		if (e->function == 1)
			e->ebx = (e->ebx & 0x00ffffffu) | (vcpu_id << 24);
		else if (e->function == 0xb || e->function == 0x1f)
			e->edx = vcpu_id; /* x2APIC ID */
		else if (e->function == XEN_CPUID_BASE + 4)
			e->ebx = vcpu_id; /* XEN_HVM_CPUID_VCPU_ID_PRESENT */
	}
	return copy;
}

static int cpuid_entry_cmp(const void *a, const void *b)
{
	const struct kvm_cpuid_entry2 *x = a, *y = b;

	if (x->function != y->function)
		return x->function < y->function ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

void cpuid_sort(struct kvm_cpuid2 *table)
{
	qsort(table->entries, table->nent, sizeof(table->entries[0]), cpuid_entry_cmp);
}

struct kvm_cpuid2 *cpuid_build_domain(int kvm_fd, const struct domain *domain,
				      const struct cpuid_override *override, unsigned int nr_vcpus,
				      bool xen, char *err, size_t errlen)
{
	struct cpuid_request req = {
		.supported = cpuid_get_supported(kvm_fd),
		.policy = policy_cpuid(domain),
		.override = override,
		.domain = domain,
		.nr_vcpus = nr_vcpus,
		.cpl0_emulated = kvm_cpl0_emulated(),
		.xen = xen,
	};
	struct kvm_cpuid2 *table;

	if (!req.supported) {
		snprintf(err, errlen, "KVM_GET_SUPPORTED_CPUID failed");
		return NULL;
	}
	table = cpuid_build(&req, err, errlen);
	free((void *)req.supported);
	return table;
}

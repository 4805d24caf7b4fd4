/* xen-hello32: a 32-bit PVH guest (paging off or PAE) that finds Xen's leaves and calls through them. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kdom/abi.h"
#include "kdom/pvh.h"
#include "xen-hypercall.h"

/*
 * Built twice from this file with lib32/head32.S: xen-hello32.elf runs
 * with paging off, as the PVH entry leaves it; xen-hello32-pae.elf with
 * PAE paging.  Command line: expect-dom0=, expect-sif=, expect-domid= as
 * for xen-hello64, and expect-paging=none|pae.  Output and shutdown as
 * xen-hello64: console_io and SCHEDOP_shutdown (poweroff on SUCCESS, crash
 * otherwise) once the hypercall page works; before that, SKIP (no Xen
 * leaves) or FAILURE (no page) on COM1 and a reset through the i8042.
 */

#define XEN_VERSION_VALUE (XEN_VERSION_MAJOR << 16 | XEN_VERSION_MINOR)
#define UNKNOWN_HYPERCALL 63
#define CR0_PG (1u << 31)
#define CR4_PAE (1u << 5)

void guest32_main(uint32_t start_info_gpa);

static uint8_t hypercall_page[XEN_PAGE_SIZE] __attribute__((aligned(XEN_PAGE_SIZE))) = {
	[0 ... XEN_PAGE_SIZE - 1] = XEN_PAGE_FILL,
};
static const struct hvm_start_info *start_info;
static bool xen_console; /* the hypercall page works: lines go to console_io */
static unsigned int failures;
static char first_failure[96];

/* ---- Output, a line at a time, and the checks --------------------------------- */

static char line[160];
static unsigned int line_len;

static void put(const char *s)
{
	while (*s && line_len < sizeof(line) - 1)
		line[line_len++] = *s++;
}

/* Negative values (errors) in decimal, others in hex. */
static void put_value(long value)
{
	unsigned long v = value < 0 ? -(unsigned long)value : (unsigned long)value;
	unsigned int base = value < 0 ? 10 : 16;
	char text[16];
	int pos = sizeof(text) - 1;

	text[pos] = '\0';
	do {
		text[--pos] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	put(value < 0 ? "-" : "0x");
	put(text + pos);
}

static void line_end(void)
{
	line[line_len++] = '\n';
	if (xen_console) {
		xen_console_write(line, line_len);
	} else {
		for (unsigned int i = 0; i < line_len; i++)
			asm volatile("outb %0, %1" : : "a"(line[i]), "Nd"(KDOM_PORT_COM1));
	}
	line_len = 0;
}

/* "PASS: what" or "FAIL: what" opens the line; the first failure names the result. */
static void check_begin(bool ok, const char *what)
{
	put(ok ? "PASS: " : "FAIL: ");
	put(what);
	if (!ok && !failures++)
		for (unsigned int i = 0; what[i] && i < sizeof(first_failure) - 1; i++)
			first_failure[i] = what[i];
}

static void check(bool ok, const char *what)
{
	check_begin(ok, what);
	line_end();
}

static void check_eq(const char *what, long got, long want)
{
	check_begin(got == want, what);
	put(": ");
	put_value(got);
	if (got != want) {
		put(" (expected ");
		put_value(want);
		put(")");
	}
	line_end();
}

/* a, b and c joined, for check labels; one at a time. */
static const char *join(const char *a, const char *b, const char *c)
{
	static char text[80];
	const char *parts[] = { a, b, c };
	unsigned int len = 0;

	for (unsigned int p = 0; p < 3; p++)
		for (const char *s = parts[p]; *s && len < sizeof(text) - 1; s++)
			text[len++] = *s;
	text[len] = '\0';
	return text;
}

static void __attribute__((noreturn)) halt(void)
{
	for (;;)
		asm volatile("cli; hlt");
}

/* Before Xen's console works: the result on COM1, then the i8042's reset line. */
static void __attribute__((noreturn)) finish_without_xen(const char *result)
{
	put("Test result: ");
	put(result);
	line_end();
	asm volatile("outb %0, %1"
		     :
		     : "a"((uint8_t)KDOM_I8042_CMD_RESET), "Nd"(KDOM_PORT_I8042_CMD));
	halt();
}

static void __attribute__((noreturn)) finish(void)
{
	put("Test result: ");
	put(failures ? "FAILURE: " : "SUCCESS");
	put(failures ? first_failure : "");
	line_end();
	xen_sched_shutdown(failures ? SHUTDOWN_crash : SHUTDOWN_poweroff);
	halt();
}

/* ---- The command line ------------------------------------------------------ */

/* The value of "key=..." at the start of a word, or NULL. */
static const char *cmdline_value(const char *key)
{
	const char *cmdline = start_info && start_info->cmdline_paddr
				      ? (const char *)(uintptr_t)start_info->cmdline_paddr
				      : "";

	for (const char *word = cmdline; *word; word++) {
		unsigned int i = 0;

		if (word != cmdline && word[-1] != ' ')
			continue;
		while (key[i] && word[i] == key[i])
			i++;
		if (!key[i] && word[i] == '=')
			return word + i + 1;
	}
	return NULL;
}

/* A required decimal expectation; a missing one is a failure. */
static long expectation(const char *key)
{
	const char *text = cmdline_value(key);
	long value = 0;

	if (!text || *text < '0' || *text > '9') {
		check(false, join("no ", key, "=N on the command line"));
		return -1;
	}
	while (*text >= '0' && *text <= '9')
		value = value * 10 + (*text++ - '0');
	return value;
}

static bool expects_paging(const char *mode)
{
	const char *text = cmdline_value("expect-paging");
	unsigned int i = 0;

	while (text && mode[i] && text[i] == mode[i])
		i++;
	return text && !mode[i] && (text[i] == ' ' || !text[i]);
}

/* ---- The checks ------------------------------------------------------------- */

static void check_paging(void)
{
	unsigned long cr0, cr4;
	bool pae;

	asm volatile("mov %%cr0, %0" : "=r"(cr0));
	asm volatile("mov %%cr4, %0" : "=r"(cr4));
	pae = (cr0 & CR0_PG) && (cr4 & CR4_PAE);
	if (expects_paging("pae"))
		check(pae, "PAE paging on (CR0.PG and CR4.PAE)");
	else if (expects_paging("none"))
		check(!(cr0 & CR0_PG), "paging off (CR0.PG clear)");
	else
		check(false, "no expect-paging=none|pae on the command line");
}

static void check_leaves(uint32_t base, const uint32_t leaves[][4])
{
	uint32_t hvm_flags = XEN_HVM_CPUID_DOMID_PRESENT | XEN_HVM_CPUID_VCPU_ID_PRESENT;

	check_eq("Xen leaves at", base, XEN_CPUID_BASE);
	check_eq("base+1: version", leaves[1][0], XEN_VERSION_VALUE);
	check_eq("base+2: hypercall pages", leaves[2][0], 1);
	check_eq("base+2: MSR", leaves[2][1], XEN_HYPERCALL_MSR);
	check_eq("base+4: DOMID_PRESENT and VCPU_ID_PRESENT", leaves[4][0] & hvm_flags, hvm_flags);
	check_eq("base+4: vCPU id", leaves[4][1], 0);
	check_eq("base+4: domid", leaves[4][2], expectation("expect-domid"));
}

static void check_calls(void)
{
	static const char hello[] = "Hello from xen-hello32 through console_io\n";
	struct xen_feature_info features = { .submap_idx = 0 };
	long ret;

	check_eq("console_io write", xen_console_write(hello, sizeof(hello) - 1), 0);
	check_eq("xen_version", xen_version_op(XENVER_version, NULL), XEN_VERSION_VALUE);
	ret = xen_version_op(XENVER_get_features, &features);
	check_eq("XENVER_get_features submap 0", ret, 0);
	check_eq("XENFEAT_dom0", !!(features.submap & (1u << XENFEAT_dom0)),
		 expectation("expect-dom0"));
	check_eq("start_info SIF flags",
		 start_info ? (long)(start_info->flags & (SIF_PRIVILEGED | SIF_INITDOMAIN)) : -1,
		 expectation("expect-sif"));
	check_eq("unknown hypercall 63", xen_hypercall(UNKNOWN_HYPERCALL, 0, 0, 0, 0, 0),
		 -XEN_ENOSYS);
}

/* Every register but eax holds a distinct pattern across the call, arg1 in ebx. */
static void check_registers_kept(const char *what, unsigned int nr, unsigned long arg1, long want)
{
	struct xen_reg_check check_regs = { .stub = xen_hypercall_stub(nr) };

	for (unsigned int i = 0; i < XEN_CHECKED_REGS; i++)
		check_regs.in[i] = 0x11111111ul * (i + 1);
	check_regs.in[XEN_REG_ARG1] = arg1;
	xen_call_with_registers(&check_regs);
	check_eq(join(what, ": ", "result"), check_regs.result, want);
	for (unsigned int i = 0; i < XEN_CHECKED_REGS; i++)
		check_eq(join(what, ": kept ", xen_reg_names[i]), check_regs.out[i],
			 check_regs.in[i]);
	check_eq(join(what, ": kept ", "esp"), check_regs.sp_after, check_regs.sp_before);
}

void guest32_main(uint32_t start_info_gpa)
{
	uint32_t base = xen_cpuid_base(), leaves[XEN_CPUID_LEAVES][4];
	const struct hvm_start_info *si = (const void *)(uintptr_t)start_info_gpa;

	if (si && si->magic == XEN_HVM_START_MAGIC_VALUE)
		start_info = si;
	if (!base)
		finish_without_xen("SKIP: no Xen CPUID leaves in 0x40000000-0x4000ff00");
	for (unsigned int i = 0; i < XEN_CPUID_LEAVES; i++)
		xen_cpuid(base + i, leaves[i]);
	asm volatile("wrmsr"
		     :
		     : "c"(leaves[2][1]), "a"((uint32_t)(uintptr_t)hypercall_page), "d"(0)
		     : "memory");
	if (!xen_hypercall_page_filled(hypercall_page))
		finish_without_xen("FAILURE: the hypercall page is unchanged after its WRMSR");
	xen_hypercall_page_use(hypercall_page);
	xen_console = true;

	put("--- kdom test guest: xen-hello32: Xen's leaves, hypercall page and calls, 32-bit ---");
	line_end();
	check(true, "hypercall page installed: it holds stubs now, not RETs");
	check_paging();
	check_leaves(base, leaves);
	check_calls();
	check_registers_kept("xen_version(VERSION)", __HYPERVISOR_xen_version, XENVER_version,
			     XEN_VERSION_VALUE);
	check_registers_kept("unknown hypercall", UNKNOWN_HYPERCALL, 0x55555555ul, -XEN_ENOSYS);
	finish();
}

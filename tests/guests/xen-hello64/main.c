/* xen-hello64: a 64-bit PVH guest that finds Xen's leaves and calls through the hypercall page. */
#include "guest.h"
#include "xen-hello64.h"
#include "xen-hypercall.h"

const char test_title[] = "xen-hello64: Xen's CPUID leaves, hypercall page and calls, 64-bit";

/*
 * Command line (from the test): expect-dom0=0|1 (XENFEAT_dom0),
 * expect-sif=N (hvm_start_info flags: SIF_PRIVILEGED 1, SIF_INITDOMAIN 2),
 * expect-domid=N.  Or one of two other modes: do=STEP,... want=R,... see=D+D
 * (domctl and sysctl through the page, manage.c), release=N (N pages
 * given back with decrease_reservation, release.c).
 *
 * Only Xen's interface: once the hypercall page works, all output goes
 * through console_io and the domain ends with SCHEDOP_shutdown, poweroff
 * on SUCCESS and crash otherwise.  Before that there is nothing of Xen's to
 * use: no leaves means SKIP on COM1 and a reset through the i8042 (kdom
 * exits 4); leaves without a working page, FAILURE the same way.  Every
 * CPUID runs in test_setup(), before any user-mode entry.
 */

/* Nothing is mapped above 4 GiB (head.S): a linear address there has no translation. */
#define UNMAPPED_ADDR (8ull << 30)
#define UNKNOWN_HYPERCALL 63
#define UNKNOWN_XENVER 99
#define BAD_SHUTDOWN_REASON 5
#define XEN_VERSION_VALUE (XEN_VERSION_MAJOR << 16 | XEN_VERSION_MINOR)

static uint8_t hypercall_page[XEN_PAGE_SIZE] __attribute__((aligned(XEN_PAGE_SIZE))) = {
	[0 ... XEN_PAGE_SIZE - 1] = XEN_PAGE_FILL,
};
static uint32_t xen_base;
static uint32_t leaves[XEN_CPUID_LEAVES][4]; /* base .. base+4: eax, ebx, ecx, edx */

static void console_by_xen(const char *s, size_t len)
{
	xen_console_write(s, len);
}

static void shutdown_by_xen(unsigned int reason, int result)
{
	xen_sched_shutdown(result == KDOM_RESULT_SUCCESS ? SHUTDOWN_poweroff : SHUTDOWN_crash);
}

static void shutdown_by_reset(unsigned int reason, int result)
{
	outb(KDOM_PORT_I8042_CMD, KDOM_I8042_CMD_RESET);
}

void test_setup(void)
{
	exinfo_t ex;

	test_set_shutdown(shutdown_by_reset);
	xen_base = xen_cpuid_base();
	if (!xen_base) {
		test_skip("no Xen CPUID leaves in 0x%x-0x%x", XEN_CPUID_SCAN_FIRST,
			  XEN_CPUID_SCAN_LAST);
		test_exit();
	}
	for (unsigned int i = 0; i < XEN_CPUID_LEAVES; i++)
		xen_cpuid(xen_base + i, leaves[i]);
	ex = wrmsr_safe(leaves[2][1], (uint64_t)hypercall_page);
	if (exinfo_faulted(ex) || !xen_hypercall_page_filled(hypercall_page)) {
		test_fail("no hypercall page through MSR 0x%x (%s)", leaves[2][1],
			  ex ? exception_name(exinfo_vector(ex)) : "the page is unchanged");
		test_exit();
	}
	xen_hypercall_page_use(hypercall_page);
	console_set_writer(console_by_xen);
	test_set_shutdown(shutdown_by_xen);
}

/* A required number from the command line. */
static bool expectation(const char *key, uint64_t *value)
{
	const char *text = cmdline_get(key);

	if (text && parse_u64(text, value))
		return true;
	test_error("no %s=N on the command line", key);
	return false;
}

static void check_leaves(uint64_t domid)
{
	uint32_t hvm_flags = XEN_HVM_CPUID_DOMID_PRESENT | XEN_HVM_CPUID_VCPU_ID_PRESENT;

	report(xen_base == XEN_CPUID_BASE, "Xen leaves at 0x%x (expected 0x%x)", xen_base,
	       XEN_CPUID_BASE);
	report(leaves[0][0] >= xen_base + XEN_CPUID_LEAVES - 1, "highest Xen leaf 0x%x",
	       leaves[0][0]);
	report(leaves[1][0] == XEN_VERSION_VALUE, "base+1: version 0x%x (expected 0x%x)",
	       leaves[1][0], XEN_VERSION_VALUE);
	report(leaves[2][0] == 1 && leaves[2][1] == XEN_HYPERCALL_MSR,
	       "base+2: %u hypercall page(s) through MSR 0x%x", leaves[2][0], leaves[2][1]);
	report((leaves[4][0] & hvm_flags) == hvm_flags,
	       "base+4: flags 0x%x with DOMID_PRESENT and VCPU_ID_PRESENT", leaves[4][0]);
	report(leaves[4][1] == 0, "base+4: vCPU id %u (expected 0)", leaves[4][1]);
	report(leaves[4][2] == domid, "base+4: domid %u (expected %lu)", leaves[4][2], domid);
}

static void check_calls(uint64_t dom0, uint64_t sif)
{
	static const char hello[] = "Hello from xen-hello64 through console_io\n";
	struct xen_feature_info features = { .submap_idx = 0 };
	const struct hvm_start_info *si = start_info();
	uint32_t si_flags = si ? si->flags & (SIF_PRIVILEGED | SIF_INITDOMAIN) : ~0u;
	bool is_dom0;
	long ret;

	report(true, "hypercall page installed: it holds stubs now, not the RETs it held");
	ret = xen_console_write(hello, sizeof(hello) - 1);
	report(ret == 0, "console_io write: %ld", ret);
	ret = xen_version_op(XENVER_version, NULL);
	report(ret == XEN_VERSION_VALUE, "xen_version: 0x%lx (expected 0x%x)", ret,
	       XEN_VERSION_VALUE);
	ret = xen_version_op(XENVER_get_features, &features);
	is_dom0 = features.submap & (1u << XENFEAT_dom0);
	report(ret == 0, "XENVER_get_features submap 0: %ld", ret);
	report(is_dom0 == dom0, "XENFEAT_dom0 %s (expected %s)", is_dom0 ? "set" : "clear",
	       dom0 ? "set" : "clear");
	report(si_flags == sif, "start_info SIF flags 0x%x (expected 0x%lx)", si_flags, sif);
}

/* The frame above the highest RAM of the memory map this domain booted with. */
static uint64_t own_max_frame(void)
{
	const struct hvm_start_info *si = start_info();
	const struct hvm_memmap_table_entry *map;
	uint64_t top = 0;

	if (!si)
		return 0;
	map = (const void *)(uintptr_t)si->memmap_paddr;
	for (uint32_t i = 0; i < si->memmap_entries; i++)
		if (map[i].type == XEN_HVM_MEMMAP_TYPE_RAM &&
		    (map[i].addr + map[i].size) >> 12 > top)
			top = (map[i].addr + map[i].size) >> 12;
	return top;
}

/* XENMEM_maximum_ram_page: the host's for the hardware domain, the domain's own otherwise. */
static void check_memory_extent(bool dom0)
{
	long ret = xen_hypercall2(__HYPERVISOR_memory_op, XENMEM_maximum_ram_page, 0);
	uint64_t own = own_max_frame();

	if (dom0)
		report(ret > 0 && (uint64_t)ret > own,
		       "maximum_ram_page 0x%lx: the host's, above this domain's 0x%lx", ret, own);
	else
		report((uint64_t)ret == own, "maximum_ram_page 0x%lx: this domain's own (0x%lx)",
		       ret, own);
}

static void check_errors(void)
{
	long ret;

	ret = xen_hypercall(UNKNOWN_HYPERCALL, 0, 0, 0, 0, 0);
	report(ret == -XEN_ENOSYS, "unknown hypercall %d: %ld (expected -ENOSYS)",
	       UNKNOWN_HYPERCALL, ret);
	ret = xen_version_op(UNKNOWN_XENVER, NULL);
	report(ret == -XEN_ENOSYS, "unknown xen_version sub-op %d: %ld (expected -ENOSYS)",
	       UNKNOWN_XENVER, ret);
	ret = xen_hypercall(__HYPERVISOR_console_io, CONSOLEIO_write, 16, UNMAPPED_ADDR, 0, 0);
	report(ret == -XEN_EFAULT, "console_io from unmapped 0x%llx: %ld (expected -EFAULT)",
	       UNMAPPED_ADDR, ret);
	ret = xen_sched_shutdown(BAD_SHUTDOWN_REASON);
	report(ret == -XEN_EINVAL, "SCHEDOP_shutdown reason %d: %ld (expected -EINVAL)",
	       BAD_SHUTDOWN_REASON, ret);
}

static long user_xen_version(void *arg)
{
	return xen_version_op(XENVER_version, NULL);
}

static void user_call_at_iopl0(void *ret)
{
	*(long *)ret = run_user_iopl(user_xen_version, NULL, 0);
}

/*
 * From CPL3 the stub's OUT is the CPU's to refuse: at IOPL 0, with the port
 * denied in the TSS's I/O bitmap (hosts that run CPL3 natively consult
 * only the bitmap), it raises #GP; at IOPL 3 it reaches Xen's interface,
 * which refuses a call from user mode with -EPERM.
 */
static void check_user_mode(void)
{
	long ret = 0;
	exinfo_t ex;

	user_port_deny(XEN_HYPERCALL_PORT, true);
	ex = exception_catch(user_call_at_iopl0, &ret);
	user_port_deny(XEN_HYPERCALL_PORT, false);
	report(exinfo_faulted(ex) && exinfo_vector(ex) == X86_EXC_GP,
	       "call from CPL3 at IOPL 0 raises #GP (got %s, result %ld)",
	       exinfo_faulted(ex) ? exception_name(exinfo_vector(ex)) : "none", ret);
	ret = run_user_iopl(user_xen_version, NULL, 3);
	report(ret == -XEN_EPERM, "call from CPL3 at IOPL 3: %ld (expected -EPERM)", ret);
}

/* Every register but rax holds a distinct pattern across the call, arg1 in rdi. */
static void check_registers_kept(const char *what, unsigned int nr, unsigned long arg1, long want)
{
	struct xen_reg_check check = { .stub = xen_hypercall_stub(nr) };
	unsigned int changed = 0;

	for (unsigned int i = 0; i < XEN_CHECKED_REGS; i++)
		check.in[i] = 0x1111111111111111ul * (i + 1);
	check.in[XEN_REG_ARG1] = arg1;
	xen_call_with_registers(&check);
	for (unsigned int i = 0; i < XEN_CHECKED_REGS; i++) {
		if (check.out[i] == check.in[i])
			continue;
		changed++;
		printf("%s: %s was 0x%lx, is 0x%lx\n", what, xen_reg_names[i], check.in[i],
		       check.out[i]);
	}
	report(check.result == want, "%s: result %ld (expected %ld)", what, check.result, want);
	report(!changed, "%s: rbx rcx rdx rsi rdi rbp r8-r15 kept (%u changed)", what, changed);
	report(check.sp_after == check.sp_before, "%s: rsp kept", what);
}

/* Two allocations get consecutive ports: each call was served exactly once. */
static void check_served_once(void)
{
	struct evtchn_alloc_unbound first = { .dom = XEN_DOMID_SELF, .remote_dom = 0 };
	struct evtchn_alloc_unbound second = first;
	long ret1, ret2;

	ret1 = xen_hypercall2(__HYPERVISOR_event_channel_op, EVTCHNOP_alloc_unbound,
			      (unsigned long)&first);
	ret2 = xen_hypercall2(__HYPERVISOR_event_channel_op, EVTCHNOP_alloc_unbound,
			      (unsigned long)&second);
	report(ret1 == 0 && ret2 == 0, "EVTCHNOP_alloc_unbound twice: %ld, %ld", ret1, ret2);
	report(second.port == first.port + 1, "ports %u then %u: each call served exactly once",
	       first.port, second.port);
}

void test_main(void)
{
	uint64_t dom0, sif, domid, release;

	if (xen_manage_mode())
		return;
	if (cmdline_get("release") && parse_u64(cmdline_get("release"), &release)) {
		xen_check_release(release);
		return;
	}
	if (!expectation("expect-dom0", &dom0) || !expectation("expect-sif", &sif) ||
	    !expectation("expect-domid", &domid))
		return;
	check_leaves(domid);
	check_calls(dom0, sif);
	check_memory_extent(dom0);
	check_errors();
	check_registers_kept("xen_version(VERSION)", __HYPERVISOR_xen_version, XENVER_version,
			     XEN_VERSION_VALUE);
	check_registers_kept("unknown hypercall", UNKNOWN_HYPERCALL, 0x5555555555555555ul,
			     -XEN_ENOSYS);
	check_served_once();
	check_user_mode();
}

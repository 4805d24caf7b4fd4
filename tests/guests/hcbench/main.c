/* hcbench: the hypercall benchmark; a Xen hypercall through the page against port exits. */
#include "guest.h"
#include "kdom/xen.h"

const char test_title[] = "hcbench: Xen hypercall page against the port-exit floor";

#define DEFAULT_ITERATIONS 2000
#define ROUNDS 5

static uint8_t hypercall_page[4096] __attribute__((aligned(4096)));

/*
 * The floor in the stub's own shape: the same mov/out/ret to the empty port
 * 0x80, so that page / stub-floor is kdom's serving cost alone (the call,
 * mov and ret cost the same in both; where kernel code is emulated they
 * are not free).
 */
static uint8_t floor_stub[8] __attribute__((aligned(8))) = {
	0xb8, __HYPERVISOR_xen_version, 0, 0, 0, /* mov $17, %eax */
	0xe6, KDOM_PORT_POST,			 /* out %al, $0x80 */
	0xc3,					 /* ret */
};

/* xen_version(XENVER_version) through a stub (page's 17, or the floor's): the cheapest real call. */
static long stub_call(const uint8_t *stub)
{
	register unsigned long a1 asm("rdi") = XENVER_version;
	register unsigned long a2 asm("rsi") = 0;
	long ret;

	asm volatile("call *%[stub]" : "=a"(ret), "+r"(a1), "+r"(a2) : [stub] "r"(stub) : "memory");
	return ret;
}

static long xen_version_call(void)
{
	return stub_call(hypercall_page + __HYPERVISOR_xen_version * XEN_HYPERCALL_STUB_SIZE);
}

static uint32_t xen_find_leaves(void)
{
	for (uint32_t base = 0x40000000; base < 0x40010000; base += 0x100) {
		struct cpuid_regs r = cpuid(base);

		if (r.ebx == XEN_CPUID_SIGNATURE_EBX && r.ecx == XEN_CPUID_SIGNATURE_ECX &&
		    r.edx == XEN_CPUID_SIGNATURE_EDX)
			return base;
	}
	return 0;
}

enum { FLOOR, STUB, PORT, PAGE, KINDS };

/* Cycles for n calls of one kind, from kernel mode (hypercalls are the kernel's). */
static uint64_t time_calls(int kind, uint64_t n)
{
	uint64_t args[4] = { 0 };
	uint64_t start = rdtsc();

	for (uint64_t i = 0; i < n; i++) {
		if (kind == FLOOR)
			outb(KDOM_PORT_POST, 0);
		else if (kind == STUB)
			stub_call(floor_stub);
		else if (kind == PORT)
			xen_version(KDOM_XENVER_VERSION, args);
		else
			xen_version_call();
	}
	return rdtsc() - start;
}

void test_main(void)
{
	uint64_t n = cmdline_get_u64("iterations", DEFAULT_ITERATIONS), best[KINDS];
	uint32_t base = xen_find_leaves();

	if (!base) {
		test_skip("no Xen leaves: run with --xen");
		return;
	}
	if (!n) {
		test_error("iterations must be at least 1");
		return;
	}
	wrmsr(cpuid(base + 2).ebx, (uint64_t)(uintptr_t)hypercall_page);
	if (xen_version_call() != (XEN_VERSION_MAJOR << 16 | XEN_VERSION_MINOR)) {
		test_fail("xen_version through the page answered wrongly");
		return;
	}
	/* Interleaved rounds share the host's noise; the best round of each kind counts. */
	for (int kind = 0; kind < KINDS; kind++)
		best[kind] = UINT64_MAX;
	for (int round = 0; round < ROUNDS; round++)
		for (int kind = 0; kind < KINDS; kind++) {
			uint64_t cycles = time_calls(kind, n);

			if (cycles < best[kind])
				best[kind] = cycles;
		}
	printf("hcbench: %lu calls, cycles/call:", n);
	for (int kind = 0; kind < KINDS; kind++)
		printf(" %s %lu.%02lu", (const char *[]){ "floor", "stub", "port", "page" }[kind],
		       best[kind] / n, best[kind] * 100 / n % 100);
	printf("\n");
}

/* xen-hello64's release mode: pages given back with XENMEM_decrease_reservation. */
#include "guest.h"
#include "xen-hello64.h"
#include "xen-hypercall.h"

#define RELEASE_MAX_PAGES 1024 /* 4 MiB */
#define EXTENTS_PER_CALL 512   /* as Linux's balloon driver asks */

static uint8_t pages[RELEASE_MAX_PAGES][XEN_PAGE_SIZE] __attribute__((aligned(XEN_PAGE_SIZE)));
static uint64_t gfns[EXTENTS_PER_CALL];

static long decrease_reservation(uint64_t first, uint64_t n)
{
	struct xen_memory_reservation64 r = {
		.extent_start = (uint64_t)(uintptr_t)gfns,
		.nr_extents = n,
		.extent_order = 0,
		.domid = XEN_DOMID_SELF,
	};

	for (uint64_t i = 0; i < n; i++)
		gfns[i] = (uint64_t)(uintptr_t)pages[first + i] / XEN_PAGE_SIZE;
	return xen_hypercall2(__HYPERVISOR_memory_op, XENMEM_decrease_reservation,
			      (unsigned long)&r);
}

void xen_check_release(uint64_t n)
{
	uint64_t released = 0, nonzero = 0;

	if (n > RELEASE_MAX_PAGES) {
		test_error("release=%lu: at most %d pages", n, RELEASE_MAX_PAGES);
		return;
	}
	for (uint64_t i = 0; i < n; i++)
		memset(pages[i], 0x5a, XEN_PAGE_SIZE); /* every page backed by host memory */
	for (uint64_t i = 0; i < n; i += EXTENTS_PER_CALL) {
		uint64_t chunk = n - i < EXTENTS_PER_CALL ? n - i : EXTENTS_PER_CALL;
		long ret = decrease_reservation(i, chunk);

		if (ret > 0)
			released += (uint64_t)ret;
		if ((uint64_t)ret != chunk)
			break;
	}
	report(released == n, "decrease_reservation released %lu of %lu pages", released, n);
	/*
	 * A read brings a page back (zeroed), so only every 64th is read, whole:
	 * the rest stays given back for `kdom run --stats` to see.
	 */
	for (uint64_t i = 0; i < n; i += 64)
		for (unsigned int b = 0; b < XEN_PAGE_SIZE; b++)
			nonzero += pages[i][b] != 0;
	report(!nonzero, "the released pages read as zeros (%lu bytes not)", nonzero);
}

/* Hypercall op handlers: what each op does for the calling domain. */
#ifndef KDOM_HYPERCALL_H
#define KDOM_HYPERCALL_H

#include <stdbool.h>
#include <stdint.h>

#include "hv-roles/domain.h"
#include "kdom/abi.h"

/* What the handlers need from the monitor, so hv-roles does not depend on vmm/. */
struct hypercall_ops {
	/* The caller asked to shut down with a SHUTDOWN_* reason and a KDOM_RESULT_*. */
	void (*shutdown)(void *opaque, uint32_t reason, uint32_t result);
	/* The toolstack's pending shutdown request: SHUTDOWN_* + 1, or 0 for none. */
	uint32_t (*control_request)(void *opaque);
	/*
	 * The host's memory extent (host) or the caller's own: its RAM in
	 * bytes and the frame above its highest RAM.
	 */
	void (*memory_extent)(void *opaque, bool host, uint64_t *bytes, uint64_t *max_pfn);
	/*
	 * Domain management (domctl, sysctl, remote shutdown, launch
	 * finalization, DOM_EXC) goes to the toolstack, which applies the
	 * policy with what it knows of the targets; NULL without one.  Returns
	 * the hypercall's ret, filling req's output args.
	 */
	int64_t (*manage)(void *opaque, struct kdom_hypercall *req);
	/* A management op refused by role before reaching the toolstack: for the log. */
	void (*refused)(void *opaque, const struct kdom_hypercall *req);
	void *opaque;
};

/*
 * Serve one validated request block from `caller`: fills req->ret (and any
 * output args).  Unknown ops and sub-ops get -KDOM_ENOSYS, bad arguments
 * -KDOM_EINVAL.  Never fails otherwise.
 */
void hypercall_dispatch(const struct domain *caller, const struct hypercall_ops *ops,
			struct kdom_hypercall *req);

#endif

/* The kdom hypercall port: request blocks, xen_version and SCHEDOP_shutdown. */
#include "lib.h"

_Static_assert(sizeof(struct kdom_hypercall) == KDOM_HYPERCALL_SIZE, "ABI block size");

int64_t hypercall_issue(struct kdom_hypercall *hc)
{
	/*
	 * The identity map makes the pointer the guest-physical address; the
	 * "memory" clobber of outl() orders the block's writes and the read
	 * of ->ret around the exit.
	 */
	outl(KDOM_PORT_HYPERCALL, (uint32_t)(uint64_t)hc);
	return __atomic_load_n(&hc->ret, __ATOMIC_RELAXED);
}

int64_t hypercall(uint32_t op, uint32_t cmd, uint64_t args[4])
{
	struct kdom_hypercall hc __attribute__((aligned(8))) = { .op = op, .cmd = cmd };
	int64_t ret;

	if (args)
		memcpy(hc.arg, args, sizeof(hc.arg));
	ret = hypercall_issue(&hc);
	if (args)
		memcpy(args, hc.arg, sizeof(hc.arg));
	return ret;
}

int64_t xen_version(uint32_t cmd, uint64_t args[4])
{
	return hypercall(KDOM_HC_XEN_VERSION, cmd, args);
}

int64_t sched_shutdown(unsigned int reason, unsigned int result)
{
	uint64_t args[4] = { reason, result };

	return hypercall(KDOM_HC_SCHED_OP, KDOM_SCHEDOP_SHUTDOWN, args);
}

bool control_request(unsigned int *reason)
{
	uint64_t args[4] = { 0 };

	if (hypercall(KDOM_HC_KDOM_OP, KDOM_KDOMOP_GET_CONTROL_REQUEST, args) != 0 || !args[0])
		return false;
	*reason = args[1];
	return true;
}

/* The kdom hypercall port: validates the guest's request block and hands it to hv-roles. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "devices/hypercall-port.h"
#include "hv-roles/hypercall.h"
#include "kdom/abi.h"
#include "vmm/host-memory.h"
#include "vmm/log.h"
#include "vmm/vm.h"

#define HYPERCALL_PORT_COMPLAINTS 10

_Static_assert(sizeof(struct kdom_hypercall) == KDOM_HYPERCALL_SIZE, "ABI block size");

void hypercall_port_guest_shutdown(struct vm *vm, uint32_t reason, uint32_t result)
{
	switch (reason) {
	case KDOM_SHUTDOWN_POWEROFF:
		vm_stop(vm, VM_STOP_POWEROFF, result, "%s", "");
		break;
	case KDOM_SHUTDOWN_REBOOT:
		vm_stop(vm, VM_STOP_REBOOT, 0, "guest requested reboot (SCHEDOP_shutdown)");
		break;
	case KDOM_SHUTDOWN_SUSPEND:
		vm_stop(vm, VM_STOP_SUSPEND, 0, "guest suspended itself (SCHEDOP_shutdown)");
		break;
	case KDOM_SHUTDOWN_CRASH:
		vm_stop(vm, VM_STOP_CRASH, 0, "guest crashed (SCHEDOP_shutdown)");
		break;
	case KDOM_SHUTDOWN_WATCHDOG:
		vm_stop(vm, VM_STOP_WATCHDOG, 0, "guest watchdog fired (SCHEDOP_shutdown)");
		break;
	}
}

/* A misbehaving guest gets a few warnings, not a flood of them. */
static void hypercall_port_complain(struct hypercall_port *hp, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void hypercall_port_complain(struct hypercall_port *hp, const char *fmt, ...)
{
	char message[256];
	va_list ap;

	/* The count this call took, not a re-read that another vCPU may have moved. */
	unsigned int count = __atomic_fetch_add(&hp->complaints, 1, __ATOMIC_RELAXED) + 1;

	if (count > HYPERCALL_PORT_COMPLAINTS)
		return;
	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	log_warn("hypercall port: %s%s", message,
		 count == HYPERCALL_PORT_COMPLAINTS ? " (further warnings suppressed)" : "");
}

static void hypercall_port_shutdown(void *opaque, uint32_t reason, uint32_t result)
{
	struct hypercall_port *hp = opaque;

	hypercall_port_guest_shutdown(hp->vm, reason, result);
}

/*
 * The guest reads the request: the first time registers it as one that
 * does.  Sequentially consistent, as the toolstack's side (record, then
 * look at reads_requests): one of the two sees the other's store, so a
 * request is never left with neither an NMI nor an answer here.
 */
static uint32_t hypercall_port_control_request(void *opaque)
{
	struct hypercall_port *hp = opaque;

	__atomic_store_n(&hp->reads_requests, true, __ATOMIC_SEQ_CST);
	return __atomic_load_n(&hp->shutdown_request, __ATOMIC_SEQ_CST);
}

bool hypercall_port_reads_requests(struct hypercall_port *hp)
{
	return __atomic_load_n(&hp->reads_requests, __ATOMIC_SEQ_CST);
}

void hypercall_port_memory_extent(struct vm *vm, bool host, uint64_t *bytes, uint64_t *max_pfn)
{
	const struct guest_mem *mem = &vm->mem;

	if (host && host_memory_extent(bytes, max_pfn) == 0)
		return;
	/* Its own (or, should the host's not be readable, nothing more than its own). */
	*bytes = mem->size;
	*max_pfn = (gmem_high_end(mem) ? gmem_high_end(mem) : gmem_low_end(mem)) >> 12;
}

static void hypercall_port_extent(void *opaque, bool host, uint64_t *bytes, uint64_t *max_pfn)
{
	struct hypercall_port *hp = opaque;

	hypercall_port_memory_extent(hp->vm, host, bytes, max_pfn);
}

static int64_t hypercall_port_manage(void *opaque, struct kdom_hypercall *req)
{
	struct hypercall_port *hp = opaque;

	return hp->manage(hp->manage_opaque, req);
}

/* What a management op is, for the log: "pause domain 3", "getdomaininfolist". */
static void hypercall_op_describe(const struct kdom_hypercall *req, char *buf, size_t len)
{
	static const char *const domctls[] = {
		[KDOM_DOMCTL_CREATEDOMAIN] = "create",
		[KDOM_DOMCTL_DESTROYDOMAIN] = "destroy",
		[KDOM_DOMCTL_PAUSEDOMAIN] = "pause",
		[KDOM_DOMCTL_UNPAUSEDOMAIN] = "unpause",
		[KDOM_DOMCTL_GETDOMAININFO] = "getdomaininfo",
	};

	if (req->op == KDOM_HC_DOMCTL && req->cmd == KDOM_DOMCTL_CREATEDOMAIN)
		snprintf(buf, len, "create a domain");
	else if (req->op == KDOM_HC_DOMCTL && req->cmd < sizeof(domctls) / sizeof(domctls[0]) &&
		 domctls[req->cmd])
		snprintf(buf, len, "%s domain %llu", domctls[req->cmd],
			 (unsigned long long)(req->arg[0] & 0xffffffff));
	else if (req->op == KDOM_HC_DOMCTL)
		snprintf(buf, len, "use domctl %u", req->cmd);
	else if (req->op == KDOM_HC_SCHED_OP)
		snprintf(buf, len, "shut down domain %llu",
			 (unsigned long long)(req->arg[0] & 0xffffffff));
	else if (req->op == KDOM_HC_SYSCTL)
		snprintf(buf, len, "getdomaininfolist");
	else if (req->cmd == KDOM_KDOMOP_LAUNCH_FINALIZE)
		snprintf(buf, len, "finalize the launch");
	else
		snprintf(buf, len, "read domain exceptions");
}

void hypercall_port_log_refusal(struct hypercall_port *hp, const struct kdom_hypercall *req)
{
	const struct domain *d = hp->vm->domain;
	char what[64];

	hypercall_op_describe(req, what, sizeof(what));
	hypercall_port_complain(hp, "policy: domain %u (%s) may not %s: it is not a control domain",
				d->domid, d->name, what);
}

static void hypercall_port_refused(void *opaque, const struct kdom_hypercall *req)
{
	hypercall_port_log_refusal(opaque, req);
}

static void hypercall_port_io(void *opaque, struct bus_access *access)
{
	struct hypercall_port *hp = opaque;
	struct vm *vm = hp->vm;
	struct kdom_hypercall req;
	uint32_t gpa;
	void *block;

	if (!access->write) {
		/* Reading the port tells a guest which ABI this kdom speaks. */
		memset(access->data, 0, access->len);
		access->data[0] = KDOM_ABI_VERSION;
		return;
	}
	if (access->len != 4 || access->offset != 0) {
		hypercall_port_complain(hp,
					"%u-byte write at offset %llu ignored (needs a 32-bit OUT)",
					access->len, (unsigned long long)access->offset);
		return;
	}
	memcpy(&gpa, access->data, sizeof(gpa));
	if (gpa % 8) {
		hypercall_port_complain(hp, "request block at 0x%x is not 8-byte aligned", gpa);
		return;
	}
	block = gmem_ptr(&vm->mem, gpa, sizeof(req));
	if (!block) {
		hypercall_port_complain(hp, "request block at 0x%x is not in guest RAM", gpa);
		return;
	}
	/* Work on a copy: another vCPU may change the block while we serve it. */
	memcpy(&req, block, sizeof(req));
	struct hypercall_ops ops = {
		.shutdown = hypercall_port_shutdown,
		.control_request = hypercall_port_control_request,
		.memory_extent = hypercall_port_extent,
		.manage = hp->manage ? hypercall_port_manage : NULL,
		.refused = hypercall_port_refused,
		.opaque = hp,
	};
	hypercall_dispatch(vm->domain, &ops, &req);
	memcpy(block, &req, sizeof(req));
}

int hypercall_port_create(struct hypercall_port *hp, struct vm *vm)
{
	hp->vm = vm;
	hp->complaints = 0;
	hp->shutdown_request = 0;
	hp->reads_requests = false;
	hp->manage = NULL;
	hp->manage_opaque = NULL;
	return bus_register(&vm->pio, KDOM_PORT_HYPERCALL, 4, hypercall_port_io, hp, "hypercall");
}

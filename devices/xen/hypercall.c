/* Xen's hypercall page and its exits: install the page, decode each call, serve it through ops.c. */
#include "devices/xen/hypercall.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "devices/hypercall-port.h"
#include "vmm/console.h"
#include "vmm/host-memory.h"
#include "vmm/log.h"
#include "vmm/vcpu.h"
#include "vmm/vm.h"

#define XEN_PAGE_SIZE 4096u
#define XEN_COMPLAINTS 10
#define EFER_LMA (1ull << 10)
/* Memory slots 0 and 1 are RAM (vm_create()); add_to_physmap's pages follow. */
#define XEN_EXTRA_SLOT0 2

_Static_assert(XEN_HYPERCALL_STUBS *XEN_HYPERCALL_STUB_SIZE == XEN_PAGE_SIZE, "one page");
_Static_assert(XEN_HYPERCALL_PORT <= 0xff, "the OUT takes the port as an 8-bit immediate");

void xen_hypercall_page_fill(uint8_t page[4096])
{
	memset(page, 0xcc, XEN_PAGE_SIZE); /* int3 between the stubs */
	for (uint32_t n = 0; n < XEN_HYPERCALL_STUBS; n++) {
		uint8_t *stub = page + n * XEN_HYPERCALL_STUB_SIZE;

		stub[0] = 0xb8; /* mov $n, %eax: the whole of rax, the result's register */
		memcpy(stub + 1, &n, 4);
		stub[5] = 0xe6; /* out %al, $port: reads al, writes nothing */
		stub[6] = XEN_HYPERCALL_PORT;
		stub[7] = 0xc3; /* ret */
	}
}

bool xen_long_mode(const struct kvm_sregs *sregs)
{
	return (sregs->efer & EFER_LMA) && sregs->cs.l;
}

void xen_call_decode(const struct kvm_regs *regs, bool long_mode, unsigned int vcpu_id,
		     struct xen_call *call)
{
	memset(call, 0, sizeof(*call));
	call->op = (uint32_t)regs->rax;
	call->long_mode = long_mode;
	call->vcpu_id = vcpu_id;
	if (long_mode) {
		const uint64_t args[5] = { regs->rdi, regs->rsi, regs->rdx, regs->r10, regs->r8 };

		memcpy(call->arg, args, sizeof(args));
	} else {
		const uint64_t args[5] = { (uint32_t)regs->rbx, (uint32_t)regs->rcx,
					   (uint32_t)regs->rdx, (uint32_t)regs->rsi,
					   (uint32_t)regs->rdi };

		memcpy(call->arg, args, sizeof(args));
	}
}

static void xen_complain(struct xen_device *xd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void xen_complain(struct xen_device *xd, const char *fmt, ...)
{
	unsigned int count = __atomic_fetch_add(&xd->complaints, 1, __ATOMIC_RELAXED) + 1;
	char message[256];
	va_list ap;

	if (count > XEN_COMPLAINTS)
		return;
	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	log_warn("xen: %s%s", message,
		 count == XEN_COMPLAINTS ? " (further warnings suppressed)" : "");
}

/* ---- What the handlers need, against this vCPU and this VM ------------------ */

/* The opaque of one call's xen_guest_ops. */
struct xen_exit {
	struct xen_device *xd;
	struct vcpu *vcpu;
};

static int xen_read(void *opaque, uint64_t gva, void *buf, size_t len)
{
	struct xen_exit *x = opaque;

	return vcpu_read_linear(x->vcpu, gva, buf, len);
}

static int xen_write(void *opaque, uint64_t gva, const void *buf, size_t len)
{
	struct xen_exit *x = opaque;

	return vcpu_write_linear(x->vcpu, gva, buf, len);
}

static void xen_console_write(void *opaque, const char *buf, size_t len)
{
	struct xen_exit *x = opaque;

	for (size_t i = 0; i < len; i++)
		console_put(x->xd->console, (uint8_t)buf[i]);
}

static void xen_shutdown(void *opaque, uint32_t reason)
{
	struct xen_exit *x = opaque;

	hypercall_port_guest_shutdown(x->xd->vm, reason, KDOM_RESULT_SUCCESS);
}

static int64_t xen_manage(void *opaque, struct kdom_hypercall *req)
{
	struct xen_exit *x = opaque;
	struct hypercall_port *hp = x->xd->port;

	return hp->manage(hp->manage_opaque, req);
}

static void xen_refused(void *opaque, const struct kdom_hypercall *req)
{
	struct xen_exit *x = opaque;

	hypercall_port_log_refusal(x->xd->port, req);
}

static bool xen_is_ram(void *opaque, uint64_t gfn)
{
	struct xen_exit *x = opaque;

	return gfn < (UINT64_MAX >> 12) && gmem_ptr(&x->xd->vm->mem, gfn << 12, XEN_PAGE_SIZE);
}

/* A page outside RAM, in its own memory slot; not in the MMIO hole, where the devices are. */
static int xen_map_extra_page(struct xen_device *xd, uint64_t gfn)
{
	uint64_t gpa = gfn << 12;
	unsigned int i;
	int ret;

	if (gfn >= (1ull << (39 - 12)) || (gpa >= KDOM_GPA_MMIO_HOLE && gpa < GMEM_4G))
		return -EINVAL;
	pthread_mutex_lock(&xd->pages_lock);
	for (i = 0; i < XEN_EXTRA_PAGES && xd->extra[i].host; i++)
		if (xd->extra[i].gfn == gfn)
			break;
	if (i == XEN_EXTRA_PAGES) {
		pthread_mutex_unlock(&xd->pages_lock);
		return -ENOMEM;
	}
	if (xd->extra[i].host) { /* mapped there already: cleared again */
		memset(xd->extra[i].host, 0, XEN_PAGE_SIZE);
		pthread_mutex_unlock(&xd->pages_lock);
		return 0;
	}
	void *host = mmap(NULL, XEN_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			  -1, 0);
	ret = host == MAP_FAILED ? -ENOMEM : 0;
	if (!ret)
		ret = vm_set_memory_slot(xd->vm, XEN_EXTRA_SLOT0 + i, gpa, XEN_PAGE_SIZE, host);
	if (!ret) {
		xd->extra[i].gfn = gfn;
		xd->extra[i].host = host;
	} else if (host != MAP_FAILED) {
		munmap(host, XEN_PAGE_SIZE);
	}
	pthread_mutex_unlock(&xd->pages_lock);
	return ret;
}

static int xen_map_zero_page(void *opaque, uint64_t gfn)
{
	struct xen_exit *x = opaque;
	uint8_t *ram;

	if (gfn >= (UINT64_MAX >> 12))
		return -EINVAL;
	/* In RAM the page takes the RAM page's place: it reads as zeros from now on. */
	ram = gmem_ptr(&x->xd->vm->mem, gfn << 12, XEN_PAGE_SIZE);
	if (ram) {
		memset(ram, 0, XEN_PAGE_SIZE);
		return 0;
	}
	return xen_map_extra_page(x->xd, gfn);
}

static int xen_release_page(void *opaque, uint64_t gfn)
{
	struct xen_exit *x = opaque;

	if (!xen_is_ram(opaque, gfn))
		return -EINVAL;
	return gmem_release(&x->xd->vm->mem, gfn << 12, XEN_PAGE_SIZE);
}

static unsigned int xen_memory_map(void *opaque, struct xen_e820_entry *map, unsigned int max)
{
	struct xen_exit *x = opaque;
	unsigned int n = x->xd->nr_map < max ? x->xd->nr_map : max;

	memcpy(map, x->xd->map, n * sizeof(*map));
	return n;
}

static uint64_t xen_host_max_page(void *opaque)
{
	uint64_t bytes, max_pfn;

	return host_memory_extent(&bytes, &max_pfn) == 0 ? max_pfn : 0;
}

/* ---- The exits ---------------------------------------------------------------- */

/* A write to XEN_HYPERCALL_MSR: the page (index 0 of 1) at the written address. */
static int xen_msr_write(void *opaque, struct vcpu *vcpu, uint32_t index, uint64_t value)
{
	struct xen_device *xd = opaque;
	uint8_t page[XEN_PAGE_SIZE];
	uint64_t gpa = value & ~(uint64_t)(XEN_PAGE_SIZE - 1);

	if (value & (XEN_PAGE_SIZE - 1)) {
		xen_complain(xd, "vCPU %u: hypercall page %llu asked for; there is one", vcpu->id,
			     (unsigned long long)(value & (XEN_PAGE_SIZE - 1)));
		return -1;
	}
	xen_hypercall_page_fill(page);
	if (gmem_write(&xd->vm->mem, gpa, page, sizeof(page))) {
		xen_complain(xd, "vCPU %u: hypercall page at 0x%llx is not in guest RAM", vcpu->id,
			     (unsigned long long)gpa);
		return -1;
	}
	log_debug("xen: vCPU %u installed the hypercall page at 0x%llx", vcpu->id,
		  (unsigned long long)gpa);
	return 0;
}

/* An OUT to XEN_HYPERCALL_PORT: a stub's call, answered in rax. */
static void xen_port_io(void *opaque, struct bus_access *access)
{
	struct xen_device *xd = opaque;
	struct vcpu *vcpu = access->vcpu;
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct xen_call call;
	int64_t ret;

	if (!access->write || !vcpu)
		return;
	if (vcpu_regs(vcpu, &regs, &sregs)) {
		xen_complain(xd, "vCPU %u: cannot read the registers of a hypercall", vcpu->id);
		return;
	}
	xen_call_decode(&regs, xen_long_mode(&sregs), vcpu->id, &call);
	if (sregs.ss.dpl != 0) {
		ret = -XEN_EPERM; /* as Xen: hypercalls are for the guest's kernel */
	} else {
		struct xen_exit exit = { .xd = xd, .vcpu = vcpu };
		struct xen_guest_ops ops = {
			.read = xen_read,
			.write = xen_write,
			.console_write = xen_console_write,
			.shutdown = xen_shutdown,
			.manage = xd->port->manage ? xen_manage : NULL,
			.refused = xen_refused,
			.map_zero_page = xen_map_zero_page,
			.release_page = xen_release_page,
			.is_ram = xen_is_ram,
			.memory_map = xen_memory_map,
			.host_max_page = xen_host_max_page,
			.opaque = &exit,
		};

		ret = xen_dispatch(&xd->state, &call, &ops);
	}
	log_debug("xen: vCPU %u: hypercall %u (0x%llx, 0x%llx, 0x%llx) = %lld", vcpu->id, call.op,
		  (unsigned long long)call.arg[0], (unsigned long long)call.arg[1],
		  (unsigned long long)call.arg[2], (long long)ret);
	if (vcpu_set_rax(vcpu, call.long_mode ? (uint64_t)ret : (uint32_t)ret))
		xen_complain(xd, "vCPU %u: cannot set a hypercall's result", vcpu->id);
}

int xen_device_create(struct xen_device *xd, struct vm *vm, struct console *console,
		      struct hypercall_port *port, bool passthrough)
{
	int ret;

	memset(xd, 0, sizeof(*xd));
	xd->vm = vm;
	xd->console = console;
	xd->port = port;
	pthread_mutex_init(&xd->pages_lock, NULL);
	xen_domain_init(&xd->state, vm->domain, vm->mem.size / XEN_PAGE_SIZE, passthrough);
	ret = vm_sync_regs(vm);
	if (!ret)
		ret = vm_trap_msr_write(vm, XEN_HYPERCALL_MSR, xen_msr_write, xd);
	if (!ret)
		ret = bus_register(&vm->pio, XEN_HYPERCALL_PORT, 1, xen_port_io, xd,
				   "xen hypercall");
	if (ret)
		log_error("cannot serve the Xen interface: %s", strerror(-ret));
	return ret;
}

void xen_device_set_memory_map(struct xen_device *xd, const struct xen_e820_entry *map,
			       unsigned int n)
{
	xd->nr_map =
		n < sizeof(xd->map) / sizeof(xd->map[0]) ? n : sizeof(xd->map) / sizeof(xd->map[0]);
	memcpy(xd->map, map, xd->nr_map * sizeof(*map));
}

void xen_device_destroy(struct xen_device *xd)
{
	for (unsigned int i = 0; i < XEN_EXTRA_PAGES && xd->extra[i].host; i++) {
		if (xd->vm->vm_fd >= 0) /* the slot goes before its page */
			vm_set_memory_slot(xd->vm, XEN_EXTRA_SLOT0 + i, xd->extra[i].gfn << 12, 0,
					   NULL);
		munmap(xd->extra[i].host, XEN_PAGE_SIZE);
		xd->extra[i].host = NULL;
	}
	xen_domain_destroy(&xd->state);
	pthread_mutex_destroy(&xd->pages_lock);
}

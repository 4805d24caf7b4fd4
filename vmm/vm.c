/* VM creation and teardown, and how a domain's stop is recorded and turned into a status. */
#include "vmm/vm.h"

#include <errno.h>
#include <liburing.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kdom/abi.h"
#include "vmm/irq.h"
#include "vmm/kvm.h"
#include "vmm/log.h"
#include "vmm/vcpu.h"

/* Addresses KVM needs for its real-mode emulation on Intel, inside the reserved hole. */
#define VM_TSS_ADDR 0xfffbd000ull
#define VM_IDENTITY_MAP_ADDR 0xfffbc000ull

static int vm_ioctl_checked(struct vm *vm, unsigned long request, unsigned long arg,
			    const char *what)
{
	if (ioctl(vm->vm_fd, request, arg) < 0) {
		int saved = errno;

		log_error("%s: %s", what, strerror(saved));
		return -saved;
	}
	return 0;
}

int vm_set_memory_slot(struct vm *vm, uint32_t slot, uint64_t gpa, uint64_t size, void *host)
{
	struct kvm_userspace_memory_region region = {
		.slot = slot,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uintptr_t)host,
	};
	return vm_ioctl_checked(vm, KVM_SET_USER_MEMORY_REGION, (unsigned long)&region,
				"KVM_SET_USER_MEMORY_REGION");
}

static int vm_create_vcpus(struct vm *vm, const struct kvm_cpuid2 *const cpuid[])
{
	int ret = 0;

	for (unsigned int i = 0; i < vm->nr_vcpus; i++) {
		ret = vcpu_create(&vm->vcpus[i], vm, i, cpuid[i]);
		if (ret)
			break;
	}
	return ret;
}

int vm_init(struct vm *vm, struct domain *domain, int kvm_fd)
{
	memset(vm, 0, sizeof(*vm));
	vm->kvm_fd = kvm_fd;
	vm->vm_fd = -1;
	vm->mem.fd = -1;
	vm->domain = domain;
	for (unsigned int i = 0; i < DOMAIN_VCPUS_MAX; i++)
		vm->vcpus[i].fd = -1;
	pthread_mutex_init(&vm->stop_lock, NULL);
	pthread_mutex_init(&vm->pause_lock, NULL);
	pthread_cond_init(&vm->pause_cond, NULL);
	pthread_mutex_init(&vm->irq.lock, NULL);
	bus_init(&vm->pio, "port I/O");
	bus_init(&vm->mmio, "MMIO");
	vm->stop_fd = eventfd(0, EFD_CLOEXEC);
	return vm->stop_fd < 0 ? -errno : 0;
}

int vm_trap_msr_write(struct vm *vm, uint32_t index, vm_msr_write_fn fn, void *opaque)
{
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_X86_USER_SPACE_MSR,
		.args = { KVM_MSR_EXIT_REASON_FILTER },
	};
	uint8_t deny = 0; /* bit clear: the access is denied, so it exits to us */
	struct kvm_msr_filter filter = {
		.flags = KVM_MSR_FILTER_DEFAULT_ALLOW,
		.ranges = { { .flags = KVM_MSR_FILTER_WRITE,
			      .nmsrs = 1,
			      .base = index,
			      .bitmap = &deny } },
	};

	if (vm->msr_trap.fn)
		return -EBUSY;
	if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_X86_MSR_FILTER) <= 0 ||
	    ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_X86_USER_SPACE_MSR) <= 0) {
		log_error("this KVM cannot pass MSR writes to user space "
			  "(KVM_CAP_X86_USER_SPACE_MSR, KVM_CAP_X86_MSR_FILTER)");
		return -EOPNOTSUPP;
	}
	int ret = vm_ioctl_checked(vm, KVM_ENABLE_CAP, (unsigned long)&cap,
				   "KVM_ENABLE_CAP(KVM_CAP_X86_USER_SPACE_MSR)");
	if (!ret)
		ret = vm_ioctl_checked(vm, KVM_X86_SET_MSR_FILTER, (unsigned long)&filter,
				       "KVM_X86_SET_MSR_FILTER");
	if (ret)
		return ret;
	vm->msr_trap.index = index;
	vm->msr_trap.fn = fn;
	vm->msr_trap.opaque = opaque;
	return 0;
}

int vm_sync_regs(struct vm *vm)
{
	const unsigned int wanted = KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS;
	int caps = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SYNC_REGS);

	if (caps < 0 || (caps & wanted) != wanted) {
		log_error("this KVM cannot hand registers over at exits (KVM_CAP_SYNC_REGS)");
		return -EOPNOTSUPP;
	}
	for (unsigned int i = 0; i < vm->nr_vcpus; i++)
		vm->vcpus[i].run->kvm_valid_regs = wanted;
	vm->sync_regs = true;
	return 0;
}

int vm_create(struct vm *vm, const struct vm_params *params)
{
	uint64_t memory_mib = params->memory_mib;
	unsigned int nr_vcpus = params->nr_vcpus;
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
	const char *err = NULL;
	int ret;

	ret = vm_init(vm, params->domain, params->kvm_fd);
	if (ret)
		return ret;
	vm->pin_vcpus = params->pin_vcpus;
	if (nr_vcpus == 0 || nr_vcpus > DOMAIN_VCPUS_MAX) {
		log_error("%u vCPUs requested; kdom runs 1 to %d", nr_vcpus, DOMAIN_VCPUS_MAX);
		return -EINVAL;
	}
	vm->nr_vcpus = nr_vcpus;

	vm->vcpu_mmap_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vm->vcpu_mmap_size < (int)sizeof(struct kvm_run)) {
		log_error("KVM_GET_VCPU_MMAP_SIZE: %s", strerror(errno));
		return -EIO;
	}

	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0) {
		ret = -errno;
		log_error("KVM_CREATE_VM: %s", strerror(errno));
		return ret;
	}
	ret = vm_ioctl_checked(vm, KVM_SET_TSS_ADDR, VM_TSS_ADDR, "KVM_SET_TSS_ADDR");
	if (ret)
		return ret;
	uint64_t identity = VM_IDENTITY_MAP_ADDR;
	ret = vm_ioctl_checked(vm, KVM_SET_IDENTITY_MAP_ADDR, (unsigned long)&identity,
			       "KVM_SET_IDENTITY_MAP_ADDR");
	if (ret)
		return ret;
	/* Memory slots first: once the irqchip exists each slot change waits for SRCU. */
	ret = gmem_create(&vm->mem, memory_mib, &err);
	if (ret) {
		log_error("guest memory of %llu MiB: %s", (unsigned long long)memory_mib, err);
		return ret;
	}
	ret = vm_set_memory_slot(vm, 0, 0, vm->mem.low_size, vm->mem.host);
	if (ret)
		return ret;
	if (vm->mem.size > vm->mem.low_size) {
		ret = vm_set_memory_slot(vm, 1, GMEM_4G, vm->mem.size - vm->mem.low_size,
					 vm->mem.host + vm->mem.low_size);
		if (ret)
			return ret;
	}
	ret = vm_ioctl_checked(vm, KVM_CREATE_IRQCHIP, 0, "KVM_CREATE_IRQCHIP");
	if (ret)
		return ret;
	ret = irq_routing_init(vm);
	if (ret)
		return ret;
	if (params->kernel_pit) {
		ret = vm_ioctl_checked(vm, KVM_CREATE_PIT2, (unsigned long)&pit, "KVM_CREATE_PIT2");
		if (ret)
			return ret;
	}

	return vm_create_vcpus(vm, params->cpuid);
}

int vm_start(struct vm *vm)
{
	vm->started = true;
	for (unsigned int i = 0; i < vm->nr_vcpus; i++) {
		int ret = vcpu_start(&vm->vcpus[i]);

		if (ret) {
			vm_stop(vm, VM_STOP_HOST_ERROR, 0, "cannot start vCPU %u: %s", i,
				strerror(-ret));
			return ret;
		}
	}
	return 0;
}

void vm_stop(struct vm *vm, enum vm_stop_reason reason, unsigned int result, const char *fmt, ...)
{
	uint64_t one = 1;
	va_list ap;

	pthread_mutex_lock(&vm->stop_lock);
	if (vm->outcome.reason == VM_STOP_NONE) {
		vm->outcome.reason = reason;
		vm->outcome.result = result;
		va_start(ap, fmt);
		vsnprintf(vm->outcome.message, sizeof(vm->outcome.message), fmt, ap);
		va_end(ap);
	}
	vm->stopping = 1;
	pthread_mutex_unlock(&vm->stop_lock);

	pthread_mutex_lock(&vm->pause_lock);
	pthread_cond_broadcast(&vm->pause_cond); /* parked vCPUs see stopping */
	pthread_mutex_unlock(&vm->pause_lock);

	for (unsigned int i = 0; i < vm->nr_vcpus; i++)
		vcpu_kick(&vm->vcpus[i]);
	if (write(vm->stop_fd, &one, sizeof(one)) < 0)
		log_debug("stop eventfd: %s", strerror(errno));
}

void vm_park(struct vm *vm)
{
	pthread_mutex_lock(&vm->pause_lock);
	vm->parked++;
	pthread_cond_broadcast(&vm->pause_cond);
	while (vm->pause_requested && !vm->stopping)
		pthread_cond_wait(&vm->pause_cond, &vm->pause_lock);
	vm->parked--;
	pthread_mutex_unlock(&vm->pause_lock);
}

void vm_outside_enter(struct vm *vm)
{
	pthread_mutex_lock(&vm->pause_lock);
	vm->outside++;
	pthread_cond_broadcast(&vm->pause_cond);
	pthread_mutex_unlock(&vm->pause_lock);
}

void vm_outside_leave(struct vm *vm)
{
	pthread_mutex_lock(&vm->pause_lock);
	vm->outside--;
	pthread_mutex_unlock(&vm->pause_lock);
}

int vm_pause(struct vm *vm)
{
	pthread_mutex_lock(&vm->pause_lock);
	vm->pause_requested = true;
	pthread_mutex_unlock(&vm->pause_lock);
	if (!vm->started)
		return 0;
	for (unsigned int i = 0; i < vm->nr_vcpus; i++)
		vcpu_kick(&vm->vcpus[i]);
	pthread_mutex_lock(&vm->pause_lock);
	while (vm->parked + vm->outside < vm->nr_vcpus && !vm->stopping)
		pthread_cond_wait(&vm->pause_cond, &vm->pause_lock);
	pthread_mutex_unlock(&vm->pause_lock);
	return 0;
}

int vm_unpause(struct vm *vm)
{
	pthread_mutex_lock(&vm->pause_lock);
	vm->pause_requested = false;
	pthread_cond_broadcast(&vm->pause_cond);
	pthread_mutex_unlock(&vm->pause_lock);
	return vm->started ? 0 : vm_start(vm);
}

bool vm_paused(struct vm *vm)
{
	bool paused;

	pthread_mutex_lock(&vm->pause_lock);
	paused = vm->pause_requested || !vm->started;
	pthread_mutex_unlock(&vm->pause_lock);
	return paused;
}

void vm_join(struct vm *vm)
{
	for (unsigned int i = 0; i < vm->nr_vcpus; i++)
		vcpu_join(&vm->vcpus[i]);
}

/*
 * Destroying a VM with an in-kernel irqchip waits for SRCU grace periods, about
 * 13 ms on the development hosts, which would otherwise come on top of every
 * `kdom run`.  Nothing of ours depends on that teardown, so hand the last
 * references to the VM and vCPU files to an io_uring file table: closing the
 * ring drops them from a kernel worker, after this process may have exited.
 * Falls back to plain close() where files cannot be registered.
 */
static void vm_release_fds(struct vm *vm)
{
	int fds[DOMAIN_VCPUS_MAX + 1];
	unsigned int nfds = 0;
	struct io_uring ring;

	if (vm->vm_fd >= 0)
		fds[nfds++] = vm->vm_fd;
	for (unsigned int i = 0; i < DOMAIN_VCPUS_MAX; i++)
		if (vm->vcpus[i].fd >= 0)
			fds[nfds++] = vm->vcpus[i].fd;
	if (nfds && io_uring_queue_init(1, &ring, 0) == 0) {
		if (io_uring_register_files(&ring, fds, nfds))
			log_debug("deferred VM release unavailable; closing synchronously");
		io_uring_queue_exit(&ring);
	}
	for (unsigned int i = 0; i < nfds; i++)
		close(fds[i]);
	for (unsigned int i = 0; i < DOMAIN_VCPUS_MAX; i++)
		vm->vcpus[i].fd = -1;
	vm->vm_fd = -1;
}

void vm_destroy(struct vm *vm)
{
	for (unsigned int i = 0; i < DOMAIN_VCPUS_MAX; i++)
		vcpu_unmap(&vm->vcpus[i]);
	vm_release_fds(vm);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	if (vm->stop_fd >= 0)
		close(vm->stop_fd);
	gmem_destroy(&vm->mem);
	bus_destroy(&vm->pio);
	bus_destroy(&vm->mmio);
	pthread_mutex_destroy(&vm->stop_lock);
	pthread_mutex_destroy(&vm->pause_lock);
	pthread_cond_destroy(&vm->pause_cond);
	pthread_mutex_destroy(&vm->irq.lock);
	vm->vm_fd = vm->kvm_fd = vm->stop_fd = -1;
}

int vm_irq_line(struct vm *vm, unsigned int irq, int level)
{
	struct kvm_irq_level line = { .irq = irq, .level = level };

	if (ioctl(vm->vm_fd, KVM_IRQ_LINE, &line) < 0)
		return -errno;
	return 0;
}

int vm_outcome_exit_code(const struct vm_outcome *outcome)
{
	switch (outcome->reason) {
	case VM_STOP_POWEROFF:
		switch (outcome->result) {
		case KDOM_RESULT_SUCCESS:
			return KDOM_EXIT_SUCCESS;
		case KDOM_RESULT_SKIP:
			return KDOM_EXIT_SKIP;
		case KDOM_RESULT_ERROR:
			return KDOM_EXIT_ERROR;
		default:
			return KDOM_EXIT_FAILURE;
		}
	case VM_STOP_REBOOT:
		return KDOM_EXIT_REBOOT;
	case VM_STOP_SUSPEND:
		return KDOM_EXIT_SUSPEND;
	case VM_STOP_CRASH:
		return KDOM_EXIT_CRASH;
	case VM_STOP_WATCHDOG:
		return KDOM_EXIT_WATCHDOG;
	case VM_STOP_TRIPLE_FAULT:
		return KDOM_EXIT_TRIPLE_FAULT;
	case VM_STOP_INTERNAL_ERROR:
		return KDOM_EXIT_INTERNAL;
	case VM_STOP_FAIL_ENTRY:
		return KDOM_EXIT_FAIL_ENTRY;
	case VM_STOP_SIGNAL:
		return 128 + (int)outcome->result;
	case VM_STOP_DESTROY:
		return 128 + SIGTERM;
	case VM_STOP_NONE:
	case VM_STOP_HOST_ERROR:
	default:
		return KDOM_EXIT_KDOM_ERROR;
	}
}

const char *vm_stop_reason_name(enum vm_stop_reason reason)
{
	static const char *const names[] = {
		[VM_STOP_NONE] = "running",
		[VM_STOP_POWEROFF] = "poweroff",
		[VM_STOP_REBOOT] = "reboot",
		[VM_STOP_SUSPEND] = "suspend",
		[VM_STOP_CRASH] = "crash",
		[VM_STOP_WATCHDOG] = "watchdog",
		[VM_STOP_TRIPLE_FAULT] = "triple fault",
		[VM_STOP_INTERNAL_ERROR] = "KVM internal error",
		[VM_STOP_FAIL_ENTRY] = "VM entry failure",
		[VM_STOP_HOST_ERROR] = "kdom error",
		[VM_STOP_SIGNAL] = "signal",
		[VM_STOP_DESTROY] = "destroyed",
	};

	if ((unsigned int)reason >= sizeof(names) / sizeof(names[0]))
		return "unknown";
	return names[reason];
}

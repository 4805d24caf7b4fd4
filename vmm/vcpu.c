/* vCPU threads: one KVM_RUN loop each, exits dispatched to the buses or ending the domain. */
#include "vmm/vcpu.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmm/log.h"

#define X86_MAX_INSN 15

int vcpu_create(struct vcpu *vcpu, struct vm *vm, unsigned int id, const struct kvm_cpuid2 *cpuid)
{
	int ret;

	vcpu->vm = vm;
	vcpu->id = id;
	vcpu->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, id);
	if (vcpu->fd < 0) {
		ret = -errno;
		log_error("KVM_CREATE_VCPU %u: %s", id, strerror(errno));
		return ret;
	}
	vcpu->run = mmap(NULL, vm->vcpu_mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu->fd, 0);
	if (vcpu->run == MAP_FAILED) {
		ret = -errno;
		vcpu->run = NULL;
		log_error("cannot map vCPU %u's run area: %s", id, strerror(errno));
		return ret;
	}
	ret = ioctl(vcpu->fd, KVM_SET_CPUID2, cpuid) < 0 ? -errno : 0;
	if (ret)
		log_error("KVM_SET_CPUID2 on vCPU %u: %s", id, strerror(-ret));
	return ret;
}

/* The guest's instruction bytes at RIP, for an emulation failure report. */
static size_t vcpu_fetch_insn(struct vcpu *vcpu, const struct kvm_regs *regs, uint8_t *bytes)
{
	struct kvm_run *run = vcpu->run;
	struct kvm_sregs sregs;
	struct kvm_translation tr;

	if (run->emulation_failure.flags & KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES) {
		size_t n = run->emulation_failure.insn_size;

		if (n > X86_MAX_INSN)
			n = X86_MAX_INSN;
		memcpy(bytes, run->emulation_failure.insn_bytes, n);
		return n;
	}
	if (ioctl(vcpu->fd, KVM_GET_SREGS, &sregs) < 0)
		return 0;
	memset(&tr, 0, sizeof(tr));
	tr.linear_address = sregs.cs.base + regs->rip;
	if (ioctl(vcpu->fd, KVM_TRANSLATE, &tr) < 0 || !tr.valid)
		return 0;
	/* Shrink the read until it lies in RAM: the instruction may end a region. */
	for (size_t n = X86_MAX_INSN; n > 0; n--)
		if (gmem_read(&vcpu->vm->mem, tr.physical_address, bytes, n) == 0)
			return n;
	return 0;
}

static void vcpu_report_internal_error(struct vcpu *vcpu, const struct kvm_regs *regs)
{
	static const char *const suberrors[] = {
		[KVM_INTERNAL_ERROR_EMULATION] = "emulation failure",
		[KVM_INTERNAL_ERROR_SIMUL_EX] = "exception while delivering an exception",
		[KVM_INTERNAL_ERROR_DELIVERY_EV] = "event delivery failed",
		[KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON] = "unexpected exit reason",
	};
	uint32_t suberror = vcpu->run->internal.suberror;
	const char *what =
		suberror < sizeof(suberrors) / sizeof(suberrors[0]) && suberrors[suberror]
			? suberrors[suberror]
			: "unknown suberror";
	char insn[X86_MAX_INSN * 3 + 1] = "";

	if (suberror == KVM_INTERNAL_ERROR_EMULATION) {
		uint8_t bytes[X86_MAX_INSN];
		size_t n = vcpu_fetch_insn(vcpu, regs, bytes);

		for (size_t i = 0; i < n; i++)
			snprintf(insn + 3 * i, sizeof(insn) - 3 * i, "%s%02x", i ? " " : "",
				 bytes[i]);
		vm_stop(vcpu->vm, VM_STOP_INTERNAL_ERROR, 0,
			"vCPU %u: KVM internal error (%s) at rip 0x%llx, instruction bytes: %s",
			vcpu->id, what, (unsigned long long)regs->rip, n ? insn : "unreadable");
		return;
	}
	vm_stop(vcpu->vm, VM_STOP_INTERNAL_ERROR, 0,
		"vCPU %u: KVM internal error (%s, suberror %u) at rip 0x%llx", vcpu->id, what,
		suberror, (unsigned long long)regs->rip);
}

static void vcpu_handle_io(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	bool write = run->io.direction == KVM_EXIT_IO_OUT;

	vcpu->exits_io++;
	/* A REP string instruction hands over several elements in one exit. */
	for (uint32_t i = 0; i < run->io.count; i++) {
		if (!bus_dispatch(&vcpu->vm->pio, run->io.port, data, run->io.size, write, vcpu))
			log_debug("vCPU %u: unclaimed port %s 0x%x size %u", vcpu->id,
				  write ? "write" : "read", run->io.port, run->io.size);
		data += run->io.size;
	}
}

static void vcpu_handle_mmio(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	uint32_t len = run->mmio.len <= sizeof(run->mmio.data) ? run->mmio.len : 0;

	vcpu->exits_mmio++;
	if (!len || !bus_dispatch(&vcpu->vm->mmio, run->mmio.phys_addr, run->mmio.data, len,
				  run->mmio.is_write, vcpu))
		log_debug("vCPU %u: unclaimed MMIO %s 0x%llx size %u", vcpu->id,
			  run->mmio.is_write ? "write" : "read",
			  (unsigned long long)run->mmio.phys_addr, run->mmio.len);
}

static void vcpu_handle_system_event(struct vcpu *vcpu)
{
	switch (vcpu->run->system_event.type) {
	case KVM_SYSTEM_EVENT_SHUTDOWN:
		vm_stop(vcpu->vm, VM_STOP_POWEROFF, 0, "%s", "");
		break;
	case KVM_SYSTEM_EVENT_RESET:
		vm_stop(vcpu->vm, VM_STOP_REBOOT, 0, "vCPU %u: platform reset", vcpu->id);
		break;
	default:
		vm_stop(vcpu->vm, VM_STOP_CRASH, 0, "vCPU %u: system event %u", vcpu->id,
			vcpu->run->system_event.type);
		break;
	}
}

/* A write to the trapped MSR (vm_trap_msr_write()); anything else KVM hands over gets #GP. */
static void vcpu_handle_msr(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	struct vm *vm = vcpu->vm;

	if (run->exit_reason == KVM_EXIT_X86_WRMSR && vm->msr_trap.fn &&
	    run->msr.index == vm->msr_trap.index)
		run->msr.error = vm->msr_trap.fn(vm->msr_trap.opaque, vcpu, run->msr.index,
						 run->msr.data) != 0;
	else
		run->msr.error = 1;
}

/* Handle one exit; fatal ones stop the domain. */
static void vcpu_handle_exit(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	struct kvm_regs regs = { 0 };

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		vcpu_handle_io(vcpu);
		return;
	case KVM_EXIT_MMIO:
		vcpu_handle_mmio(vcpu);
		return;
	case KVM_EXIT_INTR:
	case KVM_EXIT_IRQ_WINDOW_OPEN:
	case KVM_EXIT_HLT:
		return;
	case KVM_EXIT_SYSTEM_EVENT:
		vcpu_handle_system_event(vcpu);
		return;
	case KVM_EXIT_X86_RDMSR:
	case KVM_EXIT_X86_WRMSR:
		vcpu_handle_msr(vcpu);
		return;
	default:
		break;
	}

	ioctl(vcpu->fd, KVM_GET_REGS, &regs);
	switch (run->exit_reason) {
	case KVM_EXIT_SHUTDOWN:
		vm_stop(vcpu->vm, VM_STOP_TRIPLE_FAULT, 0,
			"vCPU %u: triple fault (KVM_EXIT_SHUTDOWN) at rip 0x%llx", vcpu->id,
			(unsigned long long)regs.rip);
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		vcpu_report_internal_error(vcpu, &regs);
		break;
	case KVM_EXIT_FAIL_ENTRY:
		vm_stop(vcpu->vm, VM_STOP_FAIL_ENTRY, 0,
			"vCPU %u: VM entry failed (KVM_EXIT_FAIL_ENTRY, hardware reason 0x%llx) "
			"at rip 0x%llx",
			vcpu->id, (unsigned long long)run->fail_entry.hardware_entry_failure_reason,
			(unsigned long long)regs.rip);
		break;
	default:
		vm_stop(vcpu->vm, VM_STOP_INTERNAL_ERROR, 0,
			"vCPU %u: unexpected KVM exit reason %u at rip 0x%llx", vcpu->id,
			run->exit_reason, (unsigned long long)regs.rip);
		break;
	}
}

static void *vcpu_thread(void *opaque)
{
	struct vcpu *vcpu = opaque;
	struct vm *vm = vcpu->vm;
	char name[16];

	snprintf(name, sizeof(name), "kdom-vcpu%u", vcpu->id);
	pthread_setname_np(pthread_self(), name);

	while (!vm->stopping) {
		/* Whoever kicks sets its flag first, so a kick is never lost here. */
		if (__atomic_load_n(&vm->pause_requested, __ATOMIC_ACQUIRE)) {
			vm_park(vm);
			continue;
		}
		if (__atomic_exchange_n(&vcpu->nmi_pending, false, __ATOMIC_ACQ_REL) &&
		    ioctl(vcpu->fd, KVM_NMI) < 0)
			log_warn("vCPU %u: KVM_NMI: %s", vcpu->id, strerror(errno));
		if (ioctl(vcpu->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				/* A kick: its flag is seen at the top of the loop. */
				__atomic_store_n(&vcpu->run->immediate_exit, 0, __ATOMIC_SEQ_CST);
				continue;
			}
			vm_stop(vm, VM_STOP_HOST_ERROR, 0, "vCPU %u: KVM_RUN: %s", vcpu->id,
				strerror(errno));
			break;
		}
		vcpu_handle_exit(vcpu);
	}
	return NULL;
}

int vcpu_start(struct vcpu *vcpu)
{
	int ret = pthread_create(&vcpu->thread, NULL, vcpu_thread, vcpu);
	long nr_cpus = sysconf(_SC_NPROCESSORS_ONLN);

	if (ret)
		return -ret;
	vcpu->thread_started = true;
	if (vcpu->vm->pin_vcpus && nr_cpus > 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(vcpu->id % nr_cpus, &set);
		ret = pthread_setaffinity_np(vcpu->thread, sizeof(set), &set);
		if (ret)
			log_warn("cannot pin vCPU %u to host CPU %ld: %s", vcpu->id,
				 vcpu->id % nr_cpus, strerror(ret));
		else
			log_debug("vCPU %u pinned to host CPU %ld", vcpu->id, vcpu->id % nr_cpus);
	}
	return 0;
}

void vcpu_kick(struct vcpu *vcpu)
{
	if (!vcpu->run)
		return;
	/* immediate_exit covers a thread that is about to enter KVM_RUN. */
	__atomic_store_n(&vcpu->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
	if (vcpu->thread_started && !pthread_equal(vcpu->thread, pthread_self()))
		pthread_kill(vcpu->thread, VCPU_KICK_SIGNAL);
}

void vcpu_inject_nmi(struct vcpu *vcpu)
{
	/* KVM_NMI from here would wait for KVM_RUN to return: the vCPU injects it itself. */
	__atomic_store_n(&vcpu->nmi_pending, true, __ATOMIC_RELEASE);
	vcpu_kick(vcpu);
}

void vcpu_join(struct vcpu *vcpu)
{
	if (vcpu->thread_started) {
		pthread_join(vcpu->thread, NULL);
		vcpu->thread_started = false;
	}
}

int vcpu_regs(struct vcpu *vcpu, struct kvm_regs *regs, struct kvm_sregs *sregs)
{
	if (vcpu->vm->sync_regs) {
		*regs = vcpu->run->s.regs.regs;
		if (sregs)
			*sregs = vcpu->run->s.regs.sregs;
		return 0;
	}
	if (ioctl(vcpu->fd, KVM_GET_REGS, regs) < 0 ||
	    (sregs && ioctl(vcpu->fd, KVM_GET_SREGS, sregs) < 0))
		return -errno;
	return 0;
}

int vcpu_set_rax(struct vcpu *vcpu, uint64_t rax)
{
	struct kvm_regs regs;

	if (vcpu->vm->sync_regs) {
		/* The whole set goes back at the next KVM_RUN, RIP as the exit left it. */
		vcpu->run->s.regs.regs.rax = rax;
		vcpu->run->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
		return 0;
	}
	if (ioctl(vcpu->fd, KVM_GET_REGS, &regs) < 0)
		return -errno;
	regs.rax = rax;
	return ioctl(vcpu->fd, KVM_SET_REGS, &regs) < 0 ? -errno : 0;
}

/* KVM_TRANSLATE for gmem_copy_linear(): the vCPU's paging as it is now. */
static int vcpu_translate(void *opaque, uint64_t gva, bool write, uint64_t *gpa)
{
	struct vcpu *vcpu = opaque;
	struct kvm_translation tr = { .linear_address = gva };

	if (ioctl(vcpu->fd, KVM_TRANSLATE, &tr) < 0 || !tr.valid || (write && !tr.writeable))
		return -EFAULT;
	*gpa = tr.physical_address;
	return 0;
}

int vcpu_read_linear(struct vcpu *vcpu, uint64_t gva, void *buf, size_t len)
{
	return gmem_copy_linear(&vcpu->vm->mem, gva, buf, len, false, vcpu_translate, vcpu);
}

int vcpu_write_linear(struct vcpu *vcpu, uint64_t gva, const void *buf, size_t len)
{
	return gmem_copy_linear(&vcpu->vm->mem, gva, (void *)buf, len, true, vcpu_translate, vcpu);
}

void vcpu_unmap(struct vcpu *vcpu)
{
	if (vcpu->run)
		munmap(vcpu->run, vcpu->vm->vcpu_mmap_size);
	vcpu->run = NULL;
}

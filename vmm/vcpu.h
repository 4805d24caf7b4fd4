/* vCPU threads: KVM_RUN and exit dispatch. */
#ifndef KDOM_VCPU_H
#define KDOM_VCPU_H

#include <linux/kvm.h>

#include "vmm/vm.h"

/* The signal that kicks a vCPU thread out of KVM_RUN. */
#define VCPU_KICK_SIGNAL SIGUSR1

/* Create vCPU `id` with its own finished CPUID table (its APIC IDs in it).  0 or -errno. */
int vcpu_create(struct vcpu *vcpu, struct vm *vm, unsigned int id,
		const struct kvm_cpuid2 *domain_cpuid);

/* Start the vCPU's thread; the boot vCPU runs at once, the others wait for INIT/SIPI. */
int vcpu_start(struct vcpu *vcpu);

/* Make the vCPU leave KVM_RUN soon (it then sees vm->stopping).  Any thread. */
void vcpu_kick(struct vcpu *vcpu);

/* Deliver an NMI to the vCPU (it injects it itself before its next run).  Any thread. */
void vcpu_inject_nmi(struct vcpu *vcpu);

/*
 * At an exit, from the vCPU's own thread: its registers (and segment state
 * when sregs is not NULL), from the run area after vm_sync_regs(), else by
 * ioctl.  0 or -errno.
 */
int vcpu_regs(struct vcpu *vcpu, struct kvm_regs *regs, struct kvm_sregs *sregs);

/* At an exit: set rax for when the vCPU runs on (every other register as it was).  0 or -errno. */
int vcpu_set_rax(struct vcpu *vcpu, uint64_t rax);

/*
 * At an exit: copy between buf and guest *linear* memory as the vCPU's
 * paging maps it now (KVM_TRANSLATE through gmem_copy_linear()): 0, or
 * -EFAULT with nothing copied.
 */
int vcpu_read_linear(struct vcpu *vcpu, uint64_t gva, void *buf, size_t len);
int vcpu_write_linear(struct vcpu *vcpu, uint64_t gva, const void *buf, size_t len);

void vcpu_join(struct vcpu *vcpu);
/* Unmap the run area; the fd is closed with the VM's (vm_destroy()). */
void vcpu_unmap(struct vcpu *vcpu);

#endif

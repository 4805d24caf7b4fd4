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

void vcpu_join(struct vcpu *vcpu);
/* Unmap the run area; the fd is closed with the VM's (vm_destroy()). */
void vcpu_unmap(struct vcpu *vcpu);

#endif

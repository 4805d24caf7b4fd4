/* One domain's virtual machine: KVM handles, RAM, buses, vCPUs and how it ended. */
#ifndef KDOM_VM_H
#define KDOM_VM_H

#include <linux/kvm.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "hv-roles/domain-config.h"
#include "hv-roles/domain.h"
#include "vmm/bus.h"
#include "vmm/guest-mem.h"
#include "vmm/irq.h"

struct vm;

struct vcpu {
	struct vm *vm;
	unsigned int id; /* also its APIC ID */
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	bool thread_started;
	bool nmi_pending; /* vcpu_inject_nmi(): the thread injects it before its next run */
	/* Exits served in user space, by kind (kdom run --stats); read after vm_join(). */
	uint64_t exits_io, exits_mmio;
};

/* Why a domain stopped; vm_outcome_exit_code() maps it to `kdom run`'s status. */
enum vm_stop_reason {
	VM_STOP_NONE,
	VM_STOP_POWEROFF, /* result holds the test result, KDOM_RESULT_* */
	VM_STOP_REBOOT,
	VM_STOP_SUSPEND,
	VM_STOP_CRASH,
	VM_STOP_WATCHDOG,
	VM_STOP_TRIPLE_FAULT,
	VM_STOP_INTERNAL_ERROR,
	VM_STOP_FAIL_ENTRY,
	VM_STOP_HOST_ERROR, /* kdom itself failed while the guest ran */
	VM_STOP_SIGNAL,	    /* kdom was asked to stop (SIGINT, SIGTERM, ...) */
	VM_STOP_DESTROY,    /* the toolstack destroyed the domain */
};

struct vm_outcome {
	enum vm_stop_reason reason;
	unsigned int result; /* VM_STOP_POWEROFF: KDOM_RESULT_*; VM_STOP_SIGNAL: signo */
	char message[512];   /* a line for the user; empty for an orderly stop */
};

/* A trapped MSR write (vm_trap_msr_write()): 0 to accept it, -1 to raise #GP in the guest. */
typedef int (*vm_msr_write_fn)(void *opaque, struct vcpu *vcpu, uint32_t index, uint64_t value);

struct vm {
	int kvm_fd;
	int vm_fd;
	int vcpu_mmap_size;
	struct guest_mem mem;
	struct bus pio;
	struct bus mmio;
	struct domain *domain;
	struct irq_routing irq; /* GSI routing beyond KVM's defaults (vmm/irq.c) */
	unsigned int nr_vcpus;
	bool pin_vcpus;
	struct vcpu vcpus[DOMAIN_VCPUS_MAX];

	pthread_mutex_t stop_lock;
	volatile sig_atomic_t stopping;

	/* Pausing: vCPU threads park between KVM_RUN calls while pause_requested. */
	pthread_mutex_t pause_lock;
	pthread_cond_t pause_cond;
	bool pause_requested;
	bool started;	      /* vm_start() ran */
	unsigned int parked;  /* vCPU threads parked now */
	unsigned int outside; /* vCPU threads waiting outside the VM (count as parked) */
	struct vm_outcome outcome;
	int stop_fd; /* eventfd: written once when the domain stops */

	/* The one MSR whose writes exit to kdom (vm_trap_msr_write()); fn NULL: none. */
	struct {
		uint32_t index;
		vm_msr_write_fn fn;
		void *opaque;
	} msr_trap;
	bool sync_regs; /* each exit carries the registers (vm_sync_regs()) */
};

/* What vm_create() builds. */
struct vm_params {
	int kvm_fd; /* from kvm_open_checked(nr_vcpus); the VM takes it over */
	uint64_t memory_mib;
	unsigned int nr_vcpus;
	struct domain *domain;
	bool kernel_pit; /* KVM's in-kernel PIT */
	/* vCPU i's finished table (cpuid_build_domain(), then cpuid_for_vcpu(i)) */
	const struct kvm_cpuid2 *cpuid[DOMAIN_VCPUS_MAX];
	bool pin_vcpus; /* vCPU i runs on host CPU i (modulo their number) */
};

/*
 * The parts of a VM that need no KVM: its buses, locks and stop eventfd, no
 * memory and no vCPUs (kvm_fd, -1 for none, is taken over).  vm_create()
 * starts here; device unit tests use it alone.  vm_destroy() undoes it.
 * 0 or -errno.
 */
int vm_init(struct vm *vm, struct domain *domain, int kvm_fd);

/*
 * Create the VM on params->kvm_fd (taken over, closed by vm_destroy() even
 * on failure) with its in-kernel irqchip (and PIT when kernel_pit), RAM and
 * vCPUs, vCPU i given params->cpuid[i].  0 or -errno with the reason logged.
 */
int vm_create(struct vm *vm, const struct vm_params *params);

/*
 * Make guest writes to MSR `index` exit to kdom and call fn from the vCPU's
 * thread (KVM_CAP_X86_USER_SPACE_MSR and an MSR filter); reads and every
 * other MSR stay KVM's.  Before vm_start().  0 or -errno (logged).
 */
int vm_trap_msr_write(struct vm *vm, uint32_t index, vm_msr_write_fn fn, void *opaque);

/*
 * Have every exit carry the vCPU's registers and segment state in its run
 * area (KVM_CAP_SYNC_REGS), so that a device reading them at an exit needs
 * no ioctl (vcpu_regs()).  Before vm_start().  0 or -errno (logged).
 */
int vm_sync_regs(struct vm *vm);

/* Start one thread per vCPU.  0 or -errno. */
int vm_start(struct vm *vm);

/*
 * Record why the domain stops (the first caller wins), wake the event loop
 * and make every vCPU leave KVM_RUN.  Safe from any thread.
 */
void vm_stop(struct vm *vm, enum vm_stop_reason reason, unsigned int result, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * Pause: every vCPU leaves KVM_RUN and parks; returns once all have (or the
 * domain stops).  Unpause: they run on.  A VM not started yet is paused;
 * unpausing it starts it.  0 or -errno.  From the event loop, not a vCPU.
 */
int vm_pause(struct vm *vm);
int vm_unpause(struct vm *vm);
bool vm_paused(struct vm *vm);

/*
 * A vCPU thread about to wait on something outside the VM (a toolstack
 * answer) counts as parked meanwhile, so that vm_pause() does not wait for
 * it; it parks for real at its next run if a pause is still requested.
 */
void vm_outside_enter(struct vm *vm);
void vm_outside_leave(struct vm *vm);

/* Called by a vCPU thread between runs: park while a pause is requested. */
void vm_park(struct vm *vm);

/* Join the vCPU threads (after vm_stop()). */
void vm_join(struct vm *vm);

/* Release everything vm_create() made.  Safe on a partly created VM. */
void vm_destroy(struct vm *vm);

/*
 * KVM memory slot `slot` maps [gpa, gpa + size) to host (size 0 deletes
 * it).  Slots 0 and 1 are RAM; VM_SLOT_FIRST_FREE on are the devices'.
 * 0 or -errno (logged).
 */
#define VM_SLOT_FIRST_FREE 2
int vm_set_memory_slot(struct vm *vm, uint32_t slot, uint64_t gpa, uint64_t size, void *host);

/* Raise or lower a legacy interrupt line on the in-kernel irqchip. */
int vm_irq_line(struct vm *vm, unsigned int irq, int level);

/* The `kdom run` exit status for an outcome (KDOM_EXIT_* in kdom/abi.h). */
int vm_outcome_exit_code(const struct vm_outcome *outcome);

/* Human name of a stop reason ("poweroff", "triple fault", ...). */
const char *vm_stop_reason_name(enum vm_stop_reason reason);

#endif

/* The CPUID table each vCPU sees. */
#ifndef KDOM_CPUID_H
#define KDOM_CPUID_H

#include <linux/kvm.h>
#include <stdbool.h>

#include "hv-roles/domain.h"

/* KVM_GET_SUPPORTED_CPUID, malloc()ed.  NULL with a log line on failure. */
struct kvm_cpuid2 *cpuid_get_supported(int kvm_fd);

/*
 * Adjust a copy of the supported table for one vCPU of `domain`: APIC IDs,
 * the hypervisor bit, kdom's leaves at KDOM_CPUID_BASE, and, when
 * `cpl0_emulated`, CMPXCHG16B and XSAVE (and what depends on XSAVE) hidden.
 * Returns a malloc()ed table or NULL.
 */
struct kvm_cpuid2 *cpuid_for_vcpu(const struct kvm_cpuid2 *supported, const struct domain *domain,
				  unsigned int vcpu_id, unsigned int nr_vcpus, bool cpl0_emulated);

#endif

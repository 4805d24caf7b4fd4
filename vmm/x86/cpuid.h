/* The CPUID table a domain's vCPUs see: host or leveled policy, overrides, kdom's leaves. */
#ifndef KDOM_CPUID_H
#define KDOM_CPUID_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hv-roles/domain.h"
#include "hv-roles/policy.h"

/* The leveled policy's baseline: its name, and the family/model/stepping it reports. */
#define CPUID_BASELINE_NAME "x86-64-v2"
#define CPUID_BASELINE_SIGNATURE 0x00060fb1u /* family 15, model 107, stepping 1 */
#define CPUID_LEVELED_BRAND "kdom virtual CPU"

/* Registers, in the order `kdom cpuid` prints them. */
enum cpuid_reg { CPUID_EAX, CPUID_EBX, CPUID_ECX, CPUID_EDX };

#define CPUID_OVERRIDE_MAX 64

/* One `name=0|1` item of a `cpuid =` setting, resolved to its bit. */
struct cpuid_setting {
	const char *name; /* the table's spelling, for messages */
	uint32_t leaf, subleaf;
	enum cpuid_reg reg;
	uint8_t bit;
	bool value;
};

/* A parsed `cpuid = "host,sse4_2=0,aes=0"` setting (libxl's syntax, feature names). */
struct cpuid_override {
	size_t count;
	struct cpuid_setting settings[CPUID_OVERRIDE_MAX];
};

/*
 * Parse libxl's cpuid syntax: an optional leading "host" (the policy the
 * domain's role gives, as libxl's default), then comma-separated
 * `name=0` / `name=1` with libxl's feature names.  An unknown name, a
 * value other than 0 or 1, a feature that cannot be changed (hypervisor)
 * or the leaf:register=bits form is refused naming it.  0 or -EINVAL.
 */
int cpuid_override_parse(const char *text, struct cpuid_override *ov, char *err, size_t errlen);

/* Reads one leaf of the host CPU; tests pass a fake host. */
typedef void (*cpuid_host_fn)(uint32_t leaf, uint32_t subleaf, uint32_t regs[4]);

/* The cpuid instruction on the host. */
void cpuid_host(uint32_t leaf, uint32_t subleaf, uint32_t regs[4]);

/* KVM_GET_SUPPORTED_CPUID, malloc()ed.  NULL with a log line on failure. */
struct kvm_cpuid2 *cpuid_get_supported(int kvm_fd);

struct cpuid_request {
	const struct kvm_cpuid2 *supported;    /* KVM_GET_SUPPORTED_CPUID */
	cpuid_host_fn host;		       /* NULL: cpuid_host */
	enum policy_cpuid policy;	       /* what policy_cpuid() decided */
	const struct cpuid_override *override; /* NULL: none */
	const struct domain *domain;
	unsigned int nr_vcpus;
	bool cpl0_emulated; /* hide CMPXCHG16B and the XSAVE family, whatever else says */
	bool xen;	    /* the domain's Xen interface is on: Xen's leaves too */
};

/*
 * The domain's table, the same for every vCPU until cpuid_for_vcpu()
 * fills in the APIC IDs.  Host policy: KVM's supported table with the
 * host's identification leaves (vendor, signature, brand, cache and TLB
 * descriptors, topology) read by the cpuid instruction.  Leveled policy:
 * CPUID_BASELINE_NAME's features intersected with KVM's, its signature,
 * CPUID_LEVELED_BRAND, no cache descriptors, a topology of nr_vcpus cores.
 * Then the override, then the emulated-CPL0 hiding; the hypervisor bit is
 * set, KVM's 0x40000000 leaves stay and kdom's leaves are added (and
 * Xen's at XEN_CPUID_BASE when req->xen: include/kdom/xen.h).  An
 * override that sets a feature KVM does not support is refused.
 * malloc()ed table, or NULL with err.
 */
struct kvm_cpuid2 *cpuid_build(const struct cpuid_request *req, char *err, size_t errlen);

/*
 * The table a domain sees on this host: cpuid_build() with KVM's supported
 * leaves (from kvm_fd), the domain's policy_cpuid(), override (NULL: none),
 * whether its Xen interface is on and whether KVM emulates guest kernel mode.  kdom run, kdomd's domains
 * and `kdom cpuid` all build it here.  malloc()ed table, or NULL with err.
 */
struct kvm_cpuid2 *cpuid_build_domain(int kvm_fd, const struct domain *domain,
				      const struct cpuid_override *override, unsigned int nr_vcpus,
				      bool xen, char *err, size_t errlen);

/* A malloc()ed copy of the domain table for vCPU vcpu_id (APIC IDs), or NULL. */
struct kvm_cpuid2 *cpuid_for_vcpu(const struct kvm_cpuid2 *table, unsigned int vcpu_id);

/* The entry for (function, index), or NULL. */
const struct kvm_cpuid_entry2 *cpuid_find(const struct kvm_cpuid2 *table, uint32_t function,
					  uint32_t index);

/* Sort by leaf, then subleaf (the order `kdom cpuid` prints). */
void cpuid_sort(struct kvm_cpuid2 *table);

#endif

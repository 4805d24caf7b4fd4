/* CPUID table construction from what KVM supports. */
#include "vmm/cpuid.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "kdom/abi.h"
#include "vmm/log.h"

#define CPUID_MAX_ENTRIES 256
#define CPUID_1_ECX_CX16 (1u << 13)
#define CPUID_1_ECX_XSAVE (1u << 26)
#define CPUID_1_ECX_OSXSAVE (1u << 27)
#define CPUID_1_ECX_AVX (1u << 28)
#define CPUID_1_ECX_FMA (1u << 12)
#define CPUID_1_ECX_F16C (1u << 29)
#define CPUID_1_ECX_HYPERVISOR (1u << 31)
#define CPUID_7_EBX_AVX2 (1u << 5)
#define CPUID_7_EBX_AVX512_MASK 0xdc230000u /* F, DQ, IFMA, PF, ER, CD, BW, VL */
#define CPUID_7_ECX_AVX512_MASK 0x00005842u /* VBMI, VBMI2, VNNI, BITALG, VPOPCNTDQ */
#define CPUID_7_EDX_AVX512_MASK 0x0000000cu /* 4VNNIW, 4FMAPS */

struct kvm_cpuid2 *cpuid_get_supported(int kvm_fd)
{
	size_t size =
		sizeof(struct kvm_cpuid2) + CPUID_MAX_ENTRIES * sizeof(struct kvm_cpuid_entry2);
	struct kvm_cpuid2 *cpuid = calloc(1, size);

	if (!cpuid)
		return NULL;
	cpuid->nent = CPUID_MAX_ENTRIES;
	if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, cpuid) < 0) {
		log_error("KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
		free(cpuid);
		return NULL;
	}
	return cpuid;
}

static struct kvm_cpuid_entry2 *cpuid_add(struct kvm_cpuid2 *cpuid, uint32_t function)
{
	struct kvm_cpuid_entry2 *entry;

	if (cpuid->nent >= CPUID_MAX_ENTRIES)
		return NULL;
	entry = &cpuid->entries[cpuid->nent++];
	memset(entry, 0, sizeof(*entry));
	entry->function = function;
	return entry;
}

/* Everything that needs XSAVE to manage its state goes when XSAVE goes. */
static void cpuid_hide_xsave(struct kvm_cpuid_entry2 *entry)
{
	switch (entry->function) {
	case 1:
		entry->ecx &= ~(CPUID_1_ECX_XSAVE | CPUID_1_ECX_OSXSAVE | CPUID_1_ECX_AVX |
				CPUID_1_ECX_FMA | CPUID_1_ECX_F16C);
		break;
	case 7:
		if (entry->index == 0) {
			entry->ebx &= ~(CPUID_7_EBX_AVX2 | CPUID_7_EBX_AVX512_MASK);
			entry->ecx &= ~CPUID_7_ECX_AVX512_MASK;
			entry->edx &= ~CPUID_7_EDX_AVX512_MASK;
		} else if (entry->index == 1) {
			entry->eax = 0; /* AVX-VNNI, AVX512_BF16 and friends */
		}
		break;
	case 0xd:
		entry->eax = entry->ebx = entry->ecx = entry->edx = 0;
		break;
	default:
		break;
	}
}

struct kvm_cpuid2 *cpuid_for_vcpu(const struct kvm_cpuid2 *supported, const struct domain *domain,
				  unsigned int vcpu_id, unsigned int nr_vcpus, bool cpl0_emulated)
{
	size_t size =
		sizeof(struct kvm_cpuid2) + CPUID_MAX_ENTRIES * sizeof(struct kvm_cpuid_entry2);
	struct kvm_cpuid2 *cpuid = calloc(1, size);
	struct kvm_cpuid_entry2 *entry;

	if (!cpuid)
		return NULL;
	for (uint32_t i = 0; i < supported->nent && i < CPUID_MAX_ENTRIES; i++) {
		/* kdom's own range is filled below, whatever the host offered there. */
		if ((supported->entries[i].function & 0xffffff00u) == KDOM_CPUID_BASE)
			continue;
		cpuid->entries[cpuid->nent++] = supported->entries[i];
	}

	for (uint32_t i = 0; i < cpuid->nent; i++) {
		entry = &cpuid->entries[i];
		switch (entry->function) {
		case 1:
			entry->ebx =
				(entry->ebx & 0x0000ffffu) | (nr_vcpus << 16) | (vcpu_id << 24);
			entry->ecx |= CPUID_1_ECX_HYPERVISOR;
			if (cpl0_emulated)
				entry->ecx &= ~CPUID_1_ECX_CX16;
			break;
		case 0xb:
		case 0x1f:
			entry->edx = vcpu_id; /* x2APIC ID */
			break;
		default:
			break;
		}
		if (cpl0_emulated)
			cpuid_hide_xsave(entry);
	}

	entry = cpuid_add(cpuid, KDOM_CPUID_BASE);
	if (!entry)
		goto full;
	entry->eax = KDOM_CPUID_INFO;
	entry->ebx = KDOM_CPUID_SIGNATURE_EBX;
	entry->ecx = KDOM_CPUID_SIGNATURE_ECX;
	entry->edx = KDOM_CPUID_SIGNATURE_EDX;
	entry = cpuid_add(cpuid, KDOM_CPUID_INFO);
	if (!entry)
		goto full;
	entry->eax = KDOM_ABI_VERSION;
	entry->ebx = domain->domid;
	entry->ecx = domain_role_flags(domain);
	entry->edx = KDOM_PORT_HYPERCALL;
	return cpuid;
full:
	log_error("CPUID table full (%d entries)", CPUID_MAX_ENTRIES);
	free(cpuid);
	return NULL;
}

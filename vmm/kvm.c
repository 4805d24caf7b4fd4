/* /dev/kvm opening and capability checks. */
#include "vmm/kvm.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vmm/log.h"

struct kvm_required_cap {
	int cap;
	const char *name;
};

/* Every capability kdom relies on; a missing one is named, not guessed at. */
static const struct kvm_required_cap kvm_required_caps[] = {
	{ KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY" },
	{ KVM_CAP_SET_TSS_ADDR, "KVM_CAP_SET_TSS_ADDR" },
	{ KVM_CAP_SET_IDENTITY_MAP_ADDR, "KVM_CAP_SET_IDENTITY_MAP_ADDR" },
	{ KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP" },
	{ KVM_CAP_PIT2, "KVM_CAP_PIT2" },
	{ KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID" },
	{ KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT" },
	{ KVM_CAP_MP_STATE, "KVM_CAP_MP_STATE" },
	{ KVM_CAP_IRQ_INJECT_STATUS, "KVM_CAP_IRQ_INJECT_STATUS" },
	{ KVM_CAP_IRQ_ROUTING, "KVM_CAP_IRQ_ROUTING" },	      /* MSI routes (vmm/irq.c) */
	{ KVM_CAP_IRQFD, "KVM_CAP_IRQFD" },		      /* pass-through interrupts */
	{ KVM_CAP_IRQFD_RESAMPLE, "KVM_CAP_IRQFD_RESAMPLE" }, /* level INTx, VFIO's unmask */
};

int kvm_open_checked(unsigned int nr_vcpus)
{
	int fd, version, max_vcpus;

	fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		int saved = errno;

		log_error("cannot open /dev/kvm: %s%s", strerror(saved),
			  saved == ENOENT ? " (is the kvm module loaded?)" : "");
		return -saved;
	}
	version = ioctl(fd, KVM_GET_API_VERSION, 0);
	if (version != KVM_API_VERSION) {
		log_error("/dev/kvm speaks KVM API version %d, kdom needs %d", version,
			  KVM_API_VERSION);
		close(fd);
		return -ENOTSUP;
	}
	for (size_t i = 0; i < sizeof(kvm_required_caps) / sizeof(kvm_required_caps[0]); i++) {
		if (ioctl(fd, KVM_CHECK_EXTENSION, kvm_required_caps[i].cap) <= 0) {
			log_error("host KVM lacks %s, which kdom needs", kvm_required_caps[i].name);
			close(fd);
			return -ENOTSUP;
		}
	}
	max_vcpus = ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
	if (max_vcpus <= 0)
		max_vcpus = ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
	if (max_vcpus > 0 && (unsigned int)max_vcpus < nr_vcpus) {
		log_error("host KVM allows %d vCPUs per VM, %u requested", max_vcpus, nr_vcpus);
		close(fd);
		return -ENOTSUP;
	}
	return fd;
}

bool kvm_cpl0_emulated(void)
{
	const char *override = getenv("KDOM_CPL0_EMULATED");
	char line[4096];
	bool hw_virt = false;
	FILE *cpuinfo;

	if (override && *override)
		return strcmp(override, "0") != 0;
	cpuinfo = fopen("/proc/cpuinfo", "re");
	if (!cpuinfo)
		return true; /* unknown: hiding two features is the safe side */
	while (fgets(line, sizeof(line), cpuinfo)) {
		if (strncmp(line, "flags", 5))
			continue;
		hw_virt = strstr(line, " vmx") || strstr(line, " svm");
		break;
	}
	fclose(cpuinfo);
	return !hw_virt;
}

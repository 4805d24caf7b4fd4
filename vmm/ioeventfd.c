/* KVM_IOEVENTFD on MMIO addresses: a device's doorbell write signals an eventfd inside KVM. */
#include "vmm/ioeventfd.h"

#include <errno.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>

#include "vmm/vm.h"

static int ioeventfd_ioctl(struct vm *vm, int fd, uint64_t gpa, uint32_t len, uint32_t flags)
{
	struct kvm_ioeventfd request = {
		.addr = gpa,
		.len = len,
		.fd = fd,
		.flags = flags,
	};

	if (len != 0 && len != 1 && len != 2 && len != 4 && len != 8)
		return -EINVAL;
	if (ioctl(vm->vm_fd, KVM_IOEVENTFD, &request) < 0)
		return -errno;
	return 0;
}

int ioeventfd_assign(struct vm *vm, int fd, uint64_t gpa, uint32_t len)
{
	return ioeventfd_ioctl(vm, fd, gpa, len, 0);
}

int ioeventfd_deassign(struct vm *vm, int fd, uint64_t gpa, uint32_t len)
{
	return ioeventfd_ioctl(vm, fd, gpa, len, KVM_IOEVENTFD_FLAG_DEASSIGN);
}

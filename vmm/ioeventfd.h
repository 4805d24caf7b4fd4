/* Guest writes that KVM turns into eventfd signals (KVM_IOEVENTFD), so they never exit to kdom. */
#ifndef KDOM_IOEVENTFD_H
#define KDOM_IOEVENTFD_H

#include <stdint.h>

struct vm;

/*
 * A guest write of len bytes (1, 2, 4 or 8; 0: any length) to MMIO gpa
 * signals fd inside KVM instead of exiting to a vCPU thread; writes of
 * other lengths still exit.  The value written is not kept.  0 or -errno
 * (-EBADF without a VM, -EEXIST when fd already listens there).
 */
int ioeventfd_assign(struct vm *vm, int fd, uint64_t gpa, uint32_t len);
/* Undo ioeventfd_assign() with the same arguments.  0 or -errno. */
int ioeventfd_deassign(struct vm *vm, int fd, uint64_t gpa, uint32_t len);

#endif

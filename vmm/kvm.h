/* /dev/kvm: the API version and capability checks kdom depends on. */
#ifndef KDOM_KVM_H
#define KDOM_KVM_H

#include <stdbool.h>

/*
 * Open /dev/kvm and check the API version and every capability kdom uses,
 * including room for nr_vcpus vCPUs.  Returns the fd or -errno, with a log
 * line naming what is missing.
 */
int kvm_open_checked(unsigned int nr_vcpus);

/*
 * Whether the host's KVM runs guest kernel-mode code in its instruction
 * emulator (no VMX/SVM under it).  Such hosts cannot run CMPXCHG16B or
 * XSAVE, so kdom hides them from guests.  KDOM_CPL0_EMULATED=0/1 overrides
 * the detection.
 */
bool kvm_cpl0_emulated(void);

#endif

/* The boot vCPU's initial state for each boot protocol. */
#ifndef KDOM_BOOT_REGS_H
#define KDOM_BOOT_REGS_H

#include "vmm/guest-mem.h"
#include "vmm/x86/loader.h"

/*
 * Put the vCPU behind vcpu_fd at the entry `boot` describes: PVH gets flat
 * 32-bit protected mode with paging off and EBX = hvm_start_info; Linux gets
 * 64-bit long mode on identity page tables (written to guest RAM at
 * LAYOUT_PML4..) with the boot GDT and RSI = boot_params.  0 or -errno.
 */
int boot_regs_setup(int vcpu_fd, const struct guest_mem *mem, const struct boot_setup *boot);

#endif

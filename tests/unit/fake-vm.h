/* A VM with buses and stop bookkeeping but no KVM behind it, for the device unit tests. */
#ifndef KDOM_FAKE_VM_H
#define KDOM_FAKE_VM_H

#include <stdint.h>

#include "vmm/vm.h"

/* vm_init() without KVM: empty port and MMIO buses, the locks, a stop eventfd, domain. */
void fake_vm_init(struct vm *vm, struct domain *domain);
void fake_vm_destroy(struct vm *vm);

/* One byte read from port through vm's port bus. */
uint8_t fake_vm_port_read(struct vm *vm, uint16_t port);

/* One byte written to port through vm's port bus. */
void fake_vm_port_write(struct vm *vm, uint16_t port, uint8_t value);

/* A configuration cycle of len bytes to bus 0, slot, function 0 through ports 0xCF8/0xCFC. */
/* A len-byte (1, 2 or 4) port read or write through vm's port bus, little-endian. */
uint32_t fake_vm_port_in(struct vm *vm, uint16_t port, uint32_t len);
void fake_vm_port_out(struct vm *vm, uint16_t port, uint32_t len, uint32_t value);

uint32_t fake_vm_pci_read(struct vm *vm, unsigned int slot, unsigned int offset, uint32_t len);
void fake_vm_pci_write(struct vm *vm, unsigned int slot, unsigned int offset, uint32_t len,
		       uint32_t value);

/* An access of len (1..8) bytes at gpa through vm's MMIO bus; unclaimed reads are all ones. */
uint64_t fake_vm_mmio_read(struct vm *vm, uint64_t gpa, uint32_t len);
void fake_vm_mmio_write(struct vm *vm, uint64_t gpa, uint32_t len, uint64_t value);

#endif

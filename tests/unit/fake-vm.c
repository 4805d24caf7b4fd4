/* A VM with buses and stop bookkeeping but no KVM behind it, for the device unit tests. */
#include "tests/unit/fake-vm.h"
#include "tests/unit/unit.h"

void fake_vm_init(struct vm *vm, struct domain *domain)
{
	ck_assert_int_eq(vm_init(vm, domain, -1), 0);
}

void fake_vm_destroy(struct vm *vm)
{
	vm_destroy(vm);
}

uint8_t fake_vm_port_read(struct vm *vm, uint16_t port)
{
	uint8_t value;

	bus_dispatch(&vm->pio, port, &value, 1, false, NULL);
	return value;
}

void fake_vm_port_write(struct vm *vm, uint16_t port, uint8_t value)
{
	bus_dispatch(&vm->pio, port, &value, 1, true, NULL);
}

uint32_t fake_vm_port_in(struct vm *vm, uint16_t port, uint32_t len)
{
	uint8_t data[4];
	uint32_t value = 0;

	bus_dispatch(&vm->pio, port, data, len, false, NULL);
	for (uint32_t i = 0; i < len; i++)
		value |= (uint32_t)data[i] << (8 * i);
	return value;
}

void fake_vm_port_out(struct vm *vm, uint16_t port, uint32_t len, uint32_t value)
{
	uint8_t data[4];

	for (uint32_t i = 0; i < len; i++)
		data[i] = value >> (8 * i);
	bus_dispatch(&vm->pio, port, data, len, true, NULL);
}

static uint32_t fake_vm_pci_address(unsigned int slot, unsigned int offset)
{
	return 0x80000000u | slot << 11 | (offset & 0xfc);
}

uint32_t fake_vm_pci_read(struct vm *vm, unsigned int slot, unsigned int offset, uint32_t len)
{
	fake_vm_port_out(vm, 0xcf8, 4, fake_vm_pci_address(slot, offset));
	return fake_vm_port_in(vm, 0xcfc + (offset & 3), len);
}

void fake_vm_pci_write(struct vm *vm, unsigned int slot, unsigned int offset, uint32_t len,
		       uint32_t value)
{
	fake_vm_port_out(vm, 0xcf8, 4, fake_vm_pci_address(slot, offset));
	fake_vm_port_out(vm, 0xcfc + (offset & 3), len, value);
}

uint64_t fake_vm_mmio_read(struct vm *vm, uint64_t gpa, uint32_t len)
{
	uint8_t data[8];
	uint64_t value = 0;

	bus_dispatch(&vm->mmio, gpa, data, len, false, NULL);
	for (uint32_t i = 0; i < len; i++)
		value |= (uint64_t)data[i] << (8 * i);
	return value;
}

void fake_vm_mmio_write(struct vm *vm, uint64_t gpa, uint32_t len, uint64_t value)
{
	uint8_t data[8];

	for (uint32_t i = 0; i < len; i++)
		data[i] = value >> (8 * i);
	bus_dispatch(&vm->mmio, gpa, data, len, true, NULL);
}

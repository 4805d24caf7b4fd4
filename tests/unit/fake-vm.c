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

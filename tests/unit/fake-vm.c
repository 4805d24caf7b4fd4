/* A VM with buses and stop bookkeeping but no KVM behind it, for the device unit tests. */
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "tests/unit/fake-vm.h"
#include "tests/unit/unit.h"

void fake_vm_init(struct vm *vm, struct domain *domain)
{
	memset(vm, 0, sizeof(*vm));
	vm->kvm_fd = vm->vm_fd = -1;
	vm->domain = domain;
	bus_init(&vm->pio, "port I/O");
	bus_init(&vm->mmio, "MMIO");
	pthread_mutex_init(&vm->stop_lock, NULL);
	vm->stop_fd = eventfd(0, EFD_CLOEXEC);
	ck_assert_int_ge(vm->stop_fd, 0);
}

void fake_vm_destroy(struct vm *vm)
{
	close(vm->stop_fd);
	bus_destroy(&vm->pio);
	bus_destroy(&vm->mmio);
	pthread_mutex_destroy(&vm->stop_lock);
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

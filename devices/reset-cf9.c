/* Reset control register at port 0xCF9, as PIIX/ICH chipsets have it. */
#include <string.h>

#include "devices/devices.h"
#include "kdom/abi.h"
#include "vmm/vm.h"

static void reset_cf9_io(void *opaque, struct bus_access *access)
{
	struct reset_cf9 *rc = opaque;

	if (access->len != 1)
		return;
	if (!access->write) {
		access->data[0] = rc->value;
		return;
	}
	rc->value = access->data[0] & ~KDOM_CF9_RESET_CPU;
	if (access->data[0] & KDOM_CF9_RESET_CPU)
		vm_stop(rc->vm, VM_STOP_REBOOT, 0, "guest requested reboot (port 0xcf9)");
}

int reset_cf9_create(struct reset_cf9 *rc, struct vm *vm)
{
	memset(rc, 0, sizeof(*rc));
	rc->vm = vm;
	return bus_register(&vm->pio, KDOM_PORT_RESET_CF9, 1, reset_cf9_io, rc, "reset-cf9");
}

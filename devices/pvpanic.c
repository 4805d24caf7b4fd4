/* pvpanic ISA device (QEMU's interface): the guest tells us it panicked. */
#include "devices/pvpanic.h"
#include "kdom/abi.h"
#include "vmm/log.h"
#include "vmm/vm.h"

static void pvpanic_io(void *opaque, struct bus_access *access)
{
	struct pvpanic *pp = opaque;

	if (access->len != 1)
		return;
	if (!access->write) {
		access->data[0] = KDOM_PVPANIC_PANICKED | KDOM_PVPANIC_CRASH_LOADED;
		return;
	}
	if (access->data[0] & KDOM_PVPANIC_PANICKED)
		vm_stop(pp->vm, VM_STOP_CRASH, 0, "guest panicked (pvpanic)");
	else if (access->data[0] & KDOM_PVPANIC_CRASH_LOADED)
		log_info("guest panicked and is loading a crash kernel (pvpanic)");
}

int pvpanic_create(struct pvpanic *pp, struct vm *vm)
{
	pp->vm = vm;
	return bus_register(&vm->pio, KDOM_PORT_PVPANIC, 1, pvpanic_io, pp, "pvpanic");
}

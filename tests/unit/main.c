/* Runs every Check suite of kdom's unit tests. */
#include <stdlib.h>

#include "tests/unit/unit.h"

int main(void)
{
	SRunner *runner = srunner_create(guest_mem_suite());
	int failed;

	srunner_add_suite(runner, bus_suite());
	srunner_add_suite(runner, loader_suite());
	srunner_add_suite(runner, config_suite());
	srunner_add_suite(runner, hypercall_suite());
	srunner_add_suite(runner, devices_suite());
	srunner_add_suite(runner, cpuid_suite());
	srunner_add_suite(runner, roles_suite());
	srunner_add_suite(runner, i8254_suite());
	srunner_add_suite(runner, protocol_suite());
	srunner_add_suite(runner, pci_suite());
	srunner_add_suite(runner, vfio_user_suite());
	srunner_add_suite(runner, vfio_user_wire_suite());
	srunner_add_suite(runner, pci_config_suite());
	srunner_add_suite(runner, vfio_kernel_suite());
	srunner_add_suite(runner, event_loop_suite());
	srunner_add_suite(runner, xen_page_suite());
	srunner_add_suite(runner, xen_ops_suite());
	srunner_add_suite(runner, xl_compat_suite());
	srunner_add_suite(runner, virtio_queue_suite());
	srunner_add_suite(runner, virtio_pci_suite());
	srunner_add_suite(runner, virtio_net_suite());
	srunner_add_suite(runner, acpi_suite());
	srunner_add_suite(runner, virtio_blk_suite());
	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* Unit tests of the platform devices and the MP table, driven through the port bus. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "devices/hypercall-port.h"
#include "devices/i8042.h"
#include "devices/post.h"
#include "devices/pvpanic.h"
#include "devices/uart.h"
#include "kdom/abi.h"
#include "tests/unit/fake-vm.h"
#include "tests/unit/unit.h"
#include "vmm/console.h"
#include "vmm/x86/layout.h"
#include "vmm/x86/mptable.h"
#include "vmm/vm.h"

START_TEST(test_uart_output_and_loopback)
{
	struct vm vm;
	struct domain domain;
	struct console console;
	struct uart uart;
	char err[128], out[64] = "";
	int fd = memfd_create("console", 0);

	fake_vm_init(&vm, &domain);
	ck_assert_int_eq(console_open(&console, "stdio", err, sizeof(err)), 0);
	console.out_fd = fd;
	console.in_fd = -1;
	ck_assert_int_eq(uart_create(&uart, &vm, &console, KDOM_PORT_COM1, 4), 0);

	ck_assert_uint_eq(fake_vm_port_read(&vm, KDOM_PORT_COM1 + 5) & 0x60, 0x60); /* THR empty */
	for (const char *p = "ok\n"; *p; p++)
		fake_vm_port_write(&vm, KDOM_PORT_COM1, *p);
	ck_assert_int_eq(pread(fd, out, sizeof(out) - 1, 0), 3);
	ck_assert_str_eq(out, "ok\n");

	/* Loopback: what is sent comes back, and MSR mirrors MCR as Linux probes. */
	fake_vm_port_write(&vm, KDOM_PORT_COM1 + 4, 0x10 | 0x0a); /* LOOP | RTS | OUT2 */
	ck_assert_uint_eq(fake_vm_port_read(&vm, KDOM_PORT_COM1 + 6) & 0xf0, 0x90);
	fake_vm_port_write(&vm, KDOM_PORT_COM1, 'x');
	ck_assert_uint_eq(fake_vm_port_read(&vm, KDOM_PORT_COM1 + 5) & 1, 1);
	ck_assert_uint_eq(fake_vm_port_read(&vm, KDOM_PORT_COM1), 'x');
	ck_assert_uint_eq(fake_vm_port_read(&vm, KDOM_PORT_COM1 + 5) & 1, 0);
	fake_vm_port_write(&vm, KDOM_PORT_COM1 + 4, 0x08);

	/* Input: data ready, and the receive interrupt shows in IIR when enabled. */
	ck_assert_uint_eq(uart_receive(&uart, (const uint8_t *)"ab", 2), 2);
	ck_assert_uint_eq(fake_vm_port_read(&vm, KDOM_PORT_COM1 + 2) & 0x0f, 0x01);
	fake_vm_port_write(&vm, KDOM_PORT_COM1 + 1, 0x01);
	ck_assert_uint_eq(fake_vm_port_read(&vm, KDOM_PORT_COM1 + 2) & 0x0f, 0x04);
	ck_assert_uint_eq(fake_vm_port_read(&vm, KDOM_PORT_COM1), 'a');
	ck_assert_uint_eq(fake_vm_port_read(&vm, KDOM_PORT_COM1), 'b');
	ck_assert_uint_eq(fake_vm_port_read(&vm, KDOM_PORT_COM1 + 2) & 0x0f, 0x01);

	/* Divisor latch: DLAB switches offsets 0 and 1. */
	fake_vm_port_write(&vm, KDOM_PORT_COM1 + 3, 0x80);
	fake_vm_port_write(&vm, KDOM_PORT_COM1, 0x0c);
	ck_assert_uint_eq(fake_vm_port_read(&vm, KDOM_PORT_COM1), 0x0c);
	fake_vm_port_write(&vm, KDOM_PORT_COM1 + 3, 0x03);
	ck_assert_uint_eq(fake_vm_port_read(&vm, KDOM_PORT_COM1 + 1), 0x01);

	/* A full receive FIFO takes no more. */
	uint8_t flood[UART_RX_SIZE + 10];
	memset(flood, 'z', sizeof(flood));
	ck_assert_uint_eq(uart_receive(&uart, flood, sizeof(flood)), UART_RX_SIZE);

	uart_destroy(&uart);
	close(fd);
	console.out_fd = -1;
	console_close(&console);
	fake_vm_destroy(&vm);
}
END_TEST

START_TEST(test_reset_paths_stop_the_domain)
{
	struct vm vm;
	struct domain domain;
	struct i8042 kbc;
	struct pvpanic pp;

	/* Port 0xCF9 belongs to the PCI host bridge now: tests/unit/test-pci.c. */
	fake_vm_init(&vm, &domain);
	ck_assert_int_eq(i8042_create(&kbc, &vm), 0);
	ck_assert_int_eq(pvpanic_create(&pp, &vm), 0);

	/* Harmless accesses do not stop anything. */
	fake_vm_port_write(&vm, KDOM_PORT_I8042_CMD, 0xaa);
	ck_assert_uint_eq(fake_vm_port_read(&vm, KDOM_PORT_I8042_CMD) & 1, 1);
	ck_assert_uint_eq(fake_vm_port_read(&vm, KDOM_PORT_I8042_DATA), 0x55);
	ck_assert_uint_eq(fake_vm_port_read(&vm, KDOM_PORT_PVPANIC), 3);
	fake_vm_port_write(&vm, KDOM_PORT_PVPANIC, KDOM_PVPANIC_CRASH_LOADED);
	ck_assert_int_eq(vm.outcome.reason, VM_STOP_NONE);

	fake_vm_port_write(&vm, KDOM_PORT_I8042_CMD, KDOM_I8042_CMD_RESET);
	ck_assert_int_eq(vm.outcome.reason, VM_STOP_REBOOT);
	ck_assert_ptr_nonnull(strstr(vm.outcome.message, "i8042"));
	ck_assert_int_eq(vm_outcome_exit_code(&vm.outcome), KDOM_EXIT_REBOOT);

	/* The first reason wins. */
	fake_vm_port_write(&vm, KDOM_PORT_PVPANIC, KDOM_PVPANIC_PANICKED);
	ck_assert_int_eq(vm.outcome.reason, VM_STOP_REBOOT);

	vm.outcome.reason = VM_STOP_NONE;
	fake_vm_port_write(&vm, KDOM_PORT_PVPANIC, KDOM_PVPANIC_PANICKED);
	ck_assert_int_eq(vm.outcome.reason, VM_STOP_CRASH);
	ck_assert_int_eq(vm_outcome_exit_code(&vm.outcome), KDOM_EXIT_CRASH);
	fake_vm_destroy(&vm);
}
END_TEST

START_TEST(test_hypercall_port_validates_block)
{
	static uint8_t ram[1 << 20] __attribute__((aligned(8)));
	struct vm vm;
	struct domain domain;
	struct hypercall_port hp;
	struct kdom_hypercall req = { .op = KDOM_HC_SCHED_OP,
				      .cmd = KDOM_SCHEDOP_SHUTDOWN,
				      .arg = { KDOM_SHUTDOWN_POWEROFF, KDOM_RESULT_SKIP } };
	uint32_t gpa;

	domain_init(&domain, 1, "t", 0);
	fake_vm_init(&vm, &domain);
	gmem_wrap(&vm.mem, ram, sizeof(ram));
	ck_assert_int_eq(hypercall_port_create(&hp, &vm), 0);

	/* Misaligned, out of RAM, straddling the end, and short writes do nothing. */
	uint32_t bad[] = { 0x1004, sizeof(ram), sizeof(ram) - 8, 0xfffffff8 };
	memcpy(ram + 0x1004, &req, sizeof(req));
	memcpy(ram + sizeof(ram) - 8, &req, 8);
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		bus_dispatch(&vm.pio, KDOM_PORT_HYPERCALL, (uint8_t *)&bad[i], 4, true, NULL);
	gpa = 0x2000;
	memcpy(ram + gpa, &req, sizeof(req));
	bus_dispatch(&vm.pio, KDOM_PORT_HYPERCALL, (uint8_t *)&gpa, 2, true, NULL);
	ck_assert_int_eq(vm.outcome.reason, VM_STOP_NONE);

	/* A good block is served and its result written back. */
	bus_dispatch(&vm.pio, KDOM_PORT_HYPERCALL, (uint8_t *)&gpa, 4, true, NULL);
	ck_assert_int_eq(vm.outcome.reason, VM_STOP_POWEROFF);
	ck_assert_uint_eq(vm.outcome.result, KDOM_RESULT_SKIP);
	ck_assert_int_eq(vm_outcome_exit_code(&vm.outcome), KDOM_EXIT_SKIP);
	memcpy(&req, ram + gpa, sizeof(req));
	ck_assert_int_eq(req.ret, 0);
	fake_vm_destroy(&vm);
}
END_TEST

/* A guest registers for the toolstack's requests by reading them once (kdom_op GET_CONTROL_REQUEST). */
START_TEST(test_hypercall_port_registers_request_readers)
{
	static uint8_t ram[1 << 16] __attribute__((aligned(8)));
	struct vm vm;
	struct domain domain;
	struct hypercall_port hp;
	struct kdom_hypercall req = { .op = KDOM_HC_KDOM_OP,
				      .cmd = KDOM_KDOMOP_GET_CONTROL_REQUEST };
	uint32_t gpa = 0x1000;

	domain_init(&domain, 1, "t", 0);
	fake_vm_init(&vm, &domain);
	gmem_wrap(&vm.mem, ram, sizeof(ram));
	ck_assert_int_eq(hypercall_port_create(&hp, &vm), 0);
	ck_assert(!hypercall_port_reads_requests(&hp));

	/* Another op does not register; asking does, even with no request pending. */
	memcpy(ram + gpa, &(struct kdom_hypercall){ .op = KDOM_HC_XEN_VERSION }, sizeof(req));
	bus_dispatch(&vm.pio, KDOM_PORT_HYPERCALL, (uint8_t *)&gpa, 4, true, NULL);
	ck_assert(!hypercall_port_reads_requests(&hp));
	memcpy(ram + gpa, &req, sizeof(req));
	bus_dispatch(&vm.pio, KDOM_PORT_HYPERCALL, (uint8_t *)&gpa, 4, true, NULL);
	memcpy(&req, ram + gpa, sizeof(req));
	ck_assert_int_eq(req.ret, 0);
	ck_assert_uint_eq(req.arg[0], 0);
	ck_assert(hypercall_port_reads_requests(&hp));

	/* A request recorded before is answered as ever. */
	hp.shutdown_request = KDOM_SHUTDOWN_REBOOT + 1;
	bus_dispatch(&vm.pio, KDOM_PORT_HYPERCALL, (uint8_t *)&gpa, 4, true, NULL);
	memcpy(&req, ram + gpa, sizeof(req));
	ck_assert_uint_eq(req.arg[0], 1);
	ck_assert_uint_eq(req.arg[1], KDOM_SHUTDOWN_REBOOT);
	fake_vm_destroy(&vm);
}
END_TEST

static uint8_t mp_sum(const uint8_t *p, size_t len)
{
	uint8_t sum = 0;

	while (len--)
		sum += *p++;
	return sum;
}

START_TEST(test_mptable_lists_every_cpu)
{
	size_t size = 2 << 20;
	uint8_t *ram = calloc(1, size);
	struct guest_mem mem;

	gmem_wrap(&mem, ram, size);
	ck_assert_int_eq(mptable_write(&mem, 0, NULL), -EINVAL);
	for (unsigned int cpus = 1; cpus <= DOMAIN_VCPUS_MAX; cpus++) {
		const uint8_t *fp = ram + LAYOUT_MPTABLE;
		uint32_t table;
		uint16_t length, count;
		unsigned int found = 0, boot = 0;

		ck_assert_int_eq(mptable_write(&mem, cpus, NULL), 0);
		ck_assert_mem_eq(fp, "_MP_", 4);
		ck_assert_uint_eq(mp_sum(fp, 16), 0);
		memcpy(&table, fp + 4, 4);
		ck_assert_uint_lt(table + 44, size);
		ck_assert_mem_eq(ram + table, "PCMP", 4);
		memcpy(&length, ram + table + 4, 2);
		memcpy(&count, ram + table + 34, 2);
		ck_assert_uint_eq(mp_sum(ram + table, length), 0);
		const uint8_t *entry = ram + table + 44;
		for (unsigned int i = 0; i < count; i++) {
			if (entry[0] == 0) {
				ck_assert_uint_eq(entry[1], found); /* APIC IDs 0..n-1 */
				found++;
				boot += (entry[3] & 2) ? 1 : 0;
				entry += 20;
			} else {
				entry += 8;
			}
		}
		ck_assert_uint_eq(entry - (ram + table), length);
		ck_assert_uint_eq(found, cpus);
		ck_assert_uint_eq(boot, 1);
	}
	free(ram);
}
END_TEST

Suite *devices_suite(void)
{
	Suite *suite = suite_create("devices");
	TCase *tc = tcase_create("platform");

	tcase_add_test(tc, test_uart_output_and_loopback);
	tcase_add_test(tc, test_reset_paths_stop_the_domain);
	tcase_add_test(tc, test_hypercall_port_validates_block);
	tcase_add_test(tc, test_hypercall_port_registers_request_readers);
	tcase_add_test(tc, test_mptable_lists_every_cpu);
	suite_add_tcase(suite, tc);
	return suite;
}

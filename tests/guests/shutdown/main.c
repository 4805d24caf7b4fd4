/* shutdown: stops the domain the way reason= on its command line names, for the runner to check. */
#include "guest.h"

const char test_title[] = "shutdown: every way a domain can end";

static void hypercall_shutdown(unsigned int reason)
{
	sched_shutdown(reason, KDOM_RESULT_SUCCESS);
}

static void do_poweroff(void)
{
	hypercall_shutdown(KDOM_SHUTDOWN_POWEROFF);
}

static void do_reboot(void)
{
	hypercall_shutdown(KDOM_SHUTDOWN_REBOOT);
}

static void do_suspend(void)
{
	hypercall_shutdown(KDOM_SHUTDOWN_SUSPEND);
}

static void do_crash_hypercall(void)
{
	hypercall_shutdown(KDOM_SHUTDOWN_CRASH);
}

static void do_watchdog(void)
{
	hypercall_shutdown(KDOM_SHUTDOWN_WATCHDOG);
}

static void do_reboot_i8042(void)
{
	outb(KDOM_PORT_I8042_CMD, KDOM_I8042_CMD_RESET);
}

static void do_reboot_cf9(void)
{
	outb(KDOM_PORT_RESET_CF9, 0x02 | KDOM_CF9_RESET_CPU); /* 0x06: hard reset */
}

static void do_crash_pvpanic(void)
{
	outb(KDOM_PORT_PVPANIC, KDOM_PVPANIC_PANICKED);
}

/* #UD with no IDT escalates to #DF and then to a shutdown (triple fault). */
static void do_triple_fault(void)
{
	struct desc_ptr empty = { .limit = 0, .base = 0 };

	lidt(&empty);
	asm volatile("ud2");
}

/*
 * Fetching instructions from the MMIO hole, where no RAM and no device is,
 * leaves KVM nothing to run: it reports an emulation failure on every host.
 */
static void do_emulation_failure(void)
{
	void (*nowhere)(void) = (void (*)(void))0xd0000000ul;

	nowhere();
}

static const struct {
	const char *reason;
	void (*act)(void);
} actions[] = {
	{ "poweroff", do_poweroff },	     { "reboot", do_reboot },
	{ "reboot-i8042", do_reboot_i8042 }, { "reboot-cf9", do_reboot_cf9 },
	{ "crash", do_crash_pvpanic },	     { "crash-hypercall", do_crash_hypercall },
	{ "suspend", do_suspend },	     { "watchdog", do_watchdog },
	{ "triple-fault", do_triple_fault }, { "emulation-failure", do_emulation_failure },
};

void test_main(void)
{
	const char *reason = cmdline_get("reason");

	if (!reason || !*reason) {
		test_error("no reason= on the command line");
		return;
	}
	for (unsigned int i = 0; i < ARRAY_SIZE(actions); i++) {
		if (strcmp(reason, actions[i].reason))
			continue;
		/* The runner judges by how the domain ends; this line says the guest got here. */
		printf("shutdown: %s\n", reason);
		printf("Test result: SUCCESS\n");
		actions[i].act();
		printf("shutdown: %s did not stop the domain\n", reason);
		printf("Test result: FAILURE: %s did not stop the domain\n", reason);
		sched_shutdown(KDOM_SHUTDOWN_POWEROFF, KDOM_RESULT_FAILURE);
		cpu_halt_forever();
	}
	test_error("unknown reason=%s", reason);
}

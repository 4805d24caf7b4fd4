/* idle: an idle domain that waits, halted, for the toolstack to ask it to shut down. */
#include "guest.h"

const char test_title[] = "idle: halt until kdom shutdown / kdom reboot asks";

/*
 * The vCPU halts with interrupts off, so the domain costs nothing while it
 * waits; the NMI kdom sends with a shutdown request wakes it.  It then shuts
 * down with the reason asked for (poweroff, reboot).  marker=TEXT is printed
 * first so a test can tell one boot from the next.  It reads the request
 * once before that line: kdom sends requests (and NMIs) only to a guest
 * that asked (kdom/abi.h); any other gets the ACPI power button.
 */
static volatile unsigned int nmis;

static void on_nmi(void)
{
	nmis++;
}

void test_main(void)
{
	const char *marker = cmdline_get("marker");
	unsigned int reason;
	bool asked;

	nmi_handler = on_nmi;
	asked = control_request(&reason); /* registers this guest as one that reads requests */
	printf("idle: up%s%s\n", marker ? " " : "", marker ? marker : "");
	for (;; asked = false) {
		/* A request made before this guest first halted has no NMI to wake it. */
		if (!asked && !control_request(&reason)) {
			asm volatile("cli; hlt" ::: "memory");
			continue;
		}
		report(reason == KDOM_SHUTDOWN_POWEROFF || reason == KDOM_SHUTDOWN_REBOOT,
		       "asked to %s after %u NMI(s)",
		       reason == KDOM_SHUTDOWN_REBOOT ? "reboot" : "power off", nmis);
		test_exit_reason(reason);
	}
}

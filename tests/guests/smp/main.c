/* smp: every application processor of the MP table starts and checks in. */
#include "guest.h"

const char test_title[] = "smp: start the application processors";

#define START_TIMEOUT_MS 5000 /* generous: CPL0 start-up code may be emulated */

static unsigned int arrived;

static void ap_hello(unsigned int cpu)
{
	printf("smp: CPU %u up, APIC ID %u\n", cpu, lapic_id());
	__atomic_add_fetch(&arrived, 1, __ATOMIC_RELEASE);
}

void test_main(void)
{
	uint8_t ids[MAX_CPUS];
	int listed = mptable_cpus(ids, ARRAY_SIZE(ids));
	uint64_t want = cmdline_get_u64("cpus", 0);
	uint64_t deadline;
	unsigned int expected;
	int started;

	if (listed < 0) {
		test_fail("no valid MP table in 0xf0000-0xfffff");
		return;
	}
	printf("smp: the MP table lists %d CPUs; BSP APIC ID %u\n", listed, lapic_id());
	if (want)
		report((uint64_t)listed == want, "the MP table lists %d CPUs (cpus=%lu)", listed,
		       want);
	if (listed > MAX_CPUS) {
		test_error("%d CPUs listed, the library handles %d", listed, MAX_CPUS);
		return;
	}
	if (listed == 1) {
		if (!want)
			test_skip("only one CPU: nothing to start");
		return;
	}

	expected = listed - 1;
	started = smp_start_aps(ap_hello, START_TIMEOUT_MS);
	deadline = tsc_deadline_ms(START_TIMEOUT_MS);
	while (__atomic_load_n(&arrived, __ATOMIC_ACQUIRE) < expected && !tsc_expired(deadline))
		cpu_relax();
	report(started == (int)expected, "%d of %u application processors started", started,
	       expected);
	report(__atomic_load_n(&arrived, __ATOMIC_ACQUIRE) == expected,
	       "%u of %u application processors checked in", arrived, expected);
}

/* exitloop: the exit-latency benchmark; times port writes from native-speed user mode. */
#include "guest.h"

const char test_title[] = "exitloop: exit latency of a port write";

#define DEFAULT_ITERATIONS 100000

struct exit_loop {
	uint64_t iterations;
	uint64_t cycles;
};

/* At CPL3 the loop runs natively; each OUT is one exit to the monitor. */
static long exit_loop(void *arg)
{
	struct exit_loop *loop = arg;
	uint64_t start = rdtsc();

	for (uint64_t i = 0; i < loop->iterations; i++)
		outb(KDOM_PORT_POST, 0);
	loop->cycles = rdtsc() - start;
	return 0;
}

void test_main(void)
{
	struct exit_loop loop = { .iterations = cmdline_get_u64("iterations", DEFAULT_ITERATIONS) };
	uint64_t hundredths;

	if (!loop.iterations) {
		test_error("iterations must be at least 1");
		return;
	}
	run_user(exit_loop, &loop);
	hundredths = loop.cycles * 100 / loop.iterations;
	printf("exit-latency: %lu exits, %lu tsc cycles, %lu.%02lu cycles/exit\n", loop.iterations,
	       loop.cycles, hundredths / 100, hundredths % 100);
}

/* Test results in the XTF manner: checks, the most severe result, the one final line, shutdown. */
#include "lib.h"

#define REASON_MAX 160

/* Shared by all CPUs; result_lock keeps a result and its reason together. */
static uint32_t result_lock;
static int result = KDOM_RESULT_SUCCESS;
static char result_reason[REASON_MAX];
static unsigned int checks, checks_failed;

static const char *const result_names[] = {
	[KDOM_RESULT_SUCCESS] = "SUCCESS",
	[KDOM_RESULT_SKIP] = "SKIP",
	[KDOM_RESULT_ERROR] = "ERROR",
	[KDOM_RESULT_FAILURE] = "FAILURE",
};

static void result_lock_take(void)
{
	while (__atomic_exchange_n(&result_lock, 1, __ATOMIC_ACQUIRE))
		cpu_relax();
}

static void result_lock_release(void)
{
	__atomic_store_n(&result_lock, 0, __ATOMIC_RELEASE);
}

/* A more severe result replaces the current one; an equal one keeps the first reason. */
static void result_set(int new_result, const char *reason)
{
	result_lock_take();
	if (new_result > result) {
		result = new_result;
		snprintf(result_reason, sizeof(result_reason), "%s", reason);
	}
	result_lock_release();
}

int test_result(void)
{
	return __atomic_load_n(&result, __ATOMIC_ACQUIRE);
}

void report(bool cond, const char *fmt, ...)
{
	char what[REASON_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);

	__atomic_add_fetch(&checks, 1, __ATOMIC_RELAXED);
	printf("%s: %s\n", cond ? "PASS" : "FAIL", what);
	if (!cond) {
		__atomic_add_fetch(&checks_failed, 1, __ATOMIC_RELAXED);
		result_set(KDOM_RESULT_FAILURE, what);
	}
}

static void test_record(int new_result, const char *fmt, va_list ap)
{
	char reason[REASON_MAX];

	vsnprintf(reason, sizeof(reason), fmt, ap);
	printf("%s: %s\n", result_names[new_result], reason);
	result_set(new_result, reason);
}

void test_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	test_record(KDOM_RESULT_FAILURE, fmt, ap);
	va_end(ap);
}

void test_skip(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	test_record(KDOM_RESULT_SKIP, fmt, ap);
	va_end(ap);
}

void test_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	test_record(KDOM_RESULT_ERROR, fmt, ap);
	va_end(ap);
}

/* kdom's hypercall port, unless the guest chose another way (test_set_shutdown()). */
static void shutdown_by_hypercall_port(unsigned int reason, int result)
{
	sched_shutdown(reason, result);
}

static void (*test_shutdown_fn)(unsigned int reason, int result) = shutdown_by_hypercall_port;

void test_set_shutdown(void (*shutdown)(unsigned int reason, int result))
{
	test_shutdown_fn = shutdown;
}

void test_shutdown(unsigned int reason, int result)
{
	test_shutdown_fn(reason, result);
}

/* The last line the runner reads, then the shutdown carrying the same result. */
static void __noreturn test_finish(unsigned int reason)
{
	if (result == KDOM_RESULT_SUCCESS)
		printf("Test result: SUCCESS\n");
	else
		printf("Test result: %s: %s\n", result_names[result], result_reason);
	test_shutdown(reason, result);
	cpu_halt_forever();
}

void test_exit(void)
{
	test_exit_reason(KDOM_SHUTDOWN_POWEROFF);
}

void test_exit_reason(unsigned int reason)
{
	printf("SUMMARY: %u checks, %u failed\n", checks, checks_failed);
	test_finish(reason);
}

void test_exit_unexpected(const char *reason)
{
	/* Not through result_set(): its lock may be held by the code that faulted. */
	result = KDOM_RESULT_ERROR;
	snprintf(result_reason, sizeof(result_reason), "%s", reason);
	test_finish(KDOM_SHUTDOWN_POWEROFF);
}

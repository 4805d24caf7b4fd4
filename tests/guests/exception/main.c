/* exception: #UD and #PF are delivered, recovered from and described correctly. */
#include "guest.h"

const char test_title[] = "exception: #UD and #PF through the _safe mechanism";

/* Nothing is mapped above 4 GiB, so this address faults as not-present. */
#define UNMAPPED_ADDR (8ull << 30)

static void catch_ud2(void *arg)
{
	bool *returned = arg;

	asm volatile("ud2");
	*returned = true;
}

static long user_page_fault(void *arg)
{
	return *(volatile uint64_t *)UNMAPPED_ADDR;
}

static void catch_user_page_fault(void *arg)
{
	run_user(user_page_fault, NULL);
}

void test_main(void)
{
	exinfo_t ex;
	uint64_t val;
	bool returned = false;

	ex = ud2_safe();
	report(exinfo_faulted(ex) && exinfo_vector(ex) == X86_EXC_UD, "ud2 raises #UD (got %s)",
	       exinfo_faulted(ex) ? exception_name(exinfo_vector(ex)) : "none");

	ex = read64_safe((const void *)UNMAPPED_ADDR, &val);
	report(exinfo_faulted(ex) && exinfo_vector(ex) == X86_EXC_PF,
	       "read at 0x%llx raises #PF (got %s)", UNMAPPED_ADDR,
	       exinfo_faulted(ex) ? exception_name(exinfo_vector(ex)) : "none");
	report(exception_last_cr2() == UNMAPPED_ADDR, "CR2 = 0x%lx", exception_last_cr2());
	report(!(exinfo_error_code(ex) & (X86_PFEC_PRESENT | X86_PFEC_WRITE | X86_PFEC_USER)),
	       "#PF error code 0x%x: not present, read, supervisor", exinfo_error_code(ex));

	/* The per-CPU recovery point, for C code rather than one instruction. */
	ex = exception_catch(catch_ud2, &returned);
	report(exinfo_vector(ex) == X86_EXC_UD && !returned, "exception_catch() recovers from #UD");

	ex = exception_catch(catch_user_page_fault, NULL);
	report(exinfo_faulted(ex) && exinfo_vector(ex) == X86_EXC_PF &&
		       (exinfo_error_code(ex) & X86_PFEC_USER),
	       "a CPL3 #PF is caught too (error code 0x%x)", exinfo_error_code(ex));
}

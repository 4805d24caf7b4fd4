/* Guest exception handling: exception-table fixups, recovery points, the unexpected-exception report. */
#include "lib.h"

struct extable_entry {
	uint64_t fault;
	uint64_t fixup;
};

/* Bounds of the .ex_table section (link.ld). */
extern const struct extable_entry __start_ex_table[], __stop_ex_table[];
extern const char exception_catch_resume[];
extern const char user_return_ud[], run_user_resume[];

static const char *const exception_names[32] = {
	[X86_EXC_DE] = "#DE", [X86_EXC_DB] = "#DB", [X86_EXC_NMI] = "NMI", [X86_EXC_BP] = "#BP",
	[X86_EXC_OF] = "#OF", [X86_EXC_BR] = "#BR", [X86_EXC_UD] = "#UD",  [X86_EXC_NM] = "#NM",
	[X86_EXC_DF] = "#DF", [9] = "#CSO",	    [X86_EXC_TS] = "#TS",  [X86_EXC_NP] = "#NP",
	[X86_EXC_SS] = "#SS", [X86_EXC_GP] = "#GP", [X86_EXC_PF] = "#PF",  [X86_EXC_MF] = "#MF",
	[X86_EXC_AC] = "#AC", [X86_EXC_MC] = "#MC", [X86_EXC_XM] = "#XM",  [X86_EXC_VE] = "#VE",
	[X86_EXC_CP] = "#CP", [28] = "#HV",	    [29] = "#VC",	   [30] = "#SX",
};

const char *exception_name(unsigned int vector)
{
	if (vector < ARRAY_SIZE(exception_names) && exception_names[vector])
		return exception_names[vector];
	return "#??";
}

uint64_t exception_last_cr2(void)
{
	return this_cpu()->last_cr2;
}

static uint64_t extable_find(uint64_t rip)
{
	for (const struct extable_entry *e = __start_ex_table; e < __stop_ex_table; e++)
		if (e->fault == rip)
			return e->fixup;
	return 0;
}

/* The end of the road: say everything useful, then stop the domain with ERROR. */
static void __noreturn exception_unexpected(struct cpu *cpu, const struct cpu_regs *regs)
{
	char reason[64];
	bool locked;

	/* A fault while reporting a fault: say nothing more, just stop. */
	if (cpu->exception_depth++) {
		test_shutdown(KDOM_SHUTDOWN_POWEROFF, KDOM_RESULT_ERROR);
		cpu_halt_forever();
	}
	locked = console_lock_panic();
	/* A half-written line must not swallow the start of the report. */
	console_end_line_locked();
	if (locked)
		console_unlock();
	printf("Unexpected exception %s (vector %lu) on CPU %u at CPL %lu: error code 0x%lx\n",
	       exception_name(regs->vector), regs->vector, cpu->index, regs->cs & 3,
	       regs->error_code);
	if (regs->vector == X86_EXC_PF)
		printf("  cr2 0x%016lx\n", cpu->last_cr2);
	printf("  rip 0x%016lx rsp 0x%016lx rflags 0x%08lx\n", regs->rip, regs->rsp, regs->rflags);
	printf("  rax 0x%016lx rbx 0x%016lx rcx 0x%016lx rdx 0x%016lx\n", regs->rax, regs->rbx,
	       regs->rcx, regs->rdx);
	printf("  rsi 0x%016lx rdi 0x%016lx rbp 0x%016lx\n", regs->rsi, regs->rdi, regs->rbp);
	snprintf(reason, sizeof(reason), "unexpected %s at 0x%lx", exception_name(regs->vector),
		 regs->rip);
	test_exit_unexpected(reason);
}

void (*nmi_handler)(void);

/* The #UD by which code that run_user() ran hands back its result (entry.S). */
static bool is_user_return(const struct cpu *cpu, const struct cpu_regs *regs)
{
	return (regs->cs & 3) && regs->vector == X86_EXC_UD &&
	       regs->rip == (uint64_t)user_return_ud && cpu->user_return_rsp;
}

/* Make the exception return land at rip, at CPL0 on stack rsp, with rax = value. */
static void resume_at_cpl0(struct cpu_regs *regs, const void *rip, uint64_t rsp, uint64_t value)
{
	regs->rip = (uint64_t)rip;
	regs->rsp = rsp;
	regs->cs = KERNEL_CS;
	regs->ss = KERNEL_DS;
	regs->rflags = X86_EFLAGS_FIXED;
	regs->rax = value;
}

/* C side of exception_common (entry.S); may redirect the return by editing regs. */
void exception_dispatch(struct cpu_regs *regs)
{
	if (regs->vector == X86_EXC_NMI && nmi_handler) {
		nmi_handler();
		return;
	}
	if (regs->vector >= 32) {
		irq_dispatch(regs->vector);
		return;
	}
	struct cpu *cpu = this_cpu();
	exinfo_t info = EXINFO(regs->vector, regs->error_code);
	uint64_t fixup;

	if (regs->vector == X86_EXC_PF)
		cpu->last_cr2 = read_cr2();
	if (is_user_return(cpu, regs)) {
		resume_at_cpl0(regs, run_user_resume, cpu->user_return_rsp, regs->rdi);
		cpu->user_return_rsp = 0;
		return;
	}

	if (!(regs->cs & 3) && (fixup = extable_find(regs->rip))) {
		regs->rip = fixup;
		regs->rdi = info;
		return;
	}
	if (cpu->recover_rsp && regs->vector < 32) {
		/* Back into exception_catch() at CPL0, whatever the fault's CPL was. */
		resume_at_cpl0(regs, exception_catch_resume, cpu->recover_rsp, info);
		return;
	}
	exception_unexpected(cpu, regs);
}

/* ---- The _safe instructions ------------------------------------------------ */

exinfo_t rdmsr_safe(uint32_t msr, uint64_t *val)
{
	uint32_t lo = 0, hi = 0;
	exinfo_t fault = 0;

	asm volatile("1: rdmsr\n2:\n" _ASM_EXTABLE(1b, 2b)
		     : "+a"(lo), "+d"(hi), "+D"(fault)
		     : "c"(msr));
	*val = (uint64_t)hi << 32 | lo;
	return fault;
}

exinfo_t wrmsr_safe(uint32_t msr, uint64_t val)
{
	exinfo_t fault = 0;

	asm volatile("1: wrmsr\n2:\n" _ASM_EXTABLE(1b, 2b)
		     : "+D"(fault)
		     : "c"(msr), "a"((uint32_t)val), "d"((uint32_t)(val >> 32))
		     : "memory");
	return fault;
}

exinfo_t ud2_safe(void)
{
	exinfo_t fault = 0;

	asm volatile("1: ud2\n2:\n" _ASM_EXTABLE(1b, 2b) : "+D"(fault));
	return fault;
}

exinfo_t read8_safe(const void *addr, uint8_t *val)
{
	exinfo_t fault = 0;
	uint8_t v = 0;

	asm volatile("1: movb (%[addr]), %[v]\n2:\n" _ASM_EXTABLE(1b, 2b)
		     : [v] "+q"(v), "+D"(fault)
		     : [addr] "r"(addr)
		     : "memory");
	*val = v;
	return fault;
}

exinfo_t read64_safe(const void *addr, uint64_t *val)
{
	exinfo_t fault = 0;
	uint64_t v = 0;

	asm volatile("1: movq (%[addr]), %[v]\n2:\n" _ASM_EXTABLE(1b, 2b)
		     : [v] "+r"(v), "+D"(fault)
		     : [addr] "r"(addr)
		     : "memory");
	*val = v;
	return fault;
}

exinfo_t write64_safe(void *addr, uint64_t val)
{
	exinfo_t fault = 0;

	asm volatile("1: movq %[v], (%[addr])\n2:\n" _ASM_EXTABLE(1b, 2b)
		     : "+D"(fault)
		     : [addr] "r"(addr), [v] "r"(val)
		     : "memory");
	return fault;
}

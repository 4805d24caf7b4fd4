/* Xen's guest interface for the test guests, 32- or 64-bit: CPUID leaves, hypercall page, calls. */
#include <stddef.h>

#include "xen-hypercall.h"

static const uint8_t *hypercall_page;

void xen_cpuid(uint32_t leaf, uint32_t regs[4])
{
	asm volatile("cpuid"
		     : "=a"(regs[0]), "=b"(regs[1]), "=c"(regs[2]), "=d"(regs[3])
		     : "a"(leaf), "c"(0));
}

uint32_t xen_cpuid_base(void)
{
	for (uint32_t base = XEN_CPUID_SCAN_FIRST; base <= XEN_CPUID_SCAN_LAST;
	     base += XEN_CPUID_SCAN_STEP) {
		uint32_t regs[4];

		xen_cpuid(base, regs);
		if (regs[1] == XEN_CPUID_SIGNATURE_EBX && regs[2] == XEN_CPUID_SIGNATURE_ECX &&
		    regs[3] == XEN_CPUID_SIGNATURE_EDX)
			return base;
	}
	return 0;
}

bool xen_hypercall_page_filled(const uint8_t *page)
{
	bool all_zero = true, all_fill = true;

	for (unsigned int i = 0; i < XEN_PAGE_SIZE; i++) {
		all_zero &= page[i] == 0;
		all_fill &= page[i] == XEN_PAGE_FILL;
	}
	return !all_zero && !all_fill && page[0] != XEN_PAGE_FILL;
}

void xen_hypercall_page_use(const uint8_t *page)
{
	hypercall_page = page;
}

const void *xen_hypercall_stub(unsigned int nr)
{
	return hypercall_page + nr * XEN_HYPERCALL_STUB_SIZE;
}

long xen_hypercall(unsigned int nr, unsigned long a1, unsigned long a2, unsigned long a3,
		   unsigned long a4, unsigned long a5)
{
	const void *stub = xen_hypercall_stub(nr);
	long ret;

#ifdef __x86_64__
	register unsigned long r10 asm("r10") = a4;
	register unsigned long r8 asm("r8") = a5;

	asm volatile("call *%[stub]"
		     : "=a"(ret), "+D"(a1), "+S"(a2), "+d"(a3), "+r"(r10), "+r"(r8)
		     : [stub] "r"(stub)
		     : "memory", "cc");
#else
	/* All six free registers carry arguments: the stub's address comes from the stack. */
	asm volatile("call *%[stub]"
		     : "=a"(ret), "+b"(a1), "+c"(a2), "+d"(a3), "+S"(a4), "+D"(a5)
		     : [stub] "m"(stub)
		     : "memory", "cc");
#endif
	return ret;
}

/* ---- Register preservation --------------------------------------------------- */

#define W "%c[width]"
#define IN(i) "%c[in]+" #i "*" W
#define OUT(i) "%c[out]+" #i "*" W
#define REG_CHECK_OFFSETS                                                        \
	[width] "i"(sizeof(long)), [in] "i"(offsetof(struct xen_reg_check, in)), \
		[out] "i"(offsetof(struct xen_reg_check, out)),                  \
		[sp_before] "i"(offsetof(struct xen_reg_check, sp_before)),      \
		[sp_after] "i"(offsetof(struct xen_reg_check, sp_after)),        \
		[result] "i"(offsetof(struct xen_reg_check, result)),            \
		[stub] "i"(offsetof(struct xen_reg_check, stub))

#ifdef __x86_64__
const char *const xen_reg_names[XEN_CHECKED_REGS] = {
	"rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "r8",
	"r9",  "r10", "r11", "r12", "r13", "r14", "r15",
};

/*
 * The struct's address stays on the stack across the call (every other
 * register holds a pattern); the call's result takes its place there.
 */
void xen_call_with_registers(struct xen_reg_check *check)
{
	asm volatile("push %%rbp\n\t"
		     "push %%rax\n\t"
		     "mov %%rsp, %c[sp_before](%%rax)\n\t"
		     "mov " IN(
			     0) "(%%rax), %%rbx\n\t"
				"mov " IN(
					1) "(%%rax), %%rcx\n\t"
					   "mov " IN(
						   2) "(%%rax), %%rdx\n\t"
						      "mov " IN(
							      3) "(%%rax), %%rsi\n\t"
								 "mov " IN(
									 4) "(%%rax), %%rdi\n\t"
									    "mov " IN(
										    5) "(%%rax), "
										       "%%rbp\n\t"
										       "mov " IN(
											       6) "(%%rax), %%r8\n\t"
												  "mov " IN(
													  7) "(%%rax), %%r9\n\t"
													     "mov " IN(
														     8) "(%%rax), %%r10\n\t"
															"mov " IN(9) "(%%rax), %%r11\n\t"
																     "mov " IN(10) "(%%rax), %%r12\n\t"
																		   "mov " IN(11) "(%%rax), %%r13\n\t"
																				 "mov " IN(12) "(%%rax), %%r14\n\t"
																					       "mov " IN(13) "(%%rax), %%r15\n\t"
																							     "call *%c[stub](%%rax)\n\t"
																							     "xchg %%rax, (%%rsp)\n\t"
																							     "mov %%rbx, " OUT(0) "(%%rax)\n\t"
																										  "mov %%rcx, " OUT(1) "(%%rax)\n\t"
																												       "mov %%rdx, " OUT(2) "(%%rax)\n\t"
																															    "mov %%rsi, " OUT(
																																    3) "(%%rax)\n\t"
																																       "mov %%rdi, " OUT(4) "(%%rax)\n\t"
																																			    "mov %%rbp, " OUT(5) "(%%rax)\n\t"
																																						 "mov %%r8, " OUT(
																																							 6) "(%%rax)\n\t"
																																							    "mov %%r9, " OUT(
																																								    7) "(%%rax)\n\t"
																																								       "mov %%r10, " OUT(8) "(%%rax)\n\t"
																																											    "mov %%r11, " OUT(
																																												    9) "(%%rax)\n\t"
																																												       "mov %%r12, " OUT(10) "(%%rax)\n\t"
																																															     "mov %%r13, " OUT(11) "(%%rax)\n\t"
																																																		   "mov %%r14, " OUT(
																																																			   12) "(%%rax)\n\t"
																																																			       "mov %%r15, " OUT(13) "(%%rax)\n\t"
																																																						     "mov %%rsp, %c[sp_after](%%rax)\n\t"
																																																						     "popq %c[result](%%rax)\n\t"
																																																						     "pop %%rbp"
		     : "+a"(check)
		     : REG_CHECK_OFFSETS
		     : "rbx", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13",
		       "r14", "r15", "memory", "cc");
}
#else
const char *const xen_reg_names[XEN_CHECKED_REGS] = {
	"ebx", "ecx", "edx", "esi", "edi", "ebp",
};

/* As the 64-bit version, with the six registers of 32-bit mode. */
void xen_call_with_registers(struct xen_reg_check *check)
{
	asm volatile(
		"push %%ebp\n\t"
		"push %%eax\n\t"
		"mov %%esp, %c[sp_before](%%eax)\n\t"
		"mov " IN(
			0) "(%%eax), %%ebx\n\t"
			   "mov " IN(
				   1) "(%%eax), %%ecx\n\t"
				      "mov " IN(
					      2) "(%%eax), %%edx\n\t"
						 "mov " IN(
							 3) "(%%eax), %%esi\n\t"
							    "mov " IN(
								    4) "(%%eax), %%edi\n\t"
								       "mov " IN(
									       5) "(%%eax), "
										  "%%ebp\n\t"
										  "call "
										  "*%c[stub](%%eax)"
										  "\n\t"
										  "xchg %%eax, "
										  "(%%esp)\n\t"
										  "mov %%ebx, " OUT(
											  0) "(%%"
											     "eax)"
											     "\n\t"
											     "mov "
											     "%%"
											     "ecx,"
											     " " OUT(1) "(%%eax)\n\t"
													"mov %%edx, " OUT(
														2) "(%%eax)\n\t"
														   "mov %%esi, " OUT(
															   3) "(%%eax)\n\t"
															      "mov %%edi, " OUT(
																      4) "(%%eax)\n\t"
																	 "mov %%ebp, " OUT(
																		 5) "(%%eax)\n\t"
																		    "mov %%esp, %c[sp_after](%%eax)\n\t"
																		    "popl %c[result](%%eax)\n\t"
																		    "pop %%ebp"
		: "+a"(check)
		: REG_CHECK_OFFSETS
		: "ebx", "ecx", "edx", "esi", "edi", "memory", "cc");
}
#endif

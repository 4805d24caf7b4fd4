/* Guest exception entry, run_user() and its way back from CPL3, exception_catch(). */
#include "arch.h"

	.text
	.code64

/*
 * One 16-byte stub per exception vector, so that the IDT can be filled by
 * arithmetic.  Each makes the frame uniform (error code, then vector).
 */
	.p2align 4
	.globl exception_stubs
exception_stubs:
	.irp vec, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.p2align 4
	.if !((\vec == 8) || ((\vec >= 10) && (\vec <= 14)) || (\vec == 17) || (\vec == 21) || (\vec == 29) || (\vec == 30))
	push $0
	.endif
	push $\vec
	jmp exception_common
	.endr

/*
 * The same 16-byte stubs for the external-interrupt vectors 32-255 (no
 * error code); exception_dispatch() hands them to irq_dispatch().
 */
	.p2align 4
	.globl irq_stubs
irq_stubs:
	.set vec, 32
	.rept 224
	.p2align 4
	push $0
	push $vec
	jmp exception_common
	.set vec, vec + 1
	.endr

/* Saves the registers as struct cpu_regs (lib.h); the C side may edit them. */
exception_common:
	push %rax
	push %rbx
	push %rcx
	push %rdx
	push %rsi
	push %rdi
	push %rbp
	push %r8
	push %r9
	push %r10
	push %r11
	push %r12
	push %r13
	push %r14
	push %r15
	cld
	mov %rsp, %rdi
	call exception_dispatch
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %r11
	pop %r10
	pop %r9
	pop %r8
	pop %rbp
	pop %rdi
	pop %rsi
	pop %rdx
	pop %rcx
	pop %rbx
	pop %rax
	add $16, %rsp
	iretq

/*
 * long run_user(long (*fn)(void *), void *arg)
 * long run_user_iopl(long (*fn)(void *), void *arg, unsigned int iopl)
 *
 * Runs fn(arg) at CPL3 with IOPL 3 (or iopl) and IF clear in RFLAGS on
 * this CPU's user stack.  The TSS's RSP0 points just below our saved
 * registers, so the frame of a user-mode exception cannot overwrite them.
 * fn returns into user_return_stub, whose #UD brings its result back.
 */
	.globl run_user, run_user_iopl
run_user:
	mov $3, %edx
run_user_iopl:
	and $3, %edx
	shl $12, %edx			/* RFLAGS.IOPL */
	or $X86_EFLAGS_FIXED, %edx
	mov %rdx, %r8
	push %rbx
	push %rbp
	push %r12
	push %r13
	push %r14
	push %r15
	mov %rsp, %gs:CPU_USER_RETURN_RSP
	mov %gs:CPU_TSS, %rax
	mov %rsp, TSS_RSP0(%rax)
	mov %gs:CPU_USER_STACK_TOP, %rdx
	sub $8, %rdx
	movq $user_return_stub, (%rdx)	/* fn returns into the stub */
	push $(USER_DS | 3)
	push %rdx
	push %r8
	push $(USER_CS | 3)
	push %rdi
	mov %rsi, %rdi
	iretq

/*
 * Runs at CPL3 (every page is user-accessible): fn's result goes back in
 * %rdi through the #UD at user_return_ud, which exception_dispatch() turns
 * into a return to run_user_resume at CPL0.  An exception, because it
 * comes back to CPL0 everywhere: PVM-style hosts, which run CPL3 natively,
 * raise #UD for "int $n" from user mode, and after a SYSCALL go on running
 * kernel code natively at what looks like CPL3 to the guest (privileged
 * instructions fault) and to the monitor (Xen's hypercalls are refused).
 */
user_return_stub:
	mov %rax, %rdi
	.globl user_return_ud
user_return_ud:
	ud2

/* Back at CPL0 on run_user()'s stack, its saved registers on top, the result in %rax. */
	.globl run_user_resume
run_user_resume:
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbp
	pop %rbx
	ret

/*
 * exinfo_t exception_catch(void (*fn)(void *), void *arg)
 *
 * The per-CPU recovery point: an exception in fn (or in CPL3 code it runs)
 * that no exception-table entry handles resumes at
 * exception_catch_resume with %rsp = the saved recovery point and %eax =
 * its exinfo.  Saves the outer recovery point and run_user() state, so
 * that catches nest.
 */
	.globl exception_catch, exception_catch_resume
exception_catch:
	push %rbx
	push %rbp
	push %r12
	push %r13
	push %r14
	push %r15
	push %gs:CPU_RECOVER_RSP
	push %gs:CPU_USER_RETURN_RSP
	sub $8, %rsp			/* align the call below */
	mov %rsp, %gs:CPU_RECOVER_RSP
	mov %rdi, %rax
	mov %rsi, %rdi
	call *%rax
	xor %eax, %eax
exception_catch_resume:
	add $8, %rsp
	pop %gs:CPU_USER_RETURN_RSP
	pop %gs:CPU_RECOVER_RSP
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbp
	pop %rbx
	ret

/* The guest library's internals: per-CPU state, saved registers, the console lock. */
#ifndef GUEST_LIB_H
#define GUEST_LIB_H

#include "guest.h"

/* 64-bit TSS; only RSP0 is used (for the way back from CPL3). */
struct __attribute__((packed)) tss64 {
	uint32_t reserved0;
	uint64_t rsp0, rsp1, rsp2;
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
};

/* Per-CPU state, reached through GS (GS base = the struct). */
struct cpu {
	struct cpu *self;
	uint64_t user_return_rsp; /* run_user()'s saved kernel stack; 0 outside */
	uint64_t recover_rsp;	  /* exception_catch()'s recovery point; 0 if none */
	uint64_t user_stack_top;
	struct tss64 *tss;
	unsigned int index;
	unsigned int exception_depth; /* nested unexpected exceptions */
	uint64_t last_cr2;
};

_Static_assert(__builtin_offsetof(struct cpu, self) == CPU_SELF, "asm offset");
_Static_assert(__builtin_offsetof(struct cpu, user_return_rsp) == CPU_USER_RETURN_RSP,
	       "asm offset");
_Static_assert(__builtin_offsetof(struct cpu, recover_rsp) == CPU_RECOVER_RSP, "asm offset");
_Static_assert(__builtin_offsetof(struct cpu, user_stack_top) == CPU_USER_STACK_TOP, "asm offset");
_Static_assert(__builtin_offsetof(struct cpu, tss) == CPU_TSS, "asm offset");
_Static_assert(__builtin_offsetof(struct tss64, rsp0) == TSS_RSP0, "asm offset");
_Static_assert(sizeof(struct tss64) == 104, "TSS layout");

/* What exception_common pushes (entry.S), lowest address first. */
struct cpu_regs {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error_code;
	uint64_t rip, cs, rflags, rsp, ss; /* the hardware frame */
};

static inline struct cpu *this_cpu(void)
{
	struct cpu *cpu;

	asm volatile("mov %%gs:0, %0" : "=r"(cpu));
	return cpu;
}

/* Set up this CPU's GS, TSS and IDT (setup.c); cpu 0 is the BSP. */
void cpu_init(unsigned int index);
/* Fill the shared IDT; once, on the BSP, before any CPU loads it. */
void idt_init(void);

/* Called from entry.S. */
void exception_dispatch(struct cpu_regs *regs);
void lib_main(uint32_t start_info_gpa);
void ap_main(unsigned int index);

/* Remember the boot information (cmdline.c). */
void start_info_set(uint32_t gpa);

/*
 * The console lock.  console_lock_panic() waits a bounded time and skips
 * the lock when this CPU already holds it, for the exception path.
 */
void console_lock(void);
void console_unlock(void);
bool console_lock_panic(void);
void console_write_locked(const char *s, size_t len);
/* Finish a line left open (by this or another CPU) so the next output starts a line. */
void console_end_line_locked(void);

/* The MP specification's floating pointer and configuration table header. */
struct __attribute__((packed)) mp_floating {
	char signature[4]; /* "_MP_" */
	uint32_t config_paddr;
	uint8_t length; /* in 16-byte units */
	uint8_t revision;
	uint8_t checksum;
	uint8_t features[5]; /* features[0] != 0: a default configuration, no table */
};

struct __attribute__((packed)) mp_config {
	char signature[4]; /* "PCMP" */
	uint16_t length;
	uint8_t revision;
	uint8_t checksum;
	char oem[8];
	char product[12];
	uint32_t oem_table;
	uint16_t oem_table_size;
	uint16_t entry_count;
	uint32_t lapic_paddr;
	uint16_t ext_length;
	uint8_t ext_checksum;
	uint8_t reserved;
};

/*
 * The MP configuration table, checksums verified (smp.c); NULL if there is
 * none.  Its entries follow the header, entry_count of them.
 */
const struct mp_config *mp_find_config(void);

/* Print the final result line (and summary) and shut down with the result. */
void __noreturn test_exit_unexpected(const char *reason);
/* End the domain with a SHUTDOWN_* reason and a KDOM_RESULT_*, the way test_set_shutdown() chose. */
void test_shutdown(unsigned int reason, int result);

extern uint64_t gdt[];
extern char kernel_stacks[MAX_CPUS][KSTACK_SIZE];

#endif

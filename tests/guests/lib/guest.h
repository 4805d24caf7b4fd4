/* The test-guest library's API: console, results, faults, user mode, hypercalls, command line, SMP, PCI. */
#ifndef GUEST_H
#define GUEST_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kdom/abi.h"
#include "kdom/pvh.h"
#include "arch.h"
#include "x86.h"

/*
 * Boot contract: the guest boots as a PVH kernel (see head.S), linked and
 * identity mapped at 1 MiB with the first 4 GiB mapped in 2 MiB pages and
 * nothing above.  The BSS is not cleared at run time, because CPL0 code is
 * expensive on hosts that emulate it: the loader must hand over zeroed
 * memory (ELF semantics; kdom and kvm-floor do).  Below 1 MiB the library
 * writes only the page at AP_TRAMPOLINE_ADDR (0x8000), when it starts APs.
 */

#define __printf(a, b) __attribute__((format(printf, a, b)))
#define __noreturn __attribute__((noreturn))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- What each guest defines ------------------------------------------- */

/* A one-line description, printed first. */
extern const char test_title[];
/* The test; the library reports the result when it returns. */
void test_main(void);
/*
 * Optional: run on the boot CPU before the title is printed, at CPL0 with
 * exceptions handled: where a guest chooses its console writer and its
 * shutdown (a Xen guest, which speaks only Xen's interface, does).
 */
void test_setup(void);

/* ---- Console: COM1, whole lines kept together across CPUs ------------------ */

/*
 * printf family: %d %i %u %x %X %p %s %c %% with the l, ll and z modifiers,
 * a width (or *), '0' and '-' flags and '#' for 0x.  A call's output is
 * formatted into a 256-byte buffer (longer output is cut) and written under
 * a console lock, so each call appears in one piece.  Usable at CPL3.
 */
int printf(const char *fmt, ...) __printf(1, 2);
int vprintf(const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __printf(3, 4);
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
/* Write len bytes to COM1 (or the writer chosen below) under the console lock. */
void console_write(const char *s, size_t len);
/* Send all console output to write(s, len) instead of COM1; called under the console lock. */
void console_set_writer(void (*write)(const char *s, size_t len));

/* ---- Results (XTF order: SUCCESS < SKIP < ERROR < FAILURE, KDOM_RESULT_*) ---- */

/* One check: prints "PASS: what" or "FAIL: what"; a failure makes the result FAILURE. */
void report(bool cond, const char *fmt, ...) __printf(2, 3);
/* Record a result with its reason (printed now); the most severe one wins. */
void test_fail(const char *fmt, ...) __printf(1, 2);
void test_skip(const char *fmt, ...) __printf(1, 2);
void test_error(const char *fmt, ...) __printf(1, 2);
/* The result so far, KDOM_RESULT_*. */
int test_result(void);
/*
 * Print "SUMMARY: N checks, M failed" and the one "Test result: X[: reason]"
 * line, then power off through the hypercall port with the result.  What
 * the library does when test_main() returns; callable earlier.
 */
void __noreturn test_exit(void);
/* The same, shutting down with a SHUTDOWN_* reason other than poweroff. */
void __noreturn test_exit_reason(unsigned int reason);
/*
 * End the domain through shutdown(reason, result) instead of kdom's
 * hypercall port (SCHEDOP_shutdown carrying the result); it may return
 * only if the shutdown was refused.
 */
void test_set_shutdown(void (*shutdown)(unsigned int reason, int result));

/*
 * Called on an NMI (kdom sends one with a toolstack shutdown request) in
 * place of the unexpected-exception report; NULL by default.
 */
extern void (*nmi_handler)(void);
/* ---- Interrupts (local APIC, IOAPIC) --------------------------------------- */

/* Run fn(vector) for interrupts on vector (32-254), then EOI the local APIC. */
void irq_set_handler(unsigned int vector, void (*fn)(unsigned int vector));
/* Mask the 8259 PICs and software-enable this CPU's local APIC (spurious vector 0xff). */
void lapic_enable(void);
/* Route IOAPIC pin to vector on the boot CPU: level/edge, active low/high, unmasked. */
void ioapic_route(unsigned int pin, unsigned int vector, bool level, bool active_low);
void ioapic_mask(unsigned int pin, bool masked);
/* The MSI message that targets vector on the boot CPU (fixed delivery, edge). */
uint64_t msi_address(void);
uint32_t msi_data(unsigned int vector);
/*
 * Wait with interrupts enabled until *counter reaches at least target or
 * timeout_ms passes; interrupts are disabled again on return.  Whether it got there.
 */
bool irq_wait(volatile unsigned int *counter, unsigned int target, unsigned int timeout_ms);
/* Called by exception_dispatch() for vectors 32-255. */
void irq_dispatch(unsigned int vector);

/*
 * The toolstack's shutdown request: true with its SHUTDOWN_* reason, or
 * false.  The first call registers the guest as one that reads requests:
 * kdom then sends an NMI with each (nmi_handler); a guest that never calls
 * gets the ACPI power button instead.  A guest that handles requests calls
 * it at boot.
 */
bool control_request(unsigned int *reason);

/* ---- Exceptions ------------------------------------------------------------ */

/*
 * What a recovered exception was: 0 if none, else EXINFO_FAULTED | vector
 * << 16 | the error code's low 16 bits.  An exception that nothing catches
 * prints its details, "Test result: ERROR: unexpected #XX at <rip>" and
 * powers off with KDOM_RESULT_ERROR.
 */
typedef uint32_t exinfo_t;
#define EXINFO_FAULTED (1u << 31)
#define EXINFO(vec, ec) (EXINFO_FAULTED | (uint32_t)(vec) << 16 | ((uint32_t)(ec)&0xffff))

static inline bool exinfo_faulted(exinfo_t e)
{
	return e & EXINFO_FAULTED;
}

static inline unsigned int exinfo_vector(exinfo_t e)
{
	return (e >> 16) & 0xff;
}

static inline unsigned int exinfo_error_code(exinfo_t e)
{
	return e & 0xffff;
}

/* "#UD", "#PF", ...: the mnemonic of an exception vector. */
const char *exception_name(unsigned int vector);
/* CR2 of the last page fault this CPU recovered from (exinfo has no room for it). */
uint64_t exception_last_cr2(void);

/*
 * Exception-table entries, for inline assembly that may fault: a fault at
 * CPL0 at the first label resumes at the second with %edi = the exinfo.
 * Give the asm an operand "+D"(exinfo) starting at 0.
 */
#define _ASM_EXTABLE(fault, fixup)          \
	".pushsection .ex_table, \"a\"\n\t" \
	".p2align 3\n\t"                    \
	".quad " #fault ", " #fixup "\n\t"  \
	".popsection\n\t"

/* The _safe instructions: 0, or how the instruction faulted. */
exinfo_t rdmsr_safe(uint32_t msr, uint64_t *val);
exinfo_t wrmsr_safe(uint32_t msr, uint64_t val);
exinfo_t ud2_safe(void);
exinfo_t read8_safe(const void *addr, uint8_t *val);
exinfo_t read64_safe(const void *addr, uint64_t *val);
exinfo_t write64_safe(void *addr, uint64_t val);

/*
 * Run fn(arg) at CPL0 with a recovery point: returns 0 when fn returns, or
 * the exinfo of the first exception (at CPL0 or in CPL3 code that fn runs
 * with run_user()) that no exception-table entry handles; fn is abandoned
 * there.  Nests.
 */
exinfo_t exception_catch(void (*fn)(void *), void *arg);

/* ---- User mode ----------------------------------------------------------------- */

/*
 * Run fn(arg) at CPL3, natively even where CPL0 is emulated, on this CPU's
 * 16 KiB user stack, and return its return value (fn returns into a stub
 * whose #UD comes back).  Port I/O is allowed (IOPL 3 and an all-zero
 * TSS I/O bitmap, as PVM-style hosts keep the real IOPL at 0); interrupts
 * are meant to be off, though such hosts may run CPL3 with IF set.  Every
 * page is user-accessible, so fn may call anything that needs no
 * privileged instruction (printf, report, hypercalls, port I/O; not
 * test_exit).  An exception in fn is unexpected unless exception_catch()
 * wraps the call.  Call at CPL0.
 */
long run_user(long (*fn)(void *), void *arg);
/* run_user() at IOPL iopl (0-3) instead of 3. */
long run_user_iopl(long (*fn)(void *), void *arg, unsigned int iopl);
/*
 * Deny (or allow again) CPL3 access to port in the I/O bitmap all CPUs'
 * TSSes share: below IOPL 3 an IN or OUT to it then raises #GP.
 */
void user_port_deny(uint16_t port, bool deny);

/* ---- Time ----------------------------------------------------------------------- */

/* TSC frequency from CPUID 0x15, 0x16 or KVM's 0x40000010; a 3 GHz guess otherwise. */
uint64_t tsc_khz(void);
/* The TSC value ms milliseconds from now, for bounded waits. */
uint64_t tsc_deadline_ms(uint64_t ms);

static inline bool tsc_expired(uint64_t deadline)
{
	return (int64_t)(rdtsc() - deadline) >= 0;
}

/* Busy-wait (counting TSC ticks: no timer device needed). */
void udelay(uint64_t us);

/* ---- Hypercall port --------------------------------------------------------------- */

/* Issue a filled request block (8-byte aligned, below 4 GiB); returns ->ret. */
int64_t hypercall_issue(struct kdom_hypercall *hc);
/* Build a block on the stack and issue it; args may be NULL (all zero), is updated. */
int64_t hypercall(uint32_t op, uint32_t cmd, uint64_t args[4]);
/* xen_version(cmd); args as for hypercall(), e.g. KDOM_XENVER_GET_FEATURES. */
int64_t xen_version(uint32_t cmd, uint64_t args[4]);
/* SCHEDOP_shutdown(reason) with the test result (KDOM_RESULT_*); returns only if refused. */
int64_t sched_shutdown(unsigned int reason, unsigned int result);

/* ---- Boot information and the command line -------------------------------------- */

#define HVM_START_MAGIC XEN_HVM_START_MAGIC_VALUE

/* The boot information, or NULL if the loader passed none (wrong magic or above 4 GiB). */
const struct hvm_start_info *start_info(void);
/* The whole command line; "" if there is none. */
const char *cmdline(void);
/*
 * The value of the first "key=value" word of the command line (words are
 * separated by spaces), NUL-terminated; "" for a bare "key"; NULL if the
 * key is absent.
 */
const char *cmdline_get(const char *key);
/* The key's value as an unsigned number (decimal or 0x hex), or dflt if absent or malformed. */
uint64_t cmdline_get_u64(const char *key, uint64_t dflt);
/* Whether the key's value, a list of words joined by sep (e.g. "a,b"), holds word. */
bool cmdline_has_word(const char *key, const char *word, char sep);

/* ---- SMP ---------------------------------------------------------------------------- */

/*
 * The enabled processors of the MP table (floating pointer in 0xf0000-0xfffff),
 * APIC IDs in table order into ids (up to max); returns how many the
 * table lists, or -1 if there is no valid table.
 */
int mptable_cpus(uint8_t *ids, unsigned int max);
/* This CPU's local APIC ID, from the LAPIC ID register. */
uint32_t lapic_id(void);
/* This CPU's index in the library: 0 on the BSP, 1.. on APs in arrival order. */
unsigned int smp_processor_id(void);
/*
 * Start every other processor of the MP table with INIT-SIPI-SIPI; each
 * runs fn(its index) at CPL0 on its own stack, then halts.  Waits up to
 * timeout_ms for all of them to reach C and returns how many did (or -1
 * without an MP table).
 */
int smp_start_aps(void (*fn)(unsigned int cpu), uint64_t timeout_ms);

/* ---- PCI: bus 0 through configuration mechanism #1 ---------------------------------- */

#define PCI_CONFIG_ADDRESS 0xcf8
#define PCI_CONFIG_DATA 0xcfc
#define PCI_SLOTS 32

/*
 * Configuration space of bus 0, slot, function fn at offset (aligned to
 * the width): 0xCF8 selects the dword, the data port's byte lane the
 * bytes.  An absent device reads all ones.  Usable at CPL3.
 */
uint32_t pci_cfg_read32(unsigned int slot, unsigned int fn, unsigned int offset);
uint16_t pci_cfg_read16(unsigned int slot, unsigned int fn, unsigned int offset);
uint8_t pci_cfg_read8(unsigned int slot, unsigned int fn, unsigned int offset);
void pci_cfg_write32(unsigned int slot, unsigned int fn, unsigned int offset, uint32_t value);
void pci_cfg_write16(unsigned int slot, unsigned int fn, unsigned int offset, uint16_t value);
void pci_cfg_write8(unsigned int slot, unsigned int fn, unsigned int offset, uint8_t value);
/* The lowest slot whose function 0 is vendor:device; whether there is one. */
bool pci_find(uint16_t vendor, uint16_t device, unsigned int *slot);
/* The same for the nth such slot (0: the lowest), in slot order. */
bool pci_find_nth(uint16_t vendor, uint16_t device, unsigned int nth, unsigned int *slot);
/* The offset of capability id in slot's function 0's list, or 0 (a looping list ends). */
unsigned int pci_find_capability(unsigned int slot, uint8_t id);
/*
 * Size memory BAR bar (0-5) of slot's function 0 as firmware does: decoding
 * off, all ones written, read back, the BAR and command restored (both
 * registers of a 64-bit BAR, *is64 then set).  The size in bytes; 0 for an
 * I/O or unimplemented BAR.
 */
uint64_t pci_bar_size(unsigned int slot, unsigned int bar, bool *is64);
/* The MP table's PCI bus ID, or -1 when it lists none (or there is no table). */
int pci_mptable_bus(void);
/* The IOAPIC pin the MP table routes slot's INTx pin (1 = INTA .. 4) to, or -1. */
int pci_intx_gsi(unsigned int slot, unsigned int pin);

/* ---- Freestanding C library ---------------------------------------------------------- */

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
char *strchr(const char *s, int c);
int strncmp(const char *a, const char *b, size_t n);
/* Parse an unsigned decimal or 0x-prefixed hex number that makes up all of s. */
bool parse_u64(const char *s, uint64_t *val);

#endif

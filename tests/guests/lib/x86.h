/* x86 instruction wrappers for the test guests: CPUID, ports, MMIO, MSRs, TSC, control registers. */
#ifndef GUEST_X86_H
#define GUEST_X86_H

#include <stdint.h>

/* Exception vectors */
#define X86_EXC_DE 0
#define X86_EXC_DB 1
#define X86_EXC_NMI 2
#define X86_EXC_BP 3
#define X86_EXC_OF 4
#define X86_EXC_BR 5
#define X86_EXC_UD 6
#define X86_EXC_NM 7
#define X86_EXC_DF 8
#define X86_EXC_TS 10
#define X86_EXC_NP 11
#define X86_EXC_SS 12
#define X86_EXC_GP 13
#define X86_EXC_PF 14
#define X86_EXC_MF 16
#define X86_EXC_AC 17
#define X86_EXC_MC 18
#define X86_EXC_XM 19
#define X86_EXC_VE 20
#define X86_EXC_CP 21

/* #PF error code bits */
#define X86_PFEC_PRESENT (1u << 0)
#define X86_PFEC_WRITE (1u << 1)
#define X86_PFEC_USER (1u << 2)

#define MSR_EFER 0xc0000080
#define MSR_GS_BASE 0xc0000101
#define MSR_APIC_BASE 0x0000001b

struct cpuid_regs {
	uint32_t eax, ebx, ecx, edx;
};

static inline struct cpuid_regs cpuid_count(uint32_t leaf, uint32_t subleaf)
{
	struct cpuid_regs r;

	asm volatile("cpuid"
		     : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
		     : "a"(leaf), "c"(subleaf));
	return r;
}

static inline struct cpuid_regs cpuid(uint32_t leaf)
{
	return cpuid_count(leaf, 0);
}

static inline void outb(uint16_t port, uint8_t val)
{
	asm volatile("outb %0, %1" : : "a"(val), "Nd"(port) : "memory");
}

static inline void outw(uint16_t port, uint16_t val)
{
	asm volatile("outw %0, %1" : : "a"(val), "Nd"(port) : "memory");
}

static inline void outl(uint16_t port, uint32_t val)
{
	asm volatile("outl %0, %1" : : "a"(val), "Nd"(port) : "memory");
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t val;

	asm volatile("inb %1, %0" : "=a"(val) : "Nd"(port) : "memory");
	return val;
}

static inline uint16_t inw(uint16_t port)
{
	uint16_t val;

	asm volatile("inw %1, %0" : "=a"(val) : "Nd"(port) : "memory");
	return val;
}

static inline uint32_t inl(uint16_t port)
{
	uint32_t val;

	asm volatile("inl %1, %0" : "=a"(val) : "Nd"(port) : "memory");
	return val;
}

/* MMIO: addresses are guest-physical, which the identity map makes virtual too. */
static inline uint8_t mmio_read8(uint64_t addr)
{
	return *(volatile uint8_t *)addr;
}

static inline uint16_t mmio_read16(uint64_t addr)
{
	return *(volatile uint16_t *)addr;
}

static inline uint32_t mmio_read32(uint64_t addr)
{
	return *(volatile uint32_t *)addr;
}

static inline uint64_t mmio_read64(uint64_t addr)
{
	return *(volatile uint64_t *)addr;
}

static inline void mmio_write8(uint64_t addr, uint8_t val)
{
	*(volatile uint8_t *)addr = val;
}

static inline void mmio_write16(uint64_t addr, uint16_t val)
{
	*(volatile uint16_t *)addr = val;
}

static inline void mmio_write32(uint64_t addr, uint32_t val)
{
	*(volatile uint32_t *)addr = val;
}

static inline void mmio_write64(uint64_t addr, uint64_t val)
{
	*(volatile uint64_t *)addr = val;
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (uint64_t)hi << 32 | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t val)
{
	asm volatile("wrmsr"
		     :
		     : "c"(msr), "a"((uint32_t)val), "d"((uint32_t)(val >> 32))
		     : "memory");
}

static inline uint64_t read_cr0(void)
{
	uint64_t val;

	asm volatile("mov %%cr0, %0" : "=r"(val));
	return val;
}

static inline uint64_t read_cr2(void)
{
	uint64_t val;

	asm volatile("mov %%cr2, %0" : "=r"(val));
	return val;
}

static inline uint64_t read_cr3(void)
{
	uint64_t val;

	asm volatile("mov %%cr3, %0" : "=r"(val));
	return val;
}

static inline uint64_t read_cr4(void)
{
	uint64_t val;

	asm volatile("mov %%cr4, %0" : "=r"(val));
	return val;
}

static inline void cpu_relax(void)
{
	asm volatile("pause" ::: "memory");
}

/* Stop this CPU for good: interrupts off, HLT until the domain ends. */
static inline void __attribute__((noreturn)) cpu_halt_forever(void)
{
	for (;;)
		asm volatile("cli; hlt" ::: "memory");
}

/* The descriptor-table register operand of LGDT/LIDT. */
struct __attribute__((packed)) desc_ptr {
	uint16_t limit;
	uint64_t base;
};

static inline void lidt(const struct desc_ptr *ptr)
{
	asm volatile("lidt %0" : : "m"(*ptr) : "memory");
}

static inline void ltr(uint16_t selector)
{
	asm volatile("ltr %0" : : "rm"(selector) : "memory");
}

/* PCI configuration mechanism #1 (ports 0xcf8/0xcfc). */
static inline uint32_t pci_conf_read32(unsigned int bus, unsigned int dev, unsigned int fn,
				       unsigned int reg)
{
	outl(0xcf8, 0x80000000u | bus << 16 | dev << 11 | fn << 8 | (reg & 0xfc));
	return inl(0xcfc);
}

static inline void pci_conf_write32(unsigned int bus, unsigned int dev, unsigned int fn,
				    unsigned int reg, uint32_t val)
{
	outl(0xcf8, 0x80000000u | bus << 16 | dev << 11 | fn << 8 | (reg & 0xfc));
	outl(0xcfc, val);
}

#endif

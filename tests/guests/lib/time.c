/* TSC-based time for bounded waits: no timer device is needed. */
#include "lib.h"

#define TSC_KHZ_GUESS 3000000	    /* when CPUID does not say */
#define KVM_CPUID_TIMING 0x40000010 /* VMware-style leaf: eax = TSC kHz */

static uint64_t tsc_khz_cached;

/* Each CPUID is an exit, so ask once; a race between CPUs only repeats the work. */
uint64_t tsc_khz(void)
{
	struct cpuid_regs r;
	uint32_t max_leaf;
	uint64_t khz = 0;

	if (tsc_khz_cached)
		return tsc_khz_cached;
	max_leaf = cpuid(0).eax;
	if (max_leaf >= 0x15) {
		r = cpuid(0x15);
		if (r.eax && r.ebx && r.ecx)
			khz = (uint64_t)r.ecx * r.ebx / r.eax / 1000;
	}
	if (!khz && max_leaf >= 0x16)
		khz = (uint64_t)(cpuid(0x16).eax & 0xffff) * 1000;
	if (!khz && cpuid(0x40000000).eax >= KVM_CPUID_TIMING)
		khz = cpuid(KVM_CPUID_TIMING).eax;
	if (!khz)
		khz = TSC_KHZ_GUESS;
	tsc_khz_cached = khz;
	return khz;
}

uint64_t tsc_deadline_ms(uint64_t ms)
{
	return rdtsc() + ms * tsc_khz();
}

void udelay(uint64_t us)
{
	uint64_t deadline = rdtsc() + us * tsc_khz() / 1000;

	while (!tsc_expired(deadline))
		cpu_relax();
}

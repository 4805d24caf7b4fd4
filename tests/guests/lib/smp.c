/* SMP: the MP table's processor list, the local APIC, and starting APs with INIT-SIPI-SIPI. */
#include "lib.h"

#define MP_SCAN_START 0xf0000
#define MP_SCAN_END 0x100000
#define MP_FLOATING_SIGNATURE 0x5f504d5fu /* "_MP_" */
#define MP_ENTRY_PROCESSOR 0
#define MP_PROCESSOR_ENABLED (1u << 0)

#define LAPIC_ID 0x020
#define LAPIC_SVR 0x0f0
#define LAPIC_ICR_LOW 0x300
#define LAPIC_ICR_HIGH 0x310
#define LAPIC_SVR_ENABLE (1u << 8)
#define LAPIC_SPURIOUS_VECTOR 0xff
#define LAPIC_ICR_BUSY (1u << 12)
#define LAPIC_ICR_ASSERT (1u << 14)
#define LAPIC_ICR_INIT (5u << 8)
#define LAPIC_ICR_STARTUP (6u << 8)

#define INIT_DELAY_US 10000 /* the MP spec's waits between INIT, SIPI and SIPI */
#define SIPI_DELAY_US 200
#define ICR_BUSY_MS 10

struct __attribute__((packed)) mp_processor {
	uint8_t type; /* MP_ENTRY_PROCESSOR */
	uint8_t apic_id;
	uint8_t apic_version;
	uint8_t flags;
	uint32_t signature;
	uint32_t features;
	uint64_t reserved;
};

extern const char ap_trampoline[], ap_trampoline_end[];

static uint64_t lapic_base = KDOM_GPA_LAPIC;
static void (*ap_function)(unsigned int cpu);
static unsigned int aps_online;
static uint32_t aps_arrived[256 / 32]; /* bitmap by APIC ID */

static bool mp_checksum_ok(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	while (len--)
		sum += *b++;
	return sum == 0;
}

/* kdom puts the floating pointer at the start of the window, so the scan is short there. */
const struct mp_config *mp_find_config(void)
{
	for (uint64_t p = MP_SCAN_START; p < MP_SCAN_END; p += 16) {
		const struct mp_floating *mpf = (const void *)p;
		const struct mp_config *mpc;

		/* One word compare per step: this loop runs emulated when nothing is found. */
		if (*(const uint32_t *)p != MP_FLOATING_SIGNATURE || !mpf->length ||
		    mpf->length * 16ull > MP_SCAN_END - p || !mp_checksum_ok(mpf, mpf->length * 16))
			continue;
		if (mpf->features[0] || !mpf->config_paddr)
			return NULL; /* a default configuration: no list to read */
		mpc = (const void *)(uint64_t)mpf->config_paddr;
		if (memcmp(mpc->signature, "PCMP", 4) || mpc->length < sizeof(*mpc) ||
		    !mp_checksum_ok(mpc, mpc->length))
			return NULL;
		return mpc;
	}
	return NULL;
}

int mptable_cpus(uint8_t *ids, unsigned int max)
{
	const struct mp_config *mpc = mp_find_config();
	const uint8_t *entry, *end;
	int count = 0;

	if (!mpc)
		return -1;
	if (mpc->lapic_paddr)
		lapic_base = mpc->lapic_paddr;
	entry = (const uint8_t *)(mpc + 1);
	end = (const uint8_t *)mpc + mpc->length;
	for (unsigned int i = 0; i < mpc->entry_count && entry < end; i++) {
		if (*entry == MP_ENTRY_PROCESSOR) {
			const struct mp_processor *proc = (const void *)entry;

			if (entry + sizeof(*proc) > end)
				break;
			if (proc->flags & MP_PROCESSOR_ENABLED) {
				if ((unsigned int)count < max)
					ids[count] = proc->apic_id;
				count++;
			}
			entry += sizeof(*proc);
		} else {
			entry += 8; /* bus, I/O APIC, I/O and local interrupt entries */
		}
	}
	return count;
}

static uint32_t lapic_read(unsigned int reg)
{
	return mmio_read32(lapic_base + reg);
}

static void lapic_write(unsigned int reg, uint32_t val)
{
	mmio_write32(lapic_base + reg, val);
}

uint32_t lapic_id(void)
{
	return lapic_read(LAPIC_ID) >> 24;
}

static void lapic_send_ipi(uint8_t apic_id, uint32_t icr)
{
	uint64_t deadline = tsc_deadline_ms(ICR_BUSY_MS);

	while ((lapic_read(LAPIC_ICR_LOW) & LAPIC_ICR_BUSY) && !tsc_expired(deadline))
		cpu_relax();
	lapic_write(LAPIC_ICR_HIGH, (uint32_t)apic_id << 24);
	lapic_write(LAPIC_ICR_LOW, icr);
}

static bool ap_arrived(uint8_t apic_id)
{
	return __atomic_load_n(&aps_arrived[apic_id / 32], __ATOMIC_ACQUIRE) &
	       (1u << (apic_id % 32));
}

/* An AP's C entry, from head.S, on its own stack. */
void ap_main(unsigned int index)
{
	uint32_t id;

	cpu_init(index);
	id = lapic_id() & 0xff;
	__atomic_fetch_or(&aps_arrived[id / 32], 1u << (id % 32), __ATOMIC_RELEASE);
	__atomic_add_fetch(&aps_online, 1, __ATOMIC_RELEASE);
	if (ap_function)
		ap_function(index);
}

int smp_start_aps(void (*fn)(unsigned int cpu), uint64_t timeout_ms)
{
	uint8_t ids[MAX_CPUS];
	unsigned int expected = 0;
	uint32_t self;
	uint64_t deadline;
	int count = mptable_cpus(ids, ARRAY_SIZE(ids));

	if (count < 0)
		return -1;
	if (count > MAX_CPUS) {
		printf("smp: the MP table lists %d CPUs; starting the first %d\n", count, MAX_CPUS);
		count = MAX_CPUS;
	}

	memcpy((void *)AP_TRAMPOLINE_ADDR, ap_trampoline, ap_trampoline_end - ap_trampoline);
	ap_function = fn;
	self = lapic_id();
	lapic_write(LAPIC_SVR, LAPIC_SVR_ENABLE | LAPIC_SPURIOUS_VECTOR);

	for (int i = 0; i < count; i++) {
		if (ids[i] == self)
			continue;
		lapic_send_ipi(ids[i], LAPIC_ICR_INIT | LAPIC_ICR_ASSERT);
		expected++;
	}
	if (!expected)
		return 0;
	udelay(INIT_DELAY_US);
	for (int i = 0; i < count; i++)
		if (ids[i] != self)
			lapic_send_ipi(ids[i],
				       LAPIC_ICR_STARTUP | LAPIC_ICR_ASSERT | AP_SIPI_VECTOR);
	udelay(SIPI_DELAY_US);
	/* The second SIPI, only for those not yet seen: a running CPU ignores it anyway. */
	for (int i = 0; i < count; i++)
		if (ids[i] != self && !ap_arrived(ids[i]))
			lapic_send_ipi(ids[i],
				       LAPIC_ICR_STARTUP | LAPIC_ICR_ASSERT | AP_SIPI_VECTOR);

	deadline = tsc_deadline_ms(timeout_ms);
	while (__atomic_load_n(&aps_online, __ATOMIC_ACQUIRE) < expected && !tsc_expired(deadline))
		cpu_relax();
	return __atomic_load_n(&aps_online, __ATOMIC_ACQUIRE);
}

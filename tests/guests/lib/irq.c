/* External interrupts for test guests: IDT handlers, the local APIC, the IOAPIC, MSI messages. */
#include "lib.h"

#define LAPIC_EOI 0xb0
#define LAPIC_SVR 0xf0
#define LAPIC_SVR_ENABLE 0x100
#define LAPIC_SPURIOUS_VECTOR 0xff

#define IOAPIC_REGSEL 0x00
#define IOAPIC_WINDOW 0x10
#define IOAPIC_REDIR(pin) (0x10 + 2 * (pin))
#define IOAPIC_LEVEL (1u << 15)
#define IOAPIC_ACTIVE_LOW (1u << 13)
#define IOAPIC_MASKED (1u << 16)

static void (*irq_handlers[256])(unsigned int vector);

void irq_set_handler(unsigned int vector, void (*fn)(unsigned int vector))
{
	if (vector >= 32 && vector < 255)
		irq_handlers[vector] = fn;
}

void irq_dispatch(unsigned int vector)
{
	if (vector == LAPIC_SPURIOUS_VECTOR)
		return; /* spurious: no EOI */
	if (irq_handlers[vector])
		irq_handlers[vector](vector);
	else
		printf("irq: unexpected interrupt on vector %u\n", vector);
	mmio_write32(KDOM_GPA_LAPIC + LAPIC_EOI, 0);
}

/*
 * Interrupts come through the IOAPIC: the 8259s are masked first, else an
 * uninitialized PIC hands IRQ 0 to the local APIC's LINT0 (ExtINT) as
 * vector 0, which the CPU takes for #DE.
 */
void lapic_enable(void)
{
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
	mmio_write32(KDOM_GPA_LAPIC + LAPIC_SVR, LAPIC_SVR_ENABLE | LAPIC_SPURIOUS_VECTOR);
}

static void ioapic_write(unsigned int reg, uint32_t value)
{
	mmio_write32(KDOM_GPA_IOAPIC + IOAPIC_REGSEL, reg);
	mmio_write32(KDOM_GPA_IOAPIC + IOAPIC_WINDOW, value);
}

static uint32_t ioapic_read(unsigned int reg)
{
	mmio_write32(KDOM_GPA_IOAPIC + IOAPIC_REGSEL, reg);
	return mmio_read32(KDOM_GPA_IOAPIC + IOAPIC_WINDOW);
}

void ioapic_route(unsigned int pin, unsigned int vector, bool level, bool active_low)
{
	ioapic_write(IOAPIC_REDIR(pin) + 1, lapic_id() << 24);
	ioapic_write(IOAPIC_REDIR(pin),
		     vector | (level ? IOAPIC_LEVEL : 0) | (active_low ? IOAPIC_ACTIVE_LOW : 0));
}

void ioapic_mask(unsigned int pin, bool masked)
{
	uint32_t low = ioapic_read(IOAPIC_REDIR(pin));

	ioapic_write(IOAPIC_REDIR(pin), masked ? low | IOAPIC_MASKED : low & ~IOAPIC_MASKED);
}

uint64_t msi_address(void)
{
	return KDOM_GPA_LAPIC | (uint64_t)lapic_id() << 12;
}

uint32_t msi_data(unsigned int vector)
{
	return vector; /* fixed delivery, edge */
}

bool irq_wait(volatile unsigned int *counter, unsigned int target, unsigned int timeout_ms)
{
	uint64_t deadline = tsc_deadline_ms(timeout_ms);
	bool reached;

	asm volatile("sti" ::: "memory");
	while (*counter < target && !tsc_expired(deadline))
		asm volatile("pause" ::: "memory");
	asm volatile("cli" ::: "memory");
	reached = *counter >= target;
	return reached;
}

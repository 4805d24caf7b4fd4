/* ACPI PM1a event and control blocks: the power button, the SCI, and S5 powering the domain off. */
#include "devices/acpi-pm.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "kdom/abi.h"
#include "vmm/log.h"

/* ACPI 6.5 section 4.8.3.1: the fixed-hardware status and enable bits. */
#define PM1_TMR (1u << 0)
#define PM1_GBL (1u << 5)
#define PM1_SLPBTN (1u << 9)
#define PM1_RTC (1u << 10)
#define PM1_EN_PCIEXP_WAKE_DIS (1u << 14)
/* Events whose status bit raises the SCI when enabled (only the power button is ever set). */
#define PM1_EVENTS (PM1_TMR | PM1_GBL | KDOM_ACPI_PM1_PWRBTN | PM1_SLPBTN | PM1_RTC)
#define PM1_EN_WRITABLE (PM1_EVENTS | PM1_EN_PCIEXP_WAKE_DIS)
/* Section 4.8.3.2.1: SCI_EN, BM_RLD and SLP_TYP keep what is written; GBL_RLS and SLP_EN do not. */
#define PM1_CNT_BM_RLD (1u << 1)
#define PM1_CNT_STORED (KDOM_ACPI_PM1_CNT_SCI_EN | PM1_CNT_BM_RLD | KDOM_ACPI_PM1_CNT_SLP_TYP_MASK)

#define ACPI_PM_EVT_LEN 4 /* PM1_STS, PM1_EN */
#define ACPI_PM_CNT_LEN 2 /* PM1_CNT */
#define ACPI_PM_COMPLAINTS 10

/* The three 16-bit registers, numbered as they lie: the event block's two, then PM1_CNT. */
enum acpi_pm_reg { PM1_STS, PM1_EN, PM1_CNT, PM1_REGS };

static void acpi_pm_complain(struct acpi_pm *pm, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void acpi_pm_complain(struct acpi_pm *pm, const char *fmt, ...)
{
	char message[192];
	va_list ap;

	if (++pm->complaints > ACPI_PM_COMPLAINTS)
		return;
	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	log_warn("ACPI PM: %s%s", message,
		 pm->complaints == ACPI_PM_COMPLAINTS ? " (further warnings suppressed)" : "");
}

/* The SCI follows its condition (level triggered): drive the line when that changes. */
static void acpi_pm_update_sci(struct acpi_pm *pm)
{
	bool level =
		(pm->control & KDOM_ACPI_PM1_CNT_SCI_EN) && (pm->status & pm->enable & PM1_EVENTS);

	if (level == pm->sci_level)
		return;
	pm->sci_level = level;
	vm_irq_line(pm->vm, pm->sci_gsi, level); /* fails only without KVM (unit tests) */
}

static uint16_t acpi_pm_read_reg(const struct acpi_pm *pm, enum acpi_pm_reg reg)
{
	switch (reg) {
	case PM1_STS:
		return pm->status;
	case PM1_EN:
		return pm->enable;
	default:
		return pm->control;
	}
}

/*
 * The bytes of reg that mask says were written, as value holds them.
 * Whether the guest asked to enter S5; other sleep states are refused.
 */
static bool acpi_pm_write_reg(struct acpi_pm *pm, enum acpi_pm_reg reg, uint16_t value,
			      uint16_t mask)
{
	unsigned int slp_typ;

	value &= mask;
	switch (reg) {
	case PM1_STS:
		pm->status &= ~value; /* write 1 to clear */
		return false;
	case PM1_EN:
		pm->enable = (pm->enable & ~mask) | (value & PM1_EN_WRITABLE);
		return false;
	default:
		pm->control = (pm->control & ~mask) | (value & PM1_CNT_STORED);
		if (!(value & KDOM_ACPI_PM1_CNT_SLP_EN))
			return false;
		slp_typ = (pm->control & KDOM_ACPI_PM1_CNT_SLP_TYP_MASK) >>
			  KDOM_ACPI_PM1_CNT_SLP_TYP_SHIFT;
		if (slp_typ == KDOM_ACPI_SLP_TYP_S5)
			return true;
		acpi_pm_complain(pm, "sleep type %u is not a state kdom has (S5 is %u); ignored",
				 slp_typ, KDOM_ACPI_SLP_TYP_S5);
		return false;
	}
}

/* The guest powered off: a poweroff, or the reboot the toolstack asked for. */
static void acpi_pm_enter_s5(struct acpi_pm *pm, enum vm_stop_reason on_s5)
{
	if (on_s5 == VM_STOP_REBOOT)
		vm_stop(pm->vm, VM_STOP_REBOOT, 0,
			"guest powered off (ACPI S5) after a reboot request: it starts again");
	else
		vm_stop(pm->vm, VM_STOP_POWEROFF, KDOM_RESULT_SUCCESS,
			"guest powered off (ACPI S5)");
}

/*
 * One access of 1, 2 or 4 bytes at any offset of a block whose first
 * register is first: each byte goes to the register it lies in.
 */
static void acpi_pm_io(struct acpi_pm *pm, struct bus_access *access, enum acpi_pm_reg first,
		       unsigned int block_len)
{
	uint16_t value[PM1_REGS] = { 0 }, mask[PM1_REGS] = { 0 };
	enum vm_stop_reason on_s5 = VM_STOP_NONE;

	if (access->len > block_len || access->offset > block_len - access->len)
		return; /* the bus hands over only whole accesses inside the range */
	pthread_mutex_lock(&pm->lock);
	for (unsigned int i = 0; i < access->len; i++) {
		unsigned int byte = access->offset + i, shift = 8 * (byte % 2);
		enum acpi_pm_reg reg = first + byte / 2;

		if (access->write) {
			value[reg] |= (uint16_t)(access->data[i] << shift);
			mask[reg] |= (uint16_t)(0xff << shift);
		} else {
			access->data[i] = (uint8_t)(acpi_pm_read_reg(pm, reg) >> shift);
		}
	}
	for (int reg = first; access->write && reg < PM1_REGS; reg++)
		if (mask[reg] && acpi_pm_write_reg(pm, reg, value[reg], mask[reg]))
			on_s5 = pm->on_s5;
	acpi_pm_update_sci(pm);
	pthread_mutex_unlock(&pm->lock);
	if (on_s5 != VM_STOP_NONE)
		acpi_pm_enter_s5(pm, on_s5);
}

static void acpi_pm_event_io(void *opaque, struct bus_access *access)
{
	acpi_pm_io(opaque, access, PM1_STS, ACPI_PM_EVT_LEN);
}

static void acpi_pm_control_io(void *opaque, struct bus_access *access)
{
	acpi_pm_io(opaque, access, PM1_CNT, ACPI_PM_CNT_LEN);
}

int acpi_pm_create(struct acpi_pm *pm, struct vm *vm, unsigned int sci_gsi)
{
	int ret;

	memset(pm, 0, sizeof(*pm));
	pm->vm = vm;
	pm->sci_gsi = sci_gsi;
	/* No SMI_CMD in the FADT: the platform is in ACPI mode from reset. */
	pm->control = KDOM_ACPI_PM1_CNT_SCI_EN;
	pm->on_s5 = VM_STOP_POWEROFF;
	pthread_mutex_init(&pm->lock, NULL);
	ret = bus_register(&vm->pio, KDOM_PORT_ACPI_PM1A_EVT, ACPI_PM_EVT_LEN, acpi_pm_event_io, pm,
			   "acpi-pm1a-evt");
	if (!ret)
		ret = bus_register(&vm->pio, KDOM_PORT_ACPI_PM1A_CNT, ACPI_PM_CNT_LEN,
				   acpi_pm_control_io, pm, "acpi-pm1a-cnt");
	return ret;
}

void acpi_pm_destroy(struct acpi_pm *pm)
{
	if (pm->vm)
		pthread_mutex_destroy(&pm->lock);
	pm->vm = NULL;
}

void acpi_pm_power_button(struct acpi_pm *pm, enum vm_stop_reason on_s5)
{
	pthread_mutex_lock(&pm->lock);
	pm->status |= KDOM_ACPI_PM1_PWRBTN;
	pm->on_s5 = on_s5;
	acpi_pm_update_sci(pm);
	pthread_mutex_unlock(&pm->lock);
}

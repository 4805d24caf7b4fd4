/* ACPI PM1a registers: the fixed power button event, the SCI, and S5 (soft off). */
#ifndef KDOM_DEVICES_ACPI_PM_H
#define KDOM_DEVICES_ACPI_PM_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "vmm/vm.h"

/*
 * The PM1a event block (PM1_STS, PM1_EN) and control block (PM1_CNT) at
 * the ports of kdom/abi.h, as the FADT describes them.  The SCI is held up
 * while SCI_EN is set and an enabled event's status bit is.
 */
struct acpi_pm {
	struct vm *vm;
	pthread_mutex_t lock;
	unsigned int sci_gsi;
	uint16_t status;  /* PM1_STS: PWRBTN_STS is the one event kdom raises */
	uint16_t enable;  /* PM1_EN: what the guest wrote of the defined bits */
	uint16_t control; /* PM1_CNT: SCI_EN, BM_RLD, SLP_TYP (SLP_EN reads as 0) */
	bool sci_level;	  /* the SCI line as last driven */
	/* What the guest's next S5 means: VM_STOP_REBOOT after a reboot request. */
	enum vm_stop_reason on_s5;
	unsigned int complaints; /* warnings logged about writes kdom ignores */
};

/* Register both blocks on vm's port bus; the SCI is sci_gsi.  0 or -errno. */
int acpi_pm_create(struct acpi_pm *pm, struct vm *vm, unsigned int sci_gsi);
void acpi_pm_destroy(struct acpi_pm *pm);

/*
 * Press the power button (from the toolstack's side): PWRBTN_STS is set
 * and the SCI raised if the guest enabled the event.  A guest that then
 * enters S5 stops the domain with on_s5 (VM_STOP_POWEROFF, or
 * VM_STOP_REBOOT for `kdom reboot`: the domain is started again by its
 * on_reboot action).
 */
void acpi_pm_power_button(struct acpi_pm *pm, enum vm_stop_reason on_s5);

#endif

/* The host configuration: what the host's administrator decides for every domain. */
#ifndef KDOM_HV_ROLES_HOST_CONFIG_H
#define KDOM_HV_ROLES_HOST_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "hv-roles/policy.h"

/* Filled in by the toolstack's parser (toolstack/config/host-config.c). */
struct host_config {
	char *path;		/* the file read, or NULL when none was */
	int64_t hardware_domid; /* `hardware_domid = N`; -1 when unset (domain 0) */
	bool pit_host_access;	/* `pit_host_access = 1` */
	char *pit_host_ports;	/* `pit_host_ports = "real"|"simulated:LOG"`; NULL: real */
	bool hwdom_vcpus_pin;	/* `hwdom_vcpus_pin = 1` */
	bool driver_domains;	/* `driver_domains = 0` forbids pass-through to driver domains */
	enum host_crash_action {
		HOST_CRASH_POWEROFF,
		HOST_CRASH_REBOOT,
		HOST_CRASH_PRESERVE,
	} hwdom_crash; /* `hwdom_crash = reboot|poweroff|preserve` (kdomd; default poweroff) */
	unsigned int hwdom_irq_budget;	/* `hwdom_irq_budget = N`: MSI/MSI-X routes */
	unsigned int domain_irq_budget; /* `domain_irq_budget = N`: every other domain's */
};

/* Xen gives dom0 256 extra interrupts and a domU 32 (extra_dom0_irqs, extra_domU_irqs). */
#define HOST_HWDOM_IRQ_BUDGET_DEFAULT 256
#define HOST_DOMAIN_IRQ_BUDGET_DEFAULT 32
#define HOST_IRQ_BUDGET_MAX 4096

/* The policy's view of the host; host_ports_available is the caller's to find out. */
static inline struct policy_host host_config_policy(const struct host_config *hc)
{
	return (struct policy_host){
		.pit_host_access = hc->pit_host_access,
		.driver_domains_allowed = hc->driver_domains,
		.hwdom_vcpus_pin = hc->hwdom_vcpus_pin,
		.hwdom_irq_budget = hc->hwdom_irq_budget,
		.domain_irq_budget = hc->domain_irq_budget,
	};
}

#endif

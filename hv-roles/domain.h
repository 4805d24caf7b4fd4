/* Domains and their roles: the predicates every role decision goes through. */
#ifndef KDOM_DOMAIN_H
#define KDOM_DOMAIN_H

#include <stdbool.h>
#include <stdint.h>

#include "hv-roles/domain-config.h"

/* Role flags, fixed when the domain is created (values match KDOM_ROLE_*). */
#define DOMAIN_ROLE_HARDWARE (1u << 0)
#define DOMAIN_ROLE_CONTROL (1u << 1)

struct domain {
	uint32_t domid;
	char name[DOMAIN_NAME_MAX];
	uint8_t uuid[16];
	unsigned int roles;
};

/* Fill a domain from its config; the roles never change afterwards. */
void domain_init(struct domain *d, uint32_t domid, const char *name, unsigned int roles);

/* The one hardware domain: owns devices, sees host CPUID, its shutdown is the host's. */
static inline bool is_hardware_domain(const struct domain *d)
{
	return d->roles & DOMAIN_ROLE_HARDWARE;
}

/* A domain that may manage others within the policy. */
static inline bool is_control_domain(const struct domain *d)
{
	return d->roles & DOMAIN_ROLE_CONTROL;
}

/* Domain 0, built first; may build the others until launch finalization. */
static inline bool is_bootstrap_domain(const struct domain *d)
{
	return d->domid == 0;
}

/* The KDOM_ROLE_* flags the guest sees in CPUID and its feature word. */
unsigned int domain_role_flags(const struct domain *d);

#endif

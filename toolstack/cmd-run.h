/* `kdom run`'s single-domain role admission, which `kdom cpuid` shares. */
#ifndef KDOM_CMD_RUN_H
#define KDOM_CMD_RUN_H

struct host_config;
struct domain_config;
struct role_registry;
struct domain;

/*
 * Give a single-domain run's domain its domid and roles from the config's
 * role keys, --role ROLE (NULL: none) and the host's hardware_domid,
 * through a fresh role registry.  0 or -EINVAL, the reason logged.
 */
int run_admit_domain(const char *role, const struct host_config *host, struct domain_config *dc,
		     struct role_registry *registry, struct domain *domain);

#endif

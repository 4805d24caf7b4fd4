/* The policy module: every privileged decision about a domain, one function per decision. */
#ifndef KDOM_POLICY_H
#define KDOM_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "hv-roles/domain.h"

/* Host configuration keys that policy decisions read. */
struct policy_host {
	bool pit_host_access;		/* `pit_host_access = 1` */
	bool host_ports_available;	/* ioperm() or /dev/port works on this host */
	bool driver_domains_allowed;	/* pass-through to `driver_domain = 1` domains is allowed */
	bool hwdom_vcpus_pin;		/* `hwdom_vcpus_pin = 1` */
	unsigned int hwdom_irq_budget;	/* the hardware domain's MSI/MSI-X routes */
	unsigned int domain_irq_budget; /* every other domain's */
};

/* Per-domain configuration keys that policy decisions read (not kept in struct domain). */
struct policy_domain_config {
	bool pit;	     /* `pit = 1` (the default) or `pit = 0` */
	bool driver_domain;  /* `driver_domain = 1` */
	unsigned int nr_pci; /* devices its `pci = [...]` passes through */
};

/* What the host knows about a PCI device offered for pass-through. */
struct policy_pci_device {
	bool host_bridge;  /* class 06/00: never passed */
	bool group_viable; /* every device of its IOMMU group is bound to vfio-pci or unused */
	bool released;	   /* the hardware domain's pool released it (pci-assignable-add) */
};

/* A domain seen by the management policy: the domain and its security labels. */
struct policy_subject {
	const struct domain *dom;
	const char *label;	    /* the tenant this domain belongs to; NULL: none */
	const char *const *manages; /* labels a control domain may manage; "*" = every domain */
	size_t nr_manages;
};

enum policy_cpuid {
	POLICY_CPUID_LEVELED, /* named baseline, host identification masked */
	POLICY_CPUID_HOST,    /* host identification leaves, every KVM-supported feature */
};

enum policy_pit {
	POLICY_PIT_NONE,    /* `pit = 0`: no PIT at all */
	POLICY_PIT_VIRTUAL, /* KVM's in-kernel PIT */
	POLICY_PIT_HOST,    /* channel 2 and port 0x61 forwarded to the host, the rest virtual */
};

/* Domain management operations (Xen's domctl/sysctl names). */
enum policy_op {
	POLICY_OP_CREATE,
	POLICY_OP_DESTROY,
	POLICY_OP_PAUSE,
	POLICY_OP_UNPAUSE,
	POLICY_OP_SHUTDOWN,
	POLICY_OP_REBOOT,
	POLICY_OP_GETDOMAININFO,
	POLICY_OP_GETDOMAININFOLIST,
	POLICY_OP_COUNT
};

/* The CPUID policy domain d gets. */
enum policy_cpuid policy_cpuid(const struct domain *d);

/* The PIT domain d gets; *reason (may be NULL) says why a hardware domain got no host PIT, else NULL. */
enum policy_pit policy_pit_mode(const struct domain *d, const struct policy_host *host,
				const struct policy_domain_config *cfg, const char **reason);

/* 0 if domain d may receive device dev by pass-through, else -EPERM with the rule in *reason. */
int policy_may_assign_pci(const struct domain *d, const struct policy_domain_config *cfg,
			  const struct policy_host *host, const struct policy_pci_device *dev,
			  const char **reason);

/* Whether d's poweroff, reboot and crash act on the whole host. */
bool policy_shutdown_forwarded(const struct domain *d);

/* 0 if caller may perform op on target (NULL for GETDOMAININFOLIST), else -EPERM. */
int policy_may_manage(const struct policy_subject *caller, const struct policy_subject *target,
		      enum policy_op op, bool launch_finalized);

/* 0 if d may be saved or migrated, else -EPERM. */
int policy_may_save(const struct domain *d);

/* Whether d's vCPUs are pinned one-to-one to host CPUs. */
bool policy_vcpus_pinned(const struct domain *d, const struct policy_host *host);

/*
 * The bootstrap rule: whether d holds every management right now, because it
 * builds the launch (domain 0, until the launch is finalized).
 */
bool policy_bootstrap_rights(const struct domain *d, bool launch_finalized);

/* Whether caller may manage every domain: the bootstrap rule, or a control domain granted "*". */
bool policy_manages_all(const struct policy_subject *caller, bool launch_finalized);

/*
 * 0 if caller may create target (its domid and roles as the role registry
 * would admit it, its label) with configuration cfg, else -EPERM with the
 * rule in *reason (may be NULL).
 */
int policy_may_create(const struct policy_subject *caller, const struct policy_subject *target,
		      const struct policy_domain_config *cfg, bool launch_finalized,
		      const char **reason);

/* 0 if d may finalize the launch (end its bootstrap rights), else -EPERM with the rule in *reason. */
int policy_may_finalize_launch(const struct domain *d, const char **reason);

/* Whether the toolstack itself unpauses d once a launch is built. */
bool policy_launch_starts(const struct domain *d, bool launch_has_bootstrap);

/* Whether d is told of other domains' shutdowns and destructions (Xen's VIRQ_DOM_EXC). */
bool policy_told_of_domain_exits(const struct domain *d);

/* 0 if d's management hypercalls may reach the toolstack at all, else -EPERM. */
int policy_may_request_management(const struct domain *d);

/*
 * Whether d is told the host's memory extent (its RAM and highest frame:
 * KDOM_KDOMOP_GET_MEMORY_EXTENT, XENMEM_maximum_ram_page) rather than its
 * own: the hardware domain, as Xen's max_page and machphys rule.
 */
bool policy_sees_host_memory(const struct domain *d);

/*
 * How many MSI/MSI-X routes (its devices' and pass-through's interrupts) d
 * may hold: the hardware domain's budget is the larger (Xen's domain_create
 * gives dom0 more pirqs), both from the host configuration.
 */
unsigned int policy_irq_budget(const struct domain *d, const struct policy_host *host);

/* Xen feature submap 0 for d (XENVER_get_features): XENFEAT_dom0 for the hardware domain. */
uint32_t policy_xen_features(const struct domain *d);

/*
 * The SIF_* flags of d's hvm_start_info with its Xen interface on, as Xen's
 * Hyperlaunch sets them: SIF_PRIVILEGED for a control domain, SIF_INITDOMAIN
 * for the hardware domain.
 */
uint32_t policy_xen_start_flags(const struct domain *d);

/* The operation's name, for messages; "unknown" outside the enum. */
const char *policy_op_name(enum policy_op op);

#endif

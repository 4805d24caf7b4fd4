/* The policy module: the role table of DESIGN.md, one function per decision. */
#include "hv-roles/policy.h"

#include <errno.h>
#include <string.h>

#include "kdom/xen.h"

/*
 * Each function tests the narrowest rule first and falls through to the
 * broadest ("is this a control domain"), the way Xen's XSM dummy policy
 * reads.  The bootstrap domain gets nothing for being domain 0 except the
 * management rights it holds until the launch is finalized.
 */

/*
 * CPUID: the hardware domain and control domains see the host (the patch's
 * "show real CPUID values to hardware domain"; a control domain needs the
 * host's identity to level the others).  Everyone else, the bootstrap
 * domain included unless it has one of those roles, is leveled.
 */
enum policy_cpuid policy_cpuid(const struct domain *d)
{
	if (is_hardware_domain(d))
		return POLICY_CPUID_HOST;
	if (is_control_domain(d))
		return POLICY_CPUID_HOST;
	return POLICY_CPUID_LEVELED;
}

/*
 * PIT: `pit = 0` means no PIT for anyone, the hardware domain included (it
 * asked for none).  Only the hardware domain may reach the host's channel 2
 * and port 0x61, as Xen forwards dom0's accesses, and only when the host
 * configuration allows it and the host gives user space its I/O ports;
 * otherwise it falls back to the virtual PIT with the reason given.
 */
enum policy_pit policy_pit_mode(const struct domain *d, const struct policy_host *host,
				const struct policy_domain_config *cfg, const char **reason)
{
	const char *why = NULL;
	enum policy_pit mode = POLICY_PIT_VIRTUAL;

	if (!cfg->pit)
		mode = POLICY_PIT_NONE;
	else if (!is_hardware_domain(d))
		mode = POLICY_PIT_VIRTUAL;
	else if (!host->pit_host_access)
		why = "host PIT access not allowed: the host configuration does not set "
		      "pit_host_access = 1";
	else if (!host->host_ports_available)
		why = "host PIT access not available: the host gives no access to I/O ports "
		      "(neither ioperm nor /dev/port)";
	else
		mode = POLICY_PIT_HOST;
	if (reason)
		*reason = why;
	return mode;
}

/*
 * PCI pass-through: a host bridge or a device whose IOMMU group is not
 * viable is never passed, whoever asks.  The hardware domain owns every
 * other device.  Another domain may receive one only as a driver domain the
 * host policy allows, and only once the hardware domain's pool released it.
 */
int policy_may_assign_pci(const struct domain *d, const struct policy_domain_config *cfg,
			  const struct policy_host *host, const struct policy_pci_device *dev,
			  const char **reason)
{
	const char *why = NULL;

	if (dev->host_bridge)
		why = "a host bridge is never passed through";
	else if (!dev->group_viable)
		why = "its IOMMU group is not viable";
	else if (is_hardware_domain(d))
		why = NULL;
	else if (!cfg->driver_domain)
		why = "only the hardware domain may receive PCI devices, or a domain with "
		      "driver_domain = 1";
	else if (!host->driver_domains_allowed)
		why = "the host configuration forbids driver domains (driver_domains = 0)";
	else if (!dev->released)
		why = "the device is in use (the hardware domain has not released it)";
	if (reason)
		*reason = why;
	return why ? -EPERM : 0;
}

/* Shutdown: only the hardware domain's poweroff/reboot/crash is the host's. */
bool policy_shutdown_forwarded(const struct domain *d)
{
	return is_hardware_domain(d);
}

static bool subject_manages_all(const struct policy_subject *s)
{
	for (size_t i = 0; i < s->nr_manages; i++)
		if (s->manages[i] && strcmp(s->manages[i], "*") == 0)
			return true;
	return false;
}

static bool subject_manages_label(const struct policy_subject *s, const char *label)
{
	if (subject_manages_all(s))
		return true;
	if (!label)
		return false;
	for (size_t i = 0; i < s->nr_manages; i++)
		if (s->manages[i] && strcmp(s->manages[i], label) == 0)
			return true;
	return false;
}

/*
 * The bootstrap rule: domain 0 builds the launch, the late hardware domain
 * included, so it may do anything until it finalizes the launch; after that
 * it has only the rights of its other roles.
 */
bool policy_bootstrap_rights(const struct domain *d, bool launch_finalized)
{
	return is_bootstrap_domain(d) && !launch_finalized;
}

/*
 * Every domain: the bootstrap domain while it builds the launch, or a control
 * domain whose grants say "*".  Grants of a domain without the control role
 * count for nothing.
 */
bool policy_manages_all(const struct policy_subject *caller, bool launch_finalized)
{
	if (policy_bootstrap_rights(caller->dom, launch_finalized))
		return true;
	return is_control_domain(caller->dom) && subject_manages_all(caller);
}

/*
 * Management operations, narrowest rule first:
 *  1. On itself a caller may only read its own info: pausing itself leaves no
 *     one to unpause it, it is not paused while it calls, destroying or
 *     shutting itself down mid-call goes through SCHEDOP_shutdown (which
 *     every domain may use and is not a management op), and it cannot be the
 *     domain it creates.
 *  2. The bootstrap domain may do anything until the launch is finalized: it
 *     builds the launch, the late hardware domain included.
 *  3. After that, and for everyone else, only a control domain: within its
 *     labels ("*" = all, an unlabelled target needs "*"); the hardware domain
 *     may be managed only by a control domain that manages "*".
 *  GETDOMAININFOLIST has no target: it needs rights to manage at all, and the
 *  caller filters the list with GETDOMAININFO per domain.
 */
int policy_may_manage(const struct policy_subject *caller, const struct policy_subject *target,
		      enum policy_op op, bool launch_finalized)
{
	const struct domain *c = caller->dom;
	bool bootstrapping = policy_bootstrap_rights(c, launch_finalized);

	if ((unsigned int)op >= POLICY_OP_COUNT)
		return -EPERM;
	if (op == POLICY_OP_GETDOMAININFOLIST)
		return bootstrapping || is_control_domain(c) ? 0 : -EPERM;
	if (!target)
		return -EPERM;
	if (target->dom->domid == c->domid) {
		if (op != POLICY_OP_GETDOMAININFO)
			return -EPERM;
		return bootstrapping || is_control_domain(c) ? 0 : -EPERM;
	}
	if (bootstrapping)
		return 0;
	if (!is_control_domain(c))
		return -EPERM;
	if (is_hardware_domain(target->dom) && !policy_manages_all(caller, launch_finalized))
		return -EPERM;
	return subject_manages_label(caller, target->label) ? 0 : -EPERM;
}

/*
 * Creation: a domain with power of its own — the hardware or a control role
 * (whose grants come from the policy file by name, not from its creator),
 * domain 0 (the bootstrap rule), or host devices (PCI pass-through, a driver
 * domain) — only from a caller that manages every domain; a tenant's control
 * domain could otherwise make itself a way out of its tenant.  Then the
 * ordinary management rule for CREATE on the new domain.
 */
int policy_may_create(const struct policy_subject *caller, const struct policy_subject *target,
		      const struct policy_domain_config *cfg, bool launch_finalized,
		      const char **reason)
{
	const struct domain *t = target->dom;
	const char *why = NULL;

	if (policy_manages_all(caller, launch_finalized))
		why = NULL;
	else if (is_hardware_domain(t))
		why = "creating the hardware domain needs \"*\"";
	else if (is_control_domain(t))
		why = "creating a control domain needs \"*\"";
	else if (is_bootstrap_domain(t))
		why = "creating domain 0, the bootstrap domain, needs \"*\"";
	else if (cfg->nr_pci)
		why = "creating a domain with PCI devices needs \"*\"";
	else if (cfg->driver_domain)
		why = "creating a driver domain needs \"*\"";
	if (!why && policy_may_manage(caller, target, POLICY_OP_CREATE, launch_finalized))
		why = "the domain would not be the caller's to manage";
	if (reason)
		*reason = why;
	return why ? -EPERM : 0;
}

/* Finalization ends the bootstrap rule, so only the bootstrap domain may ask for it. */
int policy_may_finalize_launch(const struct domain *d, const char **reason)
{
	const char *why = is_bootstrap_domain(d) ? NULL : "only the bootstrap domain finalizes";

	if (reason)
		*reason = why;
	return why ? -EPERM : 0;
}

/*
 * A launch with a bootstrap domain is built by it: the toolstack starts it
 * alone and it starts the others.  Without one the toolstack starts them all.
 */
bool policy_launch_starts(const struct domain *d, bool launch_has_bootstrap)
{
	return !launch_has_bootstrap || is_bootstrap_domain(d);
}

/* Control domains watch the others (Xen sends VIRQ_DOM_EXC to the control domain). */
bool policy_told_of_domain_exits(const struct domain *d)
{
	return is_control_domain(d);
}

/*
 * The domain process's first filter: a domain that is neither a control
 * domain nor the bootstrap domain (whose rights last until launch
 * finalization, which only the toolstack knows) has no management rights at
 * all, so its calls never reach the toolstack.
 */
unsigned int policy_irq_budget(const struct domain *d, const struct policy_host *host)
{
	return is_hardware_domain(d) ? host->hwdom_irq_budget : host->domain_irq_budget;
}

bool policy_sees_host_memory(const struct domain *d)
{
	return is_hardware_domain(d);
}

uint32_t policy_xen_features(const struct domain *d)
{
	/* As in the seed patch: XENFEAT_dom0 marks the hardware domain only. */
	return is_hardware_domain(d) ? 1u << XENFEAT_dom0 : 0;
}

uint32_t policy_xen_start_flags(const struct domain *d)
{
	return (is_control_domain(d) ? SIF_PRIVILEGED : 0) |
	       (is_hardware_domain(d) ? SIF_INITDOMAIN : 0);
}

int policy_may_request_management(const struct domain *d)
{
	return is_control_domain(d) || is_bootstrap_domain(d) ? 0 : -EPERM;
}

/*
 * Save/migrate: the hardware domain owns the host's devices and its state is
 * the host's, so it never leaves; every other domain may be saved.
 */
int policy_may_save(const struct domain *d)
{
	return is_hardware_domain(d) ? -EPERM : 0;
}

/*
 * vCPU pinning: like Xen's dom0_vcpus_pin, only the hardware domain and only
 * when the host configuration asks; other domains float.
 */
bool policy_vcpus_pinned(const struct domain *d, const struct policy_host *host)
{
	return is_hardware_domain(d) && host->hwdom_vcpus_pin;
}

const char *policy_op_name(enum policy_op op)
{
	static const char *const names[POLICY_OP_COUNT] = {
		[POLICY_OP_CREATE] = "create",
		[POLICY_OP_DESTROY] = "destroy",
		[POLICY_OP_PAUSE] = "pause",
		[POLICY_OP_UNPAUSE] = "unpause",
		[POLICY_OP_SHUTDOWN] = "shutdown",
		[POLICY_OP_REBOOT] = "reboot",
		[POLICY_OP_GETDOMAININFO] = "getdomaininfo",
		[POLICY_OP_GETDOMAININFOLIST] = "getdomaininfolist",
	};

	if ((unsigned int)op >= POLICY_OP_COUNT)
		return "unknown";
	return names[op];
}

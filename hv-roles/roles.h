/* The role registry: which domids exist and which domain holds the hardware role. */
#ifndef KDOM_ROLES_H
#define KDOM_ROLES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hv-roles/domain.h"

/* role_request.domid: allocate the lowest free domid >= 1. */
#define ROLES_DOMID_ANY (-1)

/* role_registry.hardware_domid: no late hardware domain, domain 0 is the hardware domain. */
#define ROLES_HARDWARE_DOMID_DEFAULT (-1)

/*
 * The host configuration that concerns roles, plus the live role state of the
 * domain table.  One registry per host (kdomd) or per `kdom run`; no globals.
 */
struct role_registry {
	/* Host config `hardware_domid = N`, or ROLES_HARDWARE_DOMID_DEFAULT. */
	int32_t hardware_domid;
	/*
	 * The domain that holds DOMAIN_ROLE_HARDWARE now, or NULL.  The registry
	 * keeps the caller's pointer so that a late hardware domain's admission
	 * can clear the flag on domain 0 (the one role change ever made).
	 */
	struct domain *hardware;
	/* Set by each roles_admit(): that admission moved the hardware role. */
	bool hardware_moved;
	uint32_t hardware_moved_from;
	uint32_t nr_domains;
	uint8_t in_use[(DOMAIN_DOMID_MAX + 1 + 7) / 8];
};

/* What a new domain's configuration asks for (domid, name, role keys). */
struct role_request {
	int64_t domid;	     /* 0..DOMAIN_DOMID_MAX, or ROLES_DOMID_ANY */
	const char *name;    /* 1..DOMAIN_NAME_MAX-1 characters */
	bool hardware;	     /* `hardware = 1` */
	bool control;	     /* `control = 1` */
	const uint8_t *uuid; /* `uuid = "..."`: 16 bytes; NULL: a random one */
};

/* Empty the registry for a host whose config says `hardware_domid` (-1: unset); -EINVAL if out of range. */
int roles_init(struct role_registry *reg, int64_t hardware_domid, char *err, size_t errlen);

/*
 * Decide a new domain's domid and roles and fill *out; 0, or -EINVAL / -EEXIST
 * / -ENOSPC with the rule broken written to err.  Nothing changes on error.
 * When this makes *out the hardware domain, *out must stay at its address
 * until roles_release(): a late hardware domain's admission clears
 * DOMAIN_ROLE_HARDWARE through that pointer (see roles_hardware_moved()).
 */
int roles_admit(struct role_registry *reg, const struct role_request *req, struct domain *out,
		char *err, size_t errlen);

/*
 * A single-domain run is its own host: admit req's domain into a fresh
 * registry (the host's hardware_domid, -1: unset), with role (NULL: none)
 * as `kdom run --role` names it:
 *   guest      no role (domid 1 unless req says otherwise)
 *   control    req->control
 *   hardware   req->hardware; the domain gets hardware_domid when the host
 *              sets one, else the run designates this domain (its domid, 1
 *              by default) as the hardware domain
 *   bootstrap  domain 0, which Xen's rule also makes the hardware domain
 *              unless hardware_domid names another
 * req is updated with what the role asked for.  0 or -EINVAL, err written.
 */
int roles_admit_single(struct role_registry *reg, const char *role, int64_t hardware_domid,
		       struct role_request *req, struct domain *out, char *err, size_t errlen);

/*
 * What roles_admit() would decide for req, changing nothing: the domid and
 * the DOMAIN_ROLE_* flags (for a policy check before the domain exists).
 * 0 or the error roles_admit() would give.
 */
int roles_preview(const struct role_registry *reg, const struct role_request *req, uint32_t *domid,
		  unsigned int *roles, char *err, size_t errlen);

/*
 * Take back the last roles_admit() of d, which never ran: its domid is free
 * again and, if it moved the hardware role, previous (the domain it came
 * from) holds it again.  0 or -ENOENT.
 */
int roles_cancel(struct role_registry *reg, struct domain *d, struct domain *previous);

/* Forget domain domid (it went away); its domid becomes free.  -ENOENT if not admitted. */
int roles_release(struct role_registry *reg, uint32_t domid);

/* Whether domid is admitted. */
bool roles_domid_in_use(const struct role_registry *reg, uint32_t domid);

/* The domid of the current hardware domain, or -ENOENT when no domain holds the role. */
int roles_hardware_domid(const struct role_registry *reg);

/*
 * True when the last successful roles_admit() moved the hardware role (device
 * ownership, host-shutdown forwarding) to the admitted domain from another
 * one, whose domid goes to *from (may be NULL).  The caller acts on it.
 */
bool roles_hardware_moved(const struct role_registry *reg, uint32_t *from);

#endif

/* The role registry: admits domains, allocates domids, keeps exactly one hardware domain. */
#include "hv-roles/roles.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/*
 * Xen's model, which kdom follows: domain 0 bootstraps the host and is the
 * hardware domain unless the host configuration designates a late hardware
 * domain (`hardware_domid = N`).  Then domain 0 holds the role only until
 * domain N is created, at which point the role moves to N for good (it does
 * not come back to domain 0 if N goes away, as in Xen).  This file is the
 * only place that knows which domid is designated; everything else asks
 * is_hardware_domain().
 */

static bool domid_test(const struct role_registry *reg, uint32_t domid)
{
	return reg->in_use[domid / 8] & (1u << (domid % 8));
}

static void domid_set(struct role_registry *reg, uint32_t domid, bool used)
{
	if (used)
		reg->in_use[domid / 8] |= (uint8_t)(1u << (domid % 8));
	else
		reg->in_use[domid / 8] &= (uint8_t) ~(1u << (domid % 8));
}

/* The domid that is the hardware domain once it exists. */
static uint32_t designated_domid(const struct role_registry *reg)
{
	return reg->hardware_domid < 0 ? 0 : (uint32_t)reg->hardware_domid;
}

static bool has_late_hardware_domain(const struct role_registry *reg)
{
	return reg->hardware_domid > 0;
}

int roles_init(struct role_registry *reg, int64_t hardware_domid, char *err, size_t errlen)
{
	memset(reg, 0, sizeof(*reg));
	reg->hardware_domid = ROLES_HARDWARE_DOMID_DEFAULT;
	if (hardware_domid != ROLES_HARDWARE_DOMID_DEFAULT &&
	    (hardware_domid < 0 || hardware_domid > DOMAIN_DOMID_MAX)) {
		snprintf(err, errlen, "hardware_domid = %lld is out of range 0..%d",
			 (long long)hardware_domid, DOMAIN_DOMID_MAX);
		return -EINVAL;
	}
	reg->hardware_domid = (int32_t)hardware_domid;
	return 0;
}

bool roles_domid_in_use(const struct role_registry *reg, uint32_t domid)
{
	return domid <= DOMAIN_DOMID_MAX && domid_test(reg, domid);
}

/*
 * Lowest free domid >= 1.  A designated late hardware domid is never handed
 * out: a domain created without asking for it would silently take over the
 * host's devices.
 */
static int domid_allocate(const struct role_registry *reg, uint32_t *domid)
{
	for (uint32_t id = 1; id <= DOMAIN_DOMID_MAX; id++) {
		if (has_late_hardware_domain(reg) && id == designated_domid(reg))
			continue;
		if (!domid_test(reg, id)) {
			*domid = id;
			return 0;
		}
	}
	return -ENOSPC;
}

static int request_domid(const struct role_registry *reg, const struct role_request *req,
			 uint32_t *domid, char *err, size_t errlen)
{
	if (req->domid == ROLES_DOMID_ANY) {
		if (domid_allocate(reg, domid) < 0) {
			snprintf(err, errlen, "no free domid left in 1..%d", DOMAIN_DOMID_MAX);
			return -ENOSPC;
		}
		return 0;
	}
	if (req->domid < 0 || req->domid > DOMAIN_DOMID_MAX) {
		snprintf(err, errlen, "domid %lld is out of range 0..%d", (long long)req->domid,
			 DOMAIN_DOMID_MAX);
		return -EINVAL;
	}
	if (domid_test(reg, (uint32_t)req->domid)) {
		snprintf(err, errlen, "domid %lld is already in use", (long long)req->domid);
		return -EEXIST;
	}
	*domid = (uint32_t)req->domid;
	return 0;
}

/*
 * Whether domain domid gets the hardware role; *moves says it takes it from
 * the interim holder (domain 0).  The designated domain gets the role even
 * without `hardware = 1`, as Xen does; `hardware = 1` elsewhere is refused
 * rather than ignored, so a misconfiguration shows before anything runs.
 */
static int decide_hardware(const struct role_registry *reg, uint32_t domid, bool asked,
			   bool *hardware, bool *moves, char *err, size_t errlen)
{
	uint32_t designated = designated_domid(reg);

	*hardware = false;
	*moves = false;
	if (domid == designated) {
		if (!reg->hardware) {
			*hardware = true;
			return 0;
		}
		/* Only the interim holder can be there: the designated domid is free. */
		if (has_late_hardware_domain(reg) && reg->hardware->domid == 0) {
			*hardware = true;
			*moves = true;
			return 0;
		}
		snprintf(err, errlen,
			 "domain %u cannot be the hardware domain: domain %u already is (only one "
			 "at a time)",
			 domid, reg->hardware->domid);
		return -EEXIST;
	}
	if (has_late_hardware_domain(reg) && domid == 0) {
		/* Domain 0 is the interim hardware domain until domain N exists. */
		if (!reg->hardware) {
			*hardware = true;
			return 0;
		}
		if (!asked)
			return 0;
		snprintf(err, errlen,
			 "domain 0 cannot be the hardware domain: hardware_domid = %u designates "
			 "domain %u, which already is (only one at a time)",
			 designated, designated);
		return -EEXIST;
	}
	if (!asked)
		return 0;
	if (has_late_hardware_domain(reg))
		snprintf(err, errlen,
			 "domain %u cannot be the hardware domain: hardware_domid = %u designates "
			 "domain %u",
			 domid, designated, designated);
	else
		snprintf(err, errlen,
			 "domain %u cannot be the hardware domain: it is domain 0 unless the host "
			 "configuration sets hardware_domid = %u",
			 domid, domid);
	return -EINVAL;
}

int roles_admit(struct role_registry *reg, const struct role_request *req, struct domain *out,
		char *err, size_t errlen)
{
	unsigned int roles = 0;
	bool hardware, moves;
	uint32_t domid;
	size_t len;
	int ret;

	len = req->name ? strnlen(req->name, DOMAIN_NAME_MAX) : 0;
	if (len == 0 || len >= DOMAIN_NAME_MAX) {
		snprintf(err, errlen, "a domain name must have 1 to %d characters",
			 DOMAIN_NAME_MAX - 1);
		return -EINVAL;
	}
	ret = request_domid(reg, req, &domid, err, errlen);
	if (ret < 0)
		return ret;
	ret = decide_hardware(reg, domid, req->hardware, &hardware, &moves, err, errlen);
	if (ret < 0)
		return ret;

	if (hardware)
		roles |= DOMAIN_ROLE_HARDWARE;
	if (req->control)
		roles |= DOMAIN_ROLE_CONTROL;
	domain_init(out, domid, req->name, roles);
	if (req->uuid)
		memcpy(out->uuid, req->uuid, sizeof(out->uuid));

	reg->hardware_moved = moves;
	if (moves) {
		/* Xen's late hwdom: the one role change ever made, on domain 0 only. */
		reg->hardware_moved_from = reg->hardware->domid;
		reg->hardware->roles &= ~DOMAIN_ROLE_HARDWARE;
	}
	if (hardware)
		reg->hardware = out;
	domid_set(reg, domid, true);
	reg->nr_domains++;
	return 0;
}

int roles_preview(const struct role_registry *reg, const struct role_request *req, uint32_t *domid,
		  unsigned int *roles, char *err, size_t errlen)
{
	bool hardware, moves;
	int ret = request_domid(reg, req, domid, err, errlen);

	if (!ret)
		ret = decide_hardware(reg, *domid, req->hardware, &hardware, &moves, err, errlen);
	if (!ret)
		*roles = (hardware ? DOMAIN_ROLE_HARDWARE : 0) |
			 (req->control ? DOMAIN_ROLE_CONTROL : 0);
	return ret;
}

int roles_cancel(struct role_registry *reg, struct domain *d, struct domain *previous)
{
	int ret = roles_release(reg, d->domid);

	/* An admission that moved the hardware role and is taken back gives it back. */
	if (!ret && previous && reg->hardware_moved && !reg->hardware &&
	    previous->domid == reg->hardware_moved_from) {
		previous->roles |= DOMAIN_ROLE_HARDWARE;
		reg->hardware = previous;
		reg->hardware_moved = false;
	}
	return ret;
}

int roles_release(struct role_registry *reg, uint32_t domid)
{
	if (!roles_domid_in_use(reg, domid))
		return -ENOENT;
	/* The role is not handed back to domain 0: Xen keeps no such path either. */
	if (reg->hardware && reg->hardware->domid == domid)
		reg->hardware = NULL;
	domid_set(reg, domid, false);
	reg->nr_domains--;
	return 0;
}

int roles_hardware_domid(const struct role_registry *reg)
{
	return reg->hardware ? (int)reg->hardware->domid : -ENOENT;
}

bool roles_hardware_moved(const struct role_registry *reg, uint32_t *from)
{
	if (reg->hardware_moved && from)
		*from = reg->hardware_moved_from;
	return reg->hardware_moved;
}

int roles_admit_single(struct role_registry *reg, const char *role, int64_t hardware_domid,
		       struct role_request *req, struct domain *out, char *err, size_t errlen)
{
	if (role) {
		if (!strcmp(role, "control")) {
			req->control = true;
		} else if (!strcmp(role, "hardware")) {
			req->hardware = true;
			if (req->domid == ROLES_DOMID_ANY)
				req->domid = hardware_domid >= 0 ? hardware_domid : 1;
			if (hardware_domid < 0)
				hardware_domid = req->domid;
		} else if (!strcmp(role, "bootstrap")) {
			if (req->domid != ROLES_DOMID_ANY && req->domid != 0) {
				snprintf(err, errlen,
					 "--role bootstrap is domain 0, but the config says domid "
					 "= %lld",
					 (long long)req->domid);
				return -EINVAL;
			}
			req->domid = 0;
		} else if (strcmp(role, "guest")) {
			snprintf(err, errlen,
				 "unknown role '%s' (use hardware, control, bootstrap or guest)",
				 role);
			return -EINVAL;
		}
	}
	if (roles_init(reg, hardware_domid, err, errlen) || roles_admit(reg, req, out, err, errlen))
		return -EINVAL;
	return 0;
}

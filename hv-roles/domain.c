/* Domain identity and role flags. */
#include "hv-roles/domain.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "kdom/abi.h"

void domain_init(struct domain *d, uint32_t domid, const char *name, unsigned int roles)
{
	memset(d, 0, sizeof(*d));
	d->domid = domid;
	snprintf(d->name, sizeof(d->name), "%s", name);
	d->roles = roles;
	/* A random (version 4) UUID; a short read leaves zero bytes, still unique enough. */
	if (getrandom(d->uuid, sizeof(d->uuid), GRND_NONBLOCK) != sizeof(d->uuid))
		memset(d->uuid, 0, sizeof(d->uuid));
	d->uuid[6] = (d->uuid[6] & 0x0f) | 0x40;
	d->uuid[8] = (d->uuid[8] & 0x3f) | 0x80;
}

unsigned int domain_role_flags(const struct domain *d)
{
	unsigned int flags = 0;

	if (is_hardware_domain(d))
		flags |= KDOM_ROLE_HARDWARE;
	if (is_control_domain(d))
		flags |= KDOM_ROLE_CONTROL;
	if (is_bootstrap_domain(d))
		flags |= KDOM_ROLE_BOOTSTRAP;
	return flags;
}

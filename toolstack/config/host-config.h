/* The host configuration file (/etc/kdom/host.cfg): its keys and where it is looked for. */
#ifndef KDOM_TOOLSTACK_HOST_CONFIG_H
#define KDOM_TOOLSTACK_HOST_CONFIG_H

#include <stddef.h>

#include "hv-roles/host-config.h"

#define HOST_CONFIG_DEFAULT_PATH "/etc/kdom/host.cfg"
#define HOST_CONFIG_ENV "KDOM_HOST_CONFIG"

/*
 * Read the host configuration (xl.cfg syntax): path if given, else
 * $KDOM_HOST_CONFIG, else HOST_CONFIG_DEFAULT_PATH, which alone may be
 * missing (then every key has its default).  Unknown keys and bad values are
 * refused as "FILE:LINE: what is wrong".  0 or -errno with err.
 */
int host_config_load(struct host_config *hc, const char *path, char *err, size_t errlen);

/* Free the strings; safe on a zeroed config. */
void host_config_free(struct host_config *hc);

#endif

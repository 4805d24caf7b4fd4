/* Domain configuration files: the xl.cfg keys that fill in a struct domain_config. */
#ifndef KDOM_TOOLSTACK_DOMAIN_CONFIG_H
#define KDOM_TOOLSTACK_DOMAIN_CONFIG_H

#include <stddef.h>

#include "hv-roles/domain-config.h"
#include "toolstack/config/xlcfg.h"

/* "destroy", "restart", "preserve", "rename-restart". */
const char *domain_action_name(enum domain_action action);

/* Defaults: name "kdom", DOMAIN_MEMORY_DEFAULT_MIB, 1 vCPU, no kernel. */
void domain_config_init(struct domain_config *dc);

/*
 * Apply every setting of cfg to dc.  Unknown keys, wrong types and
 * out-of-range values are refused as "FILE:LINE: what is wrong"; the keys
 * of xl.cfg(5) kdom does not serve are logged as ignored ("FILE:LINE:
 * 'KEY' ignored: why") or refused, as xl-keys.c's table says.  0 or -EINVAL.
 */
int domain_config_apply(struct domain_config *dc, const struct cfg *cfg, char *err, size_t errlen);

/*
 * Read, parse and apply the file at path (max 1 MiB: -EFBIG).  0 or -errno
 * with err ("cannot read PATH: reason", or parse/apply messages).  On
 * failure dc may be partly applied; the caller frees it as usual.
 */
int domain_config_load(struct domain_config *dc, const char *path, char *err, size_t errlen);

/* Check the settings that only whole configs can check (kernel given, ...). */
int domain_config_validate(const struct domain_config *dc, char *err, size_t errlen);

/*
 * Setters shared by the config file and `kdom run` options; 0 or -EINVAL
 * with a message in err that has no FILE:LINE prefix (the file's key table
 * adds it), e.g. "memory 1 MiB out of range (2 to 1048576)".
 */
int domain_config_set_name(struct domain_config *dc, const char *name, char *err, size_t errlen);
int domain_config_set_memory(struct domain_config *dc, long long mib, char *err, size_t errlen);
int domain_config_set_domid(struct domain_config *dc, long long domid, char *err, size_t errlen);
int domain_config_set_vcpus(struct domain_config *dc, long long vcpus, char *err, size_t errlen);
/* Command line of at most DOMAIN_CMDLINE_MAX bytes; NULL clears it.  0, -EINVAL, -ENOMEM. */
int domain_config_set_cmdline(struct domain_config *dc, const char *cmdline, char *err,
			      size_t errlen);
/* Replace *field by a copy of value (NULL clears it).  0 or -ENOMEM. */
int domain_config_set_string(char **field, const char *value);

/* Add one pass-through device spec (checked with pci_spec_parse()).  0 or -EINVAL/-ENOMEM. */
int domain_config_add_pci(struct domain_config *dc, const char *spec, char *err, size_t errlen);

/*
 * Add one disk (disk_spec_parse(): xl's DISKSPEC) or vif (vif_spec_parse():
 * xl's vifspec; notes on what it ignores go to warn).  A second disk on the
 * same guest disk number, an image given twice unless both are read-only,
 * a MAC or vifname given twice, and more than DOMAIN_DISKS_MAX disks or
 * DOMAIN_VIFS_MAX vifs are refused.  0 or -EINVAL/-ENOMEM with err.
 */
int domain_config_add_disk(struct domain_config *dc, const char *spec, char *err, size_t errlen);
int domain_config_add_vif(struct domain_config *dc, const char *spec, char *warn, size_t warnlen,
			  char *err, size_t errlen);

/* `uuid = "..."`: RFC 4122's text form; the nil UUID asks for a random one.  0 or -EINVAL. */
int domain_config_set_uuid(struct domain_config *dc, const char *text, char *err, size_t errlen);

/* Free the strings; the struct may be initialized again. */
void domain_config_free(struct domain_config *dc);

#endif

/* What `disk = [...]` and `--disk SPEC` name: disks in xl's syntax (xl-disk-configuration(5)). */
#ifndef KDOM_TOOLSTACK_DISK_SPEC_H
#define KDOM_TOOLSTACK_DISK_SPEC_H

#include <stddef.h>

#include "hv-roles/domain-config.h"

/*
 * Parse one DISKSPEC as xl does: positional target, format, vdev, access,
 * key=value parameters and flags in any order before and after them, and
 * `target=` last, taking the rest (commas included); xl's deprecated
 * prefixes (phy:, file:, raw:, ...) and vdev:devtype are understood.
 * What kdom cannot serve is refused with the reason: formats other than
 * raw, CD-ROMs, scripts, back-end domains, COLO.  0, -ENOMEM, or -EINVAL
 * with "disk 'SPEC': what is wrong" in err.  On success spec->target is
 * malloc()ed: disk_spec_free() releases it.
 */
int disk_spec_parse(const char *text, struct disk_spec *spec, char *err, size_t errlen);

/* Free what disk_spec_parse() allocated; safe on a zeroed spec. */
void disk_spec_free(struct disk_spec *spec);

#endif

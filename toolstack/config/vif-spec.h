/* What `vif = [...]` and `--vif SPEC` name: network interfaces in xl's syntax. */
#ifndef KDOM_TOOLSTACK_VIF_SPEC_H
#define KDOM_TOOLSTACK_VIF_SPEC_H

#include <stddef.h>

#include "hv-roles/domain-config.h"

/*
 * Parse one vifspec of xl-network-configuration(5): KEY=VALUE items
 * separated by commas, all optional ("" is a vif with every default).
 * Served: mac (unicast), bridge (default xenbr0), vifname, mtu; type=vif,
 * model=virtio and script=vif-bridge change nothing.  Ignored, with a note
 * in warn ("" when none; items joined by "; "): model and type=ioemu (for
 * emulated NICs), rate, gatewaydev/netdev, devid, accel.  Refused with the
 * reason: other scripts, ip, backend, COLO.  0, or -EINVAL with
 * "vif 'SPEC': what is wrong" in err.
 */
int vif_spec_parse(const char *text, struct vif_spec *spec, char *warn, size_t warnlen, char *err,
		   size_t errlen);

/* "00:16:3e:01:02:03" into mac: six two-digit hex bytes; 0 or -EINVAL. */
int vif_mac_parse(const char *text, uint8_t mac[6]);

#endif

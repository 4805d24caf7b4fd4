/* Host network interfaces: a tap device with virtio's packet header, named, up and on a bridge. */
#ifndef KDOM_TAP_H
#define KDOM_TAP_H

#include <stddef.h>

#define TAP_IFNAME_MAX 16 /* IFNAMSIZ: 15 characters and the NUL */

/* Offloads a tap may hand its reader (TUN_F_* of linux/if_tun.h). */
#define TAP_OFFLOAD_CSUM 0x01 /* packets with a partial checksum */
#define TAP_OFFLOAD_TSO4 0x02 /* TCPv4 segments up to 64 KiB */
#define TAP_OFFLOAD_TSO6 0x04 /* TCPv6 segments up to 64 KiB */

/*
 * One tap interface.  Every packet read from or written to fd starts with
 * the 12-byte virtio_net_hdr_v1 (IFF_VNET_HDR, TUNSETVNETHDRSZ 12).
 * tap_close() deletes the interface (and with it its place on the bridge)
 * at once, whoever still holds the file: its name is free again for the
 * next domain, a reboot's among them.
 */
struct tap {
	int fd; /* non-blocking; -1 when closed */
	char ifname[TAP_IFNAME_MAX];
	int ifindex;	       /* the interface tap_open() created; 0 for none */
	unsigned int mtu;      /* the interface's */
	unsigned int offloads; /* TAP_OFFLOAD_* the kernel lets this tap hand over */
};

/*
 * Create tap ifname, give it mtu (0: the bridge's), the host-side MAC
 * fe:ff:ff:ff:ff:ff (as Xen's vif-bridge does: the bridge never takes it
 * as its own), add it to bridge and bring it up.  An interface of that
 * name that exists already is refused (never shared), and so is a bridge
 * that does not exist, before anything is created.  0 or -errno with err.
 */
int tap_open(struct tap *tap, const char *ifname, const char *bridge, unsigned int mtu, char *err,
	     size_t errlen);

/*
 * A tap over fd, opened elsewhere, that frames packets the same way (a
 * socket pair in the unit tests): offloads as given, no interface of its
 * own.  tap_close() closes fd.
 */
void tap_wrap(struct tap *tap, int fd, const char *ifname, unsigned int mtu, unsigned int offloads);

/* Let the tap hand over packets with these offloads (a subset of tap->offloads).  0 or -errno. */
int tap_set_offloads(struct tap *tap, unsigned int offloads);

/* Delete the interface tap_open() created and close fd.  Safe when never opened. */
void tap_close(struct tap *tap);

#endif

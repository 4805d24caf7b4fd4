/* Host network interfaces: taps created through /dev/net/tun, configured and bridged with ioctls. */
#include "vmm/tap.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vmm/log.h"

#define TAP_VNET_HDR_SIZE 12 /* struct virtio_net_hdr_v1 */
#define TAP_OFFLOADS_ALL (TAP_OFFLOAD_CSUM | TAP_OFFLOAD_TSO4 | TAP_OFFLOAD_TSO6)

/* The host side's MAC: the highest unicast address, so a bridge never picks it as its own. */
static const uint8_t tap_host_mac[6] = { 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff };

/* One interface ioctl on ifname through sock; 0 or -errno. */
static int tap_ifreq(int sock, unsigned long request, const char *ifname, struct ifreq *ifr)
{
	snprintf(ifr->ifr_name, sizeof(ifr->ifr_name), "%s", ifname);
	return ioctl(sock, request, ifr) ? -errno : 0;
}

/* Open /dev/net/tun as tap ifname with virtio's header; the offloads it may hand over probed. */
static int tap_create(struct tap *tap, const char *ifname, char *err, size_t errlen)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | IFF_TUN_EXCL };
	int hdr_size = TAP_VNET_HDR_SIZE;
	int ret;

	tap->fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (tap->fd < 0) {
		ret = -errno;
		set_err(err, errlen, "cannot open /dev/net/tun: %s", strerror(-ret));
		return ret;
	}
	ret = tap_ifreq(tap->fd, TUNSETIFF, ifname, &ifr);
	if (ret == -EBUSY) {
		set_err(err, errlen, "interface %s exists already (kdom never shares one)", ifname);
		return ret;
	}
	if (ret) {
		set_err(err, errlen, "cannot create tap %s: %s%s", ifname, strerror(-ret),
			ret == -EPERM ? " (it needs CAP_NET_ADMIN)" : "");
		return ret;
	}
	snprintf(tap->ifname, sizeof(tap->ifname), "%s", ifr.ifr_name);
	tap->ifindex = (int)if_nametoindex(tap->ifname);
	if (ioctl(tap->fd, TUNSETVNETHDRSZ, &hdr_size)) {
		ret = -errno;
		set_err(err, errlen, "tap %s: TUNSETVNETHDRSZ: %s", ifname, strerror(-ret));
		return ret;
	}
	/* What the kernel lets a tap hand over: all or nothing; none until a driver asks. */
	if (!ioctl(tap->fd, TUNSETOFFLOAD, (unsigned long)TAP_OFFLOADS_ALL))
		tap->offloads = TAP_OFFLOADS_ALL;
	return tap_set_offloads(tap, 0);
}

/* The interface's MTU (the bridge's when mtu is 0) and its host-side MAC. */
static int tap_set_link(struct tap *tap, int sock, const char *bridge, unsigned int mtu, char *err,
			size_t errlen)
{
	struct ifreq ifr = { 0 };
	int ret;

	if (!mtu) {
		ret = tap_ifreq(sock, SIOCGIFMTU, bridge, &ifr);
		if (ret) {
			set_err(err, errlen, "bridge %s: cannot read its MTU: %s", bridge,
				strerror(-ret));
			return ret;
		}
		mtu = ifr.ifr_mtu;
	}
	ifr.ifr_mtu = mtu;
	ret = tap_ifreq(sock, SIOCSIFMTU, tap->ifname, &ifr);
	if (ret) {
		set_err(err, errlen, "tap %s: cannot set MTU %u: %s", tap->ifname, mtu,
			strerror(-ret));
		return ret;
	}
	tap->mtu = mtu;
	ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
	memcpy(ifr.ifr_hwaddr.sa_data, tap_host_mac, sizeof(tap_host_mac));
	ret = tap_ifreq(sock, SIOCSIFHWADDR, tap->ifname, &ifr);
	if (ret)
		set_err(err, errlen, "tap %s: cannot set its MAC: %s", tap->ifname, strerror(-ret));
	return ret;
}

/* On the bridge, then up. */
static int tap_join(struct tap *tap, int sock, const char *bridge, char *err, size_t errlen)
{
	struct ifreq ifr = { .ifr_ifindex = tap->ifindex };
	int ret = tap_ifreq(sock, SIOCBRADDIF, bridge, &ifr);

	if (ret) {
		set_err(err, errlen, "cannot add %s to bridge %s: %s", tap->ifname, bridge,
			ret == -EOPNOTSUPP || ret == -EINVAL ? "it is not a bridge"
							     : strerror(-ret));
		return ret;
	}
	ret = tap_ifreq(sock, SIOCGIFFLAGS, tap->ifname, &ifr);
	if (!ret) {
		ifr.ifr_flags |= IFF_UP;
		ret = tap_ifreq(sock, SIOCSIFFLAGS, tap->ifname, &ifr);
	}
	if (ret)
		set_err(err, errlen, "cannot bring %s up: %s", tap->ifname, strerror(-ret));
	return ret;
}

int tap_open(struct tap *tap, const char *ifname, const char *bridge, unsigned int mtu, char *err,
	     size_t errlen)
{
	int sock, ret;

	memset(tap, 0, sizeof(*tap));
	tap->fd = -1;
	if (!if_nametoindex(bridge)) {
		set_err(err, errlen, "bridge %s does not exist (ip link add %s type bridge)",
			bridge, bridge);
		return -ENODEV;
	}
	sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0) {
		ret = -errno;
		set_err(err, errlen, "cannot open a socket to configure %s: %s", ifname,
			strerror(-ret));
		return ret;
	}
	ret = tap_create(tap, ifname, err, errlen);
	if (!ret)
		ret = tap_set_link(tap, sock, bridge, mtu, err, errlen);
	if (!ret)
		ret = tap_join(tap, sock, bridge, err, errlen);
	close(sock);
	if (ret)
		tap_close(tap);
	return ret;
}

void tap_wrap(struct tap *tap, int fd, const char *ifname, unsigned int mtu, unsigned int offloads)
{
	memset(tap, 0, sizeof(*tap));
	tap->fd = fd;
	snprintf(tap->ifname, sizeof(tap->ifname), "%s", ifname);
	tap->mtu = mtu;
	tap->offloads = offloads;
}

int tap_set_offloads(struct tap *tap, unsigned int offloads)
{
	return ioctl(tap->fd, TUNSETOFFLOAD, (unsigned long)offloads) ? -errno : 0;
}

/*
 * RTM_DELLINK for ifindex.  Closing the fd alone would leave the interface
 * until the last reference to the file goes, and an io_uring poll may
 * hold one until the ring's asynchronous teardown.  0 or -errno.
 */
static int tap_delete_link(int ifindex)
{
	struct {
		struct nlmsghdr nh;
		struct ifinfomsg ifi;
	} req = {
		.nh = { .nlmsg_len = sizeof(req),
			.nlmsg_type = RTM_DELLINK,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK,
			.nlmsg_seq = 1 },
		.ifi = { .ifi_family = AF_UNSPEC, .ifi_index = ifindex },
	};
	struct {
		struct nlmsghdr nh;
		struct nlmsgerr err;
	} ack;
	int sock = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	int ret = 0;

	if (sock < 0)
		return -errno;
	if (send(sock, &req, sizeof(req), 0) < 0)
		ret = -errno;
	else if (recv(sock, &ack, sizeof(ack), 0) < (ssize_t)sizeof(ack))
		ret = -EIO;
	else if (ack.nh.nlmsg_type == NLMSG_ERROR)
		ret = ack.err.error;
	close(sock);
	return ret;
}

void tap_close(struct tap *tap)
{
	int ret;

	if (tap->ifindex > 0) {
		ret = tap_delete_link(tap->ifindex);
		if (ret && ret != -ENODEV)
			log_warn("cannot delete interface %s: %s", tap->ifname, strerror(-ret));
	}
	if (tap->fd >= 0)
		close(tap->fd);
	tap->fd = -1;
	tap->ifindex = 0;
}

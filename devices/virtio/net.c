/* virtio-net (virtio 5.1): one queue pair between the driver and a host tap, virtio's header passed through. */
#include "devices/virtio/net.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "vmm/event-loop.h"
#include "vmm/log.h"
#include "vmm/tap.h"

/* PCI class 0x02, subclass 0x00: an Ethernet controller. */
#define VIRTIO_NET_CLASS 0x020000
/* How many warnings (dropped packets, tap errors) a device logs before it goes quiet. */
#define NET_WARNINGS 8

#define NET_BIT(feature) (1ull << (feature))

/*
 * Offered whatever the tap: a tap takes the driver's header as it is, so
 * partial checksums and TCP segments (CSUM, HOST_TSO4/6) cost kdom nothing;
 * the address, the link status and the MTU.  Guest offloads follow the
 * tap (net_features()).  No MRG_RXBUF: a packet takes one receive chain.
 */
#define NET_FEATURES                                                                               \
	(NET_BIT(VIRTIO_NET_F_CSUM) | NET_BIT(VIRTIO_NET_F_HOST_TSO4) |                            \
	 NET_BIT(VIRTIO_NET_F_HOST_TSO6) | NET_BIT(VIRTIO_NET_F_MAC) | NET_BIT(VIRTIO_NET_F_MTU) | \
	 NET_BIT(VIRTIO_NET_F_STATUS))

/* What became of one packet the device tried to receive. */
enum net_rx {
	NET_RX_EMPTY,	  /* the tap had none: the chain is given back */
	NET_RX_DELIVERED, /* in the chain, which goes to the used ring */
	NET_RX_DROPPED,	  /* read and thrown away: the chain is given back */
};

static void __attribute__((format(printf, 2, 3)))
net_warn(struct virtio_net *net, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (net->warnings >= NET_WARNINGS)
		return;
	net->warnings++;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_warn("virtio-net %s: %s%s", net->tap->ifname, msg,
		 net->warnings == NET_WARNINGS ? " (further such messages suppressed)" : "");
}

/* A chain the device cannot use: the reason in vq->error, -EIO (the transport resets the device). */
static int __attribute__((format(printf, 2, 3))) net_fail(struct virtq *vq, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(vq->error, sizeof(vq->error), fmt, ap);
	va_end(ap);
	return -EIO;
}

/* Copy len bytes between buf and the start of iov[0, n). */
static void net_iov_copy(const struct iovec *iov, unsigned int n, void *buf, size_t len,
			 bool to_iov)
{
	uint8_t *p = buf;

	for (unsigned int i = 0; i < n && len; i++) {
		size_t chunk = iov[i].iov_len < len ? iov[i].iov_len : len;

		if (to_iov)
			memcpy(iov[i].iov_base, p, chunk);
		else
			memcpy(p, iov[i].iov_base, chunk);
		p += chunk;
		len -= chunk;
	}
}

/* Watch the tap (the driver has buffers) or not (it has none, or is not ready). */
static void net_watch_tap(struct virtio_net *net, bool on)
{
	if (!net->loop || net->tap_watch < 0)
		return;
	if (on && !net->rx_stopped)
		event_loop_resume(net->loop, net->tap_watch);
	else
		event_loop_pause(net->loop, net->tap_watch);
}

/* ---- Receiving ------------------------------------------------------------------------ */

/* The tap's offloads for what the driver accepted: checksums first, segments only with them. */
static unsigned int net_wanted_offloads(const struct virtio_net *net)
{
	uint64_t features = net->vp.driver_features;
	unsigned int offloads = 0;

	if (features & NET_BIT(VIRTIO_NET_F_GUEST_CSUM)) {
		offloads |= TAP_OFFLOAD_CSUM;
		if (features & NET_BIT(VIRTIO_NET_F_GUEST_TSO4))
			offloads |= TAP_OFFLOAD_TSO4;
		if (features & NET_BIT(VIRTIO_NET_F_GUEST_TSO6))
			offloads |= TAP_OFFLOAD_TSO6;
	}
	return offloads & net->tap->offloads;
}

static void net_apply_offloads(struct virtio_net *net)
{
	unsigned int wanted = net_wanted_offloads(net);
	int ret;

	if (wanted == net->offloads)
		return;
	ret = tap_set_offloads(net->tap, wanted);
	if (ret) {
		net_warn(net, "cannot set the tap's offloads to 0x%x: %s", wanted, strerror(-ret));
		return;
	}
	net->offloads = wanted;
}

/*
 * Whether a received packet's header suits what the driver accepted (one
 * the tap queued before a reset may not), with what it may not see cleared:
 * flags without GUEST_CSUM (5.1.6.4.1), and num_buffers 1 (no MRG_RXBUF).
 */
static bool net_rx_header_fits(const struct virtio_net *net, struct virtio_net_hdr_v1 *hdr)
{
	uint64_t features = net->vp.driver_features;
	uint8_t gso = hdr->gso_type & ~VIRTIO_NET_HDR_GSO_ECN;

	hdr->num_buffers = 1;
	if (!(features & NET_BIT(VIRTIO_NET_F_GUEST_CSUM))) {
		if (hdr->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM)
			return false;
		hdr->flags = 0;
	}
	if ((hdr->gso_type & VIRTIO_NET_HDR_GSO_ECN) &&
	    !(features & NET_BIT(VIRTIO_NET_F_GUEST_ECN)))
		return false;
	if (gso == VIRTIO_NET_HDR_GSO_NONE)
		return true;
	if (gso == VIRTIO_NET_HDR_GSO_TCPV4)
		return features & NET_BIT(VIRTIO_NET_F_GUEST_TSO4);
	if (gso == VIRTIO_NET_HDR_GSO_TCPV6)
		return features & NET_BIT(VIRTIO_NET_F_GUEST_TSO6);
	return false;
}

/* A read from the tap failed with err: no packet, a packet the tap dropped, or a broken tap. */
static enum net_rx net_rx_error(struct virtio_net *net, int err)
{
	if (err == EAGAIN || err == EWOULDBLOCK)
		return NET_RX_EMPTY;
	if (err == EINVAL)
		return NET_RX_DROPPED; /* the tap could not describe it in virtio's header */
	log_warn("virtio-net %s: reading the tap: %s; the device receives nothing more",
		 net->tap->ifname, strerror(err));
	net->rx_stopped = true;
	return NET_RX_EMPTY;
}

/*
 * One packet from the tap into chain: an enum net_rx, with the bytes
 * written in *written when delivered, or -EIO for a chain no packet fits
 * (device-readable buffers, or no room for the header).  A byte beyond the
 * chain (net->overflow) tells a packet too large for it.
 */
static int net_rx_packet(struct virtio_net *net, struct virtq *vq, struct virtq_chain *chain,
			 uint32_t *written)
{
	struct virtio_net_hdr_v1 hdr;
	unsigned int n = 0;
	ssize_t len;

	if (chain->nr_readable)
		return net_fail(vq, "receive chain at head %u has %u device-readable buffers",
				chain->head, chain->nr_readable);
	if (chain->writable_bytes < VIRTIO_NET_HDR_SIZE)
		return net_fail(vq,
				"receive chain at head %u holds %llu bytes, less than the header",
				chain->head, (unsigned long long)chain->writable_bytes);
	for (unsigned int i = 0; i < chain->nr_bufs; i++)
		net->iov[n++] = (struct iovec){ chain->bufs[i].host, chain->bufs[i].len };
	net->iov[n++] = (struct iovec){ net->overflow, sizeof(net->overflow) };
	do
		len = readv(net->tap->fd, net->iov, n);
	while (len < 0 && errno == EINTR);
	if (len < 0)
		return net_rx_error(net, errno);
	if (len < VIRTIO_NET_HDR_SIZE)
		return NET_RX_DROPPED; /* no header: not a tap's packet */
	if ((uint64_t)len > chain->writable_bytes) {
		net_warn(net,
			 "dropped a received packet larger than the driver's buffer of %llu bytes",
			 (unsigned long long)chain->writable_bytes);
		return NET_RX_DROPPED;
	}
	net_iov_copy(net->iov, n, &hdr, sizeof(hdr), false);
	if (!net_rx_header_fits(net, &hdr))
		return NET_RX_DROPPED;
	net_iov_copy(net->iov, n, &hdr, sizeof(hdr), true);
	*written = (uint32_t)len;
	return NET_RX_DELIVERED;
}

/*
 * Fill receive chains from the tap while both have some.  Out of chains,
 * the tap is left alone (packets wait there, or the kernel drops them)
 * until the driver's next notification; out of packets, the tap is
 * watched.  0, 1 when the budget ran out, -EIO for a malformed chain.
 */
static int net_rx_serve(struct virtio_net *net, struct virtq *vq)
{
	struct virtq_chain *chain;
	uint32_t written;
	int ret;

	net->rx_served = true;
	if (net->rx_stopped)
		return 0;
	net_apply_offloads(net);
	for (unsigned int packets = 0; packets < VIRTQ_SERVE_BUDGET; packets++) {
		ret = virtq_pop(vq, &chain);
		if (ret == 0 && virtq_arm_notify(vq))
			ret = virtq_pop(vq, &chain); /* chains came as the notification was armed */
		if (ret <= 0) {
			net_watch_tap(net, false);
			return ret;
		}
		written = 0;
		ret = net_rx_packet(net, vq, chain, &written);
		if (ret < 0)
			return ret;
		if (ret == NET_RX_DELIVERED) {
			virtq_push(vq, chain, written);
			net->stats.rx_packets++;
			net->stats.rx_bytes += written - VIRTIO_NET_HDR_SIZE;
			continue;
		}
		virtq_unpop(vq);
		if (ret == NET_RX_EMPTY) {
			net_watch_tap(net, true);
			return 0;
		}
		net->stats.rx_dropped++;
	}
	return 1;
}

/* ---- Transmitting ------------------------------------------------------------------------ */

/* One packet, its header first, written to the tap as the driver laid it out. */
static int net_tx_chain(void *opaque, struct virtq *vq, struct virtq_chain *chain,
			uint32_t *written)
{
	struct virtio_net *net = opaque;
	uint64_t frame;
	ssize_t sent;

	if (chain->readable_bytes < VIRTIO_NET_HDR_SIZE)
		return net_fail(vq,
				"transmit chain at head %u holds %llu bytes, less than the header",
				chain->head, (unsigned long long)chain->readable_bytes);
	frame = chain->readable_bytes - VIRTIO_NET_HDR_SIZE;
	if (frame > VIRTIO_NET_FRAME_MAX) {
		net->stats.tx_dropped++;
		net_warn(net, "dropped a packet of %llu bytes, more than %u",
			 (unsigned long long)frame, VIRTIO_NET_FRAME_MAX);
		return 0;
	}
	for (unsigned int i = 0; i < chain->nr_readable; i++)
		net->iov[i] = (struct iovec){ chain->bufs[i].host, chain->bufs[i].len };
	do
		sent = writev(net->tap->fd, net->iov, chain->nr_readable);
	while (sent < 0 && errno == EINTR);
	if (sent < 0) {
		net->stats.tx_dropped++;
		net_warn(net, "the tap refused a packet of %llu bytes: %s",
			 (unsigned long long)frame, strerror(errno));
		return 0;
	}
	net->stats.tx_packets++;
	net->stats.tx_bytes += frame;
	return 0;
}

/* ---- The device ------------------------------------------------------------------------ */

static int net_queue_notify(struct virtio_pci *vp, struct virtq *vq)
{
	struct virtio_net *net = vp->opaque;

	if (vq == &vp->queues[VIRTIO_NET_RXQ])
		return net_rx_serve(net, vq);
	return virtq_serve(vq, net_tx_chain, net);
}

static void net_config_read(struct virtio_pci *vp, uint32_t offset, uint8_t *data, uint32_t len)
{
	struct virtio_net *net = vp->opaque;

	memcpy(data, net->config + offset, len);
}

/*
 * The tap has packets.  When the receive queue was not served (the driver
 * is not ready, or the device needs a reset), stop watching it: the
 * driver's notification that comes with DRIVER_OK looks again.
 */
static int net_on_tap(struct event_loop *loop, int fd, int res, void *opaque)
{
	struct virtio_net *net = opaque;

	net->rx_served = false;
	virtio_pci_service_queue(&net->vp, VIRTIO_NET_RXQ);
	if (!net->rx_served)
		net_watch_tap(net, false);
	return 0;
}

static const struct virtio_device_ops virtio_net_ops = {
	.name = "virtio-net",
	.device_id = VIRTIO_ID_NET,
	.class_code = VIRTIO_NET_CLASS,
	.nr_queues = 2, /* VIRTIO_NET_RXQ, VIRTIO_NET_TXQ */
	.queue_max_size = VIRTIO_NET_QUEUE_SIZE,
	.config_size = VIRTIO_NET_CONFIG_SIZE,
	.config_read = net_config_read,
	.queue_notify = net_queue_notify,
};

/* The always-offered features, and the guest offloads the tap can hand over. */
static uint64_t net_features(const struct tap *tap)
{
	uint64_t features = NET_FEATURES;

	if (tap->offloads & TAP_OFFLOAD_CSUM) {
		features |= NET_BIT(VIRTIO_NET_F_GUEST_CSUM);
		if (tap->offloads & TAP_OFFLOAD_TSO4)
			features |= NET_BIT(VIRTIO_NET_F_GUEST_TSO4);
		if (tap->offloads & TAP_OFFLOAD_TSO6)
			features |= NET_BIT(VIRTIO_NET_F_GUEST_TSO6);
	}
	return features;
}

static void net_config_put16(struct virtio_net *net, unsigned int offset, uint16_t value)
{
	net->config[offset] = value & 0xff;
	net->config[offset + 1] = value >> 8;
}

int virtio_net_create(struct virtio_net *net, struct vm *vm, struct pci_bus *bus,
		      struct event_loop *loop, struct tap *tap, const uint8_t mac[6],
		      unsigned int mtu)
{
	int ret;

	memset(net, 0, sizeof(*net));
	net->tap = tap;
	net->loop = loop;
	net->tap_watch = -1;
	net->ops = virtio_net_ops;
	net->ops.features = net_features(tap);
	memcpy(net->config + VIRTIO_NET_CONFIG_MAC, mac, 6);
	net_config_put16(net, VIRTIO_NET_CONFIG_STATUS, VIRTIO_NET_S_LINK_UP);
	net_config_put16(net, VIRTIO_NET_CONFIG_MAX_PAIRS, 1);
	net_config_put16(net, VIRTIO_NET_CONFIG_MTU, mtu > UINT16_MAX ? UINT16_MAX : mtu);
	ret = virtio_pci_create(&net->vp, vm, bus, loop, &net->ops, net);
	if (ret || !loop)
		return ret;
	ret = event_loop_add(loop, tap->fd, "virtio-net tap", net_on_tap, net);
	if (ret < 0) {
		log_error("cannot watch tap %s: %s", tap->ifname, strerror(-ret));
		return ret;
	}
	net->tap_watch = ret;
	event_loop_pause(loop, net->tap_watch); /* until the driver is ready and has buffers */
	return 0;
}

void virtio_net_destroy(struct virtio_net *net)
{
	if (net->tap_watch >= 0)
		event_loop_remove(net->loop, net->tap_watch);
	net->tap_watch = -1;
	virtio_pci_destroy(&net->vp);
}

/* virtio-net: a network device on kdom's PCI bus whose packets go through a host tap. */
#ifndef KDOM_VIRTIO_NET_H
#define KDOM_VIRTIO_NET_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "devices/virtio/pci.h"

struct tap;

#define VIRTIO_NET_QUEUE_SIZE 256 /* the largest queue the driver may choose, both queues */
/* The longest frame either way: an IP datagram of 64 KiB behind an Ethernet and a VLAN header. */
#define VIRTIO_NET_FRAME_MAX (65535 + 14 + 4)

/* What the device counted; read after the loop stopped (machine_print_stats()). */
struct virtio_net_stats {
	uint64_t rx_packets, rx_bytes;
	uint64_t rx_dropped; /* too large for the chain, or with offloads the driver did not take */
	uint64_t tx_packets, tx_bytes;
	uint64_t tx_dropped; /* refused by the tap, or larger than VIRTIO_NET_FRAME_MAX */
};

struct virtio_net {
	struct virtio_pci vp;
	struct virtio_device_ops ops; /* this device's: its features follow its tap */
	struct tap *tap;	      /* borrowed: the caller opened it and closes it */
	struct event_loop *loop;
	int tap_watch;	       /* the tap's event-loop source, or -1 */
	bool rx_served;	       /* the receive queue was served since the tap last woke the loop */
	bool rx_stopped;       /* the tap failed: nothing is received any more */
	unsigned int offloads; /* TAP_OFFLOAD_* the tap hands over now */
	uint8_t config[VIRTIO_NET_CONFIG_SIZE];
	struct iovec iov[VIRTIO_NET_QUEUE_SIZE + 1]; /* one chain's buffers, and the overflow */
	uint8_t overflow[1]; /* a byte here: the packet did not fit its chain */
	unsigned int warnings;
	struct virtio_net_stats stats;
};

/*
 * Put a network device with MAC address mac and MTU mtu on bus, its
 * packets read from and written to tap (watched by loop when loop is not
 * NULL): one receive and one transmit queue, the guest offloads the tap
 * supports.  0 or -errno (logged); virtio_net_destroy() is due either
 * way, before the tap is closed.
 */
int virtio_net_create(struct virtio_net *net, struct vm *vm, struct pci_bus *bus,
		      struct event_loop *loop, struct tap *tap, const uint8_t mac[6],
		      unsigned int mtu);
void virtio_net_destroy(struct virtio_net *net);

#endif

/* Unit tests of virtio-net on a fake VM, a socket pair standing in for the tap: config, features, both directions, drops, malformed chains, the tap's watch. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "devices/pci.h"
#include "devices/virtio/net.h"
#include "tests/unit/fake-vm.h"
#include "tests/unit/unit.h"
#include "vmm/event-loop.h"
#include "vmm/tap.h"
#include "vmm/vm.h"

#define RAM_SIZE (4u << 20)
#define RING_GPA(q) (0x10000u + 0x4000u * (q)) /* desc, avail, used a page apart */
#define BUF_GPA 0x40000
#define QSIZE 8
#define MTU 1500
#define TAP_ALL_OFFLOADS (TAP_OFFLOAD_CSUM | TAP_OFFLOAD_TSO4 | TAP_OFFLOAD_TSO6)
#define BIT(n) (1ull << (n))
#define BASE_FEATURES (BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_NET_F_MAC))

static const uint8_t test_mac[6] = { 0x00, 0x16, 0x3e, 0x12, 0x34, 0x56 };

/* A fake VM with RAM, bus 0 and virtio-net on a socket pair: peer plays the host's side. */
struct nfix {
	struct domain domain;
	struct vm vm;
	struct pci_bus bus;
	struct event_loop loop;
	struct tap tap;
	struct virtio_net net;
	int peer;
	uint8_t *ram;
	uint64_t bar;
	unsigned int slot;
	uint16_t avail_idx[2];
};

static void nfix_init(struct nfix *f, unsigned int offloads, bool with_loop)
{
	int sv[2];

	memset(f, 0, sizeof(*f));
	fake_vm_init(&f->vm, &f->domain);
	f->ram = calloc(1, RAM_SIZE);
	ck_assert_ptr_nonnull(f->ram);
	gmem_wrap(&f->vm.mem, f->ram, RAM_SIZE);
	ck_assert_int_eq(pci_bus_create(&f->bus, &f->vm), 0);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv),
			 0);
	tap_wrap(&f->tap, sv[0], "vif-test", MTU, offloads);
	f->peer = sv[1];
	if (with_loop)
		ck_assert_int_eq(event_loop_init(&f->loop), 0);
	ck_assert_int_eq(virtio_net_create(&f->net, &f->vm, &f->bus, with_loop ? &f->loop : NULL,
					   &f->tap, test_mac, MTU),
			 0);
	f->slot = f->net.vp.pci.slot;
	f->bar = fake_vm_pci_read(&f->vm, f->slot, 0x10, 4) & ~0xfu;
	fake_vm_pci_write(&f->vm, f->slot, 0x04, 2, 0x6); /* memory decoding, bus master */
}

static void nfix_destroy(struct nfix *f)
{
	virtio_net_destroy(&f->net);
	tap_close(&f->tap);
	close(f->peer);
	pci_bus_destroy(&f->bus);
	event_loop_exit(&f->loop);
	fake_vm_destroy(&f->vm);
	free(f->ram);
}

static uint64_t common_read(struct nfix *f, unsigned int offset, uint32_t len)
{
	return fake_vm_mmio_read(&f->vm, f->bar + VIRTIO_PCI_COMMON_OFFSET + offset, len);
}

static void common_write(struct nfix *f, unsigned int offset, uint32_t len, uint64_t value)
{
	fake_vm_mmio_write(&f->vm, f->bar + VIRTIO_PCI_COMMON_OFFSET + offset, len, value);
}

static uint8_t status(struct nfix *f)
{
	return common_read(f, VIRTIO_PCI_COMMON_STATUS, 1);
}

static uint64_t device_features(struct nfix *f)
{
	uint64_t features = 0;

	for (unsigned int half = 0; half < 2; half++) {
		common_write(f, VIRTIO_PCI_COMMON_DFSELECT, 4, half);
		features |= common_read(f, VIRTIO_PCI_COMMON_DF, 4) << (32 * half);
	}
	return features;
}

/* Negotiate features, both queues of QSIZE at their rings, DRIVER_OK. */
static void start(struct nfix *f, uint64_t features)
{
	const uint8_t ready = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER;

	memset(f->ram + RING_GPA(0), 0, 0x8000);
	memset(f->avail_idx, 0, sizeof(f->avail_idx));
	common_write(f, VIRTIO_PCI_COMMON_STATUS, 1, 0);
	common_write(f, VIRTIO_PCI_COMMON_STATUS, 1, ready);
	for (unsigned int half = 0; half < 2; half++) {
		common_write(f, VIRTIO_PCI_COMMON_GFSELECT, 4, half);
		common_write(f, VIRTIO_PCI_COMMON_GF, 4, (uint32_t)(features >> (32 * half)));
	}
	common_write(f, VIRTIO_PCI_COMMON_STATUS, 1, ready | VIRTIO_STATUS_FEATURES_OK);
	ck_assert(status(f) & VIRTIO_STATUS_FEATURES_OK);
	for (unsigned int q = 0; q < 2; q++) {
		common_write(f, VIRTIO_PCI_COMMON_Q_SELECT, 2, q);
		common_write(f, VIRTIO_PCI_COMMON_Q_SIZE, 2, QSIZE);
		common_write(f, VIRTIO_PCI_COMMON_Q_DESC, 8, RING_GPA(q));
		common_write(f, VIRTIO_PCI_COMMON_Q_AVAIL, 8, RING_GPA(q) + 0x1000);
		common_write(f, VIRTIO_PCI_COMMON_Q_USED, 8, RING_GPA(q) + 0x2000);
		common_write(f, VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
		ck_assert_uint_eq(common_read(f, VIRTIO_PCI_COMMON_Q_ENABLE, 2), 1);
	}
	common_write(f, VIRTIO_PCI_COMMON_STATUS, 1, status(f) | VIRTIO_STATUS_DRIVER_OK);
	ck_assert(status(f) & VIRTIO_STATUS_DRIVER_OK);
}

static struct virtq_desc *desc(struct nfix *f, unsigned int q)
{
	return (struct virtq_desc *)(f->ram + RING_GPA(q));
}

static struct virtq_used *used(struct nfix *f, unsigned int q)
{
	return (struct virtq_used *)(f->ram + RING_GPA(q) + 0x2000);
}

/* Make the chain at head of queue q available (without a notification). */
static void offer(struct nfix *f, unsigned int q, uint16_t head)
{
	struct virtq_avail *avail = (struct virtq_avail *)(f->ram + RING_GPA(q) + 0x1000);

	avail->ring[f->avail_idx[q] % QSIZE] = head;
	avail->idx = ++f->avail_idx[q];
}

/* One receive buffer of len bytes at gpa as the chain at head. */
static void offer_rx(struct nfix *f, uint16_t head, uint64_t gpa, uint32_t len)
{
	desc(f, VIRTIO_NET_RXQ)[head] = (struct virtq_desc){ gpa, len, VIRTQ_DESC_F_WRITE, 0 };
	offer(f, VIRTIO_NET_RXQ, head);
}

/* What the host side sends: a header with hdr's fields, then len bytes of fill. */
static void peer_send(struct nfix *f, const struct virtio_net_hdr_v1 *hdr, uint32_t len,
		      uint8_t fill)
{
	uint8_t packet[2048];

	ck_assert_uint_le(len + VIRTIO_NET_HDR_SIZE, sizeof(packet));
	memcpy(packet, hdr, VIRTIO_NET_HDR_SIZE);
	memset(packet + VIRTIO_NET_HDR_SIZE, fill, len);
	ck_assert_int_eq(send(f->peer, packet, len + VIRTIO_NET_HDR_SIZE, 0),
			 len + VIRTIO_NET_HDR_SIZE);
}

static const struct virtio_net_hdr_v1 plain_hdr = { .num_buffers = 0x5a5a };

START_TEST(test_virtio_net_identity)
{
	struct nfix f;
	uint64_t features;

	nfix_init(&f, 0, false);
	ck_assert_uint_eq(fake_vm_pci_read(&f.vm, f.slot, 0x00, 4), 0x10411af4);
	ck_assert_uint_eq(fake_vm_pci_read(&f.vm, f.slot, 0x08, 4), 0x02000001); /* Ethernet */
	ck_assert_uint_eq(common_read(&f, VIRTIO_PCI_COMMON_NUMQ, 2), 2);
	features = device_features(&f);
	ck_assert_uint_eq(features & 0xffffffu,
			  BIT(VIRTIO_NET_F_CSUM) | BIT(VIRTIO_NET_F_MTU) | BIT(VIRTIO_NET_F_MAC) |
				  BIT(VIRTIO_NET_F_HOST_TSO4) | BIT(VIRTIO_NET_F_HOST_TSO6) |
				  BIT(VIRTIO_NET_F_STATUS));
	for (unsigned int i = 0; i < 6; i++)
		ck_assert_uint_eq(fake_vm_mmio_read(&f.vm,
						    f.bar + VIRTIO_PCI_DEVICE_OFFSET +
							    VIRTIO_NET_CONFIG_MAC + i,
						    1),
				  test_mac[i]);
	ck_assert_uint_eq(
		fake_vm_mmio_read(&f.vm,
				  f.bar + VIRTIO_PCI_DEVICE_OFFSET + VIRTIO_NET_CONFIG_STATUS, 2),
		VIRTIO_NET_S_LINK_UP);
	ck_assert_uint_eq(
		fake_vm_mmio_read(
			&f.vm, f.bar + VIRTIO_PCI_DEVICE_OFFSET + VIRTIO_NET_CONFIG_MAX_PAIRS, 2),
		1);
	ck_assert_uint_eq(
		fake_vm_mmio_read(&f.vm, f.bar + VIRTIO_PCI_DEVICE_OFFSET + VIRTIO_NET_CONFIG_MTU,
				  2),
		MTU);
	nfix_destroy(&f);
	/* A tap that hands over offloads: the guest offloads are offered too. */
	nfix_init(&f, TAP_ALL_OFFLOADS, false);
	features = device_features(&f);
	ck_assert_uint_eq(features & (BIT(VIRTIO_NET_F_GUEST_CSUM) | BIT(VIRTIO_NET_F_GUEST_TSO4) |
				      BIT(VIRTIO_NET_F_GUEST_TSO6) | BIT(VIRTIO_NET_F_MRG_RXBUF)),
			  BIT(VIRTIO_NET_F_GUEST_CSUM) | BIT(VIRTIO_NET_F_GUEST_TSO4) |
				  BIT(VIRTIO_NET_F_GUEST_TSO6));
	nfix_destroy(&f);
}
END_TEST

/* A packet in two descriptors, the header split across them, reaches the tap whole. */
START_TEST(test_virtio_net_transmit)
{
	struct virtio_net_hdr_v1 hdr = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM, .csum_start = 34 };
	uint8_t got[256];
	struct nfix f;

	nfix_init(&f, 0, false);
	start(&f, BASE_FEATURES | BIT(VIRTIO_NET_F_CSUM));
	memcpy(f.ram + BUF_GPA, &hdr, sizeof(hdr));
	memset(f.ram + BUF_GPA + sizeof(hdr), 0xab, 60);
	desc(&f, VIRTIO_NET_TXQ)[0] = (struct virtq_desc){ BUF_GPA, 6, VIRTQ_DESC_F_NEXT, 1 };
	desc(&f, VIRTIO_NET_TXQ)[1] = (struct virtq_desc){ BUF_GPA + 6, 66, 0, 0 };
	offer(&f, VIRTIO_NET_TXQ, 0);
	virtio_pci_service_queue(&f.net.vp, VIRTIO_NET_TXQ);
	ck_assert_int_eq(recv(f.peer, got, sizeof(got), 0), 72);
	ck_assert_int_eq(memcmp(got, f.ram + BUF_GPA, 72), 0);
	ck_assert_uint_eq(used(&f, VIRTIO_NET_TXQ)->idx, 1);
	ck_assert_uint_eq(used(&f, VIRTIO_NET_TXQ)->ring[0].len, 0);
	ck_assert_uint_eq(f.net.stats.tx_packets, 1);
	ck_assert_uint_eq(f.net.stats.tx_bytes, 60);
	nfix_destroy(&f);
}
END_TEST

/* A packet lands in a two-descriptor chain; flags the driver did not ask for are cleared. */
START_TEST(test_virtio_net_receive)
{
	struct virtio_net_hdr_v1 hdr = plain_hdr, *seen;
	struct nfix f;

	nfix_init(&f, 0, false);
	start(&f, BASE_FEATURES);
	hdr.flags = VIRTIO_NET_HDR_F_DATA_VALID;
	peer_send(&f, &hdr, 100, 0xcd);
	desc(&f, VIRTIO_NET_RXQ)[2] =
		(struct virtq_desc){ BUF_GPA, 4, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 3 };
	desc(&f, VIRTIO_NET_RXQ)[3] =
		(struct virtq_desc){ BUF_GPA + 4, 1514, VIRTQ_DESC_F_WRITE, 0 };
	offer(&f, VIRTIO_NET_RXQ, 2);
	virtio_pci_service_queue(&f.net.vp, VIRTIO_NET_RXQ);
	ck_assert_uint_eq(used(&f, VIRTIO_NET_RXQ)->idx, 1);
	ck_assert_uint_eq(used(&f, VIRTIO_NET_RXQ)->ring[0].id, 2);
	ck_assert_uint_eq(used(&f, VIRTIO_NET_RXQ)->ring[0].len, 112);
	seen = (struct virtio_net_hdr_v1 *)(f.ram + BUF_GPA);
	ck_assert_uint_eq(seen->flags, 0); /* no GUEST_CSUM: flags are zero (5.1.6.4.1) */
	ck_assert_uint_eq(seen->num_buffers, 1);
	ck_assert_uint_eq(f.ram[BUF_GPA + 12], 0xcd);
	ck_assert_uint_eq(f.ram[BUF_GPA + 111], 0xcd);
	ck_assert_uint_eq(f.net.stats.rx_packets, 1);
	ck_assert_uint_eq(f.net.stats.rx_bytes, 100);
	nfix_destroy(&f);
}
END_TEST

/*
 * Packets a chain cannot take are dropped and the chain waits for the
 * next: one too large for it, a TCP segment the driver did not accept, a
 * partial checksum without GUEST_CSUM.  With nothing in the tap the chain
 * stays available.
 */
START_TEST(test_virtio_net_receive_drops)
{
	struct virtio_net_hdr_v1 gso = { .gso_type = VIRTIO_NET_HDR_GSO_TCPV4, .gso_size = 1448 };
	struct virtio_net_hdr_v1 csum = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM };
	struct capture cap;
	char log[1024];
	struct nfix f;

	nfix_init(&f, 0, false);
	start(&f, BASE_FEATURES);
	offer_rx(&f, 0, BUF_GPA, 200);
	virtio_pci_service_queue(&f.net.vp, VIRTIO_NET_RXQ); /* the tap is empty */
	ck_assert_uint_eq(used(&f, VIRTIO_NET_RXQ)->idx, 0);
	peer_send(&f, &plain_hdr, 1000, 1);
	peer_send(&f, &gso, 100, 2);
	peer_send(&f, &csum, 100, 3);
	peer_send(&f, &plain_hdr, 150, 4);
	capture_begin(&cap);
	virtio_pci_service_queue(&f.net.vp, VIRTIO_NET_RXQ);
	ck_assert_int_eq(capture_end(&cap, log, sizeof(log)), 1);
	ck_assert_msg(
		strstr(log,
		       "dropped a received packet larger than the driver's buffer of 200 bytes"),
		"%s", log);
	ck_assert_uint_eq(used(&f, VIRTIO_NET_RXQ)->idx, 1);
	ck_assert_uint_eq(used(&f, VIRTIO_NET_RXQ)->ring[0].len, 162);
	ck_assert_uint_eq(f.ram[BUF_GPA + 12], 4);
	ck_assert_uint_eq(f.net.stats.rx_dropped, 3);
	ck_assert_uint_eq(f.net.stats.rx_packets, 1);
	ck_assert(!(status(&f) & VIRTIO_STATUS_NEEDS_RESET));
	nfix_destroy(&f);
}
END_TEST

/* With GUEST_CSUM and GUEST_TSO4 accepted, partial checksums and TCPv4 segments go through. */
START_TEST(test_virtio_net_receive_offloads)
{
	struct virtio_net_hdr_v1 gso = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
					 .gso_type = VIRTIO_NET_HDR_GSO_TCPV4,
					 .gso_size = 1448 };
	struct virtio_net_hdr_v1 gso6 = { .gso_type = VIRTIO_NET_HDR_GSO_TCPV6 };
	struct capture cap;
	char log[1024];
	struct nfix f;

	nfix_init(&f, TAP_ALL_OFFLOADS, false);
	start(&f, BASE_FEATURES | BIT(VIRTIO_NET_F_GUEST_CSUM) | BIT(VIRTIO_NET_F_GUEST_TSO4));
	peer_send(&f, &gso6, 100, 1); /* TSO6 was not accepted */
	peer_send(&f, &gso, 100, 2);
	offer_rx(&f, 0, BUF_GPA, 2048);
	capture_begin(&cap); /* a socket takes no TUNSETOFFLOAD: the device says so */
	virtio_pci_service_queue(&f.net.vp, VIRTIO_NET_RXQ);
	capture_end(&cap, log, sizeof(log));
	ck_assert_ptr_nonnull(strstr(log, "cannot set the tap's offloads to 0x3"));
	ck_assert_uint_eq(used(&f, VIRTIO_NET_RXQ)->idx, 1);
	ck_assert_uint_eq(((struct virtio_net_hdr_v1 *)(f.ram + BUF_GPA))->gso_type,
			  VIRTIO_NET_HDR_GSO_TCPV4);
	ck_assert_uint_eq(((struct virtio_net_hdr_v1 *)(f.ram + BUF_GPA))->flags,
			  VIRTIO_NET_HDR_F_NEEDS_CSUM);
	ck_assert_uint_eq(f.net.stats.rx_dropped, 1);
	nfix_destroy(&f);
}
END_TEST

/* Malformed chains put the device in NEEDS_RESET, each with its reason. */
START_TEST(test_virtio_net_malformed)
{
	static const struct {
		unsigned int queue;
		struct virtq_desc desc;
		const char *why;
	} cases[] = {
		{ VIRTIO_NET_RXQ,
		  { BUF_GPA, 64, 0, 0 },
		  "receive chain at head 0 has 1 device-readable" },
		{ VIRTIO_NET_RXQ,
		  { BUF_GPA, 11, VIRTQ_DESC_F_WRITE, 0 },
		  "holds 11 bytes, less than" },
		{ VIRTIO_NET_TXQ, { BUF_GPA, 8, 0, 0 }, "transmit chain at head 0 holds 8 bytes" },
		{ VIRTIO_NET_TXQ, { BUF_GPA, 64, VIRTQ_DESC_F_WRITE, 0 }, "holds 0 bytes" },
	};
	struct capture cap;
	char log[1024];
	struct nfix f;

	nfix_init(&f, 0, false);
	for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		start(&f, BASE_FEATURES);
		peer_send(&f, &plain_hdr, 60, 0);
		desc(&f, cases[i].queue)[0] = cases[i].desc;
		offer(&f, cases[i].queue, 0);
		capture_begin(&cap);
		virtio_pci_service_queue(&f.net.vp, cases[i].queue);
		ck_assert_int_eq(capture_end(&cap, log, sizeof(log)), 1);
		ck_assert_msg(strstr(log, cases[i].why), "case %u: %s", i, log);
		ck_assert(status(&f) & VIRTIO_STATUS_NEEDS_RESET);
		ck_assert_uint_eq(used(&f, cases[i].queue)->idx, 0);
		while (recv(f.peer, log, sizeof(log), 0) > 0) /* what a transmit let through */
			;
	}
	nfix_destroy(&f);
}
END_TEST

/* The tap is watched only while the driver has receive buffers and is ready. */
START_TEST(test_virtio_net_tap_watch)
{
	struct event_source *tap;
	struct nfix f;

	nfix_init(&f, 0, true);
	ck_assert_int_ge(f.net.tap_watch, 0);
	tap = &f.loop.sources[f.net.tap_watch];
	ck_assert(tap->paused); /* no driver yet */
	start(&f, BASE_FEATURES);
	offer_rx(&f, 0, BUF_GPA, 2048);
	virtio_pci_service_queue(&f.net.vp, VIRTIO_NET_RXQ); /* buffers, the tap empty */
	ck_assert(!tap->paused);
	peer_send(&f, &plain_hdr, 60, 0);
	virtio_pci_service_queue(&f.net.vp, VIRTIO_NET_RXQ); /* the buffer used up */
	ck_assert_uint_eq(used(&f, VIRTIO_NET_RXQ)->idx, 1);
	ck_assert(tap->paused);
	offer_rx(&f, 1, BUF_GPA + 4096, 2048); /* the driver's notification */
	virtio_pci_service_queue(&f.net.vp, VIRTIO_NET_RXQ);
	ck_assert(!tap->paused);
	/* Reset: the tap's next wake-up finds the queue not served and stops watching. */
	common_write(&f, VIRTIO_PCI_COMMON_STATUS, 1, 0);
	peer_send(&f, &plain_hdr, 60, 0);
	ck_assert_int_eq(tap->handler(&f.loop, tap->fd, 1, tap->opaque), 0);
	ck_assert(tap->paused);
	ck_assert_uint_eq(f.net.stats.rx_packets, 1);
	nfix_destroy(&f);
}
END_TEST

/* A missing bridge is refused before any interface exists, whoever asks. */
START_TEST(test_tap_missing_bridge)
{
	char err[256] = "";
	struct tap tap;

	ck_assert_int_eq(tap_open(&tap, "kdt-unit0", "kdt-no-bridge", 0, err, sizeof(err)),
			 -ENODEV);
	ck_assert_str_eq(err, "bridge kdt-no-bridge does not exist (ip link add kdt-no-bridge type "
			      "bridge)");
	ck_assert_int_eq(tap.fd, -1);
	tap_close(&tap);
}
END_TEST

START_TEST(test_virtio_net_no_fd_leak)
{
	int before = unit_count_fds();
	struct nfix f;

	nfix_init(&f, 0, true);
	nfix_destroy(&f);
	ck_assert_int_eq(unit_count_fds(), before);
}
END_TEST

Suite *virtio_net_suite(void)
{
	Suite *s = suite_create("virtio-net");
	TCase *tc = tcase_create("device");

	tcase_add_test(tc, test_virtio_net_identity);
	tcase_add_test(tc, test_virtio_net_transmit);
	tcase_add_test(tc, test_virtio_net_receive);
	tcase_add_test(tc, test_virtio_net_receive_drops);
	tcase_add_test(tc, test_virtio_net_receive_offloads);
	tcase_add_test(tc, test_virtio_net_malformed);
	tcase_add_test(tc, test_virtio_net_tap_watch);
	tcase_add_test(tc, test_tap_missing_bridge);
	tcase_add_test(tc, test_virtio_net_no_fd_leak);
	suite_add_tcase(s, tc);
	return s;
}

/* virtio-net: kdom's network device, two NICs on one host bridge: identity, MACs, frames both ways, offloads, flow control, hostile chains. */
#include "guest.h"
#include "virtio.h"

const char test_title[] = "virtio-net: two NICs on one host bridge";

/*
 * kdom runs this guest with two vifs on one bridge (the scenario makes
 * it); nic0 and nic1 in slot order.  Default: identity, features and
 * configuration (expect-mac0=, expect-mtu=; nic1's MAC generated in Xen's
 * 00:16:3e), a broadcast from nic0 that nic1 receives, a unicast answer
 * that interrupts nic0 by MSI-X, a full-size frame in three descriptors, a
 * burst larger than nic1's receive ring, a TCP segment of 3000 bytes sent
 * with HOST_TSO4 that nic1 receives cut into three with valid checksums
 * and, after a reset with GUEST_CSUM and GUEST_TSO4, whole.
 * hostile=rx-readable|tx-short: a malformed chain puts nic0 in
 * DEVICE_NEEDS_RESET with a configuration interrupt; a reset brings it back.
 */

#define QSIZE 16
#define RX_BUF 2048	      /* a 1514-byte frame and the header */
#define RX_BUF_BIG 8192	      /* nic1's: a 3054-byte TCP segment whole */
#define ETHERTYPE_TEST 0x88b5 /* IEEE's local experimental ethertype */
#define ETHERTYPE_IPV4 0x0800
#define ETH_HLEN 14
#define HDR VIRTIO_NET_HDR_SIZE
#define FRAME_MAX 1514
#define WAIT_MS 3000
#define BURST 40 /* more than nic1's receive ring holds */
#define TSO_PAYLOAD 3000
#define TSO_MSS 1000
#define TCP_SEQ 0x10000
#define CONFIG_VECTOR 0x60
#define RX_VECTOR 0x61
#define TX_VECTOR 0x62

#define BIT(n) (1ull << (n))
#define BASE_FEATURES                                                                 \
	(BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_NET_F_MAC) | BIT(VIRTIO_NET_F_STATUS) | \
	 BIT(VIRTIO_NET_F_MTU))
#define NIC0_FEATURES                                                       \
	(BASE_FEATURES | BIT(VIRTIO_F_EVENT_IDX) | BIT(VIRTIO_NET_F_CSUM) | \
	 BIT(VIRTIO_NET_F_HOST_TSO4))
#define GUEST_OFFLOADS (BIT(VIRTIO_NET_F_GUEST_CSUM) | BIT(VIRTIO_NET_F_GUEST_TSO4))

struct nic {
	const char *name;
	struct virtio_dev dev;
	struct virtio_queue rx, tx;
	uint8_t mac[6];
	uint8_t *rx_mem, *tx_mem; /* the queues' memory */
	uint8_t *bufs;		  /* QSIZE receive buffers of buf_size */
	uint32_t buf_size;
	bool msix;
	unsigned int noise; /* frames of other types received and given back */
};

static uint8_t queue_mem[4][8192] __attribute__((aligned(4096)));
static uint8_t nic0_bufs[QSIZE * RX_BUF] __attribute__((aligned(4096)));
static uint8_t nic1_bufs[QSIZE * RX_BUF_BIG] __attribute__((aligned(4096)));
static uint8_t tx_hdr[HDR] __attribute__((aligned(64)));
static uint8_t tx_frame[4096] __attribute__((aligned(4096)));
static struct nic nics[2] = {
	{ .name = "nic0",
	  .rx_mem = queue_mem[0],
	  .tx_mem = queue_mem[1],
	  .bufs = nic0_bufs,
	  .msix = true },
	{ .name = "nic1", .rx_mem = queue_mem[2], .tx_mem = queue_mem[3], .bufs = nic1_bufs },
};
static volatile unsigned int config_irqs, rx_irqs, tx_irqs;

static void on_irq(unsigned int vector)
{
	if (vector == CONFIG_VECTOR)
		config_irqs++;
	else if (vector == RX_VECTOR)
		rx_irqs++;
	else
		tx_irqs++;
}

/* ---- Bytes on the wire ------------------------------------------------------------------ */

static void put16be(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static uint16_t get16be(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put32be(uint8_t *p, uint32_t v)
{
	put16be(p, v >> 16);
	put16be(p + 2, v & 0xffff);
}

static uint32_t get32be(const uint8_t *p)
{
	return (uint32_t)get16be(p) << 16 | get16be(p + 2);
}

/* The Internet checksum's sum of len bytes (even, unless they end the data). */
static uint32_t csum_add(uint32_t sum, const uint8_t *p, uint32_t len)
{
	for (uint32_t i = 0; i + 1 < len; i += 2)
		sum += get16be(p + i);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* A payload byte: it depends on the frame and the place. */
static uint8_t pattern(uint32_t seq, uint32_t i)
{
	return (uint8_t)(seq * 7 + i);
}

/* A test frame of len bytes from src to dst into tx_frame: ethertype, "KDOMNET", seq, pattern. */
static void build_frame(const uint8_t *dst, const uint8_t *src, uint32_t seq, uint32_t len)
{
	memcpy(tx_frame, dst, 6);
	memcpy(tx_frame + 6, src, 6);
	put16be(tx_frame + 12, ETHERTYPE_TEST);
	memcpy(tx_frame + ETH_HLEN, "KDOMNET", 8);
	put32be(tx_frame + ETH_HLEN + 8, seq);
	for (uint32_t i = ETH_HLEN + 12; i < len; i++)
		tx_frame[i] = pattern(seq, i);
}

/* Whether a received frame is build_frame()'s with these values. */
static bool frame_matches(const uint8_t *f, uint32_t len, const uint8_t *dst, const uint8_t *src,
			  uint32_t seq, uint32_t want_len)
{
	if (len != want_len || memcmp(f, dst, 6) || memcmp(f + 6, src, 6) ||
	    memcmp(f + ETH_HLEN, "KDOMNET", 8) || get32be(f + ETH_HLEN + 8) != seq)
		return false;
	for (uint32_t i = ETH_HLEN + 12; i < len; i++)
		if (f[i] != pattern(seq, i))
			return false;
	return true;
}

/* ---- The driver ---------------------------------------------------------------------- */

static uint8_t *nic_buf(struct nic *n, uint16_t i)
{
	return n->bufs + (uint64_t)i * n->buf_size;
}

static void nic_post(struct nic *n, uint16_t i)
{
	virtio_queue_desc(&n->rx, i, (uint64_t)nic_buf(n, i), n->buf_size, VIRTQ_DESC_F_WRITE, 0);
	virtio_queue_submit(&n->rx, i);
}

static void nic_recycle(struct nic *n, uint16_t i)
{
	nic_post(n, i);
	virtio_queue_kick(&n->rx);
}

/* Negotiate, both queues with every receive buffer posted, DRIVER_OK; whether it all took. */
static bool nic_start(struct nic *n, uint64_t features, uint32_t buf_size)
{
	uint16_t none = VIRTIO_MSI_NO_VECTOR;

	if (!virtio_negotiate(&n->dev, features))
		return false;
	virtio_write16(&n->dev, VIRTIO_PCI_COMMON_MSIX, n->msix ? 0 : none);
	if (!virtio_queue_setup(&n->dev, &n->rx, VIRTIO_NET_RXQ, QSIZE, n->rx_mem,
				n->msix ? 1 : none) ||
	    !virtio_queue_setup(&n->dev, &n->tx, VIRTIO_NET_TXQ, QSIZE, n->tx_mem,
				n->msix ? 2 : none))
		return false;
	n->buf_size = buf_size;
	for (uint16_t i = 0; i < QSIZE; i++)
		nic_post(n, i);
	virtio_driver_ok(&n->dev);
	virtio_queue_kick(&n->rx);
	return virtio_status(&n->dev) & VIRTIO_STATUS_DRIVER_OK;
}

/*
 * Send what tx_frame holds (len bytes) behind header hdr (NULL: zeros),
 * split into descriptors at the offsets cuts lists (nr_cuts of them), and
 * wait for the device to use the chain.
 */
static bool nic_send_split(struct nic *n, const struct virtio_net_hdr_v1 *hdr, uint32_t len,
			   const uint32_t *cuts, unsigned int nr_cuts)
{
	uint32_t id, used, start = 0;
	uint16_t d = 1;

	memset(tx_hdr, 0, HDR);
	if (hdr)
		memcpy(tx_hdr, hdr, HDR);
	virtio_queue_desc(&n->tx, 0, (uint64_t)tx_hdr, HDR, VIRTQ_DESC_F_NEXT, 1);
	for (unsigned int c = 0; c <= nr_cuts; c++, d++) {
		uint32_t end = c < nr_cuts ? cuts[c] : len;

		virtio_queue_desc(&n->tx, d, (uint64_t)tx_frame + start, end - start,
				  c < nr_cuts ? VIRTQ_DESC_F_NEXT : 0, d + 1);
		start = end;
	}
	virtio_queue_submit(&n->tx, 0);
	virtio_queue_kick(&n->tx);
	return virtio_queue_wait(&n->tx, &id, &used, WAIT_MS) && id == 0;
}

static bool nic_send(struct nic *n, const struct virtio_net_hdr_v1 *hdr, uint32_t len)
{
	return nic_send_split(n, hdr, len, NULL, 0);
}

static const uint8_t ip_a[4] = { 10, 0, 0, 1 }, ip_b[4] = { 10, 0, 0, 2 };

/* A frame of ethertype type; an IPv4 one must be TCP from ip_a (not the host's IGMP). */
static bool frame_is(const uint8_t *f, uint32_t len, uint16_t type)
{
	if (get16be(f + 12) != type)
		return false;
	if (type != ETHERTYPE_IPV4)
		return true;
	return len >= ETH_HLEN + 40 && f[ETH_HLEN + 9] == 6 && !memcmp(f + ETH_HLEN + 12, ip_a, 4);
}

/*
 * The next frame nic n receives with ethertype type, within WAIT_MS: its
 * buffer (header first) and used length; frames of other types are given
 * back.  The caller recycles the buffer.
 */
static bool nic_receive(struct nic *n, uint16_t type, uint16_t *index, uint32_t *len)
{
	uint64_t deadline = tsc_deadline_ms(WAIT_MS);
	uint32_t id, got;

	while (!tsc_expired(deadline)) {
		if (!virtio_queue_used(&n->rx, &id, &got))
			continue;
		if (id >= QSIZE || got < HDR + ETH_HLEN || got > n->buf_size) {
			test_fail("%s: used entry %u of %u bytes", n->name, id, got);
			return false;
		}
		if (frame_is(nic_buf(n, id) + HDR, got - HDR, type)) {
			*index = (uint16_t)id;
			*len = got;
			return true;
		}
		if (n->noise++ < 4)
			printf("%s: gave back a frame of type 0x%04x, %u bytes\n", n->name,
			       get16be(nic_buf(n, id) + HDR + 12), got - HDR);
		nic_recycle(n, (uint16_t)id);
	}
	return false;
}

/* Receive one test frame on n and check it; the buffer goes back. */
static bool nic_expect(struct nic *n, const uint8_t *dst, const uint8_t *src, uint32_t seq,
		       uint32_t len)
{
	uint16_t i;
	uint32_t got;
	bool ok;

	if (!nic_receive(n, ETHERTYPE_TEST, &i, &got))
		return false;
	ok = frame_matches(nic_buf(n, i) + HDR, got - HDR, dst, src, seq, len);
	if (!ok)
		printf("%s: frame of %u bytes, seq %u, expected seq %u of %u bytes\n", n->name,
		       got - HDR, get32be(nic_buf(n, i) + HDR + ETH_HLEN + 8), seq, len);
	nic_recycle(n, i);
	return ok;
}

/* ---- Identity and configuration ------------------------------------------------------------ */

static uint8_t config8(const struct nic *n, unsigned int offset)
{
	return mmio_read8(n->dev.device + offset);
}

static uint16_t config16(const struct nic *n, unsigned int offset)
{
	return mmio_read16(n->dev.device + offset);
}

static void format_mac(char *buf, size_t size, const uint8_t *mac)
{
	snprintf(buf, size, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
		 mac[5]);
}

static void check_identity(struct nic *n)
{
	uint64_t offered = virtio_device_features(&n->dev);
	uint64_t wanted = BASE_FEATURES | BIT(VIRTIO_NET_F_CSUM) | BIT(VIRTIO_NET_F_HOST_TSO4) |
			  BIT(VIRTIO_NET_F_HOST_TSO6);
	uint64_t refused = BIT(VIRTIO_NET_F_MRG_RXBUF) | BIT(VIRTIO_NET_F_CTRL_VQ) |
			   BIT(VIRTIO_NET_F_MQ) | BIT(VIRTIO_F_RING_PACKED);
	char mac[18];

	report(pci_cfg_read16(n->dev.slot, 0, 2) == VIRTIO_PCI_DEVICE_ID_BASE + VIRTIO_ID_NET &&
		       pci_cfg_read32(n->dev.slot, 0, 8) >> 8 == 0x020000,
	       "%s: 00:%02x.0 is 1af4:1041, an Ethernet controller", n->name, n->dev.slot);
	report((offered & wanted) == wanted && !(offered & refused),
	       "%s: offers CSUM, HOST_TSO4/6, MAC, STATUS, MTU; not MRG_RXBUF, CTRL_VQ, MQ "
	       "(0x%llx)",
	       n->name, (unsigned long long)offered);
	report(n->dev.device && n->dev.device_len >= VIRTIO_NET_CONFIG_SIZE,
	       "%s: device configuration of %u bytes", n->name, n->dev.device_len);
	for (unsigned int i = 0; i < 6; i++)
		n->mac[i] = config8(n, VIRTIO_NET_CONFIG_MAC + i);
	format_mac(mac, sizeof(mac), n->mac);
	printf("%s: MAC %s, MTU %u\n", n->name, mac, config16(n, VIRTIO_NET_CONFIG_MTU));
	report(config16(n, VIRTIO_NET_CONFIG_STATUS) == VIRTIO_NET_S_LINK_UP, "%s: link up",
	       n->name);
	report(!(n->mac[0] & 1), "%s: a unicast MAC", n->name);
}

static void check_config(void)
{
	const char *want_mac = cmdline_get("expect-mac0");
	uint64_t want_mtu = cmdline_get_u64("expect-mtu", 0);
	char mac[18];

	check_identity(&nics[0]);
	check_identity(&nics[1]);
	format_mac(mac, sizeof(mac), nics[0].mac);
	if (want_mac)
		report(!strcmp(mac, want_mac), "nic0: the MAC the config gave (%s)", want_mac);
	if (want_mtu)
		report(config16(&nics[0], VIRTIO_NET_CONFIG_MTU) == want_mtu,
		       "nic0: MTU %llu in the configuration", (unsigned long long)want_mtu);
	report(nics[1].mac[0] == 0x00 && nics[1].mac[1] == 0x16 && nics[1].mac[2] == 0x3e &&
		       memcmp(nics[0].mac, nics[1].mac, 6),
	       "nic1: a generated MAC in Xen's 00:16:3e, not nic0's");
}

/* Both started: nic0 with MSI-X, the event index, CSUM and HOST_TSO4; nic1 polled, plain. */
static bool start_both(void)
{
	virtio_msix_route(&nics[0].dev, 0, CONFIG_VECTOR);
	virtio_msix_route(&nics[0].dev, 1, RX_VECTOR);
	virtio_msix_route(&nics[0].dev, 2, TX_VECTOR);
	virtio_msix_enable(&nics[0].dev, true);
	return nic_start(&nics[0], NIC0_FEATURES, RX_BUF) &&
	       nic_start(&nics[1], BASE_FEATURES, RX_BUF_BIG);
}

/* ---- Frames ------------------------------------------------------------------------------ */

static const uint8_t broadcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static void check_exchange(void)
{
	struct nic *a = &nics[0], *b = &nics[1];
	static const uint32_t cuts[] = { 6, 100 };
	unsigned int irqs = rx_irqs;
	bool sent;

	build_frame(broadcast, a->mac, 1, 60);
	sent = nic_send(a, NULL, 60);
	report(sent && nic_expect(b, broadcast, a->mac, 1, 60),
	       "a broadcast from nic0 reaches nic1 through the bridge");
	build_frame(a->mac, b->mac, 2, 200);
	sent = nic_send(b, NULL, 200);
	report(sent && nic_expect(a, a->mac, b->mac, 2, 200), "nic1's answer reaches nic0");
	report(irq_wait(&rx_irqs, irqs + 1, WAIT_MS), "nic0 was interrupted for it (MSI-X)");
	build_frame(b->mac, a->mac, 3, FRAME_MAX);
	sent = nic_send_split(a, NULL, FRAME_MAX, cuts, 2);
	report(sent && nic_expect(b, b->mac, a->mac, 3, FRAME_MAX),
	       "a frame of %u bytes in three descriptors, its MAC split", FRAME_MAX);
}

/* More frames than nic1 has buffers: the rest wait in its tap, none lost, in order. */
static void check_burst(void)
{
	struct nic *a = &nics[0], *b = &nics[1];
	unsigned int sent = 0, got = 0;

	for (uint32_t seq = 100; seq < 100 + BURST; seq++) {
		build_frame(b->mac, a->mac, seq, 64 + seq);
		sent += nic_send(a, NULL, 64 + seq);
	}
	for (uint32_t seq = 100; seq < 100 + BURST; seq++)
		got += nic_expect(b, b->mac, a->mac, seq, 64 + seq);
	report(sent == BURST && got == BURST,
	       "a burst of %u frames, %u more than nic1's ring: %u sent, %u received in order",
	       BURST, BURST - QSIZE, sent, got);
}

/* ---- TCP segmentation offload ---------------------------------------------------------- */

/* The pseudo header's sum for a TCP segment of tcp_len bytes from ip_a to ip_b. */
static uint32_t tcp_pseudo_sum(uint32_t tcp_len)
{
	return csum_add(csum_add(0, ip_a, 4), ip_b, 4) + 6 + tcp_len;
}

/*
 * An IPv4 TCP segment of TSO_PAYLOAD bytes from nic0 to nic1 in tx_frame,
 * its checksum partial as a driver leaves it for the device (the pseudo
 * header's sum in place); its length.
 */
static uint32_t build_tcp(const uint8_t *dst, const uint8_t *src)
{
	uint8_t *ip = tx_frame + ETH_HLEN, *tcp = ip + 20;
	uint32_t tcp_len = 20 + TSO_PAYLOAD;

	memcpy(tx_frame, dst, 6);
	memcpy(tx_frame + 6, src, 6);
	put16be(tx_frame + 12, ETHERTYPE_IPV4);
	memset(ip, 0, 40);
	ip[0] = 0x45;
	put16be(ip + 2, 20 + tcp_len);
	put16be(ip + 6, 0x4000); /* don't fragment */
	ip[8] = 64;
	ip[9] = 6;
	memcpy(ip + 12, ip_a, 4);
	memcpy(ip + 16, ip_b, 4);
	put16be(ip + 10, (uint16_t)~csum_fold(csum_add(0, ip, 20)));
	put16be(tcp, 1234);
	put16be(tcp + 2, 5678);
	put32be(tcp + 4, TCP_SEQ);
	tcp[12] = 5 << 4;
	tcp[13] = 0x18; /* PSH, ACK */
	put16be(tcp + 14, 65535);
	put16be(tcp + 16, csum_fold(tcp_pseudo_sum(tcp_len)));
	for (uint32_t i = 0; i < TSO_PAYLOAD; i++)
		tcp[20 + i] = pattern(TCP_SEQ, i);
	return ETH_HLEN + 20 + tcp_len;
}

static const struct virtio_net_hdr_v1 tso_hdr = {
	.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
	.gso_type = VIRTIO_NET_HDR_GSO_TCPV4,
	.hdr_len = ETH_HLEN + 40,
	.gso_size = TSO_MSS,
	.csum_start = ETH_HLEN + 20,
	.csum_offset = 16,
};

/* One received segment of the stream: headers, sequence, payload and both checksums. */
static bool tcp_segment_ok(const uint8_t *f, uint32_t len, unsigned int index)
{
	const uint8_t *ip = f + ETH_HLEN, *tcp = ip + 20;
	uint32_t tcp_len = len - ETH_HLEN - 20, offset = index * TSO_MSS;

	if (len != ETH_HLEN + 40 + TSO_MSS || get16be(ip + 2) != 20 + tcp_len ||
	    get32be(tcp + 4) != TCP_SEQ + offset)
		return false;
	if (csum_fold(csum_add(0, ip, 20)) != 0xffff ||
	    csum_fold(csum_add(tcp_pseudo_sum(tcp_len), tcp, tcp_len)) != 0xffff)
		return false;
	for (uint32_t i = 0; i < TSO_MSS; i++)
		if (tcp[20 + i] != pattern(TCP_SEQ, offset + i))
			return false;
	return true;
}

/* nic0 hands over one 3000-byte segment; nic1, without guest offloads, gets three. */
static void check_tso_segmented(void)
{
	struct nic *a = &nics[0], *b = &nics[1];
	unsigned int good = 0;
	uint32_t len = build_tcp(b->mac, a->mac), got;
	uint16_t i;

	report(nic_send(a, &tso_hdr, len), "nic0 sent a TCP segment of %u bytes (HOST_TSO4)",
	       TSO_PAYLOAD);
	for (unsigned int s = 0; s < TSO_PAYLOAD / TSO_MSS; s++) {
		if (!nic_receive(b, ETHERTYPE_IPV4, &i, &got))
			break;
		good += tcp_segment_ok(nic_buf(b, i) + HDR, got - HDR, s);
		nic_recycle(b, i);
	}
	report(good == TSO_PAYLOAD / TSO_MSS,
	       "nic1 received it as %u segments of %u bytes, checksums valid (%u good)",
	       TSO_PAYLOAD / TSO_MSS, TSO_MSS, good);
}

/* After a reset with GUEST_CSUM and GUEST_TSO4, nic1 takes the same segment whole. */
static void check_tso_whole(void)
{
	struct nic *a = &nics[0], *b = &nics[1];
	uint32_t len, got = 0;
	const struct virtio_net_hdr_v1 *hdr;
	bool offered = (virtio_device_features(&b->dev) & GUEST_OFFLOADS) == GUEST_OFFLOADS;
	uint16_t i;

	report(offered, "nic1 offers GUEST_CSUM and GUEST_TSO4 (its tap hands them over)");
	if (!offered)
		return;
	report(nic_start(b, BASE_FEATURES | GUEST_OFFLOADS, RX_BUF_BIG),
	       "nic1 reset and started again with them");
	len = build_tcp(b->mac, a->mac);
	report(nic_send(a, &tso_hdr, len) && nic_receive(b, ETHERTYPE_IPV4, &i, &got),
	       "the segment went from nic0 to nic1");
	if (!got)
		return;
	hdr = (const struct virtio_net_hdr_v1 *)nic_buf(b, i);
	report(got == HDR + len && hdr->gso_type == VIRTIO_NET_HDR_GSO_TCPV4 &&
		       hdr->gso_size == TSO_MSS && hdr->num_buffers == 1 &&
		       !memcmp(nic_buf(b, i) + HDR + ETH_HLEN + 40, tx_frame + ETH_HLEN + 40,
			       TSO_PAYLOAD),
	       "nic1 received it whole: %u bytes, gso_type %u, gso_size %u", got - HDR,
	       hdr->gso_type, hdr->gso_size);
	nic_recycle(b, i);
}

/* ---- Hostile chains ---------------------------------------------------------------------- */

static bool wait_needs_reset(struct nic *n)
{
	uint64_t deadline = tsc_deadline_ms(WAIT_MS);

	while (!(virtio_status(&n->dev) & VIRTIO_STATUS_NEEDS_RESET))
		if (tsc_expired(deadline))
			return false;
	return true;
}

/*
 * rx-readable: the receive buffers turned device-readable, then a frame
 * for them; tx-short: a transmit chain of 4 bytes, less than the header.
 */
static void run_hostile(const char *what)
{
	struct nic *a = &nics[0], *b = &nics[1];
	unsigned int irqs = config_irqs;

	if (!strcmp(what, "rx-readable")) {
		for (unsigned int i = 0; i < QSIZE; i++)
			a->rx.desc[i].flags = 0;
		build_frame(broadcast, b->mac, 1, 60);
		report(nic_send(b, NULL, 60), "nic1 sent a frame for nic0's broken buffer");
	} else if (!strcmp(what, "tx-short")) {
		virtio_queue_desc(&a->tx, 0, (uint64_t)tx_hdr, 4, 0, 0);
		virtio_queue_submit(&a->tx, 0);
		virtio_queue_kick(&a->tx);
	} else {
		test_error("hostile=%s: not rx-readable or tx-short", what);
		return;
	}
	report(wait_needs_reset(a), "nic0: DEVICE_NEEDS_RESET");
	report(irq_wait(&config_irqs, irqs + 1, WAIT_MS), "nic0: a configuration interrupt");
	report(nic_start(a, NIC0_FEATURES, RX_BUF), "nic0: reset and started again");
	build_frame(broadcast, a->mac, 9, 100);
	report(nic_send(a, NULL, 100) && nic_expect(b, broadcast, a->mac, 9, 100),
	       "nic0 works again: nic1 receives its broadcast");
}

void test_main(void)
{
	const char *hostile = cmdline_get("hostile");

	for (unsigned int i = 0; i < 2; i++) {
		if (!virtio_find_nth(VIRTIO_ID_NET, i, &nics[i].dev)) {
			test_fail("%s: no virtio-net on the PCI bus (kdom run --vif twice)",
				  nics[i].name);
			return;
		}
	}
	irq_set_handler(CONFIG_VECTOR, on_irq);
	irq_set_handler(RX_VECTOR, on_irq);
	irq_set_handler(TX_VECTOR, on_irq);
	lapic_enable();
	check_config();
	if (!start_both()) {
		test_fail("the NICs did not start (status 0x%x, 0x%x)", virtio_status(&nics[0].dev),
			  virtio_status(&nics[1].dev));
		return;
	}
	if (hostile) {
		run_hostile(hostile);
		return;
	}
	check_exchange();
	check_burst();
	check_tso_segmented();
	check_tso_whole();
	printf("frames of other types given back: nic0 %u, nic1 %u\n", nics[0].noise,
	       nics[1].noise);
}

/* virtio-rng: kdom's virtio PCI transport and entropy device, from the PCI header to hostile rings. */
#include "guest.h"
#include "virtio.h"

const char test_title[] = "virtio-rng: the virtio 1.x PCI transport and the entropy device";

/*
 * Default: identity and capabilities, feature negotiation, the queue
 * registers, entropy twice, chained and indirect requests, the event index,
 * reset, then INTx instead of MSI-X.  hostile=loop|outside|oversized|qsize:
 * a broken ring must put the device in DEVICE_NEEDS_RESET (with a
 * configuration interrupt) while everything else goes on, and a reset must
 * bring it back.  requests=N [irq=msix|intx|poll]: N requests in a row, for
 * counting kdom's exits (kdom run --stats).
 */

#define DEVICE_QUEUE_MAX 64 /* what kdom's virtio-rng offers */
#define QUEUE_SIZE 16
#define REQUEST_BYTES 64
#define CONFIG_VECTOR 0x60
#define QUEUE_VECTOR 0x61
#define INTX_VECTOR 0x62
#define MSIX_CONFIG 0 /* table entries */
#define MSIX_QUEUE 1
#define WAIT_MS 2000
#define WANTED_FEATURES                                                \
	((1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_F_EVENT_IDX) | \
	 (1ull << VIRTIO_F_INDIRECT_DESC))

enum irq_mode { IRQ_MSIX, IRQ_INTX, IRQ_POLL };

static struct virtio_dev dev;
static struct virtio_queue vq;
static enum irq_mode mode;
static uint8_t ring[8192] __attribute__((aligned(4096)));
static uint8_t buffers[4][REQUEST_BYTES] __attribute__((aligned(64)));
static struct virtq_desc indirect[DEVICE_QUEUE_MAX + 1] __attribute__((aligned(16)));
static volatile unsigned int config_irqs, queue_irqs, empty_irqs;
static volatile uint8_t isr_seen; /* every ISR value the INTx handler read, OR-ed */

static void on_config(unsigned int vector)
{
	config_irqs++;
}

static void on_queue(unsigned int vector)
{
	queue_irqs++;
}

/* INTx is level-triggered: reading the ISR lowers the line before the EOI. */
static void on_intx(unsigned int vector)
{
	uint8_t isr = virtio_isr(&dev);

	isr_seen |= isr;
	if (!isr)
		empty_irqs++; /* a level interrupt delivered again after the ISR read lowered it */
	if (isr & VIRTIO_PCI_ISR_QUEUE)
		queue_irqs++;
	if (isr & VIRTIO_PCI_ISR_CONFIG)
		config_irqs++;
}

static bool all_zero(const uint8_t *p, unsigned int len)
{
	for (unsigned int i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

/* ---- Bringing the device up ------------------------------------------------------------ */

static bool irq_setup(void)
{
	if (mode == IRQ_INTX) {
		int gsi = pci_intx_gsi(dev.slot, pci_cfg_read8(dev.slot, 0, 0x3d));

		virtio_msix_enable(&dev, false);
		if (gsi < 0)
			return false;
		ioapic_route(gsi, INTX_VECTOR, true, true);
		return true;
	}
	virtio_msix_route(&dev, MSIX_CONFIG, CONFIG_VECTOR);
	virtio_msix_route(&dev, MSIX_QUEUE, QUEUE_VECTOR);
	virtio_msix_enable(&dev, true);
	return true;
}

/* Negotiate, set up queue 0 (vectors as the mode wants), DRIVER_OK; whether it all took. */
static bool start_device(uint16_t size)
{
	bool msix = mode == IRQ_MSIX;

	if (!virtio_negotiate(&dev, WANTED_FEATURES) || !irq_setup())
		return false;
	virtio_write16(&dev, VIRTIO_PCI_COMMON_MSIX, msix ? MSIX_CONFIG : VIRTIO_MSI_NO_VECTOR);
	if (!virtio_queue_setup(&dev, &vq, 0, size, ring, msix ? MSIX_QUEUE : VIRTIO_MSI_NO_VECTOR))
		return false;
	virtio_driver_ok(&dev);
	return virtio_status(&dev) & VIRTIO_STATUS_DRIVER_OK;
}

/* Make the chain at head available and wait for it to come back; its used length in *len. */
static bool complete(uint16_t head, uint32_t *len)
{
	unsigned int irqs = queue_irqs;
	uint32_t id = 0xffff;

	if (vq.event_idx)
		virtio_queue_set_used_event(&vq, vq.last_used); /* interrupt me for this one */
	virtio_queue_submit(&vq, head);
	virtio_queue_kick(&vq);
	if (mode != IRQ_POLL && !irq_wait(&queue_irqs, irqs + 1, WAIT_MS))
		return false;
	return virtio_queue_wait(&vq, &id, len, WAIT_MS) && id == head;
}

/* One device-writable buffer. */
static bool request(uint8_t *buf, uint32_t size, uint32_t *len)
{
	memset(buf, 0, size);
	virtio_queue_desc(&vq, 0, (uint64_t)buf, size, VIRTQ_DESC_F_WRITE, 0);
	return complete(0, len);
}

/* ---- The default checks ---------------------------------------------------------------- */

static void check_identity(void)
{
	uint32_t class = pci_cfg_read32(dev.slot, 0, 0x08);
	uint32_t bar0 = pci_cfg_read32(dev.slot, 0, 0x10);

	report(pci_cfg_read16(dev.slot, 0, 2) == VIRTIO_PCI_DEVICE_ID_BASE + VIRTIO_ID_RNG &&
		       (class & 0xff) == VIRTIO_PCI_REVISION,
	       "00:%02x.0 is 1af4:%04x revision %u", dev.slot, pci_cfg_read16(dev.slot, 0, 2),
	       class & 0xff);
	report(pci_cfg_read16(dev.slot, 0, 0x2c) == VIRTIO_PCI_VENDOR_ID &&
		       pci_cfg_read16(dev.slot, 0, 0x2e) >= 0x40,
	       "subsystem %04x:%04x (0x40 or more: non-transitional)",
	       pci_cfg_read16(dev.slot, 0, 0x2c), pci_cfg_read16(dev.slot, 0, 0x2e));
	report((bar0 & 0x7) == 0x4 && dev.bar[0] >= 0xc0000000u && dev.bar[0] < 0x100000000ull,
	       "BAR 0: 64-bit memory at 0x%llx", (unsigned long long)dev.bar[0]);
	report(dev.common && dev.notify && dev.isr && !dev.device,
	       "common, notify and ISR structures; no device configuration (rng has none)");
	report(dev.notify_multiplier >= 2 && dev.notify_len >= 2, "notify: multiplier %u, %u bytes",
	       dev.notify_multiplier, dev.notify_len);
	report(dev.msix_cap && dev.msix_vectors == 2, "MSI-X: %u vectors (config + 1 queue)",
	       dev.msix_vectors);
	report(virtio_cfg_window_read(&dev, 0, VIRTIO_PCI_COMMON_NUMQ, 2) == 1,
	       "the PCI configuration window reads num_queues = 1 from BAR 0");
}

static void check_features(void)
{
	uint64_t offered = virtio_device_features(&dev);

	report((offered & WANTED_FEATURES) == WANTED_FEATURES,
	       "offers VERSION_1, EVENT_IDX, INDIRECT_DESC (0x%llx)", (unsigned long long)offered);
	report(!(offered & (1ull << VIRTIO_F_RING_PACKED)), "does not offer RING_PACKED");
	report(!virtio_negotiate(&dev, 1ull << VIRTIO_F_EVENT_IDX),
	       "FEATURES_OK refused without VERSION_1");
	report(!virtio_negotiate(&dev, (1ull << VIRTIO_F_VERSION_1) | (1ull << 40)),
	       "FEATURES_OK refused for a feature not offered");
	report(virtio_negotiate(&dev, WANTED_FEATURES), "FEATURES_OK with what was offered");
	virtio_write8(&dev, VIRTIO_PCI_COMMON_STATUS,
		      virtio_status(&dev) | VIRTIO_STATUS_NEEDS_RESET);
	report(!(virtio_status(&dev) & VIRTIO_STATUS_NEEDS_RESET),
	       "the driver cannot set NEEDS_RESET");
}

static void check_queue_registers(void)
{
	static const uint16_t bad[] = { 0, 3, 48, 2 * DEVICE_QUEUE_MAX, 0xffff };
	bool refused = true;

	virtio_write16(&dev, VIRTIO_PCI_COMMON_Q_SELECT, 0);
	report(virtio_read16(&dev, VIRTIO_PCI_COMMON_NUMQ) == 1, "one queue");
	report(virtio_read16(&dev, VIRTIO_PCI_COMMON_Q_SIZE) == DEVICE_QUEUE_MAX,
	       "queue 0: %u entries at most", virtio_read16(&dev, VIRTIO_PCI_COMMON_Q_SIZE));
	for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++) {
		virtio_write16(&dev, VIRTIO_PCI_COMMON_Q_SIZE, bad[i]);
		refused &= virtio_read16(&dev, VIRTIO_PCI_COMMON_Q_SIZE) == DEVICE_QUEUE_MAX;
	}
	report(refused, "sizes 0, 3, 48, %u and 65535 refused", 2 * DEVICE_QUEUE_MAX);
	virtio_write16(&dev, VIRTIO_PCI_COMMON_MSIX, 5);
	report(virtio_read16(&dev, VIRTIO_PCI_COMMON_MSIX) == VIRTIO_MSI_NO_VECTOR,
	       "config vector 5 (of 2) reads back NO_VECTOR");
	virtio_write16(&dev, VIRTIO_PCI_COMMON_Q_SELECT, 1);
	report(virtio_read16(&dev, VIRTIO_PCI_COMMON_Q_SIZE) == 0,
	       "queue 1 does not exist (size 0)");
	virtio_write16(&dev, VIRTIO_PCI_COMMON_Q_SELECT, 0);
}

static void check_entropy(void)
{
	uint32_t len_a = 0, len_b = 0;
	bool a = request(buffers[0], REQUEST_BYTES, &len_a);
	bool b = request(buffers[1], REQUEST_BYTES, &len_b);

	report(a && len_a == REQUEST_BYTES, "first request: %u bytes", len_a);
	report(b && len_b == REQUEST_BYTES, "second request: %u bytes", len_b);
	report(!all_zero(buffers[0], REQUEST_BYTES) && !all_zero(buffers[1], REQUEST_BYTES),
	       "neither is all zeros");
	report(memcmp(buffers[0], buffers[1], REQUEST_BYTES) != 0, "they differ");
	report(mode != IRQ_MSIX || queue_irqs >= 2, "an MSI-X interrupt for each (%u)", queue_irqs);
}

static void check_chains(void)
{
	uint32_t len = 0;
	bool done;

	memset(buffers, 0, sizeof(buffers));
	virtio_queue_desc(&vq, 0, (uint64_t)buffers[0], 16, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT,
			  1);
	virtio_queue_desc(&vq, 1, (uint64_t)buffers[1], 48, VIRTQ_DESC_F_WRITE, 0);
	done = complete(0, &len);
	report(done && len == 64 && !all_zero(buffers[0], 16) && !all_zero(buffers[1], 48),
	       "a chain of two buffers: %u bytes, both filled", len);
	indirect[0] = (struct virtq_desc){ (uint64_t)buffers[2], 32,
					   VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1 };
	indirect[1] = (struct virtq_desc){ (uint64_t)buffers[3], 32, VIRTQ_DESC_F_WRITE, 0 };
	virtio_queue_desc(&vq, 0, (uint64_t)indirect, 2 * sizeof(indirect[0]),
			  VIRTQ_DESC_F_INDIRECT, 0);
	done = complete(0, &len);
	report(done && len == 64 && !all_zero(buffers[2], 32) && !all_zero(buffers[3], 32),
	       "an indirect table of two buffers: %u bytes, both filled", len);
}

/* used_event one ahead: the next completion must not interrupt, the one after must. */
static void check_event_idx(void)
{
	unsigned int irqs;
	uint32_t id, len;

	virtio_queue_set_used_event(&vq, vq.last_used + 1);
	irqs = queue_irqs;
	virtio_queue_desc(&vq, 0, (uint64_t)buffers[0], 8, VIRTQ_DESC_F_WRITE, 0);
	virtio_queue_submit(&vq, 0);
	virtio_queue_kick(&vq);
	report(virtio_queue_wait(&vq, &id, &len, WAIT_MS), "completed with used_event ahead");
	irq_wait(&queue_irqs, irqs + 1, 50);
	report(queue_irqs == irqs, "and no interrupt for it (%u)", queue_irqs - irqs);
	report(virtio_queue_avail_event(&vq) == vq.avail_idx,
	       "the device's avail_event asks for the next notification (%u)",
	       virtio_queue_avail_event(&vq));
	virtio_queue_submit(&vq, 0);
	virtio_queue_kick(&vq);
	report(irq_wait(&queue_irqs, irqs + 1, WAIT_MS) &&
		       virtio_queue_wait(&vq, &id, &len, WAIT_MS),
	       "the next completion passes used_event and interrupts");
}

static void check_reset(void)
{
	report(virtio_reset(&dev), "writing 0 to device_status resets (reads back 0)");
	virtio_write16(&dev, VIRTIO_PCI_COMMON_Q_SELECT, 0);
	report(virtio_read16(&dev, VIRTIO_PCI_COMMON_Q_ENABLE) == 0 &&
		       virtio_read16(&dev, VIRTIO_PCI_COMMON_Q_SIZE) == DEVICE_QUEUE_MAX &&
		       virtio_read16(&dev, VIRTIO_PCI_COMMON_Q_MSIX) == VIRTIO_MSI_NO_VECTOR &&
		       virtio_read16(&dev, VIRTIO_PCI_COMMON_MSIX) == VIRTIO_MSI_NO_VECTOR,
	       "the queue is disabled, its size, vectors back to their reset values");
}

static void check_intx(void)
{
	uint32_t len = 0;
	bool done;

	mode = IRQ_INTX;
	report(start_device(QUEUE_SIZE), "restarted with MSI-X off");
	done = request(buffers[0], REQUEST_BYTES, &len);
	report(done && len == REQUEST_BYTES, "a request completes with INTx (%u bytes)", len);
	report(isr_seen == VIRTIO_PCI_ISR_QUEUE, "the ISR said queue (0x%x)", isr_seen);
	report(virtio_isr(&dev) == 0, "and reads 0 once read");
	report(!(pci_cfg_read16(dev.slot, 0, 0x06) & 0x08), "PCI status: no interrupt pending");
}

/* ---- Hostile rings ----------------------------------------------------------------------- */

static bool wait_needs_reset(void)
{
	uint64_t deadline = tsc_deadline_ms(WAIT_MS);

	while (!(virtio_status(&dev) & VIRTIO_STATUS_NEEDS_RESET))
		if (tsc_expired(deadline))
			return false;
	return true;
}

/* Submit head as it is and expect the device to give up on the ring. */
static void expect_needs_reset(uint16_t head, const char *what)
{
	unsigned int irqs = config_irqs;
	uint32_t id, len;

	virtio_queue_submit(&vq, head);
	virtio_queue_kick(&vq);
	report(wait_needs_reset(), "%s: the device reports NEEDS_RESET (status 0x%x)", what,
	       virtio_status(&dev));
	report(irq_wait(&config_irqs, irqs + 1, WAIT_MS),
	       "%s: with a configuration change interrupt", what);
	report(!virtio_queue_used(&vq, &id, &len), "%s: nothing came back used", what);
}

/* The rest of the machine does not care: console (these lines), the hypercall port, PCI. */
static void check_alive_and_recover(void)
{
	uint32_t len = 0;
	bool done;

	report(xen_version(KDOM_XENVER_VERSION, NULL) > 0, "the hypercall port still answers");
	report(pci_cfg_read16(0, 0, 0) == 0x8086, "the host bridge still answers");
	report(start_device(QUEUE_SIZE), "a reset brings the device back");
	done = request(buffers[0], REQUEST_BYTES, &len);
	report(done && len == REQUEST_BYTES && !all_zero(buffers[0], REQUEST_BYTES),
	       "and it serves entropy again (%u bytes)", len);
}

static void hostile_loop(void)
{
	virtio_queue_desc(&vq, 0, (uint64_t)buffers[0], 8, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT,
			  1);
	virtio_queue_desc(&vq, 1, (uint64_t)buffers[1], 8, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT,
			  0);
	expect_needs_reset(0, "a chain looping 0 -> 1 -> 0");
}

static void hostile_outside(void)
{
	virtio_queue_desc(&vq, 0, KDOM_GPA_MMIO_HOLE + 0x1000000, REQUEST_BYTES, VIRTQ_DESC_F_WRITE,
			  0);
	expect_needs_reset(0, "a buffer in the MMIO hole");
	check_alive_and_recover();
	/* The rings themselves outside RAM: refused at queue_enable, before DRIVER_OK. */
	report(virtio_negotiate(&dev, WANTED_FEATURES), "renegotiated");
	virtio_write16(&dev, VIRTIO_PCI_COMMON_Q_SELECT, 0);
	virtio_write16(&dev, VIRTIO_PCI_COMMON_Q_SIZE, QUEUE_SIZE);
	virtio_write64(&dev, VIRTIO_PCI_COMMON_Q_DESC, 1ull << 40);
	virtio_write64(&dev, VIRTIO_PCI_COMMON_Q_AVAIL, (uint64_t)ring);
	virtio_write64(&dev, VIRTIO_PCI_COMMON_Q_USED, (uint64_t)ring + 4096);
	virtio_write16(&dev, VIRTIO_PCI_COMMON_Q_ENABLE, 1);
	report(virtio_read16(&dev, VIRTIO_PCI_COMMON_Q_ENABLE) == 0 &&
		       (virtio_status(&dev) & VIRTIO_STATUS_NEEDS_RESET),
	       "a descriptor table at 1 TiB: not enabled, NEEDS_RESET (status 0x%x)",
	       virtio_status(&dev));
}

static void hostile_oversized(void)
{
	unsigned int n = ARRAY_SIZE(indirect); /* one more than the device takes */

	for (unsigned int i = 0; i < n; i++)
		indirect[i] = (struct virtq_desc){ (uint64_t)buffers[0], 1,
						   VIRTQ_DESC_F_WRITE |
							   (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0),
						   i + 1 };
	virtio_queue_desc(&vq, 0, (uint64_t)indirect, n * sizeof(indirect[0]),
			  VIRTQ_DESC_F_INDIRECT, 0);
	expect_needs_reset(0, "an indirect table of 65 descriptors");
}

/* The size is fixed while the queue runs; the driver's index cannot run more than a ring ahead. */
static void hostile_qsize(void)
{
	static const uint16_t sizes[] = { 0, 3, 2 * QUEUE_SIZE, 2 * DEVICE_QUEUE_MAX, 0xffff };
	bool kept = true;

	virtio_write16(&dev, VIRTIO_PCI_COMMON_Q_SELECT, 0);
	for (unsigned int i = 0; i < ARRAY_SIZE(sizes); i++) {
		virtio_write16(&dev, VIRTIO_PCI_COMMON_Q_SIZE, sizes[i]);
		kept &= virtio_read16(&dev, VIRTIO_PCI_COMMON_Q_SIZE) == QUEUE_SIZE;
	}
	report(kept, "while enabled the size stays %u (0, 3, %u, %u, 65535 refused)", QUEUE_SIZE,
	       2 * QUEUE_SIZE, 2 * DEVICE_QUEUE_MAX);
	virtio_queue_desc(&vq, 0, (uint64_t)buffers[0], 8, VIRTQ_DESC_F_WRITE, 0);
	vq.avail_idx += QUEUE_SIZE; /* with submit's own: QUEUE_SIZE + 1 entries at once */
	expect_needs_reset(0, "the driver's index 17 ahead in a queue of 16");
}

static void run_hostile(const char *what)
{
	uint32_t len = 0;
	bool done;

	report(start_device(QUEUE_SIZE), "device started");
	done = request(buffers[0], REQUEST_BYTES, &len);
	report(done && len == REQUEST_BYTES, "a good request first (%u bytes)", len);
	if (!strcmp(what, "loop"))
		hostile_loop();
	else if (!strcmp(what, "outside"))
		hostile_outside();
	else if (!strcmp(what, "oversized"))
		hostile_oversized();
	else if (!strcmp(what, "qsize"))
		hostile_qsize();
	else
		test_error("hostile=%s: not loop, outside, oversized or qsize", what);
	check_alive_and_recover();
}

/* ---- Counting exits ------------------------------------------------------------------ */

static void run_requests(uint64_t n)
{
	const char *irq = cmdline_get("irq");
	uint64_t start, done = 0;
	uint32_t len;

	mode = !irq || !strcmp(irq, "msix") ? IRQ_MSIX : !strcmp(irq, "intx") ? IRQ_INTX : IRQ_POLL;
	report(start_device(QUEUE_SIZE), "device started (irq=%s)", irq ? irq : "msix");
	start = rdtsc();
	while (done < n && request(buffers[0], REQUEST_BYTES, &len) && len == REQUEST_BYTES)
		done++;
	printf("bench: %llu requests of %u bytes, %llu tsc cycles, tsc %llu kHz, %u queue "
	       "interrupts, %u with an empty ISR\n",
	       (unsigned long long)done, REQUEST_BYTES, (unsigned long long)(rdtsc() - start),
	       (unsigned long long)tsc_khz(), queue_irqs, empty_irqs);
	report(done == n, "%llu of %llu requests served", (unsigned long long)done,
	       (unsigned long long)n);
}

void test_main(void)
{
	const char *hostile = cmdline_get("hostile");

	if (!virtio_find(VIRTIO_ID_RNG, &dev)) {
		test_fail("no virtio-rng on the PCI bus (kdom run --virtio-rng)");
		return;
	}
	printf("virtio-rng: 00:%02x.0, BAR 0 at 0x%llx\n", dev.slot,
	       (unsigned long long)dev.bar[0]);
	irq_set_handler(CONFIG_VECTOR, on_config);
	irq_set_handler(QUEUE_VECTOR, on_queue);
	irq_set_handler(INTX_VECTOR, on_intx);
	lapic_enable();
	check_identity();
	if (cmdline_get("requests")) {
		run_requests(cmdline_get_u64("requests", 0));
		return;
	}
	if (hostile) {
		run_hostile(hostile);
		return;
	}
	check_features();
	check_queue_registers();
	report(start_device(QUEUE_SIZE), "started with MSI-X: DRIVER_OK");
	check_entropy();
	check_chains();
	check_event_idx();
	check_reset();
	check_intx();
}

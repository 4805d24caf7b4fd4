/* Unit tests of the virtio PCI transport with virtio-rng on a fake VM: header, capabilities, common registers, status, requests. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "devices/pci.h"
#include "devices/virtio/rng.h"
#include "tests/unit/fake-vm.h"
#include "tests/unit/unit.h"
#include "vmm/vm.h"

#define RAM_SIZE (4u << 20)
#define DESC_GPA 0x10000
#define AVAIL_GPA 0x11000
#define USED_GPA 0x12000
#define BUF_GPA 0x20000
#define QSIZE 8
#define FEATURES                                                       \
	((1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_F_EVENT_IDX) | \
	 (1ull << VIRTIO_F_INDIRECT_DESC))

/* A fake VM with RAM, bus 0, and virtio-rng in slot 1 with its BAR decoded. */
struct vfix {
	struct domain domain;
	struct vm vm;
	struct pci_bus bus;
	struct virtio_rng rng;
	uint8_t *ram;
	uint64_t bar;
	unsigned int slot;
};

static void vfix_init(struct vfix *f)
{
	memset(f, 0, sizeof(*f));
	fake_vm_init(&f->vm, &f->domain);
	f->ram = calloc(1, RAM_SIZE);
	ck_assert_ptr_nonnull(f->ram);
	gmem_wrap(&f->vm.mem, f->ram, RAM_SIZE);
	ck_assert_int_eq(pci_bus_create(&f->bus, &f->vm), 0);
	ck_assert_int_eq(virtio_rng_create(&f->rng, &f->vm, &f->bus, NULL), 0);
	f->slot = f->rng.vp.pci.slot;
	f->bar = fake_vm_pci_read(&f->vm, f->slot, 0x10, 4) & ~0xfu;
	fake_vm_pci_write(&f->vm, f->slot, 0x04, 2, 0x6); /* memory decoding, bus master */
}

static void vfix_destroy(struct vfix *f)
{
	virtio_rng_destroy(&f->rng);
	pci_bus_destroy(&f->bus);
	fake_vm_destroy(&f->vm);
	free(f->ram);
}

static uint64_t common_read(struct vfix *f, unsigned int offset, uint32_t len)
{
	return fake_vm_mmio_read(&f->vm, f->bar + VIRTIO_PCI_COMMON_OFFSET + offset, len);
}

static void common_write(struct vfix *f, unsigned int offset, uint32_t len, uint64_t value)
{
	fake_vm_mmio_write(&f->vm, f->bar + VIRTIO_PCI_COMMON_OFFSET + offset, len, value);
}

static void set_status(struct vfix *f, uint8_t status)
{
	common_write(f, VIRTIO_PCI_COMMON_STATUS, 1, status);
}

static uint8_t status(struct vfix *f)
{
	return common_read(f, VIRTIO_PCI_COMMON_STATUS, 1);
}

/* Accept features as a driver does: ACKNOWLEDGE, DRIVER, both halves, FEATURES_OK. */
static void negotiate(struct vfix *f, uint64_t features)
{
	set_status(f, 0);
	set_status(f, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	for (unsigned int half = 0; half < 2; half++) {
		common_write(f, VIRTIO_PCI_COMMON_GFSELECT, 4, half);
		common_write(f, VIRTIO_PCI_COMMON_GF, 4, (uint32_t)(features >> (32 * half)));
	}
	set_status(f, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
}

/* Queue 0 of QSIZE at the fixed rings, enabled, DRIVER_OK. */
static void start(struct vfix *f)
{
	negotiate(f, FEATURES);
	ck_assert(status(f) & VIRTIO_STATUS_FEATURES_OK);
	common_write(f, VIRTIO_PCI_COMMON_Q_SELECT, 2, 0);
	common_write(f, VIRTIO_PCI_COMMON_Q_SIZE, 2, QSIZE);
	common_write(f, VIRTIO_PCI_COMMON_Q_DESC, 8, DESC_GPA);
	common_write(f, VIRTIO_PCI_COMMON_Q_AVAIL, 4, AVAIL_GPA); /* as two halves */
	common_write(f, VIRTIO_PCI_COMMON_Q_AVAIL + 4, 4, 0);
	common_write(f, VIRTIO_PCI_COMMON_Q_USED, 8, USED_GPA);
	common_write(f, VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
	ck_assert_uint_eq(common_read(f, VIRTIO_PCI_COMMON_Q_ENABLE, 2), 1);
	set_status(f, status(f) | VIRTIO_STATUS_DRIVER_OK);
	ck_assert(status(f) & VIRTIO_STATUS_DRIVER_OK);
}

/* The driver offers descriptor 0 (and what the caller wrote) at head 0 and rings the doorbell. */
static void submit(struct vfix *f, uint32_t len)
{
	struct virtq_desc *desc = (struct virtq_desc *)(f->ram + DESC_GPA);
	struct virtq_avail *avail = (struct virtq_avail *)(f->ram + AVAIL_GPA);

	if (len)
		desc[0] = (struct virtq_desc){ BUF_GPA, len, VIRTQ_DESC_F_WRITE, 0 };
	avail->ring[avail->idx % QSIZE] = 0;
	avail->idx++;
	fake_vm_mmio_write(&f->vm, f->bar + VIRTIO_PCI_NOTIFY_OFFSET, 2, 0);
}

static struct virtq_used *used(struct vfix *f)
{
	return (struct virtq_used *)(f->ram + USED_GPA);
}

static bool readable(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, 0) == 1;
}

/* The capability of cfg_type type in the vendor-specific list, or 0. */
static unsigned int find_virtio_cap(struct vfix *f, uint8_t type)
{
	unsigned int pos = fake_vm_pci_read(&f->vm, f->slot, 0x34, 1);

	for (unsigned int guard = 0; pos && guard < 48; guard++) {
		if (fake_vm_pci_read(&f->vm, f->slot, pos, 1) == VIRTIO_PCI_CAP_VENDOR &&
		    fake_vm_pci_read(&f->vm, f->slot, pos + VIRTIO_PCI_CAP_CFG_TYPE, 1) == type)
			return pos;
		pos = fake_vm_pci_read(&f->vm, f->slot, pos + 1, 1);
	}
	return 0;
}

START_TEST(test_virtio_pci_header)
{
	struct vfix f;
	struct vm *vm = &f.vm;

	vfix_init(&f);
	ck_assert_uint_eq(fake_vm_pci_read(vm, f.slot, 0x00, 4), 0x10441af4);
	ck_assert_uint_eq(fake_vm_pci_read(vm, f.slot, 0x08, 4), 0xff000001); /* class, rev 1 */
	ck_assert_uint_eq(fake_vm_pci_read(vm, f.slot, 0x2c, 4), 0x10441af4);
	ck_assert_uint_eq(fake_vm_pci_read(vm, f.slot, 0x06, 2) & 0x10, 0x10); /* capabilities */
	ck_assert_uint_eq(fake_vm_pci_read(vm, f.slot, 0x3d, 1), 1);	       /* INTA */
	ck_assert_uint_eq(fake_vm_pci_read(vm, f.slot, 0x10, 4) & 0xf, 0x4);   /* 64-bit memory */
	ck_assert(f.bar >= PCI_MMIO32_BASE && f.bar < PCI_MMIO32_END);
	/* Sizing: all ones written with decoding off read back the size mask. */
	fake_vm_pci_write(vm, f.slot, 0x04, 2, 0);
	fake_vm_pci_write(vm, f.slot, 0x10, 4, 0xffffffff);
	fake_vm_pci_write(vm, f.slot, 0x14, 4, 0xffffffff);
	ck_assert_uint_eq(fake_vm_pci_read(vm, f.slot, 0x10, 4), ~(VIRTIO_PCI_BAR_SIZE - 1u) | 4);
	ck_assert_uint_eq(fake_vm_pci_read(vm, f.slot, 0x14, 4), 0xffffffff);
	ck_assert_uint_eq(fake_vm_pci_read(vm, f.slot, 0x18, 4), 0); /* no other BAR */
	fake_vm_pci_write(vm, f.slot, 0x00, 4, 0);		     /* identity is read-only */
	ck_assert_uint_eq(fake_vm_pci_read(vm, f.slot, 0x00, 4), 0x10441af4);
	vfix_destroy(&f);
}
END_TEST

START_TEST(test_virtio_pci_capabilities)
{
	struct vfix f;
	unsigned int common, notify, isr, window, msix;

	vfix_init(&f);
	common = find_virtio_cap(&f, VIRTIO_PCI_CAP_COMMON_CFG);
	notify = find_virtio_cap(&f, VIRTIO_PCI_CAP_NOTIFY_CFG);
	isr = find_virtio_cap(&f, VIRTIO_PCI_CAP_ISR_CFG);
	window = find_virtio_cap(&f, VIRTIO_PCI_CAP_PCI_CFG);
	ck_assert(common && notify && isr && window);
	ck_assert_uint_eq(find_virtio_cap(&f, VIRTIO_PCI_CAP_DEVICE_CFG), 0); /* rng has none */
	ck_assert_uint_eq(fake_vm_pci_read(&f.vm, f.slot, common + VIRTIO_PCI_CAP_LENGTH, 4),
			  VIRTIO_PCI_COMMON_SIZE);
	ck_assert_uint_eq(fake_vm_pci_read(&f.vm, f.slot, notify + VIRTIO_PCI_NOTIFY_CAP_MULT, 4),
			  VIRTIO_PCI_NOTIFY_MULTIPLIER);
	ck_assert_uint_eq(fake_vm_pci_read(&f.vm, f.slot, isr + VIRTIO_PCI_CAP_OFFSET, 4),
			  VIRTIO_PCI_ISR_OFFSET);
	msix = fake_vm_pci_read(&f.vm, f.slot, 0x34, 1);
	ck_assert_uint_eq(fake_vm_pci_read(&f.vm, f.slot, msix, 1), 0x11);
	ck_assert_uint_eq(fake_vm_pci_read(&f.vm, f.slot, msix + 2, 2), 1); /* 2 vectors */
	/* The configuration window reads num_queues out of BAR 0. */
	fake_vm_pci_write(&f.vm, f.slot, window + VIRTIO_PCI_CAP_BAR, 1, 0);
	fake_vm_pci_write(&f.vm, f.slot, window + VIRTIO_PCI_CAP_OFFSET, 4, VIRTIO_PCI_COMMON_NUMQ);
	fake_vm_pci_write(&f.vm, f.slot, window + VIRTIO_PCI_CAP_LENGTH, 4, 2);
	ck_assert_uint_eq(fake_vm_pci_read(&f.vm, f.slot, window + VIRTIO_PCI_CFG_CAP_DATA, 2), 1);
	/* An offset at the top of the 32-bit range reaches nothing (no wrap to 0). */
	fake_vm_pci_write(&f.vm, f.slot, window + VIRTIO_PCI_CAP_OFFSET, 4, 0xfffffffc);
	fake_vm_pci_write(&f.vm, f.slot, window + VIRTIO_PCI_CAP_LENGTH, 4, 4);
	fake_vm_pci_write(&f.vm, f.slot, window + VIRTIO_PCI_CFG_CAP_DATA, 4, 0x5a5a5a5a);
	ck_assert_uint_eq(fake_vm_pci_read(&f.vm, f.slot, window + VIRTIO_PCI_CFG_CAP_DATA, 4),
			  0x5a5a5a5a);
	vfix_destroy(&f);
}
END_TEST

START_TEST(test_virtio_feature_negotiation)
{
	struct vfix f;

	vfix_init(&f);
	common_write(&f, VIRTIO_PCI_COMMON_DFSELECT, 4, 0);
	ck_assert_uint_eq(common_read(&f, VIRTIO_PCI_COMMON_DF, 4),
			  (1u << VIRTIO_F_EVENT_IDX) | (1u << VIRTIO_F_INDIRECT_DESC));
	common_write(&f, VIRTIO_PCI_COMMON_DFSELECT, 4, 1);
	ck_assert_uint_eq(common_read(&f, VIRTIO_PCI_COMMON_DF, 4), 1); /* VERSION_1, no PACKED */
	common_write(&f, VIRTIO_PCI_COMMON_DFSELECT, 4, 2);
	ck_assert_uint_eq(common_read(&f, VIRTIO_PCI_COMMON_DF, 4), 0);
	negotiate(&f, 1ull << VIRTIO_F_EVENT_IDX); /* no VERSION_1 */
	ck_assert(!(status(&f) & VIRTIO_STATUS_FEATURES_OK));
	negotiate(&f, (1ull << VIRTIO_F_VERSION_1) | (1ull << 40)); /* not offered */
	ck_assert(!(status(&f) & VIRTIO_STATUS_FEATURES_OK));
	negotiate(&f, 1ull << VIRTIO_F_VERSION_1);
	ck_assert(status(&f) & VIRTIO_STATUS_FEATURES_OK);
	/* Fixed once accepted. */
	common_write(&f, VIRTIO_PCI_COMMON_GFSELECT, 4, 0);
	common_write(&f, VIRTIO_PCI_COMMON_GF, 4, 1u << VIRTIO_F_EVENT_IDX);
	ck_assert_uint_eq(common_read(&f, VIRTIO_PCI_COMMON_GF, 4), 0);
	vfix_destroy(&f);
}
END_TEST

START_TEST(test_virtio_status_machine)
{
	struct vfix f;

	vfix_init(&f);
	ck_assert_uint_eq(status(&f), 0);
	set_status(&f, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_DRIVER_OK);
	ck_assert_uint_eq(status(&f), VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	set_status(&f, VIRTIO_STATUS_NEEDS_RESET); /* the device's bit; bits only accumulate */
	ck_assert_uint_eq(status(&f), VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	/* queue_enable before FEATURES_OK is ignored. */
	common_write(&f, VIRTIO_PCI_COMMON_Q_DESC, 8, DESC_GPA);
	common_write(&f, VIRTIO_PCI_COMMON_Q_AVAIL, 8, AVAIL_GPA);
	common_write(&f, VIRTIO_PCI_COMMON_Q_USED, 8, USED_GPA);
	common_write(&f, VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
	ck_assert_uint_eq(common_read(&f, VIRTIO_PCI_COMMON_Q_ENABLE, 2), 0);
	start(&f);
	common_write(&f, VIRTIO_PCI_COMMON_MSIX, 2, 1);
	set_status(&f, 0); /* reset: everything back */
	ck_assert_uint_eq(status(&f), 0);
	ck_assert_uint_eq(common_read(&f, VIRTIO_PCI_COMMON_Q_ENABLE, 2), 0);
	ck_assert_uint_eq(common_read(&f, VIRTIO_PCI_COMMON_Q_SIZE, 2), VIRTIO_RNG_QUEUE_SIZE);
	ck_assert_uint_eq(common_read(&f, VIRTIO_PCI_COMMON_Q_DESC, 8), 0);
	ck_assert_uint_eq(common_read(&f, VIRTIO_PCI_COMMON_MSIX, 2), VIRTIO_MSI_NO_VECTOR);
	common_write(&f, VIRTIO_PCI_COMMON_GFSELECT, 4, 1);
	ck_assert_uint_eq(common_read(&f, VIRTIO_PCI_COMMON_GF, 4), 0);
	vfix_destroy(&f);
}
END_TEST

START_TEST(test_virtio_common_queue_registers)
{
	struct vfix f;

	vfix_init(&f);
	ck_assert_uint_eq(common_read(&f, VIRTIO_PCI_COMMON_NUMQ, 2), 1);
	ck_assert_uint_eq(common_read(&f, VIRTIO_PCI_COMMON_Q_SIZE, 2), VIRTIO_RNG_QUEUE_SIZE);
	common_write(&f, VIRTIO_PCI_COMMON_Q_SIZE, 2, 3); /* not a power of two */
	common_write(&f, VIRTIO_PCI_COMMON_Q_SIZE, 2, 0);
	common_write(&f, VIRTIO_PCI_COMMON_Q_SIZE, 2, 2 * VIRTIO_RNG_QUEUE_SIZE);
	ck_assert_uint_eq(common_read(&f, VIRTIO_PCI_COMMON_Q_SIZE, 2), VIRTIO_RNG_QUEUE_SIZE);
	common_write(&f, VIRTIO_PCI_COMMON_Q_SIZE, 1, 16); /* not the field's width */
	ck_assert_uint_eq(common_read(&f, VIRTIO_PCI_COMMON_Q_SIZE, 2), VIRTIO_RNG_QUEUE_SIZE);
	common_write(&f, VIRTIO_PCI_COMMON_Q_SIZE, 2, 16);
	ck_assert_uint_eq(common_read(&f, VIRTIO_PCI_COMMON_Q_SIZE, 2), 16);
	common_write(&f, VIRTIO_PCI_COMMON_Q_MSIX, 2, 1);
	ck_assert_uint_eq(common_read(&f, VIRTIO_PCI_COMMON_Q_MSIX, 2), 1);
	common_write(&f, VIRTIO_PCI_COMMON_Q_MSIX, 2, 2); /* only vectors 0 and 1 exist */
	ck_assert_uint_eq(common_read(&f, VIRTIO_PCI_COMMON_Q_MSIX, 2), VIRTIO_MSI_NO_VECTOR);
	common_write(&f, VIRTIO_PCI_COMMON_Q_DESC, 4, 0x12345000);
	common_write(&f, VIRTIO_PCI_COMMON_Q_DESC + 4, 4, 0x1);
	ck_assert_uint_eq(common_read(&f, VIRTIO_PCI_COMMON_Q_DESC, 8), 0x112345000ull);
	ck_assert_uint_eq(common_read(&f, VIRTIO_PCI_COMMON_Q_DESC + 4, 4), 1);
	ck_assert_uint_eq(common_read(&f, VIRTIO_PCI_COMMON_Q_NOFF, 2), 0);
	/* A queue that does not exist: size 0, no vector, writes ignored. */
	common_write(&f, VIRTIO_PCI_COMMON_Q_SELECT, 2, 1);
	ck_assert_uint_eq(common_read(&f, VIRTIO_PCI_COMMON_Q_SIZE, 2), 0);
	ck_assert_uint_eq(common_read(&f, VIRTIO_PCI_COMMON_Q_MSIX, 2), VIRTIO_MSI_NO_VECTOR);
	common_write(&f, VIRTIO_PCI_COMMON_Q_SIZE, 2, 8);
	ck_assert_uint_eq(common_read(&f, VIRTIO_PCI_COMMON_Q_SIZE, 2), 0);
	/* Past the structure: nothing. */
	ck_assert_uint_eq(common_read(&f, VIRTIO_PCI_COMMON_SIZE, 4), 0);
	vfix_destroy(&f);
}
END_TEST

/* A request end to end with INTx: doorbell, service, used ring, ISR, the line. */
START_TEST(test_virtio_rng_request)
{
	struct vfix f;
	uint8_t zero[64] = { 0 };

	vfix_init(&f);
	start(&f);
	submit(&f, 64);
	ck_assert(readable(f.rng.vp.notify_fds[0])); /* the doorbell reached the eventfd */
	virtio_pci_service_queue(&f.rng.vp, 0);
	ck_assert_uint_eq(used(&f)->idx, 1);
	ck_assert_uint_eq(used(&f)->ring[0].id, 0);
	ck_assert_uint_eq(used(&f)->ring[0].len, 64);
	ck_assert_int_ne(memcmp(f.ram + BUF_GPA, zero, 64), 0);
	ck_assert_uint_eq(f.rng.bytes, 64);
	ck_assert(f.bus.intx_asserted & (1u << f.slot)); /* INTx: MSI-X is off */
	ck_assert_uint_eq(fake_vm_pci_read(&f.vm, f.slot, 0x06, 2) & 0x08, 0x08);
	ck_assert_uint_eq(fake_vm_mmio_read(&f.vm, f.bar + VIRTIO_PCI_ISR_OFFSET, 1),
			  VIRTIO_PCI_ISR_QUEUE);
	ck_assert(!(f.bus.intx_asserted & (1u << f.slot))); /* read to clear lowers it */
	ck_assert_uint_eq(fake_vm_mmio_read(&f.vm, f.bar + VIRTIO_PCI_ISR_OFFSET, 1), 0);
	/* Requests larger than VIRTIO_RNG_REQUEST_MAX get that much. */
	submit(&f, VIRTIO_RNG_REQUEST_MAX + 4096);
	virtio_pci_service_queue(&f.rng.vp, 0);
	ck_assert_uint_eq(used(&f)->ring[1].len, VIRTIO_RNG_REQUEST_MAX);
	vfix_destroy(&f);
}
END_TEST

/* Nothing is served before DRIVER_OK or without bus mastering. */
START_TEST(test_virtio_not_served_until_ready)
{
	struct vfix f;

	vfix_init(&f);
	start(&f);
	fake_vm_pci_write(&f.vm, f.slot, 0x04, 2, 0x2); /* memory, no bus master */
	submit(&f, 64);
	virtio_pci_service_queue(&f.rng.vp, 0);
	ck_assert_uint_eq(used(&f)->idx, 0);
	fake_vm_pci_write(&f.vm, f.slot, 0x04, 2, 0x6);
	virtio_pci_service_queue(&f.rng.vp, 0);
	ck_assert_uint_eq(used(&f)->idx, 1);
	virtio_pci_service_queue(&f.rng.vp, 7); /* no such queue */
	vfix_destroy(&f);
}
END_TEST

/* A malformed ring: NEEDS_RESET, a configuration interrupt, no service until a reset. */
START_TEST(test_virtio_needs_reset)
{
	struct vfix f;
	struct virtq_desc *desc;

	vfix_init(&f);
	start(&f);
	desc = (struct virtq_desc *)(f.ram + DESC_GPA);
	desc[0] = (struct virtq_desc){ BUF_GPA, 8, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 0 };
	submit(&f, 0);
	virtio_pci_service_queue(&f.rng.vp, 0);
	ck_assert(status(&f) & VIRTIO_STATUS_NEEDS_RESET);
	ck_assert_uint_eq(used(&f)->idx, 0);
	ck_assert_uint_eq(fake_vm_mmio_read(&f.vm, f.bar + VIRTIO_PCI_ISR_OFFSET, 1),
			  VIRTIO_PCI_ISR_CONFIG);
	desc[0].flags = VIRTQ_DESC_F_WRITE; /* fixed, but the device waits for a reset */
	virtio_pci_service_queue(&f.rng.vp, 0);
	ck_assert_uint_eq(used(&f)->idx, 0);
	memset(f.ram + AVAIL_GPA, 0, 4096);
	memset(f.ram + USED_GPA, 0, 4096);
	start(&f); /* reset and start again */
	ck_assert(!(status(&f) & VIRTIO_STATUS_NEEDS_RESET));
	submit(&f, 64);
	virtio_pci_service_queue(&f.rng.vp, 0);
	ck_assert_uint_eq(used(&f)->idx, 1);
	vfix_destroy(&f);
}
END_TEST

/* queue_enable with rings outside RAM: refused, NEEDS_RESET, no interrupt before DRIVER_OK. */
START_TEST(test_virtio_enable_outside_ram)
{
	struct vfix f;

	vfix_init(&f);
	negotiate(&f, FEATURES);
	common_write(&f, VIRTIO_PCI_COMMON_Q_DESC, 8, 1ull << 40);
	common_write(&f, VIRTIO_PCI_COMMON_Q_AVAIL, 8, AVAIL_GPA);
	common_write(&f, VIRTIO_PCI_COMMON_Q_USED, 8, USED_GPA);
	common_write(&f, VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
	ck_assert_uint_eq(common_read(&f, VIRTIO_PCI_COMMON_Q_ENABLE, 2), 0);
	ck_assert(status(&f) & VIRTIO_STATUS_NEEDS_RESET);
	ck_assert_uint_eq(fake_vm_mmio_read(&f.vm, f.bar + VIRTIO_PCI_ISR_OFFSET, 1), 0);
	vfix_destroy(&f);
}
END_TEST

START_TEST(test_virtio_msix_table)
{
	struct vfix f;
	uint64_t table;

	vfix_init(&f);
	table = f.bar + VIRTIO_PCI_MSIX_TABLE_OFFSET;
	ck_assert_uint_eq(fake_vm_mmio_read(&f.vm, table + 12, 4), 1); /* masked at reset */
	fake_vm_mmio_write(&f.vm, table + 16, 8, 0xfee00000ull);
	fake_vm_mmio_write(&f.vm, table + 24, 4, 0x41);
	fake_vm_mmio_write(&f.vm, table + 28, 4, 0xfffffffe); /* only the mask bit is writable */
	ck_assert_uint_eq(fake_vm_mmio_read(&f.vm, table + 16, 8), 0xfee00000ull);
	ck_assert_uint_eq(fake_vm_mmio_read(&f.vm, table + 24, 4), 0x41);
	ck_assert_uint_eq(fake_vm_mmio_read(&f.vm, table + 28, 4), 0);
	fake_vm_mmio_write(&f.vm, table + 28, 4, 1);
	ck_assert_uint_eq(fake_vm_mmio_read(&f.vm, table + 20, 2), 0); /* not 4 or 8 bytes */
	ck_assert_uint_eq(fake_vm_mmio_read(&f.vm, table + 32, 4), 0); /* no vector 2 */
	ck_assert_uint_eq(fake_vm_mmio_read(&f.vm, f.bar + VIRTIO_PCI_MSIX_PBA_OFFSET, 8), 0);
	vfix_destroy(&f);
}
END_TEST

/* The guest moves the BAR: decoded at the new place inside a window, nowhere outside them. */
START_TEST(test_virtio_bar_moves)
{
	struct vfix f;
	uint64_t moved = PCI_MMIO32_BASE + 0x100000;

	vfix_init(&f);
	ck_assert_uint_eq(common_read(&f, VIRTIO_PCI_COMMON_NUMQ, 2), 1);
	fake_vm_pci_write(&f.vm, f.slot, 0x10, 4, (uint32_t)moved);
	ck_assert_uint_eq(common_read(&f, VIRTIO_PCI_COMMON_NUMQ, 2), 0xffff); /* old: gone */
	ck_assert_uint_eq(fake_vm_mmio_read(&f.vm, moved + VIRTIO_PCI_COMMON_NUMQ, 2), 1);
	fake_vm_pci_write(&f.vm, f.slot, 0x10, 4, 0x10000); /* over low RAM: not decoded */
	ck_assert_uint_eq(fake_vm_mmio_read(&f.vm, 0x10000 + VIRTIO_PCI_COMMON_NUMQ, 2), 0xffff);
	fake_vm_pci_write(&f.vm, f.slot, 0x04, 2, 0); /* decoding off */
	fake_vm_pci_write(&f.vm, f.slot, 0x10, 4, (uint32_t)f.bar);
	ck_assert_uint_eq(common_read(&f, VIRTIO_PCI_COMMON_NUMQ, 2), 0xffff);
	fake_vm_pci_write(&f.vm, f.slot, 0x04, 2, 0x2);
	ck_assert_uint_eq(common_read(&f, VIRTIO_PCI_COMMON_NUMQ, 2), 1);
	vfix_destroy(&f);
}
END_TEST

START_TEST(test_virtio_no_fd_leak)
{
	int before = unit_count_fds();
	struct vfix f;

	vfix_init(&f);
	vfix_destroy(&f);
	ck_assert_int_eq(unit_count_fds(), before);
}
END_TEST

Suite *virtio_pci_suite(void)
{
	Suite *s = suite_create("virtio-pci");
	TCase *tc = tcase_create("transport");

	tcase_add_test(tc, test_virtio_pci_header);
	tcase_add_test(tc, test_virtio_pci_capabilities);
	tcase_add_test(tc, test_virtio_feature_negotiation);
	tcase_add_test(tc, test_virtio_status_machine);
	tcase_add_test(tc, test_virtio_common_queue_registers);
	tcase_add_test(tc, test_virtio_rng_request);
	tcase_add_test(tc, test_virtio_not_served_until_ready);
	tcase_add_test(tc, test_virtio_needs_reset);
	tcase_add_test(tc, test_virtio_enable_outside_ram);
	tcase_add_test(tc, test_virtio_msix_table);
	tcase_add_test(tc, test_virtio_bar_moves);
	tcase_add_test(tc, test_virtio_no_fd_leak);
	suite_add_tcase(s, tc);
	return s;
}

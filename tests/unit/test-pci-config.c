/* Unit tests of the passed-through device's virtual configuration space (vfio/pci-config.c). */
#include <errno.h>
#include <linux/pci_regs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/unit.h"
#include "vfio/pci-config.h"

/* ---- A device behind a fake back end ------------------------------------------------------ */

struct fake_device {
	struct pt_backend backend;
	uint8_t config[PT_CONFIG_SIZE];
	uint64_t bar_sizes[PT_BARS];
	bool fail_reads;
	unsigned int writes;
	bool stray_write; /* a write that is neither command nor status */
	uint32_t last_write_offset, last_write_value;
};

static int fake_region_info(struct pt_backend *b, struct vfio_region_info *info, int *mmap_fd)
{
	struct fake_device *d = (struct fake_device *)b;

	*mmap_fd = -1;
	info->size = 0;
	info->flags = 0;
	if (info->index < PT_BARS)
		info->size = d->bar_sizes[info->index];
	else if (info->index == VFIO_PCI_CONFIG_REGION_INDEX)
		info->size = PT_CONFIG_SIZE;
	if (info->size)
		info->flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
	return 0;
}

static int fake_region_read(struct pt_backend *b, uint32_t index, uint64_t offset, void *data,
			    uint32_t len)
{
	struct fake_device *d = (struct fake_device *)b;

	if (d->fail_reads)
		return -EIO;
	if (index != VFIO_PCI_CONFIG_REGION_INDEX || offset + len > PT_CONFIG_SIZE)
		return -EINVAL;
	memcpy(data, d->config + offset, len);
	return 0;
}

/* The device's side: command stored, status write-1-to-clear, nothing else expected. */
static int fake_region_write(struct pt_backend *b, uint32_t index, uint64_t offset,
			     const void *data, uint32_t len)
{
	struct fake_device *d = (struct fake_device *)b;
	const uint8_t *p = data;
	uint32_t value = 0;

	if (index != VFIO_PCI_CONFIG_REGION_INDEX || offset + len > PT_CONFIG_SIZE)
		return -EINVAL;
	for (uint32_t i = 0; i < len; i++)
		value |= (uint32_t)p[i] << (8 * i);
	d->writes++;
	d->last_write_offset = offset;
	d->last_write_value = value;
	if (offset == PCI_COMMAND && len == 2)
		memcpy(d->config + PCI_COMMAND, data, 2);
	else if (offset == PCI_STATUS && len == 2) {
		d->config[PCI_STATUS] &= ~p[0];
		d->config[PCI_STATUS + 1] &= ~p[1];
	} else
		d->stray_write = true;
	return 0;
}

static const struct pt_backend_ops fake_ops = {
	.region_info = fake_region_info,
	.region_read = fake_region_read,
	.region_write = fake_region_write,
};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v;
	p[1] = v >> 8;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v);
	put16(p + 2, v >> 16);
}

static uint16_t device_command(const struct fake_device *d)
{
	return d->config[PCI_COMMAND] | d->config[PCI_COMMAND + 1] << 8;
}

/*
 * An Intel-like NIC: BAR0 32-bit 128 KiB, BAR1 none, BAR2-3 64-bit
 * prefetchable 16 MiB, BAR4 I/O, BAR5 16 KiB holding the MSI-X table (0)
 * and PBA (0x2000).  Capabilities: PM 0x40 -> vendor 0x50 -> MSI 0x60
 * (64-bit, maskable, 4 vectors) -> PCIe 0x80 -> MSI-X 0xa0 (5 vectors)
 * -> VPD 0xb0.
 */
static void fake_init(struct fake_device *d)
{
	uint8_t *c = d->config;

	memset(d, 0, sizeof(*d));
	d->backend.ops = &fake_ops;
	snprintf(d->backend.name, sizeof(d->backend.name), "0000:03:00.0");
	put16(c + PCI_VENDOR_ID, 0x8086);
	put16(c + PCI_DEVICE_ID, 0x10d3);
	put16(c + PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	put16(c + PCI_STATUS, PCI_STATUS_CAP_LIST);
	put32(c + PCI_CLASS_REVISION, 0x02000003);
	c[PCI_CACHE_LINE_SIZE] = 0x10;
	c[PCI_HEADER_TYPE] = 0x80;
	put32(c + PCI_BASE_ADDRESS_0, 0xf7c00000);
	put32(c + PCI_BASE_ADDRESS_2, 0xe000000c);
	put32(c + PCI_BASE_ADDRESS_4, 0x0000e001);
	put32(c + PCI_BASE_ADDRESS_5, 0xf7d00000);
	put16(c + PCI_SUBSYSTEM_VENDOR_ID, 0x8086);
	put16(c + PCI_SUBSYSTEM_ID, 0xa01f);
	put32(c + PCI_ROM_ADDRESS, 0xf7e00000);
	c[PCI_CAPABILITY_LIST] = 0x40;
	c[PCI_INTERRUPT_LINE] = 11;
	c[PCI_INTERRUPT_PIN] = 1;
	c[0x40] = PCI_CAP_ID_PM;
	c[0x41] = 0x50;
	put16(c + 0x42, 0xc823);
	put16(c + 0x44, 0x0008);
	c[0x50] = PCI_CAP_ID_VNDR;
	c[0x51] = 0x60;
	c[0x52] = 0x08;
	c[0x60] = PCI_CAP_ID_MSI;
	c[0x61] = 0x80;
	put16(c + 0x62, PCI_MSI_FLAGS_64BIT | PCI_MSI_FLAGS_MASKBIT | 2 << 1);
	c[0x80] = PCI_CAP_ID_EXP;
	c[0x81] = 0xa0;
	put16(c + 0x82, 0x0002);
	put32(c + 0x84, 0x00008cc1);
	put16(c + 0x88, 0x2810);
	c[0xa0] = PCI_CAP_ID_MSIX;
	c[0xa1] = 0xb0;
	put16(c + 0xa2, 4);
	put32(c + 0xa4, 0x00000005);
	put32(c + 0xa8, 0x00002005);
	c[0xb0] = PCI_CAP_ID_VPD;
	c[0xb1] = 0x00;
	d->bar_sizes[0] = 128 << 10;
	d->bar_sizes[2] = 16 << 20;
	d->bar_sizes[4] = 32;
	d->bar_sizes[5] = 16 << 10;
}

/* ---- What the owner is told ----------------------------------------------------------------- */

struct bar_event {
	unsigned int bar;
	uint64_t old_gpa, new_gpa;
	bool enabled;
};

struct events {
	struct bar_event bar[64];
	unsigned int bar_calls;
	unsigned int msi_calls;
	bool msi_enabled;
	uint64_t msi_addr;
	uint32_t msi_data, msi_mask;
	unsigned int msi_nvec;
	unsigned int msix_calls;
	bool msix_enabled, msix_masked;
	unsigned int vector_calls, last_vector;
	unsigned int intx_calls;
	bool intx_disabled;
	/* The owner's mappings, as the callbacks drive them (the fuzz test's model). */
	bool mapped[PT_BARS];
	uint64_t mapped_at[PT_BARS];
	bool model_broken;
};

static void on_bar_moved(void *opaque, unsigned int bar, uint64_t old_gpa, uint64_t new_gpa,
			 bool enabled)
{
	struct events *e = opaque;

	if (bar >= PT_BARS || (e->mapped[bar] && e->mapped_at[bar] != old_gpa) ||
	    (!e->mapped[bar] && !enabled) || (!e->mapped[bar] && old_gpa != new_gpa))
		e->model_broken = true;
	e->mapped[bar % PT_BARS] = enabled;
	e->mapped_at[bar % PT_BARS] = new_gpa;
	e->bar[e->bar_calls++ % 64] = (struct bar_event){ bar, old_gpa, new_gpa, enabled };
}

static void on_msi_update(void *opaque, bool enabled, uint64_t addr, uint32_t data,
			  unsigned int nvec, uint32_t mask)
{
	struct events *e = opaque;

	e->msi_calls++;
	e->msi_enabled = enabled;
	e->msi_addr = addr;
	e->msi_data = data;
	e->msi_nvec = nvec;
	e->msi_mask = mask;
}

static void on_msix_update(void *opaque, bool enabled, bool masked)
{
	struct events *e = opaque;

	e->msix_calls++;
	e->msix_enabled = enabled;
	e->msix_masked = masked;
}

static void on_msix_vector(void *opaque, unsigned int vector)
{
	struct events *e = opaque;

	e->vector_calls++;
	e->last_vector = vector;
}

static void on_intx(void *opaque, bool disabled)
{
	struct events *e = opaque;

	e->intx_calls++;
	e->intx_disabled = disabled;
}

static const struct pt_config_ops owner_ops = {
	.bar_moved = on_bar_moved,
	.msi_update = on_msi_update,
	.msix_update = on_msix_update,
	.msix_vector_update = on_msix_vector,
	.intx_update = on_intx,
};

static void config_open(struct pt_config *c, struct fake_device *d, struct events *e)
{
	char err[256] = "";

	memset(e, 0, sizeof(*e));
	ck_assert_msg(!pt_config_init(c, &d->backend, err, sizeof(err)), "%s", err);
	c->ops = &owner_ops;
	c->opaque = e;
}

/* ---- Header ---------------------------------------------------------------------------- */

START_TEST(test_header_identity_and_read_only_fields)
{
	struct fake_device d;
	struct pt_config c;
	struct events e;

	fake_init(&d);
	config_open(&c, &d, &e);
	ck_assert_uint_eq(pt_config_read(&c, PCI_VENDOR_ID, 4), 0x10d38086);
	ck_assert_uint_eq(pt_config_read(&c, PCI_CLASS_REVISION, 4), 0x02000003);
	ck_assert_uint_eq(pt_config_read(&c, PCI_SUBSYSTEM_VENDOR_ID, 4), 0xa01f8086);
	/* Alone in its slot: no multi-function bit. */
	ck_assert_uint_eq(pt_config_read(&c, PCI_HEADER_TYPE, 1), 0x00);
	ck_assert_uint_eq(pt_config_read(&c, PCI_CACHE_LINE_SIZE, 1), 0x10);
	/* The guest starts with decoding off, and so does the device. */
	ck_assert_uint_eq(pt_config_read(&c, PCI_COMMAND, 2), 0);
	ck_assert_uint_eq(device_command(&d) & 7, 0);

	pt_config_write(&c, PCI_VENDOR_ID, 4, 0x12345678);
	pt_config_write(&c, PCI_CLASS_REVISION, 4, 0);
	pt_config_write(&c, PCI_HEADER_TYPE, 1, 0x81);
	pt_config_write(&c, PCI_SUBSYSTEM_VENDOR_ID, 4, 0);
	pt_config_write(&c, PCI_INTERRUPT_PIN, 1, 4);
	pt_config_write(&c, PCI_CAPABILITY_LIST, 1, 0x50);
	ck_assert_uint_eq(pt_config_read(&c, PCI_VENDOR_ID, 4), 0x10d38086);
	ck_assert_uint_eq(pt_config_read(&c, PCI_CLASS_REVISION, 4), 0x02000003);
	ck_assert_uint_eq(pt_config_read(&c, PCI_HEADER_TYPE, 1), 0x00);
	ck_assert_uint_eq(pt_config_read(&c, PCI_SUBSYSTEM_VENDOR_ID, 4), 0xa01f8086);
	ck_assert_uint_eq(pt_config_read(&c, PCI_INTERRUPT_PIN, 1), 1);
	ck_assert_uint_eq(pt_config_read(&c, PCI_CAPABILITY_LIST, 1), 0x40);

	/* The interrupt line is the guest's scratch register; the ROM BAR is absent. */
	ck_assert_uint_eq(pt_config_read(&c, PCI_INTERRUPT_LINE, 1), 0);
	pt_config_write(&c, PCI_INTERRUPT_LINE, 1, 10);
	ck_assert_uint_eq(pt_config_read(&c, PCI_INTERRUPT_LINE, 2), 0x010a);
	pt_config_write(&c, PCI_ROM_ADDRESS, 4, 0xffffffff);
	ck_assert_uint_eq(pt_config_read(&c, PCI_ROM_ADDRESS, 4), 0);

	/* Beyond 256 bytes, and odd lengths: all ones. */
	ck_assert_uint_eq(pt_config_read(&c, 0x100, 4), 0xffffffff);
	ck_assert_uint_eq(pt_config_read(&c, 0xfff, 1), 0xff);
	ck_assert_uint_eq(pt_config_read(&c, 0xffffffff, 4), 0xffffffff);
	ck_assert_uint_eq(pt_config_read(&c, 0xfe, 4) >> 16, 0xffff);
	ck_assert_uint_eq(pt_config_read(&c, 0, 3), 0xffffffff);
	pt_config_write(&c, 0x100, 4, 0);
	pt_config_write(&c, PCI_COMMAND, 3, 0xffffff);
	ck_assert_uint_eq(pt_config_read(&c, PCI_COMMAND, 2), 0);
	ck_assert(!d.stray_write);
	pt_config_destroy(&c);
}
END_TEST

START_TEST(test_bar_sizing)
{
	struct fake_device d;
	struct pt_config c;
	struct events e;
	static const uint32_t sized[PT_BARS] = { 0xfffe0000, 0, 0xff00000c,
						 0xffffffff, 0, 0xffffc000 };

	fake_init(&d);
	config_open(&c, &d, &e);
	/* Unprogrammed: type bits only, not the host's addresses. */
	ck_assert_uint_eq(pt_config_read(&c, PCI_BASE_ADDRESS_0, 4), 0);
	ck_assert_uint_eq(pt_config_read(&c, PCI_BASE_ADDRESS_2, 4), 0xc);
	ck_assert_uint_eq(pt_config_read(&c, PCI_BASE_ADDRESS_4, 4), 0);
	for (unsigned int i = 0; i < PT_BARS; i++) {
		pt_config_write(&c, PCI_BASE_ADDRESS_0 + 4 * i, 4, 0xffffffff);
		ck_assert_uint_eq(pt_config_read(&c, PCI_BASE_ADDRESS_0 + 4 * i, 4), sized[i]);
	}
	ck_assert_uint_eq(pt_config_bar(&c, 0)->size, 128 << 10);
	ck_assert(!pt_config_bar(&c, 0)->is64);
	ck_assert_uint_eq(pt_config_bar(&c, 1)->size, 0);
	ck_assert_uint_eq(pt_config_bar(&c, 2)->size, 16 << 20);
	ck_assert(pt_config_bar(&c, 2)->is64 && pt_config_bar(&c, 2)->prefetch);
	ck_assert_uint_eq(pt_config_bar(&c, 3)->size, 0);
	ck_assert_uint_eq(pt_config_bar(&c, 4)->size, 0); /* I/O: absent */
	ck_assert_uint_eq(pt_config_bar(&c, 5)->size, 16 << 10);
	ck_assert_ptr_null(pt_config_bar(&c, 6));
	/* A byte at a time sizes the same way. */
	pt_config_write(&c, PCI_BASE_ADDRESS_0, 4, 0);
	pt_config_write(&c, PCI_BASE_ADDRESS_0 + 3, 1, 0xff);
	ck_assert_uint_eq(pt_config_read(&c, PCI_BASE_ADDRESS_0, 4), 0xff000000);
	/* The device's own BARs are never written; decoding is off, so nothing moved. */
	ck_assert(!d.stray_write);
	ck_assert_uint_eq(d.writes, 1); /* init: the command cleared */
	ck_assert_uint_eq(e.bar_calls, 0);
	pt_config_destroy(&c);
}
END_TEST

START_TEST(test_bar_relocation_callbacks)
{
	struct fake_device d;
	struct pt_config c;
	struct events e;

	fake_init(&d);
	config_open(&c, &d, &e);
	pt_config_write(&c, PCI_BASE_ADDRESS_0, 4, 0xc0000000);
	ck_assert_uint_eq(e.bar_calls, 0); /* decoding off: nothing mapped */
	ck_assert_uint_eq(pt_config_bar(&c, 0)->gpa, 0xc0000000);

	pt_config_write(&c, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	ck_assert_uint_eq(device_command(&d), PCI_COMMAND_MEMORY);
	ck_assert_uint_eq(e.bar_calls, 3); /* BARs 0, 2 and 5 */
	ck_assert_uint_eq(e.bar[0].bar, 0);
	ck_assert_uint_eq(e.bar[0].old_gpa, 0xc0000000);
	ck_assert_uint_eq(e.bar[0].new_gpa, 0xc0000000);
	ck_assert(e.bar[0].enabled);
	ck_assert_uint_eq(e.bar[1].bar, 2);
	ck_assert_uint_eq(e.bar[2].bar, 5);

	pt_config_write(&c, PCI_BASE_ADDRESS_0, 4, 0xc0100000);
	ck_assert_uint_eq(e.bar_calls, 4);
	ck_assert_uint_eq(e.bar[3].bar, 0);
	ck_assert_uint_eq(e.bar[3].old_gpa, 0xc0000000);
	ck_assert_uint_eq(e.bar[3].new_gpa, 0xc0100000);
	ck_assert(e.bar[3].enabled);
	pt_config_write(&c, PCI_BASE_ADDRESS_0, 4, 0xc0100000);
	ck_assert_uint_eq(e.bar_calls, 4); /* the same address: no news */

	/* A 64-bit BAR moves once per half. */
	pt_config_write(&c, PCI_BASE_ADDRESS_2, 4, 0x80000000);
	pt_config_write(&c, PCI_BASE_ADDRESS_3, 4, 0x1);
	ck_assert_uint_eq(e.bar_calls, 6);
	ck_assert_uint_eq(e.bar[4].bar, 2);
	ck_assert_uint_eq(e.bar[4].old_gpa, 0);
	ck_assert_uint_eq(e.bar[4].new_gpa, 0x80000000);
	ck_assert_uint_eq(e.bar[5].old_gpa, 0x80000000);
	ck_assert_uint_eq(e.bar[5].new_gpa, 0x180000000ull);
	ck_assert_uint_eq(pt_config_read(&c, PCI_BASE_ADDRESS_2, 4), 0x8000000c);
	ck_assert_uint_eq(pt_config_read(&c, PCI_BASE_ADDRESS_3, 4), 1);

	/* Decoding off: each BAR reported where it is, disabled; the device stops too. */
	pt_config_write(&c, PCI_COMMAND, 2, 0);
	ck_assert_uint_eq(device_command(&d), 0);
	ck_assert_uint_eq(e.bar_calls, 9);
	ck_assert_uint_eq(e.bar[6].bar, 0);
	ck_assert_uint_eq(e.bar[6].old_gpa, 0xc0100000);
	ck_assert(!e.bar[6].enabled);
	ck_assert_uint_eq(e.bar[7].new_gpa, 0x180000000ull);
	ck_assert(!e.bar[8].enabled);

	/* Moved while off: reported where it ends up when decoding comes back. */
	pt_config_write(&c, PCI_BASE_ADDRESS_5, 4, 0xc0200000);
	ck_assert_uint_eq(e.bar_calls, 9);
	pt_config_write(&c, PCI_COMMAND, 1, PCI_COMMAND_MEMORY);
	ck_assert_uint_eq(e.bar_calls, 12);
	ck_assert_uint_eq(e.bar[11].bar, 5);
	ck_assert_uint_eq(e.bar[11].old_gpa, 0xc0200000);
	ck_assert_uint_eq(e.bar[11].new_gpa, 0xc0200000);
	ck_assert(e.bar[11].enabled);

	/* A guest that puts a BAR over anything: the address is reported, nothing more. */
	pt_config_write(&c, PCI_BASE_ADDRESS_0, 4, 0x00000000);
	ck_assert_uint_eq(e.bar[12].new_gpa, 0);
	ck_assert(!e.model_broken);
	ck_assert(!d.stray_write);
	pt_config_destroy(&c);
}
END_TEST

START_TEST(test_command_and_status_split)
{
	struct fake_device d;
	struct pt_config c;
	struct events e;

	fake_init(&d);
	put16(d.config + PCI_STATUS, PCI_STATUS_CAP_LIST | PCI_STATUS_DETECTED_PARITY |
					     PCI_STATUS_PARITY | PCI_STATUS_INTERRUPT);
	config_open(&c, &d, &e);

	pt_config_write(&c, PCI_COMMAND, 2, 0xffff);
	ck_assert_uint_eq(pt_config_read(&c, PCI_COMMAND, 2),
			  PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_INVALIDATE |
				  PCI_COMMAND_PARITY | PCI_COMMAND_SERR | PCI_COMMAND_INTX_DISABLE);
	/* Only memory, bus master and INTx disable reach the device; never I/O. */
	ck_assert_uint_eq(device_command(&d),
			  PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE);
	ck_assert_uint_eq(e.intx_calls, 1);
	ck_assert(e.intx_disabled);
	pt_config_write(&c, PCI_COMMAND, 2, PCI_COMMAND_MASTER | PCI_COMMAND_SERR);
	ck_assert_uint_eq(device_command(&d), PCI_COMMAND_MASTER);
	ck_assert_uint_eq(e.intx_calls, 2);
	ck_assert(!e.intx_disabled);
	pt_config_write(&c, PCI_COMMAND, 2, PCI_COMMAND_MASTER | PCI_COMMAND_PARITY);
	ck_assert_uint_eq(e.intx_calls, 2);

	/* Status is the device's, live; write-1-to-clear bits reach it, others do nothing. */
	ck_assert_uint_eq(pt_config_read(&c, PCI_STATUS, 2),
			  PCI_STATUS_CAP_LIST | PCI_STATUS_DETECTED_PARITY | PCI_STATUS_PARITY |
				  PCI_STATUS_INTERRUPT);
	pt_config_write(&c, PCI_STATUS, 2, PCI_STATUS_DETECTED_PARITY | PCI_STATUS_CAP_LIST);
	ck_assert_uint_eq(pt_config_read(&c, PCI_STATUS, 2),
			  PCI_STATUS_CAP_LIST | PCI_STATUS_PARITY | PCI_STATUS_INTERRUPT);
	/* A 32-bit write at 4 sets the command and clears status bits at once. */
	pt_config_write(&c, PCI_COMMAND, 4, PCI_STATUS_PARITY << 16 | PCI_COMMAND_MEMORY);
	ck_assert_uint_eq(pt_config_read(&c, PCI_COMMAND, 4),
			  (PCI_STATUS_CAP_LIST | PCI_STATUS_INTERRUPT) << 16 | PCI_COMMAND_MEMORY);
	ck_assert_uint_eq(device_command(&d), PCI_COMMAND_MEMORY);
	ck_assert(!d.stray_write);
	pt_config_destroy(&c);
}
END_TEST

/* ---- Capabilities -------------------------------------------------------------------------- */

START_TEST(test_capability_list_filtered_and_relinked)
{
	static const uint8_t expected[][2] = { { 0x40, PCI_CAP_ID_PM },
					       { 0x60, PCI_CAP_ID_MSI },
					       { 0x80, PCI_CAP_ID_EXP },
					       { 0xa0, PCI_CAP_ID_MSIX } };
	struct fake_device d;
	struct pt_config c;
	struct events e;
	uint32_t pos;
	unsigned int n = 0;

	fake_init(&d);
	config_open(&c, &d, &e);
	ck_assert(pt_config_read(&c, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
	for (pos = pt_config_read(&c, PCI_CAPABILITY_LIST, 1); pos && n < 10;
	     pos = pt_config_read(&c, pos + PCI_CAP_LIST_NEXT, 1), n++) {
		ck_assert_uint_lt(n, 4);
		ck_assert_uint_eq(pos, expected[n][0]);
		ck_assert_uint_eq(pt_config_read(&c, pos, 1), expected[n][1]);
	}
	ck_assert_uint_eq(n, 4);

	/* PM and PCIe are read-only: the guest can neither sleep nor reset the device. */
	pt_config_write(&c, 0x44, 2, PCI_PM_CTRL_STATE_MASK);
	ck_assert_uint_eq(pt_config_read(&c, 0x44, 2), 0x0008);
	pt_config_write(&c, 0x88, 2, PCI_EXP_DEVCTL_BCR_FLR);
	ck_assert_uint_eq(pt_config_read(&c, 0x88, 2), 0x2810);
	pt_config_write(&c, 0x81, 1, 0x50);
	ck_assert_uint_eq(pt_config_read(&c, 0x81, 1), 0xa0);
	ck_assert_uint_eq(d.writes, 1);
	pt_config_destroy(&c);

	/* Without the capability-list bit there is no list to follow. */
	fake_init(&d);
	put16(d.config + PCI_STATUS, 0);
	config_open(&c, &d, &e);
	ck_assert_uint_eq(pt_config_read(&c, PCI_CAPABILITY_LIST, 1), 0);
	ck_assert_uint_eq(pt_config_msix_vectors(&c), 0);
	pt_config_destroy(&c);

	/* A looping list ends; only the kept ones appear. */
	fake_init(&d);
	d.config[0xb1] = 0x40;
	config_open(&c, &d, &e);
	ck_assert_uint_eq(pt_config_read(&c, 0xa1, 1), 0);
	pt_config_destroy(&c);
}
END_TEST

START_TEST(test_msi_64bit_maskable)
{
	struct fake_device d;
	struct pt_config c;
	struct events e;

	fake_init(&d);
	config_open(&c, &d, &e);
	ck_assert_uint_eq(pt_config_read(&c, 0x62, 2),
			  PCI_MSI_FLAGS_64BIT | PCI_MSI_FLAGS_MASKBIT | 2 << 1);
	pt_config_write(&c, 0x64, 4, 0xfee00003); /* bits 1:0 are read-only zero */
	pt_config_write(&c, 0x68, 4, 0x1);
	pt_config_write(&c, 0x6c, 2, 0x4041);
	ck_assert_uint_eq(pt_config_read(&c, 0x64, 4), 0xfee00000);
	ck_assert_uint_eq(e.msi_calls, 0); /* disabled: nothing to tell */

	pt_config_write(&c, 0x62, 2, PCI_MSI_FLAGS_ENABLE | 2 << 4);
	ck_assert_uint_eq(e.msi_calls, 1);
	ck_assert(e.msi_enabled);
	ck_assert_uint_eq(e.msi_addr, 0x1fee00000ull);
	ck_assert_uint_eq(e.msi_data, 0x4041);
	ck_assert_uint_eq(e.msi_nvec, 4);
	ck_assert_uint_eq(e.msi_mask, 0);

	pt_config_write(&c, 0x68, 4, 0);
	ck_assert_uint_eq(e.msi_calls, 2);
	ck_assert_uint_eq(e.msi_addr, 0xfee00000);
	pt_config_write(&c, 0x6c, 2, 0x4051);
	ck_assert_uint_eq(e.msi_calls, 3);
	ck_assert_uint_eq(e.msi_data, 0x4051);
	pt_config_write(&c, 0x6c, 2, 0x4051);
	ck_assert_uint_eq(e.msi_calls, 3);

	/* Mask bits exist for the 4 vectors the device has; pending is read-only. */
	pt_config_write(&c, 0x70, 4, 0xffffffff);
	ck_assert_uint_eq(pt_config_read(&c, 0x70, 4), 0xf);
	ck_assert_uint_eq(e.msi_calls, 4);
	ck_assert_uint_eq(e.msi_mask, 0xf);
	pt_config_write(&c, 0x74, 4, 0xffffffff);
	ck_assert_uint_eq(pt_config_read(&c, 0x74, 4), 0);

	/* Asking for 32 vectors gets the 4 the device can do. */
	pt_config_write(&c, 0x62, 2, PCI_MSI_FLAGS_ENABLE | 5 << 4);
	ck_assert_uint_eq(pt_config_read(&c, 0x62, 2) & PCI_MSI_FLAGS_QSIZE, 2 << 4);
	ck_assert_uint_eq(e.msi_nvec, 4);

	pt_config_write(&c, 0x62, 2, 0);
	ck_assert(!e.msi_enabled);
	ck_assert_uint_eq(e.msi_calls, 5);
	/* The device's MSI capability was never touched. */
	ck_assert_uint_eq(d.writes, 1);
	ck_assert_uint_eq(d.config[0x62], PCI_MSI_FLAGS_64BIT | 2 << 1);
	pt_config_destroy(&c);
}
END_TEST

START_TEST(test_msi_32bit)
{
	struct fake_device d;
	struct pt_config c;
	struct events e;

	fake_init(&d);
	put16(d.config + 0x62, 1 << 1); /* 32-bit, no masking, 2 vectors */
	config_open(&c, &d, &e);
	pt_config_write(&c, 0x64, 4, 0xfee01000);
	pt_config_write(&c, 0x68, 2, 0x0030);
	pt_config_write(&c, 0x62, 2, PCI_MSI_FLAGS_ENABLE);
	ck_assert_uint_eq(e.msi_calls, 1);
	ck_assert_uint_eq(e.msi_addr, 0xfee01000);
	ck_assert_uint_eq(e.msi_data, 0x30);
	ck_assert_uint_eq(e.msi_nvec, 1);
	ck_assert_uint_eq(e.msi_mask, 0);
	pt_config_write(&c, 0x62, 2, PCI_MSI_FLAGS_ENABLE | 1 << 4);
	ck_assert_uint_eq(e.msi_nvec, 2);
	ck_assert_uint_eq(e.msi_calls, 2);
	/* The bytes after the capability are the device's, read-only. */
	pt_config_write(&c, 0x6a, 2, 0xffff);
	ck_assert_uint_eq(pt_config_read(&c, 0x68, 4), 0x30);
	ck_assert_uint_eq(e.msi_calls, 2);
	pt_config_destroy(&c);
}
END_TEST

START_TEST(test_msix_table_masking)
{
	struct fake_device d;
	struct pt_config c;
	struct events e;
	unsigned int bar;
	uint64_t offset, size, addr;
	uint32_t data;
	bool masked;

	fake_init(&d);
	config_open(&c, &d, &e);
	ck_assert_uint_eq(pt_config_msix_vectors(&c), 5);
	ck_assert_int_eq(pt_config_msix_table(&c, &bar, &offset, &size), 0);
	ck_assert_uint_eq(bar, 5);
	ck_assert_uint_eq(offset, 0);
	ck_assert_uint_eq(size, 5 * 16);
	ck_assert_int_eq(pt_config_msix_pba(&c, &bar, &offset, &size), 0);
	ck_assert_uint_eq(bar, 5);
	ck_assert_uint_eq(offset, 0x2000);
	ck_assert_uint_eq(size, 8);
	ck_assert_uint_eq(pt_config_read(&c, 0xa4, 4), 5);
	ck_assert_uint_eq(pt_config_read(&c, 0xa8, 4), 0x2005);

	/* Every vector starts masked. */
	for (unsigned int i = 0; i < 5; i++)
		ck_assert_uint_eq(pt_config_msix_table_read(&c, i * 16 + 12, 4), 1);
	pt_config_msix_table_write(&c, 16, 4, 0xfee00000);
	pt_config_msix_table_write(&c, 20, 4, 0);
	pt_config_msix_table_write(&c, 24, 4, 0x4061);
	ck_assert_uint_eq(e.vector_calls, 0);		   /* masked: nothing to tell */
	pt_config_msix_table_write(&c, 28, 4, 0xfffffffe); /* reserved bits stay zero */
	ck_assert_uint_eq(pt_config_msix_table_read(&c, 28, 4), 0);
	ck_assert_uint_eq(e.vector_calls, 1);
	ck_assert_uint_eq(e.last_vector, 1);
	ck_assert_int_eq(pt_config_msix_entry(&c, 1, &addr, &data, &masked), 0);
	ck_assert_uint_eq(addr, 0xfee00000);
	ck_assert_uint_eq(data, 0x4061);
	ck_assert(!masked);

	/* Enable with the function masked, then unmask the function. */
	pt_config_write(&c, 0xa2, 2, PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL | 0x7ff);
	ck_assert_uint_eq(pt_config_read(&c, 0xa2, 2),
			  PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL | 4);
	ck_assert_uint_eq(e.msix_calls, 1);
	ck_assert(e.msix_enabled && e.msix_masked);
	pt_config_msix_entry(&c, 1, &addr, &data, &masked);
	ck_assert(masked);
	pt_config_write(&c, 0xa3, 1, PCI_MSIX_FLAGS_ENABLE >> 8);
	ck_assert_uint_eq(e.msix_calls, 2);
	ck_assert(e.msix_enabled && !e.msix_masked);
	pt_config_write(&c, 0xa3, 1, PCI_MSIX_FLAGS_ENABLE >> 8);
	ck_assert_uint_eq(e.msix_calls, 2);

	/* A message change on an unmasked vector is news; on a masked one it is not. */
	pt_config_msix_table_write(&c, 24, 4, 0x4062);
	ck_assert_uint_eq(e.vector_calls, 2);
	pt_config_msix_table_write(&c, 32, 8, 0x00000001fee01000ull);
	ck_assert_uint_eq(e.vector_calls, 2);
	ck_assert_uint_eq(pt_config_msix_table_read(&c, 32, 8), 0x00000001fee01000ull);
	ck_assert_uint_eq(pt_config_msix_table_read(&c, 36, 4), 1);
	pt_config_msix_table_write(&c, 40, 8, 0x0000000000004071ull); /* data, and unmask */
	ck_assert_uint_eq(e.vector_calls, 3);
	ck_assert_uint_eq(e.last_vector, 2);
	pt_config_msix_entry(&c, 2, &addr, &data, &masked);
	ck_assert_uint_eq(addr, 0x1fee01000ull);
	ck_assert_uint_eq(data, 0x4071);
	ck_assert(!masked);

	/* Odd accesses: all ones, ignored. */
	ck_assert_uint_eq(pt_config_msix_table_read(&c, 2, 4), 0xffffffff);
	ck_assert_uint_eq(pt_config_msix_table_read(&c, 4, 8), ~0ull);
	ck_assert_uint_eq(pt_config_msix_table_read(&c, 5 * 16, 4), 0xffffffff);
	ck_assert_uint_eq(pt_config_msix_table_read(&c, 0, 2), 0xffff);
	pt_config_msix_table_write(&c, 26, 4, 0);
	pt_config_msix_table_write(&c, 5 * 16, 4, 0);
	pt_config_msix_table_write(&c, 24, 2, 0);
	ck_assert_uint_eq(pt_config_msix_table_read(&c, 24, 4), 0x4062);
	ck_assert_int_eq(pt_config_msix_entry(&c, 5, &addr, &data, &masked), -EINVAL);

	/* The PBA: the owner's pending bits, read-only to the guest. */
	ck_assert_uint_eq(pt_config_msix_pba_read(&c, 0, 8), 0);
	pt_config_msix_set_pending(&c, 1, true);
	pt_config_msix_set_pending(&c, 4, true);
	pt_config_msix_set_pending(&c, 99, true);
	ck_assert_uint_eq(pt_config_msix_pba_read(&c, 0, 4), 0x12);
	ck_assert_uint_eq(pt_config_msix_pba_read(&c, 4, 4), 0);
	ck_assert(pt_config_msix_pending(&c, 4));
	pt_config_msix_set_pending(&c, 4, false);
	ck_assert(!pt_config_msix_pending(&c, 4));
	ck_assert_uint_eq(pt_config_msix_pba_read(&c, 8, 4), 0xffffffff);

	pt_config_write(&c, 0xa2, 2, 0);
	ck_assert(!e.msix_enabled);
	ck_assert_uint_eq(d.writes, 1);
	pt_config_destroy(&c);
}
END_TEST

START_TEST(test_msix_outside_its_bar_is_hidden)
{
	struct fake_device d;
	struct pt_config c;
	struct events e;

	fake_init(&d);
	put32(d.config + 0xa4, 0x00003ff5); /* the table runs past BAR5's 16 KiB */
	config_open(&c, &d, &e);
	ck_assert_uint_eq(pt_config_msix_vectors(&c), 0);
	ck_assert_uint_eq(pt_config_read(&c, 0x81, 1), 0);
	pt_config_destroy(&c);

	fake_init(&d);
	put32(d.config + 0xa4, 0x00000004); /* BAR4: I/O, absent */
	config_open(&c, &d, &e);
	ck_assert_uint_eq(pt_config_msix_vectors(&c), 0);
	pt_config_destroy(&c);
}
END_TEST

START_TEST(test_reset_turns_everything_off)
{
	struct fake_device d;
	struct pt_config c;
	struct events e;

	fake_init(&d);
	config_open(&c, &d, &e);
	pt_config_write(&c, PCI_BASE_ADDRESS_0, 4, 0xc0000000);
	pt_config_write(&c, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	pt_config_write(&c, 0x64, 4, 0xfee00000);
	pt_config_write(&c, 0x62, 2, PCI_MSI_FLAGS_ENABLE);
	pt_config_write(&c, 0xa2, 2, PCI_MSIX_FLAGS_ENABLE);
	pt_config_msix_table_write(&c, 12, 4, 0);
	pt_config_write(&c, PCI_INTERRUPT_LINE, 1, 5);
	pt_config_reset(&c);
	ck_assert(!e.mapped[0] && !e.mapped[2] && !e.mapped[5]);
	ck_assert(!e.msi_enabled);
	ck_assert(!e.msix_enabled);
	ck_assert_uint_eq(device_command(&d), 0);
	ck_assert_uint_eq(pt_config_read(&c, PCI_BASE_ADDRESS_0, 4), 0);
	ck_assert_uint_eq(pt_config_read(&c, PCI_BASE_ADDRESS_2, 4), 0xc);
	ck_assert_uint_eq(pt_config_read(&c, 0x64, 4), 0);
	ck_assert_uint_eq(pt_config_read(&c, PCI_INTERRUPT_LINE, 1), 0);
	ck_assert_uint_eq(pt_config_msix_table_read(&c, 12, 4), 1);
	ck_assert(!e.model_broken);
	pt_config_destroy(&c);
}
END_TEST

START_TEST(test_init_refuses_what_it_cannot_present)
{
	struct fake_device d;
	struct pt_config c;
	char err[256] = "";

	fake_init(&d);
	d.config[PCI_HEADER_TYPE] = PCI_HEADER_TYPE_BRIDGE;
	ck_assert_int_eq(pt_config_init(&c, &d.backend, err, sizeof(err)), -ENOTSUP);
	ck_assert_ptr_nonnull(strstr(err, "0000:03:00.0"));

	fake_init(&d);
	memset(d.config, 0xff, sizeof(d.config));
	ck_assert_int_eq(pt_config_init(&c, &d.backend, err, sizeof(err)), -ENODEV);

	fake_init(&d);
	d.fail_reads = true;
	ck_assert_int_eq(pt_config_init(&c, &d.backend, err, sizeof(err)), -EIO);
	ck_assert_ptr_nonnull(strstr(err, "configuration space"));

	/* A back end that dies later: its live bytes read as all ones. */
	fake_init(&d);
	ck_assert_int_eq(pt_config_init(&c, &d.backend, err, sizeof(err)), 0);
	d.fail_reads = true;
	ck_assert_uint_eq(pt_config_read(&c, PCI_VENDOR_ID, 4), 0xffffffff);
	ck_assert_uint_eq(pt_config_read(&c, PCI_COMMAND, 2), 0);
	pt_config_destroy(&c);
}
END_TEST

/* ---- Fuzz ------------------------------------------------------------------------------------ */

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* The bytes a guest may change: command, status, BARs, interrupt line, MSI, MSI-X control. */
static bool guest_changeable(uint32_t o)
{
	return (o >= PCI_COMMAND && o < PCI_COMMAND + 4) ||
	       (o >= PCI_BASE_ADDRESS_0 && o < PCI_BASE_ADDRESS_5 + 4) || o == PCI_INTERRUPT_LINE ||
	       (o >= 0x62 && o < 0x78) || o == 0xa2 || o == 0xa3;
}

static void fuzz_write(struct pt_config *c, uint64_t *seed, uint32_t offset)
{
	static const uint32_t lens[] = { 1, 2, 4 };
	uint32_t len = lens[xorshift(seed) % 3];
	uint32_t value = xorshift(seed);

	if (xorshift(seed) % 4 == 0)
		value = xorshift(seed) % 2 ? 0xffffffff : 0;
	pt_config_write(c, offset, len, value);
}

START_TEST(test_fuzz_random_writes)
{
	struct fake_device d;
	struct pt_config c;
	struct events e;
	uint8_t before[PT_CONFIG_SIZE];
	uint64_t seed = 0x9e3779b97f4a7c15ull;

	fake_init(&d);
	config_open(&c, &d, &e);
	for (uint32_t o = 0; o < PT_CONFIG_SIZE; o++)
		before[o] = pt_config_read(&c, o, 1);
	for (int round = 0; round < 4; round++)
		for (uint32_t o = 0; o < PT_CONFIG_SIZE + 8; o++)
			fuzz_write(&c, &seed, o);
	for (int i = 0; i < 200000; i++) {
		uint32_t offset = xorshift(&seed) % (PT_CONFIG_SIZE + 16);

		if (i % 7 == 0)
			offset = 0x04 + xorshift(&seed) % 0x24; /* command .. BARs, often */
		fuzz_write(&c, &seed, offset);
		if (i % 5 == 0) {
			uint32_t len = xorshift(&seed) % 2 ? 4 : 8;

			pt_config_msix_table_write(&c, xorshift(&seed) % 96, len, xorshift(&seed));
			pt_config_msix_table_read(&c, xorshift(&seed) % 96, len);
		}
		if (i % 1000 == 0) {
			for (uint32_t o = 0; o < PT_CONFIG_SIZE; o++)
				if (!guest_changeable(o))
					ck_assert_msg(pt_config_read(&c, o, 1) == before[o],
						      "byte 0x%02x changed to 0x%02x", o,
						      pt_config_read(&c, o, 1));
			ck_assert_uint_eq(pt_config_read(&c, PCI_BASE_ADDRESS_0, 4) & 0x1ffff, 0);
			ck_assert_uint_eq(pt_config_read(&c, PCI_BASE_ADDRESS_2, 4) & 0xffffff,
					  0xc);
			ck_assert_uint_eq(pt_config_read(&c, PCI_BASE_ADDRESS_4, 4), 0);
			ck_assert_uint_eq(pt_config_read(&c, PCI_ROM_ADDRESS, 4), 0);
		}
		ck_assert_uint_eq(device_command(&d) & PCI_COMMAND_IO, 0);
	}
	for (uint32_t o = 0; o < PT_CONFIG_SIZE; o++)
		if (!guest_changeable(o))
			ck_assert_uint_eq(pt_config_read(&c, o, 1), before[o]);
	/* The owner's mappings followed the callbacks consistently to the end. */
	ck_assert(!e.model_broken);
	for (unsigned int i = 0; i < PT_BARS; i++) {
		if (!pt_config_bar(&c, i)->size)
			continue;
		ck_assert(e.mapped[i] ==
			  !!(pt_config_read(&c, PCI_COMMAND, 2) & PCI_COMMAND_MEMORY));
		if (e.mapped[i])
			ck_assert_uint_eq(e.mapped_at[i], pt_config_bar(&c, i)->gpa);
	}
	ck_assert(!d.stray_write);
	pt_config_destroy(&c);
}
END_TEST

Suite *pci_config_suite(void)
{
	Suite *suite = suite_create("pci-config");
	TCase *header = tcase_create("header");
	TCase *caps = tcase_create("capabilities");
	TCase *fuzz = tcase_create("fuzz");

	tcase_add_test(header, test_header_identity_and_read_only_fields);
	tcase_add_test(header, test_bar_sizing);
	tcase_add_test(header, test_bar_relocation_callbacks);
	tcase_add_test(header, test_command_and_status_split);
	tcase_add_test(header, test_reset_turns_everything_off);
	tcase_add_test(header, test_init_refuses_what_it_cannot_present);
	suite_add_tcase(suite, header);

	tcase_add_test(caps, test_capability_list_filtered_and_relinked);
	tcase_add_test(caps, test_msi_64bit_maskable);
	tcase_add_test(caps, test_msi_32bit);
	tcase_add_test(caps, test_msix_table_masking);
	tcase_add_test(caps, test_msix_outside_its_bar_is_hidden);
	suite_add_tcase(suite, caps);

	tcase_add_test(fuzz, test_fuzz_random_writes);
	suite_add_tcase(suite, fuzz);
	return suite;
}

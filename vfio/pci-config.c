/* Configuration-space virtualization for passed-through PCI devices (rules in pci-config.h). */
#include "vfio/pci-config.h"

#include <errno.h>
#include <linux/pci_regs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/log.h"

/* Command bits the device gets, and those kept here only. */
#define COMMAND_PASSED (PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE)
#define COMMAND_EMULATED (PCI_COMMAND_INVALIDATE | PCI_COMMAND_PARITY | PCI_COMMAND_SERR)
#define STATUS_W1C                                                                       \
	(PCI_STATUS_PARITY | PCI_STATUS_SIG_TARGET_ABORT | PCI_STATUS_REC_TARGET_ABORT | \
	 PCI_STATUS_REC_MASTER_ABORT | PCI_STATUS_SIG_SYSTEM_ERROR | PCI_STATUS_DETECTED_PARITY)

#define CAP_LIST_MAX 48 /* (256 - 64) / 4: a longer walk is a loop */
#define MSIX_ENTRY_SIZE 16

static uint32_t le_get(const uint8_t *p, uint32_t len)
{
	uint32_t v = 0;

	for (uint32_t i = 0; i < len; i++)
		v |= (uint32_t)p[i] << (8 * i);
	return v;
}

/* Beyond 4 bytes (a whole capability at once) the value is zero-extended. */
static void le_put(uint8_t *p, uint32_t len, uint32_t v)
{
	for (uint32_t i = 0; i < len; i++)
		p[i] = i < 4 ? v >> (8 * i) : 0;
}

/* Make [offset, offset + len) emulated, reading value, with writable bits the guest may change. */
static void emulate(struct pt_config *c, uint32_t offset, uint32_t len, uint32_t value,
		    uint32_t writable)
{
	le_put(c->config + offset, len, value);
	le_put(c->writable + offset, len, writable);
	memset(c->emulated + offset, 0xff, len);
}

static uint32_t config_get(const struct pt_config *c, uint32_t offset, uint32_t len)
{
	return le_get(c->config + offset, len);
}

static bool touches(uint32_t offset, uint32_t len, uint32_t start, uint32_t size)
{
	return offset < start + size && start < offset + len;
}

static int device_read(struct pt_config *c, uint32_t offset, void *data, uint32_t len)
{
	return c->backend->ops->region_read(c->backend, VFIO_PCI_CONFIG_REGION_INDEX, offset, data,
					    len);
}

static void device_write(struct pt_config *c, uint32_t offset, uint32_t len, uint32_t value)
{
	uint8_t data[4];
	int ret;

	le_put(data, len, value);
	ret = c->backend->ops->region_write(c->backend, VFIO_PCI_CONFIG_REGION_INDEX, offset, data,
					    len);
	if (ret)
		log_warn("%s: config write of %u bytes at 0x%x failed: %s", c->backend->name, len,
			 offset, strerror(-ret));
}

/* ---- BARs ----------------------------------------------------------------------------- */

static uint64_t bar_decode(const struct pt_config *c, unsigned int i)
{
	uint64_t gpa = config_get(c, PCI_BASE_ADDRESS_0 + 4 * i, 4) & PCI_BASE_ADDRESS_MEM_MASK;

	if (c->bars[i].is64)
		gpa |= (uint64_t)config_get(c, PCI_BASE_ADDRESS_0 + 4 * (i + 1), 4) << 32;
	return gpa;
}

static uint64_t round_up_pow2(uint64_t v)
{
	uint64_t p = 16; /* the smallest memory BAR */

	while (p < v && p)
		p <<= 1;
	return p;
}

static int bars_init(struct pt_config *c, const uint8_t *hw, char *err, size_t errlen)
{
	struct pt_backend *b = c->backend;

	for (unsigned int i = 0; i < PT_BARS; i++) {
		uint32_t offset = PCI_BASE_ADDRESS_0 + 4 * i;
		uint32_t reg = le_get(hw + offset, 4);
		struct vfio_region_info info = {
			.argsz = sizeof(info),
			.index = VFIO_PCI_BAR0_REGION_INDEX + i,
		};
		struct pt_bar *bar = &c->bars[i];
		uint64_t mask;
		int mmap_fd, ret;

		emulate(c, offset, 4, 0, 0);
		ret = b->ops->region_info(b, &info, &mmap_fd);
		if (ret) {
			snprintf(err, errlen, "%s: cannot learn BAR%u's size: %s", b->name, i,
				 strerror(-ret));
			return ret;
		}
		if (!info.size)
			continue;
		if (reg & PCI_BASE_ADDRESS_SPACE_IO) {
			log_warn("%s: BAR%u is an I/O BAR: not supported, hidden from the guest",
				 b->name, i);
			continue;
		}
		bar->is64 = (reg & PCI_BASE_ADDRESS_MEM_TYPE_MASK) == PCI_BASE_ADDRESS_MEM_TYPE_64;
		bar->prefetch = reg & PCI_BASE_ADDRESS_MEM_PREFETCH;
		bar->size = round_up_pow2(info.size);
		if ((bar->is64 && i == PT_BARS - 1) || !bar->size ||
		    (!bar->is64 && bar->size > (1ull << 32))) {
			log_warn("%s: BAR%u (%llu bytes) cannot be presented: hidden", b->name, i,
				 (unsigned long long)info.size);
			memset(bar, 0, sizeof(*bar));
			continue;
		}
		mask = ~(bar->size - 1);
		emulate(c, offset, 4,
			(bar->is64 ? PCI_BASE_ADDRESS_MEM_TYPE_64 : 0) |
				(bar->prefetch ? PCI_BASE_ADDRESS_MEM_PREFETCH : 0),
			(uint32_t)mask & PCI_BASE_ADDRESS_MEM_MASK);
		if (bar->is64) {
			emulate(c, offset + 4, 4, 0, mask >> 32);
			i++;
		}
	}
	return 0;
}

static void bars_update(struct pt_config *c)
{
	for (unsigned int i = 0; i < PT_BARS; i++) {
		struct pt_bar *bar = &c->bars[i];
		uint64_t old = bar->gpa;

		if (!bar->size)
			continue;
		bar->gpa = bar_decode(c, i);
		if (bar->gpa != old && c->memory_enabled && c->ops && c->ops->bar_moved)
			c->ops->bar_moved(c->opaque, i, old, bar->gpa, true);
	}
}

static void bars_switch(struct pt_config *c, bool enabled)
{
	c->memory_enabled = enabled;
	for (unsigned int i = 0; i < PT_BARS; i++)
		if (c->bars[i].size && c->ops && c->ops->bar_moved)
			c->ops->bar_moved(c->opaque, i, c->bars[i].gpa, c->bars[i].gpa, enabled);
}

/* ---- Command ---------------------------------------------------------------------------- */

static void command_update(struct pt_config *c, uint16_t old)
{
	uint16_t now = config_get(c, PCI_COMMAND, 2);
	bool memory = now & PCI_COMMAND_MEMORY;
	bool intx_disabled = now & PCI_COMMAND_INTX_DISABLE;
	uint8_t raw[2];

	if (!memory && c->memory_enabled)
		bars_switch(c, false); /* unmap before the device stops decoding */
	if ((old ^ now) & COMMAND_PASSED) {
		uint16_t device = 0;

		if (!device_read(c, PCI_COMMAND, raw, 2))
			device = le_get(raw, 2);
		device &= ~(COMMAND_PASSED | PCI_COMMAND_IO);
		device_write(c, PCI_COMMAND, 2, device | (now & COMMAND_PASSED));
	}
	if (memory && !c->memory_enabled)
		bars_switch(c, true);
	if (intx_disabled != c->intx_disabled) {
		c->intx_disabled = intx_disabled;
		if (c->ops && c->ops->intx_update)
			c->ops->intx_update(c->opaque, intx_disabled);
	}
}

/* ---- MSI -------------------------------------------------------------------------------- */

static uint32_t msi_len(uint16_t flags)
{
	return 10 + (flags & PCI_MSI_FLAGS_64BIT ? 4 : 0) +
	       (flags & PCI_MSI_FLAGS_MASKBIT ? 10 : 0);
}

static uint32_t msi_data_offset(uint16_t flags)
{
	return flags & PCI_MSI_FLAGS_64BIT ? PCI_MSI_DATA_64 : PCI_MSI_DATA_32;
}

static uint32_t msi_mask_offset(uint16_t flags)
{
	return flags & PCI_MSI_FLAGS_64BIT ? PCI_MSI_MASK_64 : PCI_MSI_MASK_32;
}

static bool msi_init(struct pt_config *c, const uint8_t *hw, uint32_t pos)
{
	uint16_t flags = le_get(hw + pos + PCI_MSI_FLAGS, 2);
	uint32_t len = msi_len(flags), capable = (flags & PCI_MSI_FLAGS_QMASK) >> 1;

	if (c->msi_cap || pos + len > PT_CONFIG_SIZE)
		return false;
	if (capable > 5) { /* reserved encodings: the device can do one vector */
		capable = 0;
		flags &= ~PCI_MSI_FLAGS_QMASK;
	}
	emulate(c, pos, len, 0, 0);
	emulate(c, pos + PCI_MSI_FLAGS, 2,
		flags & (PCI_MSI_FLAGS_QMASK | PCI_MSI_FLAGS_64BIT | PCI_MSI_FLAGS_MASKBIT),
		PCI_MSI_FLAGS_ENABLE | PCI_MSI_FLAGS_QSIZE);
	emulate(c, pos + PCI_MSI_ADDRESS_LO, 4, 0, 0xfffffffc);
	if (flags & PCI_MSI_FLAGS_64BIT)
		emulate(c, pos + PCI_MSI_ADDRESS_HI, 4, 0, 0xffffffff);
	emulate(c, pos + msi_data_offset(flags), 2, 0, 0xffff);
	if (flags & PCI_MSI_FLAGS_MASKBIT)
		emulate(c, pos + msi_mask_offset(flags), 4, 0,
			capable == 5 ? 0xffffffff : (1u << (1u << capable)) - 1);
	c->msi_cap = pos;
	return true;
}

static void msi_update(struct pt_config *c)
{
	uint32_t pos = c->msi_cap;
	uint16_t flags = config_get(c, pos + PCI_MSI_FLAGS, 2);
	unsigned int capable = (flags & PCI_MSI_FLAGS_QMASK) >> 1;
	unsigned int enabled_log2 = (flags & PCI_MSI_FLAGS_QSIZE) >> 4;
	bool enabled = flags & PCI_MSI_FLAGS_ENABLE;
	uint64_t addr = config_get(c, pos + PCI_MSI_ADDRESS_LO, 4);
	uint32_t data = config_get(c, pos + msi_data_offset(flags), 2), mask = 0;

	if (enabled_log2 > capable) { /* more than the device can: it gets what it has */
		enabled_log2 = capable;
		flags = (flags & ~PCI_MSI_FLAGS_QSIZE) | enabled_log2 << 4;
		le_put(c->config + pos + PCI_MSI_FLAGS, 2, flags);
	}
	if (flags & PCI_MSI_FLAGS_64BIT)
		addr |= (uint64_t)config_get(c, pos + PCI_MSI_ADDRESS_HI, 4) << 32;
	if (flags & PCI_MSI_FLAGS_MASKBIT)
		mask = config_get(c, pos + msi_mask_offset(flags), 4);
	if (enabled == c->msi.enabled &&
	    (!enabled || (addr == c->msi.addr && data == c->msi.data &&
			  (1u << enabled_log2) == c->msi.nvec && mask == c->msi.mask)))
		return;
	c->msi.enabled = enabled;
	c->msi.addr = addr;
	c->msi.data = data;
	c->msi.nvec = 1u << enabled_log2;
	c->msi.mask = mask;
	if (c->ops && c->ops->msi_update)
		c->ops->msi_update(c->opaque, enabled, addr, data, c->msi.nvec, mask);
}

/* ---- MSI-X ------------------------------------------------------------------------------ */

/* 1: keep the capability, 0: hide it, -ENOMEM. */
static int msix_init(struct pt_config *c, const uint8_t *hw, uint32_t pos)
{
	uint16_t flags = le_get(hw + pos + PCI_MSIX_FLAGS, 2);
	uint32_t table = le_get(hw + pos + PCI_MSIX_TABLE, 4);
	uint32_t pba = le_get(hw + pos + PCI_MSIX_PBA, 4);
	unsigned int vectors = (flags & PCI_MSIX_FLAGS_QSIZE) + 1;
	unsigned int table_bar = table & PCI_MSIX_TABLE_BIR, pba_bar = pba & PCI_MSIX_PBA_BIR;
	uint64_t table_offset = table & PCI_MSIX_TABLE_OFFSET;
	uint64_t pba_offset = pba & PCI_MSIX_PBA_OFFSET;

	if (c->msix_cap || pos + PCI_CAP_MSIX_SIZEOF > PT_CONFIG_SIZE)
		return 0;
	if (table_bar >= PT_BARS || pba_bar >= PT_BARS || !c->bars[table_bar].size ||
	    !c->bars[pba_bar].size ||
	    table_offset + (uint64_t)vectors * MSIX_ENTRY_SIZE > c->bars[table_bar].size ||
	    pba_offset + (vectors + 63) / 64 * 8 > c->bars[pba_bar].size) {
		log_warn("%s: its MSI-X table (BAR%u at 0x%llx) or PBA (BAR%u at 0x%llx) is "
			 "outside a memory BAR: MSI-X hidden from the guest",
			 c->backend->name, table_bar, (unsigned long long)table_offset, pba_bar,
			 (unsigned long long)pba_offset);
		return 0;
	}
	c->msix.table = calloc(vectors, sizeof(*c->msix.table));
	c->msix.pending = calloc((vectors + 63) / 64, sizeof(*c->msix.pending));
	if (!c->msix.table || !c->msix.pending)
		return -ENOMEM;
	for (unsigned int i = 0; i < vectors; i++)
		c->msix.table[i][3] = PCI_MSIX_ENTRY_CTRL_MASKBIT;
	c->msix.vectors = vectors;
	c->msix.table_bar = table_bar;
	c->msix.table_offset = table_offset;
	c->msix.pba_bar = pba_bar;
	c->msix.pba_offset = pba_offset;
	emulate(c, pos + PCI_MSIX_FLAGS, 2, flags & PCI_MSIX_FLAGS_QSIZE,
		PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
	emulate(c, pos + PCI_MSIX_TABLE, 4, table, 0);
	emulate(c, pos + PCI_MSIX_PBA, 4, pba, 0);
	c->msix_cap = pos;
	return 1;
}

static void msix_update(struct pt_config *c)
{
	uint16_t flags = config_get(c, c->msix_cap + PCI_MSIX_FLAGS, 2);
	bool enabled = flags & PCI_MSIX_FLAGS_ENABLE;
	bool masked = flags & PCI_MSIX_FLAGS_MASKALL;

	if (enabled == c->msix.enabled && masked == c->msix.function_masked)
		return;
	c->msix.enabled = enabled;
	c->msix.function_masked = masked;
	if (c->ops && c->ops->msix_update)
		c->ops->msix_update(c->opaque, enabled, masked);
}

/* ---- Capabilities ----------------------------------------------------------------------- */

static int caps_init(struct pt_config *c, const uint8_t *hw)
{
	uint32_t link = PCI_CAPABILITY_LIST, pos = hw[PCI_CAPABILITY_LIST] & ~3u;
	bool seen[PT_CONFIG_SIZE] = { false };

	if (!(le_get(hw + PCI_STATUS, 2) & PCI_STATUS_CAP_LIST))
		pos = 0;
	for (int n = 0; n < CAP_LIST_MAX && pos >= PCI_STD_HEADER_SIZEOF && !seen[pos]; n++) {
		uint8_t id = hw[pos];
		int keep = 0;

		seen[pos] = true;
		switch (id) {
		case PCI_CAP_ID_PM:
			keep = !c->pm_cap;
			if (keep)
				c->pm_cap = pos;
			break;
		case PCI_CAP_ID_EXP:
			keep = !c->pcie_cap;
			if (keep)
				c->pcie_cap = pos;
			break;
		case PCI_CAP_ID_MSI:
			keep = msi_init(c, hw, pos);
			break;
		case PCI_CAP_ID_MSIX:
			keep = msix_init(c, hw, pos);
			if (keep < 0)
				return keep;
			break;
		}
		if (keep) {
			emulate(c, link, 1, pos, 0);
			emulate(c, pos, 1, id, 0);
			link = pos + PCI_CAP_LIST_NEXT;
		} else {
			log_debug("%s: capability 0x%02x at 0x%02x hidden from the guest",
				  c->backend->name, id, pos);
		}
		pos = hw[pos + PCI_CAP_LIST_NEXT] & ~3u;
	}
	emulate(c, link, 1, 0, 0);
	return 0;
}

/* ---- The guest's accesses -------------------------------------------------------------- */

int pt_config_init(struct pt_config *c, struct pt_backend *b, char *err, size_t errlen)
{
	uint8_t hw[PT_CONFIG_SIZE];
	uint16_t command;
	int ret;

	memset(c, 0, sizeof(*c));
	c->backend = b;
	ret = device_read(c, 0, hw, sizeof(hw));
	if (ret) {
		snprintf(err, errlen, "%s: cannot read its configuration space: %s", b->name,
			 strerror(-ret));
		return ret;
	}
	if (le_get(hw + PCI_VENDOR_ID, 2) == 0xffff || le_get(hw + PCI_VENDOR_ID, 2) == 0) {
		snprintf(err, errlen, "%s: its configuration space reads as no device", b->name);
		return -ENODEV;
	}
	if ((hw[PCI_HEADER_TYPE] & 0x7f) != PCI_HEADER_TYPE_NORMAL) {
		snprintf(err, errlen,
			 "%s has header type %u (a bridge?): only endpoints can be passed through",
			 b->name, hw[PCI_HEADER_TYPE] & 0x7f);
		return -ENOTSUP;
	}
	memcpy(c->config, hw, sizeof(hw));
	emulate(c, PCI_HEADER_TYPE, 1, hw[PCI_HEADER_TYPE] & 0x7f, 0);
	emulate(c, PCI_COMMAND, 2, 0, COMMAND_PASSED | COMMAND_EMULATED);
	emulate(c, PCI_ROM_ADDRESS, 4, 0, 0);
	emulate(c, PCI_INTERRUPT_LINE, 1, 0, 0xff);
	ret = bars_init(c, hw, err, errlen);
	if (!ret)
		ret = caps_init(c, hw);
	if (ret) {
		if (ret == -ENOMEM)
			snprintf(err, errlen, "%s: out of memory", b->name);
		pt_config_destroy(c);
		return ret;
	}
	command = le_get(hw + PCI_COMMAND, 2);
	if (command & (COMMAND_PASSED | PCI_COMMAND_IO))
		device_write(c, PCI_COMMAND, 2, command & ~(COMMAND_PASSED | PCI_COMMAND_IO));
	return 0;
}

void pt_config_destroy(struct pt_config *c)
{
	free(c->msix.table);
	free(c->msix.pending);
	c->msix.table = NULL;
	c->msix.pending = NULL;
	c->msix.vectors = 0;
	c->msix_cap = 0;
}

void pt_config_reset(struct pt_config *c)
{
	uint16_t flags;

	pt_config_write(c, PCI_COMMAND, 2, 0);
	if (c->msi_cap)
		pt_config_write(c, c->msi_cap + PCI_MSI_FLAGS, 2, 0);
	if (c->msix_cap)
		pt_config_write(c, c->msix_cap + PCI_MSIX_FLAGS, 2, 0);
	for (unsigned int i = 0; i < PT_BARS; i++) {
		uint32_t offset = PCI_BASE_ADDRESS_0 + 4 * i;

		le_put(c->config + offset, 4,
		       config_get(c, offset, 4) & ~le_get(c->writable + offset, 4));
		c->bars[i].gpa = 0;
	}
	c->config[PCI_INTERRUPT_LINE] = 0;
	if (c->msi_cap) {
		flags = config_get(c, c->msi_cap + PCI_MSI_FLAGS, 2);
		for (uint32_t o = PCI_MSI_ADDRESS_LO; o < msi_len(flags); o++)
			c->config[c->msi_cap + o] = 0;
		c->msi.addr = c->msi.data = c->msi.mask = 0;
	}
	for (unsigned int i = 0; i < c->msix.vectors; i++) {
		memset(c->msix.table[i], 0, sizeof(c->msix.table[i]));
		c->msix.table[i][3] = PCI_MSIX_ENTRY_CTRL_MASKBIT;
	}
	if (c->msix.vectors)
		memset(c->msix.pending, 0, (c->msix.vectors + 63) / 64 * 8);
}

uint32_t pt_config_read(struct pt_config *c, uint32_t offset, uint32_t len)
{
	uint8_t live[4] = { 0xff, 0xff, 0xff, 0xff };
	uint32_t value = 0;
	bool need_live = false;

	if (len != 1 && len != 2 && len != 4)
		return 0xffffffff;
	for (uint32_t i = 0; i < len; i++)
		if ((uint64_t)offset + i < PT_CONFIG_SIZE && c->emulated[offset + i] != 0xff)
			need_live = true;
	if (need_live && device_read(c, offset, live,
				     offset + len > PT_CONFIG_SIZE ? PT_CONFIG_SIZE - offset : len))
		memset(live, 0xff, sizeof(live));
	for (uint32_t i = 0; i < len; i++) {
		uint64_t o = (uint64_t)offset + i;
		uint8_t byte = 0xff;

		if (o < PT_CONFIG_SIZE)
			byte = (c->config[o] & c->emulated[o]) | (live[i] & ~c->emulated[o]);
		value |= (uint32_t)byte << (8 * i);
	}
	return value;
}

void pt_config_write(struct pt_config *c, uint32_t offset, uint32_t len, uint32_t value)
{
	uint16_t old_command = config_get(c, PCI_COMMAND, 2), w1c = 0;

	if ((len != 1 && len != 2 && len != 4) || offset >= PT_CONFIG_SIZE)
		return;
	if (offset + len > PT_CONFIG_SIZE)
		len = PT_CONFIG_SIZE - offset;
	for (uint32_t i = 0; i < len; i++) {
		uint32_t o = offset + i;
		uint8_t byte = value >> (8 * i);

		c->config[o] = (c->config[o] & ~c->writable[o]) | (byte & c->writable[o]);
		if (o == PCI_STATUS || o == PCI_STATUS + 1)
			w1c |= (uint16_t)byte << (8 * (o - PCI_STATUS));
	}
	w1c &= STATUS_W1C;
	if (w1c)
		device_write(c, PCI_STATUS, 2, w1c);
	if (touches(offset, len, PCI_COMMAND, 2))
		command_update(c, old_command);
	if (touches(offset, len, PCI_BASE_ADDRESS_0, 4 * PT_BARS))
		bars_update(c);
	if (c->msi_cap &&
	    touches(offset, len, c->msi_cap, msi_len(config_get(c, c->msi_cap + PCI_MSI_FLAGS, 2))))
		msi_update(c);
	if (c->msix_cap && touches(offset, len, c->msix_cap + PCI_MSIX_FLAGS, 2))
		msix_update(c);
}

const struct pt_bar *pt_config_bar(const struct pt_config *c, unsigned int bar)
{
	return bar < PT_BARS ? &c->bars[bar] : NULL;
}

/* ---- The MSI-X table and PBA ------------------------------------------------------------ */

unsigned int pt_config_msix_vectors(const struct pt_config *c)
{
	return c->msix.vectors;
}

int pt_config_msix_table(const struct pt_config *c, unsigned int *bar, uint64_t *offset,
			 uint64_t *size)
{
	if (!c->msix.vectors)
		return -ENOENT;
	*bar = c->msix.table_bar;
	*offset = c->msix.table_offset;
	*size = (uint64_t)c->msix.vectors * MSIX_ENTRY_SIZE;
	return 0;
}

int pt_config_msix_pba(const struct pt_config *c, unsigned int *bar, uint64_t *offset,
		       uint64_t *size)
{
	if (!c->msix.vectors)
		return -ENOENT;
	*bar = c->msix.pba_bar;
	*offset = c->msix.pba_offset;
	*size = (c->msix.vectors + 63) / 64 * 8;
	return 0;
}

static bool msix_access_ok(uint64_t offset, uint32_t len, uint64_t size)
{
	return (len == 4 || len == 8) && !(offset % len) && offset < size && len <= size - offset;
}

static uint64_t all_ones(uint32_t len)
{
	return len >= 8 ? ~0ull : (1ull << (8 * len)) - 1;
}

uint64_t pt_config_msix_table_read(struct pt_config *c, uint64_t offset, uint32_t len)
{
	uint64_t value;
	uint32_t *entry;
	unsigned int field;

	if (!msix_access_ok(offset, len, (uint64_t)c->msix.vectors * MSIX_ENTRY_SIZE))
		return all_ones(len);
	entry = c->msix.table[offset / MSIX_ENTRY_SIZE];
	field = offset % MSIX_ENTRY_SIZE / 4;
	value = entry[field];
	if (len == 8)
		value |= (uint64_t)entry[field + 1] << 32;
	return value;
}

void pt_config_msix_table_write(struct pt_config *c, uint64_t offset, uint32_t len, uint64_t value)
{
	static const uint32_t writable[4] = { 0xfffffffc, 0xffffffff, 0xffffffff,
					      PCI_MSIX_ENTRY_CTRL_MASKBIT };
	unsigned int vector = offset / MSIX_ENTRY_SIZE, field = offset % MSIX_ENTRY_SIZE / 4;
	uint32_t old[4], *entry;
	bool was_masked, masked, message_changed;

	if (!msix_access_ok(offset, len, (uint64_t)c->msix.vectors * MSIX_ENTRY_SIZE))
		return;
	entry = c->msix.table[vector];
	memcpy(old, entry, sizeof(old));
	for (unsigned int i = 0; i < len / 4; i++, field++, value >>= 32)
		entry[field] = (uint32_t)value & writable[field];
	was_masked = old[3] & PCI_MSIX_ENTRY_CTRL_MASKBIT;
	masked = entry[3] & PCI_MSIX_ENTRY_CTRL_MASKBIT;
	message_changed = memcmp(old, entry, 3 * sizeof(uint32_t));
	if ((was_masked != masked || (!masked && message_changed)) && c->ops &&
	    c->ops->msix_vector_update)
		c->ops->msix_vector_update(c->opaque, vector);
}

uint64_t pt_config_msix_pba_read(struct pt_config *c, uint64_t offset, uint32_t len)
{
	uint64_t word;

	if (!msix_access_ok(offset, len, (c->msix.vectors + 63) / 64 * 8))
		return all_ones(len);
	word = c->msix.pending[offset / 8];
	return len == 8 ? word : (uint32_t)(word >> (8 * (offset % 8)));
}

int pt_config_msix_entry(const struct pt_config *c, unsigned int i, uint64_t *addr, uint32_t *data,
			 bool *masked)
{
	if (i >= c->msix.vectors)
		return -EINVAL;
	*addr = c->msix.table[i][0] | (uint64_t)c->msix.table[i][1] << 32;
	*data = c->msix.table[i][2];
	*masked = (c->msix.table[i][3] & PCI_MSIX_ENTRY_CTRL_MASKBIT) || c->msix.function_masked;
	return 0;
}

void pt_config_msix_set_pending(struct pt_config *c, unsigned int i, bool pending)
{
	if (i >= c->msix.vectors)
		return;
	if (pending)
		c->msix.pending[i / 64] |= 1ull << (i % 64);
	else
		c->msix.pending[i / 64] &= ~(1ull << (i % 64));
}

bool pt_config_msix_pending(const struct pt_config *c, unsigned int i)
{
	return i < c->msix.vectors && (c->msix.pending[i / 64] >> (i % 64) & 1);
}

/* ACPI tables (ACPI 6.5): RSDP, XSDT, FADT with FACS, MADT and an AML DSDT, written from data. */
#include "vmm/x86/acpi.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "kdom/abi.h"
#include "vmm/x86/aml.h"
#include "vmm/x86/layout.h"

struct acpi_header {
	char signature[4];
	uint32_t length;
	uint8_t revision;
	uint8_t checksum;
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	char creator_id[4];
	uint32_t creator_revision;
} __attribute__((packed));

struct acpi_rsdp {
	char signature[8]; /* "RSD PTR " */
	uint8_t checksum;  /* of the first 20 bytes (the ACPI 1.0 part) */
	char oem_id[6];
	uint8_t revision; /* 2: ACPI 2.0 and later */
	uint32_t rsdt;
	uint32_t length;
	uint64_t xsdt;
	uint8_t extended_checksum; /* of all 36 bytes */
	uint8_t reserved[3];
} __attribute__((packed));

/* Generic Address Structure */
struct acpi_gas {
	uint8_t space_id;
	uint8_t bit_width;
	uint8_t bit_offset;
	uint8_t access_size;
	uint64_t address;
} __attribute__((packed));

struct acpi_facs {
	char signature[4];
	uint32_t length;
	uint32_t hardware_signature;
	uint32_t waking_vector;
	uint32_t global_lock;
	uint32_t flags;
	uint64_t x_waking_vector;
	uint8_t version;
	uint8_t reserved[3];
	uint32_t ospm_flags;
	uint8_t reserved2[24];
} __attribute__((packed));

struct acpi_fadt {
	struct acpi_header header;
	uint32_t firmware_ctrl;
	uint32_t dsdt;
	uint8_t reserved0;
	uint8_t preferred_pm_profile;
	uint16_t sci_int;
	uint32_t smi_cmd;
	uint8_t acpi_enable, acpi_disable, s4bios_req, pstate_cnt;
	uint32_t pm1a_evt_blk, pm1b_evt_blk, pm1a_cnt_blk, pm1b_cnt_blk;
	uint32_t pm2_cnt_blk, pm_tmr_blk, gpe0_blk, gpe1_blk;
	uint8_t pm1_evt_len, pm1_cnt_len, pm2_cnt_len, pm_tmr_len;
	uint8_t gpe0_blk_len, gpe1_blk_len, gpe1_base, cst_cnt;
	uint16_t p_lvl2_lat, p_lvl3_lat, flush_size, flush_stride;
	uint8_t duty_offset, duty_width, day_alrm, mon_alrm, century;
	uint16_t iapc_boot_arch;
	uint8_t reserved1;
	uint32_t flags;
	struct acpi_gas reset_reg;
	uint8_t reset_value;
	uint16_t arm_boot_arch;
	uint8_t minor_version;
	uint64_t x_firmware_ctrl;
	uint64_t x_dsdt;
	struct acpi_gas x_pm1a_evt_blk, x_pm1b_evt_blk, x_pm1a_cnt_blk, x_pm1b_cnt_blk;
	struct acpi_gas x_pm2_cnt_blk, x_pm_tmr_blk, x_gpe0_blk, x_gpe1_blk;
	struct acpi_gas sleep_control_reg, sleep_status_reg;
	uint64_t hypervisor_vendor_id;
} __attribute__((packed));

struct acpi_madt {
	struct acpi_header header;
	uint32_t lapic_address;
	uint32_t flags;
} __attribute__((packed));

struct madt_lapic {
	uint8_t type, length; /* 0, 8 */
	uint8_t processor_uid;
	uint8_t apic_id;
	uint32_t flags;
} __attribute__((packed));

struct madt_ioapic {
	uint8_t type, length; /* 1, 12 */
	uint8_t id;
	uint8_t reserved;
	uint32_t address;
	uint32_t gsi_base;
} __attribute__((packed));

struct madt_override {
	uint8_t type, length; /* 2, 10 */
	uint8_t bus;	      /* 0: ISA */
	uint8_t source;	      /* the ISA IRQ */
	uint32_t gsi;
	uint16_t flags; /* MPS INTI flags */
} __attribute__((packed));

struct madt_lapic_nmi {
	uint8_t type, length; /* 4, 6 */
	uint8_t processor_uid;
	uint16_t flags;
	uint8_t lint;
} __attribute__((packed));

_Static_assert(sizeof(struct acpi_header) == 36, "ACPI table header");
_Static_assert(sizeof(struct acpi_rsdp) == 36, "RSDP");
_Static_assert(sizeof(struct acpi_gas) == 12, "Generic Address Structure");
_Static_assert(sizeof(struct acpi_facs) == 64, "FACS");
_Static_assert(__builtin_offsetof(struct acpi_fadt, sci_int) == 46, "FADT SCI_INT");
_Static_assert(__builtin_offsetof(struct acpi_fadt, pm1a_evt_blk) == 56, "FADT PM1a_EVT_BLK");
_Static_assert(__builtin_offsetof(struct acpi_fadt, pm1_evt_len) == 88, "FADT PM1_EVT_LEN");
_Static_assert(__builtin_offsetof(struct acpi_fadt, iapc_boot_arch) == 109, "FADT IAPC_BOOT_ARCH");
_Static_assert(__builtin_offsetof(struct acpi_fadt, flags) == 112, "FADT Flags");
_Static_assert(__builtin_offsetof(struct acpi_fadt, reset_value) == 128, "FADT RESET_VALUE");
_Static_assert(__builtin_offsetof(struct acpi_fadt, x_dsdt) == 140, "FADT X_DSDT");
_Static_assert(__builtin_offsetof(struct acpi_fadt, x_pm1a_cnt_blk) == 172, "FADT X_PM1a_CNT_BLK");
_Static_assert(__builtin_offsetof(struct acpi_fadt, sleep_control_reg) == 244,
	       "FADT SLEEP_CONTROL");
_Static_assert(sizeof(struct acpi_fadt) == 276, "FADT revision 6");
_Static_assert(sizeof(struct acpi_madt) == 44, "MADT header");
_Static_assert(sizeof(struct madt_lapic) == 8, "MADT local APIC");
_Static_assert(sizeof(struct madt_ioapic) == 12, "MADT I/O APIC");
_Static_assert(sizeof(struct madt_override) == 10, "MADT interrupt source override");
_Static_assert(sizeof(struct madt_lapic_nmi) == 6, "MADT local APIC NMI");

#define ACPI_OEM_ID "KDOM  "
#define ACPI_CREATOR_ID "KDOM"
#define ACPI_FADT_REVISION 6
#define ACPI_MADT_REVISION 5
#define ACPI_DSDT_REVISION 2 /* 2 and up: integers are 64 bits */
#define ACPI_XSDT_REVISION 1
#define ACPI_FACS_VERSION 2

#define ACPI_SPACE_SYSTEM_IO 1
#define ACPI_ACCESS_BYTE 1
#define ACPI_ACCESS_WORD 2

/* FADT flags: no fixed sleep button (bit 5 clear would announce one); bit 4, the power button, stays clear. */
#define FADT_WBINVD (1u << 0)
#define FADT_PROC_C1 (1u << 2)
#define FADT_SLP_BUTTON (1u << 5)
#define FADT_FIX_RTC (1u << 6)
#define FADT_RESET_REG_SUP (1u << 10)
/* IA-PC boot architecture flags: the UART and the i8042 are there, no VGA, no CMOS RTC. */
#define FADT_BOOT_LEGACY_DEVICES (1u << 0)
#define FADT_BOOT_8042 (1u << 1)
#define FADT_BOOT_NO_VGA (1u << 2)
#define FADT_BOOT_NO_CMOS_RTC (1u << 5)
#define FADT_C2_UNSUPPORTED 101	 /* a P_LVL2_LAT over 100 */
#define FADT_C3_UNSUPPORTED 1001 /* a P_LVL3_LAT over 1000 */
#define FADT_PM1_EVT_LEN 4
#define FADT_PM1_CNT_LEN 2

#define MADT_PCAT_COMPAT 1 /* the 8259 PICs are there too */
#define MADT_LAPIC_ENABLED 1
#define MADT_ALL_PROCESSORS 0xff
#define MADT_IOAPIC_MAX_ID 255
#define MPS_INTI_ACTIVE_HIGH 0x1
#define MPS_INTI_LEVEL 0xc

#define ACPI_RESET_VALUE 0x06 /* port 0xCF9: full reset (devices/pci.c) */
#define PCI_HOST_BRIDGE_PORT 0xcf8
#define PCI_HOST_BRIDGE_PORTS 8
#define PRT_ADDRESS_ANY_FUNCTION 0xffff

/* The tables are laid out in a local image, then copied into guest RAM at LAYOUT_ACPI. */
#define ACPI_IMAGE_MAX 16384
#define ACPI_TABLE_ALIGN 16
#define ACPI_FACS_ALIGN 64
_Static_assert(ACPI_IMAGE_MAX <= LAYOUT_ACPI_MAX, "the tables stay below the MP table");

struct acpi_image {
	uint8_t data[ACPI_IMAGE_MAX];
	size_t len;
};

static uint8_t acpi_checksum(const void *data, size_t len)
{
	const uint8_t *bytes = data;
	uint8_t sum = 0;

	while (len--)
		sum += *bytes++;
	return (uint8_t)-sum;
}

/* len zeroed bytes at the next multiple of align: a pointer and their address, or NULL. */
static void *acpi_alloc(struct acpi_image *img, size_t len, size_t align, uint64_t *gpa)
{
	size_t offset = (img->len + align - 1) & ~(align - 1);

	if (offset > sizeof(img->data) || len > sizeof(img->data) - offset)
		return NULL;
	img->len = offset + len;
	*gpa = LAYOUT_ACPI + offset;
	return img->data + offset;
}

static void acpi_header_fill(struct acpi_header *h, const char signature[4], uint32_t length,
			     uint8_t revision)
{
	memcpy(h->signature, signature, 4);
	h->length = length;
	h->revision = revision;
	memcpy(h->oem_id, ACPI_OEM_ID, 6);
	memcpy(h->oem_table_id, "KDOM", 4);
	memcpy(h->oem_table_id + 4, signature, 4); /* "KDOMFACP", "KDOMAPIC", ... */
	h->oem_revision = 1;
	memcpy(h->creator_id, ACPI_CREATOR_ID, 4);
	h->creator_revision = 1;
	h->checksum = 0;
	h->checksum = acpi_checksum(h, length);
}

static struct acpi_gas acpi_io_register(uint16_t port, uint8_t bytes, uint8_t access)
{
	return (struct acpi_gas){ .space_id = ACPI_SPACE_SYSTEM_IO,
				  .bit_width = (uint8_t)(8 * bytes),
				  .access_size = access,
				  .address = port };
}

/* The FACS: only its global lock, which no firmware ever holds. */
static int acpi_build_facs(struct acpi_image *img, uint64_t *gpa)
{
	struct acpi_facs *facs = acpi_alloc(img, sizeof(*facs), ACPI_FACS_ALIGN, gpa);

	if (!facs)
		return -E2BIG;
	memcpy(facs->signature, "FACS", 4);
	facs->length = sizeof(*facs);
	facs->version = ACPI_FACS_VERSION;
	return 0;
}

/*
 * The FADT: full ACPI hardware (not HW_REDUCED), so that the power button
 * is a fixed PM1 event; always in ACPI mode (no SMI_CMD); no PM timer, no
 * GPE blocks, no C2/C3.
 */
static int acpi_build_fadt(struct acpi_image *img, uint64_t facs, uint64_t dsdt, uint64_t *gpa)
{
	struct acpi_fadt *f = acpi_alloc(img, sizeof(*f), ACPI_TABLE_ALIGN, gpa);

	if (!f)
		return -E2BIG;
	f->firmware_ctrl = (uint32_t)facs;
	f->dsdt = (uint32_t)dsdt;
	f->x_dsdt = dsdt;
	f->sci_int = KDOM_ACPI_SCI_IRQ;
	f->pm1a_evt_blk = KDOM_PORT_ACPI_PM1A_EVT;
	f->pm1a_cnt_blk = KDOM_PORT_ACPI_PM1A_CNT;
	f->pm1_evt_len = FADT_PM1_EVT_LEN;
	f->pm1_cnt_len = FADT_PM1_CNT_LEN;
	f->x_pm1a_evt_blk =
		acpi_io_register(KDOM_PORT_ACPI_PM1A_EVT, FADT_PM1_EVT_LEN, ACPI_ACCESS_WORD);
	f->x_pm1a_cnt_blk =
		acpi_io_register(KDOM_PORT_ACPI_PM1A_CNT, FADT_PM1_CNT_LEN, ACPI_ACCESS_WORD);
	f->p_lvl2_lat = FADT_C2_UNSUPPORTED;
	f->p_lvl3_lat = FADT_C3_UNSUPPORTED;
	f->iapc_boot_arch = FADT_BOOT_LEGACY_DEVICES | FADT_BOOT_8042 | FADT_BOOT_NO_VGA |
			    FADT_BOOT_NO_CMOS_RTC;
	f->flags = FADT_WBINVD | FADT_PROC_C1 | FADT_SLP_BUTTON | FADT_FIX_RTC | FADT_RESET_REG_SUP;
	f->reset_reg = acpi_io_register(KDOM_PORT_RESET_CF9, 1, ACPI_ACCESS_BYTE);
	f->reset_value = ACPI_RESET_VALUE;
	acpi_header_fill(&f->header, "FACP", sizeof(*f), ACPI_FADT_REVISION);
	return 0;
}

static void *madt_entry(struct acpi_image *img, size_t len)
{
	uint64_t unused;

	return acpi_alloc(img, len, 1, &unused);
}

static int madt_add_override(struct acpi_image *img, uint8_t irq, uint32_t gsi, uint16_t flags)
{
	struct madt_override *o = madt_entry(img, sizeof(*o));

	if (!o)
		return -E2BIG;
	*o = (struct madt_override){
		.type = 2, .length = sizeof(*o), .source = irq, .gsi = gsi, .flags = flags
	};
	return 0;
}

/*
 * The MADT: what the MP table says, in ACPI's terms.  KVM's irqchip wires
 * the PIT (IRQ 0) to IOAPIC pin 2; the SCI is level triggered and active
 * high, as kdom drives it.
 */
static int acpi_build_madt(struct acpi_image *img, unsigned int nr_vcpus, uint64_t *gpa)
{
	struct acpi_madt *madt = acpi_alloc(img, sizeof(*madt), ACPI_TABLE_ALIGN, gpa);
	struct madt_ioapic *ioapic;
	struct madt_lapic_nmi *nmi;
	size_t start;

	if (!madt)
		return -E2BIG;
	start = (uint8_t *)madt - img->data;
	madt->lapic_address = KDOM_GPA_LAPIC;
	madt->flags = MADT_PCAT_COMPAT;
	for (unsigned int cpu = 0; cpu < nr_vcpus; cpu++) {
		struct madt_lapic *lapic = madt_entry(img, sizeof(*lapic));

		if (!lapic)
			return -E2BIG;
		*lapic = (struct madt_lapic){ .type = 0,
					      .length = sizeof(*lapic),
					      .processor_uid = cpu,
					      .apic_id = cpu,
					      .flags = MADT_LAPIC_ENABLED };
	}
	ioapic = madt_entry(img, sizeof(*ioapic));
	if (!ioapic)
		return -E2BIG;
	*ioapic = (struct madt_ioapic){
		.type = 1, .length = sizeof(*ioapic), .id = nr_vcpus, .address = KDOM_GPA_IOAPIC
	};
	if (madt_add_override(img, 0, 2, 0) ||
	    madt_add_override(img, KDOM_ACPI_SCI_IRQ, KDOM_ACPI_SCI_IRQ,
			      MPS_INTI_ACTIVE_HIGH | MPS_INTI_LEVEL))
		return -E2BIG;
	nmi = madt_entry(img, sizeof(*nmi));
	if (!nmi)
		return -E2BIG;
	*nmi = (struct madt_lapic_nmi){
		.type = 4, .length = sizeof(*nmi), .processor_uid = MADT_ALL_PROCESSORS, .lint = 1
	};
	acpi_header_fill(&madt->header, "APIC", img->len - start, ACPI_MADT_REVISION);
	return 0;
}

/* The host bridge's resources: bus 0, its configuration ports, the BAR windows. */
static void dsdt_pci_crs(struct aml *aml, const struct acpi_platform *p)
{
	uint8_t bytes[128];
	struct aml crs;

	aml_init(&crs, bytes, sizeof(bytes));
	aml_res_bus_numbers(&crs, 0, 0);
	aml_res_io(&crs, PCI_HOST_BRIDGE_PORT, PCI_HOST_BRIDGE_PORTS);
	if (p->mmio32.size)
		aml_res_memory(&crs, p->mmio32.base, p->mmio32.size);
	if (p->mmio64.size)
		aml_res_memory(&crs, p->mmio64.base, p->mmio64.size);
	aml_res_end(&crs);
	aml_name(aml, "_CRS");
	if (crs.failed)
		aml->failed = true;
	else
		aml_buffer(aml, crs.data, crs.len);
}

/*
 * _PRT: one entry per INTx route, { slot << 16 | 0xffff, pin (0 = INTA),
 * 0 (no link device: the last element is a GSI), GSI }, the routes the MP
 * table lists.
 */
static void dsdt_pci_prt(struct aml *aml, const struct irq_intx_routes *pci)
{
	unsigned int n = pci ? pci->nr_intx : 0;
	size_t table;

	aml_name(aml, "_PRT");
	table = aml_package_open(aml, n);
	for (unsigned int i = 0; i < n; i++) {
		const struct irq_intx_route *r = &pci->intx[i];
		size_t entry = aml_package_open(aml, 4);

		aml_integer(aml, (uint32_t)r->slot << 16 | PRT_ADDRESS_ANY_FUNCTION);
		aml_integer(aml, r->pin - 1u);
		aml_integer(aml, 0);
		aml_integer(aml, r->gsi);
		aml_close(aml, entry);
	}
	aml_close(aml, table);
}

/* \_S5 (SLP_TYPa, SLP_TYPb, reserved, reserved), then \_SB.PCI0. */
static void dsdt_write(struct aml *aml, const struct acpi_platform *p)
{
	size_t s5, sb, pci0;

	aml_name(aml, "\\_S5");
	s5 = aml_package_open(aml, 4);
	aml_integer(aml, KDOM_ACPI_SLP_TYP_S5);
	aml_integer(aml, KDOM_ACPI_SLP_TYP_S5);
	aml_integer(aml, 0);
	aml_integer(aml, 0);
	aml_close(aml, s5);

	sb = aml_scope_open(aml, "\\_SB");
	pci0 = aml_device_open(aml, "PCI0");
	aml_name(aml, "_HID");
	aml_eisa_id(aml, "PNP0A03");
	aml_name(aml, "_UID");
	aml_integer(aml, 0);
	dsdt_pci_crs(aml, p);
	dsdt_pci_prt(aml, p->pci);
	aml_close(aml, pci0);
	aml_close(aml, sb);
}

static int acpi_build_dsdt(struct acpi_image *img, const struct acpi_platform *p, uint64_t *gpa)
{
	struct acpi_header *dsdt = acpi_alloc(img, sizeof(*dsdt), ACPI_TABLE_ALIGN, gpa);
	struct aml aml;

	if (!dsdt)
		return -E2BIG;
	aml_init(&aml, img->data + img->len, sizeof(img->data) - img->len);
	dsdt_write(&aml, p);
	if (aml.failed)
		return -E2BIG; /* the names are ours and the routes were checked: it is the room */
	img->len += aml.len;
	acpi_header_fill(dsdt, "DSDT", sizeof(*dsdt) + aml.len, ACPI_DSDT_REVISION);
	return 0;
}

static int acpi_build_xsdt(struct acpi_image *img, const uint64_t *tables, unsigned int n,
			   uint64_t *gpa)
{
	size_t len = sizeof(struct acpi_header) + n * sizeof(uint64_t);
	struct acpi_header *xsdt = acpi_alloc(img, len, ACPI_TABLE_ALIGN, gpa);

	if (!xsdt)
		return -E2BIG;
	memcpy(xsdt + 1, tables, n * sizeof(uint64_t));
	acpi_header_fill(xsdt, "XSDT", len, ACPI_XSDT_REVISION);
	return 0;
}

static void acpi_fill_rsdp(struct acpi_rsdp *rsdp, uint64_t xsdt)
{
	memcpy(rsdp->signature, "RSD PTR ", 8);
	memcpy(rsdp->oem_id, ACPI_OEM_ID, 6);
	rsdp->revision = 2;
	rsdp->length = sizeof(*rsdp);
	rsdp->xsdt = xsdt;
	rsdp->checksum = acpi_checksum(rsdp, 20);
	rsdp->extended_checksum = acpi_checksum(rsdp, sizeof(*rsdp));
}

/* Routes the _PRT can say: slots 0-31, pins INTA-INTD, GSIs of the IOAPIC. */
static bool acpi_routes_valid(const struct irq_intx_routes *pci)
{
	if (!pci)
		return true;
	if (pci->nr_intx > IRQ_INTX_ROUTES_MAX)
		return false;
	for (unsigned int i = 0; i < pci->nr_intx; i++) {
		const struct irq_intx_route *r = &pci->intx[i];

		if (r->slot >= 32 || r->pin < 1 || r->pin > 4 || r->gsi >= IRQ_MSI_GSI_BASE)
			return false;
	}
	return true;
}

int acpi_write(const struct guest_mem *mem, const struct acpi_platform *platform, uint64_t *rsdp)
{
	struct acpi_image img; /* 16 KiB on the builder's stack */
	uint64_t rsdp_gpa, facs, dsdt, tables[2];
	struct acpi_rsdp *root;
	uint64_t xsdt;
	int ret;

	if (platform->nr_vcpus == 0 || platform->nr_vcpus >= MADT_IOAPIC_MAX_ID ||
	    !acpi_routes_valid(platform->pci))
		return -EINVAL;
	memset(&img, 0, sizeof(img));
	root = acpi_alloc(&img, sizeof(*root), ACPI_TABLE_ALIGN, &rsdp_gpa);
	if (!root)
		return -E2BIG;
	ret = acpi_build_facs(&img, &facs);
	if (!ret)
		ret = acpi_build_dsdt(&img, platform, &dsdt);
	if (!ret)
		ret = acpi_build_fadt(&img, facs, dsdt, &tables[0]);
	if (!ret)
		ret = acpi_build_madt(&img, platform->nr_vcpus, &tables[1]);
	if (!ret)
		ret = acpi_build_xsdt(&img, tables, 2, &xsdt);
	if (ret)
		return ret;
	acpi_fill_rsdp(root, xsdt);
	ret = gmem_write(mem, LAYOUT_ACPI, img.data, img.len);
	if (!ret)
		*rsdp = rsdp_gpa;
	return ret;
}

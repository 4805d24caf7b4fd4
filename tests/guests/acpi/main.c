/* acpi: kdom's ACPI tables (RSDP from start_info, XSDT, MADT, FADT, DSDT), the power button's SCI and S5. */
#include "guest.h"

const char test_title[] = "acpi: RSDP, XSDT, MADT, FADT and DSDT; power button SCI; S5 poweroff";

/*
 * Command line:
 *   cpus=N    the MADT lists N enabled local APICs, as the MP table does (default 1)
 *   button=1  wait, halted, for the toolstack's power button press (kdom
 *             shutdown / reboot): its SCI must come with PWRBTN_STS set
 * A passing run powers off through PM1a_CNT with \_S5's SLP_TYP and SLP_EN
 * (the domain's poweroff, status 0); a failing one through the hypercall
 * port, with its result.
 */

struct sdt {
	char signature[4];
	uint32_t length;
	uint8_t revision;
	uint8_t checksum;
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	uint32_t creator_id;
	uint32_t creator_revision;
} __attribute__((packed));

struct rsdp {
	char signature[8];
	uint8_t checksum;
	char oem_id[6];
	uint8_t revision;
	uint32_t rsdt;
	uint32_t length;
	uint64_t xsdt;
	uint8_t extended_checksum;
	uint8_t reserved[3];
} __attribute__((packed));

/* FADT offsets (ACPI 6.5 table 5.9) */
#define FADT_FIRMWARE_CTRL 36
#define FADT_DSDT 40
#define FADT_SCI_INT 46
#define FADT_SMI_CMD 48
#define FADT_PM1A_EVT_BLK 56
#define FADT_PM1A_CNT_BLK 64
#define FADT_PM1_EVT_LEN 88
#define FADT_PM1_CNT_LEN 89
#define FADT_FLAGS 112
#define FADT_X_DSDT 140
#define FADT_PWR_BUTTON (1u << 4)  /* set: no fixed-hardware power button */
#define FADT_HW_REDUCED (1u << 20) /* set: no PM1 blocks at all */

#define AML_NAME_OP 0x08
#define AML_PACKAGE_OP 0x12
#define MPS_INTI_LEVEL 0xc
#define SCI_VECTOR 0x40

/* What the tables told: the PM1a ports, the SCI and \_S5's sleep type. */
static struct {
	uint16_t pm1a_evt, pm1a_cnt, sci;
	uint64_t dsdt;
	unsigned int slp_typ_s5;
	bool have_s5;
} acpi;

static volatile unsigned int sci_count, sci_status;

static uint8_t sum_bytes(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint8_t sum = 0;

	while (len--)
		sum += *p++;
	return sum;
}

static uint32_t read32(const void *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* A table at addr with this signature, a sane length and a zero checksum: its header, or NULL. */
static const struct sdt *table_at(uint64_t addr, const char *signature)
{
	const struct sdt *t = (const void *)(uintptr_t)addr;
	bool ok = addr && addr < 0x100000000ull && !memcmp(t->signature, signature, 4) &&
		  t->length >= sizeof(*t) && t->length < 0x10000 && sum_bytes(t, t->length) == 0;

	report(ok, "%s at 0x%llx: signature, length %u, checksum", signature,
	       (unsigned long long)addr, ok ? t->length : 0);
	return ok ? t : NULL;
}

/* The RSDP start_info names: in the BIOS area, revision 2, both checksums.  The XSDT's address. */
static uint64_t check_rsdp(void)
{
	const struct hvm_start_info *si = start_info();
	const struct rsdp *r;

	report(si && si->rsdp_paddr, "start_info gives the RSDP at 0x%llx",
	       si ? (unsigned long long)si->rsdp_paddr : 0ull);
	if (!si || !si->rsdp_paddr)
		return 0;
	r = (const void *)(uintptr_t)si->rsdp_paddr;
	report(si->rsdp_paddr >= 0xe0000 && si->rsdp_paddr < 0x100000 && si->rsdp_paddr % 16 == 0,
	       "RSDP lies 16-byte aligned in the BIOS area 0xe0000-0xfffff");
	report(!memcmp(r->signature, "RSD PTR ", 8) && sum_bytes(r, 20) == 0,
	       "RSDP signature and ACPI 1.0 checksum");
	report(r->revision >= 2 && r->length == sizeof(*r) && sum_bytes(r, sizeof(*r)) == 0,
	       "RSDP revision %u, length %u, extended checksum", r->revision, r->length);
	return r->revision >= 2 ? r->xsdt : 0;
}

/* The XSDT's entry with this signature (checked), or 0. */
static uint64_t xsdt_find(const struct sdt *xsdt, const char *signature)
{
	const uint8_t *entries = (const uint8_t *)(xsdt + 1);
	unsigned int n = (xsdt->length - sizeof(*xsdt)) / 8, found = 0;
	uint64_t addr = 0;

	for (unsigned int i = 0; i < n; i++) {
		uint64_t entry;

		memcpy(&entry, entries + 8 * i, 8);
		if (entry && entry < 0x100000000ull &&
		    !memcmp((const void *)(uintptr_t)entry, signature, 4)) {
			addr = entry;
			found++;
		}
	}
	report(found == 1, "the XSDT lists %s once (%u times)", signature, found);
	return found == 1 ? addr : 0;
}

/* One MADT entry, tallied: the local APICs against the MP table's, the IOAPIC, the overrides. */
struct madt_seen {
	unsigned int cpus, ids_match, ioapics, pit_override, sci_override, nmi;
	uint8_t mp_ids[16];
	int mp_count;
};

static void madt_entry(struct madt_seen *seen, const uint8_t *e)
{
	switch (e[0]) {
	case 0: /* processor local APIC: UID, APIC ID, flags */
		if (read32(e + 4) & 1) {
			seen->ids_match += (int)seen->cpus < seen->mp_count &&
					   e[3] == seen->mp_ids[seen->cpus];
			seen->cpus++;
		}
		break;
	case 1: /* I/O APIC: ID, reserved, address, GSI base */
		seen->ioapics += read32(e + 4) == KDOM_GPA_IOAPIC && read32(e + 8) == 0;
		break;
	case 2: /* interrupt source override: bus, source, GSI, flags */
		if (e[3] == 0 && read32(e + 4) == 2)
			seen->pit_override++;
		if (e[3] == acpi.sci && read32(e + 4) == acpi.sci &&
		    ((e[8] | e[9] << 8) & MPS_INTI_LEVEL) == MPS_INTI_LEVEL)
			seen->sci_override++;
		break;
	case 4: /* local APIC NMI: UID (0xff all), flags, LINT# */
		seen->nmi += e[2] == 0xff && e[5] == 1;
		break;
	}
}

static void check_madt(const struct sdt *madt)
{
	unsigned int cpus = cmdline_get_u64("cpus", 1);
	const uint8_t *e = (const uint8_t *)madt + 44, *end = (const uint8_t *)madt + madt->length;
	struct madt_seen seen = { 0 };

	seen.mp_count = mptable_cpus(seen.mp_ids, ARRAY_SIZE(seen.mp_ids));
	report(read32((const uint8_t *)madt + 36) == KDOM_GPA_LAPIC, "MADT local APIC address 0x%x",
	       read32((const uint8_t *)madt + 36));
	while (e + 2 <= end && e[1] >= 2 && e + e[1] <= end) {
		madt_entry(&seen, e);
		e += e[1];
	}
	report(e == end, "MADT entries fill the table exactly");
	report(seen.cpus == cpus, "MADT lists %u enabled local APICs (expected %u)", seen.cpus,
	       cpus);
	report(seen.ids_match == cpus && seen.mp_count == (int)cpus,
	       "their APIC IDs are the MP table's, in its order (%u of %d match)", seen.ids_match,
	       seen.mp_count);
	report(seen.ioapics == 1, "one I/O APIC at 0x%x with GSI base 0", KDOM_GPA_IOAPIC);
	report(seen.pit_override == 1, "IRQ 0 overridden to GSI 2 (the PIT's pin)");
	report(seen.sci_override == 1, "the SCI (IRQ %u) overridden level triggered", acpi.sci);
	report(seen.nmi == 1, "LINT1 is NMI on every processor");
}

static void check_fadt(const struct sdt *fadt)
{
	const uint8_t *f = (const uint8_t *)fadt;
	uint32_t flags = read32(f + FADT_FLAGS);
	uint64_t x_dsdt;

	memcpy(&x_dsdt, f + FADT_X_DSDT, 8);
	acpi.pm1a_evt = read32(f + FADT_PM1A_EVT_BLK);
	acpi.pm1a_cnt = read32(f + FADT_PM1A_CNT_BLK);
	acpi.sci = f[FADT_SCI_INT] | f[FADT_SCI_INT + 1] << 8;
	acpi.dsdt = x_dsdt ? x_dsdt : read32(f + FADT_DSDT);
	report(fadt->revision >= 5 && fadt->length >= 244, "FADT revision %u, %u bytes",
	       fadt->revision, fadt->length);
	report(!(flags & FADT_HW_REDUCED) && !(flags & FADT_PWR_BUTTON),
	       "full ACPI hardware with a fixed power button (flags 0x%x)", flags);
	report(acpi.pm1a_evt == KDOM_PORT_ACPI_PM1A_EVT && f[FADT_PM1_EVT_LEN] == 4,
	       "PM1a event block at port 0x%x, 4 bytes", acpi.pm1a_evt);
	report(acpi.pm1a_cnt == KDOM_PORT_ACPI_PM1A_CNT && f[FADT_PM1_CNT_LEN] == 2,
	       "PM1a control block at port 0x%x, 2 bytes", acpi.pm1a_cnt);
	report(acpi.sci == KDOM_ACPI_SCI_IRQ, "SCI on IRQ %u", acpi.sci);
	report(read32(f + FADT_SMI_CMD) == 0, "no SMI command port: always in ACPI mode");
	report(read32(f + FADT_FIRMWARE_CTRL) != 0 &&
		       !memcmp((const void *)(uintptr_t)read32(f + FADT_FIRMWARE_CTRL), "FACS", 4),
	       "a FACS");
}

/* An AML PkgLength at p: its value; *len the bytes it takes. */
static uint32_t aml_pkg_length(const uint8_t *p, unsigned int *len)
{
	unsigned int follow = p[0] >> 6;
	uint32_t value = follow ? p[0] & 0x0f : p[0] & 0x3f;

	for (unsigned int i = 1; i <= follow; i++)
		value |= (uint32_t)p[i] << (4 + 8 * (i - 1));
	*len = follow + 1;
	return value;
}

/* An AML integer at *p (ZeroOp, OneOp, Byte/Word/DWord constants), *p moved past it. */
static bool aml_integer(const uint8_t **p, const uint8_t *end, uint64_t *value)
{
	static const unsigned int sizes[] = { [0x0a] = 1, [0x0b] = 2, [0x0c] = 4 };
	const uint8_t *q = *p;
	unsigned int n;

	if (q >= end)
		return false;
	if (*q <= 1) {
		*value = *q;
		*p = q + 1;
		return true;
	}
	n = *q < ARRAY_SIZE(sizes) ? sizes[*q] : 0;
	if (!n || q + 1 + n > end)
		return false;
	*value = 0;
	memcpy(value, q + 1, n);
	*p = q + 1 + n;
	return true;
}

/* The package named name (a 4-character segment) in the DSDT: its element count and first element. */
static const uint8_t *dsdt_package(const char *name, unsigned int *elements, const uint8_t **end)
{
	const struct sdt *dsdt = (const void *)(uintptr_t)acpi.dsdt;
	const uint8_t *p = (const uint8_t *)(dsdt + 1),
		      *stop = (const uint8_t *)dsdt + dsdt->length;
	unsigned int len;

	for (; p + 6 < stop; p++) {
		if (memcmp(p, name, 4) || p[4] != AML_PACKAGE_OP ||
		    (p[-1] != AML_NAME_OP && (p[-1] != '\\' || p[-2] != AML_NAME_OP)))
			continue;
		uint32_t pkg = aml_pkg_length(p + 5, &len);

		*end = p + 5 + pkg;
		*elements = p[5 + len];
		return *end <= stop ? p + 6 + len : NULL;
	}
	return NULL;
}

static void check_s5(void)
{
	const uint8_t *p, *end;
	unsigned int elements = 0;
	uint64_t slp_typ = 0;

	p = dsdt_package("_S5_", &elements, &end);
	acpi.have_s5 = p && elements >= 2 && aml_integer(&p, end, &slp_typ) && slp_typ < 8;
	acpi.slp_typ_s5 = slp_typ;
	report(acpi.have_s5, "\\_S5 is a package of %u with SLP_TYPa %llu", elements,
	       (unsigned long long)slp_typ);
}

/* Each _PRT entry { slot << 16 | 0xffff, pin, 0, GSI } agrees with the MP table; none is missing. */
static void check_prt(void)
{
	const uint8_t *p, *end;
	unsigned int elements = 0, agree = 0, devices = 0;

	p = dsdt_package("_PRT", &elements, &end);
	report(p != NULL, "the PCI host bridge has a _PRT of %u entries", elements);
	for (unsigned int i = 0; p && i < elements; i++) {
		uint64_t address, pin, source, gsi;
		unsigned int len;

		if (p + 2 > end || p[0] != AML_PACKAGE_OP)
			break;
		aml_pkg_length(p + 1, &len);
		p += 1 + len + 1; /* PackageOp, PkgLength, NumElements */
		if (!aml_integer(&p, end, &address) || !aml_integer(&p, end, &pin) ||
		    !aml_integer(&p, end, &source) || !aml_integer(&p, end, &gsi))
			break;
		agree += (address & 0xffff) == 0xffff && pin < 4 && source == 0 &&
			 pci_intx_gsi(address >> 16, pin + 1) == (int)gsi;
	}
	for (unsigned int slot = 0; slot < PCI_SLOTS; slot++)
		devices += pci_cfg_read32(slot, 0, 0) != 0xffffffff && pci_cfg_read8(slot, 0, 0x3d);
	report(agree == elements && elements == devices,
	       "%u of %u _PRT entries route as the MP table does; %u devices with INTx", agree,
	       elements, devices);
}

static void check_dsdt(void)
{
	const struct sdt *dsdt = table_at(acpi.dsdt, "DSDT");
	const uint8_t *p;
	bool bridge = false;

	if (!dsdt)
		return;
	/* "PNP0A03" as an EISA ID: a DWordConst 41 d0 0a 03 */
	for (p = (const uint8_t *)(dsdt + 1); p + 5 <= (const uint8_t *)dsdt + dsdt->length; p++)
		bridge |= !memcmp(p, "\x0c\x41\xd0\x0a\x03", 5);
	report(bridge, "the DSDT has a PCI host bridge (PNP0A03)");
	check_s5();
	check_prt();
}

/* PM1_STS, PM1_EN (the event block's halves) and PM1_CNT, as the FADT placed them. */
static uint16_t pm1_status(void)
{
	return inw(acpi.pm1a_evt);
}

static void check_pm1(void)
{
	uint16_t status = pm1_status();

	report((inw(acpi.pm1a_cnt) & KDOM_ACPI_PM1_CNT_SCI_EN) != 0, "PM1_CNT has SCI_EN set");
	report(!(status & KDOM_ACPI_PM1_PWRBTN), "no power button press yet (PM1_STS 0x%x)",
	       status);
	outw(acpi.pm1a_evt + 2, KDOM_ACPI_PM1_PWRBTN);
	report(inw(acpi.pm1a_evt + 2) == KDOM_ACPI_PM1_PWRBTN, "PWRBTN_EN sticks in PM1_EN");
	outw(acpi.pm1a_evt + 2, 0);
	/* SLP_EN with a sleep type kdom has not (S1) changes nothing. */
	outw(acpi.pm1a_cnt, KDOM_ACPI_PM1_CNT_SCI_EN | 1u << KDOM_ACPI_PM1_CNT_SLP_TYP_SHIFT |
				    KDOM_ACPI_PM1_CNT_SLP_EN);
	report(!(inw(acpi.pm1a_cnt) & KDOM_ACPI_PM1_CNT_SLP_EN), "SLP_EN reads as 0; S1 ignored");
}

static void on_sci(unsigned int vector)
{
	uint16_t status = pm1_status();

	sci_status |= status;
	sci_count++;
	outw(acpi.pm1a_evt, status); /* write 1 to clear: the level SCI drops before the EOI */
}

/* The toolstack's press comes as an SCI with PWRBTN_STS; it must go once cleared. */
static void wait_for_power_button(void)
{
	irq_set_handler(SCI_VECTOR, on_sci);
	lapic_enable();
	ioapic_route(acpi.sci, SCI_VECTOR, true, false);
	outw(acpi.pm1a_evt + 2, KDOM_ACPI_PM1_PWRBTN);
	printf("acpi: waiting for the power button\n");
	while (!sci_count)
		asm volatile("sti; hlt; cli" ::: "memory");
	report(sci_status & KDOM_ACPI_PM1_PWRBTN, "the SCI came with PWRBTN_STS (PM1_STS 0x%x)",
	       sci_status);
	report(!(pm1_status() & KDOM_ACPI_PM1_PWRBTN), "PWRBTN_STS cleared by writing 1");
	udelay(1000);
	report(sci_count == 1, "one SCI for one press (%u)", sci_count);
}

/* A passing run powers off as an ACPI OS does; the port carries any other result. */
static void acpi_shutdown(unsigned int reason, int result)
{
	if (reason == KDOM_SHUTDOWN_POWEROFF && result == KDOM_RESULT_SUCCESS && acpi.have_s5) {
		outw(acpi.pm1a_cnt,
		     KDOM_ACPI_PM1_CNT_SCI_EN | acpi.slp_typ_s5 << KDOM_ACPI_PM1_CNT_SLP_TYP_SHIFT);
		outw(acpi.pm1a_cnt, KDOM_ACPI_PM1_CNT_SCI_EN |
					    acpi.slp_typ_s5 << KDOM_ACPI_PM1_CNT_SLP_TYP_SHIFT |
					    KDOM_ACPI_PM1_CNT_SLP_EN);
		printf("acpi: still running after S5\n");
		result = KDOM_RESULT_ERROR;
	}
	sched_shutdown(reason, result);
}

void test_main(void)
{
	uint64_t xsdt_addr = check_rsdp();
	const struct sdt *xsdt = table_at(xsdt_addr, "XSDT");
	const struct sdt *fadt, *madt;

	if (!xsdt)
		return;
	fadt = table_at(xsdt_find(xsdt, "FACP"), "FACP");
	madt = table_at(xsdt_find(xsdt, "APIC"), "APIC");
	if (!fadt || !madt)
		return;
	check_fadt(fadt);
	check_madt(madt);
	check_dsdt();
	check_pm1();
	if (cmdline_get_u64("button", 0))
		wait_for_power_button();
	test_set_shutdown(acpi_shutdown);
}

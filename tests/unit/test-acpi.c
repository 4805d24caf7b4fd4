/* Unit tests of the AML writer, the ACPI tables (parsed back from guest RAM) and the PM1a device. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devices/acpi-pm.h"
#include "kdom/abi.h"
#include "tests/unit/fake-vm.h"
#include "tests/unit/unit.h"
#include "vmm/vm.h"
#include "vmm/x86/acpi.h"
#include "vmm/x86/aml.h"
#include "vmm/x86/layout.h"

#define RAM_SIZE (2u << 20)

static uint8_t sum(const uint8_t *p, size_t len)
{
	uint8_t s = 0;

	while (len--)
		s += *p++;
	return s;
}

static uint32_t le32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint64_t le64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

/* ---- The AML writer -------------------------------------------------------- */

static size_t aml_of(uint8_t *out, size_t size, void (*emit)(struct aml *))
{
	struct aml aml;

	aml_init(&aml, out, size);
	emit(&aml);
	ck_assert(!aml.failed);
	return aml.len;
}

static void emit_integers(struct aml *aml)
{
	aml_integer(aml, 0);
	aml_integer(aml, 1);
	aml_integer(aml, 0x20);
	aml_integer(aml, 0x1234);
	aml_integer(aml, 0x1ffff);
	aml_integer(aml, 0x100000000ull);
}

static void emit_names(struct aml *aml)
{
	aml_name_string(aml, "\\_S5");
	aml_name_string(aml, "\\_SB.PCI0");
	aml_name_string(aml, "A.B.C");
	aml_eisa_id(aml, "PNP0A03");
}

/* A package of 30 Word integers: 91 bytes of body, a two-byte PkgLength. */
static void emit_long_package(struct aml *aml)
{
	size_t mark = aml_package_open(aml, 30);

	for (int i = 0; i < 30; i++)
		aml_integer(aml, 0x100 + i);
	aml_close(aml, mark);
}

START_TEST(test_aml_encodings)
{
	/* Zero, One, Byte 0x20, Word 0x1234, DWord 0x1ffff, QWord 1 << 32 */
	static const char integers[] = "\x00\x01\x0a\x20\x0b\x34\x12\x0c\xff\xff\x01\x00"
				       "\x0e\x00\x00\x00\x00\x01\x00\x00\x00";
	/* \_S5_, \ DualName _SB_ PCI0, MultiName(3) A___ B___ C___, DWord PNP0A03 */
	static const char names[] = "\\_S5_"
				    "\\\x2e_SB_PCI0"
				    "\x2f\x03"
				    "A___B___C___"
				    "\x0c\x41\xd0\x0a\x03";
	uint8_t out[256];
	struct aml aml;
	size_t len;

	len = aml_of(out, sizeof(out), emit_integers);
	ck_assert_uint_eq(len, sizeof(integers) - 1);
	ck_assert_mem_eq(out, integers, len);
	len = aml_of(out, sizeof(out), emit_names);
	ck_assert_uint_eq(len, sizeof(names) - 1);
	ck_assert_mem_eq(out, names, len);

	/* PkgLength: 1 + 2 + 1 + 30 * 3 = 94 > 63, so two bytes: 0x4e 0x05 (0x5e = 94). */
	len = aml_of(out, sizeof(out), emit_long_package);
	ck_assert_uint_eq(len, 94);
	ck_assert_uint_eq(out[0], 0x12);
	ck_assert_uint_eq(out[1], 0x40 | (93 & 0xf));
	ck_assert_uint_eq(out[2], 93 >> 4);
	ck_assert_uint_eq(out[3], 30);
	ck_assert_uint_eq(out[4], 0x0b);

	/* Bad names and a full buffer fail, and stay failed. */
	aml_init(&aml, out, sizeof(out));
	aml_name_string(&aml, "TOOLONG");
	ck_assert(aml.failed);
	aml_init(&aml, out, sizeof(out));
	aml_name_string(&aml, "1BAD");
	ck_assert(aml.failed);
	aml_init(&aml, out, 3);
	aml_integer(&aml, 0x1234);
	ck_assert(!aml.failed);
	aml_integer(&aml, 0);
	ck_assert(aml.failed);
	ck_assert_uint_eq(aml.len, 3);
}
END_TEST

/* ---- The tables, parsed back ------------------------------------------------ */

/* A table at gpa: signature, a length that fits, a zero checksum. */
static const uint8_t *table_at(const uint8_t *ram, uint64_t gpa, const char *signature)
{
	const uint8_t *t;

	ck_assert_uint_lt(gpa, RAM_SIZE - 36);
	t = ram + gpa;
	ck_assert_mem_eq(t, signature, 4);
	ck_assert_uint_ge(le32(t + 4), 36);
	ck_assert_uint_le(gpa + le32(t + 4), LAYOUT_ACPI + LAYOUT_ACPI_MAX);
	ck_assert_uint_eq(sum(t, le32(t + 4)), 0);
	return t;
}

/* The XSDT's FADT and MADT (each listed once), through the RSDP at rsdp. */
static void walk_rsdp(const uint8_t *ram, uint64_t rsdp, const uint8_t **fadt, const uint8_t **madt)
{
	const uint8_t *r = ram + rsdp, *xsdt;
	unsigned int n;

	ck_assert_uint_eq(rsdp, LAYOUT_ACPI);
	ck_assert_mem_eq(r, "RSD PTR ", 8);
	ck_assert_uint_eq(sum(r, 20), 0);
	ck_assert_uint_eq(r[15], 2);
	ck_assert_uint_eq(le32(r + 20), 36);
	ck_assert_uint_eq(sum(r, 36), 0);
	xsdt = table_at(ram, le64(r + 24), "XSDT");
	n = (le32(xsdt + 4) - 36) / 8;
	ck_assert_uint_eq(n, 2);
	*fadt = *madt = NULL;
	for (unsigned int i = 0; i < n; i++) {
		uint64_t gpa = le64(xsdt + 36 + 8 * i);

		if (!memcmp(ram + gpa, "FACP", 4))
			*fadt = table_at(ram, gpa, "FACP");
		else
			*madt = table_at(ram, gpa, "APIC");
	}
	ck_assert_ptr_nonnull(*fadt);
	ck_assert_ptr_nonnull(*madt);
}

/* Local APICs 0..cpus-1 enabled, the IOAPIC with ID cpus, IRQ 0 -> GSI 2, the SCI level high. */
static void check_madt(const uint8_t *madt, unsigned int cpus)
{
	const uint8_t *e = madt + 44, *end = madt + le32(madt + 4);
	unsigned int lapics = 0, ioapics = 0, pit = 0, sci = 0, nmi = 0;

	ck_assert_uint_eq(le32(madt + 36), KDOM_GPA_LAPIC);
	for (; e < end; e += e[1]) {
		ck_assert_uint_ge(e[1], 2);
		if (e[0] == 0) {
			ck_assert_uint_eq(e[3], lapics); /* APIC ID = vCPU index */
			ck_assert_uint_eq(le32(e + 4) & 1, 1);
			lapics++;
		} else if (e[0] == 1) {
			ck_assert_uint_eq(e[2], cpus);
			ck_assert_uint_eq(le32(e + 4), KDOM_GPA_IOAPIC);
			ioapics++;
		} else if (e[0] == 2 && e[3] == 0) {
			ck_assert_uint_eq(le32(e + 4), 2);
			pit++;
		} else if (e[0] == 2 && e[3] == KDOM_ACPI_SCI_IRQ) {
			ck_assert_uint_eq(le32(e + 4), KDOM_ACPI_SCI_IRQ);
			ck_assert_uint_eq(e[8], 0x0d); /* level, active high */
			sci++;
		} else if (e[0] == 4) {
			ck_assert_uint_eq(e[5], 1);
			nmi++;
		}
	}
	ck_assert_ptr_eq(e, end);
	ck_assert_uint_eq(lapics, cpus);
	ck_assert_uint_eq(ioapics + pit + sci + nmi, 4);
}

/* PM1a blocks at kdom's ports, the SCI, a fixed power button, not HW_REDUCED; its DSDT. */
static const uint8_t *check_fadt(const uint8_t *ram, const uint8_t *fadt)
{
	uint32_t flags = le32(fadt + 112);

	ck_assert_uint_eq(le32(fadt + 4), 276);
	ck_assert_uint_eq(fadt[46] | fadt[47] << 8, KDOM_ACPI_SCI_IRQ);
	ck_assert_uint_eq(le32(fadt + 56), KDOM_PORT_ACPI_PM1A_EVT);
	ck_assert_uint_eq(le32(fadt + 64), KDOM_PORT_ACPI_PM1A_CNT);
	ck_assert_uint_eq(fadt[88], 4);
	ck_assert_uint_eq(fadt[89], 2);
	ck_assert_uint_eq(flags & (1u << 4 | 1u << 20), 0); /* PWR_BUTTON, HW_REDUCED clear */
	ck_assert_uint_eq(le64(fadt + 148 + 4), KDOM_PORT_ACPI_PM1A_EVT); /* X_PM1a_EVT_BLK */
	ck_assert_uint_eq(fadt[148 + 1], 32);
	ck_assert_uint_eq(le64(fadt + 172 + 4), KDOM_PORT_ACPI_PM1A_CNT);
	ck_assert_uint_eq(fadt[172 + 1], 16);
	ck_assert_mem_eq(ram + le32(fadt + 36), "FACS", 4);
	ck_assert_uint_eq(le32(fadt + 40), le64(fadt + 140));
	return table_at(ram, le64(fadt + 140), "DSDT");
}

/* An AML integer at *p (Zero, One, Byte/Word/DWord/QWord), *p moved on. */
static uint64_t aml_integer_at(const uint8_t **p)
{
	static const unsigned int sizes[] = { [0x0a] = 1, [0x0b] = 2, [0x0c] = 4, [0x0e] = 8 };
	uint8_t op = *(*p)++;
	uint64_t v = 0;

	if (op <= 1)
		return op;
	ck_assert(op < sizeof(sizes) / sizeof(sizes[0]) && sizes[op]);
	memcpy(&v, *p, sizes[op]);
	*p += sizes[op];
	return v;
}

/* A PkgLength at *p: the end of what it measures; *p moved past it. */
static const uint8_t *aml_pkg_end(const uint8_t **p)
{
	const uint8_t *start = *p;
	unsigned int follow = start[0] >> 6;
	uint32_t len = follow ? start[0] & 0x0f : start[0] & 0x3f;

	for (unsigned int i = 1; i <= follow; i++)
		len |= (uint32_t)start[i] << (4 + 8 * (i - 1));
	*p = start + follow + 1;
	return start + len;
}

/* After a PackageOp: the package's end, *elements, *p at its first element. */
static const uint8_t *aml_package_at(const uint8_t **p, unsigned int *elements)
{
	const uint8_t *end = aml_pkg_end(p);

	*elements = *(*p)++;
	return end;
}

/* The package value of the first Name (NameOp seg PackageOp) called seg in the DSDT's AML. */
static const uint8_t *dsdt_package(const uint8_t *dsdt, const char *seg, unsigned int *elements,
				   const uint8_t **end)
{
	const uint8_t *p = dsdt + 36, *stop = dsdt + le32(dsdt + 4);

	for (; p + 5 < stop; p++)
		if (!memcmp(p, seg, 4) && p[4] == 0x12 &&
		    (p[-1] == 0x08 || (p[-1] == '\\' && p[-2] == 0x08))) {
			p += 5;
			*end = aml_package_at(&p, elements);
			ck_assert(*end <= stop);
			return p;
		}
	return NULL;
}

/* \_S5: SLP_TYPa is kdom's S5 sleep type. */
static void check_s5(const uint8_t *dsdt)
{
	const uint8_t *p, *end;
	unsigned int elements;

	p = dsdt_package(dsdt, "_S5_", &elements, &end);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_ge(elements, 2);
	ck_assert_uint_eq(aml_integer_at(&p), KDOM_ACPI_SLP_TYP_S5);
	ck_assert_uint_eq(aml_integer_at(&p), KDOM_ACPI_SLP_TYP_S5);
}

/* _PRT: one { slot << 16 | 0xffff, pin - 1, 0, GSI } per route, in the routes' order. */
static void check_prt(const uint8_t *dsdt, const struct irq_intx_routes *routes)
{
	const uint8_t *p, *end;
	unsigned int elements, inner;

	p = dsdt_package(dsdt, "_PRT", &elements, &end);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(elements, routes->nr_intx);
	for (unsigned int i = 0; i < elements; i++) {
		const struct irq_intx_route *r = &routes->intx[i];

		ck_assert_uint_eq(*p++, 0x12);
		aml_package_at(&p, &inner);
		ck_assert_uint_eq(inner, 4);
		ck_assert_uint_eq(aml_integer_at(&p), (uint32_t)r->slot << 16 | 0xffff);
		ck_assert_uint_eq(aml_integer_at(&p), r->pin - 1u);
		ck_assert_uint_eq(aml_integer_at(&p), 0);
		ck_assert_uint_eq(aml_integer_at(&p), r->gsi);
	}
	ck_assert_ptr_eq(p, end);
}

/* _CRS: bus 0, ports 0xCF8-0xCFF, the 32-bit window as a DWord and the 64-bit one as a QWord. */
static void check_crs(const uint8_t *dsdt, const struct acpi_platform *p)
{
	static const uint8_t io[] = { 0x47, 0x01, 0xf8, 0x0c, 0xf8, 0x0c, 0x01, 0x08 };
	const uint8_t *crs = memmem(dsdt + 36, le32(dsdt + 4) - 36, "_CRS\x11", 5), *d, *end;
	unsigned int seen = 0;
	uint64_t size;

	ck_assert_ptr_nonnull(crs);
	d = crs + 5;
	end = aml_pkg_end(&d); /* then BufferSize and the bytes */
	size = aml_integer_at(&d);
	ck_assert_uint_eq(size, end - d);
	while (d < end && d[0] != 0x79) {
		unsigned int len = d[0] & 0x80 ? 3u + (d[1] | d[2] << 8) : 1u + (d[0] & 7);

		if (d[0] == 0x88) /* WordBusNumber 0-0 */
			seen += d[3] == 2 && d[8] == 0 && d[10] == 0;
		if (d[0] == 0x47)
			seen += !memcmp(d, io, sizeof(io));
		if (d[0] == 0x87) /* DWordMemory: min, max at 10, 14 */
			seen += le32(d + 10) == p->mmio32.base &&
				le32(d + 14) == p->mmio32.base + p->mmio32.size - 1;
		if (d[0] == 0x8a) /* QWordMemory: min, max at 14, 22 */
			seen += le64(d + 14) == p->mmio64.base &&
				le64(d + 22) == p->mmio64.base + p->mmio64.size - 1;
		d += len;
	}
	ck_assert_uint_eq(d[0], 0x79);
	ck_assert_uint_eq(seen, 4);
}

START_TEST(test_acpi_tables_parse_back)
{
	uint8_t *ram = calloc(1, RAM_SIZE);
	struct guest_mem mem;
	struct irq_intx_routes routes = { .nr_intx = 3,
					  .intx = { { 1, 1, 17 }, { 2, 1, 18 }, { 31, 4, 18 } } };
	struct acpi_platform p = { .pci = &routes,
				   .mmio32 = { 0xc0000000, 0x3ec00000 },
				   .mmio64 = { 0x140000000ull, 64ull << 30 } };
	const uint8_t *fadt, *madt, *dsdt;
	uint64_t rsdp = 0;

	gmem_wrap(&mem, ram, RAM_SIZE);
	for (unsigned int cpus = 1; cpus <= DOMAIN_VCPUS_MAX; cpus++) {
		memset(ram, 0, RAM_SIZE);
		p.nr_vcpus = cpus;
		routes.nr_intx = cpus % 4; /* none to three routes */
		ck_assert_int_eq(acpi_write(&mem, &p, &rsdp), 0);
		walk_rsdp(ram, rsdp, &fadt, &madt);
		check_madt(madt, cpus);
		dsdt = check_fadt(ram, fadt);
		check_s5(dsdt);
		check_prt(dsdt, &routes);
		check_crs(dsdt, &p);
		/* Nothing is written past the window below the MP table. */
		for (size_t i = LAYOUT_ACPI + LAYOUT_ACPI_MAX; i < LAYOUT_KERNEL_MIN; i++)
			ck_assert_uint_eq(ram[i], 0);
	}
	free(ram);
}
END_TEST

START_TEST(test_acpi_refuses_bad_platforms)
{
	uint8_t *ram = calloc(1, RAM_SIZE);
	struct guest_mem mem, small;
	struct irq_intx_routes routes = { .nr_intx = 1, .intx = { { 1, 5, 16 } } };
	struct acpi_platform p = { .nr_vcpus = 0 };
	uint64_t rsdp = 0;

	gmem_wrap(&mem, ram, RAM_SIZE);
	gmem_wrap(&small, ram, LAYOUT_ACPI + 64);
	ck_assert_int_eq(acpi_write(&mem, &p, &rsdp), -EINVAL);
	p.nr_vcpus = 255;
	ck_assert_int_eq(acpi_write(&mem, &p, &rsdp), -EINVAL);
	p.nr_vcpus = 1;
	p.pci = &routes; /* pin 5 */
	ck_assert_int_eq(acpi_write(&mem, &p, &rsdp), -EINVAL);
	routes.intx[0] = (struct irq_intx_route){ 1, 1, 24 }; /* not an IOAPIC pin */
	ck_assert_int_eq(acpi_write(&mem, &p, &rsdp), -EINVAL);
	routes.nr_intx = IRQ_INTX_ROUTES_MAX + 1;
	ck_assert_int_eq(acpi_write(&mem, &p, &rsdp), -EINVAL);
	routes.nr_intx = 0;
	ck_assert_int_eq(acpi_write(&small, &p, &rsdp), -EFAULT);
	ck_assert_uint_eq(rsdp, 0);
	ck_assert_int_eq(acpi_write(&mem, &p, &rsdp), 0);
	ck_assert_uint_eq(rsdp, LAYOUT_ACPI);
	free(ram);
}
END_TEST

/* ---- The PM1a device --------------------------------------------------------- */

#define EVT KDOM_PORT_ACPI_PM1A_EVT
#define CNT KDOM_PORT_ACPI_PM1A_CNT
#define PWRBTN KDOM_ACPI_PM1_PWRBTN
#define SCI_EN KDOM_ACPI_PM1_CNT_SCI_EN
#define SLP_EN KDOM_ACPI_PM1_CNT_SLP_EN
#define SLP_TYP(t) ((t) << KDOM_ACPI_PM1_CNT_SLP_TYP_SHIFT)

/* Status, enable and the SCI's level: set, enabled, cleared by writing 1, masked by SCI_EN. */
START_TEST(test_acpi_pm_power_button_and_sci)
{
	struct vm vm;
	struct domain domain;
	struct acpi_pm pm;

	fake_vm_init(&vm, &domain);
	ck_assert_int_eq(acpi_pm_create(&pm, &vm, KDOM_ACPI_SCI_IRQ), 0);
	ck_assert_uint_eq(fake_vm_port_in(&vm, CNT, 2), SCI_EN); /* ACPI mode from reset */
	ck_assert_uint_eq(fake_vm_port_in(&vm, EVT, 4), 0);

	/* Undefined enable bits do not stick; PWRBTN_EN does, also written a byte at a time. */
	fake_vm_port_out(&vm, EVT + 2, 2, 0xffff);
	ck_assert_uint_eq(fake_vm_port_in(&vm, EVT + 2, 2), 0x4721);
	fake_vm_port_out(&vm, EVT + 2, 2, 0);
	fake_vm_port_out(&vm, EVT + 3, 1, PWRBTN >> 8);
	ck_assert_uint_eq(fake_vm_port_in(&vm, EVT + 2, 2), PWRBTN);

	/* Writing 1 to a clear status bit sets nothing; a press sets PWRBTN_STS and the SCI. */
	fake_vm_port_out(&vm, EVT, 2, 0xffff);
	ck_assert_uint_eq(fake_vm_port_in(&vm, EVT, 2), 0);
	ck_assert(!pm.sci_level);
	acpi_pm_power_button(&pm, VM_STOP_POWEROFF);
	ck_assert_uint_eq(fake_vm_port_in(&vm, EVT, 2), PWRBTN);
	ck_assert_uint_eq(fake_vm_port_in(&vm, EVT, 4), PWRBTN | PWRBTN << 16);
	ck_assert(pm.sci_level);

	/* SCI_EN off holds the SCI down; writing 0 to the status leaves it. */
	fake_vm_port_out(&vm, CNT, 2, 0);
	ck_assert(!pm.sci_level);
	fake_vm_port_out(&vm, CNT, 2, SCI_EN);
	ck_assert(pm.sci_level);
	fake_vm_port_out(&vm, EVT, 2, 0);
	ck_assert_uint_eq(fake_vm_port_in(&vm, EVT, 2), PWRBTN);

	/* Disabled, the press stays pending without an SCI; enabled again, the SCI is back. */
	fake_vm_port_out(&vm, EVT + 2, 2, 0);
	ck_assert(!pm.sci_level);
	fake_vm_port_out(&vm, EVT + 2, 2, PWRBTN);
	ck_assert(pm.sci_level);

	/* Write 1 to clear, in the 4-byte access that also keeps the enable bit. */
	fake_vm_port_out(&vm, EVT, 4, PWRBTN | PWRBTN << 16);
	ck_assert_uint_eq(fake_vm_port_in(&vm, EVT, 2), 0);
	ck_assert_uint_eq(fake_vm_port_in(&vm, EVT + 2, 2), PWRBTN);
	ck_assert(!pm.sci_level);
	ck_assert_int_eq(vm.outcome.reason, VM_STOP_NONE);
	acpi_pm_destroy(&pm);
	fake_vm_destroy(&vm);
}
END_TEST

/* SLP_TYP with SLP_EN: S5 powers off (status 0), after a reboot request reboots; others do nothing. */
START_TEST(test_acpi_pm_sleep_states)
{
	struct vm vm;
	struct domain domain;
	struct acpi_pm pm;

	fake_vm_init(&vm, &domain);
	ck_assert_int_eq(acpi_pm_create(&pm, &vm, KDOM_ACPI_SCI_IRQ), 0);
	/* SLP_TYP alone is kept; SLP_EN reads 0; S1 (no such state here) is ignored. */
	fake_vm_port_out(&vm, CNT, 2, SCI_EN | SLP_TYP(KDOM_ACPI_SLP_TYP_S5));
	ck_assert_uint_eq(fake_vm_port_in(&vm, CNT, 2), SCI_EN | SLP_TYP(KDOM_ACPI_SLP_TYP_S5));
	fake_vm_port_out(&vm, CNT, 2, SCI_EN | SLP_TYP(1) | SLP_EN);
	ck_assert_uint_eq(fake_vm_port_in(&vm, CNT, 2), SCI_EN | SLP_TYP(1));
	ck_assert_int_eq(vm.outcome.reason, VM_STOP_NONE);

	/* S5 through the high byte alone, as a byte write carries SLP_TYP and SLP_EN. */
	fake_vm_port_out(&vm, CNT + 1, 1, (SLP_TYP(KDOM_ACPI_SLP_TYP_S5) | SLP_EN) >> 8);
	ck_assert_int_eq(vm.outcome.reason, VM_STOP_POWEROFF);
	ck_assert_uint_eq(vm.outcome.result, KDOM_RESULT_SUCCESS);
	ck_assert_int_eq(vm_outcome_exit_code(&vm.outcome), KDOM_EXIT_SUCCESS);
	acpi_pm_destroy(&pm);
	fake_vm_destroy(&vm);

	/* After `kdom reboot` pressed the button, the guest's S5 is the reboot asked for. */
	fake_vm_init(&vm, &domain);
	ck_assert_int_eq(acpi_pm_create(&pm, &vm, KDOM_ACPI_SCI_IRQ), 0);
	acpi_pm_power_button(&pm, VM_STOP_REBOOT);
	fake_vm_port_out(&vm, CNT, 2, SCI_EN | SLP_TYP(KDOM_ACPI_SLP_TYP_S5) | SLP_EN);
	ck_assert_int_eq(vm.outcome.reason, VM_STOP_REBOOT);
	ck_assert_int_eq(vm_outcome_exit_code(&vm.outcome), KDOM_EXIT_REBOOT);
	acpi_pm_destroy(&pm);
	fake_vm_destroy(&vm);
}
END_TEST

Suite *acpi_suite(void)
{
	Suite *suite = suite_create("acpi");
	TCase *tc = tcase_create("acpi");

	tcase_add_test(tc, test_aml_encodings);
	tcase_add_test(tc, test_acpi_tables_parse_back);
	tcase_add_test(tc, test_acpi_refuses_bad_platforms);
	tcase_add_test(tc, test_acpi_pm_power_button_and_sci);
	tcase_add_test(tc, test_acpi_pm_sleep_states);
	suite_add_tcase(suite, tc);
	return suite;
}

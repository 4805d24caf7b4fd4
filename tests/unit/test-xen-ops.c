/* Unit tests of the Xen hypercall handlers, over a fake guest address space and toolstack. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devices/xen/ops.h"
#include "tests/unit/unit.h"

/*
 * The fake guest: FAKE_PAGES pages of linear memory from FAKE_BASE, with an
 * unmapped page (FAKE_HOLE) and a read-only one (FAKE_RO) after it, so that
 * a structure can be readable but not writable.
 */
#define PAGE 4096u
#define FAKE_BASE 0x400000ull
#define FAKE_PAGES 64u
#define FAKE_HOLE 40u
#define FAKE_RO 41u
#define AT(page, offset) (FAKE_BASE + (uint64_t)(page)*PAGE + (offset))

/* RAM frames of the fake domain: [FAKE_RAM_FIRST, FAKE_RAM_END). */
#define FAKE_RAM_FIRST 0x100u
#define FAKE_RAM_END 0x100000u

struct fake_domain_info {
	uint32_t domid, flags, vcpus;
	uint64_t pages;
};

struct fake_guest {
	uint8_t mem[FAKE_PAGES * PAGE];
	unsigned int reads, writes;
	char console[2 * XEN_CONSOLE_WRITE_MAX];
	size_t console_len;
	unsigned int console_calls;
	uint32_t shutdowns[8];
	unsigned int nr_shutdowns;
	/* The toolstack: what reached it, and the domains it shows the caller. */
	struct kdom_hypercall manage[16]; /* the first 16 calls */
	unsigned int nr_manage;
	unsigned int refused;
	struct kdom_hypercall last_refused;
	struct fake_domain_info domains[4];
	unsigned int nr_domains;
	bool every_domid;   /* every domid is a domain (for the list bound) */
	int64_t manage_ret; /* for pause/unpause/destroy/remote shutdown */
	/* Guest RAM. */
	uint64_t released[2048];
	unsigned int nr_released;
	uint64_t mapped[8];
	unsigned int nr_mapped;
	struct xen_e820_entry map[4];
	unsigned int map_entries;
};

static bool fake_range(const struct fake_guest *g, uint64_t gva, size_t len, bool write,
		       size_t *offset)
{
	uint64_t end;

	if (gva < FAKE_BASE || __builtin_add_overflow(gva, len, &end) ||
	    end > FAKE_BASE + sizeof(g->mem))
		return false;
	for (uint64_t page = (gva - FAKE_BASE) / PAGE; page <= (end - 1 - FAKE_BASE) / PAGE; page++)
		if (page == FAKE_HOLE || (write && page == FAKE_RO))
			return false;
	*offset = gva - FAKE_BASE;
	return true;
}

static int fake_read(void *opaque, uint64_t gva, void *buf, size_t len)
{
	struct fake_guest *g = opaque;
	size_t offset;

	g->reads++;
	if (!fake_range(g, gva, len, false, &offset))
		return -EFAULT;
	memcpy(buf, g->mem + offset, len);
	return 0;
}

static int fake_write(void *opaque, uint64_t gva, const void *buf, size_t len)
{
	struct fake_guest *g = opaque;
	size_t offset;

	g->writes++;
	if (!fake_range(g, gva, len, true, &offset))
		return -EFAULT;
	memcpy(g->mem + offset, buf, len);
	return 0;
}

static void fake_console_write(void *opaque, const char *buf, size_t len)
{
	struct fake_guest *g = opaque;

	g->console_calls++;
	ck_assert_uint_le(g->console_len + len, sizeof(g->console));
	memcpy(g->console + g->console_len, buf, len);
	g->console_len += len;
}

static void fake_shutdown(void *opaque, uint32_t reason)
{
	struct fake_guest *g = opaque;

	ck_assert_uint_lt(g->nr_shutdowns, 8);
	g->shutdowns[g->nr_shutdowns++] = reason;
}

/* kdom's GETDOMAININFO: the first domain from arg[0] up. */
static int64_t fake_getdomaininfo(struct fake_guest *g, struct kdom_hypercall *req)
{
	uint64_t from = req->arg[0];

	if (g->every_domid) {
		if (from > DOMAIN_DOMID_MAX)
			return -KDOM_ESRCH;
		req->arg[1] = KDOM_DOMINF_RUNNING;
		req->arg[2] = 256;
		req->arg[3] = 1;
		return 0;
	}
	for (unsigned int i = 0; i < g->nr_domains; i++) {
		const struct fake_domain_info *d = &g->domains[i];

		if (d->domid < from)
			continue;
		req->arg[0] = d->domid;
		req->arg[1] = d->flags;
		req->arg[2] = d->pages;
		req->arg[3] = (uint64_t)KDOM_ROLE_CONTROL << 32 | d->vcpus;
		return 0;
	}
	return -KDOM_ESRCH;
}

static int64_t fake_manage(void *opaque, struct kdom_hypercall *req)
{
	struct fake_guest *g = opaque;

	if (g->nr_manage < 16)
		g->manage[g->nr_manage] = *req;
	g->nr_manage++;
	if (req->op == KDOM_HC_DOMCTL && req->cmd == KDOM_DOMCTL_GETDOMAININFO)
		return fake_getdomaininfo(g, req);
	return g->manage_ret;
}

static void fake_refused(void *opaque, const struct kdom_hypercall *req)
{
	struct fake_guest *g = opaque;

	g->refused++;
	g->last_refused = *req;
}

static int fake_map_zero_page(void *opaque, uint64_t gfn)
{
	struct fake_guest *g = opaque;

	ck_assert_uint_lt(g->nr_mapped, 8);
	g->mapped[g->nr_mapped++] = gfn;
	return 0;
}

static bool fake_is_ram(void *opaque, uint64_t gfn)
{
	return gfn >= FAKE_RAM_FIRST && gfn < FAKE_RAM_END;
}

static int fake_release_page(void *opaque, uint64_t gfn)
{
	struct fake_guest *g = opaque;

	if (!fake_is_ram(opaque, gfn))
		return -EINVAL;
	ck_assert_uint_lt(g->nr_released, 2048);
	g->released[g->nr_released++] = gfn;
	return 0;
}

static unsigned int fake_memory_map(void *opaque, struct xen_e820_entry *map, unsigned int max)
{
	struct fake_guest *g = opaque;
	unsigned int n = g->map_entries < max ? g->map_entries : max;

	memcpy(map, g->map, n * sizeof(*map));
	return n;
}

/* A fake guest (zeroed memory) and its ops; with_toolstack: manage is set. */
static struct fake_guest *fake_guest_new(struct xen_guest_ops *ops, bool with_toolstack)
{
	struct fake_guest *g = calloc(1, sizeof(*g));

	ck_assert_ptr_nonnull(g);
	*ops = (struct xen_guest_ops){
		.read = fake_read,
		.write = fake_write,
		.console_write = fake_console_write,
		.shutdown = fake_shutdown,
		.manage = with_toolstack ? fake_manage : NULL,
		.refused = fake_refused,
		.map_zero_page = fake_map_zero_page,
		.release_page = fake_release_page,
		.is_ram = fake_is_ram,
		.memory_map = fake_memory_map,
		.opaque = g,
	};
	return g;
}

static void put(struct fake_guest *g, uint64_t gva, const void *data, size_t len)
{
	ck_assert_uint_ge(gva, FAKE_BASE);
	ck_assert_uint_le(gva - FAKE_BASE + len, sizeof(g->mem));
	memcpy(g->mem + (gva - FAKE_BASE), data, len);
}

static void get(const struct fake_guest *g, uint64_t gva, void *data, size_t len)
{
	ck_assert_uint_ge(gva, FAKE_BASE);
	ck_assert_uint_le(gva - FAKE_BASE + len, sizeof(g->mem));
	memcpy(data, g->mem + (gva - FAKE_BASE), len);
}

static int64_t hcall(struct xen_domain *xd, const struct xen_guest_ops *ops, bool long_mode,
		     uint32_t op, uint64_t a0, uint64_t a1, uint64_t a2)
{
	struct xen_call call = { .op = op, .arg = { a0, a1, a2 }, .long_mode = long_mode };

	return xen_dispatch(xd, &call, ops);
}

/* A 64-bit caller's call with two arguments, the common case. */
static int64_t hcall64(struct xen_domain *xd, const struct xen_guest_ops *ops, uint32_t op,
		       uint64_t a0, uint64_t a1)
{
	return hcall(xd, ops, true, op, a0, a1, 0);
}

/* ---- Unknown calls --------------------------------------------------------- */

START_TEST(test_unknown_ops_and_subops)
{
	static const struct {
		uint32_t op;
		uint64_t cmd;
	} unknown[] = {
		{ 0, 0 },
		{ 99, 0 },
		{ UINT32_MAX, 0 },
		{ __HYPERVISOR_vcpu_op, 0 },
		{ __HYPERVISOR_console_io, 2 },
		{ __HYPERVISOR_xen_version, 11 },
		{ __HYPERVISOR_sched_op, 7 },
		{ __HYPERVISOR_hvm_op, HVMOP_set_param },
		{ __HYPERVISOR_hvm_op, (1ull << 32) | HVMOP_get_param },
		{ __HYPERVISOR_memory_op, 3 /* current_reservation */ },
		{ __HYPERVISOR_event_channel_op, 0 /* bind_interdomain */ },
		{ __HYPERVISOR_event_channel_op, EVTCHNOP_init_control },
		{ __HYPERVISOR_event_channel_op, EVTCHNOP_expand_array },
		{ __HYPERVISOR_grant_table_op, GNTTABOP_set_version },
		{ __HYPERVISOR_grant_table_op, GNTTABOP_setup_table },
	};
	struct domain d;
	struct xen_domain xd;
	struct xen_guest_ops ops;
	struct fake_guest *g = fake_guest_new(&ops, true);

	domain_init(&d, 5, "guest", 0);
	xen_domain_init(&xd, &d, 1024, false);
	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++)
		ck_assert_msg(hcall64(&xd, &ops, unknown[i].op, unknown[i].cmd, AT(0, 0)) ==
				      -XEN_ENOSYS,
			      "op %u cmd %llu", unknown[i].op, (unsigned long long)unknown[i].cmd);
	/* Nothing was written, nothing happened. */
	ck_assert_uint_eq(g->writes, 0);
	ck_assert_uint_eq(g->console_calls + g->nr_shutdowns + g->nr_manage + g->nr_mapped, 0);
	xen_domain_destroy(&xd);
	free(g);
}
END_TEST

/* ---- console_io ------------------------------------------------------------ */

START_TEST(test_console_write)
{
	static const char hello[] = "hello, kdom\n";
	uint64_t straddling = AT(1, 0) - 5; /* the buffer crosses from page 0 to page 1 */
	struct domain d;
	struct xen_domain xd;
	struct xen_guest_ops ops;
	struct fake_guest *g = fake_guest_new(&ops, false);

	domain_init(&d, 5, "guest", 0);
	xen_domain_init(&xd, &d, 1024, false);
	put(g, straddling, hello, strlen(hello));
	ck_assert_int_eq(hcall(&xd, &ops, true, __HYPERVISOR_console_io, CONSOLEIO_write,
			       strlen(hello), straddling),
			 0);
	ck_assert_uint_eq(g->console_len, strlen(hello));
	ck_assert_mem_eq(g->console, hello, strlen(hello));
	/* A 32-bit count: the high half of the register is not part of it. */
	ck_assert_int_eq(hcall(&xd, &ops, true, __HYPERVISOR_console_io, CONSOLEIO_write,
			       (1ull << 32) | 5, straddling),
			 0);
	ck_assert_uint_eq(g->console_len, strlen(hello) + 5);
	/* Nothing to write: no call. */
	ck_assert_int_eq(hcall(&xd, &ops, true, __HYPERVISOR_console_io, CONSOLEIO_write, 0,
			       AT(FAKE_HOLE, 0)),
			 0);
	ck_assert_uint_eq(g->console_calls, 2);
	/* Into the hole: -EFAULT and nothing written, not even the readable part. */
	ck_assert_int_eq(hcall(&xd, &ops, true, __HYPERVISOR_console_io, CONSOLEIO_write, 16,
			       AT(FAKE_HOLE, 0) - 8),
			 -XEN_EFAULT);
	ck_assert_uint_eq(g->console_calls, 2);
	/* No input. */
	ck_assert_int_eq(
		hcall(&xd, &ops, true, __HYPERVISOR_console_io, CONSOLEIO_read, 16, AT(0, 0)), 0);
	ck_assert_uint_eq(g->writes, 0);
	xen_domain_destroy(&xd);
	free(g);
}
END_TEST

START_TEST(test_console_write_bounded)
{
	struct domain d;
	struct xen_domain xd;
	struct xen_guest_ops ops;
	struct fake_guest *g = fake_guest_new(&ops, false);

	domain_init(&d, 5, "guest", 0);
	xen_domain_init(&xd, &d, 1024, false);
	for (unsigned int i = 0; i < 3 * XEN_CONSOLE_WRITE_MAX; i++)
		g->mem[i] = 'a' + i % 26;
	/* An overlong write: its first XEN_CONSOLE_WRITE_MAX bytes, as one write. */
	ck_assert_int_eq(hcall(&xd, &ops, true, __HYPERVISOR_console_io, CONSOLEIO_write,
			       3 * XEN_CONSOLE_WRITE_MAX, AT(0, 0)),
			 0);
	ck_assert_uint_eq(g->console_calls, 1);
	ck_assert_uint_eq(g->console_len, XEN_CONSOLE_WRITE_MAX);
	ck_assert_mem_eq(g->console, g->mem, XEN_CONSOLE_WRITE_MAX);
	/* Even a count reaching into the hole is cut before it is read. */
	ck_assert_int_eq(hcall(&xd, &ops, true, __HYPERVISOR_console_io, CONSOLEIO_write,
			       UINT32_MAX, AT(FAKE_HOLE - 1, 0)),
			 0);
	ck_assert_uint_eq(g->console_len, 2 * XEN_CONSOLE_WRITE_MAX);
	xen_domain_destroy(&xd);
	free(g);
}
END_TEST

/* ---- sched_op -------------------------------------------------------------- */

START_TEST(test_sched_shutdown)
{
	struct domain d;
	struct xen_domain xd;
	struct xen_guest_ops ops;
	struct fake_guest *g = fake_guest_new(&ops, false);
	struct sched_shutdown shutdown;

	domain_init(&d, 5, "guest", 0);
	xen_domain_init(&xd, &d, 1024, false);
	ck_assert_int_eq(hcall64(&xd, &ops, __HYPERVISOR_sched_op, SCHEDOP_yield, 0), 0);
	ck_assert_int_eq(hcall64(&xd, &ops, __HYPERVISOR_sched_op, SCHEDOP_block, 0), 0);
	ck_assert_int_eq(hcall64(&xd, &ops, __HYPERVISOR_sched_op, SCHEDOP_poll, AT(0, 0)), 0);
	for (uint32_t reason = SHUTDOWN_poweroff; reason <= SHUTDOWN_watchdog; reason++) {
		shutdown.reason = reason;
		put(g, AT(1, 4), &shutdown, sizeof(shutdown));
		/* 32-bit callers share the layout. */
		ck_assert_int_eq(hcall(&xd, &ops, reason % 2, __HYPERVISOR_sched_op,
				       SCHEDOP_shutdown, AT(1, 4), 0),
				 0);
	}
	ck_assert_uint_eq(g->nr_shutdowns, 5);
	for (uint32_t reason = 0; reason < 5; reason++)
		ck_assert_uint_eq(g->shutdowns[reason], reason);
	/* An unknown reason, an unreadable structure: refused, nothing happens. */
	shutdown.reason = 5;
	put(g, AT(1, 4), &shutdown, sizeof(shutdown));
	ck_assert_int_eq(hcall64(&xd, &ops, __HYPERVISOR_sched_op, SCHEDOP_shutdown, AT(1, 4)),
			 -XEN_EINVAL);
	ck_assert_int_eq(
		hcall64(&xd, &ops, __HYPERVISOR_sched_op, SCHEDOP_shutdown, AT(FAKE_HOLE, 0) - 2),
		-XEN_EFAULT);
	ck_assert_uint_eq(g->nr_shutdowns, 5);
	/* The command is an int: the register's high half does not count. */
	shutdown.reason = SHUTDOWN_crash;
	put(g, AT(1, 4), &shutdown, sizeof(shutdown));
	ck_assert_int_eq(hcall64(&xd, &ops, __HYPERVISOR_sched_op, (1ull << 32) | SCHEDOP_shutdown,
				 AT(1, 4)),
			 0);
	ck_assert_uint_eq(g->shutdowns[5], SHUTDOWN_crash);
	xen_domain_destroy(&xd);
	free(g);
}
END_TEST

START_TEST(test_sched_remote_shutdown)
{
	struct domain guest, control;
	struct xen_domain xg, xc;
	struct xen_guest_ops ops;
	struct fake_guest *g = fake_guest_new(&ops, true);
	struct sched_remote_shutdown remote = { .domain_id = 7, .reason = SHUTDOWN_reboot };

	domain_init(&guest, 5, "guest", DOMAIN_ROLE_HARDWARE);
	domain_init(&control, 3, "ctl", DOMAIN_ROLE_CONTROL);
	xen_domain_init(&xg, &guest, 1024, false);
	xen_domain_init(&xc, &control, 1024, false);
	put(g, AT(0, 0), &remote, sizeof(remote));
	/* No management rights (the hardware role is none): refused, the toolstack never asked. */
	ck_assert_int_eq(
		hcall64(&xg, &ops, __HYPERVISOR_sched_op, SCHEDOP_remote_shutdown, AT(0, 0)),
		-XEN_EPERM);
	ck_assert_uint_eq(g->refused, 1);
	ck_assert_uint_eq(g->nr_manage, 0);
	/* A control domain: kdom's remote shutdown, as the port sends it. */
	g->manage_ret = -KDOM_ESRCH;
	ck_assert_int_eq(
		hcall64(&xc, &ops, __HYPERVISOR_sched_op, SCHEDOP_remote_shutdown, AT(0, 0)),
		-XEN_ESRCH);
	ck_assert_uint_eq(g->nr_manage, 1);
	ck_assert_uint_eq(g->manage[0].op, KDOM_HC_SCHED_OP);
	ck_assert_uint_eq(g->manage[0].cmd, KDOM_SCHEDOP_REMOTE_SHUTDOWN);
	ck_assert_uint_eq(g->manage[0].arg[0], 7);
	ck_assert_uint_eq(g->manage[0].arg[1], SHUTDOWN_reboot);
	/* A bad reason never reaches the toolstack; an unreadable request neither. */
	remote.reason = 9;
	put(g, AT(0, 0), &remote, sizeof(remote));
	ck_assert_int_eq(
		hcall64(&xc, &ops, __HYPERVISOR_sched_op, SCHEDOP_remote_shutdown, AT(0, 0)),
		-XEN_EINVAL);
	ck_assert_int_eq(hcall64(&xc, &ops, __HYPERVISOR_sched_op, SCHEDOP_remote_shutdown,
				 AT(FAKE_HOLE, 0)),
			 -XEN_EFAULT);
	ck_assert_uint_eq(g->nr_manage, 1);
	/* Without a toolstack (kdom run): -ENOSYS. */
	remote.reason = SHUTDOWN_poweroff;
	put(g, AT(0, 0), &remote, sizeof(remote));
	ops.manage = NULL;
	ck_assert_int_eq(
		hcall64(&xc, &ops, __HYPERVISOR_sched_op, SCHEDOP_remote_shutdown, AT(0, 0)),
		-XEN_ENOSYS);
	ck_assert_uint_eq(g->nr_shutdowns, 0);
	xen_domain_destroy(&xg);
	xen_domain_destroy(&xc);
	free(g);
}
END_TEST

/* ---- xen_version ----------------------------------------------------------- */

START_TEST(test_version_strings)
{
	struct domain d;
	struct xen_domain xd;
	struct xen_guest_ops ops;
	struct fake_guest *g = fake_guest_new(&ops, false);
	char text[XEN_CAPABILITIES_LEN + 1];
	struct xen_compile_info info;

	domain_init(&d, 5, "guest", 0);
	xen_domain_init(&xd, &d, 1024, false);
	ck_assert_int_eq(hcall64(&xd, &ops, __HYPERVISOR_xen_version, XENVER_version, 0),
			 4 << 16 | 18);
	ck_assert_int_eq(hcall64(&xd, &ops, __HYPERVISOR_xen_version, 1ull << 32, 0), 4 << 16 | 18);
	ck_assert_int_eq(hcall64(&xd, &ops, __HYPERVISOR_xen_version, XENVER_pagesize, 0), 4096);
	ck_assert_int_eq(hcall64(&xd, &ops, __HYPERVISOR_xen_version, XENVER_pagesize, AT(0, 0)),
			 -XEN_EINVAL);

	/* Each string sub-op writes its whole array, NUL-padded. */
	memset(g->mem, 0xff, 2 * PAGE);
	ck_assert_int_eq(
		hcall64(&xd, &ops, __HYPERVISOR_xen_version, XENVER_extraversion, AT(0, 0)), 0);
	get(g, AT(0, 0), text, XEN_EXTRAVERSION_LEN + 1);
	ck_assert_str_eq(text, ".0-kdom");
	ck_assert_int_eq(text[XEN_EXTRAVERSION_LEN - 1], 0);
	ck_assert_int_eq((uint8_t)text[XEN_EXTRAVERSION_LEN], 0xff);

	ck_assert_int_eq(
		hcall64(&xd, &ops, __HYPERVISOR_xen_version, XENVER_capabilities, AT(0, 100)), 0);
	get(g, AT(0, 100), text, XEN_CAPABILITIES_LEN + 1);
	ck_assert_str_eq(text, "hvm-3.0-x86_64 hvm-3.0-x86_32 hvm-3.0-x86_32p");
	ck_assert_int_eq(text[XEN_CAPABILITIES_LEN - 1], 0);
	ck_assert_int_eq((uint8_t)text[XEN_CAPABILITIES_LEN], 0xff);

	ck_assert_int_eq(hcall64(&xd, &ops, __HYPERVISOR_xen_version, XENVER_changeset, AT(1, 0)),
			 0);
	get(g, AT(1, 0), text, XEN_CHANGESET_LEN + 1);
	ck_assert_ptr_nonnull(strstr(text, "kdom"));
	ck_assert_int_eq(text[XEN_CHANGESET_LEN - 1], 0);
	ck_assert_int_eq((uint8_t)text[XEN_CHANGESET_LEN], 0xff);

	ck_assert_int_eq(
		hcall64(&xd, &ops, __HYPERVISOR_xen_version, XENVER_compile_info, AT(1, 100)), 0);
	get(g, AT(1, 100), &info, sizeof(info));
	ck_assert_int_eq(strncmp(info.compiler, __VERSION__, sizeof(info.compiler) - 1), 0);
	ck_assert_str_eq(info.compile_by, "kdom");
	ck_assert_str_eq(info.compile_date, "");

	/* Unwritable: -EFAULT for each. */
	static const uint32_t outputs[] = { XENVER_extraversion,	XENVER_compile_info,
					    XENVER_capabilities,	XENVER_changeset,
					    XENVER_platform_parameters, XENVER_guest_handle };
	for (size_t i = 0; i < sizeof(outputs) / sizeof(outputs[0]); i++) {
		ck_assert_int_eq(
			hcall64(&xd, &ops, __HYPERVISOR_xen_version, outputs[i], AT(FAKE_RO, 0)),
			-XEN_EFAULT);
		ck_assert_int_eq(hcall64(&xd, &ops, __HYPERVISOR_xen_version, outputs[i],
					 AT(FAKE_HOLE, 0) - 4),
				 -XEN_EFAULT);
	}
	xen_domain_destroy(&xd);
	free(g);
}
END_TEST

START_TEST(test_version_platform_parameters)
{
	static const uint8_t ones[16] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
					  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	struct domain d;
	struct xen_domain xd;
	struct xen_guest_ops ops;
	struct fake_guest *g = fake_guest_new(&ops, false);
	uint8_t out[16];

	domain_init(&d, 5, "guest", 0);
	xen_domain_init(&xd, &d, 1024, false);
	/* 64-bit: one 8-byte xen_ulong_t, 0 for HVM. */
	put(g, AT(0, 0), ones, sizeof(ones));
	ck_assert_int_eq(hcall(&xd, &ops, true, __HYPERVISOR_xen_version,
			       XENVER_platform_parameters, AT(0, 0), 0),
			 0);
	get(g, AT(0, 0), out, sizeof(out));
	for (int i = 0; i < 16; i++)
		ck_assert_uint_eq(out[i], i < 8 ? 0 : 0xff);
	/* 32-bit: four bytes. */
	put(g, AT(0, 0), ones, sizeof(ones));
	ck_assert_int_eq(hcall(&xd, &ops, false, __HYPERVISOR_xen_version,
			       XENVER_platform_parameters, AT(0, 0), 0),
			 0);
	get(g, AT(0, 0), out, sizeof(out));
	for (int i = 0; i < 16; i++)
		ck_assert_uint_eq(out[i], i < 4 ? 0 : 0xff);
	/* 4 bytes fit right before the hole, 8 do not. */
	ck_assert_int_eq(hcall(&xd, &ops, false, __HYPERVISOR_xen_version,
			       XENVER_platform_parameters, AT(FAKE_HOLE, 0) - 4, 0),
			 0);
	ck_assert_int_eq(hcall(&xd, &ops, true, __HYPERVISOR_xen_version,
			       XENVER_platform_parameters, AT(FAKE_HOLE, 0) - 4, 0),
			 -XEN_EFAULT);
	xen_domain_destroy(&xd);
	free(g);
}
END_TEST

static uint32_t features_of(const struct domain *d, struct fake_guest *g,
			    const struct xen_guest_ops *ops)
{
	struct xen_domain xd;
	struct xen_feature_info fi = { .submap_idx = 0, .submap = 0xdeadbeef };

	xen_domain_init(&xd, d, 1024, false);
	put(g, AT(0, 0), &fi, sizeof(fi));
	ck_assert_int_eq(hcall64(&xd, ops, __HYPERVISOR_xen_version, XENVER_get_features, AT(0, 0)),
			 0);
	get(g, AT(0, 0), &fi, sizeof(fi));
	xen_domain_destroy(&xd);
	ck_assert_uint_eq(fi.submap_idx, 0);
	return fi.submap;
}

START_TEST(test_version_features_dom0_for_hardware_only)
{
	struct domain guest, control, hardware, bootstrap, hw_ctl;
	struct xen_domain xd;
	struct xen_guest_ops ops;
	struct fake_guest *g = fake_guest_new(&ops, false);
	struct xen_feature_info fi = { .submap_idx = 1, .submap = 0xdeadbeef };

	domain_init(&guest, 5, "guest", 0);
	domain_init(&control, 3, "ctl", DOMAIN_ROLE_CONTROL);
	domain_init(&hardware, 2, "hw", DOMAIN_ROLE_HARDWARE);
	domain_init(&bootstrap, 0, "boot", 0);
	domain_init(&hw_ctl, 0, "dom0", DOMAIN_ROLE_HARDWARE | DOMAIN_ROLE_CONTROL);
	ck_assert_uint_eq(features_of(&guest, g, &ops), 0);
	ck_assert_uint_eq(features_of(&control, g, &ops), 0);
	ck_assert_uint_eq(features_of(&bootstrap, g, &ops), 0);
	ck_assert_uint_eq(features_of(&hardware, g, &ops), 1u << XENFEAT_dom0);
	ck_assert_uint_eq(features_of(&hw_ctl, g, &ops), 1u << XENFEAT_dom0);

	/* Xen has one submap: others are -EINVAL, and nothing is written. */
	xen_domain_init(&xd, &hardware, 1024, false);
	put(g, AT(0, 0), &fi, sizeof(fi));
	ck_assert_int_eq(
		hcall64(&xd, &ops, __HYPERVISOR_xen_version, XENVER_get_features, AT(0, 0)),
		-XEN_EINVAL);
	get(g, AT(0, 0), &fi, sizeof(fi));
	ck_assert_uint_eq(fi.submap, 0xdeadbeef);
	ck_assert_int_eq(
		hcall64(&xd, &ops, __HYPERVISOR_xen_version, XENVER_get_features, AT(FAKE_HOLE, 0)),
		-XEN_EFAULT);
	fi.submap_idx = 0;
	put(g, AT(FAKE_RO, 0), &fi, sizeof(fi));
	ck_assert_int_eq(
		hcall64(&xd, &ops, __HYPERVISOR_xen_version, XENVER_get_features, AT(FAKE_RO, 0)),
		-XEN_EFAULT);
	xen_domain_destroy(&xd);
	free(g);
}
END_TEST

START_TEST(test_version_guest_handle)
{
	struct domain d;
	struct xen_domain xd;
	struct xen_guest_ops ops;
	struct fake_guest *g = fake_guest_new(&ops, false);
	uint8_t handle[16];

	domain_init(&d, 5, "guest", 0);
	xen_domain_init(&xd, &d, 1024, false);
	ck_assert_int_eq(
		hcall64(&xd, &ops, __HYPERVISOR_xen_version, XENVER_guest_handle, AT(1, 0) - 8), 0);
	get(g, AT(1, 0) - 8, handle, sizeof(handle));
	ck_assert_mem_eq(handle, d.uuid, sizeof(handle));
	xen_domain_destroy(&xd);
	free(g);
}
END_TEST

/* ---- hvm_op ---------------------------------------------------------------- */

static int64_t get_param(struct xen_domain *xd, struct fake_guest *g,
			 const struct xen_guest_ops *ops, uint16_t domid, uint32_t index,
			 uint64_t *value)
{
	struct xen_hvm_param param = { .domid = domid, .index = index, .value = 0x1234 };
	int64_t ret;

	put(g, AT(2, 0), &param, sizeof(param));
	ret = hcall(xd, ops, false, __HYPERVISOR_hvm_op, HVMOP_get_param, AT(2, 0), 0);
	get(g, AT(2, 0), &param, sizeof(param));
	*value = param.value;
	return ret;
}

START_TEST(test_hvm_get_param)
{
	struct domain d;
	struct xen_domain xd;
	struct xen_guest_ops ops;
	struct fake_guest *g = fake_guest_new(&ops, false);
	struct xen_hvm_param param = { .domid = XEN_DOMID_SELF, .index = HVM_PARAM_STORE_PFN };
	uint64_t value;

	domain_init(&d, 5, "guest", 0);
	xen_domain_init(&xd, &d, 1024, false);
	ck_assert_int_eq(get_param(&xd, g, &ops, XEN_DOMID_SELF, HVM_PARAM_STORE_PFN, &value), 0);
	ck_assert_uint_eq(value, 0);
	ck_assert_int_eq(get_param(&xd, g, &ops, 5, HVM_PARAM_STORE_EVTCHN, &value), 0);
	ck_assert_uint_eq(value, 0);
	/* No console ring, unknown parameters: -EINVAL, nothing written. */
	ck_assert_int_eq(get_param(&xd, g, &ops, 5, HVM_PARAM_CONSOLE_PFN, &value), -XEN_EINVAL);
	ck_assert_uint_eq(value, 0x1234);
	ck_assert_int_eq(get_param(&xd, g, &ops, 5, HVM_PARAM_CONSOLE_EVTCHN, &value), -XEN_EINVAL);
	ck_assert_int_eq(get_param(&xd, g, &ops, 5, 9999, &value), -XEN_EINVAL);
	/* Another domain's: -EPERM. */
	ck_assert_int_eq(get_param(&xd, g, &ops, 6, HVM_PARAM_STORE_PFN, &value), -XEN_EPERM);
	ck_assert_uint_eq(value, 0x1234);
	/* Unreadable, unwritable. */
	ck_assert_int_eq(hcall64(&xd, &ops, __HYPERVISOR_hvm_op, HVMOP_get_param, AT(FAKE_HOLE, 8)),
			 -XEN_EFAULT);
	put(g, AT(FAKE_RO, 0), &param, sizeof(param));
	ck_assert_int_eq(hcall64(&xd, &ops, __HYPERVISOR_hvm_op, HVMOP_get_param, AT(FAKE_RO, 0)),
			 -XEN_EFAULT);
	xen_domain_destroy(&xd);
	free(g);
}
END_TEST

/* ---- memory_op: add_to_physmap --------------------------------------------- */

static int64_t add_to_physmap(struct xen_domain *xd, struct fake_guest *g,
			      const struct xen_guest_ops *ops, bool long_mode, uint16_t domid,
			      uint32_t space, uint64_t idx, uint64_t gpfn)
{
	if (long_mode) {
		struct xen_add_to_physmap64 a = {
			.domid = domid, .space = space, .idx = idx, .gpfn = gpfn
		};

		put(g, AT(3, 0), &a, sizeof(a));
	} else {
		struct xen_add_to_physmap32 a = {
			.domid = domid, .space = space, .idx = (uint32_t)idx, .gpfn = (uint32_t)gpfn
		};

		put(g, AT(3, 0), &a, sizeof(a));
		/* What a 64-bit reading would take for gpfn: make it wrong. */
		put(g, AT(3, 16), &(uint64_t){ 0xbad }, 8);
	}
	return hcall(xd, ops, long_mode, __HYPERVISOR_memory_op, XENMEM_add_to_physmap, AT(3, 0),
		     0);
}

START_TEST(test_add_to_physmap)
{
	struct domain d;
	struct xen_domain xd;
	struct xen_guest_ops ops;
	struct fake_guest *g = fake_guest_new(&ops, false);

	domain_init(&d, 5, "guest", 0);
	xen_domain_init(&xd, &d, 1024, false);
	ck_assert_uint_eq(xd.shared_info_gfn, XEN_GFN_NONE);
	ck_assert_uint_eq(xd.grant_gfn, XEN_GFN_NONE);
	/* 64-bit layout: shared_info at 0xfeff, grant frame 0 at 0 (a frame like any other). */
	ck_assert_int_eq(add_to_physmap(&xd, g, &ops, true, XEN_DOMID_SELF, XENMAPSPACE_shared_info,
					0, 0xfeff),
			 0);
	ck_assert_int_eq(add_to_physmap(&xd, g, &ops, true, 5, XENMAPSPACE_grant_table, 0, 0), 0);
	ck_assert_uint_eq(g->nr_mapped, 2);
	ck_assert_uint_eq(g->mapped[0], 0xfeff);
	ck_assert_uint_eq(g->mapped[1], 0);
	ck_assert_uint_eq(xd.shared_info_gfn, 0xfeff);
	ck_assert_uint_eq(xd.grant_gfn, 0);
	/* 32-bit layout: 4-byte idx and gpfn. */
	ck_assert_int_eq(add_to_physmap(&xd, g, &ops, false, XEN_DOMID_SELF,
					XENMAPSPACE_shared_info, 0, 0xfe00),
			 0);
	ck_assert_uint_eq(g->mapped[2], 0xfe00);
	ck_assert_uint_eq(xd.shared_info_gfn, 0xfe00);

	/* Refused, nothing mapped: */
	ck_assert_int_eq(add_to_physmap(&xd, g, &ops, true, XEN_DOMID_SELF, XENMAPSPACE_shared_info,
					1, 0x200),
			 -XEN_EINVAL);
	ck_assert_int_eq(add_to_physmap(&xd, g, &ops, true, XEN_DOMID_SELF, XENMAPSPACE_grant_table,
					1, 0x200),
			 -XEN_EINVAL);
	ck_assert_int_eq(add_to_physmap(&xd, g, &ops, false, XEN_DOMID_SELF,
					XENMAPSPACE_grant_table, XENMAPIDX_grant_table_status,
					0x200),
			 -XEN_EINVAL);
	ck_assert_int_eq(add_to_physmap(&xd, g, &ops, true, XEN_DOMID_SELF, XENMAPSPACE_shared_info,
					0, 1ull << 40),
			 -XEN_EINVAL);
	ck_assert_int_eq(
		add_to_physmap(&xd, g, &ops, true, XEN_DOMID_SELF, XENMAPSPACE_gmfn, 0x300, 0x200),
		-XEN_EOPNOTSUPP);
	ck_assert_int_eq(add_to_physmap(&xd, g, &ops, true, XEN_DOMID_SELF,
					XENMAPSPACE_gmfn_foreign, 0x300, 0x200),
			 -XEN_EOPNOTSUPP);
	ck_assert_int_eq(add_to_physmap(&xd, g, &ops, true, XEN_DOMID_SELF, 77, 0, 0x200),
			 -XEN_EINVAL);
	ck_assert_int_eq(add_to_physmap(&xd, g, &ops, true, 6, XENMAPSPACE_shared_info, 0, 0x200),
			 -XEN_EPERM);
	ck_assert_int_eq(hcall64(&xd, &ops, __HYPERVISOR_memory_op, XENMEM_add_to_physmap,
				 AT(FAKE_HOLE, 0) - 8),
			 -XEN_EFAULT);
	ck_assert_uint_eq(g->nr_mapped, 3);
	ck_assert_uint_eq(xd.shared_info_gfn, 0xfe00);
	xen_domain_destroy(&xd);
	free(g);
}
END_TEST

/* ---- memory_op: reservations ----------------------------------------------- */

/* A reservation at AT(4, 0) with extents at `extents`; returns memory_op's result. */
static int64_t reservation(struct xen_domain *xd, struct fake_guest *g,
			   const struct xen_guest_ops *ops, bool long_mode, uint64_t cmd,
			   uint64_t extents, uint64_t nr_extents, uint32_t order, uint16_t domid)
{
	if (long_mode) {
		struct xen_memory_reservation64 r = { .extent_start = extents,
						      .nr_extents = nr_extents,
						      .extent_order = order,
						      .domid = domid };

		put(g, AT(4, 0), &r, sizeof(r));
	} else {
		struct xen_memory_reservation32 r = { .extent_start = (uint32_t)extents,
						      .nr_extents = (uint32_t)nr_extents,
						      .extent_order = order,
						      .domid = domid };

		put(g, AT(4, 0), &r, sizeof(r));
	}
	return hcall(xd, ops, long_mode, __HYPERVISOR_memory_op, cmd, AT(4, 0), 0);
}

static void put_gfns(struct fake_guest *g, uint64_t gva, bool long_mode, const uint64_t *gfns,
		     size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (long_mode) {
			put(g, gva + 8 * i, &gfns[i], 8);
		} else {
			uint32_t gfn32 = (uint32_t)gfns[i];

			put(g, gva + 4 * i, &gfn32, 4);
		}
	}
}

static void check_decrease_reservation(bool long_mode)
{
	static const uint64_t gfns[] = { 0x100, 0x2345, 0x100000 - 1, 0x50, 0x101 };
	uint64_t array = AT(5, 0);
	struct domain d;
	struct xen_domain xd;
	struct xen_guest_ops ops;
	struct fake_guest *g = fake_guest_new(&ops, false);

	domain_init(&d, 5, "guest", 0);
	xen_domain_init(&xd, &d, 1024, false);
	put_gfns(g, array, long_mode, gfns, 5);
	/* Three RAM frames: all released. */
	ck_assert_int_eq(reservation(&xd, g, &ops, long_mode, XENMEM_decrease_reservation, array, 3,
				     0, XEN_DOMID_SELF),
			 3);
	ck_assert_uint_eq(g->nr_released, 3);
	for (int i = 0; i < 3; i++)
		ck_assert_uint_eq(g->released[i], gfns[i]);
	/* The fourth is not RAM: the call stops there. */
	g->nr_released = 0;
	ck_assert_int_eq(
		reservation(&xd, g, &ops, long_mode, XENMEM_decrease_reservation, array, 5, 0, 5),
		3);
	ck_assert_uint_eq(g->nr_released, 3);
	/* Resuming at extent 4 (cmd's start_extent): the count includes the ones before. */
	g->nr_released = 0;
	ck_assert_int_eq(reservation(&xd, g, &ops, long_mode,
				     4 << MEMOP_EXTENT_SHIFT | XENMEM_decrease_reservation, array,
				     5, 0, 5),
			 5);
	ck_assert_uint_eq(g->nr_released, 1);
	ck_assert_uint_eq(g->released[0], 0x101);
	ck_assert_int_eq(reservation(&xd, g, &ops, long_mode,
				     9 << MEMOP_EXTENT_SHIFT | XENMEM_decrease_reservation, array,
				     5, 0, 5),
			 9);
	/* An array running into the hole: the extents before it. */
	g->nr_released = 0;
	put_gfns(g, AT(FAKE_HOLE, 0) - (long_mode ? 16 : 8), long_mode, gfns, 2);
	ck_assert_int_eq(reservation(&xd, g, &ops, long_mode, XENMEM_decrease_reservation,
				     AT(FAKE_HOLE, 0) - (long_mode ? 16 : 8), 4, 0, 5),
			 2);
	ck_assert_uint_eq(g->nr_released, 2);
	/* Refused outright, nothing released. */
	g->nr_released = 0;
	ck_assert_int_eq(reservation(&xd, g, &ops, long_mode, XENMEM_decrease_reservation, array, 3,
				     1, XEN_DOMID_SELF),
			 -XEN_EINVAL);
	ck_assert_int_eq(
		reservation(&xd, g, &ops, long_mode, XENMEM_decrease_reservation, array, 3, 0, 6),
		-XEN_EPERM);
	ck_assert_int_eq(hcall(&xd, &ops, long_mode, __HYPERVISOR_memory_op,
			       XENMEM_decrease_reservation, AT(FAKE_HOLE, 0) - 12, 0),
			 -XEN_EFAULT);
	ck_assert_uint_eq(g->nr_released, 0);
	xen_domain_destroy(&xd);

	/* RAM pinned for pass-through: refused. */
	xen_domain_init(&xd, &d, 1024, true);
	ck_assert_int_eq(reservation(&xd, g, &ops, long_mode, XENMEM_decrease_reservation, array, 3,
				     0, XEN_DOMID_SELF),
			 -XEN_EPERM);
	ck_assert_uint_eq(g->nr_released, 0);
	xen_domain_destroy(&xd);
	free(g);
}

START_TEST(test_decrease_reservation_64)
{
	check_decrease_reservation(true);
}
END_TEST

START_TEST(test_decrease_reservation_32)
{
	check_decrease_reservation(false);
}
END_TEST

/* The 32-bit layout is not the 64-bit one read short: a 64-bit reading would see other gfns. */
START_TEST(test_reservation_layouts_differ)
{
	static const uint64_t gfns[] = { 0x100, 0x101 };
	struct domain d;
	struct xen_domain xd;
	struct xen_guest_ops ops;
	struct fake_guest *g = fake_guest_new(&ops, false);

	domain_init(&d, 5, "guest", 0);
	xen_domain_init(&xd, &d, 1024, false);
	put_gfns(g, AT(5, 0), false, gfns, 2);
	ck_assert_int_eq(reservation(&xd, g, &ops, false, XENMEM_decrease_reservation, AT(5, 0), 2,
				     0, XEN_DOMID_SELF),
			 2);
	ck_assert_uint_eq(g->released[0], 0x100);
	ck_assert_uint_eq(g->released[1], 0x101);
	/* Read as 64-bit frames, the same bytes are one frame 0x101_00000100: not RAM. */
	ck_assert_int_eq(reservation(&xd, g, &ops, true, XENMEM_decrease_reservation, AT(5, 0), 2,
				     0, XEN_DOMID_SELF),
			 0);
	ck_assert_uint_eq(g->nr_released, 2);
	xen_domain_destroy(&xd);
	free(g);
}
END_TEST

START_TEST(test_reservation_bounded)
{
	struct domain d;
	struct xen_domain xd;
	struct xen_guest_ops ops;
	struct fake_guest *g = fake_guest_new(&ops, false);

	domain_init(&d, 5, "guest", 0);
	xen_domain_init(&xd, &d, 1024, false);
	for (uint64_t i = 0; i < 2000; i++)
		put(g, AT(5, 8 * i), &(uint64_t){ FAKE_RAM_FIRST + i }, 8);
	/* However many the guest asks for, 1024 per call. */
	ck_assert_int_eq(reservation(&xd, g, &ops, true, XENMEM_decrease_reservation, AT(5, 0),
				     UINT64_MAX, 0, XEN_DOMID_SELF),
			 1024);
	ck_assert_uint_eq(g->nr_released, 1024);
	ck_assert_uint_eq(g->released[1023], FAKE_RAM_FIRST + 1023);
	/* And on from there. */
	ck_assert_int_eq(reservation(&xd, g, &ops, true,
				     1024 << MEMOP_EXTENT_SHIFT | XENMEM_decrease_reservation,
				     AT(5, 0), 2000, 0, XEN_DOMID_SELF),
			 2000);
	ck_assert_uint_eq(g->nr_released, 2000);
	ck_assert_uint_eq(g->released[1999], FAKE_RAM_FIRST + 1999);
	xen_domain_destroy(&xd);
	free(g);
}
END_TEST

START_TEST(test_populate_and_increase)
{
	static const uint64_t gfns[] = { 0x100, 0x4000, 0x10, 0x200 };
	uint8_t before[32], after[32];
	struct domain d;
	struct xen_domain xd;
	struct xen_guest_ops ops;
	struct fake_guest *g = fake_guest_new(&ops, false);

	domain_init(&d, 5, "guest", 0);
	xen_domain_init(&xd, &d, 1024, true); /* pass-through does not matter here */
	put_gfns(g, AT(5, 0), true, gfns, 4);
	get(g, AT(5, 0), before, sizeof(before));
	g->writes = 0;
	/* Two RAM frames, then one that is not: 2 done, nothing written back. */
	ck_assert_int_eq(reservation(&xd, g, &ops, true, XENMEM_populate_physmap, AT(5, 0), 4, 0,
				     XEN_DOMID_SELF),
			 2);
	get(g, AT(5, 0), after, sizeof(after));
	ck_assert_mem_eq(before, after, sizeof(before));
	ck_assert_uint_eq(g->writes, 0);
	put_gfns(g, AT(5, 0), false, gfns, 2);
	ck_assert_int_eq(reservation(&xd, g, &ops, false, XENMEM_populate_physmap, AT(5, 0), 2, 0,
				     XEN_DOMID_SELF),
			 2);
	ck_assert_int_eq(reservation(&xd, g, &ops, true, XENMEM_populate_physmap, AT(5, 0), 2, 9,
				     XEN_DOMID_SELF),
			 -XEN_EINVAL);
	/* increase_reservation: no pages beyond the domain's RAM, none done. */
	ck_assert_int_eq(reservation(&xd, g, &ops, true, XENMEM_increase_reservation, 0, 8, 0,
				     XEN_DOMID_SELF),
			 0);
	ck_assert_int_eq(reservation(&xd, g, &ops, true, XENMEM_increase_reservation, 0, 8, 0, 9),
			 -XEN_EPERM);
	ck_assert_uint_eq(g->nr_released + g->nr_mapped, 0);
	xen_domain_destroy(&xd);
	free(g);
}
END_TEST

/* ---- memory_op: the memory map and the top of RAM -------------------------- */

static void fake_map_fill(struct fake_guest *g)
{
	g->map[0] = (struct xen_e820_entry){ 0, 0x9fc00, XEN_E820_RAM };
	g->map[1] = (struct xen_e820_entry){ 0xf0000, 0x10000, 2 };
	g->map[2] = (struct xen_e820_entry){ 0x100000, 0xc0000000 - 0x100000, XEN_E820_RAM };
	g->map[3] = (struct xen_e820_entry){ 0x100000000ull, 0x40000000, XEN_E820_RAM };
	g->map_entries = 4;
}

static void check_memory_map(bool long_mode)
{
	uint64_t buffer = AT(7, 0) - 30; /* the entries straddle pages 6 and 7 */
	struct xen_e820_entry out[5];
	struct domain d;
	struct xen_domain xd;
	struct xen_guest_ops ops;
	struct fake_guest *g = fake_guest_new(&ops, false);
	uint32_t nr;

	domain_init(&d, 5, "guest", 0);
	xen_domain_init(&xd, &d, 1024, false);
	fake_map_fill(g);
	for (uint32_t room = 0; room <= 5; room++) {
		memset(g->mem + (buffer - FAKE_BASE), 0xee, sizeof(out));
		if (long_mode) {
			struct xen_memory_map64 m = { .nr_entries = room, .buffer = buffer };

			put(g, AT(3, 0), &m, sizeof(m));
		} else {
			struct xen_memory_map32 m = { .nr_entries = room,
						      .buffer = (uint32_t)buffer };

			put(g, AT(3, 0), &m, sizeof(m));
		}
		ck_assert_int_eq(hcall(&xd, &ops, long_mode, __HYPERVISOR_memory_op,
				       XENMEM_memory_map, AT(3, 0), 0),
				 0);
		get(g, AT(3, 0), &nr, sizeof(nr));
		ck_assert_uint_eq(nr, room < 4 ? room : 4);
		get(g, buffer, out, sizeof(out));
		ck_assert_mem_eq(out, g->map, nr * sizeof(out[0]));
		ck_assert_uint_eq(((uint8_t *)&out[nr])[0], 0xee); /* nothing past them */
	}
	/* The buffer field is where the layout says: the 32-bit one is right after nr_entries. */
	if (long_mode) {
		struct xen_memory_map64 m = { .nr_entries = 4, .buffer = AT(FAKE_HOLE, 0) - 20 };

		put(g, AT(3, 0), &m, sizeof(m));
	} else {
		struct xen_memory_map32 m = { .nr_entries = 4,
					      .buffer = (uint32_t)(AT(FAKE_HOLE, 0) - 20) };

		put(g, AT(3, 0), &m, sizeof(m));
		put(g, AT(3, 8), &(uint64_t){ AT(0, 0) }, 8); /* a 64-bit reading's buffer */
	}
	/* One entry fits before the hole, four do not. */
	ck_assert_int_eq(
		hcall(&xd, &ops, long_mode, __HYPERVISOR_memory_op, XENMEM_memory_map, AT(3, 0), 0),
		-XEN_EFAULT);
	ck_assert_int_eq(hcall(&xd, &ops, long_mode, __HYPERVISOR_memory_op, XENMEM_memory_map,
			       AT(FAKE_HOLE, 0) - 4, 0),
			 -XEN_EFAULT);
	xen_domain_destroy(&xd);
	free(g);
}

START_TEST(test_memory_map_64)
{
	check_memory_map(true);
}
END_TEST

START_TEST(test_memory_map_32)
{
	check_memory_map(false);
}
END_TEST

START_TEST(test_memory_map_bad)
{
	struct xen_memory_map64 m = { .nr_entries = 4, .buffer = AT(0, 0) };
	struct domain d;
	struct xen_domain xd;
	struct xen_guest_ops ops;
	struct fake_guest *g = fake_guest_new(&ops, false);

	domain_init(&d, 5, "guest", 0);
	xen_domain_init(&xd, &d, 1024, false);
	/* No map at all: Xen's -ENOSYS. */
	put(g, AT(3, 0), &m, sizeof(m));
	ck_assert_int_eq(hcall64(&xd, &ops, __HYPERVISOR_memory_op, XENMEM_memory_map, AT(3, 0)),
			 -XEN_ENOSYS);
	/* The structure readable but not writable: the count cannot go back. */
	fake_map_fill(g);
	put(g, AT(FAKE_RO, 0), &m, sizeof(m));
	ck_assert_int_eq(
		hcall64(&xd, &ops, __HYPERVISOR_memory_op, XENMEM_memory_map, AT(FAKE_RO, 0)),
		-XEN_EFAULT);
	xen_domain_destroy(&xd);
	free(g);
}
END_TEST

static uint64_t fake_host_max_page(void *opaque)
{
	return 0x640000; /* a 25 GiB host */
}

START_TEST(test_maximum_ram_page)
{
	struct domain d;
	struct xen_domain xd;
	struct xen_guest_ops ops;
	struct fake_guest *g = fake_guest_new(&ops, false);

	domain_init(&d, 5, "guest", 0);
	xen_domain_init(&xd, &d, 777, false);
	/* Without a map: the page count. */
	ck_assert_int_eq(hcall64(&xd, &ops, __HYPERVISOR_memory_op, XENMEM_maximum_ram_page, 0),
			 777);
	/* With one: the frame above the highest RAM, above the MMIO hole. */
	fake_map_fill(g);
	ck_assert_int_eq(hcall64(&xd, &ops, __HYPERVISOR_memory_op, XENMEM_maximum_ram_page, 0),
			 (0x100000000ll + 0x40000000) >> 12);
	/* Reserved ranges do not count. */
	g->map_entries = 2;
	ck_assert_int_eq(hcall64(&xd, &ops, __HYPERVISOR_memory_op, XENMEM_maximum_ram_page, 0),
			 0x9f);
	/* A host behind it changes nothing for this plain domain. */
	ops.host_max_page = fake_host_max_page;
	ck_assert_int_eq(hcall64(&xd, &ops, __HYPERVISOR_memory_op, XENMEM_maximum_ram_page, 0),
			 0x9f);
	xen_domain_destroy(&xd);
	free(g);
}
END_TEST

/* The hardware domain is told the host's highest frame (its own when that is unknown). */
START_TEST(test_maximum_ram_page_hardware)
{
	struct domain d;
	struct xen_domain xd;
	struct xen_guest_ops ops;
	struct fake_guest *g = fake_guest_new(&ops, false);

	domain_init(&d, 0, "hw", DOMAIN_ROLE_HARDWARE);
	xen_domain_init(&xd, &d, 777, false);
	ops.host_max_page = fake_host_max_page;
	ck_assert_int_eq(hcall64(&xd, &ops, __HYPERVISOR_memory_op, XENMEM_maximum_ram_page, 0),
			 0x640000);
	ops.host_max_page = NULL;
	ck_assert_int_eq(hcall64(&xd, &ops, __HYPERVISOR_memory_op, XENMEM_maximum_ram_page, 0),
			 777);
	xen_domain_destroy(&xd);
	free(g);
}
END_TEST

/* ---- event channels ------------------------------------------------------- */

static int64_t evtchn(struct xen_domain *xd, struct fake_guest *g, const struct xen_guest_ops *ops,
		      uint32_t cmd, const void *arg, size_t len)
{
	put(g, AT(6, 0), arg, len);
	return hcall64(xd, ops, __HYPERVISOR_event_channel_op, cmd, AT(6, 0));
}

static int64_t evtchn_alloc(struct xen_domain *xd, struct fake_guest *g,
			    const struct xen_guest_ops *ops, uint16_t dom, uint16_t remote)
{
	struct evtchn_alloc_unbound alloc = { .dom = dom, .remote_dom = remote, .port = 999 };
	int64_t ret = evtchn(xd, g, ops, EVTCHNOP_alloc_unbound, &alloc, sizeof(alloc));

	get(g, AT(6, 0), &alloc, sizeof(alloc));
	return ret ? ret : alloc.port;
}

static struct evtchn_status evtchn_status(struct xen_domain *xd, struct fake_guest *g,
					  const struct xen_guest_ops *ops, uint32_t port,
					  int64_t expect)
{
	struct evtchn_status status;

	memset(&status, 0xa5, sizeof(status));
	status.dom = XEN_DOMID_SELF;
	status.port = port;
	ck_assert_int_eq(evtchn(xd, g, ops, EVTCHNOP_status, &status, sizeof(status)), expect);
	get(g, AT(6, 0), &status, sizeof(status));
	return status;
}

static int64_t evtchn_port_op(struct xen_domain *xd, struct fake_guest *g,
			      const struct xen_guest_ops *ops, uint32_t cmd, uint32_t port)
{
	return evtchn(xd, g, ops, cmd, &port, sizeof(port));
}

START_TEST(test_evtchn_sequence)
{
	struct domain d;
	struct xen_domain xd;
	struct xen_guest_ops ops;
	struct fake_guest *g = fake_guest_new(&ops, false);
	struct evtchn_status status;

	domain_init(&d, 5, "guest", 0);
	xen_domain_init(&xd, &d, 1024, false);
	ck_assert_int_eq(evtchn_alloc(&xd, g, &ops, XEN_DOMID_SELF, 0), 1);
	ck_assert_int_eq(evtchn_alloc(&xd, g, &ops, 5, XEN_DOMID_SELF), 2);

	status = evtchn_status(&xd, g, &ops, 1, 0);
	ck_assert_uint_eq(status.status, EVTCHNSTAT_unbound);
	ck_assert_uint_eq(status.u.unbound.dom, 0);
	ck_assert_uint_eq(status.vcpu, 0);
	status = evtchn_status(&xd, g, &ops, 2, 0);
	ck_assert_uint_eq(status.status, EVTCHNSTAT_unbound);
	ck_assert_uint_eq(status.u.unbound.dom, 5); /* DOMID_SELF: the caller */
	status = evtchn_status(&xd, g, &ops, 0, 0); /* reserved */
	ck_assert_uint_eq(status.status, EVTCHNSTAT_closed);
	status = evtchn_status(&xd, g, &ops, 10, 0);
	ck_assert_uint_eq(status.status, EVTCHNSTAT_closed);
	ck_assert_uint_eq(status.u.interdomain.port, 0);
	evtchn_status(&xd, g, &ops, XEN_EVTCHN_PORTS, -XEN_EINVAL);

	/* Sending to an unbound port is dropped; to a closed one refused. */
	ck_assert_int_eq(evtchn_port_op(&xd, g, &ops, EVTCHNOP_send, 1), 0);
	ck_assert_int_eq(evtchn_port_op(&xd, g, &ops, EVTCHNOP_send, 0), -XEN_EINVAL);
	ck_assert_int_eq(evtchn_port_op(&xd, g, &ops, EVTCHNOP_send, 10), -XEN_EINVAL);
	ck_assert_int_eq(evtchn_port_op(&xd, g, &ops, EVTCHNOP_send, UINT32_MAX), -XEN_EINVAL);

	ck_assert_int_eq(evtchn_port_op(&xd, g, &ops, EVTCHNOP_close, 1), 0);
	status = evtchn_status(&xd, g, &ops, 1, 0);
	ck_assert_uint_eq(status.status, EVTCHNSTAT_closed);
	ck_assert_int_eq(evtchn_port_op(&xd, g, &ops, EVTCHNOP_send, 1), -XEN_EINVAL);
	ck_assert_int_eq(evtchn_port_op(&xd, g, &ops, EVTCHNOP_close, 1), -XEN_EINVAL);
	ck_assert_int_eq(evtchn_port_op(&xd, g, &ops, EVTCHNOP_close, 0), -XEN_EINVAL);
	ck_assert_int_eq(evtchn_port_op(&xd, g, &ops, EVTCHNOP_close, 1000), -XEN_EINVAL);
	/* The lowest free port again. */
	ck_assert_int_eq(evtchn_alloc(&xd, g, &ops, XEN_DOMID_SELF, 0), 1);
	ck_assert_int_eq(evtchn_alloc(&xd, g, &ops, XEN_DOMID_SELF, 0), 3);
	xen_domain_destroy(&xd);
	free(g);
}
END_TEST

START_TEST(test_evtchn_bad_input)
{
	struct evtchn_alloc_unbound alloc = { .dom = XEN_DOMID_SELF, .remote_dom = 0 };
	struct evtchn_status status = { .dom = 6, .port = 1 };
	struct domain d;
	struct xen_domain xd;
	struct xen_guest_ops ops;
	struct fake_guest *g = fake_guest_new(&ops, false);

	domain_init(&d, 5, "guest", 0);
	xen_domain_init(&xd, &d, 1024, false);
	/* Another domain's ports: -EPERM, and no port taken. */
	ck_assert_int_eq(evtchn_alloc(&xd, g, &ops, 6, 0), -XEN_EPERM);
	ck_assert_int_eq(evtchn(&xd, g, &ops, EVTCHNOP_status, &status, sizeof(status)),
			 -XEN_EPERM);
	/* A port number that cannot be written back: -EFAULT, and the port is free again. */
	put(g, AT(FAKE_RO, 0), &alloc, sizeof(alloc));
	ck_assert_int_eq(hcall64(&xd, &ops, __HYPERVISOR_event_channel_op, EVTCHNOP_alloc_unbound,
				 AT(FAKE_RO, 0)),
			 -XEN_EFAULT);
	ck_assert_int_eq(evtchn_alloc(&xd, g, &ops, XEN_DOMID_SELF, 0), 1);
	/* Unreadable: -EFAULT for each. */
	static const uint32_t cmds[] = { EVTCHNOP_alloc_unbound, EVTCHNOP_status, EVTCHNOP_send,
					 EVTCHNOP_close };
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		ck_assert_int_eq(hcall64(&xd, &ops, __HYPERVISOR_event_channel_op, cmds[i],
					 AT(FAKE_HOLE, 0) - 2),
				 -XEN_EFAULT);
	/* Status read but not written back. */
	status.dom = XEN_DOMID_SELF;
	put(g, AT(FAKE_RO, 0), &status, sizeof(status));
	ck_assert_int_eq(
		hcall64(&xd, &ops, __HYPERVISOR_event_channel_op, EVTCHNOP_status, AT(FAKE_RO, 0)),
		-XEN_EFAULT);
	xen_domain_destroy(&xd);
	free(g);
}
END_TEST

START_TEST(test_evtchn_table_full)
{
	struct domain d;
	struct xen_domain xd;
	struct xen_guest_ops ops;
	struct fake_guest *g = fake_guest_new(&ops, false);

	domain_init(&d, 5, "guest", 0);
	xen_domain_init(&xd, &d, 1024, false);
	for (int port = 1; port < XEN_EVTCHN_PORTS; port++)
		ck_assert_int_eq(evtchn_alloc(&xd, g, &ops, XEN_DOMID_SELF, 0), port);
	ck_assert_int_eq(evtchn_alloc(&xd, g, &ops, XEN_DOMID_SELF, 0), -XEN_ENOSPC);
	ck_assert_int_eq(evtchn_port_op(&xd, g, &ops, EVTCHNOP_close, 17), 0);
	ck_assert_int_eq(evtchn_alloc(&xd, g, &ops, XEN_DOMID_SELF, 0), 17);
	xen_domain_destroy(&xd);
	free(g);
}
END_TEST

/* ---- grant tables ---------------------------------------------------------- */

START_TEST(test_gnttab_query_size)
{
	struct gnttab_query_size query = { .dom = XEN_DOMID_SELF, .status = 99 };
	struct domain d;
	struct xen_domain xd;
	struct xen_guest_ops ops;
	struct fake_guest *g = fake_guest_new(&ops, false);

	domain_init(&d, 5, "guest", 0);
	xen_domain_init(&xd, &d, 1024, false);
	put(g, AT(0, 0), &query, sizeof(query));
	ck_assert_int_eq(hcall(&xd, &ops, false, __HYPERVISOR_grant_table_op, GNTTABOP_query_size,
			       AT(0, 0), 1),
			 0);
	get(g, AT(0, 0), &query, sizeof(query));
	ck_assert_uint_eq(query.nr_frames, 1);
	ck_assert_uint_eq(query.max_nr_frames, 1);
	ck_assert_int_eq(query.status, GNTST_okay);
	/* Another domain: a status, not an error. */
	query = (struct gnttab_query_size){ .dom = 6 };
	put(g, AT(0, 0), &query, sizeof(query));
	ck_assert_int_eq(hcall(&xd, &ops, true, __HYPERVISOR_grant_table_op, GNTTABOP_query_size,
			       AT(0, 0), 1),
			 0);
	get(g, AT(0, 0), &query, sizeof(query));
	ck_assert_int_eq(query.status, GNTST_permission_denied);
	ck_assert_uint_eq(query.nr_frames, 0);
	/* One structure per call; unreadable; unwritable. */
	ck_assert_int_eq(hcall(&xd, &ops, true, __HYPERVISOR_grant_table_op, GNTTABOP_query_size,
			       AT(0, 0), 2),
			 -XEN_EINVAL);
	ck_assert_int_eq(hcall(&xd, &ops, true, __HYPERVISOR_grant_table_op, GNTTABOP_query_size,
			       AT(FAKE_HOLE, 0), 1),
			 -XEN_EFAULT);
	ck_assert_int_eq(hcall(&xd, &ops, true, __HYPERVISOR_grant_table_op, GNTTABOP_query_size,
			       AT(FAKE_RO, 0), 1),
			 -XEN_EFAULT);
	xen_domain_destroy(&xd);
	free(g);
}
END_TEST

/* ---- domctl and sysctl ----------------------------------------------------- */

static void put_domctl(struct fake_guest *g, uint64_t gva, uint32_t cmd, uint16_t domain)
{
	struct xen_domctl domctl = {
		.cmd = cmd,
		.interface_version = XEN_DOMCTL_INTERFACE_VERSION,
		.domain = domain,
	};

	put(g, gva, &domctl, sizeof(domctl));
}

START_TEST(test_control_refused_unread)
{
	struct domain guest, hardware;
	struct xen_domain xg, xh;
	struct xen_guest_ops ops;
	struct fake_guest *g = fake_guest_new(&ops, true);

	domain_init(&guest, 5, "guest", 0);
	domain_init(&hardware, 2, "hw", DOMAIN_ROLE_HARDWARE);
	xen_domain_init(&xg, &guest, 1024, false);
	xen_domain_init(&xh, &hardware, 1024, false);
	put_domctl(g, AT(0, 0), XEN_DOMCTL_pausedomain, 7);
	/* A readable request, an unreadable one: the same -EPERM, nothing read or asked. */
	ck_assert_int_eq(hcall64(&xg, &ops, __HYPERVISOR_domctl, AT(0, 0), 0), -XEN_EPERM);
	ck_assert_int_eq(hcall64(&xg, &ops, __HYPERVISOR_domctl, AT(FAKE_HOLE, 0), 0), -XEN_EPERM);
	ck_assert_int_eq(hcall64(&xh, &ops, __HYPERVISOR_domctl, AT(0, 0), 0), -XEN_EPERM);
	ck_assert_uint_eq(g->last_refused.op, KDOM_HC_DOMCTL);
	ck_assert_uint_eq(g->last_refused.cmd, 0);
	ck_assert_int_eq(hcall64(&xg, &ops, __HYPERVISOR_sysctl, AT(0, 0), 0), -XEN_EPERM);
	ck_assert_uint_eq(g->last_refused.op, KDOM_HC_SYSCTL);
	ck_assert_uint_eq(g->reads, 0);
	ck_assert_uint_eq(g->writes, 0);
	ck_assert_uint_eq(g->refused, 4);
	ck_assert_uint_eq(g->nr_manage, 0);
	xen_domain_destroy(&xg);
	xen_domain_destroy(&xh);
	free(g);
}
END_TEST

START_TEST(test_control_bad_requests)
{
	struct xen_sysctl sysctl = { .cmd = XEN_SYSCTL_getdomaininfolist,
				     .interface_version = XEN_SYSCTL_INTERFACE_VERSION - 1 };
	struct xen_domctl domctl = { .cmd = XEN_DOMCTL_pausedomain,
				     .interface_version = 0x15, /* Xen 4.17's */
				     .domain = 7 };
	struct domain control;
	struct xen_domain xd;
	struct xen_guest_ops ops;
	struct fake_guest *g = fake_guest_new(&ops, true);

	domain_init(&control, 3, "ctl", DOMAIN_ROLE_CONTROL);
	xen_domain_init(&xd, &control, 1024, false);
	/* Another interface version: -EACCES, the toolstack never asked. */
	put(g, AT(0, 0), &domctl, sizeof(domctl));
	ck_assert_int_eq(hcall64(&xd, &ops, __HYPERVISOR_domctl, AT(0, 0), 0), -XEN_EACCES);
	put(g, AT(1, 0), &sysctl, sizeof(sysctl));
	ck_assert_int_eq(hcall64(&xd, &ops, __HYPERVISOR_sysctl, AT(1, 0), 0), -XEN_EACCES);
	/* Unreadable: -EFAULT. */
	ck_assert_int_eq(hcall64(&xd, &ops, __HYPERVISOR_domctl, AT(FAKE_HOLE, 0) - 100, 0),
			 -XEN_EFAULT);
	ck_assert_int_eq(hcall64(&xd, &ops, __HYPERVISOR_sysctl, AT(FAKE_HOLE, 0) - 100, 0),
			 -XEN_EFAULT);
	/* Unknown sub-ops; createdomain is not served this way. */
	put_domctl(g, AT(0, 0), 77, 7);
	ck_assert_int_eq(hcall64(&xd, &ops, __HYPERVISOR_domctl, AT(0, 0), 0), -XEN_ENOSYS);
	put_domctl(g, AT(0, 0), XEN_DOMCTL_createdomain, 0);
	ck_assert_int_eq(hcall64(&xd, &ops, __HYPERVISOR_domctl, AT(0, 0), 0), -XEN_EOPNOTSUPP);
	sysctl.interface_version = XEN_SYSCTL_INTERFACE_VERSION;
	sysctl.cmd = 1;
	put(g, AT(1, 0), &sysctl, sizeof(sysctl));
	ck_assert_int_eq(hcall64(&xd, &ops, __HYPERVISOR_sysctl, AT(1, 0), 0), -XEN_ENOSYS);
	ck_assert_uint_eq(g->nr_manage, 0);
	ck_assert_uint_eq(g->refused, 0);
	/* No toolstack: -ENOSYS once the request is valid. */
	ops.manage = NULL;
	put_domctl(g, AT(0, 0), XEN_DOMCTL_pausedomain, 7);
	ck_assert_int_eq(hcall64(&xd, &ops, __HYPERVISOR_domctl, AT(0, 0), 0), -XEN_ENOSYS);
	xen_domain_destroy(&xd);
	free(g);
}
END_TEST

START_TEST(test_domctl_pause_unpause_destroy)
{
	static const struct {
		uint32_t xen, kdom;
	} cmds[] = {
		{ XEN_DOMCTL_pausedomain, KDOM_DOMCTL_PAUSEDOMAIN },
		{ XEN_DOMCTL_unpausedomain, KDOM_DOMCTL_UNPAUSEDOMAIN },
		{ XEN_DOMCTL_destroydomain, KDOM_DOMCTL_DESTROYDOMAIN },
	};
	struct domain control, bootstrap;
	struct xen_domain xc, xb;
	struct xen_guest_ops ops;
	struct fake_guest *g = fake_guest_new(&ops, true);

	domain_init(&control, 3, "ctl", DOMAIN_ROLE_CONTROL);
	domain_init(&bootstrap, 0, "boot", 0);
	xen_domain_init(&xc, &control, 1024, false);
	xen_domain_init(&xb, &bootstrap, 1024, false);
	for (unsigned int i = 0; i < 3; i++) {
		put_domctl(g, AT(0, 0), cmds[i].xen, 7 + i);
		g->manage_ret = i == 1 ? -KDOM_EBUSY : 0;
		ck_assert_int_eq(hcall(&xc, &ops, i == 2, __HYPERVISOR_domctl, AT(0, 0), 0, 0),
				 g->manage_ret);
		ck_assert_uint_eq(g->nr_manage, i + 1);
		ck_assert_uint_eq(g->manage[i].op, KDOM_HC_DOMCTL);
		ck_assert_uint_eq(g->manage[i].cmd, cmds[i].kdom);
		ck_assert_uint_eq(g->manage[i].arg[0], 7 + i);
	}
	/* The bootstrap domain (domain 0, no role) reaches the toolstack too. */
	g->manage_ret = 0;
	put_domctl(g, AT(0, 0), XEN_DOMCTL_pausedomain, 9);
	ck_assert_int_eq(hcall64(&xb, &ops, __HYPERVISOR_domctl, AT(0, 0), 0), 0);
	ck_assert_uint_eq(g->nr_manage, 4);
	ck_assert_uint_eq(g->refused, 0);
	xen_domain_destroy(&xc);
	xen_domain_destroy(&xb);
	free(g);
}
END_TEST

static void fake_domains_fill(struct fake_guest *g)
{
	g->domains[0] = (struct fake_domain_info){ 0, KDOM_DOMINF_RUNNING, 2, 0x8000 };
	g->domains[1] = (struct fake_domain_info){ 3, KDOM_DOMINF_PAUSED, 1, 0x4000 };
	g->domains[2] = (struct fake_domain_info){
		7, KDOM_DOMINF_SHUTDOWN | SHUTDOWN_crash << KDOM_DOMINF_SHUTDOWNSHIFT, 4, 0x100
	};
	g->nr_domains = 3;
}

START_TEST(test_domctl_getdomaininfo)
{
	struct domain control;
	struct xen_domain xd;
	struct xen_guest_ops ops;
	struct fake_guest *g = fake_guest_new(&ops, true);
	struct xen_domctl domctl;

	domain_init(&control, 3, "ctl", DOMAIN_ROLE_CONTROL);
	xen_domain_init(&xd, &control, 1024, false);
	fake_domains_fill(g);
	put_domctl(g, AT(0, 0), XEN_DOMCTL_getdomaininfo, 7);
	ck_assert_int_eq(hcall64(&xd, &ops, __HYPERVISOR_domctl, AT(0, 0), 0), 0);
	get(g, AT(0, 0), &domctl, sizeof(domctl));
	ck_assert_uint_eq(domctl.domain, 7);
	ck_assert_uint_eq(domctl.u.getdomaininfo.domain, 7);
	ck_assert_uint_eq(domctl.u.getdomaininfo.flags,
			  XEN_DOMINF_hvm_guest | XEN_DOMINF_shutdown |
				  SHUTDOWN_crash << XEN_DOMINF_shutdownshift);
	ck_assert_uint_eq(domctl.u.getdomaininfo.tot_pages, 0x100);
	ck_assert_uint_eq(domctl.u.getdomaininfo.max_pages, 0x100);
	ck_assert_uint_eq(domctl.u.getdomaininfo.nr_online_vcpus, 4);
	ck_assert_uint_eq(domctl.u.getdomaininfo.max_vcpu_id, 3);
	ck_assert_uint_eq(domctl.interface_version, XEN_DOMCTL_INTERFACE_VERSION);
	ck_assert_uint_eq(g->manage[0].cmd, KDOM_DOMCTL_GETDOMAININFO);
	/* Xen 4.18: exactly the domain asked for, not the next one up. */
	put_domctl(g, AT(0, 0), XEN_DOMCTL_getdomaininfo, 4);
	ck_assert_int_eq(hcall64(&xd, &ops, __HYPERVISOR_domctl, AT(0, 0), 0), -XEN_ESRCH);
	put_domctl(g, AT(0, 0), XEN_DOMCTL_getdomaininfo, 8);
	ck_assert_int_eq(hcall64(&xd, &ops, __HYPERVISOR_domctl, AT(0, 0), 0), -XEN_ESRCH);
	get(g, AT(0, 0), &domctl, sizeof(domctl));
	ck_assert_uint_eq(domctl.u.getdomaininfo.domain, 0); /* not written */
	/* Read but not written back. */
	put_domctl(g, AT(FAKE_RO, 0), XEN_DOMCTL_getdomaininfo, 3);
	ck_assert_int_eq(hcall64(&xd, &ops, __HYPERVISOR_domctl, AT(FAKE_RO, 0), 0), -XEN_EFAULT);
	xen_domain_destroy(&xd);
	free(g);
}
END_TEST

static int64_t getdomaininfolist(struct xen_domain *xd, struct fake_guest *g,
				 const struct xen_guest_ops *ops, bool long_mode, uint16_t first,
				 uint32_t max, uint64_t buffer, uint32_t *num)
{
	struct xen_sysctl sysctl = {
		.cmd = XEN_SYSCTL_getdomaininfolist,
		.interface_version = XEN_SYSCTL_INTERFACE_VERSION,
		.u.getdomaininfolist = { .first_domain = first,
					 .max_domains = max,
					 .buffer = buffer,
					 .num_domains = 0xdead },
	};
	int64_t ret;

	put(g, AT(1, 0), &sysctl, sizeof(sysctl));
	ret = hcall(xd, ops, long_mode, __HYPERVISOR_sysctl, AT(1, 0), 0, 0);
	get(g, AT(1, 0), &sysctl, sizeof(sysctl));
	*num = sysctl.u.getdomaininfolist.num_domains;
	return ret;
}

START_TEST(test_sysctl_getdomaininfolist)
{
	struct xen_domctl_getdomaininfo info[4];
	struct domain control;
	struct xen_domain xd;
	struct xen_guest_ops ops;
	struct fake_guest *g = fake_guest_new(&ops, true);
	uint32_t num;

	domain_init(&control, 3, "ctl", DOMAIN_ROLE_CONTROL);
	xen_domain_init(&xd, &control, 1024, false);
	fake_domains_fill(g);
	/* Everything from 0: three domains, by domid, in a buffer straddling pages 2 and 3. */
	ck_assert_int_eq(getdomaininfolist(&xd, g, &ops, true, 0, 10, AT(3, 0) - 150, &num), 0);
	ck_assert_uint_eq(num, 3);
	get(g, AT(3, 0) - 150, info, sizeof(info));
	ck_assert_uint_eq(info[0].domain, 0);
	ck_assert_uint_eq(info[0].flags, XEN_DOMINF_hvm_guest | XEN_DOMINF_running);
	ck_assert_uint_eq(info[0].tot_pages, 0x8000);
	ck_assert_uint_eq(info[0].max_vcpu_id, 1);
	ck_assert_uint_eq(info[1].domain, 3);
	ck_assert_uint_eq(info[1].flags, XEN_DOMINF_hvm_guest | XEN_DOMINF_paused);
	ck_assert_uint_eq(info[2].domain, 7);
	ck_assert_uint_eq(info[2].nr_online_vcpus, 4);
	ck_assert_uint_eq(info[3].domain, 0); /* untouched */
	ck_assert_uint_eq(info[3].tot_pages, 0);
	/* From 1, one entry (32-bit caller, same layout): domain 3. */
	memset(info, 0, sizeof(info));
	put(g, AT(3, 0) - 150, info, sizeof(info));
	ck_assert_int_eq(getdomaininfolist(&xd, g, &ops, false, 1, 1, AT(3, 0) - 150, &num), 0);
	ck_assert_uint_eq(num, 1);
	get(g, AT(3, 0) - 150, info, sizeof(info));
	ck_assert_uint_eq(info[0].domain, 3);
	ck_assert_uint_eq(info[1].tot_pages, 0);
	/* Past the last: none; room for none: the toolstack is not asked. */
	ck_assert_int_eq(getdomaininfolist(&xd, g, &ops, true, 8, 10, AT(3, 0), &num), 0);
	ck_assert_uint_eq(num, 0);
	g->nr_manage = 0;
	ck_assert_int_eq(getdomaininfolist(&xd, g, &ops, true, 0, 0, AT(FAKE_HOLE, 0), &num), 0);
	ck_assert_uint_eq(num, 0);
	ck_assert_uint_eq(g->nr_manage, 0);
	/* The second entry would fall into the hole: -EFAULT, num_domains not written. */
	ck_assert_int_eq(getdomaininfolist(&xd, g, &ops, true, 0, 10,
					   AT(FAKE_HOLE, 0) - sizeof(info[0]), &num),
			 -XEN_EFAULT);
	ck_assert_uint_eq(num, 0xdead);
	/* A 32-bit caller's buffer may not run past 4 GiB. */
	ck_assert_int_eq(getdomaininfolist(&xd, g, &ops, false, 0, 10, 0xffffffffull - 100, &num),
			 -XEN_EFAULT);
	/* Without a toolstack: -ENOSYS. */
	ops.manage = NULL;
	ck_assert_int_eq(getdomaininfolist(&xd, g, &ops, true, 0, 10, AT(3, 0), &num), -XEN_ENOSYS);
	xen_domain_destroy(&xd);
	free(g);
}
END_TEST

START_TEST(test_sysctl_getdomaininfolist_bounded)
{
	struct domain control;
	struct xen_domain xd;
	struct xen_guest_ops ops;
	struct fake_guest *g;
	uint32_t num;
	uint16_t last;

	/* 1024 entries of 112 bytes: 28 pages, from page 2 on, before the hole. */
	ck_assert_uint_le(1024 * sizeof(struct xen_domctl_getdomaininfo), (FAKE_HOLE - 2) * PAGE);
	g = fake_guest_new(&ops, true);
	domain_init(&control, 3, "ctl", DOMAIN_ROLE_CONTROL);
	xen_domain_init(&xd, &control, 1024, false);
	g->every_domid = true;
	ck_assert_int_eq(getdomaininfolist(&xd, g, &ops, true, 100, UINT32_MAX, AT(2, 0), &num), 0);
	ck_assert_uint_eq(num, 1024);
	ck_assert_uint_eq(g->nr_manage, 1024);
	get(g, AT(2, 0) + 1023 * sizeof(struct xen_domctl_getdomaininfo), &last, sizeof(last));
	ck_assert_uint_eq(last, 100 + 1023);
	xen_domain_destroy(&xd);
	free(g);
}
END_TEST

Suite *xen_ops_suite(void)
{
	Suite *suite = suite_create("xen-ops");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_unknown_ops_and_subops);
	tcase_add_test(tc, test_console_write);
	tcase_add_test(tc, test_console_write_bounded);
	tcase_add_test(tc, test_sched_shutdown);
	tcase_add_test(tc, test_sched_remote_shutdown);
	tcase_add_test(tc, test_version_strings);
	tcase_add_test(tc, test_version_platform_parameters);
	tcase_add_test(tc, test_version_features_dom0_for_hardware_only);
	tcase_add_test(tc, test_version_guest_handle);
	tcase_add_test(tc, test_hvm_get_param);
	tcase_add_test(tc, test_add_to_physmap);
	tcase_add_test(tc, test_decrease_reservation_64);
	tcase_add_test(tc, test_decrease_reservation_32);
	tcase_add_test(tc, test_reservation_layouts_differ);
	tcase_add_test(tc, test_reservation_bounded);
	tcase_add_test(tc, test_populate_and_increase);
	tcase_add_test(tc, test_memory_map_64);
	tcase_add_test(tc, test_memory_map_32);
	tcase_add_test(tc, test_memory_map_bad);
	tcase_add_test(tc, test_maximum_ram_page);
	tcase_add_test(tc, test_maximum_ram_page_hardware);
	tcase_add_test(tc, test_evtchn_sequence);
	tcase_add_test(tc, test_evtchn_bad_input);
	tcase_add_test(tc, test_evtchn_table_full);
	tcase_add_test(tc, test_gnttab_query_size);
	tcase_add_test(tc, test_control_refused_unread);
	tcase_add_test(tc, test_control_bad_requests);
	tcase_add_test(tc, test_domctl_pause_unpause_destroy);
	tcase_add_test(tc, test_domctl_getdomaininfo);
	tcase_add_test(tc, test_sysctl_getdomaininfolist);
	tcase_add_test(tc, test_sysctl_getdomaininfolist_bounded);
	suite_add_tcase(suite, tc);
	return suite;
}

/* vfio-user-testdev-check: starts vfio-user-testdev, drives it as a vfio-user client, checks it. */
#include <errno.h>
#include <fcntl.h>
#include <linux/pci_regs.h>
#include <linux/vfio.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kdom/testdev.h"
#include "vfio/vfio-user-wire.h"

/*
 * Usage: vfio-user-testdev-check [--server PATH] [--verbose]
 *
 * The server is PATH, or vfio-user-testdev next to this program.  It runs
 * twice on a socket in a fresh temporary folder: once with --once for the
 * device and the protocol's error replies, ending with a message the
 * stream cannot survive and a check that the server exits 0; then without
 * --once for the connection cases (a truncated header, commands before
 * VERSION, a bad version, state kept across clients) and SIGTERM.  One
 * "PASS:"/"FAIL:" line per check, a summary, exit status 0 or 1; the
 * server's log is printed when something failed (or with --verbose).
 */

/* How long the server may take to answer one message. */
#define REPLY_TIMEOUT_MS 10000

/* The device's BAR0 registers (see vfio-user-testdev.c). */

#define BAR0 VFIO_PCI_BAR0_REGION_INDEX
#define BAR2 VFIO_PCI_BAR2_REGION_INDEX
#define BAR4 VFIO_PCI_BAR4_REGION_INDEX
#define CFG VFIO_PCI_CONFIG_REGION_INDEX
#define MSIX_CAP 0x40
#define MSIX_CTRL (MSIX_CAP + PCI_MSIX_FLAGS)
#define PBA 0x800

#define DMA_IOVA 0x40000000ull
#define DMA_SIZE (2u << 20)
#define DMA_FD_OFFSET (1u << 20)
#define DMA_FILE_SIZE (4u << 20)
#define DMA_SEED 0x5au /* byte i of a DMA is (DMA_SEED + i * 7) */
#define SHRINK_IOVA 0x80000000ull

struct client {
	int sock;
	uint16_t next_id;
};

struct server {
	pid_t pid;
	int log_fd;
	char log[1 << 16];
	size_t log_len;
};

static unsigned int checks, failures;
static bool verbose;
static volatile pid_t running_server; /* for the timeout to kill */

static void report(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void report(bool ok, const char *fmt, ...)
{
	va_list ap;

	checks++;
	if (!ok)
		failures++;
	printf("%s: ", ok ? "PASS" : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/* ---- Talking vfio-user ---------------------------------------------------------------- */

/* Bytes as they are, for the frames the server must refuse. */
static int send_raw(int sock, const void *buf, size_t len)
{
	return send(sock, buf, len, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -EIO;
}

static int send_msg(struct client *c, uint16_t id, uint16_t command, uint32_t flags,
		    const void *req, uint32_t len, const int *fds, unsigned int nfds)
{
	struct vfio_user_header hdr = {
		.msg_id = id,
		.command = command,
		.size = VFIO_USER_HEADER_SIZE + len,
		.flags = flags,
	};
	struct vfio_user_wait wait = { .deadline_ms = vfio_user_clock_ms() + REPLY_TIMEOUT_MS };

	return vfio_user_send(c->sock, &hdr, req, fds, nfds, &wait);
}

/*
 * Check a reply to message id of command: 0 with its payload in reply (at
 * most cap bytes; *reply_len) and its first fd in *fd (NULL: closed), the
 * server's -errno for an error reply, or -ECONNRESET, -ETIMEDOUT, -EPROTO.
 */
static int get_reply_fd(struct client *c, uint16_t id, uint16_t command, void *reply, size_t cap,
			uint32_t *reply_len, int *fd)
{
	struct vfio_user_wait wait = { .deadline_ms = vfio_user_clock_ms() + REPLY_TIMEOUT_MS };
	struct vfio_user_msg m;
	int ret = vfio_user_recv(c->sock, &m, VFIO_USER_HEADER_SIZE + (uint32_t)cap,
				 VFIO_USER_MAX_FDS, &wait);

	if (ret == -EBADMSG || ret == -EMSGSIZE || ret == -ETOOMANYREFS)
		return -EPROTO;
	if (ret)
		return ret;
	if (m.hdr.msg_id != id || m.hdr.command != command ||
	    (m.hdr.flags & VFIO_USER_F_TYPE_MASK) != VFIO_USER_F_TYPE_REPLY) {
		ret = -EPROTO;
	} else if (m.hdr.flags & VFIO_USER_F_ERROR) {
		ret = m.len ? -EPROTO : m.hdr.error ? -(int)m.hdr.error : -EIO;
	} else {
		if (m.len)
			memcpy(reply, m.payload, m.len);
		if (reply_len)
			*reply_len = m.len;
		if (fd && m.nr_fds) {
			*fd = m.fds[0];
			m.fds[0] = -1;
		}
	}
	vfio_user_msg_release(&m);
	return ret;
}

static int get_reply(struct client *c, uint16_t id, uint16_t command, void *reply, size_t cap,
		     uint32_t *reply_len)
{
	return get_reply_fd(c, id, command, reply, cap, reply_len, NULL);
}

static int vu_call(struct client *c, uint16_t command, const void *req, uint32_t len,
		   const int *fds, unsigned int nfds, void *reply, size_t cap, uint32_t *reply_len)
{
	uint16_t id = c->next_id++;
	int ret = send_msg(c, id, command, 0, req, len, fds, nfds);

	return ret ? ret : get_reply(c, id, command, reply, cap, reply_len);
}

static int region_access(struct client *c, bool write, uint32_t region, uint64_t offset, void *data,
			 uint32_t count)
{
	struct vfio_user_region_access a = { .offset = offset, .region = region, .count = count };
	uint32_t len = (uint32_t)sizeof(a) + (write ? count : 0);
	uint8_t *req = malloc(len), *reply = malloc(sizeof(a) + count);
	uint32_t got = 0;
	int ret = -ENOMEM;

	if (!req || !reply)
		goto out;
	memcpy(req, &a, sizeof(a));
	if (write)
		memcpy(req + sizeof(a), data, count);
	ret = vu_call(c, write ? VFIO_USER_REGION_WRITE : VFIO_USER_REGION_READ, req, len, NULL, 0,
		      reply, sizeof(a) + count, &got);
	if (ret)
		goto out;
	if (got != (write ? sizeof(a) : sizeof(a) + count) || memcmp(reply, &a, sizeof(a))) {
		ret = -EPROTO;
		goto out;
	}
	if (!write)
		memcpy(data, reply + sizeof(a), count);
out:
	free(req);
	free(reply);
	return ret;
}

static uint32_t rd(struct client *c, uint32_t region, uint64_t offset, uint32_t size)
{
	uint8_t b[4] = { 0 };
	int ret = region_access(c, false, region, offset, b, size);

	if (ret) {
		report(false, "read of %u bytes at region %u + 0x%llx: %s", size, region,
		       (unsigned long long)offset, strerror(-ret));
		return 0xffffffff;
	}
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static void wr(struct client *c, uint32_t region, uint64_t offset, uint32_t size, uint32_t value)
{
	uint8_t b[4] = { (uint8_t)value, (uint8_t)(value >> 8), (uint8_t)(value >> 16),
			 (uint8_t)(value >> 24) };
	int ret = region_access(c, true, region, offset, b, size);

	if (ret)
		report(false, "write of %u bytes at region %u + 0x%llx: %s", size, region,
		       (unsigned long long)offset, strerror(-ret));
}

static uint32_t rd32(struct client *c, uint32_t region, uint64_t offset)
{
	return rd(c, region, offset, 4);
}

static void wr32(struct client *c, uint32_t region, uint64_t offset, uint32_t value)
{
	wr(c, region, offset, 4, value);
}

static int set_irqs(struct client *c, uint32_t flags, uint32_t index, uint32_t start,
		    uint32_t count, const int *fds, unsigned int nfds)
{
	struct vfio_user_irq_set s = {
		.argsz = sizeof(s), .flags = flags, .index = index, .start = start, .count = count
	};

	return vu_call(c, VFIO_USER_DEVICE_SET_IRQS, &s, sizeof(s), fds, nfds, NULL, 0, NULL);
}

static int dma_map(struct client *c, int fd, uint64_t offset, uint64_t iova, uint64_t size)
{
	struct vfio_user_dma_map m = { .argsz = sizeof(m),
				       .flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
				       .offset = offset,
				       .address = iova,
				       .size = size };

	return vu_call(c, VFIO_USER_DMA_MAP, &m, sizeof(m), &fd, fd >= 0, NULL, 0, NULL);
}

static int dma_unmap(struct client *c, uint32_t flags, uint64_t iova, uint64_t size,
		     struct vfio_user_dma_unmap *echo)
{
	struct vfio_user_dma_unmap u = {
		.argsz = sizeof(u), .flags = flags, .address = iova, .size = size
	};
	uint32_t got = 0;
	int ret =
		vu_call(c, VFIO_USER_DMA_UNMAP, &u, sizeof(u), NULL, 0, echo, sizeof(*echo), &got);

	return ret ? ret : got == sizeof(u) ? 0 : -EPROTO;
}

/* Drain an eventfd (non-blocking); whether it had been signalled. */
static bool fired(int efd)
{
	struct pollfd p = { .fd = efd, .events = POLLIN };
	uint64_t v;

	if (poll(&p, 1, 100) != 1)
		return false;
	return read(efd, &v, sizeof(v)) == sizeof(v) && v > 0;
}

static int client_connect(struct client *c, const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };

	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
	c->next_id = 1;
	c->sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->sock < 0)
		return -errno;
	if (connect(c->sock, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		int err = -errno;

		close(c->sock);
		c->sock = -1;
		return err;
	}
	return 0;
}

static void client_close(struct client *c)
{
	if (c->sock >= 0)
		close(c->sock);
	c->sock = -1;
}

/* VERSION with these capabilities (NULL: none); the server's JSON in json. */
static int negotiate(struct client *c, uint16_t major, uint16_t minor, const char *caps,
		     uint16_t *reply_minor, char *json, size_t json_cap)
{
	uint8_t req[512], reply[512];
	size_t len = caps ? strlen(caps) + 1 : 0;
	uint32_t got = 0;
	struct vfio_user_version v = { .major = major, .minor = minor };
	int ret;

	memcpy(req, &v, sizeof(v));
	if (caps)
		memcpy(req + sizeof(v), caps, len);
	ret = vu_call(c, VFIO_USER_VERSION, req, (uint32_t)(sizeof(v) + len), NULL, 0, reply,
		      sizeof(reply), &got);
	if (ret)
		return ret;
	if (got < sizeof(v) + 1 || reply[got - 1] != '\0')
		return -EPROTO;
	memcpy(&v, reply, sizeof(v));
	if (v.major != major)
		return -EPROTO;
	if (reply_minor)
		*reply_minor = v.minor;
	if (json) {
		size_t n = strnlen((char *)reply + sizeof(v), json_cap - 1);

		memcpy(json, reply + sizeof(v), n);
		json[n] = '\0';
	}
	return 0;
}

/* Whether the peer has closed the connection (EOF within a second). */
static bool hung_up(struct client *c)
{
	struct pollfd p = { .fd = c->sock, .events = POLLIN };
	char b;

	return poll(&p, 1, 1000) == 1 && recv(c->sock, &b, 1, MSG_DONTWAIT) == 0;
}

/* ---- The server process ---------------------------------------------------------------- */

static void server_read_log(struct server *s, int timeout_ms)
{
	struct pollfd p = { .fd = s->log_fd, .events = POLLIN };

	while (s->log_fd >= 0 && poll(&p, 1, timeout_ms) == 1) {
		ssize_t n = read(s->log_fd, s->log + s->log_len, sizeof(s->log) - 1 - s->log_len);

		if (n <= 0) {
			close(s->log_fd);
			s->log_fd = -1;
			break;
		}
		s->log_len += (size_t)n;
		s->log[s->log_len] = '\0';
		if (s->log_len == sizeof(s->log) - 1)
			s->log_len = 0; /* keep reading so the server never blocks */
	}
}

static int server_start(struct server *s, const char *bin, const char *path, bool once)
{
	char ready[256];
	struct timespec start, now;
	int p[2];

	memset(s, 0, sizeof(*s));
	s->log_fd = -1;
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	s->pid = fork();
	if (s->pid < 0)
		return -errno;
	if (s->pid == 0) {
		dup2(p[1], STDERR_FILENO);
		execl(bin, bin, "--socket", path, once ? "--once" : (char *)NULL, (char *)NULL);
		fprintf(stderr, "exec %s: %s\n", bin, strerror(errno));
		_exit(127);
	}
	close(p[1]);
	s->log_fd = p[0];
	running_server = s->pid;
	snprintf(ready, sizeof(ready), "vfio-user-testdev: listening on %s\n", path);
	clock_gettime(CLOCK_MONOTONIC, &start);
	do {
		server_read_log(s, 100);
		if (strstr(s->log, ready))
			return 0;
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while (s->log_fd >= 0 && now.tv_sec - start.tv_sec < 10);
	return -ETIMEDOUT;
}

static bool server_alive(struct server *s)
{
	int status;

	return s->pid > 0 && waitpid(s->pid, &status, WNOHANG) == 0;
}

/* Wait up to timeout_s for the server to end; its wait status, or -1. */
static int server_wait(struct server *s, int timeout_s)
{
	int status;

	for (int i = 0; i < timeout_s * 20; i++) {
		pid_t r = waitpid(s->pid, &status, WNOHANG);

		if (r == s->pid) {
			s->pid = -1;
			server_read_log(s, 100);
			return status;
		}
		usleep(50000);
	}
	return -1;
}

static void server_stop(struct server *s)
{
	if (s->pid > 0) {
		kill(s->pid, SIGKILL);
		waitpid(s->pid, NULL, 0);
		s->pid = -1;
	}
	server_read_log(s, 100);
	if (s->log_fd >= 0)
		close(s->log_fd);
	s->log_fd = -1;
}

static void server_print_log(const struct server *s, const char *title)
{
	const char *line = s->log;

	printf("--- server log (%s) ---\n", title);
	while (*line) {
		const char *end = strchr(line, '\n');
		int len = end ? (int)(end - line) : (int)strlen(line);

		printf("  | %.*s\n", len, line);
		line += len + (end ? 1 : 0);
	}
}

/* ---- The checks ----------------------------------------------------------------------- */

static void check_device_info(struct client *c)
{
	struct vfio_user_device_info info = { .argsz = sizeof(info) }, reply;
	int ret;

	ret = vu_call(c, VFIO_USER_DEVICE_GET_INFO, &info, sizeof(info), NULL, 0, &reply,
		      sizeof(reply), NULL);
	report(!ret && reply.argsz == 16 &&
		       reply.flags == (VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET) &&
		       reply.num_regions == VFIO_PCI_NUM_REGIONS &&
		       reply.num_irqs == VFIO_PCI_NUM_IRQS,
	       "DEVICE_GET_INFO: PCI with reset, %u regions, %u IRQ indices", reply.num_regions,
	       reply.num_irqs);
}

static void check_region_info(struct client *c)
{
	static const uint64_t region_size[VFIO_PCI_NUM_REGIONS] = {
		[BAR0] = 4096,
		[BAR2] = 4096,
		[VFIO_PCI_BAR4_REGION_INDEX] = 65536,
		[CFG] = 256,
	};
	bool sizes_ok = true;
	int ret;

	for (uint32_t i = 0; i < VFIO_PCI_NUM_REGIONS; i++) {
		struct vfio_user_region_info ri = { .argsz = sizeof(ri), .index = i }, rr;
		uint32_t want = region_size[i]
					? VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE
					: 0;

		if (i == VFIO_PCI_BAR4_REGION_INDEX)
			want |= VFIO_REGION_INFO_FLAG_MMAP; /* its memfd rides along */

		ret = vu_call(c, VFIO_USER_DEVICE_GET_REGION_INFO, &ri, sizeof(ri), NULL, 0, &rr,
			      sizeof(rr), NULL);
		if (ret || rr.index != i || rr.size != region_size[i] || rr.flags != want) {
			sizes_ok = false;
			printf("  region %u: %s size %llu flags 0x%x\n", i, strerror(-ret),
			       (unsigned long long)rr.size, rr.flags);
		}
	}
	report(sizes_ok, "DEVICE_GET_REGION_INFO: BAR0 and BAR2 4 KiB, BAR4 64 KiB mmappable, "
			 "config 256, others 0, read/write");
}

static void check_region_info_refusals(struct client *c)
{
	struct vfio_user_region_info ri = { .argsz = sizeof(ri), .index = 9 }, rr;
	int ret;

	ret = vu_call(c, VFIO_USER_DEVICE_GET_REGION_INFO, &ri, sizeof(ri), NULL, 0, &rr,
		      sizeof(rr), NULL);
	report(ret == -EINVAL, "DEVICE_GET_REGION_INFO index 9: EINVAL (%s)", strerror(-ret));
	ri.index = 0;
	ri.argsz = 16;
	ret = vu_call(c, VFIO_USER_DEVICE_GET_REGION_INFO, &ri, sizeof(ri), NULL, 0, &rr,
		      sizeof(rr), NULL);
	report(ret == -EINVAL, "DEVICE_GET_REGION_INFO with argsz 16: EINVAL (%s)", strerror(-ret));
}

static void check_irq_info(struct client *c)
{
	static const uint32_t irq_count[VFIO_PCI_NUM_IRQS] = { 1, 1, 8, 0, 0 };
	struct vfio_user_irq_info irq, irq_reply;
	bool counts_ok = true;
	int ret;

	for (uint32_t i = 0; i < VFIO_PCI_NUM_IRQS; i++) {
		irq = (struct vfio_user_irq_info){ .argsz = sizeof(irq), .index = i };
		ret = vu_call(c, VFIO_USER_DEVICE_GET_IRQ_INFO, &irq, sizeof(irq), NULL, 0,
			      &irq_reply, sizeof(irq_reply), NULL);
		if (ret || irq_reply.index != i || irq_reply.count != irq_count[i] ||
		    !(irq_reply.flags & VFIO_IRQ_INFO_EVENTFD))
			counts_ok = false;
		if (i == VFIO_PCI_INTX_IRQ_INDEX)
			report(!ret && irq_reply.flags ==
					       (VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_MASKABLE |
						VFIO_IRQ_INFO_AUTOMASKED),
			       "DEVICE_GET_IRQ_INFO INTx: eventfd, maskable, automasked");
	}
	report(counts_ok, "DEVICE_GET_IRQ_INFO: INTx 1, MSI 1, MSI-X 8, ERR 0, REQ 0");
	irq = (struct vfio_user_irq_info){ .argsz = sizeof(irq), .index = 5 };
	ret = vu_call(c, VFIO_USER_DEVICE_GET_IRQ_INFO, &irq, sizeof(irq), NULL, 0, &irq_reply,
		      sizeof(irq_reply), NULL);
	report(ret == -EINVAL, "DEVICE_GET_IRQ_INFO index 5: EINVAL (%s)", strerror(-ret));
}

static void check_region_io_fds(struct client *c)
{
	struct vfio_user_region_io_fds io_fds = { .argsz = sizeof(io_fds), .index = BAR0 },
				       io_fds_reply;
	int ret;

	ret = vu_call(c, VFIO_USER_DEVICE_GET_REGION_IO_FDS, &io_fds, sizeof(io_fds), NULL, 0,
		      &io_fds_reply, sizeof(io_fds_reply), NULL);
	report(!ret && io_fds_reply.index == BAR0 && io_fds_reply.count == 0,
	       "DEVICE_GET_REGION_IO_FDS BAR0: no sub-regions");
}

/* What the device says it has: its info, regions, interrupts and I/O fds. */
static void check_discovery(struct client *c)
{
	check_device_info(c);
	check_region_info(c);
	check_region_info_refusals(c);
	check_irq_info(c);
	check_region_io_fds(c);
}

static void check_config_space(struct client *c)
{
	report(rd32(c, CFG, PCI_VENDOR_ID) == 0x00014b44, "config: vendor 0x4b44, device 0x0001");
	report(rd32(c, CFG, PCI_CLASS_REVISION) == 0xff000001,
	       "config: class 0xff0000, revision 1");
	report(rd(c, CFG, PCI_HEADER_TYPE, 1) == 0, "config: header type 0");
	report(rd32(c, CFG, PCI_SUBSYSTEM_VENDOR_ID) == 0x00014b44, "config: subsystem IDs");
	report(rd(c, CFG, PCI_INTERRUPT_PIN, 1) == 1, "config: interrupt pin INTA");
	report(rd(c, CFG, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST, "config: capability list bit");
	report(rd(c, CFG, PCI_CAPABILITY_LIST, 1) == MSIX_CAP &&
		       rd(c, CFG, MSIX_CAP, 1) == PCI_CAP_ID_MSIX &&
		       rd(c, CFG, MSIX_CAP + 1, 1) == 0x50 &&
		       rd(c, CFG, 0x50, 1) == PCI_CAP_ID_MSI && rd(c, CFG, 0x51, 1) == 0,
	       "config: capability list: MSI-X at 0x40, then MSI (64-bit) at 0x50");
	report((rd(c, CFG, MSIX_CTRL, 2) & PCI_MSIX_FLAGS_QSIZE) == 7,
	       "config: MSI-X table size 8");
	report(rd32(c, CFG, MSIX_CAP + PCI_MSIX_TABLE) == 2 &&
		       rd32(c, CFG, MSIX_CAP + PCI_MSIX_PBA) == (PBA | 2),
	       "config: MSI-X table at BAR2 + 0, PBA at BAR2 + 0x800");

	wr32(c, CFG, PCI_BASE_ADDRESS_0, 0xffffffff);
	report(rd32(c, CFG, PCI_BASE_ADDRESS_0) == 0xfffff000,
	       "config: BAR0 sizes as 4 KiB 32-bit memory (0x%08x)",
	       rd32(c, CFG, PCI_BASE_ADDRESS_0));
	wr32(c, CFG, PCI_BASE_ADDRESS_2, 0xffffffff);
	report(rd32(c, CFG, PCI_BASE_ADDRESS_2) == 0xfffff000,
	       "config: BAR2 sizes as 4 KiB 32-bit memory");
	wr32(c, CFG, PCI_BASE_ADDRESS_1, 0xffffffff);
	wr32(c, CFG, PCI_ROM_ADDRESS, 0xffffffff);
	report(rd32(c, CFG, PCI_BASE_ADDRESS_1) == 0 && rd32(c, CFG, PCI_ROM_ADDRESS) == 0,
	       "config: BAR1 and the ROM BAR are not implemented");
	wr32(c, CFG, PCI_BASE_ADDRESS_0, 0xfebf0123);
	wr32(c, CFG, PCI_BASE_ADDRESS_2, 0xfebf1000);
	report(rd32(c, CFG, PCI_BASE_ADDRESS_0) == 0xfebf0000 &&
		       rd32(c, CFG, PCI_BASE_ADDRESS_2) == 0xfebf1000,
	       "config: BAR addresses keep their size alignment");

	wr(c, CFG, PCI_COMMAND, 2, 0xffff);
	report(rd(c, CFG, PCI_COMMAND, 2) == 0x0546,
	       "config: command writable bits memory, master, parity, SERR, INTx disable");
	wr(c, CFG, PCI_COMMAND, 2, 0);
	report(rd32(c, BAR0, TESTDEV_REG_ID) == 0xffffffff,
	       "BAR0 reads all ones with memory disabled");
	wr32(c, BAR0, TESTDEV_REG_SCRATCH, 0x11111111);
	wr(c, CFG, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	report(rd32(c, BAR0, TESTDEV_REG_ID) == 0x4b440001,
	       "BAR0 ID reads 0x4b440001 with memory enabled");
	report(rd32(c, BAR0, TESTDEV_REG_SCRATCH) == 0,
	       "BAR0 write with memory disabled was dropped");
	wr32(c, BAR0, TESTDEV_REG_SCRATCH, 0xdeadbeef);
	report(rd32(c, BAR0, TESTDEV_REG_SCRATCH) == 0xdeadbeef &&
		       rd(c, BAR0, TESTDEV_REG_SCRATCH + 1, 1) == 0xbe,
	       "SCRATCH reads back what was written, whole and by byte");
}

/* BAR4's memfd comes with its REGION_INFO reply; the client must not be able to shrink it. */
static void check_bar4_fd(struct client *c, struct server *s)
{
	struct vfio_user_region_info ri = { .argsz = sizeof(ri),
					    .index = VFIO_PCI_BAR4_REGION_INDEX };
	struct vfio_user_region_info rr;
	uint32_t word = 0xfeedf00d, got = 0;
	uint8_t *map;
	int fd = -1, ret;

	ret = send_msg(c, 900, VFIO_USER_DEVICE_GET_REGION_INFO, 0, &ri, sizeof(ri), NULL, 0);
	if (!ret)
		ret = get_reply_fd(c, 900, VFIO_USER_DEVICE_GET_REGION_INFO, &rr, sizeof(rr), &got,
				   &fd);
	if (ret || got != sizeof(rr)) {
		report(false, "DEVICE_GET_REGION_INFO BAR4: no reply of 48 bytes (%s)",
		       strerror(-ret));
		if (fd >= 0)
			close(fd);
		return;
	}
	report(fd >= 0, "DEVICE_GET_REGION_INFO BAR4 carries its memfd");
	if (fd < 0)
		return;
	map = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map != MAP_FAILED) {
		memcpy(map, &word, sizeof(word));
		munmap(map, 65536);
	}
	report(map != MAP_FAILED && rd32(c, BAR0, TESTDEV_REG_BAR4_WORD0) == 0xfeedf00d,
	       "the device sees a write through the client's mapping of BAR4");
	report(ftruncate(fd, 0) < 0 && errno == EPERM && rd32(c, BAR4, 0) == 0xfeedf00d &&
		       server_alive(s),
	       "BAR4's memfd is sealed: the client cannot shrink it under the server");
	close(fd);
}

/* What check_dma_and_irqs()'s steps share: the eventfds given and the DMA memfd, mapped. */
struct dma_irq_check {
	struct client *c;
	int efd_intx, efd_msix0;
	int memfd;
	const uint8_t *mem; /* the memfd's DMA_FILE_SIZE bytes, read-only */
};

static void check_dma_map(struct dma_irq_check *t)
{
	struct client *c = t->c;
	int memfd = t->memfd, fds[2], ret;

	ret = dma_map(c, memfd, DMA_FD_OFFSET, DMA_IOVA, DMA_SIZE);
	report(!ret, "DMA_MAP of a memfd (offset 1 MiB, 2 MiB at 0x%llx): %s",
	       (unsigned long long)DMA_IOVA, strerror(-ret));
	ret = dma_map(c, memfd, 0, DMA_IOVA + DMA_SIZE / 2, DMA_SIZE);
	report(ret == -EEXIST, "DMA_MAP over a mapped range: EEXIST (%s)", strerror(-ret));
	ret = dma_map(c, -1, 0, 0x10000000, 4096);
	report(ret < 0 && ret != -EPROTO && ret != -ECONNRESET,
	       "DMA_MAP without a descriptor: error reply (%s)", strerror(-ret));
	ret = dma_map(c, memfd, 3u << 20, 0x10000000, DMA_SIZE);
	report(ret == -EINVAL, "DMA_MAP past the end of its file: EINVAL (%s)", strerror(-ret));
	{
		struct vfio_user_dma_map m = {
			.argsz = sizeof(m), .flags = 3, .address = 0x10000000, .size = 4096
		};

		fds[0] = fds[1] = memfd;
		ret = vu_call(c, VFIO_USER_DMA_MAP, &m, sizeof(m), fds, 2, NULL, 0, NULL);
		report(ret == -EINVAL, "DMA_MAP with two descriptors: EINVAL (%s)", strerror(-ret));
		m.argsz = 24;
		ret = vu_call(c, VFIO_USER_DMA_MAP, &m, sizeof(m), &memfd, 1, NULL, 0, NULL);
		report(ret == -EINVAL, "DMA_MAP with a wrong argsz: EINVAL (%s)", strerror(-ret));
	}
}

static void check_set_irqs(struct dma_irq_check *t)
{
	struct client *c = t->c;
	int fds[2], ret;

	ret = set_irqs(c, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER,
		       VFIO_PCI_INTX_IRQ_INDEX, 0, 1, &t->efd_intx, 1);
	report(!ret, "SET_IRQS: INTx eventfd (%s)", strerror(-ret));
	ret = set_irqs(c, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER,
		       VFIO_PCI_MSIX_IRQ_INDEX, 0, 1, &t->efd_msix0, 1);
	report(!ret, "SET_IRQS: MSI-X vector 0 eventfd (%s)", strerror(-ret));
	ret = set_irqs(c, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER,
		       VFIO_PCI_MSIX_IRQ_INDEX, 7, 2, NULL, 0);
	report(ret == -EINVAL, "SET_IRQS: MSI-X vectors 7-8 of 8: EINVAL (%s)", strerror(-ret));
	fds[0] = fds[1] = t->efd_msix0;
	ret = set_irqs(c, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER,
		       VFIO_PCI_MSIX_IRQ_INDEX, 0, 3, fds, 2);
	report(ret == -EINVAL, "SET_IRQS: 3 vectors, 2 eventfds: EINVAL (%s)", strerror(-ret));
	ret = set_irqs(c, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER,
		       VFIO_PCI_MSIX_IRQ_INDEX, 1, 1, &t->memfd, 1);
	report(ret == -EINVAL, "SET_IRQS: a memfd for an eventfd: EINVAL (%s)", strerror(-ret));
	ret = set_irqs(c, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER,
		       VFIO_PCI_MSI_IRQ_INDEX, 1, 1, NULL, 0);
	report(ret == -EINVAL, "SET_IRQS: MSI has one vector, not two: EINVAL (%s)",
	       strerror(-ret));
	ret = set_irqs(
		c, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_TRIGGER,
		VFIO_PCI_MSIX_IRQ_INDEX, 0, 1, NULL, 0);
	report(ret == -EINVAL, "SET_IRQS: two data types: EINVAL (%s)", strerror(-ret));
	ret = set_irqs(c, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_MASK,
		       VFIO_PCI_MSIX_IRQ_INDEX, 0, 1, NULL, 0);
	report(ret == -EINVAL, "SET_IRQS: MSI-X is not maskable here: EINVAL (%s)", strerror(-ret));
}

/* MSI-X on, vector 0 unmasked in the table. */
static void check_msix_enable(struct dma_irq_check *t)
{
	struct client *c = t->c;

	wr(c, CFG, MSIX_CTRL, 2, PCI_MSIX_FLAGS_ENABLE);
	report(rd(c, CFG, MSIX_CTRL, 2) == (PCI_MSIX_FLAGS_ENABLE | 7), "config: MSI-X enabled");
	/* Its eventfd was given above: the device unmasked it, as vfio-pci would. */
	report(rd32(c, BAR2, PCI_MSIX_ENTRY_VECTOR_CTRL) == 0,
	       "MSI-X vector 0 unmasked once SET_IRQS gave it an eventfd");
	wr32(c, BAR2, PCI_MSIX_ENTRY_VECTOR_CTRL, 0);
}

/* A DMA of the device's pattern lands in the memfd where the map put it, then MSI-X vector 0. */
static void check_dma_round_trip(struct dma_irq_check *t)
{
	struct client *c = t->c;
	const uint8_t *mem = t->mem;
	uint64_t iova = DMA_IOVA + 0x1000;
	uint32_t len = 4096 + 123;
	bool pattern_ok = true;

	wr32(c, BAR0, TESTDEV_REG_DMA_ADDR_LO, (uint32_t)iova);
	wr32(c, BAR0, TESTDEV_REG_DMA_ADDR_HI, (uint32_t)(iova >> 32));
	wr32(c, BAR0, TESTDEV_REG_DMA_LEN, len);
	wr32(c, BAR0, TESTDEV_REG_DMA_SEED, DMA_SEED);
	wr32(c, BAR0, TESTDEV_REG_IRQ_ON_DMA, 1);
	wr32(c, BAR0, TESTDEV_REG_DMA_START, 1);
	report(rd32(c, BAR0, TESTDEV_REG_STATUS) == 1 && rd32(c, BAR0, TESTDEV_REG_DMA_COUNT) == 1,
	       "DMA: STATUS done, DMA_COUNT 1");
	for (uint32_t i = 0; i < len; i++)
		if (mem[DMA_FD_OFFSET + 0x1000 + i] != (uint8_t)(DMA_SEED + i * 7))
			pattern_ok = false;
	report(pattern_ok && mem[DMA_FD_OFFSET + 0xfff] == 0 &&
		       mem[DMA_FD_OFFSET + 0x1000 + len] == 0,
	       "DMA: %u bytes of (seed + i * 7) in the memfd at the mapped offset, no more", len);
	report(fired(t->efd_msix0), "DMA: IRQ_ON_DMA bit 0 sent MSI-X vector 0");
}

/* DMAs the device must refuse, with STATUS error; then the largest it takes. */
static void check_dma_limits(struct dma_irq_check *t)
{
	struct client *c = t->c;
	const uint8_t *mem = t->mem;

	wr32(c, BAR0, TESTDEV_REG_DMA_ADDR_LO, (uint32_t)(DMA_IOVA + DMA_SIZE - 16));
	wr32(c, BAR0, TESTDEV_REG_DMA_LEN, 32);
	wr32(c, BAR0, TESTDEV_REG_DMA_START, 1);
	report(rd32(c, BAR0, TESTDEV_REG_STATUS) == 2 &&
		       rd32(c, BAR0, TESTDEV_REG_DMA_COUNT) == 1 &&
		       mem[DMA_FD_OFFSET + DMA_SIZE - 16] == 0,
	       "DMA across the end of the mapped region: STATUS error, nothing written");
	report(fired(t->efd_msix0), "DMA error: IRQ_ON_DMA sent MSI-X vector 0 as well");
	wr32(c, BAR0, TESTDEV_REG_IRQ_ON_DMA, 0);
	wr32(c, BAR0, TESTDEV_REG_DMA_ADDR_LO, 0x1000);
	wr32(c, BAR0, TESTDEV_REG_DMA_LEN, 16);
	wr32(c, BAR0, TESTDEV_REG_DMA_START, 1);
	report(rd32(c, BAR0, TESTDEV_REG_STATUS) == 2,
	       "DMA outside every mapped region: STATUS error");
	wr32(c, BAR0, TESTDEV_REG_DMA_ADDR_LO, (uint32_t)DMA_IOVA);
	wr32(c, BAR0, TESTDEV_REG_DMA_LEN, 0);
	wr32(c, BAR0, TESTDEV_REG_DMA_START, 1);
	report(rd32(c, BAR0, TESTDEV_REG_STATUS) == 2, "DMA of 0 bytes: STATUS error");
	wr32(c, BAR0, TESTDEV_REG_DMA_LEN, (1u << 20) + 1);
	wr32(c, BAR0, TESTDEV_REG_DMA_START, 1);
	report(rd32(c, BAR0, TESTDEV_REG_STATUS) == 2, "DMA of 1 MiB + 1: STATUS error");
	wr32(c, BAR0, TESTDEV_REG_DMA_LEN, 1u << 20);
	wr(c, CFG, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	wr32(c, BAR0, TESTDEV_REG_DMA_START, 1);
	report(rd32(c, BAR0, TESTDEV_REG_STATUS) == 2, "DMA without bus master: STATUS error");
	wr(c, CFG, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	wr32(c, BAR0, TESTDEV_REG_DMA_START, 1);
	report(rd32(c, BAR0, TESTDEV_REG_STATUS) == 1 &&
		       rd32(c, BAR0, TESTDEV_REG_DMA_COUNT) == 2 &&
		       mem[DMA_FD_OFFSET + (1u << 20) - 1] ==
			       (uint8_t)(DMA_SEED + ((1u << 20) - 1) * 7),
	       "DMA of 1 MiB: done");
	wr32(c, BAR0, TESTDEV_REG_STATUS, 3);
	report(rd32(c, BAR0, TESTDEV_REG_STATUS) == 0, "STATUS: writing 1s clears done and error");
}

/* MSI-X: sent when unmasked, else pending in the PBA until it is. */
static void check_msix_delivery(struct dma_irq_check *t)
{
	struct client *c = t->c;
	int efd_msix0 = t->efd_msix0, ret;

	wr32(c, BAR0, TESTDEV_REG_IRQ_MSIX, 0);
	report(fired(efd_msix0) && rd32(c, BAR2, PBA) == 0, "IRQ_MSIX 0: vector 0 sent");
	wr32(c, BAR2, PCI_MSIX_ENTRY_VECTOR_CTRL, 1);
	wr32(c, BAR0, TESTDEV_REG_IRQ_MSIX, 0);
	report(!fired(efd_msix0) && rd32(c, BAR2, PBA) == 1,
	       "IRQ_MSIX 0 while masked in the table: held, PBA bit 0 set");
	wr32(c, BAR2, PCI_MSIX_ENTRY_VECTOR_CTRL, 0);
	report(fired(efd_msix0) && rd32(c, BAR2, PBA) == 0,
	       "unmasking vector 0 sends the pending message, PBA bit clear");
	wr(c, CFG, MSIX_CTRL, 2, PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
	wr32(c, BAR0, TESTDEV_REG_IRQ_MSIX, 0);
	report(!fired(efd_msix0) && rd32(c, BAR2, PBA) == 1, "function mask holds vector 0");
	wr(c, CFG, MSIX_CTRL, 2, PCI_MSIX_FLAGS_ENABLE);
	report(fired(efd_msix0) && rd32(c, BAR2, PBA) == 0, "clearing the function mask sends it");
	wr32(c, BAR0, TESTDEV_REG_IRQ_MSIX, 1);
	report(rd32(c, BAR2, PBA) == 2, "IRQ_MSIX 1 (masked, no eventfd): PBA bit 1 set");
	wr32(c, BAR0, TESTDEV_REG_IRQ_MSIX, 9);
	report(rd32(c, BAR2, PBA) == 2 && !fired(efd_msix0), "IRQ_MSIX 9: ignored");
	wr32(c, BAR2, 16 * 3 + 0, 0xfee00000);
	wr32(c, BAR2, 16 * 3 + 8, 0x4041);
	wr32(c, BAR2, 16 * 3 + 12, 0xffffffff);
	report(rd32(c, BAR2, 16 * 3) == 0xfee00000 && rd32(c, BAR2, 16 * 3 + 8) == 0x4041 &&
		       rd32(c, BAR2, 16 * 3 + 12) == 1,
	       "MSI-X table entry 3: address and data read back, vector control only bit 0");
	wr32(c, BAR2, PBA, 0);
	report(rd32(c, BAR2, PBA) == 2, "PBA is read-only");
	ret = set_irqs(c, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER,
		       VFIO_PCI_MSIX_IRQ_INDEX, 0, 1, NULL, 0);
	report(!ret && fired(efd_msix0), "SET_IRQS DATA_NONE TRIGGER: the client fires vector 0");
}

/* INTx, with MSI-X off as PCI wants: level, automasked, INTx disable. */
static void check_intx(struct dma_irq_check *t)
{
	struct client *c = t->c;
	int efd_intx = t->efd_intx, ret;

	wr(c, CFG, MSIX_CTRL, 2, 0);
	wr32(c, BAR0, TESTDEV_REG_IRQ_INTX, 1);
	report(fired(efd_intx) && rd32(c, BAR0, TESTDEV_REG_STATUS) == 4 &&
		       (rd(c, CFG, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT),
	       "IRQ_INTX 1: INTx eventfd, STATUS bit 2, config interrupt status");
	wr32(c, BAR0, TESTDEV_REG_IRQ_INTX, 0);
	wr32(c, BAR0, TESTDEV_REG_IRQ_INTX, 1);
	report(!fired(efd_intx), "INTx masked itself after firing");
	ret = set_irqs(c, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK,
		       VFIO_PCI_INTX_IRQ_INDEX, 0, 1, NULL, 0);
	report(!ret && fired(efd_intx), "SET_IRQS UNMASK with INTx still asserted: fires again");
	wr32(c, BAR0, TESTDEV_REG_IRQ_INTX, 0);
	set_irqs(c, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK, VFIO_PCI_INTX_IRQ_INDEX, 0,
		 1, NULL, 0);
	report(!fired(efd_intx) && rd32(c, BAR0, TESTDEV_REG_STATUS) == 0 &&
		       !(rd(c, CFG, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT),
	       "IRQ_INTX 0: deasserted, UNMASK does not fire");
	wr(c, CFG, PCI_COMMAND, 2,
	   PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE);
	wr32(c, BAR0, TESTDEV_REG_IRQ_INTX, 1);
	report(!fired(efd_intx) && (rd(c, CFG, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT),
	       "INTx disable: no interrupt, interrupt status still set");
	wr(c, CFG, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	report(fired(efd_intx), "clearing INTx disable delivers the asserted INTx");
}

/* INTx unmasked through an eventfd the client signals; masking takes none. */
static void check_intx_unmask_eventfd(struct dma_irq_check *t)
{
	struct client *c = t->c;
	int efd_unmask = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	uint64_t one = 1;
	int ret;

	ret = set_irqs(c, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_UNMASK,
		       VFIO_PCI_INTX_IRQ_INDEX, 0, 1, &efd_unmask, 1);
	report(!ret, "SET_IRQS: INTx unmask eventfd (%s)", strerror(-ret));
	if (write(efd_unmask, &one, sizeof(one)) != sizeof(one))
		report(false, "write unmask eventfd");
	rd32(c, BAR0, TESTDEV_REG_ID); /* the server sees the eventfd before this */
	report(fired(t->efd_intx), "signalling the unmask eventfd re-fires the asserted INTx");
	close(efd_unmask);
	ret = set_irqs(c, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_MASK,
		       VFIO_PCI_INTX_IRQ_INDEX, 0, 1, &t->efd_intx, 1);
	report(ret == -EINVAL, "SET_IRQS MASK with an eventfd: EINVAL (%s)", strerror(-ret));
}

/* A DMA that ends in INTx; INTx deasserted and unmasked again afterwards. */
static void check_dma_intx(struct dma_irq_check *t)
{
	struct client *c = t->c;

	wr32(c, BAR0, TESTDEV_REG_IRQ_INTX, 0);
	set_irqs(c, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK, VFIO_PCI_INTX_IRQ_INDEX, 0,
		 1, NULL, 0);
	wr32(c, BAR0, TESTDEV_REG_IRQ_ON_DMA, 2);
	wr32(c, BAR0, TESTDEV_REG_DMA_ADDR_LO, (uint32_t)DMA_IOVA);
	wr32(c, BAR0, TESTDEV_REG_DMA_LEN, 64);
	wr32(c, BAR0, TESTDEV_REG_DMA_START, 1);
	report(fired(t->efd_intx) && rd32(c, BAR0, TESTDEV_REG_STATUS) == 5,
	       "DMA with IRQ_ON_DMA bit 1: INTx fired, STATUS done and INTx");
	wr32(c, BAR0, TESTDEV_REG_IRQ_INTX, 0);
	wr32(c, BAR0, TESTDEV_REG_IRQ_ON_DMA, 0);
	set_irqs(c, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK, VFIO_PCI_INTX_IRQ_INDEX, 0,
		 1, NULL, 0);
}

/* DMA through a mapped memfd and every interrupt the device has, in one order. */
static void check_dma_and_irqs(struct client *c, int efd_intx, int efd_msix0)
{
	struct dma_irq_check t = { .c = c, .efd_intx = efd_intx, .efd_msix0 = efd_msix0 };
	uint8_t *mem = MAP_FAILED;

	t.memfd = memfd_create("vutd-check-dma", MFD_CLOEXEC);
	if (t.memfd < 0 || ftruncate(t.memfd, DMA_FILE_SIZE) < 0 ||
	    (mem = mmap(NULL, DMA_FILE_SIZE, PROT_READ, MAP_SHARED, t.memfd, 0)) == MAP_FAILED) {
		report(false, "memfd for DMA: %s", strerror(errno));
		return;
	}
	t.mem = mem;
	check_dma_map(&t);
	check_set_irqs(&t);
	check_msix_enable(&t);
	check_dma_round_trip(&t);
	check_dma_limits(&t);
	check_msix_delivery(&t);
	check_intx(&t);
	check_intx_unmask_eventfd(&t);
	check_dma_intx(&t);
	munmap(mem, DMA_FILE_SIZE);
	close(t.memfd);
}

/* A DMA region whose file shrinks must fail the DMA, not kill the server. */
static void check_shrunk_region(struct client *c, struct server *s)
{
	int memfd = memfd_create("vutd-check-shrink", MFD_CLOEXEC);
	struct vfio_user_dma_unmap echo;
	int ret;

	if (memfd < 0 || ftruncate(memfd, 1 << 20) < 0) {
		report(false, "memfd: %s", strerror(errno));
		return;
	}
	ret = dma_map(c, memfd, 0, SHRINK_IOVA, 1 << 20);
	report(!ret, "DMA_MAP of a second memfd (%s)", strerror(-ret));
	if (ftruncate(memfd, 4096) < 0)
		report(false, "ftruncate: %s", strerror(errno));
	wr32(c, BAR0, TESTDEV_REG_STATUS, 3);
	wr32(c, BAR0, TESTDEV_REG_DMA_ADDR_LO, (uint32_t)(SHRINK_IOVA + 65536));
	wr32(c, BAR0, TESTDEV_REG_DMA_LEN, 4096);
	wr32(c, BAR0, TESTDEV_REG_DMA_START, 1);
	report(rd32(c, BAR0, TESTDEV_REG_STATUS) == 2 && server_alive(s),
	       "DMA into a region whose file was truncated: STATUS error, server alive");
	ret = dma_unmap(c, 0, SHRINK_IOVA, 1 << 20, &echo);
	report(!ret && echo.address == SHRINK_IOVA && echo.size == 1 << 20,
	       "DMA_UNMAP: the reply echoes the region");
	close(memfd);
}

static void check_no_reply(struct client *c)
{
	struct vfio_user_region_access a = { .offset = TESTDEV_REG_SCRATCH,
					     .region = BAR0,
					     .count = 4 };
	uint8_t req[20], reply[20];
	uint32_t value = 0x12345678, got = 0;
	int ret;

	memcpy(req, &a, sizeof(a));
	memcpy(req + sizeof(a), &value, 4);
	ret = send_msg(c, 500, VFIO_USER_REGION_WRITE, VFIO_USER_F_NO_REPLY, req, sizeof(req), NULL,
		       0);
	if (!ret)
		ret = send_msg(c, 501, VFIO_USER_REGION_READ, 0, &a, sizeof(a), NULL, 0);
	if (!ret)
		ret = get_reply(c, 501, VFIO_USER_REGION_READ, reply, sizeof(reply), &got);
	memcpy(&value, reply + sizeof(a), 4);
	report(!ret && got == 20 && value == 0x12345678,
	       "no_reply: the write is done unanswered, the next reply is the read's");
}

static void check_malformed(struct client *c, struct server *s)
{
	struct vfio_user_region_access a = { .offset = 0, .region = BAR0, .count = 4 };
	struct vfio_user_device_info info = { .argsz = sizeof(info) };
	uint8_t buf[64];
	int efd = eventfd(0, EFD_CLOEXEC), ret;
	struct vfio_user_dma_unmap echo;

	ret = vu_call(c, 99, NULL, 0, NULL, 0, buf, sizeof(buf), NULL);
	report(ret == -ENOSYS, "unknown command 99: ENOSYS (%s)", strerror(-ret));
	ret = vu_call(c, VFIO_USER_REGION_READ, &a, 8, NULL, 0, buf, sizeof(buf), NULL);
	report(ret == -EINVAL, "REGION_READ with an 8-byte payload: EINVAL (%s)", strerror(-ret));
	a.region = 20;
	ret = vu_call(c, VFIO_USER_REGION_READ, &a, sizeof(a), NULL, 0, buf, sizeof(buf), NULL);
	report(ret == -EINVAL, "REGION_READ of region 20: EINVAL (%s)", strerror(-ret));
	a = (struct vfio_user_region_access){ .offset = 4094, .region = BAR0, .count = 4 };
	ret = vu_call(c, VFIO_USER_REGION_READ, &a, sizeof(a), NULL, 0, buf, sizeof(buf), NULL);
	report(ret == -EINVAL, "REGION_READ across the end of BAR0: EINVAL (%s)", strerror(-ret));
	a.offset = UINT64_MAX - 1;
	ret = vu_call(c, VFIO_USER_REGION_READ, &a, sizeof(a), NULL, 0, buf, sizeof(buf), NULL);
	report(ret == -EINVAL, "REGION_READ at offset 2^64 - 2: EINVAL (%s)", strerror(-ret));
	a = (struct vfio_user_region_access){ .offset = 0,
					      .region = VFIO_PCI_BAR1_REGION_INDEX,
					      .count = 4 };
	ret = vu_call(c, VFIO_USER_REGION_READ, &a, sizeof(a), NULL, 0, buf, sizeof(buf), NULL);
	report(ret == -EINVAL, "REGION_READ of BAR1 (size 0): EINVAL (%s)", strerror(-ret));
	a = (struct vfio_user_region_access){ .offset = 0, .region = BAR0, .count = 2u << 20 };
	ret = vu_call(c, VFIO_USER_REGION_READ, &a, sizeof(a), NULL, 0, buf, sizeof(buf), NULL);
	report(ret == -E2BIG, "REGION_READ of 2 MiB (> max_data_xfer_size): E2BIG (%s)",
	       strerror(-ret));
	a = (struct vfio_user_region_access){ .offset = TESTDEV_REG_SCRATCH,
					      .region = BAR0,
					      .count = 8 };
	memcpy(buf, &a, sizeof(a));
	ret = vu_call(c, VFIO_USER_REGION_WRITE, buf, sizeof(a) + 4, NULL, 0, buf, sizeof(buf),
		      NULL);
	report(ret == -EINVAL, "REGION_WRITE with count 8 and 4 data bytes: EINVAL (%s)",
	       strerror(-ret));
	a.count = 2;
	memcpy(buf, &a, sizeof(a));
	ret = vu_call(c, VFIO_USER_REGION_WRITE, buf, sizeof(a) + 2, NULL, 0, buf, sizeof(buf),
		      NULL);
	report(ret == -EINVAL, "REGION_WRITE of 2 bytes to a BAR0 register: EINVAL (%s)",
	       strerror(-ret));
	info.argsz = 8;
	ret = vu_call(c, VFIO_USER_DEVICE_GET_INFO, &info, sizeof(info), NULL, 0, buf, sizeof(buf),
		      NULL);
	report(ret == -EINVAL, "DEVICE_GET_INFO with argsz 8: EINVAL (%s)", strerror(-ret));
	info.argsz = sizeof(info);
	ret = vu_call(c, VFIO_USER_DEVICE_GET_INFO, &info, sizeof(info), &efd, 1, buf, sizeof(buf),
		      NULL);
	report(ret == -EINVAL, "DEVICE_GET_INFO carrying a descriptor: EINVAL (%s)",
	       strerror(-ret));
	ret = vu_call(c, VFIO_USER_DEVICE_GET_INFO, &info, 12, NULL, 0, buf, sizeof(buf), NULL);
	report(ret == -EINVAL, "DEVICE_GET_INFO with a 12-byte payload: EINVAL (%s)",
	       strerror(-ret));
	ret = vu_call(c, VFIO_USER_DMA_READ, buf, 16, NULL, 0, buf, sizeof(buf), NULL);
	report(ret == -ENOTSUP, "DMA_READ from the client: ENOTSUP (%s)", strerror(-ret));
	ret = vu_call(c, VFIO_USER_DEVICE_RESET, buf, 4, NULL, 0, buf, sizeof(buf), NULL);
	report(ret == -EINVAL, "DEVICE_RESET with a payload: EINVAL (%s)", strerror(-ret));
	ret = negotiate(c, 0, 0, NULL, NULL, NULL, 0);
	report(ret == -EINVAL, "a second VERSION: EINVAL (%s)", strerror(-ret));
	ret = send_msg(c, 600, VFIO_USER_DEVICE_GET_INFO, VFIO_USER_F_ERROR, &info, sizeof(info),
		       NULL, 0);
	ret = ret ? ret : get_reply(c, 600, VFIO_USER_DEVICE_GET_INFO, buf, sizeof(buf), NULL);
	report(ret == -EINVAL, "a command with the error flag: EINVAL (%s)", strerror(-ret));
	ret = send_msg(c, 601, VFIO_USER_DEVICE_GET_INFO, 2, &info, sizeof(info), NULL, 0);
	ret = ret ? ret : get_reply(c, 601, VFIO_USER_DEVICE_GET_INFO, buf, sizeof(buf), NULL);
	report(ret == -EINVAL, "a message of type 2: EINVAL (%s)", strerror(-ret));
	ret = dma_unmap(c, 0, 0x12340000, 4096, &echo);
	report(ret == -ENOENT, "DMA_UNMAP of nothing mapped: ENOENT (%s)", strerror(-ret));
	ret = dma_unmap(c, VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP, DMA_IOVA, DMA_SIZE, &echo);
	report(ret == -ENOTSUP, "DMA_UNMAP asking for a dirty bitmap: ENOTSUP (%s)",
	       strerror(-ret));
	ret = dma_unmap(c, VFIO_DMA_UNMAP_FLAG_ALL, DMA_IOVA, 0, &echo);
	report(ret == -EINVAL, "DMA_UNMAP all with an address: EINVAL (%s)", strerror(-ret));
	report(server_alive(s) && rd32(c, BAR0, TESTDEV_REG_ID) == 0x4b440001,
	       "after the malformed messages: server alive and answering");
	close(efd);
}

static void check_reset_and_unmap(struct client *c, int efd_intx)
{
	struct vfio_user_dma_unmap echo;
	int ret;

	wr32(c, BAR0, TESTDEV_REG_IRQ_INTX, 1);
	fired(efd_intx);
	ret = vu_call(c, VFIO_USER_DEVICE_RESET, NULL, 0, NULL, 0, NULL, 0, NULL);
	report(!ret, "DEVICE_RESET (%s)", strerror(-ret));
	report(rd(c, CFG, PCI_COMMAND, 2) == 0 && rd32(c, CFG, PCI_BASE_ADDRESS_0) == 0 &&
		       rd(c, CFG, MSIX_CTRL, 2) == 7,
	       "reset: command, BAR0 and MSI-X control back to 0");
	wr(c, CFG, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	report(rd32(c, BAR0, TESTDEV_REG_SCRATCH) == 0 &&
		       rd32(c, BAR0, TESTDEV_REG_DMA_COUNT) == 0 &&
		       rd32(c, BAR0, TESTDEV_REG_STATUS) == 0 &&
		       rd32(c, BAR0, TESTDEV_REG_IRQ_INTX) == 0 &&
		       rd32(c, BAR2, PCI_MSIX_ENTRY_VECTOR_CTRL) == 1 && rd32(c, BAR2, PBA) == 0,
	       "reset: registers at defaults, INTx deasserted, vectors masked, PBA clear");

	ret = dma_unmap(c, 0, DMA_IOVA, DMA_SIZE, &echo);
	report(!ret && echo.argsz == sizeof(echo) && echo.address == DMA_IOVA &&
		       echo.size == DMA_SIZE,
	       "DMA_UNMAP of the first region (%s)", strerror(-ret));
	wr32(c, BAR0, TESTDEV_REG_DMA_ADDR_LO, (uint32_t)DMA_IOVA);
	wr32(c, BAR0, TESTDEV_REG_DMA_LEN, 64);
	wr32(c, BAR0, TESTDEV_REG_DMA_START, 1);
	report(rd32(c, BAR0, TESTDEV_REG_STATUS) == 2, "DMA after DMA_UNMAP: STATUS error");
	{
		int memfd = memfd_create("vutd-check-all", MFD_CLOEXEC);

		if (memfd < 0 || ftruncate(memfd, 8192) < 0)
			report(false, "memfd: %s", strerror(errno));
		dma_map(c, memfd, 0, 0x1000, 4096);
		dma_map(c, memfd, 4096, 0x3000, 4096);
		ret = dma_unmap(c, VFIO_DMA_UNMAP_FLAG_ALL, 0, 0, &echo);
		report(!ret && dma_unmap(c, 0, 0x1000, 4096, &echo) == -ENOENT,
		       "DMA_UNMAP with VFIO_DMA_UNMAP_FLAG_ALL drops every region");
		close(memfd);
	}
}

/* A size no stream can carry: an error reply, then the server hangs up. */
static void check_oversized(struct client *c)
{
	struct vfio_user_header hdr = { .msg_id = 700,
					.command = VFIO_USER_REGION_READ,
					.size = 0x7fffffff };
	uint8_t buf[16];
	int ret = send_raw(c->sock, &hdr, sizeof(hdr));

	ret = ret ? ret : get_reply(c, 700, VFIO_USER_REGION_READ, buf, sizeof(buf), NULL);
	report(ret == -E2BIG, "message size 0x7fffffff: E2BIG reply (%s)", strerror(-ret));
	report(hung_up(c), "... and the server closes the connection");
}

static void run_once_server(const char *bin, const char *path)
{
	struct server s;
	struct client c = { .sock = -1 };
	char json[256];
	uint16_t minor = 99;
	int efd_intx = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	int efd_msix0 = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	int ret, status;

	ret = server_start(&s, bin, path, true);
	report(!ret, "server --once prints \"vfio-user-testdev: listening on %s\"", path);
	if (ret)
		goto out;
	ret = client_connect(&c, path);
	report(!ret, "connect (%s)", strerror(-ret));
	if (ret)
		goto out;
	ret = negotiate(&c, 0, 0,
			"{\"capabilities\":{\"max_msg_fds\":8,\"max_data_xfer_size\":1048576,"
			"\"pgsizes\":4096,\"migration\":{\"pgsize\":4096}},\"x\":[1,2.5e3,null]}",
			&minor, json, sizeof(json));
	report(!ret && minor == 0, "VERSION 0.0 accepted (%s)", strerror(-ret));
	report(!ret && strstr(json, "\"max_msg_fds\":8") &&
		       strstr(json, "\"max_data_xfer_size\":1048576") &&
		       strstr(json, "\"capabilities\"") && !strstr(json, "migration"),
	       "VERSION reply capabilities %s, without migration", json);
	if (ret)
		goto out;

	check_discovery(&c);
	check_config_space(&c);
	check_bar4_fd(&c, &s);
	check_dma_and_irqs(&c, efd_intx, efd_msix0);
	check_shrunk_region(&c, &s);
	check_no_reply(&c);
	check_malformed(&c, &s);
	check_reset_and_unmap(&c, efd_intx);
	check_oversized(&c);
	client_close(&c);
	status = server_wait(&s, 10);
	report(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	       "server --once exits 0 after the disconnect (wait status 0x%x)", status);
	report(access(path, F_OK) < 0, "server removed its socket");
out:
	client_close(&c);
	server_stop(&s);
	if (failures || verbose)
		server_print_log(&s, "--once");
	close(efd_intx);
	close(efd_msix0);
}

static void run_multi_server(const char *bin, const char *path)
{
	struct server s;
	struct client c = { .sock = -1 };
	struct vfio_user_device_info info = { .argsz = sizeof(info) };
	static const char truncated[] = "{\"capabilities\":{}}";
	uint16_t minor = 99;
	uint8_t buf[64];
	unsigned int failed_before = failures;
	int ret, status;

	ret = server_start(&s, bin, path, false);
	report(!ret, "server without --once prints its listening line");
	if (ret)
		goto out;

	/* Half a header, then gone. */
	if (!client_connect(&c, path)) {
		send_raw(c.sock, "\x01\x00\x01\x00\x20\x00\x00\x00", 8);
		client_close(&c);
	}
	ret = client_connect(&c, path);
	report(!ret && server_alive(&s), "a client that sent half a header and left: next one in");
	if (ret)
		goto out;
	ret = vu_call(&c, VFIO_USER_DEVICE_GET_INFO, &info, sizeof(info), NULL, 0, buf, sizeof(buf),
		      NULL);
	report(ret == -EINVAL, "DEVICE_GET_INFO before VERSION: EINVAL (%s)", strerror(-ret));
	ret = negotiate(&c, 0, 0, "{\"capabilities\":{\"max_msg_fds\":-1}}", NULL, NULL, 0);
	report(ret == -EINVAL, "VERSION with max_msg_fds -1: EINVAL (%s)", strerror(-ret));
	ret = negotiate(&c, 0, 0, "{\"capabilities\":{\"max_msg_fds\":4,}}", NULL, NULL, 0);
	report(ret == -EINVAL, "VERSION with broken JSON: EINVAL (%s)", strerror(-ret));
	{
		uint8_t req[4 + sizeof(truncated) - 1] = { 0 };

		memcpy(req + 4, truncated, sizeof(truncated) - 1);
		ret = vu_call(&c, VFIO_USER_VERSION, req, sizeof(req), NULL, 0, buf, sizeof(buf),
			      NULL);
		report(ret == -EINVAL, "VERSION with JSON lacking its NUL: EINVAL (%s)",
		       strerror(-ret));
	}
	ret = negotiate(&c, 0, 5, NULL, &minor, NULL, 0);
	report(!ret && minor == 0, "VERSION 0.5 without capabilities: answered 0.0 (%s)",
	       strerror(-ret));
	wr(&c, CFG, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	wr32(&c, BAR0, TESTDEV_REG_SCRATCH, 0xcafe);
	{
		struct vfio_user_header hdr = { .msg_id = 800, .command = 4, .size = 8 };

		ret = send_raw(c.sock, &hdr, sizeof(hdr));
		ret = ret ? ret : get_reply(&c, 800, 4, buf, sizeof(buf), NULL);
		report(ret == -EINVAL && hung_up(&c),
		       "message size 8 (< header): EINVAL reply, then a hang-up (%s)",
		       strerror(-ret));
	}
	client_close(&c);

	if (!client_connect(&c, path)) {
		ret = negotiate(&c, 1, 0, NULL, NULL, NULL, 0);
		report(ret == -ENOTSUP && hung_up(&c), "VERSION 1.0: ENOTSUP, then a hang-up (%s)",
		       strerror(-ret));
		client_close(&c);
	}

	ret = client_connect(&c, path);
	ret = ret ? ret : negotiate(&c, 0, 0, NULL, NULL, NULL, 0);
	report(!ret && server_alive(&s), "a fourth client negotiates (%s)", strerror(-ret));
	report(rd32(&c, BAR0, TESTDEV_REG_SCRATCH) == 0xcafe,
	       "device state survives a client's disconnect");
	client_close(&c);

	kill(s.pid, SIGTERM);
	status = server_wait(&s, 10);
	report(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	       "SIGTERM: server exits 0 (wait status 0x%x)", status);
	report(access(path, F_OK) < 0, "server removed its socket");
out:
	client_close(&c);
	server_stop(&s);
	if (failures != failed_before || verbose)
		server_print_log(&s, "multi-client");
}

static void on_timeout(int sig)
{
	static const char msg[] = "FAIL: vfio-user-testdev-check timed out\n";

	if (running_server > 0)
		kill(running_server, SIGKILL);
	if (write(STDOUT_FILENO, msg, sizeof(msg) - 1) < 0)
		_exit(1);
	_exit(1);
}

int main(int argc, char **argv)
{
	const char *tmp = getenv("TMPDIR");
	char server_bin[4096] = "", dir[4096], path[4200];
	struct sigaction timeout = { .sa_handler = on_timeout };

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--server") && i + 1 < argc) {
			snprintf(server_bin, sizeof(server_bin), "%s", argv[++i]);
		} else if (!strcmp(argv[i], "--verbose")) {
			verbose = true;
		} else {
			fprintf(stderr, "usage: %s [--server PATH] [--verbose]\n", argv[0]);
			return strcmp(argv[i], "--help") ? 2 : 0;
		}
	}
	if (!server_bin[0]) {
		ssize_t n = readlink("/proc/self/exe", server_bin, sizeof(server_bin) - 1);
		char *slash;

		if (n < 0) {
			perror("/proc/self/exe");
			return 1;
		}
		server_bin[n] = '\0';
		slash = strrchr(server_bin, '/');
		snprintf(slash + 1, sizeof(server_bin) - (size_t)(slash + 1 - server_bin), "%s",
			 "vfio-user-testdev");
	}
	snprintf(dir, sizeof(dir), "%s/vutd-check.XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/testdev.sock", dir);
	sigaction(SIGALRM, &timeout, NULL);
	signal(SIGPIPE, SIG_IGN);
	alarm(120);

	printf("--- vfio-user-testdev-check: %s ---\n", server_bin);
	run_once_server(server_bin, path);
	run_multi_server(server_bin, path);
	unlink(path);
	rmdir(dir);
	printf("SUMMARY: %u checks, %u failed\n", checks, failures);
	return failures ? 1 : 0;
}

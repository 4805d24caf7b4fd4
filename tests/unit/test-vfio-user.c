/* Unit tests of the vfio-user client back end against a scripted fake server in a thread. */
#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "tests/unit/unit.h"
#include "vfio/vfio-user.h"
#include "vmm/log.h"

/* Short, so that the timeout test is quick; replies come in microseconds. */
#define TEST_TIMEOUT_MS 300
#define PAGE 4096u
#define IOVA 0x100000ull

/* ---- The fake server ------------------------------------------------------------ */

struct fake;
typedef void (*fake_script)(struct fake *f);

struct fake {
	int fd;
	int listen_fd; /* for the test that connects by path */
	fake_script script;
	pthread_t thread;
	char fail[512]; /* the first thing the server found wrong */
	/* The VERSION reply. */
	uint16_t major, minor;
	const char *caps; /* NULL: the default capabilities */
	bool caps_no_nul;
	uint32_t version_error;
	bool version_close;
	int mode; /* what a script does, per test */
};

static void __attribute__((format(printf, 2, 3))) fake_failf(struct fake *f, const char *fmt, ...)
{
	va_list ap;

	if (f->fail[0])
		return;
	va_start(ap, fmt);
	vsnprintf(f->fail, sizeof(f->fail), fmt, ap);
	va_end(ap);
}

#define FAKE_CHECK(f, cond)                                            \
	do {                                                           \
		if (!(cond))                                           \
			fake_failf(f, "line %d: %s", __LINE__, #cond); \
	} while (0)

/* The next message from the client: 0, or -1 at its end of the socket. */
static int fake_recv(struct fake *f, struct vfio_user_msg *m)
{
	int ret = vfio_user_recv(f->fd, m, 4u << 20, VFIO_USER_MAX_FDS, NULL);

	if (ret && ret != -ECONNRESET)
		fake_failf(f, "client sent a message the server could not frame (%u bytes): %s",
			   m->hdr.size, strerror(-ret));
	return ret ? -1 : 0;
}

/* The next message must be the command cmd. */
static int fake_expect(struct fake *f, struct vfio_user_msg *m, uint16_t cmd)
{
	if (fake_recv(f, m)) {
		fake_failf(f, "client closed while the server expected command %u", cmd);
		return -1;
	}
	if (m->hdr.command != cmd || (m->hdr.flags & VFIO_USER_F_TYPE_MASK) != 0) {
		fake_failf(f, "client sent command %u flags %#x, expected command %u",
			   m->hdr.command, m->hdr.flags, cmd);
		vfio_user_msg_release(m);
		return -1;
	}
	return 0;
}

static void fake_send(struct fake *f, uint16_t id, uint16_t cmd, uint32_t flags, uint32_t error,
		      const void *payload, uint32_t len, const int *fds, unsigned int nr_fds)
{
	struct vfio_user_header hdr = { id, cmd, (uint32_t)sizeof(hdr) + len, flags, error };
	int ret = vfio_user_send(f->fd, &hdr, payload, fds, nr_fds, NULL);

	/* The client may have ended the device already: a failed send is its business. */
	if (ret && ret != -ECONNRESET)
		fake_failf(f, "send: %s", strerror(-ret));
}

static void fake_reply_fds(struct fake *f, const struct vfio_user_msg *req, const void *payload,
			   uint32_t len, const int *fds, unsigned int nr_fds)
{
	fake_send(f, req->hdr.msg_id, req->hdr.command, VFIO_USER_F_TYPE_REPLY, 0, payload, len,
		  fds, nr_fds);
}

static void fake_reply(struct fake *f, const struct vfio_user_msg *req, const void *payload,
		       uint32_t len)
{
	fake_reply_fds(f, req, payload, len, NULL, 0);
}

static void fake_error(struct fake *f, const struct vfio_user_msg *req, uint32_t error)
{
	fake_send(f, req->hdr.msg_id, req->hdr.command, VFIO_USER_F_TYPE_REPLY | VFIO_USER_F_ERROR,
		  error, NULL, 0, NULL, 0);
}

/* Read until the client closes or shuts down its end. */
static void fake_drain(struct fake *f)
{
	struct vfio_user_msg m;

	while (!fake_recv(f, &m))
		vfio_user_msg_release(&m);
}

/* Check the client's VERSION and answer as the test set it up. */
static int fake_handshake(struct fake *f)
{
	static const char default_caps[] =
		"{\"capabilities\":{\"max_msg_fds\":8,\"max_data_xfer_size\":1048576,"
		"\"pgsizes\":4096,\"max_dma_maps\":64}}";
	const char *caps = f->caps ? f->caps : default_caps;
	struct vfio_user_version version;
	struct vfio_user_msg m;
	json_t *root, *c;
	uint8_t *reply;
	size_t len;

	if (fake_expect(f, &m, VFIO_USER_VERSION))
		return -1;
	FAKE_CHECK(f, m.len > sizeof(version) && m.nr_fds == 0);
	memcpy(&version, m.payload, sizeof(version));
	FAKE_CHECK(f, version.major == 0 && version.minor == 0);
	FAKE_CHECK(f, m.payload[m.len - 1] == 0);
	root = json_loads((char *)m.payload + sizeof(version), 0, NULL);
	c = json_object_get(root, "capabilities");
	FAKE_CHECK(f, json_integer_value(json_object_get(c, "max_msg_fds")) == 1);
	FAKE_CHECK(f, json_integer_value(json_object_get(c, "max_data_xfer_size")) == 1048576);
	json_decref(root);

	if (f->version_close) {
		vfio_user_msg_release(&m);
		return -1;
	}
	if (f->version_error) {
		fake_error(f, &m, f->version_error);
		vfio_user_msg_release(&m);
		return -1;
	}
	version.major = f->major;
	version.minor = f->minor;
	len = sizeof(version) + strlen(caps) + (f->caps_no_nul ? 0 : 1);
	reply = malloc(len);
	memcpy(reply, &version, sizeof(version));
	memcpy(reply + sizeof(version), caps, len - sizeof(version));
	fake_reply(f, &m, reply, len);
	free(reply);
	vfio_user_msg_release(&m);
	return 0;
}

static void *fake_main(void *arg)
{
	struct fake *f = arg;

	if (f->listen_fd >= 0) {
		f->fd = accept4(f->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (f->fd < 0) {
			fake_failf(f, "accept: %s", strerror(errno));
			return NULL;
		}
	}
	f->script(f);
	close(f->fd);
	return NULL;
}

static void fake_init(struct fake *f)
{
	memset(f, 0, sizeof(*f));
	f->fd = -1;
	f->listen_fd = -1;
}

/* Start the server thread on a socketpair and open the back end over it. */
static int fake_open(struct fake *f, fake_script script, struct pt_backend **b, char *err,
		     size_t errlen)
{
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	f->fd = sv[1];
	f->script = script;
	ck_assert_int_eq(pthread_create(&f->thread, NULL, fake_main, f), 0);
	return vfio_user_open_socket(sv[0], "vfio-user:fake", TEST_TIMEOUT_MS, b, err, errlen);
}

static struct pt_backend *fake_start(struct fake *f, fake_script script)
{
	struct pt_backend *b = NULL;
	char err[512] = "";
	int ret = fake_open(f, script, &b, err, sizeof(err));

	ck_assert_msg(ret == 0, "open: %d %s", ret, err);
	ck_assert_ptr_nonnull(b);
	return b;
}

static void fake_finish(struct fake *f, struct pt_backend *b)
{
	if (b)
		b->ops->close(b);
	pthread_join(f->thread, NULL);
	ck_assert_msg(!f->fail[0], "fake server: %s", f->fail);
}

/* ---- Test helpers ---------------------------------------------------------------- */

/* Every operation of an ended device fails with -ENODEV. */
static void assert_all_enodev(struct pt_backend *b)
{
	struct vfio_device_info dinfo = { .argsz = sizeof(dinfo) };
	struct vfio_region_info rinfo = { .argsz = sizeof(rinfo) };
	struct vfio_irq_info iinfo = { .argsz = sizeof(iinfo) };
	static uint8_t page[PAGE] __attribute__((aligned(PAGE)));
	int32_t fd = -1;
	uint32_t v = 0;
	int mmap_fd = 7;

	ck_assert_int_eq(b->ops->device_info(b, &dinfo), -ENODEV);
	ck_assert_int_eq(b->ops->region_info(b, &rinfo, &mmap_fd), -ENODEV);
	ck_assert_int_eq(mmap_fd, -1);
	ck_assert_int_eq(b->ops->region_read(b, 0, 0, &v, 4), -ENODEV);
	ck_assert_int_eq(b->ops->region_write(b, 0, 0, &v, 4), -ENODEV);
	ck_assert_int_eq(b->ops->irq_info(b, &iinfo), -ENODEV);
	ck_assert_int_eq(b->ops->set_irqs(b, VFIO_PCI_MSIX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER,
					  0, 1, &fd),
			 -ENODEV);
	ck_assert_int_eq(b->ops->dma_map(b, 0x800000, PAGE, page, -1, 0), -ENODEV);
	ck_assert_int_eq(b->ops->dma_unmap(b, 0x800000, PAGE), -ENODEV);
	ck_assert_int_eq(b->ops->reset(b), -ENODEV);
	ck_assert_int_eq(vfio_user_serve(b), -ENODEV);
}

static int64_t elapsed_ms(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - start->tv_sec) * 1000 + (now.tv_nsec - start->tv_nsec) / 1000000;
}

/* ---- A well-behaved server ------------------------------------------------------- */

static void script_info(struct fake *f)
{
	struct vfio_user_device_info dinfo;
	struct vfio_user_irq_info iinfo;
	struct vfio_user_msg m;

	if (fake_handshake(f))
		return;
	if (fake_expect(f, &m, VFIO_USER_DEVICE_GET_INFO))
		return;
	FAKE_CHECK(f, m.len == sizeof(dinfo));
	memcpy(&dinfo, m.payload, sizeof(dinfo));
	FAKE_CHECK(f, dinfo.argsz == sizeof(dinfo));
	dinfo = (struct vfio_user_device_info){ sizeof(dinfo),
						VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET,
						VFIO_PCI_NUM_REGIONS, VFIO_PCI_NUM_IRQS };
	fake_reply(f, &m, &dinfo, sizeof(dinfo));
	vfio_user_msg_release(&m);

	if (fake_expect(f, &m, VFIO_USER_DEVICE_GET_IRQ_INFO))
		return;
	FAKE_CHECK(f, m.len == sizeof(iinfo));
	memcpy(&iinfo, m.payload, sizeof(iinfo));
	FAKE_CHECK(f, iinfo.argsz == sizeof(iinfo) && iinfo.index == VFIO_PCI_MSIX_IRQ_INDEX);
	iinfo = (struct vfio_user_irq_info){ sizeof(iinfo),
					     VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE,
					     VFIO_PCI_MSIX_IRQ_INDEX, 16 };
	fake_reply(f, &m, &iinfo, sizeof(iinfo));
	vfio_user_msg_release(&m);

	if (fake_expect(f, &m, VFIO_USER_DEVICE_RESET))
		return;
	FAKE_CHECK(f, m.len == 0);
	fake_reply(f, &m, NULL, 0);
	vfio_user_msg_release(&m);
	fake_drain(f);
}

START_TEST(test_info_irq_info_reset)
{
	int fds = unit_count_fds();
	struct vfio_device_info dinfo = { .argsz = sizeof(dinfo) };
	struct vfio_irq_info iinfo = { .argsz = sizeof(iinfo), .index = VFIO_PCI_MSIX_IRQ_INDEX };
	struct fake f;
	struct pt_backend *b;

	fake_init(&f);
	f.major = 0;
	f.minor = 0;
	b = fake_start(&f, script_info);
	ck_assert_str_eq(b->name, "vfio-user:fake");
	ck_assert_int_ge(vfio_user_poll_fd(b), 0);

	ck_assert_int_eq(b->ops->device_info(b, &dinfo), 0);
	ck_assert_uint_eq(dinfo.flags, VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET);
	ck_assert_uint_eq(dinfo.num_regions, VFIO_PCI_NUM_REGIONS);
	ck_assert_uint_eq(dinfo.num_irqs, VFIO_PCI_NUM_IRQS);
	ck_assert_int_eq(b->ops->irq_info(b, &iinfo), 0);
	ck_assert_uint_eq(iinfo.count, 16);
	ck_assert_uint_eq(iinfo.flags, VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE);
	ck_assert_int_eq(b->ops->reset(b), 0);
	/* Nothing pending: serving is a no-op. */
	ck_assert_int_eq(vfio_user_serve(b), 0);
	fake_finish(&f, b);
	ck_assert_int_eq(unit_count_fds(), fds);
}
END_TEST

static void script_handshake_only(struct fake *f)
{
	if (!fake_handshake(f))
		fake_drain(f);
}

START_TEST(test_open_by_path)
{
	int fds = unit_count_fds();
	char dir[] = "/tmp/kdom-vu-XXXXXX", path[64], err[512] = "", name[160];
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct pt_backend *b = NULL;
	struct fake f;
	char longpath[200];

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/dev.sock", dir);
	fake_init(&f);
	f.script = script_handshake_only;
	f.listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(f.listen_fd, 0);
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
	ck_assert_int_eq(bind(f.listen_fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	ck_assert_int_eq(listen(f.listen_fd, 1), 0);
	ck_assert_int_eq(pthread_create(&f.thread, NULL, fake_main, &f), 0);

	ck_assert_int_eq(vfio_user_open(path, &b, err, sizeof(err)), 0);
	snprintf(name, sizeof(name), "vfio-user:%s", path);
	ck_assert_str_eq(b->name, name);
	fake_finish(&f, b);
	close(f.listen_fd);
	unlink(path);

	/* Nobody listening. */
	b = (struct pt_backend *)1;
	ck_assert_int_eq(vfio_user_open(path, &b, err, sizeof(err)), -ENOENT);
	ck_assert_ptr_null(b);
	ck_assert_ptr_nonnull(strstr(err, "connect"));
	ck_assert_ptr_nonnull(strstr(err, path));
	memset(longpath, 'x', sizeof(longpath) - 1);
	longpath[sizeof(longpath) - 1] = 0;
	ck_assert_int_eq(vfio_user_open(longpath, &b, err, sizeof(err)), -ENAMETOOLONG);
	rmdir(dir);
	ck_assert_int_eq(unit_count_fds(), fds);
}
END_TEST

/* Region 0 plain, 1 MMAP without fd, 2 MMAP with fd, 3 sparse (part), 4 sparse (whole). */
static void script_regions(struct fake *f)
{
	struct {
		struct vfio_user_region_info info;
		struct vfio_region_info_cap_sparse_mmap sparse;
		struct vfio_region_sparse_mmap_area area;
	} __attribute__((packed)) rep;
	struct vfio_user_region_info req;
	struct vfio_user_msg m;
	int memfd, i;
	char *p;

	if (fake_handshake(f))
		return;
	memfd = memfd_create("bar", MFD_CLOEXEC);
	FAKE_CHECK(f, memfd >= 0 && ftruncate(memfd, PAGE) == 0);
	p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	FAKE_CHECK(f, p != MAP_FAILED);
	if (p != MAP_FAILED) {
		strcpy(p, "BAR contents");
		munmap(p, PAGE);
	}
	for (i = 0; i < 6; i++) {
		uint32_t len = sizeof(rep.info);
		bool with_fd = false;

		if (fake_expect(f, &m, VFIO_USER_DEVICE_GET_REGION_INFO))
			break;
		FAKE_CHECK(f, m.len == sizeof(req));
		memcpy(&req, m.payload, sizeof(req));
		FAKE_CHECK(f, req.argsz >= sizeof(rep) && req.index == (uint32_t)i);
		memset(&rep, 0, sizeof(rep));
		rep.info = (struct vfio_user_region_info){
			.argsz = sizeof(rep.info),
			.flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE,
			.index = req.index,
			.size = PAGE,
			.offset = 0,
		};
		switch (i) {
		case 1:
			rep.info.flags |= VFIO_REGION_INFO_FLAG_MMAP;
			break;
		case 2:
			rep.info.flags |= VFIO_REGION_INFO_FLAG_MMAP;
			with_fd = true;
			break;
		case 3:
		case 4:
			rep.info.flags |= VFIO_REGION_INFO_FLAG_MMAP | VFIO_REGION_INFO_FLAG_CAPS;
			rep.info.argsz = len = sizeof(rep);
			rep.info.cap_offset = sizeof(rep.info);
			rep.sparse.header.id = VFIO_REGION_INFO_CAP_SPARSE_MMAP;
			rep.sparse.header.version = 1;
			rep.sparse.nr_areas = 1;
			rep.area.size = i == 3 ? PAGE / 2 : PAGE;
			with_fd = true;
			break;
		case 5:
			rep.info.index = 6; /* not the region asked for */
			break;
		}
		fake_reply_fds(f, &m, &rep, len, &memfd, with_fd);
		vfio_user_msg_release(&m);
	}
	close(memfd);
	fake_drain(f);
}

START_TEST(test_region_info)
{
	int fds = unit_count_fds();
	struct vfio_region_info info;
	struct fake f;
	struct pt_backend *b;
	int mmap_fd, kept;
	char *p;

	fake_init(&f);
	b = fake_start(&f, script_regions);

	info = (struct vfio_region_info){ .argsz = sizeof(info), .index = 0 };
	ck_assert_int_eq(b->ops->region_info(b, &info, &mmap_fd), 0);
	ck_assert_uint_eq(info.flags, VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE);
	ck_assert_uint_eq(info.size, PAGE);
	ck_assert_int_eq(mmap_fd, -1);

	/* MMAP without an fd: reached with messages instead. */
	info = (struct vfio_region_info){ .argsz = sizeof(info), .index = 1 };
	ck_assert_int_eq(b->ops->region_info(b, &info, &mmap_fd), 0);
	ck_assert_uint_eq(info.flags, VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE);
	ck_assert_int_eq(mmap_fd, -1);

	info = (struct vfio_region_info){ .argsz = sizeof(info), .index = 2 };
	ck_assert_int_eq(b->ops->region_info(b, &info, &mmap_fd), 0);
	ck_assert_uint_eq(info.flags, VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE |
					      VFIO_REGION_INFO_FLAG_MMAP);
	ck_assert_int_ge(mmap_fd, 0);
	p = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, mmap_fd, (off_t)info.offset);
	ck_assert_ptr_ne(p, MAP_FAILED);
	ck_assert_str_eq(p, "BAR contents");
	munmap(p, PAGE);
	kept = unit_count_fds();

	/* Only half of the region mappable: not offered for mmap, its fd closed. */
	info = (struct vfio_region_info){ .argsz = sizeof(info), .index = 3 };
	ck_assert_int_eq(b->ops->region_info(b, &info, &mmap_fd), 0);
	ck_assert_uint_eq(info.flags, VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE);
	ck_assert_uint_eq(info.cap_offset, 0);
	ck_assert_int_eq(mmap_fd, -1);
	ck_assert_int_eq(unit_count_fds(), kept);

	/* A sparse list whose one area is the whole region: mappable. */
	info = (struct vfio_region_info){ .argsz = sizeof(info), .index = 4 };
	ck_assert_int_eq(b->ops->region_info(b, &info, &mmap_fd), 0);
	ck_assert(info.flags & VFIO_REGION_INFO_FLAG_MMAP);
	ck_assert_int_ge(mmap_fd, 0);
	ck_assert_int_eq(unit_count_fds(), kept + 1);

	/* A reply for another region ends the device. */
	info = (struct vfio_region_info){ .argsz = sizeof(info), .index = 5 };
	ck_assert_int_eq(b->ops->region_info(b, &info, &mmap_fd), -EPROTO);
	ck_assert_int_eq(mmap_fd, -1);
	ck_assert_ptr_nonnull(strstr(log_last_error(), "region 6, asked for 5"));
	assert_all_enodev(b);
	fake_finish(&f, b);
	ck_assert_int_eq(unit_count_fds(), fds);
}
END_TEST

/* Serve region reads and writes on a 512-byte backing per region until the client closes. */
static void fake_serve_regions(struct fake *f, uint32_t max_count)
{
	static uint8_t regions[VFIO_PCI_NUM_REGIONS][512];
	struct vfio_user_region_access ra;
	struct vfio_user_msg m;

	while (!fake_recv(f, &m)) {
		bool write = m.hdr.command == VFIO_USER_REGION_WRITE;

		if ((m.hdr.command != VFIO_USER_REGION_READ && !write) || m.len < sizeof(ra)) {
			fake_failf(f, "unexpected command %u", m.hdr.command);
			vfio_user_msg_release(&m);
			break;
		}
		memcpy(&ra, m.payload, sizeof(ra));
		if (ra.region >= VFIO_PCI_NUM_REGIONS || ra.count > max_count || !ra.count ||
		    ra.offset + ra.count > 512 || m.len != sizeof(ra) + (write ? ra.count : 0)) {
			fake_failf(f, "bad access region %u offset %llu count %u len %u", ra.region,
				   (unsigned long long)ra.offset, ra.count, m.len);
			fake_error(f, &m, EINVAL);
		} else if (write) {
			memcpy(regions[ra.region] + ra.offset, m.payload + sizeof(ra), ra.count);
			fake_reply(f, &m, &ra, sizeof(ra));
		} else {
			uint8_t *rep = malloc(sizeof(ra) + ra.count);

			memcpy(rep, &ra, sizeof(ra));
			memcpy(rep + sizeof(ra), regions[ra.region] + ra.offset, ra.count);
			fake_reply(f, &m, rep, sizeof(ra) + ra.count);
			free(rep);
		}
		vfio_user_msg_release(&m);
	}
}

static void script_region_rw(struct fake *f)
{
	if (!fake_handshake(f))
		fake_serve_regions(f, 64);
}

START_TEST(test_region_read_write)
{
	int fds = unit_count_fds();
	uint8_t config[256], back[256];
	uint32_t v = 0xdeadbeef, r = 0;
	uint64_t q = 0x0123456789abcdefull, rq = 0;
	struct fake f;
	struct pt_backend *b;
	int i;

	fake_init(&f);
	f.caps = "{\"capabilities\":{\"max_data_xfer_size\":64}}";
	b = fake_start(&f, script_region_rw);

	ck_assert_int_eq(b->ops->region_write(b, VFIO_PCI_BAR0_REGION_INDEX, 0x10, &v, 4), 0);
	ck_assert_int_eq(b->ops->region_read(b, VFIO_PCI_BAR0_REGION_INDEX, 0x10, &r, 4), 0);
	ck_assert_uint_eq(r, 0xdeadbeef);
	ck_assert_int_eq(b->ops->region_write(b, VFIO_PCI_BAR2_REGION_INDEX, 0x20, &q, 8), 0);
	ck_assert_int_eq(b->ops->region_read(b, VFIO_PCI_BAR2_REGION_INDEX, 0x20, &rq, 8), 0);
	ck_assert(rq == q);
	/* 256 bytes of config space over a server that takes 64 at a time. */
	for (i = 0; i < 256; i++)
		config[i] = (uint8_t)(i * 7);
	ck_assert_int_eq(b->ops->region_write(b, VFIO_PCI_CONFIG_REGION_INDEX, 0, config, 256), 0);
	memset(back, 0, sizeof(back));
	ck_assert_int_eq(b->ops->region_read(b, VFIO_PCI_CONFIG_REGION_INDEX, 0, back, 256), 0);
	ck_assert_mem_eq(back, config, 256);
	/* Checked before anything is sent. */
	ck_assert_int_eq(b->ops->region_read(b, 0, 0, &r, 0), -EINVAL);
	ck_assert_int_eq(b->ops->region_read(b, 0, UINT64_MAX - 1, &r, 4), -EINVAL);
	fake_finish(&f, b);
	ck_assert_int_eq(unit_count_fds(), fds);
}
END_TEST

struct rw_thread {
	struct pt_backend *b;
	uint32_t offset;
	int failures;
};

static void *rw_thread_main(void *arg)
{
	struct rw_thread *t = arg;
	uint32_t i;

	for (i = 0; i < 200; i++) {
		uint32_t v = t->offset * 1000 + i, r = 0;

		if (t->b->ops->region_write(t->b, 0, t->offset, &v, 4) ||
		    t->b->ops->region_read(t->b, 0, t->offset, &r, 4) || r != v)
			t->failures++;
	}
	return NULL;
}

START_TEST(test_concurrent_access)
{
	struct rw_thread threads[4];
	pthread_t ids[4];
	struct fake f;
	struct pt_backend *b;
	int i;

	fake_init(&f);
	b = fake_start(&f, script_region_rw);
	for (i = 0; i < 4; i++) {
		threads[i] = (struct rw_thread){ b, (uint32_t)i * 8, 0 };
		ck_assert_int_eq(pthread_create(&ids[i], NULL, rw_thread_main, &threads[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(ids[i], NULL);
		ck_assert_int_eq(threads[i].failures, 0);
	}
	fake_finish(&f, b);
}
END_TEST

/* Expect one SET_IRQS; signal and close each fd that came with it. */
static void fake_expect_set_irqs(struct fake *f, uint32_t flags, uint32_t start, uint32_t count,
				 unsigned int nr_fds)
{
	struct vfio_user_irq_set set;
	struct vfio_user_msg m;
	unsigned int i;

	if (fake_expect(f, &m, VFIO_USER_DEVICE_SET_IRQS))
		return;
	FAKE_CHECK(f, m.len == sizeof(set));
	memcpy(&set, m.payload, sizeof(set));
	if (set.argsz != sizeof(set) || set.flags != flags ||
	    set.index != VFIO_PCI_MSIX_IRQ_INDEX || set.start != start || set.count != count ||
	    m.nr_fds != nr_fds)
		fake_failf(
			f,
			"SET_IRQS flags %#x start %u count %u with %u fds; expected %#x %u %u %u",
			set.flags, set.start, set.count, m.nr_fds, flags, start, count, nr_fds);
	for (i = 0; i < m.nr_fds; i++)
		FAKE_CHECK(f, eventfd_write(m.fds[i], 1 + start + i) == 0);
	fake_reply(f, &m, NULL, 0);
	vfio_user_msg_release(&m);
}

static void script_set_irqs(struct fake *f)
{
	const uint32_t eventfd = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;

	if (fake_handshake(f))
		return;
	/* {e0, e1, -1, e2} with at most 2 fds per message. */
	fake_expect_set_irqs(f, eventfd, 0, 2, 2);
	fake_expect_set_irqs(f, eventfd, 2, 1, 0);
	fake_expect_set_irqs(f, eventfd, 3, 1, 1);
	/* {e0, e1, e2} from 4. */
	fake_expect_set_irqs(f, eventfd, 4, 2, 2);
	fake_expect_set_irqs(f, eventfd, 6, 1, 1);
	/* Disable the index. */
	fake_expect_set_irqs(f, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER, 0, 0, 0);
	fake_drain(f);
}

START_TEST(test_set_irqs)
{
	int fds = unit_count_fds();
	int32_t e[3], list[4];
	eventfd_t value;
	struct fake f;
	struct pt_backend *b;
	int i;

	fake_init(&f);
	f.caps = "{\"capabilities\":{\"max_msg_fds\":2}}";
	b = fake_start(&f, script_set_irqs);
	for (i = 0; i < 3; i++) {
		e[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		ck_assert_int_ge(e[i], 0);
	}
	list[0] = e[0];
	list[1] = e[1];
	list[2] = -1;
	list[3] = e[2];
	ck_assert_int_eq(b->ops->set_irqs(b, VFIO_PCI_MSIX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER,
					  0, 4, list),
			 0);
	/* The server signalled what it received: the very same eventfds. */
	ck_assert_int_eq(eventfd_read(e[0], &value), 0);
	ck_assert_uint_eq(value, 1);
	ck_assert_int_eq(eventfd_read(e[1], &value), 0);
	ck_assert_uint_eq(value, 2);
	ck_assert_int_eq(eventfd_read(e[2], &value), 0);
	ck_assert_uint_eq(value, 4);
	ck_assert_int_eq(
		b->ops->set_irqs(b, VFIO_PCI_MSIX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER, 4, 3, e),
		0);
	ck_assert_int_eq(eventfd_read(e[0], &value), 0);
	ck_assert_uint_eq(value, 5);
	ck_assert_int_eq(eventfd_read(e[2], &value), 0);
	ck_assert_uint_eq(value, 7);
	ck_assert_int_eq(b->ops->set_irqs(b, VFIO_PCI_MSIX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER,
					  0, 0, NULL),
			 0);
	/* Refused before anything is sent. */
	ck_assert_int_eq(b->ops->set_irqs(b, VFIO_PCI_MSIX_IRQ_INDEX, 0, 0, 1, e), -EINVAL);
	ck_assert_int_eq(b->ops->set_irqs(b, VFIO_PCI_MSIX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER,
					  0, 1, NULL),
			 -EINVAL);
	fake_finish(&f, b);
	for (i = 0; i < 3; i++)
		close(e[i]);
	ck_assert_int_eq(unit_count_fds(), fds);
}
END_TEST

/* ---- DMA --------------------------------------------------------------------------- */

/* Three pages of "guest RAM": only the middle one is mapped, the others are canaries. */
struct guest_ram {
	int fd;
	uint8_t *mem;
};

static void guest_ram_init(struct guest_ram *g)
{
	g->fd = memfd_create("guest", MFD_CLOEXEC);
	ck_assert_int_ge(g->fd, 0);
	ck_assert_int_eq(ftruncate(g->fd, 3 * PAGE), 0);
	g->mem = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, g->fd, 0);
	ck_assert_ptr_ne(g->mem, MAP_FAILED);
	memset(g->mem, 0xaa, 3 * PAGE);
}

static void guest_ram_assert_canaries(const struct guest_ram *g)
{
	size_t i;

	for (i = 0; i < PAGE; i++) {
		ck_assert_uint_eq(g->mem[i], 0xaa);
		ck_assert_uint_eq(g->mem[2 * PAGE + i], 0xaa);
	}
}

static void guest_ram_free(struct guest_ram *g)
{
	munmap(g->mem, 3 * PAGE);
	close(g->fd);
}

/* Accept the client's DMA_MAP; write "via fd" through the fd to show it is the right memory. */
static void fake_accept_dma_map(struct fake *f)
{
	struct vfio_user_dma_map map;
	struct vfio_user_msg m;
	char *p;

	if (fake_expect(f, &m, VFIO_USER_DMA_MAP))
		return;
	FAKE_CHECK(f, m.len == sizeof(map) && m.nr_fds == 1);
	memcpy(&map, m.payload, sizeof(map));
	FAKE_CHECK(f, map.argsz == sizeof(map));
	FAKE_CHECK(f, map.flags == (VFIO_USER_DMA_READABLE | VFIO_USER_DMA_WRITEABLE));
	FAKE_CHECK(f, map.offset == PAGE && map.address == IOVA && map.size == PAGE);
	if (m.nr_fds == 1) {
		p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, m.fds[0],
			 (off_t)map.offset);
		FAKE_CHECK(f, p != MAP_FAILED);
		if (p != MAP_FAILED) {
			memcpy(p, "via fd", 6);
			munmap(p, PAGE);
		}
	}
	fake_reply(f, &m, NULL, 0);
	vfio_user_msg_release(&m);
}

/* Send a DMA request and check the client's reply; the data read comes back in out. */
static void fake_dma(struct fake *f, uint16_t id, uint16_t cmd, uint64_t address, const void *data,
		     uint64_t count, void *out)
{
	struct vfio_user_dma_access access = { address, count }, rep;
	uint8_t buf[sizeof(access) + 64];
	bool write = cmd == VFIO_USER_DMA_WRITE;
	struct vfio_user_msg m;

	memcpy(buf, &access, sizeof(access));
	if (write)
		memcpy(buf + sizeof(access), data, count);
	fake_send(f, id, cmd, VFIO_USER_F_TYPE_COMMAND, 0, buf,
		  sizeof(access) + (write ? (uint32_t)count : 0), NULL, 0);
	if (fake_recv(f, &m)) {
		fake_failf(f, "no reply to DMA command %u", cmd);
		return;
	}
	FAKE_CHECK(f, m.hdr.msg_id == id && m.hdr.command == cmd &&
			      m.hdr.flags == VFIO_USER_F_TYPE_REPLY);
	FAKE_CHECK(f, m.len == sizeof(rep) + (write ? 0 : count));
	if (m.len >= sizeof(rep)) {
		memcpy(&rep, m.payload, sizeof(rep));
		FAKE_CHECK(f, rep.address == address && rep.count == count);
	}
	if (!write && m.len == sizeof(rep) + count)
		memcpy(out, m.payload + sizeof(rep), count);
	vfio_user_msg_release(&m);
}

/* A DMA_WRITE with the no-reply flag. */
static void fake_dma_no_reply(struct fake *f, uint16_t id, uint64_t address, const void *data,
			      uint64_t count)
{
	struct vfio_user_dma_access access = { address, count };
	uint8_t buf[sizeof(access) + 64];

	memcpy(buf, &access, sizeof(access));
	memcpy(buf + sizeof(access), data, count);
	fake_send(f, id, VFIO_USER_DMA_WRITE, VFIO_USER_F_TYPE_COMMAND | VFIO_USER_F_NO_REPLY, 0,
		  buf, sizeof(access) + (uint32_t)count, NULL, 0);
}

static void script_dma_inside(struct fake *f)
{
	struct vfio_user_dma_unmap unmap;
	struct vfio_user_region_access ra;
	uint8_t rep[sizeof(ra) + 4] = { 0 };
	char read_back[8] = "";
	struct vfio_user_msg m;

	if (fake_handshake(f))
		return;
	fake_accept_dma_map(f);

	/* In the middle of a REGION_READ: a DMA_WRITE and a DMA_READ, then the reply. */
	if (fake_expect(f, &m, VFIO_USER_REGION_READ))
		return;
	fake_dma(f, 100, VFIO_USER_DMA_WRITE, IOVA + 16, "DMAWRITE", 8, NULL);
	fake_dma(f, 101, VFIO_USER_DMA_READ, IOVA, NULL, 6, read_back);
	FAKE_CHECK(f, !memcmp(read_back, "via fd", 6));
	/* The last byte of the window, with no reply wanted. */
	fake_dma_no_reply(f, 102, IOVA + PAGE - 1, "Z", 1);
	memcpy(&ra, m.payload, sizeof(ra));
	memcpy(rep, &ra, sizeof(ra));
	fake_reply(f, &m, rep, sizeof(rep));
	vfio_user_msg_release(&m);

	/* While the client is idle: served through vfio_user_serve(). */
	fake_dma(f, 103, VFIO_USER_DMA_WRITE, IOVA + 32, "IDLE", 4, NULL);

	if (fake_expect(f, &m, VFIO_USER_DMA_UNMAP))
		return;
	FAKE_CHECK(f, m.len == sizeof(unmap));
	memcpy(&unmap, m.payload, sizeof(unmap));
	FAKE_CHECK(f, unmap.argsz == sizeof(unmap) && unmap.flags == 0);
	FAKE_CHECK(f, unmap.address == IOVA && unmap.size == PAGE);
	fake_reply(f, &m, &unmap, sizeof(unmap));
	vfio_user_msg_release(&m);

	/* The window is gone: DMA into it ends the device. */
	if (fake_expect(f, &m, VFIO_USER_DEVICE_RESET))
		return;
	fake_dma_no_reply(f, 104, IOVA + 48, "AFTER", 5);
	vfio_user_msg_release(&m);
	fake_drain(f);
}

START_TEST(test_dma_inside)
{
	int fds = unit_count_fds();
	struct guest_ram g;
	struct pollfd pfd;
	struct fake f;
	struct pt_backend *b;
	uint32_t v;

	guest_ram_init(&g);
	fake_init(&f);
	b = fake_start(&f, script_dma_inside);
	ck_assert_int_eq(b->ops->dma_map(b, IOVA, PAGE, g.mem + PAGE, g.fd, PAGE), 0);
	/* The server wrote through the fd it was given. */
	ck_assert_mem_eq(g.mem + PAGE, "via fd", 6);
	/* Refused locally: overlap, misalignment, no such window. */
	ck_assert_int_eq(b->ops->dma_map(b, IOVA, PAGE, g.mem, g.fd, 0), -EEXIST);
	ck_assert_int_eq(b->ops->dma_map(b, IOVA + PAGE + 1, PAGE, g.mem, g.fd, 0), -EINVAL);
	ck_assert_int_eq(b->ops->dma_map(b, UINT64_MAX - PAGE + 1, 2 * PAGE, g.mem, -1, 0),
			 -EINVAL);
	ck_assert_int_eq(b->ops->dma_unmap(b, IOVA + PAGE, PAGE), -EINVAL);

	ck_assert_int_eq(b->ops->region_read(b, 0, 0, &v, 4), 0);
	ck_assert_mem_eq(g.mem + PAGE + 16, "DMAWRITE", 8);
	ck_assert_uint_eq(g.mem[2 * PAGE - 1], 'Z');

	pfd = (struct pollfd){ .fd = vfio_user_poll_fd(b), .events = POLLIN };
	ck_assert_int_eq(poll(&pfd, 1, 5000), 1);
	ck_assert_int_eq(vfio_user_serve(b), 0);
	ck_assert_mem_eq(g.mem + PAGE + 32, "IDLE", 4);

	ck_assert_int_eq(b->ops->dma_unmap(b, IOVA, PAGE), 0);
	ck_assert_int_eq(b->ops->reset(b), -EFAULT);
	ck_assert_ptr_nonnull(strstr(log_last_error(), "outside the regions it was given"));
	ck_assert_uint_eq(g.mem[PAGE + 48], 0xaa);
	fake_finish(&f, b);
	guest_ram_assert_canaries(&g);
	guest_ram_free(&g);
	ck_assert_int_eq(unit_count_fds(), fds);
}
END_TEST

static const struct {
	uint64_t address, count;
} dma_outside[] = {
	{ IOVA + PAGE - 8, 16 }, /* straddles the window's end */
	{ IOVA - 8, 16 },	 /* straddles its start */
	{ IOVA + 2 * PAGE, 8 },	 /* past it */
	{ 0, 4 },		 /* nowhere near */
};

static void script_dma_outside(struct fake *f)
{
	struct vfio_user_msg m;
	uint8_t buf[sizeof(struct vfio_user_dma_access) + 16];
	struct vfio_user_dma_access access = { dma_outside[f->mode].address,
					       dma_outside[f->mode].count };

	if (fake_handshake(f))
		return;
	fake_accept_dma_map(f);
	if (fake_expect(f, &m, VFIO_USER_REGION_READ))
		return;
	memcpy(buf, &access, sizeof(access));
	memset(buf + sizeof(access), 0x55, access.count);
	fake_send(f, 200, VFIO_USER_DMA_WRITE, VFIO_USER_F_TYPE_COMMAND, 0, buf,
		  sizeof(access) + (uint32_t)access.count, NULL, 0);
	vfio_user_msg_release(&m);
	fake_drain(f);
}

START_TEST(test_dma_outside)
{
	int fds = unit_count_fds();
	struct guest_ram g;
	struct capture cap;
	char log[2048];
	struct fake f;
	struct pt_backend *b;
	uint32_t v;
	size_t i;

	guest_ram_init(&g);
	fake_init(&f);
	f.mode = _i;
	b = fake_start(&f, script_dma_outside);
	ck_assert_int_eq(b->ops->dma_map(b, IOVA, PAGE, g.mem + PAGE, g.fd, PAGE), 0);
	capture_begin(&cap);
	ck_assert_int_eq(b->ops->region_read(b, 0, 0, &v, 4), -EFAULT);
	assert_all_enodev(b);
	ck_assert_int_eq(capture_end(&cap, log, sizeof(log)), 1);
	ck_assert_ptr_nonnull(strstr(log, "vfio-user:fake: the server asked for DMA outside the "
					  "regions it was given"));
	fake_finish(&f, b);
	/* Nothing written anywhere: not the canaries, not the window's part of the range. */
	guest_ram_assert_canaries(&g);
	ck_assert_mem_eq(g.mem + PAGE, "via fd", 6);
	for (i = 6; i < PAGE; i++)
		ck_assert_uint_eq(g.mem[PAGE + i], 0xaa);
	guest_ram_free(&g);
	ck_assert_int_eq(unit_count_fds(), fds);
}
END_TEST

/* ---- A misbehaving server ---------------------------------------------------------- */

enum misbehaviour {
	TRUNCATED_HEADER,
	CLOSE_MID_REQUEST,
	WRONG_MSG_ID,
	WRONG_COMMAND,
	OVERSIZED,
	UNDERSIZED,
	SHORT_PAYLOAD,
	LONG_PAYLOAD,
	NO_REPLY,
	UNEXPECTED_FD,
	UNKNOWN_TYPE,
	SERVER_SENDS_VERSION,
	ERROR_WITH_PAYLOAD,
	DMA_NOTHING_MAPPED,
	DMA_TOO_LARGE,
	DMA_WRITE_SHORT,
	DMA_WITH_FD,
};

static const struct {
	int ret;
	const char *reason;
} misbehaviours[] = {
	[TRUNCATED_HEADER] = { -ECONNRESET, "closed its socket in the middle of a message" },
	[CLOSE_MID_REQUEST] = { -ECONNRESET, "closed its socket" },
	[WRONG_MSG_ID] = { -EPROTO, "replied to DEVICE_GET_INFO (id 9) while kdom waited for the "
				    "reply to DEVICE_GET_INFO (id 3)" },
	[WRONG_COMMAND] = { -EPROTO, "replied to DEVICE_GET_IRQ_INFO" },
	[OVERSIZED] = { -EPROTO, "sent a message of 1073741824 bytes, over the" },
	[UNDERSIZED] = { -EPROTO, "shorter than its header" },
	[SHORT_PAYLOAD] = { -EPROTO, "malformed reply to DEVICE_GET_INFO: 8 bytes of payload, "
				     "expected 16" },
	[LONG_PAYLOAD] = { -EPROTO, "20 bytes of payload, expected 16" },
	[NO_REPLY] = { -ETIMEDOUT, "sent no reply to DEVICE_GET_INFO within 300 ms" },
	[UNEXPECTED_FD] = { -EPROTO, "attached a file descriptor to its reply to DEVICE_GET_INFO" },
	[UNKNOWN_TYPE] = { -EPROTO, "unknown type 2" },
	[SERVER_SENDS_VERSION] = { -EPROTO, "sent a VERSION request" },
	[ERROR_WITH_PAYLOAD] = { -EPROTO, "error reply to DEVICE_GET_INFO with a payload" },
	[DMA_NOTHING_MAPPED] = { -EFAULT, "asked for DMA outside the regions it was given" },
	[DMA_TOO_LARGE] = { -EPROTO, "DMA_READ of 2097152 bytes, over the 1048576 accepted" },
	[DMA_WRITE_SHORT] = { -EPROTO, "DMA_WRITE request of 24 bytes for 16 bytes of data" },
	[DMA_WITH_FD] = { -EPROTO, "attached a file descriptor to its DMA_READ request" },
};

static void script_misbehave(struct fake *f)
{
	struct vfio_user_device_info dinfo = { sizeof(dinfo), VFIO_DEVICE_FLAGS_PCI, 9, 5 };
	struct vfio_user_header hdr;
	struct vfio_user_dma_access access = { IOVA, 4 };
	uint8_t buf[64] = { 0 };
	struct vfio_user_msg m;
	int efd;

	if (fake_handshake(f))
		return;
	/* A good exchange first: the device works until the server misbehaves. */
	if (fake_expect(f, &m, VFIO_USER_DEVICE_GET_INFO))
		return;
	fake_reply(f, &m, &dinfo, sizeof(dinfo));
	vfio_user_msg_release(&m);
	if (fake_expect(f, &m, VFIO_USER_DEVICE_GET_INFO))
		return;
	hdr = (struct vfio_user_header){ m.hdr.msg_id, m.hdr.command, sizeof(hdr) + sizeof(dinfo),
					 VFIO_USER_F_TYPE_REPLY, 0 };
	switch (f->mode) {
	case TRUNCATED_HEADER:
		FAKE_CHECK(f, write(f->fd, &hdr, 8) == 8);
		vfio_user_msg_release(&m);
		return; /* and close */
	case CLOSE_MID_REQUEST:
		vfio_user_msg_release(&m);
		return;
	case WRONG_MSG_ID:
		fake_send(f, 9, m.hdr.command, VFIO_USER_F_TYPE_REPLY, 0, &dinfo, sizeof(dinfo),
			  NULL, 0);
		break;
	case WRONG_COMMAND:
		fake_send(f, m.hdr.msg_id, VFIO_USER_DEVICE_GET_IRQ_INFO, VFIO_USER_F_TYPE_REPLY, 0,
			  &dinfo, sizeof(dinfo), NULL, 0);
		break;
	case OVERSIZED:
		hdr.size = 1u << 30;
		FAKE_CHECK(f, write(f->fd, &hdr, sizeof(hdr)) == sizeof(hdr));
		break;
	case UNDERSIZED:
		hdr.size = 8;
		FAKE_CHECK(f, write(f->fd, &hdr, sizeof(hdr)) == sizeof(hdr));
		break;
	case SHORT_PAYLOAD:
		fake_reply(f, &m, &dinfo, 8);
		break;
	case LONG_PAYLOAD:
		memcpy(buf, &dinfo, sizeof(dinfo));
		fake_reply(f, &m, buf, 20);
		break;
	case NO_REPLY:
		break;
	case UNEXPECTED_FD:
		efd = eventfd(0, EFD_CLOEXEC);
		fake_reply_fds(f, &m, &dinfo, sizeof(dinfo), &efd, 1);
		close(efd);
		break;
	case UNKNOWN_TYPE:
		fake_send(f, m.hdr.msg_id, m.hdr.command, 2, 0, &dinfo, sizeof(dinfo), NULL, 0);
		break;
	case SERVER_SENDS_VERSION:
		fake_send(f, 1, VFIO_USER_VERSION, VFIO_USER_F_TYPE_COMMAND, 0, buf, 4, NULL, 0);
		break;
	case ERROR_WITH_PAYLOAD:
		fake_send(f, m.hdr.msg_id, m.hdr.command,
			  VFIO_USER_F_TYPE_REPLY | VFIO_USER_F_ERROR, EINVAL, &dinfo, sizeof(dinfo),
			  NULL, 0);
		break;
	case DMA_NOTHING_MAPPED:
		memcpy(buf, &access, sizeof(access));
		fake_send(f, 1, VFIO_USER_DMA_WRITE, VFIO_USER_F_TYPE_COMMAND, 0, buf,
			  sizeof(access) + 4, NULL, 0);
		break;
	case DMA_TOO_LARGE:
		access.count = 2u << 20;
		fake_send(f, 1, VFIO_USER_DMA_READ, VFIO_USER_F_TYPE_COMMAND, 0, &access,
			  sizeof(access), NULL, 0);
		break;
	case DMA_WRITE_SHORT:
		access.count = 16;
		memcpy(buf, &access, sizeof(access));
		fake_send(f, 1, VFIO_USER_DMA_WRITE, VFIO_USER_F_TYPE_COMMAND, 0, buf,
			  sizeof(access) + 8, NULL, 0);
		break;
	case DMA_WITH_FD:
		efd = eventfd(0, EFD_CLOEXEC);
		fake_send(f, 1, VFIO_USER_DMA_READ, VFIO_USER_F_TYPE_COMMAND, 0, &access,
			  sizeof(access), &efd, 1);
		close(efd);
		break;
	}
	vfio_user_msg_release(&m);
	fake_drain(f);
}

START_TEST(test_misbehaving_server)
{
	int fds = unit_count_fds();
	struct vfio_device_info dinfo = { .argsz = sizeof(dinfo) };
	struct timespec start;
	struct capture cap;
	char log[2048], line[512];
	struct fake f;
	struct pt_backend *b;
	int64_t ms;

	fake_init(&f);
	f.mode = _i;
	b = fake_start(&f, script_misbehave);
	ck_assert_int_eq(b->ops->device_info(b, &dinfo), 0);
	ck_assert_uint_eq(dinfo.num_regions, 9);

	capture_begin(&cap);
	clock_gettime(CLOCK_MONOTONIC, &start);
	ck_assert_int_eq(b->ops->device_info(b, &dinfo), misbehaviours[_i].ret);
	ms = elapsed_ms(&start);
	assert_all_enodev(b);
	assert_all_enodev(b);
	/* One line, naming the server and the reason, however many calls failed after. */
	ck_assert_int_eq(capture_end(&cap, log, sizeof(log)), 1);
	snprintf(line, sizeof(line), "error: vfio-user:fake: the server ");
	ck_assert_msg(strstr(log, line), "log: %s", log);
	ck_assert_msg(strstr(log, misbehaviours[_i].reason), "log: %s", log);
	ck_assert_msg(strstr(log, "; device ended\n"), "log: %s", log);
	ck_assert_ptr_nonnull(strstr(log_last_error(), misbehaviours[_i].reason));
	if (_i == NO_REPLY)
		ck_assert_int_ge(ms, TEST_TIMEOUT_MS - 5);
	ck_assert_int_lt(ms, 3000);
	fake_finish(&f, b);
	ck_assert_int_eq(unit_count_fds(), fds);
}
END_TEST

/* A server that takes no messages: the send times out. */
static void script_not_reading(struct fake *f)
{
	struct timespec pause = { 0, 3 * TEST_TIMEOUT_MS * 1000000L };

	if (fake_handshake(f))
		return;
	nanosleep(&pause, NULL);
	fake_drain(f);
}

START_TEST(test_server_not_reading)
{
	int fds = unit_count_fds();
	struct timespec start;
	struct fake f;
	struct pt_backend *b;
	uint8_t *big = calloc(1, VFIO_USER_MAX_DATA_XFER);
	int64_t ms;
	int i, ret = 0;

	ck_assert_ptr_nonnull(big);
	fake_init(&f);
	b = fake_start(&f, script_not_reading);
	clock_gettime(CLOCK_MONOTONIC, &start);
	/* Enough to fill the socket's buffers whatever their size. */
	for (i = 0; i < 64 && !ret; i++)
		ret = b->ops->region_write(b, 0, 0, big, VFIO_USER_MAX_DATA_XFER);
	ms = elapsed_ms(&start);
	ck_assert_int_eq(ret, -ETIMEDOUT);
	ck_assert_int_ge(ms, TEST_TIMEOUT_MS - 5);
	ck_assert_int_lt(ms, 3000);
	ck_assert_ptr_nonnull(strstr(log_last_error(), "took no REGION_WRITE within 300 ms"));
	assert_all_enodev(b);
	fake_finish(&f, b);
	free(big);
	ck_assert_int_eq(unit_count_fds(), fds);
}
END_TEST

/* Error replies pass their errno on and leave the device working. */
static void script_errors(struct fake *f)
{
	static const uint32_t errors[] = { EINVAL, EOPNOTSUPP, 0, 100000 };
	struct vfio_user_device_info dinfo = { sizeof(dinfo), VFIO_DEVICE_FLAGS_PCI, 9, 5 };
	struct vfio_user_msg m;
	size_t i;

	if (fake_handshake(f))
		return;
	for (i = 0; i < sizeof(errors) / sizeof(errors[0]); i++) {
		if (fake_expect(f, &m, VFIO_USER_DEVICE_GET_INFO))
			return;
		fake_error(f, &m, errors[i]);
		vfio_user_msg_release(&m);
	}
	if (fake_expect(f, &m, VFIO_USER_DEVICE_GET_INFO))
		return;
	fake_reply(f, &m, &dinfo, sizeof(dinfo));
	vfio_user_msg_release(&m);
	/* And DMA_MAP refused: the window is not kept. */
	if (fake_expect(f, &m, VFIO_USER_DMA_MAP))
		return;
	fake_error(f, &m, EEXIST);
	vfio_user_msg_release(&m);
	fake_drain(f);
}

START_TEST(test_error_replies)
{
	int fds = unit_count_fds();
	struct vfio_device_info dinfo = { .argsz = sizeof(dinfo) };
	static uint8_t page[PAGE] __attribute__((aligned(PAGE)));
	struct capture cap;
	char log[2048];
	struct fake f;
	struct pt_backend *b;

	fake_init(&f);
	b = fake_start(&f, script_errors);
	capture_begin(&cap);
	ck_assert_int_eq(b->ops->device_info(b, &dinfo), -EINVAL);
	ck_assert_int_eq(b->ops->device_info(b, &dinfo), -EOPNOTSUPP);
	ck_assert_int_eq(b->ops->device_info(b, &dinfo), -EIO); /* errno 0 */
	ck_assert_int_eq(b->ops->device_info(b, &dinfo), -EIO); /* not an errno */
	ck_assert_int_eq(b->ops->device_info(b, &dinfo), 0);
	ck_assert_uint_eq(dinfo.num_irqs, 5);
	ck_assert_int_eq(b->ops->dma_map(b, IOVA, PAGE, page, -1, 0), -EEXIST);
	ck_assert_int_eq(b->ops->dma_unmap(b, IOVA, PAGE), -EINVAL);
	ck_assert_int_eq(capture_end(&cap, log, sizeof(log)), 0);
	fake_finish(&f, b);
	ck_assert_int_eq(unit_count_fds(), fds);
}
END_TEST

/* ---- Versions and capabilities --------------------------------------------------- */

static const struct {
	uint16_t major, minor;
	const char *caps;
	bool no_nul;
	uint32_t error;
	bool close;
	int ret;
	const char *err;
} versions[] = {
	{ 1, 0, NULL, false, 0, false, -EPROTONOSUPPORT, "server speaks vfio-user 1.0" },
	{ 0, 1, NULL, false, 0, false, -EPROTONOSUPPORT, "server speaks vfio-user 0.1" },
	{ 0, 0, "{\"capabilities\":{\"max_data_xfer_size\":4}}", false, 0, false, -EPROTONOSUPPORT,
	  "max_data_xfer_size = 4" },
	{ 0, 0, "{\"capabilities\":{\"max_msg_fds\":-1}}", false, 0, false, -EPROTONOSUPPORT,
	  "max_msg_fds = -1" },
	{ 0, 0, "{\"capabilities\":{\"max_msg_fds\":\"many\"}}", false, 0, false, -EPROTO,
	  "max_msg_fds is not a number" },
	{ 0, 0, "{\"capabilities\":[]}", false, 0, false, -EPROTO, "not a JSON object" },
	{ 0, 0, "{\"capabilities\":", false, 0, false, -EPROTO, "not a JSON object" },
	{ 0, 0, "[1]", false, 0, false, -EPROTO, "not a JSON object" },
	{ 0, 0, "{}", true, 0, false, -EPROTO, "not a NUL-terminated string" },
	{ 0, 0, NULL, false, ENOTSUP, false, -ENOTSUP, "refused vfio-user 0.0" },
	{ 0, 0, NULL, false, 0, true, -ECONNRESET, "closed its socket" },
};

START_TEST(test_version_refused)
{
	int fds = unit_count_fds();
	struct pt_backend *b = (struct pt_backend *)1;
	char err[512] = "";
	struct capture cap;
	char log[1024];
	struct fake f;
	int ret;

	fake_init(&f);
	f.major = versions[_i].major;
	f.minor = versions[_i].minor;
	f.caps = versions[_i].caps;
	f.caps_no_nul = versions[_i].no_nul;
	f.version_error = versions[_i].error;
	f.version_close = versions[_i].close;
	capture_begin(&cap);
	ret = fake_open(&f, script_handshake_only, &b, err, sizeof(err));
	/* The caller gets the message; nothing is logged. */
	ck_assert_int_eq(capture_end(&cap, log, sizeof(log)), 0);
	ck_assert_int_eq(ret, versions[_i].ret);
	ck_assert_ptr_null(b);
	ck_assert_msg(!strncmp(err, "vfio-user:fake: ", 16), "err: %s", err);
	ck_assert_msg(strstr(err, versions[_i].err), "err: %s", err);
	fake_finish(&f, NULL);
	ck_assert_int_eq(unit_count_fds(), fds);
}
END_TEST

START_TEST(test_version_minimal_reply)
{
	struct fake f;
	struct pt_backend *b;

	/* No capabilities at all: the specification's defaults. */
	fake_init(&f);
	f.caps = "{}";
	b = fake_start(&f, script_handshake_only);
	fake_finish(&f, b);
}
END_TEST

Suite *vfio_user_suite(void)
{
	Suite *s = suite_create("vfio-user");
	TCase *good = tcase_create("good server");
	TCase *bad = tcase_create("bad server");

	tcase_set_timeout(good, 30);
	tcase_add_test(good, test_info_irq_info_reset);
	tcase_add_test(good, test_open_by_path);
	tcase_add_test(good, test_region_info);
	tcase_add_test(good, test_region_read_write);
	tcase_add_test(good, test_concurrent_access);
	tcase_add_test(good, test_set_irqs);
	tcase_add_test(good, test_dma_inside);
	tcase_add_test(good, test_error_replies);
	tcase_add_test(good, test_version_minimal_reply);
	suite_add_tcase(s, good);

	tcase_set_timeout(bad, 30);
	tcase_add_test(bad, test_server_not_reading);
	tcase_add_loop_test(bad, test_misbehaving_server, 0,
			    sizeof(misbehaviours) / sizeof(misbehaviours[0]));
	tcase_add_loop_test(bad, test_dma_outside, 0, sizeof(dma_outside) / sizeof(dma_outside[0]));
	tcase_add_loop_test(bad, test_version_refused, 0, sizeof(versions) / sizeof(versions[0]));
	suite_add_tcase(s, bad);
	return s;
}

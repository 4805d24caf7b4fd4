/* vfio-user client: a PCI device emulated by a server process that kdom does not trust. */
#include "vfio/vfio-user.h"

#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "vmm/log.h"

/* Room for a region's capabilities (a sparse-mmap list) after struct vfio_user_region_info. */
#define REGION_INFO_ARGSZ 1024u
/* Region accesses up to 8 bytes must fit one message. */
#define MIN_SERVER_DATA_XFER 8
/* The most fds kdom puts in one message, whatever the server accepts. */
#define MAX_SEND_FDS VFIO_USER_MAX_FDS
/* Extra fds a server attaches are received (to be closed) up to this many. */
#define RECV_FD_SLOTS 8
/* Regions whose mmap fd the back end keeps (PCI's 9 and device-specific ones). */
#define MAX_REGION_FDS 32
#define MAX_DMA_WINDOWS 1024u
/* The largest errno a reply may carry (the kernel's MAX_ERRNO). */
#define MAX_REPLY_ERRNO 4095u

struct dma_window {
	uint64_t iova;
	uint64_t size;
	uint8_t *host;
};

struct vfio_user {
	struct pt_backend base;
	pthread_mutex_t lock; /* one request/reply exchange at a time */
	int sock;
	unsigned int timeout_ms;
	uint16_t next_id;
	bool ended;
	bool opening; /* failures go to reason, not the log, until open returns */
	char reason[256];

	/* What the server accepts, from its VERSION reply. */
	uint32_t server_max_fds;
	uint32_t server_max_xfer;
	uint64_t server_pgsize; /* the smallest page size it maps */
	uint32_t server_max_dma_maps;

	struct dma_window *windows;
	size_t nr_windows;
	int region_fds[MAX_REGION_FDS];
};

static struct vfio_user *to_vfio_user(struct pt_backend *b)
{
	return (struct vfio_user *)b;
}

/*
 * End the device: the socket is shut down, every later operation fails with
 * -ENODEV, and the reason is logged once.  Returns err for the caller to pass on.
 */
static int __attribute__((format(printf, 3, 4)))
device_end(struct vfio_user *vu, int err, const char *fmt, ...)
{
	va_list ap;

	if (vu->ended)
		return err;
	vu->ended = true;
	va_start(ap, fmt);
	vsnprintf(vu->reason, sizeof(vu->reason), fmt, ap);
	va_end(ap);
	shutdown(vu->sock, SHUT_RDWR);
	if (!vu->opening)
		log_error("%s: the server %s; device ended", vu->base.name, vu->reason);
	return err;
}

/* How long one request (and the DMA served while it waits) may take from now. */
static struct vfio_user_wait request_wait(const struct vfio_user *vu)
{
	return (struct vfio_user_wait){ .deadline_ms = vfio_user_clock_ms() + vu->timeout_ms };
}

/* Send one message; a failure ends the device. */
static int send_message(struct vfio_user *vu, const struct vfio_user_header *hdr,
			const void *payload, const int *fds, unsigned int nr_fds,
			const struct vfio_user_wait *wait)
{
	const char *name = vfio_user_command_name(hdr->command);
	int ret = vfio_user_send(vu->sock, hdr, payload, fds, nr_fds, wait);

	switch (ret) {
	case 0:
		return 0;
	case -ECONNRESET:
		return device_end(vu, ret, "closed its socket");
	case -ETIMEDOUT:
		return device_end(vu, ret, "took no %s within %u ms", name, vu->timeout_ms);
	default:
		return device_end(vu, -EIO, "could not be sent %s: %s", name, strerror(-ret));
	}
}

/* Read one whole message; a failure ends the device and leaves nothing to release. */
static int recv_message(struct vfio_user *vu, struct vfio_user_msg *m,
			const struct vfio_user_wait *wait, const char *waiting_for)
{
	int ret = vfio_user_recv(vu->sock, m, VFIO_USER_MAX_MSG, RECV_FD_SLOTS, wait);

	switch (ret) {
	case 0:
		return 0;
	case -ECONNRESET:
		return device_end(vu, ret, "closed its socket%s",
				  m->received ? " in the middle of a message" : "");
	case -ETIMEDOUT:
		return device_end(vu, ret, "sent no %s within %u ms", waiting_for, vu->timeout_ms);
	case -EBADMSG:
		return device_end(vu, -EPROTO,
				  "sent a message of %u bytes, shorter than its header",
				  m->hdr.size);
	case -EMSGSIZE:
		return device_end(vu, -EPROTO, "sent a message of %u bytes, over the %zu accepted",
				  m->hdr.size, (size_t)VFIO_USER_MAX_MSG);
	case -ETOOMANYREFS:
		return device_end(vu, -EPROTO, "attached more file descriptors than kdom accepts");
	case -ENOMEM:
		return device_end(vu, ret, "sent a message kdom had no memory for");
	default:
		return device_end(vu, -EIO, "could not be read: %s", strerror(-ret));
	}
}

/* The host memory behind [address, address + count), inside one DMA window, or NULL. */
static uint8_t *dma_lookup(struct vfio_user *vu, uint64_t address, uint64_t count)
{
	size_t i;

	for (i = 0; i < vu->nr_windows; i++) {
		const struct dma_window *w = &vu->windows[i];
		uint64_t off;

		if (address < w->iova)
			continue;
		off = address - w->iova;
		if (off > w->size || count > w->size - off)
			continue;
		return w->host + off;
	}
	return NULL;
}

/* A DMA_READ or DMA_WRITE from the server: served only inside a window it was given. */
static int serve_dma(struct vfio_user *vu, const struct vfio_user_msg *m,
		     const struct vfio_user_wait *wait)
{
	bool write = m->hdr.command == VFIO_USER_DMA_WRITE;
	const char *name = vfio_user_command_name(m->hdr.command);
	struct vfio_user_header hdr;
	struct vfio_user_dma_access access;
	uint8_t *host, *reply;
	size_t reply_len;
	int ret;

	if (m->len < sizeof(access))
		return device_end(vu, -EPROTO, "sent a %s request of %u bytes", name, m->len);
	memcpy(&access, m->payload, sizeof(access));
	if (access.count > VFIO_USER_MAX_DATA_XFER)
		return device_end(vu, -EPROTO, "asked for a %s of %llu bytes, over the %u accepted",
				  name, (unsigned long long)access.count, VFIO_USER_MAX_DATA_XFER);
	if (m->len != sizeof(access) + (write ? access.count : 0))
		return device_end(vu, -EPROTO,
				  "sent a %s request of %u bytes for %llu bytes of data", name,
				  m->len, (unsigned long long)access.count);
	host = dma_lookup(vu, access.address, access.count);
	if (!host)
		return device_end(
			vu, -EFAULT,
			"asked for DMA outside the regions it was given (%s of %llu bytes "
			"at %#llx)",
			name, (unsigned long long)access.count, (unsigned long long)access.address);
	if (write)
		memcpy(host, m->payload + sizeof(access), access.count);
	if (m->hdr.flags & VFIO_USER_F_NO_REPLY)
		return 0;

	reply_len = sizeof(access) + (write ? 0 : access.count);
	reply = malloc(reply_len);
	if (!reply)
		return device_end(vu, -ENOMEM, "asked for a %s kdom had no memory for", name);
	memcpy(reply, &access, sizeof(access));
	if (!write)
		memcpy(reply + sizeof(access), host, access.count);
	hdr = (struct vfio_user_header){
		.msg_id = m->hdr.msg_id,
		.command = m->hdr.command,
		.size = VFIO_USER_HEADER_SIZE + (uint32_t)reply_len,
		.flags = VFIO_USER_F_TYPE_REPLY,
	};
	ret = send_message(vu, &hdr, reply, NULL, 0, wait);
	free(reply);
	return ret;
}

/* A request from the server: only DMA_READ and DMA_WRITE go that way. */
static int serve_command(struct vfio_user *vu, const struct vfio_user_msg *m,
			 const struct vfio_user_wait *wait)
{
	if (m->nr_fds)
		return device_end(vu, -EPROTO, "attached a file descriptor to its %s request",
				  vfio_user_command_name(m->hdr.command));
	switch (m->hdr.command) {
	case VFIO_USER_DMA_READ:
	case VFIO_USER_DMA_WRITE:
		return serve_dma(vu, m, wait);
	default:
		return device_end(vu, -EPROTO, "sent a %s request (command %u), which it may not",
				  vfio_user_command_name(m->hdr.command), m->hdr.command);
	}
}

/*
 * Send one request and wait for its reply, serving the server's DMA requests
 * meanwhile; the lock held.  0 with *reply (released by the caller; at most
 * max_fds fds), -errno from an error reply (the device stays), or the error
 * that ended it.
 */
static int request(struct vfio_user *vu, uint16_t command, const void *payload, uint32_t len,
		   const int *fds, unsigned int nr_fds, unsigned int max_fds,
		   struct vfio_user_msg *reply)
{
	struct vfio_user_header hdr = {
		.msg_id = vu->next_id++,
		.command = command,
		.size = VFIO_USER_HEADER_SIZE + len,
		.flags = VFIO_USER_F_TYPE_COMMAND,
	};
	struct vfio_user_wait wait = request_wait(vu);
	char waiting_for[64];
	int ret;

	if (vu->ended)
		return -ENODEV;
	ret = send_message(vu, &hdr, payload, fds, nr_fds, &wait);
	if (ret)
		return ret;
	snprintf(waiting_for, sizeof(waiting_for), "reply to %s", vfio_user_command_name(command));
	for (;;) {
		uint32_t type;

		ret = recv_message(vu, reply, &wait, waiting_for);
		if (ret)
			return ret;
		type = reply->hdr.flags & VFIO_USER_F_TYPE_MASK;
		if (type == VFIO_USER_F_TYPE_COMMAND) {
			ret = serve_command(vu, reply, &wait);
			vfio_user_msg_release(reply);
			if (ret)
				return ret;
			continue;
		}
		if (type != VFIO_USER_F_TYPE_REPLY) {
			vfio_user_msg_release(reply);
			return device_end(vu, -EPROTO, "sent a message of unknown type %u", type);
		}
		if (reply->hdr.msg_id != hdr.msg_id || reply->hdr.command != command) {
			uint16_t id = reply->hdr.msg_id, got = reply->hdr.command;

			vfio_user_msg_release(reply);
			return device_end(
				vu, -EPROTO,
				"replied to %s (id %u) while kdom waited for the reply to "
				"%s (id %u)",
				vfio_user_command_name(got), id, vfio_user_command_name(command),
				hdr.msg_id);
		}
		if (reply->hdr.flags & VFIO_USER_F_ERROR) {
			uint32_t error = reply->hdr.error;
			bool extra = reply->len || reply->nr_fds;

			vfio_user_msg_release(reply);
			if (extra)
				return device_end(vu, -EPROTO,
						  "sent an error reply to %s with a payload",
						  vfio_user_command_name(command));
			return error && error <= MAX_REPLY_ERRNO ? -(int)error : -EIO;
		}
		if (reply->nr_fds > max_fds) {
			vfio_user_msg_release(reply);
			return device_end(
				vu, -EPROTO, "attached %s file descriptor to its reply to %s",
				max_fds ? "more than one" : "a", vfio_user_command_name(command));
		}
		return 0;
	}
}

/* A reply of the wrong shape ends the device; m is released. */
static int __attribute__((format(printf, 3, 4)))
bad_reply(struct vfio_user *vu, struct vfio_user_msg *m, const char *fmt, ...)
{
	char what[192];
	va_list ap;

	vfio_user_msg_release(m);
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return device_end(vu, -EPROTO, "sent a malformed reply to %s: %s",
			  vfio_user_command_name(m->hdr.command), what);
}

/*
 * One request whose reply has a fixed shape: rep_len bytes copied to rep, then
 * data_len bytes (a read's data) copied to data, and no fd.
 */
struct call {
	uint16_t command;
	const void *req; /* the request's payload */
	uint32_t req_len;
	const int *fds; /* sent along */
	unsigned int nr_fds;
	void *rep;
	uint32_t rep_len;
	void *data;
	uint32_t data_len;
	/* Whether the reply in rep says what it may not, with why; NULL: anything goes. */
	bool (*malformed)(const struct call *c, char *why, size_t len);
};

/*
 * The exchange of c, the lock held: the request sent, its reply checked
 * (command, id, error, length, fds, c->malformed) and copied out.  0, -errno
 * from an error reply (the device stays), or the error that ended the device.
 */
static int exchange(struct vfio_user *vu, const struct call *c)
{
	struct vfio_user_msg m;
	char why[160];
	int ret;

	ret = request(vu, c->command, c->req, c->req_len, c->fds, c->nr_fds, 0, &m);
	if (ret)
		return ret;
	if (m.len != c->rep_len + c->data_len)
		return bad_reply(vu, &m, "%u bytes of payload, expected %u", m.len,
				 c->rep_len + c->data_len);
	if (c->rep_len)
		memcpy(c->rep, m.payload, c->rep_len);
	if (c->malformed && c->malformed(c, why, sizeof(why)))
		return bad_reply(vu, &m, "%s", why);
	if (c->data_len)
		memcpy(c->data, m.payload + c->rep_len, c->data_len);
	vfio_user_msg_release(&m);
	return 0;
}

/* The exchange of c under the lock: what an operation of one request does. */
static int call(struct vfio_user *vu, const struct call *c)
{
	int ret;

	pthread_mutex_lock(&vu->lock);
	ret = exchange(vu, c);
	pthread_mutex_unlock(&vu->lock);
	return ret;
}

/* ---- The operations ---------------------------------------------------------- */

static bool device_info_malformed(const struct call *c, char *why, size_t len)
{
	const struct vfio_user_device_info *rep = c->rep;

	snprintf(why, len, "argsz %u", rep->argsz);
	return rep->argsz < sizeof(*rep);
}

static int vfio_user_device_info(struct pt_backend *b, struct vfio_device_info *info)
{
	struct vfio_user_device_info req = { .argsz = sizeof(req) }, rep;
	const struct call c = {
		.command = VFIO_USER_DEVICE_GET_INFO,
		.req = &req,
		.req_len = sizeof(req),
		.rep = &rep,
		.rep_len = sizeof(rep),
		.malformed = device_info_malformed,
	};
	int ret = call(to_vfio_user(b), &c);

	if (ret)
		return ret;
	info->flags = rep.flags & ~VFIO_DEVICE_FLAGS_CAPS;
	info->num_regions = rep.num_regions;
	info->num_irqs = rep.num_irqs;
	info->cap_offset = 0;
	return 0;
}

/*
 * Whether the region's capability list (inside the payload, walked with every
 * offset checked) leaves the whole region mappable: no sparse-mmap capability,
 * or one whose single area is the whole region.  -EPROTO if malformed.
 */
static int region_caps_whole(struct vfio_user *vu, struct vfio_user_msg *m,
			     const struct vfio_user_region_info *rep, bool *whole)
{
	uint32_t off = rep->cap_offset;
	unsigned int hops = 0;

	*whole = true;
	while (off) {
		struct vfio_info_cap_header cap;
		struct vfio_region_info_cap_sparse_mmap sparse;
		struct vfio_region_sparse_mmap_area area;

		if (off < sizeof(*rep) || off > m->len || m->len - off < sizeof(cap) || ++hops > 64)
			return bad_reply(vu, m, "capability at offset %u", off);
		memcpy(&cap, m->payload + off, sizeof(cap));
		if (cap.id == VFIO_REGION_INFO_CAP_SPARSE_MMAP) {
			if (m->len - off < sizeof(sparse))
				return bad_reply(vu, m, "sparse-mmap capability cut short");
			memcpy(&sparse, m->payload + off, sizeof(sparse));
			if (sparse.nr_areas > (m->len - off - sizeof(sparse)) / sizeof(area))
				return bad_reply(vu, m, "sparse-mmap capability of %u areas",
						 sparse.nr_areas);
			if (sparse.nr_areas != 1) {
				*whole = false;
			} else {
				memcpy(&area, m->payload + off + sizeof(sparse), sizeof(area));
				if (area.offset || area.size != rep->size)
					*whole = false;
			}
		}
		if (cap.next && cap.next <= off)
			return bad_reply(vu, m, "capability list loops back to offset %u",
					 cap.next);
		off = cap.next;
	}
	return 0;
}

static int vfio_user_region_info(struct pt_backend *b, struct vfio_region_info *info, int *mmap_fd)
{
	struct vfio_user *vu = to_vfio_user(b);
	struct vfio_user_region_info req = { .argsz = REGION_INFO_ARGSZ, .index = info->index };
	struct vfio_user_region_info rep;
	bool mappable, whole = true;
	struct vfio_user_msg m;
	uint32_t expect;
	int fd, ret;

	*mmap_fd = -1;
	pthread_mutex_lock(&vu->lock);
	ret = request(vu, VFIO_USER_DEVICE_GET_REGION_INFO, &req, sizeof(req), NULL, 0, 1, &m);
	if (ret)
		goto out;
	if (m.len < sizeof(rep)) {
		ret = bad_reply(vu, &m, "%u bytes of payload, shorter than a region info", m.len);
		goto out;
	}
	memcpy(&rep, m.payload, sizeof(rep));
	/* The payload is what is needed (argsz), cut to what was asked for. */
	expect = rep.argsz < req.argsz ? rep.argsz : req.argsz;
	if (rep.argsz < sizeof(rep) || m.len != expect) {
		ret = bad_reply(vu, &m, "argsz %u with %u bytes of payload", rep.argsz, m.len);
		goto out;
	}
	if (rep.index != req.index) {
		ret = bad_reply(vu, &m, "region %u, asked for %u", rep.index, req.index);
		goto out;
	}
	if (rep.flags & VFIO_REGION_INFO_FLAG_CAPS) {
		/* Capabilities that did not fit may restrict the mapping: do not map. */
		whole = false;
		if (rep.argsz <= req.argsz) {
			ret = region_caps_whole(vu, &m, &rep, &whole);
			if (ret)
				goto out;
		}
	}
	fd = m.nr_fds ? m.fds[0] : -1;
	mappable = rep.flags & VFIO_REGION_INFO_FLAG_MMAP;
	if (fd >= 0 && !mappable) {
		ret = bad_reply(vu, &m, "a file descriptor for a region that cannot be mapped");
		goto out;
	}
	/*
	 * Without an fd, with only part of the region mappable, or at an offset
	 * that overflows, the region is reached with REGION_READ/WRITE instead.
	 */
	if (fd < 0 || !whole || rep.offset > UINT64_MAX - rep.size || req.index >= MAX_REGION_FDS)
		mappable = false;
	if (mappable) {
		if (vu->region_fds[req.index] >= 0)
			close(vu->region_fds[req.index]);
		vu->region_fds[req.index] = fd;
		m.nr_fds = 0; /* kept */
		*mmap_fd = fd;
	}
	info->flags = rep.flags & (VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE);
	if (mappable)
		info->flags |= VFIO_REGION_INFO_FLAG_MMAP;
	info->cap_offset = 0;
	info->size = rep.size;
	info->offset = rep.offset;
	vfio_user_msg_release(&m);
out:
	pthread_mutex_unlock(&vu->lock);
	return ret;
}

static bool region_access_malformed(const struct call *c, char *why, size_t len)
{
	const struct vfio_user_region_access *req = c->req, *rep = c->rep;

	if (rep->offset == req->offset && rep->region == req->region && rep->count == req->count)
		return false;
	snprintf(why, len, "region %u offset %#llx count %u, asked for %u %#llx %u", rep->region,
		 (unsigned long long)rep->offset, rep->count, req->region,
		 (unsigned long long)req->offset, req->count);
	return true;
}

static int region_access_locked(struct vfio_user *vu, uint32_t index, uint64_t offset,
				uint8_t *data, uint32_t len, bool write)
{
	uint32_t chunk_max = vu->server_max_xfer;
	uint8_t small[sizeof(struct vfio_user_region_access) + 64];
	uint32_t done = 0;
	size_t need;
	uint8_t *buf;
	int ret = 0;

	/* The request: the access, and the data of a write. */
	need = sizeof(struct vfio_user_region_access) +
	       (write ? (len < chunk_max ? len : chunk_max) : 0);
	buf = need <= sizeof(small) ? small : malloc(need);
	if (!buf)
		return -ENOMEM;
	while (done < len && !ret) {
		uint32_t chunk = len - done < chunk_max ? len - done : chunk_max;
		struct vfio_user_region_access req = {
			.offset = offset + done,
			.region = index,
			.count = chunk,
		};
		struct vfio_user_region_access rep;
		const struct call c = {
			.command = write ? VFIO_USER_REGION_WRITE : VFIO_USER_REGION_READ,
			.req = buf,
			.req_len = sizeof(req) + (write ? chunk : 0),
			.rep = &rep,
			.rep_len = sizeof(rep),
			.data = write ? NULL : data + done,
			.data_len = write ? 0 : chunk,
			.malformed = region_access_malformed,
		};

		memcpy(buf, &req, sizeof(req));
		if (write)
			memcpy(buf + sizeof(req), data + done, chunk);
		ret = exchange(vu, &c);
		done += chunk;
	}
	if (buf != small)
		free(buf);
	return ret;
}

static int region_access(struct pt_backend *b, uint32_t index, uint64_t offset, uint8_t *data,
			 uint32_t len, bool write)
{
	struct vfio_user *vu = to_vfio_user(b);
	int ret;

	if (!len || offset > UINT64_MAX - len)
		return -EINVAL;
	pthread_mutex_lock(&vu->lock);
	ret = region_access_locked(vu, index, offset, data, len, write);
	pthread_mutex_unlock(&vu->lock);
	return ret;
}

static int vfio_user_region_read(struct pt_backend *b, uint32_t index, uint64_t offset, void *data,
				 uint32_t len)
{
	return region_access(b, index, offset, data, len, false);
}

static int vfio_user_region_write(struct pt_backend *b, uint32_t index, uint64_t offset,
				  const void *data, uint32_t len)
{
	return region_access(b, index, offset, (uint8_t *)data, len, true);
}

static bool irq_info_malformed(const struct call *c, char *why, size_t len)
{
	const struct vfio_user_irq_info *req = c->req, *rep = c->rep;

	if (rep->argsz >= sizeof(*rep) && rep->index == req->index)
		return false;
	snprintf(why, len, "argsz %u, index %u for %u", rep->argsz, rep->index, req->index);
	return true;
}

static int vfio_user_irq_info(struct pt_backend *b, struct vfio_irq_info *info)
{
	struct vfio_user_irq_info req = { .argsz = sizeof(req), .index = info->index }, rep;
	const struct call c = {
		.command = VFIO_USER_DEVICE_GET_IRQ_INFO,
		.req = &req,
		.req_len = sizeof(req),
		.rep = &rep,
		.rep_len = sizeof(rep),
		.malformed = irq_info_malformed,
	};
	int ret = call(to_vfio_user(b), &c);

	if (ret)
		return ret;
	info->flags = rep.flags;
	info->count = rep.count;
	return 0;
}

/* One DEVICE_SET_IRQS message; no reply payload. */
static int set_irqs_one(struct vfio_user *vu, uint32_t flags, uint32_t index, uint32_t start,
			uint32_t count, const int32_t *fds, unsigned int nr_fds)
{
	struct vfio_user_irq_set req = {
		.argsz = sizeof(req),
		.flags = flags,
		.index = index,
		.start = start,
		.count = count,
	};

	const struct call c = {
		.command = VFIO_USER_DEVICE_SET_IRQS,
		.req = &req,
		.req_len = sizeof(req),
		.fds = fds,
		.nr_fds = nr_fds,
	};

	return exchange(vu, &c);
}

/*
 * An fd cannot say -1 on the wire: runs of detached vectors go as DATA_EVENTFD
 * without fds (which de-assigns them), runs of eventfds as DATA_EVENTFD with
 * one fd per vector, no more per message than the server takes.
 */
static int vfio_user_set_irqs(struct pt_backend *b, uint32_t index, uint32_t action, uint32_t start,
			      uint32_t count, const int32_t *fds)
{
	struct vfio_user *vu = to_vfio_user(b);
	uint32_t i = 0, max_fds;
	int ret = 0;

	if ((action != VFIO_IRQ_SET_ACTION_MASK && action != VFIO_IRQ_SET_ACTION_UNMASK &&
	     action != VFIO_IRQ_SET_ACTION_TRIGGER) ||
	    (count && !fds) || start > UINT32_MAX - count)
		return -EINVAL;
	pthread_mutex_lock(&vu->lock);
	if (vu->ended) {
		ret = -ENODEV;
		goto out;
	}
	if (!count) {
		ret = set_irqs_one(vu, VFIO_IRQ_SET_DATA_NONE | action, index, start, 0, NULL, 0);
		goto out;
	}
	max_fds = vu->server_max_fds < MAX_SEND_FDS ? vu->server_max_fds : MAX_SEND_FDS;
	while (i < count && !ret) {
		uint32_t j = i;

		if (fds[i] < 0) {
			while (j < count && fds[j] < 0)
				j++;
			ret = set_irqs_one(vu, VFIO_IRQ_SET_DATA_EVENTFD | action, index, start + i,
					   j - i, NULL, 0);
		} else if (!max_fds) {
			ret = -EOPNOTSUPP; /* the server takes no fds */
		} else {
			while (j < count && fds[j] >= 0 && j - i < max_fds)
				j++;
			ret = set_irqs_one(vu, VFIO_IRQ_SET_DATA_EVENTFD | action, index, start + i,
					   j - i, fds + i, j - i);
		}
		i = j;
	}
out:
	pthread_mutex_unlock(&vu->lock);
	return ret;
}

static bool window_overlaps(const struct vfio_user *vu, uint64_t iova, uint64_t size)
{
	size_t i;

	for (i = 0; i < vu->nr_windows; i++) {
		const struct dma_window *w = &vu->windows[i];

		if (iova <= w->iova + (w->size - 1) && w->iova <= iova + (size - 1))
			return true;
	}
	return false;
}

static void window_remove(struct vfio_user *vu, size_t i)
{
	vu->windows[i] = vu->windows[--vu->nr_windows];
}

static int vfio_user_dma_map(struct pt_backend *b, uint64_t iova, uint64_t size, void *host, int fd,
			     uint64_t fd_offset)
{
	struct vfio_user *vu = to_vfio_user(b);
	struct vfio_user_dma_map req = {
		.argsz = sizeof(req),
		.flags = VFIO_USER_DMA_READABLE | VFIO_USER_DMA_WRITEABLE,
		.address = iova,
		.size = size,
	};
	struct call c = {
		.command = VFIO_USER_DMA_MAP,
		.req = &req,
		.req_len = sizeof(req),
		.fds = &fd,
	};
	int ret;

	if (!size || !host || iova > UINT64_MAX - (size - 1))
		return -EINVAL;
	pthread_mutex_lock(&vu->lock);
	if (vu->ended) {
		ret = -ENODEV;
		goto out;
	}
	if ((iova | size) & (vu->server_pgsize - 1)) {
		ret = -EINVAL;
		goto out;
	}
	if (window_overlaps(vu, iova, size)) {
		ret = -EEXIST;
		goto out;
	}
	if (vu->nr_windows >= vu->server_max_dma_maps || vu->nr_windows >= MAX_DMA_WINDOWS) {
		ret = -ENOSPC;
		goto out;
	}
	if (!vu->windows) {
		vu->windows = calloc(MAX_DMA_WINDOWS, sizeof(*vu->windows));
		if (!vu->windows) {
			ret = -ENOMEM;
			goto out;
		}
	}
	/* Without an fd (or a server that takes none) it is reached with DMA_READ/WRITE only. */
	c.nr_fds = fd >= 0 && vu->server_max_fds;
	if (c.nr_fds)
		req.offset = fd_offset;
	/* Given to the server from the moment it is sent: it may DMA before replying. */
	vu->windows[vu->nr_windows++] = (struct dma_window){ iova, size, host };
	ret = exchange(vu, &c);
	if (ret) {
		size_t i;

		for (i = 0; i < vu->nr_windows; i++)
			if (vu->windows[i].iova == iova)
				window_remove(vu, i);
	}
out:
	pthread_mutex_unlock(&vu->lock);
	return ret;
}

static bool dma_unmap_malformed(const struct call *c, char *why, size_t len)
{
	if (!memcmp(c->rep, c->req, sizeof(struct vfio_user_dma_unmap)))
		return false;
	snprintf(why, len, "not the request echoed");
	return true;
}

static int vfio_user_dma_unmap(struct pt_backend *b, uint64_t iova, uint64_t size)
{
	struct vfio_user *vu = to_vfio_user(b);
	struct vfio_user_dma_unmap req = {
		.argsz = sizeof(req),
		.address = iova,
		.size = size,
	};
	struct vfio_user_dma_unmap echo;
	const struct call c = {
		.command = VFIO_USER_DMA_UNMAP,
		.req = &req,
		.req_len = sizeof(req),
		.rep = &echo,
		.rep_len = sizeof(echo),
		.malformed = dma_unmap_malformed,
	};
	size_t i;
	int ret;

	pthread_mutex_lock(&vu->lock);
	if (vu->ended) {
		ret = -ENODEV;
		goto out;
	}
	for (i = 0; i < vu->nr_windows; i++)
		if (vu->windows[i].iova == iova && vu->windows[i].size == size)
			break;
	if (i == vu->nr_windows) {
		ret = -EINVAL;
		goto out;
	}
	/* The memory may go as soon as this returns: no DMA into it from now on. */
	window_remove(vu, i);
	ret = exchange(vu, &c);
out:
	pthread_mutex_unlock(&vu->lock);
	return ret;
}

static int vfio_user_reset(struct pt_backend *b)
{
	const struct call c = { .command = VFIO_USER_DEVICE_RESET };

	return call(to_vfio_user(b), &c);
}

static void vfio_user_free(struct vfio_user *vu)
{
	unsigned int i;

	if (vu->sock >= 0) {
		shutdown(vu->sock, SHUT_RDWR);
		close(vu->sock);
	}
	for (i = 0; i < MAX_REGION_FDS; i++)
		if (vu->region_fds[i] >= 0)
			close(vu->region_fds[i]);
	free(vu->windows);
	pthread_mutex_destroy(&vu->lock);
	free(vu);
}

static void vfio_user_close(struct pt_backend *b)
{
	if (b)
		vfio_user_free(to_vfio_user(b));
}

static const struct pt_backend_ops vfio_user_ops = {
	.device_info = vfio_user_device_info,
	.region_info = vfio_user_region_info,
	.region_read = vfio_user_region_read,
	.region_write = vfio_user_region_write,
	.irq_info = vfio_user_irq_info,
	.set_irqs = vfio_user_set_irqs,
	.dma_map = vfio_user_dma_map,
	.dma_unmap = vfio_user_dma_unmap,
	.reset = vfio_user_reset,
	.close = vfio_user_close,
};

int vfio_user_poll_fd(struct pt_backend *b)
{
	return b->ops == &vfio_user_ops ? to_vfio_user(b)->sock : -1;
}

int vfio_user_serve(struct pt_backend *b)
{
	struct vfio_user *vu = to_vfio_user(b);
	struct pollfd pfd = { .fd = vu->sock, .events = POLLIN };
	int ret = 0;

	pthread_mutex_lock(&vu->lock);
	while (!vu->ended && poll(&pfd, 1, 0) > 0) {
		struct vfio_user_msg m;
		struct vfio_user_wait wait = request_wait(vu);

		ret = recv_message(vu, &m, &wait, "rest of a request");
		if (ret)
			break;
		if ((m.hdr.flags & VFIO_USER_F_TYPE_MASK) != VFIO_USER_F_TYPE_COMMAND) {
			vfio_user_msg_release(&m);
			ret = device_end(vu, -EPROTO, "sent a reply to no request (%s, id %u)",
					 vfio_user_command_name(m.hdr.command), m.hdr.msg_id);
			break;
		}
		wait = request_wait(vu);
		ret = serve_command(vu, &m, &wait);
		vfio_user_msg_release(&m);
		if (ret)
			break;
	}
	if (vu->ended && !ret)
		ret = -ENODEV;
	pthread_mutex_unlock(&vu->lock);
	return ret;
}

/* ---- Opening: the version handshake ------------------------------------------- */

/* A capability that must be an integer in [min, max]; absent leaves *value. */
static int cap_integer(json_t *caps, const char *key, json_int_t min, json_int_t max,
		       json_int_t *value, char *err, size_t errlen)
{
	json_t *v = json_object_get(caps, key);

	if (!v)
		return 0;
	if (!json_is_integer(v)) {
		snprintf(err, errlen, "capability %s is not a number", key);
		return -EPROTO;
	}
	if (json_integer_value(v) < min || json_integer_value(v) > max) {
		snprintf(err, errlen, "capability %s = %lld, kdom needs %lld to %lld", key,
			 (long long)json_integer_value(v), (long long)min, (long long)max);
		return -EPROTONOSUPPORT;
	}
	*value = json_integer_value(v);
	return 0;
}

static int parse_version_reply(struct vfio_user *vu, const struct vfio_user_msg *m, char *err,
			       size_t errlen)
{
	struct vfio_user_version version;
	json_int_t max_fds = VFIO_USER_DEFAULT_MAX_MSG_FDS,
		   max_xfer = VFIO_USER_DEFAULT_MAX_DATA_XFER, pgsizes = VFIO_USER_DEFAULT_PGSIZES,
		   max_maps = VFIO_USER_DEFAULT_MAX_DMA_MAPS;
	const char *data;
	json_error_t jerr;
	json_t *root, *caps;
	uint32_t len;
	int ret;

	if (m->len < sizeof(version)) {
		snprintf(err, errlen, "VERSION reply of %u bytes", m->len);
		return -EPROTO;
	}
	memcpy(&version, m->payload, sizeof(version));
	if (version.major != VFIO_USER_MAJOR || version.minor > VFIO_USER_MINOR) {
		snprintf(err, errlen, "server speaks vfio-user %u.%u; kdom speaks %u.%u",
			 version.major, version.minor, VFIO_USER_MAJOR, VFIO_USER_MINOR);
		return -EPROTONOSUPPORT;
	}
	data = (const char *)m->payload + sizeof(version);
	len = m->len - sizeof(version);
	if (len) {
		if (data[len - 1] || memchr(data, 0, len - 1)) {
			snprintf(err, errlen,
				 "capabilities in VERSION reply not a NUL-terminated "
				 "string");
			return -EPROTO;
		}
		root = json_loadb(data, len - 1, JSON_REJECT_DUPLICATES, &jerr);
		if (!root || !json_is_object(root)) {
			snprintf(err, errlen, "capabilities in VERSION reply not a JSON object%s%s",
				 root ? "" : ": ", root ? "" : jerr.text);
			json_decref(root);
			return -EPROTO;
		}
		caps = json_object_get(root, "capabilities");
		if (caps && !json_is_object(caps)) {
			snprintf(err, errlen, "\"capabilities\" not a JSON object");
			json_decref(root);
			return -EPROTO;
		}
		ret = 0;
		if (caps) {
			ret = cap_integer(caps, "max_msg_fds", 0, INT32_MAX, &max_fds, err, errlen);
			if (!ret)
				ret = cap_integer(caps, "max_data_xfer_size", MIN_SERVER_DATA_XFER,
						  INT64_MAX, &max_xfer, err, errlen);
			if (!ret)
				ret = cap_integer(caps, "pgsizes", 1, INT64_MAX, &pgsizes, err,
						  errlen);
			if (!ret)
				ret = cap_integer(caps, "max_dma_maps", 0, INT32_MAX, &max_maps,
						  err, errlen);
		}
		json_decref(root);
		if (ret)
			return ret;
	}
	vu->server_max_fds = (uint32_t)max_fds;
	vu->server_max_xfer =
		max_xfer < VFIO_USER_MAX_DATA_XFER ? (uint32_t)max_xfer : VFIO_USER_MAX_DATA_XFER;
	vu->server_pgsize = (uint64_t)pgsizes & -(uint64_t)pgsizes;
	vu->server_max_dma_maps = (uint32_t)max_maps;
	return 0;
}

static int negotiate_version(struct vfio_user *vu, char *err, size_t errlen)
{
	struct vfio_user_version version = { VFIO_USER_MAJOR, VFIO_USER_MINOR };
	struct vfio_user_msg m;
	uint8_t *payload;
	size_t caps_len;
	json_t *root;
	char *caps;
	int ret;

	root = json_pack("{s:{s:i,s:I}}", "capabilities", "max_msg_fds", VFIO_USER_MAX_RECV_FDS,
			 "max_data_xfer_size", (json_int_t)VFIO_USER_MAX_DATA_XFER);
	caps = root ? json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(root);
	if (!caps) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	caps_len = strlen(caps) + 1;
	payload = malloc(sizeof(version) + caps_len);
	if (!payload) {
		free(caps);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	memcpy(payload, &version, sizeof(version));
	memcpy(payload + sizeof(version), caps, caps_len);
	free(caps);

	ret = request(vu, VFIO_USER_VERSION, payload, sizeof(version) + caps_len, NULL, 0, 0, &m);
	free(payload);
	if (ret) {
		if (vu->ended)
			snprintf(err, errlen, "the server %s", vu->reason);
		else
			snprintf(err, errlen, "the server refused vfio-user %u.%u: %s",
				 VFIO_USER_MAJOR, VFIO_USER_MINOR, strerror(-ret));
		return ret;
	}
	ret = parse_version_reply(vu, &m, err, errlen);
	vfio_user_msg_release(&m);
	return ret;
}

int vfio_user_open_socket(int sock, const char *name, unsigned int timeout_ms,
			  struct pt_backend **out, char *err, size_t errlen)
{
	struct vfio_user *vu;
	char why[384];
	unsigned int i;
	int ret;

	*out = NULL;
	vu = calloc(1, sizeof(*vu));
	if (!vu) {
		close(sock);
		snprintf(err, errlen, "%s: out of memory", name);
		return -ENOMEM;
	}
	vu->base.ops = &vfio_user_ops;
	snprintf(vu->base.name, sizeof(vu->base.name), "%s", name);
	pthread_mutex_init(&vu->lock, NULL);
	vu->sock = sock;
	vu->timeout_ms = timeout_ms ? timeout_ms : VFIO_USER_TIMEOUT_MS;
	vu->next_id = 1;
	vu->opening = true;
	for (i = 0; i < MAX_REGION_FDS; i++)
		vu->region_fds[i] = -1;

	ret = negotiate_version(vu, why, sizeof(why));
	if (ret) {
		snprintf(err, errlen, "%s: %s", name, why);
		vfio_user_free(vu);
		return ret;
	}
	vu->opening = false;
	*out = &vu->base;
	return 0;
}

int vfio_user_open(const char *socket_path, struct pt_backend **out, char *err, size_t errlen)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	char name[sizeof(((struct pt_backend *)0)->name)];
	int sock, ret;

	*out = NULL;
	snprintf(name, sizeof(name), "vfio-user:%s", socket_path);
	if (strlen(socket_path) >= sizeof(addr.sun_path)) {
		snprintf(err, errlen, "%s: socket path too long", name);
		return -ENAMETOOLONG;
	}
	memcpy(addr.sun_path, socket_path, strlen(socket_path) + 1);
	sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sock < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s: socket: %s", name, strerror(errno));
		return ret;
	}
	if (connect(sock, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s: connect: %s", name, strerror(errno));
		close(sock);
		return ret;
	}
	return vfio_user_open_socket(sock, name, 0, out, err, errlen);
}

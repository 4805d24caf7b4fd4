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
#include <time.h>
#include <unistd.h>

#include "vmm/log.h"

#define HEADER_SIZE ((uint32_t)sizeof(struct vfio_user_header))
/* Room for a region's capabilities (a sparse-mmap list) after struct vfio_user_region_info. */
#define REGION_INFO_ARGSZ 1024u
/* Region accesses up to 8 bytes must fit one message. */
#define MIN_SERVER_DATA_XFER 8
/* The most fds kdom puts in one message, whatever the server accepts. */
#define MAX_SEND_FDS 16
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

/* One received message: payload and fds are the receiver's to release. */
struct message {
	struct vfio_user_header hdr;
	uint8_t *payload;
	uint32_t len;
	int fds[RECV_FD_SLOTS];
	unsigned int nr_fds;
	bool fds_overflow;
};

static struct vfio_user *to_vfio_user(struct pt_backend *b)
{
	return (struct vfio_user *)b;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void message_release(struct message *m)
{
	unsigned int i;

	free(m->payload);
	m->payload = NULL;
	for (i = 0; i < m->nr_fds; i++)
		if (m->fds[i] >= 0)
			close(m->fds[i]);
	m->nr_fds = 0;
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

/* Wait until the socket is ready for events or the deadline passes (-ETIMEDOUT). */
static int socket_wait(struct vfio_user *vu, short events, int64_t deadline)
{
	struct pollfd pfd = { .fd = vu->sock, .events = events };

	for (;;) {
		int64_t left = deadline - now_ms();
		int ret;

		if (left <= 0)
			return -ETIMEDOUT;
		ret = poll(&pfd, 1, left > 60000 ? 60000 : (int)left);
		if (ret > 0)
			return 0; /* ready, or an error that the next call reports */
		if (ret < 0 && errno != EINTR)
			return -errno;
	}
}

static int send_message(struct vfio_user *vu, const struct vfio_user_header *hdr,
			const void *payload, const int *fds, unsigned int nr_fds, int64_t deadline)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * MAX_SEND_FDS)];
		struct cmsghdr align;
	} control;
	struct iovec iov[2] = {
		{ .iov_base = (void *)hdr, .iov_len = HEADER_SIZE },
		{ .iov_base = (void *)payload, .iov_len = hdr->size - HEADER_SIZE },
	};
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };
	size_t left = hdr->size;

	if (nr_fds > MAX_SEND_FDS)
		return -EINVAL;
	if (nr_fds) {
		struct cmsghdr *cmsg;

		memset(&control, 0, sizeof(control));
		mh.msg_control = control.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nr_fds);
		cmsg = CMSG_FIRSTHDR(&mh);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int) * nr_fds);
		memcpy(CMSG_DATA(cmsg), fds, sizeof(int) * nr_fds);
	}
	while (left) {
		ssize_t n = sendmsg(vu->sock, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			int ret;

			if (errno == EINTR)
				continue;
			if (errno == EPIPE || errno == ECONNRESET || errno == ENOTCONN)
				return device_end(vu, -ECONNRESET, "closed its socket");
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				return device_end(vu, -EIO, "could not be sent %s: %s",
						  vfio_user_command_name(hdr->command),
						  strerror(errno));
			ret = socket_wait(vu, POLLOUT, deadline);
			if (ret == -ETIMEDOUT)
				return device_end(vu, -ETIMEDOUT, "took no %s within %u ms",
						  vfio_user_command_name(hdr->command),
						  vu->timeout_ms);
			if (ret < 0)
				return device_end(vu, -EIO, "could not be polled: %s",
						  strerror(-ret));
			continue;
		}
		/* The fds went with the first bytes. */
		mh.msg_control = NULL;
		mh.msg_controllen = 0;
		left -= (size_t)n;
		while (n > 0 && mh.msg_iovlen) {
			size_t step =
				(size_t)n < mh.msg_iov->iov_len ? (size_t)n : mh.msg_iov->iov_len;

			mh.msg_iov->iov_base = (char *)mh.msg_iov->iov_base + step;
			mh.msg_iov->iov_len -= step;
			n -= (ssize_t)step;
			if (!mh.msg_iov->iov_len) {
				mh.msg_iov++;
				mh.msg_iovlen--;
			}
		}
	}
	return 0;
}

/* Keep the fds that came with a read, up to RECV_FD_SLOTS; close the rest. */
static void take_fds(struct message *m, struct msghdr *mh)
{
	struct cmsghdr *cmsg;

	if (mh->msg_flags & MSG_CTRUNC)
		m->fds_overflow = true; /* the kernel dropped what did not fit */
	for (cmsg = CMSG_FIRSTHDR(mh); cmsg; cmsg = CMSG_NXTHDR(mh, cmsg)) {
		size_t i, n;

		if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS)
			continue;
		n = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cmsg) + i * sizeof(int), sizeof(int));
			if (m->nr_fds < RECV_FD_SLOTS) {
				m->fds[m->nr_fds++] = fd;
			} else {
				close(fd);
				m->fds_overflow = true;
			}
		}
	}
}

static int recv_bytes(struct vfio_user *vu, void *buf, size_t len, struct message *m,
		      int64_t deadline, const char *waiting_for)
{
	size_t got = 0;

	while (got < len) {
		union {
			char buf[CMSG_SPACE(sizeof(int) * RECV_FD_SLOTS)];
			struct cmsghdr align;
		} control;
		struct iovec iov = { .iov_base = (char *)buf + got, .iov_len = len - got };
		struct msghdr mh = {
			.msg_iov = &iov,
			.msg_iovlen = 1,
			.msg_control = control.buf,
			.msg_controllen = sizeof(control.buf),
		};
		ssize_t n = recvmsg(vu->sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);

		if (n > 0) {
			take_fds(m, &mh);
			got += (size_t)n;
			continue;
		}
		if (n == 0)
			return device_end(vu, -ECONNRESET, "closed its socket%s",
					  got || buf != &m->hdr ? " in the middle of a message"
								: "");
		if (errno == EINTR)
			continue;
		if (errno == ECONNRESET)
			return device_end(vu, -ECONNRESET, "closed its socket");
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			int ret = socket_wait(vu, POLLIN, deadline);

			if (ret == -ETIMEDOUT)
				return device_end(vu, -ETIMEDOUT, "sent no %s within %u ms",
						  waiting_for, vu->timeout_ms);
			if (ret < 0)
				return device_end(vu, -EIO, "could not be polled: %s",
						  strerror(-ret));
			continue;
		}
		return device_end(vu, -EIO, "could not be read: %s", strerror(errno));
	}
	return 0;
}

/* Read one whole message; on failure nothing is left to release. */
static int recv_message(struct vfio_user *vu, struct message *m, int64_t deadline,
			const char *waiting_for)
{
	int ret;

	memset(m, 0, sizeof(*m));
	ret = recv_bytes(vu, &m->hdr, HEADER_SIZE, m, deadline, waiting_for);
	if (ret)
		goto fail;
	if (m->hdr.size < HEADER_SIZE) {
		ret = device_end(vu, -EPROTO, "sent a message of %u bytes, shorter than its header",
				 m->hdr.size);
		goto fail;
	}
	if (m->hdr.size > VFIO_USER_MAX_MSG) {
		ret = device_end(vu, -EPROTO, "sent a message of %u bytes, over the %zu accepted",
				 m->hdr.size, (size_t)VFIO_USER_MAX_MSG);
		goto fail;
	}
	m->len = m->hdr.size - HEADER_SIZE;
	if (m->len) {
		m->payload = malloc(m->len);
		if (!m->payload) {
			ret = device_end(vu, -ENOMEM, "sent a message kdom had no memory for");
			goto fail;
		}
		ret = recv_bytes(vu, m->payload, m->len, m, deadline, waiting_for);
		if (ret)
			goto fail;
	}
	if (m->fds_overflow) {
		ret = device_end(vu, -EPROTO, "attached more file descriptors than kdom accepts");
		goto fail;
	}
	return 0;
fail:
	message_release(m);
	return ret;
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
static int serve_dma(struct vfio_user *vu, const struct message *m, int64_t deadline)
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
		.size = HEADER_SIZE + (uint32_t)reply_len,
		.flags = VFIO_USER_F_TYPE_REPLY,
	};
	ret = send_message(vu, &hdr, reply, NULL, 0, deadline);
	free(reply);
	return ret;
}

/* A request from the server: only DMA_READ and DMA_WRITE go that way. */
static int serve_command(struct vfio_user *vu, const struct message *m, int64_t deadline)
{
	if (m->nr_fds)
		return device_end(vu, -EPROTO, "attached a file descriptor to its %s request",
				  vfio_user_command_name(m->hdr.command));
	switch (m->hdr.command) {
	case VFIO_USER_DMA_READ:
	case VFIO_USER_DMA_WRITE:
		return serve_dma(vu, m, deadline);
	default:
		return device_end(vu, -EPROTO, "sent a %s request (command %u), which it may not",
				  vfio_user_command_name(m->hdr.command), m->hdr.command);
	}
}

/*
 * Send one request and wait for its reply, serving the server's DMA requests
 * meanwhile.  0 with *reply (released by the caller; at most max_fds fds),
 * -errno from an error reply (the device stays), or the error that ended it.
 */
static int request(struct vfio_user *vu, uint16_t command, const void *payload, uint32_t len,
		   const int *fds, unsigned int nr_fds, unsigned int max_fds, struct message *reply)
{
	struct vfio_user_header hdr = {
		.msg_id = vu->next_id++,
		.command = command,
		.size = HEADER_SIZE + len,
		.flags = VFIO_USER_F_TYPE_COMMAND,
	};
	int64_t deadline = now_ms() + vu->timeout_ms;
	char waiting_for[64];
	int ret;

	if (vu->ended)
		return -ENODEV;
	ret = send_message(vu, &hdr, payload, fds, nr_fds, deadline);
	if (ret)
		return ret;
	snprintf(waiting_for, sizeof(waiting_for), "reply to %s", vfio_user_command_name(command));
	for (;;) {
		uint32_t type;

		ret = recv_message(vu, reply, deadline, waiting_for);
		if (ret)
			return ret;
		type = reply->hdr.flags & VFIO_USER_F_TYPE_MASK;
		if (type == VFIO_USER_F_TYPE_COMMAND) {
			ret = serve_command(vu, reply, deadline);
			message_release(reply);
			if (ret)
				return ret;
			continue;
		}
		if (type != VFIO_USER_F_TYPE_REPLY) {
			message_release(reply);
			return device_end(vu, -EPROTO, "sent a message of unknown type %u", type);
		}
		if (reply->hdr.msg_id != hdr.msg_id || reply->hdr.command != command) {
			uint16_t id = reply->hdr.msg_id, got = reply->hdr.command;

			message_release(reply);
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

			message_release(reply);
			if (extra)
				return device_end(vu, -EPROTO,
						  "sent an error reply to %s with a payload",
						  vfio_user_command_name(command));
			return error && error <= MAX_REPLY_ERRNO ? -(int)error : -EIO;
		}
		if (reply->nr_fds > max_fds) {
			message_release(reply);
			return device_end(
				vu, -EPROTO, "attached %s file descriptor to its reply to %s",
				max_fds ? "more than one" : "a", vfio_user_command_name(command));
		}
		return 0;
	}
}

/* A reply of the wrong shape ends the device. */
static int __attribute__((format(printf, 3, 4)))
bad_reply(struct vfio_user *vu, struct message *m, const char *fmt, ...)
{
	char what[192];
	va_list ap;

	message_release(m);
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return device_end(vu, -EPROTO, "sent a malformed reply to %s: %s",
			  vfio_user_command_name(m->hdr.command), what);
}

/* A reply whose payload must be exactly len bytes. */
static int check_len(struct vfio_user *vu, struct message *m, uint32_t len)
{
	if (m->len != len)
		return bad_reply(vu, m, "%u bytes of payload, expected %u", m->len, len);
	return 0;
}

/* ---- The operations ---------------------------------------------------------- */

static int vfio_user_device_info(struct pt_backend *b, struct vfio_device_info *info)
{
	struct vfio_user *vu = to_vfio_user(b);
	struct vfio_user_device_info req = { .argsz = sizeof(req) }, rep;
	struct message m;
	int ret;

	pthread_mutex_lock(&vu->lock);
	ret = request(vu, VFIO_USER_DEVICE_GET_INFO, &req, sizeof(req), NULL, 0, 0, &m);
	if (ret)
		goto out;
	ret = check_len(vu, &m, sizeof(rep));
	if (ret)
		goto out;
	memcpy(&rep, m.payload, sizeof(rep));
	if (rep.argsz < sizeof(rep)) {
		ret = bad_reply(vu, &m, "argsz %u", rep.argsz);
		goto out;
	}
	info->flags = rep.flags & ~VFIO_DEVICE_FLAGS_CAPS;
	info->num_regions = rep.num_regions;
	info->num_irqs = rep.num_irqs;
	info->cap_offset = 0;
	message_release(&m);
out:
	pthread_mutex_unlock(&vu->lock);
	return ret;
}

/*
 * Whether the region's capability list (inside the payload, walked with every
 * offset checked) leaves the whole region mappable: no sparse-mmap capability,
 * or one whose single area is the whole region.  -EPROTO if malformed.
 */
static int region_caps_whole(struct vfio_user *vu, struct message *m,
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
	struct message m;
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
	message_release(&m);
out:
	pthread_mutex_unlock(&vu->lock);
	return ret;
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
	while (done < len) {
		uint32_t chunk = len - done < chunk_max ? len - done : chunk_max;
		struct vfio_user_region_access req = {
			.offset = offset + done,
			.region = index,
			.count = chunk,
		};
		struct vfio_user_region_access rep;
		uint32_t want = sizeof(rep) + (write ? 0 : chunk);
		struct message m;

		memcpy(buf, &req, sizeof(req));
		if (write)
			memcpy(buf + sizeof(req), data + done, chunk);
		ret = request(vu, write ? VFIO_USER_REGION_WRITE : VFIO_USER_REGION_READ, buf,
			      sizeof(req) + (write ? chunk : 0), NULL, 0, 0, &m);
		if (ret)
			break;
		ret = check_len(vu, &m, want);
		if (ret)
			break;
		memcpy(&rep, m.payload, sizeof(rep));
		if (rep.offset != req.offset || rep.region != req.region || rep.count != chunk) {
			ret = bad_reply(vu, &m,
					"region %u offset %#llx count %u, asked for %u %#llx %u",
					rep.region, (unsigned long long)rep.offset, rep.count,
					req.region, (unsigned long long)req.offset, chunk);
			break;
		}
		if (!write)
			memcpy(data + done, m.payload + sizeof(rep), chunk);
		message_release(&m);
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
	ret = vu->ended ? -ENODEV : region_access_locked(vu, index, offset, data, len, write);
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

static int vfio_user_irq_info(struct pt_backend *b, struct vfio_irq_info *info)
{
	struct vfio_user *vu = to_vfio_user(b);
	struct vfio_user_irq_info req = { .argsz = sizeof(req), .index = info->index }, rep;
	struct message m;
	int ret;

	pthread_mutex_lock(&vu->lock);
	ret = request(vu, VFIO_USER_DEVICE_GET_IRQ_INFO, &req, sizeof(req), NULL, 0, 0, &m);
	if (ret)
		goto out;
	ret = check_len(vu, &m, sizeof(rep));
	if (ret)
		goto out;
	memcpy(&rep, m.payload, sizeof(rep));
	if (rep.argsz < sizeof(rep) || rep.index != req.index) {
		ret = bad_reply(vu, &m, "argsz %u, index %u for %u", rep.argsz, rep.index,
				req.index);
		goto out;
	}
	info->flags = rep.flags;
	info->count = rep.count;
	message_release(&m);
out:
	pthread_mutex_unlock(&vu->lock);
	return ret;
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
	struct message m;
	int ret;

	ret = request(vu, VFIO_USER_DEVICE_SET_IRQS, &req, sizeof(req), fds, nr_fds, 0, &m);
	if (ret)
		return ret;
	ret = check_len(vu, &m, 0);
	if (!ret)
		message_release(&m);
	return ret;
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
	bool send_fd;
	struct message m;
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
	send_fd = fd >= 0 && vu->server_max_fds;
	if (send_fd)
		req.offset = fd_offset;
	/* Given to the server from the moment it is sent: it may DMA before replying. */
	vu->windows[vu->nr_windows++] = (struct dma_window){ iova, size, host };
	ret = request(vu, VFIO_USER_DMA_MAP, &req, sizeof(req), send_fd ? &fd : NULL, send_fd, 0,
		      &m);
	if (!ret) {
		ret = check_len(vu, &m, 0);
		if (!ret)
			message_release(&m);
	}
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

static int vfio_user_dma_unmap(struct pt_backend *b, uint64_t iova, uint64_t size)
{
	struct vfio_user *vu = to_vfio_user(b);
	struct vfio_user_dma_unmap req = {
		.argsz = sizeof(req),
		.address = iova,
		.size = size,
	};
	struct message m;
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
	ret = request(vu, VFIO_USER_DMA_UNMAP, &req, sizeof(req), NULL, 0, 0, &m);
	if (ret)
		goto out;
	ret = check_len(vu, &m, sizeof(req));
	if (ret)
		goto out;
	if (memcmp(m.payload, &req, sizeof(req))) {
		ret = bad_reply(vu, &m, "not the request echoed");
		goto out;
	}
	message_release(&m);
out:
	pthread_mutex_unlock(&vu->lock);
	return ret;
}

static int vfio_user_reset(struct pt_backend *b)
{
	struct vfio_user *vu = to_vfio_user(b);
	struct message m;
	int ret;

	pthread_mutex_lock(&vu->lock);
	ret = request(vu, VFIO_USER_DEVICE_RESET, NULL, 0, NULL, 0, 0, &m);
	if (!ret) {
		ret = check_len(vu, &m, 0);
		if (!ret)
			message_release(&m);
	}
	pthread_mutex_unlock(&vu->lock);
	return ret;
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
		struct message m;

		ret = recv_message(vu, &m, now_ms() + vu->timeout_ms, "rest of a request");
		if (ret)
			break;
		if ((m.hdr.flags & VFIO_USER_F_TYPE_MASK) != VFIO_USER_F_TYPE_COMMAND) {
			message_release(&m);
			ret = device_end(vu, -EPROTO, "sent a reply to no request (%s, id %u)",
					 vfio_user_command_name(m.hdr.command), m.hdr.msg_id);
			break;
		}
		ret = serve_command(vu, &m, now_ms() + vu->timeout_ms);
		message_release(&m);
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

static int parse_version_reply(struct vfio_user *vu, const struct message *m, char *err,
			       size_t errlen)
{
	struct vfio_user_version version;
	json_int_t max_fds = 1, max_xfer = 1024 * 1024, pgsizes = 4096, max_maps = 65535;
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
	struct message m;
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
	message_release(&m);
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

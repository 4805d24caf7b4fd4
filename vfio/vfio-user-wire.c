/* vfio-user framing: one message at a time over a UNIX stream socket, its fds as SCM_RIGHTS. */
#include "vfio/vfio-user-wire.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

_Static_assert(sizeof(struct vfio_user_header) == 16, "vfio-user header");
_Static_assert(sizeof(struct vfio_user_version) == 4, "vfio-user VERSION");
_Static_assert(sizeof(struct vfio_user_dma_map) == 32, "vfio-user DMA_MAP");
_Static_assert(sizeof(struct vfio_user_dma_unmap) == 24, "vfio-user DMA_UNMAP");
_Static_assert(sizeof(struct vfio_user_device_info) == 16, "vfio-user DEVICE_GET_INFO");
_Static_assert(sizeof(struct vfio_user_region_info) == 32, "vfio-user DEVICE_GET_REGION_INFO");
_Static_assert(sizeof(struct vfio_user_region_io_fds) == 16, "vfio-user GET_REGION_IO_FDS");
_Static_assert(sizeof(struct vfio_user_irq_info) == 16, "vfio-user DEVICE_GET_IRQ_INFO");
_Static_assert(sizeof(struct vfio_user_irq_set) == 20, "vfio-user DEVICE_SET_IRQS");
_Static_assert(sizeof(struct vfio_user_region_access) == 16, "vfio-user REGION_READ/WRITE");
_Static_assert(sizeof(struct vfio_user_dma_access) == 16, "vfio-user DMA_READ/WRITE");

/* Room for the most fds a message may carry; a receive offers the kernel only max_fds of it. */
union fd_control {
	char buf[CMSG_SPACE(sizeof(int) * VFIO_USER_MAX_FDS)];
	struct cmsghdr align;
};

int64_t vfio_user_clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *vfio_user_command_name(unsigned int command)
{
	static const char *const names[] = {
		[VFIO_USER_VERSION] = "VERSION",
		[VFIO_USER_DMA_MAP] = "DMA_MAP",
		[VFIO_USER_DMA_UNMAP] = "DMA_UNMAP",
		[VFIO_USER_DEVICE_GET_INFO] = "DEVICE_GET_INFO",
		[VFIO_USER_DEVICE_GET_REGION_INFO] = "DEVICE_GET_REGION_INFO",
		[VFIO_USER_DEVICE_GET_REGION_IO_FDS] = "DEVICE_GET_REGION_IO_FDS",
		[VFIO_USER_DEVICE_GET_IRQ_INFO] = "DEVICE_GET_IRQ_INFO",
		[VFIO_USER_DEVICE_SET_IRQS] = "DEVICE_SET_IRQS",
		[VFIO_USER_REGION_READ] = "REGION_READ",
		[VFIO_USER_REGION_WRITE] = "REGION_WRITE",
		[VFIO_USER_DMA_READ] = "DMA_READ",
		[VFIO_USER_DMA_WRITE] = "DMA_WRITE",
		[VFIO_USER_DEVICE_RESET] = "DEVICE_RESET",
		[VFIO_USER_REGION_WRITE_MULTI] = "REGION_WRITE_MULTI",
		[VFIO_USER_DEVICE_FEATURE] = "DEVICE_FEATURE",
		[VFIO_USER_MIG_DATA_READ] = "MIG_DATA_READ",
		[VFIO_USER_MIG_DATA_WRITE] = "MIG_DATA_WRITE",
	};

	if (command < sizeof(names) / sizeof(names[0]) && names[command])
		return names[command];
	return "an unknown command";
}

static bool stopped(const struct vfio_user_wait *wait)
{
	return wait && wait->stop && *wait->stop;
}

/* Wait until the socket is ready for events: 0, -ETIMEDOUT, -EINTR (stopped) or -errno. */
static int socket_wait(int sock, short events, const struct vfio_user_wait *wait)
{
	struct pollfd pfd = { .fd = sock, .events = events };

	for (;;) {
		int timeout = -1, ret;

		if (stopped(wait))
			return -EINTR;
		if (wait && wait->deadline_ms) {
			int64_t left = wait->deadline_ms - vfio_user_clock_ms();

			if (left <= 0)
				return -ETIMEDOUT;
			timeout = left > 60000 ? 60000 : (int)left;
		}
		ret = poll(&pfd, 1, timeout);
		if (ret > 0)
			return 0; /* ready, or an error that the next call reports */
		if (ret < 0 && errno != EINTR)
			return -errno;
	}
}

int vfio_user_send(int sock, const struct vfio_user_header *hdr, const void *payload,
		   const int *fds, unsigned int nr_fds, const struct vfio_user_wait *wait)
{
	union fd_control control;
	struct iovec iov[2] = {
		{ .iov_base = (void *)hdr, .iov_len = VFIO_USER_HEADER_SIZE },
		{ .iov_base = (void *)payload, .iov_len = 0 },
	};
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };
	size_t left;

	if (hdr->size < VFIO_USER_HEADER_SIZE || (hdr->size > VFIO_USER_HEADER_SIZE && !payload) ||
	    nr_fds > VFIO_USER_MAX_FDS || (nr_fds && !fds))
		return -EINVAL;
	iov[1].iov_len = hdr->size - VFIO_USER_HEADER_SIZE;
	left = hdr->size;
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
		ssize_t n = sendmsg(sock, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			int ret;

			if (errno == EINTR) {
				if (stopped(wait))
					return -EINTR;
				continue;
			}
			if (errno == EPIPE || errno == ECONNRESET || errno == ENOTCONN)
				return -ECONNRESET;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				return -errno;
			ret = socket_wait(sock, POLLOUT, wait);
			if (ret)
				return ret;
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

/* Keep the fds that came with a read, up to max_fds; close the rest and say so. */
static void take_fds(struct vfio_user_msg *m, struct msghdr *mh, unsigned int max_fds,
		     bool *too_many)
{
	struct cmsghdr *cmsg;

	if (mh->msg_flags & MSG_CTRUNC)
		*too_many = true; /* the kernel dropped (and closed) what did not fit */
	for (cmsg = CMSG_FIRSTHDR(mh); cmsg; cmsg = CMSG_NXTHDR(mh, cmsg)) {
		size_t i, n;

		if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS)
			continue;
		n = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cmsg) + i * sizeof(int), sizeof(int));
			if (m->nr_fds < max_fds) {
				m->fds[m->nr_fds++] = fd;
			} else {
				close(fd);
				*too_many = true;
			}
		}
	}
}

/* Read exactly len bytes into buf, the fds that come with them into m. */
static int recv_exact(int sock, void *buf, size_t len, struct vfio_user_msg *m,
		      unsigned int max_fds, bool *too_many, const struct vfio_user_wait *wait)
{
	size_t got = 0;

	while (got < len) {
		union fd_control control;
		struct iovec iov = { .iov_base = (char *)buf + got, .iov_len = len - got };
		struct msghdr mh = {
			.msg_iov = &iov,
			.msg_iovlen = 1,
			.msg_control = max_fds ? control.buf : NULL,
			.msg_controllen = max_fds ? CMSG_SPACE(sizeof(int) * max_fds) : 0,
		};
		ssize_t n = recvmsg(sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		int ret;

		if (n > 0) {
			take_fds(m, &mh, max_fds, too_many);
			got += (size_t)n;
			m->received += (size_t)n;
			continue;
		}
		if (n == 0 || errno == ECONNRESET)
			return -ECONNRESET;
		if (errno == EINTR) {
			if (stopped(wait))
				return -EINTR;
			continue;
		}
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		ret = socket_wait(sock, POLLIN, wait);
		if (ret)
			return ret;
	}
	return 0;
}

int vfio_user_recv(int sock, struct vfio_user_msg *m, uint32_t max_size, unsigned int max_fds,
		   const struct vfio_user_wait *wait)
{
	bool too_many = false;
	int ret;

	memset(m, 0, sizeof(*m));
	if (max_fds > VFIO_USER_MAX_FDS || max_size < VFIO_USER_HEADER_SIZE)
		return -EINVAL;
	ret = recv_exact(sock, &m->hdr, VFIO_USER_HEADER_SIZE, m, max_fds, &too_many, wait);
	if (ret)
		goto fail;
	if (m->hdr.size < VFIO_USER_HEADER_SIZE) {
		ret = -EBADMSG;
		goto fail;
	}
	if (m->hdr.size > max_size) {
		ret = -EMSGSIZE;
		goto fail;
	}
	m->len = m->hdr.size - VFIO_USER_HEADER_SIZE;
	m->payload = malloc((size_t)m->len + 1);
	if (!m->payload) {
		ret = -ENOMEM;
		goto fail;
	}
	ret = recv_exact(sock, m->payload, m->len, m, max_fds, &too_many, wait);
	if (ret)
		goto fail;
	m->payload[m->len] = '\0';
	if (too_many) {
		ret = -ETOOMANYREFS;
		goto fail;
	}
	return 0;
fail:
	vfio_user_msg_release(m);
	return ret;
}

void vfio_user_msg_release(struct vfio_user_msg *m)
{
	unsigned int i;

	free(m->payload);
	m->payload = NULL;
	for (i = 0; i < m->nr_fds; i++)
		if (m->fds[i] >= 0)
			close(m->fds[i]);
	m->nr_fds = 0;
}

/* Unit tests of the vfio-user framing: whole messages, their fds, the ways a stream goes bad. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tests/unit/unit.h"
#include "vfio/vfio-user-wire.h"

#define LIMIT 4096u /* the largest message these tests accept */

static void pair(int sv[2])
{
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
}

static struct vfio_user_header header(uint16_t id, uint16_t command, uint32_t size)
{
	return (struct vfio_user_header){ .msg_id = id, .command = command, .size = size };
}

/* Bytes as they are, with one fd (or none) on the first: the frames the layer must refuse. */
static void send_raw(int sock, const void *buf, size_t len, int fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (fd >= 0) {
		memset(&control, 0, sizeof(control));
		mh.msg_control = control.buf;
		mh.msg_controllen = sizeof(control.buf);
		CMSG_FIRSTHDR(&mh)->cmsg_level = SOL_SOCKET;
		CMSG_FIRSTHDR(&mh)->cmsg_type = SCM_RIGHTS;
		CMSG_FIRSTHDR(&mh)->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(CMSG_FIRSTHDR(&mh)), &fd, sizeof(int));
	}
	ck_assert_int_eq(sendmsg(sock, &mh, MSG_NOSIGNAL), (ssize_t)len);
}

static bool same_file(int a, int b)
{
	struct stat sa, sb;

	return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

static int64_t elapsed_ms(int64_t start)
{
	return vfio_user_clock_ms() - start;
}

START_TEST(test_fds_round_trip)
{
	int before = unit_count_fds(), sv[2], efd[3], i;
	struct vfio_user_header hdr = header(7, VFIO_USER_DEVICE_SET_IRQS, 16 + 5);
	struct vfio_user_msg m;
	eventfd_t value;

	hdr.flags = VFIO_USER_F_TYPE_COMMAND | VFIO_USER_F_NO_REPLY;
	pair(sv);
	for (i = 0; i < 3; i++) {
		efd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		ck_assert_int_ge(efd[i], 0);
	}
	ck_assert_int_eq(vfio_user_send(sv[0], &hdr, "hello", efd, 3, NULL), 0);
	ck_assert_int_eq(vfio_user_recv(sv[1], &m, LIMIT, 3, NULL), 0);
	ck_assert_uint_eq(m.hdr.msg_id, 7);
	ck_assert_uint_eq(m.hdr.command, VFIO_USER_DEVICE_SET_IRQS);
	ck_assert_uint_eq(m.hdr.size, 21);
	ck_assert_uint_eq(m.hdr.flags, VFIO_USER_F_NO_REPLY);
	ck_assert_uint_eq(m.len, 5);
	ck_assert_uint_eq(m.received, 21);
	ck_assert_str_eq((char *)m.payload, "hello"); /* NUL-terminated */
	ck_assert_uint_eq(m.nr_fds, 3);
	/* The very same eventfds, in order, as new fds. */
	for (i = 0; i < 3; i++) {
		ck_assert_int_ne(m.fds[i], efd[i]);
		ck_assert(same_file(m.fds[i], efd[i]));
		ck_assert_int_eq(eventfd_write(m.fds[i], 10 + i), 0);
		ck_assert_int_eq(eventfd_read(efd[i], &value), 0);
		ck_assert_uint_eq(value, 10 + i);
	}
	vfio_user_msg_release(&m);
	ck_assert_ptr_null(m.payload);
	ck_assert_uint_eq(m.nr_fds, 0);
	ck_assert_int_eq(unit_count_fds(), before + 5);

	/* A bare header: an empty payload, still NUL-terminated. */
	hdr = header(8, VFIO_USER_DEVICE_RESET, 16);
	ck_assert_int_eq(vfio_user_send(sv[0], &hdr, NULL, NULL, 0, NULL), 0);
	ck_assert_int_eq(vfio_user_recv(sv[1], &m, LIMIT, 3, NULL), 0);
	ck_assert_uint_eq(m.len, 0);
	ck_assert_ptr_nonnull(m.payload);
	ck_assert_uint_eq(m.payload[0], 0);
	ck_assert_uint_eq(m.nr_fds, 0);
	vfio_user_msg_release(&m);

	for (i = 0; i < 3; i++)
		close(efd[i]);
	close(sv[0]);
	close(sv[1]);
	ck_assert_int_eq(unit_count_fds(), before);
}
END_TEST

struct receiver {
	int sock;
	int ret;
	struct vfio_user_msg m;
};

static void *receiver_main(void *arg)
{
	struct receiver *r = arg;
	struct vfio_user_wait wait = { .deadline_ms = vfio_user_clock_ms() + 10000 };

	r->ret = vfio_user_recv(r->sock, &r->m, 16 + (2u << 20), 1, &wait);
	return NULL;
}

/* Far more than the socket holds: sent in pieces as the peer reads, the fd with the first. */
START_TEST(test_large_message)
{
	int before = unit_count_fds(), sv[2], efd = eventfd(0, EFD_CLOEXEC);
	uint32_t len = 2u << 20, i;
	uint8_t *data = malloc(len);
	struct vfio_user_header hdr = header(1, VFIO_USER_REGION_WRITE, 16 + len);
	struct receiver r;
	pthread_t thread;

	ck_assert_ptr_nonnull(data);
	for (i = 0; i < len; i++)
		data[i] = (uint8_t)(i * 13 + i / 4096);
	pair(sv);
	r.sock = sv[1];
	ck_assert_int_eq(pthread_create(&thread, NULL, receiver_main, &r), 0);
	ck_assert_int_eq(vfio_user_send(sv[0], &hdr, data, &efd, 1, NULL), 0);
	pthread_join(thread, NULL);
	ck_assert_int_eq(r.ret, 0);
	ck_assert_uint_eq(r.m.len, len);
	ck_assert(!memcmp(r.m.payload, data, len));
	ck_assert_uint_eq(r.m.nr_fds, 1);
	ck_assert(same_file(r.m.fds[0], efd));
	vfio_user_msg_release(&r.m);
	free(data);
	close(efd);
	close(sv[0]);
	close(sv[1]);
	ck_assert_int_eq(unit_count_fds(), before);
}
END_TEST

/* The peer leaves in the middle: the fd that came with the part received is closed. */
START_TEST(test_truncated_message)
{
	int before = unit_count_fds(), sv[2], efd = eventfd(0, EFD_CLOEXEC);
	struct vfio_user_header hdr = header(3, VFIO_USER_REGION_READ, 16 + 100);
	uint8_t part[16 + 50] = { 0 };
	struct vfio_user_msg m;

	pair(sv);
	memcpy(part, &hdr, sizeof(hdr));
	send_raw(sv[0], part, sizeof(part), efd);
	close(sv[0]);
	ck_assert_int_eq(vfio_user_recv(sv[1], &m, LIMIT, 1, NULL), -ECONNRESET);
	ck_assert_uint_eq(m.received, 66);
	ck_assert_uint_eq(m.hdr.msg_id, 3);
	ck_assert_uint_eq(m.nr_fds, 0);
	ck_assert_ptr_null(m.payload);
	close(sv[1]);
	close(efd);
	ck_assert_int_eq(unit_count_fds(), before);

	/* Half a header. */
	pair(sv);
	send_raw(sv[0], part, 8, -1);
	close(sv[0]);
	ck_assert_int_eq(vfio_user_recv(sv[1], &m, LIMIT, 1, NULL), -ECONNRESET);
	ck_assert_uint_eq(m.received, 8);
	close(sv[1]);
	ck_assert_int_eq(unit_count_fds(), before);
}
END_TEST

/* More fds than the receiver takes: all closed, the message consumed, the stream still framed. */
START_TEST(test_too_many_fds)
{
	int before = unit_count_fds(), sv[2], efd[3], i;
	struct vfio_user_header hdr = header(4, VFIO_USER_DEVICE_SET_IRQS, 16 + 4);
	struct vfio_user_msg m;

	pair(sv);
	for (i = 0; i < 3; i++)
		efd[i] = eventfd(0, EFD_CLOEXEC);
	ck_assert_int_eq(vfio_user_send(sv[0], &hdr, "abcd", efd, 3, NULL), 0);
	hdr.msg_id = 5;
	ck_assert_int_eq(vfio_user_send(sv[0], &hdr, "efgh", efd, 1, NULL), 0);
	hdr.msg_id = 6;
	ck_assert_int_eq(vfio_user_send(sv[0], &hdr, "ijkl", NULL, 0, NULL), 0);

	ck_assert_int_eq(vfio_user_recv(sv[1], &m, LIMIT, 2, NULL), -ETOOMANYREFS);
	ck_assert_uint_eq(m.hdr.msg_id, 4);
	ck_assert_uint_eq(m.received, 20);
	ck_assert_uint_eq(m.nr_fds, 0);
	ck_assert_ptr_null(m.payload);
	ck_assert_int_eq(unit_count_fds(), before + 5);
	/* None wanted, one sent: the kernel cuts it off. */
	ck_assert_int_eq(vfio_user_recv(sv[1], &m, LIMIT, 0, NULL), -ETOOMANYREFS);
	ck_assert_uint_eq(m.hdr.msg_id, 5);
	ck_assert_int_eq(unit_count_fds(), before + 5);
	ck_assert_int_eq(vfio_user_recv(sv[1], &m, LIMIT, 0, NULL), 0);
	ck_assert_uint_eq(m.hdr.msg_id, 6);
	ck_assert_str_eq((char *)m.payload, "ijkl");
	vfio_user_msg_release(&m);

	/* One fd on the header and one on the payload, one wanted. */
	hdr = header(9, VFIO_USER_DEVICE_SET_IRQS, 16 + 4);
	send_raw(sv[0], &hdr, sizeof(hdr), efd[0]);
	send_raw(sv[0], "mnop", 4, efd[1]);
	ck_assert_int_eq(vfio_user_recv(sv[1], &m, LIMIT, 1, NULL), -ETOOMANYREFS);
	ck_assert_uint_eq(m.hdr.msg_id, 9);
	ck_assert_uint_eq(m.received, 20);
	ck_assert_int_eq(unit_count_fds(), before + 5);

	/* The sender refuses more than the layer carries. */
	{
		int many[VFIO_USER_MAX_FDS + 1];

		for (i = 0; i < (int)VFIO_USER_MAX_FDS + 1; i++)
			many[i] = efd[0];
		ck_assert_int_eq(
			vfio_user_send(sv[0], &hdr, "qrst", many, VFIO_USER_MAX_FDS + 1, NULL),
			-EINVAL);
		ck_assert_int_eq(vfio_user_recv(sv[1], &m, LIMIT, VFIO_USER_MAX_FDS + 1, NULL),
				 -EINVAL);
	}
	for (i = 0; i < 3; i++)
		close(efd[i]);
	close(sv[0]);
	close(sv[1]);
	ck_assert_int_eq(unit_count_fds(), before);
}
END_TEST

/* A size below the header cannot be framed: the header comes back for an error reply. */
START_TEST(test_size_below_header)
{
	int before = unit_count_fds(), sv[2], efd = eventfd(0, EFD_CLOEXEC);
	struct vfio_user_header hdr = header(11, VFIO_USER_DEVICE_GET_INFO, 8);
	struct vfio_user_msg m;

	pair(sv);
	send_raw(sv[0], &hdr, sizeof(hdr), efd);
	ck_assert_int_eq(vfio_user_recv(sv[1], &m, LIMIT, 1, NULL), -EBADMSG);
	ck_assert_uint_eq(m.hdr.msg_id, 11);
	ck_assert_uint_eq(m.hdr.command, VFIO_USER_DEVICE_GET_INFO);
	ck_assert_uint_eq(m.hdr.size, 8);
	ck_assert_uint_eq(m.nr_fds, 0);
	ck_assert_ptr_null(m.payload);
	/* Nor will the sender write one. */
	ck_assert_int_eq(vfio_user_send(sv[0], &hdr, NULL, NULL, 0, NULL), -EINVAL);
	ck_assert_int_eq(vfio_user_send(sv[0], &(struct vfio_user_header){ .size = 20 }, NULL, NULL,
					0, NULL),
			 -EINVAL);
	close(sv[0]);
	close(sv[1]);
	close(efd);
	ck_assert_int_eq(unit_count_fds(), before);
}
END_TEST

/* One byte over the limit is refused before any of its payload is read; the limit itself passes. */
START_TEST(test_size_above_limit)
{
	int before = unit_count_fds(), sv[2], efd = eventfd(0, EFD_CLOEXEC);
	uint8_t *payload = calloc(1, LIMIT);
	struct vfio_user_header hdr = header(12, VFIO_USER_REGION_WRITE, LIMIT);
	struct vfio_user_msg m;

	ck_assert_ptr_nonnull(payload);
	pair(sv);
	ck_assert_int_eq(vfio_user_send(sv[0], &hdr, payload, &efd, 1, NULL), 0);
	ck_assert_int_eq(vfio_user_recv(sv[1], &m, LIMIT, 1, NULL), 0);
	ck_assert_uint_eq(m.len, LIMIT - 16);
	vfio_user_msg_release(&m);

	hdr.size = LIMIT + 1;
	ck_assert_int_eq(vfio_user_send(sv[0], &hdr, payload, &efd, 1, NULL), 0);
	ck_assert_int_eq(vfio_user_recv(sv[1], &m, LIMIT, 1, NULL), -EMSGSIZE);
	ck_assert_uint_eq(m.hdr.msg_id, 12);
	ck_assert_uint_eq(m.hdr.size, LIMIT + 1);
	ck_assert_uint_eq(m.received, 16);
	ck_assert_uint_eq(m.nr_fds, 0);
	ck_assert_ptr_null(m.payload);
	close(sv[0]);
	close(sv[1]);

	/* The largest size there is. */
	pair(sv);
	hdr.size = 0xffffffff;
	send_raw(sv[0], &hdr, sizeof(hdr), efd);
	ck_assert_int_eq(vfio_user_recv(sv[1], &m, LIMIT, 1, NULL), -EMSGSIZE);
	ck_assert_uint_eq(m.hdr.size, 0xffffffff);
	ck_assert_int_eq(vfio_user_recv(sv[1], &m, 15, 1, NULL), -EINVAL);
	free(payload);
	close(sv[0]);
	close(sv[1]);
	close(efd);
	ck_assert_int_eq(unit_count_fds(), before);
}
END_TEST

START_TEST(test_peer_closed)
{
	int before = unit_count_fds(), sv[2], efd = eventfd(0, EFD_CLOEXEC);
	struct vfio_user_header hdr = header(13, VFIO_USER_DEVICE_RESET, 16);
	struct vfio_user_msg m;

	pair(sv);
	close(sv[0]);
	ck_assert_int_eq(vfio_user_recv(sv[1], &m, LIMIT, 1, NULL), -ECONNRESET);
	ck_assert_uint_eq(m.received, 0);
	ck_assert_int_eq(vfio_user_send(sv[1], &hdr, NULL, &efd, 1, NULL), -ECONNRESET);
	close(sv[1]);
	close(efd);
	ck_assert_int_eq(unit_count_fds(), before);
}
END_TEST

START_TEST(test_deadline)
{
	int before = unit_count_fds(), sv[2];
	struct vfio_user_wait wait;
	struct vfio_user_msg m;
	uint8_t *big = calloc(1, 1u << 20);
	struct vfio_user_header hdr = header(14, VFIO_USER_REGION_WRITE, 16 + (1u << 20));
	int64_t start;
	int i, ret = 0;

	ck_assert_ptr_nonnull(big);
	pair(sv);
	start = vfio_user_clock_ms();
	wait = (struct vfio_user_wait){ .deadline_ms = start + 50 };
	ck_assert_int_eq(vfio_user_recv(sv[1], &m, LIMIT, 1, &wait), -ETIMEDOUT);
	ck_assert_int_ge(elapsed_ms(start), 50);
	ck_assert_int_lt(elapsed_ms(start), 2000);
	ck_assert_uint_eq(m.received, 0);

	/* Nobody reads: the socket fills, the send gives up at the deadline. */
	start = vfio_user_clock_ms();
	wait = (struct vfio_user_wait){ .deadline_ms = start + 50 };
	for (i = 0; i < 64 && !ret; i++)
		ret = vfio_user_send(sv[0], &hdr, big, NULL, 0, &wait);
	ck_assert_int_eq(ret, -ETIMEDOUT);
	ck_assert_int_ge(elapsed_ms(start), 50);
	ck_assert_int_lt(elapsed_ms(start), 2000);
	free(big);
	close(sv[0]);
	close(sv[1]);
	ck_assert_int_eq(unit_count_fds(), before);
}
END_TEST

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
}

struct stopper {
	pthread_t target;
};

static void *stopper_main(void *arg)
{
	struct stopper *s = arg;
	struct timespec pause = { 0, 50 * 1000000L };

	nanosleep(&pause, NULL);
	stop_flag = 1;
	pthread_kill(s->target, SIGUSR1);
	return NULL;
}

/* A signal goes unnoticed unless it comes with the stop flag set; then the wait ends. */
START_TEST(test_stop)
{
	int before = unit_count_fds(), sv[2];
	struct sigaction sa = { .sa_handler = on_signal }; /* no SA_RESTART */
	struct vfio_user_wait wait = { .stop = &stop_flag };
	struct stopper s = { .target = pthread_self() };
	struct vfio_user_msg m;
	pthread_t thread;
	int64_t start = vfio_user_clock_ms();

	pair(sv);
	stop_flag = 1;
	ck_assert_int_eq(vfio_user_recv(sv[1], &m, LIMIT, 1, &wait), -EINTR);
	stop_flag = 0;
	ck_assert_int_eq(sigaction(SIGUSR1, &sa, NULL), 0);
	ck_assert_int_eq(pthread_create(&thread, NULL, stopper_main, &s), 0);
	ck_assert_int_eq(vfio_user_recv(sv[1], &m, LIMIT, 1, &wait), -EINTR);
	pthread_join(thread, NULL);
	ck_assert_int_ge(elapsed_ms(start), 50);
	ck_assert_int_lt(elapsed_ms(start), 2000);
	close(sv[0]);
	close(sv[1]);
	ck_assert_int_eq(unit_count_fds(), before);
}
END_TEST

START_TEST(test_command_names)
{
	ck_assert_str_eq(vfio_user_command_name(VFIO_USER_VERSION), "VERSION");
	ck_assert_str_eq(vfio_user_command_name(VFIO_USER_DEVICE_GET_REGION_IO_FDS),
			 "DEVICE_GET_REGION_IO_FDS");
	ck_assert_str_eq(vfio_user_command_name(VFIO_USER_DEVICE_RESET), "DEVICE_RESET");
	ck_assert_str_eq(vfio_user_command_name(VFIO_USER_MIG_DATA_WRITE), "MIG_DATA_WRITE");
	ck_assert_str_eq(vfio_user_command_name(0), "an unknown command");
	ck_assert_str_eq(vfio_user_command_name(14), "an unknown command");
	ck_assert_str_eq(vfio_user_command_name(19), "an unknown command");
	ck_assert_str_eq(vfio_user_command_name(65535), "an unknown command");
}
END_TEST

Suite *vfio_user_wire_suite(void)
{
	Suite *s = suite_create("vfio-user-wire");
	TCase *t = tcase_create("framing");

	tcase_set_timeout(t, 30);
	tcase_add_test(t, test_fds_round_trip);
	tcase_add_test(t, test_large_message);
	tcase_add_test(t, test_truncated_message);
	tcase_add_test(t, test_too_many_fds);
	tcase_add_test(t, test_size_below_header);
	tcase_add_test(t, test_size_above_limit);
	tcase_add_test(t, test_peer_closed);
	tcase_add_test(t, test_deadline);
	tcase_add_test(t, test_stop);
	tcase_add_test(t, test_command_names);
	suite_add_tcase(s, t);
	return s;
}

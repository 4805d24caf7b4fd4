/* The domain's event loop: one io_uring of one-shot polls, each completion sent to its source's handler. */
#include "vmm/event-loop.h"

#include <errno.h>
#include <poll.h>
#include <string.h>

#include "vmm/log.h"

#define EVENT_LOOP_RING_ENTRIES 128

/* A completion names its slot and the slot's generation, so stale ones are told apart. */
static uint64_t event_tag(const struct event_loop *loop, unsigned int id)
{
	return (uint64_t)loop->sources[id].generation << 32 | id;
}

static struct io_uring_sqe *event_get_sqe(struct event_loop *loop)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&loop->ring);

	if (!sqe) {
		io_uring_submit(&loop->ring);
		sqe = io_uring_get_sqe(&loop->ring);
	}
	return sqe;
}

static void event_arm(struct event_loop *loop, unsigned int id)
{
	struct io_uring_sqe *sqe = event_get_sqe(loop);

	io_uring_prep_poll_add(sqe, loop->sources[id].fd, POLLIN);
	io_uring_sqe_set_data64(sqe, event_tag(loop, id));
}

int event_loop_init(struct event_loop *loop)
{
	int ret;

	memset(loop, 0, sizeof(*loop));
	for (unsigned int i = 0; i < EVENT_LOOP_MAX_SOURCES; i++)
		loop->sources[i].fd = -1;
	ret = io_uring_queue_init(EVENT_LOOP_RING_ENTRIES, &loop->ring, 0);
	if (ret) {
		log_error("io_uring_queue_init: %s", strerror(-ret));
		return ret;
	}
	loop->ring_ready = true;
	return 0;
}

void event_loop_exit(struct event_loop *loop)
{
	if (loop->ring_ready)
		io_uring_queue_exit(&loop->ring);
	loop->ring_ready = false;
}

int event_loop_add(struct event_loop *loop, int fd, const char *name, event_handler_fn handler,
		   void *opaque)
{
	if (fd < 0 || !handler || !loop->ring_ready)
		return -EINVAL;
	for (unsigned int id = 0; id < EVENT_LOOP_MAX_SOURCES; id++) {
		struct event_source *s = &loop->sources[id];

		if (s->fd >= 0)
			continue;
		s->name = name;
		s->fd = fd;
		s->handler = handler;
		s->opaque = opaque;
		event_arm(loop, id);
		return id;
	}
	log_error("event loop: no room to watch %s", name);
	return -ENOSPC;
}

void event_loop_remove(struct event_loop *loop, int id)
{
	struct event_source *s;
	struct io_uring_sqe *sqe;

	if (id < 0 || id >= EVENT_LOOP_MAX_SOURCES || loop->sources[id].fd < 0)
		return;
	s = &loop->sources[id];
	/* Cancel its pending poll: the fd may be closed before the poll would complete. */
	sqe = event_get_sqe(loop);
	io_uring_prep_poll_remove(sqe, event_tag(loop, id));
	io_uring_sqe_set_data64(sqe, UINT64_MAX);
	s->fd = -1;
	s->generation++;
}

int event_loop_run(struct event_loop *loop, const volatile sig_atomic_t *stop)
{
	struct io_uring_cqe *cqe;
	int ret;

	while (!*stop) {
		io_uring_submit(&loop->ring);
		ret = io_uring_wait_cqe(&loop->ring, &cqe);
		if (ret == -EINTR)
			continue;
		if (ret)
			return ret;
		uint64_t tag = io_uring_cqe_get_data64(cqe);
		unsigned int id = tag & 0xffffffffu;
		int res = cqe->res;

		io_uring_cqe_seen(&loop->ring, cqe);
		if (id >= EVENT_LOOP_MAX_SOURCES)
			continue; /* a removal's own completion */
		struct event_source *s = &loop->sources[id];

		if (s->fd < 0 || s->generation != (uint32_t)(tag >> 32))
			continue; /* the last poll of a source since removed */
		int fd = s->fd;

		if (s->handler(loop, fd, res, s->opaque))
			event_loop_remove(loop, id);
		else if (s->fd == fd && s->generation == (uint32_t)(tag >> 32))
			event_arm(loop, id);
	}
	return 0;
}

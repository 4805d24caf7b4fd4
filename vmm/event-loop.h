/* The domain's event loop: fds watched for input, each with the handler that registered it. */
#ifndef KDOM_EVENT_LOOP_H
#define KDOM_EVENT_LOOP_H

#include <liburing.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#define EVENT_LOOP_MAX_SOURCES 128 /* virtio devices take one per queue and more */

struct event_loop;

/*
 * Called when fd is readable (res: the poll's result, negative on error).
 * Return 0 to keep watching fd, anything else to stop (the source is removed).
 */
typedef int (*event_handler_fn)(struct event_loop *loop, int fd, int res, void *opaque);

struct event_source {
	const char *name;
	int fd;		     /* -1: a free slot */
	uint32_t generation; /* told apart from a removed source's last completion */
	event_handler_fn handler;
	void *opaque;
};

struct event_loop {
	struct io_uring ring;
	bool ring_ready;
	struct event_source sources[EVENT_LOOP_MAX_SOURCES];
};

/* Set up an empty loop.  0 or -errno. */
int event_loop_init(struct event_loop *loop);

/* Release the ring; safe on a loop that event_loop_init() never set up. */
void event_loop_exit(struct event_loop *loop);

/* Watch fd for input with handler(loop, fd, res, opaque).  A source id (>= 0) or -errno. */
int event_loop_add(struct event_loop *loop, int fd, const char *name, event_handler_fn handler,
		   void *opaque);

/* Stop watching a source; a completion already on its way is ignored. */
void event_loop_remove(struct event_loop *loop, int id);

/* Dispatch events until *stop reads true (checked after every event).  0 or -errno. */
int event_loop_run(struct event_loop *loop, const volatile sig_atomic_t *stop);

#endif

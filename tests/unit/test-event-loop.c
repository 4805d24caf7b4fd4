/* Unit tests for the event loop: registered handlers, re-arming, removal, pausing and stale completions. */
#include <check.h>
#include <errno.h>
#include <signal.h>
#include <unistd.h>

#include "tests/unit/unit.h"
#include "vmm/event-loop.h"

struct probe {
	int calls;
	int keep; /* what the handler returns after reading: 0 keep watching, 1 stop */
	struct event_loop *loop;
	int remove_id; /* a source the handler removes, or -1 */
	volatile sig_atomic_t *stop;
	int stop_after;
};

static int probe_handler(struct event_loop *loop, int fd, int res, void *opaque)
{
	struct probe *p = opaque;
	char byte;

	ck_assert_int_ge(res, 0);
	ck_assert_int_eq(read(fd, &byte, 1), 1);
	p->calls++;
	if (p->remove_id >= 0)
		event_loop_remove(loop, p->remove_id);
	if (p->stop && p->calls >= p->stop_after)
		*p->stop = 1;
	return p->keep;
}

START_TEST(test_event_loop_rearms_and_removes)
{
	volatile sig_atomic_t stop = 0;
	struct event_loop loop;
	struct probe a = { .remove_id = -1, .stop = &stop, .stop_after = 3 };
	struct probe b = { .remove_id = -1 };
	int pa[2], pb[2], id_a, id_b;

	ck_assert_int_eq(pipe(pa), 0);
	ck_assert_int_eq(pipe(pb), 0);
	ck_assert_int_eq(event_loop_init(&loop), 0);
	id_a = event_loop_add(&loop, pa[0], "a", probe_handler, &a);
	id_b = event_loop_add(&loop, pb[0], "b", probe_handler, &b);
	ck_assert_int_ge(id_a, 0);
	ck_assert_int_ge(id_b, 0);
	ck_assert_int_ne(id_a, id_b);

	/* b is removed before it fires: its data is never read. */
	event_loop_remove(&loop, id_b);
	ck_assert_int_eq(write(pb[1], "x", 1), 1);
	/* a is re-armed after each call: three bytes, three calls. */
	ck_assert_int_eq(write(pa[1], "abc", 3), 3);
	ck_assert_int_eq(event_loop_run(&loop, &stop), 0);
	ck_assert_int_eq(a.calls, 3);
	ck_assert_int_eq(b.calls, 0);

	/* A handler that returns nonzero is not called again; b's slot is reused. */
	stop = 0;
	struct probe c = { .keep = 1, .remove_id = -1, .stop = &stop, .stop_after = 1 };
	int pc[2];

	ck_assert_int_eq(pipe(pc), 0);
	ck_assert_int_eq(event_loop_add(&loop, pc[0], "c", probe_handler, &c), id_b);
	a.stop = NULL;
	ck_assert_int_eq(write(pc[1], "12", 2), 2);
	ck_assert_int_eq(event_loop_run(&loop, &stop), 0);
	ck_assert_int_eq(c.calls, 1);
	stop = 0;
	a.calls = 0;
	a.stop = &stop;
	a.stop_after = 1;
	ck_assert_int_eq(write(pa[1], "d", 1), 1);
	ck_assert_int_eq(event_loop_run(&loop, &stop), 0);
	ck_assert_int_eq(a.calls, 1);
	ck_assert_int_eq(c.calls, 1); /* its second byte stays unread */

	event_loop_exit(&loop);
	for (int i = 0; i < 2; i++) {
		close(pa[i]);
		close(pb[i]);
		close(pc[i]);
	}
}
END_TEST

START_TEST(test_event_loop_refuses_bad_sources)
{
	struct event_loop loop;
	struct probe p = { .remove_id = -1 };
	int fds[2];

	ck_assert_int_eq(pipe(fds), 0);
	ck_assert_int_eq(event_loop_init(&loop), 0);
	ck_assert_int_eq(event_loop_add(&loop, -1, "bad", probe_handler, &p), -EINVAL);
	ck_assert_int_eq(event_loop_add(&loop, fds[0], "bad", NULL, &p), -EINVAL);
	for (int i = 0; i < EVENT_LOOP_MAX_SOURCES; i++)
		ck_assert_int_ge(event_loop_add(&loop, fds[0], "many", probe_handler, &p), 0);
	ck_assert_int_eq(event_loop_add(&loop, fds[0], "one too many", probe_handler, &p), -ENOSPC);
	event_loop_remove(&loop, -1); /* ignored */
	event_loop_remove(&loop, EVENT_LOOP_MAX_SOURCES);
	event_loop_exit(&loop);
	event_loop_exit(&loop); /* twice is harmless */
	close(fds[0]);
	close(fds[1]);
}
END_TEST

/* A paused source keeps its slot and is not called; resumed, it sees what came meanwhile. */
START_TEST(test_event_loop_pause_resume)
{
	volatile sig_atomic_t stop = 0;
	struct event_loop loop;
	struct probe a = { .remove_id = -1, .stop = &stop, .stop_after = 1 };
	struct probe b = { .remove_id = -1, .stop = &stop, .stop_after = 1 };
	int pa[2], pb[2], id_a, id_b;

	ck_assert_int_eq(pipe(pa), 0);
	ck_assert_int_eq(pipe(pb), 0);
	ck_assert_int_eq(event_loop_init(&loop), 0);
	id_a = event_loop_add(&loop, pa[0], "a", probe_handler, &a);
	id_b = event_loop_add(&loop, pb[0], "b", probe_handler, &b);
	event_loop_pause(&loop, id_a);
	ck_assert_int_eq(write(pa[1], "x", 1), 1);
	ck_assert_int_eq(write(pb[1], "y", 1), 1);
	ck_assert_int_eq(event_loop_run(&loop, &stop), 0);
	ck_assert_int_eq(a.calls, 0);
	ck_assert_int_eq(b.calls, 1);
	/* Resumed: called for the byte that waited. */
	stop = 0;
	event_loop_resume(&loop, id_a);
	ck_assert_int_eq(event_loop_run(&loop, &stop), 0);
	ck_assert_int_eq(a.calls, 1);
	/* Paused with its poll in the ring: the completion is dropped until it resumes. */
	stop = 0;
	b.stop_after = 2;
	event_loop_pause(&loop, id_a);
	ck_assert_int_eq(write(pa[1], "z", 1), 1);
	ck_assert_int_eq(write(pb[1], "w", 1), 1);
	ck_assert_int_eq(event_loop_run(&loop, &stop), 0);
	ck_assert_int_eq(a.calls, 1);
	stop = 0;
	a.stop_after = 2;
	event_loop_resume(&loop, id_a);
	event_loop_resume(&loop, id_a); /* twice: still one poll */
	ck_assert_int_eq(event_loop_run(&loop, &stop), 0);
	ck_assert_int_eq(a.calls, 2);
	event_loop_pause(&loop, -1); /* ignored */
	event_loop_resume(&loop, EVENT_LOOP_MAX_SOURCES);
	event_loop_remove(&loop, id_b);
	event_loop_exit(&loop);
	for (int i = 0; i < 2; i++) {
		close(pa[i]);
		close(pb[i]);
	}
}
END_TEST

Suite *event_loop_suite(void)
{
	Suite *suite = suite_create("event-loop");
	TCase *tc = tcase_create("sources");

	tcase_add_test(tc, test_event_loop_rearms_and_removes);
	tcase_add_test(tc, test_event_loop_refuses_bad_sources);
	tcase_add_test(tc, test_event_loop_pause_resume);
	suite_add_tcase(suite, tc);
	return suite;
}

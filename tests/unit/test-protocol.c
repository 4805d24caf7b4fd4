/* Unit tests of the control protocol library (framing, builders, checks) and its client. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "control/client.h"
#include "control/protocol.h"
#include "tests/unit/unit.h"

/* ---- Helpers ------------------------------------------------------------------- */

static json_t *parse(const char *text)
{
	json_error_t jerr;
	json_t *v = json_loads(text, JSON_DECODE_ANY, &jerr);

	ck_assert_msg(v != NULL, "bad test JSON %s: %s", text, jerr.text);
	return v;
}

/* Compare msg, sorted and compact, with the expected text; drops msg. */
static void assert_json(json_t *msg, const char *expected)
{
	char *text;

	ck_assert_ptr_nonnull(msg);
	text = json_dumps(msg, JSON_SORT_KEYS | JSON_COMPACT);
	ck_assert_ptr_nonnull(text);
	ck_assert_str_eq(text, expected);
	free(text);
	json_decref(msg);
}

static void write_raw(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);

		ck_assert_int_gt(n, 0);
		p += n;
		len -= (size_t)n;
	}
}

static void write_str(int fd, const char *s)
{
	write_raw(fd, s, strlen(s));
}

static void feed_str(struct msg_reader *r, const char *s)
{
	ck_assert_int_eq(msg_reader_feed(r, s, strlen(s)), 0);
}

/* The next message must be an object whose "seq" is seq. */
static void next_seq(struct msg_reader *r, json_int_t seq)
{
	char err[256] = "";
	json_t *msg;

	ck_assert_int_eq(msg_reader_next(r, &msg, err, sizeof(err)), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(msg, "seq")), seq);
	json_decref(msg);
}

static int next_error(struct msg_reader *r, char *err, size_t errlen)
{
	json_t *msg = (json_t *)1;
	int ret = msg_reader_next(r, &msg, err, errlen);

	ck_assert_ptr_null(msg);
	return ret;
}

/* A message {"seq":seq,"pad":"xx..."} whose line is exactly size bytes, newline included. */
static char *sized_line(json_int_t seq, size_t size)
{
	char head[64];
	int n = snprintf(head, sizeof(head), "{\"seq\":%lld,\"pad\":\"", (long long)seq);
	char *line = malloc(size + 1);

	ck_assert_ptr_nonnull(line);
	ck_assert_uint_ge(size, (size_t)n + 3);
	memcpy(line, head, (size_t)n);
	memset(line + n, 'x', size - (size_t)n - 3);
	memcpy(line + size - 3, "\"}\n", 4);
	return line;
}

static uint64_t prng_state;

static uint64_t prng_next(void)
{
	prng_state ^= prng_state << 13;
	prng_state ^= prng_state >> 7;
	prng_state ^= prng_state << 17;
	return prng_state;
}

/* ---- Framing ------------------------------------------------------------------- */

START_TEST(test_reader_basic)
{
	struct msg_reader r;
	char err[256];
	json_t *msg;

	msg_reader_init(&r);
	ck_assert_int_eq(msg_reader_next(&r, &msg, err, sizeof(err)), 0);
	feed_str(&r, "{\"seq\":1}\n\n\n{\"seq\":2}\n{\"seq\"");
	next_seq(&r, 1);
	next_seq(&r, 2); /* the empty lines are skipped */
	ck_assert_int_eq(next_error(&r, err, sizeof(err)), 0);
	feed_str(&r, ":3}");
	ck_assert_int_eq(next_error(&r, err, sizeof(err)), 0);
	feed_str(&r, "\n");
	next_seq(&r, 3);
	ck_assert_int_eq(next_error(&r, err, sizeof(err)), 0);
	ck_assert_int_eq(msg_reader_feed(&r, "", 0), 0);
	ck_assert_int_eq(next_error(&r, err, sizeof(err)), 0);
	msg_reader_free(&r);
	msg_reader_free(&r); /* twice is harmless */
}
END_TEST

/* One line of the stream below, and what msg_reader_next() must make of it. */
struct stream_item {
	char *text; /* with its newline */
	size_t len;
	int expect; /* 1 (a message with "seq" = index), 0 (skipped), -EMSGSIZE, -EBADMSG */
};

static size_t stream_build(struct stream_item *items, size_t max)
{
	static const char *const bad[] = {
		"not json",	    "[1,2]", "\"a string\"", "42", "null", "{\"a\":1} trailing",
		"{\"a\":1,\"a\":2}"
	};
	size_t n = 0;

	for (size_t i = 0; n + 3 < max; i++) {
		struct stream_item *it = &items[n];
		char buf[128];

		switch (i % 9) {
		case 0: /* exactly at the limit */
			it->text = sized_line((json_int_t)n, KDOM_MSG_MAX);
			it->expect = 1;
			break;
		case 1: /* one byte over: the newline is the 65537th byte */
			it->text = sized_line((json_int_t)n, KDOM_MSG_MAX + 1);
			it->expect = -EMSGSIZE;
			break;
		case 2: /* far over */
			it->text = sized_line((json_int_t)n, 3 * KDOM_MSG_MAX + 17);
			it->expect = -EMSGSIZE;
			break;
		case 3:
			it->text = strdup("\n");
			it->expect = 0;
			break;
		case 4:
			snprintf(buf, sizeof(buf), "%s\n", bad[(i / 9) % 7]);
			it->text = strdup(buf);
			it->expect = -EBADMSG;
			break;
		default:
			snprintf(buf, sizeof(buf), "{\"seq\":%zu,\"s\":\"caf\xc3\xa9 \\n\"}\n", n);
			it->text = strdup(buf);
			it->expect = 1;
			break;
		}
		it->len = strlen(it->text);
		n++;
	}
	return n;
}

/* Feed the stream in chunks of 1 to max_chunk bytes, taking messages after every chunk. */
static void stream_check(const struct stream_item *items, size_t n, size_t max_chunk, uint64_t seed)
{
	size_t total = 0, at = 0, next = 0;
	struct msg_reader r;
	char *all, err[256];

	for (size_t i = 0; i < n; i++)
		total += items[i].len;
	all = malloc(total);
	ck_assert_ptr_nonnull(all);
	for (size_t i = 0; i < n; i++) {
		memcpy(all + at, items[i].text, items[i].len);
		at += items[i].len;
	}
	prng_state = seed;
	msg_reader_init(&r);
	for (at = 0; at < total;) {
		size_t chunk = 1 + prng_next() % max_chunk;
		json_t *msg;
		int ret;

		if (chunk > total - at)
			chunk = total - at;
		/* Plain tests in this loop: every passing ck_assert() costs a system call. */
		if (msg_reader_feed(&r, all + at, chunk))
			ck_abort_msg("msg_reader_feed failed");
		at += chunk;
		/* Oversized lines never pile up: a chunk, a partial line and a prefix at most. */
		if (r.cap > 2 * (max_chunk + 2 * KDOM_MSG_MAX + 2))
			ck_abort_msg("reader buffer grew to %zu bytes", r.cap);
		while ((ret = msg_reader_next(&r, &msg, err, sizeof(err))) != 0) {
			while (next < n && items[next].expect == 0)
				next++;
			ck_assert_uint_lt(next, n);
			ck_assert_msg(ret == items[next].expect,
				      "item %zu: got %d, want %d (chunks up to %zu, seed %llu)",
				      next, ret, items[next].expect, max_chunk,
				      (unsigned long long)seed);
			if (ret == 1) {
				ck_assert_int_eq(json_integer_value(json_object_get(msg, "seq")),
						 (json_int_t)next);
				json_decref(msg);
			}
			next++;
		}
	}
	while (next < n && items[next].expect == 0)
		next++;
	ck_assert_uint_eq(next, n);
	msg_reader_free(&r);
	free(all);
}

START_TEST(test_reader_random_chunks)
{
	static const size_t max_chunks[] = { 1, 2, 7, 100, 4096, 70000, 1 << 20 };
	struct stream_item items[40];
	size_t n = stream_build(items, 40);

	for (size_t i = 0; i < sizeof(max_chunks) / sizeof(max_chunks[0]); i++) {
		for (uint64_t seed = 1; seed <= (max_chunks[i] == 1 ? 1 : 4); seed++)
			stream_check(items, n, max_chunks[i], seed * 0x9e3779b97f4a7c15ULL);
	}
	for (size_t i = 0; i < n; i++)
		free(items[i].text);
}
END_TEST

START_TEST(test_reader_many_per_chunk)
{
	char *text = malloc(1000 * 32), *p = text;
	struct msg_reader r;
	char err[256];

	ck_assert_ptr_nonnull(text);
	for (int i = 0; i < 1000; i++)
		p += sprintf(p, "{\"seq\":%d}\n%s", i, i % 10 ? "" : "\n");
	msg_reader_init(&r);
	ck_assert_int_eq(msg_reader_feed(&r, text, (size_t)(p - text)), 0);
	for (int i = 0; i < 1000; i++)
		next_seq(&r, i);
	ck_assert_int_eq(next_error(&r, err, sizeof(err)), 0);
	msg_reader_free(&r);
	free(text);
}
END_TEST

START_TEST(test_reader_limit)
{
	char *line = sized_line(1, KDOM_MSG_MAX);
	struct msg_reader r;
	char err[256];

	msg_reader_init(&r);
	/* 65535 bytes and the newline: the largest message. */
	ck_assert_int_eq(msg_reader_feed(&r, line, KDOM_MSG_MAX - 1), 0);
	ck_assert_int_eq(next_error(&r, err, sizeof(err)), 0);
	feed_str(&r, "\n");
	next_seq(&r, 1);

	/* 65536 bytes without a newline are refused at once, not when the newline comes. */
	ck_assert_int_eq(msg_reader_feed(&r, line, KDOM_MSG_MAX - 1), 0);
	ck_assert_int_eq(next_error(&r, err, sizeof(err)), 0);
	feed_str(&r, "x");
	err[0] = '\0';
	ck_assert_int_eq(next_error(&r, err, sizeof(err)), -EMSGSIZE);
	ck_assert_str_eq(err, "message longer than 65536 bytes");
	ck_assert_int_eq(next_error(&r, err, sizeof(err)), 0);
	ck_assert(r.discarding);
	feed_str(&r, "more of the same line {\"seq\":5}");
	ck_assert_int_eq(next_error(&r, err, sizeof(err)), 0);
	feed_str(&r, "end\n{\"seq\":2}\n");
	ck_assert(!r.discarding);
	next_seq(&r, 2);
	ck_assert_int_eq(next_error(&r, err, sizeof(err)), 0);

	/* 65536 bytes, then the newline in the same chunk: one error, and the newline is its. */
	ck_assert_int_eq(msg_reader_feed(&r, line, KDOM_MSG_MAX - 1), 0);
	feed_str(&r, "x\n{\"seq\":3}\n");
	ck_assert_int_eq(next_error(&r, err, sizeof(err)), -EMSGSIZE);
	next_seq(&r, 3);
	ck_assert_int_eq(next_error(&r, err, sizeof(err)), 0);
	msg_reader_free(&r);
	free(line);
}
END_TEST

START_TEST(test_reader_huge_line_bounded)
{
	size_t size = 4 << 20;
	char *big = malloc(size);
	struct msg_reader r;
	char err[256];

	ck_assert_ptr_nonnull(big);
	memset(big, 'x', size);
	msg_reader_init(&r);
	ck_assert_int_eq(msg_reader_feed(&r, big, size), 0);
	ck_assert_uint_le(r.len, KDOM_MSG_MAX + 1);
	ck_assert_uint_lt(r.cap, size / 8);
	ck_assert_int_eq(msg_reader_feed(&r, big, size), 0);
	ck_assert_uint_le(r.len, KDOM_MSG_MAX + 1);
	ck_assert_int_eq(next_error(&r, err, sizeof(err)), -EMSGSIZE);
	ck_assert_int_eq(next_error(&r, err, sizeof(err)), 0);
	feed_str(&r, "\n{\"seq\":1}\n");
	next_seq(&r, 1);
	msg_reader_free(&r);
	free(big);
}
END_TEST

/* Feed one bad line then a good one: the bad one is -EBADMSG with err, the good one parses. */
static void check_bad_line(const char *line, size_t len, const char *expected_err)
{
	struct msg_reader r;
	char err[256] = "";

	msg_reader_init(&r);
	ck_assert_int_eq(msg_reader_feed(&r, line, len), 0);
	feed_str(&r, "\n{\"seq\":9}\n");
	ck_assert_int_eq(next_error(&r, err, sizeof(err)), -EBADMSG);
	ck_assert_str_eq(err, expected_err);
	next_seq(&r, 9);
	msg_reader_free(&r);
}

START_TEST(test_reader_bad_lines)
{
	check_bad_line("hello", 5, "invalid JSON at column 5: invalid token near 'hello'");
	check_bad_line("[1,2]", 5, "message is an array, not a JSON object");
	check_bad_line("\"str\"", 5, "message is a string, not a JSON object");
	check_bad_line("12.5", 4, "message is a number, not a JSON object");
	check_bad_line("true", 4, "message is a boolean, not a JSON object");
	check_bad_line("null", 4, "message is null, not a JSON object");
	check_bad_line("   ", 3, "invalid JSON at column 3: unexpected token near end of file");
	check_bad_line("{} {}", 5, "invalid JSON at column 4: end of file expected near '{'");
	check_bad_line("{\"a\":1,\"a\":2}", 13,
		       "invalid JSON at column 10: duplicate object key near '\"a\"'");
	/* NUL bytes: raw inside a string, raw between tokens, escaped. */
	check_bad_line("{\"a\":\"x\0y\"}", 11,
		       "invalid JSON at column 7: control character 0x0 near '\"x'");
	check_bad_line("{\0}", 3,
		       "invalid JSON at column 2: string or '}' expected near end of file");
	check_bad_line("{\"a\":\"\\u0000\"}", 14,
		       "invalid JSON at column 13: \\u0000 is not allowed without JSON_ALLOW_NUL "
		       "near '\"\\u0000\"'");
	/* Invalid UTF-8: a stray byte, an overlong sequence, a surrogate. */
	check_bad_line("{\"a\":\"\xff\"}", 9,
		       "invalid JSON at column 6: unable to decode byte 0xff near '\"'");
	check_bad_line("{\"a\":\"\xc0\xaf\"}", 10,
		       "invalid JSON at column 6: unable to decode byte 0xc0 near '\"'");
	check_bad_line("{\"a\":\"\xed\xa0\x80\"}", 11,
		       "invalid JSON at column 6: unable to decode byte 0xed near '\"'");
}
END_TEST

START_TEST(test_reader_deep_nesting)
{
	size_t depth = 60000, n = 0;
	char *text = malloc(8 * depth + 2);
	struct msg_reader r;
	char err[256] = "";
	json_t *msg;

	ck_assert_ptr_nonnull(text);
	msg_reader_init(&r);

	/* Within the limit of a line but far beyond jansson's depth limit. */
	memset(text, '[', depth);
	text[depth] = '\n';
	ck_assert_int_eq(msg_reader_feed(&r, text, depth + 1), 0);
	ck_assert_int_eq(next_error(&r, err, sizeof(err)), -EBADMSG);
	ck_assert_ptr_nonnull(strstr(err, "maximum parsing depth reached"));

	/* Nested objects, closed: the same. */
	for (size_t i = 0; i < 8000; i++)
		n += (size_t)sprintf(text + n, "{\"a\":");
	n += (size_t)sprintf(text + n, "1");
	memset(text + n, '}', 8000);
	n += 8000;
	text[n++] = '\n';
	ck_assert_uint_lt(n, KDOM_MSG_MAX);
	ck_assert_int_eq(msg_reader_feed(&r, text, n), 0);
	ck_assert_int_eq(next_error(&r, err, sizeof(err)), -EBADMSG);
	ck_assert_ptr_nonnull(strstr(err, "maximum parsing depth reached"));

	/* 100000 '[' is also over the size limit. */
	for (int i = 0; i < 2; i++) {
		memset(text, '[', 50000);
		ck_assert_int_eq(msg_reader_feed(&r, text, 50000), 0);
	}
	feed_str(&r, "\n");
	ck_assert_int_eq(next_error(&r, err, sizeof(err)), -EMSGSIZE);

	/* Nesting a little under the limit is a message like any other. */
	n = (size_t)sprintf(text, "{\"seq\":4,\"deep\":");
	memset(text + n, '[', 1000);
	memset(text + n + 1000, ']', 1000);
	n += 2000;
	n += (size_t)sprintf(text + n, "}\n");
	ck_assert_int_eq(msg_reader_feed(&r, text, n), 0);
	ck_assert_int_eq(msg_reader_next(&r, &msg, err, sizeof(err)), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(msg, "seq")), 4);
	json_decref(msg);
	msg_reader_free(&r);
	free(text);
}
END_TEST

/* ---- Requests and replies ------------------------------------------------------------- */

struct request_case {
	const char *json;
	int ret;
	const char *err;
	uint64_t id;
};

START_TEST(test_parse_request_malformed)
{
	static const struct request_case cases[] = {
		{ "[1]", -EBADMSG, "message is not a JSON object", 0 },
		{ "{\"id\":1,\"op\":\"list\"}", -EBADMSG, "'kdom' is missing", 1 },
		{ "{\"kdom\":\"1\",\"id\":1,\"op\":\"list\"}", -EBADMSG,
		  "'kdom' must be an integer", 1 },
		{ "{\"kdom\":1.0,\"id\":1,\"op\":\"list\"}", -EBADMSG, "'kdom' must be an integer",
		  1 },
		{ "{\"kdom\":2,\"id\":5,\"op\":\"hello\"}", -EPROTONOSUPPORT,
		  "protocol version 2 is not supported (only 1 is)", 5 },
		{ "{\"kdom\":0,\"op\":\"hello\"}", -EPROTONOSUPPORT,
		  "protocol version 0 is not supported (only 1 is)", 0 },
		{ "{\"kdom\":1,\"op\":\"list\"}", -EBADMSG, "'id' is missing", 0 },
		{ "{\"kdom\":1,\"id\":-1,\"op\":\"list\"}", -EBADMSG,
		  "'id' must be an integer from 0 to 2^53", 0 },
		{ "{\"kdom\":1,\"id\":1.5,\"op\":\"list\"}", -EBADMSG,
		  "'id' must be an integer from 0 to 2^53", 0 },
		{ "{\"kdom\":1,\"id\":2.0,\"op\":\"list\"}", -EBADMSG,
		  "'id' must be an integer from 0 to 2^53", 0 },
		{ "{\"kdom\":1,\"id\":\"7\",\"op\":\"list\"}", -EBADMSG,
		  "'id' must be an integer from 0 to 2^53", 0 },
		{ "{\"kdom\":1,\"id\":null,\"op\":\"list\"}", -EBADMSG,
		  "'id' must be an integer from 0 to 2^53", 0 },
		{ "{\"kdom\":1,\"id\":9007199254740993,\"op\":\"list\"}", -EBADMSG,
		  "'id' must be an integer from 0 to 2^53", 0 },
		{ "{\"kdom\":1,\"id\":7}", -EBADMSG, "'op' is missing", 7 },
		{ "{\"kdom\":1,\"id\":7,\"op\":\"\"}", -EBADMSG, "'op' is empty", 7 },
		{ "{\"kdom\":1,\"id\":7,\"op\":5}", -EBADMSG, "'op' must be a string", 7 },
		{ "{\"kdom\":1,\"id\":7,\"op\":null}", -EBADMSG, "'op' must be a string", 7 },
		{ "{\"kdom\":1,\"id\":7,\"op\":[\"list\"]}", -EBADMSG, "'op' must be a string", 7 },
		{ "{\"kdom\":1,\"id\":7,\"op\":\"abcdefghijabcdefghijabcdefghijabc\"}", -EBADMSG,
		  "'op' is longer than 32 characters", 7 },
		{ "{\"kdom\":1,\"id\":7,\"op\":\"info\",\"args\":[]}", -EBADMSG,
		  "'args' must be an object", 7 },
		{ "{\"kdom\":1,\"id\":7,\"op\":\"info\",\"args\":\"web\"}", -EBADMSG,
		  "'args' must be an object", 7 },
		{ "{\"kdom\":1,\"id\":7,\"op\":\"info\",\"args\":null}", -EBADMSG,
		  "'args' must be an object", 7 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *msg = parse(cases[i].json);
		const json_t *args = (const json_t *)1;
		const char *op = "stale";
		uint64_t id = 12345;
		char err[256] = "";

		ck_assert_msg(msg_parse_request(msg, &id, &op, &args, err, sizeof(err)) ==
				      cases[i].ret,
			      "%s", cases[i].json);
		ck_assert_str_eq(err, cases[i].err);
		ck_assert_msg(id == cases[i].id, "%s: id %llu", cases[i].json,
			      (unsigned long long)id);
		ck_assert_ptr_null(op);
		ck_assert_ptr_null(args);
		json_decref(msg);
	}
}
END_TEST

START_TEST(test_parse_request_good)
{
	const json_t *args;
	const char *op;
	char err[256];
	uint64_t id;
	json_t *msg;

	msg = parse(
		"{\"kdom\":1,\"id\":9007199254740992,\"op\":\"abcdefghijabcdefghijabcdefghijab\"}");
	ck_assert_int_eq(msg_parse_request(msg, &id, &op, &args, err, sizeof(err)), 0);
	ck_assert_uint_eq(id, 1ULL << 53);
	ck_assert_str_eq(op, "abcdefghijabcdefghijabcdefghijab");
	ck_assert_ptr_null(args);
	json_decref(msg);

	msg = parse(
		"{\"kdom\":1,\"id\":0,\"op\":\"destroy\",\"args\":{\"domain\":\"web\"},\"x\":1}");
	ck_assert_int_eq(msg_parse_request(msg, &id, &op, &args, err, sizeof(err)), 0);
	ck_assert_uint_eq(id, 0);
	ck_assert_str_eq(op, "destroy");
	ck_assert_str_eq(json_string_value(json_object_get(args, "domain")), "web");
	json_decref(msg);

	/* What the builder makes, the check takes. */
	msg = msg_request(42, "create",
			  json_pack("{s:s,s:b}", "config", "name=\"a\"", "paused", 1));
	ck_assert_int_eq(msg_parse_request(msg, &id, &op, &args, err, sizeof(err)), 0);
	ck_assert_uint_eq(id, 42);
	ck_assert_str_eq(op, "create");
	ck_assert(json_is_true(json_object_get(args, "paused")));
	json_decref(msg);
}
END_TEST

struct reply_case {
	const char *json;
	int ret;
	const char *err;
};

START_TEST(test_parse_reply)
{
	static const struct reply_case cases[] = {
		{ "{\"kdom\":1,\"id\":3,\"ok\":false,\"error\":{\"code\":\"ENOENT\",\"errno\":2,"
		  "\"message\":\"no domain 'web'\"}}",
		  -ENOENT, "no domain 'web'" },
		/* An error with id 0 answers a request the peer could not read. */
		{ "{\"kdom\":1,\"id\":0,\"ok\":false,\"error\":{\"code\":\"EMSGSIZE\",\"errno\":90,"
		  "\"message\":\"message longer than 65536 bytes\"}}",
		  -EMSGSIZE, "message longer than 65536 bytes" },
		{ "{\"kdom\":1,\"id\":0,\"ok\":true,\"result\":{}}", -EPROTO,
		  "the reply to request 0 where the reply to 3 was due" },
		{ "{\"kdom\":1,\"id\":4,\"ok\":true,\"result\":{}}", -EPROTO,
		  "the reply to request 4 where the reply to 3 was due" },
		{ "{\"kdom\":1,\"id\":4,\"ok\":false,\"error\":{\"code\":\"EIO\",\"errno\":5,"
		  "\"message\":\"x\"}}",
		  -EPROTO, "the reply to request 4 where the reply to 3 was due" },
		{ "{\"kdom\":1,\"event\":\"domain\",\"domid\":3}", -EPROTO,
		  "an event where the reply to request 3 was due" },
		{ "[]", -EBADMSG, "message is not a JSON object" },
		{ "{\"id\":3,\"ok\":true,\"result\":{}}", -EBADMSG, "'kdom' is missing" },
		{ "{\"kdom\":2,\"id\":3,\"ok\":true,\"result\":{}}", -EPROTONOSUPPORT,
		  "protocol version 2 is not supported (only 1 is)" },
		{ "{\"kdom\":1,\"ok\":true,\"result\":{}}", -EBADMSG, "'id' is missing" },
		{ "{\"kdom\":1,\"id\":-3,\"ok\":true,\"result\":{}}", -EBADMSG,
		  "'id' must be an integer from 0 to 2^53" },
		{ "{\"kdom\":1,\"id\":3,\"result\":{}}", -EBADMSG, "'ok' is missing" },
		{ "{\"kdom\":1,\"id\":3,\"ok\":1,\"result\":{}}", -EBADMSG,
		  "'ok' must be true or false" },
		{ "{\"kdom\":1,\"id\":3,\"ok\":true}", -EBADMSG, "'result' is missing" },
		{ "{\"kdom\":1,\"id\":3,\"ok\":true,\"result\":[]}", -EBADMSG,
		  "'result' must be an object" },
		{ "{\"kdom\":1,\"id\":3,\"ok\":false}", -EBADMSG, "'error' is missing" },
		{ "{\"kdom\":1,\"id\":3,\"ok\":false,\"error\":\"ENOENT\"}", -EBADMSG,
		  "'error' must be an object" },
		{ "{\"kdom\":1,\"id\":3,\"ok\":false,\"error\":{\"errno\":2,\"message\":\"m\"}}",
		  -EBADMSG, "'error.code' must be a string" },
		{ "{\"kdom\":1,\"id\":3,\"ok\":false,\"error\":{\"code\":\"ENOENT\",\"errno\":"
		  "\"2\","
		  "\"message\":\"m\"}}",
		  -EBADMSG, "'error.errno' must be an integer from 1 to 4095" },
		{ "{\"kdom\":1,\"id\":3,\"ok\":false,\"error\":{\"code\":\"X\",\"errno\":0,"
		  "\"message\":\"m\"}}",
		  -EBADMSG, "'error.errno' must be an integer from 1 to 4095" },
		{ "{\"kdom\":1,\"id\":3,\"ok\":false,\"error\":{\"code\":\"X\",\"errno\":4096,"
		  "\"message\":\"m\"}}",
		  -EBADMSG, "'error.errno' must be an integer from 1 to 4095" },
		{ "{\"kdom\":1,\"id\":3,\"ok\":false,\"error\":{\"code\":\"ENOENT\",\"errno\":2}}",
		  -EBADMSG, "'error.message' must be a string" },
	};
	const json_t *result;
	char err[256];
	json_t *msg;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		msg = parse(cases[i].json);
		result = (const json_t *)1;
		err[0] = '\0';
		ck_assert_msg(msg_parse_reply(msg, 3, &result, err, sizeof(err)) == cases[i].ret,
			      "%s", cases[i].json);
		ck_assert_str_eq(err, cases[i].err);
		ck_assert_ptr_null(result);
		json_decref(msg);
	}

	msg = parse("{\"kdom\":1,\"id\":3,\"ok\":true,\"result\":{\"domid\":7}}");
	ck_assert_int_eq(msg_parse_reply(msg, 3, &result, err, sizeof(err)), 0);
	ck_assert_int_eq(json_integer_value(json_object_get(result, "domid")), 7);
	json_decref(msg);

	/* What the builders make, the check takes. */
	msg = msg_reply_ok(9, json_pack("{s:s}", "server", "kdomd 0.1"));
	ck_assert_int_eq(msg_parse_reply(msg, 9, &result, err, sizeof(err)), 0);
	ck_assert_str_eq(json_string_value(json_object_get(result, "server")), "kdomd 0.1");
	json_decref(msg);
	msg = msg_reply_error(9, EBUSY, "domain %d is %s", 3, "dying");
	ck_assert_int_eq(msg_parse_reply(msg, 9, &result, err, sizeof(err)), -EBUSY);
	ck_assert_str_eq(err, "domain 3 is dying");
	json_decref(msg);
}
END_TEST

START_TEST(test_builders)
{
	json_t *msg;
	char *text, *big;

	assert_json(msg_request(7, "destroy", json_pack("{s:s}", "domain", "web")),
		    "{\"args\":{\"domain\":\"web\"},\"id\":7,\"kdom\":1,\"op\":\"destroy\"}");
	assert_json(msg_request(1, "list", NULL), "{\"id\":1,\"kdom\":1,\"op\":\"list\"}");
	assert_json(msg_reply_ok(7, NULL), "{\"id\":7,\"kdom\":1,\"ok\":true,\"result\":{}}");
	assert_json(msg_reply_ok(7, json_pack("{s:i,s:s}", "domid", 3, "name", "web")),
		    "{\"id\":7,\"kdom\":1,\"ok\":true,\"result\":{\"domid\":3,\"name\":\"web\"}}");
	assert_json(msg_reply_error(7, ENOENT, "no domain '%s'", "web"),
		    "{\"error\":{\"code\":\"ENOENT\",\"errno\":2,\"message\":\"no domain 'web'\"},"
		    "\"id\":7,\"kdom\":1,\"ok\":false}");
	assert_json(msg_reply_error(0, EMSGSIZE, "message longer than %d bytes", KDOM_MSG_MAX),
		    "{\"error\":{\"code\":\"EMSGSIZE\",\"errno\":90,"
		    "\"message\":\"message longer than 65536 bytes\"},\"id\":0,\"kdom\":1,"
		    "\"ok\":false}");
	assert_json(msg_reply_error(2, 9999, "odd"),
		    "{\"error\":{\"code\":\"EUNKNOWN\",\"errno\":9999,\"message\":\"odd\"},"
		    "\"id\":2,\"kdom\":1,\"ok\":false}");
	/* Bytes that are not UTF-8 become '?'; UTF-8 stays. */
	assert_json(msg_reply_error(3, EINVAL, "bad file %s", "caf\xc3\xa9-\xff\xc3-\xed\xa0\x80"),
		    "{\"error\":{\"code\":\"EINVAL\",\"errno\":22,"
		    "\"message\":\"bad file "
		    "caf\xc3\xa9-?\?-?\?\?\"},\"id\":3,\"kdom\":1,\"ok\":false}");
	assert_json(msg_event("domain", json_pack("{s:i,s:s,s:s,s:s,s:s,s:f}", "domid", 3, "name",
						  "web", "state", "shutdown", "reason", "crash",
						  "action", "restart", "time", 1764083400.25)),
		    "{\"action\":\"restart\",\"domid\":3,\"event\":\"domain\",\"kdom\":1,"
		    "\"name\":\"web\",\"reason\":\"crash\",\"state\":\"shutdown\","
		    "\"time\":1764083400.25}");
	assert_json(msg_event("stopped", NULL), "{\"event\":\"stopped\",\"kdom\":1}");
	/* A body cannot override the version or the name. */
	assert_json(msg_event("stopped", json_pack("{s:i,s:s,s:s}", "kdom", 9, "event", "x",
						   "reason", "poweroff")),
		    "{\"event\":\"stopped\",\"kdom\":1,\"reason\":\"poweroff\"}");
	ck_assert_ptr_null(msg_event("stopped", json_array()));

	/* On the wire the version comes first. */
	msg = msg_request(7, "info", json_pack("{s:s}", "domain", "web"));
	text = json_dumps(msg, JSON_COMPACT);
	ck_assert_str_eq(text,
			 "{\"kdom\":1,\"id\":7,\"op\":\"info\",\"args\":{\"domain\":\"web\"}}");
	free(text);
	json_decref(msg);

	/* An endless message is cut so that its reply still fits in one message. */
	big = malloc(100000);
	ck_assert_ptr_nonnull(big);
	memset(big, 'm', 99999);
	big[99999] = '\0';
	msg = msg_reply_error(1, EIO, "%s", big);
	ck_assert_uint_eq(strlen(json_string_value(
				  json_object_get(json_object_get(msg, "error"), "message"))),
			  4096);
	json_decref(msg);
	free(big);
}
END_TEST

START_TEST(test_errno_names)
{
	static const struct {
		int value;
		const char *name;
	} names[] = {
		{ EPERM, "EPERM" },
		{ ENOENT, "ENOENT" },
		{ EINTR, "EINTR" },
		{ EIO, "EIO" },
		{ E2BIG, "E2BIG" },
		{ ENOMEM, "ENOMEM" },
		{ EACCES, "EACCES" },
		{ EBUSY, "EBUSY" },
		{ EEXIST, "EEXIST" },
		{ EINVAL, "EINVAL" },
		{ ENOSPC, "ENOSPC" },
		{ EPIPE, "EPIPE" },
		{ ERANGE, "ERANGE" },
		{ ENOSYS, "ENOSYS" },
		{ EBADMSG, "EBADMSG" },
		{ EMSGSIZE, "EMSGSIZE" },
		{ EPROTO, "EPROTO" },
		{ EPROTONOSUPPORT, "EPROTONOSUPPORT" },
		{ EOPNOTSUPP, "EOPNOTSUPP" },
		{ ETIMEDOUT, "ETIMEDOUT" },
		{ ECONNREFUSED, "ECONNREFUSED" },
		{ ECONNRESET, "ECONNRESET" },
		{ ENOTCONN, "ENOTCONN" },
		{ EAGAIN, "EAGAIN" },
		{ ESRCH, "ESRCH" },
		{ ECHILD, "ECHILD" },
		{ ENODEV, "ENODEV" },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		ck_assert_str_eq(msg_errno_name(names[i].value), names[i].name);
		ck_assert_int_eq(msg_errno_value(names[i].name), names[i].value);
	}
	/* Every errno Linux has that the table names goes there and back. */
	for (int e = 1; e < 200; e++) {
		const char *name = msg_errno_name(e);

		if (strcmp(name, "EUNKNOWN"))
			ck_assert_int_eq(msg_errno_value(name), e);
	}
	ck_assert_str_eq(msg_errno_name(ENOENT), "ENOENT");
	ck_assert_str_eq(msg_errno_name(-ENOENT), "ENOENT");
	ck_assert_str_eq(msg_errno_name(0), "EUNKNOWN");
	ck_assert_str_eq(msg_errno_name(4000), "EUNKNOWN");
	ck_assert_int_eq(msg_errno_value("EUNKNOWN"), 0);
	ck_assert_int_eq(msg_errno_value("enoent"), 0);
	ck_assert_int_eq(msg_errno_value(""), 0);
	ck_assert_int_eq(msg_errno_value(NULL), 0);
}
END_TEST

START_TEST(test_getters)
{
	json_t *args = parse("{\"name\":\"web\",\"n\":5,\"paused\":true,\"real\":2.0,\"big\":"
			     "9007199254740993,\"neg\":-4,\"null\":null}");
	const char *s;
	char err[256];
	int64_t i;
	bool b;

	ck_assert_int_eq(msg_get_string(args, "name", true, &s, err, sizeof(err)), 0);
	ck_assert_str_eq(s, "web");
	ck_assert_int_eq(msg_get_string(args, "missing", false, &s, err, sizeof(err)), 0);
	ck_assert_ptr_null(s);
	ck_assert_int_eq(msg_get_string(NULL, "name", false, &s, err, sizeof(err)), 0);
	ck_assert_ptr_null(s);
	ck_assert_int_eq(msg_get_string(args, "missing", true, &s, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "'missing' is missing");
	ck_assert_int_eq(msg_get_string(NULL, "domain", true, &s, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "'domain' is missing");
	ck_assert_int_eq(msg_get_string(args, "n", false, &s, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "'n' must be a string");
	ck_assert_int_eq(msg_get_string(args, "null", false, &s, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "'null' must be a string");

	ck_assert_int_eq(msg_get_bool(args, "paused", false, &b, err, sizeof(err)), 0);
	ck_assert(b);
	ck_assert_int_eq(msg_get_bool(args, "missing", true, &b, err, sizeof(err)), 0);
	ck_assert(b);
	ck_assert_int_eq(msg_get_bool(NULL, "wait", false, &b, err, sizeof(err)), 0);
	ck_assert(!b);
	ck_assert_int_eq(msg_get_bool(args, "name", false, &b, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "'name' must be true or false");
	ck_assert_int_eq(msg_get_bool(args, "n", false, &b, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "'n' must be true or false");

	ck_assert_int_eq(msg_get_int(args, "n", 1, 8, 1, &i, err, sizeof(err)), 0);
	ck_assert_int_eq(i, 5);
	ck_assert_int_eq(msg_get_int(args, "n", 5, 5, 1, &i, err, sizeof(err)), 0);
	ck_assert_int_eq(i, 5);
	ck_assert_int_eq(msg_get_int(args, "missing", 1, 8, 3, &i, err, sizeof(err)), 0);
	ck_assert_int_eq(i, 3);
	ck_assert_int_eq(msg_get_int(NULL, "n", 1, 8, 2, &i, err, sizeof(err)), 0);
	ck_assert_int_eq(i, 2);
	ck_assert_int_eq(msg_get_int(args, "n", 1, 4, 1, &i, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "'n' must be from 1 to 4");
	ck_assert_int_eq(msg_get_int(args, "n", 6, 8, 6, &i, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "'n' must be from 6 to 8");
	ck_assert_int_eq(msg_get_int(args, "neg", 0, INT64_MAX, 0, &i, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "'neg' must be from 0 to 9223372036854775807");
	ck_assert_int_eq(msg_get_int(args, "big", INT64_MIN, INT64_MAX, 0, &i, err, sizeof(err)),
			 0);
	ck_assert_int_eq(i, 9007199254740993LL);
	ck_assert_int_eq(msg_get_int(args, "real", 0, 8, 0, &i, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "'real' must be an integer");
	ck_assert_int_eq(msg_get_int(args, "name", 0, 8, 0, &i, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "'name' must be an integer");
	json_decref(args);
}
END_TEST

/* ---- Sending and receiving ------------------------------------------------------ */

/* A message {"p":"xx..."} whose compact text is size bytes, without the newline. */
static json_t *sized_msg(size_t size)
{
	char *pad = malloc(size);
	json_t *msg;

	ck_assert_ptr_nonnull(pad);
	memset(pad, 'x', size - 8);
	pad[size - 8] = '\0';
	msg = json_pack("{s:s}", "p", pad);
	free(pad);
	return msg;
}

START_TEST(test_send_recv_socketpair)
{
	struct msg_reader r;
	char err[256], byte;
	json_t *msg, *got;
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	msg_reader_init(&r);

	msg = msg_request(1, "hello", json_pack("{s:s}", "client", "test"));
	ck_assert_int_eq(msg_send(sv[0], msg), 0);
	ck_assert_int_eq(msg_recv(sv[1], &r, &got, err, sizeof(err)), 1);
	ck_assert(json_equal(msg, got));
	json_decref(got);
	json_decref(msg);

	/* Exactly at the limit: 65535 bytes and the newline. */
	msg = sized_msg(KDOM_MSG_MAX - 1);
	ck_assert_int_eq(msg_send(sv[0], msg), 0);
	ck_assert_int_eq(msg_recv(sv[1], &r, &got, err, sizeof(err)), 1);
	ck_assert(json_equal(msg, got));
	ck_assert_uint_eq(strlen(json_string_value(json_object_get(got, "p"))), KDOM_MSG_MAX - 9);
	json_decref(got);
	json_decref(msg);

	/* One over: refused, nothing written. */
	msg = sized_msg(KDOM_MSG_MAX);
	ck_assert_int_eq(msg_send(sv[0], msg), -EMSGSIZE);
	json_decref(msg);
	ck_assert_int_eq(recv(sv[1], &byte, 1, MSG_DONTWAIT), -1);
	ck_assert_int_eq(errno, EAGAIN);
	msg = json_array();
	ck_assert_int_eq(msg_send(sv[0], msg), -EINVAL);
	json_decref(msg);

	/* A bad line, then a good one, then a partial line and the end. */
	write_str(sv[0], "oops\n{\"kdom\":1,\"seq\":2}\n{\"kdom\"");
	ck_assert_int_eq(msg_recv(sv[1], &r, &got, err, sizeof(err)), -EBADMSG);
	ck_assert_str_eq(err, "invalid JSON at column 4: invalid token near 'oops'");
	ck_assert_int_eq(msg_recv(sv[1], &r, &got, err, sizeof(err)), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(got, "seq")), 2);
	json_decref(got);
	close(sv[0]);
	ck_assert_int_eq(msg_recv(sv[1], &r, &got, err, sizeof(err)), -ECONNRESET);
	ck_assert_str_eq(err, "end of file");
	ck_assert_ptr_null(got);

	/* The peer gone: EPIPE, and no SIGPIPE (which would end this test). */
	msg = msg_reply_ok(1, NULL);
	ck_assert_int_eq(msg_send(sv[1], msg), -EPIPE);
	json_decref(msg);
	close(sv[1]);
	msg_reader_free(&r);
}
END_TEST

START_TEST(test_send_recv_pipe)
{
	struct msg_reader r;
	json_t *msg, *got;
	char err[256];
	int p[2];

	ck_assert_int_eq(pipe(p), 0);
	msg_reader_init(&r);
	msg = msg_event("domain", json_pack("{s:i}", "domid", 3));
	ck_assert_int_eq(msg_send(p[1], msg), 0); /* not a socket: write() */
	ck_assert_int_eq(msg_recv(p[0], &r, &got, err, sizeof(err)), 1);
	ck_assert(json_equal(msg, got));
	json_decref(got);
	json_decref(msg);
	msg = parse("{}");
	ck_assert_int_eq(msg_send(-1, msg), -EBADF);
	json_decref(msg);
	close(p[1]);
	ck_assert_int_eq(msg_recv(p[0], &r, &got, err, sizeof(err)), -ECONNRESET);
	close(p[0]);
	msg_reader_free(&r);
}
END_TEST

struct slow_peer {
	int fd;
	json_t *msg;
	int ret;
};

/* Read one message from fd, after the other side had time to fill its buffer. */
static void *slow_reader_run(void *arg)
{
	struct slow_peer *s = arg;
	struct msg_reader r;
	char err[256];

	usleep(50000);
	msg_reader_init(&r);
	s->ret = msg_recv(s->fd, &r, &s->msg, err, sizeof(err));
	msg_reader_free(&r);
	return NULL;
}

/* Write the end of a message to fd, after the other side had time to wait for it. */
static void *slow_writer_run(void *arg)
{
	struct slow_peer *s = arg;

	usleep(50000);
	s->ret = (int)write(s->fd, "\"seq\":8}\n", 9);
	return NULL;
}

START_TEST(test_send_recv_nonblocking)
{
	struct slow_peer s = { 0 };
	int sv[2], small = 4096;
	struct msg_reader r;
	pthread_t thread;
	char err[256];
	json_t *msg;

	/* A big message through a small non-blocking buffer: all of it, in order. */
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)), 0);
	ck_assert_int_eq(fcntl(sv[0], F_SETFL, O_NONBLOCK), 0);
	s.fd = sv[1];
	ck_assert_int_eq(pthread_create(&thread, NULL, slow_reader_run, &s), 0);
	msg = sized_msg(60000);
	ck_assert_int_eq(msg_send(sv[0], msg), 0);
	ck_assert_int_eq(pthread_join(thread, NULL), 0);
	ck_assert_int_eq(s.ret, 1);
	ck_assert(json_equal(msg, s.msg));
	json_decref(s.msg);
	json_decref(msg);

	/* A non-blocking read end waits for the rest of the message. */
	ck_assert_int_eq(fcntl(sv[1], F_SETFL, O_NONBLOCK), 0);
	msg_reader_init(&r);
	write_str(sv[0], "{\"kdom\":1,");
	s.fd = sv[0];
	ck_assert_int_eq(pthread_create(&thread, NULL, slow_writer_run, &s), 0);
	ck_assert_int_eq(msg_recv(sv[1], &r, &msg, err, sizeof(err)), 1);
	ck_assert_int_eq(pthread_join(thread, NULL), 0);
	ck_assert_int_eq(s.ret, 9);
	ck_assert_int_eq(json_integer_value(json_object_get(msg, "seq")), 8);
	json_decref(msg);
	msg_reader_free(&r);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

/* ---- The client, against a scripted daemon ---------------------------------------- */

/*
 * One step of the daemon's script: with op, read a request, which must be op, and answer
 * with reply (a printf format given the request's id); without op, just send reply.
 * A NULL reply answers nothing.
 */
struct server_step {
	const char *op;
	const char *reply;
};

struct test_server {
	char dir[64];
	char path[128];
	int listen_fd;
	pthread_t thread;
	const struct server_step *steps;
	size_t nsteps;
	uint64_t ids[16];
	size_t nids;
	char failure[512]; /* what went wrong in the thread, checked after it ends */
};

#define HELLO_OK                                                              \
	"{\"kdom\":1,\"id\":%llu,\"ok\":true,\"result\":{\"server\":\"kdomd " \
	"0.1\",\"version\":1}}\n"

static void server_fail(struct test_server *s, const char *what)
{
	if (!s->failure[0])
		snprintf(s->failure, sizeof(s->failure), "server: %s", what);
}

static void *server_run(void *arg)
{
	struct test_server *s = arg;
	struct msg_reader r;
	int fd = accept(s->listen_fd, NULL, NULL);

	if (fd < 0) {
		server_fail(s, "accept failed");
		return NULL;
	}
	msg_reader_init(&r);
	for (size_t i = 0; i < s->nsteps; i++) {
		const struct server_step *step = &s->steps[i];
		unsigned long long id = 0;
		char err[256], line[512];

		if (step->op) {
			const char *op, *client;
			const json_t *args;
			json_t *msg;
			uint64_t got;

			if (msg_recv(fd, &r, &msg, err, sizeof(err)) != 1) {
				server_fail(s, "no request");
				break;
			}
			if (msg_parse_request(msg, &got, &op, &args, err, sizeof(err)))
				server_fail(s, err);
			else if (strcmp(op, step->op))
				server_fail(s, op);
			else if (!strcmp(op, "hello") &&
				 (msg_get_string(args, "client", true, &client, err, sizeof(err)) ||
				  strcmp(client, "kdom 0.1")))
				server_fail(s, "hello without client");
			id = got;
			if (s->nids < sizeof(s->ids) / sizeof(s->ids[0]))
				s->ids[s->nids++] = got;
			json_decref(msg);
		}
		if (step->reply) {
			snprintf(line, sizeof(line), step->reply, id);
			if (write(fd, line, strlen(line)) != (ssize_t)strlen(line))
				server_fail(s, "short write");
		}
	}
	msg_reader_free(&r);
	close(fd);
	return NULL;
}

static void server_start(struct test_server *s, const struct server_step *steps, size_t nsteps)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };

	memset(s, 0, sizeof(*s));
	strcpy(s->dir, "/tmp/kdom-test-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(s->dir));
	snprintf(s->path, sizeof(s->path), "%s/kdomd.sock", s->dir);
	strcpy(addr.sun_path, s->path);
	s->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(s->listen_fd, 0);
	ck_assert_int_eq(bind(s->listen_fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	ck_assert_int_eq(listen(s->listen_fd, 1), 0);
	s->steps = steps;
	s->nsteps = nsteps;
	ck_assert_int_eq(pthread_create(&s->thread, NULL, server_run, s), 0);
}

static void server_stop(struct test_server *s)
{
	ck_assert_int_eq(pthread_join(s->thread, NULL), 0);
	close(s->listen_fd);
	unlink(s->path);
	rmdir(s->dir);
	ck_assert_msg(!s->failure[0], "%s", s->failure);
}

START_TEST(test_client_session)
{
	static const struct server_step steps[] = {
		{ "hello", HELLO_OK },
		{ "list", "{\"kdom\":1,\"id\":%llu,\"ok\":true,\"result\":{\"domains\":[]}}\n" },
		{ "destroy", "{\"kdom\":1,\"id\":%llu,\"ok\":false,\"error\":{\"code\":\"ENOENT\","
			     "\"errno\":2,\"message\":\"no domain 'web'\"}}\n" },
		/* kdomd's own EBADMSG is its answer, not a malformed reply. */
		{ "info", "{\"kdom\":1,\"id\":%llu,\"ok\":false,\"error\":{\"code\":\"EBADMSG\","
			  "\"errno\":74,\"message\":\"'domain' must be a string\"}}\n" },
		{ "pause", "{\"kdom\":1,\"id\":99,\"ok\":true,\"result\":{}}\n" },
		{ "unpause", "{\"kdom\":1,\"event\":\"domain\",\"domid\":3}\n" },
		{ "reboot", "{\"kdom\":1,\"id\":%llu,\"ok\":\"yes\"}\n" },
		{ "subscribe", "{\"kdom\":1,\"id\":%llu,\"ok\":true,\"result\":{}}\n" },
		{ NULL, "{\"kdom\":1,\"event\":\"domain\",\"domid\":3,\"state\":\"running\"}\n" },
		{ NULL, "{\"kdom\":1,\"id\":1,\"ok\":true,\"result\":{}}\n" },
		{ NULL, "garbage\n" },
		{ NULL, "{\"kdom\":1,\"event\":7}\n" },
	};
	struct test_server s;
	struct kdom_client c;
	json_t *result, *event;
	char err[256];

	server_start(&s, steps, sizeof(steps) / sizeof(steps[0]));
	ck_assert_int_eq(kdom_client_open(&c, s.path, err, sizeof(err)), 0);
	ck_assert_str_eq(c.path, s.path);

	ck_assert_int_eq(kdom_client_call(&c, "list", NULL, &result, err, sizeof(err)), 0);
	ck_assert(json_is_array(json_object_get(result, "domains")));
	json_decref(result);

	ck_assert_int_eq(kdom_client_call(&c, "destroy", json_pack("{s:s}", "domain", "web"),
					  &result, err, sizeof(err)),
			 -ENOENT);
	ck_assert_str_eq(err, "no domain 'web'");
	ck_assert_ptr_null(result);

	ck_assert_int_eq(kdom_client_call(&c, "info", json_pack("{s:i}", "domain", 3), NULL, err,
					  sizeof(err)),
			 -EBADMSG);
	ck_assert_str_eq(err, "'domain' must be a string");

	ck_assert_int_eq(kdom_client_call(&c, "pause", NULL, &result, err, sizeof(err)), -EPROTO);
	ck_assert_str_eq(err, "kdomd answered out of order: the reply to request 99 where the "
			      "reply to 5 was due");
	ck_assert_ptr_null(result);

	ck_assert_int_eq(kdom_client_call(&c, "unpause", NULL, &result, err, sizeof(err)), -EPROTO);
	ck_assert_str_eq(err, "kdomd answered out of order: an event where the reply to request 6 "
			      "was due");

	ck_assert_int_eq(kdom_client_call(&c, "reboot", NULL, &result, err, sizeof(err)), -EBADMSG);
	ck_assert_str_eq(err, "kdomd sent a bad reply: 'ok' must be true or false");

	ck_assert_int_eq(kdom_client_call(&c, "subscribe", NULL, NULL, err, sizeof(err)), 0);
	ck_assert_int_eq(kdom_client_next_event(&c, &event, err, sizeof(err)), 1);
	ck_assert_str_eq(json_string_value(json_object_get(event, "state")), "running");
	json_decref(event);
	ck_assert_int_eq(kdom_client_next_event(&c, &event, err, sizeof(err)), -EPROTO);
	ck_assert_str_eq(err, "kdomd answered out of order: a reply where an event was due");
	ck_assert_ptr_null(event);
	ck_assert_int_eq(kdom_client_next_event(&c, &event, err, sizeof(err)), -EBADMSG);
	ck_assert_str_eq(err, "kdomd sent a bad message: invalid JSON at column 7: invalid token "
			      "near 'garbage'");
	ck_assert_int_eq(kdom_client_next_event(&c, &event, err, sizeof(err)), -EBADMSG);
	ck_assert_str_eq(err, "kdomd sent a bad event: 'event' must be a string");
	ck_assert_int_eq(kdom_client_next_event(&c, &event, err, sizeof(err)), -ECONNRESET);
	ck_assert_str_eq(err, "kdomd closed the connection");
	ck_assert_int_eq(kdom_client_call(&c, "list", NULL, &result, err, sizeof(err)),
			 -ECONNRESET);
	ck_assert_str_eq(err, "kdomd closed the connection");
	server_stop(&s);

	/* Ids go up from 1, one per request, none skipped. */
	ck_assert_uint_eq(s.nids, 8);
	for (size_t i = 0; i < s.nids; i++)
		ck_assert_uint_eq(s.ids[i], i + 1);

	kdom_client_close(&c);
	ck_assert_int_eq(c.fd, -1);
	kdom_client_close(&c);
	ck_assert_int_eq(kdom_client_call(&c, "list", json_object(), &result, err, sizeof(err)),
			 -ENOTCONN);
	ck_assert_str_eq(err, "not connected to kdomd");
	ck_assert_int_eq(kdom_client_next_event(&c, &event, err, sizeof(err)), -ENOTCONN);
}
END_TEST

/* Open against a daemon whose answer to hello is reply; expect ret and err. */
static void check_open_refused(const char *reply, int ret, const char *expected_err)
{
	const struct server_step steps[] = { { "hello", reply } };
	struct test_server s;
	struct kdom_client c;
	char err[256] = "", expected[256];

	server_start(&s, steps, 1);
	ck_assert_int_eq(kdom_client_open(&c, s.path, err, sizeof(err)), ret);
	snprintf(expected, sizeof(expected), expected_err, s.path);
	ck_assert_str_eq(err, expected);
	ck_assert_int_eq(c.fd, -1);
	kdom_client_close(&c);
	server_stop(&s);
}

START_TEST(test_client_open_refused)
{
	check_open_refused("{\"kdom\":1,\"id\":%llu,\"ok\":false,\"error\":{\"code\":"
			   "\"EPROTONOSUPPORT\",\"errno\":93,\"message\":\"protocol version 1 "
			   "is not supported (only 2 is)\"}}\n",
			   -EPROTONOSUPPORT, "protocol version 1 is not supported (only 2 is)");
	check_open_refused("{\"kdom\":1,\"id\":%llu,\"ok\":true,\"result\":{\"version\":2}}\n",
			   -EPROTONOSUPPORT,
			   "kdomd at %s speaks protocol version 2, this kdom speaks 1");
	check_open_refused("{\"kdom\":1,\"id\":%llu,\"ok\":true,\"result\":{}}\n", -EPROTO,
			   "kdomd at %s did not say its protocol version");
	check_open_refused(NULL, -ECONNRESET, "kdomd closed the connection");
	check_open_refused(
		"{\"kdom\":2,\"id\":%llu,\"ok\":true,\"result\":{}}\n", -EPROTONOSUPPORT,
		"kdomd sent a bad reply: protocol version 2 is not supported (only 1 is)");
}
END_TEST

START_TEST(test_client_connect_errors)
{
	char dir[] = "/tmp/kdom-test-XXXXXX", path[128], expected[512], err[256];
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	char long_path[300];
	struct kdom_client c;
	int fd;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/kdomd.sock", dir);

	ck_assert_int_eq(kdom_client_open(&c, path, err, sizeof(err)), -ENOENT);
	snprintf(expected, sizeof(expected),
		 "cannot connect to kdomd at %s: No such file or directory (is kdomd running?)",
		 path);
	ck_assert_str_eq(err, expected);
	ck_assert_int_eq(c.fd, -1);
	kdom_client_close(&c);

	/* A socket nobody listens on. */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	strcpy(addr.sun_path, path);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	ck_assert_int_eq(kdom_client_open(&c, path, err, sizeof(err)), -ECONNREFUSED);
	snprintf(expected, sizeof(expected),
		 "cannot connect to kdomd at %s: Connection refused (is kdomd running?)", path);
	ck_assert_str_eq(err, expected);
	close(fd);
	unlink(path);
	rmdir(dir);

	memset(long_path, 'a', 108);
	long_path[0] = '/';
	long_path[108] = '\0';
	ck_assert_int_eq(kdom_client_open(&c, long_path, err, sizeof(err)), -ENAMETOOLONG);
	ck_assert_ptr_nonnull(
		strstr(err, "the kdomd socket path is too long (108 bytes, at most 107): /aaa"));
	ck_assert_int_eq(c.fd, -1);
	ck_assert_int_eq(kdom_client_open(&c, "", err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "the kdomd socket path is empty");
	ck_assert_int_eq(kdom_client_open(&c, NULL, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(c.fd, -1);
}
END_TEST

START_TEST(test_client_socket_path)
{
	unsetenv(KDOM_SOCKET_ENV);
	ck_assert_str_eq(kdom_client_socket_path(NULL), KDOM_SOCKET_DEFAULT);
	ck_assert_str_eq(kdom_client_socket_path(NULL), "/run/kdom/kdomd.sock");
	ck_assert_str_eq(kdom_client_socket_path("/tmp/x.sock"), "/tmp/x.sock");
	setenv(KDOM_SOCKET_ENV, "", 1);
	ck_assert_str_eq(kdom_client_socket_path(NULL), KDOM_SOCKET_DEFAULT);
	setenv(KDOM_SOCKET_ENV, "/tmp/env.sock", 1);
	ck_assert_str_eq(kdom_client_socket_path(NULL), "/tmp/env.sock");
	ck_assert_str_eq(kdom_client_socket_path(""), "/tmp/env.sock");
	ck_assert_str_eq(kdom_client_socket_path("/tmp/x.sock"), "/tmp/x.sock");
	unsetenv(KDOM_SOCKET_ENV);
}
END_TEST

START_TEST(test_client_close_zeroed)
{
	struct kdom_client c;
	int p[2], saved = dup(0);

	/* A zeroed client has fd 0, which is not its own: closing it leaves fd 0 alone. */
	ck_assert_int_ge(saved, 0);
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(dup2(p[0], 0), 0);
	memset(&c, 0, sizeof(c));
	kdom_client_close(&c);
	ck_assert_int_ge(fcntl(0, F_GETFD), 0);
	ck_assert_int_eq(dup2(saved, 0), 0);
	close(saved);
	close(p[0]);
	close(p[1]);
}
END_TEST

Suite *protocol_suite(void)
{
	Suite *s = suite_create("protocol");
	TCase *framing = tcase_create("framing");
	TCase *messages = tcase_create("messages");
	TCase *client = tcase_create("client");

	tcase_set_timeout(framing, 60);
	tcase_add_test(framing, test_reader_basic);
	tcase_add_test(framing, test_reader_random_chunks);
	tcase_add_test(framing, test_reader_many_per_chunk);
	tcase_add_test(framing, test_reader_limit);
	tcase_add_test(framing, test_reader_huge_line_bounded);
	tcase_add_test(framing, test_reader_bad_lines);
	tcase_add_test(framing, test_reader_deep_nesting);
	tcase_add_test(framing, test_send_recv_socketpair);
	tcase_add_test(framing, test_send_recv_pipe);
	tcase_add_test(framing, test_send_recv_nonblocking);
	suite_add_tcase(s, framing);

	tcase_add_test(messages, test_parse_request_malformed);
	tcase_add_test(messages, test_parse_request_good);
	tcase_add_test(messages, test_parse_reply);
	tcase_add_test(messages, test_builders);
	tcase_add_test(messages, test_errno_names);
	tcase_add_test(messages, test_getters);
	suite_add_tcase(s, messages);

	tcase_set_timeout(client, 30);
	tcase_add_test(client, test_client_session);
	tcase_add_test(client, test_client_open_refused);
	tcase_add_test(client, test_client_connect_errors);
	tcase_add_test(client, test_client_socket_path);
	tcase_add_test(client, test_client_close_zeroed);
	suite_add_tcase(s, client);
	return s;
}

/* The kdom control protocol (docs/protocol.md): line framing, message builders and checks. */
#include "control/protocol.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vmm/log.h"

#define MSG_ID_MAX (1ULL << 53)
#define MSG_OP_MAX 32
/* An error message is a sentence; a longer one is cut so that its reply always fits. */
#define MSG_TEXT_MAX 4096

void msg_reader_init(struct msg_reader *r)
{
	memset(r, 0, sizeof(*r));
}

void msg_reader_free(struct msg_reader *r)
{
	free(r->buf);
	memset(r, 0, sizeof(*r));
}

/*
 * Walk data as msg_reader_feed() takes it and return how many bytes it appends to buf; with
 * copy, append them and move the line state on.  An oversized line keeps its first
 * KDOM_MSG_MAX bytes and gets a newline of its own: msg_reader_next() meets it in its place and
 * knows it by its length, while the rest of it is dropped here as it arrives, so the buffer
 * never holds more than one such prefix per oversized line.
 */
static size_t reader_walk(struct msg_reader *r, const char *p, size_t n, bool copy)
{
	bool discarding = r->discarding;
	size_t tail = r->tail, added = 0;

	while (n) {
		const char *nl = memchr(p, '\n', n);
		size_t chunk = nl ? (size_t)(nl - p) + 1 : n;
		size_t text = nl ? chunk - 1 : chunk;

		if (discarding) {
			discarding = !nl;
		} else if (tail + text >= KDOM_MSG_MAX) {
			chunk = KDOM_MSG_MAX - tail;
			if (copy) {
				memcpy(r->buf + r->len + added, p, chunk);
				r->buf[r->len + added + chunk] = '\n';
			}
			added += chunk + 1;
			tail = 0;
			discarding = true;
		} else {
			if (copy)
				memcpy(r->buf + r->len + added, p, chunk);
			added += chunk;
			tail = nl ? 0 : tail + chunk;
		}
		p += chunk;
		n -= chunk;
	}
	if (copy) {
		r->len += added;
		r->tail = tail;
		r->discarding = discarding;
	}
	return added;
}

int msg_reader_feed(struct msg_reader *r, const void *data, size_t len)
{
	size_t need = reader_walk(r, data, len, false);

	if (r->len + need > r->cap && r->start) {
		memmove(r->buf, r->buf + r->start, r->len - r->start);
		r->len -= r->start;
		r->start = 0;
	}
	if (r->len + need > r->cap) {
		size_t cap = r->cap ? r->cap : 4096;
		char *buf;

		while (cap < r->len + need)
			cap *= 2;
		buf = realloc(r->buf, cap);
		if (!buf)
			return -ENOMEM;
		r->buf = buf;
		r->cap = cap;
	}
	reader_walk(r, data, len, true);
	return 0;
}

static const char *json_type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_NULL:
		return "null";
	}
	return "something else";
}

int msg_reader_next(struct msg_reader *r, json_t **msg, char *err, size_t errlen)
{
	*msg = NULL;
	for (;;) {
		size_t complete = r->len - r->start - r->tail;
		const char *line = r->buf + r->start;
		json_error_t jerr;
		size_t size;
		json_t *v;

		if (!complete)
			return 0;
		size = (size_t)((const char *)memchr(line, '\n', complete) - line) + 1;
		r->start += size;
		if (r->start == r->len)
			r->start = r->len = 0; /* the buffer stays allocated: line is still valid */
		if (size > KDOM_MSG_MAX) {
			set_err(err, errlen, "message longer than %d bytes", KDOM_MSG_MAX);
			return -EMSGSIZE;
		}
		if (size == 1)
			continue;
		v = json_loadb(line, size - 1, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
		if (!v) {
			set_err(err, errlen, "invalid JSON at column %d: %s", jerr.column,
				jerr.text);
			return -EBADMSG;
		}
		if (!json_is_object(v)) {
			set_err(err, errlen, "message is %s, not a JSON object", json_type_name(v));
			json_decref(v);
			return -EBADMSG;
		}
		*msg = v;
		return 1;
	}
}

/* Wait until fd is ready for events, for the fds that a caller made non-blocking. */
/* Wait for fd to be ready; timeout_ms -1 waits for ever.  0, -ETIMEDOUT or -errno. */
static int fd_wait(int fd, short events, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	int ret;

	while ((ret = poll(&pfd, 1, timeout_ms)) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	return ret == 0 ? -ETIMEDOUT : 0;
}

#define MSG_SEND_TIMEOUT_MS 5000

static int write_all(int fd, const char *p, size_t n)
{
	bool socket = true;

	while (n) {
		ssize_t done = socket ? send(fd, p, n, MSG_NOSIGNAL) : write(fd, p, n);
		int ret;

		if (done < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOTSOCK && socket) {
				socket = false;
				continue;
			}
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				return -errno;
			/* A peer that stops reading must not hold the sender: kdomd serves many. */
			ret = fd_wait(fd, POLLOUT, MSG_SEND_TIMEOUT_MS);
			if (ret)
				return ret;
			continue;
		}
		p += done;
		n -= (size_t)done;
	}
	return 0;
}

int msg_send(int fd, const json_t *msg)
{
	size_t size;
	char *text;
	int ret;

	if (!json_is_object(msg))
		return -EINVAL;
	size = json_dumpb(msg, NULL, 0, JSON_COMPACT);
	if (!size)
		return -EINVAL;
	if (size > KDOM_MSG_MAX - 1)
		return -EMSGSIZE;
	text = malloc(size + 1);
	if (!text)
		return -ENOMEM;
	if (json_dumpb(msg, text, size, JSON_COMPACT) != size) {
		free(text);
		return -EINVAL;
	}
	text[size] = '\n';
	ret = write_all(fd, text, size + 1);
	free(text);
	return ret;
}

int msg_recv(int fd, struct msg_reader *r, json_t **msg, char *err, size_t errlen)
{
	char chunk[16384];

	for (;;) {
		int ret = msg_reader_next(r, msg, err, errlen);
		ssize_t n;

		if (ret)
			return ret;
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0) {
			ret = -errno;
			if (ret == -EINTR)
				continue;
			if (ret == -EAGAIN || ret == -EWOULDBLOCK)
				ret = fd_wait(fd, POLLIN, -1);
			if (!ret)
				continue;
			set_err(err, errlen, "cannot read: %s", strerror(-ret));
			return ret;
		}
		if (n == 0) {
			set_err(err, errlen, "end of file");
			return -ECONNRESET;
		}
		ret = msg_reader_feed(r, chunk, (size_t)n);
		if (ret) {
			set_err(err, errlen, "out of memory");
			return ret;
		}
	}
}

/* A new message with its version: the members every message starts with. */
static json_t *msg_new(void)
{
	json_t *msg = json_object();

	if (msg && json_object_set_new(msg, "kdom", json_integer(KDOM_PROTOCOL_VERSION))) {
		json_decref(msg);
		return NULL;
	}
	return msg;
}

json_t *msg_request(uint64_t id, const char *op, json_t *args)
{
	json_t *msg = msg_new();

	if (!msg || json_object_set_new(msg, "id", json_integer((json_int_t)id)) ||
	    json_object_set_new(msg, "op", json_string(op))) {
		json_decref(msg);
		json_decref(args);
		return NULL;
	}
	if (args && json_object_set_new(msg, "args", args)) {
		json_decref(msg);
		return NULL;
	}
	return msg;
}

json_t *msg_reply_ok(uint64_t id, json_t *result)
{
	json_t *msg = msg_new();

	if (!result)
		result = json_object();
	if (!msg || json_object_set_new(msg, "id", json_integer((json_int_t)id)) ||
	    json_object_set_new(msg, "ok", json_true())) {
		json_decref(msg);
		json_decref(result);
		return NULL;
	}
	if (json_object_set_new(msg, "result", result)) {
		json_decref(msg);
		return NULL;
	}
	return msg;
}

/* Bytes that are not UTF-8 (a path, a line of a config file) become '?': JSON text is UTF-8. */
static void utf8_sanitize(char *s)
{
	unsigned char *p = (unsigned char *)s;

	while (*p) {
		size_t len, i;
		unsigned char lo = 0x80, hi = 0xbf;

		if (*p < 0x80) {
			p++;
			continue;
		}
		if (*p >= 0xc2 && *p <= 0xdf)
			len = 2;
		else if (*p >= 0xe0 && *p <= 0xef)
			len = 3;
		else if (*p >= 0xf0 && *p <= 0xf4)
			len = 4;
		else
			len = 0;
		if (*p == 0xe0)
			lo = 0xa0; /* overlong */
		else if (*p == 0xed)
			hi = 0x9f; /* surrogates */
		else if (*p == 0xf0)
			lo = 0x90; /* overlong */
		else if (*p == 0xf4)
			hi = 0x8f; /* beyond U+10FFFF */
		for (i = 1; i < len; i++) {
			if (p[i] < (i == 1 ? lo : 0x80) || p[i] > (i == 1 ? hi : 0xbf))
				break;
		}
		if (len && i == len) {
			p += len;
		} else {
			*p = '?';
			p++;
		}
	}
}

json_t *msg_reply_error(uint64_t id, int err, const char *fmt, ...)
{
	json_t *msg, *error;
	char *text;
	va_list ap;
	int n;

	if (err < 0 && err != INT_MIN)
		err = -err;
	va_start(ap, fmt);
	n = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	if (n > MSG_TEXT_MAX)
		text[MSG_TEXT_MAX] = '\0'; /* a sequence cut in two becomes '?' below */
	utf8_sanitize(text);
	error = json_object();
	if (!error || json_object_set_new(error, "code", json_string(msg_errno_name(err))) ||
	    json_object_set_new(error, "errno", json_integer(err)) ||
	    json_object_set_new(error, "message", json_string(text))) {
		free(text);
		json_decref(error);
		return NULL;
	}
	free(text);
	msg = msg_new();
	if (!msg || json_object_set_new(msg, "id", json_integer((json_int_t)id)) ||
	    json_object_set_new(msg, "ok", json_false())) {
		json_decref(msg);
		json_decref(error);
		return NULL;
	}
	if (json_object_set_new(msg, "error", error)) {
		json_decref(msg);
		return NULL;
	}
	return msg;
}

json_t *msg_event(const char *event, json_t *body)
{
	json_t *msg = msg_new();

	/* The body cannot override the version or the event's name. */
	if (!msg || json_object_set_new(msg, "event", json_string(event)) ||
	    (body && (!json_is_object(body) || json_object_update_missing(msg, body)))) {
		json_decref(msg);
		json_decref(body);
		return NULL;
	}
	json_decref(body);
	return msg;
}

static bool id_value(const json_t *v, uint64_t *id)
{
	json_int_t n;

	if (!json_is_integer(v))
		return false;
	n = json_integer_value(v);
	if (n < 0 || (uint64_t)n > MSG_ID_MAX)
		return false;
	*id = (uint64_t)n;
	return true;
}

static int check_version(const json_t *msg, char *err, size_t errlen)
{
	const json_t *v = json_object_get(msg, "kdom");

	if (!v) {
		set_err(err, errlen, "'kdom' is missing");
		return -EBADMSG;
	}
	if (!json_is_integer(v)) {
		set_err(err, errlen, "'kdom' must be an integer");
		return -EBADMSG;
	}
	if (json_integer_value(v) != KDOM_PROTOCOL_VERSION) {
		set_err(err, errlen,
			"protocol version %" JSON_INTEGER_FORMAT " is not supported (only %d is)",
			json_integer_value(v), KDOM_PROTOCOL_VERSION);
		return -EPROTONOSUPPORT;
	}
	return 0;
}

int msg_parse_request(const json_t *msg, uint64_t *id, const char **op, const json_t **args,
		      char *err, size_t errlen)
{
	const json_t *id_v, *op_v, *args_v;
	bool have_id;
	int ret;

	*id = 0;
	*op = NULL;
	*args = NULL;
	if (!json_is_object(msg)) {
		set_err(err, errlen, "message is not a JSON object");
		return -EBADMSG;
	}
	id_v = json_object_get(msg, "id");
	have_id = id_v && id_value(id_v, id);
	ret = check_version(msg, err, errlen);
	if (ret)
		return ret;
	if (!id_v) {
		set_err(err, errlen, "'id' is missing");
		return -EBADMSG;
	}
	if (!have_id) {
		set_err(err, errlen, "'id' must be an integer from 0 to 2^53");
		return -EBADMSG;
	}
	op_v = json_object_get(msg, "op");
	if (!op_v) {
		set_err(err, errlen, "'op' is missing");
		return -EBADMSG;
	}
	if (!json_is_string(op_v)) {
		set_err(err, errlen, "'op' must be a string");
		return -EBADMSG;
	}
	if (!json_string_length(op_v)) {
		set_err(err, errlen, "'op' is empty");
		return -EBADMSG;
	}
	if (json_string_length(op_v) > MSG_OP_MAX) {
		set_err(err, errlen, "'op' is longer than %d characters", MSG_OP_MAX);
		return -EBADMSG;
	}
	args_v = json_object_get(msg, "args");
	if (args_v && !json_is_object(args_v)) {
		set_err(err, errlen, "'args' must be an object");
		return -EBADMSG;
	}
	*op = json_string_value(op_v);
	*args = args_v;
	return 0;
}

/* The error a well-formed error reply carries: -errno, with its message in err. */
static int reply_error(const json_t *msg, char *err, size_t errlen)
{
	const json_t *error = json_object_get(msg, "error"), *v;
	json_int_t value;

	if (!error) {
		set_err(err, errlen, "'error' is missing");
		return -EBADMSG;
	}
	if (!json_is_object(error)) {
		set_err(err, errlen, "'error' must be an object");
		return -EBADMSG;
	}
	if (!json_is_string(json_object_get(error, "code"))) {
		set_err(err, errlen, "'error.code' must be a string");
		return -EBADMSG;
	}
	v = json_object_get(error, "errno");
	value = json_is_integer(v) ? json_integer_value(v) : 0;
	if (value < 1 || value > 4095) {
		set_err(err, errlen, "'error.errno' must be an integer from 1 to 4095");
		return -EBADMSG;
	}
	v = json_object_get(error, "message");
	if (!json_is_string(v)) {
		set_err(err, errlen, "'error.message' must be a string");
		return -EBADMSG;
	}
	set_err(err, errlen, "%s", json_string_value(v));
	return -(int)value;
}

int msg_parse_reply(const json_t *msg, uint64_t id, const json_t **result, char *err, size_t errlen)
{
	const json_t *id_v, *ok, *res;
	uint64_t reply_id;
	int ret;

	if (result)
		*result = NULL;
	if (!json_is_object(msg)) {
		set_err(err, errlen, "message is not a JSON object");
		return -EBADMSG;
	}
	ret = check_version(msg, err, errlen);
	if (ret)
		return ret;
	if (json_object_get(msg, "event")) {
		set_err(err, errlen, "an event where the reply to request %" PRIu64 " was due", id);
		return -EPROTO;
	}
	id_v = json_object_get(msg, "id");
	if (!id_v) {
		set_err(err, errlen, "'id' is missing");
		return -EBADMSG;
	}
	if (!id_value(id_v, &reply_id)) {
		set_err(err, errlen, "'id' must be an integer from 0 to 2^53");
		return -EBADMSG;
	}
	ok = json_object_get(msg, "ok");
	if (!ok) {
		set_err(err, errlen, "'ok' is missing");
		return -EBADMSG;
	}
	if (!json_is_boolean(ok)) {
		set_err(err, errlen, "'ok' must be true or false");
		return -EBADMSG;
	}
	/*
	 * An error with id 0 answers a request the peer could not read (too long, not JSON):
	 * replies come in request order, so it is the answer to this one.
	 */
	if (reply_id != id && !(reply_id == 0 && json_is_false(ok))) {
		set_err(err, errlen,
			"the reply to request %" PRIu64 " where the reply to %" PRIu64 " was due",
			reply_id, id);
		return -EPROTO;
	}
	if (json_is_false(ok))
		return reply_error(msg, err, errlen);
	res = json_object_get(msg, "result");
	if (!res) {
		set_err(err, errlen, "'result' is missing");
		return -EBADMSG;
	}
	if (!json_is_object(res)) {
		set_err(err, errlen, "'result' must be an object");
		return -EBADMSG;
	}
	if (result)
		*result = res;
	return 0;
}

#define ERRNO_ENTRY(e) \
	{              \
		e, #e  \
	}
static const struct {
	int value;
	const char *name;
} errno_names[] = {
	ERRNO_ENTRY(EPERM),	 ERRNO_ENTRY(ENOENT),	  ERRNO_ENTRY(ESRCH),
	ERRNO_ENTRY(EINTR),	 ERRNO_ENTRY(EIO),	  ERRNO_ENTRY(ENXIO),
	ERRNO_ENTRY(E2BIG),	 ERRNO_ENTRY(ENOEXEC),	  ERRNO_ENTRY(EBADF),
	ERRNO_ENTRY(ECHILD),	 ERRNO_ENTRY(EAGAIN),	  ERRNO_ENTRY(ENOMEM),
	ERRNO_ENTRY(EACCES),	 ERRNO_ENTRY(EFAULT),	  ERRNO_ENTRY(EBUSY),
	ERRNO_ENTRY(EEXIST),	 ERRNO_ENTRY(ENODEV),	  ERRNO_ENTRY(ENOTDIR),
	ERRNO_ENTRY(EISDIR),	 ERRNO_ENTRY(EINVAL),	  ERRNO_ENTRY(EMFILE),
	ERRNO_ENTRY(EFBIG),	 ERRNO_ENTRY(ENOSPC),	  ERRNO_ENTRY(EROFS),
	ERRNO_ENTRY(EPIPE),	 ERRNO_ENTRY(ERANGE),	  ERRNO_ENTRY(ENAMETOOLONG),
	ERRNO_ENTRY(ENOSYS),	 ERRNO_ENTRY(ENOTEMPTY),  ERRNO_ENTRY(ELOOP),
	ERRNO_ENTRY(EPROTO),	 ERRNO_ENTRY(EBADMSG),	  ERRNO_ENTRY(EOVERFLOW),
	ERRNO_ENTRY(ENOTSOCK),	 ERRNO_ENTRY(EMSGSIZE),	  ERRNO_ENTRY(EPROTONOSUPPORT),
	ERRNO_ENTRY(EOPNOTSUPP), ERRNO_ENTRY(EADDRINUSE), ERRNO_ENTRY(ECONNRESET),
	ERRNO_ENTRY(ENOTCONN),	 ERRNO_ENTRY(ETIMEDOUT),  ERRNO_ENTRY(ECONNREFUSED),
	ERRNO_ENTRY(EALREADY),	 ERRNO_ENTRY(ECANCELED),
};

const char *msg_errno_name(int err)
{
	if (err < 0 && err != INT_MIN)
		err = -err;
	for (size_t i = 0; i < sizeof(errno_names) / sizeof(errno_names[0]); i++) {
		if (errno_names[i].value == err)
			return errno_names[i].name;
	}
	return "EUNKNOWN";
}

int msg_errno_value(const char *name)
{
	if (!name)
		return 0;
	for (size_t i = 0; i < sizeof(errno_names) / sizeof(errno_names[0]); i++) {
		if (!strcmp(errno_names[i].name, name))
			return errno_names[i].value;
	}
	return 0;
}

int msg_get_string(const json_t *args, const char *key, bool required, const char **out, char *err,
		   size_t errlen)
{
	const json_t *v = args ? json_object_get(args, key) : NULL;

	*out = NULL;
	if (!v) {
		if (!required)
			return 0;
		set_err(err, errlen, "'%s' is missing", key);
		return -EINVAL;
	}
	if (!json_is_string(v)) {
		set_err(err, errlen, "'%s' must be a string", key);
		return -EINVAL;
	}
	*out = json_string_value(v);
	return 0;
}

int msg_get_bool(const json_t *args, const char *key, bool dflt, bool *out, char *err,
		 size_t errlen)
{
	const json_t *v = args ? json_object_get(args, key) : NULL;

	*out = dflt;
	if (!v)
		return 0;
	if (!json_is_boolean(v)) {
		set_err(err, errlen, "'%s' must be true or false", key);
		return -EINVAL;
	}
	*out = json_is_true(v);
	return 0;
}

int msg_get_int(const json_t *args, const char *key, int64_t min, int64_t max, int64_t dflt,
		int64_t *out, char *err, size_t errlen)
{
	const json_t *v = args ? json_object_get(args, key) : NULL;
	int64_t value;

	*out = dflt;
	if (!v)
		return 0;
	if (!json_is_integer(v)) {
		set_err(err, errlen, "'%s' must be an integer", key);
		return -EINVAL;
	}
	value = json_integer_value(v);
	if (value < min || value > max) {
		set_err(err, errlen, "'%s' must be from %" PRId64 " to %" PRId64, key, min, max);
		return -EINVAL;
	}
	*out = value;
	return 0;
}

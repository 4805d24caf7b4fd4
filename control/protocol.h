/* The kdom control protocol (docs/protocol.md): framing, message builders and checks. */
#ifndef KDOM_PROTOCOL_H
#define KDOM_PROTOCOL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KDOM_PROTOCOL_VERSION 1
#define KDOM_MSG_MAX 65536 /* bytes of one message, its newline included */
#define KDOM_SOCKET_DEFAULT "/run/kdom/kdomd.sock"
#define KDOM_SOCKET_ENV "KDOM_SOCKET"

/*
 * The read side of a connection: bytes in, whole messages out.  A message
 * is one JSON object on one line ending in '\n'.
 */
struct msg_reader {
	char *buf;
	size_t len, cap;
	bool discarding; /* inside an oversized line: drop bytes up to its newline */
	/* private to protocol.c */
	size_t start; /* bytes of buf already taken by msg_reader_next() */
	size_t tail;  /* bytes of the last line of buf, still without its newline */
};

void msg_reader_init(struct msg_reader *r);
void msg_reader_free(struct msg_reader *r);

/* Append bytes read from the connection.  0 or -ENOMEM. */
int msg_reader_feed(struct msg_reader *r, const void *data, size_t len);

/*
 * Take the next complete message: 1 with *msg (a new reference), 0 when no
 * whole line is buffered yet, or an error for one bad line, which is
 * consumed so the next call goes on with the following line:
 *   -EMSGSIZE  the line is longer than KDOM_MSG_MAX (detected as soon as
 *              KDOM_MSG_MAX bytes arrive without a newline; the rest of the
 *              line is discarded as it arrives)
 *   -EBADMSG   not JSON, or not a JSON object (err says which and where)
 * An empty line is skipped.
 */
int msg_reader_next(struct msg_reader *r, json_t **msg, char *err, size_t errlen);

/*
 * Write msg compactly with its newline, all of it (retrying short writes
 * and EINTR; MSG_NOSIGNAL).  0, -EMSGSIZE (too big; nothing written) or
 * -errno.
 */
int msg_send(int fd, const json_t *msg);

/*
 * Block until one whole message arrives on fd (reading through r).  1 with
 * *msg, -ECONNRESET at end of file, the msg_reader_next() errors, or -errno.
 */
int msg_recv(int fd, struct msg_reader *r, json_t **msg, char *err, size_t errlen);

/* Builders; each returns a new reference (NULL only when out of memory). */
json_t *msg_request(uint64_t id, const char *op, json_t *args /* stolen; NULL: none */);
json_t *msg_reply_ok(uint64_t id, json_t *result /* stolen; NULL: {} */);
json_t *msg_reply_error(uint64_t id, int err /* positive errno */, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
json_t *msg_event(const char *event, json_t *body /* stolen: its members are merged in */);

/*
 * Check a request: "kdom" == KDOM_PROTOCOL_VERSION, "id" an integer 0 to
 * 2^53, "op" a non-empty string of at most 32 characters, "args" an object
 * or absent (*args NULL; the getters below take NULL as "no arguments").
 * 0 with the fields borrowed from msg, or
 * -EPROTONOSUPPORT (another version) / -EBADMSG with err.  *id is set
 * whenever msg has a usable id, even on error, so the reply can carry it.
 */
int msg_parse_request(const json_t *msg, uint64_t *id, const char **op, const json_t **args,
		      char *err, size_t errlen);

/*
 * Check the reply to request id: 0 with *result (borrowed, an object), or
 * the error it carries as -errno with its message in err, or -EBADMSG
 * (malformed) / -EPROTO (another id, or an event where a reply was due).
 */
int msg_parse_reply(const json_t *msg, uint64_t id, const json_t **result, char *err,
		    size_t errlen);

/* "ENOENT" for ENOENT; "EUNKNOWN" outside the table. */
const char *msg_errno_name(int err);
/* ENOENT for "ENOENT"; 0 when unknown. */
int msg_errno_value(const char *name);

/* Typed getters for request arguments: 0, or -EINVAL with "'key' must be ..." in err. */
int msg_get_string(const json_t *args, const char *key, bool required, const char **out, char *err,
		   size_t errlen);
int msg_get_bool(const json_t *args, const char *key, bool dflt, bool *out, char *err,
		 size_t errlen);
int msg_get_int(const json_t *args, const char *key, int64_t min, int64_t max, int64_t dflt,
		int64_t *out, char *err, size_t errlen);

#endif

/* The client side of the control protocol: connect to kdomd, say hello, call ops, read events. */
#include "control/client.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "vmm/log.h"

#define KDOM_CLIENT_NAME "kdom 0.1"

_Static_assert(sizeof(((struct kdom_client *)0)->path) ==
		       sizeof(((struct sockaddr_un *)0)->sun_path),
	       "kdom_client.path holds any sun_path");

const char *kdom_client_socket_path(const char *explicit_path)
{
	const char *env;

	if (explicit_path && explicit_path[0])
		return explicit_path;
	env = getenv(KDOM_SOCKET_ENV);
	if (env && env[0])
		return env;
	return KDOM_SOCKET_DEFAULT;
}

void kdom_client_close(struct kdom_client *c)
{
	if (c->next_id && c->fd >= 0)
		close(c->fd);
	msg_reader_free(&c->reader);
	c->fd = -1;
	c->next_id = 0;
}

static int client_connect(struct kdom_client *c, const char *path, char *err, size_t errlen)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	size_t len = path ? strlen(path) : 0;
	int ret;

	if (!len) {
		set_err(err, errlen, "the kdomd socket path is empty");
		return -EINVAL;
	}
	if (len >= sizeof(addr.sun_path)) {
		set_err(err, errlen,
			"the kdomd socket path is too long (%zu bytes, at most %zu): %s", len,
			sizeof(addr.sun_path) - 1, path);
		return -ENAMETOOLONG;
	}
	memcpy(addr.sun_path, path, len + 1);
	memcpy(c->path, path, len + 1);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		ret = -errno;
		set_err(err, errlen, "cannot create a socket: %s", strerror(-ret));
		return ret;
	}
	while (connect(c->fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		if (errno == EINTR)
			continue;
		ret = -errno;
		set_err(err, errlen, "cannot connect to kdomd at %s: %s%s", path, strerror(-ret),
			ret == -ENOENT || ret == -ECONNREFUSED ? " (is kdomd running?)" : "");
		return ret;
	}
	return 0;
}

int kdom_client_open(struct kdom_client *c, const char *path, char *err, size_t errlen)
{
	json_t *args, *result = NULL;
	const json_t *version;
	int ret;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	msg_reader_init(&c->reader);
	ret = client_connect(c, path, err, errlen);
	if (ret)
		goto fail;
	c->next_id = 1;
	args = json_pack("{s:s}", "client", KDOM_CLIENT_NAME);
	ret = kdom_client_call(c, "hello", args, &result, err, errlen);
	if (ret)
		goto fail;
	version = json_object_get(result, "version");
	if (!json_is_integer(version)) {
		set_err(err, errlen, "kdomd at %s did not say its protocol version", path);
		ret = -EPROTO;
		goto fail;
	}
	if (json_integer_value(version) != KDOM_PROTOCOL_VERSION) {
		set_err(err, errlen,
			"kdomd at %s speaks protocol version %" JSON_INTEGER_FORMAT
			", this kdom speaks %d",
			path, json_integer_value(version), KDOM_PROTOCOL_VERSION);
		ret = -EPROTONOSUPPORT;
		goto fail;
	}
	json_decref(result);
	return 0;

fail:
	json_decref(result);
	if (c->fd >= 0)
		close(c->fd);
	msg_reader_free(&c->reader);
	c->fd = -1;
	c->next_id = 0;
	return ret;
}

static int send_failed(int ret, char *err, size_t errlen)
{
	if (ret == -EPIPE || ret == -ECONNRESET) {
		set_err(err, errlen, "kdomd closed the connection");
		return -ECONNRESET;
	}
	if (ret == -EMSGSIZE)
		set_err(err, errlen, "the request is longer than %d bytes", KDOM_MSG_MAX);
	else
		set_err(err, errlen, "cannot send to kdomd: %s", strerror(-ret));
	return ret;
}

static int recv_failed(int ret, const char *why, char *err, size_t errlen)
{
	if (ret == -ECONNRESET)
		set_err(err, errlen, "kdomd closed the connection");
	else if (ret == -EMSGSIZE || ret == -EBADMSG)
		set_err(err, errlen, "kdomd sent a bad message: %s", why);
	else
		set_err(err, errlen, "cannot read from kdomd: %s", strerror(-ret));
	return ret;
}

/*
 * Whether msg_parse_reply() returned the daemon's own error rather than its verdict on a
 * malformed reply: both come as -errno (kdomd may well answer EBADMSG or EPROTO itself).
 */
static bool reply_is_daemon_error(const json_t *msg, int ret)
{
	const json_t *error = json_object_get(msg, "error");
	const json_t *value = json_object_get(error, "errno");

	return json_is_false(json_object_get(msg, "ok")) && json_is_integer(value) &&
	       json_integer_value(value) == -ret &&
	       json_is_string(json_object_get(error, "code")) &&
	       json_is_string(json_object_get(error, "message"));
}

int kdom_client_call(struct kdom_client *c, const char *op, json_t *args, json_t **result,
		     char *err, size_t errlen)
{
	const json_t *res;
	char why[512];
	json_t *msg;
	uint64_t id;
	int ret;

	if (result)
		*result = NULL;
	if (!c->next_id || c->fd < 0) {
		json_decref(args);
		set_err(err, errlen, "not connected to kdomd");
		return -ENOTCONN;
	}
	id = c->next_id++;
	msg = msg_request(id, op, args);
	if (!msg) {
		set_err(err, errlen, "out of memory");
		return -ENOMEM;
	}
	ret = msg_send(c->fd, msg);
	json_decref(msg);
	if (ret)
		return send_failed(ret, err, errlen);
	ret = msg_recv(c->fd, &c->reader, &msg, why, sizeof(why));
	if (ret < 0)
		return recv_failed(ret, why, err, errlen);
	ret = msg_parse_reply(msg, id, &res, why, sizeof(why));
	if (!ret) {
		if (result)
			*result = json_incref((json_t *)res);
	} else if (reply_is_daemon_error(msg, ret)) {
		set_err(err, errlen, "%s", why);
	} else if (ret == -EPROTO) {
		set_err(err, errlen, "kdomd answered out of order: %s", why);
	} else {
		set_err(err, errlen, "kdomd sent a bad reply: %s", why);
	}
	json_decref(msg);
	return ret;
}

int kdom_client_next_event(struct kdom_client *c, json_t **event, char *err, size_t errlen)
{
	const json_t *name, *version;
	char why[512];
	json_t *msg;
	int ret;

	*event = NULL;
	if (!c->next_id || c->fd < 0) {
		set_err(err, errlen, "not connected to kdomd");
		return -ENOTCONN;
	}
	ret = msg_recv(c->fd, &c->reader, &msg, why, sizeof(why));
	if (ret < 0)
		return recv_failed(ret, why, err, errlen);
	ret = 0;
	name = json_object_get(msg, "event");
	version = json_object_get(msg, "kdom");
	if (!name) {
		set_err(err, errlen, "kdomd answered out of order: a reply where an event was due");
		ret = -EPROTO;
	} else if (!json_is_string(name)) {
		set_err(err, errlen, "kdomd sent a bad event: 'event' must be a string");
		ret = -EBADMSG;
	} else if (!json_is_integer(version) ||
		   json_integer_value(version) != KDOM_PROTOCOL_VERSION) {
		set_err(err, errlen, "kdomd sent a bad event: 'kdom' must be %d",
			KDOM_PROTOCOL_VERSION);
		ret = -EBADMSG;
	}
	if (ret) {
		json_decref(msg);
		return ret;
	}
	*event = msg;
	return 1;
}

/* The one client library of the control protocol: what the CLI (and tests) use to talk to kdomd. */
#ifndef KDOM_CLIENT_H
#define KDOM_CLIENT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "control/protocol.h"

struct kdom_client {
	int fd;
	uint64_t next_id; /* 0: not open (a zeroed client is closed) */
	struct msg_reader reader;
	char path[108];
};

/* The socket to use: explicit (--socket), else $KDOM_SOCKET, else KDOM_SOCKET_DEFAULT. */
const char *kdom_client_socket_path(const char *explicit_path);

/*
 * Connect to kdomd at path and exchange hellos.  0, or -errno with err, e.g.
 * "cannot connect to kdomd at /run/kdom/kdomd.sock: No such file or
 * directory (is kdomd running?)" or the daemon's refusal.
 */
int kdom_client_open(struct kdom_client *c, const char *path, char *err, size_t errlen);

/* Close; safe on a closed or zeroed client. */
void kdom_client_close(struct kdom_client *c);

/*
 * Send op with args (stolen; NULL: no args) and wait for its reply.  0 with
 * *result (a new reference to the result object; pass NULL to drop it), or
 * -errno with err: the daemon's error (its errno and message) or a
 * transport/protocol error ("kdomd closed the connection", ...).
 */
int kdom_client_call(struct kdom_client *c, const char *op, json_t *args, json_t **result,
		     char *err, size_t errlen);

/*
 * After a successful "subscribe" call: wait for the next event.  1 with
 * *event (new reference), -ECONNRESET when kdomd closed, or -errno with err.
 */
int kdom_client_next_event(struct kdom_client *c, json_t **event, char *err, size_t errlen);

#endif

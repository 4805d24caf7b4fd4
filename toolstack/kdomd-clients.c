/* kdomd's clients: the connections, their sessions, and what the domain code notifies them of. */
#include "toolstack/kdomd.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vmm/log.h"

#define KDOMD_MAX_CLIENTS 256
#define KDOMD_BAD_MESSAGES_MAX 16

struct kd_client {
	int fd;
	struct msg_reader reader;
	bool hello, subscribed;
	bool closing; /* close once the reply is sent (another protocol version) */
	unsigned int bad;
	/* `shutdown -w`: the reply waits for this domain to stop. */
	uint32_t waiting_domid;
	uint64_t waiting_id;
	bool waiting;
	struct kd_watch watch;
};

/* Every connection; a free slot is NULL.  Nothing outside this file walks it. */
struct kd_clients {
	struct kd_client *slot[KDOMD_MAX_CLIENTS];
};

int kd_clients_init(struct kdomd *kd)
{
	kd->clients = calloc(1, sizeof(*kd->clients));
	return kd->clients ? 0 : -ENOMEM;
}

static void kd_client_close(struct kdomd *kd, struct kd_client *c)
{
	for (unsigned int i = 0; i < KDOMD_MAX_CLIENTS; i++)
		if (kd->clients->slot[i] == c)
			kd->clients->slot[i] = NULL;
	epoll_ctl(kd->epoll_fd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	msg_reader_free(&c->reader);
	free(c);
}

void kd_clients_free(struct kdomd *kd)
{
	if (!kd->clients)
		return;
	for (unsigned int i = 0; i < KDOMD_MAX_CLIENTS; i++)
		if (kd->clients->slot[i])
			kd_client_close(kd, kd->clients->slot[i]);
	free(kd->clients);
	kd->clients = NULL;
}

void kd_client_accept(struct kdomd *kd)
{
	int fd = accept4(kd->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	struct kd_client *c;

	if (fd < 0)
		return;
	for (unsigned int i = 0; i < KDOMD_MAX_CLIENTS; i++) {
		if (kd->clients->slot[i])
			continue;
		c = calloc(1, sizeof(*c));
		if (!c)
			break;
		c->fd = fd;
		msg_reader_init(&c->reader);
		c->watch = (struct kd_watch){ .type = KD_WATCH_CLIENT, .ptr = c };
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &c->watch };

		if (epoll_ctl(kd->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0) {
			free(c);
			break;
		}
		kd->clients->slot[i] = c;
		return;
	}
	log_warn("too many clients (%d); one refused", KDOMD_MAX_CLIENTS);
	close(fd);
}

/* The session's rules (docs/protocol.md, Session), then the request itself. */
static json_t *kd_client_request(struct kdomd *kd, struct kd_client *c, const json_t *msg)
{
	char err[256] = "";
	const json_t *args;
	const char *op;
	uint64_t id = 0;
	int ret = msg_parse_request(msg, &id, &op, &args, err, sizeof(err));

	if (ret == -EPROTONOSUPPORT)
		c->closing = true; /* another protocol: nothing more can be understood */
	if (ret)
		return msg_reply_error(id, -ret, "%s", err);
	if (!strcmp(op, "hello")) {
		c->hello = true;
		return msg_reply_ok(id, json_pack("{s:s, s:i}", "server", KDOMD_VERSION, "version",
						  KDOM_PROTOCOL_VERSION));
	}
	if (!c->hello)
		return msg_reply_error(id, EPROTO, "say hello first");
	if (c->subscribed)
		return msg_reply_error(id, EPROTO, "this connection carries events only");
	if (c->waiting)
		return msg_reply_error(id, EPROTO, "a shutdown -w is still waiting");
	if (!strcmp(op, "subscribe")) {
		c->subscribed = true;
		return msg_reply_ok(id, NULL);
	}
	return kd_request(kd, c, id, op, args);
}

void kd_client_input(struct kdomd *kd, struct kd_client *c)
{
	char buf[16384], err[256];
	json_t *msg, *reply;
	ssize_t n = read(c->fd, buf, sizeof(buf));
	int ret;

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0 || msg_reader_feed(&c->reader, buf, n)) {
		kd_client_close(kd, c);
		return;
	}
	while ((ret = msg_reader_next(&c->reader, &msg, err, sizeof(err))) != 0) {
		if (ret < 0) {
			reply = msg_reply_error(0, -ret, "%s", err);
			if (++c->bad > KDOMD_BAD_MESSAGES_MAX) {
				json_decref(reply);
				log_warn("a client sent more than %d bad messages; closing it",
					 KDOMD_BAD_MESSAGES_MAX);
				kd_client_close(kd, c);
				return;
			}
		} else {
			reply = kd_client_request(kd, c, msg);
			json_decref(msg);
		}
		if (reply && msg_send(c->fd, reply) < 0) {
			json_decref(reply);
			kd_client_close(kd, c);
			return;
		}
		json_decref(reply);
		if (c->closing) {
			kd_client_close(kd, c);
			return;
		}
		if (kd->exiting)
			return;
	}
}

void kd_client_wait_for(struct kd_client *c, uint32_t domid, uint64_t id)
{
	c->waiting = true;
	c->waiting_domid = domid;
	c->waiting_id = id;
}

pid_t kd_client_peer_pid(const struct kd_client *c)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(c->fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return -errno;
	return cred.pid;
}

/* ---- Notifications from the domain code ------------------------------------------------- */

/* Events to every subscriber; one that does not keep up (5 s) is dropped. */
void kd_clients_send_event(struct kdomd *kd, json_t *event)
{
	for (unsigned int i = 0; i < KDOMD_MAX_CLIENTS; i++) {
		struct kd_client *c = kd->clients->slot[i];

		if (c && c->subscribed && msg_send(c->fd, event) < 0) {
			log_warn("an event subscriber does not read its events; closing it");
			kd_client_close(kd, c);
		}
	}
	json_decref(event);
}

void kd_clients_domain_ended(struct kdomd *kd, uint32_t domid)
{
	for (unsigned int i = 0; i < KDOMD_MAX_CLIENTS; i++) {
		struct kd_client *c = kd->clients->slot[i];

		if (!c || !c->waiting || c->waiting_domid != domid)
			continue;
		c->waiting = false;
		json_t *reply = msg_reply_ok(c->waiting_id, NULL);

		msg_send(c->fd, reply);
		json_decref(reply);
	}
}

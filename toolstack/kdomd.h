/*
 * kdomd: the toolstack daemon's state and the interfaces between its parts —
 * the domain table and on_* actions (kdomd-domains.c), the domain processes
 * (kdomd-process.c), the records on disk and recovery (kdomd-state.c), the
 * clients (kdomd-clients.c), requests (kdomd.c) and management hypercalls
 * (kdomd-manage.c).
 */
#ifndef KDOM_KDOMD_H
#define KDOM_KDOMD_H

#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "control/protocol.h"
#include "hv-roles/domain.h"
#include "hv-roles/roles.h"
#include "toolstack/config/domain-config.h"
#include "toolstack/config/host-config.h"

#define KDOMD_VERSION "kdomd 0.1"
#define KDOMD_STATE_DIR_DEFAULT "/var/lib/kdom"
#define KD_READY_TIMEOUT_MS 30000 /* a domain process says it is built */
#define KD_CTL_TIMEOUT_MS 5000	  /* a domain process answers its channel */
#define KD_EXIT_TIMEOUT_MS 10000  /* a destroyed domain's process ends */
#define KDOMD_POLICY_DEFAULT "/etc/kdom/policy.json"
/* The state folder's path: sockets under it must fit sun_path (108 bytes). */
#define KDOMD_DIR_MAX 81
#define KDOMD_PATH_MAX 256 /* any file under the state folder */

enum kd_state {
	KD_PAUSED,
	KD_RUNNING,
	KD_SHUTDOWN, /* stopped and preserved; reason says why */
	KD_DYING,
};

/* What an epoll event belongs to. */
enum kd_watch_type { KD_WATCH_LISTEN, KD_WATCH_SIGNAL, KD_WATCH_CLIENT, KD_WATCH_DOMAIN };

struct kd_watch {
	enum kd_watch_type type;
	void *ptr;
};

struct kd_domain {
	struct kd_domain *next; /* creation order */
	struct domain dom;	/* the role registry keeps a pointer to it: never moved */
	char *config_text;
	char *config_path; /* NULL: given without a file */
	struct domain_config dc;
	enum kd_state state;
	const char *reason; /* KD_SHUTDOWN: poweroff, reboot, suspend, crash, watchdog */
	pid_t pid;
	unsigned long long starttime; /* /proc/PID/stat field 22: tells a reused pid */
	int pidfd;
	int ctl_fd; /* the domain channel */
	struct msg_reader ctl_reader;
	uint64_t ctl_id;
	double created;
	uint64_t seq;	      /* creation order, kept across kdomd restarts */
	bool destroying;      /* an exit now is the destroy asked for, not a shutdown */
	unsigned int dom_exc; /* control domains: shutdowns since it last asked */
	struct kd_watch watch;
};

/* A connection to kdomd; only the client layer (kdomd-clients.c) sees inside. */
struct kd_client;
struct kd_clients;

struct kdomd {
	const char *socket_path;
	char state_dir[KDOMD_DIR_MAX];
	char run_dir[KDOMD_DIR_MAX + 8]; /* sockets, outcomes and logs of the domain processes */
	char domains_dir[KDOMD_DIR_MAX + 8]; /* one JSON record per domain */
	struct host_config host;
	struct role_registry registry;
	struct kd_domain *domains;
	struct kd_clients *clients; /* kdomd-clients.c's alone */
	int listen_fd, epoll_fd, signal_fd;
	struct kd_watch listen_watch, signal_watch;
	uint64_t next_seq;
	json_t *policy;	       /* the policy file: {"control": {NAME: [LABEL, ...]}}; NULL */
	bool launch_finalized; /* the bootstrap domain gave up its management rights */
	bool exiting;
	int exit_status;
};

/*
 * The domain table and the on_* actions (toolstack/kdomd-domains.c).
 */
const char *kd_state_name(enum kd_state state);
struct kd_domain *kd_find_domid(struct kdomd *kd, uint32_t domid);
/* A DOM argument: a domid when all digits, else a name; NULL when none. */
struct kd_domain *kd_lookup(struct kdomd *kd, const char *what);
/* The domain object of docs/protocol.md. */
json_t *kd_domain_json(const struct kd_domain *d);
/* A domain not in the table yet, with its config text; NULL when out of memory. */
struct kd_domain *kd_new_domain(const char *config, const char *config_path);
/* d's config text parsed into d->dc (relative paths from its file's folder), validated. */
int kd_parse_config(struct kd_domain *d, char *err, size_t errlen);
/* Add d at the end of the table (creation order). */
void kd_append(struct kdomd *kd, struct kd_domain *d);
void kd_free_domain(struct kd_domain *d);
/* Tell the clients of a change of d (docs/protocol.md, Events); control domains count exits. */
void kd_event(struct kdomd *kd, const struct kd_domain *d, const char *state, const char *reason,
	      const char *action);
/* Admit a domain (domid -1: any) through the role registry and start its process. */
int kd_create(struct kdomd *kd, const char *config, const char *config_path, int domid, bool paused,
	      struct kd_domain **out, char *err, size_t errlen);
/* Stop d's process and forget d (its waiters answered). */
void kd_destroy(struct kdomd *kd, struct kd_domain *d);
/* d's process ended: apply its on_* action, or the host's for the hardware domain. */
void kd_domain_exited(struct kdomd *kd, struct kd_domain *d);

/*
 * Domain processes: spawning them and talking to them (toolstack/kdomd-process.c).
 */
/* Start d's process and wait until it says the domain is built; 0 or -errno with err. */
int kd_spawn(struct kdomd *kd, struct kd_domain *d, bool paused, char *err, size_t errlen);
/* One request to d's process and its reply; 0 with *result (may be NULL) or -errno with err. */
int kd_ctl_call(struct kd_domain *d, const char *op, json_t *args, json_t **result, char *err,
		size_t errlen);
/* End d's process for good (destroy, the host stopping): asked, then signalled. */
void kd_process_stop(struct kdomd *kd, struct kd_domain *d);
/* d's process ended by itself: reaped, unwatched; why, from its outcome file ("crash" if none). */
const char *kd_process_ended(struct kdomd *kd, struct kd_domain *d, char *message, size_t len);
/* A recovered d whose recorded pid and start time still run: watched, reconnected; true. */
bool kd_process_find(struct kdomd *kd, struct kd_domain *d);
/* A shutdown reason as recorded: one of the five, "destroyed", or "crash" for anything else. */
const char *kd_shutdown_reason(const char *reason);
/* The sockets and outcome file of domid's process. */
void kd_process_remove_files(struct kdomd *kd, uint32_t domid);
/* The console log and process log of domid (kept after destroy, cleared for a new domain). */
void kd_process_remove_logs(struct kdomd *kd, uint32_t domid);

/*
 * The state on disk and recovery (toolstack/kdomd-state.c).
 */
/* Write d's record (kdomd's state on disk is these files and launch.json). */
void kd_save(struct kdomd *kd, struct kd_domain *d);
/* Remove domid's record. */
void kd_record_remove(struct kdomd *kd, uint32_t domid);
/* The launch's finalization, kept on disk as well. */
void kd_set_finalized(struct kdomd *kd, bool finalized);
/* A restarted kdomd: the records admitted again, live processes found again. */
void kd_recover(struct kdomd *kd);

/*
 * Clients (toolstack/kdomd-clients.c): the only code that touches the
 * connections; the rest of kdomd notifies them through these functions.
 */
/* The empty client table; 0 or -ENOMEM. */
int kd_clients_init(struct kdomd *kd);
/* Close every client and free the table. */
void kd_clients_free(struct kdomd *kd);
/* A connection waits on the listening socket. */
void kd_client_accept(struct kdomd *kd);
/* Input from c: its requests answered in order (c may be closed and freed). */
void kd_client_input(struct kdomd *kd, struct kd_client *c);
/* The reply to request id on c waits until domid's process has ended (`shutdown -w`). */
void kd_client_wait_for(struct kd_client *c, uint32_t domid, uint64_t id);
/* The pid of the process at the other end of c (SO_PEERCRED), or -errno. */
pid_t kd_client_peer_pid(const struct kd_client *c);
/* An event to every subscriber (the reference is taken); one that does not keep up is closed. */
void kd_clients_send_event(struct kdomd *kd, json_t *event);
/* domid's process ended: the `shutdown -w` waiting for it are answered. */
void kd_clients_domain_ended(struct kdomd *kd, uint32_t domid);

/*
 * Requests (toolstack/kdomd.c) and management hypercalls and the policy
 * file (toolstack/kdomd-manage.c).
 */
/* A request's handler: its reply, or NULL when the reply waits (`shutdown -w`). */
typedef json_t *kd_request_fn(struct kdomd *kd, struct kd_client *c, uint64_t id, const char *op,
			      const json_t *args);
/* A request of a client past its hello, by op. */
kd_request_fn kd_request;
/* The "manage" op: a domain's management hypercall, decided by the policy. */
kd_request_fn kd_op_manage;
/* Read --policy FILE (or the default when it exists).  0 or -EINVAL, logged. */
int kd_load_policy(struct kdomd *kd, const char *path);

#endif

/* kdomd: the toolstack daemon's state — the domain table, the role registry, clients. */
#ifndef KDOM_KDOMD_H
#define KDOM_KDOMD_H

#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "hv-roles/domain.h"
#include "hv-roles/roles.h"
#include "toolstack/protocol.h"
#include "vmm/config.h"
#include "vmm/host-config.h"

#define KDOMD_VERSION "kdomd 0.1"
#define KDOMD_STATE_DIR_DEFAULT "/var/lib/kdom"
#define KD_READY_TIMEOUT_MS 30000 /* a domain process says it is built */
#define KD_CTL_TIMEOUT_MS 5000	  /* a domain process answers its channel */
#define KD_EXIT_TIMEOUT_MS 10000  /* a destroyed domain's process ends */
#define KDOMD_POLICY_DEFAULT "/etc/kdom/policy.json"
#define KDOMD_MAX_CLIENTS 256
#define KDOMD_BAD_MESSAGES_MAX 16
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

struct kdomd {
	const char *socket_path;
	char state_dir[KDOMD_DIR_MAX];
	char run_dir[KDOMD_DIR_MAX + 8]; /* sockets, outcomes and logs of the domain processes */
	char domains_dir[KDOMD_DIR_MAX + 8]; /* one JSON record per domain */
	struct host_config host;
	struct role_registry registry;
	struct kd_domain *domains;
	struct kd_client *clients[KDOMD_MAX_CLIENTS];
	int listen_fd, epoll_fd, signal_fd;
	struct kd_watch listen_watch, signal_watch;
	uint64_t next_seq;
	json_t *policy;	       /* the policy file: {"control": {NAME: [LABEL, ...]}}; NULL */
	bool launch_finalized; /* the bootstrap domain gave up its management rights */
	bool exiting;
	int exit_status;
};

/*
 * The domain table and the domains' lives (toolstack/kdomd-domains.c).
 */
const char *kd_state_name(enum kd_state state);
struct kd_domain *kd_find_domid(struct kdomd *kd, uint32_t domid);
/* A DOM argument: a domid when all digits, else a name; NULL when none. */
struct kd_domain *kd_lookup(struct kdomd *kd, const char *what);
/* The domain object of docs/protocol.md. */
json_t *kd_domain_json(const struct kd_domain *d);
/* Write d's record (kdomd's state on disk is these files and nothing else). */
void kd_save(struct kdomd *kd, struct kd_domain *d);
/* An event to every subscriber; shutdowns and destructions also count for control domains. */
void kd_event(struct kdomd *kd, const struct kd_domain *d, const char *state, const char *reason,
	      const char *action);
void kd_free_domain(struct kd_domain *d);
/* One request to d's process and its reply; 0 with *result (may be NULL) or -errno with err. */
int kd_ctl_call(struct kd_domain *d, const char *op, json_t *args, json_t **result, char *err,
		size_t errlen);
/* d's config text parsed into d->dc (relative paths from its file's folder), validated. */
int kd_parse_config(struct kd_domain *d, char *err, size_t errlen);
/* Admit a domain (domid -1: any) through the role registry and start its process. */
int kd_create(struct kdomd *kd, const char *config, const char *config_path, int domid, bool paused,
	      struct kd_domain **out, char *err, size_t errlen);
/* Stop d's process and forget d (its waiters answered). */
void kd_destroy(struct kdomd *kd, struct kd_domain *d);
/* d's process ended: apply its on_* action, or the host's for the hardware domain. */
void kd_domain_exited(struct kdomd *kd, struct kd_domain *d);
/* A restarted kdomd: the records admitted again, live processes found again. */
void kd_recover(struct kdomd *kd);

/*
 * Management hypercalls and the policy file (toolstack/kdomd-manage.c).
 */
/* The launch's finalization, kept on disk as well. */
void kd_set_finalized(struct kdomd *kd, bool finalized);
/* The "manage" op: a domain's management hypercall, decided by the policy. */
json_t *kd_op_manage(struct kdomd *kd, struct kd_client *c, uint64_t id, const json_t *args);
/* Read --policy FILE (or the default when it exists).  0 or -EINVAL, logged. */
int kd_load_policy(struct kdomd *kd, const char *path);

/* Clients (toolstack/kdomd.c). */
void kd_client_close(struct kdomd *kd, struct kd_client *c);

#endif

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

#define KDOMD_STATE_DIR_DEFAULT "/var/lib/kdom"
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
	uint64_t seq;	 /* creation order, kept across kdomd restarts */
	bool destroying; /* an exit now is the destroy asked for, not a shutdown */
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
	char run_dir[KDOMD_DIR_MAX + 8];     /* sockets, outcomes and logs of the domain processes */
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

#endif

/* kdomd's domain table: records, domain processes, their channel, how domains end and come back. */
#include "toolstack/kdomd.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hv-roles/policy.h"
#include "kdom/abi.h"
#include "toolstack/domain-process.h"
#include "toolstack/state-file.h"
#include "vmm/log.h"

static double kd_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

const char *kd_state_name(enum kd_state state)
{
	switch (state) {
	case KD_PAUSED:
		return "paused";
	case KD_RUNNING:
		return "running";
	case KD_SHUTDOWN:
		return "shutdown";
	default:
		return "dying";
	}
}

/* ---- The domain table ----------------------------------------------------------- */

struct kd_domain *kd_find_domid(struct kdomd *kd, uint32_t domid)
{
	for (struct kd_domain *d = kd->domains; d; d = d->next)
		if (d->dom.domid == domid)
			return d;
	return NULL;
}

static struct kd_domain *kd_find_name(struct kdomd *kd, const char *name)
{
	for (struct kd_domain *d = kd->domains; d; d = d->next)
		if (!strcmp(d->dom.name, name))
			return d;
	return NULL;
}

/* A DOM argument: a domid when all digits, else a name. */
struct kd_domain *kd_lookup(struct kdomd *kd, const char *what)
{
	char *end;
	unsigned long domid;

	if (what[0] >= '0' && what[0] <= '9') {
		domid = strtoul(what, &end, 10);
		if (!*end && domid <= DOMID_MAX)
			return kd_find_domid(kd, domid);
	}
	return kd_find_name(kd, what);
}

json_t *kd_domain_json(const struct kd_domain *d)
{
	json_t *roles = json_array();
	json_t *obj;

	if (is_hardware_domain(&d->dom))
		json_array_append_new(roles, json_string("hardware"));
	if (is_control_domain(&d->dom))
		json_array_append_new(roles, json_string("control"));
	if (is_bootstrap_domain(&d->dom))
		json_array_append_new(roles, json_string("bootstrap"));
	char uuid[37];
	const uint8_t *u = d->dom.uuid;

	snprintf(uuid, sizeof(uuid),
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1],
		 u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14],
		 u[15]);
	obj = json_pack("{s:i, s:s, s:s, s:s, s:o, s:I, s:i, s:I, s:f, s:s?, s:s, s:s, s:s, s:s}",
			"domid", (int)d->dom.domid, "name", d->dom.name, "uuid", uuid, "state",
			kd_state_name(d->state), "roles", roles, "memory_mib",
			(json_int_t)d->dc.memory_mib, "vcpus", (int)d->dc.vcpus, "pid",
			(json_int_t)(d->state == KD_SHUTDOWN ? 0 : d->pid), "created", d->created,
			"reason", d->state == KD_SHUTDOWN ? d->reason : NULL, "on_poweroff",
			domain_action_name(d->dc.on[DOMAIN_SHUTDOWN_POWEROFF]), "on_reboot",
			domain_action_name(d->dc.on[DOMAIN_SHUTDOWN_REBOOT]), "on_crash",
			domain_action_name(d->dc.on[DOMAIN_SHUTDOWN_CRASH]), "on_watchdog",
			domain_action_name(d->dc.on[DOMAIN_SHUTDOWN_WATCHDOG]));
	return obj;
}

static void kd_record_path(struct kdomd *kd, uint32_t domid, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%u.json", kd->domains_dir, domid);
}

/* Write d's record; kdomd's state on disk is these files and nothing else. */
void kd_save(struct kdomd *kd, struct kd_domain *d)
{
	char path[KDOMD_PATH_MAX];
	json_t *rec = json_pack(
		"{s:i, s:s, s:b, s:b, s:s, s:s?, s:s, s:s?, s:I, s:I, s:f, s:I}", "domid",
		(int)d->dom.domid, "name", d->dom.name, "hardware", is_hardware_domain(&d->dom),
		"control", is_control_domain(&d->dom), "config", d->config_text, "config_path",
		d->config_path, "state", kd_state_name(d->state), "reason",
		d->state == KD_SHUTDOWN ? d->reason : NULL, "pid", (json_int_t)d->pid, "starttime",
		(json_int_t)d->starttime, "created", d->created, "seq", (json_int_t)d->seq);
	int ret;

	kd_record_path(kd, d->dom.domid, path, sizeof(path));
	ret = rec ? state_write_json(path, rec) : -ENOMEM;
	if (ret)
		log_error("cannot save domain %u's record %s: %s", d->dom.domid, path,
			  strerror(-ret));
	json_decref(rec);
}

/* Events to every subscriber; one that does not keep up (5 s) is dropped. */
static void kd_broadcast(struct kdomd *kd, json_t *event)
{
	for (unsigned int i = 0; i < KDOMD_MAX_CLIENTS; i++) {
		struct kd_client *c = kd->clients[i];

		if (c && c->subscribed && msg_send(c->fd, event) < 0) {
			log_warn("an event subscriber does not read its events; closing it");
			kd_client_close(kd, c);
		}
	}
	json_decref(event);
}

void kd_event(struct kdomd *kd, const struct kd_domain *d, const char *state, const char *reason,
	      const char *action)
{
	/* Control domains learn of shutdowns and destructions (Xen's VIRQ_DOM_EXC). */
	if (!strcmp(state, "shutdown") || !strcmp(state, "destroyed"))
		for (struct kd_domain *c = kd->domains; c; c = c->next)
			if (c != d && policy_told_of_domain_exits(&c->dom))
				c->dom_exc++;
	kd_broadcast(kd, msg_event("domain", json_pack("{s:i, s:s, s:s, s:s?, s:s?, s:f}", "domid",
						       (int)d->dom.domid, "name", d->dom.name,
						       "state", state, "reason", reason, "action",
						       action, "time", kd_now())));
}

static void kd_remove_files(struct kdomd *kd, uint32_t domid)
{
	static const char *const suffixes[] = { "ctl", "console", "outcome" };
	char path[KDOMD_PATH_MAX];

	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		domain_process_path(path, sizeof(path), kd->run_dir, domid, suffixes[i]);
		unlink(path);
	}
}

/* The console log and process log; kept after destroy, cleared for a new domain. */
static void kd_remove_logs(struct kdomd *kd, uint32_t domid)
{
	char path[KDOMD_PATH_MAX];

	domain_process_path(path, sizeof(path), kd->run_dir, domid, "console.log");
	unlink(path);
	domain_process_path(path, sizeof(path), kd->run_dir, domid, "log");
	unlink(path);
}

void kd_free_domain(struct kd_domain *d)
{
	if (d->ctl_fd >= 0)
		close(d->ctl_fd);
	if (d->pidfd >= 0)
		close(d->pidfd);
	msg_reader_free(&d->ctl_reader);
	domain_config_free(&d->dc);
	free(d->config_text);
	free(d->config_path);
	free(d);
}

/* Forget d: its record, its files, its domid (and its CREATEDOMAIN image unless kept). */
static void kd_remove(struct kdomd *kd, struct kd_domain *d, bool drop_image)
{
	char path[KDOMD_PATH_MAX];

	for (struct kd_domain **p = &kd->domains; *p; p = &(*p)->next) {
		if (*p == d) {
			*p = d->next;
			break;
		}
	}
	kd_record_path(kd, d->dom.domid, path, sizeof(path));
	unlink(path);
	kd_remove_files(kd, d->dom.domid);
	/* An image a domain handed over with CREATEDOMAIN goes with the domain. */
	snprintf(path, sizeof(path), "%s/images/", kd->state_dir);
	if (drop_image && d->dc.kernel && !strncmp(d->dc.kernel, path, strlen(path))) {
		bool shared = false; /* a rename-restart's new domain boots the same image */

		for (struct kd_domain *o = kd->domains; o; o = o->next)
			shared |= o->dc.kernel && !strcmp(o->dc.kernel, d->dc.kernel);
		if (!shared)
			unlink(d->dc.kernel);
	}
	roles_release(&kd->registry, d->dom.domid);
	kd_free_domain(d);
}

/* ---- The domain channel ------------------------------------------------------- */

/* Connect to a domain process's control socket (kd_ctl_hello() follows).  0 or -errno. */
static int kd_ctl_connect(struct kdomd *kd, struct kd_domain *d)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd;

	domain_process_path(addr.sun_path, sizeof(addr.sun_path), kd->run_dir, d->dom.domid, "ctl");
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		int ret = -errno;

		close(fd);
		return ret;
	}
	d->ctl_fd = fd;
	msg_reader_free(&d->ctl_reader);
	msg_reader_init(&d->ctl_reader);
	return 0;
}

/*
 * One request to the domain process and its reply, with a timeout.  0 with
 * *result (new reference, may be NULL when not wanted) or -errno with err.
 */
int kd_ctl_call(struct kd_domain *d, const char *op, json_t *args, json_t **result, char *err,
		size_t errlen)
{
	const json_t *res;
	json_t *msg;
	int ret;

	if (d->ctl_fd < 0) {
		json_decref(args);
		snprintf(err, errlen, "domain %u's process is not connected", d->dom.domid);
		return -ENOTCONN;
	}
	msg = msg_request(++d->ctl_id, op, args);
	ret = msg ? msg_send(d->ctl_fd, msg) : -ENOMEM;
	json_decref(msg);
	if (ret) {
		snprintf(err, errlen, "cannot reach domain %u's process: %s", d->dom.domid,
			 strerror(-ret));
		return ret;
	}
	for (;;) {
		struct pollfd pfd = { .fd = d->ctl_fd, .events = POLLIN };

		ret = msg_reader_next(&d->ctl_reader, &msg, err, errlen);
		if (ret < 0)
			return ret;
		if (ret > 0) {
			json_int_t id = json_integer_value(json_object_get(msg, "id"));

			/* A request that timed out may be answered late: skip its reply. */
			if (id > 0 && (uint64_t)id < d->ctl_id) {
				json_decref(msg);
				continue;
			}
			break;
		}
		ret = poll(&pfd, 1, KD_CTL_TIMEOUT_MS);
		if (ret == 0) {
			snprintf(err, errlen, "domain %u's process did not answer '%s'",
				 d->dom.domid, op);
			return -ETIMEDOUT;
		}
		if (ret < 0 && errno == EINTR)
			continue;
		char buf[4096];
		ssize_t n = read(d->ctl_fd, buf, sizeof(buf));

		if (n <= 0) {
			snprintf(err, errlen, "domain %u's process closed its channel",
				 d->dom.domid);
			return -ECONNRESET;
		}
		if (msg_reader_feed(&d->ctl_reader, buf, n))
			return -ENOMEM;
	}
	ret = msg_parse_reply(msg, d->ctl_id, &res, err, errlen);
	if (!ret && result)
		*result = json_incref((json_t *)res);
	json_decref(msg);
	return ret;
}

static int kd_ctl_hello(struct kd_domain *d, char *err, size_t errlen)
{
	return kd_ctl_call(d, "hello", json_pack("{s:s}", "client", KDOMD_VERSION), NULL, err,
			   errlen);
}

/* ---- Domain processes ------------------------------------------------------------ */

static unsigned long long kd_proc_starttime(pid_t pid)
{
	char path[64], buf[1024];
	unsigned long long start = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fgets(buf, sizeof(buf), f)) {
		char *p = strrchr(buf, ')'); /* the name may hold spaces and parentheses */

		/* After ")": state is field 3; starttime is field 22. */
		for (int field = 2; p && field < 22; field++)
			p = strchr(p + 1, ' ');
		if (p)
			start = strtoull(p + 1, NULL, 10);
	}
	fclose(f);
	return start;
}

static int kd_pidfd_open(pid_t pid)
{
	return syscall(SYS_pidfd_open, pid, 0);
}

static void kd_watch_domain(struct kdomd *kd, struct kd_domain *d)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &d->watch };

	d->watch = (struct kd_watch){ .type = KD_WATCH_DOMAIN, .ptr = d };
	if (epoll_ctl(kd->epoll_fd, EPOLL_CTL_ADD, d->pidfd, &ev) < 0)
		log_error("cannot watch domain %u's process: %s", d->dom.domid, strerror(errno));
}

/* The child side of kd_spawn(): never returns. */
static void __attribute__((noreturn))
kd_child(struct kdomd *kd, struct kd_domain *d, bool paused, int ready_fd)
{
	char path[KDOMD_PATH_MAX], prefix[80];
	sigset_t none;
	int fd, status;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	snprintf(prefix, sizeof(prefix), "kdom-d%u", d->dom.domid);
	prctl(PR_SET_NAME, prefix); /* ps and pkill tell it from kdomd */
	signal(SIGCHLD, SIG_DFL);
	setsid();
	/* Nothing of kdomd's stays open but the ready pipe and stdio (replaced now). */
	if (ready_fd > 3)
		syscall(SYS_close_range, 3, ready_fd - 1, 0);
	syscall(SYS_close_range, ready_fd + 1, ~0u, 0);
	fd = open("/dev/null", O_RDONLY);
	if (fd >= 0) {
		dup2(fd, STDIN_FILENO);
		close(fd);
	}
	domain_process_path(path, sizeof(path), kd->run_dir, d->dom.domid, "log");
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0600);
	if (fd >= 0) {
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		close(fd);
	}
	snprintf(prefix, sizeof(prefix), "kdom[%s]", d->dom.name);
	log_set_prefix(prefix);

	struct domain_process_params params = {
		.domain = d->dom,
		.dc = &d->dc,
		.host = &kd->host,
		.run_dir = kd->run_dir,
		.paused = paused,
		.ready_fd = ready_fd,
		.kdomd_socket = kd->socket_path,
	};
	status = domain_process_main(&params);
	fflush(NULL);
	_exit(status);
}

/*
 * Start d's domain process and wait until it says the domain is built.  0,
 * or -errno with err (the domain process's own error message).
 */
static int kd_spawn(struct kdomd *kd, struct kd_domain *d, bool paused, char *err, size_t errlen)
{
	char line[1100] = "";
	size_t got = 0;
	int pipefd[2], ret;
	pid_t pid;

	kd_remove_files(kd, d->dom.domid);
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -errno;
	}
	pid = fork();
	if (pid < 0) {
		ret = -errno;
		close(pipefd[0]);
		close(pipefd[1]);
		snprintf(err, errlen, "cannot start the domain process: %s", strerror(-ret));
		return ret;
	}
	if (pid == 0) {
		close(pipefd[0]);
		kd_child(kd, d, paused, pipefd[1]);
	}
	close(pipefd[1]);
	while (got < sizeof(line) - 1) {
		struct pollfd pfd = { .fd = pipefd[0], .events = POLLIN };
		ssize_t n;

		ret = poll(&pfd, 1, KD_READY_TIMEOUT_MS);
		if (ret < 0 && errno == EINTR)
			continue;
		if (ret <= 0)
			break;
		n = read(pipefd[0], line + got, sizeof(line) - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += n;
	}
	close(pipefd[0]);
	line[got] = '\0';
	if (strcmp(line, "ok\n")) {
		char *nl = strchr(line, '\n');

		if (nl)
			*nl = '\0';
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		snprintf(err, errlen, "%.480s",
			 !strncmp(line, "error: ", 7) ? line + 7
						      : "the domain process ended before the "
							"domain was built");
		return -EIO;
	}
	d->pid = pid;
	d->starttime = kd_proc_starttime(pid);
	d->pidfd = kd_pidfd_open(pid);
	d->state = paused ? KD_PAUSED : KD_RUNNING;
	d->reason = NULL;
	d->destroying = false;
	ret = kd_ctl_connect(kd, d);
	if (!ret)
		ret = kd_ctl_hello(d, err, errlen);
	if (ret || d->pidfd < 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		if (d->pidfd >= 0)
			close(d->pidfd);
		d->pidfd = -1;
		if (!err[0])
			snprintf(err, errlen, "cannot connect to the domain process: %s",
				 strerror(-ret));
		return ret ? ret : -EIO;
	}
	kd_watch_domain(kd, d);
	return 0;
}

/* ---- Creating domains ------------------------------------------------------------ */

/* Kernel and ramdisk paths in a config file are relative to its folder. */
static int kd_resolve_path(char **field, const char *config_path)
{
	char dir[PATH_MAX], *full;

	if (!*field || (*field)[0] == '/' || !config_path)
		return 0;
	snprintf(dir, sizeof(dir), "%s", config_path);
	if (asprintf(&full, "%s/%s", dirname(dir), *field) < 0)
		return -ENOMEM;
	free(*field);
	*field = full;
	return 0;
}

int kd_parse_config(struct kd_domain *d, char *err, size_t errlen)
{
	struct cfg cfg;
	int ret;

	domain_config_init(&d->dc);
	ret = cfg_parse(d->config_path ? d->config_path : "(config)", d->config_text,
			strlen(d->config_text), &cfg, err, errlen);
	if (ret)
		return ret;
	ret = domain_config_apply(&d->dc, &cfg, err, errlen);
	cfg_free(&cfg);
	if (!ret)
		ret = kd_resolve_path(&d->dc.kernel, d->config_path);
	if (!ret)
		ret = kd_resolve_path(&d->dc.ramdisk, d->config_path);
	if (!ret)
		ret = domain_config_validate(&d->dc, err, errlen);
	return ret;
}

static struct kd_domain *kd_new_domain(const char *config, const char *config_path)
{
	struct kd_domain *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->ctl_fd = d->pidfd = -1;
	msg_reader_init(&d->ctl_reader);
	d->config_text = strdup(config);
	d->config_path = config_path ? strdup(config_path) : NULL;
	if (!d->config_text || (config_path && !d->config_path)) {
		kd_free_domain(d);
		return NULL;
	}
	return d;
}

static void kd_append(struct kdomd *kd, struct kd_domain *d)
{
	struct kd_domain **p = &kd->domains;

	while (*p)
		p = &(*p)->next;
	*p = d;
}

/*
 * A PCI device belongs to one domain at a time: a live (or paused) domain
 * holding one of dc's devices refuses it, before anything is built.
 */
static int kd_pci_in_use(struct kdomd *kd, const struct domain_config *dc, char *err, size_t errlen)
{
	for (struct kd_domain *o = kd->domains; o; o = o->next) {
		if (o->state == KD_SHUTDOWN)
			continue;
		for (unsigned int i = 0; i < dc->nr_pci; i++)
			for (unsigned int j = 0; j < o->dc.nr_pci; j++)
				if (!strcmp(dc->pci[i], o->dc.pci[j])) {
					snprintf(err, errlen,
						 "pci %s is in use by domain %u (%s): the hardware "
						 "domain has not released it",
						 dc->pci[i], o->dom.domid, o->dom.name);
					return -EBUSY;
				}
	}
	return 0;
}

/*
 * Xen's late hardware domain: domain 0 gave the hardware role up.  Its
 * record and its process learn it (XENFEAT_dom0, kdom's feature word, the
 * policy); its CPUID table was fixed when it was built and stays.
 */
static void kd_roles_changed(struct kdomd *kd, struct kd_domain *d)
{
	char err[256];

	if (!d)
		return;
	kd_save(kd, d);
	if (d->state != KD_SHUTDOWN &&
	    kd_ctl_call(d, "roles", json_pack("{s:i}", "roles", (int)d->dom.roles), NULL, err,
			sizeof(err)))
		log_warn("domain %u was not told it lost the hardware role: %s", d->dom.domid, err);
}

/*
 * Admit a domain through the role registry (domid -1: any) and start it.
 * *out is the domain; 0 or -errno with err.
 */
int kd_create(struct kdomd *kd, const char *config, const char *config_path, int domid, bool paused,
	      struct kd_domain **out, char *err, size_t errlen)
{
	struct kd_domain *d = kd_new_domain(config, config_path);
	uint32_t moved_from = DOMID_MAX + 1;
	struct role_request req;
	int ret;

	if (!d) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	ret = kd_parse_config(d, err, errlen);
	if (ret)
		goto fail;
	if (kd_find_name(kd, d->dc.name)) {
		snprintf(err, errlen, "a domain named '%s' exists", d->dc.name);
		ret = -EEXIST;
		goto fail;
	}
	ret = kd_pci_in_use(kd, &d->dc, err, errlen);
	if (ret)
		goto fail;
	req = (struct role_request){
		.domid = domid >= 0 ? domid : d->dc.domid,
		.name = d->dc.name,
		.hardware = d->dc.hardware,
		.control = d->dc.control,
	};
	ret = roles_admit(&kd->registry, &req, &d->dom, err, errlen);
	if (ret)
		goto fail;
	if (roles_hardware_moved(&kd->registry, &moved_from))
		log_info("domain %u is the hardware domain now (hardware_domid)", d->dom.domid);
	d->created = kd_now();
	d->seq = kd->next_seq++;
	kd_remove_logs(kd, d->dom.domid); /* a new domain: a domid's old logs go */
	ret = kd_spawn(kd, d, paused, err, errlen);
	if (ret) {
		/* A late hardware domain that never ran gives the role back to domain 0. */
		struct kd_domain *previous =
			moved_from <= DOMID_MAX ? kd_find_domid(kd, moved_from) : NULL;

		roles_cancel(&kd->registry, &d->dom, previous ? &previous->dom : NULL);
		goto fail;
	}
	kd_append(kd, d);
	kd_save(kd, d);
	if (moved_from <= DOMID_MAX)
		kd_roles_changed(kd, kd_find_domid(kd, moved_from));
	kd_event(kd, d, kd_state_name(d->state), NULL, "created");
	log_info("domain %u (%s) created%s", d->dom.domid, d->dom.name, paused ? ", paused" : "");
	*out = d;
	return 0;
fail:
	kd_free_domain(d);
	return ret;
}

/* ---- Domains ending ---------------------------------------------------------------- */

static const char *kd_shutdown_reason(const char *outcome_reason)
{
	static const char *const same[] = { "poweroff", "reboot", "suspend", "crash", "watchdog" };

	for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++)
		if (!strcmp(outcome_reason, same[i]))
			return same[i];
	if (!strcmp(outcome_reason, "destroyed"))
		return "destroyed";
	return "crash"; /* triple fault, KVM errors, kdom errors, signals */
}

/* Why d's process ended: its outcome file, or "crash" when it died without one. */
static const char *kd_read_outcome(struct kdomd *kd, struct kd_domain *d, char *message, size_t len)
{
	char path[KDOMD_PATH_MAX], err[256];
	const char *reason = "crash";
	json_t *o;

	domain_process_path(path, sizeof(path), kd->run_dir, d->dom.domid, "outcome");
	o = state_read_json(path, err, sizeof(err));
	snprintf(message, len, "the domain process died");
	if (o) {
		const char *r = json_string_value(json_object_get(o, "reason"));
		const char *m = json_string_value(json_object_get(o, "message"));

		if (r)
			reason = kd_shutdown_reason(r);
		snprintf(message, len, "%s", m && *m ? m : reason);
		json_decref(o);
	}
	unlink(path);
	return reason;
}

/* Wait for d's process to end (destroy), killing it when it does not. */
static void kd_wait_exit(struct kd_domain *d)
{
	struct pollfd pfd = { .fd = d->pidfd, .events = POLLIN };

	if (d->pidfd < 0)
		return;
	if (poll(&pfd, 1, KD_EXIT_TIMEOUT_MS) <= 0) {
		log_warn("domain %u's process does not stop; killing it", d->dom.domid);
		syscall(SYS_pidfd_send_signal, d->pidfd, SIGKILL, NULL, 0);
		poll(&pfd, 1, KD_EXIT_TIMEOUT_MS);
	}
	waitpid(d->pid, NULL, WNOHANG);
}

static void kd_stop_process(struct kdomd *kd, struct kd_domain *d)
{
	char err[256];

	if (d->state == KD_SHUTDOWN || d->pidfd < 0)
		return;
	d->destroying = true;
	d->state = KD_DYING;
	if (kd_ctl_call(d, "destroy", NULL, NULL, err, sizeof(err)))
		syscall(SYS_pidfd_send_signal, d->pidfd, SIGTERM, NULL, 0);
	kd_wait_exit(d);
	epoll_ctl(kd->epoll_fd, EPOLL_CTL_DEL, d->pidfd, NULL);
	close(d->pidfd);
	d->pidfd = -1;
	if (d->ctl_fd >= 0)
		close(d->ctl_fd);
	d->ctl_fd = -1;
}

static void kd_reply_waiters(struct kdomd *kd, uint32_t domid);

void kd_destroy(struct kdomd *kd, struct kd_domain *d)
{
	kd_stop_process(kd, d);
	kd_reply_waiters(kd, d->dom.domid); /* a `shutdown -w` ends with the domain */
	kd_event(kd, d, "destroyed", NULL, NULL);
	log_info("domain %u (%s) destroyed", d->dom.domid, d->dom.name);
	kd_remove(kd, d, true);
}

static void kd_reply_waiters(struct kdomd *kd, uint32_t domid)
{
	for (unsigned int i = 0; i < KDOMD_MAX_CLIENTS; i++) {
		struct kd_client *c = kd->clients[i];

		if (!c || !c->waiting || c->waiting_domid != domid)
			continue;
		c->waiting = false;
		json_t *reply = msg_reply_ok(c->waiting_id, NULL);

		msg_send(c->fd, reply);
		json_decref(reply);
	}
}

/*
 * The host's poweroff or reboot, because the hardware domain asked for it:
 * every other domain stops, guests first in reverse creation order.
 */
static void kd_stop_all(struct kdomd *kd, bool keep_images)
{
	static struct kd_domain *order[DOMID_MAX + 1];
	struct kd_domain *hardware = NULL;
	size_t n = 0;

	for (struct kd_domain *d = kd->domains; d && n < DOMID_MAX + 1; d = d->next)
		order[n++] = d;
	while (n--) {
		struct kd_domain *d = order[n];

		if (is_hardware_domain(&d->dom)) {
			hardware = d;
			continue;
		}
		kd_stop_process(kd, d);
		kd_reply_waiters(kd, d->dom.domid);
		kd_event(kd, d, "destroyed", "host", NULL);
		log_info("domain %u (%s) stopped with the host", d->dom.domid, d->dom.name);
		kd_remove(kd, d, !keep_images);
	}
	if (hardware) {
		kd_stop_process(kd, hardware);
		kd_reply_waiters(kd, hardware->dom.domid);
		kd_event(kd, hardware, "destroyed", "host", NULL);
		log_info("domain %u (%s) stopped with the host", hardware->dom.domid,
			 hardware->dom.name);
		kd_remove(kd, hardware, !keep_images);
	}
}

/*
 * The host reboots: every domain stops and the ones that were running or
 * paused start again, in creation order, with their domids (a preserved,
 * shut-down domain stays gone, as it would on a real host).
 */
static void kd_restart_all(struct kdomd *kd)
{
	struct again {
		char *config, *path;
		int domid;
		bool paused;
	} * again;
	size_t n = 0, count = 0;
	char err[512];

	for (struct kd_domain *d = kd->domains; d; d = d->next)
		count++;
	again = calloc(count ? count : 1, sizeof(*again));
	for (struct kd_domain *d = kd->domains; d && again; d = d->next) {
		if (d->state == KD_SHUTDOWN && !is_hardware_domain(&d->dom))
			continue;
		again[n].config = strdup(d->config_text);
		again[n].path = d->config_path ? strdup(d->config_path) : NULL;
		again[n].domid = d->dom.domid;
		again[n].paused = d->state == KD_PAUSED;
		n++;
	}
	kd_stop_all(kd, true);
	for (size_t i = 0; i < n; i++) {
		struct kd_domain *d;

		if (!again[i].config ||
		    kd_create(kd, again[i].config, again[i].path, again[i].domid, again[i].paused,
			      &d, err, sizeof(err)))
			log_error("host reboot: cannot start domain %d again: %s", again[i].domid,
				  again[i].config ? err : "out of memory");
		free(again[i].config);
		free(again[i].path);
	}
	free(again);
	if (!again)
		log_error("host reboot: out of memory; no domain started again");
}

static void kd_host_poweroff(struct kdomd *kd, const char *why)
{
	log_info("host poweroff: %s", why);
	kd_stop_all(kd, false);
	kd->exiting = true;
	kd->exit_status = 0;
}

/* The hardware domain stopped: its shutdown is the host's. */
static void kd_forward_shutdown(struct kdomd *kd, struct kd_domain *d, const char *reason)
{
	kd_event(kd, d, "shutdown", reason, "host");
	if (!strcmp(reason, "reboot")) {
		log_info("host reboot: the hardware domain rebooted; every domain starts again");
		kd_restart_all(kd);
		return;
	}
	if (!strcmp(reason, "poweroff") || !strcmp(reason, "suspend")) {
		kd_host_poweroff(kd, "the hardware domain powered off");
		return;
	}
	switch (kd->host.hwdom_crash) {
	case HOST_CRASH_REBOOT:
		log_info("host reboot: the hardware domain's %s (hwdom_crash = reboot)", reason);
		kd_restart_all(kd);
		break;
	case HOST_CRASH_PRESERVE:
		log_info("the hardware domain's %s is preserved (hwdom_crash = preserve)", reason);
		d->state = KD_SHUTDOWN;
		d->reason = reason;
		kd_save(kd, d);
		break;
	default:
		kd_host_poweroff(kd, "the hardware domain crashed (hwdom_crash = poweroff)");
		break;
	}
}

/* A name for the old domain of rename-restart: NAME.N, unused and valid. */
static void kd_rename_old(struct kdomd *kd, struct kd_domain *d)
{
	char name[DOMAIN_NAME_MAX];

	for (unsigned int n = 1; n < 1000; n++) {
		snprintf(name, sizeof(name), "%.50s.%u", d->dom.name, n);
		if (!kd_find_name(kd, name))
			break;
	}
	snprintf(d->dom.name, sizeof(d->dom.name), "%s", name);
}

/* d's process ended; apply what its config (or the host, for the hardware domain) says. */
void kd_domain_exited(struct kdomd *kd, struct kd_domain *d)
{
	char message[512], err[512];
	const char *reason = kd_read_outcome(kd, d, message, sizeof(message));
	enum domain_shutdown which;
	enum domain_action action;
	struct kd_domain *nd;

	if (d->pidfd >= 0) {
		epoll_ctl(kd->epoll_fd, EPOLL_CTL_DEL, d->pidfd, NULL);
		close(d->pidfd);
		d->pidfd = -1;
	}
	waitpid(d->pid, NULL, WNOHANG);
	if (d->ctl_fd >= 0)
		close(d->ctl_fd);
	d->ctl_fd = -1;
	kd_reply_waiters(kd, d->dom.domid);
	if (d->destroying || !strcmp(reason, "destroyed")) {
		kd_destroy(kd, d);
		return;
	}
	log_info("domain %u (%s) shut down: %s (%s)", d->dom.domid, d->dom.name, reason, message);
	if (policy_shutdown_forwarded(&d->dom)) {
		kd_forward_shutdown(kd, d, reason);
		return;
	}
	if (!strcmp(reason, "suspend")) {
		action = DOMAIN_ACTION_PRESERVE;
	} else {
		which = !strcmp(reason, "poweroff")   ? DOMAIN_SHUTDOWN_POWEROFF
			: !strcmp(reason, "reboot")   ? DOMAIN_SHUTDOWN_REBOOT
			: !strcmp(reason, "watchdog") ? DOMAIN_SHUTDOWN_WATCHDOG
						      : DOMAIN_SHUTDOWN_CRASH;
		action = d->dc.on[which];
	}
	kd_event(kd, d, "shutdown", reason, domain_action_name(action));
	switch (action) {
	case DOMAIN_ACTION_DESTROY:
		kd_event(kd, d, "destroyed", reason, NULL);
		kd_remove(kd, d, true);
		break;
	case DOMAIN_ACTION_RESTART:
		if (kd_spawn(kd, d, false, err, sizeof(err))) {
			log_error("domain %u (%s): cannot restart: %s", d->dom.domid, d->dom.name,
				  err);
			d->state = KD_SHUTDOWN;
			d->reason = reason;
		} else {
			kd_event(kd, d, kd_state_name(d->state), reason, "restarted");
		}
		kd_save(kd, d);
		break;
	case DOMAIN_ACTION_RENAME_RESTART: {
		char *config = strdup(d->config_text);
		char *path = d->config_path ? strdup(d->config_path) : NULL;

		d->state = KD_SHUTDOWN;
		d->reason = reason;
		kd_rename_old(kd, d);
		kd_save(kd, d);
		if (!config || kd_create(kd, config, path, -1, false, &nd, err, sizeof(err)))
			log_error("domain %s: cannot restart under its name: %s", d->dom.name,
				  config ? err : "out of memory");
		free(config);
		free(path);
		break;
	}
	default:
		d->state = KD_SHUTDOWN;
		d->reason = reason;
		kd_save(kd, d);
		break;
	}
}

/* A record of a previous kdomd: admit the domain again and find its process. */
static void kd_recover_one(struct kdomd *kd, const char *path, json_t *rec,
			   struct kd_domain **exited, size_t *nexited)
{
	char err[512];
	const char *config, *config_path, *state, *reason;
	struct kd_domain *d;
	struct role_request req;
	int domid;

	config = json_string_value(json_object_get(rec, "config"));
	config_path = json_string_value(json_object_get(rec, "config_path"));
	state = json_string_value(json_object_get(rec, "state"));
	reason = json_string_value(json_object_get(rec, "reason"));
	domid = json_integer_value(json_object_get(rec, "domid"));
	d = config ? kd_new_domain(config, config_path) : NULL;
	if (!d || kd_parse_config(d, err, sizeof(err))) {
		log_error("ignoring the record %s: %s", path, d ? err : "no config");
		goto out;
	}
	/* A rename-restart renamed it: keep the name it had. */
	if (json_string_value(json_object_get(rec, "name")))
		domain_config_set_name(&d->dc, json_string_value(json_object_get(rec, "name")), err,
				       sizeof(err));
	req = (struct role_request){
		.domid = domid,
		.name = d->dc.name,
		.hardware = json_is_true(json_object_get(rec, "hardware")),
		.control = json_is_true(json_object_get(rec, "control")),
	};
	if (roles_admit(&kd->registry, &req, &d->dom, err, sizeof(err))) {
		log_error("ignoring the record %s: %s", path, err);
		goto out;
	}
	d->created = json_real_value(json_object_get(rec, "created"));
	d->seq = json_integer_value(json_object_get(rec, "seq"));
	if (d->seq >= kd->next_seq)
		kd->next_seq = d->seq + 1;
	d->pid = json_integer_value(json_object_get(rec, "pid"));
	d->starttime = json_integer_value(json_object_get(rec, "starttime"));
	d->state = state && !strcmp(state, "paused")	 ? KD_PAUSED
		   : state && !strcmp(state, "shutdown") ? KD_SHUTDOWN
							 : KD_RUNNING;
	if (d->state == KD_SHUTDOWN) {
		d->reason = reason ? kd_shutdown_reason(reason) : "crash";
	} else if (d->pid > 0 && kd_proc_starttime(d->pid) == d->starttime &&
		   (d->pidfd = kd_pidfd_open(d->pid)) >= 0) {
		if (kd_ctl_connect(kd, d) || kd_ctl_hello(d, err, sizeof(err)))
			log_warn("domain %u: its process runs but its channel does not answer",
				 d->dom.domid);
		kd_watch_domain(kd, d);
		log_info("domain %u (%s) found again (pid %d)", d->dom.domid, d->dom.name,
			 (int)d->pid);
	} else {
		exited[(*nexited)++] = d; /* ended while kdomd was away */
	}
	kd_append(kd, d);
	d = NULL;
out:
	if (d)
		kd_free_domain(d);
}

static void kd_recover_records(struct kdomd *kd);

void kd_recover(struct kdomd *kd)
{
	char path[KDOMD_PATH_MAX], err[256];
	json_t *launch;

	snprintf(path, sizeof(path), "%s/launch.json", kd->state_dir);
	launch = state_read_json(path, err, sizeof(err));
	kd->launch_finalized = json_is_true(json_object_get(launch, "launch_finalized"));
	json_decref(launch);
	kd_recover_records(kd);
}

struct kd_record {
	char path[KDOMD_PATH_MAX];
	json_t *rec;
	uint64_t seq;
};

static int kd_record_cmp(const void *a, const void *b)
{
	const struct kd_record *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/*
 * The records of a previous kdomd, admitted again in creation order (the
 * role registry's rules depend on it: domain 0 before a late hardware
 * domain), then whatever ended while kdomd was away is handled.
 */
static void kd_recover_records(struct kdomd *kd)
{
	static struct kd_domain *exited[DOMID_MAX + 1];
	struct kd_record *records = NULL;
	size_t nexited = 0, n = 0, cap = 0;
	DIR *dir = opendir(kd->domains_dir);
	struct dirent *e;
	char err[512];

	if (!dir)
		return;
	while ((e = readdir(dir))) {
		size_t len = strlen(e->d_name);
		struct kd_record r;

		if (len < 6 || len > 32 || strcmp(e->d_name + len - 5, ".json"))
			continue; /* not a record of ours: N.json */
		snprintf(r.path, sizeof(r.path), "%s/%.32s", kd->domains_dir, e->d_name);
		r.rec = state_read_json(r.path, err, sizeof(err));
		if (!r.rec) {
			log_error("ignoring a domain record: %s", err);
			continue;
		}
		r.seq = json_integer_value(json_object_get(r.rec, "seq"));
		if (n == cap) {
			struct kd_record *grown =
				realloc(records, (cap = cap * 2 + 16) * sizeof(r));

			if (!grown) {
				json_decref(r.rec);
				break;
			}
			records = grown;
		}
		records[n++] = r;
	}
	closedir(dir);
	if (n)
		qsort(records, n, sizeof(*records), kd_record_cmp);
	for (size_t i = 0; i < n; i++) {
		kd_recover_one(kd, records[i].path, records[i].rec, exited, &nexited);
		json_decref(records[i].rec);
	}
	free(records);
	for (size_t i = 0; i < nexited; i++)
		kd_domain_exited(kd, exited[i]);
}

/* kdomd: spawning the domain processes, their channel, and how their ends are read. */
#include "toolstack/kdomd.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "control/state-file.h"
#include "machine/domain-process.h"
#include "vmm/log.h"

/* ---- The domain process's files ------------------------------------------------------ */

void kd_process_remove_files(struct kdomd *kd, uint32_t domid)
{
	static const char *const suffixes[] = { "ctl", "console", "outcome" };
	char path[KDOMD_PATH_MAX];

	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		domain_process_path(path, sizeof(path), kd->run_dir, domid, suffixes[i]);
		unlink(path);
	}
}

/* The console log and process log; kept after destroy, cleared for a new domain. */
void kd_process_remove_logs(struct kdomd *kd, uint32_t domid)
{
	char path[KDOMD_PATH_MAX];

	domain_process_path(path, sizeof(path), kd->run_dir, domid, "console.log");
	unlink(path);
	domain_process_path(path, sizeof(path), kd->run_dir, domid, "log");
	unlink(path);
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

/* ---- Starting domain processes ---------------------------------------------------- */

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

/* What the domain process wrote on its ready pipe until it closed it, or until the timeout. */
static void kd_read_ready(int fd, char *line, size_t len)
{
	size_t got = 0;

	while (got < len - 1) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;
		int ret = poll(&pfd, 1, KD_READY_TIMEOUT_MS);

		if (ret < 0 && errno == EINTR)
			continue;
		if (ret <= 0)
			break;
		n = read(fd, line + got, len - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += n;
	}
	line[got] = '\0';
}

/*
 * Start d's domain process and wait until it says the domain is built.  0,
 * or -errno with err (the domain process's own error message).
 */
int kd_spawn(struct kdomd *kd, struct kd_domain *d, bool paused, char *err, size_t errlen)
{
	char line[1100];
	int pipefd[2], ret;
	pid_t pid;

	err[0] = '\0';
	kd_process_remove_files(kd, d->dom.domid);
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
	kd_read_ready(pipefd[0], line, sizeof(line));
	close(pipefd[0]);
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

/* ---- Finding a process again ------------------------------------------------------- */

bool kd_process_find(struct kdomd *kd, struct kd_domain *d)
{
	char err[256];

	if (d->pid <= 0 || kd_proc_starttime(d->pid) != d->starttime)
		return false;
	d->pidfd = kd_pidfd_open(d->pid);
	if (d->pidfd < 0)
		return false;
	if (kd_ctl_connect(kd, d) || kd_ctl_hello(d, err, sizeof(err)))
		log_warn("domain %u: its process runs but its channel does not answer",
			 d->dom.domid);
	kd_watch_domain(kd, d);
	return true;
}

/* ---- Processes ending -------------------------------------------------------------- */

const char *kd_shutdown_reason(const char *outcome_reason)
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

/* Stop watching d's process and close what kdomd holds of it. */
static void kd_process_release(struct kdomd *kd, struct kd_domain *d)
{
	if (d->pidfd >= 0) {
		epoll_ctl(kd->epoll_fd, EPOLL_CTL_DEL, d->pidfd, NULL);
		close(d->pidfd);
		d->pidfd = -1;
	}
	if (d->ctl_fd >= 0)
		close(d->ctl_fd);
	d->ctl_fd = -1;
}

void kd_process_stop(struct kdomd *kd, struct kd_domain *d)
{
	char err[256];

	if (d->state == KD_SHUTDOWN || d->pidfd < 0)
		return;
	d->destroying = true;
	d->state = KD_DYING;
	if (kd_ctl_call(d, "destroy", NULL, NULL, err, sizeof(err)))
		syscall(SYS_pidfd_send_signal, d->pidfd, SIGTERM, NULL, 0);
	kd_wait_exit(d);
	kd_process_release(kd, d);
}

const char *kd_process_ended(struct kdomd *kd, struct kd_domain *d, char *message, size_t len)
{
	const char *reason = kd_read_outcome(kd, d, message, len);

	kd_process_release(kd, d);
	waitpid(d->pid, NULL, WNOHANG);
	return reason;
}

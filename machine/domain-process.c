/* A domain process: kdom run's domain plus a control socket for kdomd and a console socket. */
#include "machine/domain-process.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "control/client.h"
#include "control/protocol.h"
#include "control/state-file.h"
#include "devices/host-ports.h"
#include "kdom/abi.h"
#include "machine/machine.h"
#include "vmm/log.h"
#include "vmm/vcpu.h"

#define DP_MAX_CONNS 4
#define DP_BAD_MESSAGES_MAX 16

struct dp;

struct dp_conn {
	struct dp *dp;
	int fd;
	struct msg_reader reader;
	unsigned int bad;
	bool hello;
};

struct dp {
	const struct domain_process_params *params;
	struct machine *rd;
	/* The guest's management hypercalls, one at a time, over a client of kdomd. */
	pthread_mutex_t kdomd_lock;
	struct kdom_client kdomd;
	bool kdomd_open;
	int kdomd_fd;	     /* the connection's fd while open, else -1: for dp_end_kdomd_waits() */
	unsigned int images; /* CREATEDOMAIN images written so far */
	int ctl_fd, con_fd, con_client;
	int con_client_source; /* the console client's event-loop source, or -1 */
	struct dp_conn conns[DP_MAX_CONNS];
	unsigned int shutdown_request; /* KDOM_SHUTDOWN_* + 1; 0: none */
};

void domain_process_path(char *buf, size_t len, const char *run_dir, unsigned int domid,
			 const char *suffix)
{
	snprintf(buf, len, "%s/%u.%s", run_dir, domid, suffix);
}

/* A listening UNIX socket at path, mode 0600.  The fd or -errno (logged). */
static int dp_listen(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd, ret;

	if (strlen(path) >= sizeof(addr.sun_path)) {
		log_error("socket path %s is too long (at most %zu bytes)", path,
			  sizeof(addr.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	strcpy(addr.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	unlink(path);
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || chmod(path, 0600) < 0 ||
	    listen(fd, 8) < 0) {
		ret = -errno;
		log_error("cannot listen on %s: %s", path, strerror(-ret));
		close(fd);
		return ret;
	}
	return fd;
}

static void dp_send(struct dp_conn *c, json_t *msg)
{
	if (msg)
		msg_send(c->fd, msg); /* a peer that went away is noticed by its next read */
	json_decref(msg);
}

static void dp_close_conn(struct dp_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	msg_reader_free(&c->reader);
	c->fd = -1;
}

/*
 * A vCPU may be waiting for kdomd's answer to a management hypercall (with
 * the lock held): shutting the socket down ends that wait, so the vCPU can
 * see the domain stopping.  The fd itself is closed by its owner.
 */
static void dp_end_kdomd_waits(struct dp *dp)
{
	int fd = __atomic_load_n(&dp->kdomd_fd, __ATOMIC_ACQUIRE);

	if (fd >= 0)
		shutdown(fd, SHUT_RDWR);
}

static json_t *dp_status(struct dp *dp)
{
	return json_pack("{s:i, s:s, s:b}", "domid", (int)dp->rd->domain.domid, "state",
			 vm_paused(&dp->rd->vm) ? "paused" : "running", "shutdown_requested",
			 dp->shutdown_request != 0);
}

/*
 * A shutdown or reboot request for the guest, always recorded for it to
 * read.  A guest that said it reads requests (its GET_CONTROL_REQUEST)
 * gets an NMI on vCPU 0 to wake it; any other, Linux for one, a press of
 * the ACPI power button, after which its S5 counts as the reboot asked
 * for, if it was one (docs/protocol.md).
 */
static int dp_request_shutdown(struct dp *dp, const char *reason)
{
	struct machine *m = dp->rd;
	unsigned int code;

	if (!strcmp(reason, "poweroff"))
		code = KDOM_SHUTDOWN_POWEROFF;
	else if (!strcmp(reason, "reboot"))
		code = KDOM_SHUTDOWN_REBOOT;
	else
		return -EINVAL;
	dp->shutdown_request = code + 1;
	/* Sequentially consistent with the guest's registration (devices/hypercall-port.c). */
	__atomic_store_n(&m->hypercall.shutdown_request, code + 1, __ATOMIC_SEQ_CST);
	if (!hypercall_port_reads_requests(&m->hypercall))
		acpi_pm_power_button(&m->acpi_pm, code == KDOM_SHUTDOWN_REBOOT ? VM_STOP_REBOOT
									       : VM_STOP_POWEROFF);
	else if (m->vm.started)
		vcpu_inject_nmi(&m->vm.vcpus[0]);
	return 0;
}

static json_t *dp_handle(struct dp *dp, struct dp_conn *c, const json_t *msg)
{
	char err[256] = "";
	const json_t *args;
	const char *op, *reason;
	uint64_t id = 0;
	int ret = msg_parse_request(msg, &id, &op, &args, err, sizeof(err));

	if (ret)
		return msg_reply_error(id, -ret, "%s", err);
	if (!strcmp(op, "hello")) {
		c->hello = true;
		return msg_reply_ok(id, json_pack("{s:s, s:i}", "server", "kdom-domain", "version",
						  KDOM_PROTOCOL_VERSION));
	}
	if (!c->hello)
		return msg_reply_error(id, EPROTO, "say hello first");
	if (!strcmp(op, "status"))
		return msg_reply_ok(id, dp_status(dp));
	if (!strcmp(op, "pause")) {
		vm_pause(&dp->rd->vm);
		return msg_reply_ok(id, dp_status(dp));
	}
	if (!strcmp(op, "unpause")) {
		ret = vm_unpause(&dp->rd->vm);
		if (ret)
			return msg_reply_error(id, -ret, "cannot start the vCPUs: %s",
					       strerror(-ret));
		return msg_reply_ok(id, dp_status(dp));
	}
	if (!strcmp(op, "roles")) {
		int64_t roles;

		if (msg_get_int(args, "roles", 0, DOMAIN_ROLE_HARDWARE | DOMAIN_ROLE_CONTROL, 0,
				&roles, err, sizeof(err)))
			return msg_reply_error(id, EINVAL, "%s", err);
		__atomic_store_n(&dp->rd->domain.roles, (unsigned int)roles, __ATOMIC_RELEASE);
		log_info("roles now 0x%x (the hardware role moved to another domain)",
			 (unsigned int)roles);
		return msg_reply_ok(id, NULL);
	}
	if (!strcmp(op, "destroy")) {
		vm_stop(&dp->rd->vm, VM_STOP_DESTROY, 0, "destroyed");
		dp_end_kdomd_waits(dp);
		return msg_reply_ok(id, NULL);
	}
	if (!strcmp(op, "stop")) {
		/* SCHEDOP_remote_shutdown: the domain stops now, as if it had asked. */
		static const enum vm_stop_reason stops[] = {
			[KDOM_SHUTDOWN_POWEROFF] = VM_STOP_POWEROFF,
			[KDOM_SHUTDOWN_REBOOT] = VM_STOP_REBOOT,
			[KDOM_SHUTDOWN_SUSPEND] = VM_STOP_SUSPEND,
			[KDOM_SHUTDOWN_CRASH] = VM_STOP_CRASH,
			[KDOM_SHUTDOWN_WATCHDOG] = VM_STOP_WATCHDOG,
		};
		int64_t code;

		if (msg_get_int(args, "reason", 0, KDOM_SHUTDOWN_WATCHDOG, 0, &code, err,
				sizeof(err)))
			return msg_reply_error(id, EINVAL, "%s", err);
		vm_stop(&dp->rd->vm, stops[code], 0, "shut down by a control domain");
		dp_end_kdomd_waits(dp);
		return msg_reply_ok(id, NULL);
	}
	if (!strcmp(op, "shutdown")) {
		if (msg_get_string(args, "reason", true, &reason, err, sizeof(err)))
			return msg_reply_error(id, EINVAL, "%s", err);
		ret = dp_request_shutdown(dp, reason);
		if (ret == -EINVAL)
			return msg_reply_error(id, EINVAL, "'reason' must be poweroff or reboot");
		if (ret)
			return msg_reply_error(id, EIO, "cannot signal the guest: %s",
					       strerror(-ret));
		return msg_reply_ok(id, NULL);
	}
	return msg_reply_error(id, EOPNOTSUPP, "unknown op '%s'", op);
}

static int dp_conn_input(struct event_loop *loop, int fd, int res, void *opaque)
{
	struct dp_conn *c = opaque;
	char buf[4096], err[256];
	ssize_t n = read(c->fd, buf, sizeof(buf));
	json_t *msg;
	int ret;

	if (n <= 0) {
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			return 0;
		dp_close_conn(c);
		return 1;
	}
	if (msg_reader_feed(&c->reader, buf, n)) {
		dp_close_conn(c);
		return 1;
	}
	while ((ret = msg_reader_next(&c->reader, &msg, err, sizeof(err))) != 0) {
		if (ret < 0) {
			dp_send(c, msg_reply_error(0, -ret, "%s", err));
			if (++c->bad > DP_BAD_MESSAGES_MAX) {
				dp_close_conn(c);
				return 1;
			}
			continue;
		}
		dp_send(c, dp_handle(c->dp, c, msg));
		json_decref(msg);
	}
	return 0;
}

static int dp_accept_ctl(struct event_loop *loop, int listen_fd, int res, void *opaque)
{
	struct dp *dp = opaque;
	int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (fd < 0)
		return 0;
	for (unsigned int i = 0; i < DP_MAX_CONNS; i++) {
		struct dp_conn *c = &dp->conns[i];

		if (c->fd >= 0)
			continue;
		*c = (struct dp_conn){ .dp = dp, .fd = fd };
		msg_reader_init(&c->reader);
		if (event_loop_add(loop, fd, "kdomd connection", dp_conn_input, c) < 0)
			dp_close_conn(c);
		return 0;
	}
	close(fd); /* kdomd holds one connection; more are a mistake */
	return 0;
}

static void dp_close_console_client(struct dp *dp)
{
	if (dp->con_client < 0)
		return;
	if (dp->con_client_source >= 0)
		event_loop_remove(&dp->rd->events, dp->con_client_source);
	dp->con_client_source = -1;
	console_detach(&dp->rd->console, dp->con_client);
	close(dp->con_client);
	dp->con_client = -1;
}

static int dp_console_input(struct event_loop *loop, int fd, int res, void *opaque)
{
	struct dp *dp = opaque;
	uint8_t buf[UART_RX_SIZE];
	ssize_t n = read(fd, buf, sizeof(buf));

	if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
		dp->con_client_source = -1; /* removed by the loop on return */
		dp_close_console_client(dp);
		return 1;
	}
	if (n > 0)
		uart_receive(&dp->rd->uart, buf, n);
	return 0;
}

/* One console client at a time: a new one replaces the old (as xl console does). */
static int dp_accept_console(struct event_loop *loop, int listen_fd, int res, void *opaque)
{
	struct dp *dp = opaque;
	int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (fd < 0)
		return 0;
	dp_close_console_client(dp);
	dp->con_client_source = event_loop_add(loop, fd, "console client", dp_console_input, dp);
	if (dp->con_client_source < 0) {
		close(fd);
		return 0;
	}
	dp->con_client = fd;
	console_attach(&dp->rd->console, fd);
	return 0;
}

/* kdomd's errno, as the guest's Xen errno (the same numbers for these). */
static int64_t dp_errno(int err)
{
	switch (err) {
	case -EPERM:
	case -EACCES:
		return -KDOM_EPERM;
	case -ESRCH:
	case -ENOENT:
		return -KDOM_ESRCH;
	case -EINVAL:
	case -EBADMSG:
		return -KDOM_EINVAL;
	case -EBUSY:
		return -KDOM_EBUSY;
	case -EEXIST:
		return -KDOM_EEXIST;
	case -ENOSPC:
		return -KDOM_ENOSPC;
	case -ENOMEM:
		return -KDOM_ENOMEM;
	default:
		return -KDOM_EIO;
	}
}

/* Copy guest text of len bytes at gpa; NULL when outside RAM or not text. */
static char *dp_guest_text(struct dp *dp, uint64_t gpa, uint64_t len)
{
	const char *src = gmem_ptr(&dp->rd->vm.mem, gpa, len);
	char *copy;

	if (!src || memchr(src, '\0', len))
		return NULL;
	json_t *probe = json_stringn(src, len); /* NULL for text that is not UTF-8 */

	if (!probe)
		return NULL;
	json_decref(probe);
	copy = malloc(len + 1);
	if (copy) {
		memcpy(copy, src, len);
		copy[len] = '\0';
	}
	return copy;
}

/* CREATEDOMAIN's image: written from guest memory into a private file kdomd takes over. */
static int64_t dp_create_args(struct dp *dp, const struct kdom_hypercall *req, json_t *args)
{
	const struct domain_process_params *p = dp->params;
	const void *image;
	char path[256], *config;
	int fd;

	if (req->arg[1] == 0 || req->arg[1] > KDOM_CREATE_IMAGE_MAX ||
	    req->arg[3] > KDOM_CREATE_CONFIG_MAX)
		return -KDOM_E2BIG;
	image = gmem_ptr(&dp->rd->vm.mem, req->arg[0], req->arg[1]);
	config = dp_guest_text(dp, req->arg[2], req->arg[3]);
	if (!image || !config) {
		free(config);
		return -KDOM_EFAULT;
	}
	snprintf(path, sizeof(path), "%s/%u.image%u", p->run_dir, p->domain.domid,
		 __atomic_fetch_add(&dp->images, 1, __ATOMIC_RELAXED));
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, image, req->arg[1]) != (ssize_t)req->arg[1]) {
		if (fd >= 0)
			close(fd);
		unlink(path);
		free(config);
		return -KDOM_EIO;
	}
	close(fd);
	json_object_set_new(args, "image", json_string(path));
	json_object_set_new(args, "config", json_string(config));
	free(config);
	return 0;
}

/* The management request as kdomd's "manage" op takes it; 0 or the guest's -errno. */
static int64_t dp_manage_args(struct dp *dp, const struct kdom_hypercall *req, json_t **out)
{
	static const char *const domctl_calls[] = {
		[KDOM_DOMCTL_CREATEDOMAIN] = "create",
		[KDOM_DOMCTL_DESTROYDOMAIN] = "destroy",
		[KDOM_DOMCTL_PAUSEDOMAIN] = "pause",
		[KDOM_DOMCTL_UNPAUSEDOMAIN] = "unpause",
		[KDOM_DOMCTL_GETDOMAININFO] = "getdomaininfo",
	};
	json_t *args = json_object();
	int64_t ret = 0;

	if (req->op == KDOM_HC_DOMCTL) {
		json_object_set_new(args, "call", json_string(domctl_calls[req->cmd]));
		if (req->cmd == KDOM_DOMCTL_CREATEDOMAIN)
			ret = dp_create_args(dp, req, args);
		else
			json_object_set_new(args, "domid", json_integer(req->arg[0] & 0xffffffff));
	} else if (req->op == KDOM_HC_SYSCTL) {
		json_object_set_new(args, "call", json_string("list"));
		json_object_set_new(args, "domid", json_integer(req->arg[0] & 0xffffffff));
		json_object_set_new(args, "max", json_integer(req->arg[2]));
	} else if (req->op == KDOM_HC_SCHED_OP) {
		json_object_set_new(args, "call", json_string("shutdown"));
		json_object_set_new(args, "domid", json_integer(req->arg[0] & 0xffffffff));
		json_object_set_new(args, "reason", json_integer(req->arg[1]));
	} else {
		json_object_set_new(args, "call",
				    json_string(req->cmd == KDOM_KDOMOP_LAUNCH_FINALIZE
							? "finalize"
							: "dom_exc"));
	}
	if (ret)
		json_decref(args);
	else
		*out = args;
	return ret;
}

/* GETDOMAININFOLIST's entries, into the caller's buffer (checked before kdomd is asked). */
static int64_t dp_write_list(struct dp *dp, const struct kdom_hypercall *req, const json_t *result)
{
	const json_t *list = json_object_get(result, "domains");
	struct kdom_dominfo *out;
	size_t n = json_array_size(list);

	if (n > req->arg[2])
		n = req->arg[2];
	out = gmem_ptr(&dp->rd->vm.mem, req->arg[1], n * sizeof(*out));
	if (!out && n)
		return -KDOM_EFAULT;
	for (size_t i = 0; i < n; i++) {
		const json_t *e = json_array_get(list, i);
		struct kdom_dominfo info = {
			.domid = json_integer_value(json_object_get(e, "domid")),
			.flags = json_integer_value(json_object_get(e, "flags")),
			.pages = json_integer_value(json_object_get(e, "pages")),
			.vcpus = json_integer_value(json_object_get(e, "vcpus")),
			.roles = json_integer_value(json_object_get(e, "roles")),
		};

		memcpy(&out[i], &info, sizeof(info));
	}
	return n;
}

/*
 * A management hypercall (vCPU thread): kdomd decides and acts, through a
 * client connection opened on first use and again after kdomd restarts.
 */
static int64_t dp_manage(void *opaque, struct kdom_hypercall *req)
{
	struct dp *dp = opaque;
	json_t *args = NULL, *result = NULL;
	char err[512];
	int64_t ret;
	int call;

	if (req->op == KDOM_HC_SYSCTL &&
	    (req->arg[2] > KDOM_DOMINFO_LIST_MAX ||
	     !gmem_ptr(&dp->rd->vm.mem, req->arg[1], req->arg[2] * sizeof(struct kdom_dominfo))))
		return req->arg[2] > KDOM_DOMINFO_LIST_MAX ? -KDOM_E2BIG : -KDOM_EFAULT;
	ret = dp_manage_args(dp, req, &args);
	if (ret)
		return ret;
	/*
	 * While this vCPU waits for kdomd it counts as parked (a pause must not
	 * wait for it), and a destroy shuts the connection to end the wait.
	 */
	vm_outside_enter(&dp->rd->vm);
	pthread_mutex_lock(&dp->kdomd_lock);
	call = -ENOTCONN;
	for (int attempt = 0; attempt < 2 && !dp->rd->vm.stopping; attempt++) {
		if (!dp->kdomd_open) {
			call = kdom_client_open(&dp->kdomd, dp->params->kdomd_socket, err,
						sizeof(err));
			if (call) {
				log_warn("management hypercall: %s", err);
				break;
			}
			dp->kdomd_open = true;
			__atomic_store_n(&dp->kdomd_fd, dp->kdomd.fd, __ATOMIC_RELEASE);
		}
		call = kdom_client_call(&dp->kdomd, "manage", json_incref(args), &result, err,
					sizeof(err));
		if (call != -ECONNRESET && call != -EPIPE)
			break;
		__atomic_store_n(&dp->kdomd_fd, -1, __ATOMIC_RELEASE);
		kdom_client_close(&dp->kdomd); /* kdomd restarted: once more on a new connection */
		dp->kdomd_open = false;
	}
	pthread_mutex_unlock(&dp->kdomd_lock);
	vm_outside_leave(&dp->rd->vm);
	/* A CREATEDOMAIN image that kdomd did not take (it renames what it takes) goes. */
	const char *image = json_string_value(json_object_get(args, "image"));

	if (image)
		unlink(image);
	json_decref(args);
	if (call) {
		log_debug("management hypercall refused: %s", err);
		json_decref(result);
		return dp_errno(call);
	}
	if (req->op == KDOM_HC_SYSCTL) {
		ret = dp_write_list(dp, req, result);
	} else {
		const json_t *out = json_object_get(result, "arg");

		ret = json_integer_value(json_object_get(result, "ret"));
		for (size_t i = 0; i < 4 && i < json_array_size(out); i++)
			req->arg[i] = json_integer_value(json_array_get(out, i));
	}
	json_decref(result);
	return ret;
}

/* SIGTERM is how kdomd's last resort (and systemd) ends a domain: as destroy. */
static void dp_on_signal(unsigned int signo, void *opaque)
{
	struct dp *dp = opaque;

	vm_stop(&dp->rd->vm, VM_STOP_DESTROY, 0, "stopped by signal %u (%s)", signo,
		strsignal(signo));
	dp_end_kdomd_waits(dp);
}

static void dp_ready(int fd, const char *error)
{
	char line[1100];
	int len;

	if (fd < 0)
		return;
	len = error ? snprintf(line, sizeof(line), "error: %s\n", error)
		    : snprintf(line, sizeof(line), "ok\n");
	if (len > (int)sizeof(line) - 1)
		len = sizeof(line) - 1;
	if (write(fd, line, len) < 0)
		log_debug("ready pipe: %s", strerror(errno));
	close(fd);
}

static void dp_write_outcome(const struct domain_process_params *p, const struct vm_outcome *o)
{
	char path[256];
	json_t *outcome = json_pack("{s:s, s:i, s:i, s:s}", "reason",
				    vm_stop_reason_name(o->reason), "result", (int)o->result,
				    "exit", vm_outcome_exit_code(o), "message", o->message);
	int ret;

	domain_process_path(path, sizeof(path), p->run_dir, p->domain.domid, "outcome");
	ret = outcome ? state_write_json(path, outcome) : -ENOMEM;
	if (ret)
		log_error("cannot record how the domain ended in %s: %s", path, strerror(-ret));
	json_decref(outcome);
}

int domain_process_main(const struct domain_process_params *p)
{
	char ctl_path[256], con_path[256], log_path[256], spec[300];
	struct dp dp = { .params = p,
			 .ctl_fd = -1,
			 .con_fd = -1,
			 .con_client = -1,
			 .con_client_source = -1,
			 .kdomd_fd = -1 };
	struct machine *m = calloc(1, sizeof(*m));
	int status = KDOM_EXIT_KDOM_ERROR;

	for (unsigned int i = 0; i < DP_MAX_CONNS; i++)
		dp.conns[i].fd = -1;
	if (!m) {
		dp_ready(p->ready_fd, "out of memory");
		return status;
	}
	dp.rd = m;
	pthread_mutex_init(&dp.kdomd_lock, NULL);
	domain_process_path(ctl_path, sizeof(ctl_path), p->run_dir, p->domain.domid, "ctl");
	domain_process_path(con_path, sizeof(con_path), p->run_dir, p->domain.domid, "console");
	domain_process_path(log_path, sizeof(log_path), p->run_dir, p->domain.domid, "console.log");
	snprintf(spec, sizeof(spec), "append:%s", log_path);

	struct machine_options options = {
		.console = spec,
		.paused = p->paused,
		.manage = p->kdomd_socket ? dp_manage : NULL,
		.manage_opaque = &dp,
		.on_signal = dp_on_signal,
		.signal_opaque = &dp,
	};

	dp.ctl_fd = dp_listen(ctl_path);
	dp.con_fd = dp_listen(con_path);
	if (dp.ctl_fd < 0 || dp.con_fd < 0 ||
	    machine_build(m, &p->domain, p->dc, p->host, &options) ||
	    event_loop_add(&m->events, dp.ctl_fd, "control socket", dp_accept_ctl, &dp) < 0 ||
	    event_loop_add(&m->events, dp.con_fd, "console socket", dp_accept_console, &dp) < 0)
		goto fail;
	dp_ready(p->ready_fd, NULL);
	status = machine_run(m);
	dp_write_outcome(p, &m->vm.outcome);
	goto out;

fail:
	dp_ready(p->ready_fd, log_last_error()[0] ? log_last_error() : "cannot build the domain");
out:
	dp_close_console_client(&dp);
	machine_teardown(m);
	for (unsigned int i = 0; i < DP_MAX_CONNS; i++)
		dp_close_conn(&dp.conns[i]);
	if (dp.kdomd_open)
		kdom_client_close(&dp.kdomd);
	if (dp.ctl_fd >= 0) {
		close(dp.ctl_fd);
		unlink(ctl_path);
	}
	if (dp.con_fd >= 0) {
		close(dp.con_fd);
		unlink(con_path);
	}
	free(m);
	return status;
}

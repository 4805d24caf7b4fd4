/* kdomd: the toolstack daemon — its requests, its start and its event loop. */
#include "toolstack/kdomd.h"

#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "control/state-file.h"
#include "hv-roles/policy.h"
#include "machine/domain-process.h"
#include "vmm/log.h"

/* ---- Requests ------------------------------------------------------------------- */

static json_t *kd_op_create(struct kdomd *kd, struct kd_client *c, uint64_t id, const char *op,
			    const json_t *args)
{
	const char *config, *path;
	char err[512] = "";
	bool paused;
	struct kd_domain *d;
	int ret;

	if (msg_get_string(args, "config", true, &config, err, sizeof(err)) ||
	    msg_get_string(args, "config_path", false, &path, err, sizeof(err)) ||
	    msg_get_bool(args, "paused", false, &paused, err, sizeof(err)))
		return msg_reply_error(id, EINVAL, "%s", err);
	ret = kd_create(kd, config, path, -1, paused, &d, err, sizeof(err));
	if (ret)
		return msg_reply_error(id, -ret, "%s", err);
	return msg_reply_ok(
		id, json_pack("{s:i, s:s}", "domid", (int)d->dom.domid, "name", d->dom.name));
}

static json_t *kd_op_list(struct kdomd *kd, struct kd_client *c, uint64_t id, const char *op,
			  const json_t *args)
{
	json_t *list = json_array();

	for (struct kd_domain *d = kd->domains; d; d = d->next)
		json_array_append_new(list, kd_domain_json(d));
	return msg_reply_ok(id, json_pack("{s:o}", "domains", list));
}

/* Ops on one existing domain, named by args.domain. */
static json_t *kd_op_domain(struct kdomd *kd, struct kd_client *c, uint64_t id, const char *op,
			    const json_t *args)
{
	const char *what;
	char err[512] = "";
	struct kd_domain *d;
	bool wait;
	int ret;

	if (msg_get_string(args, "domain", true, &what, err, sizeof(err)))
		return msg_reply_error(id, EINVAL, "%s", err);
	d = kd_lookup(kd, what);
	if (!d)
		return msg_reply_error(id, ENOENT, "no domain '%.64s'", what);
	if (!strcmp(op, "info"))
		return msg_reply_ok(id, kd_domain_json(d));
	if (!strcmp(op, "destroy")) {
		kd_destroy(kd, d);
		return msg_reply_ok(id, NULL);
	}
	if (d->state == KD_SHUTDOWN || d->state == KD_DYING)
		return msg_reply_error(id, EBUSY, "domain %u (%s) is %s", d->dom.domid, d->dom.name,
				       kd_state_name(d->state));
	if (!strcmp(op, "console")) {
		char path[KDOMD_PATH_MAX];

		domain_process_path(path, sizeof(path), kd->run_dir, d->dom.domid, "console");
		return msg_reply_ok(id,
				    json_pack("{s:s, s:s}", "socket", path, "name", d->dom.name));
	}
	if (!strcmp(op, "pause") || !strcmp(op, "unpause")) {
		ret = kd_ctl_call(d, op, NULL, NULL, err, sizeof(err));
		if (ret)
			return msg_reply_error(id, -ret, "%s", err);
		d->state = !strcmp(op, "pause") ? KD_PAUSED : KD_RUNNING;
		kd_save(kd, d);
		kd_event(kd, d, kd_state_name(d->state), NULL, NULL);
		return msg_reply_ok(id, NULL);
	}
	/* shutdown and reboot: a request the guest acts on. */
	if (msg_get_bool(args, "wait", false, &wait, err, sizeof(err)))
		return msg_reply_error(id, EINVAL, "%s", err);
	ret = kd_ctl_call(
		d, "shutdown",
		json_pack("{s:s}", "reason", !strcmp(op, "reboot") ? "reboot" : "poweroff"), NULL,
		err, sizeof(err));
	if (ret)
		return msg_reply_error(id, -ret, "%s", err);
	if (wait) {
		kd_client_wait_for(c, d->dom.domid, id);
		return NULL; /* the reply comes when the domain has stopped */
	}
	return msg_reply_ok(id, NULL);
}

/* ---- Launch ----------------------------------------------------------------------- */

/* The text of one domain configuration a manifest names, checked first as a config file. */
static char *kd_launch_read_config(const char *file, char *err, size_t errlen)
{
	char cerr[512], *config = NULL;
	size_t cap = 0;
	struct cfg one;
	FILE *f;

	if (cfg_load(file, &one, cerr, sizeof(cerr))) {
		snprintf(err, errlen, "%.500s", cerr);
		return NULL;
	}
	cfg_free(&one);
	f = fopen(file, "r");
	if (!f || getdelim(&config, &cap, '\0', f) < 0) {
		snprintf(err, errlen, "cannot read %.400s", file);
		if (f)
			fclose(f);
		free(config);
		return NULL;
	}
	fclose(f);
	return config;
}

/*
 * Every domain the manifest's list names, created paused, in order, into
 * made[]; *n says how many were.  0, or -EINVAL with err (the domains made
 * so far are the caller's to destroy).
 */
static int kd_launch_create(struct kdomd *kd, const struct cfg_value *list, const char *path,
			    struct kd_domain **made, size_t *n, char *err, size_t errlen)
{
	for (size_t i = 0; i < list->nitems; i++) {
		const struct cfg_value *item = &list->items[i];
		char file[PATH_MAX], dir[PATH_MAX], cerr[512];
		char *config;
		int ret;

		if (item->type != CFG_STRING) {
			snprintf(err, errlen, "%s:%d: domains lists config file names",
				 path ? path : "(manifest)", item->line);
			return -EINVAL;
		}
		snprintf(dir, sizeof(dir), "%s", path ? path : ".");
		if (item->string[0] == '/')
			snprintf(file, sizeof(file), "%s", item->string);
		else
			snprintf(file, sizeof(file), "%s/%s", dirname(dir), item->string);
		config = kd_launch_read_config(file, err, errlen);
		if (!config)
			return -EINVAL;
		ret = kd_create(kd, config, file, -1, true, &made[*n], cerr, sizeof(cerr));
		free(config);
		if (ret) {
			snprintf(err, errlen, "%.500s", cerr);
			return -EINVAL;
		}
		(*n)++;
	}
	return 0;
}

/* The launch's domains start: the bootstrap domain alone when there is one, else all, in order. */
static int kd_launch_start(struct kdomd *kd, struct kd_domain **made, size_t n, char *err,
			   size_t errlen)
{
	bool has_bootstrap = false;
	char cerr[512];

	for (size_t i = 0; i < n; i++)
		has_bootstrap |= is_bootstrap_domain(&made[i]->dom);
	for (size_t i = 0; i < n; i++) {
		if (!policy_launch_starts(&made[i]->dom, has_bootstrap))
			continue;
		if (has_bootstrap)
			log_info("launch: domain %u (%s) starts the others", made[i]->dom.domid,
				 made[i]->dom.name);
		if (kd_ctl_call(made[i], "unpause", NULL, NULL, cerr, sizeof(cerr))) {
			snprintf(err, errlen, "cannot start %s: %.400s", made[i]->dom.name, cerr);
			return -EINVAL;
		}
		made[i]->state = KD_RUNNING;
		kd_save(kd, made[i]);
		kd_event(kd, made[i], "running", NULL, NULL);
	}
	return 0;
}

/* A launch manifest: `domains = [ "a.cfg", ... ]`, created paused, then started. */
static json_t *kd_op_launch(struct kdomd *kd, struct kd_client *c, uint64_t id, const char *op,
			    const json_t *args)
{
	const char *text, *path;
	char err[512] = "";
	const struct cfg_setting *list;
	struct kd_domain *made[64];
	json_t *result;
	struct cfg cfg;
	size_t n = 0;
	int ret;

	if (msg_get_string(args, "manifest", true, &text, err, sizeof(err)) ||
	    msg_get_string(args, "manifest_path", false, &path, err, sizeof(err)))
		return msg_reply_error(id, EINVAL, "%s", err);
	ret = cfg_parse(path ? path : "(manifest)", text, strlen(text), &cfg, err, sizeof(err));
	if (ret)
		return msg_reply_error(id, EINVAL, "%s", err);
	kd_set_finalized(kd, false); /* this launch's bootstrap domain builds it */
	list = cfg_find(&cfg, "domains");
	if (!list || list->value.type != CFG_LIST || list->value.nitems == 0 ||
	    list->value.nitems > 64 || cfg.nsettings != 1) {
		cfg_free(&cfg);
		return msg_reply_error(id, EINVAL,
				       "%s: a manifest is one key, domains = [ \"CONFIG\", ... ] "
				       "(1 to 64 files)",
				       path ? path : "(manifest)");
	}
	ret = kd_launch_create(kd, &list->value, path, made, &n, err, sizeof(err));
	cfg_free(&cfg);
	if (!ret)
		ret = kd_launch_start(kd, made, n, err, sizeof(err));
	if (ret) {
		while (n--)
			kd_destroy(kd, made[n]);
		return msg_reply_error(id, EINVAL, "%s", err);
	}
	result = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(result,
				      json_pack("{s:i, s:s}", "domid", (int)made[i]->dom.domid,
						"name", made[i]->dom.name));
	return msg_reply_ok(id, json_pack("{s:o}", "domains", result));
}

/* ---- The request table ----------------------------------------------------------------- */

json_t *kd_request(struct kdomd *kd, struct kd_client *c, uint64_t id, const char *op,
		   const json_t *args)
{
	static const struct {
		const char *op;
		kd_request_fn *handle;
	} requests[] = {
		{ "create", kd_op_create },   { "list", kd_op_list },
		{ "launch", kd_op_launch },   { "manage", kd_op_manage },
		{ "info", kd_op_domain },     { "destroy", kd_op_domain },
		{ "pause", kd_op_domain },    { "unpause", kd_op_domain },
		{ "shutdown", kd_op_domain }, { "reboot", kd_op_domain },
		{ "console", kd_op_domain },
	};

	for (size_t i = 0; i < sizeof(requests) / sizeof(requests[0]); i++)
		if (!strcmp(op, requests[i].op))
			return requests[i].handle(kd, c, id, op, args);
	return msg_reply_error(id, EOPNOTSUPP, "unknown op '%.32s'", op);
}

/* ---- Starting ------------------------------------------------------------------------ */

static int kd_listen(struct kdomd *kd)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	char dir[PATH_MAX];
	int fd;

	if (strlen(kd->socket_path) >= sizeof(addr.sun_path)) {
		log_error("socket path %s is too long (at most %zu bytes)", kd->socket_path,
			  sizeof(addr.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	snprintf(dir, sizeof(dir), "%s", kd->socket_path);
	state_mkdirs(dirname(dir), 0755);
	strcpy(addr.sun_path, kd->socket_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	/* A live kdomd answers; only a stale socket may be replaced. */
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0) {
		log_error("another kdomd is listening on %s", kd->socket_path);
		close(fd);
		return -EADDRINUSE;
	}
	unlink(kd->socket_path);
	mode_t old = umask(0177);

	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(fd, 64) < 0) {
		int ret = -errno;

		umask(old);
		log_error("cannot listen on %s: %s", kd->socket_path, strerror(-ret));
		close(fd);
		return ret;
	}
	umask(old);
	chmod(kd->socket_path, 0600);
	return fd;
}

static void kd_usage(void)
{
	printf("Usage: kdomd [OPTIONS]\n"
	       "\n"
	       "The kdom toolstack daemon: runs domains, each in a process of its own, and\n"
	       "answers the kdom CLI on a UNIX socket (docs/protocol.md).  Runs in the\n"
	       "foreground; logs go to standard error.\n"
	       "\n"
	       "Options:\n"
	       "      --socket PATH      the control socket (default %s)\n"
	       "      --state-dir DIR    where domain records live (default %s)\n"
	       "      --host-config FILE host configuration (default $KDOM_HOST_CONFIG,\n"
	       "                         else %s if it exists)\n"
	       "      --policy FILE      which domains each control domain may manage\n"
	       "                         (default %s if it exists; without\n"
	       "                         one, control domains manage every domain)\n"
	       "  -h, --help             show this help\n"
	       "  -V, --version          print the version\n",
	       KDOM_SOCKET_DEFAULT, KDOMD_STATE_DIR_DEFAULT, HOST_CONFIG_DEFAULT_PATH,
	       KDOMD_POLICY_DEFAULT);
}

static int kd_setup(struct kdomd *kd, const char *state_dir, const char *host_path,
		    const char *policy_path)
{
	char err[512];
	sigset_t mask;
	int ret;

	if (strlen(state_dir) >= KDOMD_DIR_MAX) {
		log_error("--state-dir %s is too long for the sockets under it (at most 80 bytes)",
			  state_dir);
		return -ENAMETOOLONG;
	}
	snprintf(kd->state_dir, sizeof(kd->state_dir), "%s", state_dir);
	snprintf(kd->run_dir, sizeof(kd->run_dir), "%s/run", state_dir);
	snprintf(kd->domains_dir, sizeof(kd->domains_dir), "%s/domains", state_dir);
	if ((ret = state_mkdirs(kd->run_dir, 0700)) ||
	    (ret = state_mkdirs(kd->domains_dir, 0700))) {
		log_error("cannot create %s: %s", state_dir, strerror(-ret));
		return ret;
	}
	if (host_config_load(&kd->host, host_path, err, sizeof(err))) {
		log_error("%s", err);
		return -EINVAL;
	}
	if (kd_load_policy(kd, policy_path))
		return -EINVAL;
	if (kd_clients_init(kd))
		return -ENOMEM;
	if (roles_init(&kd->registry, kd->host.hardware_domid, err, sizeof(err))) {
		log_error("%s", err);
		return -EINVAL;
	}
	kd->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGCHLD, SIG_DFL);
	kd->signal_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	kd->listen_fd = kd_listen(kd);
	if (kd->epoll_fd < 0 || kd->signal_fd < 0 || kd->listen_fd < 0)
		return -EIO;
	kd->listen_watch = (struct kd_watch){ .type = KD_WATCH_LISTEN };
	kd->signal_watch = (struct kd_watch){ .type = KD_WATCH_SIGNAL };
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &kd->listen_watch };

	epoll_ctl(kd->epoll_fd, EPOLL_CTL_ADD, kd->listen_fd, &ev);
	ev.data.ptr = &kd->signal_watch;
	epoll_ctl(kd->epoll_fd, EPOLL_CTL_ADD, kd->signal_fd, &ev);
	return 0;
}

/*
 * kdomd leaves its domains running when it stops (SIGTERM, SIGINT): a kdomd
 * started again finds them, as after a crash.
 */
static void kd_loop(struct kdomd *kd)
{
	struct epoll_event events[32];

	while (!kd->exiting) {
		int n = epoll_wait(kd->epoll_fd, events, 32, -1);

		if (n < 0 && errno == EINTR)
			continue;
		for (int i = 0; i < n && !kd->exiting; i++) {
			struct kd_watch *w = events[i].data.ptr;
			enum kd_watch_type type = w->type; /* w may be freed by its handler */

			switch (type) {
			case KD_WATCH_LISTEN:
				kd_client_accept(kd);
				break;
			case KD_WATCH_SIGNAL: {
				struct signalfd_siginfo info;

				if (read(kd->signal_fd, &info, sizeof(info)) == sizeof(info)) {
					log_info("stopping on signal %u (%s); domains keep running",
						 info.ssi_signo, strsignal(info.ssi_signo));
					kd->exiting = true;
				}
				break;
			}
			case KD_WATCH_CLIENT:
				kd_client_input(kd, w->ptr);
				break;
			case KD_WATCH_DOMAIN:
				kd_domain_exited(kd, w->ptr);
				break;
			}
			/* A removed domain or client may have had events later in the batch. */
			if (type == KD_WATCH_DOMAIN || type == KD_WATCH_CLIENT)
				break;
		}
	}
}

/* Everything kdomd holds; the domains themselves keep running. */
static void kd_free(struct kdomd *kd)
{
	while (kd->domains) {
		struct kd_domain *d = kd->domains;

		kd->domains = d->next;
		kd_free_domain(d);
	}
	kd_clients_free(kd);
	json_decref(kd->policy);
	host_config_free(&kd->host);
	if (kd->listen_fd >= 0)
		close(kd->listen_fd);
	if (kd->signal_fd >= 0)
		close(kd->signal_fd);
	if (kd->epoll_fd >= 0)
		close(kd->epoll_fd);
	free(kd);
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "state-dir", required_argument, NULL, 'd' },
		{ "host-config", required_argument, NULL, 'c' },
		{ "policy", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *state_dir = KDOMD_STATE_DIR_DEFAULT, *host_path = NULL, *policy_path = NULL;
	struct kdomd *kd = calloc(1, sizeof(*kd));
	int opt, status;

	if (!kd)
		return 1;
	log_set_prefix("kdomd");
	kd->socket_path = KDOM_SOCKET_DEFAULT;
	kd->listen_fd = kd->epoll_fd = kd->signal_fd = -1;
	while ((opt = getopt_long(argc, argv, "hV", options, NULL)) != -1) {
		switch (opt) {
		case 's':
			kd->socket_path = optarg;
			break;
		case 'd':
			state_dir = optarg;
			break;
		case 'c':
			host_path = optarg;
			break;
		case 'p':
			policy_path = optarg;
			break;
		case 'h':
			kd_usage();
			return 0;
		case 'V':
			printf("%s (protocol %d)\n", KDOMD_VERSION, KDOM_PROTOCOL_VERSION);
			return 0;
		default:
			fprintf(stderr, "Try 'kdomd --help'.\n");
			return 2;
		}
	}
	if (optind != argc) {
		log_error("unexpected argument '%s'", argv[optind]);
		return 2;
	}
	if (kd_setup(kd, state_dir, host_path, policy_path))
		return 1;
	kd_recover(kd);
	log_info("listening on %s, state in %s", kd->socket_path, kd->state_dir);
	kd_loop(kd);
	unlink(kd->socket_path);
	status = kd->exit_status;
	kd_free(kd);
	return status;
}

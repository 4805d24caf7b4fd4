/* kdomd: management hypercalls from control domains, decided by the policy and the policy file. */
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

/* ---- Management hypercalls from domains -------------------------------------------- */

/*
 * Whether the bootstrap domain finalized the launch lives on disk too: a
 * restarted kdomd must not give a running bootstrap domain its rights back.
 */
void kd_set_finalized(struct kdomd *kd, bool finalized)
{
	char path[KDOMD_PATH_MAX];
	json_t *rec = json_pack("{s:b}", "launch_finalized", finalized);
	int ret;

	kd->launch_finalized = finalized;
	snprintf(path, sizeof(path), "%s/launch.json", kd->state_dir);
	ret = rec ? state_write_json(path, rec) : -ENOMEM;
	if (ret)
		log_error("cannot save the launch state in %s: %s", path, strerror(-ret));
	json_decref(rec);
}

/*
 * A domain as the management policy sees it: its label, and what the policy
 * file grants it by name (the policy decides whose grants count).
 */
static struct policy_subject kd_subject(struct kdomd *kd, const struct kd_domain *d,
					const char **manages, size_t max)
{
	struct policy_subject s = { .dom = &d->dom, .label = d->dc.label, .manages = manages };
	const json_t *grants;

	if (!kd->policy) {
		/* No policy file: Xen's dummy policy, a control domain manages everyone. */
		manages[0] = "*";
		s.nr_manages = 1;
		return s;
	}
	grants = json_object_get(json_object_get(kd->policy, "control"), d->dom.name);
	for (size_t i = 0; i < json_array_size(grants) && s.nr_manages < max; i++)
		if (json_is_string(json_array_get(grants, i)))
			manages[s.nr_manages++] = json_string_value(json_array_get(grants, i));
	return s;
}

/* A refusal the policy decided, with who asked, what and on whom (target may be NULL). */
static void kd_log_refusal(const struct kd_domain *caller, const char *what,
			   const struct kd_domain *target, const char *reason)
{
	char on[96] = "";

	if (target)
		snprintf(on, sizeof(on), " domain %u (%s)", target->dom.domid, target->dom.name);
	log_warn("policy: domain %u (%s) may not %s%s%s%s", caller->dom.domid, caller->dom.name,
		 what, on, reason ? ": " : "", reason ? reason : "");
}

static int kd_may(struct kdomd *kd, const struct kd_domain *caller, const struct kd_domain *target,
		  enum policy_op op, bool log_refusal)
{
	const char *cm[32], *tm[32];
	struct policy_subject cs = kd_subject(kd, caller, cm, 32);
	struct policy_subject ts;
	int ret;

	if (target)
		ts = kd_subject(kd, target, tm, 32);
	ret = policy_may_manage(&cs, target ? &ts : NULL, op, kd->launch_finalized);
	if (ret && log_refusal)
		kd_log_refusal(caller, policy_op_name(op), target, NULL);
	return ret;
}

/* Whether caller may create probe (its roles and domid as the registry would admit it). */
static int kd_may_create(struct kdomd *kd, const struct kd_domain *caller,
			 const struct kd_domain *probe)
{
	const char *cm[32], *tm[32], *reason;
	struct policy_subject cs = kd_subject(kd, caller, cm, 32);
	struct policy_subject ts = kd_subject(kd, probe, tm, 32);
	const struct policy_domain_config cfg = {
		.pit = probe->dc.pit,
		.driver_domain = probe->dc.driver_domain,
		.nr_pci = probe->dc.nr_pci,
	};
	int ret = policy_may_create(&cs, &ts, &cfg, kd->launch_finalized, &reason);

	if (ret)
		kd_log_refusal(caller, "create", probe, reason);
	return ret;
}

/* The domain whose process is on the other end of c (SO_PEERCRED), or NULL. */
static struct kd_domain *kd_caller(struct kdomd *kd, struct kd_client *c)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(c->fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return NULL;
	for (struct kd_domain *d = kd->domains; d; d = d->next)
		if (d->pid == cred.pid && d->state != KD_SHUTDOWN)
			return d;
	return NULL;
}

static uint32_t kd_dominf_flags(const struct kd_domain *d)
{
	static const char *const reasons[] = { "poweroff", "reboot", "suspend", "crash",
					       "watchdog" };
	uint32_t flags = 0;

	switch (d->state) {
	case KD_PAUSED:
		flags = KDOM_DOMINF_PAUSED;
		break;
	case KD_RUNNING:
		flags = KDOM_DOMINF_RUNNING;
		break;
	case KD_DYING:
		flags = KDOM_DOMINF_DYING;
		break;
	case KD_SHUTDOWN:
		flags = KDOM_DOMINF_SHUTDOWN;
		for (uint32_t r = 0; r < 5; r++)
			if (d->reason && !strcmp(d->reason, reasons[r]))
				flags |= r << KDOM_DOMINF_SHUTDOWNSHIFT;
		break;
	}
	return flags;
}

/* Domains by domid from `first`, those caller may see, at most max. */
static size_t kd_visible(struct kdomd *kd, const struct kd_domain *caller, uint32_t first,
			 struct kd_domain **out, size_t max)
{
	size_t n = 0;

	for (uint32_t domid = first; domid <= DOMID_MAX && n < max; domid++) {
		struct kd_domain *d;

		if (!roles_domid_in_use(&kd->registry, domid))
			continue;
		d = kd_find_domid(kd, domid);
		if (d && kd_may(kd, caller, d, POLICY_OP_GETDOMAININFO, false) == 0)
			out[n++] = d;
	}
	return n;
}

static json_t *kd_manage_create(struct kdomd *kd, uint64_t id, struct kd_domain *caller,
				const json_t *args)
{
	const char *image, *config;
	char err[512] = "", path[KDOMD_PATH_MAX], *text = NULL;
	struct kd_domain probe = { 0 }, *d;
	int ret;

	if (msg_get_string(args, "image", true, &image, err, sizeof(err)) ||
	    msg_get_string(args, "config", true, &config, err, sizeof(err)))
		return msg_reply_error(id, EINVAL, "%s", err);
	/* The image must be the file the caller's process wrote under our run folder. */
	if (strlen(image) <= strlen(kd->run_dir) + 1 ||
	    strncmp(image, kd->run_dir, strlen(kd->run_dir)) || image[strlen(kd->run_dir)] != '/' ||
	    strstr(image, "..") || strchr(image + strlen(kd->run_dir) + 1, '/'))
		return msg_reply_error(id, EINVAL, "create: bad image path");
	snprintf(path, sizeof(path), "%s/images/%llu.img", kd->state_dir,
		 (unsigned long long)kd->next_seq);
	if (asprintf(&text, "%s\nkernel = \"%s\"\n", config, path) < 0)
		return msg_reply_error(id, ENOMEM, "out of memory");
	/* What the new domain would be, for the policy: its roles and label. */
	probe.config_text = text;
	probe.config_path = NULL;
	ret = kd_parse_config(&probe, err, sizeof(err));
	/* The image is the only thing of the host it gets: no host files by name. */
	if (!ret && probe.dc.ramdisk) {
		snprintf(err, sizeof(err),
			 "create: a domain built from memory names no host files "
			 "(ramdisk)");
		ret = -EINVAL;
	}
	if (!ret) {
		/* Exactly what the registry will make of it, and what it could reach. */
		struct role_request req = {
			.domid = probe.dc.domid,
			.name = probe.dc.name,
			.hardware = probe.dc.hardware,
			.control = probe.dc.control,
		};
		uint32_t domid = 0;
		unsigned int roles = 0;

		ret = roles_preview(&kd->registry, &req, &domid, &roles, err, sizeof(err));
		probe.dom.roles = roles;
		probe.dom.domid = domid;
		snprintf(probe.dom.name, sizeof(probe.dom.name), "%s", probe.dc.name);
		if (!ret)
			ret = kd_may_create(kd, caller, &probe);
	}
	domain_config_free(&probe.dc);
	if (!ret) {
		state_mkdirs(dirname(strcpy(err, path)), 0700);
		err[0] = '\0';
		if (rename(image, path) < 0)
			ret = -errno;
	}
	if (!ret)
		ret = kd_create(kd, text, NULL, -1, true, &d, err, sizeof(err));
	free(text);
	unlink(image);
	if (ret) {
		unlink(path);
		return msg_reply_error(id, -ret, "%s", err[0] ? err : strerror(-ret));
	}
	log_info("domain %u (%s) created by domain %u (%s)", d->dom.domid, d->dom.name,
		 caller->dom.domid, caller->dom.name);
	return msg_reply_ok(id, json_pack("{s:i}", "ret", (int)d->dom.domid));
}

json_t *kd_op_manage(struct kdomd *kd, struct kd_client *c, uint64_t id, const json_t *args)
{
	struct kd_domain *caller = kd_caller(kd, c), *target, *seen[KDOM_DOMINFO_LIST_MAX];
	const char *call;
	char err[256] = "";
	int64_t domid, max, reason;
	enum policy_op op;
	size_t n;
	int ret;

	if (!caller)
		return msg_reply_error(id, EPERM, "manage: only a domain's own process may ask");
	if (msg_get_string(args, "call", true, &call, err, sizeof(err)) ||
	    msg_get_int(args, "domid", 0, UINT32_MAX, 0, &domid, err, sizeof(err)) ||
	    msg_get_int(args, "max", 0, KDOM_DOMINFO_LIST_MAX, 0, &max, err, sizeof(err)) ||
	    msg_get_int(args, "reason", 0, KDOM_SHUTDOWN_WATCHDOG, 0, &reason, err, sizeof(err)))
		return msg_reply_error(id, EINVAL, "%s", err);
	if (!strcmp(call, "finalize")) {
		const char *reason;

		if (policy_may_finalize_launch(&caller->dom, &reason)) {
			kd_log_refusal(caller, "finalize the launch", NULL, reason);
			return msg_reply_error(id, EPERM, "%s", reason);
		}
		bool first = !kd->launch_finalized;

		kd_set_finalized(kd, true);
		if (first)
			log_info("launch finalized by domain %u: its management rights end%s",
				 caller->dom.domid,
				 is_control_domain(&caller->dom) ? " (it keeps the control role)"
								 : "");
		return msg_reply_ok(id, json_pack("{s:i}", "ret", 0));
	}
	if (!strcmp(call, "dom_exc")) {
		if (!policy_told_of_domain_exits(&caller->dom)) {
			kd_log_refusal(caller, "read the count of domain exits", NULL,
				       "only control domains are told");
			return msg_reply_error(id, EPERM, "only control domains are told");
		}
		unsigned int count = caller->dom_exc;

		caller->dom_exc = 0;
		return msg_reply_ok(id, json_pack("{s:i}", "ret", (int)count));
	}
	if (!strcmp(call, "list")) {
		if (kd_may(kd, caller, NULL, POLICY_OP_GETDOMAININFOLIST, true))
			return msg_reply_error(id, EPERM, "not allowed");
		n = kd_visible(kd, caller, domid, seen, max);
		json_t *list = json_array();

		for (size_t i = 0; i < n; i++)
			json_array_append_new(list,
					      json_pack("{s:i, s:i, s:I, s:i, s:i}", "domid",
							(int)seen[i]->dom.domid, "flags",
							(int)kd_dominf_flags(seen[i]), "pages",
							(json_int_t)seen[i]->dc.memory_mib * 256,
							"vcpus", (int)seen[i]->dc.vcpus, "roles",
							(int)domain_role_flags(&seen[i]->dom)));
		return msg_reply_ok(id, json_pack("{s:i, s:o}", "ret", (int)n, "domains", list));
	}
	if (!strcmp(call, "getdomaininfo")) {
		if (kd_visible(kd, caller, domid, seen, 1) == 0)
			return msg_reply_error(id, ESRCH, "no domain from %lld up",
					       (long long)domid);
		target = seen[0];
		return msg_reply_ok(
			id, json_pack("{s:i, s:[I, I, I, I]}", "ret", 0, "arg",
				      (json_int_t)target->dom.domid,
				      (json_int_t)kd_dominf_flags(target),
				      (json_int_t)target->dc.memory_mib * 256,
				      (json_int_t)((uint64_t)domain_role_flags(&target->dom) << 32 |
						   target->dc.vcpus)));
	}
	if (!strcmp(call, "create"))
		return kd_manage_create(kd, id, caller, args);

	if (!strcmp(call, "pause"))
		op = POLICY_OP_PAUSE;
	else if (!strcmp(call, "unpause"))
		op = POLICY_OP_UNPAUSE;
	else if (!strcmp(call, "destroy"))
		op = POLICY_OP_DESTROY;
	else if (!strcmp(call, "shutdown"))
		op = POLICY_OP_SHUTDOWN;
	else
		return msg_reply_error(id, EOPNOTSUPP, "unknown management call '%.32s'", call);
	target = kd_find_domid(kd, domid);
	/* A domain the caller may not see does not exist for it. */
	if (!target ||
	    (kd_may(kd, caller, target, POLICY_OP_GETDOMAININFO, false) && target != caller)) {
		if (target)
			kd_may(kd, caller, target, op, true);
		return msg_reply_error(id, target ? EPERM : ESRCH, "no such domain");
	}
	if (kd_may(kd, caller, target, op, true))
		return msg_reply_error(id, EPERM, "not allowed");
	if (target->state == KD_SHUTDOWN && op != POLICY_OP_DESTROY)
		return msg_reply_error(id, EBUSY, "domain %u is shut down", target->dom.domid);
	log_info("domain %u (%s): %s by domain %u (%s)", target->dom.domid, target->dom.name, call,
		 caller->dom.domid, caller->dom.name);
	switch (op) {
	case POLICY_OP_DESTROY:
		kd_destroy(kd, target); /* target is gone after this */
		break;
	case POLICY_OP_SHUTDOWN:
		ret = kd_ctl_call(target, "stop", json_pack("{s:i}", "reason", (int)reason), NULL,
				  err, sizeof(err));
		if (ret)
			return msg_reply_error(id, -ret, "%s", err);
		break;
	default:
		ret = kd_ctl_call(target, call, NULL, NULL, err, sizeof(err));
		if (ret)
			return msg_reply_error(id, -ret, "%s", err);
		target->state = op == POLICY_OP_PAUSE ? KD_PAUSED : KD_RUNNING;
		kd_save(kd, target);
		kd_event(kd, target, kd_state_name(target->state), NULL, NULL);
		break;
	}
	return msg_reply_ok(id, json_pack("{s:i}", "ret", 0));
}

/*
 * The policy file (XSM-like): {"control": {"NAME": ["LABEL", ...], ...}}.
 * A control domain manages the domains whose `label` it lists ("*": every
 * domain); one it does not name manages nothing.
 */
int kd_load_policy(struct kdomd *kd, const char *path)
{
	char err[512];
	const json_t *control, *labels;
	const char *name;

	if (!path) {
		if (access(KDOMD_POLICY_DEFAULT, F_OK) && errno == ENOENT)
			return 0;
		path = KDOMD_POLICY_DEFAULT;
	}
	kd->policy = state_read_json(path, err, sizeof(err));
	if (!kd->policy) {
		log_error("policy: %s", err);
		return -EINVAL;
	}
	control = json_object_get(kd->policy, "control");
	if (!json_is_object(control) || json_object_size(kd->policy) != 1)
		goto bad;
	json_object_foreach((json_t *)control, name, labels)
	{
		if (!json_is_array(labels))
			goto bad;
		for (size_t i = 0; i < json_array_size(labels); i++)
			if (!json_is_string(json_array_get(labels, i)))
				goto bad;
	}
	log_info("policy from %s", path);
	return 0;
bad:
	log_error("policy %s: expected {\"control\": {\"NAME\": [\"LABEL\", ...], ...}}", path);
	return -EINVAL;
}

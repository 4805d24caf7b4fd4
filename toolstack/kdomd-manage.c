/* kdomd: management hypercalls from domains, decided by the policy module and the policy file. */
#include "toolstack/kdomd.h"

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control/state-file.h"
#include "hv-roles/policy.h"
#include "kdom/abi.h"
#include "vmm/log.h"

/* ---- Asking the policy ---------------------------------------------------------------- */

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

/* ---- Management calls ------------------------------------------------------------------ */

/* The domain whose process is on the other end of c (SO_PEERCRED), or NULL. */
static struct kd_domain *kd_caller(struct kdomd *kd, struct kd_client *c)
{
	pid_t pid = kd_client_peer_pid(c);

	if (pid < 0)
		return NULL;
	for (struct kd_domain *d = kd->domains; d; d = d->next)
		if (d->pid == pid && d->state != KD_SHUTDOWN)
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

	for (uint32_t domid = first; domid <= DOMAIN_DOMID_MAX && n < max; domid++) {
		struct kd_domain *d;

		if (!roles_domid_in_use(&kd->registry, domid))
			continue;
		d = kd_find_domid(kd, domid);
		if (d && kd_may(kd, caller, d, POLICY_OP_GETDOMAININFO, false) == 0)
			out[n++] = d;
	}
	return n;
}

/* A management call's arguments (docs/protocol.md, Management calls), read once. */
struct kd_manage_args {
	const json_t *args;
	const char *call;
	enum policy_op op; /* the calls on one target */
	int64_t domid, max, reason;
};

static json_t *kd_manage_finalize(struct kdomd *kd, uint64_t id, struct kd_domain *caller,
				  const struct kd_manage_args *a)
{
	const char *reason;
	bool first = !kd->launch_finalized;

	if (policy_may_finalize_launch(&caller->dom, &reason)) {
		kd_log_refusal(caller, "finalize the launch", NULL, reason);
		return msg_reply_error(id, EPERM, "%s", reason);
	}
	kd_set_finalized(kd, true);
	if (first)
		log_info("launch finalized by domain %u: its management rights end%s",
			 caller->dom.domid,
			 is_control_domain(&caller->dom) ? " (it keeps the control role)" : "");
	return msg_reply_ok(id, json_pack("{s:i}", "ret", 0));
}

static json_t *kd_manage_dom_exc(struct kdomd *kd, uint64_t id, struct kd_domain *caller,
				 const struct kd_manage_args *a)
{
	unsigned int count = caller->dom_exc;

	if (!policy_told_of_domain_exits(&caller->dom)) {
		kd_log_refusal(caller, "read the count of domain exits", NULL,
			       "only control domains are told");
		return msg_reply_error(id, EPERM, "only control domains are told");
	}
	caller->dom_exc = 0;
	return msg_reply_ok(id, json_pack("{s:i}", "ret", (int)count));
}

static json_t *kd_manage_list(struct kdomd *kd, uint64_t id, struct kd_domain *caller,
			      const struct kd_manage_args *a)
{
	struct kd_domain *seen[KDOM_DOMINFO_LIST_MAX];
	json_t *list;
	size_t n;

	if (kd_may(kd, caller, NULL, POLICY_OP_GETDOMAININFOLIST, true))
		return msg_reply_error(id, EPERM, "not allowed");
	n = kd_visible(kd, caller, a->domid, seen, a->max);
	list = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(list, json_pack("{s:i, s:i, s:I, s:i, s:i}", "domid",
						      (int)seen[i]->dom.domid, "flags",
						      (int)kd_dominf_flags(seen[i]), "pages",
						      (json_int_t)seen[i]->dc.memory_mib * 256,
						      "vcpus", (int)seen[i]->dc.vcpus, "roles",
						      (int)domain_role_flags(&seen[i]->dom)));
	return msg_reply_ok(id, json_pack("{s:i, s:o}", "ret", (int)n, "domains", list));
}

static json_t *kd_manage_getdomaininfo(struct kdomd *kd, uint64_t id, struct kd_domain *caller,
				       const struct kd_manage_args *a)
{
	struct kd_domain *target;

	if (kd_visible(kd, caller, a->domid, &target, 1) == 0)
		return msg_reply_error(id, ESRCH, "no domain from %lld up", (long long)a->domid);
	return msg_reply_ok(
		id, json_pack("{s:i, s:[I, I, I, I]}", "ret", 0, "arg",
			      (json_int_t)target->dom.domid, (json_int_t)kd_dominf_flags(target),
			      (json_int_t)target->dc.memory_mib * 256,
			      (json_int_t)((uint64_t)domain_role_flags(&target->dom) << 32 |
					   target->dc.vcpus)));
}

/* Whether image is a file right under kdomd's run folder, where the caller's process wrote it. */
static bool kd_image_path_ok(struct kdomd *kd, const char *image)
{
	size_t len = strlen(kd->run_dir);

	return strlen(image) > len + 1 && !strncmp(image, kd->run_dir, len) && image[len] == '/' &&
	       !strstr(image, "..") && !strchr(image + len + 1, '/');
}

/*
 * What the configuration text would make, checked before anything is built:
 * its domid and roles exactly as the registry will admit it, then whether
 * caller may create it.  0 or -errno with err (empty for a policy refusal).
 */
static int kd_create_allowed(struct kdomd *kd, struct kd_domain *caller, char *text, char *err,
			     size_t errlen)
{
	struct kd_domain probe = { .config_text = text };
	struct role_request req;
	unsigned int roles = 0;
	uint32_t domid = 0;
	int ret = kd_parse_config(&probe, err, errlen);

	/* The image is the only thing of the host it gets: no host files by name. */
	if (!ret && probe.dc.ramdisk) {
		snprintf(err, errlen,
			 "create: a domain built from memory names no host files "
			 "(ramdisk)");
		ret = -EINVAL;
	}
	if (!ret) {
		req = (struct role_request){
			.domid = probe.dc.domid,
			.name = probe.dc.name,
			.hardware = probe.dc.hardware,
			.control = probe.dc.control,
		};
		ret = roles_preview(&kd->registry, &req, &domid, &roles, err, errlen);
	}
	if (!ret) {
		probe.dom.roles = roles;
		probe.dom.domid = domid;
		snprintf(probe.dom.name, sizeof(probe.dom.name), "%s", probe.dc.name);
		ret = kd_may_create(kd, caller, &probe);
	}
	domain_config_free(&probe.dc);
	return ret;
}

static json_t *kd_manage_create(struct kdomd *kd, uint64_t id, struct kd_domain *caller,
				const struct kd_manage_args *a)
{
	const char *image, *config;
	char err[512] = "", path[KDOMD_PATH_MAX], *text = NULL;
	struct kd_domain *d;
	int ret;

	if (msg_get_string(a->args, "image", true, &image, err, sizeof(err)) ||
	    msg_get_string(a->args, "config", true, &config, err, sizeof(err)))
		return msg_reply_error(id, EINVAL, "%s", err);
	if (!kd_image_path_ok(kd, image))
		return msg_reply_error(id, EINVAL, "create: bad image path");
	snprintf(path, sizeof(path), "%s/images/%llu.img", kd->state_dir,
		 (unsigned long long)kd->next_seq);
	if (asprintf(&text, "%s\nkernel = \"%s\"\n", config, path) < 0)
		return msg_reply_error(id, ENOMEM, "out of memory");
	ret = kd_create_allowed(kd, caller, text, err, sizeof(err));
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

/* pause, unpause, destroy and shutdown: one target, one policy_op. */
static json_t *kd_manage_target(struct kdomd *kd, uint64_t id, struct kd_domain *caller,
				const struct kd_manage_args *a)
{
	struct kd_domain *target = kd_find_domid(kd, a->domid);
	char err[256] = "";
	int ret;

	/* A domain the caller may not see does not exist for it. */
	if (!target ||
	    (kd_may(kd, caller, target, POLICY_OP_GETDOMAININFO, false) && target != caller)) {
		if (target)
			kd_may(kd, caller, target, a->op, true);
		return msg_reply_error(id, target ? EPERM : ESRCH, "no such domain");
	}
	if (kd_may(kd, caller, target, a->op, true))
		return msg_reply_error(id, EPERM, "not allowed");
	if (target->state == KD_SHUTDOWN && a->op != POLICY_OP_DESTROY)
		return msg_reply_error(id, EBUSY, "domain %u is shut down", target->dom.domid);
	log_info("domain %u (%s): %s by domain %u (%s)", target->dom.domid, target->dom.name,
		 a->call, caller->dom.domid, caller->dom.name);
	switch (a->op) {
	case POLICY_OP_DESTROY:
		kd_destroy(kd, target); /* target is gone after this */
		break;
	case POLICY_OP_SHUTDOWN:
		ret = kd_ctl_call(target, "stop", json_pack("{s:i}", "reason", (int)a->reason),
				  NULL, err, sizeof(err));
		if (ret)
			return msg_reply_error(id, -ret, "%s", err);
		break;
	default:
		ret = kd_ctl_call(target, a->call, NULL, NULL, err, sizeof(err));
		if (ret)
			return msg_reply_error(id, -ret, "%s", err);
		target->state = a->op == POLICY_OP_PAUSE ? KD_PAUSED : KD_RUNNING;
		kd_save(kd, target);
		kd_event(kd, target, kd_state_name(target->state), NULL, NULL);
		break;
	}
	return msg_reply_ok(id, json_pack("{s:i}", "ret", 0));
}

typedef json_t *kd_manage_fn(struct kdomd *kd, uint64_t id, struct kd_domain *caller,
			     const struct kd_manage_args *a);

json_t *kd_op_manage(struct kdomd *kd, struct kd_client *c, uint64_t id, const char *op,
		     const json_t *args)
{
	static const struct {
		const char *call;
		kd_manage_fn *handle;
		enum policy_op op;
	} calls[] = {
		{ "finalize", kd_manage_finalize, POLICY_OP_COUNT },
		{ "dom_exc", kd_manage_dom_exc, POLICY_OP_COUNT },
		{ "list", kd_manage_list, POLICY_OP_GETDOMAININFOLIST },
		{ "getdomaininfo", kd_manage_getdomaininfo, POLICY_OP_GETDOMAININFO },
		{ "create", kd_manage_create, POLICY_OP_CREATE },
		{ "pause", kd_manage_target, POLICY_OP_PAUSE },
		{ "unpause", kd_manage_target, POLICY_OP_UNPAUSE },
		{ "destroy", kd_manage_target, POLICY_OP_DESTROY },
		{ "shutdown", kd_manage_target, POLICY_OP_SHUTDOWN },
	};
	struct kd_domain *caller = kd_caller(kd, c);
	struct kd_manage_args a = { .args = args };
	char err[256] = "";

	if (!caller)
		return msg_reply_error(id, EPERM, "manage: only a domain's own process may ask");
	if (msg_get_string(args, "call", true, &a.call, err, sizeof(err)) ||
	    msg_get_int(args, "domid", 0, UINT32_MAX, 0, &a.domid, err, sizeof(err)) ||
	    msg_get_int(args, "max", 0, KDOM_DOMINFO_LIST_MAX, 0, &a.max, err, sizeof(err)) ||
	    msg_get_int(args, "reason", 0, KDOM_SHUTDOWN_WATCHDOG, 0, &a.reason, err, sizeof(err)))
		return msg_reply_error(id, EINVAL, "%s", err);
	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		if (strcmp(a.call, calls[i].call))
			continue;
		a.op = calls[i].op;
		return calls[i].handle(kd, id, caller, &a);
	}
	return msg_reply_error(id, EOPNOTSUPP, "unknown management call '%.32s'", a.call);
}

/* ---- The policy file ------------------------------------------------------------------ */

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

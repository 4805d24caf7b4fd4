/* kdomd's domain table: domains created, destroyed, and the on_* actions when one ends. */
#include "toolstack/kdomd.h"

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hv-roles/policy.h"
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
		if (!*end && domid <= DOMAIN_DOMID_MAX)
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

void kd_event(struct kdomd *kd, const struct kd_domain *d, const char *state, const char *reason,
	      const char *action)
{
	/* Control domains learn of shutdowns and destructions (Xen's VIRQ_DOM_EXC). */
	if (!strcmp(state, "shutdown") || !strcmp(state, "destroyed"))
		for (struct kd_domain *c = kd->domains; c; c = c->next)
			if (c != d && policy_told_of_domain_exits(&c->dom))
				c->dom_exc++;
	kd_clients_send_event(
		kd, msg_event("domain",
			      json_pack("{s:i, s:s, s:s, s:s?, s:s?, s:f}", "domid",
					(int)d->dom.domid, "name", d->dom.name, "state", state,
					"reason", reason, "action", action, "time", kd_now())));
}

struct kd_domain *kd_new_domain(const char *config, const char *config_path)
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

void kd_append(struct kdomd *kd, struct kd_domain *d)
{
	struct kd_domain **p = &kd->domains;

	while (*p)
		p = &(*p)->next;
	*p = d;
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
	kd_record_remove(kd, d->dom.domid);
	kd_process_remove_files(kd, d->dom.domid);
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
	uint32_t moved_from = DOMAIN_DOMID_MAX + 1;
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
		.uuid = d->dc.uuid_set ? d->dc.uuid : NULL,
	};
	ret = roles_admit(&kd->registry, &req, &d->dom, err, errlen);
	if (ret)
		goto fail;
	if (roles_hardware_moved(&kd->registry, &moved_from))
		log_info("domain %u is the hardware domain now (hardware_domid)", d->dom.domid);
	d->created = kd_now();
	d->seq = kd->next_seq++;
	kd_process_remove_logs(kd, d->dom.domid); /* a new domain: a domid's old logs go */
	ret = kd_spawn(kd, d, paused, err, errlen);
	if (ret) {
		/* A late hardware domain that never ran gives the role back to domain 0. */
		struct kd_domain *previous =
			moved_from <= DOMAIN_DOMID_MAX ? kd_find_domid(kd, moved_from) : NULL;

		roles_cancel(&kd->registry, &d->dom, previous ? &previous->dom : NULL);
		goto fail;
	}
	kd_append(kd, d);
	kd_save(kd, d);
	if (moved_from <= DOMAIN_DOMID_MAX)
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

void kd_destroy(struct kdomd *kd, struct kd_domain *d)
{
	kd_process_stop(kd, d);
	kd_clients_domain_ended(kd, d->dom.domid); /* a `shutdown -w` ends with the domain */
	kd_event(kd, d, "destroyed", NULL, NULL);
	log_info("domain %u (%s) destroyed", d->dom.domid, d->dom.name);
	kd_remove(kd, d, true);
}

static void kd_stop_with_host(struct kdomd *kd, struct kd_domain *d, bool keep_images)
{
	kd_process_stop(kd, d);
	kd_clients_domain_ended(kd, d->dom.domid);
	kd_event(kd, d, "destroyed", "host", NULL);
	log_info("domain %u (%s) stopped with the host", d->dom.domid, d->dom.name);
	kd_remove(kd, d, !keep_images);
}

/*
 * The host's poweroff or reboot, because the hardware domain asked for it:
 * every other domain stops, guests first in reverse creation order.
 */
static void kd_stop_all(struct kdomd *kd, bool keep_images)
{
	static struct kd_domain *order[DOMAIN_DOMID_MAX + 1];
	struct kd_domain *hardware = NULL;
	size_t n = 0;

	for (struct kd_domain *d = kd->domains; d && n < DOMAIN_DOMID_MAX + 1; d = d->next)
		order[n++] = d;
	while (n--) {
		if (is_hardware_domain(&order[n]->dom))
			hardware = order[n];
		else
			kd_stop_with_host(kd, order[n], keep_images);
	}
	if (hardware)
		kd_stop_with_host(kd, hardware, keep_images);
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

/* What d's config says to do after a shutdown for reason (a suspended domain is kept). */
static enum domain_action kd_shutdown_action(const struct kd_domain *d, const char *reason)
{
	enum domain_shutdown which;

	if (!strcmp(reason, "suspend"))
		return DOMAIN_ACTION_PRESERVE;
	which = !strcmp(reason, "poweroff")   ? DOMAIN_SHUTDOWN_POWEROFF
		: !strcmp(reason, "reboot")   ? DOMAIN_SHUTDOWN_REBOOT
		: !strcmp(reason, "watchdog") ? DOMAIN_SHUTDOWN_WATCHDOG
					      : DOMAIN_SHUTDOWN_CRASH;
	return d->dc.on[which];
}

/* d shut down for reason: its action (xl's on_poweroff, on_reboot, on_crash, on_watchdog). */
static void kd_apply_action(struct kdomd *kd, struct kd_domain *d, const char *reason,
			    enum domain_action action)
{
	char err[512];
	struct kd_domain *nd;

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

/* d's process ended; apply what its config (or the host, for the hardware domain) says. */
void kd_domain_exited(struct kdomd *kd, struct kd_domain *d)
{
	char message[512];
	const char *reason = kd_process_ended(kd, d, message, sizeof(message));
	enum domain_action action;

	kd_clients_domain_ended(kd, d->dom.domid);
	if (d->destroying || !strcmp(reason, "destroyed")) {
		kd_destroy(kd, d);
		return;
	}
	log_info("domain %u (%s) shut down: %s (%s)", d->dom.domid, d->dom.name, reason, message);
	if (policy_shutdown_forwarded(&d->dom)) {
		kd_forward_shutdown(kd, d, reason);
		return;
	}
	action = kd_shutdown_action(d, reason);
	kd_event(kd, d, "shutdown", reason, domain_action_name(action));
	kd_apply_action(kd, d, reason, action);
}

/* kdomd's state on disk: a record per domain, the launch's finalization; recovery from them. */
#include "toolstack/kdomd.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control/state-file.h"
#include "vmm/log.h"

static void kd_record_path(struct kdomd *kd, uint32_t domid, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%u.json", kd->domains_dir, domid);
}

static void kd_launch_path(struct kdomd *kd, char *buf, size_t len)
{
	snprintf(buf, len, "%s/launch.json", kd->state_dir);
}

/* Write d's record; these records and launch.json are kdomd's whole state on disk. */
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

void kd_record_remove(struct kdomd *kd, uint32_t domid)
{
	char path[KDOMD_PATH_MAX];

	kd_record_path(kd, domid, path, sizeof(path));
	unlink(path);
}

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
	kd_launch_path(kd, path, sizeof(path));
	ret = rec ? state_write_json(path, rec) : -ENOMEM;
	if (ret)
		log_error("cannot save the launch state in %s: %s", path, strerror(-ret));
	json_decref(rec);
}

/* ---- Recovery ------------------------------------------------------------------- */

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
		.uuid = d->dc.uuid_set ? d->dc.uuid : NULL,
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
	if (d->state == KD_SHUTDOWN)
		d->reason = reason ? kd_shutdown_reason(reason) : "crash";
	else if (kd_process_find(kd, d))
		log_info("domain %u (%s) found again (pid %d)", d->dom.domid, d->dom.name,
			 (int)d->pid);
	else
		exited[(*nexited)++] = d; /* ended while kdomd was away */
	kd_append(kd, d);
	d = NULL;
out:
	if (d)
		kd_free_domain(d);
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
	static struct kd_domain *exited[DOMAIN_DOMID_MAX + 1];
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

void kd_recover(struct kdomd *kd)
{
	char path[KDOMD_PATH_MAX], err[256];
	json_t *launch;

	kd_launch_path(kd, path, sizeof(path));
	launch = state_read_json(path, err, sizeof(err));
	kd->launch_finalized = json_is_true(json_object_get(launch, "launch_finalized"));
	json_decref(launch);
	kd_recover_records(kd);
}

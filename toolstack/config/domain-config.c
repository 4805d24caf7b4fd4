/* A domain's configuration: defaults, the table of xl.cfg keys kdom knows, and their checks. */
#include "toolstack/config/domain-config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "toolstack/config/disk-spec.h"
#include "toolstack/config/pci-spec.h"
#include "toolstack/config/vif-spec.h"
#include "toolstack/config/xl-keys.h"
#include "vmm/guest-mem.h"
#include "vmm/x86/cpuid.h"

/* Messages quote user input cut to this many bytes. */
#define QUOTE_MAX 48

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int config_nomem(char *err, size_t errlen)
{
	set_err(err, errlen, "out of memory");
	return -ENOMEM;
}

void domain_config_init(struct domain_config *dc)
{
	memset(dc, 0, sizeof(*dc));
	strcpy(dc->name, "kdom");
	dc->memory_mib = DOMAIN_MEMORY_DEFAULT_MIB;
	dc->domid = DOMAIN_DOMID_ANY;
	dc->pit = true;
	dc->vcpus = 1;
	dc->on[DOMAIN_SHUTDOWN_POWEROFF] = DOMAIN_ACTION_DESTROY;
	dc->on[DOMAIN_SHUTDOWN_REBOOT] = DOMAIN_ACTION_RESTART;
	dc->on[DOMAIN_SHUTDOWN_CRASH] = DOMAIN_ACTION_DESTROY;
	dc->on[DOMAIN_SHUTDOWN_WATCHDOG] = DOMAIN_ACTION_DESTROY;
}

void domain_config_free(struct domain_config *dc)
{
	free(dc->kernel);
	free(dc->ramdisk);
	free(dc->cmdline);
	free(dc->cpuid);
	free(dc->label);
	dc->label = NULL;
	for (unsigned int i = 0; i < dc->nr_pci; i++)
		free(dc->pci[i]);
	dc->nr_pci = 0;
	for (unsigned int i = 0; i < dc->nr_disks; i++)
		disk_spec_free(&dc->disks[i]);
	dc->nr_disks = 0;
	dc->nr_vifs = 0;
	dc->kernel = dc->ramdisk = dc->cmdline = NULL;
	dc->cpuid = NULL;
}

int domain_config_set_name(struct domain_config *dc, const char *name, char *err, size_t errlen)
{
	size_t len = strlen(name), i;

	/* The name ends up in socket paths, state files and `kdom list`, so keep it plain. */
	if (len == 0 || len >= DOMAIN_NAME_MAX)
		return config_error(err, errlen, "name must be 1 to %d characters long (is %zu)",
				    DOMAIN_NAME_MAX - 1, len);
	for (i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-'))
			return config_error(
				err, errlen,
				"name '%.*s' may only contain letters, digits, '_', '.' and '-'",
				QUOTE_MAX, name);
	}
	memcpy(dc->name, name, len + 1);
	return 0;
}

int domain_config_set_memory(struct domain_config *dc, long long mib, char *err, size_t errlen)
{
	if (mib < (long long)GMEM_MIN_MIB || mib > (long long)GMEM_MAX_MIB)
		return config_error(err, errlen, "memory %lld MiB out of range (%llu to %llu)", mib,
				    GMEM_MIN_MIB, GMEM_MAX_MIB);
	dc->memory_mib = (uint64_t)mib;
	return 0;
}

int domain_config_set_domid(struct domain_config *dc, long long domid, char *err, size_t errlen)
{
	if (domid < 0 || domid > DOMAIN_DOMID_MAX)
		return config_error(err, errlen, "domid %lld out of range (0 to %d)", domid,
				    DOMAIN_DOMID_MAX);
	dc->domid = (int)domid;
	return 0;
}

int domain_config_set_vcpus(struct domain_config *dc, long long vcpus, char *err, size_t errlen)
{
	if (vcpus < 1 || vcpus > DOMAIN_VCPUS_MAX)
		return config_error(err, errlen, "vcpus %lld out of range (1 to %d)", vcpus,
				    DOMAIN_VCPUS_MAX);
	dc->vcpus = (unsigned int)vcpus;
	return 0;
}

int domain_config_set_string(char **field, const char *value)
{
	char *copy = NULL;

	if (value) {
		copy = strdup(value);
		if (!copy)
			return -ENOMEM;
	}
	free(*field);
	*field = copy;
	return 0;
}

int domain_config_set_cmdline(struct domain_config *dc, const char *cmdline, char *err,
			      size_t errlen)
{
	size_t len = cmdline ? strlen(cmdline) : 0;
	int ret;

	/* The boot protocols copy it into a fixed window with its NUL. */
	if (len > DOMAIN_CMDLINE_MAX)
		return config_error(err, errlen,
				    "command line is %zu bytes long, at most %d allowed", len,
				    DOMAIN_CMDLINE_MAX);
	ret = domain_config_set_string(&dc->cmdline, cmdline);
	if (ret)
		return config_nomem(err, errlen);
	return 0;
}

/* ---- The key table -------------------------------------------------------- */

/*
 * A handler sees the whole cfg so that keys that interact (cmdline and
 * extra) can check each other; it writes a message without a FILE:LINE
 * prefix, which domain_config_apply() adds.
 */
static int apply_name(void *target, const struct cfg *cfg, const struct cfg_setting *s, char *err,
		      size_t errlen)
{
	struct domain_config *dc = target;

	return domain_config_set_name(dc, s->value.string, err, errlen);
}

static int apply_memory(void *target, const struct cfg *cfg, const struct cfg_setting *s, char *err,
			size_t errlen)
{
	struct domain_config *dc = target;

	return domain_config_set_memory(dc, s->value.number, err, errlen);
}

static int apply_vcpus(void *target, const struct cfg *cfg, const struct cfg_setting *s, char *err,
		       size_t errlen)
{
	struct domain_config *dc = target;

	return domain_config_set_vcpus(dc, s->value.number, err, errlen);
}

static int apply_path(char **field, const struct cfg_setting *s, char *err, size_t errlen)
{
	if (!s->value.string[0])
		return config_error(err, errlen, "'%s' must not be empty", s->key);
	if (domain_config_set_string(field, s->value.string))
		return config_nomem(err, errlen);
	return 0;
}

static int apply_kernel(void *target, const struct cfg *cfg, const struct cfg_setting *s, char *err,
			size_t errlen)
{
	struct domain_config *dc = target;

	return apply_path(&dc->kernel, s, err, errlen);
}

static int apply_ramdisk(void *target, const struct cfg *cfg, const struct cfg_setting *s,
			 char *err, size_t errlen)
{
	struct domain_config *dc = target;

	return apply_path(&dc->ramdisk, s, err, errlen);
}

static int apply_domid(void *target, const struct cfg *cfg, const struct cfg_setting *s, char *err,
		       size_t errlen)
{
	struct domain_config *dc = target;

	return domain_config_set_domid(dc, s->value.number, err, errlen);
}

static int apply_control(void *target, const struct cfg *cfg, const struct cfg_setting *s,
			 char *err, size_t errlen)
{
	struct domain_config *dc = target;

	return cfg_flag(&dc->control, s, err, errlen);
}

static int apply_hardware(void *target, const struct cfg *cfg, const struct cfg_setting *s,
			  char *err, size_t errlen)
{
	struct domain_config *dc = target;

	return cfg_flag(&dc->hardware, s, err, errlen);
}

static int apply_pit(void *target, const struct cfg *cfg, const struct cfg_setting *s, char *err,
		     size_t errlen)
{
	struct domain_config *dc = target;

	return cfg_flag(&dc->pit, s, err, errlen);
}

static int apply_cpuid(void *target, const struct cfg *cfg, const struct cfg_setting *s, char *err,
		       size_t errlen)
{
	struct domain_config *dc = target;
	struct cpuid_override *ov = malloc(sizeof(*ov));

	if (!ov)
		return config_nomem(err, errlen);
	if (cpuid_override_parse(s->value.string, ov, err, errlen)) {
		free(ov);
		return -EINVAL;
	}
	free(dc->cpuid);
	dc->cpuid = ov;
	return 0;
}

int domain_config_add_pci(struct domain_config *dc, const char *text, char *err, size_t errlen)
{
	struct pci_spec spec;

	if (dc->nr_pci >= DOMAIN_PCI_MAX)
		return config_error(err, errlen, "at most %d PCI devices per domain",
				    DOMAIN_PCI_MAX);
	if (pci_spec_parse(text, &spec, err, errlen))
		return -EINVAL;
	for (unsigned int i = 0; i < dc->nr_pci; i++)
		if (!strcmp(dc->pci[i], spec.kind == PCI_SPEC_HOST ? spec.bdf : text))
			return config_error(err, errlen, "pci '%.64s' is given twice", text);
	dc->pci[dc->nr_pci] = strdup(spec.kind == PCI_SPEC_HOST ? spec.bdf : text);
	if (!dc->pci[dc->nr_pci])
		return config_nomem(err, errlen);
	dc->pci_spec[dc->nr_pci] = spec;
	dc->nr_pci++;
	return 0;
}

/* `pci = [ "0000:03:00.0", "vfio-user:/run/dev.sock" ]`, xl's key. */
static int apply_pci(void *target, const struct cfg *cfg, const struct cfg_setting *s, char *err,
		     size_t errlen)
{
	struct domain_config *dc = target;

	for (size_t i = 0; i < s->value.nitems; i++) {
		if (s->value.items[i].type != CFG_STRING)
			return config_error(err, errlen, "'pci' lists strings");
		if (domain_config_add_pci(dc, s->value.items[i].string, err, errlen))
			return -EINVAL;
	}
	return 0;
}

static int apply_driver_domain(void *target, const struct cfg *cfg, const struct cfg_setting *s,
			       char *err, size_t errlen)
{
	return cfg_flag(&((struct domain_config *)target)->driver_domain, s, err, errlen);
}

static int apply_xen(void *target, const struct cfg *cfg, const struct cfg_setting *s, char *err,
		     size_t errlen)
{
	return cfg_flag(&((struct domain_config *)target)->xen, s, err, errlen);
}

static int apply_virtio_rng(void *target, const struct cfg *cfg, const struct cfg_setting *s,
			    char *err, size_t errlen)
{
	return cfg_flag(&((struct domain_config *)target)->virtio_rng, s, err, errlen);
}

/* A label names a tenant in the policy file: the same characters as a name. */
static int apply_label(void *target, const struct cfg *cfg, const struct cfg_setting *s, char *err,
		       size_t errlen)
{
	struct domain_config *dc = target;
	const char *v = s->value.string;
	size_t len = strlen(v);

	if (len == 0 || len >= DOMAIN_NAME_MAX ||
	    strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		      "abcdefghijklmnopqrstuvwxyz"
		      "0123456789_.-") != len)
		return config_error(err, errlen,
				    "label '%.*s' must be 1 to %d letters, digits, '_', '.' or '-'",
				    QUOTE_MAX, v, DOMAIN_NAME_MAX - 1);
	if (domain_config_set_string(&dc->label, v))
		return config_nomem(err, errlen);
	return 0;
}

static const char *const action_names[] = {
	[DOMAIN_ACTION_DESTROY] = "destroy",
	[DOMAIN_ACTION_RESTART] = "restart",
	[DOMAIN_ACTION_PRESERVE] = "preserve",
	[DOMAIN_ACTION_RENAME_RESTART] = "rename-restart",
};

const char *domain_action_name(enum domain_action action)
{
	return (unsigned int)action < sizeof(action_names) / sizeof(action_names[0])
		       ? action_names[action]
		       : "unknown";
}

/* on_poweroff = "destroy" and its siblings; xl's coredump-* actions are not offered. */
static int apply_action(void *target, const struct cfg *cfg, const struct cfg_setting *s, char *err,
			size_t errlen)
{
	static const char *const keys[DOMAIN_SHUTDOWN_COUNT] = {
		[DOMAIN_SHUTDOWN_POWEROFF] = "on_poweroff",
		[DOMAIN_SHUTDOWN_REBOOT] = "on_reboot",
		[DOMAIN_SHUTDOWN_CRASH] = "on_crash",
		[DOMAIN_SHUTDOWN_WATCHDOG] = "on_watchdog",
	};
	struct domain_config *dc = target;

	for (unsigned int k = 0; k < DOMAIN_SHUTDOWN_COUNT; k++) {
		if (strcmp(s->key, keys[k]))
			continue;
		for (unsigned int a = 0; a < sizeof(action_names) / sizeof(action_names[0]); a++) {
			if (!strcmp(s->value.string, action_names[a])) {
				dc->on[k] = a;
				return 0;
			}
		}
	}
	return config_error(err, errlen,
			    "%s '%.*s' is not destroy, restart, preserve or rename-restart", s->key,
			    QUOTE_MAX, s->value.string);
}

/*
 * xl takes `cmdline` as the whole command line, or builds one from `root`
 * and `extra`: "root=ROOT EXTRA".  kdom does the same, but refuses
 * `cmdline` together with either of the others rather than drop them as
 * xl does.  Each of the three keys computes the same result.
 */
static int apply_cmdline(void *target, const struct cfg *cfg, const struct cfg_setting *s,
			 char *err, size_t errlen)
{
	struct domain_config *dc = target;
	const struct cfg_setting *root = cfg_find(cfg, "root"), *extra = cfg_find(cfg, "extra");
	const struct cfg_setting *other =
		!strcmp(s->key, "cmdline") ? (extra ? extra : root) : cfg_find(cfg, "cmdline");
	char *line = NULL;
	int ret;

	if (other)
		return config_error(
			err, errlen,
			"'cmdline' and '%s' are both given ('%s' on line %d); give only one",
			other == extra || other == root ? other->key : s->key, other->key,
			other->line);
	if (!strcmp(s->key, "cmdline"))
		return domain_config_set_cmdline(dc, s->value.string, err, errlen);
	/* The other of root and extra reports its own wrong type. */
	if (root && root->value.type != CFG_STRING)
		root = NULL;
	if (extra && extra->value.type != CFG_STRING)
		extra = NULL;
	if (root && asprintf(&line, "root=%s%s%s", root->value.string, extra ? " " : "",
			     extra ? extra->value.string : "") < 0)
		return config_nomem(err, errlen);
	ret = domain_config_set_cmdline(dc, line ? line : extra->value.string, err, errlen);
	free(line);
	return ret;
}

/* `type = "pvh"`; xl's "pv" and "hvm" ask for guests kdom does not build. */
static int check_guest_type(const char *key, const char *type, const char *kind, char *err,
			    size_t errlen)
{
	return config_error(err, errlen,
			    "%s '%s' asks for %s: kdom boots PVH ELF and Linux bzImage/vmlinux "
			    "kernels directly, as type = \"pvh\"",
			    key, type, kind);
}

static int apply_type(void *target, const struct cfg *cfg, const struct cfg_setting *s, char *err,
		      size_t errlen)
{
	const char *type = s->value.string;

	if (!strcmp(type, "pvh"))
		return 0;
	if (!strcmp(type, "pv"))
		return check_guest_type("type", type, "a PV domain (a Xen paravirtualized kernel)",
					err, errlen);
	if (!strcmp(type, "hvm"))
		return check_guest_type("type", type,
					"an HVM domain (firmware, emulated disks and NICs)", err,
					errlen);
	return config_error(err, errlen, "type '%.*s' is not pvh (nor xl's pv or hvm)", QUOTE_MAX,
			    type);
}

/* xl's old spelling of type: "generic" (PV) or "hvm"; kdom serves neither. */
static int apply_builder(void *target, const struct cfg *cfg, const struct cfg_setting *s,
			 char *err, size_t errlen)
{
	const char *builder = s->value.string;

	if (!strcmp(builder, "generic"))
		return check_guest_type("builder", builder,
					"a PV domain (xl's old spelling of type = \"pv\")", err,
					errlen);
	if (!strcmp(builder, "hvm"))
		return check_guest_type("builder", builder,
					"an HVM domain (xl's old spelling of type = \"hvm\")", err,
					errlen);
	return config_error(err, errlen, "builder '%.*s' is not xl's generic or hvm", QUOTE_MAX,
			    builder);
}

/*
 * maxmem and maxvcpus: a domain that could grow.  kdom's cannot yet (no
 * balloon, no vCPU hot-plug), so each must equal the file's memory or
 * vcpus.  maxmem alone also sets memory, as in xl, whose memory defaults to
 * maxmem; vcpus defaults to 1 there as here.
 */
static int apply_maxmem(void *target, const struct cfg *cfg, const struct cfg_setting *s, char *err,
			size_t errlen)
{
	struct domain_config *dc = target;
	const struct cfg_setting *memory = cfg_find(cfg, "memory");
	long long maxmem = s->value.number;

	if (!memory)
		return domain_config_set_memory(dc, maxmem, err, errlen);
	if (memory->value.type != CFG_NUMBER || maxmem == memory->value.number)
		return 0;
	if (maxmem > memory->value.number)
		return config_error(err, errlen,
				    "maxmem %lld MiB is above memory %lld MiB: kdom cannot grow a "
				    "domain's memory yet (no balloon), give maxmem = memory",
				    maxmem, memory->value.number);
	return config_error(err, errlen, "maxmem %lld MiB is below memory %lld MiB", maxmem,
			    memory->value.number);
}

static int apply_maxvcpus(void *target, const struct cfg *cfg, const struct cfg_setting *s,
			  char *err, size_t errlen)
{
	const struct cfg_setting *vcpus_key = cfg_find(cfg, "vcpus");
	long long maxvcpus = s->value.number, vcpus = 1;

	if (vcpus_key && vcpus_key->value.type != CFG_NUMBER)
		return 0;
	if (vcpus_key)
		vcpus = vcpus_key->value.number;
	if (maxvcpus > vcpus)
		return config_error(err, errlen,
				    "maxvcpus %lld is above vcpus %lld: kdom starts every vCPU "
				    "online and cannot add any later, give maxvcpus = vcpus",
				    maxvcpus, vcpus);
	if (maxvcpus < vcpus)
		return config_error(err, errlen, "maxvcpus %lld is below vcpus %lld", maxvcpus,
				    vcpus);
	return 0;
}

int domain_config_set_uuid(struct domain_config *dc, const char *text, char *err, size_t errlen)
{
	static const uint8_t nil[16];
	uint8_t uuid[16];
	const char *p = text;

	for (int i = 0; i < 16; i++) {
		int hi, lo;

		if (i == 4 || i == 6 || i == 8 || i == 10) {
			if (*p != '-')
				goto bad;
			p++;
		}
		hi = hex_digit(p[0]);
		lo = hi < 0 ? -1 : hex_digit(p[1]);
		if (lo < 0)
			goto bad;
		uuid[i] = (uint8_t)(hi << 4 | lo);
		p += 2;
	}
	if (*p)
		goto bad;
	/* The nil UUID asks xl for a fresh one; kdom does the same. */
	dc->uuid_set = memcmp(uuid, nil, sizeof(nil)) != 0;
	memcpy(dc->uuid, uuid, sizeof(uuid));
	return 0;
bad:
	return config_error(err, errlen,
			    "uuid '%.*s' is not 32 hex digits in the form "
			    "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx",
			    QUOTE_MAX, text);
}

static int apply_uuid(void *target, const struct cfg *cfg, const struct cfg_setting *s, char *err,
		      size_t errlen)
{
	return domain_config_set_uuid(target, s->value.string, err, errlen);
}

int domain_config_add_disk(struct domain_config *dc, const char *text, char *err, size_t errlen)
{
	struct disk_spec spec;
	int ret;

	if (dc->nr_disks >= DOMAIN_DISKS_MAX)
		return config_error(err, errlen, "at most %d disks per domain", DOMAIN_DISKS_MAX);
	ret = disk_spec_parse(text, &spec, err, errlen);
	if (ret)
		return ret;
	for (unsigned int i = 0; i < dc->nr_disks; i++) {
		const struct disk_spec *o = &dc->disks[i];

		if (o->disk == spec.disk && o->partition == spec.partition)
			ret = config_error(err, errlen,
					   "disk '%.*s%s': vdev %s names the same disk as %s",
					   CFG_QUOTE(text), spec.vdev, o->vdev);
		else if (!strcmp(o->target, spec.target) && !(o->readonly && spec.readonly))
			ret = config_error(
				err, errlen,
				"disk '%.*s%s': %.*s%s is disk %s already; one image can "
				"be shared only read-only",
				CFG_QUOTE(text), CFG_QUOTE(spec.target), o->vdev);
		if (ret) {
			disk_spec_free(&spec);
			return ret;
		}
	}
	dc->disks[dc->nr_disks++] = spec;
	return 0;
}

int domain_config_add_vif(struct domain_config *dc, const char *text, char *warn, size_t warnlen,
			  char *err, size_t errlen)
{
	struct vif_spec spec;
	int ret;

	if (dc->nr_vifs >= DOMAIN_VIFS_MAX)
		return config_error(err, errlen, "at most %d vifs per domain", DOMAIN_VIFS_MAX);
	ret = vif_spec_parse(text, &spec, warn, warnlen, err, errlen);
	if (ret)
		return ret;
	for (unsigned int i = 0; i < dc->nr_vifs; i++) {
		const struct vif_spec *o = &dc->vifs[i];

		if (spec.mac_set && o->mac_set && !memcmp(o->mac, spec.mac, sizeof(spec.mac)))
			return config_error(err, errlen, "vif '%.*s%s': its mac is vif %u's too",
					    CFG_QUOTE(text), i);
		if (spec.ifname[0] && !strcmp(o->ifname, spec.ifname))
			return config_error(err, errlen, "vif '%.*s%s': vifname %s is vif %u's too",
					    CFG_QUOTE(text), spec.ifname, i);
	}
	dc->vifs[dc->nr_vifs++] = spec;
	return 0;
}

/* `disk = [...]` and `vif = [...]`: each string added as --disk and --vif add theirs. */
static int apply_specs(void *target, const struct cfg *cfg, const struct cfg_setting *s, char *err,
		       size_t errlen)
{
	struct domain_config *dc = target;
	bool disk = !strcmp(s->key, "disk");
	char warn[512];

	for (size_t i = 0; i < s->value.nitems; i++) {
		const char *text = s->value.items[i].string;
		int ret;

		if (s->value.items[i].type != CFG_STRING)
			return config_error(err, errlen, "'%s' lists strings", s->key);
		ret = disk ? domain_config_add_disk(dc, text, err, errlen)
			   : domain_config_add_vif(dc, text, warn, sizeof(warn), err, errlen);
		if (ret)
			return ret;
		if (!disk && warn[0])
			cfg_warn(cfg, s, "vif %zu ('%.*s%s'): %s", i, CFG_QUOTE(text), warn);
	}
	return 0;
}

/* The xl.cfg(5) keys kdom serves, and its own. */
static const struct cfg_key config_keys[] = {
	{ "name", CFG_STRING, apply_name },
	{ "memory", CFG_NUMBER, apply_memory },
	{ "vcpus", CFG_NUMBER, apply_vcpus },
	{ "kernel", CFG_STRING, apply_kernel },
	{ "ramdisk", CFG_STRING, apply_ramdisk },
	{ "cmdline", CFG_STRING, apply_cmdline },
	{ "root", CFG_STRING, apply_cmdline },
	{ "extra", CFG_STRING, apply_cmdline },
	{ "type", CFG_STRING, apply_type },
	{ "builder", CFG_STRING, apply_builder },
	{ "maxmem", CFG_NUMBER, apply_maxmem },
	{ "maxvcpus", CFG_NUMBER, apply_maxvcpus },
	{ "uuid", CFG_STRING, apply_uuid },
	{ "disk", CFG_LIST, apply_specs },
	{ "vif", CFG_LIST, apply_specs },
	/* kdom's role keys (issue 4; DESIGN.md's role table) */
	{ "domid", CFG_NUMBER, apply_domid },
	{ "control", CFG_NUMBER, apply_control },
	{ "hardware", CFG_NUMBER, apply_hardware },
	{ "pit", CFG_NUMBER, apply_pit },
	{ "cpuid", CFG_STRING, apply_cpuid },
	{ "label", CFG_STRING, apply_label },
	{ "pci", CFG_LIST, apply_pci },
	{ "driver_domain", CFG_NUMBER, apply_driver_domain },
	{ "xen", CFG_NUMBER, apply_xen },
	{ "virtio_rng", CFG_NUMBER, apply_virtio_rng },
	{ "on_poweroff", CFG_STRING, apply_action },
	{ "on_reboot", CFG_STRING, apply_action },
	{ "on_crash", CFG_STRING, apply_action },
	{ "on_watchdog", CFG_STRING, apply_action },
};

int domain_config_apply(struct domain_config *dc, const struct cfg *cfg, char *err, size_t errlen)
{
	/* The keys of xl.cfg(5) this table does not serve are ignored or refused (xl-keys.c). */
	return cfg_apply_other(cfg, config_keys, sizeof(config_keys) / sizeof(config_keys[0]),
			       xl_key_apply, dc, err, errlen);
}

/* ---- Files and whole configs ------------------------------------------------ */

int domain_config_load(struct domain_config *dc, const char *path, char *err, size_t errlen)
{
	struct cfg cfg;
	int ret = cfg_load(path, &cfg, err, errlen);

	if (ret)
		return ret;
	ret = domain_config_apply(dc, &cfg, err, errlen);
	cfg_free(&cfg);
	return ret;
}

int domain_config_validate(const struct domain_config *dc, char *err, size_t errlen)
{
	if (!dc->kernel)
		return config_error(err, errlen, "no kernel given");
	if (dc->cmdline && strlen(dc->cmdline) > DOMAIN_CMDLINE_MAX)
		return config_error(err, errlen,
				    "command line is %zu bytes long, at most %d allowed",
				    strlen(dc->cmdline), DOMAIN_CMDLINE_MAX);
	if (dc->memory_mib < GMEM_MIN_MIB || dc->memory_mib > GMEM_MAX_MIB)
		return config_error(err, errlen, "memory %llu MiB out of range (%llu to %llu)",
				    (unsigned long long)dc->memory_mib, GMEM_MIN_MIB, GMEM_MAX_MIB);
	if (dc->vcpus < 1 || dc->vcpus > DOMAIN_VCPUS_MAX)
		return config_error(err, errlen, "vcpus %u out of range (1 to %d)", dc->vcpus,
				    DOMAIN_VCPUS_MAX);
	return 0;
}

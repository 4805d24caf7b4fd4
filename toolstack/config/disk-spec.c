/* Disk specs in xl's syntax: positional and key=value parameters, flags, deprecated prefixes. */
#include "toolstack/config/disk-spec.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "toolstack/config/xlcfg.h"

/* What has been read of one spec; the strings point into the parser's copy of it. */
struct disk_parse {
	const char *text; /* the spec as given, for messages */
	struct disk_spec *spec;
	const char *target; /* NULL: not given yet */
	const char *format; /* NULL: not given yet ("" reads as raw) */
	const char *vdev;
	int access;	 /* -1 not given, 0 rw, 1 ro */
	bool had_prefix; /* a deprecated prefix (phy:, raw:, ...) took the format's place */
	char *err;
	size_t errlen;
};

static int __attribute__((format(printf, 2, 3)))
disk_error(const struct disk_parse *dp, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return config_error(dp->err, dp->errlen, "disk '%.*s%s': %s", CFG_QUOTE(dp->text), msg);
}

/* ---- vdev: the guest's name of the disk (xen-vbd-interface(7)) ------------ */

/* xl's naming schemes, with their disk and partition limits; vd* is kdom's own. */
static const struct vdev_scheme {
	const char *prefix;
	unsigned int disk_max, partition_max;
	const char *range; /* for messages */
} vdev_schemes[] = {
	{ "xvd", (1u << 20) - 1, 255, "xvda and on, partitions 1 to 255" },
	{ "hd", 3, 63, "hda to hdd, partitions 1 to 63" },
	{ "sd", 15, 15, "sda to sdp, partitions 1 to 15" },
	{ "vd", (1u << 20) - 1, 0, "vda and on, whole disks only" },
};

/* Disk letters "a" 0 .. "z" 25, "aa" 26 ... up to max; the end of them, or NULL. */
static const char *vdev_letters(const char *p, unsigned int max, unsigned int *disk)
{
	unsigned long long d = 0;
	const char *start = p;

	for (; *p >= 'a' && *p <= 'z'; p++) {
		d = d * 26 + (unsigned int)(*p - 'a' + 1);
		if (d - 1 > max)
			return NULL;
	}
	if (p == start)
		return NULL;
	*disk = (unsigned int)(d - 1);
	return p;
}

/* A decimal up to max without a leading zero ("0" itself only when zero_ok); 0 or -1. */
static int vdev_decimal(const char *p, unsigned int max, bool zero_ok, unsigned int *out)
{
	unsigned long v = 0;

	if (!*p || (*p == '0' && (p[1] || !zero_ok)))
		return -1;
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (unsigned long)(*p - '0');
		if (v > max)
			return -1;
	}
	*out = (unsigned int)v;
	return 0;
}

/* Xen's d<disk>[p<partition>] form: disks up to 2^20 - 1, partitions up to 255. */
static int vdev_parse_numeric(const char *name, unsigned int *disk, unsigned int *partition)
{
	const char *p = strchr(name + 1, 'p');
	size_t len = p ? (size_t)(p - (name + 1)) : strlen(name + 1);
	char digits[16];

	if (len == 0 || len >= sizeof(digits))
		return -1;
	memcpy(digits, name + 1, len);
	digits[len] = '\0';
	if (vdev_decimal(digits, (1u << 20) - 1, true, disk))
		return -1;
	*partition = 0;
	return p ? vdev_decimal(p + 1, 255, true, partition) : 0;
}

/* A scheme's letters and optional partition ("xvdb2"); 0 or -1. */
static int vdev_parse_letters(const struct vdev_scheme *s, const char *name, unsigned int *disk,
			      unsigned int *partition)
{
	const char *rest = vdev_letters(name + strlen(s->prefix), s->disk_max, disk);

	if (!rest)
		return -1;
	*partition = 0;
	return *rest ? vdev_decimal(rest, s->partition_max, false, partition) : 0;
}

static int disk_check_vdev(const struct disk_parse *dp, const char *name)
{
	struct disk_spec *spec = dp->spec;

	if (strlen(name) >= sizeof(spec->vdev))
		return disk_error(dp, "vdev '%.*s%s' is too long", CFG_QUOTE(name));
	if (name[0] == 'd' && name[1] >= '0' && name[1] <= '9') {
		if (vdev_parse_numeric(name, &spec->disk, &spec->partition))
			return disk_error(dp,
					  "vdev '%s' is not d<disk>[p<partition>] (disks up to "
					  "1048575, partitions up to 255)",
					  name);
		memcpy(spec->vdev, name, strlen(name) + 1);
		return 0;
	}
	for (size_t i = 0; i < sizeof(vdev_schemes) / sizeof(vdev_schemes[0]); i++) {
		const struct vdev_scheme *s = &vdev_schemes[i];
		size_t plen = strlen(s->prefix);

		if (strncmp(name, s->prefix, plen) || name[plen] < 'a' || name[plen] > 'z')
			continue;
		if (vdev_parse_letters(s, name, &spec->disk, &spec->partition))
			return disk_error(dp, "vdev '%s' is out of %s's range (%s)", name,
					  s->prefix, s->range);
		memcpy(spec->vdev, name, strlen(name) + 1);
		return 0;
	}
	return disk_error(dp, "vdev '%.*s%s' is not a disk name such as xvda, hdc, sdb, vda or d1",
			  CFG_QUOTE(name));
}

/* ---- Parameters ----------------------------------------------------------- */

static int disk_set_format(struct disk_parse *dp, const char *name, const char *value)
{
	static const char *const others[] = { "qcow", "qcow2", "vhd", "qed" };
	const char *format = value[0] ? value : "raw";

	if (dp->format && strcmp(dp->format, format))
		return disk_error(dp, "format given twice ('%s' and '%.*s%s')", dp->format,
				  CFG_QUOTE(format));
	dp->format = format;
	if (!strcmp(format, "raw"))
		return 0;
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++)
		if (!strcmp(format, others[i]))
			return disk_error(dp,
					  "format '%s': kdom serves raw images only (qemu-img "
					  "convert -O raw makes one)",
					  format);
	if (!strcmp(format, "empty"))
		return disk_error(dp, "format 'empty' is an empty CD-ROM drive: kdom has no "
				      "CD-ROM device");
	return disk_error(dp, "unknown format '%.*s%s' (xl knows raw, qcow, qcow2, vhd and qed)",
			  CFG_QUOTE(format));
}

static int disk_set_access(struct disk_parse *dp, const char *name, const char *value)
{
	int access;

	if (!strcmp(value, "ro") || !strcmp(value, "r"))
		access = 1;
	else if (!strcmp(value, "rw") || !strcmp(value, "w") || !value[0])
		access = 0;
	else
		return disk_error(dp, "access '%.*s%s' is not ro, r, rw or w", CFG_QUOTE(value));
	if (dp->access >= 0 && dp->access != access)
		return disk_error(dp, "access given twice");
	dp->access = access;
	return 0;
}

static int disk_set_vdev(struct disk_parse *dp, const char *name, const char *value)
{
	if (dp->vdev && dp->vdev[0])
		return disk_error(dp, "vdev given twice ('%s' and '%.*s%s')", dp->vdev,
				  CFG_QUOTE(value));
	dp->vdev = value;
	return 0;
}

static int disk_refuse_cdrom(struct disk_parse *dp, const char *name, const char *value)
{
	return disk_error(dp,
			  "a CD-ROM (%s): kdom has no CD-ROM device; give the image as a "
			  "read-only disk (access=ro)",
			  name);
}

static int disk_set_devtype(struct disk_parse *dp, const char *name, const char *value)
{
	if (!strcmp(value, "disk"))
		return 0;
	if (!strcmp(value, "cdrom"))
		return disk_refuse_cdrom(dp, "devtype=cdrom", value);
	return disk_error(dp, "unknown devtype '%.*s%s' (xl knows disk and cdrom)",
			  CFG_QUOTE(value));
}

/* A value out of a short list that changes nothing kdom does (backendtype, specification). */
static int disk_check_choice(struct disk_parse *dp, const char *name, const char *value)
{
	static const struct {
		const char *name, *values[5];
		const char *list;
	} choices[] = {
		{ "backendtype",
		  { "phy", "tap", "qdisk", "standalone" },
		  "phy, tap, qdisk or standalone" },
		{ "specification", { "xen", "virtio" }, "xen or virtio" },
		{ "grant_usage", { "0" }, "0" },
	};

	for (size_t i = 0; i < sizeof(choices) / sizeof(choices[0]); i++) {
		if (strcmp(choices[i].name, name))
			continue;
		for (size_t v = 0; v < 5 && choices[i].values[v]; v++)
			if (!strcmp(value, choices[i].values[v]))
				return 0;
		if (!strcmp(name, "grant_usage") && !strcmp(value, "1"))
			return disk_error(dp, "grant_usage=1 asks for Xen grants under virtio: "
					      "kdom's devices read guest memory directly");
		return disk_error(dp, "%s '%.*s%s' is not %s", name, CFG_QUOTE(value),
				  choices[i].list);
	}
	return 0;
}

static int disk_refuse(struct disk_parse *dp, const char *name, const char *value)
{
	if (!strcmp(name, "backend"))
		return disk_error(dp,
				  "backend '%.*s%s': kdom serves disks from its own process, "
				  "not from a back-end domain",
				  CFG_QUOTE(value));
	if (!strcmp(name, "script"))
		return disk_error(dp,
				  "script '%.*s%s': kdom runs no block scripts; give the "
				  "path of the image or block device as the target",
				  CFG_QUOTE(value));
	return disk_error(dp, "%s: kdom does not serve COLO replication", name);
}

static int disk_set_serial(struct disk_parse *dp, const char *name, const char *value)
{
	size_t len = strlen(value);

	if (len == 0 || len > DISK_SERIAL_MAX)
		return disk_error(dp, "serial must be 1 to %d characters", DISK_SERIAL_MAX);
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)value[i] <= 0x20 || (unsigned char)value[i] >= 0x7f)
			return disk_error(dp,
					  "serial '%.*s%s' may only hold printable ASCII "
					  "without spaces",
					  CFG_QUOTE(value));
	memcpy(dp->spec->serial, value, len + 1);
	return 0;
}

/* Flags: bare words that set something. */
static int disk_set_flag(struct disk_parse *dp, const char *name, const char *value)
{
	if (!strcmp(name, "discard"))
		dp->spec->discard = true;
	else if (!strcmp(name, "no-discard"))
		dp->spec->discard = false;
	else if (!strcmp(name, "direct-io-safe"))
		dp->spec->direct_io = true;
	/* no-colo is the default; trusted/untrusted qualify a back end kdom does not have. */
	return 0;
}

static const struct disk_param {
	const char *name;
	bool flag; /* a bare word; else name=value */
	int (*set)(struct disk_parse *dp, const char *name, const char *value);
} disk_params[] = {
	{ "format", false, disk_set_format },
	{ "vdev", false, disk_set_vdev },
	{ "access", false, disk_set_access },
	{ "devtype", false, disk_set_devtype },
	{ "backendtype", false, disk_check_choice },
	{ "specification", false, disk_check_choice },
	{ "grant_usage", false, disk_check_choice },
	{ "backend", false, disk_refuse },
	{ "script", false, disk_refuse },
	{ "colo-host", false, disk_refuse },
	{ "colo-port", false, disk_refuse },
	{ "colo-export", false, disk_refuse },
	{ "active-disk", false, disk_refuse },
	{ "hidden-disk", false, disk_refuse },
	{ "serial", false, disk_set_serial },
	{ "cdrom", true, disk_refuse_cdrom },
	{ "colo", true, disk_refuse },
	{ "discard", true, disk_set_flag },
	{ "no-discard", true, disk_set_flag },
	{ "direct-io-safe", true, disk_set_flag },
	{ "no-colo", true, disk_set_flag },
	{ "trusted", true, disk_set_flag },
	{ "untrusted", true, disk_set_flag },
};

static const struct disk_param *disk_param_find(const char *name, bool flag)
{
	for (size_t i = 0; i < sizeof(disk_params) / sizeof(disk_params[0]); i++)
		if (disk_params[i].flag == flag && !strcmp(disk_params[i].name, name))
			return &disk_params[i];
	return NULL;
}

/* ---- Positional parameters ------------------------------------------------ */

static int disk_set_target(struct disk_parse *dp, const char *value)
{
	if (dp->target && dp->target[0])
		return disk_error(dp, "target given twice");
	dp->target = value;
	return 0;
}

/*
 * xl's deprecated prefixes before a positional parameter: raw: qcow: qcow2:
 * vhd: give the format, iscsi: nbd: enbd: drbd: a block script, tapdisk:
 * tap: tap2: aio: ioemu: file: phy: nothing.  Any of them means no
 * positional format follows.  *value moves past them.
 */
static bool name_in(const char *name, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(name, list[i]))
			return true;
	return false;
}

#define NAME_IN(name, list) name_in((name), (list), sizeof(list) / sizeof((list)[0]))

static int disk_strip_prefixes(struct disk_parse *dp, char **value)
{
	static const char *const formats[] = { "raw", "qcow", "qcow2", "vhd" };
	static const char *const scripts[] = { "iscsi", "nbd", "enbd", "drbd" };
	static const char *const ignored[] = { "tapdisk", "tap",  "tap2", "aio",
					       "ioemu",	  "file", "phy" };
	char *v = *value;

	for (;;) {
		size_t n = strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789");
		char next;

		if (n == 0 || v[0] < 'a' || v[0] > 'z' || v[n] != ':')
			break;
		next = v[n + 1];
		v[n] = '\0';
		if (NAME_IN(v, formats)) {
			if (disk_set_format(dp, "format", v))
				return -EINVAL;
		} else if (NAME_IN(v, scripts)) {
			return disk_error(dp,
					  "prefix '%s:' runs the block script block-%s: kdom "
					  "runs no block scripts",
					  v, v);
		} else if (!NAME_IN(v, ignored)) {
			v[n] = ':';
			/* "xvda:disk" is a vdev with its type, not a prefix. */
			if ((next >= 'a' && next <= 'z') || (next >= '0' && next <= '9'))
				break;
			return disk_error(dp, "unknown deprecated prefix '%.*s:'", (int)n, v);
		}
		dp->had_prefix = true;
		v += n + 1;
	}
	*value = v;
	return 0;
}

/* xl's deprecated VDEV:DEVTYPE in the vdev's place. */
static int disk_set_vdev_devtype(struct disk_parse *dp, char *value)
{
	char *colon = strrchr(value, ':');

	if (!colon)
		return disk_set_vdev(dp, "vdev", value);
	*colon = '\0';
	if (!strcmp(colon + 1, "cdrom"))
		return disk_refuse_cdrom(dp, "VDEV:cdrom", value);
	if (strcmp(colon + 1, "disk"))
		return disk_error(dp, "unknown device type '%.*s%s' after vdev '%s'",
				  CFG_QUOTE(colon + 1), value);
	return disk_set_vdev(dp, "vdev", value);
}

/* The next of target, format, vdev, access that is not given yet. */
static int disk_parse_positional(struct disk_parse *dp, char *value)
{
	int ret = disk_strip_prefixes(dp, &value);

	if (ret)
		return ret;
	if (!dp->target)
		return disk_set_target(dp, value);
	if (!dp->had_prefix && !dp->format) {
		/* ",hdc:cdrom,r": xend's empty CD-ROM drive, the vdev in the format's place */
		if (!dp->target[0] && strchr(value, ':')) {
			dp->format = "empty";
			return disk_set_vdev_devtype(dp, value);
		}
		return disk_set_format(dp, "format", value);
	}
	if (!dp->vdev)
		return disk_set_vdev_devtype(dp, value);
	if (dp->access < 0)
		return disk_set_access(dp, "access", value);
	return disk_error(dp, "too many positional parameters (at '%.*s%s')", CFG_QUOTE(value));
}

static int disk_parse_token(struct disk_parse *dp, char *token)
{
	char *eq = strchr(token, '=');
	const struct disk_param *param;

	if (eq) {
		*eq = '\0';
		param = disk_param_find(token, false);
		if (!param)
			return disk_error(dp, "unknown key '%.*s%s'", CFG_QUOTE(token));
		return param->set(dp, token, eq + 1);
	}
	param = disk_param_find(token, true);
	if (param)
		return param->set(dp, token, NULL);
	return disk_parse_positional(dp, token);
}

/* White space after a parameter is dropped too (but not after `target=`, as xl does). */
static void trim_end(char *s)
{
	size_t len = strlen(s);

	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\n'))
		s[--len] = '\0';
}

/* Split buf into parameters: white space before each is skipped; `target=` takes the rest. */
static int disk_parse_all(struct disk_parse *dp, char *p)
{
	while (*p) {
		char *token, *comma;
		int ret;

		p += strspn(p, " \t\n");
		if (!*p)
			break;
		if (!strncmp(p, "target=", 7)) {
			size_t len = strlen(p);

			if (p[len - 1] == ',') /* xl drops one trailing comma */
				p[len - 1] = '\0';
			return disk_set_target(dp, p + 7);
		}
		token = p;
		comma = strchr(p, ',');
		if (comma) {
			*comma = '\0';
			p = comma + 1;
		} else {
			p += strlen(p);
		}
		trim_end(token);
		ret = disk_parse_token(dp, token);
		if (ret)
			return ret;
	}
	return 0;
}

/* What every disk needs: an absolute target and a vdev. */
static int disk_finish(struct disk_parse *dp)
{
	struct disk_spec *spec = dp->spec;

	if (!dp->target || !dp->target[0])
		return disk_error(dp, "no target: give the path of a raw image or block device");
	if (dp->target[0] != '/')
		return disk_error(dp,
				  "target '%.*s%s' is not an absolute path (xl would read it "
				  "under /dev); write the whole path",
				  CFG_QUOTE(dp->target));
	if (strlen(dp->target) >= PATH_MAX)
		return disk_error(dp, "target is longer than %d bytes", PATH_MAX - 1);
	if (!dp->vdev || !dp->vdev[0])
		return disk_error(dp, "no vdev: name the disk for the guest, e.g. xvda");
	if (disk_check_vdev(dp, dp->vdev))
		return -EINVAL;
	spec->readonly = dp->access == 1;
	spec->target = strdup(dp->target);
	if (!spec->target) {
		set_err(dp->err, dp->errlen, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

int disk_spec_parse(const char *text, struct disk_spec *spec, char *err, size_t errlen)
{
	struct disk_parse dp = {
		.text = text, .spec = spec, .access = -1, .err = err, .errlen = errlen
	};
	char *buf = strdup(text);
	int ret;

	memset(spec, 0, sizeof(*spec));
	spec->discard = true; /* xl's default */
	if (!buf) {
		set_err(err, errlen, "out of memory");
		return -ENOMEM;
	}
	ret = disk_parse_all(&dp, buf);
	if (!ret)
		ret = disk_finish(&dp);
	free(buf);
	if (ret)
		disk_spec_free(spec);
	return ret;
}

void disk_spec_free(struct disk_spec *spec)
{
	free(spec->target);
	spec->target = NULL;
}

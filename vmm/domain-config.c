/* A domain's configuration: defaults, the table of xl.cfg keys kdom knows, and their checks. */
#include "vmm/config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmm/guest-mem.h"

/* Configs are a few hundred bytes; anything near this is not a config file. */
#define DOMAIN_CONFIG_FILE_MAX (1024 * 1024)

/* Messages quote user input cut to this many bytes. */
#define QUOTE_MAX 48

static int __attribute__((format(printf, 3, 4)))
config_error(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static int config_nomem(char *err, size_t errlen)
{
	config_error(err, errlen, "out of memory");
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
}

void domain_config_free(struct domain_config *dc)
{
	free(dc->kernel);
	free(dc->ramdisk);
	free(dc->cmdline);
	dc->kernel = dc->ramdisk = dc->cmdline = NULL;
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
struct config_key {
	const char *key;
	enum cfg_type type;
	int (*apply)(struct domain_config *dc, const struct cfg *cfg, const struct cfg_setting *s,
		     char *err, size_t errlen);
};

static int apply_name(struct domain_config *dc, const struct cfg *cfg, const struct cfg_setting *s,
		      char *err, size_t errlen)
{
	return domain_config_set_name(dc, s->value.string, err, errlen);
}

static int apply_memory(struct domain_config *dc, const struct cfg *cfg,
			const struct cfg_setting *s, char *err, size_t errlen)
{
	return domain_config_set_memory(dc, s->value.number, err, errlen);
}

static int apply_vcpus(struct domain_config *dc, const struct cfg *cfg, const struct cfg_setting *s,
		       char *err, size_t errlen)
{
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

static int apply_kernel(struct domain_config *dc, const struct cfg *cfg,
			const struct cfg_setting *s, char *err, size_t errlen)
{
	return apply_path(&dc->kernel, s, err, errlen);
}

static int apply_ramdisk(struct domain_config *dc, const struct cfg *cfg,
			 const struct cfg_setting *s, char *err, size_t errlen)
{
	return apply_path(&dc->ramdisk, s, err, errlen);
}

static int apply_domid(struct domain_config *dc, const struct cfg *cfg, const struct cfg_setting *s,
		       char *err, size_t errlen)
{
	return domain_config_set_domid(dc, s->value.number, err, errlen);
}

/* A 0/1 switch such as `control = 1`. */
static int apply_flag(bool *field, const struct cfg_setting *s, char *err, size_t errlen)
{
	if (s->value.number != 0 && s->value.number != 1)
		return config_error(err, errlen, "'%s' must be 0 or 1, not %lld", s->key,
				    s->value.number);
	*field = s->value.number;
	return 0;
}

static int apply_control(struct domain_config *dc, const struct cfg *cfg,
			 const struct cfg_setting *s, char *err, size_t errlen)
{
	return apply_flag(&dc->control, s, err, errlen);
}

static int apply_hardware(struct domain_config *dc, const struct cfg *cfg,
			  const struct cfg_setting *s, char *err, size_t errlen)
{
	return apply_flag(&dc->hardware, s, err, errlen);
}

static int apply_pit(struct domain_config *dc, const struct cfg *cfg, const struct cfg_setting *s,
		     char *err, size_t errlen)
{
	return apply_flag(&dc->pit, s, err, errlen);
}

/*
 * xl takes `cmdline` as the whole command line and `extra` as text appended
 * to one it builds from `root`.  kdom builds none, so either key gives the
 * command line; giving both is refused rather than guessing which one wins.
 */
static int apply_cmdline(struct domain_config *dc, const struct cfg *cfg,
			 const struct cfg_setting *s, char *err, size_t errlen)
{
	const char *other_key = strcmp(s->key, "cmdline") ? "cmdline" : "extra";
	const struct cfg_setting *other = cfg_find(cfg, other_key);

	if (other)
		return config_error(
			err, errlen,
			"'cmdline' and 'extra' are both given ('%s' on line %d); give only one",
			other_key, other->line);
	return domain_config_set_cmdline(dc, s->value.string, err, errlen);
}

static const struct config_key config_keys[] = {
	{ "name", CFG_STRING, apply_name },
	{ "memory", CFG_NUMBER, apply_memory },
	{ "vcpus", CFG_NUMBER, apply_vcpus },
	{ "kernel", CFG_STRING, apply_kernel },
	{ "ramdisk", CFG_STRING, apply_ramdisk },
	{ "cmdline", CFG_STRING, apply_cmdline },
	{ "extra", CFG_STRING, apply_cmdline },
	/* kdom's role keys (issue 4; DESIGN.md's role table) */
	{ "domid", CFG_NUMBER, apply_domid },
	{ "control", CFG_NUMBER, apply_control },
	{ "hardware", CFG_NUMBER, apply_hardware },
	{ "pit", CFG_NUMBER, apply_pit },
};

static const char *type_name(enum cfg_type type)
{
	switch (type) {
	case CFG_NUMBER:
		return "a number";
	case CFG_STRING:
		return "a string";
	case CFG_LIST:
		return "a list";
	}
	return "a value";
}

int domain_config_apply(struct domain_config *dc, const struct cfg *cfg, char *err, size_t errlen)
{
	const char *filename = cfg->filename ? cfg->filename : "(config)";
	char msg[512];
	size_t i, k;
	int ret;

	for (i = 0; i < cfg->nsettings; i++) {
		const struct cfg_setting *s = &cfg->settings[i];
		const struct config_key *ck = NULL;

		for (k = 0; k < sizeof(config_keys) / sizeof(config_keys[0]); k++) {
			if (!strcmp(config_keys[k].key, s->key)) {
				ck = &config_keys[k];
				break;
			}
		}
		if (!ck)
			return config_error(err, errlen, "%s:%d: unknown key '%.*s'", filename,
					    s->line, QUOTE_MAX, s->key);
		if (s->value.type != ck->type)
			return config_error(err, errlen, "%s:%d: '%s' must be %s", filename,
					    s->line, ck->key, type_name(ck->type));
		msg[0] = '\0';
		ret = ck->apply(dc, cfg, s, msg, sizeof(msg));
		if (ret) {
			config_error(err, errlen, "%s:%d: %s", filename, s->line, msg);
			return ret;
		}
	}
	return 0;
}

/* ---- Files and whole configs ------------------------------------------------ */

/* Read all of path into a new buffer, refusing files over DOMAIN_CONFIG_FILE_MAX. */
static int config_read_file(const char *path, char **text, size_t *len, char *err, size_t errlen)
{
	size_t cap = 4096, used = 0;
	char *buf = NULL;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		goto fail;
	}
	for (;;) {
		ssize_t n;

		if (used == cap || !buf) {
			char *nbuf;

			if (buf)
				cap *= 2;
			/* One byte more than the limit tells "too big" from "exactly at it". */
			if (cap > DOMAIN_CONFIG_FILE_MAX + 1)
				cap = DOMAIN_CONFIG_FILE_MAX + 1;
			nbuf = realloc(buf, cap);
			if (!nbuf) {
				ret = -ENOMEM;
				goto fail;
			}
			buf = nbuf;
		}
		n = read(fd, buf + used, cap - used);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			goto fail;
		}
		if (n == 0)
			break;
		used += n;
		if (used > DOMAIN_CONFIG_FILE_MAX) {
			close(fd);
			free(buf);
			config_error(err, errlen, "%s is larger than %d bytes (1 MiB)", path,
				     DOMAIN_CONFIG_FILE_MAX);
			return -EFBIG;
		}
	}
	close(fd);
	*text = buf;
	*len = used;
	return 0;

fail:
	if (fd >= 0)
		close(fd);
	free(buf);
	config_error(err, errlen, "cannot read %s: %s", path, strerror(-ret));
	return ret;
}

int domain_config_load(struct domain_config *dc, const char *path, char *err, size_t errlen)
{
	struct cfg cfg;
	char *text = NULL;
	size_t len = 0;
	int ret;

	ret = config_read_file(path, &text, &len, err, errlen);
	if (ret)
		return ret;
	ret = cfg_parse(path, text, len, &cfg, err, errlen);
	free(text);
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

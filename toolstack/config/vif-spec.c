/* Network interface specs in xl's syntax: KEY=VALUE items, checked, served, ignored or refused. */
#include "toolstack/config/vif-spec.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "toolstack/config/xlcfg.h"

struct vif_parse {
	const char *text; /* the spec as given, for messages */
	struct vif_spec *spec;
	char *warn;
	size_t warnlen;
	char *err;
	size_t errlen;
};

static int __attribute__((format(printf, 2, 3)))
vif_error(const struct vif_parse *vp, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return config_error(vp->err, vp->errlen, "vif '%.*s%s': %s", CFG_QUOTE(vp->text), msg);
}

/* Add a note to warn, after any earlier one. */
static void __attribute__((format(printf, 2, 3)))
vif_warn(const struct vif_parse *vp, const char *fmt, ...)
{
	size_t used;
	va_list ap;

	if (!vp->warn || !vp->warnlen)
		return;
	used = strlen(vp->warn);
	if (used && used + 2 < vp->warnlen) {
		strcpy(vp->warn + used, "; ");
		used += 2;
	}
	if (used + 1 >= vp->warnlen)
		return;
	va_start(ap, fmt);
	vsnprintf(vp->warn + used, vp->warnlen - used, fmt, ap);
	va_end(ap);
}

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

int vif_mac_parse(const char *text, uint8_t mac[6])
{
	for (int i = 0; i < 6; i++) {
		const char *p = text + 3 * i;
		int hi = hex_digit(p[0]), lo = hi < 0 ? -1 : hex_digit(p[1]);

		if (lo < 0 || p[2] != (i == 5 ? '\0' : ':'))
			return -EINVAL;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

static int vif_set_mac(struct vif_parse *vp, const char *key, const char *value)
{
	static const uint8_t zero[6];
	uint8_t mac[6];

	if (vif_mac_parse(value, mac))
		return vif_error(vp, "mac '%.*s%s' is not six two-digit hex bytes separated by ':'",
				 CFG_QUOTE(value));
	if (mac[0] & 1)
		return vif_error(vp,
				 "mac '%s' is a multicast address (the low bit of its first "
				 "byte is set); a NIC needs a unicast one",
				 value);
	if (!memcmp(mac, zero, sizeof(zero)))
		return vif_error(vp, "mac '%s' is not an address", value);
	memcpy(vp->spec->mac, mac, sizeof(mac));
	vp->spec->mac_set = true;
	return 0;
}

/* A host interface name, as the kernel's dev_valid_name() takes it. */
static bool ifname_valid(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len >= VIF_IFNAME_MAX || !strcmp(name, ".") || !strcmp(name, ".."))
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c <= 0x20 || c >= 0x7f || c == '/' || c == ':')
			return false;
	}
	return true;
}

static int vif_set_ifname(struct vif_parse *vp, const char *key, const char *value)
{
	char *field = !strcmp(key, "bridge") ? vp->spec->bridge : vp->spec->ifname;

	if (!ifname_valid(value))
		return vif_error(vp,
				 "%s '%.*s%s' is not a host interface name (1 to %d printable "
				 "characters, not '/', ':' or a space)",
				 key, CFG_QUOTE(value), VIF_IFNAME_MAX - 1);
	memcpy(field, value, strlen(value) + 1);
	return 0;
}

static int vif_set_mtu(struct vif_parse *vp, const char *key, const char *value)
{
	char *end;
	unsigned long mtu = strtoul(value, &end, 10);

	if (value[0] < '0' || value[0] > '9' || *end || mtu < 68 || mtu > 65535)
		return vif_error(vp, "mtu '%.*s%s' is not a number from 68 to 65535",
				 CFG_QUOTE(value));
	vp->spec->mtu = (unsigned int)mtu;
	return 0;
}

/* model= names the NIC a device model emulates for an HVM guest (type=ioemu). */
static int vif_check_model(struct vif_parse *vp, const char *key, const char *value)
{
	if (!value[0] || !strcmp(value, "virtio") || !strcmp(value, "virtio-net") ||
	    !strcmp(value, "virtio-net-pci"))
		return 0;
	vif_warn(vp,
		 "model '%.*s%s' ignored: it names a NIC a device model emulates for HVM "
		 "guests; kdom's NICs are virtio-net",
		 CFG_QUOTE(value));
	return 0;
}

static int vif_check_type(struct vif_parse *vp, const char *key, const char *value)
{
	if (!strcmp(value, "vif"))
		return 0;
	if (!strcmp(value, "ioemu")) {
		vif_warn(vp, "type 'ioemu' ignored: kdom emulates no NIC; the guest gets a "
			     "virtio-net device");
		return 0;
	}
	return vif_error(vp, "type '%.*s%s' is not vif or ioemu", CFG_QUOTE(value));
}

/* vif-bridge adds the interface to bridge=, which kdom does itself; no other script runs. */
static int vif_check_script(struct vif_parse *vp, const char *key, const char *value)
{
	const char *base = strrchr(value, '/');

	base = base ? base + 1 : value;
	if (!strcmp(base, "vif-bridge"))
		return 0;
	return vif_error(vp,
			 "script '%.*s%s': kdom runs no hotplug scripts; it adds the interface "
			 "to bridge= itself, as vif-bridge does",
			 CFG_QUOTE(value));
}

/* RATE/s[@INTERVAL]: RATE in bytes or bits with B, KB, MB, GB, b, Kb, Mb, Gb; INTERVAL us, ms, s. */
static bool vif_rate_valid(const char *v)
{
	static const char *const units[] = { "GB", "MB", "KB", "Gb", "Mb", "Kb", "B", "b" };
	char *end;

	if (*v < '0' || *v > '9')
		return false;
	strtoull(v, &end, 10);
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (!strncmp(end, units[i], strlen(units[i]))) {
			end += strlen(units[i]);
			break;
		}
	}
	if (strncmp(end, "/s", 2))
		return false;
	end += 2;
	if (!*end)
		return true;
	if (*end != '@' || end[1] < '0' || end[1] > '9')
		return false;
	strtoull(end + 1, &end, 10);
	return !*end || !strcmp(end, "s") || !strcmp(end, "ms") || !strcmp(end, "us");
}

static int vif_ignore(struct vif_parse *vp, const char *key, const char *value)
{
	static const struct {
		const char *key, *why;
	} notes[] = {
		{ "rate", "kdom does not limit a vif's bandwidth yet" },
		{ "gatewaydev", "only the vif-route script uses it, and kdom runs no scripts" },
		{ "netdev", "only the vif-route script uses it, and kdom runs no scripts" },
		{ "devid", "kdom numbers vifs by their place in the list" },
		{ "accel", "xl does not serve it either" },
	};

	if (!strcmp(key, "rate") && !vif_rate_valid(value))
		return vif_error(vp, "rate '%.*s%s' is not RATE/s[@INTERVAL] (e.g. 10Mb/s@20ms)",
				 CFG_QUOTE(value));
	for (size_t i = 0; i < sizeof(notes) / sizeof(notes[0]); i++)
		if (!strcmp(key, notes[i].key))
			vif_warn(vp, "%s ignored: %s", key, notes[i].why);
	return 0;
}

static int vif_refuse(struct vif_parse *vp, const char *key, const char *value)
{
	if (!strcmp(key, "ip"))
		return vif_error(vp,
				 "ip '%.*s%s': kdom runs no hotplug scripts, so nothing would "
				 "hold the guest to that address as vif-bridge's rules do",
				 CFG_QUOTE(value));
	if (!strcmp(key, "backend"))
		return vif_error(vp,
				 "backend '%.*s%s': kdom serves network devices from its own "
				 "process, not from a back-end domain",
				 CFG_QUOTE(value));
	return vif_error(vp, "%s: kdom does not serve COLO replication", key);
}

static const struct vif_param {
	const char *key;
	int (*set)(struct vif_parse *vp, const char *key, const char *value);
} vif_params[] = {
	{ "mac", vif_set_mac },		{ "bridge", vif_set_ifname }, { "vifname", vif_set_ifname },
	{ "mtu", vif_set_mtu },		{ "model", vif_check_model }, { "type", vif_check_type },
	{ "script", vif_check_script }, { "rate", vif_ignore },	      { "gatewaydev", vif_ignore },
	{ "netdev", vif_ignore },	{ "devid", vif_ignore },      { "accel", vif_ignore },
	{ "ip", vif_refuse },		{ "backend", vif_refuse },    { "forwarddev", vif_refuse },
};

static int vif_parse_item(struct vif_parse *vp, char *item)
{
	char *eq = strchr(item, '=');

	if (!eq)
		return vif_error(vp, "'%.*s%s' is not KEY=VALUE", CFG_QUOTE(item));
	*eq = '\0';
	for (size_t i = 0; i < sizeof(vif_params) / sizeof(vif_params[0]); i++)
		if (!strcmp(item, vif_params[i].key))
			return vif_params[i].set(vp, item, eq + 1);
	if (!strncmp(item, "colo_", 5))
		return vif_refuse(vp, item, eq + 1);
	return vif_error(vp, "unknown key '%.*s%s'", CFG_QUOTE(item));
}

int vif_spec_parse(const char *text, struct vif_spec *spec, char *warn, size_t warnlen, char *err,
		   size_t errlen)
{
	struct vif_parse vp = { text, spec, warn, warnlen, err, errlen };
	char *buf = strdup(text), *item, *save = NULL;
	int ret = 0;

	memset(spec, 0, sizeof(*spec));
	strcpy(spec->bridge, "xenbr0"); /* xl's default */
	if (warn && warnlen)
		warn[0] = '\0';
	if (!buf) {
		set_err(err, errlen, "out of memory");
		return -ENOMEM;
	}
	/* As xl: items split at commas, empty ones skipped, leading blanks dropped. */
	for (item = strtok_r(buf, ",", &save); item && !ret; item = strtok_r(NULL, ",", &save)) {
		size_t len;

		item += strspn(item, " \t");
		len = strlen(item);
		while (len && (item[len - 1] == ' ' || item[len - 1] == '\t'))
			item[--len] = '\0';
		if (*item)
			ret = vif_parse_item(&vp, item);
	}
	free(buf);
	return ret;
}

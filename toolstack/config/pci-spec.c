/* Parsing pass-through device names: BDFs in xl's syntax and vfio-user sockets. */
#include "toolstack/config/pci-spec.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/un.h>

static int hex_field(const char *s, size_t len, unsigned int max, unsigned int *out)
{
	unsigned int v = 0;

	if (len == 0)
		return -1;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		unsigned int digit;

		if (c >= '0' && c <= '9')
			digit = c - '0';
		else if (c >= 'a' && c <= 'f')
			digit = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			digit = c - 'A' + 10;
		else
			return -1;
		v = v * 16 + digit;
		if (v > max)
			return -1;
	}
	*out = v;
	return 0;
}

int pci_spec_parse(const char *text, struct pci_spec *spec, char *err, size_t errlen)
{
	unsigned int domain = 0, bus, dev, fn;
	const char *p = text, *colon, *dot;
	size_t len;

	memset(spec, 0, sizeof(*spec));
	if (!strncmp(text, "vfio-user:", 10)) {
		len = strlen(text + 10);
		if (len == 0 || len >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
			snprintf(err, errlen,
				 "pci '%.64s': a vfio-user socket path of 1 to %zu bytes", text,
				 sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
			return -EINVAL;
		}
		spec->kind = PCI_SPEC_VFIO_USER;
		memcpy(spec->path, text + 10, len + 1);
		return 0;
	}
	spec->kind = PCI_SPEC_HOST;
	/* Optional segment: two colons mean DDDD:BB:DD.F. */
	colon = strchr(p, ':');
	if (colon && strchr(colon + 1, ':')) {
		if (hex_field(p, colon - p, 0xffff, &domain))
			goto bad;
		p = colon + 1;
	}
	colon = strchr(p, ':');
	dot = colon ? strchr(colon, '.') : NULL;
	if (!colon || !dot || hex_field(p, colon - p, 0xff, &bus) ||
	    hex_field(colon + 1, dot - colon - 1, 0x1f, &dev) ||
	    hex_field(dot + 1, strlen(dot + 1), 7, &fn))
		goto bad;
	spec->domain = domain;
	spec->bus = bus;
	spec->dev = dev;
	spec->fn = fn;
	snprintf(spec->bdf, sizeof(spec->bdf), "%04x:%02x:%02x.%x", domain, bus, dev, fn);
	return 0;
bad:
	snprintf(err, errlen,
		 "pci '%.64s': expected a PCI address DDDD:BB:DD.F (or BB:DD.F) or vfio-user:PATH",
		 text);
	return -EINVAL;
}

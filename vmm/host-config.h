/* The host configuration: what the host's administrator decides for every domain. */
#ifndef KDOM_HOST_CONFIG_H
#define KDOM_HOST_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hv-roles/policy.h"

#define HOST_CONFIG_DEFAULT_PATH "/etc/kdom/host.cfg"
#define HOST_CONFIG_ENV "KDOM_HOST_CONFIG"

struct host_config {
	char *path;		/* the file read, or NULL when none was */
	int64_t hardware_domid; /* `hardware_domid = N`; -1 when unset (domain 0) */
	bool pit_host_access;	/* `pit_host_access = 1` */
	char *pit_host_ports;	/* `pit_host_ports = "real"|"simulated:LOG"`; NULL: real */
	bool hwdom_vcpus_pin;	/* `hwdom_vcpus_pin = 1` */
	bool driver_domains;	/* `driver_domains = 0` forbids pass-through to driver domains */
	enum host_crash_action {
		HOST_CRASH_POWEROFF,
		HOST_CRASH_REBOOT,
		HOST_CRASH_PRESERVE,
	} hwdom_crash; /* `hwdom_crash = reboot|poweroff|preserve` (kdomd; default poweroff) */
};

/*
 * Read the host configuration (xl.cfg syntax): path if given, else
 * $KDOM_HOST_CONFIG, else HOST_CONFIG_DEFAULT_PATH, which alone may be
 * missing (then every key has its default).  Unknown keys and bad values are
 * refused as "FILE:LINE: what is wrong".  0 or -errno with err.
 */
int host_config_load(struct host_config *hc, const char *path, char *err, size_t errlen);

/* The policy's view of the host; host_ports_available is the caller's to find out. */
struct policy_host host_config_policy(const struct host_config *hc);

void host_config_free(struct host_config *hc);

#endif

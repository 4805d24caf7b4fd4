/* The host configuration file: its keys, defaults and checks. */
#include "toolstack/config/host-config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hv-roles/domain-config.h"
#include "toolstack/config/xlcfg.h"

static int apply_hardware_domid(void *target, const struct cfg *cfg, const struct cfg_setting *s,
				char *err, size_t errlen)
{
	struct host_config *hc = target;

	if (s->value.number < 0 || s->value.number > DOMAIN_DOMID_MAX) {
		snprintf(err, errlen, "hardware_domid %lld out of range (0 to %d)", s->value.number,
			 DOMAIN_DOMID_MAX);
		return -EINVAL;
	}
	hc->hardware_domid = s->value.number;
	return 0;
}

static int apply_pit_host_access(void *target, const struct cfg *cfg, const struct cfg_setting *s,
				 char *err, size_t errlen)
{
	return cfg_flag(&((struct host_config *)target)->pit_host_access, s, err, errlen);
}

static int apply_pit_host_ports(void *target, const struct cfg *cfg, const struct cfg_setting *s,
				char *err, size_t errlen)
{
	struct host_config *hc = target;
	const char *v = s->value.string;

	if (strcmp(v, "real") && (strncmp(v, "simulated:", 10) || !v[10])) {
		snprintf(err, errlen,
			 "pit_host_ports '%.48s': use \"real\" or \"simulated:LOGFILE\"", v);
		return -EINVAL;
	}
	free(hc->pit_host_ports);
	hc->pit_host_ports = strdup(v);
	return hc->pit_host_ports ? 0 : -ENOMEM;
}

static int apply_hwdom_vcpus_pin(void *target, const struct cfg *cfg, const struct cfg_setting *s,
				 char *err, size_t errlen)
{
	return cfg_flag(&((struct host_config *)target)->hwdom_vcpus_pin, s, err, errlen);
}

static int apply_driver_domains(void *target, const struct cfg *cfg, const struct cfg_setting *s,
				char *err, size_t errlen)
{
	return cfg_flag(&((struct host_config *)target)->driver_domains, s, err, errlen);
}

static int apply_irq_budget(void *target, const struct cfg *cfg, const struct cfg_setting *s,
			    char *err, size_t errlen)
{
	struct host_config *hc = target;
	int64_t n = s->value.number;

	if (n < 1 || n > HOST_IRQ_BUDGET_MAX) {
		snprintf(err, errlen, "%s = %lld: give 1 to %d interrupt routes", s->key,
			 (long long)n, HOST_IRQ_BUDGET_MAX);
		return -EINVAL;
	}
	if (!strcmp(s->key, "hwdom_irq_budget"))
		hc->hwdom_irq_budget = (unsigned int)n;
	else
		hc->domain_irq_budget = (unsigned int)n;
	return 0;
}

static int apply_hwdom_crash(void *target, const struct cfg *cfg, const struct cfg_setting *s,
			     char *err, size_t errlen)
{
	struct host_config *hc = target;
	const char *v = s->value.string;

	if (!strcmp(v, "poweroff"))
		hc->hwdom_crash = HOST_CRASH_POWEROFF;
	else if (!strcmp(v, "reboot"))
		hc->hwdom_crash = HOST_CRASH_REBOOT;
	else if (!strcmp(v, "preserve"))
		hc->hwdom_crash = HOST_CRASH_PRESERVE;
	else {
		snprintf(err, errlen, "hwdom_crash '%.48s' is not reboot, poweroff or preserve", v);
		return -EINVAL;
	}
	return 0;
}

static const struct cfg_key host_keys[] = {
	{ "hardware_domid", CFG_NUMBER, apply_hardware_domid },
	{ "pit_host_access", CFG_NUMBER, apply_pit_host_access },
	{ "pit_host_ports", CFG_STRING, apply_pit_host_ports },
	{ "hwdom_vcpus_pin", CFG_NUMBER, apply_hwdom_vcpus_pin },
	{ "driver_domains", CFG_NUMBER, apply_driver_domains },
	{ "hwdom_crash", CFG_STRING, apply_hwdom_crash },
	{ "hwdom_irq_budget", CFG_NUMBER, apply_irq_budget },
	{ "domain_irq_budget", CFG_NUMBER, apply_irq_budget },
};

int host_config_load(struct host_config *hc, const char *path, char *err, size_t errlen)
{
	const char *env = getenv(HOST_CONFIG_ENV);
	struct cfg cfg;
	int ret;

	memset(hc, 0, sizeof(*hc));
	hc->hardware_domid = -1;
	hc->driver_domains = true;
	hc->hwdom_irq_budget = HOST_HWDOM_IRQ_BUDGET_DEFAULT;
	hc->domain_irq_budget = HOST_DOMAIN_IRQ_BUDGET_DEFAULT;
	if (!path && env && *env)
		path = env;
	if (!path) {
		if (access(HOST_CONFIG_DEFAULT_PATH, F_OK) && errno == ENOENT)
			return 0;
		path = HOST_CONFIG_DEFAULT_PATH;
	}
	ret = cfg_load(path, &cfg, err, errlen);
	if (ret)
		return ret;
	ret = cfg_apply(&cfg, host_keys, sizeof(host_keys) / sizeof(host_keys[0]), hc, err, errlen);
	cfg_free(&cfg);
	if (!ret && !(hc->path = strdup(path)))
		ret = -ENOMEM;
	if (ret)
		host_config_free(hc);
	return ret;
}

void host_config_free(struct host_config *hc)
{
	free(hc->path);
	free(hc->pit_host_ports);
	hc->path = hc->pit_host_ports = NULL;
}

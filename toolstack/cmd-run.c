/* `kdom run`: parse options or a config, build the domain, run it, report how it ended. */
#include "toolstack/cmd-run.h"
#include "toolstack/commands.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv-roles/domain.h"
#include "hv-roles/roles.h"
#include "kdom/abi.h"
#include "machine/machine.h"
#include "toolstack/config/domain-config.h"
#include "toolstack/config/host-config.h"
#include "vmm/log.h"

struct run_options {
	const char *target; /* KERNEL or CONFIG */
	const char *memory, *vcpus, *cmdline, *initrd, *console, *name, *role, *host_config;
	const char *pci[DOMAIN_PCI_MAX];
	unsigned int nr_pci;
	const char *disks[DOMAIN_DISKS_MAX];
	unsigned int nr_disks;
	const char *vifs[DOMAIN_VIFS_MAX];
	unsigned int nr_vifs;
	bool stats;
	bool xen;
	bool virtio_rng;
};

void cmd_run_usage(void)
{
	printf("Usage: kdom run [OPTIONS] KERNEL\n"
	       "       kdom run [OPTIONS] CONFIG\n"
	       "\n"
	       "Run one domain in the foreground until it shuts down.  KERNEL is a PVH ELF,\n"
	       "a Linux bzImage or vmlinux; CONFIG is a domain file in xl.cfg syntax (see\n"
	       "kdom.cfg(5)).  Options override the config file.\n"
	       "\n"
	       "Options:\n"
	       "  -m, --memory MIB       guest RAM in MiB (default %d)\n"
	       "  -n, --vcpus N          vCPUs, 1 to %d (default 1)\n"
	       "  -c, --cmdline STRING   kernel command line\n"
	       "  -i, --initrd FILE      initial ramdisk (PVH: module 0)\n"
	       "      --console SPEC     stdio (default) or file:PATH\n"
	       "      --name NAME        domain name\n"
	       "      --role ROLE        hardware, control, bootstrap or guest (default)\n"
	       "      --pci SPEC         pass a PCI device through: a host BDF (DDDD:BB:DD.F)\n"
	       "                         or vfio-user:SOCKET (repeatable; see kdom(1))\n"
	       "      --disk SPEC        a disk in xl's syntax, e.g. /srv/img,raw,xvda,rw\n"
	       "                         (repeatable, at most %d; see kdom.cfg(5))\n"
	       "      --vif SPEC         a network interface in xl's syntax, e.g.\n"
	       "                         mac=00:16:3e:01:02:03,bridge=br0 (repeatable, at\n"
	       "                         most %d; see kdom.cfg(5))\n"
	       "      --host-config FILE host configuration (default $KDOM_HOST_CONFIG,\n"
	       "                         else " HOST_CONFIG_DEFAULT_PATH " if it exists)\n"
	       "      --xen              serve Xen's guest interface (config key xen = 1;\n"
	       "                         see docs/xen-abi.md)\n"
	       "      --virtio-rng       a virtio entropy device on the PCI bus (config key\n"
	       "                         virtio_rng = 1; see docs/devices.md)\n"
	       "      --stats            print peak memory use and vCPU exits at exit\n"
	       "  -h, --help             show this help\n"
	       "\n"
	       "Exit status: 0 poweroff/SUCCESS, 1 test FAILURE, 2 test ERROR, 3 test SKIP,\n"
	       "4 reboot, 5 crash (pvpanic), 6 triple fault, 7 KVM internal/emulation error,\n"
	       "8 VM entry failure, 9 suspend, 10 watchdog, 125 kdom error, 128+N signal N.\n",
	       DOMAIN_MEMORY_DEFAULT_MIB, DOMAIN_VCPUS_MAX, DOMAIN_DISKS_MAX, DOMAIN_VIFS_MAX);
}

enum {
	OPT_CONSOLE = 256,
	OPT_NAME,
	OPT_STATS,
	OPT_ROLE,
	OPT_HOST_CONFIG,
	OPT_PCI,
	OPT_XEN,
	OPT_DISK,
	OPT_VIF,
	OPT_VIRTIO_RNG
};

static const struct option run_long_options[] = {
	{ "memory", required_argument, NULL, 'm' },
	{ "vcpus", required_argument, NULL, 'n' },
	{ "cmdline", required_argument, NULL, 'c' },
	{ "initrd", required_argument, NULL, 'i' },
	{ "console", required_argument, NULL, OPT_CONSOLE },
	{ "name", required_argument, NULL, OPT_NAME },
	{ "stats", no_argument, NULL, OPT_STATS },
	{ "role", required_argument, NULL, OPT_ROLE },
	{ "host-config", required_argument, NULL, OPT_HOST_CONFIG },
	{ "pci", required_argument, NULL, OPT_PCI },
	{ "disk", required_argument, NULL, OPT_DISK },
	{ "vif", required_argument, NULL, OPT_VIF },
	{ "xen", no_argument, NULL, OPT_XEN },
	{ "virtio-rng", no_argument, NULL, OPT_VIRTIO_RNG },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* A repeatable option's argument, at most max of them; 0 or -EINVAL (logged). */
static int run_add_repeated(const char **list, unsigned int *count, unsigned int max,
			    const char *what)
{
	if (*count == max) {
		log_error("run: at most %u %s", max, what);
		return -EINVAL;
	}
	list[(*count)++] = optarg;
	return 0;
}

/* Options with an argument kept as text (checked once the config is read). */
static const char **run_text_option(int opt, struct run_options *opts)
{
	switch (opt) {
	case 'm':
		return &opts->memory;
	case 'n':
		return &opts->vcpus;
	case 'c':
		return &opts->cmdline;
	case 'i':
		return &opts->initrd;
	case OPT_CONSOLE:
		return &opts->console;
	case OPT_NAME:
		return &opts->name;
	case OPT_ROLE:
		return &opts->role;
	case OPT_HOST_CONFIG:
		return &opts->host_config;
	}
	return NULL;
}

/* One option into opts: 0, 1 after --help, or -EINVAL. */
static int run_parse_option(int opt, struct run_options *opts)
{
	const char **text = run_text_option(opt, opts);

	if (text) {
		*text = optarg;
		return 0;
	}
	switch (opt) {
	case OPT_STATS:
		opts->stats = true;
		return 0;
	case OPT_XEN:
		opts->xen = true;
		return 0;
	case OPT_VIRTIO_RNG:
		opts->virtio_rng = true;
		return 0;
	case OPT_PCI:
		return run_add_repeated(opts->pci, &opts->nr_pci, DOMAIN_PCI_MAX, "--pci devices");
	case OPT_DISK:
		return run_add_repeated(opts->disks, &opts->nr_disks, DOMAIN_DISKS_MAX,
					"--disk disks");
	case OPT_VIF:
		return run_add_repeated(opts->vifs, &opts->nr_vifs, DOMAIN_VIFS_MAX,
					"--vif interfaces");
	case 'h':
		cmd_run_usage();
		return 1;
	}
	fprintf(stderr, "Try 'kdom run --help'.\n");
	return -EINVAL;
}

static int run_parse_options(int argc, char **argv, struct run_options *opts)
{
	int opt, ret;

	memset(opts, 0, sizeof(*opts));
	optind = 1;
	while ((opt = getopt_long(argc, argv, "m:n:c:i:h", run_long_options, NULL)) != -1) {
		ret = run_parse_option(opt, opts);
		if (ret)
			return ret;
	}
	if (optind != argc - 1) {
		log_error(optind == argc ? "run: no KERNEL or CONFIG given"
					 : "run: one KERNEL or CONFIG expected, got more");
		fprintf(stderr, "Try 'kdom run --help'.\n");
		return -EINVAL;
	}
	opts->target = argv[optind];
	return 0;
}

/* A whole decimal number, nothing else. */
static int parse_number(const char *text, long long *value)
{
	char *end;

	errno = 0;
	*value = strtoll(text, &end, 10);
	if (errno || end == text || *end)
		return -EINVAL;
	return 0;
}

/* Kernel images are binary; anything that reads as text is taken as a config file. */
static bool run_target_is_config(const char *path)
{
	uint8_t head[4096];
	FILE *file = fopen(path, "rb");
	size_t n;

	if (!file)
		return false; /* let the kernel loader name the error */
	n = fread(head, 1, sizeof(head), file);
	fclose(file);
	if (n >= 4 && !memcmp(head, "\177ELF", 4))
		return false;
	if (n >= 0x206 && !memcmp(head + 0x202, "HdrS", 4))
		return false;
	return memchr(head, '\0', n) == NULL;
}

/* --disk and --vif, after the config's own disk = and vif =. */
static int run_add_devices(const struct run_options *opts, struct domain_config *dc, char *err,
			   size_t errlen)
{
	char warn[512];

	for (unsigned int i = 0; i < opts->nr_disks; i++)
		if (domain_config_add_disk(dc, opts->disks[i], err, errlen))
			return -EINVAL;
	for (unsigned int i = 0; i < opts->nr_vifs; i++) {
		if (domain_config_add_vif(dc, opts->vifs[i], warn, sizeof(warn), err, errlen))
			return -EINVAL;
		if (warn[0])
			log_warn("--vif '%s': %s", opts->vifs[i], warn);
	}
	return 0;
}

static int run_build_config(const struct run_options *opts, struct domain_config *dc)
{
	char err[512] = "";
	long long number;

	domain_config_init(dc);
	if (run_target_is_config(opts->target)) {
		if (domain_config_load(dc, opts->target, err, sizeof(err)))
			goto fail;
	} else if (domain_config_set_string(&dc->kernel, opts->target)) {
		goto nomem;
	}
	if (opts->name && domain_config_set_name(dc, opts->name, err, sizeof(err)))
		goto fail;
	if (opts->memory) {
		if (parse_number(opts->memory, &number)) {
			snprintf(err, sizeof(err), "--memory '%s' is not a number of MiB",
				 opts->memory);
			goto fail;
		}
		if (domain_config_set_memory(dc, number, err, sizeof(err)))
			goto fail;
	}
	if (opts->vcpus) {
		if (parse_number(opts->vcpus, &number)) {
			snprintf(err, sizeof(err), "--vcpus '%s' is not a number", opts->vcpus);
			goto fail;
		}
		if (domain_config_set_vcpus(dc, number, err, sizeof(err)))
			goto fail;
	}
	if (opts->cmdline && domain_config_set_cmdline(dc, opts->cmdline, err, sizeof(err)))
		goto fail;
	if (opts->initrd && domain_config_set_string(&dc->ramdisk, opts->initrd))
		goto nomem;
	for (unsigned int i = 0; i < opts->nr_pci; i++)
		if (domain_config_add_pci(dc, opts->pci[i], err, sizeof(err)))
			goto fail;
	if (run_add_devices(opts, dc, err, sizeof(err)))
		goto fail;
	if (opts->xen)
		dc->xen = true;
	if (opts->virtio_rng)
		dc->virtio_rng = true;
	if (domain_config_validate(dc, err, sizeof(err)))
		goto fail;
	return 0;
nomem:
	snprintf(err, sizeof(err), "out of memory");
fail:
	log_error("%s", err);
	domain_config_free(dc);
	return -EINVAL;
}

/* The role keys of dc and --role ROLE, through hv-roles' single-domain admission. */
int run_admit_domain(const char *role, const struct host_config *host, struct domain_config *dc,
		     struct role_registry *registry, struct domain *domain)
{
	struct role_request req = {
		.domid = dc->domid,
		.name = dc->name,
		.hardware = dc->hardware,
		.control = dc->control,
		.uuid = dc->uuid_set ? dc->uuid : NULL,
	};
	char err[512] = "";

	if (roles_admit_single(registry, role, host->hardware_domid, &req, domain, err,
			       sizeof(err))) {
		log_error("%s", err);
		return -EINVAL;
	}
	dc->domid = req.domid;
	dc->hardware = req.hardware;
	dc->control = req.control;
	return 0;
}

int cmd_run(int argc, char **argv)
{
	struct run_options opts;
	struct domain_config dc;
	struct host_config host;
	struct role_registry *registry = NULL;
	struct domain domain;
	struct machine *m = NULL;
	char err[512] = "";
	int ret, status = KDOM_EXIT_KDOM_ERROR;

	ret = run_parse_options(argc, argv, &opts);
	if (ret)
		return ret > 0 ? 0 : KDOM_EXIT_KDOM_ERROR;
	if (run_build_config(&opts, &dc))
		return KDOM_EXIT_KDOM_ERROR;
	if (host_config_load(&host, opts.host_config, err, sizeof(err))) {
		log_error("%s", err);
		goto out_config;
	}
	registry = calloc(1, sizeof(*registry));
	m = calloc(1, sizeof(*m));
	if (!registry || !m || run_admit_domain(opts.role, &host, &dc, registry, &domain))
		goto out;

	struct machine_options options = { .console = opts.console, .console_input = true };

	if (machine_build(m, &domain, &dc, &host, &options) == 0) {
		status = machine_run(m);
		if (opts.stats)
			machine_print_stats(m);
	}
	machine_teardown(m);
out:
	free(m);
	free(registry);
	host_config_free(&host);
out_config:
	domain_config_free(&dc);
	return status;
}

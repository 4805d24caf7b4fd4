/* `kdom cpuid`: print the CPUID leaves a domain would see, one per line. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hv-roles/policy.h"
#include "hv-roles/roles.h"
#include "kdom/abi.h"
#include "toolstack/cmd-run.h"
#include "toolstack/commands.h"
#include "toolstack/config/domain-config.h"
#include "toolstack/config/host-config.h"
#include "vmm/kvm.h"
#include "vmm/log.h"
#include "vmm/x86/cpuid.h"

struct cpuid_options {
	const char *config; /* NULL: a one-vCPU guest domain */
	const char *role, *vcpus, *host_config;
};

void cmd_cpuid_usage(void)
{
	printf("Usage: kdom cpuid [OPTIONS] [CONFIG]\n"
	       "\n"
	       "Print every CPUID leaf vCPU 0 of a domain would see, one per line as\n"
	       "LLLLLLLL.S: EAX EBX ECX EDX (leaf, subleaf, registers in hex), so that\n"
	       "domains can be compared.  CONFIG is a domain file (kdom.cfg(5)); its role\n"
	       "keys, vcpus and `cpuid =` count.  Without one, a one-vCPU guest domain.\n"
	       "\n"
	       "Options:\n"
	       "      --role ROLE        hardware, control, bootstrap or guest\n"
	       "  -n, --vcpus N          vCPUs (topology leaves)\n"
	       "      --host-config FILE host configuration (default $KDOM_HOST_CONFIG,\n"
	       "                         else " HOST_CONFIG_DEFAULT_PATH " if it exists)\n"
	       "  -h, --help             show this help\n"
	       "\n"
	       "The hardware domain and control domains get the host policy (the host's\n"
	       "identification, every feature KVM supports); other domains the "
	       "leveled\n" CPUID_BASELINE_NAME " baseline named \"" CPUID_LEVELED_BRAND "\".\n");
}

static void cpuid_print(const struct kvm_cpuid2 *table)
{
	for (uint32_t i = 0; i < table->nent; i++) {
		const struct kvm_cpuid_entry2 *e = &table->entries[i];

		printf("%08x.%x: %08x %08x %08x %08x\n", e->function, e->index, e->eax, e->ebx,
		       e->ecx, e->edx);
	}
}

/* Parse the command line; 0 to go on, 1 once --help is shown, -EINVAL (said why). */
static int cpuid_parse_options(int argc, char **argv, struct cpuid_options *opts)
{
	enum { OPT_ROLE = 256, OPT_HOST_CONFIG };
	static const struct option long_options[] = {
		{ "role", required_argument, NULL, OPT_ROLE },
		{ "vcpus", required_argument, NULL, 'n' },
		{ "host-config", required_argument, NULL, OPT_HOST_CONFIG },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	memset(opts, 0, sizeof(*opts));
	optind = 1;
	while ((opt = getopt_long(argc, argv, "n:h", long_options, NULL)) != -1) {
		switch (opt) {
		case OPT_ROLE:
			opts->role = optarg;
			break;
		case 'n':
			opts->vcpus = optarg;
			break;
		case OPT_HOST_CONFIG:
			opts->host_config = optarg;
			break;
		case 'h':
			cmd_cpuid_usage();
			return 1;
		default:
			fprintf(stderr, "Try 'kdom cpuid --help'.\n");
			return -EINVAL;
		}
	}
	if (argc - optind > 1) {
		log_error("cpuid: at most one CONFIG expected");
		fprintf(stderr, "Try 'kdom cpuid --help'.\n");
		return -EINVAL;
	}
	opts->config = optind < argc ? argv[optind] : NULL;
	return 0;
}

/*
 * Load the host config, then CONFIG (if given) into dc, then apply --vcpus.
 * 0, or non-zero with the reason in err (empty: out of memory).
 */
static int cpuid_load_config(const struct cpuid_options *opts, struct host_config *host,
			     struct domain_config *dc, char *err, size_t errlen)
{
	long long n;
	char *end;

	if (host_config_load(host, opts->host_config, err, errlen))
		return -EINVAL;
	if (opts->config && domain_config_load(dc, opts->config, err, errlen))
		return -EINVAL;
	if (!opts->vcpus)
		return 0;
	n = strtoll(opts->vcpus, &end, 10);
	if (*end || end == opts->vcpus) {
		snprintf(err, errlen, "--vcpus '%s' is not a number", opts->vcpus);
		return -EINVAL;
	}
	return domain_config_set_vcpus(dc, n, err, errlen);
}

/* Admit the domain as `kdom run` would and build vCPU 0's table; malloc()ed, or NULL (logged). */
static struct kvm_cpuid2 *cpuid_build_vcpu0(const char *role, const struct host_config *host,
					    struct domain_config *dc)
{
	struct role_registry *registry = calloc(1, sizeof(*registry));
	struct kvm_cpuid2 *table = NULL, *vcpu0 = NULL;
	struct domain domain;
	char err[512] = "";
	int kvm_fd = -1;

	if (!registry || run_admit_domain(role, host, dc, registry, &domain))
		goto out;
	kvm_fd = kvm_open_checked(dc->vcpus);
	if (kvm_fd < 0)
		goto out;
	table = cpuid_build_domain(kvm_fd, &domain, dc->cpuid, dc->vcpus, dc->xen, err,
				   sizeof(err));
	if (!table || !(vcpu0 = cpuid_for_vcpu(table, 0)))
		log_error("%s", err[0] ? err : "out of memory");
out:
	if (kvm_fd >= 0)
		close(kvm_fd);
	free(table);
	free(registry);
	return vcpu0;
}

int cmd_cpuid(int argc, char **argv)
{
	struct cpuid_options opts;
	struct kvm_cpuid2 *vcpu0 = NULL;
	struct domain_config dc;
	struct host_config host;
	char err[512] = "";
	int ret, status = KDOM_EXIT_KDOM_ERROR;

	ret = cpuid_parse_options(argc, argv, &opts);
	if (ret)
		return ret > 0 ? 0 : KDOM_EXIT_KDOM_ERROR;
	domain_config_init(&dc);
	if (cpuid_load_config(&opts, &host, &dc, err, sizeof(err))) {
		log_error("%s", err[0] ? err : "out of memory");
		goto out;
	}
	vcpu0 = cpuid_build_vcpu0(opts.role, &host, &dc);
	if (!vcpu0)
		goto out;
	cpuid_sort(vcpu0);
	cpuid_print(vcpu0);
	status = fflush(stdout) ? KDOM_EXIT_KDOM_ERROR : 0;
out:
	free(vcpu0);
	host_config_free(&host);
	domain_config_free(&dc);
	return status;
}

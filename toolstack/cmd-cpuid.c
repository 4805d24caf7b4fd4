/* `kdom cpuid`: print the CPUID leaves a domain would see, one per line. */
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

int cmd_cpuid(int argc, char **argv)
{
	enum { OPT_ROLE = 256, OPT_HOST_CONFIG };
	static const struct option long_options[] = {
		{ "role", required_argument, NULL, OPT_ROLE },
		{ "vcpus", required_argument, NULL, 'n' },
		{ "host-config", required_argument, NULL, OPT_HOST_CONFIG },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *role = NULL, *host_path = NULL, *vcpus = NULL;
	struct kvm_cpuid2 *table = NULL, *vcpu0 = NULL;
	struct role_registry *registry = NULL;
	struct domain_config dc;
	struct host_config host;
	struct domain domain;
	char err[512] = "";
	int opt, kvm_fd = -1, status = KDOM_EXIT_KDOM_ERROR;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "n:h", long_options, NULL)) != -1) {
		switch (opt) {
		case OPT_ROLE:
			role = optarg;
			break;
		case 'n':
			vcpus = optarg;
			break;
		case OPT_HOST_CONFIG:
			host_path = optarg;
			break;
		case 'h':
			cmd_cpuid_usage();
			return 0;
		default:
			fprintf(stderr, "Try 'kdom cpuid --help'.\n");
			return KDOM_EXIT_KDOM_ERROR;
		}
	}
	if (argc - optind > 1) {
		log_error("cpuid: at most one CONFIG expected");
		fprintf(stderr, "Try 'kdom cpuid --help'.\n");
		return KDOM_EXIT_KDOM_ERROR;
	}
	domain_config_init(&dc);
	if (host_config_load(&host, host_path, err, sizeof(err)))
		goto fail_msg;
	if (optind < argc && domain_config_load(&dc, argv[optind], err, sizeof(err)))
		goto fail_msg;
	if (vcpus) {
		char *end;
		long long n = strtoll(vcpus, &end, 10);

		if (*end || end == vcpus) {
			snprintf(err, sizeof(err), "--vcpus '%s' is not a number", vcpus);
			goto fail_msg;
		}
		if (domain_config_set_vcpus(&dc, n, err, sizeof(err)))
			goto fail_msg;
	}
	registry = calloc(1, sizeof(*registry));
	if (!registry || run_admit_domain(role, &host, &dc, registry, &domain))
		goto out;
	kvm_fd = kvm_open_checked(dc.vcpus);
	if (kvm_fd < 0)
		goto out;
	table = cpuid_build_domain(kvm_fd, &domain, dc.cpuid, dc.vcpus, err, sizeof(err));
	if (!table || !(vcpu0 = cpuid_for_vcpu(table, 0)))
		goto fail_msg;
	cpuid_sort(vcpu0);
	cpuid_print(vcpu0);
	status = fflush(stdout) ? KDOM_EXIT_KDOM_ERROR : 0;
	goto out;
fail_msg:
	log_error("%s", err[0] ? err : "out of memory");
out:
	if (kvm_fd >= 0)
		close(kvm_fd);
	free(vcpu0);
	free(table);
	free(registry);
	host_config_free(&host);
	domain_config_free(&dc);
	return status;
}

/* `kdom run`: parse options or a config, build the domain, run it, report how it ended. */
#include "vmm/run.h"
#include "vmm/run-internal.h"

#include <errno.h>
#include <getopt.h>
#include <liburing.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "devices/devices.h"
#include "devices/host-ports.h"
#include "devices/i8254.h"
#include "vfio/assign.h"
#include "vfio/passthrough.h"
#include "vfio/vfio-user.h"
#include "hv-roles/domain.h"
#include "hv-roles/policy.h"
#include "hv-roles/roles.h"
#include "kdom/abi.h"
#include "vmm/config.h"
#include "vmm/console.h"
#include "vmm/host-config.h"
#include "vmm/loader.h"
#include "vmm/log.h"
#include "vmm/vcpu.h"
#include "vmm/vm.h"

#define RUN_KERNEL_MAX (512ull << 20)

struct run_options {
	const char *target; /* KERNEL or CONFIG */
	const char *memory, *vcpus, *cmdline, *initrd, *console, *name, *role, *host_config;
	const char *pci[DOMAIN_PCI_MAX];
	unsigned int nr_pci;
	bool stats;
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
	       "      --host-config FILE host configuration (default $KDOM_HOST_CONFIG,\n"
	       "                         else " HOST_CONFIG_DEFAULT_PATH " if it exists)\n"
	       "      --stats            print peak memory use at exit\n"
	       "  -h, --help             show this help\n"
	       "\n"
	       "Exit status: 0 poweroff/SUCCESS, 1 test FAILURE, 2 test ERROR, 3 test SKIP,\n"
	       "4 reboot, 5 crash (pvpanic), 6 triple fault, 7 KVM internal/emulation error,\n"
	       "8 VM entry failure, 9 suspend, 10 watchdog, 125 kdom error, 128+N signal N.\n",
	       DOMAIN_MEMORY_DEFAULT_MIB, DOMAIN_VCPUS_MAX);
}

static int run_parse_options(int argc, char **argv, struct run_options *opts)
{
	enum { OPT_CONSOLE = 256, OPT_NAME, OPT_STATS, OPT_ROLE, OPT_HOST_CONFIG, OPT_PCI };
	static const struct option long_options[] = {
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
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	memset(opts, 0, sizeof(*opts));
	optind = 1;
	while ((opt = getopt_long(argc, argv, "m:n:c:i:h", long_options, NULL)) != -1) {
		switch (opt) {
		case 'm':
			opts->memory = optarg;
			break;
		case 'n':
			opts->vcpus = optarg;
			break;
		case 'c':
			opts->cmdline = optarg;
			break;
		case 'i':
			opts->initrd = optarg;
			break;
		case OPT_CONSOLE:
			opts->console = optarg;
			break;
		case OPT_NAME:
			opts->name = optarg;
			break;
		case OPT_STATS:
			opts->stats = true;
			break;
		case OPT_ROLE:
			opts->role = optarg;
			break;
		case OPT_HOST_CONFIG:
			opts->host_config = optarg;
			break;
		case OPT_PCI:
			if (opts->nr_pci == DOMAIN_PCI_MAX) {
				log_error("run: at most %d --pci devices", DOMAIN_PCI_MAX);
				return -EINVAL;
			}
			opts->pci[opts->nr_pci++] = optarg;
			break;
		case 'h':
			cmd_run_usage();
			return 1;
		default:
			fprintf(stderr, "Try 'kdom run --help'.\n");
			return -EINVAL;
		}
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

/*
 * A single-domain run is its own host: its role comes from the config's role
 * keys and --role, and the role registry decides, as kdomd will for many.
 *   guest      no role (domid 1 unless the config says otherwise)
 *   control    `control = 1`
 *   hardware   `hardware = 1`; the domain gets the host's `hardware_domid`
 *              when it sets one, else the run designates this domain (its
 *              domid, 1 by default) as the hardware domain
 *   bootstrap  domain 0, which Xen's rule also makes the hardware domain
 *              unless the host's `hardware_domid` names another
 */
int run_admit_domain(const char *role, const struct host_config *host, struct domain_config *dc,
		     struct role_registry *registry, struct domain *domain)
{
	int64_t hardware_domid = host->hardware_domid;
	struct role_request req;
	char err[512] = "";

	if (role) {
		if (!strcmp(role, "control")) {
			dc->control = true;
		} else if (!strcmp(role, "hardware")) {
			dc->hardware = true;
			if (dc->domid == DOMAIN_DOMID_ANY)
				dc->domid = hardware_domid >= 0 ? hardware_domid : 1;
			if (hardware_domid < 0)
				hardware_domid = dc->domid;
		} else if (!strcmp(role, "bootstrap")) {
			if (dc->domid != DOMAIN_DOMID_ANY && dc->domid != 0) {
				log_error("--role bootstrap is domain 0, but the config says domid "
					  "= %d",
					  dc->domid);
				return -EINVAL;
			}
			dc->domid = 0;
		} else if (strcmp(role, "guest")) {
			log_error("unknown role '%s' (use hardware, control, bootstrap or guest)",
				  role);
			return -EINVAL;
		}
	}
	req = (struct role_request){
		.domid = dc->domid,
		.name = dc->name,
		.hardware = dc->hardware,
		.control = dc->control,
	};
	if (roles_init(registry, hardware_domid, err, sizeof(err)) ||
	    roles_admit(registry, &req, domain, err, sizeof(err))) {
		log_error("%s", err);
		return -EINVAL;
	}
	return 0;
}

/*
 * The policy decides the domain's PIT.  Host access is asked for as if the
 * host's ports were reachable; only when the policy would use them are they
 * opened (before any vCPU thread exists: ioperm() grants are inherited only
 * by threads created later), and when that fails the policy decides again
 * and its reason, with what failed, is logged.
 */
enum policy_pit run_choose_pit(struct run_domain *rd, const struct domain_config *dc)
{
	struct policy_host host = host_config_policy(&rd->host);
	struct policy_domain_config cfg = { .pit = dc->pit };
	const char *reason = NULL;
	enum policy_pit mode;
	char err[256] = "";

	host.host_ports_available = true;
	mode = policy_pit_mode(&rd->domain, &host, &cfg, &reason);
	if (mode == POLICY_PIT_HOST &&
	    host_ports_open(&rd->host_ports, rd->host.pit_host_ports, err, sizeof(err))) {
		host.host_ports_available = false;
		mode = policy_pit_mode(&rd->domain, &host, &cfg, &reason);
		log_info("%s (%s)", reason, err);
		reason = NULL;
	}
	if (reason)
		log_info("%s", reason);
	if (mode == POLICY_PIT_HOST)
		log_info("PIT channel 2 and port 0x61 reach the host through %s",
			 rd->host_ports->name);
	return mode;
}

int run_pci_open(struct run_domain *rd, const struct domain_config *dc)
{
	char err[512] = "";
	int ret = pt_assign_open(&rd->domain, dc, &rd->host, rd->pci_backends, &rd->nr_pci, err,
				 sizeof(err));

	if (ret)
		log_error("%s", err);
	return ret;
}

int run_pci_attach(struct run_domain *rd)
{
	char err[512] = "";

	for (unsigned int i = 0; i < rd->nr_pci; i++) {
		struct pt_backend *b = rd->pci_backends[i];
		int ret;

		rd->pci_backends[i] = NULL; /* pt_device_create() takes it over */
		ret = pt_device_create(&rd->pci_devices[i], &rd->vm, b, err, sizeof(err));
		if (ret) {
			log_error("%s", err);
			return ret;
		}
	}
	return 0;
}

void run_pci_release(struct run_domain *rd)
{
	for (unsigned int i = 0; i < rd->nr_pci; i++) {
		pt_device_destroy(rd->pci_devices[i]);
		if (rd->pci_backends[i])
			rd->pci_backends[i]->ops->close(rd->pci_backends[i]);
		rd->pci_devices[i] = NULL;
		rd->pci_backends[i] = NULL;
	}
	rd->nr_pci = 0;
}

int run_create_devices(struct run_domain *rd)
{
	struct vm *vm = &rd->vm;
	int ret;

	/* The bus first: devices added later find it, and so does the MP table. */
	ret = pci_bus_create(&rd->pci, vm);
	if (!ret) {
		vm->pci = &rd->pci;
		ret = uart_create(&rd->uart, vm, &rd->console, KDOM_PORT_COM1, 4);
	}
	if (!ret)
		ret = i8042_create(&rd->i8042, vm);
	if (!ret)
		ret = pvpanic_create(&rd->pvpanic, vm);
	if (!ret)
		ret = post_port_create(&rd->post, vm);
	if (!ret)
		ret = hypercall_port_create(&rd->hypercall, vm);
	if (!ret && rd->host_ports) {
		ret = i8254_create(&rd->pit, vm, rd->host_ports);
		rd->pit_created = !ret;
	}
	if (ret)
		log_error("cannot create the platform devices: %s", strerror(-ret));
	return ret;
}

int run_load_kernel(struct run_domain *rd, const struct domain_config *dc)
{
	struct load_params params = { .cmdline = dc->cmdline };
	uint8_t *kernel = NULL, *initrd = NULL;
	struct boot_setup boot;
	char err[512] = "";
	int ret;

	/* loader_read_file() names the file in its messages; loader_load() does not. */
	ret = loader_read_file(dc->kernel, RUN_KERNEL_MAX, &kernel, &params.kernel_size, err,
			       sizeof(err));
	if (ret)
		goto fail_read;
	params.kernel = kernel;
	if (dc->ramdisk) {
		ret = loader_read_file(dc->ramdisk, rd->vm.mem.size, &initrd, &params.initrd_size,
				       err, sizeof(err));
		if (ret)
			goto fail_read;
		params.initrd = initrd;
	}
	ret = loader_load(&rd->vm.mem, &params, &boot, err, sizeof(err));
	if (ret) {
		log_error("%s: %s", dc->kernel, err);
		goto out;
	}
	ret = vm_setup_boot(&rd->vm, &boot);
	goto out;
fail_read:
	log_error("%s", err);
out:
	free(kernel);
	free(initrd);
	return ret;
}

static void run_kick_handler(int signo)
{
	(void)signo; /* only here to interrupt KVM_RUN */
}

/*
 * Signals: vCPU threads get the kick signal; SIGINT/SIGTERM/SIGHUP are
 * blocked everywhere and read through a signalfd by the event loop.
 */
int run_setup_signals(sigset_t *stop_signals)
{
	struct sigaction action = { .sa_handler = run_kick_handler };

	sigemptyset(&action.sa_mask);
	if (sigaction(VCPU_KICK_SIGNAL, &action, NULL) < 0)
		return -errno;
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(stop_signals);
	sigaddset(stop_signals, SIGINT);
	sigaddset(stop_signals, SIGTERM);
	sigaddset(stop_signals, SIGHUP);
	if (pthread_sigmask(SIG_BLOCK, stop_signals, NULL))
		return -EINVAL;
	return signalfd(-1, stop_signals, SFD_CLOEXEC);
}

enum { EVENT_STOP, EVENT_SIGNAL, EVENT_CONSOLE, EVENT_PCI /* + device index */ };

void run_queue_poll(struct io_uring *ring, int fd, uint64_t tag)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	if (!sqe) {
		io_uring_submit(ring);
		sqe = io_uring_get_sqe(ring);
	}
	io_uring_prep_poll_add(sqe, fd, POLLIN);
	io_uring_sqe_set_data64(sqe, tag);
}

/*
 * The domain's event loop: console input, stop requests and signals on one
 * ring, and whatever the hooks add (tags from RUN_EVENT_HOOK up).
 */
int run_event_loop(struct run_domain *rd, int signal_fd, const struct run_hooks *hooks)
{
	struct io_uring ring;
	struct io_uring_cqe *cqe;
	int in_fd = rd->console.in_fd;
	int ret;

	ret = io_uring_queue_init(64, &ring, 0);
	if (ret) {
		log_error("io_uring_queue_init: %s", strerror(-ret));
		return ret;
	}
	run_queue_poll(&ring, rd->vm.stop_fd, EVENT_STOP);
	run_queue_poll(&ring, signal_fd, EVENT_SIGNAL);
	if (in_fd >= 0)
		run_queue_poll(&ring, in_fd, EVENT_CONSOLE);
	/* A vfio-user server may ask for DMA while no request of ours is in flight. */
	for (unsigned int i = 0; i < rd->nr_pci; i++) {
		int fd = rd->pci_devices[i] ? vfio_user_poll_fd(rd->pci_devices[i]->backend) : -1;

		if (fd >= 0)
			run_queue_poll(&ring, fd, EVENT_PCI + i);
	}
	if (hooks)
		hooks->start(&ring, hooks->opaque);

	while (!rd->vm.stopping) {
		io_uring_submit(&ring);
		ret = io_uring_wait_cqe(&ring, &cqe);
		if (ret == -EINTR)
			continue;
		if (ret) {
			vm_stop(&rd->vm, VM_STOP_HOST_ERROR, 0, "event loop: %s", strerror(-ret));
			break;
		}
		uint64_t tag = io_uring_cqe_get_data64(cqe);
		int res = cqe->res;

		io_uring_cqe_seen(&ring, cqe);
		if (tag >= RUN_EVENT_HOOK && hooks) {
			hooks->event(&ring, tag, res, hooks->opaque);
		} else if (tag >= EVENT_PCI && tag < EVENT_PCI + DOMAIN_PCI_MAX) {
			struct pt_device *d = rd->pci_devices[tag - EVENT_PCI];

			/* An ended device (its server gone or misbehaving) is not polled again. */
			if (d && vfio_user_serve(d->backend) == 0)
				run_queue_poll(&ring, vfio_user_poll_fd(d->backend), tag);
		} else if (tag == EVENT_SIGNAL) {
			struct signalfd_siginfo info;

			if (read(signal_fd, &info, sizeof(info)) == sizeof(info)) {
				if (hooks && hooks->on_signal)
					hooks->on_signal(info.ssi_signo, hooks->opaque);
				else
					vm_stop(&rd->vm, VM_STOP_SIGNAL, info.ssi_signo,
						"stopped by signal %u (%s)", info.ssi_signo,
						strsignal(info.ssi_signo));
			}
			run_queue_poll(&ring, signal_fd, EVENT_SIGNAL);
		} else if (tag == EVENT_CONSOLE) {
			uint8_t buf[UART_RX_SIZE];
			ssize_t n = res < 0 ? -1 : read(in_fd, buf, sizeof(buf));

			if (n > 0) {
				uart_receive(&rd->uart, buf, n);
				run_queue_poll(&ring, in_fd, EVENT_CONSOLE);
			}
			/* EOF or an error: the console simply has no more input. */
		}
		/* EVENT_STOP: the loop condition sees vm.stopping. */
	}
	io_uring_queue_exit(&ring);
	return 0;
}

void run_print_stats(struct run_domain *rd)
{
	long page = sysconf(_SC_PAGESIZE);
	uint64_t pages = rd->vm.mem.size / page, touched = 0;
	unsigned char *vec = malloc(pages);
	struct rusage usage;

	if (!vec)
		return;
	if (mincore(rd->vm.mem.host, rd->vm.mem.size, vec) == 0)
		for (uint64_t i = 0; i < pages; i++)
			touched += vec[i] & 1;
	free(vec);
	getrusage(RUSAGE_SELF, &usage);
	uint64_t peak_kib = usage.ru_maxrss, guest_kib = touched * page / 1024;
	fprintf(stderr,
		"kdom: stats: peak RSS %llu KiB, guest RAM touched %llu KiB, "
		"kdom beyond guest pages %lld KiB\n",
		(unsigned long long)peak_kib, (unsigned long long)guest_kib,
		(long long)peak_kib - (long long)guest_kib);
}

/* Report how the domain ended: orderly stops say nothing, fatal ones one line. */
void run_report_outcome(const struct vm_outcome *outcome)
{
	switch (outcome->reason) {
	case VM_STOP_POWEROFF:
		break;
	case VM_STOP_TRIPLE_FAULT:
	case VM_STOP_INTERNAL_ERROR:
	case VM_STOP_FAIL_ENTRY:
	case VM_STOP_HOST_ERROR:
		log_error("%s", outcome->message);
		break;
	default:
		log_info("%s", outcome->message);
		break;
	}
}

int cmd_run(int argc, char **argv)
{
	struct run_options opts;
	struct domain_config dc;
	struct run_domain *rd;
	char err[512] = "";
	sigset_t stop_signals;
	int ret, signal_fd, status = KDOM_EXIT_KDOM_ERROR;

	ret = run_parse_options(argc, argv, &opts);
	if (ret)
		return ret > 0 ? 0 : KDOM_EXIT_KDOM_ERROR;
	if (run_build_config(&opts, &dc))
		return KDOM_EXIT_KDOM_ERROR;
	rd = calloc(1, sizeof(*rd));
	if (!rd) {
		domain_config_free(&dc);
		return KDOM_EXIT_KDOM_ERROR;
	}
	if (host_config_load(&rd->host, opts.host_config, err, sizeof(err))) {
		log_error("%s", err);
		goto out_free;
	}
	if (run_admit_domain(opts.role, &rd->host, &dc, &rd->registry, &rd->domain))
		goto out_free;
	if (run_pci_open(rd, &dc)) /* the role rules refuse before anything is built */
		goto out_free;
	if (console_open(&rd->console, opts.console, err, sizeof(err))) {
		log_error("%s", err);
		goto out_free;
	}
	signal_fd = run_setup_signals(&stop_signals);
	if (signal_fd < 0) {
		log_error("cannot set up signal handling: %s", strerror(-signal_fd));
		goto out_console;
	}
	struct policy_host policy_host = host_config_policy(&rd->host);
	struct vm_params params = {
		.memory_mib = dc.memory_mib,
		.nr_vcpus = dc.vcpus,
		.domain = &rd->domain,
		.kernel_pit = run_choose_pit(rd, &dc) == POLICY_PIT_VIRTUAL,
		.cpuid = dc.cpuid,
		.pin_vcpus = policy_vcpus_pinned(&rd->domain, &policy_host),
	};

	if (vm_create(&rd->vm, &params))
		goto out_vm;
	rd->vm.console = &rd->console;
	if (run_create_devices(rd) || run_pci_attach(rd) || run_load_kernel(rd, &dc))
		goto out_vm;
	if (vm_start(&rd->vm) == 0)
		run_event_loop(rd, signal_fd, NULL);
	else
		vm_stop(&rd->vm, VM_STOP_HOST_ERROR, 0, "cannot start the vCPUs");
	vm_join(&rd->vm);
	console_flush(&rd->console);
	run_report_outcome(&rd->vm.outcome);
	status = vm_outcome_exit_code(&rd->vm.outcome);
	if (opts.stats)
		run_print_stats(rd);
out_vm:
	if (rd->pit_created)
		i8254_destroy(&rd->pit);
	run_pci_release(rd);
	pci_bus_destroy(&rd->pci);
	vm_destroy(&rd->vm);
	host_ports_close(rd->host_ports);
	uart_destroy(&rd->uart);
	close(signal_fd);
out_console:
	console_close(&rd->console);
out_free:
	run_pci_release(rd);
	host_config_free(&rd->host);
	free(rd);
	domain_config_free(&dc);
	return status;
}

/* The builder: the one ordered sequence from a domain configuration to a running VM, and back. */
#include "machine/machine.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "devices/host-ports.h"
#include "hv-roles/policy.h"
#include "kdom/abi.h"
#include "vfio/assign.h"
#include "vfio/passthrough.h"
#include "vmm/kvm.h"
#include "vmm/log.h"
#include "vmm/vcpu.h"
#include "vmm/x86/acpi.h"
#include "vmm/x86/boot-regs.h"
#include "vmm/x86/cpuid.h"
#include "vmm/x86/loader.h"
#include "vmm/x86/mptable.h"

#define MACHINE_KERNEL_MAX (512ull << 20)

/*
 * The policy decides the domain's PIT.  Host access is asked for as if the
 * host's ports were reachable; only when the policy would use them are they
 * opened (before any vCPU thread exists: ioperm() grants are inherited only
 * by threads created later), and when that fails the policy decides again
 * and its reason, with what failed, is logged.
 */
static enum policy_pit machine_choose_pit(struct machine *m, const struct domain_config *dc)
{
	struct policy_host host = host_config_policy(m->host);
	struct policy_domain_config cfg = { .pit = dc->pit };
	const char *reason = NULL;
	enum policy_pit mode;
	char err[256] = "";

	host.host_ports_available = true;
	mode = policy_pit_mode(&m->domain, &host, &cfg, &reason);
	if (mode == POLICY_PIT_HOST &&
	    host_ports_open(&m->host_ports, m->host->pit_host_ports, err, sizeof(err))) {
		host.host_ports_available = false;
		mode = policy_pit_mode(&m->domain, &host, &cfg, &reason);
		log_info("%s (%s)", reason, err);
		reason = NULL;
	}
	if (reason)
		log_info("%s", reason);
	if (mode == POLICY_PIT_HOST)
		log_info("PIT channel 2 and port 0x61 reach the host through %s",
			 m->host_ports->name);
	return mode;
}

/* The domain's CPUID table, as its policy, its config's `cpuid =` and KVM allow; NULL logged. */
static struct kvm_cpuid2 *machine_cpuid_table(struct machine *m, const struct domain_config *dc,
					      int kvm_fd)
{
	char err[256] = "";
	struct kvm_cpuid2 *table = cpuid_build_domain(kvm_fd, &m->domain, dc->cpuid, dc->vcpus,
						      dc->xen, err, sizeof(err));

	if (!table)
		log_error("%s", err);
	return table;
}

static int machine_open_pci(struct machine *m, const struct domain_config *dc)
{
	char err[512] = "";
	int ret = pt_assign_open(&m->domain, dc, m->host, m->pci_backends, &m->nr_pci, err,
				 sizeof(err));

	if (ret)
		log_error("%s", err);
	return ret;
}

static int machine_attach_pci(struct machine *m)
{
	char err[512] = "";

	for (unsigned int i = 0; i < m->nr_pci; i++) {
		struct pt_backend *b = m->pci_backends[i];
		int ret;

		m->pci_backends[i] = NULL; /* pt_device_create() takes it over */
		ret = pt_device_create(&m->pci_devices[i], &m->vm, &m->pci, b, err, sizeof(err));
		if (!ret)
			ret = pt_device_watch(m->pci_devices[i], &m->events);
		if (ret) {
			log_error("%s", err[0] ? err : strerror(-ret));
			return ret;
		}
	}
	return 0;
}

static void machine_release_pci(struct machine *m)
{
	for (unsigned int i = 0; i < m->nr_pci; i++) {
		pt_device_destroy(m->pci_devices[i]);
		if (m->pci_backends[i])
			m->pci_backends[i]->ops->close(m->pci_backends[i]);
		m->pci_devices[i] = NULL;
		m->pci_backends[i] = NULL;
	}
	m->nr_pci = 0;
}

/* vif i's device on the tap opened for it, with its MAC (mac=, else one from the UUID). */
static int machine_create_vif(struct machine *m, const struct domain_config *dc, unsigned int i)
{
	const struct vif_spec *vif = &dc->vifs[i];
	struct tap *tap = &m->taps[i];
	uint8_t mac[6];
	int ret;

	if (vif->mac_set)
		memcpy(mac, vif->mac, sizeof(mac));
	else
		vif_spec_generate_mac(mac, m->domain.uuid, i);
	m->nr_nets = i + 1; /* virtio_net_destroy() undoes a partial create */
	ret = virtio_net_create(&m->nets[i], &m->vm, &m->pci, &m->events, tap, mac, tap->mtu);
	if (!ret)
		log_info("vif %u: %s on bridge %s, MAC %02x:%02x:%02x:%02x:%02x:%02x, MTU %u", i,
			 tap->ifname, vif->bridge, mac[0], mac[1], mac[2], mac[3], mac[4], mac[5],
			 tap->mtu);
	return ret;
}

static int machine_create_devices(struct machine *m, const struct domain_config *dc)
{
	struct vm *vm = &m->vm;
	int ret;

	/* The bus first: pass-through devices are added to it later. */
	ret = pci_bus_create(&m->pci, vm);
	if (!ret)
		ret = uart_create(&m->uart, vm, &m->console, KDOM_PORT_COM1, 4);
	if (!ret && m->options.console_input)
		ret = uart_watch_input(&m->uart, &m->events, m->console.in_fd);
	if (!ret)
		ret = i8042_create(&m->i8042, vm);
	if (!ret)
		ret = pvpanic_create(&m->pvpanic, vm);
	if (!ret)
		ret = post_port_create(&m->post, vm);
	if (!ret)
		ret = hypercall_port_create(&m->hypercall, vm);
	if (!ret)
		ret = acpi_pm_create(&m->acpi_pm, vm, KDOM_ACPI_SCI_IRQ);
	if (!ret && dc->xen) {
		ret = xen_device_create(&m->xen, vm, &m->console, &m->hypercall, m->nr_pci > 0);
		m->xen_created = !ret;
	}
	if (!ret && m->host_ports) {
		ret = i8254_create(&m->pit, vm, m->host_ports);
		m->pit_created = !ret;
	}
	if (!ret && dc->virtio_rng) {
		m->rng_created = true; /* virtio_rng_destroy() undoes a partial create */
		ret = virtio_rng_create(&m->rng, vm, &m->pci, &m->events);
	}
	/* One request queue per vCPU, up to four: the guest's CPUs need not share one. */
	for (unsigned int i = 0; !ret && i < m->nr_disks; i++)
		ret = virtio_blk_create(&m->disks[i], vm, &m->pci, &m->events, &m->disk_images[i],
					dc->vcpus < VIRTIO_BLK_QUEUES_MAX ? dc->vcpus
									  : VIRTIO_BLK_QUEUES_MAX);
	for (unsigned int i = 0; !ret && i < dc->nr_vifs; i++)
		ret = machine_create_vif(m, dc, i);
	if (ret)
		log_error("cannot create the platform devices: %s", strerror(-ret));
	return ret;
}

/*
 * The MP and ACPI tables from data, once every device is on the bus: the
 * vCPU count, bus 0's INTx routes and BAR windows.  *rsdp is for the loader.
 */
static int machine_write_firmware_tables(struct machine *m, uint64_t *rsdp)
{
	struct irq_intx_routes pci;
	struct acpi_platform acpi = {
		.nr_vcpus = m->vm.nr_vcpus,
		.pci = &pci,
		.mmio32 = { PCI_MMIO32_BASE, PCI_MMIO32_END - PCI_MMIO32_BASE },
		.mmio64 = { m->pci.mmio64_base, m->pci.mmio64_end - m->pci.mmio64_base },
	};
	int ret;

	pci_bus_intx_routes(&m->pci, &pci);
	ret = mptable_write(&m->vm.mem, m->vm.nr_vcpus, &pci);
	if (ret) {
		log_error("cannot write the MP table: %s", strerror(-ret));
		return ret;
	}
	ret = acpi_write(&m->vm.mem, &acpi, rsdp);
	if (ret)
		log_error("cannot write the ACPI tables: %s", strerror(-ret));
	return ret;
}

/* XENMEM_memory_map answers with the map the loader gave the guest. */
static void machine_xen_memory_map(struct machine *m)
{
	struct loader_mem_range map[LOADER_MEMMAP_MAX];
	struct xen_e820_entry e820[LOADER_MEMMAP_MAX];
	char err[128];
	int n = loader_build_memmap(&m->vm.mem, map, LOADER_MEMMAP_MAX, err, sizeof(err));

	for (int i = 0; i < n; i++)
		e820[i] = (struct xen_e820_entry){ map[i].addr, map[i].size, map[i].type };
	xen_device_set_memory_map(&m->xen, e820, n > 0 ? (unsigned int)n : 0);
}

static int machine_load_kernel(struct machine *m, const struct domain_config *dc)
{
	struct load_params params = {
		.cmdline = dc->cmdline,
		.start_flags = dc->xen ? policy_xen_start_flags(&m->domain) : 0,
		.ram_pinned = m->nr_pci > 0,
	};
	uint8_t *kernel = NULL, *initrd = NULL;
	struct boot_setup boot = { 0 };
	char err[512] = "";
	int ret;

	ret = machine_write_firmware_tables(m, &params.acpi_rsdp);
	if (ret)
		return ret;
	/* loader_read_file() names the file in its messages; loader_load() does not. */
	ret = loader_read_file(dc->kernel, MACHINE_KERNEL_MAX, &kernel, &params.kernel_size, err,
			       sizeof(err));
	if (ret)
		goto fail_read;
	params.kernel = kernel;
	if (dc->ramdisk) {
		ret = loader_read_file(dc->ramdisk, m->vm.mem.size, &initrd, &params.initrd_size,
				       err, sizeof(err));
		if (ret)
			goto fail_read;
		params.initrd = initrd;
	}
	ret = loader_load(&m->vm.mem, &params, &boot, err, sizeof(err));
	if (ret) {
		log_error("%s: %s", dc->kernel, err);
		goto out;
	}
	if (m->xen_created) {
		machine_xen_memory_map(m);
		if (boot.linux_image)
			log_warn("%s is a Linux kernel: with xen = 1 it takes kdom for Xen and "
				 "expects "
				 "event channels, a Xen clock, xenstore and grant tables, which "
				 "kdom "
				 "does not serve (docs/xen-abi.md)",
				 dc->kernel);
	}
	ret = boot_regs_setup(m->vm.vcpus[0].fd, &m->vm.mem, &boot);
	goto out;
fail_read:
	log_error("%s", err);
out:
	free(kernel);
	free(initrd);
	return ret;
}

static void machine_kick_handler(int signo)
{
	(void)signo; /* only here to interrupt KVM_RUN */
}

/*
 * Signals: vCPU threads get the kick signal; SIGINT/SIGTERM/SIGHUP are
 * blocked everywhere and read through a signalfd by the event loop.
 */
static int machine_setup_signals(void)
{
	struct sigaction action = { .sa_handler = machine_kick_handler };
	sigset_t stop_signals;
	int fd;

	sigemptyset(&action.sa_mask);
	if (sigaction(VCPU_KICK_SIGNAL, &action, NULL) < 0)
		return -errno;
	signal(SIGPIPE, SIG_IGN);
	signal(SIGXFSZ, SIG_IGN); /* a disk image past the file size limit: EFBIG, an I/O error */
	sigemptyset(&stop_signals);
	sigaddset(&stop_signals, SIGINT);
	sigaddset(&stop_signals, SIGTERM);
	sigaddset(&stop_signals, SIGHUP);
	if (pthread_sigmask(SIG_BLOCK, &stop_signals, NULL))
		return -EINVAL;
	fd = signalfd(-1, &stop_signals, SFD_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static int machine_on_signal(struct event_loop *loop, int fd, int res, void *opaque)
{
	struct machine *m = opaque;
	struct signalfd_siginfo info;

	if (read(fd, &info, sizeof(info)) != sizeof(info))
		return 0;
	if (m->options.on_signal)
		m->options.on_signal(info.ssi_signo, m->options.signal_opaque);
	else
		vm_stop(&m->vm, VM_STOP_SIGNAL, info.ssi_signo, "stopped by signal %u (%s)",
			info.ssi_signo, strsignal(info.ssi_signo));
	return 0;
}

/* vm_stop() wrote the stop eventfd: the loop sees vm.stopping after this. */
static int machine_on_stop(struct event_loop *loop, int fd, int res, void *opaque)
{
	return 1;
}

/* The console, the signals and the event loop watching both: host side, no VM yet. */
static int machine_open_host_side(struct machine *m, const struct machine_options *options)
{
	char err[512] = "";
	int ret;

	ret = console_open(&m->console, options->console, err, sizeof(err));
	if (ret) {
		log_error("%s", err);
		return ret;
	}
	m->console_opened = true;
	if (!options->console_input)
		m->console.in_fd = -1;
	m->signal_fd = machine_setup_signals();
	if (m->signal_fd < 0) {
		ret = m->signal_fd;
		log_error("cannot set up signal handling: %s", strerror(-ret));
		return ret;
	}
	ret = event_loop_init(&m->events);
	if (ret)
		return ret;
	ret = event_loop_add(&m->events, m->signal_fd, "signals", machine_on_signal, m);
	return ret < 0 ? ret : 0;
}

/* The VM with its RAM and vCPUs, each vCPU given its finished CPUID table. */
static int machine_create_vm(struct machine *m, const struct domain_config *dc)
{
	int kvm_fd = kvm_open_checked(dc->vcpus);

	if (kvm_fd < 0)
		return kvm_fd;

	struct kvm_cpuid2 *cpuid = machine_cpuid_table(m, dc, kvm_fd);
	struct kvm_cpuid2 *vcpu_cpuid[DOMAIN_VCPUS_MAX] = { NULL };
	struct policy_host policy_host = host_config_policy(m->host);
	struct vm_params params = {
		.kvm_fd = kvm_fd,
		.memory_mib = dc->memory_mib,
		.nr_vcpus = dc->vcpus,
		.domain = &m->domain,
		.kernel_pit = machine_choose_pit(m, dc) == POLICY_PIT_VIRTUAL,
		.pin_vcpus = policy_vcpus_pinned(&m->domain, &policy_host),
	};
	int ret = 0;

	if (!cpuid) {
		close(kvm_fd);
		return -EINVAL;
	}
	/* Each vCPU's own table (its APIC IDs), finished here: the VM core only sets them. */
	for (unsigned int i = 0; i < dc->vcpus && i < DOMAIN_VCPUS_MAX && !ret; i++) {
		vcpu_cpuid[i] = cpuid_for_vcpu(cpuid, i);
		params.cpuid[i] = vcpu_cpuid[i];
		if (!vcpu_cpuid[i])
			ret = -ENOMEM;
	}
	free(cpuid);
	if (ret) {
		log_error("cannot build the vCPUs' CPUID tables: %s", strerror(-ret));
		close(kvm_fd);
	} else {
		/* vm_create() starts with vm_init(), so vm_destroy() may run */
		m->vm_created = true;
		ret = vm_create(&m->vm, &params);
		if (!ret)
			irq_set_budget(&m->vm, policy_irq_budget(&m->domain, &policy_host));
	}
	for (unsigned int i = 0; i < DOMAIN_VCPUS_MAX; i++)
		free(vcpu_cpuid[i]);
	return ret;
}

/*
 * Each vif's tap (vifname=, else vifDOMID.INDEX), with its MTU, on its
 * bridge and up, before the VM exists: a missing bridge or a name in use
 * ends the build here.
 */
static int machine_open_vifs(struct machine *m, const struct domain_config *dc)
{
	char name[TAP_IFNAME_MAX], err[256] = "";
	int ret;

	for (unsigned int i = 0; i < dc->nr_vifs; i++) {
		const struct vif_spec *vif = &dc->vifs[i];

		if (vif->ifname[0])
			snprintf(name, sizeof(name), "%s", vif->ifname);
		else
			snprintf(name, sizeof(name), "vif%u.%u", (uint16_t)m->domain.domid,
				 (uint8_t)i);
		m->nr_taps = i + 1; /* tap_close() undoes a partial open */
		ret = tap_open(&m->taps[i], name, vif->bridge, vif->mtu, err, sizeof(err));
		if (ret) {
			log_error("vif %u: %s", i, err);
			return ret;
		}
	}
	return 0;
}

/*
 * Open and lock every disk image before anything is built, so that an
 * image another domain holds refuses the domain at once.  The guest
 * finds its disks in PCI slot order: sorted by the disk number their
 * vdev names (xvda before xvdb), then by partition.
 */
static int machine_open_disks(struct machine *m, const struct domain_config *dc)
{
	const struct disk_spec *order[DOMAIN_DISKS_MAX];
	char err[512] = "";

	for (unsigned int i = 0; i < dc->nr_disks; i++) {
		unsigned int j = i;

		for (; j > 0 && (order[j - 1]->disk > dc->disks[i].disk ||
				 (order[j - 1]->disk == dc->disks[i].disk &&
				  order[j - 1]->partition > dc->disks[i].partition));
		     j--)
			order[j] = order[j - 1];
		order[j] = &dc->disks[i];
	}
	for (unsigned int i = 0; i < dc->nr_disks; i++) {
		int ret = blk_image_open(&m->disk_images[i], order[i], err, sizeof(err));

		if (ret) {
			log_error("%s", err);
			return ret;
		}
		m->nr_disks++;
	}
	return 0;
}

int machine_build(struct machine *m, const struct domain *domain, const struct domain_config *dc,
		  const struct host_config *host, const struct machine_options *options)
{
	int ret;

	memset(m, 0, sizeof(*m));
	m->signal_fd = -1;
	m->host = host;
	m->domain = *domain;
	m->options = *options;
	ret = machine_open_disks(m, dc);
	if (!ret)
		ret = machine_open_pci(m, dc); /* the role rules refuse before anything is built */
	if (!ret)
		ret = machine_open_vifs(m, dc);
	if (!ret)
		ret = machine_open_host_side(m, options);
	if (!ret)
		ret = machine_create_vm(m, dc);
	if (ret)
		return ret;
	ret = event_loop_add(&m->events, m->vm.stop_fd, "stop", machine_on_stop, m);
	if (ret < 0)
		return ret;
	ret = machine_create_devices(m, dc);
	if (!ret)
		ret = machine_attach_pci(m);
	if (!ret)
		ret = machine_load_kernel(m, dc);
	if (ret)
		return ret;
	m->hypercall.manage = options->manage;
	m->hypercall.manage_opaque = options->manage_opaque;
	if (options->paused) {
		vm_pause(&m->vm);
		return 0;
	}
	ret = vm_start(&m->vm);
	if (ret)
		log_error("%s", m->vm.outcome.message);
	return ret;
}

int machine_run(struct machine *m)
{
	int ret = event_loop_run(&m->events, &m->vm.stopping);

	if (ret)
		vm_stop(&m->vm, VM_STOP_HOST_ERROR, 0, "event loop: %s", strerror(-ret));
	vm_join(&m->vm);
	console_flush(&m->console);
	machine_report_outcome(&m->vm.outcome);
	return vm_outcome_exit_code(&m->vm.outcome);
}

void machine_teardown(struct machine *m)
{
	if (m->vm_created) {
		vm_stop(&m->vm, VM_STOP_HOST_ERROR, 0, "the domain could not be built");
		vm_join(&m->vm);
	}
	if (m->pit_created)
		i8254_destroy(&m->pit);
	if (m->rng_created)
		virtio_rng_destroy(&m->rng);
	for (unsigned int i = 0; i < m->nr_nets; i++)
		virtio_net_destroy(&m->nets[i]);
	for (unsigned int i = 0; i < m->nr_taps; i++)
		tap_close(&m->taps[i]); /* the interface leaves its bridge and disappears */
	m->nr_nets = m->nr_taps = 0;
	for (unsigned int i = 0; i < DOMAIN_DISKS_MAX; i++)
		virtio_blk_destroy(&m->disks[i]); /* nothing for a disk never created */
	machine_release_pci(m);
	if (m->xen_created)
		xen_device_destroy(&m->xen);
	if (m->vm_created) {
		pci_bus_destroy(&m->pci);
		acpi_pm_destroy(&m->acpi_pm);
		vm_destroy(&m->vm);
		uart_destroy(&m->uart);
	}
	for (unsigned int i = 0; i < m->nr_disks; i++)
		blk_image_close(&m->disk_images[i]); /* flushed first */
	m->nr_disks = 0;
	host_ports_close(m->host_ports);
	event_loop_exit(&m->events);
	if (m->signal_fd >= 0)
		close(m->signal_fd);
	if (m->console_opened)
		console_close(&m->console);
	m->vm_created = m->pit_created = m->console_opened = m->xen_created = false;
	m->rng_created = false;
	m->host_ports = NULL;
	m->signal_fd = -1;
}

static void machine_print_vif_stats(const struct virtio_net *net)
{
	const struct virtio_net_stats *st = &net->stats;

	fprintf(stderr,
		"kdom: stats: %s: received %llu packets (%llu bytes), %llu dropped; "
		"sent %llu packets (%llu bytes), %llu dropped\n",
		net->tap->ifname, (unsigned long long)st->rx_packets,
		(unsigned long long)st->rx_bytes, (unsigned long long)st->rx_dropped,
		(unsigned long long)st->tx_packets, (unsigned long long)st->tx_bytes,
		(unsigned long long)st->tx_dropped);
}

void machine_print_stats(struct machine *m)
{
	long page = sysconf(_SC_PAGESIZE);
	uint64_t pages = m->vm.mem.size / page, touched = 0, exits_io = 0, exits_mmio = 0;
	unsigned char *vec = malloc(pages);
	struct rusage usage;

	if (!vec)
		return;
	if (mincore(m->vm.mem.host, m->vm.mem.size, vec) == 0)
		for (uint64_t i = 0; i < pages; i++)
			touched += vec[i] & 1;
	free(vec);
	for (unsigned int i = 0; i < m->vm.nr_vcpus; i++) {
		exits_io += m->vm.vcpus[i].exits_io;
		exits_mmio += m->vm.vcpus[i].exits_mmio;
	}
	getrusage(RUSAGE_SELF, &usage);
	uint64_t peak_kib = usage.ru_maxrss, guest_kib = touched * page / 1024;
	fprintf(stderr,
		"kdom: stats: peak RSS %llu KiB, guest RAM touched %llu KiB, "
		"kdom beyond guest pages %lld KiB\n",
		(unsigned long long)peak_kib, (unsigned long long)guest_kib,
		(long long)peak_kib - (long long)guest_kib);
	fprintf(stderr, "kdom: stats: vCPU exits to kdom: %llu port I/O, %llu MMIO\n",
		(unsigned long long)exits_io, (unsigned long long)exits_mmio);
	for (unsigned int i = 0; i < m->nr_nets; i++)
		machine_print_vif_stats(&m->nets[i]);
	for (unsigned int i = 0; i < m->nr_disks; i++) {
		const struct blk_stats *st = &m->disks[i].stats;

		fprintf(stderr,
			"kdom: stats: disk %s: %llu reads, %llu writes, %llu flushes, %llu other "
			"requests, %llu errors\n",
			m->disk_images[i].vdev, (unsigned long long)st->reads,
			(unsigned long long)st->writes, (unsigned long long)st->flushes,
			(unsigned long long)st->others, (unsigned long long)st->errors);
	}
}

void machine_report_outcome(const struct vm_outcome *outcome)
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

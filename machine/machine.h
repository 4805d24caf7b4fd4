/* The builder: one domain configuration turned into a running VM with its devices, and torn down again. */
#ifndef KDOM_MACHINE_H
#define KDOM_MACHINE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "devices/acpi-pm.h"
#include "devices/hypercall-port.h"
#include "devices/i8042.h"
#include "devices/i8254.h"
#include "devices/pci.h"
#include "devices/post.h"
#include "devices/pvpanic.h"
#include "devices/uart.h"
#include "devices/virtio/blk.h"
#include "devices/virtio/net.h"
#include "devices/virtio/rng.h"
#include "devices/xen/hypercall.h"
#include "hv-roles/domain-config.h"
#include "hv-roles/domain.h"
#include "hv-roles/host-config.h"
#include "vmm/console.h"
#include "vmm/event-loop.h"
#include "vmm/tap.h"
#include "vmm/vm.h"

struct host_ports;
struct pt_backend;
struct pt_device;
struct kdom_hypercall;

/* How the caller's domain differs: its console and the services it adds. */
struct machine_options {
	const char *console; /* console_open()'s spec: NULL stdio, file:PATH, append:PATH */
	bool console_input;  /* read the console's input (false: output only) */
	bool paused;	     /* build with the vCPUs parked, for a later vm_unpause() */
	/* Management hypercalls, served by the caller (NULL: refused). */
	int64_t (*manage)(void *opaque, struct kdom_hypercall *req);
	void *manage_opaque;
	/* SIGINT/SIGTERM/SIGHUP (NULL: stop the domain as signalled). */
	void (*on_signal)(unsigned int signo, void *opaque);
	void *signal_opaque;
};

/* Everything one running domain owns, built and torn down in one place. */
struct machine {
	const struct host_config *host; /* the caller's, borrowed */
	struct domain domain;
	struct machine_options options;
	struct console console;
	bool console_opened;
	struct event_loop events;
	int signal_fd;
	struct vm vm;
	bool vm_created;    /* vm_create() ran, so vm_destroy() and the device teardown may */
	struct pci_bus pci; /* bus 0 and its host bridge, which also has port 0xCF9 */
	struct uart uart;
	struct i8042 i8042;
	struct pvpanic pvpanic;
	struct post_port post;
	struct hypercall_port hypercall;
	struct acpi_pm acpi_pm; /* PM1a blocks: the power button, S5 */
	struct xen_device xen;	/* Xen's guest interface, with `xen = 1` */
	bool xen_created;
	struct host_ports *host_ports; /* the hardware domain's host PIT, or NULL */
	struct i8254 pit;	       /* kdom's PIT, when host_ports is set */
	bool pit_created;
	struct virtio_rng rng; /* with `virtio_rng = 1` */
	bool rng_created;
	/* Network interfaces (`vif =`): taps opened before the VM, their devices after. */
	struct tap taps[DOMAIN_VIFS_MAX];
	unsigned int nr_taps;
	struct virtio_net nets[DOMAIN_VIFS_MAX];
	unsigned int nr_nets;
	/* Disks: images opened and locked before the VM, in the guest's order; devices after. */
	struct blk_image disk_images[DOMAIN_DISKS_MAX];
	unsigned int nr_disks;
	struct virtio_blk disks[DOMAIN_DISKS_MAX];
	/* Pass-through: back ends opened (and allowed) before the VM, devices after. */
	struct pt_backend *pci_backends[DOMAIN_PCI_MAX];
	struct pt_device *pci_devices[DOMAIN_PCI_MAX];
	unsigned int nr_pci;
};

/*
 * Build domain (already admitted to its roles) from dc on host, in the one
 * order: disk images (opened and locked) and pass-through back ends (the
 * role rules refuse before anything is built), the vifs' taps (a missing
 * bridge refuses), console, signals, event loop, PIT choice, VM, devices,
 * pass-through devices, kernel, vCPUs started (or parked when options->paused).  0 or
 * -errno, the reason logged; machine_teardown() is due either way.
 */
int machine_build(struct machine *m, const struct domain *domain, const struct domain_config *dc,
		  const struct host_config *host, const struct machine_options *options);

/*
 * Run the event loop until the domain stops, join the vCPUs, flush the
 * console and log how the domain ended.  Returns the exit code of its outcome.
 */
int machine_run(struct machine *m);

/* Undo machine_build(), whatever part of it ran (stops and joins the vCPUs first). */
void machine_teardown(struct machine *m);

/* Log how a domain ended: orderly stops say nothing, fatal ones one line. */
void machine_report_outcome(const struct vm_outcome *outcome);

/* Print peak memory use, guest pages touched, the vCPUs' exits to kdom and each vif's packets to stderr. */
void machine_print_stats(struct machine *m);

#endif

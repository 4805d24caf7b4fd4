/* The pieces of `kdom run` that a toolstack domain process reuses. */
#ifndef KDOM_RUN_INTERNAL_H
#define KDOM_RUN_INTERNAL_H

#include <liburing.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "devices/devices.h"
#include "devices/i8254.h"
#include "devices/pci.h"
#include "hv-roles/domain.h"
#include "hv-roles/policy.h"
#include "hv-roles/roles.h"
#include "vmm/config.h"
#include "vmm/console.h"
#include "vmm/host-config.h"
#include "vmm/vm.h"

struct host_ports;
struct pt_backend;
struct pt_device;

/* Everything one running domain owns, torn down in one place. */
struct run_domain {
	struct host_config host;
	struct role_registry registry;
	struct domain domain;
	struct console console;
	struct vm vm;
	struct pci_bus pci; /* bus 0 and its host bridge, which also has port 0xCF9 */
	struct uart uart;
	struct i8042 i8042;
	struct pvpanic pvpanic;
	struct post_port post;
	struct hypercall_port hypercall;
	struct host_ports *host_ports; /* the hardware domain's host PIT, or NULL */
	struct i8254 pit;	       /* kdom's PIT, when host_ports is set */
	bool pit_created;
	/* Pass-through: back ends opened (and allowed) before the VM, devices after. */
	struct pt_backend *pci_backends[DOMAIN_PCI_MAX];
	struct pt_device *pci_devices[DOMAIN_PCI_MAX];
	unsigned int nr_pci;
};

/* Which PIT the policy gives rd's domain; opens rd->host_ports for a host PIT. */
enum policy_pit run_choose_pit(struct run_domain *rd, const struct domain_config *dc);
int run_create_devices(struct run_domain *rd);
int run_load_kernel(struct run_domain *rd, const struct domain_config *dc);
/* Block SIGINT/SIGTERM/SIGHUP, set the vCPU kick handler; the signalfd or -errno. */
int run_setup_signals(sigset_t *stop_signals);
void run_report_outcome(const struct vm_outcome *outcome);
void run_print_stats(struct run_domain *rd);

/*
 * Pass-through: run_pci_open() applies the role rules and opens every
 * device's back end (before the VM is built: a refusal stops everything);
 * run_pci_attach() puts them on the bus (after run_create_devices());
 * run_pci_release() undoes both (after the vCPUs are joined).
 */
int run_pci_open(struct run_domain *rd, const struct domain_config *dc);
int run_pci_attach(struct run_domain *rd);
void run_pci_release(struct run_domain *rd);

/* Event-loop tags from here up belong to the hooks. */
#define RUN_EVENT_HOOK 16

/* More sources for the event loop (a domain process's control and console sockets). */
struct run_hooks {
	void (*start)(struct io_uring *ring, void *opaque);
	void (*event)(struct io_uring *ring, uint64_t tag, int res, void *opaque);
	void (*on_signal)(unsigned int signo, void *opaque); /* NULL: stop the domain */
	void *opaque;
};

/* Arm a one-shot poll for input on fd, reported with tag. */
void run_queue_poll(struct io_uring *ring, int fd, uint64_t tag);

/* Run until the domain stops.  0 or -errno. */
int run_event_loop(struct run_domain *rd, int signal_fd, const struct run_hooks *hooks);

#endif

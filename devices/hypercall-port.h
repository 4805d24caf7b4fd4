/* The kdom hypercall port: port I/O requests to the op handlers in hv-roles/. */
#ifndef KDOM_DEVICES_HYPERCALL_PORT_H
#define KDOM_DEVICES_HYPERCALL_PORT_H

#include <stdbool.h>
#include <stdint.h>

struct vm;
struct kdom_hypercall;

/* The kdom hypercall port (DESIGN.md): one exit serves one request block. */
struct hypercall_port {
	struct vm *vm;
	unsigned int complaints;       /* warnings logged about bad requests */
	unsigned int shutdown_request; /* the toolstack's request: SHUTDOWN_* + 1, 0 none */
	bool reads_requests;	       /* the guest asked for requests (GET_CONTROL_REQUEST) */
	/* Domain management ops go here when a toolstack runs the domain; else NULL. */
	int64_t (*manage)(void *opaque, struct kdom_hypercall *req);
	void *manage_opaque;
};
int hypercall_port_create(struct hypercall_port *hp, struct vm *vm);

/*
 * Whether the guest said it reads the toolstack's requests: it asked with
 * kdom_op GET_CONTROL_REQUEST at least once (kdom/abi.h).  Such a guest is
 * sent requests through the port; any other gets the ACPI power button.
 */
bool hypercall_port_reads_requests(struct hypercall_port *hp);

/*
 * What both hypercall interfaces share (the port and Xen's, devices/xen/):
 * a guest's SHUTDOWN_* request (with its KDOM_RESULT_*) stops the VM with
 * the matching reason; a management op refused by role is logged, a few
 * times at most.
 */
void hypercall_port_guest_shutdown(struct vm *vm, uint32_t reason, uint32_t result);
/* The memory extent a domain is told: the host's when host (and readable), else its own. */
void hypercall_port_memory_extent(struct vm *vm, bool host, uint64_t *bytes, uint64_t *max_pfn);
void hypercall_port_log_refusal(struct hypercall_port *hp, const struct kdom_hypercall *req);

#endif

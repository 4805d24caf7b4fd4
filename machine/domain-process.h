/* A domain process: one of kdomd's domains, in a process of its own. */
#ifndef KDOM_DOMAIN_PROCESS_H
#define KDOM_DOMAIN_PROCESS_H

#include <stdbool.h>

#include "hv-roles/domain-config.h"
#include "hv-roles/domain.h"
#include "hv-roles/host-config.h"

struct domain_process_params {
	struct domain domain; /* as kdomd's role registry admitted it */
	const struct domain_config *dc;
	const struct host_config *host;
	const char *run_dir;	  /* DOMID.ctl, DOMID.console, DOMID.outcome, DOMID.console.log */
	bool paused;		  /* built but not started until unpaused */
	int ready_fd;		  /* gets "ok\n" or "error: MESSAGE\n" once the domain is built */
	const char *kdomd_socket; /* where the guest's management hypercalls go */
};

/*
 * Build the domain, tell ready_fd, run it with its control socket
 * (docs/protocol.md, "The domain channel") and console socket until it
 * stops, then write DOMID.outcome ({"reason", "result", "message"})
 * atomically.  Returns the process's exit status (vm_outcome_exit_code()).
 */
int domain_process_main(const struct domain_process_params *p);

/* Paths of the domain's files: "RUN_DIR/DOMID.SUFFIX". */
void domain_process_path(char *buf, size_t len, const char *run_dir, unsigned int domid,
			 const char *suffix);

#endif

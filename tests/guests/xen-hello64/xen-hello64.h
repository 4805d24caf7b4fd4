/* xen-hello64's modes beside its checks of the interface (main.c). */
#ifndef GUEST_XEN_HELLO64_H
#define GUEST_XEN_HELLO64_H

#include <stdbool.h>
#include <stdint.h>

/* do=STEP,... want=R,... see=D+D: domctl/sysctl steps; false without do=. */
bool xen_manage_mode(void);

/* release=N: N pages touched, then given back with decrease_reservation; they read zeros. */
void xen_check_release(uint64_t pages);

#endif

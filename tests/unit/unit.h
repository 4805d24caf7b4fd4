/* The Check suites that tests/unit/main.c runs. */
#ifndef KDOM_UNIT_H
#define KDOM_UNIT_H

#include <check.h>
#include <stddef.h>
#include <stdio.h>

Suite *guest_mem_suite(void);
Suite *bus_suite(void);
Suite *loader_suite(void);
Suite *config_suite(void);
Suite *hypercall_suite(void);
Suite *devices_suite(void);
Suite *cpuid_suite(void);
Suite *roles_suite(void);
Suite *i8254_suite(void);
Suite *protocol_suite(void);
Suite *pci_suite(void);
Suite *vfio_user_suite(void);
Suite *vfio_user_wire_suite(void);
Suite *pci_config_suite(void);
Suite *vfio_kernel_suite(void);
Suite *event_loop_suite(void);
Suite *xen_page_suite(void);
Suite *xen_ops_suite(void);
Suite *acpi_suite(void);
Suite *xl_compat_suite(void);
Suite *virtio_queue_suite(void);
Suite *virtio_pci_suite(void);
Suite *virtio_net_suite(void);
Suite *virtio_blk_suite(void);

/* Send stderr to a temporary file, to read back what was logged. */
struct capture {
	int saved;
	FILE *file;
};

void capture_begin(struct capture *c);

/* Restore stderr; the number of lines written, the text in buf (len bytes, NUL-terminated). */
int capture_end(struct capture *c, char *buf, size_t len);

/* How many fds this process has open: a test compares it before and after, for leaks. */
int unit_count_fds(void);

#endif

/* The host's memory extent: what the hardware domain is told of it. */
#ifndef KDOM_HOST_MEMORY_H
#define KDOM_HOST_MEMORY_H

#include <stdint.h>

/*
 * The host's RAM in bytes (/proc/meminfo's MemTotal) and the frame above
 * its highest RAM (the end of the last "System RAM" range of /proc/iomem,
 * which shows addresses to root only; without them, the RAM's own page
 * count).  0 or -errno, the values 0 then.
 */
int host_memory_extent(uint64_t *bytes, uint64_t *max_pfn);

/* The same from /proc-format text (tests): meminfo's and iomem's contents. */
int host_memory_parse(const char *meminfo, const char *iomem, uint64_t *bytes, uint64_t *max_pfn);

#endif

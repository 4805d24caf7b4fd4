/* The host's memory extent, read from /proc/meminfo and /proc/iomem. */
#include "vmm/host-memory.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HOST_PAGE_SHIFT 12
#define PROC_TEXT_MAX (256u << 10)

/* The end (last byte + 1) of the highest "System RAM" range at any depth; 0 if none. */
static uint64_t iomem_ram_end(const char *iomem)
{
	uint64_t top = 0;

	for (const char *line = iomem; line && *line; line = strchr(line, '\n'), line += !!line) {
		uint64_t start, end;
		int name = 0;

		if (sscanf(line, " %" SCNx64 "-%" SCNx64 " : %n", &start, &end, &name) < 2 || !name)
			continue;
		if (strncmp(line + name, "System RAM", 10) == 0 && end >= start && end + 1 > top)
			top = end + 1;
	}
	return top;
}

int host_memory_parse(const char *meminfo, const char *iomem, uint64_t *bytes, uint64_t *max_pfn)
{
	const char *total = meminfo ? strstr(meminfo, "MemTotal:") : NULL;
	uint64_t kib, end;

	*bytes = *max_pfn = 0;
	if (!total || sscanf(total, "MemTotal: %" SCNu64 " kB", &kib) != 1 || kib == 0)
		return -EINVAL;
	*bytes = kib * 1024;
	end = iomem ? iomem_ram_end(iomem) : 0;
	/* Without addresses (not root: every range reads 00000000-00000000) count pages. */
	*max_pfn = end > 1 ? end >> HOST_PAGE_SHIFT : *bytes >> HOST_PAGE_SHIFT;
	return 0;
}

/* A /proc file's text, NUL-terminated (malloc()ed), or NULL. */
static char *read_proc(const char *path)
{
	FILE *file = fopen(path, "r");
	char *text = file ? malloc(PROC_TEXT_MAX) : NULL;
	size_t n = 0;

	if (text)
		n = fread(text, 1, PROC_TEXT_MAX - 1, file);
	if (file)
		fclose(file);
	if (text)
		text[n] = '\0';
	return text;
}

int host_memory_extent(uint64_t *bytes, uint64_t *max_pfn)
{
	char *meminfo = read_proc("/proc/meminfo"), *iomem = read_proc("/proc/iomem");
	int ret = host_memory_parse(meminfo, iomem, bytes, max_pfn);

	free(meminfo);
	free(iomem);
	return ret;
}

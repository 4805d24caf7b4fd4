/* Guest RAM: a memfd mapped once, reached only through a bounds-checked accessor. */
#ifndef KDOM_GUEST_MEM_H
#define KDOM_GUEST_MEM_H

#include <stddef.h>
#include <stdint.h>

#define GMEM_MIN_MIB 2ull
#define GMEM_MAX_MIB (1024ull * 1024) /* 1 TiB */
#define GMEM_4G 0x100000000ull

/*
 * RAM below KDOM_GPA_MMIO_HOLE is mapped 1:1 from gpa 0; whatever does not
 * fit below the hole continues at 4 GiB.  The host mapping is contiguous:
 * host offset = gpa for the low part, gpa - 4 GiB + low_size for the high.
 */
struct guest_mem {
	uint8_t *host;	   /* host mapping of the whole memfd */
	uint64_t size;	   /* total bytes of RAM */
	uint64_t low_size; /* bytes mapped at gpa 0 */
	int fd;		   /* the memfd, shareable with device processes */
};

/* Create RAM of `mib` MiB backed by a memfd.  0 or -errno; *err names the problem. */
int gmem_create(struct guest_mem *mem, uint64_t mib, const char **err);

/* Wrap an existing host buffer (no memfd; fd = -1) — for unit tests and tools. */
void gmem_wrap(struct guest_mem *mem, void *host, uint64_t size);

/* Unmap and close.  Safe on a zeroed or already destroyed struct. */
void gmem_destroy(struct guest_mem *mem);

/*
 * The one way to turn a guest-physical range into a host pointer: returns a
 * pointer to [gpa, gpa+len) when the whole range is RAM in one region, NULL
 * otherwise (including on arithmetic overflow).  len 0 is treated as 1.
 */
void *gmem_ptr(const struct guest_mem *mem, uint64_t gpa, uint64_t len);

/* Copy into / out of guest RAM through gmem_ptr().  0 or -EFAULT. */
int gmem_write(const struct guest_mem *mem, uint64_t gpa, const void *src, uint64_t len);
int gmem_read(const struct guest_mem *mem, uint64_t gpa, void *dst, uint64_t len);

/* Top of the low RAM region and, if any, the end of the high one (gpa). */
static inline uint64_t gmem_low_end(const struct guest_mem *mem)
{
	return mem->low_size;
}
static inline uint64_t gmem_high_end(const struct guest_mem *mem)
{
	return mem->size > mem->low_size ? GMEM_4G + (mem->size - mem->low_size) : 0;
}

#endif

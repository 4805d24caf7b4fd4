/* Guest RAM: a memfd mapped once, reached only through a bounds-checked accessor. */
#ifndef KDOM_GUEST_MEM_H
#define KDOM_GUEST_MEM_H

#include <stdbool.h>
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

/*
 * Give the host memory behind [gpa, gpa+len) back (punched out of the memfd):
 * the range reads as zeros afterwards and is allocated again on its next
 * touch.  0, -EFAULT when the range is not RAM, or -errno.
 */
int gmem_release(const struct guest_mem *mem, uint64_t gpa, uint64_t len);

#define GMEM_PAGE_SIZE 4096ull
#define GMEM_LINEAR_MAX (64u << 10) /* bytes one linear copy may span */

/* Translate one guest linear address (the vCPU's paging): 0 and *gpa, or -EFAULT. */
typedef int (*gmem_translate_fn)(void *opaque, uint64_t gva, bool write, uint64_t *gpa);

/*
 * Copy len bytes between buf and guest *linear* memory at gva, page by page
 * through translate and the checked accessor.  Every page is translated
 * and found to be RAM before a byte moves: 0, or -EFAULT when a page is
 * unmapped, not writable (for a write), not RAM, or len exceeds
 * GMEM_LINEAR_MAX.
 */
int gmem_copy_linear(const struct guest_mem *mem, uint64_t gva, void *buf, size_t len, bool write,
		     gmem_translate_fn translate, void *opaque);

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

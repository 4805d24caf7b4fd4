/* Guest RAM allocation and the checked gpa-to-host accessor. */
#include "vmm/guest-mem.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kdom/abi.h"

int gmem_create(struct guest_mem *mem, uint64_t mib, const char **err)
{
	memset(mem, 0, sizeof(*mem));
	mem->fd = -1;
	if (mib < GMEM_MIN_MIB || mib > GMEM_MAX_MIB) {
		*err = "memory size out of range (2 MiB to 1 TiB)";
		return -EINVAL;
	}
	uint64_t size = mib << 20;
	int fd = memfd_create("kdom-ram", MFD_CLOEXEC);
	if (fd < 0) {
		*err = "memfd_create failed";
		return -errno;
	}
	if (ftruncate(fd, (off_t)size) < 0) {
		*err = "cannot size guest RAM memfd";
		goto fail;
	}
	void *host = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, fd, 0);
	if (host == MAP_FAILED) {
		*err = "cannot map guest RAM";
		goto fail;
	}
	madvise(host, size, MADV_DONTDUMP);
	mem->host = host;
	mem->size = size;
	mem->low_size = size < KDOM_GPA_MMIO_HOLE ? size : KDOM_GPA_MMIO_HOLE;
	mem->fd = fd;
	return 0;
fail:;
	int saved = errno;
	close(fd);
	return -saved;
}

void gmem_wrap(struct guest_mem *mem, void *host, uint64_t size)
{
	mem->host = host;
	mem->size = size;
	mem->low_size = size < KDOM_GPA_MMIO_HOLE ? size : KDOM_GPA_MMIO_HOLE;
	mem->fd = -1;
}

void gmem_destroy(struct guest_mem *mem)
{
	if (mem->fd >= 0) {
		if (mem->host)
			munmap(mem->host, mem->size);
		close(mem->fd);
	}
	memset(mem, 0, sizeof(*mem));
	mem->fd = -1;
}

void *gmem_ptr(const struct guest_mem *mem, uint64_t gpa, uint64_t len)
{
	uint64_t last;

	if (!mem->host)
		return NULL;
	if (len == 0)
		len = 1;
	if (__builtin_add_overflow(gpa, len - 1, &last))
		return NULL;
	if (last < mem->low_size)
		return mem->host + gpa;
	if (gpa >= GMEM_4G && last < gmem_high_end(mem))
		return mem->host + mem->low_size + (gpa - GMEM_4G);
	return NULL;
}

int gmem_write(const struct guest_mem *mem, uint64_t gpa, const void *src, uint64_t len)
{
	void *dst = gmem_ptr(mem, gpa, len);

	if (!dst)
		return -EFAULT;
	memcpy(dst, src, len);
	return 0;
}

int gmem_read(const struct guest_mem *mem, uint64_t gpa, void *dst, uint64_t len)
{
	const void *src = gmem_ptr(mem, gpa, len);

	if (!src)
		return -EFAULT;
	memcpy(dst, src, len);
	return 0;
}

int gmem_release(const struct guest_mem *mem, uint64_t gpa, uint64_t len)
{
	uint8_t *host = gmem_ptr(mem, gpa, len);

	if (!host)
		return -EFAULT;
	if (mem->fd < 0) { /* wrapped memory (tests): nothing to give back, only to clear */
		memset(host, 0, len);
		return 0;
	}
	if (fallocate(mem->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, host - mem->host,
		      (off_t)len) < 0)
		return -errno;
	return 0;
}

int gmem_copy_linear(const struct guest_mem *mem, uint64_t gva, void *buf, size_t len, bool write,
		     gmem_translate_fn translate, void *opaque)
{
	uint64_t gpa[GMEM_LINEAR_MAX / GMEM_PAGE_SIZE + 1];
	size_t chunk[GMEM_LINEAR_MAX / GMEM_PAGE_SIZE + 1];
	unsigned int pages = 0;
	uint8_t *bytes = buf;

	if (len > GMEM_LINEAR_MAX || gva + len < gva) /* no wrap past the top */
		return -EFAULT;
	for (uint64_t at = gva, left = len; left > 0; pages++) {
		chunk[pages] = GMEM_PAGE_SIZE - (at & (GMEM_PAGE_SIZE - 1));
		if (chunk[pages] > left)
			chunk[pages] = left;
		if (translate(opaque, at, write, &gpa[pages]) ||
		    !gmem_ptr(mem, gpa[pages], chunk[pages]))
			return -EFAULT;
		at += chunk[pages];
		left -= chunk[pages];
	}
	for (unsigned int i = 0; i < pages; i++) {
		void *host = gmem_ptr(mem, gpa[i], chunk[i]);

		if (write)
			memcpy(host, bytes, chunk[i]);
		else
			memcpy(bytes, host, chunk[i]);
		bytes += chunk[i];
	}
	return 0;
}

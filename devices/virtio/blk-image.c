/* virtio-blk's images: a raw file or block device opened, measured and locked against other domains. */
#include "devices/virtio/blk.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/log.h"

/* O_DIRECT's alignment when statx cannot say: what every device and file system accepts. */
#define BLK_DIO_ALIGN_DEFAULT 4096u

/* Say what went wrong in err, naming the disk and the file; returns ret. */
__attribute__((format(printf, 5, 6))) static int
image_error(const struct blk_image *img, char *err, size_t errlen, int ret, const char *fmt, ...)
{
	char msg[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(err, errlen, "disk %s: %s: %s", img->vdev, img->path, msg);
	return ret;
}

/*
 * Lock the whole image with an open file description lock: shared for a
 * read-only disk, exclusive for a read-write one.  Such locks belong to
 * the open file, not the process, so two disks of one domain, or kdomd's
 * domain processes, conflict as two domains do; they go when kdom exits.
 */
static int image_lock(const struct blk_image *img, char *err, size_t errlen)
{
	struct flock lock = {
		.l_type = img->readonly ? F_RDLCK : F_WRLCK,
		.l_whence = SEEK_SET,
	};

	if (fcntl(img->fd, F_OFD_SETLK, &lock) == 0)
		return 0;
	if (errno != EAGAIN && errno != EACCES)
		return image_error(img, err, errlen, -errno, "cannot lock it: %s", strerror(errno));
	if (img->readonly)
		return image_error(img, err, errlen, -EBUSY,
				   "another domain holds it read-write; it can be shared only "
				   "read-only (access=ro everywhere)");
	return image_error(img, err, errlen, -EBUSY,
			   "another domain holds it; an image is written by one domain at a "
			   "time, and not while others read it");
}

/* Size and logical block size of a block device. */
static int image_measure_device(struct blk_image *img, uint64_t *bytes, char *err, size_t errlen)
{
	int block_size = 512;

	if (ioctl(img->fd, BLKGETSIZE64, bytes) < 0)
		return image_error(img, err, errlen, -errno, "BLKGETSIZE64: %s", strerror(errno));
	if (ioctl(img->fd, BLKSSZGET, &block_size) == 0 && block_size >= 512 &&
	    block_size <= 65536 && !(block_size & (block_size - 1)))
		img->block_size = block_size;
	return 0;
}

/* How O_DIRECT wants offsets and memory aligned, as statx says (Linux 6.1), else a safe guess. */
static uint32_t image_dio_align(const struct blk_image *img)
{
	struct statx stx;
	uint32_t align = 0;

	if (statx(img->fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &stx) == 0 &&
	    (stx.stx_mask & STATX_DIOALIGN) && stx.stx_dio_offset_align)
		align = stx.stx_dio_offset_align > stx.stx_dio_mem_align ? stx.stx_dio_offset_align
									 : stx.stx_dio_mem_align;
	if (!align || (align & (align - 1)) || align > BLK_DIO_ALIGN_DEFAULT)
		align = img->block_device && img->block_size > BLK_DIO_ALIGN_DEFAULT
				? img->block_size
				: BLK_DIO_ALIGN_DEFAULT;
	return align;
}

static int image_measure(struct blk_image *img, char *err, size_t errlen)
{
	struct stat st;
	uint64_t bytes;
	int ret;

	if (fstat(img->fd, &st) < 0)
		return image_error(img, err, errlen, -errno, "fstat: %s", strerror(errno));
	img->block_size = 512;
	img->block_device = S_ISBLK(st.st_mode);
	if (img->block_device) {
		ret = image_measure_device(img, &bytes, err, errlen);
		if (ret)
			return ret;
	} else if (S_ISREG(st.st_mode)) {
		bytes = st.st_size;
	} else {
		return image_error(img, err, errlen, -EINVAL,
				   "not a regular file or a block device");
	}
	img->sectors = bytes / 512;
	if (bytes % 512)
		log_warn("disk %s: %s: %llu bytes, not a whole number of sectors; the last %llu "
			 "are not served",
			 img->vdev, img->path, (unsigned long long)bytes,
			 (unsigned long long)(bytes % 512));
	return 0;
}

/* The descriptors: O_DIRECT where asked and allowed, the page cache otherwise. */
static int image_open_fds(struct blk_image *img, char *err, size_t errlen)
{
	int flags = (img->readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC;

	if (img->direct) {
		img->fd = open(img->path, flags | O_DIRECT);
		if (img->fd < 0 && errno == EINVAL) {
			log_warn(
				"disk %s: %s: the file system refuses O_DIRECT; served through the "
				"page cache",
				img->vdev, img->path);
			img->direct = false;
		}
	}
	if (!img->direct)
		img->fd = open(img->path, flags);
	if (img->fd < 0)
		return image_error(img, err, errlen, -errno, "%s", strerror(errno));
	img->buffered_fd = img->fd;
	if (img->direct) {
		img->buffered_fd = open(img->path, flags);
		if (img->buffered_fd < 0)
			return image_error(img, err, errlen, -errno, "%s", strerror(errno));
	}
	return 0;
}

/*
 * A block device written by the guest is also claimed exclusively
 * (O_EXCL), which fails while the host has it mounted or another program
 * claimed it; the claim lasts while excl_fd is open.
 */
static int image_claim_device(struct blk_image *img, char *err, size_t errlen)
{
	if (!img->block_device || img->readonly)
		return 0;
	img->excl_fd = open(img->path, O_RDONLY | O_EXCL | O_CLOEXEC);
	if (img->excl_fd < 0)
		return image_error(img, err, errlen, -errno, "%s%s", strerror(errno),
				   errno == EBUSY ? " (mounted, or claimed by another program)"
						  : "");
	return 0;
}

int blk_image_open(struct blk_image *img, const struct disk_spec *spec, char *err, size_t errlen)
{
	int ret;

	memset(img, 0, sizeof(*img));
	img->fd = img->buffered_fd = img->excl_fd = -1;
	img->path = strdup(spec->target);
	if (!img->path)
		return -ENOMEM;
	snprintf(img->vdev, sizeof(img->vdev), "%s", spec->vdev);
	snprintf(img->serial, sizeof(img->serial), "%s", spec->serial);
	img->readonly = spec->readonly;
	img->discard = spec->discard;
	img->direct = spec->direct_io;
	ret = image_open_fds(img, err, errlen);
	if (!ret)
		ret = image_lock(img, err, errlen);
	if (!ret)
		ret = image_measure(img, err, errlen);
	if (!ret)
		ret = image_claim_device(img, err, errlen);
	if (!ret && img->direct)
		img->dio_align = image_dio_align(img);
	if (ret)
		blk_image_close(img);
	return ret;
}

void blk_image_close(struct blk_image *img)
{
	if (!img->path)
		return; /* never opened */
	/* What the guest wrote but never flushed still reaches the file before kdom lets go. */
	if (img->fd >= 0 && !img->readonly && fdatasync(img->fd) < 0)
		log_warn("disk %s: %s: fdatasync: %s", img->vdev, img->path, strerror(errno));
	if (img->buffered_fd >= 0 && img->buffered_fd != img->fd)
		close(img->buffered_fd);
	if (img->fd >= 0)
		close(img->fd);
	if (img->excl_fd >= 0)
		close(img->excl_fd);
	img->fd = img->buffered_fd = img->excl_fd = -1;
	free(img->path);
	img->path = NULL;
}

/* bench/virtio-blk's load generator, run inside the Linux guest: O_DIRECT I/O on io_uring, IOPS and MB/s. */
/*
 * Usage: blkbench DEVICE randread|seqwrite SECONDS
 *   randread  4 KiB reads at random 4 KiB-aligned offsets, 32 in flight
 *   seqwrite  1 MiB writes one after another (wrapping at the end), 4 in
 *             flight, then fdatasync (counted)
 * Prints "blkbench: start MODE" before the first request and, at the end,
 * "blkbench: done MODE: N ops, B bytes, T s, X IOPS, Y MB/s" (MB: 10^6
 * bytes): the markers bench/virtio-blk reads the host's KVM exit counters
 * at.  Built static (gcc -static ... -luring) into the guest initramfs by
 * tests/lab/linux-guest/prepare.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <liburing.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <linux/fs.h>

#define ALIGN 4096

struct load {
	const char *mode;
	int fd;
	uint64_t size;	 /* device bytes */
	unsigned int bs; /* bytes per request */
	unsigned int qd; /* requests in flight */
	bool sequential; /* seqwrite */
	uint64_t next;	 /* seqwrite: the next offset */
	uint64_t rng;	 /* randread: xorshift state */
	uint8_t *bufs;	 /* qd buffers of bs bytes */
	uint64_t ops, bytes;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t next_offset(struct load *l)
{
	uint64_t off;

	if (l->sequential) {
		if (l->next + l->bs > l->size)
			l->next = 0;
		off = l->next;
		l->next += l->bs;
		return off;
	}
	l->rng ^= l->rng << 13;
	l->rng ^= l->rng >> 7;
	l->rng ^= l->rng << 17;
	return (l->rng % (l->size / l->bs)) * l->bs;
}

static void queue_one(struct load *l, struct io_uring *ring, unsigned int slot)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	void *buf = l->bufs + (size_t)slot * l->bs;

	if (l->sequential)
		io_uring_prep_write(sqe, l->fd, buf, l->bs, next_offset(l));
	else
		io_uring_prep_read(sqe, l->fd, buf, l->bs, next_offset(l));
	io_uring_sqe_set_data64(sqe, slot);
}

/* Keep qd requests in flight for seconds; -1 on an I/O error. */
static int run(struct load *l, struct io_uring *ring, double seconds)
{
	double end = now() + seconds;
	unsigned int in_flight = l->qd;
	struct io_uring_cqe *cqe;

	for (unsigned int i = 0; i < l->qd; i++)
		queue_one(l, ring, i);
	io_uring_submit(ring);
	while (in_flight) {
		int ret = io_uring_wait_cqe(ring, &cqe);

		if (ret < 0 || cqe->res != (int)l->bs) {
			fprintf(stderr, "blkbench: %s: %s\n", l->mode,
				strerror(ret < 0	? -ret
					 : cqe->res < 0 ? -cqe->res
							: EIO));
			return -1;
		}
		unsigned int slot = io_uring_cqe_get_data64(cqe);

		io_uring_cqe_seen(ring, cqe);
		l->ops++;
		l->bytes += l->bs;
		in_flight--;
		if (now() < end) {
			queue_one(l, ring, slot);
			io_uring_submit(ring);
			in_flight++;
		}
	}
	return 0;
}

static int setup(struct load *l, const char *dev, const char *mode)
{
	l->mode = mode;
	l->sequential = !strcmp(mode, "seqwrite");
	if (!l->sequential && strcmp(mode, "randread"))
		return -1;
	l->bs = l->sequential ? 1u << 20 : 4096;
	l->qd = l->sequential ? 4 : 32;
	l->rng = 0x9e3779b97f4a7c15ull;
	l->fd = open(dev, (l->sequential ? O_WRONLY : O_RDONLY) | O_DIRECT);
	if (l->fd < 0 || ioctl(l->fd, BLKGETSIZE64, &l->size) < 0 || l->size < 16ull * l->bs) {
		fprintf(stderr, "blkbench: %s: %s\n", dev, strerror(errno));
		return -1;
	}
	if (posix_memalign((void **)&l->bufs, ALIGN, (size_t)l->qd * l->bs))
		return -1;
	memset(l->bufs, 0xa5, (size_t)l->qd * l->bs);
	return 0;
}

int main(int argc, char **argv)
{
	struct load l = { 0 };
	struct io_uring ring;
	double start, elapsed;

	if (argc != 4 || setup(&l, argv[1], argv[2])) {
		fprintf(stderr, "usage: blkbench DEVICE randread|seqwrite SECONDS\n");
		return 2;
	}
	if (io_uring_queue_init(64, &ring, 0) < 0) {
		fprintf(stderr, "blkbench: io_uring_queue_init failed\n");
		return 1;
	}
	printf("blkbench: start %s\n", l.mode);
	fflush(stdout);
	start = now();
	if (run(&l, &ring, atof(argv[3])) || (l.sequential && fdatasync(l.fd))) {
		printf("blkbench: failed %s\n", l.mode);
		return 1;
	}
	elapsed = now() - start;
	printf("blkbench: done %s: %llu ops, %llu bytes, %.3f s, %.0f IOPS, %.2f MB/s\n", l.mode,
	       (unsigned long long)l.ops, (unsigned long long)l.bytes, elapsed, l.ops / elapsed,
	       l.bytes / elapsed / 1e6);
	fflush(stdout);
	io_uring_queue_exit(&ring);
	return 0;
}

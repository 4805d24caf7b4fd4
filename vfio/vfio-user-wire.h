/* The vfio-user wire format: message layouts, command numbers, framing with fds; libc only. */
#ifndef KDOM_VFIO_USER_WIRE_H
#define KDOM_VFIO_USER_WIRE_H

#include <signal.h>
#include <stdint.h>

/*
 * From the vfio-user specification (QEMU docs/interop/vfio-user.rst, the
 * protocol of libvfio-user and SPDK): every message is a 16-byte header and a
 * payload, in host byte order, over a UNIX stream socket; file descriptors
 * ride along as SCM_RIGHTS.  Shared by kdom's client, the test device, its
 * checker and the unit tests' fake servers: tools/ link only this module.
 */
enum vfio_user_command {
	VFIO_USER_VERSION = 1,
	VFIO_USER_DMA_MAP = 2,
	VFIO_USER_DMA_UNMAP = 3,
	VFIO_USER_DEVICE_GET_INFO = 4,
	VFIO_USER_DEVICE_GET_REGION_INFO = 5,
	VFIO_USER_DEVICE_GET_REGION_IO_FDS = 6,
	VFIO_USER_DEVICE_GET_IRQ_INFO = 7,
	VFIO_USER_DEVICE_SET_IRQS = 8,
	VFIO_USER_REGION_READ = 9,
	VFIO_USER_REGION_WRITE = 10,
	VFIO_USER_DMA_READ = 11,  /* server -> client */
	VFIO_USER_DMA_WRITE = 12, /* server -> client */
	VFIO_USER_DEVICE_RESET = 13,
	/* 14 is unassigned; the rest are not spoken here, only named. */
	VFIO_USER_REGION_WRITE_MULTI = 15,
	VFIO_USER_DEVICE_FEATURE = 16,
	VFIO_USER_MIG_DATA_READ = 17,
	VFIO_USER_MIG_DATA_WRITE = 18,
};

/* The protocol version spoken here; a server may answer a lower minor. */
#define VFIO_USER_MAJOR 0
#define VFIO_USER_MINOR 0

/* The capabilities' values when the VERSION message leaves them out. */
#define VFIO_USER_DEFAULT_MAX_MSG_FDS 1u
#define VFIO_USER_DEFAULT_MAX_DATA_XFER (1024u * 1024u)
#define VFIO_USER_DEFAULT_PGSIZES 4096u
#define VFIO_USER_DEFAULT_MAX_DMA_MAPS 65535u

#define VFIO_USER_F_TYPE_MASK 0xfu
#define VFIO_USER_F_TYPE_COMMAND 0x0u
#define VFIO_USER_F_TYPE_REPLY 0x1u
#define VFIO_USER_F_NO_REPLY 0x10u
#define VFIO_USER_F_ERROR 0x20u

struct vfio_user_header {
	uint16_t msg_id;
	uint16_t command;
	uint32_t size; /* header included */
	uint32_t flags;
	uint32_t error; /* an errno in a reply with VFIO_USER_F_ERROR */
} __attribute__((packed));

#define VFIO_USER_HEADER_SIZE ((uint32_t)sizeof(struct vfio_user_header))

/* VERSION, both ways: followed by NUL-terminated JSON {"capabilities": {...}}. */
struct vfio_user_version {
	uint16_t major;
	uint16_t minor;
} __attribute__((packed));

#define VFIO_USER_DMA_READABLE 0x1u
#define VFIO_USER_DMA_WRITEABLE 0x2u

/* DMA_MAP request (the reply has no payload); the fd, if any, rides along. */
struct vfio_user_dma_map {
	uint32_t argsz;
	uint32_t flags;
	uint64_t offset;  /* into the fd */
	uint64_t address; /* iova: the guest physical address */
	uint64_t size;
} __attribute__((packed));

/* DMA_UNMAP request and its reply, which echoes it. */
struct vfio_user_dma_unmap {
	uint32_t argsz;
	uint32_t flags;
	uint64_t address;
	uint64_t size;
} __attribute__((packed));

/* DEVICE_GET_INFO request and reply (vfio_device_info without cap_offset). */
struct vfio_user_device_info {
	uint32_t argsz;
	uint32_t flags;
	uint32_t num_regions;
	uint32_t num_irqs;
} __attribute__((packed));

/* DEVICE_GET_REGION_INFO request and reply (struct vfio_region_info), capabilities after. */
struct vfio_user_region_info {
	uint32_t argsz;
	uint32_t flags;
	uint32_t index;
	uint32_t cap_offset;
	uint64_t size;
	uint64_t offset;
} __attribute__((packed));

/* DEVICE_GET_REGION_IO_FDS request and reply; the reply's sub-regions follow. */
struct vfio_user_region_io_fds {
	uint32_t argsz;
	uint32_t flags;
	uint32_t index;
	uint32_t count;
} __attribute__((packed));

/* DEVICE_GET_IRQ_INFO request and reply (struct vfio_irq_info). */
struct vfio_user_irq_info {
	uint32_t argsz;
	uint32_t flags;
	uint32_t index;
	uint32_t count;
} __attribute__((packed));

/* DEVICE_SET_IRQS request (struct vfio_irq_set): DATA_BOOL's bytes follow, eventfds ride along. */
struct vfio_user_irq_set {
	uint32_t argsz;
	uint32_t flags;
	uint32_t index;
	uint32_t start;
	uint32_t count;
} __attribute__((packed));

/* REGION_READ/WRITE, both ways: data follows in the write request and the read reply. */
struct vfio_user_region_access {
	uint64_t offset;
	uint32_t region;
	uint32_t count;
} __attribute__((packed));

/* DMA_READ/WRITE, both ways: data follows in the write request and the read reply. */
struct vfio_user_dma_access {
	uint64_t address;
	uint64_t count;
} __attribute__((packed));

/* ---- Framing ----------------------------------------------------------------------- */

/* The most fds one message may carry through this layer, either way. */
#define VFIO_USER_MAX_FDS 16u

/* One received message: payload and fds are the receiver's, freed by vfio_user_msg_release(). */
struct vfio_user_msg {
	struct vfio_user_header hdr;
	uint8_t *payload; /* len bytes and a NUL after them */
	uint32_t len;
	int fds[VFIO_USER_MAX_FDS];
	unsigned int nr_fds;
	uint64_t received; /* bytes read of it: after a failure, how far it got */
};

/* How long a send or receive may wait, and whether a signal may cut it short. */
struct vfio_user_wait {
	int64_t deadline_ms; /* on vfio_user_clock_ms(); 0: no limit */
	/* NULL, or a flag that a signal handler sets: a wait it interrupts ends with -EINTR. */
	const volatile sig_atomic_t *stop;
};

/* The monotonic clock deadlines are measured on, in milliseconds. */
int64_t vfio_user_clock_ms(void);
/* The command's name ("DMA_MAP"), or "an unknown command"; never NULL. */
const char *vfio_user_command_name(unsigned int command);

/*
 * Send one message: hdr, then hdr->size - VFIO_USER_HEADER_SIZE bytes of
 * payload, with nr_fds (up to VFIO_USER_MAX_FDS) fds attached; wait NULL waits
 * for ever.  0 once all of it is sent, -EINVAL (size below the header, too
 * many fds), -ECONNRESET (the peer closed), -ETIMEDOUT, -EINTR, or -errno.
 */
int vfio_user_send(int sock, const struct vfio_user_header *hdr, const void *payload,
		   const int *fds, unsigned int nr_fds, const struct vfio_user_wait *wait);
/*
 * Receive one whole message of at most max_size bytes with at most max_fds
 * (up to VFIO_USER_MAX_FDS) fds into *m.  0, or: -ECONNRESET (the peer closed
 * before it was whole; m->received says how far it got), -EBADMSG (its size is
 * below the header) or -EMSGSIZE (above max_size), after which the stream
 * cannot be framed any more, -ETOOMANYREFS (more fds, or the kernel cut them
 * short: the message was read whole, the stream stays framed), -ENOMEM,
 * -ETIMEDOUT, -EINTR, -EINVAL, or -errno.  On failure m->hdr holds what came of
 * the header and nothing is left to release: every fd received is closed.
 */
int vfio_user_recv(int sock, struct vfio_user_msg *m, uint32_t max_size, unsigned int max_fds,
		   const struct vfio_user_wait *wait);
/* Free a received message's payload and close the fds still in m->fds (those >= 0). */
void vfio_user_msg_release(struct vfio_user_msg *m);

#endif

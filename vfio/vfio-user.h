/* The vfio-user back end: a PCI device emulated by a server process, reached over a UNIX socket. */
#ifndef KDOM_VFIO_USER_H
#define KDOM_VFIO_USER_H

#include <stddef.h>
#include <stdint.h>

#include "vfio/backend.h"

/*
 * Wire format, from the vfio-user specification (QEMU docs/interop/vfio-user.rst,
 * the protocol of libvfio-user and SPDK): every message is a 16-byte header and
 * a payload, in host byte order.  Shared with the unit tests' fake server.
 */
enum vfio_user_command {
	VFIO_USER_VERSION = 1,
	VFIO_USER_DMA_MAP = 2,
	VFIO_USER_DMA_UNMAP = 3,
	VFIO_USER_DEVICE_GET_INFO = 4,
	VFIO_USER_DEVICE_GET_REGION_INFO = 5,
	/* 6 is DEVICE_GET_REGION_IO_FDS, which kdom does not use. */
	VFIO_USER_DEVICE_GET_IRQ_INFO = 7,
	VFIO_USER_DEVICE_SET_IRQS = 8,
	VFIO_USER_REGION_READ = 9,
	VFIO_USER_REGION_WRITE = 10,
	VFIO_USER_DMA_READ = 11,  /* server -> client */
	VFIO_USER_DMA_WRITE = 12, /* server -> client */
	VFIO_USER_DEVICE_RESET = 13,
};

/* The protocol version kdom proposes; the server may answer a lower minor. */
#define VFIO_USER_MAJOR 0
#define VFIO_USER_MINOR 0

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

/* DEVICE_GET_IRQ_INFO request and reply (struct vfio_irq_info). */
struct vfio_user_irq_info {
	uint32_t argsz;
	uint32_t flags;
	uint32_t index;
	uint32_t count;
} __attribute__((packed));

/* DEVICE_SET_IRQS request (struct vfio_irq_set); eventfds ride along, no reply payload. */
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

/* What kdom advertises: the most data in one transfer, and fds in one message. */
#define VFIO_USER_MAX_DATA_XFER (1024u * 1024u)
#define VFIO_USER_MAX_RECV_FDS 1
/* The longest message kdom accepts: a DMA_WRITE of VFIO_USER_MAX_DATA_XFER bytes. */
#define VFIO_USER_MAX_MSG                                                        \
	(sizeof(struct vfio_user_header) + sizeof(struct vfio_user_dma_access) + \
	 VFIO_USER_MAX_DATA_XFER)

/* Per-request timeout unless vfio_user_open_socket() is given another. */
#define VFIO_USER_TIMEOUT_MS 5000

/*
 * Connect to the vfio-user server listening on socket_path and negotiate the
 * protocol version: 0 and *out, or -errno with a message in err
 * (-EPROTONOSUPPORT: a version or capabilities kdom cannot speak).
 */
int vfio_user_open(const char *socket_path, struct pt_backend **out, char *err, size_t errlen);
/*
 * The same over a connected stream socket, which is the back end's from then
 * on (closed on failure too); name is for messages, timeout_ms bounds each
 * request (0: VFIO_USER_TIMEOUT_MS).
 */
int vfio_user_open_socket(int sock, const char *name, unsigned int timeout_ms,
			  struct pt_backend **out, char *err, size_t errlen);
/*
 * The socket to poll (POLLIN) for DMA requests the server sends while no
 * request of ours is in flight; call vfio_user_serve() when it is readable.
 * -1 for a back end that is not vfio-user: it has nothing to serve.
 */
int vfio_user_poll_fd(struct pt_backend *b);
/* Serve the server's requests already waiting on the socket: 0, or -errno when the device ended. */
int vfio_user_serve(struct pt_backend *b);

#endif

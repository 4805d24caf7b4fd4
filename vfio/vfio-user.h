/* The vfio-user back end: a PCI device emulated by a server process, reached over a UNIX socket. */
#ifndef KDOM_VFIO_USER_H
#define KDOM_VFIO_USER_H

#include <stddef.h>
#include <stdint.h>

#include "vfio/backend.h"
#include "vfio/vfio-user-wire.h"

/* What kdom advertises: the most data in one transfer, and fds in one message. */
#define VFIO_USER_MAX_DATA_XFER VFIO_USER_DEFAULT_MAX_DATA_XFER
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

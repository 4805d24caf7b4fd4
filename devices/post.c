/* Port 0x80: POST codes and Linux's I/O delay writes; nothing to do but absorb them. */
#include "devices/post.h"
#include "kdom/abi.h"
#include "vmm/vm.h"

static void post_port_io(void *opaque, struct bus_access *access)
{
	struct post_port *post = opaque;

	if (access->write)
		post->last_code = access->data[0];
	else
		access->data[0] = post->last_code;
}

int post_port_create(struct post_port *post, struct vm *vm)
{
	post->last_code = 0;
	return bus_register(&vm->pio, KDOM_PORT_POST, 1, post_port_io, post, "post");
}

/* Port 0x80: POST codes and I/O delay. */
#ifndef KDOM_DEVICES_POST_H
#define KDOM_DEVICES_POST_H

#include <stdint.h>

struct vm;

/* Port 0x80 (POST codes, I/O delay): writes ignored. */
struct post_port {
	uint8_t last_code;
};
int post_port_create(struct post_port *post, struct vm *vm);

#endif

/* i8042 keyboard controller. */
#ifndef KDOM_DEVICES_I8042_H
#define KDOM_DEVICES_I8042_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct vm;

/* i8042 keyboard controller: enough for the reset command and Linux's probe. */
struct i8042 {
	struct vm *vm;
	pthread_mutex_t lock;
	uint8_t command_byte;
	uint8_t pending_command; /* command waiting for its data byte, or 0 */
	uint8_t output;		 /* output buffer */
	bool output_full;
};
int i8042_create(struct i8042 *kbc, struct vm *vm);

#endif

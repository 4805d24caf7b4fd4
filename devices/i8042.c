/* i8042 keyboard controller: the reset command, and enough of the rest for Linux's probe. */
#include <string.h>

#include "devices/i8042.h"
#include "kdom/abi.h"
#include "vmm/vm.h"

#define I8042_STATUS_OBF 0x01 /* output buffer full */
#define I8042_STATUS_SYS 0x04 /* system flag: self-test passed */
#define I8042_STATUS_CMD 0x08 /* last write was a command */

#define I8042_CMD_READ_CTR 0x20
#define I8042_CMD_WRITE_CTR 0x60
#define I8042_CMD_SELF_TEST 0xaa
#define I8042_CMD_KBD_TEST 0xab
#define I8042_CMD_WRITE_OUTPUT 0xd1
#define I8042_OUTPUT_RESET_LOW 0x01 /* bit 0 of the output port holds the CPU in reset */

static void i8042_reset_system(struct i8042 *kbc, const char *how)
{
	vm_stop(kbc->vm, VM_STOP_REBOOT, 0, "guest requested reboot (%s)", how);
}

static void i8042_command(struct i8042 *kbc, uint8_t command)
{
	switch (command) {
	case I8042_CMD_READ_CTR:
		kbc->output = kbc->command_byte;
		kbc->output_full = true;
		break;
	case I8042_CMD_WRITE_CTR:
	case I8042_CMD_WRITE_OUTPUT:
		kbc->pending_command = command;
		break;
	case I8042_CMD_SELF_TEST:
		kbc->output = 0x55;
		kbc->output_full = true;
		break;
	case I8042_CMD_KBD_TEST:
		kbc->output = 0x00;
		kbc->output_full = true;
		break;
	case KDOM_I8042_CMD_RESET:
		i8042_reset_system(kbc, "i8042 reset command");
		break;
	default:
		/* Interface enable/disable and the rest have no visible effect here. */
		break;
	}
}

static void i8042_data(struct i8042 *kbc, uint8_t value)
{
	uint8_t command = kbc->pending_command;

	kbc->pending_command = 0;
	switch (command) {
	case I8042_CMD_WRITE_CTR:
		kbc->command_byte = value;
		break;
	case I8042_CMD_WRITE_OUTPUT:
		if (!(value & I8042_OUTPUT_RESET_LOW))
			i8042_reset_system(kbc, "i8042 output port");
		break;
	default:
		/* A byte for the (absent) keyboard: nothing answers. */
		break;
	}
}

static void i8042_io(void *opaque, struct bus_access *access)
{
	struct i8042 *kbc = opaque;
	bool is_command_port = access->addr == KDOM_PORT_I8042_CMD;

	if (access->len != 1)
		return;
	pthread_mutex_lock(&kbc->lock);
	if (access->write) {
		if (is_command_port)
			i8042_command(kbc, access->data[0]);
		else
			i8042_data(kbc, access->data[0]);
	} else if (is_command_port) {
		access->data[0] = I8042_STATUS_SYS | (kbc->output_full ? I8042_STATUS_OBF : 0) |
				  (kbc->pending_command ? I8042_STATUS_CMD : 0);
	} else {
		access->data[0] = kbc->output;
		kbc->output_full = false;
	}
	pthread_mutex_unlock(&kbc->lock);
}

int i8042_create(struct i8042 *kbc, struct vm *vm)
{
	int ret;

	memset(kbc, 0, sizeof(*kbc));
	kbc->vm = vm;
	kbc->command_byte = 0x45; /* keyboard interrupt on, translation on, system flag */
	pthread_mutex_init(&kbc->lock, NULL);
	ret = bus_register(&vm->pio, KDOM_PORT_I8042_DATA, 1, i8042_io, kbc, "i8042");
	if (ret)
		return ret;
	return bus_register(&vm->pio, KDOM_PORT_I8042_CMD, 1, i8042_io, kbc, "i8042");
}

/* The legacy platform devices every domain has, each in its own file. */
#ifndef KDOM_DEVICES_H
#define KDOM_DEVICES_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vm;
struct kdom_hypercall;
struct console;

#define UART_RX_SIZE 256

/* 16550A UART (COM1) state. */
struct uart {
	struct vm *vm;
	struct console *console;
	unsigned int irq;
	pthread_mutex_t lock;
	uint8_t ier, lcr, mcr, lsr_extra, scr, fcr, dll, dlm;
	bool thr_interrupt; /* THR-empty interrupt pending */
	bool irq_level;
	uint8_t rx[UART_RX_SIZE];
	size_t rx_head, rx_count;
};

/* Register COM1 at `port` raising `irq`; output goes to console.  0 or -errno. */
int uart_create(struct uart *uart, struct vm *vm, struct console *console, uint16_t port,
		unsigned int irq);
/* Feed bytes typed on the console; returns how many fit in the receive FIFO. */
size_t uart_receive(struct uart *uart, const uint8_t *bytes, size_t len);
void uart_destroy(struct uart *uart);

struct event_loop;
/* Feed what arrives on fd (the console's input; -1: none) to the UART's receiver. */
int uart_watch_input(struct uart *uart, struct event_loop *loop, int fd);

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

/* pvpanic ISA device: the guest reports a panic. */
struct pvpanic {
	struct vm *vm;
};
int pvpanic_create(struct pvpanic *pp, struct vm *vm);

/* Port 0x80 (POST codes, I/O delay): writes ignored. */
struct post_port {
	uint8_t last_code;
};
int post_port_create(struct post_port *post, struct vm *vm);

/* The kdom hypercall port (DESIGN.md): one exit serves one request block. */
struct hypercall_port {
	struct vm *vm;
	unsigned int complaints;       /* warnings logged about bad requests */
	unsigned int shutdown_request; /* the toolstack's request: SHUTDOWN_* + 1, 0 none */
	/* Domain management ops go here when a toolstack runs the domain; else NULL. */
	int64_t (*manage)(void *opaque, struct kdom_hypercall *req);
	void *manage_opaque;
};
int hypercall_port_create(struct hypercall_port *hp, struct vm *vm);

#endif

/* 16550A UART: COM1, the console's guest side. */
#ifndef KDOM_DEVICES_UART_H
#define KDOM_DEVICES_UART_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vm;
struct console;
struct event_loop;

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

/* Feed what arrives on fd (the console's input; -1: none) to the UART's receiver. */
int uart_watch_input(struct uart *uart, struct event_loop *loop, int fd);

#endif

/* 16550A UART: the domain's console on COM1. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "devices/uart.h"
#include "vmm/console.h"
#include "vmm/event-loop.h"
#include "vmm/vm.h"

enum {
	UART_RBR_THR_DLL = 0,
	UART_IER_DLM = 1,
	UART_IIR_FCR = 2,
	UART_LCR = 3,
	UART_MCR = 4,
	UART_LSR = 5,
	UART_MSR = 6,
	UART_SCR = 7,
};

#define UART_IER_RDI 0x01  /* receive data interrupt */
#define UART_IER_THRI 0x02 /* transmit holding register empty interrupt */
#define UART_IIR_NONE 0x01
#define UART_IIR_THRI 0x02
#define UART_IIR_RDI 0x04
#define UART_IIR_FIFO 0xc0
#define UART_FCR_ENABLE 0x01
#define UART_FCR_CLEAR_RX 0x02
#define UART_LCR_DLAB 0x80
#define UART_MCR_DTR 0x01
#define UART_MCR_RTS 0x02
#define UART_MCR_OUT1 0x04
#define UART_MCR_OUT2 0x08 /* gates the interrupt line on PCs */
#define UART_MCR_LOOP 0x10
#define UART_LSR_DR 0x01
#define UART_LSR_OE 0x02
#define UART_LSR_THRE 0x20
#define UART_LSR_TEMT 0x40
#define UART_MSR_CTS 0x10
#define UART_MSR_DSR 0x20
#define UART_MSR_RI 0x40
#define UART_MSR_DCD 0x80

static uint8_t uart_iir(const struct uart *uart)
{
	uint8_t fifo = (uart->fcr & UART_FCR_ENABLE) ? UART_IIR_FIFO : 0;

	if ((uart->ier & UART_IER_RDI) && uart->rx_count)
		return fifo | UART_IIR_RDI;
	if ((uart->ier & UART_IER_THRI) && uart->thr_interrupt)
		return fifo | UART_IIR_THRI;
	return fifo | UART_IIR_NONE;
}

/* Called with the lock held after every state change. */
static void uart_update_irq(struct uart *uart)
{
	bool level = !(uart_iir(uart) & UART_IIR_NONE) && (uart->mcr & UART_MCR_OUT2);

	if (level != uart->irq_level) {
		uart->irq_level = level;
		if (uart->vm)
			vm_irq_line(uart->vm, uart->irq, level);
	}
}

static void uart_rx_push(struct uart *uart, uint8_t byte)
{
	if (uart->rx_count == UART_RX_SIZE) {
		uart->lsr_extra |= UART_LSR_OE;
		return;
	}
	uart->rx[(uart->rx_head + uart->rx_count) % UART_RX_SIZE] = byte;
	uart->rx_count++;
}

static uint8_t uart_rx_pop(struct uart *uart)
{
	uint8_t byte;

	if (!uart->rx_count)
		return 0;
	byte = uart->rx[uart->rx_head];
	uart->rx_head = (uart->rx_head + 1) % UART_RX_SIZE;
	uart->rx_count--;
	return byte;
}

static void uart_write(struct uart *uart, unsigned int reg, uint8_t value)
{
	bool dlab = uart->lcr & UART_LCR_DLAB;

	switch (reg) {
	case UART_RBR_THR_DLL:
		if (dlab) {
			uart->dll = value;
		} else if (uart->mcr & UART_MCR_LOOP) {
			uart_rx_push(uart, value);
			uart->thr_interrupt = true;
		} else {
			console_put(uart->console, value);
			uart->thr_interrupt = true;
		}
		break;
	case UART_IER_DLM:
		if (dlab) {
			uart->dlm = value;
		} else {
			/* Enabling THRI on an empty THR raises the interrupt at once. */
			if (!(uart->ier & UART_IER_THRI) && (value & UART_IER_THRI))
				uart->thr_interrupt = true;
			uart->ier = value & 0x0f;
		}
		break;
	case UART_IIR_FCR:
		if (value & UART_FCR_CLEAR_RX)
			uart->rx_head = uart->rx_count = 0;
		uart->fcr = value & (UART_FCR_ENABLE | 0xc0);
		break;
	case UART_LCR:
		uart->lcr = value;
		break;
	case UART_MCR:
		uart->mcr = value & 0x1f;
		break;
	case UART_SCR:
		uart->scr = value;
		break;
	default: /* LSR and MSR are read-only */
		break;
	}
}

static uint8_t uart_read(struct uart *uart, unsigned int reg)
{
	bool dlab = uart->lcr & UART_LCR_DLAB;
	uint8_t value;

	switch (reg) {
	case UART_RBR_THR_DLL:
		if (dlab)
			return uart->dll;
		return uart_rx_pop(uart);
	case UART_IER_DLM:
		return dlab ? uart->dlm : uart->ier;
	case UART_IIR_FCR:
		value = uart_iir(uart);
		/* Reading IIR while it reports THR empty acknowledges that interrupt. */
		if ((value & 0x0f) == UART_IIR_THRI)
			uart->thr_interrupt = false;
		return value;
	case UART_LCR:
		return uart->lcr;
	case UART_MCR:
		return uart->mcr;
	case UART_LSR:
		value = UART_LSR_THRE | UART_LSR_TEMT | uart->lsr_extra;
		if (uart->rx_count)
			value |= UART_LSR_DR;
		uart->lsr_extra = 0;
		return value;
	case UART_MSR:
		if (uart->mcr & UART_MCR_LOOP) {
			value = 0;
			if (uart->mcr & UART_MCR_RTS)
				value |= UART_MSR_CTS;
			if (uart->mcr & UART_MCR_DTR)
				value |= UART_MSR_DSR;
			if (uart->mcr & UART_MCR_OUT1)
				value |= UART_MSR_RI;
			if (uart->mcr & UART_MCR_OUT2)
				value |= UART_MSR_DCD;
			return value;
		}
		return UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS;
	default:
		return uart->scr;
	}
}

static void uart_io(void *opaque, struct bus_access *access)
{
	struct uart *uart = opaque;

	/* Wider accesses are split into byte accesses, as on real ISA. */
	pthread_mutex_lock(&uart->lock);
	for (uint32_t i = 0; i < access->len && access->offset + i < 8; i++) {
		unsigned int reg = access->offset + i;

		if (access->write)
			uart_write(uart, reg, access->data[i]);
		else
			access->data[i] = uart_read(uart, reg);
	}
	uart_update_irq(uart);
	pthread_mutex_unlock(&uart->lock);
}

size_t uart_receive(struct uart *uart, const uint8_t *bytes, size_t len)
{
	size_t taken;

	pthread_mutex_lock(&uart->lock);
	for (taken = 0; taken < len && uart->rx_count < UART_RX_SIZE; taken++)
		uart_rx_push(uart, bytes[taken]);
	uart_update_irq(uart);
	pthread_mutex_unlock(&uart->lock);
	return taken;
}

int uart_create(struct uart *uart, struct vm *vm, struct console *console, uint16_t port,
		unsigned int irq)
{
	memset(uart, 0, sizeof(*uart));
	uart->vm = vm;
	uart->console = console;
	uart->irq = irq;
	pthread_mutex_init(&uart->lock, NULL);
	return bus_register(&vm->pio, port, 8, uart_io, uart, "uart");
}

void uart_destroy(struct uart *uart)
{
	pthread_mutex_destroy(&uart->lock);
}

static int uart_on_input(struct event_loop *loop, int fd, int res, void *opaque)
{
	uint8_t buf[UART_RX_SIZE];
	ssize_t n = res < 0 ? -1 : read(fd, buf, sizeof(buf));

	if (n <= 0)
		return 1; /* EOF or an error: the console simply has no more input */
	uart_receive(opaque, buf, n);
	return 0;
}

int uart_watch_input(struct uart *uart, struct event_loop *loop, int fd)
{
	int id;

	if (fd < 0)
		return 0;
	id = event_loop_add(loop, fd, "console input", uart_on_input, uart);
	return id < 0 ? id : 0;
}

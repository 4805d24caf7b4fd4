/* The guest console: COM1 (or a guest's own writer) under a cross-CPU lock, and a small printf. */
#include "lib.h"

#define UART_THR 0
#define UART_LSR 5
#define UART_LSR_THRE 0x20
#define UART_POLL_LIMIT 100000 /* a missing or stuck UART must not hang the guest */
#define PRINTF_BUF 256
#define PANIC_LOCK_MS 100

static uint32_t console_locked;
static volatile int console_owner = -1; /* CPU index holding the lock */
static bool console_mid_line;		/* the last byte written was not a newline */

void console_lock(void)
{
	while (__atomic_exchange_n(&console_locked, 1, __ATOMIC_ACQUIRE))
		cpu_relax();
	console_owner = smp_processor_id();
}

void console_unlock(void)
{
	console_owner = -1;
	__atomic_store_n(&console_locked, 0, __ATOMIC_RELEASE);
}

/*
 * For the exception path: an exception in the middle of this CPU's own
 * printf must still get its report out, and another CPU stuck holding
 * the lock must not keep it from the console for ever.  Returns whether
 * the lock was taken (and so must be released).
 */
bool console_lock_panic(void)
{
	uint64_t deadline;

	if (console_owner == (int)smp_processor_id())
		return false;
	deadline = tsc_deadline_ms(PANIC_LOCK_MS);
	while (__atomic_exchange_n(&console_locked, 1, __ATOMIC_ACQUIRE)) {
		if (tsc_expired(deadline))
			return false;
		cpu_relax();
	}
	console_owner = smp_processor_id();
	return true;
}

static void uart_putc(char c)
{
	for (unsigned int i = 0; i < UART_POLL_LIMIT; i++)
		if (inb(KDOM_PORT_COM1 + UART_LSR) & UART_LSR_THRE)
			break;
	outb(KDOM_PORT_COM1 + UART_THR, c);
}

static void uart_write(const char *s, size_t len)
{
	while (len--)
		uart_putc(*s++);
}

static void (*console_writer)(const char *s, size_t len) = uart_write;

void console_set_writer(void (*write)(const char *s, size_t len))
{
	console_writer = write;
}

void console_write_locked(const char *s, size_t len)
{
	if (!len)
		return;
	console_mid_line = s[len - 1] != '\n';
	console_writer(s, len);
}

void console_end_line_locked(void)
{
	if (console_mid_line)
		console_write_locked("\n", 1);
}

void console_write(const char *s, size_t len)
{
	console_lock();
	console_write_locked(s, len);
	console_unlock();
}

/* ---- vsnprintf ------------------------------------------------------------- */

struct out {
	char *buf;
	size_t size; /* including room for the NUL */
	size_t len;  /* what the output would have been */
};

static void out_char(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void out_pad(struct out *o, char c, int n)
{
	while (n-- > 0)
		out_char(o, c);
}

#define F_LEFT (1u << 0)
#define F_ZERO (1u << 1)
#define F_ALT (1u << 2)

static void out_string(struct out *o, const char *s, int width, int precision, unsigned int flags)
{
	int len = 0;

	if (!s)
		s = "(null)";
	while (s[len] && (precision < 0 || len < precision))
		len++;
	if (!(flags & F_LEFT))
		out_pad(o, ' ', width - len);
	for (int i = 0; i < len; i++)
		out_char(o, s[i]);
	if (flags & F_LEFT)
		out_pad(o, ' ', width - len);
}

/* Right-aligned in width, padded with zeroes after the sign or 0x if F_ZERO. */
static void out_number(struct out *o, uint64_t val, bool negative, unsigned int base, bool upper,
		       int width, unsigned int flags)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	int n = 0, prefix_len;
	const char *prefix = negative ? "-" : "";

	if (flags & F_ALT && base == 16)
		prefix = upper ? "0X" : "0x";
	prefix_len = strlen(prefix);
	do {
		tmp[n++] = digits[val % base];
		val /= base;
	} while (val);

	if (flags & F_ZERO) {
		out_string(o, prefix, 0, -1, 0);
		out_pad(o, '0', width - prefix_len - n);
	} else {
		out_pad(o, ' ', width - prefix_len - n);
		out_string(o, prefix, 0, -1, 0);
	}
	while (n)
		out_char(o, tmp[--n]);
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = { .buf = buf, .size = size };

	for (; *fmt; fmt++) {
		unsigned int flags = 0, longs = 0, base = 10;
		int width = 0, precision = -1;
		bool is_signed = false, upper = false;
		uint64_t val;

		if (*fmt != '%') {
			out_char(&o, *fmt);
			continue;
		}
		for (;; fmt++) {
			if (fmt[1] == '-')
				flags |= F_LEFT;
			else if (fmt[1] == '0')
				flags |= F_ZERO;
			else if (fmt[1] == '#')
				flags |= F_ALT;
			else
				break;
		}
		fmt++;
		if (*fmt == '*') {
			width = va_arg(ap, int);
			if (width < 0) {
				flags |= F_LEFT;
				width = -width;
			}
			fmt++;
		}
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		if (*fmt == '.') {
			precision = 0;
			while (*++fmt >= '0' && *fmt <= '9')
				precision = precision * 10 + (*fmt - '0');
		}
		for (; *fmt == 'l' || *fmt == 'z'; fmt++)
			longs += *fmt == 'z' ? 2 : 1;

		switch (*fmt) {
		case 'd':
		case 'i':
			is_signed = true;
			break;
		case 'u':
			break;
		case 'X':
			upper = true;
			/* fall through */
		case 'x':
			base = 16;
			break;
		case 'p':
			base = 16;
			flags |= F_ALT;
			longs = 1;
			break;
		case 'c':
			out_pad(&o, ' ', flags & F_LEFT ? 0 : width - 1);
			out_char(&o, (char)va_arg(ap, int));
			out_pad(&o, ' ', flags & F_LEFT ? width - 1 : 0);
			continue;
		case 's':
			out_string(&o, va_arg(ap, const char *), width, precision, flags);
			continue;
		case '%':
			out_char(&o, '%');
			continue;
		case '\0':
			fmt--; /* a lone '%' at the end: stop at the NUL */
			continue;
		default: /* unknown: print it as it was written */
			out_char(&o, '%');
			out_char(&o, *fmt);
			continue;
		}

		if (*fmt == 'p')
			val = (uint64_t)va_arg(ap, void *);
		else if (longs)
			val = is_signed ? (uint64_t)va_arg(ap, long) : va_arg(ap, unsigned long);
		else
			val = is_signed ? (uint64_t)(int64_t)va_arg(ap, int)
					: va_arg(ap, unsigned int);

		bool negative = is_signed && (int64_t)val < 0;
		if (negative)
			val = -val;
		if (flags & F_LEFT) {
			size_t start = o.len;

			out_number(&o, val, negative, base, upper, 0, flags & ~F_LEFT);
			out_pad(&o, ' ', width - (int)(o.len - start));
		} else {
			out_number(&o, val, negative, base, upper, width, flags);
		}
	}
	if (size)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return o.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

int vprintf(const char *fmt, va_list ap)
{
	char buf[PRINTF_BUF];
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);

	console_write(buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
	return n;
}

int printf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vprintf(fmt, ap);
	va_end(ap);
	return n;
}

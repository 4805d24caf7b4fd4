/* The domain's console: where UART output goes and where its input comes from. */
#ifndef KDOM_CONSOLE_H
#define KDOM_CONSOLE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONSOLE_LINE_MAX 256

struct console {
	int out_fd;    /* guest output; -1 drops it */
	int in_fd;     /* host input for the guest; -1 when there is none */
	int client_fd; /* an attached console client (kdom console), or -1 */
	bool owns_out;
	pthread_mutex_t lock;
	char line[CONSOLE_LINE_MAX];
	size_t len;
};

/*
 * Open the console named by `spec`: "stdio" (default when NULL) or
 * "file:PATH" (output to PATH, truncated; no input) or "append:PATH" (the
 * same, appended: a restarted domain's log goes on).  0 or -errno with err.
 */
int console_open(struct console *console, const char *spec, char *err, size_t errlen);

/* One byte of guest output; written out at each newline or full line buffer. */
void console_put(struct console *console, uint8_t byte);

/* Write out what is buffered. */
void console_flush(struct console *console);

/* Send output to client_fd too, until it fails or is detached; replaces any client. */
void console_attach(struct console *console, int client_fd);
/* Forget the client (the caller closes it) if it is still client_fd. */
void console_detach(struct console *console, int client_fd);

void console_close(struct console *console);

#endif

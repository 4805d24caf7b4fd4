/* Console output buffering and the stdio/file back ends. */
#include "vmm/console.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int console_open(struct console *console, const char *spec, char *err, size_t errlen)
{
	memset(console, 0, sizeof(*console));
	pthread_mutex_init(&console->lock, NULL);
	console->out_fd = STDOUT_FILENO;
	console->in_fd = STDIN_FILENO;
	if (!spec || !strcmp(spec, "stdio"))
		return 0;
	if (!strncmp(spec, "file:", 5) && spec[5]) {
		int fd = open(spec + 5, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

		if (fd < 0) {
			int saved = errno;

			snprintf(err, errlen, "cannot open console file %s: %s", spec + 5,
				 strerror(saved));
			pthread_mutex_destroy(&console->lock);
			return -saved;
		}
		console->out_fd = fd;
		console->owns_out = true;
		console->in_fd = -1;
		return 0;
	}
	snprintf(err, errlen, "unknown console '%s' (use stdio or file:PATH)", spec);
	pthread_mutex_destroy(&console->lock);
	return -EINVAL;
}

/* Called with the lock held. */
static void console_write_out(struct console *console)
{
	size_t done = 0;

	while (done < console->len && console->out_fd >= 0) {
		ssize_t n = write(console->out_fd, console->line + done, console->len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break; /* a closed pipe or full disk: guest output is dropped */
		done += n;
	}
	console->len = 0;
}

void console_put(struct console *console, uint8_t byte)
{
	pthread_mutex_lock(&console->lock);
	console->line[console->len++] = byte;
	if (byte == '\n' || console->len == CONSOLE_LINE_MAX)
		console_write_out(console);
	pthread_mutex_unlock(&console->lock);
}

void console_flush(struct console *console)
{
	pthread_mutex_lock(&console->lock);
	console_write_out(console);
	pthread_mutex_unlock(&console->lock);
}

void console_close(struct console *console)
{
	console_flush(console);
	if (console->owns_out)
		close(console->out_fd);
	pthread_mutex_destroy(&console->lock);
	console->out_fd = -1;
}

/* Console output buffering and the stdio/file back ends. */
#include "vmm/console.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int console_open(struct console *console, const char *spec, char *err, size_t errlen)
{
	memset(console, 0, sizeof(*console));
	pthread_mutex_init(&console->lock, NULL);
	console->out_fd = STDOUT_FILENO;
	console->in_fd = STDIN_FILENO;
	console->client_fd = -1;
	if (!spec || !strcmp(spec, "stdio"))
		return 0;
	bool append = !strncmp(spec, "append:", 7);

	if ((!strncmp(spec, "file:", 5) && spec[5]) || (append && spec[7])) {
		const char *path = spec + (append ? 7 : 5);
		int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC),
			      0600);

		if (fd < 0) {
			int saved = errno;

			snprintf(err, errlen, "cannot open console file %s: %s", path,
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

/* Write all of buf to fd; false when fd failed (a closed pipe, a full disk). */
static bool console_write_all(int fd, const char *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = send(fd, buf + done, len - done, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == ENOTSOCK)
			n = write(fd, buf + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return true; /* a client that does not keep up loses output, not the guest time */
		if (n <= 0)
			return false;
		done += n;
	}
	return true;
}

/* Called with the lock held.  Output that cannot be written is dropped. */
static void console_write_out(struct console *console)
{
	if (console->out_fd >= 0)
		console_write_all(console->out_fd, console->line, console->len);
	if (console->client_fd >= 0 &&
	    !console_write_all(console->client_fd, console->line, console->len))
		console->client_fd = -1; /* a client too slow or gone: the event loop closes it */
	console->len = 0;
}

void console_attach(struct console *console, int client_fd)
{
	pthread_mutex_lock(&console->lock);
	console->client_fd = client_fd;
	pthread_mutex_unlock(&console->lock);
}

void console_detach(struct console *console, int client_fd)
{
	pthread_mutex_lock(&console->lock);
	if (console->client_fd == client_fd)
		console->client_fd = -1;
	pthread_mutex_unlock(&console->lock);
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

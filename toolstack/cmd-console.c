/* `kdom console`: attach the terminal to a domain's console through kdomd's console socket. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "control/client.h"
#include "toolstack/cli.h"
#include "toolstack/commands.h"

#define CONSOLE_ESCAPE 0x1d /* ^] */

/* The signal that ended the session; set by the handler, read after ppoll(). */
static volatile sig_atomic_t console_signal;

static const int console_signals[] = { SIGINT, SIGTERM, SIGHUP };
#define CONSOLE_NR_SIGNALS (sizeof(console_signals) / sizeof(console_signals[0]))

/* What a session changes in the process, to put back on every way out. */
struct console_session {
	int sock;
	bool raw;	      /* stdin is a terminal put in raw mode */
	struct termios saved; /* its settings before */
	sigset_t saved_mask;  /* the signal mask before; ppoll() waits with it */
	struct sigaction saved_actions[CONSOLE_NR_SIGNALS];
	struct sigaction saved_pipe;
};

void cmd_console_usage(void)
{
	printf("Usage: kdom console [--socket PATH] DOM\n"
	       "\n"
	       "Attach to the console of domain DOM (a name or domid): what is typed goes\n"
	       "to the domain, what it writes comes to standard output.  On a terminal,\n"
	       "standard input is put in raw mode and Ctrl-] (^]) ends the session.  The\n"
	       "session also ends when the domain closes its console (it shut down).\n"
	       "When standard input is not a terminal, the console is read until the\n"
	       "domain closes it, after the input has ended.\n"
	       "\n"
	       "Options:\n"
	       "      --socket PATH  kdomd's socket (default $" KDOM_SOCKET_ENV
	       ", else " KDOM_SOCKET_DEFAULT ")\n"
	       "  -h, --help         show this help\n");
}

static void console_on_signal(int sig)
{
	console_signal = sig;
}

/* Block the ending signals outside ppoll() and catch them; ignore SIGPIPE. */
static void console_signals_take(struct console_session *s)
{
	struct sigaction sa, ignore;
	sigset_t block;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = console_on_signal;
	sigemptyset(&sa.sa_mask);
	sigemptyset(&block);
	for (size_t i = 0; i < CONSOLE_NR_SIGNALS; i++)
		sigaddset(&block, console_signals[i]);
	sigprocmask(SIG_BLOCK, &block, &s->saved_mask);
	for (size_t i = 0; i < CONSOLE_NR_SIGNALS; i++)
		sigaction(console_signals[i], &sa, &s->saved_actions[i]);
	memset(&ignore, 0, sizeof(ignore));
	ignore.sa_handler = SIG_IGN;
	sigemptyset(&ignore.sa_mask);
	sigaction(SIGPIPE, &ignore, &s->saved_pipe);
}

static void console_signals_restore(struct console_session *s)
{
	sigaction(SIGPIPE, &s->saved_pipe, NULL);
	for (size_t i = 0; i < CONSOLE_NR_SIGNALS; i++)
		sigaction(console_signals[i], &s->saved_actions[i], NULL);
	sigprocmask(SIG_SETMASK, &s->saved_mask, NULL);
}

static void console_terminal_raw(struct console_session *s)
{
	struct termios raw;

	if (tcgetattr(STDIN_FILENO, &s->saved))
		return;
	raw = s->saved;
	cfmakeraw(&raw);
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw) == 0)
		s->raw = true;
}

static void console_terminal_restore(struct console_session *s)
{
	if (s->raw)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &s->saved);
	s->raw = false;
}

static int console_socket_connect(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd, ret;

	if (strlen(path) >= sizeof(addr.sun_path))
		return -ENAMETOOLONG;
	strcpy(addr.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	while (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		if (errno == EINTR)
			continue;
		ret = -errno;
		close(fd);
		return ret;
	}
	return fd;
}

/* Write all of buf to fd (a socket when sock): 0 or -errno. */
static int console_write_all(int fd, const char *buf, size_t len, bool sock)
{
	while (len) {
		ssize_t n = sock ? send(fd, buf, len, MSG_NOSIGNAL) : write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		len -= n;
	}
	return 0;
}

enum console_end {
	CONSOLE_GOING,
	CONSOLE_ESCAPED,  /* ^] typed */
	CONSOLE_CLOSED,	  /* the domain closed its console */
	CONSOLE_SIGNALED, /* SIGINT, SIGTERM or SIGHUP */
	CONSOLE_FAILED,	  /* an I/O error, already printed */
};

/* Copy bytes both ways until the session ends; why it ended. */
static enum console_end console_copy(struct console_session *s, const char *command)
{
	struct pollfd fds[2] = {
		{ .fd = s->sock, .events = POLLIN },
		{ .fd = STDIN_FILENO, .events = POLLIN },
	};
	nfds_t nfds = 2;
	char buf[4096];
	ssize_t n;
	int ret;

	for (;;) {
		if (ppoll(fds, nfds, NULL, &s->saved_mask) < 0) {
			if (errno != EINTR) {
				cli_error(command, "poll: %s", strerror(errno));
				return CONSOLE_FAILED;
			}
			if (console_signal)
				return CONSOLE_SIGNALED;
			continue;
		}
		if (fds[0].revents) {
			n = read(s->sock, buf, sizeof(buf));
			if (n < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (n == 0 || (n < 0 && errno == ECONNRESET))
				return CONSOLE_CLOSED;
			if (n < 0) {
				cli_error(command, "console socket: %s", strerror(errno));
				return CONSOLE_FAILED;
			}
			ret = console_write_all(STDOUT_FILENO, buf, n, false);
			if (ret) {
				cli_error(command, "standard output: %s", strerror(-ret));
				return CONSOLE_FAILED;
			}
		}
		if (nfds > 1 && fds[1].revents) {
			char *escape;

			if (fds[1].revents & POLLNVAL) {
				nfds = 1; /* no standard input at all */
				continue;
			}
			n = read(STDIN_FILENO, buf, sizeof(buf));
			if (n < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (n < 0 && !s->raw) {
				cli_error(command, "standard input: %s", strerror(errno));
				return CONSOLE_FAILED;
			}
			if (n <= 0) {
				/* A terminal that hangs up ends the session; a pipe only its input. */
				if (s->raw)
					return CONSOLE_SIGNALED;
				nfds = 1;
				continue;
			}
			escape = memchr(buf, CONSOLE_ESCAPE, n);
			if (escape)
				n = escape - buf;
			ret = console_write_all(s->sock, buf, n, true);
			if (ret == -EPIPE || ret == -ECONNRESET)
				return CONSOLE_CLOSED;
			if (ret) {
				cli_error(command, "console socket: %s", strerror(-ret));
				return CONSOLE_FAILED;
			}
			if (escape)
				return CONSOLE_ESCAPED;
		}
	}
}

/* The domain's name for the greeting: asked of kdomd, else dom as given. */
static char *console_domain_name(struct kdom_client *c, const char *dom)
{
	json_t *info = NULL, *args = cli_domain_args(dom);
	const char *name = NULL;
	char err[256], *copy;

	if (args && kdom_client_call(c, "info", args, &info, err, sizeof(err)) == 0)
		name = json_string_value(json_object_get(info, "name"));
	copy = strdup(name ? name : dom);
	json_decref(info);
	return copy;
}

int cli_console_attach(struct kdom_client *c, const char *command, const char *dom,
		       const char *name)
{
	struct console_session s = { .sock = -1 };
	json_t *result = NULL, *args = cli_domain_args(dom);
	const char *path;
	char *looked_up = NULL;
	enum console_end end;
	bool tty = isatty(STDIN_FILENO);
	int ret;

	if (!args) {
		cli_error(command, "'%s' is not UTF-8 text", dom);
		return CLI_EXIT_FAIL;
	}
	if (cli_call(c, command, "console", args, &result))
		return CLI_EXIT_FAIL;
	path = json_string_value(json_object_get(result, "socket"));
	if (!path) {
		cli_error(command, "kdomd's console reply names no socket");
		json_decref(result);
		return CLI_EXIT_FAIL;
	}
	s.sock = console_socket_connect(path);
	if (s.sock < 0) {
		cli_error(command, "cannot connect to the console at %s: %s", path,
			  strerror(-s.sock));
		json_decref(result);
		return CLI_EXIT_FAIL;
	}
	json_decref(result);
	if (tty && !name)
		name = looked_up = console_domain_name(c, dom);

	console_signal = 0;
	console_signals_take(&s);
	if (tty) {
		fprintf(stderr, "Connected to domain %s. Escape character is '^]'.\n",
			name ? name : dom);
		console_terminal_raw(&s);
	}
	end = console_copy(&s, command);
	console_terminal_restore(&s);
	console_signals_restore(&s);
	close(s.sock);
	free(looked_up);

	switch (end) {
	case CONSOLE_ESCAPED:
		if (tty)
			fputc('\n', stderr);
		ret = CLI_EXIT_OK;
		break;
	case CONSOLE_CLOSED:
		fprintf(stderr, "%sConnection closed by domain.\n", tty ? "\n" : "");
		ret = CLI_EXIT_OK;
		break;
	case CONSOLE_SIGNALED:
		ret = console_signal ? 128 + console_signal : CLI_EXIT_FAIL;
		break;
	default:
		ret = CLI_EXIT_FAIL;
		break;
	}
	return ret;
}

int cmd_console(int argc, char **argv)
{
	const char *socket_path;
	struct kdom_client client;
	int ret;

	ret = cli_parse_options(argc, argv, "console", cmd_console_usage, &socket_path, NULL);
	if (ret != CLI_PARSED)
		return ret;
	if (argc - optind != 1)
		return cli_usage_error("console", "one DOM (a name or domid) expected");
	if (cli_connect(&client, "console", socket_path))
		return CLI_EXIT_FAIL;
	ret = cli_console_attach(&client, "console", argv[optind], NULL);
	kdom_client_close(&client);
	return ret;
}

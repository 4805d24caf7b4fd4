/* What the kdom CLI's daemon commands share: the socket, the connection, option and error lines. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "control/client.h"
#include "toolstack/cli.h"

int cli_usage_hint(const char *command)
{
	fprintf(stderr, "Try 'kdom %s --help'.\n", command);
	return CLI_EXIT_FAIL;
}

static void cli_verror(const char *command, const char *fmt, va_list ap)
{
	fprintf(stderr, "kdom %s: ", command);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void cli_error(const char *command, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cli_verror(command, fmt, ap);
	va_end(ap);
}

int cli_usage_error(const char *command, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cli_verror(command, fmt, ap);
	va_end(ap);
	return cli_usage_hint(command);
}

int cli_option_error(const char *command, int argc, char **argv, int opt)
{
	/* getopt_long has stepped past the option it refuses. */
	const char *arg = optind > 0 && optind <= argc ? argv[optind - 1] : "?";

	if (opt == ':')
		return cli_usage_error(command, "option '%s' needs an argument", arg);
	if (optopt && strncmp(arg, "--", 2))
		return cli_usage_error(command, "unknown option '-%c'", optopt);
	return cli_usage_error(command, "unknown option '%s'", arg);
}

int cli_connect(struct kdom_client *c, const char *command, const char *socket_path)
{
	const char *path = kdom_client_socket_path(socket_path);
	char err[512] = "";
	int ret;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	ret = kdom_client_open(c, path, err, sizeof(err));
	if (ret < 0) {
		if (err[0])
			cli_error(command, "%s", err);
		else
			cli_error(command, "cannot connect to kdomd at %s: %s", path,
				  strerror(-ret));
	}
	return ret;
}

int cli_call(struct kdom_client *c, const char *command, const char *op, json_t *args,
	     json_t **result)
{
	char err[512] = "";
	int ret;

	ret = kdom_client_call(c, op, args, result, err, sizeof(err));
	if (ret < 0)
		cli_error(command, "%s", err[0] ? err : strerror(-ret));
	return ret;
}

json_t *cli_domain_args(const char *dom)
{
	return json_pack("{s:s}", "domain", dom);
}

int cli_parse_options(int argc, char **argv, const char *command, void (*usage)(void),
		      const char **socket_path, bool *as_json)
{
	enum { OPT_JSON = CLI_OPT_SOCKET + 1 };
	static const struct option long_options[] = {
		{ "socket", required_argument, NULL, CLI_OPT_SOCKET },
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, OPT_JSON },
		{ NULL, 0, NULL, 0 },
	};
	static const struct option no_json_options[] = {
		{ "socket", required_argument, NULL, CLI_OPT_SOCKET },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	*socket_path = NULL;
	if (as_json)
		*as_json = false;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":h", as_json ? long_options : no_json_options,
				  NULL)) != -1) {
		switch (opt) {
		case OPT_JSON:
			*as_json = true;
			break;
		case CLI_OPT_SOCKET:
			*socket_path = optarg;
			break;
		case 'h':
			usage();
			return CLI_EXIT_OK;
		default:
			return cli_option_error(command, argc, argv, opt);
		}
	}
	return CLI_PARSED;
}

int cli_domain_command(int argc, char **argv, const char *command, const char *op,
		       void (*usage)(void))
{
	const char *socket_path;
	struct kdom_client client;
	json_t *args;
	int ret;

	ret = cli_parse_options(argc, argv, command, usage, &socket_path, NULL);
	if (ret != CLI_PARSED)
		return ret;
	if (argc - optind != 1)
		return cli_usage_error(command, "one DOM (a name or domid) expected");
	args = cli_domain_args(argv[optind]);
	if (!args) {
		cli_error(command, "'%s' is not UTF-8 text", argv[optind]);
		return CLI_EXIT_FAIL;
	}
	if (cli_connect(&client, command, socket_path)) {
		json_decref(args);
		return CLI_EXIT_FAIL;
	}
	ret = cli_call(&client, command, op, args, NULL);
	kdom_client_close(&client);
	return ret ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}

/* Read all of fd, up to CLI_FILE_MAX bytes: 0 with *text and *len, or -errno (-EFBIG too big). */
static int cli_read_fd(int fd, char **text, size_t *len)
{
	size_t cap = 4096, used = 0;
	char *buf = malloc(cap + 1), *grown;
	ssize_t n;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		if (used == cap) {
			if (cap > CLI_FILE_MAX) {
				free(buf);
				return -EFBIG;
			}
			cap *= 2;
			grown = realloc(buf, cap + 1);
			if (!grown) {
				free(buf);
				return -ENOMEM;
			}
			buf = grown;
		}
		n = read(fd, buf + used, cap - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			n = -errno;
			free(buf);
			return n;
		}
		if (n == 0)
			break;
		used += n;
	}
	if (used > CLI_FILE_MAX) {
		free(buf);
		return -EFBIG;
	}
	buf[used] = '\0';
	*text = buf;
	*len = used;
	return 0;
}

int cli_read_file(const char *command, const char *path, char **text, char **abs_path)
{
	struct stat st;
	size_t len = 0;
	int fd, ret;

	*text = NULL;
	*abs_path = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		cli_error(command, "cannot read %s: %s", path, strerror(-ret));
		return ret;
	}
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		ret = -EISDIR;
		goto fail_close;
	}
	ret = cli_read_fd(fd, text, &len);
	if (ret == -EFBIG) {
		cli_error(command, "cannot read %s: larger than %d bytes", path, CLI_FILE_MAX);
		close(fd);
		return ret;
	}
	if (ret)
		goto fail_close;
	close(fd);
	if (memchr(*text, '\0', len)) {
		cli_error(command, "cannot read %s: not a text file (it holds NUL bytes)", path);
		ret = -EINVAL;
		goto fail_free;
	}
	*abs_path = realpath(path, NULL);
	if (!*abs_path) {
		ret = -errno;
		cli_error(command, "cannot resolve %s: %s", path, strerror(-ret));
		goto fail_free;
	}
	return 0;
fail_close:
	cli_error(command, "cannot read %s: %s", path, strerror(-ret));
	close(fd);
fail_free:
	free(*text);
	*text = NULL;
	return ret;
}

/* What the kdom CLI's daemon commands share: the socket, the connection, option and error lines. */
#ifndef KDOM_CLI_H
#define KDOM_CLI_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "control/client.h"

/* Exit statuses of the daemon commands, as xl's. */
#define CLI_EXIT_OK 0
#define CLI_EXIT_FAIL 1

/* The largest CONFIG or MANIFEST file the CLI reads. */
/*
 * Configs and manifests travel to kdomd inside one protocol message
 * (KDOM_MSG_MAX, 64 KiB, escapes and the envelope included): 60 KiB of
 * text always fit.  xl.cfg files are a few hundred bytes.
 */
#define CLI_FILE_MAX (60 * 1024)

/* getopt_long's value for --socket PATH in every daemon command. */
#define CLI_OPT_SOCKET 256

/* What cli_parse_options() returns when the command goes on. */
#define CLI_PARSED (-1)

/*
 * Parse the options the plain daemon commands share: --socket PATH into
 * *socket_path, --help (usage() printed), and --json into *as_json where
 * as_json is not NULL.  CLI_PARSED with the operands at argv[optind...];
 * otherwise the exit status to return (help shown or option refused).
 */
int cli_parse_options(int argc, char **argv, const char *command, void (*usage)(void),
		      const char **socket_path, bool *as_json);

/* Print "Try 'kdom COMMAND --help'." to stderr; CLI_EXIT_FAIL. */
int cli_usage_hint(const char *command);

/* Print "kdom COMMAND: MESSAGE" and the usage hint; CLI_EXIT_FAIL. */
int cli_usage_error(const char *command, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Report a getopt_long() error (opt is '?' or ':', the optstring starting
 * with ':') as one line naming the option, then the usage hint; CLI_EXIT_FAIL.
 */
int cli_option_error(const char *command, int argc, char **argv, int opt);

/* Print "kdom COMMAND: MESSAGE" to stderr. */
void cli_error(const char *command, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Connect to kdomd at socket_path (NULL: $KDOM_SOCKET, else the default).
 * 0, or -errno after printing "kdom COMMAND: why".
 */
int cli_connect(struct kdom_client *c, const char *command, const char *socket_path);

/*
 * Call op with args (stolen; NULL: none).  0 with *result (new reference;
 * result NULL drops it), or -errno after printing "kdom COMMAND: MESSAGE".
 */
int cli_call(struct kdom_client *c, const char *command, const char *op, json_t *args,
	     json_t **result);

/* {"domain": dom}; NULL only when out of memory. */
json_t *cli_domain_args(const char *dom);

/*
 * The whole of a command "kdom COMMAND [--socket PATH] DOM" that sends op
 * with {"domain": DOM} and prints nothing on success; the exit status.
 */
int cli_domain_command(int argc, char **argv, const char *command, const char *op,
		       void (*usage)(void));

/*
 * Read a text file of at most CLI_FILE_MAX bytes (no NUL bytes) into *text
 * (NUL-terminated, free()) and its absolute path into *abs_path (free()).
 * 0, or -errno after printing "kdom COMMAND: cannot read PATH: why".
 */
int cli_read_file(const char *command, const char *path, char **text, char **abs_path);

/*
 * Attach to the console of domain dom (a name or domid) through kdomd's
 * "console" op on c, copying stdin to it and it to stdout until ^] or the
 * domain closes it.  name, when known, is what "Connected to domain NAME."
 * says.  The exit status.  (cmd-console.c.)
 */
int cli_console_attach(struct kdom_client *c, const char *command, const char *dom,
		       const char *name);

#endif

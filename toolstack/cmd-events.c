/* `kdom events`: follow kdomd's domain events, one line each, until kdomd closes the stream. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/client.h"
#include "toolstack/cli.h"
#include "toolstack/commands.h"

void cmd_events_usage(void)
{
	printf("Usage: kdom events [--json] [--socket PATH]\n"
	       "\n"
	       "Print each domain event kdomd sends, one line each as it comes:\n"
	       "\n"
	       "  TIME DOMID NAME STATE [REASON] [ACTION]\n"
	       "\n"
	       "TIME is in seconds since the epoch, STATE the domain's new state, REASON\n"
	       "why it shut down and ACTION what kdomd does about it.  Ends when kdomd\n"
	       "closes the stream.\n"
	       "\n"
	       "Options:\n"
	       "      --json         print each event as its JSON object, one a line\n"
	       "      --socket PATH  kdomd's socket (default $" KDOM_SOCKET_ENV
	       ", else " KDOM_SOCKET_DEFAULT ")\n"
	       "  -h, --help         show this help\n");
}

/* A string member, or NULL when absent or null. */
static const char *events_string(const json_t *event, const char *key)
{
	return json_string_value(json_object_get(event, key));
}

static void events_print_line(const json_t *event)
{
	const char *kind = events_string(event, "event");
	const char *reason = events_string(event, "reason");
	const char *action = events_string(event, "action");
	const char *name = events_string(event, "name");
	const char *state = events_string(event, "state");

	/* Only domain events have this shape; others are for --json. */
	if (!kind || strcmp(kind, "domain"))
		return;
	printf("%.3f %" JSON_INTEGER_FORMAT " %s %s",
	       json_number_value(json_object_get(event, "time")),
	       json_integer_value(json_object_get(event, "domid")), name ? name : "-",
	       state ? state : "-");
	if (reason)
		printf(" %s", reason);
	if (action)
		printf(" %s", action);
	putchar('\n');
}

static int events_print_json(const json_t *event)
{
	if (json_dumpf(event, stdout, JSON_COMPACT))
		return -EIO;
	putchar('\n');
	return 0;
}

int cmd_events(int argc, char **argv)
{
	const char *socket_path;
	struct kdom_client client;
	bool as_json;
	char err[512];
	json_t *event;
	int ret, status = CLI_EXIT_FAIL;

	ret = cli_parse_options(argc, argv, "events", cmd_events_usage, &socket_path, &as_json);
	if (ret != CLI_PARSED)
		return ret;
	if (optind < argc)
		return cli_usage_error("events", "no arguments expected");
	if (cli_connect(&client, "events", socket_path))
		return CLI_EXIT_FAIL;
	if (cli_call(&client, "events", "subscribe", NULL, NULL))
		goto out;
	for (;;) {
		err[0] = '\0';
		ret = kdom_client_next_event(&client, &event, err, sizeof(err));
		if (ret == -ECONNRESET) {
			status = CLI_EXIT_OK;
			break;
		}
		if (ret < 0) {
			cli_error("events", "%s", err[0] ? err : strerror(-ret));
			break;
		}
		if (as_json)
			ret = events_print_json(event);
		else
			events_print_line(event);
		json_decref(event);
		if (ret < 0 || fflush(stdout)) {
			cli_error("events", "cannot write to standard output");
			break;
		}
	}
out:
	kdom_client_close(&client);
	return status;
}

/* `kdom info`: one domain's object from kdomd, as "key: value" lines or as JSON. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/client.h"
#include "toolstack/cli.h"
#include "toolstack/commands.h"

/* The keys of a domain object in docs/protocol.md's order; others follow in kdomd's. */
static const char *const info_keys[] = {
	"domid", "name",    "uuid",   "state",	     "roles",	  "memory_mib", "vcpus",
	"pid",	 "created", "reason", "on_poweroff", "on_reboot", "on_crash",	"on_watchdog",
};

#define INFO_NR_KEYS (sizeof(info_keys) / sizeof(info_keys[0]))

void cmd_info_usage(void)
{
	printf("Usage: kdom info [--json] [--socket PATH] DOM\n"
	       "\n"
	       "Print what kdomd knows of domain DOM (a name or domid), one \"key: value\"\n"
	       "line each: domid, name, uuid, state, roles, memory_mib, vcpus, pid,\n"
	       "created (seconds since the epoch), reason (why it shut down, or -),\n"
	       "on_poweroff, on_reboot, on_crash and on_watchdog.\n"
	       "\n"
	       "Options:\n"
	       "      --json         print the domain object as JSON instead\n"
	       "      --socket PATH  kdomd's socket (default $" KDOM_SOCKET_ENV
	       ", else " KDOM_SOCKET_DEFAULT ")\n"
	       "  -h, --help         show this help\n");
}

/* One value as text: null "-", an array as a comma list ("-" when empty). */
static void info_print_value(const json_t *value)
{
	const json_t *element;
	char *text;
	size_t i;

	switch (json_typeof(value)) {
	case JSON_STRING:
		fputs(json_string_value(value), stdout);
		break;
	case JSON_INTEGER:
		printf("%" JSON_INTEGER_FORMAT, json_integer_value(value));
		break;
	case JSON_REAL:
		printf("%.3f", json_real_value(value));
		break;
	case JSON_TRUE:
		fputs("true", stdout);
		break;
	case JSON_FALSE:
		fputs("false", stdout);
		break;
	case JSON_NULL:
		fputs("-", stdout);
		break;
	case JSON_ARRAY:
		if (!json_array_size(value))
			fputs("-", stdout);
		json_array_foreach(value, i, element)
		{
			if (i)
				putchar(',');
			info_print_value(element);
		}
		break;
	default:
		text = json_dumps(value, JSON_COMPACT);
		fputs(text ? text : "?", stdout);
		free(text);
		break;
	}
}

static bool info_key_known(const char *key)
{
	for (size_t i = 0; i < INFO_NR_KEYS; i++)
		if (!strcmp(info_keys[i], key))
			return true;
	return false;
}

static void info_print_line(const char *key, const json_t *value)
{
	printf("%s: ", key);
	info_print_value(value);
	putchar('\n');
}

static void info_print(const json_t *domain)
{
	const char *key;
	json_t *value;

	for (size_t i = 0; i < INFO_NR_KEYS; i++) {
		value = json_object_get(domain, info_keys[i]);
		if (value)
			info_print_line(info_keys[i], value);
	}
	json_object_foreach((json_t *)domain, key, value)
	{
		if (!info_key_known(key))
			info_print_line(key, value);
	}
}

int cmd_info(int argc, char **argv)
{
	const char *socket_path;
	struct kdom_client client;
	json_t *args, *result = NULL;
	bool as_json;
	int ret, status = CLI_EXIT_FAIL;

	ret = cli_parse_options(argc, argv, "info", cmd_info_usage, &socket_path, &as_json);
	if (ret != CLI_PARSED)
		return ret;
	if (argc - optind != 1)
		return cli_usage_error("info", "one DOM (a name or domid) expected");
	args = cli_domain_args(argv[optind]);
	if (!args) {
		cli_error("info", "'%s' is not UTF-8 text", argv[optind]);
		return CLI_EXIT_FAIL;
	}
	if (cli_connect(&client, "info", socket_path)) {
		json_decref(args);
		return CLI_EXIT_FAIL;
	}
	if (cli_call(&client, "info", "info", args, &result))
		goto out;
	if (!json_is_object(result)) {
		cli_error("info", "kdomd's reply is not a domain object");
		goto out;
	}
	if (as_json) {
		if (json_dumpf(result, stdout, JSON_INDENT(2)) == 0)
			putchar('\n');
	} else {
		info_print(result);
	}
	status = fflush(stdout) ? CLI_EXIT_FAIL : CLI_EXIT_OK;
	if (status)
		cli_error("info", "cannot write to standard output");
out:
	json_decref(result);
	kdom_client_close(&client);
	return status;
}

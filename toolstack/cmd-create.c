/* `kdom create`: have kdomd create a domain from a config file, then perhaps attach its console. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "control/client.h"
#include "toolstack/cli.h"
#include "toolstack/commands.h"

void cmd_create_usage(void)
{
	printf("Usage: kdom create [-c] [-p] [--socket PATH] CONFIG\n"
	       "\n"
	       "Have kdomd create a domain from CONFIG, a domain configuration file\n"
	       "(kdom.cfg(5), at most 60 KiB); relative paths in it resolve against its\n"
	       "folder.  The domain runs under kdomd, not in the foreground.\n"
	       "\n"
	       "Options:\n"
	       "  -c, --console      attach to the domain's console once it is created\n"
	       "                     (as 'kdom console')\n"
	       "  -p, --paused       leave the domain paused ('kdom unpause' starts it)\n"
	       "      --socket PATH  kdomd's socket (default $" KDOM_SOCKET_ENV
	       ", else " KDOM_SOCKET_DEFAULT ")\n"
	       "  -h, --help         show this help\n");
}

int cmd_create(int argc, char **argv)
{
	static const struct option long_options[] = {
		{ "console", no_argument, NULL, 'c' },
		{ "paused", no_argument, NULL, 'p' },
		{ "socket", required_argument, NULL, CLI_OPT_SOCKET },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *socket_path = NULL, *config, *name;
	char *text = NULL, *abs_path = NULL, domid[24];
	struct kdom_client client;
	json_t *args, *result = NULL;
	bool console = false, paused = false;
	int opt, status = CLI_EXIT_FAIL;

	optind = 1;
	while ((opt = getopt_long(argc, argv, ":cph", long_options, NULL)) != -1) {
		switch (opt) {
		case 'c':
			console = true;
			break;
		case 'p':
			paused = true;
			break;
		case CLI_OPT_SOCKET:
			socket_path = optarg;
			break;
		case 'h':
			cmd_create_usage();
			return CLI_EXIT_OK;
		default:
			return cli_option_error("create", argc, argv, opt);
		}
	}
	if (argc - optind != 1)
		return cli_usage_error("create", "one CONFIG file expected");
	config = argv[optind];
	if (cli_read_file("create", config, &text, &abs_path))
		return CLI_EXIT_FAIL;
	fprintf(stderr, "Parsing config from %s\n", config);
	args = json_pack("{s:s,s:s,s:b}", "config", text, "config_path", abs_path, "paused",
			 paused);
	free(text);
	free(abs_path);
	if (!args) {
		cli_error("create", "%s is not UTF-8 text", config);
		return CLI_EXIT_FAIL;
	}
	if (cli_connect(&client, "create", socket_path)) {
		json_decref(args);
		return CLI_EXIT_FAIL;
	}
	if (cli_call(&client, "create", "create", args, &result))
		goto out;
	status = CLI_EXIT_OK;
	if (console) {
		/* Attach by domid: a name could be taken again if the domain ends at once. */
		const json_t *id = json_object_get(result, "domid");
		const char *dom;

		name = json_string_value(json_object_get(result, "name"));
		dom = name;
		if (json_is_integer(id)) {
			snprintf(domid, sizeof(domid), "%" JSON_INTEGER_FORMAT,
				 json_integer_value(id));
			dom = domid;
		}
		if (!dom) {
			cli_error("create", "kdomd's reply names no domain");
			status = CLI_EXIT_FAIL;
			goto out;
		}
		status = cli_console_attach(&client, "create", dom, name);
	}
out:
	json_decref(result);
	kdom_client_close(&client);
	return status;
}

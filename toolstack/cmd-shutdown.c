/* `kdom shutdown` and `kdom reboot`: ask a domain's guest to power off, or to restart. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "control/client.h"
#include "toolstack/cli.h"
#include "toolstack/commands.h"

void cmd_shutdown_usage(void)
{
	printf("Usage: kdom shutdown [-w] [--socket PATH] DOM\n"
	       "\n"
	       "Ask the guest of domain DOM (a name or domid) to shut down; what happens\n"
	       "then is the domain's on_poweroff action.  Returns once the request is\n"
	       "delivered, or with -w once the domain has shut down.\n"
	       "\n"
	       "Options:\n"
	       "  -w, --wait         wait for the domain to shut down\n"
	       "      --socket PATH  kdomd's socket (default $" KDOM_SOCKET_ENV
	       ", else " KDOM_SOCKET_DEFAULT ")\n"
	       "  -h, --help         show this help\n");
}

void cmd_reboot_usage(void)
{
	printf("Usage: kdom reboot [--socket PATH] DOM\n"
	       "\n"
	       "Ask the guest of domain DOM (a name or domid) to reboot; what happens then\n"
	       "is the domain's on_reboot action.\n"
	       "\n"
	       "Options:\n"
	       "      --socket PATH  kdomd's socket (default $" KDOM_SOCKET_ENV
	       ", else " KDOM_SOCKET_DEFAULT ")\n"
	       "  -h, --help         show this help\n");
}

int cmd_shutdown(int argc, char **argv)
{
	static const struct option long_options[] = {
		{ "wait", no_argument, NULL, 'w' },
		{ "socket", required_argument, NULL, CLI_OPT_SOCKET },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *socket_path = NULL;
	struct kdom_client client;
	bool wait = false;
	json_t *args;
	int opt, ret;

	optind = 1;
	while ((opt = getopt_long(argc, argv, ":wh", long_options, NULL)) != -1) {
		switch (opt) {
		case 'w':
			wait = true;
			break;
		case CLI_OPT_SOCKET:
			socket_path = optarg;
			break;
		case 'h':
			cmd_shutdown_usage();
			return CLI_EXIT_OK;
		default:
			return cli_option_error("shutdown", argc, argv, opt);
		}
	}
	if (argc - optind != 1)
		return cli_usage_error("shutdown", "one DOM (a name or domid) expected");
	args = json_pack("{s:s,s:b}", "domain", argv[optind], "wait", wait);
	if (!args) {
		cli_error("shutdown", "'%s' is not UTF-8 text", argv[optind]);
		return CLI_EXIT_FAIL;
	}
	if (cli_connect(&client, "shutdown", socket_path)) {
		json_decref(args);
		return CLI_EXIT_FAIL;
	}
	ret = cli_call(&client, "shutdown", "shutdown", args, NULL);
	kdom_client_close(&client);
	return ret ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}

int cmd_reboot(int argc, char **argv)
{
	return cli_domain_command(argc, argv, "reboot", "reboot", cmd_reboot_usage);
}

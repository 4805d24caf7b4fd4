/* `kdom launch`: have kdomd create the domains a manifest lists, and name them. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "control/client.h"
#include "toolstack/cli.h"
#include "toolstack/commands.h"

void cmd_launch_usage(void)
{
	printf("Usage: kdom launch [--socket PATH] MANIFEST\n"
	       "\n"
	       "Have kdomd create every domain MANIFEST (at most 60 KiB) lists, and print\n"
	       "each one created as \"NAME (domid N)\" on standard output.  Relative paths\n"
	       "in it resolve against its folder.\n"
	       "\n"
	       "Options:\n"
	       "      --socket PATH  kdomd's socket (default $" KDOM_SOCKET_ENV
	       ", else " KDOM_SOCKET_DEFAULT ")\n"
	       "  -h, --help         show this help\n");
}

int cmd_launch(int argc, char **argv)
{
	const char *socket_path, *manifest, *name;
	char *text = NULL, *abs_path = NULL;
	struct kdom_client client;
	json_t *args, *result = NULL, *domains, *domain;
	int ret, status = CLI_EXIT_FAIL;
	size_t i;

	ret = cli_parse_options(argc, argv, "launch", cmd_launch_usage, &socket_path, NULL);
	if (ret != CLI_PARSED)
		return ret;
	if (argc - optind != 1)
		return cli_usage_error("launch", "one MANIFEST file expected");
	manifest = argv[optind];
	if (cli_read_file("launch", manifest, &text, &abs_path))
		return CLI_EXIT_FAIL;
	args = json_pack("{s:s,s:s}", "manifest", text, "manifest_path", abs_path);
	free(text);
	free(abs_path);
	if (!args) {
		cli_error("launch", "%s is not UTF-8 text", manifest);
		return CLI_EXIT_FAIL;
	}
	if (cli_connect(&client, "launch", socket_path)) {
		json_decref(args);
		return CLI_EXIT_FAIL;
	}
	if (cli_call(&client, "launch", "launch", args, &result))
		goto out;
	domains = json_object_get(result, "domains");
	if (!json_is_array(domains)) {
		cli_error("launch", "kdomd's reply has no domains array");
		goto out;
	}
	json_array_foreach(domains, i, domain)
	{
		name = json_string_value(json_object_get(domain, "name"));
		printf("%s (domid %" JSON_INTEGER_FORMAT ")\n", name ? name : "-",
		       json_integer_value(json_object_get(domain, "domid")));
	}
	status = fflush(stdout) ? CLI_EXIT_FAIL : CLI_EXIT_OK;
	if (status)
		cli_error("launch", "cannot write to standard output");
out:
	json_decref(result);
	kdom_client_close(&client);
	return status;
}

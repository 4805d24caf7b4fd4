/* `kdom destroy`: have kdomd end a domain at once, as pulling its plug. */
#include <stdio.h>

#include "toolstack/cli.h"
#include "toolstack/commands.h"

void cmd_destroy_usage(void)
{
	printf("Usage: kdom destroy [--socket PATH] DOM\n"
	       "\n"
	       "End domain DOM (a name or domid) at once, without asking the guest, and\n"
	       "release what it held; returns once its process is gone.\n"
	       "\n"
	       "Options:\n"
	       "      --socket PATH  kdomd's socket (default $" KDOM_SOCKET_ENV
	       ", else " KDOM_SOCKET_DEFAULT ")\n"
	       "  -h, --help         show this help\n");
}

int cmd_destroy(int argc, char **argv)
{
	return cli_domain_command(argc, argv, "destroy", "destroy", cmd_destroy_usage);
}

/* `kdom pause` and `kdom unpause`: stop a domain's vCPUs, and let them run again. */
#include <stdio.h>

#include "toolstack/cli.h"
#include "toolstack/commands.h"

void cmd_pause_usage(void)
{
	printf("Usage: kdom pause [--socket PATH] DOM\n"
	       "\n"
	       "Pause domain DOM (a name or domid): its vCPUs stop running and it keeps\n"
	       "its memory and devices until 'kdom unpause'.\n"
	       "\n"
	       "Options:\n"
	       "      --socket PATH  kdomd's socket (default $" KDOM_SOCKET_ENV
	       ", else " KDOM_SOCKET_DEFAULT ")\n"
	       "  -h, --help         show this help\n");
}

void cmd_unpause_usage(void)
{
	printf("Usage: kdom unpause [--socket PATH] DOM\n"
	       "\n"
	       "Let the vCPUs of domain DOM (a name or domid) run again, after 'kdom pause'\n"
	       "or 'kdom create -p'.\n"
	       "\n"
	       "Options:\n"
	       "      --socket PATH  kdomd's socket (default $" KDOM_SOCKET_ENV
	       ", else " KDOM_SOCKET_DEFAULT ")\n"
	       "  -h, --help         show this help\n");
}

int cmd_pause(int argc, char **argv)
{
	return cli_domain_command(argc, argv, "pause", "pause", cmd_pause_usage);
}

int cmd_unpause(int argc, char **argv)
{
	return cli_domain_command(argc, argv, "unpause", "unpause", cmd_unpause_usage);
}

/* The kdom command line: a table of commands in the manner of xl. */
#include <stdio.h>
#include <string.h>

#include "kdom/abi.h"
#include "toolstack/commands.h"

#define KDOM_VERSION_STRING "0.1"

struct kdom_command {
	const char *name;
	const char *summary;
	int (*run)(int argc, char **argv);
	void (*usage)(void);
};

static int cmd_help(int argc, char **argv);
static int cmd_version(int argc, char **argv);

static const struct kdom_command kdom_commands[] = {
	{ "run", "run one domain in the foreground", cmd_run, cmd_run_usage },
	{ "cpuid", "print the CPUID leaves a domain would see", cmd_cpuid, cmd_cpuid_usage },
	{ "create", "have kdomd create a domain from a config file", cmd_create, cmd_create_usage },
	{ "list", "list the domains kdomd runs", cmd_list, cmd_list_usage },
	{ "info", "print what kdomd knows of one domain", cmd_info, cmd_info_usage },
	{ "destroy", "end a domain at once", cmd_destroy, cmd_destroy_usage },
	{ "shutdown", "ask a domain to shut down", cmd_shutdown, cmd_shutdown_usage },
	{ "reboot", "ask a domain to reboot", cmd_reboot, cmd_reboot_usage },
	{ "pci-assignable-add", "make a host PCI device assignable (bind it to vfio-pci)",
	  cmd_pci_assignable_add, cmd_pci_assignable_add_usage },
	{ "pci-assignable-remove", "give an assignable PCI device back to its driver",
	  cmd_pci_assignable_remove, cmd_pci_assignable_remove_usage },
	{ "pci-assignable-list", "list the PCI devices bound to vfio-pci", cmd_pci_assignable_list,
	  cmd_pci_assignable_list_usage },
	{ "pause", "pause a domain's vCPUs", cmd_pause, cmd_pause_usage },
	{ "unpause", "let a paused domain run again", cmd_unpause, cmd_unpause_usage },
	{ "console", "attach to a domain's console", cmd_console, cmd_console_usage },
	{ "events", "follow kdomd's domain events", cmd_events, cmd_events_usage },
	{ "launch", "create the domains a manifest lists", cmd_launch, cmd_launch_usage },
	{ "help", "show help for kdom or one command", cmd_help, NULL },
	{ "version", "print kdom's version", cmd_version, NULL },
};

#define KDOM_NR_COMMANDS (sizeof(kdom_commands) / sizeof(kdom_commands[0]))

static const struct kdom_command *kdom_find_command(const char *name)
{
	for (size_t i = 0; i < KDOM_NR_COMMANDS; i++)
		if (!strcmp(kdom_commands[i].name, name))
			return &kdom_commands[i];
	return NULL;
}

static void kdom_usage(FILE *out)
{
	fprintf(out, "Usage: kdom [--help] [--version] COMMAND [ARGS]\n\n"
		     "kdom runs KVM domains with the roles of a disaggregated Xen system.\n\n"
		     "Commands:\n");
	int width = 0;

	for (size_t i = 0; i < KDOM_NR_COMMANDS; i++)
		if ((int)strlen(kdom_commands[i].name) > width)
			width = strlen(kdom_commands[i].name);
	for (size_t i = 0; i < KDOM_NR_COMMANDS; i++)
		fprintf(out, "  %-*s  %s\n", width, kdom_commands[i].name,
			kdom_commands[i].summary);
	fprintf(out, "\n'kdom help COMMAND' or 'kdom COMMAND --help' describes a command.\n");
}

static int cmd_help(int argc, char **argv)
{
	const struct kdom_command *command;

	if (argc < 2) {
		kdom_usage(stdout);
		return 0;
	}
	command = kdom_find_command(argv[1]);
	if (!command) {
		fprintf(stderr, "kdom: unknown command '%s'\n", argv[1]);
		return KDOM_EXIT_KDOM_ERROR;
	}
	if (command->usage)
		command->usage();
	else
		printf("kdom %s: %s\n", command->name, command->summary);
	return 0;
}

static int cmd_version(int argc, char **argv)
{
	printf("kdom %s (guest ABI %d)\n", KDOM_VERSION_STRING, KDOM_ABI_VERSION);
	return 0;
}

int main(int argc, char **argv)
{
	const struct kdom_command *command;

	if (argc < 2) {
		kdom_usage(stderr);
		return KDOM_EXIT_KDOM_ERROR;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return cmd_help(1, argv);
	if (!strcmp(argv[1], "--version"))
		return cmd_version(1, argv);
	command = kdom_find_command(argv[1]);
	if (!command) {
		fprintf(stderr, "kdom: unknown command '%s'\nTry 'kdom --help'.\n", argv[1]);
		return KDOM_EXIT_KDOM_ERROR;
	}
	return command->run(argc - 1, argv + 1);
}

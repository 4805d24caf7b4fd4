/* `kdom pci-assignable-add|remove|list`: host devices handed to vfio-pci, as xl's commands. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control/state-file.h"
#include "toolstack/cli.h"
#include "toolstack/commands.h"
#include "toolstack/config/pci-spec.h"
#include "vfio/host-pci.h"

#define PCI_STATE_DIR_DEFAULT "/var/lib/kdom"
#define PCI_STATE_DIR_ENV "KDOM_STATE_DIR"

void cmd_pci_assignable_add_usage(void)
{
	printf("Usage: kdom pci-assignable-add [--state-dir DIR] BDF\n"
	       "\n"
	       "Make the host PCI device BDF (DDDD:BB:DD.F) assignable: bind it to vfio-pci\n"
	       "through its driver_override, remembering the driver it had in\n"
	       "DIR/pci-assignable/BDF (DIR: $%s, else %s).\n"
	       "A host bridge is refused.  Needs root.\n",
	       PCI_STATE_DIR_ENV, PCI_STATE_DIR_DEFAULT);
}

void cmd_pci_assignable_remove_usage(void)
{
	printf("Usage: kdom pci-assignable-remove [-r] [--state-dir DIR] BDF\n"
	       "\n"
	       "Give the device back: unbind it from vfio-pci and bind it to the driver it\n"
	       "had before pci-assignable-add (-r, as in xl, is accepted: that is always\n"
	       "done).\n");
}

void cmd_pci_assignable_list_usage(void)
{
	printf("Usage: kdom pci-assignable-list\n"
	       "\n"
	       "List the host PCI devices bound to vfio-pci, one BDF per line.\n");
}

static const char *pci_state_dir(const char *opt)
{
	const char *env = getenv(PCI_STATE_DIR_ENV);

	return opt ? opt : env && *env ? env : PCI_STATE_DIR_DEFAULT;
}

/* Options shared by add and remove: -r, --state-dir DIR, one BDF.  0 or the exit status. */
static int pci_parse(const char *command, int argc, char **argv, const char **dir,
		     struct pci_spec *spec, void (*usage)(void))
{
	static const struct option options[] = {
		{ "state-dir", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char err[256];
	int opt;

	*dir = NULL;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":rh", options, NULL)) != -1) {
		switch (opt) {
		case 'r':
			break;
		case 'd':
			*dir = optarg;
			break;
		case 'h':
			usage();
			return -1;
		default:
			return cli_option_error(command, argc, argv, opt);
		}
	}
	if (optind != argc - 1)
		return cli_usage_error(command, "one BDF expected");
	if (pci_spec_parse(argv[optind], spec, err, sizeof(err)) || spec->kind != PCI_SPEC_HOST)
		return cli_usage_error(command, "%s",
				       spec->kind == PCI_SPEC_HOST
					       ? err
					       : "a host PCI address, not a vfio-user "
						 "socket");
	*dir = pci_state_dir(*dir);
	return 0;
}

int cmd_pci_assignable_add(int argc, char **argv)
{
	char path[PATH_MAX], previous[64], err[512];
	struct pci_spec spec;
	const char *dir;
	int ret = pci_parse("pci-assignable-add", argc, argv, &dir, &spec,
			    cmd_pci_assignable_add_usage);

	if (ret)
		return ret < 0 ? CLI_EXIT_OK : ret;
	if (host_pci_bind_vfio(spec.bdf, previous, sizeof(previous), err, sizeof(err))) {
		cli_error("pci-assignable-add", "%s", err);
		return CLI_EXIT_FAIL;
	}
	snprintf(path, sizeof(path), "%s/pci-assignable", dir);
	ret = state_mkdirs(path, 0700);
	snprintf(path, sizeof(path), "%s/pci-assignable/%s", dir, spec.bdf);
	/* A device already assignable keeps the driver remembered the first time. */
	if (!ret && strcmp(previous, "vfio-pci"))
		ret = state_write_atomic(path, previous, strlen(previous));
	if (ret) {
		cli_error("pci-assignable-add",
			  "%s is bound to vfio-pci, but its driver (%s) could not be remembered in "
			  "%s: %s",
			  spec.bdf, previous[0] ? previous : "none", path, strerror(-ret));
		return CLI_EXIT_FAIL;
	}
	return CLI_EXIT_OK;
}

int cmd_pci_assignable_remove(int argc, char **argv)
{
	char path[PATH_MAX], previous[64] = "", err[512];
	struct pci_spec spec;
	const char *dir;
	FILE *f;
	int ret = pci_parse("pci-assignable-remove", argc, argv, &dir, &spec,
			    cmd_pci_assignable_remove_usage);

	if (ret)
		return ret < 0 ? CLI_EXIT_OK : ret;
	snprintf(path, sizeof(path), "%s/pci-assignable/%s", dir, spec.bdf);
	f = fopen(path, "re");
	if (f) {
		if (!fgets(previous, sizeof(previous), f))
			previous[0] = '\0';
		fclose(f);
	}
	if (host_pci_unbind_vfio(spec.bdf, previous, err, sizeof(err))) {
		cli_error("pci-assignable-remove", "%s", err);
		return CLI_EXIT_FAIL;
	}
	unlink(path);
	return CLI_EXIT_OK;
}

static void print_bdf(const char *bdf, void *opaque)
{
	printf("%s\n", bdf);
}

int cmd_pci_assignable_list(int argc, char **argv)
{
	int ret;

	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		cmd_pci_assignable_list_usage();
		return CLI_EXIT_OK;
	}
	if (argc > 1)
		return cli_usage_error("pci-assignable-list", "no arguments expected");
	ret = host_pci_list_vfio(print_bdf, NULL);
	if (ret) {
		cli_error("pci-assignable-list", "cannot read the vfio-pci driver's devices: %s",
			  strerror(-ret));
		return CLI_EXIT_FAIL;
	}
	return CLI_EXIT_OK;
}

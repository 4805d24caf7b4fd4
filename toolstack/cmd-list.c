/* `kdom list`: the domains kdomd runs, as a table in the manner of `xl list` or as JSON. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "control/client.h"
#include "toolstack/cli.h"
#include "toolstack/commands.h"

void cmd_list_usage(void)
{
	printf("Usage: kdom list [--json] [--socket PATH] [DOM...]\n"
	       "\n"
	       "List the domains kdomd runs, or only the DOMs named (names or domids),\n"
	       "one line each:\n"
	       "\n"
	       "  Name     the domain's name\n"
	       "  ID       its domid\n"
	       "  Mem      its memory in MiB\n"
	       "  VCPUs    its vCPUs\n"
	       "  State    r running, p paused, s shut down, c crashed, d dying\n"
	       "           (one letter in its place of six, as xl's r-----)\n"
	       "  Time(s)  seconds since it was created\n"
	       "  Roles    its roles (hardware, control, bootstrap), or -\n"
	       "\n"
	       "Options:\n"
	       "      --json         print the domain objects as a JSON array instead\n"
	       "      --socket PATH  kdomd's socket (default $" KDOM_SOCKET_ENV
	       ", else " KDOM_SOCKET_DEFAULT ")\n"
	       "  -h, --help         show this help\n");
}

/* xl's six-letter state field: r, b, p, s, c, d each in its own place. */
static void list_state_field(const json_t *domain, char field[7])
{
	const char *state = json_string_value(json_object_get(domain, "state"));
	const char *reason = json_string_value(json_object_get(domain, "reason"));

	memcpy(field, "------", 7);
	if (!state)
		return;
	if (!strcmp(state, "running"))
		field[0] = 'r';
	else if (!strcmp(state, "paused"))
		field[2] = 'p';
	else if (!strcmp(state, "shutdown") && reason && !strcmp(reason, "crash"))
		field[4] = 'c';
	else if (!strcmp(state, "shutdown"))
		field[3] = 's';
	else if (!strcmp(state, "dying"))
		field[5] = 'd';
}

static double list_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void list_print_header(void)
{
	printf("%-40s %5s %6s %5s  %-6s %9s  %s\n", "Name", "ID", "Mem", "VCPUs", "State",
	       "Time(s)", "Roles");
}

static void list_print_domain(const json_t *domain, double now)
{
	const char *name = json_string_value(json_object_get(domain, "name"));
	const json_t *roles = json_object_get(domain, "roles");
	const json_t *created = json_object_get(domain, "created");
	const json_t *role;
	char state[7], uptime[32];
	size_t i;

	list_state_field(domain, state);
	if (json_is_number(created))
		snprintf(uptime, sizeof(uptime), "%.1f", now - json_number_value(created));
	else
		snprintf(uptime, sizeof(uptime), "-");
	printf("%-40s %5" JSON_INTEGER_FORMAT " %6" JSON_INTEGER_FORMAT " %5" JSON_INTEGER_FORMAT
	       "  %-6s %9s  ",
	       name ? name : "-", json_integer_value(json_object_get(domain, "domid")),
	       json_integer_value(json_object_get(domain, "memory_mib")),
	       json_integer_value(json_object_get(domain, "vcpus")), state, uptime);
	if (!json_array_size(roles))
		fputs("-", stdout);
	json_array_foreach(roles, i, role)
	{
		const char *text = json_string_value(role);

		printf("%s%s", i ? "," : "", text ? text : "?");
	}
	putchar('\n');
}

/* Does domain answer to dom, a name or (all digits) a domid? */
static bool list_domain_matches(const json_t *domain, const char *dom)
{
	const char *name = json_string_value(json_object_get(domain, "name"));
	const json_t *domid = json_object_get(domain, "domid");
	char *end;
	long long id;

	if (dom[0] >= '0' && dom[0] <= '9' && dom[strspn(dom, "0123456789")] == '\0') {
		id = strtoll(dom, &end, 10);
		return json_is_integer(domid) && json_integer_value(domid) == id;
	}
	return name && !strcmp(name, dom);
}

/*
 * The domains the arguments name, in their order, as a new array; NULL
 * after printing "no domain 'x'" for each one missing.
 */
static json_t *list_select(const json_t *domains, char **doms, int nr_doms)
{
	json_t *selected = json_array(), *domain;
	bool missing = false;
	size_t i;

	if (!selected) {
		cli_error("list", "out of memory");
		return NULL;
	}
	for (int d = 0; d < nr_doms; d++) {
		bool found = false;

		json_array_foreach(domains, i, domain)
		{
			if (list_domain_matches(domain, doms[d])) {
				json_array_append(selected, domain);
				found = true;
				break;
			}
		}
		if (!found) {
			cli_error("list", "no domain '%s'", doms[d]);
			missing = true;
		}
	}
	if (missing) {
		json_decref(selected);
		return NULL;
	}
	return selected;
}

int cmd_list(int argc, char **argv)
{
	const char *socket_path;
	struct kdom_client client;
	json_t *result = NULL, *domains, *shown = NULL, *domain;
	bool as_json;
	int ret, status = CLI_EXIT_FAIL;
	size_t i;

	ret = cli_parse_options(argc, argv, "list", cmd_list_usage, &socket_path, &as_json);
	if (ret != CLI_PARSED)
		return ret;
	if (cli_connect(&client, "list", socket_path))
		return CLI_EXIT_FAIL;
	if (cli_call(&client, "list", "list", NULL, &result))
		goto out;
	domains = json_object_get(result, "domains");
	if (!json_is_array(domains)) {
		cli_error("list", "kdomd's reply has no domains array");
		goto out;
	}
	if (optind < argc)
		shown = list_select(domains, argv + optind, argc - optind);
	else
		shown = json_incref(domains);
	if (!shown)
		goto out;

	if (as_json) {
		if (json_dumpf(shown, stdout, JSON_INDENT(2)) == 0)
			putchar('\n');
	} else {
		double now = list_now();

		list_print_header();
		json_array_foreach(shown, i, domain) list_print_domain(domain, now);
	}
	status = fflush(stdout) ? CLI_EXIT_FAIL : CLI_EXIT_OK;
	if (status)
		cli_error("list", "cannot write to standard output");
out:
	json_decref(shown);
	json_decref(result);
	kdom_client_close(&client);
	return status;
}

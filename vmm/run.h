/* `kdom run`: one domain in the foreground, no daemon. */
#ifndef KDOM_RUN_H
#define KDOM_RUN_H

/* Entry point of `kdom run`; returns the process exit status (KDOM_EXIT_*). */
int cmd_run(int argc, char **argv);

/* Print `kdom run`'s usage to stdout. */
void cmd_run_usage(void);

#endif

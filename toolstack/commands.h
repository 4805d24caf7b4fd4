/* The kdom CLI's commands: one file each, gathered in kdom.c's table. */
#ifndef KDOM_COMMANDS_H
#define KDOM_COMMANDS_H

int cmd_cpuid(int argc, char **argv);
void cmd_cpuid_usage(void);

#endif

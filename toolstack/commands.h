/* The kdom CLI's commands: one file each, gathered in kdom.c's table. */
#ifndef KDOM_COMMANDS_H
#define KDOM_COMMANDS_H

/* kdom run: one domain in the foreground; the process exit status (KDOM_EXIT_*). */
int cmd_run(int argc, char **argv);
void cmd_run_usage(void);
int cmd_cpuid(int argc, char **argv);
void cmd_cpuid_usage(void);

/* The daemon commands: they talk to kdomd (toolstack/cli.h). */
int cmd_create(int argc, char **argv);
void cmd_create_usage(void);
int cmd_list(int argc, char **argv);
void cmd_list_usage(void);
int cmd_info(int argc, char **argv);
void cmd_info_usage(void);
int cmd_destroy(int argc, char **argv);
void cmd_destroy_usage(void);
int cmd_shutdown(int argc, char **argv);
void cmd_shutdown_usage(void);
int cmd_reboot(int argc, char **argv);
void cmd_reboot_usage(void);
int cmd_pause(int argc, char **argv);
void cmd_pause_usage(void);
int cmd_unpause(int argc, char **argv);
void cmd_unpause_usage(void);
int cmd_console(int argc, char **argv);
void cmd_console_usage(void);
int cmd_events(int argc, char **argv);
void cmd_events_usage(void);
int cmd_launch(int argc, char **argv);
void cmd_launch_usage(void);

int cmd_pci_assignable_add(int argc, char **argv);
void cmd_pci_assignable_add_usage(void);
int cmd_pci_assignable_remove(int argc, char **argv);
void cmd_pci_assignable_remove_usage(void);
int cmd_pci_assignable_list(int argc, char **argv);
void cmd_pci_assignable_list_usage(void);

#endif

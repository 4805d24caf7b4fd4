/* Diagnostics: one line per message on stderr, prefixed "kdom: ". */
#ifndef KDOM_LOG_H
#define KDOM_LOG_H

void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Debug lines appear only with KDOM_DEBUG set in the environment. */
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif

/* Diagnostics: one line per message on stderr, prefixed "kdom: ". */
#ifndef KDOM_LOG_H
#define KDOM_LOG_H

#include <stddef.h>

/* Lines read "PREFIX: level: message"; the prefix is "kdom" unless set (e.g. "kdomd"). */
void log_set_prefix(const char *prefix);
/* The last error this thread logged ("" if none): for a message passed on elsewhere. */
const char *log_last_error(void);

void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Debug lines appear only with KDOM_DEBUG set in the environment. */
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Write a message into err (errlen bytes), for a function whose caller
 * says why it failed; nothing when err is NULL or errlen is 0.
 */
void set_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif

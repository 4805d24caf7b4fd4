/* Configuration files in the xl.cfg syntax: the parser, and key tables applied to a target. */
#ifndef KDOM_TOOLSTACK_XLCFG_H
#define KDOM_TOOLSTACK_XLCFG_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "vmm/log.h"

/* The config parsers' way out: the reason into (err, errlen), then -EINVAL. */
#define config_error(err, errlen, ...) (set_err((err), (errlen), __VA_ARGS__), -EINVAL)

/*
 * Messages quote user input (specs, values) cut to CFG_QUOTE_MAX bytes:
 * CFG_QUOTE(s) gives the arguments of a "%.*s%s" that quotes s.
 */
#define CFG_QUOTE_MAX 64
#define CFG_QUOTE(s) CFG_QUOTE_MAX, (s), strlen(s) > CFG_QUOTE_MAX ? "..." : ""

/* ---- Generic xl.cfg syntax ------------------------------------------------ */

/* A value's type; CFG_ANY only in key tables, for a key that takes several. */
enum cfg_type { CFG_NUMBER, CFG_STRING, CFG_LIST, CFG_ANY };

struct cfg_value {
	enum cfg_type type;
	int line;
	long long number;	 /* CFG_NUMBER */
	char *string;		 /* CFG_STRING, NUL-terminated, escapes resolved */
	struct cfg_value *items; /* CFG_LIST: numbers and strings only */
	size_t nitems;
};

struct cfg_setting {
	char *key;
	int line;
	struct cfg_value value;
};

struct cfg {
	char *filename; /* as given, for messages */
	struct cfg_setting *settings;
	size_t nsettings;
};

/*
 * Parse `len` bytes of xl.cfg text: `key = value` statements ended by a
 * newline or ';', values are numbers (decimal or 0x hex, optional sign,
 * within long long; a decimal with a leading zero is refused because xl
 * reads it as octal), "strings" or 'strings' on one line (\\, \", \', \n,
 * \t escapes) or [ lists ] of them that may span lines with an optional
 * trailing comma; '#' starts a comment; CR is white space, so CRLF files
 * parse.  A key given twice and a NUL byte are errors.  The text need not
 * be NUL-terminated.  0, or -EINVAL (-ENOMEM) with "FILE:LINE: what is
 * wrong" in err and cfg left empty.  filename NULL reads "(config)".
 */
int cfg_parse(const char *filename, const char *text, size_t len, struct cfg *cfg, char *err,
	      size_t errlen);

/* Look a key up; NULL when absent. */
const struct cfg_setting *cfg_find(const struct cfg *cfg, const char *key);

/* Free what cfg_parse() built; safe on a zeroed or already freed cfg. */
void cfg_free(struct cfg *cfg);

/* Config files are a few hundred bytes; anything near this is not one. */
#define CFG_FILE_MAX (1024 * 1024)

/*
 * Read and parse the file at path (at most CFG_FILE_MAX: -EFBIG).  0 or
 * -errno with err ("cannot read PATH: reason", or the parse error).
 */
int cfg_load(const char *path, struct cfg *cfg, char *err, size_t errlen);

/*
 * One key of a key table.  The handler sees the whole cfg so that keys that
 * interact can check each other; it writes a message without a FILE:LINE
 * prefix, which cfg_apply() adds.
 */
struct cfg_key {
	const char *key;
	enum cfg_type type;
	int (*apply)(void *target, const struct cfg *cfg, const struct cfg_setting *s, char *err,
		     size_t errlen);
};

/*
 * Apply every setting of cfg to target through the table: unknown keys and
 * wrong types are refused as "FILE:LINE: what is wrong".  0 or -errno.
 */
int cfg_apply(const struct cfg *cfg, const struct cfg_key *keys, size_t nkeys, void *target,
	      char *err, size_t errlen);

/*
 * The handler of the keys a table does not name: 0 (served or ignored),
 * -ENOENT (an unknown key, which cfg_apply_other() reports as such), or
 * another -errno with a message, like a key table's handler.
 */
typedef int cfg_other_fn(void *target, const struct cfg *cfg, const struct cfg_setting *s,
			 char *err, size_t errlen);

/* cfg_apply(), with other (NULL: none) asked about each key the table does not name. */
int cfg_apply_other(const struct cfg *cfg, const struct cfg_key *keys, size_t nkeys,
		    cfg_other_fn *other, void *target, char *err, size_t errlen);

/* Log a warning about setting s as "FILE:LINE: message". */
void cfg_warn(const struct cfg *cfg, const struct cfg_setting *s, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A 0/1 switch such as `control = 1`: 0, or -EINVAL with a message. */
int cfg_flag(bool *field, const struct cfg_setting *s, char *err, size_t errlen);

#endif

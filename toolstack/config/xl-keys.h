/* The xl.cfg(5) domain keys kdom does not serve: each ignored with a warning, or refused. */
#ifndef KDOM_TOOLSTACK_XL_KEYS_H
#define KDOM_TOOLSTACK_XL_KEYS_H

#include <stddef.h>

#include "toolstack/config/xlcfg.h"

/* What kdom does with an xl key it does not serve. */
enum xl_key_class {
	XL_KEY_IGNORED, /* warned about once, naming FILE:LINE and why; the domain runs */
	XL_KEY_REFUSED, /* the config is refused with the reason */
};

struct xl_key {
	const char *key;
	enum xl_key_class class;
	/*
	 * The value that asks for what kdom does anyway ("0" for `vnc = 0`,
	 * "disabled" for `altp2m`), accepted without a word; NULL: none.
	 */
	const char *same;
	const char *why;
};

/* The entry for key, or NULL when xl.cfg(5) documents no such unserved key. */
const struct xl_key *xl_key_find(const char *key);

/*
 * A cfg_other_fn (cfg_apply_other()): s's key ignored with a warning
 * ("FILE:LINE: 'KEY' ignored: WHY"), refused ("'KEY' refused: WHY"), or
 * -ENOENT when it is not an xl key kdom knows of.
 */
int xl_key_apply(void *target, const struct cfg *cfg, const struct cfg_setting *s, char *err,
		 size_t errlen);

/* The table, for kdom.cfg(5)'s list and the unit tests; *count gets its length. */
const struct xl_key *xl_keys(size_t *count);

#endif

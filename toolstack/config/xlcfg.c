/* The xl.cfg(5) syntax: a parser for `key = value` files into a list of typed settings. */
#include "toolstack/config/xlcfg.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * Messages quote pieces of the input (keys, bad tokens).  The input may be
 * hostile, so quotes are cut to this many bytes to keep messages readable.
 */
#define QUOTE_MAX 48

struct parser {
	const char *text;
	size_t len;
	size_t pos;
	int line;
	const char *filename;
	char *err;
	size_t errlen;
	struct cfg *cfg;
	size_t settings_cap;
	/* Open-addressing index of cfg->settings (index + 1; 0 = empty) for
	 * duplicate detection that stays linear on files with many keys. */
	size_t *index;
	size_t index_cap;
};

static int __attribute__((format(printf, 3, 4)))
parse_error_at(struct parser *p, int line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!p->err || !p->errlen)
		return -EINVAL;
	n = snprintf(p->err, p->errlen, "%s:%d: ", p->filename, line);
	if (n >= 0 && (size_t)n < p->errlen) {
		va_start(ap, fmt);
		vsnprintf(p->err + n, p->errlen - n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

#define parse_error(p, ...) parse_error_at((p), (p)->line, __VA_ARGS__)

static int parse_nomem(struct parser *p)
{
	if (p->err && p->errlen)
		snprintf(p->err, p->errlen, "%s: out of memory", p->filename);
	return -ENOMEM;
}

static bool at_end(const struct parser *p)
{
	return p->pos >= p->len;
}

static char peek(const struct parser *p)
{
	return at_end(p) ? '\0' : p->text[p->pos];
}

static bool is_key_start(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static bool is_key_char(char c)
{
	return is_key_start(c) || (c >= '0' && c <= '9');
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* How to name the byte at the parse position in a message ("'x'", "end of line", ...). */
static const char *describe_next(const struct parser *p, char *buf, size_t len)
{
	unsigned char c = (unsigned char)peek(p);

	if (at_end(p))
		return "end of file";
	if (c == '\n')
		return "end of line";
	if (c >= 0x20 && c < 0x7f)
		snprintf(buf, len, "'%c'", c);
	else
		snprintf(buf, len, "byte 0x%02x", c);
	return buf;
}

static int quote_len(size_t len)
{
	return len > QUOTE_MAX ? QUOTE_MAX : (int)len;
}

static const char *quote_more(size_t len)
{
	return len > QUOTE_MAX ? "..." : "";
}

/* The arguments for a "%.*s%s" that quotes len bytes at s. */
#define QUOTE(s, len) quote_len(len), (s), quote_more(len)

static int next_line(struct parser *p)
{
	if (p->line == INT_MAX)
		return parse_error(p, "too many lines");
	p->line++;
	p->pos++;
	return 0;
}

/*
 * Skip spaces, tabs, carriage returns and comments; inside a list also
 * newlines.  A CR is plain white space so that files written with CRLF line
 * endings read the same as LF ones.
 */
static int skip_blank(struct parser *p, bool newlines)
{
	while (!at_end(p)) {
		char c = p->text[p->pos];

		if (c == ' ' || c == '\t' || c == '\r') {
			p->pos++;
		} else if (c == '#') {
			const char *nl = memchr(p->text + p->pos, '\n', p->len - p->pos);

			p->pos = nl ? (size_t)(nl - p->text) : p->len;
		} else if (c == '\n' && newlines) {
			int ret = next_line(p);

			if (ret)
				return ret;
		} else {
			break;
		}
	}
	return 0;
}

/* A "string" or 'string' on one line; escapes \\ \" \' \n \t. */
static int parse_string(struct parser *p, struct cfg_value *v)
{
	char quote = p->text[p->pos];
	size_t start = ++p->pos, end, i, o = 0;
	char *s;

	/* Find the closing quote first so the copy can be sized exactly. */
	for (end = start; end < p->len; end++) {
		char c = p->text[end];

		if (c == quote || c == '\n')
			break;
		if (c == '\\' && end + 1 < p->len && p->text[end + 1] != '\n')
			end++;
	}
	if (end >= p->len || p->text[end] != quote)
		return parse_error(p, "unterminated string");

	s = malloc(end - start + 1);
	if (!s)
		return parse_nomem(p);
	for (i = start; i < end; i++) {
		char c = p->text[i];

		if (c == '\\') {
			char e = p->text[++i];

			switch (e) {
			case '\\':
			case '"':
			case '\'':
				c = e;
				break;
			case 'n':
				c = '\n';
				break;
			case 't':
				c = '\t';
				break;
			default:
				free(s);
				if ((unsigned char)e >= 0x20 && (unsigned char)e < 0x7f)
					return parse_error(p, "unknown escape '\\%c' in string", e);
				return parse_error(
					p, "unknown escape (backslash, byte 0x%02x) in string",
					(unsigned char)e);
			}
		}
		s[o++] = c;
	}
	s[o] = '\0';
	p->pos = end + 1;
	v->type = CFG_STRING;
	v->string = s;
	return 0;
}

/*
 * A number: optional sign, then decimal digits or 0x and hex digits, within
 * long long.  A decimal with a leading zero is refused: xl reads numbers with
 * strtol(base 0), so "010" is 8 there, and a file must mean the same to both.
 */
static int parse_number(struct parser *p, struct cfg_value *v)
{
	size_t start = p->pos, digits, end, i;
	bool negative = false, hex = false;
	unsigned long long magnitude = 0, limit;
	unsigned int base = 10;

	if (p->text[p->pos] == '-' || p->text[p->pos] == '+') {
		negative = p->text[p->pos] == '-';
		p->pos++;
		if (!is_digit(peek(p))) {
			char buf[16];

			return parse_error(p, "expected digits after '%c', found %s",
					   negative ? '-' : '+',
					   describe_next(p, buf, sizeof(buf)));
		}
	}
	digits = p->pos;
	if (p->len - digits >= 2 && p->text[digits] == '0' &&
	    (p->text[digits + 1] == 'x' || p->text[digits + 1] == 'X')) {
		hex = true;
		base = 16;
		digits += 2;
	}
	/* The token runs to the next delimiter so "12abc" or "1.5" is one bad number. */
	for (end = digits; end < p->len; end++) {
		char c = p->text[end];

		if (!is_key_char(c) && c != '.')
			break;
	}
	if (end == digits)
		goto invalid;
	for (i = digits; i < end; i++)
		if (hex ? hex_value(p->text[i]) < 0 : !is_digit(p->text[i]))
			goto invalid;
	if (!hex && end - digits > 1 && p->text[digits] == '0')
		return parse_error(p,
				   "number '%.*s%s' has a leading zero (xl would read it as octal)",
				   QUOTE(p->text + start, end - start));

	limit = negative ? (unsigned long long)LLONG_MAX + 1 : (unsigned long long)LLONG_MAX;
	for (i = digits; i < end; i++) {
		unsigned int d = (unsigned int)hex_value(p->text[i]);

		if (magnitude > (limit - d) / base)
			return parse_error(p, "number out of range: %.*s%s",
					   QUOTE(p->text + start, end - start));
		magnitude = magnitude * base + d;
	}
	p->pos = end;
	v->type = CFG_NUMBER;
	if (negative)
		v->number = magnitude ? -(long long)(magnitude - 1) - 1 : 0;
	else
		v->number = (long long)magnitude;
	return 0;

invalid:
	return parse_error(p, "invalid number '%.*s%s'", QUOTE(p->text + start, end - start));
}

static void value_free(struct cfg_value *v)
{
	size_t i;

	free(v->string);
	for (i = 0; i < v->nitems; i++)
		value_free(&v->items[i]);
	free(v->items);
	memset(v, 0, sizeof(*v));
}

static int parse_value(struct parser *p, struct cfg_value *v, const char *key, size_t keylen,
		       bool in_list);

/* [ v, v, ... ]: may span lines and hold comments; a trailing comma is fine. */
static int parse_list(struct parser *p, struct cfg_value *v, const char *key, size_t keylen)
{
	int open_line = p->line, ret;
	size_t cap = 0;
	char buf[16];

	v->type = CFG_LIST;
	p->pos++;
	for (;;) {
		ret = skip_blank(p, true);
		if (ret)
			return ret;
		if (at_end(p))
			goto unterminated;
		if (peek(p) == ']')
			break;
		if (v->nitems == cap) {
			size_t ncap = cap ? cap * 2 : 4;
			struct cfg_value *items = realloc(v->items, ncap * sizeof(*items));

			if (!items)
				return parse_nomem(p);
			v->items = items;
			cap = ncap;
		}
		memset(&v->items[v->nitems], 0, sizeof(v->items[0]));
		ret = parse_value(p, &v->items[v->nitems], key, keylen, true);
		if (ret) {
			/* Partly built strings are freed with the item. */
			value_free(&v->items[v->nitems]);
			return ret;
		}
		v->nitems++;

		ret = skip_blank(p, true);
		if (ret)
			return ret;
		if (at_end(p))
			goto unterminated;
		if (peek(p) == ']')
			break;
		if (peek(p) != ',')
			return parse_error(p,
					   "expected ',' or ']' in the list of '%.*s%s', found %s",
					   QUOTE(key, keylen), describe_next(p, buf, sizeof(buf)));
		p->pos++;
	}
	p->pos++;
	return 0;

unterminated:
	return parse_error_at(p, open_line, "list of '%.*s%s' is not closed with ']'",
			      QUOTE(key, keylen));
}

static int parse_value(struct parser *p, struct cfg_value *v, const char *key, size_t keylen,
		       bool in_list)
{
	char c = peek(p), buf[16];

	v->line = p->line;
	if (at_end(p) || c == '\n' || c == ';')
		return parse_error(p, "missing value for '%.*s%s'", QUOTE(key, keylen));
	if (c == '"' || c == '\'')
		return parse_string(p, v);
	if (c == '-' || c == '+' || is_digit(c))
		return parse_number(p, v);
	if (c == '[') {
		if (in_list)
			return parse_error(p, "lists cannot be nested (in '%.*s%s')",
					   QUOTE(key, keylen));
		return parse_list(p, v, key, keylen);
	}
	if (is_key_start(c)) {
		size_t end = p->pos;

		while (end < p->len && is_key_char(p->text[end]))
			end++;
		return parse_error(p,
				   "value '%.*s%s' of '%.*s%s' must be a number or a quoted string",
				   QUOTE(p->text + p->pos, end - p->pos), QUOTE(key, keylen));
	}
	return parse_error(p, "expected a value for '%.*s%s', found %s", QUOTE(key, keylen),
			   describe_next(p, buf, sizeof(buf)));
}

static size_t key_hash(const char *key)
{
	size_t h = 1469598103934665603ull; /* FNV-1a */

	for (; *key; key++)
		h = (h ^ (unsigned char)*key) * 1099511628211ull;
	return h;
}

/* The slot of key in the duplicate index: where it is, or the empty slot it would go to. */
static size_t *index_slot(struct parser *p, const char *key)
{
	size_t mask = p->index_cap - 1, i = key_hash(key) & mask;

	while (p->index[i] && strcmp(p->cfg->settings[p->index[i] - 1].key, key))
		i = (i + 1) & mask;
	return &p->index[i];
}

static int index_grow(struct parser *p)
{
	size_t old_cap = p->index_cap, *old = p->index, i;

	p->index_cap = old_cap ? old_cap * 2 : 64;
	p->index = calloc(p->index_cap, sizeof(*p->index));
	if (!p->index) {
		p->index = old;
		p->index_cap = old_cap;
		return parse_nomem(p);
	}
	for (i = 0; i < old_cap; i++)
		if (old[i])
			*index_slot(p, p->cfg->settings[old[i] - 1].key) = old[i];
	free(old);
	return 0;
}

/* key = value, up to (not including) the ';' or newline that ends it. */
static int parse_setting(struct parser *p)
{
	struct cfg *cfg = p->cfg;
	struct cfg_setting *s;
	size_t key_start = p->pos, keylen, *slot;
	const char *key = p->text + key_start;
	char buf[16];
	int ret;

	while (!at_end(p) && is_key_char(p->text[p->pos]))
		p->pos++;
	keylen = p->pos - key_start;

	ret = skip_blank(p, false);
	if (ret)
		return ret;
	if (peek(p) != '=' || at_end(p))
		return parse_error(p, "expected '=' after '%.*s%s', found %s", QUOTE(key, keylen),
				   describe_next(p, buf, sizeof(buf)));
	p->pos++;
	ret = skip_blank(p, false);
	if (ret)
		return ret;

	if (cfg->nsettings == p->settings_cap) {
		size_t ncap = p->settings_cap ? p->settings_cap * 2 : 16;
		struct cfg_setting *settings = realloc(cfg->settings, ncap * sizeof(*settings));

		if (!settings)
			return parse_nomem(p);
		cfg->settings = settings;
		p->settings_cap = ncap;
	}
	s = &cfg->settings[cfg->nsettings];
	memset(s, 0, sizeof(*s));
	s->line = p->line;
	ret = parse_value(p, &s->value, key, keylen, false);
	if (!ret) {
		ret = skip_blank(p, false);
		if (!ret && !at_end(p) && peek(p) != '\n' && peek(p) != ';')
			ret = parse_error(
				p,
				"expected ';' or end of line after the value of '%.*s%s', found %s",
				QUOTE(key, keylen), describe_next(p, buf, sizeof(buf)));
	}
	if (!ret) {
		s->key = strndup(key, keylen);
		if (!s->key)
			ret = parse_nomem(p);
	}
	if (!ret && (cfg->nsettings + 1) * 2 > p->index_cap)
		ret = index_grow(p);
	if (ret) {
		free(s->key);
		value_free(&s->value);
		return ret;
	}

	slot = index_slot(p, s->key);
	if (*slot) {
		int first = cfg->settings[*slot - 1].line;

		ret = parse_error_at(p, s->line, "key '%.*s%s' given twice (first on line %d)",
				     QUOTE(key, keylen), first);
		free(s->key);
		value_free(&s->value);
		return ret;
	}
	*slot = ++cfg->nsettings;
	return 0;
}

int cfg_parse(const char *filename, const char *text, size_t len, struct cfg *cfg, char *err,
	      size_t errlen)
{
	struct parser p = {
		.text = text,
		.len = len,
		.line = 1,
		.filename = filename ? filename : "(config)",
		.err = err,
		.errlen = errlen,
		.cfg = cfg,
	};
	const char *nul;
	char buf[16];
	int ret = 0;

	memset(cfg, 0, sizeof(*cfg));
	if (err && errlen)
		err[0] = '\0';
	if (!text)
		p.len = len = 0;

	/* NUL bytes are never valid; refusing them up front keeps the rest simple. */
	nul = len ? memchr(text, '\0', len) : NULL;
	if (nul) {
		const char *c;
		int line = 1;

		for (c = text; c < nul && line < INT_MAX; c++)
			line += *c == '\n';
		return parse_error_at(&p, line, "NUL byte in the file");
	}

	cfg->filename = strdup(p.filename);
	if (!cfg->filename)
		return parse_nomem(&p);

	while (!ret) {
		char c;

		ret = skip_blank(&p, false);
		if (ret || at_end(&p))
			break;
		c = peek(&p);
		if (c == '\n')
			ret = next_line(&p);
		else if (c == ';')
			p.pos++;
		else if (is_key_start(c))
			ret = parse_setting(&p);
		else
			ret = parse_error(&p, "expected a key, found %s",
					  describe_next(&p, buf, sizeof(buf)));
	}
	free(p.index);
	if (ret)
		cfg_free(cfg);
	return ret;
}

const struct cfg_setting *cfg_find(const struct cfg *cfg, const char *key)
{
	size_t i;

	for (i = 0; i < cfg->nsettings; i++)
		if (!strcmp(cfg->settings[i].key, key))
			return &cfg->settings[i];
	return NULL;
}

void cfg_free(struct cfg *cfg)
{
	size_t i;

	for (i = 0; i < cfg->nsettings; i++) {
		free(cfg->settings[i].key);
		value_free(&cfg->settings[i].value);
	}
	free(cfg->settings);
	free(cfg->filename);
	memset(cfg, 0, sizeof(*cfg));
}

/* ---- Files and key tables -------------------------------------------------- */

/* Read all of path into a new buffer, refusing files over CFG_FILE_MAX. */
static int config_read_file(const char *path, char **text, size_t *len, char *err, size_t errlen)
{
	size_t cap = 4096, used = 0;
	char *buf = NULL;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		goto fail;
	}
	for (;;) {
		ssize_t n;

		if (used == cap || !buf) {
			char *nbuf;

			if (buf)
				cap *= 2;
			/* One byte more than the limit tells "too big" from "exactly at it". */
			if (cap > CFG_FILE_MAX + 1)
				cap = CFG_FILE_MAX + 1;
			nbuf = realloc(buf, cap);
			if (!nbuf) {
				ret = -ENOMEM;
				goto fail;
			}
			buf = nbuf;
		}
		n = read(fd, buf + used, cap - used);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			goto fail;
		}
		if (n == 0)
			break;
		used += n;
		if (used > CFG_FILE_MAX) {
			close(fd);
			free(buf);
			set_err(err, errlen, "%s is larger than %d bytes (1 MiB)", path,
				CFG_FILE_MAX);
			return -EFBIG;
		}
	}
	close(fd);
	*text = buf;
	*len = used;
	return 0;

fail:
	if (fd >= 0)
		close(fd);
	free(buf);
	set_err(err, errlen, "cannot read %s: %s", path, strerror(-ret));
	return ret;
}

int cfg_load(const char *path, struct cfg *cfg, char *err, size_t errlen)
{
	char *text = NULL;
	size_t len = 0;
	int ret;

	memset(cfg, 0, sizeof(*cfg));
	ret = config_read_file(path, &text, &len, err, errlen);
	if (ret)
		return ret;
	ret = cfg_parse(path, text, len, cfg, err, errlen);
	free(text);
	return ret;
}

static const char *type_name(enum cfg_type type)
{
	switch (type) {
	case CFG_NUMBER:
		return "a number";
	case CFG_STRING:
		return "a string";
	case CFG_LIST:
		return "a list";
	case CFG_ANY:
		break;
	}
	return "a value";
}

static const struct cfg_key *cfg_key_find(const struct cfg_key *keys, size_t nkeys, const char *key)
{
	for (size_t k = 0; k < nkeys; k++)
		if (!strcmp(keys[k].key, key))
			return &keys[k];
	return NULL;
}

/* Apply one setting through its key (NULL: ask other); 0 or -errno with the bare reason in msg. */
static int cfg_apply_one(const struct cfg *cfg, const struct cfg_setting *s,
			 const struct cfg_key *ck, cfg_other_fn *other, void *target, char *msg,
			 size_t msglen)
{
	int ret;

	if (!ck) {
		ret = other ? other(target, cfg, s, msg, msglen) : -ENOENT;
		if (ret == -ENOENT)
			return config_error(msg, msglen, "unknown key '%.*s'", QUOTE_MAX, s->key);
		return ret;
	}
	if (ck->type != CFG_ANY && s->value.type != ck->type)
		return config_error(msg, msglen, "'%s' must be %s", ck->key, type_name(ck->type));
	return ck->apply(target, cfg, s, msg, msglen);
}

int cfg_apply_other(const struct cfg *cfg, const struct cfg_key *keys, size_t nkeys,
		    cfg_other_fn *other, void *target, char *err, size_t errlen)
{
	const char *filename = cfg->filename ? cfg->filename : "(config)";
	char msg[512];
	int ret;

	for (size_t i = 0; i < cfg->nsettings; i++) {
		const struct cfg_setting *s = &cfg->settings[i];

		msg[0] = '\0';
		ret = cfg_apply_one(cfg, s, cfg_key_find(keys, nkeys, s->key), other, target, msg,
				    sizeof(msg));
		if (ret) {
			set_err(err, errlen, "%s:%d: %s", filename, s->line, msg);
			return ret;
		}
	}
	return 0;
}

int cfg_apply(const struct cfg *cfg, const struct cfg_key *keys, size_t nkeys, void *target,
	      char *err, size_t errlen)
{
	return cfg_apply_other(cfg, keys, nkeys, NULL, target, err, errlen);
}

void cfg_warn(const struct cfg *cfg, const struct cfg_setting *s, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_warn("%s:%d: %s", cfg->filename ? cfg->filename : "(config)", s->line, msg);
}

int cfg_flag(bool *field, const struct cfg_setting *s, char *err, size_t errlen)
{
	if (s->value.number != 0 && s->value.number != 1)
		return config_error(err, errlen, "'%s' must be 0 or 1, not %lld", s->key,
				    s->value.number);
	*field = s->value.number;
	return 0;
}

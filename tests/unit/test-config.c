/* Unit tests of the xl.cfg parser and the domain configuration built from it. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/unit/unit.h"
#include "toolstack/config/domain-config.h"
#include "toolstack/config/host-config.h"
#include "vmm/guest-mem.h"
#include "vmm/x86/cpuid.h"

#define ERRLEN 512

/*
 * Parse from an exact-size heap copy with no NUL after it, so that a read
 * past len is caught by the sanitizer instead of hitting a terminator.
 */
static int parse_bytes(const char *text, size_t len, struct cfg *cfg, char *err)
{
	char *copy = malloc(len ? len : 1);
	int ret;

	ck_assert_ptr_nonnull(copy);
	memcpy(copy, text, len);
	ret = cfg_parse("t.cfg", copy, len, cfg, err, ERRLEN);
	free(copy);
	return ret;
}

static int parse_text(const char *text, struct cfg *cfg, char *err)
{
	return parse_bytes(text, strlen(text), cfg, err);
}

static void parse_ok(const char *text, struct cfg *cfg)
{
	char err[ERRLEN];
	int ret = parse_text(text, cfg, err);

	ck_assert_msg(ret == 0, "parse failed (%d): %s\n--- text:\n%s", ret, err, text);
}

/* The parse fails with "t.cfg:LINE: ..." containing what. */
static void check_parse_error_bytes(const char *text, size_t len, int line, const char *what)
{
	char err[ERRLEN], prefix[32];
	struct cfg cfg;
	int ret = parse_bytes(text, len, &cfg, err);

	ck_assert_msg(ret == -EINVAL, "expected -EINVAL for %s, got %d", what, ret);
	ck_assert_int_eq(cfg.nsettings, 0);
	ck_assert_ptr_null(cfg.settings);
	snprintf(prefix, sizeof(prefix), "t.cfg:%d: ", line);
	ck_assert_msg(!strncmp(err, prefix, strlen(prefix)), "error '%s' does not start with '%s'",
		      err, prefix);
	ck_assert_msg(strstr(err, what), "error '%s' does not contain '%s'", err, what);
}

static void check_parse_error(const char *text, int line, const char *what)
{
	check_parse_error_bytes(text, strlen(text), line, what);
}

static const struct cfg_value *find_value(const struct cfg *cfg, const char *key,
					  enum cfg_type type)
{
	const struct cfg_setting *s = cfg_find(cfg, key);

	ck_assert_msg(s, "key '%s' missing", key);
	ck_assert_int_eq(s->value.type, type);
	return &s->value;
}

static void check_number(const struct cfg *cfg, const char *key, long long n)
{
	ck_assert_int_eq(find_value(cfg, key, CFG_NUMBER)->number, n);
}

static void check_string(const struct cfg *cfg, const char *key, const char *str)
{
	ck_assert_str_eq(find_value(cfg, key, CFG_STRING)->string, str);
}

/* A sample that uses every construct; truncations and mutations start from it. */
static const char sample[] = "# kdom test domain\n"
			     "name = \"guest-1\"\n"
			     "memory = 256 ; vcpus = 2\n"
			     "\n"
			     "kernel = '/boot/vmlinuz'   # trailing comment\n"
			     "cmdline = \"console=ttyS0 quiet \\\"q\\\" \\t\\\\ it\\'s\\n\"\n"
			     "mask = 0xFF\n"
			     "offset = -42\n"
			     "pci = [ '01:00.0', # first\n"
			     "        \"02:00.0\",\n"
			     "\n"
			     "        0x10, -1,\n"
			     "      ]\n"
			     "empty = []\n"
			     "last=\"x\"";

/* ---- Parsing good files ------------------------------------------------------ */

START_TEST(test_parse_sample)
{
	const struct cfg_value *pci, *empty;
	const struct cfg_setting *s;
	struct cfg cfg;

	parse_ok(sample, &cfg);
	ck_assert_str_eq(cfg.filename, "t.cfg");
	ck_assert_int_eq(cfg.nsettings, 10);
	check_string(&cfg, "name", "guest-1");
	check_number(&cfg, "memory", 256);
	check_number(&cfg, "vcpus", 2);
	check_string(&cfg, "kernel", "/boot/vmlinuz");
	check_string(&cfg, "cmdline", "console=ttyS0 quiet \"q\" \t\\ it's\n");
	check_number(&cfg, "mask", 255);
	check_number(&cfg, "offset", -42);
	check_string(&cfg, "last", "x");

	pci = find_value(&cfg, "pci", CFG_LIST);
	ck_assert_int_eq(pci->nitems, 4);
	ck_assert_int_eq(pci->items[0].type, CFG_STRING);
	ck_assert_str_eq(pci->items[0].string, "01:00.0");
	ck_assert_int_eq(pci->items[0].line, 9);
	ck_assert_str_eq(pci->items[1].string, "02:00.0");
	ck_assert_int_eq(pci->items[1].line, 10);
	ck_assert_int_eq(pci->items[2].type, CFG_NUMBER);
	ck_assert_int_eq(pci->items[2].number, 16);
	ck_assert_int_eq(pci->items[2].line, 12);
	ck_assert_int_eq(pci->items[3].number, -1);

	empty = find_value(&cfg, "empty", CFG_LIST);
	ck_assert_int_eq(empty->nitems, 0);

	/* Settings keep file order and their lines. */
	ck_assert_str_eq(cfg.settings[0].key, "name");
	ck_assert_int_eq(cfg.settings[0].line, 2);
	s = cfg_find(&cfg, "vcpus");
	ck_assert_int_eq(s->line, 3);
	ck_assert_int_eq(cfg_find(&cfg, "empty")->line, 14);
	ck_assert_int_eq(cfg_find(&cfg, "last")->line, 15);
	ck_assert_ptr_null(cfg_find(&cfg, "absent"));
	ck_assert_ptr_null(cfg_find(&cfg, "nam"));

	cfg_free(&cfg);
	ck_assert_int_eq(cfg.nsettings, 0);
	cfg_free(&cfg); /* twice is harmless */
}
END_TEST

START_TEST(test_parse_empty_and_blank)
{
	static const char *const texts[] = {
		"", "\n\n\n", "# only a comment", "   \t \n# c\n\t\n", ";;;\n;",
	};
	struct cfg cfg;
	size_t i;

	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		parse_ok(texts[i], &cfg);
		ck_assert_int_eq(cfg.nsettings, 0);
		cfg_free(&cfg);
	}
	/* No text at all. */
	ck_assert_int_eq(cfg_parse("t.cfg", NULL, 0, &cfg, NULL, 0), 0);
	cfg_free(&cfg);
}
END_TEST

START_TEST(test_parse_spacing)
{
	struct cfg cfg;

	parse_ok("a=1;b='x';c=[1,2]\nd\t=\t-0x10\t;\n  e = 2;", &cfg);
	check_number(&cfg, "a", 1);
	check_string(&cfg, "b", "x");
	ck_assert_int_eq(find_value(&cfg, "c", CFG_LIST)->nitems, 2);
	check_number(&cfg, "d", -16);
	check_number(&cfg, "e", 2);
	cfg_free(&cfg);

	/* Keys: letters, digits, underscores; case matters. */
	parse_ok("_A1_b = 1\nKey = 2\nkey = 3\n", &cfg);
	check_number(&cfg, "_A1_b", 1);
	check_number(&cfg, "Key", 2);
	check_number(&cfg, "key", 3);
	cfg_free(&cfg);

	/* A list may open on the key's line and close anywhere; comments between items. */
	parse_ok("l = [\n# c1\n\n 'a' # c2\n , # c3\n 'b'\n\n]\nn = 1", &cfg);
	ck_assert_int_eq(find_value(&cfg, "l", CFG_LIST)->nitems, 2);
	ck_assert_int_eq(cfg_find(&cfg, "n")->line, 9);
	cfg_free(&cfg);

	/* '#' inside a string is text, not a comment. */
	parse_ok("s = \"a # b\" # real comment\nt = 'x;y'", &cfg);
	check_string(&cfg, "s", "a # b");
	check_string(&cfg, "t", "x;y");
	cfg_free(&cfg);

	/* Other quote characters need no escape; an empty string is a string. */
	parse_ok("a = \"it's\"\nb = '\"q\"'\nc = ''\nd = \"\"", &cfg);
	check_string(&cfg, "a", "it's");
	check_string(&cfg, "b", "\"q\"");
	check_string(&cfg, "c", "");
	check_string(&cfg, "d", "");
	cfg_free(&cfg);

	/* Bytes above 0x7f (UTF-8) are fine in strings and comments. */
	parse_ok("# caf\xc3\xa9\ns = 'caf\xc3\xa9'", &cfg);
	check_string(&cfg, "s", "caf\xc3\xa9");
	cfg_free(&cfg);
}
END_TEST

/* CRLF line endings are accepted: a CR is white space outside strings. */
START_TEST(test_parse_crlf)
{
	struct cfg cfg;

	parse_ok("name = \"a\"\r\nmemory = 128\r\n# c\r\nl = [ 1,\r\n 2 ]\r\n", &cfg);
	check_string(&cfg, "name", "a");
	check_number(&cfg, "memory", 128);
	ck_assert_int_eq(cfg_find(&cfg, "l")->line, 4);
	ck_assert_int_eq(find_value(&cfg, "l", CFG_LIST)->nitems, 2);
	cfg_free(&cfg);

	/* Errors count CRLF lines like LF ones. */
	check_parse_error("a = 1\r\nb = 2\r\nc 3\r\n", 3, "expected '=' after 'c'");
	/* A string does not swallow the CR of a CRLF, nor run over the line end. */
	check_parse_error("a = 'x\r\nb = 1\r\n", 1, "unterminated string");
}
END_TEST

START_TEST(test_parse_numbers)
{
	struct cfg cfg;

	parse_ok("a = 0\nb = -0\nc = +7\nd = 9223372036854775807\n"
		 "e = -9223372036854775808\nf = 0x7fffffffffffffff\n"
		 "g = -0x8000000000000000\nh = 0XaBc\ni = 0x0001\nj = 1048576\n",
		 &cfg);
	check_number(&cfg, "a", 0);
	check_number(&cfg, "b", 0);
	check_number(&cfg, "c", 7);
	check_number(&cfg, "d", LLONG_MAX);
	check_number(&cfg, "e", LLONG_MIN);
	check_number(&cfg, "f", LLONG_MAX);
	check_number(&cfg, "g", LLONG_MIN);
	check_number(&cfg, "h", 0xabc);
	check_number(&cfg, "i", 1);
	check_number(&cfg, "j", 1048576);
	cfg_free(&cfg);

	check_parse_error("a = 9223372036854775808", 1, "number out of range");
	check_parse_error("a = -9223372036854775809", 1, "number out of range");
	check_parse_error("a = 0x8000000000000000", 1, "number out of range");
	check_parse_error("a = -0x8000000000000001", 1, "number out of range");
	check_parse_error("\n\na = 99999999999999999999999999999999", 3, "number out of range");
	check_parse_error("a = 0x10000000000000000", 1, "number out of range");
	check_parse_error("a = [ 1,\n 18446744073709551616 ]", 2, "number out of range");
	check_parse_error("a = 12abc", 1, "invalid number '12abc'");
	check_parse_error("a = 1.5", 1, "invalid number '1.5'");
	check_parse_error("a = 0x", 1, "invalid number '0x'");
	check_parse_error("a = 0xg", 1, "invalid number '0xg'");
	check_parse_error("a = 1_000", 1, "invalid number");
	check_parse_error("a = 010", 1, "leading zero");
	check_parse_error("a = -", 1, "expected digits after '-'");
	check_parse_error("a = - 1", 1, "expected digits after '-'");
	check_parse_error("a = +x", 1, "expected digits after '+'");
	check_parse_error("a = --1", 1, "expected digits after '-'");
}
END_TEST

START_TEST(test_parse_strings)
{
	struct cfg cfg;

	parse_ok("a = '\\\\\\\"\\'\\n\\t'\nb = \"\\\\\"\nc = 'tab\there'", &cfg);
	check_string(&cfg, "a", "\\\"'\n\t");
	check_string(&cfg, "b", "\\");
	check_string(&cfg, "c", "tab\there");
	cfg_free(&cfg);

	check_parse_error("\n\n\n\na = \"abc", 5, "unterminated string");
	check_parse_error("a = 'abc\"", 1, "unterminated string");
	check_parse_error("a = \"abc\ndef\"", 1, "unterminated string");
	check_parse_error("a = \"abc\\", 1, "unterminated string");
	check_parse_error("a = \"abc\\\"", 1, "unterminated string");
	check_parse_error("a = \"abc\\\ndef\"", 1, "unterminated string");
	check_parse_error("a = \"a\\qb\"", 1, "unknown escape '\\q'");
	check_parse_error("a = \"\\x41\"", 1, "unknown escape '\\x'");
	check_parse_error("a = \"\\0\"", 1, "unknown escape '\\0'");
	check_parse_error("a = \"\\\x01\"", 1, "unknown escape");
	check_parse_error("\na = [ 'ok', 'bad\\r' ]", 2, "unknown escape '\\r'");
	check_parse_error("a = [ 'ok',\n 'open ]\n", 2, "unterminated string");
}
END_TEST

START_TEST(test_parse_errors)
{
	static const struct {
		const char *text;
		int line;
		const char *what;
	} cases[] = {
		{ "memory 5", 1, "expected '=' after 'memory', found '5'" },
		{ "\n\nmemory\n= 5", 3, "expected '=' after 'memory', found end of line" },
		{ "memory", 1, "expected '=' after 'memory', found end of file" },
		{ "memory == 5", 1, "expected a value for 'memory', found '='" },
		{ "memory =", 1, "missing value for 'memory'" },
		{ "memory = # comment\n", 1, "missing value for 'memory'" },
		{ "memory = ;", 1, "missing value for 'memory'" },
		{ "memory =\n5", 1, "missing value for 'memory'" },
		{ "a = 1 2", 1, "expected ';' or end of line after the value of 'a', found '2'" },
		{ "a = 'x' 'y'", 1, "after the value of 'a'" },
		{ "a = 1 b = 2", 1, "after the value of 'a'" },
		{ "name = guest", 1,
		  "value 'guest' of 'name' must be a number or a quoted string" },
		{ "a = 1\n2 = 3", 2, "expected a key, found '2'" },
		{ "= 3", 1, "expected a key, found '='" },
		{ "a-b = 3", 1, "expected '=' after 'a', found '-'" },
		{ "a.b = 3", 1, "expected '=' after 'a', found '.'" },
		{ "\"a\" = 3", 1, "expected a key, found '\"'" },
		{ "a = 1\n\xff = 2", 2, "expected a key, found byte 0xff" },
		{ "a = \x01", 1, "expected a value for 'a', found byte 0x01" },
		{ "a = {1}", 1, "expected a value for 'a', found '{'" },
		{ "memory = 1\nvcpus = 2\nmemory = 3", 3,
		  "key 'memory' given twice (first on line 1)" },
		{ "a = 1; a = 2", 1, "key 'a' given twice (first on line 1)" },
		{ "a = [1,\n2\n", 1, "list of 'a' is not closed with ']'" },
		{ "\na = [", 2, "list of 'a' is not closed with ']'" },
		{ "a = [1,", 1, "not closed" },
		{ "a = [ [1] ]", 1, "lists cannot be nested" },
		{ "a = [ 1 2 ]", 1, "expected ',' or ']' in the list of 'a', found '2'" },
		{ "a = [ 1;2 ]", 1, "expected ',' or ']' in the list of 'a', found ';'" },
		{ "a = [ , 1 ]", 1, "expected a value for 'a', found ','" },
		{ "a = [ 1,, ]", 1, "expected a value for 'a', found ','" },
		{ "a = [ 1 ] 2", 1, "after the value of 'a'" },
		{ "a = [ x ]", 1, "value 'x' of 'a' must be a number or a quoted string" },
		{ "a = [\n\n\n  1,\n  = ]", 5, "found '='" },
		{ "a = ]", 1, "found ']'" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_parse_error(cases[i].text, cases[i].line, cases[i].what);
}
END_TEST

START_TEST(test_parse_nul)
{
	static const char text1[] = "a = 1\nb = \"x\0y\"\n";
	static const char text2[] = "\0";
	static const char text3[] = "a = 1\n\n# comment \0\n";
	static const char text4[] = "a = 1\0";

	check_parse_error_bytes(text1, sizeof(text1) - 1, 2, "NUL byte");
	check_parse_error_bytes(text2, sizeof(text2) - 1, 1, "NUL byte");
	check_parse_error_bytes(text3, sizeof(text3) - 1, 3, "NUL byte");
	check_parse_error_bytes(text4, sizeof(text4) - 1, 1, "NUL byte");
}
END_TEST

/* The error buffer may be tiny or absent; messages are cut, never overflowed. */
START_TEST(test_parse_small_err)
{
	char err[8];
	struct cfg cfg;

	memset(err, 'x', sizeof(err));
	ck_assert_int_eq(cfg_parse("t.cfg", "a 1", 3, &cfg, err, 1), -EINVAL);
	ck_assert_int_eq(err[0], '\0');
	ck_assert_int_eq(err[1], 'x');
	ck_assert_int_eq(cfg_parse("t.cfg", "a 1", 3, &cfg, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "t.cfg:1");
	ck_assert_int_eq(cfg_parse("t.cfg", "a 1", 3, &cfg, NULL, 0), -EINVAL);
	ck_assert_int_eq(cfg_parse(NULL, "a 1", 3, &cfg, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "(config");
}
END_TEST

/* Long lines, long keys, many keys and deep garbage are handled in bounded memory and time. */
START_TEST(test_parse_big)
{
	size_t n = 200000, len;
	char err[ERRLEN];
	struct cfg cfg;
	char *text = malloc(n + 64);

	ck_assert_ptr_nonnull(text);

	/* A 200 kB string value. */
	len = (size_t)sprintf(text, "s = '");
	memset(text + len, 'v', n);
	len += n;
	len += (size_t)sprintf(text + len, "'\n");
	ck_assert_int_eq(parse_bytes(text, len, &cfg, err), 0);
	ck_assert_int_eq(strlen(find_value(&cfg, "s", CFG_STRING)->string), n);
	cfg_free(&cfg);

	/* A 200 kB key: parsed, and quoted cut short in messages. */
	memset(text, 'k', n);
	len = n + (size_t)sprintf(text + n, " = 1\n");
	ck_assert_int_eq(parse_bytes(text, len, &cfg, err), 0);
	ck_assert_int_eq(strlen(cfg.settings[0].key), n);
	cfg_free(&cfg);
	len = n + (size_t)sprintf(text + n, " 1\n");
	ck_assert_int_eq(parse_bytes(text, len, &cfg, err), -EINVAL);
	ck_assert_int_lt(strlen(err), 200);
	ck_assert_ptr_nonnull(strstr(err, "kkk...'"));

	/* Deep garbage: nested brackets, endless signs, unclosed quotes. */
	len = (size_t)sprintf(text, "a = ");
	memset(text + len, '[', n);
	ck_assert_int_eq(parse_bytes(text, len + n, &cfg, err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "nested"));
	memset(text + len, '-', n);
	ck_assert_int_eq(parse_bytes(text, len + n, &cfg, err), -EINVAL);
	memset(text + len, '"', n);
	ck_assert_int_eq(parse_bytes(text, len + n, &cfg, err), -EINVAL);
	memset(text + len, '9', n);
	ck_assert_int_eq(parse_bytes(text, len + n, &cfg, err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "number out of range"));
	free(text);
}
END_TEST

START_TEST(test_parse_many_keys)
{
	size_t nkeys = 20000, i, len = 0;
	char err[ERRLEN], *text = malloc(nkeys * 24 + 64);
	struct cfg cfg;

	ck_assert_ptr_nonnull(text);
	for (i = 0; i < nkeys; i++)
		len += (size_t)sprintf(text + len, "key_%zu = %zu\n", i, i);
	ck_assert_int_eq(parse_bytes(text, len, &cfg, err), 0);
	ck_assert_int_eq(cfg.nsettings, nkeys);
	for (i = 0; i < nkeys; i += 997) {
		char key[32];

		snprintf(key, sizeof(key), "key_%zu", i);
		check_number(&cfg, key, (long long)i);
	}
	cfg_free(&cfg);

	/* A duplicate at the end is found, naming the first line. */
	len += (size_t)sprintf(text + len, "key_12345 = 0\n");
	check_parse_error_bytes(text, len, (int)nkeys + 1,
				"key 'key_12345' given twice (first on line 12346)");
	free(text);
}
END_TEST

/* Every prefix of a valid file parses or fails with a proper message, without leaks. */
START_TEST(test_parse_truncations)
{
	size_t len = sizeof(sample) - 1, cut;
	char err[ERRLEN];
	struct cfg cfg;

	for (cut = 0; cut <= len; cut++) {
		int ret = parse_bytes(sample, cut, &cfg, err);

		ck_assert_msg(ret == 0 || ret == -EINVAL, "cut %zu: %d", cut, ret);
		if (ret) {
			ck_assert_msg(!strncmp(err, "t.cfg:", 6) && strlen(err) > 8,
				      "cut %zu: bad message '%s'", cut, err);
			ck_assert_int_eq(cfg.nsettings, 0);
		} else {
			ck_assert_int_le(cfg.nsettings, 10);
			cfg_free(&cfg);
		}
	}
}
END_TEST

static uint64_t rng_next(uint64_t *state)
{
	/* xorshift64*: deterministic, so a failure is reproducible. */
	*state ^= *state >> 12;
	*state ^= *state << 25;
	*state ^= *state >> 27;
	return *state * 2685821657736338717ull;
}

/* Sanity of a successful parse: every setting is whole. */
static void check_cfg_sane(const struct cfg *cfg)
{
	size_t i, j;

	for (i = 0; i < cfg->nsettings; i++) {
		const struct cfg_setting *s = &cfg->settings[i];

		ck_assert_ptr_nonnull(s->key);
		ck_assert_int_gt(strlen(s->key), 0);
		ck_assert_int_ge(s->line, 1);
		ck_assert_ptr_eq(cfg_find(cfg, s->key), s);
		if (s->value.type == CFG_STRING)
			ck_assert_ptr_nonnull(s->value.string);
		if (s->value.type == CFG_LIST)
			for (j = 0; j < s->value.nitems; j++)
				ck_assert_int_ne(s->value.items[j].type, CFG_LIST);
	}
}

static void fuzz_one(const char *text, size_t len)
{
	char err[ERRLEN];
	struct cfg cfg;
	int ret = parse_bytes(text, len, &cfg, err);

	ck_assert_msg(ret == 0 || ret == -EINVAL, "fuzz: %d", ret);
	if (ret) {
		ck_assert_msg(!strncmp(err, "t.cfg:", 6), "fuzz: bad message '%s'", err);
	} else {
		check_cfg_sane(&cfg);
		cfg_free(&cfg);
	}
}

START_TEST(test_parse_fuzz)
{
	/* Bytes weighted toward the syntax so that inputs get past the first token. */
	static const char alphabet[] = "ab_Z09x-+ \t\r\n\n\n===;;,,[[]]'\"\\#ntq.\x01\xff";
	uint64_t state = 0x6b646f6d2d636667ull;
	char buf[256];
	int round;

	for (round = 0; round < 6000; round++) {
		size_t len = rng_next(&state) % sizeof(buf), i;

		for (i = 0; i < len; i++) {
			uint64_t r = rng_next(&state);

			buf[i] = r % 8 ? alphabet[(r >> 8) % (sizeof(alphabet) - 1)]
				       : (char)(r >> 16);
		}
		fuzz_one(buf, len);
	}

	/* Mutations of the sample: a few bytes replaced, dropped or duplicated. */
	for (round = 0; round < 4000; round++) {
		size_t len = sizeof(sample) - 1, edits = 1 + rng_next(&state) % 4, e;
		char mutated[sizeof(sample) * 2];

		memcpy(mutated, sample, len);
		for (e = 0; e < edits && len > 0; e++) {
			uint64_t r = rng_next(&state);
			size_t at = (r >> 8) % len;

			switch (r % 3) {
			case 0:
				mutated[at] = r % 16 ? alphabet[(r >> 32) % (sizeof(alphabet) - 1)]
						     : (char)(r >> 40);
				break;
			case 1:
				memmove(mutated + at, mutated + at + 1, len - at - 1);
				len--;
				break;
			default:
				if (len < sizeof(mutated)) {
					memmove(mutated + at + 1, mutated + at, len - at);
					len++;
				}
				break;
			}
		}
		fuzz_one(mutated, len);
	}
}
END_TEST

/* ---- Domain configuration ------------------------------------------------------ */

static int apply_text(struct domain_config *dc, const char *text, char *err)
{
	struct cfg cfg;
	int ret;

	ret = parse_text(text, &cfg, err);
	ck_assert_msg(ret == 0, "parse failed: %s", err);
	ret = domain_config_apply(dc, &cfg, err, ERRLEN);
	cfg_free(&cfg);
	return ret;
}

/* Applying text fails with exactly msg. */
static void check_apply_error(const char *text, const char *msg)
{
	struct domain_config dc;
	char err[ERRLEN];
	int ret;

	domain_config_init(&dc);
	ret = apply_text(&dc, text, err);
	ck_assert_msg(ret == -EINVAL, "expected -EINVAL for '%s', got %d", text, ret);
	ck_assert_str_eq(err, msg);
	domain_config_free(&dc);
}

START_TEST(test_domain_defaults)
{
	struct domain_config dc;
	char err[ERRLEN];

	domain_config_init(&dc);
	ck_assert_str_eq(dc.name, "kdom");
	ck_assert_int_eq(dc.memory_mib, DOMAIN_MEMORY_DEFAULT_MIB);
	ck_assert_int_eq(dc.vcpus, 1);
	ck_assert_ptr_null(dc.kernel);
	ck_assert_ptr_null(dc.ramdisk);
	ck_assert_ptr_null(dc.cmdline);
	ck_assert_int_eq(domain_config_validate(&dc, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "no kernel given");
	ck_assert_int_eq(apply_text(&dc, "", err), 0);
	ck_assert_str_eq(dc.name, "kdom");
	domain_config_free(&dc);
	domain_config_free(&dc);
}
END_TEST

START_TEST(test_domain_apply)
{
	struct domain_config dc;
	char err[ERRLEN];

	domain_config_init(&dc);
	ck_assert_int_eq(apply_text(&dc,
				    "name = 'web_01.prod-a'\n"
				    "memory = 0x200\n"
				    "vcpus = 8\n"
				    "kernel = \"/boot/bzImage\"\n"
				    "ramdisk = '/boot/initrd.img'\n"
				    "cmdline = 'console=ttyS0 root=/dev/vda'\n",
				    err),
			 0);
	ck_assert_str_eq(dc.name, "web_01.prod-a");
	ck_assert_int_eq(dc.memory_mib, 512);
	ck_assert_int_eq(dc.vcpus, 8);
	ck_assert_str_eq(dc.kernel, "/boot/bzImage");
	ck_assert_str_eq(dc.ramdisk, "/boot/initrd.img");
	ck_assert_str_eq(dc.cmdline, "console=ttyS0 root=/dev/vda");
	ck_assert_int_eq(domain_config_validate(&dc, err, sizeof(err)), 0);

	/* A second file overrides the first (strings replaced, not leaked). */
	ck_assert_int_eq(apply_text(&dc, "kernel = '/k2'\nmemory = 2\nvcpus = 1", err), 0);
	ck_assert_str_eq(dc.kernel, "/k2");
	ck_assert_int_eq(dc.memory_mib, 2);
	ck_assert_int_eq(dc.vcpus, 1);
	ck_assert_int_eq(apply_text(&dc, "memory = 1048576\nname = 'x'", err), 0);
	ck_assert_int_eq(dc.memory_mib, GMEM_MAX_MIB);
	ck_assert_str_eq(dc.name, "x");
	domain_config_free(&dc);
	ck_assert_ptr_null(dc.kernel);
}
END_TEST

START_TEST(test_domain_errors)
{
	check_apply_error("memory = 64\nfoo = 1", "t.cfg:2: unknown key 'foo'");
	check_apply_error("\n\nmemory = '64'", "t.cfg:3: 'memory' must be a number");
	check_apply_error("vcpus = [1]", "t.cfg:1: 'vcpus' must be a number");
	check_apply_error("name = 5", "t.cfg:1: 'name' must be a string");
	check_apply_error("kernel = ['a']", "t.cfg:1: 'kernel' must be a string");
	check_apply_error("cmdline = 0", "t.cfg:1: 'cmdline' must be a string");
	check_apply_error("extra = 0", "t.cfg:1: 'extra' must be a string");
	check_apply_error("ramdisk = 0", "t.cfg:1: 'ramdisk' must be a string");
	check_apply_error("# mem\nmemory = 1", "t.cfg:2: memory 1 MiB out of range (2 to 1048576)");
	check_apply_error("memory = 1048577",
			  "t.cfg:1: memory 1048577 MiB out of range (2 to 1048576)");
	check_apply_error("memory = -5", "t.cfg:1: memory -5 MiB out of range (2 to 1048576)");
	check_apply_error("memory = -9223372036854775808",
			  "t.cfg:1: memory -9223372036854775808 MiB out of range (2 to 1048576)");
	check_apply_error("vcpus = 0", "t.cfg:1: vcpus 0 out of range (1 to 8)");
	check_apply_error("vcpus = 9", "t.cfg:1: vcpus 9 out of range (1 to 8)");
	check_apply_error("vcpus = 0x100000001", "t.cfg:1: vcpus 4294967297 out of range (1 to 8)");
	check_apply_error("name = ''", "t.cfg:1: name must be 1 to 63 characters long (is 0)");
	check_apply_error("name = "
			  "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'",
			  "t.cfg:1: name must be 1 to 63 characters long (is 64)");
	check_apply_error("name = 'a b'",
			  "t.cfg:1: name 'a b' may only contain letters, digits, '_', '.' and '-'");
	check_apply_error("name = 'a/b'",
			  "t.cfg:1: name 'a/b' may only contain letters, digits, '_', '.' and '-'");
	check_apply_error("kernel = ''", "t.cfg:1: 'kernel' must not be empty");
	check_apply_error("ramdisk = ''", "t.cfg:1: 'ramdisk' must not be empty");
}
END_TEST

START_TEST(test_domain_name_limits)
{
	struct domain_config dc;
	char err[ERRLEN], name[DOMAIN_NAME_MAX + 1];

	domain_config_init(&dc);
	memset(name, 'n', DOMAIN_NAME_MAX - 1);
	name[DOMAIN_NAME_MAX - 1] = '\0';
	ck_assert_int_eq(domain_config_set_name(&dc, name, err, sizeof(err)), 0);
	ck_assert_str_eq(dc.name, name);
	name[DOMAIN_NAME_MAX - 1] = 'n';
	name[DOMAIN_NAME_MAX] = '\0';
	ck_assert_int_eq(domain_config_set_name(&dc, name, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(strlen(dc.name), DOMAIN_NAME_MAX - 1); /* unchanged */
	ck_assert_int_eq(domain_config_set_name(&dc, "a\xc3\xa9", err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(domain_config_set_name(&dc, "-", err, sizeof(err)), 0);
	domain_config_free(&dc);
}
END_TEST

/* The setters serve `kdom run` options too: plain messages, no FILE:LINE. */
START_TEST(test_domain_setters)
{
	struct domain_config dc;
	char err[ERRLEN];
	char *field = NULL;

	domain_config_init(&dc);
	ck_assert_int_eq(domain_config_set_memory(&dc, 1, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "memory 1 MiB out of range (2 to 1048576)");
	ck_assert_int_eq(dc.memory_mib, DOMAIN_MEMORY_DEFAULT_MIB);
	ck_assert_int_eq(domain_config_set_memory(&dc, 2, err, sizeof(err)), 0);
	ck_assert_int_eq(dc.memory_mib, 2);
	ck_assert_int_eq(domain_config_set_vcpus(&dc, 9, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "vcpus 9 out of range (1 to 8)");
	ck_assert_int_eq(domain_config_set_vcpus(&dc, DOMAIN_VCPUS_MAX, err, sizeof(err)), 0);
	ck_assert_int_eq(dc.vcpus, DOMAIN_VCPUS_MAX);
	ck_assert_int_eq(domain_config_set_name(&dc, "a:b", err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "name 'a:b' may only contain letters, digits, '_', '.' and '-'");
	/* A NULL or empty err buffer is fine. */
	ck_assert_int_eq(domain_config_set_vcpus(&dc, 0, NULL, 0), -EINVAL);

	ck_assert_int_eq(domain_config_set_string(&field, "one"), 0);
	ck_assert_int_eq(domain_config_set_string(&field, "two"), 0);
	ck_assert_str_eq(field, "two");
	ck_assert_int_eq(domain_config_set_string(&field, NULL), 0);
	ck_assert_ptr_null(field);

	ck_assert_int_eq(domain_config_set_cmdline(&dc, "quiet", err, sizeof(err)), 0);
	ck_assert_str_eq(dc.cmdline, "quiet");
	ck_assert_int_eq(domain_config_set_cmdline(&dc, NULL, err, sizeof(err)), 0);
	ck_assert_ptr_null(dc.cmdline);
	domain_config_free(&dc);
}
END_TEST

START_TEST(test_domain_cmdline_extra)
{
	struct domain_config dc;
	char err[ERRLEN], *text;
	size_t len;

	domain_config_init(&dc);
	ck_assert_int_eq(apply_text(&dc, "extra = 'console=hvc0'", err), 0);
	ck_assert_str_eq(dc.cmdline, "console=hvc0");
	ck_assert_int_eq(apply_text(&dc, "cmdline = ''", err), 0);
	ck_assert_str_eq(dc.cmdline, "");
	domain_config_free(&dc);

	check_apply_error("cmdline = 'a'\nmemory = 64\nextra = 'b'",
			  "t.cfg:1: 'cmdline' and 'extra' are both given ('extra' on line 3); "
			  "give only one");
	check_apply_error("extra = 'b'\ncmdline = 'a'",
			  "t.cfg:1: 'cmdline' and 'extra' are both given ('cmdline' on line 2); "
			  "give only one");

	/* At most DOMAIN_CMDLINE_MAX bytes. */
	text = malloc(DOMAIN_CMDLINE_MAX + 32);
	ck_assert_ptr_nonnull(text);
	len = (size_t)sprintf(text, "cmdline = '");
	memset(text + len, 'c', DOMAIN_CMDLINE_MAX);
	strcpy(text + len + DOMAIN_CMDLINE_MAX, "'");
	domain_config_init(&dc);
	ck_assert_int_eq(apply_text(&dc, text, err), 0);
	ck_assert_int_eq(strlen(dc.cmdline), DOMAIN_CMDLINE_MAX);
	domain_config_free(&dc);
	memset(text + len, 'c', DOMAIN_CMDLINE_MAX + 1);
	strcpy(text + len + DOMAIN_CMDLINE_MAX + 1, "'");
	check_apply_error(text, "t.cfg:1: command line is 4096 bytes long, at most 4095 allowed");
	/* The same limit through 'extra' (same length as "cmdline = '"). */
	memcpy(text, "  extra = '", len);
	check_apply_error(text, "t.cfg:1: command line is 4096 bytes long, at most 4095 allowed");
	free(text);
}
END_TEST

/* A scratch directory for load() tests, removed by the test. */
static void write_file(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
	close(fd);
}

START_TEST(test_domain_load)
{
	char dir[] = "/tmp/kdom-test-config.XXXXXX", path[128], expect[256], err[ERRLEN];
	size_t big = 1024 * 1024, i;
	struct domain_config dc;
	char *text;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/kdom.cfg", dir);

	/* Missing file. */
	domain_config_init(&dc);
	ck_assert_int_eq(domain_config_load(&dc, path, err, sizeof(err)), -ENOENT);
	snprintf(expect, sizeof(expect), "cannot read %s: No such file or directory", path);
	ck_assert_str_eq(err, expect);

	/* A directory. */
	ck_assert_int_eq(domain_config_load(&dc, dir, err, sizeof(err)), -EISDIR);
	ck_assert_ptr_nonnull(strstr(err, "cannot read"));

	/* A good file. */
	{
		static const char good[] = "name = 'loaded'\nmemory = 128\nvcpus = 2\n"
					   "kernel = '/boot/k'\nextra = 'quiet'\n";
		write_file(path, good, sizeof(good) - 1);
	}
	ck_assert_int_eq(domain_config_load(&dc, path, err, sizeof(err)), 0);
	ck_assert_str_eq(dc.name, "loaded");
	ck_assert_int_eq(dc.memory_mib, 128);
	ck_assert_int_eq(dc.vcpus, 2);
	ck_assert_str_eq(dc.kernel, "/boot/k");
	ck_assert_str_eq(dc.cmdline, "quiet");
	ck_assert_int_eq(domain_config_validate(&dc, err, sizeof(err)), 0);
	domain_config_free(&dc);

	/* Syntax and key errors carry the path as FILE. */
	write_file(path, "memory = 64\nmemory 5\n", 21);
	domain_config_init(&dc);
	ck_assert_int_eq(domain_config_load(&dc, path, err, sizeof(err)), -EINVAL);
	snprintf(expect, sizeof(expect), "%s:2: expected '=' after 'memory'", path);
	ck_assert_msg(!strncmp(err, expect, strlen(expect)), "'%s'", err);
	write_file(path, "\nbogus = 1\n", 11);
	ck_assert_int_eq(domain_config_load(&dc, path, err, sizeof(err)), -EINVAL);
	snprintf(expect, sizeof(expect), "%s:2: unknown key 'bogus'", path);
	ck_assert_str_eq(err, expect);
	domain_config_free(&dc);

	/* Exactly 1 MiB is read; one byte more is refused. */
	text = malloc(big + 1);
	ck_assert_ptr_nonnull(text);
	for (i = 0; i < big + 1; i++)
		text[i] = i % 64 == 63 ? '\n' : '#';
	memcpy(text, "vcpus = 3\n", 10);
	write_file(path, text, big);
	domain_config_init(&dc);
	ck_assert_int_eq(domain_config_load(&dc, path, err, sizeof(err)), 0);
	ck_assert_int_eq(dc.vcpus, 3);
	write_file(path, text, big + 1);
	ck_assert_int_eq(domain_config_load(&dc, path, err, sizeof(err)), -EFBIG);
	snprintf(expect, sizeof(expect), "%s is larger than 1048576 bytes", path);
	ck_assert_msg(!strncmp(err, expect, strlen(expect)), "'%s'", err);
	domain_config_free(&dc);
	free(text);

	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

START_TEST(test_domain_role_keys)
{
	struct domain_config dc;
	char err[ERRLEN];

	domain_config_init(&dc);
	ck_assert_int_eq(dc.domid, DOMAIN_DOMID_ANY);
	ck_assert(!dc.control && !dc.hardware);
	ck_assert_int_eq(apply_text(&dc, "domid = 0\ncontrol = 1\nhardware = 1\n", err), 0);
	ck_assert_int_eq(dc.domid, 0);
	ck_assert(dc.control && dc.hardware);
	domain_config_free(&dc);

	domain_config_init(&dc);
	ck_assert_int_eq(apply_text(&dc, "domid = 32751\ncontrol = 0\n", err), 0);
	ck_assert_int_eq(dc.domid, 32751);
	ck_assert(!dc.control);
	domain_config_free(&dc);

	check_apply_error("domid = 32752\n", "t.cfg:1: domid 32752 out of range (0 to 32751)");
	check_apply_error("domid = -1\n", "t.cfg:1: domid -1 out of range (0 to 32751)");
	check_apply_error("\ncontrol = 2\n", "t.cfg:2: 'control' must be 0 or 1, not 2");
	check_apply_error("hardware = \"yes\"\n", "t.cfg:1: 'hardware' must be a number");
	check_apply_error("pit = 3\n", "t.cfg:1: 'pit' must be 0 or 1, not 3");

	domain_config_init(&dc);
	ck_assert(dc.pit);
	ck_assert_int_eq(apply_text(&dc, "pit = 0\n", err), 0);
	ck_assert(!dc.pit);
	domain_config_free(&dc);
}
END_TEST

/* `virtio_rng = 1` asks for the entropy device; off by default. */
START_TEST(test_domain_virtio_rng_key)
{
	struct domain_config dc;
	char err[ERRLEN];

	domain_config_init(&dc);
	ck_assert(!dc.virtio_rng);
	ck_assert_int_eq(apply_text(&dc, "virtio_rng = 1\n", err), 0);
	ck_assert(dc.virtio_rng);
	domain_config_free(&dc);
	check_apply_error("virtio_rng = 2\n", "t.cfg:1: 'virtio_rng' must be 0 or 1, not 2");
}
END_TEST

/* `pci =`: each spec kept as text (canonical BDF) and parsed, for pass-through to read. */
START_TEST(test_domain_pci_key)
{
	struct domain_config dc;
	char err[ERRLEN];

	domain_config_init(&dc);
	ck_assert_int_eq(apply_text(&dc, "pci = [ '03:00.1', 'vfio-user:/run/d.sock' ]\n", err), 0);
	ck_assert_uint_eq(dc.nr_pci, 2);
	ck_assert_str_eq(dc.pci[0], "0000:03:00.1");
	ck_assert_int_eq(dc.pci_spec[0].kind, PCI_SPEC_HOST);
	ck_assert_uint_eq(dc.pci_spec[0].bus, 3);
	ck_assert_uint_eq(dc.pci_spec[0].dev, 0);
	ck_assert_uint_eq(dc.pci_spec[0].fn, 1);
	ck_assert_str_eq(dc.pci_spec[0].bdf, "0000:03:00.1");
	ck_assert_str_eq(dc.pci[1], "vfio-user:/run/d.sock");
	ck_assert_int_eq(dc.pci_spec[1].kind, PCI_SPEC_VFIO_USER);
	ck_assert_str_eq(dc.pci_spec[1].path, "/run/d.sock");
	domain_config_free(&dc);

	check_apply_error("pci = [ '03:00.0', '0000:03:00.0' ]\n",
			  "t.cfg:1: pci '0000:03:00.0' is given twice");
}
END_TEST

START_TEST(test_domain_cpuid_key)
{
	struct domain_config dc;
	char err[ERRLEN];

	domain_config_init(&dc);
	ck_assert_ptr_null(dc.cpuid);
	ck_assert_int_eq(apply_text(&dc, "cpuid = \"host,sse4_2=0,aes=0\"\n", err), 0);
	ck_assert_ptr_nonnull(dc.cpuid);
	ck_assert_uint_eq(dc.cpuid->count, 2);
	domain_config_free(&dc);
	ck_assert_ptr_null(dc.cpuid);

	/* The on_* actions: xl's defaults, each value, a bad one. */
	domain_config_init(&dc);
	ck_assert_int_eq(dc.on[DOMAIN_SHUTDOWN_POWEROFF], DOMAIN_ACTION_DESTROY);
	ck_assert_int_eq(dc.on[DOMAIN_SHUTDOWN_REBOOT], DOMAIN_ACTION_RESTART);
	ck_assert_int_eq(dc.on[DOMAIN_SHUTDOWN_CRASH], DOMAIN_ACTION_DESTROY);
	ck_assert_int_eq(dc.on[DOMAIN_SHUTDOWN_WATCHDOG], DOMAIN_ACTION_DESTROY);
	ck_assert_int_eq(apply_text(&dc,
				    "on_poweroff = 'preserve'\non_reboot = 'destroy'\n"
				    "on_crash = 'rename-restart'\non_watchdog = 'restart'\n",
				    err),
			 0);
	ck_assert_int_eq(dc.on[DOMAIN_SHUTDOWN_POWEROFF], DOMAIN_ACTION_PRESERVE);
	ck_assert_int_eq(dc.on[DOMAIN_SHUTDOWN_REBOOT], DOMAIN_ACTION_DESTROY);
	ck_assert_int_eq(dc.on[DOMAIN_SHUTDOWN_CRASH], DOMAIN_ACTION_RENAME_RESTART);
	ck_assert_int_eq(dc.on[DOMAIN_SHUTDOWN_WATCHDOG], DOMAIN_ACTION_RESTART);
	domain_config_free(&dc);
	check_apply_error(
		"on_crash = 'coredump-destroy'\n",
		"t.cfg:1: on_crash 'coredump-destroy' is not destroy, restart, preserve or "
		"rename-restart");
	check_apply_error("\ncpuid = \"host,nosuch=1\"\n",
			  "t.cfg:2: cpuid: unknown feature 'nosuch'");
	check_apply_error("cpuid = 1\n", "t.cfg:1: 'cpuid' must be a string");
}
END_TEST

/* The host configuration: defaults, every key, errors with FILE:LINE, where it is looked for. */
START_TEST(test_host_config)
{
	char dir[] = "/tmp/kdom-test-host.XXXXXX", path[128], expect[256], err[ERRLEN];
	struct host_config hc;
	struct policy_host ph;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/host.cfg", dir);
	unsetenv(HOST_CONFIG_ENV);

	/* An explicit file that is missing is an error. */
	ck_assert_int_eq(host_config_load(&hc, path, err, sizeof(err)), -ENOENT);
	snprintf(expect, sizeof(expect), "cannot read %s: No such file or directory", path);
	ck_assert_str_eq(err, expect);

	/* Defaults, from an empty file. */
	write_file(path, "", 0);
	ck_assert_int_eq(host_config_load(&hc, path, err, sizeof(err)), 0);
	ck_assert_int_eq(hc.hardware_domid, -1);
	ck_assert(!hc.pit_host_access && !hc.hwdom_vcpus_pin && hc.driver_domains);
	ck_assert_uint_eq(hc.hwdom_irq_budget, HOST_HWDOM_IRQ_BUDGET_DEFAULT);
	ck_assert_uint_eq(hc.domain_irq_budget, HOST_DOMAIN_IRQ_BUDGET_DEFAULT);
	ck_assert_ptr_null(hc.pit_host_ports);
	ck_assert_str_eq(hc.path, path);
	host_config_free(&hc);

	/* Every key, found through the environment. */
	static const char all[] = "hardware_domid = 5\npit_host_access = 1\n"
				  "pit_host_ports = \"simulated:/tmp/x.log\"\n"
				  "hwdom_vcpus_pin = 1\ndriver_domains = 0\n"
				  "hwdom_crash = \"reboot\"\n"
				  "hwdom_irq_budget = 300\ndomain_irq_budget = 4\n";
	write_file(path, all, sizeof(all) - 1);
	setenv(HOST_CONFIG_ENV, path, 1);
	ck_assert_int_eq(host_config_load(&hc, NULL, err, sizeof(err)), 0);
	unsetenv(HOST_CONFIG_ENV);
	ck_assert_int_eq(hc.hardware_domid, 5);
	ck_assert(hc.pit_host_access && hc.hwdom_vcpus_pin && !hc.driver_domains);
	ck_assert_str_eq(hc.pit_host_ports, "simulated:/tmp/x.log");
	ck_assert_int_eq(hc.hwdom_crash, HOST_CRASH_REBOOT);
	ph = host_config_policy(&hc);
	ck_assert(ph.pit_host_access && ph.hwdom_vcpus_pin && !ph.driver_domains_allowed);
	ck_assert_uint_eq(ph.hwdom_irq_budget, 300);
	ck_assert_uint_eq(ph.domain_irq_budget, 4);
	ck_assert(!ph.host_ports_available); /* the caller finds that out */
	host_config_free(&hc);

	static const struct {
		const char *text, *message;
	} bad[] = {
		{ "hardware_domid = 32752\n",
		  "%s:1: hardware_domid 32752 out of range (0 to 32751)" },
		{ "\npit_host_access = 2\n", "%s:2: 'pit_host_access' must be 0 or 1, not 2" },
		{ "pit_host_ports = \"sim\"\n",
		  "%s:1: pit_host_ports 'sim': use \"real\" or \"simulated:LOGFILE\"" },
		{ "pit_host_ports = \"simulated:\"\n",
		  "%s:1: pit_host_ports 'simulated:': use \"real\" or \"simulated:LOGFILE\"" },
		{ "hwdom_crash = \"sometimes\"\n",
		  "%s:1: hwdom_crash 'sometimes' is not reboot, poweroff or preserve" },
		{ "hwdom_crash = 1\n", "%s:1: 'hwdom_crash' must be a string" },
		{ "domain_irq_budget = 0\n",
		  "%s:1: domain_irq_budget = 0: give 1 to 4096 interrupt routes" },
		{ "hwdom_irq_budget = 4097\n",
		  "%s:1: hwdom_irq_budget = 4097: give 1 to 4096 interrupt routes" },
		{ "dom0_mem = 1\n", "%s:1: unknown key 'dom0_mem'" },
		{ "memory = 5\n", "%s:1: unknown key 'memory'" },
		{ "hardware_domid = \"0\"\n", "%s:1: 'hardware_domid' must be a number" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_file(path, bad[i].text, strlen(bad[i].text));
		ck_assert_int_eq(host_config_load(&hc, path, err, sizeof(err)), -EINVAL);
		snprintf(expect, sizeof(expect), bad[i].message, path);
		ck_assert_str_eq(err, expect);
		ck_assert_ptr_null(hc.path); /* nothing half-loaded is kept */
		ck_assert_ptr_null(hc.pit_host_ports);
	}
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("xlcfg");

	tcase_add_test(tc, test_parse_sample);
	tcase_add_test(tc, test_parse_empty_and_blank);
	tcase_add_test(tc, test_parse_spacing);
	tcase_add_test(tc, test_parse_crlf);
	tcase_add_test(tc, test_parse_numbers);
	tcase_add_test(tc, test_parse_strings);
	tcase_add_test(tc, test_parse_errors);
	tcase_add_test(tc, test_parse_nul);
	tcase_add_test(tc, test_parse_small_err);
	tcase_add_test(tc, test_parse_big);
	tcase_add_test(tc, test_parse_many_keys);
	tcase_add_test(tc, test_parse_truncations);
	tcase_add_test(tc, test_parse_fuzz);
	/* Sanitized builds parse the fuzz inputs several times slower. */
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);

	tc = tcase_create("domain-config");
	tcase_add_test(tc, test_domain_defaults);
	tcase_add_test(tc, test_domain_apply);
	tcase_add_test(tc, test_domain_errors);
	tcase_add_test(tc, test_domain_name_limits);
	tcase_add_test(tc, test_domain_setters);
	tcase_add_test(tc, test_domain_cmdline_extra);
	tcase_add_test(tc, test_domain_load);
	tcase_add_test(tc, test_domain_role_keys);
	tcase_add_test(tc, test_domain_virtio_rng_key);
	tcase_add_test(tc, test_domain_pci_key);
	tcase_add_test(tc, test_domain_cpuid_key);
	tcase_add_test(tc, test_host_config);
	suite_add_tcase(s, tc);
	return s;
}

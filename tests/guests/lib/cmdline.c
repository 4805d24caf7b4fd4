/* Boot information: hvm_start_info and key=value lookups in the command line. */
#include "lib.h"

#define CMDLINE_MAX 4096 /* kdom's LAYOUT_CMDLINE_MAX, NUL included */
#define BELOW_4G(gpa) ((gpa) < (1ull << 32))

static const struct hvm_start_info *boot_info;
static const char *cmdline_text = "";
/* A copy with the separating spaces turned into NULs, made on first lookup. */
static char cmdline_words[CMDLINE_MAX];
static size_t cmdline_words_len;
static bool cmdline_split;

/* Only what lies in the identity map (below 4 GiB) can be used. */
void start_info_set(uint32_t gpa)
{
	const struct hvm_start_info *si = (const void *)(uint64_t)gpa;

	if (!gpa || si->magic != HVM_START_MAGIC)
		return;
	boot_info = si;
	if (si->cmdline_paddr && BELOW_4G(si->cmdline_paddr))
		cmdline_text = (const char *)si->cmdline_paddr;
}

const struct hvm_start_info *start_info(void)
{
	return boot_info;
}

const char *cmdline(void)
{
	return cmdline_text;
}

static void cmdline_split_words(void)
{
	size_t len = 0;

	while (len < CMDLINE_MAX - 1 && cmdline_text[len]) {
		char c = cmdline_text[len];

		cmdline_words[len++] = c == ' ' || c == '\t' || c == '\n' ? '\0' : c;
	}
	cmdline_words_len = len;
	cmdline_split = true;
}

const char *cmdline_get(const char *key)
{
	size_t key_len = strlen(key);

	if (!cmdline_split)
		cmdline_split_words();
	for (size_t i = 0; i < cmdline_words_len; i++) {
		const char *word = &cmdline_words[i];
		size_t word_len = strlen(word);

		if (!strncmp(word, key, key_len)) {
			if (word[key_len] == '=')
				return word + key_len + 1;
			if (word[key_len] == '\0')
				return word + key_len;
		}
		i += word_len;
	}
	return NULL;
}

uint64_t cmdline_get_u64(const char *key, uint64_t dflt)
{
	const char *value = cmdline_get(key);
	uint64_t val;

	return value && parse_u64(value, &val) ? val : dflt;
}

bool cmdline_has_word(const char *key, const char *word, char sep)
{
	const char *list = cmdline_get(key);
	size_t len = strlen(word);

	while (list && *list) {
		if (!strncmp(list, word, len) && (list[len] == sep || list[len] == '\0'))
			return true;
		while (*list && *list != sep)
			list++;
		if (*list == sep)
			list++;
	}
	return false;
}

/* Helpers shared by the unit test suites. */
#include <dirent.h>
#include <unistd.h>

#include "tests/unit/unit.h"

int unit_count_fds(void)
{
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	ck_assert_ptr_nonnull(dir);
	while ((e = readdir(dir)))
		if (e->d_name[0] != '.')
			n++;
	closedir(dir);
	return n - 1; /* the directory's own */
}

void capture_begin(struct capture *c)
{
	fflush(stderr);
	c->file = tmpfile();
	ck_assert_ptr_nonnull(c->file);
	c->saved = dup(2);
	ck_assert_int_ge(c->saved, 0);
	ck_assert_int_eq(dup2(fileno(c->file), 2), 2);
}

int capture_end(struct capture *c, char *buf, size_t len)
{
	size_t n;
	int lines = 0;
	char *p;

	fflush(stderr);
	dup2(c->saved, 2);
	close(c->saved);
	rewind(c->file);
	n = fread(buf, 1, len - 1, c->file);
	buf[n] = 0;
	fclose(c->file);
	for (p = buf; *p; p++)
		lines += *p == '\n';
	return lines;
}

/* Files that must never be seen half-written: write, fsync, rename, fsync the folder. */
#ifndef KDOM_STATE_FILE_H
#define KDOM_STATE_FILE_H

#include <jansson.h>
#include <stddef.h>

/* Replace path by data atomically (a crash leaves the old or the new file).  0 or -errno. */
int state_write_atomic(const char *path, const void *data, size_t len);

/* The same for a JSON value, pretty-printed with a final newline.  0 or -errno. */
int state_write_json(const char *path, const json_t *value);

/* Read a JSON object from path (at most 1 MiB).  The object, or NULL with errno set and err. */
json_t *state_read_json(const char *path, char *err, size_t errlen);

/* mkdir -p with mode for each folder created.  0 or -errno. */
int state_mkdirs(const char *path, mode_t mode);

#endif

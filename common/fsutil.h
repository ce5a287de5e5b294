/*
 * fsutil.h - small file-system helpers shared by the CLI and the pipeline.
 */
#ifndef CB_FSUTIL_H
#define CB_FSUTIL_H

#include <stddef.h>

#include "cb_error.h"

/* Create a directory and its parents (mode 0755). Existing ones are fine. Returns 0 or -errno. */
int cb_mkdir_p(const char *path, cb_error *err);

/* The last path component of `path` (a pointer into it; no allocation). */
const char *cb_path_basename(const char *path);

/*
 * Join dir and name with one '/' into out (out_size bytes). Returns 0, or
 * CB_EINVAL when the result does not fit.
 */
int cb_path_join(char *out, size_t out_size, const char *dir, const char *name, cb_error *err);

#endif

/*
 * fsutil.h - small file-system helpers shared by the CLI and the pipeline.
 */
#ifndef CB_FSUTIL_H
#define CB_FSUTIL_H

#include <stddef.h>
#include <sys/stat.h>

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

/* Enough of a file's stat to tell whether it was replaced or rewritten. */
typedef struct cb_file_id {
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime, ctime;
} cb_file_id;

/* Take path's identity (stat, following links). Returns 0 or -errno. */
int cb_file_id_get(const char *path, cb_file_id *out);

/* 1 when both describe the same, unchanged file. */
int cb_file_id_same(const cb_file_id *a, const cb_file_id *b);

/* For a file read more than once, or read and then recorded: 0 when path is
 * still the file `before` was taken of (cb_file_id_same), else CB_EIO "PATH:
 * the file changed while it was being processed; nothing written, try
 * again" (also when it is gone). */
int cb_file_check_unchanged(const char *path, const cb_file_id *before, cb_error *err);

#endif

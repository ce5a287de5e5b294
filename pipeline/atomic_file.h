/*
 * atomic_file.h - write a file beside its destination and put it in place
 * atomically (shared by media_out.c and video_out.c).
 *
 * cb_atomic_open creates ".NAME.<16 hex>.tmp" in the destination folder
 * (leading dot, so a folder watcher can ignore it; O_EXCL, mode 0666 less
 * the umask) and keeps the folder open. The caller writes the content, either
 * through f->fd / cb_atomic_write or by opening f->tmp itself (FFmpeg's
 * muxers do). cb_atomic_commit fsyncs the file, closes it and moves it to the
 * destination: with overwrite by rename(); without, by
 * renameat2(RENAME_NOREPLACE) (or link() + unlink() where the file system
 * lacks it), so an existing file is never replaced even if it appears
 * during the write. Then the folder is fsynced; a failing folder fsync is not
 * reported (the file is complete and in place). cb_atomic_abort closes and
 * removes the temporary file; it is safe on a cb_atomic_file set to
 * CB_ATOMIC_FILE_INIT (not a zeroed one: fd 0 is a valid descriptor) and on a
 * failed, committed or already aborted one.
 *
 * All errors are -errno (or CB_EEXIST when the destination exists and
 * !overwrite, CB_ENOMEM, CB_EINVAL for a path naming a folder), with err
 * naming the destination path.
 */
#ifndef CB_ATOMIC_FILE_H
#define CB_ATOMIC_FILE_H

#include <stddef.h>

#include "../common/cb_error.h"

typedef struct cb_atomic_file {
    char *path;  /* destination (a copy; owned) */
    char *dir;   /* its folder (owned) */
    char *tmp;   /* the temporary file's path (owned), NULL before open */
    int fd;      /* the temporary file, open for writing; -1 when closed */
    int dirfd;   /* the folder; -1 when closed */
    int tmp_exists; /* 1 while the temporary file is there to be removed */
} cb_atomic_file;

/* Initialise with this (cb_atomic_open does it first, success or not). */
#define CB_ATOMIC_FILE_INIT { NULL, NULL, NULL, -1, -1, 0 }

/*
 * Cheap early check: CB_EEXIST (with err) when !overwrite and path exists,
 * else 0. The binding check is the one in cb_atomic_commit.
 */
int cb_atomic_check_exists(const char *path, int overwrite, cb_error *err);

/*
 * Start a temporary file for `path`. Returns 0, or a negative code with
 * everything released (cb_atomic_abort is still safe to call). Does not check
 * whether path exists (see cb_atomic_check_exists).
 */
int cb_atomic_open(cb_atomic_file *f, const char *path, cb_error *err);

/* write(2) all of buf to f->fd, retrying on EINTR and short writes. 0 or -errno. */
int cb_atomic_write(cb_atomic_file *f, const void *buf, size_t n, cb_error *err);

/*
 * fsync, close and move the temporary file to the destination (see above).
 * Returns 0 (then the cb_atomic_file is released, as after abort) or a
 * negative code (the temporary file is still there: call cb_atomic_abort).
 */
int cb_atomic_commit(cb_atomic_file *f, int overwrite, cb_error *err);

/* Close and remove the temporary file if any, free the names. Accepts NULL. */
void cb_atomic_abort(cb_atomic_file *f);

#endif

/*
 * review_files.h - the outputs under the folder `consentblur review` serves,
 * and the only way the server reaches a file there.
 *
 * The list holds the regular files under DIR (any depth up to 16 folders)
 * whose names end in an output extension (jpg, jpeg, png, webp: photos;
 * mp4: videos), leaving out names that start with '.' (temporary files,
 * backups) and symbolic links (neither followed nor listed), with each
 * file's SHA-256 (computed again only when its size, time or inode changed).
 * A file is named by its path under DIR ("trip/IMG_1.jpg"); a name the list
 * does not hold is not served. Opening goes from DIR's descriptor one
 * component at a time with O_NOFOLLOW, so a folder swapped for a symbolic
 * link after the listing does not lead outside DIR either.
 *
 * Errors: 0 or a negative code (-errno from the file system, CB_ENOMEM,
 * CB_ENOTFOUND for a name not in the list) with err set. Not thread-safe.
 */
#ifndef CB_REVIEW_FILES_H
#define CB_REVIEW_FILES_H

#include <stdint.h>
#include <sys/types.h>

#include "../common/cb_error.h"

typedef struct cb_review_file {
    char name[1024];     /* path under DIR, '/' between folders */
    int video;           /* an .mp4 */
    dev_t dev;           /* what the hash was computed for */
    ino_t ino;
    off_t size;
    int64_t mtime_ns;
    char sha256[65];
} cb_review_file;

typedef struct cb_review_files {
    int dirfd;           /* DIR, open */
    char root[4096];     /* DIR's real path */
    cb_review_file *v;   /* sorted by name */
    int n, cap;
} cb_review_files;

/* Open DIR and list it. *f is zeroed first; close with cb_review_files_close. */
int cb_review_files_open(const char *dir, cb_review_files *f, cb_error *err);

/* List DIR again (files come and go; changed ones are hashed again). */
int cb_review_files_scan(cb_review_files *f, cb_error *err);

/* The listed file of that name, or NULL. */
const cb_review_file *cb_review_files_find(const cb_review_files *f, const char *name);

/* Open a listed file read-only as described above: *fd, or CB_ENOTFOUND when it is not
 * listed, -ELOOP and other -errno when it cannot be opened safely. */
int cb_review_files_open_file(const cb_review_files *f, const char *name, int *fd,
                              cb_error *err);

/* Hash a listed file again now (after a change): its entry updated. */
int cb_review_files_rehash(cb_review_files *f, const char *name, cb_error *err);

/* root + "/" + name into out (a listed name only). 0 or CB_EINVAL. */
int cb_review_files_path(const cb_review_files *f, const char *name, char *out, size_t size,
                         cb_error *err);

/* Close DIR and free the list. Accepts a zeroed or closed one. */
void cb_review_files_close(cb_review_files *f);

#endif

/* atomic_file.c - temporary file + fsync + rename; see atomic_file.h. */
#define _GNU_SOURCE /* renameat2, RENAME_NOREPLACE */
#include "atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * Create a new temporary file ".BASE.XXXXXXXXXXXXXXXX.tmp" in dir ("" for
 * the root). Fills tmp (tmp_size bytes) and returns the fd, or -errno.
 */
static int create_temp(const char *dir, const char *base, char *tmp, size_t tmp_size)
{
    for (int attempt = 0; attempt < 100; attempt++) {
        unsigned char rnd[8];
        if (getentropy(rnd, sizeof rnd) != 0)
            return -errno;
        char hex[17];
        for (int i = 0; i < 8; i++)
            snprintf(hex + 2 * i, 3, "%02x", rnd[i]);
        int n = snprintf(tmp, tmp_size, "%s/.%s.%s.tmp", dir, base, hex);
        if (n < 0 || (size_t)n >= tmp_size)
            return -ENAMETOOLONG;
        int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd >= 0)
            return fd;
        if (errno != EEXIST)
            return -errno;
    }
    return -EEXIST;
}

/* Move tmp to path without replacing an existing file (atomically). 0, -EEXIST or -errno. */
static int link_noreplace(const char *tmp, const char *path)
{
    if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) == 0)
        return 0;
    if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP)
        return -errno;
    /* File system without RENAME_NOREPLACE: link() fails if path exists. */
    if (link(tmp, path) != 0)
        return -errno;
    unlink(tmp);
    return 0;
}

int cb_atomic_check_exists(const char *path, int overwrite, cb_error *err)
{
    if (!overwrite && path && access(path, F_OK) == 0)
        return cb_error_set(err, CB_EEXIST, "%s: output exists (not overwriting)", path);
    return 0;
}

int cb_atomic_open(cb_atomic_file *f, const char *path, cb_error *err)
{
    int ret;
    *f = (cb_atomic_file)CB_ATOMIC_FILE_INIT;
    if (!path || !*path)
        return cb_error_set(err, CB_EINVAL, "output path is NULL or empty");
    size_t plen = strlen(path);
    if (path[plen - 1] == '/')
        return cb_error_set(err, CB_EINVAL, "%s: output path names a folder", path);
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    f->path = strdup(path);
    f->dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
    f->tmp = malloc(plen + 64);
    if (!f->path || !f->dir || !f->tmp) {
        ret = cb_error_set(err, CB_ENOMEM, "%s: out of memory", path);
        goto fail;
    }
    f->dirfd = open(f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (f->dirfd < 0) {
        ret = -errno;
        cb_error_set(err, ret, "%s: cannot open output folder %s: %s", path, f->dir,
                     strerror(errno));
        goto fail;
    }
    int fd = create_temp(strcmp(f->dir, "/") == 0 ? "" : f->dir, base, f->tmp, plen + 64);
    if (fd < 0) {
        ret = fd;
        cb_error_set(err, ret, "%s: cannot create temporary file in %s: %s", path, f->dir,
                     strerror(-ret));
        goto fail;
    }
    f->fd = fd;
    f->tmp_exists = 1;
    return 0;

fail:
    cb_atomic_abort(f);
    return ret;
}

int cb_atomic_write(cb_atomic_file *f, const void *buf, size_t n, cb_error *err)
{
    const uint8_t *p = buf;
    if (f->fd < 0)
        return cb_error_set(err, -EBADF, "%s: temporary file is not open", f->path);
    while (n > 0) {
        ssize_t w = write(f->fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            int ret = -errno;
            return cb_error_set(err, ret, "%s: write failed: %s", f->path, strerror(errno));
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int cb_atomic_commit(cb_atomic_file *f, int overwrite, cb_error *err)
{
    int ret;
    if (!f->tmp_exists || f->fd < 0)
        return cb_error_set(err, CB_EINVAL, "%s: no temporary file to commit",
                            f->path ? f->path : "(null)");
    if (fsync(f->fd) != 0) {
        ret = -errno;
        return cb_error_set(err, ret, "%s: fsync failed: %s", f->path, strerror(errno));
    }
    int cfd = f->fd;
    f->fd = -1;
    if (close(cfd) != 0) {
        ret = -errno;
        return cb_error_set(err, ret, "%s: close failed: %s", f->path, strerror(errno));
    }
    if (overwrite) {
        if (rename(f->tmp, f->path) != 0) {
            ret = -errno;
            return cb_error_set(err, ret, "%s: cannot rename into place: %s", f->path,
                                strerror(errno));
        }
    } else if ((ret = link_noreplace(f->tmp, f->path)) < 0) {
        if (ret == -EEXIST)
            return cb_error_set(err, CB_EEXIST, "%s: output exists (not overwriting)", f->path);
        return cb_error_set(err, ret, "%s: cannot move into place: %s", f->path, strerror(-ret));
    }
    f->tmp_exists = 0;
    /* Make the rename durable. The file is complete and in place already, so
     * a folder that cannot be fsynced (some file systems say EINVAL) is not
     * an error. */
    (void)fsync(f->dirfd);
    cb_atomic_abort(f);
    return 0;
}

void cb_atomic_abort(cb_atomic_file *f)
{
    if (!f)
        return;
    if (f->fd >= 0)
        close(f->fd);
    if (f->tmp_exists && f->tmp)
        unlink(f->tmp);
    if (f->dirfd >= 0)
        close(f->dirfd);
    free(f->path);
    free(f->dir);
    free(f->tmp);
    *f = (cb_atomic_file)CB_ATOMIC_FILE_INIT;
}

/* fsutil.c - see fsutil.h. */
#include "fsutil.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

int cb_mkdir_p(const char *path, cb_error *err)
{
    char buf[4096];
    size_t len = strlen(path);
    if (len == 0 || len >= sizeof buf)
        return cb_error_set(err, CB_EINVAL, "bad folder name '%s'", path);
    memcpy(buf, path, len + 1);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST)
            return cb_error_set(err, -errno, "%s: cannot create folder: %s", buf, strerror(errno));
        *p = '/';
    }
    if (mkdir(buf, 0755) != 0 && errno != EEXIST)
        return cb_error_set(err, -errno, "%s: cannot create folder: %s", buf, strerror(errno));
    struct stat st;
    if (stat(buf, &st) != 0 || !S_ISDIR(st.st_mode))
        return cb_error_set(err, -ENOTDIR, "%s: not a folder", buf);
    return 0;
}

const char *cb_path_basename(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

int cb_path_join(char *out, size_t out_size, const char *dir, const char *name, cb_error *err)
{
    size_t dl = strlen(dir);
    int n = snprintf(out, out_size, "%s%s%s", dir, (dl > 0 && dir[dl - 1] == '/') ? "" : "/", name);
    if (n < 0 || (size_t)n >= out_size)
        return cb_error_set(err, CB_EINVAL, "path too long: %s/%s", dir, name);
    return 0;
}

int cb_file_id_get(const char *path, cb_file_id *out)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return -errno;
    out->dev = st.st_dev;
    out->ino = st.st_ino;
    out->size = st.st_size;
    out->mtime = st.st_mtim;
    out->ctime = st.st_ctim;
    return 0;
}

int cb_file_id_same(const cb_file_id *a, const cb_file_id *b)
{
    return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
           a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec &&
           a->ctime.tv_sec == b->ctime.tv_sec && a->ctime.tv_nsec == b->ctime.tv_nsec;
}

int cb_file_check_unchanged(const char *path, const cb_file_id *before, cb_error *err)
{
    cb_file_id now;
    if (cb_file_id_get(path, &now) == 0 && cb_file_id_same(before, &now))
        return 0;
    return cb_error_set(err, CB_EIO, "%s: the file changed while it was being processed; "
                                     "nothing written, try again",
                        path);
}

/* review_files.c - the outputs under the review folder; see review_files.h. */
#include "review_files.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/sha256.h"

enum { MAX_DEPTH = 16 };

/* Output extensions and whether they are videos. */
static const struct {
    const char *ext;
    int video;
} kinds[] = {{"jpg", 0}, {"jpeg", 0}, {"png", 0}, {"webp", 0}, {"mp4", 1}};

/* 0: not an output name; 1: photo; 2: video. */
static int kind_of(const char *name)
{
    const char *dot = strrchr(name, '.');
    for (size_t i = 0; dot && i < sizeof kinds / sizeof *kinds; i++)
        if (!strcasecmp(dot + 1, kinds[i].ext))
            return 1 + kinds[i].video;
    return 0;
}

static int64_t mtime_ns(const struct stat *st)
{
    return (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

static int hash_fd(int fd, char hex[65], cb_error *err)
{
    cb_sha256_ctx c;
    uint8_t buf[65536], d[32];
    ssize_t n;
    cb_sha256_init(&c);
    while ((n = read(fd, buf, sizeof buf)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return cb_error_set(err, -errno, "reading: %s", strerror(errno));
        cb_sha256_update(&c, buf, (size_t)n);
    }
    cb_sha256_final(&c, d);
    cb_sha256_hex(d, hex);
    return 0;
}

/* The entry in `old` (sorted) of that name, for its hash. */
static const cb_review_file *find_in(const cb_review_file *v, int n, const char *name)
{
    int lo = 0, hi = n - 1;
    while (lo <= hi) {
        const int mid = (lo + hi) / 2, c = strcmp(v[mid].name, name);
        if (c == 0)
            return &v[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return NULL;
}

typedef struct scan {
    cb_review_files *f;
    const cb_review_file *old; /* the list before, for hashes */
    int n_old;
    cb_error *err;
} scan;

/* Add one regular file (fd open on it) as `name`. */
static int add_file(scan *s, int fd, const struct stat *st, const char *name, int video)
{
    cb_review_files *f = s->f;
    if (f->n == f->cap) {
        const int cap = f->cap ? f->cap * 2 : 64;
        cb_review_file *v = realloc(f->v, (size_t)cap * sizeof *v);
        if (!v)
            return cb_error_set(s->err, CB_ENOMEM, "out of memory");
        f->v = v;
        f->cap = cap;
    }
    cb_review_file *e = &f->v[f->n];
    memset(e, 0, sizeof *e);
    snprintf(e->name, sizeof e->name, "%s", name);
    e->video = video;
    e->dev = st->st_dev, e->ino = st->st_ino, e->size = st->st_size, e->mtime_ns = mtime_ns(st);
    const cb_review_file *o = find_in(s->old, s->n_old, name);
    if (o && o->dev == e->dev && o->ino == e->ino && o->size == e->size &&
        o->mtime_ns == e->mtime_ns)
        memcpy(e->sha256, o->sha256, sizeof e->sha256);
    else if (hash_fd(fd, e->sha256, s->err) < 0)
        return 0; /* unreadable: left out */
    f->n++;
    return 0;
}

static int walk(scan *s, int dirfd, const char *prefix, int depth);

/* One directory entry: a folder to walk, an output to add, or nothing. */
static int visit(scan *s, int dirfd, const char *prefix, const char *entry, int depth)
{
    char name[1024];
    const int n = snprintf(name, sizeof name, "%s%s%s", prefix, *prefix ? "/" : "", entry);
    if (entry[0] == '.' || n < 0 || (size_t)n >= sizeof name)
        return 0;
    const int kind = kind_of(entry);
    struct stat st;
    if (fstatat(dirfd, entry, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
        !((S_ISDIR(st.st_mode) && depth < MAX_DEPTH) || (S_ISREG(st.st_mode) && kind)))
        return 0; /* symbolic links, devices, other files: not ours */
    const int dir = S_ISDIR(st.st_mode);
    int fd = openat(dirfd, entry, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | (dir ? O_DIRECTORY : 0));
    if (fd < 0 || fstat(fd, &st) != 0 || (dir && !S_ISDIR(st.st_mode)) ||
        (!dir && !S_ISREG(st.st_mode))) { /* swapped meanwhile */
        if (fd >= 0)
            close(fd);
        return 0;
    }
    if (dir)
        return walk(s, fd, name, depth + 1); /* walk closes fd */
    const int rc = add_file(s, fd, &st, name, kind == 2);
    close(fd);
    return rc;
}

/* Walk the folder open at dirfd (closed here). */
static int walk(scan *s, int dirfd, const char *prefix, int depth)
{
    DIR *d = fdopendir(dirfd);
    if (!d) {
        close(dirfd);
        return 0;
    }
    rewinddir(d); /* a dup of DIR's descriptor shares its position with the last walk */
    struct dirent *de;
    int rc = 0;
    while (rc == 0 && (de = readdir(d)) != NULL)
        rc = visit(s, dirfd, prefix, de->d_name, depth);
    closedir(d);
    return rc;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const cb_review_file *)a)->name, ((const cb_review_file *)b)->name);
}

int cb_review_files_scan(cb_review_files *f, cb_error *err)
{
    scan s = {f, f->v, f->n, err};
    f->v = NULL;
    f->n = f->cap = 0;
    const int fd = dup(f->dirfd);
    int rc = fd < 0 ? cb_error_set(err, -errno, "%s: %s", f->root, strerror(errno))
                    : walk(&s, fd, "", 0);
    if (rc == 0 && f->n > 1)
        qsort(f->v, (size_t)f->n, sizeof *f->v, by_name);
    free((void *)s.old);
    return rc;
}

int cb_review_files_open(const char *dir, cb_review_files *f, cb_error *err)
{
    memset(f, 0, sizeof *f);
    f->dirfd = -1;
    char *real = realpath(dir, NULL);
    if (!real)
        return cb_error_set(err, -errno, "%s: %s", dir, strerror(errno));
    snprintf(f->root, sizeof f->root, "%s", real);
    free(real);
    f->dirfd = open(f->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (f->dirfd < 0)
        return cb_error_set(err, -errno, "%s: %s", dir, strerror(errno));
    return cb_review_files_scan(f, err);
}

const cb_review_file *cb_review_files_find(const cb_review_files *f, const char *name)
{
    return name ? find_in(f->v, f->n, name) : NULL;
}

int cb_review_files_open_file(const cb_review_files *f, const char *name, int *fd,
                              cb_error *err)
{
    char part[1024];
    *fd = -1;
    if (!cb_review_files_find(f, name))
        return cb_error_set(err, CB_ENOTFOUND, "%s: not an output in the folder", name);
    int cur = dup(f->dirfd);
    for (const char *p = name; cur >= 0;) {
        const char *slash = strchr(p, '/');
        const size_t len = slash ? (size_t)(slash - p) : strlen(p);
        snprintf(part, sizeof part, "%.*s", (int)len, p);
        const int flags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC | (slash ? O_DIRECTORY : 0);
        const int next = openat(cur, part, flags);
        close(cur);
        cur = next;
        if (!slash)
            break;
        p = slash + 1;
    }
    if (cur < 0)
        return cb_error_set(err, -errno, "%s: %s", name, strerror(errno));
    *fd = cur;
    return 0;
}

int cb_review_files_rehash(cb_review_files *f, const char *name, cb_error *err)
{
    cb_review_file *e = (cb_review_file *)cb_review_files_find(f, name);
    int fd = -1;
    int rc = cb_review_files_open_file(f, name, &fd, err);
    struct stat st;
    if (rc == 0 && fstat(fd, &st) != 0)
        rc = cb_error_set(err, -errno, "%s: %s", name, strerror(errno));
    if (rc == 0)
        rc = hash_fd(fd, e->sha256, err);
    if (rc == 0) {
        e->dev = st.st_dev, e->ino = st.st_ino, e->size = st.st_size;
        e->mtime_ns = mtime_ns(&st);
    }
    if (fd >= 0)
        close(fd);
    return rc;
}

int cb_review_files_path(const cb_review_files *f, const char *name, char *out, size_t size,
                         cb_error *err)
{
    const int n = snprintf(out, size, "%s/%s", f->root, name);
    if (!cb_review_files_find(f, name) || n < 0 || (size_t)n >= size)
        return cb_error_set(err, CB_EINVAL, "%s: not an output in the folder", name);
    return 0;
}

void cb_review_files_close(cb_review_files *f)
{
    if (f->dirfd >= 0 && f->root[0])
        close(f->dirfd);
    free(f->v);
    memset(f, 0, sizeof *f);
    f->dirfd = -1;
}

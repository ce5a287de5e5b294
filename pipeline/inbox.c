/* inbox.c - the watch folder's states and moves; see inbox.h. */
#include "inbox.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/fsutil.h"
#include "../common/i18n.h"
#include "atomic_file.h"

#define CB_INBOX_WORK ".consentblur"
#define CB_INBOX_PATH 4096

/* What we know of one file in INBOX. */
typedef struct seen {
    char name[256];
    off_t size;
    struct timespec mtime;
    int64_t stable_since;  /* when size/mtime last changed (or first seen) */
    int64_t first_seen;
    int writing;           /* a write was seen and no close since */
    int present;           /* found by the latest scan */
} seen;

struct cb_inbox {
    char inbox[CB_INBOX_PATH], outbox[CB_INBOX_PATH], work[CB_INBOX_PATH];
    char archive[CB_INBOX_PATH], failed[CB_INBOX_PATH];
    seen *files;
    int n, cap;
};

static int join(char *out, const char *dir, const char *name, cb_error *err)
{
    return cb_path_join(out, CB_INBOX_PATH, dir, name, err);
}

/* Ignored names: ours, hidden ones, and partial downloads. */
static int ignored(const char *name)
{
    static const char *const partial[] = {".part", ".crdownload", ".tmp", ".partial", "~"};
    if (name[0] == '.')
        return 1;
    size_t n = strlen(name);
    for (size_t i = 0; i < sizeof partial / sizeof partial[0]; i++) {
        size_t m = strlen(partial[i]);
        if (n >= m && !strcmp(name + n - m, partial[i]))
            return 1;
    }
    return 0;
}

int cb_inbox_open(const cb_inbox_dirs *dirs, cb_inbox **out, cb_error *err)
{
    *out = NULL;
    if (!dirs || !dirs->inbox || !dirs->outbox)
        return cb_error_set(err, CB_EINVAL, _("watch: INBOX and OUTBOX are required"));
    cb_inbox *b = calloc(1, sizeof *b);
    if (!b)
        return cb_error_set(err, CB_ENOMEM, _("out of memory"));
    int rc = 0;
    if (snprintf(b->inbox, sizeof b->inbox, "%s", dirs->inbox) >= (int)sizeof b->inbox ||
        snprintf(b->outbox, sizeof b->outbox, "%s", dirs->outbox) >= (int)sizeof b->outbox)
        rc = cb_error_set(err, CB_EINVAL, _("watch: folder name too long"));
    if (rc == 0)
        rc = join(b->work, b->inbox, CB_INBOX_WORK, err);
    if (rc == 0 && dirs->archive)
        snprintf(b->archive, sizeof b->archive, "%s", dirs->archive);
    else if (rc == 0)
        rc = join(b->archive, b->inbox, "archive", err);
    if (rc == 0 && dirs->failed)
        snprintf(b->failed, sizeof b->failed, "%s", dirs->failed);
    else if (rc == 0)
        rc = join(b->failed, b->inbox, "failed", err);
    const char *const made[] = {b->inbox, b->outbox, b->work, b->archive, b->failed};
    for (size_t i = 0; rc == 0 && i < sizeof made / sizeof made[0]; i++)
        rc = cb_mkdir_p(made[i], err);
    struct stat in_st, st;
    if (rc == 0 && stat(b->inbox, &in_st) != 0)
        rc = cb_error_set(err, -errno, "%s: %s", b->inbox, strerror(errno));
    const char *const same_fs[] = {b->work, b->archive, b->failed};
    for (size_t i = 0; rc == 0 && i < sizeof same_fs / sizeof same_fs[0]; i++) {
        if (stat(same_fs[i], &st) != 0)
            rc = cb_error_set(err, -errno, "%s: %s", same_fs[i], strerror(errno));
        else if (st.st_dev != in_st.st_dev)
            rc = cb_error_set(err, CB_EINVAL,
                              _("%s must be on the same file system as %s (files are "
                                "moved, not copied)"),
                              same_fs[i], b->inbox);
    }
    if (rc < 0) {
        cb_inbox_close(b);
        return rc;
    }
    *out = b;
    return 0;
}

void cb_inbox_close(cb_inbox *b)
{
    if (!b)
        return;
    free(b->files);
    free(b);
}

const char *cb_inbox_dir(const cb_inbox *b)
{
    return b->inbox;
}

const char *cb_inbox_outbox(const cb_inbox *b)
{
    return b->outbox;
}

static seen *find_seen(cb_inbox *b, const char *name)
{
    for (int i = 0; i < b->n; i++)
        if (!strcmp(b->files[i].name, name))
            return &b->files[i];
    return NULL;
}

static seen *add_seen(cb_inbox *b, const char *name, int64_t now)
{
    if (strlen(name) >= sizeof b->files[0].name)
        return NULL;
    if (b->n == b->cap) {
        int cap = b->cap ? b->cap * 2 : 32;
        seen *g = realloc(b->files, sizeof *g * (size_t)cap);
        if (!g)
            return NULL;
        b->files = g;
        b->cap = cap;
    }
    seen *s = &b->files[b->n++];
    memset(s, 0, sizeof *s);
    snprintf(s->name, sizeof s->name, "%s", name);
    s->stable_since = s->first_seen = now;
    s->size = -1;
    return s;
}

void cb_inbox_note_write(cb_inbox *b, const char *name, int64_t now_ms)
{
    seen *s = find_seen(b, name);
    if (!s && !ignored(name))
        s = add_seen(b, name, now_ms);
    if (s) {
        s->writing = 1;
        s->stable_since = now_ms;
    }
}

void cb_inbox_note_closed(cb_inbox *b, const char *name, int64_t now_ms)
{
    seen *s = find_seen(b, name);
    if (!s && !ignored(name))
        s = add_seen(b, name, now_ms);
    if (s) {
        s->writing = 0;
        s->stable_since = now_ms;
    }
}

int cb_inbox_scan(cb_inbox *b, int64_t now_ms, int settle_ms, char *name, size_t size,
                  cb_error *err)
{
    DIR *d = opendir(b->inbox);
    if (!d)
        return cb_error_set(err, -errno, _("%s: cannot read the folder: %s"), b->inbox,
                            strerror(errno));
    for (int i = 0; i < b->n; i++)
        b->files[i].present = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (ignored(e->d_name) || strlen(e->d_name) >= sizeof b->files[0].name)
            continue;
        struct stat st;
        if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
            continue;
        if (S_ISDIR(st.st_mode))
            continue; /* archive/, failed/ and the like */
        seen *s = find_seen(b, e->d_name);
        if (!s && !(s = add_seen(b, e->d_name, now_ms))) {
            closedir(d);
            return cb_error_set(err, CB_ENOMEM, _("out of memory"));
        }
        s->present = 1;
        if (S_ISLNK(st.st_mode) || !S_ISREG(st.st_mode)) {
            s->size = 0;
            s->stable_since = -1000000000; /* ready now: to be failed */
            continue;
        }
        if (st.st_size != s->size || st.st_mtim.tv_sec != s->mtime.tv_sec ||
            st.st_mtim.tv_nsec != s->mtime.tv_nsec) {
            s->size = st.st_size;
            s->mtime = st.st_mtim;
            s->stable_since = now_ms;
        }
    }
    closedir(d);
    /* Forget what is gone; pick the oldest ready one. */
    int best = -1;
    for (int i = 0; i < b->n;) {
        seen *s = &b->files[i];
        if (!s->present) {
            b->files[i] = b->files[--b->n];
            continue;
        }
        if (!s->writing && now_ms - s->stable_since >= settle_ms &&
            (best < 0 || s->first_seen < b->files[best].first_seen))
            best = i;
        i++;
    }
    if (best < 0)
        return 0;
    snprintf(name, size, "%s", b->files[best].name);
    return 1;
}

/* A name not yet taken in dir: base, or base-2.ext, base-3.ext, ... */
static int unique_name(const char *dir, const char *want, char *out, size_t size, cb_error *err)
{
    char path[CB_INBOX_PATH];
    struct stat st;
    const char *dot = strrchr(want, '.');
    size_t stem = dot && dot != want ? (size_t)(dot - want) : strlen(want);
    for (int k = 1; k < 100000; k++) {
        if (k == 1)
            snprintf(out, size, "%s", want);
        else if (snprintf(out, size, "%.*s-%d%s", (int)stem, want, k, want + stem) >= (int)size)
            return cb_error_set(err, CB_EINVAL, _("%s: name too long"), want);
        int rc = join(path, dir, out, err);
        if (rc < 0)
            return rc;
        if (lstat(path, &st) != 0 && errno == ENOENT)
            return 0;
    }
    return cb_error_set(err, CB_EEXIST, _("%s/%s: no free name"), dir, want);
}

/* Write WORK/.name.out: the output chosen for name (atomically). */
static int save_intent(cb_inbox *b, const cb_inbox_item *item, cb_error *err)
{
    char intent_name[300], path[CB_INBOX_PATH];
    snprintf(intent_name, sizeof intent_name, ".%s.out", item->name);
    int rc = join(path, b->work, intent_name, err);
    cb_atomic_file f = CB_ATOMIC_FILE_INIT;
    if (rc == 0)
        rc = cb_atomic_open(&f, path, err);
    if (rc == 0)
        rc = cb_atomic_write(&f, item->output_name, strlen(item->output_name), err);
    if (rc == 0)
        rc = cb_atomic_commit(&f, 1, err);
    cb_atomic_abort(&f);
    return rc;
}

static void forget_intent(cb_inbox *b, const char *name)
{
    char intent_name[300], path[CB_INBOX_PATH];
    snprintf(intent_name, sizeof intent_name, ".%s.out", name);
    if (join(path, b->work, intent_name, NULL) == 0)
        unlink(path);
}

static int fill_item(cb_inbox *b, const char *name, const char *output_name, cb_inbox_item *item,
                     cb_error *err)
{
    memset(item, 0, sizeof *item);
    if (strlen(name) >= sizeof item->name || strlen(output_name) >= sizeof item->output_name)
        return cb_error_set(err, CB_EINVAL, _("%s: name too long"), name);
    snprintf(item->name, sizeof item->name, "%s", name);
    snprintf(item->output_name, sizeof item->output_name, "%s", output_name);
    int rc = join(item->path, b->work, name, err);
    if (rc == 0)
        rc = join(item->output, b->outbox, output_name, err);
    return rc;
}

int cb_inbox_claim(cb_inbox *b, const char *name, const char *output_name, cb_inbox_item *item,
                   cb_error *err)
{
    char from[CB_INBOX_PATH], unique[256];
    struct stat st;
    int rc = join(from, b->inbox, name, err);
    if (rc < 0)
        return rc;
    if (lstat(from, &st) != 0)
        return cb_error_set(err, -errno, "%s: %s", from, strerror(errno));
    if (S_ISLNK(st.st_mode))
        return cb_error_set(err, CB_EINVAL, _("%s: a symbolic link: not followed"), name);
    if (!S_ISREG(st.st_mode))
        return cb_error_set(err, CB_EINVAL, _("%s: not a regular file"), name);
    rc = unique_name(b->outbox, output_name, unique, sizeof unique, err);
    if (rc == 0)
        rc = fill_item(b, name, unique, item, err);
    /* A file of the same name may still be in WORK (dropped twice, the
     * first not finished): never overwrite it. */
    if (rc == 0 && lstat(item->path, &st) == 0)
        rc = cb_error_set(err, CB_EEXIST, _("%s: a file of this name is still being processed"),
                          name);
    if (rc == 0)
        rc = save_intent(b, item, err);
    if (rc == 0 && rename(from, item->path) != 0) {
        rc = cb_error_set(err, -errno, _("%s: cannot move it to %s: %s"), from, b->work,
                          strerror(errno));
        forget_intent(b, name);
    }
    seen *s = find_seen(b, name);
    if (rc == 0 && s)
        *s = b->files[--b->n];
    return rc;
}

int cb_inbox_pending(cb_inbox *b, cb_inbox_item *items, int max, cb_error *err)
{
    DIR *d = opendir(b->work);
    if (!d)
        return cb_error_set(err, -errno, "%s: %s", b->work, strerror(errno));
    int n = 0, rc = 0;
    struct dirent *e;
    while (n < max && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        /* The intent names the output; without one (crash between the
         * intent's removal and the move) the output name is chosen anew. */
        char intent_name[300], path[CB_INBOX_PATH], output_name[256] = "";
        snprintf(intent_name, sizeof intent_name, ".%s.out", e->d_name);
        if (join(path, b->work, intent_name, NULL) == 0) {
            FILE *f = fopen(path, "r");
            if (f) {
                size_t got = fread(output_name, 1, sizeof output_name - 1, f);
                output_name[got] = '\0';
                fclose(f);
            }
        }
        if (!output_name[0] || strchr(output_name, '/'))
            snprintf(output_name, sizeof output_name, "%s", e->d_name);
        rc = fill_item(b, e->d_name, output_name, &items[n], err);
        if (rc < 0)
            break;
        n++;
    }
    closedir(d);
    return rc < 0 ? rc : n;
}

/* Is name ".OUTPUT.<16 hex>.tmp"? (atomic_file.c's temporary names) */
static int is_output_temp(const char *name, const char *output)
{
    size_t n = strlen(output), len = strlen(name);
    if (len != 1 + n + 1 + 16 + 4 || name[0] != '.' || strncmp(name + 1, output, n) != 0 ||
        name[1 + n] != '.' || strcmp(name + len - 4, ".tmp") != 0)
        return 0;
    for (size_t i = 2 + n; i < 2 + n + 16; i++)
        if (!name[i] || !strchr("0123456789abcdef", name[i]))
            return 0;
    return 1;
}

int cb_inbox_remove_output_temps(cb_inbox *b, const cb_inbox_item *item)
{
    DIR *d = opendir(b->outbox);
    if (!d)
        return 0;
    int removed = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (is_output_temp(e->d_name, item->output_name) &&
            unlinkat(dirfd(d), e->d_name, 0) == 0)
            removed++;
    closedir(d);
    return removed;
}

/* Move WORK/name (or INBOX/name) into dir under a free name. */
static int move_into(const char *from, const char *dir, const char *name, char *moved,
                     size_t size, cb_error *err)
{
    char to[CB_INBOX_PATH];
    int rc = unique_name(dir, name, moved, size, err);
    if (rc == 0)
        rc = join(to, dir, moved, err);
    if (rc == 0 && rename(from, to) != 0)
        rc = cb_error_set(err, -errno, _("%s: cannot move it to %s: %s"), from, dir,
                          strerror(errno));
    return rc;
}

int cb_inbox_complete(cb_inbox *b, const cb_inbox_item *item, cb_error *err)
{
    char moved[256];
    int rc = move_into(item->path, b->archive, item->name, moved, sizeof moved, err);
    if (rc == 0)
        forget_intent(b, item->name);
    return rc;
}

/* Write DIR/NAME.reason.txt and move from there as DIR/NAME (free names). */
static int fail_file(cb_inbox *b, const char *from, const char *name, const char *reason,
                     cb_error *err)
{
    char base[256], reason_name[300], reason_path[CB_INBOX_PATH];
    int rc = unique_name(b->failed, name, base, sizeof base, err);
    if (rc == 0 && snprintf(reason_name, sizeof reason_name, "%s.reason.txt", base) >=
                       (int)sizeof reason_name)
        rc = cb_error_set(err, CB_EINVAL, _("%s: name too long"), name);
    if (rc == 0)
        rc = join(reason_path, b->failed, reason_name, err);
    cb_atomic_file f = CB_ATOMIC_FILE_INIT;
    if (rc == 0)
        rc = cb_atomic_open(&f, reason_path, err);
    if (rc == 0)
        rc = cb_atomic_write(&f, reason, strlen(reason), err);
    if (rc == 0)
        rc = cb_atomic_write(&f, "\n", 1, err);
    if (rc == 0)
        rc = cb_atomic_commit(&f, 1, err);
    cb_atomic_abort(&f);
    char to[CB_INBOX_PATH];
    if (rc == 0)
        rc = join(to, b->failed, base, err);
    if (rc == 0 && rename(from, to) != 0)
        rc = cb_error_set(err, -errno, _("%s: cannot move it to %s: %s"), from, b->failed,
                          strerror(errno));
    return rc;
}

int cb_inbox_fail(cb_inbox *b, const cb_inbox_item *item, const char *reason, cb_error *err)
{
    int rc = fail_file(b, item->path, item->name, reason, err);
    if (rc == 0)
        forget_intent(b, item->name);
    return rc;
}

int cb_inbox_fail_in_place(cb_inbox *b, const char *name, const char *reason, cb_error *err)
{
    char from[CB_INBOX_PATH];
    int rc = join(from, b->inbox, name, err);
    if (rc == 0)
        rc = fail_file(b, from, name, reason, err);
    seen *s = find_seen(b, name);
    if (rc == 0 && s)
        *s = b->files[--b->n];
    return rc;
}

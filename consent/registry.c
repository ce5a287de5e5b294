/*
 * registry.c - opening and closing the registry file: creation with safe
 * modes, connection settings (WAL, busy timeout, foreign keys, secure
 * delete, full sync), schema check and migration; the default path.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/fsutil.h"
#include "registry_internal.h"
#include "text.h"

int cb_registry_default_path(char *out, size_t size, cb_error *err)
{
    const char *env = getenv("CONSENTBLUR_REGISTRY");
    const char *xdg = getenv("XDG_DATA_HOME");
    const char *home = getenv("HOME");
    int n;
    if (env && *env)
        n = snprintf(out, size, "%s", env);
    else if (xdg && xdg[0] == '/')
        n = snprintf(out, size, "%s/consentblur/registry.db", xdg);
    else if (home && *home)
        n = snprintf(out, size, "%s/.local/share/consentblur/registry.db", home);
    else
        return cb_error_set(err, CB_EINVAL,
                            "no registry path: HOME is not set (give --registry FILE or set "
                            "CONSENTBLUR_REGISTRY)");
    if (n < 0 || (size_t)n >= size)
        return cb_error_set(err, CB_EINVAL, "registry path too long");
    return 0;
}

/* The folder of path, created with 0700 when missing (its parents 0755). */
static int make_folder(const char *path, cb_error *err)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir)
        return 0; /* current folder or / */
    *slash = '\0';
    struct stat st;
    if (stat(dir, &st) == 0)
        return S_ISDIR(st.st_mode) ? 0 : cb_error_set(err, CB_EINVAL, "%s: not a folder", dir);
    char *up = strrchr(dir, '/');
    if (up && up != dir) {
        *up = '\0';
        int rc = cb_mkdir_p(dir, err);
        if (rc < 0)
            return rc;
        *up = '/';
    }
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return cb_error_set(err, -errno, "%s: cannot create folder: %s", dir, strerror(errno));
    return 0;
}

/* Create the file with mode 0600 before sqlite sees it: sqlite would use
 * 0644, and gives its -wal and -shm files the database file's mode. */
static int create_file(const char *path, cb_error *err)
{
    int rc = make_folder(path, err);
    if (rc < 0)
        return rc;
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        if (errno == EEXIST)
            return 0;
        return cb_error_set(err, -errno, "%s: cannot create registry: %s", path, strerror(errno));
    }
    if (fchmod(fd, 0600) != 0) { /* whatever the umask */
        rc = cb_error_set(err, -errno, "%s: chmod: %s", path, strerror(errno));
        close(fd);
        unlink(path);
        return rc;
    }
    close(fd);
    return 0;
}

/* -wal and -shm should carry the database file's mode (sqlite does this);
 * make sure for files we own, should an older sqlite or a stray umask have
 * made them wider. */
static void tighten_side_files(const cb_registry *r)
{
    struct stat db;
    if (stat(r->path, &db) != 0)
        return;
    static const char *const suffixes[] = {"-wal", "-shm"};
    for (int i = 0; i < 2; i++) {
        char p[4200];
        struct stat st;
        snprintf(p, sizeof p, "%s%s", r->path, suffixes[i]);
        if (stat(p, &st) == 0 && st.st_uid == geteuid() &&
            (st.st_mode & 0777 & ~(db.st_mode & 0777)) != 0)
            chmod(p, db.st_mode & 0777);
    }
}

/* The lock wait: $CONSENTBLUR_BUSY_TIMEOUT seconds (0.1-3600) or the default. */
static int busy_timeout_ms(void)
{
    const char *env = getenv("CONSENTBLUR_BUSY_TIMEOUT");
    char *end;
    double s = env && *env ? strtod(env, &end) : 0;
    if (env && *env && *end == '\0' && s >= 0.1 && s <= 3600)
        return (int)(s * 1000);
    return CB_REG_BUSY_TIMEOUT_MS;
}

static int connection_settings(cb_registry *r, cb_error *err)
{
    sqlite3_extended_result_codes(r->db, 1);
    r->busy_ms = busy_timeout_ms();
    sqlite3_busy_timeout(r->db, r->busy_ms);
    sqlite3_db_config(r->db, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)NULL);
    sqlite3_db_config(r->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, (int *)NULL);
    return cb_reg_exec(r,
                       "PRAGMA foreign_keys = ON;"
                       "PRAGMA secure_delete = ON;"
                       "PRAGMA synchronous = FULL;",
                       err);
}

static int set_wal(cb_registry *r, cb_error *err)
{
    sqlite3_stmt *st = NULL;
    int rc = cb_reg_prepare(r, "PRAGMA journal_mode = WAL", &st, err);
    if (rc < 0)
        return rc;
    int s = sqlite3_step(st);
    if (s != SQLITE_ROW)
        rc = cb_reg_db_error(r, s, "switching to WAL mode", err);
    else if (strcmp((const char *)sqlite3_column_text(st, 0), "wal") != 0)
        rc = cb_error_set(err, CB_EDB, "%s: cannot use WAL mode (journal mode stays %s)", r->path,
                          (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return rc;
}

int cb_registry_open(const char *path, int flags, cb_registry **out, cb_error *err)
{
    cb_registry *r = NULL;
    int rc = 0, version = 0;
    if (!out)
        return cb_error_set(err, CB_EINVAL, "cb_registry_open: no out pointer");
    *out = NULL;
    if (!path || !*path || strlen(path) >= sizeof r->path)
        return cb_error_set(err, CB_EINVAL, "bad registry path");
    if ((flags & CB_REGISTRY_CREATE) && (flags & CB_REGISTRY_READONLY))
        return cb_error_set(err, CB_EINVAL, "a registry cannot be created read-only");
    r = calloc(1, sizeof *r);
    if (!r)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    strcpy(r->path, path);
    r->readonly = (flags & CB_REGISTRY_READONLY) != 0;

    if (flags & CB_REGISTRY_CREATE) {
        rc = create_file(path, err);
        if (rc < 0)
            goto fail;
    } else {
        struct stat st;
        if (stat(path, &st) != 0) {
            rc = errno == ENOENT
                     ? cb_error_set(err, CB_ENOTFOUND,
                                    "%s: no registry there (the first change, e.g. `person add` "
                                    "or `import`, creates it)",
                                    path)
                     : cb_error_set(err, -errno, "%s: %s", path, strerror(errno));
            goto fail;
        }
    }
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        rc = cb_error_set(err, CB_EDB, "%s: not a consentblur registry (not a file)", path);
        goto fail;
    }
    int s = sqlite3_open_v2(path, &r->db,
                            r->readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE, NULL);
    if (s != SQLITE_OK) {
        rc = cb_reg_db_error(r, s, "opening", err);
        goto fail;
    }
    rc = connection_settings(r, err);
    if (rc < 0)
        goto fail;
    /* Look before changing anything: a foreign file stays untouched. */
    rc = cb_reg_schema_identify(r, &version, err);
    if (rc < 0)
        goto fail;
    if (r->readonly) {
        if (version < CB_REGISTRY_SCHEMA_VERSION) {
            rc = cb_error_set(err, CB_EDB,
                              version == 0 ? "%s: registry is empty (not yet created)"
                                           : "%s: registry needs a schema upgrade; run any "
                                             "registry command (e.g. `person list`) once",
                              path);
            goto fail;
        }
    } else {
        rc = set_wal(r, err);
        if (rc == 0 && version < CB_REGISTRY_SCHEMA_VERSION)
            rc = cb_reg_schema_migrate(r, err);
        if (rc < 0)
            goto fail;
    }
    tighten_side_files(r);
    *out = r;
    return 0;
fail:
    cb_registry_close(r);
    return rc;
}

void cb_registry_close(cb_registry *r)
{
    if (!r)
        return;
    while (r->depth > 0)
        cb_reg_tx_rollback(r);
    sqlite3_close_v2(r->db);
    free(r);
}

const char *cb_registry_path(const cb_registry *r)
{
    return r ? r->path : "";
}

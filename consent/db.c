/* db.c - statement helpers, error translation and transactions for the
 * registry; see registry_internal.h. */
#include <stdlib.h>
#include <string.h>

#include "registry_internal.h"
#include "text.h"

int cb_reg_db_error(cb_registry *r, int rc, const char *what, cb_error *err)
{
    const char *msg = r && r->db ? sqlite3_errmsg(r->db) : sqlite3_errstr(rc);
    const char *path = r ? r->path : "registry";
    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return cb_error_set(err, CB_EBUSY,
                            "%s: registry busy (locked by another process for more than %.1f s) "
                            "while %s",
                            path, (r && r->busy_ms ? r->busy_ms : CB_REG_BUSY_TIMEOUT_MS) / 1000.0,
                            what);
    case SQLITE_NOTADB:
        return cb_error_set(err, CB_EDB, "%s: not a consentblur registry (%s)", path, msg);
    case SQLITE_NOMEM: return cb_error_set(err, CB_ENOMEM, "%s: out of memory while %s", path, what);
    default: return cb_error_set(err, CB_EDB, "%s: %s: %s", path, what, msg);
    }
}

int cb_reg_prepare(cb_registry *r, const char *sql, sqlite3_stmt **st, cb_error *err)
{
    int rc = sqlite3_prepare_v2(r->db, sql, -1, st, NULL);
    if (rc != SQLITE_OK) {
        *st = NULL;
        return cb_reg_db_error(r, rc, "preparing a query", err);
    }
    return 0;
}

int cb_reg_exec(cb_registry *r, const char *sql, cb_error *err)
{
    int rc = sqlite3_exec(r->db, sql, NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        char what[64];
        snprintf(what, sizeof what, "running '%.40s'", sql);
        return cb_reg_db_error(r, rc, what, err);
    }
    return 0;
}

int cb_reg_step_done(cb_registry *r, sqlite3_stmt *st, const char *what, cb_error *err)
{
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE || rc == SQLITE_ROW)
        return 0;
    return cb_reg_db_error(r, rc, what, err);
}

int cb_reg_count(cb_registry *r, const char *sql, int64_t id, int *n, cb_error *err)
{
    sqlite3_stmt *st = NULL;
    int rc = cb_reg_prepare(r, sql, &st, err);
    if (rc < 0)
        return rc;
    sqlite3_bind_int64(st, 1, id);
    int s = sqlite3_step(st);
    if (s == SQLITE_ROW)
        *n = sqlite3_column_int(st, 0);
    else
        rc = cb_reg_db_error(r, s, "counting records", err);
    sqlite3_finalize(st);
    return rc;
}

void cb_reg_bind_text(sqlite3_stmt *st, int idx, const char *s)
{
    sqlite3_bind_text(st, idx, s ? s : "", -1, SQLITE_TRANSIENT);
}

void cb_reg_column_text(sqlite3_stmt *st, int col, char *out, size_t size)
{
    const char *t = (const char *)sqlite3_column_text(st, col);
    cb_text_copy(out, size, t ? t : "");
}

int cb_reg_collect(cb_registry *r, sqlite3_stmt *st, const cb_reg_rows *how, void **rows,
                   int *count, cb_error *err)
{
    unsigned char *list = NULL;
    int n = 0, cap = 0, rc = 0, s = SQLITE_DONE;
    *rows = NULL;
    *count = 0;
    while (rc == 0 && (s = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == cap) {
            int nc = cap ? cap * 2 : 16;
            unsigned char *nl = realloc(list, (size_t)nc * how->row_size);
            if (!nl) {
                rc = cb_error_set(err, CB_ENOMEM, "out of memory");
                break;
            }
            list = nl;
            cap = nc;
        }
        void *row = list + (size_t)n++ * how->row_size;
        memset(row, 0, how->row_size);
        if (how->fill)
            how->fill(st, row);
        else
            rc = how->read(st, row, how->ctx, err);
    }
    if (rc == 0 && s != SQLITE_DONE)
        rc = cb_reg_db_error(r, s, how->what, err);
    sqlite3_finalize(st);
    if (rc < 0) {
        for (int i = 0; how->release && i < n; i++)
            how->release(list + (size_t)i * how->row_size);
        free(list);
        return rc;
    }
    *rows = list;
    *count = n;
    return 0;
}

int cb_reg_write_begin(cb_registry *r, const char *actor, char who[64], cb_error *err)
{
    int rc = cb_reg_actor(actor, who, err);
    return rc < 0 ? rc : cb_reg_tx_begin(r, err);
}

int cb_reg_tx_begin(cb_registry *r, cb_error *err)
{
    if (r->readonly)
        return cb_error_set(err, CB_EINVAL, "%s: registry opened read-only", r->path);
    if (r->depth == 0) {
        int rc = cb_reg_exec(r, "BEGIN IMMEDIATE", err);
        if (rc < 0)
            return rc;
    } else {
        /* sqlite rolls a transaction back by itself after some errors
         * (disk full, I/O); carrying on would autocommit. */
        if (sqlite3_get_autocommit(r->db))
            return cb_error_set(err, CB_EDB, "%s: the enclosing transaction was rolled back",
                                r->path);
        int rc = cb_reg_exec(r, "SAVEPOINT cb_nested", err);
        if (rc < 0)
            return rc;
    }
    r->depth++;
    return 0;
}

int cb_reg_checkpoint(cb_registry *r, cb_error *err)
{
    sqlite3_stmt *st = NULL;
    int rc = cb_reg_prepare(r, "PRAGMA wal_checkpoint(TRUNCATE)", &st, err);
    if (rc < 0)
        return rc;
    /* A checkpoint that another connection is running makes this one
     * busy at once, without the busy handler: wait up to the busy timeout. */
    int s = SQLITE_BUSY;
    for (int waited_ms = 0;; waited_ms += 10) {
        s = sqlite3_step(st);
        if (s == SQLITE_ROW && sqlite3_column_int(st, 0) != 0)
            s = SQLITE_BUSY;
        else if (s == SQLITE_ROW)
            s = SQLITE_OK;
        if (s != SQLITE_BUSY || waited_ms >= r->busy_ms)
            break;
        sqlite3_reset(st);
        sqlite3_sleep(10);
    }
    if (s != SQLITE_OK && s != SQLITE_DONE)
        rc = cb_reg_db_error(r, s, "checkpointing the WAL", err);
    sqlite3_finalize(st);
    return rc;
}

int cb_reg_tx_commit(cb_registry *r, cb_error *err)
{
    r->committed = 0;
    if (r->depth <= 0)
        return cb_error_set(err, CB_EINTERNAL, "%s: commit without a transaction", r->path);
    if (r->depth > 1) {
        int rc = cb_reg_exec(r, "RELEASE cb_nested", err);
        if (rc < 0) {
            cb_reg_tx_rollback(r);
            return rc;
        }
        r->depth--;
        r->committed = 1;
        return 0;
    }
    int rc = cb_reg_exec(r, "COMMIT", err);
    if (rc < 0) {
        cb_reg_tx_rollback(r);
        return rc;
    }
    r->depth = 0;
    r->committed = 1;
    if (r->checkpoint_pending) {
        r->checkpoint_pending = 0;
        rc = cb_reg_checkpoint(r, err);
        if (rc < 0)
            return cb_error_prefix(err, "changes saved, but erased template bytes remain in "
                                        "%s-wal until the next checkpoint",
                                   r->path);
    }
    return 0;
}

void cb_reg_tx_rollback(cb_registry *r)
{
    if (r->depth <= 0)
        return;
    if (r->depth > 1) {
        sqlite3_exec(r->db, "ROLLBACK TO cb_nested; RELEASE cb_nested", NULL, NULL, NULL);
        r->depth--;
        return;
    }
    if (!sqlite3_get_autocommit(r->db))
        sqlite3_exec(r->db, "ROLLBACK", NULL, NULL, NULL);
    r->depth = 0;
    r->checkpoint_pending = 0;
}

int cb_registry_begin(cb_registry *r, cb_error *err)
{
    if (!r)
        return cb_error_set(err, CB_EINVAL, "no registry");
    return cb_reg_tx_begin(r, err);
}

int cb_registry_commit(cb_registry *r, cb_error *err)
{
    if (!r)
        return cb_error_set(err, CB_EINVAL, "no registry");
    return cb_reg_tx_commit(r, err);
}

void cb_registry_rollback(cb_registry *r)
{
    if (r)
        cb_reg_tx_rollback(r);
}

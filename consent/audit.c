/*
 * audit.c - the append-only, hash-chained audit log: appending rows inside
 * a change's transaction, listing, and verifying the chain; who is recorded
 * as the actor. The serialisation hashed is documented in registry.h.
 */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/sha256.h"
#include "../common/cb_date.h"
#include "registry_internal.h"
#include "text.h"

static const char zero_hash[] =
    "0000000000000000000000000000000000000000000000000000000000000000";

void cb_registry_default_actor(char *out, size_t size)
{
    char buf[256];
    const char *env = getenv("CONSENTBLUR_ACTOR");
    const char *name = NULL;
    if (env && *env) {
        name = env;
    } else if (getlogin_r(buf, sizeof buf) == 0 && buf[0]) {
        name = buf;
    } else {
        struct passwd pw, *res = NULL;
        char pwbuf[1024];
        if (getpwuid_r(geteuid(), &pw, pwbuf, sizeof pwbuf, &res) == 0 && res && res->pw_name &&
            res->pw_name[0]) {
            snprintf(buf, sizeof buf, "%s", res->pw_name);
            name = buf;
        }
    }
    char tmp[64];
    if (name && cb_text_field_ok(name, sizeof buf)) {
        cb_text_copy(tmp, sizeof tmp, name);
    } else {
        snprintf(tmp, sizeof tmp, "uid:%lu", (unsigned long)geteuid());
    }
    if (size > 0)
        cb_text_copy(out, size, tmp);
}

int cb_reg_actor(const char *actor, char out[64], cb_error *err)
{
    if (!actor) {
        cb_registry_default_actor(out, 64);
        return 0;
    }
    if (!*actor || !cb_text_field_ok(actor, 64))
        return cb_error_set(err, CB_EINVAL, "bad actor name '%.80s' (1-63 bytes of text)", actor);
    strcpy(out, actor);
    return 0;
}

static void hash_field(cb_sha256_ctx *c, const char *s, size_t len)
{
    char prefix[32];
    int n = snprintf(prefix, sizeof prefix, "\n%zu:", len);
    cb_sha256_update(c, prefix, (size_t)n);
    cb_sha256_update(c, s, len);
}

/* The hash over raw fields (lengths given, so stored text that would not
 * fit our structs is hashed as stored). */
static void hash_raw(const char *prev, size_t prev_len, int64_t id, const char *const f[5],
                     const size_t len[5], char out[65])
{
    cb_sha256_ctx c;
    uint8_t d[32];
    char idbuf[24];
    int n = snprintf(idbuf, sizeof idbuf, "%lld", (long long)id);
    cb_sha256_init(&c);
    cb_sha256_update(&c, prev, prev_len);
    hash_field(&c, idbuf, (size_t)n);
    for (int i = 0; i < 5; i++)
        hash_field(&c, f[i], len[i]);
    cb_sha256_final(&c, d);
    cb_sha256_hex(d, out);
}

void cb_registry_audit_hash(const cb_audit_row *row, char out[65])
{
    const char *f[5] = {row->at, row->actor, row->action, row->subject, row->details};
    size_t len[5];
    for (int i = 0; i < 5; i++)
        len[i] = strlen(f[i]);
    hash_raw(row->prev_hash, strlen(row->prev_hash), row->id, f, len, out);
}

int cb_reg_audit_append(cb_registry *r, const char *actor, const char *action,
                        const char *subject, const char *details, cb_error *err)
{
    cb_audit_row row = {0};
    sqlite3_stmt *st = NULL;
    int rc;
    if (r->depth <= 0)
        return cb_error_set(err, CB_EINTERNAL, "audit row written outside a transaction");
    if (!cb_text_field_ok(actor, sizeof row.actor) || !cb_text_field_ok(action, sizeof row.action) ||
        !cb_text_field_ok(subject ? subject : "", sizeof row.subject) ||
        !cb_text_field_ok(details ? details : "{}", sizeof row.details))
        return cb_error_set(err, CB_EINTERNAL, "audit row field too long or not text (%s)",
                            action);
    rc = cb_reg_prepare(r, "SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1", &st, err);
    if (rc < 0)
        return rc;
    int s = sqlite3_step(st);
    if (s == SQLITE_ROW) {
        row.id = sqlite3_column_int64(st, 0) + 1;
        cb_reg_column_text(st, 1, row.prev_hash, sizeof row.prev_hash);
    } else if (s == SQLITE_DONE) {
        row.id = 1;
        strcpy(row.prev_hash, zero_hash);
    } else {
        rc = cb_reg_db_error(r, s, "reading the audit log", err);
    }
    sqlite3_finalize(st);
    st = NULL;
    if (rc < 0)
        return rc;
    cb_date_timestamp_now(row.at);
    strcpy(row.actor, actor);
    strcpy(row.action, action);
    strcpy(row.subject, subject ? subject : "");
    strcpy(row.details, details ? details : "{}");
    cb_registry_audit_hash(&row, row.hash);
    rc = cb_reg_prepare(r, "INSERT INTO audit(id, at, actor, action, subject, details, "
                           "prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                        &st, err);
    if (rc < 0)
        return rc;
    sqlite3_bind_int64(st, 1, row.id);
    cb_reg_bind_text(st, 2, row.at);
    cb_reg_bind_text(st, 3, row.actor);
    cb_reg_bind_text(st, 4, row.action);
    cb_reg_bind_text(st, 5, row.subject);
    cb_reg_bind_text(st, 6, row.details);
    cb_reg_bind_text(st, 7, row.prev_hash);
    cb_reg_bind_text(st, 8, row.hash);
    rc = cb_reg_step_done(r, st, "writing the audit log", err);
    sqlite3_finalize(st);
    return rc;
}

/* One audit row for cb_reg_collect. */
static void audit_row(sqlite3_stmt *st, void *row)
{
    cb_audit_row *a = row;
    a->id = sqlite3_column_int64(st, 0);
    cb_reg_column_text(st, 1, a->at, sizeof a->at);
    cb_reg_column_text(st, 2, a->actor, sizeof a->actor);
    cb_reg_column_text(st, 3, a->action, sizeof a->action);
    cb_reg_column_text(st, 4, a->subject, sizeof a->subject);
    cb_reg_column_text(st, 5, a->details, sizeof a->details);
    cb_reg_column_text(st, 6, a->prev_hash, sizeof a->prev_hash);
    cb_reg_column_text(st, 7, a->hash, sizeof a->hash);
}

int cb_registry_audit_list(cb_registry *r, int64_t after_id, int limit, cb_audit_row **out,
                           int *count, cb_error *err)
{
    sqlite3_stmt *st = NULL;
    void *rows = NULL;
    *out = NULL;
    *count = 0;
    int rc = cb_reg_prepare(r, "SELECT id, at, actor, action, subject, details, prev_hash, hash "
                               "FROM audit WHERE id > ?1 ORDER BY id LIMIT ?2",
                            &st, err);
    if (rc < 0)
        return rc;
    sqlite3_bind_int64(st, 1, after_id);
    sqlite3_bind_int64(st, 2, limit > 0 ? limit : -1);
    const cb_reg_rows how = {.row_size = sizeof **out, .fill = audit_row,
                             .what = "reading the audit log"};
    rc = cb_reg_collect(r, st, &how, &rows, count, err);
    *out = rows;
    return rc;
}

int cb_registry_changed_since(cb_registry *r, int64_t since, int *changed, cb_error *err)
{
    sqlite3_stmt *st = NULL;
    *changed = 1;
    /* Regions redacted by hand change no consent (consent/run_review.h). */
    int rc = cb_reg_prepare(r, "SELECT EXISTS (SELECT 1 FROM audit WHERE id > ?1 AND "
                               "action <> 'review.redact')", &st, err);
    if (rc < 0)
        return rc;
    sqlite3_bind_int64(st, 1, since);
    int s = sqlite3_step(st);
    if (s == SQLITE_ROW)
        *changed = sqlite3_column_int(st, 0) != 0;
    else
        rc = cb_reg_db_error(r, s, "reading the audit log", err);
    sqlite3_finalize(st);
    return rc;
}

int cb_registry_audit_verify(cb_registry *r, int64_t *rows, int64_t *first_bad, cb_error *err)
{
    sqlite3_stmt *st = NULL;
    char expect_prev[65], hash[65];
    int64_t n = 0, bad = 0;
    int rc = cb_reg_prepare(r, "SELECT id, at, actor, action, subject, details, prev_hash, hash "
                               "FROM audit ORDER BY id",
                            &st, err);
    if (rc < 0)
        return rc;
    strcpy(expect_prev, zero_hash);
    int s;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        n++;
        int64_t id = sqlite3_column_int64(st, 0);
        const char *f[5];
        size_t len[5];
        for (int i = 0; i < 5; i++) {
            const char *t = (const char *)sqlite3_column_text(st, 1 + i);
            f[i] = t ? t : "";
            len[i] = t ? (size_t)sqlite3_column_bytes(st, 1 + i) : 0;
        }
        const char *prev = (const char *)sqlite3_column_text(st, 6);
        size_t prev_len = prev ? (size_t)sqlite3_column_bytes(st, 6) : 0;
        const char *stored = (const char *)sqlite3_column_text(st, 7);
        if (!prev)
            prev = "";
        hash_raw(prev, prev_len, id, f, len, hash);
        if (prev_len != 64 || memcmp(prev, expect_prev, 64) != 0 || !stored ||
            strcmp(stored, hash) != 0) {
            bad = id;
            break;
        }
        memcpy(expect_prev, stored, 65);
    }
    if (s != SQLITE_ROW && s != SQLITE_DONE)
        rc = cb_reg_db_error(r, s, "reading the audit log", err);
    sqlite3_finalize(st);
    if (rc < 0)
        return rc;
    if (rows)
        *rows = n;
    if (first_bad)
        *first_bad = bad;
    return 0;
}

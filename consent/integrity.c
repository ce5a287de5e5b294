/*
 * integrity.c - reading what consent/replay.c compares: the audit rows of
 * a person and of nobody, the table rows, the triggers, the runs' heads;
 * the full and the quick check; salts and digests for the writers. See
 * integrity.h.
 */
#include "integrity.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "registry_internal.h"

/* ---- salts and digests (also used by people.c and consents.c) ---------------------- */

int cb_reg_new_salt(char out[33], cb_error *err)
{
    unsigned char b[16];
    if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b)
        return cb_error_set(err, CB_EIO, "no random bytes for a digest's salt");
    for (int i = 0; i < 16; i++)
        snprintf(out + 2 * i, 3, "%02x", b[i]);
    return 0;
}

void cb_reg_person_digest(const char *salt, const char *name, const char *birth_date,
                          const char *group_name, char out[65])
{
    const char *const f[3] = {name, birth_date, group_name};
    cb_replay_digest(salt, f, 3, out);
}

void cb_reg_consent_digest(const char *salt, const char *signer, const char *evidence_ref,
                           const char *recorded_at, char out[65])
{
    const char *const f[3] = {signer, evidence_ref, recorded_at};
    cb_replay_digest(salt, f, 3, out);
}

/* ---- the head ------------------------------------------------------------------------ */

int cb_registry_audit_head(cb_registry *r, cb_audit_head *out, cb_error *err)
{
    sqlite3_stmt *st = NULL;
    memset(out, 0, sizeof *out);
    int rc = cb_reg_prepare(r, "SELECT id, hash, at FROM audit ORDER BY id DESC LIMIT 1", &st,
                            err);
    if (rc < 0)
        return rc;
    int s = sqlite3_step(st);
    if (s == SQLITE_ROW) {
        out->id = sqlite3_column_int64(st, 0);
        cb_reg_column_text(st, 1, out->hash, sizeof out->hash);
        cb_reg_column_text(st, 2, out->at, sizeof out->at);
    } else if (s != SQLITE_DONE) {
        rc = cb_reg_db_error(r, s, "reading the audit log", err);
    }
    sqlite3_finalize(st);
    return rc;
}

int cb_audit_head_parse(const char *text, cb_audit_head *out)
{
    char *end;
    memset(out, 0, sizeof *out);
    long long id = strtoll(text, &end, 10);
    if (!isdigit((unsigned char)text[0]) || id <= 0 || *end != ':' || strlen(end + 1) != 64)
        return CB_EINVAL;
    for (int i = 0; i < 64; i++) {
        if (!isxdigit((unsigned char)end[1 + i]))
            return CB_EINVAL;
        out->hash[i] = (char)tolower((unsigned char)end[1 + i]);
    }
    out->id = id;
    return 0;
}

int cb_integrity_tampered(const cb_integrity_report *rep)
{
    return rep->first_bad != 0 || rep->findings.total > 0;
}

void cb_integrity_report_free(cb_integrity_report *rep)
{
    if (rep)
        cb_findings_free(&rep->findings);
}

/* ---- one check's statements ----------------------------------------------------------- */

typedef struct checker {
    cb_registry *r;
    cb_findings *f;
    int row_hashes;          /* check each audit row read (quick); the full check has the chain */
    sqlite3_stmt *events, *person, *consents, *templates;
    int64_t *checked;        /* person ids whose rows were compared */
    int n_checked, cap_checked;
} checker;

/* The audit rows of one subject with their details read, and the next
 * row's link (for the quick check's own look at them). */
static const char events_sql[] =
    "SELECT a.id, a.at, a.actor, a.action, a.subject, a.details, a.prev_hash, a.hash, "
    "n.prev_hash, coalesce(json_extract(d, '$.id'), json_extract(d, '$.consent_id'), "
    "json_extract(d, '$.from'), json_extract(d, '$.new')), json_extract(d, '$.purpose'), "
    "json_extract(d, '$.given_by'), json_extract(d, '$.valid_from'), "
    "json_extract(d, '$.valid_until'), json_extract(d, '$.evidence_sha256'), "
    "json_extract(d, '$.role'), json_extract(d, '$.key'), json_extract(d, '$.digest'), "
    "json_extract(d, '$.withdrawn_at') "
    "FROM (SELECT *, CASE WHEN json_valid(details) THEN details END AS d FROM audit "
    "WHERE subject = ?1) a LEFT JOIN audit n ON n.id = a.id + 1 ORDER BY a.id";

static const char person_sql[] =
    "SELECT id, external_id, role, name, birth_date, group_name, salt FROM people "
    "WHERE external_id = ?1";

static const char consents_sql[] =
    "SELECT id, person_id, purpose, status, given_by, valid_from, valid_until, evidence_sha256, "
    "recorded_by, withdrawn_at, withdrawn_by, given_by_name, evidence_ref, recorded_at, salt "
    "FROM consents WHERE person_id = ?1";

static int checker_open(checker *c, cb_registry *r, cb_findings *f, int row_hashes,
                        cb_error *err)
{
    memset(c, 0, sizeof *c);
    c->r = r;
    c->f = f;
    c->row_hashes = row_hashes;
    int rc = cb_reg_prepare(r, events_sql, &c->events, err);
    if (rc == 0)
        rc = cb_reg_prepare(r, person_sql, &c->person, err);
    if (rc == 0)
        rc = cb_reg_prepare(r, consents_sql, &c->consents, err);
    if (rc == 0)
        rc = cb_reg_prepare(r, "SELECT count(*) FROM templates WHERE person_id = ?1",
                            &c->templates, err);
    return rc;
}

static void checker_close(checker *c)
{
    sqlite3_finalize(c->events);
    sqlite3_finalize(c->person);
    sqlite3_finalize(c->consents);
    sqlite3_finalize(c->templates);
    free(c->checked);
}

static int checked_add(checker *c, int64_t id, cb_error *err)
{
    if (c->n_checked == c->cap_checked) {
        int cap = c->cap_checked ? c->cap_checked * 2 : 64;
        int64_t *l = realloc(c->checked, (size_t)cap * sizeof *l);
        if (!l)
            return cb_error_set(err, CB_ENOMEM, "out of memory");
        c->checked = l;
        c->cap_checked = cap;
    }
    c->checked[c->n_checked++] = id;
    return 0;
}

static int was_checked(const checker *c, int64_t id)
{
    for (int i = 0; i < c->n_checked; i++)
        if (c->checked[i] == id)
            return 1;
    return 0;
}

/* ---- reading rows ------------------------------------------------------------------------ */

static void text_col(sqlite3_stmt *st, int col, char *out, size_t size)
{
    cb_reg_column_text(st, col, out, size);
}

/* Set `flag` in *has when the column is not NULL, copying it into out. */
static void optional_col(sqlite3_stmt *st, int col, char *out, size_t size, unsigned flag,
                         unsigned *has)
{
    if (sqlite3_column_type(st, col) == SQLITE_NULL)
        return;
    text_col(st, col, out, size);
    *has |= flag;
}

/* Does this audit row hash to what it stores, and does the next row link to it? */
static void check_row_hash(checker *c, sqlite3_stmt *st)
{
    cb_audit_row a = {0};
    char hash[65], key[24];
    a.id = sqlite3_column_int64(st, 0);
    text_col(st, 1, a.at, sizeof a.at);
    text_col(st, 2, a.actor, sizeof a.actor);
    text_col(st, 3, a.action, sizeof a.action);
    text_col(st, 4, a.subject, sizeof a.subject);
    text_col(st, 5, a.details, sizeof a.details);
    text_col(st, 6, a.prev_hash, sizeof a.prev_hash);
    text_col(st, 7, a.hash, sizeof a.hash);
    cb_registry_audit_hash(&a, hash);
    const char *next_prev = (const char *)sqlite3_column_text(st, 8);
    if (strcmp(hash, a.hash) != 0 || (next_prev && strcmp(next_prev, a.hash) != 0)) {
        snprintf(key, sizeof key, "%lld", (long long)a.id);
        cb_findings_add(c->f, CB_FIND_ROW_HASH, "audit", key, NULL, NULL, NULL);
    }
}

static void read_event(sqlite3_stmt *st, cb_replay_event *e)
{
    e->id = sqlite3_column_int64(st, 0);
    text_col(st, 2, e->actor, sizeof e->actor);
    text_col(st, 3, e->action, sizeof e->action);
    text_col(st, 4, e->subject, sizeof e->subject);
    if (sqlite3_column_type(st, 9) != SQLITE_NULL) {
        e->num = sqlite3_column_int64(st, 9);
        e->has |= CB_REPLAY_HAS_NUM;
    }
    unsigned ignored = 0;
    text_col(st, 10, e->purpose, sizeof e->purpose);
    text_col(st, 11, e->given_by, sizeof e->given_by);
    text_col(st, 12, e->valid_from, sizeof e->valid_from);
    text_col(st, 13, e->valid_until, sizeof e->valid_until);
    text_col(st, 14, e->evidence_sha256, sizeof e->evidence_sha256);
    optional_col(st, 15, e->role, sizeof e->role, CB_REPLAY_HAS_ROLE, &e->has);
    optional_col(st, 16, e->key, sizeof e->key, 0, &ignored);
    optional_col(st, 17, e->digest, sizeof e->digest, CB_REPLAY_HAS_DIGEST, &e->has);
    optional_col(st, 18, e->withdrawn_at, sizeof e->withdrawn_at, CB_REPLAY_HAS_WITHDRAWN_AT,
                 &e->has);
}

/* The events of one subject ("" for the rows of no person) into *out. */
static int read_events(checker *c, const char *subject, cb_replay_event **out, int *n,
                       cb_error *err)
{
    sqlite3_stmt *st = c->events;
    int cap = 0, s;
    *out = NULL;
    *n = 0;
    sqlite3_reset(st);
    cb_reg_bind_text(st, 1, subject);
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            cb_replay_event *l = realloc(*out, (size_t)cap * sizeof *l);
            if (!l) {
                free(*out);
                *out = NULL;
                return cb_error_set(err, CB_ENOMEM, "out of memory");
            }
            *out = l;
        }
        cb_replay_event *e = &(*out)[(*n)++];
        memset(e, 0, sizeof *e);
        read_event(st, e);
        if (c->row_hashes)
            check_row_hash(c, st);
    }
    if (s != SQLITE_DONE) {
        free(*out);
        *out = NULL;
        return cb_reg_db_error(c->r, s, "reading the audit log", err);
    }
    return 0;
}

/* The people row of external_id (*found 0 when none), with its template count. */
static int read_person(checker *c, const char *external_id, cb_replay_person *p, int *found,
                       cb_error *err)
{
    sqlite3_stmt *st = c->person;
    char name[128], birth[11], group[64], salt[33];
    memset(p, 0, sizeof *p);
    sqlite3_reset(st);
    cb_reg_bind_text(st, 1, external_id);
    int s = sqlite3_step(st);
    *found = s == SQLITE_ROW;
    if (s != SQLITE_ROW)
        return s == SQLITE_DONE ? 0 : cb_reg_db_error(c->r, s, "reading people", err);
    p->id = sqlite3_column_int64(st, 0);
    text_col(st, 1, p->external_id, sizeof p->external_id);
    text_col(st, 2, p->role, sizeof p->role);
    text_col(st, 3, name, sizeof name);
    text_col(st, 4, birth, sizeof birth);
    text_col(st, 5, group, sizeof group);
    text_col(st, 6, salt, sizeof salt);
    cb_reg_person_digest(salt, name, birth, group, p->digest);
    sqlite3_reset(c->templates);
    sqlite3_bind_int64(c->templates, 1, p->id);
    s = sqlite3_step(c->templates);
    if (s != SQLITE_ROW)
        return cb_reg_db_error(c->r, s, "counting templates", err);
    p->templates = sqlite3_column_int(c->templates, 0);
    return 0;
}

/* One consent row (consents_sql) for cb_reg_collect. */
static void consent_row(sqlite3_stmt *st, void *row)
{
    cb_replay_consent *x = row;
    char signer[128], ref[256], at[21], salt[33];
    x->id = sqlite3_column_int64(st, 0);
    x->person_id = sqlite3_column_int64(st, 1);
    text_col(st, 2, x->purpose, sizeof x->purpose);
    text_col(st, 3, x->status, sizeof x->status);
    text_col(st, 4, x->given_by, sizeof x->given_by);
    text_col(st, 5, x->valid_from, sizeof x->valid_from);
    text_col(st, 6, x->valid_until, sizeof x->valid_until);
    text_col(st, 7, x->evidence_sha256, sizeof x->evidence_sha256);
    text_col(st, 8, x->recorded_by, sizeof x->recorded_by);
    text_col(st, 9, x->withdrawn_at, sizeof x->withdrawn_at);
    text_col(st, 10, x->withdrawn_by, sizeof x->withdrawn_by);
    text_col(st, 11, signer, sizeof signer);
    text_col(st, 12, ref, sizeof ref);
    text_col(st, 13, at, sizeof at);
    text_col(st, 14, salt, sizeof salt);
    cb_reg_consent_digest(salt, signer, ref, at, x->digest);
}

static int read_consents(checker *c, int64_t person_id, cb_replay_consent **out, int *n,
                         cb_error *err)
{
    sqlite3_stmt *st = NULL;
    void *rows = NULL;
    int rc = cb_reg_prepare(c->r, consents_sql, &st, err);
    if (rc < 0)
        return rc;
    sqlite3_bind_int64(st, 1, person_id);
    const cb_reg_rows how = {.row_size = sizeof **out, .fill = consent_row,
                             .what = "reading consent"};
    rc = cb_reg_collect(c->r, st, &how, &rows, n, err);
    *out = rows;
    return rc;
}

/* ---- comparing ------------------------------------------------------------------------------ */

/* Replay the log of one person and compare it with their rows. */
static int check_subject(checker *c, const char *external_id, cb_error *err)
{
    cb_replay_event *ev = NULL;
    cb_replay_subject want;
    cb_replay_person have;
    cb_replay_consent *consents = NULL;
    int n = 0, found = 0, n_consents = 0;
    int rc = read_events(c, external_id, &ev, &n, err);
    if (rc < 0)
        return rc;
    if (cb_replay_subject_run(ev, n, &want) < 0)
        rc = cb_error_set(err, CB_ENOMEM, "out of memory");
    free(ev);
    if (rc < 0)
        return rc;
    rc = read_person(c, external_id, &have, &found, err);
    int64_t pid = want.person.live ? want.person.id : found ? have.id : 0;
    if (rc == 0 && pid > 0)
        rc = read_consents(c, pid, &consents, &n_consents, err);
    if (rc == 0 && pid > 0)
        rc = checked_add(c, pid, err);
    if (rc == 0)
        cb_replay_compare_subject(&want, found ? &have : NULL, consents, n_consents, c->f);
    free(consents);
    cb_replay_subject_free(&want);
    return rc;
}

/* ...of many people, ids and keys read from a query that returns text keys. */
static int check_subjects(checker *c, const char *sql, cb_error *err)
{
    sqlite3_stmt *st = NULL;
    int rc = cb_reg_prepare(c->r, sql, &st, err), s = SQLITE_DONE;
    while (rc == 0 && (s = sqlite3_step(st)) == SQLITE_ROW) {
        char ext[64];
        text_col(st, 0, ext, sizeof ext);
        rc = check_subject(c, ext, err);
    }
    if (rc == 0 && s != SQLITE_DONE)
        rc = cb_reg_db_error(c->r, s, "reading people", err);
    sqlite3_finalize(st);
    return rc;
}

/* The purposes and settings tables against the rows of no person. */
static int check_globals(checker *c, cb_error *err)
{
    cb_replay_event *ev = NULL;
    cb_replay_globals want;
    char(*purposes)[32] = NULL;
    char settings[8][2][48];
    int n = 0, n_purposes = 0, n_settings = 0, s = SQLITE_DONE;
    int rc = read_events(c, "", &ev, &n, err);
    if (rc < 0)
        return rc;
    rc = cb_replay_globals_run(ev, n, &want) < 0 ? cb_error_set(err, CB_ENOMEM, "out of memory")
                                                  : 0;
    free(ev);
    if (rc == 0)
        rc = cb_registry_purpose_list(c->r, &purposes, &n_purposes, err);
    sqlite3_stmt *st = NULL;
    if (rc == 0)
        rc = cb_reg_prepare(c->r, "SELECT key, value FROM settings ORDER BY key LIMIT 8", &st,
                            err);
    while (rc == 0 && (s = sqlite3_step(st)) == SQLITE_ROW) {
        text_col(st, 0, settings[n_settings][0], 48);
        text_col(st, 1, settings[n_settings][1], 48);
        n_settings++;
    }
    if (rc == 0 && s != SQLITE_DONE)
        rc = cb_reg_db_error(c->r, s, "reading settings", err);
    sqlite3_finalize(st);
    if (rc == 0)
        cb_replay_compare_globals(&want, (const char(*)[32])purposes, n_purposes,
                                  (const char(*)[2][48])settings, n_settings, c->f);
    free(purposes);
    cb_replay_globals_free(&want);
    return rc;
}

/* Consent records and templates of people who are in neither the log nor
 * the people table (a person row deleted behind the log's back, or rows
 * inserted for an id nobody has). */
static int check_orphans(checker *c, cb_error *err)
{
    static const char sql[] =
        "SELECT 'consents', id || ' (-, ' || purpose || ')', person_id FROM consents "
        "WHERE person_id NOT IN (SELECT id FROM people) UNION ALL "
        "SELECT 'templates', 'person id ' || person_id, person_id FROM templates "
        "WHERE person_id NOT IN (SELECT id FROM people) GROUP BY person_id";
    sqlite3_stmt *st = NULL;
    int rc = cb_reg_prepare(c->r, sql, &st, err), s = SQLITE_DONE;
    while (rc == 0 && (s = sqlite3_step(st)) == SQLITE_ROW) {
        char table[16], key[112];
        if (was_checked(c, sqlite3_column_int64(st, 2)))
            continue; /* compared with the log of that person already */
        text_col(st, 0, table, sizeof table);
        text_col(st, 1, key, sizeof key);
        cb_findings_add(c->f, CB_FIND_UNEXPLAINED, table, key, NULL, NULL, NULL);
    }
    if (rc == 0 && s != SQLITE_DONE)
        rc = cb_reg_db_error(c->r, s, "reading consent", err);
    sqlite3_finalize(st);
    return rc;
}

/* ---- triggers ---------------------------------------------------------------------------- */

typedef struct trigger {
    char name[64];
    char *sql;
} trigger;

static void triggers_free(trigger *t, int n)
{
    for (int i = 0; t && i < n; i++)
        free(t[i].sql);
    free(t);
}

/* One trigger row (name, sql) for cb_reg_collect. */
static int trigger_row(sqlite3_stmt *st, void *row, void *ctx, cb_error *err)
{
    (void)ctx;
    trigger *t = row;
    const char *sql = (const char *)sqlite3_column_text(st, 1);
    text_col(st, 0, t->name, sizeof t->name);
    t->sql = strdup(sql ? sql : "");
    return t->sql ? 0 : cb_error_set(err, CB_ENOMEM, "out of memory");
}

static void trigger_release(void *row)
{
    free(((trigger *)row)->sql);
}

/* The triggers of a database, by name. */
static int read_triggers(cb_registry *r, trigger **out, int *n, cb_error *err)
{
    sqlite3_stmt *st = NULL;
    void *rows = NULL;
    *out = NULL;
    *n = 0;
    int rc = cb_reg_prepare(r, "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                               "ORDER BY name",
                            &st, err);
    if (rc < 0)
        return rc;
    const cb_reg_rows how = {.row_size = sizeof **out, .read = trigger_row,
                             .release = trigger_release, .what = "reading the schema"};
    rc = cb_reg_collect(r, st, &how, &rows, n, err);
    *out = rows;
    return rc;
}

/* The triggers the migrations create, from a schema built in memory. */
static int schema_triggers(trigger **out, int *n, cb_error *err)
{
    cb_registry mem = {0};
    strcpy(mem.path, ":memory:");
    if (sqlite3_open(":memory:", &mem.db) != SQLITE_OK) {
        sqlite3_close(mem.db);
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    }
    int rc = 0;
    for (int v = 1; rc == 0 && v <= CB_REGISTRY_SCHEMA_VERSION; v++)
        rc = cb_reg_schema_run(&mem, cb_reg_schema_sql(v), "2000-01-01T00:00:00Z", err);
    if (rc == 0)
        rc = read_triggers(&mem, out, n, err);
    sqlite3_close(mem.db);
    return rc;
}

static const trigger *find_trigger(const trigger *t, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(t[i].name, name))
            return &t[i];
    return NULL;
}

static int check_triggers(checker *c, cb_error *err)
{
    trigger *want = NULL, *have = NULL;
    int n_want = 0, n_have = 0;
    int rc = schema_triggers(&want, &n_want, err);
    if (rc == 0)
        rc = read_triggers(c->r, &have, &n_have, err);
    for (int i = 0; rc == 0 && i < n_want; i++) {
        const trigger *h = find_trigger(have, n_have, want[i].name);
        if (!h)
            cb_findings_add(c->f, CB_FIND_TRIGGER_MISSING, "schema", want[i].name, 0, 0, 0);
        else if (strcmp(h->sql, want[i].sql) != 0)
            cb_findings_add(c->f, CB_FIND_TRIGGER_CHANGED, "schema", want[i].name, 0, 0, 0);
    }
    for (int i = 0; rc == 0 && i < n_have; i++)
        if (!find_trigger(want, n_want, have[i].name))
            cb_findings_add(c->f, CB_FIND_TRIGGER_EXTRA, "schema", have[i].name, 0, 0, 0);
    triggers_free(want, n_want);
    triggers_free(have, n_have);
    return rc;
}

/* ---- anchors ------------------------------------------------------------------------------ */

static void head_text(int64_t id, const char *hash, char *out, size_t size)
{
    snprintf(out, size, "%lld:%s", (long long)id, hash);
}

/* Every run's recorded head, and `expect`, must still be in the chain. */
static int check_anchors(checker *c, const cb_audit_head *expect, cb_integrity_report *rep,
                         cb_error *err)
{
    sqlite3_stmt *st = NULL;
    char key[24], head[96];
    int rc = cb_reg_prepare(c->r,
                            "SELECT r.id, r.registry_version, r.registry_hash, "
                            "a.hash IS r.registry_hash FROM runs r LEFT JOIN audit a "
                            "ON a.id = r.registry_version ORDER BY r.id",
                            &st, err);
    int s = SQLITE_DONE;
    while (rc == 0 && (s = sqlite3_step(st)) == SQLITE_ROW) {
        const char *hash = (const char *)sqlite3_column_text(st, 2);
        if (!hash || !*hash) {
            rep->runs_without_head++;
            continue;
        }
        rep->runs_anchored++;
        if (sqlite3_column_int(st, 3))
            continue;
        snprintf(key, sizeof key, "%lld", (long long)sqlite3_column_int64(st, 0));
        head_text(sqlite3_column_int64(st, 1), hash, head, sizeof head);
        cb_findings_add(c->f, CB_FIND_HEAD_LOST, "runs", key, NULL, head, NULL);
    }
    if (rc == 0 && s != SQLITE_DONE)
        rc = cb_reg_db_error(c->r, s, "reading the runs", err);
    sqlite3_finalize(st);
    if (rc < 0 || !expect)
        return rc;
    rc = cb_reg_prepare(c->r, "SELECT hash FROM audit WHERE id = ?1", &st, err);
    if (rc < 0)
        return rc;
    sqlite3_bind_int64(st, 1, expect->id);
    s = sqlite3_step(st);
    if (s == SQLITE_ROW || s == SQLITE_DONE) {
        const char *hash = s == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
        head_text(expect->id, expect->hash, head, sizeof head);
        if (!hash || strcmp(hash, expect->hash) != 0)
            cb_findings_add(c->f, CB_FIND_EXPECT_LOST, "audit", NULL, NULL, head, NULL);
    } else {
        rc = cb_reg_db_error(c->r, s, "reading the audit log", err);
    }
    sqlite3_finalize(st);
    return rc;
}

/* ---- the two checks ------------------------------------------------------------------------ */

/* One snapshot for everything read: BEGIN (deferred) unless the handle is
 * inside a transaction already. Returns whether it began one. */
static int snapshot_begin(cb_registry *r)
{
    if (r->depth > 0 || !sqlite3_get_autocommit(r->db))
        return 0;
    return sqlite3_exec(r->db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK;
}

static void snapshot_end(cb_registry *r, int began)
{
    if (began)
        sqlite3_exec(r->db, "COMMIT", NULL, NULL, NULL);
}

int cb_registry_integrity_check(cb_registry *r, const cb_audit_head *expect,
                                cb_integrity_report *rep, cb_error *err)
{
    checker c = {0};
    memset(rep, 0, sizeof *rep);
    int began = snapshot_begin(r);
    int rc = cb_registry_audit_verify(r, &rep->rows, &rep->first_bad, err);
    if (rc == 0)
        rc = checker_open(&c, r, &rep->findings, 0, err);
    if (rc == 0)
        rc = check_triggers(&c, err);
    if (rc == 0)
        rc = check_anchors(&c, expect, rep, err);
    if (rc == 0)
        rc = check_globals(&c, err);
    if (rc == 0)
        rc = check_subjects(&c, "SELECT subject FROM audit WHERE subject <> '' "
                                "UNION SELECT external_id FROM people", err);
    if (rc == 0)
        rc = check_orphans(&c, err);
    checker_close(&c);
    snapshot_end(r, began);
    if (rc < 0)
        cb_integrity_report_free(rep);
    return rc;
}

/* The people row of a registry id, for the quick check: its external id. */
static int external_id_of(cb_registry *r, int64_t id, char out[64], int *found, cb_error *err)
{
    cb_person p;
    cb_error e = {0};
    int rc = cb_registry_person_get(r, id, &p, &e);
    *found = rc == 0;
    if (rc == 0)
        memcpy(out, p.external_id, 64);
    else if (rc != CB_ENOTFOUND && err)
        *err = e;
    return rc == CB_ENOTFOUND ? 0 : rc;
}

int cb_registry_integrity_quick(cb_registry *r, const int64_t *person_ids, int n,
                                cb_integrity_report *rep, cb_error *err)
{
    checker c = {0};
    memset(rep, 0, sizeof *rep);
    int began = snapshot_begin(r);
    int rc = checker_open(&c, r, &rep->findings, 1, err);
    if (rc == 0)
        rc = check_triggers(&c, err);
    if (rc == 0)
        rc = check_globals(&c, err);
    for (int i = 0; rc == 0 && i < n; i++) {
        char ext[64], key[40];
        int found = 0;
        if (was_checked(&c, person_ids[i]))
            continue;
        rc = external_id_of(r, person_ids[i], ext, &found, err);
        if (rc == 0 && found)
            rc = check_subject(&c, ext, err);
        if (rc == 0 && !found) {
            snprintf(key, sizeof key, "person id %lld", (long long)person_ids[i]);
            cb_findings_add(c.f, CB_FIND_UNEXPLAINED, "templates", key, NULL, NULL, NULL);
            rc = checked_add(&c, person_ids[i], err);
        }
    }
    checker_close(&c);
    snapshot_end(r, began);
    if (rc < 0)
        cb_integrity_report_free(rep);
    return rc;
}

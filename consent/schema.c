/*
 * schema.c - the registry's tables and their migrations. PRAGMA
 * user_version holds the schema version, PRAGMA application_id marks the
 * file as ours, and the migrations table says when each step ran. To change
 * the schema: append a migration (never edit an old one) and raise
 * CB_REGISTRY_SCHEMA_VERSION.
 */
#include <stdio.h>
#include <string.h>

#include "../common/cb_error.h"
#include "../common/cb_date.h"
#include "registry_internal.h"
#include "text.h"

static const char schema_v1[] =
    "CREATE TABLE migrations ("
    "  version INTEGER PRIMARY KEY,"
    "  applied_at TEXT NOT NULL,"
    "  description TEXT NOT NULL);"
    "CREATE TABLE people ("
    "  id INTEGER PRIMARY KEY,"
    "  external_id TEXT NOT NULL UNIQUE,"
    "  name TEXT NOT NULL,"
    "  role TEXT NOT NULL CHECK (role IN ('pupil', 'staff', 'other')),"
    "  birth_date TEXT NOT NULL DEFAULT '',"
    "  group_name TEXT NOT NULL DEFAULT '',"
    "  created_at TEXT NOT NULL,"
    "  updated_at TEXT NOT NULL);"
    "CREATE TABLE purposes ("
    "  name TEXT PRIMARY KEY,"
    "  created_at TEXT NOT NULL);"
    "CREATE TABLE settings ("
    "  key TEXT PRIMARY KEY,"
    "  value TEXT NOT NULL,"
    "  updated_at TEXT NOT NULL,"
    "  updated_by TEXT NOT NULL);"
    "CREATE TABLE consents ("
    "  id INTEGER PRIMARY KEY,"
    "  person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,"
    "  purpose TEXT NOT NULL REFERENCES purposes(name),"
    "  status TEXT NOT NULL CHECK (status IN ('granted', 'refused', 'withdrawn')),"
    "  given_by TEXT NOT NULL CHECK (given_by IN ('self', 'guardian')),"
    "  given_by_name TEXT NOT NULL DEFAULT '',"
    "  evidence_ref TEXT NOT NULL DEFAULT '',"
    "  evidence_sha256 TEXT NOT NULL DEFAULT '',"
    "  valid_from TEXT NOT NULL DEFAULT '',"
    "  valid_until TEXT NOT NULL DEFAULT '',"
    "  recorded_by TEXT NOT NULL,"
    "  recorded_at TEXT NOT NULL,"
    "  withdrawn_at TEXT NOT NULL DEFAULT '',"
    "  withdrawn_by TEXT NOT NULL DEFAULT '');"
    "CREATE INDEX consents_person_purpose ON consents(person_id, purpose, id);"
    "CREATE TABLE templates ("
    "  id INTEGER PRIMARY KEY,"
    "  person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,"
    "  model_id TEXT NOT NULL,"
    "  dim INTEGER NOT NULL CHECK (dim > 0),"
    "  embedding BLOB NOT NULL CHECK (length(embedding) = 4 * dim)," /* float32 LE */
    "  quality REAL NOT NULL,"
    "  source_sha256 TEXT NOT NULL DEFAULT '',"
    "  created_at TEXT NOT NULL,"
    "  created_by TEXT NOT NULL);"
    "CREATE INDEX templates_person ON templates(person_id);"
    "CREATE INDEX templates_model ON templates(model_id);"
    "CREATE TABLE audit ("
    "  id INTEGER PRIMARY KEY,"
    "  at TEXT NOT NULL,"
    "  actor TEXT NOT NULL,"
    "  action TEXT NOT NULL,"
    "  subject TEXT NOT NULL DEFAULT '',"
    "  details TEXT NOT NULL DEFAULT '{}',"
    "  prev_hash TEXT NOT NULL,"
    "  hash TEXT NOT NULL);"
    "CREATE INDEX audit_subject ON audit(subject);"
    "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit"
    "  BEGIN SELECT RAISE(ABORT, 'audit rows cannot be changed'); END;"
    "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit"
    "  BEGIN SELECT RAISE(ABORT, 'audit rows cannot be deleted'); END;"
    "INSERT INTO purposes(name, created_at) VALUES"
    "  ('social', ?1), ('website', ?1), ('newsletter', ?1), ('print', ?1), ('internal', ?1);";

/*
 * 2: processing records. One row per file per run (process, batch, watch,
 * check): what went in (path, SHA-256), what came out (NULL for check and
 * for failures: fail closed), for which purpose and date, how many faces
 * were kept and redacted, whom the kept ones show (external ids), which
 * models judged it. Not part of the hash-chained audit log (there are many
 * of them), but append-only all the same. They hold external ids, never
 * biometric data, so `person remove` leaves them as they are.
 */
static const char schema_v2[] =
    "CREATE TABLE runs ("
    "  id INTEGER PRIMARY KEY,"
    "  started_at TEXT NOT NULL,"
    "  finished_at TEXT NOT NULL,"
    "  command TEXT NOT NULL CHECK (command IN ('process', 'batch', 'watch', 'check')),"
    "  input_path TEXT NOT NULL,"
    "  input_sha256 TEXT NOT NULL,"
    "  output_path TEXT," /* NULL: nothing written (check, or a failure) */
    "  output_sha256 TEXT,"
    "  purpose TEXT NOT NULL,"
    "  run_date TEXT NOT NULL,"
    "  faces_total INTEGER NOT NULL CHECK (faces_total >= 0),"
    "  faces_kept INTEGER NOT NULL CHECK (faces_kept >= 0),"
    "  faces_redacted INTEGER NOT NULL CHECK (faces_redacted >= 0),"
    "  kept_people TEXT NOT NULL DEFAULT '[]'," /* JSON array of external ids */
    "  status TEXT NOT NULL CHECK (status IN ('ok', 'failed')),"
    "  error TEXT NOT NULL DEFAULT '',"
    "  models TEXT NOT NULL DEFAULT '{}'," /* JSON object: model ids and file hashes */
    "  host TEXT NOT NULL DEFAULT ''," /* machine name */
    "  actor TEXT NOT NULL DEFAULT '');" /* who ran it */
    "CREATE INDEX runs_input ON runs(input_sha256, purpose, status);"
    "CREATE TRIGGER runs_no_update BEFORE UPDATE ON runs"
    "  BEGIN SELECT RAISE(ABORT, 'run records cannot be changed'); END;"
    "CREATE TRIGGER runs_no_delete BEFORE DELETE ON runs"
    "  BEGIN SELECT RAISE(ABORT, 'run records cannot be deleted'); END;";

/* Which state of the registry a run judged consent on: the id of the newest
 * audit row then (every change to consent writes one), so a later run can
 * tell exactly whether anything changed since (timestamps have seconds). */
static const char schema_v3[] =
    "ALTER TABLE runs ADD COLUMN registry_version INTEGER NOT NULL DEFAULT 0;";

/* 4: what the review page needs (consent/run_review.h): how each output was
 * made, each face's box and decision, and the regions staff redacted by
 * hand afterwards; all append-only. Outputs are found by their SHA-256. */
static const char schema_v4[] =
    "CREATE TABLE run_media ("
    "  run_id INTEGER PRIMARY KEY REFERENCES runs(id),"
    "  input_realpath TEXT NOT NULL DEFAULT '',"
    "  style TEXT NOT NULL,"
    "  quality INTEGER NOT NULL DEFAULT 0,"
    "  width INTEGER NOT NULL CHECK (width > 0),"
    "  height INTEGER NOT NULL CHECK (height > 0),"
    "  frames INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE run_faces ("
    "  run_id INTEGER NOT NULL REFERENCES run_media(run_id),"
    "  face INTEGER NOT NULL CHECK (face >= 0),"
    "  track_id INTEGER NOT NULL DEFAULT 0,"
    "  x REAL NOT NULL, y REAL NOT NULL, w REAL NOT NULL, h REAL NOT NULL,"
    "  first_frame INTEGER NOT NULL DEFAULT 0,"
    "  last_frame INTEGER NOT NULL DEFAULT 0,"
    "  keep INTEGER NOT NULL CHECK (keep IN (0, 1)),"
    "  reason TEXT NOT NULL,"
    "  external_id TEXT NOT NULL DEFAULT ''," /* kept faces only */
    "  boxes BLOB," /* video: float32 LE x, y, w, h per frame first..last */
    "  PRIMARY KEY (run_id, face));"
    "CREATE TABLE run_edits ("
    "  id INTEGER PRIMARY KEY,"
    "  run_id INTEGER NOT NULL REFERENCES run_media(run_id),"
    "  at TEXT NOT NULL,"
    "  actor TEXT NOT NULL,"
    "  host TEXT NOT NULL DEFAULT '',"
    "  x INTEGER NOT NULL, y INTEGER NOT NULL,"
    "  w INTEGER NOT NULL CHECK (w > 0), h INTEGER NOT NULL CHECK (h > 0),"
    "  first_frame INTEGER NOT NULL DEFAULT -1,"
    "  last_frame INTEGER NOT NULL DEFAULT -1,"
    "  face INTEGER NOT NULL DEFAULT -1,"
    "  source TEXT NOT NULL CHECK (source IN ('original', 'output')),"
    "  before_sha256 TEXT NOT NULL,"
    "  after_sha256 TEXT NOT NULL);"
    "CREATE INDEX run_edits_run ON run_edits(run_id, id);"
    "CREATE INDEX run_edits_after ON run_edits(after_sha256);"
    "CREATE INDEX runs_output ON runs(output_sha256);"
    "CREATE TRIGGER run_media_no_update BEFORE UPDATE ON run_media"
    "  BEGIN SELECT RAISE(ABORT, 'run records cannot be changed'); END;"
    "CREATE TRIGGER run_media_no_delete BEFORE DELETE ON run_media"
    "  BEGIN SELECT RAISE(ABORT, 'run records cannot be deleted'); END;"
    "CREATE TRIGGER run_faces_no_update BEFORE UPDATE ON run_faces"
    "  BEGIN SELECT RAISE(ABORT, 'run records cannot be changed'); END;"
    "CREATE TRIGGER run_faces_no_delete BEFORE DELETE ON run_faces"
    "  BEGIN SELECT RAISE(ABORT, 'run records cannot be deleted'); END;"
    "CREATE TRIGGER run_edits_no_update BEFORE UPDATE ON run_edits"
    "  BEGIN SELECT RAISE(ABORT, 'run records cannot be changed'); END;"
    "CREATE TRIGGER run_edits_no_delete BEFORE DELETE ON run_edits"
    "  BEGIN SELECT RAISE(ABORT, 'run records cannot be deleted'); END;";

/*
 * Anchors and digests for checking the tables against the audit log
 * (consent/integrity.h): a run records the hash of the audit head it was
 * judged on (registry_version holds its id); people and consent records get
 * a random salt for the digest of their names that their audit rows carry.
 * Older rows keep '': no hash recorded, no digest to compare.
 */
static const char schema_v5[] =
    "ALTER TABLE runs ADD COLUMN registry_hash TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE people ADD COLUMN salt TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE consents ADD COLUMN salt TEXT NOT NULL DEFAULT '';";

typedef struct migration {
    int version;
    const char *description;
    const char *sql; /* may use ?1 = now, once, in its last statement only */
} migration;

static const migration migrations[] = {
    {1, "initial schema: people, purposes, settings, consents, templates, audit", schema_v1},
    {2, "processing records (runs)", schema_v2},
    {3, "runs: the registry version they judged consent on", schema_v3},
    {4, "review: faces per run, regions redacted by hand", schema_v4},
    {5, "runs: the audit head's hash; people and consents: salts for audit digests", schema_v5},
};
enum { N_MIGRATIONS = sizeof migrations / sizeof migrations[0] };

_Static_assert(sizeof migrations / sizeof migrations[0] == CB_REGISTRY_SCHEMA_VERSION,
               "one migration per schema version");

const char *cb_reg_schema_sql(int version)
{
    for (int i = 0; i < N_MIGRATIONS; i++)
        if (migrations[i].version == version)
            return migrations[i].sql;
    return NULL;
}

static int pragma_int(cb_registry *r, const char *sql, int *out, cb_error *err)
{
    sqlite3_stmt *st = NULL;
    int rc = cb_reg_prepare(r, sql, &st, err);
    if (rc < 0)
        return rc;
    int s = sqlite3_step(st);
    if (s == SQLITE_ROW)
        *out = sqlite3_column_int(st, 0);
    else
        rc = cb_reg_db_error(r, s, "reading the schema version", err);
    sqlite3_finalize(st);
    return rc;
}

int cb_reg_schema_identify(cb_registry *r, int *version, cb_error *err)
{
    int app = 0, ver = 0, objects = 0;
    int rc = pragma_int(r, "PRAGMA application_id", &app, err);
    if (rc == 0)
        rc = pragma_int(r, "PRAGMA user_version", &ver, err);
    if (rc == 0)
        rc = pragma_int(r, "SELECT count(*) FROM sqlite_master", &objects, err);
    if (rc < 0)
        return rc;
    if (app == 0 && ver == 0 && objects == 0) {
        *version = 0; /* empty: a new registry */
        return 0;
    }
    if (app != CB_REG_APPLICATION_ID)
        return cb_error_set(err, CB_EDB,
                            "%s: not a consentblur registry (a sqlite database of something "
                            "else; refusing to touch it)",
                            r->path);
    if (ver > CB_REGISTRY_SCHEMA_VERSION)
        return cb_error_set(err, CB_EDB,
                            "%s: registry schema version %d is newer than this consentblur "
                            "knows (%d); use a newer consentblur",
                            r->path, ver, CB_REGISTRY_SCHEMA_VERSION);
    if (ver < 1)
        return cb_error_set(err, CB_EDB, "%s: damaged registry (schema version %d)", r->path, ver);
    *version = ver;
    return 0;
}

int cb_reg_schema_run(cb_registry *r, const char *sql, const char *now, cb_error *err)
{
    /* All statements but the last through exec; the last binds ?1. */
    const char *tail = NULL;
    while (*sql) {
        sqlite3_stmt *st = NULL;
        int s = sqlite3_prepare_v2(r->db, sql, -1, &st, &tail);
        if (s != SQLITE_OK)
            return cb_reg_db_error(r, s, "creating the schema", err);
        if (!st)
            break; /* only whitespace left */
        if (sqlite3_bind_parameter_count(st) > 0)
            cb_reg_bind_text(st, 1, now);
        int rc = cb_reg_step_done(r, st, "creating the schema", err);
        sqlite3_finalize(st);
        if (rc < 0)
            return rc;
        sql = tail;
    }
    return 0;
}

static int apply(cb_registry *r, const migration *m, const char *now, cb_error *err)
{
    int rc = cb_reg_schema_run(r, m->sql, now, err);
    if (rc < 0)
        return rc;
    sqlite3_stmt *st = NULL;
    rc = cb_reg_prepare(r, "INSERT INTO migrations(version, applied_at, description) "
                           "VALUES (?1, ?2, ?3)", &st, err);
    if (rc < 0)
        return rc;
    sqlite3_bind_int(st, 1, m->version);
    cb_reg_bind_text(st, 2, now);
    cb_reg_bind_text(st, 3, m->description);
    rc = cb_reg_step_done(r, st, "recording a migration", err);
    sqlite3_finalize(st);
    return rc;
}

int cb_reg_schema_migrate(cb_registry *r, cb_error *err)
{
    char now[21], sql[64], details[128], actor[64];
    int version = 0;
    int rc = cb_reg_tx_begin(r, err);
    if (rc < 0)
        return rc;
    /* Again inside the write lock: another process may have just done it. */
    rc = cb_reg_schema_identify(r, &version, err);
    if (rc < 0 || version == CB_REGISTRY_SCHEMA_VERSION)
        goto done;
    cb_date_timestamp_now(now);
    for (int i = 0; i < N_MIGRATIONS; i++) {
        if (migrations[i].version <= version)
            continue;
        rc = apply(r, &migrations[i], now, err);
        if (rc < 0)
            goto done;
    }
    snprintf(sql, sizeof sql, "PRAGMA user_version = %d", CB_REGISTRY_SCHEMA_VERSION);
    rc = cb_reg_exec(r, sql, err);
    if (rc == 0) {
        snprintf(sql, sizeof sql, "PRAGMA application_id = %d", CB_REG_APPLICATION_ID);
        rc = cb_reg_exec(r, sql, err);
    }
    if (rc < 0)
        goto done;
    cb_json_obj o;
    cb_json_obj_begin(&o, details, sizeof details);
    cb_json_obj_int(&o, "from", version);
    cb_json_obj_int(&o, "to", CB_REGISTRY_SCHEMA_VERSION);
    cb_json_obj_end(&o);
    rc = cb_reg_actor(NULL, actor, err);
    if (rc == 0)
        rc = cb_reg_audit_append(r, actor, "registry.migrate", "", details, err);
done:
    if (rc < 0) {
        cb_reg_tx_rollback(r);
        return rc;
    }
    return cb_reg_tx_commit(r, err);
}

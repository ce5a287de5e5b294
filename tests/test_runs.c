/*
 * test_runs.c - processing records (consent/runs.h) on real sqlite files:
 * recording with the checks and defaults, finding the run to resume from,
 * listing in pages, the append-only triggers, `person remove` leaving runs
 * alone, two processes recording at once, the migration of a version-1
 * registry (built from migration 1's own SQL), and `consentblur runs list`.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "consent/registry.h"
#include "consent/registry_internal.h" /* cb_reg_schema_sql, to build a version-1 file */
#include "consent/runs.h"
#include "test_support.h"

#define HASH_IN "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define HASH_IN_UPPER "0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF"
#define HASH_IN2 "1111111111111111111111111111111111111111111111111111111111111111"
#define HASH_OUT "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define HASH_OUT2 "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

typedef cb_test_registry fixture;

/* sqlite's result for sql on a fresh connection, its message in msg. */
static int raw_try(const char *path, const char *sql, char *msg, size_t size)
{
    sqlite3 *db = NULL;
    char *m = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 10000);
    int rc = sqlite3_exec(db, sql, NULL, NULL, &m);
    snprintf(msg, size, "%s", m ? m : "");
    sqlite3_free(m);
    sqlite3_close(db);
    return rc;
}

static long long raw_int(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    long long v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

/* A successful `process` run of HASH_IN for social with one kept face. */
static void sample_run(cb_run *run)
{
    cb_error err = {0};
    cb_run_init(run);
    run->command = CB_RUN_PROCESS;
    strcpy(run->input_path, "album/trip 1.jpg");
    strcpy(run->input_sha256, HASH_IN);
    strcpy(run->output_path, "safe/trip 1.jpg");
    strcpy(run->output_sha256, HASH_OUT);
    strcpy(run->purpose, "social");
    strcpy(run->run_date, "2026-11-20");
    run->faces_total = 3;
    run->faces_kept = 1;
    run->faces_redacted = 2;
    assert_int_equal(cb_run_add_kept_person(run, "P1007", &err), 0);
    assert_int_equal(cb_run_add_model(run, "detector", "blazeface_back_256", HASH_OUT2, &err),
                     0);
    assert_int_equal(cb_run_add_model(run, "embedder", "face_recognition+align1", "", &err), 0);
}

static int64_t record_ok(cb_registry *r, const cb_run *run)
{
    cb_error err = {0};
    int64_t id = 0;
    if (cb_registry_run_record(r, run, &id, &err) < 0)
        fail_msg("run_record: %s", err.msg);
    assert_true(id > 0);
    return id;
}

static void expect_invalid(cb_registry *r, const cb_run *run, const char *what)
{
    cb_error err = {0};
    int64_t id = -7;
    int rc = cb_registry_run_record(r, run, &id, &err);
    if (rc != CB_EINVAL || !strstr(err.msg, what))
        fail_msg("expected CB_EINVAL mentioning '%s', got %d '%s'", what, rc, err.msg);
    assert_int_equal(id, -7);
}

/* ---- the JSON helpers ------------------------------------------------------- */

static void test_json_helpers(void **state)
{
    (void)state;
    cb_run run;
    cb_error err = {0};
    cb_run_init(&run);
    assert_string_equal(run.kept_people, "[]");
    assert_string_equal(run.models, "{}");
    assert_int_equal(cb_run_add_kept_person(&run, "P1", &err), 0);
    assert_int_equal(cb_run_add_kept_person(&run, "P10", &err), 0);
    assert_int_equal(cb_run_add_kept_person(&run, "P1", &err), 0); /* once */
    assert_int_equal(cb_run_add_kept_person(&run, "a\"b\\c", &err), 0);
    assert_string_equal(run.kept_people, "[\"P1\",\"P10\",\"a\\\"b\\\\c\"]");
    assert_int_equal(cb_run_add_kept_person(&run, "", &err), CB_EINVAL);
    assert_int_equal(cb_run_add_kept_person(&run, "line\nbreak", &err), CB_EINVAL);
    /* Full: refused whole, the array still valid. */
    char id[64];
    int rc = 0, added = 0;
    for (int i = 0; rc == 0 && i < 1000; i++) {
        snprintf(id, sizeof id, "person-with-a-rather-long-external-id-%04d", i);
        rc = cb_run_add_kept_person(&run, id, &err);
        added += rc == 0;
    }
    assert_int_equal(rc, CB_EINVAL);
    assert_true(added > 50);
    size_t n = strlen(run.kept_people);
    assert_true(n < sizeof run.kept_people);
    assert_int_equal(run.kept_people[n - 1], ']');

    assert_int_equal(cb_run_add_model(&run, "detector", "blazeface", HASH_IN, &err), 0);
    assert_int_equal(cb_run_add_model(&run, "x", "y", "abc", &err), CB_EINVAL);
    assert_int_equal(cb_run_add_model(&run, "embedder", "dlib\"128", "", &err), 0);
    assert_string_equal(run.models, "{\"detector\":{\"id\":\"blazeface\",\"sha256\":\"" HASH_IN
                                    "\"},\"embedder\":{\"id\":\"dlib\\\"128\",\"sha256\":\"\"}}");
    assert_int_equal(cb_run_add_model(&run, "", "x", "", &err), CB_EINVAL);
    assert_string_equal(cb_run_command_name(CB_RUN_WATCH), "watch");
    assert_string_equal(cb_run_status_name(CB_RUN_FAILED), "failed");
    assert_null(cb_run_command_name((cb_run_command)9));
    cb_run_command c;
    assert_int_equal(cb_run_command_parse("batch", &c), 0);
    assert_int_equal(c, CB_RUN_BATCH);
    assert_int_equal(cb_run_command_parse("redact", &c), CB_EINVAL);
}

/* ---- record, find, list ------------------------------------------------------ */

static void test_record_find_list(void **state)
{
    fixture *f = *state;
    cb_error err = {0};
    cb_run run, got;
    int found = -1;

    /* Nothing yet. */
    assert_int_equal(cb_registry_run_find(f->r, HASH_IN, "social", NULL, &got, &found, &err), 0);
    assert_int_equal(found, 0);

    sample_run(&run);
    int64_t first = record_ok(f->r, &run);
    /* Every field comes back; the defaults were filled in. */
    assert_int_equal(cb_registry_run_find(f->r, HASH_IN_UPPER, "social", NULL, &got, &found, &err), 0);
    assert_int_equal(found, 1);
    /* Filtered by the output path: the same content written elsewhere is
     * another run. */
    assert_int_equal(cb_registry_run_find(f->r, HASH_IN, "social", got.output_path, &got, &found,
                                          &err), 0);
    assert_int_equal(found, 1);
    assert_int_equal(cb_registry_run_find(f->r, HASH_IN, "social", "/elsewhere/x.jpg", &got,
                                          &found, &err), 0);
    assert_int_equal(found, 0);
    assert_int_equal(cb_registry_run_find(f->r, HASH_IN_UPPER, "social", NULL, &got, &found, &err), 0);
    assert_int_equal(found, 1);
    assert_int_equal(got.id, first);
    assert_int_equal(got.command, CB_RUN_PROCESS);
    assert_int_equal(got.status, CB_RUN_OK);
    assert_string_equal(got.input_path, "album/trip 1.jpg");
    assert_string_equal(got.input_sha256, HASH_IN);
    assert_string_equal(got.output_path, "safe/trip 1.jpg");
    assert_string_equal(got.output_sha256, HASH_OUT);
    assert_string_equal(got.purpose, "social");
    assert_string_equal(got.run_date, "2026-11-20");
    assert_int_equal(got.faces_total, 3);
    assert_int_equal(got.faces_kept, 1);
    assert_int_equal(got.faces_redacted, 2);
    assert_string_equal(got.kept_people, "[\"P1007\"]");
    assert_string_equal(got.models, run.models);
    assert_string_equal(got.error, "");
    assert_string_equal(got.actor, "run-tester");
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    assert_string_equal(got.host, host);
    assert_int_equal(strlen(got.started_at), 20);
    assert_string_equal(got.started_at, got.finished_at);
    /* Recording wrote no audit row (runs are not in the hash chain). */
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM audit WHERE action <> "
                                      "'registry.migrate'"),
                     0);

    /* A check (no output) and a failure of the same file do not count for find. */
    cb_run check = run;
    check.command = CB_RUN_CHECK;
    check.output_path[0] = check.output_sha256[0] = '\0';
    strcpy(check.started_at, "2026-11-20T10:00:00Z");
    strcpy(check.finished_at, "2026-11-20T10:00:02Z");
    strcpy(check.host, "office-pc");
    strcpy(check.actor, "comms");
    int64_t check_id = record_ok(f->r, &check);
    cb_run failed = check;
    failed.command = CB_RUN_BATCH;
    failed.status = CB_RUN_FAILED;
    failed.faces_kept = failed.faces_redacted = 0;
    strcpy(failed.kept_people, "[]");
    strcpy(failed.error, "trip 1.jpg: disk full\n(second line)\x01 \xff end");
    int64_t failed_id = record_ok(f->r, &failed);
    assert_int_equal(cb_registry_run_find(f->r, HASH_IN, "social", NULL, &got, &found, &err), 0);
    assert_int_equal(found, 1);
    assert_int_equal(got.id, first);

    /* A newer batch run with an output wins; other purposes and inputs are apart. */
    cb_run batch = run;
    batch.command = CB_RUN_BATCH;
    strcpy(batch.output_path, "safe2/trip 1.jpg");
    strcpy(batch.output_sha256, HASH_OUT2);
    int64_t batch_id = record_ok(f->r, &batch);
    cb_run web = run;
    strcpy(web.purpose, "website");
    int64_t web_id = record_ok(f->r, &web);
    cb_run other = run;
    strcpy(other.input_sha256, HASH_IN2);
    int64_t other_id = record_ok(f->r, &other);
    assert_int_equal(cb_registry_run_find(f->r, HASH_IN, "social", NULL, &got, &found, &err), 0);
    assert_int_equal(got.id, batch_id);
    assert_int_equal(got.command, CB_RUN_BATCH);
    assert_string_equal(got.output_sha256, HASH_OUT2);
    assert_int_equal(cb_registry_run_find(f->r, HASH_IN, "website", NULL, &got, &found, &err), 0);
    assert_int_equal(got.id, web_id);
    assert_int_equal(cb_registry_run_find(f->r, HASH_IN2, "social", NULL, &got, &found, &err), 0);
    assert_int_equal(got.id, other_id);
    assert_int_equal(cb_registry_run_find(f->r, HASH_IN, "print", NULL, &got, &found, &err), 0);
    assert_int_equal(found, 0);
    assert_int_equal(cb_registry_run_find(f->r, "xyz", "social", NULL, &got, &found, &err), CB_EINVAL);

    /* List: oldest first, after/limit pages. */
    cb_run *rows = NULL;
    int n = 0;
    assert_int_equal(cb_registry_run_list(f->r, 0, 0, &rows, &n, &err), 0);
    assert_int_equal(n, 6);
    int64_t want[6] = {first, check_id, failed_id, batch_id, web_id, other_id};
    for (int i = 0; i < 6; i++)
        assert_int_equal(rows[i].id, want[i]);
    assert_int_equal(rows[1].command, CB_RUN_CHECK);
    assert_string_equal(rows[1].output_path, "");
    assert_string_equal(rows[1].output_sha256, "");
    assert_string_equal(rows[1].started_at, "2026-11-20T10:00:00Z");
    assert_string_equal(rows[1].finished_at, "2026-11-20T10:00:02Z");
    assert_string_equal(rows[1].host, "office-pc");
    assert_string_equal(rows[1].actor, "comms");
    assert_int_equal(rows[2].status, CB_RUN_FAILED);
    assert_string_equal(rows[2].error, "trip 1.jpg: disk full (second line)  ? end");
    free(rows);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM runs WHERE output_path IS NULL"), 2);
    assert_int_equal(cb_registry_run_list(f->r, check_id, 2, &rows, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(rows[0].id, failed_id);
    assert_int_equal(rows[1].id, batch_id);
    free(rows);
    assert_int_equal(cb_registry_run_list(f->r, other_id, 0, &rows, &n, &err), 0);
    assert_int_equal(n, 0);
    free(rows);

    /* The index for find is there. */
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM sqlite_master WHERE type = 'index' "
                                      "AND name = 'runs_input' AND sql LIKE "
                                      "'%input_sha256, purpose, status%'"),
                     1);

    /* Read-only handles find and list, but do not record. */
    cb_registry *ro = NULL;
    assert_int_equal(cb_registry_open(f->path, CB_REGISTRY_READONLY, &ro, &err), 0);
    assert_int_equal(cb_registry_run_find(ro, HASH_IN, "social", NULL, &got, &found, &err), 0);
    assert_int_equal(got.id, batch_id);
    assert_int_equal(cb_registry_run_record(ro, &run, NULL, &err), CB_EINVAL);
    cb_registry_close(ro);
}

static void test_record_checks(void **state)
{
    fixture *f = *state;
    cb_run run, bad;
    sample_run(&run);

#define BAD(change, what)                                                                      \
    do {                                                                                       \
        bad = run;                                                                             \
        change;                                                                                \
        expect_invalid(f->r, &bad, what);                                                      \
    } while (0)

    BAD(bad.command = (cb_run_command)7, "command");
    BAD(bad.status = (cb_run_status)5, "status");
    BAD(bad.input_path[0] = '\0', "input path");
    BAD(strcpy(bad.input_path, "a\nb.jpg"), "input path");
    BAD(strcpy(bad.input_path, "bad\xff.jpg"), "input path");
    BAD(strcpy(bad.output_path, "out\tx.jpg"), "output path");
    BAD(bad.input_sha256[0] = '\0', "input hash");
    BAD(strcpy(bad.input_sha256, "abc"), "input hash");
    BAD(bad.input_sha256[5] = 'g', "input hash");
    BAD(bad.output_sha256[0] = '\0', "output hash");
    BAD(bad.output_path[0] = bad.output_sha256[0] = '\0', "needs its output");
    BAD(bad.command = CB_RUN_CHECK, "a check has no output");
    BAD((bad.status = CB_RUN_FAILED, strcpy(bad.error, "boom")), "failed run has no output");
    BAD((bad.status = CB_RUN_FAILED, bad.output_path[0] = bad.output_sha256[0] = '\0'),
        "needs its error");
    BAD(strcpy(bad.error, "oops"), "error in a successful run");
    BAD(strcpy(bad.purpose, "tiktok"), "unknown purpose");
    BAD((bad.purpose[0] = '\0', strcpy(bad.kept_people, "[]")), "without a purpose");
    BAD((bad.purpose[0] = '\0', bad.faces_kept = 0, bad.faces_redacted = 3), "without a purpose");
    BAD(strcpy(bad.run_date, "2026-02-30"), "run date");
    BAD(bad.run_date[0] = '\0', "run date");
    BAD(bad.faces_kept = 2, "face counts");
    BAD(bad.faces_total = -1, "face counts");
    BAD(strcpy(bad.started_at, "2026-11-20 10:00:00"), "started_at");
    BAD(strcpy(bad.finished_at, "2026-11-20T25:00:00Z"), "finished_at");
    BAD((strcpy(bad.started_at, "2026-11-20T10:00:01Z"),
         strcpy(bad.finished_at, "2026-11-20T10:00:00Z")),
        "before started_at");
    BAD(strcpy(bad.kept_people, "[\"P1\""), "kept_people");
    BAD(strcpy(bad.kept_people, "[1,2]"), "kept_people");
    BAD(strcpy(bad.kept_people, "{\"a\":\"b\"}"), "kept_people");
    BAD(strcpy(bad.models, "[]"), "models");
    BAD(strcpy(bad.models, "{\"detector\":"), "models");
    BAD(strcpy(bad.actor, "bad\nactor"), "actor");
    BAD(strcpy(bad.host, "bad\x7fhost"), "host");
#undef BAD
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM runs"), 0);

    /* What is allowed: a redact-all run without a purpose; a failure whose
     * input could not even be read (no hash); partial counts in a failure;
     * empty JSON fields meaning [] and {}. */
    bad = run;
    bad.purpose[0] = '\0';
    bad.faces_kept = 0;
    bad.faces_redacted = 3;
    bad.kept_people[0] = bad.models[0] = '\0';
    int64_t id = record_ok(f->r, &bad);
    bad = run;
    bad.status = CB_RUN_FAILED;
    bad.input_sha256[0] = bad.output_path[0] = bad.output_sha256[0] = '\0';
    bad.faces_kept = bad.faces_redacted = 0;
    strcpy(bad.error, "cannot read album/trip 1.jpg: permission denied");
    record_ok(f->r, &bad);
    cb_run *rows = NULL;
    int n = 0;
    cb_error err = {0};
    assert_int_equal(cb_registry_run_list(f->r, 0, 0, &rows, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(rows[0].id, id);
    assert_string_equal(rows[0].purpose, "");
    assert_string_equal(rows[0].kept_people, "[]");
    assert_string_equal(rows[0].models, "{}");
    assert_string_equal(rows[1].input_sha256, "");
    free(rows);
    assert_int_equal(cb_registry_run_record(NULL, &run, NULL, &err), CB_EINVAL);
    assert_int_equal(cb_registry_run_record(f->r, NULL, NULL, &err), CB_EINVAL);
}

/* ---- append-only --------------------------------------------------------------- */

static void test_append_only(void **state)
{
    fixture *f = *state;
    cb_run run;
    cb_error err = {0};
    char msg[256];
    sample_run(&run);
    record_ok(f->r, &run);
    record_ok(f->r, &run);
    assert_int_not_equal(raw_try(f->path, "UPDATE runs SET status = 'failed' WHERE id = 1", msg,
                                 sizeof msg),
                         SQLITE_OK);
    assert_non_null(strstr(msg, "cannot be changed"));
    assert_int_not_equal(raw_try(f->path, "UPDATE runs SET kept_people = '[]'", msg, sizeof msg),
                         SQLITE_OK);
    assert_int_not_equal(raw_try(f->path, "DELETE FROM runs WHERE id = 2", msg, sizeof msg),
                         SQLITE_OK);
    assert_non_null(strstr(msg, "cannot be deleted"));
    assert_int_not_equal(raw_try(f->path, "DELETE FROM runs", msg, sizeof msg), SQLITE_OK);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM runs"), 2);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM runs WHERE status = 'ok' AND "
                                      "kept_people = '[\"P1007\"]'"),
                     2);

    /* Removing the person the runs name leaves the runs (external ids, no biometrics). */
    cb_person p = {0};
    strcpy(p.external_id, "P1007");
    strcpy(p.name, "Sanne de Vries");
    p.role = CB_ROLE_STAFF;
    assert_int_equal(cb_registry_person_add(f->r, &p, NULL, &err), 0);
    assert_int_equal(cb_registry_person_remove(f->r, p.id, NULL, &err), 0);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM runs"), 2);
    int64_t rows = 0, bad = -1;
    assert_int_equal(cb_registry_audit_verify(f->r, &rows, &bad, &err), 0);
    assert_int_equal(bad, 0);
}

/* ---- two processes at once --------------------------------------------------------- */

static void test_concurrent_writers(void **state)
{
    fixture *f = *state;
    enum { EACH = 40 };
    cb_error err = {0};
    /* A reader holds a read transaction open the whole time (WAL: no one waits). */
    sqlite3 *reader = NULL;
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_open(f->path, &reader), SQLITE_OK);
    assert_int_equal(sqlite3_exec(reader, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(reader, "SELECT count(*) FROM runs", -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), 0);
    sqlite3_reset(st);

    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        cb_registry *r = NULL;
        cb_run run;
        if (cb_registry_open(f->path, 0, &r, &err) < 0)
            _exit(10);
        sample_run(&run);
        strcpy(run.host, "child");
        for (int i = 0; i < EACH; i++)
            if (cb_registry_run_record(r, &run, NULL, &err) < 0)
                _exit(11);
        cb_registry_close(r);
        _exit(0);
    }
    cb_run run;
    sample_run(&run);
    strcpy(run.host, "parent");
    for (int i = 0; i < EACH; i++) {
        if (cb_registry_run_record(f->r, &run, NULL, &err) < 0)
            fail_msg("parent record %d: %s", i, err.msg);
        int found = 0;
        cb_run got;
        assert_int_equal(cb_registry_run_find(f->r, HASH_IN, "social", NULL, &got, &found, &err), 0);
        assert_int_equal(found, 1);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    /* The reader's snapshot still says 0; a new one sees every row. */
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), 0);
    sqlite3_finalize(st);
    sqlite3_exec(reader, "COMMIT", NULL, NULL, NULL);
    sqlite3_close(reader);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM runs WHERE host = 'child'"), EACH);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM runs WHERE host = 'parent'"), EACH);
    assert_int_equal(raw_int(f->path, "SELECT count(DISTINCT id) FROM runs"), 2 * EACH);
}

/* ---- migration from version 1 ------------------------------------------------------- */

/* A version-1 registry as version-1 consentblur made it: migration 1's
 * SQL (its last statement binding ?1 = now), user_version 1, the
 * application id, the migrations row; plus a person. */
static void make_v1_file(const char *path)
{
    sqlite3 *db = NULL;
    const char *sql = cb_reg_schema_sql(1), *tail = NULL;
    assert_non_null(sql);
    assert_null(cb_reg_schema_sql(CB_REGISTRY_SCHEMA_VERSION + 1));
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "PRAGMA journal_mode = WAL; BEGIN", NULL, NULL, NULL),
                     SQLITE_OK);
    while (*sql) {
        sqlite3_stmt *st = NULL;
        assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, &tail), SQLITE_OK);
        if (!st)
            break;
        if (sqlite3_bind_parameter_count(st) > 0)
            sqlite3_bind_text(st, 1, "2026-01-05T08:00:00Z", -1, SQLITE_STATIC);
        assert_int_equal(sqlite3_step(st), SQLITE_DONE);
        sqlite3_finalize(st);
        sql = tail;
    }
    char *msg = NULL;
    if (sqlite3_exec(db,
                     "INSERT INTO migrations VALUES (1, '2026-01-05T08:00:00Z', 'initial');"
                     "INSERT INTO people(external_id, name, role, created_at, updated_at) "
                     "VALUES ('T9', 'Old Teacher', 'staff', '2026-01-05T08:00:00Z', "
                     "'2026-01-05T08:00:00Z');"
                     "PRAGMA user_version = 1;"
                     "PRAGMA application_id = 1128419911;" /* 0x43425247, "CBRG" */
                     "COMMIT",
                     NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("building a v1 file: %s", msg);
    sqlite3_close(db);
}

static void test_migrate_from_v1(void **state)
{
    (void)state;
    char dir[256], path[512];
    cb_error err = {0};
    cb_registry *r = NULL;
    cb_test_make_temp_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/v1.db", dir);
    make_v1_file(path);
    assert_int_equal(raw_int(path, "SELECT count(*) FROM sqlite_master WHERE name = 'runs'"), 0);

    /* Read-only does not migrate: it says what to do. */
    assert_int_equal(cb_registry_open(path, CB_REGISTRY_READONLY, &r, &err), CB_EDB);
    assert_non_null(strstr(err.msg, "schema upgrade"));
    assert_int_equal(raw_int(path, "PRAGMA user_version"), 1);

    /* A writable open migrates forward, keeping what was there. */
    assert_int_equal(cb_registry_open(path, 0, &r, &err), 0);
    assert_int_equal(raw_int(path, "PRAGMA user_version"), CB_REGISTRY_SCHEMA_VERSION);
    assert_int_equal(raw_int(path, "SELECT count(*) FROM migrations"),
                     CB_REGISTRY_SCHEMA_VERSION);
    assert_int_equal(raw_int(path, "SELECT count(*) FROM migrations WHERE version = 2 AND "
                                   "description LIKE '%runs%'"),
                     1);
    assert_int_equal(CB_REGISTRY_SCHEMA_VERSION, 5);
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM audit WHERE action = 'registry.migrate' "
                              "AND details = '{\"from\": 1, \"to\": %d}'",
             CB_REGISTRY_SCHEMA_VERSION);
    assert_int_equal(raw_int(path, sql), 1);
    cb_person p;
    assert_int_equal(cb_registry_person_find(r, "T9", &p, &err), 0);
    assert_string_equal(p.name, "Old Teacher");
    assert_int_equal(raw_int(path, "SELECT count(*) FROM sqlite_master WHERE name IN "
                                   "('runs', 'runs_input', 'runs_no_update', 'runs_no_delete')"),
                     4);
    cb_run run, got;
    int found = 0;
    sample_run(&run);
    run.registry_version = 42;
    int64_t id = record_ok(r, &run);
    assert_int_equal(cb_registry_run_find(r, HASH_IN, "social", NULL, &got, &found, &err), 0);
    assert_int_equal(found, 1);
    assert_int_equal(got.registry_version, 42);
    assert_int_equal(got.id, id);
    int64_t rows = 0, bad = -1;
    assert_int_equal(cb_registry_audit_verify(r, &rows, &bad, &err), 0);
    assert_int_equal(bad, 0);
    cb_registry_close(r);

    /* Opening again migrates nothing more; read-only works now. */
    assert_int_equal(cb_registry_open(path, CB_REGISTRY_READONLY, &r, &err), 0);
    cb_registry_close(r);
    assert_int_equal(cb_registry_open(path, 0, &r, &err), 0);
    cb_registry_close(r);
    assert_int_equal(raw_int(path, "SELECT count(*) FROM migrations"),
                     CB_REGISTRY_SCHEMA_VERSION);
    assert_int_equal(raw_int(path, "SELECT count(*) FROM audit"), 1);
    assert_int_equal(raw_int(path, "SELECT count(*) FROM sqlite_master WHERE name IN "
                                   "('run_media', 'run_faces', 'run_edits')"), 3);
    cb_test_remove_tree(dir);
}

/* ---- the CLI ---------------------------------------------------------------------------- */

#define BUF 65536
static char out_buf[BUF], err_buf[BUF];

#define EXPECT(rc, call) CB_EXPECT_EXIT(rc, call, out_buf, err_buf)

static int count_of(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

static void test_cli_runs_list(void **state)
{
    fixture *f = *state;
    char missing[600];
    snprintf(missing, sizeof missing, "%s/none/registry.db", f->dir);
    EXPECT(1, cb_test_run_cli(missing, out_buf, BUF, err_buf, BUF, "runs", "list", NULL));
    assert_non_null(strstr(err_buf, "no registry there"));

    EXPECT(0, cb_test_run_cli(f->path, out_buf, BUF, err_buf, BUF, "runs", "list", NULL));
    assert_string_equal(out_buf, "");
    EXPECT(0, cb_test_run_cli(f->path, out_buf, BUF, err_buf, BUF, "runs", "list", "--json",
                              NULL));
    assert_string_equal(out_buf, "{\"runs\": []}\n");

    cb_run run;
    sample_run(&run);
    strcpy(run.input_path, "album/\"quoted\" <b>.jpg");
    record_ok(f->r, &run);
    cb_run check = run;
    check.command = CB_RUN_CHECK;
    check.output_path[0] = check.output_sha256[0] = '\0';
    record_ok(f->r, &check);
    cb_run failed = check;
    failed.status = CB_RUN_FAILED;
    failed.faces_kept = 0;
    strcpy(failed.kept_people, "[]");
    strcpy(failed.error, "no faces could be read");
    record_ok(f->r, &failed);
    /* More than a page (256) of runs, so the CLI pages through. */
    cb_error err = {0};
    assert_int_equal(cb_registry_begin(f->r, &err), 0);
    for (int i = 0; i < 300; i++)
        record_ok(f->r, &check);
    assert_int_equal(cb_registry_commit(f->r, &err), 0);

    EXPECT(0, cb_test_run_cli(f->path, out_buf, BUF, err_buf, BUF, "runs", "list", "--limit", "3",
                              NULL));
    assert_int_equal(count_of(out_buf, "\n"), 3);
    assert_true(strncmp(out_buf, "1 ", 2) == 0);
    assert_non_null(strstr(out_buf, " process ok "));
    assert_non_null(strstr(out_buf, "album/\"quoted\" <b>.jpg -> safe/trip 1.jpg"));
    assert_non_null(strstr(out_buf, "kept [\"P1007\"]"));
    assert_non_null(strstr(out_buf, " check   ok "));
    assert_non_null(strstr(out_buf, " failed "));
    assert_non_null(strstr(out_buf, "error: no faces could be read"));

    EXPECT(0, cb_test_run_cli(f->path, out_buf, BUF, err_buf, BUF, "runs", "list", "--json",
                              "--limit", "3", NULL));
    assert_true(strncmp(out_buf, "{\"runs\": [\n  {\"id\": 1, ", 23) == 0);
    assert_int_equal(count_of(out_buf, "\"id\": "), 3);
    assert_non_null(strstr(out_buf, "\"input\": \"album/\\\"quoted\\\" <b>.jpg\""));
    assert_non_null(strstr(out_buf, "\"input_sha256\": \"" HASH_IN "\""));
    assert_non_null(strstr(out_buf, "\"output\": \"safe/trip 1.jpg\""));
    assert_non_null(strstr(out_buf, "\"output\": null, \"output_sha256\": null"));
    assert_non_null(strstr(out_buf, "\"faces\": {\"total\": 3, \"kept\": 1, \"redacted\": 2}"));
    assert_non_null(strstr(out_buf, "\"kept_people\": [\"P1007\"]"));
    assert_non_null(strstr(out_buf, "\"models\": {\"detector\": ") ||
                    strstr(out_buf, "\"models\": {\"detector\":"));
    assert_non_null(strstr(out_buf, "\"command\": \"check\""));
    assert_non_null(strstr(out_buf, "\"status\": \"failed\""));
    assert_non_null(strstr(out_buf, "\"actor\": \"run-tester\""));
    assert_non_null(strstr(out_buf, "\n]}\n"));

    /* Everything, across pages; then --after. */
    EXPECT(0, cb_test_run_cli(f->path, out_buf, BUF, err_buf, BUF, "runs", "list", NULL));
    assert_int_equal(count_of(out_buf, "\n"), 303);
    EXPECT(0, cb_test_run_cli(f->path, out_buf, BUF, err_buf, BUF, "runs", "list", "--after",
                              "300", "--json", NULL));
    assert_int_equal(count_of(out_buf, "\"id\": "), 3);
    assert_non_null(strstr(out_buf, "{\"id\": 301, "));
    assert_non_null(strstr(out_buf, "{\"id\": 303, "));
    EXPECT(0, cb_test_run_cli(NULL, out_buf, BUF, err_buf, BUF, "runs", "--registry", f->path,
                              "list", "--after", "302", NULL));
    assert_int_equal(count_of(out_buf, "\n"), 1);
    assert_true(strncmp(out_buf, "303 ", 4) == 0);

    /* Usage. */
    EXPECT(2, cb_test_run_cli(f->path, out_buf, BUF, err_buf, BUF, "runs", NULL));
    EXPECT(2, cb_test_run_cli(f->path, out_buf, BUF, err_buf, BUF, "runs", "delete", NULL));
    EXPECT(2, cb_test_run_cli(f->path, out_buf, BUF, err_buf, BUF, "runs", "list", "--limit",
                              "-1", NULL));
    EXPECT(2, cb_test_run_cli(f->path, out_buf, BUF, err_buf, BUF, "runs", "list", "--after",
                              "x", NULL));
    EXPECT(2, cb_test_run_cli(f->path, out_buf, BUF, err_buf, BUF, "runs", "list", "extra",
                              NULL));
    assert_non_null(strstr(err_buf, "consentblur runs list: "));
    EXPECT(0, cb_test_run_cli(f->path, out_buf, BUF, err_buf, BUF, "runs", "list", "--help",
                              NULL));
    assert_non_null(strstr(out_buf, "usage: consentblur runs list"));
    EXPECT(0, cb_test_run_cli(NULL, out_buf, BUF, err_buf, BUF, "--help", NULL));
    assert_non_null(strstr(out_buf, "  runs "));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_helpers),
        cb_test_with_registry(test_record_find_list),
        cb_test_with_registry(test_record_checks),
        cb_test_with_registry(test_append_only),
        cb_test_with_registry(test_concurrent_writers),
        cmocka_unit_test(test_migrate_from_v1),
        cb_test_with_registry(test_cli_runs_list),
    };
    setenv("CONSENTBLUR_ACTOR", "run-tester", 1); /* what the runs and the audit record */
    return cmocka_run_group_tests(tests, NULL, NULL);
}

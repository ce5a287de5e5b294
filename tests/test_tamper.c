/*
 * test_tamper.c - what an intruder with the sqlite3 shell does to a registry
 * file, and that each is caught: `consentblur audit verify` (exit 1, the
 * difference named), process/check/batch/watch refusing to run, and the
 * library's integrity checks (consent/integrity.h). Also: a registry of
 * schema version 3 migrated forward (old rows not replayable, old runs
 * without a head: not tampering), and what the quick check costs on a
 * registry of 3000 people.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "consent/integrity.h"
#include "consent/registry_internal.h"
#include "consent/runs.h"
#include "models/embedder.h"
#include "test_support.h"

#define BUF 65536
static char out_buf[BUF], err_buf[BUF];

typedef cb_test_registry fixture; /* its handle is closed: the CLI does the work */

#define run(f, ...) cb_test_run_cli((f)->path, out_buf, BUF, err_buf, BUF, __VA_ARGS__)

#define EXPECT(rc, call) CB_EXPECT_EXIT(rc, call, out_buf, err_buf)

static void assert_has(const char *hay, const char *needle)
{
    if (!strstr(hay, needle))
        fail_msg("'%s' lacks '%s' (stderr: %s)", hay, needle, err_buf);
}

/* What the intruder types: `sqlite3 REGISTRY SQL`, the real shell. */
static void intrude(const fixture *f, const char *sql)
{
    char *argv[] = {"sqlite3", (char *)f->path, (char *)sql, NULL};
    if (cb_test_run(argv, out_buf, BUF, err_buf, BUF) != 0)
        fail_msg("sqlite3 %s: %s", sql, err_buf);
}

static const char drop_triggers[] = "DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;";
/* The schema's own text, as an intruder would copy it from `.schema`. */
#define MAKE_NO_UPDATE                                                                         \
    "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit"                                    \
    "  BEGIN SELECT RAISE(ABORT, 'audit rows cannot be changed'); END;"
#define MAKE_NO_DELETE                                                                         \
    "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit"                                    \
    "  BEGIN SELECT RAISE(ABORT, 'audit rows cannot be deleted'); END;"
static const char make_triggers[] = MAKE_NO_UPDATE MAKE_NO_DELETE;

/* A processing record judged against the current head (as a check writes). */
static void record_run_at_head(const fixture *f)
{
    cb_registry *r = NULL;
    cb_error err = {0};
    cb_audit_head head;
    cb_run *run = calloc(1, sizeof *run);
    assert_int_equal(cb_registry_open(f->path, 0, &r, &err), 0);
    assert_int_equal(cb_registry_audit_head(r, &head, &err), 0);
    cb_run_init(run);
    run->command = CB_RUN_CHECK;
    snprintf(run->input_path, sizeof run->input_path, "trip/IMG_0001.jpg");
    memset(run->input_sha256, 'a', 64);
    snprintf(run->purpose, sizeof run->purpose, "social");
    snprintf(run->run_date, sizeof run->run_date, "2026-03-01");
    run->registry_version = head.id;
    snprintf(run->registry_hash, sizeof run->registry_hash, "%s", head.hash);
    assert_int_equal(cb_registry_run_record(r, run, NULL, &err), 0);
    cb_registry_close(r);
    free(run);
}

/* P1 (staff): social granted, website refused, one template; P2 (pupil):
 * social refused. */
static int setup(void **state)
{
    setenv("CONSENTBLUR_ACTOR", "officer", 1);
    cb_test_registry_setup(state);
    fixture *f = *state;
    cb_registry_close(f->r);
    f->r = NULL;
    EXPECT(0, run(f, "person", "add", "P1", "--name", "Ann Staff", "--role", "staff", NULL));
    EXPECT(0, run(f, "person", "add", "P2", "--name", "Bob Pupil", "--role", "pupil",
                  "--birth-date", "2014-02-03", "--group", "5B", NULL));
    EXPECT(0, run(f, "consent", "grant", "P1", "social", "--given-by", "self", NULL));
    EXPECT(0, run(f, "consent", "refuse", "P1", "website", "--given-by", "self", NULL));
    EXPECT(0, run(f, "consent", "refuse", "P2", "social", "--given-by", "guardian",
                  "--signed-by", "M. Pupil", "--evidence-ref", "form 12", NULL));
    cb_registry *r = NULL;
    cb_error err = {0};
    cb_person p;
    float emb[128];
    for (int i = 0; i < 128; i++)
        emb[i] = (float)(i % 7) / 7.0f;
    assert_int_equal(cb_registry_open(f->path, 0, &r, &err), 0);
    assert_int_equal(cb_registry_person_find(r, "P1", &p, &err), 0);
    assert_int_equal(cb_registry_template_add(r, p.id, CB_EMBEDDER_MODEL_ID, emb, 128, 0.9f, NULL, NULL,
                                              NULL, &err),
                     0);
    cb_registry_close(r);
    return 0;
}

/* The head as `audit head` prints it: "ID:HASH" into out. */
static void head_now(const fixture *f, char *out, size_t size)
{
    EXPECT(0, run(f, "audit", "head", NULL));
    size_t n = strcspn(out_buf, " ");
    assert_true(n < size && out_buf[n] == ' ');
    memcpy(out, out_buf, n);
    out[n] = '\0';
}

static void test_intact(void **state)
{
    fixture *f = *state;
    char head[96];
    record_run_at_head(f);
    EXPECT(0, run(f, "audit", "verify", NULL));
    assert_has(out_buf, "audit log intact: 7 row(s); the tables match it; 1 run head(s)");
    head_now(f, head, sizeof head);
    assert_int_equal(strlen(head), 2 + 64);
    assert_true(strncmp(head, "7:", 2) == 0);
    EXPECT(0, run(f, "audit", "verify", "--expect", head, NULL));
    EXPECT(0, run(f, "audit", "head", "--json", NULL));
    assert_has(out_buf, "\"id\": 7");
    EXPECT(2, run(f, "audit", "verify", "--expect", "7:xyz", NULL));
    EXPECT(2, run(f, "audit", "verify", "--expect", "0:", NULL));
}

static void test_cut_tail(void **state)
{
    fixture *f = *state;
    char head[96];
    head_now(f, head, sizeof head);
    record_run_at_head(f);
    /* The last two rows (the refusal of P2 and the template) cut off; the
     * rows they explain go too, so the tables agree with the shorter log. */
    intrude(f, "DROP TRIGGER audit_no_delete; DELETE FROM audit WHERE id > 5;"
               "DELETE FROM templates; DELETE FROM consents WHERE id = 3;");
    EXPECT(1, run(f, "audit", "verify", NULL));
    assert_has(out_buf, "runs 1: judged against audit head 7:");
    assert_has(out_buf, "schema: trigger audit_no_delete is missing");
    assert_has(err_buf, "does not match its audit log");
    /* The trigger put back as it was: the run's head still catches it, and --expect. */
    intrude(f, MAKE_NO_DELETE);
    EXPECT(1, run(f, "audit", "verify", "--expect", head, NULL));
    assert_has(out_buf, "runs 1: judged against audit head 7:");
    assert_has(out_buf, "is no longer in the log");
    assert_null(strstr(out_buf, "schema:"));
}

static void test_cut_tail_expect(void **state)
{
    fixture *f = *state;
    char head[96];
    head_now(f, head, sizeof head);
    intrude(f, "DROP TRIGGER audit_no_delete; DELETE FROM audit WHERE id > 6;"
               "DELETE FROM templates;");
    intrude(f, MAKE_NO_DELETE);
    /* No run came after: the tables agree with the shorter log... */
    EXPECT(0, run(f, "audit", "verify", NULL));
    /* ...and the head kept elsewhere does not. */
    EXPECT(1, run(f, "audit", "verify", "--expect", head, NULL));
    assert_has(out_buf, "the audit head ");
    assert_has(out_buf, "is no longer in the log");
}

static void test_delete_middle_row(void **state)
{
    fixture *f = *state;
    intrude(f, "DROP TRIGGER audit_no_delete; DELETE FROM audit WHERE id = 3;");
    EXPECT(1, run(f, "audit", "verify", NULL));
    assert_has(err_buf, "audit log broken at row 4");
    assert_has(out_buf, "people P2: not explained by the audit log");
}

static void test_edit_consent(void **state)
{
    fixture *f = *state;
    intrude(f, "UPDATE consents SET status = 'granted' WHERE id = 3;"
               "UPDATE consents SET given_by_name = 'Someone Else' WHERE id = 1;");
    EXPECT(1, run(f, "audit", "verify", NULL));
    assert_has(out_buf, "consents 3 (P2, social): status is 'granted', the audit log says "
                        "'refused'");
    assert_has(out_buf, "consents 1 (P1, social): signer, evidence reference or recording time "
                        "differ");
    assert_has(err_buf, "2 difference(s)");
}

static void test_insert_consent(void **state)
{
    fixture *f = *state;
    intrude(f, "INSERT INTO consents(person_id, purpose, status, given_by, recorded_by, "
               "recorded_at) VALUES (2, 'website', 'granted', 'guardian', 'officer', "
               "'2026-03-01T10:00:00Z');"
               "UPDATE people SET birth_date = '2000-01-01' WHERE external_id = 'P2';");
    EXPECT(1, run(f, "audit", "verify", NULL));
    assert_has(out_buf, "consents 4 (P2, website): not explained by the audit log");
    assert_has(out_buf, "people P2: name, birth date or group differ");
}

static void test_triggers(void **state)
{
    fixture *f = *state;
    intrude(f, drop_triggers);
    EXPECT(1, run(f, "audit", "verify", NULL));
    assert_has(out_buf, "schema: trigger audit_no_update is missing");
    /* Re-created to let everything through. */
    intrude(f, "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT 1; END;"
               "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT 1; END;"
               "CREATE TRIGGER sneaky AFTER INSERT ON consents BEGIN SELECT 1; END;");
    EXPECT(1, run(f, "audit", "verify", NULL));
    assert_has(out_buf, "schema: trigger audit_no_delete differs from the schema's");
    assert_has(out_buf, "schema: trigger sneaky is not part of the schema");
    /* Dropped, used, and re-created exactly: what was done is still found. */
    intrude(f, "DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete; DROP TRIGGER sneaky;"
               "UPDATE audit SET actor = 'nobody' WHERE id = 4;");
    intrude(f, make_triggers);
    EXPECT(1, run(f, "audit", "verify", NULL));
    assert_has(err_buf, "audit log broken at row 4");
    assert_null(strstr(out_buf, "schema:"));
}

/* Another registry's log put in place of this one's: a valid chain, shorter. */
static void test_replace_log(void **state)
{
    fixture *f = *state;
    fixture other;
    char head[96], sql[1200];
    head_now(f, head, sizeof head);
    record_run_at_head(f);
    snprintf(other.path, sizeof other.path, "%s/other.db", f->dir);
    EXPECT(0, run(&other, "person", "add", "P1", "--name", "Ann Staff", "--role", "staff",
                  NULL));
    snprintf(sql, sizeof sql,
             "%s ATTACH '%s' AS o; DELETE FROM audit; INSERT INTO audit SELECT * FROM o.audit;"
             "DELETE FROM people WHERE id > 1; DELETE FROM consents; DELETE FROM templates; %s",
             drop_triggers, other.path, make_triggers);
    intrude(f, sql);
    EXPECT(1, run(f, "audit", "verify", NULL));
    assert_null(strstr(err_buf, "broken"));
    assert_has(out_buf, "runs 1: judged against audit head 7:");
    EXPECT(1, run(f, "audit", "verify", "--expect", head, NULL));
    assert_has(out_buf, "is no longer in the log");
}

/* process, check, batch, watch on a registry that fails the quick check. */
static void expect_refused(const fixture *f, const char *photo, const char *purpose)
{
    char out_dir[600], inbox[600], outbox[600], album[600];
    snprintf(out_dir, sizeof out_dir, "%s/refused", f->dir);
    EXPECT(1, run(f, "process", photo, "-o", out_dir, "--purpose", purpose, NULL));
    assert_has(err_buf, "does not match its audit log");
    assert_non_null(strchr(err_buf, '\n'));
    assert_string_equal(strchr(err_buf, '\n') + 1, "");
    assert_int_equal(access(out_dir, F_OK) == 0 && rmdir(out_dir) != 0, 0);
    EXPECT(1, run(f, "check", photo, "--purpose", purpose, NULL));
    assert_has(err_buf, "does not match its audit log");
    snprintf(album, sizeof album, "%s/album", f->dir);
    mkdir(album, 0700);
    char *cp[] = {"cp", (char *)photo, album, NULL};
    assert_int_equal(cb_test_run(cp, NULL, 0, NULL, 0), 0);
    EXPECT(1, run(f, "batch", album, "-o", out_dir, "--purpose", purpose, NULL));
    assert_has(err_buf, "does not match its audit log");
    snprintf(inbox, sizeof inbox, "%s/inbox", f->dir);
    snprintf(outbox, sizeof outbox, "%s/outbox", f->dir);
    mkdir(inbox, 0700);
    mkdir(outbox, 0700);
    EXPECT(1, run(f, "watch", inbox, "--out", outbox, "--purpose", purpose, "--once", NULL));
    assert_has(err_buf, "does not match its audit log");
}

static void test_process_refuses(void **state)
{
    fixture *f = *state;
    char photo[512], out_dir[600], out_file[700];
    cb_test_data_path("groups/bbt4.jpg", photo, sizeof photo);
    snprintf(out_dir, sizeof out_dir, "%s/out", f->dir);
    snprintf(out_file, sizeof out_file, "%s/bbt4.jpg", out_dir);
    EXPECT(0, run(f, "process", photo, "-o", out_dir, "--purpose", "website", NULL));
    assert_int_equal(access(out_file, F_OK), 0);
    EXPECT(0, run(f, "runs", "list", "--json", NULL));
    assert_has(out_buf, "\"audit_head\": \"7:");
    /* The watch service puts the head into the system log (stderr, journald). */
    char inbox[600], outbox[600];
    snprintf(inbox, sizeof inbox, "%s/watched", f->dir);
    snprintf(outbox, sizeof outbox, "%s/published", f->dir);
    mkdir(inbox, 0700);
    mkdir(outbox, 0700);
    EXPECT(0, run(f, "watch", inbox, "--out", outbox, "--purpose", "social", "--once", NULL));
    assert_has(err_buf, "consentblur: registry audit head 7:");
    /* P1's refusal for the website made a grant behind the log's back. */
    intrude(f, "UPDATE consents SET status = 'granted' WHERE id = 2;");
    expect_refused(f, photo, "website");
    assert_has(err_buf, "consents 2 (P1, website): status is 'granted'");
    /* Put back, then the triggers dropped. */
    intrude(f, "UPDATE consents SET status = 'refused' WHERE id = 2;");
    run(f, "check", photo, "--purpose", "social", NULL);
    assert_null(strstr(err_buf, "does not match"));
    intrude(f, drop_triggers);
    expect_refused(f, photo, "social");
    assert_has(err_buf, "trigger");
}

/* ---- a registry of schema version 3, migrated -------------------------------------- */

/* Append an audit row as version 3 wrote them (details without digests). */
static void old_audit(sqlite3 *db, int64_t id, const char *action, const char *subject,
                      const char *details, char prev[65])
{
    cb_audit_row a = {.id = id};
    char sql[1400];
    snprintf(a.at, sizeof a.at, "2026-01-05T08:00:%02dZ", (int)id);
    snprintf(a.actor, sizeof a.actor, "clerk");
    snprintf(a.action, sizeof a.action, "%s", action);
    snprintf(a.subject, sizeof a.subject, "%s", subject);
    snprintf(a.details, sizeof a.details, "%s", details);
    snprintf(a.prev_hash, sizeof a.prev_hash, "%s", prev);
    cb_registry_audit_hash(&a, a.hash);
    snprintf(sql, sizeof sql, "INSERT INTO audit VALUES (%lld, '%s', '%s', '%s', '%s', '%s', "
                              "'%s', '%s')",
             (long long)id, a.at, a.actor, a.action, a.subject, a.details, a.prev_hash, a.hash);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    memcpy(prev, a.hash, 65);
}

/* People, a consent granted then withdrawn and a run, as version 3 made them. */
static void make_v3_file(const char *path)
{
    sqlite3 *db = NULL;
    char prev[65];
    memset(prev, '0', 64);
    prev[64] = '\0';
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "PRAGMA journal_mode = WAL; BEGIN", NULL, NULL, NULL),
                     SQLITE_OK);
    cb_registry raw = {.db = db, .path = "v3"};
    for (int v = 1; v <= 3; v++)
        assert_int_equal(cb_reg_schema_run(&raw, cb_reg_schema_sql(v), "2026-01-05T08:00:00Z",
                                           NULL),
                         0);
    const char *rows =
        "INSERT INTO migrations VALUES (1, '2026-01-05T08:00:00Z', 'a'), "
        "(2, '2026-01-05T08:00:00Z', 'b'), (3, '2026-01-05T08:00:00Z', 'c');"
        "INSERT INTO people VALUES (1, 'T9', 'Old Teacher', 'staff', '', '', "
        "'2026-01-05T08:00:02Z', '2026-01-05T08:00:02Z');"
        "INSERT INTO consents(id, person_id, purpose, status, given_by, recorded_by, "
        "recorded_at, withdrawn_at, withdrawn_by) VALUES (1, 1, 'social', 'withdrawn', 'self', "
        "'clerk', '2026-01-05T08:00:03Z', '2026-01-05T08:00:04Z', 'clerk'), "
        "(2, 1, 'website', 'granted', 'self', 'clerk', '2026-01-05T08:00:05Z', '', '');"
        "INSERT INTO runs(started_at, finished_at, command, input_path, input_sha256, purpose, "
        "run_date, faces_total, faces_kept, faces_redacted, status, registry_version) VALUES "
        "('2026-01-05T09:00:00Z', '2026-01-05T09:00:00Z', 'check', 'a.jpg', "
        "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'social', "
        "'2026-01-05', 0, 0, 0, 'ok', 5);"
        "PRAGMA user_version = 3; PRAGMA application_id = 1128419911;";
    assert_int_equal(sqlite3_exec(db, rows, NULL, NULL, NULL), SQLITE_OK);
    old_audit(db, 1, "registry.migrate", "", "{\"from\": 0, \"to\": 3}", prev);
    old_audit(db, 2, "person.add", "T9", "{\"id\": 1, \"role\": \"staff\", \"group\": \"\"}",
              prev);
    old_audit(db, 3, "consent.grant", "T9",
              "{\"consent_id\": 1, \"purpose\": \"social\", \"given_by\": \"self\"}", prev);
    old_audit(db, 4, "consent.withdraw", "T9", "{\"consent_id\": 1, \"purpose\": \"social\"}",
              prev);
    old_audit(db, 5, "consent.grant", "T9",
              "{\"consent_id\": 2, \"purpose\": \"website\", \"given_by\": \"self\"}", prev);
    assert_int_equal(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

static void test_migration_from_v3(void **state)
{
    fixture *f = *state;
    cb_registry *r = NULL;
    cb_error err = {0};
    snprintf(f->path, sizeof f->path, "%s/v3.db", f->dir);
    make_v3_file(f->path);
    assert_int_equal(cb_registry_open(f->path, 0, &r, &err), 0);
    cb_registry_close(r);
    EXPECT(0, run(f, "audit", "verify", NULL));
    assert_has(out_buf, "note: 1 run(s) were recorded before runs kept the audit head");
    assert_has(out_buf, "note: 3 row(s) were written before the audit log kept digests");
    assert_has(out_buf, "the tables match it; 0 run head(s) checked");
    /* New changes after the migration are checked in full. */
    EXPECT(0, run(f, "person", "add", "P5", "--name", "New", "--role", "staff", NULL));
    EXPECT(0, run(f, "consent", "grant", "P5", "social", "--given-by", "self", NULL));
    EXPECT(0, run(f, "audit", "verify", NULL));
    /* An old row's status changed is still caught; so is a new row's signer. */
    intrude(f, "UPDATE consents SET status = 'granted', withdrawn_at = '', withdrawn_by = '' "
               "WHERE id = 1; UPDATE consents SET given_by_name = 'X' WHERE id = 3;");
    EXPECT(1, run(f, "audit", "verify", NULL));
    assert_has(out_buf, "consents 1 (T9, social): status is 'granted', the audit log says "
                        "'withdrawn'");
    assert_has(out_buf, "consents 3 (P5, social): signer");
}

/* ---- what the quick check costs -------------------------------------------------------- */

static double seconds_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* 3000 people, each with a grant, a refusal and a template: one transaction. */
static void add_people(cb_registry *r, int n, int64_t *ids)
{
    cb_error err = {0};
    float emb[128] = {0.5f};
    assert_int_equal(cb_registry_begin(r, &err), 0);
    for (int i = 0; i < n; i++) {
        cb_person p = {.role = CB_ROLE_STAFF};
        snprintf(p.external_id, sizeof p.external_id, "S%05d", i);
        snprintf(p.name, sizeof p.name, "Staff %d", i);
        assert_int_equal(cb_registry_person_add(r, &p, NULL, &err), 0);
        cb_consent c = {.person_id = p.id, .status = CB_CONSENT_GRANTED};
        snprintf(c.purpose, sizeof c.purpose, "social");
        assert_int_equal(cb_registry_consent_record(r, &c, NULL, &err), 0);
        c.status = CB_CONSENT_REFUSED;
        snprintf(c.purpose, sizeof c.purpose, "website");
        assert_int_equal(cb_registry_consent_record(r, &c, NULL, &err), 0);
        assert_int_equal(cb_registry_template_add(r, p.id, "m", emb, 128, 0.5f, NULL, NULL, NULL,
                                                  &err),
                         0);
        ids[i] = p.id;
    }
    assert_int_equal(cb_registry_commit(r, &err), 0);
}

static void test_quick_check_cost(void **state)
{
    fixture *f = *state;
    enum { N = 3000 };
    static int64_t ids[N];
    cb_registry *r = NULL;
    cb_error err = {0};
    cb_integrity_report rep;
    struct timespec t0;
    assert_int_equal(cb_registry_open(f->path, 0, &r, &err), 0);
    add_people(r, N, ids);
    cb_registry_close(r);
    assert_int_equal(cb_registry_open(f->path, CB_REGISTRY_READONLY, &r, &err), 0);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(cb_registry_integrity_quick(r, ids, N, &rep, &err), 0);
    double quick = seconds_since(&t0);
    assert_int_equal(cb_integrity_tampered(&rep), 0);
    cb_integrity_report_free(&rep);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(cb_registry_integrity_check(r, NULL, &rep, &err), 0);
    double full = seconds_since(&t0);
    assert_int_equal(cb_integrity_tampered(&rep), 0);
    cb_integrity_report_free(&rep);
    print_message("integrity on %d people (%d audit rows): quick %.0f ms, full %.0f ms\n", N,
                  1 + 4 * N + 6, quick * 1e3, full * 1e3);
    cb_registry_close(r);
    /* One consent among them changed: the quick check of everyone finds it. */
    intrude(f, "UPDATE consents SET status = 'granted' WHERE id = (SELECT max(id) FROM consents "
               "WHERE purpose = 'website');");
    assert_int_equal(cb_registry_open(f->path, CB_REGISTRY_READONLY, &r, &err), 0);
    assert_int_equal(cb_registry_integrity_quick(r, ids, N, &rep, &err), 0);
    assert_int_equal(rep.findings.total, 1);
    assert_string_equal(rep.findings.list[0].field, "status");
    cb_integrity_report_free(&rep);
    cb_registry_close(r);
}

/* A test on its own copy of the registry setup builds. */
#define WITH_REGISTRY(test) cmocka_unit_test_setup_teardown(test, setup, cb_test_registry_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        WITH_REGISTRY(test_intact),           WITH_REGISTRY(test_cut_tail),
        WITH_REGISTRY(test_cut_tail_expect),  WITH_REGISTRY(test_delete_middle_row),
        WITH_REGISTRY(test_edit_consent),     WITH_REGISTRY(test_insert_consent),
        WITH_REGISTRY(test_triggers),         WITH_REGISTRY(test_replace_log),
        WITH_REGISTRY(test_process_refuses),  WITH_REGISTRY(test_migration_from_v3),
        WITH_REGISTRY(test_quick_check_cost),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

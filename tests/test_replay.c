/*
 * test_replay.c - the rules of consent/replay.h one by one: what replaying
 * audit rows gives, and which differences from the tables are reported.
 * Pure functions: no registry file here (tests/test_tamper.c does the
 * intruder's work on real files).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "consent/replay.h"

#define DIGEST_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define DIGEST_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

/* An event of action on P1 by "officer", number num, with the new fields. */
static cb_replay_event ev(const char *action, int64_t num)
{
    cb_replay_event e;
    memset(&e, 0, sizeof e);
    snprintf(e.action, sizeof e.action, "%s", action);
    snprintf(e.subject, sizeof e.subject, "P1");
    snprintf(e.actor, sizeof e.actor, "officer");
    e.num = num;
    e.has = CB_REPLAY_HAS_NUM | CB_REPLAY_HAS_DIGEST | CB_REPLAY_HAS_ROLE;
    snprintf(e.role, sizeof e.role, "pupil");
    snprintf(e.digest, sizeof e.digest, DIGEST_A);
    return e;
}

static cb_replay_event grant(int64_t id, const char *purpose)
{
    cb_replay_event e = ev("consent.grant", id);
    snprintf(e.purpose, sizeof e.purpose, "%s", purpose);
    snprintf(e.given_by, sizeof e.given_by, "guardian");
    e.has &= ~(unsigned)CB_REPLAY_HAS_ROLE;
    return e;
}

/* The table rows that match grant(id, purpose) for person 7. */
static cb_replay_consent row(int64_t id, const char *purpose, const char *status)
{
    cb_replay_consent c;
    memset(&c, 0, sizeof c);
    c.id = id;
    c.person_id = 7;
    snprintf(c.purpose, sizeof c.purpose, "%s", purpose);
    snprintf(c.status, sizeof c.status, "%s", status);
    snprintf(c.given_by, sizeof c.given_by, "guardian");
    snprintf(c.recorded_by, sizeof c.recorded_by, "officer");
    snprintf(c.digest, sizeof c.digest, DIGEST_A);
    return c;
}

static cb_replay_person person_row(void)
{
    cb_replay_person p;
    memset(&p, 0, sizeof p);
    p.id = 7;
    snprintf(p.external_id, sizeof p.external_id, "P1");
    snprintf(p.role, sizeof p.role, "pupil");
    snprintf(p.digest, sizeof p.digest, DIGEST_A);
    return p;
}

/* Replay evs and compare with the person and consent rows given. */
static void replay_compare(const cb_replay_event *evs, int n, const cb_replay_person *p,
                           const cb_replay_consent *rows, int n_rows, cb_findings *f)
{
    cb_replay_subject s;
    memset(f, 0, sizeof *f);
    assert_int_equal(cb_replay_subject_run(evs, n, &s), 0);
    cb_replay_compare_subject(&s, p, rows, n_rows, f);
    cb_replay_subject_free(&s);
}

/* Replaying evs explains the rows in full, not_replayable of them only in part. */
static void expect_clean(const cb_replay_event *evs, int n, const cb_replay_person *p,
                         const cb_replay_consent *rows, int n_rows, int not_replayable)
{
    cb_findings f;
    replay_compare(evs, n, p, rows, n_rows, &f);
    assert_int_equal(f.total, 0);
    assert_int_equal(f.not_replayable, not_replayable);
    cb_findings_free(&f);
}

static void assert_finding(const cb_findings *f, int i, cb_finding_kind kind, const char *table,
                           const char *key, const char *field)
{
    assert_true(i < f->n_kept);
    assert_int_equal(f->list[i].kind, kind);
    assert_string_equal(f->list[i].table, table);
    assert_string_equal(f->list[i].key, key);
    assert_string_equal(f->list[i].field, field ? field : "");
}

static void test_matching_tables_give_nothing(void **state)
{
    (void)state;
    cb_replay_event evs[] = {ev("person.add", 7), grant(3, "social"), ev("template.add", 1)};
    cb_replay_person p = person_row();
    p.templates = 1;
    cb_replay_consent rows[] = {row(3, "social", "granted")};
    expect_clean(evs, 3, &p, rows, 1, 0);
}

static void test_person_fields(void **state)
{
    (void)state;
    cb_replay_event evs[] = {ev("person.add", 7)};
    cb_replay_person p = person_row();
    snprintf(p.role, sizeof p.role, "staff");
    snprintf(p.digest, sizeof p.digest, DIGEST_B);
    cb_findings f;
    replay_compare(evs, 1, &p, NULL, 0, &f);
    assert_int_equal(f.total, 2);
    assert_finding(&f, 0, CB_FIND_DIFFERS, "people", "P1", "role");
    assert_string_equal(f.list[0].have, "staff");
    assert_string_equal(f.list[0].want, "pupil");
    assert_finding(&f, 1, CB_FIND_DIGEST, "people", "P1", NULL);
    cb_findings_free(&f);

    /* An update with a new role and digest is what counts afterwards. */
    cb_replay_event upd[] = {ev("person.add", 7), ev("person.update", 7)};
    snprintf(upd[1].role, sizeof upd[1].role, "staff");
    snprintf(upd[1].digest, sizeof upd[1].digest, DIGEST_B);
    replay_compare(upd, 2, &p, NULL, 0, &f);
    assert_int_equal(f.total, 0);
    cb_findings_free(&f);
}

static void test_person_rows_present_or_not(void **state)
{
    (void)state;
    cb_replay_person p = person_row();
    cb_findings f;
    /* Removed in the log, still in the table (with a template). */
    cb_replay_event removed[] = {ev("person.add", 7), ev("person.remove", 7)};
    p.templates = 2;
    replay_compare(removed, 2, &p, NULL, 0, &f);
    assert_int_equal(f.total, 2);
    assert_finding(&f, 0, CB_FIND_UNEXPLAINED, "people", "P1", NULL);
    assert_finding(&f, 1, CB_FIND_UNEXPLAINED, "templates", "P1", NULL);
    cb_findings_free(&f);
    /* In the log, gone from the table. */
    replay_compare(removed, 1, NULL, NULL, 0, &f);
    assert_int_equal(f.total, 1);
    assert_finding(&f, 0, CB_FIND_MISSING, "people", "P1", NULL);
    cb_findings_free(&f);
    /* A different registry id for the same external id. */
    p.templates = 0;
    p.id = 8;
    replay_compare(removed, 1, &p, NULL, 0, &f);
    assert_int_equal(f.total, 1);
    assert_finding(&f, 0, CB_FIND_DIFFERS, "people", "P1", "id");
    cb_findings_free(&f);
}

static void test_consent_status_and_withdrawal(void **state)
{
    (void)state;
    cb_replay_event evs[] = {ev("person.add", 7), grant(3, "social"),
                             ev("consent.withdraw", 3)};
    evs[2].has = CB_REPLAY_HAS_NUM | CB_REPLAY_HAS_WITHDRAWN_AT;
    snprintf(evs[2].withdrawn_at, sizeof evs[2].withdrawn_at, "2026-03-01T10:00:00Z");
    cb_replay_person p = person_row();
    cb_replay_consent rows[] = {row(3, "social", "withdrawn")};
    snprintf(rows[0].withdrawn_by, sizeof rows[0].withdrawn_by, "officer");
    snprintf(rows[0].withdrawn_at, sizeof rows[0].withdrawn_at, "2026-03-01T10:00:00Z");
    cb_findings f;
    replay_compare(evs, 3, &p, rows, 1, &f);
    assert_int_equal(f.total, 0);
    cb_findings_free(&f);
    /* Set back to granted behind the log's back: status and the withdrawal fields. */
    snprintf(rows[0].status, sizeof rows[0].status, "granted");
    rows[0].withdrawn_at[0] = rows[0].withdrawn_by[0] = '\0';
    replay_compare(evs, 3, &p, rows, 1, &f);
    assert_int_equal(f.total, 3);
    assert_finding(&f, 0, CB_FIND_DIFFERS, "consents", "3 (P1, social)", "status");
    assert_string_equal(f.list[0].have, "granted");
    assert_string_equal(f.list[0].want, "withdrawn");
    assert_finding(&f, 1, CB_FIND_DIFFERS, "consents", "3 (P1, social)", "withdrawn_at");
    assert_finding(&f, 2, CB_FIND_DIFFERS, "consents", "3 (P1, social)", "withdrawn_by");
    cb_findings_free(&f);
}

static void test_consent_refused_edited(void **state)
{
    (void)state;
    cb_replay_event evs[] = {ev("person.add", 7), grant(3, "social")};
    snprintf(evs[1].action, sizeof evs[1].action, "consent.refuse");
    cb_replay_person p = person_row();
    cb_replay_consent rows[] = {row(3, "social", "granted")};
    snprintf(rows[0].digest, sizeof rows[0].digest, DIGEST_B); /* the signer changed too */
    rows[0].person_id = 9;
    cb_findings f;
    replay_compare(evs, 2, &p, rows, 1, &f);
    assert_int_equal(f.total, 3);
    assert_finding(&f, 0, CB_FIND_DIFFERS, "consents", "3 (P1, social)", "person_id");
    assert_finding(&f, 1, CB_FIND_DIFFERS, "consents", "3 (P1, social)", "status");
    assert_finding(&f, 2, CB_FIND_DIGEST, "consents", "3 (P1, social)", NULL);
    cb_findings_free(&f);
}

static void test_consent_rows_inserted_or_deleted(void **state)
{
    (void)state;
    cb_replay_event evs[] = {ev("person.add", 7), grant(3, "social")};
    cb_replay_person p = person_row();
    cb_replay_consent rows[] = {row(3, "social", "granted"), row(4, "website", "granted")};
    cb_findings f;
    replay_compare(evs, 2, &p, rows, 2, &f);
    assert_int_equal(f.total, 1);
    assert_finding(&f, 0, CB_FIND_UNEXPLAINED, "consents", "4 (P1, website)", NULL);
    cb_findings_free(&f);
    replay_compare(evs, 2, &p, NULL, 0, &f);
    assert_int_equal(f.total, 1);
    assert_finding(&f, 0, CB_FIND_MISSING, "consents", "3 (P1, social)", NULL);
    cb_findings_free(&f);
    /* person.remove takes the records with it. */
    cb_replay_event gone[] = {ev("person.add", 7), grant(3, "social"), ev("person.remove", 7)};
    replay_compare(gone, 3, NULL, NULL, 0, &f);
    assert_int_equal(f.total, 0);
    cb_findings_free(&f);
}

static void test_rows_from_before_digests(void **state)
{
    (void)state;
    cb_replay_event evs[] = {ev("person.add", 7), grant(3, "social"), ev("consent.withdraw", 3)};
    for (int i = 0; i < 3; i++) {
        evs[i].has = CB_REPLAY_HAS_NUM | (i == 0 ? CB_REPLAY_HAS_ROLE : 0);
        evs[i].digest[0] = '\0';
    }
    cb_replay_person p = person_row(); /* names changed: nothing in the log to compare */
    snprintf(p.digest, sizeof p.digest, DIGEST_B);
    cb_replay_consent rows[] = {row(3, "social", "withdrawn")};
    snprintf(rows[0].withdrawn_by, sizeof rows[0].withdrawn_by, "officer");
    snprintf(rows[0].withdrawn_at, sizeof rows[0].withdrawn_at, "2026-03-01T10:00:00Z");
    cb_findings f;
    expect_clean(evs, 3, &p, rows, 1, 2);
    /* What the old rows do say is still checked. */
    snprintf(rows[0].status, sizeof rows[0].status, "granted");
    replay_compare(evs, 3, &p, rows, 1, &f);
    assert_int_equal(f.total, 1);
    assert_finding(&f, 0, CB_FIND_DIFFERS, "consents", "3 (P1, social)", "status");
    cb_findings_free(&f);
    /* An old update row says which fields changed, not to what: role unknown from then on. */
    cb_replay_event upd[] = {ev("person.add", 7), ev("person.update", 7)};
    upd[1].has = CB_REPLAY_HAS_NUM;
    snprintf(p.role, sizeof p.role, "staff");
    expect_clean(upd, 2, &p, NULL, 0, 1);
}

static void test_template_count(void **state)
{
    (void)state;
    cb_replay_event evs[] = {ev("person.add", 7), ev("template.add", 1), ev("template.add", 2),
                             ev("template.erase", 0), ev("template.add", 3)};
    cb_replay_person p = person_row();
    p.templates = 2;
    cb_findings f;
    replay_compare(evs, 5, &p, NULL, 0, &f);
    assert_int_equal(f.total, 1);
    assert_finding(&f, 0, CB_FIND_DIFFERS, "templates", "P1", "count");
    assert_string_equal(f.list[0].have, "2");
    assert_string_equal(f.list[0].want, "1");
    cb_findings_free(&f);
}

static void test_globals(void **state)
{
    (void)state;
    cb_replay_event evs[4];
    memset(evs, 0, sizeof evs);
    snprintf(evs[0].action, sizeof evs[0].action, "registry.migrate");
    evs[0].has = CB_REPLAY_HAS_NUM; /* from 0: a new registry */
    snprintf(evs[1].action, sizeof evs[1].action, "purpose.add");
    snprintf(evs[1].purpose, sizeof evs[1].purpose, "yearbook");
    snprintf(evs[2].action, sizeof evs[2].action, "setting.set");
    snprintf(evs[2].key, sizeof evs[2].key, "guardian_consent_until_age");
    evs[2].num = 15;
    evs[2].has = CB_REPLAY_HAS_NUM;
    snprintf(evs[3].action, sizeof evs[3].action, "import"); /* changes nothing itself */
    cb_replay_globals g;
    assert_int_equal(cb_replay_globals_run(evs, 4, &g), 0);
    assert_int_equal(g.n_purposes, 6);
    const char purposes[][32] = {"social", "website", "newsletter", "print", "internal",
                                 "yearbook"};
    const char settings[][2][48] = {{"guardian_consent_until_age", "15"}};
    cb_findings f = {0};
    cb_replay_compare_globals(&g, purposes, 6, settings, 1, &f);
    assert_int_equal(f.total, 0);
    const char evil[][32] = {"social", "website", "newsletter", "print", "evil", "yearbook"};
    const char zero[][2][48] = {{"guardian_consent_until_age", "0"},
                                {"self_consent_from_age", "12"}};
    cb_replay_compare_globals(&g, evil, 6, zero, 2, &f);
    assert_int_equal(f.total, 4);
    assert_finding(&f, 0, CB_FIND_MISSING, "purposes", "internal", NULL);
    assert_finding(&f, 1, CB_FIND_UNEXPLAINED, "purposes", "evil", NULL);
    assert_finding(&f, 2, CB_FIND_DIFFERS, "settings", "guardian_consent_until_age", "value");
    assert_finding(&f, 3, CB_FIND_UNEXPLAINED, "settings", "self_consent_from_age", NULL);
    cb_findings_free(&f);
    cb_replay_globals_free(&g);
}

static void test_findings_and_text(void **state)
{
    (void)state;
    cb_findings f = {0};
    for (int i = 0; i < CB_FINDINGS_KEPT + 5; i++)
        cb_findings_add(&f, CB_FIND_DIFFERS, "consents", "3 (P1, social)", "status", "granted",
                        "refused");
    assert_int_equal(f.total, CB_FINDINGS_KEPT + 5);
    assert_int_equal(f.n_kept, CB_FINDINGS_KEPT);
    char line[256];
    cb_finding_text(&f.list[0], line, sizeof line);
    assert_string_equal(line, "consents 3 (P1, social): status is 'granted', the audit log says "
                              "'refused'");
    cb_findings_free(&f);
    assert_int_equal(f.total, 0);
    cb_findings_free(NULL);
    /* Digests: salted, and none without a salt. */
    const char *fields[] = {"Ann", "2012-01-01", "7B"};
    char a[65], b[65];
    cb_replay_digest("00ff", fields, 3, a);
    cb_replay_digest("00fe", fields, 3, b);
    assert_int_equal(strlen(a), 64);
    assert_string_not_equal(a, b);
    cb_replay_digest("", fields, 3, a);
    assert_string_equal(a, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matching_tables_give_nothing),
        cmocka_unit_test(test_person_fields),
        cmocka_unit_test(test_person_rows_present_or_not),
        cmocka_unit_test(test_consent_status_and_withdrawal),
        cmocka_unit_test(test_consent_refused_edited),
        cmocka_unit_test(test_consent_rows_inserted_or_deleted),
        cmocka_unit_test(test_rows_from_before_digests),
        cmocka_unit_test(test_template_count),
        cmocka_unit_test(test_globals),
        cmocka_unit_test(test_findings_and_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

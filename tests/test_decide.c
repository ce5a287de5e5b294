/*
 * test_decide.c - the consent policy (consent/decide.h), the matcher
 * (recognise/match.h), the judge's rule that one person is not two faces
 * (recognise/judge.h) and the date helpers (common/cb_date.h), rule by rule.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/cb_date.h"
#include "consent/decide.h"
#include "recognise/judge.h"
#include "recognise/match.h"

static void test_dates(void **state)
{
    (void)state;
    assert_true(cb_date_valid("2026-11-26"));
    assert_true(cb_date_valid("2024-02-29"));
    assert_false(cb_date_valid("2026-02-29"));
    assert_false(cb_date_valid("2026-13-01"));
    assert_false(cb_date_valid("2026-1-01"));
    assert_false(cb_date_valid("26-11-2026"));
    assert_false(cb_date_valid(""));
    assert_false(cb_date_valid(NULL));
    char out[11];
    assert_int_equal(cb_date_add_years("2010-05-17", 16, out), 0);
    assert_string_equal(out, "2026-05-17");
    assert_int_equal(cb_date_add_years("2008-02-29", 16, out), 0);
    assert_string_equal(out, "2024-02-29");
    assert_int_equal(cb_date_add_years("2008-02-29", 17, out), 0);
    assert_string_equal(out, "2025-03-01");
    assert_int_equal(cb_date_age_on("2010-05-17", "2026-05-16"), 15);
    assert_int_equal(cb_date_age_on("2010-05-17", "2026-05-17"), 16);
    assert_int_equal(cb_date_age_on("2008-02-29", "2025-02-28"), 16);
    assert_int_equal(cb_date_age_on("2008-02-29", "2025-03-01"), 17);
    assert_int_equal(cb_date_age_on("2027-01-01", "2026-01-01"), -1);
    assert_int_equal(cb_date_age_on("bad", "2026-01-01"), -1);
    char today[11];
    cb_date_today(today);
    assert_true(cb_date_valid(today));
}

static cb_policy policy(const char *date)
{
    cb_policy p = {.purpose = "social", .guardian_until_age = 16, .self_from_age = 16};
    snprintf(p.date, sizeof p.date, "%s", date);
    return p;
}

static cb_person pupil(const char *birth)
{
    cb_person p = {.id = 7, .external_id = "P1007", .name = "Sanne", .role = CB_ROLE_PUPIL};
    snprintf(p.birth_date, sizeof p.birth_date, "%s", birth);
    return p;
}

static cb_consent granted(cb_given_by by)
{
    cb_consent c = {.id = 1, .person_id = 7, .purpose = "social", .status = CB_CONSENT_GRANTED,
                    .given_by = by, .recorded_at = "2025-09-01T10:00:00Z"};
    return c;
}

/* Runs cb_decide and checks keep, reason and a word of the detail. */
static void expect(const cb_policy *p, const cb_person *who, const cb_consent *c, int keep,
                   cb_reason reason, const char *word)
{
    cb_reason got = CB_REASON_CONSENT;
    char detail[256] = "";
    int k = cb_decide(p, who, c, &got, detail, sizeof detail);
    printf("  %s: %s\n", cb_reason_name(got), detail);
    assert_int_equal(k, keep);
    assert_int_equal(got, reason);
    if (word)
        assert_non_null(strstr(detail, word));
}

static void test_guardian_consent_until_16(void **state)
{
    (void)state;
    cb_person sanne = pupil("2010-05-17");
    cb_consent c = granted(CB_GIVEN_BY_GUARDIAN);
    cb_policy before = policy("2026-05-16"), on = policy("2026-05-17");
    expect(&before, &sanne, &c, 1, CB_REASON_CONSENT, "consented to social");
    expect(&on, &sanne, &c, 0, CB_REASON_GUARDIAN_AFTER_AGE, "2026-05-17");
    /* The setting: 0 = a guardian's consent never stops counting. */
    on.guardian_until_age = 0;
    expect(&on, &sanne, &c, 1, CB_REASON_CONSENT, NULL);
}

static void test_own_consent_from_16(void **state)
{
    (void)state;
    cb_person sanne = pupil("2010-05-17");
    cb_consent c = granted(CB_GIVEN_BY_SELF);
    cb_policy before = policy("2026-05-16"), on = policy("2026-05-17");
    expect(&before, &sanne, &c, 0, CB_REASON_SELF_UNDER_AGE, "is 15");
    expect(&on, &sanne, &c, 1, CB_REASON_CONSENT, NULL);
}

static void test_status_and_window(void **state)
{
    (void)state;
    cb_person sanne = pupil("2015-01-01");
    cb_policy p = policy("2026-11-26");
    expect(&p, &sanne, NULL, 0, CB_REASON_NO_CONSENT, "social");
    cb_consent c = granted(CB_GIVEN_BY_GUARDIAN);
    c.status = CB_CONSENT_REFUSED;
    expect(&p, &sanne, &c, 0, CB_REASON_REFUSED, "refused");
    c.status = CB_CONSENT_WITHDRAWN;
    snprintf(c.withdrawn_at, sizeof c.withdrawn_at, "2026-11-02T08:30:00Z");
    expect(&p, &sanne, &c, 0, CB_REASON_WITHDRAWN, "withdrawn on 2026-11-02");
    c = granted(CB_GIVEN_BY_GUARDIAN);
    snprintf(c.valid_from, sizeof c.valid_from, "2026-12-01");
    expect(&p, &sanne, &c, 0, CB_REASON_NOT_YET_VALID, "2026-12-01");
    c = granted(CB_GIVEN_BY_GUARDIAN);
    snprintf(c.valid_until, sizeof c.valid_until, "2026-07-31");
    expect(&p, &sanne, &c, 0, CB_REASON_EXPIRED, "expired on 2026-07-31");
    snprintf(c.valid_until, sizeof c.valid_until, "2026-11-26"); /* last day counts */
    expect(&p, &sanne, &c, 1, CB_REASON_CONSENT, NULL);
    /* No valid_from: counts from the day it was recorded. */
    c = granted(CB_GIVEN_BY_GUARDIAN);
    cb_policy early = policy("2025-08-31");
    expect(&early, &sanne, &c, 0, CB_REASON_NOT_YET_VALID, "2025-09-01");
}

static void test_roles(void **state)
{
    (void)state;
    cb_policy p = policy("2026-11-26");
    cb_person staff = {.id = 2, .external_id = "T-12", .name = "Mr. de Vries",
                       .role = CB_ROLE_STAFF};
    cb_consent own = granted(CB_GIVEN_BY_SELF), guardian = granted(CB_GIVEN_BY_GUARDIAN);
    expect(&p, &staff, &own, 1, CB_REASON_CONSENT, NULL);
    expect(&p, &staff, &guardian, 0, CB_REASON_WRONG_PARTY, "staff");
    cb_person pupil_no_birth = pupil("");
    expect(&p, &pupil_no_birth, &guardian, 0, CB_REASON_NO_BIRTH_DATE, "birth date");
    expect(&p, &pupil_no_birth, &own, 0, CB_REASON_NO_BIRTH_DATE, "birth date");
    cb_person other = {.id = 3, .external_id = "V-1", .name = "Volunteer", .role = CB_ROLE_OTHER};
    expect(&p, &other, &own, 1, CB_REASON_CONSENT, NULL);
    expect(&p, &other, &guardian, 0, CB_REASON_NO_BIRTH_DATE, NULL);
    snprintf(other.birth_date, sizeof other.birth_date, "2014-03-03");
    expect(&p, &other, &guardian, 1, CB_REASON_CONSENT, NULL);
    expect(&p, &other, &own, 0, CB_REASON_SELF_UNDER_AGE, NULL);
}

static void test_reason_names_unique(void **state)
{
    (void)state;
    for (int a = CB_REASON_CONSENT; a <= CB_REASON_TRACK_DISAGREES; a++)
        for (int b = a + 1; b <= CB_REASON_TRACK_DISAGREES; b++)
            assert_string_not_equal(cb_reason_name((cb_reason)a), cb_reason_name((cb_reason)b));
}

/* The reason table: an entry per reason, in order; each label is the name
 * in the "reason" context (English: the name itself); red in the report
 * exactly for a recognised person whose consent does not hold. */
static void test_reason_table(void **state)
{
    (void)state;
    static const cb_reason consent_failed[] = {
        CB_REASON_NO_CONSENT,     CB_REASON_REFUSED,     CB_REASON_WITHDRAWN,
        CB_REASON_NOT_YET_VALID,  CB_REASON_EXPIRED,     CB_REASON_GUARDIAN_AFTER_AGE,
        CB_REASON_SELF_UNDER_AGE, CB_REASON_WRONG_PARTY, CB_REASON_NO_BIRTH_DATE};
    for (int r = CB_REASON_CONSENT; r <= CB_REASON_TRACK_DISAGREES; r++) {
        const cb_reason_def *d = cb_reason_def_of((cb_reason)r);
        assert_non_null(d);
        assert_int_equal(d->reason, r);
        assert_true(strncmp(d->label, "reason\004", 7) == 0);
        assert_string_equal(d->label + 7, d->name);
        assert_string_equal(cb_reason_label((cb_reason)r), d->name);
        int expected = 0;
        for (size_t i = 0; i < sizeof consent_failed / sizeof consent_failed[0]; i++)
            expected |= consent_failed[i] == (cb_reason)r;
        assert_int_equal(cb_reason_consent_failed((cb_reason)r), expected);
    }
    assert_null(cb_reason_def_of((cb_reason)(CB_REASON_TRACK_DISAGREES + 1)));
    assert_null(cb_reason_def_of((cb_reason)-1));
    assert_string_equal(cb_reason_name((cb_reason)99), "unknown");
    assert_int_equal(cb_reason_consent_failed((cb_reason)99), 0);
}

/* A descriptor that is zero but for its first two numbers. */
static void vec(float *v, float x, float y)
{
    memset(v, 0, sizeof(float) * CB_EMBEDDING_DIM);
    v[0] = x;
    v[1] = y;
}

static void test_match(void **state)
{
    (void)state;
    static float a1[CB_EMBEDDING_DIM], a2[CB_EMBEDDING_DIM], b1[CB_EMBEDDING_DIM],
        q[CB_EMBEDDING_DIM], short_one[CB_EMBEDDING_DIM];
    vec(a1, 0, 0);
    vec(a2, 0.1f, 0);
    vec(b1, 1, 0);
    cb_template t[4] = {{.id = 1, .person_id = 10, .dim = CB_EMBEDDING_DIM, .embedding = a1},
                        {.id = 2, .person_id = 20, .dim = CB_EMBEDDING_DIM, .embedding = b1},
                        {.id = 3, .person_id = 10, .dim = CB_EMBEDDING_DIM, .embedding = a2},
                        {.id = 4, .person_id = 30, .dim = 4, .embedding = short_one}};
    cb_match_opts o = {.threshold = 0.5f, .margin = 0.2f};
    cb_match m;
    vec(q, 0.12f, 0);
    cb_match_embedding(t, 4, q, &o, &m);
    assert_int_equal(m.recognised, 1);
    assert_int_equal(m.person_id, 10);
    assert_true(fabsf(m.distance - 0.02f) < 1e-5f);
    assert_int_equal(m.runner_up_id, 20);
    assert_true(fabsf(m.runner_up_distance - 0.88f) < 1e-5f);
    /* Off to the side, within the threshold of neither person. */
    vec(q, 0.55f, 0.5f);
    cb_match_embedding(t, 4, q, &o, &m);
    assert_int_equal(m.recognised, 0);
    assert_int_equal(m.reason, CB_REASON_UNKNOWN);
    /* Close to the first, but the second is not far enough behind. */
    o.threshold = 0.6f;
    o.margin = 0.5f;
    vec(q, 0.45f, 0);
    cb_match_embedding(t, 4, q, &o, &m);
    assert_int_equal(m.recognised, 0);
    assert_int_equal(m.reason, CB_REASON_LOW_MARGIN);
    assert_int_equal(m.person_id, 10);
    /* No templates, or only one of another size (short_one is all zeros, as
     * close as can be to q's first four numbers): unknown. */
    vec(q, 0, 0);
    cb_match_embedding(t, 0, q, &o, &m);
    assert_int_equal(m.recognised, 0);
    assert_int_equal(m.person_id, 0);
    cb_match_embedding(t + 3, 1, q, &o, &m);
    assert_int_equal(m.recognised, 0);
    assert_int_equal(m.person_id, 0);
    /* One person only: the runner-up is at infinity, margin satisfied. */
    vec(q, 0.12f, 0);
    cb_match_embedding(t, 1, q, &o, &m);
    assert_int_equal(m.recognised, 1);
    assert_true(isinf(m.runner_up_distance));
}

/* Two faces matched to one person are both redacted, worded for a picture
 * or for a video; faces of different people, or of nobody, are left alone. */
static void test_one_person_two_faces(void **state)
{
    (void)state;
    cb_verdict a, b, c, nobody1, nobody2;
    cb_verdict_redact(&a, CB_REASON_CONSENT, "kept");
    a.keep = 1;
    a.person_id = 7;
    strcpy(a.external_id, "P7");
    b = a;
    c = a;
    c.person_id = 8;
    cb_verdict_redact(&nobody1, CB_REASON_UNKNOWN, "x");
    nobody2 = nobody1;
    assert_true(cb_verdicts_same_person(&a, &b));
    assert_false(cb_verdicts_same_person(&a, &c));
    assert_false(cb_verdicts_same_person(&nobody1, &nobody2));
    cb_verdicts_redact_same_person(&a, &b, 0);
    for (int k = 0; k < 2; k++) {
        const cb_verdict *v = k ? &b : &a;
        assert_int_equal(v->keep, 0);
        assert_int_equal(v->reason, CB_REASON_LOW_MARGIN);
        assert_string_equal(v->detail,
                            "two faces in the picture match P7: cannot tell which is them");
    }
    cb_verdicts_redact_same_person(&c, &b, 1);
    static const char on_screen[] = "two faces on screen at once match P7: cannot tell which "
                                    "is them";
    assert_int_equal(c.keep, 0);
    assert_string_equal(b.detail, on_screen);
    assert_string_equal(c.detail, on_screen);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dates),          cmocka_unit_test(test_guardian_consent_until_16),
        cmocka_unit_test(test_own_consent_from_16), cmocka_unit_test(test_status_and_window),
        cmocka_unit_test(test_roles),          cmocka_unit_test(test_reason_names_unique),
        cmocka_unit_test(test_match),          cmocka_unit_test(test_one_person_two_faces),
        cmocka_unit_test(test_reason_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

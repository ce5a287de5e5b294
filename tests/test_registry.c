/*
 * test_registry.c - the consent registry on real sqlite files: people,
 * consent records (the newest counts), withdrawal and template erasure (the
 * embedding bytes must leave the db and -wal files), purposes and settings,
 * migrations and refusal of foreign or newer files, file modes, the audit
 * hash chain (verified, then tampered with through a second connection),
 * transaction groups and the JSON export.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "common/cb_date.h"
#include "consent/export.h"
#include "consent/registry.h"
#include "test_support.h"

typedef cb_test_registry fixture;

#define OK(call)                                                                               \
    do {                                                                                       \
        cb_error err_ = {0};                                                                   \
        int rc_ = (call);                                                                      \
        (void)err_;                                                                            \
        if (rc_ < 0)                                                                           \
            fail_msg("%s failed: %d", #call, rc_);                                             \
    } while (0)

static int64_t add_person(cb_registry *r, const char *ext, cb_role role, const char *birth)
{
    cb_person p = {0};
    cb_error err = {0};
    snprintf(p.external_id, sizeof p.external_id, "%s", ext);
    snprintf(p.name, sizeof p.name, "Person %s", ext);
    p.role = role;
    snprintf(p.birth_date, sizeof p.birth_date, "%s", birth ? birth : "");
    snprintf(p.group_name, sizeof p.group_name, "7B");
    if (cb_registry_person_add(r, &p, "tester", &err) < 0)
        fail_msg("person_add %s: %s", ext, err.msg);
    assert_true(p.id > 0);
    return p.id;
}

static int64_t record(cb_registry *r, int64_t person, const char *purpose, cb_consent_status s,
                      cb_given_by g)
{
    cb_consent c = {0};
    cb_error err = {0};
    c.person_id = person;
    snprintf(c.purpose, sizeof c.purpose, "%s", purpose);
    c.status = s;
    c.given_by = g;
    if (cb_registry_consent_record(r, &c, "tester", &err) < 0)
        fail_msg("consent_record %s: %s", purpose, err.msg);
    assert_true(c.id > 0);
    assert_string_equal(c.recorded_by, "tester");
    assert_int_equal(strlen(c.recorded_at), 20);
    return c.id;
}

static int64_t add_template(cb_registry *r, int64_t person, const char *model, const float *e,
                            int dim)
{
    int64_t id = 0;
    cb_error err = {0};
    if (cb_registry_template_add(r, person, model, e, dim, 0.75f,
                                 "ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12",
                                 "tester", &id, &err) < 0)
        fail_msg("template_add: %s", err.msg);
    assert_true(id > 0);
    return id;
}

static int template_count(cb_registry *r, int64_t person)
{
    int n = -1;
    cb_error err = {0};
    assert_int_equal(cb_registry_template_count(r, person, &n, &err), 0);
    return n;
}

/* ---- people -------------------------------------------------------------- */

static void test_people(void **state)
{
    fixture *f = *state;
    cb_error err = {0};
    int64_t a = add_person(f->r, "S200", CB_ROLE_PUPIL, "2012-05-01");
    int64_t b = add_person(f->r, "S100", CB_ROLE_STAFF, NULL);
    assert_true(b > a);

    cb_person p = {0};
    strcpy(p.external_id, "S200");
    strcpy(p.name, "Someone Else");
    p.role = CB_ROLE_OTHER;
    assert_int_equal(cb_registry_person_add(f->r, &p, "tester", &err), CB_EEXIST);

    /* A pupil needs a real birth date, not in the future. */
    strcpy(p.external_id, "S300");
    p.role = CB_ROLE_PUPIL;
    p.birth_date[0] = '\0';
    assert_int_equal(cb_registry_person_add(f->r, &p, "tester", &err), CB_EINVAL);
    strcpy(p.birth_date, "2023-02-29");
    assert_int_equal(cb_registry_person_add(f->r, &p, "tester", &err), CB_EINVAL);
    assert_non_null(strstr(err.msg, "2023-02-29"));
    strcpy(p.birth_date, "2999-01-01");
    assert_int_equal(cb_registry_person_add(f->r, &p, "tester", &err), CB_EINVAL);
    strcpy(p.birth_date, "2012-13-01");
    assert_int_equal(cb_registry_person_add(f->r, &p, "tester", &err), CB_EINVAL);
    strcpy(p.birth_date, "2016-02-29"); /* a leap day is fine */
    assert_int_equal(cb_registry_person_add(f->r, &p, "tester", &err), 0);
    /* Control characters and invalid UTF-8 are refused. */
    cb_person q = {0};
    strcpy(q.external_id, "S400");
    strcpy(q.name, "Bad\nName");
    q.role = CB_ROLE_STAFF;
    assert_int_equal(cb_registry_person_add(f->r, &q, "tester", &err), CB_EINVAL);
    strcpy(q.name, "Bad \xff name");
    assert_int_equal(cb_registry_person_add(f->r, &q, "tester", &err), CB_EINVAL);

    cb_person got;
    assert_int_equal(cb_registry_person_find(f->r, "S200", &got, &err), 0);
    assert_int_equal(got.id, a);
    assert_string_equal(got.name, "Person S200");
    assert_int_equal(got.role, CB_ROLE_PUPIL);
    assert_string_equal(got.birth_date, "2012-05-01");
    assert_string_equal(got.group_name, "7B");
    char key[32];
    snprintf(key, sizeof key, "%lld", (long long)b);
    assert_int_equal(cb_registry_person_find(f->r, key, &got, &err), 0);
    assert_string_equal(got.external_id, "S100");
    assert_int_equal(cb_registry_person_find(f->r, "nobody", &got, &err), CB_ENOTFOUND);
    assert_int_equal(cb_registry_person_get(f->r, 9999, &got, &err), CB_ENOTFOUND);

    cb_person *list = NULL;
    int n = 0;
    assert_int_equal(cb_registry_person_list(f->r, &list, &n, &err), 0);
    assert_int_equal(n, 3);
    assert_string_equal(list[0].external_id, "S100"); /* by external id */
    assert_string_equal(list[1].external_id, "S200");
    assert_string_equal(list[2].external_id, "S300");
    free(list);

    /* Update: name and group change; the external id stays. */
    assert_int_equal(cb_registry_person_find(f->r, "S200", &got, &err), 0);
    strcpy(got.name, "Renamed");
    strcpy(got.group_name, "8A");
    strcpy(got.external_id, "IGNORED");
    assert_int_equal(cb_registry_person_update(f->r, &got, "tester", &err), 0);
    assert_int_equal(cb_registry_person_get(f->r, a, &got, &err), 0);
    assert_string_equal(got.name, "Renamed");
    assert_string_equal(got.group_name, "8A");
    assert_string_equal(got.external_id, "S200");

    assert_int_equal(cb_registry_person_remove(f->r, a, "tester", &err), 0);
    assert_int_equal(cb_registry_person_find(f->r, "S200", &got, &err), CB_ENOTFOUND);
    assert_int_equal(cb_registry_person_remove(f->r, a, "tester", &err), CB_ENOTFOUND);
}

/* ---- consent ------------------------------------------------------------- */

static void test_newest_record_counts(void **state)
{
    fixture *f = *state;
    cb_error err = {0};
    int64_t p = add_person(f->r, "S1", CB_ROLE_PUPIL, "2012-05-01");
    int64_t c1 = record(f->r, p, "social", CB_CONSENT_GRANTED, CB_GIVEN_BY_GUARDIAN);
    int64_t c2 = record(f->r, p, "social", CB_CONSENT_REFUSED, CB_GIVEN_BY_GUARDIAN);
    record(f->r, p, "website", CB_CONSENT_GRANTED, CB_GIVEN_BY_GUARDIAN);
    cb_consent cur;
    int found = 0;
    assert_int_equal(cb_registry_consent_current(f->r, p, "social", &cur, &found, &err), 0);
    assert_int_equal(found, 1);
    assert_int_equal(cur.id, c2);
    assert_int_equal(cur.status, CB_CONSENT_REFUSED);
    int64_t c3 = record(f->r, p, "social", CB_CONSENT_GRANTED, CB_GIVEN_BY_SELF);
    assert_int_equal(cb_registry_consent_current(f->r, p, "social", &cur, &found, &err), 0);
    assert_int_equal(cur.id, c3);
    assert_int_equal(cur.status, CB_CONSENT_GRANTED);
    assert_int_equal(cur.given_by, CB_GIVEN_BY_SELF);
    assert_int_equal(cb_registry_consent_current(f->r, p, "print", &cur, &found, &err), 0);
    assert_int_equal(found, 0);

    /* The history stays, oldest first. */
    cb_consent *list = NULL;
    int n = 0;
    assert_int_equal(cb_registry_consent_list(f->r, p, &list, &n, &err), 0);
    assert_int_equal(n, 4);
    assert_int_equal(list[0].id, c1);
    assert_int_equal(list[0].status, CB_CONSENT_GRANTED);
    assert_int_equal(list[1].status, CB_CONSENT_REFUSED);
    assert_string_equal(list[2].purpose, "website");
    assert_int_equal(list[3].id, c3);
    free(list);

    /* Bad records. */
    cb_consent c = {0};
    c.person_id = p;
    c.status = CB_CONSENT_GRANTED;
    strcpy(c.purpose, "instagram");
    assert_int_equal(cb_registry_consent_record(f->r, &c, "tester", &err), CB_EINVAL);
    assert_non_null(strstr(err.msg, "instagram"));
    strcpy(c.purpose, "social");
    strcpy(c.valid_from, "2024-09-01");
    strcpy(c.valid_until, "2024-08-31");
    assert_int_equal(cb_registry_consent_record(f->r, &c, "tester", &err), CB_EINVAL);
    strcpy(c.valid_until, "2024-09-31");
    assert_int_equal(cb_registry_consent_record(f->r, &c, "tester", &err), CB_EINVAL);
    c.valid_until[0] = '\0';
    strcpy(c.evidence_sha256, "abc");
    assert_int_equal(cb_registry_consent_record(f->r, &c, "tester", &err), CB_EINVAL);
    c.evidence_sha256[0] = '\0';
    c.status = CB_CONSENT_WITHDRAWN;
    assert_int_equal(cb_registry_consent_record(f->r, &c, "tester", &err), CB_EINVAL);
    c.status = CB_CONSENT_GRANTED;
    c.person_id = 9999;
    assert_int_equal(cb_registry_consent_record(f->r, &c, "tester", &err), CB_ENOTFOUND);
    /* A good one with every field; the hash is stored lower-case. */
    c.person_id = p;
    strcpy(c.given_by_name, "Jane Doe");
    strcpy(c.evidence_ref, "forms/2024/17.pdf");
    strcpy(c.evidence_sha256, "ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789");
    strcpy(c.valid_until, "2025-08-31");
    assert_int_equal(cb_registry_consent_record(f->r, &c, "tester", &err), 0);
    assert_int_equal(cb_registry_consent_current(f->r, p, "social", &cur, &found, &err), 0);
    assert_string_equal(cur.evidence_sha256,
                        "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789");
    assert_string_equal(cur.given_by_name, "Jane Doe");
    assert_string_equal(cur.valid_from, "2024-09-01");
    assert_string_equal(cur.valid_until, "2025-08-31");
}

static void test_withdraw_erases_templates(void **state)
{
    fixture *f = *state;
    cb_error err = {0};
    float e[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    int64_t p = add_person(f->r, "S1", CB_ROLE_PUPIL, "2012-05-01");
    /* No consent, no template. */
    assert_int_equal(cb_registry_template_add(f->r, p, "m1", e, 8, 0.5f, NULL, "t", NULL, &err),
                     CB_EINVAL);
    record(f->r, p, "social", CB_CONSENT_GRANTED, CB_GIVEN_BY_GUARDIAN);
    record(f->r, p, "website", CB_CONSENT_GRANTED, CB_GIVEN_BY_GUARDIAN);
    record(f->r, p, "print", CB_CONSENT_REFUSED, CB_GIVEN_BY_GUARDIAN);
    add_template(f->r, p, "m1", e, 8);
    add_template(f->r, p, "m1", e, 8);
    assert_int_equal(template_count(f->r, p), 2);

    int n = -1;
    assert_int_equal(cb_registry_consent_withdraw(f->r, p, "social", "officer", &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(template_count(f->r, p), 2); /* website still granted */
    cb_consent cur;
    int found;
    assert_int_equal(cb_registry_consent_current(f->r, p, "social", &cur, &found, &err), 0);
    assert_int_equal(cur.status, CB_CONSENT_WITHDRAWN);
    assert_string_equal(cur.withdrawn_by, "officer");
    assert_int_equal(strlen(cur.withdrawn_at), 20);
    /* Withdrawing it again changes nothing. */
    assert_int_equal(cb_registry_consent_withdraw(f->r, p, "social", "officer", &n, &err), 0);
    assert_int_equal(n, 0);
    assert_int_equal(cb_registry_consent_withdraw(f->r, p, "nope", "officer", &n, &err),
                     CB_EINVAL);

    /* All purposes: only website is granted now; afterwards nothing is, so
     * the templates go in the same call. The refusal stays a refusal. */
    assert_int_equal(cb_registry_consent_withdraw(f->r, p, NULL, "officer", &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(template_count(f->r, p), 0);
    assert_int_equal(cb_registry_consent_current(f->r, p, "print", &cur, &found, &err), 0);
    assert_int_equal(cur.status, CB_CONSENT_REFUSED);
    assert_int_equal(cb_registry_consent_withdraw(f->r, 9999, NULL, "officer", &n, &err),
                     CB_ENOTFOUND);

    /* The audit log says so, without any embedding. */
    cb_audit_row *rows = NULL;
    int count = 0, erased = 0, withdrawn = 0;
    assert_int_equal(cb_registry_audit_list(f->r, 0, 0, &rows, &count, &err), 0);
    for (int i = 0; i < count; i++) {
        if (!strcmp(rows[i].action, "template.erase")) {
            erased++;
            assert_string_equal(rows[i].subject, "S1");
            assert_non_null(strstr(rows[i].details, "\"templates\": 2"));
            assert_non_null(strstr(rows[i].details, "consent withdrawn"));
        }
        if (!strcmp(rows[i].action, "consent.withdraw"))
            withdrawn++;
    }
    free(rows);
    assert_int_equal(erased, 1);
    assert_int_equal(withdrawn, 2);
}

static void test_refusal_erases_templates(void **state)
{
    fixture *f = *state;
    cb_error err = {0};
    float e[4] = {0.5f, -0.5f, 0.25f, 1};
    int64_t p = add_person(f->r, "S1", CB_ROLE_STAFF, NULL);
    record(f->r, p, "social", CB_CONSENT_GRANTED, CB_GIVEN_BY_SELF);
    add_template(f->r, p, "m1", e, 4);
    record(f->r, p, "social", CB_CONSENT_REFUSED, CB_GIVEN_BY_SELF);
    assert_int_equal(template_count(f->r, p), 0);
    (void)err;
}

static void test_templates_load(void **state)
{
    fixture *f = *state;
    cb_error err = {0};
    float a[5] = {0.1f, -2.5f, 3.25e-8f, 1e30f, -0.0f};
    float b[5] = {5, 4, 3, 2, 1};
    int64_t p1 = add_person(f->r, "S1", CB_ROLE_STAFF, NULL);
    int64_t p2 = add_person(f->r, "S2", CB_ROLE_STAFF, NULL);
    int64_t p3 = add_person(f->r, "S3", CB_ROLE_STAFF, NULL);
    record(f->r, p1, "social", CB_CONSENT_GRANTED, CB_GIVEN_BY_SELF);
    record(f->r, p2, "social", CB_CONSENT_GRANTED, CB_GIVEN_BY_SELF);
    record(f->r, p3, "social", CB_CONSENT_GRANTED, CB_GIVEN_BY_SELF);
    int64_t t1 = add_template(f->r, p1, "m1", a, 5);
    add_template(f->r, p2, "m1", b, 5);
    add_template(f->r, p3, "m2", b, 5);
    /* Bad templates. */
    float nan_e[2] = {1, 0};
    nan_e[1] = nan_e[1] / nan_e[1];
    assert_int_equal(cb_registry_template_add(f->r, p1, "m1", nan_e, 2, 0.5f, NULL, NULL, NULL,
                                              &err),
                     CB_EINVAL);
    assert_int_equal(cb_registry_template_add(f->r, p1, "m1", a, 5, 1.5f, NULL, NULL, NULL, &err),
                     CB_EINVAL);
    assert_int_equal(cb_registry_template_add(f->r, p1, "", a, 5, 0.5f, NULL, NULL, NULL, &err),
                     CB_EINVAL);
    assert_int_equal(cb_registry_template_add(f->r, p1, "m1", a, 0, 0.5f, NULL, NULL, NULL, &err),
                     CB_EINVAL);
    assert_int_equal(cb_registry_template_add(f->r, p1, "m1", a, 5, 0.5f, "xyz", NULL, NULL, &err),
                     CB_EINVAL);

    cb_template *t = NULL;
    int n = 0;
    assert_int_equal(cb_registry_templates_load(f->r, "m1", &t, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(t[0].id, t1);
    assert_int_equal(t[0].person_id, p1);
    assert_int_equal(t[0].dim, 5);
    assert_memory_equal(t[0].embedding, a, sizeof a); /* bit-exact, -0.0 included */
    assert_float_equal(t[0].quality, 0.75f, 1e-6);
    assert_string_equal(t[0].model_id, "m1");
    assert_int_equal(t[1].person_id, p2);
    cb_registry_templates_free(t, n);

    /* p2 withdraws: their templates are erased and no longer loaded. */
    assert_int_equal(cb_registry_consent_withdraw(f->r, p2, NULL, "t", NULL, &err), 0);
    assert_int_equal(cb_registry_templates_load(f->r, "m1", &t, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(t[0].person_id, p1);
    cb_registry_templates_free(t, n);
    assert_int_equal(cb_registry_templates_load(f->r, "m2", &t, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(t[0].person_id, p3);
    cb_registry_templates_free(t, n);

    /* Listing without values. */
    assert_int_equal(cb_registry_template_list(f->r, p1, 0, &t, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_null(t[0].embedding);
    assert_int_equal(t[0].dim, 5);
    assert_string_equal(t[0].source_sha256,
                        "ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12");
    assert_int_equal(strlen(t[0].created_at), 20);
    cb_registry_templates_free(t, n);
}

/* ---- erasure on disk ----------------------------------------------------- */

static unsigned char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    *len = 0;
    if (!f)
        return calloc(1, 1);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* Does the file hold the 64-byte needle? */
static int file_contains(const char *path, const unsigned char *needle, size_t nlen)
{
    size_t len;
    unsigned char *buf = read_all(path, &len);
    int found = 0;
    for (size_t i = 0; !found && len >= nlen && i <= len - nlen; i++)
        found = memcmp(buf + i, needle, nlen) == 0;
    free(buf);
    return found;
}

static void erase_and_check(fixture *f, int dim)
{
    cb_error err = {0};
    char wal[600];
    snprintf(wal, sizeof wal, "%s-wal", f->path);
    float *e = malloc((size_t)dim * sizeof *e);
    for (int i = 0; i < dim; i++)
        e[i] = 1234.5f + (float)i * 0.0625f; /* a pattern nothing else in the file has */
    unsigned char needle[64];
    for (int i = 0; i < 16; i++) { /* little-endian float32, as stored */
        uint32_t u;
        memcpy(&u, &e[i + 3], 4);
        for (int k = 0; k < 4; k++)
            needle[4 * i + k] = (unsigned char)(u >> (8 * k));
    }
    char ext[16];
    snprintf(ext, sizeof ext, "E%d", dim);
    int64_t p = add_person(f->r, ext, CB_ROLE_STAFF, NULL);
    record(f->r, p, "social", CB_CONSENT_GRANTED, CB_GIVEN_BY_SELF);
    add_template(f->r, p, "m1", e, dim);
    /* Right after the commit the bytes are in the WAL... */
    assert_true(file_contains(wal, needle, sizeof needle));
    /* ...and after a checkpoint by another connection, in the db file. */
    sqlite3 *raw = NULL;
    assert_int_equal(sqlite3_open(f->path, &raw), SQLITE_OK);
    assert_int_equal(sqlite3_exec(raw, "PRAGMA wal_checkpoint(FULL)", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(raw);
    assert_true(file_contains(f->path, needle, sizeof needle));

    assert_int_equal(cb_registry_templates_erase(f->r, p, "test", "tester", &err), 0);
    assert_int_equal(template_count(f->r, p), 0);
    assert_false(file_contains(f->path, needle, sizeof needle));
    assert_false(file_contains(wal, needle, sizeof needle));
    struct stat st;
    if (stat(wal, &st) == 0)
        assert_int_equal(st.st_size, 0); /* truncated */
    free(e);
}

static void test_erased_bytes_leave_the_files(void **state)
{
    fixture *f = *state;
    erase_and_check(f, 128);  /* fits in its b-tree page */
    erase_and_check(f, 2048); /* 8 KiB: overflow pages */
}

/* ---- purposes and settings ------------------------------------------------ */

static void test_purposes_and_settings(void **state)
{
    fixture *f = *state;
    cb_error err = {0};
    char(*names)[32] = NULL;
    int n = 0, known = 0;
    assert_int_equal(cb_registry_purpose_list(f->r, &names, &n, &err), 0);
    assert_int_equal(n, 5);
    assert_string_equal(names[0], "social");
    assert_string_equal(names[1], "website");
    assert_string_equal(names[2], "newsletter");
    assert_string_equal(names[3], "print");
    assert_string_equal(names[4], "internal");
    free(names);
    assert_int_equal(cb_registry_purpose_add(f->r, "yearbook", "tester", &err), 0);
    assert_int_equal(cb_registry_purpose_exists(f->r, "yearbook", &known, &err), 0);
    assert_int_equal(known, 1);
    assert_int_equal(cb_registry_purpose_exists(f->r, "Yearbook", &known, &err), 0);
    assert_int_equal(known, 0);
    assert_int_equal(cb_registry_purpose_add(f->r, "yearbook", "tester", &err), CB_EEXIST);
    assert_int_equal(cb_registry_purpose_add(f->r, "Social", "tester", &err), CB_EINVAL);
    assert_int_equal(cb_registry_purpose_add(f->r, "1st", "tester", &err), CB_EINVAL);
    assert_int_equal(cb_registry_purpose_add(f->r, "", "tester", &err), CB_EINVAL);
    assert_int_equal(cb_registry_purpose_add(f->r, "a-very-long-purpose-name-over-31", "tester",
                                             &err),
                     CB_EINVAL);
    assert_int_equal(cb_registry_purpose_list(f->r, &names, &n, &err), 0);
    assert_int_equal(n, 6);
    assert_string_equal(names[5], "yearbook");
    free(names);

    int v = 0;
    assert_int_equal(cb_registry_setting_get_int(f->r, "guardian_consent_until_age", &v, &err), 0);
    assert_int_equal(v, 16);
    assert_int_equal(cb_registry_setting_get_int(f->r, "self_consent_from_age", &v, &err), 0);
    assert_int_equal(v, 16);
    assert_int_equal(cb_registry_setting_get_int(f->r, "nope", &v, &err), CB_EINVAL);
    assert_int_equal(cb_registry_setting_set_int(f->r, "self_consent_from_age", 18, "t", &err), 0);
    assert_int_equal(cb_registry_setting_get_int(f->r, "self_consent_from_age", &v, &err), 0);
    assert_int_equal(v, 18);
    assert_int_equal(cb_registry_setting_set_int(f->r, "self_consent_from_age", 31, "t", &err),
                     CB_EINVAL);
    assert_int_equal(cb_registry_setting_set_int(f->r, "self_consent_from_age", -1, "t", &err),
                     CB_EINVAL);
    assert_int_equal(cb_registry_setting_set_int(f->r, "nope", 1, "t", &err), CB_EINVAL);
    cb_setting *s = NULL;
    assert_int_equal(cb_registry_setting_list(f->r, &s, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(s[0].key, "guardian_consent_until_age");
    assert_int_equal(s[0].is_set, 0);
    assert_int_equal(s[0].value, 16);
    assert_string_equal(s[1].key, "self_consent_from_age");
    assert_int_equal(s[1].is_set, 1);
    assert_int_equal(s[1].value, 18);
    assert_int_equal(s[1].default_value, 16);
    free(s);
}

/* ---- opening, migrations, foreign files ----------------------------------- */

static int raw_int(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

static void raw_exec(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    char *msg = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", sql, msg);
    sqlite3_close(db);
}

static void test_migrate_empty_file(void **state)
{
    (void)state;
    char dir[256], path[512];
    cb_error err = {0};
    cb_registry *r = NULL;
    cb_test_make_temp_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/empty.db", dir);
    /* Missing without CREATE: not found. */
    assert_int_equal(cb_registry_open(path, 0, &r, &err), CB_ENOTFOUND);
    assert_null(r);
    assert_non_null(strstr(err.msg, path));
    /* An existing empty file is initialised (without CREATE). */
    int fd = open(path, O_CREAT | O_WRONLY, 0600);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(cb_registry_open(path, 0, &r, &err), 0);
    cb_registry_close(r);
    assert_int_equal(raw_int(path, "PRAGMA user_version"), CB_REGISTRY_SCHEMA_VERSION);
    assert_int_equal(raw_int(path, "SELECT max(version) FROM migrations"),
                     CB_REGISTRY_SCHEMA_VERSION);
    assert_int_equal(raw_int(path, "SELECT count(*) FROM purposes"), 5);
    assert_int_equal(raw_int(path, "SELECT count(*) FROM audit WHERE action = 'registry.migrate'"),
                     1);
    /* Opening again migrates nothing more. */
    assert_int_equal(cb_registry_open(path, 0, &r, &err), 0);
    cb_registry_close(r);
    assert_int_equal(raw_int(path, "SELECT count(*) FROM migrations"), CB_REGISTRY_SCHEMA_VERSION);
    assert_int_equal(raw_int(path, "SELECT count(*) FROM audit"), 1);
    /* Read-only works on it; read-only on a new empty file does not. */
    assert_int_equal(cb_registry_open(path, CB_REGISTRY_READONLY, &r, &err), 0);
    cb_person p = {0};
    strcpy(p.external_id, "X");
    strcpy(p.name, "X");
    p.role = CB_ROLE_STAFF;
    assert_int_equal(cb_registry_person_add(r, &p, "t", &err), CB_EINVAL);
    cb_registry_close(r);
    snprintf(path, sizeof path, "%s/empty2.db", dir);
    fd = open(path, O_CREAT | O_WRONLY, 0600);
    close(fd);
    assert_int_equal(cb_registry_open(path, CB_REGISTRY_READONLY, &r, &err), CB_EDB);
    assert_int_equal(cb_registry_open(path, CB_REGISTRY_CREATE | CB_REGISTRY_READONLY, &r, &err),
                     CB_EINVAL);
    cb_test_remove_tree(dir);
}

static void test_refuse_newer_version(void **state)
{
    fixture *f = *state;
    cb_error err = {0};
    cb_registry_close(f->r);
    f->r = NULL;
    raw_exec(f->path, "PRAGMA user_version = 99");
    assert_int_equal(cb_registry_open(f->path, 0, &f->r, &err), CB_EDB);
    assert_null(f->r);
    assert_non_null(strstr(err.msg, f->path));
    assert_non_null(strstr(err.msg, "newer"));
    assert_int_equal(cb_registry_open(f->path, CB_REGISTRY_READONLY, &f->r, &err), CB_EDB);
    assert_int_equal(raw_int(f->path, "PRAGMA user_version"), 99); /* untouched */
}

static void test_refuse_foreign_files(void **state)
{
    (void)state;
    char dir[256], path[512], wal[600];
    cb_error err = {0};
    cb_registry *r = NULL;
    cb_test_make_temp_dir(dir, sizeof dir);

    snprintf(path, sizeof path, "%s/notes.txt", dir);
    FILE *fp = fopen(path, "w");
    for (int i = 0; i < 100; i++)
        fprintf(fp, "this is a text file, not a database (%d)\n", i);
    fclose(fp);
    assert_int_equal(cb_registry_open(path, CB_REGISTRY_CREATE, &r, &err), CB_EDB);
    assert_null(r);
    assert_non_null(strstr(err.msg, path));
    assert_non_null(strstr(err.msg, "not a consentblur registry"));

    snprintf(path, sizeof path, "%s/other.db", dir);
    raw_exec(path, "CREATE TABLE photos(id INTEGER PRIMARY KEY, name TEXT);"
                   "INSERT INTO photos(name) VALUES ('a')");
    memset(&err, 0, sizeof err);
    assert_int_equal(cb_registry_open(path, CB_REGISTRY_CREATE, &r, &err), CB_EDB);
    assert_non_null(strstr(err.msg, path));
    assert_non_null(strstr(err.msg, "not a consentblur registry"));
    /* Left as it was: no WAL switch, no tables of ours. */
    snprintf(wal, sizeof wal, "%s-wal", path);
    assert_int_equal(access(wal, F_OK), -1);
    assert_int_equal(raw_int(path, "SELECT count(*) FROM sqlite_master"), 1);
    assert_int_equal(raw_int(path, "PRAGMA user_version"), 0);

    /* A folder is not a registry either. */
    assert_int_equal(cb_registry_open(dir, 0, &r, &err), CB_EDB);
    cb_test_remove_tree(dir);
}

static void test_file_modes(void **state)
{
    (void)state;
    char dir[256], path[600], side[700];
    cb_error err = {0};
    cb_registry *r = NULL;
    cb_test_make_temp_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/a/b/registry.db", dir);
    mode_t old = umask(022);
    assert_int_equal(cb_registry_open(path, CB_REGISTRY_CREATE, &r, &err), 0);
    umask(old);
    add_person(r, "S1", CB_ROLE_STAFF, NULL); /* a write: -wal and -shm exist now */
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    snprintf(side, sizeof side, "%s-wal", path);
    assert_int_equal(stat(side, &st), 0);
    assert_true(st.st_size > 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    snprintf(side, sizeof side, "%s-shm", path);
    assert_int_equal(stat(side, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    snprintf(side, sizeof side, "%s/a/b", dir);
    assert_int_equal(stat(side, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    assert_int_equal(raw_int(path, "PRAGMA journal_mode") >= 0, 1);
    cb_registry_close(r);
    cb_test_remove_tree(dir);
}

/* ---- audit ---------------------------------------------------------------- */

static void test_audit_chain(void **state)
{
    fixture *f = *state;
    cb_error err = {0};
    int64_t p = add_person(f->r, "S1", CB_ROLE_PUPIL, "2012-05-01");
    record(f->r, p, "social", CB_CONSENT_GRANTED, CB_GIVEN_BY_GUARDIAN);
    record(f->r, p, "website", CB_CONSENT_REFUSED, CB_GIVEN_BY_GUARDIAN);
    OK(cb_registry_purpose_add(f->r, "yearbook", "tester", &err_));
    OK(cb_registry_setting_set_int(f->r, "guardian_consent_until_age", 18, "tester", &err_));
    OK(cb_registry_consent_withdraw(f->r, p, NULL, "tester", NULL, &err_));

    int64_t rows = 0, bad = -1;
    assert_int_equal(cb_registry_audit_verify(f->r, &rows, &bad, &err), 0);
    assert_int_equal(rows, 7); /* migrate, add, grant, refuse, purpose, setting, withdraw */
    assert_int_equal(bad, 0);

    cb_audit_row *list = NULL;
    int n = 0;
    assert_int_equal(cb_registry_audit_list(f->r, 0, 0, &list, &n, &err), 0);
    assert_int_equal(n, 7);
    static const char *const actions[] = {"registry.migrate", "person.add",  "consent.grant",
                                          "consent.refuse",   "purpose.add", "setting.set",
                                          "consent.withdraw"};
    for (int i = 0; i < n; i++) {
        char h[65];
        assert_int_equal(list[i].id, i + 1);
        assert_string_equal(list[i].action, actions[i]);
        cb_registry_audit_hash(&list[i], h);
        assert_string_equal(h, list[i].hash);
        if (i == 0)
            assert_string_equal(list[i].prev_hash,
                                "0000000000000000000000000000000000000000000000000000000000000000");
        else
            assert_string_equal(list[i].prev_hash, list[i - 1].hash);
    }
    assert_string_equal(list[1].subject, "S1");
    assert_string_equal(list[1].actor, "tester");
    assert_null(strstr(list[1].details, "Person S1")); /* no names in the log */
    free(list);
    assert_int_equal(cb_registry_audit_list(f->r, 5, 1, &list, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(list[0].id, 6);
    free(list);

    /* The triggers stop edits through an ordinary connection. */
    sqlite3 *raw = NULL;
    assert_int_equal(sqlite3_open(f->path, &raw), SQLITE_OK);
    sqlite3_busy_timeout(raw, 5000);
    assert_int_not_equal(sqlite3_exec(raw, "UPDATE audit SET actor = 'mallory' WHERE id = 3",
                                      NULL, NULL, NULL),
                         SQLITE_OK);
    assert_non_null(strstr(sqlite3_errmsg(raw), "cannot be changed"));
    assert_int_not_equal(sqlite3_exec(raw, "DELETE FROM audit WHERE id = 2", NULL, NULL, NULL),
                         SQLITE_OK);
    assert_int_equal(cb_registry_audit_verify(f->r, &rows, &bad, &err), 0);
    assert_int_equal(bad, 0);
    /* Someone who drops the triggers and edits row 3 is caught at row 3. */
    assert_int_equal(sqlite3_exec(raw,
                                  "DROP TRIGGER audit_no_update;"
                                  "UPDATE audit SET actor = 'mallory' WHERE id = 3",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    assert_int_equal(cb_registry_audit_verify(f->r, &rows, &bad, &err), 0);
    assert_int_equal(bad, 3);
    assert_int_equal(rows, 3);
    /* Deleting row 5 (after restoring row 3) is caught at row 6. */
    assert_int_equal(sqlite3_exec(raw,
                                  "UPDATE audit SET actor = 'tester' WHERE id = 3;"
                                  "DROP TRIGGER audit_no_delete;"
                                  "DELETE FROM audit WHERE id = 5",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    assert_int_equal(cb_registry_audit_verify(f->r, &rows, &bad, &err), 0);
    assert_int_equal(bad, 6);
    sqlite3_close(raw);
}

/* ---- transaction groups --------------------------------------------------- */

static void test_groups(void **state)
{
    fixture *f = *state;
    cb_error err = {0};
    cb_person got;
    assert_int_equal(cb_registry_begin(f->r, &err), 0);
    int64_t p = add_person(f->r, "G1", CB_ROLE_STAFF, NULL);
    record(f->r, p, "social", CB_CONSENT_GRANTED, CB_GIVEN_BY_SELF);
    cb_registry_rollback(f->r);
    assert_int_equal(cb_registry_person_find(f->r, "G1", &got, &err), CB_ENOTFOUND);

    assert_int_equal(cb_registry_begin(f->r, &err), 0);
    p = add_person(f->r, "G2", CB_ROLE_STAFF, NULL);
    record(f->r, p, "social", CB_CONSENT_GRANTED, CB_GIVEN_BY_SELF);
    cb_consent bad = {0};
    bad.person_id = p;
    bad.status = CB_CONSENT_GRANTED;
    strcpy(bad.purpose, "nope");
    assert_int_equal(cb_registry_consent_record(f->r, &bad, "t", &err), CB_EINVAL);
    record(f->r, p, "print", CB_CONSENT_GRANTED, CB_GIVEN_BY_SELF);
    assert_int_equal(cb_registry_commit(f->r, &err), 0);
    assert_int_equal(cb_registry_person_find(f->r, "G2", &got, &err), 0);
    cb_consent *list = NULL;
    int n = 0;
    assert_int_equal(cb_registry_consent_list(f->r, p, &list, &n, &err), 0);
    assert_int_equal(n, 2);
    free(list);
    int64_t rows, first_bad;
    assert_int_equal(cb_registry_audit_verify(f->r, &rows, &first_bad, &err), 0);
    assert_int_equal(first_bad, 0);
    assert_int_equal(cb_registry_commit(f->r, &err), CB_EINTERNAL); /* nothing open */
}

/* ---- export --------------------------------------------------------------- */

static void test_export(void **state)
{
    fixture *f = *state;
    cb_error err = {0};
    float e[3] = {0.5f, -1.25f, 2.0f};
    int64_t p = add_person(f->r, "S\"1", CB_ROLE_PUPIL, "2012-05-01");
    add_person(f->r, "S2", CB_ROLE_STAFF, NULL);
    cb_consent c = {0};
    c.person_id = p;
    c.status = CB_CONSENT_GRANTED;
    c.given_by = CB_GIVEN_BY_GUARDIAN;
    strcpy(c.purpose, "social");
    strcpy(c.given_by_name, "Jane Doe");
    OK(cb_registry_consent_record(f->r, &c, "tester", &err_));
    add_template(f->r, p, "m1", e, 3);

    char path[600];
    snprintf(path, sizeof path, "%s/export.json", f->dir);
    for (int with = 0; with < 2; with++) {
        FILE *out = fopen(path, "w");
        assert_non_null(out);
        assert_int_equal(cb_registry_export_person(f->r, p, with ? CB_EXPORT_EMBEDDINGS : 0, out,
                                                   &err),
                         0);
        fclose(out);
        size_t len;
        char *json = (char *)read_all(path, &len);
        json = realloc(json, len + 1);
        json[len] = '\0';
        assert_non_null(strstr(json, "\"format\": \"consentblur-person-export/1\""));
        assert_non_null(strstr(json, "\"external_id\": \"S\\\"1\""));
        assert_non_null(strstr(json, "\"name\": \"Person S\\\"1\""));
        assert_non_null(strstr(json, "\"birth_date\": \"2012-05-01\""));
        assert_non_null(strstr(json, "\"purpose\": \"social\""));
        assert_non_null(strstr(json, "\"given_by_name\": \"Jane Doe\""));
        assert_non_null(strstr(json, "\"model_id\": \"m1\""));
        assert_non_null(strstr(json, "\"action\": \"template.add\""));
        assert_non_null(strstr(json, "\"action\": \"person.add\""));
        assert_null(strstr(json, "S2")); /* nobody else */
        if (with)
            assert_non_null(strstr(json, "\"embedding\": [0.5, -1.25, 2]"));
        else
            assert_null(strstr(json, "\"embedding\""));
        free(json);
    }
    FILE *out = fopen(path, "w");
    assert_int_equal(cb_registry_export_person(f->r, 9999, 0, out, &err), CB_ENOTFOUND);
    fclose(out);
}

static void test_default_path_and_actor(void **state)
{
    (void)state;
    char buf[512];
    cb_error err = {0};
    setenv("CONSENTBLUR_REGISTRY", "/x/y.db", 1);
    assert_int_equal(cb_registry_default_path(buf, sizeof buf, &err), 0);
    assert_string_equal(buf, "/x/y.db");
    unsetenv("CONSENTBLUR_REGISTRY");
    setenv("XDG_DATA_HOME", "/data", 1);
    assert_int_equal(cb_registry_default_path(buf, sizeof buf, &err), 0);
    assert_string_equal(buf, "/data/consentblur/registry.db");
    unsetenv("XDG_DATA_HOME");
    setenv("HOME", "/home/u", 1);
    assert_int_equal(cb_registry_default_path(buf, sizeof buf, &err), 0);
    assert_string_equal(buf, "/home/u/.local/share/consentblur/registry.db");
    assert_int_equal(cb_registry_default_path(buf, 10, &err), CB_EINVAL);
    setenv("CONSENTBLUR_ACTOR", "officer", 1);
    cb_registry_default_actor(buf, sizeof buf);
    assert_string_equal(buf, "officer");
    unsetenv("CONSENTBLUR_ACTOR");
    cb_registry_default_actor(buf, sizeof buf);
    assert_true(strlen(buf) > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cb_test_with_registry(test_people),
        cb_test_with_registry(test_newest_record_counts),
        cb_test_with_registry(test_withdraw_erases_templates),
        cb_test_with_registry(test_refusal_erases_templates),
        cb_test_with_registry(test_templates_load),
        cb_test_with_registry(test_erased_bytes_leave_the_files),
        cb_test_with_registry(test_purposes_and_settings),
        cmocka_unit_test(test_migrate_empty_file),
        cb_test_with_registry(test_refuse_newer_version),
        cmocka_unit_test(test_refuse_foreign_files),
        cmocka_unit_test(test_file_modes),
        cb_test_with_registry(test_audit_chain),
        cb_test_with_registry(test_groups),
        cb_test_with_registry(test_export),
        cmocka_unit_test(test_default_path_and_actor),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_import.c - CSV import into a real registry: a good file (defaults for
 * given_by by age, quoting), all-or-nothing with several bad lines each
 * reported with its line number, BOM + CRLF + quotes, updates of known
 * people, header problems, dry runs and re-imports that change nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "consent/import_csv.h"
#include "consent/registry.h"
#include "test_support.h"

typedef cb_test_registry fixture;

static void write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static int import(fixture *f, const char *text, int dry_run, cb_import_report *rep,
                  cb_error *err)
{
    cb_import_opts opts = {.dry_run = dry_run, .today = "2024-06-01"};
    char csv[600];
    snprintf(csv, sizeof csv, "%s/pupils.csv", f->dir);
    write_file(csv, text);
    return cb_import_csv(f->r, csv, &opts, "importer", rep, err);
}

static cb_person find(fixture *f, const char *ext)
{
    cb_person p;
    cb_error err = {0};
    if (cb_registry_person_find(f->r, ext, &p, &err) < 0)
        fail_msg("%s: %s", ext, err.msg);
    return p;
}

static cb_consent current(fixture *f, const char *ext, const char *purpose)
{
    cb_consent c;
    cb_error err = {0};
    int found = 0;
    cb_person p = find(f, ext);
    assert_int_equal(cb_registry_consent_current(f->r, p.id, purpose, &c, &found, &err), 0);
    if (!found)
        fail_msg("%s has no %s record", ext, purpose);
    return c;
}

static int count_people(fixture *f)
{
    cb_person *list = NULL;
    int n = -1;
    cb_error err = {0};
    assert_int_equal(cb_registry_person_list(f->r, &list, &n, &err), 0);
    free(list);
    return n;
}

static int count_audit(fixture *f, const char *action)
{
    cb_audit_row *rows = NULL;
    int n = 0, k = 0;
    cb_error err = {0};
    assert_int_equal(cb_registry_audit_list(f->r, 0, 0, &rows, &n, &err), 0);
    for (int i = 0; i < n; i++)
        k += !action || !strcmp(rows[i].action, action);
    free(rows);
    return k;
}

static const char good_csv[] =
    "name,external_id,role,birth_date,group,social,website,print,given_by_name,valid_until\n"
    "\"Doe, Jane\",P1,pupil,2014-01-01,5A,yes,no,,M. Doe,2025-07-31\n"
    "Sam Older,P2,Pupil,2007-01-01,\"6 \"\"B\"\"\",yes,yes,,,\n"
    "Teacher Tom,T1,staff,,,no,,yes,,\n";

static void test_good_file(void **state)
{
    fixture *f = *state;
    cb_import_report rep;
    cb_error err = {0};
    if (import(f, good_csv, 0, &rep, &err) < 0)
        fail_msg("%s / %s", err.msg, rep.n_kept ? rep.errors[0] : "");
    assert_int_equal(rep.rows, 3);
    assert_int_equal(rep.people_added, 3);
    assert_int_equal(rep.consents_recorded, 6);
    assert_int_equal(rep.n_errors, 0);
    cb_import_report_free(&rep);

    cb_person p1 = find(f, "P1");
    assert_string_equal(p1.name, "Doe, Jane");
    assert_int_equal(p1.role, CB_ROLE_PUPIL);
    assert_string_equal(p1.birth_date, "2014-01-01");
    assert_string_equal(p1.group_name, "5A");
    assert_string_equal(find(f, "P2").group_name, "6 \"B\"");
    assert_int_equal(find(f, "T1").role, CB_ROLE_STAFF);

    /* given_by by age on the import date: P1 is 10 -> guardian, P2 is 17 -> self. */
    cb_consent c = current(f, "P1", "social");
    assert_int_equal(c.status, CB_CONSENT_GRANTED);
    assert_int_equal(c.given_by, CB_GIVEN_BY_GUARDIAN);
    assert_string_equal(c.given_by_name, "M. Doe");
    assert_string_equal(c.valid_until, "2025-07-31");
    assert_string_equal(c.recorded_by, "importer");
    assert_int_equal(current(f, "P1", "website").status, CB_CONSENT_REFUSED);
    assert_int_equal(current(f, "P2", "social").given_by, CB_GIVEN_BY_SELF);
    assert_int_equal(current(f, "T1", "social").status, CB_CONSENT_REFUSED);
    assert_int_equal(current(f, "T1", "print").given_by, CB_GIVEN_BY_SELF);
    cb_consent none;
    int found = 1;
    assert_int_equal(cb_registry_consent_current(f->r, p1.id, "print", &none, &found, &err), 0);
    assert_int_equal(found, 0); /* empty cell: no record */
    assert_int_equal(count_audit(f, "import"), 1);
    assert_int_equal(count_audit(f, "person.add"), 3);

    /* The same file again changes nothing. */
    assert_int_equal(import(f, good_csv, 0, &rep, &err), 0);
    assert_int_equal(rep.people_added, 0);
    assert_int_equal(rep.people_unchanged, 3);
    assert_int_equal(rep.consents_recorded, 0);
    assert_int_equal(rep.consents_unchanged, 6);
    cb_import_report_free(&rep);
    assert_int_equal(count_audit(f, "consent.grant") + count_audit(f, "consent.refuse"), 6);
    int64_t rows, bad;
    assert_int_equal(cb_registry_audit_verify(f->r, &rows, &bad, &err), 0);
    assert_int_equal(bad, 0);
}

static void test_all_or_nothing(void **state)
{
    fixture *f = *state;
    cb_import_report rep;
    cb_error err = {0};
    const char *csv = "external_id,name,role,birth_date,social,evidence_ref\n" /* 1 */
                      "A1,Ann,pupil,2014-03-03,yes,form 1\n"                   /* 2 good */
                      "A2,Bob,teacher,,yes,\n"                                 /* 3 role */
                      "A3,Cy,pupil,2014-03-03,yes,\"two\n"                     /* 4 (5) newline */
                      "lines\"\n"
                      "A4,Di,pupil,2023-02-30,no,\n"                           /* 6 date */
                      "A5,Ed,staff,,yes\n"                                     /* 7 fields */
                      "A1,Fay,staff,,no,\n"                                    /* 8 duplicate */
                      "A6,Gus,staff,,maybe,\n"                                 /* 9 value */
                      "\n"                                                     /* 10 blank */
                      "A7,Hal,pupil,,yes,\n"                                   /* 11 no birth */
                      "A8,Ida,staff,,yes,\"x\"y\n";                            /* 12 quote */
    assert_int_equal(import(f, csv, 0, &rep, &err), CB_EINVAL);
    assert_non_null(strstr(err.msg, "8 problems"));
    assert_non_null(strstr(err.msg, "nothing imported"));
    assert_int_equal(rep.n_errors, 8);
    assert_int_equal(rep.n_kept, 8);
    static const char *const expect[] = {"line 3: ", "line 4: ", "line 6: ", "line 7: ",
                                         "line 8: ", "line 9: ", "line 11: ", "line 12: "};
    for (int i = 0; i < 8; i++)
        if (strncmp(rep.errors[i], expect[i], strlen(expect[i])) != 0)
            fail_msg("error %d is '%s', expected it to start with '%s'", i, rep.errors[i],
                     expect[i]);
    assert_non_null(strstr(rep.errors[0], "teacher"));
    assert_non_null(strstr(rep.errors[2], "2023-02-30"));
    assert_non_null(strstr(rep.errors[3], "5 fields"));
    assert_non_null(strstr(rep.errors[4], "also on line 2"));
    assert_non_null(strstr(rep.errors[5], "maybe"));
    assert_non_null(strstr(rep.errors[6], "birth date"));
    assert_non_null(strstr(rep.errors[7], "quote"));
    cb_import_report_free(&rep);
    /* Nothing written: the good line A1 is not there either. */
    assert_int_equal(count_people(f), 0);
    assert_int_equal(count_audit(f, NULL), 1); /* only registry.migrate */
}

static void test_bom_crlf_quotes(void **state)
{
    fixture *f = *state;
    cb_import_report rep;
    cb_error err = {0};
    const char *csv = "\xEF\xBB\xBF External_ID , Name,ROLE,Social\r\n"
                      "\"S 1\",\"O\"\"Brien, Pat\",staff,Yes\r\n"
                      "S2,Zoë Ünal,other,\r\n"
                      "\r\n";
    if (import(f, csv, 0, &rep, &err) < 0)
        fail_msg("%s / %s", err.msg, rep.n_kept ? rep.errors[0] : "");
    assert_int_equal(rep.rows, 2);
    assert_int_equal(rep.people_added, 2);
    assert_int_equal(rep.consents_recorded, 1);
    cb_import_report_free(&rep);
    assert_string_equal(find(f, "S 1").name, "O\"Brien, Pat");
    assert_string_equal(find(f, "S2").name, "Zoë Ünal");
    assert_int_equal(find(f, "S2").role, CB_ROLE_OTHER);
    assert_int_equal(current(f, "S 1", "social").status, CB_CONSENT_GRANTED);

    /* Latin-1 bytes are not UTF-8. */
    assert_int_equal(import(f, "external_id,name,role\nS3,Zo\xEB,staff\n", 0, &rep, &err),
                     CB_EINVAL);
    assert_int_equal(rep.n_errors, 1);
    assert_non_null(strstr(rep.errors[0], "line 2: not valid UTF-8"));
    cb_import_report_free(&rep);
}

static void test_update_existing(void **state)
{
    fixture *f = *state;
    cb_import_report rep;
    cb_error err = {0};
    cb_person p = {0};
    strcpy(p.external_id, "P1");
    strcpy(p.name, "Old Name");
    p.role = CB_ROLE_PUPIL;
    strcpy(p.birth_date, "2013-02-02");
    strcpy(p.group_name, "6A");
    assert_int_equal(cb_registry_person_add(f->r, &p, "t", &err), 0);
    cb_consent c = {0};
    c.person_id = p.id;
    c.status = CB_CONSENT_GRANTED;
    c.given_by = CB_GIVEN_BY_GUARDIAN;
    strcpy(c.purpose, "social");
    assert_int_equal(cb_registry_consent_record(f->r, &c, "t", &err), 0);

    /* No birth_date column: the birth date stays. social: no, given_by
     * explicit. */
    const char *csv = "external_id,name,role,group,social,newsletter,given_by\n"
                      "P1,New Name,pupil,7A,no,yes,self\n";
    assert_int_equal(import(f, csv, 0, &rep, &err), 0);
    assert_int_equal(rep.people_updated, 1);
    assert_int_equal(rep.people_added, 0);
    assert_int_equal(rep.consents_recorded, 2);
    cb_import_report_free(&rep);
    cb_person q = find(f, "P1");
    assert_int_equal(q.id, p.id);
    assert_string_equal(q.name, "New Name");
    assert_string_equal(q.group_name, "7A");
    assert_string_equal(q.birth_date, "2013-02-02");
    cb_consent s = current(f, "P1", "social");
    assert_int_equal(s.status, CB_CONSENT_REFUSED);
    assert_int_equal(s.given_by, CB_GIVEN_BY_SELF);
    assert_true(s.id > c.id);
    assert_int_equal(current(f, "P1", "newsletter").status, CB_CONSENT_GRANTED);
    cb_consent *list = NULL;
    int n = 0;
    assert_int_equal(cb_registry_consent_list(f->r, p.id, &list, &n, &err), 0);
    assert_int_equal(n, 3); /* history kept */
    free(list);
    assert_int_equal(count_audit(f, "person.update"), 1);
}

static void test_header_problems(void **state)
{
    fixture *f = *state;
    cb_import_report rep;
    cb_error err = {0};
    assert_int_equal(import(f, "external_id,name,role,socail\nA,B,staff,yes\n", 0, &rep, &err),
                     CB_EINVAL);
    assert_int_equal(rep.n_errors, 1);
    assert_non_null(strstr(rep.errors[0], "line 1: unknown column 'socail'"));
    cb_import_report_free(&rep);

    assert_int_equal(import(f, "external_id,name,name\n", 0, &rep, &err), CB_EINVAL);
    assert_int_equal(rep.n_errors, 2); /* twice, and role missing */
    assert_non_null(strstr(rep.errors[0], "appears twice"));
    assert_non_null(strstr(rep.errors[1], "'role' is missing"));
    cb_import_report_free(&rep);

    assert_int_equal(import(f, "external_id;name;role\nA;B;staff\n", 0, &rep, &err), CB_EINVAL);
    assert_non_null(strstr(rep.errors[0], "semicolons"));
    cb_import_report_free(&rep);

    assert_int_equal(import(f, "", 0, &rep, &err), CB_EINVAL);
    assert_non_null(strstr(rep.errors[0], "line 1: no header"));
    cb_import_report_free(&rep);

    /* A purpose added later is a valid column. */
    assert_int_equal(cb_registry_purpose_add(f->r, "yearbook", "t", &err), 0);
    assert_int_equal(import(f, "external_id,name,role,yearbook\nA,B,staff,yes\n", 0, &rep, &err),
                     0);
    assert_int_equal(rep.consents_recorded, 1);
    cb_import_report_free(&rep);

    /* A missing file. */
    char missing[600];
    snprintf(missing, sizeof missing, "%s/none.csv", f->dir);
    assert_true(cb_import_csv(f->r, missing, NULL, NULL, &rep, &err) < 0);
    assert_non_null(strstr(err.msg, "none.csv"));
    cb_import_report_free(&rep);
}

static void test_dry_run(void **state)
{
    fixture *f = *state;
    cb_import_report rep;
    cb_error err = {0};
    assert_int_equal(import(f, good_csv, 1, &rep, &err), 0);
    assert_int_equal(rep.people_added, 3);
    assert_int_equal(rep.consents_recorded, 6);
    cb_import_report_free(&rep);
    assert_int_equal(count_people(f), 0);
    assert_int_equal(count_audit(f, NULL), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cb_test_with_registry(test_good_file),
        cb_test_with_registry(test_all_or_nothing),
        cb_test_with_registry(test_bom_crlf_quotes),
        cb_test_with_registry(test_update_existing),
        cb_test_with_registry(test_header_problems),
        cb_test_with_registry(test_dry_run),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

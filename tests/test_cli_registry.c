/*
 * test_cli_registry.c - the registry commands run as a user would: person,
 * consent, import, export, audit, purpose, setting. Checks exit codes
 * (0 ok, 1 failed, 2 usage), the one-line error messages, and the output.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "common/sha256.h"
#include "test_support.h"

#define BUF 65536
static char out_buf[BUF], err_buf[BUF];

typedef struct fixture {
    char dir[256];
    char reg[512];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    cb_test_make_temp_dir(f->dir, sizeof f->dir);
    snprintf(f->reg, sizeof f->reg, "%s/reg/registry.db", f->dir);
    setenv("CONSENTBLUR_ACTOR", "test-actor", 1);
    unsetenv("CONSENTBLUR_REGISTRY");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    cb_test_remove_tree(f->dir);
    free(f);
    return 0;
}

/* Run `consentblur --registry REG ARGS...` (NULL-terminated); stdout/stderr
 * into the buffers. */
#define run(f, ...) cb_test_run_cli((f)->reg, out_buf, BUF, err_buf, BUF, __VA_ARGS__)

/* Run without the global --registry (the command gets its own). */
#define run_plain(...) cb_test_run_cli(NULL, out_buf, BUF, err_buf, BUF, __VA_ARGS__)

/* stderr is exactly one line starting "consentblur: " containing `what`. */
static void assert_one_error_line(const char *what)
{
    if (strncmp(err_buf, "consentblur: ", 13) != 0 || !strstr(err_buf, what))
        fail_msg("stderr '%s' lacks '%s'", err_buf, what);
    char *nl = strchr(err_buf, '\n');
    assert_non_null(nl);
    assert_string_equal(nl + 1, "");
}

#define EXPECT(rc, call) CB_EXPECT_EXIT(rc, call, out_buf, err_buf)

static void add_ada(const fixture *f)
{
    EXPECT(0, run(f, "person", "add", "S1", "--name", "Ada Lovelace", "--role", "pupil",
                  "--birth-date", "2012-05-01", "--group", "7B", NULL));
}

static void test_person(void **state)
{
    fixture *f = *state;
    /* No registry yet: reading fails clearly, the first change creates it. */
    EXPECT(1, run(f, "person", "list", NULL));
    assert_one_error_line("no registry there");
    add_ada(f);
    assert_non_null(strstr(out_buf, "added S1"));
    struct stat st;
    assert_int_equal(stat(f->reg, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    EXPECT(0, run(f, "person", "add", "T1", "--name", "Tom", "--role", "staff", NULL));
    EXPECT(1, run(f, "person", "add", "S1", "--name", "Again", "--role", "staff", NULL));
    assert_one_error_line("exists");

    EXPECT(0, run(f, "person", "list", NULL));
    assert_non_null(strstr(out_buf, "Ada Lovelace"));
    assert_true(strstr(out_buf, "S1") < strstr(out_buf, "T1"));
    EXPECT(0, run(f, "person", "list", "--json", NULL));
    assert_non_null(strstr(out_buf, "\"external_id\": \"S1\""));
    assert_non_null(strstr(out_buf, "\"role\": \"staff\""));
    EXPECT(0, run(f, "person", "show", "S1", "--json", NULL));
    assert_non_null(strstr(out_buf, "\"birth_date\": \"2012-05-01\""));
    assert_non_null(strstr(out_buf, "\"group\": \"7B\""));
    assert_non_null(strstr(out_buf, "\"templates\": 0"));
    assert_non_null(strstr(out_buf, "\"social\": null"));
    EXPECT(0, run(f, "person", "show", "S1", NULL));
    assert_non_null(strstr(out_buf, "name         Ada Lovelace"));
    EXPECT(1, run(f, "person", "show", "nobody", NULL));
    assert_one_error_line("nobody");

    /* --registry after the command name (and before the subcommand). */
    EXPECT(0, run_plain("person", "--registry", f->reg, "list", NULL));
    assert_non_null(strstr(out_buf, "Tom"));
    EXPECT(0, run_plain("person", "show", "T1", "--registry", f->reg, NULL));

    /* Removal needs --yes when not on a terminal. */
    EXPECT(2, run(f, "person", "remove", "S1", NULL));
    assert_non_null(strstr(err_buf, "--yes"));
    EXPECT(0, run(f, "person", "remove", "S1", "--yes", NULL));
    EXPECT(1, run(f, "person", "show", "S1", NULL));

    /* Usage errors. */
    EXPECT(2, run(f, "person", "add", "S2", "--role", "pupil", NULL));
    EXPECT(2, run(f, "person", "add", "S2", "--name", "X", "--role", "teacher", NULL));
    EXPECT(2, run(f, "person", "add", "S2", "--name", "X", "--role", "pupil", NULL));
    EXPECT(2, run(f, "person", "add", "S2", "--name", "X", "--role", "pupil", "--birth-date",
                  "2012-02-30", NULL));
    EXPECT(2, run(f, "person", "add", "S2", "--name", "X", "--role", "staff", "--bogus", NULL));
    EXPECT(2, run(f, "person", "add", "--name", "X", "--role", "staff", NULL));
    EXPECT(2, run(f, "person", NULL));
    EXPECT(2, run(f, "person", "frobnicate", NULL));
    EXPECT(2, run(f, "person", "list", "extra", NULL));
    assert_non_null(strstr(err_buf, "consentblur person list: "));
    EXPECT(1, run(f, "person", "show", "S2", NULL)); /* nothing was added */
}

static void test_consent(void **state)
{
    fixture *f = *state;
    char form[600], hex[65];
    snprintf(form, sizeof form, "%s/form.pdf", f->dir);
    FILE *fp = fopen(form, "w");
    fputs("signed consent form", fp);
    fclose(fp);
    assert_int_equal(cb_sha256_file_hex(form, hex, NULL), 0);
    add_ada(f);

    EXPECT(0, run(f, "consent", "grant", "S1", "social", "website", "--given-by", "guardian",
                  "--signed-by", "Jane Lovelace", "--evidence", form, "--until", "2030-07-31",
                  NULL));
    assert_non_null(strstr(out_buf, "S1: social website granted"));
    EXPECT(0, run(f, "consent", "list", "S1", "--json", NULL));
    assert_non_null(strstr(out_buf, "\"purpose\": \"social\""));
    assert_non_null(strstr(out_buf, "\"purpose\": \"website\""));
    assert_non_null(strstr(out_buf, "\"given_by\": \"guardian\""));
    assert_non_null(strstr(out_buf, "\"given_by_name\": \"Jane Lovelace\""));
    assert_non_null(strstr(out_buf, hex));
    assert_non_null(strstr(out_buf, "form.pdf"));
    assert_non_null(strstr(out_buf, "\"valid_until\": \"2030-07-31\""));
    assert_non_null(strstr(out_buf, "\"recorded_by\": \"test-actor\""));

    /* The newest record counts. */
    EXPECT(0, run(f, "consent", "refuse", "S1", "social", "--given-by", "guardian", "--actor",
                  "officer", NULL));
    EXPECT(0, run(f, "consent", "list", "S1", NULL));
    assert_non_null(strstr(out_buf, "refused"));
    EXPECT(0, run(f, "consent", "list", "--json", NULL));
    char *refused = strstr(out_buf, "\"status\": \"refused\"");
    assert_non_null(refused);
    assert_non_null(strstr(refused, "\"recorded_by\": \"officer\""));
    assert_non_null(strstr(refused, "\"counts\": true"));
    assert_non_null(strstr(out_buf, "\"counts\": false")); /* the older grant */

    /* Several purposes are all or nothing. */
    EXPECT(1, run(f, "consent", "grant", "S1", "print", "nope", "--given-by", "self", NULL));
    assert_one_error_line("nope");
    EXPECT(0, run(f, "consent", "list", "S1", "--json", NULL));
    assert_null(strstr(out_buf, "\"purpose\": \"print\""));

    EXPECT(0, run(f, "consent", "withdraw", "S1", NULL));
    assert_non_null(strstr(out_buf, "1 consent record(s) withdrawn"));
    EXPECT(0, run(f, "consent", "withdraw", "S1", "social", NULL));
    assert_non_null(strstr(out_buf, "0 consent record(s) withdrawn"));
    EXPECT(0, run(f, "person", "show", "S1", "--json", NULL));
    assert_non_null(strstr(out_buf, "\"status\": \"withdrawn\""));
    assert_non_null(strstr(out_buf, "\"withdrawn_by\": \"test-actor\""));

    /* Usage errors and failures. */
    EXPECT(2, run(f, "consent", "grant", "S1", "social", NULL));
    EXPECT(2, run(f, "consent", "grant", "S1", "--given-by", "self", NULL));
    EXPECT(2, run(f, "consent", "grant", "S1", "social", "--given-by", "mum", NULL));
    EXPECT(2, run(f, "consent", "grant", "S1", "social", "--given-by", "self", "--from",
                  "2024-13-01", NULL));
    EXPECT(2, run(f, "consent", "grant", "S1", "social", "--given-by", "self", "--evidence", form,
                  "--evidence-ref", "x", NULL));
    EXPECT(2, run(f, "consent", "withdraw", NULL));
    EXPECT(1, run(f, "consent", "grant", "nobody", "social", "--given-by", "self", NULL));
    assert_one_error_line("nobody");
    EXPECT(1, run(f, "consent", "withdraw", "S1", "nope", NULL));
}

static void write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static void test_import(void **state)
{
    fixture *f = *state;
    char csv[600];
    snprintf(csv, sizeof csv, "%s/pupils.csv", f->dir);
    write_file(csv, "external_id,name,role,birth_date,social\n"
                    "P1,Pia,pupil,2014-01-01,yes\n"
                    "P2,Pol,pupil,2013-01-01,no\n");
    EXPECT(0, run(f, "import", csv, "--dry-run", NULL));
    assert_non_null(strstr(out_buf, "dry run"));
    EXPECT(0, run(f, "import", csv, NULL));
    assert_non_null(strstr(out_buf, "2 people added"));
    assert_non_null(strstr(out_buf, "2 consent record(s) written"));
    EXPECT(0, run(f, "person", "show", "P1", "--json", NULL));
    assert_non_null(strstr(out_buf, "\"given_by\": \"guardian\""));

    write_file(csv, "external_id,name,role,birth_date,social\n"
                    "P3,Ok,staff,,yes\n"
                    "P4,Bad,pupil,2013-02-30,yes\n"
                    "P5,Fine,staff,,\n"
                    "P6,Worse,pupil,2013-01-01,perhaps\n");
    EXPECT(1, run(f, "import", csv, NULL));
    assert_non_null(strstr(err_buf, "line 3: "));
    assert_non_null(strstr(err_buf, "2013-02-30"));
    assert_non_null(strstr(err_buf, "line 5: "));
    assert_non_null(strstr(err_buf, "perhaps"));
    assert_non_null(strstr(err_buf, "2 problems; nothing imported"));
    assert_null(strstr(err_buf, "line 2: "));
    assert_null(strstr(err_buf, "line 4: "));
    EXPECT(1, run(f, "person", "show", "P3", NULL)); /* the good lines did not land */

    EXPECT(2, run(f, "import", NULL));
    EXPECT(1, run(f, "import", "/nonexistent/file.csv", NULL));
    assert_one_error_line("file.csv");
}

static void test_export(void **state)
{
    fixture *f = *state;
    add_ada(f);
    EXPECT(0, run(f, "consent", "grant", "S1", "social", "--given-by", "guardian", NULL));
    EXPECT(0, run(f, "export", "S1", NULL));
    assert_non_null(strstr(out_buf, "\"format\": \"consentblur-person-export/1\""));
    assert_non_null(strstr(out_buf, "\"external_id\": \"S1\""));
    assert_non_null(strstr(out_buf, "\"name\": \"Ada Lovelace\""));
    assert_non_null(strstr(out_buf, "\"consents\": ["));
    assert_non_null(strstr(out_buf, "\"status\": \"granted\""));
    assert_non_null(strstr(out_buf, "\"templates\": []"));
    assert_non_null(strstr(out_buf, "\"action\": \"person.add\""));
    assert_non_null(strstr(out_buf, "\"action\": \"consent.grant\""));

    char path[600];
    snprintf(path, sizeof path, "%s/ada.json", f->dir);
    EXPECT(0, run(f, "export", "S1", "-o", path, NULL));
    assert_string_equal(out_buf, "");
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_true(st.st_size > 200);
    EXPECT(1, run(f, "export", "nobody", NULL));
    assert_one_error_line("nobody");
    EXPECT(2, run(f, "export", NULL));
}

static void test_audit(void **state)
{
    fixture *f = *state;
    add_ada(f);
    EXPECT(0, run(f, "person", "add", "T1", "--name", "Tom", "--role", "staff", "--actor",
                  "officer", NULL));
    EXPECT(0, run(f, "audit", "verify", NULL));
    assert_non_null(strstr(out_buf, "intact: 3 row(s)"));
    EXPECT(0, run(f, "audit", "list", "--json", NULL));
    assert_non_null(strstr(out_buf, "\"action\": \"person.add\""));
    assert_non_null(strstr(out_buf, "\"actor\": \"officer\""));
    assert_non_null(strstr(out_buf, "\"actor\": \"test-actor\""));
    EXPECT(0, run(f, "audit", "list", "--after", "1", "--limit", "1", NULL));
    assert_non_null(strstr(out_buf, "person.add"));
    assert_null(strstr(out_buf, "officer"));
    char *nl = strchr(out_buf, '\n');
    assert_non_null(nl);
    assert_string_equal(nl + 1, "");

    /* Tamper: drop the trigger, change row 2. */
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(f->reg, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "DROP TRIGGER audit_no_update;"
                                  "UPDATE audit SET subject = 'S9' WHERE id = 2",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    EXPECT(1, run(f, "audit", "verify", NULL));
    assert_one_error_line("row 2");
    EXPECT(2, run(f, "audit", "list", "--after", "x", NULL));
    EXPECT(2, run(f, "audit", NULL));
    EXPECT(2, run(f, "audit", "verify", "extra", NULL));
}

static void test_purpose_and_setting(void **state)
{
    fixture *f = *state;
    EXPECT(0, run(f, "purpose", "add", "yearbook", NULL));
    EXPECT(0, run(f, "purpose", "list", NULL));
    assert_string_equal(out_buf, "social\nwebsite\nnewsletter\nprint\ninternal\nyearbook\n");
    EXPECT(0, run(f, "purpose", "list", "--json", NULL));
    assert_non_null(strstr(out_buf, "\"yearbook\""));
    EXPECT(1, run(f, "purpose", "add", "yearbook", NULL));
    assert_one_error_line("exists");
    EXPECT(1, run(f, "purpose", "add", "Bad Name", NULL));
    EXPECT(2, run(f, "purpose", "add", NULL));

    EXPECT(0, run(f, "setting", "list", NULL));
    assert_non_null(strstr(out_buf, "self_consent_from_age"));
    assert_non_null(strstr(out_buf, "(default)"));
    EXPECT(0, run(f, "setting", "set", "self_consent_from_age", "17", NULL));
    EXPECT(0, run(f, "setting", "list", "--json", NULL));
    char *s = strstr(out_buf, "\"key\": \"self_consent_from_age\"");
    assert_non_null(s);
    assert_non_null(strstr(s, "\"value\": 17"));
    assert_non_null(strstr(s, "\"is_set\": true"));
    EXPECT(2, run(f, "setting", "set", "nope", "3", NULL));
    EXPECT(2, run(f, "setting", "set", "self_consent_from_age", "abc", NULL));
    EXPECT(2, run(f, "setting", "set", "self_consent_from_age", NULL));
    EXPECT(0, run(f, "audit", "list", NULL));
    assert_non_null(strstr(out_buf, "setting.set"));
    assert_non_null(strstr(out_buf, "purpose.add"));
}

/* --json that cannot be written (a full disk: /dev/full) is a failure with
 * the reason on stderr, not exit 0 with half a document. */
static void test_json_write_fails(void **state)
{
    fixture *f = *state;
    static const char *const lists[] = {"purpose list", "setting list", "person list",
                                        "consent list", "audit list",   "runs list"};
    char cmd[2048], err_path[600];
    snprintf(err_path, sizeof err_path, "%s/stderr.txt", f->dir);
    EXPECT(0, run(f, "person", "add", "S1", "--name", "Ada", "--role", "staff", NULL));
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++) {
        snprintf(cmd, sizeof cmd, "'%s' --registry '%s' %s --json > /dev/full 2> '%s'",
                 cb_test_cli_path(), f->reg, lists[i], err_path);
        int status = system(cmd);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 1)
            fail_msg("%s --json > /dev/full: status %d, expected exit 1", lists[i], status);
        char *text = cb_test_read_text(err_path, NULL);
        assert_non_null(text);
        if (!strstr(text, "cannot write the JSON output"))
            fail_msg("%s: no reason on stderr: %s", lists[i], text);
        free(text);
    }
}

static void test_help(void **state)
{
    fixture *f = *state;
    static const char *const groups[] = {"person", "consent", "import", "export",
                                         "audit",  "purpose", "setting"};
    for (int i = 0; i < 7; i++) {
        char want[64];
        snprintf(want, sizeof want, "usage: consentblur %s", groups[i]);
        EXPECT(0, run_plain("help", (char *)groups[i], NULL));
        assert_non_null(strstr(out_buf, want));
        EXPECT(0, run_plain((char *)groups[i], "--help", NULL));
        assert_non_null(strstr(out_buf, want));
    }
    EXPECT(0, run_plain("person", "add", "-h", NULL));
    assert_non_null(strstr(out_buf, "usage: consentblur person"));
    EXPECT(0, run_plain("--help", NULL));
    assert_non_null(strstr(out_buf, "consent"));
    assert_non_null(strstr(out_buf, "audit"));
    (void)f;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_person, setup, teardown),
        cmocka_unit_test_setup_teardown(test_consent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_import, setup, teardown),
        cmocka_unit_test_setup_teardown(test_export, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_purpose_and_setting, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json_write_fails, setup, teardown),
        cmocka_unit_test_setup_teardown(test_help, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

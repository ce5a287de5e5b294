/*
 * test_i18n.c - messages in the staff's language (common/i18n.h, po/), with
 * the real binary:
 *  - the language comes from the environment: LANGUAGE=nl under C.UTF-8;
 *    LANG=nl_NL.UTF-8 on a machine without that locale (the fallback sets
 *    LANGUAGE from it); English for LANG=en_US.UTF-8, LANG=C and LC_ALL=C
 *    (which ignores LANGUAGE), and when the user's own LANGUAGE says so;
 *  - what is translated: a usage error, a file that is missing, `consent
 *    grant` of an unknown person, the `check` lines of a photo with unknown
 *    faces, the watch folder's reason file (a line for the staff, then the
 *    technical detail) and its stderr line;
 *  - what is not: the JSON of `check` has the same keys and reason names in
 *    Dutch and English;
 *  - consent/decide.c's details in Dutch once this process chooses Dutch
 *    (last: it changes this process's locale, and puts it back);
 *  - po/nl.po translates every message of po/consentblur.pot (nothing
 *    untranslated or fuzzy), and the .pot holds what the sources mark.
 */
#include <errno.h>
#include <locale.h>
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

#include "common/cb_error.h"
#include "common/i18n.h"
#include "consent/decide.h"
#include "test_support.h"

#define BUF 65536
static char out_buf[BUF], err_buf[BUF];
static char dir[256], reg[512];

/* The environments: each clears what the developer's shell may have set. */
#define CLEAR "LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE", "CONSENTBLUR_LOCALEDIR"
static const char *const env_nl[] = {CLEAR, "LANGUAGE=nl", "LC_ALL=C.UTF-8", NULL};
/* nl_NL is not generated on the build machines: the fallback. */
static const char *const env_nl_fallback[] = {CLEAR, "LANG=nl_NL.UTF-8", NULL};
static const char *const env_en[] = {CLEAR, "LANG=en_US.UTF-8", NULL};
static const char *const env_c[] = {CLEAR, "LANG=C", NULL};
/* The C locale means untranslated, whatever LANGUAGE says (GNU gettext). */
static const char *const env_c_language_nl[] = {CLEAR, "LC_ALL=C", "LANGUAGE=nl", NULL};
/* The user's own LANGUAGE wins over the fallback's guess. */
static const char *const env_nl_but_english[] = {CLEAR, "LANG=nl_NL.UTF-8", "LANGUAGE=en",
                                                 NULL};

typedef struct lang_case {
    const char *name;
    const char *const *env;
    int dutch;
} lang_case;

static const lang_case cases[] = {
    {"LANGUAGE=nl LC_ALL=C.UTF-8", env_nl, 1},
    {"LANG=nl_NL.UTF-8 (not installed)", env_nl_fallback, 1},
    {"LANG=en_US.UTF-8", env_en, 0},
    {"LANG=C", env_c, 0},
    {"LC_ALL=C LANGUAGE=nl", env_c_language_nl, 0},
    {"LANG=nl_NL.UTF-8 LANGUAGE=en", env_nl_but_english, 0},
};
enum { N_CASES = sizeof cases / sizeof cases[0] };

#define CLI(env, ...) cb_test_run_cli_env(env, reg, out_buf, BUF, err_buf, BUF, __VA_ARGS__, NULL)

static void expect_in(const char *what, const char *buf, const char *text)
{
    if (!strstr(buf, text))
        fail_msg("%s: expected \"%s\" in:\n%s", what, text, buf);
}

static void expect_not_in(const char *what, const char *buf, const char *text)
{
    if (strstr(buf, text))
        fail_msg("%s: did not expect \"%s\" in:\n%s", what, text, buf);
}

static int setup(void **state)
{
    (void)state;
    cb_test_registry_paths(dir, sizeof dir, reg, sizeof reg, "test");
    if (CLI(env_c, "person", "add", "P1", "--name", "Piet", "--role", "staff") != 0)
        fail_msg("%s", err_buf);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    cb_test_remove_tree(dir);
    return 0;
}

/* `process x.jpg -o out` without --purpose: a usage error, exit 2. */
static void test_usage_error(void **state)
{
    (void)state;
    for (int i = 0; i < N_CASES; i++) {
        const lang_case *c = &cases[i];
        assert_int_equal(CLI(c->env, "process", "x.jpg", "-o", dir), 2);
        printf("%s: %s", c->name, err_buf);
        if (c->dutch) {
            expect_in(c->name, err_buf,
                      "consentblur process: --purpose P ontbreekt (zie `consentblur help "
                      "process`)\n");
        } else {
            expect_in(c->name, err_buf,
                      "consentblur process: missing --purpose P (see `consentblur help "
                      "process`)\n");
        }
    }
    /* The help's first paragraph too. */
    assert_int_equal(CLI(env_nl, "help", "check"), 0);
    expect_in("help check", out_buf, "gebruik: consentblur check FILE... --purpose P [opties]");
    expect_in("help check", out_buf, "afsluitcode 0 alleen als elk gezicht");
    assert_int_equal(CLI(env_en, "help", "check"), 0);
    expect_in("help check", out_buf, "usage: consentblur check FILE... --purpose P [options]");
}

/* CONSENTBLUR_LOCALEDIR names where the catalogs are: an empty folder means
 * no translation, so English. */
static void test_localedir(void **state)
{
    (void)state;
    char empty[512], set[600];
    snprintf(empty, sizeof empty, "%s/no-catalogs", dir);
    mkdir(empty, 0755);
    snprintf(set, sizeof set, "CONSENTBLUR_LOCALEDIR=%s", empty);
    const char *const env[] = {CLEAR, "LANGUAGE=nl", "LC_ALL=C.UTF-8", set, NULL};
    assert_int_equal(CLI(env, "process", "x.jpg", "-o", dir), 2);
    expect_in("empty CONSENTBLUR_LOCALEDIR", err_buf, "missing --purpose P");
    snprintf(set, sizeof set, "CONSENTBLUR_LOCALEDIR=%s/locale", CB_BINARY_DIR);
    assert_int_equal(CLI(env, "process", "x.jpg", "-o", dir), 2);
    expect_in("CONSENTBLUR_LOCALEDIR=build/locale", err_buf, "--purpose P ontbreekt");
}

/* A file that is not there: one line, the name, why in words, the detail. */
static void test_missing_file(void **state)
{
    (void)state;
    char missing[512], out[512];
    snprintf(missing, sizeof missing, "%s/missing.jpg", dir);
    snprintf(out, sizeof out, "%s/out-missing", dir);
    for (int i = 0; i < 3; i++) {
        const lang_case *c = &cases[i];
        assert_int_equal(CLI(c->env, "redact", missing, "-o", out), 1);
        printf("%s: %s", c->name, err_buf);
        expect_in(c->name, err_buf, missing);
        expect_in(c->name, err_buf,
                  c->dutch ? ": mislukt: Het bestand is niet gevonden"
                           : ": failed: The file was not found");
        char *nl = strchr(err_buf, '\n');
        assert_non_null(nl);
        assert_string_equal(nl + 1, ""); /* one line */
    }
}

/* `consent grant` of a person the registry does not know. */
static void test_unknown_person(void **state)
{
    (void)state;
    for (int i = 0; i < N_CASES; i++) {
        const lang_case *c = &cases[i];
        assert_int_equal(CLI(c->env, "consent", "grant", "P9", "social", "--given-by", "guardian"),
                         1);
        printf("%s: %s", c->name, err_buf);
        expect_in(c->name, err_buf,
                  c->dutch ? "consentblur: geen persoon 'P9' in het register (zie `consentblur "
                             "person list`)"
                           : "consentblur: no person 'P9' in the registry (see `consentblur "
                             "person list`)");
    }
    /* A confirmation, and the text output of `consent list`. */
    assert_int_equal(CLI(env_nl, "consent", "grant", "P1", "social", "--given-by", "self"), 0);
    expect_in("consent grant", out_buf, "P1: social gegeven (door: zelf)");
    assert_int_equal(CLI(env_en, "consent", "grant", "P1", "website", "--given-by", "self"), 0);
    expect_in("consent grant", out_buf, "P1: website granted (given by self)");
    assert_int_equal(CLI(env_nl, "consent", "list"), 0);
    expect_in("consent list", out_buf, "PERSOON");
    expect_in("consent list", out_buf, "gegeven");
    /* JSON stays English. */
    assert_int_equal(CLI(env_nl, "consent", "list", "--json"), 0);
    expect_in("consent list --json", out_buf, "\"status\": \"granted\"");
    expect_in("consent list --json", out_buf, "\"given_by\": \"self\"");
}

/* The keys of a JSON text, in order ("key": ...), into keys (NUL-separated). */
static size_t json_keys(const char *json, char *keys, size_t size)
{
    size_t n = 0;
    for (const char *p = json; (p = strchr(p, '"')) != NULL;) {
        const char *end = p + 1;
        while (*end && *end != '"')
            end += *end == '\\' && end[1] ? 2 : 1;
        if (!*end)
            break;
        const char *after = end + 1;
        while (*after == ' ')
            after++;
        if (*after == ':') {
            size_t len = (size_t)(end - p - 1);
            assert_true(n + len + 1 < size);
            memcpy(keys + n, p + 1, len);
            n += len;
            keys[n++] = '\n';
        }
        p = end + 1;
    }
    keys[n] = '\0';
    return n;
}

/* `check` of a photo with two faces nobody enrolled: exit 1, one line per face. */
static void test_check_lines(void **state)
{
    (void)state;
    char photo[1024];
    cb_test_data_path("groups/two_people.jpg", photo, sizeof photo);
    assert_int_equal(CLI(env_nl_fallback, "check", photo, "--purpose", "social"), 1);
    printf("nl:\n%s", out_buf);
    expect_in("check nl", out_buf, ": gezicht op ");
    expect_in("check nl", out_buf, "): onbekend: ");
    expect_not_in("check nl", out_buf, "face at");
    assert_int_equal(CLI(env_en, "check", photo, "--purpose", "social"), 1);
    printf("en:\n%s", out_buf);
    expect_in("check en", out_buf, ": face at ");
    expect_in("check en", out_buf, "): unknown: ");

    /* JSON: the same keys in the same order, reason names in English. */
    static char keys_nl[BUF], keys_en[BUF];
    assert_int_equal(CLI(env_nl, "check", "--json", photo, "--purpose", "social"), 1);
    expect_in("check --json nl", out_buf, "\"reason\": \"unknown\"");
    expect_in("check --json nl", out_buf, "\"action\": \"redacted\"");
    json_keys(out_buf, keys_nl, sizeof keys_nl);
    assert_int_equal(CLI(env_en, "check", "--json", photo, "--purpose", "social"), 1);
    json_keys(out_buf, keys_en, sizeof keys_en);
    assert_true(strlen(keys_en) > 100);
    assert_string_equal(keys_nl, keys_en);
}

/* The reason file of a file the watch folder could not process. */
static void test_watch_reason(void **state)
{
    (void)state;
    for (int i = 0; i < 4; i++) {
        const lang_case *c = &cases[i];
        char inbox[512], outbox[512], path[1024];
        snprintf(inbox, sizeof inbox, "%s/inbox-%d", dir, i);
        snprintf(outbox, sizeof outbox, "%s/outbox-%d", dir, i);
        mkdir(inbox, 0755);
        snprintf(path, sizeof path, "%s/junk.jpg", inbox);
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fputs("this is not a photo\n", f);
        fclose(f);
        assert_int_equal(CLI(c->env, "watch", inbox, "--out", outbox, "--purpose", "social",
                             "--once"),
                         0);
        printf("%s: %s", c->name, err_buf);
        snprintf(path, sizeof path, "%s/failed/junk.jpg.reason.txt", inbox);
        char *reason = cb_test_read_text(path, NULL);
        if (!reason) {
            fail_msg("%s: no %s", c->name, path);
            return;
        }
        printf("%s", reason);
        const char *second = strchr(reason, '\n');
        assert_non_null(second);
        second++;
        if (c->dutch) {
            assert_true(!strncmp(reason,
                                 "junk.jpg: Dit bestand kan niet als foto of video worden "
                                 "gelezen.\n",
                                 (size_t)(second - reason)));
            assert_true(!strncmp(second, "Technische details: junk.jpg: ", 30));
            expect_in(c->name, err_buf, "consentblur: junk.jpg: mislukt: Dit bestand kan niet");
        } else {
            assert_true(!strncmp(reason,
                                 "junk.jpg: This file cannot be read as a photo or video.\n",
                                 (size_t)(second - reason)));
            assert_true(!strncmp(second, "Technical detail: junk.jpg: ", 28));
            expect_in(c->name, err_buf, "consentblur: junk.jpg: failed: This file cannot be read");
        }
        /* Two lines, the file ends with a newline, and no work-folder path. */
        const char *third = strchr(second, '\n');
        assert_non_null(third);
        assert_string_equal(third + 1, "");
        expect_not_in(c->name, reason, ".consentblur");
        free(reason);
    }
}

/* Every code gets a sentence; the English ones without a catalog. */
static void test_reason_sentences(void **state)
{
    (void)state;
    for (int code = CB_EINVAL; code >= CB_ENOTFOUND; code--) {
        const char *s = cb_i18n_reason(code);
        assert_non_null(s);
        assert_true(strlen(s) > 10);
    }
    const int sys[] = {-ENOENT, -ENOSPC, -EACCES, -EPERM, -EROFS, -EISDIR, -ENAMETOOLONG,
                       CB_I18N_SYMLINK, CB_I18N_NOT_REGULAR, -12345, 0};
    for (size_t i = 0; i < sizeof sys / sizeof sys[0]; i++)
        assert_true(strlen(cb_i18n_reason(sys[i])) > 10);
    /* This test program chose no language: English. */
    assert_string_equal(cb_i18n_reason(CB_EDECODE),
                        "This file cannot be read as a photo or video.");
    assert_string_equal(C_("reason", "unknown"), "unknown");
}

/* Run a program; its stderr into err_buf; returns the exit status. */
static int run_tool(char *const argv[])
{
    return cb_test_run(argv, out_buf, BUF, err_buf, BUF);
}

/* po/nl.po translates every message, and po/consentblur.pot is up to date. */
static void test_catalog_complete(void **state)
{
    (void)state;
    char po[1024], pot[1024], script[1024];
    snprintf(po, sizeof po, "%s/po/nl.po", CB_SOURCE_DIR);
    snprintf(pot, sizeof pot, "%s/po/consentblur.pot", CB_SOURCE_DIR);
    snprintf(script, sizeof script, "%s/po/update-pot.sh", CB_SOURCE_DIR);
    char *msgfmt[] = {CB_MSGFMT, "--check", "--statistics", "-o", "/dev/null", po, NULL};
    assert_int_equal(run_tool(msgfmt), 0);
    printf("po/nl.po: %s", err_buf);
    /* Only "N translated messages." - no fuzzy, no untranslated. */
    int translated = -1, used = 0;
    assert_int_equal(sscanf(err_buf, "%d translated messages.%n", &translated, &used), 1);
    assert_string_equal(err_buf + used, "\n");
    /* As many as the template has (its entries less the header). */
    char *text = cb_test_read_text(pot, NULL);
    assert_non_null(text);
    int entries = 0;
    for (const char *p = text; (p = strstr(p, "\nmsgid ")) != NULL; p++)
        entries++;
    free(text);
    assert_int_equal(translated, entries - 1);
    /* Every msgid of the template has a translation (msgcmp, fuzzy ones not counted). */
    char *msgcmp[] = {"msgcmp", po, pot, NULL};
    if (run_tool(msgcmp) != 0)
        fail_msg("msgcmp po/nl.po po/consentblur.pot:\n%s", err_buf);
    /* The template holds what the sources mark (xgettext). */
    char *check[] = {script, "--check", NULL};
    if (run_tool(check) != 0)
        fail_msg("po/update-pot.sh --check:\n%s%s", out_buf, err_buf);
}

/* consent/decide.c's details follow the language the program chose. */
static void test_decide_details(void **state)
{
    (void)state;
    cb_policy p = {.purpose = "social", .date = "2026-11-26", .guardian_until_age = 16,
                   .self_from_age = 16};
    cb_person sanne = {.id = 7, .external_id = "P1007", .name = "Sanne", .role = CB_ROLE_PUPIL,
                       .birth_date = "2015-01-01"};
    cb_consent c = {.status = CB_CONSENT_WITHDRAWN, .given_by = CB_GIVEN_BY_GUARDIAN,
                    .recorded_at = "2026-09-01T10:00:00Z",
                    .withdrawn_at = "2026-11-02T08:30:00Z"};
    char detail[256];
    cb_reason reason;
    assert_int_equal(cb_decide(&p, &sanne, &c, &reason, detail, sizeof detail), 0);
    assert_string_equal(detail, "P1007's consent for social withdrawn on 2026-11-02");
    /* Dutch, as cb_i18n_init would choose it for LANG=nl_NL.UTF-8 here. */
    setenv("CONSENTBLUR_LOCALEDIR", CB_BINARY_DIR "/locale", 1);
    setenv("LANGUAGE", "nl", 1);
    unsetenv("LC_ALL");
    unsetenv("LC_MESSAGES");
    setenv("LANG", "C.UTF-8", 1);
    cb_i18n_init();
    assert_int_equal(cb_decide(&p, &sanne, &c, &reason, detail, sizeof detail), 0);
    assert_int_equal(reason, CB_REASON_WITHDRAWN);
    assert_string_equal(cb_reason_name(reason), "withdrawn"); /* stays English */
    assert_string_equal(detail, "P1007: toestemming voor social ingetrokken op 2026-11-02");
    assert_int_equal(cb_decide(&p, &sanne, NULL, &reason, detail, sizeof detail), 0);
    assert_string_equal(detail, "P1007: geen toestemming vastgelegd voor social");
    assert_string_equal(cb_i18n_reason(CB_EDECODE),
                        "Dit bestand kan niet als foto of video worden gelezen.");
    /* Back to untranslated. */
    setlocale(LC_ALL, "C");
    unsetenv("LANGUAGE");
    assert_int_equal(cb_decide(&p, &sanne, NULL, &reason, detail, sizeof detail), 0);
    assert_string_equal(detail, "P1007 has no consent record for social");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reason_sentences),
        cmocka_unit_test(test_catalog_complete),
        cmocka_unit_test(test_usage_error),
        cmocka_unit_test(test_localedir),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_unknown_person),
        cmocka_unit_test(test_check_lines),
        cmocka_unit_test(test_watch_reason),
        cmocka_unit_test(test_decide_details),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

/*
 * test_registry_concurrency.c - several processes on one registry file:
 * two writers record consent, withdraw it (which erases templates and
 * checkpoints the WAL) and enrol templates in a loop, while a reader opens
 * the registry read-only, again and again, and loads templates and consent
 * records. No call may fail: no CB_EBUSY, no CB_EDB, no half-done change.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "consent/registry.h"
#include "test_support.h"

#define RUN_SECONDS 3.0
#define PEOPLE_PER_WRITER 4
#define DIM 128

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* In a child: report and leave with status 1. */
static void child_fail(const char *who, int rc, const cb_error *err)
{
    fprintf(stderr, "%s: rc %d (%s): %s\n", who, rc, cb_strerror(rc), err->msg);
    fflush(stderr);
    _exit(1);
}

#define CHECK(who, call)                                                                       \
    do {                                                                                       \
        int rc_ = (call);                                                                      \
        if (rc_ < 0)                                                                           \
            child_fail(who, rc_, &err);                                                        \
    } while (0)

static void fill(float *e, int seed)
{
    for (int i = 0; i < DIM; i++)
        e[i] = (float)((seed * 131 + i * 7) % 97) / 97.0f;
}

static void writer(const char *path, int first)
{
    cb_error err = {0};
    cb_registry *r = NULL;
    float e[DIM];
    long ops = 0;
    double end = now_s() + RUN_SECONDS;
    for (int it = 0; it == 0 || now_s() < end; it++) { /* at least once, however slow */
        if (!r)
            CHECK("writer open", cb_registry_open(path, 0, &r, &err));
        char ext[16];
        snprintf(ext, sizeof ext, "W%d", first + it % PEOPLE_PER_WRITER);
        cb_person p;
        CHECK("writer find", cb_registry_person_find(r, ext, &p, &err));
        int n = 0;
        CHECK("writer withdraw", cb_registry_consent_withdraw(r, p.id, NULL, "writer", &n, &err));
        int count = -1;
        CHECK("writer count", cb_registry_template_count(r, p.id, &count, &err));
        if (count != 0) {
            fprintf(stderr, "writer: %s still has %d templates after withdrawal\n", ext, count);
            _exit(1);
        }
        cb_consent c = {0};
        c.person_id = p.id;
        c.status = CB_CONSENT_GRANTED;
        c.given_by = CB_GIVEN_BY_SELF;
        strcpy(c.purpose, it % 2 ? "social" : "website");
        CHECK("writer grant", cb_registry_consent_record(r, &c, "writer", &err));
        c.status = CB_CONSENT_REFUSED;
        strcpy(c.purpose, "print");
        CHECK("writer refuse", cb_registry_consent_record(r, &c, "writer", &err));
        fill(e, it);
        CHECK("writer template", cb_registry_template_add(r, p.id, "m1", e, DIM, 0.9f, NULL,
                                                          "writer", NULL, &err));
        ops += 5;
        if (it % 25 == 24) {
            cb_registry_close(r);
            r = NULL;
        }
    }
    cb_registry_close(r);
    fprintf(stderr, "writer %d: %ld changes\n", first, ops);
    _exit(ops > 0 ? 0 : 2);
}

static void reader(const char *path)
{
    cb_error err = {0};
    cb_registry *r = NULL;
    long reads = 0, opens = 0;
    double end = now_s() + RUN_SECONDS;
    for (int it = 0; it == 0 || now_s() < end; it++) { /* at least once, however slow */
        if (!r) {
            CHECK("reader open", cb_registry_open(path, CB_REGISTRY_READONLY, &r, &err));
            opens++;
        }
        cb_template *t = NULL;
        int n = 0;
        CHECK("reader templates", cb_registry_templates_load(r, "m1", &t, &n, &err));
        for (int i = 0; i < n; i++)
            if (t[i].dim != DIM || !t[i].embedding) {
                fprintf(stderr, "reader: damaged template\n");
                _exit(1);
            }
        cb_registry_templates_free(t, n);
        cb_consent *list = NULL;
        CHECK("reader consents", cb_registry_consent_list(r, 0, &list, &n, &err));
        free(list);
        cb_person p;
        CHECK("reader find", cb_registry_person_find(r, "W0", &p, &err));
        cb_consent cur;
        int found;
        CHECK("reader current",
              cb_registry_consent_current(r, p.id, "social", &cur, &found, &err));
        reads += 4;
        if (it % 10 == 9) {
            cb_registry_close(r);
            r = NULL;
        }
    }
    int64_t rows = 0, bad = 0;
    if (!r)
        CHECK("reader open", cb_registry_open(path, CB_REGISTRY_READONLY, &r, &err));
    CHECK("reader verify", cb_registry_audit_verify(r, &rows, &bad, &err));
    cb_registry_close(r);
    fprintf(stderr, "reader: %ld reads, %ld opens, audit %lld rows\n", reads, opens,
            (long long)rows);
    _exit(reads > 0 && bad == 0 ? 0 : 3);
}

static void test_writers_and_reader(void **state)
{
    (void)state;
    char dir[256], path[512];
    cb_error err = {0};
    cb_registry *r = NULL;
    cb_test_make_temp_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/registry.db", dir);
    assert_int_equal(cb_registry_open(path, CB_REGISTRY_CREATE, &r, &err), 0);
    float e[DIM];
    fill(e, 1);
    for (int i = 0; i < 2 * PEOPLE_PER_WRITER; i++) {
        cb_person p = {0};
        snprintf(p.external_id, sizeof p.external_id, "W%d", i);
        strcpy(p.name, "Writer's subject");
        p.role = CB_ROLE_STAFF;
        assert_int_equal(cb_registry_person_add(r, &p, "setup", &err), 0);
        cb_consent c = {0};
        c.person_id = p.id;
        c.status = CB_CONSENT_GRANTED;
        strcpy(c.purpose, "social");
        assert_int_equal(cb_registry_consent_record(r, &c, "setup", &err), 0);
        assert_int_equal(
            cb_registry_template_add(r, p.id, "m1", e, DIM, 0.5f, NULL, "setup", NULL, &err), 0);
    }
    cb_registry_close(r);
    fflush(NULL);

    pid_t pids[3];
    for (int k = 0; k < 3; k++) {
        pids[k] = fork();
        assert_true(pids[k] >= 0);
        if (pids[k] == 0) {
            if (k == 2)
                reader(path);
            writer(path, k * PEOPLE_PER_WRITER);
        }
    }
    for (int k = 0; k < 3; k++) {
        int status = 0;
        assert_int_equal(waitpid(pids[k], &status, 0), pids[k]);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
    /* Afterwards: the chain holds, and every person holds granted consent
     * and exactly one template (the last iteration's). */
    assert_int_equal(cb_registry_open(path, 0, &r, &err), 0);
    int64_t rows = 0, bad = -1;
    assert_int_equal(cb_registry_audit_verify(r, &rows, &bad, &err), 0);
    assert_int_equal(bad, 0);
    assert_true(rows > 2 * PEOPLE_PER_WRITER * 3);
    cb_template *t = NULL;
    int n = 0;
    assert_int_equal(cb_registry_templates_load(r, "m1", &t, &n, &err), 0);
    cb_registry_templates_free(t, n);
    assert_int_equal(n, 2 * PEOPLE_PER_WRITER);
    cb_registry_close(r);
    cb_test_remove_tree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_writers_and_reader),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

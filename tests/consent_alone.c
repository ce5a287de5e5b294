/*
 * consent_alone.c - the consent library on its own: linked with every
 * object of cb_consent (whole archive) and only what its CMake target links
 * (common/, sqlite), so the build fails when a file of consent/ calls into
 * models/, pipeline/, recognise/, FFmpeg or OpenCV. Then a person is
 * enrolled-to-be in a real registry file: consent granted, held, withdrawn.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "consent/registry.h"

static void test_registry_without_models(void **state)
{
    (void)state;
    char dir[] = "/tmp/cb_consent_alone_XXXXXX", path[64], cmd[96];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/registry.db", dir);
    cb_error err = {0};
    cb_registry *r = NULL;
    int holds = -1;
    if (cb_registry_open(path, CB_REGISTRY_CREATE, &r, &err) < 0)
        fail_msg("open: %s", err.msg);
    cb_person p = {0};
    strcpy(p.external_id, "P1");
    strcpy(p.name, "Piet");
    p.role = CB_ROLE_STAFF;
    assert_int_equal(cb_registry_person_add(r, &p, "tester", &err), 0);
    assert_int_equal(cb_registry_holds_consent(r, p.id, &holds, &err), 0);
    assert_int_equal(holds, 0);
    cb_consent c = {0};
    c.person_id = p.id;
    c.status = CB_CONSENT_GRANTED;
    strcpy(c.purpose, "social");
    assert_int_equal(cb_registry_consent_record(r, &c, "tester", &err), 0);
    assert_int_equal(cb_registry_holds_consent(r, p.id, &holds, &err), 0);
    assert_int_equal(holds, 1);
    int n = 0;
    assert_int_equal(cb_registry_consent_withdraw(r, p.id, NULL, "tester", &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(cb_registry_holds_consent(r, p.id, &holds, &err), 0);
    assert_int_equal(holds, 0);
    cb_registry_close(r);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_registry_without_models)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}

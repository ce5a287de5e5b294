/* test_common.c - error out-parameter, SHA-256, path helpers. */
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
#include "common/fsutil.h"
#include "common/sha256.h"
#include "test_support.h"

static void hex_of(const char *s, size_t len, char hex[65])
{
    uint8_t d[32];
    cb_sha256(s, len, d);
    cb_sha256_hex(d, hex);
}

static void test_sha256_vectors(void **state)
{
    (void)state;
    char hex[65];
    hex_of("", 0, hex);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    hex_of("abc", 3, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *two_blocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    hex_of(two_blocks, strlen(two_blocks), hex);
    assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    /* One million 'a', fed in uneven pieces through the incremental API. */
    cb_sha256_ctx ctx;
    cb_sha256_init(&ctx);
    char chunk[997];
    memset(chunk, 'a', sizeof chunk);
    size_t left = 1000000;
    while (left) {
        size_t n = left < sizeof chunk ? left : sizeof chunk;
        cb_sha256_update(&ctx, chunk, n);
        left -= n;
    }
    uint8_t d[32];
    cb_sha256_final(&ctx, d);
    cb_sha256_hex(d, hex);
    assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

/* Write (mode "w") or append ("a") text to path. */
static void put_text(const char *path, const char *mode, const char *text)
{
    FILE *f = fopen(path, mode);
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static void test_sha256_file(void **state)
{
    (void)state;
    char dir[256], path[512], hex[65];
    cb_test_make_temp_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/f.txt", dir);
    put_text(path, "wb", "abc");
    cb_error err = {0};
    assert_int_equal(cb_sha256_file_hex(path, hex, &err), 0);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    snprintf(path, sizeof path, "%s/missing", dir);
    assert_true(cb_sha256_file_hex(path, hex, &err) < 0);
    assert_non_null(strstr(err.msg, "missing"));
    cb_test_remove_tree(dir);
}

static void test_error_set_and_prefix(void **state)
{
    (void)state;
    cb_error err = {0};
    assert_int_equal(cb_error_set(&err, CB_EDECODE, "bad %s", "data"), CB_EDECODE);
    assert_int_equal(err.code, CB_EDECODE);
    assert_string_equal(err.msg, "bad data");
    cb_error_prefix(&err, "photo.jpg");
    assert_string_equal(err.msg, "photo.jpg: bad data");
    /* A NULL error is allowed everywhere. */
    assert_int_equal(cb_error_set(NULL, CB_EIO, "x"), CB_EIO);
    /* Long messages are cut, never overflow. */
    char longname[2000];
    memset(longname, 'x', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    cb_error_prefix(&err, "%s", longname);
    assert_true(strlen(err.msg) < CB_ERROR_MSG_SIZE);
    assert_string_equal(cb_strerror(CB_EMODEL), "model error");
    assert_string_equal(cb_strerror(-2), "No such file or directory");
}

static void test_paths(void **state)
{
    (void)state;
    char out[64];
    cb_error err = {0};
    assert_int_equal(cb_path_join(out, sizeof out, "a/b", "c.jpg", &err), 0);
    assert_string_equal(out, "a/b/c.jpg");
    assert_int_equal(cb_path_join(out, sizeof out, "a/b/", "c.jpg", &err), 0);
    assert_string_equal(out, "a/b/c.jpg");
    char small[4];
    assert_int_equal(cb_path_join(small, sizeof small, "abc", "d", &err), CB_EINVAL);
    assert_string_equal(cb_path_basename("/x/y/z.png"), "z.png");
    assert_string_equal(cb_path_basename("z.png"), "z.png");

    char dir[256], deep[512];
    cb_test_make_temp_dir(dir, sizeof dir);
    snprintf(deep, sizeof deep, "%s/one/two/three", dir);
    assert_int_equal(cb_mkdir_p(deep, &err), 0);
    assert_int_equal(cb_mkdir_p(deep, &err), 0); /* existing is fine */
    struct stat st;
    assert_int_equal(stat(deep, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    /* A file in the way is an error, with the path in the message. */
    snprintf(deep, sizeof deep, "%s/file", dir);
    FILE *f = fopen(deep, "w");
    fclose(f);
    assert_true(cb_mkdir_p(deep, &err) < 0);
    assert_non_null(strstr(err.msg, "file"));
    cb_test_remove_tree(dir);
}

/* A file rewritten or replaced since its identity was taken is "changed";
 * one left alone is not. */
static void test_file_unchanged(void **state)
{
    (void)state;
    char dir[256], path[512];
    cb_error err = {0};
    cb_file_id before;
    cb_test_make_temp_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/photo.jpg", dir);
    put_text(path, "w", "first");
    assert_int_equal(cb_file_id_get(path, &before), 0);
    assert_int_equal(cb_file_check_unchanged(path, &before, &err), 0);
    put_text(path, "a", " and more");
    assert_int_equal(cb_file_check_unchanged(path, &before, &err), CB_EIO);
    assert_non_null(strstr(err.msg, "photo.jpg: the file changed while it was being processed"));
    assert_int_equal(cb_file_id_get(path, &before), 0);
    assert_int_equal(unlink(path), 0);
    memset(&err, 0, sizeof err);
    assert_int_equal(cb_file_check_unchanged(path, &before, &err), CB_EIO);
    assert_non_null(strstr(err.msg, "nothing written, try again"));
    cb_test_remove_tree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha256_vectors),
        cmocka_unit_test(test_sha256_file),
        cmocka_unit_test(test_error_set_and_prefix),
        cmocka_unit_test(test_paths),
        cmocka_unit_test(test_file_unchanged),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_common.c - error out-parameter, SHA-256, path helpers, the JSON writer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/cb_error.h"
#include "common/fsutil.h"
#include "common/json.h"
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

/* The text a builder holds; fails the test when it is in error. */
static const char *json_text(const cb_json *j)
{
    const char *t = cb_json_text(j, NULL);
    if (!t)
        fail_msg("builder in error %d: %s", cb_json_error(j), cb_json_error_text(j));
    return t;
}

/* Commas, ": ", and both layouts, nested; empty containers stay on one line. */
static void test_json_layout(void **state)
{
    (void)state;
    cb_json *j = cb_json_new(0);
    cb_json_object(j, CB_JSON_INLINE);
    cb_json_key(j, "runs");
    cb_json_array(j, CB_JSON_LINES);
    cb_json_end(j);
    cb_json_end(j);
    assert_string_equal(json_text(j), "{\"runs\": []}");
    FILE *devnull = fopen("/dev/null", "w");
    assert_int_equal(cb_json_finish(j, devnull), 0);
    fclose(devnull);
    cb_json_free(j);

    j = cb_json_new(0);
    cb_json_object(j, CB_JSON_LINES);
    cb_json_kv_string(j, "command", "process");
    cb_json_key(j, "files");
    cb_json_array(j, CB_JSON_LINES);
    for (int i = 0; i < 2; i++) {
        cb_json_object(j, CB_JSON_INLINE);
        cb_json_kv_int(j, "n", i);
        cb_json_key(j, "box");
        cb_json_array(j, CB_JSON_INLINE);
        cb_json_fixed(j, 1.25, 1);
        cb_json_fixed(j, -2, 3);
        cb_json_end(j);
        cb_json_key(j, "faces");
        cb_json_array(j, CB_JSON_LINES);
        for (int k = 0; k < i; k++)
            cb_json_bool(j, k == 0);
        cb_json_end(j);
        cb_json_kv_bool(j, "ok", 0);
        cb_json_key(j, "person");
        cb_json_null(j);
        cb_json_end(j);
    }
    cb_json_end(j);
    cb_json_key(j, "summary");
    cb_json_object(j, CB_JSON_INLINE);
    cb_json_kv_fixed(j, "seconds", 0.5, 3);
    cb_json_key(j, "models");
    cb_json_raw(j, "{\"a\":[1]}");
    cb_json_end(j);
    cb_json_end(j);
    assert_string_equal(json_text(j),
                        "{\n"
                        "  \"command\": \"process\",\n"
                        "  \"files\": [\n"
                        "    {\"n\": 0, \"box\": [1.2, -2.000], \"faces\": [], \"ok\": false,"
                        " \"person\": null},\n"
                        "    {\"n\": 1, \"box\": [1.2, -2.000], \"faces\": [\n"
                        "      true\n"
                        "    ], \"ok\": false, \"person\": null}\n"
                        "  ],\n"
                        "  \"summary\": {\"seconds\": 0.500, \"models\": {\"a\":[1]}}\n"
                        "}");
    cb_json_free(j);
}

/* Numbers as C writes them whatever the value; what JSON cannot hold is null. */
static void test_json_values(void **state)
{
    (void)state;
    cb_json *j = cb_json_new(0);
    cb_json_array(j, CB_JSON_INLINE);
    cb_json_int(j, LLONG_MIN);
    cb_json_int(j, LLONG_MAX);
    cb_json_fixed(j, NAN, 2);
    cb_json_fixed(j, INFINITY, 2);
    cb_json_fixed(j, -1e300, 0);
    cb_json_fixed(j, 0.1, 17);
    cb_json_string(j, NULL);
    cb_json_string(j, "");
    cb_json_end(j);
    const char *t = json_text(j);
    assert_true(strncmp(t, "[-9223372036854775808, 9223372036854775807, null, null, -1", 57) == 0);
    assert_non_null(strstr(t, "0.10000000000000001, null, \"\"]"));
    size_t len = 0;
    assert_ptr_equal(cb_json_text(j, &len), t);
    assert_int_equal(len, strlen(t));
    cb_json_free(j);
}

/* What one string comes out as, through the builder and through
 * cb_json_write_string (the two must agree). */
static void check_escaped(const char *in, const char *want)
{
    cb_json *j = cb_json_new(0);
    cb_json_string(j, in);
    assert_string_equal(json_text(j), want);
    cb_json_free(j);
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    assert_non_null(f);
    cb_json_write_string(f, in);
    assert_int_equal(fclose(f), 0);
    assert_string_equal(buf, want);
    free(buf);
}

static void test_json_escaping(void **state)
{
    (void)state;
    check_escaped("plain text", "\"plain text\"");
    check_escaped("say \"hi\" \\ bye", "\"say \\\"hi\\\" \\\\ bye\"");
    check_escaped("a\nb\rc\td", "\"a\\nb\\rc\\td\"");
    check_escaped("\x01\x1f\x7f" "/", "\"\\u0001\\u001f\\u007f/\"");
    /* UTF-8 of 2, 3 and 4 bytes as it is. */
    check_escaped("\xc3\xbc" "nic\xc3\xb6" "de \xe6\x97\xa5 \xf0\x9f\x98\x80",
                  "\"\xc3\xbc" "nic\xc3\xb6" "de \xe6\x97\xa5 \xf0\x9f\x98\x80\"");
    /* Not UTF-8: a Latin-1 byte, a stray continuation byte, an overlong '/',
     * a surrogate, past U+10FFFF, a sequence cut short by the end. */
    check_escaped("caf\xe9", "\"caf\\ufffd\"");
    check_escaped("\x80x", "\"\\ufffdx\"");
    check_escaped("\xc0\xaf", "\"\\ufffd\\ufffd\"");
    check_escaped("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"");
    check_escaped("\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
    check_escaped("\xe6\x97", "\"\\ufffd\\ufffd\"");
    /* Keys are escaped the same way. */
    cb_json *j = cb_json_new(0);
    cb_json_object(j, CB_JSON_INLINE);
    cb_json_kv_int(j, "a\"b\n", 1);
    cb_json_end(j);
    assert_string_equal(json_text(j), "{\"a\\\"b\\n\": 1}");
    cb_json_free(j);
}

/* One misuse: the builder keeps CB_EINVAL from then on, ignores what follows
 * and cannot finish. */
static void expect_misuse(cb_json *j, const char *why)
{
    assert_int_equal(cb_json_error(j), CB_EINVAL);
    assert_non_null(strstr(cb_json_error_text(j), why));
    assert_null(cb_json_text(j, NULL));
    cb_json_kv_int(j, "more", 1);
    cb_json_end(j);
    assert_int_equal(cb_json_error(j), CB_EINVAL);
    assert_non_null(strstr(cb_json_error_text(j), why));
    FILE *devnull = fopen("/dev/null", "w");
    assert_int_equal(cb_json_finish(j, devnull), CB_EINVAL);
    assert_int_equal(cb_json_flush(j, devnull), CB_EINVAL);
    fclose(devnull);
    cb_json_free(j);
}

static void test_json_misuse(void **state)
{
    (void)state;
    cb_json *j = cb_json_new(0);
    cb_json_object(j, CB_JSON_INLINE);
    cb_json_int(j, 1);
    expect_misuse(j, "without a key");

    j = cb_json_new(0);
    cb_json_array(j, CB_JSON_INLINE);
    cb_json_key(j, "k");
    expect_misuse(j, "outside an object");

    j = cb_json_new(0);
    cb_json_key(j, "k");
    expect_misuse(j, "outside an object");

    j = cb_json_new(0);
    cb_json_object(j, CB_JSON_INLINE);
    cb_json_key(j, "k");
    cb_json_key(j, "k2");
    expect_misuse(j, "a key without a value");

    j = cb_json_new(0);
    cb_json_object(j, CB_JSON_INLINE);
    cb_json_key(j, "k");
    cb_json_end(j);
    expect_misuse(j, "a key without a value");

    j = cb_json_new(0);
    cb_json_end(j);
    expect_misuse(j, "an end without");

    j = cb_json_new(0);
    cb_json_int(j, 1);
    cb_json_int(j, 2);
    expect_misuse(j, "a second value");

    j = cb_json_new(0);
    cb_json_array(j, CB_JSON_INLINE);
    cb_json_fixed(j, 1, 18);
    expect_misuse(j, "decimals");

    j = cb_json_new(0);
    cb_json_array(j, CB_JSON_INLINE);
    cb_json_raw(j, "");
    expect_misuse(j, "empty");

    j = cb_json_new(0);
    for (int i = 0; i <= CB_JSON_MAX_DEPTH; i++)
        cb_json_array(j, CB_JSON_INLINE);
    expect_misuse(j, "too deep");

    /* Finishing what is not a whole document; after finishing, nothing more. */
    j = cb_json_new(0);
    cb_json_array(j, CB_JSON_LINES);
    FILE *devnull = fopen("/dev/null", "w");
    assert_int_equal(cb_json_finish(j, devnull), CB_EINVAL);
    assert_non_null(strstr(cb_json_error_text(j), "left open"));
    cb_json_free(j);
    j = cb_json_new(0);
    assert_int_equal(cb_json_finish(j, devnull), CB_EINVAL);
    assert_non_null(strstr(cb_json_error_text(j), "no value"));
    cb_json_free(j);
    j = cb_json_new(0);
    cb_json_null(j);
    assert_int_equal(cb_json_finish(j, devnull), 0);
    assert_string_equal(cb_json_error_text(j), "");
    cb_json_null(j);
    assert_int_equal(cb_json_error(j), CB_EINVAL);
    cb_json_free(j);
    fclose(devnull);
}

/* No memory: the first failed allocation is kept, as with misuse; a builder
 * that could not be made (NULL) reads as out of memory everywhere. */
static void test_json_no_memory(void **state)
{
    (void)state;
    cb_json *j = cb_json_new(300);
    cb_json_array(j, CB_JSON_INLINE);
    for (int i = 0; i < 100; i++)
        cb_json_string(j, "twenty-two characters");
    assert_int_equal(cb_json_error(j), CB_ENOMEM);
    assert_null(cb_json_text(j, NULL));
    cb_json_end(j);
    FILE *devnull = fopen("/dev/null", "w");
    assert_int_equal(cb_json_finish(j, devnull), CB_ENOMEM);
    cb_json_free(j);

    /* Within the limit between flushes: a long list written as it goes. */
    j = cb_json_new(300);
    cb_json_array(j, CB_JSON_LINES);
    for (int i = 0; i < 100; i++) {
        cb_json_string(j, "twenty-two characters");
        assert_int_equal(cb_json_flush(j, devnull), 0);
    }
    cb_json_end(j);
    assert_int_equal(cb_json_finish(j, devnull), 0);
    cb_json_free(j);

    cb_json *none = NULL;
    cb_json_object(none, CB_JSON_LINES);
    cb_json_kv_string(none, "k", "v");
    cb_json_kv_fixed(none, "k", 1, 1);
    cb_json_kv_bool(none, "k", 1);
    cb_json_raw(none, "1");
    cb_json_end(none);
    assert_int_equal(cb_json_error(none), CB_ENOMEM);
    assert_non_null(strstr(cb_json_error_text(none), "memory"));
    assert_null(cb_json_text(none, NULL));
    assert_int_equal(cb_json_flush(none, devnull), CB_ENOMEM);
    assert_int_equal(cb_json_finish(none, devnull), CB_ENOMEM);
    cb_json_free(none);
    fclose(devnull);
}

/* Written as it goes: the pieces flushed make the same text as all at once,
 * with the newline finish adds; a write that fails is the sticky CB_EIO. */
static void test_json_flush(void **state)
{
    (void)state;
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    assert_non_null(f);
    cb_json *j = cb_json_new(0);
    cb_json_object(j, CB_JSON_INLINE);
    cb_json_key(j, "list");
    cb_json_array(j, CB_JSON_LINES);
    for (int i = 0; i < 3; i++) {
        cb_json_int(j, i);
        assert_int_equal(cb_json_flush(j, f), 0);
        assert_string_equal(json_text(j), "");
    }
    cb_json_end(j);
    cb_json_end(j);
    assert_int_equal(cb_json_finish(j, f), 0);
    cb_json_free(j);
    assert_int_equal(fclose(f), 0);
    assert_string_equal(buf, "{\"list\": [\n  0,\n  1,\n  2\n]}\n");
    free(buf);

    FILE *full = fopen("/dev/full", "w");
    assert_non_null(full);
    setvbuf(full, NULL, _IONBF, 0);
    j = cb_json_new(0);
    cb_json_array(j, CB_JSON_INLINE);
    assert_int_equal(cb_json_flush(j, full), CB_EIO);
    cb_json_end(j);
    assert_int_equal(cb_json_error(j), CB_EIO);
    assert_non_null(strstr(cb_json_error_text(j), "writing"));
    cb_json_free(j);
    fclose(full);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha256_vectors),
        cmocka_unit_test(test_sha256_file),
        cmocka_unit_test(test_error_set_and_prefix),
        cmocka_unit_test(test_paths),
        cmocka_unit_test(test_file_unchanged),
        cmocka_unit_test(test_json_layout),
        cmocka_unit_test(test_json_values),
        cmocka_unit_test(test_json_escaping),
        cmocka_unit_test(test_json_misuse),
        cmocka_unit_test(test_json_no_memory),
        cmocka_unit_test(test_json_flush),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_cli.c - runs the consentblur binary on real photos and bad inputs and
 * checks exit codes, messages, the JSON report and the output pixels.
 */
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

#include "pipeline/media_in.h"
#include "pipeline/redact.h"
#include "test_support.h"

#define OUT_SIZE 65536

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static int count_entries(const char *dir)
{
    char cmd[1100], buf[64];
    snprintf(cmd, sizeof cmd, "ls -A '%s' | wc -l", dir);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    assert_non_null(fgets(buf, sizeof buf, p));
    pclose(p);
    return atoi(buf);
}

/* Parse every "box": [x, y, w, h] of a JSON report. Returns how many. */
static int parse_boxes(const char *json, cb_face *faces, int max)
{
    int n = 0;
    for (const char *p = strstr(json, "\"box\": ["); p && n < max; p = strstr(p + 1, "\"box\": [")) {
        cb_face f = {0};
        if (sscanf(p, "\"box\": [%f, %f, %f, %f]", &f.x, &f.y, &f.w, &f.h) == 4)
            faces[n++] = f;
    }
    return n;
}


/* Redact a real group photo; check the JSON, and the pixels in and out of every face region. */
static void test_redact_group_photo(void **state)
{
    (void)state;
    char in[1024], dir[256], out[1100];
    cb_test_data_path("groups/bbt4.jpg", in, sizeof in);
    cb_test_make_temp_dir(dir, sizeof dir);
    char *argv[] = {(char *)cb_test_cli_path(), "redact", "--json", in, "-o", dir, NULL};
    static char stdout_buf[OUT_SIZE], stderr_buf[OUT_SIZE];
    assert_int_equal(cb_test_run(argv, stdout_buf, OUT_SIZE, stderr_buf, OUT_SIZE), 0);
    assert_non_null(strstr(stdout_buf, "\"status\": \"ok\""));
    cb_face faces[32];
    int n = parse_boxes(stdout_buf, faces, 32);
    assert_true(n >= 6); /* six people, counted by eye */
    snprintf(out, sizeof out, "%s/bbt4.jpg", dir);
    AVFrame *a = cb_test_read_image(in), *b = cb_test_read_image(out);
    assert_int_equal(a->width, b->width);
    assert_int_equal(a->height, b->height);
    cb_redact_ellipse e[32];
    for (int i = 0; i < n; i++)
        cb_redact_region(&faces[i], a->width, a->height, &e[i]);
    double diff_in = 0, diff_out = 0;
    long n_in = 0, n_out = 0;
    for (int y = 0; y < a->height; y++)
        for (int x = 0; x < a->width; x++) {
            int inside = 0;
            for (int i = 0; i < n; i++)
                inside |= cb_redact_contains(&e[i], x, y);
            const uint8_t *pa = a->data[0] + (size_t)y * a->linesize[0] + 3 * x;
            const uint8_t *pb = b->data[0] + (size_t)y * b->linesize[0] + 3 * x;
            int d = abs(pa[0] - pb[0]) + abs(pa[1] - pb[1]) + abs(pa[2] - pb[2]);
            if (inside) {
                diff_in += d;
                n_in++;
            } else {
                diff_out += d;
                n_out++;
            }
        }
    diff_in /= 3.0 * n_in;
    diff_out /= 3.0 * n_out;
    printf("mean |change| inside face regions %.1f, outside %.2f\n", diff_in, diff_out);
    assert_true(diff_in > 12.0);  /* the faces are gone */
    assert_true(diff_out < 3.0);  /* the rest is the photo, re-encoded */
    av_frame_free(&a);
    av_frame_free(&b);
    cb_test_remove_tree(dir);
}

/* Each bad input: exit 1, a one-line message naming the file, and no output file. */
static void test_bad_inputs(void **state)
{
    (void)state;
    char dir[256], outdir[300], path[400], cmd[2048], good[1024];
    cb_test_make_temp_dir(dir, sizeof dir);
    snprintf(outdir, sizeof outdir, "%s/out", dir);
    cb_test_data_path("groups/bbt3.jpg", good, sizeof good);

    snprintf(path, sizeof path, "%s/empty.jpg", dir);
    fclose(fopen(path, "wb"));
    snprintf(path, sizeof path, "%s/text.jpg", dir);
    FILE *f = fopen(path, "wb");
    fputs("this is not a photo\n", f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "head -c 9000 '%s' > '%s/truncated.jpg'", good, dir);
    assert_int_equal(system(cmd), 0);
    snprintf(cmd, sizeof cmd,
             "ffmpeg -v error -f lavfi -i color=c=red:s=16x16 -vf scale=1:1 -frames:v 1 -y '%s/tiny.png'", dir);
    assert_int_equal(system(cmd), 0);
    /* A valid PNG signature and IHDR claiming 30000 x 30000 pixels, then junk. */
    static const uint8_t huge_png[] = {
        0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 'I', 'H', 'D', 'R',
        0, 0, 0x75, 0x30, 0, 0, 0x75, 0x30, 8, 2, 0, 0, 0, 0x3b, 0x59, 0x41, 0x9e,
        0, 0, 0, 4, 'I', 'D', 'A', 'T', 1, 2, 3, 4, 0, 0, 0, 0};
    snprintf(path, sizeof path, "%s/huge.png", dir);
    f = fopen(path, "wb");
    fwrite(huge_png, 1, sizeof huge_png, f);
    fclose(f);

    static const char *const names[] = {"empty.jpg", "text.jpg", "truncated.jpg", "tiny.png",
                                        "huge.png", "missing.jpg"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        char *argv[] = {(char *)cb_test_cli_path(), "redact", path, "-o", outdir, NULL};
        char err_buf[4096];
        int rc = cb_test_run(argv, NULL, 0, err_buf, sizeof err_buf);
        printf("%s -> exit %d: %s", names[i], rc, err_buf);
        assert_int_equal(rc, 1);
        assert_non_null(strstr(err_buf, names[i]));
        char *nl = strchr(err_buf, '\n');
        assert_non_null(nl);
        assert_string_equal(nl + 1, ""); /* exactly one line */
        assert_int_equal(count_entries(outdir), 0);
    }
    /* A good file among bad ones is still done; the run still reports failure. */
    snprintf(path, sizeof path, "%s/text.jpg", dir);
    char *argv[] = {(char *)cb_test_cli_path(), "redact", path, good, "-o", outdir, NULL};
    assert_int_equal(cb_test_run(argv, NULL, 0, NULL, 0), 1);
    snprintf(path, sizeof path, "%s/bbt3.jpg", outdir);
    assert_true(file_exists(path));
    assert_int_equal(count_entries(outdir), 1);
    cb_test_remove_tree(dir);
}

static void test_existing_output_needs_force(void **state)
{
    (void)state;
    char in[1024], dir[256], out[400];
    cb_test_data_path("groups/kit_with_rose.jpg", in, sizeof in);
    cb_test_make_temp_dir(dir, sizeof dir);
    snprintf(out, sizeof out, "%s/kit_with_rose.jpg", dir);
    FILE *f = fopen(out, "wb");
    fputs("precious", f);
    fclose(f);
    char *argv[] = {(char *)cb_test_cli_path(), "redact", in, "-o", dir, NULL};
    char err_buf[4096];
    assert_int_equal(cb_test_run(argv, NULL, 0, err_buf, sizeof err_buf), 1);
    assert_non_null(strstr(err_buf, "exists"));
    struct stat st;
    assert_int_equal(stat(out, &st), 0);
    assert_int_equal(st.st_size, 8); /* untouched */
    char *argv_force[] = {(char *)cb_test_cli_path(), "redact", "--force", in, "-o", dir, NULL};
    assert_int_equal(cb_test_run(argv_force, NULL, 0, NULL, 0), 0);
    assert_int_equal(stat(out, &st), 0);
    assert_true(st.st_size > 1000);
    assert_int_equal(count_entries(dir), 1); /* no temporary files left */
    /* The input itself is never the output. */
    char *argv_self[] = {(char *)cb_test_cli_path(), "redact", "--force", out, "-o", dir, NULL};
    assert_int_equal(cb_test_run(argv_self, NULL, 0, err_buf, sizeof err_buf), 1);
    assert_non_null(strstr(err_buf, "replace the input"));
    cb_test_remove_tree(dir);
}

static void test_formats_and_styles(void **state)
{
    (void)state;
    char in[1024], dir[256], out[400];
    cb_test_data_path("probes/32bit.png", in, sizeof in);
    cb_test_make_temp_dir(dir, sizeof dir);
    static const char *const formats[] = {"same", "jpg", "webp"};
    static const char *const expect[] = {"32bit.png", "32bit.jpg", "32bit.webp"};
    static const char *const styles[] = {"fill", "blur", "pixelate"};
    for (int i = 0; i < 3; i++) {
        char *argv[] = {(char *)cb_test_cli_path(), "redact", "--format", (char *)formats[i],
                        "--style", (char *)styles[i], in, "-o", dir, NULL};
        assert_int_equal(cb_test_run(argv, NULL, 0, NULL, 0), 0);
        snprintf(out, sizeof out, "%s/%s", dir, expect[i]);
        AVFrame *a = cb_test_read_image(in), *b = cb_test_read_image(out);
        assert_int_equal(a->width, b->width);
        assert_int_equal(a->height, b->height);
        av_frame_free(&a);
        av_frame_free(&b);
    }
    cb_test_remove_tree(dir);
}

static void test_usage_errors(void **state)
{
    (void)state;
    char err_buf[4096];
    char *no_out[] = {(char *)cb_test_cli_path(), "redact", "x.jpg", NULL};
    assert_int_equal(cb_test_run(no_out, NULL, 0, err_buf, sizeof err_buf), 2);
    assert_non_null(strstr(err_buf, "-o"));
    char *bad_style[] = {(char *)cb_test_cli_path(), "redact", "--style", "x", "a", "-o", "b", NULL};
    assert_int_equal(cb_test_run(bad_style, NULL, 0, NULL, 0), 2);
    char *bad_cmd[] = {(char *)cb_test_cli_path(), "frobnicate", NULL};
    assert_int_equal(cb_test_run(bad_cmd, NULL, 0, NULL, 0), 2);
    char out_buf[8192];
    char *help[] = {(char *)cb_test_cli_path(), "--help", NULL};
    assert_int_equal(cb_test_run(help, out_buf, sizeof out_buf, NULL, 0), 0);
    assert_non_null(strstr(out_buf, "redact"));
}

static void test_missing_models_fail_cleanly(void **state)
{
    (void)state;
    char in[1024], dir[256];
    cb_test_data_path("groups/bbt3.jpg", in, sizeof in);
    cb_test_make_temp_dir(dir, sizeof dir);
    char *argv[] = {(char *)cb_test_cli_path(), "--models", "/nonexistent", "redact", in, "-o",
                    dir, NULL};
    char err_buf[4096];
    assert_int_equal(cb_test_run(argv, NULL, 0, err_buf, sizeof err_buf), 1);
    assert_non_null(strstr(err_buf, "make models"));
    assert_int_equal(count_entries(dir), 0);
    cb_test_remove_tree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_redact_group_photo),
        cmocka_unit_test(test_bad_inputs),
        cmocka_unit_test(test_existing_output_needs_force),
        cmocka_unit_test(test_formats_and_styles),
        cmocka_unit_test(test_usage_errors),
        cmocka_unit_test(test_missing_models_fail_cleanly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_batch.c - `consentblur batch` on a small album: the folder structure
 * is kept, photos (a phone's HEIC among them, written as JPEG) and a video
 * are processed, other files are left alone, a broken photo is reported in
 * the summary, the HTML report is written, the run is recorded, and a second
 * run resumes (skips everything already done) - unless consent changed in
 * between, then it does the files again.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "cli/media_command.h"
#include "test_support.h"

#define BUF 262144
static char out_buf[BUF], err_buf[BUF];
static char dir[256], reg[512], album[512], safe[512];

#define CLI(...) cb_test_run_cli(reg, out_buf, BUF, err_buf, BUF, __VA_ARGS__, NULL)

static void copy(const char *rel, const char *to)
{
    char src[1024], cmd[4096];
    cb_test_data_path(rel, src, sizeof src);
    assert_true(strlen(to) < 2048);
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", src, to);
    assert_int_equal(system(cmd), 0);
}

static int setup(void **state)
{
    (void)state;
    cb_test_registry_paths(dir, sizeof dir, reg, sizeof reg, "test");
    snprintf(album, sizeof album, "%s/album", dir);
    snprintf(safe, sizeof safe, "%s/safe", dir);
    char p[2048];
    snprintf(p, sizeof p, "mkdir -p '%s/day 1/bus' '%s/day 2'", album, album);
    assert_int_equal(system(p), 0);
    snprintf(p, sizeof p, "%s/day 1/group.jpg", album);
    copy("groups/two_people.jpg", p);
    snprintf(p, sizeof p, "%s/day 1/bus/clip.mp4", album);
    copy("video/bbt-short.mp4", p);
    snprintf(p, sizeof p, "%s/day 2/portrait.png", album);
    copy("probes/32bit.png", p);
    /* a phone photo, its extension in capitals as some phones write it */
    char bbt3[1024];
    cb_test_data_path("groups/bbt3.jpg", bbt3, sizeof bbt3);
    snprintf(p, sizeof p, "heif-enc -q 80 -o '%s/day 2/phone.HEIC' '%s' >/dev/null", album, bbt3);
    assert_int_equal(system(p), 0);
    snprintf(p, sizeof p, "%s/day 2/notes.txt", album);
    FILE *f = fopen(p, "w");
    fputs("not a photo\n", f);
    fclose(f);
    snprintf(p, sizeof p, "%s/day 2/broken.jpg", album);
    f = fopen(p, "w");
    fputs("\xff\xd8\xff\xe0 truncated", f);
    fclose(f);
    char o1[1024];
    cb_test_data_path("identities/obama/obama.jpg", o1, sizeof o1);
    if (CLI("person", "add", "obama", "--name", "Barack", "--role", "other") != 0 ||
        CLI("consent", "grant", "obama", "social", "--given-by", "self", "--from",
            "2026-01-01") != 0 ||
        CLI("enroll", "obama", o1) != 0)
        fail_msg("%s", err_buf);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    cb_test_remove_tree(dir);
    return 0;
}

static int exists(const char *rel)
{
    char p[1024];
    struct stat st;
    snprintf(p, sizeof p, "%s/%s", safe, rel);
    return stat(p, &st) == 0;
}

static int count(const char *haystack, const char *needle)
{
    int n = 0;
    for (const char *p = strstr(haystack, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

static void test_album(void **state)
{
    (void)state;
    char report[1024];
    snprintf(report, sizeof report, "%s/report.html", dir);
    int rc = CLI("batch", album, "-o", safe, "--purpose", "social", "--report", report);
    printf("%s%s", out_buf, err_buf);
    assert_int_equal(rc, 1); /* broken.jpg failed */
    assert_true(exists("day 1/group.jpg"));
    assert_true(exists("day 1/bus/clip.mp4"));
    assert_true(exists("day 2/portrait.png"));
    assert_true(exists("day 2/phone.jpg")); /* a HEIC comes out as JPEG */
    assert_false(exists("day 2/phone.HEIC"));
    assert_false(exists("day 2/broken.jpg"));
    assert_false(exists("day 2/notes.txt"));
    assert_non_null(strstr(out_buf, "5 file(s): 4 processed, 0 already done, 1 failed"));
    assert_non_null(strstr(out_buf, "1 other file(s) left alone"));
    assert_non_null(strstr(out_buf, "failed: day 2/broken.jpg"));
    /* Not a terminal: one line per file on stderr. */
    /* The consenting person is kept; the other person (and any false
     * detection, such as the jacket's buttons) is redacted. */
    assert_non_null(strstr(err_buf, "/5 day 1/group.jpg: done (1 kept, "));
    assert_null(strstr(err_buf, "/5 day 1/group.jpg: done (1 kept, 0 redacted)"));
    /* The video's progress: its analysis complete, then its frames and rate. */
    long long frames = 0;
    double seconds = 0, fps = 0;
    const char *end = strstr(err_buf, "consentblur: day 1/bus/clip.mp4: analyse ");
    while (end && sscanf(end, "consentblur: day 1/bus/clip.mp4: %lld frames in %lf s, %lf fps",
                         &frames, &seconds, &fps) != 3)
        end = strstr(end + 1, "consentblur: day 1/bus/clip.mp4: ");
    assert_non_null(end);
    assert_true(frames > 0 && fps > 0);
    struct stat st;
    assert_int_equal(stat(report, &st), 0);
    /* Second run: everything done is skipped. */
    rc = CLI("batch", album, "-o", safe, "--purpose", "social", "--json");
    printf("%s", out_buf);
    assert_int_equal(rc, 1);
    assert_int_equal(count(out_buf, "\"status\": \"skipped\""), 4);
    assert_int_equal(count(out_buf, "\"status\": \"failed\""), 1);
    /* Consent changes: the next run does the files again, with the new decision. */
    assert_int_equal(CLI("consent", "withdraw", "obama", "social"), 0);
    rc = CLI("batch", album, "-o", safe, "--purpose", "social", "--json");
    assert_int_equal(rc, 1);
    assert_int_equal(count(out_buf, "\"status\": \"done\""), 4);
    /* The video's frames, seconds and rate. */
    assert_int_equal(count(out_buf, "\"fps\": "), 1);
    assert_true(atof(strstr(out_buf, "\"fps\": ") + 7) > 0);
    assert_non_null(strstr(out_buf, "\"kind\": \"video\", \"faces_kept\": "));
    assert_int_equal(count(out_buf, "\"faces_kept\": 1"), 0);
    /* Every processed file is on record. */
    assert_int_equal(CLI("runs", "list", "--json"), 0);
    assert_true(count(out_buf, "\"command\": \"batch\"") >= 9);
}

/* Without --jobs, one job per CPU, but never more than --jobs allows
 * (CB_MEDIA_MAX_JOBS): a machine with more CPUs than that must not start
 * more threads than batch has room for. */
static void test_default_jobs(void **state)
{
    (void)state;
    assert_int_equal(cb_media_default_jobs(-1), 1); /* sysconf could not tell */
    assert_int_equal(cb_media_default_jobs(0), 1);
    assert_int_equal(cb_media_default_jobs(1), 1);
    assert_int_equal(cb_media_default_jobs(16), 16);
    assert_int_equal(cb_media_default_jobs(CB_MEDIA_MAX_JOBS), CB_MEDIA_MAX_JOBS);
    assert_int_equal(cb_media_default_jobs(CB_MEDIA_MAX_JOBS + 1), CB_MEDIA_MAX_JOBS);
    assert_int_equal(cb_media_default_jobs(512), CB_MEDIA_MAX_JOBS);
    assert_int_equal(cb_media_default_jobs(1L << 40), CB_MEDIA_MAX_JOBS);
}

/* Bad command lines: exit 2; a missing folder: exit 1 with the reason. */
static void test_usage(void **state)
{
    (void)state;
    assert_int_equal(CLI("batch", album, "--purpose", "social"), 2);
    assert_int_equal(CLI("batch", album, "-o", safe), 2);
    assert_int_equal(CLI("batch", album, album, "-o", safe, "--purpose", "social"), 2);
    char missing[600];
    snprintf(missing, sizeof missing, "%s/nope", dir);
    assert_int_equal(CLI("batch", missing, "-o", safe, "--purpose", "social"), 1);
    assert_non_null(strstr(err_buf, "not a folder"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_jobs),
        cmocka_unit_test(test_album),
        cmocka_unit_test(test_usage),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

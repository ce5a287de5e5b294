/*
 * test_video.c - videos end to end through the CLI, checked frame by frame.
 *
 * Synthetic clip, truth known per frame: real face photos moving across a
 * background along known paths (made with the ffmpeg command line):
 *   A  obama (from probes/obama1.jpg; enrolled from identities/obama with
 *      consent for social): left to right - must stay visible;
 *   B  lin-manuel-miranda (enrolled nowhere): right to left - must be
 *      redacted in every frame it is in;
 *   C  raj (identities/raj/raj1.png, enrolled nowhere): in the picture from
 *      about 0.5 s to 1.5 s (the frames where his square is not background
 *      are found from the input's pixels) - redacted in every one of them.
 * "Visible" / "redacted" is measured on the output pixels: the mean change
 * inside the central part of the face against the input frame.
 * Also: frame count and timestamps equal to the input, audio kept, and the
 * real clips of the test data processed without error.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "pipeline/video_in.h"
#include "test_support.h"

#define BUF 262144
static char out_buf[BUF], err_buf[BUF];
static char dir[256], reg[512], clip[512];

enum { W = 640, H = 360, FRAMES = 60, SIDE_A = 110, SIDE_B = 100, SIDE_C = 90 };

/* Top-left corners of the pasted face photos in frame n (as the ffmpeg
 * overlay expressions below place them). */
static void pos_a(int n, int *x, int *y) { *x = 20 + 5 * n; *y = 20; }
static void pos_b(int n, int *x, int *y) { *x = 520 - 5 * n; *y = 240; }
static void pos_c(int n, int *x, int *y) { (void)n; *x = 270; *y = 135; }

#define run_cli(...) cb_test_run_cli(reg, out_buf, BUF, err_buf, BUF, __VA_ARGS__)

#define RUN_OK(...)                                                                            \
    do {                                                                                       \
        int rc_ = run_cli(__VA_ARGS__, NULL);                                                  \
        if (rc_ != 0)                                                                          \
            fail_msg("exit %d: %s%s", rc_, out_buf, err_buf);                                  \
    } while (0)

static void make_clip(void)
{
    char a[1024], b[1024], c[1024], cmd[8192];
    cb_test_data_path("probes/obama1.jpg", a, sizeof a);
    cb_test_data_path("probes/lin-manuel-miranda.png", b, sizeof b);
    cb_test_data_path("identities/raj/raj1.png", c, sizeof c);
    snprintf(clip, sizeof clip, "%s/clip.mp4", dir);
    snprintf(cmd, sizeof cmd,
             "ffmpeg -nostdin -v error -y "
             "-f lavfi -i color=c=0x5f7f6f:s=%dx%d:r=30:d=2 "
             "-loop 1 -i '%s' -loop 1 -i '%s' -loop 1 -i '%s' "
             "-f lavfi -i sine=frequency=440:duration=2 "
             "-filter_complex \""
             "[0]noise=alls=10:allf=u[bg];"
             "[1]crop=480:520:470:150,scale=%d:%d[a];"
             "[2]crop=380:420:200:130,scale=%d:%d,format=yuv420p[b];"
             "[3]scale=%d:%d,format=yuv420p[c];"
             "[bg][a]overlay=x='20+5*n':y=20:shortest=1[t1];"
             "[t1][b]overlay=x='520-5*n':y=240:shortest=1[t2];"
             "[t2][c]overlay=x=270:y=135:enable='between(t,0.5,1.5)':shortest=1,format=yuv420p[v]\" "
             "-map '[v]' -map 4:a -frames:v %d -c:v libx264 -preset veryfast -crf 12 "
             "-c:a aac -shortest '%s'",
             W, H, a, b, c, SIDE_A, SIDE_A, SIDE_B, SIDE_B, SIDE_C, SIDE_C, FRAMES, clip);
    if (system(cmd) != 0)
        fail_msg("could not make the test clip: %s", cmd);
}

static int setup(void **state)
{
    (void)state;
    cb_test_registry_paths(dir, sizeof dir, reg, sizeof reg, "test");
    make_clip();
    char o1[1024];
    /* (obama2.jpg, his head turned, is below enroll's quality) */
    cb_test_data_path("identities/obama/obama.jpg", o1, sizeof o1);
    RUN_OK("person", "add", "obama", "--name", "Barack", "--role", "other");
    RUN_OK("consent", "grant", "obama", "social", "--given-by", "self", "--from", "2026-01-01");
    RUN_OK("enroll", "obama", o1);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    cb_test_remove_tree(dir);
    return 0;
}

/* Standard deviation of the green channel over the central part of the
 * square: a face has detail, the background (noise +-10) has little. */
static double detail(const AVFrame *f, int x, int y, int side)
{
    int m = side / 5;
    double sum = 0, sq = 0;
    long n = 0;
    for (int yy = y + m; yy < y + side - m; yy++)
        for (int xx = x + m; xx < x + side - m; xx++) {
            double v = f->data[0][(size_t)yy * f->linesize[0] + 3 * xx + 1];
            sum += v;
            sq += v * v;
            n++;
        }
    return sqrt(sq / n - (sum / n) * (sum / n));
}

/* Mean absolute change over the central 60% of a side x side square at x, y. */
static double change(const AVFrame *a, const AVFrame *b, int x, int y, int side)
{
    int m = side / 5;
    double sum = 0;
    long n = 0;
    for (int yy = y + m; yy < y + side - m; yy++)
        for (int xx = x + m; xx < x + side - m; xx++) {
            if (xx < 0 || yy < 0 || xx >= a->width || yy >= a->height)
                continue;
            const uint8_t *p = a->data[0] + (size_t)yy * a->linesize[0] + 3 * xx;
            const uint8_t *q = b->data[0] + (size_t)yy * b->linesize[0] + 3 * xx;
            sum += abs(p[0] - q[0]) + abs(p[1] - q[1]) + abs(p[2] - q[2]);
            n++;
        }
    return n ? sum / (3.0 * n) : 0;
}

static cb_video_in *open_video(const char *path, cb_video_info *info)
{
    cb_video_in *v = NULL;
    cb_error err = {0};
    if (cb_video_in_open(path, 0, &v, info, &err) < 0)
        fail_msg("%s", err.msg);
    return v;
}

static void test_synthetic_clip(void **state)
{
    (void)state;
    char out_dir[512], out[1024];
    snprintf(out_dir, sizeof out_dir, "%s/out", dir);
    int rc = run_cli("process", clip, "-o", out_dir, "--purpose", "social", "--date",
                     "2026-11-26", "--json", NULL);
    printf("%s", out_buf);
    if (rc != 0)
        fail_msg("process: exit %d: %s", rc, err_buf);
    assert_non_null(strstr(out_buf, "\"kind\": \"video\""));
    assert_non_null(strstr(out_buf, "\"person\": {\"id\": \"obama\""));
    snprintf(out, sizeof out, "%s/clip.mp4", out_dir);
    /* Which frames show raj (from the input's pixels)? */
    int c_in[FRAMES + 16] = {0};
    cb_video_info ia, ib;
    cb_video_in *va = open_video(clip, &ia);
    cb_error err = {0};
    for (int k = 0; k < FRAMES + 16; k++) {
        AVFrame *f = NULL;
        if (cb_video_in_read(va, &f, &err) != 0)
            break;
        int cx, cy;
        pos_c(k, &cx, &cy);
        c_in[k] = detail(f, cx, cy, SIDE_C) > 20;
        av_frame_free(&f);
    }
    cb_video_in_close(va);
    va = open_video(clip, &ia);
    cb_video_in *vb = open_video(out, &ib);
    assert_int_equal(ib.width, W);
    assert_int_equal(ib.height, H);
    assert_int_equal(ib.audio_streams, 1);
    int n = 0, worst_b_frame = -1, worst_c_frame = -1, worst_a_frame = -1, c_frames = 0;
    double worst_a = 0, worst_b = 1e9, worst_c = 1e9;
    for (;; n++) {
        AVFrame *fa = NULL, *fb = NULL;
        int ra = cb_video_in_read(va, &fa, &err), rb = cb_video_in_read(vb, &fb, &err);
        assert_int_equal(ra, rb); /* same number of frames */
        if (ra != 0)
            break;
        /* Same timestamps (in seconds). */
        double ta = fa->pts * av_q2d(ia.time_base), tb = fb->pts * av_q2d(ib.time_base);
        if (fabs(ta - tb) > 0.001)
            fail_msg("frame %d: pts %.4f s in, %.4f s out", n, ta, tb);
        int x, y, cx, cy;
        pos_c(n, &cx, &cy);
        const int c_here = n < FRAMES && c_in[n];
        c_frames += c_here;
        /* Raj's redaction runs past his last appearance (the tracks'
         * extension: scan rounds + 2 frames, and 2 of smoothing): near that
         * time, count him as there for obama's check. */
        int c_near = 0;
        for (int k = n - 14; k <= n + 14; k++)
            c_near |= k >= 0 && k < FRAMES && c_in[k];
        pos_a(n, &x, &y);
        double ca = change(fa, fb, x, y, SIDE_A);
        /* Where raj is next to obama, raj's (larger) redaction region may
         * cover part of obama's face: redacting wins; skip those frames. */
        if (c_near && abs(x + SIDE_A / 2 - (cx + SIDE_C / 2)) < SIDE_A)
            ca = 0;
        pos_b(n, &x, &y);
        double cbv = change(fa, fb, x, y, SIDE_B);
        if (ca > worst_a) {
            worst_a = ca;
            worst_a_frame = n;
        }
        if (cbv < worst_b) {
            worst_b = cbv;
            worst_b_frame = n;
        }
        if (c_here) {
            double cc = change(fa, fb, cx, cy, SIDE_C);
            if (cc < worst_c) {
                worst_c = cc;
                worst_c_frame = n;
            }
        }
        av_frame_free(&fa);
        av_frame_free(&fb);
    }
    printf("%d frames; consenting face: largest change %.1f (frame %d); others: smallest change "
           "%.1f (frame %d), %.1f (frame %d of the %d with raj)\n",
           n, worst_a, worst_a_frame, worst_b, worst_b_frame, worst_c, worst_c_frame, c_frames);
    assert_int_equal(n, FRAMES);
    assert_true(c_frames >= 25 && c_frames <= 35);
    assert_true(worst_a < 6.0);  /* obama visible in every frame (re-encoding only) */
    assert_true(worst_b > 12.0); /* lin-manuel-miranda gone in every frame */
    assert_true(worst_c > 12.0); /* raj gone in every frame he is in */
    cb_video_in_close(va);
    cb_video_in_close(vb);
}

/* The same clip with `redact` (no registry): every face gone, obama too. */
static void test_redact_all(void **state)
{
    (void)state;
    char out_dir[512], out[1024];
    snprintf(out_dir, sizeof out_dir, "%s/out-all", dir);
    char *argv[] = {(char *)cb_test_cli_path(), "redact", clip, "-o", out_dir, NULL};
    assert_int_equal(cb_test_run(argv, out_buf, BUF, err_buf, BUF), 0);
    snprintf(out, sizeof out, "%s/clip.mp4", out_dir);
    cb_video_info ia, ib;
    cb_video_in *va = open_video(clip, &ia), *vb = open_video(out, &ib);
    cb_error err = {0};
    double least = 1e9;
    for (int n = 0;; n++) {
        AVFrame *fa = NULL, *fb = NULL;
        int ra = cb_video_in_read(va, &fa, &err), rb = cb_video_in_read(vb, &fb, &err);
        assert_int_equal(ra, rb);
        if (ra != 0)
            break;
        int x, y;
        pos_a(n, &x, &y);
        double c = change(fa, fb, x, y, SIDE_A);
        least = c < least ? c : least;
        av_frame_free(&fa);
        av_frame_free(&fb);
    }
    printf("obama with redact: smallest change %.1f\n", least);
    assert_true(least > 12.0);
    cb_video_in_close(va);
    cb_video_in_close(vb);
}

/* check on a video: exit 1 with one line per face that may not be shown. */
static void test_check_video(void **state)
{
    (void)state;
    assert_int_equal(run_cli("check", clip, "--purpose", "social", "--date", "2026-11-26", NULL),
                     1);
    assert_non_null(strstr(out_buf, "frames"));
    assert_non_null(strstr(out_buf, "unknown"));
    assert_null(strstr(out_buf, "obama"));
}

/* The number after `key` in buf (-1 when it is not there). */
static double json_number(const char *buf, const char *key)
{
    const char *p = strstr(buf, key);
    return p ? atof(p + strlen(key)) : -1;
}

/* Progress: with -v, per video the analysis's frames and rate, then the
 * whole job's frames and rate (not a terminal: lines); --json has the rate
 * too. Without -v, stderr stays quiet. */
static void test_progress(void **state)
{
    (void)state;
    char out_dir[512];
    snprintf(out_dir, sizeof out_dir, "%s/out-progress", dir);
    RUN_OK("-v", "process", clip, "-o", out_dir, "--purpose", "social", "--date", "2026-11-26",
           "--json", "--force");
    printf("%s", err_buf);
    /* The line when the analysis is complete, and the one at the end. */
    assert_non_null(strstr(err_buf, "clip.mp4: analyse 60/60 frames, "));
    assert_non_null(strstr(err_buf, " fps, 50%, "));
    assert_non_null(strstr(err_buf, "clip.mp4: 60 frames in "));
    assert_true(json_number(out_buf, "\"fps\": ") > 0);
    assert_true(json_number(out_buf, "\"seconds\": ") > 0);
    /* `check` analyses only: one pass, its end line. */
    assert_int_equal(run_cli("-v", "check", clip, "--purpose", "social", "--date", "2026-11-26",
                             NULL),
                     1);
    assert_non_null(strstr(err_buf, "clip.mp4: 60 frames in "));
    assert_null(strstr(err_buf, "render"));
    /* Quiet without -v. */
    RUN_OK("process", clip, "-o", out_dir, "--purpose", "social", "--force");
    assert_null(strstr(err_buf, "frames"));
    /* Videos scan with the fast detector (UltraFace alone; photos add
     * BlazeFace's finest level), and the run records say so. */
    RUN_OK("runs", "list", "--json");
    assert_non_null(strstr(out_buf, "\"detector:ultraface\""));
    assert_null(strstr(out_buf, "\"detector:blazeface\""));
}

/* The real clips of the test data: processed, same frame count, audio kept. */
static void test_real_clips(void **state)
{
    (void)state;
    static const char *const clips[] = {"video/hamilton-short.mp4", "video/bbt-short.mp4"};
    for (size_t i = 0; i < sizeof clips / sizeof clips[0]; i++) {
        char in[1024], out_dir[512], out[1024];
        cb_test_data_path(clips[i], in, sizeof in);
        snprintf(out_dir, sizeof out_dir, "%s/real", dir);
        /* Larger faces only, every other frame: this checks the plumbing
         * (frames, timestamps, audio), not the detector, and stays quick. */
        int rc = run_cli("process", in, "-o", out_dir, "--purpose", "social", "--json",
                         "--min-face", "40", "--detect-every", "2", NULL);
        if (rc != 0)
            fail_msg("%s: exit %d: %s", clips[i], rc, err_buf);
        snprintf(out, sizeof out, "%s/%s", out_dir, strrchr(clips[i], '/') + 1);
        cb_video_info ia, ib;
        cb_video_in *va = open_video(in, &ia), *vb = open_video(out, &ib);
        int na = 0, nb = 0;
        cb_error err = {0};
        for (AVFrame *f = NULL; cb_video_in_read(va, &f, &err) == 0; na++)
            av_frame_free(&f);
        for (AVFrame *f = NULL; cb_video_in_read(vb, &f, &err) == 0; nb++)
            av_frame_free(&f);
        printf("%s: %d frames in, %d out, %d audio stream(s) in, %d out\n", clips[i], na, nb,
               ia.audio_streams, ib.audio_streams);
        assert_int_equal(na, nb);
        assert_int_equal(ia.audio_streams, ib.audio_streams);
        /* Nobody in these clips is enrolled: nothing kept; Hamilton has
         * several people in view, so some face tracks were redacted. */
        assert_null(strstr(out_buf, "\"action\": \"kept\""));
        const char *summary = strstr(out_buf, "\"summary\"");
        assert_non_null(summary);
        int redacted = -1;
        assert_non_null(strstr(summary, "\"faces_redacted\": "));
        sscanf(strstr(summary, "\"faces_redacted\": "), "\"faces_redacted\": %d", &redacted);
        if (i == 0)
            assert_true(redacted > 0);
        cb_video_in_close(va);
        cb_video_in_close(vb);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_synthetic_clip),
        cmocka_unit_test(test_redact_all),
        cmocka_unit_test(test_check_video),
        cmocka_unit_test(test_progress),
        cmocka_unit_test(test_real_clips),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

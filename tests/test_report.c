/*
 * test_report.c - the HTML report (pipeline/report.h) built from real
 * results: three photos of the test data (one copied to a name full of
 * HTML's special characters) and a short clip, processed with the real
 * detector and every face redacted; a `check` card with a kept face; a
 * failure named <&"'>. Then:
 *  - the file: one self-contained UTF-8 HTML page, nothing external, the
 *    names escaped (never raw), the counts, one data: JPEG per photo and
 *    three per video, no temporary file left;
 *  - the thumbnails show the OUTPUT: each decodes (base64 -> JPEG through
 *    FFmpeg) and inside every face the detector found it matches the
 *    redacted output scaled down, not the input scaled down; and a card
 *    whose "output" is a flat grey picture gets a flat grey thumbnail;
 *  - behaviour: close without finish writes nothing, finish replaces an
 *    older report, a missing output gives a card without preview;
 *  - headless Chromium renders it (1280 px wide, not blank, green "kept"
 *    badges visible). Chromium missing fails the test: apt-get install
 *    chromium (`make deps` does).
 */
#include <dirent.h>
#include <math.h>
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
#include <libavutil/log.h>

#include "models/cv_bridge.h"
#include "pipeline/media_out.h"
#include "pipeline/photo.h"
#include "pipeline/report.h"
#include "pipeline/video.h"
#include "test_support.h"

#define NASTY "<&\"'>"
#define NASTY_ESCAPED "&lt;&amp;&quot;&#39;&gt;"

enum { N_PHOTOS = 3, VIDEO_THUMBS = 3 };

typedef struct fixture {
    char dir[256];
    char html[512];
    char in[N_PHOTOS][1024], out[N_PHOTOS][1024];
    cb_photo_result res[N_PHOTOS];
    char video_out[600];
    char *text; /* the report */
} fixture;

static fixture *g; /* the group's shared state: the report is built once */

static void copy_file(const char *from, const char *to)
{
    size_t len = 0;
    FILE *in = fopen(from, "rb");
    FILE *out = fopen(to, "wb");
    assert_non_null(in);
    assert_non_null(out);
    char buf[65536];
    while ((len = fread(buf, 1, sizeof buf, in)) > 0)
        assert_int_equal(fwrite(buf, 1, len, out), len);
    fclose(in);
    assert_int_equal(fclose(out), 0);
}

static int count_of(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* Files in dir whose names start with '.'. */
static int hidden_files(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        if (e->d_name[0] == '.' && strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

/* A check card: no output; one face kept, one redacted (consent withdrawn). */
static cb_face check_faces[2] = {{.x = 10, .y = 10, .w = 50, .h = 50, .score = 0.9f},
                                 {.x = 100, .y = 10, .w = 50, .h = 50, .score = 0.9f}};
static cb_verdict check_verdicts[2];

static void make_check_result(cb_photo_result *res)
{
    memset(res, 0, sizeof *res);
    memset(check_verdicts, 0, sizeof check_verdicts);
    check_verdicts[0].keep = 1;
    check_verdicts[0].reason = CB_REASON_CONSENT;
    strcpy(check_verdicts[0].name, "Sanne de Vries");
    strcpy(check_verdicts[0].external_id, "P1007");
    check_verdicts[1].reason = CB_REASON_WITHDRAWN;
    strcpy(check_verdicts[1].external_id, "P1008");
    strcpy(check_verdicts[1].detail, "P1008's consent for social withdrawn on 2026-11-02");
    res->faces.faces = check_faces;
    res->faces.count = 2;
    res->verdicts = check_verdicts;
    res->kept = 1;
    res->redacted = 1;
}

static int group_setup(void **state)
{
    static fixture f;
    static const char *const photos[N_PHOTOS] = {"groups/bbt2.jpg", "groups/bbt3.jpg",
                                                 "groups/two_people.jpg"};
    cb_error err = {0};
    memset(&f, 0, sizeof f);
    g = &f;
    cb_test_make_temp_dir(f.dir, sizeof f.dir);
    char sub[600];
    snprintf(sub, sizeof sub, "%s/in", f.dir);
    mkdir(sub, 0700);
    snprintf(sub, sizeof sub, "%s/out", f.dir);
    mkdir(sub, 0700);
    snprintf(f.html, sizeof f.html, "%s/out/report.html", f.dir);

    cb_detector *det = cb_test_open_detector(NULL);
    cb_photo_opts opts;
    cb_photo_opts_default(&opts);
    cb_report *r = NULL;
    cb_report_info info = {.title = "School trip " NASTY, .command = "process",
                           .purpose = "social", .date = "2026-11-20"};
    if (cb_report_open(f.html, &info, &r, &err) < 0)
        fail_msg("report open: %s", err.msg);
    cb_photo_result check;
    make_check_result(&check);
    if (cb_report_add_photo(r, "album/check me.jpg", NULL, &check, &err) != 0)
        fail_msg("add check: %s", err.msg);

    for (int i = 0; i < N_PHOTOS; i++) {
        char src[1024];
        cb_test_data_path(photos[i], src, sizeof src);
        if (i == 0) { /* a name with HTML's special characters */
            snprintf(f.in[i], sizeof f.in[i], "%s/in/" NASTY " trip.jpg", f.dir);
            copy_file(src, f.in[i]);
            snprintf(f.out[i], sizeof f.out[i], "%s/out/" NASTY " trip.jpg", f.dir);
        } else {
            snprintf(f.in[i], sizeof f.in[i], "%s", src);
            snprintf(f.out[i], sizeof f.out[i], "%s/out/photo%d.jpg", f.dir, i);
        }
        if (cb_photo_process(det, NULL, f.in[i], f.out[i], &opts, &f.res[i], &err) < 0)
            fail_msg("process %s: %s", f.in[i], err.msg);
        assert_true(f.res[i].faces.count >= 2);
        if (cb_report_add_photo(r, f.in[i], f.out[i], &f.res[i], &err) != 0)
            fail_msg("add %s: %s", f.in[i], err.msg);
    }

    char clip[1024];
    cb_test_data_path("video/bbt-short.mp4", clip, sizeof clip);
    snprintf(f.video_out, sizeof f.video_out, "%s/out/clip.mp4", f.dir);
    cb_video_opts vopts;
    cb_video_opts_default(&vopts);
    cb_video_result vres = {0};
    if (cb_video_process(det, NULL, clip, f.video_out, &vopts, &vres, &err) < 0)
        fail_msg("video: %s", err.msg);
    if (cb_report_add_video(r, clip, f.video_out, &vres, &err) != 0)
        fail_msg("add video: %s", err.msg);
    cb_video_result_free(&vres);

    if (cb_report_add_failure(r, "album/" NASTY ".jpg", "cannot decode: " NASTY, &err) < 0)
        fail_msg("add failure: %s", err.msg);
    assert_int_equal(hidden_files(sub), 2); /* the card files, while building */
    if (cb_report_finish(r, &err) < 0)
        fail_msg("finish: %s", err.msg);
    assert_int_equal(cb_report_add_failure(r, "late.jpg", "x", &err), CB_EINVAL);
    assert_int_equal(cb_report_finish(r, &err), CB_EINVAL);
    cb_report_close(r);
    cb_detector_close(det);
    assert_int_equal(hidden_files(sub), 0);
    f.text = cb_test_read_text(f.html, NULL);
    assert_non_null(f.text);
    *state = &f;
    return 0;
}

static int group_teardown(void **state)
{
    fixture *f = *state;
    for (int i = 0; i < N_PHOTOS; i++)
        cb_photo_result_free(&f->res[i]);
    free(f->text);
    cb_test_remove_tree(f->dir);
    return 0;
}

/* ---- the file ------------------------------------------------------------------ */

static void test_html(void **state)
{
    fixture *f = *state;
    const char *t = f->text;
    size_t len = strlen(t);
    assert_true(strncmp(t, "<!DOCTYPE html>\n<html lang=\"en\">", 31) == 0);
    assert_string_equal(t + len - 8, "</html>\n");
    assert_non_null(strstr(t, "<meta charset=\"utf-8\">"));
    assert_int_equal(count_of(t, "<body>"), 1);
    assert_int_equal(count_of(t, "</body>"), 1);
    assert_int_equal(count_of(t, "<article "), count_of(t, "</article>"));
    assert_int_equal(count_of(t, "<article "), 1 + N_PHOTOS + 1);
    /* Self-contained: nothing fetched, no script. */
    assert_null(strstr(t, "http://"));
    assert_null(strstr(t, "https://"));
    assert_null(strstr(t, "<script"));
    assert_null(strstr(t, "<link"));
    assert_null(strstr(t, "url("));
    /* Escaped names, never raw. */
    assert_null(strstr(t, NASTY));
    assert_null(strstr(t, "<&"));
    assert_non_null(strstr(t, "<title>School trip " NASTY_ESCAPED "</title>"));
    assert_non_null(strstr(t, ">" NASTY_ESCAPED " trip.jpg</h2>"));
    assert_non_null(strstr(t, "&rarr; " NASTY_ESCAPED " trip.jpg</p>"));
    assert_non_null(strstr(t, "<b title=\"album/" NASTY_ESCAPED ".jpg\">" NASTY_ESCAPED
                              ".jpg</b>: cannot decode: " NASTY_ESCAPED "</li>"));
    /* Header and badges. */
    assert_non_null(strstr(t, "purpose: <b>social</b>"));
    assert_non_null(strstr(t, "<b>2026-11-20</b>"));
    int faces = 1; /* the check card's redacted one */
    for (int i = 0; i < N_PHOTOS; i++)
        faces += f->res[i].faces.count;
    char want[128];
    snprintf(want, sizeof want, "<li><b>%d</b>files</li>", 1 + N_PHOTOS + 1 + 1);
    assert_non_null(strstr(t, want));
    assert_non_null(strstr(t, "<li><b>1</b>faces kept</li>"));
    assert_non_null(strstr(t, "<li><b>1</b>failures</li>"));
    assert_non_null(strstr(t, "<li class=\"b kept\">kept: Sanne de Vries (P1007) - social</li>"));
    assert_non_null(strstr(t, "<li class=\"b nocons\">redacted: withdrawn - P1008&#39;s consent "
                              "for social withdrawn on 2026-11-02</li>"));
    assert_non_null(strstr(t, "<li class=\"b anon\">redacted: redact-all"));
    snprintf(want, sizeof want, "<p class=\"sum\">%d faces: 0 kept, %d redacted</p>",
             f->res[1].faces.count, f->res[1].faces.count);
    assert_non_null(strstr(t, want));
    snprintf(want, sizeof want, "&times; %d</span>", f->res[1].faces.count);
    assert_non_null(strstr(t, want));
    assert_non_null(strstr(t, "no output written (check)"));
    assert_non_null(strstr(t, "face track"));
    (void)faces;
    /* Thumbnails: one per photo with an output, three for the video. */
    assert_int_equal(count_of(t, "data:image/jpeg;base64,"), N_PHOTOS + VIDEO_THUMBS);
    assert_int_equal(count_of(t, "<img "), N_PHOTOS + VIDEO_THUMBS);
    /* Only ASCII here: the arrow, the times sign and the dots are entities,
     * and every name in this report is ASCII. */
    for (size_t i = 0; i < len; i++)
        assert_true((unsigned char)t[i] < 0x80);
    struct stat st;
    assert_int_equal(stat(f->html, &st), 0);
    assert_true(st.st_size < 2 * 1024 * 1024);
}

/* ---- the thumbnails ------------------------------------------------------------- */

static int b64_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

/* Decode the base64 data at p (up to the closing quote) into a file and
 * read it with FFmpeg; the picture's declared size must match. */
static AVFrame *decode_thumbnail(const fixture *f, const char *p, int k)
{
    const char *end = strchr(p, '"');
    assert_non_null(end);
    size_t n = (size_t)(end - p);
    assert_int_equal(n % 4, 0);
    uint8_t *bytes = malloc(n / 4 * 3);
    assert_non_null(bytes);
    size_t o = 0;
    for (size_t i = 0; i < n; i += 4) {
        int v[4];
        for (int j = 0; j < 4; j++) {
            v[j] = p[i + j] == '=' ? 0 : b64_value(p[i + j]);
            assert_true(v[j] >= 0);
        }
        uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 |
                     (uint32_t)v[3];
        bytes[o++] = (uint8_t)(w >> 16);
        if (p[i + 2] != '=')
            bytes[o++] = (uint8_t)(w >> 8);
        if (p[i + 3] != '=')
            bytes[o++] = (uint8_t)w;
    }
    assert_true(o > 100);
    assert_int_equal(bytes[0], 0xff); /* JPEG SOI */
    assert_int_equal(bytes[1], 0xd8);
    char path[700];
    snprintf(path, sizeof path, "%s/thumb%d.jpg", f->dir, k);
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(bytes, 1, o, fp), o);
    fclose(fp);
    free(bytes);
    return cb_test_read_image(path);
}

static AVFrame *scaled(const AVFrame *src, int w, int h)
{
    AVFrame *dst = cb_test_new_frame(AV_PIX_FMT_BGR24, w, h);
    cb_error err = {0};
    if (cb_cv_resize(src->data[0], src->width, src->height, src->linesize[0], dst->data[0],
                         w, h, dst->linesize[0], 3, &err) < 0)
        fail_msg("resize: %s", err.msg);
    return dst;
}

/* Mean absolute difference of a and b (same size) over the central 60% of
 * the face box, given in full-size pixels (scale s to thumbnail pixels). */
static double face_diff(const AVFrame *a, const AVFrame *b, const cb_face *face, double s)
{
    int x0 = (int)((face->x + 0.2 * face->w) * s), x1 = (int)((face->x + 0.8 * face->w) * s);
    int y0 = (int)((face->y + 0.2 * face->h) * s), y1 = (int)((face->y + 0.8 * face->h) * s);
    double sum = 0;
    long n = 0;
    for (int y = y0; y < y1 && y < a->height; y++)
        for (int x = x0; x < x1 && x < a->width; x++)
            for (int c = 0; c < 3; c++, n++)
                sum += fabs((double)a->data[0][y * a->linesize[0] + 3 * x + c] -
                            (double)b->data[0][y * b->linesize[0] + 3 * x + c]);
    assert_true(n > 0);
    return sum / (double)n;
}

static void test_thumbnails_show_the_output(void **state)
{
    fixture *f = *state;
    const char *p = f->text;
    const char *tag = "data:image/jpeg;base64,";
    int measured = 0; /* faces whose redaction shows in the thumbnail */
    for (int i = 0; i < N_PHOTOS; i++) {
        p = strstr(p, tag);
        assert_non_null(p);
        p += strlen(tag);
        AVFrame *thumb = decode_thumbnail(f, p, i);
        AVFrame *in = cb_test_read_image(f->in[i]);
        AVFrame *out = cb_test_read_image(f->out[i]);
        /* At most 360 px on the long side, the output's proportions. */
        int side = thumb->width > thumb->height ? thumb->width : thumb->height;
        assert_true(side <= 360);
        assert_true(side >= 300 || side == (in->width > in->height ? in->width : in->height));
        assert_true(abs(thumb->width * out->height - thumb->height * out->width) <=
                    out->width + out->height);
        AVFrame *in_s = scaled(in, thumb->width, thumb->height);
        AVFrame *out_s = scaled(out, thumb->width, thumb->height);
        double s = (double)thumb->width / in->width;
        for (int k = 0; k < f->res[i].faces.count; k++) {
            const cb_face *face = &f->res[i].faces.faces[k];
            assert_false(f->res[i].verdicts[k].keep);
            if (face->w * s < 8)
                continue; /* too small in the thumbnail to measure */
            /* A false detection on a plain patch (a sleeve) changes too little
             * when blurred to tell input from output at thumbnail size. */
            if (face_diff(in_s, out_s, face, s) < 12.0)
                continue;
            measured++;
            double d_in = face_diff(thumb, in_s, face, s);
            double d_out = face_diff(thumb, out_s, face, s);
            if (getenv("CB_TEST_VERBOSE"))
                print_message("%s face %d (%.0f px): vs input %.1f, vs output %.1f\n",
                              f->in[i], k, face->w * s, d_in, d_out);
            if (!(d_in > 12.0 && d_in > 2.5 * d_out && d_out < 10.0))
                fail_msg("%s face %d: thumbnail vs input %.1f, vs output %.1f: the thumbnail "
                         "does not show the redacted output",
                         f->in[i], k, d_in, d_out);
        }
        av_frame_free(&thumb);
        av_frame_free(&in);
        av_frame_free(&out);
        av_frame_free(&in_s);
        av_frame_free(&out_s);
    }
    assert_true(measured >= 5); /* the real faces of the three photos */
    /* The video's strip: three frames of at most 240 px. */
    for (int i = 0; i < VIDEO_THUMBS; i++) {
        p = strstr(p, tag);
        assert_non_null(p);
        p += strlen(tag);
        AVFrame *thumb = decode_thumbnail(f, p, 10 + i);
        assert_true(thumb->width <= 240 && thumb->height <= 240);
        assert_true(thumb->width == 240 || thumb->height == 240);
        av_frame_free(&thumb);
    }
    assert_null(strstr(p, tag));
}

/* A thumbnail is made from the output file only: point a card at a flat
 * grey "output" and the thumbnail is flat grey, whatever the input held. */
static void test_thumbnail_from_output_only(void **state)
{
    fixture *f = *state;
    char grey[700], html[700];
    cb_error err = {0};
    snprintf(grey, sizeof grey, "%s/grey.png", f->dir);
    snprintf(html, sizeof html, "%s/grey.html", f->dir);
    AVFrame *in = cb_test_read_image(f->in[1]);
    AVFrame *flat = cb_test_new_frame(AV_PIX_FMT_BGR24, in->width, in->height);
    for (int y = 0; y < flat->height; y++)
        memset(flat->data[0] + y * flat->linesize[0], 128, (size_t)flat->width * 3);
    cb_image_write_opts wo = {.codec_id = AV_CODEC_ID_PNG};
    assert_int_equal(cb_image_write(grey, flat, &wo, &err), 0);
    cb_report *r = NULL;
    cb_report_info info = {.command = "redact"};
    assert_int_equal(cb_report_open(html, &info, &r, &err), 0);
    assert_int_equal(cb_report_add_photo(r, f->in[1], grey, &f->res[1], &err), 0);
    assert_int_equal(cb_report_finish(r, &err), 0);
    cb_report_close(r);
    char *t = cb_test_read_text(html, NULL);
    assert_non_null(t);
    assert_non_null(strstr(t, "<title>consentblur report</title>"));
    assert_non_null(strstr(t, "no purpose: <b>every face redacted</b>"));
    const char *p = strstr(t, "data:image/jpeg;base64,");
    assert_non_null(p);
    AVFrame *thumb = decode_thumbnail(f, p + strlen("data:image/jpeg;base64,"), 99);
    for (int y = 0; y < thumb->height; y++)
        for (int x = 0; x < thumb->width * 3; x++)
            assert_true(abs(thumb->data[0][y * thumb->linesize[0] + x] - 128) <= 3);
    av_frame_free(&thumb);
    av_frame_free(&flat);
    av_frame_free(&in);
    free(t);
}

/* ---- behaviour ------------------------------------------------------------------- */

static void test_finish_and_close(void **state)
{
    fixture *f = *state;
    char sub[700], html[800];
    cb_error err = {0};
    cb_report *r = NULL;
    cb_report_info info = {.title = "t"};
    snprintf(sub, sizeof sub, "%s/finish", f->dir);
    mkdir(sub, 0700);
    snprintf(html, sizeof html, "%s/report.html", sub);

    /* Close without finish: nothing written, no temporary file left. */
    assert_int_equal(cb_report_open(html, &info, &r, &err), 0);
    assert_int_equal(cb_report_add_failure(r, "a.jpg", "broken", &err), 0);
    cb_report_close(r);
    cb_report_close(NULL);
    assert_int_equal(access(html, F_OK), -1);
    assert_int_equal(hidden_files(sub), 0);

    /* Finish replaces an older report. */
    FILE *fp = fopen(html, "w");
    fputs("old report", fp);
    fclose(fp);
    assert_int_equal(cb_report_open(html, &info, &r, &err), 0);
    /* An output that cannot be read: the card comes without preview (1). */
    char missing[800];
    snprintf(missing, sizeof missing, "%s/missing.jpg", sub);
    assert_int_equal(cb_report_add_photo(r, f->in[1], missing, &f->res[1], &err), 1);
    assert_non_null(strstr(err.msg, "missing.jpg"));
    cb_video_result vres = {0};
    assert_int_equal(cb_report_add_video(r, "clip.mp4", NULL, &vres, &err), 0);
    assert_int_equal(cb_report_add_photo(r, "x.jpg", "y.jpg", NULL, &err), CB_EINVAL);
    assert_int_equal(cb_report_add_failure(NULL, "x", "y", &err), CB_EINVAL);
    assert_int_equal(cb_report_finish(r, &err), 0);
    cb_report_close(r);
    char *t = cb_test_read_text(html, NULL);
    assert_non_null(t);
    assert_non_null(strstr(t, "<!DOCTYPE html>"));
    assert_non_null(strstr(t, "no preview: "));
    assert_null(strstr(t, "data:image"));
    assert_non_null(strstr(t, "0 face tracks: 0 kept, 0 redacted"));
    free(t);
    assert_int_equal(hidden_files(sub), 0);

    /* Bad arguments. */
    assert_int_equal(cb_report_open(NULL, &info, &r, &err), CB_EINVAL);
    assert_null(r);
    snprintf(html, sizeof html, "%s/no/such/folder/r.html", sub);
    assert_true(cb_report_open(html, &info, &r, &err) < 0);
    assert_null(r);
}

/* ---- rendered by a browser --------------------------------------------------------- */

/* The chromium binary on PATH, or NULL. */
static const char *find_chromium(char *out, size_t size)
{
    static const char *const names[] = {"chromium", "chromium-browser"};
    const char *path = getenv("PATH");
    for (int k = 0; k < 2; k++) {
        const char *p = path ? path : "/usr/bin:/bin";
        while (*p) {
            const char *colon = strchr(p, ':');
            size_t n = colon ? (size_t)(colon - p) : strlen(p);
            snprintf(out, size, "%.*s/%s", (int)n, p, names[k]);
            if (n > 0 && access(out, X_OK) == 0)
                return out;
            p += n + (colon ? 1 : 0);
        }
    }
    return NULL;
}

static void test_chromium_screenshot(void **state)
{
    fixture *f = *state;
    char chromium[1024], profile[700], png[700], url[800], shot[800];
    if (!find_chromium(chromium, sizeof chromium))
        fail_msg("chromium not found on PATH: the report's rendering test needs it; install "
                 "it with `apt-get install chromium` (`make deps` / `make test` do)");
    snprintf(profile, sizeof profile, "%s/chromium-profile", f->dir);
    snprintf(png, sizeof png, "%s/shot.png", f->dir);
    snprintf(shot, sizeof shot, "--screenshot=%s", png);
    snprintf(url, sizeof url, "file://%s", f->html);
    char user_dir[800];
    snprintf(user_dir, sizeof user_dir, "--user-data-dir=%s", profile);
    char *argv[] = {"timeout", "120", chromium, "--headless", "--no-sandbox", "--disable-gpu",
                    "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", user_dir, shot,
                    "--window-size=1280,2000", "--hide-scrollbars", url, NULL};
    static char out[65536], err[65536];
    int rc = cb_test_run(argv, out, sizeof out, err, sizeof err);
    if (rc != 0 || access(png, F_OK) != 0)
        fail_msg("chromium exit %d, screenshot %s\n%s%s", rc,
                 access(png, F_OK) == 0 ? "made" : "missing", out, err);
    const char *keep = getenv("CB_TEST_KEEP"); /* a folder to keep the report and shot in */
    if (keep && *keep) {
        char to[1024];
        snprintf(to, sizeof to, "%s/report.html", keep);
        copy_file(f->html, to);
        snprintf(to, sizeof to, "%s/report.png", keep);
        copy_file(png, to);
    }
    AVFrame *img = cb_test_read_image(png);
    assert_int_equal(img->width, 1280);
    assert_true(img->height >= 1000);
    /* Not blank: the pixel values vary; and the green "kept" badge is there. */
    double sum = 0, sum2 = 0;
    long n = 0, green = 0;
    for (int y = 0; y < img->height; y++) {
        const uint8_t *row = img->data[0] + y * img->linesize[0];
        for (int x = 0; x < img->width; x++, n++) {
            int b = row[3 * x], gg = row[3 * x + 1], r = row[3 * x + 2];
            double l = 0.114 * b + 0.587 * gg + 0.299 * r;
            sum += l;
            sum2 += l * l;
            if (abs(r - 0x1e) <= 12 && abs(gg - 0x7e) <= 12 && abs(b - 0x34) <= 12)
                green++;
        }
    }
    double mean = sum / (double)n, var = sum2 / (double)n - mean * mean;
    if (getenv("CB_TEST_VERBOSE"))
        print_message("screenshot %dx%d: luma variance %.1f, %ld green pixels\n", img->width,
                      img->height, var, green);
    if (var < 200.0 || green < 300)
        fail_msg("screenshot looks blank: luma variance %.1f, %ld green badge pixels", var,
                 green);
    av_frame_free(&img);
}

int main(void)
{
    av_log_set_level(AV_LOG_ERROR); /* not x264's statistics */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_html),
        cmocka_unit_test(test_thumbnails_show_the_output),
        cmocka_unit_test(test_thumbnail_from_output_only),
        cmocka_unit_test(test_finish_and_close),
        cmocka_unit_test(test_chromium_screenshot),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

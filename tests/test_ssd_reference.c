/*
 * test_ssd_reference.c - the converted SSD MobileNetV1 face detector
 * (models/ssd_mobilenetv1.onnx, run through OpenCV by models/cv_bridge) gives
 * the same scores and boxes as face-api's original TensorFlow.js network.
 *
 * The reference is tests/fixtures/ssd_reference.json, written by
 * models/reference/gen_ssd_reference.sh (Node, @vladmandic/face-api 1.7.15,
 * tfjs cpu backend). For each image it records the sha256 of the network
 * input, which both sides make with the same ffmpeg command:
 *   ffmpeg -v error -i IMAGE -vf scale=512:512:flags=bilinear -pix_fmt rgb24 -f rawvideo -
 * and the 20 anchors with the highest scores: index, score and decoded box.
 *
 * Needs: the ffmpeg CLI, the test photos ($CB_TESTDATA), the model
 * ($CONSENTBLUR_MODELS or the build's default model folder). Missing any of
 * them fails the test.
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
#include <time.h>

#include <cmocka.h>

#include "common/cb_error.h"
#include "models/cv_bridge.h"
#include "test_support.h"

#ifndef CB_DEFAULT_MODEL_DIR
#define CB_DEFAULT_MODEL_DIR ".cache/models"
#endif

#define FIXTURE CB_SOURCE_DIR "/tests/fixtures/ssd_reference.json"
#define MODEL_FILE "ssd_mobilenetv1.onnx"
#define SIZE 512
#define N_ANCHORS 5118
#define TOP_MAX 32
#define MAX_IMAGES 16

/* Tolerances against the TensorFlow.js reference. The conversion is exact up
 * to float rounding (measured differences are around 1e-6); these leave room
 * for other OpenCV builds and CPUs without hiding a real conversion error. */
#define SCORE_TOL 0.01
#define BOX_TOL 0.005

typedef struct ref_image {
    char path[256];
    char sha256[65];
    int n;
    double max_score;
    int n_top;
    int top_index[TOP_MAX];
    double top_score[TOP_MAX];
    double top_box[TOP_MAX][4];
} ref_image;

typedef struct ctx {
    int loaded;
    ref_image images[MAX_IMAGES];
    int n_images;
    cb_cv_net *net;
} ctx;

/* ---- the fixture: a fixed JSON layout written by faceapi_reference.mjs ---- */

/* "top": [[index, score, ymin, xmin, ymax, xmax], ...] */
static void parse_top(const char *p, const char *end, ref_image *im)
{
    const char *v = cb_test_json_after_key(p, end, "top");
    if (!v || *v != '[')
        fail_msg("%s: no \"top\" array for %s", FIXTURE, im->path);
    v++;
    im->n_top = 0;
    for (;;) {
        while (*v == ' ' || *v == '\n' || *v == ',' || *v == '\r' || *v == '\t')
            v++;
        if (*v == ']')
            break;
        if (*v != '[' || im->n_top >= TOP_MAX)
            fail_msg("%s: bad \"top\" entry for %s", FIXTURE, im->path);
        v++;
        double vals[6];
        for (int k = 0; k < 6; k++) {
            while (*v == ' ' || *v == ',')
                v++;
            char *stop;
            vals[k] = strtod(v, &stop);
            if (stop == v)
                fail_msg("%s: bad number in \"top\" of %s", FIXTURE, im->path);
            v = stop;
        }
        while (*v == ' ')
            v++;
        if (*v != ']')
            fail_msg("%s: \"top\" entry of %s has more than 6 numbers", FIXTURE, im->path);
        v++;
        int t = im->n_top++;
        im->top_index[t] = (int)vals[0];
        im->top_score[t] = vals[1];
        for (int k = 0; k < 4; k++)
            im->top_box[t][k] = vals[2 + k];
    }
}

static void load_fixture(ctx *c)
{
    size_t len = 0;
    char *text = cb_test_read_text(FIXTURE, &len);
    if (!text)
        fail_msg("cannot read %s (regenerate with models/reference/gen_ssd_reference.sh)",
                 FIXTURE);
    const char *end = text + len;
    const char *p = text, *obj_end;
    c->n_images = 0;
    for (; (p = cb_test_json_next_record(p, end, &obj_end)) != NULL; p = obj_end) {
        if (c->n_images >= MAX_IMAGES)
            fail_msg("%s: more than %d images", FIXTURE, MAX_IMAGES);
        ref_image *im = &c->images[c->n_images++];
        cb_test_json_string(FIXTURE, p, obj_end, "path", im->path, sizeof im->path);
        cb_test_json_string(FIXTURE, p, obj_end, "rgb_sha256", im->sha256, sizeof im->sha256);
        im->n = (int)cb_test_json_number(FIXTURE, p, obj_end, "n");
        im->max_score = cb_test_json_number(FIXTURE, p, obj_end, "max_score");
        parse_top(p, obj_end, im);
    }
    free(text);
    if (c->n_images < 3)
        fail_msg("%s: expected at least 3 images, found %d", FIXTURE, c->n_images);
}

/* ---- test set-up ---------------------------------------------------------- */

static void ensure_loaded(ctx *c)
{
    if (c->loaded)
        return;
    load_fixture(c);
    const char *dir = getenv("CONSENTBLUR_MODELS");
    if (!dir || !*dir)
        dir = CB_DEFAULT_MODEL_DIR;
    char model[1024];
    snprintf(model, sizeof model, "%s/%s", dir, MODEL_FILE);
    struct stat st;
    if (stat(model, &st) != 0)
        fail_msg("model %s is missing (run `make models`, or set CONSENTBLUR_MODELS)", model);
    cb_error err = {0};
    if (cb_cv_net_open(model, &c->net, &err) != 0)
        fail_msg("cb_cv_net_open(%s): %s", model, err.msg);
    c->loaded = 1;
}

static int group_setup(void **state) { return cb_test_alloc_state(state, sizeof(ctx)); }

static int group_teardown(void **state)
{
    ctx *c = *state;
    if (c)
        cb_cv_net_close(c->net);
    free(c);
    return 0;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void check_image(void **state, int index)
{
    ctx *c = *state;
    ensure_loaded(c);
    if (index >= c->n_images)
        return; /* the fixture has fewer images than test slots */
    const ref_image *im = &c->images[index];

    /* 512x512 RGB bytes of the photo, made exactly as the reference made them */
    uint8_t *rgb = cb_test_reference_rgb(im->path, SIZE, SIZE, im->sha256);

    /* NCHW float, normalised as the ONNX contract says: x * (1/127.5) - 1 */
    float *x = malloc(sizeof(float) * 3 * SIZE * SIZE);
    assert_non_null(x);
    for (int ch = 0; ch < 3; ch++)
        for (int i = 0; i < SIZE * SIZE; i++)
            x[(size_t)ch * SIZE * SIZE + i] = rgb[(size_t)i * 3 + ch] * 0.007843137718737125f - 1.0f;
    free(rgb);

    const int shape[4] = {1, 3, SIZE, SIZE};
    const char *const names[2] = {"boxes", "scores"};
    cb_tensor out[2];
    memset(out, 0, sizeof out);
    cb_error err = {0};
    double t0 = now_ms();
    int rc = cb_cv_net_forward(c->net, x, shape, 4, 2, names, out, &err);
    double t1 = now_ms();
    free(x);
    if (rc != 0)
        fail_msg("%s: forward failed: %s", im->path, err.msg);

    assert_int_equal(out[0].count, (size_t)N_ANCHORS * 4);
    assert_int_equal(out[1].count, (size_t)N_ANCHORS);
    assert_int_equal(im->n, N_ANCHORS);
    const float *boxes = out[0].data, *scores = out[1].data;

    double max_score = 0.0;
    for (int i = 0; i < N_ANCHORS; i++)
        if (scores[i] > max_score)
            max_score = scores[i];

    double max_ds = fabs(max_score - im->max_score), max_db = 0.0;
    int bad = 0;
    for (int t = 0; t < im->n_top; t++) {
        int a = im->top_index[t];
        assert_in_range(a, 0, N_ANCHORS - 1);
        double ds = fabs(scores[a] - im->top_score[t]);
        if (ds > max_ds)
            max_ds = ds;
        if (ds > SCORE_TOL) {
            print_error("%s: anchor %d score %.6f, reference %.6f\n", im->path, a, scores[a],
                        im->top_score[t]);
            bad++;
        }
        for (int k = 0; k < 4; k++) {
            double db = fabs(boxes[(size_t)a * 4 + k] - im->top_box[t][k]);
            if (db > max_db)
                max_db = db;
            if (db > BOX_TOL) {
                print_error("%s: anchor %d box[%d] %.6f, reference %.6f\n", im->path, a, k,
                            boxes[(size_t)a * 4 + k], im->top_box[t][k]);
                bad++;
            }
        }
    }
    print_message("%s: top %d anchors vs TF.js: max |score diff| %.2e (tol %.0e), max |box "
                  "diff| %.2e (tol %.0e); max score %.5f; forward %.1f ms\n",
                  im->path, im->n_top, max_ds, SCORE_TOL, max_db, BOX_TOL, max_score, t1 - t0);
    cb_tensor_release(&out[0]);
    cb_tensor_release(&out[1]);
    assert_true(im->n_top >= 20);
    assert_true(fabs(max_score - im->max_score) <= SCORE_TOL);
    assert_int_equal(bad, 0);
}

static void test_image_0(void **state) { check_image(state, 0); }
static void test_image_1(void **state) { check_image(state, 1); }
static void test_image_2(void **state) { check_image(state, 2); }
static void test_image_3(void **state) { check_image(state, 3); }

/* The fixture itself: enough images, sane contents. */
static void test_fixture(void **state)
{
    ctx *c = *state;
    ensure_loaded(c);
    assert_true(c->n_images >= 3);
    for (int i = 0; i < c->n_images; i++) {
        assert_int_equal(strlen(c->images[i].sha256), 64);
        assert_true(c->images[i].n_top >= 20);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixture), cmocka_unit_test(test_image_0),
        cmocka_unit_test(test_image_1), cmocka_unit_test(test_image_2),
        cmocka_unit_test(test_image_3),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

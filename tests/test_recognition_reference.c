/*
 * test_recognition_reference.c - the converted face recognition network
 * (models/face_recognition.onnx, run through OpenCV by models/embedder) gives
 * the same 128-d descriptors as face-api's original TensorFlow.js
 * FaceRecognitionNet.
 *
 * The reference is tests/fixtures/recognition_reference.json, written by
 * models/reference/gen_recognition_reference.sh (Node, @vladmandic/face-api
 * 1.7.15, tfjs cpu backend). For each image it records the sha256 of the
 * 150x150 network input, which both sides make with the same ffmpeg command:
 *   ffmpeg -v error -i IMAGE [-vf FILTER,]scale=150:150:flags=bilinear -pix_fmt rgb24 -f rawvideo -
 * (an image label PATH#FILTER names a crop filter run before the scale), and
 * the descriptor. Here the RGB bytes become a BGR chip and go through
 * cb_embedder_embed_chip, so face-api's normalisation is checked as well.
 *
 * Tolerances (per image): max |difference| over the 128 numbers <= MAX_ABS_TOL,
 * Euclidean distance <= DIST_TOL, cosine similarity >= COS_TOL. Measured on
 * Debian 12's OpenCV 4.6 (x86-64, 5 images): max |diff| 1.6e-7 to 2.8e-7,
 * distance 6.6e-7 to 9.5e-7, 1 - cosine 1e-13 to 2.4e-13 (float rounding
 * only: the conversion folds bias and scale into the convolutions, and
 * OpenCV sums in another order). The tolerances are about 20-40x above that,
 * room for other CPUs and OpenCV builds, and still far below anything that
 * matters (two photos of one person are 0.2-0.5 apart); a wrong layer,
 * channel order or normalisation gives differences of 0.01 and more.
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

#include <cmocka.h>

#include "common/cb_error.h"
#include "models/embedder.h"
#include "test_support.h"

#define FIXTURE CB_SOURCE_DIR "/tests/fixtures/recognition_reference.json"
#define SIZE CB_EMBEDDER_CHIP
#define MAX_IMAGES 16

#define MAX_ABS_TOL 1e-5
#define DIST_TOL 2e-5
#define COS_TOL (1.0 - 1e-9)

typedef struct ref_image {
    char label[512];
    char sha256[65];
    int n;
    float descriptor[CB_EMBEDDING_DIM];
} ref_image;

typedef struct ctx {
    int loaded;
    ref_image images[MAX_IMAGES];
    int n_images;
    cb_embedder *embedder;
} ctx;

/* ---- the fixture: the fixed JSON layout written by faceapi_reference.mjs ---- */

static void parse_descriptor(const char *p, const char *end, ref_image *im)
{
    const char *v = cb_test_json_after_key(p, end, "descriptor");
    if (!v || *v != '[')
        fail_msg("%s: no \"descriptor\" array for %s", FIXTURE, im->label);
    v++;
    for (int i = 0; i < CB_EMBEDDING_DIM; i++) {
        while (*v == ' ' || *v == ',' || *v == '\n' || *v == '\r' || *v == '\t')
            v++;
        char *stop;
        double d = strtod(v, &stop);
        if (stop == v)
            fail_msg("%s: descriptor of %s has %d numbers, expected %d", FIXTURE, im->label, i,
                     CB_EMBEDDING_DIM);
        im->descriptor[i] = (float)d;
        v = stop;
    }
    while (*v == ' ' || *v == '\n' || *v == '\r' || *v == '\t')
        v++;
    if (*v != ']')
        fail_msg("%s: descriptor of %s has more than %d numbers", FIXTURE, im->label,
                 CB_EMBEDDING_DIM);
}

static void load_fixture(ctx *c)
{
    char *text = cb_test_read_text(FIXTURE, NULL);
    if (!text)
        fail_msg("cannot read %s (regenerate with models/reference/gen_recognition_reference.sh)",
                 FIXTURE);
    const char *end = text + strlen(text);
    if (!strstr(text, "\"net\": \"face_recognition\"") || !strstr(text, "\"input_size\": 150"))
        fail_msg("%s: not a face_recognition fixture at 150x150", FIXTURE);
    const char *p = text, *obj_end;
    c->n_images = 0;
    for (; (p = cb_test_json_next_record(p, end, &obj_end)) != NULL; p = obj_end) {
        if (c->n_images >= MAX_IMAGES)
            fail_msg("%s: more than %d images", FIXTURE, MAX_IMAGES);
        ref_image *im = &c->images[c->n_images++];
        cb_test_json_string(FIXTURE, p, obj_end, "path", im->label, sizeof im->label);
        cb_test_json_string(FIXTURE, p, obj_end, "rgb_sha256", im->sha256, sizeof im->sha256);
        const char *n = cb_test_json_after_key(p, obj_end, "n");
        im->n = n ? atoi(n) : -1;
        parse_descriptor(p, obj_end, im);
    }
    free(text);
}

/* ---- set-up ----------------------------------------------------------------- */

static void ensure_loaded(ctx *c)
{
    if (c->loaded)
        return;
    load_fixture(c);
    cb_error err = {0};
    if (cb_embedder_open(NULL, &c->embedder, &err) != 0)
        fail_msg("cb_embedder_open: %s", err.msg);
    c->loaded = 1;
}

static int group_setup(void **state) { return cb_test_alloc_state(state, sizeof(ctx)); }

static int group_teardown(void **state)
{
    ctx *c = *state;
    if (c)
        cb_embedder_close(c->embedder);
    free(c);
    return 0;
}

static void check_image(void **state, int index)
{
    ctx *c = *state;
    ensure_loaded(c);
    if (index >= c->n_images)
        fail_msg("%s has %d images, the test expects at least %d", FIXTURE, c->n_images,
                 index + 1);
    const ref_image *im = &c->images[index];
    assert_int_equal(im->n, CB_EMBEDDING_DIM);

    /* 150x150 RGB bytes of the label (PATH or PATH#FILTER), made exactly as
     * gen_reference.sh made them */
    uint8_t *rgb = cb_test_reference_rgb(im->label, SIZE, SIZE, im->sha256);
    for (size_t i = 0; i < (size_t)SIZE * SIZE; i++) { /* RGB -> BGR in place */
        uint8_t t = rgb[i * 3];
        rgb[i * 3] = rgb[i * 3 + 2];
        rgb[i * 3 + 2] = t;
    }
    float got[CB_EMBEDDING_DIM];
    cb_error err = {0};
    int rc = cb_embedder_embed_chip(c->embedder, rgb, SIZE * 3, got, &err);
    free(rgb);
    if (rc != 0)
        fail_msg("%s: cb_embedder_embed_chip: %s", im->label, err.msg);

    double max_abs = 0, dot = 0, na = 0, nb = 0;
    for (int i = 0; i < CB_EMBEDDING_DIM; i++) {
        double d = fabs((double)got[i] - im->descriptor[i]);
        if (d > max_abs)
            max_abs = d;
        dot += (double)got[i] * im->descriptor[i];
        na += (double)got[i] * got[i];
        nb += (double)im->descriptor[i] * im->descriptor[i];
    }
    double cosine = dot / (sqrt(na) * sqrt(nb));
    double dist = cb_embedding_distance(got, im->descriptor);
    print_message("%s: vs TF.js max |diff| %.2e (tol %.0e), distance %.2e (tol %.0e), "
                  "1 - cosine %.2e (tol %.0e), |descriptor| %.4f\n",
                  im->label, max_abs, MAX_ABS_TOL, dist, DIST_TOL, 1.0 - cosine, 1.0 - COS_TOL,
                  sqrt(nb));
    assert_true(sqrt(nb) > 0.1); /* the fixture holds a real descriptor */
    assert_true(max_abs <= MAX_ABS_TOL);
    assert_true(dist <= DIST_TOL);
    assert_true(cosine >= COS_TOL);
}

static void test_image_0(void **state) { check_image(state, 0); }
static void test_image_1(void **state) { check_image(state, 1); }
static void test_image_2(void **state) { check_image(state, 2); }
static void test_image_3(void **state) { check_image(state, 3); }
static void test_image_4(void **state) { check_image(state, 4); }

/* The fixture itself: enough images, different faces, different descriptors. */
static void test_fixture(void **state)
{
    ctx *c = *state;
    ensure_loaded(c);
    assert_true(c->n_images >= 5);
    for (int i = 0; i < c->n_images; i++) {
        assert_int_equal(strlen(c->images[i].sha256), 64);
        for (int j = 0; j < i; j++)
            assert_true(cb_embedding_distance(c->images[i].descriptor,
                                              c->images[j].descriptor) > 0.1f);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixture), cmocka_unit_test(test_image_0),
        cmocka_unit_test(test_image_1), cmocka_unit_test(test_image_2),
        cmocka_unit_test(test_image_3), cmocka_unit_test(test_image_4),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

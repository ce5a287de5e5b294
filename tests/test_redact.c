/*
 * test_redact.c - redaction changes every pixel of the region and nothing
 * outside it, for every style; and a redacted face is no longer a face to
 * our own detector (real model, real photos).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "models/detector.h"
#include "pipeline/redact.h"
#include "test_support.h"

static AVFrame *noise_frame(int w, int h, unsigned seed)
{
    AVFrame *f = cb_test_new_frame(AV_PIX_FMT_BGR24, w, h);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < 3 * w; x++) {
            seed = seed * 1103515245u + 12345u;
            f->data[0][(size_t)y * f->linesize[0] + x] = (uint8_t)(seed >> 16);
        }
    return f;
}

static AVFrame *copy_frame(const AVFrame *src)
{
    AVFrame *f = cb_test_new_frame(src->format, src->width, src->height);
    assert_int_equal(av_frame_copy(f, src), 0);
    return f;
}

/* Outside every region: identical. Inside: mean absolute change above min_change. */
static void check_regions(const AVFrame *before, const AVFrame *after, const cb_face *faces,
                          int n, double min_change)
{
    cb_redact_ellipse e[8];
    assert_true(n <= 8);
    for (int i = 0; i < n; i++)
        cb_redact_region(&faces[i], before->width, before->height, &e[i]);
    double changed = 0;
    long inside = 0;
    for (int y = 0; y < before->height; y++) {
        for (int x = 0; x < before->width; x++) {
            int in = 0;
            for (int i = 0; i < n; i++)
                in |= cb_redact_contains(&e[i], x, y);
            const uint8_t *a = before->data[0] + (size_t)y * before->linesize[0] + 3 * x;
            const uint8_t *b = after->data[0] + (size_t)y * after->linesize[0] + 3 * x;
            if (!in) {
                if (memcmp(a, b, 3) != 0)
                    fail_msg("pixel (%d,%d) outside the regions changed", x, y);
                continue;
            }
            inside++;
            for (int c = 0; c < 3; c++)
                changed += abs((int)a[c] - (int)b[c]);
        }
    }
    assert_true(inside > 0);
    double mean = changed / (3.0 * inside);
    if (mean < min_change)
        fail_msg("mean change inside the regions %.1f < %.1f", mean, min_change);
}

static void test_styles_touch_only_the_region(void **state)
{
    (void)state;
    const cb_redact_style styles[] = {CB_REDACT_DEFAULT, CB_REDACT_BLUR, CB_REDACT_PIXELATE,
                                      CB_REDACT_FILL};
    cb_face faces[3] = {
        {.x = 40, .y = 30, .w = 60, .h = 70, .score = 1},
        {.x = 200, .y = 100, .w = 24, .h = 24, .score = 1},
        {.x = -10, .y = 150, .w = 50, .h = 60, .score = 1}, /* cut by the picture edge */
    };
    for (size_t s = 0; s < sizeof styles / sizeof styles[0]; s++) {
        AVFrame *before = noise_frame(320, 200, 7u + (unsigned)s);
        AVFrame *after = copy_frame(before);
        cb_error err = {0};
        assert_int_equal(cb_redact_faces(after, faces, 3, styles[s], &err), 0);
        /* Uniform noise has mean |a-b| about 85 against anything smooth. */
        check_regions(before, after, faces, 3, 40.0);
        av_frame_free(&before);
        av_frame_free(&after);
    }
}

static void test_noise_differs_between_runs(void **state)
{
    (void)state;
    AVFrame *a = noise_frame(100, 100, 3), *b = copy_frame(a);
    cb_face face = {.x = 20, .y = 20, .w = 50, .h = 50, .score = 1};
    assert_int_equal(cb_redact_faces(a, &face, 1, CB_REDACT_DEFAULT, NULL), 0);
    assert_int_equal(cb_redact_faces(b, &face, 1, CB_REDACT_DEFAULT, NULL), 0);
    assert_int_not_equal(memcmp(a->data[0] + 45 * a->linesize[0], b->data[0] + 45 * b->linesize[0],
                                300), 0);
    av_frame_free(&a);
    av_frame_free(&b);
}

static void test_style_names_and_bad_input(void **state)
{
    (void)state;
    cb_redact_style s;
    assert_int_equal(cb_redact_style_parse("blur", &s), 0);
    assert_int_equal(s, CB_REDACT_BLUR);
    assert_int_equal(cb_redact_style_parse("FILL", &s), 0);
    assert_int_equal(s, CB_REDACT_FILL);
    assert_int_equal(cb_redact_style_parse("sparkles", &s), CB_EINVAL);
    assert_string_equal(cb_redact_style_name(CB_REDACT_PIXELATE), "pixelate");
    cb_error err = {0};
    cb_face face = {.x = 0, .y = 0, .w = 5, .h = 5};
    assert_int_equal(cb_redact_faces(NULL, &face, 1, CB_REDACT_DEFAULT, &err), CB_EINVAL);
    /* A face wholly outside the picture changes nothing. */
    AVFrame *a = noise_frame(50, 50, 1), *b = copy_frame(a);
    cb_face outside = {.x = 500, .y = 500, .w = 20, .h = 20};
    assert_int_equal(cb_redact_faces(b, &outside, 1, CB_REDACT_DEFAULT, &err), 0);
    for (int y = 0; y < 50; y++)
        assert_int_equal(memcmp(a->data[0] + (size_t)y * a->linesize[0],
                                b->data[0] + (size_t)y * b->linesize[0], 3 * 50), 0);
    av_frame_free(&a);
    av_frame_free(&b);
}

/* Real photos: after redaction, no detection overlaps any redacted face. */
static void test_redacted_faces_are_not_found_again(void **state)
{
    (void)state;
    const char *photos[] = {"groups/bbt3.jpg", "groups/bbt4.jpg", "probes/obama1.jpg",
                            "groups/kit_with_rose.jpg"};
    cb_detector *det = cb_test_open_detector(NULL);
    cb_error err = {0};
    for (size_t p = 0; p < sizeof photos / sizeof photos[0]; p++) {
        AVFrame *frame = cb_test_read_data_image(photos[p]);
        cb_face_list before = {0}, after = {0};
        assert_int_equal(cb_detector_detect(det, frame, &before, &err), 0);
        assert_true(before.count >= 1);
        assert_int_equal(av_frame_make_writable(frame), 0);
        assert_int_equal(cb_redact_faces(frame, before.faces, before.count, CB_REDACT_DEFAULT,
                                         &err), 0);
        assert_int_equal(cb_detector_detect(det, frame, &after, &err), 0);
        for (int i = 0; i < after.count; i++)
            for (int j = 0; j < before.count; j++)
                if (cb_face_iou(&after.faces[i], &before.faces[j]) > 0.2f)
                    fail_msg("%s: redacted face %d still detected (score %.2f)", photos[p], j,
                             after.faces[i].score);
        printf("%s: %d faces before, %d detections after redaction (none on a redacted face)\n",
               photos[p], before.count, after.count);
        cb_face_list_free(&before);
        cb_face_list_free(&after);
        av_frame_free(&frame);
    }
    cb_detector_close(det);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_styles_touch_only_the_region),
        cmocka_unit_test(test_noise_differs_between_runs),
        cmocka_unit_test(test_style_names_and_bad_input),
        cmocka_unit_test(test_redacted_faces_are_not_found_again),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

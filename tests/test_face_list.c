/* test_face_list.c - face list growth, overlap measures and NMS. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "models/face.h"

static cb_face box(float x, float y, float w, float h, float score, unsigned det)
{
    cb_face f = {.x = x, .y = y, .w = w, .h = h, .score = score, .detectors = det};
    return f;
}

static void test_overlap(void **state)
{
    (void)state;
    cb_face a = box(0, 0, 10, 10, 1, 0), b = box(5, 0, 10, 10, 1, 0), c = box(2, 2, 4, 4, 1, 0);
    cb_face far = box(100, 100, 10, 10, 1, 0);
    assert_float_equal(cb_face_iou(&a, &a), 1.0, 1e-6);
    assert_float_equal(cb_face_iou(&a, &b), 50.0 / 150.0, 1e-6);
    assert_float_equal(cb_face_iou(&a, &far), 0.0, 1e-6);
    assert_float_equal(cb_face_overlap_min(&a, &c), 1.0, 1e-6);
    assert_float_equal(cb_face_iou(&a, &c), 16.0 / 100.0, 1e-6);
}

static void test_push_grows(void **state)
{
    (void)state;
    cb_face_list list = {0};
    for (int i = 0; i < 1000; i++) {
        cb_face f = box((float)i, 0, 1, 1, 0.5f, 0);
        assert_int_equal(cb_face_list_push(&list, &f, NULL), 0);
    }
    assert_int_equal(list.count, 1000);
    assert_float_equal(list.faces[999].x, 999.0, 1e-6);
    cb_face_list_free(&list);
    assert_null(list.faces);
    cb_face_list_free(NULL);
}

static void test_nms_merges_and_keeps(void **state)
{
    (void)state;
    cb_face_list list = {0};
    cb_face f[] = {
        box(0, 0, 100, 100, 0.7f, CB_DET_SSD),        /* same face as the next */
        box(5, 5, 100, 100, 0.9f, CB_DET_BLAZEFACE),  /* best: kept */
        box(20, 20, 30, 30, 0.6f, CB_DET_SSD),        /* inside the kept one */
        box(300, 0, 50, 50, 0.5f, CB_DET_SSD),        /* another face */
        box(330, 0, 50, 50, 0.55f, CB_DET_SSD),       /* neighbour, IoU 0.25: kept */
    };
    f[1].has_landmarks = 0;
    f[0].has_landmarks = 1;
    f[0].landmarks[CB_LM_NOSE][0] = 42;
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        assert_int_equal(cb_face_list_push(&list, &f[i], NULL), 0);
    cb_face_list_nms(&list, 0.35f, 0.7f);
    assert_int_equal(list.count, 3);
    assert_float_equal(list.faces[0].score, 0.9, 1e-6);
    assert_int_equal(list.faces[0].detectors, CB_DET_SSD | CB_DET_BLAZEFACE);
    assert_true(list.faces[0].has_landmarks);
    assert_float_equal(list.faces[0].landmarks[CB_LM_NOSE][0], 42.0, 1e-6);
    assert_float_equal(list.faces[1].score, 0.55, 1e-6);
    assert_float_equal(list.faces[2].score, 0.5, 1e-6);
    cb_face_list_free(&list);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_overlap),
        cmocka_unit_test(test_push_grows),
        cmocka_unit_test(test_nms_merges_and_keeps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

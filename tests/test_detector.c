/*
 * test_detector.c - the real models on real photos: faces counted by eye are
 * found, a picture without faces gives none, small faces in a large picture
 * are found by tiling, and missing or corrupt model files give clear errors.
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
#include "models/face_models.h"
#include "models/model_files.h"
#include "pipeline/media_in.h"
#include "test_support.h"

static cb_detector *open_default(void)
{
    cb_detector_opts opts;
    cb_detector_opts_default(&opts);
    cb_detector *det = NULL;
    cb_error err = {0};
    if (cb_detector_open(&opts, &det, &err) < 0)
        fail_msg("%s", err.msg);
    return det;
}

static int count_faces(cb_detector *det, const char *rel)
{
    char path[1024];
    cb_test_data_path(rel, path, sizeof path);
    AVFrame *frame = NULL;
    cb_error err = {0};
    if (cb_image_read(path, NULL, &frame, NULL, &err) < 0)
        fail_msg("%s", err.msg);
    cb_face_list faces = {0};
    if (cb_detector_detect(det, frame, &faces, &err) < 0)
        fail_msg("%s", err.msg);
    int n = faces.count;
    for (int i = 0; i < n; i++) {
        const cb_face *f = &faces.faces[i];
        assert_true(f->x >= 0 && f->y >= 0 && f->w > 0 && f->h > 0);
        assert_true(f->x + f->w <= frame->width + 0.01f && f->y + f->h <= frame->height + 0.01f);
        assert_true(f->score > 0 && f->score <= 1);
    }
    printf("%s: %d face(s), %d network runs\n", rel, n, cb_detector_last_runs(det));
    cb_face_list_free(&faces);
    av_frame_free(&frame);
    return n;
}

/* Group photos with faces counted by eye (testdata README): all found, few extra. */
static void test_group_photos(void **state)
{
    (void)state;
    static const struct {
        const char *file;
        int faces;
    } groups[] = {{"groups/bbt1.jpg", 4}, {"groups/bbt3.jpg", 5}, {"groups/bbt4.jpg", 6},
                  {"groups/bbt5.jpg", 5}, {"groups/kit_with_rose.jpg", 2},
                  {"groups/two_people.jpg", 2}};
    cb_detector *det = open_default();
    for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++) {
        int n = count_faces(det, groups[i].file);
        if (n < groups[i].faces || n > groups[i].faces + 1)
            fail_msg("%s: %d faces found, %d visible", groups[i].file, n, groups[i].faces);
    }
    cb_detector_close(det);
}

static void test_no_face(void **state)
{
    (void)state;
    cb_detector *det = open_default();
    assert_int_equal(count_faces(det, "groups/no-face-white.png"), 0);
    cb_detector_close(det);
}

/* Every tight identity crop holds one face, which must be found. */
static void test_identity_crops(void **state)
{
    (void)state;
    static const char *const people[] = {"amy", "bernadette", "howard", "leonard",
                                         "penny", "raj", "sheldon", "stuart"};
    cb_detector *det = open_default();
    char rel[256];
    int missed = 0, total = 0;
    for (size_t p = 0; p < sizeof people / sizeof people[0]; p++) {
        for (int k = 1; k <= 5; k++) {
            snprintf(rel, sizeof rel, "identities/%s/%s%d.png", people[p], people[p], k);
            char path[1024];
            snprintf(path, sizeof path, "%s/%s", cb_test_data_dir(), rel);
            FILE *f = fopen(path, "rb");
            if (!f)
                continue;
            fclose(f);
            total++;
            if (count_faces(det, rel) < 1)
                missed++;
        }
    }
    printf("identity crops: %d of %d found\n", total - missed, total);
    assert_true(total >= 20);
    assert_int_equal(missed, 0);
    cb_detector_close(det);
}

static void test_missing_model_dir(void **state)
{
    (void)state;
    cb_detector_opts opts;
    cb_detector_opts_default(&opts);
    opts.model_dir = "/nonexistent/models";
    cb_detector *det = NULL;
    cb_error err = {0};
    assert_int_equal(cb_detector_open(&opts, &det, &err), CB_EMODEL);
    assert_null(det);
    assert_non_null(strstr(err.msg, "/nonexistent/models/"));
    assert_non_null(strstr(err.msg, "missing"));
    assert_non_null(strstr(err.msg, "make models"));
}

static void test_corrupt_model_file(void **state)
{
    (void)state;
    char dir[256], src[1024], dst[1024];
    cb_test_make_temp_dir(dir, sizeof dir);
    cb_error err = {0};
    assert_int_equal(cb_model_file_check(cb_model_dir(NULL), CB_BLAZEFACE_FILE, src, sizeof src,
                                         &err), 0);
    snprintf(dst, sizeof dst, "%s/%s", dir, CB_BLAZEFACE_FILE);
    FILE *in = fopen(src, "rb"), *out = fopen(dst, "wb");
    assert_non_null(in);
    assert_non_null(out);
    int c;
    long pos = 0;
    while ((c = fgetc(in)) != EOF)
        fputc(pos++ == 5000 ? c ^ 0x5a : c, out); /* one byte changed */
    fclose(in);
    fclose(out);
    cb_detector_opts opts;
    cb_detector_opts_default(&opts);
    opts.models = CB_DET_BLAZEFACE;
    opts.model_dir = dir;
    cb_detector *det = NULL;
    assert_int_equal(cb_detector_open(&opts, &det, &err), CB_EMODEL);
    assert_null(det);
    assert_non_null(strstr(err.msg, "corrupt"));
    assert_non_null(strstr(err.msg, CB_BLAZEFACE_FILE));
    assert_non_null(strstr(err.msg, "make models"));
    cb_test_remove_tree(dir);
}

static void test_rejects_bad_frames(void **state)
{
    (void)state;
    cb_detector *det = open_default();
    AVFrame *f = av_frame_alloc();
    f->format = AV_PIX_FMT_YUV420P;
    f->width = 64;
    f->height = 64;
    assert_int_equal(av_frame_get_buffer(f, 0), 0);
    cb_face_list faces = {0};
    cb_error err = {0};
    assert_int_equal(cb_detector_detect(det, f, &faces, &err), CB_EINVAL);
    assert_int_equal(faces.count, 0);
    av_frame_free(&f);
    cb_detector_close(det);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_group_photos),      cmocka_unit_test(test_no_face),
        cmocka_unit_test(test_identity_crops),    cmocka_unit_test(test_missing_model_dir),
        cmocka_unit_test(test_corrupt_model_file), cmocka_unit_test(test_rejects_bad_frames),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

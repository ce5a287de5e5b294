/*
 * test_detector.c - the real models on real photos: faces counted by eye are
 * found, a picture without faces gives none, small faces in a large picture
 * are found (tiny ones too: BlazeFace on the finest level), faces cut by
 * any edge or corner of the picture and close-ups filling it are found and
 * redacted, and missing or corrupt model files give clear errors.
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

#include "models/cv_bridge.h"
#include "models/detector.h"
#include "models/face_models.h"
#include "models/model_files.h"
#include "pipeline/redact.h"
#include "test_support.h"

static int count_faces(cb_detector *det, const char *rel)
{
    AVFrame *frame = cb_test_read_data_image(rel);
    cb_error err = {0};
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
    cb_detector *det = cb_test_open_detector(NULL);
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
    cb_detector *det = cb_test_open_detector(NULL);
    assert_int_equal(count_faces(det, "groups/no-face-white.png"), 0);
    cb_detector_close(det);
}

/* Every tight identity crop holds one face, which must be found. */
static void test_identity_crops(void **state)
{
    (void)state;
    static const char *const people[] = {"amy", "bernadette", "howard", "leonard",
                                         "penny", "raj", "sheldon", "stuart"};
    cb_detector *det = cb_test_open_detector(NULL);
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

/* Identity crops (the face about 2/3 of each) for the small-face tests. */
static const char *const small_crops[] = {"identities/amy/amy1.png", "identities/raj/raj2.png",
                                          "identities/penny/penny3.png",
                                          "identities/howard/howard4.png",
                                          "identities/leonard/leonard5.png",
                                          "identities/sheldon/sheldon1.png"};
enum { SMALL_N = sizeof small_crops / sizeof small_crops[0], SMALL_W = 3000, SMALL_H = 2000 };

/* A SMALL_W x SMALL_H picture of noise with crop i of small_crops pasted at
 * (px[i], py[i]) as a sides[i] square. */
static AVFrame *paste_small_faces(const int sides[SMALL_N], int px[SMALL_N], int py[SMALL_N])
{
    AVFrame *big = cb_test_new_frame(AV_PIX_FMT_BGR24, SMALL_W, SMALL_H);
    uint32_t rng = 12345;
    for (int y = 0; y < SMALL_H; y++)
        for (int x = 0; x < 3 * SMALL_W; x++) {
            rng = rng * 1664525u + 1013904223u;
            big->data[0][(size_t)y * big->linesize[0] + x] = (uint8_t)(96 + (rng >> 27));
        }
    for (int i = 0; i < SMALL_N; i++) {
        AVFrame *crop = cb_test_read_data_image(small_crops[i]);
        cb_error err = {0};
        px[i] = 250 + (i % 3) * 1000 + i * 37;
        py[i] = 400 + (i / 3) * 900;
        uint8_t *dst = big->data[0] + (size_t)py[i] * big->linesize[0] + 3 * (size_t)px[i];
        if (cb_cv_resize(crop->data[0], crop->width, crop->height, crop->linesize[0], dst,
                         sides[i], sides[i], big->linesize[0], 3, &err) < 0)
            fail_msg("%s", err.msg);
        av_frame_free(&crop);
    }
    return big;
}

/* Detect the faces of paste_small_faces with det; with `all`, every one must
 * be found, and nothing else (one spare). Returns how many were found. */
static int find_small_faces(cb_detector *det, const int sides[SMALL_N], int all)
{
    int px[SMALL_N], py[SMALL_N];
    AVFrame *big = paste_small_faces(sides, px, py);
    cb_face_list faces = {0};
    cb_error err = {0};
    if (cb_detector_detect(det, big, &faces, &err) < 0)
        fail_msg("%s", err.msg);
    int found = 0;
    for (int i = 0; i < SMALL_N; i++) {
        int hit = 0;
        for (int k = 0; k < faces.count; k++) {
            const cb_face *f = &faces.faces[k];
            float cx = f->x + f->w / 2, cy = f->y + f->h / 2;
            hit |= cx > px[i] && cx < px[i] + sides[i] && cy > py[i] && cy < py[i] + sides[i];
        }
        printf("face %d (%d px crop at %d,%d): %s\n", i, sides[i], px[i], py[i],
               hit ? "found" : "MISSED");
        found += hit;
    }
    const int runs = cb_detector_last_runs(det);
    printf("%d of %d small faces found, %d detections, %d network runs\n", found, SMALL_N,
           faces.count, runs);
    if (all) {
        assert_int_equal(found, SMALL_N);
        assert_true(faces.count <= SMALL_N + 1);
    }
    cb_face_list_free(&faces);
    av_frame_free(&big);
    return found;
}

/*
 * Small faces in a large picture: identity crops scaled so their faces are
 * about 20 to 45 px tall, pasted at known places onto a 3000x2000 picture of
 * noise. Every one must be found by the default detector, and nothing else.
 */
static void test_small_faces_in_large_picture(void **state)
{
    (void)state;
    static const int sides[SMALL_N] = {30, 36, 44, 52, 60, 68}; /* crop side; the face is ~2/3 */
    cb_detector *det = cb_test_open_detector(NULL);
    find_small_faces(det, sides, 1);
    cb_detector_close(det);
}

/*
 * Tiny faces with little around them (whole crops of 20-26 px, the face
 * 13-17 px) are all found by the default detector, whose BlazeFace scans the
 * finest level beside UltraFace; UltraFace alone (the fast detector) misses
 * some of them (README "Face detection": 5% of the 16-24 px tight crops).
 */
static void test_tiny_faces_default(void **state)
{
    (void)state;
    static const int sides[SMALL_N] = {20, 21, 22, 23, 24, 26};
    cb_detector_opts opts;
    cb_detector_opts_default(&opts);
    assert_int_equal(opts.models, CB_DET_ULTRAFACE | CB_DET_BLAZEFACE);
    cb_detector *det = cb_test_open_detector(&opts);
    find_small_faces(det, sides, 1);
    cb_detector_close(det);

    cb_detector_opts_fast(&opts);
    det = cb_test_open_detector(&opts);
    const int fast = find_small_faces(det, sides, 0);
    cb_detector_close(det);
    assert_true(fast < SMALL_N);
}

/* The faces a detector with opts finds in the photo at rel (data path). */
static int count_faces_with(const cb_detector_opts *opts, const char *rel)
{
    cb_detector *det = cb_test_open_detector(opts);
    const int n = count_faces(det, rel);
    cb_detector_close(det);
    return n;
}

/*
 * verify_own_score, rule by rule, on a portrait: BlazeFace's
 * own candidates pass its second look at 0.5; with an own bar no score
 * reaches (1.01) it cannot confirm itself; UltraFace's candidate, looked at
 * by BlazeFace alone, is not held to that bar.
 */
static void test_verify_own_score(void **state)
{
    (void)state;
    static const char photo[] = "probes/obama1.jpg";
    cb_detector_opts opts;
    cb_detector_opts_default(&opts);
    opts.landmarks = 0;
    memset(opts.verify_score, 0, sizeof opts.verify_score);
    opts.verify_score[CB_NET_BLAZEFACE] = 0.5f;
    opts.models = CB_DET_BLAZEFACE;
    opts.tiling = CB_TILING_WHOLE;
    opts.verify_own_score = 0;
    assert_true(count_faces_with(&opts, photo) >= 1);
    opts.verify_own_score = 1.01f;
    assert_int_equal(count_faces_with(&opts, photo), 0);
    opts.models = CB_DET_ULTRAFACE;
    assert_true(count_faces_with(&opts, photo) >= 1);
}

/* A new picture: the rectangle (x, y, w, h) of src, which must lie inside it. */
static AVFrame *cut_out(const AVFrame *src, int x, int y, int w, int h)
{
    assert_true(x >= 0 && y >= 0 && w > 0 && h > 0 && x + w <= src->width &&
                y + h <= src->height);
    AVFrame *f = cb_test_new_frame(AV_PIX_FMT_BGR24, w, h);
    for (int r = 0; r < h; r++)
        memcpy(f->data[0] + (size_t)r * f->linesize[0],
               src->data[0] + (size_t)(y + r) * src->linesize[0] + (size_t)x * 3, (size_t)w * 3);
    return f;
}

/* As bench/eval_detect scores: IoU >= 0.3, or the centre inside and the size within 2x. */
static int hits(const cb_face *d, const cb_face *t)
{
    if (cb_face_iou(d, t) >= 0.3f)
        return 1;
    float cx = d->x + d->w / 2, cy = d->y + d->h / 2;
    float r = sqrtf((d->w * d->h) / (t->w * t->h));
    return cx >= t->x && cx <= t->x + t->w && cy >= t->y && cy <= t->y + t->h && r >= 0.5f &&
           r <= 2.0f;
}

/* Mean absolute difference of two pictures over box b (every channel). */
static double mean_change(const AVFrame *a, const AVFrame *b, const cb_face *box)
{
    double sum = 0;
    long n = 0;
    for (int y = (int)box->y; y < (int)(box->y + box->h); y++)
        for (int x = 3 * (int)box->x; x < 3 * (int)(box->x + box->w); x++, n++)
            sum += abs(a->data[0][(size_t)y * a->linesize[0] + x] -
                       b->data[0][(size_t)y * b->linesize[0] + x]);
    return n ? sum / (double)n : 0;
}

/*
 * Detect faces in pic, where the face `truth` is (clipped to the picture);
 * it must be found, and redacting what was found must change its pixels.
 */
static void check_found_and_redacted(cb_detector *det, const AVFrame *pic, cb_face truth,
                                     const char *what)
{
    float x1 = fminf(truth.x + truth.w, (float)pic->width);
    float y1 = fminf(truth.y + truth.h, (float)pic->height);
    truth.x = fmaxf(truth.x, 0);
    truth.y = fmaxf(truth.y, 0);
    truth.w = x1 - truth.x;
    truth.h = y1 - truth.y;
    cb_face_list faces = {0};
    cb_error err = {0};
    if (cb_detector_detect(det, pic, &faces, &err) < 0)
        fail_msg("%s: %s", what, err.msg);
    int found = 0;
    for (int i = 0; i < faces.count; i++) {
        const cb_face *f = &faces.faces[i];
        assert_true(f->x >= 0 && f->y >= 0 && f->x + f->w <= pic->width + 0.01f &&
                    f->y + f->h <= pic->height + 0.01f);
        found |= hits(f, &truth);
    }
    AVFrame *out = cb_test_new_frame(AV_PIX_FMT_BGR24, pic->width, pic->height);
    assert_int_equal(av_frame_copy(out, pic), 0);
    assert_int_equal(cb_redact_faces(out, faces.faces, faces.count, CB_REDACT_DEFAULT, &err), 0);
    double change = mean_change(pic, out, &truth);
    printf("%s (%dx%d, visible face %.0fx%.0f): %s, %d detection(s), mean change %.1f\n", what,
           pic->width, pic->height, truth.w, truth.h, found ? "found" : "MISSED", faces.count,
           change);
    if (!found || change < 20)
        fail_msg("%s: the face was %s (mean change of its pixels %.1f)", what,
                 found ? "found but not redacted" : "not found", change);
    av_frame_free(&out);
    cb_face_list_free(&faces);
}

/* The window (x, y, w, h) of photo as a picture of its own, in which `face`
 * (photo pixels) must be found and redacted. */
static void check_window(cb_detector *det, const AVFrame *photo, const cb_face *face, int x,
                         int y, int w, int h, const char *what)
{
    AVFrame *pic = cut_out(photo, x, y, w, h);
    const cb_face t = {.x = face->x - (float)x, .y = face->y - (float)y, .w = face->w,
                       .h = face->h};
    check_found_and_redacted(det, pic, t, what);
    av_frame_free(&pic);
}

/* One axis of a window of a picture `size` long that cuts the face [a, a + len)
 * at its start (dir < 0), its end (dir > 0) or holds it in its middle (0),
 * cutting `frac` of the face's length; about `span` long where the picture allows. */
static void cut_axis(float a, float len, int size, int dir, float frac, float span, int *lo,
                     int *hi)
{
    float l = dir < 0 ? a + frac * len : dir > 0 ? a + (1 - frac) * len - span
                                                 : a + len / 2 - span / 2;
    *lo = l < 0 ? 0 : (int)l;
    *hi = (int)(l + span) > size ? size : (int)(l + span);
}

/*
 * Faces cut by each edge and corner: half of the face box's area outside the
 * picture (half its width or height at an edge, 29% of both at a corner),
 * the picture about three face heights wide. Obama's face in
 * obama_and_biden.jpg (box as in bench/groups_truth.txt).
 */
static void test_faces_cut_by_edges(void **state)
{
    (void)state;
    static const char *const names[3][3] = {{"top-left", "top", "top-right"},
                                            {"left", "", "right"},
                                            {"bottom-left", "bottom", "bottom-right"}};
    const cb_face face = {.x = 1144, .y = 400, .w = 188, .h = 192};
    AVFrame *photo = cb_test_read_data_image("groups/obama_and_biden.jpg");
    cb_detector *det = cb_test_open_detector(NULL);
    for (int dy = -1; dy <= 1; dy++)
        for (int dx = -1; dx <= 1; dx++) {
            if (!dx && !dy)
                continue;
            const float f = dx && dy ? 1 - sqrtf(0.5f) : 0.5f;
            int x0, x1, y0, y1;
            cut_axis(face.x, face.w, photo->width, dx, f, 3 * face.h, &x0, &x1);
            cut_axis(face.y, face.h, photo->height, dy, f, 2.25f * face.h, &y0, &y1);
            char what[64];
            snprintf(what, sizeof what, "half outside, %s edge", names[dy + 1][dx + 1]);
            check_window(det, photo, &face, x0, y0, x1 - x0, y1 - y0, what);
        }
    cb_detector_close(det);
    av_frame_free(&photo);
}

/* Close-ups: the face box 60, 80, 95 and 100% of the picture height (a 3:4
 * portrait around it). probes/obama1.jpg (box as in bench/photos_truth.txt). */
static void test_close_ups(void **state)
{
    (void)state;
    static const float fracs[] = {0.60f, 0.80f, 0.95f, 1.0f};
    const cb_face face = {.x = 515, .y = 195, .w = 384, .h = 414};
    AVFrame *photo = cb_test_read_data_image("probes/obama1.jpg");
    cb_detector *det = cb_test_open_detector(NULL);
    for (size_t k = 0; k < sizeof fracs / sizeof fracs[0]; k++) {
        int h = (int)(face.h / fracs[k]), w = h * 3 / 4;
        int x0 = (int)(face.x + face.w / 2) - w / 2, y0 = (int)(face.y + face.h / 2) - h / 2;
        x0 = x0 < 0 ? 0 : x0 + w > photo->width ? photo->width - w : x0;
        y0 = y0 < 0 ? 0 : y0 + h > photo->height ? photo->height - h : y0;
        char what[64];
        snprintf(what, sizeof what, "close-up, face %.0f%% of the height", fracs[k] * 100);
        check_window(det, photo, &face, x0, y0, w, h, what);
    }
    cb_detector_close(det);
    av_frame_free(&photo);
}

/*
 * A large face is reported once, not also as a smaller face over its eyes and
 * nose: BlazeFace, enlarged 1.6 times for the small faces, sees a close-up
 * far larger than it was trained on (detector.c, plan_levels). No two faces
 * of the default may share more than half of the smaller one's box, in
 * portraits whose face is 250-400 px tall.
 */
static void test_one_box_per_face(void **state)
{
    (void)state;
    static const char *const photos[] = {"probes/johnsnow_test1.jpg", "probes/obama1.jpg",
                                         "probes/obama3.jpg", "probes/obama-1080p.jpg",
                                         "groups/kit_with_rose.jpg"};
    cb_detector *det = cb_test_open_detector(NULL);
    for (size_t k = 0; k < sizeof photos / sizeof photos[0]; k++) {
        AVFrame *frame = cb_test_read_data_image(photos[k]);
        cb_face_list faces = {0};
        cb_error err = {0};
        if (cb_detector_detect(det, frame, &faces, &err) < 0)
            fail_msg("%s", err.msg);
        printf("%s: %d face(s)\n", photos[k], faces.count);
        for (int i = 0; i < faces.count; i++)
            for (int j = i + 1; j < faces.count; j++)
                if (cb_face_overlap_min(&faces.faces[i], &faces.faces[j]) > 0.5f)
                    fail_msg("%s: faces %.0f,%.0f %.0fx%.0f and %.0f,%.0f %.0fx%.0f overlap",
                             photos[k], faces.faces[i].x, faces.faces[i].y, faces.faces[i].w,
                             faces.faces[i].h, faces.faces[j].x, faces.faces[j].y,
                             faces.faces[j].w, faces.faces[j].h);
        cb_face_list_free(&faces);
        av_frame_free(&frame);
    }
    cb_detector_close(det);
}

/*
 * A tile of an enlarged level made on its own (cb_cv_place_bgr_window, as
 * the detector makes BlazeFace's finest level) has the pixels of the same
 * window of the whole level (cb_cv_place_bgr), padding included, for each
 * way of filling the padding: at most 4 levels apart and 0.25 on average
 * (rounding: measured at most 3 and 0.16; a window half a pixel off differs
 * by several levels on average).
 */
static void test_level_tile_matches_level(void **state)
{
    (void)state;
    static const int fills[] = {CB_CV_BORDER_CONSTANT, CB_CV_BORDER_REPLICATE,
                                CB_CV_BORDER_REFLECT};
    AVFrame *pic = cb_test_read_data_image("groups/bbt1.jpg");
    const int pad = 40, sw = pic->width * 8 / 5, sh = pic->height * 8 / 5;
    const int lw = sw + 2 * pad, lh = sh + 2 * pad, tw = 320, th = 256;
    const int wins[][2] = {{0, 0}, {lw - tw, 0}, {0, lh - th}, {lw - tw, lh - th},
                           {lw / 3, lh / 3}};
    uint8_t *level = malloc((size_t)lw * lh * 3), *tile = malloc((size_t)tw * th * 3);
    assert_non_null(level);
    assert_non_null(tile);
    cb_error err = {0};
    for (size_t f = 0; f < sizeof fills / sizeof fills[0]; f++) {
        if (cb_cv_place_bgr(pic->data[0], pic->width, pic->height, pic->linesize[0], level, lw,
                            lh, lw * 3, pad, pad, sw, sh, fills[f], &err) < 0)
            fail_msg("%s", err.msg);
        for (size_t k = 0; k < sizeof wins / sizeof wins[0]; k++) {
            const int wx = wins[k][0], wy = wins[k][1];
            if (cb_cv_place_bgr_window(pic->data[0], pic->width, pic->height, pic->linesize[0],
                                       pad, pad, sw, sh, fills[f], wx, wy, tw, th, tile, tw * 3,
                                       &err) < 0)
                fail_msg("%s", err.msg);
            long sum = 0;
            int worst = 0;
            for (int y = 0; y < th; y++)
                for (int x = 0; x < tw * 3; x++) {
                    int d = abs(tile[(size_t)y * tw * 3 + x] -
                                level[(size_t)(wy + y) * lw * 3 + (size_t)wx * 3 + x]);
                    sum += d;
                    worst = d > worst ? d : worst;
                }
            const double mean = (double)sum / ((double)tw * th * 3);
            printf("fill %zu, window at %d,%d: mean difference %.3f, largest %d\n", f, wx, wy,
                   mean, worst);
            assert_true(worst <= 4 && mean <= 0.25);
        }
    }
    cb_error e2 = {0};
    assert_int_equal(cb_cv_place_bgr_window(pic->data[0], pic->width, pic->height,
                                            pic->linesize[0], 0, 0, pic->width / 2,
                                            pic->height, CB_CV_BORDER_REFLECT, 0, 0, tw, th,
                                            tile, tw * 3, &e2),
                     CB_EINVAL);
    free(level);
    free(tile);
    av_frame_free(&pic);
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
    assert_int_equal(cb_model_file_check(cb_model_dir(NULL), cb_net_info_get(CB_NET_BLAZEFACE)->file, src, sizeof src,
                                         &err), 0);
    snprintf(dst, sizeof dst, "%s/%s", dir, cb_net_info_get(CB_NET_BLAZEFACE)->file);
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
    assert_non_null(strstr(err.msg, cb_net_info_get(CB_NET_BLAZEFACE)->file));
    assert_non_null(strstr(err.msg, "make models"));
    cb_test_remove_tree(dir);
}

static void test_rejects_bad_frames(void **state)
{
    (void)state;
    cb_detector *det = cb_test_open_detector(NULL);
    AVFrame *f = cb_test_new_frame(AV_PIX_FMT_YUV420P, 64, 64);
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
        cmocka_unit_test(test_identity_crops),    cmocka_unit_test(test_small_faces_in_large_picture),
        cmocka_unit_test(test_tiny_faces_default),
        cmocka_unit_test(test_verify_own_score),
        cmocka_unit_test(test_faces_cut_by_edges), cmocka_unit_test(test_close_ups),
        cmocka_unit_test(test_one_box_per_face), cmocka_unit_test(test_level_tile_matches_level),
        cmocka_unit_test(test_missing_model_dir),
        cmocka_unit_test(test_corrupt_model_file), cmocka_unit_test(test_rejects_bad_frames),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

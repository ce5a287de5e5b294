/*
 * test_track.c - the tracker (pipeline/track.h) on face paths whose truth is
 * known: two faces moving across the picture with detection misses, a face
 * that leaves and a new one that comes, jittery detections, the frames
 * before the first / after the last detection, a scene cut, and two faces
 * crossing (no track may carry on with the other face).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "pipeline/track.h"

static cb_tracker *open_tracker(void)
{
    cb_tracker_opts o;
    cb_tracker_opts_default(&o);
    cb_tracker *t = NULL;
    cb_error err = {0};
    assert_int_equal(cb_tracker_open(&o, &t, &err), 0);
    return t;
}

/* The true box of face `which` (0 or 1) in frame f: moving at 6 px/frame. */
static cb_face truth(int which, int64_t f)
{
    cb_face b = {.w = 60, .h = 70, .score = 0.9f};
    b.x = which ? 900 - 6.0f * (float)f : 100 + 6.0f * (float)f;
    b.y = which ? 400 : 100 + 2.0f * (float)f;
    return b;
}

static int contains(const cb_track_box *b, const cb_face *f)
{
    return b->x <= f->x + 0.01f && b->y <= f->y + 0.01f && b->x + b->w >= f->x + f->w - 0.01f &&
           b->y + b->h >= f->y + f->h - 0.01f;
}

/* Two faces, 100 frames, each missed now and then (up to 10 frames in a
 * row): two tracks, and every true box inside its track's box in every frame. */
static void test_two_faces_with_misses(void **state)
{
    (void)state;
    cb_tracker *t = open_tracker();
    cb_error err = {0};
    for (int64_t f = 0; f < 100; f++) {
        cb_face faces[2];
        int n = 0;
        if (!(f >= 20 && f < 30) && f % 7 != 3)
            faces[n++] = truth(0, f);
        if (!(f >= 50 && f < 55) && f % 5 != 1)
            faces[n++] = truth(1, f);
        int ids[2] = {0, 0};
        assert_int_equal(cb_tracker_add(t, f, faces, n, ids, &err), 0);
    }
    assert_int_equal(cb_tracker_finish(t, 100, &err), 0);
    int n = 0;
    const cb_track *tracks = cb_tracker_tracks(t, &n);
    assert_int_equal(n, 2);
    for (int k = 0; k < 2; k++) {
        assert_int_equal(tracks[k].first, 0);
        assert_int_equal(tracks[k].last, 99);
        for (int64_t f = 0; f < 100; f++) {
            const cb_track_box *b = cb_track_box_at(&tracks[k], f);
            assert_non_null(b);
            cb_face want = truth(k, f);
            if (!contains(b, &want))
                fail_msg("track %d frame %lld: box %.1f,%.1f %.1fx%.1f misses %.1f,%.1f", k,
                         (long long)f, b->x, b->y, b->w, b->h, want.x, want.y);
            /* Not absurdly large either. */
            assert_true(b->w < want.w * 1.5f && b->h < want.h * 1.5f);
        }
    }
    assert_null(cb_track_box_at(&tracks[0], 100));
    cb_tracker_close(t);
}

/* A face detected in frames 30-59 only: covered from 30 - extend to
 * 59 + extend, moving on with its speed; nothing outside. A face that
 * comes back after more than max_gap frames is a new track. */
static void test_extension_and_new_track(void **state)
{
    (void)state;
    cb_tracker_opts o;
    cb_tracker_opts_default(&o);
    cb_tracker *t = open_tracker();
    cb_error err = {0};
    for (int64_t f = 30; f < 60; f++) {
        cb_face face = truth(0, f);
        assert_int_equal(cb_tracker_add(t, f, &face, 1, NULL, &err), 0);
    }
    int64_t back = 60 + o.max_gap + 1;
    cb_face again = truth(0, back);
    int id = 0;
    assert_int_equal(cb_tracker_add(t, back, &again, 1, &id, &err), 0);
    assert_int_equal(id, 2);
    assert_int_equal(cb_tracker_finish(t, 200, &err), 0);
    int n = 0;
    const cb_track *tracks = cb_tracker_tracks(t, &n);
    assert_int_equal(n, 2);
    assert_int_equal(tracks[0].first, 30 - o.extend);
    assert_int_equal(tracks[0].last, 59 + o.extend_after);
    assert_int_equal(tracks[0].detections, 30);
    for (int64_t f = 30 - o.extend; f <= 59 + o.extend_after; f++) {
        cb_face want = truth(0, f);
        assert_true(contains(cb_track_box_at(&tracks[0], f), &want));
    }
    assert_null(cb_track_box_at(&tracks[0], 30 - o.extend - 1));
    assert_int_equal(tracks[1].first, back - o.extend);
    cb_tracker_close(t);
}

/* Detections jitter by up to +-4 px: the output moves smoothly (its
 * frame-to-frame steps vary far less than the input's) and still covers
 * every detection. */
static void test_smooth(void **state)
{
    (void)state;
    cb_tracker *t = open_tracker();
    cb_error err = {0};
    cb_face dets[80];
    uint32_t rng = 7;
    for (int64_t f = 0; f < 80; f++) {
        dets[f] = truth(0, f);
        rng = rng * 1103515245u + 12345u;
        dets[f].x += (float)((rng >> 16) % 9) - 4;
        rng = rng * 1103515245u + 12345u;
        dets[f].y += (float)((rng >> 16) % 9) - 4;
        assert_int_equal(cb_tracker_add(t, f, &dets[f], 1, NULL, &err), 0);
    }
    assert_int_equal(cb_tracker_finish(t, 80, &err), 0);
    int n = 0;
    const cb_track *tr = cb_tracker_tracks(t, &n);
    assert_int_equal(n, 1);
    double in_var = 0, out_var = 0;
    for (int64_t f = 2; f < 78; f++) {
        const cb_track_box *a = cb_track_box_at(tr, f - 1), *b = cb_track_box_at(tr, f);
        assert_true(contains(b, &dets[f]));
        double step_in = (dets[f].x - dets[f - 1].x) - 6.0;
        double step_out = (b->x + b->w / 2 - a->x - a->w / 2) - 6.0;
        in_var += step_in * step_in;
        out_var += step_out * step_out;
    }
    printf("step variance: detections %.2f, track %.2f\n", in_var / 76, out_var / 76);
    assert_true(out_var < in_var / 3);
    cb_tracker_close(t);
}

static void test_bad_use(void **state)
{
    (void)state;
    cb_tracker *t = open_tracker();
    cb_error err = {0};
    cb_face f = truth(0, 0);
    assert_int_equal(cb_tracker_add(t, 5, &f, 1, NULL, &err), 0);
    assert_int_equal(cb_tracker_add(t, 5, &f, 1, NULL, &err), CB_EINVAL);
    assert_int_equal(cb_tracker_add(t, 4, &f, 1, NULL, &err), CB_EINVAL);
    assert_int_equal(cb_tracker_finish(t, 10, &err), 0);
    assert_int_equal(cb_tracker_add(t, 11, &f, 1, NULL, &err), CB_EINVAL);
    cb_tracker_close(t);
    cb_tracker_close(NULL);
    cb_tracker_opts o;
    cb_tracker_opts_default(&o);
    o.min_iou = 0;
    assert_int_equal(cb_tracker_open(&o, &t, &err), CB_EINVAL);
}

/* A face at one place before a cut at frame 40 and another at the same
 * place after it: two tracks, neither reaching across the cut. */
static void test_cut(void **state)
{
    (void)state;
    cb_tracker *t = open_tracker();
    cb_error err = {0};
    const cb_face face = {.x = 200, .y = 100, .w = 60, .h = 70, .score = 0.9f};
    int ids[80];
    for (int64_t f = 0; f < 80; f++) {
        if (f == 40)
            assert_int_equal(cb_tracker_cut(t, f, &err), 0);
        assert_int_equal(cb_tracker_add(t, f, &face, 1, &ids[f], &err), 0);
    }
    assert_int_not_equal(ids[39], ids[40]);
    assert_int_equal(cb_tracker_cut(t, 79, &err), CB_EINVAL); /* not after the last frame */
    assert_int_equal(cb_tracker_finish(t, 80, &err), 0);
    int n = 0;
    const cb_track *tracks = cb_tracker_tracks(t, &n);
    assert_int_equal(n, 2);
    assert_int_equal(tracks[0].first, 0);
    assert_int_equal(tracks[0].last, 39);
    assert_int_equal(tracks[1].first, 40);
    assert_int_equal(tracks[1].last, 79);
    cb_tracker_close(t);
}

/* Two faces crossing (their boxes overlap for some frames, one of them
 * behind and missed in every other frame): no track holds detections of
 * both faces; and where the two boxes overlap much (IoU 0.7: either could
 * be either track's), neither carries on with the track it had. */
static void test_crossing(void **state)
{
    (void)state;
    cb_tracker *t = open_tracker();
    cb_error err = {0};
    int owner[512], last[2] = {0, 0}; /* track id -> face; each face's last track */
    for (size_t i = 0; i < sizeof owner / sizeof *owner; i++)
        owner[i] = -1;
    for (int64_t f = 0; f < 140; f++) {
        cb_face faces[2] = {truth(0, f), truth(1, f)};
        faces[0].y = faces[1].y = 400; /* the same row; face 1 slows down from frame 60 */
        faces[1].x = f < 60 ? 900 - 8.0f * (float)f : 420 + 0.5f * (float)(f - 60);
        const int n = (f >= 60 && f < 90 && f % 2) ? 1 : 2;
        const int rivals = n == 2 && cb_face_iou(&faces[0], &faces[1]) >= 0.7f;
        int ids[2] = {0, 0};
        assert_int_equal(cb_tracker_add(t, f, faces, n, ids, &err), 0);
        for (int k = 0; k < n; k++) {
            assert_true(ids[k] > 0 && ids[k] < (int)(sizeof owner / sizeof *owner));
            if (owner[ids[k]] >= 0 && owner[ids[k]] != k)
                fail_msg("frame %lld: track %d took face %d after face %d", (long long)f, ids[k],
                         k, owner[ids[k]]);
            if (rivals && ids[k] == last[k])
                fail_msg("frame %lld: face %d kept track %d in doubt", (long long)f, k, ids[k]);
            owner[ids[k]] = k;
            last[k] = ids[k];
        }
    }
    cb_tracker_close(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_faces_with_misses),
        cmocka_unit_test(test_extension_and_new_track),
        cmocka_unit_test(test_smooth),
        cmocka_unit_test(test_bad_use),
        cmocka_unit_test(test_cut),
        cmocka_unit_test(test_crossing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

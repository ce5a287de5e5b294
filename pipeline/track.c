/* track.c - link detections across frames into tracks; see track.h. */
#include "track.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A detection joins a track without overlap when its centre is this close
 * (in face sizes) and its size within this ratio. */
#define CB_TRACK_NEAR 0.6f
#define CB_TRACK_SIZE_RATIO 1.5f
/* Two detections overlapping this much are one face found twice. */
#define CB_TRACK_SAME_FACE_IOU 0.3f
/* Another pairing fitting at least this share as well as the best one makes it doubtful. */
#define CB_TRACK_RIVAL 0.5f
/* Extended frames grow the box by this fraction per frame (the face may be
 * moving in a way the last detections do not show). */
#define CB_TRACK_EXTEND_GROWTH 0.04f
/* An end of a track is taken from this many detections. */
#define CB_TRACK_END_DETECTIONS 4

typedef struct det {
    int64_t frame;
    float x, y, w, h;
} det;

typedef struct track_state {
    cb_track pub;
    det *dets;
    int n, cap;
    int ended;
    int64_t lo, hi; /* the frames it may cover: between the scene cuts around it */
} track_state;

struct cb_tracker {
    cb_tracker_opts opts;
    track_state *tracks;
    int n, cap;
    cb_track *finished; /* public views, after finish */
    int64_t last_frame;
    int64_t last_cut;   /* the first frame of the current scene */
    int done;
};

void cb_tracker_opts_default(cb_tracker_opts *opts)
{
    opts->max_gap = 15;
    opts->extend = 6;
    opts->extend_after = 6;
    opts->smooth = 2;
    opts->min_iou = 0.2f;
}

int cb_tracker_open(const cb_tracker_opts *opts, cb_tracker **out, cb_error *err)
{
    *out = NULL;
    if (!opts || opts->max_gap < 0 || opts->extend < 0 || opts->extend_after < 0 || opts->smooth < 0 ||
        opts->min_iou <= 0 || opts->min_iou > 1)
        return cb_error_set(err, CB_EINVAL, "tracker: bad options");
    cb_tracker *t = calloc(1, sizeof *t);
    if (!t)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    t->opts = *opts;
    t->last_frame = -1;
    *out = t;
    return 0;
}

void cb_tracker_close(cb_tracker *t)
{
    if (!t)
        return;
    for (int i = 0; i < t->n; i++) {
        free(t->tracks[i].dets);
        free(t->tracks[i].pub.boxes);
    }
    free(t->tracks);
    free(t->finished);
    free(t);
}

static float iou(float ax, float ay, float aw, float ah, float bx, float by, float bw, float bh)
{
    float x0 = fmaxf(ax, bx), y0 = fmaxf(ay, by);
    float x1 = fminf(ax + aw, bx + bw), y1 = fminf(ay + ah, by + bh);
    if (x1 <= x0 || y1 <= y0)
        return 0;
    float inter = (x1 - x0) * (y1 - y0);
    return inter / (aw * ah + bw * bh - inter);
}

/* Where the track's face should be in `frame`: the last box moved on by the
 * velocity of the last two detections. */
static det predict(const track_state *s, int64_t frame)
{
    det p = s->dets[s->n - 1];
    if (s->n >= 2) {
        const det *a = &s->dets[s->n - 2], *b = &s->dets[s->n - 1];
        float dt = (float)(b->frame - a->frame), ahead = (float)(frame - b->frame);
        if (dt > 0) {
            p.x += (b->x + b->w / 2 - a->x - a->w / 2) / dt * ahead;
            p.y += (b->y + b->h / 2 - a->y - a->h / 2) / dt * ahead;
        }
    }
    return p;
}

int cb_tracker_expected(const cb_tracker *t, int64_t frame, cb_face *out, int max)
{
    int n = 0;
    for (int i = 0; i < t->n && n < max; i++) {
        const track_state *s = &t->tracks[i];
        if (s->ended || frame - s->dets[s->n - 1].frame > t->opts.max_gap)
            continue;
        det p = predict(s, frame);
        out[n++] = (cb_face){.x = p.x, .y = p.y, .w = p.w, .h = p.h, .score = 1};
    }
    return n;
}

/* How well a face fits a track's prediction: > 0 when it may join. */
static float affinity(const det *p, const cb_face *f, float min_iou)
{
    float o = iou(p->x, p->y, p->w, p->h, f->x, f->y, f->w, f->h);
    if (o >= min_iou)
        return o;
    float size = fmaxf(p->w, p->h), fsize = fmaxf(f->w, f->h);
    if (size <= 0 || fsize <= 0 || fsize / size > CB_TRACK_SIZE_RATIO ||
        size / fsize > CB_TRACK_SIZE_RATIO)
        return 0;
    float dx = (f->x + f->w / 2) - (p->x + p->w / 2), dy = (f->y + f->h / 2) - (p->y + p->h / 2);
    float dist = sqrtf(dx * dx + dy * dy) / size;
    return dist < CB_TRACK_NEAR ? 0.01f * (1 - dist / CB_TRACK_NEAR) : 0;
}

static int push_det(track_state *s, int64_t frame, const cb_face *f, cb_error *err)
{
    if (s->n == s->cap) {
        int cap = s->cap ? s->cap * 2 : 16;
        det *d = realloc(s->dets, (size_t)cap * sizeof *d);
        if (!d)
            return cb_error_set(err, CB_ENOMEM, "out of memory tracking faces");
        s->dets = d;
        s->cap = cap;
    }
    s->dets[s->n++] = (det){frame, f->x, f->y, f->w, f->h};
    s->pub.detections = s->n;
    return 0;
}

static int new_track(cb_tracker *t, int64_t frame, const cb_face *f, cb_error *err)
{
    if (t->n == t->cap) {
        int cap = t->cap ? t->cap * 2 : 16;
        track_state *g = realloc(t->tracks, (size_t)cap * sizeof *g);
        if (!g)
            return cb_error_set(err, CB_ENOMEM, "out of memory tracking faces");
        t->tracks = g;
        t->cap = cap;
    }
    track_state *s = &t->tracks[t->n];
    memset(s, 0, sizeof *s);
    s->pub.id = t->n + 1;
    s->lo = t->last_cut;
    s->hi = INT64_MAX;
    int rc = push_det(s, frame, f, err);
    if (rc < 0) {
        free(s->dets);
        return rc;
    }
    t->n++;
    return s->pub.id;
}

typedef struct pair {
    float score;
    int track, face;
} pair;

static int by_score_desc(const void *a, const void *b)
{
    const pair *p = a, *q = b;
    return (p->score < q->score) - (p->score > q->score);
}

/*
 * Is the pairing p of a track and a face in doubt: could the face as well
 * be another track's, or the track as well be another face (one that is not
 * the same face found twice), fitting at least CB_TRACK_RIVAL as well? Then
 * the two may have swapped, as two faces crossing do, and the track must not
 * carry on with it. (Two faces side by side are no rivals: each overlaps its
 * own track's box, and is only near the other's.)
 */
static int contested(const pair *pairs, int np, const pair *p, const cb_face *faces)
{
    for (int i = 0; i < np; i++) {
        const pair *q = &pairs[i];
        if (q->score < CB_TRACK_RIVAL * p->score)
            continue;
        if (q->face == p->face && q->track != p->track)
            return 1;
        if (q->track == p->track && q->face != p->face &&
            cb_face_iou(&faces[q->face], &faces[p->face]) < CB_TRACK_SAME_FACE_IOU)
            return 1;
    }
    return 0;
}

int cb_tracker_cut(cb_tracker *t, int64_t frame, cb_error *err)
{
    if (t->done || frame <= t->last_frame)
        return cb_error_set(err, CB_EINVAL, "tracker: a cut must come before its frame's faces");
    for (int i = 0; i < t->n; i++) {
        track_state *s = &t->tracks[i];
        s->ended = 1;
        if (s->hi > frame - 1)
            s->hi = frame - 1;
    }
    t->last_cut = frame;
    return 0;
}

int cb_tracker_add(cb_tracker *t, int64_t frame, const cb_face *faces, int count, int *track_ids,
                   cb_error *err)
{
    if (t->done || frame <= t->last_frame || count < 0 || (count > 0 && !faces))
        return cb_error_set(err, CB_EINVAL, "tracker: frames must be added in order");
    t->last_frame = frame;
    for (int i = 0; i < t->n; i++)
        if (!t->tracks[i].ended &&
            frame - t->tracks[i].dets[t->tracks[i].n - 1].frame > t->opts.max_gap)
            t->tracks[i].ended = 1;
    if (count == 0)
        return 0;
    int n_active = 0;
    for (int i = 0; i < t->n; i++)
        n_active += !t->tracks[i].ended;
    pair *pairs = malloc(sizeof *pairs * (size_t)(n_active > 0 ? n_active : 1) * (size_t)count);
    int *taken = calloc((size_t)count, sizeof *taken);
    int *joined = calloc((size_t)t->n + 1, sizeof *joined);
    int rc = 0;
    if (!pairs || !taken || !joined) {
        rc = cb_error_set(err, CB_ENOMEM, "out of memory tracking faces");
        goto done;
    }
    int np = 0;
    for (int i = 0; i < t->n; i++) {
        if (t->tracks[i].ended)
            continue;
        det p = predict(&t->tracks[i], frame);
        for (int k = 0; k < count; k++) {
            float a = affinity(&p, &faces[k], t->opts.min_iou);
            if (a > 0)
                pairs[np++] = (pair){a, i, k};
        }
    }
    qsort(pairs, (size_t)np, sizeof *pairs, by_score_desc);
    for (int i = 0; rc == 0 && i < np; i++) {
        if (taken[pairs[i].face] || joined[pairs[i].track])
            continue;
        joined[pairs[i].track] = 1;
        if (contested(pairs, np, &pairs[i], faces)) {
            t->tracks[pairs[i].track].ended = 1; /* the face starts a track of its own below */
            continue;
        }
        taken[pairs[i].face] = 1;
        rc = push_det(&t->tracks[pairs[i].track], frame, &faces[pairs[i].face], err);
        if (track_ids)
            track_ids[pairs[i].face] = t->tracks[pairs[i].track].pub.id;
    }
    for (int k = 0; rc == 0 && k < count; k++) {
        if (taken[k])
            continue;
        int id = new_track(t, frame, &faces[k], err);
        if (id < 0)
            rc = id;
        else if (track_ids)
            track_ids[k] = id;
    }
done:
    free(pairs);
    free(taken);
    free(joined);
    return rc;
}

/*
 * One end of a track (side 0: the start, 1: the end) to extend from: the
 * mean centre and the largest size of its last (first) CB_TRACK_END_DETECTIONS
 * detections, at the frame of the outermost one, and their velocity (pixels
 * per frame, outwards in time) from the first to the last of them. Not the
 * last box alone: one box found half off the face, as at the picture's edge,
 * would throw the whole extension off.
 */
static void track_end(const track_state *s, int side, det *e, float *vx, float *vy)
{
    const int n = s->n < CB_TRACK_END_DETECTIONS ? s->n : CB_TRACK_END_DETECTIONS;
    const det *run = side ? &s->dets[s->n - n] : s->dets; /* n detections in time order */
    float cx = 0, cy = 0, w = 0, h = 0;
    for (int i = 0; i < n; i++) {
        cx += run[i].x + run[i].w / 2;
        cy += run[i].y + run[i].h / 2;
        w = fmaxf(w, run[i].w);
        h = fmaxf(h, run[i].h);
    }
    cx /= (float)n;
    cy /= (float)n;
    const det *a = &run[0], *b = &run[n - 1];
    const float dt = (float)(b->frame - a->frame);
    *vx = dt > 0 ? (b->x + b->w / 2 - a->x - a->w / 2) / dt : 0;
    *vy = dt > 0 ? (b->y + b->h / 2 - a->y - a->h / 2) / dt : 0;
    /* the mean centre lies (n - 1) / 2 detections back from the end: move it there */
    const det *outer = side ? b : a;
    const float back = (float)(side ? outer->frame - (a->frame + b->frame) / 2.0
                                    : (a->frame + b->frame) / 2.0 - outer->frame);
    const float sign = side ? 1.0f : -1.0f;
    cx += sign * *vx * back;
    cy += sign * *vy * back;
    *e = (det){outer->frame, cx - w / 2, cy - h / 2, w, h};
}

/* Dense boxes for one track: interpolated, extended, smoothed, widened. */
static int finish_track(track_state *s, const cb_tracker_opts *o, int64_t frames, cb_error *err)
{
    const det *d = s->dets;
    const int64_t d0 = d[0].frame, d1 = d[s->n - 1].frame;
    int64_t first = d0 - o->extend < s->lo ? s->lo : d0 - o->extend;
    int64_t last = d1 + o->extend_after > frames - 1 ? frames - 1 : d1 + o->extend_after;
    if (last > s->hi)
        last = s->hi;
    if (last < d1)
        last = d1;
    const int64_t len = last - first + 1;
    cb_track_box *raw = malloc(sizeof *raw * (size_t)len);
    cb_track_box *out = malloc(sizeof *out * (size_t)len);
    if (!raw || !out) {
        free(raw);
        free(out);
        return cb_error_set(err, CB_ENOMEM, "out of memory tracking faces");
    }
    /* Interpolate between detections. */
    for (int k = 0; k < s->n; k++) {
        const det *a = &d[k], *b = k + 1 < s->n ? &d[k + 1] : &d[k];
        int64_t span = b->frame - a->frame;
        for (int64_t f = a->frame; f <= b->frame; f++) {
            float u = span > 0 ? (float)(f - a->frame) / (float)span : 0;
            raw[f - first] = (cb_track_box){a->x + (b->x - a->x) * u, a->y + (b->y - a->y) * u,
                                            a->w + (b->w - a->w) * u, a->h + (b->h - a->h) * u,
                                            (uint8_t)(f == a->frame || f == b->frame)};
        }
    }
    /* Extend, moving on with the end's velocity and growing. */
    for (int side = 0; side < 2; side++) {
        det e;
        float vx, vy;
        track_end(s, side, &e, &vx, &vy);
        int64_t from = side ? d1 + 1 : first, to = side ? last : d0 - 1;
        for (int64_t f = from; f <= to; f++) {
            float k = (float)(f - e.frame); /* negative before the start */
            float g = 1 + CB_TRACK_EXTEND_GROWTH * fabsf(k);
            float cx = e.x + e.w / 2 + vx * k, cy = e.y + e.h / 2 + vy * k;
            raw[f - first] = (cb_track_box){cx - e.w * g / 2, cy - e.h * g / 2, e.w * g,
                                            e.h * g, 0};
        }
    }
    /* Smooth centre and size; then widen so the raw box stays covered. */
    for (int64_t i = 0; i < len; i++) {
        float cx = 0, cy = 0, w = 0, h = 0;
        int m = 0;
        for (int64_t j = i - o->smooth; j <= i + o->smooth; j++) {
            if (j < 0 || j >= len)
                continue;
            cx += raw[j].x + raw[j].w / 2;
            cy += raw[j].y + raw[j].h / 2;
            w += raw[j].w;
            h += raw[j].h;
            m++;
        }
        cx /= (float)m;
        cy /= (float)m;
        w /= (float)m;
        h /= (float)m;
        const cb_track_box *r = &raw[i];
        float need_w = 2 * fmaxf(fabsf(r->x - cx), fabsf(r->x + r->w - cx));
        float need_h = 2 * fmaxf(fabsf(r->y - cy), fabsf(r->y + r->h - cy));
        w = fmaxf(w, need_w);
        h = fmaxf(h, need_h);
        out[i] = (cb_track_box){cx - w / 2, cy - h / 2, w, h, r->detected};
    }
    free(raw);
    free(s->pub.boxes);
    s->pub.boxes = out;
    s->pub.first = first;
    s->pub.last = last;
    return 0;
}

int cb_tracker_finish(cb_tracker *t, int64_t frames, cb_error *err)
{
    if (t->done)
        return 0;
    if (frames <= t->last_frame)
        frames = t->last_frame + 1;
    t->finished = calloc((size_t)(t->n > 0 ? t->n : 1), sizeof *t->finished);
    if (!t->finished)
        return cb_error_set(err, CB_ENOMEM, "out of memory tracking faces");
    for (int i = 0; i < t->n; i++) {
        t->tracks[i].ended = 1;
        int rc = finish_track(&t->tracks[i], &t->opts, frames, err);
        if (rc < 0)
            return rc;
        t->finished[i] = t->tracks[i].pub;
    }
    t->done = 1;
    return 0;
}

const cb_track *cb_tracker_tracks(const cb_tracker *t, int *count)
{
    *count = t->done ? t->n : 0;
    return t->finished;
}

const cb_track_box *cb_track_box_at(const cb_track *tr, int64_t frame)
{
    if (!tr->boxes || frame < tr->first || frame > tr->last)
        return NULL;
    return &tr->boxes[frame - tr->first];
}

int cb_tracks_seen_apart(const cb_track *a, const cb_track *b)
{
    const int64_t from = a->first > b->first ? a->first : b->first;
    const int64_t to = a->last < b->last ? a->last : b->last;
    for (int64_t f = from; f <= to; f++) {
        const cb_track_box *p = cb_track_box_at(a, f), *q = cb_track_box_at(b, f);
        if (!p->detected || !q->detected)
            continue;
        const cb_face fp = {.x = p->x, .y = p->y, .w = p->w, .h = p->h};
        const cb_face fq = {.x = q->x, .y = q->y, .w = q->w, .h = q->h};
        if (cb_face_iou(&fp, &fq) < CB_TRACK_SAME_FACE_IOU)
            return 1;
    }
    return 0;
}

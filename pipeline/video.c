/* video.c - analyse, decide per track, render; see video.h. */
#include "../common/i18n.h"
#include "video.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/cb_date.h"
#include "../common/fsutil.h"
#include "frame_reader.h"
#include "frame_util.h"
#include "scene_cut.h"

/* Frames decoded ahead of the consumer. */
#define CB_VIDEO_QUEUE_DEPTH 8
/* Tracked faces looked for first in each frame (more are still found by the
 * scan, just not every frame). */
#define CB_VIDEO_MAX_HINTS 64
/* After max_embeddings samples, a track is still sampled every this many
 * detections (1 s at 30 fps): a face that took another's place without a
 * cut or a gap is caught within that. */
#define CB_VIDEO_LATE_SAMPLE_EVERY 30
/* A redacted face's region holds its boxes of this many frames either side. */
#define CB_VIDEO_STEADY 3

void cb_video_opts_default(cb_video_opts *opts)
{
    memset(opts, 0, sizeof *opts);
    opts->style = CB_REDACT_DEFAULT;
    opts->detect_every = 1;
    opts->scan_rounds = 10;
    opts->embed_every = 8;
    opts->max_embeddings = 8;
    cb_tracker_opts_default(&opts->track);
    cb_video_out_opts_default(&opts->out);
}

void cb_video_result_free(cb_video_result *result)
{
    if (!result)
        return;
    for (int i = 0; result->tracks && i < result->n_tracks; i++)
        free(result->tracks[i].boxes);
    free(result->tracks);
    memset(result, 0, sizeof *result);
}

/* What pass 1 learns about one track. */
typedef struct track_notes {
    cb_verdict *samples;
    int n, cap;
    int seen;            /* detections so far */
    int seen_at_sample;  /* `seen` when the last sample was taken */
    int pending;         /* a sample was due while the face was partly covered */
    int64_t last_frame;  /* of the last detection */
    float box[4];        /* largest detection */
} track_notes;

typedef struct analysis {
    cb_tracker *tracker;
    track_notes *notes; /* indexed by track id - 1 */
    int n_notes;
    float *embedding;
    cb_scene_sig scene; /* of the last analysed frame */
} analysis;

static void analysis_free(analysis *a)
{
    for (int i = 0; i < a->n_notes; i++)
        free(a->notes[i].samples);
    free(a->notes);
    free(a->embedding);
    cb_tracker_close(a->tracker);
}

static track_notes *notes_for(analysis *a, int id, cb_error *err)
{
    if (id > a->n_notes) {
        track_notes *g = realloc(a->notes, sizeof *g * (size_t)id);
        if (!g) {
            cb_error_set(err, CB_ENOMEM, "out of memory");
            return NULL;
        }
        memset(g + a->n_notes, 0, sizeof *g * (size_t)(id - a->n_notes));
        a->notes = g;
        a->n_notes = id;
    }
    return &a->notes[id - 1];
}

static int add_sample(track_notes *t, const cb_verdict *v, cb_error *err)
{
    if (t->n == t->cap) {
        int cap = t->cap ? t->cap * 2 : 4;
        cb_verdict *g = realloc(t->samples, sizeof *g * (size_t)cap);
        if (!g)
            return cb_error_set(err, CB_ENOMEM, "out of memory");
        t->samples = g;
        t->cap = cap;
    }
    t->samples[t->n++] = *v;
    return 0;
}

/*
 * Is a sample (an embedding and a verdict) due for track t, seen again in
 * frame `frame`? At its first detection; back after a gap of more than two
 * analysed frames (someone else may have stepped in); every embed_every-th
 * detection for the first max_embeddings samples, then every
 * CB_VIDEO_LATE_SAMPLE_EVERY-th.
 */
static int sample_due(const track_notes *t, int64_t frame, const cb_video_opts *o)
{
    if (t->pending || t->seen == 0 || frame - t->last_frame > 2 * (int64_t)o->detect_every)
        return 1;
    const int every = t->n < o->max_embeddings ? o->embed_every : CB_VIDEO_LATE_SAMPLE_EVERY;
    return t->seen - t->seen_at_sample >= every;
}

/* Does another head of the frame (the region redaction would cover around
 * its face, hair and all) cover part of face k: a tenth of its box or more? */
static int covered(const cb_face_list *faces, int k)
{
    const cb_face *f = &faces->faces[k];
    for (int i = 0; i < faces->count; i++) {
        cb_redact_ellipse g;
        cb_redact_region(&faces->faces[i], INT_MAX, INT_MAX, &g);
        const float w = fminf(f->x + f->w, g.cx + g.rx) - fmaxf(f->x, g.cx - g.rx);
        const float h = fminf(f->y + f->h, g.cy + g.ry) - fmaxf(f->y, g.cy - g.ry);
        if (i != k && w > 0 && h > 0 && w * h >= 0.1f * f->w * f->h)
            return 1;
    }
    return 0;
}

/*
 * Note face k of faces, of track t, in this frame: its size, and a sample
 * when due - unless another face covers part of it (a look at half of one
 * face and half of another proves nothing): then at its next clear detection.
 */
static int note_face(analysis *a, cb_judge *judge, const AVFrame *frame, int64_t index,
                     const cb_face_list *faces, int k, track_notes *t, const cb_video_opts *o,
                     cb_error *err)
{
    const cb_face *f = &faces->faces[k];
    if (f->w * f->h > t->box[2] * t->box[3]) {
        t->box[0] = f->x;
        t->box[1] = f->y;
        t->box[2] = f->w;
        t->box[3] = f->h;
    }
    const int due = judge && sample_due(t, index, o);
    t->seen++;
    t->last_frame = index;
    t->pending = due && covered(faces, k);
    if (!due || t->pending)
        return 0;
    t->seen_at_sample = t->seen;
    cb_verdict v;
    int rc = cb_judge_embed(judge, frame, f, a->embedding, err);
    if (rc >= 0)
        rc = cb_judge_decide(judge, rc == 0 ? a->embedding : NULL, &v, err);
    if (rc == 0)
        rc = add_sample(t, &v, err);
    return rc;
}

/*
 * Detect the faces of one frame (the round-th analysed one) into faces: the
 * scan due this round and a look around every track; after a scene cut the
 * tracks end and the whole scan runs at once.
 */
static int detect(analysis *a, cb_detector *det, const AVFrame *frame, int64_t index,
                  int64_t round, const cb_video_opts *o, cb_face_list *faces, cb_error *err)
{
    cb_scene_sig sig;
    cb_scene_sig_of(frame, &sig);
    const int cut = index > 0 && cb_scene_distance(&a->scene, &sig) > CB_SCENE_CUT;
    a->scene = sig;
    int rc = cut ? cb_tracker_cut(a->tracker, index, err) : 0;
    cb_face hints[CB_VIDEO_MAX_HINTS];
    int n_hints = cb_tracker_expected(a->tracker, index, hints, CB_VIDEO_MAX_HINTS);
    if (rc == 0)
        rc = cb_detector_detect_part(det, frame, cut ? 0 : (int)(round % o->scan_rounds),
                                     cut ? 1 : o->scan_rounds, hints, n_hints, faces, err);
    return rc;
}

/* Detect in one frame (the round-th of the analysed ones), feed the
 * tracker, and embed the faces due for it. */
static int analyse_frame(analysis *a, cb_detector *det, cb_judge *judge, const AVFrame *frame,
                         int64_t index, int64_t round, const cb_video_opts *o,
                         cb_video_result *res, cb_error *err)
{
    double t0 = cb_monotonic_seconds();
    cb_face_list faces = {0};
    int *ids = NULL;
    int rc = detect(a, det, frame, index, round, o, &faces, err);
    if (rc == 0 && faces.count > 0) {
        ids = calloc((size_t)faces.count, sizeof *ids);
        if (!ids)
            rc = cb_error_set(err, CB_ENOMEM, "out of memory");
    }
    double t1 = cb_monotonic_seconds();
    res->stage.detect += t1 - t0;
    if (rc == 0)
        rc = cb_tracker_add(a->tracker, index, faces.faces, faces.count, ids, err);
    double t2 = cb_monotonic_seconds();
    res->stage.track += t2 - t1;
    for (int k = 0; rc == 0 && k < faces.count; k++) {
        const cb_face *f = &faces.faces[k];
        cb_log(o->log, CB_LOG_DEBUG, "frame %lld: face %.0f,%.0f %.0fx%.0f (%.2f) -> track %d",
               (long long)index, f->x, f->y, f->w, f->h, f->score, ids[k]);
        track_notes *t = notes_for(a, ids[k], err);
        rc = t ? note_face(a, judge, frame, index, &faces, k, t, o, err) : CB_ENOMEM;
    }
    res->stage.embed += cb_monotonic_seconds() - t2;
    free(ids);
    cb_face_list_free(&faces);
    return rc;
}

/* Takes one decoded frame (freed by the caller afterwards). */
typedef cb_frame_prepare_fn frame_fn;

/*
 * Hand every frame of reader, in order, to fn; report progress for `pass`
 * (of `total` frames). *count = the frames handed out. Returns 0 at the end
 * of the stream or the first error (the decoder's or fn's).
 */
static int each_frame(cb_frame_reader *reader, frame_fn fn, void *ctx, const cb_video_opts *o,
                      int pass, int64_t total, int64_t *count, double *wait, cb_error *err)
{
    int rc = 0;
    for (*count = 0; rc == 0;) {
        AVFrame *frame = NULL;
        double t0 = cb_monotonic_seconds();
        int got = cb_frame_reader_next(reader, &frame, err);
        *wait += cb_monotonic_seconds() - t0;
        if (got == 1)
            break;
        if (got < 0)
            return got;
        rc = fn(ctx, frame, *count, err);
        av_frame_free(&frame);
        ++*count;
        if (o->progress)
            o->progress(o->progress_user, pass, *count, total);
    }
    return rc;
}

typedef struct analyse_ctx {
    analysis *a;
    cb_detector *det;
    cb_judge *judge;
    const cb_video_opts *o;
    cb_video_result *res;
} analyse_ctx;

static int analyse_one(void *ctx, AVFrame *frame, int64_t index, cb_error *err)
{
    analyse_ctx *c = ctx;
    if (index % c->o->detect_every != 0)
        return 0;
    int rc = analyse_frame(c->a, c->det, c->judge, frame, index, c->res->frames_analysed, c->o,
                           c->res, err);
    c->res->frames_analysed++;
    return rc;
}

/* Pass 1. Fills result->info and ->frames; leaves the finished tracker in a. */
static int analyse(cb_detector *det, cb_judge *judge, const char *path, const cb_video_opts *o,
                   analysis *a, cb_video_result *res, cb_error *err)
{
    cb_frame_reader *reader = NULL;
    const cb_frame_reader_opts ropts = {o->max_pixels, CB_VIDEO_QUEUE_DEPTH,
                                        CB_VIDEO_FOR_ANALYSIS, NULL, NULL};
    /* A face may be found up to scan_rounds analysed frames after it came:
     * the tracks reach back at least that far; and as far on after the
     * last detection (a face turning away may be lost by the looks around
     * the tracks until the scan finds it again). */
    cb_tracker_opts topts = o->track;
    const int reach = o->scan_rounds * o->detect_every + 2;
    if (topts.extend < reach)
        topts.extend = reach;
    if (topts.extend_after < reach)
        topts.extend_after = reach;
    if (topts.max_gap < reach)
        topts.max_gap = reach;
    int rc = cb_tracker_open(&topts, &a->tracker, err);
    if (rc == 0 && judge) {
        a->embedding = malloc(sizeof(float) * (size_t)cb_judge_embedding_dim(judge));
        if (!a->embedding)
            rc = cb_error_set(err, CB_ENOMEM, "out of memory");
    }
    if (rc == 0)
        rc = cb_frame_reader_open(path, &ropts, &reader, &res->info, err);
    int64_t index = 0;
    analyse_ctx ctx = {a, det, judge, o, res};
    if (rc == 0)
        rc = each_frame(reader, analyse_one, &ctx, o, 1, res->info.frames, &index,
                        &res->stage.wait[0], err);
    cb_frame_reader_close(reader);
    res->frames = index;
    if (rc == 0 && index == 0)
        rc = cb_error_set(err, CB_EDECODE, "%s: the video has no frames", path);
    if (rc == 0)
        rc = cb_tracker_finish(a->tracker, index, err);
    return rc;
}

/* The verdict of one track from its samples. */
static void decide_track(cb_judge *judge, const track_notes *t, cb_video_track *out)
{
    if (!judge) {
        cb_verdict_redact(&out->verdict, CB_REASON_REDACT_ALL,
                          _("every face is redacted (no registry in use)"));
        return;
    }
    if (!t || t->n == 0) {
        cb_verdict_redact(&out->verdict, CB_REASON_NOT_RECOGNISABLE,
                          _("no frame of this face could be used for recognition"));
        return;
    }
    /* The person of the first recognised sample; every sample must agree. */
    const cb_verdict *named = NULL;
    for (int i = 0; i < t->n && !named; i++)
        if (t->samples[i].person_id)
            named = &t->samples[i];
    if (!named) {
        out->verdict = t->samples[0];
        return;
    }
    for (int i = 0; i < t->n; i++)
        out->recognised += t->samples[i].person_id == named->person_id;
    out->verdict = *named;
    if (out->recognised < t->n) {
        out->verdict.keep = 0;
        out->verdict.reason = CB_REASON_TRACK_DISAGREES;
        snprintf(out->verdict.detail, sizeof out->verdict.detail,
                 _("%d of %d looks at this face recognised %s, the others did not"), out->recognised,
                 t->n, named->external_id);
    }
}

/* Two faces on screen at the same time cannot both be one person. */
static void redact_duplicates(cb_video_result *res, const cb_track *tracks)
{
    for (int a = 0; a < res->n_tracks; a++) {
        for (int b = a + 1; b < res->n_tracks; b++) {
            cb_verdict *x = &res->tracks[a].verdict, *y = &res->tracks[b].verdict;
            if (cb_verdicts_same_person(x, y) && cb_tracks_seen_apart(&tracks[a], &tracks[b]))
                cb_verdicts_redact_same_person(x, y, 1);
        }
    }
}

/* The track's box in each frame it covers, for the record (review_record.h). */
static int copy_boxes(const cb_track *tr, cb_video_track *out)
{
    const int64_t n = tr->last - tr->first + 1;
    out->boxes = n > 0 && tr->boxes ? malloc(sizeof *out->boxes * 4 * (size_t)n) : NULL;
    if (n > 0 && tr->boxes && !out->boxes)
        return -1;
    for (int64_t f = 0; out->boxes && f < n; f++) {
        const cb_track_box *b = &tr->boxes[f];
        memcpy(out->boxes + 4 * f, (const float[4]){b->x, b->y, b->w, b->h}, 4 * sizeof(float));
    }
    return 0;
}

static int decide(cb_judge *judge, const analysis *a, cb_video_result *res, cb_error *err)
{
    int n = 0;
    const cb_track *tracks = cb_tracker_tracks(a->tracker, &n);
    res->tracks = calloc((size_t)(n > 0 ? n : 1), sizeof *res->tracks);
    if (!res->tracks)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    res->n_tracks = n;
    for (int i = 0; i < n; i++) {
        cb_video_track *vt = &res->tracks[i];
        const track_notes *t = tracks[i].id <= a->n_notes ? &a->notes[tracks[i].id - 1] : NULL;
        vt->id = tracks[i].id;
        vt->first = tracks[i].first;
        vt->last = tracks[i].last;
        vt->detections = tracks[i].detections;
        vt->samples = t ? t->n : 0;
        if (t)
            memcpy(vt->box, t->box, sizeof vt->box);
        decide_track(judge, t, vt);
        if (copy_boxes(&tracks[i], vt) < 0)
            return cb_error_set(err, CB_ENOMEM, "out of memory");
    }
    redact_duplicates(res, tracks);
    for (int i = 0; i < n; i++) {
        if (res->tracks[i].verdict.keep)
            res->kept++;
        else
            res->redacted++;
    }
    return 0;
}

/* Shared by the decoding thread (redact_frame: boxes, stage.redact) and the
 * caller's (encode_frame: writer, stage.encode); the rest is read only. */
typedef struct render_ctx {
    cb_video_result *res;
    const cb_video_opts *o;
    cb_video_out *writer;
    cb_face *boxes; /* room for every track's and region's box */
    uint64_t *keys; /* each track's noise key, each region's, then (from `room` on) those
                       of `boxes` */
    AVBufferPool *pool; /* writable copies of frames the decoder still holds */
    const cb_video_redactions *what;
    int room;       /* tracks + regions */
} render_ctx;

/*
 * The box that holds track tr's boxes of the frames from CB_VIDEO_STEADY
 * before to as many after `frame` (those it covers): a region that moves
 * and grows smoothly and holds the face wherever the detections put it in
 * those frames, rather than following every jitter of the boxes of a large
 * face - with cb_redact_steady_box, the same picture from frame to frame.
 */
static cb_face box_around(const cb_track *tr, int64_t frame)
{
    float x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
    for (int64_t f = frame - CB_VIDEO_STEADY; f <= frame + CB_VIDEO_STEADY; f++) {
        const cb_track_box *b = cb_track_box_at(tr, f);
        if (!b)
            continue;
        x0 = fminf(x0, b->x);
        y0 = fminf(y0, b->y);
        x1 = fmaxf(x1, b->x + b->w);
        y1 = fmaxf(y1, b->y + b->h);
    }
    return (cb_face){.x = x0, .y = y0, .w = x1 - x0, .h = y1 - y0, .score = 1};
}

/* Redact the redacted tracks' boxes and the regions in one frame (on the decoding thread). */
static int redact_frame(void *ctx, AVFrame *frame, int64_t index, cb_error *err)
{
    render_ctx *c = ctx;
    const cb_video_redactions *w = c->what;
    const double t0 = cb_monotonic_seconds();
    int n = 0;
    for (int i = 0; i < w->n_tracks; i++) {
        const cb_track_box *b = cb_track_box_at(&w->tracks[i], index);
        if (!b || !w->redact[i])
            continue;
        c->keys[c->room + n] = c->keys[i];
        const cb_face box = box_around(&w->tracks[i], index);
        c->boxes[n++] = cb_redact_steady_box(&box);
    }
    for (int j = 0; j < w->n_regions; j++) {
        const cb_video_region *r = &w->regions[j];
        if (index < r->first || index > r->last)
            continue;
        c->keys[c->room + n] = c->keys[w->n_tracks + j];
        c->boxes[n++] = (cb_face){.x = r->x, .y = r->y, .w = r->w, .h = r->h, .score = 1};
    }
    int rc = n > 0 ? cb_frame_make_writable_pooled(frame, &c->pool) : 0;
    if (rc < 0)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    rc = cb_redact_faces_keyed(frame, c->boxes, c->keys + c->room, n, c->o->style, err);
    c->res->stage.redact += cb_monotonic_seconds() - t0;
    return rc;
}

/* Encode one redacted frame. */
static int encode_frame(void *ctx, AVFrame *frame, int64_t index, cb_error *err)
{
    (void)index;
    render_ctx *c = ctx;
    const double t0 = cb_monotonic_seconds();
    int rc = cb_video_out_write(c->writer, frame, err);
    c->res->stage.encode += cb_monotonic_seconds() - t0;
    return rc;
}

/* Pass 2: decode again, redact the redacted tracks (and regions), encode. `analysed`
 * is the file as it was when pass 1 began: if it is no longer that file, the
 * decisions may not fit the pictures, and nothing is put in place. */
static int render(const char *in_path, const char *out_path, const cb_video_redactions *what,
                  cb_video_result *res, const cb_file_id *analysed,
                  const cb_video_opts *o, cb_error *err)
{
    cb_frame_reader *reader = NULL;
    cb_video_out *writer = NULL;
    cb_video_info info;
    const int room = what->n_tracks + what->n_regions;
    cb_face *boxes = malloc(sizeof *boxes * (size_t)(room > 0 ? room : 1));
    uint64_t *keys = malloc(sizeof *keys * 2 * (size_t)(room > 0 ? room : 1));
    cb_video_out_opts out_opts = o->out;
    out_opts.audio_source = in_path;
    int rc = boxes && keys ? 0 : cb_error_set(err, CB_ENOMEM, "out of memory");
    for (int i = 0; rc == 0 && i < room; i++)
        rc = cb_redact_noise_key(&keys[i], err);
    render_ctx ctx = {res, o, NULL, boxes, keys, NULL, what, room};
    const cb_frame_reader_opts ropts = {o->max_pixels, CB_VIDEO_QUEUE_DEPTH,
                                        CB_VIDEO_FOR_ENCODING, redact_frame, &ctx};
    if (rc == 0)
        rc = cb_frame_reader_open(in_path, &ropts, &reader, &info, err);
    if (rc == 0 && (info.width != res->info.width || info.height != res->info.height))
        rc = cb_error_set(err, CB_EDECODE, "%s: changed while being processed", in_path);
    if (rc == 0)
        rc = cb_video_out_open(out_path, &info, &out_opts, &writer, err);
    int64_t index = 0;
    ctx.writer = writer;
    if (rc == 0)
        rc = each_frame(reader, encode_frame, &ctx, o, 2, res->frames, &index,
                        &res->stage.wait[1], err);
    /* The same file must give the same frames twice; anything else is doubt. */
    if (rc == 0 && index != res->frames)
        rc = cb_error_set(err, CB_EDECODE,
                          "%s: %lld frames on the second read, %lld on the first (file changed?)",
                          in_path, (long long)index, (long long)res->frames);
    if (rc == 0)
        rc = cb_file_check_unchanged(in_path, analysed, err);
    if (rc == 0)
        rc = cb_video_out_finish(writer, err);
    cb_video_out_close(writer);
    cb_frame_reader_close(reader);
    av_buffer_pool_uninit(&ctx.pool);
    free(boxes);
    free(keys);
    return rc;
}

/* Pass 2 of cb_video_process: the tracks its decisions redact. */
static int render_decided(const char *in_path, const char *out_path, const analysis *a,
                          cb_video_result *res, const cb_file_id *analysed,
                          const cb_video_opts *o, cb_error *err)
{
    cb_video_redactions what = {0};
    what.tracks = cb_tracker_tracks(a->tracker, &what.n_tracks);
    uint8_t *redact = calloc((size_t)what.n_tracks + 1, 1);
    if (!redact)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    for (int i = 0; i < what.n_tracks; i++)
        redact[i] = !res->tracks[i].verdict.keep;
    what.redact = redact;
    const int rc = render(in_path, out_path, &what, res, analysed, o, err);
    free(redact);
    return rc;
}

int cb_video_render(const char *in_path, const char *out_path, const cb_video_redactions *what,
                    int width, int height, int64_t frames, const cb_video_opts *opts,
                    cb_error *err)
{
    cb_video_result res = {.info = {.width = width, .height = height}, .frames = frames};
    cb_file_id id;
    int rc = cb_file_id_get(in_path, &id);
    if (rc < 0)
        return cb_error_set(err, rc, "%s: %s", in_path, strerror(-rc));
    if (!what || what->n_tracks < 0 || what->n_regions < 0 ||
        (what->n_tracks > 0 && (!what->tracks || !what->redact)) ||
        (what->n_regions > 0 && !what->regions))
        return cb_error_set(err, CB_EINVAL, "video: nothing to render");
    return render(in_path, out_path, what, &res, &id, opts, err);
}

/* One debug line: where the time went, per frame. */
static void log_stages(const cb_logger *log, const char *path, const cb_video_result *r)
{
    const double n = r->frames > 0 ? (double)r->frames : 1, ms = 1000 / n;
    cb_log(log, CB_LOG_DEBUG,
           "%s: ms per frame: analyse %.1f (waiting for the decoder %.1f, detect %.1f, track %.2f, "
           "recognise %.1f), render %.1f (waiting for the decoder %.1f, redact %.1f, encode %.1f)",
           path, r->seconds_analyse * ms, r->stage.wait[0] * ms, r->stage.detect * ms,
           r->stage.track * ms, r->stage.embed * ms, r->seconds_render * ms, r->stage.wait[1] * ms,
           r->stage.redact * ms, r->stage.encode * ms);
}

int cb_video_process(cb_detector *det, cb_judge *judge, const char *in_path,
                     const char *out_path, const cb_video_opts *opts, cb_video_result *result,
                     cb_error *err)
{
    cb_video_result local;
    cb_video_result *res = result ? result : &local;
    memset(res, 0, sizeof *res);
    if (opts->detect_every < 1 || opts->scan_rounds < 1 || opts->embed_every < 1 ||
        opts->max_embeddings < 1)
        return cb_error_set(err, CB_EINVAL, "video: bad options");
    analysis a = {0};
    double t0 = cb_monotonic_seconds();
    cb_file_id analysed;
    int rc = cb_file_id_get(in_path, &analysed);
    if (rc < 0)
        rc = cb_error_set(err, rc, "%s: %s", in_path, strerror(-rc));
    if (rc == 0)
        rc = analyse(det, judge, in_path, opts, &a, res, err);
    if (rc == 0)
        rc = decide(judge, &a, res, err);
    double t1 = cb_monotonic_seconds();
    res->seconds_analyse = t1 - t0;
    cb_log(opts->log, CB_LOG_INFO, "%s: %lld frames, %d face track(s): %d kept, %d redacted",
           in_path, (long long)res->frames, res->n_tracks, res->kept, res->redacted);
    if (rc == 0 && out_path) {
        rc = render_decided(in_path, out_path, &a, res, &analysed, opts, err);
        res->seconds_render = cb_monotonic_seconds() - t1;
    }
    log_stages(opts->log, in_path, res);
    analysis_free(&a);
    if (res == &local)
        cb_video_result_free(&local);
    return rc;
}

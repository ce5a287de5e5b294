/* video.c - analyse, decide per track, render; see video.h. */
#include "../common/i18n.h"
#include "video.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/cb_date.h"
#include "../common/fsutil.h"
#include "frame_reader.h"

/* Frames decoded ahead of the consumer. */
#define CB_VIDEO_QUEUE_DEPTH 8
/* Tracked faces looked for first in each frame (more are still found by the
 * scan, just not every frame). */
#define CB_VIDEO_MAX_HINTS 64

void cb_video_opts_default(cb_video_opts *opts)
{
    memset(opts, 0, sizeof *opts);
    opts->style = CB_REDACT_DEFAULT;
    opts->detect_every = 1;
    opts->scan_rounds = 6;
    opts->embed_every = 8;
    opts->max_embeddings = 8;
    cb_tracker_opts_default(&opts->track);
    cb_video_out_opts_default(&opts->out);
}

void cb_video_result_free(cb_video_result *result)
{
    if (!result)
        return;
    free(result->tracks);
    memset(result, 0, sizeof *result);
}

/* What pass 1 learns about one track. */
typedef struct track_notes {
    cb_verdict *samples;
    int n, cap;
    int seen;      /* detections so far */
    float box[4];  /* largest detection */
} track_notes;

typedef struct analysis {
    cb_tracker *tracker;
    track_notes *notes; /* indexed by track id - 1 */
    int n_notes;
    float *embedding;
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

/* Detect in one frame (the round-th of the analysed ones), feed the
 * tracker, and embed the faces due for it. */
static int analyse_frame(analysis *a, cb_detector *det, cb_judge *judge, const AVFrame *frame,
                         int64_t index, int64_t round, const cb_video_opts *o, cb_error *err)
{
    cb_face_list faces = {0};
    int *ids = NULL;
    cb_face hints[CB_VIDEO_MAX_HINTS];
    int n_hints = cb_tracker_expected(a->tracker, index, hints, CB_VIDEO_MAX_HINTS);
    int rc = cb_detector_detect_part(det, frame, (int)(round % o->scan_rounds), o->scan_rounds,
                                     hints, n_hints, &faces, err);
    if (rc == 0 && faces.count > 0) {
        ids = calloc((size_t)faces.count, sizeof *ids);
        if (!ids)
            rc = cb_error_set(err, CB_ENOMEM, "out of memory");
    }
    if (rc == 0)
        rc = cb_tracker_add(a->tracker, index, faces.faces, faces.count, ids, err);
    for (int k = 0; rc == 0 && k < faces.count; k++) {
        const cb_face *f = &faces.faces[k];
        track_notes *t = notes_for(a, ids[k], err);
        if (!t) {
            rc = CB_ENOMEM;
            break;
        }
        if (f->w * f->h > t->box[2] * t->box[3]) {
            t->box[0] = f->x;
            t->box[1] = f->y;
            t->box[2] = f->w;
            t->box[3] = f->h;
        }
        int due = judge && t->n < o->max_embeddings && t->seen % o->embed_every == 0;
        t->seen++;
        if (!due)
            continue;
        cb_verdict v;
        rc = cb_judge_embed(judge, frame, f, a->embedding, err);
        if (rc >= 0)
            rc = cb_judge_decide(judge, rc == 0 ? a->embedding : NULL, &v, err);
        if (rc == 0)
            rc = add_sample(t, &v, err);
    }
    free(ids);
    cb_face_list_free(&faces);
    return rc;
}

/* Takes one decoded frame (freed by the caller afterwards). */
typedef int (*frame_fn)(void *ctx, AVFrame *frame, int64_t index, cb_error *err);

/*
 * Hand every frame of reader, in order, to fn; report progress for `pass`
 * (of `total` frames). *count = the frames handed out. Returns 0 at the end
 * of the stream or the first error (the decoder's or fn's).
 */
static int each_frame(cb_frame_reader *reader, frame_fn fn, void *ctx, const cb_video_opts *o,
                      int pass, int64_t total, int64_t *count, cb_error *err)
{
    int rc = 0;
    for (*count = 0; rc == 0;) {
        AVFrame *frame = NULL;
        int got = cb_frame_reader_next(reader, &frame, err);
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
                           err);
    c->res->frames_analysed++;
    return rc;
}

/* Pass 1. Fills result->info and ->frames; leaves the finished tracker in a. */
static int analyse(cb_detector *det, cb_judge *judge, const char *path, const cb_video_opts *o,
                   analysis *a, cb_video_result *res, cb_error *err)
{
    cb_frame_reader *reader = NULL;
    /* A face may be found up to scan_rounds analysed frames after it came:
     * the tracks reach back at least that far. */
    cb_tracker_opts topts = o->track;
    const int reach = o->scan_rounds * o->detect_every + 2;
    if (topts.extend < reach)
        topts.extend = reach;
    if (topts.max_gap < reach)
        topts.max_gap = reach;
    int rc = cb_tracker_open(&topts, &a->tracker, err);
    if (rc == 0 && judge) {
        a->embedding = malloc(sizeof(float) * (size_t)cb_judge_embedding_dim(judge));
        if (!a->embedding)
            rc = cb_error_set(err, CB_ENOMEM, "out of memory");
    }
    if (rc == 0)
        rc = cb_frame_reader_open(path, o->max_pixels, CB_VIDEO_QUEUE_DEPTH, &reader, &res->info,
                                  err);
    int64_t index = 0;
    analyse_ctx ctx = {a, det, judge, o, res};
    if (rc == 0)
        rc = each_frame(reader, analyse_one, &ctx, o, 1, res->info.frames, &index, err);
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

/* Two tracks on screen at the same time cannot both be one person. */
static void redact_duplicates(cb_video_result *res)
{
    for (int a = 0; a < res->n_tracks; a++) {
        for (int b = a + 1; b < res->n_tracks; b++) {
            cb_video_track *x = &res->tracks[a], *y = &res->tracks[b];
            if (!x->verdict.person_id || x->verdict.person_id != y->verdict.person_id ||
                x->last < y->first || y->last < x->first)
                continue;
            for (int k = 0; k < 2; k++) {
                cb_verdict *v = k ? &y->verdict : &x->verdict;
                v->keep = 0;
                v->reason = CB_REASON_LOW_MARGIN;
                snprintf(v->detail, sizeof v->detail,
                         _("two faces on screen at once match %s: cannot tell which is them"),
                         v->external_id);
            }
        }
    }
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
    }
    redact_duplicates(res);
    for (int i = 0; i < n; i++) {
        if (res->tracks[i].verdict.keep)
            res->kept++;
        else
            res->redacted++;
    }
    return 0;
}

typedef struct render_ctx {
    const analysis *a;
    const cb_video_result *res;
    const cb_video_opts *o;
    cb_video_out *writer;
    cb_face *boxes; /* room for every track's box */
    const cb_track *tracks;
    int n_tracks;
} render_ctx;

/* Redact the redacted tracks' boxes in one frame and encode it. */
static int render_one(void *ctx, AVFrame *frame, int64_t index, cb_error *err)
{
    render_ctx *c = ctx;
    int n = 0;
    for (int i = 0; i < c->n_tracks; i++) {
        const cb_track_box *b = cb_track_box_at(&c->tracks[i], index);
        if (b && !c->res->tracks[i].verdict.keep)
            c->boxes[n++] = (cb_face){.x = b->x, .y = b->y, .w = b->w, .h = b->h, .score = 1};
    }
    int rc = av_frame_make_writable(frame);
    if (rc < 0)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    rc = cb_redact_faces(frame, c->boxes, n, c->o->style, err);
    if (rc == 0)
        rc = cb_video_out_write(c->writer, frame, err);
    return rc;
}

/* Pass 3: decode again, redact the redacted tracks, encode. `analysed` is
 * the file as it was when pass 1 began: if it is no longer that file, the
 * decisions may not fit the pictures, and nothing is put in place. */
static int render(const char *in_path, const char *out_path, const analysis *a,
                  const cb_video_result *res, const cb_file_id *analysed,
                  const cb_video_opts *o, cb_error *err)
{
    cb_frame_reader *reader = NULL;
    cb_video_out *writer = NULL;
    cb_video_info info;
    cb_face *boxes = malloc(sizeof *boxes * (size_t)(res->n_tracks > 0 ? res->n_tracks : 1));
    int n_tracks = 0;
    const cb_track *tracks = cb_tracker_tracks(a->tracker, &n_tracks);
    cb_video_out_opts out_opts = o->out;
    out_opts.audio_source = in_path;
    int rc = boxes ? 0 : cb_error_set(err, CB_ENOMEM, "out of memory");
    if (rc == 0)
        rc = cb_frame_reader_open(in_path, o->max_pixels, CB_VIDEO_QUEUE_DEPTH, &reader, &info,
                                  err);
    if (rc == 0 && (info.width != res->info.width || info.height != res->info.height))
        rc = cb_error_set(err, CB_EDECODE, "%s: changed while being processed", in_path);
    if (rc == 0)
        rc = cb_video_out_open(out_path, &info, &out_opts, &writer, err);
    int64_t index = 0;
    render_ctx ctx = {a, res, o, writer, boxes, tracks, n_tracks};
    if (rc == 0)
        rc = each_frame(reader, render_one, &ctx, o, 2, res->frames, &index, err);
    /* The same file must give the same frames twice; anything else is doubt. */
    if (rc == 0 && index != res->frames)
        rc = cb_error_set(err, CB_EDECODE,
                          "%s: %lld frames on the second read, %lld on the first (file changed?)",
                          in_path, (long long)index, (long long)res->frames);
    cb_file_id now;
    if (rc == 0 && (cb_file_id_get(in_path, &now) != 0 || !cb_file_id_same(&now, analysed)))
        rc = cb_error_set(err, CB_EIO, "%s: the file changed while it was being processed; "
                                       "nothing written, try again", in_path);
    if (rc == 0)
        rc = cb_video_out_finish(writer, err);
    cb_video_out_close(writer);
    cb_frame_reader_close(reader);
    free(boxes);
    return rc;
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
        rc = render(in_path, out_path, &a, res, &analysed, opts, err);
        res->seconds_render = cb_monotonic_seconds() - t1;
    }
    analysis_free(&a);
    if (res == &local)
        cb_video_result_free(&local);
    return rc;
}

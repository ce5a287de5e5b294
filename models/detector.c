/* detector.c - multi-scale, tiled face detection; see detector.h. */
#include "detector.h"

#include <libavutil/pixfmt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cv_bridge.h"
#include "face_models.h"
#include "model_files.h"

/* Candidates from one network in one tile are first merged with this IoU. */
#define CB_TILE_NMS_IOU 0.4f
/* Across tiles, scales and networks. */
#define CB_MERGE_NMS_IOU 0.35f
#define CB_MERGE_CONTAIN 0.7f
/* Boxes smaller than this fraction of min_face are dropped: far below what
 * we look for, and mostly texture (buttons, patterns) at the finest tiles.
 * BlazeFace's box is tighter than the head, so a face of min_face gives a
 * smaller box: 0.75 lost a quarter of the 16-24 px faces of the synthetic
 * composites (bench/eval_detect), 0.5 and 0.35 found the same faces with the
 * same false positives. */
#define CB_SMALLEST_KEPT 0.5f
/* A second look confirms a candidate with a detection this close to it. */
#define CB_VERIFY_IOU 0.3f
/* Most faces one Haar pass may report. */
#define CB_HAAR_MAX 512

struct cb_detector {
    cb_detector_opts opts;
    cb_blazeface *blazeface;
    cb_ssd *ssd;
    cb_cv_cascade *haar;
    uint8_t *tile; /* input-size square BGR buffer, largest network's size */
    int runs;
};

void cb_detector_opts_default(cb_detector_opts *opts)
{
    /* Chosen from bench/eval_detect's table (README, "Detection accuracy"):
     * BlazeFace alone over the tiled pyramid finds as many faces as with SSD
     * added, at a fifth of the time; looking for faces at 32 network pixels
     * (tiles upscaled for the finest level) finds 20 px faces; the second
     * look with 4 face sizes of context, at a score of 0.65, removes nine
     * tenths of the false positives that the tiling makes; it misses 2 of 40
     * faces of 16-24 px that a score of 0.5 keeps, but 0.5 leaves three
     * times the false positives (0.66 per real photo). */
    memset(opts, 0, sizeof *opts);
    opts->models = CB_DET_BLAZEFACE;
    opts->blazeface_score = 0.5f;
    opts->ssd_score = 0.5f;
    opts->min_face = 20;
    opts->tiling = 1;
    opts->blazeface_min_px = 32.0f;
    opts->ssd_min_px = 28.0f;
    opts->verify = CB_DET_BLAZEFACE;
    opts->verify_context = 4.0f;
    opts->verify_score = 0.65f;
    opts->haar_path = "/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml";
}

int cb_detector_open(const cb_detector_opts *opts, cb_detector **out, cb_error *err)
{
    *out = NULL;
    if (!opts || !(opts->models & (CB_DET_BLAZEFACE | CB_DET_SSD | CB_DET_HAAR)) ||
        opts->min_face < 4)
        return cb_error_set(err, CB_EINVAL, "detector: no detector chosen or bad minimum face size");
    cb_detector *d = calloc(1, sizeof *d);
    if (!d)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    d->opts = *opts;
    const char *dir = cb_model_dir(opts->model_dir);
    d->opts.model_dir = NULL; /* not kept: the caller's string may go away */
    char path[4096];
    int rc = 0;
    const unsigned nets = opts->models | opts->verify;
    if (nets & CB_DET_BLAZEFACE) {
        rc = cb_model_file_check(dir, CB_BLAZEFACE_FILE, path, sizeof path, err);
        if (rc == 0)
            rc = cb_blazeface_open(path, &d->blazeface, err);
        if (rc < 0)
            goto fail;
    }
    if (nets & CB_DET_SSD) {
        rc = cb_model_file_check(dir, CB_SSD_FILE, path, sizeof path, err);
        if (rc == 0)
            rc = cb_ssd_open(path, &d->ssd, err);
        if (rc < 0)
            goto fail;
    }
    if (opts->models & CB_DET_HAAR) {
        rc = cb_cv_cascade_open(opts->haar_path, &d->haar, err);
        if (rc < 0)
            goto fail;
    }
    d->opts.haar_path = NULL;
    d->tile = malloc((size_t)CB_SSD_INPUT * CB_SSD_INPUT * 3);
    if (!d->tile) {
        rc = cb_error_set(err, CB_ENOMEM, "out of memory");
        goto fail;
    }
    *out = d;
    return 0;
fail:
    cb_detector_close(d);
    return rc;
}

void cb_detector_close(cb_detector *d)
{
    if (!d)
        return;
    cb_blazeface_close(d->blazeface);
    cb_ssd_close(d->ssd);
    cb_cv_cascade_close(d->haar);
    free(d->tile);
    free(d);
}

int cb_detector_last_runs(const cb_detector *d)
{
    return d ? d->runs : 0;
}

/* A square region of the picture to feed one network at one scale. */
typedef struct tile {
    int x, y, w, h; /* region in picture pixels (w, h <= side) */
    int side;       /* the region is scaled as if it were side x side */
} tile;

/*
 * Copy the tile, scaled to input x input, into d->tile (top-left aligned,
 * black padding where the region is smaller than the square).
 */
static int load_tile(cb_detector *d, const AVFrame *frame, const tile *t, int input, cb_error *err)
{
    const int stride = input * 3;
    double scale = (double)input / t->side;
    int dw = (int)lround(t->w * scale), dh = (int)lround(t->h * scale);
    if (dw < 1)
        dw = 1;
    if (dh < 1)
        dh = 1;
    if (dw > input)
        dw = input;
    if (dh > input)
        dh = input;
    if (dw < input || dh < input)
        memset(d->tile, 0, (size_t)input * stride);
    const uint8_t *src = frame->data[0] + (size_t)t->y * frame->linesize[0] + (size_t)t->x * 3;
    return cb_cv_resize_bgr(src, t->w, t->h, frame->linesize[0], d->tile, dw, dh, stride, err);
}

/*
 * Map candidates (network pixels) of one tile into picture pixels and append
 * those not cut by an interior tile edge to out.
 */
static int keep_tile_faces(const cb_face_list *cands, const tile *t, int input, int pic_w,
                           int pic_h, cb_face_list *out, cb_error *err)
{
    float k = (float)t->side / (float)input;
    float margin = 0.01f * (float)t->side + 2.0f;
    for (int i = 0; i < cands->count; i++) {
        cb_face f = cands->faces[i];
        f.x = t->x + f.x * k;
        f.y = t->y + f.y * k;
        f.w *= k;
        f.h *= k;
        for (int j = 0; j < CB_LM_COUNT; j++) {
            f.landmarks[j][0] = t->x + f.landmarks[j][0] * k;
            f.landmarks[j][1] = t->y + f.landmarks[j][1] * k;
        }
        if ((t->x > 0 && f.x < t->x + margin) || (t->y > 0 && f.y < t->y + margin) ||
            (t->x + t->w < pic_w && f.x + f.w > t->x + t->w - margin) ||
            (t->y + t->h < pic_h && f.y + f.h > t->y + t->h - margin))
            continue;
        int rc = cb_face_list_push(out, &f, err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* Run one network on d->tile, keeping candidates scoring at least min_score. */
static int run_network(cb_detector *d, unsigned which, float min_score, cb_face_list *cands,
                       cb_error *err)
{
    d->runs++;
    if (which == CB_DET_BLAZEFACE)
        return cb_blazeface_detect(d->blazeface, d->tile, CB_BLAZEFACE_INPUT * 3, min_score,
                                   cands, err);
    return cb_ssd_detect(d->ssd, d->tile, CB_SSD_INPUT * 3, min_score, cands, err);
}

/* Start positions of tiles of size side along a length, overlapping by at least overlap. */
static int tile_starts(int length, int side, int overlap, int *starts, int max)
{
    if (side >= length) {
        starts[0] = 0;
        return 1;
    }
    int stride = side - overlap;
    if (stride < 1)
        stride = 1;
    int n = (length - side + stride - 1) / stride + 1;
    if (n > max)
        n = max;
    for (int i = 0; i < n; i++)
        starts[i] = (n == 1) ? 0 : (int)((long)(length - side) * i / (n - 1));
    return n;
}

/*
 * Run one network over the pyramid for this picture: every level, except
 * that of the finest level only the tiles whose index modulo `rounds` is
 * `round`.
 */
static int detect_with(cb_detector *d, unsigned which, const AVFrame *frame, int round,
                       int rounds, cb_face_list *out, cb_error *err)
{
    const int input = which == CB_DET_BLAZEFACE ? CB_BLAZEFACE_INPUT : CB_SSD_INPUT;
    const float min_px = which == CB_DET_BLAZEFACE ? d->opts.blazeface_min_px : d->opts.ssd_min_px;
    const int w = frame->width, h = frame->height;
    const int longest = w > h ? w : h;
    /* Finest tile side: a min_face face becomes min_px network pixels. */
    int finest = (int)floorf((float)input * (float)d->opts.min_face / min_px);
    if (finest < input / 4)
        finest = input / 4;
    cb_face_list cands = {0};
    int rc = 0;
    /* Sides from the whole picture down to the finest tiles, halving. */
    for (int side = longest;; side = (side + 1) / 2) {
        int last = !d->opts.tiling || side <= finest;
        if (last && d->opts.tiling)
            side = finest < longest ? finest : longest;
        int overlap = (int)ceilf(2.5f * min_px * (float)side / (float)input);
        int xs[256], ys[256];
        int nx = tile_starts(w, side, overlap, xs, 256);
        int ny = tile_starts(h, side, overlap, ys, 256);
        const int rolled = last && side < longest;
        for (int iy = 0; iy < ny; iy++) {
            for (int ix = 0; ix < nx; ix++) {
                if (rolled && (iy * nx + ix) % rounds != round)
                    continue;
                tile t = {xs[ix], ys[iy], side < w ? side : w, side < h ? side : h, side};
                cands.count = 0;
                rc = load_tile(d, frame, &t, input, err);
                if (rc == 0)
                    rc = run_network(d, which,
                                     which == CB_DET_BLAZEFACE ? d->opts.blazeface_score
                                                               : d->opts.ssd_score,
                                     &cands, err);
                if (rc < 0)
                    goto done;
                cb_face_list_nms(&cands, CB_TILE_NMS_IOU, 1.0f);
                rc = keep_tile_faces(&cands, &t, input, w, h, out, err);
                if (rc < 0)
                    goto done;
            }
        }
        if (last)
            break;
    }
done:
    cb_face_list_free(&cands);
    return rc;
}

static int detect_haar(cb_detector *d, const AVFrame *frame, cb_face_list *out, cb_error *err)
{
    cb_cv_rect *rects = malloc(sizeof *rects * CB_HAAR_MAX);
    if (!rects)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    int n = 0;
    int rc = cb_cv_cascade_detect(d->haar, frame->data[0], frame->width, frame->height,
                                  frame->linesize[0], d->opts.min_face, rects, CB_HAAR_MAX, &n,
                                  err);
    d->runs++;
    for (int i = 0; rc == 0 && i < n; i++) {
        cb_face f = {.x = (float)rects[i].x, .y = (float)rects[i].y, .w = (float)rects[i].w,
                     .h = (float)rects[i].h, .score = 0.5f, .detectors = CB_DET_HAAR};
        rc = cb_face_list_push(out, &f, err);
    }
    free(rects);
    return rc;
}

/*
 * Run one network on the square around f, context face sizes wide, keeping
 * candidates scoring at least min_score, mapped to picture pixels into out.
 */
static int look_around(cb_detector *d, const AVFrame *frame, const cb_face *f, float context,
                       unsigned which, float min_score, cb_face_list *out, cb_error *err)
{
    float size = f->w > f->h ? f->w : f->h;
    int side = (int)ceilf(size * context);
    int x0 = (int)floorf(f->x + f->w / 2 - (float)side / 2);
    int y0 = (int)floorf(f->y + f->h / 2 - (float)side / 2);
    int x1 = x0 + side, y1 = y0 + side;
    x0 = x0 < 0 ? 0 : x0;
    y0 = y0 < 0 ? 0 : y0;
    x1 = x1 > frame->width ? frame->width : x1;
    y1 = y1 > frame->height ? frame->height : y1;
    if (x1 - x0 < 1 || y1 - y0 < 1 || side < 1)
        return 0;
    tile t = {x0, y0, x1 - x0, y1 - y0, side};
    const int input = which == CB_DET_BLAZEFACE ? CB_BLAZEFACE_INPUT : CB_SSD_INPUT;
    const int first = out->count;
    int rc = load_tile(d, frame, &t, input, err);
    if (rc == 0)
        rc = run_network(d, which, min_score, out, err);
    const float k = (float)side / (float)input;
    for (int i = first; rc == 0 && i < out->count; i++) {
        cb_face *c = &out->faces[i];
        c->x = (float)x0 + c->x * k;
        c->y = (float)y0 + c->y * k;
        c->w *= k;
        c->h *= k;
        for (int j = 0; j < CB_LM_COUNT; j++) {
            c->landmarks[j][0] = (float)x0 + c->landmarks[j][0] * k;
            c->landmarks[j][1] = (float)y0 + c->landmarks[j][1] * k;
        }
    }
    return rc;
}

/*
 * Run the verifying networks on the square around f (see detector.h);
 * *confirmed = 1 when one of them finds a face overlapping f.
 */
static int second_look(cb_detector *d, const AVFrame *frame, const cb_face *f, int *confirmed,
                       cb_error *err)
{
    static const unsigned order[] = {CB_DET_BLAZEFACE, CB_DET_SSD};
    *confirmed = 0;
    cb_face_list cands = {0};
    int rc = 0;
    for (size_t n = 0; rc == 0 && !*confirmed && n < sizeof order / sizeof order[0]; n++) {
        if (!(d->opts.verify & order[n]))
            continue;
        cands.count = 0;
        rc = look_around(d, frame, f, d->opts.verify_context, order[n], d->opts.verify_score,
                         &cands, err);
        for (int i = 0; rc == 0 && i < cands.count; i++)
            if (cb_face_iou(&cands.faces[i], f) >= CB_VERIFY_IOU)
                *confirmed = 1;
    }
    cb_face_list_free(&cands);
    return rc;
}

/*
 * Look for faces around each hint (where a face was in the last frame).
 * Detections scoring at least verify_score there are as good as confirmed
 * by a second look (same context, same threshold) and marked so.
 */
static int look_at_hints(cb_detector *d, const AVFrame *frame, const cb_face *hints, int n_hints,
                         cb_face_list *found, cb_error *err)
{
    int rc = 0;
    for (int i = 0; rc == 0 && i < n_hints; i++) {
        const int first = found->count;
        rc = look_around(d, frame, &hints[i], d->opts.verify_context, CB_DET_BLAZEFACE,
                         d->opts.blazeface_score, found, err);
        for (int k = first; rc == 0 && k < found->count; k++)
            if (found->faces[k].score >= d->opts.verify_score)
                found->faces[k].detectors |= CB_DET_CONFIRMED;
    }
    return rc;
}

static void clip_to_picture(cb_face *f, int w, int h)
{
    float x0 = f->x < 0 ? 0 : f->x, y0 = f->y < 0 ? 0 : f->y;
    float x1 = f->x + f->w > w ? (float)w : f->x + f->w;
    float y1 = f->y + f->h > h ? (float)h : f->y + f->h;
    f->x = x0;
    f->y = y0;
    f->w = x1 > x0 ? x1 - x0 : 0;
    f->h = y1 > y0 ? y1 - y0 : 0;
}

int cb_detector_detect(cb_detector *d, const AVFrame *frame, cb_face_list *out, cb_error *err)
{
    return cb_detector_detect_part(d, frame, 0, 1, NULL, 0, out, err);
}

int cb_detector_detect_part(cb_detector *d, const AVFrame *frame, int round, int rounds,
                            const cb_face *hints, int n_hints, cb_face_list *out, cb_error *err)
{
    if (!d || !frame || frame->format != AV_PIX_FMT_BGR24 || frame->width < 1 ||
        frame->height < 1 || rounds < 1 || n_hints < 0 || (n_hints > 0 && !hints))
        return cb_error_set(err, CB_EINVAL, "detector: expected a BGR24 frame");
    round = ((round % rounds) + rounds) % rounds;
    d->runs = 0;
    cb_face_list found = {0};
    int rc = 0;
    if (d->opts.models & CB_DET_BLAZEFACE)
        rc = detect_with(d, CB_DET_BLAZEFACE, frame, round, rounds, &found, err);
    if (rc == 0 && (d->opts.models & CB_DET_SSD))
        rc = detect_with(d, CB_DET_SSD, frame, round, rounds, &found, err);
    if (rc == 0 && d->haar)
        rc = detect_haar(d, frame, &found, err);
    if (rc == 0 && n_hints > 0 && d->blazeface)
        rc = look_at_hints(d, frame, hints, n_hints, &found, err);
    if (rc == 0) {
        cb_face_list_nms(&found, CB_MERGE_NMS_IOU, CB_MERGE_CONTAIN);
        for (int i = 0; rc == 0 && i < found.count; i++) {
            cb_face *f = &found.faces[i];
            int confirmed = 1;
            const unsigned nets = f->detectors & ~(unsigned)CB_DET_CONFIRMED;
            if (d->opts.verify && !(f->detectors & CB_DET_CONFIRMED) && !(nets & (nets - 1)))
                rc = second_look(d, frame, f, &confirmed, err);
            f->detectors = nets;
            clip_to_picture(f, frame->width, frame->height);
            const float size = f->w > f->h ? f->w : f->h;
            if (rc == 0 && confirmed && f->w >= 1 && f->h >= 1 &&
                size >= CB_SMALLEST_KEPT * (float)d->opts.min_face)
                rc = cb_face_list_push(out, f, err);
        }
    }
    cb_face_list_free(&found);
    cb_log(d->opts.log, CB_LOG_DEBUG, "detector: %d network runs, %d faces", d->runs, out->count);
    return rc;
}

/* detector.c - whole-picture and tiled face detection; see detector.h. */
#include "detector.h"

#include <libavutil/pixfmt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../common/cb_date.h"
#include "cv_bridge.h"

/* Candidates from one network in one call are first merged with this IoU. */
#define CB_TILE_NMS_IOU 0.4f
/* Across tiles, levels and networks. */
#define CB_MERGE_NMS_IOU 0.35f
#define CB_MERGE_CONTAIN 0.7f
/* Boxes smaller than this fraction of min_face are dropped: far below what
 * we look for, and mostly texture (buttons, patterns) at the finest level.
 * Box heights vary between networks (BlazeFace's is tighter than the head):
 * 0.75 lost a quarter of the 16-24 px faces of the synthetic composites
 * (bench/eval_detect), 0.5 and 0.35 found the same faces. */
#define CB_SMALLEST_KEPT 0.5f
/* A second look confirms a candidate with a detection this close to it. */
#define CB_VERIFY_IOU 0.3f
/* Most faces one Haar pass may report. */
#define CB_HAAR_MAX 512
/* A detection with less than this part of its box inside the picture is
 * dropped: the mirrored padding shows a mirror image of every face near the
 * edge, found as a face just outside the picture; a face half outside at a
 * corner still has a quarter inside. */
#define CB_MIN_INSIDE 0.2f
/* Any-size networks: consecutive levels share a quarter of their face sizes. */
#define CB_LEVEL_OVERLAP 1.25f
/* ...and no level enlarges the picture more than this. */
#define CB_MAX_UPSCALE 4.0f
/* A picture of at least this many pixels is large (a photo, not a video
 * frame of up to 4K): its network instances for inputs over
 * CB_KEPT_NET_PIXELS are freed after each network's scan (trim_nets). */
#define CB_LARGE_PICTURE (9L << 20)
#define CB_KEPT_NET_PIXELS (256L << 10)
/* Landmarks are looked for on a square this many face sizes wide (see add_landmarks). */
#define CB_LANDMARK_CONTEXT 2.0f
/* Second look by an any-size network: the face is this many times the
 * network's smallest face. */
#define CB_LOOK_FACE 2.0f
/* Second-look rejections remembered between the frames of a video: at most
 * this many, for twice the scan's rounds; a candidate counts as the same one
 * at this IoU, unless it scores this much more than it did then. */
#define CB_REJECTED_MAX 64
#define CB_REJECTED_IOU 0.5f
#define CB_REJECTED_SCORE_RISE 0.05f

/* The CB_DET_* flags of the networks that take a second look. */
static unsigned verify_flags(const cb_detector_opts *o)
{
    unsigned flags = 0;
    for (int id = 0; id < CB_NET_COUNT; id++)
        if (o->verify_score[id] > 0)
            flags |= cb_net_info_get(id)->flag;
    return flags;
}

/* Where the time of the last call went (seconds), for the debug log. */
enum { TIMED_LEVELS = 8 };
typedef struct timing {
    double level[TIMED_LEVELS]; /* each level of the whole-picture pyramid, every network */
    int levels;
    double looks, landmarks;    /* second looks, landmark looks */
    int n_looks, n_landmarks;
    double hints;               /* looks around the hints (video: the tracks) */
    int n_hints;
    double fine;                /* networks that scan one level only (finest_only:
                                   BlazeFace beside UltraFace; or CB_TILING_WHOLE) and
                                   fixed-size networks' tiled pyramids (SSD) */
    int n_fine;                 /* their network runs */
} timing;

/*
 * The picture at 1, 1/2, 1/4 and 1/8 of its size (each step half the one
 * before, area-averaged), made when first needed in each detection call: a
 * level or a look is scaled from the smallest step still at least as large
 * as it needs, not from the whole picture each time (shrinking a region of a
 * 12 MP picture to a 256-pixel look costs more than the look itself).
 */
enum { STEPS = 4 };
typedef struct step {
    uint8_t *data; /* step 0: the frame's own rows (not owned) */
    int w, h, stride;
    size_t cap;
} step;

struct cb_detector {
    cb_detector_opts opts;
    cb_face_net *nets[CB_NET_COUNT];
    cb_cv_cascade *haar;
    uint8_t *buf; /* a level's (or a look's) scaled, padded picture */
    size_t buf_cap;
    step steps[STEPS];
    int steps_made; /* for the frame of this call; 0: none yet */
    int runs;
    timing time;
    /* Candidates the second look turned down in the last frames of a video
     * (see cb_detector_detect_part); `call` numbers the calls. */
    struct rejected {
        cb_face face;
        long call;
    } rejected[CB_REJECTED_MAX];
    int n_rejected;
    long call;
};

void cb_detector_opts_fast(cb_detector_opts *opts)
{
    /* UltraFace over the whole picture finds every face of the real photos,
     * every face cut by an edge or a corner, every close-up, tilted and
     * covered face, and 89% of the profile faces, in 0.3-0.8 s per 12 MP; the
     * second look (UltraFace again at twice the size at 0.9, else BlazeFace
     * at 0.5, else the full-range model at 0.5) removes 93% of its false
     * detections for 3 profile faces of 36. The mirrored padding found every
     * face half outside the picture, grey padding 80% of them. Tiles of at
     * most 1 MP keep a 12 MP photo under 400 MiB. What it misses: tight face
     * crops of 16-40 px (5% and 65% found; README, "Face detection"). */
    memset(opts, 0, sizeof *opts);
    opts->models = CB_DET_ULTRAFACE;
    for (int i = 0; i < CB_NET_COUNT; i++)
        opts->score[i] = 0.5f;
    opts->min_face = 20;
    opts->tiling = CB_TILING_PYRAMID;
    opts->level_range = 4.0f;
    opts->pad = 0.6f;
    opts->pad_fill = CB_CV_BORDER_REFLECT;
    opts->max_input_pixels = 1048576L;
    opts->verify_score[CB_NET_ULTRAFACE] = 0.9f;
    opts->verify_score[CB_NET_FULLRANGE] = 0.5f;
    opts->verify_score[CB_NET_BLAZEFACE] = 0.5f;
    opts->verify_own_score = 0.7f;
    opts->verify_context = 4.0f;
    opts->landmarks = 1;
    opts->haar_path = "/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml";
}

void cb_detector_opts_default(cb_detector_opts *opts)
{
    /* Recall first (issue 12's rule): only BlazeFace at 32 network pixels
     * finds the tight 16-24 px face crops (92%, UltraFace 5%), and on its
     * finest level beside UltraFace (finest_only) every column of the
     * accuracy table is at least what the old tiled BlazeFace found. The
     * stricter bar for a network's own candidates (verify_own_score) and the
     * second look at every candidate (check_candidate) hold its false
     * detections to 0.25 per real picture, from 0.44 (README). */
    cb_detector_opts_fast(opts);
    opts->models = CB_DET_ULTRAFACE | CB_DET_BLAZEFACE;
}

int cb_detector_open(const cb_detector_opts *opts, cb_detector **out, cb_error *err)
{
    *out = NULL;
    if (!opts || !(opts->models & CB_DET_ALL) || opts->min_face < 4 ||
        opts->level_range < 1.5f || opts->pad < 0 || opts->max_input_pixels < (1L << 16))
        return cb_error_set(err, CB_EINVAL, "detector: no detector chosen or bad options");
    cb_detector *d = calloc(1, sizeof *d);
    if (!d)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    d->opts = *opts;
    d->opts.model_dir = NULL; /* not kept: the caller's string may go away */
    d->opts.haar_path = NULL;
    int rc = 0;
    const unsigned wanted = opts->models | verify_flags(opts) |
                            (opts->landmarks ? (unsigned)CB_DET_BLAZEFACE : 0u);
    for (int i = 0; rc == 0 && i < CB_NET_COUNT; i++)
        if (wanted & cb_net_info_get(i)->flag)
            rc = cb_face_net_open(i, opts->model_dir, &d->nets[i], err);
    if (rc == 0 && (opts->models & CB_DET_HAAR))
        rc = cb_cv_cascade_open(opts->haar_path, &d->haar, err);
    if (rc < 0) {
        cb_detector_close(d);
        return rc;
    }
    *out = d;
    return 0;
}

void cb_detector_close(cb_detector *d)
{
    if (!d)
        return;
    for (int i = 0; i < CB_NET_COUNT; i++)
        cb_face_net_close(d->nets[i]);
    cb_cv_cascade_close(d->haar);
    free(d->buf);
    for (int i = 1; i < STEPS; i++)
        free(d->steps[i].data);
    free(d);
}

int cb_detector_last_runs(const cb_detector *d)
{
    return d ? d->runs : 0;
}

int cb_detector_flags_parse(const char *list, const char *sep, unsigned *out)
{
    unsigned flags = 0;
    const size_t len = list ? strlen(list) : 0;
    if (len && strchr(sep, list[len - 1]))
        return CB_EINVAL; /* a trailing separator */
    const char *p = list;
    while (p && *p) {
        size_t n = strcspn(p, sep);
        char name[32];
        if (n == 0 || n >= sizeof name)
            return CB_EINVAL;
        memcpy(name, p, n);
        name[n] = '\0';
        int id = cb_net_by_name(name);
        if (id >= 0)
            flags |= cb_net_info_get(id)->flag;
        else if (strcmp(name, "haar") == 0)
            flags |= CB_DET_HAAR;
        else
            return CB_EINVAL;
        p += n;
        if (*p)
            p++;
    }
    if (!flags)
        return CB_EINVAL;
    *out = flags;
    return 0;
}

const char *cb_detector_flags_name(unsigned flags, char *buf, size_t size)
{
    size_t len = 0;
    if (size)
        buf[0] = '\0';
    for (int id = 0; id <= CB_NET_COUNT; id++) {
        const unsigned flag = id < CB_NET_COUNT ? cb_net_info_get(id)->flag : (unsigned)CB_DET_HAAR;
        const char *name = id < CB_NET_COUNT ? cb_net_info_get(id)->name : "haar";
        if (!(flags & flag) || len >= size)
            continue;
        int n = snprintf(buf + len, size - len, "%s%s", len ? "+" : "", name);
        len = n < 0 ? size : len + (size_t)n;
    }
    return buf;
}

static int ensure_buf(cb_detector *d, int w, int h, cb_error *err)
{
    size_t need = (size_t)w * (size_t)h * 3;
    if (need <= d->buf_cap)
        return 0;
    uint8_t *grown = realloc(d->buf, need);
    if (!grown)
        return cb_error_set(err, CB_ENOMEM, "out of memory for a %dx%d detector input", w, h);
    d->buf = grown;
    d->buf_cap = need;
    return 0;
}

/*
 * The smallest step of the picture at least `scale` times its size (scale in
 * 0..1; 1 or more: the picture itself), made now if need be; *sx, *sy its
 * size over the picture's.
 */
static int step_for(cb_detector *d, const AVFrame *frame, float scale, const step **out,
                    float *sx, float *sy, cb_error *err)
{
    if (d->steps_made == 0) {
        d->steps[0] = (step){frame->data[0], frame->width, frame->height, frame->linesize[0], 0};
        d->steps_made = 1;
    }
    int i = 0;
    while (i + 1 < STEPS && scale <= 1.0f / (float)(2 << i) && d->steps[i].w >= 64 &&
           d->steps[i].h >= 64)
        i++;
    for (int j = d->steps_made; j <= i; j++) {
        const step *from = &d->steps[j - 1];
        step *to = &d->steps[j];
        const int w = from->w / 2, h = from->h / 2;
        const size_t need = (size_t)w * (size_t)h * 3;
        if (need > to->cap) {
            uint8_t *grown = realloc(to->data, need);
            if (!grown)
                return cb_error_set(err, CB_ENOMEM, "out of memory for a %dx%d picture", w, h);
            to->data = grown;
            to->cap = need;
        }
        to->w = w;
        to->h = h;
        to->stride = w * 3;
        int rc = cb_cv_resize(from->data, from->w, from->h, from->stride, to->data, w, h,
                                  to->stride, 3, err);
        if (rc < 0)
            return rc;
        d->steps_made = j + 1;
    }
    *out = &d->steps[i];
    *sx = (float)d->steps[i].w / (float)frame->width;
    *sy = (float)d->steps[i].h / (float)frame->height;
    return 0;
}

static int round_up(int v, int multiple)
{
    return (v + multiple - 1) / multiple * multiple;
}

/* A rectangle of the network input and how it maps to the picture:
 * picture = origin + input / scale. */
typedef struct placement {
    float origin_x, origin_y;
    float scale;
} placement;

static void to_picture(cb_face *f, const placement *p)
{
    const float k = 1.0f / p->scale;
    f->x = p->origin_x + f->x * k;
    f->y = p->origin_y + f->y * k;
    f->w *= k;
    f->h *= k;
    for (int j = 0; j < CB_LM_COUNT; j++) {
        f->landmarks[j][0] = p->origin_x + f->landmarks[j][0] * k;
        f->landmarks[j][1] = p->origin_y + f->landmarks[j][1] * k;
    }
}

/* Run one network on d->buf (w x h, rows `stride` bytes apart, starting at byte `offset`). */
static int run_net(cb_detector *d, int id, size_t offset, int w, int h, int stride, float min_score,
                   cb_face_list *cands, cb_error *err)
{
    d->runs++;
    return cb_face_net_run(d->nets[id], d->buf + offset, w, h, stride, min_score, cands, err);
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

/* A tile of an input image: the region (x, y, w, h) and which of its edges
 * lie inside the image (a face cut there is seen whole by a neighbour). */
enum { INNER_LEFT = 1, INNER_TOP = 2, INNER_RIGHT = 4, INNER_BOTTOM = 8 };
typedef struct tile {
    int x, y, w, h;
    unsigned inner;
} tile;

static unsigned inner_edges(int x, int y, int w, int h, int full_w, int full_h)
{
    return (x > 0 ? INNER_LEFT : 0u) | (y > 0 ? INNER_TOP : 0u) |
           (x + w < full_w ? INNER_RIGHT : 0u) | (y + h < full_h ? INNER_BOTTOM : 0u);
}

/* 1 when f (input pixels of the whole image) touches an inner edge of t. */
static int cut_by_inner_edge(const cb_face *f, const tile *t, float margin)
{
    return ((t->inner & INNER_LEFT) && f->x < t->x + margin) ||
           ((t->inner & INNER_TOP) && f->y < t->y + margin) ||
           ((t->inner & INNER_RIGHT) && f->x + f->w > t->x + t->w - margin) ||
           ((t->inner & INNER_BOTTOM) && f->y + f->h > t->y + t->h - margin);
}

/* At least CB_MIN_INSIDE of f's box lies inside the w x h picture. */
static int inside_enough(const cb_face *f, int w, int h)
{
    float x0 = fmaxf(f->x, 0), y0 = fmaxf(f->y, 0);
    float x1 = fminf(f->x + f->w, (float)w), y1 = fminf(f->y + f->h, (float)h);
    return x1 > x0 && y1 > y0 && (x1 - x0) * (y1 - y0) >= CB_MIN_INSIDE * f->w * f->h;
}

/*
 * Keep the candidates of one tile (tile-relative input pixels) that no inner
 * tile edge cuts, mapped to the picture, and enough inside the picture
 * (pic_w x pic_h), in out.
 */
static int keep_tile_faces(cb_face_list *cands, const tile *t, float margin, const placement *p,
                           int pic_w, int pic_h, cb_face_list *out, cb_error *err)
{
    cb_face_list_nms(cands, CB_TILE_NMS_IOU, 1.0f);
    for (int i = 0; i < cands->count; i++) {
        cb_face f = cands->faces[i];
        f.x += (float)t->x;
        f.y += (float)t->y;
        for (int j = 0; j < CB_LM_COUNT; j++) {
            f.landmarks[j][0] += (float)t->x;
            f.landmarks[j][1] += (float)t->y;
        }
        if (cut_by_inner_edge(&f, t, margin))
            continue;
        to_picture(&f, p);
        if (!inside_enough(&f, pic_w, pic_h))
            continue;
        int rc = cb_face_list_push(out, &f, err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* ---- any-size networks: whole-picture pyramid ------------------------- */

/* One level of the pyramid of an any-size network. */
typedef struct level {
    float scale;      /* network pixels per picture pixel */
    int pad;          /* padding on the left and top, network pixels */
    int w, h;         /* the padded input, multiples of the network's `multiple` */
    int sw, sh;       /* the scaled picture inside it */
    float top_face;   /* largest face of this level, network pixels */
    float keep_below; /* > 0: detections larger than this (network pixels) are
                         dropped (see plan_levels) */
} level;

static void make_level(const cb_detector *d, const cb_net_info *info, float scale, float range,
                       int pic_w, int pic_h, float smallest, level *lv)
{
    lv->scale = scale;
    lv->top_face = fminf(smallest * range, info->largest_face);
    lv->keep_below = 0;
    lv->pad = (int)ceilf(d->opts.pad * lv->top_face);
    lv->sw = (int)lroundf((float)pic_w * scale);
    lv->sh = (int)lroundf((float)pic_h * scale);
    lv->sw = lv->sw < 1 ? 1 : lv->sw;
    lv->sh = lv->sh < 1 ? 1 : lv->sh;
    lv->w = round_up(lv->sw + 2 * lv->pad, info->multiple);
    lv->h = round_up(lv->sh + 2 * lv->pad, info->multiple);
}

/* Tile side along a length for n tiles overlapping by overlap, a multiple of `multiple`. */
static int tile_side(int length, int n, int overlap, int multiple)
{
    int side = round_up((length + (n - 1) * overlap + n - 1) / n, multiple);
    return side < length ? side : length;
}

/*
 * The tile size for a level larger than max_pixels: of the grids of equal
 * tiles of at most max_pixels each that cover the level, the one with the
 * least network input in all.
 */
static void choose_tiles(const level *lv, int overlap, int multiple, long max_pixels, int *tw,
                         int *th)
{
    long best = -1;
    for (int nx = 1; nx <= 32; nx++) {
        const int w = tile_side(lv->w, nx, overlap, multiple);
        for (int ny = 1; ny <= 32; ny++) {
            const int h = tile_side(lv->h, ny, overlap, multiple);
            const long total = (long)nx * ny * w * h;
            if ((long)w * h > max_pixels || (w < lv->w && w <= 2 * overlap) ||
                (h < lv->h && h <= 2 * overlap) || (best >= 0 && total >= best))
                continue;
            best = total;
            *tw = w;
            *th = h;
        }
    }
    if (best < 0) { /* nothing fits: the smallest tiles that still hold a face */
        *tw = tile_side(lv->w, 32, overlap, multiple);
        *th = tile_side(lv->h, 32, overlap, multiple);
    }
}

/* How a level is cut into tiles: nx x ny tiles of side_w x side_h starting
 * at xs[i % nx], ys[i / nx] (one tile: the whole level). */
typedef struct tiling {
    int side_w, side_h, nx, ny, overlap;
    int xs[64], ys[64];
} tiling;

/* Whole, or as overlapping tiles when the level is larger than max_input_pixels. */
static void plan_tiles(const cb_detector *d, const cb_net_info *info, const level *lv, tiling *t)
{
    /* Tiles overlap by twice the level's largest face: a face too large for this
     * level is then still whole in some tile, and found here at a size where the
     * network is surer of it than at the next level (where it is small). */
    t->overlap = (int)ceilf(lv->top_face * 2.0f) + 8;
    t->side_w = lv->w;
    t->side_h = lv->h;
    if ((long)lv->w * lv->h > d->opts.max_input_pixels)
        choose_tiles(lv, t->overlap, info->multiple, d->opts.max_input_pixels, &t->side_w,
                     &t->side_h);
    t->nx = tile_starts(lv->w, t->side_w, t->overlap, t->xs, 64);
    t->ny = tile_starts(lv->h, t->side_h, t->overlap, t->ys, 64);
}

/* Is tile i of a level whose first tile is scan item `first` due this round? */
static int tile_due(int first, int i, int round, int rounds)
{
    return (first + i) % rounds == round;
}

/*
 * An enlarged level of several tiles (BlazeFace's finest: 1.6 times a 12 MP
 * photo, 95 MB of BGR) is not made whole: each tile is made on its own from
 * the picture (cb_cv_place_bgr_window, the same pixels), so that it costs
 * only a tile's memory. Every other level is made once and its tiles read
 * from it.
 */
static int tile_by_tile(const level *lv, const tiling *tl)
{
    return lv->scale > 1.0f && tl->nx * tl->ny > 1;
}

/* Tile t of level lv, made from the picture, into d->buf (t->w x t->h). */
static int make_tile_picture(cb_detector *d, const AVFrame *frame, const level *lv,
                             const tile *t, cb_error *err)
{
    int rc = ensure_buf(d, t->w, t->h, err);
    if (rc == 0)
        rc = cb_cv_place_bgr_window(frame->data[0], frame->width, frame->height,
                                    frame->linesize[0], lv->pad, lv->pad, lv->sw, lv->sh,
                                    d->opts.pad_fill, t->x, t->y, t->w, t->h, d->buf, t->w * 3,
                                    err);
    return rc;
}

/* Remove the candidates taller or wider than max_size. */
static void drop_larger(cb_face_list *cands, float max_size)
{
    int kept = 0;
    for (int i = 0; i < cands->count; i++)
        if (cands->faces[i].w <= max_size && cands->faces[i].h <= max_size)
            cands->faces[kept++] = cands->faces[i];
    cands->count = kept;
}

/*
 * Run the network over the tiles of one level that are due this round (the
 * level's first tile is scan item `first`): d->buf holds the level, or each
 * tile in turn (tile_by_tile).
 */
static int run_level(cb_detector *d, int id, const AVFrame *frame, const level *lv,
                     const tiling *tl, int first, int round, int rounds, cb_face_list *out,
                     cb_error *err)
{
    const placement p = {-(float)lv->pad / lv->scale, -(float)lv->pad / lv->scale, lv->scale};
    const float margin = 0.01f * (float)(tl->side_w > tl->side_h ? tl->side_w : tl->side_h) + 2.0f;
    const int own_tiles = tile_by_tile(lv, tl);
    cb_face_list cands = {0};
    int rc = 0;
    for (int i = 0; rc == 0 && i < tl->nx * tl->ny; i++) {
        if (!tile_due(first, i, round, rounds))
            continue;
        tile t = {tl->xs[i % tl->nx], tl->ys[i / tl->nx], tl->side_w, tl->side_h, 0};
        t.inner = inner_edges(t.x, t.y, t.w, t.h, lv->w, lv->h);
        cands.count = 0;
        if (own_tiles)
            rc = make_tile_picture(d, frame, lv, &t, err);
        /* d->buf holds this tile alone, or the whole level around it */
        const size_t offset = own_tiles ? 0 : ((size_t)t.y * lv->w + t.x) * 3;
        const int stride = (own_tiles ? t.w : lv->w) * 3;
        if (rc == 0)
            rc = run_net(d, id, offset, t.w, t.h, stride, d->opts.score[id], &cands, err);
        if (rc == 0 && lv->keep_below > 0)
            drop_larger(&cands, lv->keep_below);
        if (rc == 0)
            rc = keep_tile_faces(&cands, &t, margin, &p, frame->width, frame->height, out, err);
    }
    cb_face_list_free(&cands);
    return rc;
}

/* Scale the picture into d->buf as level lv (padded, mirrored beyond the edge). */
static int make_level_picture(cb_detector *d, const AVFrame *frame, const level *lv,
                              cb_error *err)
{
    const step *src = NULL;
    float sx, sy;
    int rc = ensure_buf(d, lv->w, lv->h, err);
    if (rc == 0)
        rc = step_for(d, frame, lv->scale, &src, &sx, &sy, err);
    if (rc == 0)
        rc = cb_cv_place_bgr(src->data, src->w, src->h, src->stride, d->buf, lv->w, lv->h,
                             lv->w * 3, lv->pad, lv->pad, lv->sw, lv->sh, d->opts.pad_fill, err);
    return rc;
}

/*
 * Does network id scan only the finest level (or tiles) of its pyramid? When
 * it says finest_beside: with CB_TILING_FINEST, and with CB_TILING_PYRAMID
 * when a network that does not say so scans the picture too: that one finds
 * the larger faces (bench/eval_detect, UltraFace and BlazeFace: the same
 * recall in every column and fewer false detections than with BlazeFace's
 * whole pyramid, in about two thirds of the time).
 */
static int finest_only(const cb_detector *d, int id)
{
    if (!cb_net_info_get(id)->finest_beside || d->opts.tiling == CB_TILING_WHOLE)
        return 0;
    if (d->opts.tiling == CB_TILING_FINEST)
        return 1;
    for (int other = 0; other < CB_NET_COUNT; other++)
        if ((d->opts.models & cb_net_info_get(other)->flag) &&
            !cb_net_info_get(other)->finest_beside)
            return 1;
    return 0;
}

/* Which levels of an any-size network's pyramid run. */
enum { LEVELS_ALL, LEVELS_FINEST, LEVELS_WHOLE };

/*
 * The first level's scale and the face range of each level. All levels or
 * the finest only: a min_face face is `smallest` pixels there; and in a small
 * picture the level is no smaller than its largest face (a face filling it
 * is seen large enough to be sure of, at little cost). The finest level
 * alone spans faces up to twice min_face (as the finest tiles of a tiled
 * pyramid did; the other network finds the larger ones), which keeps the
 * overlap of its tiles small; a detection more than twice that is dropped
 * (detect_whole): a tile large enough to hold a close-up whole made
 * BlazeFace report the eyes and nose of a 250 px face as a face of their
 * own, beside it, where a small tile cut it off. CB_TILING_WHOLE (a network
 * trained at a fixed size, --no-tiling): one level, the whole picture at
 * that size.
 */
static int plan_levels(const cb_detector *d, int id, int longest, float smallest, float *scale,
                       float *range)
{
    const cb_net_info *info = cb_net_info_get(id);
    int which = finest_only(d, id) ? LEVELS_FINEST : LEVELS_ALL;
    if (d->opts.tiling == CB_TILING_WHOLE && info->finest_beside && info->look_side > 0)
        which = LEVELS_WHOLE;
    *range = which == LEVELS_FINEST ? 2.0f : d->opts.level_range;
    const float top = fminf(smallest * *range, info->largest_face);
    if (which == LEVELS_WHOLE)
        *scale = fminf(1.0f, (float)info->look_side / (float)longest);
    else
        *scale = fmaxf(smallest / (float)d->opts.min_face, fminf(1.0f, top / (float)longest));
    *scale = fminf(*scale, CB_MAX_UPSCALE);
    return which;
}

/*
 * The pyramid of an any-size network (or the levels plan_levels says). Its
 * tiles, level by level, are scan items *item, *item + 1, ...; only those
 * whose number modulo rounds is round run (a level none of whose tiles is
 * due is not even scaled).
 */
static int detect_whole(cb_detector *d, int id, const AVFrame *frame, int round, int rounds,
                        int *item, cb_face_list *out, cb_error *err)
{
    const cb_net_info *info = cb_net_info_get(id);
    const float smallest = d->opts.smallest[id] > 0 ? d->opts.smallest[id] : info->smallest_face;
    const int longest = frame->width > frame->height ? frame->width : frame->height;
    float scale, range;
    const int which = plan_levels(d, id, longest, smallest, &scale, &range);
    int rc = 0;
    for (int k = 0; rc == 0; k++) {
        const double t0 = cb_monotonic_seconds();
        const int runs0 = d->runs;
        level lv;
        tiling tl;
        make_level(d, info, scale, range, frame->width, frame->height, smallest, &lv);
        if (which == LEVELS_FINEST)
            lv.keep_below = 2.0f * lv.top_face;
        plan_tiles(d, info, &lv, &tl);
        const int n = tl.nx * tl.ny;
        int due = 0;
        for (int i = 0; i < n && !due; i++)
            due = tile_due(*item, i, round, rounds);
        if (due && !tile_by_tile(&lv, &tl))
            rc = make_level_picture(d, frame, &lv, err);
        if (rc == 0 && due)
            rc = run_level(d, id, frame, &lv, &tl, *item, round, rounds, out, err);
        *item += n;
        const double spent = cb_monotonic_seconds() - t0;
        if (which == LEVELS_ALL) {
            d->time.level[k < TIMED_LEVELS ? k : TIMED_LEVELS - 1] += spent;
            d->time.levels = k + 1 > d->time.levels ? k + 1 : d->time.levels;
        } else {
            d->time.fine += spent;
            d->time.n_fine += d->runs - runs0;
        }
        /* The coarsest level has the whole picture inside the largest face. */
        if (which != LEVELS_ALL || (float)longest * scale <= info->largest_face)
            break;
        scale *= CB_LEVEL_OVERLAP * smallest / lv.top_face;
    }
    return rc;
}

/* ---- fixed-size networks: tiled pyramid --------------------------------- */

/* A square region of the picture to feed one fixed-size network at one scale. */
typedef struct square {
    int x, y, w, h; /* region in picture pixels (w, h <= side) */
    int side;       /* the region is scaled as if it were side x side */
} square;

/*
 * Copy the region, scaled to input x input, into d->buf (top-left aligned,
 * black padding where the region is smaller than the square).
 */
static int load_square(cb_detector *d, const AVFrame *frame, const square *t, int input,
                       cb_error *err)
{
    int rc = ensure_buf(d, input, input, err);
    if (rc < 0)
        return rc;
    double scale = (double)input / t->side;
    int dw = (int)lround(t->w * scale), dh = (int)lround(t->h * scale);
    dw = dw < 1 ? 1 : dw > input ? input : dw;
    dh = dh < 1 ? 1 : dh > input ? input : dh;
    if (dw < input || dh < input)
        memset(d->buf, 0, (size_t)input * input * 3);
    const uint8_t *src = frame->data[0] + (size_t)t->y * frame->linesize[0] + (size_t)t->x * 3;
    return cb_cv_resize(src, t->w, t->h, frame->linesize[0], d->buf, dw, dh, input * 3, 3, err);
}

/*
 * Run one fixed-size network over the tiled pyramid: every level, except
 * that of the finest level only the tiles whose index modulo `rounds` is
 * `round`.
 */
static int detect_tiled(cb_detector *d, int id, const AVFrame *frame, int round, int rounds,
                        cb_face_list *out, cb_error *err)
{
    const cb_net_info *info = cb_net_info_get(id);
    const int input = info->fixed_side;
    const float min_px = d->opts.smallest[id] > 0 ? d->opts.smallest[id] : info->smallest_face;
    const int w = frame->width, h = frame->height;
    const int longest = w > h ? w : h;
    /* Finest tile side: a min_face face becomes min_px network pixels. */
    int finest = (int)floorf((float)input * (float)d->opts.min_face / min_px);
    if (finest < input / 4)
        finest = input / 4;
    cb_face_list cands = {0};
    int rc = 0;
    /* Sides from the whole picture down to the finest tiles, halving. */
    const int first_side = finest_only(d, id) && finest < longest ? finest : longest;
    for (int side = first_side; rc == 0; side = (side + 1) / 2) {
        const int whole_only = d->opts.tiling == CB_TILING_WHOLE;
        int last = whole_only || side <= finest;
        if (last && !whole_only)
            side = finest < longest ? finest : longest;
        int overlap = (int)ceilf(2.5f * min_px * (float)side / (float)input);
        int xs[256], ys[256];
        int nx = tile_starts(w, side, overlap, xs, 256);
        int ny = tile_starts(h, side, overlap, ys, 256);
        const int rolled = last && side < longest;
        const float k = (float)input / (float)side;
        for (int i = 0; rc == 0 && i < nx * ny; i++) {
            if (rolled && i % rounds != round)
                continue;
            square sq = {xs[i % nx], ys[i / nx], side < w ? side : w, side < h ? side : h, side};
            tile t = {(int)lroundf((float)sq.x * k), (int)lroundf((float)sq.y * k),
                      (int)lroundf((float)sq.w * k), (int)lroundf((float)sq.h * k),
                      inner_edges(sq.x, sq.y, sq.w, sq.h, w, h)};
            const placement p = {0, 0, k};
            cands.count = 0;
            rc = load_square(d, frame, &sq, input, err);
            if (rc == 0)
                rc = run_net(d, id, 0, input, input, input * 3, d->opts.score[id], &cands, err);
            /* keep_tile_faces adds the tile's origin in network pixels of the whole picture */
            if (rc == 0)
                rc = keep_tile_faces(&cands, &t, 0.01f * (float)input + 2.0f * k, &p, w, h, out,
                                     err);
        }
        if (last)
            break;
    }
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

/* ---- looking around one face ------------------------------------------- */

/* How to look around a face: on the square `context` face sizes wide centred
 * on it, what lies beyond the picture filled by `fill` (CB_CV_BORDER_*);
 * scaled from the picture itself (`sharp`) or from the smallest step of it
 * that is large enough (faster; a slightly softer input). */
typedef struct look_how {
    float context;
    int fill;
    int sharp;
} look_how;

/*
 * Run network id on the square around f that `how` says, keeping candidates
 * scoring at least min_score, mapped to picture pixels, in out.
 */
static int look_around(cb_detector *d, const AVFrame *frame, const cb_face *f, const look_how *how,
                       int id, float min_score, cb_face_list *out, cb_error *err)
{
    const cb_net_info *info = cb_net_info_get(id);
    const float context = how->context;
    const float size = f->w > f->h ? f->w : f->h;
    const float side = size * context;
    const float x0 = f->x + f->w / 2 - side / 2, y0 = f->y + f->h / 2 - side / 2;
    if (!(side >= 1.0f))
        return 0;
    const int input = info->look_side > 0
                          ? info->look_side
                          : round_up((int)ceilf(context * CB_LOOK_FACE * info->smallest_face),
                                     info->multiple);
    const float k = (float)input / side;
    /* The part of the square inside the picture, and where it goes in the input. */
    int cx0 = (int)floorf(fmaxf(x0, 0)), cy0 = (int)floorf(fmaxf(y0, 0));
    int cx1 = (int)ceilf(fminf(x0 + side, (float)frame->width));
    int cy1 = (int)ceilf(fminf(y0 + side, (float)frame->height));
    if (cx1 <= cx0 || cy1 <= cy0)
        return 0;
    int dx = (int)lroundf(((float)cx0 - x0) * k), dy = (int)lroundf(((float)cy0 - y0) * k);
    int dw = (int)lroundf((float)(cx1 - cx0) * k), dh = (int)lroundf((float)(cy1 - cy0) * k);
    dx = dx < 0 ? 0 : dx > input - 1 ? input - 1 : dx;
    dy = dy < 0 ? 0 : dy > input - 1 ? input - 1 : dy;
    dw = dw < 1 ? 1 : dw > input - dx ? input - dx : dw;
    dh = dh < 1 ? 1 : dh > input - dy ? input - dy : dh;
    const step *st = NULL;
    float sx, sy;
    int rc = ensure_buf(d, input, input, err);
    if (rc == 0)
        rc = step_for(d, frame, how->sharp ? 1.0f : k, &st, &sx, &sy, err);
    if (rc == 0) { /* the same region in the step's pixels */
        const int x0s = (int)floorf((float)cx0 * sx), y0s = (int)floorf((float)cy0 * sy);
        const int x1s = (int)fmaxf(ceilf((float)cx1 * sx), (float)x0s + 1);
        const int y1s = (int)fmaxf(ceilf((float)cy1 * sy), (float)y0s + 1);
        const uint8_t *src = st->data + (size_t)y0s * st->stride + (size_t)x0s * 3;
        rc = cb_cv_place_bgr(src, (x1s < st->w ? x1s : st->w) - x0s,
                             (y1s < st->h ? y1s : st->h) - y0s, st->stride, d->buf, input, input,
                             input * 3, dx, dy, dw, dh, how->fill, err);
    }
    const int first = out->count;
    if (rc == 0)
        rc = run_net(d, id, 0, input, input, input * 3, min_score, out, err);
    /* map: picture = origin + input / k, with the origin where input (0, 0) lies */
    const placement p = {(float)cx0 - (float)dx / k, (float)cy0 - (float)dy / k, k};
    for (int i = first; rc == 0 && i < out->count; i++)
        to_picture(&out->faces[i], &p);
    return rc;
}

/* Second looks are taken in this order, cheapest network first. */
static const cb_net_id look_order[] = {CB_NET_ULTRAFACE, CB_NET_BLAZEFACE, CB_NET_FULLRANGE,
                                       CB_NET_SSD};

/* The best detection of network id around f that overlaps f and scores at
 * least min_score (*found = 0 when none), in *best. */
static int look_for(cb_detector *d, const AVFrame *frame, const cb_face *f, const look_how *how,
                    int id, float min_score, cb_face *best, int *found, cb_error *err)
{
    cb_face_list cands = {0};
    *found = 0;
    int rc = look_around(d, frame, f, how, id, min_score, &cands, err);
    for (int i = 0; rc == 0 && i < cands.count; i++)
        if (cb_face_iou(&cands.faces[i], f) >= CB_VERIFY_IOU &&
            (!*found || cands.faces[i].score > best->score)) {
            *best = cands.faces[i];
            *found = 1;
        }
    cb_face_list_free(&cands);
    return rc;
}

/*
 * The second look at f (see detector.h): *confirmed = 1 when a verifying
 * network, asked in look_order, finds a face overlapping it.
 */
static int second_look(cb_detector *d, const AVFrame *frame, cb_face *f, int *confirmed,
                       cb_error *err)
{
    *confirmed = 0;
    int rc = 0;
    for (size_t k = 0; rc == 0 && !*confirmed && k < sizeof look_order / sizeof *look_order; k++) {
        const int id = look_order[k];
        if (d->opts.verify_score[id] <= 0)
            continue;
        float bar = d->opts.verify_score[id];
        if (f->detectors == cb_net_info_get(id)->flag && d->opts.verify_own_score > bar)
            bar = d->opts.verify_own_score; /* its own candidate: see detector.h */
        cb_face best;
        const look_how how = {d->opts.verify_context, d->opts.pad_fill, 0};
        rc = look_for(d, frame, f, &how, id, bar, &best, confirmed, err);
    }
    return rc;
}

/*
 * Landmarks for recognition (opts.landmarks): those of the best BlazeFace
 * detection on the square two face sizes wide around f, what lies beyond the
 * picture grey, whatever landmarks f had. The face then fills half of
 * BlazeFace's input, the middle of the sizes it was trained on, and its
 * keypoints are steadier than those of a detection made at any other size
 * (bench/eval_recognition: true accepts at no false accept 87% against 39%
 * with the landmarks of the tiled BlazeFace detections; see the README).
 * None found: the face keeps the landmarks it had (or none: then it cannot
 * be recognised, so it is redacted).
 */
static int add_landmarks(cb_detector *d, const AVFrame *frame, cb_face *f, cb_error *err)
{
    if (!d->nets[CB_NET_BLAZEFACE])
        return 0;
    /* from the picture itself: the keypoints BlazeFace gives on a step copy
     * moved enough to push a face of the tests just over the recognition
     * threshold (rose in kit_with_rose.jpg, 0.4515) */
    const look_how how = {CB_LANDMARK_CONTEXT, CB_CV_BORDER_CONSTANT, 1};
    cb_face best;
    int found = 0;
    int rc = look_for(d, frame, f, &how, CB_NET_BLAZEFACE, d->opts.score[CB_NET_BLAZEFACE], &best,
                      &found, err);
    if (rc == 0 && found) {
        f->has_landmarks = 1;
        memcpy(f->landmarks, best.landmarks, sizeof f->landmarks);
    }
    return rc;
}

/* The network that looks around the hints: the first verifying one, else the first scanning one. */
static int hint_network(const cb_detector *d)
{
    for (size_t k = 0; k < sizeof look_order / sizeof *look_order; k++)
        if (d->opts.verify_score[look_order[k]] > 0)
            return look_order[k];
    for (int id = 0; id < CB_NET_COUNT; id++)
        if (d->opts.models & cb_net_info_get(id)->flag)
            return id;
    return -1;
}

/*
 * Look for faces around each hint (where a face was in the last frame).
 * Detections scoring at least that network's verify_score there are as good
 * as confirmed by a second look (same context, same threshold) and marked so;
 * so is a detection on the hint itself (IoU >= CB_VERIFY_IOU): the face the
 * hint stands for was confirmed when its track began, and is followed now
 * at the scanning threshold (a face turning away scores less, and must not
 * be lost for that).
 */
static int look_at_hints(cb_detector *d, const AVFrame *frame, const cb_face *hints, int n_hints,
                         cb_face_list *found, cb_error *err)
{
    const int id = hint_network(d);
    if (id < 0 || !d->nets[id])
        return 0;
    const float confirm = d->opts.verify_score[id] > 0 ? d->opts.verify_score[id] : 1.1f;
    int rc = 0;
    for (int i = 0; rc == 0 && i < n_hints; i++) {
        const int first = found->count;
        const look_how how = {d->opts.verify_context, d->opts.pad_fill, 0};
        rc = look_around(d, frame, &hints[i], &how, id, d->opts.score[id], found, err);
        int kept = first;
        for (int k = first; rc == 0 && k < found->count; k++) {
            cb_face *f = &found->faces[k];
            if (!inside_enough(f, frame->width, frame->height))
                continue;
            if (f->score >= confirm || cb_face_iou(f, &hints[i]) >= CB_VERIFY_IOU)
                f->detectors |= CB_DET_CONFIRMED;
            found->faces[kept++] = *f;
        }
        found->count = kept;
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

/*
 * After each network's scan of a large picture (a photo), free the network
 * instances set up for its large levels and tiles, so that no two networks
 * hold theirs at once: a 12 MP photo then peaks at what the largest alone
 * needs (BlazeFace's 1 MP tiles), within 400 MiB. Setting them up again for
 * the next photo costs about 0.1 s. A video's frames keep theirs.
 */
static void trim_nets(cb_detector *d, const AVFrame *frame)
{
    if ((long)frame->width * frame->height < CB_LARGE_PICTURE)
        return;
    for (int id = 0; id < CB_NET_COUNT; id++)
        cb_face_net_trim(d->nets[id], CB_KEPT_NET_PIXELS);
}

/* Every scanning network (and Haar) over the picture, into found. */
static int scan(cb_detector *d, const AVFrame *frame, int round, int rounds, cb_face_list *found,
                cb_error *err)
{
    int rc = 0, item = 0;
    for (int id = 0; rc == 0 && id < CB_NET_COUNT; id++) {
        if (!(d->opts.models & cb_net_info_get(id)->flag))
            continue;
        if (cb_net_info_get(id)->fixed_side > 0) {
            const double t0 = cb_monotonic_seconds();
            const int runs0 = d->runs;
            rc = detect_tiled(d, id, frame, round, rounds, found, err);
            d->time.fine += cb_monotonic_seconds() - t0;
            d->time.n_fine += d->runs - runs0;
        } else {
            rc = detect_whole(d, id, frame, round, rounds, &item, found, err);
        }
        trim_nets(d, frame);
    }
    if (rc == 0 && d->haar)
        rc = detect_haar(d, frame, found, err);
    return rc;
}

/* Was f turned down by the second look in the last `reach` calls (and scores no better)? */
static int rejected_before(const cb_detector *d, const cb_face *f, int reach)
{
    for (int i = 0; i < d->n_rejected; i++) {
        const struct rejected *r = &d->rejected[i];
        if (d->call - r->call <= reach && cb_face_iou(f, &r->face) >= CB_REJECTED_IOU &&
            f->score <= r->face.score + CB_REJECTED_SCORE_RISE)
            return 1;
    }
    return 0;
}

/* Remember f as turned down in this call, in place of the oldest entry when full. */
static void remember_rejected(cb_detector *d, const cb_face *f)
{
    int at = d->n_rejected < CB_REJECTED_MAX ? d->n_rejected++ : 0;
    for (int i = 0; i < d->n_rejected && d->n_rejected == CB_REJECTED_MAX; i++)
        if (d->rejected[i].call < d->rejected[at].call)
            at = i;
    d->rejected[at] = (struct rejected){*f, d->call};
}

/*
 * The second look at f when it needs one (not confirmed at a hint):
 * *confirmed = 0 when it fails, or when it failed on the same candidate in
 * the last `reach` calls (reach 0: never reuse).
 */
static int check_candidate(cb_detector *d, const AVFrame *frame, cb_face *f, int reach,
                           int *confirmed, cb_error *err)
{
    *confirmed = 1;
    if (!verify_flags(&d->opts) || (f->detectors & CB_DET_CONFIRMED))
        return 0;
    if (reach > 0 && rejected_before(d, f, reach)) {
        *confirmed = 0;
        return 0;
    }
    d->time.n_looks++;
    int rc = second_look(d, frame, f, confirmed, err);
    if (rc == 0 && !*confirmed && reach > 0)
        remember_rejected(d, f);
    return rc;
}

/* Merge, give a second look where needed (reach: see check_candidate), clip
 * and keep the faces of found in out. */
static int settle(cb_detector *d, const AVFrame *frame, cb_face_list *found, int reach,
                  cb_face_list *out, cb_error *err)
{
    cb_face_list_nms(found, CB_MERGE_NMS_IOU, CB_MERGE_CONTAIN);
    int rc = 0;
    for (int i = 0; rc == 0 && i < found->count; i++) {
        cb_face *f = &found->faces[i];
        const unsigned nets = f->detectors & ~(unsigned)CB_DET_CONFIRMED;
        int confirmed = 1;
        double t0 = cb_monotonic_seconds();
        rc = check_candidate(d, frame, f, reach, &confirmed, err);
        double t1 = cb_monotonic_seconds();
        if (rc == 0 && confirmed && d->opts.landmarks) {
            rc = add_landmarks(d, frame, f, err);
            d->time.n_landmarks++;
        }
        d->time.looks += t1 - t0;
        d->time.landmarks += cb_monotonic_seconds() - t1;
        f->detectors = nets;
        const float size = f->w > f->h ? f->w : f->h;
        clip_to_picture(f, frame->width, frame->height);
        if (rc == 0 && confirmed && f->w >= 1 && f->h >= 1 &&
            size >= CB_SMALLEST_KEPT * (float)d->opts.min_face)
            rc = cb_face_list_push(out, f, err);
    }
    return rc;
}

/* Free the scaled copies of a large picture (a 12 MP photo's take 30 MB)
 * between calls: the encoder needs the memory more. Those of a video frame
 * (1080p: 5 MB) stay for the next frame. */
static void release_pictures(cb_detector *d)
{
    const size_t large = (size_t)8 << 20;
    if (d->buf_cap > large) {
        free(d->buf);
        d->buf = NULL;
        d->buf_cap = 0;
    }
    if (d->steps[1].cap > large / 2)
        for (int i = 1; i < STEPS; i++) {
            free(d->steps[i].data);
            d->steps[i] = (step){0};
        }
}

/* One debug line: network runs, faces, and where the time went. */
static void log_timing(const cb_detector *d, int faces)
{
    char levels[160] = "";
    size_t len = 0;
    for (int k = 0; k < d->time.levels && len < sizeof levels; k++)
        len += (size_t)snprintf(levels + len, sizeof levels - len, "%s%.3f", k ? " " : "",
                                d->time.level[k]);
    cb_log(d->opts.log, CB_LOG_DEBUG,
           "detector: %d network runs, %d faces; seconds: levels %s, second looks %.3f (%d), "
           "landmarks %.3f (%d), hints %.3f (%d), finest %.3f (%d)", d->runs, faces,
           levels[0] ? levels : "-", d->time.looks, d->time.n_looks, d->time.landmarks,
           d->time.n_landmarks, d->time.hints, d->time.n_hints, d->time.fine, d->time.n_fine);
}

int cb_detector_detect_part(cb_detector *d, const AVFrame *frame, int round, int rounds,
                            const cb_face *hints, int n_hints, cb_face_list *out, cb_error *err)
{
    if (!d || !frame || frame->format != AV_PIX_FMT_BGR24 || frame->width < 1 ||
        frame->height < 1 || rounds < 1 || n_hints < 0 || (n_hints > 0 && !hints))
        return cb_error_set(err, CB_EINVAL, "detector: expected a BGR24 frame");
    round = ((round % rounds) + rounds) % rounds;
    d->runs = 0;
    d->steps_made = 0;
    memset(&d->time, 0, sizeof d->time);
    cb_face_list found = {0};
    int rc = scan(d, frame, round, rounds, &found, err);
    const double t0 = cb_monotonic_seconds();
    if (rc == 0 && n_hints > 0)
        rc = look_at_hints(d, frame, hints, n_hints, &found, err);
    d->time.hints = cb_monotonic_seconds() - t0;
    d->time.n_hints = n_hints;
    /* a video's frames (rounds > 1): a rejection holds for two rounds; a
     * single picture, or a frame after a cut (rounds 1), starts afresh */
    d->call++;
    if (rounds == 1)
        d->n_rejected = 0;
    if (rc == 0)
        rc = settle(d, frame, &found, rounds > 1 ? 2 * rounds : 0, out, err);
    cb_face_list_free(&found);
    log_timing(d, out->count);
    release_pictures(d);
    return rc;
}

/* eval_cases.c - the pictures bench/eval_detect scores; see eval_cases.h. */
#include "eval_cases.h"

#include <libavutil/imgutils.h>
#include <libswscale/swscale.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "common/cb_error.h"
#include "models/cv_bridge.h"
#include "pipeline/frame_util.h"
#include "pipeline/media_in.h"
#include "pipeline/video_in.h"

const char *const eval_set_names[SET_COUNT] = {"crops",   "photos", "groups", "profile",
                                               "synth",   "context", "crowd", "edge25", "edge50",
                                               "closeup", "tilted", "covered"};
const int eval_bucket_lo[EVAL_NBUCKET] = {16, 24, 40, 80, 160};
const int eval_bucket_hi[EVAL_NBUCKET] = {24, 40, 80, 160, 401};

#define SYN_W 4000
#define SYN_H 3000
/* Derived pictures: longest side at most this. */
#define MAX_SIDE 640
/* Composites: faces per size bucket (tight crops) and per context size. */
enum { FACES_PER_BUCKET = 10, CONTEXT_FACES = 20 };
/* Crowd composites: copies of each group photo; their median face height
 * (px); faces smaller than CROWD_OPTIONAL_UNDER once scaled count as optional. */
enum { CROWD_COPIES = 2, CROWD_MEDIAN_LO = 18, CROWD_MEDIAN_HI = 36, CROWD_OPTIONAL_UNDER = 14 };

int eval_bucket_of(float h)
{
    for (int b = 0; b < EVAL_NBUCKET; b++)
        if (h >= (float)eval_bucket_lo[b] && h < (float)eval_bucket_hi[b])
            return b;
    return -1;
}

/* ---- samples ------------------------------------------------------------ */

static eval_sample *add_sample(eval_samples *l, int set, AVFrame *img, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static eval_sample *add_sample(eval_samples *l, int set, AVFrame *img, const char *fmt, ...)
{
    if (l->count == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 256;
        l->items = bench_xrealloc(l->items, sizeof *l->items * (size_t)l->cap);
    }
    eval_sample *s = &l->items[l->count++];
    memset(s, 0, sizeof *s);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->label, sizeof s->label, fmt, ap);
    va_end(ap);
    s->set = set;
    s->img = img;
    return s;
}

static void add_box(eval_sample *s, float x, float y, float w, float h, int optional)
{
    s->truth = bench_xrealloc(s->truth, sizeof *s->truth * (size_t)(s->ntruth + 1));
    s->truth[s->ntruth++] = (eval_box){x, y, w, h, optional};
}

void eval_free(eval_samples *l)
{
    for (int i = 0; i < l->count; i++) {
        av_frame_free(&l->items[i].img);
        free(l->items[i].truth);
    }
    free(l->items);
    memset(l, 0, sizeof *l);
}

static AVFrame *new_frame(int w, int h)
{
    AVFrame *f = av_frame_alloc();
    if (!f)
        exit(2);
    f->format = AV_PIX_FMT_BGR24;
    f->width = w;
    f->height = h;
    if (cb_frame_get_zeroed_buffer(f) < 0)
        exit(2);
    return f;
}

static AVFrame *read_image(const char *path)
{
    AVFrame *img = NULL;
    cb_error err = {0};
    if (cb_image_read(path, NULL, &img, NULL, &err) < 0) {
        fprintf(stderr, "%s: %s\n", bench_prog, err.msg);
        return NULL;
    }
    return img;
}

/* ---- real pictures ------------------------------------------------------- */

typedef struct crop_load {
    const char *testdata;
    eval_samples *l;
    int failed;
} crop_load;

static void on_identity_file(void *user, const char *person, const char *file, int index)
{
    crop_load *c = user;
    (void)index;
    size_t n = strlen(file);
    if (n < 4 || strcmp(file + n - 4, ".png") != 0)
        return;
    char path[3072];
    snprintf(path, sizeof path, "%s/identities/%s/%s", c->testdata, person, file);
    AVFrame *img = read_image(path);
    if (!img) {
        c->failed = 1;
        return;
    }
    eval_sample *s = add_sample(c->l, SET_CROPS, img, "identities/%s/%s", person, file);
    add_box(s, 0, 0, (float)img->width, (float)img->height, 0);
}

/* Frames of one video file, decoded once: frame numbers wanted -> frames. */
static AVFrame *video_frame(const char *path, int index)
{
    cb_video_in *v = NULL;
    cb_video_info info;
    cb_error err = {0};
    AVFrame *f = NULL;
    if (cb_video_in_open(path, 0, &v, &info, &err) < 0) {
        fprintf(stderr, "%s: %s\n", bench_prog, err.msg);
        return NULL;
    }
    for (int i = 0; i <= index; i++) {
        av_frame_free(&f);
        if (cb_video_in_read(v, &f, &err) != 0) {
            fprintf(stderr, "%s: %s: no frame %d\n", bench_prog, path, index);
            av_frame_free(&f);
            break;
        }
    }
    cb_video_in_close(v);
    return f;
}

typedef struct truth_load {
    const char *file, *testdata;
    int set;
    eval_samples *l;
    int failed;
} truth_load;

static int on_truth_line(void *user, const bench_truth_line *t)
{
    truth_load *tl = user;
    eval_sample *s = NULL;
    for (int i = 0; i < tl->l->count; i++)
        if (tl->l->items[i].set == tl->set && !strcmp(tl->l->items[i].label, t->rel))
            s = &tl->l->items[i];
    if (!s) {
        char path[2048], rel[1024];
        snprintf(rel, sizeof rel, "%s", t->rel);
        char *at = strchr(rel, '@');
        if (at)
            *at = '\0';
        snprintf(path, sizeof path, "%s/%s", tl->testdata, rel);
        AVFrame *img = at ? video_frame(path, atoi(at + 1)) : read_image(path);
        if (!img) {
            tl->failed = 1;
            return -1;
        }
        s = add_sample(tl->l, tl->set, img, "%s", t->rel);
    }
    if (t->fields == 1) /* "RELPATH -": no face */
        return 0;
    if (t->fields < 5) {
        fprintf(stderr, "%s: %s:%d: bad line\n", bench_prog, tl->file, t->lineno);
        return -1;
    }
    add_box(s, t->x, t->y, t->w, t->h, t->fields == 6 && t->extra[0] == '?');
    return 0;
}

static int load_truth(const char *truth_dir, const char *name, const char *testdata, int set,
                      eval_samples *l)
{
    char file[2048];
    snprintf(file, sizeof file, "%s/%s", truth_dir, name);
    truth_load tl = {file, testdata, set, l, 0};
    return bench_read_truth(file, on_truth_line, &tl) || tl.failed ? -1 : 0;
}

/* ---- picture helpers ------------------------------------------------------ */

/* A new picture: the rectangle (x, y, w, h) of src (inside it), scaled so that its
 * longest side is at most MAX_SIDE; *k is the scale. */
static AVFrame *cut_window(const AVFrame *src, int x, int y, int w, int h, float *k)
{
    const int longest = w > h ? w : h;
    *k = longest > MAX_SIDE ? (float)MAX_SIDE / (float)longest : 1.0f;
    const int dw = (int)lroundf((float)w * *k), dh = (int)lroundf((float)h * *k);
    AVFrame *f = new_frame(dw < 1 ? 1 : dw, dh < 1 ? 1 : dh);
    cb_error err = {0};
    const uint8_t *p = src->data[0] + (size_t)y * src->linesize[0] + (size_t)x * 3;
    if (cb_cv_resize(p, w, h, src->linesize[0], f->data[0], f->width, f->height,
                         f->linesize[0], 3, &err) < 0) {
        fprintf(stderr, "%s: %s\n", bench_prog, err.msg);
        exit(2);
    }
    return f;
}

/* Add box b (source pixels) to s, seen through the window at (x, y) scaled by k,
 * clipped to the picture. */
static void add_window_box(eval_sample *s, const eval_box *b, float x, float y, float k,
                           int optional)
{
    float x0 = fmaxf((b->x - x) * k, 0), y0 = fmaxf((b->y - y) * k, 0);
    float x1 = fminf((b->x + b->w - x) * k, (float)s->img->width);
    float y1 = fminf((b->y + b->h - y) * k, (float)s->img->height);
    if (x1 - x0 >= 2 && y1 - y0 >= 2)
        add_box(s, x0, y0, x1 - x0, y1 - y0, optional);
}

/* Resize src (BGR24) to dw x dh and copy it into dst at (x, y). */
static int paste_scaled(AVFrame *dst, const AVFrame *src, int sx, int sy, int sw, int sh, int x,
                        int y, int dw, int dh)
{
    const uint8_t *p = src->data[0] + (size_t)sy * src->linesize[0] + (size_t)sx * 3;
    uint8_t *d = dst->data[0] + (size_t)y * dst->linesize[0] + (size_t)x * 3;
    cb_error err = {0};
    return cb_cv_resize(p, sw, sh, src->linesize[0], d, dw, dh, dst->linesize[0], 3, &err);
}

/* ---- composites ---------------------------------------------------------- */

static uint64_t rng_next(uint64_t *s)
{
    /* splitmix64 */
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double rng_unit(uint64_t *s)
{
    return (double)(rng_next(s) >> 11) / 9007199254740992.0;
}

/* Smooth value noise: a coarse random grid, bilinear with smoothstep. */
static void add_noise_octave(float *acc, int w, int h, int cell, float amp, uint64_t *rng)
{
    int gw = w / cell + 2, gh = h / cell + 2;
    float *g = bench_xrealloc(NULL, sizeof *g * (size_t)gw * (size_t)gh * 3);
    for (int i = 0; i < gw * gh * 3; i++)
        g[i] = (float)(rng_unit(rng) * 2.0 - 1.0);
    for (int y = 0; y < h; y++) {
        int gy = y / cell;
        float fy = (float)(y % cell) / (float)cell;
        fy = fy * fy * (3 - 2 * fy);
        for (int x = 0; x < w; x++) {
            int gx = x / cell;
            float fx = (float)(x % cell) / (float)cell;
            fx = fx * fx * (3 - 2 * fx);
            for (int c = 0; c < 3; c++) {
                float a = g[((size_t)gy * gw + gx) * 3 + c], b = g[((size_t)gy * gw + gx + 1) * 3 + c];
                float cc = g[((size_t)(gy + 1) * gw + gx) * 3 + c];
                float d = g[((size_t)(gy + 1) * gw + gx + 1) * 3 + c];
                float top = a + (b - a) * fx, bot = cc + (d - cc) * fx;
                acc[((size_t)y * w + x) * 3 + c] += amp * (top + (bot - top) * fy);
            }
        }
    }
    free(g);
}

/*
 * A face-free background: a colour gradient, several octaves of value noise,
 * flat-coloured rectangles (walls, boards, furniture) and fine grain.
 */
static void make_background(AVFrame *f, uint64_t seed)
{
    const int w = f->width, h = f->height;
    uint64_t rng = seed;
    float *acc = bench_xrealloc(NULL, (size_t)w * h * 3 * sizeof *acc);
    float c0[3], c1[3];
    for (int c = 0; c < 3; c++) {
        c0[c] = (float)(40 + 170 * rng_unit(&rng));
        c1[c] = (float)(40 + 170 * rng_unit(&rng));
    }
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            float t = (float)(x + y) / (float)(w + h);
            for (int c = 0; c < 3; c++)
                acc[((size_t)y * w + x) * 3 + c] = c0[c] + (c1[c] - c0[c]) * t;
        }
    for (int r = 0; r < 60; r++) {
        int rw = 50 + (int)(rng_unit(&rng) * 900), rh = 50 + (int)(rng_unit(&rng) * 700);
        int rx = (int)(rng_unit(&rng) * (w - rw)), ry = (int)(rng_unit(&rng) * (h - rh));
        float col[3];
        for (int c = 0; c < 3; c++)
            col[c] = (float)(255 * rng_unit(&rng));
        float mix = (float)(0.4 + 0.5 * rng_unit(&rng));
        for (int y = ry; y < ry + rh; y++)
            for (int x = rx; x < rx + rw; x++)
                for (int c = 0; c < 3; c++) {
                    float *p = &acc[((size_t)y * w + x) * 3 + c];
                    *p = *p * (1 - mix) + col[c] * mix;
                }
    }
    add_noise_octave(acc, w, h, 400, 40, &rng);
    add_noise_octave(acc, w, h, 97, 25, &rng);
    add_noise_octave(acc, w, h, 23, 12, &rng);
    add_noise_octave(acc, w, h, 5, 6, &rng);
    for (int y = 0; y < h; y++) {
        uint8_t *row = f->data[0] + (size_t)y * f->linesize[0];
        for (int x = 0; x < w * 3; x++) {
            float v = acc[(size_t)y * w * 3 + x] + (float)(rng_unit(&rng) * 8 - 4);
            row[x] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : lrintf(v));
        }
    }
    free(acc);
}

static int boxes_clear(const eval_box *placed, int n, float x, float y, float s)
{
    for (int i = 0; i < n; i++) {
        float m = 0.35f * (s > placed[i].w ? s : placed[i].w) + 8;
        if (x < placed[i].x + placed[i].w + m && placed[i].x < x + s + m &&
            y < placed[i].y + placed[i].h + m && placed[i].y < y + s + m)
            return 0;
    }
    return 1;
}

/* A free place for a square of side s on a composite, or 0 when none was found. */
static int find_place(uint64_t *rng, const eval_sample *s, int side, float *x, float *y)
{
    for (int tries = 0; tries < 10000; tries++) {
        *x = (float)(int)(rng_unit(rng) * (SYN_W - side));
        *y = (float)(int)(rng_unit(rng) * (SYN_H - side));
        if (boxes_clear(s->truth, s->ntruth, *x, *y, (float)side))
            return 1;
    }
    return 0;
}

/* A face with its surroundings to paste: a picture and the face box in it. */
typedef struct face_src {
    const AVFrame *img;
    eval_box face;
} face_src;

/*
 * Composite number idx: FACES_PER_BUCKET tight crops per size bucket
 * (log-uniform sizes), chosen round-robin, randomly placed without overlap.
 */
static void add_composite(eval_samples *l, int idx, const AVFrame *const *crops, int ncrops)
{
    AVFrame *f = new_frame(SYN_W, SYN_H);
    uint64_t rng = 0x5eedULL * (uint64_t)(idx + 1);
    make_background(f, rng_next(&rng));
    eval_sample *s = add_sample(l, SET_SYNTH, f, "composite %d", idx);
    for (int b = EVAL_NBUCKET - 1; b >= 0; b--) {
        for (int k = 0; k < FACES_PER_BUCKET; k++) {
            double lo = log(eval_bucket_lo[b]), hi = log(eval_bucket_hi[b] - 1);
            int side = (int)lround(exp(lo + (hi - lo) * rng_unit(&rng)));
            float x, y;
            if (!find_place(&rng, s, side, &x, &y))
                continue;
            const AVFrame *crop = crops[(idx * 7 + s->ntruth) % ncrops];
            if (paste_scaled(f, crop, 0, 0, crop->width, crop->height, (int)x, (int)y, side,
                             side) < 0)
                exit(2);
            add_box(s, x, y, (float)side, (float)side, 0);
        }
    }
}

/*
 * Context composite number idx: CONTEXT_FACES faces of the photos, 16-40 px
 * high, each pasted with a square of its surroundings three face heights wide.
 */
static void add_context_composite(eval_samples *l, int idx, const face_src *src, int nsrc)
{
    AVFrame *f = new_frame(SYN_W, SYN_H);
    uint64_t rng = 0xc0fe7ULL * (uint64_t)(idx + 1);
    make_background(f, rng_next(&rng));
    eval_sample *s = add_sample(l, SET_CONTEXT, f, "context composite %d", idx);
    for (int k = 0; k < CONTEXT_FACES; k++) {
        const face_src *fs = &src[(idx * 5 + k) % nsrc];
        const float fh = fs->face.h, cx = fs->face.x + fs->face.w / 2;
        const float cy = fs->face.y + fs->face.h / 2;
        /* the square around the face, as large as the photo allows up to 3 face heights */
        float half = fminf(1.5f * fh, fminf(fminf(cx, (float)fs->img->width - cx),
                                             fminf(cy, (float)fs->img->height - cy)));
        if (half < 0.6f * fh)
            continue;
        double lo = log(16), hi = log(39);
        float target = (float)exp(lo + (hi - lo) * rng_unit(&rng)); /* face height */
        float k2 = target / fh;
        int side = (int)lroundf(2 * half * k2);
        float x, y;
        if (side < 4 || !find_place(&rng, s, side, &x, &y))
            continue;
        int sx = (int)lroundf(cx - half), sy = (int)lroundf(cy - half), ss = (int)lroundf(2 * half);
        if (paste_scaled(f, fs->img, sx, sy, ss, ss, (int)x, (int)y, side, side) < 0)
            exit(2);
        add_box(s, x + (fs->face.x - (float)sx) * k2, y + (fs->face.y - (float)sy) * k2,
                fs->face.w * k2, fs->face.h * k2, 0);
        /* keep other faces clear of the whole pasted square */
        add_box(s, x, y, (float)side, (float)side, 1);
    }
}

/* The median height of the non-optional faces of s (0: none). */
static float median_face_height(const eval_sample *s)
{
    float *h = bench_xrealloc(NULL, sizeof *h * (size_t)(s->ntruth + 1));
    int n = 0;
    for (int i = 0; i < s->ntruth; i++)
        if (!s->truth[i].optional)
            h[n++] = s->truth[i].h;
    qsort(h, (size_t)n, sizeof *h, bench_cmp_float);
    const float median = n ? h[n / 2] : 0;
    free(h);
    return median;
}

/*
 * Crowd composite number idx: each group photo pasted CROWD_COPIES times,
 * scaled so that its median face is CROWD_MEDIAN_LO-HI px high (log-uniform):
 * real small faces among their neighbours' heads and shoulders, as in a photo
 * of a whole class or a school hall.
 */
static void add_crowd_composite(eval_samples *l, int idx, const eval_samples *groups)
{
    AVFrame *f = new_frame(SYN_W, SYN_H);
    uint64_t rng = 0xc40dULL * (uint64_t)(idx + 1);
    make_background(f, rng_next(&rng));
    eval_sample *s = add_sample(l, SET_CROWD, f, "crowd composite %d", idx);
    for (int copy = 0; copy < CROWD_COPIES; copy++)
        for (int g = 0; g < groups->count; g++) {
            const eval_sample *gs = &groups->items[g];
            const float median = median_face_height(gs);
            double lo = log(CROWD_MEDIAN_LO), hi = log(CROWD_MEDIAN_HI);
            float k = median > 0 ? (float)exp(lo + (hi - lo) * rng_unit(&rng)) / median : 0;
            int dw = (int)lroundf((float)gs->img->width * k);
            int dh = (int)lroundf((float)gs->img->height * k);
            float x, y;
            if (dw < 4 || dh < 4 || !find_place(&rng, s, dw > dh ? dw : dh, &x, &y))
                continue;
            if (paste_scaled(f, gs->img, 0, 0, gs->img->width, gs->img->height, (int)x, (int)y,
                             dw, dh) < 0)
                exit(2);
            for (int i = 0; i < gs->ntruth; i++) {
                const eval_box *b = &gs->truth[i];
                add_box(s, x + b->x * k, y + b->y * k, b->w * k, b->h * k,
                        b->optional || b->h * k < CROWD_OPTIONAL_UNDER);
            }
            add_box(s, x, y, (float)dw, (float)dh, 1); /* keeps other pastes clear of it */
        }
}

/* ---- derived from the faces of the photos --------------------------------- */

/* One axis of a window that cuts a face: the face spans [a, a + len) in a source of
 * size n; dir < 0 cuts it at the window's start, > 0 at its end, 0 centres it.
 * want: the window length wanted. */
static void cut_axis(float a, float len, float n, int dir, float frac, float want, float *lo,
                     float *hi)
{
    if (dir < 0) {
        *lo = a + frac * len;
        *hi = fminf(n, *lo + want);
    } else if (dir > 0) {
        *hi = a + (1 - frac) * len;
        *lo = fmaxf(0, *hi - want);
    } else {
        float c = a + len / 2, half = fminf(want / 2, fminf(c, n - c));
        *lo = c - half;
        *hi = c + half;
    }
}

/* A sample of set `set`: the window (x0, y0)-(x1, y1) of fs's picture with its face. */
static eval_sample *add_window(eval_samples *l, int set, const face_src *fs, float x0, float y0,
                               float x1, float y1, const char *what)
{
    int x = (int)ceilf(x0), y = (int)ceilf(y0);
    int w = (int)floorf(x1) - x, h = (int)floorf(y1) - y;
    if (w < 8 || h < 8)
        return NULL;
    float k;
    AVFrame *img = cut_window(fs->img, x, y, w, h, &k);
    eval_sample *s = add_sample(l, set, img, "%s", what);
    add_window_box(s, &fs->face, (float)x, (float)y, k, 0);
    return s;
}

static void add_edge_cases(eval_samples *l, const face_src *src, int nsrc)
{
    static const char *const dirs = "TL T  TR L  -  R  BL B  BR";
    for (int i = 0; i < nsrc; i++) {
        const face_src *fs = &src[i];
        const eval_box *b = &fs->face;
        for (int dy = -1; dy <= 1; dy++)
            for (int dx = -1; dx <= 1; dx++)
                for (int q = 0; q < 2 && (dx || dy); q++) {
                    /* the part of the face's area outside: all of it from one side at an
                     * edge, from two at a corner */
                    const float outside = q ? 0.5f : 0.25f;
                    const float frac = dx && dy ? 1 - sqrtf(1 - outside) : outside;
                    float x0, x1, y0, y1;
                    cut_axis(b->x, b->w, (float)fs->img->width, dx, frac, 4 * b->h, &x0, &x1);
                    cut_axis(b->y, b->h, (float)fs->img->height, dy, frac, 3 * b->h, &y0, &y1);
                    if (x1 - x0 < 1.3f * b->h || y1 - y0 < 1.3f * b->h)
                        continue;
                    char what[160];
                    const int d = (dy + 1) * 3 + dx + 1;
                    snprintf(what, sizeof what, "face %d cut %.2s %d%%", i, dirs + 3 * d,
                             (int)(outside * 100));
                    add_window(l, q ? SET_EDGE50 : SET_EDGE25, fs, x0, y0, x1, y1, what);
                }
    }
}

static void add_closeups(eval_samples *l, const face_src *src, int nsrc)
{
    static const float fracs[] = {0.40f, 0.55f, 0.70f, 0.85f, 0.95f};
    int n = 0;
    for (int i = 0; i < nsrc; i++) {
        const face_src *fs = &src[i];
        const float W = (float)fs->img->width, H = (float)fs->img->height;
        for (size_t k = 0; k < sizeof fracs / sizeof fracs[0]; k++, n++) {
            const float h = fs->face.h / fracs[k], w = h * (n % 2 ? 4.0f / 3 : 3.0f / 4);
            if (w > W || h > H)
                continue;
            const float cx = fs->face.x + fs->face.w / 2, cy = fs->face.y + fs->face.h / 2;
            const float x0 = fminf(fmaxf(cx - w / 2, 0), W - w);
            const float y0 = fminf(fmaxf(cy - h / 2, 0), H - h);
            char what[160];
            snprintf(what, sizeof what, "face %d close-up %d%%", i, (int)(fracs[k] * 100));
            add_window(l, SET_CLOSEUP, fs, x0, y0, x0 + w, y0 + h, what);
        }
    }
}

static void add_tilted(eval_samples *l, const face_src *src, int nsrc)
{
    static const int angles[] = {-45, -30, 30, 45};
    for (int i = 0; i < nsrc; i++) {
        const face_src *fs = &src[i];
        const eval_box *b = &fs->face;
        const float cx = b->x + b->w / 2, cy = b->y + b->h / 2;
        for (size_t j = 0; j < sizeof angles / sizeof angles[0]; j++) {
            const float a = (float)angles[j] * (float)M_PI / 180.0f;
            /* a window 3 x 2.25 face heights; corners beyond the photo repeat its edge */
            const float s = 0.75f * b->h;
            const float k = fminf(1.0f, (float)MAX_SIDE / (4 * s));
            const int w = (int)lroundf(4 * s * k), h = (int)lroundf(3 * s * k);
            AVFrame *img = new_frame(w, h);
            const double ca = cos(a) * k, sa = sin(a) * k;
            const double m[6] = {ca, -sa, w / 2.0 - ca * cx + sa * cy,
                                 sa, ca, h / 2.0 - sa * cx - ca * cy};
            cb_error err = {0};
            if (cb_cv_warp_affine_bgr(fs->img->data[0], fs->img->width, fs->img->height,
                                      fs->img->linesize[0], m, img->data[0], w, h,
                                      img->linesize[0], &err) < 0)
                exit(2);
            eval_sample *smp = add_sample(l, SET_TILTED, img, "face %d tilted %d", i, angles[j]);
            /* the rotated box's bounding box, shrunk by 15% */
            const float hw = (fabsf(cosf(a)) * b->w + fabsf(sinf(a)) * b->h) / 2 * k * 0.85f;
            const float hh = (fabsf(sinf(a)) * b->w + fabsf(cosf(a)) * b->h) / 2 * k * 0.85f;
            add_box(smp, (float)w / 2 - hw, (float)h / 2 - hh, 2 * hw, 2 * hh, 0);
        }
    }
}

/* Blend colour col into the picture where the ellipse (cx, cy, rx, ry) is, with
 * brightness varying by noise amplitude `grain`. */
static void fill_ellipse(AVFrame *f, float cx, float cy, float rx, float ry, const float col[3],
                         float grain, uint64_t *rng)
{
    int x0 = (int)fmaxf(0, cx - rx), x1 = (int)fminf((float)f->width - 1, cx + rx);
    int y0 = (int)fmaxf(0, cy - ry), y1 = (int)fminf((float)f->height - 1, cy + ry);
    for (int y = y0; y <= y1; y++)
        for (int x = x0; x <= x1; x++) {
            float u = ((float)x - cx) / rx, v = ((float)y - cy) / ry, r = u * u + v * v;
            if (r > 1)
                continue;
            float shade = 1.0f - 0.25f * r + grain * (float)(rng_unit(rng) - 0.5);
            uint8_t *p = f->data[0] + (size_t)y * f->linesize[0] + (size_t)x * 3;
            for (int c = 0; c < 3; c++) {
                float val = col[c] * shade;
                p[c] = (uint8_t)(val < 0 ? 0 : val > 255 ? 255 : val);
            }
        }
}

/* The mean colour of the middle of box b of f. */
static void mean_colour(const AVFrame *f, const eval_box *b, float col[3])
{
    double sum[3] = {0};
    int n = 0;
    for (int y = (int)(b->y + 0.4f * b->h); y < (int)(b->y + 0.6f * b->h); y++)
        for (int x = (int)(b->x + 0.3f * b->w); x < (int)(b->x + 0.7f * b->w); x++) {
            if (x < 0 || y < 0 || x >= f->width || y >= f->height)
                continue;
            const uint8_t *p = f->data[0] + (size_t)y * f->linesize[0] + (size_t)x * 3;
            for (int c = 0; c < 3; c++)
                sum[c] += p[c];
            n++;
        }
    for (int c = 0; c < 3; c++)
        col[c] = n ? (float)(sum[c] / n) : 128.0f;
}

/* A hand over the mouth and chin: a palm and four fingers reaching up. */
static void draw_hand(AVFrame *f, const eval_box *b, uint64_t *rng)
{
    float skin[3];
    mean_colour(f, b, skin);
    for (int c = 0; c < 3; c++)
        skin[c] = skin[c] * 0.9f + 12;
    fill_ellipse(f, b->x + 0.45f * b->w, b->y + 0.95f * b->h, 0.36f * b->w, 0.22f * b->h, skin,
                 0.08f, rng);
    for (int k = 0; k < 4; k++)
        fill_ellipse(f, b->x + (0.22f + 0.15f * (float)k) * b->w, b->y + 0.72f * b->h,
                     0.065f * b->w, 0.17f * b->h, skin, 0.08f, rng);
}

/* Hair over the forehead and one eye: a dark band of strands. */
static void draw_hair(AVFrame *f, const eval_box *b, uint64_t *rng)
{
    for (int y = (int)b->y - 2; y < (int)(b->y + 0.55f * b->h); y++)
        for (int x = (int)(b->x - 0.1f * b->w); x < (int)(b->x + 0.75f * b->w); x++) {
            if (x < 0 || y < 0 || x >= f->width || y >= f->height)
                continue;
            /* the band's lower edge falls from right to left */
            float u = ((float)x - b->x) / b->w, v = ((float)y - b->y) / b->h;
            if (v > 0.5f - 0.35f * u)
                continue;
            float strand = 0.6f + 0.4f * sinf(((float)x * 0.9f + (float)y * 0.35f) * 6.0f / b->w * 8);
            float val = (28 + 30 * strand) * (float)(0.85 + 0.3 * rng_unit(rng));
            uint8_t *p = f->data[0] + (size_t)y * f->linesize[0] + (size_t)x * 3;
            p[0] = (uint8_t)(val * 0.7f);
            p[1] = (uint8_t)(val * 0.85f);
            p[2] = (uint8_t)val;
        }
}

static void add_covered(eval_samples *l, const face_src *src, int nsrc,
                        const AVFrame *const *crops, int ncrops)
{
    static const char *const kinds[] = {"hand", "hair", "head in front"};
    uint64_t rng = 0xc07e4ULL;
    for (int i = 0; i < nsrc; i++) {
        const face_src *fs = &src[i];
        for (int kind = 0; kind < 3; kind++) {
            float x0, x1, y0, y1;
            cut_axis(fs->face.x, fs->face.w, (float)fs->img->width, 0, 0, 4 * fs->face.h, &x0,
                     &x1);
            cut_axis(fs->face.y, fs->face.h, (float)fs->img->height, 0, 0, 3 * fs->face.h, &y0,
                     &y1);
            char what[160];
            snprintf(what, sizeof what, "face %d covered by %s", i, kinds[kind]);
            eval_sample *s = add_window(l, SET_COVERED, fs, x0, y0, x1, y1, what);
            if (!s || s->ntruth != 1)
                continue;
            const eval_box b = s->truth[0];
            if (kind == 0) {
                draw_hand(s->img, &b, &rng);
            } else if (kind == 1) {
                draw_hair(s->img, &b, &rng);
            } else {
                const AVFrame *c = crops[(i * 3) % ncrops];
                int side = (int)lroundf(0.9f * b.h);
                int px = (int)lroundf(b.x + 0.62f * b.w), py = (int)lroundf(b.y + 0.45f * b.h);
                if (px + side > s->img->width)
                    side = s->img->width - px;
                if (py + side > s->img->height)
                    side = s->img->height - py;
                if (side < 8 || paste_scaled(s->img, c, 0, 0, c->width, c->height, px, py, side,
                                             side) < 0)
                    continue;
                add_box(s, (float)px, (float)py, (float)side, (float)side, 1);
            }
        }
    }
}

/* The frames of the profile set again at half and a quarter of their size. */
static void add_profile_scales(eval_samples *l)
{
    const int n = l->count;
    for (int i = 0; i < n; i++) {
        if (l->items[i].set != SET_PROFILE)
            continue;
        for (int q = 2; q <= 4; q += 2) {
            const eval_sample *src = &l->items[i];
            const int w = src->img->width / q, h = src->img->height / q;
            AVFrame *img = new_frame(w, h);
            if (paste_scaled(img, src->img, 0, 0, src->img->width, src->img->height, 0, 0, w,
                             h) < 0)
                exit(2);
            eval_sample *s = add_sample(l, SET_PROFILE, img, "%s at 1/%d", l->items[i].label, q);
            for (int j = 0; j < l->items[i].ntruth; j++) {
                const eval_box *b = &l->items[i].truth[j];
                add_box(s, b->x / (float)q, b->y / (float)q, b->w / (float)q, b->h / (float)q,
                        b->optional);
            }
        }
    }
}

/* ---- all of it ------------------------------------------------------------ */

/* The non-optional faces of the photos set (frontal faces with their surroundings). */
static face_src *photo_faces(const eval_samples *l, int *n)
{
    face_src *src = NULL;
    *n = 0;
    for (int i = 0; i < l->count; i++) {
        const eval_sample *s = &l->items[i];
        for (int j = 0; s->set == SET_PHOTOS && j < s->ntruth; j++) {
            if (s->truth[j].optional || s->truth[j].x < 4)
                continue; /* faces already at the edge make poor sources */
            src = bench_xrealloc(src, sizeof *src * (size_t)(*n + 1));
            src[(*n)++] = (face_src){s->img, s->truth[j]};
        }
    }
    return src;
}

/* Move the samples of the sets in want from `from` to the end of out; free the
 * others, and from's array. */
static void move_wanted(eval_samples *from, const int want[SET_COUNT], eval_samples *out)
{
    for (int i = 0; i < from->count; i++) {
        eval_sample *s = &from->items[i];
        if (want[s->set]) {
            eval_sample *d = add_sample(out, s->set, s->img, "%s", s->label);
            d->truth = s->truth;
            d->ntruth = s->ntruth;
        } else {
            av_frame_free(&s->img);
            free(s->truth);
        }
    }
    free(from->items);
    memset(from, 0, sizeof *from);
}

int eval_build(const char *testdata, const char *truth_dir, const int want[SET_COUNT],
               int composites, eval_samples *out)
{
    memset(out, 0, sizeof *out);
    eval_samples crops = {0}, photos = {0};
    crop_load cl = {testdata, &crops, 0};
    bench_each_identity_file(testdata, on_identity_file, &cl);
    if (cl.failed || crops.count == 0 ||
        load_truth(truth_dir, "photos_truth.txt", testdata, SET_PHOTOS, &photos) < 0) {
        fprintf(stderr, "%s: cannot read the test photos under %s\n", bench_prog, testdata);
        eval_free(&crops);
        eval_free(&photos);
        return -1;
    }
    const AVFrame **crop_imgs = bench_xrealloc(NULL, sizeof *crop_imgs * (size_t)crops.count);
    for (int i = 0; i < crops.count; i++)
        crop_imgs[i] = crops.items[i].img;
    int nsrc = 0;
    face_src *src = photo_faces(&photos, &nsrc);
    int rc = 0;
    eval_samples groups = {0};
    if (want[SET_GROUPS] || want[SET_CROWD])
        rc = load_truth(truth_dir, "groups_truth.txt", testdata, SET_GROUPS, &groups);
    for (int i = 0; rc == 0 && want[SET_CROWD] && i < composites; i++)
        add_crowd_composite(out, i, &groups);
    move_wanted(&groups, want, out);
    if (rc == 0 && want[SET_PROFILE]) {
        rc = load_truth(truth_dir, "frames_truth.txt", testdata, SET_PROFILE, out);
        add_profile_scales(out);
    }
    for (int i = 0; rc == 0 && want[SET_SYNTH] && i < composites; i++)
        add_composite(out, i, crop_imgs, crops.count);
    for (int i = 0; rc == 0 && want[SET_CONTEXT] && i < composites; i++)
        add_context_composite(out, i, src, nsrc);
    if (want[SET_EDGE25] || want[SET_EDGE50])
        add_edge_cases(out, src, nsrc);
    if (want[SET_CLOSEUP])
        add_closeups(out, src, nsrc);
    if (want[SET_TILTED])
        add_tilted(out, src, nsrc);
    if (want[SET_COVERED])
        add_covered(out, src, nsrc, crop_imgs, crops.count);
    free(src);
    free(crop_imgs);
    /* the real crops and photos go in last: the derived sets refer to their pictures */
    move_wanted(&crops, want, out);
    move_wanted(&photos, want, out);
    eval_samples all = *out; /* edge cases asked for one fraction only */
    memset(out, 0, sizeof *out);
    move_wanted(&all, want, out);
    return rc;
}

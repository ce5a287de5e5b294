/*
 * eval_detect.c - detection recall and false positives of several detector
 * configurations on the shared test photos and on synthetic 12 MP composites.
 * Prints a Markdown table on stdout; progress and (-v) per-image misses and
 * false positives on stderr.
 *
 * Sets (ground truth):
 *   crops   identities/NAME/ *.png: tight face crops; the face is the whole crop.
 *   photos  identities' full photos and probes/ *: boxes in bench/photos_truth.txt.
 *   groups  groups/ *: boxes in bench/groups_truth.txt (drawn by eye).
 *   synth   composites built here: tight crops pasted at known places, 16-400 px
 *           high, on a generated 4000x3000 face-free texture. Recall per size
 *           bucket; the time and network runs per 12 MP picture come from these.
 *
 * A detection hits a truth box when IoU >= 0.3, or when its centre lies in the
 * box and the sizes (square root of the area) are within a factor 2. Matching
 * is one-to-one, best score first; every detection left over is a false
 * positive (a second box on the same face counts too). A truth box marked
 * optional ('?' in the truth files: a face seen from behind, mostly hidden, or
 * too blurred to count by eye) is neither a miss when missed nor a false
 * positive when found.
 *
 * usage: eval_detect [--testdata DIR] [--models DIR] [--truth-dir DIR]
 *                    [--sets crops,photos,groups,synth] [--composites N]
 *                    [--config SPEC]... [--dump IMAGE] [-v]
 * SPEC: MODELS,BF_SCORE,SSD_SCORE,TILING[,MIN_FACE[,VERIFY_SCORE[,NAME]]] with MODELS a '+'
 * list of bf, ssd, haar (the networks that scan) and vbf, vssd (those that
 * take the second look at each candidate), e.g. "bf+vbf,0.5,0,1". Without --config a fixed list
 * of configurations is compared (those whose model file is missing are listed
 * as skipped).
 */
#include <libavutil/frame.h>
#include <libavutil/imgutils.h>
#include <libswscale/swscale.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/cb_error.h"
#include "models/detector.h"
#include "models/face.h"
#include "models/face_models.h"
#include "models/model_files.h"
#include "pipeline/media_in.h"

#include "bench_util.h"

#ifndef CB_BENCH_DIR
#define CB_BENCH_DIR "bench"
#endif

const char bench_prog[] = "eval_detect";

enum { SET_CROPS, SET_PHOTOS, SET_GROUPS, SET_SYNTH, SET_COUNT };
static const char *const set_names[SET_COUNT] = {"crops", "photos", "groups", "synth"};

enum { NBUCKET = 5 };
static const int bucket_lo[NBUCKET] = {16, 24, 40, 80, 160};
static const int bucket_hi[NBUCKET] = {24, 40, 80, 160, 401};

#define SYN_W 4000
#define SYN_H 3000

/* ---- ground truth ------------------------------------------------------ */

typedef struct box {
    float x, y, w, h;
    int optional;
} box;

typedef struct sample {
    char path[1024]; /* absolute, or empty for a synthetic composite */
    int set;
    int synth_index;
    box *truth;
    int ntruth;
} sample;

typedef struct sample_list {
    sample *items;
    int count, cap;
} sample_list;

static sample *add_sample(sample_list *l, const char *path, int set)
{
    if (l->count == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 64;
        l->items = bench_xrealloc(l->items, sizeof *l->items * (size_t)l->cap);
    }
    sample *s = &l->items[l->count++];
    memset(s, 0, sizeof *s);
    snprintf(s->path, sizeof s->path, "%s", path);
    s->set = set;
    return s;
}

static void add_box(sample *s, float x, float y, float w, float h, int optional)
{
    s->truth = bench_xrealloc(s->truth, sizeof *s->truth * (size_t)(s->ntruth + 1));
    s->truth[s->ntruth++] = (box){x, y, w, h, optional};
}

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && !strcmp(s + a - b, suffix);
}

typedef struct crop_load {
    const char *testdata;
    sample_list *l;
    char ***paths;
    int *npaths;
} crop_load;

static void on_identity_file(void *user, const char *person, const char *file, int index)
{
    crop_load *c = user;
    (void)index;
    if (!ends_with(file, ".png"))
        return;
    char path[3072];
    snprintf(path, sizeof path, "%s/identities/%s/%s", c->testdata, person, file);
    if (c->l) {
        sample *s = add_sample(c->l, path, SET_CROPS);
        add_box(s, 0, 0, -1, -1, 0); /* whole picture, filled in once read */
    }
    if (c->paths) {
        *c->paths = bench_xrealloc(*c->paths, sizeof **c->paths * (size_t)(*c->npaths + 1));
        (*c->paths)[(*c->npaths)++] = strdup(path);
    }
}

/* identities/NAME/ *.png, 150x150 tight crops: the whole crop is the face. */
static void load_crops(const char *testdata, sample_list *l, char ***paths, int *npaths)
{
    crop_load c = {testdata, l, paths, npaths};
    bench_each_identity_file(testdata, on_identity_file, &c);
}

typedef struct truth_load {
    const char *file, *testdata;
    int set;
    sample_list *l;
} truth_load;

static int on_truth_line(void *user, const bench_truth_line *t)
{
    truth_load *tl = user;
    sample_list *l = tl->l;
    char path[2048];
    snprintf(path, sizeof path, "%s/%s", tl->testdata, t->rel);
    sample *s = NULL;
    for (int i = 0; i < l->count; i++)
        if (!strcmp(l->items[i].path, path))
            s = &l->items[i];
    if (!s)
        s = add_sample(l, path, tl->set);
    if (t->fields == 1) /* "RELPATH -": no face */
        return 0;
    if (t->fields < 5) {
        fprintf(stderr, "eval_detect: %s:%d: bad line\n", tl->file, t->lineno);
        return -1;
    }
    add_box(s, t->x, t->y, t->w, t->h, t->fields == 6 && t->extra[0] == '?');
    return 0;
}

/*
 * Truth file: lines "RELPATH x y w h [?]" (one face each; '?' = optional) or
 * "RELPATH -" (a picture with no face). '#' starts a comment.
 */
static int load_truth(const char *file, const char *testdata, int set, sample_list *l)
{
    truth_load tl = {file, testdata, set, l};
    return bench_read_truth(file, on_truth_line, &tl);
}

/* ---- synthetic composites ---------------------------------------------- */

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
    float *g = malloc(sizeof *g * (size_t)gw * (size_t)gh * 3);
    if (!g)
        exit(2);
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
    float *acc = calloc((size_t)w * h * 3, sizeof *acc);
    if (!acc)
        exit(2);
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

/* Resize src (BGR24) to dw x dh and copy it into dst at (x, y). */
static int paste_scaled(AVFrame *dst, const AVFrame *src, int x, int y, int dw, int dh)
{
    int flags = dw < src->width ? SWS_AREA : SWS_BICUBIC;
    struct SwsContext *sws = sws_getContext(src->width, src->height, AV_PIX_FMT_BGR24, dw, dh,
                                            AV_PIX_FMT_BGR24, flags, NULL, NULL, NULL);
    if (!sws)
        return -1;
    uint8_t *dptr[4] = {dst->data[0] + (size_t)y * dst->linesize[0] + (size_t)x * 3, NULL, NULL,
                        NULL};
    int dls[4] = {dst->linesize[0], 0, 0, 0};
    int rc = sws_scale(sws, (const uint8_t *const *)src->data, src->linesize, 0, src->height, dptr,
                       dls);
    sws_freeContext(sws);
    return rc > 0 ? 0 : -1;
}

static int boxes_clear(const box *placed, int n, float x, float y, float s)
{
    for (int i = 0; i < n; i++) {
        float m = 0.35f * (s > placed[i].w ? s : placed[i].w) + 8;
        if (x < placed[i].x + placed[i].w + m && placed[i].x < x + s + m &&
            y < placed[i].y + placed[i].h + m && placed[i].y < y + s + m)
            return 0;
    }
    return 1;
}

/*
 * Composite number idx: FACES_PER_BUCKET faces per size bucket (log-uniform
 * sizes), crops chosen round-robin, randomly placed without overlap.
 */
enum { FACES_PER_BUCKET = 10 };

static int make_composite(int idx, AVFrame *const *crops, int ncrops, AVFrame **out, sample *s)
{
    AVFrame *f = av_frame_alloc();
    if (!f)
        return -1;
    f->format = AV_PIX_FMT_BGR24;
    f->width = SYN_W;
    f->height = SYN_H;
    if (av_frame_get_buffer(f, 0) < 0) {
        av_frame_free(&f);
        return -1;
    }
    uint64_t rng = 0x5eedULL * (uint64_t)(idx + 1);
    make_background(f, rng_next(&rng));
    s->ntruth = 0;
    for (int b = NBUCKET - 1; b >= 0; b--) {
        for (int k = 0; k < FACES_PER_BUCKET; k++) {
            double lo = log(bucket_lo[b]), hi = log(bucket_hi[b] - 1);
            int side = (int)lround(exp(lo + (hi - lo) * rng_unit(&rng)));
            float x = 0, y = 0;
            int tries;
            for (tries = 0; tries < 10000; tries++) {
                x = (float)(int)(rng_unit(&rng) * (SYN_W - side));
                y = (float)(int)(rng_unit(&rng) * (SYN_H - side));
                if (boxes_clear(s->truth, s->ntruth, x, y, (float)side))
                    break;
            }
            if (tries == 10000)
                continue;
            const AVFrame *crop = crops[(idx * 7 + s->ntruth) % ncrops];
            if (paste_scaled(f, crop, (int)x, (int)y, side, side) < 0) {
                av_frame_free(&f);
                return -1;
            }
            add_box(s, x, y, (float)side, (float)side, 0);
        }
    }
    *out = f;
    return 0;
}

/* ---- matching ------------------------------------------------------------ */

static int hits(const cb_face *d, const box *t)
{
    cb_face tf = {.x = t->x, .y = t->y, .w = t->w, .h = t->h};
    if (cb_face_iou(d, &tf) >= 0.3f)
        return 1;
    float cx = d->x + d->w / 2, cy = d->y + d->h / 2;
    if (cx < t->x || cx > t->x + t->w || cy < t->y || cy > t->y + t->h)
        return 0;
    float r = sqrtf((d->w * d->h) / (t->w * t->h));
    return r >= 0.5f && r <= 2.0f;
}

static int cmp_score_desc(const void *a, const void *b)
{
    float sa = ((const cb_face *)a)->score, sb = ((const cb_face *)b)->score;
    return (sa < sb) - (sa > sb);
}

typedef struct tally {
    int found[SET_COUNT], total[SET_COUNT], images[SET_COUNT], fp[SET_COUNT];
    int bfound[NBUCKET], btotal[NBUCKET];
    double synth_seconds;
    long synth_runs;
    int failed;
} tally;

static int bucket_of(float h)
{
    for (int b = 0; b < NBUCKET; b++)
        if (h >= (float)bucket_lo[b] && h < (float)bucket_hi[b])
            return b;
    return -1;
}

/* Match dets (sorted here) with s's truth; add to t. verbose: report on stderr. */
static void score_sample(const sample *s, cb_face_list *dets, tally *t, int verbose,
                         const char *cfg)
{
    qsort(dets->faces, (size_t)dets->count, sizeof *dets->faces, cmp_score_desc);
    int *matched = calloc((size_t)s->ntruth + 1, sizeof *matched);
    if (!matched)
        exit(2);
    t->images[s->set]++;
    for (int i = 0; i < dets->count; i++) {
        const cb_face *d = &dets->faces[i];
        int best = -1;
        float best_iou = -1;
        int hit_any = 0;
        for (int j = 0; j < s->ntruth; j++) {
            if (!hits(d, &s->truth[j]))
                continue;
            hit_any = 1;
            cb_face tf = {.x = s->truth[j].x, .y = s->truth[j].y, .w = s->truth[j].w,
                          .h = s->truth[j].h};
            float iou = cb_face_iou(d, &tf);
            if (!matched[j] && iou > best_iou) {
                best = j;
                best_iou = iou;
            }
        }
        if (best >= 0) {
            matched[best] = 1;
        } else {
            t->fp[s->set]++;
            if (verbose)
                fprintf(stderr, "  [%s] %s: FP%s %.0f %.0f %.0f %.0f score %.2f det %u\n", cfg,
                        s->path[0] ? s->path : "synthetic", hit_any ? " (duplicate)" : "", d->x,
                        d->y, d->w, d->h, d->score, d->detectors);
        }
    }
    for (int j = 0; j < s->ntruth; j++) {
        const box *b = &s->truth[j];
        if (b->optional)
            continue;
        t->total[s->set]++;
        t->found[s->set] += matched[j];
        if (s->set == SET_SYNTH) {
            int k = bucket_of(b->h);
            if (k >= 0) {
                t->btotal[k]++;
                t->bfound[k] += matched[j];
            }
        }
        if (!matched[j] && verbose)
            fprintf(stderr, "  [%s] %s: MISS %.0f %.0f %.0f %.0f\n", cfg,
                    s->path[0] ? s->path : "synthetic", b->x, b->y, b->w, b->h);
    }
    free(matched);
}

/* ---- configurations ---------------------------------------------------- */

typedef struct config {
    char name[64];
    unsigned models;
    float bf, ssd;
    int tiling, min_face;
    unsigned verify;
    float verify_score; /* 0: the detector's default */
} config;

#define BF CB_DET_BLAZEFACE
#define SSD CB_DET_SSD
static const config default_configs[] = {
    {"haar (OpenCV cascade)", CB_DET_HAAR, 0, 0, 0, 20, 0, 0},
    {"bf 0.5 whole picture", BF, 0.5f, 0, 0, 20, 0, 0},
    {"ssd 0.5 whole picture", SSD, 0, 0.5f, 0, 20, 0, 0},
    {"ssd 0.5 tiled", SSD, 0, 0.5f, 1, 20, 0, 0},
    {"bf 0.5 tiled", BF, 0.5f, 0, 1, 20, 0, 0},
    {"bf+ssd 0.5/0.5 tiled", BF | SSD, 0.5f, 0.5f, 1, 20, 0, 0},
    {"bf 0.6 tiled, 2nd look 0.6", BF, 0.6f, 0, 1, 20, BF, 0.6f},
    {"bf 0.5 tiled, 2nd look 0.5", BF, 0.5f, 0, 1, 20, BF, 0.5f},
    {"bf 0.5 tiled, 2nd look 0.65 (default)", BF, 0.5f, 0, 1, 20, BF, 0.65f},
    {"bf 0.5 tiled, 2nd look 0.8", BF, 0.5f, 0, 1, 20, BF, 0.8f},
    {"bf+ssd 0.5/0.5 tiled, 2nd look 0.65", BF | SSD, 0.5f, 0.5f, 1, 20, BF, 0.65f},
};
#undef BF
#undef SSD

static int parse_config(const char *spec, config *c)
{
    char models[32] = "", name[64] = "";
    memset(c, 0, sizeof *c);
    c->min_face = 20;
    int n = sscanf(spec, "%31[^,],%f,%f,%d,%d,%f,%63[^\n]", models, &c->bf, &c->ssd, &c->tiling,
                   &c->min_face, &c->verify_score, name);
    if (n < 4)
        return -1;
    char *save = NULL;
    for (char *tok = strtok_r(models, "+", &save); tok; tok = strtok_r(NULL, "+", &save)) {
        if (!strcmp(tok, "bf") || !strcmp(tok, "blazeface"))
            c->models |= CB_DET_BLAZEFACE;
        else if (!strcmp(tok, "ssd"))
            c->models |= CB_DET_SSD;
        else if (!strcmp(tok, "haar"))
            c->models |= CB_DET_HAAR;
        else if (!strcmp(tok, "vbf"))
            c->verify |= CB_DET_BLAZEFACE;
        else if (!strcmp(tok, "vssd"))
            c->verify |= CB_DET_SSD;
        else
            return -1;
    }
    if (!c->models)
        return -1;
    if (name[0])
        snprintf(c->name, sizeof c->name, "%s", name);
    else
        snprintf(c->name, sizeof c->name, "%s", spec);
    return 0;
}

static void config_to_opts(const config *c, const char *model_dir, cb_detector_opts *o)
{
    cb_detector_opts_default(o);
    o->model_dir = model_dir;
    o->models = c->models;
    o->verify = c->verify;
    if (c->verify_score > 0)
        o->verify_score = c->verify_score;
    o->blazeface_score = c->bf;
    o->ssd_score = c->ssd;
    o->tiling = c->tiling;
    o->min_face = c->min_face;
}

static int model_present(const char *model_dir, unsigned models)
{
    const char *dir = cb_model_dir(model_dir);
    char path[4096];
    struct stat st;
    if (models & CB_DET_BLAZEFACE) {
        snprintf(path, sizeof path, "%s/%s", dir, CB_BLAZEFACE_FILE);
        if (stat(path, &st) != 0)
            return 0;
    }
    if (models & CB_DET_SSD) {
        snprintf(path, sizeof path, "%s/%s", dir, CB_SSD_FILE);
        if (stat(path, &st) != 0)
            return 0;
    }
    return 1;
}

static void fmt_recall(char *buf, size_t n, int found, int total)
{
    if (total == 0)
        snprintf(buf, n, "-");
    else
        snprintf(buf, n, "%.0f%% (%d/%d)", 100.0 * found / total, found, total);
}

static void fmt_pct(char *buf, size_t n, int found, int total)
{
    if (total == 0)
        snprintf(buf, n, "-");
    else
        snprintf(buf, n, "%.0f%%", 100.0 * found / total);
}

static void usage(FILE *f)
{
    fputs("usage: eval_detect [--testdata DIR] [--models DIR] [--truth-dir DIR]\n"
          "                   [--sets crops,photos,groups,synth] [--composites N]\n"
          "                   [--config MODELS,BF,SSD,TILING[,MIN_FACE[,NAME]]]...\n"
          "                   [--dump IMAGE] [-v]\n",
          f);
}

int main(int argc, char **argv)
{
    const char *testdata = bench_testdata_dir();
    const char *model_dir = NULL; /* cb_model_dir: CONSENTBLUR_MODELS or the built-in */
    const char *truth_dir = CB_BENCH_DIR;
    const char *dump = NULL;
    int verbose = 0, ncomp = 4;
    int want[SET_COUNT] = {1, 1, 1, 1};
    config *cfgs = NULL;
    int ncfg = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-v")) {
            verbose = 1;
        } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        } else if (v && !strcmp(a, "--testdata")) {
            testdata = v, i++;
        } else if (v && !strcmp(a, "--models")) {
            model_dir = v, i++;
        } else if (v && !strcmp(a, "--truth-dir")) {
            truth_dir = v, i++;
        } else if (v && !strcmp(a, "--dump")) {
            dump = v, i++;
        } else if (v && !strcmp(a, "--composites")) {
            ncomp = atoi(v), i++;
            if (ncomp < 0 || ncomp > 100) {
                usage(stderr);
                return 2;
            }
        } else if (v && !strcmp(a, "--sets")) {
            for (int k = 0; k < SET_COUNT; k++)
                want[k] = strstr(v, set_names[k]) != NULL;
            i++;
        } else if (v && !strcmp(a, "--config")) {
            cfgs = bench_xrealloc(cfgs, sizeof *cfgs * (size_t)(ncfg + 1));
            if (parse_config(v, &cfgs[ncfg]) < 0) {
                fprintf(stderr, "eval_detect: bad --config %s\n", v);
                return 2;
            }
            ncfg++, i++;
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (!ncfg) {
        ncfg = (int)(sizeof default_configs / sizeof default_configs[0]);
        cfgs = bench_xrealloc(cfgs, sizeof default_configs);
        memcpy(cfgs, default_configs, sizeof default_configs);
    }

    /* --dump: print each configuration's detections for one picture. */
    if (dump) {
        AVFrame *img = NULL;
        cb_error err = {0};
        if (cb_image_read(dump, NULL, &img, NULL, &err) < 0) {
            fprintf(stderr, "eval_detect: %s\n", err.msg);
            return 1;
        }
        for (int c = 0; c < ncfg; c++) {
            cb_detector_opts o;
            config_to_opts(&cfgs[c], model_dir, &o);
            cb_detector *d = NULL;
            cb_face_list fl = {0};
            if (cb_detector_open(&o, &d, &err) < 0 || cb_detector_detect(d, img, &fl, &err) < 0) {
                fprintf(stderr, "eval_detect: %s: %s\n", cfgs[c].name, err.msg);
                cb_detector_close(d);
                cb_face_list_free(&fl);
                continue;
            }
            printf("# %s: %d faces, %d runs\n", cfgs[c].name, fl.count, cb_detector_last_runs(d));
            for (int i = 0; i < fl.count; i++)
                printf("%.0f %.0f %.0f %.0f %.3f %u\n", fl.faces[i].x, fl.faces[i].y, fl.faces[i].w,
                       fl.faces[i].h, fl.faces[i].score, fl.faces[i].detectors);
            cb_face_list_free(&fl);
            cb_detector_close(d);
        }
        av_frame_free(&img);
        free(cfgs);
        return 0;
    }

    /* Samples. */
    sample_list samples = {0};
    char **crop_paths = NULL;
    int ncrop_paths = 0;
    load_crops(testdata, want[SET_CROPS] ? &samples : NULL, &crop_paths, &ncrop_paths);
    char tf[2048];
    if (want[SET_PHOTOS]) {
        snprintf(tf, sizeof tf, "%s/photos_truth.txt", truth_dir);
        if (load_truth(tf, testdata, SET_PHOTOS, &samples) < 0)
            return 1;
    }
    if (want[SET_GROUPS]) {
        snprintf(tf, sizeof tf, "%s/groups_truth.txt", truth_dir);
        if (load_truth(tf, testdata, SET_GROUPS, &samples) < 0)
            return 1;
    }
    if (ncrop_paths == 0) {
        fprintf(stderr, "eval_detect: no face crops under %s/identities\n", testdata);
        return 1;
    }

    /* Decode every real picture once. */
    AVFrame **frames = calloc((size_t)samples.count + 1, sizeof *frames);
    for (int i = 0; i < samples.count; i++) {
        cb_error err = {0};
        if (cb_image_read(samples.items[i].path, NULL, &frames[i], NULL, &err) < 0) {
            fprintf(stderr, "eval_detect: %s\n", err.msg);
            return 1;
        }
        sample *s = &samples.items[i];
        for (int j = 0; j < s->ntruth; j++)
            if (s->truth[j].w < 0) {
                s->truth[j].w = (float)frames[i]->width;
                s->truth[j].h = (float)frames[i]->height;
            }
    }
    /* Synthetic composites, built once and kept (36 MB each). */
    AVFrame **crops = calloc((size_t)ncrop_paths, sizeof *crops);
    for (int i = 0; i < ncrop_paths; i++) {
        cb_error err = {0};
        if (cb_image_read(crop_paths[i], NULL, &crops[i], NULL, &err) < 0) {
            fprintf(stderr, "eval_detect: %s\n", err.msg);
            return 1;
        }
    }
    if (!want[SET_SYNTH])
        ncomp = 0;
    AVFrame **comps = calloc((size_t)ncomp + 1, sizeof *comps);
    sample *comp_samples = calloc((size_t)ncomp + 1, sizeof *comp_samples);
    for (int i = 0; i < ncomp; i++) {
        comp_samples[i].set = SET_SYNTH;
        comp_samples[i].synth_index = i;
        if (make_composite(i, crops, ncrop_paths, &comps[i], &comp_samples[i]) < 0) {
            fprintf(stderr, "eval_detect: cannot build composite %d\n", i);
            return 1;
        }
        if (verbose && getenv("EVAL_SAVE_COMPOSITES")) {
            char p[512];
            snprintf(p, sizeof p, "%s/composite%d.bgr", getenv("EVAL_SAVE_COMPOSITES"), i);
            FILE *f = fopen(p, "wb");
            for (int y = 0; f && y < SYN_H; y++)
                fwrite(comps[i]->data[0] + (size_t)y * comps[i]->linesize[0], 1, SYN_W * 3, f);
            if (f)
                fclose(f);
            for (int j = 0; j < comp_samples[i].ntruth; j++)
                fprintf(stderr, "composite%d %.0f %.0f %.0f %.0f\n", i, comp_samples[i].truth[j].x,
                        comp_samples[i].truth[j].y, comp_samples[i].truth[j].w,
                        comp_samples[i].truth[j].h);
        }
    }
    fprintf(stderr, "eval_detect: %d real pictures (%d crops), %d composites of %dx%d\n",
            samples.count, want[SET_CROPS] ? ncrop_paths : 0, ncomp, SYN_W, SYN_H);

    tally *tallies = calloc((size_t)ncfg, sizeof *tallies);
    int *skipped = calloc((size_t)ncfg, sizeof *skipped);
    for (int c = 0; c < ncfg; c++) {
        const config *cf = &cfgs[c];
        tally *t = &tallies[c];
        if (!model_present(model_dir, cf->models | cf->verify)) {
            skipped[c] = 1;
            fprintf(stderr, "eval_detect: %s: model file missing, skipped\n", cf->name);
            continue;
        }
        cb_detector_opts o;
        config_to_opts(cf, model_dir, &o);
        cb_detector *d = NULL;
        cb_error err = {0};
        if (cb_detector_open(&o, &d, &err) < 0) {
            fprintf(stderr, "eval_detect: %s: %s\n", cf->name, err.msg);
            skipped[c] = 2;
            continue;
        }
        double t0 = bench_now_s();
        for (int i = 0; i < samples.count + ncomp; i++) {
            int is_comp = i >= samples.count;
            const sample *s = is_comp ? &comp_samples[i - samples.count] : &samples.items[i];
            const AVFrame *img = is_comp ? comps[i - samples.count] : frames[i];
            cb_face_list fl = {0};
            double a = bench_now_s();
            int rc = cb_detector_detect(d, img, &fl, &err);
            double b = bench_now_s();
            if (rc < 0) {
                fprintf(stderr, "eval_detect: %s: %s: %s\n", cf->name,
                        is_comp ? "composite" : s->path, err.msg);
                t->failed++;
            }
            if (is_comp) {
                t->synth_seconds += b - a;
                t->synth_runs += cb_detector_last_runs(d);
            }
            score_sample(s, &fl, t, verbose, cf->name);
            cb_face_list_free(&fl);
        }
        cb_detector_close(d);
        fprintf(stderr, "eval_detect: %-24s done in %.1f s\n", cf->name, bench_now_s() - t0);
    }

    /* The table. */
    printf("| configuration | crops | photos | groups | synth 16-24 | 24-40 | 40-80 | 80-160 "
           "| 160-400 | synth all | FP/img real | FP/img synth | s / 12 MP | runs / 12 MP |\n");
    printf("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (int c = 0; c < ncfg; c++) {
        const tally *t = &tallies[c];
        if (skipped[c]) {
            printf("| %s | %s |||||||||||||\n", cfgs[c].name,
                   skipped[c] == 1 ? "skipped: model file missing" : "skipped: failed to open");
            continue;
        }
        char r[SET_COUNT][48], bk[NBUCKET][24];
        for (int k = 0; k < SET_COUNT; k++)
            fmt_recall(r[k], sizeof r[k], t->found[k], t->total[k]);
        for (int k = 0; k < NBUCKET; k++)
            fmt_pct(bk[k], sizeof bk[k], t->bfound[k], t->btotal[k]);
        int real_imgs = t->images[SET_CROPS] + t->images[SET_PHOTOS] + t->images[SET_GROUPS];
        int real_fp = t->fp[SET_CROPS] + t->fp[SET_PHOTOS] + t->fp[SET_GROUPS];
        char fpr[32] = "-", fps[32] = "-", sec[32] = "-", runs[32] = "-";
        if (real_imgs)
            snprintf(fpr, sizeof fpr, "%.2f", (double)real_fp / real_imgs);
        if (t->images[SET_SYNTH]) {
            snprintf(fps, sizeof fps, "%.2f", (double)t->fp[SET_SYNTH] / t->images[SET_SYNTH]);
            snprintf(sec, sizeof sec, "%.2f", t->synth_seconds / t->images[SET_SYNTH]);
            snprintf(runs, sizeof runs, "%.0f", (double)t->synth_runs / t->images[SET_SYNTH]);
        }
        printf("| %s%s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
               cfgs[c].name, t->failed ? " (errors)" : "", r[SET_CROPS], r[SET_PHOTOS],
               r[SET_GROUPS], bk[0], bk[1], bk[2], bk[3], bk[4], r[SET_SYNTH], fpr, fps, sec, runs);
    }
    printf("\nRecall = faces found / faces (one-to-one, IoU >= 0.3 or centre inside and size within "
           "2x). FP/img real: over the %d crops, photos and groups; synth: %d composites of "
           "%dx%d with %d faces each. min_face %d.\n",
           samples.count, ncomp, SYN_W, SYN_H, NBUCKET * FACES_PER_BUCKET, cfgs[0].min_face);

    for (int i = 0; i < samples.count; i++) {
        av_frame_free(&frames[i]);
        free(samples.items[i].truth);
    }
    for (int i = 0; i < ncomp; i++) {
        av_frame_free(&comps[i]);
        free(comp_samples[i].truth);
    }
    for (int i = 0; i < ncrop_paths; i++) {
        av_frame_free(&crops[i]);
        free(crop_paths[i]);
    }
    free(crops);
    free(crop_paths);
    free(comps);
    free(comp_samples);
    free(frames);
    free(samples.items);
    free(tallies);
    free(skipped);
    free(cfgs);
    return 0;
}

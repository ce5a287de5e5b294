/*
 * eval_detect.c - detection recall and false positives of several detector
 * configurations on the shared test photos, on frames of the test videos and
 * on pictures built from them (bench/eval_cases.h says what each set is).
 * Prints a Markdown table on stdout; progress and (-v) per-picture misses
 * and false positives on stderr.
 *
 * A detection hits a truth box when IoU >= 0.3, or when its centre lies in the
 * box and the sizes (square root of the area) are within a factor 2. Matching
 * is one-to-one, best score first; every detection left over is a false
 * positive (a second box on the same face counts too). A truth box marked
 * optional ('?' in the truth files: a face seen from behind, mostly hidden, or
 * too blurred to count by eye) is neither a miss when missed nor a false
 * positive when found. False positives are counted over the real pictures
 * (crops, photos, groups, profile frames); the time per 12 MP picture is that
 * of the synth composites (4000x3000).
 *
 * usage: eval_detect [--testdata DIR] [--models DIR] [--truth-dir DIR]
 *                    [--sets LIST] [--composites N] [--config SPEC]...
 *                    [--dump IMAGE] [--save-misses DIR] [-v]
 * LIST: a comma list of set names (eval_cases.h), default all. SPEC: see
 * parse_config below, e.g. "models=uf+vbf,vscore=0.65,name=uf, 2nd look".
 * Without --config a fixed list of configurations is compared (those whose
 * model file is missing are listed as skipped). --save-misses writes every
 * picture in which a configuration missed a face to DIR as PNG.
 */
#include <libavutil/frame.h>
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
#include "pipeline/media_out.h"

#include "bench_util.h"
#include "eval_cases.h"

#ifndef CB_BENCH_DIR
#define CB_BENCH_DIR "bench"
#endif

const char bench_prog[] = "eval_detect";

/* ---- matching ------------------------------------------------------------ */

static int hits(const cb_face *d, const eval_box *t)
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
    int bfound[EVAL_NBUCKET], btotal[EVAL_NBUCKET];
    double synth_seconds;
    long synth_runs;
    int failed;
} tally;

/* The truth box a detection matches (unmatched, best IoU), -1 for none;
 * *hit_any: it hits some box, matched or not. */
static int best_match(const cb_face *d, const eval_sample *s, const int *matched, int *hit_any)
{
    int best = -1;
    float best_iou = -1;
    *hit_any = 0;
    for (int j = 0; j < s->ntruth; j++) {
        if (!hits(d, &s->truth[j]))
            continue;
        *hit_any = 1;
        cb_face tf = {.x = s->truth[j].x, .y = s->truth[j].y, .w = s->truth[j].w,
                      .h = s->truth[j].h};
        float iou = cb_face_iou(d, &tf);
        if (!matched[j] && iou > best_iou) {
            best = j;
            best_iou = iou;
        }
    }
    return best;
}

/* --save-misses: where to write each picture with a missed face (PNG). */
static const char *save_dir;

static void save_picture(const eval_sample *s, const char *cfg)
{
    char path[1024];
    int n = snprintf(path, sizeof path, "%s/%s - %s.png", save_dir, cfg, s->label);
    for (int i = (int)strlen(save_dir) + 1; i < n && path[i]; i++)
        if (path[i] == '/' || path[i] == '%')
            path[i] = '_';
    cb_image_write_opts o = {.codec_id = AV_CODEC_ID_PNG, .overwrite = 1};
    cb_error err = {0};
    if (cb_image_write(path, s->img, &o, &err) < 0)
        fprintf(stderr, "eval_detect: %s\n", err.msg);
}

/* Match dets (sorted here) with s's truth; add to t. verbose: report on stderr. */
static void score_sample(const eval_sample *s, cb_face_list *dets, tally *t, int verbose,
                         const char *cfg)
{
    qsort(dets->faces, (size_t)dets->count, sizeof *dets->faces, cmp_score_desc);
    int *matched = bench_xrealloc(NULL, sizeof *matched * ((size_t)s->ntruth + 1));
    memset(matched, 0, sizeof *matched * ((size_t)s->ntruth + 1));
    t->images[s->set]++;
    for (int i = 0; i < dets->count; i++) {
        const cb_face *d = &dets->faces[i];
        int hit_any;
        int best = best_match(d, s, matched, &hit_any);
        if (best >= 0) {
            matched[best] = 1;
            if (verbose > 1)
                fprintf(stderr, "  [%s] %s: HIT %.0f %.0f %.0f %.0f score %.2f det %u\n", cfg,
                        s->label, d->x, d->y, d->w, d->h, d->score, d->detectors);
            continue;
        }
        t->fp[s->set]++;
        if (verbose)
            fprintf(stderr, "  [%s] %s: FP%s %.0f %.0f %.0f %.0f score %.2f det %u\n", cfg,
                    s->label, hit_any ? " (duplicate)" : "", d->x, d->y, d->w, d->h, d->score,
                    d->detectors);
    }
    for (int j = 0; j < s->ntruth; j++) {
        const eval_box *b = &s->truth[j];
        if (b->optional)
            continue;
        t->total[s->set]++;
        t->found[s->set] += matched[j];
        int k = s->set == SET_SYNTH ? eval_bucket_of(b->h) : -1;
        if (k >= 0) {
            t->btotal[k]++;
            t->bfound[k] += matched[j];
        }
        if (!matched[j] && verbose)
            fprintf(stderr, "  [%s] %s: MISS %.0f %.0f %.0f %.0f\n", cfg, s->label, b->x, b->y,
                    b->w, b->h);
        if (!matched[j] && save_dir)
            save_picture(s, cfg);
    }
    free(matched);
}

/* ---- configurations ---------------------------------------------------- */

/* One detector configuration: cb_detector_opts_default with these changes. */
typedef struct config {
    char name[96];
    unsigned models;
    float vscore[CB_NET_COUNT]; /* > 0: the network takes a second look (its threshold) */
    float score;        /* every network's score threshold (0: default) */
    float own;          /* opts.verify_own_score (0: none) */
    int landmarks;      /* opts.landmarks */
    int tiling;         /* -1: default */
    int min_face;
    float smallest;     /* > 0: smallest face of every scanning network */
    float smallest_of[CB_NET_COUNT]; /* > 0: that network's smallest face (before smallest) */
    float pad;          /* >= 0: padding (negative: default) */
    int fill;           /* -1: default */
    float range;        /* > 0: level range */
} config;

#define UF CB_DET_ULTRAFACE
#define FR CB_DET_FULLRANGE
#define BF CB_DET_BLAZEFACE
#define SSD CB_DET_SSD
/* The last argument: the second look's score per network, in cb_net_id order
 * (bf, ssd, uf, fr); 0: that network takes none. */
#define CFG(name, models, score, own, tiling, ...) \
    {name, models, __VA_ARGS__, score, own, 0, tiling, 20, 0, {0}, -1, -1, 0}
static const config default_configs[] = {
    CFG("haar (OpenCV cascade)", CB_DET_HAAR, 0, 0, 0, {0}),
    CFG("bf 0.5", BF, 0.5f, 0, 1, {0}),
    CFG("bf 0.5, 2nd look bf 0.65 (the old default's settings)", BF, 0.5f, 0, 1, {0.65f, 0, 0, 0}),
    CFG("ssd 0.5 tiled", SSD, 0.5f, 0, 1, {0}),
    CFG("fr 0.5", FR, 0.5f, 0, -1, {0}),
    CFG("fr 0.5, 2nd look", FR, 0.5f, 0, -1, {0.5f, 0, 0.9f, 0.5f}),
    CFG("uf 0.5", UF, 0.5f, 0, -1, {0}),
    CFG("uf 0.5, 2nd look bf 0.5", UF, 0.5f, 0, -1, {0.5f, 0, 0, 0}),
    CFG("uf 0.5, 2nd look (fast: videos)", UF, 0.5f, 0.7f, -1, {0.5f, 0, 0.9f, 0.5f}),
    CFG("uf+fr 0.5, 2nd look", UF | FR, 0.5f, 0, -1, {0.5f, 0, 0.9f, 0.5f}),
    CFG("uf+bf 0.5, 2nd look", UF | BF, 0.5f, 0, 1, {0.5f, 0, 0.9f, 0.5f}),
    CFG("**uf+bf 0.5, 2nd look of every candidate, own 0.7 (default)**", UF | BF, 0.5f, 0.7f, 1,
        {0.5f, 0, 0.9f, 0.5f}),
};
#undef CFG

static const char *const net_alias[][2] = {{"bf", "blazeface"}, {"uf", "ultraface"},
                                           {"fr", "fullrange"}};

/* The full network name of a short form (bf, uf, fr), or name itself. */
static const char *net_name(const char *name)
{
    for (size_t k = 0; k < sizeof net_alias / sizeof net_alias[0]; k++)
        if (!strcmp(name, net_alias[k][0]))
            return net_alias[k][1];
    return name;
}

/* "a+b" detector list; names of face_models.h and haar, short forms bf, uf,
 * fr; a 'v' in front (vbf) names a network for the second look, which needs
 * the score after a ':' (vbf:0.5; default 0.5). */
static int parse_models(const char *list, config *c)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", list);
    for (char *save = NULL, *tok = strtok_r(buf, "+", &save); tok; tok = strtok_r(NULL, "+", &save)) {
        char *colon = strchr(tok, ':');
        const float vscore = colon ? strtof(colon + 1, NULL) : 0.5f;
        if (colon)
            *colon = '\0';
        int verify = tok[0] == 'v' && strcmp(tok, "v") != 0 && cb_net_by_name(tok) < 0;
        const char *name = net_name(verify ? tok + 1 : tok);
        unsigned flag;
        if (cb_detector_flags_parse(name, "+", &flag) < 0)
            return -1;
        if (!verify)
            c->models |= flag;
        for (int id = 0; verify && id < CB_NET_COUNT; id++)
            if (flag & cb_net_info_get(id)->flag)
                c->vscore[id] = vscore;
    }
    return c->models ? 0 : -1;
}

/*
 * SPEC: comma-separated KEY=VALUE: models=uf+vbf:0.5 (required), score=F,
 * own=F (verify_own_score; default none),
 * landmarks=0|1, tiling=0|1|2 (CB_TILING_*), min=PX, smallest=PX,
 * smallest.NET=PX (that network only, e.g. smallest.bf=24), pad=F,
 * fill=constant|replicate|reflect, range=F, name=TEXT (last: the rest of the
 * spec is the name).
 */
static int parse_config(const char *spec, config *c)
{
    static const char *const fills[] = {"constant", "replicate", "reflect"};
    *c = (config){"", 0, {0}, 0, 0, 0, -1, 20, 0, {0}, -1, -1, 0};
    char buf[256];
    int id;
    snprintf(buf, sizeof buf, "%s", spec);
    char *name = strstr(buf, "name=");
    if (name) { /* the rest of the spec, commas and all */
        snprintf(c->name, sizeof c->name, "%s", name + 5);
        *name = '\0';
    }
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *v = strchr(tok, '=');
        if (!v)
            return -1;
        *v++ = '\0';
        if (!strcmp(tok, "models") && parse_models(v, c) == 0)
            continue;
        else if (!strcmp(tok, "score"))
            c->score = strtof(v, NULL);
        else if (!strcmp(tok, "own"))
            c->own = strtof(v, NULL);
        else if (!strcmp(tok, "landmarks"))
            c->landmarks = atoi(v);
        else if (!strcmp(tok, "tiling"))
            c->tiling = atoi(v);
        else if (!strcmp(tok, "min"))
            c->min_face = atoi(v);
        else if (!strcmp(tok, "smallest"))
            c->smallest = strtof(v, NULL);
        else if (!strncmp(tok, "smallest.", 9) && (id = cb_net_by_name(net_name(tok + 9))) >= 0)
            c->smallest_of[id] = strtof(v, NULL);
        else if (!strcmp(tok, "pad"))
            c->pad = strtof(v, NULL);
        else if (!strcmp(tok, "range"))
            c->range = strtof(v, NULL);
        else if (!strcmp(tok, "fill")) {
            for (int k = 0; k < 3; k++)
                if (!strcmp(v, fills[k]))
                    c->fill = k;
            if (c->fill < 0)
                return -1;
        } else
            return -1;
    }
    if (!c->models)
        return -1;
    if (!c->name[0])
        snprintf(c->name, sizeof c->name, "%s", spec);
    return 0;
}

static void config_to_opts(const config *c, const char *model_dir, cb_detector_opts *o)
{
    cb_detector_opts_default(o);
    o->model_dir = model_dir;
    o->models = c->models;
    o->landmarks = c->landmarks;
    o->verify_own_score = c->own;
    for (int i = 0; i < CB_NET_COUNT; i++) {
        o->verify_score[i] = c->vscore[i];
        if (c->score > 0)
            o->score[i] = c->score;
        if (c->smallest > 0 && (c->models & cb_net_info_get(i)->flag))
            o->smallest[i] = c->smallest;
        if (c->smallest_of[i] > 0)
            o->smallest[i] = c->smallest_of[i];
    }
    if (c->tiling >= 0)
        o->tiling = c->tiling;
    if (c->pad >= 0)
        o->pad = c->pad;
    if (c->fill >= 0)
        o->pad_fill = c->fill;
    if (c->range > 0)
        o->level_range = c->range;
    o->min_face = c->min_face;
}

/* The CB_DET_* flags of every network a configuration opens. */
static unsigned config_networks(const config *c)
{
    unsigned flags = c->models | (c->landmarks ? (unsigned)CB_DET_BLAZEFACE : 0u);
    for (int id = 0; id < CB_NET_COUNT; id++)
        if (c->vscore[id] > 0)
            flags |= cb_net_info_get(id)->flag;
    return flags;
}

static int model_present(const char *model_dir, unsigned models)
{
    const char *dir = cb_model_dir(model_dir);
    for (int i = 0; i < CB_NET_COUNT; i++) {
        const cb_net_info *info = cb_net_info_get(i);
        char path[4096];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, info->file);
        if ((models & info->flag) && stat(path, &st) != 0)
            return 0;
    }
    return 1;
}

static void fmt_recall(char *buf, size_t n, int found, int total)
{
    if (total == 0)
        snprintf(buf, n, "-");
    else if (found == total)
        snprintf(buf, n, "100%% (%d)", total);
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
          "                   [--sets LIST] [--composites N] [--config SPEC]...\n"
          "                   [--dump IMAGE] [--save-misses DIR] [-v]\n"
          "SPEC: models=uf+vbf:0.5[,score=F][,own=F][,landmarks=0|1][,tiling=0|1|2][,min=PX]\n"
          "      [,smallest=PX][,smallest.NET=PX]"
          "[,pad=F][,fill=constant|replicate|reflect][,range=F][,name=TEXT]\n",
          f);
}

/* Run one configuration over every sample into t. */
static void run_config(const config *cf, const char *model_dir, const eval_samples *samples,
                       int verbose, tally *t)
{
    cb_detector_opts o;
    config_to_opts(cf, model_dir, &o);
    cb_detector *d = NULL;
    cb_error err = {0};
    if (cb_detector_open(&o, &d, &err) < 0) {
        fprintf(stderr, "eval_detect: %s: %s\n", cf->name, err.msg);
        t->failed = -1;
        return;
    }
    double t0 = bench_now_s();
    for (int i = 0; i < samples->count; i++) {
        const eval_sample *s = &samples->items[i];
        cb_face_list fl = {0};
        double a = bench_now_s();
        int rc = cb_detector_detect(d, s->img, &fl, &err);
        double b = bench_now_s();
        if (rc < 0) {
            fprintf(stderr, "eval_detect: %s: %s: %s\n", cf->name, s->label, err.msg);
            t->failed++;
        }
        if (s->set == SET_SYNTH) {
            t->synth_seconds += b - a;
            t->synth_runs += cb_detector_last_runs(d);
        }
        score_sample(s, &fl, t, verbose, cf->name);
        cb_face_list_free(&fl);
    }
    cb_detector_close(d);
    fprintf(stderr, "eval_detect: %-40s done in %.1f s\n", cf->name, bench_now_s() - t0);
}

static void print_row(const config *cf, const tally *t)
{
    static const int cols[] = {SET_CROPS, SET_PHOTOS, SET_GROUPS, SET_PROFILE};
    static const int cols2[] = {SET_CONTEXT, SET_CROWD, SET_EDGE25, SET_EDGE50, SET_CLOSEUP, SET_TILTED,
                                SET_COVERED};
    printf("| %s%s |", cf->name, t->failed ? " (errors)" : "");
    char buf[48];
    for (size_t k = 0; k < sizeof cols / sizeof cols[0]; k++) {
        fmt_recall(buf, sizeof buf, t->found[cols[k]], t->total[cols[k]]);
        printf(" %s |", buf);
    }
    for (int k = 0; k < EVAL_NBUCKET; k++) {
        fmt_pct(buf, sizeof buf, t->bfound[k], t->btotal[k]);
        printf(" %s |", buf);
    }
    for (size_t k = 0; k < sizeof cols2 / sizeof cols2[0]; k++) {
        fmt_recall(buf, sizeof buf, t->found[cols2[k]], t->total[cols2[k]]);
        printf(" %s |", buf);
    }
    int real_imgs = 0, real_fp = 0;
    for (int k = 0; k < SET_COUNT; k++)
        if (EVAL_REAL_SET(k)) {
            real_imgs += t->images[k];
            real_fp += t->fp[k];
        }
    if (real_imgs)
        printf(" %.2f |", (double)real_fp / real_imgs);
    else
        printf(" - |");
    if (t->images[SET_SYNTH])
        printf(" %.2f |\n", t->synth_seconds / t->images[SET_SYNTH]);
    else
        printf(" - |\n");
}

static void print_table(const config *cfgs, const tally *tallies, int ncfg,
                        const eval_samples *samples)
{
    printf("| configuration | crops | photos | groups | profile | synth 16-24 | 24-40 | 40-80 "
           "| 80-160 | 160-400 | context 16-40 | crowd | edge 25%% | edge 50%% | close-up | tilted "
           "| covered | FP / real picture | s / 12 MP |\n");
    printf("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (int c = 0; c < ncfg; c++) {
        if (tallies[c].failed < 0)
            printf("| %s | skipped: model file missing or failed to open ||||||||||||||||||\n",
                   cfgs[c].name);
        else
            print_row(&cfgs[c], &tallies[c]);
    }
    int n[SET_COUNT] = {0};
    for (int i = 0; i < samples->count; i++)
        n[samples->items[i].set]++;
    printf("\nPictures per set:");
    for (int k = 0; k < SET_COUNT; k++)
        printf("%s %s %d", k ? "," : "", eval_set_names[k], n[k]);
    printf(". Recall = faces found / faces (one-to-one, IoU >= 0.3 or centre inside and size "
           "within 2x). min_face %d.\n", cfgs[0].min_face);
}

/* --dump: print each configuration's detections for one picture. */
static int dump(const char *path, const config *cfgs, int ncfg, const char *model_dir)
{
    AVFrame *img = NULL;
    cb_error err = {0};
    if (cb_image_read(path, NULL, &img, NULL, &err) < 0) {
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
        } else {
            printf("# %s: %d faces, %d runs\n", cfgs[c].name, fl.count, cb_detector_last_runs(d));
            for (int i = 0; i < fl.count; i++) {
                const cb_face *f = &fl.faces[i];
                printf("%.0f %.0f %.0f %.0f %.3f %u", f->x, f->y, f->w, f->h, f->score,
                       f->detectors);
                for (int k = 0; f->has_landmarks && k < CB_LM_COUNT; k++)
                    printf("%s%.1f,%.1f", k ? " " : " landmarks ", f->landmarks[k][0],
                           f->landmarks[k][1]);
                printf("\n");
            }
        }
        cb_face_list_free(&fl);
        cb_detector_close(d);
    }
    av_frame_free(&img);
    return 0;
}

static int parse_sets(const char *list, int want[SET_COUNT])
{
    memset(want, 0, sizeof(int) * SET_COUNT);
    char buf[256];
    snprintf(buf, sizeof buf, "%s", list);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        int k = 0;
        while (k < SET_COUNT && strcmp(tok, eval_set_names[k]) != 0)
            k++;
        if (k == SET_COUNT)
            return -1;
        want[k] = 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *testdata = bench_testdata_dir();
    const char *model_dir = NULL; /* cb_model_dir: CONSENTBLUR_MODELS or the built-in */
    const char *truth_dir = CB_BENCH_DIR;
    const char *dump_path = NULL;
    int verbose = 0, ncomp = 4;
    int want[SET_COUNT];
    for (int k = 0; k < SET_COUNT; k++)
        want[k] = 1;
    config *cfgs = NULL;
    int ncfg = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-v")) {
            verbose++;
        } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        } else if (v && !strcmp(a, "--testdata")) {
            testdata = v, i++;
        } else if (v && !strcmp(a, "--models")) {
            model_dir = v, i++;
        } else if (v && !strcmp(a, "--truth-dir")) {
            truth_dir = v, i++;
        } else if (v && !strcmp(a, "--save-misses")) {
            save_dir = v, i++;
        } else if (v && !strcmp(a, "--dump")) {
            dump_path = v, i++;
        } else if (v && !strcmp(a, "--composites") && (ncomp = atoi(v)) >= 0 && ncomp <= 100) {
            i++;
        } else if (v && !strcmp(a, "--sets") && parse_sets(v, want) == 0) {
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
    if (dump_path) {
        int rc = dump(dump_path, cfgs, ncfg, model_dir);
        free(cfgs);
        return rc;
    }
    eval_samples samples;
    if (eval_build(testdata, truth_dir, want, ncomp, &samples) < 0)
        return 1;
    fprintf(stderr, "eval_detect: %d pictures\n", samples.count);
    tally *tallies = bench_xrealloc(NULL, sizeof *tallies * (size_t)ncfg);
    memset(tallies, 0, sizeof *tallies * (size_t)ncfg);
    for (int c = 0; c < ncfg; c++) {
        if (!model_present(model_dir, config_networks(&cfgs[c]))) {
            fprintf(stderr, "eval_detect: %s: model file missing, skipped\n", cfgs[c].name);
            tallies[c].failed = -1;
            continue;
        }
        run_config(&cfgs[c], model_dir, &samples, verbose, &tallies[c]);
    }
    print_table(cfgs, tallies, ncfg, &samples);
    eval_free(&samples);
    free(tallies);
    free(cfgs);
    return 0;
}

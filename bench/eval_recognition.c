/*
 * eval_recognition.c - how well the face descriptors (models/embedder.h)
 * tell the people of the shared test photos apart, and which match
 * threshold and margin keep false accepts at zero. Prints Markdown on
 * stdout; progress and (-v) per-face details on stderr.
 *
 * Faces (each photo: the default detector, cb_detector_opts_default):
 *   identities/NAME/ *   person NAME. Tight crops: the largest face; full
 *                        photos: the face on the box in bench/photos_truth.txt.
 *   probes/ *            the person the testdata README names (below); the
 *                        face on the truth box. lin-manuel-miranda is
 *                        enrolled nowhere.
 *   groups/ *            every face listed in bench/groups_people.txt (box and
 *                        person, '-' for someone enrolled nowhere), matched to
 *                        a detection by IoU >= 0.3. Labels checked by eye.
 * Each face is aligned and embedded (cb_embedder_embed); a face the detector
 * misses, or finds without landmarks, is listed and left out.
 *
 * Reports:
 *   1. Pairs: every pair of faces; genuine = same
 *      person, impostor = different people (a face enrolled nowhere is an
 *      impostor to everyone). Pairs from the same photograph (same_photo:
 *      obama-240p / -1080p are obama.jpg resized, and so on) are left out. Euclidean distance distributions, and the
 *      true-accept rate at the largest threshold whose false-accept rate is
 *      0, <= 0.1 % and <= 1 %.
 *   2. Identification: a gallery of the first G (sorted by file name)
 *      identities photos of each person, every other face a probe. For each
 *      probe: d1 = distance to the nearest enrolled person (minimum over
 *      that person's gallery), d2 = to the second-nearest person. Accept
 *      when d1 < T and d2 - d1 >= M. Counted over a grid of (T, M): correct
 *      accepts, wrong-person accepts, accepts of people enrolled nowhere,
 *      rejects of enrolled people; and "open set": each probe again with its
 *      own person removed from the gallery (so every accept is false).
 *
 * usage: eval_recognition [--testdata DIR] [--models DIR] [--bench-dir DIR]
 *                         [--gallery G] [--align MASK] [--refine K] [--calibrate]
 *                         [--list-groups] [--dump-chips DIR] [-v]
 *   --align MASK   landmarks the alignment uses (bits 1 << CB_LM_*: 3 = the
 *                  eyes, 11 = eyes + mouth, 15 = the default four)
 *   --refine K     landmarks from a second detector run on a square K face
 *                  sizes wide around each face (see refine_face)
 *   --calibrate    print where BlazeFace's nose and mouth fall in the chip
 *                  when it is placed by the eyes alone (embedder.h's targets)
 *   --list-groups  print every face found in groups/ with its nearest
 *                  identities person (to write bench/groups_people.txt)
 *   --dump-chips   write each aligned chip as DIR/NNN.ppm
 */
#include <libavutil/frame.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cb_error.h"
#include "models/detector.h"
#include "models/embedder.h"
#include "models/face.h"
#include "pipeline/media_in.h"

#include "bench_util.h"

#ifndef CB_BENCH_DIR
#define CB_BENCH_DIR "bench"
#endif

const char bench_prog[] = "eval_recognition";

enum { SET_IDENT, SET_PROBE, SET_GROUP, SET_COUNT };
static const char *const set_names[SET_COUNT] = {"identities", "probes", "groups"};

/* probes/README: who is on each probe photo ("-": enrolled nowhere) */
static const char *const probe_people[][2] = {
    {"obama1.jpg", "obama"},          {"obama3.jpg", "obama"},
    {"obama-240p.jpg", "obama"},      {"obama-1080p.jpg", "obama"},
    {"obama_partial_face.jpg", "obama"}, {"32bit.png", "obama"},
    {"johnsnow_test1.jpg", "kit_harington"}, {"alex_lacamoire1.jpg", "alex_lacamoire"},
    {"lin-manuel-miranda.png", "-"},
};

/* Files that show the same photograph (resized, letterboxed, cropped or
 * re-encoded; checked by eye): their faces are never compared with each
 * other, neither as pairs nor in identification (a probe does not see a
 * gallery photo of the same shot). "PATH:PERSON" names one face of a group. */
static const char *const same_photo[][4] = {
    {"identities/obama/obama.jpg", "probes/obama-240p.jpg", "probes/obama-1080p.jpg", NULL},
    {"identities/obama/obama2.jpg", "probes/32bit.png", NULL, NULL},
    {"identities/biden/biden.jpg", "groups/two_people.jpg:biden", NULL, NULL},
};

typedef struct box {
    float x, y, w, h;
} box;

typedef struct sample {
    char rel[512];   /* path relative to the test data */
    char person[64]; /* "-": enrolled nowhere */
    int set;
    int order;       /* identities: index among the person's files */
    int source;      /* same value: the same photograph (same_photo) */
    int has_box;     /* truth box to pick the face */
    box truth;
    int ok;          /* embedded */
    cb_face face;
    float desc[CB_EMBEDDING_DIM];
    float quality;
    float eye_px;
    double rms;
} sample;

typedef struct sample_list {
    sample *items;
    int count, cap;
} sample_list;

static sample *add_sample(sample_list *l, const char *rel, const char *person, int set)
{
    if (l->count == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 64;
        l->items = bench_xrealloc(l->items, sizeof *l->items * (size_t)l->cap);
    }
    sample *s = &l->items[l->count++];
    memset(s, 0, sizeof *s);
    snprintf(s->rel, sizeof s->rel, "%s", rel);
    snprintf(s->person, sizeof s->person, "%s", person);
    s->set = set;
    return s;
}

typedef struct truth_ctx {
    sample_list *l;
} truth_ctx;

/* photos_truth.txt: the first non-optional box of each file we have */
static int on_photo_box(void *user, const bench_truth_line *line)
{
    truth_ctx *t = user;
    if (line->fields < 5 || !strcmp(line->extra, "?"))
        return 0;
    for (int i = 0; i < t->l->count; i++) {
        sample *s = &t->l->items[i];
        if (!s->has_box && !strcmp(s->rel, line->rel)) {
            s->has_box = 1;
            s->truth = (box){line->x, line->y, line->w, line->h};
        }
    }
    return 0;
}

/* groups_people.txt: "RELPATH x y w h PERSON" */
static int on_group_box(void *user, const bench_truth_line *line)
{
    truth_ctx *t = user;
    if (line->fields < 5 || !*line->extra)
        return 0;
    sample *s = add_sample(t->l, line->rel, line->extra, SET_GROUP);
    s->has_box = 1;
    s->truth = (box){line->x, line->y, line->w, line->h};
    return 0;
}

static void on_identity_file(void *user, const char *person, const char *file, int index)
{
    char rel[1024];
    snprintf(rel, sizeof rel, "identities/%s/%s", person, file);
    add_sample(user, rel, person, SET_IDENT)->order = index;
}

static void load_samples(const char *testdata, const char *bench_dir, sample_list *l)
{
    bench_each_identity_file(testdata, on_identity_file, l);
    for (size_t i = 0; i < sizeof probe_people / sizeof probe_people[0]; i++) {
        char rel[1024];
        snprintf(rel, sizeof rel, "probes/%s", probe_people[i][0]);
        add_sample(l, rel, probe_people[i][1], SET_PROBE);
    }
    truth_ctx t = {l};
    char file[2048];
    snprintf(file, sizeof file, "%s/photos_truth.txt", bench_dir);
    bench_read_truth(file, on_photo_box, &t);
    snprintf(file, sizeof file, "%s/groups_people.txt", bench_dir);
    bench_read_truth(file, on_group_box, &t);
    for (int i = 0; i < l->count; i++) {
        sample *s = &l->items[i];
        char key[600];
        snprintf(key, sizeof key, "%s:%s", s->rel, s->person);
        s->source = i;
        for (size_t g = 0; g < sizeof same_photo / sizeof same_photo[0]; g++)
            for (int k = 0; k < 4 && same_photo[g][k]; k++)
                if (!strcmp(same_photo[g][k], s->rel) || !strcmp(same_photo[g][k], key))
                    s->source = -1 - (int)g;
    }
}

static float iou(const cb_face *f, box b)
{
    float x0 = fmaxf(f->x, b.x), y0 = fmaxf(f->y, b.y);
    float x1 = fminf(f->x + f->w, b.x + b.w), y1 = fminf(f->y + f->h, b.y + b.h);
    float inter = fmaxf(0, x1 - x0) * fmaxf(0, y1 - y0);
    float uni = f->w * f->h + b.w * b.h - inter;
    return uni > 0 ? inter / uni : 0;
}

/* The detection for a sample: on its truth box, else the largest. -1: none. */
static int pick_face(const sample *s, const cb_face_list *faces)
{
    int best = -1;
    float best_v = 0;
    for (int i = 0; i < faces->count; i++) {
        const cb_face *f = &faces->faces[i];
        float v = s->has_box ? iou(f, s->truth) : f->w * f->h;
        if (s->has_box && v < 0.3f)
            continue;
        if (best < 0 || v > best_v) {
            best = i;
            best_v = v;
        }
    }
    return best;
}

static int write_ppm(const char *path, const uint8_t *bgr, int w, int h)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    fprintf(f, "P6\n%d %d\n255\n", w, h);
    for (int i = 0; i < w * h; i++) {
        uint8_t rgb[3] = {bgr[i * 3 + 2], bgr[i * 3 + 1], bgr[i * 3]};
        fwrite(rgb, 1, 3, f);
    }
    return fclose(f);
}

/*
 * --refine K: run the detector again (whole picture only, no second look) on
 * a square K face sizes wide around the face, and take the landmarks of the
 * detection there that best overlaps the face. At K = 2 the face is about 128
 * px high in BlazeFace's 256-px input, whatever its size in the picture.
 * Returns 1 when f was refined.
 */
static int refine_face(cb_detector *det, const AVFrame *frame, cb_face *f, float k)
{
    int side = (int)lroundf(k * fmaxf(f->w, f->h));
    if (side > frame->width)
        side = frame->width;
    if (side > frame->height)
        side = frame->height;
    if (side < 16)
        return 0;
    int x0 = (int)lroundf(f->x + f->w / 2 - side / 2.0f), y0 = (int)lroundf(f->y + f->h / 2 - side / 2.0f);
    x0 = x0 < 0 ? 0 : x0 + side > frame->width ? frame->width - side : x0;
    y0 = y0 < 0 ? 0 : y0 + side > frame->height ? frame->height - side : y0;
    AVFrame *crop = av_frame_alloc();
    if (!crop)
        return 0;
    crop->format = frame->format;
    crop->width = side;
    crop->height = side;
    int done = 0;
    cb_face_list faces = {0};
    cb_error err = {0};
    if (av_frame_get_buffer(crop, 0) < 0)
        goto out;
    for (int y = 0; y < side; y++)
        memcpy(crop->data[0] + (size_t)y * crop->linesize[0],
               frame->data[0] + (size_t)(y0 + y) * frame->linesize[0] + (size_t)x0 * 3,
               (size_t)side * 3);
    if (cb_detector_detect(det, crop, &faces, &err) < 0)
        goto out;
    cb_face moved = *f;
    moved.x -= (float)x0;
    moved.y -= (float)y0;
    int best = -1;
    float best_iou = 0.3f;
    for (int i = 0; i < faces.count; i++) {
        box b = {moved.x, moved.y, moved.w, moved.h};
        float v = iou(&faces.faces[i], b);
        if (faces.faces[i].has_landmarks && v > best_iou) {
            best = i;
            best_iou = v;
        }
    }
    if (best >= 0) {
        for (int j = 0; j < CB_LM_COUNT; j++) {
            f->landmarks[j][0] = faces.faces[best].landmarks[j][0] + (float)x0;
            f->landmarks[j][1] = faces.faces[best].landmarks[j][1] + (float)y0;
        }
        f->has_landmarks = 1;
        done = 1;
    }
out:
    cb_face_list_free(&faces);
    av_frame_free(&crop);
    return done;
}

/* ---- statistics ---------------------------------------------------------- */

static float pct(const float *sorted, int n, double p)
{
    if (n == 0)
        return NAN;
    double pos = p / 100.0 * (n - 1);
    int i = (int)floor(pos);
    if (i >= n - 1)
        return sorted[n - 1];
    return (float)(sorted[i] + (pos - i) * (sorted[i + 1] - sorted[i]));
}

static void print_dist_row(const char *name, const float *v, int n)
{
    printf("| %s | %d | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f |\n", name, n,
           pct(v, n, 0), pct(v, n, 1), pct(v, n, 5), pct(v, n, 25), pct(v, n, 50), pct(v, n, 75),
           pct(v, n, 95), pct(v, n, 100));
}

/* Largest threshold t (accept d < t) with false-accept rate <= far: just
 * above the k-th smallest impostor distance, k = floor(far * n_imp). */
static void tar_at_far(const float *gen, int ng, const float *imp, int ni, double far)
{
    int k = (int)floor(far * ni + 1e-9); /* impostors we may accept */
    float t = k < ni ? imp[k] : INFINITY;  /* accept d < t */
    int acc = 0;
    for (int i = 0; i < ng; i++)
        acc += gen[i] < t;
    int fa = 0;
    for (int i = 0; i < ni; i++)
        fa += imp[i] < t;
    printf("| <= %g %% | %.3f | %.1f %% (%d/%d) | %.3f %% (%d/%d) |\n", far * 100, t,
           100.0 * acc / ng, acc, ng, 100.0 * fa / ni, fa, ni);
}

/* ---- identification ------------------------------------------------------- */

typedef struct person_set {
    char names[64][64];
    int n;
} person_set;

static int person_index(person_set *p, const char *name)
{
    for (int i = 0; i < p->n; i++)
        if (!strcmp(p->names[i], name))
            return i;
    if (p->n >= 64)
        return -1;
    snprintf(p->names[p->n], sizeof p->names[0], "%s", name);
    return p->n++;
}

typedef struct probe_result {
    int sample;
    int truth;    /* person index, -1 enrolled nowhere */
    int nearest;  /* person index */
    float d1, d2; /* nearest, second-nearest person */
    int o_nearest; /* open set: own person removed */
    float o_d1, o_d2;
} probe_result;

static int in_gallery(const sample *s, int g)
{
    return s->set == SET_IDENT && s->order < g;
}

/* nearest and second-nearest person to probe s, skipping person `skip` */
static void nearest_people(const sample_list *l, int g, const person_set *ps, const sample *s,
                           int skip, int *nearest, float *d1, float *d2)
{
    float best[64];
    for (int i = 0; i < 64; i++)
        best[i] = INFINITY;
    for (int j = 0; j < l->count; j++) {
        const sample *t = &l->items[j];
        if (!t->ok || !in_gallery(t, g))
            continue;
        int pi = -1;
        for (int k = 0; k < ps->n; k++)
            if (!strcmp(ps->names[k], t->person))
                pi = k;
        if (pi < 0 || pi == skip || t->source == s->source)
            continue;
        float d = cb_embedding_distance(s->desc, t->desc);
        if (d < best[pi])
            best[pi] = d;
    }
    *nearest = -1;
    *d1 = *d2 = INFINITY;
    for (int k = 0; k < ps->n; k++) {
        if (best[k] < *d1) {
            *d2 = *d1;
            *d1 = best[k];
            *nearest = k;
        } else if (best[k] < *d2) {
            *d2 = best[k];
        }
    }
}

static void identification(const sample_list *l, int g, int verbose)
{
    person_set ps = {.n = 0};
    for (int j = 0; j < l->count; j++)
        if (l->items[j].ok && in_gallery(&l->items[j], g))
            person_index(&ps, l->items[j].person);
    probe_result *r = bench_xrealloc(NULL, sizeof *r * (size_t)l->count);
    memset(r, 0, sizeof *r * (size_t)l->count);
    int nr = 0, n_enrolled = 0, n_unknown = 0, n_gallery = 0;
    for (int j = 0; j < l->count; j++) {
        const sample *s = &l->items[j];
        if (!s->ok)
            continue;
        if (in_gallery(s, g)) {
            n_gallery++;
            continue;
        }
        probe_result *p = &r[nr++];
        p->sample = j;
        p->truth = -1;
        for (int k = 0; k < ps.n; k++)
            if (!strcmp(ps.names[k], s->person))
                p->truth = k;
        if (p->truth >= 0)
            n_enrolled++;
        else
            n_unknown++;
        nearest_people(l, g, &ps, s, -1, &p->nearest, &p->d1, &p->d2);
        p->o_nearest = -1;
        p->o_d1 = p->o_d2 = INFINITY;
        if (p->truth >= 0)
            nearest_people(l, g, &ps, s, p->truth, &p->o_nearest, &p->o_d1, &p->o_d2);
    }
    printf("\n### Identification, gallery = first %d photo(s) of each person in identities/\n\n",
           g);
    printf("%d people enrolled with %d photos; %d probes: %d of enrolled people, %d of people "
           "enrolled nowhere. Open set: each of the %d enrolled-person probes again, with its "
           "own person taken out of the gallery.\n\n",
           ps.n, n_gallery, nr, n_enrolled, n_unknown, n_enrolled);
    if (verbose) {
        for (int i = 0; i < nr; i++) {
            const probe_result *p = &r[i];
            const sample *s = &l->items[p->sample];
            fprintf(stderr, "  probe %-45s %-15s -> %-15s d1 %.3f d2 %.3f margin %.3f | open: "
                            "%-15s d1 %.3f margin %.3f q %.2f\n",
                    s->rel, s->person, p->nearest >= 0 ? ps.names[p->nearest] : "?", p->d1,
                    p->d2, p->d2 - p->d1,
                    p->o_nearest >= 0 ? ps.names[p->o_nearest] : "-", p->o_d1,
                    p->o_d2 - p->o_d1, s->quality);
        }
    }
    /* the closest calls: right-person probes with the largest d1, wrong
     * nearest with the smallest */
    float min_wrong = INFINITY, min_wrong_margin = INFINITY;
    for (int i = 0; i < nr; i++) {
        const probe_result *p = &r[i];
        if (p->nearest != p->truth && p->d1 < min_wrong) {
            min_wrong = p->d1;
            min_wrong_margin = p->d2 - p->d1;
        }
        if (p->o_nearest >= 0 && p->o_d1 < min_wrong) {
            min_wrong = p->o_d1;
            min_wrong_margin = p->o_d2 - p->o_d1;
        }
    }
    printf("Nearest wrong person over all probes (closed and open set): distance %.3f (its "
           "margin %.3f).\n\n",
           min_wrong, min_wrong_margin);
    static const float T[] = {0.35f, 0.40f, 0.45f, 0.50f, 0.55f, 0.60f};
    static const float M[] = {0.0f, 0.03f, 0.05f, 0.08f, 0.10f, 0.15f};
    printf("| T | M | correct accept | wrong person | enrolled nowhere accepted | rejected "
           "(enrolled) | open set: false accepts |\n");
    printf("|---|---|---|---|---|---|---|\n");
    for (size_t ti = 0; ti < sizeof T / sizeof T[0]; ti++) {
        for (size_t mi = 0; mi < sizeof M / sizeof M[0]; mi++) {
            int correct = 0, wrong = 0, unknown_acc = 0, rejected = 0, open_fa = 0;
            for (int i = 0; i < nr; i++) {
                const probe_result *p = &r[i];
                int acc = p->d1 < T[ti] && p->d2 - p->d1 >= M[mi];
                if (acc && p->truth < 0)
                    unknown_acc++;
                else if (acc && p->nearest == p->truth)
                    correct++;
                else if (acc)
                    wrong++;
                else if (p->truth >= 0)
                    rejected++;
                if (p->o_nearest >= 0 && p->o_d1 < T[ti] && p->o_d2 - p->o_d1 >= M[mi])
                    open_fa++;
            }
            printf("| %.2f | %.2f | %d/%d (%.0f %%) | %d | %d/%d | %d | %d/%d |\n", T[ti], M[mi],
                   correct, n_enrolled, 100.0 * correct / (n_enrolled ? n_enrolled : 1), wrong,
                   unknown_acc, n_unknown, rejected, open_fa, n_enrolled);
        }
    }
    free(r);
}

/* ---- main ------------------------------------------------------------------ */

static void usage(FILE *f)
{
    fputs("usage: eval_recognition [--testdata DIR] [--models DIR] [--bench-dir DIR]\n"
          "                        [--gallery G] [--align MASK] [--refine K] [--calibrate]\n"
          "                        [--list-groups] [--dump-chips DIR] [-v]\n",
          f);
}

/* Where BlazeFace's landmarks fall in the chip when it is placed by the eyes. */
static void calibrate(const sample_list *l)
{
    float *xs[CB_LM_COUNT], *ys[CB_LM_COUNT];
    int n = 0;
    for (int k = 0; k < CB_LM_COUNT; k++) {
        xs[k] = bench_xrealloc(NULL, sizeof(float) * ((size_t)l->count + 1));
        ys[k] = bench_xrealloc(NULL, sizeof(float) * ((size_t)l->count + 1));
    }
    const unsigned eyes = (1u << CB_LM_RIGHT_EYE) | (1u << CB_LM_LEFT_EYE);
    for (int j = 0; j < l->count; j++) {
        const sample *s = &l->items[j];
        double m[6];
        if (!s->ok || s->quality < 0.5f || cb_embedder_alignment(&s->face, eyes, m, NULL, NULL) < 0)
            continue;
        for (int k = 0; k < CB_LM_COUNT; k++) {
            double x = s->face.landmarks[k][0] - 0.5, y = s->face.landmarks[k][1] - 0.5;
            xs[k][n] = (float)(m[0] * x + m[1] * y + m[2]);
            ys[k][n] = (float)(m[3] * x + m[4] * y + m[5]);
        }
        n++;
    }
    static const char *const names[CB_LM_COUNT] = {"right eye", "left eye", "nose tip",
                                                   "mouth centre", "right ear", "left ear"};
    printf("\n### Landmarks in the chip placed by the eyes (%d faces of quality >= 0.5)\n\n", n);
    printf("| landmark | median x | median y | x 10-90 %% | y 10-90 %% |\n|---|---|---|---|---|\n");
    for (int k = 0; k < CB_LM_COUNT; k++) {
        qsort(xs[k], (size_t)n, sizeof(float), bench_cmp_float);
        qsort(ys[k], (size_t)n, sizeof(float), bench_cmp_float);
        printf("| %s | %.1f | %.1f | %.1f - %.1f | %.1f - %.1f |\n", names[k], pct(xs[k], n, 50),
               pct(ys[k], n, 50), pct(xs[k], n, 10), pct(xs[k], n, 90), pct(ys[k], n, 10),
               pct(ys[k], n, 90));
        free(xs[k]);
        free(ys[k]);
    }
}

int main(int argc, char **argv)
{
    const char *testdata = bench_testdata_dir();
    const char *model_dir = NULL, *bench_dir = CB_BENCH_DIR, *dump = NULL;
    int verbose = 0, want_calibrate = 0, list_groups = 0, gallery = 0;
    float refine = 0;
    unsigned align = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-v")) {
            verbose = 1;
        } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--calibrate")) {
            want_calibrate = 1;
        } else if (!strcmp(a, "--list-groups")) {
            list_groups = 1;
        } else if (v && !strcmp(a, "--testdata")) {
            testdata = v, i++;
        } else if (v && !strcmp(a, "--models")) {
            model_dir = v, i++;
        } else if (v && !strcmp(a, "--bench-dir")) {
            bench_dir = v, i++;
        } else if (v && !strcmp(a, "--gallery")) {
            gallery = atoi(v), i++;
        } else if (v && !strcmp(a, "--refine")) {
            refine = strtof(v, NULL), i++;
        } else if (v && !strcmp(a, "--align")) {
            align = (unsigned)strtoul(v, NULL, 0), i++;
        } else if (v && !strcmp(a, "--dump-chips")) {
            dump = v, i++;
        } else {
            usage(stderr);
            return 2;
        }
    }

    sample_list l = {0};
    load_samples(testdata, bench_dir, &l);
    if (l.count == 0) {
        fprintf(stderr, "eval_recognition: no photos under %s\n", testdata);
        return 1;
    }

    cb_error err = {0};
    cb_detector_opts opts;
    cb_detector_opts_default(&opts);
    opts.model_dir = model_dir;
    cb_detector_opts ropts = opts; /* BlazeFace on the square around a face, for --refine */
    ropts.models = CB_DET_BLAZEFACE;
    ropts.tiling = 0;
    memset(ropts.verify_score, 0, sizeof ropts.verify_score);
    cb_detector *det = NULL, *rdet = NULL;
    cb_embedder *emb = NULL;
    if (cb_detector_open(&opts, &det, &err) < 0 ||
        (refine > 0 && cb_detector_open(&ropts, &rdet, &err) < 0) ||
        cb_embedder_open(model_dir, &emb, &err) < 0) {
        fprintf(stderr, "eval_recognition: %s\n", err.msg);
        cb_detector_close(det);
        cb_detector_close(rdet);
        return 1;
    }
    int n_refined = 0;

    /* ---- detect + embed ---- */
    double t_embed = 0;
    int n_embed = 0, n_missed = 0;
    uint8_t chip[CB_EMBEDDER_CHIP * CB_EMBEDDER_CHIP * 3];
    char last_rel[512] = "";
    AVFrame *frame = NULL;
    cb_face_list faces = {0};
    for (int j = 0; j < l.count; j++) {
        sample *s = &l.items[j];
        if (strcmp(s->rel, last_rel) != 0) {
            av_frame_free(&frame);
            cb_face_list_free(&faces);
            snprintf(last_rel, sizeof last_rel, "%s", s->rel);
            char path[2048];
            snprintf(path, sizeof path, "%s/%s", testdata, s->rel);
            if (cb_image_read(path, NULL, &frame, NULL, &err) < 0 ||
                cb_detector_detect(det, frame, &faces, &err) < 0) {
                fprintf(stderr, "eval_recognition: %s\n", err.msg);
                av_frame_free(&frame);
                cb_face_list_free(&faces);
                continue;
            }
            if (list_groups && s->set == SET_GROUP)
                for (int k = 0; k < faces.count; k++)
                    fprintf(stderr, "group face %s %.0f %.0f %.0f %.0f score %.2f lm %d\n", s->rel,
                            faces.faces[k].x, faces.faces[k].y, faces.faces[k].w,
                            faces.faces[k].h, faces.faces[k].score, faces.faces[k].has_landmarks);
        }
        if (!frame)
            continue;
        int k = pick_face(s, &faces);
        if (k < 0 || !faces.faces[k].has_landmarks) {
            fprintf(stderr, "eval_recognition: %s (%s): %s\n", s->rel, s->person,
                    k < 0 ? "no face detected on the truth box" : "face without landmarks");
            n_missed++;
            continue;
        }
        s->face = faces.faces[k];
        if (refine > 0)
            n_refined += refine_face(rdet, frame, &s->face, refine);
        double m[6];
        double t0 = bench_now_s();
        int rc = cb_embedder_alignment(&s->face, align, m, &s->rms, &err);
        if (rc == 0)
            rc = cb_embedder_warp(frame, m, chip, CB_EMBEDDER_CHIP * 3, &err);
        if (rc == 0)
            rc = cb_embedder_embed_chip(emb, chip, CB_EMBEDDER_CHIP * 3, s->desc, &err);
        t_embed += bench_now_s() - t0;
        if (rc < 0) {
            fprintf(stderr, "eval_recognition: %s: %s\n", s->rel, err.msg);
            n_missed++;
            continue;
        }
        n_embed++;
        s->ok = 1;
        s->quality = cb_embedder_quality(&s->face);
        const float *re = s->face.landmarks[CB_LM_RIGHT_EYE], *le = s->face.landmarks[CB_LM_LEFT_EYE];
        s->eye_px = hypotf(le[0] - re[0], le[1] - re[1]);
        if (dump) {
            char path[2048];
            snprintf(path, sizeof path, "%s/%03d.ppm", dump, j);
            write_ppm(path, chip, CB_EMBEDDER_CHIP, CB_EMBEDDER_CHIP);
        }
        if (verbose) {
            const float(*lm)[2] = s->face.landmarks;
            fprintf(stderr,
                    "  %3d %-45s %-15s eyes %5.1f px  quality %.2f  fit rms %.1f px  box %.0f %.0f "
                    "%.0f %.0f  eyes %.0f,%.0f %.0f,%.0f nose %.0f,%.0f mouth %.0f,%.0f\n",
                    j, s->rel, s->person, s->eye_px, s->quality, s->rms, s->face.x, s->face.y,
                    s->face.w, s->face.h, lm[0][0], lm[0][1], lm[1][0], lm[1][1], lm[2][0],
                    lm[2][1], lm[3][0], lm[3][1]);
        }
    }
    av_frame_free(&frame);
    cb_face_list_free(&faces);
    cb_detector_close(det);
    cb_detector_close(rdet);
    cb_embedder_close(emb);
    if (refine > 0)
        fprintf(stderr, "eval_recognition: landmarks refined on %d faces\n", n_refined);

    if (list_groups) {
        /* nearest identities person for each labelled group face */
        for (int j = 0; j < l.count; j++) {
            const sample *s = &l.items[j];
            if (!s->ok || s->set != SET_GROUP)
                continue;
            float best = INFINITY;
            const char *who = "?";
            for (int i = 0; i < l.count; i++) {
                const sample *t = &l.items[i];
                if (!t->ok || t->set != SET_IDENT)
                    continue;
                float d = cb_embedding_distance(s->desc, t->desc);
                if (d < best) {
                    best = d;
                    who = t->person;
                }
            }
            fprintf(stderr, "group %s %.0f %.0f %.0f %.0f labelled %-12s nearest %-15s %.3f\n",
                    s->rel, s->truth.x, s->truth.y, s->truth.w, s->truth.h, s->person, who, best);
        }
    }

    /* ---- report ---- */
    int per_set[SET_COUNT] = {0};
    float *rms = bench_xrealloc(NULL, sizeof(float) * ((size_t)l.count + 1));
    int nrms = 0;
    for (int j = 0; j < l.count; j++)
        if (l.items[j].ok) {
            per_set[l.items[j].set]++;
            rms[nrms++] = (float)l.items[j].rms;
        }
    qsort(rms, (size_t)nrms, sizeof(float), bench_cmp_float);
    printf("## Face recognition (%s, alignment landmarks 0x%x)\n\n", CB_EMBEDDER_MODEL_ID,
           align ? align : CB_EMBEDDER_ALIGN_DEFAULT);
    printf("%d faces embedded (%d %s, %d %s, %d %s), %d not usable (missed or no landmarks); "
           "%.1f ms per face for alignment + network. Landmark fit to the chip template: RMS "
           "residual median %.1f px, 90 %% %.1f px, max %.1f px (chip pixels).\n\n",
           n_embed, per_set[SET_IDENT], set_names[SET_IDENT], per_set[SET_PROBE],
           set_names[SET_PROBE], per_set[SET_GROUP], set_names[SET_GROUP], n_missed,
           n_embed ? 1e3 * t_embed / n_embed : 0.0, pct(rms, nrms, 50), pct(rms, nrms, 90),
           pct(rms, nrms, 100));
    free(rms);

    /* pairs */
    size_t cap = (size_t)l.count * (size_t)l.count / 2 + 1;
    float *gen = bench_xrealloc(NULL, cap * sizeof(float)), *imp = bench_xrealloc(NULL, cap * sizeof(float));
    int ng = 0, ni = 0, nsame = 0;
    float same_max = 0;
    for (int a = 0; a < l.count; a++) {
        for (int b = a + 1; b < l.count; b++) {
            const sample *x = &l.items[a], *y = &l.items[b];
            if (!x->ok || !y->ok)
                continue;
            float d = cb_embedding_distance(x->desc, y->desc);
            if (x->source == y->source) {
                nsame++;
                same_max = fmaxf(same_max, d);
                if (verbose)
                    fprintf(stderr, "  same photograph %.3f: %s - %s\n", d, x->rel, y->rel);
                continue;
            }
            int same = strcmp(x->person, "-") && !strcmp(x->person, y->person);
            if (same)
                gen[ng++] = d;
            else
                imp[ni++] = d;
            if (verbose && ((same && d > 0.5f) || (!same && d < 0.5f) || d < 0.1f))
                fprintf(stderr, "  %s pair %.3f: %s (%s) - %s (%s)\n",
                        same ? "genuine" : "impostor", d, x->rel, x->person, y->rel, y->person);
        }
    }
    qsort(gen, (size_t)ng, sizeof(float), bench_cmp_float);
    qsort(imp, (size_t)ni, sizeof(float), bench_cmp_float);
    printf("### Pair distances (Euclidean)\n\n");
    printf("| pairs | n | min | 1 %% | 5 %% | 25 %% | median | 75 %% | 95 %% | max |\n");
    printf("|---|---|---|---|---|---|---|---|---|---|\n");
    print_dist_row("genuine (same person)", gen, ng);
    print_dist_row("impostor (different people)", imp, ni);
    printf("\nLeft out: %d pairs of faces from the same photograph at another size or crop "
           "(largest distance %.3f).\n",
           nsame, same_max);
    printf("\nVerification, accept when distance < threshold (the largest threshold that keeps "
           "the false-accept rate at or below the target):\n\n");
    printf("| FAR target | threshold | TAR | FAR |\n|---|---|---|---|\n");
    if (ng && ni) {
        tar_at_far(gen, ng, imp, ni, 0.0);
        tar_at_far(gen, ng, imp, ni, 0.001);
        tar_at_far(gen, ng, imp, ni, 0.01);
    }
    free(gen);
    free(imp);

    if (gallery > 0) {
        identification(&l, gallery, verbose);
    } else {
        identification(&l, 1, verbose);
        identification(&l, 2, verbose);
    }
    if (want_calibrate)
        calibrate(&l);
    free(l.items);
    return 0;
}

/* face_nets.c - the definition table of the face networks and the one
 * runner they share; see face_models.h. */
#include <stdlib.h>
#include <string.h>

#include "cv_bridge.h"
#include "face_models.h"
#include "model_files.h"

enum { LAYOUT_NHWC, LAYOUT_NCHW };
enum { MAX_OUTPUTS = 8 };

typedef int (*decode_fn)(const cb_tensor *outs, int w, int h, float min_score,
                         cb_face_list *out, cb_error *err);

/* A network: what the rest of the program sees (info) and how to run it. */
typedef struct net_def {
    cb_net_info info;
    int layout;                 /* how the input tensor is laid out */
    float scale, offset;        /* input value = channel * scale + offset (RGB order) */
    int n_outputs;
    const char *outputs[MAX_OUTPUTS];
    decode_fn decode;
} net_def;

/*
 * smallest_face / largest_face: face heights (eyebrows to chin, as the
 * truth boxes of bench/) in network pixels between which each network finds
 * faces; the detector builds its pyramid from them. Smallest: UltraFace 14
 * and full-range 24 were measured on faces of the test photos pasted with
 * their surroundings at known sizes (UltraFace 94% at 12 px, all at 14;
 * full-range 93% at 20, 99% at 28; faces cut out at brow and chin need about
 * twice that, see the README); BlazeFace 32 and SSD 28 are the sizes their
 * tiled pyramid was tuned to (bench/eval_detect). Largest: under each
 * network's largest anchor (UltraFace 256 px; 0.75 of the input for the
 * MediaPipe models; SSD's, 0.9 of 512, for completeness: it runs tiled).
 */
static const net_def nets[CB_NET_COUNT] = {
    [CB_NET_BLAZEFACE] = {
        .info = {.name = "blazeface", .file = "blazeface_back.onnx", .flag = CB_DET_BLAZEFACE,
                 .multiple = 32, .landmarks = 1, .smallest_face = 32, .largest_face = 192,
                 .look_side = 256, .finest_beside = 1},
        .layout = LAYOUT_NCHW, .scale = 1.0f / 127.5f, .offset = -1.0f,
        .n_outputs = 4, .outputs = {"cls16", "reg16", "cls32", "reg32"},
        .decode = cb_decode_blazeface_back},
    [CB_NET_SSD] = {
        .info = {.name = "ssd", .file = "ssd_mobilenetv1.onnx", .flag = CB_DET_SSD,
                 .fixed_side = 512, .smallest_face = 28, .largest_face = 400, .look_side = 512,
                 .finest_beside = 1},
        .layout = LAYOUT_NCHW, .scale = 0.007843137718737125f, .offset = -1.0f,
        .n_outputs = 2, .outputs = {"boxes", "scores"},
        .decode = cb_decode_ssd},
    [CB_NET_ULTRAFACE] = {
        .info = {.name = "ultraface", .file = "ultraface_rfb320.onnx", .flag = CB_DET_ULTRAFACE,
                 .multiple = 8, .smallest_face = 14, .largest_face = 240},
        .layout = LAYOUT_NCHW, .scale = 1.0f / 128.0f, .offset = -127.0f / 128.0f,
        .n_outputs = 8,
        .outputs = {"cls8", "box8", "cls16", "box16", "cls32", "box32", "cls64", "box64"},
        .decode = cb_decode_ultraface},
    [CB_NET_FULLRANGE] = {
        .info = {.name = "fullrange", .file = "blazeface_full_range.onnx",
                 .flag = CB_DET_FULLRANGE, .multiple = 32, .landmarks = 1, .smallest_face = 24,
                 .largest_face = 120},
        .layout = LAYOUT_NCHW, .scale = 1.0f / 127.5f, .offset = -1.0f,
        .n_outputs = 2, .outputs = {"classifier_face_4", "regressor_face_4"},
        .decode = cb_decode_blazeface_full},
};

/*
 * OpenCV's dnn sets a network up again (memory, packed weights) whenever the
 * input size changes, which costs about as much as a run: each size the
 * detector uses (the finest level's tiles, each coarser level, the second
 * look) keeps a network instance of its own, up to NET_SIZES of them, the
 * least recently used one taking a new size. A batch of photos of one size
 * then runs every level at its own size without setting anything up again.
 */
enum { NET_SIZES = 5 };

typedef struct sized_net {
    cb_cv_net *net; /* NULL until first needed */
    int w, h;       /* the input size it was last run at (0: none yet) */
    unsigned long last_use;
} sized_net;

struct cb_face_net {
    const net_def *def;
    char path[4096];  /* the hash-checked model file, for loading more instances */
    sized_net sizes[NET_SIZES];
    unsigned long uses;
    float *input;     /* the input tensor, grown as needed */
    size_t input_cap; /* floats */
};

const cb_net_info *cb_net_info_get(cb_net_id id)
{
    return (unsigned)id < CB_NET_COUNT ? &nets[id].info : NULL;
}

int cb_net_by_name(const char *name)
{
    for (int i = 0; name && i < CB_NET_COUNT; i++)
        if (strcmp(nets[i].info.name, name) == 0)
            return i;
    return -1;
}

int cb_face_net_open(cb_net_id id, const char *model_dir, cb_face_net **out, cb_error *err)
{
    *out = NULL;
    if ((unsigned)id >= CB_NET_COUNT)
        return cb_error_set(err, CB_EINVAL, "no such face network (%d)", (int)id);
    cb_face_net *n = calloc(1, sizeof *n);
    if (!n)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    n->def = &nets[id];
    int rc = cb_model_file_check(cb_model_dir(model_dir), nets[id].info.file, n->path,
                                 sizeof n->path, err);
    if (rc == 0)
        rc = cb_cv_net_open(n->path, &n->sizes[0].net, err);
    if (rc < 0) {
        cb_face_net_close(n);
        return rc;
    }
    *out = n;
    return 0;
}

void cb_face_net_close(cb_face_net *net)
{
    if (!net)
        return;
    for (int i = 0; i < NET_SIZES; i++)
        cb_cv_net_close(net->sizes[i].net);
    free(net->input);
    free(net);
}

void cb_face_net_trim(cb_face_net *net, long max_pixels)
{
    for (int i = 0; net && i < NET_SIZES; i++) {
        sized_net *s = &net->sizes[i];
        if (s->net && (long)s->w * s->h > max_pixels) {
            cb_cv_net_close(s->net); /* loaded again from net->path when needed */
            *s = (sized_net){0};
        }
    }
}

/* Convert BGR bytes into the network's input tensor (RGB, normalised). */
static void fill_input(const net_def *def, float *dst, const uint8_t *bgr, int w, int h,
                       int stride)
{
    const float k = def->scale, o = def->offset;
    const size_t plane = (size_t)w * h;
    for (int y = 0; y < h; y++) {
        const uint8_t *row = bgr + (size_t)y * stride;
        if (def->layout == LAYOUT_NHWC) {
            float *d = dst + (size_t)y * w * 3;
            for (int x = 0; x < w; x++, d += 3) {
                d[0] = row[3 * x + 2] * k + o;
                d[1] = row[3 * x + 1] * k + o;
                d[2] = row[3 * x + 0] * k + o;
            }
        } else {
            float *r = dst + (size_t)y * w, *g = r + plane, *b = g + plane;
            for (int x = 0; x < w; x++) {
                r[x] = row[3 * x + 2] * k + o;
                g[x] = row[3 * x + 1] * k + o;
                b[x] = row[3 * x + 0] * k + o;
            }
        }
    }
}

/* The network instance for inputs of w x h (see NET_SIZES), loaded if need be. */
static int net_for_size(cb_face_net *net, int w, int h, cb_cv_net **out, cb_error *err)
{
    sized_net *pick = &net->sizes[0];
    for (int i = 0; i < NET_SIZES; i++) {
        sized_net *s = &net->sizes[i];
        if (s->w == w && s->h == h) {
            pick = s;
            break;
        }
        if (s->last_use < pick->last_use)
            pick = s;
    }
    if (!pick->net) {
        int rc = cb_cv_net_open(net->path, &pick->net, err);
        if (rc < 0)
            return rc;
    }
    pick->w = w;
    pick->h = h;
    pick->last_use = ++net->uses;
    *out = pick->net;
    return 0;
}

static int check_size(const cb_net_info *info, int w, int h, cb_error *err)
{
    int ok = info->fixed_side > 0 ? (w == info->fixed_side && h == info->fixed_side)
                                  : (w > 0 && h > 0 && w % info->multiple == 0 &&
                                     h % info->multiple == 0);
    if (!ok)
        return cb_error_set(err, CB_EINVAL, "%s: input of %dx%d is not a size it takes",
                            info->name, w, h);
    return 0;
}

int cb_face_net_run(cb_face_net *net, const uint8_t *bgr, int w, int h, int stride,
                    float min_score, cb_face_list *out, cb_error *err)
{
    const net_def *def = net->def;
    int rc = check_size(&def->info, w, h, err);
    if (rc < 0)
        return rc;
    const size_t need = (size_t)w * h * 3;
    if (need > net->input_cap) {
        float *grown = realloc(net->input, need * sizeof *grown);
        if (!grown)
            return cb_error_set(err, CB_ENOMEM, "out of memory for a %dx%d network input", w, h);
        net->input = grown;
        net->input_cap = need;
    }
    cb_cv_net *cv_net = NULL;
    rc = net_for_size(net, w, h, &cv_net, err);
    if (rc < 0)
        return rc;
    fill_input(def, net->input, bgr, w, h, stride);
    const int nhwc[4] = {1, h, w, 3}, nchw[4] = {1, 3, h, w};
    cb_tensor t[MAX_OUTPUTS];
    rc = cb_cv_net_forward(cv_net, net->input, def->layout == LAYOUT_NHWC ? nhwc : nchw, 4,
                           def->n_outputs, def->outputs, t, err);
    if (rc < 0)
        return rc;
    const int first = out->count;
    rc = def->decode(t, w, h, min_score, out, err);
    for (int i = first; i < out->count; i++)
        out->faces[i].detectors = def->info.flag;
    for (int i = 0; i < def->n_outputs; i++)
        cb_tensor_release(&t[i]);
    return rc;
}

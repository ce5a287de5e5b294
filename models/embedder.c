/* embedder.c - face chip alignment and the face recognition network; see embedder.h. */
#include "embedder.h"

#include <libavutil/pixfmt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cv_bridge.h"
#include "model_files.h"

/* dlib get_face_chip_details, 5-point template (interpolation.h), padding
 * 0.25, size 150: chip = (padding + p) / (1 + 2 padding) * size. */
#define CHIP_PADDING 0.25
#define TEMPLATE_TO_CHIP(v) ((CHIP_PADDING + (v)) / (1.0 + 2.0 * CHIP_PADDING) * CB_EMBEDDER_CHIP)

/* Where the four central landmarks go, in chip pixels (see embedder.h),
 * indexed by CB_LM_*. */
static void chip_target(int lm, double *x, double *y)
{
    switch (lm) {
    case CB_LM_RIGHT_EYE: /* mean of dlib's two corner points of that eye */
        *x = TEMPLATE_TO_CHIP((0.1205750620789 + 0.3340850613712) / 2);
        *y = TEMPLATE_TO_CHIP((0.2137274526848 + 0.2290642403242) / 2);
        break;
    case CB_LM_LEFT_EYE:
        *x = TEMPLATE_TO_CHIP((0.8595674595992 + 0.6460604764104) / 2);
        *y = TEMPLATE_TO_CHIP((0.2134981538014 + 0.2289674387677) / 2);
        break;
    case CB_LM_NOSE: /* BlazeFace's, measured in the frame of those eyes */
        *x = 74.0;
        *y = 82.1;
        break;
    default: /* CB_LM_MOUTH */
        *x = 74.0;
        *y = 105.6;
        break;
    }
}

/* face-api's FaceRecognitionNet normalisation (R, G, B) */
static const float mean_rgb[3] = {122.782f, 117.001f, 104.298f};

struct cb_embedder {
    cb_cv_net *net;
    float *input;  /* 1x3x150x150 */
    uint8_t *chip; /* 150x150 BGR */
};

int cb_embedder_open(const char *model_dir, cb_embedder **out, cb_error *err)
{
    *out = NULL;
    char path[4096];
    int rc = cb_model_file_check(cb_model_dir(model_dir), CB_EMBEDDER_FILE, path, sizeof path,
                                 err);
    if (rc < 0)
        return rc;
    cb_embedder *e = calloc(1, sizeof *e);
    if (!e)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    e->input = malloc(sizeof(float) * 3 * CB_EMBEDDER_CHIP * CB_EMBEDDER_CHIP);
    e->chip = malloc((size_t)CB_EMBEDDER_CHIP * CB_EMBEDDER_CHIP * 3);
    if (!e->input || !e->chip) {
        rc = cb_error_set(err, CB_ENOMEM, "out of memory");
        goto fail;
    }
    rc = cb_cv_net_open(path, &e->net, err);
    if (rc < 0) {
        if (rc == CB_EMODEL)
            cb_error_prefix(err, "face recognition model %s cannot be loaded "
                                 "(run `make models` to rebuild it)", path);
        goto fail;
    }
    *out = e;
    return 0;
fail:
    cb_embedder_close(e);
    return rc;
}

void cb_embedder_close(cb_embedder *e)
{
    if (!e)
        return;
    cb_cv_net_close(e->net);
    free(e->input);
    free(e->chip);
    free(e);
}

const char *cb_embedder_model_id(const cb_embedder *e)
{
    (void)e;
    return CB_EMBEDDER_MODEL_ID;
}

/* ---- alignment ----------------------------------------------------------- */

/* A similarity x' = a x - b y + tx, y' = b x + a y + ty. */
typedef struct similarity {
    double a, b, tx, ty;
} similarity;

/* Least-squares similarity taking from[i] to to[i] (minimises the squared
 * error on the `to` side). Returns 0, or -1 when `from` has no spread. */
static int fit_similarity(const double from[][2], const double to[][2], int n, similarity *s)
{
    double fx = 0, fy = 0, tx = 0, ty = 0;
    for (int i = 0; i < n; i++) {
        fx += from[i][0];
        fy += from[i][1];
        tx += to[i][0];
        ty += to[i][1];
    }
    fx /= n;
    fy /= n;
    tx /= n;
    ty /= n;
    double ss = 0, sa = 0, sb = 0;
    for (int i = 0; i < n; i++) {
        double px = from[i][0] - fx, py = from[i][1] - fy;
        double qx = to[i][0] - tx, qy = to[i][1] - ty;
        ss += px * px + py * py;
        sa += px * qx + py * qy;
        sb += px * qy - py * qx;
    }
    if (!(ss > 1e-9))
        return -1;
    s->a = sa / ss;
    s->b = sb / ss;
    s->tx = tx - (s->a * fx - s->b * fy);
    s->ty = ty - (s->b * fx + s->a * fy);
    return 0;
}

static void apply(const similarity *s, double x, double y, double *ox, double *oy)
{
    *ox = s->a * x - s->b * y + s->tx;
    *oy = s->b * x + s->a * y + s->ty;
}

static similarity invert(const similarity *s)
{
    double k = s->a * s->a + s->b * s->b;
    similarity r = {s->a / k, -s->b / k, 0, 0};
    r.tx = -(r.a * s->tx - r.b * s->ty);
    r.ty = -(r.b * s->tx + r.a * s->ty);
    return r;
}

static double clampd(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* Landmarks of lm_mask in image pixel-centre coordinates (the detector's are
 * continuous: pixel i spans [i, i+1)) and their chip targets. Returns the
 * number of points or a negative code. */
static int face_points(const cb_face *face, unsigned lm_mask, double img[CB_LM_COUNT][2],
                       double chip[CB_LM_COUNT][2], cb_error *err)
{
    if (lm_mask == 0)
        lm_mask = CB_EMBEDDER_ALIGN_DEFAULT;
    const unsigned eyes = (1u << CB_LM_RIGHT_EYE) | (1u << CB_LM_LEFT_EYE);
    if ((lm_mask & eyes) != eyes || (lm_mask & ~(unsigned)CB_EMBEDDER_ALIGN_DEFAULT))
        return cb_error_set(err, CB_EINVAL, "embedder: bad landmark set 0x%x", lm_mask);
    if (!face || !face->has_landmarks)
        return cb_error_set(err, CB_EINVAL,
                            "face has no landmarks: it cannot be aligned for recognition");
    int n = 0;
    for (int lm = 0; lm < CB_LM_COUNT; lm++) {
        if (!(lm_mask & (1u << lm)))
            continue;
        float x = face->landmarks[lm][0], y = face->landmarks[lm][1];
        if (!isfinite(x) || !isfinite(y) || fabsf(x) > 1e6f || fabsf(y) > 1e6f)
            return cb_error_set(err, CB_EINVAL, "face landmarks are not finite");
        img[n][0] = (double)x - 0.5;
        img[n][1] = (double)y - 0.5;
        chip_target(lm, &chip[n][0], &chip[n][1]);
        n++;
    }
    /* the eyes come first (CB_LM_RIGHT_EYE, CB_LM_LEFT_EYE are 0 and 1) */
    double dx = img[1][0] - img[0][0], dy = img[1][1] - img[0][1];
    if (!(dx * dx + dy * dy >= 1.0))
        return cb_error_set(err, CB_EINVAL, "face landmarks are degenerate (eyes coincide)");
    return n;
}

int cb_embedder_alignment(const cb_face *face, unsigned lm_mask, double m[6], double *rms,
                          cb_error *err)
{
    double img[CB_LM_COUNT][2], chip[CB_LM_COUNT][2];
    int n = face_points(face, lm_mask, img, chip, err);
    if (n < 0)
        return n;
    /* as dlib: the chip -> image map by least squares in image pixels, inverted */
    similarity to_img;
    if (fit_similarity((const double(*)[2])chip, (const double(*)[2])img, n, &to_img) < 0)
        return cb_error_set(err, CB_EINTERNAL, "chip template is degenerate");
    double k = to_img.a * to_img.a + to_img.b * to_img.b;
    if (!(k > 1e-12) || !isfinite(k) || !isfinite(to_img.tx) || !isfinite(to_img.ty))
        return cb_error_set(err, CB_EINVAL, "face landmarks are degenerate");
    similarity s = invert(&to_img);
    if (rms) {
        double sum = 0;
        for (int i = 0; i < n; i++) {
            double x, y;
            apply(&s, img[i][0], img[i][1], &x, &y);
            sum += (x - chip[i][0]) * (x - chip[i][0]) + (y - chip[i][1]) * (y - chip[i][1]);
        }
        *rms = sqrt(sum / n);
    }
    m[0] = s.a;
    m[1] = -s.b;
    m[2] = s.tx;
    m[3] = s.b;
    m[4] = s.a;
    m[5] = s.ty;
    return 0;
}

int cb_embedder_warp(const AVFrame *frame, const double m[6], uint8_t *chip, int chip_stride,
                     cb_error *err)
{
    if (!frame || !m || !chip || chip_stride < CB_EMBEDDER_CHIP * 3)
        return cb_error_set(err, CB_EINVAL, "embedder: bad arguments");
    if (frame->format != AV_PIX_FMT_BGR24 || !frame->data[0] || frame->width <= 0 ||
        frame->height <= 0)
        return cb_error_set(err, CB_EINVAL, "embedder: frame is not BGR24");
    const int W = frame->width, H = frame->height, stride = frame->linesize[0];
    /* chip px per image px (m is a similarity, possibly a general affine map
     * from a caller: use the smaller axis scale) */
    const double det = m[0] * m[4] - m[1] * m[3];
    const double scale = sqrt(fabs(det));
    if (!(scale > 1e-9) || !isfinite(scale))
        return cb_error_set(err, CB_EINVAL, "embedder: singular alignment");
    if (scale >= 0.5)
        return cb_cv_warp_affine_bgr(frame->data[0], W, H, stride, m, chip, CB_EMBEDDER_CHIP,
                                     CB_EMBEDDER_CHIP, chip_stride, err);

    /* Shrinking by more than 2x: area-average the part of the picture the
     * chip sees down to about chip resolution first (no aliasing), then warp. */
    const double ia = m[4] / det, ib = -m[1] / det, ic = -m[3] / det, id = m[0] / det;
    double x0 = 1e300, y0 = 1e300, x1 = -1e300, y1 = -1e300;
    for (int c = 0; c < 4; c++) {
        double cx = ((c & 1) ? CB_EMBEDDER_CHIP : -1) - m[2];
        double cy = ((c & 2) ? CB_EMBEDDER_CHIP : -1) - m[5];
        double x = ia * cx + ib * cy, y = ic * cx + id * cy;
        x0 = fmin(x0, x);
        y0 = fmin(y0, y);
        x1 = fmax(x1, x);
        y1 = fmax(y1, y);
    }
    int rx0 = (int)clampd(floor(x0) - 2, 0, W - 1), ry0 = (int)clampd(floor(y0) - 2, 0, H - 1);
    int rx1 = (int)clampd(ceil(x1) + 3, rx0 + 1, W), ry1 = (int)clampd(ceil(y1) + 3, ry0 + 1, H);
    int rw = rx1 - rx0, rh = ry1 - ry0;
    int sw = (int)ceil(rw * scale), sh = (int)ceil(rh * scale);
    if (sw < 1)
        sw = 1;
    if (sh < 1)
        sh = 1;
    uint8_t *small = malloc((size_t)sw * sh * 3);
    if (!small)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    int rc = cb_cv_resize(frame->data[0] + (size_t)ry0 * stride + (size_t)rx0 * 3, rw, rh,
                              stride, small, sw, sh, sw * 3, 3, err);
    if (rc == 0) {
        /* small pixel (u, v) has its centre at image ((u + .5) / kx - .5 + rx0, ...) */
        double kx = (double)sw / rw, ky = (double)sh / rh;
        double ax = 1.0 / kx, bx = 0.5 / kx - 0.5 + rx0;
        double ay = 1.0 / ky, by = 0.5 / ky - 0.5 + ry0;
        double ms[6] = {m[0] * ax, m[1] * ay, m[0] * bx + m[1] * by + m[2],
                        m[3] * ax, m[4] * ay, m[3] * bx + m[4] * by + m[5]};
        rc = cb_cv_warp_affine_bgr(small, sw, sh, sw * 3, ms, chip, CB_EMBEDDER_CHIP,
                                   CB_EMBEDDER_CHIP, chip_stride, err);
    }
    free(small);
    return rc;
}

int cb_embedder_chip(const AVFrame *frame, const cb_face *face, uint8_t *chip, int chip_stride,
                     cb_error *err)
{
    double m[6];
    int rc = cb_embedder_alignment(face, 0, m, NULL, err);
    if (rc < 0)
        return rc;
    return cb_embedder_warp(frame, m, chip, chip_stride, err);
}

static double ramp(double v, double zero_at, double one_at)
{
    return clampd((v - zero_at) / (one_at - zero_at), 0.0, 1.0);
}

float cb_embedder_quality(const cb_face *face)
{
    double img[CB_LM_COUNT][2], chip[CB_LM_COUNT][2], m[6], rms;
    if (face_points(face, 0, img, chip, NULL) < 0 || cb_embedder_alignment(face, 0, m, &rms, NULL) < 0)
        return 0.0f;
    /* img[0..3]: right eye, left eye, nose, mouth */
    double ex = img[1][0] - img[0][0], ey = img[1][1] - img[0][1];
    double d = sqrt(ex * ex + ey * ey);
    double mx = (img[0][0] + img[1][0]) / 2, my = (img[0][1] + img[1][1]) / 2;
    /* nose offset from the eye midpoint, along the eye line, in eye distances */
    double r = fabs((img[2][0] - mx) * ex + (img[2][1] - my) * ey) / (d * d);
    double q = ramp(d, 8.0, 40.0) * ramp(r, 0.35, 0.05) * ramp(rms, 14.0, 4.0);
    return (float)q;
}

int cb_embedder_embed_chip(cb_embedder *e, const uint8_t *chip, int chip_stride,
                           float out[CB_EMBEDDING_DIM], cb_error *err)
{
    if (out)
        memset(out, 0, sizeof(float) * CB_EMBEDDING_DIM);
    if (!e || !chip || !out || chip_stride < CB_EMBEDDER_CHIP * 3)
        return cb_error_set(err, CB_EINVAL, "embedder: bad arguments");
    const int n = CB_EMBEDDER_CHIP * CB_EMBEDDER_CHIP;
    for (int y = 0; y < CB_EMBEDDER_CHIP; y++) {
        const uint8_t *row = chip + (size_t)y * chip_stride;
        for (int x = 0; x < CB_EMBEDDER_CHIP; x++) {
            int i = y * CB_EMBEDDER_CHIP + x;
            /* BGR -> planar RGB; float32 subtract then divide, as tfjs does */
            for (int c = 0; c < 3; c++)
                e->input[(size_t)c * n + i] = ((float)row[x * 3 + (2 - c)] - mean_rgb[c]) / 255.0f;
        }
    }
    const int shape[4] = {1, 3, CB_EMBEDDER_CHIP, CB_EMBEDDER_CHIP};
    const char *const names[1] = {"descriptor"};
    cb_tensor t;
    int rc = cb_cv_net_forward(e->net, e->input, shape, 4, 1, names, &t, err);
    if (rc < 0)
        return rc;
    if (t.count != CB_EMBEDDING_DIM) {
        cb_tensor_release(&t);
        return cb_error_set(err, CB_EMODEL, "face recognition model gave %zu numbers, expected %d",
                            t.count, CB_EMBEDDING_DIM);
    }
    for (int i = 0; i < CB_EMBEDDING_DIM; i++) {
        if (!isfinite(t.data[i])) {
            cb_tensor_release(&t);
            memset(out, 0, sizeof(float) * CB_EMBEDDING_DIM);
            return cb_error_set(err, CB_EMODEL, "face recognition model gave a non-finite value");
        }
        out[i] = t.data[i];
    }
    cb_tensor_release(&t);
    return 0;
}

int cb_embedder_embed(cb_embedder *e, const AVFrame *frame, const cb_face *face,
                      float out[CB_EMBEDDING_DIM], float *quality, cb_error *err)
{
    if (out)
        memset(out, 0, sizeof(float) * CB_EMBEDDING_DIM);
    if (quality)
        *quality = 0.0f;
    if (!e || !out)
        return cb_error_set(err, CB_EINVAL, "embedder: bad arguments");
    int rc = cb_embedder_chip(frame, face, e->chip, CB_EMBEDDER_CHIP * 3, err);
    if (rc < 0)
        return rc;
    rc = cb_embedder_embed_chip(e, e->chip, CB_EMBEDDER_CHIP * 3, out, err);
    if (rc == 0 && quality)
        *quality = cb_embedder_quality(face);
    return rc;
}

float cb_embedding_distance(const float a[CB_EMBEDDING_DIM], const float b[CB_EMBEDDING_DIM])
{
    double sum = 0;
    for (int i = 0; i < CB_EMBEDDING_DIM; i++) {
        double d = (double)a[i] - b[i];
        sum += d * d;
    }
    return (float)sqrt(sum);
}

/*
 * blazeface.c - decoding MediaPipe BlazeFace outputs (face_models.h).
 *
 * Both models regress, per anchor, a logit and 16 numbers: the box centre
 * offset (x, y) and size (w, h) and 6 keypoints (x, y), all in input pixels
 * relative to the anchor centre (MediaPipe's TensorsToDetections with
 * reverse_output_order, x/y/w/h_scale = input size and fixed-size anchors,
 * so the numbers are pixels as they are).
 *
 * Back-camera model (as shipped, 256x256, NHWC): 896 anchors in two heads,
 * flattened by the exported graph: stride 16 (16x16 cells, 2 anchors each)
 * and stride 32 (8x8 cells, 6 anchors each); outputs in the order
 * scores16, scores32, regressors16, regressors32.
 *
 * Full-range model (converted from TFLite by models/convert_tflite.py, any
 * size): one head at stride 4, one anchor per cell, left as NCHW maps:
 * classifier 1x1xGHxGW and regressor 1x16xGHxGW; the anchor of cell (x, y)
 * is centred at ((x + 0.5) 4, (y + 0.5) 4) (MediaPipe's SsdAnchors with
 * anchor_offset 0.5 on a 48x48 grid for 192x192, kept for any size).
 */
#include <math.h>

#include "cv_bridge.h"
#include "face_models.h"

static float sigmoid(float x)
{
    if (x < -100.f)
        x = -100.f;
    if (x > 100.f)
        x = 100.f;
    return 1.0f / (1.0f + expf(-x));
}

/* One anchor: regressors r[k] for k = 0..15 at stride `step` apart. */
static int push_anchor(float acx, float acy, float score, const float *r, size_t step,
                       cb_face_list *out, cb_error *err)
{
    float cx = acx + r[0], cy = acy + r[step], w = r[2 * step], h = r[3 * step];
    if (!(w > 1.f && h > 1.f))
        return 0;
    cb_face f = {.x = cx - w / 2, .y = cy - h / 2, .w = w, .h = h, .score = score,
                 .has_landmarks = 1, .detectors = CB_DET_BLAZEFACE};
    for (int k = 0; k < CB_LM_COUNT; k++) {
        f.landmarks[k][0] = acx + r[(size_t)(4 + 2 * k) * step];
        f.landmarks[k][1] = acy + r[(size_t)(5 + 2 * k) * step];
    }
    return cb_face_list_push(out, &f, err);
}

/* Back-camera model: one head of grid x grid cells, per_cell anchors each. */
static int decode_back_head(const cb_tensor *scores, const cb_tensor *regs, int side, int grid,
                            int per_cell, float min_score, cb_face_list *out, cb_error *err)
{
    int n = grid * grid * per_cell;
    if ((int)scores->count != n || (int)regs->count != n * 16)
        return cb_error_set(err, CB_EMODEL, "BlazeFace: unexpected output size");
    for (int i = 0; i < n; i++) {
        float score = sigmoid(scores->data[i]);
        if (score < min_score)
            continue;
        int cell = i / per_cell;
        float acx = ((float)(cell % grid) + 0.5f) / (float)grid * (float)side;
        float acy = ((float)(cell / grid) + 0.5f) / (float)grid * (float)side;
        int rc = push_anchor(acx, acy, score, regs->data + (size_t)i * 16, 1, out, err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int cb_decode_blazeface_back(const cb_tensor *outs, int w, int h, float min_score,
                             cb_face_list *out, cb_error *err)
{
    (void)h;
    int rc = decode_back_head(&outs[0], &outs[2], w, w / 16, 2, min_score, out, err);
    if (rc == 0)
        rc = decode_back_head(&outs[1], &outs[3], w, w / 32, 6, min_score, out, err);
    return rc;
}

enum { FULL_STRIDE = 4 };

int cb_decode_blazeface_full(const cb_tensor *outs, int w, int h, float min_score,
                             cb_face_list *out, cb_error *err)
{
    const cb_tensor *cls = &outs[0], *reg = &outs[1];
    const int gw = w / FULL_STRIDE, gh = h / FULL_STRIDE;
    const size_t cells = (size_t)gw * gh;
    if (cls->ndim != 4 || reg->ndim != 4 || cls->shape[2] != gh || cls->shape[3] != gw ||
        cls->count != cells || reg->count != cells * 16)
        return cb_error_set(err, CB_EMODEL, "full-range BlazeFace: unexpected output size");
    for (size_t i = 0; i < cells; i++) {
        float score = sigmoid(cls->data[i]);
        if (score < min_score)
            continue;
        float acx = ((float)(i % (size_t)gw) + 0.5f) * FULL_STRIDE;
        float acy = ((float)(i / (size_t)gw) + 0.5f) * FULL_STRIDE;
        int rc = push_anchor(acx, acy, score, reg->data + i, cells, out, err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

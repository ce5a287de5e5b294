/*
 * blazeface.c - decoding MediaPipe BlazeFace outputs (face_models.h).
 *
 * Both models regress, per anchor, a logit and 16 numbers: the box centre
 * offset (x, y) and size (w, h) and 6 keypoints (x, y), all in input pixels
 * relative to the anchor centre (MediaPipe's TensorsToDetections with
 * reverse_output_order, x/y/w/h_scale = input size and fixed-size anchors,
 * so the numbers are pixels as they are).
 *
 * Both are fully convolutional graphs that run at any size, their heads left
 * as NCHW maps (decode_head); the anchors are made here for the size run:
 *   back-camera (models/convert_blazeface_back.py; trained at 256x256): a
 *     head at stride 16 with 2 anchors per cell and one at stride 32 with 6
 *     (MediaPipe's SsdAnchors for it: 896 anchors at 256x256), outputs
 *     cls16, reg16, cls32, reg32;
 *   full-range (models/convert_tflite.py; trained at 192x192): one head at
 *     stride 4, one anchor per cell, outputs classifier, regressor.
 * Every anchor of a cell is centred on it, at ((x + 0.5) stride,
 * (y + 0.5) stride) for cell (x, y) (anchor_offset 0.5, fixed anchor size).
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

/*
 * One head of per_cell anchors per cell at `stride`, as NCHW maps of an input
 * of w x h: logits 1 x per_cell x GH x GW (anchor a at channel a) and
 * regressors 1 x 16 per_cell x GH x GW (anchor a's number k at channel
 * 16 a + k); the anchors of cell (x, y) are centred at ((x + 0.5) stride,
 * (y + 0.5) stride).
 */
static int decode_head(const cb_tensor *cls, const cb_tensor *reg, int w, int h, int stride,
                       int per_cell, float min_score, cb_face_list *out, cb_error *err)
{
    const int gw = w / stride, gh = h / stride;
    const size_t cells = (size_t)gw * gh;
    if (cls->ndim != 4 || reg->ndim != 4 || cls->shape[2] != gh || cls->shape[3] != gw ||
        cls->count != cells * per_cell || reg->count != cells * per_cell * 16)
        return cb_error_set(err, CB_EMODEL, "BlazeFace: unexpected output size");
    for (int a = 0; a < per_cell; a++)
        for (size_t i = 0; i < cells; i++) {
            float score = sigmoid(cls->data[(size_t)a * cells + i]);
            if (score < min_score)
                continue;
            float acx = ((float)(i % (size_t)gw) + 0.5f) * (float)stride;
            float acy = ((float)(i / (size_t)gw) + 0.5f) * (float)stride;
            const float *r = reg->data + (size_t)a * 16 * cells + i;
            int rc = push_anchor(acx, acy, score, r, cells, out, err);
            if (rc < 0)
                return rc;
        }
    return 0;
}

int cb_decode_blazeface_back(const cb_tensor *outs, int w, int h, float min_score,
                             cb_face_list *out, cb_error *err)
{
    int rc = decode_head(&outs[0], &outs[1], w, h, 16, 2, min_score, out, err);
    if (rc == 0)
        rc = decode_head(&outs[2], &outs[3], w, h, 32, 6, min_score, out, err);
    return rc;
}

enum { FULL_STRIDE = 4 };

int cb_decode_blazeface_full(const cb_tensor *outs, int w, int h, float min_score,
                             cb_face_list *out, cb_error *err)
{
    return decode_head(&outs[0], &outs[1], w, h, FULL_STRIDE, 1, min_score, out, err);
}

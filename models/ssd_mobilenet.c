/*
 * ssd_mobilenet.c - face-api.js's SSD MobileNetV1 face detector, converted to
 * ONNX by models/convert_ssd_mobilenetv1.py.
 *
 * ONNX contract (kept by the converter): input "input", NCHW 1x3x512x512 RGB
 * normalised as face-api does (x * 0.007843137718737125 - 1); outputs
 * "boxes" (1xNx4, [ymin, xmin, ymax, xmax] in 0..1, anchors already decoded)
 * and "scores" (N sigmoid face probabilities).
 */
#include <stdlib.h>

#include "cv_bridge.h"
#include "face_models.h"

struct cb_ssd {
    cb_cv_net *net;
    float *input; /* 1x3x512x512 */
};

static const char *const output_names[] = {"boxes", "scores"};

int cb_ssd_open(const char *onnx_path, cb_ssd **out, cb_error *err)
{
    *out = NULL;
    cb_ssd *m = calloc(1, sizeof *m);
    if (!m)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    m->input = malloc(sizeof(float) * 3 * CB_SSD_INPUT * CB_SSD_INPUT);
    int rc = m->input ? 0 : cb_error_set(err, CB_ENOMEM, "out of memory");
    if (rc < 0)
        goto fail;
    rc = cb_cv_net_open(onnx_path, &m->net, err);
    if (rc < 0)
        goto fail;
    *out = m;
    return 0;
fail:
    cb_ssd_close(m);
    return rc;
}

void cb_ssd_close(cb_ssd *m)
{
    if (!m)
        return;
    cb_cv_net_close(m->net);
    free(m->input);
    free(m);
}

int cb_ssd_detect(cb_ssd *m, const uint8_t *bgr, int stride, float min_score, cb_face_list *out,
                  cb_error *err)
{
    const int s = CB_SSD_INPUT;
    const size_t plane = (size_t)s * s;
    for (int y = 0; y < s; y++) {
        const uint8_t *row = bgr + (size_t)y * stride;
        float *r = m->input + (size_t)y * s, *g = r + plane, *b = g + plane;
        for (int x = 0; x < s; x++) {
            r[x] = row[3 * x + 2] * 0.007843137718737125f - 1.0f;
            g[x] = row[3 * x + 1] * 0.007843137718737125f - 1.0f;
            b[x] = row[3 * x + 0] * 0.007843137718737125f - 1.0f;
        }
    }
    const int shape[4] = {1, 3, s, s};
    cb_tensor t[2];
    int rc = cb_cv_net_forward(m->net, m->input, shape, 4, 2, output_names, t, err);
    if (rc < 0)
        return rc;
    size_t n = t[1].count;
    if (n == 0 || t[0].count != n * 4) {
        rc = cb_error_set(err, CB_EMODEL, "SSD: unexpected output size");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        float score = t[1].data[i];
        if (score < min_score)
            continue;
        const float *b = t[0].data + 4 * i;
        float y0 = b[0] * s, x0 = b[1] * s, y1 = b[2] * s, x1 = b[3] * s;
        if (x1 - x0 < 1.f || y1 - y0 < 1.f)
            continue;
        cb_face f = {.x = x0, .y = y0, .w = x1 - x0, .h = y1 - y0, .score = score,
                     .detectors = CB_DET_SSD};
        rc = cb_face_list_push(out, &f, err);
        if (rc < 0)
            goto done;
    }
done:
    cb_tensor_release(&t[0]);
    cb_tensor_release(&t[1]);
    return rc;
}

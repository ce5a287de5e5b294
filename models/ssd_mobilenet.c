/*
 * ssd_mobilenet.c - decoding face-api.js's SSD MobileNetV1 face detector,
 * converted to ONNX by models/convert_ssd_mobilenetv1.py (face_models.h).
 *
 * ONNX contract (kept by the converter): input "input", NCHW 1x3x512x512 RGB
 * normalised as face-api does (x * 0.007843137718737125 - 1); outputs
 * "boxes" (1xNx4, [ymin, xmin, ymax, xmax] in 0..1, anchors already decoded)
 * and "scores" (N sigmoid face probabilities).
 */
#include "cv_bridge.h"
#include "face_models.h"

int cb_decode_ssd(const cb_tensor *outs, int w, int h, float min_score, cb_face_list *out,
                  cb_error *err)
{
    const cb_tensor *boxes = &outs[0], *scores = &outs[1];
    size_t n = scores->count;
    if (n == 0 || boxes->count != n * 4)
        return cb_error_set(err, CB_EMODEL, "SSD: unexpected output size");
    for (size_t i = 0; i < n; i++) {
        float score = scores->data[i];
        if (score < min_score)
            continue;
        const float *b = boxes->data + 4 * i;
        float y0 = b[0] * (float)h, x0 = b[1] * (float)w, y1 = b[2] * (float)h,
              x1 = b[3] * (float)w;
        if (x1 - x0 < 1.f || y1 - y0 < 1.f)
            continue;
        cb_face f = {.x = x0, .y = y0, .w = x1 - x0, .h = y1 - y0, .score = score,
                     .detectors = CB_DET_SSD};
        int rc = cb_face_list_push(out, &f, err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

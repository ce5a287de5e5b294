/*
 * ultraface.c - decoding UltraFace RFB-320 (face_models.h).
 *
 * models/convert_ultraface.py cuts faceplugin's fr_detect.onnx at its eight
 * head convolutions; this file does what the removed nodes did, for any
 * input size: make the SSD priors and decode the boxes.
 *
 * Heads, each a pair of NCHW maps of GH x GW cells (the input size divided
 * by the stride, rounded up), in the order cls8, box8, cls16, box16, cls32,
 * box32, cls64, box64:
 *   stride  8: priors 10, 16, 24 px      stride 32: priors 64, 96 px
 *   stride 16: priors 32, 48 px          stride 64: priors 128, 192, 256 px
 * Square priors centred at ((x + 0.5) W / GW, (y + 0.5) H / GH): cell pitch
 * the input size over the cell count, as Linzaer's priors ("shrinkage" =
 * image size / feature map size; the stride itself when the size is a
 * multiple of it, 30 and 60 px vertically at 240 px high). For prior
 * a of a cell, channels 2a, 2a + 1 of the cls map are the (background,
 * face) logits (the score is their softmax), channels 4a .. 4a + 3 of the
 * box map the SSD offsets (dcx, dcy, dw, dh) with variances 0.1 and 0.2:
 *   cx = pcx + dcx 0.1 size, w = size exp(dw 0.2)   (likewise y, h)
 * as in Linzaer's Ultra-Light-Fast-Generic-Face-Detector-1MB (box_utils.py)
 * and the decoding graph of fr_detect.onnx. No landmarks.
 */
#include <math.h>

#include "cv_bridge.h"
#include "face_models.h"

#define CENTER_VARIANCE 0.1f
#define SIZE_VARIANCE 0.2f

typedef struct head {
    int stride;
    int n_priors;
    float sizes[3];
} head;

static const head heads[4] = {
    {8, 3, {10, 16, 24}}, {16, 2, {32, 48}}, {32, 2, {64, 96}}, {64, 3, {128, 192, 256}},
};

static int decode_head(const head *hd, const cb_tensor *cls, const cb_tensor *box, int w, int h,
                       float min_score, cb_face_list *out, cb_error *err)
{
    const int gw = (w + hd->stride - 1) / hd->stride, gh = (h + hd->stride - 1) / hd->stride;
    const size_t cells = (size_t)gw * gh;
    if (cls->ndim != 4 || box->ndim != 4 || cls->shape[2] != gh || cls->shape[3] != gw ||
        cls->count != cells * 2 * hd->n_priors || box->count != cells * 4 * hd->n_priors)
        return cb_error_set(err, CB_EMODEL, "UltraFace: unexpected output size");
    /* score >= min_score  <=>  face logit - background logit >= logit(min_score) */
    const float s = min_score < 1e-6f ? 1e-6f : min_score > 0.999999f ? 0.999999f : min_score;
    const float min_margin = logf(s / (1.0f - s));
    const float pitch_x = (float)w / (float)gw, pitch_y = (float)h / (float)gh;
    for (int a = 0; a < hd->n_priors; a++) {
        const float *bg = cls->data + (size_t)(2 * a) * cells, *fg = bg + cells;
        const float *d = box->data + (size_t)(4 * a) * cells;
        const float size = hd->sizes[a];
        for (size_t i = 0; i < cells; i++) {
            const float margin = fg[i] - bg[i];
            if (margin < min_margin)
                continue;
            float pcx = ((float)(i % (size_t)gw) + 0.5f) * pitch_x;
            float pcy = ((float)(i / (size_t)gw) + 0.5f) * pitch_y;
            float cx = pcx + d[i] * CENTER_VARIANCE * size;
            float cy = pcy + d[i + cells] * CENTER_VARIANCE * size;
            float bw = size * expf(d[i + 2 * cells] * SIZE_VARIANCE);
            float bh = size * expf(d[i + 3 * cells] * SIZE_VARIANCE);
            if (!(bw >= 1.f && bh >= 1.f) || !isfinite(bw) || !isfinite(bh))
                continue;
            cb_face f = {.x = cx - bw / 2, .y = cy - bh / 2, .w = bw, .h = bh,
                         .score = 1.0f / (1.0f + expf(-margin)), .detectors = CB_DET_ULTRAFACE};
            int rc = cb_face_list_push(out, &f, err);
            if (rc < 0)
                return rc;
        }
    }
    return 0;
}

int cb_decode_ultraface(const cb_tensor *outs, int w, int h, float min_score, cb_face_list *out,
                        cb_error *err)
{
    for (int k = 0; k < 4; k++) {
        int rc = decode_head(&heads[k], &outs[2 * k], &outs[2 * k + 1], w, h, min_score, out,
                             err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

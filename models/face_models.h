/*
 * face_models.h - the face detection networks, each run on one square,
 * already-resized BGR input. The detector (detector.h) does the scaling,
 * tiling and merging; these only turn pixels into candidate boxes.
 *
 * Boxes and landmarks come back in input pixels (0..input size). Each
 * handle owns an OpenCV network and is not thread-safe.
 */
#ifndef CB_FACE_MODELS_H
#define CB_FACE_MODELS_H

#include <stdint.h>

#include "../common/cb_error.h"
#include "face.h"

/* ---- MediaPipe BlazeFace, back-camera ("full") model, 256x256 ---------- */

enum { CB_BLAZEFACE_INPUT = 256 };
#define CB_BLAZEFACE_FILE "blazeface_back_256.onnx"

typedef struct cb_blazeface cb_blazeface;

/* Load from an ONNX path (already hash-checked). CB_EMODEL on failure. */
int cb_blazeface_open(const char *onnx_path, cb_blazeface **out, cb_error *err);

/*
 * Run on a 256x256 BGR image. Appends to out every anchor whose score is at
 * least min_score (before NMS), with 6 landmarks. Returns 0 or a negative code.
 */
int cb_blazeface_detect(cb_blazeface *m, const uint8_t *bgr, int stride, float min_score,
                        cb_face_list *out, cb_error *err);

/* Free. Accepts NULL. */
void cb_blazeface_close(cb_blazeface *m);

/* ---- face-api.js SSD MobileNetV1, 512x512 (converted to ONNX) ---------- */

enum { CB_SSD_INPUT = 512 };
#define CB_SSD_FILE "ssd_mobilenetv1.onnx"

typedef struct cb_ssd cb_ssd;

/* Load from an ONNX path (already hash-checked). CB_EMODEL on failure. */
int cb_ssd_open(const char *onnx_path, cb_ssd **out, cb_error *err);

/* Run on a 512x512 BGR image; appends candidates scoring at least min_score
 * (before NMS), without landmarks. Returns 0 or a negative code. */
int cb_ssd_detect(cb_ssd *m, const uint8_t *bgr, int stride, float min_score, cb_face_list *out,
                  cb_error *err);

/* Free. Accepts NULL. */
void cb_ssd_close(cb_ssd *m);

#endif

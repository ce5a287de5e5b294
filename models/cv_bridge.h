/*
 * cv_bridge.h - the only door to OpenCV (implemented in cv_bridge.cpp, the
 * one C++ file of the project).
 *
 * Everything here is plain C: opaque handles, caller-owned buffers, an int
 * status and a cb_error. No C++ exception crosses this boundary: each
 * function catches cv::Exception, std::exception and anything else and turns
 * it into CB_EMODEL / CB_ENOMEM / CB_EINTERNAL with the message copied into
 * err. Images are 8-bit BGR, row-major, with an explicit stride in bytes.
 */
#ifndef CB_CV_BRIDGE_H
#define CB_CV_BRIDGE_H

#include <stddef.h>
#include <stdint.h>

#include "../common/cb_error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- threads ------------------------------------------------------------ */

/* How many threads OpenCV's own parallel loops may use (process-wide;
 * 0 = OpenCV's default). Callers that run their own worker threads set 1. */
void cb_cv_set_threads(int n);

/* ---- neural networks (cv::dnn) ---------------------------------------- */

typedef struct cb_cv_net cb_cv_net;

/*
 * Load an ONNX model. Returns 0 and a new handle in *out (close with
 * cb_cv_net_close), or CB_EMODEL when the file cannot be read or parsed (or
 * parses into an empty network), with the path in err->msg.
 * The handle is not thread-safe: use one per thread.
 */
int cb_cv_net_open(const char *onnx_path, cb_cv_net **out, cb_error *err);

/* Free a network. Accepts NULL. */
void cb_cv_net_close(cb_cv_net *net);

#define CB_TENSOR_MAX_DIMS 6

/* A dense float32 tensor. data is malloc'd by the bridge; free with cb_tensor_release. */
typedef struct cb_tensor {
    float *data;
    size_t count;                  /* number of elements */
    int ndim;
    int shape[CB_TENSOR_MAX_DIMS];
} cb_tensor;

/* Free t->data and zero the struct. Accepts NULL and an already released tensor. */
void cb_tensor_release(cb_tensor *t);

/*
 * Run the network on one float32 input of the given shape (copied; not kept).
 * Fills outputs[i] with the output named output_names[i] (n_outputs of them;
 * names as in the ONNX graph). On failure every output is left released
 * (data NULL) and a negative code is returned.
 */
int cb_cv_net_forward(cb_cv_net *net, const float *input, const int *shape, int ndim,
                      int n_outputs, const char *const *output_names, cb_tensor *outputs,
                      cb_error *err);

/* ---- image operations (cv::imgproc) ----------------------------------- */

/*
 * Resize an image of `channels` (1, or 3 as BGR) interleaved bytes per
 * pixel (bilinear when enlarging, area when shrinking) into a
 * caller-allocated destination. Returns 0 or a negative code.
 */
int cb_cv_resize(const uint8_t *src, int sw, int sh, int sstride, uint8_t *dst, int dw, int dh,
                 int dstride, int channels, cb_error *err);

/* How cb_cv_place_bgr fills the destination around the placed picture. */
enum { CB_CV_BORDER_CONSTANT, /* mid grey (127) */
       CB_CV_BORDER_REPLICATE, /* the edge pixel repeated */
       CB_CV_BORDER_REFLECT /* mirrored at the edge (edge pixel not repeated) */ };

/*
 * Scale a BGR image (sw x sh) to dw x dh (bilinear when enlarging, area when
 * shrinking), write it at (dx, dy) into a caller-allocated dw_all x dh_all
 * destination and fill every other destination pixel by `border`. The
 * placed rectangle must lie inside the destination. Returns 0, CB_EINVAL or
 * another negative code.
 */
int cb_cv_place_bgr(const uint8_t *src, int sw, int sh, int sstride, uint8_t *dst, int dw_all,
                    int dh_all, int dstride, int dx, int dy, int dw, int dh, int border,
                    cb_error *err);

/*
 * The window (wx, wy, ww, wh) of the picture cb_cv_place_bgr would make with
 * the same src, dx, dy, dw, dh and border, written into a caller-allocated
 * ww x wh destination, without making the rest of it: a tile of a large
 * enlarged picture costs only its own memory. Enlarging only (dw >= sw,
 * dh >= sh; bilinear, the same pixels as cb_cv_place_bgr up to rounding).
 * Returns 0, CB_EINVAL or another negative code.
 */
int cb_cv_place_bgr_window(const uint8_t *src, int sw, int sh, int sstride, int dx, int dy,
                           int dw, int dh, int border, int wx, int wy, int ww, int wh,
                           uint8_t *dst, int dstride, cb_error *err);

/*
 * Warp a BGR image with the affine map m (2x3, row-major: x' = m[0]x + m[1]y
 * + m[2], y' = m[3]x + m[4]y + m[5]) from source pixel coordinates to
 * destination pixel coordinates (pixel centres at integer coordinates, as in
 * cv::warpAffine without WARP_INVERSE_MAP) into a caller-allocated dw x dh
 * destination. Bilinear interpolation; destination pixels whose source lies
 * outside the image repeat the nearest edge pixel (BORDER_REPLICATE). No
 * anti-aliasing: when m shrinks by more than about 2x, shrink the source
 * first (cb_cv_resize). Returns 0, CB_EINVAL (bad sizes, a singular m) or
 * another negative code.
 */
int cb_cv_warp_affine_bgr(const uint8_t *src, int sw, int sh, int sstride, const double m[6],
                          uint8_t *dst, int dw, int dh, int dstride, cb_error *err);

/*
 * Gaussian-blur a region of `channels` (1, or 3 as BGR) interleaved bytes
 * per pixel in place (kernel sized from sigma; borders replicated from
 * inside the region only). A sigma above 6 pixels is applied
 * to the region shrunk by sigma / 3 (area averaging) and the result enlarged
 * again (bilinear): the same blur to within what a blur that strong keeps,
 * at a cost that no longer grows with sigma. Returns 0 or a negative code.
 */
int cb_cv_gaussian_blur(uint8_t *data, int w, int h, int stride, int channels, double sigma,
                        cb_error *err);

/* ---- Haar cascades (cv::CascadeClassifier) ---------------------------- */

typedef struct cb_cv_cascade cb_cv_cascade;

/* Load a cascade XML (e.g. from Debian's opencv-data). CB_EMODEL if unusable. */
int cb_cv_cascade_open(const char *xml_path, cb_cv_cascade **out, cb_error *err);

/* Free a cascade. Accepts NULL. */
void cb_cv_cascade_close(cb_cv_cascade *c);

/* One detection: x, y, w, h in pixels. */
typedef struct cb_cv_rect {
    int x, y, w, h;
} cb_cv_rect;

/*
 * Detect objects in a BGR image, objects at least min_size px. Writes up to
 * max_rects rectangles and sets *n_rects (never more than max_rects).
 */
int cb_cv_cascade_detect(cb_cv_cascade *c, const uint8_t *bgr, int w, int h, int stride,
                         int min_size, cb_cv_rect *rects, int max_rects, int *n_rects,
                         cb_error *err);

#ifdef __cplusplus
}
#endif

#endif

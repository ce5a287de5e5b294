/*
 * redact.h - make faces unrecognisable, irreversibly.
 *
 * The region is an ellipse somewhat larger than the face box (so hair line,
 * ears and chin go too). Inside it the pixels are replaced; outside it
 * nothing changes. Styles:
 *   CB_REDACT_DEFAULT  pixelate (about 3 blocks across the face), then blur
 *                      the blocks, then add random noise: nothing of the
 *                      original detail survives and the block pattern cannot
 *                      be inverted;
 *   CB_REDACT_BLUR     strong Gaussian blur plus noise;
 *   CB_REDACT_PIXELATE coarse blocks plus noise;
 *   CB_REDACT_FILL     a flat grey ellipse.
 * Strength scales with the face size. Noise comes from a key drawn from
 * the kernel (getrandom) for each face (each track of a video), so two
 * runs differ and there is no fixed pattern to subtract.
 */
#ifndef CB_REDACT_H
#define CB_REDACT_H

#include <libavutil/frame.h>

#include "../common/cb_error.h"
#include "../models/face.h"

typedef enum cb_redact_style {
    CB_REDACT_DEFAULT = 0,
    CB_REDACT_BLUR,
    CB_REDACT_PIXELATE,
    CB_REDACT_FILL
} cb_redact_style;

/* Parse "default" (or "mosaic"), "blur", "pixelate", "fill". Returns 0 or CB_EINVAL. */
int cb_redact_style_parse(const char *name, cb_redact_style *out);

/* The name of a style, for reports. */
const char *cb_redact_style_name(cb_redact_style style);

/* The elliptical region redacted for one face, in picture pixels. */
typedef struct cb_redact_ellipse {
    float cx, cy; /* centre */
    float rx, ry; /* semi-axes */
    int x0, y0, x1, y1; /* bounding rectangle clipped to the picture, x1/y1 exclusive */
} cb_redact_ellipse;

/* The region for `face` in a w x h picture. */
void cb_redact_region(const cb_face *face, int w, int h, cb_redact_ellipse *out);

/* Whether the pixel (x, y) lies inside the region (the centre of the pixel is tested). */
int cb_redact_contains(const cb_redact_ellipse *e, int x, int y);

/*
 * Redact every face in `faces` (count of them) in an AV_PIX_FMT_BGR24 frame,
 * or an 8-bit YUV 4:2:0 one (AV_PIX_FMT_YUV420P / YUVJ420P: each plane
 * obfuscated alike, the chroma planes at their half size; a chroma pixel
 * whose centre lies in the region is replaced), in place. The frame must be
 * writable (av_frame_make_writable).
 * Returns 0, or CB_EINVAL / CB_ENOMEM / an OpenCV error; on error the frame
 * is partly redacted and must not be written out.
 */
int cb_redact_faces(AVFrame *frame, const cb_face *faces, int count, cb_redact_style style,
                    cb_error *err);

/*
 * The same with the noise of face i drawn from keys[i]: the same key gives
 * the same noise pattern, placed on the face's region so that it moves with
 * the region. For video: a redacted face keeps its noise from frame to frame
 * instead of flickering, which an encoder would spend many bits on (a clip
 * of large redacted faces came out 15 times the size with fresh noise in
 * every frame). Make each key with cb_redact_noise_key.
 */
int cb_redact_faces_keyed(AVFrame *frame, const cb_face *faces, const uint64_t *keys, int count,
                          cb_redact_style style, cb_error *err);

/*
 * The box of a face on a grid of about a twelfth of its size (edges moved
 * outwards), when the region of that box holds all of the face's own
 * region; else the face's box itself. A face that moves a little from frame
 * to frame is then redacted in exactly the same place, so that with a fixed
 * noise key (cb_redact_faces_keyed) its redaction stays the same picture
 * and costs an encoder next to nothing.
 */
cb_face cb_redact_steady_box(const cb_face *face);

/* A random key for cb_redact_faces_keyed (getrandom). Returns 0 or a negative code. */
int cb_redact_noise_key(uint64_t *key, cb_error *err);

#endif

/*
 * heif_in.h - read the primary image of a HEIF/HEIC or AVIF photo (what
 * phones save) as 8-bit RGB(A), upright, with libheif (Debian's
 * libheif 1.15: HEVC through libde265, AV1 through libaom - not dav1d,
 * libheif's first choice, which writes to stderr and leaks on a broken
 * file).
 *
 * - Only the primary image is read: thumbnails, depth maps, auxiliary
 *   images and the other images of a burst or collection are ignored (only
 *   the primary image is published).
 * - Orientation: the container's rotation and mirroring (irot, imir) and
 *   its crop (clap) are applied by libheif; the EXIF Orientation tag that
 *   phones also write describes the same turn and is not applied again (so
 *   the picture is turned exactly once).
 * - 10- and 12-bit images come out 8-bit; an image with alpha comes out
 *   RGBA (media_in.c puts it on white, as for PNG).
 * - Limits: libheif refuses a picture with a side over 16384 pixels from its
 *   header (CB_ETOOBIG: a panorama wider than that is refused even under
 *   the area limit); cb_heif_open gives the primary image's size, so that
 *   the caller checks its own limits before anything is decoded.
 * Called by media_in.h's cb_image_read for data whose first box says HEIF
 * or AVIF (cb_is_heif), which applies its limits, alpha and info as for
 * every other format. Errors: a negative code (CB_EDECODE, CB_ETOOBIG,
 * CB_ENOMEM) with a one-line message naming `path`. A handle is used by one
 * thread at a time.
 */
#ifndef CB_HEIF_IN_H
#define CB_HEIF_IN_H

#include <stddef.h>
#include <stdint.h>

#include <libavutil/frame.h>

#include "../common/cb_error.h"
#include <libavcodec/codec_id.h>

typedef struct cb_heif cb_heif;

/*
 * Open HEIF/AVIF data (not copied: it must outlive the handle; path only
 * names the file in messages and must too) and find its primary image:
 * 0 with *out and the picture's size as it will be decoded (turned and
 * cropped) in *width, *height; or a negative code, *out NULL.
 */
int cb_heif_open(const char *path, const uint8_t *data, size_t size, cb_heif **out, int *width,
                 int *height, cb_error *err);

/* The primary image's codec: AV_CODEC_ID_HEVC (HEIC) or AV_CODEC_ID_AV1 (AVIF). */
enum AVCodecID cb_heif_codec(const cb_heif *h);

/* Decode the primary image into a new AV_PIX_FMT_RGB24 frame (RGBA when it
 * has alpha), upright, 8-bit. Returns 0 or a negative code, *out NULL. */
int cb_heif_decode(cb_heif *h, AVFrame **out, cb_error *err);

/* Free. Accepts NULL. */
void cb_heif_close(cb_heif *h);

#endif

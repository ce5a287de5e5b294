/*
 * heif_in.h - read the primary image of a HEIF/HEIC or AVIF photo (what
 * phones save) into an upright 8-bit BGR frame, with libheif (Debian's
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
 * - 10- and 12-bit images come out 8-bit; alpha is composited onto white, as
 *   for PNG (a transparent area must not hide or reveal anything).
 * - Limits: libheif refuses a picture with a side over 16384 pixels from its
 *   header (CB_ETOOBIG: a panorama wider than that is refused even under
 *   the area limit); the primary image's size is checked against `limits`
 *   before it is decoded.
 * Called by media_in.h's cb_image_read for data whose first box says HEIF
 * or AVIF (cb_is_heif); the same contract: 0 and a new frame in *out, or a
 * negative code (CB_EDECODE, CB_ETOOBIG, CB_ETOOSMALL, CB_ENOMEM) with a
 * one-line message naming `path`, and *out NULL. Thread-safe (no state).
 */
#ifndef CB_HEIF_IN_H
#define CB_HEIF_IN_H

#include <stddef.h>
#include <stdint.h>

#include <libavutil/frame.h>

#include "../common/cb_error.h"
#include "media_in.h"

int cb_heif_read(const char *path, const uint8_t *data, size_t size,
                 const cb_image_limits *limits, AVFrame **out, cb_image_info *info,
                 cb_error *err);

#endif

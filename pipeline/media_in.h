/*
 * media_in.h - read a still image (JPEG, PNG, WebP, and whatever else FFmpeg's
 * image decoders handle; HEIF/HEIC and AVIF through libheif, heif_in.h) into
 * an upright 8-bit BGR frame.
 *
 * Decoding goes through libavformat/libavcodec (HEIF/AVIF: heif_in.h, whose
 * details apply to those); pixel conversion through libswscale. EXIF
 * orientation (JPEG/WebP "Orientation" tag, or a display matrix side data)
 * is applied before the frame is returned, so the frame shows the picture
 * the way a viewer would. Alpha is composited onto white
 * (a transparent area must not hide or reveal anything). The input file is
 * opened read-only and never modified.
 *
 * Details:
 * - The file is read into memory (at most 1 GiB) and the format is found by
 *   probing its content only: the extension, "%d" patterns and protocol
 *   prefixes in the path play no part. Only image demuxers (FFmpeg's
 *   *_pipe image formats, GIF, APNG, MJPEG) are accepted; a video or audio
 *   file is CB_EDECODE.
 * - Size limits are checked from the PNG/JPEG/WebP header before any decoder
 *   runs, and for other formats in the decoder's get_buffer2 (and through
 *   AVCodecContext.max_pixels) before a frame buffer is allocated.
 * - Truncation: FFmpeg 5.1 decodes a cut JPEG to a partial picture ("EOI
 *   missing, emulating") without flagging it, so JPEGs must have a complete
 *   marker structure up to EOI and PNGs a complete chunk list up to IEND,
 *   every chunk with a matching CRC; both are checked before the decoder
 *   runs, so the message says "truncated" / "bad CRC" rather than FFmpeg's
 *   "invalid data". Decoder error flags / AV_FRAME_FLAG_CORRUPT also give
 *   CB_EDECODE. Data after a JPEG's EOI is ignored.
 * - Not an image: the message says what the file looks like instead (an
 *   MP4/MOV without its moov index; an audio-only file; a damaged file of a format FFmpeg
 *   recognises; or nothing recognisable).
 * - Orientation: FFmpeg 5.1's mjpeg and webp decoders put EXIF tags in
 *   frame->metadata ("Orientation" = "    6", space padded); mjpeg also
 *   adds an AV_FRAME_DATA_DISPLAYMATRIX. The metadata tag is used first,
 *   then the display matrix. PNG eXIf chunks (ignored by FFmpeg 5.1) are read
 *   here.
 * - FFmpeg writes its own diagnostics through av_log (global, stderr by
 *   default); the program decides their level, this module does not.
 * - Threads: each call works on state of its own (its own demuxer and
 *   decoder, or libheif context); nothing is kept between calls.
 */
#ifndef CB_MEDIA_IN_H
#define CB_MEDIA_IN_H

#include <libavcodec/avcodec.h>
#include <libavutil/frame.h>

#include "../common/cb_error.h"

/* Limits checked before any pixel buffer is allocated. */
typedef struct cb_image_limits {
    int min_side;           /* smaller images are CB_ETOOSMALL (default 16) */
    long long max_pixels;   /* larger images are CB_ETOOBIG (default 100e6) */
} cb_image_limits;

#define CB_IMAGE_LIMITS_DEFAULT { 16, 100000000LL }

/* What was read, besides the pixels. */
typedef struct cb_image_info {
    enum AVCodecID codec_id;   /* decoder used, e.g. AV_CODEC_ID_MJPEG, _PNG, _WEBP;
                                  _HEVC for HEIC, _AV1 for AVIF */
    int src_width, src_height; /* as stored in the file, before orientation */
    int orientation;           /* EXIF orientation that was applied, 1 = none */
    int had_alpha;             /* source had an alpha channel or transparent palette
                                  entries (flattened on white); 0 for CMYK JPEG */
} cb_image_info;

/*
 * Decode the first frame of the image at `path`.
 *
 * On success returns 0 and sets *out to a new AV_PIX_FMT_BGR24 frame owned by
 * the caller (free with av_frame_free). `info` may be NULL. `limits` may be
 * NULL for the defaults.
 * On failure returns a negative code (CB_EDECODE for anything that is not a
 * decodable image, truncated or corrupt data, or an empty file; CB_ETOOBIG /
 * CB_ETOOSMALL for the limits; -errno when the file cannot be opened), leaves
 * *out NULL and fills err with a one-line reason that names the file.
 */
int cb_image_read(const char *path, const cb_image_limits *limits, AVFrame **out,
                  cb_image_info *info, cb_error *err);

#endif

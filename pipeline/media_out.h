/*
 * media_out.h - encode a BGR frame as a still image and write it atomically
 * (or, cb_image_encode, into memory).
 *
 * The output is written to a temporary file in the destination folder,
 * flushed (fsync), then renamed into place (and the folder fsynced). No
 * metadata from the input is carried over: the encoder starts from pixels
 * only, so EXIF (GPS, camera serials, ...) never reaches the output. On any
 * failure the temporary file is removed and no file appears at `path`.
 *
 * The temporary file is named ".NAME.<16 hex>.tmp" (leading dot, so a folder
 * watcher can ignore it), created O_EXCL with mode 0666 less the umask.
 * Without overwrite it is moved with renameat2(RENAME_NOREPLACE) (or, where
 * the file system lacks that, link() + unlink()), so an existing file is
 * never replaced even if it appears during the write. A failing fsync of the
 * folder after the rename is not reported (the file is complete and in place).
 * Encoders: JPEG = FFmpeg mjpeg, full-range YUV 4:4:4 at quality >= 90 else
 * 4:2:0, quality q mapped to qscale 1 + (100 - q) * 30 / 99 (92 -> 3); PNG =
 * rgb24; WebP = libwebp (lossy, its own RGB->YUV). Bit-exact mode: no encoder
 * version string in the file.
 */
#ifndef CB_MEDIA_OUT_H
#define CB_MEDIA_OUT_H

#include <stddef.h>
#include <stdint.h>

#include <libavcodec/avcodec.h>
#include <libavutil/frame.h>

#include "../common/cb_error.h"

typedef struct cb_image_write_opts {
    enum AVCodecID codec_id; /* AV_CODEC_ID_MJPEG, AV_CODEC_ID_PNG or AV_CODEC_ID_WEBP */
    int quality;             /* 1..100, JPEG/WebP quality (default 92 when 0) */
    int overwrite;           /* 0: fail with CB_EEXIST if path exists */
} cb_image_write_opts;

/*
 * Encode `frame` (AV_PIX_FMT_BGR24, not modified, still owned by the caller)
 * and write it to `path` as described above.
 * Returns 0, or CB_EEXIST (path exists and !overwrite), CB_EFORMAT (codec not
 * supported), CB_EENCODE, or -errno from the file system (e.g. -ENOSPC,
 * -EACCES), with err naming the path and the reason.
 */
int cb_image_write(const char *path, const AVFrame *frame, const cb_image_write_opts *opts,
                   cb_error *err);

/*
 * Encode `frame` exactly as cb_image_write would (same encoder set-up;
 * opts->overwrite is ignored) into memory instead of a file: *data is a new
 * malloc'd buffer of *size bytes holding the whole file (free() it). For
 * thumbnails inlined in a report. Returns 0, or CB_EINVAL, CB_EFORMAT,
 * CB_EENCODE, CB_ENOMEM with err set ("image: ..."); then *data is NULL and
 * *size 0.
 */
int cb_image_encode(const AVFrame *frame, const cb_image_write_opts *opts, uint8_t **data,
                    size_t *size, cb_error *err);

/*
 * The codec to use for an output named like `path` (by extension: .jpg/.jpeg,
 * .png, .webp; case-insensitive). Returns AV_CODEC_ID_NONE if unknown.
 */
enum AVCodecID cb_image_codec_for_path(const char *path);

/* The usual file extension (without dot) for a still-image codec, or NULL. */
const char *cb_image_extension_for_codec(enum AVCodecID codec_id);

#endif

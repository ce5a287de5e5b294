/*
 * frame_util.h - small picture helpers shared by the still-image reader
 * (media_in.c) and the video reader (video_in.c): turning a display matrix
 * into an orientation, turning a BGR24 frame upright, and setting up the
 * YUV -> RGB conversion with the right matrix and range.
 *
 * Orientations are numbered as in EXIF: 1 none, 2 mirror (left-right),
 * 3 rotate 180, 4 flip (top-bottom), 5 transpose, 6 rotate 90 clockwise,
 * 7 transverse, 8 rotate 90 counterclockwise - the transform that makes the
 * stored picture look the way a viewer shows it.
 */
#ifndef CB_FRAME_UTIL_H
#define CB_FRAME_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include <libavutil/buffer.h>
#include <libavutil/frame.h>
#include <libavutil/pixfmt.h>

struct SwsContext;

/*
 * The orientation (1..8) that a display matrix (AV_PKT_DATA_DISPLAYMATRIX /
 * AV_FRAME_DATA_DISPLAYMATRIX, nine int32) asks for, read the way FFmpeg's
 * own autorotation reads it (a negative determinant is a mirror). Rotations
 * that are not within a degree of a multiple of 90 (and degenerate matrices)
 * give 1: the picture is used as stored. *rotation_cw (may be NULL) gets the
 * clockwise rotation part in degrees, 0/90/180/270 (after the mirror, for 2,
 * 4, 5, 7).
 */
int cb_orientation_from_display_matrix(const int32_t matrix[9], int *rotation_cw);

/*
 * A new frame (owned by the caller) holding `src` (AV_PIX_FMT_BGR24, or
 * 8-bit YUV 4:2:0: YUV420P / YUVJ420P; not modified) turned by orientation
 * o (1..8; 5-8 swap width and height), in the same format. Only the pixels
 * (and for YUV its matrix and range) are copied: no timestamps or side
 * data. Returns 0 or AVERROR(ENOMEM) / AVERROR(EINVAL).
 */
int cb_frame_orient(const AVFrame *src, int o, AVFrame **out);

/*
 * av_frame_get_buffer(frame, 0) for a frame whose format, width and height
 * are set, with every byte of the new buffers set to zero, alignment padding
 * included. Encoders and swscale read the padding past the right edge (JPEG
 * macroblocks, SIMD loads); zeroed padding keeps the output bytes a function
 * of the picture alone. Returns 0 or a negative AVERROR, as
 * av_frame_get_buffer does; the frame keeps ownership of the buffers.
 */
int cb_frame_get_zeroed_buffer(AVFrame *frame);

/*
 * A swscale context converting frames like `in` (its format, size, colour
 * matrix and range) to dst_w x dst_h in `dst` (an RGB format): bicubic,
 * accurate rounding, full chroma interpolation; or with `fast`, swscale's
 * SIMD path (bilinear, chroma as stored, rounding within a level or two:
 * several times faster, for pictures that are only analysed, never shown).
 * The deprecated yuvj formats are taken as yuv + full range. A YUV source with an unspecified or unknown
 * matrix uses `default_colorspace` (SWS_CS_ITU601 or SWS_CS_ITU709). Returns
 * NULL when swscale cannot do it. Free with sws_freeContext.
 */
struct SwsContext *cb_sws_to_rgb(const AVFrame *in, int dst_w, int dst_h, enum AVPixelFormat dst,
                                 int default_colorspace, int fast);

/*
 * Give frame (format, width and height set; no buffers yet) a buffer from
 * *pool, made on first use for frames of that format and size (NULL: make
 * it). A video's frames then reuse a few buffers instead of each taking
 * fresh memory from the system (for a 1080p BGR frame 6 MB of page faults
 * and zeroing). The buffer is not cleared. Free the pool with
 * av_buffer_pool_uninit once no frame of it is wanted any more (frames
 * still out keep their buffers until they are freed). Returns 0 or
 * AVERROR(ENOMEM) / AVERROR(EINVAL).
 */
int cb_frame_get_pooled_buffer(AVFrame *frame, AVBufferPool **pool);

/*
 * Make frame writable (av_frame_make_writable) with a buffer from *pool
 * (cb_frame_get_pooled_buffer) when it is not: the pixels and properties
 * are copied. Returns 0 or a negative AVERROR.
 */
int cb_frame_make_writable_pooled(AVFrame *frame, AVBufferPool **pool);

/* Is this libavformat demuxer name one that reads still images (the
 * *_pipe image demuxers, image2, gif, apng, mjpeg)? */
int cb_is_image_demuxer(const char *name);

/*
 * Is this an ISO base media file (MP4, MOV, M4A, 3GP: an "ftyp" box first)
 * without a top-level "moov" box, that is, without its index? That is what
 * a recording or copy cut short before the end looks like when the index is
 * written last; FFmpeg only says "invalid data" then. The first form looks
 * at the bytes in memory, the second reads box headers of the open file fd
 * (its offset is not changed). Returns 1 or 0 (also when unsure).
 */
int cb_mp4_lacks_moov(const uint8_t *data, size_t size);
int cb_mp4_file_lacks_moov(int fd);

/* Is this a HEIF or AVIF still image (an "ftyp" box first whose major brand
 * is heic, heix, heim, heis, hevc, hevx, mif1, msf1, avif or avis: what
 * phones save photos as)? FFmpeg 5.1 reads neither. Returns 1 or 0. HEIF
 * files have no moov box, but cb_mp4_lacks_moov is 0 for them. */
int cb_is_heif(const uint8_t *data, size_t size);

#endif

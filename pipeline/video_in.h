/*
 * video_in.h - decode a video file into upright 8-bit BGR frames (or, for
 * encoding, the decoder's own YUV 4:2:0 pictures: cb_video_in_set_use), one
 * by one, with their timestamps, in presentation order.
 *
 * Containers and codecs: whatever Debian's FFmpeg demuxes and decodes (MP4,
 * MOV, MKV, WebM; H.264, HEVC, VP9, ...). The first video stream that is
 * not cover art (an attached picture) is used.
 * Rotation metadata (the display matrix side data of the stream) is applied:
 * a phone video recorded upright but stored rotated comes out upright, with
 * width and height swapped for 90/270 degrees. Every frame the decoder
 * outputs is returned - none dropped, none duplicated - with its own
 * timestamp (variable frame rate is kept as it is). The file is opened
 * read-only and never modified.
 *
 * Details:
 * - The format is found from the content only (the file is read through its
 *   own descriptor; the name, its extension and protocol prefixes play no
 *   part), and the demuxer may open no other file or URL (playlists and
 *   external references fail). Still-image demuxers (image2, *_pipe, gif,
 *   apng, mjpeg) are refused: those files are for media_in.h.
 * - Orientation: the stream's display matrix is read the way FFmpeg's own
 *   autorotation reads it (frame_util.h): rotations by 90/180/270 degrees
 *   and mirrored variants (EXIF orientations 2-8) are applied; any other
 *   angle (or a degenerate matrix) is ignored and the frames come out as
 *   stored (info.orientation 1, rotation 0).
 * - Colour: YUV with an unspecified matrix is taken as BT.709 for frames
 *   wider than 1279 or taller than 576 pixels, else BT.601 (what players do).
 *   If the stream changes resolution midway, later frames are scaled to the
 *   first size, so every frame has info's size.
 * - Timestamps: frame->pts is the decoder's best-effort timestamp. Where it
 *   is missing it is the previous one plus the frame's duration (or one
 *   frame at info.frame_rate, or one tick), 0 for the first frame; where it
 *   does not increase it is made the previous one plus one tick. So pts are
 *   strictly increasing.
 * - Errors are fail-closed: a demuxer or decoder error on the video stream
 *   ends the file with CB_EDECODE, and so does a frame that the decoder
 *   could only conceal (it flags it: decode_error_flags / AV_FRAME_FLAG_CORRUPT).
 *   Not caught: damage the demuxer skips without telling (a Matroska cluster
 *   whose header is destroyed is passed over, and its frames are simply
 *   missing from the output). A file whose index points past its end (an MP4/MOV
 *   cut short, moov at the front) is CB_EDECODE at open; a file with the moov
 *   at the end that is cut short has no moov and fails at open too. A stream
 *   that ends without a single frame is CB_EDECODE.
 * - Threads: the decoder uses FFmpeg's automatic frame + slice threading.
 *   A reader is used by one thread at a time (frame_reader.h hands one to
 *   a decoding thread of its own).
 * - FFmpeg writes its own diagnostics through av_log (global); the program
 *   decides their level, this module does not.
 */
#ifndef CB_VIDEO_IN_H
#define CB_VIDEO_IN_H

#include <libavcodec/avcodec.h>
#include <libavutil/frame.h>
#include <libavutil/rational.h>

#include "../common/cb_error.h"

typedef struct cb_video_in cb_video_in;

typedef struct cb_video_info {
    int width, height;        /* of the returned (upright) frames */
    int coded_width, coded_height; /* as stored */
    int rotation;             /* degrees clockwise applied to make it upright: 0, 90, 180, 270 */
    AVRational time_base;     /* of the returned frames' pts */
    AVRational frame_rate;    /* the stream's average (or nominal) rate; may be 0/1 */
    int64_t frames;           /* frame count the container states, 0 if unknown */
    double duration;          /* seconds, 0 if unknown */
    enum AVCodecID codec_id;  /* video codec */
    int audio_streams;        /* number of audio streams in the file */
    int other_streams;        /* subtitle, data, attachment streams, and video streams
                                 other than the one used (cover art included) */
    int orientation;          /* EXIF-style orientation applied (frame_util.h): 1 none,
                                 3/6/8 rotations, 2/4/5/7 mirrored; rotation above is
                                 its rotation part */
    AVRational sample_aspect_ratio; /* of the returned frames; 0/1 when unknown */
} cb_video_info;

/*
 * Is the file at path a video (a container with a video stream that is not a
 * single still image)? Probes the content, not the name. Returns 1, 0 (not
 * a recognised container, a still image, no video stream, only cover art),
 * or a negative code when it cannot be read at all (-ENOENT, -EACCES,
 * -EISDIR, ...; err names the file). It reads the header and stream
 * information only: a damaged file with a readable header is 1, and
 * cb_video_in_open then says what is wrong with it.
 */
int cb_video_probe(const char *path, cb_error *err);

/*
 * Open path and its first video stream. Returns 0, a new reader in *out
 * (close with cb_video_in_close) and *info filled; or CB_EDECODE (not a
 * video, no video stream, no decoder, truncated, empty), CB_ETOOBIG (frame
 * over max_pixels, 0 = default 36e6; checked from the stream header before
 * the decoder allocates anything, and again by the decoder), CB_ENOMEM,
 * -errno (cannot open), with err naming the file. info may be NULL.
 */
int cb_video_in_open(const char *path, long long max_pixels, cb_video_in **out,
                     cb_video_info *info, cb_error *err);

/*
 * The next frame, in presentation order: *frame is a new AV_PIX_FMT_BGR24
 * frame (or YUV420P, see cb_video_in_set_use) owned by the caller
 * (av_frame_free), upright, with frame->pts set (in info.time_base; the
 * decoder's best-effort timestamp, made strictly increasing: Timestamps
 * above) and frame->pkt_duration where known. Returns 0 with a frame, 1 at the end of the
 * stream (*frame NULL), or a negative code (CB_EDECODE for corrupt data that
 * the decoder cannot get past, CB_ETOOBIG for a frame over the limit,
 * CB_ENOMEM; the caller must then treat the file as failed). After an error
 * every later read fails too, with the same code; after the end it
 * returns 1 again.
 */
int cb_video_in_read(cb_video_in *v, AVFrame **frame, cb_error *err);

/* What the frames are read for (cb_video_in_set_use): */
typedef enum cb_video_use {
    /* BGR24, converted as exactly as swscale can (bicubic, accurate
     * rounding, full chroma interpolation): the default */
    CB_VIDEO_FOR_VIEWING = 0,
    /* BGR24 through swscale's fast SIMD path (a level or two off, chroma
     * bilinear: 1.4 ms instead of 10-18 for a 1080p frame here), for
     * pictures that are analysed (faces found and recognised), never shown */
    CB_VIDEO_FOR_ANALYSIS,
    /* a frame that the decoder gives as video_out.h encodes it -
     * AV_PIX_FMT_YUV420P, limited range, BT.709 (or unspecified in a picture
     * taken as BT.709, see Colour above), of the stream's first size - comes
     * as that YUV frame (a new reference to the decoder's picture, turned
     * upright if the file asks; make it writable before changing it), with
     * no conversion at all; every other frame as for viewing */
    CB_VIDEO_FOR_ENCODING
} cb_video_use;

/* Set what the frames are for, from the next read on. */
void cb_video_in_set_use(cb_video_in *v, cb_video_use use);

/* Close. Accepts NULL. */
void cb_video_in_close(cb_video_in *v);

#endif

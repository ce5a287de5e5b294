/*
 * video_out.h - encode upright BGR (or YUV 4:2:0) frames to an H.264 MP4, copy the input's
 * audio unchanged, and put the file in place atomically.
 *
 * Video: libx264, yuv420p, CRF and preset settable, each frame keeping the
 * pts it was given (so variable frame rate and the frame count are kept).
 * Audio: every audio stream of `audio_source` is copied packet by packet
 * (same codec, same timestamps), interleaved with the video. Subtitle, data
 * and attachment streams are dropped. No metadata from the input is carried
 * over (no GPS location, no device or creation tags, no chapters); the
 * output has no rotation (its frames are already upright).
 *
 * The file is written to a temporary ".NAME.<hex>.tmp" in the destination
 * folder; cb_video_out_finish flushes the encoder, writes the trailer, fsyncs
 * and renames it into place (never replacing an existing file unless
 * overwrite). Closing without a successful finish removes the temporary
 * file: no partial output ever appears under `path`.
 *
 * Details:
 * - Container by extension: .mov -> QuickTime, .mp4 / .m4v -> MP4 (case
 *   does not matter); anything else is CB_EFORMAT. "movflags +faststart"
 *   (the index is moved to the front in a second pass over the temporary
 *   file). Bit-exact mode: no "encoder" tag, no creation time.
 * - Video: the stream and encoder time base is info.time_base (the MP4/MOV
 *   muxer may use a finer multiple of it: it wants at least 10000 ticks a
 *   second), frames keep their pts exactly, dts comes from the encoder; no
 *   frame is dropped, duplicated or retimed. info.frame_rate only sets the
 *   nominal rate (rate control, the rate tag). yuv420p BT.709 limited range,
 *   tagged as such (primaries, transfer, matrix, range). An odd width or
 *   height is cropped by one pixel (4:2:0 needs even sizes); frames must
 *   still be info's size. info.sample_aspect_ratio is kept.
 * - Audio: audio_source is opened like video_in opens a file (content only,
 *   no other files), each audio stream's codec parameters copied (codec tag
 *   reset for the container) and its packets copied with their timestamps
 *   rescaled, interleaved by time with the video (audio is read up to the
 *   video frame being written). An audio codec the container cannot hold
 *   (e.g. PCM in MP4) is CB_EFORMAT naming the codec: nothing is skipped
 *   silently. Language, titles and every other tag are not copied.
 * - Errors from writing are -errno (e.g. -ENOSPC, -EACCES) where FFmpeg gives
 *   one, else CB_EENCODE; after any error the writer only accepts close.
 */
#ifndef CB_VIDEO_OUT_H
#define CB_VIDEO_OUT_H

#include <libavutil/frame.h>

#include "../common/cb_error.h"
#include "video_in.h"

typedef struct cb_video_out cb_video_out;

typedef struct cb_video_out_opts {
    int crf;                  /* libx264 CRF 0-51 (default 20 when < 0; > 51 is CB_EINVAL) */
    const char *preset;       /* libx264 preset (default "veryfast" when NULL) */
    int threads;              /* encoder threads, 0 = libx264's choice */
    int overwrite;            /* replace an existing file at path */
    const char *audio_source; /* file whose audio streams are copied; NULL: no audio */
} cb_video_out_opts;

/* Defaults as described above. */
void cb_video_out_opts_default(cb_video_out_opts *opts);

/*
 * Start writing path (.mp4 or .mov) for frames of info's size and time base
 * (info from cb_video_in_open). Returns 0 and a writer, or CB_EEXIST (path
 * exists, !overwrite), CB_EENCODE / CB_EFORMAT (no libx264, bad preset,
 * other extension, audio codec the container cannot hold), CB_EINVAL (bad
 * info or crf), CB_EDECODE / -errno (audio_source unreadable), -errno
 * (folder not writable, disk full), with err naming the path. The temporary
 * file exists from here on (with the header written).
 */
int cb_video_out_open(const char *path, const cb_video_info *info, const cb_video_out_opts *opts,
                      cb_video_out **out, cb_error *err);

/*
 * Encode one AV_PIX_FMT_BGR24 frame of info's size, or an AV_PIX_FMT_YUV420P
 * one whose samples are already BT.709 limited range (as
 * cb_video_in_set_use(CB_VIDEO_FOR_ENCODING) passes them on: encoded as they are, no
 * conversion); frame->pts in info.time_base, strictly increasing (else
 * CB_EINVAL). The frame is not modified (the encoder may keep a reference
 * to a YUV frame's buffers until it is done with them). Returns 0 or a
 * negative code (-ENOSPC, CB_EENCODE, ...).
 */
int cb_video_out_write(cb_video_out *v, const AVFrame *frame, cb_error *err);

/* Flush, copy the remaining audio, write the trailer, fsync, rename into
 * place. Returns 0 or a negative code (then nothing is at path; CB_EEXIST
 * when a file appeared there meanwhile and !overwrite; CB_EENCODE when no
 * frame was written). */
int cb_video_out_finish(cb_video_out *v, cb_error *err);

/* Close; removes the temporary file unless finish succeeded. Accepts NULL. */
void cb_video_out_close(cb_video_out *v);

#endif

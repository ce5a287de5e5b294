/*
 * frame_reader.h - decode a video on a thread of its own, a few frames ahead
 * of the caller, so that decoding (and work on each frame that needs no
 * other, such as redaction) overlaps with detection or encoding.
 *
 * Wraps a cb_video_in (video_in.h): a background thread reads frames into a
 * bounded queue (memory: `depth` frames at most); cb_frame_reader_next hands
 * them out in order. Errors of the decoder are handed out in their place in
 * the stream.
 */
#ifndef CB_FRAME_READER_H
#define CB_FRAME_READER_H

#include <libavutil/frame.h>

#include "../common/cb_error.h"
#include "video_in.h"

typedef struct cb_frame_reader cb_frame_reader;

/* Work done on each frame on the decoding thread, in order, before it is
 * queued: index = 0, 1, 2, ... Returns 0 or a negative code (err filled),
 * which ends the stream there as a decoder error would. */
typedef int (*cb_frame_prepare_fn)(void *ctx, AVFrame *frame, int64_t index, cb_error *err);

typedef struct cb_frame_reader_opts {
    long long max_pixels;        /* cb_video_in_open's limit (0: its default) */
    int depth;                   /* decoded frames kept ahead, >= 1 */
    cb_video_use use;            /* what the frames are for (cb_video_in_set_use) */
    cb_frame_prepare_fn prepare; /* may be NULL; called on the decoding thread */
    void *prepare_ctx;
} cb_frame_reader_opts;

/*
 * Open path as opts say and start decoding. Fills *info. Returns 0 or the
 * open error.
 */
int cb_frame_reader_open(const char *path, const cb_frame_reader_opts *opts,
                         cb_frame_reader **out, cb_video_info *info, cb_error *err);

/*
 * The next frame (owned by the caller, av_frame_free): 0 with a frame, 1 at
 * the end (*frame NULL), or the decoder's negative code (err filled). After
 * an error or the end, every later call returns the same.
 */
int cb_frame_reader_next(cb_frame_reader *r, AVFrame **frame, cb_error *err);

/* Stop the thread (if still running), free the queued frames, close. NULL ok. */
void cb_frame_reader_close(cb_frame_reader *r);

#endif

/*
 * video.h - one video, end to end, in two passes over the file.
 *
 *  1. Analyse: decode every frame (on a thread of its own), detect faces in
 *     every `detect_every`-th frame, link them into tracks (track.h), and
 *     embed a few faces of each track, spread over its life. The detector
 *     looks around every tracked face in each analysed frame, and spreads
 *     the search for the smallest faces (the finest tiles) over
 *     `scan_rounds` frames: a new small face is found within scan_rounds x
 *     detect_every frames, and its track is extended backwards over at least
 *     that many (so the frames before it was found are redacted too). A
 *     small face seen for fewer frames than that may be missed. No pixels are
 *     kept: memory does not grow with the length of the video beyond the
 *     tracks' boxes (track.h: 20 bytes per face per frame).
 *  2. Decide per track: a track stays visible only when every embedding
 *     taken from it recognises the same enrolled person, that person's
 *     consent is valid for the purpose (consent/judge.h), and no other track
 *     on screen at the same time is recognised as the same person. Otherwise
 *     the face is redacted in every frame the track covers - also the frames
 *     where the detector missed it (gaps filled) and a few frames before and
 *     after (extension).
 *  3. Render: decode again, redact every redacted track's box in each frame,
 *     encode (video_out.h: H.264, audio copied, metadata dropped, temp file
 *     and rename). Decoding, redaction and encoding run on separate threads.
 *
 * Fail closed: any error in either pass means no output file. Without a
 * judge every face is redacted. With out_path NULL only passes 1 and 2 run
 * (`check`).
 */
#ifndef CB_VIDEO_H
#define CB_VIDEO_H

#include "../common/cb_log.h"
#include "../consent/judge.h"
#include "../models/detector.h"
#include "redact.h"
#include "track.h"
#include "video_in.h"
#include "video_out.h"

typedef struct cb_video_opts {
    cb_redact_style style;
    int detect_every;        /* analyse every n-th frame (1 = all; default 1) */
    int scan_rounds;         /* spread the finest level of the tiled search over this
                                many analysed frames (cb_detector_detect_part; default
                                6); tracked faces are looked for in every one */
    int embed_every;         /* embed a track's face every n-th detection (default 8) */
    int max_embeddings;      /* at most this many per track (default 8) */
    long long max_pixels;    /* frame size limit (0: video_in's default) */
    cb_tracker_opts track;
    cb_video_out_opts out;
    const cb_logger *log;    /* may be NULL */
    /* Progress: called after each frame of each pass (pass 1 or 2); may be NULL. */
    void (*progress)(void *user, int pass, int64_t frame, int64_t frames);
    void *progress_user;
} cb_video_opts;

void cb_video_opts_default(cb_video_opts *opts);

/* What was decided about one track. */
typedef struct cb_video_track {
    int id;
    int64_t first, last;     /* frames covered */
    int detections;
    int samples;             /* embeddings taken */
    int recognised;          /* of those, how many recognised the track's person */
    float box[4];            /* x, y, w, h of the track's largest detection */
    cb_verdict verdict;      /* keep or redact, and why */
} cb_video_track;

typedef struct cb_video_result {
    cb_video_info info;
    int64_t frames;          /* frames decoded (and, with output, encoded) */
    int64_t frames_analysed; /* frames the detector ran on */
    cb_video_track *tracks;  /* owned; cb_video_result_free */
    int n_tracks;
    int kept, redacted;      /* tracks */
    double seconds_analyse, seconds_render;
    /* Where the time went, seconds of the whole run. `wait` is the time
     * the pass stood waiting for its next decoded frame (decoding runs on a
     * thread of its own: this is the part it did not hide), per pass. */
    struct {
        double wait[2], detect, track, embed, redact, encode;
    } stage;
} cb_video_result;

/*
 * Process in_path into out_path (NULL: analyse and decide only). judge NULL:
 * every face redacted. result (may be NULL) is filled as far as the run got.
 * Returns 0 or a negative code with err naming the file; on error nothing is
 * left at out_path.
 */
int cb_video_process(cb_detector *det, cb_judge *judge, const char *in_path,
                     const char *out_path, const cb_video_opts *opts, cb_video_result *result,
                     cb_error *err);

/* Free what a result owns and zero it. Accepts NULL. */
void cb_video_result_free(cb_video_result *result);

#endif

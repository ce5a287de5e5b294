/*
 * video.h - one video, end to end, in two passes over the file.
 *
 *  Pass 1, analyse: decode every frame (swscale's fast conversion to
 *     BGR: these pictures are only analysed), detect faces in every
 *     `detect_every`-th frame, link them into tracks (track.h), and embed
 *     faces of each track for recognition. The detector looks around
 *     every tracked face in each analysed frame, and spreads the scan of
 *     the whole picture (every level of its pyramid) over `scan_rounds`
 *     frames (cb_detector_detect_part): a new face is found within
 *     scan_rounds x detect_every frames, and every track is extended
 *     backwards and onwards over at least that many plus two (so the frames
 *     before it was found are redacted too). A face seen for fewer frames
 *     than that may be missed. A scene cut (scene_cut.h: the colours change
 *     wholesale between two frames) ends every track (none reaches across
 *     it) and that frame gets the whole scan at once. A track whose next
 *     face could as well be another track's (two faces crossing) ends there
 *     (track.h), so that no track carries a face that may be someone else's.
 *     Embeddings ("samples") are taken at a track's first detection, after
 *     any gap of more than two analysed frames, every embed_every-th
 *     detection for the first max_embeddings, and every 30th after that;
 *     a face partly covered by another's head waits for its next clear
 *     detection. No pixels are kept: memory does not grow with the length
 *     of the video beyond the tracks' boxes (track.h: 20 bytes per face per
 *     frame) and samples.
 *  Between the passes, decide per track: a track stays visible only when
 *     every embedding taken from it recognises the same enrolled person,
 *     that person's consent is valid for the purpose (recognise/judge.h), and
 *     no other track recognised as the same person was detected in the same
 *     frame at another place. Otherwise the face is redacted in every frame the track
 *     covers - also the frames where the detector missed it (gaps filled)
 *     and the extension before and after.
 *  Pass 2, render: decode again - frames the encoder takes as they are
 *     (8-bit 4:2:0, BT.709 limited range) stay YUV, with no conversion -
 *     redact every redacted track's region in each frame, and encode
 *     (video_out.h: H.264, audio copied, metadata dropped, temp file and
 *     rename). A redacted face's region holds its boxes of 3 frames either
 *     side, on a grid of 1/12 of the face, with one noise pattern per
 *     track: the redaction is the same picture from frame to frame while
 *     the face moves a little, and costs the encoder next to nothing.
 * Threads: in each pass a decoding thread of its own (frame_reader.h)
 * reads the file a few frames ahead: it decodes (FFmpeg's decoder adds
 * threads of its own) and converts each frame as the pass wants it
 * (cb_video_in_set_use). In pass 1 that is all it
 * does: detection, tracking and recognition run on the caller's thread,
 * frame after frame (the networks may use threads of their own inside
 * each run). Deciding runs on the caller's thread. In pass 2 the decoding
 * thread also redacts each frame before it hands it over, and the caller's
 * thread encodes it (cb_video_out_write: libx264, which spreads the work
 * over frame threads of its own) and copies the audio.
 * Where the time went is in the result (`stage`) and, with a logger at
 * debug level, one line per video (ms per frame of each stage).
 *
 * Fail closed: any error in either pass means no output file. Without a
 * judge every face is redacted. With out_path NULL only pass 1 and the
 * decisions run (`check`).
 */
#ifndef CB_VIDEO_H
#define CB_VIDEO_H

#include "../common/cb_log.h"
#include "../recognise/judge.h"
#include "../models/detector.h"
#include "redact.h"
#include "track.h"
#include "video_in.h"
#include "video_out.h"

typedef struct cb_video_opts {
    cb_redact_style style;
    int detect_every;        /* analyse every n-th frame (1 = all; default 1) */
    int scan_rounds;         /* spread the scan of the whole picture over this many
                                analysed frames (cb_detector_detect_part; default 10);
                                tracked faces are looked for in every one */
    int embed_every;         /* embed a track's face every n-th detection (default 8) */
    int max_embeddings;      /* that many times (default 8); then every 30th detection */
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
    float *boxes;            /* x, y, w, h in each frame first..last (4 floats each), as
                                the tracker finished them; owned (cb_video_result_free) */
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

/* A region redacted by hand (`consentblur review`): a face's box in frames first..last. */
typedef struct cb_video_region {
    float x, y, w, h;
    int64_t first, last;
} cb_video_region;

/* What pass 2 redacts: the tracks with redact[i] set (as cb_video_process
 * redacts a redacted track: its boxes of a few frames either side, on a grid,
 * one noise pattern per track), and each region in its frames. */
typedef struct cb_video_redactions {
    const cb_track *tracks;
    const uint8_t *redact;   /* one per track */
    int n_tracks;
    const cb_video_region *regions;
    int n_regions;
} cb_video_redactions;

/*
 * Pass 2 alone (redaction by hand, pipeline/review_redact.h): decode
 * in_path - width x height, `frames` frames, or it is refused as changed -
 * redact `what` and encode out_path as cb_video_process does (opts->out,
 * opts->style; audio copied from in_path). Returns 0 or a negative code;
 * on error nothing is left at out_path.
 */
int cb_video_render(const char *in_path, const char *out_path, const cb_video_redactions *what,
                    int width, int height, int64_t frames, const cb_video_opts *opts,
                    cb_error *err);

#endif

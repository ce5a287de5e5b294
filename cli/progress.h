/*
 * progress.h - how far each video has got, on stderr, for the commands that
 * process photos and videos: `redact`, `process` and `check` with -v, `batch`
 * and `watch`.
 *
 * A video is read twice (pipeline/video.h: pass 1 analyses, pass 2 decodes
 * again, redacts and encodes; `check` only analyses), so per video the
 * reporter shows the pass, its frames done / total, its frames per second,
 * the share of the whole job done and the time left (both passes decode
 * every frame: the frames still to decode, in both passes, over this pass's
 * rate; the render skips detection and is usually faster, so during the
 * analysis that is an upper bound). Two looks:
 *
 *  - in place (a terminal): status lines at the bottom, redrawn at most 4
 *    times a second: a head (batch's bar), then a line per video under way,
 *    "trip.mp4: analyse 120/300 frames, 31.2 fps, 20%, 0:24 left";
 *  - lines (not a terminal; the watch folder's journal): per video a line
 *    at most every 10 seconds, one when the analysis is complete, and one at
 *    the end: "consentblur: trip.mp4: 600 frames in 19.4 s, 30.9 fps".
 *
 * One cb_progress per command, shared by its threads: every write to the
 * stream goes through its mutex, so several videos (batch --jobs) and log
 * lines (cb_progress_route_log) never garble each other. One
 * cb_progress_video per worker (pipeline/job.h), opened before the worker so
 * that the worker's copy of the video options carries the callback.
 * Every function accepts NULL for the reporter and then does nothing (a
 * command without progress passes NULL everywhere), except where it says.
 */
#ifndef CB_PROGRESS_H
#define CB_PROGRESS_H

#include <stdint.h>
#include <stdio.h>

#include "../pipeline/job.h"
#include "cli.h"

typedef struct cb_progress cb_progress;
typedef struct cb_progress_video cb_progress_video;

/* A reporter writing to f: in place (in_place, f a terminal) or as lines.
 * Returns 0 or CB_ENOMEM. */
int cb_progress_open(FILE *f, int in_place, cb_progress **out, cb_error *err);

/* Close: in place, the status lines are cleared but for the head (batch's
 * last bar), which stays. Accepts NULL. */
void cb_progress_close(cb_progress *p);

/* The first status line (batch's bar; copied, cut at 255 bytes), redrawn
 * at once. Only in place; as lines, nothing. */
void cb_progress_set_head(cb_progress *p, const char *head);

/* One line (no newline) that stays: in place it goes above the status lines.
 * With p NULL, straight to stderr. */
void cb_progress_print(cb_progress *p, const char *line);

/* Send log's lines through p (as "consentblur: LEVEL: line" lines, like the
 * default sink) so that they do not cut into the status lines. */
void cb_progress_route_log(cb_progress *p, cb_logger *log);

/*
 * For a command: *logged = *common and, when wanted, a reporter on stderr
 * (in place when in_place) that common's logger now goes through (use
 * logged from here on). NULL when not wanted or out of memory (then there
 * is simply no progress).
 */
cb_progress *cb_progress_start(const cb_cli_common *common, int wanted, int in_place,
                               cb_cli_common *logged);

/* A video slot for one worker: sets opts->progress and ->progress_user.
 * p NULL: *out = NULL and opts untouched. Returns 0 or CB_ENOMEM. */
int cb_progress_video_open(cb_progress *p, cb_video_opts *opts, cb_progress_video **out,
                           cb_error *err);

/* Close (after the worker that calls it). Accepts NULL. */
void cb_progress_video_close(cb_progress_video *v);

/* A file begins under `name` (copied; photos too: nothing shows until a
 * video's first frame); passes: 2 when an output is written, 1 for `check`. */
void cb_progress_video_begin(cb_progress_video *v, const char *name, int passes);

/* The file ended with status rc and result r: for a video done, its line
 * "NAME: N frames in S s, F fps"; then it leaves the status line. */
void cb_progress_video_end(cb_progress_video *v, int rc, const cb_job_result *r);

/* Frames per second of a whole video job (frames over the seconds of both
 * passes), 0 when there were none: the --json "fps" and the end line. */
double cb_video_fps(int64_t frames, double seconds);

/* The seconds of both passes of a video result. */
double cb_video_seconds(const cb_video_result *r);

#endif

/*
 * track.h - link the faces found in a video's frames into tracks (one person
 * moving through the shot), so that the consent decision is made once per
 * track and applied to every frame of it, including the frames where the
 * detector missed the face.
 *
 * Frames are numbered 0, 1, 2, ... in presentation order. Feed the tracker
 * the detections of each analysed frame in increasing frame order (frames
 * that were not analysed are simply skipped). A detection joins the active
 * track whose last box it overlaps best (IoU, or a centre within half a face
 * of it with a similar size), else it starts a new track; a track that finds
 * no detection for more than max_gap frames ends. Where the pairing is in
 * doubt - the detection could as well join another track, or the track
 * take another detection (two faces crossing) - the track ends and the
 * detection starts a new one: a track never carries on with a face that may
 * be someone else's, so that each is judged on its own. A scene cut
 * (cb_tracker_cut) ends every track, and no track reaches across it.
 *
 * After the last frame, cb_tracker_finish turns each track into a box for
 * every frame it covers: gaps between detections are filled by linear
 * interpolation, the track is extended `extend` frames before its first and
 * `extend_after` frames after its last detection (the face may be there before the detector sees
 * it; not across a scene cut), and the boxes are smoothed over a few frames (no jitter) and widened
 * by the smoothing's possible lag. Memory: 20 bytes per track per covered
 * frame (a 10-minute 30 fps clip with 10 faces on screen: about 3.6 MB); no
 * pixels are kept.
 */
#ifndef CB_TRACK_H
#define CB_TRACK_H

#include <stdint.h>

#include "../common/cb_error.h"
#include "../models/face.h"

typedef struct cb_tracker_opts {
    int max_gap;        /* frames without a detection before a track ends (default 15) */
    int extend;         /* frames added before the first detection (default 6) */
    int extend_after;   /* frames added after the last detection (default 6) */
    int smooth;         /* half-width of the moving average over boxes, frames (default 2) */
    float min_iou;      /* to join a track by overlap (default 0.2) */
} cb_tracker_opts;

void cb_tracker_opts_default(cb_tracker_opts *opts);

/* One frame's box of a finished track. */
typedef struct cb_track_box {
    float x, y, w, h;
    uint8_t detected;   /* 1: a detection in this frame, 0: filled / extended */
} cb_track_box;

typedef struct cb_track {
    int id;             /* 1, 2, ... in order of appearance */
    int64_t first;      /* first frame covered (after extension) */
    int64_t last;       /* last frame covered */
    int detections;     /* frames with a detection */
    cb_track_box *boxes;/* last - first + 1 boxes, after cb_tracker_finish; owned */
} cb_track;

typedef struct cb_tracker cb_tracker;

/* A new tracker. Returns 0 or CB_ENOMEM / CB_EINVAL. */
int cb_tracker_open(const cb_tracker_opts *opts, cb_tracker **out, cb_error *err);

/*
 * Add the detections of frame `frame` (count of them; may be 0). For each
 * face, track_ids[i] (may be NULL) receives the id of the track it joined.
 * Returns 0 or CB_ENOMEM / CB_EINVAL (frame not after the previous one).
 */
int cb_tracker_add(cb_tracker *t, int64_t frame, const cb_face *faces, int count, int *track_ids,
                   cb_error *err);

/*
 * A scene cut just before `frame` (call it before adding that frame's
 * faces): every track ends, and none covers frames on the other side of it
 * (extension stops there). Returns 0 or CB_EINVAL (frame not after the last
 * one added).
 */
int cb_tracker_cut(cb_tracker *t, int64_t frame, cb_error *err);

/*
 * Where the faces of the tracks still active at `frame` should be: each
 * one's last box moved on by its recent velocity. Writes up to max boxes
 * into out and returns how many (the detector looks there first).
 */
int cb_tracker_expected(const cb_tracker *t, int64_t frame, cb_face *out, int max);

/*
 * Close every track and compute the per-frame boxes. frames = the number of
 * frames in the video (extension stops at 0 and frames - 1). After this, no
 * more cb_tracker_add. Returns 0 or CB_ENOMEM.
 */
int cb_tracker_finish(cb_tracker *t, int64_t frames, cb_error *err);

/* The tracks (valid after cb_tracker_finish until close), ordered by id. */
const cb_track *cb_tracker_tracks(const cb_tracker *t, int *count);

/* The box of track `tr` in frame `frame`, or NULL when it does not cover it. */
const cb_track_box *cb_track_box_at(const cb_track *tr, int64_t frame);

/*
 * Were the faces of finished tracks a and b both detected in one frame, in
 * different places (boxes overlapping less than one face found twice does):
 * two faces on screen at once, not one face followed twice (a track that
 * ended in doubt and the one that took over)? 1 or 0.
 */
int cb_tracks_seen_apart(const cb_track *a, const cb_track *b);

/* Free. Accepts NULL. */
void cb_tracker_close(cb_tracker *t);

#endif

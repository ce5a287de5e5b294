/*
 * scene_cut.h - tell a hard cut between two video frames.
 *
 * A frame's signature is the histogram of each colour channel (16 bins of a
 * sample of every 8th pixel each way); two frames are of different scenes
 * when their histograms differ by more than CB_SCENE_CUT (the share of the
 * samples that would have to change bin, averaged over the channels, 0-1).
 * A histogram barely changes when the camera pans or someone walks through
 * the picture, and changes wholesale at a cut to another shot. A cut between
 * two shots of the same colours can go unnoticed; video.h says what covers
 * that case. Pure functions, no allocation, thread-safe.
 */
#ifndef CB_SCENE_CUT_H
#define CB_SCENE_CUT_H

#include <libavutil/frame.h>

/* Histogram distance above which two frames are different scenes. */
#define CB_SCENE_CUT 0.4f

typedef struct cb_scene_sig {
    float hist[3][16]; /* per channel, sums to 1 */
} cb_scene_sig;

/* The signature of an AV_PIX_FMT_BGR24 frame (all zero for an empty one). */
void cb_scene_sig_of(const AVFrame *frame, cb_scene_sig *out);

/* Half the L1 distance of the histograms, averaged over the channels: 0 (same) to 1. */
float cb_scene_distance(const cb_scene_sig *a, const cb_scene_sig *b);

#endif

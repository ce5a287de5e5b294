/*
 * detector.h - find every face in a picture.
 *
 * Runs one or more face networks (face_models.h) and optionally OpenCV's
 * Haar cascade, merges what they find by non-maximum suppression, and gives
 * each candidate a second look.
 *
 * Any-size networks (UltraFace, back-camera and full-range BlazeFace) run
 * on the whole picture, once per level of a pyramid: at the finest level a
 * face of `min_face` picture pixels is as tall as the smallest face the
 * network finds reliably (and a small picture is no smaller than the level's
 * largest face); each level's faces span level_range, the next level's
 * overlap them by a quarter, down to the level whose whole picture fits
 * inside the largest face the network finds, so that a close-up filling
 * the picture is found there. Each level's picture is padded on every side
 * by `pad` times the largest face of that level, filled by mirroring the
 * picture (pad_fill), so that a face cut by the edge is still seen around
 * its centre; a detection with less than a fifth of its box inside the
 * picture (the mirror image of a face near the edge) is dropped. A level
 * larger than max_input_pixels runs as equal overlapping tiles (the overlap
 * twice the level's largest face); a detection touching a tile edge that
 * lies inside the level is dropped there, as its neighbour sees it whole.
 * Levels and looks are scaled from a 1/2, 1/4 or 1/8 copy of the picture
 * where that is large enough; an enlarged level is made tile by tile.
 *
 * When UltraFace and BlazeFace scan together (the photos' default),
 * UltraFace finds the larger faces and BlazeFace runs only its finest level
 * (cb_net_info.finest_beside; also CB_TILING_FINEST): the picture enlarged
 * 1.6 times so that a min_face face is 32 network pixels, in tiles of
 * max_input_pixels, where BlazeFace finds tight crops of small faces that
 * UltraFace misses. CB_TILING_WHOLE runs BlazeFace on the whole picture at
 * 256 pixels only. The fixed-size SSD (512) runs on a tiled pyramid: the
 * whole picture scaled into its input, then overlapping square tiles at
 * halving sizes until a min_face face is as large as its smallest face
 * (CB_TILING_PYRAMID), or the whole picture only (CB_TILING_WHOLE).
 *
 * The second look (opts.verify_score): every merged candidate, also one that
 * two networks found (merging also joins a small box to a large one that
 * contains it, so two networks "agreeing" on a sleeve or a hand is common
 * enough: 6 of the 0.32 false detections per real picture before this rule,
 * README), is looked at again on the square around it, verify_context
 * face sizes wide (mirrored beyond the picture's edge, as the levels are),
 * by each verifying network in turn, cheapest first (UltraFace, BlazeFace,
 * full-range BlazeFace, SSD), until one finds a face there (IoU >= 0.3 with
 * the candidate) scoring at least its verify_score, or verify_own_score when
 * that network found the candidate itself and it is higher; confirmed by
 * none, the candidate is dropped. Tiles of wallpaper, windows and fabric
 * that looked like a face at one scale rarely survive this.
 *
 * Landmarks (opts.landmarks, for recognition): every face kept gets those of
 * BlazeFace on the square two face sizes wide around it (grey beyond the
 * edge), whatever network found it; see add_landmarks in detector.c.
 *
 * Boxes come back clipped to the picture: a face cut by the edge is
 * reported as its visible part (never dropped for touching the border).
 * The README's accuracy table says what each configuration finds and costs.
 *
 * A detector is not thread-safe; open one per thread.
 */
#ifndef CB_DETECTOR_H
#define CB_DETECTOR_H

#include <stddef.h>

#include <libavutil/frame.h>

#include "../common/cb_error.h"
#include "../common/cb_log.h"
#include "face.h"
#include "face_models.h"

typedef struct cb_detector cb_detector;

/* How the networks trained at one size (BlazeFace, SSD: finest_beside) cover
 * the picture (cb_detector_opts.tiling); UltraFace and full-range BlazeFace
 * always run their whole pyramid. */
enum {
    CB_TILING_WHOLE = 0,  /* the whole picture scaled to the trained size, once */
    CB_TILING_PYRAMID = 1, /* every level (SSD: the whole picture, then tiles at
                              halving sizes); only the finest beside UltraFace */
    CB_TILING_FINEST = 2  /* only the finest level or tiles: faces from min_face to
                             about twice that (an any-size network finds the rest) */
};

typedef struct cb_detector_opts {
    const char *model_dir;  /* NULL: cb_model_dir(NULL) */
    unsigned models;        /* CB_DET_* flags: the networks (and haar) that scan the picture */
    float score[CB_NET_COUNT];    /* keep candidates of each network scoring at least this */
    float smallest[CB_NET_COUNT]; /* > 0: smallest face each network is asked to find,
                                     network pixels (default: cb_net_info.smallest_face) */
    int min_face;           /* smallest face height to look for, image pixels; faces
                               whose box is under half of it are not reported */
    int tiling;             /* fixed-size networks: CB_TILING_* */
    float level_range;      /* any-size networks: faces of one level span this factor */
    float pad;              /* any-size networks: padding around each level, in that
                               level's largest face */
    int pad_fill;           /* CB_CV_BORDER_* of cv_bridge.h: how the padding is filled */
    long max_input_pixels;  /* any-size networks: a larger level runs as tiles */
    float verify_score[CB_NET_COUNT]; /* > 0: the network takes a second look at each
                               candidate (see above) and must find a face scoring at least
                               this; all 0: no second look */
    float verify_own_score; /* the network that found the candidate confirms it only
                               at this score or more, when that is above its
                               verify_score (its own mistakes look like faces to it) */
    float verify_context;   /* the second look sees a square this many face sizes wide */
    int landmarks;          /* 1: every face reported gets landmarks (a BlazeFace look
                               around a face that has none) for recognition */
    const char *haar_path;  /* cascade XML when CB_DET_HAAR is set */
    const cb_logger *log;   /* may be NULL */
} cb_detector_opts;

/* Fill opts with the defaults for photos, chosen from the accuracy table in
 * the README, recall first: UltraFace on the whole picture and BlazeFace on
 * the finest level of its pyramid, then the second look. */
void cb_detector_opts_default(cb_detector_opts *opts);

/* The same with UltraFace alone scanning (BlazeFace only in the second look):
 * about a seventh of the time, but it misses most faces under 40 px
 * that show no hair or shoulders. For video frames, which must keep up with
 * the video (video.h), and for enrolment portraits, whose face is large. */
void cb_detector_opts_fast(cb_detector_opts *opts);

/*
 * Open the networks named in opts->models and opts->verify, checking each
 * model file's hash first. Returns 0 and a new detector in *out, or
 * CB_EMODEL (missing or corrupt file: the message names it and says how to
 * rebuild it), CB_EINVAL or CB_ENOMEM.
 */
int cb_detector_open(const cb_detector_opts *opts, cb_detector **out, cb_error *err);

/*
 * Detect faces in an AV_PIX_FMT_BGR24 frame (not modified). Appends to out
 * (which the caller owns and frees with cb_face_list_free) the merged faces,
 * boxes clipped to the picture. On failure returns a negative code; out may
 * then hold some faces, and the caller must treat the picture as failed.
 */
int cb_detector_detect(cb_detector *d, const AVFrame *frame, cb_face_list *out, cb_error *err);

/*
 * The same for one frame of a video, doing part of the work:
 * - Any-size networks: the tiles of every level of the pyramid, numbered
 *   level by level (a level that fits in one call is one tile), are shared
 *   out over `rounds` calls: those whose number modulo rounds equals
 *   round % rounds run (a level none of whose tiles is due is not even
 *   scaled). So rounds consecutive calls with round = 0, 1, 2, ... scan the
 *   whole pyramid once, each at about 1/rounds of the cost. Fixed-size
 *   networks: the tiles of the finest level are shared out the same way,
 *   every other level runs whole.
 * - The square around each of the n_hints boxes (where faces were in the
 *   last frame: the tracks) is looked at every time; a face found on a hint
 *   itself needs no second look (see look_at_hints in detector.c).
 * - A candidate the second look turned down is remembered for 2 x rounds
 *   calls: found again there (IoU >= 0.5), scoring no more than 0.05 above
 *   what it did, it is turned down without another look (the same tile of
 *   wallpaper comes round every `rounds` frames). rounds = 1 forgets them.
 * A face that appears is found within `rounds` calls (the caller extends
 * its track backwards over at least as many frames); a tracked face is
 * looked for in every call. rounds = 1 and no hints is exactly
 * cb_detector_detect.
 */
int cb_detector_detect_part(cb_detector *d, const AVFrame *frame, int round, int rounds,
                            const cb_face *hints, int n_hints, cb_face_list *out, cb_error *err);

/* Number of network runs made by the last cb_detector_detect call. */
int cb_detector_last_runs(const cb_detector *d);

/*
 * The CB_DET_* flags named in list: network names (cb_net_info.name) and
 * "haar", separated by any of the characters in sep (e.g. "," or "+").
 * Returns 0, or CB_EINVAL for an unknown or missing name (*out unchanged).
 */
int cb_detector_flags_parse(const char *list, const char *sep, unsigned *out);

/* The names of the detectors in flags joined by '+' ("ultraface+blazeface"),
 * in table order, into buf; "" for none. Truncated to size. Returns buf. */
const char *cb_detector_flags_name(unsigned flags, char *buf, size_t size);

/* Free. Accepts NULL. */
void cb_detector_close(cb_detector *d);

#endif

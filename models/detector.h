/*
 * detector.h - find every face in a picture.
 *
 * Runs one or more face networks (BlazeFace, SSD MobileNetV1, optionally
 * OpenCV's Haar cascade) over a pyramid: the whole picture scaled to the
 * network input, then overlapping square tiles at successively finer scales
 * until a face of `min_face` pixels is as large, in network pixels, as the
 * smallest face the network reliably finds. Detections that touch a tile
 * edge inside the picture are dropped (the neighbouring, overlapping tile or
 * a coarser level sees that face whole); the rest are merged across tiles,
 * scales and networks by non-maximum suppression.
 *
 * Optionally (opts.verify) every merged candidate that only one network
 * found gets a second look: the square around it, verify_context face sizes
 * wide, is scaled to the input of each verifying network and run again. The
 * candidate stays when one of them finds a face there (IoU >= 0.3 with the
 * candidate, scoring at least verify_score). Tiles of wallpaper, windows
 * and fabric that looked like a face at one scale rarely survive this; the
 * README's accuracy table says what it costs in recall.
 *
 * A detector is not thread-safe; open one per thread.
 */
#ifndef CB_DETECTOR_H
#define CB_DETECTOR_H

#include <libavutil/frame.h>

#include "../common/cb_error.h"
#include "../common/cb_log.h"
#include "face.h"

typedef struct cb_detector cb_detector;

typedef struct cb_detector_opts {
    const char *model_dir;  /* NULL: cb_model_dir(NULL) */
    unsigned models;        /* CB_DET_* flags */
    float blazeface_score;  /* keep BlazeFace candidates scoring at least this */
    float ssd_score;        /* keep SSD candidates scoring at least this */
    int min_face;           /* smallest face height to look for, image pixels; faces
                               whose box is under half of it are not reported */
    int tiling;             /* 0: whole picture only; 1: pyramid of tiles */
    float blazeface_min_px; /* smallest face BlazeFace finds, in its 256-px input */
    float ssd_min_px;       /* smallest face SSD finds, in its 512-px input */
    unsigned verify;        /* CB_DET_BLAZEFACE / CB_DET_SSD flags: networks that take a
                               second look at each candidate (see below); 0: none */
    float verify_context;   /* the second look sees a square this many face sizes wide */
    float verify_score;     /* ...and must find a face scoring at least this */
    const char *haar_path;  /* cascade XML when CB_DET_HAAR is set */
    const cb_logger *log;   /* may be NULL */
} cb_detector_opts;

/* Fill opts with the defaults chosen from the accuracy table in the README. */
void cb_detector_opts_default(cb_detector_opts *opts);

/*
 * Open the networks named in opts->models, checking each model file's hash
 * first. Returns 0 and a new detector in *out, or CB_EMODEL (missing or
 * corrupt file: the message names it and says how to rebuild it),
 * CB_EINVAL or CB_ENOMEM.
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
 * The same for one frame of a video, doing part of the work: every level of
 * the pyramid is scanned except the finest (the many small tiles that find
 * the smallest faces), of which only the tiles whose index modulo `rounds`
 * equals round % rounds are (so `rounds` consecutive calls with round = 0,
 * 1, 2, ... cover every tile once); and the square around each of the
 * n_hints boxes (where faces were in the last frame: the tracks) is looked
 * at every time. A face that appears is found at once when it is twice the
 * smallest size or more, else within `rounds` frames (the tracker extends
 * tracks backwards to cover those); a tracked face is looked for in every
 * frame. rounds = 1 and no hints is exactly cb_detector_detect.
 */
int cb_detector_detect_part(cb_detector *d, const AVFrame *frame, int round, int rounds,
                            const cb_face *hints, int n_hints, cb_face_list *out, cb_error *err);

/* Number of network runs made by the last cb_detector_detect call. */
int cb_detector_last_runs(const cb_detector *d);

/* Free. Accepts NULL. */
void cb_detector_close(cb_detector *d);

#endif

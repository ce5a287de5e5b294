/*
 * face_models.h - the face detection networks, behind one interface: a
 * network turns a BGR picture of its input size into candidate boxes
 * (scores before non-maximum suppression). The detector (detector.h) does
 * the scaling, padding, tiling and merging.
 *
 * Each network is one row of a definition table (face_nets.c): its model
 * file, how its input is laid out and normalised, which outputs it has and
 * the function that decodes them. Two kinds:
 *   fixed size  SSD MobileNetV1 (512x512): the exported graph decodes a
 *               fixed anchor set;
 *   any size    UltraFace RFB-320 and MediaPipe's back-camera and full-range
 *               BlazeFace, converted to fully convolutional graphs
 *               (models/convert_*.py) that run on the whole picture at any
 *               size; the anchors are made and decoded in C for the size
 *               actually run.
 *
 * Boxes and landmarks come back in input pixels. A cb_face_net owns an
 * OpenCV network and its input buffer and is not thread-safe; open one per
 * thread. Every function returns 0 or a negative CB_E* code with err filled.
 */
#ifndef CB_FACE_MODELS_H
#define CB_FACE_MODELS_H

#include <stdint.h>

#include "../common/cb_error.h"
#include "face.h"

typedef enum cb_net_id {
    CB_NET_BLAZEFACE, /* MediaPipe BlazeFace, back-camera model, any size (cut at its heads) */
    CB_NET_SSD,       /* face-api.js SSD MobileNetV1, 512x512 (converted) */
    CB_NET_ULTRAFACE, /* UltraFace RFB-320, any size (cut at its heads) */
    CB_NET_FULLRANGE, /* MediaPipe full-range BlazeFace, any size (from TFLite) */
    CB_NET_COUNT
} cb_net_id;

/* What the rest of the program may know about a network. */
typedef struct cb_net_info {
    const char *name;    /* as on the command line (--detectors) */
    const char *file;    /* model file name in the model folder */
    unsigned flag;       /* its CB_DET_* bit (face.h) */
    int fixed_side;      /* > 0: input must be exactly fixed_side x fixed_side */
    int multiple;        /* any size: width and height must be multiples of this */
    int landmarks;       /* faces come with the 6 keypoints of face.h */
    float smallest_face; /* smallest face it finds reliably, network pixels (measured,
                            see the constants in face_nets.c) */
    float largest_face;  /* largest face it finds reliably, network pixels */
    int look_side;       /* > 0: a look around one face (detector.c) gives it a square
                            input of this side, the size it was trained at; 0: one
                            sized from smallest_face */
    int finest_beside;   /* 1: when a network that does not say this scans the picture
                            too, this one runs only its finest level or tiles (the
                            small faces), the other finding the larger ones */
} cb_net_info;

/* The table row of a network; NULL for an id out of range. */
const cb_net_info *cb_net_info_get(cb_net_id id);

/* The network called name (cb_net_info.name), or -1. */
int cb_net_by_name(const char *name);

typedef struct cb_face_net cb_face_net;

/*
 * Check the model file in model_dir (NULL: cb_model_dir(NULL)) against
 * models/MANIFEST, then load it. Returns 0 and a new network in *out, or
 * CB_EMODEL (missing, corrupt or unreadable file: the message names it and
 * says how to rebuild it), CB_EINVAL or CB_ENOMEM; *out is NULL on failure.
 */
int cb_face_net_open(cb_net_id id, const char *model_dir, cb_face_net **out, cb_error *err);

/*
 * Run on a BGR image of w x h pixels (rows stride bytes apart; not
 * modified): w == h == fixed_side, or multiples of `multiple` for an any-size
 * network (CB_EINVAL otherwise). Appends to out every candidate scoring at
 * least min_score, in input pixels, with its detector flag set and, for
 * networks with landmarks, the 6 keypoints. On failure out may hold some
 * candidates of this call.
 */
int cb_face_net_run(cb_face_net *net, const uint8_t *bgr, int w, int h, int stride,
                    float min_score, cb_face_list *out, cb_error *err);

/*
 * Free the network instances (and their working memory) set up for inputs
 * of more than max_pixels: a 1 MP tile of BlazeFace holds about 150 MB. The
 * next run at such a size sets one up again (about the cost of a run).
 */
void cb_face_net_trim(cb_face_net *net, long max_pixels);

/* Free. Accepts NULL. */
void cb_face_net_close(cb_face_net *net);

/* ---- decoders, one per network family (blazeface.c, ssd_mobilenet.c, ultraface.c) ----
 * Each turns the network's outputs (in the order of its table row) for an
 * input of w x h into candidates scoring at least min_score. */
struct cb_tensor;
int cb_decode_blazeface_back(const struct cb_tensor *outs, int w, int h, float min_score,
                             cb_face_list *out, cb_error *err);
int cb_decode_blazeface_full(const struct cb_tensor *outs, int w, int h, float min_score,
                             cb_face_list *out, cb_error *err);
int cb_decode_ssd(const struct cb_tensor *outs, int w, int h, float min_score,
                  cb_face_list *out, cb_error *err);
int cb_decode_ultraface(const struct cb_tensor *outs, int w, int h, float min_score,
                        cb_face_list *out, cb_error *err);

#endif

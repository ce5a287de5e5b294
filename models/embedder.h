/*
 * embedder.h - turn a detected face into a 128-number descriptor that is
 * close (Euclidean distance) for two pictures of the same person and far
 * for two different people.
 *
 * The network is dlib's face recognition ResNet-34 as shipped by
 * @vladmandic/face-api 1.7.15 (FaceRecognitionNet), converted to ONNX by
 * models/convert_face_recognition.py (face_recognition.onnx, hash-checked
 * against models/MANIFEST before loading). It was trained on dlib "face
 * chips": 150x150 crops aligned so that the eyes, nose and mouth sit at fixed
 * places (dlib's get_face_chip_details, padding 0.25). This module makes
 * such a chip from the detector's landmarks and runs the network on it.
 *
 * Alignment ("align1"): a similarity transform (rotation, uniform scale,
 * translation) fitted by least squares from the face's four central
 * BlazeFace landmarks (right eye, left eye, nose tip, mouth centre; see
 * face.h) to these points of the 150x150 chip, in chip pixels (pixel centres
 * at integer coordinates):
 *
 *     right eye (image left)   (47.7, 47.1)   dlib's 5-point template: the
 *     left eye (image right)  (100.3, 47.1)   mean of each eye's two corners
 *     nose tip                 (74.0, 82.1)   measured: where BlazeFace puts
 *     mouth centre             (74.0, 105.6)  them in that eye frame (below)
 *
 * The eye points come from dlib's own template (interpolation.h, 5-point
 * case), so eye positions, scale and roll match dlib's chips. dlib's
 * template has no nose tip or mouth centre, and BlazeFace has no eye corners
 * or nose base, so the nose and mouth targets are the medians of BlazeFace's
 * nose and mouth keypoints in the chip when it is placed by the eyes alone,
 * over the 74 faces of quality >= 0.5 among the test photos (x set to the
 * eyes' midline; `eval_recognition --calibrate` prints them). For
 * comparison, dlib's 68-point mean face has the nose tip at (74.0, 76.6),
 * the nose base at (74.0, 87.8) and the inner-lip centre at (74.0, 105.9):
 * BlazeFace's "nose tip" sits between tip and base. The image is then
 * resampled with bilinear interpolation, edges repeated (BORDER_REPLICATE);
 * a face more than twice the chip's size is first shrunk with area
 * averaging (dlib uses an image pyramid for the same purpose).
 *
 * Landmark quality: with these targets BlazeFace's four landmarks fit the
 * template with an RMS residual of 2.2 chip pixels (median; 90 % below 5.6,
 * most of it from turned heads). Aligning on the eyes only, or on eyes and
 * mouth, or with landmarks refined by a second detector run on a square two
 * face sizes wide around the face (`eval_recognition --align`, `--refine`),
 * changed the true-accept rate at 0.1 % false accepts by a few points either
 * way, within the noise of the test set; so the plain detector landmarks are
 * used.
 *
 * Templates made with another network or another alignment are not
 * comparable: store cb_embedder_model_id() with each one and compare only
 * equal ids.
 *
 * A cb_embedder is not thread-safe (it owns an OpenCV network and buffers);
 * open one per thread.
 */
#ifndef CB_EMBEDDER_H
#define CB_EMBEDDER_H

#include <stdint.h>

#include <libavutil/frame.h>

#include "../common/cb_error.h"
#include "face.h"

enum { CB_EMBEDDING_DIM = 128, CB_EMBEDDER_CHIP = 150 };

#define CB_EMBEDDER_FILE "face_recognition.onnx"

/* Stored with every template; see cb_embedder_model_id. Change the "+alignN"
 * part whenever the chip geometry or the preprocessing changes. */
#define CB_EMBEDDER_MODEL_ID "faceapi-resnet34-128@1.7.15+align1"

/*
 * Recommended decision rule for this model id, from bench/eval_recognition
 * on the shared test photos (88 faces: 85 of 13 people, 3 of people enrolled
 * nowhere): a face matches its nearest enrolled person only when the
 * distance to that person (the smallest over the person's templates) is
 * below CB_EMBEDDER_MATCH_THRESHOLD and every other enrolled person is at
 * least CB_EMBEDDER_MATCH_MARGIN farther away. Chosen fail-closed: the closest
 * pair of different people there is 0.484 apart, and no wrong person is
 * accepted at 0.45 or 0.50 with any margin, nor at 0.55 with this margin
 * (some are at 0.55 with smaller margins, and at 0.60 with margins below
 * 0.15); 0.45 leaves room for larger and more alike populations (children,
 * siblings). It accepts 15 of the 16 colour probe faces of enrolled people
 * (not the half face of obama_partial_face) but only about a third of the
 * grey, small TV-series crops. dlib's own same-person threshold, 0.6, is
 * much looser.
 */
#define CB_EMBEDDER_MATCH_THRESHOLD 0.45f
#define CB_EMBEDDER_MATCH_MARGIN 0.10f

typedef struct cb_embedder cb_embedder;

/*
 * Open the network in model_dir (NULL: cb_model_dir(NULL)), after checking
 * its SHA-256 against models/MANIFEST. Returns 0 and a new embedder in *out
 * (free with cb_embedder_close), or CB_EMODEL when the file is missing,
 * corrupt or cannot be loaded (the message names the file and says to run
 * `make models`), or CB_ENOMEM. *out is NULL on failure.
 */
int cb_embedder_open(const char *model_dir, cb_embedder **out, cb_error *err);

/* Free. Accepts NULL. */
void cb_embedder_close(cb_embedder *e);

/* CB_EMBEDDER_MODEL_ID: a static string, valid for the life of the program. */
const char *cb_embedder_model_id(const cb_embedder *e);

/*
 * The aligned 150x150 face chip (BGR24, rows of chip_stride >= 450 bytes,
 * written into caller memory) that cb_embedder_embed feeds the network:
 * cb_embedder_alignment with the default landmarks, then cb_embedder_warp.
 * Needs no network. frame: AV_PIX_FMT_BGR24, not modified.
 * Returns 0; CB_EINVAL when the face has no landmarks (has_landmarks == 0),
 * its landmarks are not finite or the eyes coincide, or the frame is not
 * BGR24; CB_ENOMEM; or another negative code from OpenCV.
 */
int cb_embedder_chip(const AVFrame *frame, const cb_face *face, uint8_t *chip, int chip_stride,
                     cb_error *err);

/* ---- the two steps of cb_embedder_chip, for tests and benchmarks ---------- */

/* Landmarks the default alignment uses (bits 1 << CB_LM_*). */
#define CB_EMBEDDER_ALIGN_DEFAULT                                                                \
    ((1u << CB_LM_RIGHT_EYE) | (1u << CB_LM_LEFT_EYE) | (1u << CB_LM_NOSE) | (1u << CB_LM_MOUTH))

/*
 * The image -> chip similarity fitted to the landmarks in lm_mask (bits
 * 1 << CB_LM_*, 0 for CB_EMBEDDER_ALIGN_DEFAULT; both eyes required, ears
 * not allowed), as a 2x3 row-major affine map in pixel-centre coordinates
 * (see cb_cv_warp_affine_bgr). rms, when not NULL, receives the RMS distance
 * in chip pixels between the mapped landmarks and their template points.
 * Returns 0 or CB_EINVAL (no or unusable landmarks, bad mask).
 */
int cb_embedder_alignment(const cb_face *face, unsigned lm_mask, double m[6], double *rms,
                          cb_error *err);

/*
 * Resample the chip: bilinear, edges repeated, the picture first shrunk by
 * area averaging when m shrinks it by more than 2x. Returns 0, CB_EINVAL,
 * CB_ENOMEM or another negative code.
 */
int cb_embedder_warp(const AVFrame *frame, const double m[6], uint8_t *chip, int chip_stride,
                     cb_error *err);

/*
 * How usable the face is for recognition, 0 (useless) to 1, from its
 * landmarks alone (needs no network, never fails: 0 without landmarks):
 * the product of
 *   size     inter-ocular distance d in image pixels: 0 at d <= 8, rising
 *            linearly to 1 at d >= 40 (the chip has d = 52.5);
 *   frontal  how far the nose tip sits off the eyes' midline, as a fraction
 *            r of d measured along the eye line: 1 at r <= 0.05, falling
 *            linearly to 0 at r >= 0.35 (a head turned by about 45 degrees);
 *   fit      how well the four landmarks fit the chip's template after the
 *            similarity transform: RMS residual e in chip pixels, 1 at
 *            e <= 4, falling linearly to 0 at e >= 14 (pitch, extreme
 *            expressions, or landmarks that are not on a face).
 * Callers may refuse to recognise (and so blur) faces below some quality.
 */
float cb_embedder_quality(const cb_face *face);

/*
 * Align the face (cb_embedder_chip), convert BGR to RGB, normalise as
 * face-api does ((x - [122.782, 117.001, 104.298]) / 255) and run the
 * network. Writes the raw descriptor (not normalised to unit length; typical
 * length about 1) to out and, when quality is not NULL, cb_embedder_quality
 * to *quality. Returns 0, or CB_EINVAL (no landmarks: the caller must treat
 * the face as unknown), CB_EMODEL (the network failed), CB_ENOMEM. out is
 * zeroed on failure. Deterministic: the same frame and face give the same
 * bytes.
 */
int cb_embedder_embed(cb_embedder *e, const AVFrame *frame, const cb_face *face,
                      float out[CB_EMBEDDING_DIM], float *quality, cb_error *err);

/*
 * Run the network on a chip the caller already has (150x150 BGR24, as
 * cb_embedder_chip makes). Same results and errors as cb_embedder_embed.
 */
int cb_embedder_embed_chip(cb_embedder *e, const uint8_t *chip, int chip_stride,
                           float out[CB_EMBEDDING_DIM], cb_error *err);

/* Euclidean distance between two descriptors (the distance this model was
 * trained for). */
float cb_embedding_distance(const float a[CB_EMBEDDING_DIM], const float b[CB_EMBEDDING_DIM]);

#endif

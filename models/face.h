/*
 * face.h - a detected face and a growable list of them, with the
 * non-maximum suppression used to merge detections across scales, tiles and
 * models.
 */
#ifndef CB_FACE_H
#define CB_FACE_H

#include "../common/cb_error.h"

/* Landmark order (BlazeFace's): right eye, left eye, nose tip, mouth centre,
 * right ear, left ear ("right" = the person's right, left in the picture). */
enum { CB_LM_RIGHT_EYE, CB_LM_LEFT_EYE, CB_LM_NOSE, CB_LM_MOUTH, CB_LM_RIGHT_EAR, CB_LM_LEFT_EAR,
       CB_LM_COUNT };

/* Which detector found a face (bit flags, so merged faces can say "both"). */
enum { CB_DET_BLAZEFACE = 1, CB_DET_SSD = 2, CB_DET_HAAR = 4, CB_DET_ULTRAFACE = 8,
       CB_DET_FULLRANGE = 16,
       CB_DET_ALL = 31, /* every detector bit above */
       CB_DET_CONFIRMED = 0x100 /* inside the detector only: no second look needed */ };

typedef struct cb_face {
    float x, y, w, h;               /* box in image pixels (top-left, size) */
    float score;                    /* detector confidence, 0..1 */
    int has_landmarks;              /* landmarks[] valid */
    float landmarks[CB_LM_COUNT][2];/* image pixels */
    unsigned detectors;             /* CB_DET_* flags */
} cb_face;

typedef struct cb_face_list {
    cb_face *faces; /* owned; free with cb_face_list_free */
    int count;
    int capacity;
} cb_face_list;

/* Append a copy of f. Returns 0 or CB_ENOMEM (the list is unchanged then). */
int cb_face_list_push(cb_face_list *list, const cb_face *f, cb_error *err);

/* Free the faces and zero the list. Accepts NULL. */
void cb_face_list_free(cb_face_list *list);

/* Intersection over union of two boxes, 0..1. */
float cb_face_iou(const cb_face *a, const cb_face *b);

/* Intersection over the smaller box's area, 0..1 (1 when one holds the other). */
float cb_face_overlap_min(const cb_face *a, const cb_face *b);

/*
 * Greedy non-maximum suppression in place: sorts by score (descending) and
 * drops a face when it overlaps a kept, higher-scoring one with IoU above
 * iou_threshold, or when the smaller box lies mostly (overlap_min above
 * contain_threshold) inside it. The kept face takes the union of the
 * detectors' flags and keeps landmarks from whichever face had them.
 */
void cb_face_list_nms(cb_face_list *list, float iou_threshold, float contain_threshold);

#endif

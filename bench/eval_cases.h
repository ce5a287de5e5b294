/*
 * eval_cases.h - the pictures bench/eval_detect scores detectors on, each
 * with its true face boxes, all built from the shared test data in memory
 * (nothing is written or copied).
 *
 * Real pictures:
 *   crops    identities/NAME/ *.png: tight face crops; the face is the whole crop.
 *   photos   the full photos of identities/ and probes/ (bench/photos_truth.txt).
 *   groups   groups/ * (bench/groups_truth.txt).
 *   profile  frames of the test videos with faces seen from the side or turned
 *            three-quarters away (bench/frames_truth.txt), and two more
 *            framings of each such face (cut out around it, at two zooms).
 * Built from them:
 *   synth    4000x3000 composites: tight crops pasted at known places, 16-400 px
 *            high, onto a generated face-free texture (recall per size bucket).
 *   context  the same background with faces of the photos pasted together with
 *            their surroundings (hair, shoulders, background: a square three
 *            face heights wide), 16-40 px high: small faces as a camera sees them.
 *   crowd    the same background with each group photo pasted twice, scaled so
 *            that its median face is 18-36 px high: small faces among other
 *            heads and shoulders, as in a photo of a class or a school hall
 *            (faces under 14 px once scaled are optional).
 *   edge25, edge50  the faces of the photos cut by each edge and corner of the
 *            picture: a window of the photo placed so that 25% or 50% of the
 *            face box's area lies outside (at an edge that part of its width or
 *            height; at a corner 13% or 29% of both); the face is about a third
 *            of the picture height where the photo allows. Truth: the visible part.
 *   closeup  windows around the faces of the photos in which the face box is
 *            40, 55, 70, 85 and 95% of the picture height (portrait and
 *            landscape in turn; where the photo is large enough).
 *   tilted   the photos rotated about each face by -45, -30, 30 and 45 degrees
 *            (truth: the rotated face box's bounding box, shrunk by 15%).
 *   covered  each face of the photos partly covered: by a hand (a skin-coloured
 *            palm and fingers over the mouth and chin), by hair (a dark band of
 *            strands over the forehead and one eye) and by another head in
 *            front (an identity crop over a third of the face; that face counts
 *            as optional).
 * Derived pictures are scaled so that their longest side is at most 640 px.
 */
#ifndef CB_EVAL_CASES_H
#define CB_EVAL_CASES_H

#include <libavutil/frame.h>

enum {
    SET_CROPS, SET_PHOTOS, SET_GROUPS, SET_PROFILE, SET_SYNTH, SET_CONTEXT, SET_CROWD, SET_EDGE25,
    SET_EDGE50, SET_CLOSEUP, SET_TILTED, SET_COVERED, SET_COUNT
};
extern const char *const eval_set_names[SET_COUNT];

/* The sets whose pictures are real photos or video frames (their false
 * positives are the table's "FP / real picture"). */
#define EVAL_REAL_SET(s) ((s) <= SET_PROFILE)

typedef struct eval_box {
    float x, y, w, h;
    int optional; /* neither a miss when missed nor a false positive when found */
} eval_box;

typedef struct eval_sample {
    char label[256]; /* path relative to the test data, or what was built */
    int set;
    AVFrame *img;    /* BGR24, owned */
    eval_box *truth;
    int ntruth;
} eval_sample;

typedef struct eval_samples {
    eval_sample *items;
    int count, cap;
} eval_samples;

/*
 * Build the samples of every set with want[set] set: real ones from
 * testdata (truth files in truth_dir), composites `composites` of each kind.
 * Returns 0, or -1 after printing what is missing.
 */
int eval_build(const char *testdata, const char *truth_dir, const int want[SET_COUNT],
               int composites, eval_samples *out);

void eval_free(eval_samples *s);

/* The size buckets of the composites (face height, pixels). */
enum { EVAL_NBUCKET = 5 };
extern const int eval_bucket_lo[EVAL_NBUCKET], eval_bucket_hi[EVAL_NBUCKET];
int eval_bucket_of(float h);

#endif

/* enroll.c - one person's photos into face templates; see enroll.h. */
#include "enroll.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/i18n.h"
#include "../common/sha256.h"
#include "../models/detector.h"
#include "../models/embedder.h"
#include "media_in.h"

/* An enrolment photo must show a face whose eyes are at least this far apart
 * (image pixels): half their distance in the 150-pixel chip the recogniser
 * sees (52.5), so that the chip is enlarged at most twice; a frontal face
 * about 65 pixels tall from brow to chin. Measured on the landmarks, not on
 * the box: detectors draw boxes of different heights around one face... */
#define CB_ENROLL_MIN_EYE_DISTANCE 26
/* ...whose landmarks rate at least this (cb_embedder_quality). */
#define CB_ENROLL_MIN_QUALITY 0.5f
/* Other faces smaller than this fraction of the largest one are ignored
 * (people far behind the subject)... */
#define CB_ENROLL_BACKGROUND_FRACTION 0.4f
/* ...and so are boxes lying this much inside the largest one (the same face
 * found twice, slightly shifted)... */
#define CB_ENROLL_SAME_FACE_OVERLAP 0.5f
/* ...and detections whose landmarks do not look like a face at all
 * (cb_embedder_quality below this: lettering, patterns). */
#define CB_ENROLL_OTHER_MIN_QUALITY 0.2f

struct cb_enroller {
    cb_registry *registry; /* borrowed */
    cb_detector *detector;
    cb_embedder *embedder;
    cb_person person;
    char actor[64];
};

int cb_enroller_open(cb_registry *registry, const cb_person *person, const cb_enroll_opts *opts,
                     cb_enroller **out, cb_error *err)
{
    *out = NULL;
    int holds = 0;
    int rc = cb_registry_holds_consent(registry, person->id, &holds, err);
    if (rc < 0)
        return rc;
    if (!holds)
        return cb_error_set(err, CB_EINVAL,
                            _("%s holds no granted consent: templates are kept only for people "
                              "who consented (record it first with `consentblur consent grant`)"),
                            person->external_id);
    cb_enroller *e = calloc(1, sizeof *e);
    if (!e)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    e->registry = registry;
    e->person = *person;
    if (opts->actor)
        snprintf(e->actor, sizeof e->actor, "%s", opts->actor);
    else
        cb_registry_default_actor(e->actor, sizeof e->actor);
    cb_detector_opts dopts;
    cb_detector_opts_fast(&dopts); /* portraits: one large face */
    dopts.model_dir = opts->model_dir;
    dopts.log = opts->log;
    rc = cb_detector_open(&dopts, &e->detector, err);
    if (rc == 0)
        rc = cb_embedder_open(opts->model_dir, &e->embedder, err);
    if (rc < 0) {
        cb_enroller_close(e);
        return rc;
    }
    *out = e;
    return 0;
}

void cb_enroller_close(cb_enroller *e)
{
    if (!e)
        return;
    cb_embedder_close(e->embedder);
    cb_detector_close(e->detector);
    free(e);
}

/*
 * The one face to enrol from a photo: refuses (CB_EINVAL, reason in err)
 * when there is none, several comparable ones, or it is too small or not
 * frontal enough.
 */
static int pick_face(const cb_face_list *faces, const char *photo, cb_face *out, cb_error *err)
{
    if (faces->count == 0)
        return cb_error_set(err, CB_EINVAL, _("%s: no face found"), photo);
    int best = 0;
    for (int i = 1; i < faces->count; i++)
        if (faces->faces[i].h > faces->faces[best].h)
            best = i;
    const cb_face *f = &faces->faces[best];
    int others = 0;
    for (int i = 0; i < faces->count; i++)
        if (i != best && faces->faces[i].h >= f->h * CB_ENROLL_BACKGROUND_FRACTION &&
            cb_face_overlap_min(&faces->faces[i], f) < CB_ENROLL_SAME_FACE_OVERLAP &&
            cb_embedder_quality(&faces->faces[i]) >= CB_ENROLL_OTHER_MIN_QUALITY)
            others++;
    if (others)
        return cb_error_set(err, CB_EINVAL,
                            _("%s: %d faces found; use a photo of this person alone"), photo,
                            others + 1);
    if (!f->has_landmarks)
        return cb_error_set(err, CB_EINVAL,
                            _("%s: the face's eyes, nose and mouth were not found"), photo);
    const float eyes = hypotf(f->landmarks[CB_LM_LEFT_EYE][0] - f->landmarks[CB_LM_RIGHT_EYE][0],
                              f->landmarks[CB_LM_LEFT_EYE][1] - f->landmarks[CB_LM_RIGHT_EYE][1]);
    if (eyes < CB_ENROLL_MIN_EYE_DISTANCE)
        return cb_error_set(err, CB_EINVAL,
                            _("%s: the face is too small: its eyes are %.0f pixels apart; at "
                              "least %d are needed"),
                            photo, eyes, CB_ENROLL_MIN_EYE_DISTANCE);
    float q = cb_embedder_quality(f);
    /* Shown rounded down to the two digits printed: 0.4996 is "0.49", not
     * "0.50 is below 0.50". */
    if (q < CB_ENROLL_MIN_QUALITY)
        return cb_error_set(err, CB_EINVAL,
                            _("%s: face quality %.2f is below %.2f (turned away, tilted or "
                              "blurred); use a frontal photo"),
                            photo, floor(q * 100.0) / 100.0, CB_ENROLL_MIN_QUALITY);
    *out = *f;
    return 0;
}

int cb_enroller_add(cb_enroller *e, const char *photo, cb_enrolled *out, cb_error *err)
{
    AVFrame *frame = NULL;
    cb_face_list faces = {0};
    cb_face face;
    float emb[CB_EMBEDDING_DIM];
    char sha[65];
    memset(out, 0, sizeof *out);
    int rc = cb_sha256_file_hex(photo, sha, err);
    if (rc == 0)
        rc = cb_image_read(photo, NULL, &frame, NULL, err);
    if (rc == 0)
        rc = cb_detector_detect(e->detector, frame, &faces, err);
    if (rc == 0)
        rc = pick_face(&faces, photo, &face, err);
    if (rc == 0)
        rc = cb_embedder_embed(e->embedder, frame, &face, emb, &out->quality, err);
    if (rc == 0)
        rc = cb_registry_template_add(e->registry, e->person.id,
                                      cb_embedder_model_id(e->embedder), emb, CB_EMBEDDING_DIM,
                                      out->quality, sha, e->actor, &out->template_id, err);
    cb_face_list_free(&faces);
    av_frame_free(&frame);
    return rc;
}

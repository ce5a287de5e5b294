/*
 * enroll.h - enrolment: store face templates of a person who holds consent,
 * one per photo, so that the judge (recognise/judge.h) recognises them. A
 * photo is refused, saying why, unless it shows exactly one face, large and
 * frontal enough to recognise reliably; what is stored is the face's
 * descriptor (models/embedder.h), never the photo.
 *
 * A cb_enroller holds the detector and the embedder for one person of a
 * registry the caller opened writable and keeps open while the enroller is
 * in use (it is borrowed, not closed). Not thread-safe: one per thread.
 */
#ifndef CB_ENROLL_H
#define CB_ENROLL_H

#include <stdint.h>

#include "../common/cb_error.h"
#include "../common/cb_log.h"
#include "../consent/registry.h"

typedef struct cb_enroll_opts {
    const char *model_dir; /* NULL: cb_model_dir(NULL) */
    const char *actor;     /* recorded in the audit log; NULL: the default actor */
    const cb_logger *log;  /* may be NULL */
} cb_enroll_opts;

typedef struct cb_enroller cb_enroller;

/*
 * Check that the person holds a granted consent (cb_registry_holds_consent;
 * CB_EINVAL saying so when not: templates are kept only for people who
 * consented), then open the detector and the embedder. The person is
 * copied. Returns 0, or CB_EINVAL, CB_EDB/CB_EBUSY (registry), CB_EMODEL
 * (model files), CB_ENOMEM; *out is NULL on failure.
 */
int cb_enroller_open(cb_registry *registry, const cb_person *person, const cb_enroll_opts *opts,
                     cb_enroller **out, cb_error *err);

/* What one enrolled photo gave. */
typedef struct cb_enrolled {
    int64_t template_id; /* the stored template */
    float quality;       /* of the face's landmarks (cb_embedder_quality), 0..1 */
} cb_enrolled;

/*
 * Enrol one photo (any format cb_image_read takes): detect, pick the one
 * face, embed it and store the template with the photo's SHA-256. Returns 0
 * and fills *out, or CB_EINVAL when the photo is refused (err: "PHOTO: why",
 * for people), or another negative code (unreadable file, models, registry)
 * with err naming the file. Nothing is stored on failure.
 */
int cb_enroller_add(cb_enroller *e, const char *photo, cb_enrolled *out, cb_error *err);

/* Close. Accepts NULL. The registry stays open. */
void cb_enroller_close(cb_enroller *e);

#endif

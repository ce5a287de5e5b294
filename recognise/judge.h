/*
 * judge.h - may each face in a picture be shown? Ties the pieces together:
 * the embedder (models/embedder.h) turns an aligned face into a vector, the
 * matcher (match.h) finds the enrolled person it belongs to, the registry
 * (consent/registry.h) says what consent that person holds, and the policy
 * (consent/decide.h) says whether it counts for this purpose on this date.
 *
 * Fail closed at every step: a face that cannot be embedded is "not
 * recognisable", an unclear match is "unknown" or "low margin", two faces
 * that match the same person are both redacted ("low margin"), and any error
 * reading the registry or running the network is returned as an error, so
 * the caller writes no output at all.
 *
 * The templates and settings are read when the judge is opened and again
 * at each cb_judge_refresh; consent records are read per face, so a
 * withdrawal takes effect on the next picture.
 */
#ifndef CB_JUDGE_H
#define CB_JUDGE_H

#include <libavutil/frame.h>
#include <stdint.h>

#include "../common/cb_error.h"
#include "../common/cb_log.h"
#include "../models/face.h"
#include "../consent/decide.h"
#include "match.h"

typedef struct cb_judge cb_judge;

typedef struct cb_judge_opts {
    const char *registry_path; /* required; opened read-only, must exist */
    const char *model_dir;     /* NULL: cb_model_dir(NULL) */
    char purpose[32];          /* required; must be a purpose the registry knows */
    char date[11];             /* the run's date; "" = today (local time) */
    cb_match_opts match;       /* threshold and margin */
    const cb_logger *log;      /* may be NULL */
} cb_judge_opts;

/* Defaults: no registry, no purpose, today, cb_match_opts_default. */
void cb_judge_opts_default(cb_judge_opts *opts);

/* What was decided about one face. */
typedef struct cb_verdict {
    int keep;                 /* 1: may be shown; 0: redact */
    cb_reason reason;
    char detail[256];         /* one line for people, e.g. "P1007's consent ... withdrawn on ..." */
    int64_t person_id;        /* the recognised (or nearest) person, 0 when none */
    char external_id[64];     /* of that person, "" when none */
    char name[128];
    float distance;           /* to that person; INFINITY when none */
    float runner_up_distance; /* to the next person; INFINITY when none */
} cb_verdict;

/*
 * Open the registry read-only, check the purpose, read the age settings,
 * load the templates of the embedder's model and open the embedder.
 * Returns 0, or CB_EINVAL (unknown purpose, bad date), CB_EDB/CB_EBUSY
 * (registry), CB_ETAMPER (see cb_judge_refresh), CB_EMODEL (model file),
 * CB_ENOMEM.
 */
int cb_judge_open(const cb_judge_opts *opts, cb_judge **out, cb_error *err);

/* Reload templates and settings (a watcher calls this before each file),
 * then run the registry's quick integrity check (consent/integrity.h) for
 * the people whose templates were loaded: CB_ETAMPER, naming the first
 * difference, when the tables or triggers do not match the audit log (the
 * judge then recognises nobody). */
int cb_judge_refresh(cb_judge *j, cb_error *err);

/* The id of the audit head read at the last refresh: the state of consent
 * the decisions since are based on (recorded with runs; a later change:
 * cb_registry_changed_since). */
int64_t cb_judge_registry_version(const cb_judge *j);
/* ...and the hash of that audit row (the head), "" when the log is empty. */
const char *cb_judge_registry_hash(const cb_judge *j);

/* The policy in force (purpose, date, ages), for reports. */
const cb_policy *cb_judge_policy(const cb_judge *j);

/* Number of templates loaded (0: nobody can be recognised). */
int cb_judge_template_count(const cb_judge *j);

/*
 * Embed one face. Returns 0 and fills embedding (CB_EMBEDDING_DIM floats),
 * 1 when the face cannot be embedded (no landmarks, too small: the caller
 * treats it as not recognisable), or a negative code on a real error.
 */
int cb_judge_embed(cb_judge *j, const AVFrame *frame, const cb_face *face, float *embedding,
                   cb_error *err);

/* Embedding size of the judge's model. */
int cb_judge_embedding_dim(const cb_judge *j);

/*
 * Decide for one embedding (or NULL: not recognisable): match, then the
 * consent policy. Fills *out. Returns 0 or a negative code (registry error).
 */
int cb_judge_decide(cb_judge *j, const float *embedding, cb_verdict *out, cb_error *err);

/*
 * Judge every face of a BGR24 picture: out must hold count verdicts.
 * Returns 0 or a negative code; on error the verdicts must not be used
 * (the caller writes no output).
 */
int cb_judge_faces(cb_judge *j, const AVFrame *frame, const cb_face *faces, int count,
                   cb_verdict *out, cb_error *err);

/* Set a verdict to "redact" for a reason that involves no person. */
void cb_verdict_redact(cb_verdict *v, cb_reason reason, const char *detail);

/*
 * One person cannot be two faces seen together: when two faces of one
 * picture, or two tracks of a video on screen at once, were matched to the
 * same person, something is off (a look-alike, a poster) and both are
 * redacted. cb_verdicts_same_person says whether a and b name the same
 * person; cb_verdicts_redact_same_person redacts both (CB_REASON_LOW_MARGIN)
 * with a detail for people, worded for a picture (on_screen 0) or a video.
 */
int cb_verdicts_same_person(const cb_verdict *a, const cb_verdict *b);
void cb_verdicts_redact_same_person(cb_verdict *a, cb_verdict *b, int on_screen);

/* Close. Accepts NULL. */
void cb_judge_close(cb_judge *j);

#endif

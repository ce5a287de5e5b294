/*
 * run_review.h - what a run decided about each face, and the redactions
 * staff added by hand afterwards (`consentblur review`), in the registry
 * beside the run records (consent/runs.h; schema version 4).
 *
 * Why in the registry and not in a file beside the output: the review page
 * needs the same record the run is in (the output's SHA-256 finds it), it
 * must record each manual change with the run and in the audit log, and an
 * output folder is shared with staff and copied to where files are
 * published: a sidecar there could be published, edited or lost with it.
 *
 * Three append-only tables (triggers abort UPDATE and DELETE, as for runs):
 * - run_media: per run with an output, how it was made: the input's real
 *   path when it was read (to redact again from the original), the
 *   redaction style, the encoder quality, the picture size, a video's frames.
 * - run_faces: per face (photo) or face track (video) of such a run, its box
 *   in output pixels, keep or redact and why, and for kept faces only whom
 *   it shows (external id, as kept_people: never the identity of a face
 *   that was redacted, never biometric data); a video track's frames and
 *   its box in each frame.
 * - run_edits: each region redacted by hand: who, when, on which machine,
 *   the region, the frames (video), whether the output was made again from
 *   the original or redacted where it was, and the output's SHA-256 before
 *   and after. Recording one also appends an audit row `review.redact`
 *   (subject: the external id of the kept face it covered, else "") in the
 *   same transaction.
 * There is no way to record that a face becomes visible: only a new run
 * decides that.
 *
 * Errors as in registry.h: 0 or a negative code with err set (CB_EINVAL for
 * a field that breaks a rule, CB_EDB/CB_EBUSY from sqlite). A handle opened
 * read-only can read but not record. Not thread-safe (one handle per
 * thread), as the registry.
 */
#ifndef CB_RUN_REVIEW_H
#define CB_RUN_REVIEW_H

#include <stdint.h>

#include "decide.h"
#include "runs.h"

/* How a run's output was made (table run_media). */
typedef struct cb_run_media {
    char input_realpath[CB_RUN_PATH_SIZE]; /* absolute, as cb_run_path_text stores paths;
                                              "" when unknown */
    char style[16];   /* redaction style name (pipeline/redact.h), e.g. "default" */
    int quality;      /* photo: encoder quality, 0 = the default; video: x264 CRF,
                         < 0 = the default */
    int width, height;/* of the output, in pixels (> 0) */
    int64_t frames;   /* video: frames in the output; 0 for a photo */
} cb_run_media;

/* One face (photo) or face track (video) of a run (table run_faces). */
typedef struct cb_run_face {
    int index;             /* 0, 1, ... in the run's order */
    int track_id;          /* video: the track's id (> 0); 0 for a photo */
    float x, y, w, h;      /* photo: the box; video: the track's largest box */
    int64_t first, last;   /* video: the frames the track covers; 0, 0 for a photo */
    int keep;              /* 1: left visible, 0: redacted */
    cb_reason reason;
    char external_id[64];  /* kept faces: whom it shows; "" for redacted ones */
    float *boxes;          /* video: x, y, w, h for each frame first..last (4 floats
                              each), or NULL; owned by the caller when recording, by
                              the list when read (cb_run_faces_free) */
} cb_run_face;

/*
 * Record how run_id's output was made and its faces (n of them; n may be
 * 0), in one transaction (or the caller's group). For a video each face's
 * boxes, when not NULL, hold last - first + 1 boxes. CB_EINVAL for an
 * unknown run, a run without output, one already recorded, or a field out
 * of range.
 */
int cb_registry_run_faces_record(cb_registry *r, int64_t run_id, const cb_run_media *media,
                                 const cb_run_face *faces, int n, cb_error *err);

/*
 * Read them back. *has_media = 0 when the run has no such record (a run
 * from before schema 4, or one without output); then *faces is NULL and
 * *n 0. Free the faces with cb_run_faces_free.
 */
int cb_registry_run_faces(cb_registry *r, int64_t run_id, cb_run_media *media, int *has_media,
                          cb_run_face **faces, int *n, cb_error *err);

/* Free a list read by cb_registry_run_faces. Accepts NULL. */
void cb_run_faces_free(cb_run_face *faces, int n);

/* Where a manual redaction was done from. */
typedef enum cb_edit_source {
    CB_EDIT_FROM_ORIGINAL = 0, /* the output was made again from the unchanged input */
    CB_EDIT_FROM_OUTPUT = 1    /* the input was gone or changed: redacted in the output */
} cb_edit_source;

/* Stored as "original", "output". NULL for an unknown value. */
const char *cb_edit_source_name(cb_edit_source s);

/* One region redacted by hand (table run_edits). */
typedef struct cb_run_edit {
    int64_t id;              /* assigned by the registry */
    int64_t run_id;          /* the run whose output it changed */
    char at[21];             /* "YYYY-MM-DDTHH:MM:SSZ" (record: "" = now) */
    char actor[64];          /* who (record: "" = cb_registry_default_actor) */
    char host[256];          /* where (record: "" = gethostname) */
    int x, y, w, h;          /* the region (a face box) in output pixels; w, h > 0 */
    int64_t first, last;     /* video: frames first..last; -1, -1 for a photo */
    int face;                /* the kept face (run_faces index) it covers, -1 for a
                                region drawn by hand */
    cb_edit_source source;
    char before_sha256[65];  /* the output before and after (64 hex digits) */
    char after_sha256[65];
} cb_run_edit;

/*
 * Record a manual redaction and its audit row (review.redact; details: run,
 * edit id, region, frames, source; no file names) in one transaction. e->id
 * and the defaulted fields are written back. CB_EINVAL for an unknown run, a
 * face index that is not a kept face of the run, or a bad field.
 */
int cb_registry_run_edit_record(cb_registry *r, cb_run_edit *e, cb_error *err);

/* The edits of run_id, oldest first. *out is malloc'd (free()), may be NULL
 * when *n is 0. */
int cb_registry_run_edits(cb_registry *r, int64_t run_id, cb_run_edit **out, int *n,
                          cb_error *err);

/*
 * The run whose output the file hashing to output_sha256 (any case) is:
 * the newest ok run that wrote it, or the run of the newest manual edit
 * that left it. *latest = 1 when it is the run's current output (no edit
 * after it), 0 when later edits exist (an older copy was put back: regions
 * redacted by hand are missing from it). *found 0 when no run knows it.
 */
int cb_registry_run_by_output(cb_registry *r, const char *output_sha256, cb_run *run,
                              int *found, int *latest, cb_error *err);

#endif

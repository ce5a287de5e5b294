/*
 * review_record.h - record a run together with what the review page needs
 * (consent/run_review.h): how the output was made and each face's box and
 * decision, in one registry transaction, so that a run on record always
 * has its faces on record too.
 *
 * Called by job.c for every run it records. Not thread-safe beyond the
 * registry handle's rules (one handle per thread).
 */
#ifndef CB_REVIEW_RECORD_H
#define CB_REVIEW_RECORD_H

#include "job.h"

/*
 * Record `run` (cb_registry_run_record; res->run_id set) and, when it has
 * an output, its media and faces from res (photo faces, or video tracks
 * with their per-frame boxes when res holds them). in_path is the file that
 * was read (its real path is stored, to redact again from it later).
 * Returns 0 or a negative code; then nothing of it is in the registry.
 */
int cb_review_record_run(cb_registry *reg, const cb_run *run, const char *in_path,
                         const cb_job_opts *opts, cb_job_result *res, cb_error *err);

#endif

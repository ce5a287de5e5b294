/*
 * review_redact.h - redact regions by hand in an output that a run wrote
 * (`consentblur review`): make the output again with every region redacted
 * that the run redacted and that staff redacted by hand so far.
 *
 * From the original when it is still where the run read it (its real path,
 * consent/run_review.h) with the SHA-256 the run recorded: the output is
 * then made exactly as the run made it (the run's redacted faces, its style
 * and quality, the same encoder), plus the regions redacted by hand, so
 * nothing is encoded twice. Otherwise (the input moved, changed, or the run
 * has no record of it) the regions redacted by hand are redacted in the
 * output itself. Either way the redaction is pipeline/redact.h's, in the
 * run's style and at the strength of a face of the region's size (a region
 * is taken as a face's box: the redacted ellipse is somewhat larger than
 * it, hair line and chin included, as for a face the detector found), and
 * the file is replaced atomically (temporary file, fsync, rename; photos
 * without any metadata, as media_out.h writes them). Nothing is ever made
 * visible again: every region redacted before is redacted again.
 *
 * Videos are made again through the video job's render (video.h) with the
 * extra regions over their frame ranges, and a kept track redacted by hand
 * along its boxes of every frame.
 *
 * Errors: 0 or a negative code with err set; on error the output is left as
 * it was. Not thread-safe for one output (the caller serialises).
 */
#ifndef CB_REVIEW_REDACT_H
#define CB_REVIEW_REDACT_H

#include <stddef.h>
#include <stdint.h>

#include "../consent/run_review.h"

typedef struct cb_review_target {
    const char *output_path;   /* the output to make again */
    const cb_run *run;         /* its run (the input's SHA-256) */
    const cb_run_media *media; /* how the run made it */
    const cb_run_face *faces;  /* the run's faces (n_faces) */
    int n_faces;
    const cb_run_edit *edits;  /* every region redacted by hand, the new one included */
    int n_edits;
} cb_review_target;

/*
 * Make t->output_path again as described above. *source says from what;
 * after_sha256 = the new output's SHA-256. Returns 0 or a negative code.
 */
int cb_review_redact(const cb_review_target *t, cb_edit_source *source, char after_sha256[65],
                     cb_error *err);

/*
 * The same, recorded: after the new output is in place, record(user, source,
 * after_sha256, err) is called (to record the edit in the registry); when it
 * fails, the output as it was before is put back and its error returned, so
 * that no change is left that is not on record. The output before is kept
 * meanwhile as a hard link ".NAME.review.bak" beside it (removed at the end;
 * cb_review_backup_path names it).
 */
typedef int (*cb_review_record_fn)(void *user, cb_edit_source source,
                                   const char after_sha256[65], cb_error *err);
int cb_review_redact_recorded(const cb_review_target *t, cb_review_record_fn record, void *user,
                              cb_error *err);

/* ".NAME.review.bak" beside path into out. 0 or CB_EINVAL (too long). */
int cb_review_backup_path(const char *path, char *out, size_t size, cb_error *err);

/*
 * Frame `index` (0-based, presentation order) of the video at path as a
 * JPEG (for the review page): *data malloc'd (free()), *size bytes.
 * CB_EINVAL when the video has fewer frames; other codes from the decoder.
 */
int cb_review_frame_jpeg(const char *path, int64_t index, uint8_t **data, size_t *size,
                         cb_error *err);

/* The original's path to read for t when it is still there unchanged (its
 * SHA-256 that of t->run's input), else NULL. */
const char *cb_review_original(const cb_review_target *t);

#endif

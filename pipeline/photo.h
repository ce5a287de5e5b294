/*
 * photo.h - one photo, end to end: read (orientation applied), detect every
 * face, decide per face (recognise/judge.h) or redact them all, redact, write
 * atomically. The simple tier of the pipeline API; the detector and judge
 * are opened once by the caller and reused across photos.
 *
 * Fail closed: if any step fails (a registry error included), no output file
 * is written (media_out removes its temporary file) and the error says which
 * step and why. A face is left visible only when the judge says keep.
 */
#ifndef CB_PHOTO_H
#define CB_PHOTO_H

#include "../common/cb_error.h"
#include "../common/cb_log.h"
#include "../recognise/judge.h"
#include "../models/detector.h"
#include "media_in.h"
#include "redact.h"

typedef struct cb_photo_opts {
    cb_redact_style style;
    int overwrite;               /* replace an existing output */
    int quality;                 /* JPEG/WebP quality, 0 = default */
    enum AVCodecID out_codec;    /* AV_CODEC_ID_NONE: same format as the input (HEIC, AVIF: JPEG) */
    cb_image_limits limits;
    const cb_logger *log;        /* may be NULL */
} cb_photo_opts;

/* Defaults: default style, no overwrite, same format, default limits. */
void cb_photo_opts_default(cb_photo_opts *opts);

typedef struct cb_photo_result {
    int width, height;           /* after orientation */
    int orientation;             /* EXIF orientation applied (1 = none) */
    enum AVCodecID in_codec, out_codec;
    cb_face_list faces;          /* every face found; owned, see cb_photo_result_free */
    cb_verdict *verdicts;        /* one per face (same order); owned */
    int kept, redacted;          /* how many faces were left visible / redacted */
    int detector_runs;           /* network runs spent on this photo */
    double seconds_read, seconds_detect, seconds_judge, seconds_redact, seconds_write;
} cb_photo_result;

/*
 * Process in_path into out_path. judge NULL: every face is redacted
 * (reason CB_REASON_REDACT_ALL). out_path NULL: decide only, write nothing
 * (`check`). `result` (may be NULL) is filled as far as the run got, also on
 * failure; free it with cb_photo_result_free.
 * Returns 0 or the first step's negative code, err naming the file.
 */
int cb_photo_process(cb_detector *det, cb_judge *judge, const char *in_path,
                     const char *out_path, const cb_photo_opts *opts, cb_photo_result *result,
                     cb_error *err);

/* Free what a result owns and zero it. Accepts NULL. */
void cb_photo_result_free(cb_photo_result *result);

#endif

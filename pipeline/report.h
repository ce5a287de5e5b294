/*
 * report.h - the HTML report of a run: a self-contained contact sheet of
 * the outputs, for the communications staff who publish them.
 *
 * One HTML file (UTF-8, no external resources, no JavaScript): a header with
 * the title, command, purpose, date and counts (files, faces kept, faces
 * redacted, failures), the failed files with their reasons, then one card
 * per processed file in a grid (4 columns at 1280 px, fewer on narrow
 * screens, print-friendly): a thumbnail, the file's name, and a badge per
 * face - "kept: NAME (EXTERNAL ID) - PURPOSE" in green, "redacted: REASON -
 * DETAIL" in grey (nobody recognised: unknown, not recognisable, low margin,
 * redact-all) or red (a recognised person whose consent does not hold:
 * refused, withdrawn, expired, ...). Identical redacted badges of one file
 * are shown once with a count ("x 12"). For a video the badges are per
 * track. Regions redacted by hand after the run (consentblur review) get a
 * purple badge each (cb_report_add_reviewed).
 *
 * The report never shows an unredacted face: thumbnails are made from the
 * OUTPUT files only (decoded again from disk, as published), never from the
 * inputs. A `check` run has no output: its cards carry no thumbnail. Photo
 * thumbnails are at most 360 px on the long side, video frames 240 px
 * (three per video, at 1/4, 1/2 and 3/4 of its frames), JPEG, inlined as
 * base64 data: URIs. Every text (file names, people's names, reasons) is
 * HTML-escaped; bytes that are not UTF-8, and control characters, show as
 * U+FFFD.
 *
 * Memory stays bounded: each card is written to a temporary file as it is
 * added (nothing but the running counts is kept); cb_report_finish writes
 * the report beside its destination (".NAME.<hex>.tmp"), copies the cards
 * in, fsyncs and renames it into place, replacing an older report. The
 * temporary files live in the report's folder, start with a dot (a folder
 * watcher ignores them), and are removed by finish and by close.
 *
 * Errors: 0 or a negative code (CB_EINVAL for bad arguments or a report
 * already finished, CB_ENOMEM, -errno from the file system) with err set.
 * A failed add leaves the report usable (the card is not added). A report
 * handle is not thread-safe.
 */
#ifndef CB_REPORT_H
#define CB_REPORT_H

#include "../common/cb_error.h"
#include "../consent/run_review.h"
#include "photo.h"
#include "video.h"

typedef struct cb_report cb_report;

typedef struct cb_report_info {
    const char *title;   /* e.g. "School trip 2026"; NULL: "consentblur report" */
    const char *command; /* process, batch, watch, check, redact; NULL: not shown */
    const char *purpose; /* the purpose consent was judged for; NULL (redact): every face
                            is redacted */
    const char *date;    /* the run's date ("YYYY-MM-DD"); NULL: not shown */
} cb_report_info;

/*
 * Start a report that cb_report_finish will write to html_path (its folder
 * must exist; the info strings are copied). Creates the temporary card
 * files there. Returns 0 and *out (close with cb_report_close), or a
 * negative code.
 */
int cb_report_open(const char *html_path, const cb_report_info *info, cb_report **out,
                   cb_error *err);

/*
 * One processed photo: thumbnail from `output` (NULL for check: none), and
 * per face of res (res->faces with res->verdicts) a badge. input names the
 * card. Returns 0; 1 when the card was added without a thumbnail because
 * the output could not be read or encoded (err says why; the card says
 * "no preview"); or a negative code (the card is not added).
 */
int cb_report_add_photo(cb_report *r, const char *input, const char *output,
                        const cb_photo_result *res, cb_error *err);

/*
 * One processed video: a strip of three frames decoded from `output` (NULL
 * for check: none) at 1/4, 1/2 and 3/4 of its frames (res->frames, else the
 * count the container states, else counted by decoding), and a badge per
 * track of res. Returns as cb_report_add_photo.
 */
int cb_report_add_video(cb_report *r, const char *input, const char *output,
                        const cb_video_result *res, cb_error *err);

/*
 * A photo (photo set) or video (video set) as cb_report_add_photo /
 * cb_report_add_video add it, with a badge for each region redacted by hand
 * since its run (`consentblur review`: who, when, the region, the frames):
 * the report `review --report` writes. The edits are not kept.
 */
int cb_report_add_reviewed(cb_report *r, const char *input, const char *output,
                           const cb_photo_result *photo, const cb_video_result *video,
                           const cb_run_edit *edits, int n_edits, cb_error *err);

/* A file that failed: its name and the reason (one line); no thumbnail. */
int cb_report_add_failure(cb_report *r, const char *input, const char *reason, cb_error *err);

/*
 * Write the report to html_path atomically (temporary file, fsync, rename;
 * an existing report there is replaced). After finish (successful or not)
 * only cb_report_close may be called. Returns 0 or a negative code (then
 * nothing is at html_path that was not there before).
 */
int cb_report_finish(cb_report *r, cb_error *err);

/* Free the report and remove its temporary files. Accepts NULL. Without a
 * successful finish nothing is written at html_path. */
void cb_report_close(cb_report *r);

#endif

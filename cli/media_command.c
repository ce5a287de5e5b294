/*
 * media_command.c - `redact`, `process` and `check` on photos and videos:
 * options, the loop over the input files, the JSON report; see
 * media_command.h.
 */
#include <getopt.h>
#include <math.h>
#include <libavcodec/avcodec.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/cb_date.h"
#include "../common/fsutil.h"
#include "../pipeline/media_out.h"
#include "../consent/registry.h"
#include "../pipeline/job.h"
#include "../pipeline/report.h"
#include "cli_job.h"
#include "media_command.h"
#include "progress.h"

static void json_distance(FILE *f, const char *key, float d)
{
    if (isfinite(d))
        fprintf(f, ", \"%s\": %.4f", key, d);
    else
        fprintf(f, ", \"%s\": null", key);
}

static void json_person(FILE *f, const cb_verdict *v)
{
    if (!v->person_id)
        return;
    fputs(", \"person\": {\"id\": ", f);
    cb_json_write_string(f, v->external_id);
    fputs(", \"name\": ", f);
    cb_json_write_string(f, v->name);
    fputs("}", f);
}

static void json_face(FILE *f, const cb_face *fc, const cb_verdict *v)
{
    char names[64];
    fprintf(f, "{\"box\": [%.1f, %.1f, %.1f, %.1f], \"score\": %.3f, \"detectors\": \"%s\","
               " \"action\": \"%s\", \"reason\": \"%s\", \"detail\": ",
            fc->x, fc->y, fc->w, fc->h, fc->score,
            cb_detector_flags_name(fc->detectors, names, sizeof names),
            v->keep ? "kept" : "redacted", cb_reason_name(v->reason));
    cb_json_write_string(f, v->detail);
    json_person(f, v);
    if (v->reason != CB_REASON_REDACT_ALL && v->reason != CB_REASON_NOT_RECOGNISABLE) {
        json_distance(f, "distance", v->distance);
        json_distance(f, "next_distance", v->runner_up_distance);
    }
    fputs("}", f);
}

static void json_photo(FILE *f, const cb_media_args *a, const char *out, const cb_photo_result *r)
{
    fputs(", \"status\": \"ok\", \"kind\": \"photo\", \"output\": ", f);
    if (out)
        cb_json_write_string(f, out);
    else
        fputs("null", f);
    fprintf(f, ", \"width\": %d, \"height\": %d, \"orientation\": %d, \"style\": \"%s\","
               " \"faces_kept\": %d, \"faces_redacted\": %d, \"seconds\": %.3f, \"faces\": [",
            r->width, r->height, r->orientation, cb_redact_style_name(a->job.photo.style), r->kept,
            r->redacted,
            r->seconds_read + r->seconds_detect + r->seconds_judge + r->seconds_redact +
                r->seconds_write);
    for (int i = 0; i < r->faces.count; i++) {
        fputs(i ? ",\n      " : "\n      ", f);
        json_face(f, &r->faces.faces[i], &r->verdicts[i]);
    }
    fprintf(f, "%s]}", r->faces.count ? "\n    " : "");
}

static void json_video(FILE *f, const cb_media_args *a, const char *out, const cb_video_result *r)
{
    fputs(", \"status\": \"ok\", \"kind\": \"video\", \"output\": ", f);
    if (out)
        cb_json_write_string(f, out);
    else
        fputs("null", f);
    fprintf(f, ", \"width\": %d, \"height\": %d, \"rotation\": %d, \"frames\": %lld,"
               " \"frames_analysed\": %lld, \"style\": \"%s\", \"faces_kept\": %d,"
               " \"faces_redacted\": %d, \"seconds\": %.3f, \"fps\": %.1f, \"tracks\": [",
            r->info.width, r->info.height, r->info.rotation, (long long)r->frames,
            (long long)r->frames_analysed, cb_redact_style_name(a->job.video.style), r->kept,
            r->redacted, cb_video_seconds(r), cb_video_fps(r->frames, cb_video_seconds(r)));
    for (int i = 0; i < r->n_tracks; i++) {
        const cb_video_track *t = &r->tracks[i];
        fprintf(f, "%s{\"track\": %d, \"first_frame\": %lld, \"last_frame\": %lld,"
                   " \"detections\": %d, \"samples\": %d, \"box\": [%.1f, %.1f, %.1f, %.1f],"
                   " \"action\": \"%s\", \"reason\": \"%s\", \"detail\": ",
                i ? ",\n      " : "\n      ", t->id, (long long)t->first, (long long)t->last,
                t->detections, t->samples, t->box[0], t->box[1], t->box[2], t->box[3],
                t->verdict.keep ? "kept" : "redacted", cb_reason_name(t->verdict.reason));
        cb_json_write_string(f, t->verdict.detail);
        json_person(f, &t->verdict);
        fputs("}", f);
    }
    fprintf(f, "%s]}", r->n_tracks ? "\n    " : "");
}

/* Why a face may not be shown, in the reader's language, for the `check`
 * lines (JSON keeps cb_reason_name). In English, the reason's own name. */
static const char *reason_label(cb_reason r)
{
    switch (r) {
    /* TRANSLATORS: why a face may not be shown, in `check` lines:
       "photo.jpg: face at 10,20 (50x60): REASON: detail". */
    case CB_REASON_CONSENT: return C_("reason", "consent");
    case CB_REASON_REDACT_ALL: return C_("reason", "redact-all");
    case CB_REASON_NOT_RECOGNISABLE: return C_("reason", "not-recognisable");
    case CB_REASON_UNKNOWN: return C_("reason", "unknown");
    case CB_REASON_LOW_MARGIN: return C_("reason", "low-margin");
    case CB_REASON_NO_CONSENT: return C_("reason", "no-consent");
    case CB_REASON_REFUSED: return C_("reason", "refused");
    case CB_REASON_WITHDRAWN: return C_("reason", "withdrawn");
    case CB_REASON_NOT_YET_VALID: return C_("reason", "not-yet-valid");
    case CB_REASON_EXPIRED: return C_("reason", "expired");
    case CB_REASON_GUARDIAN_AFTER_AGE: return C_("reason", "guardian-consent-after-age");
    case CB_REASON_SELF_UNDER_AGE: return C_("reason", "own-consent-under-age");
    case CB_REASON_WRONG_PARTY: return C_("reason", "wrong-party");
    case CB_REASON_NO_BIRTH_DATE: return C_("reason", "no-birth-date");
    case CB_REASON_TRACK_DISAGREES: return C_("reason", "track-disagrees");
    }
    return cb_reason_name(r);
}

/* `check` without --json: one line per face that may not be shown. */
static void print_check_problems(const char *in, const cb_photo_result *r)
{
    for (int i = 0; i < r->faces.count; i++) {
        const cb_verdict *v = &r->verdicts[i];
        const cb_face *fc = &r->faces.faces[i];
        if (!v->keep)
            printf(_("%s: face at %.0f,%.0f (%.0fx%.0f): %s: %s\n"), in, fc->x, fc->y, fc->w,
                   fc->h, reason_label(v->reason), v->detail);
    }
}

static void print_video_check_problems(const char *in, const cb_video_result *r)
{
    for (int i = 0; i < r->n_tracks; i++) {
        const cb_video_track *t = &r->tracks[i];
        if (!t->verdict.keep)
            printf(_("%s: face in frames %lld-%lld (near %.0f,%.0f): %s: %s\n"), in,
                   (long long)t->first, (long long)t->last, t->box[0], t->box[1],
                   reason_label(t->verdict.reason), t->verdict.detail);
    }
}

/* One file's entry in the JSON report. */
static void json_file(FILE *f, int first, const cb_media_args *a, const char *in, const char *out,
                      int rc, const cb_error *err, const cb_job_result *r)
{
    fprintf(f, "%s\n    {\"input\": ", first ? "" : ",");
    cb_json_write_string(f, in);
    if (rc < 0) {
        fputs(", \"status\": \"error\", \"error\": ", f);
        cb_json_write_string(f, err->msg);
        fputs(", \"output\": null}", f);
    } else if (r->video) {
        json_video(f, a, out, &r->vid);
    } else {
        json_photo(f, a, out, &r->photo);
    }
}

void cb_media_report_file(cb_report *report, const char *in, const char *out, int rc,
                          const cb_error *why, const cb_job_result *r)
{
    cb_error err = {0};
    int added;
    if (rc < 0)
        added = cb_report_add_failure(report, in, why->msg, &err);
    else if (r->video)
        added = cb_report_add_video(report, in, out, &r->vid, &err);
    else
        added = cb_report_add_photo(report, in, out, &r->photo, &err);
    if (added != 0)
        fprintf(stderr, _("consentblur: report: %s\n"), err.msg);
}

/* What the files of one run came to. */
typedef struct tally {
    int failed, done, kept, redacted, not_clear;
} tally;

/* One file of the command line: run it, print and report what became of it. */
static void run_file(const cb_media_args *a, cb_worker *worker, cb_progress_video *pv,
                     cb_report *report, const char *in, int first, tally *t)
{
    char out[4096];
    const char *out_path = NULL;
    cb_job_result result = {0};
    cb_error err = {0};
    int rc = 0;
    if (a->out_dir) {
        rc = cb_job_output_path(&a->job, in, cb_job_is_video(in), a->out_dir, out, sizeof out,
                                &err);
        out_path = out;
    }
    if (rc == 0) {
        cb_progress_video_begin(pv, in, out_path ? 2 : 1); /* `check` only analyses */
        rc = cb_worker_run(worker, in, out_path, &result, &err);
        cb_progress_video_end(pv, rc, &result);
    }
    if (rc < 0) {
        t->failed++;
        cb_cli_file_failed(in, rc, &err);
    } else {
        t->done++;
        t->kept += result.kept;
        t->redacted += result.redacted;
        if (result.redacted > 0)
            t->not_clear++;
        if (a->mode == CB_MODE_CHECK && !a->json && result.video)
            print_video_check_problems(in, &result.vid);
        else if (a->mode == CB_MODE_CHECK && !a->json)
            print_check_problems(in, &result.photo);
    }
    if (a->json)
        json_file(stdout, first, a, in, out_path, rc, &err, &result);
    if (report)
        cb_media_report_file(report, in, out_path, rc, &err, &result);
    cb_job_result_free(&result);
}

int cb_media_command(cb_media_mode mode, int argc, char **argv, const cb_cli_common *common)
{
    cb_media_args a;
    int rc = cb_media_parse(mode, argc, argv, &a);
    if (rc)
        return rc > 0 ? rc : CB_EXIT_OK;
    /* Progress only with -v: scripts' stderr stays quiet. */
    cb_cli_common logged;
    cb_progress *progress =
        cb_progress_start(common, common->log.level >= CB_LOG_INFO, isatty(2), &logged);
    common = &logged;
    cb_error err = {0};
    char registry[4096];
    rc = cb_cli_job_setup(&a.job, common, a.registry, mode != CB_MODE_REDACT, registry,
                          sizeof registry, &err);
    a.job.record = mode != CB_MODE_REDACT;
    a.job.run_command = mode == CB_MODE_CHECK ? CB_RUN_CHECK : CB_RUN_PROCESS;
    cb_worker *worker = NULL;
    cb_progress_video *pv = NULL;
    cb_report *report = NULL;
    if (rc == 0)
        rc = cb_progress_video_open(progress, &a.job.video, &pv, &err);
    if (rc == 0)
        rc = cb_worker_open(&a.job, &worker, &err);
    if (rc == 0 && a.out_dir)
        rc = cb_mkdir_p(a.out_dir, &err);
    cb_judge *judge = worker ? cb_worker_judge(worker) : NULL;
    if (rc == 0 && a.report) {
        const cb_policy *p = judge ? cb_judge_policy(judge) : NULL;
        cb_report_info info = {.command = a.name, .purpose = p ? p->purpose : NULL,
                               .date = p ? p->date : NULL};
        rc = cb_report_open(a.report, &info, &report, &err);
    }
    if (rc < 0) {
        cb_cli_cannot_start(&err);
        cb_worker_close(worker);
        cb_progress_video_close(pv);
        cb_progress_close(progress);
        return CB_EXIT_FAILED;
    }
    tally t = {0};
    if (a.json) {
        fprintf(stdout, "{\"command\": \"%s\"", a.name);
        if (judge) {
            const cb_policy *p = cb_judge_policy(judge);
            fprintf(stdout, ", \"purpose\": \"%s\", \"date\": \"%s\"", p->purpose, p->date);
        }
        fputs(", \"files\": [", stdout);
    }
    for (int i = a.first_input; i < argc; i++)
        run_file(&a, worker, pv, report, argv[i], i == a.first_input, &t);
    if (report && cb_report_finish(report, &err) < 0) {
        fprintf(stderr, _("consentblur: report: %s\n"), err.msg);
        t.failed++;
    }
    cb_report_close(report);
    if (a.json)
        printf("\n  ],\n  \"summary\": {\"files\": %d, \"failed\": %d, \"faces_kept\": %d,"
               " \"faces_redacted\": %d%s}}\n",
               t.done + t.failed, t.failed, t.kept, t.redacted,
               mode != CB_MODE_CHECK ? "" : t.not_clear || t.failed ? ", \"may_publish\": false"
                                                                    : ", \"may_publish\": true");
    cb_log(&common->log, CB_LOG_INFO,
           _("%d file(s) done, %d failed, %d face(s) kept, %d redacted"), t.done, t.failed,
           t.kept, t.redacted);
    cb_worker_close(worker);
    cb_progress_video_close(pv);
    cb_progress_close(progress);
    if (mode == CB_MODE_CHECK && t.not_clear)
        return CB_EXIT_FAILED;
    return t.failed ? CB_EXIT_FAILED : CB_EXIT_OK;
}

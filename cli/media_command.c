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

/* The person a kept (or at least recognised) face shows, when there is one. */
static void json_person(cb_json *j, const cb_verdict *v)
{
    if (!v->person_id)
        return;
    cb_json_key(j, "person");
    cb_json_object(j, CB_JSON_INLINE);
    cb_json_kv_string(j, "id", v->external_id);
    cb_json_kv_string(j, "name", v->name);
    cb_json_end(j);
}

/* x, y, w, h as a list, to a tenth of a pixel. */
static void json_box(cb_json *j, const float box[4])
{
    cb_json_key(j, "box");
    cb_json_array(j, CB_JSON_INLINE);
    for (int i = 0; i < 4; i++)
        cb_json_fixed(j, box[i], 1);
    cb_json_end(j);
}

/* What was done with a face or track and why. */
static void json_verdict(cb_json *j, const cb_verdict *v)
{
    cb_json_kv_string(j, "action", v->keep ? "kept" : "redacted");
    cb_json_kv_string(j, "reason", cb_reason_name(v->reason));
    cb_json_kv_string(j, "detail", v->detail);
    json_person(j, v);
}

static void json_face(cb_json *j, const cb_face *fc, const cb_verdict *v)
{
    char names[64];
    const float box[4] = {fc->x, fc->y, fc->w, fc->h};
    cb_json_object(j, CB_JSON_INLINE);
    json_box(j, box);
    cb_json_kv_fixed(j, "score", fc->score, 3);
    cb_json_kv_string(j, "detectors", cb_detector_flags_name(fc->detectors, names, sizeof names));
    json_verdict(j, v);
    if (v->reason != CB_REASON_REDACT_ALL && v->reason != CB_REASON_NOT_RECOGNISABLE) {
        cb_json_kv_fixed(j, "distance", v->distance, 4); /* null when not finite */
        cb_json_kv_fixed(j, "next_distance", v->runner_up_distance, 4);
    }
    cb_json_end(j);
}

/* What a photo or video done begins with: its kind, output and size. */
static void json_done(cb_json *j, const char *kind, const char *out, int width, int height)
{
    cb_json_kv_string(j, "status", "ok");
    cb_json_kv_string(j, "kind", kind);
    cb_json_kv_string(j, "output", out);
    cb_json_kv_int(j, "width", width);
    cb_json_kv_int(j, "height", height);
}

/* How its faces were redacted, and how many were kept and redacted. */
static void json_counts(cb_json *j, cb_redact_style style, int kept, int redacted)
{
    cb_json_kv_string(j, "style", cb_redact_style_name(style));
    cb_json_kv_int(j, "faces_kept", kept);
    cb_json_kv_int(j, "faces_redacted", redacted);
}

static void json_photo(cb_json *j, const cb_media_args *a, const char *out,
                       const cb_photo_result *r)
{
    json_done(j, "photo", out, r->width, r->height);
    cb_json_kv_int(j, "orientation", r->orientation);
    json_counts(j, a->job.photo.style, r->kept, r->redacted);
    cb_json_kv_fixed(j, "seconds", r->seconds_read + r->seconds_detect + r->seconds_judge +
                                       r->seconds_redact + r->seconds_write, 3);
    cb_json_key(j, "faces");
    cb_json_array(j, CB_JSON_LINES);
    for (int i = 0; i < r->faces.count; i++)
        json_face(j, &r->faces.faces[i], &r->verdicts[i]);
    cb_json_end(j);
}

static void json_track(cb_json *j, const cb_video_track *t)
{
    cb_json_object(j, CB_JSON_INLINE);
    cb_json_kv_int(j, "track", t->id);
    cb_json_kv_int(j, "first_frame", t->first);
    cb_json_kv_int(j, "last_frame", t->last);
    cb_json_kv_int(j, "detections", t->detections);
    cb_json_kv_int(j, "samples", t->samples);
    json_box(j, t->box);
    json_verdict(j, &t->verdict);
    cb_json_end(j);
}

static void json_video(cb_json *j, const cb_media_args *a, const char *out,
                       const cb_video_result *r)
{
    json_done(j, "video", out, r->info.width, r->info.height);
    cb_json_kv_int(j, "rotation", r->info.rotation);
    cb_json_kv_int(j, "frames", r->frames);
    cb_json_kv_int(j, "frames_analysed", r->frames_analysed);
    json_counts(j, a->job.video.style, r->kept, r->redacted);
    cb_json_kv_fixed(j, "seconds", cb_video_seconds(r), 3);
    cb_json_kv_fixed(j, "fps", cb_video_fps(r->frames, cb_video_seconds(r)), 1);
    cb_json_key(j, "tracks");
    cb_json_array(j, CB_JSON_LINES);
    for (int i = 0; i < r->n_tracks; i++)
        json_track(j, &r->tracks[i]);
    cb_json_end(j);
}

/* `check` without --json: one line per face that may not be shown. */
static void print_check_problems(const char *in, const cb_photo_result *r)
{
    for (int i = 0; i < r->faces.count; i++) {
        const cb_verdict *v = &r->verdicts[i];
        const cb_face *fc = &r->faces.faces[i];
        if (!v->keep)
            printf(_("%s: face at %.0f,%.0f (%.0fx%.0f): %s: %s\n"), in, fc->x, fc->y, fc->w,
                   fc->h, cb_reason_label(v->reason), v->detail);
    }
}

static void print_video_check_problems(const char *in, const cb_video_result *r)
{
    for (int i = 0; i < r->n_tracks; i++) {
        const cb_video_track *t = &r->tracks[i];
        if (!t->verdict.keep)
            printf(_("%s: face in frames %lld-%lld (near %.0f,%.0f): %s: %s\n"), in,
                   (long long)t->first, (long long)t->last, t->box[0], t->box[1],
                   cb_reason_label(t->verdict.reason), t->verdict.detail);
    }
}

/* One file's entry in the JSON report. */
static void json_file(cb_json *j, const cb_media_args *a, const char *in, const char *out,
                      int rc, const cb_error *err, const cb_job_result *r)
{
    cb_json_object(j, CB_JSON_INLINE);
    cb_json_kv_string(j, "input", in);
    if (rc < 0) {
        cb_json_kv_string(j, "status", "error");
        cb_json_kv_string(j, "error", err->msg);
        cb_json_kv_string(j, "output", NULL);
    } else if (r->video) {
        json_video(j, a, out, &r->vid);
    } else {
        json_photo(j, a, out, &r->photo);
    }
    cb_json_end(j);
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

/* What one run of `redact`, `process` or `check` works with. */
typedef struct media_run {
    cb_media_args *a;
    cb_cli_common common;  /* the caller's, logging through the progress display */
    cb_progress *progress;
    cb_progress_video *pv;
    cb_worker *worker;
    cb_report *report;     /* --report */
    cb_json *json;         /* --json: the report on stdout, written file by file */
    tally t;
} media_run;

/* One file of the command line: run it, print and report what became of it. */
static void run_file(media_run *m, const char *in)
{
    const cb_media_args *a = m->a;
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
        cb_progress_video_begin(m->pv, in, out_path ? 2 : 1); /* `check` only analyses */
        rc = cb_worker_run(m->worker, in, out_path, &result, &err);
        cb_progress_video_end(m->pv, rc, &result);
    }
    tally *t = &m->t;
    if (rc < 0) {
        t->failed++;
        cb_cli_file_failed(in, rc, &err);
    } else {
        t->done++;
        t->kept += result.kept;
        t->redacted += result.redacted;
        t->not_clear += result.redacted > 0;
        if ((a->def->can & CB_MEDIA_VERDICT) && !a->json && result.video)
            print_video_check_problems(in, &result.vid);
        else if ((a->def->can & CB_MEDIA_VERDICT) && !a->json)
            print_check_problems(in, &result.photo);
    }
    if (a->json) {
        json_file(m->json, a, in, out_path, rc, &err, &result);
        cb_json_flush(m->json, stdout); /* an error stays in the builder */
    }
    if (m->report)
        cb_media_report_file(m->report, in, out_path, rc, &err, &result);
    cb_job_result_free(&result);
}

/* Open what the run needs (registry, models, output folder, report). */
static int open_run(media_run *m, cb_error *err)
{
    cb_media_args *a = m->a;
    char registry[4096];
    int rc = cb_cli_job_setup(&a->job, &m->common, a->registry,
                              (a->def->can & CB_MEDIA_JUDGES) != 0, registry, sizeof registry,
                              err);
    if (rc == 0)
        rc = cb_progress_video_open(m->progress, &a->job.video, &m->pv, err);
    if (rc == 0)
        rc = cb_worker_open(&a->job, &m->worker, err);
    if (rc == 0 && a->out_dir)
        rc = cb_mkdir_p(a->out_dir, err);
    cb_judge *judge = m->worker ? cb_worker_judge(m->worker) : NULL;
    if (rc == 0 && a->report) {
        const cb_policy *p = judge ? cb_judge_policy(judge) : NULL;
        cb_report_info info = {.command = a->name, .purpose = p ? p->purpose : NULL,
                               .date = p ? p->date : NULL};
        rc = cb_report_open(a->report, &info, &m->report, err);
    }
    return rc;
}

static void close_run(media_run *m)
{
    cb_report_close(m->report);
    cb_worker_close(m->worker);
    cb_progress_video_close(m->pv);
    cb_progress_close(m->progress);
}

/* The head of the JSON report: the command, the policy, the start of the files. */
static void json_begin(media_run *m)
{
    cb_judge *judge = cb_worker_judge(m->worker);
    m->json = cb_json_new(0);
    cb_json_object(m->json, CB_JSON_LINES);
    cb_json_kv_string(m->json, "command", m->a->name);
    if (judge) {
        cb_json_kv_string(m->json, "purpose", cb_judge_policy(judge)->purpose);
        cb_json_kv_string(m->json, "date", cb_judge_policy(judge)->date);
    }
    cb_json_key(m->json, "files");
    cb_json_array(m->json, CB_JSON_LINES);
}

/* The end of the JSON report: the summary. Returns an exit code. */
static int json_finish(media_run *m)
{
    cb_json *j = m->json;
    const tally *t = &m->t;
    cb_json_end(j);
    cb_json_key(j, "summary");
    cb_json_object(j, CB_JSON_INLINE);
    cb_json_kv_int(j, "files", t->done + t->failed);
    cb_json_kv_int(j, "failed", t->failed);
    cb_json_kv_int(j, "faces_kept", t->kept);
    cb_json_kv_int(j, "faces_redacted", t->redacted);
    if (m->a->def->can & CB_MEDIA_VERDICT)
        cb_json_kv_bool(j, "may_publish", !t->not_clear && !t->failed);
    cb_json_end(j);
    cb_json_end(j);
    m->json = NULL;
    return cb_cli_json_done(j);
}

int cb_media_command(cb_media_mode mode, int argc, char **argv, const cb_cli_common *common)
{
    cb_media_args a;
    int rc = cb_media_parse(mode, argc, argv, &a);
    if (rc)
        return rc > 0 ? rc : CB_EXIT_OK;
    media_run m = {.a = &a};
    /* Progress only with -v: scripts' stderr stays quiet. */
    m.progress =
        cb_progress_start(common, common->log.level >= CB_LOG_INFO, isatty(2), &m.common);
    cb_error err = {0};
    if (open_run(&m, &err) < 0) {
        cb_cli_cannot_start(&err);
        close_run(&m);
        return CB_EXIT_FAILED;
    }
    if (a.json)
        json_begin(&m);
    for (int i = a.first_input; i < argc; i++)
        run_file(&m, argv[i]);
    if (m.report && cb_report_finish(m.report, &err) < 0) {
        fprintf(stderr, _("consentblur: report: %s\n"), err.msg);
        m.t.failed++;
    }
    if (a.json && json_finish(&m) != CB_EXIT_OK)
        m.t.failed++;
    const tally *t = &m.t;
    cb_log(&m.common.log, CB_LOG_INFO,
           _("%d file(s) done, %d failed, %d face(s) kept, %d redacted"), t->done, t->failed,
           t->kept, t->redacted);
    close_run(&m);
    if ((a.def->can & CB_MEDIA_VERDICT) && t->not_clear)
        return CB_EXIT_FAILED;
    return t->failed ? CB_EXIT_FAILED : CB_EXIT_OK;
}

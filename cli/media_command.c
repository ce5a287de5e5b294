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

#include "../common/cb_date.h"
#include "../common/fsutil.h"
#include "../pipeline/media_out.h"
#include "../consent/registry.h"
#include "../pipeline/job.h"
#include "../pipeline/report.h"
#include "cli_job.h"
#include "media_command.h"

void cb_media_command_options(cb_media_mode mode, FILE *f)
{
    fputs("options:\n", f);
    if (mode != CB_MODE_CHECK)
        fputs("  -o, --out DIR          output folder (created if missing)\n", f);
    if (mode != CB_MODE_REDACT)
        fprintf(f,
                "  --purpose P            the channel: social, website, newsletter, print,\n"
                "                         internal or one added with `purpose add` (required)\n"
                "  --date YYYY-MM-DD      judge consent as on this date (default: today)\n"
                "  --registry FILE        consent registry (default: see `consentblur --help`)\n"
                "  --threshold D          recognition distance threshold (default %.2f)\n"
                "  --margin D             required gap to the next person (default %.2f)\n",
                CB_EMBEDDER_MATCH_THRESHOLD, CB_EMBEDDER_MATCH_MARGIN);
    if (mode != CB_MODE_CHECK)
        fputs("  --style STYLE          default (pixelate+blur+noise), blur, pixelate, fill\n"
              "  --format FMT           same (default), jpg, png or webp\n"
              "  --quality N            JPEG/WebP quality 1-100 (default 92)\n"
              "  --force                replace existing output files\n"
              "  --crf N                video: x264 quality, 0-51, lower is better (default 20)\n"
              "  --preset NAME          video: x264 speed preset (default veryfast)\n",
              f);
    fputs("  --json                 print a JSON report on stdout\n"
          "  --report FILE.html     write an HTML contact sheet of the results (thumbnails\n"
          "                         of the redacted outputs only)\n"
          "  --min-face PX          smallest face height to look for (default 20)\n"
          "  --detect-every N       video: look for faces in every N-th frame, tracking\n"
          "                         them in between (default 1)\n"
          "  --scan-rounds N        video: search for the smallest faces over N frames,\n"
          "                         tracked faces in every frame (default 6; 1 = every\n"
          "                         tile of every frame, slowest)\n"
          "  --detectors LIST       comma list of blazeface, ssd, haar (default blazeface)\n"
          "  --no-tiling            whole-picture detection only (faster, misses small faces)\n",
          f);
}

typedef struct photo_args {
    cb_media_mode mode;
    const char *name; /* the command, for messages */
    const char *out_dir;
    const char *registry;
    const char *report;  /* --report FILE */
    cb_job_opts job;
    int json;
} photo_args;

static int parse_detectors(const char *list, unsigned *out)
{
    unsigned flags = 0;
    char buf[128];
    if (strlen(list) >= sizeof buf)
        return -1;
    strcpy(buf, list);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (!strcmp(tok, "blazeface"))
            flags |= CB_DET_BLAZEFACE;
        else if (!strcmp(tok, "ssd"))
            flags |= CB_DET_SSD;
        else if (!strcmp(tok, "haar"))
            flags |= CB_DET_HAAR;
        else
            return -1;
    }
    *out = flags;
    return flags ? 0 : -1;
}

static int parse_int(const char *s, int lo, int hi, int *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v < lo || v > hi)
        return -1;
    *out = (int)v;
    return 0;
}

static int parse_float(const char *s, float lo, float hi, float *out)
{
    char *end;
    float v = strtof(s, &end);
    if (*s == '\0' || *end != '\0' || !(v >= lo && v <= hi))
        return -1;
    *out = v;
    return 0;
}

static int preset_valid(const char *name)
{
    static const char *const presets[] = {"ultrafast", "superfast", "veryfast", "faster",
                                           "fast", "medium", "slow", "slower", "veryslow"};
    for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++)
        if (!strcmp(name, presets[i]))
            return 1;
    return 0;
}

/* Print "consentblur CMD: message" and return CB_EXIT_USAGE. */
static int usage_error(const photo_args *a, const char *fmt, const char *arg)
{
    fprintf(stderr, "consentblur %s: ", a->name);
    fprintf(stderr, fmt, arg);
    fprintf(stderr, " (see `consentblur help %s`)\n", a->name);
    return CB_EXIT_USAGE;
}

/* Returns 0, or CB_EXIT_USAGE after printing why. */
static int parse_args(int argc, char **argv, photo_args *a, void (*usage)(FILE *))
{
    enum { OPT_STYLE = 256, OPT_FORMAT, OPT_QUALITY, OPT_FORCE, OPT_JSON, OPT_MIN_FACE,
           OPT_DETECTORS, OPT_NO_TILING, OPT_PURPOSE, OPT_DATE, OPT_REGISTRY, OPT_THRESHOLD,
           OPT_MARGIN, OPT_CRF, OPT_PRESET, OPT_DETECT_EVERY, OPT_SCAN_ROUNDS, OPT_REPORT };
    static const struct option options[] = {
        {"out", required_argument, NULL, 'o'},
        {"style", required_argument, NULL, OPT_STYLE},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"quality", required_argument, NULL, OPT_QUALITY},
        {"force", no_argument, NULL, OPT_FORCE},
        {"json", no_argument, NULL, OPT_JSON},
        {"min-face", required_argument, NULL, OPT_MIN_FACE},
        {"detectors", required_argument, NULL, OPT_DETECTORS},
        {"no-tiling", no_argument, NULL, OPT_NO_TILING},
        {"purpose", required_argument, NULL, OPT_PURPOSE},
        {"date", required_argument, NULL, OPT_DATE},
        {"registry", required_argument, NULL, OPT_REGISTRY},
        {"threshold", required_argument, NULL, OPT_THRESHOLD},
        {"margin", required_argument, NULL, OPT_MARGIN},
        {"crf", required_argument, NULL, OPT_CRF},
        {"preset", required_argument, NULL, OPT_PRESET},
        {"detect-every", required_argument, NULL, OPT_DETECT_EVERY},
        {"scan-rounds", required_argument, NULL, OPT_SCAN_ROUNDS},
        {"report", required_argument, NULL, OPT_REPORT},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const int writes = a->mode != CB_MODE_CHECK, judges = a->mode != CB_MODE_REDACT;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, writes ? "o:h" : "h", options, NULL)) != -1) {
        /* Options that do not apply to this command are usage errors. */
        if (((c == 'o' || c == OPT_STYLE || c == OPT_FORMAT || c == OPT_QUALITY ||
              c == OPT_FORCE || c == OPT_CRF || c == OPT_PRESET) && !writes) ||
            ((c == OPT_PURPOSE || c == OPT_DATE || c == OPT_REGISTRY || c == OPT_THRESHOLD ||
              c == OPT_MARGIN) && !judges))
            return usage_error(a, "option %s does not apply here", argv[optind - 1]);
        switch (c) {
        case 'o': a->out_dir = optarg; break;
        case OPT_STYLE:
            if (cb_redact_style_parse(optarg, &a->job.photo.style) < 0)
                return usage_error(a, "unknown style '%s'", optarg);
            a->job.video.style = a->job.photo.style;
            break;
        case OPT_FORMAT:
            if (!strcmp(optarg, "same")) {
                a->job.photo.out_codec = AV_CODEC_ID_NONE;
            } else {
                char name[32];
                snprintf(name, sizeof name, "x.%s", optarg);
                a->job.photo.out_codec = cb_image_codec_for_path(name);
                if (a->job.photo.out_codec == AV_CODEC_ID_NONE)
                    return usage_error(a, "unknown format '%s'", optarg);
            }
            break;
        case OPT_QUALITY:
            if (parse_int(optarg, 1, 100, &a->job.photo.quality) < 0)
                return usage_error(a, "--quality takes 1 to 100, not '%s'", optarg);
            break;
        case OPT_FORCE:
            a->job.photo.overwrite = 1;
            a->job.video.out.overwrite = 1;
            break;
        case OPT_JSON: a->json = 1; break;
        case OPT_MIN_FACE:
            if (parse_int(optarg, 8, 10000, &a->job.det.min_face) < 0)
                return usage_error(a, "--min-face takes 8 to 10000, not '%s'", optarg);
            break;
        case OPT_CRF:
            if (parse_int(optarg, 0, 51, &a->job.video.out.crf) < 0)
                return usage_error(a, "--crf takes 0 to 51, not '%s'", optarg);
            break;
        case OPT_PRESET:
            if (!preset_valid(optarg))
                return usage_error(a, "unknown --preset '%s' (ultrafast ... veryslow)", optarg);
            a->job.video.out.preset = optarg;
            break;
        case OPT_SCAN_ROUNDS:
            if (parse_int(optarg, 1, 30, &a->job.video.scan_rounds) < 0)
                return usage_error(a, "--scan-rounds takes 1 to 30, not '%s'", optarg);
            break;
        case OPT_DETECT_EVERY:
            if (parse_int(optarg, 1, 30, &a->job.video.detect_every) < 0)
                return usage_error(a, "--detect-every takes 1 to 30, not '%s'", optarg);
            break;
        case OPT_DETECTORS:
            if (parse_detectors(optarg, &a->job.det.models) < 0)
                return usage_error(a, "--detectors takes a comma list of blazeface, ssd, haar, "
                                      "not '%s'", optarg);
            break;
        case OPT_NO_TILING: a->job.det.tiling = 0; break;
        case OPT_PURPOSE:
            if (strlen(optarg) >= sizeof a->job.judge.purpose || !optarg[0])
                return usage_error(a, "bad purpose '%s'", optarg);
            snprintf(a->job.judge.purpose, sizeof a->job.judge.purpose, "%s", optarg);
            break;
        case OPT_DATE:
            if (!cb_date_valid(optarg))
                return usage_error(a, "--date takes YYYY-MM-DD, not '%s'", optarg);
            snprintf(a->job.judge.date, sizeof a->job.judge.date, "%s", optarg);
            break;
        case OPT_REGISTRY: a->registry = optarg; break;
        case OPT_REPORT: a->report = optarg; break;
        case OPT_THRESHOLD:
            if (parse_float(optarg, 0.01f, 10.0f, &a->job.judge.match.threshold) < 0)
                return usage_error(a, "--threshold takes a distance, not '%s'", optarg);
            break;
        case OPT_MARGIN:
            if (parse_float(optarg, 0.0f, 10.0f, &a->job.judge.match.margin) < 0)
                return usage_error(a, "--margin takes a distance, not '%s'", optarg);
            break;
        case 'h': usage(stdout); exit(CB_EXIT_OK);
        default: usage(stderr); return CB_EXIT_USAGE;
        }
    }
    if (writes && !a->out_dir)
        return usage_error(a, "missing -o OUTDIR%s", "");
    if (judges && !a->job.judge.purpose[0])
        return usage_error(a, "missing --purpose P%s", "");
    if (optind >= argc)
        return usage_error(a, "no input files%s", "");
    return 0;
}

static const char *detector_names(unsigned flags)
{
    static const char *const names[] = {"", "blazeface", "ssd", "blazeface+ssd", "haar",
                                        "blazeface+haar", "ssd+haar", "blazeface+ssd+haar"};
    return names[flags & 7];
}

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
    fprintf(f, "{\"box\": [%.1f, %.1f, %.1f, %.1f], \"score\": %.3f, \"detectors\": \"%s\","
               " \"action\": \"%s\", \"reason\": \"%s\", \"detail\": ",
            fc->x, fc->y, fc->w, fc->h, fc->score, detector_names(fc->detectors),
            v->keep ? "kept" : "redacted", cb_reason_name(v->reason));
    cb_json_write_string(f, v->detail);
    json_person(f, v);
    if (v->reason != CB_REASON_REDACT_ALL && v->reason != CB_REASON_NOT_RECOGNISABLE) {
        json_distance(f, "distance", v->distance);
        json_distance(f, "next_distance", v->runner_up_distance);
    }
    fputs("}", f);
}

static void json_photo(FILE *f, const photo_args *a, const char *out, const cb_photo_result *r)
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

static void json_video(FILE *f, const photo_args *a, const char *out, const cb_video_result *r)
{
    fputs(", \"status\": \"ok\", \"kind\": \"video\", \"output\": ", f);
    if (out)
        cb_json_write_string(f, out);
    else
        fputs("null", f);
    fprintf(f, ", \"width\": %d, \"height\": %d, \"rotation\": %d, \"frames\": %lld,"
               " \"frames_analysed\": %lld, \"style\": \"%s\", \"faces_kept\": %d,"
               " \"faces_redacted\": %d, \"seconds\": %.3f, \"tracks\": [",
            r->info.width, r->info.height, r->info.rotation, (long long)r->frames,
            (long long)r->frames_analysed, cb_redact_style_name(a->job.video.style), r->kept,
            r->redacted, r->seconds_analyse + r->seconds_render);
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

/* `check` without --json: one line per face that may not be shown. */
static void print_check_problems(const char *in, const cb_photo_result *r)
{
    for (int i = 0; i < r->faces.count; i++) {
        const cb_verdict *v = &r->verdicts[i];
        const cb_face *fc = &r->faces.faces[i];
        if (!v->keep)
            printf("%s: face at %.0f,%.0f (%.0fx%.0f): %s: %s\n", in, fc->x, fc->y, fc->w, fc->h,
                   cb_reason_name(v->reason), v->detail);
    }
}

static void print_video_check_problems(const char *in, const cb_video_result *r)
{
    for (int i = 0; i < r->n_tracks; i++) {
        const cb_video_track *t = &r->tracks[i];
        if (!t->verdict.keep)
            printf("%s: face in frames %lld-%lld (near %.0f,%.0f): %s: %s\n", in,
                   (long long)t->first, (long long)t->last, t->box[0], t->box[1],
                   cb_reason_name(t->verdict.reason), t->verdict.detail);
    }
}

/* One file's entry in the JSON report. */
static void json_file(FILE *f, int first, const photo_args *a, const char *in, const char *out,
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

/* Add one file to the HTML report; a thumbnail that cannot be made is only
 * a warning (the card says so), anything else fails the report. */
static void report_file(cb_report *report, const char *in, const char *out, int rc,
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
        fprintf(stderr, "consentblur: report: %s\n", err.msg);
}

int cb_media_command(cb_media_mode mode, int argc, char **argv, const cb_cli_common *common)
{
    static const char *const names[] = {"redact", "process", "check"};
    static void (*const usages[])(FILE *) = {cb_cmd_redact_usage, cb_cmd_process_usage,
                                              cb_cmd_check_usage};
    photo_args a = {.mode = mode, .name = names[mode]};
    cb_job_opts_default(&a.job);
    int rc = parse_args(argc, argv, &a, usages[mode]);
    if (rc)
        return rc;
    cb_error err = {0};
    char registry[4096];
    rc = cb_cli_job_setup(&a.job, common, a.registry, mode != CB_MODE_REDACT, registry,
                          sizeof registry, &err);
    a.job.record = mode != CB_MODE_REDACT;
    a.job.run_command = mode == CB_MODE_CHECK ? CB_RUN_CHECK : CB_RUN_PROCESS;
    cb_worker *worker = NULL;
    cb_report *report = NULL;
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
        fprintf(stderr, "consentblur: %s\n", err.msg);
        cb_worker_close(worker);
        return CB_EXIT_FAILED;
    }
    int failed = 0, done = 0, kept = 0, redacted = 0, not_clear = 0;
    if (a.json) {
        fprintf(stdout, "{\"command\": \"%s\"", a.name);
        if (judge) {
            const cb_policy *p = cb_judge_policy(judge);
            fprintf(stdout, ", \"purpose\": \"%s\", \"date\": \"%s\"", p->purpose, p->date);
        }
        fputs(", \"files\": [", stdout);
    }
    for (int i = optind; i < argc; i++) {
        const char *in = argv[i];
        char out[4096];
        const char *out_path = NULL;
        cb_job_result result = {0};
        memset(&err, 0, sizeof err);
        rc = 0;
        if (a.out_dir) {
            rc = cb_job_output_path(&a.job, in, cb_job_is_video(in), a.out_dir, out, sizeof out,
                                    &err);
            out_path = out;
        }
        if (rc == 0)
            rc = cb_worker_run(worker, in, out_path, &result, &err);
        if (rc < 0) {
            failed++;
            fprintf(stderr, "consentblur: %s\n", err.msg);
        } else {
            done++;
            kept += result.kept;
            redacted += result.redacted;
            if (result.redacted > 0)
                not_clear++;
            if (mode == CB_MODE_CHECK && !a.json && result.video)
                print_video_check_problems(in, &result.vid);
            else if (mode == CB_MODE_CHECK && !a.json)
                print_check_problems(in, &result.photo);
        }
        if (a.json)
            json_file(stdout, i == optind, &a, in, out_path, rc, &err, &result);
        if (report)
            report_file(report, in, out_path, rc, &err, &result);
        cb_job_result_free(&result);
    }
    if (report && cb_report_finish(report, &err) < 0) {
        fprintf(stderr, "consentblur: %s\n", err.msg);
        failed++;
    }
    cb_report_close(report);
    if (a.json)
        printf("\n  ],\n  \"summary\": {\"files\": %d, \"failed\": %d, \"faces_kept\": %d,"
               " \"faces_redacted\": %d%s}}\n",
               done + failed, failed, kept, redacted,
               mode != CB_MODE_CHECK ? "" : not_clear || failed ? ", \"may_publish\": false"
                                                                : ", \"may_publish\": true");
    cb_log(&common->log, CB_LOG_INFO, "%d file(s) done, %d failed, %d face(s) kept, %d redacted",
           done, failed, kept, redacted);
    cb_worker_close(worker);
    if (mode == CB_MODE_CHECK && not_clear)
        return CB_EXIT_FAILED;
    return failed ? CB_EXIT_FAILED : CB_EXIT_OK;
}

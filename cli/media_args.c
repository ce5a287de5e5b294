/*
 * media_args.c - the commands that process photos and videos (redact,
 * process, check, batch, watch) and their options: a table of the commands,
 * a table of the options, one parser, one help text; see media_command.h.
 */
#include <getopt.h>
#include <stdarg.h>
#include <libavcodec/avcodec.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/cb_date.h"
#include "../pipeline/media_out.h"
#include "media_command.h"

static const cb_media_command_def commands[] = {
    [CB_MODE_REDACT] = {"redact", cb_cmd_redact_usage, CB_MEDIA_WRITES, CB_RUN_PROCESS,
                        N_("no input files")},
    [CB_MODE_PROCESS] = {"process", cb_cmd_process_usage, CB_MEDIA_WRITES | CB_MEDIA_JUDGES,
                         CB_RUN_PROCESS, N_("no input files")},
    [CB_MODE_CHECK] = {"check", cb_cmd_check_usage, CB_MEDIA_JUDGES | CB_MEDIA_VERDICT,
                       CB_RUN_CHECK, N_("no input files")},
    [CB_MODE_BATCH] = {"batch", cb_cmd_batch_usage,
                       CB_MEDIA_WRITES | CB_MEDIA_JUDGES | CB_MEDIA_FOLDER | CB_MEDIA_PARALLEL,
                       CB_RUN_BATCH, N_("missing DIR")},
    [CB_MODE_WATCH] = {"watch", cb_cmd_watch_usage,
                       CB_MEDIA_WRITES | CB_MEDIA_JUDGES | CB_MEDIA_FOLDER | CB_MEDIA_WATCHES,
                       CB_RUN_WATCH, N_("missing INBOX")},
};

const cb_media_command_def *cb_media_command_def_of(cb_media_mode mode)
{
    return &commands[mode];
}

void cb_media_command_options(cb_media_mode mode, FILE *f)
{
    const unsigned can = cb_media_command_def_of(mode)->can;
    fputs(_("options:\n"), f);
    if (can & CB_MEDIA_WRITES)
        fputs(_("  -o, --out DIR          output folder (created if missing)\n"), f);
    if (can & CB_MEDIA_PARALLEL)
        fputs(_("  --jobs N               photos processed at once (default: one per CPU,\n"
                "                         at most 64)\n"), f);
    if (can & CB_MEDIA_WATCHES)
        fputs(_("  --archive DIR          where originals go when done (default INBOX/archive)\n"
                "  --failed DIR           where files that fail go, with a .reason.txt beside\n"
                "                         them (default INBOX/failed)\n"
                "  --settle SECONDS       a file must be unchanged this long before it is taken\n"
                "                         (default 2)\n"
                "  --once                 process what is in INBOX now, then exit\n"),
              f);
    if (can & CB_MEDIA_JUDGES)
        fprintf(f,
                _("  --purpose P            the channel: social, website, newsletter, print,\n"
                  "                         internal or one added with `purpose add` (required)\n"
                  "  --date YYYY-MM-DD      judge consent as on this date (default: today)\n"
                  "  --registry FILE        consent registry (default: see `consentblur --help`)\n"
                  "  --threshold D          recognition distance threshold (default %.2f)\n"
                  "  --margin D             required gap to the next person (default %.2f)\n"),
                CB_EMBEDDER_MATCH_THRESHOLD, CB_EMBEDDER_MATCH_MARGIN);
    if (can & CB_MEDIA_WRITES)
        fputs(_("  --style STYLE          default (pixelate+blur+noise), blur, pixelate, fill\n"
                "  --format FMT           same (default), jpg, png or webp\n"
                "  --quality N            JPEG/WebP quality 1-100 (default 92)\n"
                "  --force                replace existing output files\n"
                "  --crf N                video: x264 quality, 0-51, lower is better (default 20)\n"
                "  --preset NAME          video: x264 speed preset (default veryfast)\n"),
              f);
    fputs(_("  --json                 print a JSON report on stdout\n"
            "  --report FILE.html     write an HTML contact sheet of the results (thumbnails\n"
            "                         of the redacted outputs only)\n"
            "  --min-face PX          smallest face height to look for (default 20)\n"
            "  --detect-every N       video: look for faces in every N-th frame, tracking\n"
            "                         them in between (default 1)\n"
            "  --scan-rounds N        video: scan the whole picture over N frames,\n"
            "                         tracked faces in every frame (default 10; 1 = the\n"
            "                         whole scan in every frame, slowest)\n"
            "  --detectors LIST       comma list of ultraface, fullrange, blazeface, ssd,\n"
            "                         haar (default: ultraface,blazeface for photos,\n"
            "                         ultraface for videos; ultraface alone is about 7\n"
            "                         times faster on photos but misses most faces under\n"
            "                         40 px that show no hair or shoulders)\n"
            "  --no-tiling            blazeface, ssd: the whole picture only (faster, misses\n"
            "                         small faces)\n"),
          f);
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

/* Print "consentblur CMD: message (see `consentblur help CMD`)"; CB_EXIT_USAGE. */
static int usage_error(const cb_media_args *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int usage_error(const cb_media_args *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "consentblur %s: ", a->name);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, _(" (see `consentblur help %s`)\n"), a->name);
    va_end(ap);
    return CB_EXIT_USAGE;
}

enum { OPT_OUT = 256, OPT_STYLE, OPT_FORMAT, OPT_QUALITY, OPT_FORCE, OPT_CRF, OPT_PRESET,
       OPT_JSON, OPT_REPORT, OPT_MIN_FACE, OPT_DETECTORS, OPT_NO_TILING, OPT_DETECT_EVERY,
       OPT_SCAN_ROUNDS, OPT_PURPOSE, OPT_DATE, OPT_REGISTRY, OPT_THRESHOLD, OPT_MARGIN,
       OPT_JOBS, OPT_ARCHIVE, OPT_FAILED, OPT_SETTLE, OPT_ONCE };

/* Each setter takes the options of one group: 0, or CB_EXIT_USAGE after a message. */
typedef int (*option_setter)(cb_media_args *a, int id, const char *value);

/* The options that say how outputs are written. */
static int set_output(cb_media_args *a, int id, const char *v)
{
    cb_photo_opts *photo = &a->job.photo;
    switch (id) {
    case OPT_OUT: a->out_dir = v; return 0;
    case OPT_STYLE:
        if (cb_redact_style_parse(v, &photo->style) < 0)
            return usage_error(a, _("unknown style '%s'"), v);
        a->job.video.style = photo->style;
        return 0;
    case OPT_FORMAT: {
        char name[32];
        snprintf(name, sizeof name, "x.%s", v);
        photo->out_codec = strcmp(v, "same") ? cb_image_codec_for_path(name) : AV_CODEC_ID_NONE;
        if (strcmp(v, "same") && photo->out_codec == AV_CODEC_ID_NONE)
            return usage_error(a, _("unknown format '%s'"), v);
        return 0;
    }
    case OPT_QUALITY:
        if (parse_int(v, 1, 100, &photo->quality) < 0)
            return usage_error(a, _("--quality takes 1 to 100, not '%s'"), v);
        return 0;
    case OPT_FORCE: photo->overwrite = a->job.video.out.overwrite = 1; return 0;
    case OPT_CRF:
        if (parse_int(v, 0, 51, &a->job.video.out.crf) < 0)
            return usage_error(a, _("--crf takes 0 to 51, not '%s'"), v);
        return 0;
    case OPT_PRESET:
        if (!preset_valid(v))
            return usage_error(a, _("unknown --preset '%s' (ultrafast ... veryslow)"), v);
        a->job.video.out.preset = v;
        return 0;
    }
    return usage_error(a, "internal: option %d", id);
}

/* The options that say how faces are looked for, and what is reported. */
static int set_detection(cb_media_args *a, int id, const char *v)
{
    switch (id) {
    case OPT_JSON: a->json = 1; return 0;
    case OPT_REPORT: a->report = v; return 0;
    case OPT_MIN_FACE:
        if (parse_int(v, 8, 10000, &a->job.det.min_face) < 0)
            return usage_error(a, _("--min-face takes 8 to 10000, not '%s'"), v);
        a->job.video_det.min_face = a->job.det.min_face;
        return 0;
    case OPT_DETECTORS: /* photos and videos alike */
        if (cb_detector_flags_parse(v, ",", &a->job.det.models) < 0)
            return usage_error(a, _("--detectors takes a comma list of ultraface, "
                                    "fullrange, blazeface, ssd, haar, not '%s'"), v);
        a->job.video_det.models = a->job.det.models;
        return 0;
    case OPT_NO_TILING:
        a->job.det.tiling = a->job.video_det.tiling = CB_TILING_WHOLE;
        return 0;
    case OPT_DETECT_EVERY:
        if (parse_int(v, 1, 30, &a->job.video.detect_every) < 0)
            return usage_error(a, _("--detect-every takes 1 to 30, not '%s'"), v);
        return 0;
    case OPT_SCAN_ROUNDS:
        if (parse_int(v, 1, 30, &a->job.video.scan_rounds) < 0)
            return usage_error(a, _("--scan-rounds takes 1 to 30, not '%s'"), v);
        return 0;
    }
    return usage_error(a, "internal: option %d", id);
}

/* The options of judging consent. */
static int set_judge(cb_media_args *a, int id, const char *v)
{
    cb_judge_opts *judge = &a->job.judge;
    switch (id) {
    case OPT_PURPOSE:
        if (strlen(v) >= sizeof judge->purpose || !v[0])
            return usage_error(a, _("bad purpose '%s'"), v);
        snprintf(judge->purpose, sizeof judge->purpose, "%s", v);
        return 0;
    case OPT_DATE:
        if (!cb_date_valid(v))
            return usage_error(a, _("--date takes YYYY-MM-DD, not '%s'"), v);
        snprintf(judge->date, sizeof judge->date, "%s", v);
        return 0;
    case OPT_REGISTRY: a->registry = v; return 0;
    case OPT_THRESHOLD:
        if (parse_float(v, 0.01f, 10.0f, &judge->match.threshold) < 0)
            return usage_error(a, _("--threshold takes a distance, not '%s'"), v);
        return 0;
    case OPT_MARGIN:
        if (parse_float(v, 0.0f, 10.0f, &judge->match.margin) < 0)
            return usage_error(a, _("--margin takes a distance, not '%s'"), v);
        return 0;
    }
    return usage_error(a, "internal: option %d", id);
}

/* The options of batch and watch. */
static int set_folder(cb_media_args *a, int id, const char *v)
{
    float sec = 0;
    switch (id) {
    case OPT_JOBS:
        if (parse_int(v, 1, CB_MEDIA_MAX_JOBS, &a->jobs) < 0)
            return usage_error(a, _("--jobs takes 1 to 64, not '%s'"), v);
        return 0;
    case OPT_ARCHIVE: a->archive = v; return 0;
    case OPT_FAILED: a->failed = v; return 0;
    case OPT_SETTLE:
        if (parse_float(v, 0.0f, 3600.0f, &sec) < 0)
            return usage_error(a, _("--settle takes seconds (0 to 3600), not '%s'"), v);
        a->settle_ms = (int)(sec * 1000);
        return 0;
    case OPT_ONCE: a->once = 1; return 0;
    }
    return usage_error(a, "internal: option %d", id);
}

/* Every option: its name, whether it takes a value, what a command must be
 * able to do for it to apply (CB_MEDIA_*), and the setter of its group. */
static const struct media_option {
    const char *name;
    int has_arg;
    int id;
    unsigned needs;
    option_setter set;
} media_options[] = {
    {"out", required_argument, OPT_OUT, CB_MEDIA_WRITES, set_output},
    {"style", required_argument, OPT_STYLE, CB_MEDIA_WRITES, set_output},
    {"format", required_argument, OPT_FORMAT, CB_MEDIA_WRITES, set_output},
    {"quality", required_argument, OPT_QUALITY, CB_MEDIA_WRITES, set_output},
    {"force", no_argument, OPT_FORCE, CB_MEDIA_WRITES, set_output},
    {"crf", required_argument, OPT_CRF, CB_MEDIA_WRITES, set_output},
    {"preset", required_argument, OPT_PRESET, CB_MEDIA_WRITES, set_output},
    {"json", no_argument, OPT_JSON, 0, set_detection},
    {"report", required_argument, OPT_REPORT, 0, set_detection},
    {"min-face", required_argument, OPT_MIN_FACE, 0, set_detection},
    {"detectors", required_argument, OPT_DETECTORS, 0, set_detection},
    {"no-tiling", no_argument, OPT_NO_TILING, 0, set_detection},
    {"detect-every", required_argument, OPT_DETECT_EVERY, 0, set_detection},
    {"scan-rounds", required_argument, OPT_SCAN_ROUNDS, 0, set_detection},
    {"purpose", required_argument, OPT_PURPOSE, CB_MEDIA_JUDGES, set_judge},
    {"date", required_argument, OPT_DATE, CB_MEDIA_JUDGES, set_judge},
    {"registry", required_argument, OPT_REGISTRY, CB_MEDIA_JUDGES, set_judge},
    {"threshold", required_argument, OPT_THRESHOLD, CB_MEDIA_JUDGES, set_judge},
    {"margin", required_argument, OPT_MARGIN, CB_MEDIA_JUDGES, set_judge},
    {"jobs", required_argument, OPT_JOBS, CB_MEDIA_PARALLEL, set_folder},
    {"archive", required_argument, OPT_ARCHIVE, CB_MEDIA_WATCHES, set_folder},
    {"failed", required_argument, OPT_FAILED, CB_MEDIA_WATCHES, set_folder},
    {"settle", required_argument, OPT_SETTLE, CB_MEDIA_WATCHES, set_folder},
    {"once", no_argument, OPT_ONCE, CB_MEDIA_WATCHES, set_folder},
};
enum { N_OPTIONS = sizeof media_options / sizeof media_options[0] };

/* a with every default, for mode. */
static void set_defaults(cb_media_mode mode, cb_media_args *a)
{
    memset(a, 0, sizeof *a);
    a->def = cb_media_command_def_of(mode);
    a->name = a->def->name;
    a->settle_ms = 2000;
    a->jobs = cb_media_default_jobs(sysconf(_SC_NPROCESSORS_ONLN));
    cb_job_opts_default(&a->job);
    a->job.use_judge = a->job.record = (a->def->can & CB_MEDIA_JUDGES) != 0;
    a->job.run_command = a->def->run_command;
}

/* What must be there once the options are read; 0 or CB_EXIT_USAGE. */
static int check_required(cb_media_args *a, int argc, char **argv)
{
    const unsigned can = a->def->can;
    if ((can & CB_MEDIA_WRITES) && !a->out_dir)
        return usage_error(a, _("missing -o OUTDIR"));
    if ((can & CB_MEDIA_JUDGES) && !a->job.judge.purpose[0])
        return usage_error(a, _("missing --purpose P"));
    if (optind >= argc)
        return usage_error(a, "%s", _(a->def->missing_input));
    if ((can & CB_MEDIA_FOLDER) && optind + 1 < argc)
        return usage_error(a, _("one folder only (got '%s' too)"), argv[optind + 1]);
    a->first_input = optind;
    return 0;
}

int cb_media_parse(cb_media_mode mode, int argc, char **argv, cb_media_args *a)
{
    set_defaults(mode, a);
    const int writes = (a->def->can & CB_MEDIA_WRITES) != 0;
    struct option options[N_OPTIONS + 2];
    for (int i = 0; i < N_OPTIONS; i++)
        options[i] = (struct option){media_options[i].name, media_options[i].has_arg, NULL, i};
    options[N_OPTIONS] = (struct option){"help", no_argument, NULL, 'h'};
    options[N_OPTIONS + 1] = (struct option){NULL, 0, NULL, 0};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, writes ? "o:h" : "h", options, NULL)) != -1) {
        if (c == 'h') {
            a->def->usage(stdout);
            return -1;
        }
        if (c == 'o')
            c = 0; /* -o is --out, the first option */
        if (c < 0 || c >= N_OPTIONS) {
            a->def->usage(stderr);
            return CB_EXIT_USAGE;
        }
        const struct media_option *o = &media_options[c];
        /* Options that do not apply to this command are usage errors. */
        if ((o->needs & a->def->can) != o->needs)
            return usage_error(a, _("option %s does not apply here"), argv[optind - 1]);
        int rc = o->set(a, o->id, optarg);
        if (rc)
            return rc;
    }
    return check_required(a, argc, argv);
}

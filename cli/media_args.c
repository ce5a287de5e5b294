/*
 * media_args.c - the options of the commands that process photos and videos
 * (redact, process, check, batch, watch): one table, one parser, one help
 * text; see media_command.h.
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

void cb_media_command_options(cb_media_mode mode, FILE *f)
{
    fputs(_("options:\n"), f);
    if (mode != CB_MODE_CHECK)
        fputs(_("  -o, --out DIR          output folder (created if missing)\n"), f);
    if (mode == CB_MODE_BATCH)
        fputs(_("  --jobs N               photos processed at once (default: one per CPU,\n"
                "                         at most 64)\n"), f);
    if (mode == CB_MODE_WATCH)
        fputs(_("  --archive DIR          where originals go when done (default INBOX/archive)\n"
                "  --failed DIR           where files that fail go, with a .reason.txt beside\n"
                "                         them (default INBOX/failed)\n"
                "  --settle SECONDS       a file must be unchanged this long before it is taken\n"
                "                         (default 2)\n"
                "  --once                 process what is in INBOX now, then exit\n"),
              f);
    if (mode != CB_MODE_REDACT)
        fprintf(f,
                _("  --purpose P            the channel: social, website, newsletter, print,\n"
                  "                         internal or one added with `purpose add` (required)\n"
                  "  --date YYYY-MM-DD      judge consent as on this date (default: today)\n"
                  "  --registry FILE        consent registry (default: see `consentblur --help`)\n"
                  "  --threshold D          recognition distance threshold (default %.2f)\n"
                  "  --margin D             required gap to the next person (default %.2f)\n"),
                CB_EMBEDDER_MATCH_THRESHOLD, CB_EMBEDDER_MATCH_MARGIN);
    if (mode != CB_MODE_CHECK)
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
            "                         haar (default ultraface)\n"
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

int cb_media_parse(cb_media_mode mode, int argc, char **argv, cb_media_args *a)
{
    static const char *const names[] = {"redact", "process", "check", "batch", "watch"};
    static void (*const usages[])(FILE *) = {cb_cmd_redact_usage, cb_cmd_process_usage,
                                              cb_cmd_check_usage, cb_cmd_batch_usage,
                                              cb_cmd_watch_usage};
    memset(a, 0, sizeof *a);
    a->mode = mode;
    a->name = names[mode];
    a->settle_ms = 2000;
    a->jobs = cb_media_default_jobs(sysconf(_SC_NPROCESSORS_ONLN));
    cb_job_opts_default(&a->job);
    void (*usage)(FILE *) = usages[mode];
    enum { OPT_STYLE = 256, OPT_FORMAT, OPT_QUALITY, OPT_FORCE, OPT_JSON, OPT_MIN_FACE,
           OPT_DETECTORS, OPT_NO_TILING, OPT_PURPOSE, OPT_DATE, OPT_REGISTRY, OPT_THRESHOLD,
           OPT_MARGIN, OPT_CRF, OPT_PRESET, OPT_DETECT_EVERY, OPT_SCAN_ROUNDS, OPT_REPORT,
           OPT_JOBS, OPT_ARCHIVE, OPT_FAILED, OPT_SETTLE, OPT_ONCE };
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
        {"jobs", required_argument, NULL, OPT_JOBS},
        {"archive", required_argument, NULL, OPT_ARCHIVE},
        {"failed", required_argument, NULL, OPT_FAILED},
        {"settle", required_argument, NULL, OPT_SETTLE},
        {"once", no_argument, NULL, OPT_ONCE},
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
              c == OPT_MARGIN) && !judges) ||
            (c == OPT_JOBS && mode != CB_MODE_BATCH) ||
            ((c == OPT_ARCHIVE || c == OPT_FAILED || c == OPT_SETTLE || c == OPT_ONCE) &&
             mode != CB_MODE_WATCH))
            return usage_error(a, _("option %s does not apply here"), argv[optind - 1]);
        switch (c) {
        case 'o': a->out_dir = optarg; break;
        case OPT_STYLE:
            if (cb_redact_style_parse(optarg, &a->job.photo.style) < 0)
                return usage_error(a, _("unknown style '%s'"), optarg);
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
                    return usage_error(a, _("unknown format '%s'"), optarg);
            }
            break;
        case OPT_QUALITY:
            if (parse_int(optarg, 1, 100, &a->job.photo.quality) < 0)
                return usage_error(a, _("--quality takes 1 to 100, not '%s'"), optarg);
            break;
        case OPT_FORCE:
            a->job.photo.overwrite = 1;
            a->job.video.out.overwrite = 1;
            break;
        case OPT_JSON: a->json = 1; break;
        case OPT_MIN_FACE:
            if (parse_int(optarg, 8, 10000, &a->job.det.min_face) < 0)
                return usage_error(a, _("--min-face takes 8 to 10000, not '%s'"), optarg);
            break;
        case OPT_CRF:
            if (parse_int(optarg, 0, 51, &a->job.video.out.crf) < 0)
                return usage_error(a, _("--crf takes 0 to 51, not '%s'"), optarg);
            break;
        case OPT_PRESET:
            if (!preset_valid(optarg))
                return usage_error(a, _("unknown --preset '%s' (ultrafast ... veryslow)"), optarg);
            a->job.video.out.preset = optarg;
            break;
        case OPT_SCAN_ROUNDS:
            if (parse_int(optarg, 1, 30, &a->job.video.scan_rounds) < 0)
                return usage_error(a, _("--scan-rounds takes 1 to 30, not '%s'"), optarg);
            break;
        case OPT_DETECT_EVERY:
            if (parse_int(optarg, 1, 30, &a->job.video.detect_every) < 0)
                return usage_error(a, _("--detect-every takes 1 to 30, not '%s'"), optarg);
            break;
        case OPT_DETECTORS:
            if (cb_detector_flags_parse(optarg, ",", &a->job.det.models) < 0)
                return usage_error(a, _("--detectors takes a comma list of ultraface, "
                                        "fullrange, blazeface, ssd, haar, not '%s'"), optarg);
            break;
        case OPT_NO_TILING: a->job.det.tiling = 0; break;
        case OPT_PURPOSE:
            if (strlen(optarg) >= sizeof a->job.judge.purpose || !optarg[0])
                return usage_error(a, _("bad purpose '%s'"), optarg);
            snprintf(a->job.judge.purpose, sizeof a->job.judge.purpose, "%s", optarg);
            break;
        case OPT_DATE:
            if (!cb_date_valid(optarg))
                return usage_error(a, _("--date takes YYYY-MM-DD, not '%s'"), optarg);
            snprintf(a->job.judge.date, sizeof a->job.judge.date, "%s", optarg);
            break;
        case OPT_REGISTRY: a->registry = optarg; break;
        case OPT_REPORT: a->report = optarg; break;
        case OPT_JOBS:
            if (parse_int(optarg, 1, CB_MEDIA_MAX_JOBS, &a->jobs) < 0)
                return usage_error(a, _("--jobs takes 1 to 64, not '%s'"), optarg);
            break;
        case OPT_ARCHIVE: a->archive = optarg; break;
        case OPT_FAILED: a->failed = optarg; break;
        case OPT_SETTLE: {
            float sec = 0;
            if (parse_float(optarg, 0.0f, 3600.0f, &sec) < 0)
                return usage_error(a, _("--settle takes seconds (0 to 3600), not '%s'"), optarg);
            a->settle_ms = (int)(sec * 1000);
            break;
        }
        case OPT_ONCE: a->once = 1; break;
        case OPT_THRESHOLD:
            if (parse_float(optarg, 0.01f, 10.0f, &a->job.judge.match.threshold) < 0)
                return usage_error(a, _("--threshold takes a distance, not '%s'"), optarg);
            break;
        case OPT_MARGIN:
            if (parse_float(optarg, 0.0f, 10.0f, &a->job.judge.match.margin) < 0)
                return usage_error(a, _("--margin takes a distance, not '%s'"), optarg);
            break;
        case 'h': usage(stdout); return -1;
        default: usage(stderr); return CB_EXIT_USAGE;
        }
    }
    if (writes && !a->out_dir)
        return usage_error(a, _("missing -o OUTDIR"));
    if (judges && !a->job.judge.purpose[0])
        return usage_error(a, _("missing --purpose P"));
    if (optind >= argc)
        return usage_error(a, "%s", mode == CB_MODE_WATCH   ? _("missing INBOX")
                                    : mode == CB_MODE_BATCH ? _("missing DIR")
                                                            : _("no input files"));
    if ((mode == CB_MODE_WATCH || mode == CB_MODE_BATCH) && optind + 1 < argc)
        return usage_error(a, _("one folder only (got '%s' too)"), argv[optind + 1]);
    a->first_input = optind;
    return 0;
}


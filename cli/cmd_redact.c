/*
 * cmd_redact.c - `consentblur redact IN... -o OUTDIR`: every face found in
 * each photo is redacted (no registry involved).
 */
#include <getopt.h>
#include <libavcodec/avcodec.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../common/fsutil.h"
#include "../pipeline/media_out.h"
#include "../pipeline/photo.h"
#include "cli.h"

void cb_cmd_redact_usage(FILE *f)
{
    fputs("usage: consentblur redact IN... -o OUTDIR [options]\n"
          "\n"
          "Finds every face in each photo (JPEG, PNG, WebP) and writes a copy with all\n"
          "of them made unrecognisable to OUTDIR, under the same name. The input is\n"
          "never changed. A file that fails gets no output at all.\n"
          "\n"
          "options:\n"
          "  -o, --out DIR          output folder (created if missing)\n"
          "  --style STYLE          default (pixelate+blur+noise), blur, pixelate, fill\n"
          "  --format FMT           same (default), jpg, png or webp\n"
          "  --quality N            JPEG/WebP quality 1-100 (default 92)\n"
          "  --force                replace existing output files\n"
          "  --json                 print a JSON report on stdout\n"
          "  --min-face PX          smallest face height to look for (default 20)\n"
          "  --detectors LIST       comma list of blazeface, ssd, haar (default blazeface)\n"
          "  --no-tiling            whole-picture detection only (faster, misses small faces)\n",
          f);
}

typedef struct redact_args {
    const char *out_dir;
    cb_photo_opts photo;
    cb_detector_opts det;
    int json;
} redact_args;

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

/* Returns 0, or CB_EXIT_USAGE after printing why. */
static int parse_args(int argc, char **argv, redact_args *a)
{
    enum { OPT_STYLE = 256, OPT_FORMAT, OPT_QUALITY, OPT_FORCE, OPT_JSON, OPT_MIN_FACE,
           OPT_DETECTORS, OPT_NO_TILING };
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
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", options, NULL)) != -1) {
        switch (c) {
        case 'o': a->out_dir = optarg; break;
        case OPT_STYLE:
            if (cb_redact_style_parse(optarg, &a->photo.style) < 0) {
                fprintf(stderr, "consentblur redact: unknown style '%s'\n", optarg);
                return CB_EXIT_USAGE;
            }
            break;
        case OPT_FORMAT:
            if (!strcmp(optarg, "same")) {
                a->photo.out_codec = AV_CODEC_ID_NONE;
            } else {
                char name[32];
                snprintf(name, sizeof name, "x.%s", optarg);
                a->photo.out_codec = cb_image_codec_for_path(name);
                if (a->photo.out_codec == AV_CODEC_ID_NONE) {
                    fprintf(stderr, "consentblur redact: unknown format '%s'\n", optarg);
                    return CB_EXIT_USAGE;
                }
            }
            break;
        case OPT_QUALITY:
            if (parse_int(optarg, 1, 100, &a->photo.quality) < 0) {
                fprintf(stderr, "consentblur redact: --quality takes 1 to 100\n");
                return CB_EXIT_USAGE;
            }
            break;
        case OPT_FORCE: a->photo.overwrite = 1; break;
        case OPT_JSON: a->json = 1; break;
        case OPT_MIN_FACE:
            if (parse_int(optarg, 8, 10000, &a->det.min_face) < 0) {
                fprintf(stderr, "consentblur redact: --min-face takes 8 to 10000\n");
                return CB_EXIT_USAGE;
            }
            break;
        case OPT_DETECTORS:
            if (parse_detectors(optarg, &a->det.models) < 0) {
                fprintf(stderr, "consentblur redact: --detectors takes a comma list of "
                                "blazeface, ssd, haar\n");
                return CB_EXIT_USAGE;
            }
            break;
        case OPT_NO_TILING: a->det.tiling = 0; break;
        case 'h': cb_cmd_redact_usage(stdout); exit(CB_EXIT_OK);
        default: cb_cmd_redact_usage(stderr); return CB_EXIT_USAGE;
        }
    }
    if (!a->out_dir) {
        fprintf(stderr, "consentblur redact: missing -o OUTDIR\n");
        return CB_EXIT_USAGE;
    }
    if (optind >= argc) {
        fprintf(stderr, "consentblur redact: no input files\n");
        return CB_EXIT_USAGE;
    }
    return 0;
}

/* OUTDIR/name-of-input, with the extension changed when --format asks. */
static int output_path(const redact_args *a, const char *in, char *out, size_t size, cb_error *err)
{
    char name[1024];
    const char *base = cb_path_basename(in);
    if (strlen(base) == 0 || strlen(base) >= sizeof name - 8)
        return cb_error_set(err, CB_EINVAL, "%s: bad file name", in);
    strcpy(name, base);
    if (a->photo.out_codec != AV_CODEC_ID_NONE &&
        cb_image_codec_for_path(name) != a->photo.out_codec) {
        char *dot = strrchr(name, '.');
        if (dot && dot != name)
            *dot = '\0';
        strcat(name, ".");
        strcat(name, cb_image_extension_for_codec(a->photo.out_codec));
    }
    return cb_path_join(out, size, a->out_dir, name, err);
}

/* Refuse inputs that are folders, and outputs that are the input itself. */
static int check_paths(const char *in, const char *out, cb_error *err)
{
    struct stat si, so;
    if (stat(in, &si) != 0)
        return 0; /* the reader reports the missing file */
    if (S_ISDIR(si.st_mode))
        return cb_error_set(err, CB_EINVAL, "%s: is a folder, not a photo", in);
    if (stat(out, &so) == 0 && si.st_dev == so.st_dev && si.st_ino == so.st_ino)
        return cb_error_set(err, CB_EINVAL, "%s: output would replace the input", in);
    return 0;
}

static const char *detector_names(unsigned flags)
{
    static const char *const names[] = {"", "blazeface", "ssd", "blazeface+ssd", "haar",
                                        "blazeface+haar", "ssd+haar", "blazeface+ssd+haar"};
    return names[flags & 7];
}

static void json_file(FILE *f, int first, const char *in, const char *out, int rc,
                      const cb_error *err, const cb_photo_result *r, cb_redact_style style)
{
    fprintf(f, "%s\n    {\"input\": ", first ? "" : ",");
    cb_json_string(f, in);
    if (rc < 0) {
        fputs(", \"status\": \"error\", \"error\": ", f);
        cb_json_string(f, err->msg);
        fputs(", \"output\": null}", f);
        return;
    }
    fputs(", \"status\": \"ok\", \"output\": ", f);
    cb_json_string(f, out);
    fprintf(f, ", \"width\": %d, \"height\": %d, \"orientation\": %d, \"style\": \"%s\","
               " \"seconds\": %.3f, \"faces\": [",
            r->width, r->height, r->orientation, cb_redact_style_name(style),
            r->seconds_read + r->seconds_detect + r->seconds_redact + r->seconds_write);
    for (int i = 0; i < r->faces.count; i++) {
        const cb_face *fc = &r->faces.faces[i];
        fprintf(f, "%s\n      {\"box\": [%.1f, %.1f, %.1f, %.1f], \"score\": %.3f,"
                   " \"detectors\": \"%s\", \"action\": \"redacted\"}",
                i ? "," : "", fc->x, fc->y, fc->w, fc->h, fc->score,
                detector_names(fc->detectors));
    }
    fprintf(f, "%s]}", r->faces.count ? "\n    " : "");
}

int cb_cmd_redact(int argc, char **argv, const cb_cli_common *common)
{
    redact_args a = {0};
    cb_photo_opts_default(&a.photo);
    cb_detector_opts_default(&a.det);
    int rc = parse_args(argc, argv, &a);
    if (rc)
        return rc;
    a.photo.log = &common->log;
    a.det.log = &common->log;
    a.det.model_dir = common->model_dir;

    cb_error err = {0};
    cb_detector *det = NULL;
    if (cb_detector_open(&a.det, &det, &err) < 0 || cb_mkdir_p(a.out_dir, &err) < 0) {
        fprintf(stderr, "consentblur: %s\n", err.msg);
        cb_detector_close(det);
        return CB_EXIT_FAILED;
    }
    int failed = 0, done = 0, faces = 0;
    if (a.json)
        fputs("{\"files\": [", stdout);
    for (int i = optind; i < argc; i++) {
        const char *in = argv[i];
        char out[4096];
        cb_photo_result result = {0};
        memset(&err, 0, sizeof err);
        rc = output_path(&a, in, out, sizeof out, &err);
        if (rc == 0)
            rc = check_paths(in, out, &err);
        if (rc == 0)
            rc = cb_photo_process(det, in, out, &a.photo, &result, &err);
        if (rc < 0) {
            failed++;
            fprintf(stderr, "consentblur: %s\n", err.msg);
        } else {
            done++;
            faces += result.redacted;
        }
        if (a.json)
            json_file(stdout, i == optind, in, out, rc, &err, &result, a.photo.style);
        cb_photo_result_free(&result);
    }
    if (a.json)
        printf("\n  ],\n  \"summary\": {\"files\": %d, \"failed\": %d, \"faces_redacted\": %d}}\n",
               done + failed, failed, faces);
    cb_log(&common->log, CB_LOG_INFO, "%d file(s) done, %d failed, %d face(s) redacted", done,
           failed, faces);
    cb_detector_close(det);
    return failed ? CB_EXIT_FAILED : CB_EXIT_OK;
}

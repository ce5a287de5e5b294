/* job.c - one input file through the photo or video pipeline; see job.h. */
#include "job.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <stdio.h>
#include <unistd.h>

#include "../common/cb_date.h"
#include "../common/fsutil.h"
#include "../common/sha256.h"
#include "../consent/run_review.h"
#include "../models/cv_bridge.h"
#include "../models/embedder.h"
#include "../models/face_models.h"
#include "../models/model_files.h"
#include "media_out.h"
#include "review_record.h"
#include "video_in.h"


struct cb_worker {
    cb_job_opts opts;
    cb_detector *photo_det;
    cb_detector *video_det;
    cb_judge *judge;
    cb_registry *registry; /* writable, for the runs */
    char haar_sha256[65];  /* of opts.det.haar_path when Haar is used (not in the manifest) */
};

void cb_job_opts_default(cb_job_opts *opts)
{
    memset(opts, 0, sizeof *opts);
    cb_detector_opts_default(&opts->det);
    cb_detector_opts_fast(&opts->video_det);
    cb_photo_opts_default(&opts->photo);
    cb_video_opts_default(&opts->video);
    cb_judge_opts_default(&opts->judge);
}

int cb_worker_open(const cb_job_opts *opts, cb_worker **out, cb_error *err)
{
    *out = NULL;
    cb_worker *w = calloc(1, sizeof *w);
    if (!w)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    w->opts = *opts;
    if (opts->model_threads > 0)
        cb_cv_set_threads(opts->model_threads);
    /* Landmarks are for recognition only: `redact` does without the looks they take. */
    w->opts.det.landmarks = opts->use_judge;
    w->opts.video_det.landmarks = opts->use_judge;
    int rc = cb_detector_open(&w->opts.det, &w->photo_det, err);
    if (rc == 0 && opts->record && (opts->det.models & CB_DET_HAAR) && opts->det.haar_path)
        rc = cb_sha256_file_hex(opts->det.haar_path, w->haar_sha256, err);
    if (rc == 0 && opts->use_judge)
        rc = cb_judge_open(&opts->judge, &w->judge, err);
    if (rc == 0 && opts->use_judge && opts->record)
        rc = cb_registry_open(opts->judge.registry_path, 0, &w->registry, err);
    if (rc < 0) {
        cb_worker_close(w);
        return rc;
    }
    *out = w;
    return 0;
}

cb_judge *cb_worker_judge(cb_worker *w)
{
    return w->judge;
}

void cb_worker_set_overwrite(cb_worker *w, int overwrite)
{
    w->opts.photo.overwrite = overwrite;
    w->opts.video.out.overwrite = overwrite;
}

/* Is the output hashing to out_sha run_id's output as `consentblur review` left it
 * (regions redacted by hand since, the latest of them)? 1 or 0. */
static int reviewed(cb_worker *w, const char *out_sha, int64_t run_id)
{
    cb_run *edited = calloc(1, sizeof *edited);
    int found = 0, latest = 0;
    const int rc = edited ? cb_registry_run_by_output(w->registry, out_sha, edited, &found,
                                                      &latest, NULL) : -1;
    const int same = rc == 0 && found && latest && edited->id == run_id;
    free(edited);
    return same;
}

int cb_worker_find_run(cb_worker *w, const char *in_path, const char *out_path, cb_run *run,
                       int *found, cb_error *err)
{
    char in_sha[65], out_sha[65], out_text[CB_RUN_PATH_SIZE];
    *found = 0;
    if (!w->registry)
        return cb_error_set(err, CB_EINVAL, "no registry to look runs up in");
    if (cb_sha256_file_hex(in_path, in_sha, NULL) < 0 ||
        cb_run_path_text(out_text, sizeof out_text, out_path, NULL) < 0)
        return 0; /* unreadable input, unrecordable name: nothing was done */
    int rc = cb_registry_run_find(w->registry, in_sha, cb_judge_policy(w->judge)->purpose,
                                  out_text, run, found, err);
    if (rc == 0 && *found &&
        (cb_sha256_file_hex(out_path, out_sha, NULL) < 0 || strcmp(out_sha, run->output_sha256)))
        *found = reviewed(w, out_sha, run->id); /* else gone, or not what that run wrote */
    return rc;
}

cb_registry *cb_worker_registry(cb_worker *w)
{
    return w->registry;
}

void cb_worker_close(cb_worker *w)
{
    if (!w)
        return;
    cb_registry_close(w->registry);
    cb_judge_close(w->judge);
    cb_detector_close(w->video_det);
    cb_detector_close(w->photo_det);
    free(w);
}

void cb_job_result_free(cb_job_result *r)
{
    if (!r)
        return;
    cb_photo_result_free(&r->photo);
    cb_video_result_free(&r->vid);
    memset(r, 0, sizeof *r);
}

int cb_job_is_video(const char *in_path)
{
    return cb_video_probe(in_path, NULL) == 1;
}

/* Is name that of a phone photo format we read but do not write (HEIC, HEIF, AVIF)? */
static int read_only_photo_name(const char *name)
{
    static const char *const exts[] = {"heic", "heif", "avif"};
    const char *dot = strrchr(name, '.');
    for (size_t i = 0; dot && dot != name && i < sizeof exts / sizeof *exts; i++)
        if (!strcasecmp(dot + 1, exts[i]))
            return 1;
    return 0;
}

int cb_job_output_path(const cb_job_opts *opts, const char *in_path, int video,
                       const char *out_dir, char *out, size_t size, cb_error *err)
{
    char name[1024];
    const char *base = cb_path_basename(in_path);
    if (strlen(base) == 0 || strlen(base) >= sizeof name - 8)
        return cb_error_set(err, CB_EINVAL, "%s: bad file name", in_path);
    strcpy(name, base);
    const char *ext = NULL;
    if (video)
        ext = "mp4";
    else if (opts->photo.out_codec != AV_CODEC_ID_NONE &&
             cb_image_codec_for_path(name) != opts->photo.out_codec)
        ext = cb_image_extension_for_codec(opts->photo.out_codec);
    else if (opts->photo.out_codec == AV_CODEC_ID_NONE && read_only_photo_name(name))
        ext = "jpg"; /* as photo.c writes them: not every channel takes HEIC */
    char *dot = strrchr(name, '.');
    if (ext && !(video && dot && !strcasecmp(dot + 1, ext))) {
        if (dot && dot != name)
            *dot = '\0';
        strcat(name, ".");
        strcat(name, ext);
    }
    return cb_path_join(out, size, out_dir, name, err);
}

/* Refuse inputs that are folders, and outputs that are the input itself. */
static int check_paths(const char *in, const char *out, cb_error *err)
{
    struct stat si, so;
    if (stat(in, &si) != 0)
        return 0; /* the reader reports the missing file */
    if (S_ISDIR(si.st_mode))
        return cb_error_set(err, CB_EINVAL, "%s: is a folder, not a photo or video", in);
    if (out && stat(out, &so) == 0 && si.st_dev == so.st_dev && si.st_ino == so.st_ino)
        return cb_error_set(err, CB_EINVAL, "%s: output would replace the input", in);
    return 0;
}

static int process(cb_worker *w, const char *in_path, const char *out_path, cb_job_result *res,
                   cb_error *err);

/* The people left visible, for the run record. */
static int add_kept_people(cb_run *run, const cb_job_result *res, cb_error *err)
{
    int rc = 0;
    if (res->video) {
        for (int i = 0; rc == 0 && i < res->vid.n_tracks; i++)
            if (res->vid.tracks[i].verdict.keep)
                rc = cb_run_add_kept_person(run, res->vid.tracks[i].verdict.external_id, err);
    } else {
        for (int i = 0; rc == 0 && i < res->photo.faces.count; i++)
            if (res->photo.verdicts[i].keep)
                rc = cb_run_add_kept_person(run, res->photo.verdicts[i].external_id, err);
    }
    return rc;
}

/* The networks the detector ran, by role ("detector:NAME" for those that scan
 * the picture, "second-look:NAME", "landmarks:blazeface" when recognising),
 * with their model files and hashes (the Haar cascade's: haar_sha256). */
static int add_detector_models(cb_run *run, const cb_detector_opts *det,
                               const char *haar_sha256, cb_error *err)
{
    int rc = 0;
    for (int id = 0; rc == 0 && id < CB_NET_COUNT; id++) {
        const cb_net_info *info = cb_net_info_get(id);
        const char *sha = cb_model_expected_sha256(info->file);
        char role[64];
        if (det->models & info->flag) {
            snprintf(role, sizeof role, "detector:%s", info->name);
            rc = cb_run_add_model(run, role, info->file, sha ? sha : "", err);
        }
        if (rc == 0 && det->verify_score[id] > 0) {
            snprintf(role, sizeof role, "second-look:%s", info->name);
            rc = cb_run_add_model(run, role, info->file, sha ? sha : "", err);
        }
        if (rc == 0 && det->landmarks && id == CB_NET_BLAZEFACE)
            rc = cb_run_add_model(run, "landmarks:blazeface", info->file, sha ? sha : "", err);
    }
    if (rc == 0 && (det->models & CB_DET_HAAR) && det->haar_path) {
        const char *base = strrchr(det->haar_path, '/');
        rc = cb_run_add_model(run, "detector:haar", base ? base + 1 : det->haar_path,
                              haar_sha256, err);
    }
    return rc;
}

/* Record the run of in_path, read from read_path (outcome rc, error why). */
static int record_run(cb_worker *w, const char *in_path, const char *read_path,
                      const char *out_path, int rc, const cb_error *why, const char *started,
                      cb_job_result *res, cb_error *err)
{
    cb_run *run = calloc(1, sizeof *run);
    if (!run)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    cb_run_init(run);
    run->command = w->opts.run_command;
    snprintf(run->started_at, sizeof run->started_at, "%s", started);
    int r = cb_run_path_text(run->input_path, sizeof run->input_path, in_path, err);
    snprintf(run->input_sha256, sizeof run->input_sha256, "%s", res->input_sha256);
    const cb_policy *policy = cb_judge_policy(w->judge);
    snprintf(run->purpose, sizeof run->purpose, "%s", policy->purpose);
    snprintf(run->run_date, sizeof run->run_date, "%s", policy->date);
    run->registry_version = cb_judge_registry_version(w->judge);
    snprintf(run->registry_hash, sizeof run->registry_hash, "%s",
             cb_judge_registry_hash(w->judge));
    if (rc == 0 && r == 0) {
        run->status = CB_RUN_OK;
        run->faces_kept = res->kept;
        run->faces_redacted = res->redacted;
        run->faces_total = res->kept + res->redacted;
        r = add_kept_people(run, res, err);
        if (r == 0 && out_path)
            r = cb_run_path_text(run->output_path, sizeof run->output_path, out_path, err);
        if (r == 0 && out_path)
            r = cb_sha256_file_hex(out_path, run->output_sha256, err);
    } else if (r == 0) {
        run->status = CB_RUN_FAILED;
        snprintf(run->error, sizeof run->error, "%s", why->msg[0] ? why->msg : "failed");
    }
    if (r == 0)
        r = add_detector_models(run, res->video ? &w->opts.video_det : &w->opts.det,
                                w->haar_sha256, err);
    if (r == 0)
        r = cb_run_add_model(run, "embedder", CB_EMBEDDER_MODEL_ID,
                             cb_model_expected_sha256(CB_EMBEDDER_FILE), err);
    if (r == 0) /* with the faces the review page shows (review_record.h) */
        r = cb_review_record_run(w->registry, run, read_path, &w->opts, res, err);
    free(run);
    return r;
}

int cb_worker_run(cb_worker *w, const char *in_path, const char *out_path, cb_job_result *res,
                  cb_error *err)
{
    return cb_worker_run_as(w, in_path, in_path, out_path, res, err);
}

int cb_worker_run_as(cb_worker *w, const char *in_path, const char *recorded_as,
                     const char *out_path, cb_job_result *res, cb_error *err)
{
    memset(res, 0, sizeof *res);
    char started[21];
    cb_date_timestamp_now(started);
    cb_file_id before;
    int known = cb_file_id_get(in_path, &before) == 0;
    if (w->registry && cb_sha256_file_hex(in_path, res->input_sha256, NULL) < 0)
        res->input_sha256[0] = '\0'; /* the reader says why */
    int rc = process(w, in_path, out_path, res, err);
    /* A video is read twice (analysis, then rendering): if the file was
     * replaced or rewritten meanwhile, the decisions may not fit the
     * pictures. Photos are read once, but the record must name what was
     * read. Either way: no output. */
    if (rc == 0 && known) {
        rc = cb_file_check_unchanged(in_path, &before, err);
        if (rc < 0 && out_path)
            unlink(out_path);
    }
    if (!w->registry)
        return rc;
    cb_error rec = {0};
    int r = record_run(w, recorded_as, in_path, out_path, rc, err, started, res, &rec);
    if (r < 0 && rc == 0) {
        /* Unrecorded output must not stay: remove it, fail the file. */
        if (out_path)
            unlink(out_path);
        cb_error_set(err, r, "%s: could not record the run, output removed: %s", in_path,
                     rec.msg);
        return r;
    }
    return rc;
}

static int process(cb_worker *w, const char *in_path, const char *out_path, cb_job_result *res,
                   cb_error *err)
{
    res->video = cb_job_is_video(in_path);
    int rc = check_paths(in_path, out_path, err);
    if (rc == 0 && w->judge)
        rc = cb_judge_refresh(w->judge, err);
    if (rc == 0 && res->video && !w->video_det)
        rc = cb_detector_open(&w->opts.video_det, &w->video_det, err);
    if (rc < 0)
        return rc;
    if (res->video) {
        rc = cb_video_process(w->video_det, w->judge, in_path, out_path, &w->opts.video,
                              &res->vid, err);
        res->kept = res->vid.kept;
        res->redacted = res->vid.redacted;
    } else {
        rc = cb_photo_process(w->photo_det, w->judge, in_path, out_path, &w->opts.photo,
                              &res->photo, err);
        res->kept = res->photo.kept;
        res->redacted = res->photo.redacted;
    }
    return rc;
}

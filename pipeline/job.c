/* job.c - one input file through the photo or video pipeline; see job.h. */
#include "job.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "../common/fsutil.h"
#include "media_out.h"
#include "video_in.h"

/* Videos: the smallest face looked for by default (the tiled search costs
 * time in every frame; see the README's speed table). */
#define CB_VIDEO_MIN_FACE 40

struct cb_worker {
    cb_job_opts opts;
    cb_detector *photo_det;
    cb_detector *video_det;
    cb_judge *judge;
};

void cb_job_opts_default(cb_job_opts *opts)
{
    memset(opts, 0, sizeof *opts);
    cb_detector_opts_default(&opts->det);
    opts->video_min_face = CB_VIDEO_MIN_FACE;
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
    int rc = cb_detector_open(&opts->det, &w->photo_det, err);
    if (rc == 0 && opts->use_judge)
        rc = cb_judge_open(&opts->judge, &w->judge, err);
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

void cb_worker_close(cb_worker *w)
{
    if (!w)
        return;
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

int cb_worker_run(cb_worker *w, const char *in_path, const char *out_path, cb_job_result *res,
                  cb_error *err)
{
    memset(res, 0, sizeof *res);
    res->video = cb_job_is_video(in_path);
    int rc = check_paths(in_path, out_path, err);
    if (rc == 0 && w->judge)
        rc = cb_judge_refresh(w->judge, err);
    if (rc == 0 && res->video && !w->video_det) {
        cb_detector_opts vopts = w->opts.det;
        if (w->opts.video_min_face > 0)
            vopts.min_face = w->opts.video_min_face;
        rc = cb_detector_open(&vopts, &w->video_det, err);
    }
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

/* photo.c - read, detect, redact, write one photo; see photo.h. */
#include "photo.h"

#include <string.h>
#include <time.h>

#include "media_out.h"

void cb_photo_opts_default(cb_photo_opts *opts)
{
    memset(opts, 0, sizeof *opts);
    opts->style = CB_REDACT_DEFAULT;
    opts->out_codec = AV_CODEC_ID_NONE;
    cb_image_limits limits = CB_IMAGE_LIMITS_DEFAULT;
    opts->limits = limits;
}

void cb_photo_result_free(cb_photo_result *result)
{
    if (!result)
        return;
    cb_face_list_free(&result->faces);
    memset(result, 0, sizeof *result);
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int cb_photo_process(cb_detector *det, const char *in_path, const char *out_path,
                     const cb_photo_opts *opts, cb_photo_result *result, cb_error *err)
{
    cb_photo_result local;
    cb_photo_result *res = result ? result : &local;
    memset(res, 0, sizeof *res);
    AVFrame *frame = NULL;
    cb_image_info info;
    double t0 = now_seconds();
    int rc = cb_image_read(in_path, &opts->limits, &frame, &info, err);
    double t1 = now_seconds();
    res->seconds_read = t1 - t0;
    if (rc < 0)
        goto done;
    res->width = frame->width;
    res->height = frame->height;
    res->orientation = info.orientation;
    res->in_codec = info.codec_id;
    res->out_codec = opts->out_codec != AV_CODEC_ID_NONE ? opts->out_codec : info.codec_id;

    rc = cb_detector_detect(det, frame, &res->faces, err);
    double t2 = now_seconds();
    res->seconds_detect = t2 - t1;
    res->detector_runs = cb_detector_last_runs(det);
    if (rc < 0) {
        cb_error_prefix(err, "%s: face detection failed", in_path);
        goto done;
    }
    rc = av_frame_make_writable(frame);
    if (rc < 0) {
        rc = cb_error_set(err, CB_ENOMEM, "%s: out of memory", in_path);
        goto done;
    }
    rc = cb_redact_faces(frame, res->faces.faces, res->faces.count, opts->style, err);
    double t3 = now_seconds();
    res->seconds_redact = t3 - t2;
    if (rc < 0) {
        cb_error_prefix(err, "%s: redaction failed", in_path);
        goto done;
    }
    res->redacted = res->faces.count;

    cb_image_write_opts wopts = {.codec_id = res->out_codec, .quality = opts->quality,
                                 .overwrite = opts->overwrite};
    rc = cb_image_write(out_path, frame, &wopts, err);
    res->seconds_write = now_seconds() - t3;
    if (rc == 0)
        cb_log(opts->log, CB_LOG_INFO, "%s -> %s: %d face(s) redacted", in_path, out_path,
               res->redacted);
done:
    av_frame_free(&frame);
    if (res == &local)
        cb_photo_result_free(&local);
    return rc;
}

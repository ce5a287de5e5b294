/* photo.c - read, detect, redact, write one photo; see photo.h. */
#include "../common/i18n.h"
#include "photo.h"

#include <stdlib.h>
#include <string.h>

#include "../common/cb_date.h"
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
    free(result->verdicts);
    memset(result, 0, sizeof *result);
}

/* Fill res->verdicts (one per face) and the list of faces to redact. */
static int judge_faces(cb_judge *judge, const AVFrame *frame, cb_photo_result *res,
                       cb_face_list *to_redact, cb_error *err)
{
    const int n = res->faces.count;
    res->verdicts = calloc(n > 0 ? (size_t)n : 1, sizeof *res->verdicts);
    if (!res->verdicts)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    int rc = 0;
    if (judge)
        rc = cb_judge_faces(judge, frame, res->faces.faces, n, res->verdicts, err);
    else
        for (int i = 0; i < n; i++)
            cb_verdict_redact(&res->verdicts[i], CB_REASON_REDACT_ALL,
                              _("every face is redacted (no registry in use)"));
    for (int i = 0; rc == 0 && i < n; i++) {
        if (res->verdicts[i].keep)
            res->kept++;
        else
            rc = cb_face_list_push(to_redact, &res->faces.faces[i], err);
    }
    return rc;
}

int cb_photo_process(cb_detector *det, cb_judge *judge, const char *in_path,
                     const char *out_path, const cb_photo_opts *opts, cb_photo_result *result,
                     cb_error *err)
{
    cb_face_list to_redact = {0};
    cb_photo_result local;
    cb_photo_result *res = result ? result : &local;
    memset(res, 0, sizeof *res);
    AVFrame *frame = NULL;
    cb_image_info info;
    double t0 = cb_monotonic_seconds();
    int rc = cb_image_read(in_path, &opts->limits, &frame, &info, err);
    double t1 = cb_monotonic_seconds();
    res->seconds_read = t1 - t0;
    if (rc < 0)
        goto done;
    res->width = frame->width;
    res->height = frame->height;
    res->orientation = info.orientation;
    res->in_codec = info.codec_id;
    /* the input's own format; a phone's HEIC or AVIF as JPEG, which every
     * channel takes */
    const int heif = info.codec_id == AV_CODEC_ID_HEVC || info.codec_id == AV_CODEC_ID_AV1;
    res->out_codec = opts->out_codec != AV_CODEC_ID_NONE ? opts->out_codec
                     : heif                              ? AV_CODEC_ID_MJPEG
                                                         : info.codec_id;

    rc = cb_detector_detect(det, frame, &res->faces, err);
    double t2 = cb_monotonic_seconds();
    res->seconds_detect = t2 - t1;
    res->detector_runs = cb_detector_last_runs(det);
    if (rc < 0) {
        cb_error_prefix(err, "%s: face detection failed", in_path);
        goto done;
    }
    rc = judge_faces(judge, frame, res, &to_redact, err);
    double t3 = cb_monotonic_seconds();
    res->seconds_judge = t3 - t2;
    if (rc < 0) {
        cb_error_prefix(err, "%s: recognition failed, nothing written", in_path);
        goto done;
    }
    res->redacted = to_redact.count;
    if (!out_path)
        goto done; /* check only */
    rc = av_frame_make_writable(frame);
    if (rc < 0) {
        rc = cb_error_set(err, CB_ENOMEM, "%s: out of memory", in_path);
        goto done;
    }
    rc = cb_redact_faces(frame, to_redact.faces, to_redact.count, opts->style, err);
    double t4 = cb_monotonic_seconds();
    res->seconds_redact = t4 - t3;
    if (rc < 0) {
        cb_error_prefix(err, "%s: redaction failed", in_path);
        goto done;
    }

    cb_image_write_opts wopts = {.codec_id = res->out_codec, .quality = opts->quality,
                                 .overwrite = opts->overwrite};
    rc = cb_image_write(out_path, frame, &wopts, err);
    res->seconds_write = cb_monotonic_seconds() - t4;
    if (rc == 0)
        cb_log(opts->log, CB_LOG_INFO, "%s -> %s: %d face(s) kept, %d redacted", in_path,
               out_path, res->kept, res->redacted);
    cb_log(opts->log, CB_LOG_DEBUG,
           "%s: seconds: read %.3f, detect %.3f (%d network runs), recognise %.3f, "
           "redact %.3f, write %.3f", in_path, res->seconds_read, res->seconds_detect,
           res->detector_runs, res->seconds_judge, res->seconds_redact, res->seconds_write);
done:
    cb_face_list_free(&to_redact);
    av_frame_free(&frame);
    if (res == &local)
        cb_photo_result_free(&local);
    return rc;
}

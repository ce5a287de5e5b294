/* review_redact.c - an output made again with regions redacted by hand; see review_redact.h. */
#include "review_redact.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/fsutil.h"
#include "../common/sha256.h"
#include "media_in.h"
#include "media_out.h"
#include "redact.h"
#include "video.h"
#include "video_in.h"

const char *cb_review_original(const cb_review_target *t)
{
    const char *path = t->media->input_realpath;
    char sha[65];
    /* A path stored with escapes (\xNN, \\) is not the file's name. */
    if (!path[0] || strchr(path, '\\') || access(path, R_OK) != 0)
        return NULL;
    if (cb_sha256_file_hex(path, sha, NULL) < 0 || strcmp(sha, t->run->input_sha256) != 0)
        return NULL;
    return path;
}

static cb_face face_box(float x, float y, float w, float h)
{
    return (cb_face){.x = x, .y = y, .w = w, .h = h, .score = 1};
}

/* The boxes to redact in a photo: the run's redacted faces (from the
 * original only: the output has them already) and every region by hand. */
static int photo_boxes(const cb_review_target *t, int from_original, cb_face_list *out,
                       cb_error *err)
{
    int rc = 0;
    for (int i = 0; rc == 0 && from_original && i < t->n_faces; i++) {
        const cb_run_face *f = &t->faces[i];
        if (!f->keep) {
            const cb_face b = face_box(f->x, f->y, f->w, f->h);
            rc = cb_face_list_push(out, &b, err);
        }
    }
    for (int i = 0; rc == 0 && i < t->n_edits; i++) {
        const cb_run_edit *e = &t->edits[i];
        const cb_face b = face_box((float)e->x, (float)e->y, (float)e->w, (float)e->h);
        rc = cb_face_list_push(out, &b, err);
    }
    return rc;
}

static int redact_photo(const cb_review_target *t, const char *original, cb_error *err)
{
    AVFrame *frame = NULL;
    cb_face_list boxes = {0};
    cb_redact_style style;
    const cb_image_limits limits = CB_IMAGE_LIMITS_DEFAULT;
    const char *src = original ? original : t->output_path;
    int rc = cb_redact_style_parse(t->media->style, &style);
    if (rc < 0)
        rc = cb_error_set(err, CB_EINVAL, "%s: unknown redaction style '%s' on record",
                          t->output_path, t->media->style);
    if (rc == 0)
        rc = cb_image_read(src, &limits, &frame, NULL, err);
    if (rc == 0 && (frame->width != t->media->width || frame->height != t->media->height))
        rc = cb_error_set(err, CB_EDECODE, "%s: %dx%d, the run recorded %dx%d", src,
                          frame->width, frame->height, t->media->width, t->media->height);
    if (rc == 0)
        rc = photo_boxes(t, original != NULL, &boxes, err);
    if (rc == 0 && av_frame_make_writable(frame) < 0)
        rc = cb_error_set(err, CB_ENOMEM, "out of memory");
    if (rc == 0)
        rc = cb_redact_faces(frame, boxes.faces, boxes.count, style, err);
    const cb_image_write_opts wopts = {.codec_id = cb_image_codec_for_path(t->output_path),
                                       .quality = t->media->quality, .overwrite = 1};
    if (rc == 0)
        rc = cb_image_write(t->output_path, frame, &wopts, err);
    cb_face_list_free(&boxes);
    av_frame_free(&frame);
    return rc;
}

/* Is the kept face i covered by an edit (redacted by hand as a whole track)? */
static int track_edited(const cb_review_target *t, int i)
{
    for (int k = 0; k < t->n_edits; k++)
        if (t->edits[k].face == i && t->faces[i].boxes)
            return 1;
    return 0;
}

/* What to redact in a video: the run's redacted tracks (from the original only),
 * kept tracks redacted by hand, and every drawn region (and, for a track whose
 * boxes are not on record, its largest box over its frames). Arrays malloc'd. */
static int video_redactions(const cb_review_target *t, int from_original,
                            cb_video_redactions *w, cb_error *err)
{
    cb_track *tracks = calloc((size_t)t->n_faces + 1, sizeof *tracks);
    uint8_t *redact = calloc((size_t)t->n_faces + 1, 1);
    cb_video_region *regions = calloc((size_t)t->n_edits + 1, sizeof *regions);
    int n = 0, rc = tracks && redact && regions ? 0 : CB_ENOMEM;
    for (int i = 0; rc == 0 && i < t->n_faces; i++) {
        const cb_run_face *f = &t->faces[i];
        const int64_t len = f->last - f->first + 1;
        tracks[i] = (cb_track){.id = f->track_id, .first = f->first, .last = f->last};
        tracks[i].boxes = f->boxes ? calloc((size_t)len, sizeof *tracks[i].boxes) : NULL;
        if (f->boxes && !tracks[i].boxes)
            rc = CB_ENOMEM;
        for (int64_t k = 0; tracks[i].boxes && k < len; k++)
            tracks[i].boxes[k] = (cb_track_box){f->boxes[4 * k], f->boxes[4 * k + 1],
                                                f->boxes[4 * k + 2], f->boxes[4 * k + 3], 0};
        redact[i] = (from_original && !f->keep) || track_edited(t, i);
    }
    for (int k = 0; rc == 0 && k < t->n_edits; k++) {
        const cb_run_edit *e = &t->edits[k];
        if (e->face < 0 || !t->faces[e->face].boxes)
            regions[n++] = (cb_video_region){(float)e->x, (float)e->y, (float)e->w,
                                             (float)e->h, e->first, e->last};
    }
    *w = (cb_video_redactions){tracks, redact, t->n_faces, regions, n};
    return rc < 0 ? cb_error_set(err, rc, "out of memory") : 0;
}

static void video_redactions_free(cb_video_redactions *w)
{
    for (int i = 0; w->tracks && i < w->n_tracks; i++)
        free(w->tracks[i].boxes);
    free((void *)w->tracks);
    free((void *)w->redact);
    free((void *)w->regions);
}

static int redact_video(const cb_review_target *t, const char *original, cb_error *err)
{
    cb_video_opts opts;
    cb_video_redactions what = {0};
    cb_video_opts_default(&opts);
    opts.out.crf = t->media->quality;
    opts.out.overwrite = 1;
    int rc = cb_redact_style_parse(t->media->style, &opts.style);
    if (rc < 0)
        return cb_error_set(err, CB_EINVAL, "%s: unknown redaction style '%s' on record",
                            t->output_path, t->media->style);
    rc = video_redactions(t, original != NULL, &what, err);
    if (rc == 0)
        rc = cb_video_render(original ? original : t->output_path, t->output_path, &what,
                             t->media->width, t->media->height, t->media->frames, &opts, err);
    video_redactions_free(&what);
    return rc;
}

int cb_review_redact(const cb_review_target *t, cb_edit_source *source, char after_sha256[65],
                     cb_error *err)
{
    if (!t || !t->output_path || !t->run || !t->media || (t->n_faces > 0 && !t->faces) ||
        (t->n_edits > 0 && !t->edits))
        return cb_error_set(err, CB_EINVAL, "review: nothing to redact");
    const char *original = cb_review_original(t);
    *source = original ? CB_EDIT_FROM_ORIGINAL : CB_EDIT_FROM_OUTPUT;
    int rc = t->media->frames > 0 ? redact_video(t, original, err) : redact_photo(t, original, err);
    if (rc == 0)
        rc = cb_sha256_file_hex(t->output_path, after_sha256, err);
    return rc;
}

int cb_review_backup_path(const char *path, char *out, size_t size, cb_error *err)
{
    const char *base = cb_path_basename(path);
    const int dir_len = (int)(base - path);
    const int n = snprintf(out, size, "%.*s.%s.review.bak", dir_len, path, base);
    if (n < 0 || (size_t)n >= size)
        return cb_error_set(err, CB_EINVAL, "%s: name too long", path);
    return 0;
}

int cb_review_redact_recorded(const cb_review_target *t, cb_review_record_fn record, void *user,
                              cb_error *err)
{
    char backup[4096], after[65];
    cb_edit_source source;
    int rc = cb_review_backup_path(t->output_path, backup, sizeof backup, err);
    if (rc < 0)
        return rc;
    unlink(backup); /* left by a run that was killed: the record decides, not it */
    if (link(t->output_path, backup) != 0)
        return cb_error_set(err, -errno, "%s: cannot keep the output before the change: %s",
                            t->output_path, strerror(errno));
    rc = cb_review_redact(t, &source, after, err);
    if (rc == 0) {
        rc = record(user, source, after, err);
        if (rc < 0 && rename(backup, t->output_path) != 0)
            cb_error_prefix(err, "%s: NOT put back as it was (%s)", t->output_path,
                            strerror(errno));
    }
    unlink(backup);
    return rc;
}

int cb_review_frame_jpeg(const char *path, int64_t index, uint8_t **data, size_t *size,
                         cb_error *err)
{
    cb_video_in *in = NULL;
    AVFrame *frame = NULL;
    *data = NULL;
    *size = 0;
    int rc = cb_video_in_open(path, 0, &in, NULL, err);
    for (int64_t i = 0; rc == 0 && i <= index; i++) {
        av_frame_free(&frame);
        rc = cb_video_in_read(in, &frame, err);
        if (rc == 1)
            rc = cb_error_set(err, CB_EINVAL, "%s: no frame %lld", path, (long long)index);
    }
    const cb_image_write_opts wopts = {.codec_id = AV_CODEC_ID_MJPEG, .quality = 85};
    if (rc == 0)
        rc = cb_image_encode(frame, &wopts, data, size, err);
    av_frame_free(&frame);
    cb_video_in_close(in);
    return rc;
}

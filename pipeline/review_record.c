/* review_record.c - a run and its faces in one transaction; see review_record.h. */
#include "review_record.h"

#include <stdlib.h>
#include <string.h>

#include "../consent/run_review.h"

/* res's faces (photo) or tracks (video) as run_faces rows; *out malloc'd,
 * the boxes borrowed from res. */
static int faces_of(const cb_job_result *res, cb_run_face **out, int *n, cb_error *err)
{
    const int count = res->video ? res->vid.n_tracks : res->photo.faces.count;
    cb_run_face *f = calloc(count > 0 ? (size_t)count : 1, sizeof *f);
    if (!f)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    for (int i = 0; i < count; i++) {
        const cb_verdict *v;
        f[i].index = i;
        if (res->video) {
            const cb_video_track *t = &res->vid.tracks[i];
            v = &t->verdict;
            f[i].track_id = t->id;
            f[i].x = t->box[0], f[i].y = t->box[1], f[i].w = t->box[2], f[i].h = t->box[3];
            f[i].first = t->first;
            f[i].last = t->last;
            f[i].boxes = t->boxes; /* borrowed */
            if (f[i].w <= 0 && t->boxes) /* no detection noted: its first box */
                f[i].x = t->boxes[0], f[i].y = t->boxes[1], f[i].w = t->boxes[2],
                f[i].h = t->boxes[3];
        } else {
            const cb_face *b = &res->photo.faces.faces[i];
            v = &res->photo.verdicts[i];
            f[i].x = b->x, f[i].y = b->y, f[i].w = b->w, f[i].h = b->h;
        }
        f[i].keep = v->keep != 0;
        f[i].reason = v->keep ? CB_REASON_CONSENT : v->reason;
        if (v->keep)
            snprintf(f[i].external_id, sizeof f[i].external_id, "%s", v->external_id);
    }
    *out = f;
    *n = count;
    return 0;
}

static void media_of(const char *in_path, const cb_job_opts *opts, const cb_job_result *res,
                     cb_run_media *m)
{
    memset(m, 0, sizeof *m);
    char *real = realpath(in_path, NULL);
    if (!real || cb_run_path_text(m->input_realpath, sizeof m->input_realpath, real, NULL) < 0)
        m->input_realpath[0] = '\0'; /* unknown: the review redacts in the output then */
    free(real);
    const cb_redact_style style = res->video ? opts->video.style : opts->photo.style;
    snprintf(m->style, sizeof m->style, "%s", cb_redact_style_name(style));
    m->quality = res->video ? opts->video.out.crf : opts->photo.quality;
    m->width = res->video ? res->vid.info.width : res->photo.width;
    m->height = res->video ? res->vid.info.height : res->photo.height;
    m->frames = res->video ? res->vid.frames : 0;
}

int cb_review_record_run(cb_registry *reg, const cb_run *run, const char *in_path,
                         const cb_job_opts *opts, cb_job_result *res, cb_error *err)
{
    int rc = cb_registry_begin(reg, err);
    if (rc < 0)
        return rc;
    rc = cb_registry_run_record(reg, run, &res->run_id, err);
    if (rc == 0 && run->output_path[0]) {
        cb_run_media media;
        cb_run_face *faces = NULL;
        int n = 0;
        media_of(in_path, opts, res, &media);
        rc = faces_of(res, &faces, &n, err);
        if (rc == 0)
            rc = cb_registry_run_faces_record(reg, res->run_id, &media, faces, n, err);
        free(faces);
    }
    if (rc < 0) {
        cb_registry_rollback(reg);
        res->run_id = 0;
        return rc;
    }
    return cb_registry_commit(reg, err);
}

/*
 * review_report.c - `consentblur review --report FILE.html`: when the server
 * stops, the contact sheet of the folder's outputs as they are then, each
 * with the run's decisions and the regions redacted by hand since
 * (pipeline/report.h).
 */
#include <stdlib.h>
#include <string.h>

#include "../common/cb_date.h"
#include "../pipeline/report.h"
#include "review_http.h"

/* A verdict as the run recorded it (the detail is not kept; the name is
 * the registry's now, or none when the person was removed since). */
static void verdict_of(cb_registry *reg, const cb_run_face *f, cb_verdict *v)
{
    cb_person p = {0};
    memset(v, 0, sizeof *v);
    v->keep = f->keep;
    v->reason = f->reason;
    snprintf(v->external_id, sizeof v->external_id, "%s", f->external_id);
    if (f->keep && cb_registry_person_find(reg, f->external_id, &p, NULL) == 0)
        snprintf(v->name, sizeof v->name, "%s", p.name);
}

static int add_photo(cb_report *rep, cb_registry *reg, const char *path,
                     const cb_review_record *r, cb_error *err)
{
    cb_photo_result res = {0};
    cb_verdict *v = calloc((size_t)r->n_faces + 1, sizeof *v);
    int rc = v ? 0 : cb_error_set(err, CB_ENOMEM, "out of memory");
    for (int i = 0; rc == 0 && i < r->n_faces; i++) {
        const cb_run_face *f = &r->faces[i];
        const cb_face box = {.x = f->x, .y = f->y, .w = f->w, .h = f->h, .score = 1};
        verdict_of(reg, f, &v[i]);
        rc = cb_face_list_push(&res.faces, &box, err);
    }
    res.verdicts = v;
    if (rc == 0)
        rc = cb_report_add_reviewed(rep, r->run.input_path, path, &res, NULL, r->edits,
                                    r->n_edits, err);
    cb_photo_result_free(&res); /* frees v */
    return rc;
}

static int add_video(cb_report *rep, cb_registry *reg, const char *path,
                     const cb_review_record *r, cb_error *err)
{
    cb_video_result res = {0};
    res.tracks = calloc((size_t)r->n_faces + 1, sizeof *res.tracks);
    if (!res.tracks)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    res.n_tracks = r->n_faces;
    res.frames = r->media.frames;
    for (int i = 0; i < r->n_faces; i++) {
        const cb_run_face *f = &r->faces[i];
        cb_video_track *t = &res.tracks[i];
        t->id = f->track_id;
        t->first = f->first;
        t->last = f->last;
        t->box[0] = f->x, t->box[1] = f->y, t->box[2] = f->w, t->box[3] = f->h;
        verdict_of(reg, f, &t->verdict);
    }
    const int rc = cb_report_add_reviewed(rep, r->run.input_path, path, NULL, &res, r->edits,
                                          r->n_edits, err);
    cb_video_result_free(&res);
    return rc;
}

/* One listed file's card (or failure line when no run is on record for it). */
static int add_file(cb_report *rep, cb_registry *reg, const cb_review_files *files,
                    const cb_review_file *file, cb_error *err)
{
    char path[4200];
    cb_review_record r;
    int rc = cb_review_record_read(reg, file, &r, err);
    if (rc == 0)
        rc = cb_review_files_path(files, file->name, path, sizeof path, err);
    if (rc == 0 && (!r.found || !r.has_media))
        rc = cb_report_add_failure(rep, file->name, "not on record as the output of a run",
                                   err);
    else if (rc == 0)
        rc = (file->video ? add_video : add_photo)(rep, reg, path, &r, err);
    cb_review_record_free(&r);
    return rc < 0 ? rc : 0; /* 1: a card without its thumbnail is still a card */
}

/* The purpose of the first output on record (a folder is made for one). */
static void folder_purpose(cb_registry *reg, const cb_review_files *files, char out[32])
{
    out[0] = '\0';
    for (int i = 0; !out[0] && i < files->n; i++) {
        cb_review_record r;
        if (cb_review_record_read(reg, &files->v[i], &r, NULL) == 0 && r.found)
            snprintf(out, 32, "%s", r.run.purpose);
        cb_review_record_free(&r);
    }
}

int cb_review_write_report(cb_registry *reg, const char *dir, const char *html_path,
                           cb_error *err)
{
    cb_review_files files;
    cb_report *rep = NULL;
    char today[11], purpose[32] = "";
    cb_date_today(today);
    int rc = cb_review_files_open(dir, &files, err);
    if (rc == 0)
        folder_purpose(reg, &files, purpose);
    const cb_report_info info = {"consentblur review", "review", purpose[0] ? purpose : NULL,
                                 today};
    if (rc == 0)
        rc = cb_report_open(html_path, &info, &rep, err);
    for (int i = 0; rc == 0 && i < files.n; i++)
        rc = add_file(rep, reg, &files, &files.v[i], err);
    if (rc == 0)
        rc = cb_report_finish(rep, err);
    cb_report_close(rep);
    cb_review_files_close(&files);
    return rc;
}

/*
 * run_review.c - faces per run and regions redacted by hand (tables
 * run_media, run_faces, run_edits); see run_review.h.
 */
#include "run_review.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/cb_date.h"
#include "registry_internal.h"
#include "text.h"

static const char *const source_names[] = {"original", "output"};

const char *cb_edit_source_name(cb_edit_source s)
{
    return (unsigned)s < 2 ? source_names[s] : NULL;
}

static int reason_parse(const char *name, cb_reason *out)
{
    for (int i = CB_REASON_CONSENT; i <= CB_REASON_TRACK_DISAGREES; i++) {
        if (!strcmp(name, cb_reason_name((cb_reason)i))) {
            *out = (cb_reason)i;
            return 0;
        }
    }
    return CB_EINVAL;
}

/* 64 hex digits, copied lower-case into out. */
static int sha_ok(const char *h, char out[65])
{
    if (strnlen(h, 65) != 64)
        return 0;
    for (int i = 0; i < 64; i++) {
        if (!isxdigit((unsigned char)h[i]))
            return 0;
        out[i] = (char)tolower((unsigned char)h[i]);
    }
    out[64] = '\0';
    return 1;
}

/* ---- faces ------------------------------------------------------------------------- */

static int face_ok(const cb_run_face *f, int i)
{
    const float v[4] = {f->x, f->y, f->w, f->h};
    for (int k = 0; k < 4; k++)
        if (!isfinite(v[k]))
            return 0;
    if (f->index != i || f->w <= 0 || f->h <= 0 || f->track_id < 0 || f->first < 0 ||
        f->last < f->first || !cb_reason_name(f->reason))
        return 0;
    if (f->keep != (f->reason == CB_REASON_CONSENT) || f->keep != (f->external_id[0] != '\0'))
        return 0; /* only kept faces name whom they show */
    return f->external_id[0] == '\0' || cb_text_field_ok(f->external_id, 64);
}

static int insert_face(cb_registry *r, sqlite3_stmt *st, int64_t run_id, const cb_run_face *f,
                       cb_error *err)
{
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_int(st, 2, f->index);
    sqlite3_bind_int(st, 3, f->track_id);
    sqlite3_bind_double(st, 4, f->x);
    sqlite3_bind_double(st, 5, f->y);
    sqlite3_bind_double(st, 6, f->w);
    sqlite3_bind_double(st, 7, f->h);
    sqlite3_bind_int64(st, 8, f->first);
    sqlite3_bind_int64(st, 9, f->last);
    sqlite3_bind_int(st, 10, f->keep);
    cb_reg_bind_text(st, 11, cb_reason_name(f->reason));
    cb_reg_bind_text(st, 12, f->external_id);
    if (f->boxes) /* float32 in the machine's order: little-endian on every target we build */
        sqlite3_bind_blob64(st, 13, f->boxes,
                            (sqlite3_uint64)(f->last - f->first + 1) * 4 * sizeof(float),
                            SQLITE_TRANSIENT);
    return cb_reg_step_done(r, st, "recording a run's faces", err);
}

static int insert_media(cb_registry *r, int64_t run_id, const cb_run_media *m, cb_error *err)
{
    sqlite3_stmt *st = NULL;
    int rc = cb_reg_prepare(r, "INSERT INTO run_media(run_id, input_realpath, style, quality, "
                               "width, height, frames) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                            &st, err);
    if (rc < 0)
        return rc;
    sqlite3_bind_int64(st, 1, run_id);
    cb_reg_bind_text(st, 2, m->input_realpath);
    cb_reg_bind_text(st, 3, m->style);
    sqlite3_bind_int(st, 4, m->quality);
    sqlite3_bind_int(st, 5, m->width);
    sqlite3_bind_int(st, 6, m->height);
    sqlite3_bind_int64(st, 7, m->frames);
    rc = cb_reg_step_done(r, st, "recording how an output was made", err);
    sqlite3_finalize(st);
    return rc;
}

static int check_media(cb_registry *r, int64_t run_id, const cb_run_media *m, const void *faces,
                       int n, cb_error *err)
{
    int exists = 0;
    if (!m || n < 0 || (n > 0 && !faces) || m->width <= 0 || m->height <= 0 || m->frames < 0 ||
        !cb_text_field_ok(m->input_realpath, sizeof m->input_realpath) ||
        !cb_text_field_ok(m->style, sizeof m->style) || !m->style[0])
        return cb_error_set(err, CB_EINVAL, "run %lld: bad media record", (long long)run_id);
    int rc = cb_reg_count(r, "SELECT count(*) FROM runs WHERE id = ?1 AND status = 'ok' AND "
                             "output_path IS NOT NULL", run_id, &exists, err);
    if (rc == 0 && !exists)
        rc = cb_error_set(err, CB_EINVAL, "run %lld: no such run with an output",
                          (long long)run_id);
    return rc;
}

int cb_registry_run_faces_record(cb_registry *r, int64_t run_id, const cb_run_media *media,
                                 const cb_run_face *faces, int n, cb_error *err)
{
    sqlite3_stmt *st = NULL;
    if (!r)
        return cb_error_set(err, CB_EINVAL, "cb_registry_run_faces_record: no registry");
    int rc = cb_reg_tx_begin(r, err);
    if (rc < 0)
        return rc;
    rc = check_media(r, run_id, media, faces, n, err);
    for (int i = 0; rc == 0 && i < n; i++)
        if (!face_ok(&faces[i], i))
            rc = cb_error_set(err, CB_EINVAL, "run %lld: bad face %d", (long long)run_id, i);
    if (rc == 0)
        rc = insert_media(r, run_id, media, err); /* a second record fails here (key) */
    if (rc == 0)
        rc = cb_reg_prepare(r, "INSERT INTO run_faces(run_id, face, track_id, x, y, w, h, "
                               "first_frame, last_frame, keep, reason, external_id, boxes) "
                               "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                            &st, err);
    for (int i = 0; rc == 0 && i < n; i++)
        rc = insert_face(r, st, run_id, &faces[i], err);
    sqlite3_finalize(st);
    if (rc < 0) {
        cb_reg_tx_rollback(r);
        return rc;
    }
    return cb_reg_tx_commit(r, err);
}

static int read_media(cb_registry *r, int64_t run_id, cb_run_media *m, int *has, cb_error *err)
{
    sqlite3_stmt *st = NULL;
    *has = 0;
    int rc = cb_reg_prepare(r, "SELECT input_realpath, style, quality, width, height, frames "
                               "FROM run_media WHERE run_id = ?1", &st, err);
    if (rc < 0)
        return rc;
    sqlite3_bind_int64(st, 1, run_id);
    int s = sqlite3_step(st);
    if (s == SQLITE_ROW) {
        memset(m, 0, sizeof *m);
        cb_reg_column_text(st, 0, m->input_realpath, sizeof m->input_realpath);
        cb_reg_column_text(st, 1, m->style, sizeof m->style);
        m->quality = sqlite3_column_int(st, 2);
        m->width = sqlite3_column_int(st, 3);
        m->height = sqlite3_column_int(st, 4);
        m->frames = sqlite3_column_int64(st, 5);
        *has = 1;
    } else if (s != SQLITE_DONE) {
        rc = cb_reg_db_error(r, s, "reading how an output was made", err);
    }
    sqlite3_finalize(st);
    return rc;
}

/* One row of run_faces into f (its boxes malloc'd). */
static int read_face(sqlite3_stmt *st, void *row, void *ctx, cb_error *err)
{
    cb_run_face *f = row;
    char word[32];
    (void)ctx;
    f->index = sqlite3_column_int(st, 0);
    f->track_id = sqlite3_column_int(st, 1);
    f->x = (float)sqlite3_column_double(st, 2);
    f->y = (float)sqlite3_column_double(st, 3);
    f->w = (float)sqlite3_column_double(st, 4);
    f->h = (float)sqlite3_column_double(st, 5);
    f->first = sqlite3_column_int64(st, 6);
    f->last = sqlite3_column_int64(st, 7);
    f->keep = sqlite3_column_int(st, 8);
    cb_reg_column_text(st, 9, word, sizeof word);
    cb_reg_column_text(st, 10, f->external_id, sizeof f->external_id);
    if (reason_parse(word, &f->reason) < 0)
        return cb_error_set(err, CB_EDB, "run record: unknown reason '%s'", word);
    const int bytes = sqlite3_column_bytes(st, 11);
    const size_t want = (size_t)(f->last - f->first + 1) * 4 * sizeof(float);
    if (bytes > 0 && (size_t)bytes == want) {
        f->boxes = malloc(want);
        if (!f->boxes)
            return cb_error_set(err, CB_ENOMEM, "out of memory");
        memcpy(f->boxes, sqlite3_column_blob(st, 11), want);
    }
    return 0;
}

static void release_face(void *row)
{
    free(((cb_run_face *)row)->boxes);
}

int cb_registry_run_faces(cb_registry *r, int64_t run_id, cb_run_media *media, int *has_media,
                          cb_run_face **faces, int *n, cb_error *err)
{
    sqlite3_stmt *st = NULL;
    void *rows = NULL;
    *faces = NULL;
    *n = 0;
    int rc = read_media(r, run_id, media, has_media, err);
    if (rc < 0 || !*has_media)
        return rc;
    rc = cb_reg_prepare(r, "SELECT face, track_id, x, y, w, h, first_frame, last_frame, keep, "
                           "reason, external_id, boxes FROM run_faces WHERE run_id = ?1 "
                           "ORDER BY face", &st, err);
    if (rc < 0)
        return rc;
    sqlite3_bind_int64(st, 1, run_id);
    const cb_reg_rows how = {.row_size = sizeof **faces, .read = read_face,
                             .release = release_face, .what = "reading a run's faces"};
    rc = cb_reg_collect(r, st, &how, &rows, n, err);
    *faces = rows;
    return rc;
}

void cb_run_faces_free(cb_run_face *faces, int n)
{
    for (int i = 0; faces && i < n; i++)
        free(faces[i].boxes);
    free(faces);
}

/* ---- edits ------------------------------------------------------------------------- */

/* The defaults filled in and every field checked; *subject = the external id
 * of the kept face the edit covers, "" for a drawn region. */
static int check_edit(cb_registry *r, cb_run_edit *e, char subject[64], cb_error *err)
{
    char a[65], b[65];
    int exists = 0;
    subject[0] = '\0';
    const int photo = e->first == -1 && e->last == -1;
    if (!cb_edit_source_name(e->source) || e->w <= 0 || e->h <= 0 ||
        (!photo && (e->first < 0 || e->last < e->first)) || !sha_ok(e->before_sha256, a) ||
        !sha_ok(e->after_sha256, b) ||
        !cb_text_field_ok(e->host, sizeof e->host) || !cb_text_field_ok(e->at, sizeof e->at))
        return cb_error_set(err, CB_EINVAL, "edit: bad region, frames, source or hash");
    memcpy(e->before_sha256, a, 65);
    memcpy(e->after_sha256, b, 65);
    if (!e->at[0])
        cb_date_timestamp_now(e->at);
    if (!e->host[0] && (gethostname(e->host, sizeof e->host - 1) != 0 ||
                        !cb_text_field_ok(e->host, sizeof e->host)))
        e->host[0] = '\0';
    char given[sizeof e->actor];
    memcpy(given, e->actor, sizeof given);
    int rc = cb_reg_actor(given[0] ? given : NULL, e->actor, err);
    if (rc == 0)
        rc = cb_reg_count(r, "SELECT count(*) FROM run_media WHERE run_id = ?1", e->run_id,
                          &exists, err);
    if (rc == 0 && !exists)
        return cb_error_set(err, CB_EINVAL, "edit: run %lld has no face record",
                            (long long)e->run_id);
    if (rc < 0 || e->face < 0)
        return rc;
    sqlite3_stmt *st = NULL;
    rc = cb_reg_prepare(r, "SELECT external_id FROM run_faces WHERE run_id = ?1 AND face = ?2 "
                           "AND keep = 1", &st, err);
    if (rc < 0)
        return rc;
    sqlite3_bind_int64(st, 1, e->run_id);
    sqlite3_bind_int(st, 2, e->face);
    int s = sqlite3_step(st);
    if (s == SQLITE_ROW)
        cb_reg_column_text(st, 0, subject, 64);
    else
        rc = s == SQLITE_DONE ? cb_error_set(err, CB_EINVAL, "edit: face %d of run %lld is not "
                                             "a kept face", e->face, (long long)e->run_id)
                              : cb_reg_db_error(r, s, "reading a run's faces", err);
    sqlite3_finalize(st);
    return rc;
}

static int insert_edit(cb_registry *r, cb_run_edit *e, cb_error *err)
{
    sqlite3_stmt *st = NULL;
    int rc = cb_reg_prepare(r, "INSERT INTO run_edits(run_id, at, actor, host, x, y, w, h, "
                               "first_frame, last_frame, face, source, before_sha256, "
                               "after_sha256) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
                               "?11, ?12, ?13, ?14)", &st, err);
    if (rc < 0)
        return rc;
    sqlite3_bind_int64(st, 1, e->run_id);
    cb_reg_bind_text(st, 2, e->at);
    cb_reg_bind_text(st, 3, e->actor);
    cb_reg_bind_text(st, 4, e->host);
    const int region[4] = {e->x, e->y, e->w, e->h};
    for (int i = 0; i < 4; i++)
        sqlite3_bind_int(st, 5 + i, region[i]);
    sqlite3_bind_int64(st, 9, e->first);
    sqlite3_bind_int64(st, 10, e->last);
    sqlite3_bind_int(st, 11, e->face);
    cb_reg_bind_text(st, 12, cb_edit_source_name(e->source));
    cb_reg_bind_text(st, 13, e->before_sha256);
    cb_reg_bind_text(st, 14, e->after_sha256);
    rc = cb_reg_step_done(r, st, "recording a manual redaction", err);
    sqlite3_finalize(st);
    if (rc == 0)
        e->id = sqlite3_last_insert_rowid(r->db);
    return rc;
}

int cb_registry_run_edit_record(cb_registry *r, cb_run_edit *e, cb_error *err)
{
    char subject[64], details[256], region[64];
    if (!r || !e)
        return cb_error_set(err, CB_EINVAL, "cb_registry_run_edit_record: NULL argument");
    int rc = cb_reg_tx_begin(r, err);
    if (rc < 0)
        return rc;
    rc = check_edit(r, e, subject, err);
    if (rc == 0)
        rc = insert_edit(r, e, err);
    if (rc == 0) {
        cb_json_obj o;
        snprintf(region, sizeof region, "[%d, %d, %d, %d]", e->x, e->y, e->w, e->h);
        cb_json_obj_begin(&o, details, sizeof details);
        cb_json_obj_int(&o, "run", e->run_id);
        cb_json_obj_int(&o, "edit", e->id);
        cb_json_obj_raw(&o, "region", region);
        if (e->first >= 0) {
            snprintf(region, sizeof region, "[%lld, %lld]", (long long)e->first,
                     (long long)e->last);
            cb_json_obj_raw(&o, "frames", region);
        }
        cb_json_obj_str(&o, "source", cb_edit_source_name(e->source), 16);
        cb_json_obj_end(&o);
        rc = cb_reg_audit_append(r, e->actor, "review.redact", subject, details, err);
    }
    if (rc < 0) {
        cb_reg_tx_rollback(r);
        return rc;
    }
    return cb_reg_tx_commit(r, err);
}

static void read_edit(sqlite3_stmt *st, void *row)
{
    cb_run_edit *e = row;
    char word[16];
    e->id = sqlite3_column_int64(st, 0);
    e->run_id = sqlite3_column_int64(st, 1);
    cb_reg_column_text(st, 2, e->at, sizeof e->at);
    cb_reg_column_text(st, 3, e->actor, sizeof e->actor);
    cb_reg_column_text(st, 4, e->host, sizeof e->host);
    e->x = sqlite3_column_int(st, 5);
    e->y = sqlite3_column_int(st, 6);
    e->w = sqlite3_column_int(st, 7);
    e->h = sqlite3_column_int(st, 8);
    e->first = sqlite3_column_int64(st, 9);
    e->last = sqlite3_column_int64(st, 10);
    e->face = sqlite3_column_int(st, 11);
    cb_reg_column_text(st, 12, word, sizeof word);
    e->source = strcmp(word, "original") ? CB_EDIT_FROM_OUTPUT : CB_EDIT_FROM_ORIGINAL;
    cb_reg_column_text(st, 13, e->before_sha256, sizeof e->before_sha256);
    cb_reg_column_text(st, 14, e->after_sha256, sizeof e->after_sha256);
}

int cb_registry_run_edits(cb_registry *r, int64_t run_id, cb_run_edit **out, int *n,
                          cb_error *err)
{
    sqlite3_stmt *st = NULL;
    void *rows = NULL;
    *out = NULL;
    *n = 0;
    int rc = cb_reg_prepare(r, "SELECT id, run_id, at, actor, host, x, y, w, h, first_frame, "
                               "last_frame, face, source, before_sha256, after_sha256 FROM "
                               "run_edits WHERE run_id = ?1 ORDER BY id", &st, err);
    if (rc < 0)
        return rc;
    sqlite3_bind_int64(st, 1, run_id);
    const cb_reg_rows how = {.row_size = sizeof **out, .fill = read_edit,
                             .what = "reading the manual redactions"};
    rc = cb_reg_collect(r, st, &how, &rows, n, err);
    *out = rows;
    return rc;
}

/* The run id (and edit id) of `sql`'s first row for `hash`; *run_id 0 if none. */
static int newest_with(cb_registry *r, const char *sql, const char *hash, int64_t *run_id,
                       int64_t *edit_id, cb_error *err)
{
    sqlite3_stmt *st = NULL;
    *run_id = 0;
    int rc = cb_reg_prepare(r, sql, &st, err);
    if (rc < 0)
        return rc;
    cb_reg_bind_text(st, 1, hash);
    int s = sqlite3_step(st);
    if (s == SQLITE_ROW) {
        *run_id = sqlite3_column_int64(st, 0);
        *edit_id = sqlite3_column_int64(st, 1);
    } else if (s != SQLITE_DONE) {
        rc = cb_reg_db_error(r, s, "looking an output up", err);
    }
    sqlite3_finalize(st);
    return rc;
}

/* The run with this id (it exists: a run_edits or runs row names it). */
static int run_by_id(cb_registry *r, int64_t id, cb_run *run, cb_error *err)
{
    cb_run *rows = NULL;
    int n = 0;
    int rc = cb_registry_run_list(r, id - 1, 1, &rows, &n, err);
    if (rc == 0 && (n != 1 || rows[0].id != id))
        rc = cb_error_set(err, CB_EDB, "run %lld: not found", (long long)id);
    if (rc == 0)
        *run = rows[0];
    free(rows);
    return rc;
}

int cb_registry_run_by_output(cb_registry *r, const char *output_sha256, cb_run *run,
                              int *found, int *latest, cb_error *err)
{
    char hash[65];
    int64_t by_edit = 0, by_run = 0, edit_id = 0, unused = 0, newer = 0;
    *found = 0;
    *latest = 0;
    if (!sha_ok(output_sha256, hash))
        return cb_error_set(err, CB_EINVAL, "output hash must be 64 hex digits");
    int rc = newest_with(r, "SELECT run_id, id FROM run_edits WHERE after_sha256 = ?1 "
                            "ORDER BY id DESC LIMIT 1", hash, &by_edit, &edit_id, err);
    if (rc == 0 && !by_edit)
        rc = newest_with(r, "SELECT id, 0 FROM runs WHERE output_sha256 = ?1 AND status = 'ok' "
                            "ORDER BY id DESC LIMIT 1", hash, &by_run, &unused, err);
    const int64_t id = by_edit ? by_edit : by_run;
    if (rc < 0 || !id)
        return rc;
    cb_run_edit *edits = NULL;
    int n = 0;
    rc = cb_registry_run_edits(r, id, &edits, &n, err);
    if (rc == 0 && n > 0)
        newer = edits[n - 1].id != edit_id; /* by_run: edit_id 0, so any edit is newer */
    free(edits);
    if (rc == 0)
        rc = run_by_id(r, id, run, err);
    if (rc == 0) {
        *found = 1;
        *latest = !newer;
    }
    return rc;
}

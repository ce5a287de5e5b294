/* review_http.c - the review server's routes; see review_http.h. */
#include "review_http.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/sha256.h"
#include "../consent/run_review.h"
#include "../pipeline/review_redact.h"

/* Is a file with this content a run's output on record? */
static int on_record(cb_registry *reg, const char *sha)
{
    cb_run *run = calloc(1, sizeof *run);
    int found = 0, latest = 0;
    if (run && cb_registry_run_by_output(reg, sha, run, &found, &latest, NULL) < 0)
        found = 0;
    free(run);
    return found;
}

/*
 * A change the server did not finish (killed between putting the new output in
 * place and recording it) leaves the output before it as ".NAME.review.bak"
 * (pipeline/review_redact.h): when the output is not on record and that copy
 * is, the copy is put back; the copy goes either way.
 */
static void recover(cb_review_ctx *ctx, const cb_review_file *file)
{
    char path[4200], backup[4300], sha[65];
    struct stat st;
    if (cb_review_files_path(&ctx->files, file->name, path, sizeof path, NULL) < 0 ||
        cb_review_backup_path(path, backup, sizeof backup, NULL) < 0 ||
        lstat(backup, &st) != 0 || !S_ISREG(st.st_mode))
        return;
    if (!on_record(ctx->reg, file->sha256) && cb_sha256_file_hex(backup, sha, NULL) == 0 &&
        on_record(ctx->reg, sha) && rename(backup, path) == 0) {
        cb_log(ctx->log, CB_LOG_ERROR, "review: %s: an unrecorded change was undone",
               file->name);
        cb_review_files_rehash(&ctx->files, file->name, NULL);
    }
    unlink(backup);
}

int cb_review_ctx_open(cb_review_ctx *ctx, const cb_review_opts *opts, cb_error *err)
{
    memset(ctx, 0, sizeof *ctx);
    ctx->files.dirfd = -1;
    ctx->log = opts->log;
    snprintf(ctx->actor, sizeof ctx->actor, "%s", opts->actor ? opts->actor : "");
    ctx->reg = opts->registry;
    int rc = cb_review_files_open(opts->dir, &ctx->files, err);
    for (int i = 0; rc == 0 && i < ctx->files.n; i++)
        recover(ctx, &ctx->files.v[i]);
    return rc;
}

void cb_review_ctx_close(cb_review_ctx *ctx)
{
    cb_review_files_close(&ctx->files);
    ctx->reg = NULL;
}

/* ---- the form of POST /api/redact ------------------------------------------------- */

static const char *const num_fields[7] = {"x", "y", "w", "h", "face", "first", "last"};

/* Copy a piece into field (size bytes) at off; -1 when it would not fit. */
static int put_piece(char *field, size_t size, const char *data, uint64_t off, size_t n)
{
    if (off + n >= size)
        return -1;
    memcpy(field + off, data, n);
    field[off + n] = '\0';
    return 0;
}

int cb_review_form_add(cb_review_form *f, const char *key, const char *data, uint64_t off,
                       size_t size)
{
    if (!strcmp(key, "name"))
        return put_piece(f->name, sizeof f->name, data, off, size);
    if (!strcmp(key, "sha256"))
        return put_piece(f->sha256, sizeof f->sha256, data, off, size);
    for (int i = 0; i < 7; i++) {
        if (!strcmp(key, num_fields[i])) {
            f->seen |= 1 << i;
            return put_piece(f->num[i], sizeof f->num[i], data, off, size);
        }
    }
    return -1;
}

/* The form's numbers: every one given, each a whole number. */
static int form_numbers(const cb_review_form *f, long long v[7])
{
    for (int i = 0; i < 7; i++) {
        char *end;
        errno = 0;
        v[i] = strtoll(f->num[i], &end, 10);
        if (!(f->seen & (1 << i)) || !f->num[i][0] || *end || errno ||
            llabs(v[i]) > 1000000000LL)
            return -1;
    }
    return 0;
}

/* ---- answers ------------------------------------------------------------------------ */

/* An answer written into memory (open_memstream), then sent. */
typedef struct answer {
    FILE *f;
    char *buf;
    size_t len;
} answer;

static FILE *answer_open(answer *a)
{
    a->buf = NULL;
    a->len = 0;
    return a->f = open_memstream(&a->buf, &a->len);
}

/* Send it (the buffer is freed by libmicrohttpd). */
static int answer_send(struct MHD_Connection *c, unsigned status, answer *a, const char *type)
{
    if (fclose(a->f) != 0 || !a->buf) { /* fclose sets buf and len */
        free(a->buf);
        return cb_review_respond_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
    }
    struct MHD_Response *r = MHD_create_response_from_buffer(a->len, a->buf,
                                                             MHD_RESPMEM_MUST_FREE);
    if (!r)
        free(a->buf);
    return cb_review_respond(c, status, r, type);
}

static int respond_error(struct MHD_Connection *c, unsigned status, const char *msg)
{
    answer a;
    if (!answer_open(&a))
        return MHD_NO;
    fputs("{\"error\": ", a.f);
    cb_json_write_string(a.f, msg);
    fputs("}\n", a.f);
    return answer_send(c, status, &a, "application/json");
}

/* ---- GET / ----------------------------------------------------------------------------- */

/* s as a JavaScript string inside <script>: as JSON, and '<' as \u003c, so that no
 * text (a translation) can end the script. */
static void script_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p < 0x20 || *p == '<' || *p == 0x7f)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

static int get_page(cb_review_ctx *ctx, struct MHD_Connection *c, const cb_review_form *form)
{
    (void)ctx, (void)form;
    answer a;
    FILE *f = answer_open(&a);
    if (!f)
        return MHD_NO;
    fputs(cb_review_page_head, f);
    /* TRANSLATORS: the language code of the review page's <html lang="...">. */
    fputs(C_("html lang", "en"), f);
    fputs(cb_review_page_middle, f);
    fputc('{', f);
    for (int i = 0; cb_review_texts[i].key; i++) {
        fprintf(f, "%s\"%s\": ", i ? ", " : "", cb_review_texts[i].key);
        script_string(f, _(cb_review_texts[i].msg));
    }
    fputc('}', f);
    fputs(cb_review_page_tail, f);
    return answer_send(c, MHD_HTTP_OK, &a, "text/html; charset=utf-8");
}

/* ---- GET /api/files ------------------------------------------------------------------- */

void cb_review_record_free(cb_review_record *r)
{
    cb_run_faces_free(r->faces, r->n_faces);
    free(r->edits);
    memset(r, 0, sizeof *r);
}

int cb_review_record_read(cb_registry *reg, const cb_review_file *file, cb_review_record *r,
                          cb_error *err)
{
    memset(r, 0, sizeof *r);
    int rc = cb_registry_run_by_output(reg, file->sha256, &r->run, &r->found, &r->latest, err);
    if (rc == 0 && r->found)
        rc = cb_registry_run_faces(reg, r->run.id, &r->media, &r->has_media, &r->faces,
                                   &r->n_faces, err);
    if (rc == 0 && r->found)
        rc = cb_registry_run_edits(reg, r->run.id, &r->edits, &r->n_edits, err);
    return rc;
}

static const char *state_of(const cb_review_record *r)
{
    return !r->found || !r->has_media ? "unknown" : r->latest ? "ok" : "stale";
}

static void put_face(cb_review_ctx *ctx, FILE *f, const cb_run_face *face)
{
    cb_person p = {0};
    if (face->keep && cb_registry_person_find(ctx->reg, face->external_id, &p, NULL) < 0)
        p.name[0] = '\0'; /* removed since: the external id is what the run recorded */
    fprintf(f, "{\"index\": %d, \"box\": [%.1f, %.1f, %.1f, %.1f], \"keep\": %s, \"reason\": ",
            face->index, face->x, face->y, face->w, face->h, face->keep ? "true" : "false");
    cb_json_write_string(f, cb_reason_name(face->reason));
    fputs(", \"external_id\": ", f);
    cb_json_write_string(f, face->external_id);
    fputs(", \"name\": ", f);
    cb_json_write_string(f, p.name);
    fprintf(f, ", \"track\": %d, \"first\": %lld, \"last\": %lld", face->track_id,
            (long long)face->first, (long long)face->last);
    if (face->boxes) {
        fputs(", \"boxes\": [", f);
        for (int64_t i = 0; i < 4 * (face->last - face->first + 1); i++)
            fprintf(f, "%s%.1f", i ? "," : "", face->boxes[i]);
        fputc(']', f);
    }
    fputc('}', f);
}

static void put_edit(FILE *f, const cb_run_edit *e)
{
    fprintf(f, "{\"id\": %lld, \"at\": \"%s\", \"actor\": ", (long long)e->id, e->at);
    cb_json_write_string(f, e->actor);
    fprintf(f, ", \"x\": %d, \"y\": %d, \"w\": %d, \"h\": %d, \"first\": %lld, \"last\": %lld, "
               "\"face\": %d, \"source\": \"%s\"}",
            e->x, e->y, e->w, e->h, (long long)e->first, (long long)e->last, e->face,
            cb_edit_source_name(e->source));
}

static void put_file(cb_review_ctx *ctx, FILE *f, const cb_review_file *file,
                     const cb_review_record *r)
{
    fputs("{\"name\": ", f);
    cb_json_write_string(f, file->name);
    fprintf(f, ", \"kind\": \"%s\", \"sha256\": \"%s\", \"state\": \"%s\", \"run\": %lld, "
               "\"purpose\": ", file->video ? "video" : "photo", file->sha256, state_of(r),
            (long long)(r->found ? r->run.id : 0));
    cb_json_write_string(f, r->found ? r->run.purpose : "");
    fprintf(f, ", \"width\": %d, \"height\": %d, \"frames\": %lld, \"faces\": [",
            r->media.width, r->media.height, (long long)r->media.frames);
    for (int i = 0; i < r->n_faces; i++) {
        fputs(i ? ", " : "", f);
        put_face(ctx, f, &r->faces[i]);
    }
    fputs("], \"edits\": [", f);
    for (int i = 0; i < r->n_edits; i++) {
        fputs(i ? ", " : "", f);
        put_edit(f, &r->edits[i]);
    }
    fputs("]}", f);
}

static int get_files(cb_review_ctx *ctx, struct MHD_Connection *c, const cb_review_form *form)
{
    (void)form;
    cb_error err = {0};
    answer a;
    int rc = cb_review_files_scan(&ctx->files, &err);
    FILE *f = rc == 0 ? answer_open(&a) : NULL;
    if (!f)
        return respond_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, err.msg);
    fputs("{\"files\": [", f);
    for (int i = 0; rc == 0 && i < ctx->files.n; i++) {
        cb_review_record r;
        rc = cb_review_record_read(ctx->reg, &ctx->files.v[i], &r, &err);
        if (rc == 0) {
            fputs(i ? ",\n" : "\n", f);
            put_file(ctx, f, &ctx->files.v[i], &r);
        }
        cb_review_record_free(&r);
    }
    fputs("\n]}\n", f);
    if (rc < 0) {
        fclose(f);
        free(a.buf);
        return respond_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, err.msg);
    }
    return answer_send(c, MHD_HTTP_OK, &a, "application/json");
}

/* ---- GET /file, /frame ---------------------------------------------------------------- */

static const char *media_type(const char *name)
{
    static const char *const types[][2] = {{"jpg", "image/jpeg"}, {"jpeg", "image/jpeg"},
                                           {"png", "image/png"},   {"webp", "image/webp"},
                                           {"mp4", "video/mp4"}};
    const char *dot = strrchr(name, '.');
    for (size_t i = 0; dot && i < sizeof types / sizeof *types; i++)
        if (!strcasecmp(dot + 1, types[i][0]))
            return types[i][1];
    return "application/octet-stream";
}

static int get_file(cb_review_ctx *ctx, struct MHD_Connection *c, const cb_review_form *form)
{
    (void)form;
    const char *name = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "name");
    cb_error err = {0};
    int fd = -1;
    if (!name || cb_review_files_open_file(&ctx->files, name, &fd, &err) < 0)
        return cb_review_respond_text(c, MHD_HTTP_NOT_FOUND, "404 not found\n");
    const off_t size = lseek(fd, 0, SEEK_END);
    struct MHD_Response *r = size < 0 ? NULL : MHD_create_response_from_fd((uint64_t)size, fd);
    if (!r) {
        close(fd);
        return MHD_NO;
    }
    return cb_review_respond(c, MHD_HTTP_OK, r, media_type(name)); /* r owns fd now */
}

static int get_frame(cb_review_ctx *ctx, struct MHD_Connection *c, const cb_review_form *form)
{
    (void)form;
    const char *name = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "name");
    const char *n = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "n");
    const cb_review_file *file = cb_review_files_find(&ctx->files, name);
    char path[4200], *end = NULL;
    const long long index = n ? strtoll(n, &end, 10) : -1;
    cb_error err = {0};
    if (!file || !file->video || !end || *end || index < 0 ||
        cb_review_files_path(&ctx->files, name, path, sizeof path, &err) < 0)
        return cb_review_respond_text(c, MHD_HTTP_NOT_FOUND, "404 not found\n");
    uint8_t *jpeg = NULL;
    size_t size = 0;
    if (cb_review_frame_jpeg(path, index, &jpeg, &size, &err) < 0)
        return respond_error(c, MHD_HTTP_NOT_FOUND, err.msg);
    struct MHD_Response *r = MHD_create_response_from_buffer(size, jpeg, MHD_RESPMEM_MUST_FREE);
    if (!r)
        free(jpeg);
    return cb_review_respond(c, MHD_HTTP_OK, r, "image/jpeg");
}

/* ---- POST /api/redact ------------------------------------------------------------------ */

/* The region of a new edit from the form's numbers v (x, y, w, h, face, first, last):
 * a kept face's own box (a whole track for a video), or the drawn rectangle cut to the
 * picture. 0, or -1 with why. */
static int edit_region(const cb_review_record *r, const long long v[7], cb_run_edit *e,
                       const char **why)
{
    const int video = r->media.frames > 0;
    long long box[4] = {v[0], v[1], v[2], v[3]};
    e->face = (int)v[4];
    e->first = video ? v[5] : -1;
    e->last = video ? v[6] : -1;
    if (e->face >= 0) {
        if (e->face >= r->n_faces || !r->faces[e->face].keep)
            return *why = "not a kept face", -1;
        const cb_run_face *f = &r->faces[e->face];
        box[0] = (long long)floorf(f->x), box[1] = (long long)floorf(f->y);
        box[2] = (long long)ceilf(f->x + f->w) - box[0];
        box[3] = (long long)ceilf(f->y + f->h) - box[1];
        if (video)
            e->first = f->first, e->last = f->last;
    }
    const long long x0 = box[0] < 0 ? 0 : box[0], y0 = box[1] < 0 ? 0 : box[1];
    const long long x1 = box[0] + box[2] > r->media.width ? r->media.width : box[0] + box[2];
    const long long y1 = box[1] + box[3] > r->media.height ? r->media.height : box[1] + box[3];
    if (x1 - x0 < 2 || y1 - y0 < 2)
        return *why = "the region is empty or outside the picture", -1;
    e->x = (int)x0, e->y = (int)y0, e->w = (int)(x1 - x0), e->h = (int)(y1 - y0);
    if (video && (e->first < 0 || e->last < e->first || e->last >= r->media.frames))
        return *why = "frames outside the clip", -1;
    return 0;
}

typedef struct record_ctx {
    cb_review_ctx *ctx;
    cb_run_edit *edit;
} record_ctx;

static int record_edit(void *user, cb_edit_source source, const char after[65], cb_error *err)
{
    record_ctx *rc = user;
    rc->edit->source = source;
    memcpy(rc->edit->after_sha256, after, 65);
    return cb_registry_run_edit_record(rc->ctx->reg, rc->edit, err);
}

/* Redact the new edit (appended to r's edits) in the file and record it. */
static int apply_edit(cb_review_ctx *ctx, const cb_review_file *file, cb_review_record *r,
                      const cb_run_edit *e, cb_run_edit *done, cb_error *err)
{
    char path[4200];
    cb_run_edit *all = realloc(r->edits, (size_t)(r->n_edits + 1) * sizeof *all);
    if (!all)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    r->edits = all;
    all[r->n_edits++] = *e;
    int rc = cb_review_files_path(&ctx->files, file->name, path, sizeof path, err);
    const cb_review_target t = {path, &r->run, &r->media, r->faces, r->n_faces, all, r->n_edits};
    record_ctx rec = {ctx, &all[r->n_edits - 1]};
    if (rc == 0)
        rc = cb_review_redact_recorded(&t, record_edit, &rec, err);
    if (rc == 0)
        *done = all[r->n_edits - 1];
    return rc;
}

static int respond_edit(struct MHD_Connection *c, const cb_run_edit *e)
{
    answer a;
    if (!answer_open(&a))
        return MHD_NO;
    fputs("{\"edit\": ", a.f);
    put_edit(a.f, e);
    fprintf(a.f, ", \"sha256\": \"%s\"}\n", e->after_sha256);
    return answer_send(c, MHD_HTTP_OK, &a, "application/json");
}

/* Check the request against the file as it is now; 0, or an HTTP status with why. */
static unsigned check_request(cb_review_ctx *ctx, const cb_review_form *form,
                              const cb_review_file **file, cb_review_record *r, cb_error *err)
{
    *file = cb_review_files_find(&ctx->files, form->name);
    if (!*file)
        return cb_error_set(err, CB_ENOTFOUND, "not an output in the folder"), MHD_HTTP_NOT_FOUND;
    if (cb_review_files_rehash(&ctx->files, form->name, err) < 0)
        return MHD_HTTP_NOT_FOUND; /* it cannot be opened without leaving the folder */
    if (cb_review_record_read(ctx->reg, *file, r, err) < 0)
        return MHD_HTTP_INTERNAL_SERVER_ERROR;
    if (strcasecmp((*file)->sha256, form->sha256) != 0)
        return cb_error_set(err, CB_EINVAL, "the file changed since the page showed it; "
                                            "reload"), MHD_HTTP_CONFLICT;
    if (!r->found || !r->has_media)
        return cb_error_set(err, CB_EINVAL, "not on record as a run's output"),
               MHD_HTTP_CONFLICT;
    return 0;
}

static int post_redact(cb_review_ctx *ctx, struct MHD_Connection *c, const cb_review_form *form)
{
    long long v[7];
    const char *why = NULL;
    const cb_review_file *file = NULL;
    cb_review_record r = {0};
    cb_error err = {0};
    cb_run_edit e = {0}, done;
    if (form_numbers(form, v) < 0)
        return respond_error(c, MHD_HTTP_BAD_REQUEST, "x, y, w, h, face, first, last: numbers");
    unsigned status = check_request(ctx, form, &file, &r, &err);
    if (status == 0) {
        e.run_id = r.run.id;
        snprintf(e.actor, sizeof e.actor, "%s", ctx->actor);
        memcpy(e.before_sha256, file->sha256, 65);
        if (edit_region(&r, v, &e, &why) < 0)
            status = MHD_HTTP_BAD_REQUEST, snprintf(err.msg, sizeof err.msg, "%s", why);
    }
    if (status == 0 && apply_edit(ctx, file, &r, &e, &done, &err) < 0)
        status = MHD_HTTP_INTERNAL_SERVER_ERROR;
    cb_review_record_free(&r);
    cb_error ignored = {0};
    if (file)
        cb_review_files_rehash(&ctx->files, file->name, &ignored);
    if (status != 0) {
        cb_log(ctx->log, CB_LOG_ERROR, "review: %s: %s", form->name, err.msg);
        return respond_error(c, status, err.msg);
    }
    cb_log(ctx->log, CB_LOG_INFO, "review: %s: region %d,%d %dx%d redacted (%s)", file->name,
           done.x, done.y, done.w, done.h, cb_edit_source_name(done.source));
    return respond_edit(c, &done);
}

/* ---- routes ---------------------------------------------------------------------------- */

typedef int (*route_fn)(cb_review_ctx *ctx, struct MHD_Connection *c,
                        const cb_review_form *form);

static const struct {
    const char *method, *path;
    route_fn fn;
} routes[] = {
    {MHD_HTTP_METHOD_GET, "/", get_page},
    {MHD_HTTP_METHOD_GET, "/api/files", get_files},
    {MHD_HTTP_METHOD_GET, "/file", get_file},
    {MHD_HTTP_METHOD_GET, "/frame", get_frame},
    {MHD_HTTP_METHOD_POST, "/api/redact", post_redact},
};

int cb_review_route(cb_review_ctx *ctx, struct MHD_Connection *c, const char *method,
                    const char *url, const cb_review_form *form)
{
    int path_known = 0;
    for (size_t i = 0; i < sizeof routes / sizeof *routes; i++) {
        if (strcmp(url, routes[i].path) != 0)
            continue;
        if (!strcmp(method, routes[i].method))
            return routes[i].fn(ctx, c, form);
        path_known = 1;
    }
    if (path_known)
        return cb_review_respond_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "405 method not allowed\n");
    return cb_review_respond_text(c, MHD_HTTP_NOT_FOUND, "404 not found\n");
}

/*
 * templates.c - face templates: embeddings stored as little-endian float32
 * BLOBs, loaded for matching, erased so that the bytes are gone from the
 * database file and its WAL.
 */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../common/cb_date.h"
#include "registry_internal.h"
#include "text.h"

#define CB_TEMPLATE_MAX_DIM 4096

static void floats_to_le(const float *in, int dim, unsigned char *out)
{
    for (int i = 0; i < dim; i++) {
        uint32_t u;
        memcpy(&u, &in[i], 4);
        out[4 * i] = (unsigned char)(u & 0xff);
        out[4 * i + 1] = (unsigned char)((u >> 8) & 0xff);
        out[4 * i + 2] = (unsigned char)((u >> 16) & 0xff);
        out[4 * i + 3] = (unsigned char)(u >> 24);
    }
}

static void le_to_floats(const unsigned char *in, int dim, float *out)
{
    for (int i = 0; i < dim; i++) {
        uint32_t u = (uint32_t)in[4 * i] | (uint32_t)in[4 * i + 1] << 8 |
                     (uint32_t)in[4 * i + 2] << 16 | (uint32_t)in[4 * i + 3] << 24;
        memcpy(&out[i], &u, 4);
    }
}

static int hash_ok(const char *h)
{
    size_t n = strnlen(h, 65);
    if (n == 0)
        return 1;
    if (n != 64)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isxdigit((unsigned char)h[i]))
            return 0;
    return 1;
}

/* The arguments of cb_registry_template_add, the source hash into hash
 * (lower case; "" when none). */
static int check_template(const char *model_id, const float *embedding, int dim, float quality,
                          const char *source_sha256, char hash[65], cb_error *err)
{
    if (!model_id || !model_id[0] || !cb_text_field_ok(model_id, 64))
        return cb_error_set(err, CB_EINVAL, "template: bad model id");
    if (!embedding || dim < 1 || dim > CB_TEMPLATE_MAX_DIM)
        return cb_error_set(err, CB_EINVAL, "template: dimension %d outside 1-%d", dim,
                            CB_TEMPLATE_MAX_DIM);
    for (int i = 0; i < dim; i++)
        if (!isfinite(embedding[i]))
            return cb_error_set(err, CB_EINVAL, "template: value %d is not a finite number", i);
    if (!(quality >= 0.0f && quality <= 1.0f))
        return cb_error_set(err, CB_EINVAL, "template: quality outside 0..1");
    hash[0] = '\0';
    if (source_sha256) {
        if (!hash_ok(source_sha256))
            return cb_error_set(err, CB_EINVAL, "template: source hash must be 64 hex digits");
        for (int i = 0; source_sha256[i]; i++)
            hash[i] = (char)tolower((unsigned char)source_sha256[i]);
        hash[strlen(source_sha256)] = '\0';
    }
    return 0;
}

/* Insert the template of p and audit it, in the open transaction. */
static int insert_template(cb_registry *r, const cb_person *p, const char *model_id,
                           const float *embedding, int dim, float quality, const char *hash,
                           const char *who, int64_t *id, cb_error *err)
{
    char now[21], details[256];
    sqlite3_stmt *st = NULL;
    unsigned char *blob = malloc((size_t)dim * 4);
    if (!blob)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    floats_to_le(embedding, dim, blob);
    cb_date_timestamp_now(now);
    int rc = cb_reg_prepare(r, "INSERT INTO templates(person_id, model_id, dim, embedding, "
                               "quality, source_sha256, created_at, created_by) "
                               "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                            &st, err);
    if (rc == 0) {
        sqlite3_bind_int64(st, 1, p->id);
        cb_reg_bind_text(st, 2, model_id);
        sqlite3_bind_int(st, 3, dim);
        sqlite3_bind_blob(st, 4, blob, dim * 4, SQLITE_TRANSIENT);
        sqlite3_bind_double(st, 5, quality);
        cb_reg_bind_text(st, 6, hash);
        cb_reg_bind_text(st, 7, now);
        cb_reg_bind_text(st, 8, who);
        rc = cb_reg_step_done(r, st, "storing a template", err);
    }
    sqlite3_finalize(st);
    free(blob);
    if (rc < 0)
        return rc;
    *id = sqlite3_last_insert_rowid(r->db);
    cb_json_obj o;
    cb_json_obj_begin(&o, details, sizeof details);
    cb_json_obj_int(&o, "template_id", *id);
    cb_json_obj_str(&o, "model", model_id, 63);
    cb_json_obj_int(&o, "dim", dim);
    cb_json_obj_num(&o, "quality", quality);
    cb_json_obj_end(&o);
    return cb_reg_audit_append(r, who, "template.add", p->external_id, details, err);
}

int cb_registry_template_add(cb_registry *r, int64_t person_id, const char *model_id,
                             const float *embedding, int dim, float quality,
                             const char *source_sha256, const char *actor, int64_t *id,
                             cb_error *err)
{
    char who[64], hash[65];
    cb_person p;
    int64_t new_id = 0;
    int has = 0, rc;
    if (!r)
        return cb_error_set(err, CB_EINVAL, "no registry");
    if ((rc = check_template(model_id, embedding, dim, quality, source_sha256, hash, err)) < 0 ||
        (rc = cb_reg_write_begin(r, actor, who, err)) < 0)
        return rc;
    rc = cb_registry_person_get(r, person_id, &p, err);
    if (rc == 0)
        rc = cb_reg_has_granted(r, person_id, &has, err);
    if (rc == 0 && !has)
        rc = cb_error_set(err, CB_EINVAL,
                          "%s holds no granted consent: templates are kept only for people who "
                          "consented (record consent first)",
                          p.external_id);
    if (rc == 0)
        rc = insert_template(r, &p, model_id, embedding, dim, quality, hash, who, &new_id, err);
    if (rc < 0) {
        cb_reg_tx_rollback(r);
        return rc;
    }
    rc = cb_reg_tx_commit(r, err);
    if (rc == 0 && id)
        *id = new_id;
    return rc;
}

void cb_registry_templates_free(cb_template *t, int count)
{
    if (!t)
        return;
    for (int i = 0; i < count; i++)
        free(t[i].embedding);
    free(t);
}

/* What template_row needs besides the row. */
typedef struct template_reading {
    cb_registry *r;
    int with_embeddings;
} template_reading;

/* One row of a template query (columns: id, person_id, model_id, quality,
 * source_sha256, dim, embedding, created_at) for cb_reg_collect. */
static int template_row(sqlite3_stmt *st, void *row, void *ctx, cb_error *err)
{
    const template_reading *how = ctx;
    cb_template *t = row;
    t->id = sqlite3_column_int64(st, 0);
    t->person_id = sqlite3_column_int64(st, 1);
    cb_reg_column_text(st, 2, t->model_id, sizeof t->model_id);
    t->quality = (float)sqlite3_column_double(st, 3);
    cb_reg_column_text(st, 4, t->source_sha256, sizeof t->source_sha256);
    t->dim = sqlite3_column_int(st, 5);
    cb_reg_column_text(st, 7, t->created_at, sizeof t->created_at);
    if (!how->with_embeddings)
        return 0;
    const unsigned char *b = sqlite3_column_blob(st, 6);
    int bytes = sqlite3_column_bytes(st, 6);
    if (t->dim < 1 || t->dim > CB_TEMPLATE_MAX_DIM || bytes != 4 * t->dim || !b)
        return cb_error_set(err, CB_EDB, "%s: template %lld is damaged", how->r->path,
                            (long long)t->id);
    t->embedding = malloc((size_t)t->dim * sizeof(float));
    if (!t->embedding)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    le_to_floats(b, t->dim, t->embedding);
    return 0;
}

static void template_release(void *row)
{
    free(((cb_template *)row)->embedding);
}

/* Run a template query into a malloc'd array; finalizes st. */
static int read_templates(cb_registry *r, sqlite3_stmt *st, int with_embeddings,
                          cb_template **out, int *count, cb_error *err)
{
    template_reading reading = {r, with_embeddings};
    const cb_reg_rows how = {.row_size = sizeof **out, .read = template_row,
                             .release = template_release, .ctx = &reading,
                             .what = "reading templates"};
    void *rows = NULL;
    int rc = cb_reg_collect(r, st, &how, &rows, count, err);
    *out = rows;
    return rc;
}

#define TEMPLATE_COLUMNS                                                                       \
    "t.id, t.person_id, t.model_id, t.quality, t.source_sha256, t.dim, t.embedding, "          \
    "t.created_at"

int cb_registry_templates_load(cb_registry *r, const char *model_id, cb_template **out,
                               int *count, cb_error *err)
{
    sqlite3_stmt *st = NULL;
    *out = NULL;
    *count = 0;
    if (!model_id)
        return cb_error_set(err, CB_EINVAL, "templates: no model id");
    int rc = cb_reg_prepare(
        r,
        "SELECT " TEMPLATE_COLUMNS " FROM templates t WHERE t.model_id = ?1 AND EXISTS ("
        "SELECT 1 FROM consents c WHERE c.person_id = t.person_id AND c.status = 'granted' "
        "AND c.id = (SELECT max(id) FROM consents WHERE person_id = c.person_id "
        "AND purpose = c.purpose)) ORDER BY t.person_id, t.id",
        &st, err);
    if (rc < 0)
        return rc;
    cb_reg_bind_text(st, 1, model_id);
    return read_templates(r, st, 1, out, count, err);
}

int cb_registry_template_list(cb_registry *r, int64_t person_id, int with_embeddings,
                              cb_template **out, int *count, cb_error *err)
{
    sqlite3_stmt *st = NULL;
    *out = NULL;
    *count = 0;
    int rc = cb_reg_prepare(r, "SELECT " TEMPLATE_COLUMNS " FROM templates t "
                               "WHERE t.person_id = ?1 ORDER BY t.id",
                            &st, err);
    if (rc < 0)
        return rc;
    sqlite3_bind_int64(st, 1, person_id);
    return read_templates(r, st, with_embeddings, out, count, err);
}

int cb_registry_template_count(cb_registry *r, int64_t person_id, int *count, cb_error *err)
{
    sqlite3_stmt *st = NULL;
    int rc = cb_reg_prepare(r, "SELECT count(*) FROM templates WHERE person_id = ?1", &st, err);
    if (rc < 0)
        return rc;
    sqlite3_bind_int64(st, 1, person_id);
    int s = sqlite3_step(st);
    if (s == SQLITE_ROW)
        *count = sqlite3_column_int(st, 0);
    else
        rc = cb_reg_db_error(r, s, "counting templates", err);
    sqlite3_finalize(st);
    return rc;
}

int cb_reg_templates_erase_tx(cb_registry *r, const cb_person *p, const char *reason,
                              const char *actor, int audit_empty, int *n, cb_error *err)
{
    char details[256];
    sqlite3_stmt *st = NULL;
    int rc = cb_reg_prepare(r, "DELETE FROM templates WHERE person_id = ?1", &st, err);
    if (rc < 0)
        return rc;
    sqlite3_bind_int64(st, 1, p->id);
    rc = cb_reg_step_done(r, st, "erasing templates", err);
    sqlite3_finalize(st);
    if (rc < 0)
        return rc;
    int deleted = sqlite3_changes(r->db);
    if (n)
        *n = deleted;
    if (deleted == 0 && !audit_empty)
        return 0;
    if (deleted > 0)
        r->checkpoint_pending = 1;
    cb_json_obj o;
    cb_json_obj_begin(&o, details, sizeof details);
    cb_json_obj_int(&o, "templates", deleted);
    cb_json_obj_str(&o, "reason", reason ? reason : "", 160);
    cb_json_obj_end(&o);
    return cb_reg_audit_append(r, actor, "template.erase", p->external_id, details, err);
}

int cb_registry_templates_erase(cb_registry *r, int64_t person_id, const char *reason,
                                const char *actor, cb_error *err)
{
    char who[64];
    cb_person p;
    int rc;
    if (!r)
        return cb_error_set(err, CB_EINVAL, "no registry");
    if (reason && !cb_text_field_ok(reason, 256))
        return cb_error_set(err, CB_EINVAL, "bad reason text");
    if ((rc = cb_reg_write_begin(r, actor, who, err)) < 0)
        return rc;
    if ((rc = cb_registry_person_get(r, person_id, &p, err)) < 0 ||
        (rc = cb_reg_templates_erase_tx(r, &p, reason, who, 1, NULL, err)) < 0) {
        cb_reg_tx_rollback(r);
        return rc;
    }
    r->checkpoint_pending = 1; /* also finishes an earlier erase whose checkpoint failed */
    return cb_reg_tx_commit(r, err);
}

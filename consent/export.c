/* export.c - see export.h. */
#include "export.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/cb_date.h"
#include "../common/json.h"
#include "registry_internal.h"
#include "text.h"

/* A number as printf's %.*g writes it: a valid JSON number when finite. */
static void kv_number(cb_json *j, const char *key, double v, int digits)
{
    char text[40];
    cb_json_key(j, key);
    if (!isfinite(v)) {
        cb_json_null(j);
        return;
    }
    snprintf(text, sizeof text, "%.*g", digits, v);
    cb_json_raw(j, text);
}

void cb_registry_json_person(cb_json *j, const cb_person *p, cb_json_layout layout)
{
    cb_json_object(j, layout);
    cb_json_kv_int(j, "id", p->id);
    cb_json_kv_string(j, "external_id", p->external_id);
    cb_json_kv_string(j, "name", p->name);
    cb_json_kv_string(j, "role", cb_role_name(p->role));
    cb_json_kv_string(j, "birth_date", p->birth_date);
    cb_json_kv_string(j, "group", p->group_name);
    cb_json_kv_string(j, "created_at", p->created_at);
    cb_json_end(j);
}

static void write_consents(cb_json *j, const cb_consent *c, int n)
{
    cb_json_key(j, "consents");
    cb_json_array(j, CB_JSON_LINES);
    for (int i = 0; i < n; i++) {
        cb_json_object(j, CB_JSON_LINES);
        cb_json_kv_int(j, "id", c[i].id);
        cb_json_kv_string(j, "purpose", c[i].purpose);
        cb_json_kv_string(j, "status", cb_consent_status_name(c[i].status));
        cb_json_kv_string(j, "given_by", cb_given_by_name(c[i].given_by));
        cb_json_kv_string(j, "given_by_name", c[i].given_by_name);
        cb_json_kv_string(j, "evidence_ref", c[i].evidence_ref);
        cb_json_kv_string(j, "evidence_sha256", c[i].evidence_sha256);
        cb_json_kv_string(j, "valid_from", c[i].valid_from);
        cb_json_kv_string(j, "valid_until", c[i].valid_until);
        cb_json_kv_string(j, "recorded_by", c[i].recorded_by);
        cb_json_kv_string(j, "recorded_at", c[i].recorded_at);
        cb_json_kv_string(j, "withdrawn_at", c[i].withdrawn_at);
        cb_json_kv_string(j, "withdrawn_by", c[i].withdrawn_by);
        cb_json_end(j);
    }
    cb_json_end(j);
}

static void write_templates(cb_json *j, const cb_template *t, int n)
{
    cb_json_key(j, "templates");
    cb_json_array(j, CB_JSON_LINES);
    for (int i = 0; i < n; i++) {
        cb_json_object(j, CB_JSON_LINES);
        cb_json_kv_int(j, "id", t[i].id);
        cb_json_kv_string(j, "model_id", t[i].model_id);
        kv_number(j, "quality", t[i].quality, 6);
        cb_json_kv_int(j, "dim", t[i].dim);
        cb_json_kv_string(j, "created_at", t[i].created_at);
        cb_json_kv_string(j, "source_sha256", t[i].source_sha256);
        if (t[i].embedding) {
            cb_json_key(j, "embedding");
            cb_json_array(j, CB_JSON_INLINE);
            for (int k = 0; k < t[i].dim; k++) {
                char v[40];
                snprintf(v, sizeof v, "%.9g", (double)t[i].embedding[k]);
                if (isfinite(t[i].embedding[k]))
                    cb_json_raw(j, v);
                else
                    cb_json_null(j);
            }
            cb_json_end(j);
        }
        cb_json_end(j);
    }
    cb_json_end(j);
}

/* Audit rows about the person. */
static int write_audit(cb_registry *r, cb_json *j, const char *subject, cb_error *err)
{
    static const char *const keys[] = {"at", "actor", "action", "details", "hash"};
    sqlite3_stmt *st = NULL;
    int s;
    int rc = cb_reg_prepare(r, "SELECT id, at, actor, action, details, hash FROM audit "
                               "WHERE subject = ?1 ORDER BY id",
                            &st, err);
    if (rc < 0)
        return rc;
    cb_reg_bind_text(st, 1, subject);
    cb_json_key(j, "audit");
    cb_json_array(j, CB_JSON_LINES);
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        char text[600];
        cb_json_object(j, CB_JSON_LINES);
        cb_json_kv_int(j, "id", sqlite3_column_int64(st, 0));
        for (int k = 0; k < 5; k++) {
            cb_reg_column_text(st, 1 + k, text, sizeof text);
            cb_json_kv_string(j, keys[k], text);
        }
        cb_json_end(j);
    }
    if (s != SQLITE_DONE)
        rc = cb_reg_db_error(r, s, "reading the audit log", err);
    sqlite3_finalize(st);
    cb_json_end(j);
    return rc;
}

/* The whole document into j; the registry's error or 0 (j's own error is
 * looked at when it is written). */
static int write_export(cb_registry *r, cb_json *j, const cb_person *p,
                        const cb_consent *consents, int n_consents,
                        const cb_template *templates, int n_templates, cb_error *err)
{
    char now[21];
    cb_date_timestamp_now(now);
    cb_json_object(j, CB_JSON_LINES);
    cb_json_kv_string(j, "format", "consentblur-person-export/1");
    cb_json_kv_string(j, "exported_at", now);
    cb_json_key(j, "person");
    cb_registry_json_person(j, p, CB_JSON_LINES);
    write_consents(j, consents, n_consents);
    write_templates(j, templates, n_templates);
    int rc = write_audit(r, j, p->external_id, err);
    cb_json_end(j);
    return rc;
}

int cb_registry_export_person(cb_registry *r, int64_t person_id, int flags, FILE *out,
                              cb_error *err)
{
    cb_person p;
    cb_consent *consents = NULL;
    cb_template *templates = NULL;
    cb_json *j = NULL;
    int n_consents = 0, n_templates = 0, rc, began = 0;
    if (!r || !out)
        return cb_error_set(err, CB_EINVAL, "export: no registry or output");
    /* One read snapshot (outside any open group of ours). */
    if (r->depth == 0) {
        if ((rc = cb_reg_exec(r, "BEGIN", err)) < 0)
            return rc;
        began = 1;
    }
    if ((rc = cb_registry_person_get(r, person_id, &p, err)) < 0 ||
        (rc = cb_registry_consent_list(r, person_id, &consents, &n_consents, err)) < 0 ||
        (rc = cb_registry_template_list(r, person_id, flags & CB_EXPORT_EMBEDDINGS, &templates,
                                        &n_templates, err)) < 0)
        goto done;
    j = cb_json_new(0);
    rc = write_export(r, j, &p, consents, n_consents, templates, n_templates, err);
    if (rc == 0 && cb_json_finish(j, out) != 0)
        rc = cb_error_set(err, cb_json_error(j), "export: %s", cb_json_error_text(j));
    if (rc == 0 && (fflush(out) != 0 || ferror(out)))
        rc = cb_error_set(err, CB_EIO, "export: write failed");
done:
    cb_json_free(j);
    if (began)
        sqlite3_exec(r->db, "COMMIT", NULL, NULL, NULL);
    free(consents);
    cb_registry_templates_free(templates, n_templates);
    return rc;
}

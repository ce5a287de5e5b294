/* export.c - see export.h. */
#include "export.h"

#include <stdlib.h>
#include <string.h>

#include "../common/cb_date.h"
#include "../common/json.h"
#include "registry_internal.h"
#include "text.h"

static void kv(FILE *f, const char *indent, const char *key, const char *value, int comma)
{
    fprintf(f, "%s\"%s\": ", indent, key);
    cb_json_write_string(f, value);
    fputs(comma ? ",\n" : "\n", f);
}

static void write_person(FILE *f, const cb_person *p)
{
    fprintf(f, "  \"person\": {\n    \"id\": %lld,\n", (long long)p->id);
    kv(f, "    ", "external_id", p->external_id, 1);
    kv(f, "    ", "name", p->name, 1);
    kv(f, "    ", "role", cb_role_name(p->role), 1);
    kv(f, "    ", "birth_date", p->birth_date, 1);
    kv(f, "    ", "group", p->group_name, 1);
    kv(f, "    ", "created_at", p->created_at, 0);
    fputs("  },\n", f);
}

static void write_consents(FILE *f, const cb_consent *c, int n)
{
    fputs("  \"consents\": [", f);
    for (int i = 0; i < n; i++) {
        fprintf(f, "%s\n    {\n      \"id\": %lld,\n", i ? "," : "", (long long)c[i].id);
        kv(f, "      ", "purpose", c[i].purpose, 1);
        kv(f, "      ", "status", cb_consent_status_name(c[i].status), 1);
        kv(f, "      ", "given_by", cb_given_by_name(c[i].given_by), 1);
        kv(f, "      ", "given_by_name", c[i].given_by_name, 1);
        kv(f, "      ", "evidence_ref", c[i].evidence_ref, 1);
        kv(f, "      ", "evidence_sha256", c[i].evidence_sha256, 1);
        kv(f, "      ", "valid_from", c[i].valid_from, 1);
        kv(f, "      ", "valid_until", c[i].valid_until, 1);
        kv(f, "      ", "recorded_by", c[i].recorded_by, 1);
        kv(f, "      ", "recorded_at", c[i].recorded_at, 1);
        kv(f, "      ", "withdrawn_at", c[i].withdrawn_at, 1);
        kv(f, "      ", "withdrawn_by", c[i].withdrawn_by, 0);
        fputs("    }", f);
    }
    fputs(n ? "\n  ],\n" : "],\n", f);
}

static void write_templates(FILE *f, const cb_template *t, int n)
{
    fputs("  \"templates\": [", f);
    for (int i = 0; i < n; i++) {
        fprintf(f, "%s\n    {\n      \"id\": %lld,\n", i ? "," : "", (long long)t[i].id);
        kv(f, "      ", "model_id", t[i].model_id, 1);
        fprintf(f, "      \"quality\": %.6g,\n      \"dim\": %d,\n", (double)t[i].quality,
                t[i].dim);
        kv(f, "      ", "created_at", t[i].created_at, 1);
        kv(f, "      ", "source_sha256", t[i].source_sha256, t[i].embedding != NULL);
        if (t[i].embedding) {
            fputs("      \"embedding\": [", f);
            for (int k = 0; k < t[i].dim; k++)
                fprintf(f, "%s%.9g", k ? ", " : "", (double)t[i].embedding[k]);
            fputs("]\n", f);
        }
        fputs("    }", f);
    }
    fputs(n ? "\n  ],\n" : "],\n", f);
}

/* Audit rows about the person, streamed. */
static int write_audit(cb_registry *r, FILE *f, const char *subject, cb_error *err)
{
    sqlite3_stmt *st = NULL;
    int n = 0, s;
    int rc = cb_reg_prepare(r, "SELECT id, at, actor, action, details, hash FROM audit "
                               "WHERE subject = ?1 ORDER BY id",
                            &st, err);
    if (rc < 0)
        return rc;
    cb_reg_bind_text(st, 1, subject);
    fputs("  \"audit\": [", f);
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        char text[600];
        fprintf(f, "%s\n    {\n      \"id\": %lld,\n", n++ ? "," : "",
                (long long)sqlite3_column_int64(st, 0));
        static const char *const keys[] = {"at", "actor", "action", "details", "hash"};
        for (int k = 0; k < 5; k++) {
            cb_reg_column_text(st, 1 + k, text, sizeof text);
            kv(f, "      ", keys[k], text, k < 4);
        }
        fputs("    }", f);
    }
    if (s != SQLITE_DONE)
        rc = cb_reg_db_error(r, s, "reading the audit log", err);
    sqlite3_finalize(st);
    fputs(n ? "\n  ]\n" : "]\n", f);
    return rc;
}

int cb_registry_export_person(cb_registry *r, int64_t person_id, int flags, FILE *out,
                              cb_error *err)
{
    cb_person p;
    cb_consent *consents = NULL;
    cb_template *templates = NULL;
    int n_consents = 0, n_templates = 0, rc, began = 0;
    char now[21];
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
    cb_date_timestamp_now(now);
    fputs("{\n", out);
    kv(out, "  ", "format", "consentblur-person-export/1", 1);
    kv(out, "  ", "exported_at", now, 1);
    write_person(out, &p);
    write_consents(out, consents, n_consents);
    write_templates(out, templates, n_templates);
    if ((rc = write_audit(r, out, p.external_id, err)) < 0)
        goto done;
    fputs("}\n", out);
    if (fflush(out) != 0 || ferror(out))
        rc = cb_error_set(err, CB_EIO, "export: write failed");
done:
    if (began)
        sqlite3_exec(r->db, "COMMIT", NULL, NULL, NULL);
    free(consents);
    cb_registry_templates_free(templates, n_templates);
    return rc;
}

/* settings.c - registry settings (policy knobs) and the list of purposes. */
#include <stdlib.h>
#include <string.h>

#include "../common/cb_date.h"
#include "registry_internal.h"
#include "text.h"

typedef struct setting_def {
    const char *key;
    int default_value;
    int min, max;
    const char *description;
} setting_def;

static const setting_def settings[] = {
    {"guardian_consent_until_age", 16, 0, 30,
     "a guardian's consent stops counting on the pupil's birthday at this age (0: never)"},
    {"self_consent_from_age", 16, 0, 30, "a pupil's own consent counts from this age"},
};
enum { N_SETTINGS = sizeof settings / sizeof settings[0] };

static const setting_def *find_setting(const char *key)
{
    for (int i = 0; key && i < N_SETTINGS; i++)
        if (!strcmp(settings[i].key, key))
            return &settings[i];
    return NULL;
}

static int unknown_setting(const char *key, cb_error *err)
{
    return cb_error_set(err, CB_EINVAL, "unknown setting '%.60s' (known: %s, %s)",
                        key ? key : "", settings[0].key, settings[1].key);
}

/* *is_set = 0 and *value = default when the key was never set. */
static int read_setting(cb_registry *r, const setting_def *d, int *value, int *is_set,
                        cb_error *err)
{
    sqlite3_stmt *st = NULL;
    *value = d->default_value;
    *is_set = 0;
    int rc = cb_reg_prepare(r, "SELECT value FROM settings WHERE key = ?1", &st, err);
    if (rc < 0)
        return rc;
    cb_reg_bind_text(st, 1, d->key);
    int s = sqlite3_step(st);
    if (s == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(st, 0);
        char *end;
        long v = t ? strtol(t, &end, 10) : 0;
        if (!t || !*t || *end || v < d->min || v > d->max)
            rc = cb_error_set(err, CB_EDB, "%s: setting %s holds a bad value", r->path, d->key);
        else {
            *value = (int)v;
            *is_set = 1;
        }
    } else if (s != SQLITE_DONE) {
        rc = cb_reg_db_error(r, s, "reading a setting", err);
    }
    sqlite3_finalize(st);
    return rc;
}

int cb_registry_setting_get_int(cb_registry *r, const char *key, int *value, cb_error *err)
{
    int is_set;
    const setting_def *d = find_setting(key);
    if (!d)
        return unknown_setting(key, err);
    return read_setting(r, d, value, &is_set, err);
}

int cb_registry_setting_set_int(cb_registry *r, const char *key, int value, const char *actor,
                                cb_error *err)
{
    char who[64], now[21], text[16], details[160];
    sqlite3_stmt *st = NULL;
    int old = 0, was_set = 0, rc;
    const setting_def *d = find_setting(key);
    if (!d)
        return unknown_setting(key, err);
    if (value < d->min || value > d->max)
        return cb_error_set(err, CB_EINVAL, "%s takes %d to %d", d->key, d->min, d->max);
    if ((rc = cb_reg_write_begin(r, actor, who, err)) < 0)
        return rc;
    if ((rc = read_setting(r, d, &old, &was_set, err)) < 0)
        goto fail;
    cb_date_timestamp_now(now);
    snprintf(text, sizeof text, "%d", value);
    rc = cb_reg_prepare(r, "INSERT INTO settings(key, value, updated_at, updated_by) "
                           "VALUES (?1, ?2, ?3, ?4) ON CONFLICT(key) DO UPDATE SET "
                           "value = excluded.value, updated_at = excluded.updated_at, "
                           "updated_by = excluded.updated_by",
                        &st, err);
    if (rc < 0)
        goto fail;
    cb_reg_bind_text(st, 1, d->key);
    cb_reg_bind_text(st, 2, text);
    cb_reg_bind_text(st, 3, now);
    cb_reg_bind_text(st, 4, who);
    if ((rc = cb_reg_step_done(r, st, "saving a setting", err)) < 0)
        goto fail;
    cb_json_obj o;
    cb_json_obj_begin(&o, details, sizeof details);
    cb_json_obj_str(&o, "key", d->key, 47);
    cb_json_obj_int(&o, "old", old);
    cb_json_obj_int(&o, "new", value);
    cb_json_obj_end(&o);
    if ((rc = cb_reg_audit_append(r, who, "setting.set", "", details, err)) < 0)
        goto fail;
    sqlite3_finalize(st);
    return cb_reg_tx_commit(r, err);
fail:
    sqlite3_finalize(st);
    cb_reg_tx_rollback(r);
    return rc;
}

int cb_registry_setting_list(cb_registry *r, cb_setting **out, int *count, cb_error *err)
{
    *out = NULL;
    *count = 0;
    cb_setting *list = calloc(N_SETTINGS, sizeof *list);
    if (!list)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    for (int i = 0; i < N_SETTINGS; i++) {
        int rc = read_setting(r, &settings[i], &list[i].value, &list[i].is_set, err);
        if (rc < 0) {
            free(list);
            return rc;
        }
        snprintf(list[i].key, sizeof list[i].key, "%s", settings[i].key);
        list[i].default_value = settings[i].default_value;
        snprintf(list[i].description, sizeof list[i].description, "%s",
                 settings[i].description);
    }
    *out = list;
    *count = N_SETTINGS;
    return 0;
}

/* ---- purposes ------------------------------------------------------------ */

static int purpose_name_ok(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n < 1 || n > 31 || name[0] < 'a' || name[0] > 'z')
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
            return 0;
    }
    return 1;
}

int cb_registry_purpose_exists(cb_registry *r, const char *name, int *known, cb_error *err)
{
    sqlite3_stmt *st = NULL;
    *known = 0;
    if (!purpose_name_ok(name))
        return 0;
    int rc = cb_reg_prepare(r, "SELECT 1 FROM purposes WHERE name = ?1", &st, err);
    if (rc < 0)
        return rc;
    cb_reg_bind_text(st, 1, name);
    int s = sqlite3_step(st);
    if (s == SQLITE_ROW)
        *known = 1;
    else if (s != SQLITE_DONE)
        rc = cb_reg_db_error(r, s, "reading purposes", err);
    sqlite3_finalize(st);
    return rc;
}

int cb_registry_purpose_add(cb_registry *r, const char *name, const char *actor, cb_error *err)
{
    char who[64], now[21], details[96];
    sqlite3_stmt *st = NULL;
    int known = 0, rc;
    if (!purpose_name_ok(name))
        return cb_error_set(err, CB_EINVAL,
                            "bad purpose name '%.40s' (1-31 of a-z, 0-9, '-', '_'; starting "
                            "with a letter)",
                            name ? name : "");
    if ((rc = cb_reg_write_begin(r, actor, who, err)) < 0)
        return rc;
    if ((rc = cb_registry_purpose_exists(r, name, &known, err)) < 0)
        goto fail;
    if (known) {
        rc = cb_error_set(err, CB_EEXIST, "purpose '%s' exists already", name);
        goto fail;
    }
    cb_date_timestamp_now(now);
    if ((rc = cb_reg_prepare(r, "INSERT INTO purposes(name, created_at) VALUES (?1, ?2)", &st,
                             err)) < 0)
        goto fail;
    cb_reg_bind_text(st, 1, name);
    cb_reg_bind_text(st, 2, now);
    if ((rc = cb_reg_step_done(r, st, "adding a purpose", err)) < 0)
        goto fail;
    cb_json_obj o;
    cb_json_obj_begin(&o, details, sizeof details);
    cb_json_obj_str(&o, "purpose", name, 31);
    cb_json_obj_end(&o);
    if ((rc = cb_reg_audit_append(r, who, "purpose.add", "", details, err)) < 0)
        goto fail;
    sqlite3_finalize(st);
    return cb_reg_tx_commit(r, err);
fail:
    sqlite3_finalize(st);
    cb_reg_tx_rollback(r);
    return rc;
}

/* One purpose name (char[32]) for cb_reg_collect. */
static void purpose_row(sqlite3_stmt *st, void *row)
{
    cb_reg_column_text(st, 0, row, 32);
}

int cb_registry_purpose_list(cb_registry *r, char (**names)[32], int *count, cb_error *err)
{
    sqlite3_stmt *st = NULL;
    void *rows = NULL;
    *names = NULL;
    *count = 0;
    int rc = cb_reg_prepare(r, "SELECT name FROM purposes ORDER BY rowid", &st, err);
    if (rc < 0)
        return rc;
    const cb_reg_rows how = {.row_size = sizeof **names, .fill = purpose_row,
                             .what = "listing purposes"};
    rc = cb_reg_collect(r, st, &how, &rows, count, err);
    *names = rows;
    return rc;
}

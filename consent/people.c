/* people.c - the people the school knows: add, update, look up, list, remove. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/cb_date.h"
#include "registry_internal.h"
#include "text.h"

static const char *const role_names[] = {"pupil", "staff", "other"};

const char *cb_role_name(cb_role role)
{
    return (unsigned)role < 3 ? role_names[role] : "?";
}

int cb_role_parse(const char *name, cb_role *out)
{
    for (int i = 0; name && i < 3; i++)
        if (!strcmp(name, role_names[i])) {
            *out = (cb_role)i;
            return 0;
        }
    return CB_EINVAL;
}

#define PERSON_COLUMNS "id, external_id, name, role, birth_date, group_name, created_at"

static void read_person(sqlite3_stmt *st, void *row)
{
    cb_person *p = row;
    char role[16];
    memset(p, 0, sizeof *p);
    p->id = sqlite3_column_int64(st, 0);
    cb_reg_column_text(st, 1, p->external_id, sizeof p->external_id);
    cb_reg_column_text(st, 2, p->name, sizeof p->name);
    cb_reg_column_text(st, 3, role, sizeof role);
    if (cb_role_parse(role, &p->role) < 0)
        p->role = CB_ROLE_OTHER;
    cb_reg_column_text(st, 4, p->birth_date, sizeof p->birth_date);
    cb_reg_column_text(st, 5, p->group_name, sizeof p->group_name);
    cb_reg_column_text(st, 6, p->created_at, sizeof p->created_at);
}

/* Checks shared by add and update. */
static int check_person(const cb_person *p, cb_error *err)
{
    if (!cb_text_field_ok(p->external_id, sizeof p->external_id) || !p->external_id[0])
        return cb_error_set(err, CB_EINVAL, "external id missing, too long (max %zu bytes) or "
                                            "not text",
                            sizeof p->external_id - 1);
    if (!cb_text_field_ok(p->name, sizeof p->name) || !p->name[0])
        return cb_error_set(err, CB_EINVAL, "%s: name missing, too long (max %zu bytes) or not "
                                            "text",
                            p->external_id, sizeof p->name - 1);
    if ((unsigned)p->role > CB_ROLE_OTHER)
        return cb_error_set(err, CB_EINVAL, "%s: bad role", p->external_id);
    if (!cb_text_field_ok(p->group_name, sizeof p->group_name))
        return cb_error_set(err, CB_EINVAL, "%s: group too long (max %zu bytes) or not text",
                            p->external_id, sizeof p->group_name - 1);
    if (!cb_text_field_ok(p->birth_date, sizeof p->birth_date))
        return cb_error_set(err, CB_EINVAL, "%s: bad birth date", p->external_id);
    if (p->birth_date[0]) {
        char today[11];
        char what[96];
        snprintf(what, sizeof what, "%s: birth date", p->external_id);
        if (cb_text_check_date(p->birth_date, what, err) < 0)
            return CB_EINVAL;
        cb_date_today(today);
        if (strcmp(p->birth_date, today) > 0)
            return cb_error_set(err, CB_EINVAL, "%s: birth date %s is in the future",
                                p->external_id, p->birth_date);
    } else if (p->role == CB_ROLE_PUPIL) {
        return cb_error_set(err, CB_EINVAL, "%s: a pupil needs a birth date (consent rules depend "
                                            "on age)",
                            p->external_id);
    }
    return 0;
}

int cb_reg_person_by_external_id(cb_registry *r, const char *external_id, cb_person *out,
                                 int *found, cb_error *err)
{
    sqlite3_stmt *st = NULL;
    *found = 0;
    int rc = cb_reg_prepare(r, "SELECT " PERSON_COLUMNS " FROM people WHERE external_id = ?1",
                            &st, err);
    if (rc < 0)
        return rc;
    cb_reg_bind_text(st, 1, external_id);
    int s = sqlite3_step(st);
    if (s == SQLITE_ROW) {
        read_person(st, out);
        *found = 1;
    } else if (s != SQLITE_DONE) {
        rc = cb_reg_db_error(r, s, "looking up a person", err);
    }
    sqlite3_finalize(st);
    return rc;
}

int cb_registry_person_get(cb_registry *r, int64_t id, cb_person *out, cb_error *err)
{
    sqlite3_stmt *st = NULL;
    int rc = cb_reg_prepare(r, "SELECT " PERSON_COLUMNS " FROM people WHERE id = ?1", &st, err);
    if (rc < 0)
        return rc;
    sqlite3_bind_int64(st, 1, id);
    int s = sqlite3_step(st);
    if (s == SQLITE_ROW)
        read_person(st, out);
    else if (s == SQLITE_DONE)
        rc = cb_error_set(err, CB_ENOTFOUND, "no person with registry id %lld", (long long)id);
    else
        rc = cb_reg_db_error(r, s, "looking up a person", err);
    sqlite3_finalize(st);
    return rc;
}

int cb_registry_person_find(cb_registry *r, const char *key, cb_person *out, cb_error *err)
{
    int found = 0;
    if (!key || !*key)
        return cb_error_set(err, CB_EINVAL, "no person given");
    int rc = cb_reg_person_by_external_id(r, key, out, &found, err);
    if (rc < 0 || found)
        return rc;
    char *end;
    long long id = strtoll(key, &end, 10);
    if (*end == '\0' && id > 0 && key[0] >= '0' && key[0] <= '9') {
        rc = cb_registry_person_get(r, id, out, err);
        if (rc != CB_ENOTFOUND)
            return rc;
    }
    return cb_error_set(err, CB_ENOTFOUND, "no person '%.80s' in the registry", key);
}

int cb_registry_person_list(cb_registry *r, cb_person **out, int *count, cb_error *err)
{
    sqlite3_stmt *st = NULL;
    void *rows = NULL;
    *out = NULL;
    *count = 0;
    int rc = cb_reg_prepare(r, "SELECT " PERSON_COLUMNS " FROM people ORDER BY external_id", &st,
                            err);
    if (rc < 0)
        return rc;
    const cb_reg_rows how = {.row_size = sizeof **out, .fill = read_person,
                             .what = "listing people"};
    rc = cb_reg_collect(r, st, &how, &rows, count, err);
    *out = rows;
    return rc;
}

int cb_registry_person_add(cb_registry *r, cb_person *p, const char *actor, cb_error *err)
{
    char who[64], now[21], details[320], salt[33], digest[65];
    sqlite3_stmt *st = NULL;
    int found = 0, rc;
    cb_person existing;
    if (!r || !p)
        return cb_error_set(err, CB_EINVAL, "cb_registry_person_add: no person");
    if ((rc = check_person(p, err)) < 0 || (rc = cb_reg_write_begin(r, actor, who, err)) < 0)
        return rc;
    rc = cb_reg_person_by_external_id(r, p->external_id, &existing, &found, err);
    if (rc < 0)
        goto fail;
    if (found) {
        rc = cb_error_set(err, CB_EEXIST, "a person with external id '%s' exists already",
                          p->external_id);
        goto fail;
    }
    cb_date_timestamp_now(now);
    if ((rc = cb_reg_new_salt(salt, err)) < 0)
        goto fail;
    rc = cb_reg_prepare(r, "INSERT INTO people(external_id, name, role, birth_date, group_name, "
                           "created_at, updated_at, salt) "
                           "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7)",
                        &st, err);
    if (rc < 0)
        goto fail;
    cb_reg_bind_text(st, 7, salt);
    cb_reg_bind_text(st, 1, p->external_id);
    cb_reg_bind_text(st, 2, p->name);
    cb_reg_bind_text(st, 3, cb_role_name(p->role));
    cb_reg_bind_text(st, 4, p->birth_date);
    cb_reg_bind_text(st, 5, p->group_name);
    cb_reg_bind_text(st, 6, now);
    rc = cb_reg_step_done(r, st, "adding a person", err);
    if (rc < 0)
        goto fail;
    p->id = sqlite3_last_insert_rowid(r->db);
    strcpy(p->created_at, now);
    cb_json_obj o;
    cb_json_obj_begin(&o, details, sizeof details);
    cb_json_obj_int(&o, "id", p->id);
    cb_json_obj_str(&o, "role", cb_role_name(p->role), 16);
    cb_reg_person_digest(salt, p->name, p->birth_date, p->group_name, digest);
    cb_json_obj_str(&o, "digest", digest, 64);
    cb_json_obj_str(&o, "group", p->group_name, 64);
    cb_json_obj_end(&o);
    rc = cb_reg_audit_append(r, who, "person.add", p->external_id, details, err);
    if (rc < 0)
        goto fail;
    sqlite3_finalize(st);
    return cb_reg_tx_commit(r, err);
fail:
    sqlite3_finalize(st);
    cb_reg_tx_rollback(r);
    return rc;
}

int cb_registry_person_update(cb_registry *r, const cb_person *p, const char *actor,
                              cb_error *err)
{
    char who[64], now[21], details[320], changed[128] = "[", salt[33], digest[65];
    sqlite3_stmt *st = NULL;
    cb_person old;
    int rc;
    if (!r || !p)
        return cb_error_set(err, CB_EINVAL, "cb_registry_person_update: no person");
    if ((rc = cb_reg_write_begin(r, actor, who, err)) < 0)
        return rc;
    rc = cb_registry_person_get(r, p->id, &old, err);
    if (rc < 0)
        goto fail;
    cb_person next = *p;
    strcpy(next.external_id, old.external_id);
    rc = check_person(&next, err);
    if (rc < 0)
        goto fail;
    const struct {
        const char *name;
        int differs;
    } fields[] = {{"name", strcmp(old.name, next.name) != 0},
                  {"role", old.role != next.role},
                  {"birth_date", strcmp(old.birth_date, next.birth_date) != 0},
                  {"group", strcmp(old.group_name, next.group_name) != 0}};
    int n_changed = 0;
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        if (!fields[i].differs)
            continue;
        snprintf(changed + strlen(changed), sizeof changed - strlen(changed), "%s\"%s\"",
                 n_changed ? ", " : "", fields[i].name);
        n_changed++;
    }
    if (n_changed == 0) {
        cb_reg_tx_rollback(r);
        return 0;
    }
    strcat(changed, "]");
    cb_date_timestamp_now(now);
    /* A new salt: rows from before digests get one too. */
    if ((rc = cb_reg_new_salt(salt, err)) < 0)
        goto fail;
    rc = cb_reg_prepare(r, "UPDATE people SET name = ?2, role = ?3, birth_date = ?4, "
                           "group_name = ?5, updated_at = ?6, salt = ?7 WHERE id = ?1",
                        &st, err);
    if (rc < 0)
        goto fail;
    cb_reg_bind_text(st, 7, salt);
    sqlite3_bind_int64(st, 1, p->id);
    cb_reg_bind_text(st, 2, next.name);
    cb_reg_bind_text(st, 3, cb_role_name(next.role));
    cb_reg_bind_text(st, 4, next.birth_date);
    cb_reg_bind_text(st, 5, next.group_name);
    cb_reg_bind_text(st, 6, now);
    rc = cb_reg_step_done(r, st, "updating a person", err);
    if (rc < 0)
        goto fail;
    cb_json_obj o;
    cb_json_obj_begin(&o, details, sizeof details);
    cb_json_obj_int(&o, "id", p->id);
    cb_json_obj_raw(&o, "changed", changed);
    cb_json_obj_str(&o, "role", cb_role_name(next.role), 16);
    cb_reg_person_digest(salt, next.name, next.birth_date, next.group_name, digest);
    cb_json_obj_str(&o, "digest", digest, 64);
    cb_json_obj_end(&o);
    rc = cb_reg_audit_append(r, who, "person.update", old.external_id, details, err);
    if (rc < 0)
        goto fail;
    sqlite3_finalize(st);
    return cb_reg_tx_commit(r, err);
fail:
    sqlite3_finalize(st);
    cb_reg_tx_rollback(r);
    return rc;
}

int cb_registry_person_remove(cb_registry *r, int64_t id, const char *actor, cb_error *err)
{
    char who[64], details[256];
    sqlite3_stmt *st = NULL;
    cb_person p;
    int n_consents = 0, n_templates = 0, rc;
    if (!r)
        return cb_error_set(err, CB_EINVAL, "no registry");
    if ((rc = cb_reg_write_begin(r, actor, who, err)) < 0)
        return rc;
    if ((rc = cb_registry_person_get(r, id, &p, err)) < 0 ||
        (rc = cb_reg_count(r, "SELECT count(*) FROM consents WHERE person_id = ?1", id,
                           &n_consents, err)) < 0)
        goto fail;
    /* Templates first, through the erasure path (audited, checkpointed). */
    rc = cb_reg_templates_erase_tx(r, &p, "person removed", who, 0, &n_templates, err);
    if (rc < 0)
        goto fail;
    rc = cb_reg_prepare(r, "DELETE FROM people WHERE id = ?1", &st, err);
    if (rc < 0)
        goto fail;
    sqlite3_bind_int64(st, 1, id);
    rc = cb_reg_step_done(r, st, "removing a person", err);
    if (rc < 0)
        goto fail;
    r->checkpoint_pending = 1; /* names and consent records: gone from the WAL too */
    cb_json_obj o;
    cb_json_obj_begin(&o, details, sizeof details);
    cb_json_obj_int(&o, "id", id);
    cb_json_obj_int(&o, "consent_records_deleted", n_consents);
    cb_json_obj_int(&o, "templates_erased", n_templates);
    cb_json_obj_end(&o);
    rc = cb_reg_audit_append(r, who, "person.remove", p.external_id, details, err);
    if (rc < 0)
        goto fail;
    sqlite3_finalize(st);
    return cb_reg_tx_commit(r, err);
fail:
    sqlite3_finalize(st);
    cb_reg_tx_rollback(r);
    return rc;
}

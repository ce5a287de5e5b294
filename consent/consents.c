/*
 * consents.c - consent records per person and purpose: recording a
 * decision, withdrawing, listing, and the record that counts (the newest).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "../common/cb_date.h"
#include "registry_internal.h"
#include "text.h"

static const char *const status_names[] = {"granted", "refused", "withdrawn"};
static const char *const given_by_names[] = {"self", "guardian"};

const char *cb_consent_status_name(cb_consent_status s)
{
    return (unsigned)s < 3 ? status_names[s] : "?";
}

const char *cb_given_by_name(cb_given_by g)
{
    return (unsigned)g < 2 ? given_by_names[g] : "?";
}

int cb_given_by_parse(const char *name, cb_given_by *out)
{
    for (int i = 0; name && i < 2; i++)
        if (!strcmp(name, given_by_names[i])) {
            *out = (cb_given_by)i;
            return 0;
        }
    return CB_EINVAL;
}

static cb_consent_status parse_status(const char *s)
{
    for (int i = 0; i < 3; i++)
        if (!strcmp(s, status_names[i]))
            return (cb_consent_status)i;
    return CB_CONSENT_REFUSED; /* unknown text never counts as granted */
}

#define CONSENT_COLUMNS                                                                        \
    "id, person_id, purpose, status, given_by, given_by_name, evidence_ref, evidence_sha256, " \
    "valid_from, valid_until, recorded_by, recorded_at, withdrawn_at, withdrawn_by"

static void read_consent(sqlite3_stmt *st, void *row)
{
    cb_consent *c = row;
    char text[16];
    memset(c, 0, sizeof *c);
    c->id = sqlite3_column_int64(st, 0);
    c->person_id = sqlite3_column_int64(st, 1);
    cb_reg_column_text(st, 2, c->purpose, sizeof c->purpose);
    cb_reg_column_text(st, 3, text, sizeof text);
    c->status = parse_status(text);
    cb_reg_column_text(st, 4, text, sizeof text);
    if (cb_given_by_parse(text, &c->given_by) < 0)
        c->given_by = CB_GIVEN_BY_GUARDIAN;
    cb_reg_column_text(st, 5, c->given_by_name, sizeof c->given_by_name);
    cb_reg_column_text(st, 6, c->evidence_ref, sizeof c->evidence_ref);
    cb_reg_column_text(st, 7, c->evidence_sha256, sizeof c->evidence_sha256);
    cb_reg_column_text(st, 8, c->valid_from, sizeof c->valid_from);
    cb_reg_column_text(st, 9, c->valid_until, sizeof c->valid_until);
    cb_reg_column_text(st, 10, c->recorded_by, sizeof c->recorded_by);
    cb_reg_column_text(st, 11, c->recorded_at, sizeof c->recorded_at);
    cb_reg_column_text(st, 12, c->withdrawn_at, sizeof c->withdrawn_at);
    cb_reg_column_text(st, 13, c->withdrawn_by, sizeof c->withdrawn_by);
}

static int check_consent(cb_registry *r, cb_consent *c, cb_error *err)
{
    int known = 0, rc;
    if (c->status != CB_CONSENT_GRANTED && c->status != CB_CONSENT_REFUSED)
        return cb_error_set(err, CB_EINVAL, "a consent record is granted or refused (withdraw "
                                            "with cb_registry_consent_withdraw)");
    if ((unsigned)c->given_by > CB_GIVEN_BY_GUARDIAN)
        return cb_error_set(err, CB_EINVAL, "bad given_by");
    if (!cb_text_field_ok(c->purpose, sizeof c->purpose))
        return cb_error_set(err, CB_EINVAL, "bad purpose name");
    if ((rc = cb_registry_purpose_exists(r, c->purpose, &known, err)) < 0)
        return rc;
    if (!known)
        return cb_error_set(err, CB_EINVAL, "unknown purpose '%s' (see `purpose list`)",
                            c->purpose);
    if (!cb_text_field_ok(c->given_by_name, sizeof c->given_by_name))
        return cb_error_set(err, CB_EINVAL, "signer's name too long (max %zu bytes) or not text",
                            sizeof c->given_by_name - 1);
    if (!cb_text_field_ok(c->evidence_ref, sizeof c->evidence_ref))
        return cb_error_set(err, CB_EINVAL, "evidence reference too long (max %zu bytes) or not "
                                            "text",
                            sizeof c->evidence_ref - 1);
    if (!cb_text_field_ok(c->evidence_sha256, sizeof c->evidence_sha256))
        return cb_error_set(err, CB_EINVAL, "bad evidence hash");
    size_t hl = strlen(c->evidence_sha256);
    if (hl != 0 && hl != 64)
        return cb_error_set(err, CB_EINVAL, "evidence hash must be 64 hex digits");
    for (size_t i = 0; i < hl; i++) {
        if (!isxdigit((unsigned char)c->evidence_sha256[i]))
            return cb_error_set(err, CB_EINVAL, "evidence hash must be 64 hex digits");
        c->evidence_sha256[i] = (char)tolower((unsigned char)c->evidence_sha256[i]);
    }
    const char *dates[2] = {c->valid_from, c->valid_until};
    const char *names[2] = {"valid from", "valid until"};
    for (int i = 0; i < 2; i++) {
        if (!cb_text_field_ok(dates[i], sizeof c->valid_from))
            return cb_error_set(err, CB_EINVAL, "bad %s date", names[i]);
        if (dates[i][0] && cb_text_check_date(dates[i], names[i], err) < 0)
            return CB_EINVAL;
    }
    if (c->valid_from[0] && c->valid_until[0] && strcmp(c->valid_until, c->valid_from) < 0)
        return cb_error_set(err, CB_EINVAL, "valid until %s is before valid from %s",
                            c->valid_until, c->valid_from);
    return 0;
}

/* The newest record of every purpose of a person, with status GRANTED. */
static const char granted_now_sql[] =
    "SELECT count(*) FROM consents c WHERE c.person_id = ?1 AND c.status = 'granted' "
    "AND c.id = (SELECT max(id) FROM consents WHERE person_id = c.person_id "
    "AND purpose = c.purpose)";

int cb_reg_has_granted(cb_registry *r, int64_t person_id, int *has, cb_error *err)
{
    sqlite3_stmt *st = NULL;
    int rc = cb_reg_prepare(r, granted_now_sql, &st, err);
    if (rc < 0)
        return rc;
    sqlite3_bind_int64(st, 1, person_id);
    int s = sqlite3_step(st);
    if (s == SQLITE_ROW)
        *has = sqlite3_column_int(st, 0) > 0;
    else
        rc = cb_reg_db_error(r, s, "reading consent", err);
    sqlite3_finalize(st);
    return rc;
}

int cb_registry_holds_consent(cb_registry *r, int64_t person_id, int *holds, cb_error *err)
{
    *holds = 0;
    if (!r)
        return cb_error_set(err, CB_EINVAL, "no registry");
    return cb_reg_has_granted(r, person_id, holds, err);
}

/* The consent row itself; its row id in *id. */
static int insert_consent(cb_registry *r, const cb_consent *c, const char *salt, const char *who,
                          const char *now, int64_t *id, cb_error *err)
{
    sqlite3_stmt *st = NULL;
    int rc = cb_reg_prepare(r, "INSERT INTO consents(person_id, purpose, status, given_by, "
                               "given_by_name, evidence_ref, evidence_sha256, valid_from, "
                               "valid_until, recorded_by, recorded_at, salt) "
                               "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                            &st, err);
    if (rc < 0)
        return rc;
    sqlite3_bind_int64(st, 1, c->person_id);
    cb_reg_bind_text(st, 2, c->purpose);
    cb_reg_bind_text(st, 3, cb_consent_status_name(c->status));
    cb_reg_bind_text(st, 4, cb_given_by_name(c->given_by));
    cb_reg_bind_text(st, 5, c->given_by_name);
    cb_reg_bind_text(st, 6, c->evidence_ref);
    cb_reg_bind_text(st, 7, c->evidence_sha256);
    cb_reg_bind_text(st, 8, c->valid_from);
    cb_reg_bind_text(st, 9, c->valid_until);
    cb_reg_bind_text(st, 10, who);
    cb_reg_bind_text(st, 11, now);
    cb_reg_bind_text(st, 12, salt);
    rc = cb_reg_step_done(r, st, "recording consent", err);
    if (rc == 0)
        *id = sqlite3_last_insert_rowid(r->db);
    sqlite3_finalize(st);
    return rc;
}

/* The audit row for consent row ID: the fields in clear, the signer, evidence reference and
 * time through the salted digest (so the log can be replayed without holding names). */
static int audit_consent(cb_registry *r, const cb_consent *c, const cb_person *p, int64_t id,
                         const char *salt, const char *who, const char *now, cb_error *err)
{
    char details[512], digest[65];
    cb_json_obj o;
    cb_json_obj_begin(&o, details, sizeof details);
    cb_json_obj_int(&o, "consent_id", id);
    cb_json_obj_str(&o, "purpose", c->purpose, 32);
    cb_json_obj_str(&o, "given_by", cb_given_by_name(c->given_by), 16);
    if (c->valid_from[0])
        cb_json_obj_str(&o, "valid_from", c->valid_from, 10);
    if (c->valid_until[0])
        cb_json_obj_str(&o, "valid_until", c->valid_until, 10);
    if (c->evidence_sha256[0])
        cb_json_obj_str(&o, "evidence_sha256", c->evidence_sha256, 64);
    cb_reg_consent_digest(salt, c->given_by_name, c->evidence_ref, now, digest);
    cb_json_obj_str(&o, "digest", digest, 64); /* before the reference: it always fits */
    if (c->evidence_ref[0])
        cb_json_obj_str(&o, "evidence_ref", c->evidence_ref, 120);
    cb_json_obj_end(&o);
    return cb_reg_audit_append(r, who,
                               c->status == CB_CONSENT_GRANTED ? "consent.grant" : "consent.refuse",
                               p->external_id, details, err);
}

int cb_registry_consent_record(cb_registry *r, cb_consent *c, const char *actor, cb_error *err)
{
    char who[64], now[21], salt[33];
    cb_person p;
    int64_t id = 0;
    int rc;
    if (!r || !c)
        return cb_error_set(err, CB_EINVAL, "cb_registry_consent_record: no record");
    if ((rc = cb_reg_write_begin(r, actor, who, err)) < 0)
        return rc;
    cb_date_timestamp_now(now);
    if ((rc = cb_registry_person_get(r, c->person_id, &p, err)) < 0 ||
        (rc = check_consent(r, c, err)) < 0 || (rc = cb_reg_new_salt(salt, err)) < 0 ||
        (rc = insert_consent(r, c, salt, who, now, &id, err)) < 0 ||
        (rc = audit_consent(r, c, &p, id, salt, who, now, err)) < 0)
        goto fail;
    if (c->status == CB_CONSENT_REFUSED) {
        int has = 0;
        rc = cb_reg_has_granted(r, p.id, &has, err);
        if (rc == 0 && !has)
            rc = cb_reg_templates_erase_tx(r, &p, "consent refused", who, 0, NULL, err);
        if (rc < 0)
            goto fail;
    }
    rc = cb_reg_tx_commit(r, err);
    /* A failed checkpoint after the commit still recorded the consent. */
    if (rc == 0 || r->committed) {
        c->id = id;
        strcpy(c->recorded_at, now);
        strcpy(c->recorded_by, who);
        c->withdrawn_at[0] = c->withdrawn_by[0] = '\0';
    }
    return rc;
fail:
    cb_reg_tx_rollback(r);
    return rc;
}

typedef struct withdrawn_rec {
    int64_t id;
    char purpose[32];
} withdrawn_rec;

/* One (id, purpose) row for cb_reg_collect. */
static void withdrawn_row(sqlite3_stmt *st, void *row)
{
    withdrawn_rec *w = row;
    w->id = sqlite3_column_int64(st, 0);
    cb_reg_column_text(st, 1, w->purpose, sizeof w->purpose);
}

/* The person's records in force that are granted (for one purpose, or all
 * when purpose is NULL), read in full before any is changed: no writes to
 * the table being stepped over. */
static int granted_records(cb_registry *r, int64_t person_id, const char *purpose,
                           withdrawn_rec **recs, int *count, cb_error *err)
{
    sqlite3_stmt *sel = NULL;
    void *rows = NULL;
    *recs = NULL;
    int rc = cb_reg_prepare(r,
                            "SELECT c.id, c.purpose FROM consents c WHERE c.person_id = ?1 "
                            "AND c.status = 'granted' AND (?2 IS NULL OR c.purpose = ?2) "
                            "AND c.id = (SELECT max(id) FROM consents WHERE person_id = c.person_id "
                            "AND purpose = c.purpose) ORDER BY c.id",
                            &sel, err);
    if (rc < 0)
        return rc;
    sqlite3_bind_int64(sel, 1, person_id);
    if (purpose)
        cb_reg_bind_text(sel, 2, purpose);
    else
        sqlite3_bind_null(sel, 2);
    const cb_reg_rows how = {.row_size = sizeof **recs, .fill = withdrawn_row,
                             .what = "reading consent"};
    rc = cb_reg_collect(r, sel, &how, &rows, count, err);
    *recs = rows;
    return rc;
}

/* Mark each record withdrawn (now, by who) and audit it, in the open
 * transaction. */
static int withdraw_records(cb_registry *r, const cb_person *p, const withdrawn_rec *recs,
                            int count, const char *who, cb_error *err)
{
    char now[21], details[256];
    sqlite3_stmt *upd = NULL;
    int rc = cb_reg_prepare(r, "UPDATE consents SET status = 'withdrawn', withdrawn_at = ?2, "
                               "withdrawn_by = ?3 WHERE id = ?1",
                            &upd, err);
    cb_date_timestamp_now(now);
    for (int i = 0; rc == 0 && i < count; i++) {
        sqlite3_reset(upd);
        sqlite3_bind_int64(upd, 1, recs[i].id);
        cb_reg_bind_text(upd, 2, now);
        cb_reg_bind_text(upd, 3, who);
        if ((rc = cb_reg_step_done(r, upd, "withdrawing consent", err)) < 0)
            break;
        cb_json_obj o;
        cb_json_obj_begin(&o, details, sizeof details);
        cb_json_obj_int(&o, "consent_id", recs[i].id);
        cb_json_obj_str(&o, "purpose", recs[i].purpose, 32);
        cb_json_obj_str(&o, "withdrawn_at", now, 20);
        cb_json_obj_end(&o);
        rc = cb_reg_audit_append(r, who, "consent.withdraw", p->external_id, details, err);
    }
    sqlite3_finalize(upd);
    return rc;
}

/* CB_EINVAL unless purpose is NULL (every purpose) or one the registry knows. */
static int check_purpose_known(cb_registry *r, const char *purpose, cb_error *err)
{
    int known = 0;
    int rc = purpose ? cb_registry_purpose_exists(r, purpose, &known, err) : 0;
    if (rc == 0 && purpose && !known)
        rc = cb_error_set(err, CB_EINVAL, "unknown purpose '%.40s'", purpose);
    return rc;
}

int cb_registry_consent_withdraw(cb_registry *r, int64_t person_id, const char *purpose,
                                 const char *actor, int *n_withdrawn, cb_error *err)
{
    char who[64];
    cb_person p;
    withdrawn_rec *recs = NULL;
    int count = 0, has = 0, rc;
    if (n_withdrawn)
        *n_withdrawn = 0;
    if (!r)
        return cb_error_set(err, CB_EINVAL, "no registry");
    if ((rc = cb_reg_write_begin(r, actor, who, err)) < 0)
        return rc;
    rc = cb_registry_person_get(r, person_id, &p, err);
    if (rc == 0)
        rc = check_purpose_known(r, purpose, err);
    if (rc == 0)
        rc = granted_records(r, person_id, purpose, &recs, &count, err);
    if (rc == 0)
        rc = withdraw_records(r, &p, recs, count, who, err);
    free(recs);
    if (rc == 0)
        rc = cb_reg_has_granted(r, person_id, &has, err);
    if (rc == 0 && !has)
        rc = cb_reg_templates_erase_tx(r, &p, "consent withdrawn", who, 0, NULL, err);
    if (rc < 0) {
        cb_reg_tx_rollback(r);
        return rc;
    }
    rc = cb_reg_tx_commit(r, err);
    if ((rc == 0 || r->committed) && n_withdrawn)
        *n_withdrawn = count;
    return rc;
}

int cb_registry_consent_list(cb_registry *r, int64_t person_id, cb_consent **out, int *count,
                             cb_error *err)
{
    sqlite3_stmt *st = NULL;
    void *rows = NULL;
    *out = NULL;
    *count = 0;
    int rc = cb_reg_prepare(r, "SELECT " CONSENT_COLUMNS " FROM consents "
                               "WHERE ?1 = 0 OR person_id = ?1 ORDER BY id",
                            &st, err);
    if (rc < 0)
        return rc;
    sqlite3_bind_int64(st, 1, person_id);
    const cb_reg_rows how = {.row_size = sizeof **out, .fill = read_consent,
                             .what = "listing consent"};
    rc = cb_reg_collect(r, st, &how, &rows, count, err);
    *out = rows;
    return rc;
}

int cb_registry_consent_current(cb_registry *r, int64_t person_id, const char *purpose,
                                cb_consent *out, int *found, cb_error *err)
{
    sqlite3_stmt *st = NULL;
    *found = 0;
    int rc = cb_reg_prepare(r, "SELECT " CONSENT_COLUMNS " FROM consents "
                               "WHERE person_id = ?1 AND purpose = ?2 ORDER BY id DESC LIMIT 1",
                            &st, err);
    if (rc < 0)
        return rc;
    sqlite3_bind_int64(st, 1, person_id);
    cb_reg_bind_text(st, 2, purpose);
    int s = sqlite3_step(st);
    if (s == SQLITE_ROW) {
        read_consent(st, out);
        *found = 1;
    } else if (s != SQLITE_DONE) {
        rc = cb_reg_db_error(r, s, "reading consent", err);
    }
    sqlite3_finalize(st);
    return rc;
}

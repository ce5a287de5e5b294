/*
 * runs.c - processing records (table `runs`): building a record's JSON
 * fields, checking and appending a record, finding the run to resume from,
 * listing; see runs.h.
 */
#include "runs.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/cb_date.h"
#include "../common/utf8.h"
#include "registry_internal.h"
#include "text.h"

static const char *const command_names[] = {"process", "batch", "watch", "check"};
static const char *const status_names[] = {"ok", "failed"};

const char *cb_run_command_name(cb_run_command c)
{
    return (unsigned)c < 4 ? command_names[c] : NULL;
}

const char *cb_run_status_name(cb_run_status s)
{
    return (unsigned)s < 2 ? status_names[s] : NULL;
}

int cb_run_command_parse(const char *name, cb_run_command *out)
{
    for (int i = 0; name && i < 4; i++) {
        if (!strcmp(name, command_names[i])) {
            *out = (cb_run_command)i;
            return 0;
        }
    }
    return CB_EINVAL;
}

int cb_run_path_text(char *out, size_t size, const char *path, cb_error *err)
{
    size_t n = 0, len = strlen(path);
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)path[i];
        /* The length of a valid UTF-8 sequence starting here, 0 if none. */
        size_t seq = 0;
        if (c >= 0x20 && c < 0x7f && c != '\\')
            seq = 1;
        else if (c >= 0x80)
            for (size_t k = 2; k <= 4 && !seq && i + k <= len; k++)
                if (cb_text_utf8_valid(path + i, k))
                    seq = k;
        const char *piece = path + i;
        char esc[8];
        size_t m = seq;
        if (!seq) {
            if (c == '\\')
                snprintf(esc, sizeof esc, "\\\\");
            else
                snprintf(esc, sizeof esc, "\\x%02X", c);
            piece = esc;
            m = strlen(esc);
            seq = 1;
        }
        if (n + m >= size)
            return cb_error_set(err, CB_EINVAL, "run: path too long to record");
        memcpy(out + n, piece, m);
        n += m;
        i += seq;
    }
    out[n] = '\0';
    return 0;
}

void cb_run_init(cb_run *run)
{
    memset(run, 0, sizeof *run);
    strcpy(run->kept_people, "[]");
    strcpy(run->models, "{}");
    run->command = CB_RUN_PROCESS;
    run->status = CB_RUN_OK;
}

/* ---- the JSON fields ------------------------------------------------------ */

/* "" or 64 hex digits; copied lower-case into out. */
static int hash_ok(const char *h, char out[65])
{
    size_t n = strnlen(h, 65);
    if (n != 0 && n != 64)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (!isxdigit((unsigned char)h[i]))
            return 0;
        out[i] = (char)tolower((unsigned char)h[i]);
    }
    out[n] = '\0';
    return 1;
}

/* Append s as a JSON string at buf+*len (size bytes in all). s is text
 * without control characters (checked by the caller), so only '"' and '\'
 * need escaping. Returns 0, or -1 when it does not fit (buf unchanged past
 * *len). */
static int put_str(char *buf, size_t size, size_t *len, const char *s)
{
    size_t need = 2;
    for (const char *p = s; *p; p++)
        need += (*p == '"' || *p == '\\') ? 2 : 1;
    if (*len + need >= size)
        return -1;
    char *o = buf + *len;
    *o++ = '"';
    for (const char *p = s; *p; p++) {
        if (*p == '"' || *p == '\\')
            *o++ = '\\';
        *o++ = *p;
    }
    *o++ = '"';
    *o = '\0';
    *len += need;
    return 0;
}

static int put_raw(char *buf, size_t size, size_t *len, const char *s)
{
    size_t n = strlen(s);
    if (*len + n >= size)
        return -1;
    memcpy(buf + *len, s, n + 1);
    *len += n;
    return 0;
}

int cb_run_add_kept_person(cb_run *run, const char *external_id, cb_error *err)
{
    if (!run || !external_id || !*external_id || !cb_text_field_ok(external_id, 64))
        return cb_error_set(err, CB_EINVAL, "run: bad external id for kept_people");
    size_t len = strlen(run->kept_people);
    if (len < 2 || run->kept_people[0] != '[' || run->kept_people[len - 1] != ']')
        return cb_error_set(err, CB_EINVAL, "run: kept_people is not a JSON array");
    char item[160];
    size_t ilen = 0;
    item[0] = '\0';
    put_str(item, sizeof item, &ilen, external_id); /* fits: 63 bytes, at most doubled */
    /* Already there? Items are compact strings separated by ','. */
    for (const char *p = strstr(run->kept_people, item); p; p = strstr(p + 1, item))
        if ((p[-1] == '[' || p[-1] == ',') && (p[ilen] == ']' || p[ilen] == ','))
            return 0;
    char buf[sizeof run->kept_people];
    memcpy(buf, run->kept_people, len - 1); /* without the ']' */
    size_t n = len - 1;
    buf[n] = '\0';
    if ((len > 2 && put_raw(buf, sizeof buf, &n, ",") < 0) ||
        put_raw(buf, sizeof buf, &n, item) < 0 || put_raw(buf, sizeof buf, &n, "]") < 0)
        return cb_error_set(err, CB_EINVAL, "run: too many kept people to record (%zu bytes)",
                            sizeof run->kept_people - 1);
    memcpy(run->kept_people, buf, n + 1);
    return 0;
}

int cb_run_add_model(cb_run *run, const char *role, const char *model_id,
                     const char *file_sha256, cb_error *err)
{
    char hash[65];
    if (!run || !role || !*role || !model_id || !*model_id || !file_sha256 ||
        !cb_text_field_ok(role, 64) || !cb_text_field_ok(model_id, 256) ||
        !hash_ok(file_sha256, hash))
        return cb_error_set(err, CB_EINVAL, "run: bad model role, id or hash (64 hex digits "
                                            "or \"\")");
    size_t len = strlen(run->models);
    if (len < 2 || run->models[0] != '{' || run->models[len - 1] != '}')
        return cb_error_set(err, CB_EINVAL, "run: models is not a JSON object");
    char buf[sizeof run->models];
    memcpy(buf, run->models, len - 1);
    size_t n = len - 1;
    buf[n] = '\0';
    if ((len > 2 && put_raw(buf, sizeof buf, &n, ",") < 0) ||
        put_str(buf, sizeof buf, &n, role) < 0 || put_raw(buf, sizeof buf, &n, ":{\"id\":") < 0 ||
        put_str(buf, sizeof buf, &n, model_id) < 0 ||
        put_raw(buf, sizeof buf, &n, ",\"sha256\":") < 0 ||
        put_str(buf, sizeof buf, &n, hash) < 0 || put_raw(buf, sizeof buf, &n, "}}") < 0)
        return cb_error_set(err, CB_EINVAL, "run: model list too long to record (%zu bytes)",
                            sizeof run->models - 1);
    memcpy(run->models, buf, n + 1);
    return 0;
}

/* ---- checks ---------------------------------------------------------------- */

/* "YYYY-MM-DDTHH:MM:SSZ" with a real date and time. */
static int timestamp_ok(const char *t)
{
    if (strnlen(t, 21) != 20 || t[10] != 'T' || t[13] != ':' || t[16] != ':' || t[19] != 'Z')
        return 0;
    char day[11];
    memcpy(day, t, 10);
    day[10] = '\0';
    if (!cb_date_valid(day))
        return 0;
    static const int at[3] = {11, 14, 17}, max[3] = {23, 59, 60};
    for (int i = 0; i < 3; i++) {
        if (!isdigit((unsigned char)t[at[i]]) || !isdigit((unsigned char)t[at[i] + 1]))
            return 0;
        if ((t[at[i]] - '0') * 10 + (t[at[i] + 1] - '0') > max[i])
            return 0;
    }
    return 1;
}

/* The error text, cleaned: control characters -> ' ', bytes that do not
 * start or continue a valid UTF-8 character -> '?', cut to fit. */
static void clean_error(const char *in, char *out, size_t size)
{
    char tmp[sizeof ((cb_run *)0)->error];
    size_t o = 0;
    const unsigned char *p = (const unsigned char *)in;
    while (*p && o + 1 < sizeof tmp) {
        const size_t n = cb_utf8_sequence(p);
        if (n > 1) {
            if (o + n >= sizeof tmp)
                break;
            memcpy(tmp + o, p, n);
            o += n;
            p += n;
            continue;
        }
        tmp[o++] = n == 1 ? (*p < 0x20 || *p == 0x7f ? ' ' : (char)*p) : '?';
        p++;
    }
    tmp[o] = '\0';
    cb_text_copy(out, size, tmp);
}

/* Is `json` (text) a JSON array of strings (want_array) or a JSON object?
 * sqlite's JSON functions decide; json_type runs only after json_valid
 * said yes (it raises an error on malformed JSON). */
static int json_kind_ok(cb_registry *r, const char *json, int want_array, int *ok, cb_error *err)
{
    sqlite3_stmt *st = NULL;
    *ok = 0;
    int rc = cb_reg_prepare(r, "SELECT json_valid(?1)", &st, err);
    if (rc < 0)
        return rc;
    cb_reg_bind_text(st, 1, json);
    int s = sqlite3_step(st);
    int valid = s == SQLITE_ROW && sqlite3_column_int(st, 0) == 1;
    if (s != SQLITE_ROW)
        rc = cb_reg_db_error(r, s, "checking a run's JSON", err);
    sqlite3_finalize(st);
    if (rc < 0 || !valid)
        return rc;
    rc = cb_reg_prepare(r,
                        "SELECT json_type(?1), (SELECT count(*) FROM json_each(?1) "
                        "WHERE json_type(?1) = 'array' AND type <> 'text')",
                        &st, err);
    if (rc < 0)
        return rc;
    cb_reg_bind_text(st, 1, json);
    s = sqlite3_step(st);
    if (s == SQLITE_ROW) {
        const char *type = (const char *)sqlite3_column_text(st, 0);
        *ok = type && !strcmp(type, want_array ? "array" : "object") &&
              (!want_array || sqlite3_column_int(st, 1) == 0);
    } else {
        rc = cb_reg_db_error(r, s, "checking a run's JSON", err);
    }
    sqlite3_finalize(st);
    return rc;
}

/* A run as it will be stored: the caller's fields checked, defaults filled. */
typedef struct stored_run {
    char started_at[21], finished_at[21];
    char input_sha256[65], output_sha256[65], registry_hash[65];
    const char *kept_people, *models;
    char error[512];
    char host[256];
    char actor[64];
} stored_run;

#define FIELD_OK(s, field) cb_text_field_ok((s)->field, sizeof (s)->field)

/* The command, the status and the times (now for those not given). */
static int check_run_times(const cb_run *run, stored_run *o, cb_error *err)
{
    char now[21];
    if (!cb_run_command_name(run->command))
        return cb_error_set(err, CB_EINVAL, "run: unknown command %d", (int)run->command);
    if (!cb_run_status_name(run->status))
        return cb_error_set(err, CB_EINVAL, "run: unknown status %d", (int)run->status);
    cb_date_timestamp_now(now);
    const char *const times[2] = {run->started_at, run->finished_at};
    char *const stored_times[2] = {o->started_at, o->finished_at};
    for (int i = 0; i < 2; i++) {
        if (!cb_text_field_ok(times[i], 21) || (times[i][0] && !timestamp_ok(times[i])))
            return cb_error_set(err, CB_EINVAL, "run: %s '%.20s' is not a timestamp "
                                                "(YYYY-MM-DDTHH:MM:SSZ)",
                                i ? "finished_at" : "started_at", times[i]);
        strcpy(stored_times[i], times[i][0] ? times[i] : now);
    }
    if (strcmp(o->finished_at, o->started_at) < 0)
        return cb_error_set(err, CB_EINVAL, "run: finished_at %s is before started_at %s",
                            o->finished_at, o->started_at);
    return 0;
}

/* The input and output, their hashes, and which runs have an output. */
static int check_run_files(const cb_run *run, stored_run *o, cb_error *err)
{
    const int failed = run->status == CB_RUN_FAILED;
    const int has_output = run->output_path[0] != '\0';
    if (!run->input_path[0] || !FIELD_OK(run, input_path))
        return cb_error_set(err, CB_EINVAL, "run: input path missing, too long or not UTF-8 "
                                            "text without control characters");
    if (!FIELD_OK(run, output_path))
        return cb_error_set(err, CB_EINVAL, "run: output path too long or not UTF-8 text "
                                            "without control characters");
    if (!hash_ok(run->input_sha256, o->input_sha256) || (!failed && !o->input_sha256[0]))
        return cb_error_set(err, CB_EINVAL, "run: input hash must be 64 hex digits");
    if (!hash_ok(run->registry_hash, o->registry_hash))
        return cb_error_set(err, CB_EINVAL, "run: registry hash must be 64 hex digits or \"\"");
    if (!hash_ok(run->output_sha256, o->output_sha256) || (has_output != !!o->output_sha256[0]))
        return cb_error_set(err, CB_EINVAL, has_output ? "run: output hash must be 64 hex digits"
                                                       : "run: an output hash without an output");
    if (has_output && run->command == CB_RUN_CHECK)
        return cb_error_set(err, CB_EINVAL, "run: a check has no output");
    if (has_output && failed)
        return cb_error_set(err, CB_EINVAL, "run: a failed run has no output (fail closed)");
    if (!failed && !has_output && run->command != CB_RUN_CHECK)
        return cb_error_set(err, CB_EINVAL, "run: a successful %s run needs its output",
                            cb_run_command_name(run->command));
    return 0;
}

/* The purpose (one the registry knows, or none), the date and the face counts. */
static int check_run_decisions(cb_registry *r, const cb_run *run, cb_error *err)
{
    const int failed = run->status == CB_RUN_FAILED;
    if (!FIELD_OK(run, purpose))
        return cb_error_set(err, CB_EINVAL, "run: bad purpose");
    if (run->purpose[0]) {
        int known = 0;
        int rc = cb_registry_purpose_exists(r, run->purpose, &known, err);
        if (rc < 0)
            return rc;
        if (!known)
            return cb_error_set(err, CB_EINVAL, "run: unknown purpose '%s'", run->purpose);
    }
    if (!FIELD_OK(run, run_date) || !cb_date_valid(run->run_date))
        return cb_error_set(err, CB_EINVAL, "run: run date '%.10s' is not a real date "
                                            "(YYYY-MM-DD)", run->run_date);
    if (run->faces_total < 0 || run->faces_kept < 0 || run->faces_redacted < 0 ||
        run->faces_kept > run->faces_total - run->faces_redacted ||
        (!failed && run->faces_kept + run->faces_redacted != run->faces_total))
        return cb_error_set(err, CB_EINVAL, "run: face counts do not add up (%d kept + %d "
                                            "redacted, %d in all)",
                            run->faces_kept, run->faces_redacted, run->faces_total);
    if (!run->purpose[0] && run->faces_kept > 0)
        return cb_error_set(err, CB_EINVAL, "run: faces kept without a purpose");
    return 0;
}

/* The JSON fields (people kept, models), the error text, the host, the actor. */
static int check_run_details(cb_registry *r, const cb_run *run, stored_run *o, cb_error *err)
{
    const int failed = run->status == CB_RUN_FAILED;
    int rc = 0, ok = 0;
    o->kept_people = run->kept_people[0] ? run->kept_people : "[]";
    o->models = run->models[0] ? run->models : "{}";
    if (!FIELD_OK(run, kept_people) || (rc = json_kind_ok(r, o->kept_people, 1, &ok, err)) < 0 ||
        !ok)
        return rc < 0 ? rc
                      : cb_error_set(err, CB_EINVAL, "run: kept_people is not a JSON array of "
                                                     "strings");
    if (!FIELD_OK(run, models) || (rc = json_kind_ok(r, o->models, 0, &ok, err)) < 0 || !ok)
        return rc < 0 ? rc : cb_error_set(err, CB_EINVAL, "run: models is not a JSON object");
    if (!run->purpose[0] && strcmp(o->kept_people, "[]") != 0)
        return cb_error_set(err, CB_EINVAL, "run: people kept without a purpose");
    if (failed && !run->error[0])
        return cb_error_set(err, CB_EINVAL, "run: a failed run needs its error");
    if (!failed && run->error[0])
        return cb_error_set(err, CB_EINVAL, "run: an error in a successful run");
    clean_error(run->error, o->error, sizeof o->error);
    if (run->host[0]) {
        if (!FIELD_OK(run, host))
            return cb_error_set(err, CB_EINVAL, "run: bad host name");
        strcpy(o->host, run->host);
    } else {
        char h[256] = "";
        if (gethostname(h, sizeof h - 1) != 0 || !cb_text_field_ok(h, sizeof h))
            h[0] = '\0';
        strcpy(o->host, h);
    }
    return cb_reg_actor(run->actor[0] ? run->actor : NULL, o->actor, err);
}

/* Every field of run checked, in this order, into what is stored (o). */
static int check_run(cb_registry *r, const cb_run *run, stored_run *o, cb_error *err)
{
    int rc = check_run_times(run, o, err);
    if (rc == 0)
        rc = check_run_files(run, o, err);
    if (rc == 0)
        rc = check_run_decisions(r, run, err);
    if (rc == 0)
        rc = check_run_details(r, run, o, err);
    return rc;
}

int cb_registry_run_record(cb_registry *r, const cb_run *run, int64_t *id, cb_error *err)
{
    stored_run o;
    sqlite3_stmt *st = NULL;
    if (!r || !run)
        return cb_error_set(err, CB_EINVAL, "cb_registry_run_record: no registry or run");
    int rc = cb_reg_tx_begin(r, err);
    if (rc < 0)
        return rc;
    rc = check_run(r, run, &o, err);
    if (rc < 0)
        goto fail;
    rc = cb_reg_prepare(r,
                        "INSERT INTO runs(started_at, finished_at, command, input_path, "
                        "input_sha256, output_path, output_sha256, purpose, run_date, "
                        "faces_total, faces_kept, faces_redacted, kept_people, status, error, "
                        "models, host, actor, registry_version, registry_hash) VALUES (?1, ?2, "
                        "?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, "
                        "?19, ?20)",
                        &st, err);
    if (rc < 0)
        goto fail;
    cb_reg_bind_text(st, 1, o.started_at);
    cb_reg_bind_text(st, 2, o.finished_at);
    cb_reg_bind_text(st, 3, cb_run_command_name(run->command));
    cb_reg_bind_text(st, 4, run->input_path);
    cb_reg_bind_text(st, 5, o.input_sha256);
    if (run->output_path[0]) {
        cb_reg_bind_text(st, 6, run->output_path);
        cb_reg_bind_text(st, 7, o.output_sha256);
    } /* else both stay NULL */
    cb_reg_bind_text(st, 8, run->purpose);
    cb_reg_bind_text(st, 9, run->run_date);
    sqlite3_bind_int(st, 10, run->faces_total);
    sqlite3_bind_int(st, 11, run->faces_kept);
    sqlite3_bind_int(st, 12, run->faces_redacted);
    cb_reg_bind_text(st, 13, o.kept_people);
    cb_reg_bind_text(st, 14, cb_run_status_name(run->status));
    cb_reg_bind_text(st, 15, o.error);
    cb_reg_bind_text(st, 16, o.models);
    cb_reg_bind_text(st, 17, o.host);
    cb_reg_bind_text(st, 18, o.actor);
    sqlite3_bind_int64(st, 19, run->registry_version);
    cb_reg_bind_text(st, 20, o.registry_hash);
    rc = cb_reg_step_done(r, st, "recording a run", err);
    sqlite3_finalize(st);
    if (rc < 0)
        goto fail;
    int64_t new_id = sqlite3_last_insert_rowid(r->db);
    rc = cb_reg_tx_commit(r, err);
    if (rc < 0)
        return rc;
    if (id)
        *id = new_id;
    return 0;
fail:
    cb_reg_tx_rollback(r);
    return rc;
}

/* ---- reading ---------------------------------------------------------------- */

#define RUN_COLUMNS                                                                            \
    "id, started_at, finished_at, command, input_path, input_sha256, output_path, "            \
    "output_sha256, purpose, run_date, faces_total, faces_kept, faces_redacted, kept_people, " \
    "status, error, models, host, actor, registry_version, registry_hash"

static void read_run(sqlite3_stmt *st, void *row)
{
    cb_run *o = row;
    char word[16];
    memset(o, 0, sizeof *o);
    o->id = sqlite3_column_int64(st, 0);
    cb_reg_column_text(st, 1, o->started_at, sizeof o->started_at);
    cb_reg_column_text(st, 2, o->finished_at, sizeof o->finished_at);
    cb_reg_column_text(st, 3, word, sizeof word);
    cb_run_command_parse(word, &o->command); /* the table's CHECK allows only known ones */
    cb_reg_column_text(st, 4, o->input_path, sizeof o->input_path);
    cb_reg_column_text(st, 5, o->input_sha256, sizeof o->input_sha256);
    cb_reg_column_text(st, 6, o->output_path, sizeof o->output_path); /* NULL -> "" */
    cb_reg_column_text(st, 7, o->output_sha256, sizeof o->output_sha256);
    cb_reg_column_text(st, 8, o->purpose, sizeof o->purpose);
    cb_reg_column_text(st, 9, o->run_date, sizeof o->run_date);
    o->faces_total = sqlite3_column_int(st, 10);
    o->faces_kept = sqlite3_column_int(st, 11);
    o->faces_redacted = sqlite3_column_int(st, 12);
    cb_reg_column_text(st, 13, o->kept_people, sizeof o->kept_people);
    cb_reg_column_text(st, 14, word, sizeof word);
    o->status = strcmp(word, "ok") == 0 ? CB_RUN_OK : CB_RUN_FAILED;
    cb_reg_column_text(st, 15, o->error, sizeof o->error);
    cb_reg_column_text(st, 16, o->models, sizeof o->models);
    cb_reg_column_text(st, 17, o->host, sizeof o->host);
    cb_reg_column_text(st, 18, o->actor, sizeof o->actor);
    o->registry_version = sqlite3_column_int64(st, 19);
    cb_reg_column_text(st, 20, o->registry_hash, sizeof o->registry_hash);
}

int cb_registry_run_find(cb_registry *r, const char *input_sha256, const char *purpose,
                         const char *output_path, cb_run *out, int *found, cb_error *err)
{
    char hash[65];
    sqlite3_stmt *st = NULL;
    if (found)
        *found = 0;
    if (!r || !input_sha256 || !purpose || !out || !found)
        return cb_error_set(err, CB_EINVAL, "cb_registry_run_find: NULL argument");
    if (!hash_ok(input_sha256, hash) || !hash[0])
        return cb_error_set(err, CB_EINVAL, "run: input hash must be 64 hex digits");
    int rc = cb_reg_prepare(r,
                            "SELECT " RUN_COLUMNS " FROM runs WHERE input_sha256 = ?1 AND "
                            "purpose = ?2 AND status = 'ok' AND output_path IS NOT NULL "
                            "AND (?3 IS NULL OR output_path = ?3) ORDER BY id DESC LIMIT 1",
                            &st, err);
    if (rc < 0)
        return rc;
    cb_reg_bind_text(st, 1, hash);
    cb_reg_bind_text(st, 2, purpose);
    if (output_path)
        cb_reg_bind_text(st, 3, output_path);
    int s = sqlite3_step(st);
    if (s == SQLITE_ROW) {
        read_run(st, out);
        *found = 1;
    } else if (s != SQLITE_DONE) {
        rc = cb_reg_db_error(r, s, "reading the runs", err);
    }
    sqlite3_finalize(st);
    return rc;
}

int cb_registry_run_list(cb_registry *r, int64_t after_id, int limit, cb_run **out, int *count,
                         cb_error *err)
{
    sqlite3_stmt *st = NULL;
    void *rows = NULL;
    if (!r || !out || !count)
        return cb_error_set(err, CB_EINVAL, "cb_registry_run_list: NULL argument");
    *out = NULL;
    *count = 0;
    int rc = cb_reg_prepare(r, "SELECT " RUN_COLUMNS " FROM runs WHERE id > ?1 ORDER BY id "
                               "LIMIT ?2",
                            &st, err);
    if (rc < 0)
        return rc;
    sqlite3_bind_int64(st, 1, after_id);
    sqlite3_bind_int64(st, 2, limit > 0 ? limit : -1);
    const cb_reg_rows how = {.row_size = sizeof **out, .fill = read_run,
                             .what = "reading the runs"};
    rc = cb_reg_collect(r, st, &how, &rows, count, err);
    *out = rows;
    return rc;
}

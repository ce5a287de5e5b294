/* import_csv.c - see import_csv.h. */
#include "import_csv.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../common/fsutil.h"
#include "../common/sha256.h"
#include "csv.h"
#include "../common/cb_date.h"
#include "registry_internal.h"
#include "text.h"

enum {
    COL_EXTERNAL_ID,
    COL_NAME,
    COL_ROLE,
    COL_BIRTH_DATE,
    COL_GROUP,
    COL_GIVEN_BY,
    COL_GIVEN_BY_NAME,
    COL_EVIDENCE_REF,
    COL_VALID_FROM,
    COL_VALID_UNTIL,
    N_FIXED
};

static const char *const fixed_names[N_FIXED] = {
    "external_id", "name",          "role",         "birth_date", "group",
    "given_by",    "given_by_name", "evidence_ref", "valid_from", "valid_until"};

typedef struct purpose_col {
    int index;
    char name[32];
} purpose_col;

typedef struct seen_id {
    char id[64];
    int line;
} seen_id;

typedef struct import_ctx {
    cb_registry *r;
    const char *actor;
    cb_import_report *rep;
    int col[N_FIXED];
    int n_cols;
    purpose_col *pcols;
    int n_pcols;
    seen_id *seen;
    int n_seen, cap_seen;
    char today[11];
    int self_age;
} import_ctx;

static void problem(import_ctx *c, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void problem(import_ctx *c, int line, const char *fmt, ...)
{
    cb_import_report *rep = c->rep;
    rep->n_errors++;
    if (rep->n_kept >= CB_IMPORT_MAX_ERRORS)
        return;
    if (!rep->errors) {
        rep->errors = calloc(CB_IMPORT_MAX_ERRORS, sizeof *rep->errors);
        if (!rep->errors)
            return;
    }
    char *out = rep->errors[rep->n_kept++];
    int n = snprintf(out, sizeof rep->errors[0], "line %d: ", line);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out + n, sizeof rep->errors[0] - (size_t)n, fmt, ap);
    va_end(ap);
}

static void lower(char *s)
{
    for (; *s; s++)
        *s = (char)tolower((unsigned char)*s);
}

/* The field for a fixed column, or NULL when the column is absent. */
static const char *field(const import_ctx *c, const cb_csv_row *row, int col)
{
    return c->col[col] >= 0 ? row->fields[c->col[col]] : NULL;
}

static int read_file(const char *path, char **data, size_t *len, char hex[65], cb_error *err)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    if (!f)
        return cb_error_set(err, -errno, "%s: %s", path, strerror(errno));
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return cb_error_set(err, CB_EINVAL, "%s: not a file", path);
    }
    if (st.st_size > CB_IMPORT_MAX_BYTES) {
        fclose(f);
        return cb_error_set(err, CB_ETOOBIG, "%s: larger than %ld MiB", path,
                            CB_IMPORT_MAX_BYTES >> 20);
    }
    size_t size = (size_t)st.st_size;
    char *buf = malloc(size + 1);
    if (!buf) {
        fclose(f);
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    }
    size_t got = fread(buf, 1, size, f);
    int bad = ferror(f) || got != size;
    fclose(f);
    if (bad) {
        free(buf);
        return cb_error_set(err, CB_EIO, "%s: read failed", path);
    }
    buf[size] = '\0';
    uint8_t d[32];
    cb_sha256(buf, size, d);
    cb_sha256_hex(d, hex);
    *data = buf;
    *len = size;
    return 0;
}

/* Map the header's columns. Returns 0, CB_EINVAL after reporting problems,
 * or a registry error. */
static int read_header(import_ctx *c, cb_csv_row *row, cb_error *err)
{
    int bad = 0, rc;
    for (int k = 0; k < N_FIXED; k++)
        c->col[k] = -1;
    c->n_cols = row->n_fields;
    c->pcols = calloc((size_t)row->n_fields, sizeof *c->pcols);
    if (!c->pcols)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    if (row->n_fields == 1 && strchr(row->fields[0], ';')) {
        problem(c, row->line, "the header has no commas but semicolons: export the file as "
                              "comma-separated CSV");
        return CB_EINVAL;
    }
    for (int i = 0; i < row->n_fields; i++) {
        char *name = cb_text_trim(row->fields[i]);
        lower(name);
        int k = 0;
        while (k < N_FIXED && strcmp(name, fixed_names[k]) != 0)
            k++;
        if (k < N_FIXED) {
            if (c->col[k] >= 0) {
                problem(c, row->line, "column '%s' appears twice", name);
                bad = 1;
            }
            c->col[k] = i;
            continue;
        }
        int known = 0;
        if ((rc = cb_registry_purpose_exists(c->r, name, &known, err)) < 0)
            return rc;
        if (!known) {
            problem(c, row->line,
                    "unknown column '%.60s' (neither a field nor a purpose; purposes are "
                    "added with `purpose add`)",
                    name);
            bad = 1;
            continue;
        }
        for (int j = 0; j < c->n_pcols; j++)
            if (!strcmp(c->pcols[j].name, name)) {
                problem(c, row->line, "column '%s' appears twice", name);
                bad = 1;
            }
        c->pcols[c->n_pcols].index = i;
        snprintf(c->pcols[c->n_pcols].name, sizeof c->pcols[0].name, "%s", name);
        c->n_pcols++;
    }
    for (int k = 0; k <= COL_ROLE; k++)
        if (c->col[k] < 0) {
            problem(c, row->line, "required column '%s' is missing", fixed_names[k]);
            bad = 1;
        }
    return bad ? CB_EINVAL : 0;
}

/* Remember an external id; report it when it was seen before. */
static int check_duplicate(import_ctx *c, const char *id, int line)
{
    for (int i = 0; i < c->n_seen; i++)
        if (!strcmp(c->seen[i].id, id)) {
            problem(c, line, "external_id '%s' also on line %d", id, c->seen[i].line);
            return -1;
        }
    if (c->n_seen == c->cap_seen) {
        int nc = c->cap_seen ? c->cap_seen * 2 : 256;
        seen_id *ns = realloc(c->seen, (size_t)nc * sizeof *ns);
        if (!ns)
            return -2;
        c->seen = ns;
        c->cap_seen = nc;
    }
    snprintf(c->seen[c->n_seen].id, sizeof c->seen[0].id, "%s", id);
    c->seen[c->n_seen++].line = line;
    return 0;
}

/* Copy value into a fixed field; report when it does not fit. */
static int put(import_ctx *c, int line, const char *col, char *dst, size_t size, const char *v)
{
    if (strlen(v) >= size) {
        problem(c, line, "%s is longer than %zu bytes", col, size - 1);
        return -1;
    }
    strcpy(dst, v);
    return 0;
}

/* What one data line says, checked on its own. */
typedef struct line_data {
    cb_person person;
    int has_birth, has_group;
    int given_by; /* -1: default */
    cb_consent base;    /* given_by_name, evidence_ref, valid_from, valid_until */
    signed char *decision; /* per purpose column: -1 none, else cb_consent_status */
} line_data;

/* The person's columns of a line: problems reported; -2 when out of memory. */
static int parse_person(import_ctx *c, const cb_csv_row *row, line_data *d)
{
    const int line = row->line;
    const char *v = field(c, row, COL_EXTERNAL_ID);
    if (!*v)
        problem(c, line, "external_id is empty");
    else if (put(c, line, "external_id", d->person.external_id, sizeof d->person.external_id,
                 v) == 0 &&
             check_duplicate(c, v, line) == -2)
        return -2;
    v = field(c, row, COL_NAME);
    if (!*v)
        problem(c, line, "name is empty");
    else
        put(c, line, "name", d->person.name, sizeof d->person.name, v);
    char role[16];
    snprintf(role, sizeof role, "%s", field(c, row, COL_ROLE));
    lower(role);
    if (cb_role_parse(role, &d->person.role) < 0)
        problem(c, line, "role '%.20s' is not pupil, staff or other", field(c, row, COL_ROLE));
    if ((v = field(c, row, COL_BIRTH_DATE))) {
        cb_error e = {0};
        d->has_birth = 1;
        if (*v && cb_text_check_date(v, "birth_date", &e) < 0)
            problem(c, line, "%s", e.msg);
        else
            put(c, line, "birth_date", d->person.birth_date, sizeof d->person.birth_date, v);
    }
    if ((v = field(c, row, COL_GROUP))) {
        d->has_group = 1;
        put(c, line, "group", d->person.group_name, sizeof d->person.group_name, v);
    }
    return 0;
}

/* The columns every consent of a line shares (who gave it, evidence, dates). */
static void parse_consent_base(import_ctx *c, const cb_csv_row *row, line_data *d)
{
    const int line = row->line;
    const char *v;
    d->given_by = -1;
    if ((v = field(c, row, COL_GIVEN_BY)) && *v) {
        char g[16];
        cb_given_by gb;
        snprintf(g, sizeof g, "%s", v);
        lower(g);
        if (cb_given_by_parse(g, &gb) < 0)
            problem(c, line, "given_by '%.20s' is not self or guardian", v);
        else
            d->given_by = (int)gb;
    }
    if ((v = field(c, row, COL_GIVEN_BY_NAME)))
        put(c, line, "given_by_name", d->base.given_by_name, sizeof d->base.given_by_name, v);
    if ((v = field(c, row, COL_EVIDENCE_REF)))
        put(c, line, "evidence_ref", d->base.evidence_ref, sizeof d->base.evidence_ref, v);
    const int date_cols[2] = {COL_VALID_FROM, COL_VALID_UNTIL};
    char *date_dst[2] = {d->base.valid_from, d->base.valid_until};
    for (int k = 0; k < 2; k++) {
        cb_error e = {0};
        if (!(v = field(c, row, date_cols[k])) || !*v)
            continue;
        if (cb_text_check_date(v, fixed_names[date_cols[k]], &e) < 0)
            problem(c, line, "%s", e.msg);
        else
            strcpy(date_dst[k], v);
    }
    if (d->base.valid_from[0] && d->base.valid_until[0] &&
        strcmp(d->base.valid_until, d->base.valid_from) < 0)
        problem(c, line, "valid_until %s is before valid_from %s", d->base.valid_until,
                d->base.valid_from);
}

/* The purpose columns: yes, no or empty each. */
static void parse_decisions(import_ctx *c, const cb_csv_row *row, line_data *d)
{
    for (int j = 0; j < c->n_pcols; j++) {
        char val[8];
        const char *raw = row->fields[c->pcols[j].index];
        snprintf(val, sizeof val, "%s", raw);
        lower(val);
        if (!*raw)
            d->decision[j] = -1;
        else if (strlen(raw) < sizeof val && !strcmp(val, "yes"))
            d->decision[j] = CB_CONSENT_GRANTED;
        else if (strlen(raw) < sizeof val && !strcmp(val, "no"))
            d->decision[j] = CB_CONSENT_REFUSED;
        else
            problem(c, row->line, "%s: '%.20s' is not yes, no or empty", c->pcols[j].name, raw);
    }
}

/* One data line into d: 0, -1 when it has problems (reported), -2 when out
 * of memory. */
static int parse_line(import_ctx *c, cb_csv_row *row, line_data *d)
{
    int before = c->rep->n_errors;
    for (int i = 0; i < row->n_fields; i++) {
        if (!cb_text_utf8_valid(row->fields[i], strlen(row->fields[i]))) {
            problem(c, row->line, "not valid UTF-8 (save the file as UTF-8)");
            return -1;
        }
        cb_text_trim(row->fields[i]);
    }
    if (parse_person(c, row, d) == -2)
        return -2;
    parse_consent_base(c, row, d);
    parse_decisions(c, row, d);
    return c->rep->n_errors > before ? -1 : 0;
}

/* A registry call failed for this line: report what the caller can fix,
 * give up on anything else. */
static int line_failed(import_ctx *c, int line, int rc, const cb_error *e)
{
    if (rc == CB_EINVAL || rc == CB_EEXIST || rc == CB_ENOTFOUND) {
        problem(c, line, "%s", e->msg);
        return 0;
    }
    return rc;
}

static int apply_line(import_ctx *c, int line, line_data *d, cb_error *err)
{
    cb_person cur;
    cb_error e = {0};
    int found = 0, rc;
    if ((rc = cb_reg_person_by_external_id(c->r, d->person.external_id, &cur, &found, err)) < 0)
        return rc;
    if (found) {
        cb_person next = cur;
        strcpy(next.name, d->person.name);
        next.role = d->person.role;
        if (d->has_birth)
            strcpy(next.birth_date, d->person.birth_date);
        if (d->has_group)
            strcpy(next.group_name, d->person.group_name);
        int same = !strcmp(next.name, cur.name) && next.role == cur.role &&
                   !strcmp(next.birth_date, cur.birth_date) &&
                   !strcmp(next.group_name, cur.group_name);
        if (same) {
            c->rep->people_unchanged++;
        } else if ((rc = cb_registry_person_update(c->r, &next, c->actor, &e)) < 0) {
            return line_failed(c, line, rc, &e);
        } else {
            c->rep->people_updated++;
        }
        d->person = next;
    } else {
        if ((rc = cb_registry_person_add(c->r, &d->person, c->actor, &e)) < 0)
            return line_failed(c, line, rc, &e);
        c->rep->people_added++;
    }
    cb_given_by given_by = CB_GIVEN_BY_SELF;
    if (d->given_by >= 0) {
        given_by = (cb_given_by)d->given_by;
    } else if (d->person.role == CB_ROLE_PUPIL && d->person.birth_date[0]) {
        int age = cb_date_age_on(d->person.birth_date, c->today);
        if (age < 0) {
            problem(c, line, "birth_date %s is after the import date %s", d->person.birth_date,
                    c->today);
            return 0;
        }
        given_by = age < c->self_age ? CB_GIVEN_BY_GUARDIAN : CB_GIVEN_BY_SELF;
    }
    for (int j = 0; j < c->n_pcols; j++) {
        if (d->decision[j] < 0)
            continue;
        cb_consent now;
        cb_consent rec = d->base;
        rec.person_id = d->person.id;
        rec.status = (cb_consent_status)d->decision[j];
        rec.given_by = given_by;
        snprintf(rec.purpose, sizeof rec.purpose, "%s", c->pcols[j].name);
        if ((rc = cb_registry_consent_current(c->r, rec.person_id, rec.purpose, &now, &found,
                                              err)) < 0)
            return rc;
        if (found && now.status == rec.status && now.given_by == rec.given_by &&
            !strcmp(now.given_by_name, rec.given_by_name) &&
            !strcmp(now.evidence_ref, rec.evidence_ref) &&
            !strcmp(now.valid_from, rec.valid_from) && !strcmp(now.valid_until, rec.valid_until)) {
            c->rep->consents_unchanged++;
            continue;
        }
        memset(&e, 0, sizeof e);
        if ((rc = cb_registry_consent_record(c->r, &rec, c->actor, &e)) < 0)
            return line_failed(c, line, rc, &e);
        c->rep->consents_recorded++;
    }
    return 0;
}

static int audit_import(import_ctx *c, const char *path, const char *hex, int dry_run,
                        cb_error *err)
{
    char details[512];
    cb_json_obj o;
    cb_json_obj_begin(&o, details, sizeof details);
    cb_json_obj_str(&o, "file", cb_path_basename(path), 120);
    cb_json_obj_str(&o, "sha256", hex, 64);
    cb_json_obj_int(&o, "rows", c->rep->rows);
    cb_json_obj_int(&o, "people_added", c->rep->people_added);
    cb_json_obj_int(&o, "people_updated", c->rep->people_updated);
    cb_json_obj_int(&o, "consents_recorded", c->rep->consents_recorded);
    if (dry_run)
        cb_json_obj_int(&o, "dry_run", 1);
    cb_json_obj_end(&o);
    return cb_reg_audit_append(c->r, c->actor, "import", "", details, err);
}

/* The header line, after a check for UTF-16 (which the CSV reader would
 * take for garbage). Problems with the file are reported, not returned;
 * returns 0 or a negative code (out of memory, registry). */
static int import_header(import_ctx *c, const char *data, size_t len, cb_csv_reader *rd,
                         cb_csv_row *row, cb_error *err)
{
    char msg[160];
    if (len >= 2 && (((unsigned char)data[0] == 0xFF && (unsigned char)data[1] == 0xFE) ||
                     ((unsigned char)data[0] == 0xFE && (unsigned char)data[1] == 0xFF))) {
        problem(c, 1, "the file is UTF-16 text (Excel's \"Unicode Text\"): save it as "
                      "\"CSV UTF-8\"");
        return 0;
    }
    cb_csv_init(rd, data, len);
    int got = cb_csv_next(rd, row, msg, sizeof msg);
    if (got == -2)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    if (got == 0) {
        problem(c, 1, "no header line (the file is empty)");
    } else if (got < 0) {
        problem(c, row->line, "%s", msg);
    } else {
        int rc = read_header(c, row, err);
        if (rc < 0 && rc != CB_EINVAL)
            return rc;
    }
    return 0;
}

/* The data lines, each checked and (when it has no problem) applied. */
static int import_lines(import_ctx *c, cb_csv_reader *rd, cb_csv_row *row, cb_error *err)
{
    char msg[160];
    line_data d;
    int got, rc = 0;
    memset(&d, 0, sizeof d);
    d.decision = calloc((size_t)c->n_pcols + 1, 1);
    if (!d.decision)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    while (rc == 0 && (got = cb_csv_next(rd, row, msg, sizeof msg)) != 0) {
        if (got == -2) {
            rc = cb_error_set(err, CB_ENOMEM, "out of memory");
            break;
        }
        c->rep->rows++;
        if (got < 0) {
            problem(c, row->line, "%s", msg);
            continue;
        }
        if (row->n_fields != c->n_cols) {
            problem(c, row->line, "%d fields, but the header has %d", row->n_fields, c->n_cols);
            continue;
        }
        signed char *decision = d.decision;
        memset(&d, 0, sizeof d);
        d.decision = decision;
        int pr = parse_line(c, row, &d);
        if (pr == -2)
            rc = cb_error_set(err, CB_ENOMEM, "out of memory");
        else if (pr == 0)
            rc = apply_line(c, row->line, &d, err);
    }
    free(d.decision);
    return rc;
}

/* The actor and the import date of the options into c. */
static int import_setup(import_ctx *c, const cb_import_opts *opts, const char *actor,
                        char who[64], cb_error *err)
{
    int rc = cb_reg_actor(actor, who, err);
    if (rc < 0)
        return rc;
    c->actor = who;
    if (!opts->today) {
        cb_date_today(c->today);
        return 0;
    }
    if ((rc = cb_text_check_date(opts->today, "import date", err)) < 0)
        return rc;
    snprintf(c->today, sizeof c->today, "%s", opts->today);
    return 0;
}

int cb_import_csv(cb_registry *r, const char *path, const cb_import_opts *opts,
                  const char *actor, cb_import_report *report, cb_error *err)
{
    static const cb_import_opts no_opts = {0};
    import_ctx c = {0};
    cb_csv_reader rd;
    cb_csv_row row = {0};
    char *data = NULL, hex[65], who[64];
    size_t len = 0;
    int rc, in_tx = 0;
    if (!report)
        return cb_error_set(err, CB_EINVAL, "cb_import_csv: no report");
    memset(report, 0, sizeof *report);
    if (!r || !path)
        return cb_error_set(err, CB_EINVAL, "cb_import_csv: no registry or path");
    if (!opts)
        opts = &no_opts;
    c.r = r;
    c.rep = report;
    if ((rc = import_setup(&c, opts, actor, who, err)) < 0)
        return rc;
    if ((rc = read_file(path, &data, &len, hex, err)) < 0)
        return rc;
    rc = cb_registry_setting_get_int(r, "self_consent_from_age", &c.self_age, err);
    if (rc == 0 && (rc = cb_reg_tx_begin(r, err)) == 0)
        in_tx = 1;
    if (rc == 0)
        rc = import_header(&c, data, len, &rd, &row, err);
    if (rc == 0 && report->n_errors == 0)
        rc = import_lines(&c, &rd, &row, err);
    if (rc == 0 && report->n_errors == 0)
        rc = audit_import(&c, path, hex, opts->dry_run, err);
    if (rc == 0 && report->n_errors > 0)
        rc = cb_error_set(err, CB_EINVAL, "%s: %d problem%s; nothing imported", path,
                          report->n_errors, report->n_errors == 1 ? "" : "s");
    if (in_tx) {
        if (rc < 0 || opts->dry_run)
            cb_reg_tx_rollback(r);
        else
            rc = cb_reg_tx_commit(r, err);
    }
    free(c.pcols);
    free(c.seen);
    cb_csv_row_free(&row);
    free(data);
    return rc;
}

void cb_import_report_free(cb_import_report *report)
{
    if (!report)
        return;
    free(report->errors);
    report->errors = NULL;
    report->n_kept = 0;
}

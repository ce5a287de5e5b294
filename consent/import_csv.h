/*
 * import_csv.h - import people and consent decisions from a pupil
 * administration export (CSV) into the registry, all or nothing.
 *
 * The file: UTF-8 (an optional byte order mark is skipped; a UTF-16 file, as
 * Excel's "Unicode Text" writes it, or any NUL byte is a problem reported
 * as such), comma separated, RFC 4180 quoting ("Doe, Jane", "the ""big""
 * one"; quoted fields may span lines), LF or CRLF line ends, blank lines
 * ignored. The
 * first line is a header naming the columns; their order is free, names are
 * matched without regard to case and surrounding spaces, each may appear
 * once, and an unknown column is an error (typo protection). Values are
 * trimmed of surrounding spaces and tabs.
 *
 *   external_id    required; the pupil/staff number, unique in the file
 *   name           required
 *   role           required: pupil, staff or other
 *   birth_date     YYYY-MM-DD; required for pupils (optional column: without
 *                  it, existing people keep theirs)
 *   group          class or group (optional column)
 *   <purpose>      one optional column per purpose the registry knows
 *                  (social, website, newsletter, print, internal, or added
 *                  ones): yes = granted, no = refused, empty = no record
 *   given_by       self or guardian; empty or no column: guardian for a
 *                  pupil younger than self_consent_from_age on the import
 *                  date, else self
 *   given_by_name  who signed (the guardian's name)
 *   evidence_ref   where the signed form is
 *   valid_from     YYYY-MM-DD, first day the consent counts
 *   valid_until    YYYY-MM-DD, last day it counts
 * The last five apply to every consent recorded from that line.
 *
 * A person whose external_id is known already is updated (name, role,
 * birth date, group: those whose columns are present) and gets the new
 * consent records. A yes/no that says the same as the record that counts
 * now (same status, signer, evidence and dates) adds nothing, so importing
 * the same file twice changes nothing the second time.
 *
 * Everything happens in one transaction: when any line has a problem,
 * nothing is written and every problem is reported with its line number.
 * Each change is audited as usual, plus one `import` row with the file's
 * name and SHA-256 and the counts.
 */
#ifndef CB_IMPORT_CSV_H
#define CB_IMPORT_CSV_H

#include "registry.h"

#define CB_IMPORT_MAX_ERRORS 200 /* problems kept in the report (all are counted) */
#define CB_IMPORT_MAX_BYTES (64L * 1024 * 1024)

typedef struct cb_import_opts {
    int dry_run;        /* check and count everything, then roll back */
    const char *today;  /* "YYYY-MM-DD" for age rules; NULL: cb_date_today() */
} cb_import_opts;

typedef struct cb_import_report {
    int rows;                 /* data lines read */
    int people_added;
    int people_updated;
    int people_unchanged;
    int consents_recorded;
    int consents_unchanged;   /* yes/no equal to the record that counts now */
    int n_errors;             /* problems found (may exceed the number kept) */
    int n_kept;               /* entries in errors */
    char (*errors)[256];      /* "line N: message", by line; malloc'd */
} cb_import_report;

/*
 * Import the CSV at path. actor NULL: the default actor. report is filled
 * (zeroed first) also on failure; free it with cb_import_report_free.
 * Returns 0 (applied, or checked with dry_run), CB_EINVAL when the file has
 * problems (err says how many; report->errors lists them; nothing written),
 * -errno when it cannot be read, CB_ETOOBIG over CB_IMPORT_MAX_BYTES, or a
 * registry error (CB_EDB, CB_EBUSY; nothing written).
 */
int cb_import_csv(cb_registry *r, const char *path, const cb_import_opts *opts,
                  const char *actor, cb_import_report *report, cb_error *err);

/* Free the errors of a report (the struct itself is the caller's). NULL ok. */
void cb_import_report_free(cb_import_report *report);

#endif

/*
 * integrity.h - does the registry file still hold what consentblur wrote?
 * Someone with write access to the file (the sqlite3 shell) can drop the
 * triggers and change rows. What is checked:
 *
 * - the audit log's hash chain (cb_registry_audit_verify): an edited,
 *   inserted or deleted row breaks it;
 * - its tail, against anchors kept elsewhere: every processing record (run)
 *   stores the audit head it was judged against, and each must still be in
 *   the chain; the caller may give one more (`audit verify --expect`),
 *   kept off the machine or in the system log (the watch service logs it);
 * - the schema's triggers, against those the migrations create;
 * - the tables against the log (consent/replay.h): people, consents,
 *   template counts, purposes, settings; a row the log does not explain,
 *   one it says exists but the table lacks, a field that differs.
 *
 * What cannot be caught by the file alone: someone who rewrites the log
 * into a valid chain of their own AND every anchor (the runs, the system
 * log, the head kept elsewhere); rows written before the log kept digests
 * are checked only on what their log rows carry (counted, not reported).
 *
 * The quick check is what process, check, batch and watch run before they
 * judge: triggers, purposes and settings, and the people whose templates
 * are loaded (indexed queries per person, their audit rows' own hashes).
 * Both checks read one snapshot (a read transaction), so a change another
 * process commits meanwhile is never mistaken for tampering.
 *
 * Errors as in registry.h; finding a difference is not an error (returns 0
 * with the findings in the report). Not thread-safe (one handle).
 */
#ifndef CB_INTEGRITY_H
#define CB_INTEGRITY_H

#include <stdint.h>

#include "../common/cb_error.h"
#include "registry.h"
#include "replay.h"

/* The newest audit row: id, hash, time. */
typedef struct cb_audit_head {
    int64_t id;
    char hash[65];
    char at[21];
} cb_audit_head;

/* The head now (id 0 and "" when the log is empty). */
int cb_registry_audit_head(cb_registry *r, cb_audit_head *out, cb_error *err);

/* Parse "ID:HASH" (a positive id, 64 hex digits; stored lower-case) into
 * out (at ""). 0, or CB_EINVAL. */
int cb_audit_head_parse(const char *text, cb_audit_head *out);

typedef struct cb_integrity_report {
    int64_t rows;               /* full check: audit rows whose chain was checked */
    int64_t first_bad;          /* full check: first row that breaks the chain, 0: none */
    int64_t runs_anchored;      /* runs whose recorded head was checked */
    int64_t runs_without_head;  /* runs recorded before heads were kept: nothing to check */
    cb_findings findings;       /* every difference (findings.total) */
} cb_integrity_report;

/* Was anything found that the log does not explain? */
int cb_integrity_tampered(const cb_integrity_report *rep);

/*
 * Everything above, for `audit verify`: the chain, the triggers, every
 * run's head and `expect` (may be NULL: id and hash are checked), the
 * rows of no person, every person in the log or the people table, and
 * consent records and templates of people who are in neither.
 * *rep is zeroed first; free with cb_integrity_report_free.
 */
int cb_registry_integrity_check(cb_registry *r, const cb_audit_head *expect,
                                cb_integrity_report *rep, cb_error *err);

/* The quick check for the n people (registry ids; repeats allowed) about
 * to be judged; see above. *rep as for the full check. */
int cb_registry_integrity_quick(cb_registry *r, const int64_t *person_ids, int n,
                                cb_integrity_report *rep, cb_error *err);

/* Free the findings. Accepts NULL. */
void cb_integrity_report_free(cb_integrity_report *rep);

#endif

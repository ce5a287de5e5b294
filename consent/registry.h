/*
 * registry.h - the consent registry: one sqlite3 file holding the people
 * the school knows, their consent records per purpose, their face templates
 * and a hash-chained, append-only audit log of every change; and, through
 * consent/runs.h, an append-only record of every processing run.
 *
 * The file is created with mode 0600, runs in WAL mode with a busy timeout
 * (several processes may use it at once: a watcher reading while staff edit),
 * has secure_delete on (erased templates are overwritten, not just unlinked),
 * and carries its schema version in PRAGMA user_version; opening an older
 * file migrates it forward in one transaction, opening a newer one fails.
 *
 * Every function returns 0 or a negative code and fills the optional err:
 * CB_EDB for sqlite errors (sqlite's message copied at once), CB_EBUSY when
 * the database stayed locked past the timeout, CB_ENOTFOUND for an unknown
 * person/record, CB_EEXIST for a duplicate external id, CB_EINVAL for bad
 * arguments (the message says which). Every change is written together with
 * its audit row in one transaction: either both land or neither does.
 *
 * Strings in the structs below are fixed-size and NUL-terminated; dates are
 * "YYYY-MM-DD" (empty: none), timestamps "YYYY-MM-DDTHH:MM:SSZ" (UTC).
 * Every text must be valid UTF-8 without control characters and fit its
 * field (CB_EINVAL otherwise). Wherever a function takes `actor`, NULL means
 * cb_registry_default_actor(). A registry handle is not thread-safe; open one
 * per thread.
 *
 * Concurrency: every write runs in a BEGIN IMMEDIATE transaction (the write
 * lock is taken up front, waiting up to 10 s for another writer), so two
 * processes never fail half way through a change; readers never block
 * writers (WAL). CB_EBUSY only when a lock was held for longer than that.
 *
 * Erasure: changes that delete data (template erase, a withdrawal or
 * refusal that erases templates, person removal) finish with
 * PRAGMA wal_checkpoint(TRUNCATE) after their commit. Should that time out
 * (a reader held the WAL for more than 10 s) the change IS saved and the
 * function returns CB_EBUSY saying the bytes remain in the -wal file until
 * the next checkpoint; calling cb_registry_templates_erase again finishes it.
 *
 * Files: the sqlite database at `path` plus `path`-wal and `path`-shm while
 * it is in use, all mode 0600. Nothing else is written. Schema migrations
 * are audited (registry.migrate) under cb_registry_default_actor().
 */
#ifndef CB_REGISTRY_H
#define CB_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include "../common/cb_error.h"

typedef struct cb_registry cb_registry;

/* Schema version this build writes (PRAGMA user_version). */
#define CB_REGISTRY_SCHEMA_VERSION 5

/* The default registry path when --registry is not given:
 * $CONSENTBLUR_REGISTRY, else $XDG_DATA_HOME/consentblur/registry.db, else
 * $HOME/.local/share/consentblur/registry.db. Written into out. Returns 0 or
 * CB_EINVAL when it does not fit / HOME is unset. */
int cb_registry_default_path(char *out, size_t size, cb_error *err);

enum {
    CB_REGISTRY_CREATE = 1,   /* create the file (0600) and its folder if missing */
    CB_REGISTRY_READONLY = 2  /* open for reading only (process/check) */
};

/*
 * Open (and with CB_REGISTRY_CREATE create) the registry at path. Applies
 * pending migrations. A file that is not a registry (not sqlite, or a sqlite
 * file without our schema and not empty) is refused with CB_EDB naming it;
 * so is a registry whose schema is newer than CB_REGISTRY_SCHEMA_VERSION.
 * An existing empty file is initialised like a new one. Without
 * CB_REGISTRY_CREATE a missing file is CB_ENOTFOUND. With
 * CB_REGISTRY_READONLY nothing is migrated (CB_EDB when a migration is
 * pending or the file is uninitialised) and every change fails with
 * CB_EINVAL; CREATE and READONLY together are CB_EINVAL. A new folder is
 * created with mode 0700, a new file with 0600.
 * Returns 0 and a handle in *out (close with cb_registry_close).
 */
int cb_registry_open(const char *path, int flags, cb_registry **out, cb_error *err);

/* Close. Accepts NULL. */
void cb_registry_close(cb_registry *r);

/* The path the registry was opened with (owned by r). */
const char *cb_registry_path(const cb_registry *r);

/*
 * Group several changes into one transaction (e.g. consent for three
 * purposes, or a template per enrolment photo): every function called
 * between begin and commit joins it, so either all of them land or none.
 * Groups nest (savepoints). A function that fails inside a group undoes its
 * own part only; the caller decides whether to commit the rest or roll back.
 * commit: 0, or the error (then everything in the group is rolled back).
 * After the outermost commit, erased templates are checkpointed out of the
 * WAL; if that fails (CB_EBUSY: a reader held the WAL past the timeout) the
 * changes ARE committed and the message says the bytes are still in the
 * -wal file until the next checkpoint. rollback accepts a handle with no
 * open group (no-op).
 */
int cb_registry_begin(cb_registry *r, cb_error *err);
int cb_registry_commit(cb_registry *r, cb_error *err);
void cb_registry_rollback(cb_registry *r);

/* ---- people ------------------------------------------------------------ */

typedef enum cb_role { CB_ROLE_PUPIL = 0, CB_ROLE_STAFF = 1, CB_ROLE_OTHER = 2 } cb_role;

/* "pupil", "staff", "other". */
const char *cb_role_name(cb_role role);
/* Parse a role name; 0 or CB_EINVAL. */
int cb_role_parse(const char *name, cb_role *out);

typedef struct cb_person {
    int64_t id;               /* assigned by the registry */
    char external_id[64];     /* e.g. the pupil number; unique, required */
    char name[128];           /* required */
    cb_role role;
    char birth_date[11];      /* "YYYY-MM-DD" or "" (required for pupils) */
    char group_name[64];      /* class / group, may be "" */
    char created_at[21];
} cb_person;

/* Add a person; p->id is set. CB_EEXIST if the external id is taken,
 * CB_EINVAL for a missing name/id, a bad date, or a pupil without birth date. */
int cb_registry_person_add(cb_registry *r, cb_person *p, const char *actor, cb_error *err);

/* Change a person's name, role, birth date and group (by p->id; the
 * external id and created_at are not changed). Same checks as add;
 * CB_ENOTFOUND for an unknown id. Audited as person.update with the names
 * (not the values) of the fields that changed; no change, no audit row. */
int cb_registry_person_update(cb_registry *r, const cb_person *p, const char *actor,
                              cb_error *err);

/* Look a person up by external id (first) or, if that fails and the text
 * is a number, by registry id. CB_ENOTFOUND when neither matches. */
int cb_registry_person_find(cb_registry *r, const char *key, cb_person *out, cb_error *err);

/* By registry id. CB_ENOTFOUND when there is none. */
int cb_registry_person_get(cb_registry *r, int64_t id, cb_person *out, cb_error *err);

/* Every person, ordered by external id. *out is malloc'd (free() it);
 * *count may be 0 (then *out may be NULL). */
int cb_registry_person_list(cb_registry *r, cb_person **out, int *count, cb_error *err);

/* Remove a person with their consent records and templates (templates
 * overwritten on disk, WAL checkpointed). The audit log keeps a row saying
 * who removed whom (external id), nothing biometric; processing records
 * (runs.h) that name them by external id are left as they are. */
int cb_registry_person_remove(cb_registry *r, int64_t id, const char *actor, cb_error *err);

/* ---- purposes (configurable channels) ------------------------------------ */

/* Is `name` a known purpose? *known = 1/0. New registries know social,
 * website, newsletter, print, internal. */
int cb_registry_purpose_exists(cb_registry *r, const char *name, int *known, cb_error *err);
/* Add a purpose (lower-case letters, digits, '-' and '_', 1-31 chars,
 * starting with a letter). CB_EEXIST when it is known already. */
int cb_registry_purpose_add(cb_registry *r, const char *name, const char *actor, cb_error *err);
/* All purposes, as a malloc'd array of 32-byte names (free() it). */
int cb_registry_purpose_list(cb_registry *r, char (**names)[32], int *count, cb_error *err);

/* ---- settings ------------------------------------------------------------ */

/* Known settings and their defaults:
 *   guardian_consent_until_age  16   a guardian's consent stops counting on
 *                                    the pupil's birthday at this age; 0 = never
 *   self_consent_from_age       16   a pupil's own consent counts from this age
 */
int cb_registry_setting_get_int(cb_registry *r, const char *key, int *value, cb_error *err);
/* get: CB_EINVAL for an unknown key; the default when it was never set.
 * set: CB_EINVAL for an unknown key or a value outside 0-30. Audited. */
int cb_registry_setting_set_int(cb_registry *r, const char *key, int value, const char *actor,
                                cb_error *err);

typedef struct cb_setting {
    char key[48];
    int value;             /* current value */
    int default_value;
    int is_set;            /* 1 when stored in the registry, 0 when the default applies */
    char description[160];
} cb_setting;

/* Every known setting, in a fixed order. *out is malloc'd (free() it). */
int cb_registry_setting_list(cb_registry *r, cb_setting **out, int *count, cb_error *err);

/* ---- consent records ----------------------------------------------------- */

typedef enum cb_consent_status {
    CB_CONSENT_GRANTED = 0,
    CB_CONSENT_REFUSED = 1,
    CB_CONSENT_WITHDRAWN = 2
} cb_consent_status;

typedef enum cb_given_by { CB_GIVEN_BY_SELF = 0, CB_GIVEN_BY_GUARDIAN = 1 } cb_given_by;

const char *cb_consent_status_name(cb_consent_status s); /* granted/refused/withdrawn */
const char *cb_given_by_name(cb_given_by g);             /* self/guardian */
int cb_given_by_parse(const char *name, cb_given_by *out);

typedef struct cb_consent {
    int64_t id;                 /* assigned */
    int64_t person_id;
    char purpose[32];
    cb_consent_status status;
    cb_given_by given_by;
    char given_by_name[128];    /* who signed (the guardian's name), may be "" */
    char evidence_ref[256];     /* where the signed form is (path, document number) */
    char evidence_sha256[65];   /* SHA-256 of the evidence file, hex, may be "" */
    char valid_from[11];        /* first day it counts; "" = from the recording date */
    char valid_until[11];       /* last day it counts; "" = open-ended */
    char recorded_by[64];
    char recorded_at[21];
    char withdrawn_at[21];      /* set when status is WITHDRAWN */
    char withdrawn_by[64];
} cb_consent;

/*
 * Record a consent decision (granted or refused) for one purpose; c->id and
 * c->recorded_at are set, recorded_by = actor (withdrawn_* are cleared).
 * An earlier granted record for the same person and purpose stays in the
 * history; the newest record (highest id) of a purpose is the one that
 * counts. CB_EINVAL for an unknown purpose, a status other than granted or
 * refused, a bad date, valid_until before valid_from, or a malformed evidence
 * hash (64 hex digits; stored lower-case); CB_ENOTFOUND for an unknown person.
 * A refusal that leaves the person with no granted consent for any purpose
 * erases their templates, as a withdrawal does (a refusal that replaces a
 * grant is a withdrawal in effect). Audited as consent.grant/consent.refuse.
 */
int cb_registry_consent_record(cb_registry *r, cb_consent *c, const char *actor, cb_error *err);

/*
 * Withdraw the person's granted consent for `purpose` (NULL: every purpose):
 * where the record that counts (the newest) for such a purpose is GRANTED,
 * it becomes WITHDRAWN with withdrawn_at = now, withdrawn_by = actor (one
 * consent.withdraw audit row each). Purposes whose newest record is refused
 * or withdrawn already are left alone. *n_withdrawn (may be NULL) says how
 * many records changed (0 is not an error). If afterwards the person holds
 * no granted consent for any purpose and has templates, they are erased in
 * the same transaction (see cb_registry_templates_erase). CB_ENOTFOUND for an
 * unknown person, CB_EINVAL for an unknown purpose.
 */
int cb_registry_consent_withdraw(cb_registry *r, int64_t person_id, const char *purpose,
                                 const char *actor, int *n_withdrawn, cb_error *err);

/* Consent records of one person (person_id > 0) or of everyone (0), oldest
 * first. *out is malloc'd (free() it). */
int cb_registry_consent_list(cb_registry *r, int64_t person_id, cb_consent **out, int *count,
                             cb_error *err);

/* The record that counts for (person, purpose): the newest one. *found = 0
 * when the person has none for that purpose. */
int cb_registry_consent_current(cb_registry *r, int64_t person_id, const char *purpose,
                                cb_consent *out, int *found, cb_error *err);

/* Does the person hold a granted consent: is the record that counts of some
 * purpose GRANTED? The rule cb_registry_template_add applies (*holds 0/1). */
int cb_registry_holds_consent(cb_registry *r, int64_t person_id, int *holds, cb_error *err);

/* ---- face templates ------------------------------------------------------ */

typedef struct cb_template {
    int64_t id;
    int64_t person_id;
    char model_id[64];          /* which embedder made it (see embedder.h) */
    float quality;              /* 0..1, from the enrolment photo */
    char source_sha256[65];     /* SHA-256 of the enrolment photo */
    int dim;                    /* number of floats in embedding */
    float *embedding;           /* owned by the array it sits in; NULL when not loaded */
    char created_at[21];
} cb_template;

/* Store one template (the floats are copied, little-endian float32 BLOB);
 * *id (may be NULL) is set. Only for a person who holds granted consent for
 * at least one purpose (CB_EINVAL otherwise: templates are kept only for
 * people who consented). CB_EINVAL for dim outside 1-4096, a non-finite
 * value, quality outside 0..1, an empty model id or a malformed hash ("" is
 * allowed). Audited as template.add (model, dim, quality: no values). */
int cb_registry_template_add(cb_registry *r, int64_t person_id, const char *model_id,
                             const float *embedding, int dim, float quality,
                             const char *source_sha256, const char *actor, int64_t *id,
                             cb_error *err);

/* Every template made by model_id, of people who still hold at least one
 * granted consent record. Free with cb_registry_templates_free. */
int cb_registry_templates_load(cb_registry *r, const char *model_id, cb_template **out,
                               int *count, cb_error *err);

/* Every template of one person (any model), oldest first; the embedding
 * values only when with_embeddings (else embedding = NULL, dim still set).
 * Free with cb_registry_templates_free. */
int cb_registry_template_list(cb_registry *r, int64_t person_id, int with_embeddings,
                              cb_template **out, int *count, cb_error *err);

/* Number of templates a person has (any model). */
int cb_registry_template_count(cb_registry *r, int64_t person_id, int *count, cb_error *err);

/* Free an array from cb_registry_templates_load/_list. Accepts NULL. */
void cb_registry_templates_free(cb_template *t, int count);

/* Erase every template of a person: rows deleted with secure_delete on, then
 * (after the commit) the WAL checkpointed and truncated, so the embedding
 * bytes are gone from the database file and its -wal. Audited as
 * template.erase with `reason` (may be NULL) and the count, even when the
 * person had none. CB_EBUSY after the commit: see cb_registry_commit. */
int cb_registry_templates_erase(cb_registry *r, int64_t person_id, const char *reason,
                                const char *actor, cb_error *err);

/* ---- audit log -----------------------------------------------------------
 *
 * Append-only: triggers abort any UPDATE or DELETE of an audit row. Details
 * are a short JSON object without names or biometric data (the subject is
 * the external id). Actions: registry.migrate, person.add, person.update,
 * person.remove, consent.grant, consent.refuse, consent.withdraw,
 * template.add, template.erase, purpose.add, setting.set, import, review.redact
 * (consent/run_review.h).
 *
 * Hash chain: hash = lower-case hex SHA-256 of the bytes
 *     prev_hash  then, for each of id (decimal), at, actor, action, subject,
 *     details in this order: "\n", the field's length in bytes (decimal),
 *     ":", the field's bytes
 * where prev_hash is the previous row's hash (the first row: 64 '0's).
 * A changed, inserted or deleted row breaks the chain at that row or the
 * next; cutting rows off the end is not detectable from the chain alone:
 * consent/integrity.h checks it against anchors kept elsewhere (the heads
 * runs recorded, a head given to check) and the tables against the log.
 * New person.add/update rows carry the role and a digest of name, birth
 * date and group; consent.grant/refuse rows a digest of signer, evidence
 * reference and recording time; consent.withdraw rows withdrawn_at.
 */

typedef struct cb_audit_row {
    int64_t id;
    char at[21];
    char actor[64];
    char action[32];       /* e.g. person.add, consent.grant, template.erase */
    char subject[64];      /* external id of the person concerned, or "" */
    char details[512];     /* short JSON object */
    char prev_hash[65];
    char hash[65];         /* SHA-256 over prev_hash and this row's fields */
} cb_audit_row;

/* Rows with id > after_id, oldest first, at most limit (0: all). Free() *out. */
int cb_registry_audit_list(cb_registry *r, int64_t after_id, int limit, cb_audit_row **out,
                           int *count, cb_error *err);

/*
 * Did anything change since the audit row `since` (a run's registry_version,
 * the head it judged on)? *changed = 1 when a newer audit row exists that is
 * not a review.redact row (a region redacted by hand changes no consent),
 * else 0. Every change to people, consent, templates or settings writes an
 * audit row, so 0 means the run's decisions still hold (a batch resuming
 * skips the file). On error *changed is 1.
 */
int cb_registry_changed_since(cb_registry *r, int64_t since, int *changed, cb_error *err);

/*
 * Recompute the hash chain. *rows = rows checked; *first_bad = id of the first
 * row whose hash or link does not match (0 when the chain is intact). A broken
 * chain is not an error (returns 0); only failing to read is.
 */
int cb_registry_audit_verify(cb_registry *r, int64_t *rows, int64_t *first_bad, cb_error *err);

/* The actor recorded for changes: $CONSENTBLUR_ACTOR, else the login name,
 * else the user name of the effective uid, else "uid:N". Written into out
 * (truncated to fit; at most 63 bytes are used). */
void cb_registry_default_actor(char *out, size_t size);

/* Hex SHA-256 of an audit row as described above (used by verify; exposed
 * for tests and external checkers). */
void cb_registry_audit_hash(const cb_audit_row *row, char out[65]);

#endif

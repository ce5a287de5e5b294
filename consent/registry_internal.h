/*
 * registry_internal.h - shared by the files of consent/ that implement
 * registry.h; not for use outside consent/.
 *
 * Conventions: every function that writes calls cb_reg_tx_begin first and
 * cb_reg_tx_commit / cb_reg_tx_rollback on its way out, so it is its own
 * transaction (BEGIN IMMEDIATE) or a savepoint inside the caller's group.
 * sqlite errors are turned into cb_error at once with cb_reg_db_error.
 */
#ifndef CB_REGISTRY_INTERNAL_H
#define CB_REGISTRY_INTERNAL_H

#include <sqlite3.h>

#include "registry.h"

#define CB_REG_BUSY_TIMEOUT_MS 10000 /* default; $CONSENTBLUR_BUSY_TIMEOUT (seconds) overrides */
/* PRAGMA application_id of a registry: "CBRG". */
#define CB_REG_APPLICATION_ID 0x43425247

struct cb_registry {
    sqlite3 *db;
    int readonly;
    int depth;              /* open transaction levels: 0 none, 1 BEGIN, >1 savepoints */
    int checkpoint_pending; /* templates deleted: checkpoint after the outermost commit */
    int committed;          /* the last cb_reg_tx_commit saved the changes (even when the
                               checkpoint after it failed) */
    int busy_ms;            /* how long to wait for another process's lock */
    char path[4096];
};

/* Translate sqlite's rc (and errmsg, copied now) into err. `what` says what
 * was being done. BUSY/LOCKED -> CB_EBUSY, NOTADB -> CB_EDB "not a registry",
 * everything else CB_EDB. Returns the code. */
int cb_reg_db_error(cb_registry *r, int rc, const char *what, cb_error *err);

/* Prepare one statement (CB_EDB on failure). */
int cb_reg_prepare(cb_registry *r, const char *sql, sqlite3_stmt **st, cb_error *err);

/* Run SQL without results (several statements allowed). */
int cb_reg_exec(cb_registry *r, const char *sql, cb_error *err);

/* *n = the count(*) that sql (binding ?1 = id) gives. 0 or the translated error. */
int cb_reg_count(cb_registry *r, const char *sql, int64_t id, int *n, cb_error *err);

/* Step a statement that returns no rows: 0, or the translated error. */
int cb_reg_step_done(cb_registry *r, sqlite3_stmt *st, const char *what, cb_error *err);

/* Bind text (NULL binds ""), copied by sqlite. Errors show up at step. */
void cb_reg_bind_text(sqlite3_stmt *st, int idx, const char *s);

/* Copy a text column into out (cut to fit at a character boundary). */
void cb_reg_column_text(sqlite3_stmt *st, int col, char *out, size_t size);

/* How cb_reg_collect reads the rows of a query into an array. */
typedef struct cb_reg_rows {
    size_t row_size; /* bytes per element of the array */
    /* Fill `row` (zeroed) from the statement's current row: with fill when a
     * row cannot fail, else with read: 0, or a negative code with err set
     * (the reading stops, the rows are dropped). */
    void (*fill)(sqlite3_stmt *st, void *row);
    int (*read)(sqlite3_stmt *st, void *row, void *ctx, cb_error *err);
    void (*release)(void *row); /* frees what read put in a row; NULL: nothing */
    void *ctx;                  /* passed to read */
    const char *what;           /* for sqlite's errors: "listing people" */
} cb_reg_rows;

/*
 * Step st to its end, each row read by how->read into a malloc'd array that
 * grows as needed; st is finalized in every case. Returns 0 with *rows (the
 * array, NULL when no rows; the caller frees it) and *count, or a negative
 * code with *rows NULL and *count 0, every row read so far released and the
 * array freed.
 */
int cb_reg_collect(cb_registry *r, sqlite3_stmt *st, const cb_reg_rows *how, void **rows,
                   int *count, cb_error *err);

/* Transactions, see the conventions above. */
int cb_reg_tx_begin(cb_registry *r, cb_error *err);
/* How every change starts: the actor to record (cb_reg_actor) into who,
 * then cb_reg_tx_begin. */
int cb_reg_write_begin(cb_registry *r, const char *actor, char who[64], cb_error *err);
int cb_reg_tx_commit(cb_registry *r, cb_error *err);
void cb_reg_tx_rollback(cb_registry *r);

/* PRAGMA wal_checkpoint(TRUNCATE): 0, or CB_EBUSY when readers kept it from
 * finishing. */
int cb_reg_checkpoint(cb_registry *r, cb_error *err);

/* The actor to record: actor, or the default when NULL; CB_EINVAL when it
 * is empty, too long or not text. */
int cb_reg_actor(const char *actor, char out[64], cb_error *err);

/* Append an audit row in the open transaction (depth > 0). */
int cb_reg_audit_append(cb_registry *r, const char *actor, const char *action,
                        const char *subject, const char *details, cb_error *err);

/* The person by external id only (no numeric fallback); *found 0/1. */
int cb_reg_person_by_external_id(cb_registry *r, const char *external_id, cb_person *out,
                                 int *found, cb_error *err);

/* Does the person hold a granted consent (newest record of some purpose is
 * GRANTED)? */
int cb_reg_has_granted(cb_registry *r, int64_t person_id, int *has, cb_error *err);

/* Delete a person's templates inside the open transaction, audit it as
 * template.erase (when any were deleted, or always when audit_empty) and
 * ask for a checkpoint after the commit. *n (may be NULL) = rows deleted. */
int cb_reg_templates_erase_tx(cb_registry *r, const cb_person *p, const char *reason,
                              const char *actor, int audit_empty, int *n, cb_error *err);

/* Schema (schema.c). identify: *version = PRAGMA user_version after
 * checking that the file is empty or ours (CB_EDB naming it otherwise).
 * migrate: bring the schema to CB_REGISTRY_SCHEMA_VERSION in one
 * transaction (CB_EDB for a newer one). */
int cb_reg_schema_identify(cb_registry *r, int *version, cb_error *err);
int cb_reg_schema_migrate(cb_registry *r, cb_error *err);

/* The SQL of migration `version` (1..CB_REGISTRY_SCHEMA_VERSION), NULL for
 * another number. Its last statement may use ?1 = the current timestamp.
 * For tests that build a file of an older version. */
const char *cb_reg_schema_sql(int version);

/* Run the statements of a migration's SQL on r's database, binding ?1 to
 * now (what a migration does, without recording it). */
int cb_reg_schema_run(cb_registry *r, const char *sql, const char *now, cb_error *err);

/* Salts and digests of rows, for their audit rows (integrity.c): a new
 * random salt (32 hex digits); the digest of a person's name, birth date and
 * group, and of a consent record's signer, evidence reference and recording
 * time (cb_replay_digest; "" for an empty salt). */
int cb_reg_new_salt(char out[33], cb_error *err);
void cb_reg_person_digest(const char *salt, const char *name, const char *birth_date,
                          const char *group_name, char out[65]);
void cb_reg_consent_digest(const char *salt, const char *signer, const char *evidence_ref,
                           const char *recorded_at, char out[65]);

#endif

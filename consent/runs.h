/*
 * runs.h - processing records: every processing run of a file (process,
 * batch, watch, check) is recorded in the registry (table `runs`, schema
 * version 2): what went in (path, SHA-256), what came out, for which
 * purpose and on which date consent was judged, how many faces were kept
 * and redacted, whom the kept faces show (external ids), which models did
 * it, when, where and by whom. So the school can show what was published
 * under which consent; and batches can resume and the watch folder restart
 * without redoing (or re-publishing) a file (cb_registry_run_find).
 *
 * Rules:
 * - Append-only: triggers abort any UPDATE or DELETE of a run row (like the
 *   audit log). Runs are NOT part of the hash-chained audit log (there is
 *   one per file; the audit log is for changes to consent), and recording
 *   one writes no audit row.
 * - Runs hold external ids and file names, never biometric data: `person
 *   remove` and template erasure leave them as they are (they are the
 *   record of what was published while the person's consent held).
 * - Concurrency as for the rest of the registry (registry.h): a record is
 *   one BEGIN IMMEDIATE transaction (or joins the caller's group,
 *   cb_registry_begin); reads never block and are never blocked (WAL). A
 *   handle opened CB_REGISTRY_READONLY can find and list, not record
 *   (CB_EINVAL): a `check` that judges through a read-only handle records
 *   its run through a second, writable one.
 *
 * Errors as in registry.h: 0 or a negative code with err filled (CB_EINVAL
 * names the field, CB_EDB/CB_EBUSY for sqlite). Text fields must be valid
 * UTF-8 without control characters and fit their buffers, except `error`,
 * which is cleaned instead (control characters become spaces, bytes that
 * are not UTF-8 '?', cut to fit): a failure is always recordable.
 */
#ifndef CB_RUNS_H
#define CB_RUNS_H

#include <stdint.h>

#include "../common/cb_error.h"
#include "registry.h"

/* What recorded the run. Stored as "process", "batch", "watch", "check". */
typedef enum cb_run_command {
    CB_RUN_PROCESS = 0,
    CB_RUN_BATCH = 1,
    CB_RUN_WATCH = 2,
    CB_RUN_CHECK = 3 /* decides only: never an output */
} cb_run_command;

/* Stored as "ok", "failed". A failed run has no output (fail closed). */
typedef enum cb_run_status { CB_RUN_OK = 0, CB_RUN_FAILED = 1 } cb_run_status;

const char *cb_run_command_name(cb_run_command c); /* NULL for an unknown value */
const char *cb_run_status_name(cb_run_status s);   /* NULL for an unknown value */
/* Parse a name; 0 or CB_EINVAL. */
int cb_run_command_parse(const char *name, cb_run_command *out);

#define CB_RUN_PATH_SIZE 4096

/*
 * One processing run of one file. For a video the face counts are tracks.
 * Fields marked "(record: default)" may be left "" when recording.
 */
typedef struct cb_run {
    int64_t id;                          /* assigned by the registry */
    char started_at[21];                 /* "YYYY-MM-DDTHH:MM:SSZ" (record: default now) */
    char finished_at[21];                /* same format, not before started_at
                                            (record: default now) */
    cb_run_command command;
    char input_path[CB_RUN_PATH_SIZE];   /* required, as given on the command line */
    char input_sha256[65];               /* 64 hex digits, stored lower-case; "" only in
                                            a failed run (the input could not be read) */
    char output_path[CB_RUN_PATH_SIZE];  /* "" (stored NULL): nothing written, which a
                                            check and a failed run must say */
    char output_sha256[65];              /* of the output: required with an output path,
                                            "" without one */
    char purpose[32];                    /* a purpose the registry knows, or "" for none
                                            (every face redacted: faces_kept must be 0) */
    char run_date[11];                   /* "YYYY-MM-DD": the date consent was judged for */
    int faces_total, faces_kept, faces_redacted; /* >= 0; ok runs: kept + redacted =
                                                    total; failed runs: <= total */
    char kept_people[4096];              /* JSON array of the external ids of the people
                                            left visible, e.g. ["P1007","S12"]
                                            (record: default "[]") */
    cb_run_status status;
    char error[512];                     /* why it failed: required when failed, "" when ok */
    char models[2048];                   /* JSON object: model ids and file SHA-256s, e.g.
                                            {"detector":{"id":..,"sha256":..},..}
                                            (record: default "{}") */
    int64_t registry_version;            /* the audit head's id when consent was read (0:
                                            unknown; cb_registry_changed_since); schema
                                            version 3 */
    char registry_hash[65];              /* the hash of that audit row (the head), 64 hex
                                            digits, or "" (unknown: older runs); checked by
                                            `audit verify` (consent/integrity.h) */
    char host[256];                      /* machine name (record: default gethostname) */
    char actor[64];                      /* who ran it (record: default
                                            cb_registry_default_actor) */
} cb_run;

/*
 * A file path as runs store it: valid UTF-8 text without control
 * characters. Other bytes (a newline in a file name, Latin-1 names) are
 * written as \xNN, and a backslash as \\, so different paths stay
 * different. Use it for input_path and output_path when recording, and for
 * output_path when looking a run up. Returns 0, or CB_EINVAL when the
 * result does not fit in size bytes.
 */
int cb_run_path_text(char *out, size_t size, const char *path, cb_error *err);

/* Zero *run and set kept_people "[]", models "{}", command process, status ok. */
void cb_run_init(cb_run *run);

/* Add an external id to run->kept_people (once: a second call with the same
 * id changes nothing). CB_EINVAL when it is empty, not text, or does not fit;
 * the array is unchanged then. */
int cb_run_add_kept_person(cb_run *run, const char *external_id, cb_error *err);

/* Add `"role": {"id": model_id, "sha256": file_sha256}` to run->models
 * (role e.g. "detector", "embedder"; file_sha256: 64 hex digits, stored
 * lower-case, or "" when unknown).
 * CB_EINVAL for empty or non-text arguments or when it does not fit; the
 * object is unchanged then. */
int cb_run_add_model(cb_run *run, const char *role, const char *model_id,
                     const char *file_sha256, cb_error *err);

/*
 * Record a finished run (the fields above, checked as described; id,
 * and the defaults, are not written back into *run). *id (may be NULL) =
 * the new row's id. CB_EINVAL for a field that breaks a rule above, an
 * unknown purpose, or a read-only handle.
 */
int cb_registry_run_record(cb_registry *r, const cb_run *run, int64_t *id, cb_error *err);

/*
 * The newest successful run with an output of the file whose content
 * hashes to input_sha256 (any case), for purpose ("" for runs without one),
 * into output_path when that is not NULL (several files may have the same
 * content):
 * what a batch resuming, or a watcher restarting, needs to know. Only runs
 * with status ok AND an output count (process, batch, watch): a `check`
 * writes nothing, a failed run left nothing. *found = 1 and *out filled,
 * or *found = 0 (out untouched). The caller decides whether that output is
 * the one it wants (same output path, file still there, output_sha256
 * still matching; run_date if consent may have changed since).
 */
int cb_registry_run_find(cb_registry *r, const char *input_sha256, const char *purpose,
                         const char *output_path, cb_run *out, int *found, cb_error *err);

/*
 * Runs with id > after_id, oldest first, at most limit (0: all; each cb_run
 * is about 11 KiB, so page through big registries with after_id). *out is
 * malloc'd (free() it); *count may be 0 (then *out may be NULL).
 */
int cb_registry_run_list(cb_registry *r, int64_t after_id, int limit, cb_run **out, int *count,
                         cb_error *err);

#endif

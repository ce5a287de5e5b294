/*
 * fuzz_csv.c - libFuzzer target for the CSV import (consent/import_csv.h,
 * and through it the RFC 4180 reader of consent/csv.c).
 *
 * One registry per process, in a temporary folder, with a few people and
 * consents imported at start-up (so that lines can update them). Each input
 * is written to an in-memory file and imported twice inside an outer
 * transaction that is rolled back afterwards, so every input sees the same
 * registry: once with dry_run, once for real. Results must be 0 or CB_EINVAL
 * (problems reported, with every kept message starting "line N: ") or
 * CB_ETOOBIG; never a registry error. Seeds: make_corpus.sh (csv/).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cb_error.h"
#include "consent/import_csv.h"
#include "consent/registry.h"
#include "fuzz_util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static cb_registry *reg;
static char dir[256];
static char db_path[512];

static void cleanup(void)
{
    char p[600];
    cb_registry_close(reg);
    reg = NULL;
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    for (int i = 0; i < 4; i++) {
        snprintf(p, sizeof p, "%s%s", db_path, suffixes[i]);
        unlink(p);
    }
    rmdir(dir);
}

static const char seed_csv[] =
    "external_id,name,role,birth_date,group,social,website,given_by_name,evidence_ref\n"
    "P1,Ada Pupil,pupil,2014-03-01,5B,yes,no,Ann Parent,form-1\n"
    "P2,Bo Pupil,pupil,2007-09-30,11A,no,yes,,form-2\n"
    "S1,Cy Staff,staff,,,yes,yes,,form-3\n";

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/cb-fuzz-csv-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        perror("fuzz_csv: mkdtemp");
        abort();
    }
    snprintf(db_path, sizeof db_path, "%s/registry.db", dir);
    atexit(cleanup);
    cb_error err = {0};
    if (cb_registry_open(db_path, CB_REGISTRY_CREATE, &reg, &err) != 0) {
        fprintf(stderr, "fuzz_csv: registry: %s\n", err.msg);
        abort();
    }
    const char *path = cb_fuzz_input_file((const uint8_t *)seed_csv, sizeof seed_csv - 1);
    cb_import_opts opts = {.dry_run = 0, .today = "2024-06-01"};
    cb_import_report rep;
    if (cb_import_csv(reg, path, &opts, "fuzz", &rep, &err) != 0) {
        fprintf(stderr, "fuzz_csv: seed import: %s (%s)\n", err.msg,
                rep.n_kept ? rep.errors[0] : "");
        abort();
    }
    cb_import_report_free(&rep);
    return 0;
}

static void import_once(const char *path, int dry_run)
{
    cb_import_opts opts = {.dry_run = dry_run, .today = "2024-06-01"};
    cb_import_report rep;
    cb_error err = {0};
    int rc = cb_import_csv(reg, path, &opts, "fuzz", &rep, &err);
    int ok = rc == 0 || rc == CB_EINVAL || rc == CB_ETOOBIG;
    if (ok && rc != 0 && err.code != rc)
        ok = 0;
    if (rc == 0 && (rep.n_errors != 0 || rep.n_kept != 0))
        ok = 0;
    if (rc == CB_EINVAL && (rep.n_errors <= 0 || rep.n_kept <= 0 || rep.n_kept > rep.n_errors ||
                            rep.n_kept > CB_IMPORT_MAX_ERRORS))
        ok = 0;
    for (int i = 0; ok && i < rep.n_kept; i++) {
        const char *e = rep.errors[i];
        if (strncmp(e, "line ", 5) != 0 || !memchr(e, '\0', sizeof rep.errors[0]))
            ok = 0;
    }
    if (rep.rows < 0 || rep.people_added < 0 || rep.consents_recorded < 0)
        ok = 0;
    if (!ok) {
        fprintf(stderr, "fuzz_csv: unexpected result %d (dry_run %d): '%s', %d problems%s%s\n", rc,
                dry_run, err.msg, rep.n_errors, rep.n_kept ? ", first: " : "",
                rep.n_kept ? rep.errors[0] : "");
        abort();
    }
    cb_import_report_free(&rep);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = cb_fuzz_input_file(data, size);
    cb_error err = {0};
    if (cb_registry_begin(reg, &err) != 0) {
        fprintf(stderr, "fuzz_csv: begin: %s\n", err.msg);
        abort();
    }
    import_once(path, 1);
    import_once(path, 0);
    cb_registry_rollback(reg);
    return 0;
}

/*
 * cli.h - what the command files share: exit codes, the stderr logger, the
 * command entry points, and small helpers for output paths and JSON.
 */
#ifndef CB_CLI_H
#define CB_CLI_H

#include <stdio.h>

#include "../common/cb_error.h"
#include "../common/cb_log.h"
#include "../common/i18n.h" /* _(), N_(), C_(): messages for people are translated */
#include "../common/json.h" /* the --json output */

/* Exit codes (documented in the README and in `consentblur --help`). */
enum {
    CB_EXIT_OK = 0,      /* every file processed */
    CB_EXIT_FAILED = 1,  /* at least one file failed, or the run could not start */
    CB_EXIT_USAGE = 2    /* bad command line */
};

/* Options every command accepts. */
typedef struct cb_cli_common {
    cb_logger log;          /* stderr, level from -v / -q */
    const char *model_dir;  /* --models, or NULL */
    const char *registry;   /* --registry, or NULL (cb_registry_default_path) */
} cb_cli_common;

/* ---- messages shared by the commands (cli/cli_messages.c) ----
 * The fixed text is translated (common/i18n.h); details from lower layers
 * (cb_error messages) are printed as they are. */

/* "consentblur: cannot start: DETAIL" on stderr: a run that could not begin. */
void cb_cli_cannot_start(const cb_error *err);

/* err->msg without a leading "PATH: " when it has one (PATH is named apart);
 * a pointer into err->msg. */
const char *cb_cli_detail(const char *path, const cb_error *err);

/* One line on stderr for a file that failed with status code:
 * "consentblur: FILE: failed: EXPLANATION (DETAIL)", the explanation from
 * cb_i18n_reason(code), the detail from cb_cli_detail(file, err). */
void cb_cli_file_failed(const char *file, int code, const cb_error *err);

/* ---- --json output on stdout (common/json.h) ---- */

/* A new builder holding `{"NAME": [`, the list of a `list` command, its
 * members each on a line of their own or all on one (layout). May return
 * NULL (no memory): the builder functions and cb_cli_json_list_done take it. */
cb_json *cb_cli_json_list(const char *name, cb_json_layout layout);

/* Close the list and the object cb_cli_json_list opened, then cb_cli_json_done. */
int cb_cli_json_list_done(cb_json *j);

/* Finish the document j on stdout (cb_json_finish, fflush) and free j.
 * Returns CB_EXIT_OK, or CB_EXIT_FAILED after "consentblur: cannot write the
 * JSON output: WHY" on stderr (no memory, a failed write, or a bug). */
int cb_cli_json_done(cb_json *j);

/* `consentblur redact IN... -o OUTDIR [options]`. Returns an exit code. */
int cb_cmd_redact(int argc, char **argv, const cb_cli_common *common);

/* Print the usage of `redact` to f. */
void cb_cmd_redact_usage(FILE *f);

/* `consentblur process IN... -o OUTDIR --purpose P [options]`. */
int cb_cmd_process(int argc, char **argv, const cb_cli_common *common);
void cb_cmd_process_usage(FILE *f);

/* `consentblur batch DIR -o OUTDIR --purpose P`: a folder tree, resumable, in parallel. */
int cb_cmd_batch(int argc, char **argv, const cb_cli_common *common);
void cb_cmd_batch_usage(FILE *f);

/* `consentblur watch INBOX --out OUTBOX --purpose P`: a watch folder. */
int cb_cmd_watch(int argc, char **argv, const cb_cli_common *common);
void cb_cmd_watch_usage(FILE *f);

/* `consentblur enroll PERSON PHOTO...`: store face templates of a consenting person. */
int cb_cmd_enroll(int argc, char **argv, const cb_cli_common *common);
void cb_cmd_enroll_usage(FILE *f);

/* `consentblur check FILE... --purpose P [options]`: exit 0 only if every face may be shown. */
int cb_cmd_check(int argc, char **argv, const cb_cli_common *common);
void cb_cmd_check_usage(FILE *f);

/* The registry commands (cli/cmd_person.c, cmd_consent.c, cmd_import.c,
 * cmd_export.c, cmd_audit.c, cmd_purpose.c, cmd_setting.c; shared parts in
 * cli_registry.h). Each takes --registry FILE, --actor NAME, -h after its name. */
int cb_cmd_person(int argc, char **argv, const cb_cli_common *common);
void cb_cmd_person_usage(FILE *f);
int cb_cmd_consent(int argc, char **argv, const cb_cli_common *common);
void cb_cmd_consent_usage(FILE *f);
int cb_cmd_import(int argc, char **argv, const cb_cli_common *common);
void cb_cmd_import_usage(FILE *f);
int cb_cmd_export(int argc, char **argv, const cb_cli_common *common);
void cb_cmd_export_usage(FILE *f);
int cb_cmd_audit(int argc, char **argv, const cb_cli_common *common);
void cb_cmd_audit_usage(FILE *f);
int cb_cmd_purpose(int argc, char **argv, const cb_cli_common *common);
void cb_cmd_purpose_usage(FILE *f);
int cb_cmd_setting(int argc, char **argv, const cb_cli_common *common);
void cb_cmd_setting_usage(FILE *f);
/* `consentblur runs list`: the processing records (cli/cmd_runs.c). */
int cb_cmd_runs(int argc, char **argv, const cb_cli_common *common);
void cb_cmd_runs_usage(FILE *f);
/* `consentblur review DIR`: the review page for an output folder (cli/cmd_review.c). */
int cb_cmd_review(int argc, char **argv, const cb_cli_common *common);
void cb_cmd_review_usage(FILE *f);

#endif

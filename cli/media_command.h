/*
 * media_command.h - what the commands that process photos and videos share:
 * `redact`, `process` and `check` (files named on the command line), `batch`
 * (a folder tree) and `watch` (a watch folder). One table of the commands
 * (what each can do) and one of their options (what each needs), one parser
 * (media_args.c); the per-file JSON and HTML report entries (media_command.c).
 */
#ifndef CB_MEDIA_COMMAND_H
#define CB_MEDIA_COMMAND_H

#include <stdio.h>

#include "../pipeline/job.h"
#include "../pipeline/report.h"
#include "cli.h"

typedef enum cb_media_mode {
    CB_MODE_REDACT,  /* every face redacted, no registry */
    CB_MODE_PROCESS, /* faces with valid consent kept, the rest redacted */
    CB_MODE_CHECK,   /* decide only; nothing written; exit 0 only if every face may be shown */
    CB_MODE_BATCH,   /* process a folder tree into another, resumable, in parallel */
    CB_MODE_WATCH    /* process what arrives in a watch folder */
} cb_media_mode;

/* What a command can do (cb_media_command_def.can); each option applies to
 * the commands that can do all it needs. */
enum {
    CB_MEDIA_WRITES = 1 << 0,   /* writes outputs: -o and the output options */
    CB_MEDIA_JUDGES = 1 << 1,   /* judges consent (registry, purpose) and records its runs */
    CB_MEDIA_VERDICT = 1 << 2,  /* says whether the files may be published as they are:
                                   a line per face that may not, exit 1 when any */
    CB_MEDIA_FOLDER = 1 << 3,   /* takes one folder rather than files */
    CB_MEDIA_PARALLEL = 1 << 4, /* several files at once (--jobs) */
    CB_MEDIA_WATCHES = 1 << 5   /* a watch folder (--archive, --failed, --settle, --once) */
};

/* One of these commands: its name, help, what it can do. */
typedef struct cb_media_command_def {
    const char *name;            /* "process" */
    void (*usage)(FILE *);       /* its help */
    unsigned can;                /* CB_MEDIA_* */
    cb_run_command run_command;  /* how its runs are recorded (with CB_MEDIA_JUDGES) */
    const char *missing_input;   /* the message when no input is given (N_(), translated
                                    where printed) */
} cb_media_command_def;

/* The definition of mode. Static storage. */
const cb_media_command_def *cb_media_command_def_of(cb_media_mode mode);

/* The most files `batch` processes at once (--jobs takes 1 to this): each job
 * holds its own detector and recogniser in memory, and a thread id each. */
enum { CB_MEDIA_MAX_JOBS = 64 };

/*
 * How many files `batch` processes at once without --jobs, on a machine with
 * `cpus` CPUs online (sysconf's answer: 0 or less when unknown): one per CPU,
 * at least 1, at most CB_MEDIA_MAX_JOBS. Pure; inline so tests call it.
 */
static inline int cb_media_default_jobs(long cpus)
{
    if (cpus < 1)
        return 1;
    return cpus < CB_MEDIA_MAX_JOBS ? (int)cpus : CB_MEDIA_MAX_JOBS;
}

/* The parsed command line of one of these commands. */
typedef struct cb_media_args {
    const cb_media_command_def *def; /* the command's definition */
    const char *name;      /* the command, for messages (def->name) */
    const char *out_dir;   /* -o / --out */
    const char *registry;  /* --registry after the command */
    const char *report;    /* --report FILE */
    cb_job_opts job;
    int json;              /* --json */
    int jobs;              /* batch: --jobs N (default: cb_media_default_jobs) */
    const char *archive;   /* watch: --archive DIR (default INBOX/archive) */
    const char *failed;    /* watch: --failed DIR (default INBOX/failed) */
    int settle_ms;         /* watch: --settle SECONDS (default 2) */
    int once;              /* watch: --once: process what is there, then exit */
    int first_input;       /* index in argv of the first file / folder */
} cb_media_args;

/*
 * Parse argv (argv[0] is the command name) for mode into *a (defaults for
 * everything not given; a->job.record and run_command as the command's
 * definition says). Returns 0; CB_EXIT_USAGE after printing why; or -1
 * after printing the help for -h (the command then exits 0).
 */
int cb_media_parse(cb_media_mode mode, int argc, char **argv, cb_media_args *a);

/* Print the option list for mode (used by each command's usage). */
void cb_media_command_options(cb_media_mode mode, FILE *f);

/* `redact`, `process`, `check`: run on argv. Returns an exit code (cli.h). */
int cb_media_command(cb_media_mode mode, int argc, char **argv, const cb_cli_common *common);

/* Add one file's outcome (rc, why) to an HTML report; a thumbnail that
 * cannot be made is only a warning on stderr (the card says so). */
void cb_media_report_file(cb_report *report, const char *in, const char *out, int rc,
                          const cb_error *why, const cb_job_result *r);

#endif

/*
 * cli_registry.h - what the registry commands (person, consent, import,
 * export, audit, purpose, setting) share: the options each of them takes
 * after its name (--registry FILE, --actor NAME, --json, -h/--help),
 * opening the registry, one-line error messages, and JSON for people and
 * consent records.
 */
#ifndef CB_CLI_REGISTRY_H
#define CB_CLI_REGISTRY_H

#include <getopt.h>
#include <stdio.h>

#include "../consent/registry.h"
#include "cli.h"

typedef struct cb_cli_reg {
    const char *registry; /* --registry FILE after the command name, or NULL */
    const char *actor;    /* --actor NAME, or NULL (cb_registry_default_actor) */
    int json;             /* --json */
    int help;             /* -h / --help */
} cb_cli_reg;

enum { CB_OPT_REGISTRY = 1000, CB_OPT_ACTOR, CB_OPT_JSON, CB_OPT_FIRST_OWN };

/* Entries for a getopt_long table (every registry command). */
#define CB_CLI_REG_OPTIONS                                                                     \
    {"registry", required_argument, NULL, CB_OPT_REGISTRY},                                    \
        {"actor", required_argument, NULL, CB_OPT_ACTOR}, {"help", no_argument, NULL, 'h'}
/* ... and for the commands that list something. */
#define CB_CLI_JSON_OPTION {"json", no_argument, NULL, CB_OPT_JSON}

/* Start parsing argv with getopt_long (argv[0] = the (sub)command name):
 * resets optind and silences getopt's own messages. */
void cb_cli_getopt_reset(void);

/*
 * For commands with subcommands (`person add ...`): find the subcommand,
 * the first argument after argv[0] that is neither an option nor the value
 * of --registry/--actor, and move it to argv[1] (so `person --registry F
 * add X` works like `person add X --registry F`). Returns 1 when found, 0
 * when there is none (then `*help` says whether -h/--help was given).
 */
int cb_cli_subcommand(int argc, char **argv, int *help);

/* One subcommand: its name and the function that runs it (argv[0] = the
 * subcommand's name). */
typedef struct cb_cli_sub {
    const char *name;
    int (*run)(int argc, char **argv, const cb_cli_common *common);
} cb_cli_sub;

/* A command made of subcommands (person, consent, purpose, setting, audit,
 * runs): its name, its help, the messages for a missing and an unknown
 * subcommand (marked with N_(); `unknown` has one %s, the name given) and
 * its subcommands, the list ended by {NULL, NULL}. */
typedef struct cb_cli_group {
    const char *name;
    void (*usage)(FILE *f);
    const char *missing, *unknown;
    const cb_cli_sub *subs;
} cb_cli_group;

/* Find the subcommand (cb_cli_subcommand) and run it; without one: the
 * help with -h (CB_EXIT_OK), else the `missing` message (CB_EXIT_USAGE);
 * one not in the list: the `unknown` message (CB_EXIT_USAGE). */
int cb_cli_group_run(const cb_cli_group *g, int argc, char **argv, const cb_cli_common *common);

/* Take one of the shared options into o. Returns 1 when c was one. */
int cb_cli_reg_option(int c, cb_cli_reg *o);

/*
 * Parse argv (argv[0] = the subcommand name `cmd`, e.g. "purpose add") for a
 * subcommand that takes only the shared options (--registry, --actor, -h;
 * --json when json_ok; --yes/-y when yes is not NULL, which then gets 1 or
 * stays as it was) and exactly `positional` arguments, left at
 * argv[optind..]. -h prints usage(stdout). count_error is the message when
 * the number of arguments is wrong. Returns -1 to go on, else the exit code
 * to return: CB_EXIT_OK after the help, CB_EXIT_USAGE after a message on
 * stderr naming cmd.
 */
int cb_cli_reg_parse_plain(int argc, char **argv, const char *cmd, int json_ok, int *yes,
                           int positional, const char *count_error, void (*usage)(FILE *),
                           cb_cli_reg *o);

struct cb_cli_list;

/* What a `list` subcommand takes besides the shared options and --json, and
 * what it prints. */
typedef struct cb_cli_list_spec {
    const char *cmd;          /* e.g. "runs list", for messages */
    void (*usage)(FILE *);    /* printed for -h */
    const char *after_error;  /* non-NULL: --after ID and --limit N are taken (a paged
                                 list); the message for a bad ID, with one %s */
    int max_args;             /* at most this many arguments (0 or 1) */
    const char *args_error;   /* the message when there are more */
    /* Print the list from r as o asks (arg: the argument, or NULL); returns
     * an exit code, after a message on stderr when not CB_EXIT_OK. */
    int (*list)(cb_registry *r, const struct cb_cli_list *o, const char *arg);
} cb_cli_list_spec;

/* A `list` subcommand's command line. */
typedef struct cb_cli_list {
    cb_cli_reg reg;           /* --registry, --actor, --json, -h */
    long long after, limit;   /* --after, --limit: 0 when not given */
} cb_cli_list;

/*
 * Run the `list` subcommand spec describes: parse argv (argv[0] = the
 * subcommand name), open the registry (cb_cli_reg_open, flags 0), call
 * spec->list with the argument (or NULL), close the registry. Returns an
 * exit code: spec->list's, or CB_EXIT_OK after the help (-h prints
 * spec->usage(stdout)), CB_EXIT_USAGE after a message on stderr naming
 * spec->cmd, CB_EXIT_FAILED when the registry cannot be opened.
 */
int cb_cli_list_run(int argc, char **argv, const cb_cli_common *common,
                    const cb_cli_list_spec *spec);

/* Report the option getopt stopped at ('?'); returns CB_EXIT_USAGE. */
int cb_cli_bad_option(const char *cmd, char **argv);

/* "consentblur CMD: MESSAGE (see `consentblur help GROUP`)" on stderr; CB_EXIT_USAGE. */
int cb_cli_usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* "consentblur: MESSAGE" on stderr; CB_EXIT_FAILED. */
int cb_cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Open the registry named by --registry after the command, else the global
 * --registry, else cb_registry_default_path. flags as cb_registry_open.
 * Prints the reason and returns CB_EXIT_FAILED, or 0. */
int cb_cli_reg_open(const cb_cli_common *common, const cb_cli_reg *o, int flags,
                    cb_registry **out);

/* cb_registry_person_find, with a message for people when there is no
 * such person ("no person 'X' in the registry (see `consentblur person
 * list`)", translated). Returns what cb_registry_person_find returns. */
int cb_cli_find_person(cb_registry *r, const char *key, cb_person *out, cb_error *err);

/* Role, consent status and who gave it, in the reader's language, for the
 * text output (JSON keeps cb_role_name and the like). */
const char *cb_cli_role_label(cb_role role);
const char *cb_cli_status_label(cb_consent_status status);
const char *cb_cli_given_by_label(cb_given_by given_by);

/* The width of a text column: at least min, and at least as wide as each
 * of the n labels (in bytes). */
int cb_cli_column_width(int min, const char *const *labels, int n);

/* The actor for audit rows: --actor, else the default. */
void cb_cli_reg_actor(const cb_cli_reg *o, char out[64]);

/* Parse "YYYY-MM-DD" for option `opt`; 0, or prints and returns CB_EXIT_USAGE. */
int cb_cli_check_date(const char *cmd, const char *opt, const char *value);

/* A consent record as a JSON object, the next value of j (a person:
 * cb_registry_json_person, consent/export.h). external_id NULL: left out;
 * counts (whether this is the record that counts) < 0: left out. */
void cb_cli_json_consent(cb_json *j, const cb_consent *c, const char *external_id, int counts);

#endif

/*
 * main.c - `consentblur COMMAND ...`: global options and dispatch.
 */
#include <libavutil/log.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

#define CB_VERSION "0.1.0"

/*
 * The commands. Each entry point parses its own options (argv[0] is the
 * command name) and returns an exit code; `usage` prints its help.
 * To add a command: write cli/cmd_NAME.c, declare it in cli.h, add a row.
 */
typedef struct command {
    const char *name;
    const char *summary; /* one line for `consentblur --help` (N_: translated when shown) */
    int (*run)(int argc, char **argv, const cb_cli_common *common);
    void (*usage)(FILE *f);
} command;

static const command commands[] = {
    /* TRANSLATORS: a command's synopsis, three spaces, what it does. Keep the
       synopsis (IN..., -o OUTDIR, --purpose P) as it is; translate the rest. */
    {"redact", N_("IN... -o OUTDIR   redact every face in the given photos"), cb_cmd_redact,
     cb_cmd_redact_usage},
    {"process", N_("IN... -o OUTDIR --purpose P   keep only faces with valid consent for P"),
     cb_cmd_process, cb_cmd_process_usage},
    {"check", N_("FILE... --purpose P   exit 0 only if every face may be shown for P"),
     cb_cmd_check, cb_cmd_check_usage},
    {"batch", N_("DIR -o OUTDIR --purpose P   a whole folder tree, resumable, in parallel"),
     cb_cmd_batch, cb_cmd_batch_usage},
    {"watch", N_("INBOX --out OUTBOX --purpose P   process what is dropped into a folder"),
     cb_cmd_watch, cb_cmd_watch_usage},
    {"enroll", N_("PERSON PHOTO...   store face templates of a consenting person"), cb_cmd_enroll,
     cb_cmd_enroll_usage},
    {"person", N_("add|list|show|remove   the people the registry knows"), cb_cmd_person,
     cb_cmd_person_usage},
    {"consent", N_("grant|refuse|withdraw|list   consent per person and purpose"), cb_cmd_consent,
     cb_cmd_consent_usage},
    {"import", N_("CSV [--dry-run]   people and consent from an administration export"),
     cb_cmd_import, cb_cmd_import_usage},
    {"export", N_("PERSON [-o FILE]   everything held about one person, as JSON"), cb_cmd_export,
     cb_cmd_export_usage},
    {"audit", N_("list|verify   the hash-chained log of registry changes"), cb_cmd_audit,
     cb_cmd_audit_usage},
    {"purpose", N_("list|add   the channels consent is given for"), cb_cmd_purpose,
     cb_cmd_purpose_usage},
    {"setting", N_("list|set   policy settings (consent ages)"), cb_cmd_setting,
     cb_cmd_setting_usage},
    {"runs", N_("list   processing records: what was published under which consent"),
     cb_cmd_runs, cb_cmd_runs_usage},
    {"review", N_("DIR   a page to check every output and redact by hand what was missed"),
     cb_cmd_review, cb_cmd_review_usage},
};
enum { N_COMMANDS = sizeof commands / sizeof commands[0] };

static const command *find_command(const char *name)
{
    for (int i = 0; i < N_COMMANDS; i++)
        if (!strcmp(commands[i].name, name))
            return &commands[i];
    return NULL;
}

static void usage(FILE *f)
{
    fputs(_("usage: consentblur [-v|-q] [--models DIR] [--registry FILE] COMMAND [ARGS]\n"
            "\n"
            "Makes school photos safe to publish: every face that may not be shown is made\n"
            "unrecognisable.\n"
            "\n"
            "commands:\n"),
          f);
    for (int i = 0; i < N_COMMANDS; i++)
        fprintf(f, "  %-9s %s\n", commands[i].name, _(commands[i].summary));
    fputs(_("  help [COMMAND]      show help\n"
            "  version             show the version\n"
            "\n"
            "global options:\n"
            "  -v, --verbose       more messages on stderr (repeat for debug)\n"
            "  -q, --quiet         errors only (the default)\n"
            "  --models DIR        model folder (default: $CONSENTBLUR_MODELS, else the\n"
            "                      folder `make models` fills)\n"
            "  --registry FILE     consent registry (default: $CONSENTBLUR_REGISTRY, else\n"
            "                      ~/.local/share/consentblur/registry.db)\n"
            "\n"
            "exit codes: 0 all files done (check: every face may be shown), 1 a file failed,\n"
            "the run could not start (check: some face may not be shown), 2 bad command line.\n"),
          f);
}

int main(int argc, char **argv)
{
    cb_i18n_init();
    cb_cli_common common = {.log = {.level = CB_LOG_ERROR}};
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-v") || !strcmp(a, "--verbose"))
            common.log.level = common.log.level < CB_LOG_INFO ? CB_LOG_INFO : CB_LOG_DEBUG;
        else if (!strcmp(a, "-vv"))
            common.log.level = CB_LOG_DEBUG;
        else if (!strcmp(a, "-q") || !strcmp(a, "--quiet"))
            common.log.level = CB_LOG_ERROR;
        else if (!strcmp(a, "--models") && i + 1 < argc)
            common.model_dir = argv[++i];
        else if (!strcmp(a, "--registry") && i + 1 < argc)
            common.registry = argv[++i];
        else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return CB_EXIT_OK;
        } else if (!strcmp(a, "--version")) {
            puts("consentblur " CB_VERSION);
            return CB_EXIT_OK;
        } else {
            fprintf(stderr, _("consentblur: unknown option '%s'\n"), a);
            usage(stderr);
            return CB_EXIT_USAGE;
        }
    }
    /* FFmpeg's own messages only with -v -v: ours already say what failed. */
    av_log_set_level(common.log.level >= CB_LOG_DEBUG ? AV_LOG_WARNING : AV_LOG_QUIET);
    if (i >= argc) {
        usage(stderr);
        return CB_EXIT_USAGE;
    }
    const char *name = argv[i];
    const command *cmd = find_command(name);
    if (cmd)
        return cmd->run(argc - i, argv + i, &common);
    if (!strcmp(name, "version")) {
        puts("consentblur " CB_VERSION);
        return CB_EXIT_OK;
    }
    if (!strcmp(name, "help")) {
        const command *about = i + 1 < argc ? find_command(argv[i + 1]) : NULL;
        if (about)
            about->usage(stdout);
        else
            usage(stdout);
        return CB_EXIT_OK;
    }
    fprintf(stderr, _("consentblur: unknown command '%s'\n"), name);
    usage(stderr);
    return CB_EXIT_USAGE;
}

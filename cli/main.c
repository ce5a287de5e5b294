/*
 * main.c - `consentblur COMMAND ...`: global options and dispatch.
 */
#include <libavutil/log.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

#define CB_VERSION "0.1.0"

static void usage(FILE *f)
{
    fputs("usage: consentblur [-v|-q] [--models DIR] COMMAND [ARGS]\n"
          "\n"
          "Makes school photos safe to publish: every face found is made unrecognisable.\n"
          "\n"
          "commands:\n"
          "  redact IN... -o OUTDIR   redact every face in the given photos\n"
          "  help [COMMAND]           show help\n"
          "  version                  show the version\n"
          "\n"
          "global options:\n"
          "  -v, --verbose            more messages on stderr (repeat for debug)\n"
          "  -q, --quiet              errors only (the default)\n"
          "  --models DIR             model folder (default: $CONSENTBLUR_MODELS, else the\n"
          "                           folder `make models` fills)\n"
          "\n"
          "exit codes: 0 all files done, 1 a file failed or the run could not start,\n"
          "2 bad command line.\n",
          f);
}

int main(int argc, char **argv)
{
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
        else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return CB_EXIT_OK;
        } else if (!strcmp(a, "--version")) {
            puts("consentblur " CB_VERSION);
            return CB_EXIT_OK;
        } else {
            fprintf(stderr, "consentblur: unknown option '%s'\n", a);
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
    const char *cmd = argv[i];
    int sub_argc = argc - i;
    char **sub_argv = argv + i;
    if (!strcmp(cmd, "redact"))
        return cb_cmd_redact(sub_argc, sub_argv, &common);
    if (!strcmp(cmd, "version")) {
        puts("consentblur " CB_VERSION);
        return CB_EXIT_OK;
    }
    if (!strcmp(cmd, "help")) {
        if (sub_argc > 1 && !strcmp(sub_argv[1], "redact"))
            cb_cmd_redact_usage(stdout);
        else
            usage(stdout);
        return CB_EXIT_OK;
    }
    fprintf(stderr, "consentblur: unknown command '%s'\n", cmd);
    usage(stderr);
    return CB_EXIT_USAGE;
}

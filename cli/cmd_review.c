/*
 * cmd_review.c - `consentblur review DIR`: serve the review page for a
 * folder that process, batch or watch wrote (review_server.h) until Ctrl-C,
 * SIGTERM, or --idle minutes without a request.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../common/cb_date.h"
#include "cli_registry.h"
#include "review_http.h"

enum { DEFAULT_IDLE_MINUTES = 60 };

void cb_cmd_review_usage(FILE *f)
{
    fputs(_("usage: consentblur review DIR [--port N] [--idle MINUTES] [--report FILE.html]\n"
            "                          [--registry FILE] [--actor NAME]\n"
            "\n"
            "Serves a page on this computer only (127.0.0.1) showing every output in DIR - a\n"
            "folder that process, batch or watch wrote - with each face's box and what was\n"
            "decided (kept: who, for which purpose; redacted: why). On it, drag a rectangle\n"
            "over anything that must not be shown, or click a kept face, to redact it in\n"
            "the file (from the original when it is unchanged where it was read). Nothing\n"
            "can be made visible again there. Each change is recorded with the run and in\n"
            "the audit log. Open the address it prints (it holds a key made for this run).\n"
            "\n"
            "options:\n"
            "  --port N           listen on port N (default: a free one)\n"
            "  --idle MINUTES     stop after this long without a request (default 60;\n"
            "                     0: never)\n"
            "  --report FILE.html when it stops, write the contact sheet of DIR's outputs\n"
            "                     as they are then, with the regions redacted by hand\n"
            "  --actor NAME       who makes the changes, for the records (default: the\n"
            "                     login name)\n"
            "  --registry FILE    the registry (default: the global --registry, else\n"
            "                     $CONSENTBLUR_REGISTRY, else\n"
            "                     ~/.local/share/consentblur/registry.db)\n"
            "  -h, --help         this help\n"
            "\n"
            "Stop it with Ctrl-C.\n"),
          f);
}

typedef struct review_args {
    const char *dir;
    int port;
    double idle_minutes;
    const char *report;
    cb_cli_reg reg;
} review_args;

/* -1 to go on, else an exit code. */
static int parse(int argc, char **argv, review_args *a)
{
    enum { OPT_PORT = CB_OPT_FIRST_OWN, OPT_IDLE, OPT_REPORT };
    static const struct option options[] = {{"port", required_argument, NULL, OPT_PORT},
                                            {"idle", required_argument, NULL, OPT_IDLE},
                                            {"report", required_argument, NULL, OPT_REPORT},
                                            CB_CLI_REG_OPTIONS,
                                            {NULL, 0, NULL, 0}};
    int c;
    char *end;
    a->idle_minutes = DEFAULT_IDLE_MINUTES;
    cb_cli_getopt_reset();
    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        if (c == OPT_PORT) {
            const long v = strtol(optarg, &end, 10);
            if (!*optarg || *end || v < 1 || v > 65535)
                return cb_cli_usage_error("review", _("--port takes 1-65535, not '%s'"), optarg);
            a->port = (int)v;
        } else if (c == OPT_IDLE) {
            a->idle_minutes = strtod(optarg, &end);
            if (!*optarg || *end || !isfinite(a->idle_minutes) || a->idle_minutes < 0)
                return cb_cli_usage_error("review", _("--idle takes minutes, not '%s'"), optarg);
        } else if (c == OPT_REPORT) {
            a->report = optarg;
        } else if (!cb_cli_reg_option(c, &a->reg)) {
            return cb_cli_bad_option("review", argv);
        }
    }
    if (a->reg.help) {
        cb_cmd_review_usage(stdout);
        return CB_EXIT_OK;
    }
    if (optind + 1 != argc)
        return cb_cli_usage_error("review", _("takes one folder"));
    a->dir = argv[optind];
    return -1;
}

/* Wait for SIGINT/SIGTERM (blocked in every thread) or idleness. */
static void serve(const cb_review_server *s, double idle_minutes, const sigset_t *stop)
{
    const struct timespec tick = {0, 200 * 1000 * 1000};
    for (;;) {
        const int sig = sigtimedwait(stop, NULL, &tick);
        if (sig == SIGINT || sig == SIGTERM) {
            fprintf(stderr, _("consentblur review: stopped\n"));
            return;
        }
        const double quiet = cb_monotonic_seconds() - cb_review_server_last_request(s);
        if (idle_minutes > 0 && quiet >= idle_minutes * 60) {
            fprintf(stderr, _("consentblur review: stopped after %g minutes without a request\n"),
                    idle_minutes);
            return;
        }
    }
}

int cb_cmd_review(int argc, char **argv, const cb_cli_common *common)
{
    review_args a = {0};
    int rc = parse(argc, argv, &a);
    if (rc >= 0)
        return rc;
    char actor[64];
    cb_cli_reg_actor(&a.reg, actor);
    cb_registry *reg = NULL;
    if (cb_cli_reg_open(common, &a.reg, 0, &reg))
        return CB_EXIT_FAILED;
    /* Blocked before the server's thread starts, so that only sigtimedwait takes them. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    const cb_review_opts opts = {a.dir, reg, actor, a.port, &common->log};
    cb_review_server *s = NULL;
    cb_error err = {0};
    if (cb_review_server_start(&opts, &s, &err) < 0) {
        cb_registry_close(reg);
        return cb_cli_fail("%s", err.msg);
    }
    /* TRANSLATORS: followed by the address to open in a browser. */
    printf(_("Review page (this computer only; stop with Ctrl-C):\n"));
    printf("http://127.0.0.1:%d/?token=%s\n", cb_review_server_port(s), cb_review_server_token(s));
    fflush(stdout);
    serve(s, a.idle_minutes, &stop);
    cb_review_server_stop(s);
    rc = a.report ? cb_review_write_report(reg, a.dir, a.report, &err) : 0;
    cb_registry_close(reg);
    if (rc < 0)
        return cb_cli_fail("%s", err.msg);
    if (a.report)
        fprintf(stderr, _("consentblur: report: %s\n"), a.report);
    return CB_EXIT_OK;
}

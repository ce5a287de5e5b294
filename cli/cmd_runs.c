/*
 * cmd_runs.c - `consentblur runs list`: the registry's processing records,
 * one per file per run (what went in, what came out, for which purpose and
 * date, how many faces were kept and whose).
 */
#include <stdlib.h>
#include <string.h>

#include "../consent/runs.h"
#include "cli_registry.h"

void cb_cmd_runs_usage(FILE *f)
{
    fputs(_("usage: consentblur runs list [--after ID] [--limit N] [--json]\n"
            "\n"
            "Every processing run (process, batch, watch, check) records each file it\n"
            "handled: the input and its SHA-256, the output and its SHA-256 (none for check\n"
            "and for failures), the purpose and the date consent was judged for, the faces\n"
            "kept and redacted, the external ids of the people left visible, the models\n"
            "used, when, on which machine and by whom. Records cannot be changed or\n"
            "deleted. Oldest first.\n"
            "\n"
            "options:\n"
            "  --after ID         only runs after this id\n"
            "  --limit N          at most N runs\n"
            "  --json             JSON on stdout\n"
            "  --registry FILE    the registry (default: the global --registry, else\n"
            "                     $CONSENTBLUR_REGISTRY, else ~/.local/share/consentblur/registry.db)\n"
            "  -h, --help         this help\n"),
          f);
}

static int parse_count(const char *s, long long *out)
{
    char *end;
    long long v = strtoll(s, &end, 10);
    if (!*s || *end || v < 0)
        return -1;
    *out = v;
    return 0;
}

static void print_json(const cb_run *run, int first)
{
    printf("%s{\"id\": %lld, \"started_at\": ", first ? "\n  " : ",\n  ", (long long)run->id);
    cb_json_write_string(stdout, run->started_at);
    fputs(", \"finished_at\": ", stdout);
    cb_json_write_string(stdout, run->finished_at);
    fputs(", \"command\": ", stdout);
    cb_json_write_string(stdout, cb_run_command_name(run->command));
    fputs(", \"status\": ", stdout);
    cb_json_write_string(stdout, cb_run_status_name(run->status));
    fputs(", \"input\": ", stdout);
    cb_json_write_string(stdout, run->input_path);
    fputs(", \"input_sha256\": ", stdout);
    cb_json_write_string(stdout, run->input_sha256);
    fputs(", \"output\": ", stdout);
    if (run->output_path[0])
        cb_json_write_string(stdout, run->output_path);
    else
        fputs("null", stdout);
    fputs(", \"output_sha256\": ", stdout);
    if (run->output_path[0])
        cb_json_write_string(stdout, run->output_sha256);
    else
        fputs("null", stdout);
    fputs(", \"purpose\": ", stdout);
    cb_json_write_string(stdout, run->purpose);
    fputs(", \"run_date\": ", stdout);
    cb_json_write_string(stdout, run->run_date);
    printf(", \"faces\": {\"total\": %d, \"kept\": %d, \"redacted\": %d}", run->faces_total,
           run->faces_kept, run->faces_redacted);
    /* kept_people and models were checked to be JSON when recorded. */
    printf(", \"kept_people\": %s, \"error\": ", run->kept_people);
    cb_json_write_string(stdout, run->error);
    printf(", \"models\": %s, \"host\": ", run->models);
    cb_json_write_string(stdout, run->host);
    fputs(", \"actor\": ", stdout);
    cb_json_write_string(stdout, run->actor);
    fputc('}', stdout);
}

static void print_text(const cb_run *run)
{
    printf("%-6lld %s  %-7s %-6s %-10s %s  ", (long long)run->id, run->finished_at,
           cb_run_command_name(run->command), cb_run_status_name(run->status),
           run->purpose[0] ? run->purpose : "-", run->run_date);
    /* TRANSLATORS: `runs list`, after id, time, command, status, purpose, date. */
    printf(_("faces %d kept %d redacted  %s -> %s"), run->faces_kept, run->faces_redacted,
           run->input_path, run->output_path[0] ? run->output_path : "-");
    if (strcmp(run->kept_people, "[]") != 0)
        printf(_("  kept %s"), run->kept_people);
    if (run->error[0])
        printf(_("  error: %s"), run->error);
    fputc('\n', stdout);
}

static int runs_list(int argc, char **argv, const cb_cli_common *common)
{
    enum { OPT_AFTER = CB_OPT_FIRST_OWN, OPT_LIMIT };
    static const struct option options[] = {{"after", required_argument, NULL, OPT_AFTER},
                                            {"limit", required_argument, NULL, OPT_LIMIT},
                                            CB_CLI_JSON_OPTION,
                                            CB_CLI_REG_OPTIONS,
                                            {NULL, 0, NULL, 0}};
    const char *cmd = "runs list";
    cb_cli_reg o = {0};
    long long after = 0, limit = 0;
    int c;
    cb_cli_getopt_reset();
    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        if (c == OPT_AFTER) {
            if (parse_count(optarg, &after) < 0)
                return cb_cli_usage_error(cmd, _("--after takes a run id, not '%s'"), optarg);
        } else if (c == OPT_LIMIT) {
            if (parse_count(optarg, &limit) < 0 || limit > 1000000000)
                return cb_cli_usage_error(cmd, _("--limit takes a count, not '%s'"), optarg);
        } else if (!cb_cli_reg_option(c, &o)) {
            return cb_cli_bad_option(cmd, argv);
        }
    }
    if (o.help) {
        cb_cmd_runs_usage(stdout);
        return CB_EXIT_OK;
    }
    if (optind != argc)
        return cb_cli_usage_error(cmd, _("takes no arguments"));
    cb_registry *r = NULL;
    cb_error err = {0};
    if (cb_cli_reg_open(common, &o, 0, &r))
        return CB_EXIT_FAILED;
    /* Page through (a run is about 11 KiB in memory), printing as we go. */
    enum { PAGE = 256 };
    long long left = limit, shown = 0;
    int64_t last = (int64_t)after;
    if (o.json)
        fputs("{\"runs\": [", stdout);
    for (;;) {
        cb_run *runs = NULL;
        int n = 0, want = left > 0 && left < PAGE ? (int)left : PAGE;
        int rc = cb_registry_run_list(r, last, want, &runs, &n, &err);
        if (rc < 0) {
            cb_registry_close(r);
            if (o.json)
                fputs("]}\n", stdout);
            return cb_cli_fail("%s", err.msg);
        }
        for (int i = 0; i < n; i++) {
            if (o.json)
                print_json(&runs[i], shown == 0);
            else
                print_text(&runs[i]);
            shown++;
        }
        if (n > 0)
            last = runs[n - 1].id;
        free(runs);
        if (limit > 0)
            left -= n;
        if (n < want || (limit > 0 && left <= 0))
            break;
    }
    cb_registry_close(r);
    if (o.json)
        fputs(shown ? "\n]}\n" : "]}\n", stdout);
    if (fflush(stdout) != 0 || ferror(stdout))
        return cb_cli_fail(_("writing the list failed"));
    return CB_EXIT_OK;
}

int cb_cmd_runs(int argc, char **argv, const cb_cli_common *common)
{
    int help = 0;
    if (!cb_cli_subcommand(argc, argv, &help)) {
        if (help) {
            cb_cmd_runs_usage(stdout);
            return CB_EXIT_OK;
        }
        return cb_cli_usage_error("runs", _("missing subcommand: list"));
    }
    if (!strcmp(argv[1], "list"))
        return runs_list(argc - 1, argv + 1, common);
    return cb_cli_usage_error("runs", _("unknown subcommand '%s' (list)"), argv[1]);
}

/*
 * cmd_runs.c - `consentblur runs list`: the registry's processing records,
 * one per file per run (what went in, what came out, for which purpose and
 * date, how many faces were kept and whose).
 */
#include <stdlib.h>
#include <string.h>

#include "../consent/run_review.h"
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
            "used, when, on which machine and by whom, and the regions redacted by hand\n"
            "since (consentblur review). Records cannot be changed or deleted. Oldest first.\n"
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

/* The regions redacted by hand since the run (consentblur review), the next value of j. */
static void json_edits(cb_json *j, const cb_run_edit *edits, int n)
{
    cb_json_array(j, CB_JSON_INLINE);
    for (int i = 0; i < n; i++) {
        const cb_run_edit *e = &edits[i];
        cb_json_object(j, CB_JSON_INLINE);
        cb_json_kv_string(j, "at", e->at);
        cb_json_kv_string(j, "actor", e->actor);
        cb_json_key(j, "region");
        cb_json_array(j, CB_JSON_INLINE);
        const int region[4] = {e->x, e->y, e->w, e->h};
        for (int k = 0; k < 4; k++)
            cb_json_int(j, region[k]);
        cb_json_end(j);
        cb_json_key(j, "frames");
        if (e->first >= 0) {
            cb_json_array(j, CB_JSON_INLINE);
            cb_json_int(j, e->first);
            cb_json_int(j, e->last);
            cb_json_end(j);
        } else {
            cb_json_null(j);
        }
        cb_json_kv_int(j, "face", e->face);
        cb_json_kv_string(j, "source", cb_edit_source_name(e->source));
        cb_json_kv_string(j, "output_sha256", e->after_sha256);
        cb_json_end(j);
    }
    cb_json_end(j);
}

/* One run as a JSON object, the next value of j. */
static void json_run(cb_json *j, const cb_run *run, const cb_run_edit *edits, int n_edits)
{
    cb_json_object(j, CB_JSON_INLINE);
    cb_json_kv_int(j, "id", run->id);
    cb_json_kv_string(j, "started_at", run->started_at);
    cb_json_kv_string(j, "finished_at", run->finished_at);
    cb_json_kv_string(j, "command", cb_run_command_name(run->command));
    cb_json_kv_string(j, "status", cb_run_status_name(run->status));
    cb_json_kv_string(j, "input", run->input_path);
    cb_json_kv_string(j, "input_sha256", run->input_sha256);
    cb_json_kv_string(j, "output", run->output_path[0] ? run->output_path : NULL);
    cb_json_kv_string(j, "output_sha256", run->output_path[0] ? run->output_sha256 : NULL);
    cb_json_kv_string(j, "purpose", run->purpose);
    cb_json_kv_string(j, "run_date", run->run_date);
    cb_json_key(j, "faces");
    cb_json_object(j, CB_JSON_INLINE);
    cb_json_kv_int(j, "total", run->faces_total);
    cb_json_kv_int(j, "kept", run->faces_kept);
    cb_json_kv_int(j, "redacted", run->faces_redacted);
    cb_json_end(j);
    /* kept_people and models were checked to be JSON when recorded. */
    cb_json_key(j, "kept_people");
    cb_json_raw(j, run->kept_people);
    cb_json_kv_string(j, "error", run->error);
    cb_json_key(j, "models");
    cb_json_raw(j, run->models);
    cb_json_kv_string(j, "host", run->host);
    cb_json_kv_string(j, "actor", run->actor);
    char head[96] = "";
    if (run->registry_hash[0])
        snprintf(head, sizeof head, "%lld:%s", (long long)run->registry_version,
                 run->registry_hash);
    cb_json_kv_string(j, "audit_head", head[0] ? head : NULL);
    cb_json_key(j, "redacted_by_hand");
    json_edits(j, edits, n_edits);
    cb_json_end(j);
}

static void print_text(const cb_run *run, const cb_run_edit *edits, int n_edits)
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
    if (n_edits > 0)
        /* TRANSLATORS: `runs list`: regions redacted by hand on the review page since the
           run; then when and by whom the last one was. */
        printf(_("  %d by hand (last %s by %s)"), n_edits, edits[n_edits - 1].at,
               edits[n_edits - 1].actor);
    fputc('\n', stdout);
}

/* Print the runs after o->after (at most o->limit; 0: all) to j (--json) or
 * as text, a page at a time (a run is about 11 KiB in memory). */
static int print_runs(cb_registry *r, const cb_cli_list *o, cb_json *j, cb_error *err)
{
    enum { PAGE = 256 };
    long long left = o->limit, limit = o->limit;
    int64_t last = (int64_t)o->after;
    for (;;) {
        cb_run *runs = NULL;
        int n = 0, want = left > 0 && left < PAGE ? (int)left : PAGE;
        int rc = cb_registry_run_list(r, last, want, &runs, &n, err);
        for (int i = 0; rc == 0 && i < n; i++) {
            cb_run_edit *edits = NULL;
            int n_edits = 0;
            rc = cb_registry_run_edits(r, runs[i].id, &edits, &n_edits, err);
            if (rc == 0 && o->reg.json)
                json_run(j, &runs[i], edits, n_edits);
            else if (rc == 0)
                print_text(&runs[i], edits, n_edits);
            free(edits);
        }
        if (n > 0)
            last = runs[n - 1].id;
        free(runs);
        if (rc < 0)
            return rc;
        if (o->reg.json)
            cb_json_flush(j, stdout); /* an error stays in j */
        if (limit > 0)
            left -= n;
        if (n < want || (limit > 0 && left <= 0))
            return 0;
    }
}

/* `runs list`: the runs after --after, at most --limit. */
static int list_runs(cb_registry *r, const cb_cli_list *o, const char *arg)
{
    (void)arg;
    cb_error err = {0};
    cb_json *j = o->reg.json ? cb_cli_json_list("runs", CB_JSON_LINES) : NULL;
    int rc = print_runs(r, o, j, &err);
    if (o->reg.json && cb_cli_json_list_done(j) != CB_EXIT_OK)
        return CB_EXIT_FAILED;
    if (rc < 0)
        return cb_cli_fail("%s", err.msg);
    if (fflush(stdout) != 0 || ferror(stdout))
        return cb_cli_fail(_("writing the list failed"));
    return CB_EXIT_OK;
}

static int runs_list(int argc, char **argv, const cb_cli_common *common)
{
    const cb_cli_list_spec spec = {"runs list", cb_cmd_runs_usage,
                                   _("--after takes a run id, not '%s'"), 0,
                                   _("takes no arguments"), list_runs};
    return cb_cli_list_run(argc, argv, common, &spec);
}

int cb_cmd_runs(int argc, char **argv, const cb_cli_common *common)
{
    static const cb_cli_sub subs[] = {
        {"list", runs_list},
        {NULL, NULL},
    };
    static const cb_cli_group group = {
        "runs", cb_cmd_runs_usage, N_("missing subcommand: list"),
        N_("unknown subcommand '%s' (list)"), subs,
    };
    return cb_cli_group_run(&group, argc, argv, common);
}

/*
 * cmd_audit.c - `consentblur audit list|head|verify`: the registry's
 * append-only, hash-chained log of changes, its head (an anchor to keep
 * elsewhere), and the check of the log and the tables (consent/integrity.h).
 */
#include <stdlib.h>

#include "../consent/integrity.h"
#include "cli_registry.h"

void cb_cmd_audit_usage(FILE *f)
{
    fputs(_("usage: consentblur audit list [--after ID] [--limit N] [--json]\n"
            "       consentblur audit head [--json]\n"
            "       consentblur audit verify [--expect ID:HASH]\n"
            "\n"
            "Every change to the registry is logged with who, when and what, in rows that\n"
            "cannot be changed or deleted; each row carries a SHA-256 over the previous\n"
            "row's hash and its own fields. `head` prints the newest row as ID:HASH and its\n"
            "time: keep it elsewhere. `verify` recomputes the chain, checks that it still\n"
            "holds the head every processing run was judged against (and --expect's),\n"
            "that the schema's triggers are in place, and replays the log against the\n"
            "people, consents, templates, purposes and settings tables. Exit 0 when all\n"
            "agree; 1 when not, with every difference listed on stdout.\n"
            "\n"
            "options:\n"
            "  --after ID         only rows after this id\n"
            "  --limit N          at most N rows\n"
            "  --json             JSON on stdout (list, head)\n"
            "  --expect ID:HASH   verify: a head printed by `audit head` earlier\n"
            "  --registry FILE    the registry (default: the global --registry, else\n"
            "                     $CONSENTBLUR_REGISTRY, else ~/.local/share/consentblur/registry.db)\n"
            "  -h, --help         this help\n"),
          f);
}

static void json_row(cb_json *j, const cb_audit_row *a)
{
    cb_json_object(j, CB_JSON_INLINE);
    cb_json_kv_int(j, "id", a->id);
    cb_json_kv_string(j, "at", a->at);
    cb_json_kv_string(j, "actor", a->actor);
    cb_json_kv_string(j, "action", a->action);
    cb_json_kv_string(j, "subject", a->subject);
    cb_json_kv_string(j, "details", a->details);
    cb_json_kv_string(j, "prev_hash", a->prev_hash);
    cb_json_kv_string(j, "hash", a->hash);
    cb_json_end(j);
}

/* `audit list`: the rows after --after, at most --limit. */
static int list_rows(cb_registry *r, const cb_cli_list *o, const char *arg)
{
    (void)arg;
    cb_audit_row *rows = NULL;
    cb_error err = {0};
    int n = 0, rc = cb_registry_audit_list(r, o->after, (int)o->limit, &rows, &n, &err);
    if (rc < 0)
        return cb_cli_fail("%s", err.msg);
    if (o->reg.json) {
        cb_json *j = cb_cli_json_list("audit", CB_JSON_LINES);
        for (int i = 0; i < n; i++)
            json_row(j, &rows[i]);
        rc = cb_cli_json_list_done(j);
    } else {
        for (int i = 0; i < n; i++) {
            const cb_audit_row *a = &rows[i];
            printf("%-6lld %s  %-12s %-17s %-14s %s\n", (long long)a->id, a->at, a->actor,
                   a->action, a->subject[0] ? a->subject : "-", a->details);
        }
        rc = CB_EXIT_OK;
    }
    free(rows);
    return rc;
}

static int audit_list(int argc, char **argv, const cb_cli_common *common)
{
    const cb_cli_list_spec spec = {"audit list", cb_cmd_audit_usage,
                                   _("--after takes a row id, not '%s'"), 0,
                                   _("takes no arguments"), list_rows};
    return cb_cli_list_run(argc, argv, common, &spec);
}

/* `audit head`: the newest row, to keep elsewhere and give to --expect. */
static int audit_head(int argc, char **argv, const cb_cli_common *common)
{
    cb_cli_reg o = {0};
    int rc = cb_cli_reg_parse_plain(argc, argv, "audit head", 1, NULL, 0, _("takes no arguments"),
                                    cb_cmd_audit_usage, &o);
    if (rc >= 0)
        return rc;
    cb_registry *r = NULL;
    cb_audit_head head;
    cb_error err = {0};
    if (cb_cli_reg_open(common, &o, CB_REGISTRY_READONLY, &r))
        return CB_EXIT_FAILED;
    rc = cb_registry_audit_head(r, &head, &err);
    cb_registry_close(r);
    if (rc < 0)
        return cb_cli_fail("%s", err.msg);
    if (!o.json) {
        printf("%lld:%s %s\n", (long long)head.id, head.hash, head.at);
        return CB_EXIT_OK;
    }
    cb_json *j = cb_json_new(0);
    cb_json_object(j, CB_JSON_INLINE);
    cb_json_kv_int(j, "id", head.id);
    cb_json_kv_string(j, "hash", head.hash);
    cb_json_kv_string(j, "at", head.at);
    cb_json_end(j);
    return cb_cli_json_done(j);
}

/* The findings on stdout, then what could not be checked. */
static void print_findings(const cb_integrity_report *rep)
{
    char line[512];
    const cb_findings *f = &rep->findings;
    for (int i = 0; i < f->n_kept; i++) {
        cb_finding_text(&f->list[i], line, sizeof line);
        printf("%s\n", line);
    }
    if (f->total > f->n_kept)
        printf(_("... and %lld more\n"), (long long)(f->total - f->n_kept));
    if (rep->runs_without_head > 0)
        printf(_("note: %lld run(s) were recorded before runs kept the audit head: no head to "
                 "check them against\n"),
               (long long)rep->runs_without_head);
    if (f->not_replayable > 0)
        printf(_("note: %lld row(s) were written before the audit log kept digests: checked "
                 "on what their log rows say, not on names, birth dates, signers or evidence "
                 "references\n"),
               (long long)f->not_replayable);
}

/* `audit verify [--expect ID:HASH]`. */
static int audit_verify(int argc, char **argv, const cb_cli_common *common)
{
    enum { OPT_EXPECT = CB_OPT_FIRST_OWN };
    static const struct option options[] = {
        CB_CLI_REG_OPTIONS, {"expect", required_argument, NULL, OPT_EXPECT}, {NULL, 0, NULL, 0}};
    cb_cli_reg o = {0};
    cb_audit_head expect;
    int c, have_expect = 0;
    cb_cli_getopt_reset();
    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        if (c == OPT_EXPECT && cb_audit_head_parse(optarg, &expect) == 0)
            have_expect = 1;
        else if (c == OPT_EXPECT)
            return cb_cli_usage_error("audit verify", _("--expect takes ID:HASH as `audit head` "
                                                        "prints it, not '%s'"), optarg);
        else if (!cb_cli_reg_option(c, &o))
            return cb_cli_bad_option("audit verify", argv);
    }
    if (o.help) {
        cb_cmd_audit_usage(stdout);
        return CB_EXIT_OK;
    }
    if (optind != argc)
        return cb_cli_usage_error("audit verify", _("takes no arguments"));
    cb_registry *r = NULL;
    cb_error err = {0};
    cb_integrity_report rep;
    if (cb_cli_reg_open(common, &o, CB_REGISTRY_READONLY, &r))
        return CB_EXIT_FAILED;
    int rc = cb_registry_integrity_check(r, have_expect ? &expect : NULL, &rep, &err);
    cb_registry_close(r);
    if (rc < 0)
        return cb_cli_fail("%s", err.msg);
    print_findings(&rep);
    if (rep.first_bad)
        rc = cb_cli_fail(_("audit log broken at row %lld: its hash or its link to the row "
                           "before does not match (rows before it are intact)"),
                         (long long)rep.first_bad);
    else if (rep.findings.total > 0)
        rc = cb_cli_fail(_("the registry does not match its audit log: %lld difference(s), "
                           "listed above"),
                         (long long)rep.findings.total);
    else
        printf(_("audit log intact: %lld row(s); the tables match it; %lld run head(s) "
                 "checked\n"),
               (long long)rep.rows, (long long)rep.runs_anchored);
    cb_integrity_report_free(&rep);
    return rc < 0 ? CB_EXIT_FAILED : rc;
}

int cb_cmd_audit(int argc, char **argv, const cb_cli_common *common)
{
    static const cb_cli_sub subs[] = {
        {"list", audit_list},
        {"head", audit_head},
        {"verify", audit_verify},
        {NULL, NULL},
    };
    static const cb_cli_group group = {
        "audit", cb_cmd_audit_usage, N_("missing subcommand: list, head or verify"),
        N_("unknown subcommand '%s' (list, head, verify)"), subs,
    };
    return cb_cli_group_run(&group, argc, argv, common);
}

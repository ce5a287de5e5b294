/*
 * cmd_audit.c - `consentblur audit list|verify`: the registry's append-only,
 * hash-chained log of changes.
 */
#include <stdlib.h>
#include <string.h>

#include "cli_registry.h"

void cb_cmd_audit_usage(FILE *f)
{
    fputs(_("usage: consentblur audit list [--after ID] [--limit N] [--json]\n"
            "       consentblur audit verify\n"
            "\n"
            "Every change to the registry is logged with who, when and what, in rows that\n"
            "cannot be changed or deleted; each row carries a SHA-256 over the previous\n"
            "row's hash and its own fields. `verify` recomputes the chain: exit 0 when it\n"
            "is intact, 1 when it is broken (naming the first row that does not match).\n"
            "\n"
            "options:\n"
            "  --after ID         only rows after this id\n"
            "  --limit N          at most N rows\n"
            "  --json             JSON on stdout (list)\n"
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

static int audit_verify(int argc, char **argv, const cb_cli_common *common)
{
    static const struct option options[] = {CB_CLI_REG_OPTIONS, {NULL, 0, NULL, 0}};
    cb_cli_reg o = {0};
    int c;
    cb_cli_getopt_reset();
    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1)
        if (!cb_cli_reg_option(c, &o))
            return cb_cli_bad_option("audit verify", argv);
    if (o.help) {
        cb_cmd_audit_usage(stdout);
        return CB_EXIT_OK;
    }
    if (optind != argc)
        return cb_cli_usage_error("audit verify", _("takes no arguments"));
    cb_registry *r = NULL;
    cb_error err = {0};
    int64_t rows = 0, bad = 0;
    if (cb_cli_reg_open(common, &o, CB_REGISTRY_READONLY, &r))
        return CB_EXIT_FAILED;
    int rc = cb_registry_audit_verify(r, &rows, &bad, &err);
    cb_registry_close(r);
    if (rc < 0)
        return cb_cli_fail("%s", err.msg);
    if (bad)
        return cb_cli_fail(_("audit log broken at row %lld: its hash or its link to the row "
                           "before does not match (rows before it are intact)"),
                           (long long)bad);
    printf(_("audit log intact: %lld row(s)\n"), (long long)rows);
    return CB_EXIT_OK;
}

int cb_cmd_audit(int argc, char **argv, const cb_cli_common *common)
{
    int help = 0;
    if (!cb_cli_subcommand(argc, argv, &help)) {
        if (help) {
            cb_cmd_audit_usage(stdout);
            return CB_EXIT_OK;
        }
        return cb_cli_usage_error("audit", _("missing subcommand: list or verify"));
    }
    if (!strcmp(argv[1], "list"))
        return audit_list(argc - 1, argv + 1, common);
    if (!strcmp(argv[1], "verify"))
        return audit_verify(argc - 1, argv + 1, common);
    return cb_cli_usage_error("audit", _("unknown subcommand '%s' (list, verify)"), argv[1]);
}

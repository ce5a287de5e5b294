/*
 * cmd_import.c - `consentblur import CSV [--dry-run]`: people and consent
 * decisions from a pupil administration export, all or nothing.
 */
#include <string.h>

#include "../consent/import_csv.h"
#include "cli_registry.h"

void cb_cmd_import_usage(FILE *f)
{
    fputs(_("usage: consentblur import CSV [--dry-run]\n"
            "\n"
            "Imports people and consent decisions from a CSV export of the pupil\n"
            "administration. Everything or nothing: when any line has a problem, nothing\n"
            "is written and every problem is listed with its line number.\n"
            "\n"
            "The file: UTF-8, comma separated, a header line naming the columns (any\n"
            "order; an unknown column is an error), RFC 4180 quoting (\"Doe, Jane\").\n"
            "  external_id, name, role    required; role is pupil, staff or other\n"
            "  birth_date, group          YYYY-MM-DD (required for pupils); class/group\n"
            "  social, website, ...       one column per purpose: yes, no, or empty (no record)\n"
            "  given_by                   self or guardian (default: guardian for pupils\n"
            "                             under self_consent_from_age, else self)\n"
            "  given_by_name, evidence_ref, valid_from, valid_until   for those records\n"
            "People already known (same external_id) are updated. A yes/no equal to the\n"
            "record that counts now adds nothing, so importing a file twice is harmless.\n"
            "\n"
            "options:\n"
            "  --dry-run          check everything and report, write nothing\n"
            "  --registry FILE    the registry (created if missing; default: the global\n"
            "                     --registry, else $CONSENTBLUR_REGISTRY, else\n"
            "                     ~/.local/share/consentblur/registry.db)\n"
            "  --actor NAME       who imports, for the audit log (default: login name)\n"
            "  -h, --help         this help\n"),
          f);
}

int cb_cmd_import(int argc, char **argv, const cb_cli_common *common)
{
    enum { OPT_DRY_RUN = CB_OPT_FIRST_OWN };
    static const struct option options[] = {{"dry-run", no_argument, NULL, OPT_DRY_RUN},
                                            CB_CLI_REG_OPTIONS,
                                            {NULL, 0, NULL, 0}};
    cb_cli_reg o = {0};
    cb_import_opts opts = {0};
    int c;
    cb_cli_getopt_reset();
    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        if (c == OPT_DRY_RUN)
            opts.dry_run = 1;
        else if (!cb_cli_reg_option(c, &o))
            return cb_cli_bad_option("import", argv);
    }
    if (o.help) {
        cb_cmd_import_usage(stdout);
        return CB_EXIT_OK;
    }
    if (argc - optind != 1)
        return cb_cli_usage_error("import", _("takes one CSV file"));
    const char *path = argv[optind];
    char actor[64];
    cb_registry *r = NULL;
    cb_import_report rep;
    cb_error err = {0};
    cb_cli_reg_actor(&o, actor);
    if (cb_cli_reg_open(common, &o, CB_REGISTRY_CREATE, &r))
        return CB_EXIT_FAILED;
    int rc = cb_import_csv(r, path, &opts, actor, &rep, &err);
    cb_registry_close(r);
    if (rc < 0) {
        for (int i = 0; i < rep.n_kept; i++)
            fprintf(stderr, "consentblur: %s: %s\n", path, rep.errors[i]);
        if (rep.n_errors > rep.n_kept)
            fprintf(stderr, _("consentblur: %s: ... and %d more\n"), path,
                    rep.n_errors - rep.n_kept);
        cb_import_report_free(&rep);
        return cb_cli_fail("%s", err.msg);
    }
    printf(_("%s: %d row(s): %d people added, %d updated, %d unchanged; %d consent record(s) "
             "written, %d unchanged%s\n"),
           path, rep.rows, rep.people_added, rep.people_updated, rep.people_unchanged,
           rep.consents_recorded, rep.consents_unchanged,
           opts.dry_run ? _(" (dry run: nothing written)") : "");
    cb_import_report_free(&rep);
    return CB_EXIT_OK;
}

/*
 * cmd_purpose.c - `consentblur purpose list|add`: the channels consent is
 * given for (social, website, newsletter, print, internal, and more).
 */
#include <stdlib.h>
#include <string.h>

#include "cli_registry.h"

void cb_cmd_purpose_usage(FILE *f)
{
    fputs(_("usage: consentblur purpose list [--json]\n"
            "       consentblur purpose add NAME\n"
            "\n"
            "Consent is recorded per purpose (the channel a photo is published on). A new\n"
            "registry knows social, website, newsletter, print and internal. A name is 1-31\n"
            "of a-z, 0-9, '-' and '_', starting with a letter. Purposes cannot be removed:\n"
            "consent records refer to them.\n"
            "\n"
            "options:\n"
            "  --json             JSON on stdout (list)\n"
            "  --registry FILE    the registry (default: the global --registry, else\n"
            "                     $CONSENTBLUR_REGISTRY, else ~/.local/share/consentblur/registry.db)\n"
            "  --actor NAME       who makes the change, for the audit log (default: login name)\n"
            "  -h, --help         this help\n"),
          f);
}

/* `purpose list`. */
static int list_purposes(cb_registry *r, const cb_cli_list *o, const char *arg)
{
    (void)arg;
    char(*names)[32] = NULL;
    cb_error err = {0};
    int n = 0, rc = cb_registry_purpose_list(r, &names, &n, &err);
    if (rc < 0)
        return cb_cli_fail("%s", err.msg);
    if (o->reg.json) {
        cb_json *j = cb_cli_json_list("purposes", CB_JSON_INLINE);
        for (int i = 0; i < n; i++)
            cb_json_string(j, names[i]);
        rc = cb_cli_json_list_done(j);
    } else {
        for (int i = 0; i < n; i++)
            puts(names[i]);
        rc = CB_EXIT_OK;
    }
    free(names);
    return rc;
}

static int purpose_list(int argc, char **argv, const cb_cli_common *common)
{
    const cb_cli_list_spec spec = {"purpose list", cb_cmd_purpose_usage, NULL, 0,
                                   _("takes no arguments"), list_purposes};
    return cb_cli_list_run(argc, argv, common, &spec);
}

static int purpose_add(int argc, char **argv, const cb_cli_common *common)
{
    cb_cli_reg o = {0};
    int rc = cb_cli_reg_parse_plain(argc, argv, "purpose add", 0, NULL, 1, _("takes one NAME"),
                                    cb_cmd_purpose_usage, &o);
    if (rc >= 0)
        return rc;
    cb_registry *r = NULL;
    cb_error err = {0};
    char actor[64];
    cb_cli_reg_actor(&o, actor);
    if (cb_cli_reg_open(common, &o, CB_REGISTRY_CREATE, &r))
        return CB_EXIT_FAILED;
    rc = cb_registry_purpose_add(r, argv[optind], actor, &err);
    cb_registry_close(r);
    if (rc < 0)
        return cb_cli_fail("%s", err.msg);
    printf(_("added purpose %s\n"), argv[optind]);
    return CB_EXIT_OK;
}

int cb_cmd_purpose(int argc, char **argv, const cb_cli_common *common)
{
    static const cb_cli_sub subs[] = {
        {"list", purpose_list},
        {"add", purpose_add},
        {NULL, NULL},
    };
    static const cb_cli_group group = {
        "purpose", cb_cmd_purpose_usage, N_("missing subcommand: list or add"),
        N_("unknown subcommand '%s' (list, add)"), subs,
    };
    return cb_cli_group_run(&group, argc, argv, common);
}

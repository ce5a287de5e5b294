/*
 * cmd_setting.c - `consentblur setting list|set`: the policy settings kept
 * in the registry (ages at which consent rules change).
 */
#include <stdlib.h>
#include <string.h>

#include "cli_registry.h"

void cb_cmd_setting_usage(FILE *f)
{
    fputs(_("usage: consentblur setting list [--json]\n"
            "       consentblur setting set KEY VALUE\n"
            "\n"
            "Policy settings kept in the registry:\n"
            "  guardian_consent_until_age  (16) a guardian's consent stops counting on the\n"
            "                              pupil's birthday at this age; 0 = never\n"
            "  self_consent_from_age       (16) a pupil's own consent counts from this age\n"
            "Values are whole numbers 0-30. Changes are audited.\n"
            "\n"
            "options:\n"
            "  --json             JSON on stdout (list)\n"
            "  --registry FILE    the registry (default: the global --registry, else\n"
            "                     $CONSENTBLUR_REGISTRY, else ~/.local/share/consentblur/registry.db)\n"
            "  --actor NAME       who makes the change, for the audit log (default: login name)\n"
            "  -h, --help         this help\n"),
          f);
}

static void json_setting(cb_json *j, const cb_setting *s)
{
    cb_json_object(j, CB_JSON_INLINE);
    cb_json_kv_string(j, "key", s->key);
    cb_json_kv_int(j, "value", s->value);
    cb_json_kv_int(j, "default", s->default_value);
    cb_json_kv_bool(j, "is_set", s->is_set);
    cb_json_kv_string(j, "description", s->description);
    cb_json_end(j);
}

/* `setting list`. */
static int list_settings(cb_registry *r, const cb_cli_list *o, const char *arg)
{
    (void)arg;
    cb_setting *list = NULL;
    cb_error err = {0};
    int n = 0, rc = cb_registry_setting_list(r, &list, &n, &err);
    if (rc < 0)
        return cb_cli_fail("%s", err.msg);
    if (o->reg.json) {
        cb_json *j = cb_cli_json_list("settings", CB_JSON_LINES);
        for (int i = 0; i < n; i++)
            json_setting(j, &list[i]);
        rc = cb_cli_json_list_done(j);
    } else {
        for (int i = 0; i < n; i++)
            printf("%-28s %3d%s\n", list[i].key, list[i].value,
                   list[i].is_set ? "" : _("  (default)"));
        rc = CB_EXIT_OK;
    }
    free(list);
    return rc;
}

static int setting_list(int argc, char **argv, const cb_cli_common *common)
{
    const cb_cli_list_spec spec = {"setting list", cb_cmd_setting_usage, NULL, 0,
                                   _("takes no arguments"), list_settings};
    return cb_cli_list_run(argc, argv, common, &spec);
}

static int setting_set(int argc, char **argv, const cb_cli_common *common)
{
    cb_cli_reg o = {0};
    int rc = cb_cli_reg_parse_plain(argc, argv, "setting set", 0, NULL, 2,
                                    _("takes KEY and VALUE"), cb_cmd_setting_usage, &o);
    if (rc >= 0)
        return rc;
    const char *key = argv[optind], *text = argv[optind + 1];
    char *end;
    long v = strtol(text, &end, 10);
    if (!*text || *end || v < 0 || v > 30)
        return cb_cli_usage_error("setting set", _("VALUE takes a whole number 0-30, not '%s'"),
                                  text);
    cb_registry *r = NULL;
    cb_error err = {0};
    char actor[64];
    cb_cli_reg_actor(&o, actor);
    if (cb_cli_reg_open(common, &o, CB_REGISTRY_CREATE, &r))
        return CB_EXIT_FAILED;
    rc = cb_registry_setting_set_int(r, key, (int)v, actor, &err);
    cb_registry_close(r);
    if (rc < 0)
        return rc == CB_EINVAL ? cb_cli_usage_error("setting set", "%s", err.msg)
                               : cb_cli_fail("%s", err.msg);
    printf("%s = %ld\n", key, v);
    return CB_EXIT_OK;
}

int cb_cmd_setting(int argc, char **argv, const cb_cli_common *common)
{
    static const cb_cli_sub subs[] = {
        {"list", setting_list},
        {"set", setting_set},
        {NULL, NULL},
    };
    static const cb_cli_group group = {
        "setting", cb_cmd_setting_usage, N_("missing subcommand: list or set"),
        N_("unknown subcommand '%s' (list, set)"), subs,
    };
    return cb_cli_group_run(&group, argc, argv, common);
}

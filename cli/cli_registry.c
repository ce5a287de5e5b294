/* cli_registry.c - see cli_registry.h. */
#include "cli_registry.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../common/cb_date.h"

void cb_cli_getopt_reset(void)
{
    optind = 1;
    opterr = 0;
}

int cb_cli_subcommand(int argc, char **argv, int *help)
{
    *help = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--registry") || !strcmp(a, "--actor")) {
            i++;
            continue;
        } else if (a[0] == '-') {
            if (!strcmp(a, "-h") || !strcmp(a, "--help"))
                *help = 1;
            continue;
        }
        char *sub = argv[i];
        memmove(argv + 2, argv + 1, (size_t)(i - 1) * sizeof *argv);
        argv[1] = sub;
        return 1;
    }
    return 0;
}

int cb_cli_group_run(const cb_cli_group *g, int argc, char **argv, const cb_cli_common *common)
{
    int help = 0;
    if (!cb_cli_subcommand(argc, argv, &help)) {
        if (!help)
            return cb_cli_usage_error(g->name, "%s", _(g->missing));
        g->usage(stdout);
        return CB_EXIT_OK;
    }
    for (const cb_cli_sub *s = g->subs; s->name; s++)
        if (!strcmp(argv[1], s->name))
            return s->run(argc - 1, argv + 1, common);
    return cb_cli_usage_error(g->name, _(g->unknown), argv[1]);
}

int cb_cli_reg_option(int c, cb_cli_reg *o)
{
    switch (c) {
    case CB_OPT_REGISTRY: o->registry = optarg; return 1;
    case CB_OPT_ACTOR: o->actor = optarg; return 1;
    case CB_OPT_JSON: o->json = 1; return 1;
    case 'h': o->help = 1; return 1;
    default: return 0;
    }
}

int cb_cli_reg_parse_plain(int argc, char **argv, const char *cmd, int json_ok, int *yes,
                           int positional, const char *count_error, void (*usage)(FILE *),
                           cb_cli_reg *o)
{
    enum { OPT_YES = CB_OPT_FIRST_OWN };
    static const struct option with_json[] = {CB_CLI_JSON_OPTION, CB_CLI_REG_OPTIONS,
                                              {NULL, 0, NULL, 0}};
    static const struct option with_yes[] = {{"yes", no_argument, NULL, OPT_YES},
                                             CB_CLI_REG_OPTIONS,
                                             {NULL, 0, NULL, 0}};
    static const struct option plain[] = {CB_CLI_REG_OPTIONS, {NULL, 0, NULL, 0}};
    const struct option *table = json_ok ? with_json : yes ? with_yes : plain;
    int c;
    cb_cli_getopt_reset();
    while ((c = getopt_long(argc, argv, yes ? "hy" : "h", table, NULL)) != -1) {
        if (yes && (c == OPT_YES || c == 'y'))
            *yes = 1;
        else if (!cb_cli_reg_option(c, o))
            return cb_cli_bad_option(cmd, argv);
    }
    if (o->help) {
        usage(stdout);
        return CB_EXIT_OK;
    }
    if (argc - optind != positional)
        return cb_cli_usage_error(cmd, "%s", count_error);
    return -1;
}

static int parse_count(const char *s, long long max, long long *out)
{
    char *end;
    long long v = strtoll(s, &end, 10);
    if (!*s || *end || v < 0 || v > max)
        return -1;
    *out = v;
    return 0;
}

/* Parse argv for the list subcommand spec into *out: -1 to go on, else an exit code. */
static int parse_list(int argc, char **argv, const cb_cli_list_spec *spec, cb_cli_list *out)
{
    enum { OPT_AFTER = CB_OPT_FIRST_OWN, OPT_LIMIT };
    static const struct option paged[] = {{"after", required_argument, NULL, OPT_AFTER},
                                          {"limit", required_argument, NULL, OPT_LIMIT},
                                          CB_CLI_JSON_OPTION,
                                          CB_CLI_REG_OPTIONS,
                                          {NULL, 0, NULL, 0}};
    const struct option *options = spec->after_error ? paged : paged + 2;
    int c;
    memset(out, 0, sizeof *out);
    cb_cli_getopt_reset();
    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        if (c == OPT_AFTER && parse_count(optarg, INT64_MAX, &out->after) < 0)
            return cb_cli_usage_error(spec->cmd, spec->after_error, optarg);
        if (c == OPT_LIMIT && parse_count(optarg, 1000000000, &out->limit) < 0)
            return cb_cli_usage_error(spec->cmd, _("--limit takes a count, not '%s'"), optarg);
        if (c != OPT_AFTER && c != OPT_LIMIT && !cb_cli_reg_option(c, &out->reg))
            return cb_cli_bad_option(spec->cmd, argv);
    }
    if (out->reg.help) {
        spec->usage(stdout);
        return CB_EXIT_OK;
    }
    if (argc - optind > spec->max_args)
        return cb_cli_usage_error(spec->cmd, "%s", spec->args_error);
    return -1;
}

int cb_cli_list_run(int argc, char **argv, const cb_cli_common *common,
                    const cb_cli_list_spec *spec)
{
    cb_cli_list o;
    cb_registry *r = NULL;
    int rc = parse_list(argc, argv, spec, &o);
    if (rc >= 0)
        return rc;
    if (cb_cli_reg_open(common, &o.reg, 0, &r))
        return CB_EXIT_FAILED;
    rc = spec->list(r, &o, optind < argc ? argv[optind] : NULL);
    cb_registry_close(r);
    return rc;
}

int cb_cli_bad_option(const char *cmd, char **argv)
{
    const char *bad = optind > 0 ? argv[optind - 1] : "?";
    if (optopt && optopt < 256 && bad[0] == '-' && bad[1] != '-')
        return cb_cli_usage_error(cmd, _("unknown option '-%c' or it lacks its value"), optopt);
    return cb_cli_usage_error(cmd, _("unknown option '%s' or it lacks its value"), bad);
}

int cb_cli_usage_error(const char *cmd, const char *fmt, ...)
{
    char group[32];
    snprintf(group, sizeof group, "%s", cmd);
    char *space = strchr(group, ' ');
    if (space)
        *space = '\0';
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "consentblur %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, _(" (see `consentblur help %s`)\n"), group);
    va_end(ap);
    return CB_EXIT_USAGE;
}

int cb_cli_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("consentblur: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return CB_EXIT_FAILED;
}

int cb_cli_reg_open(const cb_cli_common *common, const cb_cli_reg *o, int flags,
                    cb_registry **out)
{
    char path[4096];
    cb_error err = {0};
    const char *p = o->registry ? o->registry : common->registry;
    if (!p) {
        if (cb_registry_default_path(path, sizeof path, &err) < 0)
            return cb_cli_fail("%s", err.msg);
        p = path;
    }
    if (cb_registry_open(p, flags, out, &err) < 0)
        return cb_cli_fail("%s", err.msg);
    cb_log(&common->log, CB_LOG_INFO, _("registry %s"), p);
    return 0;
}

int cb_cli_find_person(cb_registry *r, const char *key, cb_person *out, cb_error *err)
{
    int rc = cb_registry_person_find(r, key, out, err);
    if (rc == CB_ENOTFOUND)
        cb_error_set(err, rc,
                     _("no person '%.80s' in the registry (see `consentblur person list`)"),
                     key);
    return rc;
}

const char *cb_cli_role_label(cb_role role)
{
    switch (role) {
    /* TRANSLATORS: a person's role, in `person list` and `person show`. */
    case CB_ROLE_PUPIL: return C_("role", "pupil");
    case CB_ROLE_STAFF: return C_("role", "staff");
    case CB_ROLE_OTHER: return C_("role", "other");
    }
    return cb_role_name(role);
}

const char *cb_cli_status_label(cb_consent_status status)
{
    switch (status) {
    /* TRANSLATORS: the state of a consent record, in `consent list`,
       `person show` and the confirmation of `consent grant|refuse`. */
    case CB_CONSENT_GRANTED: return C_("consent status", "granted");
    case CB_CONSENT_REFUSED: return C_("consent status", "refused");
    case CB_CONSENT_WITHDRAWN: return C_("consent status", "withdrawn");
    }
    return cb_consent_status_name(status);
}

const char *cb_cli_given_by_label(cb_given_by given_by)
{
    switch (given_by) {
    /* TRANSLATORS: who gave consent: the person themselves, or their
       parent/guardian. */
    case CB_GIVEN_BY_SELF: return C_("given by", "self");
    case CB_GIVEN_BY_GUARDIAN: return C_("given by", "guardian");
    }
    return cb_given_by_name(given_by);
}

int cb_cli_column_width(int min, const char *const *labels, int n)
{
    int w = min;
    for (int i = 0; i < n; i++)
        if ((int)strlen(labels[i]) > w)
            w = (int)strlen(labels[i]);
    return w;
}

void cb_cli_reg_actor(const cb_cli_reg *o, char out[64])
{
    if (o->actor)
        snprintf(out, 64, "%s", o->actor);
    else
        cb_registry_default_actor(out, 64);
}

int cb_cli_check_date(const char *cmd, const char *opt, const char *value)
{
    if (cb_date_valid(value))
        return 0;
    return cb_cli_usage_error(cmd, _("%s '%s' is not a real date (YYYY-MM-DD)"), opt, value);
}

void cb_cli_json_consent(cb_json *j, const cb_consent *c, const char *external_id, int counts)
{
    cb_json_object(j, CB_JSON_INLINE);
    cb_json_kv_int(j, "id", c->id);
    cb_json_kv_int(j, "person_id", c->person_id);
    if (external_id)
        cb_json_kv_string(j, "external_id", external_id);
    cb_json_kv_string(j, "purpose", c->purpose);
    cb_json_kv_string(j, "status", cb_consent_status_name(c->status));
    cb_json_kv_string(j, "given_by", cb_given_by_name(c->given_by));
    cb_json_kv_string(j, "given_by_name", c->given_by_name);
    cb_json_kv_string(j, "evidence_ref", c->evidence_ref);
    cb_json_kv_string(j, "evidence_sha256", c->evidence_sha256);
    cb_json_kv_string(j, "valid_from", c->valid_from);
    cb_json_kv_string(j, "valid_until", c->valid_until);
    cb_json_kv_string(j, "recorded_by", c->recorded_by);
    cb_json_kv_string(j, "recorded_at", c->recorded_at);
    cb_json_kv_string(j, "withdrawn_at", c->withdrawn_at);
    cb_json_kv_string(j, "withdrawn_by", c->withdrawn_by);
    if (counts >= 0)
        cb_json_kv_bool(j, "counts", counts);
    cb_json_end(j);
}

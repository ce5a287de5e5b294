/*
 * cmd_person.c - `consentblur person add|list|show|remove`: the people the
 * registry knows.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "../common/cb_date.h"
#include "../consent/export.h"
#include "cli_registry.h"

void cb_cmd_person_usage(FILE *f)
{
    fputs(_("usage: consentblur person add EXTERNAL_ID --name NAME --role pupil|staff|other\n"
            "                          [--birth-date YYYY-MM-DD] [--group G]\n"
            "       consentblur person list [--json]\n"
            "       consentblur person show PERSON [--json]\n"
            "       consentblur person remove PERSON [--yes]\n"
            "\n"
            "The people the consent registry knows. PERSON is the external id (the pupil or\n"
            "staff number), or the registry id. A pupil needs a birth date: who may give\n"
            "consent depends on age. `remove` deletes the person with their consent records\n"
            "and face templates (overwritten on disk); the audit log keeps that it happened.\n"
            "On a terminal it asks first; elsewhere it needs --yes.\n"
            "\n"
            "options (after the command name):\n"
            "  --registry FILE   the registry (default: the global --registry, else\n"
            "                    $CONSENTBLUR_REGISTRY, else ~/.local/share/consentblur/registry.db)\n"
            "  --actor NAME      who makes the change, for the audit log (default: login name)\n"
            "  --json            JSON on stdout (list, show)\n"
            "  -h, --help        this help\n"),
          f);
}

static int person_add(int argc, char **argv, const cb_cli_common *common)
{
    enum { OPT_NAME = CB_OPT_FIRST_OWN, OPT_ROLE, OPT_BIRTH, OPT_GROUP };
    static const struct option options[] = {{"name", required_argument, NULL, OPT_NAME},
                                            {"role", required_argument, NULL, OPT_ROLE},
                                            {"birth-date", required_argument, NULL, OPT_BIRTH},
                                            {"group", required_argument, NULL, OPT_GROUP},
                                            CB_CLI_REG_OPTIONS,
                                            {NULL, 0, NULL, 0}};
    const char *cmd = "person add";
    cb_cli_reg o = {0};
    const char *name = NULL, *role = NULL, *birth = "", *group = "";
    int c;
    cb_cli_getopt_reset();
    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (c) {
        case OPT_NAME: name = optarg; break;
        case OPT_ROLE: role = optarg; break;
        case OPT_BIRTH: birth = optarg; break;
        case OPT_GROUP: group = optarg; break;
        default:
            if (!cb_cli_reg_option(c, &o))
                return cb_cli_bad_option(cmd, argv);
        }
    }
    if (o.help) {
        cb_cmd_person_usage(stdout);
        return CB_EXIT_OK;
    }
    if (optind + 1 != argc)
        return cb_cli_usage_error(cmd, optind >= argc ? _("missing EXTERNAL_ID")
                                                      : _("takes one EXTERNAL_ID"));
    cb_person p = {0};
    if (!name || !*name)
        return cb_cli_usage_error(cmd, _("missing --name NAME"));
    if (!role)
        return cb_cli_usage_error(cmd, _("missing --role pupil|staff|other"));
    if (cb_role_parse(role, &p.role) < 0)
        return cb_cli_usage_error(cmd, _("--role takes pupil, staff or other, not '%s'"), role);
    if (*birth && cb_cli_check_date(cmd, "--birth-date", birth))
        return CB_EXIT_USAGE;
    if (p.role == CB_ROLE_PUPIL && !*birth)
        return cb_cli_usage_error(cmd, _("a pupil needs --birth-date YYYY-MM-DD"));
    const char *ext = argv[optind];
    if (strlen(ext) >= sizeof p.external_id || strlen(name) >= sizeof p.name ||
        strlen(group) >= sizeof p.group_name)
        return cb_cli_usage_error(cmd, _("external id (63), name (127) or group (63) too long"));
    strcpy(p.external_id, ext);
    strcpy(p.name, name);
    strcpy(p.birth_date, birth);
    strcpy(p.group_name, group);

    char actor[64];
    cb_error err = {0};
    cb_registry *r = NULL;
    cb_cli_reg_actor(&o, actor);
    if (cb_cli_reg_open(common, &o, CB_REGISTRY_CREATE, &r))
        return CB_EXIT_FAILED;
    int rc = cb_registry_person_add(r, &p, actor, &err);
    cb_registry_close(r);
    if (rc < 0)
        return cb_cli_fail("%s", err.msg);
    printf(_("added %s (registry id %lld)\n"), p.external_id, (long long)p.id);
    return CB_EXIT_OK;
}

/* Parse the options of list/show/remove: shared options, --json when
 * json_ok, --yes when yes != NULL. Returns -1 to go on, else an exit code. */
static int parse_simple(int argc, char **argv, const char *cmd, int json_ok, int *yes,
                        int positional, cb_cli_reg *o)
{
    return cb_cli_reg_parse_plain(argc, argv, cmd, json_ok, yes, positional,
                                  positional ? _("takes one PERSON") : _("takes no arguments"),
                                  cb_cmd_person_usage, o);
}

/* `person list`. */
static int list_people(cb_registry *r, const cb_cli_list *o, const char *arg)
{
    (void)arg;
    cb_person *people = NULL;
    cb_error err = {0};
    int n = 0, rc = cb_registry_person_list(r, &people, &n, &err);
    if (rc < 0)
        return cb_cli_fail("%s", err.msg);
    rc = CB_EXIT_OK;
    if (o->reg.json) {
        cb_json *j = cb_cli_json_list("people", CB_JSON_LINES);
        for (int i = 0; i < n; i++)
            cb_registry_json_person(j, &people[i], CB_JSON_INLINE);
        rc = cb_cli_json_list_done(j);
    } else {
        /* TRANSLATORS: the column headings of `person list`. */
        const char *head[] = {C_("column", "EXTERNAL_ID"), C_("column", "NAME"),
                              C_("column", "ROLE"), C_("column", "BIRTH_DATE"),
                              C_("column", "GROUP")};
        const char *roles[] = {cb_cli_role_label(CB_ROLE_PUPIL), cb_cli_role_label(CB_ROLE_STAFF),
                               cb_cli_role_label(CB_ROLE_OTHER), head[2]};
        int w_id = cb_cli_column_width(14, head, 1);
        int w_name = cb_cli_column_width(28, head + 1, 1);
        int w_role = cb_cli_column_width(6, roles, 4);
        int w_birth = cb_cli_column_width(10, head + 3, 1);
        if (n)
            printf("%-*s %-*s %-*s %-*s %s\n", w_id, head[0], w_name, head[1], w_role, head[2],
                   w_birth, head[3], head[4]);
        for (int i = 0; i < n; i++)
            printf("%-*s %-*s %-*s %-*s %s\n", w_id, people[i].external_id, w_name,
                   people[i].name, w_role, cb_cli_role_label(people[i].role), w_birth,
                   people[i].birth_date[0] ? people[i].birth_date : "-", people[i].group_name);
    }
    free(people);
    return rc;
}

static int person_list(int argc, char **argv, const cb_cli_common *common)
{
    const cb_cli_list_spec spec = {"person list", cb_cmd_person_usage, NULL, 0,
                                   _("takes no arguments"), list_people};
    return cb_cli_list_run(argc, argv, common, &spec);
}

static void print_consent_line(const char *purpose, const cb_consent *c, int found)
{
    if (!found) {
        /* TRANSLATORS: `person show`: no consent record for this purpose. */
        printf(_("  %-12s none\n"), purpose);
        return;
    }
    const char *states[] = {cb_cli_status_label(CB_CONSENT_GRANTED),
                            cb_cli_status_label(CB_CONSENT_REFUSED),
                            cb_cli_status_label(CB_CONSENT_WITHDRAWN)};
    /* TRANSLATORS: `person show`, one line per purpose: purpose, status,
       "by" who gave it (self or guardian), then the details below. */
    printf(_("  %-12s %-*s by %s"), purpose, cb_cli_column_width(9, states, 3),
           cb_cli_status_label(c->status), cb_cli_given_by_label(c->given_by));
    if (c->given_by_name[0])
        printf(" (%s)", c->given_by_name);
    if (c->valid_from[0])
        printf(_(", from %s"), c->valid_from);
    if (c->valid_until[0])
        printf(_(", until %s"), c->valid_until);
    if (c->evidence_ref[0])
        printf(_(", evidence %s"), c->evidence_ref);
    printf(_(", recorded %s by %s"), c->recorded_at, c->recorded_by);
    if (c->status == CB_CONSENT_WITHDRAWN)
        printf(_(", withdrawn %s by %s"), c->withdrawn_at, c->withdrawn_by);
    putchar('\n');
}

/* What `person show` shows. */
typedef struct shown {
    cb_person p;
    int n_templates;
    char (*purposes)[32];
    int n_purposes;
    cb_consent *current; /* per purpose: the record that counts, when found */
    int *found;
} shown;

static void shown_free(shown *s)
{
    free(s->purposes);
    free(s->current);
    free(s->found);
}

/* Read the person `key`, their template count and the record that counts
 * for each purpose into s. */
static int load_shown(cb_registry *r, const char *key, shown *s, cb_error *err)
{
    int rc = cb_cli_find_person(r, key, &s->p, err);
    if (rc == 0)
        rc = cb_registry_template_count(r, s->p.id, &s->n_templates, err);
    if (rc == 0)
        rc = cb_registry_purpose_list(r, &s->purposes, &s->n_purposes, err);
    if (rc == 0) {
        s->current = calloc((size_t)s->n_purposes + 1, sizeof *s->current);
        s->found = calloc((size_t)s->n_purposes + 1, sizeof *s->found);
        if (!s->current || !s->found)
            rc = cb_error_set(err, CB_ENOMEM, _("out of memory"));
    }
    for (int i = 0; rc == 0 && i < s->n_purposes; i++)
        rc = cb_registry_consent_current(r, s->p.id, s->purposes[i], &s->current[i],
                                         &s->found[i], err);
    return rc;
}

static int show_json(const shown *s)
{
    cb_json *j = cb_json_new(0);
    cb_json_object(j, CB_JSON_LINES);
    cb_json_key(j, "person");
    cb_registry_json_person(j, &s->p, CB_JSON_INLINE);
    cb_json_kv_int(j, "templates", s->n_templates);
    cb_json_key(j, "consent");
    cb_json_object(j, CB_JSON_LINES);
    for (int i = 0; i < s->n_purposes; i++) {
        cb_json_key(j, s->purposes[i]);
        if (s->found[i])
            cb_cli_json_consent(j, &s->current[i], NULL, -1);
        else
            cb_json_null(j);
    }
    cb_json_end(j);
    cb_json_end(j);
    return cb_cli_json_done(j);
}

static void show_text(const shown *s)
{
    char today[11];
    cb_date_today(today);
    int age = s->p.birth_date[0] ? cb_date_age_on(s->p.birth_date, today) : -1;
    /* TRANSLATORS: `person show`: a label, spaces up to one column
       (the same for every line), the value. */
    printf(_("person       %s (registry id %lld)\n"), s->p.external_id, (long long)s->p.id);
    printf(_("name         %s\n"), s->p.name);
    printf(_("role         %s\n"), cb_cli_role_label(s->p.role));
    if (age >= 0)
        printf(_("birth date   %s (age %d)\n"), s->p.birth_date, age);
    else
        printf(_("birth date   %s\n"), s->p.birth_date[0] ? s->p.birth_date : "-");
    printf(_("group        %s\n"), s->p.group_name[0] ? s->p.group_name : "-");
    printf(_("created      %s\n"), s->p.created_at);
    printf(_("templates    %d\n"), s->n_templates);
    printf(_("consent (the newest record per purpose counts):\n"));
    for (int i = 0; i < s->n_purposes; i++)
        print_consent_line(s->purposes[i], &s->current[i], s->found[i]);
}

static int person_show(int argc, char **argv, const cb_cli_common *common)
{
    cb_cli_reg o = {0};
    int rc = parse_simple(argc, argv, "person show", 1, NULL, 1, &o);
    if (rc >= 0)
        return rc;
    cb_registry *r = NULL;
    shown s = {0};
    cb_error err = {0};
    if (cb_cli_reg_open(common, &o, 0, &r))
        return CB_EXIT_FAILED;
    rc = load_shown(r, argv[optind], &s, &err);
    cb_registry_close(r);
    if (rc < 0) {
        rc = cb_cli_fail("%s", err.msg);
    } else if (o.json) {
        rc = show_json(&s);
    } else {
        show_text(&s);
        rc = CB_EXIT_OK;
    }
    shown_free(&s);
    return rc;
}

/* Ask on the terminal; 1 when the answer is yes. */
static int confirm(const cb_person *p, int n_consents, int n_templates)
{
    char line[32];
    /* TRANSLATORS: the question before `person remove`. [y/N]: the short
       "yes" answer (translated below as answer "y") and "no". */
    fprintf(stderr,
            _("Remove %s (%s) with %d consent record(s) and %d face template(s)? This cannot "
              "be undone. [y/N] "),
            p->external_id, p->name, n_consents, n_templates);
    fflush(stderr);
    if (!fgets(line, sizeof line, stdin))
        return 0;
    line[strcspn(line, "\n")] = '\0';
    /* TRANSLATORS: the answers to the question above that mean yes (English
       y and yes are always taken too). */
    const char *yes[] = {"y", "yes", C_("answer", "y"), C_("answer", "yes")};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
        if (!strcasecmp(line, yes[i]))
            return 1;
    return 0;
}

static int person_remove(int argc, char **argv, const cb_cli_common *common)
{
    cb_cli_reg o = {0};
    int yes = 0;
    int rc = parse_simple(argc, argv, "person remove", 0, &yes, 1, &o);
    if (rc >= 0)
        return rc;
    int interactive = isatty(STDIN_FILENO) && isatty(STDERR_FILENO);
    if (!yes && !interactive)
        return cb_cli_usage_error("person remove", _("not on a terminal: add --yes to confirm"));
    cb_registry *r = NULL;
    cb_person p;
    cb_error err = {0};
    cb_consent *consents = NULL;
    int n_consents = 0, n_templates = 0;
    char actor[64];
    cb_cli_reg_actor(&o, actor);
    if (cb_cli_reg_open(common, &o, 0, &r))
        return CB_EXIT_FAILED;
    rc = cb_cli_find_person(r, argv[optind], &p, &err);
    if (rc == 0)
        rc = cb_registry_template_count(r, p.id, &n_templates, &err);
    if (rc == 0)
        rc = cb_registry_consent_list(r, p.id, &consents, &n_consents, &err);
    free(consents);
    if (rc == 0 && !yes && !confirm(&p, n_consents, n_templates)) {
        cb_registry_close(r);
        return cb_cli_fail(_("%s not removed"), p.external_id);
    }
    if (rc == 0)
        rc = cb_registry_person_remove(r, p.id, actor, &err);
    cb_registry_close(r);
    if (rc < 0)
        return cb_cli_fail("%s", err.msg);
    printf(_("removed %s (%d consent record(s), %d face template(s) erased)\n"), p.external_id,
           n_consents, n_templates);
    return CB_EXIT_OK;
}

int cb_cmd_person(int argc, char **argv, const cb_cli_common *common)
{
    static const cb_cli_sub subs[] = {
        {"add", person_add},
        {"list", person_list},
        {"show", person_show},
        {"remove", person_remove},
        {NULL, NULL},
    };
    static const cb_cli_group group = {
        "person", cb_cmd_person_usage, N_("missing subcommand: add, list, show or remove"),
        N_("unknown subcommand '%s' (add, list, show, remove)"), subs,
    };
    return cb_cli_group_run(&group, argc, argv, common);
}

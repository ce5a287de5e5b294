/*
 * cmd_consent.c - `consentblur consent grant|refuse|withdraw|list`: consent
 * decisions per person and purpose.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "../common/cb_date.h"
#include "../common/sha256.h"
#include "cli_registry.h"

void cb_cmd_consent_usage(FILE *f)
{
    fputs(_("usage: consentblur consent grant PERSON PURPOSE... --given-by self|guardian\n"
            "                  [--signed-by NAME] [--evidence FILE | --evidence-ref TEXT]\n"
            "                  [--from YYYY-MM-DD] [--until YYYY-MM-DD]\n"
            "       consentblur consent refuse PERSON PURPOSE... (the same options)\n"
            "       consentblur consent withdraw PERSON [PURPOSE...]\n"
            "       consentblur consent list [PERSON] [--json]\n"
            "\n"
            "Consent is recorded per purpose (see `consentblur purpose list`). The newest\n"
            "record of a purpose is the one that counts; older ones stay as history.\n"
            "`withdraw` without purposes withdraws every granted purpose; a person left\n"
            "with no granted consent has their face templates erased at once.\n"
            "Several purposes are recorded together or not at all.\n"
            "\n"
            "options:\n"
            "  --given-by WHO      self, or guardian (the parent/guardian signed)\n"
            "  --signed-by NAME    who signed (the guardian's name)\n"
            "  --evidence FILE     the signed form: its path and SHA-256 are recorded\n"
            "  --evidence-ref TEXT where the signed form is (document number, folder)\n"
            "  --from DATE         first day the consent counts (default: today)\n"
            "  --until DATE        last day it counts (default: open-ended)\n"
            "  --registry FILE     the registry (default: the global --registry, else\n"
            "                      $CONSENTBLUR_REGISTRY, else ~/.local/share/consentblur/registry.db)\n"
            "  --actor NAME        who makes the change, for the audit log (default: login name)\n"
            "  --json              JSON on stdout (list)\n"
            "  -h, --help          this help\n"),
          f);
}

typedef struct decision_args {
    cb_cli_reg o;
    const char *given_by, *signed_by, *evidence, *evidence_ref, *from, *until;
} decision_args;

static int parse_decision(int argc, char **argv, const char *cmd, decision_args *a)
{
    enum { OPT_GIVEN_BY = CB_OPT_FIRST_OWN, OPT_SIGNED_BY, OPT_EVIDENCE, OPT_EVIDENCE_REF,
           OPT_FROM, OPT_UNTIL };
    static const struct option options[] = {
        {"given-by", required_argument, NULL, OPT_GIVEN_BY},
        {"signed-by", required_argument, NULL, OPT_SIGNED_BY},
        {"evidence", required_argument, NULL, OPT_EVIDENCE},
        {"evidence-ref", required_argument, NULL, OPT_EVIDENCE_REF},
        {"from", required_argument, NULL, OPT_FROM},
        {"until", required_argument, NULL, OPT_UNTIL},
        CB_CLI_REG_OPTIONS,
        {NULL, 0, NULL, 0}};
    int c;
    cb_cli_getopt_reset();
    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (c) {
        case OPT_GIVEN_BY: a->given_by = optarg; break;
        case OPT_SIGNED_BY: a->signed_by = optarg; break;
        case OPT_EVIDENCE: a->evidence = optarg; break;
        case OPT_EVIDENCE_REF: a->evidence_ref = optarg; break;
        case OPT_FROM: a->from = optarg; break;
        case OPT_UNTIL: a->until = optarg; break;
        default:
            if (!cb_cli_reg_option(c, &a->o))
                return cb_cli_bad_option(cmd, argv);
        }
    }
    if (a->o.help) {
        cb_cmd_consent_usage(stdout);
        return CB_EXIT_OK;
    }
    if (argc - optind < 2)
        return cb_cli_usage_error(cmd, _("needs PERSON and at least one PURPOSE"));
    if (!a->given_by)
        return cb_cli_usage_error(cmd, _("missing --given-by self|guardian"));
    cb_given_by g;
    if (cb_given_by_parse(a->given_by, &g) < 0)
        return cb_cli_usage_error(cmd, _("--given-by takes self or guardian, not '%s'"),
                                  a->given_by);
    if (a->evidence && a->evidence_ref)
        return cb_cli_usage_error(cmd, _("give --evidence FILE or --evidence-ref TEXT, not both"));
    if ((a->from && cb_cli_check_date(cmd, "--from", a->from)) ||
        (a->until && cb_cli_check_date(cmd, "--until", a->until)))
        return CB_EXIT_USAGE;
    if (a->from && a->until && strcmp(a->until, a->from) < 0)
        return cb_cli_usage_error(cmd, _("--until %s is before --from %s"), a->until, a->from);
    return -1;
}

/* A note when the signer does not fit the policy's age rules. */
static void age_note(cb_registry *r, const cb_person *p, cb_given_by g)
{
    char today[11];
    int self_from = 16, guardian_until = 16;
    if (p->role != CB_ROLE_PUPIL || !p->birth_date[0])
        return;
    cb_date_today(today);
    int age = cb_date_age_on(p->birth_date, today);
    if (age < 0 || cb_registry_setting_get_int(r, "self_consent_from_age", &self_from, NULL) < 0 ||
        cb_registry_setting_get_int(r, "guardian_consent_until_age", &guardian_until, NULL) < 0)
        return;
    if (g == CB_GIVEN_BY_SELF && age < self_from)
        fprintf(stderr, _("consentblur: note: %s is %d; a pupil's own consent counts from %d "
                          "(setting self_consent_from_age)\n"),
                p->external_id, age, self_from);
    else if (g == CB_GIVEN_BY_GUARDIAN && guardian_until > 0 && age >= guardian_until)
        fprintf(stderr, _("consentblur: note: %s is %d; a guardian's consent stops counting at "
                          "%d (setting guardian_consent_until_age)\n"),
                p->external_id, age, guardian_until);
}

static int consent_decide(int argc, char **argv, const cb_cli_common *common,
                          cb_consent_status status)
{
    const char *cmd = status == CB_CONSENT_GRANTED ? "consent grant" : "consent refuse";
    decision_args a = {0};
    int rc = parse_decision(argc, argv, cmd, &a);
    if (rc >= 0)
        return rc;
    cb_consent base = {0};
    base.status = status;
    cb_given_by_parse(a.given_by, &base.given_by);
    if ((a.signed_by && strlen(a.signed_by) >= sizeof base.given_by_name) ||
        (a.evidence_ref && strlen(a.evidence_ref) >= sizeof base.evidence_ref))
        return cb_cli_usage_error(cmd, _("--signed-by (127) or --evidence-ref (255) too long"));
    snprintf(base.given_by_name, sizeof base.given_by_name, "%s", a.signed_by ? a.signed_by : "");
    snprintf(base.evidence_ref, sizeof base.evidence_ref, "%s",
             a.evidence_ref ? a.evidence_ref : "");
    snprintf(base.valid_from, sizeof base.valid_from, "%s", a.from ? a.from : "");
    snprintf(base.valid_until, sizeof base.valid_until, "%s", a.until ? a.until : "");
    cb_error err = {0};
    if (a.evidence) {
        char full[PATH_MAX];
        if (cb_sha256_file_hex(a.evidence, base.evidence_sha256, &err) < 0)
            return cb_cli_fail(_("evidence: %s"), err.msg);
        const char *ref = realpath(a.evidence, full) ? full : a.evidence;
        if (strlen(ref) >= sizeof base.evidence_ref)
            return cb_cli_fail(_("evidence path longer than %zu bytes: %s"),
                               sizeof base.evidence_ref - 1, ref);
        strcpy(base.evidence_ref, ref);
    }

    char actor[64];
    cb_registry *r = NULL;
    cb_person p;
    cb_cli_reg_actor(&a.o, actor);
    if (cb_cli_reg_open(common, &a.o, 0, &r))
        return CB_EXIT_FAILED;
    rc = cb_cli_find_person(r, argv[optind], &p, &err);
    if (rc == 0)
        rc = cb_registry_begin(r, &err);
    for (int i = optind + 1; rc == 0 && i < argc; i++) {
        cb_consent c = base;
        c.person_id = p.id;
        if (strlen(argv[i]) >= sizeof c.purpose) {
            rc = cb_error_set(&err, CB_EINVAL, _("unknown purpose '%.40s'"), argv[i]);
            break;
        }
        strcpy(c.purpose, argv[i]);
        rc = cb_registry_consent_record(r, &c, actor, &err);
    }
    if (rc == 0)
        rc = cb_registry_commit(r, &err);
    else
        cb_registry_rollback(r);
    if (rc == 0 && status == CB_CONSENT_GRANTED)
        age_note(r, &p, base.given_by);
    cb_registry_close(r);
    if (rc < 0)
        return cb_cli_fail("%s", err.msg);
    printf("%s:", p.external_id);
    for (int i = optind + 1; i < argc; i++)
        printf(" %s", argv[i]);
    /* TRANSLATORS: after `consent grant|refuse`: "P1007: social website" then
       this: the new status, and who gave it (self or guardian). */
    printf(_(" %s (given by %s)\n"), cb_cli_status_label(status),
           cb_cli_given_by_label(base.given_by));
    return CB_EXIT_OK;
}

static int consent_withdraw(int argc, char **argv, const cb_cli_common *common)
{
    static const struct option options[] = {CB_CLI_REG_OPTIONS, {NULL, 0, NULL, 0}};
    const char *cmd = "consent withdraw";
    cb_cli_reg o = {0};
    int c;
    cb_cli_getopt_reset();
    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1)
        if (!cb_cli_reg_option(c, &o))
            return cb_cli_bad_option(cmd, argv);
    if (o.help) {
        cb_cmd_consent_usage(stdout);
        return CB_EXIT_OK;
    }
    if (optind >= argc)
        return cb_cli_usage_error(cmd, _("missing PERSON"));
    char actor[64];
    cb_registry *r = NULL;
    cb_person p;
    cb_error err = {0};
    int before = 0, after = 0, total = 0;
    cb_cli_reg_actor(&o, actor);
    if (cb_cli_reg_open(common, &o, 0, &r))
        return CB_EXIT_FAILED;
    int rc = cb_cli_find_person(r, argv[optind], &p, &err);
    if (rc == 0)
        rc = cb_registry_template_count(r, p.id, &before, &err);
    if (rc == 0)
        rc = cb_registry_begin(r, &err);
    if (rc == 0 && optind + 1 == argc)
        rc = cb_registry_consent_withdraw(r, p.id, NULL, actor, &total, &err);
    for (int i = optind + 1; rc == 0 && i < argc; i++) {
        int n = 0;
        rc = cb_registry_consent_withdraw(r, p.id, argv[i], actor, &n, &err);
        total += n;
    }
    if (rc == 0)
        rc = cb_registry_commit(r, &err);
    else
        cb_registry_rollback(r);
    if (rc == 0)
        rc = cb_registry_template_count(r, p.id, &after, &err);
    cb_registry_close(r);
    if (rc < 0)
        return cb_cli_fail("%s", err.msg);
    printf(_("%s: %d consent record(s) withdrawn"), p.external_id, total);
    if (before > after)
        printf(_("; %d face template(s) erased"), before - after);
    putchar('\n');
    return CB_EXIT_OK;
}

typedef struct rec_key {
    int64_t person_id;
    const char *purpose;
    int index; /* in id order */
} rec_key;

static int compare_keys(const void *a, const void *b)
{
    const rec_key *x = a, *y = b;
    if (x->person_id != y->person_id)
        return x->person_id < y->person_id ? -1 : 1;
    int c = strcmp(x->purpose, y->purpose);
    return c ? c : x->index - y->index;
}

/* What `consent list` shows: the records (of one person, or everyone's),
 * the people they belong to, and which records count. */
typedef struct listing {
    cb_person one;     /* the person asked for */
    cb_person *people; /* &one, or every person (allocated) */
    int n_people;
    cb_consent *list;
    int n;
    char *counts;      /* per record: 1 when it is the newest of its person and purpose */
} listing;

static void listing_free(listing *l)
{
    if (l->people != &l->one)
        free(l->people);
    free(l->list);
    free(l->counts);
}

/* The external id of person_id. */
static const char *external_id_of(const listing *l, int64_t id)
{
    for (int i = 0; i < l->n_people; i++)
        if (l->people[i].id == id)
            return l->people[i].external_id;
    return "?";
}

/* Read the records of `person` (NULL: everyone's) into l. */
static int load_listing(cb_registry *r, const char *person, listing *l, cb_error *err)
{
    int rc;
    if (person) {
        l->people = &l->one;
        l->n_people = 1;
        rc = cb_cli_find_person(r, person, &l->one, err);
        if (rc == 0)
            rc = cb_registry_consent_list(r, l->one.id, &l->list, &l->n, err);
    } else {
        rc = cb_registry_person_list(r, &l->people, &l->n_people, err);
        if (rc == 0)
            rc = cb_registry_consent_list(r, 0, &l->list, &l->n, err);
    }
    return rc;
}

/* Mark the records that count: the last of each (person, purpose). */
static int mark_counting(listing *l, cb_error *err)
{
    l->counts = calloc((size_t)l->n + 1, 1);
    rec_key *keys = calloc((size_t)l->n + 1, sizeof *keys);
    if (!l->counts || !keys) {
        free(keys);
        return cb_error_set(err, CB_ENOMEM, _("out of memory"));
    }
    for (int i = 0; i < l->n; i++)
        keys[i] = (rec_key){l->list[i].person_id, l->list[i].purpose, i};
    qsort(keys, (size_t)l->n, sizeof *keys, compare_keys);
    for (int i = 0; i < l->n; i++)
        if (i + 1 == l->n || keys[i + 1].person_id != keys[i].person_id ||
            strcmp(keys[i + 1].purpose, keys[i].purpose) != 0)
            l->counts[keys[i].index] = 1;
    free(keys);
    return 0;
}

static int print_listing_json(const listing *l)
{
    cb_json *j = cb_cli_json_list("consents", CB_JSON_LINES);
    for (int i = 0; i < l->n; i++)
        cb_cli_json_consent(j, &l->list[i], external_id_of(l, l->list[i].person_id),
                            l->counts[i]);
    return cb_cli_json_list_done(j);
}

static void print_listing_text(const listing *l)
{
    /* TRANSLATORS: the column headings of `consent list`. */
    const char *h[] = {C_("column", "ID"), C_("column", "PERSON"), C_("column", "PURPOSE"),
                       C_("column", "STATUS"), C_("column", "GIVEN_BY"),
                       C_("column", "FROM"), C_("column", "UNTIL"),
                       C_("column", "RECORDED_AT"), C_("column", "COUNTS")};
    const char *st[] = {h[3], cb_cli_status_label(CB_CONSENT_GRANTED),
                        cb_cli_status_label(CB_CONSENT_REFUSED),
                        cb_cli_status_label(CB_CONSENT_WITHDRAWN)};
    const char *by[] = {h[4], cb_cli_given_by_label(CB_GIVEN_BY_SELF),
                        cb_cli_given_by_label(CB_GIVEN_BY_GUARDIAN)};
    int w[8] = {cb_cli_column_width(6, h, 1), cb_cli_column_width(14, h + 1, 1),
                cb_cli_column_width(12, h + 2, 1), cb_cli_column_width(9, st, 4),
                cb_cli_column_width(8, by, 3), cb_cli_column_width(10, h + 5, 1),
                cb_cli_column_width(10, h + 6, 1), cb_cli_column_width(20, h + 7, 1)};
    if (l->n)
        printf("%-*s %-*s %-*s %-*s %-*s %-*s %-*s %-*s %s\n", w[0], h[0], w[1], h[1], w[2],
               h[2], w[3], h[3], w[4], h[4], w[5], h[5], w[6], h[6], w[7], h[7], h[8]);
    for (int i = 0; i < l->n; i++) {
        const cb_consent *k = &l->list[i];
        /* TRANSLATORS: the COUNTS column of `consent list`: whether this
           record is the one that counts. */
        printf("%-*lld %-*s %-*s %-*s %-*s %-*s %-*s %-*s %s\n", w[0], (long long)k->id, w[1],
               external_id_of(l, k->person_id), w[2], k->purpose, w[3],
               cb_cli_status_label(k->status), w[4], cb_cli_given_by_label(k->given_by), w[5],
               k->valid_from[0] ? k->valid_from : "-", w[6],
               k->valid_until[0] ? k->valid_until : "-", w[7], k->recorded_at,
               l->counts[i] ? C_("counts", "yes") : C_("counts", "no"));
    }
}

/* `consent list [PERSON]`. */
static int list_consents(cb_registry *r, const cb_cli_list *o, const char *person)
{
    listing l = {0};
    cb_error err = {0};
    int rc = load_listing(r, person, &l, &err);
    if (rc == 0)
        rc = mark_counting(&l, &err);
    if (rc < 0) {
        listing_free(&l);
        return cb_cli_fail("%s", err.msg);
    }
    if (o->reg.json) {
        rc = print_listing_json(&l);
    } else {
        print_listing_text(&l);
        rc = CB_EXIT_OK;
    }
    listing_free(&l);
    return rc;
}

static int consent_list(int argc, char **argv, const cb_cli_common *common)
{
    const cb_cli_list_spec spec = {"consent list", cb_cmd_consent_usage, NULL, 1,
                                   _("takes at most one PERSON"), list_consents};
    return cb_cli_list_run(argc, argv, common, &spec);
}

static int consent_grant(int argc, char **argv, const cb_cli_common *common)
{
    return consent_decide(argc, argv, common, CB_CONSENT_GRANTED);
}

static int consent_refuse(int argc, char **argv, const cb_cli_common *common)
{
    return consent_decide(argc, argv, common, CB_CONSENT_REFUSED);
}

int cb_cmd_consent(int argc, char **argv, const cb_cli_common *common)
{
    static const cb_cli_sub subs[] = {
        {"grant", consent_grant},
        {"refuse", consent_refuse},
        {"withdraw", consent_withdraw},
        {"list", consent_list},
        {NULL, NULL},
    };
    static const cb_cli_group group = {
        "consent", cb_cmd_consent_usage, N_("missing subcommand: grant, refuse, withdraw or list"),
        N_("unknown subcommand '%s' (grant, refuse, withdraw, list)"), subs,
    };
    return cb_cli_group_run(&group, argc, argv, common);
}

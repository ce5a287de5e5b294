/*
 * cmd_enroll.c - `consentblur enroll PERSON PHOTO...`: the options, and a
 * line (or JSON) per photo of what the enrolment (pipeline/enroll.h) made of
 * it: stored, or refused and why.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "../consent/registry.h"
#include "../pipeline/enroll.h"
#include "cli_registry.h"

void cb_cmd_enroll_usage(FILE *f)
{
    fputs(_("usage: consentblur enroll PERSON PHOTO... [options]\n"
            "\n"
            "Stores a face template (a 128-number description of the face, not the photo)\n"
            "of PERSON (their external id) from each photo, so that `process` recognises\n"
            "them. Only people who hold at least one granted consent can be enrolled. Each\n"
            "photo must show exactly one face, roughly frontal, its eyes at least 26\n"
            "pixels apart (a face about 65 pixels tall); otherwise it is refused with the\n"
            "reason. Use 2-5 photos per person.\n"
            "\n"
            "options:\n"
            "  --registry FILE   consent registry (default: see `consentblur --help`)\n"
            "  --actor NAME      who is enrolling, for the audit log (default: login name)\n"
            "  --json            print a JSON report on stdout\n"
            "\n"
            "exit codes: 0 every photo enrolled, 1 some photo refused or failed, 2 usage.\n"),
          f);
}

/* One photo's entry in the JSON output: enrolled (template id, quality) or why not. */
static void json_photo(cb_json *j, const char *photo, int rc, const cb_error *why,
                       const cb_enrolled *got)
{
    cb_json_object(j, CB_JSON_INLINE);
    cb_json_kv_string(j, "photo", photo);
    cb_json_kv_bool(j, "enrolled", rc == 0);
    if (rc < 0) {
        cb_json_kv_string(j, "reason", why->msg);
    } else {
        cb_json_kv_int(j, "template", got->template_id);
        cb_json_kv_fixed(j, "quality", got->quality, 3);
    }
    cb_json_end(j);
}

/* Enrol each photo of argv[first..argc-1], one line (or JSON object) each;
 * returns how many were refused (a JSON report that cannot be written
 * counts as one). */
static int enroll_photos(cb_enroller *e, const cb_person *person, int first, int argc,
                         char **argv, int json, const cb_logger *log)
{
    int refused = 0;
    cb_json *j = NULL;
    if (json) {
        j = cb_json_new(0);
        cb_json_object(j, CB_JSON_INLINE);
        cb_json_kv_string(j, "person", person->external_id);
        cb_json_key(j, "photos");
        cb_json_array(j, CB_JSON_LINES);
    }
    for (int i = first; i < argc; i++) {
        cb_enrolled got = {0};
        cb_error err = {0};
        int prc = cb_enroller_add(e, argv[i], &got, &err);
        if (prc < 0) {
            refused++;
            /* TRANSLATORS: a photo `enroll` did not take: PHOTO: why (the
               reasons above, or a lower layer's message). */
            fprintf(stderr, _("consentblur: not enrolled: %s\n"), err.msg);
        } else {
            cb_log(log, CB_LOG_INFO, _("%s: enrolled %s (template %lld, quality %.2f)"), argv[i],
                   person->external_id, (long long)got.template_id, got.quality);
        }
        if (json)
            json_photo(j, argv[i], prc, &err, &got);
    }
    if (json) {
        cb_json_end(j);
        cb_json_kv_int(j, "enrolled", argc - first - refused);
        cb_json_kv_int(j, "refused", refused);
        cb_json_end(j);
        refused += cb_cli_json_done(j) != CB_EXIT_OK;
    }
    return refused;
}

int cb_cmd_enroll(int argc, char **argv, const cb_cli_common *common)
{
    static const struct option options[] = {{"registry", required_argument, NULL, 'r'},
                                            {"actor", required_argument, NULL, 'a'},
                                            {"json", no_argument, NULL, 'j'},
                                            {"help", no_argument, NULL, 'h'},
                                            {NULL, 0, NULL, 0}};
    const char *registry = common->registry;
    char actor[64];
    int json = 0, opt;
    cb_registry_default_actor(actor, sizeof actor);
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (opt) {
        case 'r': registry = optarg; break;
        case 'a': snprintf(actor, sizeof actor, "%s", optarg); break;
        case 'j': json = 1; break;
        case 'h': cb_cmd_enroll_usage(stdout); return CB_EXIT_OK;
        default: cb_cmd_enroll_usage(stderr); return CB_EXIT_USAGE;
        }
    }
    if (argc - optind < 2) {
        fprintf(stderr, _("consentblur enroll: need PERSON and at least one PHOTO "
                          "(see `consentblur help enroll`)\n"));
        return CB_EXIT_USAGE;
    }
    char path[4096];
    cb_error err = {0};
    cb_registry *r = NULL;
    cb_enroller *e = NULL;
    cb_person person;
    const cb_enroll_opts opts = {common->model_dir, actor, &common->log};
    int rc = 0;
    if (!registry) {
        rc = cb_registry_default_path(path, sizeof path, &err);
        registry = path;
    }
    if (rc == 0)
        rc = cb_registry_open(registry, 0, &r, &err);
    if (rc == 0)
        rc = cb_cli_find_person(r, argv[optind], &person, &err);
    if (rc == 0)
        rc = cb_enroller_open(r, &person, &opts, &e, &err);
    if (rc < 0)
        fprintf(stderr, _("consentblur: enroll: %s\n"), err.msg);
    else if (enroll_photos(e, &person, optind + 1, argc, argv, json, &common->log) > 0)
        rc = -1;
    cb_enroller_close(e);
    cb_registry_close(r);
    return rc < 0 ? CB_EXIT_FAILED : CB_EXIT_OK;
}

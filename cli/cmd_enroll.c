/*
 * cmd_enroll.c - `consentblur enroll PERSON PHOTO...`: store face templates
 * of a person who holds consent, one per photo, so that `process` can
 * recognise them. A photo is refused (and says why) unless it shows exactly
 * one face, large and frontal enough to recognise reliably.
 */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../common/sha256.h"
#include "../consent/registry.h"
#include "../models/detector.h"
#include "../models/embedder.h"
#include "../pipeline/media_in.h"
#include "cli_registry.h"

/* An enrolment photo must show a face whose eyes are at least this far apart
 * (image pixels): half their distance in the 150-pixel chip the recogniser
 * sees (52.5), so that the chip is enlarged at most twice; a frontal face
 * about 65 pixels tall from brow to chin. Measured on the landmarks, not on
 * the box: detectors draw boxes of different heights around one face... */
#define CB_ENROLL_MIN_EYE_DISTANCE 26
/* ...whose landmarks rate at least this (cb_embedder_quality). */
#define CB_ENROLL_MIN_QUALITY 0.5f
/* Other faces smaller than this fraction of the largest one are ignored
 * (people far behind the subject)... */
#define CB_ENROLL_BACKGROUND_FRACTION 0.4f
/* ...and so are boxes lying this much inside the largest one (the same face
 * found twice, slightly shifted)... */
#define CB_ENROLL_SAME_FACE_OVERLAP 0.5f
/* ...and detections whose landmarks do not look like a face at all
 * (cb_embedder_quality below this: lettering, patterns). */
#define CB_ENROLL_OTHER_MIN_QUALITY 0.2f

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

typedef struct enroll_ctx {
    cb_registry *registry;
    cb_detector *detector;
    cb_embedder *embedder;
    cb_person person;
    char actor[64];
} enroll_ctx;

/* Does the person hold a granted consent (newest record of some purpose)? */
static int holds_consent(cb_registry *r, int64_t person_id, int *holds, cb_error *err)
{
    char(*purposes)[32] = NULL;
    int n = 0;
    *holds = 0;
    int rc = cb_registry_purpose_list(r, &purposes, &n, err);
    for (int i = 0; rc == 0 && i < n && !*holds; i++) {
        cb_consent c;
        int found = 0;
        rc = cb_registry_consent_current(r, person_id, purposes[i], &c, &found, err);
        if (rc == 0 && found && c.status == CB_CONSENT_GRANTED)
            *holds = 1;
    }
    free(purposes);
    return rc;
}

/*
 * The one face to enrol from a photo: refuses (CB_EINVAL, reason in err)
 * when there is none, several comparable ones, or it is too small or not
 * frontal enough.
 */
static int pick_face(const cb_face_list *faces, const char *photo, cb_face *out, cb_error *err)
{
    if (faces->count == 0)
        return cb_error_set(err, CB_EINVAL, _("%s: no face found"), photo);
    int best = 0;
    for (int i = 1; i < faces->count; i++)
        if (faces->faces[i].h > faces->faces[best].h)
            best = i;
    const cb_face *f = &faces->faces[best];
    int others = 0;
    for (int i = 0; i < faces->count; i++)
        if (i != best && faces->faces[i].h >= f->h * CB_ENROLL_BACKGROUND_FRACTION &&
            cb_face_overlap_min(&faces->faces[i], f) < CB_ENROLL_SAME_FACE_OVERLAP &&
            cb_embedder_quality(&faces->faces[i]) >= CB_ENROLL_OTHER_MIN_QUALITY)
            others++;
    if (others)
        return cb_error_set(err, CB_EINVAL,
                            _("%s: %d faces found; use a photo of this person alone"), photo,
                            others + 1);
    if (!f->has_landmarks)
        return cb_error_set(err, CB_EINVAL,
                            _("%s: the face's eyes, nose and mouth were not found"), photo);
    const float eyes = hypotf(f->landmarks[CB_LM_LEFT_EYE][0] - f->landmarks[CB_LM_RIGHT_EYE][0],
                              f->landmarks[CB_LM_LEFT_EYE][1] - f->landmarks[CB_LM_RIGHT_EYE][1]);
    if (eyes < CB_ENROLL_MIN_EYE_DISTANCE)
        return cb_error_set(err, CB_EINVAL,
                            _("%s: the face is too small: its eyes are %.0f pixels apart; at "
                              "least %d are needed"),
                            photo, eyes, CB_ENROLL_MIN_EYE_DISTANCE);
    float q = cb_embedder_quality(f);
    /* Shown rounded down to the two digits printed: 0.4996 is "0.49", not
     * "0.50 is below 0.50". */
    if (q < CB_ENROLL_MIN_QUALITY)
        return cb_error_set(err, CB_EINVAL,
                            _("%s: face quality %.2f is below %.2f (turned away, tilted or "
                              "blurred); use a frontal photo"),
                            photo, floor(q * 100.0) / 100.0, CB_ENROLL_MIN_QUALITY);
    *out = *f;
    return 0;
}

static int enroll_photo(enroll_ctx *c, const char *photo, float *quality, int64_t *template_id,
                        cb_error *err)
{
    AVFrame *frame = NULL;
    cb_face_list faces = {0};
    cb_face face;
    float emb[CB_EMBEDDING_DIM];
    char sha[65];
    int rc = cb_sha256_file_hex(photo, sha, err);
    if (rc == 0)
        rc = cb_image_read(photo, NULL, &frame, NULL, err);
    if (rc == 0)
        rc = cb_detector_detect(c->detector, frame, &faces, err);
    if (rc == 0)
        rc = pick_face(&faces, photo, &face, err);
    if (rc == 0)
        rc = cb_embedder_embed(c->embedder, frame, &face, emb, quality, err);
    if (rc == 0)
        rc = cb_registry_template_add(c->registry, c->person.id, cb_embedder_model_id(c->embedder),
                                      emb, CB_EMBEDDING_DIM, *quality, sha, c->actor, template_id,
                                      err);
    cb_face_list_free(&faces);
    av_frame_free(&frame);
    return rc;
}

/* One photo's entry in the JSON output: enrolled (template id, quality) or why not. */
static void json_photo(cb_json *j, const char *photo, int rc, const cb_error *why, int64_t id,
                       float quality)
{
    cb_json_object(j, CB_JSON_INLINE);
    cb_json_kv_string(j, "photo", photo);
    cb_json_kv_bool(j, "enrolled", rc == 0);
    if (rc < 0) {
        cb_json_kv_string(j, "reason", why->msg);
    } else {
        cb_json_kv_int(j, "template", id);
        cb_json_kv_fixed(j, "quality", quality, 3);
    }
    cb_json_end(j);
}

int cb_cmd_enroll(int argc, char **argv, const cb_cli_common *common)
{
    static const struct option options[] = {{"registry", required_argument, NULL, 'r'},
                                            {"actor", required_argument, NULL, 'a'},
                                            {"json", no_argument, NULL, 'j'},
                                            {"help", no_argument, NULL, 'h'},
                                            {NULL, 0, NULL, 0}};
    const char *registry = common->registry;
    enroll_ctx c = {0};
    int json = 0, opt;
    cb_registry_default_actor(c.actor, sizeof c.actor);
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (opt) {
        case 'r': registry = optarg; break;
        case 'a': snprintf(c.actor, sizeof c.actor, "%s", optarg); break;
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
    const char *who = argv[optind];
    char path[4096];
    cb_error err = {0};
    int rc = 0, holds = 0;
    if (!registry) {
        rc = cb_registry_default_path(path, sizeof path, &err);
        registry = path;
    }
    if (rc == 0)
        rc = cb_registry_open(registry, 0, &c.registry, &err);
    if (rc == 0)
        rc = cb_cli_find_person(c.registry, who, &c.person, &err);
    if (rc == 0)
        rc = holds_consent(c.registry, c.person.id, &holds, &err);
    if (rc == 0 && !holds)
        rc = cb_error_set(&err, CB_EINVAL,
                          _("%s holds no granted consent: templates are kept only for people "
                            "who consented (record it first with `consentblur consent grant`)"),
                          who);
    cb_detector_opts dopts;
    cb_detector_opts_default(&dopts);
    dopts.model_dir = common->model_dir;
    dopts.log = &common->log;
    if (rc == 0)
        rc = cb_detector_open(&dopts, &c.detector, &err);
    if (rc == 0)
        rc = cb_embedder_open(common->model_dir, &c.embedder, &err);
    if (rc < 0) {
        fprintf(stderr, _("consentblur: enroll: %s\n"), err.msg);
        goto done;
    }
    int refused = 0;
    cb_json *j = NULL;
    if (json) {
        j = cb_json_new(0);
        cb_json_object(j, CB_JSON_INLINE);
        cb_json_kv_string(j, "person", c.person.external_id);
        cb_json_key(j, "photos");
        cb_json_array(j, CB_JSON_LINES);
    }
    for (int i = optind + 1; i < argc; i++) {
        float quality = 0;
        int64_t id = 0;
        memset(&err, 0, sizeof err);
        int prc = enroll_photo(&c, argv[i], &quality, &id, &err);
        if (prc < 0) {
            refused++;
            /* TRANSLATORS: a photo `enroll` did not take: PHOTO: why (the
               reasons above, or a lower layer's message). */
            fprintf(stderr, _("consentblur: not enrolled: %s\n"), err.msg);
        } else {
            cb_log(&common->log, CB_LOG_INFO,
                   _("%s: enrolled %s (template %lld, quality %.2f)"), argv[i],
                   c.person.external_id, (long long)id, quality);
        }
        if (json)
            json_photo(j, argv[i], prc, &err, id, quality);
    }
    if (json) {
        cb_json_end(j);
        cb_json_kv_int(j, "enrolled", argc - optind - 1 - refused);
        cb_json_kv_int(j, "refused", refused);
        cb_json_end(j);
        refused += cb_cli_json_done(j) != CB_EXIT_OK;
    }
    rc = refused ? -1 : 0;
done:
    cb_embedder_close(c.embedder);
    cb_detector_close(c.detector);
    cb_registry_close(c.registry);
    return rc < 0 ? CB_EXIT_FAILED : CB_EXIT_OK;
}

/*
 * test_consent_photos.c - the whole product on real photos: a registry is
 * built with the CLI (people, consent records, enrolment from identities/),
 * then `process` and `check` run on groups/ and probes/, and each face must
 * come out exactly as the policy says: kept or redacted, for the right
 * reason, and the output pixels must agree (kept faces unchanged, redacted
 * ones gone). Also: a registry error means no output at all.
 *
 * Who is where (bench/groups_people.txt):
 *   bbt3.jpg             sheldon (34,34)  howard (152,92)  penny (258,105)
 *                        raj (365,112)  leonard (488,102)
 *   two_people.jpg       obama (232,56)  biden (783,73)
 *   kit_with_rose.jpg    rose_leslie (76,118)  kit_harington (256,91)
 *   obama_and_biden.jpg  biden (757,428)  obama (1144,400)  a child (1640,1064)
 * The registry (run date 2026-11-26), enrolled from identities/:
 *   sheldon     staff, own consent: social, website
 *   leonard     pupil, 18, own consent: social
 *   penny       pupil, 12, guardian's consent: website only
 *   obama       other, own consent: social
 *   biden       staff, own consent: social then withdrawn; website
 *   kit         pupil, 17, guardian's consent: social (no longer counts at 16)
 *   rose        pupil, 12, guardian's consent: website
 *   alex        staff, own consent: social, ended 2026-06-30
 *   howard, raj, the child, lin-manuel-miranda: not enrolled
 * The recognition threshold is strict (no false accept on the test data), so
 * some faces of consenting people may come out "unknown" - redacted, which is
 * the safe side; the expectations say so where it happens (penny in bbt3 for
 * social: no consent there, and in any case redacted).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "common/sha256.h"
#include "models/model_files.h"
#include "pipeline/media_in.h"
#include "pipeline/redact.h"
#include "test_support.h"

#define BUF 262144
static char out_buf[BUF], err_buf[BUF];
static char dir[256], reg[512];

/* consentblur --registry REG ARGS... (NULL-terminated). */
#define run(...) cb_test_run_cli(reg, out_buf, BUF, err_buf, BUF, __VA_ARGS__)

#define RUN_OK(...)                                                                            \
    do {                                                                                       \
        int rc_ = run(__VA_ARGS__, NULL);                                                      \
        if (rc_ != 0)                                                                          \
            fail_msg("exit %d: %s%s", rc_, out_buf, err_buf);                                  \
    } while (0)

static char *data(const char *rel)
{
    static char paths[16][1024];
    static int next;
    char *p = paths[next++ % 16];
    cb_test_data_path(rel, p, 1024);
    return p;
}

static int setup(void **state)
{
    (void)state;
    cb_test_registry_paths(dir, sizeof dir, reg, sizeof reg, "test");
    RUN_OK("person", "add", "sheldon", "--name", "Sheldon", "--role", "staff");
    RUN_OK("person", "add", "leonard", "--name", "Leonard", "--role", "pupil", "--birth-date",
           "2008-01-01");
    RUN_OK("person", "add", "penny", "--name", "Penny", "--role", "pupil", "--birth-date",
           "2014-06-01");
    RUN_OK("person", "add", "obama", "--name", "Barack", "--role", "other");
    RUN_OK("person", "add", "biden", "--name", "Joe", "--role", "staff");
    RUN_OK("person", "add", "kit", "--name", "Kit", "--role", "pupil", "--birth-date",
           "2009-03-01");
    RUN_OK("person", "add", "rose", "--name", "Rose", "--role", "pupil", "--birth-date",
           "2014-09-09");
    RUN_OK("person", "add", "alex", "--name", "Alex", "--role", "staff");
    RUN_OK("consent", "grant", "sheldon", "social", "website", "--given-by", "self",
           "--evidence-ref", "form 1", "--from", "2026-01-01");
    RUN_OK("consent", "grant", "leonard", "social", "--given-by", "self", "--from", "2026-01-01");
    RUN_OK("consent", "grant", "penny", "website", "--given-by", "guardian", "--signed-by",
           "Penny's mother", "--from", "2026-01-01");
    RUN_OK("consent", "grant", "obama", "social", "--given-by", "self", "--from", "2026-01-01");
    RUN_OK("consent", "grant", "biden", "social", "website", "--given-by", "self", "--from",
           "2026-01-01");
    RUN_OK("consent", "grant", "kit", "social", "--given-by", "guardian", "--from", "2024-01-01");
    RUN_OK("consent", "grant", "rose", "website", "--given-by", "guardian", "--from",
           "2026-01-01");
    RUN_OK("consent", "grant", "alex", "social", "--given-by", "self", "--from", "2026-01-01",
           "--until", "2026-06-30");
    /* Frontal photos: enroll refuses a head turned by about 20 degrees or more
     * (face quality under 0.5: sheldon3, leonard3, penny3 and obama2.jpg, whose
     * noses sit well off the eyes' midline). */
    RUN_OK("enroll", "sheldon", data("identities/sheldon/sheldon1.png"),
           data("identities/sheldon/sheldon2.png"), data("identities/sheldon/sheldon5.png"));
    RUN_OK("enroll", "leonard", data("identities/leonard/leonard1.png"),
           data("identities/leonard/leonard2.png"), data("identities/leonard/leonard4.png"));
    RUN_OK("enroll", "penny", data("identities/penny/penny1.png"),
           data("identities/penny/penny2.png"), data("identities/penny/penny5.png"));
    RUN_OK("enroll", "obama", data("identities/obama/obama.jpg"));
    /* biden.jpg is cut from two_people.jpg: enrol from the other photo only. */
    RUN_OK("enroll", "biden", data("identities/biden/biden2.jpg"));
    /* john2.jpeg shows him turned away: enroll refuses it (tested below). */
    RUN_OK("enroll", "kit", data("identities/kit_harington/john1.jpeg"));
    RUN_OK("enroll", "rose", data("identities/rose_leslie/img1.jpg"),
           data("identities/rose_leslie/img2.jpg"));
    RUN_OK("enroll", "alex", data("identities/alex_lacamoire/img1.jpg"));
    /* Withdrawn for social only: website still holds, so the templates stay. */
    RUN_OK("consent", "withdraw", "biden", "social");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    cb_test_remove_tree(dir);
    return 0;
}

typedef struct expect {
    const char *who;
    int x, y;           /* a point inside their face box (truth box corner + a bit) */
    const char *action; /* "kept" / "redacted" */
    const char *reason; /* NULL: any reason */
} expect;

typedef struct face {
    float x, y, w, h;
    char action[16];
    char reason[48];
    char person[32];
} face;

/* Parse the faces of a one-file JSON report. */
static int parse_faces(const char *json, face *faces, int max)
{
    int n = 0;
    for (const char *p = strstr(json, "{\"box\": ["); p && n < max;
         p = strstr(p + 1, "{\"box\": [")) {
        face f = {0};
        if (sscanf(p, "{\"box\": [%f, %f, %f, %f]", &f.x, &f.y, &f.w, &f.h) != 4)
            continue;
        const char *end = strchr(p, '}');
        const char *a = strstr(p, "\"action\": \""), *r = strstr(p, "\"reason\": \"");
        const char *who = strstr(p, "\"person\": {\"id\": \"");
        if (a)
            sscanf(a, "\"action\": \"%15[^\"]", f.action);
        if (r)
            sscanf(r, "\"reason\": \"%47[^\"]", f.reason);
        if (who && (!end || who < strstr(p, "\"distance\"") || who < end))
            sscanf(who, "\"person\": {\"id\": \"%31[^\"]", f.person);
        faces[n++] = f;
    }
    return n;
}

/* The face whose box holds (x, y) (the smallest such box). */
static const face *face_at(const face *faces, int n, int x, int y)
{
    const face *best = NULL;
    for (int i = 0; i < n; i++) {
        const face *f = &faces[i];
        if (x >= f->x && x <= f->x + f->w && y >= f->y && y <= f->y + f->h &&
            (!best || f->w < best->w))
            best = f;
    }
    return best;
}

/* Mean absolute change per channel inside the face's redaction region. */
static double region_change(const AVFrame *a, const AVFrame *b, const face *fc)
{
    cb_face box = {.x = fc->x, .y = fc->y, .w = fc->w, .h = fc->h};
    cb_redact_ellipse e;
    cb_redact_region(&box, a->width, a->height, &e);
    double sum = 0;
    long n = 0;
    for (int y = e.y0; y < e.y1; y++)
        for (int x = e.x0; x < e.x1; x++) {
            if (!cb_redact_contains(&e, x, y))
                continue;
            const uint8_t *pa = a->data[0] + (size_t)y * a->linesize[0] + 3 * x;
            const uint8_t *pb = b->data[0] + (size_t)y * b->linesize[0] + 3 * x;
            sum += abs(pa[0] - pb[0]) + abs(pa[1] - pb[1]) + abs(pa[2] - pb[2]);
            n++;
        }
    return n ? sum / (3.0 * n) : 0;
}

/*
 * process PHOTO for PURPOSE and check each expected face's action and
 * reason, and (when `pixels`) the output pixels: every face in the picture
 * that was kept is unchanged apart from re-encoding, every redacted one is
 * gone. Faces the test does not list must be redacted (nobody else has
 * consent).
 */
static void check_photo(const char *photo, const char *purpose, const expect *ex, int n_ex)
{
    char out_dir[512], out_path[1024];
    snprintf(out_dir, sizeof out_dir, "%s/out-%s", dir, purpose);
    const char *in = data(photo);
    int rc = run("process", in, "-o", out_dir, "--purpose", purpose, "--date", "2026-11-26",
                 "--force", "--json", NULL);
    if (rc != 0)
        fail_msg("process %s: exit %d: %s", photo, rc, err_buf);
    face faces[64];
    int n = parse_faces(out_buf, faces, 64);
    int listed_kept = 0;
    for (int i = 0; i < n_ex; i++) {
        const face *f = face_at(faces, n, ex[i].x, ex[i].y);
        if (!f)
            fail_msg("%s: %s: %s's face was not found", photo, purpose, ex[i].who);
        printf("%s %s: %-10s %-8s %-28s person=%s\n", photo, purpose, ex[i].who, f->action,
               f->reason, f->person);
        if (strcmp(f->action, ex[i].action) || (ex[i].reason && strcmp(f->reason, ex[i].reason)))
            fail_msg("%s for %s: %s expected %s/%s, got %s/%s", photo, purpose, ex[i].who,
                     ex[i].action, ex[i].reason ? ex[i].reason : "any", f->action, f->reason);
        if (!strcmp(ex[i].action, "kept")) {
            listed_kept++;
            assert_string_equal(f->person, ex[i].who);
        }
    }
    int kept = 0;
    for (int i = 0; i < n; i++)
        kept += !strcmp(faces[i].action, "kept");
    assert_int_equal(kept, listed_kept); /* nobody else is left visible */

    snprintf(out_path, sizeof out_path, "%s/%s", out_dir, strrchr(photo, '/') + 1);
    AVFrame *a = cb_test_read_image(in), *b = cb_test_read_image(out_path);
    for (int i = 0; i < n; i++) {
        double change = region_change(a, b, &faces[i]);
        int kept_face = !strcmp(faces[i].action, "kept");
        /* A kept face may still lose a corner to a redacted neighbour's ellipse. */
        int overlapped = 0;
        for (int k = 0; k < n; k++)
            if (k != i && strcmp(faces[k].action, "kept") &&
                faces[k].x < faces[i].x + faces[i].w * 1.6f &&
                faces[i].x < faces[k].x + faces[k].w * 1.6f &&
                faces[k].y < faces[i].y + faces[i].h * 1.6f &&
                faces[i].y < faces[k].y + faces[k].h * 1.6f)
                overlapped = 1;
        printf("  face at %.0f,%.0f %s: mean change %.1f\n", faces[i].x, faces[i].y,
               faces[i].action, change);
        if (kept_face && !overlapped)
            assert_true(change < 4.0);
        if (!kept_face)
            assert_true(change > 10.0);
    }
    av_frame_free(&a);
    av_frame_free(&b);
}

static const expect bbt3_social[] = {
    {"sheldon", 60, 65, "kept", "consent"},
    {"howard", 180, 125, "redacted", "unknown"},
    {"penny", 280, 130, "redacted", NULL}, /* no consent for social; also not recognised */
    {"raj", 390, 140, "redacted", "unknown"},
    {"leonard", 515, 135, "kept", "consent"},
};

static void test_group_social(void **state)
{
    (void)state;
    check_photo("groups/bbt3.jpg", "social", bbt3_social, 5);
    const expect two[] = {{"obama", 300, 130, "kept", "consent"},
                          {"biden", 860, 160, "redacted", "withdrawn"}};
    check_photo("groups/two_people.jpg", "social", two, 2);
    const expect kit_rose[] = {{"rose", 115, 165, "redacted", "no-consent"},
                               {"kit", 300, 145, "redacted", "guardian-consent-after-age"}};
    check_photo("groups/kit_with_rose.jpg", "social", kit_rose, 2);
    const expect ob[] = {{"biden", 850, 530, "redacted", "withdrawn"},
                         {"obama", 1240, 500, "kept", "consent"},
                         {"child", 1715, 1140, "redacted", "unknown"}};
    check_photo("groups/obama_and_biden.jpg", "social", ob, 3);
}

/* The same photos for the website: a different set of people may be shown. */
static void test_group_website(void **state)
{
    (void)state;
    const expect bbt3[] = {
        {"sheldon", 60, 65, "kept", "consent"},
        {"howard", 180, 125, "redacted", "unknown"},
        {"penny", 280, 130, "kept", "consent"},
        {"raj", 390, 140, "redacted", "unknown"},
        {"leonard", 515, 135, "redacted", "no-consent"},
    };
    check_photo("groups/bbt3.jpg", "website", bbt3, 5);
    const expect two[] = {{"obama", 300, 130, "redacted", "no-consent"},
                          {"biden", 860, 160, "kept", "consent"}};
    check_photo("groups/two_people.jpg", "website", two, 2);
    const expect kit_rose[] = {{"rose", 115, 165, "kept", "consent"},
                               {"kit", 300, 145, "redacted", "no-consent"}};
    check_photo("groups/kit_with_rose.jpg", "website", kit_rose, 2);
}

/* Photos of one person each, none used for enrolment. */
static void test_probes(void **state)
{
    (void)state;
    const expect obama1[] = {{"obama", 700, 400, "kept", "consent"}};
    check_photo("probes/obama1.jpg", "social", obama1, 1);
    const expect obama3[] = {{"obama", 770, 450, "kept", "consent"}};
    check_photo("probes/obama3.jpg", "social", obama3, 1);
    const expect lin[] = {{"lin-manuel-miranda", 390, 340, "redacted", "unknown"}};
    check_photo("probes/lin-manuel-miranda.png", "social", lin, 1);
    const expect kit[] = {{"kit", 345, 265, "redacted", "guardian-consent-after-age"}};
    check_photo("probes/johnsnow_test1.jpg", "social", kit, 1);
    const expect alex[] = {{"alex", 780, 360, "redacted", "expired"}};
    check_photo("probes/alex_lacamoire1.jpg", "social", alex, 1);
}

/* check: exit 0 only when every face may be shown; writes nothing. */
static void test_check(void **state)
{
    (void)state;
    assert_int_equal(run("check", data("probes/32bit.png"), "--purpose", "social", "--date",
                         "2026-11-26", NULL),
                     0);
    assert_int_equal(run("check", data("probes/32bit.png"), "--purpose", "website", "--date",
                         "2026-11-26", NULL),
                     1);
    assert_non_null(strstr(out_buf, "no-consent"));
    assert_int_equal(run("check", data("groups/bbt3.jpg"), "--purpose", "social", "--date",
                         "2026-11-26", NULL),
                     1);
    assert_non_null(strstr(out_buf, "unknown"));
    assert_int_equal(run("check", data("groups/two_people.jpg"), "--purpose", "website", "--date",
                         "2026-11-26", NULL),
                     1);
    assert_non_null(strstr(out_buf, "obama has no consent record for website"));
    assert_null(strstr(out_buf, "biden"));
    assert_int_equal(run("check", "--json", data("groups/bbt3.jpg"), "--purpose", "social",
                         "--date", "2026-11-26", NULL),
                     1);
    assert_non_null(strstr(out_buf, "\"may_publish\": false"));
    assert_int_equal(run("check", data("groups/bbt3.jpg"), "-o", dir, "--purpose", "social",
                         NULL),
                     2);
}

/* The newest run of `runs list --json` (oldest first): from its "started_at". */
static const char *newest_run(const char *json)
{
    const char *last = json;
    for (const char *p = json; (p = strstr(p, "\"started_at\"")) != NULL; p++)
        last = p;
    return last;
}

/* The processing record names every network the run used, with the SHA-256
 * of its model file (what was published under which consent, and by what):
 * here the fast detector (--detectors ultraface, as videos use), its second
 * looks, the landmarks and the recogniser; then the photos' default, which
 * scans with BlazeFace as well; and a run with the Haar cascade. */
static void test_run_records_models(void **state)
{
    (void)state;
    static const char *const roles[][2] = {
        {"detector:ultraface", "ultraface_rfb320.onnx"},
        {"second-look:ultraface", "ultraface_rfb320.onnx"},
        {"second-look:blazeface", "blazeface_back.onnx"},
        {"second-look:fullrange", "blazeface_full_range.onnx"},
        {"landmarks:blazeface", "blazeface_back.onnx"},
    };
    char out_dir[512], want[512];
    snprintf(out_dir, sizeof out_dir, "%s/out-models", dir);
    RUN_OK("process", data("groups/bbt3.jpg"), "-o", out_dir, "--purpose", "social", "--force",
           "--detectors", "ultraface");
    RUN_OK("runs", "list", "--json");
    for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++) {
        snprintf(want, sizeof want, "\"%s\":{\"id\":\"%s\",\"sha256\":\"%s\"}", roles[i][0],
                 roles[i][1], cb_model_expected_sha256(roles[i][1]));
        if (!strstr(newest_run(out_buf), want))
            fail_msg("the run record lacks %s: %s", want, newest_run(out_buf));
    }
    assert_non_null(strstr(newest_run(out_buf), "\"embedder\":{\"id\":\"faceapi-resnet34-128"));
    assert_null(strstr(newest_run(out_buf), "\"detector:blazeface\""));
    RUN_OK("process", data("groups/bbt3.jpg"), "-o", out_dir, "--purpose", "social", "--force");
    RUN_OK("runs", "list", "--json");
    assert_non_null(
        strstr(newest_run(out_buf), "\"detector:blazeface\":{\"id\":\"blazeface_back.onnx\""));
    /* The Haar cascade comes from opencv-data, not models/MANIFEST: its hash is
     * that of the file the detector loaded. */
    static const char haar[] =
        "/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml";
    char haar_sha[65];
    assert_int_equal(cb_sha256_file_hex(haar, haar_sha, NULL), 0);
    RUN_OK("process", data("groups/bbt3.jpg"), "-o", out_dir, "--purpose", "social", "--force",
           "--detectors", "ultraface,haar");
    RUN_OK("runs", "list", "--json");
    snprintf(want, sizeof want,
             "\"detector:haar\":{\"id\":\"haarcascade_frontalface_default.xml\",\"sha256\":\"%s\"}",
             haar_sha);
    if (!strstr(out_buf, want))
        fail_msg("the run record lacks %s: %s", want, out_buf);
}

/* Withdrawal takes effect on the next run, and erases the templates when
 * nothing is left. */
static void test_withdrawal_next_run(void **state)
{
    (void)state;
    check_photo("groups/bbt3.jpg", "social", bbt3_social, 5);
    RUN_OK("consent", "withdraw", "leonard");
    const expect after[] = {{"sheldon", 60, 65, "kept", "consent"},
                            {"leonard", 515, 135, "redacted", "unknown"}};
    check_photo("groups/bbt3.jpg", "social", after, 2);
    RUN_OK("person", "show", "leonard", "--json");
    assert_non_null(strstr(out_buf, "\"templates\": 0"));
}

/* Fail closed: a broken registry means no output file, not an unredacted one. */
static void test_registry_errors_write_nothing(void **state)
{
    (void)state;
    char bad[512], out_dir[512], out_file[1024];
    snprintf(bad, sizeof bad, "%s/not-a-registry.db", dir);
    FILE *f = fopen(bad, "wb");
    assert_non_null(f);
    fputs("this is not a sqlite file, just text that happens to be long enough", f);
    fclose(f);
    snprintf(out_dir, sizeof out_dir, "%s/out-broken", dir);
    char *argv[] = {(char *)cb_test_cli_path(), "process", data("groups/bbt3.jpg"), "-o",
                    out_dir, "--purpose", "social", "--registry", bad, NULL};
    assert_int_equal(cb_test_run(argv, out_buf, BUF, err_buf, BUF), 1);
    printf("%s", err_buf);
    assert_non_null(strstr(err_buf, "not-a-registry.db"));
    snprintf(out_file, sizeof out_file, "%s/bbt3.jpg", out_dir);
    struct stat st;
    assert_int_not_equal(stat(out_file, &st), 0);
    char missing[512];
    snprintf(missing, sizeof missing, "%s/nowhere/registry.db", dir);
    argv[8] = missing;
    assert_int_equal(cb_test_run(argv, out_buf, BUF, err_buf, BUF), 1);
    assert_int_not_equal(stat(out_file, &st), 0);
    /* An unknown purpose is refused before anything is written. */
    argv[6] = "instagram";
    argv[8] = reg;
    assert_int_equal(cb_test_run(argv, out_buf, BUF, err_buf, BUF), 1);
    assert_non_null(strstr(err_buf, "instagram"));
    assert_int_not_equal(stat(out_file, &st), 0);
}

/* enroll refuses photos it cannot use, and people without consent, saying why. */
static void test_enroll_refusals(void **state)
{
    (void)state;
    assert_int_equal(run("enroll", "kit", data("identities/kit_harington/john2.jpeg"), NULL), 1);
    assert_non_null(strstr(err_buf, "frontal"));
    assert_int_equal(run("enroll", "sheldon", data("groups/bbt3.jpg"), NULL), 1);
    assert_non_null(strstr(err_buf, "5 faces found"));
    assert_int_equal(run("enroll", "sheldon", data("groups/no-face-white.png"), NULL), 1);
    assert_non_null(strstr(err_buf, "no face found"));
    assert_int_equal(run("enroll", "sheldon", data("probes/obama-240p.jpg"), NULL), 1);
    assert_non_null(strstr(err_buf, "too small"));
    RUN_OK("person", "add", "raj", "--name", "Raj", "--role", "staff");
    assert_int_equal(run("enroll", "raj", data("identities/raj/raj1.png"), NULL), 1);
    assert_non_null(strstr(err_buf, "no granted consent"));
    RUN_OK("consent", "refuse", "raj", "social", "--given-by", "self");
    assert_int_equal(run("enroll", "raj", data("identities/raj/raj1.png"), NULL), 1);
    assert_int_equal(run("enroll", "nobody", data("identities/raj/raj1.png"), NULL), 1);
    assert_non_null(strstr(err_buf, "nobody"));
    assert_int_equal(run("enroll", "raj", NULL), 2);
    /* Mixed: the good photo is enrolled, the bad one refused, exit 1. */
    assert_int_equal(run("enroll", "--json", "sheldon", data("identities/sheldon/sheldon5.png"),
                         data("groups/no-face-white.png"), NULL),
                     1);
    assert_non_null(strstr(out_buf, "\"enrolled\": 1, \"refused\": 1"));
}

/* A photo refused for its face quality gives numbers that bear the refusal
 * out: the quality shown lies below the limit shown, also for a quality just
 * under the limit. stuart4.png turned 2.5 degrees rates 0.495-0.4999, which
 * was printed as "face quality 0.50 is below 0.50". */
static void test_enroll_quality_message(void **state)
{
    (void)state;
    char turned[600], cmd[2048];
    snprintf(turned, sizeof turned, "%s/stuart4-turned.png", dir);
    snprintf(cmd, sizeof cmd,
             "ffmpeg -nostdin -v error -y -i '%s' -vf 'rotate=-2.5*PI/180' '%s'",
             data("identities/stuart/stuart4.png"), turned);
    assert_int_equal(system(cmd), 0);
    RUN_OK("person", "add", "stuart", "--name", "Stuart", "--role", "staff");
    RUN_OK("consent", "grant", "stuart", "social", "--given-by", "self");
    assert_int_equal(run("enroll", "stuart", turned, NULL), 1);
    const char *msg = strstr(err_buf, "face quality ");
    if (!msg)
        fail_msg("not refused for its quality: %s", err_buf);
    double shown = 0, limit = 0;
    assert_int_equal(sscanf(msg, "face quality %lf is below %lf", &shown, &limit), 2);
    if (!(shown < limit))
        fail_msg("the message contradicts itself: %s", err_buf);
    RUN_OK("person", "show", "stuart", "--json");
    assert_non_null(strstr(out_buf, "\"templates\": 0"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_group_social),
        cmocka_unit_test(test_group_website),
        cmocka_unit_test(test_probes),
        cmocka_unit_test(test_check),
        cmocka_unit_test(test_registry_errors_write_nothing),
        cmocka_unit_test(test_enroll_refusals),
        cmocka_unit_test(test_enroll_quality_message),
        cmocka_unit_test(test_run_records_models),
        cmocka_unit_test(test_withdrawal_next_run),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

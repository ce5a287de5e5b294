/*
 * test_video_motion.c - "no frame leaks a face" on harder synthetic clips.
 *
 * Each clip is made in the set-up with the ffmpeg command line from real
 * face photos of the test data (640x360, 30 fps, 3-4 s, x264 crf 12), with
 * every face's square known in every frame (the same expressions drive the
 * ffmpeg overlay and the truth functions below). Each clip goes through the
 * real CLI: `process CLIP -o OUT --purpose social --date 2026-11-26` with a
 * registry where obama (identities/obama/obama.jpg) is enrolled with
 * consent for social, as in test_video.c. Every output frame is decoded with
 * pipeline/video_in.h and compared with the same input frame.
 *
 *   edges    four non-consenting faces (lin-manuel-miranda, raj, kit
 *            harington, penny), one from each edge (left, top, right,
 *            bottom), moving in from fully outside to fully inside at
 *            4 px/frame, holding, and going back out.
 *   crossing obama (consenting) walks left to right (4 px/frame);
 *            lin-manuel-miranda (enrolled nowhere) walks right to left in
 *            front of him (overlap from frame 50 to 75, heaviest at 62);
 *            raj (enrolled nowhere) falls from the top to the bottom
 *            (6 px/frame) behind him (overlap from frame 22 to 52).
 *   pan      a fast pan over a textured panorama (32 px/frame) with a
 *            horizontal motion blur: lin-manuel-miranda fixed in the scene
 *            (moves with it, three passes through the picture) and raj
 *            bouncing across at 36 px/frame.
 *   cut      obama (consenting) and raj on one background for 3 s, then a
 *            hard cut (frame 90) to another background for 0.5 s with
 *            lin-manuel-miranda where obama was (a tracker that links
 *            across the cut, and samples the track's looks sparsely, would
 *            hand him obama's identity), penny and kit harington elsewhere.
 *   profile  lin-manuel-miranda frontal (probes/lin-manuel-miranda.png) and
 *            in profile (a crop of video/hamilton-short.mp4 frame 30, a real
 *            profile in the test data's profile truth, bench/frames_truth.txt)
 *            at the same place, cross-fading from one to the other and back
 *            (8-frame fades, half-second holds).
 *   grow     kit harington (head and shoulders, probes/johnsnow_test1.jpg)
 *            walking towards the camera: face from 20 px to 180 px high
 *            (half the frame) over 3 s, growing geometrically.
 *
 * The rules (the pass mark is zero frames breaking rule 1):
 *  1. A non-consenting face must be redacted in every frame where it is
 *     visible: at least 40% of its square's area is in the picture and not
 *     covered by an opaque face in front of it (ffmpeg's overlay order), its
 *     opacity (cross-fades) is at least 0.4, and its square is at least 20 px
 *     high. Redacted: the mean absolute change (over B, G, R) between the
 *     input frame and the output frame, over the central 60% (20% margins)
 *     of the face's visible rectangle (its square clipped to the picture),
 *     without the pixels covered by faces in front, is at least REDACTED_MIN,
 *     and no quarter of that window looks untouched (each quarter's change
 *     at least KEPT_MAX: a region covering only part of the face leaks).
 *  2. A consenting face (obama) may be redacted in doubt; kept = change
 *     below KEPT_MAX over the same window. Its kept frames are printed; in
 *     the crossing clip it must be kept in at least MIN_KEPT_FAR of the
 *     frames where it is fully visible and its centre is at least 250 px
 *     from the centre of every other face in the picture (recognition works
 *     away from the crossings).
 *  3. Calibration: the same change measure over 40x40 patches of the
 *     background far from every face (the patches at least 0.3 of a face's
 *     side + 40 px away from its square, for every face), median per
 *     frame, is the re-encoding noise (crf 12 in, crf 20 out). Its median
 *     over the clip's frames must stay below REDACTED_MIN / 2, so the
 *     threshold is well clear of untouched pixels. (Its largest value is
 *     printed but not checked: a big head's redaction ellipse can reach
 *     far past the face's square - the profile clip's hair - and make
 *     "far" patches change in some frames.) The margins are printed.
 * Failure messages name the clip, the face, the frame and the change.
 * CB_TEST_KEEP_CLIPS=1 keeps the clips and the outputs (the folder is printed).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "pipeline/video_in.h"
#include "test_support.h"

#define BUF 262144
static char out_buf[BUF], err_buf[BUF];
static char dir[256], reg[512];

enum { W = 640, H = 360 };

/* Thresholds on the mean absolute change (0-255 scale). */
#define REDACTED_MIN 12.0 /* as test_video.c */
#define KEPT_MAX 6.0
#define MIN_KEPT_FAR 10
#define VISIBLE_MIN 0.40 /* fraction of the square's area */
#define OPACITY_MIN 0.40
#define MIN_HEIGHT 20.0

#define run_cli(...) cb_test_run_cli(reg, out_buf, BUF, err_buf, BUF, __VA_ARGS__)

#define RUN_OK(...)                                                                            \
    do {                                                                                       \
        int rc_ = run_cli(__VA_ARGS__, NULL);                                                  \
        if (rc_ != 0)                                                                          \
            fail_msg("exit %d: %s%s", rc_, out_buf, err_buf);                                  \
    } while (0)

/* ---- truth ------------------------------------------------------------------ */

typedef struct face {
    const char *name;
    int consent;    /* enrolled with consent for social */
    double x, y, s; /* the face's square: top-left corner and side, in pixels */
    double opacity; /* 1 = opaque; cross-fades less */
} face;

enum { MAX_FACES = 8 };

/* Faces of frame n, back to front (later ones are drawn over earlier ones);
 * returns how many. */
typedef int (*truth_fn)(int n, face *f);

static void set_face(face *f, const char *name, int consent, double x, double y, double s,
                     double opacity)
{
    f->name = name;
    f->consent = consent;
    f->x = x;
    f->y = y;
    f->s = s;
    f->opacity = opacity;
}

/* edges: d(n) = min(140, 4*min(n, 89-n)), 90 frames. */
enum { EDGES_FRAMES = 90 };
static double edges_d(int n)
{
    double m = n < 89 - n ? n : 89 - n;
    return fmin(140.0, 4.0 * m);
}
static int truth_edges(int n, face *f)
{
    double d = edges_d(n);
    set_face(&f[0], "left/lin-manuel-miranda", 0, -100 + d, 30, 100, 1);
    set_face(&f[1], "top/raj", 0, 200, -100 + d, 100, 1);
    set_face(&f[2], "right/kit_harington", 0, 640 - d, 230, 100, 1);
    set_face(&f[3], "bottom/penny", 0, 340, 360 - d, 100, 1);
    return 4;
}

/* crossing: 120 frames. obama 110 px left to right at 4 px/frame; lin
 * 100 px right to left in front of him (centres meet at frame 62); raj
 * 90 px top to bottom behind him (centres meet at frame 37). */
enum { CROSS_FRAMES = 120 };
static int truth_crossing(int n, face *f)
{
    set_face(&f[0], "raj (behind obama)", 0, 178, -90 + 6 * n, 90, 1);
    set_face(&f[1], "obama", 1, 20 + 4 * n, 125, 110, 1);
    set_face(&f[2], "lin-manuel-miranda (in front of obama)", 0, 520 - 4 * n, 140, 100, 1);
    return 3;
}

/* pan: 90 frames, the panorama moves 32 px/frame to the left. */
enum { PAN_FRAMES = 90, PAN_SPEED = 32, PAN_WIDTH = W + PAN_SPEED * PAN_FRAMES };
static int truth_pan(int n, face *f)
{
    /* ffmpeg's mod() of doubles is fmod. */
    set_face(&f[0], "lin-manuel-miranda (with the scene)", 0,
             660 - fmod(PAN_SPEED * n, 860.0), 40, 100, 1);
    set_face(&f[1], "raj (36 px/frame)", 0, fabs(fmod(36.0 * n, 1100.0) - 550.0),
             200 + fabs(fmod(5.0 * n, 100.0) - 50.0), 90, 1);
    return 2;
}

/* cut: 105 frames, the cut before frame 90. */
enum { CUT_FRAMES = 105, CUT_AT = 90 };
static int truth_cut(int n, face *f)
{
    if (n < CUT_AT) {
        set_face(&f[0], "obama", 1, 60, 60, 110, 1);
        set_face(&f[1], "raj", 0, 450, 200, 90, 1);
        return 2;
    }
    set_face(&f[0], "lin-manuel-miranda (where obama was)", 0, 65, 65, 100, 1);
    set_face(&f[1], "penny", 0, 400, 30, 90, 1);
    set_face(&f[2], "kit_harington", 0, 250, 220, 100, 1);
    return 3;
}

/* profile: a 250x300 patch at (195, 30); profile weight from the blend. */
enum { PROFILE_FRAMES = 90, PATCH_X = 195, PATCH_Y = 30 };
static double profile_weight(int n)
{
    int m = n % 45;
    double a = m - 14, b = 44 - m;
    return fmax(0.0, fmin(1.0, fmin(a, b) / 8.0));
}
static int truth_profile(int n, face *f)
{
    double w = profile_weight(n);
    /* Frontal: lin-manuel-miranda.png cropped 460x552 at (160, 40), scaled
     * to 250x300 (x0.5435): its face square (200, 130, 380x420) there.
     * The square is taken as 206 wide, 228 high: side = the height. */
    set_face(&f[0], "lin-manuel-miranda frontal", 0, PATCH_X + 22, PATCH_Y + 49, 228, 1 - w);
    /* Profile: hamilton-short.mp4 frame 30 cropped 250x300 at (270, 60);
     * its truth box (292, 160, 203x200) there, cut by the picture's bottom
     * edge as in the original frame. */
    set_face(&f[1], "lin-manuel-miranda profile", 0, PATCH_X + 22, PATCH_Y + 100, 200, w);
    return 2;
}

/* grow: s(n) = (20/220) * 9^(n/89); the 500x640 crop of johnsnow_test1.jpg
 * at (100, 60) scaled to 2*trunc(250 s) x 2*trunc(320 s) at
 * (2*trunc(160 - 125 s), 2*trunc(75 - 105 s)); the face square is
 * (240, 160, 220x220) in the photo, (140, 100) in the crop. */
enum { GROW_FRAMES = 90 };
static int truth_grow(int n, face *f)
{
    double s = 20.0 / 220.0 * pow(9.0, n / 89.0);
    double pw = 2 * trunc(250 * s), k = pw / 500.0;
    double px = 2 * trunc(160 - 125 * s), py = 2 * trunc(75 - 105 * s);
    set_face(&f[0], "kit_harington", 0, px + 140 * k, py + 100 * k, 220 * k, 1);
    return 1;
}

/* ---- the clips ----------------------------------------------------------------- */

typedef struct clip {
    const char *name;
    int frames;
    truth_fn truth;
    char path[512];
} clip;

static clip clips[] = {
    {"edges", EDGES_FRAMES, truth_edges, ""},     {"crossing", CROSS_FRAMES, truth_crossing, ""},
    {"pan", PAN_FRAMES, truth_pan, ""},           {"cut", CUT_FRAMES, truth_cut, ""},
    {"profile", PROFILE_FRAMES, truth_profile, ""}, {"grow", GROW_FRAMES, truth_grow, ""},
};
enum { CLIP_EDGES, CLIP_CROSSING, CLIP_PAN, CLIP_CUT, CLIP_PROFILE, CLIP_GROW, NCLIPS };

/* Face sources, cropped to the face's square (as in test_video.c). */
static char p_lin[1024], p_obama[1024], p_raj[1024], p_penny[1024], p_kit[1024],
    p_hamilton[1024];
/* (p_kit is the whole photo: KIT_SQ crops its face square, the grow clip
 * uses the head and shoulders.) */
#define LIN_SQ "crop=380:420:200:130"
#define OBAMA_SQ "crop=480:520:470:150"
#define KIT_SQ "crop=220:220:240:160"
#define BG_A "color=c=0x5f7f6f:s=640x360:r=30"
#define ENCODE "-c:v libx264 -preset veryfast -crf 12 -pix_fmt yuv420p"

static void sh(const char *what, const char *cmd)
{
    if (system(cmd) != 0)
        fail_msg("could not make the %s clip: %s", what, cmd);
}

/* A still image as a 30 fps input (the default, 25, puts the overlays' frame
 * numbers out of step with the 30 fps background). */
#define IMAGE "-framerate 30 -loop 1 -i '%s' "

static void make_clips(void)
{
    char cmd[8192], pano[512], prof[512];
    for (int i = 0; i < NCLIPS; i++)
        snprintf(clips[i].path, sizeof clips[i].path, "%s/%s.mp4", dir, clips[i].name);

    snprintf(cmd, sizeof cmd,
             "ffmpeg -nostdin -v error -y -f lavfi -i " BG_A ":d=3 "
             IMAGE IMAGE IMAGE IMAGE
             "-filter_complex \"[0]noise=alls=10:allf=u[bg];"
             "[1]" LIN_SQ ",scale=100:100[l];[2]scale=100:100[r];"
             "[3]" KIT_SQ ",scale=100:100[k];[4]scale=100:100[p];"
             "[bg][l]overlay=x='-100+min(140,4*min(n,89-n))':y=30:shortest=1[t1];"
             "[t1][r]overlay=x=200:y='-100+min(140,4*min(n,89-n))':shortest=1[t2];"
             "[t2][k]overlay=x='640-min(140,4*min(n,89-n))':y=230:shortest=1[t3];"
             "[t3][p]overlay=x=340:y='360-min(140,4*min(n,89-n))':shortest=1,format=yuv420p[v]\" "
             "-map '[v]' -frames:v %d " ENCODE " '%s'",
             p_lin, p_raj, p_kit, p_penny, EDGES_FRAMES, clips[CLIP_EDGES].path);
    sh("edges", cmd);

    snprintf(cmd, sizeof cmd,
             "ffmpeg -nostdin -v error -y -f lavfi -i " BG_A ":d=4 "
             IMAGE IMAGE IMAGE
             "-filter_complex \"[0]noise=alls=10:allf=u[bg];"
             "[1]scale=90:90[r];[2]" OBAMA_SQ ",scale=110:110[o];[3]" LIN_SQ ",scale=100:100[l];"
             "[bg][r]overlay=x=178:y='-90+6*n':shortest=1[t1];"
             "[t1][o]overlay=x='20+4*n':y=125:shortest=1[t2];"
             "[t2][l]overlay=x='520-4*n':y=140:shortest=1,format=yuv420p[v]\" "
             "-map '[v]' -frames:v %d " ENCODE " '%s'",
             p_raj, p_obama, p_lin, CROSS_FRAMES, clips[CLIP_CROSSING].path);
    sh("crossing", cmd);

    /* A textured panorama without faces, then a crop moving 32 px/frame. */
    snprintf(pano, sizeof pano, "%s/pano.png", dir);
    snprintf(cmd, sizeof cmd,
             "ffmpeg -nostdin -v error -y -f lavfi -i color=c=black:s=%dx360,format=gbrp "
             "-vf \"geq=r='128+60*sin(X/37)*cos(Y/29)+40*sin((X+2*Y)/11)':"
             "g='120+50*sin(X/53+1)+40*cos((X-Y)/17)':"
             "b='110+60*cos(Y/23)*sin(X/71)+30*sin(X/5)',noise=alls=8:allf=u\" "
             "-frames:v 1 '%s'",
             PAN_WIDTH, pano);
    sh("pan", cmd);
    snprintf(cmd, sizeof cmd,
             "ffmpeg -nostdin -v error -y " IMAGE
             IMAGE IMAGE
             "-filter_complex \"[0]crop=640:360:x='%d*n':y=0,format=yuv420p[bg];"
             "[1]" LIN_SQ ",scale=100:100[l];[2]scale=90:90[r];"
             "[bg][l]overlay=x='660-mod(%d*n,860)':y=40:shortest=1[t1];"
             "[t1][r]overlay=x='abs(mod(36*n,1100)-550)':y='200+abs(mod(5*n,100)-50)':"
             "shortest=1,gblur=sigma=1.5:sigmaV=0.01,format=yuv420p[v]\" "
             "-map '[v]' -frames:v %d " ENCODE " '%s'",
             pano, p_lin, p_raj, PAN_SPEED, PAN_SPEED, PAN_FRAMES, clips[CLIP_PAN].path);
    sh("pan", cmd);

    snprintf(cmd, sizeof cmd,
             "ffmpeg -nostdin -v error -y -f lavfi -i " BG_A ":d=3.5 "
             "-f lavfi -i color=c=0x806040:s=640x360:r=30:d=3.5 "
             IMAGE IMAGE IMAGE IMAGE IMAGE
             "-filter_complex \"[0]noise=alls=10:allf=u[a];"
             "[1]drawgrid=w=80:h=60:t=3:c=white@0.5,noise=alls=16:allf=u[b];"
             "[a][b]overlay=enable='gte(n,%d)':shortest=1[bg];"
             "[2]" OBAMA_SQ ",scale=110:110[o];[3]scale=90:90[r];"
             "[4]" LIN_SQ ",scale=100:100[l];[5]scale=90:90[p];[6]" KIT_SQ ",scale=100:100[k];"
             "[bg][o]overlay=60:60:enable='lt(n,%d)':shortest=1[t1];"
             "[t1][r]overlay=450:200:enable='lt(n,%d)':shortest=1[t2];"
             "[t2][l]overlay=65:65:enable='gte(n,%d)':shortest=1[t3];"
             "[t3][p]overlay=400:30:enable='gte(n,%d)':shortest=1[t4];"
             "[t4][k]overlay=250:220:enable='gte(n,%d)':shortest=1,format=yuv420p[v]\" "
             "-map '[v]' -frames:v %d " ENCODE " '%s'",
             p_obama, p_raj, p_lin, p_penny, p_kit, CUT_AT, CUT_AT, CUT_AT, CUT_AT, CUT_AT,
             CUT_AT, CUT_FRAMES, clips[CLIP_CUT].path);
    sh("cut", cmd);

    /* A real profile: frame 30 of hamilton-short.mp4 (bench/frames_truth.txt). */
    snprintf(prof, sizeof prof, "%s/profile.png", dir);
    snprintf(cmd, sizeof cmd,
             "ffmpeg -nostdin -v error -y -i '%s' -vf \"select='eq(n,30)',crop=250:300:270:60\" "
             "-fps_mode passthrough -frames:v 1 '%s'",
             p_hamilton, prof);
    sh("profile", cmd);
    snprintf(cmd, sizeof cmd,
             "ffmpeg -nostdin -v error -y -f lavfi -i " BG_A ":d=3 "
             IMAGE IMAGE
             "-filter_complex \"[0]noise=alls=10:allf=u[bg];"
             "[1]crop=460:552:160:40,scale=250:300,format=yuv420p[f];"
             "[2]format=yuv420p[p];"
             "[f][p]blend=all_expr='A+(B-A)*clip(min(mod(N,45)-14,44-mod(N,45))/8,0,1)'[fp];"
             "[bg][fp]overlay=%d:%d:shortest=1,format=yuv420p[v]\" "
             "-map '[v]' -frames:v %d " ENCODE " '%s'",
             p_lin, prof, PATCH_X, PATCH_Y, PROFILE_FRAMES, clips[CLIP_PROFILE].path);
    sh("profile", cmd);

#define GROW_S "(20/220)*pow(9,n/89)"
    snprintf(cmd, sizeof cmd,
             "ffmpeg -nostdin -v error -y -f lavfi -i " BG_A ":d=3 "
             IMAGE
             "-filter_complex \"[0]noise=alls=10:allf=u[bg];"
             "[1]crop=500:640:100:60,"
             "scale=w='2*trunc(250*" GROW_S ")':h='2*trunc(320*" GROW_S ")':eval=frame[f];"
             "[bg][f]overlay=x='2*trunc(160-125*" GROW_S ")':y='2*trunc(75-105*" GROW_S ")':"
             "eval=frame:shortest=1,format=yuv420p[v]\" "
             "-map '[v]' -frames:v %d " ENCODE " '%s'",
             p_kit, GROW_FRAMES, clips[CLIP_GROW].path);
    sh("grow", cmd);
}

static int setup(void **state)
{
    (void)state;
    cb_test_registry_paths(dir, sizeof dir, reg, sizeof reg, "test");
    cb_test_data_path("probes/lin-manuel-miranda.png", p_lin, sizeof p_lin);
    cb_test_data_path("probes/obama1.jpg", p_obama, sizeof p_obama);
    cb_test_data_path("identities/raj/raj1.png", p_raj, sizeof p_raj);
    cb_test_data_path("identities/penny/penny1.png", p_penny, sizeof p_penny);
    cb_test_data_path("probes/johnsnow_test1.jpg", p_kit, sizeof p_kit);
    cb_test_data_path("video/hamilton-short.mp4", p_hamilton, sizeof p_hamilton);
    make_clips();
    char o1[1024];
    cb_test_data_path("identities/obama/obama.jpg", o1, sizeof o1);
    RUN_OK("person", "add", "obama", "--name", "Barack", "--role", "other");
    RUN_OK("consent", "grant", "obama", "social", "--given-by", "self", "--from", "2026-01-01");
    RUN_OK("enroll", "obama", o1);
    return 0;
}

/* CB_TEST_KEEP_CLIPS=1 keeps the clips and outputs to look at. */
static int teardown(void **state)
{
    (void)state;
    if (getenv("CB_TEST_KEEP_CLIPS"))
        printf("clips and outputs kept in %s\n", dir);
    else
        cb_test_remove_tree(dir);
    return 0;
}

/* ---- measuring ---------------------------------------------------------------- */

typedef struct rect {
    int x0, y0, x1, y1; /* [x0, x1) x [y0, y1) */
} rect;

static rect face_rect(const face *f)
{
    rect r = {(int)lround(f->x), (int)lround(f->y), (int)lround(f->x + f->s),
              (int)lround(f->y + f->s)};
    return r;
}

static int in_any(int x, int y, const rect *occ, int nocc)
{
    for (int i = 0; i < nocc; i++)
        if (x >= occ[i].x0 && x < occ[i].x1 && y >= occ[i].y0 && y < occ[i].y1)
            return 1;
    return 0;
}

/* Mean absolute change (over B, G, R) between a and b over the window,
 * clipped to the picture, without the pixels inside occ; the number of
 * pixels measured in *count. */
static double change(const AVFrame *a, const AVFrame *b, rect w, const rect *occ, int nocc,
                     long *count)
{
    double sum = 0;
    long n = 0;
    for (int y = w.y0 < 0 ? 0 : w.y0; y < w.y1 && y < a->height; y++)
        for (int x = w.x0 < 0 ? 0 : w.x0; x < w.x1 && x < a->width; x++) {
            if (in_any(x, y, occ, nocc))
                continue;
            const uint8_t *p = a->data[0] + (size_t)y * a->linesize[0] + 3 * (size_t)x;
            const uint8_t *q = b->data[0] + (size_t)y * b->linesize[0] + 3 * (size_t)x;
            sum += abs(p[0] - q[0]) + abs(p[1] - q[1]) + abs(p[2] - q[2]);
            n++;
        }
    if (count)
        *count = n;
    return n ? sum / (3.0 * n) : 0;
}

typedef struct face_eval {
    double visible; /* fraction of the square's area in the picture and not covered */
    double change;  /* over the central 60% of the visible rectangle, uncovered pixels */
    double quarter; /* the smallest change of the window's four quarters */
    long pixels;    /* measured */
} face_eval;

static face_eval eval_face(const AVFrame *a, const AVFrame *b, const face *fs, int nf, int i)
{
    face_eval e = {0};
    rect occ[MAX_FACES];
    int nocc = 0;
    for (int j = i + 1; j < nf; j++)
        if (fs[j].opacity >= 0.5)
            occ[nocc++] = face_rect(&fs[j]);
    rect r = face_rect(&fs[i]);
    rect v = {r.x0 < 0 ? 0 : r.x0, r.y0 < 0 ? 0 : r.y0, r.x1 > W ? W : r.x1,
              r.y1 > H ? H : r.y1};
    if (v.x1 <= v.x0 || v.y1 <= v.y0)
        return e;
    long vis = 0;
    for (int y = v.y0; y < v.y1; y++)
        for (int x = v.x0; x < v.x1; x++)
            vis += !in_any(x, y, occ, nocc);
    e.visible = (double)vis / ((double)(r.x1 - r.x0) * (r.y1 - r.y0));
    int mx = (v.x1 - v.x0) / 5, my = (v.y1 - v.y0) / 5;
    rect c = {v.x0 + mx, v.y0 + my, v.x1 - mx, v.y1 - my};
    e.change = change(a, b, c, occ, nocc, &e.pixels);
    int cx = (c.x0 + c.x1) / 2, cy = (c.y0 + c.y1) / 2;
    rect q[4] = {{c.x0, c.y0, cx, cy}, {cx, c.y0, c.x1, cy}, {c.x0, cy, cx, c.y1},
                 {cx, cy, c.x1, c.y1}};
    e.quarter = 1e9;
    for (int k = 0; k < 4; k++) {
        long n = 0;
        double d = change(a, b, q[k], occ, nocc, &n);
        if (n > 0 && d < e.quarter)
            e.quarter = d;
    }
    return e;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Re-encoding noise of a frame: the median change over the 40x40 patches
 * far from every face in the picture in this frame and the 8 before and
 * after it (a redaction may start before a face is there and last after
 * it has gone); -1 when there is none. */
static double background_noise(const AVFrame *a, const AVFrame *b, const clip *c, int n)
{
    face fs[17 * MAX_FACES];
    int nf = 0;
    for (int k = n - 8; k <= n + 8; k++)
        if (k >= 0 && k < c->frames)
            nf += c->truth(k, fs + nf);
    double vals[16 * 9];
    int nv = 0;
    for (int py = 0; py + 40 <= H; py += 40)
        for (int px = 0; px + 40 <= W; px += 40) {
            int clear = 1;
            for (int i = 0; i < nf && clear; i++) {
                rect r = face_rect(&fs[i]);
                int gap = (int)(0.3 * fs[i].s) + 40;
                if (r.x1 <= 0 || r.y1 <= 0 || r.x0 >= W || r.y0 >= H)
                    continue; /* not in the picture */
                if (px < r.x1 + gap && px + 40 > r.x0 - gap && py < r.y1 + gap &&
                    py + 40 > r.y0 - gap)
                    clear = 0;
            }
            if (clear) {
                rect p = {px, py, px + 40, py + 40};
                vals[nv++] = change(a, b, p, NULL, 0, NULL);
            }
        }
    if (nv == 0)
        return -1;
    qsort(vals, nv, sizeof vals[0], cmp_double);
    return vals[nv / 2];
}

static cb_video_in *open_video(const char *path, cb_video_info *info)
{
    cb_video_in *v = NULL;
    cb_error err = {0};
    if (cb_video_in_open(path, 0, &v, info, &err) < 0)
        fail_msg("%s", err.msg);
    return v;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Per face name: the least change where it had to be redacted. */
typedef struct face_stat {
    const char *name;
    int checked, leaks;
    double least, least_quarter;
    int least_frame, least_quarter_frame;
    int full, kept, far, far_kept; /* consenting faces: frames fully visible, kept, */
    double most;                   /* far from other faces, far and kept; the */
    int most_frame;                /* largest change seen */
} face_stat;

static face_stat *stat_for(face_stat *st, int *nst, const char *name)
{
    for (int i = 0; i < *nst; i++)
        if (strcmp(st[i].name, name) == 0)
            return &st[i];
    face_stat *s = &st[(*nst)++];
    memset(s, 0, sizeof *s);
    s->name = name;
    s->least = s->least_quarter = 1e9;
    s->least_frame = s->least_quarter_frame = s->most_frame = -1;
    return s;
}

/* Process the clip through the CLI and check every frame; returns the
 * consenting faces' far-from-others kept frames (for the callers' own
 * requirement). */
static int check_clip(const clip *c)
{
    char out_dir[512], out[1024];
    snprintf(out_dir, sizeof out_dir, "%s/out-%s", dir, c->name);
    double t0 = now_s();
    int rc = run_cli("process", c->path, "-o", out_dir, "--purpose", "social", "--date",
                     "2026-11-26", "--json", NULL);
    double t1 = now_s();
    if (rc != 0)
        fail_msg("%s: process: exit %d: %s%s", c->name, rc, out_buf, err_buf);
    printf("[%s] process: %.1f s for %d frames\n", c->name, t1 - t0, c->frames);
    snprintf(out, sizeof out, "%s/%s.mp4", out_dir, c->name);

    cb_video_info ia, ib;
    cb_video_in *va = open_video(c->path, &ia), *vb = open_video(out, &ib);
    assert_int_equal(ib.width, W);
    assert_int_equal(ib.height, H);
    cb_error err = {0};
    face_stat st[16];
    int nst = 0, n = 0, leaks = 0, noise_frames = 0;
    double noises[1024];
    double noise_max = 0, noise_sum = 0;
    int noise_max_frame = -1;
    char leak_msg[4096] = "";
    size_t lm = 0;
    for (;; n++) {
        AVFrame *fa = NULL, *fb = NULL;
        int ra = cb_video_in_read(va, &fa, &err), rb = cb_video_in_read(vb, &fb, &err);
        if (ra != rb)
            fail_msg("%s: frame %d: input %s, output %s", c->name, n, ra ? "ended" : "has one",
                     rb ? "ended" : "has one");
        if (ra != 0)
            break;
        face fs[MAX_FACES];
        int nf = c->truth(n, fs);
        double noise = background_noise(fa, fb, c, n);
        if (noise >= 0 && noise_frames < 1024) {
            noises[noise_frames++] = noise;
            noise_sum += noise;
            if (noise > noise_max) {
                noise_max = noise;
                noise_max_frame = n;
            }
        }
        for (int i = 0; i < nf; i++) {
            face_eval e = eval_face(fa, fb, fs, nf, i);
            face_stat *s = stat_for(st, &nst, fs[i].name);
            if (!fs[i].consent) {
                if (e.visible < VISIBLE_MIN || fs[i].opacity < OPACITY_MIN ||
                    fs[i].s < MIN_HEIGHT || e.pixels < 16)
                    continue;
                s->checked++;
                if (e.change < s->least) {
                    s->least = e.change;
                    s->least_frame = n;
                }
                if (e.quarter < s->least_quarter) {
                    s->least_quarter = e.quarter;
                    s->least_quarter_frame = n;
                }
                if (e.change < REDACTED_MIN || e.quarter < KEPT_MAX) {
                    s->leaks++;
                    leaks++;
                    if (lm < sizeof leak_msg - 200)
                        lm += (size_t)snprintf(
                            leak_msg + lm, sizeof leak_msg - lm,
                            "\n  %s: frame %d: %s visible (%.0f%% of its %.0f px square at "
                            "%.0f,%.0f, opacity %.2f) changed only %.2f (want >= %.1f; least "
                            "quarter %.2f, want >= %.1f)",
                            c->name, n, fs[i].name, 100 * e.visible, fs[i].s, fs[i].x, fs[i].y,
                            fs[i].opacity, e.change, REDACTED_MIN, e.quarter, KEPT_MAX);
                }
            } else if (e.visible > 0.999 && fs[i].opacity > 0.99) {
                s->full++;
                int kept = e.change < KEPT_MAX, far = 1;
                s->kept += kept;
                for (int j = 0; j < nf; j++) {
                    rect r = face_rect(&fs[j]);
                    if (j == i || fs[j].opacity < OPACITY_MIN || r.x1 <= 0 || r.y1 <= 0 ||
                        r.x0 >= W || r.y0 >= H)
                        continue;
                    double dx = fs[j].x + fs[j].s / 2 - fs[i].x - fs[i].s / 2;
                    double dy = fs[j].y + fs[j].s / 2 - fs[i].y - fs[i].s / 2;
                    if (hypot(dx, dy) < 250)
                        far = 0;
                }
                s->far += far;
                s->far_kept += far && kept;
                if (e.change > s->most) {
                    s->most = e.change;
                    s->most_frame = n;
                }
            }
        }
        av_frame_free(&fa);
        av_frame_free(&fb);
    }
    cb_video_in_close(va);
    cb_video_in_close(vb);

    if (noise_frames == 0)
        fail_msg("%s: no background far from the faces to calibrate on", c->name);
    qsort(noises, noise_frames, sizeof noises[0], cmp_double);
    double noise_median = noises[noise_frames / 2];
    printf("[%s] %d frames; re-encoding noise (background far from faces, median per frame, "
           "%d frames): median %.2f = %.0f%% of the redaction threshold %.1f; mean %.2f, "
           "largest %.2f (frame %d)\n",
           c->name, n, noise_frames, noise_median, 100 * noise_median / REDACTED_MIN,
           REDACTED_MIN, noise_sum / noise_frames, noise_max, noise_max_frame);
    int far_kept = 0;
    for (int i = 0; i < nst; i++) {
        const face_stat *s = &st[i];
        if (s->full || s->kept) {
            printf("[%s]   %s (consenting): kept (change < %.1f) in %d of the %d frames it is "
                   "fully visible; %d of the %d far from others; largest change %.2f "
                   "(frame %d)\n",
                   c->name, s->name, KEPT_MAX, s->kept, s->full, s->far_kept, s->far,
                   s->most, s->most_frame);
            far_kept += s->far_kept;
        } else {
            printf("[%s]   %s: redacted in %d of %d frames where visible; least change %.2f "
                   "(frame %d, %.1fx the threshold); least quarter of the window %.2f "
                   "(frame %d)\n",
                   c->name, s->name, s->checked - s->leaks, s->checked, s->least,
                   s->least_frame, s->least / REDACTED_MIN, s->least_quarter,
                   s->least_quarter_frame);
        }
    }
    if (n != c->frames)
        fail_msg("%s: %d frames out, %d made", c->name, n, c->frames);
    if (leaks)
        fail_msg("%s: %d frame(s) show a face that must be redacted:%s", c->name, leaks,
                 leak_msg);
    if (noise_median >= REDACTED_MIN / 2)
        fail_msg("%s: untouched background changed by %.2f (median over the frames): the "
                 "threshold %.1f is too close to the re-encoding noise",
                 c->name, noise_median, REDACTED_MIN);
    return far_kept;
}

static void test_edges(void **state)
{
    (void)state;
    check_clip(&clips[CLIP_EDGES]);
}

static void test_crossing(void **state)
{
    (void)state;
    int far_kept = check_clip(&clips[CLIP_CROSSING]);
    if (far_kept < MIN_KEPT_FAR)
        fail_msg("crossing: obama kept in only %d frames far from the crossing (want >= %d)",
                 far_kept, MIN_KEPT_FAR);
}

static void test_pan(void **state)
{
    (void)state;
    check_clip(&clips[CLIP_PAN]);
}

static void test_cut(void **state)
{
    (void)state;
    check_clip(&clips[CLIP_CUT]);
}

static void test_profile(void **state)
{
    (void)state;
    check_clip(&clips[CLIP_PROFILE]);
}

static void test_grow(void **state)
{
    (void)state;
    check_clip(&clips[CLIP_GROW]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_edges),   cmocka_unit_test(test_crossing),
        cmocka_unit_test(test_pan),     cmocka_unit_test(test_cut),
        cmocka_unit_test(test_profile), cmocka_unit_test(test_grow),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

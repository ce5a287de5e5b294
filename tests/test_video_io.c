/*
 * test_video_io.c - cb_video_in / cb_video_out with real FFmpeg: the shared
 * test videos (CB_TESTDATA/video) and small clips made here with the ffmpeg
 * command line (rotated, variable frame rate, HEVC/MKV, VP9+Opus/WebM,
 * subtitles, GPS metadata, broken files). No mocks.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/display.h>

#include "pipeline/frame_util.h"
#include "pipeline/video_in.h"
#include "pipeline/video_out.h"
#include "test_support.h"

/* ---------------------------------------------------------------- helpers */

static char g_dir[256];       /* scratch folder with the generated clips */
static int g_have_x265, g_have_vp9, g_have_opus;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void scratch(char *out, size_t size, const char *name)
{
    int n = snprintf(out, size, "%s/%s", g_dir, name);
    assert_true(n > 0 && (size_t)n < size);
}

/* Run `ffmpeg -hide_banner -loglevel error -nostdin -y ARGS` in the scratch folder. */
static int ffmpeg(const char *fmt, ...)
{
    char args[2048], cmd[2600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof cmd, "cd '%s' && ffmpeg -hide_banner -loglevel error -nostdin -y %s",
             g_dir, args);
    int rc = system(cmd);
    if (rc != 0)
        print_message("command failed (%d): %s\n", rc, cmd);
    return rc;
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

/* Copy the first `fraction` (0..1) of src to dst. */
static void copy_prefix(const char *src, const char *dst, double fraction)
{
    FILE *in = fopen(src, "rb");
    assert_non_null(in);
    fseek(in, 0, SEEK_END);
    long n = ftell(in);
    fseek(in, 0, SEEK_SET);
    long keep = (long)(n * fraction);
    char *buf = malloc((size_t)n);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, in), (size_t)n);
    fclose(in);
    FILE *out = fopen(dst, "wb");
    assert_non_null(out);
    assert_int_equal(fwrite(buf, 1, (size_t)keep, out), (size_t)keep);
    fclose(out);
    free(buf);
}

/* Number of entries in a folder other than . and .. */
static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

static void make_dir(char *out, size_t size, const char *name)
{
    scratch(out, size, name);
    assert_int_equal(mkdir(out, 0755), 0);
}

static void expect_error(int rc, int code, const cb_error *err, const char *path)
{
    if (rc != code)
        fail_msg("%s: expected %d (%s), got %d: %s", path, code, cb_strerror(code), rc, err->msg);
    assert_int_equal(err->code, code);
    if (!strstr(err->msg, path))
        fail_msg("message does not name %s: %s", path, err->msg);
    assert_null(strchr(err->msg, '\n'));
}

/* Everything read from one video with cb_video_in. */
typedef struct clip {
    cb_video_info info;
    int n;
    double *pts;         /* seconds */
    AVFrame *first, *middle; /* frame 0 and frame `middle_index` (BGR24) */
    int middle_index;
} clip;

static void clip_free(clip *c)
{
    free(c->pts);
    av_frame_free(&c->first);
    av_frame_free(&c->middle);
    memset(c, 0, sizeof *c);
}

/*
 * Read every frame of `in`; when `out` is not NULL, write each one through
 * cb_video_out with `opts` (audio from the input unless opts says otherwise)
 * and finish. keep_middle: the index of a frame to keep besides the first.
 */
static void read_all(const char *in, const char *out, const cb_video_out_opts *opts,
                     int keep_middle, clip *c, double *seconds)
{
    cb_error err = { 0 };
    cb_video_in *r = NULL;
    cb_video_out *w = NULL;
    memset(c, 0, sizeof *c);
    double t0 = now_s();
    int rc = cb_video_in_open(in, 0, &r, &c->info, &err);
    if (rc != 0)
        fail_msg("cb_video_in_open(%s): %d %s", in, rc, err.msg);
    if (out) {
        rc = cb_video_out_open(out, &c->info, opts, &w, &err);
        if (rc != 0)
            fail_msg("cb_video_out_open(%s): %d %s", out, rc, err.msg);
    }
    int cap = 64;
    c->pts = malloc(sizeof *c->pts * (size_t)cap);
    assert_non_null(c->pts);
    c->middle_index = keep_middle;
    int64_t last = INT64_MIN;
    for (;;) {
        AVFrame *f = NULL;
        rc = cb_video_in_read(r, &f, &err);
        if (rc == 1) {
            assert_null(f);
            break;
        }
        if (rc != 0)
            fail_msg("cb_video_in_read(%s) frame %d: %d %s", in, c->n, rc, err.msg);
        assert_int_equal(f->format, AV_PIX_FMT_BGR24);
        assert_int_equal(f->width, c->info.width);
        assert_int_equal(f->height, c->info.height);
        assert_true(f->pts > last); /* presentation order, strictly increasing */
        last = f->pts;
        if (c->n == cap) {
            cap *= 2;
            c->pts = realloc(c->pts, sizeof *c->pts * (size_t)cap);
            assert_non_null(c->pts);
        }
        c->pts[c->n] = (double)f->pts * av_q2d(c->info.time_base);
        if (w) {
            rc = cb_video_out_write(w, f, &err);
            if (rc != 0)
                fail_msg("cb_video_out_write(%s) frame %d: %d %s", out, c->n, rc, err.msg);
        }
        if (c->n == 0)
            c->first = f;
        else if (c->n == keep_middle)
            c->middle = f;
        else
            av_frame_free(&f);
        c->n++;
    }
    /* end of stream stays the end */
    AVFrame *f = NULL;
    assert_int_equal(cb_video_in_read(r, &f, &err), 1);
    assert_null(f);
    cb_video_in_close(r);
    if (w) {
        rc = cb_video_out_finish(w, &err);
        if (rc != 0)
            fail_msg("cb_video_out_finish(%s): %d %s", out, rc, err.msg);
        cb_video_out_close(w);
    }
    if (seconds)
        *seconds = now_s() - t0;
}

/* Mean absolute difference of two BGR24 frames of the same size. */
static double mean_diff(const AVFrame *a, const AVFrame *b)
{
    assert_int_equal(a->width, b->width);
    assert_int_equal(a->height, b->height);
    double sum = 0;
    for (int y = 0; y < a->height; y++) {
        const uint8_t *p = a->data[0] + (ptrdiff_t)y * a->linesize[0];
        const uint8_t *q = b->data[0] + (ptrdiff_t)y * b->linesize[0];
        for (int x = 0; x < 3 * a->width; x++)
            sum += abs((int)p[x] - (int)q[x]);
    }
    return sum / (3.0 * a->width * a->height);
}

/* Which 12x12 corner patch (inset 4 px) is white: 0 TL, 1 TR, 2 BL, 3 BR;
 * -1 none, -2 more than one. */
static int white_corner(const uint8_t *data, int linesize, int w, int h)
{
    int found = -1;
    for (int c = 0; c < 4; c++) {
        int x0 = (c & 1) ? w - 16 : 4, y0 = (c & 2) ? h - 16 : 4;
        int white = 1;
        for (int y = y0; y < y0 + 12 && white; y++)
            for (int x = x0; x < x0 + 12; x++) {
                const uint8_t *p = data + (ptrdiff_t)y * linesize + 3 * x;
                if (p[0] < 220 || p[1] < 220 || p[2] < 220) {
                    white = 0;
                    break;
                }
            }
        if (white)
            found = found == -1 ? c : -2;
    }
    return found;
}

/* The streams of a written file, through libavformat directly. */
typedef struct probe_result {
    int video, audio, other;
    enum AVCodecID audio_codec;
    double audio_duration;       /* seconds, first audio stream */
    int has_display_matrix;
    enum AVColorSpace colorspace;
    enum AVColorRange range;
    enum AVColorPrimaries primaries;
    enum AVColorTransferCharacteristic trc;
    char bad_tag[128];           /* first tag that should not be there */
    int location, creation_time; /* such tags anywhere (format or streams) */
} probe_result;

static void note_tag(probe_result *p, const char *key)
{
    p->location |= strncmp(key, "location", 8) == 0;
    p->creation_time |= strcmp(key, "creation_time") == 0;
}

static int allowed_tag(const char *key, int format_level)
{
    static const char *const fmt_ok[] = { "major_brand", "minor_version", "compatible_brands",
                                          NULL };
    static const char *const st_ok[] = { "language", "handler_name", "vendor_id", NULL };
    const char *const *ok = format_level ? fmt_ok : st_ok;
    for (int i = 0; ok[i]; i++)
        if (strcmp(key, ok[i]) == 0)
            return 1;
    return 0;
}

static void probe_file(const char *path, probe_result *p)
{
    AVFormatContext *fmt = NULL;
    memset(p, 0, sizeof *p);
    if (avformat_open_input(&fmt, path, NULL, NULL) < 0)
        fail_msg("cannot open %s", path);
    assert_true(avformat_find_stream_info(fmt, NULL) >= 0);
    const AVDictionaryEntry *e = NULL;
    while ((e = av_dict_get(fmt->metadata, "", e, AV_DICT_IGNORE_SUFFIX))) {
        note_tag(p, e->key);
        if (!allowed_tag(e->key, 1) && !p->bad_tag[0])
            snprintf(p->bad_tag, sizeof p->bad_tag, "format: %s=%s", e->key, e->value);
    }
    if (fmt->nb_chapters)
        snprintf(p->bad_tag, sizeof p->bad_tag, "%u chapters", fmt->nb_chapters);
    for (unsigned i = 0; i < fmt->nb_streams; i++) {
        AVStream *st = fmt->streams[i];
        e = NULL;
        while ((e = av_dict_get(st->metadata, "", e, AV_DICT_IGNORE_SUFFIX))) {
            note_tag(p, e->key);
            if (!allowed_tag(e->key, 0) && !p->bad_tag[0])
                snprintf(p->bad_tag, sizeof p->bad_tag, "stream %u: %s=%s", i, e->key, e->value);
        }
        switch (st->codecpar->codec_type) {
        case AVMEDIA_TYPE_VIDEO:
            p->video++;
            p->has_display_matrix |=
                av_stream_get_side_data(st, AV_PKT_DATA_DISPLAYMATRIX, NULL) != NULL;
            p->colorspace = st->codecpar->color_space;
            p->range = st->codecpar->color_range;
            p->primaries = st->codecpar->color_primaries;
            p->trc = st->codecpar->color_trc;
            break;
        case AVMEDIA_TYPE_AUDIO:
            if (p->audio++ == 0) {
                p->audio_codec = st->codecpar->codec_id;
                if (st->duration != AV_NOPTS_VALUE)
                    p->audio_duration = (double)st->duration * av_q2d(st->time_base);
            }
            break;
        default: p->other++; break;
        }
    }
    avformat_close_input(&fmt);
}

/* The best-effort timestamps (seconds) ffprobe reports for the video frames. */
static int ffprobe_pts(const char *path, double *out, int max)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "ffprobe -v error -select_streams v:0 -show_entries frame=best_effort_timestamp_time "
             "-of csv=p=0 '%s'",
             path);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    int n = 0;
    char line[256];
    while (fgets(line, sizeof line, p))
        if (line[0] >= '0' && line[0] <= '9' && n < max)
            out[n++] = strtod(line, NULL);
    assert_int_equal(pclose(p), 0);
    return n;
}

static void expect_same_pts(const clip *a, const clip *b, double tolerance, const char *what)
{
    if (a->n != b->n)
        fail_msg("%s: %d frames in, %d frames out", what, a->n, b->n);
    for (int i = 0; i < a->n; i++)
        if (fabs(a->pts[i] - b->pts[i]) > tolerance)
            fail_msg("%s: frame %d at %.6f s in, %.6f s out", what, i, a->pts[i], b->pts[i]);
}

static cb_video_out_opts fast_opts(const char *audio_source)
{
    cb_video_out_opts o;
    cb_video_out_opts_default(&o);
    o.preset = "ultrafast";
    o.audio_source = audio_source;
    return o;
}

/* ------------------------------------------------------------ group setup */

static int make_clips(void **state)
{
    (void)state;
    cb_test_make_temp_dir(g_dir, sizeof g_dir);
    g_have_x265 = avcodec_find_encoder_by_name("libx265") != NULL;
    g_have_vp9 = avcodec_find_encoder_by_name("libvpx-vp9") != NULL;
    g_have_opus = avcodec_find_encoder_by_name("libopus") != NULL;
    const char *src = "-f lavfi -i testsrc2=size=320x240:rate=30";
    const char *box = "-vf drawbox=x=0:y=0:w=40:h=40:color=white:t=fill";
    int rc = 0;
    /* plain, with a white box top-left; rotated copies (container display matrix only) */
    rc |= ffmpeg("%s -t 1 %s -c:v libx264 -preset ultrafast -pix_fmt yuv420p plain.mp4", src, box);
    rc |= ffmpeg("-i plain.mp4 -c copy -metadata:s:v:0 rotate=90 rot90.mp4");
    rc |= ffmpeg("-i plain.mp4 -c copy -metadata:s:v:0 rotate=180 rot180.mp4");
    rc |= ffmpeg("-i plain.mp4 -c copy -metadata:s:v:0 rotate=270 rot270.mp4");
    rc |= ffmpeg("-i plain.mp4 -c copy -movflags +faststart faststart.mp4");
    /* variable frame rate: every third frame dropped, timestamps kept */
    rc |= ffmpeg("-f lavfi -i testsrc2=size=160x120:rate=30 -t 2 "
                 "-vf \"select='not(eq(mod(n\\,3)\\,1))'\" -vsync vfr "
                 "-c:v libx264 -preset ultrafast vfr.mp4");
    if (g_have_x265)
        rc |= ffmpeg("-f lavfi -i testsrc2=size=160x120:rate=25 -f lavfi -i sine=duration=1 -t 1 "
                     "-c:v libx265 -preset ultrafast -x265-params log-level=error -c:a aac "
                     "hevc.mkv");
    if (g_have_vp9 && g_have_opus)
        rc |= ffmpeg("-f lavfi -i testsrc2=size=160x120:rate=25 -f lavfi -i sine=duration=1 -t 1 "
                     "-c:v libvpx-vp9 -deadline realtime -cpu-used 8 -b:v 200k -c:a libopus "
                     "vp9.webm");
    char srt[512];
    scratch(srt, sizeof srt, "subs.srt");
    write_text(srt, "1\n00:00:00,000 --> 00:00:00,800\nHello from the subtitles\n\n");
    rc |= ffmpeg("-f lavfi -i testsrc2=size=160x120:rate=25 -f lavfi -i sine=duration=1 "
                 "-i subs.srt -t 1 -map 0 -map 1 -map 2 -c:v libx264 -preset ultrafast -c:a aac "
                 "-c:s srt subs.mkv");
    rc |= ffmpeg("-f lavfi -i testsrc2=size=160x120:rate=25 -f lavfi -i sine=duration=1 -t 1 "
                 "-c:v libx264 -preset ultrafast -c:a aac -metadata location=+52.37+004.89/ "
                 "-metadata creation_time=2024-05-01T10:00:00Z -metadata title=Trip "
                 "-metadata:s:a language=nld gps.mov");
    rc |= ffmpeg("-i gps.mov -c copy -metadata location=+52.37+004.89/ "
                 "-metadata creation_time=2024-05-01T10:00:00Z gps.mp4");
    rc |= ffmpeg("-f lavfi -i testsrc2=size=160x120:rate=25 -f lavfi -i sine=duration=1 -t 1 "
                 "-c:v libx264 -preset ultrafast -c:a pcm_s16le pcm.mov");
    rc |= ffmpeg("-f lavfi -i sine=duration=1 -c:a aac audio.m4a");
    rc |= ffmpeg("-f lavfi -i testsrc2=size=64x48 -frames:v 1 still.png");
    rc |= ffmpeg("-f lavfi -i testsrc2=size=64x48 -frames:v 1 still.jpg");
    rc |= ffmpeg("-f lavfi -i sine=duration=1 -i still.png -map 0 -map 1 -c:a libmp3lame "
                 "-c:v png -disposition:v attached_pic cover.mp3");
    /* a stream that changes resolution midway (two raw H.264 streams joined) */
    rc |= ffmpeg("-f lavfi -i testsrc2=size=160x120:rate=25 -t 0.4 -c:v libx264 -preset ultrafast "
                 "-bsf:v h264_mp4toannexb part1.h264");
    rc |= ffmpeg("-f lavfi -i testsrc2=size=240x180:rate=25 -t 0.4 -c:v libx264 -preset ultrafast "
                 "part2.h264");
    char joined[512];
    scratch(joined, sizeof joined, "joined.h264");
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "cd '%s' && cat part1.h264 part2.h264 > joined.h264", g_dir);
    rc |= system(cmd);
    rc |= ffmpeg("-r 25 -i joined.h264 -c copy sizes.mkv");
    assert_int_equal(rc, 0);
    char a[512], b[512];
    scratch(a, sizeof a, "plain.mp4");
    scratch(b, sizeof b, "truncated.mp4"); /* moov at the end: cut off */
    copy_prefix(a, b, 0.5);
    scratch(a, sizeof a, "faststart.mp4");
    scratch(b, sizeof b, "truncated-faststart.mp4"); /* moov first, media data cut */
    copy_prefix(a, b, 0.5);
    /* media data overwritten in the middle (4 KB of 0xFF spans a sample's
     * start, so its NAL length prefix is impossible) */
    scratch(a, sizeof a, "plain.mp4");
    scratch(b, sizeof b, "garbled.mp4");
    copy_prefix(a, b, 1.0);
    FILE *g = fopen(b, "r+b");
    assert_non_null(g);
    fseek(g, 0, SEEK_END);
    long size = ftell(g);
    assert_true(size > 20000);
    fseek(g, size / 3, SEEK_SET);
    for (int i = 0; i < 4096; i++)
        fputc(0xFF, g);
    fclose(g);
    scratch(b, sizeof b, "empty.mp4");
    write_text(b, "");
    scratch(b, sizeof b, "text.mp4");
    write_text(b, "This is not a video, just some text that happens to be named .mp4\n");
    return 0;
}

static int remove_clips(void **state)
{
    (void)state;
    if (g_dir[0] && !getenv("CB_TEST_KEEP")) /* CB_TEST_KEEP=1: leave the clips for a look */
        cb_test_remove_tree(g_dir);
    else if (g_dir[0])
        print_message("kept %s\n", g_dir);
    return 0;
}

/* ------------------------------------------------------------------ tests */

/* The shared real clips: every frame through reader and writer, audio copied. */
static void roundtrip_real(const char *rel, int expect_frames, int expect_audio)
{
    char in[1024], out[512];
    cb_test_data_path(rel, in, sizeof in);
    const char *base = strrchr(rel, '/') + 1;
    snprintf(out, sizeof out, "%s/out-%s", g_dir, base);

    /* decode only: timing, and the reader against ffprobe */
    clip dec;
    double t_dec = 0, t_all = 0;
    read_all(in, NULL, NULL, 0, &dec, &t_dec);
    assert_int_equal(dec.n, expect_frames);
    double *ref = malloc(sizeof *ref * (size_t)(expect_frames + 16));
    assert_non_null(ref);
    int nref = ffprobe_pts(in, ref, expect_frames + 16);
    assert_int_equal(nref, dec.n);
    for (int i = 0; i < dec.n; i++)
        if (fabs(ref[i] - dec.pts[i]) > 1e-5)
            fail_msg("%s frame %d: pts %.6f, ffprobe %.6f", rel, i, dec.pts[i], ref[i]);
    free(ref);
    assert_int_equal(dec.info.audio_streams, expect_audio);
    clip_free(&dec);

    /* decode + encode with the default settings (veryfast, crf 20), audio copied */
    cb_video_out_opts o;
    cb_video_out_opts_default(&o);
    o.audio_source = in;
    clip a, b;
    read_all(in, out, &o, expect_frames / 2, &a, &t_all);
    print_message("%s: %d frames %dx%d; decode %.2f s (%.0f fps), decode+encode %.2f s "
                  "(encode alone ~%.0f fps)\n",
                  rel, a.n, a.info.width, a.info.height, t_dec, a.n / t_dec, t_all,
                  a.n / (t_all - t_dec > 1e-3 ? t_all - t_dec : 1e-3));

    read_all(out, NULL, NULL, expect_frames / 2, &b, NULL);
    assert_int_equal(b.info.width, a.info.width);
    assert_int_equal(b.info.height, a.info.height);
    double frame_s = a.info.frame_rate.num ? av_q2d(av_inv_q(a.info.frame_rate)) : 1 / 30.0;
    expect_same_pts(&a, &b, frame_s / 2, rel);
    double max_dev = 0;
    for (int i = 0; i < a.n; i++)
        max_dev = fmax(max_dev, fabs(a.pts[i] - b.pts[i]));
    print_message("%s: %d = %d frames, largest pts difference %.9f s\n", rel, a.n, b.n, max_dev);
    double d0 = mean_diff(a.first, b.first), d1 = mean_diff(a.middle, b.middle);
    print_message("%s: mean |difference| in/out: first frame %.2f, frame %d %.2f\n", rel, d0,
                  a.middle_index, d1);
    assert_true(d0 < 4.0 && d1 < 4.0);

    probe_result in_p, out_p;
    probe_file(in, &in_p);
    probe_file(out, &out_p);
    if (out_p.bad_tag[0])
        fail_msg("%s: metadata in the output: %s", out, out_p.bad_tag);
    assert_int_equal(out_p.video, 1);
    assert_int_equal(out_p.other, 0);
    assert_int_equal(out_p.audio, expect_audio);
    assert_false(out_p.has_display_matrix);
    assert_int_equal(out_p.colorspace, AVCOL_SPC_BT709);
    assert_int_equal(out_p.range, AVCOL_RANGE_MPEG);
    assert_int_equal(out_p.primaries, AVCOL_PRI_BT709);
    assert_int_equal(out_p.trc, AVCOL_TRC_BT709);
    if (expect_audio) {
        assert_int_equal(out_p.audio_codec, in_p.audio_codec);
        print_message("%s: audio %s, %.4f s in, %.4f s out\n", rel,
                      avcodec_get_name(out_p.audio_codec), in_p.audio_duration,
                      out_p.audio_duration);
        assert_true(fabs(out_p.audio_duration - in_p.audio_duration) <= frame_s);
    }
    clip_free(&a);
    clip_free(&b);
}

static void test_hamilton(void **state)
{
    (void)state;
    roundtrip_real("video/hamilton-short.mp4", 275, 1);
}

static void test_bbt(void **state)
{
    (void)state;
    roundtrip_real("video/bbt-short.mp4", 5, 0);
}

/* A rotated clip comes out upright, like FFmpeg's own autorotation shows it,
 * and the written copy has the upright pixels and no rotation. */
static void test_rotation(void **state)
{
    (void)state;
    static const char *const names[] = { "plain.mp4", "rot90.mp4", "rot180.mp4", "rot270.mp4" };
    for (int k = 0; k < 4; k++) {
        char in[512], out[512], ref_path[512];
        scratch(in, sizeof in, names[k]);
        snprintf(out, sizeof out, "%s/upright-%s", g_dir, names[k]);
        snprintf(ref_path, sizeof ref_path, "%s/ref-%d.bgr", g_dir, k);

        /* what the container says, read independently */
        AVFormatContext *fmt = NULL;
        assert_true(avformat_open_input(&fmt, in, NULL, NULL) >= 0);
        assert_true(avformat_find_stream_info(fmt, NULL) >= 0);
        const int32_t *m = (const int32_t *)av_stream_get_side_data(
            fmt->streams[0], AV_PKT_DATA_DISPLAYMATRIX, NULL);
        int expect_cw = m ? (int)lround(fmod(-av_display_rotation_get(m) + 720.0, 360.0)) : 0;
        avformat_close_input(&fmt);
        assert_true(k == 0 ? m == NULL : m != NULL);

        cb_video_out_opts o = fast_opts(NULL);
        clip c, back;
        read_all(in, out, &o, 1, &c, NULL);
        assert_int_equal(c.n, 30);
        assert_int_equal(c.info.rotation, expect_cw);
        int swap = expect_cw == 90 || expect_cw == 270;
        assert_int_equal(c.info.coded_width, 320);
        assert_int_equal(c.info.coded_height, 240);
        assert_int_equal(c.info.width, swap ? 240 : 320);
        assert_int_equal(c.info.height, swap ? 320 : 240);

        /* FFmpeg's own autorotation of the first frame as the reference */
        assert_int_equal(ffmpeg("-i %s -frames:v 1 -f rawvideo -pix_fmt bgr24 ref-%d.bgr", names[k],
                                k),
                         0);
        size_t bytes = (size_t)c.info.width * c.info.height * 3;
        uint8_t *ref = malloc(bytes);
        FILE *f = fopen(ref_path, "rb");
        assert_non_null(f);
        assert_int_equal(fread(ref, 1, bytes, f), bytes);
        fclose(f);
        int corner = white_corner(c.first->data[0], c.first->linesize[0], c.info.width,
                                  c.info.height);
        int ref_corner = white_corner(ref, 3 * c.info.width, c.info.width, c.info.height);
        AVFrame rf = { 0 };
        rf.width = c.info.width;
        rf.height = c.info.height;
        rf.data[0] = ref;
        rf.linesize[0] = 3 * c.info.width;
        double diff = mean_diff(c.first, &rf);
        free(ref);
        int cw_index = expect_cw / 90;
        /* top-left turned clockwise by 0, 90, 180, 270 degrees lands TL, TR, BR, BL */
        static const int tl_after_cw[4] = { 0, 1, 3, 2 };
        print_message("%s: display rotation %d cw, box at corner %d (ffmpeg: %d), mean diff to "
                      "ffmpeg %.2f\n",
                      names[k], expect_cw, corner, ref_corner, diff);
        assert_int_equal(corner, ref_corner);
        assert_int_equal(corner, tl_after_cw[cw_index]);
        assert_true(diff < 3.0);

        /* the written copy: upright, no display matrix, same box, same timestamps */
        read_all(out, NULL, NULL, 1, &back, NULL);
        assert_int_equal(back.info.rotation, 0);
        assert_int_equal(back.info.width, c.info.width);
        assert_int_equal(back.info.height, c.info.height);
        assert_int_equal(white_corner(back.first->data[0], back.first->linesize[0],
                                      back.info.width, back.info.height),
                         corner);
        expect_same_pts(&c, &back, 1e-6, names[k]);
        probe_result p;
        probe_file(out, &p);
        assert_false(p.has_display_matrix);
        clip_free(&c);
        clip_free(&back);
    }
}

/* Variable frame rate: the same timestamps come out as went in. */
static void test_variable_frame_rate(void **state)
{
    (void)state;
    char in[512], out[512];
    scratch(in, sizeof in, "vfr.mp4");
    scratch(out, sizeof out, "out-vfr.mp4");
    cb_video_out_opts o; /* the default preset: B-frames, so pts and dts differ */
    cb_video_out_opts_default(&o);
    o.audio_source = in;
    clip a, b;
    read_all(in, out, &o, 1, &a, NULL);
    assert_int_equal(a.n, 40); /* 60 frames, every third dropped */
    double ref[64];
    assert_int_equal(ffprobe_pts(in, ref, 64), a.n);
    int short_gaps = 0, long_gaps = 0;
    for (int i = 0; i < a.n; i++) {
        assert_true(fabs(ref[i] - a.pts[i]) < 1e-5);
        if (i > 0) {
            double gap = a.pts[i] - a.pts[i - 1];
            short_gaps += fabs(gap - 1 / 30.0) < 1e-3;
            long_gaps += fabs(gap - 2 / 30.0) < 1e-3;
        }
    }
    assert_true(short_gaps >= 15 && long_gaps >= 15); /* really variable */
    read_all(out, NULL, NULL, 1, &b, NULL);
    expect_same_pts(&a, &b, 1e-6, "vfr");
    print_message("vfr: %d frames, %d short and %d long gaps, timestamps identical after "
                  "re-encoding\n",
                  a.n, short_gaps, long_gaps);
    assert_true(mean_diff(a.first, b.first) < 3.0);
    clip_free(&a);
    clip_free(&b);
}

/* HEVC in MKV (AAC audio) and VP9 + Opus in WebM. */
static void test_hevc_vp9(void **state)
{
    (void)state;
    static const struct { const char *name; enum AVCodecID video, audio; } cases[] = {
        { "hevc.mkv", AV_CODEC_ID_HEVC, AV_CODEC_ID_AAC },
        { "vp9.webm", AV_CODEC_ID_VP9, AV_CODEC_ID_OPUS },
    };
    for (int k = 0; k < 2; k++) {
        if ((k == 0 && !g_have_x265) || (k == 1 && !(g_have_vp9 && g_have_opus))) {
            print_message("note: skipping %s: encoder missing in this FFmpeg\n", cases[k].name);
            continue;
        }
        char in[512], out[512];
        scratch(in, sizeof in, cases[k].name);
        snprintf(out, sizeof out, "%s/out-%s.mp4", g_dir, cases[k].name);
        assert_int_equal(cb_video_probe(in, NULL), 1);
        cb_video_out_opts o = fast_opts(in);
        clip a, b;
        read_all(in, out, &o, 1, &a, NULL);
        assert_int_equal(a.info.codec_id, cases[k].video);
        assert_int_equal(a.info.audio_streams, 1);
        assert_int_equal(a.n, 25);
        read_all(out, NULL, NULL, 1, &b, NULL);
        assert_int_equal(b.info.codec_id, AV_CODEC_ID_H264);
        expect_same_pts(&a, &b, 0.5 / 25, cases[k].name);
        probe_result in_p, p;
        probe_file(in, &in_p);
        probe_file(out, &p);
        assert_int_equal(p.audio, 1);
        assert_int_equal(p.audio_codec, cases[k].audio);
        if (p.bad_tag[0])
            fail_msg("%s: %s", out, p.bad_tag);
        print_message("%s: %d frames, audio %s copied (%.3f s), mean diff %.2f\n", cases[k].name,
                      a.n, avcodec_get_name(p.audio_codec), p.audio_duration,
                      mean_diff(a.first, b.first));
        clip_free(&a);
        clip_free(&b);
    }
}

/* Subtitles are dropped; GPS location, creation time, titles and languages
 * never reach the output. */
static void test_streams_and_metadata(void **state)
{
    (void)state;
    static const char *const names[] = { "subs.mkv", "gps.mov", "gps.mp4" };
    for (int k = 0; k < 3; k++) {
        char in[512], out[512];
        scratch(in, sizeof in, names[k]);
        snprintf(out, sizeof out, "%s/out-%s.mp4", g_dir, names[k]);
        probe_result in_p, p;
        probe_file(in, &in_p);
        assert_true(in_p.bad_tag[0]); /* the input does carry something */
        if (k > 0) /* the GPS files really have a location and a creation time */
            assert_true(in_p.location && in_p.creation_time);
        cb_video_out_opts o = fast_opts(in);
        clip a, b;
        read_all(in, out, &o, 1, &a, NULL);
        assert_int_equal(a.info.other_streams, k == 0 ? 1 : 0);
        assert_int_equal(a.info.audio_streams, 1);
        read_all(out, NULL, NULL, 1, &b, NULL);
        assert_int_equal(a.n, b.n);
        probe_file(out, &p);
        if (p.bad_tag[0])
            fail_msg("%s: metadata in the output: %s (input had %s)", out, p.bad_tag,
                     in_p.bad_tag);
        assert_false(p.location || p.creation_time);
        assert_int_equal(p.video, 1);
        assert_int_equal(p.audio, 1);
        assert_int_equal(p.other, 0);
        assert_int_equal(b.info.other_streams, 0);
        print_message("%s: input had \"%s\"; output clean, video + audio only\n", names[k],
                      in_p.bad_tag);
        clip_free(&a);
        clip_free(&b);
    }
    /* The output file holds no trace of the location text at all. */
    char out[512];
    scratch(out, sizeof out, "out-gps.mov.mp4");
    FILE *f = fopen(out, "rb");
    assert_non_null(f);
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    for (size_t i = 0; i + 6 <= n; i++)
        if (memcmp(buf + i, "+52.37", 6) == 0 || memcmp(buf + i, "\xa9xyz", 4) == 0)
            fail_msg("location bytes at offset %zu of %s", i, out);
}

/* Broken and non-video inputs. */
static void test_bad_inputs(void **state)
{
    (void)state;
    static const char *const bad[] = { "truncated.mp4", "truncated-faststart.mp4", "empty.mp4",
                                       "text.mp4",      "audio.m4a",               "cover.mp3",
                                       "still.png",     "still.jpg" };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        char in[512];
        scratch(in, sizeof in, bad[k]);
        cb_error err = { 0 };
        cb_video_in *r = (cb_video_in *)(uintptr_t)1; /* must be reset to NULL */
        cb_video_info info;
        int rc = cb_video_in_open(in, 0, &r, &info, &err);
        expect_error(rc, CB_EDECODE, &err, in);
        assert_null(r);
        print_message("%-24s -> %s\n", bad[k], err.msg);
        /* probe looks at the header only: a cut file whose index survived is
         * still "a video" (and then fails to open, as above) */
        cb_error perr = { 0 };
        assert_int_equal(cb_video_probe(in, &perr), strcmp(bad[k], "truncated-faststart.mp4") == 0);
    }
    /* probe: videos yes, missing file an error */
    static const char *const good[] = { "plain.mp4", "rot90.mp4", "subs.mkv", "gps.mov",
                                        "vfr.mp4",   "sizes.mkv" };
    for (size_t k = 0; k < sizeof good / sizeof good[0]; k++) {
        char in[512];
        scratch(in, sizeof in, good[k]);
        assert_int_equal(cb_video_probe(in, NULL), 1);
    }
    char missing[512];
    scratch(missing, sizeof missing, "no-such-file.mp4");
    cb_error err = { 0 };
    assert_int_equal(cb_video_probe(missing, &err), -ENOENT);
    assert_non_null(strstr(err.msg, missing));
    cb_video_in *r = NULL;
    expect_error(cb_video_in_open(missing, 0, &r, NULL, &err), -ENOENT, &err, missing);
    /* not a file: a folder, a device (the image reader says the same: test_media) */
    expect_error(cb_video_in_open(g_dir, 0, &r, NULL, &err), -EISDIR, &err, g_dir);
    assert_int_equal(cb_video_probe(g_dir, &err), -EISDIR);
    expect_error(cb_video_in_open("/dev/null", 0, &r, NULL, &err), CB_EDECODE, &err, "/dev/null");
    assert_string_equal(err.msg, "/dev/null: not a regular file");
    assert_null(r);
    /* a named pipe: refused at once, not read (which would wait for a writer) */
    char pipe_path[512];
    scratch(pipe_path, sizeof pipe_path, "pipe.mp4");
    assert_int_equal(mkfifo(pipe_path, 0600), 0);
    assert_true(cb_video_probe(pipe_path, &err) != 1);
    expect_error(cb_video_in_open(pipe_path, 0, &r, NULL, &err), CB_EDECODE, &err, pipe_path);
    assert_null(r);
    /* size limit, checked before decoding */
    char in[512];
    scratch(in, sizeof in, "plain.mp4");
    expect_error(cb_video_in_open(in, 320 * 240 - 1, &r, NULL, &err), CB_ETOOBIG, &err, in);
    assert_null(r);
    assert_int_equal(cb_video_in_open(in, 320 * 240, &r, NULL, &err), 0);
    cb_video_in_close(r);
    cb_video_in_close(NULL);
    cb_video_out_close(NULL);
}

/* Write n frames of plain.mp4 into w (no finish). */
static void feed(cb_video_out *w, int n)
{
    char in[512];
    scratch(in, sizeof in, "plain.mp4");
    cb_error err = { 0 };
    cb_video_in *r = NULL;
    assert_int_equal(cb_video_in_open(in, 0, &r, NULL, &err), 0);
    for (int i = 0; i < n; i++) {
        AVFrame *f = NULL;
        assert_int_equal(cb_video_in_read(r, &f, &err), 0);
        if (cb_video_out_write(w, f, &err) != 0)
            fail_msg("write: %s", err.msg);
        av_frame_free(&f);
    }
    cb_video_in_close(r);
}

static cb_video_info plain_info(void)
{
    char in[512];
    scratch(in, sizeof in, "plain.mp4");
    cb_error err = { 0 };
    cb_video_in *r = NULL;
    cb_video_info info;
    assert_int_equal(cb_video_in_open(in, 0, &r, &info, &err), 0);
    cb_video_in_close(r);
    return info;
}

/* Attempt to write into `dir`; returns the code of the first failing call. */
static int try_write(const char *dir, cb_error *err)
{
    char out[512];
    snprintf(out, sizeof out, "%s/out.mp4", dir);
    cb_video_info info = plain_info();
    cb_video_out_opts o = fast_opts(NULL);
    cb_video_out *w = NULL;
    int rc = cb_video_out_open(out, &info, &o, &w, err);
    if (rc == 0) {
        feed(w, 3);
        rc = cb_video_out_finish(w, err);
    }
    cb_video_out_close(w);
    return rc;
}

/* Output failures: nothing (no file, no temporary file) is ever left. */
static void test_output_errors(void **state)
{
    (void)state;
    cb_video_info info = plain_info();
    cb_error err = { 0 };
    char dir[512], out[1024], x[512];

    /* close without finish: temporary file during the write, nothing after */
    make_dir(dir, sizeof dir, "unfinished");
    snprintf(out, sizeof out, "%s/out.mp4", dir);
    cb_video_out_opts o = fast_opts(NULL);
    cb_video_out *w = NULL;
    assert_int_equal(cb_video_out_open(out, &info, &o, &w, &err), 0);
    feed(w, 10);
    assert_int_equal(count_entries(dir), 1);
    DIR *d = opendir(dir);
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            assert_int_equal(strncmp(e->d_name, ".out.mp4.", 9), 0);
    closedir(d);
    assert_int_equal(access(out, F_OK), -1);
    cb_video_out_close(w);
    assert_int_equal(count_entries(dir), 0);

    /* finish without frames: an error, nothing left */
    w = NULL;
    assert_int_equal(cb_video_out_open(out, &info, &o, &w, &err), 0);
    expect_error(cb_video_out_finish(w, &err), CB_EENCODE, &err, out);
    cb_video_out_close(w);
    assert_int_equal(count_entries(dir), 0);

    /* bad frames: wrong size, timestamps not increasing */
    w = NULL;
    assert_int_equal(cb_video_out_open(out, &info, &o, &w, &err), 0);
    AVFrame *f = av_frame_alloc();
    f->format = AV_PIX_FMT_BGR24;
    f->width = info.width;
    f->height = info.height;
    assert_int_equal(av_frame_get_buffer(f, 0), 0);
    memset(f->data[0], 128, (size_t)f->linesize[0] * f->height);
    f->pts = 10;
    assert_int_equal(cb_video_out_write(w, f, &err), 0);
    expect_error(cb_video_out_write(w, f, &err), CB_EINVAL, &err, out);
    cb_video_out_close(w);
    av_frame_free(&f);
    assert_int_equal(count_entries(dir), 0);

    /* existing output: CB_EEXIST at open, and at finish when it appears meanwhile */
    write_text(out, "precious");
    w = NULL;
    expect_error(cb_video_out_open(out, &info, &o, &w, &err), CB_EEXIST, &err, out);
    assert_null(w);
    unlink(out);
    assert_int_equal(cb_video_out_open(out, &info, &o, &w, &err), 0);
    feed(w, 5);
    write_text(out, "precious");
    expect_error(cb_video_out_finish(w, &err), CB_EEXIST, &err, out);
    cb_video_out_close(w);
    assert_int_equal(count_entries(dir), 1);
    FILE *pf = fopen(out, "r");
    char buf[16] = { 0 };
    assert_non_null(fgets(buf, sizeof buf, pf));
    fclose(pf);
    assert_string_equal(buf, "precious");
    /* ... replaced with overwrite */
    o.overwrite = 1;
    w = NULL;
    assert_int_equal(cb_video_out_open(out, &info, &o, &w, &err), 0);
    feed(w, 5);
    assert_int_equal(cb_video_out_finish(w, &err), 0);
    cb_video_out_close(w);
    assert_int_equal(count_entries(dir), 1);
    assert_int_equal(cb_video_probe(out, NULL), 1);
    o.overwrite = 0;

    /* an audio codec MP4 cannot hold: refused by name, nothing written; MOV takes it */
    scratch(x, sizeof x, "pcm.mov");
    snprintf(out, sizeof out, "%s/pcm.mp4", dir);
    o.audio_source = x;
    w = NULL;
    expect_error(cb_video_out_open(out, &info, &o, &w, &err), CB_EFORMAT, &err, out);
    assert_non_null(strstr(err.msg, "pcm_s16le"));
    assert_int_equal(count_entries(dir), 1);
    snprintf(out, sizeof out, "%s/pcm-ok.mov", dir);
    clip a;
    read_all(x, out, &o, 1, &a, NULL);
    clip_free(&a);
    probe_result p;
    probe_file(out, &p);
    assert_int_equal(p.audio_codec, AV_CODEC_ID_PCM_S16LE);
    o.audio_source = NULL;

    /* other bad requests */
    snprintf(out, sizeof out, "%s/out.mkv", dir);
    expect_error(cb_video_out_open(out, &info, &o, &w, &err), CB_EFORMAT, &err, out);
    snprintf(out, sizeof out, "%s/new.mp4", dir);
    o.preset = "no-such-preset";
    expect_error(cb_video_out_open(out, &info, &o, &w, &err), CB_EENCODE, &err, out);
    o.preset = NULL;
    o.crf = 52;
    expect_error(cb_video_out_open(out, &info, &o, &w, &err), CB_EINVAL, &err, out);
    o.crf = -1;
    scratch(x, sizeof x, "no-such-file.mp4");
    o.audio_source = x;
    expect_error(cb_video_out_open(out, &info, &o, &w, &err), -ENOENT, &err, out);
    o.audio_source = NULL;
    snprintf(out, sizeof out, "%s/no-such-folder/new.mp4", dir);
    expect_error(cb_video_out_open(out, &info, &o, &w, &err), -ENOENT, &err, out);
    assert_int_equal(count_entries(dir), 2);

    /* a read-only folder (as an unprivileged user when we are root) */
    make_dir(dir, sizeof dir, "readonly");
    assert_int_equal(chmod(g_dir, 0755), 0);
    assert_int_equal(chmod(dir, 0555), 0);
    int rc;
    if (geteuid() != 0) {
        rc = try_write(dir, &err);
    } else {
        fflush(NULL);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            int code = 1;
            if (setgid(65534) == 0 && setuid(65534) == 0) {
                cb_error cerr = { 0 };
                int r = try_write(dir, &cerr);
                code = r == -EACCES && strstr(cerr.msg, dir) ? 0 : 2;
                if (code)
                    fprintf(stderr, "child: %d %s\n", r, cerr.msg);
            }
            _exit(code);
        }
        int status = 0;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        rc = WEXITSTATUS(status) == 0 ? -EACCES : -1;
    }
    assert_int_equal(rc, -EACCES);
    assert_int_equal(count_entries(dir), 0);
    chmod(dir, 0755);
}

/* A file whose media data is damaged: frames up to the damage, then
 * CB_EDECODE naming the file, and the same code on every later read. */
static void test_corrupt_data(void **state)
{
    (void)state;
    char in[512];
    scratch(in, sizeof in, "garbled.mp4");
    cb_error err = { 0 };
    cb_video_in *r = NULL;
    assert_int_equal(cb_video_in_open(in, 0, &r, NULL, &err), 0); /* the index is intact */
    int n = 0, rc;
    AVFrame *f = NULL;
    while ((rc = cb_video_in_read(r, &f, &err)) == 0) {
        av_frame_free(&f);
        n++;
    }
    print_message("garbled.mp4: %d frames, then: %s\n", n, err.msg);
    expect_error(rc, CB_EDECODE, &err, in);
    assert_null(f);
    assert_true(n > 0 && n < 30);
    cb_error again = { 0 };
    assert_int_equal(cb_video_in_read(r, &f, &again), CB_EDECODE);
    assert_null(f);
    cb_video_in_close(r);
}

/* A stream that changes resolution midway: every frame has the first size. */
static void test_resolution_change(void **state)
{
    (void)state;
    char in[512], out[512];
    scratch(in, sizeof in, "sizes.mkv");
    scratch(out, sizeof out, "out-sizes.mp4");
    cb_video_out_opts o = fast_opts(NULL);
    clip a, b;
    read_all(in, out, &o, 15, &a, NULL); /* read_all checks every frame's size */
    assert_int_equal(a.n, 20);
    assert_int_equal(a.info.width, 160);
    assert_int_equal(a.info.height, 120);
    read_all(out, NULL, NULL, 15, &b, NULL);
    expect_same_pts(&a, &b, 1e-6, "sizes");
    double d0 = mean_diff(a.first, b.first), d1 = mean_diff(a.middle, b.middle);
    print_message("sizes.mkv: 20 frames at 160x120 (the last 10 scaled from 240x180); mean "
                  "diff after re-encoding %.2f / %.2f\n", d0, d1);
    assert_true(d0 < 6.0 && d1 < 6.0);
    clip_free(&a);
    clip_free(&b);
}

/*
 * Display matrices of every right-angle rotation with and without mirrors:
 * the orientation chosen must put each corner of the stored picture where
 * the matrix maps it (p' = a p + c q, q' = b p + d q; see libavutil/display.h).
 * Other angles are ignored.
 */
static void test_display_matrix(void **state)
{
    (void)state;
    const int W = 6, H = 4;
    AVFrame *src = av_frame_alloc();
    src->format = AV_PIX_FMT_BGR24;
    src->width = W;
    src->height = H;
    assert_int_equal(av_frame_get_buffer(src, 0), 0);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            uint8_t *p = src->data[0] + y * src->linesize[0] + 3 * x;
            p[0] = (uint8_t)(10 * x); /* every pixel distinct */
            p[1] = (uint8_t)(10 * y);
            p[2] = 7;
        }
    static const double angles[] = { 0, 90, 180, 270, -90, 360 };
    for (size_t k = 0; k < sizeof angles / sizeof angles[0]; k++)
        for (int hf = 0; hf < 2; hf++)
            for (int vf = 0; vf < 2; vf++) {
                int32_t m[9];
                av_display_rotation_set(m, angles[k]);
                av_display_matrix_flip(m, hf, vf);
                int rot = -1;
                int o = cb_orientation_from_display_matrix(m, &rot);
                assert_true(o >= 1 && o <= 8);
                assert_true(rot == 0 || rot == 90 || rot == 180 || rot == 270);
                AVFrame *dst = NULL;
                assert_int_equal(cb_frame_orient(src, o, &dst), 0);
                double a = m[0] / 65536.0, b = m[1] / 65536.0, c = m[3] / 65536.0,
                       d = m[4] / 65536.0;
                int swap = fabs(a) < 0.5;
                assert_int_equal(dst->width, swap ? H : W);
                assert_int_equal(dst->height, swap ? W : H);
                /* each stored pixel (x, y): where the matrix sends it */
                double minp = 1e9, minq = 1e9;
                for (int cy = 0; cy < 2; cy++)
                    for (int cx = 0; cx < 2; cx++) {
                        double p = a * cx * (W - 1) + c * cy * (H - 1);
                        double q = b * cx * (W - 1) + d * cy * (H - 1);
                        minp = fmin(minp, p);
                        minq = fmin(minq, q);
                    }
                for (int y = 0; y < H; y++)
                    for (int x = 0; x < W; x++) {
                        int dx = (int)lround(a * x + c * y - minp);
                        int dy = (int)lround(b * x + d * y - minq);
                        const uint8_t *s = src->data[0] + y * src->linesize[0] + 3 * x;
                        const uint8_t *t = dst->data[0] + dy * dst->linesize[0] + 3 * dx;
                        if (memcmp(s, t, 3) != 0)
                            fail_msg("angle %g hflip %d vflip %d -> orientation %d: stored "
                                     "(%d,%d) not at (%d,%d)",
                                     angles[k], hf, vf, o, x, y, dx, dy);
                    }
                av_frame_free(&dst);
            }
    /* not a right angle, or degenerate: as stored */
    int32_t m[9];
    int rot = -1;
    av_display_rotation_set(m, 30);
    assert_int_equal(cb_orientation_from_display_matrix(m, &rot), 1);
    assert_int_equal(rot, 0);
    memset(m, 0, sizeof m);
    assert_int_equal(cb_orientation_from_display_matrix(m, &rot), 1);
    av_frame_free(&src);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hamilton),
        cmocka_unit_test(test_bbt),
        cmocka_unit_test(test_rotation),
        cmocka_unit_test(test_variable_frame_rate),
        cmocka_unit_test(test_hevc_vp9),
        cmocka_unit_test(test_streams_and_metadata),
        cmocka_unit_test(test_bad_inputs),
        cmocka_unit_test(test_corrupt_data),
        cmocka_unit_test(test_resolution_change),
        cmocka_unit_test(test_display_matrix),
        cmocka_unit_test(test_output_errors),
    };
    av_log_set_level(AV_LOG_QUIET);
    return cmocka_run_group_tests(tests, make_clips, remove_clips);
}

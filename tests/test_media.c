/*
 * test_media.c - cb_image_read / cb_image_write with real FFmpeg and real
 * photos from the shared test data (CB_TESTDATA, default CB_TESTDATA_DIR).
 * Tests fail, never skip, when the test data is missing.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <libavutil/crc.h>
#include <libavutil/imgutils.h>

#include "pipeline/media_in.h"
#include "pipeline/media_out.h"
#include "test_support.h"

/* ---------------------------------------------------------------- helpers */

/* A scratch folder (cb_test_make_temp_dir); removed with cb_test_remove_tree. */
typedef struct workdir {
    char path[256];
} workdir;

static void workdir_path(const workdir *w, char *out, size_t size, const char *name)
{
    int n = snprintf(out, size, "%s/%s", w->path, name);
    assert_true(n > 0 && (size_t)n < size);
}

/* Number of entries in dir whose name starts with '.' (other than . and ..). */
static int count_hidden(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] == '.' && strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

static void write_bytes(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    if (n)
        assert_int_equal(fwrite(data, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

static uint8_t *read_bytes(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long len = ftell(f);
    assert_true(len >= 0);
    assert_int_equal(fseek(f, 0, SEEK_SET), 0);
    uint8_t *buf = malloc((size_t)len + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    *n = (size_t)len;
    return buf;
}

static int contains(const uint8_t *hay, size_t n, const char *needle)
{
    size_t m = strlen(needle);
    for (size_t i = 0; i + m <= n; i++)
        if (memcmp(hay + i, needle, m) == 0)
            return 1;
    return 0;
}

static uint8_t *px(const AVFrame *f, int x, int y)
{
    return f->data[0] + (ptrdiff_t)y * f->linesize[0] + 3 * x;
}

/* A smooth, asymmetric BGR test picture: gradients plus a few blocks. */
static AVFrame *synthetic_bgr(int w, int h)
{
    AVFrame *f = cb_test_new_frame(AV_PIX_FMT_BGR24, w, h);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            uint8_t *p = px(f, x, y);
            p[0] = (uint8_t)(x * 255 / (w - 1));           /* B */
            p[1] = (uint8_t)(y * 255 / (h - 1));           /* G */
            p[2] = (uint8_t)(((x + y) * 255) / (w + h - 2)); /* R */
        }
    return f;
}

/* Four flat quadrants: top-left red, top-right green, bottom-left blue,
 * bottom-right white (BGR order in memory). */
enum { RED, GREEN, BLUE, WHITE };
static const uint8_t quad_bgr[4][3] = { { 0, 0, 255 }, { 0, 255, 0 }, { 255, 0, 0 }, { 255, 255, 255 } };

static AVFrame *quadrants_bgr(int w, int h)
{
    AVFrame *f = cb_test_new_frame(AV_PIX_FMT_BGR24, w, h);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int q = (y >= h / 2) * 2 + (x >= w / 2);
            memcpy(px(f, x, y), quad_bgr[q], 3);
        }
    return f;
}

/* Which quadrant colour a pixel is closest to (JPEG-tolerant). */
static int colour_at(const AVFrame *f, int x, int y)
{
    const uint8_t *p = px(f, x, y);
    int best = -1, bestd = 1 << 30;
    for (int q = 0; q < 4; q++) {
        int d = 0;
        for (int c = 0; c < 3; c++)
            d += (p[c] - quad_bgr[q][c]) * (p[c] - quad_bgr[q][c]);
        if (d < bestd) {
            bestd = d;
            best = q;
        }
    }
    assert_true(bestd < 3 * 40 * 40);
    return best;
}

static double mean_abs_diff(const AVFrame *a, const AVFrame *b)
{
    assert_int_equal(a->width, b->width);
    assert_int_equal(a->height, b->height);
    double sum = 0;
    for (int y = 0; y < a->height; y++)
        for (int x = 0; x < a->width; x++)
            for (int c = 0; c < 3; c++)
                sum += abs(px(a, x, y)[c] - px(b, x, y)[c]);
    return sum / (3.0 * a->width * a->height);
}

static int max_abs_diff(const AVFrame *a, const AVFrame *b)
{
    int m = 0;
    for (int y = 0; y < a->height; y++)
        for (int x = 0; x < a->width; x++)
            for (int c = 0; c < 3; c++) {
                int d = abs(px(a, x, y)[c] - px(b, x, y)[c]);
                if (d > m)
                    m = d;
            }
    return m;
}

/* Encode a frame of any pixel format with FFmpeg's PNG encoder (to build
 * inputs in formats cb_image_write does not produce: grey, 16-bit, palette,
 * alpha). */
static void write_png_raw(const char *path, const AVFrame *f)
{
    const AVCodec *c = avcodec_find_encoder(AV_CODEC_ID_PNG);
    assert_non_null(c);
    AVCodecContext *e = avcodec_alloc_context3(c);
    assert_non_null(e);
    e->width = f->width;
    e->height = f->height;
    e->pix_fmt = f->format;
    e->time_base = (AVRational){ 1, 25 };
    assert_int_equal(avcodec_open2(e, c, NULL), 0);
    AVPacket *p = av_packet_alloc();
    assert_non_null(p);
    assert_int_equal(avcodec_send_frame(e, f), 0);
    assert_int_equal(avcodec_receive_packet(e, p), 0);
    write_bytes(path, p->data, (size_t)p->size);
    av_packet_free(&p);
    avcodec_free_context(&e);
}

/* Insert an EXIF APP1 right after SOI of the JPEG at src, into dst. IFD0
 * holds Orientation and an ImageDescription carrying "CBSECRET GPS ..." (so
 * the output can be searched for it). If thumb is not NULL, that JPEG file is
 * appended inside the APP1 as cameras store thumbnails (its own SOI..EOI
 * inside the segment). */
static void jpeg_with_exif(const char *src, const char *dst, int orientation, const char *thumb)
{
    size_t n, tn = 0;
    uint8_t *jpg = read_bytes(src, &n);
    uint8_t *th = thumb ? read_bytes(thumb, &tn) : NULL;
    assert_true(n > 4 && jpg[0] == 0xFF && jpg[1] == 0xD8);
    static const char secret[] = "CBSECRET GPS 52.37N 4.89E";
    uint8_t head[38] = {
        'I', 'I', 42, 0, 8, 0, 0, 0, /* little endian, IFD0 at offset 8 */
        2, 0,                        /* two entries */
        /* 0x0112 Orientation, SHORT, count 1, value */
        0x12, 0x01, 3, 0, 1, 0, 0, 0, (uint8_t)orientation, 0, 0, 0,
        /* 0x010E ImageDescription, ASCII, count, offset 38 (right after IFD0) */
        0x0E, 0x01, 2, 0, (uint8_t)sizeof secret, 0, 0, 0, 38, 0, 0, 0,
        0, 0, 0, 0 /* no next IFD */
    };
    size_t seglen = 2 + 6 + sizeof head + sizeof secret + tn;
    assert_true(seglen <= 65535);
    uint8_t *out = malloc(n + 2 + seglen);
    assert_non_null(out);
    size_t o = 0;
    static const uint8_t soi_app1[4] = { 0xFF, 0xD8, 0xFF, 0xE1 };
    memcpy(out, soi_app1, 4);
    o = 4;
    out[o++] = (uint8_t)(seglen >> 8);
    out[o++] = (uint8_t)(seglen & 0xFF);
    memcpy(out + o, "Exif\0\0", 6);
    o += 6;
    memcpy(out + o, head, sizeof head);
    o += sizeof head;
    memcpy(out + o, secret, sizeof secret);
    o += sizeof secret;
    if (tn) {
        memcpy(out + o, th, tn);
        o += tn;
    }
    memcpy(out + o, jpg + 2, n - 2);
    o += n - 2;
    write_bytes(dst, out, o);
    free(out);
    free(th);
    free(jpg);
}

/* Write a frame with cb_image_write, asserting success. */
static void write_ok(const char *path, const AVFrame *f, enum AVCodecID codec, int quality)
{
    cb_error err = { 0 };
    cb_image_write_opts o = { codec, quality, 0 };
    int rc = cb_image_write(path, f, &o, &err);
    if (rc != 0)
        fail_msg("cb_image_write(%s): %d %s", path, rc, err.msg);
}

static AVFrame *read_ok(const char *path, cb_image_info *info)
{
    cb_error err = { 0 };
    AVFrame *f = NULL;
    int rc = cb_image_read(path, NULL, &f, info, &err);
    if (rc != 0)
        fail_msg("cb_image_read(%s): %d %s", path, rc, err.msg);
    assert_non_null(f);
    assert_int_equal(f->format, AV_PIX_FMT_BGR24);
    return f;
}

/* Read expecting failure `code`; checks *out stays NULL and a message names the file. */
static void read_fails(const char *path, const cb_image_limits *lim, int code)
{
    cb_error err = { 0 };
    AVFrame *f = (AVFrame *)&err; /* must be reset to NULL */
    int rc = cb_image_read(path, lim, &f, NULL, &err);
    if (rc != code)
        fail_msg("cb_image_read(%s): expected %d, got %d (%s)", path, code, rc, err.msg);
    assert_null(f);
    assert_int_equal(err.code, code);
    assert_non_null(strstr(err.msg, path));
    assert_null(strchr(err.msg, '\n'));
}

/* ------------------------------------------------------------------ tests */

static void test_testdata_present(void **state)
{
    (void)state;
    const char *dir = cb_test_data_dir(); /* fails the test when it is missing */
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        fail_msg("test data folder missing: %s (set CB_TESTDATA)", dir);
}

static void test_read_group_jpegs(void **state)
{
    (void)state;
    static const struct { const char *name; int w, h; } cases[] = {
        { "groups/bbt1.jpg", 1366, 768 }, { "groups/bbt2.jpg", 675, 469 },
        { "groups/bbt3.jpg", 594, 383 },  { "groups/bbt4.jpg", 710, 473 },
        { "groups/bbt5.jpg", 940, 464 },  { "groups/kit_with_rose.jpg", 0, 0 },
        { "groups/obama_and_biden.jpg", 0, 0 }, { "groups/two_people.jpg", 0, 0 },
        { "probes/obama-240p.jpg", 0, 0 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[1024];
        cb_test_data_path(cases[i].name, path, sizeof path);
        cb_image_info info = { 0 };
        AVFrame *f = read_ok(path, &info);
        assert_int_equal(info.codec_id, AV_CODEC_ID_MJPEG);
        if (cases[i].w) {
            assert_int_equal(f->width, cases[i].w);
            assert_int_equal(f->height, cases[i].h);
        }
        assert_true(f->width >= 16 && f->height >= 16);
        assert_int_equal(info.had_alpha, 0);
        assert_true(info.orientation >= 1 && info.orientation <= 8);
        /* A photo is not one flat colour. */
        int differs = 0;
        for (int y = 0; y < f->height && !differs; y += 7)
            differs = memcmp(px(f, 0, 0), px(f, f->width / 2, y), 3) != 0;
        assert_true(differs);
        av_frame_free(&f);
    }
}

static void test_read_png_alpha_real(void **state)
{
    (void)state;
    char path[1024];
    cb_test_data_path("probes/32bit.png", path, sizeof path);
    cb_image_info info = { 0 };
    AVFrame *f = read_ok(path, &info);
    assert_int_equal(info.codec_id, AV_CODEC_ID_PNG);
    assert_int_equal(info.had_alpha, 1);
    assert_int_equal(f->width, info.src_width);
    av_frame_free(&f);

    cb_test_data_path("groups/no-face-white.png", path, sizeof path);
    f = read_ok(path, &info);
    assert_int_equal(info.codec_id, AV_CODEC_ID_PNG);
    av_frame_free(&f);
}

/* PNG inputs in the pixel formats cameras and editors produce. */
static void test_read_png_pixel_formats(void **state)
{
    (void)state;
    workdir w;
    cb_test_make_temp_dir(w.path, sizeof w.path);
    char path[512];
    const int W = 40, H = 30;
    cb_image_info info;
    AVFrame *src, *f;

    /* 8-bit grey */
    src = cb_test_new_frame(AV_PIX_FMT_GRAY8, W, H);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            src->data[0][y * src->linesize[0] + x] = (uint8_t)(x * 6);
    workdir_path(&w, path, sizeof path, "grey.png");
    write_png_raw(path, src);
    av_frame_free(&src);
    f = read_ok(path, &info);
    for (int x = 0; x < W; x++)
        for (int c = 0; c < 3; c++)
            assert_int_equal(px(f, x, 5)[c], x * 6);
    av_frame_free(&f);

    /* 16-bit RGB (big endian, as PNG stores it) */
    src = cb_test_new_frame(AV_PIX_FMT_RGB48BE, W, H);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            uint8_t *p = src->data[0] + y * src->linesize[0] + 6 * x;
            uint16_t v[3] = { (uint16_t)(x * 1600), (uint16_t)(y * 2000), 0xFFFF };
            for (int c = 0; c < 3; c++) {
                p[2 * c] = (uint8_t)(v[c] >> 8);
                p[2 * c + 1] = (uint8_t)(v[c] & 0xFF);
            }
        }
    workdir_path(&w, path, sizeof path, "rgb48.png");
    write_png_raw(path, src);
    av_frame_free(&src);
    f = read_ok(path, &info);
    assert_int_equal(info.had_alpha, 0);
    {
        uint8_t *p = px(f, 20, 10); /* R=32000/65535*255=124.5, G=20000->77.8, B=255 */
        assert_true(abs(p[2] - 124) <= 2);
        assert_true(abs(p[1] - 78) <= 2);
        assert_true(p[0] >= 253);
    }
    av_frame_free(&f);

    /* 16-bit grey */
    src = cb_test_new_frame(AV_PIX_FMT_GRAY16BE, W, H);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            uint8_t *p = src->data[0] + y * src->linesize[0] + 2 * x;
            p[0] = 0x80;
            p[1] = 0x00;
        }
    workdir_path(&w, path, sizeof path, "grey16.png");
    write_png_raw(path, src);
    av_frame_free(&src);
    f = read_ok(path, &info);
    for (int c = 0; c < 3; c++)
        assert_true(abs(px(f, 3, 3)[c] - 128) <= 1);
    av_frame_free(&f);

    /* RGBA: left half transparent (must come out white), right half opaque red */
    src = cb_test_new_frame(AV_PIX_FMT_RGBA, W, H);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            uint8_t *p = src->data[0] + y * src->linesize[0] + 4 * x;
            p[0] = 255; p[1] = 0; p[2] = 0;
            p[3] = x < W / 2 ? 0 : 255;
            if (x == W / 4) { p[0] = 0; p[3] = 128; } /* half-transparent black column */
        }
    workdir_path(&w, path, sizeof path, "rgba.png");
    write_png_raw(path, src);
    av_frame_free(&src);
    f = read_ok(path, &info);
    assert_int_equal(info.had_alpha, 1);
    assert_memory_equal(px(f, 1, 1), quad_bgr[WHITE], 3);
    assert_memory_equal(px(f, W - 1, H - 1), quad_bgr[RED], 3);
    for (int c = 0; c < 3; c++)
        assert_true(abs(px(f, W / 4, 2)[c] - 127) <= 2); /* black at 50% over white */
    av_frame_free(&f);

    /* 16-bit RGBA */
    src = cb_test_new_frame(AV_PIX_FMT_RGBA64BE, W, H);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            uint8_t *p = src->data[0] + y * src->linesize[0] + 8 * x;
            memset(p, 0, 8);
            p[2] = p[3] = 0xFF;                 /* G */
            p[6] = p[7] = x < W / 2 ? 0 : 0xFF; /* A */
        }
    workdir_path(&w, path, sizeof path, "rgba64.png");
    write_png_raw(path, src);
    av_frame_free(&src);
    f = read_ok(path, &info);
    assert_int_equal(info.had_alpha, 1);
    assert_memory_equal(px(f, 0, 0), quad_bgr[WHITE], 3);
    assert_memory_equal(px(f, W - 1, 0), quad_bgr[GREEN], 3);
    av_frame_free(&f);

    /* grey + alpha */
    src = cb_test_new_frame(AV_PIX_FMT_YA8, W, H);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            uint8_t *p = src->data[0] + y * src->linesize[0] + 2 * x;
            p[0] = 0;
            p[1] = x < W / 2 ? 0 : 255;
        }
    workdir_path(&w, path, sizeof path, "ya8.png");
    write_png_raw(path, src);
    av_frame_free(&src);
    f = read_ok(path, &info);
    assert_int_equal(info.had_alpha, 1);
    assert_memory_equal(px(f, 0, 0), quad_bgr[WHITE], 3);
    {
        static const uint8_t black[3] = { 0, 0, 0 };
        assert_memory_equal(px(f, W - 1, 0), black, 3);
    }
    av_frame_free(&f);

    /* palette, with one fully transparent entry */
    src = cb_test_new_frame(AV_PIX_FMT_PAL8, W, H);
    uint32_t *pal = (uint32_t *)src->data[1];
    memset(pal, 0, 1024);
    pal[0] = 0xFFFF0000u; /* opaque red (ARGB) */
    pal[1] = 0xFF0000FFu; /* opaque blue */
    pal[2] = 0x00000000u; /* transparent */
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            src->data[0][y * src->linesize[0] + x] = (uint8_t)(y < H / 2 ? (x < W / 2 ? 0 : 1) : 2);
    workdir_path(&w, path, sizeof path, "pal8.png");
    write_png_raw(path, src);
    av_frame_free(&src);
    f = read_ok(path, &info);
    assert_int_equal(info.codec_id, AV_CODEC_ID_PNG);
    assert_int_equal(info.had_alpha, 1);
    assert_memory_equal(px(f, 0, 0), quad_bgr[RED], 3);
    assert_memory_equal(px(f, W - 1, 0), quad_bgr[BLUE], 3);
    assert_memory_equal(px(f, 0, H - 1), quad_bgr[WHITE], 3);
    av_frame_free(&f);

    /* Probed by content, not extension: a PNG named .jpg, a name with '%d'. */
    char renamed[512];
    workdir_path(&w, renamed, sizeof renamed, "really-a-png-%03d.jpg");
    assert_int_equal(rename(path, renamed), 0);
    f = read_ok(renamed, &info);
    assert_int_equal(info.codec_id, AV_CODEC_ID_PNG);
    av_frame_free(&f);

    cb_test_remove_tree(w.path);
}

static void roundtrip(enum AVCodecID codec, const char *name, double max_mean, int max_diff)
{
    workdir w;
    cb_test_make_temp_dir(w.path, sizeof w.path);
    char path[512];
    workdir_path(&w, path, sizeof path, name);
    /* odd sizes exercise chroma subsampling edges */
    AVFrame *src = synthetic_bgr(97, 61);
    write_ok(path, src, codec, 0);
    assert_int_equal(count_hidden(w.path), 0);
    cb_image_info info = { 0 };
    AVFrame *back = read_ok(path, &info);
    assert_int_equal(info.codec_id, codec);
    assert_int_equal(info.orientation, 1);
    assert_int_equal(back->width, 97);
    assert_int_equal(back->height, 61);
    double mean = mean_abs_diff(src, back);
    int mx = max_abs_diff(src, back);
    if (mean > max_mean || mx > max_diff)
        fail_msg("%s: mean diff %.2f (max %.2f), max diff %d (max %d)", name, mean, max_mean, mx,
                 max_diff);
    av_frame_free(&back);

    /* A real photo too: JPEG in, each format out. */
    char photo[1024];
    cb_test_data_path("groups/bbt3.jpg", photo, sizeof photo);
    AVFrame *real = read_ok(photo, NULL);
    workdir_path(&w, path, sizeof path, "real-copy");
    write_ok(path, real, codec, 95);
    back = read_ok(path, &info);
    assert_int_equal(info.codec_id, codec);
    mean = mean_abs_diff(real, back);
    if (mean > max_mean * 2)
        fail_msg("%s real photo: mean diff %.2f", name, mean);
    av_frame_free(&back);
    av_frame_free(&real);
    av_frame_free(&src);
    assert_int_equal(count_hidden(w.path), 0);
    cb_test_remove_tree(w.path);
}

static void test_roundtrip_png(void **state)
{
    (void)state;
    roundtrip(AV_CODEC_ID_PNG, "out.png", 0.0, 0);
}

static void test_roundtrip_jpeg(void **state)
{
    (void)state;
    roundtrip(AV_CODEC_ID_MJPEG, "out.jpg", 2.0, 24);
}

static void test_roundtrip_webp(void **state)
{
    (void)state;
    roundtrip(AV_CODEC_ID_WEBP, "out.webp", 3.0, 40);
}

static void test_jpeg_quality_affects_size(void **state)
{
    (void)state;
    workdir w;
    cb_test_make_temp_dir(w.path, sizeof w.path);
    char photo[1024], lo[512], hi[512];
    cb_test_data_path("groups/bbt4.jpg", photo, sizeof photo);
    AVFrame *f = read_ok(photo, NULL);
    workdir_path(&w, lo, sizeof lo, "lo.jpg");
    workdir_path(&w, hi, sizeof hi, "hi.jpg");
    write_ok(lo, f, AV_CODEC_ID_MJPEG, 30);
    write_ok(hi, f, AV_CODEC_ID_MJPEG, 95);
    struct stat a, b;
    assert_int_equal(stat(lo, &a), 0);
    assert_int_equal(stat(hi, &b), 0);
    assert_true(a.st_size < b.st_size);
    /* out-of-range quality is refused */
    cb_error err = { 0 };
    cb_image_write_opts o = { AV_CODEC_ID_MJPEG, 101, 1 };
    assert_int_equal(cb_image_write(hi, f, &o, &err), CB_EINVAL);
    av_frame_free(&f);
    cb_test_remove_tree(w.path);
}

/* All eight EXIF orientations, from a JPEG whose stored picture has four
 * coloured quadrants (TL red, TR green, BL blue, BR white). */
static void test_exif_orientations(void **state)
{
    (void)state;
    /* What a viewer shows at the top-left and top-right corners for each
     * orientation, and whether width and height swap (from the EXIF spec:
     * 2 mirror, 3 rotate 180, 4 flip, 5 transpose, 6 rotate 90 CW,
     * 7 transverse, 8 rotate 90 CCW). */
    static const struct { int swap, tl, tr; } expect[9] = {
        { 0, 0, 0 },
        { 0, RED, GREEN },   /* 1 */
        { 0, GREEN, RED },   /* 2 */
        { 0, WHITE, BLUE },  /* 3 */
        { 0, BLUE, WHITE },  /* 4 */
        { 1, RED, BLUE },    /* 5 */
        { 1, BLUE, RED },    /* 6 */
        { 1, WHITE, GREEN }, /* 7 */
        { 1, GREEN, WHITE }, /* 8 */
    };
    workdir w;
    cb_test_make_temp_dir(w.path, sizeof w.path);
    char base[512], path[512];
    const int W = 64, H = 48;
    AVFrame *q = quadrants_bgr(W, H);
    workdir_path(&w, base, sizeof base, "base.jpg");
    write_ok(base, q, AV_CODEC_ID_MJPEG, 95);
    av_frame_free(&q);

    for (int o = 1; o <= 8; o++) {
        char name[32];
        snprintf(name, sizeof name, "orient%d.jpg", o);
        workdir_path(&w, path, sizeof path, name);
        jpeg_with_exif(base, path, o, NULL);
        cb_image_info info = { 0 };
        AVFrame *f = read_ok(path, &info);
        assert_int_equal(info.orientation, o);
        assert_int_equal(info.src_width, W);
        assert_int_equal(info.src_height, H);
        assert_int_equal(f->width, expect[o].swap ? H : W);
        assert_int_equal(f->height, expect[o].swap ? W : H);
        int tl = colour_at(f, 2, 2), tr = colour_at(f, f->width - 3, 2);
        if (tl != expect[o].tl || tr != expect[o].tr)
            fail_msg("orientation %d: corners %d,%d, expected %d,%d", o, tl, tr, expect[o].tl,
                     expect[o].tr);
        av_frame_free(&f);
    }

    /* An EXIF thumbnail (a whole JPEG inside APP1) must not be mistaken for
     * the picture, nor end it early. */
    char thumb[512], photo[1024];
    AVFrame *t = quadrants_bgr(16, 16);
    workdir_path(&w, thumb, sizeof thumb, "thumb.jpg");
    write_ok(thumb, t, AV_CODEC_ID_MJPEG, 50);
    av_frame_free(&t);
    cb_test_data_path("groups/bbt3.jpg", photo, sizeof photo);
    workdir_path(&w, path, sizeof path, "with-thumb.jpg");
    jpeg_with_exif(photo, path, 8, thumb);
    cb_image_info info = { 0 };
    AVFrame *f = read_ok(path, &info);
    assert_int_equal(info.orientation, 8);
    assert_int_equal(info.src_width, 594);
    assert_int_equal(info.src_height, 383);
    assert_int_equal(f->width, 383);
    assert_int_equal(f->height, 594);
    av_frame_free(&f);
    cb_test_remove_tree(w.path);
}

/* PNG with an eXIf chunk (orientation 6: rotate 90 clockwise). FFmpeg 5.1
 * ignores eXIf; cb_image_read reads the tag itself. */
static void test_png_exif_orientation(void **state)
{
    (void)state;
    workdir w;
    cb_test_make_temp_dir(w.path, sizeof w.path);
    char path[512];
    AVFrame *q = quadrants_bgr(64, 48);
    workdir_path(&w, path, sizeof path, "plain.png");
    write_ok(path, q, AV_CODEC_ID_PNG, 0);
    av_frame_free(&q);
    size_t n;
    uint8_t *png = read_bytes(path, &n);
    assert_memory_equal(png + 12, "IHDR", 4);
    /* big-endian TIFF this time: MM, IFD0 with one entry Orientation=6 */
    static const uint8_t chunk[4 + 26] = { 'e', 'X', 'I', 'f', 'M', 'M', 0, 42, 0, 0, 0, 8, 0, 1,
                                           0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0 };
    uint8_t *out = malloc(n + 12 + 26);
    assert_non_null(out);
    size_t o = 8 + 25; /* signature + IHDR chunk */
    memcpy(out, png, o);
    static const uint8_t len[4] = { 0, 0, 0, 26 };
    memcpy(out + o, len, 4);
    memcpy(out + o + 4, chunk, sizeof chunk);
    uint32_t crc = av_crc(av_crc_get_table(AV_CRC_32_IEEE_LE), 0xFFFFFFFFu, chunk, sizeof chunk) ^
                   0xFFFFFFFFu;
    uint8_t crcb[4] = { (uint8_t)(crc >> 24), (uint8_t)(crc >> 16), (uint8_t)(crc >> 8),
                        (uint8_t)crc };
    memcpy(out + o + 4 + sizeof chunk, crcb, 4);
    memcpy(out + o + 8 + sizeof chunk, png + o, n - o);
    workdir_path(&w, path, sizeof path, "exif6.png");
    write_bytes(path, out, n + 12 + 26);
    free(out);
    free(png);

    cb_image_info info = { 0 };
    AVFrame *f = read_ok(path, &info);
    assert_int_equal(info.codec_id, AV_CODEC_ID_PNG);
    assert_int_equal(info.orientation, 6);
    assert_int_equal(f->width, 48);
    assert_int_equal(f->height, 64);
    assert_int_equal(colour_at(f, 1, 1), BLUE);
    assert_int_equal(colour_at(f, 46, 1), RED);
    av_frame_free(&f);
    cb_test_remove_tree(w.path);
}

/* EXIF (GPS, descriptions, camera data) never reaches the output. */
static void test_metadata_stripped(void **state)
{
    (void)state;
    workdir w;
    cb_test_make_temp_dir(w.path, sizeof w.path);
    char photo[1024], in[512], out[512];
    cb_test_data_path("probes/obama-240p.jpg", photo, sizeof photo);
    workdir_path(&w, in, sizeof in, "with-exif.jpg");
    jpeg_with_exif(photo, in, 1, NULL);
    size_t n;
    uint8_t *bytes = read_bytes(in, &n);
    assert_true(contains(bytes, n, "Exif"));
    assert_true(contains(bytes, n, "CBSECRET"));
    free(bytes);

    AVFrame *f = read_ok(in, NULL);
    static const struct { enum AVCodecID c; const char *name; } outs[] = {
        { AV_CODEC_ID_MJPEG, "o.jpg" }, { AV_CODEC_ID_PNG, "o.png" }, { AV_CODEC_ID_WEBP, "o.webp" } };
    for (size_t i = 0; i < 3; i++) {
        workdir_path(&w, out, sizeof out, outs[i].name);
        write_ok(out, f, outs[i].c, 0);
        bytes = read_bytes(out, &n);
        assert_false(contains(bytes, n, "Exif"));
        assert_false(contains(bytes, n, "EXIF"));
        assert_false(contains(bytes, n, "eXIf"));
        assert_false(contains(bytes, n, "CBSECRET"));
        assert_false(contains(bytes, n, "Lavc")); /* no encoder banner either */
        if (outs[i].c == AV_CODEC_ID_MJPEG) {
            assert_true(bytes[0] == 0xFF && bytes[1] == 0xD8);
            for (size_t k = 0; k + 1 < n; k++)
                assert_false(bytes[k] == 0xFF && bytes[k + 1] == 0xE1); /* no APP1 */
        }
        free(bytes);
    }
    av_frame_free(&f);
    cb_test_remove_tree(w.path);
}

/* A minimal PNG: signature, IHDR (w x h, 8-bit RGB), an IDAT and IEND. With a
 * 1x1 image the IDAT is a real one; for huge sizes it is a token. */
static void write_png_header(const char *path, uint32_t w, uint32_t h)
{
    const AVCRC *tab = av_crc_get_table(AV_CRC_32_IEEE_LE);
    uint8_t buf[128];
    size_t n = 0;
    memcpy(buf, "\x89PNG\r\n\x1a\n", 8);
    n = 8;
    uint8_t ihdr[17] = { 'I', 'H', 'D', 'R',
                         (uint8_t)(w >> 24), (uint8_t)(w >> 16), (uint8_t)(w >> 8), (uint8_t)w,
                         (uint8_t)(h >> 24), (uint8_t)(h >> 16), (uint8_t)(h >> 8), (uint8_t)h,
                         8, 2, 0, 0, 0 };
    /* zlib stream of one row: filter 0, RGB 255,0,0 (stored block) */
    static const uint8_t idat_data[] = { 'I', 'D', 'A', 'T', 0x78, 0x01, 0x01, 0x04, 0x00, 0xFB,
                                         0xFF, 0x00, 0xFF, 0x00, 0x00, 0x03, 0x01, 0x01, 0x00 };
    const struct { const uint8_t *d; size_t len; } chunks[3] = {
        { ihdr, sizeof ihdr }, { idat_data, sizeof idat_data }, { (const uint8_t *)"IEND", 4 } };
    for (int i = 0; i < 3; i++) {
        uint32_t len = (uint32_t)chunks[i].len - 4;
        buf[n++] = (uint8_t)(len >> 24);
        buf[n++] = (uint8_t)(len >> 16);
        buf[n++] = (uint8_t)(len >> 8);
        buf[n++] = (uint8_t)len;
        memcpy(buf + n, chunks[i].d, chunks[i].len);
        n += chunks[i].len;
        uint32_t crc = av_crc(tab, 0xFFFFFFFFu, chunks[i].d, chunks[i].len) ^ 0xFFFFFFFFu;
        buf[n++] = (uint8_t)(crc >> 24);
        buf[n++] = (uint8_t)(crc >> 16);
        buf[n++] = (uint8_t)(crc >> 8);
        buf[n++] = (uint8_t)crc;
    }
    write_bytes(path, buf, n);
}

/* A baseline JPEG header (SOI, SOF0) claiming w x h, and nothing else useful. */
static void write_jpeg_header(const char *path, const char *model, int w, int h)
{
    /* Take a real small JPEG and patch the size fields of its SOF0. */
    size_t n;
    uint8_t *b = read_bytes(model, &n);
    int patched = 0;
    for (size_t i = 2; i + 9 < n; i++) {
        if (b[i] == 0xFF && (b[i + 1] == 0xC0 || b[i + 1] == 0xC2)) {
            b[i + 5] = (uint8_t)(h >> 8);
            b[i + 6] = (uint8_t)h;
            b[i + 7] = (uint8_t)(w >> 8);
            b[i + 8] = (uint8_t)w;
            patched = 1;
            break;
        }
    }
    assert_true(patched);
    write_bytes(path, b, n);
    free(b);
}

/* Truncated files: the first cuts[i] of the n bytes of data, written to
 * path one cut after the other, must each fail with CB_EDECODE and no frame.
 * `what` names the format in the failure message. */
static void cuts_fail(const char *path, const char *what, const uint8_t *data, size_t n,
                      const size_t *cuts, size_t n_cuts)
{
    for (size_t i = 0; i < n_cuts; i++) {
        write_bytes(path, data, cuts[i]);
        cb_error err = { 0 };
        AVFrame *f = NULL;
        int rc = cb_image_read(path, NULL, &f, NULL, &err);
        if (rc != CB_EDECODE)
            fail_msg("%s cut at %zu of %zu: got %d (%s)", what, cuts[i], n, rc, err.msg);
        assert_null(f);
    }
}

static void test_bad_inputs(void **state)
{
    (void)state;
    workdir w;
    cb_test_make_temp_dir(w.path, sizeof w.path);
    char path[512];

    workdir_path(&w, path, sizeof path, "empty.jpg");
    write_bytes(path, "", 0);
    read_fails(path, NULL, CB_EDECODE);

    workdir_path(&w, path, sizeof path, "notes.jpg");
    static const char text[] = "This is not a photo.\nJust some notes someone named .jpg\n";
    write_bytes(path, text, sizeof text - 1);
    read_fails(path, NULL, CB_EDECODE);

    workdir_path(&w, path, sizeof path, "missing.jpg");
    read_fails(path, NULL, -ENOENT);

    read_fails(w.path, NULL, -EISDIR);
    /* a device is not a file (the video reader says the same: test_video_io) */
    read_fails("/dev/null", NULL, CB_EDECODE);
    {
        cb_error err = { 0 };
        AVFrame *f = NULL;
        cb_image_read("/dev/null", NULL, &f, NULL, &err);
        assert_string_equal(err.msg, "/dev/null: not a regular file");
    }
    /* nor is a named pipe, and reading it must not wait for a writer */
    workdir_path(&w, path, sizeof path, "pipe.jpg");
    assert_int_equal(mkfifo(path, 0600), 0);
    read_fails(path, NULL, CB_EDECODE);

    workdir_path(&w, path, sizeof path, "tiny.png");
    write_png_header(path, 1, 1);
    read_fails(path, NULL, CB_ETOOSMALL);

    workdir_path(&w, path, sizeof path, "huge.png");
    write_png_header(path, 30000, 30000);
    read_fails(path, NULL, CB_ETOOBIG);
    /* 16000 x 16000 passes FFmpeg's own size check but not ours */
    write_png_header(path, 16000, 16000);
    read_fails(path, NULL, CB_ETOOBIG);

    char photo[1024];
    cb_test_data_path("groups/bbt3.jpg", photo, sizeof photo);
    workdir_path(&w, path, sizeof path, "huge.jpg");
    write_jpeg_header(path, photo, 30000, 30000);
    read_fails(path, NULL, CB_ETOOBIG);

    /* Limits given by the caller. */
    cb_image_limits small = { 16, 1000 };
    read_fails(photo, &small, CB_ETOOBIG);
    cb_image_limits big_min = { 1000, 100000000LL };
    read_fails(photo, &big_min, CB_ETOOSMALL);

    /* Truncated JPEGs, cut at several points (FFmpeg itself returns a
     * partial picture for most of these). */
    size_t n;
    uint8_t *jpg = read_bytes(photo, &n);
    const size_t cuts[] = { 1, 2, 3, 10, 100, 600, 2000, n / 4, n / 2, n - 1000, n - 3, n - 2, n - 1 };
    workdir_path(&w, path, sizeof path, "cut.jpg");
    cuts_fail(path, "JPEG", jpg, n, cuts, sizeof cuts / sizeof cuts[0]);
    /* The whole file is fine. */
    write_bytes(path, jpg, n);
    AVFrame *f = read_ok(path, NULL);
    av_frame_free(&f);
    /* Garbage in the middle of the scan data. */
    for (size_t i = n / 3; i < n / 3 + 64; i++)
        jpg[i] ^= 0x5A;
    write_bytes(path, jpg, n);
    {
        cb_error err = { 0 };
        f = NULL;
        int rc = cb_image_read(path, NULL, &f, NULL, &err);
        /* either detected as corrupt or, at worst, decoded to a picture */
        assert_true(rc == CB_EDECODE || rc == 0);
        av_frame_free(&f);
    }
    free(jpg);

    /* Truncated PNG */
    uint8_t *png;
    cb_test_data_path("probes/32bit.png", photo, sizeof photo);
    png = read_bytes(photo, &n);
    const size_t pcuts[] = { 8, 40, n / 2, n - 12 };
    workdir_path(&w, path, sizeof path, "cut.png");
    cuts_fail(path, "PNG", png, n, pcuts, sizeof pcuts / sizeof pcuts[0]);
    free(png);

    /* Arguments */
    cb_error err = { 0 };
    assert_int_equal(cb_image_read(NULL, NULL, &f, NULL, &err), CB_EINVAL);
    assert_int_equal(cb_image_read(path, NULL, NULL, NULL, NULL), CB_EINVAL);

    cb_test_remove_tree(w.path);
}

static void test_write_no_overwrite(void **state)
{
    (void)state;
    workdir w;
    cb_test_make_temp_dir(w.path, sizeof w.path);
    char path[512];
    workdir_path(&w, path, sizeof path, "exists.jpg");
    write_bytes(path, "old", 3);
    AVFrame *f = synthetic_bgr(32, 32);
    cb_error err = { 0 };
    cb_image_write_opts o = { AV_CODEC_ID_MJPEG, 0, 0 };
    assert_int_equal(cb_image_write(path, f, &o, &err), CB_EEXIST);
    assert_int_equal(err.code, CB_EEXIST);
    assert_non_null(strstr(err.msg, path));
    size_t n;
    uint8_t *b = read_bytes(path, &n);
    assert_int_equal(n, 3);
    assert_memory_equal(b, "old", 3);
    free(b);
    assert_int_equal(count_hidden(w.path), 0);

    o.overwrite = 1;
    memset(&err, 0, sizeof err);
    assert_int_equal(cb_image_write(path, f, &o, &err), 0);
    AVFrame *back = read_ok(path, NULL);
    assert_int_equal(back->width, 32);
    av_frame_free(&back);
    assert_int_equal(count_hidden(w.path), 0);
    av_frame_free(&f);
    cb_test_remove_tree(w.path);
}

static void test_write_failures_leave_nothing(void **state)
{
    (void)state;
    workdir w;
    cb_test_make_temp_dir(w.path, sizeof w.path);
    char path[512];
    AVFrame *f = synthetic_bgr(32, 24);
    cb_error err = { 0 };
    cb_image_write_opts o = { AV_CODEC_ID_PNG, 0, 0 };

    /* folder does not exist */
    workdir_path(&w, path, sizeof path, "nope/out.png");
    assert_int_equal(cb_image_write(path, f, &o, &err), -ENOENT);
    assert_non_null(strstr(err.msg, path));

    /* a path that names a folder, whether or not the folder is there */
    char folder[600];
    snprintf(folder, sizeof folder, "%s/", w.path);
    memset(&err, 0, sizeof err);
    assert_int_equal(cb_image_write(folder, f, &o, &err), CB_EINVAL);
    assert_non_null(strstr(err.msg, "output path names a folder"));
    assert_non_null(strstr(err.msg, folder));
    workdir_path(&w, path, sizeof path, "not-there/");
    assert_int_equal(cb_image_write(path, f, &o, &err), CB_EINVAL);
    assert_int_not_equal(access(path, F_OK), 0);

    /* unsupported codec */
    workdir_path(&w, path, sizeof path, "out.gif");
    cb_image_write_opts bad = { AV_CODEC_ID_GIF, 0, 0 };
    memset(&err, 0, sizeof err);
    assert_int_equal(cb_image_write(path, f, &bad, &err), CB_EFORMAT);
    assert_int_not_equal(access(path, F_OK), 0);

    /* wrong pixel format */
    AVFrame *rgba = cb_test_new_frame(AV_PIX_FMT_RGBA, 8, 8);
    workdir_path(&w, path, sizeof path, "out.png");
    assert_int_equal(cb_image_write(path, rgba, &o, &err), CB_EINVAL);
    av_frame_free(&rgba);

    /* Failure after the temporary file was written: the target is a
     * non-empty folder, so the final rename fails. */
    workdir_path(&w, path, sizeof path, "dir.png");
    assert_int_equal(mkdir(path, 0755), 0);
    char inner[600];
    snprintf(inner, sizeof inner, "%s/keep", path);
    write_bytes(inner, "x", 1);
    cb_image_write_opts ow = { AV_CODEC_ID_PNG, 0, 1 };
    memset(&err, 0, sizeof err);
    int rc = cb_image_write(path, f, &ow, &err);
    assert_true(rc < 0 && rc > -1000); /* -EISDIR or -ENOTEMPTY */
    assert_non_null(strstr(err.msg, path));
    o.overwrite = 0; /* without overwrite an existing folder is "exists" */
    assert_int_equal(cb_image_write(path, f, &o, &err), CB_EEXIST);

    assert_int_equal(count_hidden(w.path), 0);
    /* nothing but the folder we made is there */
    DIR *d = opendir(w.path);
    assert_non_null(d);
    struct dirent *e;
    int entries = 0;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            entries++;
    closedir(d);
    assert_int_equal(entries, 1);

    /* success in the current folder (no slash in the path) */
    char cwd[512];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(w.path), 0);
    o.overwrite = 0;
    assert_int_equal(cb_image_write("plain.png", f, &o, &err), 0);
    assert_int_equal(chdir(cwd), 0);
    assert_int_equal(count_hidden(w.path), 0);

    av_frame_free(&f);
    cb_test_remove_tree(w.path);
}

static void test_codec_for_path(void **state)
{
    (void)state;
    assert_int_equal(cb_image_codec_for_path("a/b/photo.jpg"), AV_CODEC_ID_MJPEG);
    assert_int_equal(cb_image_codec_for_path("PHOTO.JPEG"), AV_CODEC_ID_MJPEG);
    assert_int_equal(cb_image_codec_for_path("x.Png"), AV_CODEC_ID_PNG);
    assert_int_equal(cb_image_codec_for_path("/tmp/x.webp"), AV_CODEC_ID_WEBP);
    assert_int_equal(cb_image_codec_for_path("x.gif"), AV_CODEC_ID_NONE);
    assert_int_equal(cb_image_codec_for_path("jpg"), AV_CODEC_ID_NONE);
    assert_int_equal(cb_image_codec_for_path(".jpg"), AV_CODEC_ID_NONE);
    assert_int_equal(cb_image_codec_for_path("dir.jpg/file"), AV_CODEC_ID_NONE);
    assert_int_equal(cb_image_codec_for_path(NULL), AV_CODEC_ID_NONE);
    assert_string_equal(cb_image_extension_for_codec(AV_CODEC_ID_MJPEG), "jpg");
    assert_string_equal(cb_image_extension_for_codec(AV_CODEC_ID_PNG), "png");
    assert_string_equal(cb_image_extension_for_codec(AV_CODEC_ID_WEBP), "webp");
    assert_null(cb_image_extension_for_codec(AV_CODEC_ID_H264));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_testdata_present),
        cmocka_unit_test(test_read_group_jpegs),
        cmocka_unit_test(test_read_png_alpha_real),
        cmocka_unit_test(test_read_png_pixel_formats),
        cmocka_unit_test(test_roundtrip_png),
        cmocka_unit_test(test_roundtrip_jpeg),
        cmocka_unit_test(test_roundtrip_webp),
        cmocka_unit_test(test_jpeg_quality_affects_size),
        cmocka_unit_test(test_exif_orientations),
        cmocka_unit_test(test_png_exif_orientation),
        cmocka_unit_test(test_metadata_stripped),
        cmocka_unit_test(test_bad_inputs),
        cmocka_unit_test(test_write_no_overwrite),
        cmocka_unit_test(test_write_failures_leave_nothing),
        cmocka_unit_test(test_codec_for_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_bad_inputs.c - the corpus of bad and awkward inputs, each with its
 * expected outcome (zstd's golden error files, in one table).
 *
 * Every row is a file, made at test time in a scratch folder from the shared
 * test photo probes/obama1.jpg (scaled to 640x360) with the ffmpeg CLI,
 * cb_mkjpeg (tests/bad_inputs/mkjpeg.c: grey and CMYK JPEGs) and a little
 * byte surgery here, or one of the regression inputs the fuzzers found
 * (committed in tests/bad_inputs/). Each goes through
 *
 *   - the real CLI: `consentblur redact FILE -o OUT --json [ARGS]`, which
 *     must exit with the expected status and never by a signal. An error
 *     gives exit 1, one line on stderr naming the file and the reason (the
 *     row's substring), "status": "error" with the reason in the JSON, and
 *     nothing at all in OUT (no output, no temporary file). "ok" gives exit
 *     0 and exactly the expected output file in OUT;
 *   - the library: cb_image_read or cb_video_in_open + cb_video_in_read to
 *     the end, which must return the row's code, with a message naming the
 *     file and saying the row's library reason, and no frame on failure.
 *
 * Where the input shows a face and the output must exist (CMYK, 16-bit,
 * grey, alpha, EXIF-rotated, a JPEG with data after its end, a GIF written
 * as JPEG, a video missing a cluster), the output is checked to have the
 * face redacted: the detector that made it (photos: the default; videos:
 * the fast one) finds the face in the input, finds no face there in the
 * output, and the pixels in the face box changed a lot.
 * (Under the sanitizers, a report from the consentblur the test runs shows
 * up as more than the one line expected on stderr.)
 *
 * A second, smaller table does the same for CSV imports (`consentblur
 * import FILE` and cb_import_csv): files that must be refused with a
 * problem that says why, nothing imported.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>

#include <cmocka.h>

#include <libavutil/crc.h>
#include <libavutil/frame.h>
#include <libavutil/log.h>

#include "common/cb_error.h"
#include "consent/import_csv.h"
#include "consent/registry.h"
#include "models/detector.h"
#include "pipeline/media_in.h"
#include "pipeline/video_in.h"
#include "test_support.h"

/* ---- the table ------------------------------------------------------------ */

typedef enum { LIB_IMAGE, LIB_VIDEO } lib_kind;

typedef struct bad_case {
    const char *file;       /* in the scratch folder; "@name": tests/bad_inputs/name */
    const char *args[3];    /* extra CLI arguments (NULL-terminated), e.g. --format jpg */
    int exit_code;          /* of `consentblur redact FILE -o OUT --json ARGS` */
    const char *expect;     /* "ok", or a substring of the CLI's one-line error */
    const char *output;     /* ok: the file expected in OUT */
    lib_kind lib;           /* which reader the library check uses */
    int lib_code;           /* its result: 0 or the negative code */
    const char *lib_expect; /* substring of the library's message (error cases) */
    int redacted;           /* ok: the input shows a face; check it is redacted in the output */
    int width, height;      /* ok photos: the upright size the output must have (0: any) */
} bad_case;

#define NO_ARGS {NULL, NULL, NULL}

static bad_case cases[] = {
    /* Damaged, cut or not a picture at all: exit 1, no output. */
    {"truncated.jpg", NO_ARGS, 1, "truncated or malformed JPEG", NULL, LIB_IMAGE, CB_EDECODE,
     "truncated or malformed JPEG", 0, 0, 0},
    {"bad_crc.png", NO_ARGS, 1, "chunk IDAT has a bad CRC", NULL, LIB_IMAGE, CB_EDECODE,
     "bad CRC", 0, 0, 0},
    {"no_iend.png", NO_ARGS, 1, "truncated or malformed PNG", NULL, LIB_IMAGE, CB_EDECODE,
     "truncated or malformed PNG", 0, 0, 0},
    {"no_moov.mp4", NO_ARGS, 1, "without its index (no moov box)", NULL, LIB_VIDEO, CB_EDECODE,
     "without its index (no moov box)", 0, 0, 0},
    {"cut_faststart.mp4", NO_ARGS, 1, "truncated file", NULL, LIB_VIDEO, CB_EDECODE,
     "truncated file", 0, 0, 0},
    /* A HEIF whose meta box names no primary image (libheif refuses it). */
    {"photo.heic", NO_ARGS, 1, "HEIF/AVIF image", NULL, LIB_IMAGE, CB_EDECODE, "HEIF/AVIF image",
     0, 0, 0},
    {"empty.jpg", NO_ARGS, 1, "empty file", NULL, LIB_IMAGE, CB_EDECODE, "empty file", 0, 0, 0},
    {"notes.jpg", NO_ARGS, 1, "not a recognised image", NULL, LIB_IMAGE, CB_EDECODE,
     "not a recognised image", 0, 0, 0},
    {"huge.png", NO_ARGS, 1, "image too large (30000x30000", NULL, LIB_IMAGE, CB_ETOOBIG,
     "image too large (30000x30000", 0, 0, 0},
    {"huge.jpg", NO_ARGS, 1, "image too large (30000x30000", NULL, LIB_IMAGE, CB_ETOOBIG,
     "image too large (30000x30000", 0, 0, 0},
    {"one_pixel.png", NO_ARGS, 1, "image too small (1x1", NULL, LIB_IMAGE, CB_ETOOSMALL,
     "image too small (1x1", 0, 0, 0},
    {"audio.m4a", NO_ARGS, 1, "audio only", NULL, LIB_VIDEO, CB_EDECODE, "no video stream", 0, 0,
     0},
    {"audio.mp4", NO_ARGS, 1, "audio only", NULL, LIB_VIDEO, CB_EDECODE, "no video stream", 0, 0,
     0},
    {"corrupt_cluster.mkv", NO_ARGS, 1, "corrupt video data", NULL, LIB_VIDEO, CB_EDECODE,
     "corrupt video data", 0, 0, 0},
    /* A GIF reads fine, but `redact` writes the input's format and has no
     * GIF writer: it says so (and --format jpg gets a JPEG, below). */
    {"face.gif", NO_ARGS, 1, "unsupported output codec gif", NULL, LIB_IMAGE, 0, NULL, 0, 0, 0},

    /* Unusual but valid: an output with the face redacted. */
    {"cmyk.jpg", NO_ARGS, 0, "ok", "cmyk.jpg", LIB_IMAGE, 0, NULL, 1, 640, 360},
    {"ycck.jpg", NO_ARGS, 0, "ok", "ycck.jpg", LIB_IMAGE, 0, NULL, 1, 640, 360},
    {"rgb48.png", NO_ARGS, 0, "ok", "rgb48.png", LIB_IMAGE, 0, NULL, 1, 640, 360},
    {"gray.jpg", NO_ARGS, 0, "ok", "gray.jpg", LIB_IMAGE, 0, NULL, 1, 640, 360},
    {"alpha.png", NO_ARGS, 0, "ok", "alpha.png", LIB_IMAGE, 0, NULL, 1, 640, 360},
    {"exif6.jpg", NO_ARGS, 0, "ok", "exif6.jpg", LIB_IMAGE, 0, NULL, 1, 640, 360},
    {"trailing.jpg", NO_ARGS, 0, "ok", "trailing.jpg", LIB_IMAGE, 0, NULL, 1, 640, 360},
    {"face.gif", {"--format", "jpg", NULL}, 0, "ok", "face.jpg", LIB_IMAGE, 0, NULL, 1, 640, 360},
    /* A Matroska cluster whose header is destroyed: the demuxer skips it
     * without an error, so its frames are missing from the output (see
     * video_in.h); every frame that is there is redacted. */
    {"lost_cluster.mkv", NO_ARGS, 0, "ok", "lost_cluster.mp4", LIB_VIDEO, 0, NULL, 1, 0, 0},

    /* Regression inputs found by the fuzzers (tests/bad_inputs/). */
    {"@fuzz-image-webp-6192x92.webp", NO_ARGS, 0, "ok", "fuzz-image-webp-6192x92.webp",
     LIB_IMAGE, 0, NULL, 0, 0, 0},
    /* A HEIC whose crop (clap) makes the picture smaller than stored: read
     * as cropped, written as JPEG. */
    {"@fuzz-image-heif-clap-crop.heic", NO_ARGS, 0, "ok", "fuzz-image-heif-clap-crop.jpg",
     LIB_IMAGE, 0, NULL, 0, 64, 64},
    /* An AVIF whose image item has no data: refused, on one line (libdav1d,
     * libheif's first choice for AV1, wrote to stderr and leaked on it:
     * heif_in.c asks for libaom). */
    {"@fuzz-image-avif-empty-item.avif", NO_ARGS, 1, "cannot read the HEIF/AVIF image", NULL,
     LIB_IMAGE, CB_EDECODE, "cannot read the HEIF/AVIF image", 0, 0, 0},
};

#define N_CASES (sizeof cases / sizeof cases[0])

/* ---- the scratch folder ----------------------------------------------------- */

static char scratch[512];
/* The detectors the outputs were made with: photos the default, videos the
 * fast one (UltraFace alone, cb_job_opts.video_det). A video frame is checked
 * with the video's: the photos' detector also finds things no face is (the
 * letters "SE" of a sign in probes/obama1.jpg, in one compressed frame),
 * which the video was never asked to blur. */
static cb_detector *detector, *video_detector;

static void path_in(const char *dir, const char *name, char *out, size_t size)
{
    int n = snprintf(out, size, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= size)
        fail_msg("path %s/%s too long", dir, name);
}

static void input_path(const bad_case *c, char *out, size_t size)
{
    if (c->file[0] == '@')
        path_in(CB_SOURCE_DIR "/tests/bad_inputs", c->file + 1, out, size);
    else
        path_in(scratch, c->file, out, size);
}

/* Run `sh -c 'cd SCRATCH && CMD'`; fails the test with its stderr. */
static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
    char cmd[4096], full[4800], err[4096];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof cmd)
        fail_msg("command too long");
    snprintf(full, sizeof full, "cd '%s' && %s", scratch, cmd);
    char *const argv[] = {"sh", "-c", full, NULL};
    if (cb_test_run(argv, NULL, 0, err, sizeof err) != 0)
        fail_msg("`%s` failed: %s", cmd, err);
}

static uint8_t *read_all(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("%s: %s", path, strerror(errno));
    struct stat st;
    assert_int_equal(fstat(fileno(f), &st), 0);
    *n = (size_t)st.st_size;
    uint8_t *b = malloc(*n + 1);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, *n, f), *n);
    fclose(f);
    return b;
}

static void write_all(const char *name, const void *data, size_t n)
{
    char path[1024];
    path_in(scratch, name, path, sizeof path);
    FILE *f = fopen(path, "wb");
    if (!f)
        fail_msg("%s: %s", path, strerror(errno));
    assert_int_equal(fwrite(data, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

static uint8_t *read_scratch(const char *name, size_t *n)
{
    char path[1024];
    path_in(scratch, name, path, sizeof path);
    return read_all(path, n);
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Deterministic "random" bytes. */
static uint8_t next_byte(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return (uint8_t)((*s * 0x2545F4914F6CDD1DULL) >> 56);
}

/* A PNG of signature, IHDR claiming w x h (8-bit RGB), a token IDAT and
 * IEND, every CRC right. */
static void write_png_claiming(const char *name, uint32_t w, uint32_t h)
{
    const AVCRC *tab = av_crc_get_table(AV_CRC_32_IEEE_LE);
    uint8_t buf[128];
    size_t n = 8;
    memcpy(buf, "\x89PNG\r\n\x1a\n", 8);
    const uint8_t ihdr[17] = {'I', 'H', 'D', 'R', (uint8_t)(w >> 24), (uint8_t)(w >> 16),
                              (uint8_t)(w >> 8), (uint8_t)w, (uint8_t)(h >> 24),
                              (uint8_t)(h >> 16), (uint8_t)(h >> 8), (uint8_t)h, 8, 2, 0, 0, 0};
    static const uint8_t idat[] = {'I', 'D', 'A', 'T', 0x78, 0x01, 0x01, 0x04, 0x00, 0xFB,
                                   0xFF, 0x00, 0xFF, 0x00, 0x00, 0x03, 0x01, 0x01, 0x00};
    const struct { const uint8_t *d; size_t len; } chunks[3] = {
        {ihdr, sizeof ihdr}, {idat, sizeof idat}, {(const uint8_t *)"IEND", 4}};
    for (int i = 0; i < 3; i++) {
        uint32_t len = (uint32_t)chunks[i].len - 4;
        for (int k = 3; k >= 0; k--)
            buf[n++] = (uint8_t)(len >> (8 * k));
        memcpy(buf + n, chunks[i].d, chunks[i].len);
        n += chunks[i].len;
        uint32_t crc = av_crc(tab, 0xFFFFFFFFu, chunks[i].d, chunks[i].len) ^ 0xFFFFFFFFu;
        for (int k = 3; k >= 0; k--)
            buf[n++] = (uint8_t)(crc >> (8 * k));
    }
    write_all(name, buf, n);
}

/* Offsets of the Matroska Cluster element IDs (1F 43 B6 75) in b. */
static int find_clusters(const uint8_t *b, size_t n, size_t *at, int max)
{
    int k = 0;
    for (size_t i = 0; i + 4 <= n && k < max; i++)
        if (b[i] == 0x1F && b[i + 1] == 0x43 && b[i + 2] == 0xB6 && b[i + 3] == 0x75)
            at[k++] = i;
    return k;
}

/* Make every input of the table in the scratch folder. */
static void make_inputs(void)
{
    char photo[1024];
    cb_test_data_path("probes/obama1.jpg", photo, sizeof photo);
    if (strchr(photo, '\'') || strchr(scratch, '\''))
        fail_msg("a path contains a quote");
    const char *ff = "ffmpeg -hide_banner -loglevel error -nostdin -y";
    const char *mkjpeg = CB_BINARY_DIR "/tests/cb_mkjpeg";

    /* The face photo at 640x360 in the usual formats, and as raw RGB. */
    sh("%s -i '%s' -vf scale=640:-2 -q:v 3 face.jpg", ff, photo);
    sh("%s -i '%s' -vf scale=640:-2 face.png", ff, photo);
    sh("%s -i '%s' -vf scale=640:-2 -pix_fmt rgb24 -f rawvideo face.rgb", ff, photo);
    sh("%s -i '%s' -vf scale=640:-2,transpose=cclock -pix_fmt rgb24 -f rawvideo face_ccw.rgb",
       ff, photo);

    /* Valid but unusual. */
    sh("'%s' cmyk 640 360 face.rgb cmyk.jpg", mkjpeg);
    sh("'%s' ycck 640 360 face.rgb ycck.jpg", mkjpeg);
    sh("'%s' gray 640 360 face.rgb gray.jpg", mkjpeg);
    /* Stored turned a quarter to the left; EXIF orientation 6 puts it upright. */
    sh("'%s' rgb 360 640 face_ccw.rgb exif6.jpg 6", mkjpeg);
    sh("%s -i face.png -pix_fmt rgb48be rgb48.png", ff);
    sh("%s -i face.png -vf format=rgba,colorchannelmixer=aa=0.8 alpha.png", ff);
    sh("%s -i face.png -vf 'split[a][b];[a]palettegen[p];[b][p]paletteuse' face.gif", ff);

    size_t n;
    uint8_t *b = read_scratch("face.jpg", &n);
    /* Data after the end of the image, including what looks like the start
     * of another JPEG. */
    {
        static const char tail[] = "GARBAGE after the end of the image\n";
        size_t extra = sizeof tail - 1 + 4096 + 4;
        uint8_t *t = malloc(n + extra);
        assert_non_null(t);
        memcpy(t, b, n);
        memcpy(t + n, tail, sizeof tail - 1);
        uint64_t s = 0x1234567;
        for (size_t i = 0; i < 4096; i++)
            t[n + sizeof tail - 1 + i] = next_byte(&s);
        memcpy(t + n + extra - 4, "\xFF\xD8\xFF\xE0", 4);
        write_all("trailing.jpg", t, n + extra);
        free(t);
    }
    /* Cut in the middle of the scan data. */
    write_all("truncated.jpg", b, n / 2);
    /* The same JPEG claiming 30000x30000 in its SOF0. */
    {
        int patched = 0;
        for (size_t i = 2; i + 9 < n && !patched; i++) {
            if (b[i] == 0xFF && b[i + 1] == 0xC0) {
                b[i + 5] = 30000 >> 8;
                b[i + 6] = 30000 & 0xFF;
                b[i + 7] = 30000 >> 8;
                b[i + 8] = 30000 & 0xFF;
                patched = 1;
            }
        }
        assert_true(patched);
        write_all("huge.jpg", b, n);
    }
    free(b);

    /* A PNG with a bad CRC in its (first) IDAT chunk, and one without IEND. */
    b = read_scratch("face.png", &n);
    {
        size_t i = 8, idat = 0, iend = 0;
        while (i + 12 <= n) {
            uint32_t len = be32(b + i);
            if (!idat && memcmp(b + i + 4, "IDAT", 4) == 0)
                idat = i;
            if (memcmp(b + i + 4, "IEND", 4) == 0)
                iend = i;
            i += 12 + (size_t)len;
        }
        assert_true(idat > 0 && iend > 0);
        write_all("no_iend.png", b, iend);
        b[idat + 8 + be32(b + idat)] ^= 0x5A;
        write_all("bad_crc.png", b, n);
    }
    free(b);
    write_png_claiming("huge.png", 30000, 30000);
    sh("%s -f lavfi -i color=c=red:size=2x2 -frames:v 1 -vf scale=1:1 one_pixel.png", ff);
    write_all("empty.jpg", "", 0);
    /* The start of a HEIF photo: ftyp (major brand heic), a meta box with a
     * 'pict' handler, some media data. */
    {
        static const uint8_t heic[] = {
            0, 0, 0, 24, 'f', 't', 'y', 'p', 'h', 'e', 'i', 'c', 0, 0, 0, 0, 'm', 'i', 'f', '1',
            'h', 'e', 'i', 'c', 0, 0, 0, 45, 'm', 'e', 't', 'a', 0, 0, 0, 0, 0, 0, 0, 33, 'h',
            'd', 'l', 'r', 0, 0, 0, 0, 0, 0, 0, 0, 'p', 'i', 'c', 't', 0, 0, 0, 0, 0, 0, 0, 0, 0,
            0, 0, 0, 0, 0, 0, 0, 24, 'm', 'd', 'a', 't', 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
            13, 14, 15, 16};
        write_all("photo.heic", heic, sizeof heic);
    }
    static const char notes[] = "This is not a photo.\nJust some notes someone named .jpg\n";
    write_all("notes.jpg", notes, sizeof notes - 1);

    /* Audio only, as .m4a and as .mp4. */
    sh("%s -f lavfi -i sine=duration=1 -c:a aac audio.m4a && cp audio.m4a audio.mp4", ff);

    /* MP4 with the moov (index) at the end, cut before it; MP4 with the moov
     * first (faststart), cut in the media data. */
    sh("%s -loop 1 -framerate 25 -i face.jpg -f lavfi -i sine=duration=1 -t 1 -c:v libx264 "
       "-preset ultrafast -pix_fmt yuv420p -c:a aac video.mp4",
       ff);
    sh("%s -i video.mp4 -c copy -movflags +faststart faststart.mp4", ff);
    b = read_scratch("video.mp4", &n);
    {
        size_t i = 0, moov = 0;
        while (i + 8 <= n) {
            if (memcmp(b + i + 4, "moov", 4) == 0)
                moov = i;
            uint32_t len = be32(b + i);
            if (len < 8)
                break;
            i += len;
        }
        assert_true(moov > 0);
        write_all("no_moov.mp4", b, moov);
    }
    free(b);
    b = read_scratch("faststart.mp4", &n);
    write_all("cut_faststart.mp4", b, n * 6 / 10);
    free(b);

    /* Matroska with several clusters (2 s, a cluster every 0.4 s): garbage
     * in the middle of the third cluster's frame data, and the third
     * cluster's header zeroed. */
    sh("%s -loop 1 -framerate 25 -i face.jpg -f lavfi -i sine=duration=2 -t 2 -c:v libx264 "
       "-preset ultrafast -g 10 -pix_fmt yuv420p -c:a libopus -cluster_time_limit 400 "
       "-cluster_size_limit 100000 clusters.mkv",
       ff);
    b = read_scratch("clusters.mkv", &n);
    {
        size_t at[16];
        int k = find_clusters(b, n, at, 16);
        if (k < 4)
            fail_msg("clusters.mkv has %d clusters, expected at least 4", k);
        uint8_t *c = malloc(n);
        assert_non_null(c);
        memcpy(c, b, n);
        uint64_t s = 7;
        size_t mid = at[2] + (at[3] - at[2]) / 2;
        for (size_t i = mid; i < mid + 300; i++)
            c[i] = next_byte(&s);
        write_all("corrupt_cluster.mkv", c, n);
        memcpy(c, b, n);
        memset(c + at[2], 0, 16);
        write_all("lost_cluster.mkv", c, n);
        free(c);
    }
    free(b);
}

static int group_setup(void **state)
{
    (void)state;
    cb_test_make_temp_dir(scratch, sizeof scratch);
    make_inputs();
    detector = cb_test_open_detector(NULL);
    cb_detector_opts fast;
    cb_detector_opts_fast(&fast);
    video_detector = cb_test_open_detector(&fast);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    cb_detector_close(detector);
    cb_detector_close(video_detector);
    detector = video_detector = NULL;
    if (scratch[0])
        cb_test_remove_tree(scratch);
    return 0;
}

/* ---- checks ----------------------------------------------------------------- */

/* Names in dir (hidden ones included), comma-separated, into out; returns
 * how many. */
static int list_dir(const char *dir, char *out, size_t size)
{
    int count = 0;
    out[0] = '\0';
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        size_t used = strlen(out);
        snprintf(out + used, size - used, "%s%s", count ? "," : "", e->d_name);
        count++;
    }
    closedir(d);
    return count;
}

/* Mean absolute difference of two BGR24 frames of the same size over the
 * middle half of box f (the eyes, nose and mouth). */
static double face_change(const AVFrame *a, const AVFrame *b, const cb_face *f)
{
    int x0 = (int)(f->x + f->w * 0.25f), x1 = (int)(f->x + f->w * 0.75f);
    int y0 = (int)(f->y + f->h * 0.25f), y1 = (int)(f->y + f->h * 0.75f);
    x0 = x0 < 0 ? 0 : x0;
    y0 = y0 < 0 ? 0 : y0;
    x1 = x1 > a->width ? a->width : x1;
    y1 = y1 > a->height ? a->height : y1;
    double sum = 0;
    long n = 0;
    for (int y = y0; y < y1; y++) {
        const uint8_t *p = a->data[0] + (ptrdiff_t)y * a->linesize[0];
        const uint8_t *q = b->data[0] + (ptrdiff_t)y * b->linesize[0];
        for (int x = 3 * x0; x < 3 * x1; x++, n++)
            sum += abs((int)p[x] - (int)q[x]);
    }
    return n ? sum / (double)n : 0.0;
}

/* Every face det finds in `in` must be gone from `out` (no face detected
 * over it) and its pixels must have changed. Returns the number of
 * faces found in `in`. */
static int check_redacted(cb_detector *det, const char *what, const AVFrame *in,
                          const AVFrame *out)
{
    if (in->width != out->width || in->height != out->height)
        fail_msg("%s: output is %dx%d, input %dx%d", what, out->width, out->height, in->width,
                 in->height);
    cb_face_list fin = {0}, fout = {0};
    cb_error err = {0};
    if (cb_detector_detect(det, in, &fin, &err) != 0 ||
        cb_detector_detect(det, out, &fout, &err) != 0)
        fail_msg("%s: detection failed: %s", what, err.msg);
    for (int i = 0; i < fin.count; i++) {
        const cb_face *f = &fin.faces[i];
        for (int j = 0; j < fout.count; j++)
            if (cb_face_iou(f, &fout.faces[j]) > 0.3f)
                fail_msg("%s: the face at %.0f,%.0f (%.0fx%.0f) is still found in the output "
                         "(score %.2f)",
                         what, f->x, f->y, f->w, f->h, fout.faces[j].score);
        double change = face_change(in, out, f);
        if (change < 15.0)
            fail_msg("%s: the face at %.0f,%.0f (%.0fx%.0f) changed by only %.1f on average",
                     what, f->x, f->y, f->w, f->h, change);
    }
    int found = fin.count;
    cb_face_list_free(&fin);
    cb_face_list_free(&fout);
    return found;
}

static void check_photo_redacted(const bad_case *c, const char *in_path, const char *out_path)
{
    AVFrame *in = cb_test_read_image(in_path);
    AVFrame *out = cb_test_read_image(out_path);
    if (c->width && (in->width != c->width || in->height != c->height))
        fail_msg("%s: read as %dx%d, expected %dx%d upright", c->file, in->width, in->height,
                 c->width, c->height);
    if (check_redacted(detector, c->file, in, out) == 0)
        fail_msg("%s: no face found in the input: the check proves nothing", c->file);
    av_frame_free(&in);
    av_frame_free(&out);
}

/* Frames 0, 10, 20, ... of input and output side by side. */
static void check_video_redacted(const bad_case *c, const char *in_path, const char *out_path)
{
    cb_video_in *vi = NULL, *vo = NULL;
    cb_video_info ii, io;
    cb_error err = {0};
    if (cb_video_in_open(in_path, 0, &vi, &ii, &err) != 0 ||
        cb_video_in_open(out_path, 0, &vo, &io, &err) != 0)
        fail_msg("%s: %s", c->file, err.msg);
    int frames = 0, checked = 0, faces = 0;
    for (;;) {
        AVFrame *a = NULL, *b = NULL;
        int ra = cb_video_in_read(vi, &a, &err);
        assert_true(ra >= 0);
        int rb = cb_video_in_read(vo, &b, &err);
        assert_true(rb >= 0);
        if (ra != rb)
            fail_msg("%s: input has %s frames than the output (after %d)", c->file,
                     ra ? "fewer" : "more", frames);
        if (ra == 1)
            break;
        if (frames % 10 == 0) {
            char what[300];
            snprintf(what, sizeof what, "%s frame %d", c->file, frames);
            faces += check_redacted(video_detector, what, a, b);
            checked++;
        }
        frames++;
        av_frame_free(&a);
        av_frame_free(&b);
    }
    cb_video_in_close(vi);
    cb_video_in_close(vo);
    if (faces < checked)
        fail_msg("%s: faces found in only %d of %d frames checked", c->file, faces, checked);
}

/* The library's verdict on the file. Returns the code; msg gets the message. */
static int library_result(const bad_case *c, const char *path, char *msg, size_t size)
{
    cb_error err = {0};
    int rc;
    if (c->lib == LIB_IMAGE) {
        AVFrame *f = NULL;
        rc = cb_image_read(path, NULL, &f, NULL, &err);
        if (rc != 0)
            assert_null(f);
        av_frame_free(&f);
    } else {
        cb_video_in *v = NULL;
        rc = cb_video_in_open(path, 0, &v, NULL, &err);
        if (rc != 0)
            assert_null(v);
        while (rc == 0) {
            AVFrame *f = NULL;
            rc = cb_video_in_read(v, &f, &err);
            if (rc != 0)
                assert_null(f);
            av_frame_free(&f);
        }
        if (rc == 1)
            rc = 0;
        cb_video_in_close(v);
    }
    snprintf(msg, size, "%s", err.msg);
    return rc;
}

static void run_case(void **state)
{
    const bad_case *c = *state;
    char in[1024], out_dir[1024], out_path[1200], listing[2048];
    input_path(c, in, sizeof in);
    cb_test_make_temp_dir(out_dir, sizeof out_dir);

    /* The library. */
    char msg[CB_ERROR_MSG_SIZE];
    int rc = library_result(c, in, msg, sizeof msg);
    if (rc != c->lib_code)
        fail_msg("%s: library: got %d (%s), expected %d", c->file, rc, msg, c->lib_code);
    if (rc != 0 && (!strstr(msg, in) || (c->lib_expect && !strstr(msg, c->lib_expect))))
        fail_msg("%s: library message '%s' should name the file and say '%s'", c->file, msg,
                 c->lib_expect ? c->lib_expect : "");

    /* The CLI. */
    static char out_buf[65536], err_buf[8192];
    int status = cb_test_run_cli(NULL, out_buf, sizeof out_buf, err_buf, sizeof err_buf, "redact",
                                 in, "-o", out_dir, "--json", c->args[0], c->args[1], c->args[2],
                                 NULL);
    if (status < 0)
        fail_msg("%s: consentblur did not exit normally (signal); stderr: %s", c->file, err_buf);
    if (status != c->exit_code)
        fail_msg("%s: exit %d, expected %d; stderr: %s", c->file, status, c->exit_code, err_buf);
    int entries = list_dir(out_dir, listing, sizeof listing);
    if (strcmp(c->expect, "ok") != 0) {
        /* One line on stderr, naming the file and the reason; the same
         * reason in the JSON; nothing at all in the output folder. */
        size_t len = strlen(err_buf);
        if (len == 0 || err_buf[len - 1] != '\n' || strchr(err_buf, '\n') != err_buf + len - 1)
            fail_msg("%s: expected one line on stderr, got '%s'", c->file, err_buf);
        if (!strstr(err_buf, in) || !strstr(err_buf, c->expect))
            fail_msg("%s: stderr '%s' should name the file and say '%s'", c->file, err_buf,
                     c->expect);
        if (!strstr(out_buf, "\"status\": \"error\"") || !strstr(out_buf, c->expect))
            fail_msg("%s: JSON should report the error '%s': %s", c->file, c->expect, out_buf);
        if (entries != 0)
            fail_msg("%s: failed, but left '%s' in the output folder", c->file, listing);
    } else {
        if (!strstr(out_buf, "\"status\": \"ok\""))
            fail_msg("%s: JSON does not say ok: %s", c->file, out_buf);
        if (entries != 1 || strcmp(listing, c->output) != 0)
            fail_msg("%s: output folder holds '%s', expected '%s'", c->file, listing, c->output);
        path_in(out_dir, c->output, out_path, sizeof out_path);
        if (c->redacted && c->lib == LIB_IMAGE)
            check_photo_redacted(c, in, out_path);
        else if (c->redacted)
            check_video_redacted(c, in, out_path);
    }
    cb_test_remove_tree(out_dir);
}

/* ---- CSV imports ------------------------------------------------------------ */

typedef struct csv_case {
    const char *name;
    const char *data;   /* the file's bytes... */
    size_t len;         /* ...and how many (they may hold NULs) */
    int lib_code;       /* cb_import_csv's result */
    const char *expect; /* substring of the first problem and of the CLI's stderr */
} csv_case;

#define CSV(name, bytes, code, expect) {name, bytes, sizeof bytes - 1, code, expect}

static const csv_case csv_cases[] = {
    /* Excel's "Unicode Text": UTF-16LE with a byte order mark. */
    CSV("utf16.csv",
        "\xFF\xFE"
        "e\0x\0t\0e\0r\0n\0a\0l\0_\0i\0d\0,\0n\0a\0m\0e\0,\0r\0o\0l\0e\0\n\0"
        "S\0" "1\0,\0A\0d\0a\0,\0s\0t\0a\0f\0f\0\n\0",
        CB_EINVAL, "UTF-16"),
    /* A NUL inside a value: "yes<NUL>no" must not be read as yes. */
    CSV("nul.csv", "external_id,name,role,social\nS1,Ada,staff,yes\0no\n", CB_EINVAL,
        "NUL byte"),
    CSV("unclosed.csv", "external_id,name,role\nS1,\"Ada,staff\n", CB_EINVAL,
        "quoted field is not closed"),
};

#define N_CSV_CASES (sizeof csv_cases / sizeof csv_cases[0])

static void test_csv_inputs(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_CSV_CASES; i++) {
        const csv_case *c = &csv_cases[i];
        char path[1024], reg_path[1024];
        path_in(scratch, c->name, path, sizeof path);
        write_all(c->name, c->data, c->len);
        snprintf(reg_path, sizeof reg_path, "%s/%s.db", scratch, c->name);

        cb_registry *r = NULL;
        cb_error err = {0};
        if (cb_registry_open(reg_path, CB_REGISTRY_CREATE, &r, &err) != 0)
            fail_msg("%s: registry: %s", c->name, err.msg);
        cb_import_opts opts = {.dry_run = 0, .today = "2024-06-01"};
        cb_import_report rep;
        int rc = cb_import_csv(r, path, &opts, "test", &rep, &err);
        if (rc != c->lib_code || rep.n_kept < 1 || !strstr(rep.errors[0], c->expect))
            fail_msg("%s: got %d, first problem '%s'; expected %d and '%s'", c->name, rc,
                     rep.n_kept ? rep.errors[0] : "", c->lib_code, c->expect);
        cb_import_report_free(&rep);
        cb_registry_close(r);

        char out_buf[4096], err_buf[4096];
        int status = cb_test_run_cli(reg_path, out_buf, sizeof out_buf, err_buf, sizeof err_buf,
                                     "import", path, NULL);
        if (status != 1 || !strstr(err_buf, path) || !strstr(err_buf, c->expect))
            fail_msg("%s: `import` exit %d, stderr '%s'; expected 1 and '%s'", c->name, status,
                     err_buf, c->expect);
    }
}

int main(void)
{
    av_log_set_level(AV_LOG_QUIET); /* the library's messages are what is checked */
    struct CMUnitTest tests[N_CASES + 1];
    static char names[N_CASES][128];
    for (size_t i = 0; i < N_CASES; i++) {
        const char *a0 = cases[i].args[0], *a1 = a0 ? cases[i].args[1] : NULL;
        snprintf(names[i], sizeof names[i], "%s%s%s%s%s", cases[i].file, a0 ? " " : "",
                 a0 ? a0 : "", a1 ? " " : "", a1 ? a1 : "");
        tests[i] = (struct CMUnitTest){.name = names[i], .test_func = run_case,
                                       .initial_state = &cases[i]};
    }
    tests[N_CASES] = (struct CMUnitTest){.name = "csv imports", .test_func = test_csv_inputs};
    return _cmocka_run_group_tests("test_bad_inputs", tests, N_CASES + 1, group_setup,
                                   group_teardown);
}

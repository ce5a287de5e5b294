/* redact.c - irreversible face obfuscation; see redact.h. */
#include "redact.h"

#include <errno.h>
#include <limits.h>
#include <libavutil/pixfmt.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "../models/cv_bridge.h"

/* Region = face box widened by these factors around its centre. */
#define CB_REGION_SCALE_X 1.7f
#define CB_REGION_SCALE_Y 2.0f
/* Centre moved up by this fraction of the face height. */
#define CB_REGION_SHIFT_UP 0.08f
/* Blocks across the face for pixelation. 3, not 4: redacting bbt1/3/4/5 and
 * obama_and_biden ten times each, the detector's best score on a redacted
 * face (threshold lowered to 0.2) was at most 0.545 with 3 blocks against
 * 0.56 with 4, and on bbt4.jpg 0.35 against 0.52 (4 blocks let it be found
 * again, rarely, at the default threshold). */
#define CB_BLOCKS_ACROSS 3.0f
/* Noise amplitude (+/-) in 8-bit units. */
#define CB_NOISE_AMPLITUDE 28
/* Noise cells across the face (one value per cell; at least a pixel): a
 * pixel of the 64-pixel working size (obfuscate_at). Coarser cells cost an
 * encoder less but look like blocks of a face to a detector: with 16 cells
 * the redacted faces of tests/test_redact.c were found again (score up to
 * 0.97) in 3 of 20 runs, with 32 in 8 of 20, with 64 in none of 60. */
#define CB_NOISE_CELLS_ACROSS 64.0f
/* Points of a region's edge tested to tell that another region holds it:
 * between two of them the edge strays at most r (1 - cos(pi / 256)), under
 * a pixel for any region under 13,000 pixels across. */
#define CB_INSIDE_POINTS 256
/* cb_redact_steady_box: box edges on a grid of 1/CB_STEADY_STEPS of the face. */
#define CB_STEADY_STEPS 12.0f
/* A face is obfuscated at a scale where it is at most about this many
 * pixels across (see obfuscate_at). */
#define CB_WORK_SIZE 64.0f

int cb_redact_style_parse(const char *name, cb_redact_style *out)
{
    if (!strcasecmp(name, "default") || !strcasecmp(name, "mosaic"))
        *out = CB_REDACT_DEFAULT;
    else if (!strcasecmp(name, "blur"))
        *out = CB_REDACT_BLUR;
    else if (!strcasecmp(name, "pixelate"))
        *out = CB_REDACT_PIXELATE;
    else if (!strcasecmp(name, "fill"))
        *out = CB_REDACT_FILL;
    else
        return CB_EINVAL;
    return 0;
}

const char *cb_redact_style_name(cb_redact_style style)
{
    switch (style) {
    case CB_REDACT_BLUR: return "blur";
    case CB_REDACT_PIXELATE: return "pixelate";
    case CB_REDACT_FILL: return "fill";
    default: return "default";
    }
}

void cb_redact_region(const cb_face *face, int w, int h, cb_redact_ellipse *out)
{
    out->cx = face->x + face->w / 2;
    /* Shifted up a little: the hair line and forehead identify too. */
    out->cy = face->y + face->h * (0.5f - CB_REGION_SHIFT_UP);
    out->rx = face->w * CB_REGION_SCALE_X / 2;
    out->ry = face->h * CB_REGION_SCALE_Y / 2;
    /* Never thinner than a third of the other axis: a profile is still a head. */
    if (out->rx < out->ry * 0.66f)
        out->rx = out->ry * 0.66f;
    float x0 = floorf(out->cx - out->rx), y0 = floorf(out->cy - out->ry);
    float x1 = ceilf(out->cx + out->rx) + 1, y1 = ceilf(out->cy + out->ry) + 1;
    out->x0 = x0 < 0 ? 0 : x0 > w ? w : (int)x0;
    out->y0 = y0 < 0 ? 0 : y0 > h ? h : (int)y0;
    out->x1 = x1 < 0 ? 0 : x1 > w ? w : (int)x1;
    out->y1 = y1 < 0 ? 0 : y1 > h ? h : (int)y1;
}

/* Whether the point (px, py), in picture pixels, lies inside the region. */
static int contains_point(const cb_redact_ellipse *e, float px, float py)
{
    if (e->rx <= 0 || e->ry <= 0)
        return 0;
    float dx = (px - e->cx) / e->rx;
    float dy = (py - e->cy) / e->ry;
    return dx * dx + dy * dy <= 1.0f;
}

int cb_redact_contains(const cb_redact_ellipse *e, int x, int y)
{
    return contains_point(e, (float)x + 0.5f, (float)y + 0.5f);
}

/* One plane of a frame to redact in: `channels` interleaved bytes per pixel
 * (3 for BGR24, 1 for each plane of YUV 4:2:0), at 1 / 2^shift of the
 * picture's size in each direction (the chroma planes of 4:2:0: shift 1). */
typedef struct plane {
    uint8_t *data;
    int linesize, w, h, channels, shift;
} plane;

/* The sums of each channel over rows y0..y1 - 1, columns x0..x1 - 1. */
static void block_sums(const uint8_t *buf, int stride, int channels, int x0, int x1, int y0,
                       int y1, unsigned long sum[3])
{
    sum[0] = sum[1] = sum[2] = 0;
    for (int y = y0; y < y1; y++) {
        const uint8_t *p = buf + (size_t)y * stride + (size_t)x0 * channels;
        if (channels == 1)
            for (int x = 0; x < x1 - x0; x++)
                sum[0] += p[x];
        else
            for (int x = 0; x < x1 - x0; x++, p += 3) {
                sum[0] += p[0];
                sum[1] += p[1];
                sum[2] += p[2];
            }
    }
}

/* Replace each block x block cell of the w x h buffer (channels 1 or 3) with its mean. */
static void pixelate(uint8_t *buf, int w, int h, int stride, int channels, int block)
{
    for (int by = 0; by < h; by += block) {
        for (int bx = 0; bx < w; bx += block) {
            int ex = bx + block < w ? bx + block : w, ey = by + block < h ? by + block : h;
            unsigned long sum[3], n = (unsigned long)(ex - bx) * (unsigned long)(ey - by);
            block_sums(buf, stride, channels, bx, ex, by, ey, sum);
            uint8_t mean[3];
            for (int c = 0; c < 3; c++)
                mean[c] = (uint8_t)((sum[c] + n / 2) / n);
            uint8_t *first = buf + (size_t)by * stride + (size_t)bx * channels;
            for (int x = 0; x < ex - bx; x++)
                memcpy(first + (size_t)x * channels, mean, (size_t)channels);
            for (int y = by + 1; y < ey; y++)
                memcpy(buf + (size_t)y * stride + (size_t)bx * channels, first,
                       (size_t)(ex - bx) * channels);
        }
    }
}

/* Eight bytes of noise for group g of row y of the pattern of key
 * (splitmix64 of the three: any part of the pattern without the rest). */
static uint64_t noise_bits(uint64_t key, int64_t y, int64_t g)
{
    uint64_t z = key ^ (0x9E3779B97F4A7C15ULL * (uint64_t)y) ^
                 (0xD1B54A32D192ED03ULL * (uint64_t)g);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* v / d rounded down, also for negative v (d > 0). */
static int64_t floor_div(int64_t v, int64_t d)
{
    return v >= 0 ? v / d : -((-v + d - 1) / d);
}

/* One byte of noise added to *p: byte b of a draw maps to b * span / 256. */
static void add_noise_byte(uint8_t *p, unsigned b)
{
    const unsigned span = 2 * CB_NOISE_AMPLITUDE + 1;
    const int v = *p + (int)((b * span) >> 8) - CB_NOISE_AMPLITUDE;
    *p = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

/*
 * Add noise to every pixel of the buffer (w x h, `channels` bytes each): the
 * pattern of `key`, in square cells of `grain` pixels with one value per
 * cell, the same in every channel (grey grain: noise of its own in each
 * channel makes cells of loud colours), from the buffer's corner at pattern pixel (col0, row0)
 * on - so that a region drawn with the same key one pixel further on gets
 * the same noise one pixel further on.
 */
static void add_noise(uint8_t *buf, int w, int h, int stride, int channels, int grain,
                      uint64_t key, int64_t row0, int64_t col0)
{
    const int64_t first_cell = floor_div(col0, grain);
    const int lead = (int)(col0 - first_cell * grain); /* pixels of the first cell before x = 0 */
    for (int y = 0; y < h; y++) {
        uint8_t *p = buf + (size_t)y * stride;
        const int64_t cell_y = floor_div(row0 + y, grain);
        int64_t cell_x = first_cell;
        for (int x = 0, run = grain - lead; x < w; cell_x++, run = grain) {
            const uint64_t bits = noise_bits(key, cell_y, cell_x);
            const int end = x + run < w ? x + run : w;
            for (; x < end; x++, p += channels)
                for (int c = 0; c < channels; c++)
                    add_noise_byte(p + c, (unsigned)bits & 0xff);
        }
    }
}

/* Where a buffer lies in its noise pattern: the pattern's key, and the
 * buffer's first row and pixel in it. */
typedef struct noise_at {
    uint64_t key;
    int64_t row0, col0;
} noise_at;

/* Obfuscate a w x h buffer of `channels` bytes per pixel in `style` for a
 * face of `size` pixels of this buffer. */
static int obfuscate(uint8_t *buf, int w, int h, int stride, int channels, float size,
                     cb_redact_style style, const noise_at *noise, cb_error *err)
{
    int block = (int)ceilf(size / CB_BLOCKS_ACROSS);
    if (block < 2)
        block = 2;
    const int grain = size > 2 * CB_NOISE_CELLS_ACROSS ? (int)(size / CB_NOISE_CELLS_ACROSS) : 1;
    int rc = 0;
    switch (style) {
    case CB_REDACT_FILL:
        for (int y = 0; y < h; y++)
            memset(buf + (size_t)y * stride, 128, (size_t)w * channels);
        return 0;
    case CB_REDACT_PIXELATE:
        pixelate(buf, w, h, stride, channels, block);
        break;
    case CB_REDACT_BLUR:
        rc = cb_cv_gaussian_blur(buf, w, h, stride, channels, size / 6.0 + 1.0, err);
        if (rc == 0)
            rc = cb_cv_gaussian_blur(buf, w, h, stride, channels, size / 6.0 + 1.0, err);
        break;
    default:
        pixelate(buf, w, h, stride, channels, block);
        rc = cb_cv_gaussian_blur(buf, w, h, stride, channels, block * 0.5 + 0.5, err);
        break;
    }
    if (rc == 0 && noise)
        add_noise(buf, w, h, stride, channels, grain, noise->key, noise->row0, noise->col0);
    return rc;
}

/* Is the plane pixel (x, y) inside the region? Its centre, in picture pixels. */
static int plane_contains(const cb_redact_ellipse *e, const plane *pl, int x, int y)
{
    const float k = (float)(1 << pl->shift);
    return contains_point(e, ((float)x + 0.5f) * k, ((float)y + 0.5f) * k);
}

/* The pixels [*from, *to) of plane row y (within [x0, x1)) inside the
 * region: where the ellipse's row crosses it, moved to where plane_contains
 * says (the two agree but for rounding). 0 when none. */
static int row_span(const cb_redact_ellipse *e, const plane *pl, int y, int x0, int x1, int *from,
                    int *to)
{
    const float k = (float)(1 << pl->shift);
    const float dy = (((float)y + 0.5f) * k - e->cy) / e->ry;
    if (e->rx <= 0 || e->ry <= 0 || dy * dy > 1.0f)
        return 0;
    const float half = e->rx * sqrtf(1.0f - dy * dy) / k, cx = e->cx / k;
    int a = (int)ceilf(cx - half - 0.5f), b = (int)floorf(cx + half - 0.5f) + 1;
    a = a < x0 ? x0 : a > x1 ? x1 : a;
    b = b < x0 ? x0 : b > x1 ? x1 : b;
    while (a > x0 && plane_contains(e, pl, a - 1, y))
        a--;
    while (a < b && !plane_contains(e, pl, a, y))
        a++;
    while (b < x1 && plane_contains(e, pl, b, y))
        b++;
    while (b > a && !plane_contains(e, pl, b - 1, y))
        b--;
    *from = a;
    *to = b;
    return b > a;
}

/*
 * Obfuscate the w x h part of plane pl at (x0, y0) into out (noise NULL: none) (its own w x h
 * buffer, rows c * w apart) for a face of face_size plane pixels: on a copy
 * shrunk by k (area averaging) when k > 1, enlarged again (bilinear)
 * afterwards. Nothing finer than a noise cell survives obfuscation, so it
 * needs no more than CB_WORK_SIZE pixels across a face (a 4K face of 600
 * pixels costs what one of 64 does).
 */
static int obfuscate_at(const plane *pl, int x0, int y0, int w, int h, float face_size, int k,
                        cb_redact_style style, const noise_at *noise, uint8_t *out,
                        cb_error *err)
{
    const int c = pl->channels;
    const uint8_t *origin = pl->data + (size_t)y0 * pl->linesize + (size_t)c * x0;
    if (k <= 1) {
        for (int y = 0; y < h; y++)
            memcpy(out + (size_t)y * c * w, origin + (size_t)y * pl->linesize, (size_t)c * w);
        return obfuscate(out, w, h, c * w, c, face_size, style, noise, err);
    }
    const int sw = (w + k - 1) / k, sh = (h + k - 1) / k;
    uint8_t *small = malloc((size_t)c * sw * sh);
    if (!small)
        return cb_error_set(err, CB_ENOMEM, "out of memory redacting a face");
    const noise_at shrunk = {noise ? noise->key : 0, noise ? floor_div(noise->row0, k) : 0,
                             noise ? floor_div(noise->col0, k) : 0};
    int rc = cb_cv_resize(origin, w, h, pl->linesize, small, sw, sh, c * sw, c, err);
    if (rc == 0)
        rc = obfuscate(small, sw, sh, c * sw, c, face_size / (float)k, style,
                       noise ? &shrunk : NULL, err);
    if (rc == 0)
        rc = cb_cv_resize(small, sw, sh, c * sw, out, w, h, c * w, c, err);
    free(small);
    return rc;
}

/* Obfuscate the region's bounding box (in this plane) into a scratch
 * buffer, then paste the ellipse back. */
static int redact_plane(const plane *pl, const cb_redact_ellipse *e, float face_size,
                        cb_redact_style style, uint64_t key, cb_error *err)
{
    const int s = pl->shift, c = pl->channels;
    const int x0 = e->x0 >> s, y0 = e->y0 >> s;
    const int x1 = (e->x1 + (1 << s) - 1) >> s < pl->w ? (e->x1 + (1 << s) - 1) >> s : pl->w;
    const int y1 = (e->y1 + (1 << s) - 1) >> s < pl->h ? (e->y1 + (1 << s) - 1) >> s : pl->h;
    const int w = x1 - x0, h = y1 - y0;
    if (w <= 0 || h <= 0)
        return 0;
    const int stride = c * w;
    uint8_t *scratch = malloc((size_t)stride * h);
    if (!scratch)
        return cb_error_set(err, CB_ENOMEM, "out of memory redacting a face");
    /* the pattern starts at the region's corner before clipping: it moves with the face */
    const noise_at noise = {key, y0 - floor_div((int64_t)floorf(e->cy - e->ry), 1 << s),
                            x0 - floor_div((int64_t)floorf(e->cx - e->rx), 1 << s)};
    const float size = face_size / (float)(1 << s);
    const int k = size > 2 * CB_WORK_SIZE && style != CB_REDACT_FILL ? (int)(size / CB_WORK_SIZE)
                                                                       : 1;
    /* grey grain: noise in BGR's three channels alike, or in Y alone */
    const int grainy = pl->shift == 0;
    int rc = obfuscate_at(pl, x0, y0, w, h, size, k, style, grainy ? &noise : NULL, scratch, err);
    for (int y = y0; rc == 0 && y < y1; y++) {
        int from, to;
        if (!row_span(e, pl, y, x0, x1, &from, &to))
            continue;
        memcpy(pl->data + (size_t)y * pl->linesize + (size_t)c * from,
               scratch + (size_t)(y - y0) * stride + (size_t)c * (from - x0),
               (size_t)c * (to - from));
    }
    free(scratch);
    return rc;
}

/* The planes of a BGR24 or 8-bit YUV 4:2:0 frame; 0 for another format. */
static int frame_planes(AVFrame *frame, plane out[3])
{
    const int yuv = frame->format == AV_PIX_FMT_YUV420P || frame->format == AV_PIX_FMT_YUVJ420P;
    if (frame->format != AV_PIX_FMT_BGR24 && !yuv)
        return 0;
    const int n = yuv ? 3 : 1;
    for (int i = 0; i < n; i++) {
        const int s = i > 0;
        out[i] = (plane){frame->data[i], frame->linesize[i], (frame->width + s) >> s,
                         (frame->height + s) >> s, yuv ? 1 : 3, s};
    }
    return n;
}

/* Does region a hold all of region b (tested on CB_INSIDE_POINTS points
 * of b's edge, a shrunk by a pixel: between two of them b's edge strays
 * less than that)? Then redacting a redacts all of b too. */
static int region_holds(const cb_redact_ellipse *a, const cb_redact_ellipse *b)
{
    if (a->rx <= 1 || a->ry <= 1)
        return 0;
    for (int i = 0; i < CB_INSIDE_POINTS; i++) {
        const float t = 6.2831853f * (float)i / CB_INSIDE_POINTS;
        const float dx = (b->cx + b->rx * cosf(t) - a->cx) / (a->rx - 1);
        const float dy = (b->cy + b->ry * sinf(t) - a->cy) / (a->ry - 1);
        if (dx * dx + dy * dy > 1.0f)
            return 0;
    }
    return 1;
}

/* Is face i's region inside another face's that is redacted (the first of two equal ones)? */
static int covered_by_other(const cb_redact_ellipse *e, int count, int i)
{
    for (int k = 0; k < count; k++)
        if (k != i && region_holds(&e[k], &e[i]) && !(k > i && region_holds(&e[i], &e[k])))
            return 1;
    return 0;
}

cb_face cb_redact_steady_box(const cb_face *face)
{
    const float size = face->w > face->h ? face->w : face->h;
    const float q = fmaxf(2.0f, floorf(size / CB_STEADY_STEPS));
    cb_face box = *face;
    box.x = floorf(face->x / q) * q;
    box.y = floorf(face->y / q) * q;
    box.w = ceilf((face->x + face->w) / q) * q - box.x;
    box.h = ceilf((face->y + face->h) / q) * q - box.y;
    cb_redact_ellipse outer, inner;
    cb_redact_region(&box, INT_MAX, INT_MAX, &outer);
    cb_redact_region(face, INT_MAX, INT_MAX, &inner);
    return region_holds(&outer, &inner) ? box : *face;
}

int cb_redact_faces_keyed(AVFrame *frame, const cb_face *faces, const uint64_t *keys, int count,
                          cb_redact_style style, cb_error *err)
{
    plane planes[3];
    const int n_planes = frame ? frame_planes(frame, planes) : 0;
    if (!n_planes || count < 0 || (count > 0 && (!faces || !keys)))
        return cb_error_set(err, CB_EINVAL, "redact: expected a BGR24 or YUV 4:2:0 frame");
    cb_redact_ellipse one[16], *e = count <= 16 ? one : malloc(sizeof *e * (size_t)count);
    if (!e)
        return cb_error_set(err, CB_ENOMEM, "out of memory redacting faces");
    for (int i = 0; i < count; i++)
        cb_redact_region(&faces[i], frame->width, frame->height, &e[i]);
    int rc = 0;
    for (int i = 0; rc == 0 && i < count; i++) {
        /* a face found twice (two tracks of one face in a video): once is enough */
        if (covered_by_other(e, count, i))
            continue;
        const float size = faces[i].w > faces[i].h ? faces[i].w : faces[i].h;
        for (int k = 0; rc == 0 && k < n_planes; k++)
            rc = redact_plane(&planes[k], &e[i], size, style, keys[i] ^ (uint64_t)k << 62, err);
    }
    if (e != one)
        free(e);
    return rc;
}

int cb_redact_faces(AVFrame *frame, const cb_face *faces, int count, cb_redact_style style,
                    cb_error *err)
{
    /* a new random pattern for each face of each call */
    uint64_t one[16], *keys = count <= 16 ? one : malloc(sizeof *keys * (size_t)count);
    int rc = keys ? 0 : cb_error_set(err, CB_ENOMEM, "out of memory redacting faces");
    for (int i = 0; rc == 0 && i < count; i++)
        rc = cb_redact_noise_key(&keys[i], err);
    if (rc == 0)
        rc = cb_redact_faces_keyed(frame, faces, keys, count, style, err);
    if (keys != one)
        free(keys);
    return rc;
}

int cb_redact_noise_key(uint64_t *key, cb_error *err)
{
    ssize_t n = getrandom(key, sizeof *key, 0);
    if (n != (ssize_t)sizeof *key)
        return cb_error_set(err, n < 0 ? -errno : CB_EIO, "cannot seed redaction noise");
    return 0;
}

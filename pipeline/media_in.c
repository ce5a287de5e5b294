/* media_in.c - read a still image into an upright BGR24 frame; see media_in.h. */
#include "media_in.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libavformat/avformat.h>
#include <libavutil/crc.h>
#include <libavutil/imgutils.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>

#include "frame_util.h"
#include "heif_in.h"
#include "media_steps.h"

/* Files larger than this are refused before they are read (no still image we
 * accept needs more: 100 MP at 8 bytes a pixel is 800 MB uncompressed). */
#define CB_IMAGE_MAX_FILE_BYTES (1024LL * 1024 * 1024)

/* The whole file, in memory, as the custom AVIOContext's source. */
typedef struct mem_src {
    const uint8_t *data;
    size_t size;
    size_t pos;
} mem_src;

/* Per-call decoder state reachable from get_buffer2 through avctx->opaque. */
typedef struct decode_guard {
    const cb_image_limits *limits;
    int refused;      /* CB_ETOOBIG / CB_ETOOSMALL when get_buffer2 said no */
    long long width, height; /* the dimensions that were refused */
} decode_guard;

static int mem_read(void *opaque, uint8_t *buf, int buf_size)
{
    mem_src *src = opaque;
    size_t left = src->size - src->pos;
    if (left == 0)
        return AVERROR_EOF;
    size_t n = (size_t)buf_size < left ? (size_t)buf_size : left;
    memcpy(buf, src->data + src->pos, n);
    src->pos += n;
    return (int)n;
}

static int64_t mem_seek(void *opaque, int64_t offset, int whence)
{
    mem_src *src = opaque;
    int64_t base;
    switch (whence & ~AVSEEK_FORCE) {
    case AVSEEK_SIZE: return (int64_t)src->size;
    case SEEK_SET: base = 0; break;
    case SEEK_CUR: base = (int64_t)src->pos; break;
    case SEEK_END: base = (int64_t)src->size; break;
    default: return AVERROR(EINVAL);
    }
    if (offset < -base || base + offset > (int64_t)src->size)
        return AVERROR(EINVAL);
    src->pos = (size_t)(base + offset);
    return (int64_t)src->pos;
}

/* 0, or CB_ETOOSMALL / CB_ETOOBIG for these dimensions. */
static int check_limits(const cb_image_limits *lim, long long w, long long h)
{
    if (w <= 0 || h <= 0 || w < lim->min_side || h < lim->min_side)
        return CB_ETOOSMALL;
    if (w > INT_MAX || h > INT_MAX || w * h > lim->max_pixels)
        return CB_ETOOBIG;
    return 0;
}

/* Refuse a frame buffer for dimensions over (or under) the limits, so a lying
 * header never gets its pixels allocated. */
static int guarded_get_buffer(AVCodecContext *avctx, AVFrame *frame, int flags)
{
    decode_guard *g = avctx->opaque;
    int rc = check_limits(g->limits, frame->width, frame->height);
    if (rc != 0) {
        g->refused = rc;
        g->width = frame->width;
        g->height = frame->height;
        return AVERROR(ERANGE);
    }
    return avcodec_default_get_buffer2(avctx, frame, flags);
}

/*
 * JPEG structure check: walk the marker segments from SOI, skip entropy-coded
 * data after each SOS, and require an EOI. FFmpeg's decoder "emulates" a
 * missing EOI and returns a partial picture (grey at the bottom) for a cut
 * file, without flagging it; this catches that. Returns 1 when complete.
 */
static int jpeg_is_complete(const uint8_t *p, size_t n)
{
    size_t i = 2;
    if (n < 4 || p[0] != 0xFF || p[1] != 0xD8)
        return 0;
    while (i + 1 < n) {
        if (p[i] != 0xFF)
            return 0; /* garbage where a marker should be */
        uint8_t m = p[i + 1];
        if (m == 0xFF) { /* fill byte */
            i++;
            continue;
        }
        if (m == 0xD9)
            return 1; /* EOI */
        if (m == 0x01 || (m >= 0xD0 && m <= 0xD7)) { /* no length */
            i += 2;
            continue;
        }
        if (i + 3 >= n)
            return 0;
        size_t len = ((size_t)p[i + 2] << 8) | p[i + 3];
        if (len < 2 || i + 2 + len > n)
            return 0;
        i += 2 + len;
        if (m == 0xDA) { /* SOS: entropy-coded data up to the next real marker */
            while (i + 1 < n) {
                if (p[i] == 0xFF && p[i + 1] != 0x00 && !(p[i + 1] >= 0xD0 && p[i + 1] <= 0xD7))
                    break;
                i++;
            }
            if (i + 1 >= n)
                return 0;
        }
    }
    return 0;
}

static uint32_t be16(const uint8_t *p) { return (uint32_t)p[0] << 8 | p[1]; }
static uint32_t be32(const uint8_t *p) { return be16(p) << 16 | be16(p + 2); }
static uint32_t le16(const uint8_t *p) { return (uint32_t)p[1] << 8 | p[0]; }
static uint32_t le24(const uint8_t *p) { return (uint32_t)p[2] << 16 | le16(p); }

/*
 * The stored dimensions from the header of a PNG, JPEG or WebP, without
 * decoding anything, so the limits can be checked before FFmpeg sees the
 * data (FFmpeg refuses some huge sizes itself, but only as "invalid data").
 * Returns 1 and sets *w, *h when found, else 0.
 */
static int peek_dimensions(const uint8_t *p, size_t n, long long *w, long long *h)
{
    if (n >= 24 && memcmp(p, "\x89PNG\r\n\x1a\n", 8) == 0 && memcmp(p + 12, "IHDR", 4) == 0) {
        *w = be32(p + 16);
        *h = be32(p + 20);
        return 1;
    }
    if (n >= 4 && p[0] == 0xFF && p[1] == 0xD8) {
        size_t i = 2;
        while (i + 9 < n && p[i] == 0xFF) {
            uint8_t m = p[i + 1];
            if (m == 0xFF) {
                i++;
                continue;
            }
            if (m == 0xD8 || m == 0x01 || (m >= 0xD0 && m <= 0xD7)) {
                i += 2;
                continue;
            }
            if (m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC) {
                *h = be16(p + i + 5);
                *w = be16(p + i + 7);
                return *h != 0; /* height 0: defined later by a DNL marker */
            }
            if (m == 0xDA || m == 0xD9)
                return 0;
            i += 2 + be16(p + i + 2);
        }
        return 0;
    }
    if (n >= 30 && memcmp(p, "RIFF", 4) == 0 && memcmp(p + 8, "WEBP", 4) == 0) {
        const uint8_t *c = p + 12, *d = p + 20;
        if (memcmp(c, "VP8X", 4) == 0) {
            *w = (long long)le24(d + 4) + 1;
            *h = (long long)le24(d + 7) + 1;
            return 1;
        }
        if (memcmp(c, "VP8 ", 4) == 0 && d[3] == 0x9D && d[4] == 0x01 && d[5] == 0x2A) {
            *w = le16(d + 6) & 0x3FFF;
            *h = le16(d + 8) & 0x3FFF;
            return 1;
        }
        if (memcmp(c, "VP8L", 4) == 0 && d[0] == 0x2F) {
            uint32_t bits = (uint32_t)d[1] | (uint32_t)d[2] << 8 | (uint32_t)d[3] << 16 |
                            (uint32_t)d[4] << 24;
            *w = (long long)(bits & 0x3FFF) + 1;
            *h = (long long)((bits >> 14) & 0x3FFF) + 1;
            return 1;
        }
    }
    return 0;
}

/* PNG structure check: chunks from the signature to IEND, each complete
 * and with a matching CRC. A file cut short (say, still being copied into a
 * watch folder) fails even when FFmpeg could decode the pixels it has, and
 * a damaged one fails with a reason that says so. Returns 1 when sound, else
 * 0 with the reason in why. */
static int png_is_complete(const uint8_t *p, size_t n, char *why, size_t why_size)
{
    const AVCRC *crc_table = av_crc_get_table(AV_CRC_32_IEEE_LE);
    size_t i = 8;
    while (i + 12 <= n) {
        uint32_t len = be32(p + i);
        char type[5];
        for (int k = 0; k < 4; k++) {
            uint8_t c = p[i + 4 + k];
            type[k] = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ? (char)c : '?';
        }
        type[4] = '\0';
        if (len > 0x7FFFFFFFu || (size_t)len > n - i - 12) {
            snprintf(why, why_size, "truncated or malformed PNG (chunk %s runs past the end)",
                     type);
            return 0;
        }
        uint32_t crc = av_crc(crc_table, 0xFFFFFFFFu, p + i + 4, (size_t)len + 4) ^ 0xFFFFFFFFu;
        if (crc != be32(p + i + 8 + len)) {
            snprintf(why, why_size, "damaged PNG (chunk %s has a bad CRC)", type);
            return 0;
        }
        if (memcmp(p + i + 4, "IEND", 4) == 0)
            return 1;
        i += 12 + (size_t)len;
    }
    snprintf(why, why_size, "truncated or malformed PNG (no IEND chunk)");
    return 0;
}

/* A better reason than FFmpeg's "invalid data" for a file that no demuxer
 * could open: an MP4/MOV without its index, or a damaged file of a format
 * the content looks like. Fills msg. */
static void explain_open_failure(const uint8_t *data, size_t size, int averr, char *msg,
                                 size_t msg_size)
{
    char av[AV_ERROR_MAX_STRING_SIZE] = {0};
    av_strerror(averr, av, sizeof av);
    if (cb_mp4_lacks_moov(data, size)) {
        snprintf(msg, msg_size, "an MP4/MOV file without its index (no moov box): cut short "
                                "while it was being recorded or copied");
        return;
    }
    /* The data is padded with AV_INPUT_BUFFER_PADDING_SIZE >= AVPROBE_PADDING_SIZE zeros. */
    AVProbeData pd = {.filename = "", .buf = (unsigned char *)data,
                      .buf_size = size > (1 << 20) ? (1 << 20) : (int)size};
    int score = 0;
    const AVInputFormat *f = av_probe_input_format3(&pd, 1, &score);
    if (f && score >= AVPROBE_SCORE_EXTENSION)
        snprintf(msg, msg_size, "damaged or unsupported %s file: %s", f->name, av);
    else
        snprintf(msg, msg_size, "not a recognised image: %s", av);
}

/* Orientation (tag 0x0112) from a TIFF-structured EXIF block, or 0. */
static int tiff_orientation(const uint8_t *t, size_t n)
{
    if (n < 8)
        return 0;
    int le = t[0] == 'I' && t[1] == 'I';
    if (!le && !(t[0] == 'M' && t[1] == 'M'))
        return 0;
#define RD16(q) (le ? le16(q) : be16(q))
#define RD32(q) (le ? (le16(q) | le16((q) + 2) << 16) : be32(q))
    if (RD16(t + 2) != 42)
        return 0;
    uint32_t ifd = RD32(t + 4);
    if (ifd > n - 2)
        return 0;
    uint32_t count = RD16(t + ifd);
    for (uint32_t k = 0; k < count; k++) {
        size_t e = (size_t)ifd + 2 + 12 * (size_t)k;
        if (e + 12 > n)
            return 0;
        if (RD16(t + e) == 0x0112 && RD16(t + e + 2) == 3) {
            uint32_t v = RD16(t + e + 8);
            return v >= 1 && v <= 8 ? (int)v : 0;
        }
    }
    return 0;
#undef RD16
#undef RD32
}

/* EXIF orientation from a PNG's eXIf chunk (FFmpeg 5.1's PNG decoder ignores
 * the chunk), or 0. The chunk is taken before or after IDAT (PNG extensions
 * 1.5 allow both; ImageMagick writes it after), with or without a stray
 * "Exif\0\0" prefix. */
static int png_exif_orientation(const uint8_t *p, size_t n)
{
    size_t i = 8;
    while (i + 12 <= n) {
        uint32_t len = be32(p + i);
        if ((size_t)len > n - i - 12)
            return 0;
        if (memcmp(p + i + 4, "IEND", 4) == 0)
            return 0;
        if (memcmp(p + i + 4, "eXIf", 4) == 0) {
            const uint8_t *t = p + i + 8;
            if (len >= 6 && memcmp(t, "Exif\0\0", 6) == 0)
                return tiff_orientation(t + 6, len - 6);
            return tiff_orientation(t, len);
        }
        i += 12 + (size_t)len;
    }
    return 0;
}

/* EXIF orientation 1..8 from frame metadata ("Orientation", as FFmpeg's
 * mjpeg/webp decoders export EXIF), else from a display matrix, else 1. */
static int frame_orientation(const AVFrame *f)
{
    AVDictionaryEntry *e = av_dict_get(f->metadata, "Orientation", NULL, 0);
    if (e && e->value) {
        char *end = NULL;
        long v = strtol(e->value, &end, 10);
        if (end != e->value && v >= 1 && v <= 8)
            return (int)v;
        return 1;
    }
    AVFrameSideData *sd = av_frame_get_side_data(f, AV_FRAME_DATA_DISPLAYMATRIX);
    if (sd && sd->size >= 9 * sizeof(int32_t)) {
        int32_t m[9];
        memcpy(m, sd->data, sizeof m);
        return cb_orientation_from_display_matrix(m, NULL);
    }
    return 1;
}

/* *out = a new frame of format fmt and in's size, its buffer zeroed. Returns
 * 0 or an FFmpeg error code. */
static int new_frame_like(const AVFrame *in, enum AVPixelFormat fmt, AVFrame **out)
{
    AVFrame *f = av_frame_alloc();
    if (!f)
        return AVERROR(ENOMEM);
    f->format = fmt;
    f->width = in->width;
    f->height = in->height;
    int ret = cb_frame_get_zeroed_buffer(f);
    if (ret < 0) {
        av_frame_free(&f);
        return ret;
    }
    *out = f;
    return 0;
}

/* A new frame of in's pixels in format fmt (BGR24 or BGRA, BT.601 for YUV
 * with no matrix of its own). Returns 0 or an FFmpeg error code. */
static int convert_to(const AVFrame *in, enum AVPixelFormat fmt, AVFrame **out)
{
    AVFrame *dst = NULL;
    int ret = new_frame_like(in, fmt, &dst);
    if (ret < 0)
        return ret;
    struct SwsContext *sws = cb_sws_to_rgb(in, in->width, in->height, fmt, SWS_CS_ITU601, 0);
    ret = sws ? sws_scale(sws, (const uint8_t *const *)in->data, in->linesize, 0, in->height,
                          dst->data, dst->linesize)
              : AVERROR(EINVAL);
    sws_freeContext(sws);
    if (ret < 0) {
        av_frame_free(&dst);
        return ret;
    }
    *out = dst;
    return 0;
}

/* Put bgra over white into dst (BGR24, same size). Returns 1 when some
 * pixel was not opaque, else 0. */
static int composite_on_white(const AVFrame *bgra, AVFrame *dst)
{
    int translucent = 0;
    for (int y = 0; y < bgra->height; y++) {
        const uint8_t *s = bgra->data[0] + (ptrdiff_t)y * bgra->linesize[0];
        uint8_t *d = dst->data[0] + (ptrdiff_t)y * dst->linesize[0];
        for (int x = 0; x < bgra->width; x++) {
            unsigned a = s[4 * x + 3];
            if (a != 255)
                translucent = 1;
            for (int c = 0; c < 3; c++) /* over white: c*a + 255*(1-a) */
                d[3 * x + c] = (uint8_t)((s[4 * x + c] * a + 255u * (255u - a) + 127u) / 255u);
        }
    }
    return translucent;
}

/*
 * Convert a decoded frame to BGR24. Sources with alpha (including a palette
 * with transparent entries) go through BGRA and are composited over white.
 * Sets *had_alpha when the format has an alpha channel or some pixel is not
 * opaque. no_real_alpha: the format's alpha plane is not transparency
 * (FFmpeg 5.1 decodes CMYK JPEGs to GBRAP with alpha all 255).
 * Returns 0 or an FFmpeg error code.
 */
static int to_bgr24(const AVFrame *in, int no_real_alpha, AVFrame **out, int *had_alpha)
{
    const AVPixFmtDescriptor *desc = av_pix_fmt_desc_get(in->format);
    if (!desc)
        return AVERROR(EINVAL);
    *had_alpha = (desc->flags & AV_PIX_FMT_FLAG_ALPHA) && !no_real_alpha;
    /* Alpha, or a palette (PNG tRNS puts transparency in the palette). */
    if (!(desc->flags & (AV_PIX_FMT_FLAG_ALPHA | AV_PIX_FMT_FLAG_PAL)))
        return convert_to(in, AV_PIX_FMT_BGR24, out);
    AVFrame *bgra = NULL, *dst = NULL;
    int ret = new_frame_like(in, AV_PIX_FMT_BGR24, &dst);
    if (ret == 0)
        ret = convert_to(in, AV_PIX_FMT_BGRA, &bgra);
    if (ret == 0 && composite_on_white(bgra, dst))
        *had_alpha = 1;
    av_frame_free(&bgra);
    if (ret < 0) {
        av_frame_free(&dst);
        return ret;
    }
    *out = dst;
    return 0;
}

/* The bytes of the open file fd, n of them as its size says, into a new
 * buffer padded with AV_INPUT_BUFFER_PADDING_SIZE zeros (av_free). */
static int read_all(const char *path, int fd, size_t n, uint8_t **data, size_t *size,
                    cb_error *err)
{
    uint8_t *buf = av_malloc(n + AV_INPUT_BUFFER_PADDING_SIZE);
    if (!buf)
        return cb_error_set(err, CB_ENOMEM, "%s: out of memory reading %zu bytes", path, n);
    size_t got = 0;
    int ret = 0;
    while (ret == 0 && got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r > 0)
            got += (size_t)r;
        else if (r == 0)
            break; /* shrank while we read: take what is there */
        else if (errno != EINTR)
            ret = cb_error_set(err, -errno, "%s: read failed: %s", path, strerror(errno));
    }
    if (ret == 0 && got == 0)
        ret = cb_error_set(err, CB_EDECODE, "%s: empty file", path);
    if (ret < 0) {
        av_free(buf);
        return ret;
    }
    memset(buf + got, 0, AV_INPUT_BUFFER_PADDING_SIZE);
    *data = buf;
    *size = got;
    return 0;
}

static int read_whole_file(const char *path, uint8_t **data, size_t *size, cb_error *err)
{
    int fd;
    int64_t file_size = 0;
    int ret = cb_media_open_file(path, &fd, &file_size, err);
    if (ret < 0)
        return ret;
    if (file_size > CB_IMAGE_MAX_FILE_BYTES)
        ret = cb_error_set(err, CB_ETOOBIG, "%s: file too large for an image (%lld bytes)", path,
                           (long long)file_size);
    else
        ret = read_all(path, fd, (size_t)file_size, data, size, err);
    close(fd);
    return ret;
}

/* Map an FFmpeg error from the decoder to our code and message. */
static int decode_failure(const char *path, const decode_guard *g, int averr, const char *what,
                          cb_error *err)
{
    if (g->refused == CB_ETOOBIG)
        return cb_error_set(err, CB_ETOOBIG, "%s: image too large (%lldx%lld, limit %lld pixels)",
                            path, g->width, g->height, g->limits->max_pixels);
    if (g->refused == CB_ETOOSMALL)
        return cb_error_set(err, CB_ETOOSMALL, "%s: image too small (%lldx%lld, minimum side %d)",
                            path, g->width, g->height, g->limits->min_side);
    char msg[AV_ERROR_MAX_STRING_SIZE] = { 0 };
    av_strerror(averr, msg, sizeof msg);
    return cb_error_set(err, CB_EDECODE, "%s: %s: %s", path, what, msg);
}

/* 0 when a w x h picture is within g's limits; else its CB_ETOOBIG /
 * CB_ETOOSMALL error, recorded in g as get_buffer2 records a refusal. */
static int refuse_size(const char *path, decode_guard *g, long long w, long long h,
                       cb_error *err)
{
    int rc = check_limits(g->limits, w, h);
    if (rc == 0)
        return 0;
    g->refused = rc;
    g->width = w;
    g->height = h;
    return decode_failure(path, g, 0, "", err);
}

/*
 * A HEIF/AVIF photo (heif_in.h): its size checked against the limits before
 * it is decoded, then converted (alpha on white) as every other format is.
 */
static int read_heif(const char *path, const uint8_t *data, size_t size,
                     const cb_image_limits *limits, AVFrame **out, cb_image_info *info,
                     cb_error *err)
{
    decode_guard guard = {.limits = limits};
    cb_heif *h = NULL;
    AVFrame *rgb = NULL;
    int w = 0, hgt = 0, had_alpha = 0;
    int ret = cb_heif_open(path, data, size, &h, &w, &hgt, err);
    if (ret == 0)
        ret = refuse_size(path, &guard, w, hgt, err);
    if (ret == 0)
        ret = cb_heif_decode(h, &rgb, err);
    if (ret == 0 && (ret = to_bgr24(rgb, 0, out, &had_alpha)) < 0)
        ret = ret == AVERROR(ENOMEM) ? cb_out_of_memory(path, err)
                                     : decode_failure(path, &guard, ret, "pixel conversion", err);
    if (ret == 0 && info) {
        /* the container's turn and crop are part of the decoding: the
         * picture as decoded is the one "stored", with nothing left to turn */
        *info = (cb_image_info){cb_heif_codec(h), rgb->width, rgb->height, 1, had_alpha};
    }
    av_frame_free(&rgb);
    cb_heif_close(h);
    return ret;
}

/* One image read through libavformat and libavcodec: what its steps share.
 * image_read_release frees it all, whichever step failed. */
typedef struct image_read {
    const char *path;
    const uint8_t *data;  /* the whole file, padded */
    size_t size;
    decode_guard guard;
    mem_src src;          /* the AVIOContext's source */
    AVIOContext *avio;
    AVFormatContext *fmt;
    int si;               /* the picture's stream */
    const AVCodecParameters *par;
    AVCodecContext *dec;
    AVFrame *frame;       /* the decoded picture */
} image_read;

static void image_read_release(image_read *r)
{
    av_frame_free(&r->frame);
    avcodec_free_context(&r->dec);
    avformat_close_input(&r->fmt);
    if (r->avio) {
        av_freep(&r->avio->buffer);
        avio_context_free(&r->avio);
    }
}

/* Known headers (PNG, JPEG, WebP): the size is checked before any decoder runs. */
static int check_header_size(image_read *r, cb_error *err)
{
    long long w, h;
    if (!peek_dimensions(r->data, r->size, &w, &h))
        return 0;
    return refuse_size(r->path, &r->guard, w, h, err);
}

/* Probe by content only: the demuxer sees no file name, so neither the
 * extension nor image2's "%d" sequence patterns or protocol prefixes in the
 * path play any part. */
static int open_demuxer(image_read *r, cb_error *err)
{
    const int iobuf_size = 32768;
    r->src = (mem_src){r->data, r->size, 0};
    uint8_t *iobuf = av_malloc(iobuf_size);
    if (iobuf)
        r->avio = avio_alloc_context(iobuf, iobuf_size, 0, &r->src, mem_read, NULL, mem_seek);
    if (!r->avio) {
        av_free(iobuf);
        return cb_out_of_memory(r->path, err);
    }
    r->fmt = avformat_alloc_context(); /* the avio (and the buffer it may replace) is r's */
    if (!r->fmt)
        return cb_out_of_memory(r->path, err);
    r->fmt->pb = r->avio;
    r->fmt->flags |= AVFMT_FLAG_CUSTOM_IO;
    int ret = avformat_open_input(&r->fmt, NULL, NULL, NULL); /* frees fmt on failure */
    if (ret == AVERROR(ENOMEM))
        return cb_out_of_memory(r->path, err);
    if (ret < 0) {
        char why[256];
        explain_open_failure(r->data, r->size, ret, why, sizeof why);
        return cb_error_set(err, CB_EDECODE, "%s: %s", r->path, why);
    }
    return 0;
}

/* The error for a file that a demuxer other than an image one took. */
static int not_an_image(const char *path, const AVFormatContext *fmt, cb_error *err)
{
    int video = 0, audio = 0;
    for (unsigned i = 0; i < fmt->nb_streams; i++) {
        enum AVMediaType t = fmt->streams[i]->codecpar->codec_type;
        video += t == AVMEDIA_TYPE_VIDEO;
        audio += t == AVMEDIA_TYPE_AUDIO;
    }
    if (!video && audio)
        return cb_error_set(err, CB_EDECODE,
                            "%s: audio only, no picture or video stream (format %s)", path,
                            fmt->iformat->name);
    return cb_error_set(err, CB_EDECODE, "%s: not an image (detected format: %s)", path,
                        fmt->iformat->name);
}

/* The picture's stream in an image demuxer's data; its size checked against
 * the limits where the demuxer knows it from the header. */
static int find_picture(image_read *r, cb_error *err)
{
    if (!cb_is_image_demuxer(r->fmt->iformat->name))
        return not_an_image(r->path, r->fmt, err);
    r->si = av_find_best_stream(r->fmt, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
    if (r->si < 0)
        return cb_error_set(err, CB_EDECODE, "%s: no picture in %s data", r->path,
                            r->fmt->iformat->name);
    r->par = r->fmt->streams[r->si]->codecpar;
    if (r->par->width > 0 && r->par->height > 0)
        return refuse_size(r->path, &r->guard, r->par->width, r->par->height, err);
    return 0;
}

/* Structure checks before any decoder runs, so that a cut or damaged file
 * fails with that reason (FFmpeg's would be "invalid data", or nothing at
 * all for a JPEG cut in its scan data). */
static int check_structure(image_read *r, cb_error *err)
{
    const enum AVCodecID id = r->par->codec_id;
    if (id == AV_CODEC_ID_MJPEG && !jpeg_is_complete(r->data, r->size))
        return cb_error_set(err, CB_EDECODE, "%s: truncated or malformed JPEG (no end of image)",
                            r->path);
    char why[128];
    if (id == AV_CODEC_ID_PNG && r->size >= 8 && memcmp(r->data, "\x89PNG", 4) == 0 &&
        !png_is_complete(r->data, r->size, why, sizeof why))
        return cb_error_set(err, CB_EDECODE, "%s: %s", r->path, why);
    return 0;
}

/* The decoder, with the guard on its frame buffers and strict error checks. */
static int open_decoder(image_read *r, cb_error *err)
{
    const cb_decoder_setup setup = {
        .thread_count = 1, /* one picture: threads buy little, and get_buffer2 stays simple */
        .thread_type = 0,
        .max_pixels = r->guard.limits->max_pixels,
        .err_recognition = AV_EF_CRCCHECK | AV_EF_BITSTREAM | AV_EF_BUFFER | AV_EF_EXPLODE,
        .get_buffer2 = guarded_get_buffer,
        .opaque = &r->guard,
    };
    cb_decoder_step step;
    const int ret = cb_decoder_open(r->par, &setup, &r->dec, &step);
    if (ret < 0 && step == CB_DECODER_OPEN) /* the guard may have refused a buffer */
        return decode_failure(r->path, &r->guard, ret, "cannot open decoder", err);
    return ret < 0 ? cb_decoder_failure(r->path, r->par, step, ret, err) : 0;
}

/* Send the decoder the picture stream's next packet, or the end of the data
 * (then *flushing is set). */
static int feed_decoder(image_read *r, AVPacket *pkt, int *flushing, cb_error *err)
{
    int ret;
    do {
        ret = av_read_frame(r->fmt, pkt);
        if (ret == AVERROR_EOF) {
            *flushing = 1;
            ret = avcodec_send_packet(r->dec, NULL);
        } else if (ret < 0) {
            return decode_failure(r->path, &r->guard, ret, "read error", err);
        } else if (pkt->stream_index != r->si) {
            av_packet_unref(pkt);
            continue;
        } else {
            ret = avcodec_send_packet(r->dec, pkt);
            av_packet_unref(pkt);
        }
        if (ret < 0 && ret != AVERROR(EAGAIN) && ret != AVERROR_EOF)
            return decode_failure(r->path, &r->guard, ret, "decode failed", err);
        return 0;
    } while (1);
}

/* Decode the first picture into r->frame. */
static int decode_picture(image_read *r, cb_error *err)
{
    AVPacket *pkt = av_packet_alloc();
    r->frame = av_frame_alloc();
    int ret = pkt && r->frame ? 0 : cb_out_of_memory(r->path, err);
    int flushing = 0;
    while (ret == 0) {
        if (!flushing && (ret = feed_decoder(r, pkt, &flushing, err)) < 0)
            break;
        ret = avcodec_receive_frame(r->dec, r->frame);
        if (ret == 0)
            break;
        if (ret == AVERROR(EAGAIN) && !flushing)
            ret = 0; /* the decoder wants more data */
        else if (ret == AVERROR_EOF || ret == AVERROR(EAGAIN))
            ret = decode_failure(r->path, &r->guard, AVERROR_INVALIDDATA, "no picture decoded",
                                 err);
        else
            ret = decode_failure(r->path, &r->guard, ret, "decode failed", err);
    }
    av_packet_free(&pkt);
    return ret;
}

/* The decoded picture is whole (not flagged corrupt) and within the limits. */
static int check_picture(image_read *r, cb_error *err)
{
    const AVFrame *f = r->frame;
    if ((f->flags & AV_FRAME_FLAG_CORRUPT) || f->decode_error_flags)
        return cb_error_set(err, CB_EDECODE, "%s: corrupt or truncated image data", r->path);
    return refuse_size(r->path, &r->guard, f->width, f->height, err);
}

/* The picture's EXIF orientation: the decoder's (frame_orientation), else
 * that of a PNG's eXIf chunk. */
static int picture_orientation(const image_read *r)
{
    int orientation = frame_orientation(r->frame);
    if (orientation == 1 && r->par->codec_id == AV_CODEC_ID_PNG &&
        !av_dict_get(r->frame->metadata, "Orientation", NULL, 0)) {
        int o = png_exif_orientation(r->data, r->size);
        if (o)
            orientation = o;
    }
    return orientation;
}

/* The decoded picture as a new upright BGR24 frame in *out; info filled. */
static int to_upright_bgr(image_read *r, AVFrame **out, cb_image_info *info, cb_error *err)
{
    AVFrame *bgr = NULL, *upright = NULL;
    int had_alpha = 0;
    int ret = to_bgr24(r->frame, r->par->codec_id == AV_CODEC_ID_MJPEG, &bgr, &had_alpha);
    if (ret < 0)
        return ret == AVERROR(ENOMEM) ? cb_out_of_memory(r->path, err)
                                      : decode_failure(r->path, &r->guard, ret,
                                                       "pixel conversion", err);
    const int orientation = picture_orientation(r);
    if (orientation != 1) {
        ret = cb_frame_orient(bgr, orientation, &upright);
        av_frame_free(&bgr);
        if (ret < 0)
            return cb_out_of_memory(r->path, err);
        bgr = upright;
    }
    if (info)
        *info = (cb_image_info){r->par->codec_id, r->frame->width, r->frame->height, orientation,
                                had_alpha};
    *out = bgr;
    return 0;
}

/* Any image format but HEIF/AVIF, step by step: each step of image_steps
 * in turn, then the picture made upright BGR. */
static int read_with_ffmpeg(const char *path, const uint8_t *data, size_t size,
                            const cb_image_limits *limits, AVFrame **out, cb_image_info *info,
                            cb_error *err)
{
    static int (*const image_steps[])(image_read *, cb_error *) = {
        check_header_size, open_demuxer,   find_picture, check_structure,
        open_decoder,      decode_picture, check_picture,
    };
    image_read r = {.path = path, .data = data, .size = size, .guard = {.limits = limits}};
    int ret = 0;
    for (size_t i = 0; ret == 0 && i < sizeof image_steps / sizeof image_steps[0]; i++)
        ret = image_steps[i](&r, err);
    if (ret == 0)
        ret = to_upright_bgr(&r, out, info, err);
    image_read_release(&r);
    return ret;
}

int cb_image_read(const char *path, const cb_image_limits *limits, AVFrame **out,
                  cb_image_info *info, cb_error *err)
{
    static const cb_image_limits default_limits = CB_IMAGE_LIMITS_DEFAULT;
    uint8_t *data = NULL;
    size_t size = 0;

    if (out)
        *out = NULL;
    if (!path || !out)
        return cb_error_set(err, CB_EINVAL, "cb_image_read: %s is NULL", path ? "out" : "path");
    if (!limits)
        limits = &default_limits;
    if (limits->min_side < 1 || limits->max_pixels < 1)
        return cb_error_set(err, CB_EINVAL, "%s: invalid image limits", path);
    int ret = read_whole_file(path, &data, &size, err);
    /* Phone photos (HEIC, AVIF): FFmpeg 5.1 reads neither; libheif does. */
    if (ret == 0)
        ret = cb_is_heif(data, size) ? read_heif(path, data, size, limits, out, info, err)
                                     : read_with_ffmpeg(path, data, size, limits, out, info, err);
    av_free(data);
    return ret;
}

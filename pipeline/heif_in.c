/* heif_in.c - HEIF/AVIF photos through libheif; see heif_in.h. */
#include "heif_in.h"

#include <libheif/heif.h>
#include <stdio.h>
#include <string.h>

#include "frame_util.h"

/* The longest side libheif may open: as large as a 100 MP picture can be
 * (16384 x 6104); a larger one is CB_ETOOBIG before anything is decoded. */
#define CB_HEIF_MAX_SIDE 16384

/* err for a libheif error: its own message, naming the file. */
static int heif_failure(const char *path, const struct heif_error *e, const char *what,
                        cb_error *err)
{
    if (e->subcode == heif_suberror_Security_limit_exceeded) /* refused from the header */
        return cb_error_set(err, CB_ETOOBIG, "%s: image too large (a side over %d pixels, or "
                            "more than libheif allows)", path, CB_HEIF_MAX_SIDE);
    if (e->code == heif_error_Memory_allocation_error)
        return cb_error_set(err, CB_ENOMEM, "%s: out of memory", path);
    /* libheif's message on one line: its line breaks (it ends some with one) as spaces */
    char msg[200];
    snprintf(msg, sizeof msg, "%s", e->message ? e->message : "unknown error");
    for (char *c = msg; *c; c++)
        if (*c == '\n' || *c == '\r' || *c == '\t')
            *c = ' ';
    for (size_t n = strlen(msg); n > 0 && msg[n - 1] == ' '; n--)
        msg[n - 1] = '\0';
    return cb_error_set(err, CB_EDECODE, "%s: cannot read the HEIF/AVIF image (%s): %s", path,
                        what, msg);
}

/* The primary image's size (after rotation), checked against the limits. */
static int check_size(const char *path, const struct heif_image_handle *h,
                      const cb_image_limits *lim, cb_error *err)
{
    const long long w = heif_image_handle_get_width(h), hgt = heif_image_handle_get_height(h);
    if (w <= 0 || hgt <= 0)
        return cb_error_set(err, CB_EDECODE, "%s: the HEIF/AVIF image has no size", path);
    if (w * hgt > lim->max_pixels)
        return cb_error_set(err, CB_ETOOBIG, "%s: image too large (%lldx%lld, limit %lld pixels)",
                            path, w, hgt, lim->max_pixels);
    if (w < lim->min_side || hgt < lim->min_side)
        return cb_error_set(err, CB_ETOOSMALL, "%s: image too small (%lldx%lld, at least %dx%d)",
                            path, w, hgt, lim->min_side, lim->min_side);
    return 0;
}

/* A new BGR24 frame of the decoded interleaved RGB(A) picture, alpha on white. */
static int to_bgr(const struct heif_image *img, int alpha, AVFrame **out)
{
    int stride = 0;
    const uint8_t *src = heif_image_get_plane_readonly(img, heif_channel_interleaved, &stride);
    const int w = heif_image_get_width(img, heif_channel_interleaved);
    const int h = heif_image_get_height(img, heif_channel_interleaved);
    if (!src || w <= 0 || h <= 0)
        return CB_EDECODE;
    AVFrame *f = av_frame_alloc();
    if (!f)
        return CB_ENOMEM;
    f->format = AV_PIX_FMT_BGR24;
    f->width = w;
    f->height = h;
    if (cb_frame_get_zeroed_buffer(f) < 0) {
        av_frame_free(&f);
        return CB_ENOMEM;
    }
    const int n = alpha ? 4 : 3;
    for (int y = 0; y < h; y++) {
        const uint8_t *s = src + (size_t)y * stride;
        uint8_t *d = f->data[0] + (size_t)y * f->linesize[0];
        for (int x = 0; x < w; x++, s += n, d += 3) {
            const unsigned a = alpha ? s[3] : 255;
            for (int c = 0; c < 3; c++) /* RGB -> BGR, over white */
                d[2 - c] = (uint8_t)((s[c] * a + 255u * (255u - a) + 127u) / 255u);
        }
    }
    *out = f;
    return 0;
}

/* AVIF (AV1) rather than HEIC (HEVC), from the file's major brand. */
static int heif_is_avif(const uint8_t *data, size_t size)
{
    return size >= 12 && (!memcmp(data + 8, "avif", 4) || !memcmp(data + 8, "avis", 4));
}

/* Decode the primary image of ctx into *out (av1: its codec, for info). */
static int decode_primary(const char *path, struct heif_context *ctx,
                          const cb_image_limits *lim, int av1, AVFrame **out, cb_image_info *info,
                          cb_error *err)
{
    struct heif_image_handle *h = NULL;
    struct heif_image *img = NULL;
    struct heif_decoding_options *opts = heif_decoding_options_alloc();
    struct heif_error e = heif_context_get_primary_image_handle(ctx, &h);
    int rc = e.code ? heif_failure(path, &e, "no primary image", err) : 0;
    if (rc == 0)
        rc = check_size(path, h, lim, err);
    const int alpha = rc == 0 && heif_image_handle_has_alpha_channel(h);
    if (rc == 0 && !opts)
        rc = cb_error_set(err, CB_ENOMEM, "%s: out of memory", path);
    if (rc == 0) {
        opts->ignore_transformations = 0; /* irot, imir, clap: applied */
        opts->convert_hdr_to_8bit = 1;
        /* AV1 through libaom, not dav1d: dav1d writes to stderr and leaks
         * on a broken file (an image item with no data) */
        opts->decoder_id = av1 ? "aom" : NULL;
        e = heif_decode_image(h, &img, heif_colorspace_RGB,
                              alpha ? heif_chroma_interleaved_RGBA : heif_chroma_interleaved_RGB,
                              opts);
        if (e.code)
            rc = heif_failure(path, &e, "decoding", err);
    }
    if (rc == 0 && (rc = to_bgr(img, alpha, out)) < 0)
        rc = rc == CB_ENOMEM ? cb_error_set(err, CB_ENOMEM, "%s: out of memory", path)
                             : cb_error_set(err, CB_EDECODE, "%s: decoded image unusable", path);
    if (rc == 0 && info) {
        info->codec_id = av1 ? AV_CODEC_ID_AV1 : AV_CODEC_ID_HEVC;
        /* the container's turn and crop are part of the decoding: the
         * picture as decoded is the one "stored", with nothing left to turn */
        info->src_width = (*out)->width;
        info->src_height = (*out)->height;
        info->orientation = 1;
        info->had_alpha = alpha;
    }
    heif_image_release(img);
    heif_image_handle_release(h);
    heif_decoding_options_free(opts);
    return rc;
}

int cb_heif_read(const char *path, const uint8_t *data, size_t size,
                 const cb_image_limits *limits, AVFrame **out, cb_image_info *info,
                 cb_error *err)
{
    *out = NULL;
    struct heif_context *ctx = heif_context_alloc();
    if (!ctx)
        return cb_error_set(err, CB_ENOMEM, "%s: out of memory", path);
    /* libheif refuses larger pictures from the header, before it allocates
     * anything; ours on the area is checked on the primary image after */
    heif_context_set_maximum_image_size_limit(ctx, CB_HEIF_MAX_SIDE);
    struct heif_error e = heif_context_read_from_memory_without_copy(ctx, data, size, NULL);
    int rc = e.code ? heif_failure(path, &e, "not a valid file", err) : 0;
    if (rc == 0)
        rc = decode_primary(path, ctx, limits, heif_is_avif(data, size), out, info, err);
    heif_context_free(ctx);
    return rc;
}

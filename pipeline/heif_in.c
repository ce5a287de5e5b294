/* heif_in.c - HEIF/AVIF photos through libheif; see heif_in.h. */
#include "heif_in.h"

#include <libheif/heif.h>
#include <stdio.h>
#include <stdlib.h>
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

/* An open HEIF/AVIF file: its context and primary image. */
struct cb_heif {
    const char *path;
    struct heif_context *ctx;
    struct heif_image_handle *primary;
    int av1;
};

/* AVIF (AV1) rather than HEIC (HEVC), from the file's major brand. */
static int heif_is_avif(const uint8_t *data, size_t size)
{
    return size >= 12 && (!memcmp(data + 8, "avif", 4) || !memcmp(data + 8, "avis", 4));
}

int cb_heif_open(const char *path, const uint8_t *data, size_t size, cb_heif **out, int *width,
                 int *height, cb_error *err)
{
    *out = NULL;
    cb_heif *h = calloc(1, sizeof *h);
    if (!h || !(h->ctx = heif_context_alloc())) {
        free(h);
        return cb_error_set(err, CB_ENOMEM, "%s: out of memory", path);
    }
    h->path = path;
    h->av1 = heif_is_avif(data, size);
    /* libheif refuses larger pictures from the header, before it allocates anything */
    heif_context_set_maximum_image_size_limit(h->ctx, CB_HEIF_MAX_SIDE);
    struct heif_error e = heif_context_read_from_memory_without_copy(h->ctx, data, size, NULL);
    int rc = e.code ? heif_failure(path, &e, "not a valid file", err) : 0;
    if (rc == 0 && (e = heif_context_get_primary_image_handle(h->ctx, &h->primary)).code)
        rc = heif_failure(path, &e, "no primary image", err);
    if (rc < 0) {
        cb_heif_close(h);
        return rc;
    }
    *width = heif_image_handle_get_width(h->primary);
    *height = heif_image_handle_get_height(h->primary);
    *out = h;
    return 0;
}

enum AVCodecID cb_heif_codec(const cb_heif *h)
{
    return h->av1 ? AV_CODEC_ID_AV1 : AV_CODEC_ID_HEVC;
}

/* A new AV_PIX_FMT_RGB24 or RGBA frame holding a copy of img's interleaved plane. */
static int to_frame(const struct heif_image *img, int alpha, AVFrame **out)
{
    int stride = 0;
    const uint8_t *src = heif_image_get_plane_readonly(img, heif_channel_interleaved, &stride);
    AVFrame *f = av_frame_alloc();
    if (!f)
        return CB_ENOMEM;
    f->format = alpha ? AV_PIX_FMT_RGBA : AV_PIX_FMT_RGB24;
    f->width = heif_image_get_width(img, heif_channel_interleaved);
    f->height = heif_image_get_height(img, heif_channel_interleaved);
    if (!src || f->width <= 0 || f->height <= 0 || cb_frame_get_zeroed_buffer(f) < 0) {
        av_frame_free(&f);
        return src ? CB_ENOMEM : CB_EDECODE;
    }
    const size_t row = (size_t)f->width * (alpha ? 4 : 3);
    for (int y = 0; y < f->height; y++)
        memcpy(f->data[0] + (size_t)y * f->linesize[0], src + (size_t)y * stride, row);
    *out = f;
    return 0;
}

int cb_heif_decode(cb_heif *h, AVFrame **out, cb_error *err)
{
    *out = NULL;
    struct heif_image *img = NULL;
    struct heif_decoding_options *opts = heif_decoding_options_alloc();
    if (!opts)
        return cb_error_set(err, CB_ENOMEM, "%s: out of memory", h->path);
    opts->ignore_transformations = 0; /* irot, imir, clap: applied */
    opts->convert_hdr_to_8bit = 1;
    /* AV1 through libaom, not dav1d: dav1d writes to stderr and leaks on a
     * broken file (an image item with no data) */
    opts->decoder_id = h->av1 ? "aom" : NULL;
    const int alpha = heif_image_handle_has_alpha_channel(h->primary);
    struct heif_error e = heif_decode_image(
        h->primary, &img, heif_colorspace_RGB,
        alpha ? heif_chroma_interleaved_RGBA : heif_chroma_interleaved_RGB, opts);
    int rc = e.code ? heif_failure(h->path, &e, "decoding", err) : to_frame(img, alpha, out);
    if (rc == CB_ENOMEM)
        rc = cb_error_set(err, CB_ENOMEM, "%s: out of memory", h->path);
    else if (rc == CB_EDECODE && !e.code)
        rc = cb_error_set(err, CB_EDECODE, "%s: decoded image unusable", h->path);
    heif_image_release(img);
    heif_decoding_options_free(opts);
    return rc;
}

void cb_heif_close(cb_heif *h)
{
    if (!h)
        return;
    heif_image_handle_release(h->primary);
    heif_context_free(h->ctx);
    free(h);
}

/*
 * mkheif.c - write a HEIC with libheif's API from raw RGB24 pixels (as
 * `ffmpeg ... -pix_fmt rgb24 -f rawvideo` gives them), with what heif-enc
 * 1.15 cannot write: a rotation/mirroring (irot/imir boxes, from an EXIF-style
 * orientation: a viewer shows the pixels turned that way), and a depth map
 * beside the picture, as a phone's portrait mode stores it. Used by
 * tests/test_heif.c (built as cb_mkheif).
 *
 *   mkheif WIDTH HEIGHT IN.rgb OUT.heic ORIENTATION [exif|depth]
 *
 * ORIENTATION 1-8 as in EXIF. "exif": also an EXIF block whose Orientation
 * tag says the same, as iPhones write it (a reader must turn the picture
 * once, not twice). "depth": also a 96-pixel thumbnail and a depth image
 * (a monochrome auxiliary image of the primary one, auxC type
 * "urn:mpeg:hevc:2015:auxid:2"). libheif 1.15 has no API to write a depth
 * image, but it writes an alpha plane as an auxiliary image of type
 * "urn:mpeg:hevc:2015:auxid:1": the picture is encoded with a depth ramp as
 * its alpha and that one byte of the type is changed in the file. Exit
 * status 0, or 1 with a message on stderr.
 */
#include <libheif/heif.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(const char *what, struct heif_error e)
{
    fprintf(stderr, "mkheif: %s: %s\n", what, e.message ? e.message : "failed");
    return 1;
}

/* A w x h image of one interleaved RGB plane from rgb; with_depth: RGBA,
 * the fourth byte a ramp from near (255, left) to far (0, right). */
static struct heif_error new_image(int w, int h, const unsigned char *rgb, int with_depth,
                                   struct heif_image **out)
{
    const int n = with_depth ? 4 : 3;
    struct heif_error e = heif_image_create(
        w, h, heif_colorspace_RGB,
        with_depth ? heif_chroma_interleaved_RGBA : heif_chroma_interleaved_RGB, out);
    if (!e.code)
        e = heif_image_add_plane(*out, heif_channel_interleaved, w, h, 8);
    if (e.code)
        return e;
    int stride = 0;
    unsigned char *p = heif_image_get_plane(*out, heif_channel_interleaved, &stride);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            unsigned char *px = p + (size_t)y * stride + (size_t)n * x;
            memcpy(px, rgb + (size_t)3 * (w * y + x), 3);
            if (with_depth)
                px[3] = (unsigned char)(255 - 255 * x / (w > 1 ? w - 1 : 1));
        }
    return e;
}

/* Turn the alpha auxiliary image of the file at path into a depth image:
 * its auxC type "urn:mpeg:hevc:2015:auxid:1" becomes "...:2". */
static int alpha_to_depth(const char *path)
{
    static const char alpha_urn[] = "urn:mpeg:hevc:2015:auxid:1";
    FILE *f = fopen(path, "r+b");
    static unsigned char buf[1 << 22];
    size_t n = f ? fread(buf, 1, sizeof buf, f) : 0;
    unsigned char *hit = NULL;
    for (size_t i = 0; n >= sizeof alpha_urn && i <= n - sizeof alpha_urn && !hit; i++)
        if (!memcmp(buf + i, alpha_urn, sizeof alpha_urn))
            hit = buf + i;
    int ok = hit && n < sizeof buf && !fseek(f, (long)(hit - buf) + (long)sizeof alpha_urn - 2,
                                             SEEK_SET) && fputc('2', f) == '2';
    if (f && fclose(f))
        ok = 0;
    if (!ok)
        fprintf(stderr, "mkheif: no alpha auxiliary image to turn into depth in %s\n", path);
    return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
    const char *extra = argc == 7 ? argv[6] : "";
    if (argc != 6 && !(argc == 7 && (!strcmp(extra, "exif") || !strcmp(extra, "depth")))) {
        fprintf(stderr, "usage: mkheif WIDTH HEIGHT IN.rgb OUT.heic ORIENTATION [exif|depth]\n");
        return 1;
    }
    const int w = atoi(argv[1]), h = atoi(argv[2]), o = atoi(argv[5]);
    unsigned char *rgb = malloc((size_t)w * h * 3);
    FILE *f = fopen(argv[3], "rb");
    if (!rgb || !f || fread(rgb, 3, (size_t)w * h, f) != (size_t)w * h || o < 1 || o > 8) {
        fprintf(stderr, "mkheif: cannot read %s (or bad orientation)\n", argv[3]);
        return 1;
    }
    fclose(f);
    struct heif_context *ctx = heif_context_alloc();
    struct heif_encoder *enc = NULL;
    struct heif_image *img = NULL;
    struct heif_image_handle *handle = NULL;
    struct heif_encoding_options *opts = heif_encoding_options_alloc();
    opts->image_orientation = (enum heif_orientation)o;
    struct heif_error e = heif_context_get_encoder_for_format(ctx, heif_compression_HEVC, &enc);
    if (!e.code)
        e = heif_encoder_set_lossy_quality(enc, 90);
    if (!e.code)
        e = new_image(w, h, rgb, !strcmp(extra, "depth"), &img);
    if (!e.code)
        e = heif_context_encode_image(ctx, img, enc, opts, &handle);
    if (!e.code && !strcmp(extra, "depth"))
        e = heif_context_encode_thumbnail(ctx, img, handle, enc, opts, 96, NULL);
    if (!e.code && !strcmp(extra, "exif")) {
        /* a 4-byte offset to the TIFF header (0), then a big-endian TIFF with
         * one IFD entry: Orientation (0x0112, SHORT, 1) */
        const unsigned char exif[4 + 8 + 2 + 12 + 4] = {
            0, 0, 0, 0, 'M', 'M', 0, 42, 0, 0, 0, 8, 0, 1,
            0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, (unsigned char)o, 0, 0, 0, 0, 0, 0};
        e = heif_context_add_exif_metadata(ctx, handle, exif, (int)sizeof exif);
    }
    if (!e.code)
        e = heif_context_write_to_file(ctx, argv[4]);
    int rc = e.code ? fail(argv[4], e) : 0;
    if (!rc && !strcmp(extra, "depth"))
        rc = alpha_to_depth(argv[4]);
    heif_image_handle_release(handle);
    heif_image_release(img);
    heif_encoder_release(enc);
    heif_encoding_options_free(opts);
    heif_context_free(ctx);
    free(rgb);
    return rc;
}

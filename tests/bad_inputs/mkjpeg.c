/*
 * mkjpeg.c - write a JPEG in a layout FFmpeg's encoder does not produce, with
 * libjpeg, from raw RGB24 pixels (as `ffmpeg ... -pix_fmt rgb24 -f rawvideo`
 * gives them). Used by tests/test_bad_inputs.c (built as cb_mkjpeg) and by
 * tests/fuzz/make_corpus.sh (compiled on the fly).
 *
 *   mkjpeg MODE WIDTH HEIGHT IN.rgb OUT.jpg [ORIENTATION]
 *
 * MODE: rgb   ordinary YCbCr 4:2:0
 *       gray  one component (luma)
 *       cmyk  four components, Adobe APP14 (transform 0), inverted as
 *             Photoshop stores them: R = C*K/255 with black extracted
 *       ycck  four components, Adobe APP14 transform 2 (YCCK)
 *       prog  progressive YCbCr
 * ORIENTATION (1-8): an EXIF APP1 segment with that Orientation tag.
 * Exit status 0, or 1 with a message on stderr.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>

static int fail(const char *msg)
{
    fprintf(stderr, "mkjpeg: %s\n", msg);
    return 1;
}

/* A minimal big-endian EXIF block holding one IFD entry: Orientation. */
static void write_exif(j_compress_ptr c, int orientation)
{
    unsigned char b[6 + 8 + 2 + 12 + 4] = {'E', 'x', 'i', 'f', 0, 0,
                                           'M', 'M', 0, 42, 0, 0, 0, 8, /* TIFF header */
                                           0, 1,                        /* one entry */
                                           0x01, 0x12, 0, 3, 0, 0, 0, 1, 0,
                                           (unsigned char)orientation, 0, 0,
                                           0, 0, 0, 0}; /* no next IFD */
    jpeg_write_marker(c, JPEG_APP0 + 1, b, sizeof b);
}

int main(int argc, char **argv)
{
    if (argc != 6 && argc != 7)
        return fail("usage: mkjpeg rgb|gray|cmyk|ycck|prog WIDTH HEIGHT IN.rgb OUT.jpg "
                    "[ORIENTATION]");
    const char *mode = argv[1];
    int w = atoi(argv[2]), h = atoi(argv[3]);
    int orientation = argc == 7 ? atoi(argv[6]) : 0;
    if (w <= 0 || h <= 0 || w > 20000 || h > 20000 || orientation < 0 || orientation > 8)
        return fail("bad size or orientation");
    int comps;
    J_COLOR_SPACE in_cs, jpeg_cs;
    if (!strcmp(mode, "rgb")) {
        comps = 3, in_cs = JCS_RGB, jpeg_cs = JCS_YCbCr;
    } else if (!strcmp(mode, "gray")) {
        comps = 1, in_cs = JCS_GRAYSCALE, jpeg_cs = JCS_GRAYSCALE;
    } else if (!strcmp(mode, "cmyk")) {
        comps = 4, in_cs = JCS_CMYK, jpeg_cs = JCS_CMYK;
    } else if (!strcmp(mode, "ycck")) {
        comps = 4, in_cs = JCS_CMYK, jpeg_cs = JCS_YCCK;
    } else if (!strcmp(mode, "prog")) {
        comps = 3, in_cs = JCS_RGB, jpeg_cs = JCS_YCbCr;
    } else {
        return fail("unknown mode");
    }
    size_t n = (size_t)w * (size_t)h * 3;
    unsigned char *rgb = malloc(n);
    unsigned char *row = malloc((size_t)w * 4);
    if (!rgb || !row)
        return fail("out of memory");
    FILE *in = fopen(argv[4], "rb");
    if (!in || fread(rgb, 1, n, in) != n)
        return fail("cannot read the raw RGB input (wrong size?)");
    fclose(in);
    FILE *out = fopen(argv[5], "wb");
    if (!out)
        return fail("cannot create the output");

    struct jpeg_compress_struct c;
    struct jpeg_error_mgr jerr;
    c.err = jpeg_std_error(&jerr);
    jpeg_create_compress(&c);
    jpeg_stdio_dest(&c, out);
    c.image_width = (JDIMENSION)w;
    c.image_height = (JDIMENSION)h;
    c.input_components = comps;
    c.in_color_space = in_cs;
    jpeg_set_defaults(&c);
    jpeg_set_colorspace(&c, jpeg_cs);
    jpeg_set_quality(&c, 90, TRUE);
    if (!strcmp(mode, "prog"))
        jpeg_simple_progression(&c);
    jpeg_start_compress(&c, TRUE);
    if (orientation)
        write_exif(&c, orientation);
    while (c.next_scanline < c.image_height) {
        const unsigned char *s = rgb + (size_t)c.next_scanline * (size_t)w * 3;
        for (int x = 0; x < w; x++) {
            unsigned r = s[3 * x], g = s[3 * x + 1], b = s[3 * x + 2];
            if (comps == 1) {
                row[x] = (unsigned char)((299 * r + 587 * g + 114 * b + 500) / 1000);
            } else if (comps == 3) {
                memcpy(row + 3 * x, s + 3 * x, 3);
            } else {
                /* Inverted CMYK: k = max(r, g, b) is 255 - black ink; each of
                 * c, m, y is the channel with black taken out. */
                unsigned k = r > g ? r : g;
                k = k > b ? k : b;
                unsigned char *d = row + 4 * x;
                d[0] = (unsigned char)(k ? (r * 255 + k / 2) / k : 0);
                d[1] = (unsigned char)(k ? (g * 255 + k / 2) / k : 0);
                d[2] = (unsigned char)(k ? (b * 255 + k / 2) / k : 0);
                d[3] = (unsigned char)k;
            }
        }
        JSAMPROW rows[1] = {row};
        jpeg_write_scanlines(&c, rows, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    free(rgb);
    free(row);
    if (fclose(out) != 0)
        return fail("cannot write the output");
    return 0;
}

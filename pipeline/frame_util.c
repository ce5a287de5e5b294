/* frame_util.c - orientation and colour-conversion helpers; see frame_util.h. */
#include "frame_util.h"

#include <math.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavutil/display.h>
#include <libavutil/error.h>
#include <libavutil/imgutils.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>

int cb_orientation_from_display_matrix(const int32_t matrix[9], int *rotation_cw)
{
    int32_t m[9];
    if (rotation_cw)
        *rotation_cw = 0;
    memcpy(m, matrix, sizeof m);
    /* A negative determinant means a mirror; undo a horizontal one and read
     * the rotation of what is left. */
    int flip = (double)m[0] * m[4] - (double)m[1] * m[3] < 0;
    if (flip)
        av_display_matrix_flip(m, 1, 0);
    double angle = av_display_rotation_get(m); /* counterclockwise, degrees */
    if (isnan(angle))
        return 1;
    double cw = fmod(-angle + 720.0, 360.0); /* clockwise to apply, [0, 360) */
    int q = (int)lround(cw / 90.0);
    if (fabs(cw - 90.0 * q) > 1.0)
        return 1; /* not a right angle: used as stored */
    q %= 4;
    if (rotation_cw)
        *rotation_cw = 90 * q;
    static const int plain[4] = { 1, 6, 3, 8 };
    /* FFmpeg's mjpeg decoder encodes EXIF 5 as a mirror with -90 and 7 as a
     * mirror with +90 (checked against its "Orientation" tag); FFmpeg 6's
     * autorotation (transpose cclock_flip / clock_flip) agrees. */
    static const int mirrored[4] = { 2, 5, 4, 7 };
    return flip ? mirrored[q] : plain[q];
}

int cb_frame_get_pooled_buffer(AVFrame *frame, AVBufferPool **pool)
{
    const int size = av_image_get_buffer_size(frame->format, frame->width, frame->height, 64);
    if (size <= 0)
        return AVERROR(EINVAL);
    if (!*pool && !(*pool = av_buffer_pool_init((size_t)size + 64, av_buffer_alloc)))
        return AVERROR(ENOMEM);
    AVBufferRef *buf = av_buffer_pool_get(*pool);
    if (!buf)
        return AVERROR(ENOMEM);
    if (buf->size < (size_t)size + 64) { /* a pool made for another size */
        av_buffer_unref(&buf);
        return AVERROR(EINVAL);
    }
    /* 64-byte aligned planes, as av_frame_get_buffer makes them */
    uint8_t *data = buf->data + ((64 - ((uintptr_t)buf->data & 63)) & 63);
    int ret = av_image_fill_arrays(frame->data, frame->linesize, data, frame->format,
                                   frame->width, frame->height, 64);
    if (ret < 0) {
        av_buffer_unref(&buf);
        return ret;
    }
    frame->buf[0] = buf;
    frame->extended_data = frame->data;
    return 0;
}

int cb_frame_make_writable_pooled(AVFrame *frame, AVBufferPool **pool)
{
    if (av_frame_is_writable(frame))
        return 0;
    AVFrame *copy = av_frame_alloc();
    if (!copy)
        return AVERROR(ENOMEM);
    copy->format = frame->format;
    copy->width = frame->width;
    copy->height = frame->height;
    int ret = cb_frame_get_pooled_buffer(copy, pool);
    if (ret >= 0)
        ret = av_frame_copy(copy, frame);
    if (ret >= 0)
        ret = av_frame_copy_props(copy, frame);
    if (ret >= 0) {
        av_frame_unref(frame);
        av_frame_move_ref(frame, copy);
    }
    av_frame_free(&copy);
    return ret;
}

int cb_frame_get_zeroed_buffer(AVFrame *frame)
{
    int ret = av_frame_get_buffer(frame, 0);
    if (ret < 0)
        return ret;
    for (int i = 0; i < AV_NUM_DATA_POINTERS && frame->buf[i]; i++)
        memset(frame->buf[i]->data, 0, frame->buf[i]->size);
    return 0;
}

/* Copy one plane (w x h pixels of bpp bytes as stored) turned by orientation o
 * into dst (its size: w x h, or h x w for o >= 5). */
static void orient_plane(const uint8_t *src, ptrdiff_t ls, int w, int h, int bpp, int o,
                         uint8_t *dst, ptrdiff_t dls)
{
    /* Source pixel for display pixel (x, y): sx = a0 + ax*x + ay*y,
     * sy = b0 + bx*x + by*y. */
    static const struct { int a0w, ax, ay, b0h, bx, by; } map[9] = {
        { 0, 1, 0, 0, 0, 1 },   /* (unused) */
        { 0, 1, 0, 0, 0, 1 },   /* 1: as stored */
        { 1, -1, 0, 0, 0, 1 },  /* 2: sx = w-1-x, sy = y */
        { 1, -1, 0, 1, 0, -1 }, /* 3: sx = w-1-x, sy = h-1-y */
        { 0, 1, 0, 1, 0, -1 },  /* 4: sx = x, sy = h-1-y */
        { 0, 0, 1, 0, 1, 0 },   /* 5: sx = y, sy = x */
        { 0, 0, 1, 1, -1, 0 },  /* 6: sx = y, sy = h-1-x */
        { 1, 0, -1, 1, -1, 0 }, /* 7: sx = w-1-y, sy = h-1-x */
        { 1, 0, -1, 0, 1, 0 },  /* 8: sx = w-1-y, sy = x */
    };
    const ptrdiff_t origin = (ptrdiff_t)(map[o].b0h ? h - 1 : 0) * ls +
                             bpp * (ptrdiff_t)(map[o].a0w ? w - 1 : 0);
    const ptrdiff_t step_x = map[o].bx * ls + bpp * map[o].ax;
    const ptrdiff_t step_y = map[o].by * ls + bpp * map[o].ay;
    const int dw = o >= 5 ? h : w, dh = o >= 5 ? w : h;
    for (int y = 0; y < dh; y++) {
        uint8_t *d = dst + (ptrdiff_t)y * dls;
        const uint8_t *s = src + origin + (ptrdiff_t)y * step_y;
        if (step_x == bpp) {
            memcpy(d, s, (size_t)bpp * dw);
            continue;
        }
        for (int x = 0; x < dw; x++, s += step_x, d += bpp)
            memcpy(d, s, (size_t)bpp);
    }
}

int cb_frame_orient(const AVFrame *src, int o, AVFrame **out)
{
    const int yuv =
        src && (src->format == AV_PIX_FMT_YUV420P || src->format == AV_PIX_FMT_YUVJ420P);
    if (!src || !out || (src->format != AV_PIX_FMT_BGR24 && !yuv) || o < 1 || o > 8 ||
        src->width <= 0 || src->height <= 0)
        return AVERROR(EINVAL);
    AVFrame *dst = av_frame_alloc();
    if (!dst)
        return AVERROR(ENOMEM);
    dst->format = src->format;
    dst->width = o >= 5 ? src->height : src->width;
    dst->height = o >= 5 ? src->width : src->height;
    int ret = cb_frame_get_zeroed_buffer(dst);
    if (ret < 0) {
        av_frame_free(&dst);
        return ret;
    }
    for (int i = 0; i < (yuv ? 3 : 1); i++) {
        const int s = i > 0; /* the chroma planes of 4:2:0: half size, rounded up */
        orient_plane(src->data[i], src->linesize[i], (src->width + s) >> s,
                     (src->height + s) >> s, yuv ? 1 : 3, o, dst->data[i], dst->linesize[i]);
    }
    dst->color_range = src->color_range;
    dst->colorspace = src->colorspace;
    *out = dst;
    return 0;
}

struct SwsContext *cb_sws_to_rgb(const AVFrame *in, int dst_w, int dst_h, enum AVPixelFormat dst,
                                 int default_colorspace, int fast)
{
    enum AVPixelFormat src = in->format;
    int full = in->color_range == AVCOL_RANGE_JPEG;
    switch (src) {
    case AV_PIX_FMT_YUVJ420P: src = AV_PIX_FMT_YUV420P; full = 1; break;
    case AV_PIX_FMT_YUVJ422P: src = AV_PIX_FMT_YUV422P; full = 1; break;
    case AV_PIX_FMT_YUVJ444P: src = AV_PIX_FMT_YUV444P; full = 1; break;
    case AV_PIX_FMT_YUVJ440P: src = AV_PIX_FMT_YUV440P; full = 1; break;
    case AV_PIX_FMT_YUVJ411P: src = AV_PIX_FMT_YUV411P; full = 1; break;
    default: break;
    }
    const int flags = fast ? SWS_BILINEAR : SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT;
    struct SwsContext *sws =
        sws_getContext(in->width, in->height, src, dst_w, dst_h, dst, flags, NULL, NULL, NULL);
    const AVPixFmtDescriptor *desc = av_pix_fmt_desc_get(src);
    if (sws && desc && !(desc->flags & AV_PIX_FMT_FLAG_RGB) && desc->nb_components >= 3) {
        int cs = in->colorspace;
        if (cs == AVCOL_SPC_BT470BG || cs == AVCOL_SPC_SMPTE170M)
            cs = SWS_CS_ITU601;
        else if (cs != AVCOL_SPC_BT709 && cs != AVCOL_SPC_FCC && cs != AVCOL_SPC_SMPTE240M &&
                 cs != AVCOL_SPC_BT2020_NCL && cs != AVCOL_SPC_BT2020_CL)
            cs = default_colorspace; /* unspecified, RGB-tagged YUV, ... */
        const int *coefs = sws_getCoefficients(cs);
        sws_setColorspaceDetails(sws, coefs, full, sws_getCoefficients(SWS_CS_DEFAULT), 1, 0,
                                 1 << 16, 1 << 16);
    }
    return sws;
}

int cb_is_image_demuxer(const char *name)
{
    static const char *const extra[] = { "image2", "gif", "apng", "mjpeg", NULL };
    if (!name)
        return 0;
    size_t n = strlen(name);
    if (n > 5 && strcmp(name + n - 5, "_pipe") == 0)
        return 1;
    for (int i = 0; extra[i]; i++)
        if (strcmp(name, extra[i]) == 0)
            return 1;
    return 0;
}

/* Read n bytes at offset off of the source: 1 when they are all there. */
typedef int (*read_at_fn)(const void *src, uint64_t off, uint8_t *buf, size_t n);

typedef struct mem_span {
    const uint8_t *data;
    size_t size;
} mem_span;

static int mem_read_at(const void *src, uint64_t off, uint8_t *buf, size_t n)
{
    const mem_span *m = src;
    if (off > m->size || n > m->size - off)
        return 0;
    memcpy(buf, m->data + off, n);
    return 1;
}

static int fd_read_at(const void *src, uint64_t off, uint8_t *buf, size_t n)
{
    int fd = *(const int *)src;
    size_t got = 0;
    if (off > (uint64_t)INT64_MAX - n)
        return 0;
    while (got < n) {
        ssize_t r = pread(fd, buf + got, n - got, (off_t)(off + got));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return 0;
        got += (size_t)r;
    }
    return 1;
}

static int heif_brand(const uint8_t brand[4])
{
    static const char brands[][5] = {"heic", "heix", "heim", "heis", "hevc",
                                      "hevx", "mif1", "msf1", "avif", "avis"};
    for (size_t i = 0; i < sizeof brands / sizeof brands[0]; i++)
        if (memcmp(brand, brands[i], 4) == 0)
            return 1;
    return 0;
}

int cb_is_heif(const uint8_t *data, size_t size)
{
    return data && size >= 12 && memcmp(data + 4, "ftyp", 4) == 0 && heif_brand(data + 8);
}

/* Walk the top-level boxes of a file of `size` bytes. */
static int lacks_moov(read_at_fn rd, const void *src, uint64_t size)
{
    uint8_t h[16];
    uint64_t off = 0;
    if (size < 16 || !rd(src, 0, h, 12) || memcmp(h + 4, "ftyp", 4) != 0 || heif_brand(h + 8))
        return 0;
    for (int boxes = 0; off + 8 <= size && boxes < 100000; boxes++) {
        if (!rd(src, off, h, 8))
            return 0;
        if (memcmp(h + 4, "moov", 4) == 0)
            return 0;
        uint64_t len = (uint64_t)h[0] << 24 | (uint64_t)h[1] << 16 | (uint64_t)h[2] << 8 | h[3];
        if (len == 1) { /* 64-bit size follows */
            if (off + 16 > size || !rd(src, off + 8, h + 8, 8))
                return 1;
            len = 0;
            for (int i = 8; i < 16; i++)
                len = len << 8 | h[i];
            if (len < 16)
                return 0; /* malformed: not sure what it is */
        } else if (len == 0) {
            return 1; /* the last box runs to the end: no moov after it */
        } else if (len < 8) {
            return 0;
        }
        if (len > size - off)
            return 1; /* a box runs past the end: cut short */
        off += len;
    }
    return off >= size;
}

int cb_mp4_lacks_moov(const uint8_t *data, size_t size)
{
    mem_span m = {data, size};
    return data ? lacks_moov(mem_read_at, &m, size) : 0;
}

int cb_mp4_file_lacks_moov(int fd)
{
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0)
        return 0;
    return lacks_moov(fd_read_at, &fd, (uint64_t)st.st_size);
}

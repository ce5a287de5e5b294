/* media_out.c - encode a BGR frame as JPEG/PNG/WebP and write it atomically;
 * see media_out.h. */
#include "media_out.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libswscale/swscale.h>

#include "atomic_file.h"
#include "frame_util.h"
#include "media_steps.h"

enum AVCodecID cb_image_codec_for_path(const char *path)
{
    if (!path)
        return AV_CODEC_ID_NONE;
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    if (!dot || dot == base)
        return AV_CODEC_ID_NONE;
    const char *ext = dot + 1;
    if (strcasecmp(ext, "jpg") == 0 || strcasecmp(ext, "jpeg") == 0)
        return AV_CODEC_ID_MJPEG;
    if (strcasecmp(ext, "png") == 0)
        return AV_CODEC_ID_PNG;
    if (strcasecmp(ext, "webp") == 0)
        return AV_CODEC_ID_WEBP;
    return AV_CODEC_ID_NONE;
}

const char *cb_image_extension_for_codec(enum AVCodecID codec_id)
{
    switch (codec_id) {
    case AV_CODEC_ID_MJPEG: return "jpg";
    case AV_CODEC_ID_PNG: return "png";
    case AV_CODEC_ID_WEBP: return "webp";
    default: return NULL;
    }
}

/* Encoder input pixel format for each output codec. */
static enum AVPixelFormat encoder_pix_fmt(enum AVCodecID id, int quality)
{
    switch (id) {
    case AV_CODEC_ID_MJPEG:
        /* Full-range JPEG YUV; no chroma subsampling at high quality. */
        return quality >= 90 ? AV_PIX_FMT_YUVJ444P : AV_PIX_FMT_YUVJ420P;
    case AV_CODEC_ID_PNG: return AV_PIX_FMT_RGB24;
    case AV_CODEC_ID_WEBP: return AV_PIX_FMT_RGB32; /* libwebp converts to YUV itself */
    default: return AV_PIX_FMT_NONE;
    }
}

/* The encoder for id at quality, opened for frame's size. */
static int open_image_encoder(const char *path, const AVFrame *frame, enum AVCodecID id,
                              int quality, AVCodecContext **out, cb_error *err)
{
    char msg[AV_ERROR_MAX_STRING_SIZE];
    const AVCodec *codec = id == AV_CODEC_ID_WEBP ? avcodec_find_encoder_by_name("libwebp")
                                                  : avcodec_find_encoder(id);
    if (!codec)
        return cb_error_set(err, CB_EFORMAT, "%s: no %s encoder in this FFmpeg build", path,
                            avcodec_get_name(id));
    AVCodecContext *enc = avcodec_alloc_context3(codec);
    if (!enc)
        return cb_out_of_memory(path, err);
    enc->width = frame->width;
    enc->height = frame->height;
    enc->pix_fmt = encoder_pix_fmt(id, quality);
    enc->time_base = (AVRational){ 1, 25 };
    enc->sample_aspect_ratio = (AVRational){ 1, 1 }; /* square pixels (PNG pHYs 1:1) */
    enc->flags |= AV_CODEC_FLAG_BITEXACT; /* no encoder version string in the file */
    enc->thread_count = 1;
    if (id == AV_CODEC_ID_MJPEG) {
        /* quality 100 -> qscale 1 (best) ... quality 1 -> 31 (worst); 92 -> 3 */
        int q = 1 + ((100 - quality) * 30 + 49) / 99;
        enc->color_range = AVCOL_RANGE_JPEG;
        enc->flags |= AV_CODEC_FLAG_QSCALE;
        enc->global_quality = q * FF_QP2LAMBDA;
        enc->qmin = 1;
        enc->qmax = 31;
        /* The standard Huffman tables: FFmpeg's default, "optimal", keeps every
         * coefficient of the picture for a second pass (144 MB for a 12 MP
         * 4:4:4 photo, the largest allocation of a run); the file is about 4%
         * larger, the pixels are the same. */
        av_opt_set(enc->priv_data, "huffman", "default", 0);
    } else if (id == AV_CODEC_ID_WEBP) {
        av_opt_set_double(enc->priv_data, "quality", (double)quality, 0);
    }
    int ret = avcodec_open2(enc, codec, NULL);
    if (ret < 0) {
        av_strerror(ret, msg, sizeof msg);
        avcodec_free_context(&enc);
        return cb_error_set(err, CB_EENCODE, "%s: cannot open %s encoder: %s", path, codec->name,
                            msg);
    }
    *out = enc;
    return 0;
}

/* swscale from frame (BGR24) to pix, or NULL. JPEG (JFIF) is BT.601 full
 * range: swscale wants its yuvj formats spelled as yuv + full range. */
static struct SwsContext *bgr24_to(const AVFrame *frame, enum AVPixelFormat pix)
{
    const int jpeg = pix == AV_PIX_FMT_YUVJ444P || pix == AV_PIX_FMT_YUVJ420P;
    enum AVPixelFormat sws_pix = pix == AV_PIX_FMT_YUVJ444P   ? AV_PIX_FMT_YUV444P
                                 : pix == AV_PIX_FMT_YUVJ420P ? AV_PIX_FMT_YUV420P
                                                              : pix;
    struct SwsContext *sws =
        sws_getContext(frame->width, frame->height, AV_PIX_FMT_BGR24, frame->width,
                       frame->height, sws_pix, SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT,
                       NULL, NULL, NULL);
    if (sws && jpeg) {
        const int *coefs = sws_getCoefficients(SWS_CS_ITU601);
        sws_setColorspaceDetails(sws, coefs, 1, coefs, 1, 0, 1 << 16, 1 << 16);
    }
    return sws;
}

/* frame's pixels in a new frame of the encoder's pixel format. */
static int convert_for_encoder(const char *path, const AVFrame *frame, enum AVPixelFormat pix,
                               AVFrame **out, cb_error *err)
{
    AVFrame *conv = av_frame_alloc();
    if (!conv)
        return cb_out_of_memory(path, err);
    conv->format = pix;
    conv->width = frame->width;
    conv->height = frame->height;
    struct SwsContext *sws = NULL;
    int ret = cb_frame_get_zeroed_buffer(conv) < 0 ? cb_out_of_memory(path, err) : 0;
    if (ret == 0 && !(sws = bgr24_to(frame, pix)))
        ret = cb_error_set(err, CB_EENCODE, "%s: cannot convert BGR24 to %s", path,
                           av_get_pix_fmt_name(pix));
    if (ret == 0 && sws_scale(sws, (const uint8_t *const *)frame->data, frame->linesize, 0,
                              frame->height, conv->data, conv->linesize) < 0)
        ret = cb_error_set(err, CB_EENCODE, "%s: pixel conversion failed", path);
    sws_freeContext(sws);
    if (ret < 0) {
        av_frame_free(&conv);
        return ret;
    }
    *out = conv;
    return 0;
}

/* Encode pic, the one and only frame, into *out. */
static int encode_one(const char *path, AVCodecContext *enc, const AVFrame *pic,
                      AVPacket **out, cb_error *err)
{
    char msg[AV_ERROR_MAX_STRING_SIZE];
    AVPacket *pkt = av_packet_alloc();
    if (!pkt)
        return cb_out_of_memory(path, err);
    int ret = avcodec_send_frame(enc, pic);
    if (ret >= 0)
        ret = avcodec_send_frame(enc, NULL);
    if (ret >= 0)
        ret = avcodec_receive_packet(enc, pkt);
    if (ret < 0 || pkt->size <= 0) {
        av_strerror(ret, msg, sizeof msg);
        av_packet_free(&pkt);
        return cb_error_set(err, CB_EENCODE, "%s: %s encoder failed: %s", path, enc->codec->name,
                            ret < 0 ? msg : "empty output");
    }
    *out = pkt;
    return 0;
}

/*
 * Encode `frame` into one packet (for these codecs the packet is the whole
 * file: SOI..EOI, PNG signature..IEND, RIFF WebP). Returns 0 or CB_E*.
 */
static int encode_image(const char *path, const AVFrame *frame, enum AVCodecID id, int quality,
                        AVPacket **out_pkt, cb_error *err)
{
    AVCodecContext *enc = NULL;
    AVFrame *conv = NULL;
    int ret = open_image_encoder(path, frame, id, quality, &enc, err);
    if (ret == 0)
        ret = convert_for_encoder(path, frame, enc->pix_fmt, &conv, err);
    if (ret == 0) {
        if (id == AV_CODEC_ID_MJPEG)
            conv->quality = enc->global_quality;
        conv->pts = 0;
        ret = encode_one(path, enc, conv, out_pkt, err);
    }
    av_frame_free(&conv);
    avcodec_free_context(&enc);
    return ret;
}

/* The checks cb_image_write and cb_image_encode share; `label` names the
 * output in messages. *quality = the quality to use. */
static int check_args(const char *label, const AVFrame *frame, const cb_image_write_opts *opts,
                      int *quality, cb_error *err)
{
    if (!frame || !opts)
        return cb_error_set(err, CB_EINVAL, "%s: %s is NULL", label, !frame ? "frame" : "opts");
    if (frame->format != AV_PIX_FMT_BGR24 || frame->width <= 0 || frame->height <= 0 ||
        !frame->data[0])
        return cb_error_set(err, CB_EINVAL, "%s: frame is not a BGR24 picture", label);
    *quality = opts->quality == 0 ? 92 : opts->quality;
    if (*quality < 1 || *quality > 100)
        return cb_error_set(err, CB_EINVAL, "%s: quality %d outside 1..100", label,
                            opts->quality);
    if (!cb_image_extension_for_codec(opts->codec_id))
        return cb_error_set(err, CB_EFORMAT, "%s: unsupported output codec %s", label,
                            avcodec_get_name(opts->codec_id));
    return 0;
}

int cb_image_write(const char *path, const AVFrame *frame, const cb_image_write_opts *opts,
                   cb_error *err)
{
    AVPacket *pkt = NULL;
    cb_atomic_file file = CB_ATOMIC_FILE_INIT;
    int ret, quality = 0;

    if (!path || !*path) {
        ret = cb_error_set(err, CB_EINVAL, "cb_image_write: path is NULL or empty");
        goto fail;
    }
    if ((ret = check_args(path, frame, opts, &quality, err)) < 0)
        goto fail;
    if ((ret = cb_output_path_check(path, opts->overwrite, err)) < 0)
        goto fail;

    if ((ret = encode_image(path, frame, opts->codec_id, quality, &pkt, err)) < 0)
        goto fail;

    if ((ret = cb_atomic_open(&file, path, err)) < 0)
        goto fail;
    if ((ret = cb_atomic_write(&file, pkt->data, (size_t)pkt->size, err)) < 0)
        goto fail;
    if ((ret = cb_atomic_commit(&file, opts->overwrite, err)) < 0)
        goto fail;
    av_packet_free(&pkt);
    return 0;

fail:
    cb_atomic_abort(&file);
    av_packet_free(&pkt);
    return ret;
}

int cb_image_encode(const AVFrame *frame, const cb_image_write_opts *opts, uint8_t **data,
                    size_t *size, cb_error *err)
{
    AVPacket *pkt = NULL;
    int ret, quality = 0;
    if (!data || !size)
        return cb_error_set(err, CB_EINVAL, "cb_image_encode: no output pointers");
    *data = NULL;
    *size = 0;
    if ((ret = check_args("image", frame, opts, &quality, err)) < 0)
        return ret;
    if ((ret = encode_image("image", frame, opts->codec_id, quality, &pkt, err)) < 0)
        return ret;
    uint8_t *buf = malloc((size_t)pkt->size);
    if (!buf) {
        av_packet_free(&pkt);
        return cb_error_set(err, CB_ENOMEM, "image: out of memory");
    }
    memcpy(buf, pkt->data, (size_t)pkt->size);
    *data = buf;
    *size = (size_t)pkt->size;
    av_packet_free(&pkt);
    return 0;
}

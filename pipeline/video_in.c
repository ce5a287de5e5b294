/* video_in.c - decode a video into upright BGR24 frames; see video_in.h. */
#include "video_in.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavformat/avformat.h>
#include <libavutil/display.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>

#include "av_input.h"
#include "frame_util.h"
#include "media_steps.h"

#define CB_VIDEO_DEFAULT_MAX_PIXELS 36000000LL

struct cb_video_in {
    char *path;
    cb_av_input in;
    AVCodecContext *dec;
    AVPacket *pkt;
    AVFrame *decoded;
    struct SwsContext *sws;
    int sws_w, sws_h, sws_fmt, sws_cs, sws_range; /* what sws was made for */
    int si;                  /* the video stream */
    int width, height;       /* stored size (before orientation) of every frame */
    int orientation;
    int rotation;            /* the rotation part of orientation, degrees clockwise */
    int default_cs;          /* SWS_CS_ITU601 or SWS_CS_ITU709 for unspecified YUV */
    long long max_pixels;
    AVRational tb;
    AVRational sar;          /* of the returned frames */
    AVRational rate;         /* the stream's frame rate, 0/1 when unknown */
    int64_t default_duration; /* one frame in tb, at least 1 */
    int64_t last_pts;        /* AV_NOPTS_VALUE before the first frame */
    int64_t frames_out;
    int draining, eof;
    int failed;              /* sticky error code */
    cb_video_use use;        /* cb_video_in_set_use */
    AVBufferPool *pool;      /* BGR frames for analysis */
};

/* Index of the first video stream that is not cover art, or -1. */
static int first_video_stream(const AVFormatContext *fmt)
{
    for (unsigned i = 0; i < fmt->nb_streams; i++) {
        const AVStream *st = fmt->streams[i];
        if (st->codecpar->codec_type == AVMEDIA_TYPE_VIDEO &&
            !(st->disposition & AV_DISPOSITION_ATTACHED_PIC))
            return (int)i;
    }
    return -1;
}

/* 1 when some index entry (MP4/MOV samples, AVI index) lies past the end of
 * the file: the file was cut short. */
static int index_past_end(AVFormatContext *fmt, int64_t file_size)
{
    if (file_size <= 0)
        return 0;
    for (unsigned i = 0; i < fmt->nb_streams; i++) {
        AVStream *st = fmt->streams[i];
        int n = avformat_index_get_entries_count(st);
        for (int k = 0; k < n; k++) {
            const AVIndexEntry *e = avformat_index_get_entry(st, k);
            if (e && e->size > 0 && e->pos >= 0 && e->pos > file_size - e->size)
                return 1;
        }
    }
    return 0;
}

/* Does the file start like a HEIF/AVIF photo (media_in.h reads those)?
 * FFmpeg 5.1's mov demuxer takes an AVIF for a one-frame AV1 video. */
static int starts_like_heif(const char *path)
{
    uint8_t head[12];
    const int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return 0;
    const ssize_t n = read(fd, head, sizeof head);
    close(fd);
    return n == (ssize_t)sizeof head && cb_is_heif(head, sizeof head);
}

int cb_video_probe(const char *path, cb_error *err)
{
    cb_av_input in;
    if (!path)
        return cb_error_set(err, CB_EINVAL, "cb_video_probe: path is NULL");
    if (starts_like_heif(path))
        return 0;
    int ret = cb_av_input_open(&in, path, err);
    if (ret == CB_EDECODE) {
        if (err)
            *err = (cb_error){ 0 };
        return 0;
    }
    if (ret < 0)
        return ret;
    ret = 0;
    if (!cb_is_image_demuxer(in.fmt->iformat->name) &&
        avformat_find_stream_info(in.fmt, NULL) >= 0 && first_video_stream(in.fmt) >= 0)
        ret = 1;
    cb_av_input_close(&in);
    return ret;
}

void cb_video_in_close(cb_video_in *v)
{
    if (!v)
        return;
    sws_freeContext(v->sws);
    av_buffer_pool_uninit(&v->pool);
    av_frame_free(&v->decoded);
    av_packet_free(&v->pkt);
    avcodec_free_context(&v->dec);
    cb_av_input_close(&v->in);
    free(v->path);
    free(v);
}

/* A new reader for path, before anything is opened; NULL when out of memory. */
static cb_video_in *reader_new(const char *path, long long max_pixels)
{
    cb_video_in *v = calloc(1, sizeof *v);
    if (!v)
        return NULL;
    v->in.src.fd = -1;
    v->path = strdup(path);
    if (!v->path) {
        free(v);
        return NULL;
    }
    v->max_pixels = max_pixels ? max_pixels : CB_VIDEO_DEFAULT_MAX_PIXELS;
    v->last_pts = AV_NOPTS_VALUE;
    return v;
}

/* For a file that no demuxer recognised (CB_EDECODE, err already says so):
 * the better reason when it is an MP4/MOV cut short before its index. */
static int explain_unrecognised(const char *path, cb_error *err)
{
    const int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    const int lacks_moov = fd >= 0 && cb_mp4_file_lacks_moov(fd);
    if (fd >= 0)
        close(fd);
    if (!lacks_moov)
        return CB_EDECODE;
    return cb_error_set(err, CB_EDECODE,
                        "%s: an MP4/MOV file without its index (no moov box): cut "
                        "short while it was being recorded or copied",
                        path);
}

/* Open the container and check that it is a whole video: not a still
 * image, stream information readable, a video stream (v->si), no index
 * entry past the end of the file. */
static int open_container(cb_video_in *v, cb_error *err)
{
    char msg[AV_ERROR_MAX_STRING_SIZE];
    int ret = cb_av_input_open(&v->in, v->path, err);
    if (ret == CB_EDECODE)
        return explain_unrecognised(v->path, err);
    if (ret < 0)
        return ret;
    AVFormatContext *fmt = v->in.fmt;
    if (cb_is_image_demuxer(fmt->iformat->name))
        return cb_error_set(err, CB_EDECODE, "%s: a still image (%s), not a video", v->path,
                            fmt->iformat->name);
    if ((ret = avformat_find_stream_info(fmt, NULL)) == AVERROR(ENOMEM))
        return cb_out_of_memory(v->path, err);
    if (ret < 0)
        return cb_error_set(err, CB_EDECODE, "%s: cannot read stream information: %s", v->path,
                            cb_av_strerror(ret, msg, sizeof msg));
    v->si = first_video_stream(fmt);
    if (v->si < 0)
        return cb_error_set(err, CB_EDECODE, "%s: no video stream (format %s)", v->path,
                            fmt->iformat->name);
    if (index_past_end(fmt, v->in.file_size))
        return cb_error_set(err, CB_EDECODE,
                            "%s: truncated file (its index points past the end)", v->path);
    return 0;
}

/* The stream's frame size, known and within the limit, from its header. */
static int check_frame_size(const cb_video_in *v, const AVCodecParameters *par, cb_error *err)
{
    if (par->width <= 0 || par->height <= 0)
        return cb_error_set(err, CB_EDECODE, "%s: video frame size unknown", v->path);
    if ((long long)par->width * par->height > v->max_pixels)
        return cb_error_set(err, CB_ETOOBIG, "%s: video too large (%dx%d, limit %lld pixels)",
                            v->path, par->width, par->height, v->max_pixels);
    return 0;
}

/* The stream's decoder (threaded as FFmpeg sees fit) and what reading needs. */
static int open_decoder(cb_video_in *v, const AVStream *st, cb_error *err)
{
    const cb_decoder_setup setup = {
        .thread_count = 0, /* automatic */
        .thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE,
        .max_pixels = v->max_pixels,
        .pkt_timebase = st->time_base,
    };
    cb_decoder_step step;
    const int ret = cb_decoder_open(st->codecpar, &setup, &v->dec, &step);
    if (ret < 0)
        return cb_decoder_failure(v->path, st->codecpar, step, ret, err);
    v->pkt = av_packet_alloc();
    v->decoded = av_frame_alloc();
    if (!v->pkt || !v->decoded)
        return cb_out_of_memory(v->path, err);
    return 0;
}

/* The stream's orientation (1 when it has no usable display matrix) and
 * its rotation part in *rotation. */
static int stream_orientation(const AVStream *st, int *rotation)
{
    size_t sd_size = 0;
    const uint8_t *sd = av_stream_get_side_data(st, AV_PKT_DATA_DISPLAYMATRIX, &sd_size);
    *rotation = 0;
    if (!sd || sd_size < 9 * sizeof(int32_t))
        return 1;
    int32_t m[9];
    memcpy(m, sd, sizeof m);
    return cb_orientation_from_display_matrix(m, rotation);
}

/* The sample aspect ratio of the upright frames (turned with them when
 * swap), 0/1 when unknown. */
static AVRational upright_sar(const AVStream *st, int swap)
{
    AVRational sar = st->sample_aspect_ratio.num > 0 ? st->sample_aspect_ratio
                                                     : st->codecpar->sample_aspect_ratio;
    if (sar.num <= 0 || sar.den <= 0)
        return (AVRational){ 0, 1 };
    return swap ? (AVRational){ sar.den, sar.num } : sar;
}

/* The stream's average (else nominal) frame rate, 0/1 when unknown. */
static AVRational stream_rate(const AVStream *st)
{
    AVRational rate = st->avg_frame_rate;
    if (rate.num <= 0 || rate.den <= 0)
        rate = st->r_frame_rate;
    if (rate.num <= 0 || rate.den <= 0)
        rate = (AVRational){ 0, 1 };
    return rate;
}

/* What the frames of stream st are made into: size, colour, orientation,
 * aspect, rate and the duration of one frame. */
static void read_geometry(cb_video_in *v, const AVStream *st)
{
    v->width = st->codecpar->width;
    v->height = st->codecpar->height;
    v->tb = st->time_base;
    v->default_cs = (v->width >= 1280 || v->height > 576) ? SWS_CS_ITU709 : SWS_CS_ITU601;
    v->orientation = stream_orientation(st, &v->rotation);
    v->sar = upright_sar(st, v->orientation >= 5);
    v->rate = stream_rate(st);
    v->default_duration = 1;
    if (v->rate.num > 0) {
        int64_t d = av_rescale_q(1, av_inv_q(v->rate), v->tb);
        if (d > 1)
            v->default_duration = d;
    }
}

static void fill_info(const cb_video_in *v, cb_video_info *info)
{
    const AVFormatContext *fmt = v->in.fmt;
    const AVStream *st = fmt->streams[v->si];
    const int swap = v->orientation >= 5;
    memset(info, 0, sizeof *info);
    info->width = swap ? v->height : v->width;
    info->height = swap ? v->width : v->height;
    info->coded_width = v->width;
    info->coded_height = v->height;
    info->rotation = v->rotation;
    info->orientation = v->orientation;
    info->time_base = v->tb;
    info->frame_rate = v->rate;
    info->frames = st->nb_frames > 0 ? st->nb_frames : 0;
    if (st->duration != AV_NOPTS_VALUE && st->duration > 0)
        info->duration = (double)st->duration * av_q2d(st->time_base);
    else if (fmt->duration != AV_NOPTS_VALUE && fmt->duration > 0)
        info->duration = (double)fmt->duration / AV_TIME_BASE;
    info->codec_id = st->codecpar->codec_id;
    info->sample_aspect_ratio = v->sar;
    for (unsigned i = 0; i < fmt->nb_streams; i++) {
        enum AVMediaType t = fmt->streams[i]->codecpar->codec_type;
        if (t == AVMEDIA_TYPE_AUDIO)
            info->audio_streams++;
        else if ((int)i != v->si)
            info->other_streams++;
    }
}

int cb_video_in_open(const char *path, long long max_pixels, cb_video_in **out,
                     cb_video_info *info, cb_error *err)
{
    if (out)
        *out = NULL;
    if (!path || !out)
        return cb_error_set(err, CB_EINVAL, "cb_video_in_open: %s is NULL", path ? "out" : "path");
    if (max_pixels < 0)
        return cb_error_set(err, CB_EINVAL, "%s: negative pixel limit", path);
    cb_video_in *v = reader_new(path, max_pixels);
    int ret = v ? open_container(v, err) : cb_out_of_memory(path, err);
    const AVStream *st = ret == 0 ? v->in.fmt->streams[v->si] : NULL;
    if (ret == 0)
        ret = check_frame_size(v, st->codecpar, err);
    if (ret == 0)
        ret = open_decoder(v, st, err);
    if (ret < 0) {
        cb_video_in_close(v);
        return ret;
    }
    read_geometry(v, st);
    if (info)
        fill_info(v, info);
    /* Only the chosen stream's packets reach us from the demuxer. */
    for (unsigned i = 0; i < v->in.fmt->nb_streams; i++)
        if ((int)i != v->si)
            v->in.fmt->streams[i]->discard = AVDISCARD_ALL;
    *out = v;
    return 0;
}

/* Is src a frame video_out.h takes as it is: 8-bit 4:2:0, limited range,
 * BT.709 (or unspecified where that is what we take it as), of the stored size? */
static int encoder_ready(const cb_video_in *v, const AVFrame *src)
{
    const int cs = src->colorspace;
    return src->format == AV_PIX_FMT_YUV420P && src->color_range != AVCOL_RANGE_JPEG &&
           (cs == AVCOL_SPC_BT709 ||
            (cs == AVCOL_SPC_UNSPECIFIED && v->default_cs == SWS_CS_ITU709)) &&
           src->width == v->width && src->height == v->height;
}

/* A new frame of src's pixels: a reference to src when it is for encoding
 * and encoder_ready, else converted to BGR24 (fast when for analysis). */
static int convert(cb_video_in *v, const AVFrame *src, AVFrame **out, cb_error *err)
{
    if (v->use == CB_VIDEO_FOR_ENCODING && encoder_ready(v, src)) {
        *out = av_frame_clone(src);
        return *out ? 0 : cb_out_of_memory(v->path, err);
    }
    if (!v->sws || v->sws_w != src->width || v->sws_h != src->height ||
        v->sws_fmt != src->format || v->sws_cs != (int)src->colorspace ||
        v->sws_range != (int)src->color_range) {
        sws_freeContext(v->sws);
        v->sws = cb_sws_to_rgb(src, v->width, v->height, AV_PIX_FMT_BGR24, v->default_cs,
                               v->use == CB_VIDEO_FOR_ANALYSIS);
        if (!v->sws) {
            const char *name = av_get_pix_fmt_name(src->format);
            return cb_error_set(err, CB_EDECODE, "%s: cannot convert %s frames to BGR", v->path,
                                name ? name : "unknown");
        }
        v->sws_w = src->width;
        v->sws_h = src->height;
        v->sws_fmt = src->format;
        v->sws_cs = src->colorspace;
        v->sws_range = src->color_range;
    }
    AVFrame *bgr = av_frame_alloc();
    if (!bgr)
        return cb_out_of_memory(v->path, err);
    bgr->format = AV_PIX_FMT_BGR24;
    bgr->width = v->width;
    bgr->height = v->height;
    /* frames for analysis come from a pool (they are never encoded: their
     * padding need not be zero) */
    if ((v->use == CB_VIDEO_FOR_ANALYSIS ? cb_frame_get_pooled_buffer(bgr, &v->pool)
                                         : cb_frame_get_zeroed_buffer(bgr)) < 0) {
        av_frame_free(&bgr);
        return cb_out_of_memory(v->path, err);
    }
    if (sws_scale(v->sws, (const uint8_t *const *)src->data, src->linesize, 0, src->height,
                  bgr->data, bgr->linesize) <= 0) {
        av_frame_free(&bgr);
        return cb_error_set(err, CB_EDECODE, "%s: pixel conversion failed", v->path);
    }
    *out = bgr;
    return 0;
}

/* src may be returned: not empty, within the limit, and not damage that the
 * decoder hid (concealment: missing slices, broken references) rather than
 * failing - that fails closed all the same, so no output is made from
 * frames that are not what the file holds. */
static int check_decoded(const cb_video_in *v, const AVFrame *src, cb_error *err)
{
    if (src->width <= 0 || src->height <= 0)
        return cb_error_set(err, CB_EDECODE, "%s: decoder returned an empty frame", v->path);
    if ((long long)src->width * src->height > v->max_pixels)
        return cb_error_set(err, CB_ETOOBIG,
                            "%s: video frame too large (%dx%d, limit %lld pixels)", v->path,
                            src->width, src->height, v->max_pixels);
    if (src->decode_error_flags || (src->flags & AV_FRAME_FLAG_CORRUPT)) {
        double at = src->best_effort_timestamp == AV_NOPTS_VALUE
                        ? 0.0
                        : (double)src->best_effort_timestamp * av_q2d(v->tb);
        return cb_error_set(err, CB_EDECODE,
                            "%s: corrupt video data at frame %lld (%.3f s): the decoder could "
                            "only conceal it",
                            v->path, (long long)v->frames_out, at);
    }
    return 0;
}

/* src's timestamp in *pts: the decoder's best effort, made strictly
 * increasing (see video_in.h, Timestamps). */
static int next_pts(const cb_video_in *v, const AVFrame *src, int64_t *pts, cb_error *err)
{
    *pts = src->best_effort_timestamp;
    if (v->last_pts == AV_NOPTS_VALUE) {
        if (*pts == AV_NOPTS_VALUE)
            *pts = 0;
        return 0;
    }
    if (*pts != AV_NOPTS_VALUE && *pts > v->last_pts)
        return 0;
    /* Missing or not increasing: one step after the previous frame, unless
     * that would overflow (a file with absurd timestamps). */
    const int64_t dur = src->pkt_duration > 0 ? src->pkt_duration : v->default_duration;
    const int64_t step = *pts == AV_NOPTS_VALUE ? dur : 1;
    if (v->last_pts > INT64_MAX - step)
        return cb_error_set(err, CB_EDECODE, "%s: timestamps out of range after frame %lld",
                            v->path, (long long)v->frames_out);
    *pts = v->last_pts + step;
    return 0;
}

/* Turn *pic upright as the file asks (replacing it; freed on failure). */
static int make_upright(const cb_video_in *v, AVFrame **pic, cb_error *err)
{
    AVFrame *up = NULL;
    if (v->orientation == 1)
        return 0;
    const int ret = cb_frame_orient(*pic, v->orientation, &up);
    av_frame_free(pic);
    if (ret < 0)
        return cb_out_of_memory(v->path, err);
    *pic = up;
    return 0;
}

/* Convert v->decoded to a new upright frame (BGR24, or YUV: convert) with its timestamp. */
static int deliver(cb_video_in *v, AVFrame **out, cb_error *err)
{
    const AVFrame *src = v->decoded;
    AVFrame *pic = NULL;
    int64_t pts = 0;
    int ret = check_decoded(v, src, err);
    if (ret == 0)
        ret = next_pts(v, src, &pts, err);
    if (ret == 0)
        ret = convert(v, src, &pic, err);
    if (ret == 0)
        ret = make_upright(v, &pic, err);
    if (ret < 0)
        return ret;
    pic->pts = pts;
    pic->best_effort_timestamp = pts;
    pic->pkt_dts = AV_NOPTS_VALUE;
    pic->pkt_duration = src->pkt_duration;
    pic->time_base = v->tb;
    pic->sample_aspect_ratio = v->sar;
    pic->key_frame = src->key_frame;
    pic->pict_type = src->pict_type;
    v->last_pts = pts;
    v->frames_out++;
    *out = pic;
    return 0;
}

/* Our code for an FFmpeg error from the demuxer or decoder. */
static int decode_error(cb_video_in *v, int averr, const char *what, cb_error *err)
{
    char msg[AV_ERROR_MAX_STRING_SIZE];
    if (averr == AVERROR(ENOMEM))
        return cb_out_of_memory(v->path, err);
    double at = v->last_pts == AV_NOPTS_VALUE ? 0.0 : (double)v->last_pts * av_q2d(v->tb);
    return cb_error_set(err, CB_EDECODE, "%s: %s after frame %lld (%.3f s): %s", v->path, what,
                        (long long)v->frames_out, at, cb_av_strerror(averr, msg, sizeof msg));
}

void cb_video_in_set_use(cb_video_in *v, cb_video_use use)
{
    v->use = use;
}

int cb_video_in_read(cb_video_in *v, AVFrame **frame, cb_error *err)
{
    int ret;
    if (frame)
        *frame = NULL;
    if (!v || !frame)
        return cb_error_set(err, CB_EINVAL, "cb_video_in_read: %s is NULL", v ? "frame" : "reader");
    if (v->failed)
        return cb_error_set(err, v->failed, "%s: reading stopped after an earlier error",
                            v->path);
    if (v->eof)
        return 1;
    for (;;) {
        ret = avcodec_receive_frame(v->dec, v->decoded);
        if (ret == 0) {
            ret = deliver(v, frame, err);
            av_frame_unref(v->decoded);
            if (ret < 0)
                v->failed = ret;
            return ret;
        }
        if (ret == AVERROR_EOF) {
            if (v->frames_out == 0) {
                ret = cb_error_set(err, CB_EDECODE, "%s: no video frame could be decoded",
                                   v->path);
                v->failed = ret;
                return ret;
            }
            v->eof = 1;
            return 1;
        }
        if (ret != AVERROR(EAGAIN) || v->draining) {
            ret = decode_error(v, ret, "cannot decode video", err);
            v->failed = ret;
            return ret;
        }
        ret = av_read_frame(v->in.fmt, v->pkt);
        if (ret == AVERROR_EOF) {
            v->draining = 1;
            ret = avcodec_send_packet(v->dec, NULL);
        } else if (ret < 0) {
            ret = decode_error(v, ret, "cannot read", err);
            v->failed = ret;
            return ret;
        } else if (v->pkt->stream_index != v->si) {
            av_packet_unref(v->pkt);
            continue;
        } else {
            ret = avcodec_send_packet(v->dec, v->pkt);
            av_packet_unref(v->pkt);
        }
        if (ret < 0 && ret != AVERROR(EAGAIN) && ret != AVERROR_EOF) {
            ret = decode_error(v, ret, "corrupt video data", err);
            v->failed = ret;
            return ret;
        }
    }
}

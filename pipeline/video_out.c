/* video_out.c - encode BGR frames to H.264 in MP4/MOV, copy audio, write
 * atomically; see video_out.h. */
#include "video_out.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/avstring.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>

#include "atomic_file.h"
#include "av_input.h"
#include "frame_util.h"
#include "media_steps.h"

struct cb_video_out {
    char *path;
    int overwrite;
    cb_atomic_file file;
    AVFormatContext *ofmt;
    AVCodecContext *enc;
    AVStream *vst;
    struct SwsContext *sws;
    AVFrame *yuv;  /* a BGR24 frame converted for the encoder */
    AVFrame *pass; /* a YUV420P frame passed on as it is (a reference while sending) */
    AVPacket *pkt;
    int in_width, in_height;  /* frames we accept */
    int width, height;        /* what we encode (even) */
    int64_t last_pts;         /* AV_NOPTS_VALUE before the first frame */
    int64_t frames;

    /* audio copied from audio_source */
    int has_audio_source;
    cb_av_input audio;
    int *audio_map;           /* input stream index -> output stream index, or -1 */
    AVPacket *apkt;
    int apkt_pending;         /* apkt holds a packet not yet written */
    int audio_eof;

    int failed;               /* sticky error code */
    int finished;
};

void cb_video_out_opts_default(cb_video_out_opts *opts)
{
    if (!opts)
        return;
    opts->crf = 20;
    opts->preset = "veryfast";
    opts->threads = 0;
    opts->overwrite = 0;
    opts->audio_source = NULL;
}

/* Tag x (an AVCodecContext or an AVFrame) as what is encoded: BT.709
 * primaries, transfer and matrix, limited range. */
#define TAG_BT709_LIMITED(x)                                                                   \
    ((x)->color_range = AVCOL_RANGE_MPEG, (x)->colorspace = AVCOL_SPC_BT709,                   \
     (x)->color_primaries = AVCOL_PRI_BT709, (x)->color_trc = AVCOL_TRC_BT709)

/* Our code for an FFmpeg error: ENOMEM -> CB_ENOMEM, other system errors
 * (EINVAL aside, which FFmpeg uses for bad data) stay -errno, the rest is
 * `fallback`. Fills err with "PATH: what: reason". */
static int av_fail(const char *path, int averr, int fallback, const char *what, cb_error *err)
{
    char msg[AV_ERROR_MAX_STRING_SIZE];
    int code = fallback;
    if (averr == AVERROR(ENOMEM))
        code = CB_ENOMEM;
    else if (averr < 0 && averr > -1000 && averr != AVERROR(EINVAL))
        code = averr; /* AVERROR(e) is -e */
    return cb_error_set(err, code, "%s: %s: %s", path, what,
                        cb_av_strerror(averr, msg, sizeof msg));
}

/* The muxer for path's extension, or NULL. */
static const char *muxer_for_path(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    if (!dot || dot == base)
        return NULL;
    if (strcasecmp(dot + 1, "mov") == 0)
        return "mov";
    if (strcasecmp(dot + 1, "mp4") == 0 || strcasecmp(dot + 1, "m4v") == 0)
        return "mp4";
    return NULL;
}

void cb_video_out_close(cb_video_out *v)
{
    if (!v)
        return;
    if (v->ofmt && v->ofmt->pb)
        avio_closep(&v->ofmt->pb);
    cb_atomic_abort(&v->file); /* removes the temporary file unless finished */
    avformat_free_context(v->ofmt);
    avcodec_free_context(&v->enc);
    sws_freeContext(v->sws);
    av_frame_free(&v->yuv);
    av_frame_free(&v->pass);
    av_packet_free(&v->pkt);
    av_packet_free(&v->apkt);
    if (v->has_audio_source)
        cb_av_input_close(&v->audio);
    free(v->audio_map);
    free(v->path);
    free(v);
}

/* Open audio_source and add an output stream for each of its audio streams. */
static int add_audio_streams(cb_video_out *v, const char *source, cb_error *err)
{
    int ret;
    if ((ret = cb_av_input_open(&v->audio, source, err)) < 0) {
        cb_error_prefix(err, "%s: audio source", v->path);
        return ret;
    }
    v->has_audio_source = 1;
    AVFormatContext *in = v->audio.fmt;
    if ((ret = avformat_find_stream_info(in, NULL)) < 0)
        return av_fail(source, ret, CB_EDECODE, "audio source: cannot read stream information",
                       err);
    v->audio_map = malloc(sizeof *v->audio_map * (in->nb_streams ? in->nb_streams : 1));
    v->apkt = av_packet_alloc();
    if (!v->audio_map || !v->apkt)
        return cb_out_of_memory(v->path, err);
    int n_audio = 0;
    for (unsigned i = 0; i < in->nb_streams; i++) {
        AVStream *ist = in->streams[i];
        v->audio_map[i] = -1;
        if (ist->codecpar->codec_type != AVMEDIA_TYPE_AUDIO) {
            ist->discard = AVDISCARD_ALL;
            continue;
        }
        enum AVCodecID id = ist->codecpar->codec_id;
        if (id == AV_CODEC_ID_NONE ||
            avformat_query_codec(v->ofmt->oformat, id, FF_COMPLIANCE_NORMAL) != 1)
            return cb_error_set(err, CB_EFORMAT,
                                "%s: the audio codec %s (stream %u of %s) cannot be stored in %s; "
                                "not writing a copy without it",
                                v->path, avcodec_get_name(id), i, source,
                                v->ofmt->oformat->name);
        AVStream *ost = avformat_new_stream(v->ofmt, NULL);
        if (!ost)
            return cb_out_of_memory(v->path, err);
        if ((ret = avcodec_parameters_copy(ost->codecpar, ist->codecpar)) < 0)
            return av_fail(v->path, ret, CB_EFORMAT, "copying audio parameters", err);
        ost->codecpar->codec_tag = 0;
        ost->time_base = ist->time_base;
        ost->disposition = n_audio == 0 ? AV_DISPOSITION_DEFAULT : 0;
        v->audio_map[i] = ost->index;
        n_audio++;
    }
    v->audio_eof = n_audio == 0;
    return 0;
}

/* Write one encoded video packet (v->pkt, in the encoder's time base). */
static int write_video_packet(cb_video_out *v, cb_error *err)
{
    v->pkt->stream_index = v->vst->index;
    av_packet_rescale_ts(v->pkt, v->enc->time_base, v->vst->time_base);
    int ret = av_interleaved_write_frame(v->ofmt, v->pkt); /* takes the packet's reference */
    if (ret < 0)
        return av_fail(v->path, ret, CB_EENCODE, "writing video", err);
    return 0;
}

/* Receive and write every packet the encoder has ready. */
static int drain_encoder(cb_video_out *v, cb_error *err)
{
    for (;;) {
        int ret = avcodec_receive_packet(v->enc, v->pkt);
        if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF)
            return 0;
        if (ret < 0)
            return av_fail(v->path, ret, CB_EENCODE, "H.264 encoder failed", err);
        if ((ret = write_video_packet(v, err)) < 0)
            return ret;
    }
}

/*
 * Copy audio packets whose time is at or before `until` (in tb); all that
 * remain when flush.
 */
static int copy_audio(cb_video_out *v, int64_t until, AVRational tb, int flush, cb_error *err)
{
    int ret;
    while (!v->audio_eof) {
        if (!v->apkt_pending) {
            ret = av_read_frame(v->audio.fmt, v->apkt);
            if (ret == AVERROR_EOF) {
                v->audio_eof = 1;
                break;
            }
            if (ret < 0)
                return av_fail(v->path, ret, CB_EDECODE, "reading the audio to copy", err);
            if (v->apkt->stream_index < 0 ||
                (unsigned)v->apkt->stream_index >= v->audio.fmt->nb_streams ||
                v->audio_map[v->apkt->stream_index] < 0) {
                av_packet_unref(v->apkt);
                continue;
            }
            v->apkt_pending = 1;
        }
        AVStream *ist = v->audio.fmt->streams[v->apkt->stream_index];
        int64_t ts = v->apkt->dts != AV_NOPTS_VALUE ? v->apkt->dts : v->apkt->pts;
        if (!flush && ts != AV_NOPTS_VALUE && av_compare_ts(ts, ist->time_base, until, tb) > 0)
            break;
        AVStream *ost = v->ofmt->streams[v->audio_map[v->apkt->stream_index]];
        v->apkt->stream_index = ost->index;
        v->apkt->pos = -1;
        av_packet_rescale_ts(v->apkt, ist->time_base, ost->time_base);
        v->apkt_pending = 0;
        ret = av_interleaved_write_frame(v->ofmt, v->apkt); /* takes the reference */
        if (ret < 0)
            return av_fail(v->path, ret, CB_EENCODE, "writing audio", err);
    }
    return 0;
}

/* What cb_video_out_open settled from its arguments. */
typedef struct out_settings {
    int crf;
    const char *preset;
    const char *muxer;
} out_settings;

/* Check the arguments and the output path; fill s. */
static int check_request(const char *path, const cb_video_info *info,
                         const cb_video_out_opts *opts, out_settings *s, cb_error *err)
{
    s->crf = opts->crf < 0 ? 20 : opts->crf;
    s->preset = opts->preset ? opts->preset : "veryfast";
    if (s->crf > 51)
        return cb_error_set(err, CB_EINVAL, "%s: CRF %d outside 0..51", path, opts->crf);
    if (opts->threads < 0)
        return cb_error_set(err, CB_EINVAL, "%s: negative thread count", path);
    if (info->width < 2 || info->height < 2 || info->time_base.num <= 0 ||
        info->time_base.den <= 0)
        return cb_error_set(err, CB_EINVAL, "%s: invalid video size %dx%d or time base %d/%d",
                            path, info->width, info->height, info->time_base.num,
                            info->time_base.den);
    s->muxer = muxer_for_path(path);
    if (!s->muxer)
        return cb_error_set(err, CB_EFORMAT, "%s: output must be .mp4 or .mov", path);
    return cb_output_path_check(path, opts->overwrite, err);
}

/* A new writer for path and frames of info's size, nothing opened yet;
 * NULL when out of memory. */
static cb_video_out *writer_new(const char *path, const cb_video_info *info, int overwrite)
{
    cb_video_out *v = calloc(1, sizeof *v);
    if (!v)
        return NULL;
    v->file = (cb_atomic_file)CB_ATOMIC_FILE_INIT;
    v->audio.src.fd = -1;
    v->path = strdup(path);
    if (!v->path) {
        free(v);
        return NULL;
    }
    v->overwrite = overwrite;
    v->in_width = info->width;
    v->in_height = info->height;
    v->width = info->width & ~1;
    v->height = info->height & ~1;
    v->last_pts = AV_NOPTS_VALUE;
    v->audio_eof = 1;
    return v;
}

static int open_muxer(cb_video_out *v, const char *muxer, cb_error *err)
{
    int ret = avformat_alloc_output_context2(&v->ofmt, NULL, muxer, NULL);
    if (ret < 0 || !v->ofmt)
        return av_fail(v->path, ret < 0 ? ret : AVERROR(ENOMEM), CB_EFORMAT, "no muxer", err);
    v->ofmt->flags |= AVFMT_FLAG_BITEXACT;
    return 0;
}

/* libx264 for frames of info's time base and aspect, at the encoded size. */
static int open_encoder(cb_video_out *v, const cb_video_info *info, const out_settings *s,
                        int threads, cb_error *err)
{
    const AVCodec *codec = avcodec_find_encoder_by_name("libx264");
    if (!codec)
        return cb_error_set(err, CB_EENCODE, "%s: no libx264 encoder in this FFmpeg build",
                            v->path);
    AVCodecContext *enc = v->enc = avcodec_alloc_context3(codec);
    if (!enc)
        return cb_out_of_memory(v->path, err);
    enc->width = v->width;
    enc->height = v->height;
    enc->pix_fmt = AV_PIX_FMT_YUV420P;
    enc->time_base = info->time_base;
    if (info->frame_rate.num > 0 && info->frame_rate.den > 0)
        enc->framerate = info->frame_rate;
    if (info->sample_aspect_ratio.num > 0 && info->sample_aspect_ratio.den > 0)
        enc->sample_aspect_ratio = info->sample_aspect_ratio;
    TAG_BT709_LIMITED(enc);
    enc->thread_count = threads;
    enc->flags |= AV_CODEC_FLAG_BITEXACT;
    if (v->ofmt->oformat->flags & AVFMT_GLOBALHEADER)
        enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    if (av_opt_set(enc->priv_data, "preset", s->preset, 0) < 0 ||
        av_opt_set_double(enc->priv_data, "crf", s->crf, 0) < 0)
        return cb_error_set(err, CB_EENCODE, "%s: cannot set libx264 options", v->path);
    int ret = avcodec_open2(enc, codec, NULL);
    if (ret < 0) {
        char what[160];
        snprintf(what, sizeof what, "cannot open libx264 (preset '%.40s', crf %d)", s->preset,
                 s->crf);
        return av_fail(v->path, ret, CB_EENCODE, what, err);
    }
    return 0;
}

/* The output's video stream, as the encoder makes it. */
static int add_video_stream(cb_video_out *v, cb_error *err)
{
    v->vst = avformat_new_stream(v->ofmt, NULL);
    if (!v->vst)
        return cb_out_of_memory(v->path, err);
    int ret = avcodec_parameters_from_context(v->vst->codecpar, v->enc);
    if (ret < 0)
        return av_fail(v->path, ret, CB_EENCODE, "encoder parameters", err);
    v->vst->time_base = v->enc->time_base;
    v->vst->sample_aspect_ratio = v->enc->sample_aspect_ratio;
    if (v->enc->framerate.num > 0)
        v->vst->avg_frame_rate = v->enc->framerate;
    v->vst->disposition = AV_DISPOSITION_DEFAULT;
    return 0;
}

/* The frames and packet that writing uses, and the BGR24 -> yuv420p
 * conversion (full-range RGB to BT.709 limited range). */
static int prepare_conversion(cb_video_out *v, cb_error *err)
{
    v->yuv = av_frame_alloc();
    v->pass = av_frame_alloc();
    v->pkt = av_packet_alloc();
    if (!v->yuv || !v->pass || !v->pkt)
        return cb_out_of_memory(v->path, err);
    v->yuv->format = AV_PIX_FMT_YUV420P;
    v->yuv->width = v->width;
    v->yuv->height = v->height;
    TAG_BT709_LIMITED(v->yuv);
    if (cb_frame_get_zeroed_buffer(v->yuv) < 0)
        return cb_out_of_memory(v->path, err);
    v->sws = sws_getContext(v->width, v->height, AV_PIX_FMT_BGR24, v->width, v->height,
                            AV_PIX_FMT_YUV420P, SWS_BICUBIC | SWS_ACCURATE_RND, NULL, NULL, NULL);
    if (!v->sws)
        return cb_error_set(err, CB_EENCODE, "%s: cannot convert BGR24 to yuv420p", v->path);
    const int *bt709 = sws_getCoefficients(SWS_CS_ITU709);
    sws_setColorspaceDetails(v->sws, bt709, 1, bt709, 0, 0, 1 << 16, 1 << 16);
    return 0;
}

/* The temporary file, written by FFmpeg's file protocol (the faststart
 * pass reopens it by name), with the header. */
static int start_file(cb_video_out *v, cb_error *err)
{
    AVDictionary *mux_opts = NULL;
    int ret = cb_atomic_open(&v->file, v->path, err);
    if (ret < 0)
        return ret;
    av_freep(&v->ofmt->url);
    v->ofmt->url = av_asprintf("file:%s", v->file.tmp);
    if (!v->ofmt->url)
        return cb_out_of_memory(v->path, err);
    if ((ret = avio_open2(&v->ofmt->pb, v->ofmt->url, AVIO_FLAG_WRITE, NULL, NULL)) < 0)
        return av_fail(v->path, ret, CB_EIO, "cannot open the temporary file", err);
    if (av_dict_set(&mux_opts, "movflags", "+faststart", 0) < 0) {
        av_dict_free(&mux_opts);
        return cb_out_of_memory(v->path, err);
    }
    ret = avformat_write_header(v->ofmt, &mux_opts);
    av_dict_free(&mux_opts);
    if (ret < 0)
        return av_fail(v->path, ret, CB_EFORMAT, "cannot start the output", err);
    return 0;
}

int cb_video_out_open(const char *path, const cb_video_info *info, const cb_video_out_opts *opts,
                      cb_video_out **out, cb_error *err)
{
    cb_video_out_opts defaults;
    out_settings s = { 0 };

    if (out)
        *out = NULL;
    if (!path || !*path || !info || !out)
        return cb_error_set(err, CB_EINVAL, "cb_video_out_open: %s is NULL or empty",
                            !path || !*path ? "path" : !info ? "info" : "out");
    if (!opts) {
        cb_video_out_opts_default(&defaults);
        opts = &defaults;
    }
    int ret = check_request(path, info, opts, &s, err);
    if (ret < 0)
        return ret;
    cb_video_out *v = writer_new(path, info, opts->overwrite);
    ret = v ? open_muxer(v, s.muxer, err) : cb_out_of_memory(path, err);
    if (ret == 0)
        ret = open_encoder(v, info, &s, opts->threads, err);
    if (ret == 0)
        ret = add_video_stream(v, err);
    if (ret == 0)
        ret = prepare_conversion(v, err);
    if (ret == 0 && opts->audio_source)
        ret = add_audio_streams(v, opts->audio_source, err);
    if (ret == 0)
        ret = start_file(v, err);
    if (ret < 0) {
        cb_video_out_close(v);
        return ret;
    }
    *out = v;
    return 0;
}

/*
 * *out: frame as the encoder takes it, with frame's pts. A YUV420P frame is
 * taken as it is (v->pass: a new reference, cropped to the encoded size,
 * tagged BT.709 limited range, what video_in passes on for encoding;
 * unreference it after sending); a BGR24 one is converted into v->yuv.
 */
static int to_encoder_frame(cb_video_out *v, const AVFrame *frame, AVFrame **out, cb_error *err)
{
    AVFrame *f = v->yuv;
    if (frame->format == AV_PIX_FMT_YUV420P) {
        f = v->pass;
        if (av_frame_ref(f, frame) < 0)
            return cb_out_of_memory(v->path, err);
        f->width = v->width;
        f->height = v->height;
        TAG_BT709_LIMITED(f);
    } else {
        if (av_frame_make_writable(f) < 0)
            return cb_out_of_memory(v->path, err);
        if (sws_scale(v->sws, (const uint8_t *const *)frame->data, frame->linesize, 0, v->height,
                      f->data, f->linesize) <= 0)
            return cb_error_set(err, CB_EENCODE, "%s: pixel conversion failed", v->path);
    }
    f->pts = frame->pts;
    f->pict_type = AV_PICTURE_TYPE_NONE;
    *out = f;
    return 0;
}

int cb_video_out_write(cb_video_out *v, const AVFrame *frame, cb_error *err)
{
    int ret;
    if (!v || !frame)
        return cb_error_set(err, CB_EINVAL, "cb_video_out_write: %s is NULL",
                            v ? "frame" : "writer");
    if (v->failed)
        return cb_error_set(err, v->failed, "%s: writing stopped after an earlier error", v->path);
    if (v->finished)
        return cb_error_set(err, CB_EINVAL, "%s: write after finish", v->path);
    if ((frame->format != AV_PIX_FMT_BGR24 && frame->format != AV_PIX_FMT_YUV420P) ||
        frame->width != v->in_width || frame->height != v->in_height || !frame->data[0])
        return cb_error_set(err, CB_EINVAL, "%s: frame is not a %dx%d BGR24 or YUV420P picture",
                            v->path, v->in_width, v->in_height);
    if (frame->pts == AV_NOPTS_VALUE ||
        (v->last_pts != AV_NOPTS_VALUE && frame->pts <= v->last_pts))
        return cb_error_set(err, CB_EINVAL, "%s: frame timestamps must increase (%lld after %lld)",
                            v->path, (long long)frame->pts, (long long)v->last_pts);

    AVFrame *pic = NULL;
    if ((ret = to_encoder_frame(v, frame, &pic, err)) < 0)
        goto fail;
    ret = avcodec_send_frame(v->enc, pic);
    av_frame_unref(v->pass);
    if (ret < 0) {
        ret = av_fail(v->path, ret, CB_EENCODE, "H.264 encoder refused a frame", err);
        goto fail;
    }
    v->last_pts = frame->pts;
    v->frames++;
    if ((ret = drain_encoder(v, err)) < 0)
        goto fail;
    if ((ret = copy_audio(v, frame->pts, v->enc->time_base, 0, err)) < 0)
        goto fail;
    return 0;

fail:
    v->failed = ret;
    return ret;
}

int cb_video_out_finish(cb_video_out *v, cb_error *err)
{
    int ret;
    if (!v)
        return cb_error_set(err, CB_EINVAL, "cb_video_out_finish: writer is NULL");
    if (v->failed)
        return cb_error_set(err, v->failed, "%s: not finished after an earlier error", v->path);
    if (v->finished)
        return 0;
    if (v->frames == 0) {
        ret = cb_error_set(err, CB_EENCODE, "%s: no video frames were written", v->path);
        goto fail;
    }
    if ((ret = avcodec_send_frame(v->enc, NULL)) < 0) {
        ret = av_fail(v->path, ret, CB_EENCODE, "flushing the H.264 encoder", err);
        goto fail;
    }
    if ((ret = drain_encoder(v, err)) < 0)
        goto fail;
    if ((ret = copy_audio(v, 0, (AVRational){ 1, 1 }, 1, err)) < 0)
        goto fail;
    if ((ret = av_write_trailer(v->ofmt)) < 0) {
        ret = av_fail(v->path, ret, CB_EENCODE, "cannot finish the file", err);
        goto fail;
    }
    if ((ret = avio_closep(&v->ofmt->pb)) < 0) {
        ret = av_fail(v->path, ret, CB_EIO, "cannot write the file", err);
        goto fail;
    }
    if ((ret = cb_atomic_commit(&v->file, v->overwrite, err)) < 0)
        goto fail;
    v->finished = 1;
    return 0;

fail:
    v->failed = ret;
    return ret;
}

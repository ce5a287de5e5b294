/* media_steps.c - steps the media readers and writers share; see media_steps.h. */
#include "media_steps.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic_file.h"
#include "av_input.h"

/* 0 when st is a non-empty regular file, else its error. */
static int check_regular(const char *path, const struct stat *st, cb_error *err)
{
    if (S_ISDIR(st->st_mode))
        return cb_error_set(err, -EISDIR, "%s: is a directory", path);
    if (!S_ISREG(st->st_mode))
        return cb_error_set(err, CB_EDECODE, "%s: not a regular file", path);
    if (st->st_size == 0)
        return cb_error_set(err, CB_EDECODE, "%s: empty file", path);
    return 0;
}

int cb_media_open_file(const char *path, int *fd, int64_t *size, cb_error *err)
{
    struct stat st;
    int ret;
    /* O_NONBLOCK: opening a named pipe must not wait for a writer (it is
     * refused below as not a regular file); regular files ignore it */
    *fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (*fd < 0) {
        ret = -errno;
        return cb_error_set(err, ret, "%s: cannot open: %s", path, strerror(errno));
    }
    if (fstat(*fd, &st) != 0) {
        ret = -errno;
        cb_error_set(err, ret, "%s: cannot stat: %s", path, strerror(errno));
    } else {
        ret = check_regular(path, &st, err);
    }
    if (ret < 0) {
        close(*fd);
        *fd = -1;
        return ret;
    }
    *size = (int64_t)st.st_size;
    return 0;
}

int cb_out_of_memory(const char *path, cb_error *err)
{
    return cb_error_set(err, CB_ENOMEM, "%s: out of memory", path);
}

int cb_decoder_open(const AVCodecParameters *par, const cb_decoder_setup *setup,
                    AVCodecContext **out, cb_decoder_step *failed)
{
    *out = NULL;
    const AVCodec *codec = avcodec_find_decoder(par->codec_id);
    if (!codec) {
        *failed = CB_DECODER_FIND;
        return AVERROR_DECODER_NOT_FOUND;
    }
    AVCodecContext *dec = avcodec_alloc_context3(codec);
    if (!dec) {
        *failed = CB_DECODER_ALLOC;
        return AVERROR(ENOMEM);
    }
    *failed = CB_DECODER_SETUP;
    int ret = avcodec_parameters_to_context(dec, par);
    if (ret >= 0) {
        if (setup->pkt_timebase.num != 0)
            dec->pkt_timebase = setup->pkt_timebase;
        if (setup->get_buffer2)
            dec->get_buffer2 = setup->get_buffer2;
        if (setup->err_recognition)
            dec->err_recognition = setup->err_recognition;
        dec->opaque = setup->opaque;
        dec->thread_count = setup->thread_count;
        dec->thread_type = setup->thread_type;
        dec->max_pixels = setup->max_pixels;
        *failed = CB_DECODER_OPEN;
        ret = avcodec_open2(dec, codec, NULL);
    }
    if (ret < 0) {
        avcodec_free_context(&dec);
        return ret;
    }
    *out = dec;
    return 0;
}

int cb_decoder_failure(const char *path, const AVCodecParameters *par, cb_decoder_step step,
                       int averr, cb_error *err)
{
    char msg[AV_ERROR_MAX_STRING_SIZE];
    const AVCodec *codec = avcodec_find_decoder(par->codec_id);
    switch (step) {
    case CB_DECODER_FIND:
        return cb_error_set(err, CB_EDECODE, "%s: no decoder for %s", path,
                            avcodec_get_name(par->codec_id));
    case CB_DECODER_ALLOC:
        return cb_out_of_memory(path, err);
    case CB_DECODER_SETUP:
        return cb_error_set(err, CB_EDECODE, "%s: decoder setup: %s", path,
                            cb_av_strerror(averr, msg, sizeof msg));
    case CB_DECODER_OPEN:
    default:
        return cb_error_set(err, CB_EDECODE, "%s: cannot open %s decoder: %s", path,
                            codec ? codec->name : avcodec_get_name(par->codec_id),
                            cb_av_strerror(averr, msg, sizeof msg));
    }
}

int cb_output_path_check(const char *path, int overwrite, cb_error *err)
{
    if (path[strlen(path) - 1] == '/')
        return cb_error_set(err, CB_EINVAL, "%s: output path names a folder", path);
    return cb_atomic_check_exists(path, overwrite, err);
}

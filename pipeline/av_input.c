/* av_input.c - open a media file by content, through its own descriptor; see av_input.h. */
#include "av_input.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "media_steps.h"

#define CB_AV_IO_BUFFER 65536

static int fd_read(void *opaque, uint8_t *buf, int buf_size)
{
    cb_av_input *s = opaque;
    for (;;) {
        ssize_t n = read(s->src.fd, buf, (size_t)buf_size);
        if (n > 0)
            return (int)n;
        if (n == 0)
            return AVERROR_EOF;
        if (errno != EINTR)
            return AVERROR(errno);
    }
}

static int64_t fd_seek(void *opaque, int64_t offset, int whence)
{
    cb_av_input *s = opaque;
    if ((whence & ~AVSEEK_FORCE) == AVSEEK_SIZE) {
        struct stat st;
        if (fstat(s->src.fd, &st) != 0)
            return AVERROR(errno);
        return (int64_t)st.st_size;
    }
    off_t r = lseek(s->src.fd, (off_t)offset, whence & ~AVSEEK_FORCE);
    return r < 0 ? AVERROR(errno) : (int64_t)r;
}

const char *cb_av_strerror(int averr, char *buf, size_t size)
{
    if (av_strerror(averr, buf, size) < 0)
        snprintf(buf, size, "error %d", averr);
    return buf;
}

void cb_av_input_close(cb_av_input *in)
{
    if (!in)
        return;
    if (in->fmt)
        avformat_close_input(&in->fmt); /* leaves the custom pb alone */
    if (in->avio) {
        av_freep(&in->avio->buffer);
        avio_context_free(&in->avio);
    }
    if (in->src.fd >= 0)
        close(in->src.fd);
    in->src.fd = -1;
}

int cb_av_input_open(cb_av_input *in, const char *path, cb_error *err)
{
    AVDictionary *opts = NULL;
    uint8_t *buf = NULL;
    char msg[AV_ERROR_MAX_STRING_SIZE];
    int ret;

    memset(in, 0, sizeof *in);
    if ((ret = cb_media_open_file(path, &in->src.fd, &in->file_size, err)) < 0)
        goto fail;

    buf = av_malloc(CB_AV_IO_BUFFER);
    if (!buf)
        goto nomem;
    in->avio = avio_alloc_context(buf, CB_AV_IO_BUFFER, 0, in, fd_read, NULL, fd_seek);
    if (!in->avio)
        goto nomem;
    buf = NULL; /* owned by avio now (it may replace it) */
    in->fmt = avformat_alloc_context();
    if (!in->fmt)
        goto nomem;
    in->fmt->pb = in->avio;
    in->fmt->flags |= AVFMT_FLAG_CUSTOM_IO;
    if (av_dict_set(&opts, "protocol_whitelist", "none", 0) < 0)
        goto nomem;
    ret = avformat_open_input(&in->fmt, NULL, NULL, &opts); /* frees fmt on failure */
    if (ret < 0) {
        if (ret == AVERROR(ENOMEM))
            goto nomem;
        ret = cb_error_set(err, CB_EDECODE, "%s: not a recognised media file: %s", path,
                           cb_av_strerror(ret, msg, sizeof msg));
        goto fail;
    }
    av_dict_free(&opts);
    return 0;

nomem:
    ret = cb_error_set(err, CB_ENOMEM, "%s: out of memory", path);
fail:
    av_dict_free(&opts);
    av_free(buf);
    cb_av_input_close(in);
    return ret;
}

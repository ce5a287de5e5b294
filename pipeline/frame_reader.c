/* frame_reader.c - decoding thread with a bounded queue; see frame_reader.h. */
#include "frame_reader.h"

#include <pthread.h>
#include <stdlib.h>

struct cb_frame_reader {
    cb_video_in *in;
    pthread_t thread;
    int started;
    pthread_mutex_t lock;
    pthread_cond_t changed;
    AVFrame **ring;
    int depth, head, count;
    int status;     /* 0 running; 1 end; < 0 error (after the queued frames) */
    int stop;       /* the consumer is closing */
    cb_error error;
    cb_frame_prepare_fn prepare;
    void *prepare_ctx;
    int64_t decoded; /* frames read so far */
};

static void *decode_loop(void *arg)
{
    cb_frame_reader *r = arg;
    for (;;) {
        AVFrame *frame = NULL;
        cb_error err = {0};
        int rc = cb_video_in_read(r->in, &frame, &err);
        if (rc == 0 && r->prepare)
            rc = r->prepare(r->prepare_ctx, frame, r->decoded, &err);
        r->decoded++;
        if (rc != 0)
            av_frame_free(&frame);
        pthread_mutex_lock(&r->lock);
        while (rc == 0 && !r->stop && r->count == r->depth)
            pthread_cond_wait(&r->changed, &r->lock);
        if (r->stop) {
            pthread_mutex_unlock(&r->lock);
            av_frame_free(&frame);
            return NULL;
        }
        if (rc == 0) {
            r->ring[(r->head + r->count) % r->depth] = frame;
            r->count++;
        } else {
            r->status = rc;
            r->error = err;
        }
        pthread_cond_broadcast(&r->changed);
        pthread_mutex_unlock(&r->lock);
        if (rc != 0)
            return NULL;
    }
}

int cb_frame_reader_open(const char *path, const cb_frame_reader_opts *opts,
                         cb_frame_reader **out, cb_video_info *info, cb_error *err)
{
    *out = NULL;
    if (opts->depth < 1)
        return cb_error_set(err, CB_EINVAL, "frame reader: depth must be at least 1");
    cb_frame_reader *r = calloc(1, sizeof *r);
    if (!r)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    r->depth = opts->depth;
    r->prepare = opts->prepare;
    r->prepare_ctx = opts->prepare_ctx;
    r->ring = calloc((size_t)r->depth, sizeof *r->ring);
    pthread_mutex_init(&r->lock, NULL);
    pthread_cond_init(&r->changed, NULL);
    int rc = r->ring ? 0 : cb_error_set(err, CB_ENOMEM, "out of memory");
    if (rc == 0)
        rc = cb_video_in_open(path, opts->max_pixels, &r->in, info, err);
    if (rc == 0)
        cb_video_in_set_use(r->in, opts->use);
    if (rc == 0) {
        int e = pthread_create(&r->thread, NULL, decode_loop, r);
        if (e != 0)
            rc = cb_error_set(err, -e, "%s: cannot start the decoding thread", path);
        else
            r->started = 1;
    }
    if (rc < 0) {
        cb_frame_reader_close(r);
        return rc;
    }
    *out = r;
    return 0;
}

int cb_frame_reader_next(cb_frame_reader *r, AVFrame **frame, cb_error *err)
{
    *frame = NULL;
    pthread_mutex_lock(&r->lock);
    while (r->count == 0 && r->status == 0)
        pthread_cond_wait(&r->changed, &r->lock);
    int rc;
    if (r->count > 0) {
        *frame = r->ring[r->head];
        r->ring[r->head] = NULL;
        r->head = (r->head + 1) % r->depth;
        r->count--;
        rc = 0;
        pthread_cond_broadcast(&r->changed);
    } else {
        rc = r->status;
        if (rc < 0 && err)
            *err = r->error;
    }
    pthread_mutex_unlock(&r->lock);
    return rc;
}

void cb_frame_reader_close(cb_frame_reader *r)
{
    if (!r)
        return;
    if (r->started) {
        pthread_mutex_lock(&r->lock);
        r->stop = 1;
        pthread_cond_broadcast(&r->changed);
        pthread_mutex_unlock(&r->lock);
        pthread_join(r->thread, NULL);
    }
    for (int i = 0; r->ring && i < r->count; i++)
        av_frame_free(&r->ring[(r->head + i) % r->depth]);
    free(r->ring);
    cb_video_in_close(r->in);
    pthread_mutex_destroy(&r->lock);
    pthread_cond_destroy(&r->changed);
    free(r);
}

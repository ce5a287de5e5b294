/*
 * media_steps.h - the steps that the image and video readers (media_in.c,
 * video_in.c, av_input.c) and writers (media_out.c, video_out.c) share, so
 * that each is written once: opening an input file, opening a decoder for a
 * stream, checking an output path.
 *
 * No state of its own: every function works on what it is given and may be
 * called from any thread. Errors: a negative code, with a one-line message
 * naming the file in err (cb_decoder_open: an FFmpeg code and the step that
 * failed, for the caller to phrase; cb_decoder_failure phrases it the usual
 * way).
 */
#ifndef CB_MEDIA_STEPS_H
#define CB_MEDIA_STEPS_H

#include <stdint.h>

#include <libavcodec/avcodec.h>

#include "../common/cb_error.h"

/*
 * Open path read-only (O_CLOEXEC) as a media input: 0 with the descriptor in
 * *fd (the caller closes it) and the file's size in *size; or -errno (cannot
 * open or stat it; -EISDIR for a folder), CB_EDECODE (not a regular file, or
 * empty), with *fd -1 and err naming the file ("PATH: cannot open: ...",
 * "PATH: is a directory", "PATH: empty file", ...).
 */
int cb_media_open_file(const char *path, int *fd, int64_t *size, cb_error *err);

/* err = CB_ENOMEM "PATH: out of memory". Returns CB_ENOMEM. */
int cb_out_of_memory(const char *path, cb_error *err);

/* How a decoder is set up before it is opened (cb_decoder_open). */
typedef struct cb_decoder_setup {
    int thread_count;          /* 0: FFmpeg's automatic choice */
    int thread_type;           /* FF_THREAD_FRAME / FF_THREAD_SLICE, 0 for none */
    long long max_pixels;      /* AVCodecContext.max_pixels */
    AVRational pkt_timebase;   /* the stream's time base; left unset when num is 0 */
    int err_recognition;       /* AV_EF_* flags; FFmpeg's default when 0 */
    int (*get_buffer2)(AVCodecContext *, AVFrame *, int); /* NULL: FFmpeg's own */
    void *opaque;              /* AVCodecContext.opaque (for get_buffer2) */
} cb_decoder_setup;

/* The step of cb_decoder_open that failed. */
typedef enum cb_decoder_step {
    CB_DECODER_FIND,   /* no decoder for the codec in this FFmpeg */
    CB_DECODER_ALLOC,  /* the context could not be allocated */
    CB_DECODER_SETUP,  /* the stream parameters could not be copied in */
    CB_DECODER_OPEN    /* avcodec_open2 refused */
} cb_decoder_step;

/*
 * Find the decoder for par's codec, allocate its context, copy par into it,
 * apply setup, open it. Returns 0 with *out (avcodec_free_context), or a
 * negative FFmpeg code with *out NULL, nothing left allocated and *failed
 * naming the step.
 */
int cb_decoder_open(const AVCodecParameters *par, const cb_decoder_setup *setup,
                    AVCodecContext **out, cb_decoder_step *failed);

/*
 * The error for a failed cb_decoder_open of path's stream par (averr and
 * step as it returned them): CB_EDECODE "PATH: no decoder for CODEC",
 * "PATH: decoder setup: REASON", "PATH: cannot open DECODER decoder: REASON";
 * CB_ENOMEM "PATH: out of memory". Returns the code.
 */
int cb_decoder_failure(const char *path, const AVCodecParameters *par, cb_decoder_step step,
                       int averr, cb_error *err);

/*
 * The checks an output path gets before anything is encoded for it: it must
 * not name a folder (end in '/': CB_EINVAL), and without overwrite there
 * must be no file there yet (CB_EEXIST; early and cheap: the binding check
 * is cb_atomic_commit's). path is not empty. Returns 0 or the code, with err
 * naming the path.
 */
int cb_output_path_check(const char *path, int overwrite, cb_error *err);

#endif

/* fuzz_util.c - see fuzz_util.h. */
#define _GNU_SOURCE /* memfd_create */
#include "fuzz_util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <libavutil/frame.h>
#include <libavutil/log.h>

#include "common/cb_error.h"
#include "pipeline/redact.h"

static int input_fd = -1;
static char input_path[64];

const char *cb_fuzz_input_file(const uint8_t *data, size_t size)
{
    if (input_fd < 0) {
        input_fd = memfd_create("cb-fuzz-input", MFD_CLOEXEC);
        if (input_fd < 0) {
            fprintf(stderr, "fuzz: memfd_create: %s\n", strerror(errno));
            abort();
        }
        snprintf(input_path, sizeof input_path, "/proc/self/fd/%d", input_fd);
    }
    if (ftruncate(input_fd, 0) != 0) {
        fprintf(stderr, "fuzz: ftruncate: %s\n", strerror(errno));
        abort();
    }
    size_t done = 0;
    while (done < size) {
        ssize_t n = pwrite(input_fd, data + done, size - done, (off_t)done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            fprintf(stderr, "fuzz: writing the input: %s\n", strerror(errno));
            abort();
        }
        done += (size_t)n;
    }
    return input_path;
}

void cb_fuzz_quiet_ffmpeg(void)
{
    const char *v = getenv("CB_FUZZ_VERBOSE");
    av_log_set_level(v && *v && strcmp(v, "0") != 0 ? AV_LOG_WARNING : AV_LOG_QUIET);
}

static cb_detector *detector;

cb_detector *cb_fuzz_detector(void)
{
    if (!detector) {
        cb_detector_opts opts;
        cb_error err = {0};
        cb_detector_opts_default(&opts);
        if (cb_detector_open(&opts, &detector, &err) != 0) {
            fprintf(stderr, "fuzz: cannot open the detector: %s\n", err.msg);
            abort();
        }
        /* One run on a grey picture, so that lazily allocated buffers of
         * OpenCV's dnn module (kept for the life of the net) are not taken
         * for leaks of the first input. */
        AVFrame *f = av_frame_alloc();
        if (!f)
            abort();
        f->format = AV_PIX_FMT_BGR24;
        f->width = 320;
        f->height = 240;
        if (av_frame_get_buffer(f, 0) < 0)
            abort();
        for (int y = 0; y < f->height; y++)
            memset(f->data[0] + (ptrdiff_t)y * f->linesize[0], 128, 3 * (size_t)f->width);
        cb_face_list faces = {0};
        if (cb_detector_detect(detector, f, &faces, &err) != 0) {
            fprintf(stderr, "fuzz: detector warm-up failed: %s\n", err.msg);
            abort();
        }
        cb_face_list_free(&faces);
        av_frame_free(&f);
    }
    return detector;
}

void cb_fuzz_detect_and_redact(AVFrame *frame, uint32_t salt)
{
    cb_error err = {0};
    cb_face_list faces = {0};
    if (frame->format != AV_PIX_FMT_BGR24 || frame->width <= 0 || frame->height <= 0) {
        fprintf(stderr, "fuzz: reader returned a frame of format %d, %dx%d\n", frame->format,
                frame->width, frame->height);
        abort();
    }
    /* The networks take tens of milliseconds even on a tiny picture: run
     * them on one input in four (by the salt), so the readers get most of
     * the executions. */
    if ((long long)frame->width * frame->height <= CB_FUZZ_DETECT_MAX_PIXELS &&
        (salt >> 29) % 4 == 0) {
        int rc = cb_detector_detect(cb_fuzz_detector(), frame, &faces, &err);
        if (rc != 0) {
            fprintf(stderr, "fuzz: detection failed (%d): %s\n", rc, err.msg);
            abort();
        }
        for (int i = 0; i < faces.count; i++) {
            const cb_face *f = &faces.faces[i];
            if (!(f->w > 0 && f->h > 0 && f->x >= 0 && f->y >= 0 && f->x + f->w <= frame->width + 0.5f &&
                  f->y + f->h <= frame->height + 0.5f)) {
                fprintf(stderr, "fuzz: face box %g,%g %gx%g outside the %dx%d picture\n", f->x,
                        f->y, f->w, f->h, frame->width, frame->height);
                abort();
            }
        }
    }
    /* One more box from the salt: anywhere from half outside on the left/top
     * to half outside on the right/bottom, 1 px up to the picture's smaller
     * side (what the detector can report: its boxes are square before they
     * are clipped). Larger boxes only measure how slow a huge blur is. */
    cb_face extra = {0};
    float w = (float)frame->width, h = (float)frame->height, side = w < h ? w : h;
    extra.w = 1.0f + (float)(salt & 0xFF) / 255.0f * side;
    extra.h = 1.0f + (float)((salt >> 8) & 0xFF) / 255.0f * side;
    extra.x = -0.5f * extra.w + (float)((salt >> 16) & 0xFF) / 255.0f * w;
    extra.y = -0.5f * extra.h + (float)((salt >> 24) & 0xFF) / 255.0f * h;
    extra.score = 1.0f;
    extra.detectors = CB_DET_BLAZEFACE;
    if (cb_face_list_push(&faces, &extra, &err) != 0)
        abort();
    if (av_frame_make_writable(frame) < 0)
        abort();
    cb_redact_style style = (cb_redact_style)(salt % 4);
    int rc = cb_redact_faces(frame, faces.faces, faces.count, style, &err);
    if (rc != 0) {
        fprintf(stderr, "fuzz: redaction failed (%d): %s\n", rc, err.msg);
        abort();
    }
    cb_face_list_free(&faces);
}

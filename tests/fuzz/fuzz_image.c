/*
 * fuzz_image.c - libFuzzer target for the still-image reader.
 *
 * bytes -> an in-memory file -> cb_image_read; when a picture comes back it
 * must be a BGR24 frame within the limits, and it goes through the real
 * detector (default options and models) and cb_redact_faces, as in `redact`.
 * Any other outcome must be a negative CB_E* / -errno code with a message
 * naming the file. Seeds: make_corpus.sh (image/).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/frame.h>

#include "common/cb_error.h"
#include "fuzz_util.h"
#include "pipeline/media_in.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Smaller than the default 100 MP so that one run stays fast; the limit
 * checks themselves are the same code. */
static const cb_image_limits limits = {16, 8LL * 1000 * 1000};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    cb_fuzz_quiet_ffmpeg();
    cb_fuzz_detector();
    return 0;
}

static uint32_t hash32(const uint8_t *p, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 16777619u;
    return h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = cb_fuzz_input_file(data, size);
    AVFrame *frame = NULL;
    cb_image_info info;
    cb_error err = {0};
    memset(&info, 0, sizeof info);
    int rc = cb_image_read(path, &limits, &frame, &info, &err);
    if (rc != 0) {
        /* Fail closed, with a reason that names the file. */
        if (rc > 0 || frame || err.code != rc || !strstr(err.msg, path)) {
            fprintf(stderr, "fuzz_image: bad failure: rc %d, frame %p, err %d '%s'\n", rc,
                    (void *)frame, err.code, err.msg);
            abort();
        }
        return 0;
    }
    if (!frame || frame->format != AV_PIX_FMT_BGR24 || frame->width < limits.min_side ||
        frame->height < limits.min_side ||
        (long long)frame->width * frame->height > limits.max_pixels || info.orientation < 1 ||
        info.orientation > 8) {
        fprintf(stderr, "fuzz_image: bad picture: %p %dx%d format %d orientation %d\n",
                (void *)frame, frame ? frame->width : 0, frame ? frame->height : 0,
                frame ? frame->format : -1, info.orientation);
        abort();
    }
    int swap = info.orientation >= 5;
    if ((swap ? info.src_height : info.src_width) != frame->width ||
        (swap ? info.src_width : info.src_height) != frame->height) {
        fprintf(stderr, "fuzz_image: stored %dx%d, orientation %d, but frame is %dx%d\n",
                info.src_width, info.src_height, info.orientation, frame->width, frame->height);
        abort();
    }
    cb_fuzz_detect_and_redact(frame, hash32(data, size));
    av_frame_free(&frame);
    return 0;
}

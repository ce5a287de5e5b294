/*
 * fuzz_video.c - libFuzzer target for the video reader.
 *
 * bytes -> an in-memory file -> cb_video_probe, then cb_video_in_open and up
 * to CB_FUZZ_VIDEO_FRAMES frames read with cb_video_in_read; the first frame
 * and every 8th go through the real detector and cb_redact_faces. Frames must
 * be BGR24 of the size open announced with strictly increasing timestamps;
 * every failure must be a negative code with a message naming the file.
 * Seeds: make_corpus.sh (video/).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/frame.h>

#include "common/cb_error.h"
#include "fuzz_util.h"
#include "pipeline/video_in.h"

#define CB_FUZZ_VIDEO_FRAMES 24
#define CB_FUZZ_VIDEO_MAX_PIXELS (4LL * 1000 * 1000)

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    cb_fuzz_quiet_ffmpeg();
    cb_fuzz_detector();
    return 0;
}

static void check_failure(const char *what, int rc, const cb_error *err, const char *path)
{
    if (rc >= 0 || err->code != rc || !strstr(err->msg, path)) {
        fprintf(stderr, "fuzz_video: %s: bad failure: rc %d, err %d '%s'\n", what, rc, err->code,
                err->msg);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = cb_fuzz_input_file(data, size);
    cb_error err = {0};
    int probe = cb_video_probe(path, &err);
    if (probe < 0)
        check_failure("probe", probe, &err, path);
    else if (probe > 1)
        abort();

    cb_video_in *v = NULL;
    cb_video_info info;
    memset(&err, 0, sizeof err);
    int rc = cb_video_in_open(path, CB_FUZZ_VIDEO_MAX_PIXELS, &v, &info, &err);
    if (rc != 0) {
        if (v)
            abort();
        check_failure("open", rc, &err, path);
        return 0;
    }
    if (info.width <= 0 || info.height <= 0 ||
        (long long)info.width * info.height > CB_FUZZ_VIDEO_MAX_PIXELS ||
        info.time_base.num <= 0 || info.time_base.den <= 0) {
        fprintf(stderr, "fuzz_video: bad info %dx%d tb %d/%d\n", info.width, info.height,
                info.time_base.num, info.time_base.den);
        abort();
    }
    int64_t last_pts = INT64_MIN;
    for (int i = 0; i < CB_FUZZ_VIDEO_FRAMES; i++) {
        AVFrame *f = NULL;
        memset(&err, 0, sizeof err);
        rc = cb_video_in_read(v, &f, &err);
        if (rc == 1) {
            if (f)
                abort();
            break;
        }
        if (rc < 0) {
            if (f)
                abort();
            check_failure("read", rc, &err, path);
            break;
        }
        if (!f || f->format != AV_PIX_FMT_BGR24 || f->width != info.width ||
            f->height != info.height || (i > 0 && f->pts <= last_pts)) {
            fprintf(stderr, "fuzz_video: bad frame %d: %dx%d (info %dx%d), pts %lld after %lld\n",
                    i, f ? f->width : 0, f ? f->height : 0, info.width, info.height,
                    f ? (long long)f->pts : 0LL, (long long)last_pts);
            abort();
        }
        last_pts = f->pts;
        if (i % 8 == 0)
            cb_fuzz_detect_and_redact(f, (uint32_t)size * 2654435761u + (uint32_t)i);
        av_frame_free(&f);
    }
    cb_video_in_close(v);
    return 0;
}

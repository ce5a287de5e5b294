/*
 * av_input.h - open a media file for libavformat the way the video modules
 * want it (shared by video_in.c and video_out.c, which reads the audio it
 * copies through it).
 *
 * The file is opened read-only (O_RDONLY) and read through its own
 * descriptor with a custom AVIOContext, so the format is found from the
 * content only: the name, its extension, "%d" patterns and protocol prefixes
 * play no part. The demuxer gets protocol_whitelist "none": a playlist
 * (HLS, DASH), a concat list or an MP4 external data reference cannot make
 * it open any other file or URL. Stream information is not read yet
 * (avformat_find_stream_info is the caller's call).
 */
#ifndef CB_AV_INPUT_H
#define CB_AV_INPUT_H

#include <stdint.h>

#include <libavformat/avformat.h>

#include "../common/cb_error.h"

/* The AVIOContext's opaque is the cb_av_input itself: it must not move. */
typedef struct cb_av_input {
    struct { int fd; } src;  /* the descriptor, -1 when closed */
    AVIOContext *avio;       /* custom I/O over src */
    AVFormatContext *fmt;    /* the opened demuxer */
    int64_t file_size;       /* at open */
} cb_av_input;

/*
 * Open path into *in (caller-owned memory that must not move while open).
 * Returns 0, or -errno (cannot open or stat; -EISDIR), CB_EDECODE (empty
 * file, not a regular file, no demuxer recognises the content), CB_ENOMEM;
 * err names the file. On failure *in is released (cb_av_input_close is
 * still safe).
 */
int cb_av_input_open(cb_av_input *in, const char *path, cb_error *err);

/* Close the demuxer, the I/O context and the descriptor. Safe on a released
 * or failed cb_av_input; not on uninitialised memory. */
void cb_av_input_close(cb_av_input *in);

/* One line for an FFmpeg error code, in buf (returned). */
const char *cb_av_strerror(int averr, char *buf, size_t size);

#endif

/*
 * fuzz_util.h - shared by the libFuzzer targets of tests/fuzz: put the
 * fuzzer's bytes where our readers can open them by path, silence FFmpeg,
 * and open the real detector once per process.
 *
 * The input goes into an anonymous in-memory file (memfd) that lives as long
 * as the process; its path (/proc/self/fd/N) is opened by the code under
 * test like any other file. Nothing is written to disk.
 */
#ifndef CB_FUZZ_UTIL_H
#define CB_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "models/detector.h"

/* Replace the contents of the process's input file with data[0..size) and
 * return its path (static storage). Aborts when the file cannot be written
 * (a broken harness must not look like a passing run). */
const char *cb_fuzz_input_file(const uint8_t *data, size_t size);

/* Quiet FFmpeg's own logging (set CB_FUZZ_VERBOSE=1 to keep it). */
void cb_fuzz_quiet_ffmpeg(void);

/* The default detector (models from cb_model_dir(NULL)), opened at the first
 * call and then reused; aborts with the reason when it cannot be opened. */
cb_detector *cb_fuzz_detector(void);

/* Frames larger than this many pixels are read but not run through the
 * detector (keeps each run fast). */
#define CB_FUZZ_DETECT_MAX_PIXELS (500LL * 1000)

/* Detect faces in a BGR24 frame (for one salt in four, and when not over
 * CB_FUZZ_DETECT_MAX_PIXELS) and redact them, plus one box derived from
 * `salt` (which may lie partly outside the picture) so the redaction code
 * runs on every frame. Aborts on an unexpected error code or a face box
 * outside the picture; frees everything it allocates. */
void cb_fuzz_detect_and_redact(AVFrame *frame, uint32_t salt);

#endif

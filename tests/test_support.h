/*
 * test_support.h - shared by the test programs: where the test photos and
 * models are, scratch folders, running the CLI, opening the default detector
 * and reading pictures, and reading the reference fixtures of
 * tests/fixtures/ (JSON written by models/reference/). Every helper that
 * can fail fails the running test (cmocka fail_msg) unless it says
 * otherwise.
 */
#ifndef CB_TEST_SUPPORT_H
#define CB_TEST_SUPPORT_H

#include <stddef.h>
#include <stdint.h>

#include <libavutil/frame.h>

#include "consent/registry.h"
#include "models/detector.h"

/* ---- test data and scratch folders ---------------------------------------- */

/* $CB_TESTDATA or the build's default; fails the test (cmocka fail_msg)
 * when the folder does not exist. */
const char *cb_test_data_dir(void);

/* Path of a file in the test data (static buffer per call site is not
 * used: writes into out). Fails the test when the path does not fit in
 * out or the file does not exist or cannot be read. */
void cb_test_data_path(const char *rel, char *out, size_t size);

/* A fresh empty folder under $TMPDIR; the path is written to out. */
void cb_test_make_temp_dir(char *out, size_t size);

/* Remove a folder tree (best effort). */
void cb_test_remove_tree(const char *path);

/* For a cmocka group setup: *state = a new zeroed block of `size` bytes,
 * which the group teardown frees. Returns 0, or -1 when out of memory. */
int cb_test_alloc_state(void **state, size_t size);

/* ---- a scratch registry ------------------------------------------------------ */

/* A fresh folder (cb_test_make_temp_dir) in dir and the path of a registry
 * file in it, dir/registry.db (not created), in path; CONSENTBLUR_ACTOR set
 * to actor unless it is NULL. Fails the test when a path does not fit. */
void cb_test_registry_paths(char *dir, size_t dir_size, char *path, size_t path_size,
                            const char *actor);

/* A registry of its own for each test of the registry library. */
typedef struct cb_test_registry {
    char dir[256];   /* the fresh folder */
    char path[512];  /* dir/registry.db */
    cb_registry *r;  /* created and open */
} cb_test_registry;

/* cmocka per-test setup: *state = a new cb_test_registry (cb_test_registry_paths,
 * then cb_registry_open with CB_REGISTRY_CREATE; fails the test saying why
 * when it cannot). The teardown closes the registry, removes the folder and
 * frees the block. */
int cb_test_registry_setup(void **state);
int cb_test_registry_teardown(void **state);

/* A cmocka test run with a registry of its own (the two functions above). */
#define cb_test_with_registry(test)                                                            \
    cmocka_unit_test_setup_teardown(test, cb_test_registry_setup, cb_test_registry_teardown)

/* ---- waiting ------------------------------------------------------------------ */

/* A limit on how long a test waits for something to happen, `ms` scaled by
 * $CB_TEST_TIME_SCALE (a whole number, default 1): make test-valgrind sets it,
 * as everything runs 20-300 times slower there. */
int cb_test_wait_limit_ms(int ms);

/* Sleep `ms` milliseconds (restarted when a signal interrupts it). */
void cb_test_sleep_ms(int ms);

/* ---- running programs and the CLI -------------------------------------------- */

/* The consentblur binary built alongside the tests. */
const char *cb_test_cli_path(void);

/*
 * Run a command line (argv, NULL-terminated) with stdout captured into
 * out_buf (NUL-terminated, truncated to out_size) and stderr into err_buf.
 * Either buffer may be NULL. Returns the exit status, or -1 if it did not
 * exit normally.
 */
int cb_test_run(char *const argv[], char *out_buf, size_t out_size, char *err_buf,
                size_t err_size);

/*
 * Run `consentblur [--registry REGISTRY] FIRST ARGS...` through cb_test_run:
 * the arguments after `first` are strings ending with a NULL. A NULL
 * registry leaves --registry out (the command gets its own or none); a NULL
 * first gives no arguments. At most 63 words in all (program and --registry
 * included); more are dropped. Returns what cb_test_run returns.
 */
int cb_test_run_cli(const char *registry, char *out_buf, size_t out_size, char *err_buf,
                    size_t err_size, const char *first, ...);

/*
 * cb_test_run and cb_test_run_cli with changes to the environment of the
 * program run (and only of it): env is a NULL-terminated list (NULL: no
 * changes) of "NAME=VALUE" to set and "NAME" to unset, applied in order.
 * For the language tests: {"LC_ALL", "LANGUAGE", "LANG=nl_NL.UTF-8", NULL}.
 * (ctest runs every test with LC_ALL=C, so plain cb_test_run gives the
 * English messages whatever the developer's locale; see tests/CMakeLists.txt.)
 */
int cb_test_run_env(char *const argv[], const char *const env[], char *out_buf,
                    size_t out_size, char *err_buf, size_t err_size);
int cb_test_run_cli_env(const char *const env[], const char *registry, char *out_buf,
                        size_t out_size, char *err_buf, size_t err_size, const char *first,
                        ...);

/*
 * Fail the running test (cmocka fail_msg) when `call` (a cb_test_run* call
 * that captured into out and err) does not return rc, showing the call, both
 * exit codes and what it printed. A test file with buffers out_buf and
 * err_buf writes #define EXPECT(rc, call) CB_EXPECT_EXIT(rc, call, out_buf, err_buf).
 */
#define CB_EXPECT_EXIT(rc, call, out, err)                                                     \
    do {                                                                                       \
        int got_ = (call);                                                                     \
        if (got_ != (rc))                                                                      \
            fail_msg("%s: exit %d, expected %d\nstdout: %s\nstderr: %s", #call, got_, (rc),    \
                     (out), (err));                                                            \
    } while (0)

/* ---- pictures, the detector ------------------------------------------------ */

/* A new frame of the given pixel format and size with its buffers
 * allocated (contents undefined); free with av_frame_free. */
AVFrame *cb_test_new_frame(int format, int width, int height);

/* The image at `path` decoded by cb_image_read (default limits) as a BGR24
 * frame; free with av_frame_free. Fails the test with cb_image_read's
 * message when it cannot be read. */
AVFrame *cb_test_read_image(const char *path);

/* cb_test_read_image of a file of the test data (cb_test_data_path). */
AVFrame *cb_test_read_data_image(const char *rel);

/* cb_detector_open with opts, or with cb_detector_opts_default when opts
 * is NULL; fails the test with the detector's message when it cannot be
 * opened. Close with cb_detector_close. */
cb_detector *cb_test_open_detector(const cb_detector_opts *opts);

/* ---- the reference fixtures: the *_reference.json files in tests/fixtures ----
 * Their layout is fixed (models/reference/faceapi_reference.mjs writes them):
 * one record per image, each opening with "path": and running to the next
 * record; inside, "key": value pairs. These helpers read that layout, not
 * JSON in general. `fixture` names the file in failure messages.
 */

/* The whole file as a NUL-terminated string (free it), its length in *len
 * (len may be NULL); NULL when it cannot be read (the test goes on). */
char *cb_test_read_text(const char *path, size_t *len);

/* Position just after `"key":` (and spaces) within [p, end), or NULL. */
const char *cb_test_json_after_key(const char *p, const char *end, const char *key);

/* The record that starts at or after p: returns its start (a `"path":`) and
 * sets *rec_end to the start of the next record, or to end for the last
 * one; returns NULL when there is none. */
const char *cb_test_json_next_record(const char *p, const char *end, const char **rec_end);

/* The string value of "key" in [p, end) copied into out; fails the test
 * when there is none or it does not fit in size bytes. */
void cb_test_json_string(const char *fixture, const char *p, const char *end, const char *key,
                         char *out, size_t size);

/* The number value of "key" in [p, end); fails the test when there is none. */
double cb_test_json_number(const char *fixture, const char *p, const char *end,
                           const char *key);

/*
 * The network input of a reference record: the w x h RGB24 bytes
 * (malloc'd, w*h*3 of them; free them) of the test data picture
 * named by `label`, "PATH" or "PATH#FILTER" (a filter ffmpeg runs before
 * the scale), made exactly as the reference scripts made them:
 *   ffmpeg -nostdin -v error -i PATH -vf '[FILTER,]scale=W:H:flags=bilinear' \
 *          -pix_fmt rgb24 -f rawvideo -
 * Fails the test when the ffmpeg CLI fails or gives another number of
 * bytes, or when the bytes' sha256 (lower-case hex) is not `sha256`, the one
 * the reference recorded.
 */
uint8_t *cb_test_reference_rgb(const char *label, int w, int h, const char *sha256);

#endif

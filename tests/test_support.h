/*
 * test_support.h - shared by the test programs: where the test photos and
 * models are, scratch folders, running the CLI.
 */
#ifndef CB_TEST_SUPPORT_H
#define CB_TEST_SUPPORT_H

#include <stddef.h>

/* $CB_TESTDATA or the build's default; fails the test (cmocka fail_msg)
 * when the folder does not exist. */
const char *cb_test_data_dir(void);

/* Path of a file in the test data (static buffer per call site is not
 * used: writes into out). Fails the test when the file does not exist. */
void cb_test_data_path(const char *rel, char *out, size_t size);

/* A fresh empty folder under $TMPDIR; the path is written to out. */
void cb_test_make_temp_dir(char *out, size_t size);

/* Remove a folder tree (best effort). */
void cb_test_remove_tree(const char *path);

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

#endif

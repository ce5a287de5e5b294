/*
 * bench_util.h - what the bench programs (eval_detect, eval_recognition)
 * share: memory and timing helpers, the test data folder and its identities/
 * photos, and the hand-written truth files of bench/ (photos_truth.txt,
 * groups_truth.txt, groups_people.txt).
 *
 * Messages go to stderr prefixed with bench_prog, which each program
 * defines: const char bench_prog[] = "eval_detect";
 */
#ifndef CB_BENCH_UTIL_H
#define CB_BENCH_UTIL_H

#include <stddef.h>

extern const char bench_prog[];

/* realloc that never returns NULL: out of memory prints a message and
 * exits with status 2. */
void *bench_xrealloc(void *p, size_t n);

/* Seconds on the monotonic clock. */
double bench_now_s(void);

/* qsort comparator: floats in ascending order. */
int bench_cmp_float(const void *a, const void *b);

/* $CB_TESTDATA, or the build's default (CB_TESTDATA_DIR). */
const char *bench_testdata_dir(void);

/* The names of the entries of dir, leaving out those starting with '.',
 * sorted (strcmp), in a NULL-terminated array of *n strings; free with
 * bench_free_names. NULL (and *n = 0) when dir cannot be opened or is empty. */
char **bench_list_dir(const char *dir, int *n);
void bench_free_names(char **names, int n);

/* Calls fn for every file of TESTDATA/identities/PERSON/ (people and files
 * in bench_list_dir order): person and file are the names, index the
 * file's place among that person's files (0, 1, ...). */
void bench_each_identity_file(const char *testdata,
                              void (*fn)(void *user, const char *person, const char *file,
                                         int index),
                              void *user);

/*
 * One line of a truth file: "RELPATH x y w h [EXTRA]" ('?' for an optional
 * face, or a person's name) or "RELPATH -" (a picture with no face). '#'
 * starts a comment; blank lines are skipped.
 */
typedef struct bench_truth_line {
    const char *rel;   /* the first word */
    float x, y, w, h;  /* when fields >= 5 */
    const char *extra; /* the sixth word (at most 127 bytes kept), "" when fields < 6 */
    int fields;        /* how many of the six were read, 1 to 6 */
    int lineno;        /* 1 for the file's first line */
} bench_truth_line;

/* Calls fn for every line of `file` with at least one word. fn returns 0 to
 * go on; anything else stops the reading and is returned. Returns 0 at the
 * end of the file, or -1 (with a message) when it cannot be opened. */
int bench_read_truth(const char *file, int (*fn)(void *user, const bench_truth_line *t),
                     void *user);

#endif

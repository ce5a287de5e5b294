/*
 * test_faults.c - things going wrong around a run, for real:
 *  - the output disk is full (a 200 KiB tmpfs, mounted in a private mount
 *    namespace with unshare(1): needs root, which CI has) - photo and video;
 *  - the output folder is read-only (the same tmpfs, remounted read-only);
 *  - the registry is locked by another process (a writer holding an
 *    exclusive lock) for longer than the busy timeout, and shorter;
 *  - the registry file is corrupt;
 *  - a model file is missing or corrupt.
 * Each time: a clear one-line error, exit code 1, the input untouched
 * (same SHA-256 and modification time), and nothing left in the output
 * folder - no output, no temporary file.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "common/sha256.h"
#include "test_support.h"

#define BUF 65536
static char out_buf[BUF], err_buf[BUF];
static char dir[256], reg[512], photo[1024], video[1024];

#define CLI(...) cb_test_run_cli(reg, out_buf, BUF, err_buf, BUF, __VA_ARGS__, NULL)

static int setup(void **state)
{
    (void)state;
    cb_test_registry_paths(dir, sizeof dir, reg, sizeof reg, "test");
    cb_test_data_path("groups/obama_and_biden.jpg", photo, sizeof photo);
    cb_test_data_path("video/hamilton-short.mp4", video, sizeof video);
    if (CLI("person", "add", "p1", "--name", "P", "--role", "staff") != 0)
        fail_msg("%s", err_buf);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    cb_test_remove_tree(dir);
    return 0;
}

typedef struct snapshot {
    char sha[65];
    struct timespec mtime;
} snapshot;

static snapshot snap(const char *path)
{
    snapshot s;
    struct stat st;
    cb_error err = {0};
    assert_int_equal(cb_sha256_file_hex(path, s.sha, &err), 0);
    assert_int_equal(stat(path, &st), 0);
    s.mtime = st.st_mtim;
    return s;
}

static void assert_untouched(const char *path, const snapshot *before)
{
    snapshot now = snap(path);
    assert_string_equal(now.sha, before->sha);
    assert_int_equal(now.mtime.tv_sec, before->mtime.tv_sec);
    assert_int_equal(now.mtime.tv_nsec, before->mtime.tv_nsec);
}

/* Entries of a folder (any kind, dot-names too), 0 when it does not exist. */
static int entries(const char *path)
{
    DIR *d = opendir(path);
    if (!d)
        return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    closedir(d);
    return n;
}

/*
 * Run `consentblur ARGS` inside a private mount namespace where MNT is a
 * tmpfs of `kib` KiB (read-only when ro), and report how many entries the
 * output folder MNT/out has when the command ends. The output goes to
 * out_buf / err_buf; returns the exit code.
 */
static int run_on_tmpfs(const char *mnt, int kib, int ro, const char *args, int *left)
{
    char remount[700] = "", script[8192];
    mkdir(mnt, 0755);
    if (ro)
        snprintf(remount, sizeof remount, "mount -o remount,ro '%s';", mnt);
    snprintf(script, sizeof script,
             "set -e; mount -t tmpfs -o size=%dk cbtest '%s'; mkdir '%s/out'; %s set +e; "
             "'%s' --registry '%s' %s; rc=$?; "
             "echo \"entries $(ls -A '%s/out' | wc -l)\" >&2; exit $rc",
             kib, mnt, mnt, remount, cb_test_cli_path(), reg, args, mnt);
    char *const argv[] = {"unshare", "-m", "--propagation", "private", "sh", "-c", script, NULL};
    int rc = cb_test_run(argv, out_buf, BUF, err_buf, BUF);
    if (rc == 1 && strstr(err_buf, "unshare:"))
        fail_msg("this test needs root (or user namespaces) to mount a small tmpfs: %s", err_buf);
    const char *e = strstr(err_buf, "entries ");
    *left = e ? atoi(e + 8) : -1;
    return rc;
}

static void test_disk_full(void **state)
{
    (void)state;
    char mnt[512], args[4096];
    int left = -1;
    snapshot p = snap(photo), v = snap(video);
    snprintf(mnt, sizeof mnt, "%s/full", dir);
    /* The photo's output (about 400 KiB) does not fit in 200 KiB. */
    snprintf(args, sizeof args, "redact '%s' -o '%s/out'", photo, mnt);
    int rc = run_on_tmpfs(mnt, 200, 0, args, &left);
    printf("photo: exit %d: %s", rc, err_buf);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(err_buf, "No space left on device"));
    assert_non_null(strstr(err_buf, "obama_and_biden.jpg"));
    assert_int_equal(left, 0);
    assert_untouched(photo, &p);
    /* A video: the disk fills in the middle of encoding. */
    snprintf(args, sizeof args, "redact '%s' -o '%s/out' --min-face 60 --detect-every 3",
             video, mnt);
    rc = run_on_tmpfs(mnt, 300, 0, args, &left);
    printf("video: exit %d: %s", rc, err_buf);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(err_buf, "No space left on device"));
    assert_int_equal(left, 0);
    assert_untouched(video, &v);
}

static void test_read_only_output(void **state)
{
    (void)state;
    char mnt[512], args[4096];
    int left = -1;
    snapshot p = snap(photo);
    snprintf(mnt, sizeof mnt, "%s/ro", dir);
    snprintf(args, sizeof args, "redact '%s' -o '%s/out'", photo, mnt);
    int rc = run_on_tmpfs(mnt, 4096, 1, args, &left);
    printf("read-only: exit %d: %s", rc, err_buf);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(err_buf, "Read-only file system"));
    assert_int_equal(left, 0);
    assert_untouched(photo, &p);
}

/* A child that takes the registry's write lock in exclusive locking mode
 * (no reader gets in either) and holds it for `seconds`. */
static pid_t hold_lock(double seconds)
{
    int pipefd[2];
    assert_int_equal(pipe(pipefd), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        sqlite3 *db = NULL;
        if (sqlite3_open(reg, &db) != SQLITE_OK ||
            sqlite3_exec(db, "PRAGMA locking_mode=EXCLUSIVE; BEGIN EXCLUSIVE;", NULL, NULL,
                         NULL) != SQLITE_OK)
            _exit(2);
        (void)!write(pipefd[1], "k", 1);
        struct timespec ts = {(time_t)seconds, (long)((seconds - (time_t)seconds) * 1e9)};
        nanosleep(&ts, NULL);
        sqlite3_exec(db, "COMMIT;", NULL, NULL, NULL);
        sqlite3_close(db);
        _exit(0);
    }
    char c;
    assert_int_equal(read(pipefd[0], &c, 1), 1); /* locked now */
    close(pipefd[0]);
    close(pipefd[1]);
    return pid;
}

static void test_registry_locked(void **state)
{
    (void)state;
    char out[600];
    snprintf(out, sizeof out, "%s/locked-out", dir);
    snapshot p = snap(photo);
    /* Locked for longer than we wait: a clear error, nothing written. */
    setenv("CONSENTBLUR_BUSY_TIMEOUT", "1", 1);
    pid_t pid = hold_lock(4);
    int rc = CLI("process", photo, "-o", out, "--purpose", "social");
    printf("locked: exit %d: %s", rc, err_buf);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(err_buf, "registry busy"));
    assert_int_equal(entries(out), 0);
    int status;
    waitpid(pid, &status, 0);
    /* Locked for a moment only: we wait, and it works. */
    setenv("CONSENTBLUR_BUSY_TIMEOUT", "20", 1);
    pid = hold_lock(1.5);
    rc = CLI("process", photo, "-o", out, "--purpose", "social");
    printf("briefly locked: exit %d: %s", rc, err_buf);
    assert_int_equal(rc, 0);
    assert_int_equal(entries(out), 1);
    waitpid(pid, &status, 0);
    unsetenv("CONSENTBLUR_BUSY_TIMEOUT");
    assert_untouched(photo, &p);
}

static void test_registry_corrupt(void **state)
{
    (void)state;
    char bad[600], out[600], cmd[2048];
    snprintf(bad, sizeof bad, "%s/corrupt.db", dir);
    snprintf(out, sizeof out, "%s/corrupt-out", dir);
    /* Everything into the main file first (WAL mode keeps recent pages in
     * the -wal file), then a copy of it with its pages after the first
     * overwritten with garbage. */
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(reg, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE);", NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", reg, bad);
    assert_int_equal(system(cmd), 0);
    struct stat st;
    assert_int_equal(stat(bad, &st), 0);
    assert_true(st.st_size >= 3 * 4096);
    int fd = open(bad, O_WRONLY);
    assert_true(fd >= 0);
    static char junk[65536];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (char)(i * 131 + 7);
    size_t n = (size_t)st.st_size - 4096 < sizeof junk ? (size_t)st.st_size - 4096 : sizeof junk;
    assert_int_equal(pwrite(fd, junk, n, 4096), (ssize_t)n);
    close(fd);
    char *const argv[] = {(char *)cb_test_cli_path(), "--registry", bad,   "process",
                          photo, "-o", out, "--purpose", "social", NULL};
    int rc = cb_test_run(argv, out_buf, BUF, err_buf, BUF);
    printf("corrupt: exit %d: %s", rc, err_buf);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(err_buf, "corrupt.db"));
    assert_int_equal(entries(out), 0);
}

static void test_model_missing_or_corrupt(void **state)
{
    (void)state;
    char models[600], out[600], cmd[4096];
    snprintf(models, sizeof models, "%s/models", dir);
    snprintf(out, sizeof out, "%s/model-out", dir);
    mkdir(models, 0755);
    /* Only the detector's networks: recognition's model is missing. */
    const char *src = getenv("CONSENTBLUR_MODELS") ? getenv("CONSENTBLUR_MODELS")
                                                   : CB_SOURCE_DIR "/.cache/models";
    snprintf(cmd, sizeof cmd,
             "cp '%s/ultraface_rfb320.onnx' '%s/blazeface_back.onnx' "
             "'%s/blazeface_full_range.onnx' '%s/'", src, src, src, models);
    assert_int_equal(system(cmd), 0);
    char *const argv[] = {(char *)cb_test_cli_path(), "--registry", reg, "--models", models,
                          "process", photo, "-o", out, "--purpose", "social", NULL};
    int rc = cb_test_run(argv, out_buf, BUF, err_buf, BUF);
    printf("missing: exit %d: %s", rc, err_buf);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(err_buf, "face_recognition.onnx"));
    assert_non_null(strstr(err_buf, "make models"));
    assert_int_equal(entries(out), 0);
    /* A corrupt one (one byte changed). */
    char path[700];
    snprintf(path, sizeof path, "%s/face_recognition.onnx", models);
    snprintf(cmd, sizeof cmd, "cp '%s/face_recognition.onnx' '%s'", src, path);
    assert_int_equal(system(cmd), 0);
    int fd = open(path, O_WRONLY);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, "X", 1, 4096), 1);
    close(fd);
    rc = cb_test_run(argv, out_buf, BUF, err_buf, BUF);
    printf("corrupt: exit %d: %s", rc, err_buf);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(err_buf, "corrupt"));
    assert_int_equal(entries(out), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_disk_full),
        cmocka_unit_test(test_read_only_output),
        cmocka_unit_test(test_registry_locked),
        cmocka_unit_test(test_registry_corrupt),
        cmocka_unit_test(test_model_missing_or_corrupt),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

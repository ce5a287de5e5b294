/*
 * test_watch.c - the watch folder as staff use it, with the real binary:
 *  - files copied in (written slowly, in pieces) and moved in are each
 *    processed once, once complete (a phone's HEIC comes out as JPEG);
 *    junk goes to failed/ with a reason; a symbolic link is not followed;
 *  - kill -9 at random moments while files arrive in bursts, restart, again
 *    and again: in the end every file was processed exactly once (one
 *    output each, one archived original each, one recorded run each), and no
 *    partial or temporary file is left in the outbox;
 *  - SIGTERM finishes the file in hand, then exits 0.
 */
#include <dirent.h>
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

#include "test_support.h"

#define BUF 65536
static char out_buf[BUF], err_buf[BUF];
static char dir[256], reg[512], inbox[512], outbox[512], samples[512], logfile[512];

enum { N_SAMPLES = 6 };

/* Small photos (scaled down: quick to process) made from the test data. */
static void make_samples(void)
{
    static const char *const src[] = {"groups/bbt1.jpg", "groups/bbt3.jpg", "groups/two_people.jpg",
                                      "probes/obama1.jpg", "groups/kit_with_rose.jpg",
                                      "groups/bbt5.jpg"};
    for (int i = 0; i < N_SAMPLES; i++) {
        char in[1024], cmd[4096];
        cb_test_data_path(src[i], in, sizeof in);
        snprintf(cmd, sizeof cmd, "ffmpeg -nostdin -v error -y -i '%s' -vf scale=480:-2 '%s/s%d.jpg'",
                 in, samples, i);
        if (system(cmd) != 0)
            fail_msg("%s", cmd);
    }
    /* and a phone photo (HEIC) */
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "heif-enc -q 80 -o '%s/phone.heic' '%s/s1.jpg' >/dev/null", samples,
             samples);
    if (system(cmd) != 0)
        fail_msg("%s", cmd);
}

static int setup(void **state)
{
    (void)state;
    cb_test_registry_paths(dir, sizeof dir, reg, sizeof reg, "test");
    snprintf(samples, sizeof samples, "%s/samples", dir);
    snprintf(logfile, sizeof logfile, "%s/watch.log", dir);
    mkdir(samples, 0755);
    if (cb_test_run_cli(reg, out_buf, BUF, err_buf, BUF, "person", "add", "p1", "--name", "P",
                        "--role", "staff", NULL) != 0)
        fail_msg("%s", err_buf);
    make_samples();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    cb_test_remove_tree(dir);
    return 0;
}

/* Fresh inbox/outbox for one test. */
static void fresh_folders(const char *tag)
{
    snprintf(inbox, sizeof inbox, "%s/%s-inbox", dir, tag);
    snprintf(outbox, sizeof outbox, "%s/%s-outbox", dir, tag);
    mkdir(inbox, 0755);
}

/* Start `consentblur watch` in the background; output appended to logfile. */
static pid_t start_watch(void)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int fd = open(logfile, O_WRONLY | O_CREAT | O_APPEND, 0644);
        dup2(fd, 1);
        dup2(fd, 2);
        execl(cb_test_cli_path(), cb_test_cli_path(), "-v", "--registry", reg, "watch", inbox,
              "--out", outbox, "--purpose", "social", "--settle", "0.3", (char *)NULL);
        _exit(127);
    }
    return pid;
}

static int stop(pid_t pid, int sig)
{
    kill(pid, sig);
    int status = 0;
    waitpid(pid, &status, 0);
    return status;
}

/* Drop the file src into the inbox as NAME: written under a temporary
 * dot-name then renamed in (how most copy tools do it), or written in place
 * slowly. */
static void drop_file(const char *src, const char *name, int slowly)
{
    char tmp[1024], dst[1024];
    snprintf(tmp, sizeof tmp, "%s/.%s.partial", inbox, name);
    snprintf(dst, sizeof dst, "%s/%s", inbox, name);
    FILE *in = fopen(src, "rb");
    FILE *out = fopen(slowly ? dst : tmp, "wb");
    assert_non_null(in);
    assert_non_null(out);
    char buf[8192];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0) {
        assert_int_equal(fwrite(buf, 1, n, out), n);
        if (slowly) {
            fflush(out);
            cb_test_sleep_ms(40); /* a slow network copy: pauses between pieces */
        }
    }
    fclose(in);
    fclose(out);
    if (!slowly)
        assert_int_equal(rename(tmp, dst), 0);
}

/* Drop sample k into the inbox as NAME (see drop_file). */
static void drop(int k, const char *name, int slowly)
{
    char src[1024];
    snprintf(src, sizeof src, "%s/s%d.jpg", samples, k % N_SAMPLES);
    drop_file(src, name, slowly);
}

/* Names in a folder (regular files and links, not sub-folders). */
static int list_names(const char *path, char names[][128], int max)
{
    DIR *d = opendir(path);
    if (!d)
        return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < max) {
        char p[1024];
        struct stat st;
        snprintf(p, sizeof p, "%s/%s", path, e->d_name);
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || lstat(p, &st) != 0 ||
            S_ISDIR(st.st_mode))
            continue;
        snprintf(names[n++], 128, "%.127s", e->d_name);
    }
    closedir(d);
    return n;
}

static int has_name(char names[][128], int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(names[i], name))
            return 1;
    return 0;
}

/* Wait until the inbox holds no files and its work folder is empty. */
static void wait_drained(int timeout_ms)
{
    char names[64][128], work[600];
    snprintf(work, sizeof work, "%s/.consentblur", inbox);
    for (int t = 0, limit = cb_test_wait_limit_ms(timeout_ms); t < limit; t += 100) {
        int a = list_names(inbox, names, 64), b = 0;
        char w[64][128];
        int nw = list_names(work, w, 64);
        for (int i = 0; i < nw; i++)
            b += w[i][0] != '.';
        if (a == 0 && b == 0)
            return;
        cb_test_sleep_ms(100);
    }
    FILE *f = fopen(logfile, "r");
    char log[4096] = "";
    if (f) {
        size_t got = fread(log, 1, sizeof log - 1, f);
        log[got] = '\0';
        fclose(f);
    }
    fail_msg("the inbox was not drained in time; log:\n%s", log);
}

static void test_arrivals_and_failures(void **state)
{
    (void)state;
    fresh_folders("basic");
    pid_t pid = start_watch();
    cb_test_sleep_ms(500);
    char path[1024];
    drop(0, "copied slowly.jpg", 1);
    drop(1, "moved-in.jpg", 0);
    snprintf(path, sizeof path, "%s/phone.heic", samples);
    drop_file(path, "IMG_0001.HEIC", 0);
    snprintf(path, sizeof path, "%s/not-a-photo.jpg", inbox);
    FILE *f = fopen(path, "w");
    fputs("hello", f);
    fclose(f);
    snprintf(path, sizeof path, "%s/outside.jpg", inbox);
    assert_int_equal(symlink("/etc/hostname", path), 0);
    snprintf(path, sizeof path, "%s/download.jpg.part", inbox);
    f = fopen(path, "w");
    fputs("still downloading", f);
    fclose(f);
    cb_test_sleep_ms(200);
    /* wait for the five real arrivals (the .part stays) */
    char names[64][128], archive[600], failed[600];
    snprintf(archive, sizeof archive, "%s/archive", inbox);
    snprintf(failed, sizeof failed, "%s/failed", inbox);
    for (int t = 0, limit = cb_test_wait_limit_ms(60000); t < limit; t += 100) {
        if (list_names(archive, names, 64) + list_names(failed, names, 64) >= 7)
            break;
        cb_test_sleep_ms(100);
    }
    int status = stop(pid, SIGTERM);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    int n = list_names(outbox, names, 64);
    assert_int_equal(n, 3);
    assert_true(has_name(names, n, "copied slowly.jpg"));
    assert_true(has_name(names, n, "moved-in.jpg"));
    assert_true(has_name(names, n, "IMG_0001.jpg")); /* the phone's HEIC, as JPEG */
    n = list_names(archive, names, 64);
    assert_int_equal(n, 3);
    n = list_names(failed, names, 64);
    assert_int_equal(n, 4);
    assert_true(has_name(names, n, "not-a-photo.jpg.reason.txt"));
    assert_true(has_name(names, n, "outside.jpg.reason.txt"));
    snprintf(path, sizeof path, "%s/outside.jpg.reason.txt", failed);
    char reason[512] = "";
    f = fopen(path, "r");
    assert_non_null(f);
    assert_non_null(fgets(reason, sizeof reason, f));
    fclose(f);
    printf("link: %s", reason);
    assert_non_null(strstr(reason, "symbolic link"));
    snprintf(path, sizeof path, "%s/not-a-photo.jpg.reason.txt", failed);
    f = fopen(path, "r");
    assert_non_null(fgets(reason, sizeof reason, f));
    fclose(f);
    printf("junk: %s", reason);
    assert_non_null(strstr(reason, "not-a-photo.jpg"));
    assert_null(strstr(reason, ".consentblur"));
    /* /etc/hostname was not touched, the .part file is still waiting */
    struct stat st;
    assert_int_equal(lstat("/etc/hostname", &st), 0);
    n = list_names(inbox, names, 64);
    assert_int_equal(n, 1);
    assert_true(has_name(names, n, "download.jpg.part"));
}

/* kill -9 at random moments while files arrive; restart; repeat. */
static void test_restart_after_kill(void **state)
{
    (void)state;
    enum { FILES = 24, ROUNDS = 6 };
    fresh_folders("crash");
    unsigned seed = (unsigned)time(NULL);
    printf("seed %u\n", seed);
    srand(seed);
    int dropped = 0;
    for (int round = 0; round < ROUNDS; round++) {
        pid_t pid = start_watch();
        int burst = round == ROUNDS - 1 ? FILES - dropped : FILES / ROUNDS;
        for (int i = 0; i < burst && dropped < FILES; i++, dropped++) {
            char name[64];
            snprintf(name, sizeof name, "photo-%02d.jpg", dropped);
            drop(dropped, name, 0);
        }
        cb_test_sleep_ms(200 + rand() % 1500);
        if (round < ROUNDS - 1) {
            int status = stop(pid, SIGKILL);
            assert_true(WIFSIGNALED(status));
        } else {
            wait_drained(120000);
            stop(pid, SIGTERM);
        }
    }
    /* Once more after a last kill in the middle of nothing: still clean. */
    char names[128][128], archive[600];
    snprintf(archive, sizeof archive, "%s/archive", inbox);
    int n_out = list_names(outbox, names, 128);
    for (int i = 0; i < n_out; i++)
        if (names[i][0] == '.')
            fail_msg("a temporary file is left in the outbox: %s", names[i]);
    assert_int_equal(n_out, FILES);
    for (int i = 0; i < FILES; i++) {
        char name[64];
        snprintf(name, sizeof name, "photo-%02d.jpg", i);
        if (!has_name(names, n_out, name))
            fail_msg("%s has no output", name);
        char p[1024];
        snprintf(p, sizeof p, "%s/%s", outbox, name);
        AVFrame *f = cb_test_read_image(p); /* complete, decodable */
        av_frame_free(&f);
    }
    int n_arch = list_names(archive, names, 128);
    assert_int_equal(n_arch, FILES);
    /* One ok run per file in the registry. */
    assert_int_equal(cb_test_run_cli(reg, out_buf, BUF, err_buf, BUF, "runs", "list", "--json",
                                     NULL),
                     0);
    /* Each run is one JSON object on its own: count the ok ones of this
     * test's inbox (the other tests share the registry). */
    int ok_runs = 0, failed_runs = 0;
    for (const char *p = strstr(out_buf, "{\"id\""); p; p = strstr(p + 1, "{\"id\"")) {
        const char *end = strstr(p + 1, "{\"id\"");
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char run[8192];
        snprintf(run, sizeof run, "%.*s", (int)(len < sizeof run ? len : sizeof run - 1), p);
        if (!strstr(run, "crash-inbox"))
            continue;
        if (strstr(run, "\"status\": \"ok\""))
            ok_runs++;
        else
            failed_runs++;
    }
    printf("%d watch runs recorded for this inbox, %d failed\n", ok_runs, failed_runs);
    assert_int_equal(ok_runs, FILES);
    assert_int_equal(failed_runs, 0);
}

/* SIGTERM while a file is being processed: it is finished, then exit 0. */
static void test_sigterm_finishes_current_file(void **state)
{
    (void)state;
    fresh_folders("term");
    pid_t pid = start_watch();
    cb_test_sleep_ms(300);
    /* A video takes long enough to be caught in the middle. */
    char src[1024], dst[1024], work[600];
    cb_test_data_path("video/hamilton-short.mp4", src, sizeof src);
    snprintf(dst, sizeof dst, "%s/.clip.tmp", inbox);
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "cp '%s' '%s' && mv '%s' '%s/clip.mp4'", src, dst, dst, inbox);
    assert_int_equal(system(cmd), 0);
    snprintf(work, sizeof work, "%s/.consentblur/clip.mp4", inbox);
    struct stat st;
    int t = 0, limit = cb_test_wait_limit_ms(20000);
    while (stat(work, &st) != 0 && t < limit) {
        cb_test_sleep_ms(20);
        t += 20;
    }
    assert_true(t < limit); /* it was claimed */
    int status = stop(pid, SIGTERM);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    char out[1024], arch[1024];
    snprintf(out, sizeof out, "%s/clip.mp4", outbox);
    snprintf(arch, sizeof arch, "%s/archive/clip.mp4", inbox);
    assert_int_equal(stat(out, &st), 0);
    assert_int_equal(stat(arch, &st), 0);
    assert_int_not_equal(stat(work, &st), 0);
    /* The log says how far the video got (the analysis complete) and, at
     * the end, its frames and rate. */
    char *log = cb_test_read_text(logfile, NULL);
    assert_non_null(log);
    long long frames = 0;
    double seconds = 0, fps = 0;
    const char *end = strstr(log, "consentblur: clip.mp4: analyse ");
    while (end && sscanf(end, "consentblur: clip.mp4: %lld frames in %lf s, %lf fps", &frames,
                         &seconds, &fps) != 3)
        end = strstr(end + 1, "consentblur: clip.mp4: ");
    if (!end || frames <= 0 || fps <= 0)
        fail_msg("no progress of clip.mp4 in the log:\n%s", log);
    free(log);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arrivals_and_failures),
        cmocka_unit_test(test_restart_after_kill),
        cmocka_unit_test(test_sigterm_finishes_current_file),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

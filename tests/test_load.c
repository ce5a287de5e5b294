/*
 * test_load.c - the watch folder under load: 500 photos arrive in bursts
 * while "staff" keep editing the registry (adding people, granting and
 * withdrawing consent) from another process. Every photo must come out, none
 * may fail, nothing may report a locked registry, and the watcher's memory
 * must stay steady: its resident size after the last burst is compared
 * with the size after the first bursts. Prints the peak (VmHWM).
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

#include "consent/registry.h"
#include "test_support.h"

#define BUF 65536
static char out_buf[BUF], err_buf[BUF];
static char dir[256], reg[512], inbox[512], outbox[512], logfile[512], samples[512];

enum { FILES_DEFAULT = 500, BURST_DEFAULT = 50, N_SAMPLES = 5, STALL_MS = 300000 };

/* The load: $CB_TEST_LOAD_FILES files (at least 15) or 500, dropped in 3 or
 * more bursts of at most 50 (the count is rounded down to whole bursts).
 * The sanitizer and valgrind passes use fewer: they are about memory errors
 * there, not load. */
static void load_wanted(int *files, int *burst)
{
    const char *env = getenv("CB_TEST_LOAD_FILES");
    int n = env ? atoi(env) : FILES_DEFAULT;
    if (n < 15)
        n = FILES_DEFAULT;
    *burst = n >= 3 * BURST_DEFAULT ? BURST_DEFAULT : n / 3;
    *files = n / *burst * *burst;
}

/* Resident and peak size of a process, kB (from /proc). */
static void memory_of(pid_t pid, long *rss, long *hwm)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    *rss = *hwm = -1;
    if (!f)
        return;
    while (fgets(line, sizeof line, f)) {
        if (!strncmp(line, "VmRSS:", 6))
            *rss = atol(line + 6);
        else if (!strncmp(line, "VmHWM:", 6))
            *hwm = atol(line + 6);
    }
    fclose(f);
}

static int count_files(const char *path)
{
    DIR *d = opendir(path);
    if (!d)
        return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        n += e->d_name[0] != '.' && e->d_type == DT_REG;
    closedir(d);
    return n;
}

/* "Staff" editing the registry in a loop until killed. */
static void staff_loop(void)
{
    cb_registry *r = NULL;
    cb_error err = {0};
    if (cb_registry_open(reg, 0, &r, &err) < 0)
        _exit(3);
    for (int i = 0;; i++) {
        cb_person p = {.role = CB_ROLE_STAFF};
        snprintf(p.external_id, sizeof p.external_id, "S%05d", i);
        snprintf(p.name, sizeof p.name, "Staff %d", i);
        if (cb_registry_person_add(r, &p, "staff", &err) < 0)
            _exit(4);
        cb_consent c = {.person_id = p.id, .status = CB_CONSENT_GRANTED,
                        .given_by = CB_GIVEN_BY_SELF};
        snprintf(c.purpose, sizeof c.purpose, "social");
        if (cb_registry_consent_record(r, &c, "staff", &err) < 0)
            _exit(5);
        if (i % 3 == 0 && cb_registry_consent_withdraw(r, p.id, NULL, "staff", NULL, &err) < 0)
            _exit(6);
        cb_test_sleep_ms(20);
    }
}

static int setup(void **state)
{
    (void)state;
    cb_test_registry_paths(dir, sizeof dir, reg, sizeof reg, "test");
    snprintf(inbox, sizeof inbox, "%s/inbox", dir);
    snprintf(outbox, sizeof outbox, "%s/outbox", dir);
    snprintf(logfile, sizeof logfile, "%s/watch.log", dir);
    snprintf(samples, sizeof samples, "%s/samples", dir);
    mkdir(inbox, 0755);
    mkdir(samples, 0755);
    if (cb_test_run_cli(reg, out_buf, BUF, err_buf, BUF, "person", "add", "p0", "--name", "P",
                        "--role", "staff", NULL) != 0)
        fail_msg("%s", err_buf);
    static const char *const src[N_SAMPLES] = {"groups/bbt3.jpg", "groups/two_people.jpg",
                                               "groups/kit_with_rose.jpg", "probes/obama1.jpg",
                                               "groups/no-face-white.png"};
    for (int i = 0; i < N_SAMPLES; i++) {
        char in[1024], cmd[4096];
        cb_test_data_path(src[i], in, sizeof in);
        snprintf(cmd, sizeof cmd,
                 "ffmpeg -nostdin -v error -y -i '%s' -vf scale=320:-2 -frames:v 1 '%s/s%d.jpg'",
                 in, samples, i);
        if (system(cmd) != 0)
            fail_msg("%s", cmd);
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    cb_test_remove_tree(dir);
    return 0;
}

static void drop(int k)
{
    char src[700], tmp[700], dst[700], buf[65536];
    snprintf(src, sizeof src, "%s/s%d.jpg", samples, k % N_SAMPLES);
    snprintf(tmp, sizeof tmp, "%s/.in-%04d.jpg", inbox, k);
    snprintf(dst, sizeof dst, "%s/photo-%04d.jpg", inbox, k);
    FILE *in = fopen(src, "rb"), *out = fopen(tmp, "wb");
    assert_non_null(in);
    assert_non_null(out);
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        assert_int_equal(fwrite(buf, 1, n, out), n);
    fclose(in);
    fclose(out);
    assert_int_equal(rename(tmp, dst), 0);
}

/* Wait until the outbox holds `want` files, or until nothing new has come
 * out for STALL_MS (a stall, not a slow machine: under valgrind one photo
 * takes a minute). */
static void wait_for_outputs(int want)
{
    int seen = count_files(outbox);
    for (int idle = 0; seen < want && idle < STALL_MS; idle += 100) {
        cb_test_sleep_ms(100);
        int now = count_files(outbox);
        if (now != seen)
            idle = 0;
        seen = now;
    }
}

static void test_500_files_while_staff_edit(void **state)
{
    (void)state;
    pid_t staff = fork();
    assert_true(staff >= 0);
    if (staff == 0)
        staff_loop();
    pid_t watch = fork();
    assert_true(watch >= 0);
    if (watch == 0) {
        int fd = open(logfile, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fd, 1);
        dup2(fd, 2);
        execl(cb_test_cli_path(), cb_test_cli_path(), "--registry", reg, "watch", inbox, "--out",
              outbox, "--purpose", "social", "--settle", "0.2", (char *)NULL);
        _exit(127);
    }
    int n_files, burst;
    load_wanted(&n_files, &burst);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    long rss_early = -1, rss, hwm;
    for (int k = 0; k < n_files; k++) {
        drop(k);
        if (k % burst == burst - 1) {
            /* Let the watcher catch up on most of the burst, then measure. */
            wait_for_outputs(k - burst / 2);
            memory_of(watch, &rss, &hwm);
            if (k == 2 * burst - 1)
                rss_early = rss;
        }
    }
    wait_for_outputs(n_files);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    memory_of(watch, &rss, &hwm);
    kill(watch, SIGTERM);
    int status;
    waitpid(watch, &status, 0);
    kill(staff, SIGKILL);
    waitpid(staff, &status, 0);
    assert_true(WIFSIGNALED(status)); /* the staff loop ran until killed: no error exit */
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    int outputs = count_files(outbox);
    char archive[600], failed[600];
    snprintf(archive, sizeof archive, "%s/archive", inbox);
    snprintf(failed, sizeof failed, "%s/failed", inbox);
    printf("%d files in %.1f s (%.1f files/s); watcher RSS after %d files %ld kB, at the end "
           "%ld kB, peak %ld kB\n",
           outputs, secs, outputs / secs, 2 * burst, rss_early, rss, hwm);
    assert_int_equal(outputs, n_files);
    assert_int_equal(count_files(archive), n_files);
    assert_int_equal(count_files(failed), 0);
    assert_true(rss_early > 0 && rss < rss_early + rss_early / 4 + 16 * 1024); /* steady */
    char log[BUF] = "";
    FILE *f = fopen(logfile, "r");
    assert_non_null(f);
    size_t got = fread(log, 1, sizeof log - 1, f);
    log[got] = '\0';
    fclose(f);
    assert_null(strstr(log, "busy"));
    assert_null(strstr(log, "locked"));
    assert_null(strstr(log, "failed"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_500_files_while_staff_edit),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

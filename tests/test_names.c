/*
 * test_names.c - awkward file names and files that change under us:
 *  - names with spaces, a newline, quotes and shell characters, non-ASCII
 *    letters, and a leading dash (after `--`) go through redact, batch and
 *    watch and come out under the same name; JSON reports escape them;
 *  - a video replaced while it is being processed gives an error and no
 *    output (its decisions would not fit the new pictures).
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

#include "test_support.h"

#define BUF 262144
static char out_buf[BUF], err_buf[BUF];
static char dir[256], reg[512], src_photo[1024];

static const char *const names[] = {
    "school trip 2026.jpg", "line\nbreak.jpg",   "quote ' \" $(echo no) `x`.jpg",
    "\xc3\xbc" "nic\xc3\xb6" "de \xe6\x97\xa5\xe6\x9c\xac.jpg", "-leading-dash.jpg",
    "--double.jpg",
};
enum { N_NAMES = sizeof names / sizeof names[0] };

#define CLI(...) cb_test_run_cli(reg, out_buf, BUF, err_buf, BUF, __VA_ARGS__, NULL)

static void copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    assert_non_null(in);
    assert_non_null(out);
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        assert_int_equal(fwrite(buf, 1, n, out), n);
    fclose(in);
    assert_int_equal(fclose(out), 0);
}

static int exists(const char *folder, const char *name)
{
    char p[2048];
    struct stat st;
    snprintf(p, sizeof p, "%s/%s", folder, name);
    return stat(p, &st) == 0;
}

static int setup(void **state)
{
    (void)state;
    cb_test_registry_paths(dir, sizeof dir, reg, sizeof reg, "test");
    cb_test_data_path("groups/two_people.jpg", src_photo, sizeof src_photo);
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

/* A folder with one copy of the photo under each awkward name. */
static void make_album(const char *folder)
{
    mkdir(folder, 0755);
    for (int i = 0; i < N_NAMES; i++) {
        char p[2048];
        snprintf(p, sizeof p, "%s/%s", folder, names[i]);
        copy_file(src_photo, p);
    }
}

static void test_redact_names(void **state)
{
    (void)state;
    char album[600], out[600];
    snprintf(album, sizeof album, "%s/album", dir);
    snprintf(out, sizeof out, "%s/out", dir);
    make_album(album);
    char *argv[4 + 4 + N_NAMES + 1];
    char paths[N_NAMES][2048];
    int n = 0;
    argv[n++] = (char *)cb_test_cli_path();
    argv[n++] = "redact";
    argv[n++] = "--json";
    argv[n++] = "-o";
    argv[n++] = out;
    argv[n++] = "--";
    for (int i = 0; i < N_NAMES; i++) {
        snprintf(paths[i], sizeof paths[i], "%s/%s", album, names[i]);
        argv[n++] = paths[i];
    }
    argv[n] = NULL;
    int rc = cb_test_run(argv, out_buf, BUF, err_buf, BUF);
    if (rc != 0)
        fail_msg("exit %d: %s", rc, err_buf);
    for (int i = 0; i < N_NAMES; i++)
        if (!exists(out, names[i]))
            fail_msg("no output for '%s'", names[i]);
    /* JSON: the newline and quotes escaped, so one line per file entry. */
    assert_non_null(strstr(out_buf, "line\\nbreak.jpg"));
    assert_non_null(strstr(out_buf, "quote ' \\\" $(echo no) `x`.jpg"));
    assert_null(strstr(out_buf, "line\nbreak"));
    /* Without `--`, a leading dash is an option: a usage error, nothing done. */
    char lone[2048];
    snprintf(lone, sizeof lone, "-leading-dash.jpg");
    char *argv2[] = {(char *)cb_test_cli_path(), "redact", "-o", out, lone, NULL};
    assert_int_equal(cb_test_run(argv2, out_buf, BUF, err_buf, BUF), 2);
    /* `./-name` also works. */
    assert_int_equal(chdir(album), 0);
    char *argv3[] = {(char *)cb_test_cli_path(), "redact", "--force", "-o", out,
                     "./-leading-dash.jpg", NULL};
    assert_int_equal(cb_test_run(argv3, out_buf, BUF, err_buf, BUF), 0);
    assert_int_equal(chdir("/"), 0);
}

static void test_batch_and_watch_names(void **state)
{
    (void)state;
    char album[600], safe[600], inbox[600], outbox[600];
    snprintf(album, sizeof album, "%s/album2", dir);
    snprintf(safe, sizeof safe, "%s/safe", dir);
    make_album(album);
    int rc = CLI("batch", album, "-o", safe, "--purpose", "social");
    if (rc != 0)
        fail_msg("batch: exit %d: %s%s", rc, out_buf, err_buf);
    for (int i = 0; i < N_NAMES; i++)
        if (!exists(safe, names[i]))
            fail_msg("batch: no output for '%s'", names[i]);
    snprintf(inbox, sizeof inbox, "%s/inbox", dir);
    snprintf(outbox, sizeof outbox, "%s/outbox", dir);
    make_album(inbox);
    rc = CLI("watch", inbox, "--out", outbox, "--purpose", "social", "--once");
    if (rc != 0)
        fail_msg("watch: exit %d: %s%s", rc, out_buf, err_buf);
    char archive[700];
    snprintf(archive, sizeof archive, "%s/archive", inbox);
    for (int i = 0; i < N_NAMES; i++) {
        if (!exists(outbox, names[i]))
            fail_msg("watch: no output for '%s'", names[i]);
        if (!exists(archive, names[i]))
            fail_msg("watch: '%s' not archived", names[i]);
    }
}

/* Wait until dir holds the temporary file of output `name` (".NAME.*.tmp",
 * pipeline/atomic_file.c), as long as process pid runs. Returns 1 when it does. */
static int wait_for_temporary_output(pid_t pid, const char *dir, const char *name)
{
    char prefix[256];
    snprintf(prefix, sizeof prefix, ".%s.", name);
    for (int t = 0, limit = cb_test_wait_limit_ms(60000); t < limit; t += 5) {
        DIR *d = opendir(dir);
        struct dirent *e;
        while (d && (e = readdir(d)) != NULL) {
            if (strncmp(e->d_name, prefix, strlen(prefix)) == 0) {
                closedir(d);
                return 1;
            }
        }
        if (d)
            closedir(d);
        siginfo_t info = {0};
        if (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOHANG | WNOWAIT) != 0 || info.si_pid != 0)
            return 0; /* it ended first */
        cb_test_sleep_ms(5);
    }
    return 0;
}

/* Replace the video (rename another file over it) while it is processed. */
static void test_video_replaced_while_processed(void **state)
{
    (void)state;
    char clip[600], other[600], out[600], src[1024];
    snprintf(clip, sizeof clip, "%s/clip.mp4", dir);
    snprintf(other, sizeof other, "%s/.other.mp4", dir);
    snprintf(out, sizeof out, "%s/replaced-out", dir);
    cb_test_data_path("video/hamilton-short.mp4", src, sizeof src);
    copy_file(src, clip);
    copy_file(src, other);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int fd = open("/dev/null", O_WRONLY);
        dup2(fd, 1);
        /* Larger faces, every third frame: quicker; the check is the same. */
        execl(cb_test_cli_path(), cb_test_cli_path(), "redact", clip, "-o", out, "--min-face",
              "60", "--detect-every", "3", (char *)NULL);
        _exit(127);
    }
    /* Replaced while the output is being written (its temporary file is
     * there): the decisions were made on the file that is gone. */
    assert_true(wait_for_temporary_output(pid, out, "clip.mp4"));
    assert_int_equal(rename(other, clip), 0); /* same content, another file */
    int status = 0;
    waitpid(pid, &status, 0);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 1);
    assert_false(exists(out, "clip.mp4"));
    DIR *d = opendir(out);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL)
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
                fail_msg("left in the output folder: %s", e->d_name);
        closedir(d);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_redact_names),
        cmocka_unit_test(test_batch_and_watch_names),
        cmocka_unit_test(test_video_replaced_while_processed),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

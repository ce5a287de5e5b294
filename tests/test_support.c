/* test_support.c - see test_support.h. */
#include "test_support.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

const char *cb_test_data_dir(void)
{
    const char *dir = getenv("CB_TESTDATA");
    if (!dir || !*dir)
        dir = CB_TESTDATA_DIR;
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        fail_msg("test data folder %s is missing (set CB_TESTDATA)", dir);
    return dir;
}

void cb_test_data_path(const char *rel, char *out, size_t size)
{
    snprintf(out, size, "%s/%s", cb_test_data_dir(), rel);
    struct stat st;
    if (stat(out, &st) != 0)
        fail_msg("test file %s is missing", out);
}

void cb_test_make_temp_dir(char *out, size_t size)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(out, size, "%s/cbtest-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(out))
        fail_msg("mkdtemp: %s", strerror(errno));
}

void cb_test_remove_tree(const char *path)
{
    char *const argv[] = {"rm", "-rf", (char *)path, NULL};
    cb_test_run(argv, NULL, 0, NULL, 0);
}

const char *cb_test_cli_path(void)
{
    return CB_BINARY_DIR "/consentblur";
}

/* Read from both pipes until both close. */
static void drain(int out_fd, int err_fd, char *out_buf, size_t out_size, char *err_buf,
                  size_t err_size)
{
    size_t out_len = 0, err_len = 0;
    struct pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
    int open_fds = 2;
    char scratch[4096];
    while (open_fds > 0) {
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        for (int i = 0; i < 2; i++) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            ssize_t n = read(fds[i].fd, scratch, sizeof scratch);
            if (n <= 0) {
                close(fds[i].fd);
                fds[i].fd = -1;
                open_fds--;
                continue;
            }
            char *buf = i == 0 ? out_buf : err_buf;
            size_t size = i == 0 ? out_size : err_size;
            size_t *len = i == 0 ? &out_len : &err_len;
            if (buf && size > 1) {
                size_t take = (size_t)n;
                if (take > size - 1 - *len)
                    take = size - 1 - *len;
                memcpy(buf + *len, scratch, take);
                *len += take;
                buf[*len] = '\0';
            }
        }
    }
}

int cb_test_run(char *const argv[], char *out_buf, size_t out_size, char *err_buf,
                size_t err_size)
{
    if (out_buf && out_size)
        out_buf[0] = '\0';
    if (err_buf && err_size)
        err_buf[0] = '\0';
    int out_pipe[2], err_pipe[2];
    if (pipe(out_pipe) != 0 || pipe(err_pipe) != 0)
        fail_msg("pipe: %s", strerror(errno));
    pid_t pid = fork();
    if (pid < 0)
        fail_msg("fork: %s", strerror(errno));
    if (pid == 0) {
        dup2(out_pipe[1], 1);
        dup2(err_pipe[1], 2);
        close(out_pipe[0]);
        close(err_pipe[0]);
        close(out_pipe[1]);
        close(err_pipe[1]);
        execvp(argv[0], argv);
        _exit(127);
    }
    close(out_pipe[1]);
    close(err_pipe[1]);
    drain(out_pipe[0], err_pipe[0], out_buf, out_size, err_buf, err_size);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* test_support.c - see test_support.h. */
#include "test_support.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/cb_error.h"
#include "common/sha256.h"
#include "pipeline/frame_util.h"
#include "pipeline/media_in.h"

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
    const char *dir = cb_test_data_dir();
    int n = snprintf(out, size, "%s/%s", dir, rel);
    if (n < 0 || (size_t)n >= size)
        fail_msg("test file path %s/%s is too long", dir, rel);
    if (access(out, R_OK) != 0)
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

void cb_test_registry_paths(char *dir, size_t dir_size, char *path, size_t path_size,
                            const char *actor)
{
    cb_test_make_temp_dir(dir, dir_size);
    int n = snprintf(path, path_size, "%s/registry.db", dir);
    if (n < 0 || (size_t)n >= path_size)
        fail_msg("registry path %s/registry.db is too long", dir);
    if (actor)
        setenv("CONSENTBLUR_ACTOR", actor, 1);
}

int cb_test_registry_setup(void **state)
{
    cb_test_registry *t = calloc(1, sizeof *t);
    if (!t)
        return -1;
    cb_test_registry_paths(t->dir, sizeof t->dir, t->path, sizeof t->path, NULL);
    cb_error err = {0};
    if (cb_registry_open(t->path, CB_REGISTRY_CREATE, &t->r, &err) < 0)
        fail_msg("open: %s", err.msg);
    *state = t;
    return 0;
}

int cb_test_registry_teardown(void **state)
{
    cb_test_registry *t = *state;
    cb_registry_close(t->r);
    cb_test_remove_tree(t->dir);
    free(t);
    return 0;
}

int cb_test_alloc_state(void **state, size_t size)
{
    void *p = calloc(1, size);
    if (!p)
        return -1;
    *state = p;
    return 0;
}

int cb_test_wait_limit_ms(int ms)
{
    const char *env = getenv("CB_TEST_TIME_SCALE");
    long scale = env ? strtol(env, NULL, 10) : 1;
    if (scale < 1)
        scale = 1;
    long limit = (long)ms * scale;
    return limit > INT_MAX ? INT_MAX : (int)limit;
}

void cb_test_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
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
    return cb_test_run_env(argv, NULL, out_buf, out_size, err_buf, err_size);
}

int cb_test_run_env(char *const argv[], const char *const env[], char *out_buf,
                    size_t out_size, char *err_buf, size_t err_size)
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
        for (size_t i = 0; env && env[i]; i++) {
            const char *eq = strchr(env[i], '=');
            if (!eq) {
                unsetenv(env[i]);
            } else {
                char name[256];
                snprintf(name, sizeof name, "%.*s", (int)(eq - env[i]), env[i]);
                setenv(name, eq + 1, 1);
            }
        }
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

static int run_cli(const char *const env[], const char *registry, char *out_buf,
                   size_t out_size, char *err_buf, size_t err_size, const char *first,
                   va_list ap)
{
    char *argv[64];
    int n = 0;
    argv[n++] = (char *)cb_test_cli_path();
    if (registry) {
        argv[n++] = "--registry";
        argv[n++] = (char *)registry;
    }
    if (first) {
        argv[n++] = (char *)first;
        for (char *a; (a = va_arg(ap, char *)) != NULL && n < 63;)
            argv[n++] = a;
    }
    argv[n] = NULL;
    return cb_test_run_env(argv, env, out_buf, out_size, err_buf, err_size);
}

int cb_test_run_cli(const char *registry, char *out_buf, size_t out_size, char *err_buf,
                    size_t err_size, const char *first, ...)
{
    va_list ap;
    va_start(ap, first);
    int rc = run_cli(NULL, registry, out_buf, out_size, err_buf, err_size, first, ap);
    va_end(ap);
    return rc;
}

int cb_test_run_cli_env(const char *const env[], const char *registry, char *out_buf,
                        size_t out_size, char *err_buf, size_t err_size, const char *first,
                        ...)
{
    va_list ap;
    va_start(ap, first);
    int rc = run_cli(env, registry, out_buf, out_size, err_buf, err_size, first, ap);
    va_end(ap);
    return rc;
}

/* ---- pictures, the detector ------------------------------------------------ */

AVFrame *cb_test_new_frame(int format, int width, int height)
{
    AVFrame *f = av_frame_alloc();
    assert_non_null(f);
    f->format = format;
    f->width = width;
    f->height = height;
    assert_int_equal(cb_frame_get_zeroed_buffer(f), 0);
    return f;
}

AVFrame *cb_test_read_image(const char *path)
{
    AVFrame *frame = NULL;
    cb_error err = {0};
    if (cb_image_read(path, NULL, &frame, NULL, &err) != 0)
        fail_msg("%s", err.msg);
    return frame;
}

AVFrame *cb_test_read_data_image(const char *rel)
{
    char path[1024];
    cb_test_data_path(rel, path, sizeof path);
    return cb_test_read_image(path);
}

cb_detector *cb_test_open_detector(const cb_detector_opts *opts)
{
    cb_detector_opts defaults;
    if (!opts) {
        cb_detector_opts_default(&defaults);
        opts = &defaults;
    }
    cb_detector *det = NULL;
    cb_error err = {0};
    if (cb_detector_open(opts, &det, &err) < 0)
        fail_msg("cb_detector_open: %s", err.msg);
    return det;
}

/* ---- the reference fixtures ------------------------------------------------- */

char *cb_test_read_text(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    long n = -1;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (buf = malloc((size_t)n + 1)) != NULL) {
        if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
            free(buf);
            buf = NULL;
        } else {
            buf[n] = '\0';
            if (len)
                *len = (size_t)n;
        }
    }
    fclose(f);
    return buf;
}

const char *cb_test_json_after_key(const char *p, const char *end, const char *key)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *hit = strstr(p, pat);
    if (!hit || hit >= end)
        return NULL;
    hit += strlen(pat);
    while (*hit == ' ' || *hit == '\n' || *hit == '\t' || *hit == '\r')
        hit++;
    return hit;
}

const char *cb_test_json_next_record(const char *p, const char *end, const char **rec_end)
{
    static const char key[] = "\"path\":";
    p = strstr(p, key);
    if (!p || p >= end)
        return NULL;
    const char *next = strstr(p + 1, key);
    *rec_end = next && next < end ? next : end;
    return p;
}

void cb_test_json_string(const char *fixture, const char *p, const char *end, const char *key,
                         char *out, size_t size)
{
    const char *v = cb_test_json_after_key(p, end, key);
    if (!v || *v != '"')
        fail_msg("%s: no string \"%s\"", fixture, key);
    v++;
    const char *q = strchr(v, '"');
    if (!q || (size_t)(q - v) >= size)
        fail_msg("%s: bad string \"%s\"", fixture, key);
    memcpy(out, v, (size_t)(q - v));
    out[q - v] = '\0';
}

double cb_test_json_number(const char *fixture, const char *p, const char *end,
                           const char *key)
{
    const char *v = cb_test_json_after_key(p, end, key);
    char *stop;
    double d = v ? strtod(v, &stop) : 0.0;
    if (!v || stop == v)
        fail_msg("%s: no number \"%s\"", fixture, key);
    return d;
}

uint8_t *cb_test_reference_rgb(const char *label, int w, int h, const char *sha256)
{
    char rel[512], filter[256] = "";
    snprintf(rel, sizeof rel, "%s", label);
    char *hash = strchr(rel, '#');
    if (hash) {
        *hash = '\0';
        snprintf(filter, sizeof filter, "%s,", hash + 1);
    }
    char path[1024];
    cb_test_data_path(rel, path, sizeof path);
    if (strchr(path, '\'') || strchr(filter, '\''))
        fail_msg("test data path %s contains a quote", label);
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "ffmpeg -nostdin -v error -i '%s' -vf '%sscale=%d:%d:flags=bilinear' "
             "-pix_fmt rgb24 -f rawvideo -",
             path, filter, w, h);
    FILE *pipe = popen(cmd, "r");
    if (!pipe)
        fail_msg("cannot run ffmpeg: %s", cmd);
    size_t want = (size_t)w * h * 3;
    uint8_t *rgb = malloc(want + 1);
    assert_non_null(rgb);
    size_t got = fread(rgb, 1, want + 1, pipe);
    int status = pclose(pipe);
    if (status != 0 || got != want) {
        free(rgb);
        fail_msg("ffmpeg on %s: exit status %d, %zu bytes (want %zu); is the ffmpeg CLI "
                 "installed?",
                 label, status, got, want);
    }
    uint8_t digest[32];
    char hex[65];
    cb_sha256(rgb, want, digest);
    cb_sha256_hex(digest, hex);
    if (strcmp(hex, sha256) != 0) {
        free(rgb);
        fail_msg("%s: ffmpeg gave input with sha256 %s, the reference used %s (different "
                 "ffmpeg scaler?)",
                 label, hex, sha256);
    }
    return rgb;
}

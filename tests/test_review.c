/*
 * test_review.c - `consentblur review` as staff and as an attacker meet it:
 * the real program serving a real output folder (a photo processed with
 * one enrolled person who consented, so one face kept and one redacted),
 * talked to with plain HTTP over a socket.
 *
 * Security (review_server.h): requests without the token, with another
 * token, with the token in the wrong place or with a foreign Host header
 * get 403; it listens on 127.0.0.1 only; no file outside the folder can be
 * read or written (.., absolute paths, encoded slashes, symbolic links to
 * files and folders, a folder swapped for a link after the listing,
 * dot-files); changes need POST (a GET of /api/redact changes nothing); it
 * stops on SIGTERM, SIGINT and after --idle minutes without a request.
 * Redaction by hand: a kept face redacted from the original (pixels there
 * changed, elsewhere bit for bit the same), recorded with the run and in
 * the audit log, shown by `runs list`; earlier regions stay redacted; with
 * the original gone it is redacted in the output; a file not on record, a
 * stale hash, a redacted face index and a region outside the picture are
 * refused and change nothing.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <math.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/sha256.h"
#include "consent/run_review.h"
#include "pipeline/redact.h"
#include "pipeline/video_in.h"
#include "test_support.h"

enum { BUF = 1 << 20 };

typedef struct fixture {
    char dir[256], registry[512], out[512], photo[1024], input[1024], secret[1024];
    int64_t run_id;
    int kept, redacted; /* face indexes */
    cb_run_face faces[2];
} fixture;

typedef struct server {
    pid_t pid;
    int port;
    char token[64];
} server;

static fixture *fx;
static pid_t running; /* the server a test started, for the teardown after a failure */

/* ---- the program ---------------------------------------------------------------- */

static void cli_ok(const char *first, ...)
{
    static char out[BUF], err[8192];
    const char *args[16] = {first};
    va_list ap;
    va_start(ap, first);
    for (int i = 1; i < 15 && (args[i] = va_arg(ap, const char *)) != NULL; i++)
        ;
    va_end(ap);
    int rc = cb_test_run_cli(fx->registry, out, BUF, err, sizeof err, args[0], args[1], args[2],
                             args[3], args[4], args[5], args[6], args[7], args[8], NULL);
    if (rc != 0)
        fail_msg("consentblur %s: exit %d: %s", first, rc, err);
}

/* Start `consentblur review OUT --idle idle [--report report]`, read its address. */
static server start_report(const char *idle, const char *report)
{
    int fds[2];
    server s = {0};
    assert_int_equal(pipe(fds), 0);
    s.pid = fork();
    assert_true(s.pid >= 0);
    if (s.pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        execl(cb_test_cli_path(), "consentblur", "--registry", fx->registry, "review", fx->out,
              "--idle", idle, report ? "--report" : (char *)NULL, report, (char *)NULL);
        _exit(127);
    }
    running = s.pid;
    close(fds[1]);
    FILE *f = fdopen(fds[0], "r");
    char line[512] = "";
    while (fgets(line, sizeof line, f) && strncmp(line, "http://", 7) != 0)
        ;
    fclose(f);
    if (sscanf(line, "http://127.0.0.1:%d/?token=%63s", &s.port, s.token) != 2)
        fail_msg("no address from review: '%s'", line);
    return s;
}

static server start(const char *idle)
{
    return start_report(idle, NULL);
}

/* Signal the server and wait for it: its exit status (-1: did not exit by itself). */
static int stop_with(server *s, int sig)
{
    int status = 0;
    running = 0;
    if (sig)
        kill(s->pid, sig);
    for (int i = 0; i < cb_test_wait_limit_ms(10000) / 50; i++) {
        if (waitpid(s->pid, &status, WNOHANG) == s->pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        cb_test_sleep_ms(50);
    }
    kill(s->pid, SIGKILL);
    waitpid(s->pid, &status, 0);
    return -1;
}

static void stop(server *s)
{
    assert_int_equal(stop_with(s, SIGTERM), 0);
}

/* ---- HTTP over a plain socket ------------------------------------------------------ */

/* Send raw (a whole request) to addr:port; the status code, the body into body. */
static int http_raw_to(in_addr_t addr, int port, const char *raw, char *body, size_t size)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = addr;
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        return -errno;
    }
    assert_int_equal(write(fd, raw, strlen(raw)), (ssize_t)strlen(raw));
    static char resp[BUF];
    size_t n = 0;
    ssize_t got;
    while (n + 1 < sizeof resp && (got = read(fd, resp + n, sizeof resp - 1 - n)) > 0)
        n += (size_t)got;
    close(fd);
    resp[n] = '\0';
    int status = 0;
    if (sscanf(resp, "HTTP/1.%*d %d", &status) != 1)
        fail_msg("not an HTTP answer: '%.200s'", resp);
    const char *b = strstr(resp, "\r\n\r\n");
    if (body)
        snprintf(body, size, "%s", b ? b + 4 : "");
    return status;
}

static int http_raw(const server *s, const char *raw, char *body, size_t size)
{
    return http_raw_to(htonl(INADDR_LOOPBACK), s->port, raw, body, size);
}

/* GET target (with "?token=..." or "&token=..." appended when with_token). */
static int get(const server *s, const char *target, int with_token, char *body, size_t size)
{
    char raw[4096];
    snprintf(raw, sizeof raw,
             "GET %s%s%s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n\r\n", target,
             !with_token ? "" : strchr(target, '?') ? "&token=" : "?token=",
             with_token ? s->token : "", s->port);
    return http_raw(s, raw, body, size);
}

/* POST form (already encoded) to /api/redact with token_header (NULL: none). */
static int post(const server *s, const char *token_header, const char *form, char *body,
                size_t size)
{
    char raw[8192], header[128] = "";
    if (token_header)
        snprintf(header, sizeof header, "X-Review-Token: %s\r\n", token_header);
    snprintf(raw, sizeof raw,
             "POST /api/redact HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n%sContent-Type: "
             "application/x-www-form-urlencoded\r\nContent-Length: %zu\r\nConnection: "
             "close\r\n\r\n%s",
             s->port, header, strlen(form), form);
    return http_raw(s, raw, body, size);
}

/* ---- files ------------------------------------------------------------------------- */

static void sha_of(const char *path, char out[65])
{
    cb_error err = {0};
    if (cb_sha256_file_hex(path, out, &err) < 0)
        fail_msg("%s", err.msg);
}

static void copy_file(const char *from, const char *to)
{
    size_t len = 0;
    char *data = cb_test_read_text(from, &len);
    assert_non_null(data);
    FILE *f = fopen(to, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    free(data);
}

/* The form for redacting the region x, y, w, h (face -1) or a face, in the photo as it is. */
static void form_for(char *out, size_t size, const char *name, int x, int y, int w, int h,
                     int face)
{
    char sha[65], path[1200];
    snprintf(path, sizeof path, "%s/%s", fx->out, name);
    sha_of(path, sha);
    snprintf(out, size, "name=%s&sha256=%s&x=%d&y=%d&w=%d&h=%d&face=%d&first=-1&last=-1", name,
             sha, x, y, w, h, face);
}

/* Mean absolute difference of two BGR frames over [x0, x1) x [y0, y1). */
static double mean_diff(const AVFrame *a, const AVFrame *b, int x0, int y0, int x1, int y1)
{
    double sum = 0;
    for (int y = y0; y < y1; y++)
        for (int x = 3 * x0; x < 3 * x1; x++)
            sum += abs(a->data[0][y * a->linesize[0] + x] - b->data[0][y * b->linesize[0] + x]);
    return sum / ((double)(x1 - x0) * (y1 - y0) * 3);
}

/* Pixels that differ outside every box's redaction ellipse (grown by a JPEG block). */
static long changed_elsewhere(const AVFrame *a, const AVFrame *b, const cb_face *boxes, int n)
{
    long changed = 0;
    for (int y = 0; y < a->height; y++) {
        for (int x = 0; x < a->width; x++) {
            int near = 0;
            for (int i = 0; i < n && !near; i++) {
                cb_redact_ellipse e;
                cb_redact_region(&boxes[i], a->width, a->height, &e);
                near = x >= e.x0 - 16 && x < e.x1 + 16 && y >= e.y0 - 16 && y < e.y1 + 16;
            }
            const uint8_t *p = a->data[0] + y * a->linesize[0] + 3 * x;
            const uint8_t *q = b->data[0] + y * b->linesize[0] + 3 * x;
            changed += !near && memcmp(p, q, 3) != 0;
        }
    }
    return changed;
}

static cb_face box_of(const cb_run_face *f)
{
    return (cb_face){.x = f->x, .y = f->y, .w = f->w, .h = f->h, .score = 1};
}

/* ---- set-up: one photo processed, one face kept, one redacted ------------------------ */

static void read_faces(void)
{
    cb_registry *r = NULL;
    cb_error err = {0};
    cb_run_media media;
    cb_run_face *faces = NULL;
    int has = 0, n = 0, found = 0, latest = 0;
    char sha[65];
    cb_run run;
    sha_of(fx->photo, sha);
    assert_int_equal(cb_registry_open(fx->registry, CB_REGISTRY_READONLY, &r, &err), 0);
    assert_int_equal(cb_registry_run_by_output(r, sha, &run, &found, &latest, &err), 0);
    assert_true(found && latest);
    fx->run_id = run.id;
    assert_int_equal(cb_registry_run_faces(r, run.id, &media, &has, &faces, &n, &err), 0);
    assert_true(has);
    assert_int_equal(n, 2);
    fx->kept = faces[0].keep ? 0 : 1;
    fx->redacted = 1 - fx->kept;
    assert_true(faces[fx->kept].keep && !faces[fx->redacted].keep);
    assert_string_equal(faces[fx->kept].external_id, "O1");
    assert_string_equal(faces[fx->redacted].external_id, ""); /* never whom it shows */
    for (int i = 0; i < 2; i++)
        fx->faces[i] = faces[i], fx->faces[i].boxes = NULL;
    cb_run_faces_free(faces, n);
    cb_registry_close(r);
}

/* Outside the folder: a secret photo, and links to it and to its folder. */
static void make_traps(void)
{
    char path[1200], outside[512];
    snprintf(outside, sizeof outside, "%s/outside", fx->dir);
    assert_int_equal(mkdir(outside, 0755), 0);
    snprintf(fx->secret, sizeof fx->secret, "%s/secret.jpg", outside);
    copy_file(fx->input, fx->secret);
    snprintf(path, sizeof path, "%s/link.jpg", fx->out);
    assert_int_equal(symlink(fx->secret, path), 0);
    snprintf(path, sizeof path, "%s/linkdir", fx->out);
    assert_int_equal(symlink(outside, path), 0);
    snprintf(path, sizeof path, "%s/.hidden.jpg", fx->out);
    copy_file(fx->input, path);
    snprintf(path, sizeof path, "%s/unknown.jpg", fx->out); /* no run wrote it */
    copy_file(fx->input, path);
}

static int group_setup(void **state)
{
    (void)state;
    fx = calloc(1, sizeof *fx);
    char in_dir[512], portrait[600], photo_src[600];
    cb_test_make_temp_dir(fx->dir, sizeof fx->dir);
    snprintf(fx->registry, sizeof fx->registry, "%s/registry.db", fx->dir);
    snprintf(fx->out, sizeof fx->out, "%s/out", fx->dir);
    snprintf(in_dir, sizeof in_dir, "%s/in", fx->dir);
    snprintf(fx->input, sizeof fx->input, "%s/two_people.jpg", in_dir);
    snprintf(fx->photo, sizeof fx->photo, "%s/two_people.jpg", fx->out);
    setenv("CONSENTBLUR_ACTOR", "review-tester", 1);
    cb_test_data_path("identities/obama/obama.jpg", portrait, sizeof portrait);
    cb_test_data_path("groups/two_people.jpg", photo_src, sizeof photo_src);
    assert_int_equal(mkdir(in_dir, 0755), 0);
    copy_file(photo_src, fx->input);
    cli_ok("person", "add", "O1", "--name", "Barack Obama", "--role", "staff", NULL);
    cli_ok("consent", "grant", "O1", "social", "--given-by", "self", NULL);
    cli_ok("enroll", "O1", portrait, NULL);
    /* UltraFace alone finds exactly the two faces; the photos' default also
     * blurs a sleeve button (README, "Face detection"), which this fixture of
     * one kept and one redacted face does not want. */
    cli_ok("process", fx->input, "-o", fx->out, "--purpose", "social", "--detectors", "ultraface",
           NULL);
    read_faces();
    make_traps();
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    cb_test_remove_tree(fx->dir);
    free(fx);
    return 0;
}

/* ---- security ------------------------------------------------------------------------ */

static void test_token_required(void **state)
{
    (void)state;
    static char body[BUF];
    char before[65], after[65], form[1024], wrong[64];
    server s = start("1");
    sha_of(fx->photo, before);
    static const char *const targets[] = {"/", "/api/files", "/file?name=two_people.jpg",
                                          "/frame?name=two_people.jpg&n=0", "/nowhere"};
    snprintf(wrong, sizeof wrong, "%s", s.token);
    wrong[0] = wrong[0] == 'a' ? 'b' : 'a'; /* same length, one digit off */
    for (size_t i = 0; i < sizeof targets / sizeof *targets; i++) {
        char target[256];
        assert_int_equal(get(&s, targets[i], 0, body, BUF), 403);
        snprintf(target, sizeof target, "%s%ctoken=%s", targets[i],
                 strchr(targets[i], '?') ? '&' : '?', wrong);
        assert_int_equal(get(&s, target, 0, body, BUF), 403);
    }
    assert_int_equal(get(&s, "/", 1, body, BUF), 200);
    assert_non_null(strstr(body, "<html lang=\"en\""));
    assert_int_equal(get(&s, "/api/files", 1, body, BUF), 200);
    assert_non_null(strstr(body, "\"name\": \"two_people.jpg\""));
    form_for(form, sizeof form, "two_people.jpg", 0, 0, 0, 0, fx->kept);
    assert_int_equal(post(&s, NULL, form, body, BUF), 403);
    assert_int_equal(post(&s, wrong, form, body, BUF), 403);
    char raw[4096]; /* the token in the query of a POST does not count */
    snprintf(raw, sizeof raw,
             "POST /api/redact?token=%s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Type: "
             "application/x-www-form-urlencoded\r\nContent-Length: %zu\r\nConnection: "
             "close\r\n\r\n%s", s.token, s.port, strlen(form), form);
    assert_int_equal(http_raw(&s, raw, body, BUF), 403);
    sha_of(fx->photo, after);
    assert_string_equal(before, after);
    stop(&s);
}

static void test_host_checked(void **state)
{
    (void)state;
    static char body[BUF];
    char raw[1024];
    server s = start("1");
    static const char *const hosts[] = {"evil.example", "127.0.0.1", "127.0.0.2:%d",
                                        "evil.example:%d"};
    for (size_t i = 0; i < sizeof hosts / sizeof *hosts; i++) {
        char host[64];
        snprintf(host, sizeof host, hosts[i], s.port);
        snprintf(raw, sizeof raw, "GET /api/files?token=%s HTTP/1.1\r\nHost: %s\r\n"
                 "Connection: close\r\n\r\n", s.token, host);
        assert_int_equal(http_raw(&s, raw, body, BUF), 403);
    }
    snprintf(raw, sizeof raw, "GET /api/files?token=%s HTTP/1.1\r\nHost: localhost:%d\r\n"
             "Connection: close\r\n\r\n", s.token, s.port);
    assert_int_equal(http_raw(&s, raw, body, BUF), 200);
    stop(&s);
}

/* The listening socket of port in /proc/net/tcp is 127.0.0.1's, and no other
 * address of this machine answers on it. */
static void test_loopback_only(void **state)
{
    (void)state;
    server s = start("1");
    FILE *f = fopen("/proc/net/tcp", "r");
    assert_non_null(f);
    char line[512];
    int listening = 0;
    while (fgets(line, sizeof line, f)) {
        unsigned addr, port, st;
        if (sscanf(line, " %*d: %8X:%4X %*8X:%*4X %2X", &addr, &port, &st) == 3 &&
            (int)port == s.port && st == 0x0A) {
            assert_int_equal(addr, 0x0100007F); /* 127.0.0.1, as the kernel writes it */
            listening++;
        }
    }
    fclose(f);
    assert_int_equal(listening, 1);
    struct ifaddrs *ifs = NULL, *i;
    assert_int_equal(getifaddrs(&ifs), 0);
    for (i = ifs; i; i = i->ifa_next) {
        if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET)
            continue;
        const in_addr_t a = ((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr;
        if ((ntohl(a) >> 24) == 127)
            continue;
        assert_int_equal(http_raw_to(a, s.port, "GET / HTTP/1.0\r\n\r\n", NULL, 0),
                         -ECONNREFUSED);
    }
    freeifaddrs(ifs);
    stop(&s);
}

/* Names that lead outside the folder, or to what it does not list. */
static const char *const outside_names[] = {
    "../outside/secret.jpg", "%2e%2e/outside/secret.jpg", "..%2Foutside%2Fsecret.jpg",
    "..%252Foutside%252Fsecret.jpg", "sub%2F..%2F..%2Foutside%2Fsecret.jpg", "link.jpg",
    "linkdir/secret.jpg", "linkdir%2Fsecret.jpg", ".hidden.jpg", "", "./two_people.jpg",
    "two_people.jpg/", "/two_people.jpg", "ABSOLUTE"};

static void test_paths_stay_inside(void **state)
{
    (void)state;
    static char body[BUF];
    char target[2048], form[2048], before[65], after[65], sha[65];
    server s = start("1");
    sha_of(fx->secret, before);
    for (size_t i = 0; i < sizeof outside_names / sizeof *outside_names; i++) {
        const char *name = strcmp(outside_names[i], "ABSOLUTE") ? outside_names[i] : fx->secret;
        snprintf(target, sizeof target, "/file?name=%s", name);
        assert_int_equal(get(&s, target, 1, body, BUF), 404);
        snprintf(form, sizeof form, "name=%s&sha256=%s&x=10&y=10&w=50&h=50&face=-1&first=-1&"
                 "last=-1", name, before);
        assert_int_equal(post(&s, s.token, form, body, BUF), 404);
    }
    snprintf(target, sizeof target, "/../outside/secret.jpg");
    assert_int_equal(get(&s, target, 1, body, BUF), 404);
    /* The listed output itself is served, as it is on disk. */
    assert_int_equal(get(&s, "/file?name=two_people.jpg", 1, body, BUF), 200);
    sha_of(fx->secret, after);
    assert_string_equal(before, after);
    /* A folder that was listed, then swapped for a link to another place. */
    char sub[700], moved[700], path[1400];
    snprintf(sub, sizeof sub, "%s/sub", fx->out);
    snprintf(moved, sizeof moved, "%s/sub-moved", fx->dir);
    assert_int_equal(mkdir(sub, 0755), 0);
    snprintf(path, sizeof path, "%s/two.jpg", sub);
    copy_file(fx->photo, path);
    assert_int_equal(get(&s, "/api/files", 1, body, BUF), 200);
    assert_non_null(strstr(body, "\"name\": \"sub/two.jpg\""));
    assert_int_equal(rename(sub, moved), 0);
    snprintf(path, sizeof path, "%s/outside", fx->dir);
    assert_int_equal(symlink(path, sub), 0);
    snprintf(path, sizeof path, "%s/outside/two.jpg", fx->dir);
    copy_file(fx->input, path);
    assert_int_equal(get(&s, "/file?name=sub/two.jpg", 1, body, BUF), 404);
    sha_of(fx->photo, sha);
    snprintf(form, sizeof form, "name=sub/two.jpg&sha256=%s&x=10&y=10&w=50&h=50&face=-1&"
             "first=-1&last=-1", sha);
    assert_int_equal(post(&s, s.token, form, body, BUF), 404);
    unlink(sub);
    unlink(path);
    cb_test_remove_tree(moved);
    stop(&s);
}

static void test_changes_need_post(void **state)
{
    (void)state;
    static char body[BUF];
    char form[1024], target[1400], before[65], after[65];
    server s = start("1");
    sha_of(fx->photo, before);
    form_for(form, sizeof form, "two_people.jpg", 0, 0, 0, 0, fx->kept);
    snprintf(target, sizeof target, "/api/redact?%s", form);
    assert_int_equal(get(&s, target, 1, body, BUF), 405);
    assert_int_equal(get(&s, "/api/keep", 1, body, BUF), 404); /* there is no un-redact */
    sha_of(fx->photo, after);
    assert_string_equal(before, after);
    stop(&s);
}

static void test_stops(void **state)
{
    (void)state;
    static char body[BUF];
    server s = start("1");
    assert_int_equal(stop_with(&s, SIGINT), 0);
    s = start("0.05"); /* 3 s without a request */
    for (int i = 0; i < 5; i++) { /* requests keep it up past that */
        assert_int_equal(get(&s, "/api/files", 1, body, BUF), 200);
        cb_test_sleep_ms(1000);
    }
    assert_int_equal(kill(s.pid, 0), 0);
    assert_int_equal(stop_with(&s, 0), 0); /* then it goes by itself */
    assert_int_equal(http_raw_to(htonl(INADDR_LOOPBACK), s.port, "GET / HTTP/1.0\r\n\r\n",
                                 NULL, 0), -ECONNREFUSED);
}

/* ---- redaction by hand --------------------------------------------------------------- */

static void read_edits(cb_run_edit **edits, int *n)
{
    cb_registry *r = NULL;
    cb_error err = {0};
    assert_int_equal(cb_registry_open(fx->registry, CB_REGISTRY_READONLY, &r, &err), 0);
    assert_int_equal(cb_registry_run_edits(r, fx->run_id, edits, n, &err), 0);
    cb_registry_close(r);
}

static void last_audit(cb_audit_row *row)
{
    cb_registry *r = NULL;
    cb_audit_row *rows = NULL;
    cb_error err = {0};
    int n = 0;
    assert_int_equal(cb_registry_open(fx->registry, CB_REGISTRY_READONLY, &r, &err), 0);
    assert_int_equal(cb_registry_audit_list(r, 0, 0, &rows, &n, &err), 0);
    assert_true(n > 0);
    *row = rows[n - 1];
    free(rows);
    cb_registry_close(r);
}

/* The refusals: nothing changes. */
static void check_refusals(const server *s)
{
    static char body[BUF];
    char form[1024], before[65], after[65];
    sha_of(fx->photo, before);
    form_for(form, sizeof form, "two_people.jpg", 0, 0, 0, 0, fx->redacted);
    assert_int_equal(post(s, s->token, form, body, BUF), 400); /* not a kept face */
    form_for(form, sizeof form, "two_people.jpg", 5000, 5000, 40, 40, -1);
    assert_int_equal(post(s, s->token, form, body, BUF), 400); /* outside the picture */
    form_for(form, sizeof form, "two_people.jpg", 10, 10, 40, 40, -1);
    memcpy(strstr(form, "sha256=") + 7, "00", 2);
    assert_int_equal(post(s, s->token, form, body, BUF), 409); /* not the file shown */
    form_for(form, sizeof form, "unknown.jpg", 10, 10, 40, 40, -1);
    assert_int_equal(post(s, s->token, form, body, BUF), 409); /* not on record */
    assert_non_null(strstr(body, "not on record"));
    assert_int_equal(post(s, s->token, "name=two_people.jpg&x=1", body, BUF), 400);
    sha_of(fx->photo, after);
    assert_string_equal(before, after);
}

static void test_redact_kept_face(void **state)
{
    (void)state;
    static char body[BUF], out[BUF];
    char form[1024];
    server s = start("1");
    check_refusals(&s);
    AVFrame *before = cb_test_read_image(fx->photo);
    form_for(form, sizeof form, "two_people.jpg", 0, 0, 0, 0, fx->kept);
    assert_int_equal(post(&s, s.token, form, body, BUF), 200);
    assert_non_null(strstr(body, "\"source\": \"original\""));
    AVFrame *after = cb_test_read_image(fx->photo);
    const cb_run_face *k = &fx->faces[fx->kept];
    const double inside = mean_diff(before, after, (int)(k->x + k->w * 0.2f),
                                    (int)(k->y + k->h * 0.2f), (int)(k->x + k->w * 0.8f),
                                    (int)(k->y + k->h * 0.8f));
    assert_true(inside > 8); /* the face is gone; left alone it would be 0 */
    const cb_face boxes[2] = {box_of(&fx->faces[0]), box_of(&fx->faces[1])};
    assert_int_equal(changed_elsewhere(before, after, boxes, 2), 0); /* made from the original */
    cb_run_edit *edits = NULL;
    int n = 0;
    read_edits(&edits, &n);
    assert_int_equal(n, 1);
    assert_string_equal(edits[0].actor, "review-tester");
    assert_int_equal(edits[0].face, fx->kept);
    assert_int_equal(edits[0].source, CB_EDIT_FROM_ORIGINAL);
    assert_int_equal(edits[0].first, -1);
    assert_true(abs(edits[0].x - (int)k->x) <= 1 && abs(edits[0].w - (int)k->w) <= 2);
    char sha[65];
    sha_of(fx->photo, sha);
    assert_string_equal(edits[0].after_sha256, sha);
    free(edits);
    cb_audit_row row;
    last_audit(&row);
    assert_string_equal(row.action, "review.redact");
    assert_string_equal(row.subject, "O1");
    assert_string_equal(row.actor, "review-tester");
    assert_non_null(strstr(row.details, "\"source\": \"original\""));
    assert_int_equal(cb_test_run_cli(fx->registry, out, BUF, NULL, 0, "runs", "list", "--json",
                                     NULL), 0);
    assert_non_null(strstr(out, "\"redacted_by_hand\": [{\"at\": "));
    assert_int_equal(get(&s, "/api/files", 1, body, BUF), 200);
    assert_non_null(strstr(body, "\"edits\": [{\"id\": "));
    av_frame_free(&before);
    /* A second region: the first stays redacted (everything is made again from the
     * original with every region so far). */
    form_for(form, sizeof form, "two_people.jpg", 20, 400, 120, 120, -1);
    assert_int_equal(post(&s, s.token, form, body, BUF), 200);
    AVFrame *again = cb_test_read_image(fx->photo);
    assert_true(mean_diff(after, again, 20, 400, 140, 520) > 2);
    AVFrame *original = cb_test_read_image(fx->input);
    assert_true(mean_diff(original, again, (int)(k->x + k->w * 0.2f), (int)(k->y + k->h * 0.2f),
                          (int)(k->x + k->w * 0.8f), (int)(k->y + k->h * 0.8f)) > 8);
    av_frame_free(&after);
    av_frame_free(&again);
    av_frame_free(&original);
    stop(&s);
}

/* A batch resumed over the same input takes the reviewed output as done (a region
 * redacted by hand is no change to consent). */
static void test_batch_keeps_review(void **state)
{
    (void)state;
    static char out[BUF];
    char in_dir[1100], sha_before[65], sha_after[65];
    snprintf(in_dir, sizeof in_dir, "%s/in", fx->dir);
    sha_of(fx->photo, sha_before);
    assert_int_equal(cb_test_run_cli(fx->registry, out, BUF, NULL, 0, "batch", in_dir, "-o",
                                     fx->out, "--purpose", "social", NULL), 0);
    assert_non_null(strstr(out, "0 processed, 1 already done"));
    sha_of(fx->photo, sha_after);
    assert_string_equal(sha_before, sha_after);
    /* A file processed after the review is done too when the batch resumes
     * again: its run judged on the log with the review's row in it. */
    char cmd[2400], copy[1200];
    snprintf(copy, sizeof copy, "%s/later.jpg", in_dir);
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", fx->input, copy);
    assert_int_equal(system(cmd), 0);
    for (int round = 0; round < 2; round++) {
        assert_int_equal(cb_test_run_cli(fx->registry, out, BUF, NULL, 0, "batch", in_dir, "-o",
                                         fx->out, "--purpose", "social", NULL),
                         0);
        assert_non_null(strstr(out, round == 0 ? "1 processed, 1 already done"
                                               : "0 processed, 2 already done"));
    }
    assert_int_equal(unlink(copy), 0);
    snprintf(copy, sizeof copy, "%s/later.jpg", fx->out);
    assert_int_equal(unlink(copy), 0);
}

/* The original moved away: the region is redacted in the output itself. */
static void test_redact_without_original(void **state)
{
    (void)state;
    static char body[BUF];
    char form[1024], moved[1100];
    snprintf(moved, sizeof moved, "%s.moved", fx->input);
    assert_int_equal(rename(fx->input, moved), 0);
    server s = start("1");
    AVFrame *before = cb_test_read_image(fx->photo);
    form_for(form, sizeof form, "two_people.jpg", 500, 300, 150, 150, -1);
    assert_int_equal(post(&s, s.token, form, body, BUF), 200);
    assert_non_null(strstr(body, "\"source\": \"output\""));
    AVFrame *after = cb_test_read_image(fx->photo);
    assert_true(mean_diff(before, after, 530, 330, 620, 420) > 2);
    /* Encoded once more: close to what it was elsewhere, never the original again. */
    assert_true(mean_diff(before, after, 0, 0, 200, 200) < 3);
    AVFrame *original = cb_test_read_image(moved);
    const cb_run_face *r = &fx->faces[fx->redacted];
    assert_true(mean_diff(original, after, (int)(r->x + r->w * 0.2f), (int)(r->y + r->h * 0.2f),
                          (int)(r->x + r->w * 0.8f), (int)(r->y + r->h * 0.8f)) > 8);
    cb_run_edit *edits = NULL;
    int n = 0;
    read_edits(&edits, &n);
    assert_int_equal(n, 3);
    assert_int_equal(edits[2].source, CB_EDIT_FROM_OUTPUT);
    assert_int_equal(edits[2].face, -1);
    free(edits);
    av_frame_free(&before);
    av_frame_free(&after);
    av_frame_free(&original);
    stop(&s);
    assert_int_equal(rename(moved, fx->input), 0);
}

/* After each test: a server a failed test left running goes. */
static int kill_server(void **state)
{
    (void)state;
    if (running > 0) {
        kill(running, SIGKILL);
        waitpid(running, NULL, 0);
        running = 0;
    }
    return 0;
}

#define TEST(f) cmocka_unit_test_teardown(f, kill_server)

/* A change killed between putting the output in place and recording it is undone at
 * the next start; a leftover copy beside an output on record just goes. */
static void test_unrecorded_change_undone(void **state)
{
    (void)state;
    char backup[1100], recorded[65], now[65];
    snprintf(backup, sizeof backup, "%s/.two_people.jpg.review.bak", fx->out);
    sha_of(fx->photo, recorded);
    copy_file(fx->photo, backup);
    copy_file(fx->input, fx->photo); /* a change nobody recorded */
    server s = start("1");
    stop(&s);
    sha_of(fx->photo, now);
    assert_string_equal(now, recorded);
    assert_int_equal(access(backup, F_OK), -1);
    copy_file(fx->input, backup); /* beside an output on record: it goes, the output stays */
    s = start("1");
    stop(&s);
    sha_of(fx->photo, now);
    assert_string_equal(now, recorded);
    assert_int_equal(access(backup, F_OK), -1);
}

/* The contact sheet written when the server stops shows the regions redacted by hand. */
static void test_report(void **state)
{
    (void)state;
    char path[700];
    snprintf(path, sizeof path, "%s/review.html", fx->dir);
    server s = start_report("1", path);
    stop(&s);
    char *html = cb_test_read_text(path, NULL);
    assert_non_null(html);
    int manual = 0;
    for (const char *p = html; (p = strstr(p, "redacted by hand: review-tester")); p++)
        manual++;
    assert_int_equal(manual, 3); /* the three edits of the tests before */
    assert_non_null(strstr(html, "kept: Barack Obama (O1) - social"));
    assert_non_null(strstr(html, "redacted: unknown"));
    assert_non_null(strstr(html, "unknown.jpg")); /* not on record: listed as such */
    assert_non_null(strstr(html, "not on record as the output of a run"));
    assert_null(strstr(html, "secret.jpg"));
    free(html);
}

/* ---- videos -------------------------------------------------------------------------- */

enum { CLIP_FRAMES = 12 };

/* The frames of a video, decoded (BGR). */
static void read_clip(const char *path, AVFrame *frames[CLIP_FRAMES])
{
    cb_video_in *in = NULL;
    cb_error err = {0};
    assert_int_equal(cb_video_in_open(path, 0, &in, NULL, &err), 0);
    for (int i = 0; i < CLIP_FRAMES; i++)
        if (cb_video_in_read(in, &frames[i], &err) != 0)
            fail_msg("%s: frame %d: %s", path, i, err.msg);
    AVFrame *more = NULL;
    assert_int_equal(cb_video_in_read(in, &more, &err), 1); /* every frame, no more */
    cb_video_in_close(in);
}

/* The photo as a 12-frame clip, processed: a kept track and a redacted one. */
static void make_clip(char *out_path, size_t size)
{
    char clip_dir[700], clip[800], cmd[4096], src[600];
    snprintf(clip_dir, sizeof clip_dir, "%s/clips", fx->dir);
    snprintf(clip, sizeof clip, "%s/clip.mp4", clip_dir);
    cb_test_data_path("groups/two_people.jpg", src, sizeof src);
    assert_int_equal(mkdir(clip_dir, 0755), 0);
    snprintf(cmd, sizeof cmd, "ffmpeg -nostdin -loglevel error -loop 1 -i '%s' -vf "
             "scale=1126:660,format=yuv420p -frames:v %d -r 12 -c:v libx264 '%s'", src,
             CLIP_FRAMES, clip);
    assert_int_equal(system(cmd), 0);
    cli_ok("process", clip, "-o", fx->out, "--purpose", "social", NULL);
    snprintf(out_path, size, "%s/clip.mp4", fx->out);
}

/* The kept track of the clip's run (its boxes on record for every frame). */
static void kept_track(const char *path, cb_run_face *out)
{
    cb_registry *r = NULL;
    cb_error err = {0};
    cb_run run;
    cb_run_media media;
    cb_run_face *faces = NULL;
    int found = 0, latest = 0, has = 0, n = 0, kept = 0;
    char sha[65];
    sha_of(path, sha);
    assert_int_equal(cb_registry_open(fx->registry, CB_REGISTRY_READONLY, &r, &err), 0);
    assert_int_equal(cb_registry_run_by_output(r, sha, &run, &found, &latest, &err), 0);
    assert_true(found);
    assert_int_equal(cb_registry_run_faces(r, run.id, &media, &has, &faces, &n, &err), 0);
    assert_int_equal(media.frames, CLIP_FRAMES);
    assert_int_equal(n, 2);
    for (int i = 0; i < n; i++) {
        assert_non_null(faces[i].boxes);
        assert_int_equal(faces[i].first, 0);
        assert_int_equal(faces[i].last, CLIP_FRAMES - 1);
        if (faces[i].keep)
            *out = faces[i], kept++;
    }
    assert_int_equal(kept, 1);
    out->boxes = NULL;
    cb_run_faces_free(faces, n);
    cb_registry_close(r);
}

static void test_redact_video(void **state)
{
    (void)state;
    static char body[BUF];
    char path[1100], sha[65], form[1024];
    AVFrame *before[CLIP_FRAMES], *after[CLIP_FRAMES];
    make_clip(path, sizeof path);
    read_clip(path, before);
    cb_run_face k = {0};
    kept_track(path, &k);
    server s = start("1");
    assert_int_equal(get(&s, "/api/files", 1, body, BUF), 200);
    const char *clip = strstr(body, "\"name\": \"clip.mp4\"");
    assert_non_null(clip);
    assert_non_null(strstr(clip, "\"frames\": 12"));
    assert_int_equal(get(&s, "/frame?name=clip.mp4&n=11", 1, body, BUF), 200);
    assert_int_equal(get(&s, "/frame?name=clip.mp4&n=12", 1, body, BUF), 404);
    /* The kept track as a whole, then a region in frames 3-5 only. */
    sha_of(path, sha);
    snprintf(form, sizeof form, "name=clip.mp4&sha256=%s&x=0&y=0&w=0&h=0&face=%d&first=0&"
             "last=0", sha, k.index);
    assert_int_equal(post(&s, s.token, form, body, BUF), 200);
    assert_non_null(strstr(body, "\"first\": 0, \"last\": 11"));
    sha_of(path, sha);
    snprintf(form, sizeof form, "name=clip.mp4&sha256=%s&x=500&y=400&w=100&h=100&face=-1&"
             "first=3&last=5", sha);
    assert_int_equal(post(&s, s.token, form, body, BUF), 200);
    snprintf(form, sizeof form, "name=clip.mp4&sha256=%s&x=500&y=400&w=100&h=100&face=-1&"
             "first=3&last=12", sha);
    assert_int_equal(post(&s, s.token, form, body, BUF), 409); /* stale hash comes first */
    stop(&s);
    read_clip(path, after);
    for (int i = 0; i < CLIP_FRAMES; i++) {
        const double face_change = mean_diff(before[i], after[i], (int)(k.x + k.w * 0.2f),
                                             (int)(k.y + k.h * 0.2f), (int)(k.x + k.w * 0.8f),
                                             (int)(k.y + k.h * 0.8f));
        const double region = mean_diff(before[i], after[i], 515, 415, 585, 485);
        const double background = mean_diff(before[i], after[i], 420, 260, 520, 330);
        assert_true(face_change > 8);                   /* every frame */
        assert_true((i >= 3 && i <= 5) == (region > 8)); /* its frames only */
        assert_true(background < 3);                    /* encoded again, nothing more */
        av_frame_free(&before[i]);
        av_frame_free(&after[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TEST(test_token_required),   TEST(test_host_checked),     TEST(test_loopback_only),
        TEST(test_paths_stay_inside), TEST(test_changes_need_post), TEST(test_stops),
        TEST(test_redact_kept_face), TEST(test_batch_keeps_review),
        TEST(test_redact_without_original), TEST(test_unrecorded_change_undone),
        TEST(test_report),
        TEST(test_redact_video),
    };
    signal(SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

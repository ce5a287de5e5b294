/*
 * review_server.c - the review page's web server (libmicrohttpd): token and
 * host checks, the routes, and the JSON the page reads; see review_server.h.
 */
#include "review_server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "../common/cb_date.h"
#include "../consent/run_review.h"
#include "review_files.h"
#include "review_http.h"

struct cb_review_server {
    cb_review_ctx ctx;          /* what the routes work on (review_http.h) */
    struct MHD_Daemon *daemon;
    int port;
    char token[33];
    char hosts[2][64];          /* the Host headers we answer to */
    _Atomic int64_t last_ms;    /* of the last request, monotonic */
};

enum { MAX_BODY = 16384, MAX_CONNECTIONS = 16, CONNECTION_TIMEOUT_S = 60 };

/* Headers on every answer: nothing cached, nothing sent elsewhere, nothing from elsewhere. */
static const char *const safety_headers[][2] = {
    {"Cache-Control", "no-store"},
    {"Referrer-Policy", "no-referrer"},
    {"X-Content-Type-Options", "nosniff"},
    {"X-Frame-Options", "DENY"},
    {"Content-Security-Policy",
     "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; "
     "script-src 'unsafe-inline'; connect-src 'self'; base-uri 'none'; form-action 'none'; "
     "frame-ancestors 'none'"},
};

int cb_review_respond(struct MHD_Connection *c, unsigned status, struct MHD_Response *resp,
                      const char *type)
{
    if (!resp)
        return MHD_NO;
    for (size_t i = 0; i < sizeof safety_headers / sizeof *safety_headers; i++)
        MHD_add_response_header(resp, safety_headers[i][0], safety_headers[i][1]);
    if (type)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    const int rc = MHD_queue_response(c, status, resp);
    MHD_destroy_response(resp);
    return rc;
}

int cb_review_respond_text(struct MHD_Connection *c, unsigned status, const char *text)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), (void *)text,
                                                             MHD_RESPMEM_MUST_COPY);
    return cb_review_respond(c, status, r, "text/plain; charset=utf-8");
}

/* ---- the checks every request passes ------------------------------------------------ */

/* Compare without an early exit, so the time taken says nothing about the token. */
static int same_secret(const char *given, const char *token)
{
    if (!given || strlen(given) != strlen(token))
        return 0;
    unsigned char diff = 0;
    for (size_t i = 0; token[i]; i++)
        diff |= (unsigned char)(given[i] ^ token[i]);
    return diff == 0;
}

static int allowed(const cb_review_server *s, struct MHD_Connection *c, int post)
{
    const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
    if (!host || (strcmp(host, s->hosts[0]) != 0 && strcmp(host, s->hosts[1]) != 0))
        return 0;
    const char *given = post ? MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Review-Token")
                             : MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "token");
    return same_secret(given, s->token);
}

/* ---- requests -------------------------------------------------------------------------- */

/* What one request collects before it is answered. */
typedef struct request {
    struct MHD_PostProcessor *pp;
    cb_review_form form;
    size_t body;
    int too_big;
} request;

static enum MHD_Result form_field(void *cls, enum MHD_ValueKind kind, const char *key,
                                  const char *filename, const char *content_type,
                                  const char *encoding, const char *data, uint64_t off,
                                  size_t size)
{
    (void)kind, (void)filename, (void)content_type, (void)encoding;
    return cb_review_form_add(cls, key, data, off, size) == 0 ? MHD_YES : MHD_NO;
}

static void request_done(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls, (void)c, (void)toe;
    request *rq = *con_cls;
    if (!rq)
        return;
    if (rq->pp)
        MHD_destroy_post_processor(rq->pp);
    free(rq);
    *con_cls = NULL;
}

/* Take a piece of a POST body (what is wrong with it is answered once it is all in). */
static int take_body(request *rq, const char *data, size_t *size)
{
    rq->body += *size;
    if (rq->body > MAX_BODY)
        rq->too_big = 1;
    if (!rq->too_big && rq->pp && MHD_post_process(rq->pp, data, *size) != MHD_YES)
        rq->too_big = 1; /* a field too long, or not form data */
    *size = 0;
    return MHD_YES;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **con_cls)
{
    (void)version;
    cb_review_server *s = cls;
    request *rq = *con_cls;
    const int post = !strcmp(method, MHD_HTTP_METHOD_POST);
    if (!rq) { /* the headers are in: first call */
        atomic_store(&s->last_ms, (int64_t)(cb_monotonic_seconds() * 1000));
        if (!allowed(s, c, post))
            return cb_review_respond_text(c, MHD_HTTP_FORBIDDEN, "403 forbidden\n");
        rq = calloc(1, sizeof *rq);
        if (!rq)
            return MHD_NO;
        *con_cls = rq;
        if (post)
            rq->pp = MHD_create_post_processor(c, 4096, form_field, &rq->form);
        return MHD_YES;
    }
    if (*upload_size > 0)
        return take_body(rq, upload, upload_size);
    if (rq->too_big || (post && !rq->pp))
        return cb_review_respond_text(c, MHD_HTTP_BAD_REQUEST, "400 bad request body\n");
    return cb_review_route(&s->ctx, c, method, url, &rq->form);
}

/* ---- start and stop -------------------------------------------------------------------- */

static int make_token(char out[33], cb_error *err)
{
    unsigned char b[16];
    if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b)
        return cb_error_set(err, CB_EIO, "no random numbers for the token");
    for (int i = 0; i < 16; i++)
        snprintf(out + 2 * i, 3, "%02x", b[i]);
    return 0;
}

static int listen_loopback(cb_review_server *s, int port, cb_error *err)
{
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    s->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, (uint16_t)port, NULL, NULL,
                                 handle, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
                                 MHD_OPTION_NOTIFY_COMPLETED, request_done, s,
                                 MHD_OPTION_CONNECTION_LIMIT, (unsigned)MAX_CONNECTIONS,
                                 MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CONNECTION_TIMEOUT_S,
                                 MHD_OPTION_END);
    if (!s->daemon)
        return cb_error_set(err, CB_EIO, _("cannot listen on 127.0.0.1 port %d (taken?)"), port);
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : port;
    snprintf(s->hosts[0], sizeof s->hosts[0], "127.0.0.1:%d", s->port);
    snprintf(s->hosts[1], sizeof s->hosts[1], "localhost:%d", s->port);
    return 0;
}

int cb_review_server_start(const cb_review_opts *opts, cb_review_server **out, cb_error *err)
{
    *out = NULL;
    cb_review_server *s = calloc(1, sizeof *s);
    if (!s)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    s->ctx.files.dirfd = -1;
    int rc = cb_review_ctx_open(&s->ctx, opts, err);
    if (rc == 0)
        rc = make_token(s->token, err);
    atomic_store(&s->last_ms, (int64_t)(cb_monotonic_seconds() * 1000));
    if (rc == 0)
        rc = listen_loopback(s, opts->port, err);
    if (rc < 0) {
        cb_review_server_stop(s);
        return rc;
    }
    *out = s;
    return 0;
}

int cb_review_server_port(const cb_review_server *s)
{
    return s->port;
}

const char *cb_review_server_token(const cb_review_server *s)
{
    return s->token;
}

double cb_review_server_last_request(const cb_review_server *s)
{
    return (double)atomic_load(&((cb_review_server *)s)->last_ms) / 1000;
}

void cb_review_server_stop(cb_review_server *s)
{
    if (!s)
        return;
    if (s->daemon)
        MHD_stop_daemon(s->daemon);
    cb_review_ctx_close(&s->ctx);
    free(s);
}

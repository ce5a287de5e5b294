/*
 * review_server.h - the web server of `consentblur review DIR`: one page
 * (review_page.c) on which staff see every output of DIR with each face's
 * decision and redact by hand what was missed (pipeline/review_redact.h,
 * recorded with consent/run_review.h).
 *
 * HTTP is libmicrohttpd's (Debian's libmicrohttpd-dev), on one thread of its
 * own: requests are handled one at a time, so the registry handle and the
 * file list need no lock. Security:
 * - it listens on 127.0.0.1 only (a free port unless one is asked for);
 * - every request must carry the token made for this server (random, 128
 *   bits): GET in the query (?token=...), POST in the X-Review-Token header;
 *   without it, or with another, 403. A Host header other than the
 *   server's own address (127.0.0.1:PORT, localhost:PORT) is refused (403),
 *   against pages that rename themselves to 127.0.0.1 (DNS rebinding);
 * - changes are POST only (a GET of /api/redact is 405), with the token in
 *   a header that a link or another site's form cannot set;
 * - files are named by their path under DIR as the file list has it (no
 *   dot-files, no symbolic links, only photo and video outputs); any other
 *   name is 404, and each is opened component by component without
 *   following a symbolic link, so nothing outside DIR is read or written;
 * - answers say no-store, no-referrer, nosniff and a content security policy
 *   that allows nothing from elsewhere.
 *
 * The server stops with cb_review_server_stop; cmd_review.c stops it on
 * SIGINT/SIGTERM and when no request came for --idle minutes.
 */
#ifndef CB_REVIEW_SERVER_H
#define CB_REVIEW_SERVER_H

#include "../consent/registry.h"
#include "cli.h"

/* A text of the page: key (for its script) and message (N_, translated when served). */
typedef struct cb_review_text {
    const char *key;
    const char *msg;
} cb_review_text;

/* review_page.c: the texts (ending with {NULL, NULL}) and the page in three
 * parts: head, the language code, middle, the texts as JSON, tail. */
extern const cb_review_text cb_review_texts[];
extern const char cb_review_page_head[], cb_review_page_middle[], cb_review_page_tail[];

typedef struct cb_review_opts {
    const char *dir;      /* the output folder (required) */
    cb_registry *registry;/* writable (required); borrowed: used by the server's thread
                             only, until cb_review_server_stop */
    const char *actor;    /* recorded as who made each change; NULL: the default actor */
    int port;             /* 0: a free port */
    const cb_logger *log; /* may be NULL */
} cb_review_opts;

typedef struct cb_review_server cb_review_server;

/*
 * List DIR's outputs and start listening. Returns 0 and
 * *out (stop with cb_review_server_stop), or a negative code with err set
 * (DIR not a folder, port taken).
 */
int cb_review_server_start(const cb_review_opts *opts, cb_review_server **out, cb_error *err);

/* The port it listens on, and its token (32 hex digits; owned by s). */
int cb_review_server_port(const cb_review_server *s);
const char *cb_review_server_token(const cb_review_server *s);

/* cb_monotonic_seconds() of the last request (the start when none came). */
double cb_review_server_last_request(const cb_review_server *s);

/* Stop listening (a request in hand is finished first), close, free. Accepts NULL. */
void cb_review_server_stop(cb_review_server *s);

#endif

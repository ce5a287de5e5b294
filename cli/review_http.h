/*
 * review_http.h - the routes of the review server (review_server.c calls
 * them once a request passed the host and token checks): the page, the
 * list of outputs with their faces and manual redactions as JSON, an output
 * file, a video frame, and the one change there is (redact a region).
 *
 * Everything here runs on the server's one thread; nothing is locked.
 */
#ifndef CB_REVIEW_HTTP_H
#define CB_REVIEW_HTTP_H

#include <microhttpd.h>

#include "../consent/run_review.h"
#include "review_files.h"
#include "review_server.h"

/* What the routes work on. */
typedef struct cb_review_ctx {
    cb_registry *reg;      /* writable; borrowed (cb_review_opts) */
    cb_review_files files; /* DIR's outputs */
    char actor[64];        /* "" : the default actor */
    const cb_logger *log;
} cb_review_ctx;

/* List DIR. Close with cb_review_ctx_close (also after a failure). */
int cb_review_ctx_open(cb_review_ctx *ctx, const cb_review_opts *opts, cb_error *err);
void cb_review_ctx_close(cb_review_ctx *ctx);

/* What the registry knows of one listed file. */
typedef struct cb_review_record {
    cb_run run;            /* the run whose output it is (found) */
    int found;             /* a run wrote it, or a manual edit of a run's output left it */
    int latest;            /* ... and nothing was redacted by hand since */
    int has_media;         /* the run's faces are on record (schema 4 and later) */
    cb_run_media media;
    cb_run_face *faces;
    int n_faces;
    cb_run_edit *edits;    /* regions redacted by hand, oldest first */
    int n_edits;
} cb_review_record;

/* Read it (file->sha256 finds the run). Free with cb_review_record_free, also
 * after a failure. */
int cb_review_record_read(cb_registry *reg, const cb_review_file *file, cb_review_record *r,
                          cb_error *err);
void cb_review_record_free(cb_review_record *r);

/* review_report.c: write the contact sheet (pipeline/report.h) of DIR's outputs as they
 * are now, with the run's decisions and the regions redacted by hand, to html_path. */
int cb_review_write_report(cb_registry *reg, const char *dir, const char *html_path,
                           cb_error *err);

/* The fields of a POST /api/redact body (form data), as text. */
typedef struct cb_review_form {
    char name[1024];
    char sha256[65];
    char num[7][24];       /* x, y, w, h, face, first, last */
    int seen;              /* bit i: num[i] given */
} cb_review_form;

/* Take a piece of a form field (libmicrohttpd's post processor hands them
 * over in pieces at offset off). 0, or -1 for an unknown field or one too long. */
int cb_review_form_add(cb_review_form *f, const char *key, const char *data, uint64_t off,
                       size_t size);

/* Answer a request (MHD_YES / MHD_NO as libmicrohttpd wants). */
int cb_review_route(cb_review_ctx *ctx, struct MHD_Connection *c, const char *method,
                    const char *url, const cb_review_form *form);

/* Queue resp (consumed; NULL: MHD_NO) with the safety headers and a content type. */
int cb_review_respond(struct MHD_Connection *c, unsigned status, struct MHD_Response *resp,
                      const char *type);
int cb_review_respond_text(struct MHD_Connection *c, unsigned status, const char *text);

#endif

/*
 * cb_error.h - status codes and the error out-parameter used by every module.
 *
 * Convention (see DESIGN.md, "Rules of the house"): functions return an int,
 * 0 on success or a negative code on failure. System errors are -errno; our
 * own codes are the CB_E* values below (all below -1000 so they never clash
 * with -errno). A function that fails fills the optional cb_error it was
 * given with the code and a one-line, human-readable message. The message is
 * a fixed-size buffer owned by the caller: nothing to free.
 */
#ifndef CB_ERROR_H
#define CB_ERROR_H

#include <stdarg.h>

enum {
    CB_OK = 0,
    CB_EINVAL = -1001,   /* bad argument or option */
    CB_ENOMEM = -1002,   /* allocation failed */
    CB_EIO = -1003,      /* read/write failed (details in message) */
    CB_EDECODE = -1004,  /* input is not a decodable image/video */
    CB_EENCODE = -1005,  /* encoder failed */
    CB_ETOOBIG = -1006,  /* dimensions over the configured limit */
    CB_ETOOSMALL = -1007,/* dimensions under the minimum we process */
    CB_EMODEL = -1008,   /* model file missing, corrupt or failed to run */
    CB_EEXIST = -1009,   /* output exists and --force was not given */
    CB_EFORMAT = -1010,  /* unsupported format or codec */
    CB_EINTERNAL = -1011,/* a bug or an unexpected foreign exception */
    CB_EDB = -1012,      /* registry (sqlite) error */
    CB_EBUSY = -1013,    /* registry locked for longer than the timeout */
    CB_ENOTFOUND = -1014,/* no such person / record */
    CB_ETAMPER = -1015   /* registry does not match its audit log (consent/integrity.h) */
};

#define CB_ERROR_MSG_SIZE 512

/* Error details. Zero-initialise before use ({0}); code 0 means no error. */
typedef struct cb_error {
    int code;
    char msg[CB_ERROR_MSG_SIZE];
} cb_error;

/*
 * Record an error: sets err->code and formats err->msg (truncated to fit).
 * err may be NULL (then nothing is recorded). Returns code, so callers can
 * write `return cb_error_set(err, CB_EINVAL, "...")`.
 */
int cb_error_set(cb_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Like cb_error_set but with a va_list. */
int cb_error_vset(cb_error *err, int code, const char *fmt, va_list ap);

/*
 * Prefix an existing message with "what: ". Useful when a lower layer's
 * message lacks context (the file name, say). err may be NULL. Returns
 * err->code (or CB_EINTERNAL when err is NULL).
 */
int cb_error_prefix(cb_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A short, static description of a status code (never NULL). */
const char *cb_strerror(int code);

#endif

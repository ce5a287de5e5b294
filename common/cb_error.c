/* cb_error.c - the error out-parameter; see cb_error.h. */
#include "cb_error.h"

#include <stdio.h>
#include <string.h>

int cb_error_vset(cb_error *err, int code, const char *fmt, va_list ap)
{
    if (!err)
        return code;
    err->code = code;
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    return code;
}

int cb_error_set(cb_error *err, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cb_error_vset(err, code, fmt, ap);
    va_end(ap);
    return code;
}

int cb_error_prefix(cb_error *err, const char *fmt, ...)
{
    if (!err)
        return CB_EINTERNAL;
    char prefix[CB_ERROR_MSG_SIZE];
    char old[CB_ERROR_MSG_SIZE];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    size_t n = strlen(prefix);
    if (n > sizeof err->msg - 3)
        n = sizeof err->msg - 3;
    memcpy(err->msg, prefix, n);
    memcpy(err->msg + n, ": ", 2);
    size_t room = sizeof err->msg - n - 3;
    size_t m = strnlen(old, room);
    memcpy(err->msg + n + 2, old, m);
    err->msg[n + 2 + m] = '\0';
    return err->code;
}

const char *cb_strerror(int code)
{
    switch (code) {
    case CB_OK: return "ok";
    case CB_EINVAL: return "invalid argument";
    case CB_ENOMEM: return "out of memory";
    case CB_EIO: return "input/output error";
    case CB_EDECODE: return "cannot decode input";
    case CB_EENCODE: return "cannot encode output";
    case CB_ETOOBIG: return "image too large";
    case CB_ETOOSMALL: return "image too small";
    case CB_EMODEL: return "model error";
    case CB_EEXIST: return "output exists";
    case CB_EFORMAT: return "unsupported format";
    case CB_EINTERNAL: return "internal error";
    case CB_EDB: return "registry error";
    case CB_EBUSY: return "registry busy";
    case CB_ENOTFOUND: return "not found";
    case CB_ETAMPER: return "registry does not match its audit log";
    default:
        if (code < 0 && code > -1000)
            return strerror(-code);
        return "unknown error";
    }
}

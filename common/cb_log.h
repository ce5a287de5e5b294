/*
 * cb_log.h - the one logging function.
 *
 * There is no global logger: whoever wants messages passes a cb_logger (a
 * level and a sink) down through the options structs. A NULL logger is
 * silent. The CLI makes one that writes to stderr, quiet by default, more
 * with -v.
 */
#ifndef CB_LOG_H
#define CB_LOG_H

enum cb_log_level { CB_LOG_ERROR = 0, CB_LOG_WARN = 1, CB_LOG_INFO = 2, CB_LOG_DEBUG = 3 };

typedef struct cb_logger {
    int level; /* messages above this level are dropped */
    /* Receives each formatted line (no trailing newline). NULL: stderr. */
    void (*sink)(void *user, int level, const char *line);
    void *user;
} cb_logger;

/* "error", "warning", "info" or "debug" (level clamped to that range): the
 * word the default sink prints, for sinks that print lines the same way. */
const char *cb_log_level_name(int level);

/* Format and emit one message if log is non-NULL and level <= log->level. */
void cb_log(const cb_logger *log, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif

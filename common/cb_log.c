/* cb_log.c - see cb_log.h. */
#include "cb_log.h"

#include <stdarg.h>
#include <stdio.h>

void cb_log(const cb_logger *log, int level, const char *fmt, ...)
{
    if (!log || level > log->level)
        return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (log->sink) {
        log->sink(log->user, level, line);
        return;
    }
    static const char *const names[] = { "error", "warning", "info", "debug" };
    fprintf(stderr, "consentblur: %s: %s\n", names[level < 0 ? 0 : level > 3 ? 3 : level], line);
}

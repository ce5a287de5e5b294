/* cb_log.c - see cb_log.h. */
#include "cb_log.h"

#include <stdarg.h>
#include <stdio.h>

const char *cb_log_level_name(int level)
{
    static const char *const names[] = { "error", "warning", "info", "debug" };
    return names[level < 0 ? 0 : level > 3 ? 3 : level];
}

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
    fprintf(stderr, "consentblur: %s: %s\n", cb_log_level_name(level), line);
}

/* cli_messages.c - messages shared by the commands; see cli.h. */
#include <string.h>

#include "cli.h"

void cb_cli_cannot_start(const cb_error *err)
{
    fprintf(stderr, _("consentblur: cannot start: %s\n"), err->msg);
}

const char *cb_cli_detail(const char *path, const cb_error *err)
{
    size_t n = path ? strlen(path) : 0;
    if (n && !strncmp(err->msg, path, n) && err->msg[n] == ':' && err->msg[n + 1] == ' ' &&
        err->msg[n + 2])
        return err->msg + n + 2;
    return err->msg;
}

void cb_cli_file_failed(const char *file, int code, const cb_error *err)
{
    /* TRANSLATORS: FILE: failed: what went wrong, for people (one sentence)
       (the technical detail, not translated). */
    fprintf(stderr, _("consentblur: %s: failed: %s (%s)\n"), file, cb_i18n_reason(code),
            cb_cli_detail(file, err));
}

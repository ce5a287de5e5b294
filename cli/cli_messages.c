/* cli_messages.c - messages and the --json output shared by the commands; see cli.h. */
#include <errno.h>
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

cb_json *cb_cli_json_list(const char *name, cb_json_layout layout)
{
    cb_json *j = cb_json_new(0);
    cb_json_object(j, CB_JSON_INLINE);
    cb_json_key(j, name);
    cb_json_array(j, layout);
    return j;
}

int cb_cli_json_list_done(cb_json *j)
{
    cb_json_end(j);
    cb_json_end(j);
    return cb_cli_json_done(j);
}

int cb_cli_json_done(cb_json *j)
{
    int rc = cb_json_finish(j, stdout);
    const char *why = cb_json_error_text(j);
    if (rc == 0 && fflush(stdout) != 0) {
        rc = CB_EIO;
        why = strerror(errno);
    }
    if (rc < 0)
        /* TRANSLATORS: --json output that could not be written: the reason
           (not translated). */
        fprintf(stderr, _("consentblur: cannot write the JSON output: %s\n"), why);
    cb_json_free(j);
    return rc < 0 ? CB_EXIT_FAILED : CB_EXIT_OK;
}

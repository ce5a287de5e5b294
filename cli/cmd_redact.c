/*
 * cmd_redact.c - `consentblur redact IN... -o OUTDIR`: every face found in
 * each photo is redacted; no registry is involved.
 */
#include "media_command.h"

void cb_cmd_redact_usage(FILE *f)
{
    fputs(_("usage: consentblur redact IN... -o OUTDIR [options]\n"
            "\n"
            "Finds every face in each photo (JPEG, PNG, WebP) and writes a copy with all\n"
            "of them made unrecognisable to OUTDIR, under the same name. No consent\n"
            "registry is used. The input is never changed. A file that fails gets no\n"
            "output at all.\n"
            "\n"),
          f);
    cb_media_command_options(CB_MODE_REDACT, f);
}

int cb_cmd_redact(int argc, char **argv, const cb_cli_common *common)
{
    return cb_media_command(CB_MODE_REDACT, argc, argv, common);
}

/*
 * media_command.h - what `redact`, `process` and `check` share: their
 * options, the loop over input files, and the JSON report. The three differ
 * only in whether a consent registry is used and whether output is written.
 */
#ifndef CB_MEDIA_COMMAND_H
#define CB_MEDIA_COMMAND_H

#include "../consent/judge.h"
#include "../pipeline/photo.h"
#include "cli.h"

typedef enum cb_media_mode {
    CB_MODE_REDACT,  /* every face redacted, no registry */
    CB_MODE_PROCESS, /* faces with valid consent kept, the rest redacted */
    CB_MODE_CHECK    /* decide only; nothing written; exit 0 only if every face may be shown */
} cb_media_mode;

/* Run the command in `mode` on argv (argv[0] is the command name). Parses
 * the options, prints usage errors, returns an exit code (cli.h). */
int cb_media_command(cb_media_mode mode, int argc, char **argv, const cb_cli_common *common);

/* Print the option list for mode (used by each command's usage). */
void cb_media_command_options(cb_media_mode mode, FILE *f);

#endif

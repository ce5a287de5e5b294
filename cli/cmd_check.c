/*
 * cmd_check.c - `consentblur check FILE... --purpose P`: may these photos be
 * published as they are? Writes nothing.
 */
#include "media_command.h"

void cb_cmd_check_usage(FILE *f)
{
    fputs(_("usage: consentblur check FILE... --purpose P [options]\n"
            "\n"
            "Answers before posting: exit 0 only when every face in every file belongs to\n"
            "an enrolled person with valid consent for purpose P; otherwise exit 1 and one\n"
            "line per face that may not be shown, saying why. Writes no files.\n"
            "\n"),
          f);
    cb_media_command_options(CB_MODE_CHECK, f);
}

int cb_cmd_check(int argc, char **argv, const cb_cli_common *common)
{
    return cb_media_command(CB_MODE_CHECK, argc, argv, common);
}

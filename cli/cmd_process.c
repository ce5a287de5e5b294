/*
 * cmd_process.c - `consentblur process IN... -o OUTDIR --purpose P`: faces of
 * enrolled people with valid consent for P stay visible, every other face is
 * redacted.
 */
#include "media_command.h"

void cb_cmd_process_usage(FILE *f)
{
    fputs(_("usage: consentblur process IN... -o OUTDIR --purpose P [options]\n"
            "\n"
            "Finds every face in each photo, recognises the people enrolled in the consent\n"
            "registry, and writes a copy to OUTDIR in which only the faces of people who\n"
            "hold valid consent for purpose P (on the run's date, given by the right party)\n"
            "are left visible. Every other face - unknown, unclear, no consent, withdrawn,\n"
            "expired - is made unrecognisable. Any registry or recognition error means no\n"
            "output for that file. --json says per face what was decided and why.\n"
            "\n"),
          f);
    cb_media_command_options(CB_MODE_PROCESS, f);
}

int cb_cmd_process(int argc, char **argv, const cb_cli_common *common)
{
    return cb_media_command(CB_MODE_PROCESS, argc, argv, common);
}

/*
 * cmd_export.c - `consentblur export PERSON [-o FILE]`: everything the
 * registry holds about one person, as JSON.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../consent/export.h"
#include "cli_registry.h"

void cb_cmd_export_usage(FILE *f)
{
    fputs(_("usage: consentblur export PERSON [-o FILE] [--embeddings]\n"
            "\n"
            "Writes everything the registry holds about one person as JSON: the person,\n"
            "every consent record, the face templates (metadata; the values only with\n"
            "--embeddings) and the audit rows about them. For a subject access request.\n"
            "\n"
            "options:\n"
            "  -o, --out FILE     write to FILE (mode 0600, replaced atomically) instead of\n"
            "                     stdout\n"
            "  --embeddings       include the template values\n"
            "  --registry FILE    the registry (default: the global --registry, else\n"
            "                     $CONSENTBLUR_REGISTRY, else ~/.local/share/consentblur/registry.db)\n"
            "  -h, --help         this help\n"),
          f);
}

/* Export into a temp file beside path, then rename over it. */
static int export_to_file(cb_registry *r, int64_t id, int flags, const char *path, cb_error *err)
{
    char tmp[4200];
    int n = snprintf(tmp, sizeof tmp, "%s.tmp-XXXXXX", path);
    if (n < 0 || (size_t)n >= sizeof tmp)
        return cb_error_set(err, CB_EINVAL, _("%s: path too long"), path);
    int fd = mkstemp(tmp); /* mode 0600 */
    if (fd < 0)
        return cb_error_set(err, -errno, "%s: %s", path, strerror(errno));
    FILE *f = fdopen(fd, "w");
    if (!f) {
        close(fd);
        unlink(tmp);
        return cb_error_set(err, CB_ENOMEM, _("out of memory"));
    }
    int rc = cb_registry_export_person(r, id, flags, f, err);
    if (rc == 0 && fsync(fileno(f)) != 0)
        rc = cb_error_set(err, -errno, "%s: %s", path, strerror(errno));
    if (fclose(f) != 0 && rc == 0)
        rc = cb_error_set(err, CB_EIO, _("%s: write failed"), path);
    if (rc == 0 && rename(tmp, path) != 0)
        rc = cb_error_set(err, -errno, "%s: %s", path, strerror(errno));
    if (rc < 0)
        unlink(tmp);
    return rc;
}

int cb_cmd_export(int argc, char **argv, const cb_cli_common *common)
{
    enum { OPT_EMBEDDINGS = CB_OPT_FIRST_OWN };
    static const struct option options[] = {{"out", required_argument, NULL, 'o'},
                                            {"embeddings", no_argument, NULL, OPT_EMBEDDINGS},
                                            CB_CLI_REG_OPTIONS,
                                            {NULL, 0, NULL, 0}};
    cb_cli_reg o = {0};
    const char *out = NULL;
    int flags = 0, c;
    cb_cli_getopt_reset();
    while ((c = getopt_long(argc, argv, "ho:", options, NULL)) != -1) {
        if (c == 'o')
            out = optarg;
        else if (c == OPT_EMBEDDINGS)
            flags |= CB_EXPORT_EMBEDDINGS;
        else if (!cb_cli_reg_option(c, &o))
            return cb_cli_bad_option("export", argv);
    }
    if (o.help) {
        cb_cmd_export_usage(stdout);
        return CB_EXIT_OK;
    }
    if (argc - optind != 1)
        return cb_cli_usage_error("export", _("takes one PERSON"));
    cb_registry *r = NULL;
    cb_person p;
    cb_error err = {0};
    if (cb_cli_reg_open(common, &o, 0, &r))
        return CB_EXIT_FAILED;
    int rc = cb_cli_find_person(r, argv[optind], &p, &err);
    if (rc == 0)
        rc = out && strcmp(out, "-") ? export_to_file(r, p.id, flags, out, &err)
                                     : cb_registry_export_person(r, p.id, flags, stdout, &err);
    cb_registry_close(r);
    if (rc < 0)
        return cb_cli_fail("%s", err.msg);
    return CB_EXIT_OK;
}

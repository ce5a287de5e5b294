/* model_files.c - see model_files.h. */
#include "model_files.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../common/fsutil.h"
#include "../common/sha256.h"
#include "model_hashes.h"

#define CB_REBUILD_HINT "run `make models` in the consentblur source folder to rebuild it"

const char *cb_model_dir(const char *override)
{
    if (override && *override)
        return override;
    const char *env = getenv("CONSENTBLUR_MODELS");
    if (env && *env)
        return env;
    return CB_DEFAULT_MODEL_DIR;
}

const char *cb_model_expected_sha256(const char *name)
{
    for (const struct cb_model_hash *h = cb_model_hashes; h->file; h++)
        if (strcmp(h->file, name) == 0)
            return h->sha256;
    return NULL;
}

int cb_model_file_check(const char *dir, const char *name, char *path, size_t path_size,
                        cb_error *err)
{
    int rc = cb_path_join(path, path_size, dir, name, err);
    if (rc < 0)
        return rc;
    struct stat st;
    if (stat(path, &st) != 0)
        return cb_error_set(err, CB_EMODEL, "model file %s is missing (%s); " CB_REBUILD_HINT,
                            path, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return cb_error_set(err, CB_EMODEL, "model file %s is not a regular file; " CB_REBUILD_HINT,
                            path);
    const char *want = cb_model_expected_sha256(name);
    if (!want)
        return 0;
    char got[65];
    rc = cb_sha256_file_hex(path, got, err);
    if (rc < 0)
        return cb_error_set(err, CB_EMODEL, "model file %s cannot be read; " CB_REBUILD_HINT, path);
    if (strcmp(got, want) != 0)
        return cb_error_set(err, CB_EMODEL,
                            "model file %s is corrupt (sha256 %.12s..., expected %.12s...); "
                            CB_REBUILD_HINT, path, got, want);
    return 0;
}

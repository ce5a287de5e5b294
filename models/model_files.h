/*
 * model_files.h - find model files and check them against the SHA-256 in
 * models/MANIFEST (compiled in) before anything loads them.
 */
#ifndef CB_MODEL_FILES_H
#define CB_MODEL_FILES_H

#include <stddef.h>

#include "../common/cb_error.h"

/* The model folder: `override` if non-NULL and non-empty, else the
 * CONSENTBLUR_MODELS environment variable, else the build's default
 * (CB_DEFAULT_MODEL_DIR, the .cache/models folder that `make models` fills).
 * The returned string is not owned by the caller. */
const char *cb_model_dir(const char *override);

/*
 * Put dir/name into path (path_size bytes) and check that the file exists and
 * that its SHA-256 matches the manifest. Returns 0, or CB_EMODEL with a
 * message naming the file, what is wrong, and the command that rebuilds it.
 * A name that the manifest does not list is accepted without a hash check
 * (for user-supplied models).
 */
int cb_model_file_check(const char *dir, const char *name, char *path, size_t path_size,
                        cb_error *err);

/* The SHA-256 (hex) that models/MANIFEST gives for a model file name, or
 * NULL when the manifest does not list it. Static storage. */
const char *cb_model_expected_sha256(const char *name);

#endif

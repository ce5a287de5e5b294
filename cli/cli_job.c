/* cli_job.c - job options from the global ones; see cli_job.h. */
#include "cli_job.h"

#include <stdio.h>

#include "../consent/registry.h"

int cb_cli_job_setup(cb_job_opts *opts, const cb_cli_common *common, const char *registry,
                     int use_judge, char *registry_buf, size_t size, cb_error *err)
{
    opts->det.log = opts->video_det.log = &common->log;
    opts->det.model_dir = opts->video_det.model_dir = common->model_dir;
    opts->photo.log = &common->log;
    opts->video.log = &common->log;
    opts->use_judge = use_judge;
    if (!use_judge)
        return 0;
    opts->judge.log = &common->log;
    opts->judge.model_dir = common->model_dir;
    const char *reg = registry ? registry : common->registry;
    if (reg) {
        if (snprintf(registry_buf, size, "%s", reg) >= (int)size)
            return cb_error_set(err, CB_EINVAL, _("registry path too long"));
    } else {
        int rc = cb_registry_default_path(registry_buf, size, err);
        if (rc < 0)
            return rc;
    }
    opts->judge.registry_path = registry_buf;
    return 0;
}

/*
 * cli_job.h - what the commands that process photos and videos (redact,
 * process, check, batch, watch) share beyond their options: filling the job
 * options from the global ones (logging, models, registry).
 */
#ifndef CB_CLI_JOB_H
#define CB_CLI_JOB_H

#include <stddef.h>

#include "../pipeline/job.h"
#include "cli.h"

/*
 * Complete opts for a run: loggers and model folder from common; with
 * use_judge, the registry path (registry, else common->registry, else
 * cb_registry_default_path) written into registry_buf and set as
 * opts->judge.registry_path. Returns 0 or CB_EINVAL (no default path).
 */
int cb_cli_job_setup(cb_job_opts *opts, const cb_cli_common *common, const char *registry,
                     int use_judge, char *registry_buf, size_t size, cb_error *err);

#endif

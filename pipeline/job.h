/*
 * job.h - process one input file, photo or video, the way every command does
 * it (`redact`, `process`, `check`, `batch`, `watch`): probe what it is,
 * choose the output name, run the photo or video pipeline with the worker's
 * models and judge.
 *
 * A cb_worker holds what one thread needs: a detector for photos, one for
 * videos (opened at the first video, with its own options: by default the
 * fast UltraFace alone, so that detection keeps up with the video) and, for
 * process/check, a judge and a
 * writable registry handle to record each run (consent/runs.h). Workers are
 * not thread-safe; open one per thread.
 *
 * Recording is part of the job: when the run cannot be recorded, its output
 * is removed and the job fails (what was published must be on record). The
 * record names every network the run used, by role ("detector:ultraface",
 * "second-look:NAME", "landmarks:blazeface", "embedder"), with the SHA-256 of
 * its model file: the manifest's for ours (checked when loaded), for the
 * Haar cascade (opencv-data) that of the file, read when the worker opens.
 */
#ifndef CB_JOB_H
#define CB_JOB_H

#include "../recognise/judge.h"
#include "../consent/runs.h"
#include "../models/detector.h"
#include "photo.h"
#include "video.h"

typedef struct cb_job_opts {
    cb_detector_opts det;   /* photos: cb_detector_opts_default */
    cb_detector_opts video_det; /* videos: cb_detector_opts_fast */
    cb_photo_opts photo;
    cb_video_opts video;
    int use_judge;          /* 0: every face redacted (`redact`) */
    cb_judge_opts judge;    /* registry, purpose, date, thresholds */
    int record;             /* record every file in the registry's runs (needs use_judge) */
    cb_run_command run_command; /* ...as this command */
    int model_threads;      /* threads the networks' own parallel loops may use, set for the
                               whole process at cb_worker_open; 0: OpenCV's default. A caller
                               that runs several workers at once sets 1 (they keep the CPUs
                               busy themselves) */
} cb_job_opts;

/* Defaults of every part; no judge. */
void cb_job_opts_default(cb_job_opts *opts);

typedef struct cb_worker cb_worker;

/* Open the detector (and the judge when use_judge). Returns 0 or the first
 * error (model files, registry, purpose). */
int cb_worker_open(const cb_job_opts *opts, cb_worker **out, cb_error *err);

/* The worker's judge (NULL without one), e.g. for its policy. */
cb_judge *cb_worker_judge(cb_worker *w);

/* Replace existing outputs (1) or not (0) from now on (the batch replaces
 * its own earlier outputs when consent changed since). */
void cb_worker_set_overwrite(cb_worker *w, int overwrite);

/*
 * Was out_path made from in_path (its current content) for the worker's
 * purpose, and does it still hold exactly what that run wrote (or what
 * `consentblur review` made of it since: consent/run_review.h)? *found = 1
 * and *run filled when so (a batch resuming, a watcher restarting). Needs
 * opts.record. Returns 0 or a negative code (registry).
 */
int cb_worker_find_run(cb_worker *w, const char *in_path, const char *out_path, cb_run *run,
                       int *found, cb_error *err);

/* The worker's writable registry handle (NULL unless opts.record). */
cb_registry *cb_worker_registry(cb_worker *w);

/* Close. Accepts NULL. */
void cb_worker_close(cb_worker *w);

typedef struct cb_job_result {
    int video;               /* which of the two results below is filled */
    cb_photo_result photo;
    cb_video_result vid;
    int kept, redacted;      /* faces (photo) or face tracks (video) */
    int64_t run_id;          /* the run recorded (0 when not recording) */
    char input_sha256[65];   /* of the input ("" when it could not be read) */
} cb_job_result;

/* Free what a result owns and zero it. Accepts NULL. */
void cb_job_result_free(cb_job_result *r);

/* Is in_path a video (cb_video_probe)? 1 or 0 (also when unreadable: the
 * photo reader then says why). */
int cb_job_is_video(const char *in_path);

/*
 * The output path for in_path in out_dir: the same name; for a video the
 * extension becomes .mp4, for a photo the one of opts->photo.out_codec when
 * set. Returns 0 or CB_EINVAL (name too long, no name).
 */
int cb_job_output_path(const cb_job_opts *opts, const char *in_path, int video,
                       const char *out_dir, char *out, size_t size, cb_error *err);

/*
 * Process in_path into out_path (NULL: decide only). Refuses a folder and an
 * output that is the input itself; refreshes the judge first (consent may
 * have changed since the last file). res is filled as far as the run got.
 * Returns 0 or a negative code, err naming the file.
 */
int cb_worker_run(cb_worker *w, const char *in_path, const char *out_path, cb_job_result *res,
                  cb_error *err);

/* The same, recording the run under the name `recorded_as` (the watch
 * folder processes INBOX/name from a work folder). */
int cb_worker_run_as(cb_worker *w, const char *in_path, const char *recorded_as,
                     const char *out_path, cb_job_result *res, cb_error *err);

#endif

/*
 * cmd_batch.c - `consentblur batch DIR -o OUTDIR --purpose P`: every photo
 * and video under DIR, processed into the same folder structure under
 * OUTDIR, several at once, with a progress line, resumable, and a summary.
 *
 * Resuming: a file is skipped when the registry's runs (consent/runs.h) say
 * the same content was already processed for the same purpose into the same
 * output, that output is still there unchanged, and nothing in the registry
 * has changed since (a withdrawal after that run means it is done again).
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/cb_date.h"
#include "../common/fsutil.h"
#include "../common/sha256.h"
#include "cli_job.h"
#include "media_command.h"
#include "progress.h"

void cb_cmd_batch_usage(FILE *f)
{
    fputs(_("usage: consentblur batch DIR -o OUTDIR --purpose P [options]\n"
            "\n"
            "Processes every photo and video under DIR (sub-folders too) as `process` does,\n"
            "writing the results under OUTDIR in the same folder structure, one file per\n"
            "CPU at a time (at most 64; --jobs).\n"
            "Shows a progress bar with the count, rate and time left on a terminal (plain\n"
            "lines otherwise) and a summary at the end. Run it again after an interruption:\n"
            "files already done (same content, same purpose, output unchanged, no consent\n"
            "changed since) are skipped; when consent changed since, their outputs are made\n"
            "again. Only photos and videos are taken (by extension:\n"
            "jpg jpeg png webp heic heif avif mp4 mov m4v mkv webm avi, any case); other\n"
            "files, names starting with '.' and symbolic links are left alone.\n"
            "\n"),
          f);
    cb_media_command_options(CB_MODE_BATCH, f);
}

/* One file of the batch and what became of it. */
typedef struct item {
    char *rel;          /* path relative to DIR */
    enum { ITEM_TODO, ITEM_DONE, ITEM_SKIPPED, ITEM_FAILED } state;
    int video;
    int kept, redacted;
    int64_t frames;     /* a video done: its frames and the seconds they took */
    double seconds;
    int code;           /* ITEM_FAILED: the status code */
    char error[CB_ERROR_MSG_SIZE];
} item;

typedef struct batch {
    const cb_media_args *args;
    const cb_cli_common *common;
    const char *root;
    item *items;
    int n, cap;
    pthread_mutex_t lock;
    int next;           /* next item to take */
    int finished;       /* items finished (any state) */
    int done, skipped, failed, kept, redacted;
    int ignored;        /* files that are not photos or videos by their name */
    cb_report *report;
    cb_progress *progress; /* the bar or the per-file lines, and each video's progress */
    int tty;
    double started;
    int setup_failed;   /* a worker could not start: stop */
    cb_error setup_error;
} batch;

static int add_item(batch *b, const char *rel)
{
    if (b->n == b->cap) {
        int cap = b->cap ? b->cap * 2 : 64;
        item *g = realloc(b->items, sizeof *g * (size_t)cap);
        if (!g)
            return CB_ENOMEM;
        b->items = g;
        b->cap = cap;
    }
    item *it = &b->items[b->n];
    memset(it, 0, sizeof *it);
    it->rel = strdup(rel);
    if (!it->rel)
        return CB_ENOMEM;
    b->n++;
    return 0;
}

/* Photos and videos by their extension (other files are left alone). */
static int media_name(const char *name)
{
    static const char *const exts[] = {"jpg", "jpeg", "png", "webp", "heic", "heif", "avif",
                                       "mp4", "mov", "m4v", "mkv", "webm", "avi"};
    const char *dot = strrchr(name, '.');
    if (!dot)
        return 0;
    for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++)
        if (!strcasecmp(dot + 1, exts[i]))
            return 1;
    return 0;
}

/* Collect the regular files under root/rel, skipping dot-names, symbolic
 * links and the output folder. */
static int walk(batch *b, const char *rel, const struct stat *out_dir, cb_error *err)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s%s%s", b->root, rel[0] ? "/" : "", rel) >= (int)sizeof path)
        return cb_error_set(err, CB_EINVAL, _("%s/%s: path too long"), b->root, rel);
    DIR *d = opendir(path);
    if (!d)
        return cb_error_set(err, -errno, _("%s: cannot read the folder: %s"), path,
                            strerror(errno));
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char child[4096], full[4096];
        if (snprintf(child, sizeof child, "%s%s%s", rel, rel[0] ? "/" : "", e->d_name) >=
                (int)sizeof child ||
            snprintf(full, sizeof full, "%s/%s", b->root, child) >= (int)sizeof full) {
            rc = cb_error_set(err, CB_EINVAL, _("%s/%s: path too long"), path, e->d_name);
            break;
        }
        struct stat st;
        if (lstat(full, &st) != 0 || S_ISLNK(st.st_mode))
            continue;
        if (S_ISDIR(st.st_mode)) {
            if (out_dir && st.st_dev == out_dir->st_dev && st.st_ino == out_dir->st_ino)
                continue; /* the output folder inside the input folder */
            rc = walk(b, child, out_dir, err);
        } else if (S_ISREG(st.st_mode) && !media_name(e->d_name)) {
            b->ignored++;
        } else if (S_ISREG(st.st_mode) && add_item(b, child) < 0) {
            rc = cb_error_set(err, CB_ENOMEM, _("out of memory"));
        }
    }
    closedir(d);
    return rc;
}

static int by_rel(const void *x, const void *y)
{
    return strcmp(((const item *)x)->rel, ((const item *)y)->rel);
}

/* What an earlier batch did with this input. */
enum { NOT_DONE, DONE, DONE_BEFORE_CHANGE };

/*
 * Was this input already processed into out_path, and is that output still
 * there unchanged? DONE when nothing in the registry changed since either;
 * DONE_BEFORE_CHANGE when something did (the output is ours and must be
 * made again); NOT_DONE otherwise.
 */
static int already_done(cb_worker *w, const char *in, const char *out_path)
{
    cb_run *run = calloc(1, sizeof *run);
    int found = 0, changed = 1, state = NOT_DONE;
    if (run && cb_worker_find_run(w, in, out_path, run, &found, NULL) == 0 && found &&
        cb_registry_changed_since(cb_worker_registry(w), run->registry_version, &changed,
                                  NULL) == 0)
        state = run->registry_version > 0 && !changed ? DONE : DONE_BEFORE_CHANGE;
    free(run);
    return state;
}

/* The progress bar (terminal) or one line per file (otherwise). */
static void progress(batch *b, const item *it)
{
    char line[1024];
    double elapsed = cb_monotonic_seconds() - b->started;
    int processed = b->finished - b->skipped;
    double rate = processed > 0 && elapsed > 0 ? processed / elapsed : 0;
    double eta = rate > 0 ? (b->n - b->finished) / rate : 0;
    if (b->tty) {
        enum { BAR = 30 };
        int fill = b->n ? b->finished * BAR / b->n : BAR;
        char bar[BAR + 1];
        for (int i = 0; i < BAR; i++)
            bar[i] = i < fill ? '#' : '.';
        bar[BAR] = '\0';
        /* TRANSLATORS: the progress line: [bar] done/total  rate  time left  failures. */
        snprintf(line, sizeof line, _("[%s] %d/%d  %.2f files/s  ETA %d:%02d  %d failed "), bar,
                 b->finished, b->n, rate, (int)eta / 60, (int)eta % 60, b->failed);
        cb_progress_set_head(b->progress, line); /* the videos under way follow it */
        return;
    }
    /* TRANSLATORS: what became of a file, in the per-file lines of `batch`. */
    static const char *const states[] = {N_("todo"), N_("done"), N_("skipped (already done)"),
                                         N_("FAILED")};
    int n = snprintf(line, sizeof line, "%d/%d %s: %s", b->finished, b->n, it->rel,
                     _(states[it->state]));
    if (n >= 0 && n < (int)sizeof line && it->state == ITEM_DONE)
        snprintf(line + n, sizeof line - (size_t)n, _(" (%d kept, %d redacted)"), it->kept,
                 it->redacted);
    else if (n >= 0 && n < (int)sizeof line && it->state == ITEM_FAILED)
        snprintf(line + n, sizeof line - (size_t)n, ": %s (%s)", cb_i18n_reason(it->code),
                 it->error);
    cb_progress_print(b->progress, line); /* whole lines: other threads' lines go between */
}

/* What became of a file that was run (rc, err, res). */
static void set_outcome(item *it, int rc, const cb_error *err, const cb_job_result *res)
{
    it->state = rc < 0 ? ITEM_FAILED : ITEM_DONE;
    it->kept = res->kept;
    it->redacted = res->redacted;
    if (rc == 0 && res->video) {
        it->frames = res->vid.frames;
        it->seconds = cb_video_seconds(&res->vid);
    }
    if (rc < 0) {
        it->code = rc;
        snprintf(it->error, sizeof it->error, "%s", err->msg);
    }
}

/* Process one item with the worker; fills it. */
static void run_item(batch *b, cb_worker *w, cb_progress_video *pv, item *it)
{
    const cb_media_args *a = b->args;
    char in[4096], out_dir[4096], out[4096];
    cb_error err = {0};
    cb_job_result res = {0};
    snprintf(in, sizeof in, "%s/%s", b->root, it->rel);
    it->video = cb_job_is_video(in);
    const char *slash = strrchr(it->rel, '/');
    int rc = 0;
    if (slash)
        snprintf(out_dir, sizeof out_dir, "%s/%.*s", a->out_dir, (int)(slash - it->rel), it->rel);
    else
        snprintf(out_dir, sizeof out_dir, "%s", a->out_dir);
    rc = cb_job_output_path(&a->job, in, it->video, out_dir, out, sizeof out, &err);
    int earlier = rc == 0 ? already_done(w, in, out) : NOT_DONE;
    cb_worker_set_overwrite(w, a->job.photo.overwrite || earlier == DONE_BEFORE_CHANGE);
    if (rc == 0 && earlier == DONE && !a->job.photo.overwrite) {
        it->state = ITEM_SKIPPED;
    } else {
        if (rc == 0)
            rc = cb_mkdir_p(out_dir, &err);
        if (rc == 0) {
            cb_progress_video_begin(pv, it->rel, 2);
            rc = cb_worker_run(w, in, out, &res, &err);
            cb_progress_video_end(pv, rc, &res);
        }
        set_outcome(it, rc, &err, &res);
    }
    pthread_mutex_lock(&b->lock);
    b->finished++;
    b->done += it->state == ITEM_DONE;
    b->skipped += it->state == ITEM_SKIPPED;
    b->failed += it->state == ITEM_FAILED;
    b->kept += it->kept;
    b->redacted += it->redacted;
    if (b->report && it->state != ITEM_SKIPPED)
        cb_media_report_file(b->report, in, out, rc, &err, &res);
    progress(b, it);
    pthread_mutex_unlock(&b->lock);
    cb_job_result_free(&res);
}

static void *worker_main(void *arg)
{
    batch *b = arg;
    cb_worker *w = NULL;
    cb_progress_video *pv = NULL;
    cb_error err = {0};
    /* The worker keeps a copy of the options: this thread's progress slot goes in it. */
    cb_job_opts opts = b->args->job;
    int rc = cb_progress_video_open(b->progress, &opts.video, &pv, &err);
    if (rc == 0)
        rc = cb_worker_open(&opts, &w, &err);
    if (rc < 0) {
        cb_progress_video_close(pv);
        pthread_mutex_lock(&b->lock);
        if (!b->setup_failed)
            b->setup_error = err;
        b->setup_failed = 1;
        pthread_mutex_unlock(&b->lock);
        return NULL;
    }
    for (;;) {
        pthread_mutex_lock(&b->lock);
        int i = b->setup_failed ? b->n : b->next++;
        pthread_mutex_unlock(&b->lock);
        if (i >= b->n)
            break;
        run_item(b, w, pv, &b->items[i]);
    }
    cb_worker_close(w);
    cb_progress_video_close(pv);
    return NULL;
}

/* The items on `jobs` threads; returns how many threads started (0 also
 * when there is no memory for their ids). */
static int run_workers(batch *b, int jobs)
{
    pthread_t *threads = calloc((size_t)jobs, sizeof *threads);
    int started = 0;
    for (int i = 0; threads && i < jobs; i++)
        if (pthread_create(&threads[started], NULL, worker_main, b) == 0)
            started++;
    for (int i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
    free(threads);
    return started;
}

static void print_summary(const batch *b, double seconds)
{
    printf(_("batch: %d file(s): %d processed, %d already done, %d failed; %d face(s) kept, "
             "%d redacted; %.1f s"),
           b->n, b->done, b->skipped, b->failed, b->kept, b->redacted, seconds);
    if (b->ignored)
        printf(_("; %d other file(s) left alone"), b->ignored);
    putchar('\n');
    for (int i = 0; i < b->n; i++)
        if (b->items[i].state == ITEM_FAILED)
            printf(_("  failed: %s: %s (%s)\n"), b->items[i].rel,
                   cb_i18n_reason(b->items[i].code), b->items[i].error);
}

static void json_item(cb_json *j, const item *it)
{
    static const char *const states[] = {"todo", "done", "skipped", "failed"};
    cb_json_object(j, CB_JSON_INLINE);
    cb_json_kv_string(j, "input", it->rel);
    cb_json_kv_string(j, "status", states[it->state]);
    cb_json_kv_string(j, "kind", it->video ? "video" : "photo");
    cb_json_kv_int(j, "faces_kept", it->kept);
    cb_json_kv_int(j, "faces_redacted", it->redacted);
    if (it->state == ITEM_DONE && it->video) {
        cb_json_kv_int(j, "frames", it->frames);
        cb_json_kv_fixed(j, "seconds", it->seconds, 3);
        cb_json_kv_fixed(j, "fps", cb_video_fps(it->frames, it->seconds), 1);
    }
    if (it->state == ITEM_FAILED)
        cb_json_kv_string(j, "error", it->error);
    cb_json_end(j);
}

/* The JSON report; returns an exit code (CB_EXIT_FAILED when it could not be written). */
static int print_json(const batch *b, double seconds)
{
    cb_json *j = cb_json_new(0);
    cb_json_object(j, CB_JSON_LINES);
    cb_json_kv_string(j, "command", "batch");
    cb_json_kv_string(j, "purpose", b->args->job.judge.purpose);
    cb_json_key(j, "files");
    cb_json_array(j, CB_JSON_LINES);
    for (int i = 0; i < b->n; i++) {
        json_item(j, &b->items[i]);
        cb_json_flush(j, stdout); /* an error stays in j */
    }
    cb_json_end(j);
    cb_json_key(j, "summary");
    cb_json_object(j, CB_JSON_INLINE);
    cb_json_kv_int(j, "files", b->n);
    cb_json_kv_int(j, "processed", b->done);
    cb_json_kv_int(j, "skipped", b->skipped);
    cb_json_kv_int(j, "failed", b->failed);
    cb_json_kv_int(j, "faces_kept", b->kept);
    cb_json_kv_int(j, "faces_redacted", b->redacted);
    cb_json_kv_int(j, "ignored", b->ignored);
    cb_json_kv_fixed(j, "seconds", seconds, 1);
    cb_json_end(j);
    cb_json_end(j);
    return cb_cli_json_done(j);
}

int cb_cmd_batch(int argc, char **argv, const cb_cli_common *common)
{
    cb_media_args a;
    int rc = cb_media_parse(CB_MODE_BATCH, argc, argv, &a);
    if (rc)
        return rc > 0 ? rc : CB_EXIT_OK;
    cb_cli_common logged;
    batch b = {.args = &a, .root = argv[a.first_input], .tty = isatty(2)};
    b.progress = cb_progress_start(common, 1, b.tty, &logged);
    b.common = common = &logged;
    pthread_mutex_init(&b.lock, NULL);
    cb_error err = {0};
    char registry[4096];
    struct stat in_st, out_st;
    rc = cb_cli_job_setup(&a.job, common, a.registry, 1, registry, sizeof registry, &err);
    if (rc == 0 && (stat(b.root, &in_st) != 0 || !S_ISDIR(in_st.st_mode)))
        rc = cb_error_set(&err, CB_EINVAL, _("%s: not a folder"), b.root);
    if (rc == 0)
        rc = cb_mkdir_p(a.out_dir, &err);
    if (rc == 0 && stat(a.out_dir, &out_st) != 0)
        rc = cb_error_set(&err, -errno, "%s: %s", a.out_dir, strerror(errno));
    if (rc == 0)
        rc = walk(&b, "", &out_st, &err);
    if (rc == 0)
        qsort(b.items, (size_t)b.n, sizeof *b.items, by_rel);
    if (rc == 0 && a.report) {
        cb_report_info info = {.title = b.root, .command = "batch",
                               .purpose = a.job.judge.purpose,
                               .date = a.job.judge.date[0] ? a.job.judge.date : NULL};
        rc = cb_report_open(a.report, &info, &b.report, &err);
    }
    if (rc < 0) {
        cb_cli_cannot_start(&err);
        goto done;
    }
    int jobs = a.jobs < b.n ? a.jobs : (b.n > 0 ? b.n : 1);
    if (jobs > 1)
        a.job.model_threads = 1; /* the workers keep the CPUs busy themselves */
    cb_log(&common->log, CB_LOG_INFO, _("batch: %d file(s) under %s, %d at a time"), b.n,
           b.root, jobs);
    b.started = cb_monotonic_seconds();
    if (b.tty)
        progress(&b, NULL); /* the bar from the start; the videos under way below it */
    int started = run_workers(&b, jobs);
    double seconds = cb_monotonic_seconds() - b.started;
    cb_progress_close(b.progress); /* the last bar stays; the summary follows */
    b.progress = NULL;
    if (b.setup_failed || started == 0) {
        if (!b.setup_failed)
            cb_error_set(&b.setup_error, CB_EINTERNAL, "%s", _("cannot start worker threads"));
        cb_cli_cannot_start(&b.setup_error);
        rc = CB_EINTERNAL;
        goto done;
    }
    if (b.report && cb_report_finish(b.report, &err) < 0) {
        fprintf(stderr, _("consentblur: report: %s\n"), err.msg);
        b.failed++;
    }
    if (a.json && print_json(&b, seconds) != CB_EXIT_OK)
        b.failed++;
    else if (!a.json)
        print_summary(&b, seconds);
done:
    cb_progress_close(b.progress);
    cb_report_close(b.report);
    for (int i = 0; i < b.n; i++)
        free(b.items[i].rel);
    free(b.items);
    pthread_mutex_destroy(&b.lock);
    if (rc < 0)
        return CB_EXIT_FAILED;
    return b.failed ? CB_EXIT_FAILED : CB_EXIT_OK;
}

/*
 * cmd_watch.c - `consentblur watch INBOX --out OUTBOX --purpose P`: process
 * every photo and video dropped into INBOX, put the result in OUTBOX, the
 * original in the archive, a failure in failed/ with its reason beside it.
 *
 * The folder bookkeeping is pipeline/inbox.h (restart-safe moves); this file
 * is the loop: inotify to wake up, a scan to find files that are completely
 * written, the job (pipeline/job.h) to process them, signals to stop.
 * SIGTERM/SIGINT: the file in hand is finished, then the program exits 0.
 * After a crash (SIGKILL, power cut) the next start finishes what was
 * claimed: an output already written and recorded is kept and the original
 * archived; otherwise the output (if any) is removed and the file processed
 * again, so every file ends up processed exactly once.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../common/fsutil.h"
#include "../common/sha256.h"
#include "../consent/integrity.h"
#include "../pipeline/inbox.h"
#include "cli_job.h"
#include "media_command.h"
#include "progress.h"

/* Claimed-but-unfinished items handled at start. */
#define CB_WATCH_MAX_PENDING 1024

void cb_cmd_watch_usage(FILE *f)
{
    fputs(_("usage: consentblur watch INBOX --out OUTBOX --purpose P [options]\n"
            "\n"
            "Watches the folder INBOX. Every photo or video dropped into it (copied or moved\n"
            "in) is processed, once it is completely written, as `process` does: the result\n"
            "goes to OUTBOX (never a partial file), the original to INBOX/archive, and a\n"
            "file that cannot be processed to INBOX/failed with NAME.reason.txt beside it.\n"
            "Safe to stop at any moment: a restart finishes the work, nothing is lost or\n"
            "done twice. SIGTERM (systemctl stop) finishes the file in hand, then exits.\n"
            "Files whose name starts with '.' and partial downloads (*.part, *.tmp, ...)\n"
            "are left alone; symbolic links are not followed (they go to failed/).\n"
            "\n"),
          f);
    cb_media_command_options(CB_MODE_WATCH, f);
}

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

typedef struct watcher {
    cb_media_args *args;
    const cb_cli_common *common;
    cb_inbox *inbox;
    cb_worker *worker;
    cb_progress *progress;    /* lines, also on a terminal: this is a log */
    cb_progress_video *video; /* the worker's videos */
    int done, failed;
    cb_audit_head head;       /* the registry's audit head last logged */
    int64_t head_checked_ms;  /* when it was last looked at */
} watcher;

#define CB_WATCH_HEAD_EVERY_MS 5000

/*
 * Log the registry's audit head when it changed since last logged: the
 * system log (journald) then holds anchors that `audit verify --expect`
 * can check, so cutting rows off the log's end is found even when no run
 * came after them.
 */
static void note_head(watcher *w, int64_t now)
{
    cb_audit_head head;
    cb_error err = {0};
    w->head_checked_ms = now;
    if (cb_registry_audit_head(cb_worker_registry(w->worker), &head, &err) < 0) {
        fprintf(stderr, "consentblur: %s\n", err.msg);
        return;
    }
    if (head.id == w->head.id && !strcmp(head.hash, w->head.hash))
        return;
    w->head = head;
    fprintf(stderr, _("consentblur: registry audit head %lld:%s (%s)\n"), (long long)head.id,
            head.hash, head.at);
}

static void say(const watcher *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void say(const watcher *w, const char *fmt, ...)
{
    if (w->common->log.level < CB_LOG_INFO)
        return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    cb_log(&w->common->log, CB_LOG_INFO, "%s", line);
}

/*
 * Set a file aside in FAILED with its reason: a claimed item, or (item NULL)
 * the file `name` still in INBOX. The reason file says, in the staff's
 * language, what went wrong and what to do (one line, chosen from code),
 * then the technical detail (err) on a second line; stderr gets the same.
 * Returns what cb_inbox_fail returns.
 */
static int fail(watcher *w, const cb_inbox_item *item, const char *name, int code,
                const cb_error *err, cb_error *move_err)
{
    char reason[CB_ERROR_MSG_SIZE + 1024];
    if (item)
        name = item->name;
    const char *why = cb_i18n_reason(code);
    /* TRANSLATORS: the reason file beside a file the watch folder could not
       process (FAILED/NAME.reason.txt): "NAME: what went wrong, for people",
       then on a second line the technical detail (the detail itself is not
       translated). */
    snprintf(reason, sizeof reason, _("%s: %s\nTechnical detail: %s"), name, why, err->msg);
    w->failed++;
    cb_cli_file_failed(name, code, err);
    return item ? cb_inbox_fail(w->inbox, item, reason, move_err)
                : cb_inbox_fail_in_place(w->inbox, name, reason, move_err);
}

/* Process a claimed item into its output, then archive or fail it. */
static int process_item(watcher *w, const cb_inbox_item *item)
{
    char recorded_as[4096];
    cb_error err = {0};
    cb_job_result res = {0};
    snprintf(recorded_as, sizeof recorded_as, "%s/%s", cb_inbox_dir(w->inbox), item->name);
    cb_progress_video_begin(w->video, item->name, 2);
    int rc = cb_worker_run_as(w->worker, item->path, recorded_as, item->output, &res, &err);
    cb_progress_video_end(w->video, rc, &res);
    cb_error move_err = {0};
    int moved;
    if (rc == 0) {
        moved = cb_inbox_complete(w->inbox, item, &move_err);
        w->done++;
        fprintf(stderr, _("consentblur: %s -> %s: %d kept, %d redacted\n"), item->name,
                item->output_name, res.kept, res.redacted);
    } else {
        /* Say it with the name the staff know, not our work folder's path. */
        char detail[CB_ERROR_MSG_SIZE];
        size_t n = strlen(item->path);
        if (!strncmp(err.msg, item->path, n))
            snprintf(detail, sizeof detail, "%s%s", item->name, err.msg + n);
        else
            snprintf(detail, sizeof detail, "%s", err.msg);
        snprintf(err.msg, sizeof err.msg, "%s", detail);
        moved = fail(w, item, NULL, rc, &err, &move_err);
    }
    cb_job_result_free(&res);
    if (moved < 0) {
        fprintf(stderr, "consentblur: %s\n", move_err.msg);
        return moved; /* the folders are not usable: stop */
    }
    return 0;
}

/*
 * An item claimed before a crash: if its output was written and recorded,
 * the work was done - archive it; otherwise remove any output and do it.
 */
static int recover_item(watcher *w, const cb_inbox_item *item)
{
    struct stat st;
    if (cb_inbox_remove_output_temps(w->inbox, item) > 0)
        say(w, _("%s: unfinished output file removed"), item->name);
    if (lstat(item->output, &st) == 0) {
        cb_run *run = calloc(1, sizeof *run);
        int found = 0;
        int recorded = run &&
                       cb_worker_find_run(w->worker, item->path, item->output, run, &found,
                                          NULL) == 0 &&
                       found;
        free(run);
        if (recorded) {
            cb_error err = {0};
            say(w, _("%s: finished before the restart; archived"), item->name);
            if (cb_inbox_complete(w->inbox, item, &err) < 0) {
                fprintf(stderr, "consentblur: %s\n", err.msg);
                return -1;
            }
            w->done++;
            return 0;
        }
        say(w, _("%s: output of an unfinished run removed; processing again"), item->name);
        unlink(item->output);
    }
    return process_item(w, item);
}

static int recover(watcher *w)
{
    cb_inbox_item *items = calloc(CB_WATCH_MAX_PENDING, sizeof *items);
    cb_error err = {0};
    if (!items)
        return -1;
    int n = cb_inbox_pending(w->inbox, items, CB_WATCH_MAX_PENDING, &err);
    if (n < 0)
        fprintf(stderr, "consentblur: %s\n", err.msg);
    int rc = n < 0 ? -1 : 0;
    for (int i = 0; rc == 0 && i < n && !stop_requested; i++)
        rc = recover_item(w, &items[i]);
    free(items);
    return rc;
}

/* Take one ready file from INBOX: claim, process, archive or fail it. */
static int take(watcher *w, const char *name)
{
    char in[4096], out[4096];
    cb_error err = {0};
    cb_inbox_item item;
    snprintf(in, sizeof in, "%s/%s", cb_inbox_dir(w->inbox), name);
    int video = cb_job_is_video(in);
    int rc = cb_job_output_path(&w->args->job, in, video, cb_inbox_outbox(w->inbox), out,
                                sizeof out, &err);
    if (rc == 0)
        rc = cb_inbox_claim(w->inbox, name, cb_path_basename(out), &item, &err);
    if (rc == CB_EINVAL) { /* a link or not a regular file: do not follow, set aside */
        struct stat st;
        int code = lstat(in, &st) != 0    ? rc
                   : S_ISLNK(st.st_mode)  ? CB_I18N_SYMLINK
                   : !S_ISREG(st.st_mode) ? CB_I18N_NOT_REGULAR
                                          : rc;
        cb_error move_err = {0};
        if (fail(w, NULL, name, code, &err, &move_err) < 0) {
            fprintf(stderr, "consentblur: %s\n", move_err.msg);
            return -1;
        }
        return 0;
    }
    if (rc < 0) {
        fprintf(stderr, "consentblur: %s\n", err.msg);
        return rc == -ENOENT ? 0 : -1; /* gone meanwhile: fine */
    }
    return process_item(w, &item);
}

/* Read inotify events and tell the inbox what was written / closed. */
static void drain_events(watcher *w, int fd)
{
    char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n <= 0)
            return;
        int64_t now = now_ms();
        for (char *p = buf; p < buf + n;) {
            struct inotify_event *e = (struct inotify_event *)p;
            if (e->len > 0 && !(e->mask & IN_ISDIR)) {
                if (e->mask & (IN_CLOSE_WRITE | IN_MOVED_TO))
                    cb_inbox_note_closed(w->inbox, e->name, now);
                else if (e->mask & IN_MODIFY)
                    cb_inbox_note_write(w->inbox, e->name, now);
            }
            p += sizeof *e + e->len;
        }
    }
}

static int watch_loop(watcher *w)
{
    int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd < 0 || inotify_add_watch(fd, cb_inbox_dir(w->inbox),
                                    IN_CLOSE_WRITE | IN_MOVED_TO | IN_MODIFY | IN_CREATE) < 0) {
        fprintf(stderr, _("consentblur: %s: cannot watch the folder: %s\n"),
                cb_inbox_dir(w->inbox), strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    int rc = 0;
    const int settle = w->args->once ? 0 : w->args->settle_ms;
    while (rc == 0 && !stop_requested) {
        drain_events(w, fd);
        char name[256];
        cb_error err = {0};
        int ready = cb_inbox_scan(w->inbox, now_ms(), settle, name, sizeof name, &err);
        if (ready < 0) {
            fprintf(stderr, "consentblur: %s\n", err.msg);
            rc = -1;
        } else if (ready) {
            rc = take(w, name);
            note_head(w, now_ms());
        } else if (w->args->once) {
            break;
        } else {
            struct pollfd p = {.fd = fd, .events = POLLIN};
            poll(&p, 1, 250); /* woken by an event, a signal, or to re-check settling */
            if (now_ms() - w->head_checked_ms >= CB_WATCH_HEAD_EVERY_MS)
                note_head(w, now_ms());
        }
    }
    close(fd);
    return rc;
}

int cb_cmd_watch(int argc, char **argv, const cb_cli_common *common)
{
    cb_media_args a;
    int rc = cb_media_parse(CB_MODE_WATCH, argc, argv, &a);
    if (rc)
        return rc > 0 ? rc : CB_EXIT_OK;
    cb_cli_common logged;
    watcher w = {.args = &a};
    w.progress = cb_progress_start(common, 1, 0, &logged);
    w.common = common = &logged;
    cb_error err = {0};
    char registry[4096];
    cb_inbox_dirs dirs = {.inbox = argv[a.first_input], .outbox = a.out_dir,
                          .archive = a.archive, .failed = a.failed};
    rc = cb_cli_job_setup(&a.job, common, a.registry, 1, registry, sizeof registry, &err);
    if (rc == 0)
        rc = cb_inbox_open(&dirs, &w.inbox, &err);
    if (rc == 0)
        rc = cb_progress_video_open(w.progress, &a.job.video, &w.video, &err);
    if (rc == 0)
        rc = cb_worker_open(&a.job, &w.worker, &err);
    if (rc < 0) {
        cb_cli_cannot_start(&err);
        rc = -1;
        goto done;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    say(&w, _("watching %s -> %s for %s"), dirs.inbox, dirs.outbox, a.job.judge.purpose);
    note_head(&w, now_ms());
    rc = recover(&w);
    if (rc == 0)
        rc = watch_loop(&w);
    say(&w, _("stopped: %d file(s) done, %d failed"), w.done, w.failed);
done:
    cb_worker_close(w.worker);
    cb_progress_video_close(w.video);
    cb_progress_close(w.progress);
    cb_inbox_close(w.inbox);
    return rc < 0 ? CB_EXIT_FAILED : CB_EXIT_OK;
}

/* progress.c - per-video progress on stderr; see progress.h. */
#include "progress.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "../common/cb_date.h"
#include "../common/fsutil.h"

/* Seconds between redraws in place (4 a second), and between a video's lines. */
#define REDRAW_SECONDS 0.25
#define LINE_SECONDS 10.0

struct cb_progress {
    pthread_mutex_t lock;
    FILE *f;
    int in_place;
    char head[256];
    cb_progress_video *videos; /* under way (begun, not ended) */
    int shown;                 /* a status line is on the screen */
    double drawn_at;
};

struct cb_progress_video {
    cb_progress *p;
    cb_progress_video *next;   /* in p->videos */
    int active;
    char name[256];
    int passes, pass;
    int64_t frame, total;      /* of the pass under way; total 0: not known */
    int64_t analysed;          /* frames of pass 1, once it is complete */
    double pass_started, frame_at, logged_at;
};

double cb_video_fps(int64_t frames, double seconds)
{
    return frames > 0 && seconds > 0 ? (double)frames / seconds : 0;
}

double cb_video_seconds(const cb_video_result *r)
{
    return r->seconds_analyse + r->seconds_render;
}

int cb_progress_open(FILE *f, int in_place, cb_progress **out, cb_error *err)
{
    cb_progress *p = calloc(1, sizeof *p);
    *out = NULL;
    if (!p)
        return cb_error_set(err, CB_ENOMEM, _("out of memory"));
    pthread_mutex_init(&p->lock, NULL);
    p->f = f;
    p->in_place = in_place;
    *out = p;
    return 0;
}

/* "m:ss", or "h:mm:ss" from an hour on. */
static void duration_text(double seconds, char *buf, size_t size)
{
    long s = seconds > 0 ? (long)(seconds + 0.5) : 0;
    if (s >= 3600)
        snprintf(buf, size, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
    else
        snprintf(buf, size, "%ld:%02ld", s / 60, s % 60);
}

/* One video's state at time now: "NAME: PASS DONE/TOTAL frames, F fps, P%, T left";
 * in place NAME is the file's own name (a path would push the numbers off the line). */
static void video_text(const cb_progress_video *v, double now, char *buf, size_t size)
{
    const char *name = v->p->in_place ? cb_path_basename(v->name) : v->name;
    /* TRANSLATORS: the pass a video is in, in progress lines: "analyse"
       finds and recognises the faces, "render" writes the redacted copy. */
    const char *pass = v->pass == 2 ? C_("progress", "render") : C_("progress", "analyse");
    double in_pass = now - v->pass_started;
    double fps = in_pass > 0 ? v->frame / in_pass : 0;
    if (v->total <= 0) {
        /* TRANSLATORS: progress of a video whose length is not known:
           NAME: PASS FRAMES frames, RATE fps. */
        snprintf(buf, size, _("%s: %s %lld frames, %.1f fps"), name, pass,
                 (long long)v->frame, fps);
        return;
    }
    /* Both passes decode every frame: the share done and the time left are
     * counted in frames to decode, at this pass's rate. The render skips
     * detection and is usually faster, so during the analysis this is an
     * upper bound; during the render it is its own rate. */
    int64_t done = v->frame + (v->pass == 2 ? v->analysed : 0);
    int64_t all = v->total * v->passes;
    char left[32];
    duration_text(fps > 0 && all > done ? (all - done) / fps : 0, left, sizeof left);
    /* TRANSLATORS: progress of a video: NAME: PASS DONE/TOTAL frames, RATE
       fps, PERCENT of the whole job, TIME (m:ss) left. */
    snprintf(buf, size, _("%s: %s %lld/%lld frames, %.1f fps, %d%%, %s left"), name, pass,
             (long long)v->frame, (long long)v->total, fps, (int)(100 * done / all), left);
}

/* The terminal's width in columns (80 when it does not say). */
static int columns(FILE *f)
{
    struct winsize ws;
    if (ioctl(fileno(f), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 10)
        return ws.ws_col;
    return 80;
}

/* Cut s to at most n columns (one per UTF-8 character), never inside a character. */
static void fit(char *s, int n)
{
    int cols = 0;
    for (char *c = s; *c; c++) {
        if (((unsigned char)*c & 0xC0) == 0x80)
            continue; /* a continuation byte: same column */
        if (++cols > n) {
            *c = '\0';
            return;
        }
    }
}

/* Redraw the status lines, the cursor left at the first: the head, then one
 * line per video that has begun decoding, each cut to the width (a line
 * that wrapped would throw the count of lines to go back up). Locked. */
static void draw(cb_progress *p, double now)
{
    int width = columns(p->f) - 1, lines = 0;
    char line[1024];
    fputs("\r\033[J", p->f); /* clear from here down: the lines drawn last time */
    if (p->head[0]) {
        snprintf(line, sizeof line, "%s", p->head);
        fit(line, width);
        fputs(line, p->f);
        lines++;
    }
    for (cb_progress_video *v = p->videos; v; v = v->next) {
        if (v->frame == 0)
            continue;
        video_text(v, now, line, sizeof line);
        fit(line, width);
        fprintf(p->f, "%s%s", lines ? "\n" : "", line);
        lines++;
    }
    if (lines > 1)
        fprintf(p->f, "\033[%dA", lines - 1);
    fflush(p->f);
    p->shown = lines > 0;
    p->drawn_at = now;
}

/* A line that stays; in place, above the status lines, which are redrawn. Locked. */
static void print_locked(cb_progress *p, const char *line)
{
    if (p->in_place && p->shown)
        fputs("\r\033[J", p->f);
    fprintf(p->f, "%s\n", line);
    if (p->in_place)
        draw(p, cb_monotonic_seconds());
    fflush(p->f);
}

void cb_progress_print(cb_progress *p, const char *line)
{
    if (!p) {
        fprintf(stderr, "%s\n", line);
        return;
    }
    pthread_mutex_lock(&p->lock);
    print_locked(p, line);
    pthread_mutex_unlock(&p->lock);
}

void cb_progress_set_head(cb_progress *p, const char *head)
{
    if (!p || !p->in_place)
        return;
    pthread_mutex_lock(&p->lock);
    snprintf(p->head, sizeof p->head, "%s", head);
    draw(p, cb_monotonic_seconds());
    pthread_mutex_unlock(&p->lock);
}

void cb_progress_close(cb_progress *p)
{
    if (!p)
        return;
    if (p->in_place && p->shown) {
        /* Keep batch's last bar (its summary follows); clear anything else. */
        fputs("\r\033[J", p->f);
        if (p->head[0])
            fprintf(p->f, "%s\n", p->head);
        fflush(p->f);
    }
    pthread_mutex_destroy(&p->lock);
    free(p);
}

static void log_sink(void *user, int level, const char *line)
{
    char text[1200];
    snprintf(text, sizeof text, "consentblur: %s: %s", cb_log_level_name(level), line);
    cb_progress_print(user, text);
}

void cb_progress_route_log(cb_progress *p, cb_logger *log)
{
    if (!p)
        return;
    log->sink = log_sink;
    log->user = p;
}

cb_progress *cb_progress_start(const cb_cli_common *common, int wanted, int in_place,
                               cb_cli_common *logged)
{
    cb_progress *p = NULL;
    *logged = *common;
    if (wanted && cb_progress_open(stderr, in_place, &p, NULL) == 0)
        cb_progress_route_log(p, &logged->log);
    return p;
}

/* A video's line that stays; as lines, named like the program's other
 * messages (a journal mixes them with the watch folder's). Locked. */
static void print_video_line(cb_progress *p, const char *text)
{
    char line[1200];
    snprintf(line, sizeof line, "%s%s", p->in_place ? "" : "consentblur: ", text);
    print_locked(p, line);
}

/* The video's state as a line. Locked. */
static void log_video(cb_progress_video *v, double now)
{
    char text[1024];
    video_text(v, now, text, sizeof text);
    print_video_line(v->p, text);
    v->logged_at = now;
}

/* Pass 2 begins: pass 1 is complete, its frame count is the video's. Locked. */
static void next_pass(cb_progress_video *v, int pass, double now)
{
    v->total = v->frame; /* the frames there were, whatever the container said */
    if (!v->p->in_place)
        log_video(v, now); /* the analysis is complete, and how long the rest takes */
    v->analysed = v->frame;
    v->pass = pass;
    v->pass_started = v->frame_at;
}

/* cb_video_opts.progress: after each frame of each pass. */
static void on_frame(void *user, int pass, int64_t frame, int64_t frames)
{
    cb_progress_video *v = user;
    cb_progress *p = v->p;
    double now = cb_monotonic_seconds();
    pthread_mutex_lock(&p->lock);
    if (pass != v->pass)
        next_pass(v, pass, now);
    v->frame = frame;
    /* Pass 2 goes over the frames pass 1 counted; pass 1 over what the
     * container says (0: not known; too few: as many as there are). */
    int64_t total = v->pass == 2 && v->analysed > 0 ? v->analysed : frames;
    v->total = total > 0 && total < frame ? frame : total;
    v->frame_at = now;
    if (p->in_place && now - p->drawn_at >= REDRAW_SECONDS)
        draw(p, now);
    else if (!p->in_place && now - v->logged_at >= LINE_SECONDS)
        log_video(v, now);
    pthread_mutex_unlock(&p->lock);
}

int cb_progress_video_open(cb_progress *p, cb_video_opts *opts, cb_progress_video **out,
                           cb_error *err)
{
    *out = NULL;
    if (!p)
        return 0;
    cb_progress_video *v = calloc(1, sizeof *v);
    if (!v)
        return cb_error_set(err, CB_ENOMEM, _("out of memory"));
    v->p = p;
    opts->progress = on_frame;
    opts->progress_user = v;
    *out = v;
    return 0;
}

/* Take v off the status line. Locked. */
static void unlink_video(cb_progress_video *v)
{
    for (cb_progress_video **q = &v->p->videos; *q; q = &(*q)->next)
        if (*q == v) {
            *q = v->next;
            break;
        }
    v->next = NULL;
    v->active = 0;
}

void cb_progress_video_begin(cb_progress_video *v, const char *name, int passes)
{
    if (!v)
        return;
    pthread_mutex_lock(&v->p->lock);
    if (v->active)
        unlink_video(v);
    snprintf(v->name, sizeof v->name, "%s", name);
    v->passes = passes;
    v->pass = 1;
    v->frame = v->total = v->analysed = 0;
    v->pass_started = v->frame_at = v->logged_at = cb_monotonic_seconds();
    v->active = 1;
    v->next = v->p->videos;
    v->p->videos = v;
    pthread_mutex_unlock(&v->p->lock);
}

void cb_progress_video_end(cb_progress_video *v, int rc, const cb_job_result *r)
{
    if (!v)
        return;
    pthread_mutex_lock(&v->p->lock);
    unlink_video(v);
    if (rc == 0 && r && r->video) {
        double seconds = cb_video_seconds(&r->vid);
        char line[1024];
        /* TRANSLATORS: a video is done: NAME: FRAMES frames in SECONDS s, RATE fps. */
        snprintf(line, sizeof line, _("%s: %lld frames in %.1f s, %.1f fps"), v->name,
                 (long long)r->vid.frames, seconds, cb_video_fps(r->vid.frames, seconds));
        print_video_line(v->p, line);
    } else if (v->p->in_place && v->p->shown) {
        draw(v->p, cb_monotonic_seconds());
    }
    pthread_mutex_unlock(&v->p->lock);
}

void cb_progress_video_close(cb_progress_video *v)
{
    if (!v)
        return;
    pthread_mutex_lock(&v->p->lock);
    if (v->active)
        unlink_video(v);
    pthread_mutex_unlock(&v->p->lock);
    free(v);
}

/*
 * report.c - the HTML contact sheet of a run; see report.h.
 *
 * Layout of the work: each add_* builds its card (or failure line) in a
 * growable buffer and appends it to a temporary file in the report's folder
 * (on a failed write the file is cut back to the last whole card); finish
 * writes the head with the counts, copies the failures and the cards in and
 * puts the file in place with atomic_file.h.
 */
#include "report.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/utf8.h"
#include "../models/cv_bridge.h"
#include "atomic_file.h"
#include "frame_util.h"
#include "media_in.h"
#include "media_out.h"
#include "video_in.h"

enum {
    PHOTO_SIDE = 360,   /* longest side of a photo's thumbnail */
    VIDEO_SIDE = 240,   /* longest side of each frame of a video's strip */
    THUMB_QUALITY = 80, /* JPEG quality of thumbnails */
    VIDEO_FRAMES = 3
};

struct cb_report {
    char *path;
    char *title, *command, *purpose, *date; /* copies; NULL when not given */
    cb_atomic_file cards;                   /* the cards, in the order added */
    cb_atomic_file failures;                /* the <li> of each failed file */
    long long cards_len, failures_len;      /* bytes of whole entries written */
    long long photos, videos, n_failures, kept, redacted;
    int finished;
    const cb_run_edit *edits; /* regions redacted by hand for the card being added */
    int n_edits;
};

/* ---- a growable text buffer ------------------------------------------------------ */

typedef struct sbuf {
    char *p;
    size_t len, cap;
    int oom; /* an append failed: the content is incomplete */
} sbuf;

static void sb_put(sbuf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void sb_puts(sbuf *b, const char *s)
{
    sb_put(b, s, strlen(s));
}

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sb_printf(sbuf *b, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof tmp)
        b->oom = 1; /* only short, fixed texts go through here */
    else
        sb_put(b, tmp, (size_t)n);
}

static void sb_free(sbuf *b)
{
    free(b->p);
    *b = (sbuf){0};
}

/* Text as HTML (element content and quoted attribute values): & < > " '
 * escaped; control characters (C0, DEL, C1) and bytes that are not UTF-8
 * as U+FFFD. NULL is "". */
static void sb_html(sbuf *b, const char *text)
{
    const unsigned char *p = (const unsigned char *)(text ? text : "");
    while (*p) {
        size_t n = cb_utf8_sequence(p);
        if (n == 0 || *p < 0x20 || *p == 0x7f || (p[0] == 0xc2 && p[1] < 0xa0)) {
            sb_puts(b, "\xef\xbf\xbd");
            p += n ? n : 1;
            continue;
        }
        switch (*p) {
        case '&': sb_puts(b, "&amp;"); break;
        case '<': sb_puts(b, "&lt;"); break;
        case '>': sb_puts(b, "&gt;"); break;
        case '"': sb_puts(b, "&quot;"); break;
        case '\'': sb_puts(b, "&#39;"); break;
        default: sb_put(b, (const char *)p, n);
        }
        p += n;
    }
}

static void sb_base64(sbuf *b, const uint8_t *d, size_t n)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char q[4];
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)d[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)d[i + 1] << 8;
        if (i + 2 < n)
            v |= d[i + 2];
        q[0] = tab[v >> 18 & 63];
        q[1] = tab[v >> 12 & 63];
        q[2] = i + 1 < n ? tab[v >> 6 & 63] : '=';
        q[3] = i + 2 < n ? tab[v & 63] : '=';
        sb_put(b, q, 4);
    }
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s && s[1] ? s + 1 : path;
}

/* ---- thumbnails ------------------------------------------------------------------------ */

/* Append <img> holding `frame` (BGR24) scaled to fit max_side, as JPEG. */
static int put_thumbnail(sbuf *b, const AVFrame *frame, int max_side, const char *alt,
                         cb_error *err)
{
    AVFrame *small = NULL;
    uint8_t *jpeg = NULL;
    size_t size = 0;
    int rc, w = frame->width, h = frame->height;
    const AVFrame *use = frame;
    if (w > max_side || h > max_side) {
        int dw = w >= h ? max_side : (int)((long long)w * max_side / h);
        int dh = w >= h ? (int)((long long)h * max_side / w) : max_side;
        small = av_frame_alloc();
        if (!small)
            return cb_error_set(err, CB_ENOMEM, "out of memory");
        small->format = AV_PIX_FMT_BGR24;
        small->width = dw > 0 ? dw : 1;
        small->height = dh > 0 ? dh : 1;
        if (cb_frame_get_zeroed_buffer(small) < 0) {
            rc = cb_error_set(err, CB_ENOMEM, "out of memory");
            goto done;
        }
        rc = cb_cv_resize(frame->data[0], w, h, frame->linesize[0], small->data[0],
                              small->width, small->height, small->linesize[0], 3, err);
        if (rc < 0)
            goto done;
        use = small;
    }
    cb_image_write_opts opts = {.codec_id = AV_CODEC_ID_MJPEG, .quality = THUMB_QUALITY};
    rc = cb_image_encode(use, &opts, &jpeg, &size, err);
    if (rc < 0)
        goto done;
    sb_printf(b, "<img width=\"%d\" height=\"%d\" alt=\"", use->width, use->height);
    sb_html(b, alt);
    sb_puts(b, "\" src=\"data:image/jpeg;base64,");
    sb_base64(b, jpeg, size);
    sb_puts(b, "\">");
    if (b->oom)
        rc = cb_error_set(err, CB_ENOMEM, "out of memory");
done:
    free(jpeg);
    av_frame_free(&small);
    return rc;
}

/* The photo's thumbnail from the output file. */
static int photo_thumbnail(sbuf *b, const char *output, cb_error *err)
{
    AVFrame *frame = NULL;
    int rc = cb_image_read(output, NULL, &frame, NULL, err);
    if (rc == 0)
        rc = put_thumbnail(b, frame, PHOTO_SIDE, "redacted output", err);
    av_frame_free(&frame);
    return rc;
}

/* Frames of a video, counted by decoding it (when neither the result nor
 * the container says). */
static int count_frames(const char *path, int64_t *n, cb_error *err)
{
    cb_video_in *v = NULL;
    AVFrame *f = NULL;
    int rc = cb_video_in_open(path, 0, &v, NULL, err);
    *n = 0;
    while (rc == 0) {
        rc = cb_video_in_read(v, &f, err);
        if (rc == 0) {
            (*n)++;
            av_frame_free(&f);
        }
    }
    cb_video_in_close(v);
    return rc < 0 ? rc : 0;
}

/* The strip: frames at 1/4, 1/2, 3/4 of the output video (the same frame
 * once when the video is too short to have three). */
static int video_strip(sbuf *b, const char *output, int64_t frames, cb_error *err)
{
    cb_video_in *v = NULL;
    cb_video_info info;
    AVFrame *f = NULL;
    int64_t want[VIDEO_FRAMES];
    int rc = cb_video_in_open(output, 0, &v, &info, err);
    if (rc < 0)
        return rc;
    if (frames <= 0)
        frames = info.frames;
    if (frames <= 0) {
        cb_video_in_close(v);
        v = NULL;
        rc = count_frames(output, &frames, err);
        if (rc == 0)
            rc = cb_video_in_open(output, 0, &v, &info, err);
        if (rc < 0)
            goto done;
    }
    for (int k = 0; k < VIDEO_FRAMES; k++)
        want[k] = frames * (k + 1) / (VIDEO_FRAMES + 1);
    int next = 0, shown = 0;
    for (int64_t i = 0; next < VIDEO_FRAMES; i++) {
        rc = cb_video_in_read(v, &f, err);
        if (rc < 0)
            goto done;
        if (rc == 1) { /* fewer frames than said: show what was reached */
            rc = 0;
            break;
        }
        if (i == want[next]) {
            char alt[64];
            snprintf(alt, sizeof alt, "redacted output, frame %lld", (long long)i + 1);
            rc = put_thumbnail(b, f, VIDEO_SIDE, alt, err);
            if (rc < 0)
                goto done;
            shown++;
            while (next < VIDEO_FRAMES && want[next] <= i)
                next++;
        }
        av_frame_free(&f);
    }
    if (shown == 0)
        rc = cb_error_set(err, CB_EDECODE, "%s: no frame to show", output);
done:
    av_frame_free(&f);
    cb_video_in_close(v);
    return rc;
}

/* ---- badges ------------------------------------------------------------------------------ */

static int same_badge(const cb_verdict *a, const cb_verdict *b)
{
    if (a->keep != b->keep)
        return 0;
    if (a->keep)
        return !strcmp(a->external_id, b->external_id) && !strcmp(a->name, b->name);
    return a->reason == b->reason && !strcmp(a->detail, b->detail);
}

/* One <li> per distinct badge, with a count when it repeats. */
static void put_badges(sbuf *b, const cb_report *r, const cb_verdict *const *v, int n)
{
    if (n == 0) {
        sb_puts(b, "<p class=\"sum\">no faces found</p>\n");
        return;
    }
    sb_puts(b, "<ul class=\"badges\">");
    for (int i = 0; i < n; i++) {
        int seen = 0, count = 0;
        for (int j = 0; j < i && !seen; j++)
            seen = same_badge(v[j], v[i]);
        if (seen)
            continue;
        for (int j = i; j < n; j++)
            count += same_badge(v[j], v[i]);
        if (v[i]->keep) {
            sb_puts(b, "<li class=\"b kept\">kept: ");
            sb_html(b, v[i]->name[0] ? v[i]->name : "?");
            sb_puts(b, " (");
            sb_html(b, v[i]->external_id);
            sb_puts(b, ")");
            if (r->purpose) {
                sb_puts(b, " - ");
                sb_html(b, r->purpose);
            }
        } else {
            /* Red: a recognised person whose consent does not hold. Grey: nobody
             * recognised (or recognised, but not for sure). */
            sb_puts(b, cb_reason_consent_failed(v[i]->reason)
                           ? "<li class=\"b nocons\">redacted: "
                           : "<li class=\"b anon\">redacted: ");
            sb_html(b, cb_reason_name(v[i]->reason));
            if (v[i]->detail[0]) {
                sb_puts(b, " - ");
                sb_html(b, v[i]->detail);
            }
        }
        if (count > 1)
            sb_printf(b, " <span class=\"n\">&times; %d</span>", count);
        sb_puts(b, "</li>");
    }
    sb_puts(b, "</ul>\n");
}

/* One badge per region redacted by hand (consentblur review). */
static void put_edits(sbuf *b, const cb_run_edit *e, int n)
{
    if (n <= 0)
        return;
    sb_puts(b, "<ul class=\"badges\">");
    for (int i = 0; i < n; i++) {
        sb_puts(b, "<li class=\"b manual\">redacted by hand: ");
        sb_html(b, e[i].actor);
        sb_printf(b, ", %s, region %d,%d %dx%d", e[i].at, e[i].x, e[i].y, e[i].w, e[i].h);
        if (e[i].first >= 0)
            sb_printf(b, ", frames %lld-%lld", (long long)e[i].first, (long long)e[i].last);
        sb_puts(b, "</li>");
    }
    sb_puts(b, "</ul>\n");
}

/* ---- cards ---------------------------------------------------------------------------------- */

/* Append whole entries to a temporary file; on a failed write cut it back. */
static int append(cb_atomic_file *f, long long *len, const sbuf *b, cb_error *err)
{
    if (b->oom)
        return cb_error_set(err, CB_ENOMEM, "report: out of memory");
    int rc = cb_atomic_write(f, b->p, b->len, err);
    if (rc < 0) {
        if (ftruncate(f->fd, (off_t)*len) != 0 || lseek(f->fd, (off_t)*len, SEEK_SET) < 0)
            return cb_error_prefix(err, "report: cannot undo a partial card");
        return rc;
    }
    *len += (long long)b->len;
    return 0;
}

static int check_usable(const cb_report *r, const char *input, cb_error *err)
{
    if (!r || !input)
        return cb_error_set(err, CB_EINVAL, "report: no report or no input name");
    if (r->finished)
        return cb_error_set(err, CB_EINVAL, "%s: report already finished", r->path);
    return 0;
}

static void card_head(sbuf *b, const char *kind)
{
    sb_printf(b, "<article class=\"card %s\">", kind);
}

static void card_names(sbuf *b, const char *input, const char *output)
{
    sb_puts(b, "<h2 title=\"");
    sb_html(b, input);
    sb_puts(b, "\">");
    sb_html(b, base_name(input));
    sb_puts(b, "</h2>");
    if (output) {
        sb_puts(b, "<p class=\"out\" title=\"");
        sb_html(b, output);
        sb_puts(b, "\">&rarr; ");
        sb_html(b, base_name(output));
        sb_puts(b, "</p>");
    } else {
        sb_puts(b, "<p class=\"out\">no output written (check)</p>");
    }
}

/* The shared part of add_photo and add_video once the verdicts are known. */
static int add_card(cb_report *r, const char *kind, const char *input, const char *output,
                    const cb_verdict *const *v, int n, const char *unit, sbuf *thumb,
                    int thumb_rc, const cb_error *thumb_err, cb_error *err)
{
    sbuf b = {0};
    int kept = 0;
    for (int i = 0; i < n; i++)
        kept += v[i]->keep != 0;
    card_head(&b, kind);
    if (!output) {
        sb_puts(&b, "<div class=\"thumb none\">no preview: nothing was written</div>");
    } else if (thumb_rc < 0) {
        sb_puts(&b, "<div class=\"thumb none\">no preview: ");
        sb_html(&b, thumb_err->msg);
        sb_puts(&b, "</div>");
    } else {
        sb_printf(&b, "<div class=\"thumb%s\">", !strcmp(kind, "video") ? " strip" : "");
        sb_put(&b, thumb->p ? thumb->p : "", thumb->len);
        sb_puts(&b, "</div>");
    }
    card_names(&b, input, output);
    sb_printf(&b, "<p class=\"sum\">%d %s%s: %d kept, %d redacted</p>", n, unit,
              n == 1 ? "" : "s", kept, n - kept);
    put_badges(&b, r, v, n);
    put_edits(&b, r->edits, r->n_edits);
    sb_puts(&b, "</article>\n");
    int rc = append(&r->cards, &r->cards_len, &b, err);
    sb_free(&b);
    if (rc < 0)
        return rc;
    r->kept += kept;
    r->redacted += n - kept;
    if (thumb_rc < 0 && output) {
        if (err)
            *err = *thumb_err;
        return 1;
    }
    return 0;
}

int cb_report_add_photo(cb_report *r, const char *input, const char *output,
                        const cb_photo_result *res, cb_error *err)
{
    int rc = check_usable(r, input, err);
    if (rc < 0)
        return rc;
    if (!res || res->faces.count < 0 || (res->faces.count > 0 && !res->verdicts))
        return cb_error_set(err, CB_EINVAL, "%s: report: no result or no verdicts", input);
    const int n = res->faces.count;
    const cb_verdict **v = malloc((size_t)(n > 0 ? n : 1) * sizeof *v);
    if (!v)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    for (int i = 0; i < n; i++)
        v[i] = &res->verdicts[i];
    sbuf thumb = {0};
    cb_error terr = {0};
    int trc = output ? photo_thumbnail(&thumb, output, &terr) : 0;
    rc = add_card(r, "photo", input, output, v, n, "face", &thumb, trc, &terr, err);
    sb_free(&thumb);
    free(v);
    if (rc >= 0)
        r->photos++;
    return rc;
}

int cb_report_add_video(cb_report *r, const char *input, const char *output,
                        const cb_video_result *res, cb_error *err)
{
    int rc = check_usable(r, input, err);
    if (rc < 0)
        return rc;
    if (!res || res->n_tracks < 0 || (res->n_tracks > 0 && !res->tracks))
        return cb_error_set(err, CB_EINVAL, "%s: report: no result or no tracks", input);
    const int n = res->n_tracks;
    const cb_verdict **v = malloc((size_t)(n > 0 ? n : 1) * sizeof *v);
    if (!v)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    for (int i = 0; i < n; i++)
        v[i] = &res->tracks[i].verdict;
    sbuf thumb = {0};
    cb_error terr = {0};
    int trc = output ? video_strip(&thumb, output, res->frames, &terr) : 0;
    rc = add_card(r, "video", input, output, v, n, "face track", &thumb, trc, &terr, err);
    sb_free(&thumb);
    free(v);
    if (rc >= 0)
        r->videos++;
    return rc;
}

int cb_report_add_reviewed(cb_report *r, const char *input, const char *output,
                           const cb_photo_result *photo, const cb_video_result *video,
                           const cb_run_edit *edits, int n_edits, cb_error *err)
{
    if (!r || (!photo) == (!video) || n_edits < 0 || (n_edits > 0 && !edits))
        return cb_error_set(err, CB_EINVAL, "report: one result, and the edits");
    r->edits = edits;
    r->n_edits = n_edits;
    const int rc = photo ? cb_report_add_photo(r, input, output, photo, err)
                         : cb_report_add_video(r, input, output, video, err);
    r->edits = NULL;
    r->n_edits = 0;
    return rc;
}

int cb_report_add_failure(cb_report *r, const char *input, const char *reason, cb_error *err)
{
    int rc = check_usable(r, input, err);
    if (rc < 0)
        return rc;
    sbuf b = {0};
    sb_puts(&b, "<li><b title=\"");
    sb_html(&b, input);
    sb_puts(&b, "\">");
    sb_html(&b, base_name(input));
    sb_puts(&b, "</b>: ");
    sb_html(&b, reason && *reason ? reason : "failed (no reason given)");
    sb_puts(&b, "</li>\n");
    rc = append(&r->failures, &r->failures_len, &b, err);
    sb_free(&b);
    if (rc == 0)
        r->n_failures++;
    return rc;
}

/* ---- open, finish, close ---------------------------------------------------------------------- */

static char *dup_or_null(const char *s, int *oom)
{
    if (!s)
        return NULL;
    char *d = strdup(s);
    if (!d)
        *oom = 1;
    return d;
}

int cb_report_open(const char *html_path, const cb_report_info *info, cb_report **out,
                   cb_error *err)
{
    int rc, oom = 0;
    if (!out)
        return cb_error_set(err, CB_EINVAL, "cb_report_open: no out pointer");
    *out = NULL;
    if (!html_path || !*html_path || !info)
        return cb_error_set(err, CB_EINVAL, "cb_report_open: no report path or info");
    cb_report *r = calloc(1, sizeof *r);
    if (!r)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    r->cards = (cb_atomic_file)CB_ATOMIC_FILE_INIT;
    r->failures = (cb_atomic_file)CB_ATOMIC_FILE_INIT;
    r->path = dup_or_null(html_path, &oom);
    r->title = dup_or_null(info->title ? info->title : "consentblur report", &oom);
    r->command = dup_or_null(info->command, &oom);
    r->purpose = dup_or_null(info->purpose, &oom);
    r->date = dup_or_null(info->date, &oom);
    if (oom) {
        rc = cb_error_set(err, CB_ENOMEM, "out of memory");
        goto fail;
    }
    /* Two temporary files beside the report (same file system, not /tmp,
     * which may be memory), removed again by finish or close. */
    if ((rc = cb_atomic_open(&r->cards, html_path, err)) < 0 ||
        (rc = cb_atomic_open(&r->failures, html_path, err)) < 0)
        goto fail;
    *out = r;
    return 0;
fail:
    cb_report_close(r);
    return rc;
}

static const char css[] =
    "*{box-sizing:border-box}"
    "body{margin:0;padding:24px;background:#f3f4f6;color:#1f2328;"
    "font:15px/1.4 system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',Arial,sans-serif}"
    "header{background:#fff;border-radius:8px;padding:16px 20px;margin:0 0 20px;"
    "box-shadow:0 1px 3px rgba(0,0,0,.15)}"
    "h1{margin:0 0 4px;font-size:24px}"
    ".meta{margin:0 0 12px;color:#555}"
    ".counts{display:flex;flex-wrap:wrap;gap:10px;margin:0;padding:0;list-style:none}"
    ".counts li{background:#eef0f3;border-radius:6px;padding:6px 14px;color:#444}"
    ".counts b{display:block;font-size:22px;color:#1f2328}"
    ".failures{background:#fff4f4;border:1px solid #e3a5a5;border-radius:8px;"
    "padding:12px 20px;margin:0 0 20px}"
    ".failures h2{margin:0 0 6px;font-size:18px;color:#a61b1b}"
    ".failures ul{margin:0;padding-left:20px}"
    ".failures li{margin:2px 0;overflow-wrap:anywhere}"
    ".grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(280px,1fr));gap:16px}"
    ".card{background:#fff;border-radius:8px;overflow:hidden;"
    "box-shadow:0 1px 3px rgba(0,0,0,.15);break-inside:avoid;page-break-inside:avoid}"
    ".thumb{background:#2b2b2b;display:flex;align-items:center;justify-content:center;"
    "min-height:90px}"
    ".thumb img{display:block;max-width:100%;height:auto}"
    ".strip img{width:33.333%}"
    ".thumb.none{color:#ddd;font-size:13px;padding:12px;text-align:center;"
    "overflow-wrap:anywhere}"
    ".card h2{margin:10px 12px 2px;font-size:15px;overflow-wrap:anywhere}"
    ".out,.sum{margin:0 12px 2px;color:#5f6368;font-size:13px;overflow-wrap:anywhere}"
    ".badges{display:flex;flex-wrap:wrap;gap:6px;margin:8px 12px 12px;padding:0;"
    "list-style:none}"
    ".b{border-radius:4px;padding:3px 8px;font-size:13px;color:#fff;overflow-wrap:anywhere}"
    ".b.kept{background:#1e7e34}"
    ".b.anon{background:#6c757d}"
    ".b.nocons{background:#b02a37}"
    ".b.manual{background:#6f42c1}"
    ".b .n{font-weight:bold}"
    "footer{margin:24px 0 0;color:#777;font-size:12px}"
    "@media print{body{background:#fff;padding:0}"
    "header,.card{box-shadow:none;border:1px solid #bbb}"
    ".grid{grid-template-columns:repeat(3,1fr)}"
    "*{-webkit-print-color-adjust:exact;print-color-adjust:exact}}";

static void put_head(sbuf *b, const cb_report *r)
{
    sb_puts(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
               "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
               "img-src data:; style-src 'unsafe-inline'\">\n"
               "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
               "<title>");
    sb_html(b, r->title);
    sb_puts(b, "</title>\n<style>");
    sb_puts(b, css);
    sb_puts(b, "</style>\n</head>\n<body>\n<header>\n<h1>");
    sb_html(b, r->title);
    sb_puts(b, "</h1>\n<p class=\"meta\">");
    if (r->command) {
        sb_puts(b, "<span>command: <b>");
        sb_html(b, r->command);
        sb_puts(b, "</b></span> &middot; ");
    }
    if (r->purpose) {
        sb_puts(b, "<span>purpose: <b>");
        sb_html(b, r->purpose);
        sb_puts(b, "</b></span>");
    } else {
        sb_puts(b, "<span>no purpose: <b>every face redacted</b></span>");
    }
    if (r->date) {
        sb_puts(b, " &middot; <span>consent judged for <b>");
        sb_html(b, r->date);
        sb_puts(b, "</b></span>");
    }
    sb_puts(b, "</p>\n<ul class=\"counts\">");
    sb_printf(b, "<li><b>%lld</b>files</li>", r->photos + r->videos + r->n_failures);
    sb_printf(b, "<li><b>%lld</b>faces kept</li>", r->kept);
    sb_printf(b, "<li><b>%lld</b>faces redacted</li>", r->redacted);
    sb_printf(b, "<li><b>%lld</b>failures</li>", r->n_failures);
    sb_puts(b, "</ul>\n</header>\n");
    if (r->videos > 0)
        sb_puts(b, "<!-- faces in videos are counted per face track -->\n");
}

/* Copy `len` bytes of the temporary file src into dst. */
static int copy_in(cb_atomic_file *dst, const cb_atomic_file *src, long long len, cb_error *err)
{
    char buf[65536];
    int rc = 0;
    int fd = open(src->tmp, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return cb_error_set(err, -errno, "%s: cannot read back %s: %s", dst->path, src->tmp,
                            strerror(errno));
    while (len > 0 && rc == 0) {
        ssize_t n = read(fd, buf, len < (long long)sizeof buf ? (size_t)len : sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            rc = n < 0 ? cb_error_set(err, -errno, "%s: reading %s: %s", dst->path, src->tmp,
                                      strerror(errno))
                       : cb_error_set(err, CB_EIO, "%s: %s is shorter than written", dst->path,
                                      src->tmp);
            break;
        }
        rc = cb_atomic_write(dst, buf, (size_t)n, err);
        len -= n;
    }
    close(fd);
    return rc;
}

static int write_text(cb_atomic_file *f, sbuf *b, cb_error *err)
{
    if (b->oom)
        return cb_error_set(err, CB_ENOMEM, "report: out of memory");
    int rc = cb_atomic_write(f, b->p ? b->p : "", b->len, err);
    b->len = 0;
    return rc;
}

int cb_report_finish(cb_report *r, cb_error *err)
{
    cb_atomic_file out = CB_ATOMIC_FILE_INIT;
    sbuf b = {0};
    int rc;
    if (!r)
        return cb_error_set(err, CB_EINVAL, "cb_report_finish: no report");
    if (r->finished)
        return cb_error_set(err, CB_EINVAL, "%s: report already finished", r->path);
    r->finished = 1;
    if ((rc = cb_atomic_open(&out, r->path, err)) < 0)
        goto fail;
    put_head(&b, r);
    if (r->n_failures > 0)
        sb_printf(&b, "<section class=\"failures\">\n<h2>%lld file%s failed: nothing was "
                      "written for %s</h2>\n<ul>\n",
                  r->n_failures, r->n_failures == 1 ? "" : "s",
                  r->n_failures == 1 ? "it" : "them");
    if ((rc = write_text(&out, &b, err)) < 0 ||
        (rc = copy_in(&out, &r->failures, r->failures_len, err)) < 0)
        goto fail;
    if (r->n_failures > 0)
        sb_puts(&b, "</ul>\n</section>\n");
    sb_puts(&b, "<main class=\"grid\">\n");
    if ((rc = write_text(&out, &b, err)) < 0 ||
        (rc = copy_in(&out, &r->cards, r->cards_len, err)) < 0)
        goto fail;
    if (r->photos + r->videos == 0)
        sb_puts(&b, "<p>No files were processed.</p>\n");
    sb_puts(&b, "</main>\n<footer>Made by consentblur. Previews are taken from the "
                "published (redacted) files only.</footer>\n</body>\n</html>\n");
    if ((rc = write_text(&out, &b, err)) < 0 || (rc = cb_atomic_commit(&out, 1, err)) < 0)
        goto fail;
    sb_free(&b);
    cb_atomic_abort(&r->cards);
    cb_atomic_abort(&r->failures);
    return 0;
fail:
    sb_free(&b);
    cb_atomic_abort(&out);
    return rc;
}

void cb_report_close(cb_report *r)
{
    if (!r)
        return;
    cb_atomic_abort(&r->cards);
    cb_atomic_abort(&r->failures);
    free(r->path);
    free(r->title);
    free(r->command);
    free(r->purpose);
    free(r->date);
    free(r);
}

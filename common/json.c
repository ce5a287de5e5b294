/* json.c - see json.h. */
#include "json.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cb_error.h"
#include "utf8.h"

typedef struct level {
    unsigned char is_object;
    unsigned char lines;   /* CB_JSON_LINES */
    unsigned char has_key; /* object: a key was written, its value not yet */
    int count;             /* members so far */
} level;

struct cb_json {
    char *buf;
    size_t len, cap, limit;
    int error;
    const char *why;       /* what went wrong, for cb_json_error_text */
    int depth;             /* open objects and arrays */
    int lines_depth;       /* ...of them CB_JSON_LINES */
    int done;              /* the top-level value is complete */
    level stack[CB_JSON_MAX_DEPTH];
};

/* ---- escaping, shared by the builder and cb_json_write_string ---- */

typedef void (*put_fn)(void *ctx, const char *p, size_t n);

static void escape(const char *s, put_fn put, void *ctx)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;
    put(ctx, "\"", 1);
    while (*p) {
        size_t plain = 0; /* bytes that go out as they are */
        while (p[plain] >= 0x20 && p[plain] < 0x7f && p[plain] != '"' && p[plain] != '\\')
            plain++;
        if (plain) {
            put(ctx, (const char *)p, plain);
            p += plain;
            continue;
        }
        char esc[8] = {'\\', 0};
        size_t n = 2, utf8 = cb_utf8_sequence(p);
        if (utf8 > 1) {
            put(ctx, (const char *)p, utf8);
            p += utf8;
            continue;
        }
        switch (*p) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        default:
            if (*p >= 0x80) {
                memcpy(esc, "\\ufffd", 6); /* not UTF-8: the replacement character */
            } else {
                memcpy(esc, "\\u00", 4);
                esc[4] = hex[*p >> 4];
                esc[5] = hex[*p & 15];
            }
            n = 6;
        }
        put(ctx, esc, n);
        p++;
    }
    put(ctx, "\"", 1);
}

static void put_file(void *ctx, const char *p, size_t n)
{
    fwrite(p, 1, n, (FILE *)ctx);
}

void cb_json_write_string(FILE *f, const char *s)
{
    escape(s, put_file, f);
}

/* ---- the builder ---- */

static void fail(cb_json *j, int code, const char *why)
{
    if (j && !j->error) {
        j->error = code;
        j->why = why;
    }
}

static int grow(cb_json *j, size_t need)
{
    if (need > j->limit) {
        fail(j, CB_ENOMEM, "JSON text over the builder's limit");
        return -1;
    }
    size_t cap = j->cap ? j->cap : 256;
    while (cap < need)
        cap = cap > j->limit / 2 ? j->limit : cap * 2;
    char *b = realloc(j->buf, cap);
    if (!b) {
        fail(j, CB_ENOMEM, "out of memory");
        return -1;
    }
    j->buf = b;
    j->cap = cap;
    return 0;
}

static void put_builder(void *ctx, const char *p, size_t n)
{
    cb_json *j = ctx;
    if (j->error || (j->len + n + 1 > j->cap && grow(j, j->len + n + 1) < 0))
        return;
    memcpy(j->buf + j->len, p, n);
    j->len += n;
    j->buf[j->len] = '\0';
}

static void puts_builder(cb_json *j, const char *s)
{
    put_builder(j, s, strlen(s));
}

/* A line break and the indent of the CB_JSON_LINES levels open. */
static void new_line(cb_json *j)
{
    static const char spaces[] = "                                ";
    put_builder(j, "\n", 1);
    for (int n = 2 * j->lines_depth; n > 0; n -= (int)sizeof spaces - 1)
        put_builder(j, spaces, n < (int)sizeof spaces - 1 ? (size_t)n : sizeof spaces - 1);
}

/* The comma and the space or line break before a member of the innermost level. */
static void separate(cb_json *j, level *l)
{
    if (l->count)
        put_builder(j, ",", 1);
    if (l->lines)
        new_line(j);
    else if (l->count)
        put_builder(j, " ", 1);
    l->count++;
}

/* Check that a value may come here and write what goes before it. 0 when
 * it may be written. */
static int begin_value(cb_json *j)
{
    if (!j || j->error)
        return -1;
    if (j->depth == 0) {
        if (j->done)
            fail(j, CB_EINVAL, "a second value at the top level");
        return j->error ? -1 : 0;
    }
    level *l = &j->stack[j->depth - 1];
    if (l->is_object && !l->has_key) {
        fail(j, CB_EINVAL, "a value in an object without a key");
        return -1;
    }
    if (l->is_object)
        l->has_key = 0;
    else
        separate(j, l);
    return j->error ? -1 : 0;
}

/* After a value: at the top level, the document's value is complete. */
static void end_value(cb_json *j)
{
    if (j->depth == 0)
        j->done = 1;
}

cb_json *cb_json_new(size_t limit)
{
    cb_json *j = calloc(1, sizeof *j);
    if (j)
        j->limit = limit ? limit : CB_JSON_DEFAULT_LIMIT;
    return j;
}

void cb_json_free(cb_json *j)
{
    if (!j)
        return;
    free(j->buf);
    free(j);
}

static void open_level(cb_json *j, int is_object, cb_json_layout layout)
{
    if (begin_value(j) < 0)
        return;
    if (j->depth == CB_JSON_MAX_DEPTH) {
        fail(j, CB_EINVAL, "JSON nested too deep");
        return;
    }
    j->stack[j->depth++] = (level){.is_object = (unsigned char)is_object,
                                   .lines = layout == CB_JSON_LINES};
    j->lines_depth += layout == CB_JSON_LINES;
    put_builder(j, is_object ? "{" : "[", 1);
}

void cb_json_object(cb_json *j, cb_json_layout layout)
{
    open_level(j, 1, layout);
}

void cb_json_array(cb_json *j, cb_json_layout layout)
{
    open_level(j, 0, layout);
}

void cb_json_end(cb_json *j)
{
    if (!j || j->error)
        return;
    if (j->depth == 0) {
        fail(j, CB_EINVAL, "an end without an open object or array");
        return;
    }
    level *l = &j->stack[j->depth - 1];
    if (l->has_key) {
        fail(j, CB_EINVAL, "a key without a value");
        return;
    }
    j->lines_depth -= l->lines;
    if (l->lines && l->count)
        new_line(j);
    put_builder(j, l->is_object ? "}" : "]", 1);
    j->depth--;
    end_value(j);
}

void cb_json_key(cb_json *j, const char *key)
{
    if (!j || j->error)
        return;
    level *l = j->depth ? &j->stack[j->depth - 1] : NULL;
    if (!l || !l->is_object || l->has_key) {
        fail(j, CB_EINVAL, l && l->has_key ? "a key without a value" : "a key outside an object");
        return;
    }
    separate(j, l);
    escape(key, put_builder, j);
    put_builder(j, ": ", 2);
    l->has_key = 1;
}

/* A value written as the text s (a number, true, null, raw JSON). */
static void plain_value(cb_json *j, const char *s)
{
    if (begin_value(j) < 0)
        return;
    puts_builder(j, s);
    end_value(j);
}

void cb_json_string(cb_json *j, const char *s)
{
    if (!s) {
        plain_value(j, "null");
        return;
    }
    if (begin_value(j) < 0)
        return;
    escape(s, put_builder, j);
    end_value(j);
}

void cb_json_int(cb_json *j, long long v)
{
    char text[32];
    snprintf(text, sizeof text, "%lld", v);
    plain_value(j, text);
}

void cb_json_fixed(cb_json *j, double v, int decimals)
{
    char text[384];
    if (decimals < 0 || decimals > 17) {
        fail(j, CB_EINVAL, "decimals outside 0-17");
        return;
    }
    if (!isfinite(v))
        snprintf(text, sizeof text, "null");
    else
        snprintf(text, sizeof text, "%.*f", decimals, v);
    plain_value(j, text);
}

void cb_json_bool(cb_json *j, int v)
{
    plain_value(j, v ? "true" : "false");
}

void cb_json_null(cb_json *j)
{
    plain_value(j, "null");
}

void cb_json_raw(cb_json *j, const char *json)
{
    if (!json || !json[0])
        fail(j, CB_EINVAL, "raw JSON that is empty");
    else
        plain_value(j, json);
}

void cb_json_kv_string(cb_json *j, const char *key, const char *s)
{
    cb_json_key(j, key);
    cb_json_string(j, s);
}

void cb_json_kv_int(cb_json *j, const char *key, long long v)
{
    cb_json_key(j, key);
    cb_json_int(j, v);
}

void cb_json_kv_fixed(cb_json *j, const char *key, double v, int decimals)
{
    cb_json_key(j, key);
    cb_json_fixed(j, v, decimals);
}

void cb_json_kv_bool(cb_json *j, const char *key, int v)
{
    cb_json_key(j, key);
    cb_json_bool(j, v);
}

int cb_json_error(const cb_json *j)
{
    return j ? j->error : CB_ENOMEM;
}

const char *cb_json_error_text(const cb_json *j)
{
    if (!j)
        return "out of memory";
    return j->error ? j->why : "";
}

const char *cb_json_text(const cb_json *j, size_t *len)
{
    if (len)
        *len = 0;
    if (!j || j->error)
        return NULL;
    if (len)
        *len = j->len;
    return j->buf ? j->buf : "";
}

int cb_json_flush(cb_json *j, FILE *f)
{
    if (!j || j->error)
        return cb_json_error(j);
    if (j->len && fwrite(j->buf, 1, j->len, f) != j->len)
        fail(j, CB_EIO, "writing the JSON failed");
    j->len = 0;
    if (j->buf)
        j->buf[0] = '\0';
    return j->error;
}

int cb_json_finish(cb_json *j, FILE *f)
{
    if (j && !j->error && (j->depth || !j->done))
        fail(j, CB_EINVAL, j->depth ? "an object or array left open" : "no value");
    if (j && !j->error) {
        put_builder(j, "\n", 1);
        cb_json_flush(j, f);
        j->done = 2; /* finished: nothing more */
    }
    return cb_json_error(j);
}

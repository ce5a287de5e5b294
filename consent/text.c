/* text.c - see text.h. */
#include "text.h"

#include <string.h>
#include <time.h>

#include "../common/cb_date.h"
#include "../common/json.h"
#include "../common/utf8.h"

int cb_text_check_date(const char *s, const char *what, cb_error *err)
{
    if (cb_date_valid(s))
        return 0;
    return cb_error_set(err, CB_EINVAL, "%s: '%.20s' is not a real date (YYYY-MM-DD)", what,
                        s ? s : "");
}


int cb_text_utf8_valid(const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    for (size_t i = 0, n; i < len; i += n) {
        n = cb_utf8_sequence(s + i);
        if (n == 0 || n > len - i)
            return 0;
    }
    return 1;
}

int cb_text_field_ok(const char *s, size_t size)
{
    if (!s)
        return 0;
    size_t len = strnlen(s, size);
    if (len >= size || !cb_text_utf8_valid(s, len))
        return 0;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return 0;
    return 1;
}

/* Longest prefix of s of at most max bytes that ends on a character boundary. */
static size_t utf8_prefix(const char *s, size_t max)
{
    size_t len = strlen(s);
    if (len <= max)
        return len;
    size_t n = max;
    while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
        n--;
    return n;
}

void cb_text_copy(char *dst, size_t size, const char *src)
{
    if (size == 0)
        return;
    size_t n = utf8_prefix(src ? src : "", size - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

char *cb_text_trim(char *s)
{
    size_t len = strlen(s), start = 0;
    while (start < len && (s[start] == ' ' || s[start] == '\t'))
        start++;
    while (len > start && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    memmove(s, s + start, len - start);
    s[len - start] = '\0';
    return s;
}

/* Escape s[0..n) as a JSON string into out (room bytes), as common/json.h
 * writes every string; returns the length written, or (size_t)-1 when it
 * does not fit (or there is no memory). n is at most 300 (the callers'
 * limit). */
static size_t json_escape(char *out, size_t room, const char *s, size_t n)
{
    char text[301];
    size_t len = 0;
    if (n >= sizeof text)
        return (size_t)-1;
    memcpy(text, s, n);
    text[n] = '\0';
    cb_json *j = cb_json_new(0);
    cb_json_string(j, text);
    const char *escaped = cb_json_text(j, &len);
    if (escaped && len < room)
        memcpy(out, escaped, len + 1);
    else
        len = (size_t)-1;
    cb_json_free(j);
    return len;
}

void cb_json_obj_begin(cb_json_obj *o, char *buf, size_t size)
{
    o->buf = buf;
    o->size = size;
    o->len = 0;
    o->members = 0;
    if (size >= 3) {
        buf[0] = '{';
        buf[1] = '\0';
        o->len = 1;
    } else if (size > 0) {
        buf[0] = '\0';
    }
}

/* Append `"key": ` + value (already JSON) if it fits with room for "}". */
static void add_member(cb_json_obj *o, const char *key, const char *value)
{
    if (o->len == 0)
        return;
    char k[80];
    size_t kl = json_escape(k, sizeof k, key, strlen(key));
    if (kl == (size_t)-1)
        return;
    size_t need = (o->members ? 2 : 0) + kl + 2 + strlen(value);
    if (o->len + need + 2 > o->size) /* + '}' + NUL */
        return;
    char *p = o->buf + o->len;
    if (o->members) {
        memcpy(p, ", ", 2);
        p += 2;
    }
    memcpy(p, k, kl);
    p += kl;
    memcpy(p, ": ", 2);
    p += 2;
    strcpy(p, value);
    o->len += need;
    o->members++;
}

void cb_json_obj_str(cb_json_obj *o, const char *key, const char *value, size_t max_value)
{
    char v[1024];
    if (!value)
        value = "";
    size_t n = utf8_prefix(value, max_value < 300 ? max_value : 300);
    if (json_escape(v, sizeof v, value, n) == (size_t)-1)
        return;
    add_member(o, key, v);
}

void cb_json_obj_int(cb_json_obj *o, const char *key, int64_t value)
{
    char v[32];
    snprintf(v, sizeof v, "%lld", (long long)value);
    add_member(o, key, v);
}

void cb_json_obj_num(cb_json_obj *o, const char *key, double value)
{
    char v[40];
    snprintf(v, sizeof v, "%.6g", value);
    add_member(o, key, v);
}

void cb_json_obj_raw(cb_json_obj *o, const char *key, const char *value)
{
    add_member(o, key, value);
}

const char *cb_json_obj_end(cb_json_obj *o)
{
    if (o->len > 0 && o->len + 2 <= o->size) {
        o->buf[o->len++] = '}';
        o->buf[o->len] = '\0';
    }
    return o->buf;
}

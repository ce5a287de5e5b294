/* text.c - see text.h. */
#include "text.h"

#include <string.h>
#include <time.h>

#include "../common/cb_date.h"

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
    size_t i = 0;
    while (i < len) {
        unsigned c = s[i];
        size_t n;
        unsigned min;
        unsigned cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xe0) == 0xc0) {
            n = 1, min = 0x80, cp = c & 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            n = 2, min = 0x800, cp = c & 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            n = 3, min = 0x10000, cp = c & 0x07;
        } else {
            return 0;
        }
        if (len - i - 1 < n)
            return 0;
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        i += n + 1;
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

/* Escape s[0..n) as a JSON string into out (room bytes); returns the length
 * written, or (size_t)-1 when it does not fit. */
static size_t json_escape(char *out, size_t room, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
#define PUT(ch)                                                                                \
    do {                                                                                       \
        if (o + 1 >= room)                                                                     \
            return (size_t)-1;                                                                 \
        out[o++] = (ch);                                                                       \
    } while (0)
    PUT('"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            PUT('\\');
            PUT((char)c);
        } else if (c == '\n') {
            PUT('\\');
            PUT('n');
        } else if (c == '\t') {
            PUT('\\');
            PUT('t');
        } else if (c == '\r') {
            PUT('\\');
            PUT('r');
        } else if (c < 0x20 || c == 0x7f) {
            PUT('\\');
            PUT('u');
            PUT('0');
            PUT('0');
            PUT(hex[c >> 4]);
            PUT(hex[c & 15]);
        } else {
            PUT((char)c);
        }
    }
    PUT('"');
#undef PUT
    out[o] = '\0';
    return o;
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

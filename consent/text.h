/*
 * text.h - internal to consent/: checks on the texts the registry stores and
 * the small JSON writer it uses for audit details (into a fixed buffer;
 * exports to a FILE* use common/json.h). No allocation.
 */
#ifndef CB_CONSENT_TEXT_H
#define CB_CONSENT_TEXT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../common/cb_date.h"
#include "../common/cb_error.h"

/* 1 when the len bytes at s are well-formed UTF-8 (no overlongs, no
 * surrogates), else 0. */
int cb_text_utf8_valid(const char *s, size_t len);

/* 1 when s fits a field of `size` bytes (strlen < size), is valid UTF-8 and
 * holds no control characters; else 0. NULL is not ok. */
int cb_text_field_ok(const char *s, size_t size);

/* 0 when s is a real calendar date "YYYY-MM-DD" (cb_date_valid), else
 * CB_EINVAL with "WHAT: 'S' is not a real date (YYYY-MM-DD)". */
int cb_text_check_date(const char *s, const char *what, cb_error *err);


/* Copy src into dst (size bytes), cut at a UTF-8 character boundary. */
void cb_text_copy(char *dst, size_t size, const char *src);

/* Remove leading and trailing spaces/tabs in place; returns s. */
char *cb_text_trim(char *s);

/*
 * A JSON object built into a caller's buffer: {"k": v, ...}. A member that
 * does not fit is left out whole (never a cut escape), string values longer
 * than max_value bytes are cut at a character boundary, so the result is
 * always valid JSON.
 */
typedef struct cb_json_obj {
    char *buf;
    size_t size;
    size_t len;
    int members;
} cb_json_obj;

void cb_json_obj_begin(cb_json_obj *o, char *buf, size_t size);
void cb_json_obj_str(cb_json_obj *o, const char *key, const char *value, size_t max_value);
void cb_json_obj_int(cb_json_obj *o, const char *key, int64_t value);
void cb_json_obj_num(cb_json_obj *o, const char *key, double value);
/* value must already be JSON (an array, say). */
void cb_json_obj_raw(cb_json_obj *o, const char *key, const char *value);
/* Close the object; returns buf. */
const char *cb_json_obj_end(cb_json_obj *o);

#endif

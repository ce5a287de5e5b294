/*
 * json.h - writing JSON: a small builder for the CLI's --json output (after
 * sqlite3_str: append, and look at the error once at the end), and one
 * string literal straight to a FILE* for the registry's export.
 *
 * The builder places the commas, escapes every string and key, and checks
 * the structure (a key only in an object, a value after each key, every
 * object and array closed, one value at the top). The first thing that goes
 * wrong - no memory, misuse, a failed write - is kept (a sticky error):
 * every later call does nothing, and cb_json_error/cb_json_finish report it.
 * So callers append without checking each step.
 *
 * Layout: ", " between members, ": " after a key, and per object or array
 * either everything on one line (CB_JSON_INLINE) or each member on a line of
 * its own (CB_JSON_LINES), indented two spaces per enclosing CB_JSON_LINES
 * level, the closing bracket on a line of its own (not when empty: "[]").
 *
 * Strings are written in double quotes with '"' and '\' escaped, \n \r \t
 * as such, every other control character (below 0x20, and 0x7f) as \u00XX
 * with lower-case hex; valid UTF-8 as it is; each byte that is not part of
 * valid UTF-8 (a Latin-1 file name) as \ufffd, so the text is always valid
 * JSON.
 *
 * Ownership: cb_json_new returns a builder the caller frees with
 * cb_json_free (accepts NULL). A builder is not thread-safe. Every function
 * accepts NULL as a builder that could not be made: its error is CB_ENOMEM.
 */
#ifndef CB_JSON_H
#define CB_JSON_H

#include <stddef.h>
#include <stdio.h>

/* Deepest nesting of objects and arrays; deeper is misuse (CB_EINVAL). */
#define CB_JSON_MAX_DEPTH 32
/* The most text a builder holds between flushes when cb_json_new gets 0. */
#define CB_JSON_DEFAULT_LIMIT ((size_t)64 << 20)

typedef struct cb_json cb_json;

typedef enum cb_json_layout {
    CB_JSON_INLINE, /* {"a": 1, "b": [1, 2]} */
    CB_JSON_LINES   /* each member on its own line */
} cb_json_layout;

/* A new, empty builder that holds at most `limit` bytes of text between
 * flushes (0: CB_JSON_DEFAULT_LIMIT); growing past it is an allocation
 * failure (CB_ENOMEM). NULL when there is no memory (see above). */
cb_json *cb_json_new(size_t limit);

/* Free the builder and its text. Accepts NULL. */
void cb_json_free(cb_json *j);

/* Open an object or array as the next value; cb_json_end closes the
 * innermost one open. */
void cb_json_object(cb_json *j, cb_json_layout layout);
void cb_json_array(cb_json *j, cb_json_layout layout);
void cb_json_end(cb_json *j);

/* The key of the next value, in an object. */
void cb_json_key(cb_json *j, const char *key);

/* Values. cb_json_string: NULL writes null. cb_json_fixed: `decimals`
 * digits after the point (0-17), null when v is not finite. cb_json_raw:
 * text the caller vouches is one valid JSON value, written as it is. */
void cb_json_string(cb_json *j, const char *s);
void cb_json_int(cb_json *j, long long v);
void cb_json_fixed(cb_json *j, double v, int decimals);
void cb_json_bool(cb_json *j, int v);
void cb_json_null(cb_json *j);
void cb_json_raw(cb_json *j, const char *json);

/* Key and value in one call. */
void cb_json_kv_string(cb_json *j, const char *key, const char *s);
void cb_json_kv_int(cb_json *j, const char *key, long long v);
void cb_json_kv_fixed(cb_json *j, const char *key, double v, int decimals);
void cb_json_kv_bool(cb_json *j, const char *key, int v);

/* 0, or the sticky error: CB_ENOMEM, CB_EINVAL (misuse), CB_EIO (a write
 * failed). */
int cb_json_error(const cb_json *j);

/* What went wrong, for a message ("" when nothing did). Static storage. */
const char *cb_json_error_text(const cb_json *j);

/* The text appended since the last flush, NUL-terminated, owned by the
 * builder (valid until the next call on it); *len its length when len is not
 * NULL. NULL after an error. */
const char *cb_json_text(const cb_json *j, size_t *len);

/* Write the text appended so far to f and empty the builder's buffer (the
 * structure stays open: long lists are written as they go). Returns
 * cb_json_error afterwards; a short write is the sticky CB_EIO. */
int cb_json_flush(cb_json *j, FILE *f);

/* End the document: everything must be closed and there must be one value
 * (else CB_EINVAL); a newline is appended and the text written to f.
 * Returns 0 or the sticky error. Nothing more may be appended after it. */
int cb_json_finish(cb_json *j, FILE *f);

/* Write s (NUL-terminated, not NULL) to f as a JSON string literal, escaped
 * as above. Write errors are left in f's error indicator (ferror). */
void cb_json_write_string(FILE *f, const char *s);

#endif

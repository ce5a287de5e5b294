/*
 * csv.h - internal to consent/: an RFC 4180 reader over a buffer in memory.
 * Comma separated; fields may be quoted ("a, b", "say ""hi"""), quoted
 * fields may span lines; records end with LF or CRLF; a UTF-8 byte order
 * mark at the start is skipped; blank lines are skipped. Each record knows
 * the line it started on. A NUL byte anywhere makes its record malformed
 * (fields are C strings: it would cut the value short).
 */
#ifndef CB_CONSENT_CSV_H
#define CB_CONSENT_CSV_H

#include <stddef.h>

typedef struct cb_csv_reader {
    const char *p, *end;
    int line;       /* line number of p (1-based) */
} cb_csv_reader;

/* One record; reused across calls to cb_csv_next, freed with cb_csv_row_free. */
typedef struct cb_csv_row {
    int line;       /* the line the record starts on */
    int n_fields;
    char **fields;  /* n_fields NUL-terminated strings, pointing into buf */
    char *buf;
    size_t buf_cap;
    size_t *offs;
    int offs_cap;
} cb_csv_row;

void cb_csv_init(cb_csv_reader *rd, const char *data, size_t len);

/*
 * Read the next record into row. Returns 1 (a record), 0 (end of input), -1
 * (a malformed record: msg says why; row->line is its line; the reader has
 * skipped to the next line, so reading can go on), or -2 (out of memory).
 */
int cb_csv_next(cb_csv_reader *rd, cb_csv_row *row, char *msg, size_t msg_size);

void cb_csv_row_free(cb_csv_row *row);

#endif

/* csv.c - see csv.h. */
#include "csv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cb_csv_init(cb_csv_reader *rd, const char *data, size_t len)
{
    rd->p = data;
    rd->end = data + len;
    rd->line = 1;
    if (len >= 3 && (unsigned char)data[0] == 0xef && (unsigned char)data[1] == 0xbb &&
        (unsigned char)data[2] == 0xbf)
        rd->p += 3;
}

void cb_csv_row_free(cb_csv_row *row)
{
    free(row->fields);
    free(row->buf);
    free(row->offs);
    memset(row, 0, sizeof *row);
}

static int put_char(cb_csv_row *row, size_t *len, char c)
{
    if (*len + 1 >= row->buf_cap) {
        size_t nc = row->buf_cap ? row->buf_cap * 2 : 256;
        char *nb = realloc(row->buf, nc);
        if (!nb)
            return -1;
        row->buf = nb;
        row->buf_cap = nc;
    }
    row->buf[(*len)++] = c;
    return 0;
}

/* End the current field (NUL) and start a new one at len. */
static int end_field(cb_csv_row *row, size_t *len)
{
    if (put_char(row, len, '\0') < 0)
        return -1;
    if (row->n_fields + 1 >= row->offs_cap) {
        int nc = row->offs_cap ? row->offs_cap * 2 : 16;
        size_t *no = realloc(row->offs, (size_t)nc * sizeof *no);
        if (!no)
            return -1;
        row->offs = no;
        row->offs_cap = nc;
    }
    row->offs[++row->n_fields] = *len;
    return 0;
}

/* Skip to just after the end of the current line. */
static void skip_line(cb_csv_reader *rd)
{
    while (rd->p < rd->end && *rd->p != '\n')
        rd->p++;
    if (rd->p < rd->end) {
        rd->p++;
        rd->line++;
    }
}

static int at_eol(const cb_csv_reader *rd)
{
    return rd->p >= rd->end || *rd->p == '\n' || (*rd->p == '\r' && rd->p + 1 < rd->end &&
                                                  rd->p[1] == '\n') ||
           (*rd->p == '\r' && rd->p + 1 == rd->end);
}

/* Consume the end of line at p (LF, CRLF or a final CR). */
static void eat_eol(cb_csv_reader *rd)
{
    if (rd->p < rd->end && *rd->p == '\r')
        rd->p++;
    if (rd->p < rd->end && *rd->p == '\n')
        rd->p++;
    rd->line++;
}

/* A NUL would end the field's C string early: what follows it would be
 * silently dropped ("yes\0no" read as yes). Text files have none. */
#define NUL_BYTE "a NUL byte (this is not a text file: save it as CSV UTF-8)"

static int fail(cb_csv_reader *rd, char *msg, size_t size, const char *why)
{
    snprintf(msg, size, "%s", why);
    skip_line(rd);
    return -1;
}

int cb_csv_next(cb_csv_reader *rd, cb_csv_row *row, char *msg, size_t msg_size)
{
    for (;;) {
        if (rd->p >= rd->end)
            return 0;
        size_t len = 0;
        int any_quoted = 0;
        row->n_fields = 0;
        row->line = rd->line;
        if (!row->offs_cap) {
            row->offs = malloc(16 * sizeof *row->offs);
            if (!row->offs)
                return -2;
            row->offs_cap = 16;
        }
        row->offs[0] = 0;
        for (;;) { /* one field per turn */
            if (rd->p < rd->end && *rd->p == '"') {
                any_quoted = 1;
                rd->p++;
                for (;;) {
                    if (rd->p >= rd->end) {
                        snprintf(msg, msg_size, "a quoted field is not closed");
                        return -1;
                    }
                    if (*rd->p == '\0')
                        return fail(rd, msg, msg_size, NUL_BYTE);
                    char c = *rd->p++;
                    if (c == '"') {
                        if (rd->p < rd->end && *rd->p == '"') {
                            rd->p++;
                        } else {
                            break;
                        }
                    } else if (c == '\n') {
                        rd->line++;
                    }
                    if (put_char(row, &len, c) < 0)
                        return -2;
                }
                if (!at_eol(rd) && *rd->p != ',')
                    return fail(rd, msg, msg_size, "text after a closing quote");
            } else {
                while (!at_eol(rd) && *rd->p != ',') {
                    if (*rd->p == '\0')
                        return fail(rd, msg, msg_size, NUL_BYTE);
                    if (*rd->p == '"')
                        return fail(rd, msg, msg_size,
                                    "a quote inside an unquoted field (quote the whole field and "
                                    "double the quote)");
                    if (put_char(row, &len, *rd->p++) < 0)
                        return -2;
                }
            }
            if (end_field(row, &len) < 0)
                return -2;
            if (at_eol(rd)) {
                eat_eol(rd);
                break;
            }
            rd->p++; /* the comma */
        }
        /* A blank line is one empty, unquoted field: skip it. */
        if (row->n_fields == 1 && row->buf[0] == '\0' && !any_quoted)
            continue;
        char **nf = realloc(row->fields, (size_t)row->n_fields * sizeof *nf);
        if (!nf)
            return -2;
        row->fields = nf;
        for (int i = 0; i < row->n_fields; i++)
            row->fields[i] = row->buf + row->offs[i];
        return 1;
    }
}

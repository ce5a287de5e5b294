/*
 * json.h - writing JSON string literals to a FILE*, for the CLI's --json
 * output and the registry's export. No allocation, no state.
 */
#ifndef CB_JSON_H
#define CB_JSON_H

#include <stdio.h>

/*
 * Write s (NUL-terminated, not NULL) to f as a JSON string literal: in
 * double quotes, with '"' and '\' escaped, \n \r \t as such, and every other
 * control character (below 0x20, and 0x7f) as \u00XX with lower-case hex.
 * Other bytes, UTF-8 included, are written as they are. Write errors are
 * left in f's error indicator (ferror).
 */
void cb_json_write_string(FILE *f, const char *s);

#endif

/*
 * utf8.h - telling well-formed UTF-8 from other bytes, for writers whose
 * output must be valid UTF-8 whatever they are given (JSON, the HTML
 * report): they copy a well-formed sequence and replace any other byte.
 * No allocation, no state.
 */
#ifndef CB_UTF8_H
#define CB_UTF8_H

#include <stddef.h>

/*
 * The length of the well-formed UTF-8 sequence that starts at p: 1 for an
 * ASCII byte (NUL included), 2-4 for a multi-byte character, 0 when the
 * bytes there are not one (a stray continuation byte, a bad lead byte, an
 * overlong form, a UTF-16 surrogate, past U+10FFFF, or cut short). p must
 * be NUL-terminated: no byte past a NUL is read.
 */
size_t cb_utf8_sequence(const unsigned char *p);

#endif

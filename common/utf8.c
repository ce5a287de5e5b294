/* utf8.c - see utf8.h. */
#include "utf8.h"

size_t cb_utf8_sequence(const unsigned char *p)
{
    unsigned c = p[0];
    if (c < 0x80)
        return 1;
    /* The range of the second byte, narrower after some lead bytes (RFC 3629). */
    unsigned lo = 0x80, hi = 0xbf;
    size_t n;
    if (c >= 0xc2 && c <= 0xdf)
        n = 2;
    else if (c >= 0xe0 && c <= 0xef)
        n = 3;
    else if (c >= 0xf0 && c <= 0xf4)
        n = 4;
    else
        return 0;
    if (c == 0xe0)
        lo = 0xa0; /* overlong */
    else if (c == 0xed)
        hi = 0x9f; /* surrogates */
    else if (c == 0xf0)
        lo = 0x90; /* overlong */
    else if (c == 0xf4)
        hi = 0x8f; /* past U+10FFFF */
    if (p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++) /* a NUL ends it here: not a continuation byte */
        if (p[i] < 0x80 || p[i] > 0xbf)
            return 0;
    return n;
}

/*
 * utf.c - UTF-16LE to UTF-8 and the UTF-8 encoder (see utf.h).
 */
#include "util/utf.h"

#include <string.h>

#include "util/bytes.h"

size_t util_utf8_encode(char out[4], uint32_t cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xc0 | cp >> 6);
        out[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xe0 | cp >> 12);
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | cp >> 18);
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    out[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

size_t util_utf16le_to_utf8(const uint8_t *in, size_t n, char *out, size_t size)
{
    size_t o = 0;

    if (!size)
        return 0;
    for (size_t i = 0; i + 1 < n; i += 2) {
        uint32_t cp = util_le16(in + i);
        char enc[4];
        size_t len;

        if (cp >= 0xd800 && cp < 0xdc00 && i + 3 < n) {
            uint32_t lo = util_le16(in + i + 2);
            if (lo >= 0xdc00 && lo < 0xe000) {
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                i += 2;
            }
        }
        if ((cp >= 0xd800 && cp < 0xe000) || cp == 0)
            cp = 0xfffd; /* lone surrogate or embedded NUL: show it, don't cut */
        len = util_utf8_encode(enc, cp);
        if (o + len + 1 > size)
            break;
        memcpy(out + o, enc, len);
        o += len;
    }
    out[o] = '\0';
    return o;
}

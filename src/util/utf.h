/*
 * utf.h - the one UTF-16LE -> UTF-8 conversion (Windows names, UNICODE_STRING)
 * and the one UTF-8 encoder (also used by the JSON reader's \u escapes).
 *
 * Guest strings are hostile: a lone surrogate or an embedded NUL is shown
 * as U+FFFD, never dropped and never allowed to cut the string short, and
 * the output never exceeds its buffer.
 */
#ifndef TINYVMI_UTIL_UTF_H
#define TINYVMI_UTIL_UTF_H

#include <stddef.h>
#include <stdint.h>

/* UTF-8 bytes for one code point (at most 4); cp must be <= 0x10ffff. */
size_t util_utf8_encode(char out[4], uint32_t cp);

/* Decode n UTF-16LE bytes (an odd last byte is ignored) into out, which
 * holds size bytes including the terminating NUL (size >= 1).  Stops at
 * the last whole character that fits.  Returns the bytes written, NUL not
 * counted.  3 * (n / 2) + 1 bytes of output always hold the whole string. */
size_t util_utf16le_to_utf8(const uint8_t *in, size_t n, char *out, size_t size);

#endif

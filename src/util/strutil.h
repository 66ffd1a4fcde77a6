/*
 * strutil.h - small string helpers the core and OS layers share.
 *
 * Plain libc has these only in forms that are unsafe (strncpy does not
 * terminate), locale-dependent (strcasecmp, isspace) or too forgiving
 * (strtoull takes "-1" and "12abc").  These are strict and ASCII-only, because
 * their input is configuration text and guest data.  Nothing here keeps state.
 */
#ifndef TINYVMI_UTIL_STRUTIL_H
#define TINYVMI_UTIL_STRUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A malloc'ed copy; NULL for a NULL s or when memory runs out. */
char *util_strdup(const char *s);

/* Copy src into dst[size], truncating if need be; dst is always
 * NUL-terminated when size > 0.  Returns strlen(src), so truncation is
 * "return value >= size".  A NULL src copies as "". */
size_t util_strlcpy(char *dst, const char *src, size_t size);

/* Parse an unsigned 64-bit number: "0x"/"0X" hexadecimal, a leading "0"
 * octal, otherwise decimal, with optional ASCII whitespace around it.
 * Rejects (returns false, *out untouched) NULL or empty input, a sign, a
 * prefix without digits ("0x"), any trailing character that is not
 * whitespace ("12abc", "08"), and values above UINT64_MAX. */
bool util_parse_u64(const char *s, uint64_t *out);

/* The decimal digits that begin s, as a number in *out: returns the first
 * character after them, or NULL (*out untouched) when s does not begin with
 * a digit or the number exceeds UINT64_MAX.  No sign, no space: for indexes
 * inside names ("a[3]", "Module.12.Base"), where strtoul would take " -1". */
const char *util_scan_decimal(const char *s, uint64_t *out);

/* Strip leading and trailing ASCII whitespace in place (the text moves to
 * the start of s, so s can still be freed).  Returns s; NULL stays NULL. */
char *util_str_trim(char *s);

/* ASCII case-insensitive equality.  NULL equals only NULL. */
bool util_streq_nocase(const char *a, const char *b);
/* Whether s begins with prefix, ASCII case-insensitively (false for NULL). */
bool util_starts_nocase(const char *s, const char *prefix);

/* memmem for guest memory, where pages are full of zero bytes that make
 * glibc's memmem slow when the pattern holds zeros too: anchors on the
 * pattern's first non-zero byte with memchr and compares the rest. */
const void *util_memfind(const void *hay, size_t hlen, const void *pat, size_t plen);

/* ASCII whitespace as isspace sees it in the C locale, in any locale. */
bool util_is_space(char c);

/* The value of one hex digit (0-9, a-f, A-F), or -1. */
int util_hexval(char c);

/* s[0..n) as one hex number: 1 to 16 digits and nothing else; false
 * otherwise (*out untouched). */
bool util_hex_u64(const char *s, size_t n, uint64_t *out);

#endif

/*
 * strutil.c - strict, locale-free string helpers (see strutil.h).
 *
 * Deliberately no <ctype.h> and no strtoull: both depend on the locale or
 * accept more than a configuration value should.  Nothing here allocates
 * except util_strdup.
 */
#include "util/strutil.h"

#include <stdlib.h>
#include <string.h>

bool util_is_space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\v' || ch == '\f' || ch == '\r';
}

static char to_lower(char ch)
{
    return (ch >= 'A' && ch <= 'Z') ? (char)(ch - 'A' + 'a') : ch;
}

/* The digit's value, or 16 (larger than any base used) when ch is no digit. */
static unsigned digit_value(char ch)
{
    if (ch >= '0' && ch <= '9')
        return (unsigned)(ch - '0');
    ch = to_lower(ch);
    if (ch >= 'a' && ch <= 'f')
        return (unsigned)(ch - 'a' + 10);
    return 16;
}

/* The digits of base at s, as a number in *v: the first character after
 * them (s itself when there is none), or NULL when they exceed UINT64_MAX. */
static const char *scan_digits(const char *s, unsigned base, uint64_t *v)
{
    unsigned d;
    for (*v = 0; (d = digit_value(*s)) < base; s++) {
        if (*v > (UINT64_MAX - d) / base)
            return NULL; /* v * base + d would not fit */
        *v = *v * base + d;
    }
    return s;
}

char *util_strdup(const char *s)
{
    size_t n;
    char *d;

    if (!s)
        return NULL;
    n = strlen(s) + 1;
    d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

size_t util_strlcpy(char *dst, const char *src, size_t size)
{
    size_t len;

    if (!src)
        src = "";
    len = strlen(src);
    if (size > 0) {
        size_t n = len < size - 1 ? len : size - 1;
        memcpy(dst, src, n);
        dst[n] = '\0';
    }
    return len;
}

bool util_parse_u64(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    unsigned base = 10;

    if (!s)
        return false;
    while (util_is_space(*s))
        s++;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    } else if (s[0] == '0') {
        /* A lone "0" is zero in any base; "0..." is octal. */
        base = 8;
    }
    const char *end = scan_digits(s, base, &v);
    if (!end || end == s)
        return false;
    s = end;
    while (util_is_space(*s))
        s++;
    if (*s != '\0')
        return false;
    if (out)
        *out = v;
    return true;
}

const char *util_scan_decimal(const char *s, uint64_t *out)
{
    uint64_t v;
    const char *end = s ? scan_digits(s, 10, &v) : NULL;
    if (!end || end == s)
        return NULL;
    *out = v;
    return end;
}

char *util_str_trim(char *s)
{
    char *start, *end;

    if (!s)
        return NULL;
    for (start = s; util_is_space(*start); start++)
        ;
    end = start + strlen(start);
    while (end > start && util_is_space(end[-1]))
        end--;
    memmove(s, start, (size_t)(end - start));
    s[end - start] = '\0';
    return s;
}

bool util_streq_nocase(const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    for (; *a && *b; a++, b++)
        if (to_lower(*a) != to_lower(*b))
            return false;
    return *a == *b;
}

bool util_starts_nocase(const char *s, const char *prefix)
{
    if (!s || !prefix)
        return false;
    for (; *prefix; s++, prefix++)
        if (to_lower(*s) != to_lower(*prefix))
            return false;
    return true;
}

int util_hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* The first run of plen zero bytes in h (1 <= plen <= hlen): each byte is
 * looked at once, a run restarting after any non-zero byte.  (libc's
 * memmem would do, but it links 0.8 KB of two-way search into the static
 * tools for this one case.) */
static const void *zero_run(const unsigned char *h, size_t hlen, size_t plen)
{
    size_t run = 0;
    for (size_t i = 0; i < hlen; i++) {
        run = h[i] ? 0 : run + 1;
        if (run == plen)
            return h + i + 1 - plen;
    }
    return NULL;
}

const void *util_memfind(const void *hay, size_t hlen, const void *pat, size_t plen)
{
    const unsigned char *h = hay, *n = pat, *p, *last;
    size_t k = 0;

    if (plen == 0)
        return hay;
    if (plen > hlen)
        return NULL;
    while (k < plen && n[k] == 0)
        k++;
    if (k == plen) /* all zeros: nothing rarer to anchor on */
        return zero_run(h, hlen, plen);
    p = h + k;
    last = h + (hlen - plen) + k; /* the last place the anchor can sit */
    while (p <= last) {
        p = memchr(p, n[k], (size_t)(last - p) + 1);
        if (!p)
            return NULL;
        if (memcmp(p - k, n, plen) == 0)
            return p - k;
        p++;
    }
    return NULL;
}

bool util_hex_u64(const char *s, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    if (n == 0 || n > 16)
        return false;
    for (size_t i = 0; i < n; i++) {
        int d = util_hexval(s[i]);
        if (d < 0)
            return false;
        v = (v << 4) | (uint64_t)d;
    }
    *out = v;
    return true;
}

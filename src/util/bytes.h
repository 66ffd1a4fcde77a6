/*
 * bytes.h - little-endian loads and stores from raw bytes.
 *
 * Guest memory, image headers, BTF and kallsyms tables are little-endian on
 * x86 whatever the host is.  These are the one way TinyVMI decodes them: a
 * memcpy (so unaligned bytes are fine and the compiler emits a plain load on
 * x86 hosts) and a byte swap on big-endian hosts.  Callers check bounds.
 */
#ifndef TINYVMI_UTIL_BYTES_H
#define TINYVMI_UTIL_BYTES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define UTIL_BSWAP16(v) __builtin_bswap16(v)
#define UTIL_BSWAP32(v) __builtin_bswap32(v)
#define UTIL_BSWAP64(v) __builtin_bswap64(v)
#else
#define UTIL_BSWAP16(v) (v)
#define UTIL_BSWAP32(v) (v)
#define UTIL_BSWAP64(v) (v)
#endif

static inline uint16_t util_le16(const void *p)
{
    uint16_t v;
    memcpy(&v, p, sizeof(v));
    return UTIL_BSWAP16(v);
}

static inline uint32_t util_le32(const void *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof(v));
    return UTIL_BSWAP32(v);
}

static inline uint64_t util_le64(const void *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof(v));
    return UTIL_BSWAP64(v);
}

/* An n-byte little-endian unsigned value, n <= 8 (a pointer or field whose
 * width is only known at run time). */
static inline uint64_t util_le(const void *p, unsigned n)
{
    const uint8_t *b = p;
    uint64_t v = 0;
    switch (n) {
    case 2: return util_le16(p);
    case 4: return util_le32(p);
    case 8: return util_le64(p);
    default:
        for (unsigned i = n < 8 ? n : 8; i-- > 0;)
            v = (v << 8) | b[i];
        return v;
    }
}

static inline void util_put_le32(void *p, uint32_t v)
{
    v = UTIL_BSWAP32(v);
    memcpy(p, &v, sizeof(v));
}

static inline void util_put_le64(void *p, uint64_t v)
{
    v = UTIL_BSWAP64(v);
    memcpy(p, &v, sizeof(v));
}

/* n bytes of v, little-endian, n = 1, 2, 4 or 8. */
static inline void util_put_le(void *p, uint64_t v, unsigned n)
{
    uint8_t *b = p;
    for (unsigned i = 0; i < n; i++)
        b[i] = (uint8_t)(v >> (8 * i));
}

#endif

/*
 * kallsyms.c - the kernel's own symbol table, decoded from a copy of guest
 * memory, for zero-configuration introspection.
 *
 * The format is the one scripts/kallsyms.c writes into every kernel built
 * with CONFIG_KALLSYMS (read here from its description and kernel/kallsyms.c,
 * which decodes it).  In .rodata, each label aligned to the pointer size:
 *
 *   kallsyms_offsets[N]   s32 each   (or kallsyms_addresses[N], pointers)
 *   kallsyms_relative_base  pointer  (base-relative kernels only)
 *   kallsyms_num_syms       u32      N
 *   kallsyms_names          N entries: a length (one byte, or two as
 *                           ULEB128 when >= 0x80, since 6.1) then that many
 *                           token numbers; the expansion's first character
 *                           is the nm type letter, the rest the name
 *   kallsyms_markers        u32 (older kernels: pointer) per 256 names: the
 *                           byte offset of name 256*i in kallsyms_names
 *   kallsyms_seqs_of_names  6.2+: the symbols' numbers in name order (u32
 *                           each at first, 3 bytes each since 6.2-rc)
 *   kallsyms_token_table    256 NUL-terminated strings
 *   kallsyms_token_index    256 u16: offset of each string in the table
 *
 * That is the order up to 6.3.  Since 6.4 the tables start at
 * kallsyms_num_syms and the addresses come last: num_syms, names, markers,
 * token_table, token_index, offsets (or addresses), relative_base,
 * seqs_of_names.  Newer kernels (seen on Debian's 7.2 and 7.3) drop
 * kallsyms_relative_base, make the offsets place-relative and align each
 * table to its own element size instead of the pointer size (the names
 * follow the count at once, the token index is only 2-aligned).  All of
 * these are read.
 *
 * Symbols are sorted by address.  Address i is kallsyms_addresses[i], or for
 * base-relative tables relative_base + (u32)offsets[i]; x86-64 SMP kernels
 * with CONFIG_KALLSYMS_ABSOLUTE_PERCPU (up to 6.14) store per-CPU symbols as
 * non-negative absolute values and every other symbol as relative_base - 1 -
 * offset.  Place-relative offsets give the distance from offsets[i]'s own
 * address: address i = &offsets[i] + offsets[i], so the caller must say
 * where the array is in virtual memory (locate.c finds it through the page
 * table).
 *
 * A token is the expansion of a byte value, and nothing promises that every
 * byte value has one: the compressor gives each byte that occurs in some name
 * its own one-character token and hands the others out to the commonest
 * pairs while pairs are left, so a token may be empty.  Only the digit
 * tokens are certain (below).
 *
 * How the tables are found (the search is documented here because it is the
 * contract with locate.c): every digit occurs in some symbol name, so each
 * digit keeps a one-character token of its own, at its own byte value; the
 * token table therefore holds "0\0" "1\0" ... "9\0" in a row.  From such a
 * hit we walk back 0x30 strings, forward to the end of the 256th, and
 * require kallsyms_token_index to follow and to agree string by string (it
 * also says where the table starts, which the walk back alone cannot: the
 * bytes before the table need not be zero and tokens may be empty).  Then
 * kallsyms_num_syms is searched backwards from the token table: a candidate
 * count N must leave room for plausible markers before the token table (a
 * look of constant cost), be followed by N well-formed names (every first
 * token a type letter), then by markers that agree with those names, all
 * ending before the token table.  Finally the address array, before the count (up to 6.3)
 * or after the token index (6.4+), must be sorted, as the kernel sorts it;
 * after the token index, kallsyms_seqs_of_names must also start with symbol
 * numbers below N.  Anything that fails a check is not a kallsyms table, so
 * hostile or stale copies are rejected, not decoded.
 *
 * Pure: works on a buffer; knows nothing of vmi instances.
 *
 * It must not read outside the buffer it is given, whatever the tables say.
 */
#include "os/linux/linux.h"
#include "util/bytes.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

const unsigned char lx_kallsyms_digits[20] = {
    '0', 0, '1', 0, '2', 0, '3', 0, '4', 0, '5', 0, '6', 0, '7', 0, '8', 0, '9', 0,
};

/* Most symbols a kernel can have here; real ones have < 1M. */
#define KS_MAX_SYMS (4u << 20)
/* How far before the token table kallsyms_num_syms may be. */
#define KS_MAX_NAMES_BYTES (64u << 20)
/* A token expands to at most this many characters: a token is part of some
 * name, and names are shorter than KSYM_NAME_LEN (512 since 6.1). */
#define KS_MAX_TOKEN 512
/* Candidates for kallsyms_num_syms that pass the cheap look at their first
 * names and earn a full walk of all names.  A real kernel has one or two;
 * memory crafted to pass the cheap look everywhere would otherwise make the
 * search quadratic in the 64 MiB before the token table. */
#define KS_MAX_FULL_WALKS 64
/* Entries of kallsyms_seqs_of_names looked at to confirm the 6.4+ order. */
#define KS_SEQS_CHECKED 64

static size_t align_up(size_t x, size_t a)
{
    return (x + a - 1) / a * a;
}

static bool is_type_char(char c)
{
    /* nm's letters as kallsyms keeps them. */
    return strchr("TtDdRrBbAaWwVvGgSsNnUuI?", c) != NULL && c != '\0';
}

typedef struct tokens {
    const uint8_t *tok[256];
    uint16_t len[256];
} tokens_t;

/* The token table was checked by find_tokens: every token ends inside it. */
static void load_tokens(const uint8_t *buf, const lx_kallsyms_t *k, tokens_t *t)
{
    for (unsigned i = 0; i < 256; i++) {
        size_t off = k->token_table + (size_t)util_le16(buf + k->token_index + 2 * i);
        t->tok[i] = buf + off;
        t->len[i] = (uint16_t)strnlen((const char *)buf + off, KS_MAX_TOKEN);
    }
}

/* Read one name entry at *pos: its token bytes [*data, *data + *n). */
static bool entry_at(const uint8_t *buf, size_t end, size_t *pos, size_t *data, size_t *n)
{
    size_t p = *pos;
    if (p >= end)
        return false;
    size_t len = buf[p++];
    if (len & 0x80) {
        if (p >= end)
            return false;
        len = (len & 0x7f) | ((size_t)buf[p++] << 7);
    }
    if (len == 0 || len > end - p)
        return false;
    *data = p;
    *n = len;
    *pos = p + len;
    return true;
}

/* Walk count names from start; every entry must start with a type letter.
 * Fills marks[j] with the offset of entry 256*j (marks has room for
 * (count+255)/256) and *endp with the first byte after the last entry. */
static bool walk_names(const uint8_t *buf, size_t end, size_t start, uint32_t count,
                       const tokens_t *t, uint32_t *marks, size_t *endp)
{
    size_t pos = start, data, n;
    for (uint32_t i = 0; i < count; i++) {
        if ((i & 0xff) == 0 && marks)
            marks[i >> 8] = (uint32_t)(pos - start);
        if (!entry_at(buf, end, &pos, &data, &n))
            return false;
        uint8_t first = buf[data];
        if (t->len[first] == 0 || !is_type_char((char)t->tok[first][0]))
            return false;
    }
    *endp = pos;
    return true;
}

/* One past the NUL of the printable token at p (an empty token is just its
 * NUL), or 0 when the token is too long, cut off or holds other bytes. */
static size_t token_end(const uint8_t *buf, size_t len, size_t p)
{
    size_t n = 0;
    while (p < len && buf[p] != 0) {
        if (buf[p] < 0x20 || buf[p] > 0x7e || ++n >= KS_MAX_TOKEN)
            return 0;
        p++;
    }
    return p < len ? p + 1 : 0;
}

/* Is there a token index at index for strings that end at end, token 1
 * starting at tok1?  Sets *table (the table's start) when there is. */
static bool index_ok(const uint8_t *buf, size_t len, size_t end, size_t tok1, size_t index,
                     size_t *table, util_err_t *err)
{
    if (index > len || len - index < 512) {
        util_err_set(err, "kallsyms: token index past the end of the copy");
        return false;
    }
    /* Token 0 starts the table, token 1 follows its NUL: 1 byte in for an
     * empty token 0, at most KS_MAX_TOKEN. */
    size_t off1 = util_le16(buf + index + 2);
    if (util_le16(buf + index) != 0 || off1 < 1 || off1 > tok1 || off1 > KS_MAX_TOKEN) {
        util_err_set(err, "kallsyms: no token index after the token table at +0x%zx", index);
        return false;
    }
    size_t t = tok1 - off1, p = t;
    for (unsigned i = 0; i < 256; i++) {
        if (util_le16(buf + index + 2 * i) != p - t) {
            util_err_set(err, "kallsyms: token index entry %u is 0x%x, the table says 0x%zx", i,
                         (unsigned)util_le16(buf + index + 2 * i), p - t);
            return false;
        }
        p = token_end(buf, len, p);
        if (!p) {
            util_err_set(err, "kallsyms: token %u is malformed", i);
            return false;
        }
    }
    if (p != end) {
        util_err_set(err, "kallsyms: the token index describes a table of 0x%zx bytes, the "
                          "strings span 0x%zx", p - t, end - t);
        return false;
    }
    *table = t;
    return true;
}

/* Step 1: the token table around a digit hit, and the index after it.  The
 * table's first byte cannot be found by looking for the NUL before it (the
 * bytes before the table need not be zero, and tokens may be empty), so the
 * start comes from the index: walk back to token 1, forward to the end of
 * token 255, and the index that follows says how far token 1 is from the
 * start.  Then every index entry must match the strings. */
static status_t find_tokens(const uint8_t *buf, size_t len, size_t hit, unsigned width,
                            lx_kallsyms_t *k, util_err_t *err)
{
    size_t p = hit;
    for (unsigned i = '0'; i > 1; i--) {
        /* p is the start of token i; token i - 1 ends at the NUL at p - 1. */
        if (p < 2 || buf[p - 1] != 0) {
            util_err_set(err, "kallsyms: no NUL ends token %u before the digits", i - 1);
            return VMI_FAILURE;
        }
        size_t q = p - 1, n = 0;
        while (q > 0 && buf[q - 1] != 0) {
            if (++n >= KS_MAX_TOKEN) {
                util_err_set(err, "kallsyms: token %u before the digits is longer than %u",
                             i - 1, KS_MAX_TOKEN);
                return VMI_FAILURE;
            }
            q--;
        }
        p = q;
    }
    size_t tok1 = p;
    p = hit;
    for (unsigned i = '0'; i < 256; i++) {
        p = token_end(buf, len, p);
        if (!p) {
            util_err_set(err, "kallsyms: token %u is too long, cut off or not printable", i);
            return VMI_FAILURE;
        }
    }
    /* The index follows the strings, aligned to the pointer size (up to
     * 6.12 at least) or to its own 2 bytes (seen on 7.3): try each. */
    size_t end = p, index = 0, table = 0;
    const size_t aligns[3] = { 2, 4, width };
    util_err_t why;
    util_err_clear(&why);
    for (size_t a = 0; a < 3 && !index; a++) {
        size_t at = align_up(end, aligns[a]);
        if (a > 0 && at == align_up(end, aligns[a - 1]))
            continue;
        if (index_ok(buf, len, end, tok1, at, &table, &why))
            index = at;
    }
    if (!index) {
        *err = why;
        return VMI_FAILURE;
    }
    k->token_table = table;
    k->token_index = index;
    return VMI_SUCCESS;
}

status_t lx_kallsyms_tokens(const uint8_t *buf, size_t len, size_t hit, unsigned width,
                            lx_kallsyms_t *k, util_err_t *err)
{
    if (width != 4 && width != 8) {
        util_err_set(err, "kallsyms: pointer width %u", width);
        return VMI_FAILURE;
    }
    if (hit > len || len - hit < LX_KALLSYMS_DIGITS_LEN ||
        memcmp(buf + hit, lx_kallsyms_digits, LX_KALLSYMS_DIGITS_LEN) != 0) {
        util_err_set(err, "kallsyms: no digit tokens at +0x%zx", hit);
        return VMI_FAILURE;
    }
    return find_tokens(buf, len, hit, width, k, err);
}

/* Could the markers of n names lie between the names at names and the
 * token table at table?  They are u32 (old kernels: pointer) offsets into
 * the names, the first 0 and each next one at least two bytes a name (a
 * length and a token) and at most a longest entry a name further on; they
 * end at the token table (up to 6.1, and 6.4+) or 3 or 4 bytes a name
 * before it, where 6.2 and 6.3 put kallsyms_seqs_of_names; each table may
 * be padded to 8 bytes.  A constant number of reads, so the full walk of
 * the names is done only for counts that fit. */
static bool markers_plausible(const uint8_t *buf, size_t names, size_t table, uint32_t n)
{
    size_t nm = ((size_t)n + 255) / 256;
    const size_t gaps[3] = { 0, 3 * (size_t)n, 4 * (size_t)n };
    for (size_t g = 0; g < 3; g++) {
        for (unsigned mw = 4; mw <= 8; mw += 4) {
            if (table < names + gaps[g] + nm * mw)
                continue;
            size_t top = (table - gaps[g] - nm * mw) & ~(size_t)3;
            for (size_t pad = 0; pad <= 16 && top >= names + pad; pad += 4) {
                size_t m = top - pad;
                if (util_le(buf + m, mw) != 0)
                    continue;
                uint64_t prev = 0;
                bool ok = true;
                for (size_t j = 1; j < nm && j < 8 && ok; j++) {
                    uint64_t v = util_le(buf + m + j * mw, mw);
                    ok = v >= prev + 2 * 256 && v - prev <= 256u * (2 + 0x3fff);
                    prev = v;
                }
                if (ok)
                    return true;
            }
        }
    }
    return false;
}

/* Markers of width mw at m agree with marks[0..n)? */
static bool markers_match(const uint8_t *buf, size_t m, unsigned mw, const uint32_t *marks,
                          size_t n)
{
    for (size_t j = 0; j < n; j++)
        if (util_le(buf + m + j * mw, mw) != marks[j])
            return false;
    return true;
}

/* Address i of a base-relative table (kernel/kallsyms.c's rule). */
static uint64_t rel_addr(int32_t o, uint64_t rb, bool abs_percpu, unsigned w)
{
    uint64_t a;
    if (!abs_percpu)
        a = rb + (uint32_t)o;
    else if (o >= 0)
        a = (uint64_t)o;
    else
        a = rb - 1 - (uint64_t)(int64_t)o;
    return w == 4 ? a & 0xffffffffULL : a;
}

/* Base-relative offsets at offs with relative_base at rb_at: sorted?  Sets
 * the table's fields when they are.  With absolute per-CPU values some
 * offsets are negative; a table without per-CPU symbols has none. */
static bool relative_ok(const uint8_t *buf, size_t offs, size_t rb_at, lx_kallsyms_t *k)
{
    unsigned w = k->width;
    size_t n = k->count;
    uint64_t rb = util_le(buf + rb_at, w);
    /* Kernel text: in the 4-level upper half even under 5-level paging. */
    if (!lx_kernel_half(rb, w, false))
        return false;
    bool neg = false;
    for (size_t i = 0; i < n && !neg; i++)
        neg = (int32_t)util_le32(buf + offs + 4 * i) < 0;
    bool abs_percpu = w == 8 && neg;
    uint64_t prev = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t a = rel_addr((int32_t)util_le32(buf + offs + 4 * i), rb, abs_percpu, w);
        if (a < prev)
            return false;
        prev = a;
    }
    k->base_relative = true;
    k->absolute_percpu = abs_percpu;
    k->relative_base = rb;
    k->addrs = offs;
    return true;
}

/* Absolute addresses at at: sorted, the last (highest) a kernel one? */
static bool absolute_ok(const uint8_t *buf, size_t at, lx_kallsyms_t *k)
{
    unsigned w = k->width;
    uint64_t prev = 0;
    for (size_t i = 0; i < k->count; i++) {
        uint64_t a = util_le(buf + at + (size_t)w * i, w);
        if (a < prev)
            return false;
        prev = a;
    }
    if (!lx_kernel_half(prev, w, false))
        return false;
    k->base_relative = false;
    k->absolute_percpu = false;
    k->addrs = at;
    return true;
}

/* Step 3, up to 6.3: the address array right before kallsyms_num_syms. */
static bool addresses_before(const uint8_t *buf, lx_kallsyms_t *k)
{
    size_t x = k->num_syms, w = k->width, n = k->count;
    /* Base-relative: offsets, relative_base, num_syms. */
    if (x >= w + align_up(4 * n, w)) {
        size_t rb_at = x - w;
        if (relative_ok(buf, rb_at - align_up(4 * n, w), rb_at, k))
            return true;
    }
    /* Absolute: kallsyms_addresses[N] right before num_syms. */
    return x >= align_up(w * n, w) && absolute_ok(buf, x - align_up(w * n, w), k);
}

/* kallsyms_seqs_of_names (3 bytes each) at at starts with symbol numbers
 * below N, none twice. */
static bool seqs_ok(const uint8_t *buf, size_t at, uint32_t n)
{
    uint32_t seen[KS_SEQS_CHECKED];
    size_t m = n < KS_SEQS_CHECKED ? n : KS_SEQS_CHECKED;
    for (size_t i = 0; i < m; i++) {
        const uint8_t *b = buf + at + 3 * i;
        seen[i] = (uint32_t)b[0] << 16 | (uint32_t)b[1] << 8 | b[2];
        if (seen[i] >= n)
            return false;
        for (size_t j = 0; j < i; j++)
            if (seen[j] == seen[i])
                return false;
    }
    return true;
}

/* Place-relative offsets at offs (seen on 7.3): entry i holds the distance
 * from its own address to the symbol's, so 4 * i + offset[i] is the
 * symbol's distance from the array's start; sorted like the symbols. */
static bool place_ok(const uint8_t *buf, size_t offs, lx_kallsyms_t *k)
{
    int64_t prev = INT64_MIN;
    for (size_t i = 0; i < k->count; i++) {
        int64_t v = (int64_t)(4 * i) + (int32_t)util_le32(buf + offs + 4 * i);
        if (v < prev)
            return false;
        prev = v;
    }
    k->base_relative = false;
    k->absolute_percpu = false;
    k->place_relative = true;
    k->addrs = offs;
    return true;
}

/* Step 3, 6.4+: after the token index come the offsets (or addresses),
 * then kallsyms_relative_base (6.4 .. 6.12 at least; gone where the
 * offsets are place-relative), then kallsyms_seqs_of_names.  Returns 1
 * found, 0 not there, -1 when the copy ends too early to tell (k->need then
 * says how long it must be). */
static int addresses_after(const uint8_t *buf, size_t len, lx_kallsyms_t *k)
{
    size_t w = k->width, n = k->count, m = n < KS_SEQS_CHECKED ? n : KS_SEQS_CHECKED;
    size_t need = 0;
    for (size_t j = 0; j < 2; j++) {
        size_t offs = align_up(k->token_index + 512, j ? w : 4);
        if (j && offs == align_up(k->token_index + 512, 4))
            continue;
        /* Each variant is looked at only when the copy holds all of it;
         * the longest that does not fit says how long the copy must be. */
        size_t rb_at = align_up(offs + 4 * n, w), seqs = rb_at + w;
        if (seqs + 3 * m > len)
            need = seqs + 3 * m > need ? seqs + 3 * m : need;
        else if (relative_ok(buf, offs, rb_at, k) && seqs_ok(buf, seqs, k->count)) {
            k->seqs = seqs;
            return 1;
        }
        size_t place_seqs = offs + 4 * n;
        if (place_seqs + 3 * m > len)
            need = place_seqs + 3 * m > need ? place_seqs + 3 * m : need;
        else if (place_ok(buf, offs, k) && seqs_ok(buf, place_seqs, k->count)) {
            k->seqs = place_seqs;
            return 1;
        }
        k->place_relative = false;
        size_t at = align_up(offs, w), abs_seqs = at + w * n;
        if (abs_seqs + 3 * m > len)
            need = abs_seqs + 3 * m > need ? abs_seqs + 3 * m : need;
        else if (absolute_ok(buf, at, k) && seqs_ok(buf, abs_seqs, k->count)) {
            k->seqs = abs_seqs;
            return 1;
        }
    }
    if (need > len) {
        k->need = need;
        return -1;
    }
    return 0;
}

status_t lx_kallsyms_locate(const uint8_t *buf, size_t len, size_t hit, unsigned width,
                            lx_kallsyms_t *k, util_err_t *err)
{
    lx_kallsyms_t r;
    tokens_t tk;
    memset(&r, 0, sizeof(r));
    memset(k, 0, sizeof(*k));
    r.width = width;
    if (lx_kallsyms_tokens(buf, len, hit, width, &r, err) != VMI_SUCCESS)
        return VMI_FAILURE;
    k->stage = r.stage = 1;
    load_tokens(buf, &r, &tk);

    /* Step 2: kallsyms_num_syms, searched backwards from the token table. */
    uint32_t *marks = NULL;
    size_t lowest = r.token_table > KS_MAX_NAMES_BYTES ? r.token_table - KS_MAX_NAMES_BYTES : 0;
    size_t tried = 0;
    for (size_t x = r.token_table & ~(size_t)3; x >= lowest + 4;) {
        x -= 4;
        uint32_t n = util_le32(buf + x);
        if (n < 16 || n > KS_MAX_SYMS)
            continue;
        /* The names follow the count at once (natural alignment, seen on
         * 7.3) or, with every label aligned to the pointer size, after four
         * zero bytes on 64-bit.  A name's length byte is never 0. */
        size_t names = x + 4, end;
        if (buf[names] == 0) {
            if (width != 8 || (x & 7) || util_le32(buf + x + 4) != 0)
                continue;
            names = x + 8;
        }
        size_t nmarks = (n + 255u) / 256u;
        /* Cheap looks before anything is allocated: the first names, and
         * room for the markers of n names with a plausible start where
         * they would be.  Inside the names themselves many places pass the
         * first look; hardly any passes the second. */
        if (!walk_names(buf, r.token_table, names, n < 32 ? n : 32, &tk, NULL, &end) ||
            !markers_plausible(buf, names, r.token_table, n))
            continue;
        if (++tried > KS_MAX_FULL_WALKS) {
            free(marks);
            util_err_set(err, "kallsyms: more than %u places before the token table at +0x%zx "
                              "look like kallsyms_num_syms; refusing memory that looks crafted",
                         KS_MAX_FULL_WALKS, r.token_table);
            return VMI_FAILURE;
        }
        uint32_t *m2 = realloc(marks, nmarks * sizeof(uint32_t));
        if (!m2) {
            free(marks);
            util_err_set(err, "kallsyms: out of memory");
            return VMI_FAILURE;
        }
        marks = m2;
        if (!walk_names(buf, r.token_table, names, n, &tk, marks, &end))
            continue;
        /* The markers: u32 at the next 4- or pointer-aligned place, or
         * (old kernels) pointers. */
        size_t m = 0;
        unsigned mw = 0;
        const size_t mat[3] = { align_up(end, 4), align_up(end, width), align_up(end, width) };
        const unsigned mws[3] = { 4, 4, 8 };
        for (size_t j = 0; j < 3 && !mw; j++) {
            if (mat[j] + nmarks * mws[j] <= r.token_table &&
                markers_match(buf, mat[j], mws[j], marks, nmarks)) {
                m = mat[j];
                mw = mws[j];
            }
        }
        if (!mw)
            continue;
        free(marks);
        r.num_syms = x;
        r.count = n;
        r.names = names;
        r.markers = m;
        r.marker_width = mw;
        k->stage = r.stage = 2;
        if (addresses_before(buf, &r)) {
            r.stage = 3;
            *k = r;
            return VMI_SUCCESS;
        }
        int after = addresses_after(buf, len, &r);
        if (after > 0) {
            r.addrs_after = true;
            r.stage = 3;
            *k = r;
            return VMI_SUCCESS;
        }
        if (after < 0) {
            k->need = r.need;
            util_err_set(err, "kallsyms: %u names at +0x%zx and no address table before them; "
                              "the one after the token index (the 6.4+ order) would end past "
                              "the copy (+0x%zx of +0x%zx)", n, names, r.need, len);
            return VMI_FAILURE;
        }
        util_err_set(err, "kallsyms: %u names at +0x%zx, but no sorted address table before "
                          "them (the order up to 6.3) or after the token index (6.4+)",
                     n, names);
        return VMI_FAILURE;
    }
    free(marks);
    util_err_set(err, "kallsyms: token table at +0x%zx, but no kallsyms_num_syms with "
                      "matching names and markers before it (%zu candidates checked)",
                 r.token_table, tried);
    return VMI_FAILURE;
}

/* Address of symbol i (i < k->count; the caller checked the array lies in
 * the buffer). */
static uint64_t symbol_addr(const uint8_t *buf, const lx_kallsyms_t *k, uint32_t i)
{
    if (k->place_relative) {
        uint64_t a = k->addrs_va + 4 * (uint64_t)i +
                     (uint64_t)(int64_t)(int32_t)util_le32(buf + k->addrs + 4 * (size_t)i);
        return k->width == 4 ? a & 0xffffffffULL : a;
    }
    if (!k->base_relative)
        return util_le(buf + k->addrs + (size_t)k->width * i, k->width);
    return rel_addr((int32_t)util_le32(buf + k->addrs + 4 * (size_t)i), k->relative_base,
                    k->absolute_percpu, k->width);
}

/* Expand the n token bytes at buf + data into name (type letter first);
 * its length, or KS_TOO_LONG when it would reach LX_SYM_NAME_MAX. */
#define KS_TOO_LONG ((size_t)-1)
static size_t expand(const uint8_t *buf, const tokens_t *tk, size_t data, size_t n,
                     char name[LX_SYM_NAME_MAX + KS_MAX_TOKEN])
{
    size_t nl = 0;
    for (size_t j = 0; j < n; j++) {
        uint8_t b = buf[data + j];
        if (nl + tk->len[b] >= LX_SYM_NAME_MAX)
            return KS_TOO_LONG;
        memcpy(name + nl, tk->tok[b], tk->len[b]);
        nl += tk->len[b];
    }
    return nl;
}

/* Whether the tables lie in the buffer (locate checked them; a caller may
 * hand in another k). */
static bool tables_inside(size_t len, const lx_kallsyms_t *k)
{
    size_t asize = k->base_relative || k->place_relative ? 4 : k->width;
    return k->token_index <= len && len - k->token_index >= 512 && k->names < len &&
           k->addrs <= len && (len - k->addrs) / asize >= k->count;
}

status_t lx_kallsyms_decode(const uint8_t *buf, size_t len, const lx_kallsyms_t *k,
                            lx_symtab_t *t, util_err_t *err)
{
    tokens_t tk;
    char name[LX_SYM_NAME_MAX + KS_MAX_TOKEN];
    size_t pos = k->names, data, n;

    if (!tables_inside(len, k)) {
        util_err_set(err, "kallsyms: tables outside the copy");
        return VMI_FAILURE;
    }
    load_tokens(buf, k, &tk);
    /* A first pass sums the names' lengths, so the index is allocated once
     * (growth by doubling left 0.6-4.7 MB of freed copies in the heap after
     * one init of a 6.x/7.x kernel).  Each decoded entry starts with its
     * type letter, which is not part of the name.  A malformed entry ends
     * the pass; the pass below says why. */
    size_t bytes = 0, walked = 0;
    for (; walked < k->count && entry_at(buf, k->token_table, &pos, &data, &n); walked++)
        for (size_t j = 0; j < n; j++)
            bytes += tk.len[buf[data + j]];
    (void)lx_symtab_reserve(t, k->count, bytes > walked ? bytes - walked : 0);
    pos = k->names;
    for (uint32_t i = 0; i < k->count; i++) {
        if (!entry_at(buf, k->token_table, &pos, &data, &n)) {
            util_err_set(err, "kallsyms: name %u is malformed", i);
            return VMI_FAILURE;
        }
        size_t nl = expand(buf, &tk, data, n, name);
        if (nl == KS_TOO_LONG) {
            util_err_set(err, "kallsyms: name %u is longer than %u", i, LX_SYM_NAME_MAX);
            return VMI_FAILURE;
        }
        if (nl < 2) {
            util_err_set(err, "kallsyms: name %u is empty", i);
            return VMI_FAILURE;
        }
        if (!lx_symtab_add(t, name + 1, nl - 1, symbol_addr(buf, k, i), name[0])) {
            util_err_set(err, "kallsyms: out of memory at symbol %u", i);
            return VMI_FAILURE;
        }
    }
    return VMI_SUCCESS;
}

/* ---- In place: the tables read where they lie, nothing decoded ahead ----
 *
 * Decoding every name costs a start-up 200k names and 6 MB on 7.x; start-up
 * asks for tens.  Since 6.2 kallsyms_seqs_of_names lists the symbols in
 * name order (scripts/kallsyms.c sorts by the name after the type letter
 * with strcmp, equal names by address, then by number), so a name is found
 * by binary search, decoding about log2(N) names; name i is reached from
 * its marker (every 256th name's offset, checked against the names by
 * lx_kallsyms_locate) in at most 255 steps; addresses are read from their
 * array.
 *
 * Older kernels (and tables whose seqs fail the order check) have no name
 * order, so one pass hashes every name, keeping no name: a slot holds the
 * symbol's number and 9 bits of its hash (below), and each name's offset
 * is kept, 10 bytes a symbol at load <= 2/3 instead of the 13 bytes and
 * the name arena of a decoded index (symtab.c), and no sort.  A probe
 * whose bits match decodes the candidate from its offset to compare.
 * 6.1 (94k symbols): first init 49 -> 36 ms, memory after it 5.2 -> 2.3
 * MB (bench_init, one process each).
 *
 * The buffer must stay unchanged while the view is used (an image mapped
 * in place: never a live guest, whose memory moves under a parse).
 */
struct lx_ksview {
    const uint8_t *buf;
    size_t len;
    lx_kallsyms_t k;
    tokens_t tk;
    /* Name hash when there is no name order (k.seqs == 0), else NULL; and
     * then each name's offset in kallsyms_names, so that a name is decoded
     * without a walk from its marker. */
    uint32_t *slots;
    size_t nslots;
    uint32_t *offs;
};

/* A slot: the symbol's number + 1 in the low KS_SLOT_BITS, 9 bits of the
 * name's hash above (ks_tag); 0 = empty.  KS_MAX_SYMS symbols fit. */
#define KS_SLOT_BITS 23
#define KS_SLOT_NUM ((UINT32_C(1) << KS_SLOT_BITS) - 1)
_Static_assert(KS_MAX_SYMS < KS_SLOT_NUM, "a symbol number + 1 fits in a slot");

/* Adjacent pairs of kallsyms_seqs_of_names checked for name order before
 * the view is trusted with lookups: a table that is not in that order
 * (another sort rule, or hostile memory) is hashed instead. */
#define KS_ORDER_SAMPLES 64

static uint32_t seq_at(const lx_ksview_t *v, uint32_t j)
{
    const uint8_t *b = v->buf + v->k.seqs + 3 * (size_t)j;
    return (uint32_t)b[0] << 16 | (uint32_t)b[1] << 8 | b[2];
}

/* Where name i's entry is: its offset when hash_names kept it, else from
 * its marker, 255 entries at most. */
static bool entry_of(const lx_ksview_t *v, uint32_t i, size_t *data, size_t *n)
{
    size_t pos;
    if (v->offs) {
        pos = v->k.names + v->offs[i];
        return entry_at(v->buf, v->k.token_table, &pos, data, n);
    }
    size_t mat = v->k.markers + (size_t)(i >> 8) * v->k.marker_width;
    if (mat + v->k.marker_width > v->len)
        return false;
    uint64_t off = util_le(v->buf + mat, v->k.marker_width);
    if (off >= v->k.token_table - v->k.names)
        return false;
    pos = v->k.names + (size_t)off;
    for (uint32_t s = 0; s <= (i & 0xff); s++)
        if (!entry_at(v->buf, v->k.token_table, &pos, data, n))
            return false;
    return true;
}

size_t lx_ksview_name(const lx_ksview_t *v, uint32_t i, char *out, size_t cap)
{
    char name[LX_SYM_NAME_MAX + KS_MAX_TOKEN];
    size_t data = 0, n = 0;
    if (i >= v->k.count || cap == 0 || !entry_of(v, i, &data, &n))
        return 0;
    size_t nl = expand(v->buf, &v->tk, data, n, name);
    if (nl == KS_TOO_LONG || nl < 2 || nl >= cap)
        return 0;
    memcpy(out, name, nl);
    out[nl] = '\0';
    return nl;
}

uint64_t lx_ksview_addr(const lx_ksview_t *v, uint32_t i)
{
    return i < v->k.count ? symbol_addr(v->buf, &v->k, i) : 0;
}

uint32_t lx_ksview_count(const lx_ksview_t *v)
{
    return v->k.count;
}

/* strcmp of name j in name order (without its type letter) with want;
 * *i is its symbol number.  A name that does not decode sorts first. */
static int cmp_nth(const lx_ksview_t *v, uint32_t j, const char *want, uint32_t *i)
{
    char name[LX_SYM_NAME_MAX + 1];
    *i = seq_at(v, j);
    if (lx_ksview_name(v, *i, name, sizeof(name)) == 0)
        return -1;
    return strcmp(name + 1, want);
}

static bool find_ordered(const lx_ksview_t *v, const char *name, uint32_t *i)
{
    uint32_t lo = 0, hi = v->k.count, at;
    while (lo < hi) { /* the first in name order not below name */
        uint32_t mid = lo + (hi - lo) / 2;
        if (cmp_nth(v, mid, name, &at) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < v->k.count && cmp_nth(v, lo, name, i) == 0;
}

static bool names_in_order(const lx_ksview_t *v)
{
    char a[LX_SYM_NAME_MAX + 1], b[LX_SYM_NAME_MAX + 1];
    for (uint32_t s = 0; s < KS_ORDER_SAMPLES; s++) {
        uint32_t j = (uint32_t)((uint64_t)(v->k.count - 1) * s / KS_ORDER_SAMPLES);
        if (lx_ksview_name(v, seq_at(v, j), a, sizeof(a)) == 0 ||
            lx_ksview_name(v, seq_at(v, j + 1), b, sizeof(b)) == 0 ||
            strcmp(a + 1, b + 1) > 0)
            return false;
    }
    return true;
}

/* Where a name's probe starts: the high half of its hash (lx_sym_hash)
 * scaled to nslots, as in symtab.c. */
static size_t ks_slot_of(const lx_ksview_t *v, uint64_t h)
{
    return (size_t)(((h >> 32) * (uint64_t)v->nslots) >> 32);
}

/* The bits of a hash a slot keeps: from its low half, as the probe's
 * start comes from the high half (bits that also picked the slot would
 * tell neighbours apart poorly). */
static uint32_t ks_tag(uint64_t h)
{
    return (uint32_t)h & ~KS_SLOT_NUM;
}

/* The slot of name[0..len) (hash h): the one holding the first symbol of
 * that name, else the empty slot that ends its probe. */
static size_t probe(const lx_ksview_t *v, uint64_t h, const char *name, size_t len)
{
    char cand[LX_SYM_NAME_MAX + 1];
    size_t j = ks_slot_of(v, h);
    for (; v->slots[j]; j = j + 1 == v->nslots ? 0 : j + 1)
        if ((v->slots[j] & ~KS_SLOT_NUM) == ks_tag(h) &&
            lx_ksview_name(v, (v->slots[j] & KS_SLOT_NUM) - 1, cand, sizeof(cand)) == len + 1 &&
            memcmp(cand + 1, name, len) == 0)
            break;
    return j;
}

/* One pass over the names into the hash, the first of equal names kept
 * (kallsyms lists by address: the lowest address, as a decoded index and
 * the name order give).  Names repeat (6.1: __func__.0 405 times, 6.8k
 * names more than once), so a repeat is found and dropped: left in, each
 * of d copies would probe past the ones before it.  False on a name that
 * does not decode (the full decode then says why) or out of memory. */
static bool hash_names(lx_ksview_t *v)
{
    char name[LX_SYM_NAME_MAX + KS_MAX_TOKEN];
    size_t pos = v->k.names, data, n;
    v->nslots = (size_t)v->k.count + v->k.count / 2 + 1;
    v->slots = calloc(v->nslots, sizeof(*v->slots));
    v->offs = malloc((size_t)v->k.count * sizeof(*v->offs));
    if (!v->slots || !v->offs)
        return false;
    for (uint32_t i = 0; i < v->k.count; i++) {
        v->offs[i] = (uint32_t)(pos - v->k.names);
        if (!entry_at(v->buf, v->k.token_table, &pos, &data, &n))
            return false;
        size_t nl = expand(v->buf, &v->tk, data, n, name);
        if (nl == KS_TOO_LONG || nl < 2)
            return false;
        uint64_t h = lx_sym_hash(name + 1, nl - 1);
        size_t j = probe(v, h, name + 1, nl - 1);
        if (!v->slots[j])
            v->slots[j] = ks_tag(h) | (i + 1);
    }
    return true;
}

static bool find_hashed(const lx_ksview_t *v, const char *name, uint32_t *i)
{
    size_t len = strnlen(name, LX_SYM_NAME_MAX);
    if (len == 0 || len >= LX_SYM_NAME_MAX)
        return false;
    size_t j = probe(v, lx_sym_hash(name, len), name, len);
    if (v->slots[j])
        *i = (v->slots[j] & KS_SLOT_NUM) - 1;
    return v->slots[j] != 0;
}

bool lx_ksview_find(const lx_ksview_t *v, const char *name, uint32_t *i)
{
    return v->slots ? find_hashed(v, name, i) : find_ordered(v, name, i);
}

size_t lx_kallsyms_end(const lx_kallsyms_t *k)
{
    size_t asize = k->base_relative || k->place_relative ? 4 : k->width;
    size_t end = k->token_index + 512, a = k->addrs + asize * (size_t)k->count;
    if (a > end)
        end = a;
    if (k->seqs && k->seqs + 3 * (size_t)k->count > end)
        end = k->seqs + 3 * (size_t)k->count;
    return end;
}

lx_ksview_t *lx_ksview_new(const uint8_t *buf, size_t len, const lx_kallsyms_t *k)
{
    if (!tables_inside(len, k) || k->count < 2 || k->count > KS_MAX_SYMS ||
        k->markers >= k->token_table || k->token_table > len)
        return NULL;
    lx_ksview_t *v = calloc(1, sizeof(*v));
    if (!v)
        return NULL;
    v->buf = buf;
    v->len = len;
    v->k = *k;
    load_tokens(buf, k, &v->tk);
    if (v->k.seqs && (v->k.seqs > len || (len - v->k.seqs) / 3 < v->k.count ||
                      !names_in_order(v)))
        v->k.seqs = 0;
    if (!v->k.seqs && !hash_names(v)) {
        lx_ksview_free(v);
        return NULL;
    }
    return v;
}

status_t lx_ksview_decode(const lx_ksview_t *v, lx_symtab_t *t, util_err_t *err)
{
    return lx_kallsyms_decode(v->buf, v->len, &v->k, t, err);
}

void lx_ksview_free(lx_ksview_t *v)
{
    if (v) {
        free(v->slots);
        free(v->offs);
    }
    free(v);
}

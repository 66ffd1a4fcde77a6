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
 *   [kallsyms_seqs_of_names, 6.2+]
 *   kallsyms_token_table    256 NUL-terminated strings
 *   kallsyms_token_index    256 u16: offset of each string in the table
 *
 * Symbols are sorted by address.  Address i is kallsyms_addresses[i], or for
 * base-relative tables relative_base + (u32)offsets[i]; x86-64 SMP kernels
 * (CONFIG_KALLSYMS_ABSOLUTE_PERCPU) store per-CPU symbols as non-negative
 * absolute values and every other symbol as relative_base - 1 - offset.
 *
 * How the tables are found (the search is documented here because it is the
 * contract with locate.c): every digit occurs in some symbol name, so each
 * digit keeps a one-character token of its own, at its own byte value; the
 * token table therefore holds "0\0" "1\0" ... "9\0" in a row.  From such a
 * hit we walk back 0x30 strings to the table's start, forward 256 strings to
 * its end, and require kallsyms_token_index to follow and agree string by
 * string.  Then kallsyms_num_syms is searched backwards from the token table:
 * a candidate count N must be followed by N well-formed names (every first
 * token a type letter), then by markers that agree with those names, all
 * ending before the token table.  Finally the address array before the count
 * must be sorted, as the kernel sorts it.  Anything that fails a check is not
 * a kallsyms table, so hostile or stale copies are rejected, not decoded.
 *
 * Pure: works on a buffer; knows nothing of vmi instances.
 *
 * It must not read outside the buffer it is given, whatever the tables say.
 */
#include "os/linux/linux.h"
#include "util/bytes.h"

#include <stdlib.h>
#include <string.h>

const unsigned char lx_kallsyms_digits[20] = {
    '0', 0, '1', 0, '2', 0, '3', 0, '4', 0, '5', 0, '6', 0, '7', 0, '8', 0, '9', 0,
};

/* Most symbols a kernel can have here; real ones have < 1M. */
#define KS_MAX_SYMS (4u << 20)
/* How far before the token table kallsyms_num_syms may be. */
#define KS_MAX_NAMES_BYTES (64u << 20)
/* A token expands to at most this many characters. */
#define KS_MAX_TOKEN 128
/* Candidates for kallsyms_num_syms that pass the cheap look at their first
 * names and earn a full walk of all names.  A real kernel has one or two;
 * memory crafted to pass the cheap look everywhere would otherwise make the
 * search quadratic in the 64 MiB before the token table. */
#define KS_MAX_FULL_WALKS 64

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
    uint8_t len[256];
} tokens_t;

static void load_tokens(const uint8_t *buf, const lx_kallsyms_t *k, tokens_t *t)
{
    for (unsigned i = 0; i < 256; i++) {
        size_t off = k->token_table + (size_t)util_le(buf + k->token_index + 2 * i, 2);
        t->tok[i] = buf + off;
        t->len[i] = (uint8_t)strnlen((const char *)buf + off, KS_MAX_TOKEN);
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

/* The end of the NUL-terminated printable token at p, or 0 when the token
 * is empty, too long, cut off or holds other bytes. */
static size_t token_end(const uint8_t *buf, size_t len, size_t p)
{
    size_t n = 0;
    while (p < len && buf[p] != 0 && n < KS_MAX_TOKEN) {
        if (buf[p] < 0x20 || buf[p] > 0x7e)
            return 0;
        p++;
        n++;
    }
    if (p >= len || n == 0 || n >= KS_MAX_TOKEN)
        return 0;
    return p + 1;
}

/* Step 1: the token table around a digit hit, and the index after it.  The
 * table's first byte cannot be found by looking for the NUL before it (the
 * bytes before the table need not be zero), so the start comes from the
 * index: walk back to token 1, forward to the end of token 255, and the
 * index that follows says how far token 1 is from the start. */
static status_t find_tokens(const uint8_t *buf, size_t len, size_t hit, unsigned width,
                            lx_kallsyms_t *k, util_err_t *err)
{
    size_t p = hit;
    for (unsigned i = '0'; i > 1; i--) {
        /* p is the start of token i; step to the start of token i - 1. */
        if (p < 2 || buf[p - 1] != 0) {
            util_err_set(err, "kallsyms: token %u before the digits is malformed", i - 1);
            return VMI_FAILURE;
        }
        size_t q = p - 1, n = 0;
        while (q > 0 && buf[q - 1] != 0 && n < KS_MAX_TOKEN) {
            q--;
            n++;
        }
        if (n == 0 || n >= KS_MAX_TOKEN) {
            util_err_set(err, "kallsyms: token %u before the digits is empty or too long",
                         i - 1);
            return VMI_FAILURE;
        }
        p = q;
    }
    size_t tok1 = p;
    p = hit;
    for (unsigned i = '0'; i < 256; i++) {
        p = token_end(buf, len, p);
        if (!p) {
            util_err_set(err, "kallsyms: token %u is empty, too long, cut off or not "
                              "printable", i);
            return VMI_FAILURE;
        }
    }
    size_t index = align_up(p, width);
    if (index + 512 > len) {
        util_err_set(err, "kallsyms: token index past the end of the copy");
        return VMI_FAILURE;
    }
    size_t off1 = (size_t)util_le(buf + index + 2, 2);
    if (util_le(buf + index, 2) != 0 || off1 < 2 || off1 > tok1 || off1 > KS_MAX_TOKEN) {
        util_err_set(err, "kallsyms: no token index after the token table at +0x%zx", index);
        return VMI_FAILURE;
    }
    size_t table = tok1 - off1;
    if (table % width != 0) {
        util_err_set(err, "kallsyms: token table start +0x%zx is not %u-aligned", table,
                     width);
        return VMI_FAILURE;
    }
    p = table;
    for (unsigned i = 0; i < 256; i++) {
        if (util_le(buf + index + 2 * i, 2) != p - table) {
            util_err_set(err, "kallsyms: token index entry %u is 0x%llx, the table says "
                              "0x%zx", i,
                         (unsigned long long)util_le(buf + index + 2 * i, 2), p - table);
            return VMI_FAILURE;
        }
        p = token_end(buf, len, p);
        if (!p) {
            util_err_set(err, "kallsyms: token %u is malformed", i);
            return VMI_FAILURE;
        }
    }
    k->token_table = table;
    k->token_index = index;
    return VMI_SUCCESS;
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

/* Step 3: the address array before kallsyms_num_syms, sorted by address. */
static bool try_addresses(const uint8_t *buf, lx_kallsyms_t *k)
{
    size_t x = k->num_syms, w = k->width, n = k->count;

    /* Base-relative: offsets, relative_base, num_syms. */
    if (x >= w + align_up(4 * n, w)) {
        size_t rb_at = x - w;
        size_t offs = rb_at - align_up(4 * n, w);
        uint64_t rb = util_le(buf + rb_at, (unsigned)w);
        bool rb_ok = w == 8 ? rb >= 0xffff800000000000ULL : rb >= 0x40000000ULL;
        if (rb_ok) {
            bool neg = false;
            for (size_t i = 0; i < n && !neg; i++)
                neg = (int32_t)util_le(buf + offs + 4 * i, 4) < 0;
            bool abs_percpu = w == 8 && neg;
            uint64_t prev = 0;
            bool sorted = true;
            for (size_t i = 0; i < n && sorted; i++) {
                int32_t o = (int32_t)util_le(buf + offs + 4 * i, 4);
                uint64_t a;
                if (!abs_percpu)
                    a = rb + (uint32_t)o;
                else if (o >= 0)
                    a = (uint64_t)o;
                else
                    a = rb - 1 - (uint64_t)(int64_t)o;
                if (w == 4)
                    a &= 0xffffffffULL;
                sorted = a >= prev;
                prev = a;
            }
            if (sorted) {
                k->base_relative = true;
                k->absolute_percpu = abs_percpu;
                k->relative_base = rb;
                k->addrs = offs;
                return true;
            }
        }
    }
    /* Absolute: kallsyms_addresses[N] right before num_syms. */
    if (x >= align_up(w * n, w)) {
        size_t at = x - align_up(w * n, w);
        uint64_t prev = 0;
        bool sorted = true;
        for (size_t i = 0; i < n && sorted; i++) {
            uint64_t a = util_le(buf + at + w * i, (unsigned)w);
            sorted = a >= prev;
            prev = a;
        }
        /* The last (highest) address must be a kernel one. */
        if (sorted && (w == 8 ? prev >= 0xffff800000000000ULL : prev >= 0x40000000ULL)) {
            k->base_relative = false;
            k->absolute_percpu = false;
            k->addrs = at;
            return true;
        }
    }
    return false;
}

status_t lx_kallsyms_locate(const uint8_t *buf, size_t len, size_t hit, unsigned width,
                            lx_kallsyms_t *k, util_err_t *err)
{
    lx_kallsyms_t r;
    tokens_t tk;
    memset(&r, 0, sizeof(r));
    if (width != 4 && width != 8) {
        util_err_set(err, "kallsyms: pointer width %u", width);
        return VMI_FAILURE;
    }
    r.width = width;
    if (hit + LX_KALLSYMS_DIGITS_LEN > len ||
        memcmp(buf + hit, lx_kallsyms_digits, LX_KALLSYMS_DIGITS_LEN) != 0) {
        util_err_set(err, "kallsyms: no digit tokens at +0x%zx", hit);
        return VMI_FAILURE;
    }
    if (find_tokens(buf, len, hit, width, &r, err) != VMI_SUCCESS)
        return VMI_FAILURE;
    load_tokens(buf, &r, &tk);

    /* Step 2: kallsyms_num_syms, searched backwards from the token table. */
    uint32_t *marks = NULL;
    size_t lowest = r.token_table > KS_MAX_NAMES_BYTES ? r.token_table - KS_MAX_NAMES_BYTES : 0;
    size_t tried = 0;
    for (size_t x = (r.token_table / width) * width; x >= lowest + width;) {
        x -= width;
        uint32_t n = (uint32_t)util_le(buf + x, 4);
        if (n < 16 || n > KS_MAX_SYMS)
            continue;
        if (width == 8 && util_le(buf + x + 4, 4) != 0)
            continue; /* the alignment padding after a .long is zero */
        size_t names = x + width, end;
        size_t nmarks = (n + 255u) / 256u;
        /* A cheap look at the first names before anything is allocated. */
        if (!walk_names(buf, r.token_table, names, n < 32 ? n : 32, &tk, NULL, &end))
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
        size_t m = align_up(end, width);
        unsigned mw = 0;
        if (m + nmarks * 4 <= r.token_table && markers_match(buf, m, 4, marks, nmarks))
            mw = 4;
        else if (m + nmarks * 8 <= r.token_table && markers_match(buf, m, 8, marks, nmarks))
            mw = 8;
        if (!mw)
            continue;
        r.num_syms = x;
        r.count = n;
        r.names = names;
        r.markers = m;
        r.marker_width = mw;
        if (!try_addresses(buf, &r)) {
            free(marks);
            util_err_set(err, "kallsyms: %u names at +0x%zx, but no sorted address table "
                              "before them", n, names);
            return VMI_FAILURE;
        }
        free(marks);
        *k = r;
        return VMI_SUCCESS;
    }
    free(marks);
    util_err_set(err, "kallsyms: token table at +0x%zx, but no kallsyms_num_syms with "
                      "matching names and markers before it (%zu candidates checked)",
                 r.token_table, tried);
    return VMI_FAILURE;
}

status_t lx_kallsyms_decode(const uint8_t *buf, size_t len, const lx_kallsyms_t *k,
                            lx_symtab_t *t, util_err_t *err)
{
    tokens_t tk;
    char name[LX_SYM_NAME_MAX + KS_MAX_TOKEN];
    size_t pos = k->names, data, n;

    if (k->token_index + 512 > len || k->names >= len) {
        util_err_set(err, "kallsyms: tables outside the copy");
        return VMI_FAILURE;
    }
    load_tokens(buf, k, &tk);
    for (uint32_t i = 0; i < k->count; i++) {
        if (!entry_at(buf, k->token_table, &pos, &data, &n)) {
            util_err_set(err, "kallsyms: name %u is malformed", i);
            return VMI_FAILURE;
        }
        size_t nl = 0;
        for (size_t j = 0; j < n; j++) {
            uint8_t b = buf[data + j];
            if (nl + tk.len[b] >= LX_SYM_NAME_MAX) {
                util_err_set(err, "kallsyms: name %u is longer than %u", i, LX_SYM_NAME_MAX);
                return VMI_FAILURE;
            }
            memcpy(name + nl, tk.tok[b], tk.len[b]);
            nl += tk.len[b];
        }
        if (nl < 2) {
            util_err_set(err, "kallsyms: name %u is empty", i);
            return VMI_FAILURE;
        }
        uint64_t a;
        if (!k->base_relative) {
            a = util_le(buf + k->addrs + (size_t)k->width * i, k->width);
        } else {
            int32_t o = (int32_t)util_le(buf + k->addrs + 4 * (size_t)i, 4);
            if (!k->absolute_percpu)
                a = k->relative_base + (uint32_t)o;
            else if (o >= 0)
                a = (uint64_t)o;
            else
                a = k->relative_base - 1 - (uint64_t)(int64_t)o;
            if (k->width == 4)
                a &= 0xffffffffULL;
        }
        if (!lx_symtab_add(t, name + 1, nl - 1, a, name[0])) {
            util_err_set(err, "kallsyms: out of memory at symbol %u", i);
            return VMI_FAILURE;
        }
    }
    return VMI_SUCCESS;
}

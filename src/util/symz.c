/*
 * symz.c - the compact symbol table (see symz.h).
 *
 * The byte format, version 1.  Little-endian; every offset counts from the
 * table's first byte; the u32 arrays start 4-byte aligned.
 *
 *   header (64 bytes)
 *     0  char[8]  "TVMISYM1"
 *     8  u32 count        symbols, 1 .. 2^24
 *    12  u32 block        names per name block, 1 .. 256 (the builder uses 16)
 *    16  u32 nblocks      ceil(count / block)
 *    20  u32 blocks       -> u32[nblocks + 1]: where each name block starts
 *                            in the names area; the last is names_len
 *    24  u32 names        -> the names area
 *    28  u32 names_len
 *    32  u32 types        -> u8[count]: type letter ('T', 'd', ...), in
 *                            address order
 *    36  u32 name2addr    -> u32[count]: the address-order position of the
 *                            k-th name in name order
 *    40  u32 lows         -> u32[count]: the low 32 bits of every address,
 *                            in address order
 *    44  u32 addr2name    -> u32[count]: the inverse of name2addr
 *    48  u32 segs         -> {u32 high, u32 first}[nsegs]: address order cut
 *                            into runs sharing the high 32 bits; high and
 *                            first strictly ascending, the first run at 0
 *    52  u32 nsegs
 *    56  u32 total        the table's length in bytes
 *    60  u32 0
 *
 *   names area: the names (no control bytes) sorted bytewise (a shorter name before a longer
 *   one it begins; equal names in the order given), front-coded in blocks:
 *   each entry is varint shared, varint suffix_len, suffix bytes, where
 *   shared bytes are taken from the previous name of the same block; the
 *   first entry of a block has shared = 0, so a block decodes on its own
 *   (varint: 7 bits a byte, low first, high bit = more; at most 2 bytes).
 *
 * Lookups: by name, a binary search over the blocks' first names and a
 * decode of at most one block and one first name; by address, a binary
 * search over the runs and then over the run's low 32 bits.  No lookup
 * allocates.  Ties by address are kept in the order given, so the first of
 * several symbols at one address is the first given.
 *
 * Size for a kernel's names (average 22 characters, sharing about 9 with
 * the previous name): about 15 bytes of names, 13 of arrays and 0.25 of
 * block index per symbol.
 *
 * The table is data from outside the library (a generated file compiled
 * into a program): util_symz_open checks all of it once, and every read
 * after that stays inside the bounds it checked.
 */
#include "util/symz.h"

#include <stdlib.h>
#include <string.h>

#include "util/bytes.h"

#define SYMZ_MAGIC "TVMISYM1"
#define SYMZ_HEADER 64
#define SYMZ_BLOCK 16
#define SYMZ_BLOCK_MAX 256

static uint32_t h32(const uint8_t *d, size_t off)
{
    return util_le32(d + off);
}

static uint32_t arr32(const uint8_t *a, uint32_t i)
{
    return util_le32(a + 4 * (size_t)i);
}

/* One varint at *p (< end), at most 2 bytes; false when damaged. */
static bool get_varint(const uint8_t **p, const uint8_t *end, uint32_t *out)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < 2; i++) {
        if (*p >= end)
            return false;
        uint8_t b = *(*p)++;
        v |= (uint32_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80)) {
            *out = v;
            return true;
        }
    }
    return false;
}

/* Decode the entry at *p into name (holding the previous name of *len
 * bytes); false when the entry does not fit. */
static bool next_name(const uint8_t **p, const uint8_t *end, char *name, size_t *len)
{
    uint32_t shared, suffix;
    if (!get_varint(p, end, &shared) || !get_varint(p, end, &suffix) || shared > *len ||
        suffix > (size_t)(end - *p) || (size_t)shared + suffix >= UTIL_SYMZ_NAME_MAX ||
        shared + suffix == 0)
        return false;
    memcpy(name + shared, *p, suffix);
    *p += suffix;
    *len = shared + suffix;
    name[*len] = '\0';
    return true;
}

static int name_cmp(const char *a, size_t al, const char *b, size_t bl)
{
    int c = memcmp(a, b, al < bl ? al : bl);
    if (c)
        return c;
    return al < bl ? -1 : (al > bl);
}

static bool section(size_t total, uint32_t off, uint64_t size, bool align,
                    const char *what, util_err_t *err)
{
    if (off < SYMZ_HEADER || off > total || size > total - off || (align && (off & 3))) {
        util_err_set(err, "symbol table: the %s section (offset %u, %llu bytes) lies outside "
                          "the %zu-byte table%s",
                     what, off, (unsigned long long)size, total,
                     align && (off & 3) ? " or is not 4-byte aligned" : "");
        return false;
    }
    return true;
}

/* Every name decodes inside its block, holds no control byte and is not
 * below the one before it.  The name is built in place in cur; before a
 * suffix overwrites the previous name's tail, it is compared with it (the
 * shared bytes being equal), so the check costs one pass over the bytes. */
static bool check_names(const util_symz_t *z, util_err_t *err)
{
    char cur[UTIL_SYMZ_NAME_MAX];
    size_t len = 0;
    uint32_t k = 0;
    if (arr32(z->blocks, 0) != 0 || arr32(z->blocks, z->nblocks) != z->names_len) {
        util_err_set(err, "symbol table: the block index does not span the names area");
        return false;
    }
    for (uint32_t b = 0; b < z->nblocks; b++) {
        uint32_t s = arr32(z->blocks, b), e = arr32(z->blocks, b + 1);
        if (e < s) {
            util_err_set(err, "symbol table: name block %u ends before it starts", b);
            return false;
        }
        const uint8_t *p = z->names + s, *end = z->names + e;
        uint32_t in_block = z->count - k < z->block ? z->count - k : z->block;
        for (uint32_t i = 0; i < in_block; i++, k++) {
            uint32_t shared, suffix;
            if (!get_varint(&p, end, &shared) || !get_varint(&p, end, &suffix) ||
                (i == 0 && shared != 0) || shared > len || suffix > (size_t)(end - p) ||
                (size_t)shared + suffix >= UTIL_SYMZ_NAME_MAX || shared + suffix == 0) {
                util_err_set(err, "symbol table: name %u (block %u) is damaged or runs past "
                                  "its block", k, b);
                return false;
            }
            /* A NUL or control byte: the name would be one thing to
             * this table and another to every C-string reader of it (the
             * built index it turns into), so it is refused as the System.map
             * reader refuses it. */
            for (uint32_t c = 0; c < suffix; c++)
                if (p[c] < 0x20 || p[c] == 0x7f) {
                    util_err_set(err, "symbol table: name %u (block %u) holds control byte "
                                      "0x%02x", k, b, p[c]);
                    return false;
                }
            /* Against the old tail (the shared bytes being equal), then
             * the new tail over it. */
            size_t tail = len - shared;
            int cmp = memcmp(p, cur + shared, suffix < tail ? suffix : tail);
            if (!cmp)
                cmp = suffix < tail ? -1 : 0;
            memcpy(cur + shared, p, suffix);
            if (k && cmp < 0) {
                util_err_set(err, "symbol table: names are not sorted (name %u, in block %u)",
                             k, b);
                return false;
            }
            p += suffix;
            len = shared + suffix;
        }
        if (p != end) {
            util_err_set(err, "symbol table: name block %u has %zu bytes past its last name",
                         b, (size_t)(end - p));
            return false;
        }
    }
    return true;
}

static bool check_addresses(const util_symz_t *z, util_err_t *err)
{
    for (uint32_t k = 0; k < z->count; k++) {
        uint32_t p = arr32(z->name2addr, k);
        if (p >= z->count || arr32(z->addr2name, p) != k) {
            util_err_set(err, "symbol table: name %u points at address entry %u, which does "
                              "not point back", k, p);
            return false;
        }
    }
    for (uint32_t p = 0; p < z->count; p++) {
        char t = (char)z->types[p];
        if (!((t >= 'a' && t <= 'z') || (t >= 'A' && t <= 'Z') || t == '?' || t == '-')) {
            util_err_set(err, "symbol table: address entry %u has type byte 0x%02x", p,
                         (unsigned char)t);
            return false;
        }
    }
    for (uint32_t s = 0; s < z->nsegs; s++) {
        uint32_t hi = h32(z->segs, 8 * (size_t)s), first = h32(z->segs, 8 * (size_t)s + 4);
        uint32_t end = s + 1 < z->nsegs ? h32(z->segs, 8 * (size_t)s + 12) : z->count;
        if ((s == 0 && first != 0) || first >= end || end > z->count ||
            (s + 1 < z->nsegs && h32(z->segs, 8 * (size_t)s + 8) <= hi)) {
            util_err_set(err, "symbol table: address run %u (high 0x%x, from %u) is out of "
                              "order or out of range", s, hi, first);
            return false;
        }
        for (uint32_t p = first + 1; p < end; p++)
            if (arr32(z->lows, p) < arr32(z->lows, p - 1)) {
                util_err_set(err, "symbol table: addresses are not sorted (entry %u)", p);
                return false;
            }
    }
    return true;
}

bool util_symz_open(util_symz_t *z, const void *data, size_t len, util_err_t *err)
{
    const uint8_t *d = data;
    memset(z, 0, sizeof(*z));
    if (!d || len < SYMZ_HEADER) {
        util_err_set(err, "symbol table: %zu bytes, shorter than its %d-byte header", len,
                     SYMZ_HEADER);
        return false;
    }
    if (memcmp(d, SYMZ_MAGIC, 8) != 0) {
        util_err_set(err, "symbol table: no \"%s\" magic (another format or version)",
                      SYMZ_MAGIC);
        return false;
    }
    uint32_t total = h32(d, 56);
    if (total > len || total < SYMZ_HEADER) {
        util_err_set(err, "symbol table: truncated: its header says %u bytes, %zu given", total,
                     len);
        return false;
    }
    z->data = d;
    z->len = total;
    z->count = h32(d, 8);
    z->block = h32(d, 12);
    z->nblocks = h32(d, 16);
    z->names_len = h32(d, 28);
    z->nsegs = h32(d, 52);
    if (z->count == 0 || z->count > UTIL_SYMZ_COUNT_MAX || z->block == 0 ||
        z->block > SYMZ_BLOCK_MAX || z->nblocks != (z->count + z->block - 1) / z->block ||
        z->nsegs == 0 || z->nsegs > z->count || h32(d, 60) != 0) {
        util_err_set(err, "symbol table: header fields do not fit (count %u, block %u, "
                          "blocks %u, runs %u)", z->count, z->block, z->nblocks, z->nsegs);
        return false;
    }
    uint64_t n = z->count;
    if (!section(total, h32(d, 20), 4 * ((uint64_t)z->nblocks + 1), true, "block index",
                 err) ||
        !section(total, h32(d, 24), z->names_len, false, "names", err) ||
        !section(total, h32(d, 32), n, false, "types", err) ||
        !section(total, h32(d, 36), 4 * n, true, "name-to-address", err) ||
        !section(total, h32(d, 40), 4 * n, true, "addresses", err) ||
        !section(total, h32(d, 44), 4 * n, true, "address-to-name", err) ||
        !section(total, h32(d, 48), 8 * (uint64_t)z->nsegs, true, "address runs", err))
        return false;
    z->blocks = d + h32(d, 20);
    z->names = d + h32(d, 24);
    z->types = d + h32(d, 32);
    z->name2addr = d + h32(d, 36);
    z->lows = d + h32(d, 40);
    z->addr2name = d + h32(d, 44);
    z->segs = d + h32(d, 48);
    if (!check_names(z, err) || !check_addresses(z, err)) {
        memset(z, 0, sizeof(*z));
        return false;
    }
    return true;
}

/* ---- lookups ---- */

static size_t block_first(const util_symz_t *z, uint32_t b, char *buf)
{
    const uint8_t *p = z->names + arr32(z->blocks, b), *end = z->names + arr32(z->blocks, b + 1);
    size_t len = 0;
    return next_name(&p, end, buf, &len) ? len : 0;
}

bool util_symz_find(const util_symz_t *z, const char *name, size_t len, uint32_t *pos)
{
    char buf[UTIL_SYMZ_NAME_MAX];
    if (!z->count || !name || len == 0 || len >= UTIL_SYMZ_NAME_MAX)
        return false;
    /* b: the first block whose first name is >= name. */
    uint32_t lo = 0, hi = z->nblocks;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        size_t l = block_first(z, mid, buf);
        if (name_cmp(buf, l, name, len) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    uint32_t b = lo;
    if (b > 0) {
        const uint8_t *p = z->names + arr32(z->blocks, b - 1);
        const uint8_t *end = z->names + arr32(z->blocks, b);
        size_t l = 0;
        for (uint32_t k = (b - 1) * z->block; p < end && next_name(&p, end, buf, &l); k++) {
            int c = name_cmp(buf, l, name, len);
            if (c == 0) {
                *pos = arr32(z->name2addr, k);
                return true;
            }
            if (c > 0)
                break;
        }
    }
    if (b < z->nblocks) {
        size_t l = block_first(z, b, buf);
        if (name_cmp(buf, l, name, len) == 0) {
            *pos = arr32(z->name2addr, b * z->block);
            return true;
        }
    }
    return false;
}

/* The run holding address-order position pos. */
static uint32_t seg_of(const util_symz_t *z, uint32_t pos)
{
    uint32_t lo = 0, hi = z->nsegs;
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (h32(z->segs, 8 * (size_t)mid + 4) <= pos)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

uint64_t util_symz_addr(const util_symz_t *z, uint32_t pos)
{
    if (pos >= z->count)
        return 0;
    uint32_t s = seg_of(z, pos);
    return (uint64_t)h32(z->segs, 8 * (size_t)s) << 32 | arr32(z->lows, pos);
}

char util_symz_type(const util_symz_t *z, uint32_t pos)
{
    return pos < z->count ? (char)z->types[pos] : '?';
}

size_t util_symz_name(const util_symz_t *z, uint32_t pos, char *buf, size_t cap)
{
    char tmp[UTIL_SYMZ_NAME_MAX];
    if (pos >= z->count || cap == 0)
        return 0;
    uint32_t k = arr32(z->addr2name, pos), b = k / z->block;
    const uint8_t *p = z->names + arr32(z->blocks, b), *end = z->names + arr32(z->blocks, b + 1);
    size_t len = 0;
    for (uint32_t i = b * z->block; i <= k; i++)
        if (!next_name(&p, end, tmp, &len))
            return 0; /* not after util_symz_open */
    if (len >= cap)
        len = cap - 1;
    memcpy(buf, tmp, len);
    buf[len] = '\0';
    return len;
}

uint32_t util_symz_upper(const util_symz_t *z, uint64_t addr)
{
    uint32_t H = (uint32_t)(addr >> 32), L = (uint32_t)addr;
    /* The last run whose high part is <= H. */
    uint32_t lo = 0, hi = z->nsegs;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (h32(z->segs, 8 * (size_t)mid) <= H)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return 0;
    uint32_t s = lo - 1;
    uint32_t first = h32(z->segs, 8 * (size_t)s + 4);
    uint32_t end = s + 1 < z->nsegs ? h32(z->segs, 8 * (size_t)s + 12) : z->count;
    if (h32(z->segs, 8 * (size_t)s) < H)
        return end;
    lo = first;
    hi = end;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (arr32(z->lows, mid) <= L)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* ---- building ---- */

typedef struct by_name {
    const char *name;
    uint32_t len, idx;
} by_name_t;

typedef struct by_addr {
    uint64_t addr;
    uint32_t idx;
} by_addr_t;

static int by_name_cmp(const void *a, const void *b)
{
    const by_name_t *x = a, *y = b;
    int c = name_cmp(x->name, x->len, y->name, y->len);
    if (c)
        return c;
    return x->idx < y->idx ? -1 : (x->idx > y->idx);
}

static int by_addr_cmp(const void *a, const void *b)
{
    const by_addr_t *x = a, *y = b;
    if (x->addr != y->addr)
        return x->addr < y->addr ? -1 : 1;
    return x->idx < y->idx ? -1 : (x->idx > y->idx);
}

static size_t put_varint(uint8_t *p, uint32_t v)
{
    if (v < 0x80) {
        p[0] = (uint8_t)v;
        return 1;
    }
    p[0] = (uint8_t)(0x80 | (v & 0x7f));
    p[1] = (uint8_t)(v >> 7);
    return 2;
}

static void put32(uint8_t *p, uint32_t v)
{
    v = UTIL_BSWAP32(v);
    memcpy(p, &v, 4);
}

static size_t align4(size_t v)
{
    return (v + 3) & ~(size_t)3;
}

uint8_t *util_symz_build(const util_symz_in_t *syms, size_t n, size_t *out_len,
                         util_err_t *err)
{
    if (n == 0 || n > UTIL_SYMZ_COUNT_MAX) {
        util_err_set(err, "symbol table: %zu symbols (1 .. %u can be stored)", n,
                     UTIL_SYMZ_COUNT_MAX);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        if (syms[i].len == 0 || syms[i].len >= UTIL_SYMZ_NAME_MAX) {
            util_err_set(err, "symbol table: symbol %zu has a name of %u bytes (1 .. %d)", i,
                         syms[i].len, UTIL_SYMZ_NAME_MAX - 1);
            return NULL;
        }
        for (uint32_t c = 0; c < syms[i].len; c++)
            if ((unsigned char)syms[i].name[c] < 0x20 || syms[i].name[c] == 0x7f) {
                util_err_set(err, "symbol table: symbol %zu's name holds a control byte", i);
                return NULL;
            }
    }
    uint32_t count = (uint32_t)n, nblocks = (count + SYMZ_BLOCK - 1) / SYMZ_BLOCK;
    by_name_t *bn = malloc(n * sizeof(*bn));
    by_addr_t *ba = malloc(n * sizeof(*ba));
    uint32_t *name_pos = malloc(n * sizeof(uint32_t)), *addr_pos = malloc(n * sizeof(uint32_t));
    size_t names_cap = 0;
    for (size_t i = 0; i < n; i++)
        names_cap += syms[i].len + 4;
    uint8_t *names = malloc(names_cap), *out = NULL;
    uint32_t *blocks = malloc((nblocks + 1) * sizeof(uint32_t));
    if (!bn || !ba || !name_pos || !addr_pos || !names || !blocks) {
        util_err_set(err, "symbol table: out of memory");
        goto done;
    }
    for (uint32_t i = 0; i < count; i++) {
        bn[i] = (by_name_t){ syms[i].name, syms[i].len, i };
        ba[i] = (by_addr_t){ syms[i].addr, i };
    }
    qsort(bn, n, sizeof(*bn), by_name_cmp);
    qsort(ba, n, sizeof(*ba), by_addr_cmp);
    for (uint32_t k = 0; k < count; k++) {
        name_pos[bn[k].idx] = k;
        addr_pos[ba[k].idx] = k;
    }
    size_t nl = 0;
    for (uint32_t k = 0; k < count; k++) {
        uint32_t shared = 0;
        if (k % SYMZ_BLOCK == 0)
            blocks[k / SYMZ_BLOCK] = (uint32_t)nl;
        else
            while (shared < bn[k].len && shared < bn[k - 1].len &&
                   bn[k].name[shared] == bn[k - 1].name[shared])
                shared++;
        nl += put_varint(names + nl, shared);
        nl += put_varint(names + nl, bn[k].len - shared);
        memcpy(names + nl, bn[k].name + shared, bn[k].len - shared);
        nl += bn[k].len - shared;
    }
    blocks[nblocks] = (uint32_t)nl;
    uint32_t nsegs = 0;
    for (uint32_t p = 0; p < count; p++)
        if (p == 0 || (ba[p].addr >> 32) != (ba[p - 1].addr >> 32))
            nsegs++;

    size_t o_blocks = SYMZ_HEADER, o_names = o_blocks + 4 * ((size_t)nblocks + 1);
    size_t o_types = o_names + nl, o_n2a = align4(o_types + n), o_lows = o_n2a + 4 * n;
    size_t o_a2n = o_lows + 4 * n, o_segs = o_a2n + 4 * n, total = o_segs + 8 * (size_t)nsegs;
    if (total > UINT32_MAX) {
        util_err_set(err, "symbol table: %zu bytes, more than the format holds", total);
        goto done;
    }
    out = calloc(1, total);
    if (!out) {
        util_err_set(err, "symbol table: out of memory");
        goto done;
    }
    memcpy(out, SYMZ_MAGIC, 8);
    put32(out + 8, count);
    put32(out + 12, SYMZ_BLOCK);
    put32(out + 16, nblocks);
    put32(out + 20, (uint32_t)o_blocks);
    put32(out + 24, (uint32_t)o_names);
    put32(out + 28, (uint32_t)nl);
    put32(out + 32, (uint32_t)o_types);
    put32(out + 36, (uint32_t)o_n2a);
    put32(out + 40, (uint32_t)o_lows);
    put32(out + 44, (uint32_t)o_a2n);
    put32(out + 48, (uint32_t)o_segs);
    put32(out + 52, nsegs);
    put32(out + 56, (uint32_t)total);
    for (uint32_t b = 0; b <= nblocks; b++)
        put32(out + o_blocks + 4 * (size_t)b, blocks[b]);
    memcpy(out + o_names, names, nl);
    uint32_t s = 0;
    for (uint32_t p = 0; p < count; p++) {
        out[o_types + p] = (uint8_t)syms[ba[p].idx].type;
        put32(out + o_lows + 4 * (size_t)p, (uint32_t)ba[p].addr);
        put32(out + o_a2n + 4 * (size_t)p, name_pos[ba[p].idx]);
        if (p == 0 || (ba[p].addr >> 32) != (ba[p - 1].addr >> 32)) {
            put32(out + o_segs + 8 * (size_t)s, (uint32_t)(ba[p].addr >> 32));
            put32(out + o_segs + 8 * (size_t)s + 4, p);
            s++;
        }
    }
    for (uint32_t k = 0; k < count; k++)
        put32(out + o_n2a + 4 * (size_t)k, addr_pos[bn[k].idx]);
    *out_len = total;
done:
    free(bn);
    free(ba);
    free(name_pos);
    free(addr_pos);
    free(names);
    free(blocks);
    return out;
}

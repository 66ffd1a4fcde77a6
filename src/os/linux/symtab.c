/*
 * symtab.c - the kernel symbol index, behind one interface, from three
 * kinds of source:
 *
 *  - built (kallsyms decoded from memory, or a System.map once a query
 *    needs it all): names in one arena, name -> symbol through an
 *    open-addressing hash, address -> symbol by binary search over the
 *    symbols in address order (an index only when added in another order).  Entries are fixed-size, so building costs a handful of
 *    allocations rather than one per symbol (why this does not use
 *    util/hash);
 *  - a System.map not yet read in full (lx_symtab_from_sysmap): start-up
 *    asks for about ten names, so one streaming pass over the text answers
 *    the names the caller listed, a few other names get a pass each, and
 *    only a query that needs every symbol (by address, by position, or too
 *    many names) builds the index above.  A 94k-symbol map costs start-up
 *    one pass at memory speed and a 64 KiB buffer instead of 150 M
 *    instructions and 8 MB;
 *  - a compact table (util/symz.h, compiled into the program), or a
 *    kernel's kallsyms tables in an image mapped in place (lx_ksview_t,
 *    6.2+ kernels): looked up in place, no start-up work at all; decoded
 *    names are kept once asked for, so the pointers handed out stay valid.
 *
 * A KASLR slide (lx_symtab_relocate) is applied in place to a built index
 * and kept aside for the others, which then add it on the way out.
 * This file knows nothing of where the text comes from or of guests.
 */
#include "os/linux/linux.h"

#include <stdlib.h>
#include <string.h>

#include "util/hash.h"
#include "util/strutil.h"
#include "util/symz.h"

/*
 * A built index holds 10^5 symbols and more (7.3: 210k), so every byte per
 * symbol counts: 13 in three arrays (address, name offset, type letter); no
 * length (the arena terminates each name); a name that ends the one added
 * just before shares its bytes (6.2+ put __pfx_X, the padding before
 * function X, right before X: on 7.3 that is 58k names, 1.3 MB); no address
 * order when the order added is already that (kallsyms and System.map list
 * by address); a hash at load <= 2/3.
 */

/* A name asked of a System.map not read in full, and the answer. */
typedef struct lx_memo {
    char *name;
    bool found;
    uint64_t addr;
    char type;
} lx_memo_t;

/* Names looked up one pass each before the map is read in full. */
#define LX_LAZY_PASSES 8
#define LX_MEMO_MAX (LX_SYSMAP_HINTS_MAX + LX_LAZY_PASSES)

typedef enum lx_kind { LX_BUILT, LX_LAZY, LX_COMPACT, LX_KALLSYMS } lx_kind_t;

struct lx_symtab {
    lx_kind_t kind;
    /* LX_LAZY: the map (a path, or text the caller keeps) and the answers. */
    char *path;
    const char *text;
    size_t text_len;
    lx_memo_t memo[LX_MEMO_MAX];
    size_t nmemo, passes;
    /* LX_COMPACT, LX_KALLSYMS: the table in place, and the names decoded
     * so far (by position; kept after materialize: they were handed out). */
    util_symz_t z;
    lx_ksview_t *ks;
    char **znames;
    size_t nznames;
    /* LX_LAZY, LX_COMPACT, LX_KALLSYMS: the slide kept aside. */
    bool moved;
    uint64_t from, slide;

    /* LX_BUILT: symbol i (in the order added) is at addr[i], named
     * arena + name[i], of type type[i]. */
    char *arena;
    size_t arena_len, arena_cap;
    uint64_t *addr;
    uint32_t *name;
    char *type;
    size_t n, cap;
    size_t last_len;        /* the length of the name added last */
    uint32_t *by_addr;      /* indexes sorted by (addr, order added); NULL
                             * when that is the order added */
    uint32_t *slots;        /* hash: index + 1, 0 = empty */
    size_t nslots;          /* >= 3n/2 + 1 (load <= 2/3), any size */
    bool finished;
};

uint64_t lx_sym_hash(const char *s, size_t len)
{
    uint64_t h = util_fnv1a(UTIL_FNV1A_BASIS, s, len);
    return h ^ (h >> 29);
}

lx_symtab_t *lx_symtab_new(void)
{
    return calloc(1, sizeof(lx_symtab_t));
}

static void free_built(lx_symtab_t *t)
{
    free(t->arena);
    free(t->addr);
    free(t->name);
    free(t->type);
    free(t->by_addr);
    free(t->slots);
    t->arena = NULL;
    t->addr = NULL;
    t->name = t->by_addr = t->slots = NULL;
    t->type = NULL;
}

/* The slot a hash starts at: the high half of h scaled to nslots (no
 * power-of-two size needed, so the table can be sized to the load). */
static size_t slot_of(const lx_symtab_t *t, uint64_t h)
{
    return (size_t)(((h >> 32) * (uint64_t)t->nslots) >> 32);
}

static size_t slot_next(const lx_symtab_t *t, size_t j)
{
    return j + 1 == t->nslots ? 0 : j + 1;
}

/* Whether symbol i is named name[0..len) (no NUL inside).  strncmp stops
 * at the stored name's end, which may be the arena's: memcmp would read
 * past it when the stored name is the shorter. */
static bool name_is(const lx_symtab_t *t, size_t i, const char *name, size_t len)
{
    const char *n = t->arena + t->name[i];
    return strncmp(n, name, len) == 0 && n[len] == '\0';
}

/* Position pos in address order -> index in the order added. */
static size_t in_order(const lx_symtab_t *t, size_t pos)
{
    return t->by_addr ? t->by_addr[pos] : pos;
}

/* Grow the symbol arrays to hold cap symbols. */
static bool grow_syms(lx_symtab_t *t, size_t cap)
{
    uint64_t *a = realloc(t->addr, cap * sizeof(*a));
    if (!a)
        return false;
    t->addr = a;
    uint32_t *nm = realloc(t->name, cap * sizeof(*nm));
    if (!nm)
        return false;
    t->name = nm;
    char *ty = realloc(t->type, cap);
    if (!ty)
        return false;
    t->type = ty;
    t->cap = cap;
    return true;
}

void lx_symtab_free(lx_symtab_t *t)
{
    if (!t)
        return;
    free(t->path);
    for (size_t i = 0; i < t->nmemo; i++)
        free(t->memo[i].name);
    for (size_t i = 0; t->znames && i < t->nznames; i++)
        free(t->znames[i]);
    free(t->znames);
    lx_ksview_free(t->ks);
    free_built(t);
    free(t);
}

bool lx_symtab_add(lx_symtab_t *t, const char *name, size_t len, uint64_t addr, char type)
{
    if (!t || t->kind != LX_BUILT || t->finished || len == 0 || len >= LX_SYM_NAME_MAX ||
        t->n >= UINT32_MAX - 1)
        return false;
    if (t->n == t->cap && !grow_syms(t, t->cap ? t->cap * 2 : 4096))
        return false;
    /* The name ends the previous one: point into it. */
    if (t->n && t->last_len > len) {
        const char *prev = t->arena + t->name[t->n - 1];
        if (memcmp(prev + t->last_len - len, name, len) == 0) {
            t->addr[t->n] = addr;
            t->name[t->n] = (uint32_t)(t->name[t->n - 1] + t->last_len - len);
            t->type[t->n] = type;
            t->n++;
            t->last_len = len;
            return true;
        }
    }
    if (t->arena_len + len + 1 > t->arena_cap) {
        size_t cap = t->arena_cap ? t->arena_cap * 2 : 1 << 16;
        while (cap < t->arena_len + len + 1)
            cap *= 2;
        if (cap > UINT32_MAX)
            return false;
        char *a = realloc(t->arena, cap);
        if (!a)
            return false;
        t->arena = a;
        t->arena_cap = cap;
    }
    char *at = t->arena + t->arena_len;
    memcpy(at, name, len);
    at[len] = '\0';
    t->addr[t->n] = addr;
    t->name[t->n] = (uint32_t)t->arena_len;
    t->type[t->n] = type;
    t->n++;
    t->last_len = len;
    t->arena_len += len + 1;
    return true;
}

bool lx_symtab_reserve(lx_symtab_t *t, size_t nsyms, size_t name_bytes)
{
    if (!t || t->kind != LX_BUILT || t->finished || nsyms > UINT32_MAX - 1 - t->n ||
        name_bytes > UINT32_MAX - nsyms - t->arena_len)
        return false;
    size_t arena = t->arena_len + name_bytes + nsyms, n = t->n + nsyms;
    if (arena > t->arena_cap) {
        char *a = realloc(t->arena, arena);
        if (!a)
            return false;
        t->arena = a;
        t->arena_cap = arena;
    }
    return n <= t->cap || grow_syms(t, n);
}

/* Sort by (address, order added): pairs carry the index so the comparator
 * needs no outside state and ties keep the order added (qsort is not
 * stable). */
typedef struct addr_idx {
    uint64_t addr;
    uint32_t idx;
} addr_idx_t;

static int addr_idx_cmp(const void *a, const void *b)
{
    const addr_idx_t *x = a, *y = b;
    if (x->addr != y->addr)
        return x->addr < y->addr ? -1 : 1;
    return x->idx < y->idx ? -1 : (x->idx > y->idx);
}

static bool sort_by_addr(lx_symtab_t *t)
{
    /* kallsyms and System.map list symbols by address already: then the
     * order added is the order, and no index is kept. */
    size_t k = 1;
    while (k < t->n && t->addr[k - 1] <= t->addr[k])
        k++;
    if (k >= t->n) {
        free(t->by_addr);
        t->by_addr = NULL;
        return true;
    }
    addr_idx_t *p = malloc(t->n * sizeof(*p));
    uint32_t *order = t->by_addr ? t->by_addr : malloc(t->n * sizeof(*order));
    if (!p || !order) {
        free(p);
        if (order != t->by_addr)
            free(order);
        return false;
    }
    for (size_t i = 0; i < t->n; i++) {
        p[i].addr = t->addr[i];
        p[i].idx = (uint32_t)i;
    }
    qsort(p, t->n, sizeof(*p), addr_idx_cmp);
    for (size_t i = 0; i < t->n; i++)
        order[i] = p[i].idx;
    free(p);
    t->by_addr = order;
    return true;
}

/* Give back what a reserve or doubling left unused (shared names leave a
 * reserve's tail unused); a failed shrink keeps the larger block. */
static void *shrunk(void *p, size_t used)
{
    void *q = realloc(p, used ? used : 1);
    return q ? q : p;
}

bool lx_symtab_finish(lx_symtab_t *t)
{
    if (!t || t->kind != LX_BUILT || t->finished)
        return false;
    if (t->arena_cap > t->arena_len) {
        t->arena = shrunk(t->arena, t->arena_len);
        t->arena_cap = t->arena_len;
    }
    if (t->cap > t->n) {
        t->addr = shrunk(t->addr, t->n * sizeof(*t->addr));
        t->name = shrunk(t->name, t->n * sizeof(*t->name));
        t->type = shrunk(t->type, t->n);
        t->cap = t->n;
    }
    /* Linear probing at load <= 2/3: about 2 probes for a hit, 5 for a
     * miss; start-up looks up tens of names. */
    size_t ns = t->n + t->n / 2 + 1;
    t->slots = calloc(ns, sizeof(uint32_t));
    if (!t->slots)
        return false;
    t->nslots = ns;
    for (size_t i = 0; i < t->n; i++) {
        const char *nm = t->arena + t->name[i];
        size_t len = strlen(nm);
        size_t j = slot_of(t, lx_sym_hash(nm, len));
        bool dup = false;
        while (t->slots[j]) {
            if (name_is(t, t->slots[j] - 1, nm, len)) {
                dup = true; /* keep the first one added */
                break;
            }
            j = slot_next(t, j);
        }
        if (!dup)
            t->slots[j] = (uint32_t)(i + 1);
    }
    if (!sort_by_addr(t))
        return false;
    t->finished = true;
    return true;
}

static bool built_lookup(const lx_symtab_t *t, const char *name, size_t len, uint64_t *addr,
                         char *type)
{
    if (!t->finished)
        return false;
    size_t j = slot_of(t, lx_sym_hash(name, len));
    while (t->slots[j]) {
        size_t i = t->slots[j] - 1;
        if (name_is(t, i, name, len)) {
            if (addr)
                *addr = t->addr[i];
            if (type)
                *type = t->type[i];
            return true;
        }
        j = slot_next(t, j);
    }
    return false;
}

/* Index into by_addr of the first entry with address > addr. */
static size_t upper_bound(const lx_symtab_t *t, uint64_t addr)
{
    size_t lo = 0, hi = t->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t->addr[in_order(t, mid)] <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static const char *built_near(const lx_symtab_t *t, uint64_t addr, uint64_t *off)
{
    if (!t->finished || t->n == 0)
        return NULL;
    size_t ub = upper_bound(t, addr);
    if (ub == 0)
        return NULL;
    /* Among several symbols at the same address, the first added. */
    uint64_t a = t->addr[in_order(t, ub - 1)];
    size_t i = ub - 1;
    while (i > 0 && t->addr[in_order(t, i - 1)] == a)
        i--;
    if (off)
        *off = addr - a;
    return t->arena + t->name[in_order(t, i)];
}

static void built_relocate(lx_symtab_t *t, uint64_t from, uint64_t slide)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->addr[i] >= from)
            t->addr[i] += slide;
    /* A wrapping slide could reorder; if memory runs out the old order
     * stays, which is still right for a slide that does not wrap. */
    if (t->finished)
        (void)sort_by_addr(t);
}


/* ---- the slide kept aside (LX_LAZY, LX_COMPACT, LX_KALLSYMS) ---- */

static uint64_t moved(const lx_symtab_t *t, uint64_t a)
{
    return t->moved && a >= t->from ? a + t->slide : a;
}

/* ---- a System.map not read in full ---- */

static bool memo_add(lx_symtab_t *t, const char *name, size_t len, bool found, uint64_t addr,
                     char type)
{
    if (t->nmemo >= LX_MEMO_MAX)
        return false;
    char *n = malloc(len + 1);
    if (!n)
        return false;
    memcpy(n, name, len);
    n[len] = '\0';
    t->memo[t->nmemo++] = (lx_memo_t){ n, found, addr, type };
    return true;
}

lx_symtab_t *lx_symtab_from_sysmap(const char *path, const char *text, size_t len,
                                   const char *const *hints, size_t nhints, util_err_t *err)
{
    lx_sysmap_want_t want[LX_SYSMAP_HINTS_MAX];
    lx_symtab_t *t = calloc(1, sizeof(*t));
    if (nhints > LX_SYSMAP_HINTS_MAX)
        nhints = LX_SYSMAP_HINTS_MAX;
    if (!t || (path && !(t->path = util_strdup(path)))) {
        free(t);
        util_err_set(err, "out of memory");
        return NULL;
    }
    t->kind = LX_LAZY;
    t->text = text;
    t->text_len = len;
    for (size_t i = 0; i < nhints; i++)
        want[i] = (lx_sysmap_want_t){ .name = hints[i], .len = strlen(hints[i]) };
    if (lx_sysmap_find(path, text, len, want, nhints, err) != VMI_SUCCESS) {
        lx_symtab_free(t);
        return NULL;
    }
    for (size_t i = 0; i < nhints; i++)
        if (!memo_add(t, want[i].name, want[i].len, want[i].found, want[i].addr,
                      want[i].type)) {
            lx_symtab_free(t);
            util_err_set(err, "out of memory");
            return NULL;
        }
    return t;
}

/* ---- a table looked up in place: compact, or kallsyms ---- */

lx_symtab_t *lx_symtab_from_symz(const util_symz_t *z)
{
    lx_symtab_t *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->kind = LX_COMPACT;
    t->z = *z;
    return t;
}

lx_symtab_t *lx_symtab_from_kallsyms(lx_ksview_t *v)
{
    lx_symtab_t *t = v ? calloc(1, sizeof(*t)) : NULL;
    if (!t) {
        lx_ksview_free(v);
        return NULL;
    }
    t->kind = LX_KALLSYMS;
    t->ks = v;
    return t;
}

/* The in-place table's symbols, in address order: how many, address and
 * type of position pos, and the first position above addr. */
static uint32_t lz_count(const lx_symtab_t *t)
{
    return t->kind == LX_COMPACT ? t->z.count : lx_ksview_count(t->ks);
}

static uint64_t lz_addr(const lx_symtab_t *t, uint32_t pos)
{
    return t->kind == LX_COMPACT ? util_symz_addr(&t->z, pos) : lx_ksview_addr(t->ks, pos);
}

static char lz_type(const lx_symtab_t *t, uint32_t pos)
{
    char buf[LX_SYM_NAME_MAX + 1];
    if (t->kind == LX_COMPACT)
        return util_symz_type(&t->z, pos);
    return lx_ksview_name(t->ks, pos, buf, sizeof(buf)) ? buf[0] : '?';
}

static uint32_t lz_upper(const lx_symtab_t *t, uint64_t addr)
{
    if (t->kind == LX_COMPACT)
        return util_symz_upper(&t->z, addr);
    uint32_t lo = 0, hi = lx_ksview_count(t->ks);
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (lx_ksview_addr(t->ks, mid) <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The name at address-order position pos, decoded once and kept. */
static const char *zname(lx_symtab_t *t, uint32_t pos)
{
    char buf[LX_SYM_NAME_MAX + 1];
    if (pos >= lz_count(t))
        return NULL;
    if (!t->znames) {
        if (!(t->znames = calloc(lz_count(t), sizeof(char *))))
            return NULL;
        t->nznames = lz_count(t);
    }
    if (!t->znames[pos]) {
        const char *n = buf;
        size_t len;
        if (t->kind == LX_COMPACT) {
            len = util_symz_name(&t->z, pos, buf, sizeof(buf));
        } else {
            len = lx_ksview_name(t->ks, pos, buf, sizeof(buf));
            n = buf + 1; /* the type letter first */
            len = len ? len - 1 : 0;
        }
        if (len == 0 || !(t->znames[pos] = malloc(len + 1)))
            return NULL;
        memcpy(t->znames[pos], n, len + 1);
    }
    return t->znames[pos];
}

static const char *compact_near(lx_symtab_t *t, uint64_t va, uint64_t *off)
{
    uint32_t pos = 0;
    uint64_t eff = 0;
    bool have = false;
    if (!t->moved) {
        uint32_t u = lz_upper(t, va);
        if (u) {
            pos = u - 1;
            eff = lz_addr(t, pos);
            have = true;
        }
    } else {
        /* Below `from` addresses stayed; at or above it they moved up by
         * the slide: the nearest of the two sides wins. */
        uint32_t below = t->from ? lz_upper(t, t->from - 1) : 0;
        uint32_t u = lz_upper(t, va);
        if (u > below)
            u = below;
        if (u) {
            pos = u - 1;
            eff = lz_addr(t, pos);
            have = true;
        }
        if (va >= t->slide && va - t->slide >= t->from) {
            uint32_t u2 = lz_upper(t, va - t->slide);
            if (u2 > below) {
                uint64_t e2 = lz_addr(t, u2 - 1) + t->slide;
                if (!have || e2 > eff) {
                    pos = u2 - 1;
                    eff = e2;
                    have = true;
                }
            }
        }
    }
    if (!have)
        return NULL;
    uint64_t raw = lz_addr(t, pos);
    while (pos > 0 && lz_addr(t, pos - 1) == raw)
        pos--;
    if (off)
        *off = va - eff;
    return zname(t, pos);
}

/* ---- the whole index, when a query needs it ---- */

/* Turn a lazy map or an in-place table into a built index (slide applied).
 * False when that cannot be done (memory, the map gone); t is unchanged. */
static bool materialize(lx_symtab_t *t)
{
    if (t->kind == LX_BUILT)
        return t->finished;
    lx_symtab_t *b = lx_symtab_new();
    util_err_t e;
    bool ok = b != NULL;
    if (ok && t->kind == LX_LAZY) {
        ok = (t->path ? lx_sysmap_load(b, t->path, &e) : lx_sysmap_parse(b, t->text,
                                                                           t->text_len, &e)) ==
             VMI_SUCCESS;
    } else if (ok && t->kind == LX_KALLSYMS) {
        ok = lx_ksview_decode(t->ks, b, &e) == VMI_SUCCESS;
    } else if (ok) {
        for (uint32_t p = 0; ok && p < t->z.count; p++) {
            const char *n = zname(t, p);
            ok = n && lx_symtab_add(b, n, strlen(n), util_symz_addr(&t->z, p),
                                    util_symz_type(&t->z, p));
        }
    }
    if (!ok || !lx_symtab_finish(b)) {
        lx_symtab_free(b);
        return false;
    }
    if (t->moved)
        built_relocate(b, t->from, t->slide);
    /* Move the built index into t, keeping t's address. */
    t->kind = LX_BUILT;
    t->arena = b->arena;
    t->arena_len = b->arena_len;
    t->arena_cap = b->arena_cap;
    t->addr = b->addr;
    t->name = b->name;
    t->type = b->type;
    t->n = b->n;
    t->cap = b->cap;
    t->by_addr = b->by_addr;
    t->slots = b->slots;
    t->nslots = b->nslots;
    t->finished = true;
    t->moved = false;
    lx_ksview_free(t->ks); /* its buffer is no longer read */
    t->ks = NULL;
    free(b);
    return true;
}

/* ---- queries ---- */

size_t lx_symtab_count(const lx_symtab_t *t)
{
    if (!t)
        return 0;
    if (t->kind == LX_COMPACT || t->kind == LX_KALLSYMS)
        return lz_count(t);
    return materialize((lx_symtab_t *)t) ? t->n : 0;
}

bool lx_symtab_lookup(const lx_symtab_t *t, const char *name, uint64_t *addr, char *type)
{
    if (!t || !name)
        return false;
    size_t len = strnlen(name, LX_SYM_NAME_MAX);
    if (len == 0 || len >= LX_SYM_NAME_MAX)
        return false;
    lx_symtab_t *m = (lx_symtab_t *)t; /* lazy work only; the answers do not change */
    if (t->kind == LX_COMPACT) {
        uint32_t pos;
        if (!util_symz_find(&t->z, name, len, &pos))
            return false;
        if (addr)
            *addr = moved(t, util_symz_addr(&t->z, pos));
        if (type)
            *type = util_symz_type(&t->z, pos);
        return true;
    }
    if (t->kind == LX_KALLSYMS) {
        uint32_t pos;
        if (!lx_ksview_find(t->ks, name, &pos))
            return false;
        if (addr)
            *addr = moved(t, lx_ksview_addr(t->ks, pos));
        if (type)
            *type = lz_type(t, pos);
        return true;
    }
    if (t->kind == LX_LAZY) {
        const lx_memo_t *hit = NULL;
        for (size_t i = 0; i < t->nmemo && !hit; i++)
            if (strcmp(t->memo[i].name, name) == 0)
                hit = &t->memo[i];
        if (!hit && m->passes < LX_LAZY_PASSES && t->nmemo < LX_MEMO_MAX) {
            lx_sysmap_want_t w = { .name = name, .len = len };
            util_err_t e;
            m->passes++;
            if (lx_sysmap_find(t->path, t->text, t->text_len, &w, 1, &e) == VMI_SUCCESS &&
                memo_add(m, name, len, w.found, w.addr, w.type))
                hit = &t->memo[t->nmemo - 1];
        }
        if (hit) {
            if (!hit->found)
                return false;
            if (addr)
                *addr = moved(t, hit->addr);
            if (type)
                *type = hit->type;
            return true;
        }
        if (!materialize(m))
            return false;
    }
    return built_lookup(t, name, len, addr, type);
}

const char *lx_symtab_near(const lx_symtab_t *t, uint64_t addr, uint64_t *off)
{
    if (!t)
        return NULL;
    if (t->kind == LX_COMPACT || t->kind == LX_KALLSYMS)
        return compact_near((lx_symtab_t *)t, addr, off);
    if (!materialize((lx_symtab_t *)t))
        return NULL;
    return built_near(t, addr, off);
}

const char *lx_symtab_at(const lx_symtab_t *t, uint64_t addr)
{
    uint64_t off = 1;
    const char *n = lx_symtab_near(t, addr, &off);
    return n && off == 0 ? n : NULL;
}

void lx_symtab_relocate(lx_symtab_t *t, uint64_t from, uint64_t slide)
{
    if (!t || slide == 0)
        return;
    if (t->kind != LX_BUILT && !t->moved) {
        /* Kept aside, unless it would wrap the highest address (the
         * order by address would change then). */
        uint64_t top = t->kind == LX_LAZY ? UINT64_MAX - slide : lz_addr(t, lz_count(t) - 1);
        if (top < from || top + slide >= top) {
            t->moved = true;
            t->from = from;
            t->slide = slide;
            return;
        }
    }
    if (!materialize(t))
        return;
    built_relocate(t, from, slide);
}

bool lx_symtab_get(const lx_symtab_t *t, size_t i, const char **name, uint64_t *addr,
                   char *type)
{
    if (!t)
        return false;
    if (t->kind == LX_COMPACT || t->kind == LX_KALLSYMS) {
        if (i >= lz_count(t))
            return false;
        /* The name is decoded (and kept) only when asked for. */
        const char *n = name ? zname((lx_symtab_t *)t, (uint32_t)i) : NULL;
        if (name && !n)
            return false;
        if (name)
            *name = n;
        if (addr)
            *addr = moved(t, lz_addr(t, (uint32_t)i));
        if (type)
            *type = lz_type(t, (uint32_t)i);
        return true;
    }
    if (!materialize((lx_symtab_t *)t) || i >= t->n)
        return false;
    size_t k = in_order(t, i);
    if (name)
        *name = t->arena + t->name[k];
    if (addr)
        *addr = t->addr[k];
    if (type)
        *type = t->type[k];
    return true;
}

bool lx_symtab_get_added(const lx_symtab_t *t, size_t i, const char **name, size_t *len,
                         uint64_t *addr, char *type)
{
    if (!t || t->kind != LX_BUILT || !t->finished || i >= t->n)
        return false;
    *name = t->arena + t->name[i];
    *len = strlen(*name);
    *addr = t->addr[i];
    *type = t->type[i];
    return true;
}

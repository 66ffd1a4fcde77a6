/*
 * symtab.c - the kernel symbol index: name -> address through an
 * open-addressing hash, address -> name through an array sorted by address.
 *
 * A kernel has 100k-250k symbols, so both directions must avoid a linear
 * scan per lookup.  Names live in one arena and entries are fixed-size, so
 * building the index costs a handful of allocations rather than one per
 * symbol (which is why this does not use util/hash).  This file knows
 * nothing of where symbols come from (System.map, kallsyms) or of guests.
 */
#include "os/linux/linux.h"

#include <stdlib.h>
#include <string.h>

typedef struct lx_sym {
    uint64_t addr;
    uint32_t name;  /* offset into the arena */
    uint32_t len;
    char type;
} lx_sym_t;

struct lx_symtab {
    char *arena;
    size_t arena_len, arena_cap;
    lx_sym_t *sym;          /* in the order added */
    size_t n, cap;
    uint32_t *by_addr;      /* indexes into sym, sorted by (addr, order added) */
    uint32_t *slots;        /* hash: index + 1, 0 = empty */
    size_t nslots;          /* a power of two, > 2 * n */
    bool finished;
};

/* FNV-1a: short names, no need for anything stronger; the table is sized
 * for a low load so clustering stays cheap. */
static uint64_t name_hash(const char *s, size_t len)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 0x100000001b3ULL;
    }
    return h ^ (h >> 29);
}

lx_symtab_t *lx_symtab_new(void)
{
    return calloc(1, sizeof(lx_symtab_t));
}

void lx_symtab_free(lx_symtab_t *t)
{
    if (!t)
        return;
    free(t->arena);
    free(t->sym);
    free(t->by_addr);
    free(t->slots);
    free(t);
}

bool lx_symtab_add(lx_symtab_t *t, const char *name, size_t len, uint64_t addr, char type)
{
    if (!t || t->finished || len == 0 || len >= LX_SYM_NAME_MAX || t->n >= UINT32_MAX - 1)
        return false;
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
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 4096;
        lx_sym_t *s = realloc(t->sym, cap * sizeof(*s));
        if (!s)
            return false;
        t->sym = s;
        t->cap = cap;
    }
    memcpy(t->arena + t->arena_len, name, len);
    t->arena[t->arena_len + len] = '\0';
    t->sym[t->n].addr = addr;
    t->sym[t->n].name = (uint32_t)t->arena_len;
    t->sym[t->n].len = (uint32_t)len;
    t->sym[t->n].type = type;
    t->n++;
    t->arena_len += len + 1;
    return true;
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
    addr_idx_t *p = malloc((t->n ? t->n : 1) * sizeof(*p));
    if (!p)
        return false;
    for (size_t i = 0; i < t->n; i++) {
        p[i].addr = t->sym[i].addr;
        p[i].idx = (uint32_t)i;
    }
    qsort(p, t->n, sizeof(*p), addr_idx_cmp);
    for (size_t i = 0; i < t->n; i++)
        t->by_addr[i] = p[i].idx;
    free(p);
    return true;
}

bool lx_symtab_finish(lx_symtab_t *t)
{
    if (!t || t->finished)
        return false;
    t->by_addr = malloc((t->n ? t->n : 1) * sizeof(uint32_t));
    size_t ns = 16;
    while (ns < t->n * 2 + 1)
        ns *= 2;
    t->slots = calloc(ns, sizeof(uint32_t));
    if (!t->by_addr || !t->slots)
        return false;
    t->nslots = ns;
    for (size_t i = 0; i < t->n; i++) {
        const lx_sym_t *s = &t->sym[i];
        const char *nm = t->arena + s->name;
        size_t j = name_hash(nm, s->len) & (ns - 1);
        bool dup = false;
        while (t->slots[j]) {
            const lx_sym_t *o = &t->sym[t->slots[j] - 1];
            if (o->len == s->len && memcmp(t->arena + o->name, nm, s->len) == 0) {
                dup = true; /* keep the first one added */
                break;
            }
            j = (j + 1) & (ns - 1);
        }
        if (!dup)
            t->slots[j] = (uint32_t)(i + 1);
        t->by_addr[i] = (uint32_t)i;
    }
    if (!sort_by_addr(t))
        return false;
    t->finished = true;
    return true;
}

size_t lx_symtab_count(const lx_symtab_t *t)
{
    return t ? t->n : 0;
}

bool lx_symtab_lookup(const lx_symtab_t *t, const char *name, uint64_t *addr, char *type)
{
    if (!t || !t->finished || !name)
        return false;
    size_t len = strnlen(name, LX_SYM_NAME_MAX);
    if (len == 0 || len >= LX_SYM_NAME_MAX)
        return false;
    size_t j = name_hash(name, len) & (t->nslots - 1);
    while (t->slots[j]) {
        const lx_sym_t *s = &t->sym[t->slots[j] - 1];
        if (s->len == len && memcmp(t->arena + s->name, name, len) == 0) {
            if (addr)
                *addr = s->addr;
            if (type)
                *type = s->type;
            return true;
        }
        j = (j + 1) & (t->nslots - 1);
    }
    return false;
}

/* Index into by_addr of the first entry with address > addr. */
static size_t upper_bound(const lx_symtab_t *t, uint64_t addr)
{
    size_t lo = 0, hi = t->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t->sym[t->by_addr[mid]].addr <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

const char *lx_symtab_near(const lx_symtab_t *t, uint64_t addr, uint64_t *off)
{
    if (!t || !t->finished || t->n == 0)
        return NULL;
    size_t ub = upper_bound(t, addr);
    if (ub == 0)
        return NULL;
    /* Among several symbols at the same address, the first added. */
    uint64_t a = t->sym[t->by_addr[ub - 1]].addr;
    size_t i = ub - 1;
    while (i > 0 && t->sym[t->by_addr[i - 1]].addr == a)
        i--;
    if (off)
        *off = addr - a;
    return t->arena + t->sym[t->by_addr[i]].name;
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
    for (size_t i = 0; i < t->n; i++)
        if (t->sym[i].addr >= from)
            t->sym[i].addr += slide;
    /* A wrapping slide could reorder; if memory runs out the old order
     * stays, which is still right for a slide that does not wrap. */
    if (t->finished)
        (void)sort_by_addr(t);
}

bool lx_symtab_get(const lx_symtab_t *t, size_t i, const char **name, uint64_t *addr,
                   char *type)
{
    if (!t || !t->finished || i >= t->n)
        return false;
    const lx_sym_t *s = &t->sym[t->by_addr[i]];
    if (name)
        *name = t->arena + s->name;
    if (addr)
        *addr = s->addr;
    if (type)
        *type = s->type;
    return true;
}

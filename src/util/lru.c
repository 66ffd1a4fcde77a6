/*
 * lru.c - the bounded LRU cache with (k1, k2) -> u64 entries (see lru.h).
 *
 * It sits under every virtual-memory read (the v2p and page caches), so get()
 * is kept short: one mix of the keys, one bucket load, a chain walk that is
 * about one entry long, and a move to the front of the recency list that is
 * skipped when the entry already is the front.
 *
 * Layout, all allocated in util_lru_new and never again:
 *  - ent[0 .. capacity-1]: the entries.  They point at each other by 32-bit
 *    index rather than pointer, which keeps an entry at 40 bytes.
 *  - ent[capacity]: the sentinel of the circular, doubly linked recency list
 *    (sentinel.next is the most, sentinel.prev the least recently used).
 *    With a sentinel, linking and unlinking need no head/tail special cases.
 *  - bucket[]: a power-of-two array (at least capacity long, so chains stay
 *    about one entry) of chain heads; entries in one bucket are chained
 *    through hnext.
 *  - entries freed after use form a free list through their next field;
 *    entries never used are taken in order from `fresh`, so a big cache
 *    that stays mostly empty writes (and makes resident) only the entries
 *    it uses.
 *
 * This file must not allocate outside util_lru_new, and must not call the
 * evict callback while the entry being evicted is still reachable.
 */
#include "util/lru.h"

#include "util/hash.h"

#include <stdlib.h>

#define NIL UINT32_MAX

typedef struct lru_entry {
    uint64_t k1, k2, val;
    uint32_t prev, next; /* recency list; a free entry uses next for the free list */
    uint32_t hnext;      /* bucket chain */
} lru_entry_t;

struct util_lru {
    lru_entry_t *ent;    /* capacity + 1, the last being the sentinel */
    uint32_t *bucket;
    uint64_t mask;       /* bucket count - 1 */
    uint32_t sentinel;   /* == capacity */
    uint32_t free_head;
    uint32_t fresh;      /* entries [fresh, capacity) were never used */
    size_t count;
    size_t capacity;
    util_lru_evict_fn evict;
    void *ctx;
};

/* Multiplying k2 by an odd constant is a bijection, so for one k1 (one page
 * table) distinct pages never collide before the mix; the mix then spreads
 * page-aligned inputs over the low bits the mask keeps. */
static inline size_t lru_bucket(const util_lru_t *c, uint64_t k1, uint64_t k2)
{
    return (size_t)(util_hash_mix64(k1 ^ (k2 * UINT64_C(0x9e3779b97f4a7c15))) & c->mask);
}

static inline void list_unlink(lru_entry_t *ent, uint32_t i)
{
    uint32_t p = ent[i].prev, n = ent[i].next;

    ent[p].next = n;
    ent[n].prev = p;
}

static inline void list_push_front(util_lru_t *c, uint32_t i)
{
    lru_entry_t *ent = c->ent;
    uint32_t s = c->sentinel, first = ent[s].next;

    ent[i].prev = s;
    ent[i].next = first;
    ent[first].prev = i;
    ent[s].next = i;
}

/* Take entry i out of its bucket chain and the recency list and put it on the
 * free list.  Its keys and value stay readable until it is reused. */
static void drop(util_lru_t *c, uint32_t i)
{
    lru_entry_t *ent = c->ent;
    uint32_t *link = &c->bucket[lru_bucket(c, ent[i].k1, ent[i].k2)];

    while (*link != i)
        link = &ent[*link].hnext; /* i is on this chain: it was put there */
    *link = ent[i].hnext;
    list_unlink(ent, i);
    ent[i].next = c->free_head;
    c->free_head = i;
    c->count--;
}

util_lru_t *util_lru_new(size_t capacity, util_lru_evict_fn evict, void *ctx)
{
    util_lru_t *c;
    size_t nbuckets = 1;

    /* The sentinel's index (capacity) must differ from NIL. */
    if (capacity == 0 || capacity >= NIL || capacity + 1 > SIZE_MAX / sizeof(lru_entry_t))
        return NULL;
    while (nbuckets < capacity)
        nbuckets *= 2;
    if (nbuckets > SIZE_MAX / sizeof(uint32_t))
        return NULL;

    c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->ent = malloc((capacity + 1) * sizeof(*c->ent));
    c->bucket = malloc(nbuckets * sizeof(*c->bucket));
    if (!c->ent || !c->bucket) {
        free(c->ent);
        free(c->bucket);
        free(c);
        return NULL;
    }
    for (size_t b = 0; b < nbuckets; b++)
        c->bucket[b] = NIL;
    c->free_head = NIL;
    c->fresh = 0;
    c->sentinel = (uint32_t)capacity;
    c->ent[capacity].prev = c->ent[capacity].next = (uint32_t)capacity;
    c->mask = nbuckets - 1;
    c->capacity = capacity;
    c->evict = evict;
    c->ctx = ctx;
    return c;
}

void util_lru_free(util_lru_t *c)
{
    if (!c)
        return;
    util_lru_clear(c);
    free(c->ent);
    free(c->bucket);
    free(c);
}

bool util_lru_get(util_lru_t *c, uint64_t k1, uint64_t k2, uint64_t *val)
{
    lru_entry_t *ent = c->ent;
    uint32_t i = c->bucket[lru_bucket(c, k1, k2)];

    while (i != NIL) {
        lru_entry_t *e = &ent[i];
        if (((e->k1 ^ k1) | (e->k2 ^ k2)) == 0) {
            /* Reads cluster in one page: leave the front entry alone. */
            if (ent[c->sentinel].next != i) {
                list_unlink(ent, i);
                list_push_front(c, i);
            }
            if (val)
                *val = e->val;
            return true;
        }
        i = e->hnext;
    }
    return false;
}

void util_lru_put(util_lru_t *c, uint64_t k1, uint64_t k2, uint64_t val)
{
    lru_entry_t *ent = c->ent;
    size_t b = lru_bucket(c, k1, k2);
    uint32_t i;
    bool evicted = false;
    uint64_t ek1 = 0, ek2 = 0, ev = 0;

    for (i = c->bucket[b]; i != NIL; i = ent[i].hnext) {
        if (ent[i].k1 == k1 && ent[i].k2 == k2) {
            uint64_t old = ent[i].val;
            ent[i].val = val;
            list_unlink(ent, i);
            list_push_front(c, i);
            if (old != val && c->evict)
                c->evict(c->ctx, k1, k2, old);
            return;
        }
    }

    if (c->count == c->capacity) {
        uint32_t lru = ent[c->sentinel].prev;
        ek1 = ent[lru].k1;
        ek2 = ent[lru].k2;
        ev = ent[lru].val;
        evicted = true;
        drop(c, lru); /* puts it on the free list, where we take it next */
    }
    if (c->free_head != NIL) {
        i = c->free_head;
        c->free_head = ent[i].next;
    } else {
        i = c->fresh++; /* count < capacity: one is left */
    }
    ent[i].k1 = k1;
    ent[i].k2 = k2;
    ent[i].val = val;
    ent[i].hnext = c->bucket[b];
    c->bucket[b] = i;
    list_push_front(c, i);
    c->count++;
    /* Only now, with the cache whole again, tell the owner. */
    if (evicted && c->evict)
        c->evict(c->ctx, ek1, ek2, ev);
}

bool util_lru_remove(util_lru_t *c, uint64_t k1, uint64_t k2)
{
    lru_entry_t *ent = c->ent;
    uint32_t i;

    for (i = c->bucket[lru_bucket(c, k1, k2)]; i != NIL; i = ent[i].hnext) {
        if (ent[i].k1 == k1 && ent[i].k2 == k2) {
            uint64_t v = ent[i].val;
            drop(c, i);
            if (c->evict)
                c->evict(c->ctx, k1, k2, v);
            return true;
        }
    }
    return false;
}

size_t util_lru_remove_if(util_lru_t *c, util_lru_pred_fn pred, void *ctx)
{
    lru_entry_t *ent = c->ent;
    uint32_t s = c->sentinel, i = ent[s].next;
    size_t removed = 0;

    while (i != s) {
        uint32_t next = ent[i].next; /* taken before i may be dropped */
        uint64_t k1 = ent[i].k1, k2 = ent[i].k2, v = ent[i].val;

        if (pred(ctx, k1, k2, v)) {
            drop(c, i);
            removed++;
            if (c->evict)
                c->evict(c->ctx, k1, k2, v);
        }
        i = next;
    }
    return removed;
}

/* Least recently used first, the order eviction would have used. */
void util_lru_clear(util_lru_t *c)
{
    lru_entry_t *ent;

    if (!c)
        return;
    ent = c->ent;
    while (c->count) {
        uint32_t i = ent[c->sentinel].prev;
        uint64_t k1 = ent[i].k1, k2 = ent[i].k2, v = ent[i].val;

        drop(c, i);
        if (c->evict)
            c->evict(c->ctx, k1, k2, v);
    }
}

size_t util_lru_count(const util_lru_t *c)
{
    return c ? c->count : 0;
}

size_t util_lru_capacity(const util_lru_t *c)
{
    return c ? c->capacity : 0;
}

void util_lru_foreach(const util_lru_t *c, util_lru_pred_fn fn, void *ctx)
{
    const lru_entry_t *ent = c->ent;
    uint32_t s = c->sentinel;

    for (uint32_t i = ent[s].next; i != s; i = ent[i].next)
        if (!fn(ctx, ent[i].k1, ent[i].k2, ent[i].val))
            break;
}

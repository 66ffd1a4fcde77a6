/*
 * hash.c - the general chained hash table (see hash.h).
 *
 * Each bucket is a singly linked chain of entries.  An entry remembers its
 * mixed hash, so growing never calls the caller's hash function again and a
 * lookup compares hashes before calling the (possibly costly) equality
 * function.  The caller's hash is put through util_hash_mix64 before masking,
 * because callers often hand in weak hashes (a pointer, a page number) whose
 * low bits alone would pile into few buckets.
 *
 * This file must not know anything about what the keys mean, and must never
 * call a free function while an entry is still reachable from the table.
 */
#include "util/hash.h"

#include <stdlib.h>
#include <string.h>

/* The external definitions of the inline functions declared in hash.h. */
extern inline uint64_t util_hash_mix64(uint64_t x);
extern inline uint64_t util_fnv1a(uint64_t h, const void *p, size_t n);

#define HASH_MIN_BUCKETS 16

typedef struct hash_entry {
    struct hash_entry *next;
    void *key;
    void *val;
    uint64_t hash;
} hash_entry_t;

struct util_hash {
    hash_entry_t **buckets;
    size_t nbuckets; /* always a power of two */
    size_t count;
    util_hash_fn hash;
    util_hash_eq_fn eq;
    util_hash_free_fn key_free;
    util_hash_free_fn val_free;
};

static uint64_t hash_of(const util_hash_t *h, const void *key)
{
    return util_hash_mix64(h->hash(key));
}

static size_t bucket_of(const util_hash_t *h, uint64_t hash)
{
    return (size_t)(hash & (h->nbuckets - 1));
}

/* The link that points at the entry for key (so it can be unlinked), or the
 * NULL link ending the chain when the key is absent. */
static hash_entry_t **find_link(const util_hash_t *h, const void *key, uint64_t hash)
{
    hash_entry_t **link = &h->buckets[bucket_of(h, hash)];
    while (*link) {
        hash_entry_t *e = *link;
        if (e->hash == hash && h->eq(e->key, key))
            return link;
        link = &e->next;
    }
    return link;
}

static void free_entry(const util_hash_t *h, hash_entry_t *e)
{
    if (h->key_free)
        h->key_free(e->key);
    if (h->val_free)
        h->val_free(e->val);
    free(e);
}

util_hash_t *util_hash_new(util_hash_fn hash, util_hash_eq_fn eq,
                           util_hash_free_fn key_free, util_hash_free_fn val_free)
{
    util_hash_t *h;

    if (!hash || !eq)
        return NULL;
    h = calloc(1, sizeof(*h));
    if (!h)
        return NULL;
    h->buckets = calloc(HASH_MIN_BUCKETS, sizeof(*h->buckets));
    if (!h->buckets) {
        free(h);
        return NULL;
    }
    h->nbuckets = HASH_MIN_BUCKETS;
    h->hash = hash;
    h->eq = eq;
    h->key_free = key_free;
    h->val_free = val_free;
    return h;
}

void util_hash_clear(util_hash_t *h)
{
    if (!h)
        return;
    for (size_t b = 0; b < h->nbuckets; b++) {
        hash_entry_t *e = h->buckets[b];
        /* Detach the whole chain first: a free function then never sees a
         * table that still points at freed memory. */
        h->buckets[b] = NULL;
        while (e) {
            hash_entry_t *next = e->next;
            h->count--;
            free_entry(h, e);
            e = next;
        }
    }
}

void util_hash_free(util_hash_t *h)
{
    if (!h)
        return;
    util_hash_clear(h);
    free(h->buckets);
    free(h);
}

/* Double the bucket array.  Failure is harmless: the table just stays
 * more loaded than we would like. */
static void grow(util_hash_t *h)
{
    size_t n = h->nbuckets * 2;
    hash_entry_t **nb;

    if (n < h->nbuckets || n > SIZE_MAX / sizeof(*nb))
        return;
    nb = calloc(n, sizeof(*nb));
    if (!nb)
        return;
    for (size_t b = 0; b < h->nbuckets; b++) {
        hash_entry_t *e = h->buckets[b];
        while (e) {
            hash_entry_t *next = e->next;
            size_t i = (size_t)(e->hash & (n - 1));
            e->next = nb[i];
            nb[i] = e;
            e = next;
        }
    }
    free(h->buckets);
    h->buckets = nb;
    h->nbuckets = n;
}

bool util_hash_insert(util_hash_t *h, void *key, void *val)
{
    uint64_t hash;
    hash_entry_t **link, *e;

    if (!h)
        return false;
    hash = hash_of(h, key);
    link = find_link(h, key, hash);
    if (*link) {
        void *old_key, *old_val;

        e = *link;
        old_key = e->key;
        old_val = e->val;
        e->key = key;
        e->val = val;
        /* Re-inserting the very same pointer must not free what we keep. */
        if (h->key_free && old_key != key)
            h->key_free(old_key);
        if (h->val_free && old_val != val)
            h->val_free(old_val);
        return true;
    }

    e = malloc(sizeof(*e));
    if (!e)
        return false;
    e->key = key;
    e->val = val;
    e->hash = hash;
    /* Grow before linking: growing moves chains, so the link found above
     * would be stale; the bucket is recomputed below. */
    if (h->count + 1 > h->nbuckets / 4 * 3)
        grow(h);
    link = &h->buckets[bucket_of(h, hash)];
    e->next = *link;
    *link = e;
    h->count++;
    return true;
}

void *util_hash_lookup(const util_hash_t *h, const void *key)
{
    hash_entry_t *e;

    if (!h)
        return NULL;
    e = *find_link(h, key, hash_of(h, key));
    return e ? e->val : NULL;
}

bool util_hash_contains(const util_hash_t *h, const void *key)
{
    if (!h)
        return false;
    return *find_link(h, key, hash_of(h, key)) != NULL;
}

bool util_hash_remove(util_hash_t *h, const void *key)
{
    hash_entry_t **link, *e;

    if (!h)
        return false;
    link = find_link(h, key, hash_of(h, key));
    e = *link;
    if (!e)
        return false;
    *link = e->next;
    h->count--;
    free_entry(h, e);
    return true;
}

size_t util_hash_count(const util_hash_t *h)
{
    return h ? h->count : 0;
}

/* Iteration: it->next is the rest of the current chain, it->bucket the next
 * bucket to look at once that chain ends.  Because the next entry is taken
 * before the current one is handed out, removing the current entry cannot
 * derail the walk, and removal never resizes the table. */
void util_hash_iter_init(util_hash_t *h, util_hash_iter_t *it)
{
    it->h = h;
    it->bucket = 0;
    it->cur = NULL;
    it->next = NULL;
}

bool util_hash_iter_next(util_hash_iter_t *it, void **key, void **val)
{
    util_hash_t *h = it->h;
    hash_entry_t *e = it->next;

    if (!h)
        return false;
    while (!e && it->bucket < h->nbuckets)
        e = h->buckets[it->bucket++];
    it->cur = e;
    if (!e) {
        it->next = NULL;
        return false;
    }
    it->next = e->next;
    if (key)
        *key = e->key;
    if (val)
        *val = e->val;
    return true;
}

void util_hash_iter_remove(util_hash_iter_t *it)
{
    util_hash_t *h = it->h;
    hash_entry_t *cur = it->cur, **link;

    if (!h || !cur)
        return;
    it->cur = NULL; /* a second call for the same entry does nothing */
    link = &h->buckets[bucket_of(h, cur->hash)];
    while (*link && *link != cur)
        link = &(*link)->next;
    if (!*link)
        return;
    *link = cur->next;
    h->count--;
    free_entry(h, cur);
}

/* FNV-1a over the bytes; the table mixes the result, so FNV's weak high
 * bits do not matter. */
uint64_t util_hash_str(const void *key)
{
    return util_fnv1a(UTIL_FNV1A_BASIS, key, strlen(key));
}

bool util_hash_str_eq(const void *a, const void *b)
{
    return strcmp(a, b) == 0;
}

uint64_t util_hash_u64(const void *key)
{
    return util_hash_mix64(*(const uint64_t *)key);
}

bool util_hash_u64_eq(const void *a, const void *b)
{
    return *(const uint64_t *)a == *(const uint64_t *)b;
}

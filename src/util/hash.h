/*
 * hash.h - a general hash table (the core's replacement for GHashTable).
 *
 * Keys and values are opaque pointers; the table calls the caller's hash and
 * equality functions, and the optional free functions when an entry leaves the
 * table (removal, replacement, destruction).  Chained buckets; the table grows
 * by doubling when the load passes 3/4, so inserts are amortised O(1).
 *
 * Iteration is safe against removing the current entry through
 * util_hash_iter_remove(); any other change during iteration is not allowed
 * (an insert may grow the table and would make the iterator skip or repeat
 * entries).  The free functions must not touch the table they are called for.
 */
#ifndef TINYVMI_UTIL_HASH_H
#define TINYVMI_UTIL_HASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct util_hash util_hash_t;
typedef uint64_t (*util_hash_fn)(const void *key);
typedef bool (*util_hash_eq_fn)(const void *a, const void *b);
typedef void (*util_hash_free_fn)(void *p);

/* Returns NULL only when memory runs out. */
util_hash_t *util_hash_new(util_hash_fn hash, util_hash_eq_fn eq,
                           util_hash_free_fn key_free, util_hash_free_fn val_free);
void util_hash_free(util_hash_t *h);

/* Insert or replace; on replace the old key and value are freed (each only if
 * it is not the very pointer being inserted) and the new key is kept.
 * Returns false only when memory runs out (the table is unchanged then). */
bool util_hash_insert(util_hash_t *h, void *key, void *val);
/* The value, or NULL when absent (store no NULL values if you need to tell). */
void *util_hash_lookup(const util_hash_t *h, const void *key);
bool util_hash_contains(const util_hash_t *h, const void *key);
/* Remove and free the entry; false when absent. */
bool util_hash_remove(util_hash_t *h, const void *key);
void util_hash_clear(util_hash_t *h);
size_t util_hash_count(const util_hash_t *h);

typedef struct util_hash_iter {
    util_hash_t *h;
    size_t bucket;
    void *cur;  /* entry returned last */
    void *next; /* entry to return next */
} util_hash_iter_t;

void util_hash_iter_init(util_hash_t *h, util_hash_iter_t *it);
bool util_hash_iter_next(util_hash_iter_t *it, void **key, void **val);
/* Remove the entry returned by the last util_hash_iter_next(). */
void util_hash_iter_remove(util_hash_iter_t *it);

/* Ready-made key functions. */
uint64_t util_hash_str(const void *key);          /* NUL-terminated string */
bool util_hash_str_eq(const void *a, const void *b);
uint64_t util_hash_u64(const void *key);          /* key points at a uint64_t */
bool util_hash_u64_eq(const void *a, const void *b);
/* FNV-1a over n bytes, continuing from h (start from UTIL_FNV1A_BASIS):
 * for short string keys, where nothing stronger is needed; a caller can
 * hash a key that arrives in pieces.  util_hash_str is this over the
 * string. */
#define UTIL_FNV1A_BASIS UINT64_C(0xcbf29ce484222325)
inline uint64_t util_fnv1a(uint64_t h, const void *p, size_t n)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= UINT64_C(0x100000001b3);
    }
    return h;
}
/* A 64-bit mixer (splitmix64 finaliser) for callers with integer keys.  It is
 * a bijection, so distinct inputs never collide before the bucket mask.
 * Defined here (C99 inline) so hot callers such as the LRU can inline it;
 * hash.c provides the one external definition for calls that are not. */
inline uint64_t util_hash_mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= UINT64_C(0xbf58476d1ce4e5b9);
    x ^= x >> 27;
    x *= UINT64_C(0x94d049bb133111eb);
    x ^= x >> 31;
    return x;
}

#endif

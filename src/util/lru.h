/*
 * lru.h - a bounded least-recently-used cache with integer keys.
 *
 * Keys are pairs of 64-bit integers (a v2p entry is keyed by page-table base
 * and virtual page, a page by frame number and 0); values are one 64-bit
 * integer (a physical address with flags in its low bits, or a pointer).  All
 * storage is allocated once at creation: a cache never grows past its
 * capacity, and get/put never allocate.  When full, put evicts the least
 * recently used entry.  The evict callback, if any, sees every value that
 * leaves the cache (eviction, replacement, removal, clear, free), so a cache
 * of mapped pages can unmap them.  It is called after the entry has left, and
 * must not change the cache.
 */
#ifndef TINYVMI_UTIL_LRU_H
#define TINYVMI_UTIL_LRU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct util_lru util_lru_t;
typedef void (*util_lru_evict_fn)(void *ctx, uint64_t k1, uint64_t k2, uint64_t val);
typedef bool (*util_lru_pred_fn)(void *ctx, uint64_t k1, uint64_t k2, uint64_t val);

/* capacity >= 1 (and below 2^32-1).  Returns NULL when memory runs out or
 * the capacity is out of range. */
util_lru_t *util_lru_new(size_t capacity, util_lru_evict_fn evict, void *ctx);
void util_lru_free(util_lru_t *c);

/* On a hit, stores the value in *val (if non-NULL), makes the entry the most
 * recently used and returns true. */
bool util_lru_get(util_lru_t *c, uint64_t k1, uint64_t k2, uint64_t *val);
/* Insert or replace, as most recently used.  When full, the least recently
 * used entry is evicted first.  Replacing a key's value with a different value
 * passes the old value to evict; putting the value a key already holds only
 * makes it most recently used (nothing left the cache, so nothing is evicted,
 * and a mapped page stays mapped). */
void util_lru_put(util_lru_t *c, uint64_t k1, uint64_t k2, uint64_t val);
/* Remove one entry (evict sees its value); false when absent. */
bool util_lru_remove(util_lru_t *c, uint64_t k1, uint64_t k2);
/* Remove every entry for which pred returns true (evict sees each one); the
 * others stay, in their recency order.  Entries are visited most recently
 * used first; pred must not change the cache.  Returns how many were removed. */
size_t util_lru_remove_if(util_lru_t *c, util_lru_pred_fn pred, void *ctx);
/* Empty the cache, evicting least recently used first (free does the same). */
void util_lru_clear(util_lru_t *c);

size_t util_lru_count(const util_lru_t *c);
size_t util_lru_capacity(const util_lru_t *c);

/* Walk from most to least recently used without changing the order; stops
 * early when fn returns false.  fn must not change the cache. */
void util_lru_foreach(const util_lru_t *c, util_lru_pred_fn fn, void *ctx);

#endif

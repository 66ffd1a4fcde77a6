/*
 * cache.c - the instance's bounded caches and their flush calls.
 *
 * v2p:   (page-table root | mode, virtual page) -> physical page.  A TLB.
 * pages: physical frame -> malloc'd 4 KiB copy, only for drivers that cannot
 *        map guest memory; file images are read in place and skip it.
 * pid:   pid -> page-table root.
 * sym:   "base:pid:name" -> address (OS lookups), bounded by a count.
 * Sizes come from config keys v2p_cache_size, page_cache_size,
 * pid_cache_size, sym_cache_size.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "core/instance.h"
#include "util/strutil.h"

static void page_evict(void *ctx, uint64_t k1, uint64_t k2, uint64_t val)
{
    free((void *)(uintptr_t)val);
}

static size_t cache_size(vmi_instance_t vmi, const char *key, size_t dflt, bool *bad)
{
    uint64_t v;
    if (!config_get(vmi->config, key))
        return dflt;
    if (!config_get_u64(vmi->config, key, &v, &vmi->err) || v < 1 || v > (1u << 24)) {
        if (!*bad)
            util_err_set(&vmi->err, "config %s = %s: must be a number from 1 to %u", key,
                         config_get(vmi->config, key), 1u << 24);
        *bad = true;
        return dflt;
    }
    return (size_t)v;
}

status_t core_caches_create(vmi_instance_t vmi)
{
    bool bad = false;
    size_t v2p = cache_size(vmi, "v2p_cache_size", CORE_V2P_CACHE_DEFAULT, &bad);
    size_t pages = cache_size(vmi, "page_cache_size", CORE_PAGE_CACHE_DEFAULT, &bad);
    size_t pids = cache_size(vmi, "pid_cache_size", CORE_PID_CACHE_DEFAULT, &bad);
    vmi->symcache_max = cache_size(vmi, "sym_cache_size", CORE_SYM_CACHE_DEFAULT, &bad);
    if (bad)
        return VMI_FAILURE;

    vmi->v2p = util_lru_new(v2p, NULL, NULL);
    vmi->pages = util_lru_new(pages, page_evict, NULL);
    vmi->pidcache = util_lru_new(pids, NULL, NULL);
    vmi->symcache = util_hash_new(util_hash_str, util_hash_str_eq, free, free);
    vmi->rvacache = util_hash_new(util_hash_str, util_hash_str_eq, free, free);
    if (!vmi->v2p || !vmi->pages || !vmi->pidcache || !vmi->symcache || !vmi->rvacache) {
        util_err_set(&vmi->err, "out of memory creating caches");
        return VMI_FAILURE;
    }
    return VMI_SUCCESS;
}

void core_caches_destroy(vmi_instance_t vmi)
{
    util_lru_free(vmi->v2p);
    util_lru_free(vmi->pages);
    util_lru_free(vmi->pidcache);
    util_hash_free(vmi->symcache);
    util_hash_free(vmi->rvacache);
    vmi->v2p = vmi->pages = vmi->pidcache = NULL;
    vmi->symcache = vmi->rvacache = NULL;
}

static bool v2p_match_pt(void *ctx, uint64_t k1, uint64_t k2, uint64_t val)
{
    return (k1 & ~CORE_V2P_MODE_MASK) == *(const uint64_t *)ctx;
}

static void v2pcache_flush_impl(vmi_instance_t vmi, addr_t pt)
{
    uint64_t base;
    if (!vmi || !vmi->v2p)
        return;
    if (pt == ~0ULL) {
        util_lru_clear(vmi->v2p);
        return;
    }
    /* Callers pass CR3 values: drop PCID / flag bits the same way lookups do. */
    base = arch_x86_dtb_base(vmi->pmode == ARCH_X86_NONE ? ARCH_X86_IA32E_4 : vmi->pmode, pt);
    util_lru_remove_if(vmi->v2p, v2p_match_pt, &base);
}

void vmi_v2pcache_flush(vmi_instance_t vmi, addr_t pt)
{
    CORE_API_VOID(vmi, v2pcache_flush_impl(vmi, pt));
}

static void v2pcache_add_impl(vmi_instance_t vmi, addr_t va, addr_t pt, addr_t pa)
{
    if (!vmi || !vmi->v2p)
        return;
    util_lru_put(vmi->v2p, core_v2p_key(vmi->pmode, pt), va >> 12,
                 pa & ~0xfffULL);
}

void vmi_v2pcache_add(vmi_instance_t vmi, addr_t va, addr_t pt, addr_t pa)
{
    CORE_API_VOID(vmi, v2pcache_add_impl(vmi, va, pt, pa));
}

static void v2pcache_nested_flush_impl(vmi_instance_t vmi, addr_t pt, addr_t npt)
{
    /* No nested translations are cached (none are supported yet). */
}

void vmi_v2pcache_nested_flush(vmi_instance_t vmi, addr_t pt, addr_t npt)
{
    CORE_API_VOID(vmi, v2pcache_nested_flush_impl(vmi, pt, npt));
}

static void v2pcache_nested_add_impl(vmi_instance_t vmi, addr_t va, addr_t pt, addr_t npt, addr_t pa)
{
}

void vmi_v2pcache_nested_add(vmi_instance_t vmi, addr_t va, addr_t pt, addr_t npt, addr_t pa)
{
    CORE_API_VOID(vmi, v2pcache_nested_add_impl(vmi, va, pt, npt, pa));
}

static void pagecache_flush_impl(vmi_instance_t vmi)
{
    if (vmi && vmi->pages)
        util_lru_clear(vmi->pages);
}

void vmi_pagecache_flush(vmi_instance_t vmi)
{
    CORE_API_VOID(vmi, pagecache_flush_impl(vmi));
}

static void pidcache_flush_impl(vmi_instance_t vmi)
{
    if (vmi && vmi->pidcache)
        util_lru_clear(vmi->pidcache);
}

void vmi_pidcache_flush(vmi_instance_t vmi)
{
    CORE_API_VOID(vmi, pidcache_flush_impl(vmi));
}

static void pidcache_add_impl(vmi_instance_t vmi, vmi_pid_t pid, addr_t dtb)
{
    if (vmi && vmi->pidcache)
        util_lru_put(vmi->pidcache, (uint32_t)pid, 0, dtb);
}

void vmi_pidcache_add(vmi_instance_t vmi, vmi_pid_t pid, addr_t dtb)
{
    CORE_API_VOID(vmi, pidcache_add_impl(vmi, pid, dtb));
}

static void symcache_flush_impl(vmi_instance_t vmi)
{
    if (vmi && vmi->symcache)
        util_hash_clear(vmi->symcache);
}

void vmi_symcache_flush(vmi_instance_t vmi)
{
    CORE_API_VOID(vmi, symcache_flush_impl(vmi));
}

static void rvacache_flush_impl(vmi_instance_t vmi)
{
    if (vmi && vmi->rvacache)
        util_hash_clear(vmi->rvacache);
}

void vmi_rvacache_flush(vmi_instance_t vmi)
{
    CORE_API_VOID(vmi, rvacache_flush_impl(vmi));
}

/* Bounded by count: when full, start over (simple, and lookups are cheap to
 * redo from the OS layer's own index). */
static void bounded_insert(util_hash_t *h, size_t max, char *key, void *val)
{
    if (util_hash_count(h) >= max)
        util_hash_clear(h);
    if (!util_hash_insert(h, key, val)) {
        free(key);
        free(val);
    }
}

char *core_symcache_key(addr_t base, vmi_pid_t pid, const char *sym)
{
    size_t n = strlen(sym) + 48;
    char *k = malloc(n);
    if (k)
        snprintf(k, n, "%" PRIx64 ":%d:%s", (uint64_t)base, (int)pid, sym);
    return k;
}

static void symcache_add_impl(vmi_instance_t vmi, addr_t base_addr, vmi_pid_t pid, char *sym, addr_t va)
{
    char *k;
    addr_t *v;
    if (!vmi || !vmi->symcache || !sym)
        return;
    k = core_symcache_key(base_addr, pid, sym);
    v = malloc(sizeof(*v));
    if (!k || !v) {
        free(k);
        free(v);
        return;
    }
    *v = va;
    bounded_insert(vmi->symcache, vmi->symcache_max, k, v);
}

void vmi_symcache_add(vmi_instance_t vmi, addr_t base_addr, vmi_pid_t pid, char *sym, addr_t va)
{
    CORE_API_VOID(vmi, symcache_add_impl(vmi, base_addr, pid, sym, va));
}

static void rvacache_add_impl(vmi_instance_t vmi, addr_t base_addr, vmi_pid_t pid, addr_t rva, char *sym)
{
    char buf[64], *k, *v;
    if (!vmi || !vmi->rvacache || !sym)
        return;
    snprintf(buf, sizeof(buf), "%" PRIx64 ":%d:%" PRIx64, (uint64_t)base_addr, (int)pid,
             (uint64_t)rva);
    k = util_strdup(buf);
    v = util_strdup(sym);
    if (!k || !v) {
        free(k);
        free(v);
        return;
    }
    bounded_insert(vmi->rvacache, vmi->symcache_max, k, v);
}

void vmi_rvacache_add(vmi_instance_t vmi, addr_t base_addr, vmi_pid_t pid, addr_t rva, char *sym)
{
    CORE_API_VOID(vmi, rvacache_add_impl(vmi, base_addr, pid, rva, sym));
}

static void get_cache_stats_impl(vmi_instance_t vmi, tvmi_cache_stats_t *s)
{
    if (!vmi)
        return;
    if (!s) {
        core_error(vmi, "a required argument is NULL (stats)");
        return;
    }
    s->v2p_hits = vmi->v2p_hits;
    s->v2p_misses = vmi->v2p_misses;
    s->v2p_entries = util_lru_count(vmi->v2p);
    s->v2p_capacity = util_lru_capacity(vmi->v2p);
    s->page_hits = vmi->page_hits;
    s->page_misses = vmi->page_misses;
    s->page_entries = util_lru_count(vmi->pages);
    s->page_capacity = util_lru_capacity(vmi->pages);
}

void tvmi_get_cache_stats(vmi_instance_t vmi, tvmi_cache_stats_t *s)
{
    CORE_API_VOID(vmi, get_cache_stats_impl(vmi, s));
}

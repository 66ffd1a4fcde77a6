/*
 * memory.c - guest-physical reads: the bottom of every read the core makes.
 *
 * Drivers that map guest memory (images) are read in place.  Others are read
 * a page at a time into the page cache, so repeated page-table walks over a
 * live target do not cross into the hypervisor for every entry.  Config
 * `page_cache = 1` sends a mapping driver through the cache too, so the
 * cache's path is tested on real images before live drivers need it.
 */
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "core/instance.h"

#define PAGE_SIZE_4K 4096u

/* One page of a non-mapping driver, through the page cache. */
static const uint8_t *cached_page(vmi_instance_t vmi, addr_t pfn, util_err_t *err)
{
    uint64_t val;
    uint8_t *page;
    size_t done = 0;

    if (util_lru_get(vmi->pages, pfn, 0, &val)) {
        vmi->page_hits++;
        return (const uint8_t *)(uintptr_t)val;
    }
    vmi->page_misses++;
    page = malloc(PAGE_SIZE_4K);
    if (!page) {
        util_err_set(err, "out of memory for the page cache");
        return NULL;
    }
    if (vmi->drv->read(vmi->drv_state, pfn << 12, page, PAGE_SIZE_4K, &done, err) !=
        VMI_SUCCESS) {
        free(page);
        return NULL;
    }
    util_lru_put(vmi->pages, pfn, 0, (uint64_t)(uintptr_t)page);
    return page;
}

static status_t read_via_cache(vmi_instance_t vmi, addr_t pa, void *buf, size_t len,
                               size_t *done, util_err_t *err)
{
    uint8_t *out = buf;
    *done = 0;
    while (*done < len) {
        addr_t cur = pa + *done;
        size_t off = cur & (PAGE_SIZE_4K - 1);
        size_t n = PAGE_SIZE_4K - off;
        const uint8_t *page;
        if (n > len - *done)
            n = len - *done;
        page = cached_page(vmi, cur >> 12, err);
        if (!page)
            return VMI_FAILURE;
        memcpy(out + *done, page + off, n);
        *done += n;
    }
    return VMI_SUCCESS;
}

status_t core_read_pa(vmi_instance_t vmi, addr_t pa, void *buf, size_t len, size_t *done)
{
    size_t dummy;
    status_t rc;

    if (!done)
        done = &dummy;
    *done = 0;
    if (len == 0)
        return VMI_SUCCESS;
    if (pa + len < pa) {
        core_error(vmi, "physical read of %zu bytes at 0x%llx wraps around", len,
                   (unsigned long long)pa);
        return VMI_FAILURE;
    }
    if (!vmi->via_page_cache)
        rc = vmi->drv->read(vmi->drv_state, pa, buf, len, done, &vmi->err);
    else
        rc = read_via_cache(vmi, pa, buf, len, done, &vmi->err);
    return rc;
}

/* The page walker's entry reader: the hottest path in the library.  Maps in
 * place when the driver can; otherwise goes through the page cache. */
status_t core_read_entry(void *ctx, addr_t pa, unsigned size, uint64_t *value,
                         util_err_t *err)
{
    vmi_instance_t vmi = ctx;
    const uint8_t *p;
    uint64_t v = 0;
    size_t done;

    if (!vmi->via_page_cache) {
        p = vmi->drv->map(vmi->drv_state, pa, size, err);
        if (!p)
            return VMI_FAILURE;
    } else {
        if ((pa & (PAGE_SIZE_4K - 1)) + size > PAGE_SIZE_4K) {
            uint8_t tmp[8];
            if (read_via_cache(vmi, pa, tmp, size, &done, err) != VMI_SUCCESS)
                return VMI_FAILURE;
            p = tmp;
            memcpy(&v, p, size);
            *value = v;
            return VMI_SUCCESS;
        }
        p = cached_page(vmi, pa >> 12, err);
        if (!p)
            return VMI_FAILURE;
        p += pa & (PAGE_SIZE_4K - 1);
    }
    /* x86 is little-endian and so are we (x86 hosts); memcpy avoids
     * unaligned-access undefined behaviour. */
    memcpy(&v, p, size);
    *value = v;
    return VMI_SUCCESS;
}

const void *core_map_static(vmi_instance_t vmi, addr_t pa, size_t len)
{
    util_err_t ignored;
    if (!vmi->drv->map || vmi->drv->alive || len == 0)
        return NULL;
    return vmi->drv->map(vmi->drv_state, pa, len, &ignored);
}

/* Whole pages for the paging scan: in place when the driver maps, else a
 * copy into buf (not through the page cache: a scan touches every page once
 * and would only evict what is worth keeping). */
const void *core_read_page(void *ctx, addr_t pa, void *buf, util_err_t *err)
{
    vmi_instance_t vmi = ctx;
    size_t done;
    if (vmi->drv->map)
        return vmi->drv->map(vmi->drv_state, pa, PAGE_SIZE_4K, err);
    if (vmi->drv->read(vmi->drv_state, pa, buf, PAGE_SIZE_4K, &done, err) != VMI_SUCCESS)
        return NULL;
    return buf;
}

/* The start of the first RAM range ending above pa (or pa itself when a
 * range holds it); ~0 past the last.  Ranges come sorted, so this is a
 * binary search: a hostile image may list very many. */
addr_t core_next_ram(void *ctx, addr_t pa)
{
    vmi_instance_t vmi = ctx;
    driver_range_t r;
    size_t lo = 0, hi = 1;

    if (!vmi->drv->range)
        return pa;
    /* Is range i absent or ending above pa?  False, then true, as i grows. */
#define PAST(i) (!vmi->drv->range(vmi->drv_state, (i), &r) || r.end > pa)
    while (!PAST(hi) && hi < (SIZE_MAX >> 1)) {
        lo = hi;
        hi *= 2;
    }
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (PAST(mid))
            hi = mid;
        else
            lo = mid + 1;
    }
#undef PAST
    if (!vmi->drv->range(vmi->drv_state, lo, &r))
        return ~(addr_t)0;
    return r.start > pa ? r.start : pa;
}

status_t core_write_pa(vmi_instance_t vmi, addr_t pa, const void *buf, size_t len, size_t *done)
{
    size_t dummy;
    if (!done)
        done = &dummy;
    *done = 0;
    if (!vmi->drv->write) {
        core_error(vmi, "the %s target is read-only", vmi->drv->name);
        return VMI_FAILURE;
    }
    /* Cached copies of these pages would be stale after the write. */
    for (addr_t pfn = pa >> 12; len && pfn <= (pa + len - 1) >> 12; pfn++)
        util_lru_remove(vmi->pages, pfn, 0);
    return vmi->drv->write(vmi->drv_state, pa, buf, len, done, &vmi->err);
}

/*
 * xen_mem.c - a Xen domain's memory: which frames it owns, reads through a
 * bounded cache of foreign mappings, and writes.
 *
 * Ranges: for HVM and PVH guests Xen is asked for the type of every guest
 * frame up to the highest (getpageframeinfo3, the call migration uses, 1024
 * frames a call); frames it calls invalid are holes.  A PV guest's frames
 * are machine frames scattered over the host: they come from the guest's
 * own P2M list (checked, see scan_p2m), or, while it has published none,
 * from Xen asked about every machine frame (which Xen logs, frame by frame,
 * for frames of other domains).  The ranges are taken at open and again
 * when a frame is given or taken (xen_control.c), not when the guest
 * balloons by itself.
 *
 * Reads: frames are mapped read-only in aligned blocks of map_ahead frames,
 * one mapping per run of frames the domain owns, and the blocks kept in an
 * LRU (config xen_map_cache_size frames, default 32768; xen_map_ahead,
 * default 64).  A mapping is unmapped whole: splitting a privcmd mapping is
 * not something to rely on.  Frames the domain does not own are never asked
 * for: Xen logs each refusal.  Mappings are of the live frames: no copy goes stale here (the
 * core's page cache above is another matter).  A frame Xen will not map
 * fails the read with Xen's reason: holes are errors, never zeros.
 *
 * Writes map the frame writable for that one write: a PV guest's page
 * tables cannot be mapped writable at all, and must still be readable.
 *
 * This file must not interpret what it reads.
 */
#include "driver/xen.h"

#if TINYVMI_XEN

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define XEN_PAGE 4096u
#define TYPE_BATCH 1024u
/* Frames probed at most: 2^30 frames is 4 TiB, past any guest here. */
#define MAX_FRAMES (1ull << 30)
/* 128 MiB of mappings in blocks of 256 KiB: few hypercalls, few mappings
 * (each block is one or a few), and no guest memory used by them. */
#define MAP_CACHE_DEFAULT 32768u
#define MAP_AHEAD_DEFAULT 64u
#define MAP_AHEAD_MAX 64u

/* Not in xenctrl.h but exported by libxenctrl (4.17's migration uses it):
 * Xen's type of each frame, written into the high bits of arr[i]. */
int xc_get_pfn_type_batch(xc_interface *xch, uint32_t dom, unsigned int num, xen_pfn_t *arr);

/* One block: frames [first, first + n).  Only frames the domain owns are
 * asked for (Xen logs every refusal), each run of them one mapping. */
typedef struct map_run {
    uint8_t *base;
    uint32_t start, n; /* block-relative */
} map_run_t;

typedef struct map_block {
    uint64_t first;
    uint32_t n, nruns;
    map_run_t runs[MAP_AHEAD_MAX / 2 + 1];
    uint8_t *page[MAP_AHEAD_MAX]; /* NULL: not mapped */
    int err[MAP_AHEAD_MAX];       /* Xen's answer for each frame that did not map */
} map_block_t;

static void block_unmap(xen_state_t *st, map_block_t *b)
{
    for (uint32_t r = 0; r < b->nruns; r++)
        if (b->runs[r].base)
            xenforeignmemory_unmap(st->fmem, b->runs[r].base, b->runs[r].n);
}

static void block_evict(void *ctx, uint64_t k1, uint64_t k2, uint64_t val)
{
    map_block_t *b = (map_block_t *)(uintptr_t)val;
    (void)k1;
    (void)k2;
    block_unmap(ctx, b);
    free(b);
}

/* ---- ranges ---- */

static bool push_frame_run(xen_state_t *st, size_t *cap, uint64_t first, uint64_t end)
{
    if (st->nranges && st->ranges[st->nranges - 1].end == first * XEN_PAGE) {
        st->ranges[st->nranges - 1].end = end * XEN_PAGE;
        return true;
    }
    if (st->nranges == *cap) {
        size_t ncap = *cap ? *cap * 2 : 16;
        driver_range_t *r = realloc(st->ranges, ncap * sizeof(*r));
        if (!r)
            return false;
        st->ranges = r;
        *cap = ncap;
    }
    st->ranges[st->nranges].start = first * XEN_PAGE;
    st->ranges[st->nranges].end = end * XEN_PAGE;
    st->nranges++;
    return true;
}

/* ---- a PV guest's frames, from its own frame list ---- */

#define P2M_PER_PAGE (XEN_PAGE / sizeof(uint64_t))
/* Linux marks foreign and identity entries in the top bits; ~0 is none. */
#define P2M_MARKS (3ull << 62)

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* n frames mapped read-only at once, or NULL with the reason; a frame Xen
 * refuses fails the whole call (these are the guest's own list pages). */
static void *map_frames(xen_state_t *st, const xen_pfn_t *arr, size_t n, const char *what,
                        util_err_t *err)
{
    int errs[P2M_PER_PAGE];
    void *p = xenforeignmemory_map(st->fmem, st->domid, PROT_READ, n, arr, errs);
    if (!p) {
        xen_fail(st, err, errno, "domain %u: mapping %s", st->domid, what);
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        if (errs[i]) {
            xen_fail(st, err, errs[i] < 0 ? -errs[i] : errs[i],
                     "domain %u: mapping %s (machine frame 0x%llx)", st->domid, what,
                     (unsigned long long)arr[i]);
            xenforeignmemory_unmap(st->fmem, p, n);
            return NULL;
        }
    return p;
}

/* The machine frames a 64-bit PV guest's P2M lists (shared_info's
 * three-level frame list).  The guest wrote every entry: frames are
 * bounded by the host's highest, marked entries skipped, and the count by
 * max_pfn; a frame listed falsely is refused by Xen when mapped, since it
 * maps only the domain's own.  Asking Xen about every machine frame instead
 * would cost a call per 1024 frames of the whole host. */
static status_t scan_p2m(xen_state_t *st, uint64_t max_mfn, uint64_t **out, size_t *count,
                         util_err_t *err)
{
    xc_domaininfo_t info;
    xen_pfn_t f;
    shared_info_any_t *si;
    uint64_t max_pfn, fll, *mfns = NULL, *top = NULL;
    size_t n = 0, p2m_pages, fl_pages;

    if (!xen_domain_info(st, &info, err))
        return VMI_FAILURE;
    f = info.shared_info_frame;
    if (!(si = map_frames(st, &f, 1, "its shared-info page", err)))
        return VMI_FAILURE;
    max_pfn = si->x64.arch.max_pfn;
    fll = si->x64.arch.pfn_to_mfn_frame_list_list;
    xenforeignmemory_unmap(st->fmem, si, 1);
    if (fll == 0 || fll == ~0ull) {
        util_err_set(err, "domain %u has published no three-level frame list (%s)", st->domid,
                     fll ? "it offers the linear one only" : "not yet booted far enough");
        return VMI_FAILURE;
    }
    if (max_pfn == 0 || max_pfn > P2M_PER_PAGE * P2M_PER_PAGE * P2M_PER_PAGE ||
        max_pfn > (uint64_t)info.max_pages * 4 + (1u << 20)) {
        util_err_set(err, "domain %u: its max_pfn %llu is not believable (max_pages %llu)",
                     st->domid, (unsigned long long)max_pfn,
                     (unsigned long long)info.max_pages);
        return VMI_FAILURE;
    }
    p2m_pages = (size_t)((max_pfn + P2M_PER_PAGE - 1) / P2M_PER_PAGE);
    fl_pages = (p2m_pages + P2M_PER_PAGE - 1) / P2M_PER_PAGE;
    if (!(mfns = malloc((size_t)max_pfn * sizeof(*mfns)))) {
        util_err_set(err, "out of memory for %llu frames", (unsigned long long)max_pfn);
        return VMI_FAILURE;
    }
    f = fll;
    if (!(top = map_frames(st, &f, 1, "its frame-list list", err)))
        goto fail;
    for (size_t i = 0; i < fl_pages; i++) {
        xen_pfn_t fl = top[i], arr[P2M_PER_PAGE];
        size_t k = p2m_pages - i * P2M_PER_PAGE;
        uint64_t *list, *p2m;
        if (k > P2M_PER_PAGE)
            k = P2M_PER_PAGE;
        if (fl > max_mfn) {
            util_err_set(err, "domain %u: frame list %zu at machine frame 0x%llx is past the "
                              "host's memory", st->domid, i, (unsigned long long)fl);
            goto fail;
        }
        if (!(list = map_frames(st, &fl, 1, "a frame list", err)))
            goto fail;
        for (size_t j = 0; j < k; j++)
            arr[j] = list[j];
        xenforeignmemory_unmap(st->fmem, list, 1);
        for (size_t j = 0; j < k; j++)
            if (arr[j] > max_mfn) {
                util_err_set(err, "domain %u: P2M page at machine frame 0x%llx is past the "
                                  "host's memory", st->domid, (unsigned long long)arr[j]);
                goto fail;
            }
        if (!(p2m = map_frames(st, arr, k, "its P2M pages", err)))
            goto fail;
        for (size_t e = 0; e < k * P2M_PER_PAGE; e++) {
            uint64_t pfn = (uint64_t)i * P2M_PER_PAGE * P2M_PER_PAGE + e, m = p2m[e];
            if (pfn >= max_pfn)
                break;
            if (!(m & P2M_MARKS) && m <= max_mfn)
                mfns[n++] = m;
        }
        xenforeignmemory_unmap(st->fmem, p2m, k);
    }
    xenforeignmemory_unmap(st->fmem, top, 1);
    qsort(mfns, n, sizeof(*mfns), cmp_u64);
    *out = mfns;
    *count = n;
    return VMI_SUCCESS;
fail:
    if (top)
        xenforeignmemory_unmap(st->fmem, top, 1);
    free(mfns);
    return VMI_FAILURE;
}

static status_t ranges_from_list(xen_state_t *st, const uint64_t *mfns, size_t n,
                                 util_err_t *err)
{
    size_t cap = 0, present = 0;
    free(st->ranges);
    st->ranges = NULL;
    st->nranges = 0;
    for (size_t i = 0; i < n; i++) {
        if (i && mfns[i] == mfns[i - 1])
            continue; /* listed twice: a guest's mistake, or a trick */
        if (!push_frame_run(st, &cap, mfns[i], mfns[i] + 1)) {
            util_err_set(err, "out of memory for the domain's memory ranges");
            return VMI_FAILURE;
        }
        present++;
    }
    st->memsize = (uint64_t)present * XEN_PAGE;
    if (!st->nranges) {
        util_err_set(err, "domain %u lists no frames in its P2M", st->domid);
        return VMI_FAILURE;
    }
    return VMI_SUCCESS;
}

/* The frames the domain owns, as merged ranges. */
static status_t scan_frames(xen_state_t *st, util_err_t *err)
{
    xen_pfn_t *arr = malloc(TYPE_BATCH * sizeof(*arr));
    uint64_t limit, present = 0;
    size_t cap = 0;

    if (!arr) {
        util_err_set(err, "out of memory");
        return VMI_FAILURE;
    }
    if (st->hvm) {
        xen_pfn_t max = 0;
        if (xc_domain_maximum_gpfn(st->xc, st->domid, &max) < 0) {
            xen_fail(st, err, errno, "domain %u: asking Xen for its highest frame",
                     st->domid);
            goto fail;
        }
        limit = (uint64_t)max + 1;
    } else {
        unsigned long max = 0;
        uint64_t *mfns;
        size_t n;
        util_err_t why;
        if (xc_maximum_ram_page(st->xc, &max) < 0) {
            xen_fail(st, err, errno, "asking Xen for the host's highest frame");
            goto fail;
        }
        if (scan_p2m(st, max, &mfns, &n, &why) == VMI_SUCCESS) {
            status_t rc = ranges_from_list(st, mfns, n, err);
            free(mfns);
            free(arr);
            return rc;
        }
        /* No list to read (a guest still booting): ask Xen about every
         * machine frame, as for HVM guests. */
        limit = (uint64_t)max + 1;
    }
    if (limit > MAX_FRAMES)
        limit = MAX_FRAMES;

    free(st->ranges);
    st->ranges = NULL;
    st->nranges = 0;
    for (uint64_t base = 0; base < limit; base += TYPE_BATCH) {
        unsigned int n = limit - base < TYPE_BATCH ? (unsigned int)(limit - base) : TYPE_BATCH;
        uint64_t run = ~0ull;
        for (unsigned int i = 0; i < n; i++)
            arr[i] = base + i;
        if (xc_get_pfn_type_batch(st->xc, st->domid, n, arr) != 0) {
            xen_fail(st, err, errno, "domain %u: asking Xen which of frames 0x%llx-0x%llx "
                                     "it owns", st->domid, (unsigned long long)base,
                     (unsigned long long)(base + n - 1));
            goto fail;
        }
        for (unsigned int i = 0; i <= n; i++) {
            uint32_t type = i < n ? (uint32_t)(arr[i] & XEN_DOMCTL_PFINFO_LTAB_MASK)
                                  : XEN_DOMCTL_PFINFO_XTAB;
            bool owned = type != XEN_DOMCTL_PFINFO_XTAB && type != XEN_DOMCTL_PFINFO_XALLOC &&
                         type != XEN_DOMCTL_PFINFO_BROKEN;
            if (owned && run == ~0ull)
                run = base + i;
            if (!owned && run != ~0ull) {
                if (!push_frame_run(st, &cap, run, base + i)) {
                    util_err_set(err, "out of memory for the domain's memory ranges");
                    goto fail;
                }
                present += base + i - run;
                run = ~0ull;
            }
        }
    }
    free(arr);
    st->memsize = present * XEN_PAGE;
    if (!st->nranges) {
        util_err_set(err, "domain %u owns no memory Xen will tell of", st->domid);
        return VMI_FAILURE;
    }
    return VMI_SUCCESS;
fail:
    free(arr);
    return VMI_FAILURE;
}

static bool frame_owned(const xen_state_t *st, uint64_t frame)
{
    addr_t pa = frame * XEN_PAGE;
    size_t lo = 0, hi = st->nranges;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (st->ranges[mid].end <= pa)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < st->nranges && st->ranges[lo].start <= pa;
}

uint64_t xen_mem_size(void *state)
{
    return ((xen_state_t *)state)->memsize;
}

addr_t xen_mem_max_pa(void *state)
{
    xen_state_t *st = state;
    return st->nranges ? st->ranges[st->nranges - 1].end : 0;
}

bool xen_mem_range(void *state, size_t i, driver_range_t *out)
{
    xen_state_t *st = state;
    if (i >= st->nranges)
        return false;
    *out = st->ranges[i];
    return true;
}

/* ---- the mapping cache ---- */

static size_t setting(const driver_settings_t *s, const char *key, size_t dflt, size_t lo,
                      size_t hi, bool *bad, util_err_t *err)
{
    const char *v = s && s->lookup ? s->lookup(s->ctx, key) : NULL;
    char *end;
    unsigned long long n;
    if (!v)
        return dflt;
    errno = 0;
    n = strtoull(v, &end, 0);
    if (errno || end == v || *end || n < lo || n > hi) {
        util_err_set(err, "config %s = %s: must be a number from %zu to %zu", key, v, lo, hi);
        *bad = true;
        return dflt;
    }
    return (size_t)n;
}

status_t xen_mem_open(xen_state_t *st, const driver_settings_t *settings, util_err_t *err)
{
    bool bad = false;
    size_t frames = setting(settings, "xen_map_cache_size", MAP_CACHE_DEFAULT, 256, 1u << 20,
                            &bad, err);
    st->map_ahead = setting(settings, "xen_map_ahead", MAP_AHEAD_DEFAULT, 1, MAP_AHEAD_MAX,
                            &bad, err);
    if (bad)
        return VMI_FAILURE;
    /* Four blocks at least: a read spanning two must not evict itself. */
    st->maps = util_lru_new(frames / st->map_ahead < 4 ? 4 : frames / st->map_ahead,
                            block_evict, st);
    if (!st->maps) {
        util_err_set(err, "out of memory for the mapping cache");
        return VMI_FAILURE;
    }
    return scan_frames(st, err);
}

void xen_mem_close(xen_state_t *st)
{
    if (st->maps)
        util_lru_free(st->maps);
    st->maps = NULL;
    free(st->ranges);
    st->ranges = NULL;
    st->nranges = 0;
}

void xen_mem_forget(xen_state_t *st, uint64_t frame)
{
    if (st->maps)
        util_lru_remove(st->maps, frame / st->map_ahead, 0);
}

static bool frame_owned(const xen_state_t *st, uint64_t frame);

/* Maps the frames of run r of b; false with the reason when the whole call
 * failed (single frames Xen refuses are only noted in b->err). */
static bool map_run(xen_state_t *st, map_block_t *b, map_run_t *r, util_err_t *err)
{
    xen_pfn_t arr[MAP_AHEAD_MAX];
    for (uint32_t i = 0; i < r->n; i++)
        arr[i] = b->first + r->start + i;
    r->base = xenforeignmemory_map(st->fmem, st->domid, PROT_READ, r->n, arr,
                                   b->err + r->start);
    if (!r->base) {
        xen_fail(st, err, errno, "domain %u: mapping frames 0x%llx-0x%llx", st->domid,
                 (unsigned long long)arr[0], (unsigned long long)arr[r->n - 1]);
        return false;
    }
    for (uint32_t i = 0; i < r->n; i++)
        if (b->err[r->start + i] == 0)
            b->page[r->start + i] = r->base + (size_t)i * XEN_PAGE;
    return true;
}

static map_block_t *map_block(xen_state_t *st, uint64_t blockno, util_err_t *err)
{
    map_block_t *b = calloc(1, sizeof(*b));
    if (!b) {
        util_err_set(err, "out of memory");
        return NULL;
    }
    b->first = blockno * st->map_ahead;
    b->n = (uint32_t)st->map_ahead;
    for (uint32_t i = 0; i < b->n;) {
        uint32_t j = i;
        while (j < b->n && frame_owned(st, b->first + j))
            j++;
        if (j > i) {
            map_run_t *r = &b->runs[b->nruns++];
            r->start = i;
            r->n = j - i;
            if (!map_run(st, b, r, err)) {
                b->nruns--;
                block_unmap(st, b);
                free(b);
                return NULL;
            }
        }
        i = j + 1;
    }
    util_lru_put(st->maps, blockno, 0, (uint64_t)(uintptr_t)b);
    return b;
}

/* The mapped page of frame, or NULL with the reason. */
static const uint8_t *frame_page(xen_state_t *st, uint64_t frame, util_err_t *err)
{
    uint64_t blockno = frame / st->map_ahead, val;
    uint32_t i = (uint32_t)(frame % st->map_ahead);
    map_block_t *b;

    if (!frame_owned(st, frame)) {
        util_err_set(err, "0x%llx is not memory of domain %u (%s owns no %s frame 0x%llx)",
                     (unsigned long long)(frame * XEN_PAGE), st->domid,
                     st->name ? st->name : "it", st->hvm ? "guest" : "machine",
                     (unsigned long long)frame);
        return NULL;
    }
    if (util_lru_get(st->maps, blockno, 0, &val)) {
        b = (map_block_t *)(uintptr_t)val;
        if (b->page[i])
            return b->page[i];
        /* It did not map before; the guest may have changed since. */
        util_lru_remove(st->maps, blockno, 0);
    }
    if (!(b = map_block(st, blockno, err)))
        return NULL;
    if (!b->page[i]) {
        int e = b->err[i] < 0 ? -b->err[i] : b->err[i];
        xen_fail(st, err, e, "domain %u: Xen would not map %s frame 0x%llx", st->domid,
                 st->hvm ? "guest" : "machine", (unsigned long long)frame);
        return NULL;
    }
    return b->page[i];
}

status_t xen_mem_read(void *state, addr_t pa, void *buf, size_t len, size_t *done,
                      util_err_t *err)
{
    xen_state_t *st = state;
    uint8_t *out = buf;
    *done = 0;
    while (*done < len) {
        addr_t cur = pa + *done;
        size_t off = cur % XEN_PAGE, n = XEN_PAGE - off;
        const uint8_t *page = frame_page(st, cur / XEN_PAGE, err);
        if (!page)
            return VMI_FAILURE;
        if (n > len - *done)
            n = len - *done;
        memcpy(out + *done, page + off, n);
        *done += n;
    }
    return VMI_SUCCESS;
}

status_t xen_mem_write(void *state, addr_t pa, const void *buf, size_t len, size_t *done,
                       util_err_t *err)
{
    xen_state_t *st = state;
    const uint8_t *in = buf;
    *done = 0;
    while (*done < len) {
        addr_t cur = pa + *done;
        xen_pfn_t frame = cur / XEN_PAGE;
        size_t off = cur % XEN_PAGE, n = XEN_PAGE - off;
        int e = 0;
        uint8_t *page;
        if (!frame_owned(st, frame)) {
            util_err_set(err, "0x%llx is not memory of domain %u",
                         (unsigned long long)cur, st->domid);
            return VMI_FAILURE;
        }
        page = xenforeignmemory_map(st->fmem, st->domid, PROT_READ | PROT_WRITE, 1, &frame, &e);
        if (!page || e) {
            int why = page ? (e < 0 ? -e : e) : errno;
            if (page)
                xenforeignmemory_unmap(st->fmem, page, 1);
            xen_fail(st, err, why, "domain %u: Xen would not map frame 0x%llx writable%s",
                     st->domid, (unsigned long long)frame,
                     st->hvm ? "" : " (a PV guest's page tables and descriptor tables "
                                    "never are)");
            return VMI_FAILURE;
        }
        if (n > len - *done)
            n = len - *done;
        memcpy(page + off, in + *done, n);
        xenforeignmemory_unmap(st->fmem, page, 1);
        *done += n;
    }
    return VMI_SUCCESS;
}

status_t xen_mem_rescan(xen_state_t *st, util_err_t *err)
{
    return scan_frames(st, err);
}

#endif /* TINYVMI_XEN */

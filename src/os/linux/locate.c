/*
 * locate.c - where the kernel is in guest memory: its banner, its kallsyms
 * tables and BTF (zero configuration), the KASLR slide of a System.map, the
 * kernel image's virtual-to-physical relation and the kernel's own page
 * table.  Every method is a search whose result is checked by an independent
 * fact before it is used; the methods are described where they are defined.
 *
 * Reads go through vmi_read_pa / vmi_pagetable_lookup / read.c only.  This
 * file does not walk task or module lists.
 */
#include "os/linux/linux.h"

#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "util/strutil.h"
#include "util/bytes.h"
#include "util/sys.h"

/* Scans copy memory a chunk at a time: large enough that a call costs
 * nothing against the search, small enough to stay out of the peak. */
#define SCAN_CHUNK (1u << 20)
/* The kallsyms tables before the token table: names + markers + addresses.
 * 6.1 amd64 with all symbols needs ~4 MiB; leave ample room. */
#define KS_WINDOW_BEFORE (24u << 20)
#define KS_WINDOW_AFTER (64u << 10)
#define BANNER "Linux version "
#define MAX_BANNER_HITS 16
/* x86 KASLR: the kernel moves in CONFIG_PHYSICAL_ALIGN steps (2 MiB on
 * x86-64 distribution kernels; i386 aligns to 2 MiB or more) within 1 GiB
 * (CONFIG_RANDOMIZE_BASE_MAX_OFFSET on x86-64; i386 allows 512 MiB). */
#define KASLR_ALIGN (2u << 20)
#define KASLR_MAX (1u << 30)

/* ---- physical scan ---- */

/* [start, end) chunk by chunk; true when fn asked to stop. */
static bool scan_range(vmi_instance_t vmi, uint64_t start, uint64_t end, uint8_t *buf,
                       size_t overlap, lx_scan_fn fn, void *ctx)
{
    for (uint64_t pa = start; pa < end; pa += SCAN_CHUNK) {
        size_t want = SCAN_CHUNK + overlap, got = 0;
        if (end - pa < want)
            want = (size_t)(end - pa);
        /* A hole inside a range (no range list) reads short: scan what was
         * read. */
        (void)vmi_read_pa(vmi, pa, want, buf, &got);
        if (got && fn(ctx, pa, buf, got))
            return true;
    }
    return false;
}

void lx_scan_physical_within(vmi_instance_t vmi, uint64_t lo, uint64_t hi, size_t overlap,
                                 lx_scan_fn fn, void *ctx)
{
    uint8_t *buf = malloc(SCAN_CHUNK + overlap);
    uint64_t start, end;
    if (!buf)
        return;
    if (tvmi_get_memory_range(vmi, 0, &start, &end) != VMI_SUCCESS) {
        uint64_t max = vmi_get_max_physical_address(vmi);
        scan_range(vmi, lo, hi < max ? hi : max, buf, overlap, fn, ctx);
    } else {
        for (size_t i = 1;; i++) {
            uint64_t a = start > lo ? start : lo, b = end < hi ? end : hi;
            if (a < b && scan_range(vmi, a, b, buf, overlap, fn, ctx))
                break;
            if (tvmi_get_memory_range(vmi, i, &start, &end) != VMI_SUCCESS)
                break;
        }
    }
    free(buf);
}

void lx_scan_physical(vmi_instance_t vmi, size_t overlap, lx_scan_fn fn, void *ctx)
{
    lx_scan_physical_within(vmi, 0, UINT64_MAX, overlap, fn, ctx);
}

/* The image's pages (st->image), read-only data first, where the tables
 * and the banner are; true when fn asked to stop. */
typedef struct stop_watch {
    lx_scan_fn fn;
    void *ctx;
    bool stopped;
} stop_watch_t;

static bool watched_fn(void *ctx, addr_t pa, const uint8_t *buf, size_t len)
{
    stop_watch_t *w = ctx;
    return w->stopped = w->fn(w->ctx, pa, buf, len);
}

static bool scan_image(vmi_instance_t vmi, const lx_state_t *st, size_t overlap, lx_scan_fn fn,
                       void *ctx)
{
    stop_watch_t w = { fn, ctx, false };
    for (int ro = 1; st->have_image && ro >= 0; ro--)
        for (size_t i = 0; i < st->image.nruns && !w.stopped; i++) {
            const lx_image_run_t *r = &st->image.runs[i];
            if (r->ro == (ro == 1))
                lx_scan_physical_within(vmi, r->pa, r->pa + r->len, overlap, watched_fn, &w);
        }
    return w.stopped;
}

void lx_image_known(vmi_instance_t vmi, lx_state_t *st)
{
    addr_t L = 0;
    if (!st->have_image && st->width != 4) {
        (void)lx_sym(st, "linux_banner", &L);
        st->have_image = lx_image_find(vmi, L, &st->image);
    }
    if (st->have_image && !st->have_image_delta) {
        st->have_image_delta = true;
        st->image_delta = st->image.delta;
        st->image_pa = st->image.banner_pa;
    }
}

/* ---- the banner ---- */

typedef struct banner_scan {
    addr_t hits[MAX_BANNER_HITS];
    size_t n, max;
    char text[256];
} banner_scan_t;

/* "Linux version " then a digit: the banner, not some other mention. */
static bool banner_scan_fn(void *ctx, addr_t pa, const uint8_t *buf, size_t len)
{
    banner_scan_t *b = ctx;
    size_t bl = sizeof(BANNER) - 1;
    const uint8_t *p = buf, *end = buf + len;
    while (p + bl + 1 < end && (p = util_memfind(p, (size_t)(end - p), BANNER, bl)) != NULL) {
        size_t off = (size_t)(p - buf);
        /* Chunks overlap; skip a hit already counted. */
        bool dup = false;
        for (size_t i = 0; i < b->n; i++)
            dup |= b->hits[i] == pa + off;
        if (!dup && off + bl < len && p[bl] >= '0' && p[bl] <= '9') {
            if (b->n == 0) {
                size_t k = 0;
                while (k < sizeof(b->text) - 1 && off + k < len && p[k] >= 0x20 && p[k] < 0x7f)
                    k++;
                memcpy(b->text, p, k);
                b->text[k] = '\0';
            }
            b->hits[b->n++] = pa + off;
            if (b->n == b->max)
                return true;
        }
        p += bl;
    }
    return false;
}

static size_t find_banners(vmi_instance_t vmi, banner_scan_t *b, size_t max)
{
    memset(b, 0, sizeof(*b));
    b->max = max < MAX_BANNER_HITS ? max : MAX_BANNER_HITS;
    lx_scan_physical(vmi, 256, banner_scan_fn, b);
    return b->n;
}

/*
 * The kernel image's own banner without a scan.  Both KASLR slides (the
 * virtual and the physical one) and i386's PAGE_OFFSET move the image by
 * multiples of 2 MiB (CONFIG_PHYSICAL_ALIGN is at least that on x86-64,
 * and the memory splits are multiples of it), so the rodata banner of a
 * map's linux_banner at L lies at a physical P with P = L (mod 2 MiB): one
 * short read per 2 MiB of guest RAM (128 for 256 MiB) instead of reading
 * all of it.  Only a first try: a 32-bit kernel may be aligned less, and
 * callers fall back to find_banners when no candidate passes their check.
 */
#define IMAGE_ALIGN 0x200000ULL

/* The probe from physical address from up, until max_hits banners. */
static size_t probe_banners_from(vmi_instance_t vmi, addr_t L, addr_t from, size_t max_hits,
                                 banner_scan_t *b)
{
    size_t bl = sizeof(BANNER) - 1;
    uint64_t max = vmi_get_max_physical_address(vmi);
    uint8_t buf[256];
    addr_t P = L & (IMAGE_ALIGN - 1);

    memset(b, 0, sizeof(*b));
    b->max = max_hits < MAX_BANNER_HITS ? max_hits : MAX_BANNER_HITS;
    if (from > P)
        P += (from - P + IMAGE_ALIGN - 1) & ~(IMAGE_ALIGN - 1);
    for (; P < max && b->n < b->max; P += IMAGE_ALIGN) {
        size_t got = 0;
        /* Up to the end of the page at least; a hole fails (ignored). */
        size_t want = sizeof(buf) < 4096 - (P & 0xfff) ? sizeof(buf) : 4096 - (P & 0xfff);
        if (vmi_read_pa(vmi, P, want, buf, &got) != VMI_SUCCESS && got <= bl)
            continue;
        if (got > bl && memcmp(buf, BANNER, bl) == 0)
            banner_scan_fn(b, P, buf, got);
    }
    return b->n;
}

static size_t probe_banners(vmi_instance_t vmi, addr_t L, banner_scan_t *b)
{
    return probe_banners_from(vmi, L, 0, MAX_BANNER_HITS, b);
}

/* Candidates for the banner of linux_banner at L: the probe (pass 0),
 * then every banner in memory (pass 1). */
static size_t banner_candidates(vmi_instance_t vmi, addr_t L, int pass, banner_scan_t *b)
{
    return pass == 0 ? probe_banners(vmi, L, b) : find_banners(vmi, b, MAX_BANNER_HITS);
}

bool lx_first_banner(vmi_instance_t vmi, addr_t *pa)
{
    return lx_first_banner_within(vmi, 0, UINT64_MAX, pa);
}

bool lx_first_banner_within(vmi_instance_t vmi, addr_t lo, addr_t hi, addr_t *pa)
{
    banner_scan_t b;
    memset(&b, 0, sizeof(b));
    b.max = 1;
    lx_scan_physical_within(vmi, lo, hi, 256, banner_scan_fn, &b);
    if (b.n == 0)
        return false;
    *pa = b.hits[0];
    return true;
}

/* ---- kallsyms: zero configuration ---- */

/* Candidates tried at most: each costs a window read, and a real kernel
 * has one token table (a second copy at most, in a crash kernel). */
#define KS_MAX_CANDIDATES 64
/* The cheap first look at a candidate: the token table and its index lie
 * within this distance of the digit tokens (256 tokens of at most 512
 * characters; real tables are a few KiB). */
#define KS_PROBE (128u << 10)
/* The tables after the token index (6.4+: offsets, relative base, name
 * order) are ~7 bytes a symbol; a copy longer than this is never read. */
#define KS_WINDOW_MAX (KS_WINDOW_BEFORE + (64u << 20))

typedef struct ks_scan {
    vmi_instance_t vmi;
    lx_state_t *st;
    addr_t dtb;          /* the kernel's page table for the virtual look, 0: none */
    bool found;
    size_t hits;
    unsigned best_stage; /* how far the most promising candidate got */
    bool stop;           /* no candidate can succeed before paging is known */
    util_err_t why;      /* and why it was not kallsyms after all */
} ks_scan_t;

/* [lo, hi) of physical memory (dtb 0), as much as the guest has: in place
 * when the image is mapped (core_map_static: the 7 MB of a 7.x kernel's
 * tables cost no copy and no fresh pages), else a copy in own.  With a dtb,
 * [lo, hi) is kernel-virtual, read through that page table up to the first
 * page it does not map. */
typedef struct ks_window {
    const uint8_t *p;
    uint8_t *own;
    size_t len;
} ks_window_t;

static bool window_get(vmi_instance_t vmi, addr_t dtb, addr_t lo, addr_t hi, ks_window_t *w)
{
    size_t want = (size_t)(hi - lo), got = 0;
    w->own = NULL;
    w->p = dtb ? NULL : core_map_static(vmi, lo, want);
    w->len = want;
    if (w->p)
        return true;
    if (!(w->own = malloc(want)))
        return false;
    if (dtb) {
        ACCESS_CONTEXT(ctx, .translate_mechanism = VMI_TM_PROCESS_DTB, .dtb = dtb, .addr = lo);
        (void)vmi_read(vmi, &ctx, want, w->own, &got);
    } else {
        (void)vmi_read_pa(vmi, lo, want, w->own, &got);
    }
    w->p = w->own;
    w->len = got;
    return true;
}

static void window_put(ks_window_t *w)
{
    free(w->own);
    w->own = NULL;
    w->p = NULL;
}

/*
 * The tables in a window, at the state's pointer width; when that width
 * is only find_root's guess (8), at 4 too, so that a 32-bit kernel's tables
 * are decoded from the window already read instead of a second read of it
 * by lx_init (25 MB on i386, which then also stays in malloc's heap).  On
 * failure k and e are the guessed width's.
 */
static status_t locate_tables(lx_state_t *st, const uint8_t *w, size_t len, size_t hit,
                              lx_kallsyms_t *k, util_err_t *e)
{
    status_t rc = lx_kallsyms_locate(w, len, hit, st->width, k, e);
    if (rc == VMI_SUCCESS || !st->width_guessed || st->width != 8)
        return rc;
    lx_kallsyms_t k4;
    util_err_t e4;
    util_err_clear(&e4);
    if (lx_kallsyms_locate(w, len, hit, 4, &k4, &e4) != VMI_SUCCESS)
        return rc;
    st->width = 4;
    *k = k4;
    return VMI_SUCCESS;
}

static bool maps_to(vmi_instance_t vmi, addr_t root, addr_t va, addr_t pa);

/*
 * Place-relative kallsyms offsets (seen on 7.3) give every symbol's address
 * relative to the offsets array's own, and the array does not say where it
 * is in virtual memory.  It is in the kernel image, which is mapped at one
 * offset from its physical copy: on x86-64 a multiple of the KASLR
 * alignment (2 MiB) within the 1 GiB above __START_KERNEL_map, on i386
 * PAGE_OFFSET of one of the memory splits.  The candidate that the core's
 * page table (CR3, or its scan) maps onto both ends of the array is it.
 */
/* Why the place-relative table at pa has no address (why), and what to
 * give instead (give); always false. */
static bool unplaced(util_err_t *e, addr_t pa, const char *why, const char *give)
{
    util_err_set(e, "kallsyms: the address table at physical 0x%llx holds place-relative "
                    "offsets (newer than 6.12), %s; give kpgd (the guest's CR3), or %s",
                 (unsigned long long)pa, why, give);
    return false;
}

static bool place_va(vmi_instance_t vmi, const lx_state_t *st, addr_t pa, addr_t span,
                     uint64_t *va, util_err_t *e)
{
    static const uint64_t po[] = { 0xC0000000ULL, 0x80000000ULL, 0xB0000000ULL,
                                   0x78000000ULL, 0x40000000ULL };
    addr_t root = core_kernel_dtb(vmi);
    if (!root)
        return unplaced(e, pa, "which give addresses only once the kernel page table is known",
                        "an ELF core with registers");
    if (st->width == 8) {
        for (uint64_t v = 0xffffffff80000000ULL + (pa & (KASLR_ALIGN - 1));
             v < 0xffffffff80000000ULL + KASLR_MAX; v += KASLR_ALIGN) {
            if (maps_to(vmi, root, v, pa) && maps_to(vmi, root, v + span - 1, pa + span - 1)) {
                *va = v;
                return true;
            }
        }
    } else {
        for (size_t i = 0; i < sizeof(po) / sizeof(po[0]); i++) {
            uint64_t v = pa + po[i];
            if (v + span <= 0x100000000ULL && maps_to(vmi, root, v, pa) &&
                maps_to(vmi, root, v + span - 1, pa + span - 1)) {
                *va = v;
                return true;
            }
        }
    }
    char why[80];
    snprintf(why, sizeof(why), "and the page table 0x%llx maps it at no kernel-image address",
             (unsigned long long)root);
    return unplaced(e, pa, why, "a System.map (sysmap = \"/path/System.map\")");
}

/* Keep the reason of the candidate that got furthest: a random run of
 * digit tokens failing tells less than a real token table that does. */
static void ks_note(ks_scan_t *s, unsigned stage, const util_err_t *e)
{
    if (s->hits == 1 || stage > s->best_stage) {
        s->best_stage = stage;
        s->why = *e;
    }
}

/* The cheap look: a small window around the hit holds a token table and
 * its index. */
static bool ks_probe(ks_scan_t *s, addr_t dtb, addr_t floor, addr_t hit)
{
    /* Page-aligned: alignment in the copy is alignment in the guest. */
    addr_t lo = (hit - floor > KS_PROBE ? hit - KS_PROBE : floor) & ~(addr_t)0xfff;
    ks_window_t w;
    lx_kallsyms_t k;
    util_err_t e;
    util_err_clear(&e);
    bool ok = window_get(s->vmi, dtb, lo, hit + KS_PROBE, &w) && w.len > hit - lo &&
              lx_kallsyms_tokens(w.p, w.len, (size_t)(hit - lo), s->st->width, &k, &e) ==
                  VMI_SUCCESS;
    if (!ok)
        ks_note(s, 0, &e);
    window_put(&w);
    return ok;
}

/* The tables k found in the window at lo, read where they lie when the
 * image is mapped: nothing decoded at start-up (kallsyms.c, lx_ksview_t).
 * NULL: decode them. */
static lx_symtab_t *in_place(vmi_instance_t vmi, addr_t lo, const lx_kallsyms_t *k)
{
    size_t len = lx_kallsyms_end(k);
    const uint8_t *p = core_map_static(vmi, lo, len);
    return p ? lx_symtab_from_kallsyms(lx_ksview_new(p, len, k)) : NULL;
}

/* The tables around the hit, from lo up: physical addresses (dtb 0), or
 * kernel-virtual ones through dtb.  True when they decoded and are the
 * state's symbols now. */
static bool tables_from(ks_scan_t *s, addr_t dtb, addr_t lo, addr_t hit)
{
    lx_state_t *st = s->st;
    ks_window_t w;
    if (!window_get(s->vmi, dtb, lo, hit + KS_WINDOW_AFTER, &w))
        return false;
    lx_kallsyms_t k;
    util_err_t e;
    util_err_clear(&e);
    status_t rc = VMI_FAILURE;
    if (w.len > hit - lo) {
        rc = locate_tables(st, w.p, w.len, (size_t)(hit - lo), &k, &e);
        /* 6.4+: the address table follows the token index; read that far
         * and look again. */
        if (rc != VMI_SUCCESS && k.need > w.len && k.need <= KS_WINDOW_MAX) {
            window_put(&w);
            if (!window_get(s->vmi, dtb, lo, lo + k.need, &w))
                return false;
            rc = locate_tables(st, w.p, w.len, (size_t)(hit - lo), &k, &e);
        }
    }
    if (rc == VMI_SUCCESS && k.place_relative) {
        /* Read through the page table, the window's own address is the
         * virtual one the offsets are relative to. */
        if (dtb) {
            k.addrs_va = lo + k.addrs;
        } else if (!place_va(s->vmi, st, lo + k.addrs, (addr_t)k.count * 4, &k.addrs_va, &e)) {
            k.stage = 3;
            rc = VMI_FAILURE;
            /* Without a page table yet, the real tables cannot be placed:
             * no other candidate can do better, so the scan stops here. */
            s->stop = !core_kernel_dtb(s->vmi);
        }
    }
    if (rc != VMI_SUCCESS) {
        ks_note(s, k.stage, &e);
        window_put(&w);
        return false;
    }
    lx_symtab_t *t = dtb ? NULL : in_place(s->vmi, lo, &k);
    if (t) {
        window_put(&w);
        goto found;
    }
    t = lx_symtab_new();
    bool decoded = t && lx_kallsyms_decode(w.p, w.len, &k, t, &e) == VMI_SUCCESS;
    window_put(&w); /* before the index is built: both are megabytes */
    if (!decoded || !lx_symtab_finish(t)) {
        if (decoded || !t)
            util_err_set(&e, "kallsyms: out of memory for %u symbols", k.count);
        ks_note(s, 3, &e);
        lx_symtab_free(t);
        return false;
    }
found:;
    addr_t table = lo + k.token_table, table_pa = table;
    if (dtb && vmi_pagetable_lookup(s->vmi, dtb, table, &table_pa) != VMI_SUCCESS)
        table_pa = 0; /* read a moment ago: only a target that changed */
    st->syms = t;
    st->runtime_syms = true;
    st->image_pa = table_pa;
    snprintf(st->sym_source, sizeof(st->sym_source),
             "kallsyms in guest memory (%u symbols, token table at %s0x%llx%s)", k.count,
             dtb ? "" : "physical ", (unsigned long long)table,
             dtb ? ", read through the kernel's page table" : "");
    s->found = true;
    return true;
}

/*
 * Digit tokens whose tables are not around them in physical memory: the
 * image of a Xen PV guest lies in machine frames in no order, so physical
 * neighbours are not the image's.  Its page table still maps the image in
 * order.  The hit's page is looked for where x86-64 maps the image
 * (__START_KERNEL_map and the 1 GiB KASLR may use), and the window starts
 * as far below it as pages are mapped without a gap (x86-64 unmaps the
 * padding between text and rodata), at most KS_WINDOW_BEFORE.  When every
 * page from there to the probe's end is where the hit's physical place
 * says, the physical look read these same bytes: nothing is read again.
 * A hit that fails physically on any target with a kernel page table
 * costs one core_frame_vas walk; a native kernel maps its image with
 * 2 MiB pages, so that is a few hundred entries: zero-config init on the
 * amd64, sid, bullseye and la57 guests measured the same, within noise,
 * with this path switched off.
 */
#define KERNEL_MAP_64 0xffffffff80000000ULL

static bool tables_through_page_table(ks_scan_t *s, addr_t hit_pa)
{
    addr_t vas[4], pa;
    unsigned n = 0;
    if (!s->dtb || s->st->width != 8 ||
        core_frame_vas(s->vmi, s->dtb, KERNEL_MAP_64, KERNEL_MAP_64 + KASLR_MAX, hit_pa >> 12,
                       vas, 4, &n) != VMI_SUCCESS || n == 0)
        return false;
    addr_t hit = vas[0] + (hit_pa & 0xfff), lo = hit & ~(addr_t)0xfff;
    addr_t delta = hit - hit_pa; /* what a physically ordered image would show */
    bool ordered = true;
    while (hit - (lo - 0x1000) <= KS_WINDOW_BEFORE && lo - 0x1000 >= KERNEL_MAP_64 &&
           vmi_pagetable_lookup(s->vmi, s->dtb, lo - 0x1000, &pa) == VMI_SUCCESS) {
        lo -= 0x1000;
        ordered &= pa == lo - delta;
    }
    for (addr_t va = (hit & ~(addr_t)0xfff) + 0x1000; ordered && va < hit + KS_PROBE;
         va += 0x1000)
        ordered = vmi_pagetable_lookup(s->vmi, s->dtb, va, &pa) == VMI_SUCCESS &&
                  pa == va - delta;
    if (ordered || !ks_probe(s, s->dtb, lo, hit))
        return false;
    return tables_from(s, s->dtb, lo, hit);
}

static bool try_kallsyms_at(ks_scan_t *s, addr_t hit_pa)
{
    lx_state_t *st = s->st;
    if (!ks_probe(s, 0, 0, hit_pa))
        return tables_through_page_table(s, hit_pa);
    if (!st->ks_hint)
        st->ks_hint = hit_pa;
    addr_t lo = hit_pa > KS_WINDOW_BEFORE ? hit_pa - KS_WINDOW_BEFORE : 0;
    /* Inside the image the tables lie in the read-only run of the hit:
     * the window starts there, not in the text below it. */
    for (size_t i = 0; st->have_image && i < st->image.nruns; i++) {
        const lx_image_run_t *r = &st->image.runs[i];
        if (r->ro && hit_pa >= r->pa && hit_pa < r->pa + r->len && lo < r->pa)
            lo = r->pa;
    }
    lo &= ~(addr_t)0xfff;
    /* Start where memory is readable: step up past a hole below the hit. */
    uint8_t probe;
    while (lo < hit_pa && vmi_read_pa(s->vmi, lo, 1, &probe, NULL) != VMI_SUCCESS)
        lo += 0x100000;
    lo &= ~(addr_t)0xfff;
    return tables_from(s, 0, lo, hit_pa) || (!s->stop && tables_through_page_table(s, hit_pa));
}

static bool ks_scan_fn(void *ctx, addr_t pa, const uint8_t *buf, size_t len)
{
    ks_scan_t *s = ctx;
    const uint8_t *p = buf, *end = buf + len;
    while ((p = util_memfind(p, (size_t)(end - p), lx_kallsyms_digits, LX_KALLSYMS_DIGITS_LEN))) {
        if (++s->hits > KS_MAX_CANDIDATES)
            return true;
        if (try_kallsyms_at(s, pa + (addr_t)(p - buf)) || s->stop)
            return true;
        p++;
    }
    return false;
}

status_t lx_kallsyms_load(vmi_instance_t vmi, lx_state_t *st)
{
    ks_scan_t s;
    memset(&s, 0, sizeof(s));
    s.vmi = vmi;
    s.st = st;
    s.dtb = core_kernel_dtb(vmi);
    util_err_clear(&s.why);
    /* A candidate found before paging was known goes first. */
    if (st->ks_hint) {
        s.hits = 1;
        if (try_kallsyms_at(&s, st->ks_hint))
            return VMI_SUCCESS;
    }
    /* Chunks overlap by the pattern length so a hit across a border is seen;
     * a hit inside the overlap may be tried twice, which is harmless.  The
     * image first (image.c), then all of memory for a kernel whose image
     * no page table showed. */
    lx_image_known(vmi, st);
    if (!s.stop && !scan_image(vmi, st, LX_KALLSYMS_DIGITS_LEN, ks_scan_fn, &s) && !s.found &&
        !s.stop) {
        /* The tables lie above linux_banner in .rodata: from the first
         * banner up, then below it. */
        addr_t from = st->have_first_banner ? st->first_banner & ~(addr_t)0xfff : 0;
        lx_scan_physical_within(vmi, from, UINT64_MAX, LX_KALLSYMS_DIGITS_LEN, ks_scan_fn, &s);
        if (from && !s.found && !s.stop)
            lx_scan_physical_within(vmi, 0, from + LX_KALLSYMS_DIGITS_LEN,
                                    LX_KALLSYMS_DIGITS_LEN, ks_scan_fn, &s);
    }
    if (s.found)
        return VMI_SUCCESS;
    static const char give[] = "give a System.map (sysmap = \"/path/System.map\") to skip "
                               "the in-memory symbol tables";
    if (s.hits == 0)
        core_error(vmi, "no kallsyms token table in guest memory (the kernel lacks "
                        "CONFIG_KALLSYMS?); %s", give);
    else
        core_error(vmi, "kallsyms: %zu candidate token tables, none valid; the most promising "
                        "(%s): %s; %s",
                   s.hits > KS_MAX_CANDIDATES ? (size_t)KS_MAX_CANDIDATES : s.hits,
                   s.best_stage == 0 ? "no token table" :
                   s.best_stage == 1 ? "a token table, no names before it" :
                   s.best_stage == 2 ? "a token table and names, no address table" :
                                       "all tables, undecodable",
                   util_err_msg(&s.why), give);
    return VMI_FAILURE;
}

/* ---- symbols ---- */

bool lx_sym(const lx_state_t *st, const char *name, addr_t *va)
{
    uint64_t a;
    if (!st->syms || !lx_symtab_lookup(st->syms, name, &a, NULL))
        return false;
    *va = a;
    return true;
}

/* ---- checks on page-table roots ---- */

/* Does root translate va to pa? */
static bool maps_to(vmi_instance_t vmi, addr_t root, addr_t va, addr_t pa)
{
    addr_t got;
    return vmi_pagetable_lookup(vmi, root, va, &got) == VMI_SUCCESS && got == pa;
}

/* Does root map va to bytes starting with "Linux version "? */
static bool maps_banner(vmi_instance_t vmi, addr_t root, addr_t va, addr_t *pa)
{
    char b[sizeof(BANNER) - 1];
    addr_t p;
    if (vmi_pagetable_lookup(vmi, root, va, &p) != VMI_SUCCESS)
        return false;
    if (vmi_read_pa(vmi, p, sizeof(b), b, NULL) != VMI_SUCCESS)
        return false;
    if (memcmp(b, BANNER, sizeof(b)) != 0)
        return false;
    if (pa)
        *pa = p;
    return true;
}

/* Lowest address of the kernel image among the symbols: _text, else the
 * lowest text symbol at or above the kernel's half. */
static bool image_start(const lx_state_t *st, addr_t *va)
{
    if (lx_sym(st, "_text", va) || lx_sym(st, "_stext", va) || lx_sym(st, "startup_64", va))
        return true;
    return false;
}

/* The highest symbol address: with text-only kallsyms, init text, which
 * x86's vmlinux places after .data. */
static addr_t symbols_top(const lx_state_t *st)
{
    uint64_t a, hi = 0;
    for (size_t i = 0; lx_symtab_get(st->syms, i, NULL, &a, NULL); i++)
        if (a > hi)
            hi = a;
    return hi;
}

/*
 * The physical range of the kernel image once its va - pa relation is
 * known: from _text to 32 MiB past the highest symbol, which leaves room
 * for .bss and .brk after the last (init) text.  Every section of vmlinux
 * lies in it: rodata with __ksymtab and .BTF, data, bss with
 * swapper_pg_dir.  For kernels whose image no page table showed (i386);
 * false without the relation, or when the symbols span more than any
 * kernel image (256 MiB: the table is not an image's).
 */
#define IMAGE_TAIL (32ULL << 20)
#define IMAGE_SPAN_MAX (256ULL << 20)

bool lx_image_window(const lx_state_t *st, addr_t *lo, addr_t *hi)
{
    addr_t text, top;
    if (!st->have_image_delta || !image_start(st, &text) || text < st->image_delta)
        return false;
    top = symbols_top(st);
    if (top < text || top - text > IMAGE_SPAN_MAX)
        return false;
    *lo = (text - st->image_delta) & ~(addr_t)0xfff;
    *hi = top - st->image_delta + IMAGE_TAIL;
    return true;
}

/*
 * The part of that range between the end of text and the start of init
 * text: x86's vmlinux.lds.S places RO_DATA (with __ksymtab, its strings
 * and .BTF), then .data, between the two, and both ends are text symbols,
 * so text-only kallsyms has them (_etext, _sinittext).  A tenth of the
 * image window on i386 (4.6 of 46 MiB): what a search for read-only data
 * reads there.  False without both symbols in that order within the
 * window; callers then take lx_image_window.
 */
bool lx_rodata_window(const lx_state_t *st, addr_t *lo, addr_t *hi)
{
    addr_t ilo, ihi, etext, sinit;
    if (!lx_image_window(st, &ilo, &ihi) || !lx_sym(st, "_etext", &etext) ||
        !lx_sym(st, "_sinittext", &sinit) || etext >= sinit || etext < st->image_delta)
        return false;
    addr_t l = (etext - st->image_delta) & ~(addr_t)0xfff, h = sinit - st->image_delta;
    if (l < ilo || h > ihi)
        return false;
    *lo = l;
    *hi = h;
    return true;
}

/* ---- KASLR for System.map ---- */

/*
 * Second method, for maps without linux_banner (kernels whose System.map
 * holds text only) or when the first fails: decode the kernel's own kallsyms
 * from memory (runtime addresses) and take the slide from _text in both.
 */
static status_t kaslr_from_kallsyms(vmi_instance_t vmi, lx_state_t *st, addr_t text,
                                    const char *why_not_banner)
{
    lx_state_t tmp;
    addr_t rt;
    memset(&tmp, 0, sizeof(tmp));
    tmp.width = st->width;
    tmp.mode = st->mode;
    if (!text) {
        core_error(vmi, "cannot find the KASLR slide: %s and the System.map has no _text "
                        "(set linux_kaslr)", why_not_banner);
        return VMI_FAILURE;
    }
    if (lx_kallsyms_load(vmi, &tmp) != VMI_SUCCESS) {
        core_error_prefix(vmi, "cannot find the KASLR slide: %s, and from kallsyms",
                          why_not_banner);
        return VMI_FAILURE;
    }
    bool ok = lx_sym(&tmp, "_text", &rt);
    lx_symtab_free(tmp.syms);
    /* Where the tables are tells where the image is (find_image_delta). */
    if (!st->image_pa)
        st->image_pa = tmp.image_pa;
    if (!ok || rt < text) {
        core_error(vmi, "cannot find the KASLR slide: %s, and kallsyms in memory has no _text "
                        "at or above the System.map's 0x%llx (set linux_kaslr)",
                   why_not_banner, (unsigned long long)text);
        return VMI_FAILURE;
    }
    st->kaslr = rt - text;
    lx_symtab_relocate(st->syms, text, st->kaslr);
    return VMI_SUCCESS;
}

/* The symbols of the kernel's own top-level page table, newest name first
 * (init_top_pgt since 4.13, init_level4_pgt before it, swapper_pg_dir on
 * 32-bit and old kernels, initial_page_table: i386's boot table). */
static const char *const lx_root_syms[] = { "init_top_pgt", "init_level4_pgt",
                                            "swapper_pg_dir", "initial_page_table" };
#define LX_NROOTS (sizeof(lx_root_syms) / sizeof(lx_root_syms[0]))

bool lx_offer_root(vmi_instance_t vmi, const lx_state_t *st)
{
    banner_scan_t b;
    addr_t L, R;

    if (!lx_sym(st, "linux_banner", &L))
        return false;
    /* The image is contiguous in physical memory: a root symbol R lies at
     * R + (P - L) when the banner L lies at P.  A runtime map needs slide
     * 0; a link-time one, some multiple of the KASLR alignment.  Banner by
     * banner, from the bottom: the first usually is the kernel's, and the
     * probe reads no further (each read maps pages of an image). */
    for (addr_t from = 0; probe_banners_from(vmi, L, from, 1, &b) == 1; from = b.hits[0] + 1)
        for (size_t r = 0; r < LX_NROOTS; r++)
            if (lx_sym(st, lx_root_syms[r], &R) &&
                core_paging_try_root(vmi, R + (b.hits[0] - L), L, KASLR_ALIGN,
                                     (unsigned)(KASLR_MAX / KASLR_ALIGN) + 1, b.hits[0],
                                     "the OS layer, from the kernel's symbols"))
                return true;
    return false;
}

/*
 * A 32-bit kernel with no symbols that place its root (Debian's i386 has no
 * CONFIG_KALLSYMS_ALL: kallsyms lists code only, no swapper_pg_dir, no
 * linux_banner) has still a fixed layout: lowmem, the image included, is
 * mapped at va = pa + PAGE_OFFSET, and swapper_pg_dir lies in the image's
 * bss, after the banner in its rodata.  So the root is searched for in the
 * 64 MiB after a banner, read 1 MiB at a time (pread: no page of the image
 * stays mapped), instead of the core's scan of every page of RAM, and only
 * up to 16 MiB past the first page that maps the banner (below).
 *
 * A page is a candidate when, for one of the PAGE_OFFSETs x86-32's Kconfig
 * allows, the entry that would map the banner's va is present (a legacy
 * PDE, or a PAE PDPTE: not checked for the bits the SDM reserves, since the
 * guests here set Accessed in theirs, 0x21); the core's walk from it to
 * the banner (core_root_maps) then decides, and core_paging_try_root's
 * own check makes it final.  The boot-time
 * initial_page_table maps the image too, but only it: of the pages that
 * map the banner, the one with the most present kernel-half entries is
 * offered first (swapper maps all of lowmem).
 */
#define LAYOUT32_SPAN (64ULL << 20)
#define LAYOUT32_ROOTS 16
#define LAYOUT32_WALKS 4096 /* candidate walks per banner, at most */
/* The roots a kernel keeps in its image (head_32.S: initial_page_table in
 * .data under PAE, else in .bss; swapper_pg_dir in .bss) lie less than
 * .data, init and the start of .bss apart (2.3 MiB on i386-pae's 6.1; the
 * whole image is 16 MiB): the scan ends this far past the first page that
 * maps the banner instead of reading all of LAYOUT32_SPAN. */
#define LAYOUT32_AFTER_FIRST (16ULL << 20)

static const uint32_t page_offsets32[] = { 0xc0000000u, 0xb0000000u, 0x80000000u,
                                            0x78000000u, 0x40000000u };
#define N_PAGE_OFFSETS32 (sizeof(page_offsets32) / sizeof(page_offsets32[0]))

bool lx_tables_page_offset(const lx_state_t *st, uint32_t *page_offset)
{
    addr_t lo, hi;
    if (st->width != 4 || !st->image_pa || !image_start(st, &lo))
        return false;
    hi = symbols_top(st);
    for (size_t i = 0; i < N_PAGE_OFFSETS32; i++) {
        uint64_t va = st->image_pa + page_offsets32[i];
        if (va >= lo && va < hi) {
            *page_offset = page_offsets32[i];
            return true;
        }
    }
    return false;
}

typedef struct layout32_root {
    addr_t root;
    uint32_t page_offset;
    unsigned score;
} layout32_root_t;

typedef struct layout32 {
    vmi_instance_t vmi;
    addr_t banner;
    addr_t max_pa;
    addr_t stop_at;           /* 0 until a page maps the banner */
    uint32_t only_po;         /* the PAGE_OFFSET to try, 0: each */
    layout32_root_t r[LAYOUT32_ROOTS];
    size_t n, walks;
} layout32_t;

static void layout32_keep(layout32_t *l, addr_t root, uint32_t po, unsigned score)
{
    size_t w = l->n;
    if (l->n == LAYOUT32_ROOTS) { /* replace the weakest when stronger */
        w = 0;
        for (size_t i = 1; i < l->n; i++)
            if (l->r[i].score < l->r[w].score)
                w = i;
        if (l->r[w].score >= score)
            return;
    } else {
        l->n++;
    }
    l->r[w] = (layout32_root_t){ root, po, score };
    if (!l->stop_at)
        l->stop_at = root + LAYOUT32_AFTER_FIRST;
}

/*
 * Whether the top-level entry e of a candidate root can map va onto pa,
 * judged from the entry alone before any walk (SDM vol. 3A, 4.3, 4.4.1,
 * 4.5), so that a page of code or data whose bit 0 happens to be set costs
 * no read (each read of a page through a file mapping makes the kernel map
 * up to 16 around it).  A legacy PDE that maps a 4 MiB page (PS) must map
 * va onto pa itself (frame bits 31:22, and 39:32 from bits 20:13 with
 * PSE-36); every other entry must point into guest memory with its
 * reserved bits clear: a PAE PDPTE's 2:1 and 8:6 (bit 5 is left out: QEMU
 * sets Accessed there), an IA-32e PML4E's or PML5E's PS (bit 7).
 */
#define PDPTE_RESERVED (0x6ULL | 0x1c0ULL | 0xfff0000000000000ULL)
#define ENTRY_FRAME 0x000ffffffffff000ULL

static bool root_entry_may_map(arch_x86_mode_t mode, uint64_t e, uint64_t va, addr_t pa,
                               addr_t max_pa)
{
    if (!(e & 1))
        return false;
    switch (mode) {
    case ARCH_X86_LEGACY:
        if (e & 0x80) {
            uint64_t frame = (e & 0xffc00000u) | (((e >> 13) & 0xff) << 32);
            return frame + (va & 0x3fffff) == pa;
        }
        return (e & 0xfffff000u) < max_pa;
    case ARCH_X86_PAE:
        return !(e & PDPTE_RESERVED) && (e & ENTRY_FRAME) < max_pa;
    default:
        return !(e & 0x80) && (e & ENTRY_FRAME) < max_pa;
    }
}

static bool layout32_scan_fn(void *ctx, addr_t pa, const uint8_t *buf, size_t len)
{
    layout32_t *l = ctx;
    for (size_t o = (size_t)((0x1000 - (pa & 0xfff)) & 0xfff); o + 0x1000 <= len; o += 0x1000) {
        const uint8_t *pg = buf + o;
        if (l->stop_at && pa + o >= l->stop_at)
            return true;
        for (size_t k = 0; k < N_PAGE_OFFSETS32; k++) {
            uint64_t va = l->banner + page_offsets32[k];
            if (va > 0xffffffffULL || l->walks >= LAYOUT32_WALKS ||
                (l->only_po && page_offsets32[k] != l->only_po))
                continue;
            uint32_t pde = util_le32(pg + 4 * (va >> 22));
            uint64_t pdpte = util_le64(pg + 8 * (va >> 30));
            bool legacy = root_entry_may_map(ARCH_X86_LEGACY, pde, va, l->banner, l->max_pa);
            bool pae = root_entry_may_map(ARCH_X86_PAE, pdpte, va, l->banner, l->max_pa);
            if (!legacy && !pae)
                continue;
            l->walks++;
            unsigned score = 0;
            if (legacy && core_root_maps(l->vmi, pa + o, false, va, l->banner)) {
                for (uint32_t i = page_offsets32[k] >> 22; i < 1024; i++)
                    score += util_le32(pg + 4 * i) & 1;
            } else if (pae && core_root_maps(l->vmi, pa + o, true, va, l->banner)) {
                score = 1;
            } else {
                continue;
            }
            layout32_keep(l, pa + o, page_offsets32[k], score);
        }
    }
    return false;
}

static int layout32_cmp(const void *a, const void *b)
{
    const layout32_root_t *x = a, *y = b;
    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    return x->root < y->root ? -1 : (x->root > y->root);
}

/* The banners from physical address from up, at most four (a copy of the
 * text can come first): the root found after the first that has one. */
static bool layout32_from(vmi_instance_t vmi, layout32_t *l, addr_t from, uint32_t only_po)
{
    bool taken = false;
    for (int tries = 0; tries < 4 && !taken; tries++) {
        addr_t banner;
        if (!lx_first_banner_within(vmi, from, UINT64_MAX, &banner) || banner > 0xffffffffULL)
            break;
        from = banner + 1;
        memset(l, 0, sizeof(*l));
        l->vmi = vmi;
        l->banner = banner;
        l->max_pa = vmi_get_max_physical_address(vmi);
        l->only_po = only_po;
        lx_scan_physical_within(vmi, banner & ~0xfffULL, banner + LAYOUT32_SPAN, 0,
                                layout32_scan_fn, l);
        qsort(l->r, l->n, sizeof(l->r[0]), layout32_cmp);
        for (size_t i = 0; i < l->n && !taken; i++)
            taken = core_paging_try_root(vmi, l->r[i].root, banner + l->r[i].page_offset, 0,
                                         1, banner,
                                         "the OS layer, from a 32-bit kernel's fixed layout");
    }
    return taken;
}

/* With near (an address in the image: kallsyms' tables) the banners from
 * 64 MiB below it, more than any image spans, go first: a kernel that
 * physical KASLR put high is then not found by reading all memory below
 * it.  From the bottom of memory otherwise, or when that found nothing.
 * first_banner (NULL when unknown) is where the kernel's banners begin.
 * page_offset, when not 0, is the only PAGE_OFFSET tried (the search
 * then walks a fifth as many candidates); each is tried when that fails. */
bool lx_offer_root_layout32(vmi_instance_t vmi, addr_t near, const addr_t *first_banner,
                            uint32_t page_offset)
{
    layout32_t *l;
    bool taken = false;

    if (!core_paging_pending(vmi) || !(l = malloc(sizeof(*l))))
        return false;
    /* No banner lies below the first: searches from below it start there. */
    addr_t bottom = first_banner ? *first_banner : 0;
    addr_t start = near > LAYOUT32_SPAN ? near - LAYOUT32_SPAN : 0;
    if (start < bottom)
        start = bottom;
    for (int any = page_offset ? 0 : 1; any < 2 && !taken; any++) {
        uint32_t po = any ? 0 : page_offset;
        taken = layout32_from(vmi, l, start, po) ||
                (start > bottom && layout32_from(vmi, l, bottom, po));
    }
    free(l);
    return taken;
}

/* Take slide s: symbols move, and the image's physical place is known. */
static void kaslr_found(lx_state_t *st, addr_t text, uint64_t s, addr_t banner_va,
                        addr_t banner_pa)
{
    st->kaslr = s;
    lx_symtab_relocate(st->syms, text, s);
    st->have_image_delta = true;
    st->image_delta = banner_va - banner_pa;
    st->image_pa = banner_pa;
}

/* The slide the configuration gives (linux_kaslr, or linux_init_task
 * against the map's init_task).  1: taken, 0: not configured, -1: bad. */
static int kaslr_from_config(vmi_instance_t vmi, lx_state_t *st, addr_t text)
{
    uint64_t v;
    addr_t it;

    if (core_config_get(vmi, "linux_kaslr")) {
        if (!core_config_get_u64(vmi, "linux_kaslr", &v))
            return -1;
        st->kaslr = v;
        lx_symtab_relocate(st->syms, text, v);
        return 1;
    }
    if (!core_config_get(vmi, "linux_init_task"))
        return 0;
    if (!core_config_get_u64(vmi, "linux_init_task", &v))
        return -1;
    if (!lx_sym(st, "init_task", &it)) {
        core_error(vmi, "linux_init_task is set but the System.map has no init_task");
        return -1;
    }
    st->kaslr = v - it;
    lx_symtab_relocate(st->syms, text, st->kaslr);
    return 1;
}

/* With the core's page table (CR3, or its scan) no memory scan is needed:
 * the slide is the first s that maps L + s onto the banner. */
static bool kaslr_from_core_root(vmi_instance_t vmi, lx_state_t *st, addr_t text, addr_t L)
{
    addr_t root = core_kernel_dtb(vmi), bpa;
    for (uint64_t sl = 0; root && sl <= KASLR_MAX; sl += KASLR_ALIGN) {
        if (maps_banner(vmi, root, L + sl, &bpa)) {
            kaslr_found(st, text, sl, L + sl, bpa);
            return true;
        }
    }
    return false;
}

/* The banners in memory, each tried with the core's page table and the
 * map's root symbols moved by the banner's own offset. */
static status_t kaslr_from_banners(vmi_instance_t vmi, lx_state_t *st, addr_t text, addr_t L)
{
    banner_scan_t b;
    addr_t core_dtb = core_kernel_dtb(vmi);

    for (int pass = 0; pass < 2; pass++) {
        if (banner_candidates(vmi, L, pass, &b) == 0)
            continue;
        if (!st->banner[0])
            snprintf(st->banner, sizeof(st->banner), "%s", b.text);
        for (size_t h = 0; h < b.n; h++) {
            addr_t P = b.hits[h];
            addr_t cand[1 + LX_NROOTS];
            size_t nc = 0;
            if (core_dtb)
                cand[nc++] = core_dtb;
            for (size_t r = 0; r < LX_NROOTS; r++) {
                addr_t rv;
                if (lx_sym(st, lx_root_syms[r], &rv))
                    cand[nc++] = rv + (P - L);
            }
            for (size_t c = 0; c < nc; c++)
                for (uint64_t s = 0; s <= KASLR_MAX; s += KASLR_ALIGN)
                    if (maps_to(vmi, cand[c], L + s, P)) {
                        kaslr_found(st, text, s, L + s, P);
                        return VMI_SUCCESS;
                    }
        }
    }
    if (b.n == 0)
        return kaslr_from_kallsyms(vmi, st, text, "no \"Linux version\" banner in memory");
    char why[160];
    snprintf(why, sizeof(why), "linux_banner (0x%llx in the System.map) is not mapped onto "
                               "any of the %zu banners in memory within %u MiB",
             (unsigned long long)L, b.n, KASLR_MAX >> 20);
    return kaslr_from_kallsyms(vmi, st, text, why);
}

/*
 * Method: the banner string linux_banner is found in physical memory by its
 * text (all hits, the log buffer holds copies).  For a hit P and the
 * System.map address L of linux_banner, every symbol X of the kernel image
 * then sits at physical X + (P - L): the image is contiguous in physical
 * memory on both x86-64 and i386, whatever the slide.  That yields the
 * physical address of the kernel's top-level page table (init_top_pgt /
 * swapper_pg_dir) without knowing the slide.  The slide s is then the
 * multiple of the KASLR alignment for which that page table (or the
 * core's CR3, tried first) maps L + s onto P.  A copy of the banner in the
 * log buffer never passes that test, so it cannot mislead.  When the core
 * already has a page table, the search runs on it first, without the scan:
 * the first s for which L + s is mapped onto the text "Linux version ".
 */
status_t lx_find_kaslr(vmi_instance_t vmi, lx_state_t *st)
{
    addr_t text = 0, L;
    int cfg;

    if (st->runtime_syms)
        return VMI_SUCCESS;
    image_start(st, &text);
    if (!text) {
        /* No _text: the lowest symbol in the kernel's half. */
        uint64_t a;
        for (size_t i = 0; lx_symtab_get(st->syms, i, NULL, &a, NULL); i++)
            if (lx_is_kernel_va(st, a)) {
                text = a;
                break;
            }
    }
    if ((cfg = kaslr_from_config(vmi, st, text)) != 0)
        return cfg > 0 ? VMI_SUCCESS : VMI_FAILURE;
    if (!lx_sym(st, "linux_banner", &L))
        return kaslr_from_kallsyms(vmi, st, text, "the System.map has no linux_banner");
    if (kaslr_from_core_root(vmi, st, text, L))
        return VMI_SUCCESS;
    return kaslr_from_banners(vmi, st, text, L);
}

/* ---- the kernel image and its page table ---- */

/*
 * A relation taken from one banner must hold for the whole image: when the
 * core has a page table that maps linux_banner (at L) onto this banner, it
 * must map the image's start by the same delta too.  It does not for a
 * Xen PV guest, whose image lies in machine frames in no order: there the
 * image has no delta, and reads go through the page table.  A root that
 * maps L elsewhere judges nothing (it may be a process's, under PTI).
 */
static bool linear_under_root(vmi_instance_t vmi, const lx_state_t *st, addr_t L, addr_t pa)
{
    addr_t root = core_kernel_dtb(vmi), text, got;
    if (!root || !image_start(st, &text) || text >= L || L - pa > text ||
        vmi_pagetable_lookup(vmi, root, L, &got) != VMI_SUCCESS || got != pa)
        return true;
    return vmi_pagetable_lookup(vmi, root, text, &got) != VMI_SUCCESS ||
           got == text - (L - pa);
}

/*
 * Image delta (va - pa of the kernel image) for kernels whose symbols are
 * runtime addresses: from linux_banner (a data symbol) and the banner's
 * physical hits, else (kernels without data symbols, i386) from the
 * candidates PAGE_OFFSET of the i386 memory splits, kept when the kallsyms
 * tables' own physical address lands inside the symbols' address range.
 */
static bool find_image_delta(vmi_instance_t vmi, lx_state_t *st)
{
    addr_t L, hi = 0; /* symbols_top, once: it goes over every symbol */
    if (st->have_image_delta)
        return true;
    for (int pass = 0; pass < 2 && lx_sym(st, "linux_banner", &L); pass++) {
        banner_scan_t b;
        banner_candidates(vmi, L, pass, &b);
        for (size_t h = 0; h < b.n; h++) {
            char t[sizeof(BANNER) - 1];
            if (b.hits[h] > L || ((L - b.hits[h]) & 0xfff) != 0)
                continue;
            if (vmi_read_pa(vmi, b.hits[h], sizeof(t), t, NULL) != VMI_SUCCESS)
                continue;
            /* The rodata copy, not one in the log: the page offset matches
             * (above) and, when kallsyms was found in memory, its tables
             * land inside the symbols' range under the same relation. */
            addr_t lo;
            if (st->image_pa && image_start(st, &lo)) {
                hi = hi ? hi : symbols_top(st);
                uint64_t va = st->image_pa + (L - b.hits[h]);
                if (va < lo || va >= hi)
                    continue;
            }
            if (!linear_under_root(vmi, st, L, b.hits[h]))
                continue;
            st->have_image_delta = true;
            st->image_delta = L - b.hits[h];
            st->image_pa = b.hits[h];
            if (!st->banner[0])
                snprintf(st->banner, sizeof(st->banner), "%s", b.text);
            return true;
        }
    }
    uint32_t po;
    if (lx_tables_page_offset(st, &po)) {
        st->have_image_delta = true;
        st->image_delta = po;
        return true;
    }
    return false;
}

/* A root is the kernel's when it maps the image where the image is. */
static bool root_ok(vmi_instance_t vmi, const lx_state_t *st, addr_t root)
{
    addr_t text;
    if (!root)
        return false;
    if (st->have_image_delta && image_start(st, &text))
        return maps_to(vmi, root, text, text - st->image_delta);
    addr_t L;
    if (lx_sym(st, "linux_banner", &L))
        return maps_banner(vmi, root, L, NULL);
    /* Nothing to compare with: at least the image start must be mapped. */
    addr_t pa;
    return image_start(st, &text) && vmi_pagetable_lookup(vmi, root, text, &pa) == VMI_SUCCESS;
}

/* The top-level entry that maps va, for the quick filter below. */
static bool root_entry(arch_x86_mode_t mode, addr_t va, size_t *off, unsigned *size)
{
    switch (mode) {
    case ARCH_X86_LEGACY: *off = 4 * (size_t)((va >> 22) & 1023); *size = 4; return true;
    case ARCH_X86_PAE: *off = 8 * (size_t)((va >> 30) & 3); *size = 8; return true;
    case ARCH_X86_IA32E_4: *off = 8 * (size_t)((va >> 39) & 511); *size = 8; return true;
    case ARCH_X86_IA32E_5: *off = 8 * (size_t)((va >> 48) & 511); *size = 8; return true;
    default: return false;
    }
}

/* Addresses every user address space maps somewhere (program text, heap,
 * stack) and the kernel's own table maps nowhere. */
static bool maps_user(vmi_instance_t vmi, const lx_state_t *st, addr_t root)
{
    static const uint64_t u32s[] = { 0x8048000, 0x400000, 0x10000, 0xbffff000, 0xb7f00000 };
    static const uint64_t u64s[] = { 0x400000, 0x10000, 0x555555554000ULL,
                                     0x7ffffffff000ULL, 0x7f0000000000ULL };
    const uint64_t *u = st->width == 4 ? u32s : u64s;
    for (size_t i = 0; i < 5; i++) {
        addr_t pa;
        if (vmi_pagetable_lookup(vmi, root, u[i], &pa) == VMI_SUCCESS)
            return true;
    }
    return false;
}

/* Count of symbols (a sample spread over the table) that root maps where
 * the image relation says; -1 when one is mapped elsewhere.  *sampled
 * (may be NULL) is how many of the sample could count. */
static int maps_symbols(vmi_instance_t vmi, const lx_state_t *st, addr_t root, size_t *sampled)
{
    size_t n = lx_symtab_count(st->syms), good = 0, tried = 0;
    for (size_t k = 1; k <= 16; k++) {
        const char *nm;
        uint64_t va;
        char ty;
        if (!lx_symtab_get(st->syms, n * k / 17, &nm, &va, &ty) || (ty != 'T' && ty != 't') ||
            va < st->image_delta)
            continue;
        tried++;
        addr_t pa;
        if (vmi_pagetable_lookup(vmi, root, va, &pa) != VMI_SUCCESS)
            continue; /* init text may be freed */
        if (pa != va - st->image_delta)
            return -1;
        good++;
    }
    if (sampled)
        *sampled = tried;
    return (int)good;
}

typedef struct root_scan {
    vmi_instance_t vmi;
    const lx_state_t *st;
    addr_t text, lo, hi, max_pa;
    size_t eoff;
    unsigned esize;
    addr_t best;
    int best_score;
} root_scan_t;

static bool root_scan_fn(void *ctx, addr_t pa, const uint8_t *buf, size_t len)
{
    root_scan_t *r = ctx;
    for (size_t p = 0; p + 0x1000 <= len; p += 0x1000) {
        addr_t page = pa + p;
        if (page < r->lo || page >= r->hi)
            continue;
        uint64_t e = 0;
        for (unsigned i = r->esize; i-- > 0;)
            e = (e << 8) | buf[p + r->eoff + i];
        if (!root_entry_may_map(r->st->mode, e, r->text, r->text - r->st->image_delta, r->max_pa))
            continue;
        if (!maps_to(r->vmi, page, r->text, r->text - r->st->image_delta) ||
            maps_user(r->vmi, r->st, page))
            continue;
        size_t sampled = 0;
        int score = maps_symbols(r->vmi, r->st, page, &sampled);
        if (score > r->best_score) {
            r->best_score = score;
            r->best = page;
        }
        /* Every page is judged on the same sample, and only a higher score
         * replaces the best: once one maps the whole sample, no later page
         * can, so the rest of the image is not read (on i386 swapper_pg_dir
         * lies in .bss, near the end). */
        if (sampled && r->best_score == (int)sampled)
            return true;
    }
    return false;
}

/*
 * Without a page-table symbol (i386 kernels without data symbols), the
 * kernel's page directory (swapper_pg_dir, page-aligned in the image's
 * .bss) is found by looking at every page of the kernel image: it is a root
 * that maps _text and a sample of text symbols where the image is, and maps
 * none of the user addresses every process has (which rules out process
 * tables and the boot table with its identity mapping).  This matters on
 * 32-bit kernels, where a process's table may lack entries the kernel added
 * later for vmalloc and module space.
 */
static bool scan_image_root(vmi_instance_t vmi, const lx_state_t *st, addr_t *root)
{
    root_scan_t r;
    memset(&r, 0, sizeof(r));
    if (!lx_image_window(st, &r.lo, &r.hi) || !image_start(st, &r.text) ||
        !root_entry(st->mode, r.text, &r.eoff, &r.esize))
        return false;
    r.vmi = vmi;
    r.st = st;
    r.max_pa = vmi_get_max_physical_address(vmi);
    r.best_score = 0;
    lx_scan_physical_within(vmi, r.lo, r.hi, 0, root_scan_fn, &r);
    if (!r.best)
        return false;
    *root = r.best;
    return true;
}

/*
 * Whether root is a page the scan above would pick (so it need not run): a
 * page of the image that maps every text symbol of the sample where the
 * image is, and no user address.  The core's root from a 32-bit kernel's
 * fixed layout (lx_offer_root_layout32) usually is: swapper_pg_dir.  A
 * process's table fails on the user addresses; one that misses any
 * sampled symbol (freed init text, say) leaves the choice to the scan.
 */
static bool is_image_root(vmi_instance_t vmi, const lx_state_t *st, addr_t root)
{
    addr_t lo, hi;
    size_t sampled = 0;
    if (!lx_image_window(st, &lo, &hi) || root < lo || root >= hi || maps_user(vmi, st, root))
        return false;
    int good = maps_symbols(vmi, st, root, &sampled);
    return good > 0 && (size_t)good == sampled;
}

/*
 * The kernel's own page table, in order: config kpgd (kept as given); the
 * kernel's top-level table by symbol (init_top_pgt, swapper_pg_dir), at the
 * physical address the current root or the image relation gives, kept when
 * it maps the kernel image correctly; then the core's root when it is the
 * image's (is_image_root), else a root found in the image (scan_image_root);
 * otherwise the core's root (CR3 or its page-table scan)
 * when it maps the image correctly.
 */
status_t lx_find_kpgd(vmi_instance_t vmi, lx_state_t *st)
{
    addr_t core_dtb = core_kernel_dtb(vmi);
    bool configured = core_config_get(vmi, "kpgd") != NULL;

    find_image_delta(vmi, st);
    if (configured && core_dtb) {
        st->kdtb = core_dtb;
        if (!root_ok(vmi, st, core_dtb)) {
            core_error(vmi, "config kpgd = 0x%llx does not map the kernel image",
                       (unsigned long long)core_dtb);
            st->kdtb = 0;
            return VMI_FAILURE;
        }
        return VMI_SUCCESS;
    }
    bool core_ok = root_ok(vmi, st, core_dtb);

    for (size_t r = 0; r < LX_NROOTS; r++) {
        addr_t va, pa;
        if (!lx_sym(st, lx_root_syms[r], &va))
            continue;
        if (core_ok) {
            if (vmi_pagetable_lookup(vmi, core_dtb, va, &pa) != VMI_SUCCESS)
                continue;
        } else if (st->have_image_delta && va >= st->image_delta) {
            pa = va - st->image_delta;
        } else {
            continue;
        }
        if (st->mode == ARCH_X86_PAE)
            pa &= ~(addr_t)0x1f;
        if (root_ok(vmi, st, pa)) {
            st->kdtb = pa;
            core_set_kernel_dtb(vmi, pa);
            return VMI_SUCCESS;
        }
    }
    addr_t scanned;
    if (core_ok && is_image_root(vmi, st, core_dtb)) {
        st->kdtb = core_dtb;
        return VMI_SUCCESS;
    }
    if (scan_image_root(vmi, st, &scanned)) {
        st->kdtb = scanned;
        core_set_kernel_dtb(vmi, scanned);
        return VMI_SUCCESS;
    }
    if (core_ok) {
        st->kdtb = core_dtb;
        return VMI_SUCCESS;
    }
    if (st->have_image_delta) {
        /* Reads of the image still work through the relation; offsets.c
         * may find init_mm.pgd later. */
        st->kdtb = 0;
        return VMI_SUCCESS;
    }
    core_error(vmi, "no kernel page table: the core's (0x%llx) does not map the kernel "
                    "image and no swapper_pg_dir / init_top_pgt symbol helped (set kpgd)",
               (unsigned long long)core_dtb);
    return VMI_FAILURE;
}

/* ---- BTF ---- */

typedef struct btf_scan {
    vmi_instance_t vmi;
    lx_state_t *st;
    bool found;
} btf_scan_t;

/* The BTF blob of len bytes at physical pa: parsed where it lies when the
 * image is mapped (core_map_static), else read into a big buffer that the
 * index takes.  NULL with a reason in e. */
static lx_btf_t *btf_at_pa(vmi_instance_t vmi, const lx_state_t *st, addr_t pa, size_t len,
                           util_err_t *e)
{
    const uint8_t *p = core_map_static(vmi, pa, len);
    if (p)
        return lx_btf_borrow(p, len, st->width, e);
    size_t got = 0;
    uint8_t *blob = util_sys_big_new(len);
    if (!blob) {
        util_err_set(e, "out of memory for %zu bytes of BTF", len);
        return NULL;
    }
    if (vmi_read_pa(vmi, pa, len, blob, &got) != VMI_SUCCESS || got != len) {
        util_err_set(e, "reading BTF at physical 0x%llx failed: %s", (unsigned long long)pa,
                     tvmi_errmsg(vmi));
        util_sys_big_free(blob);
        return NULL;
    }
    return lx_btf_adopt(blob, len, st->width, e);
}

/* Whether kernel [va, va + len) lies in one run of physical memory (the
 * kernel image does), from *pa: then it is read by physical address, in
 * place when the image is mapped. */
static bool physically_contiguous(vmi_instance_t vmi, const lx_state_t *st, addr_t va,
                                  size_t len, addr_t *pa)
{
    addr_t p0, p;
    if (lx_kv2p(vmi, st, va, &p0) != VMI_SUCCESS)
        return false;
    for (addr_t off = 0x1000 - (va & 0xfff); off < len; off += 0x1000)
        if (lx_kv2p(vmi, st, va + off, &p) != VMI_SUCCESS || p != p0 + off)
            return false;
    *pa = p0;
    return true;
}

/* The vmlinux BTF of len bytes at physical pa; not a module's split BTF
 * (without task_struct and mm_struct).  Taken and remembered
 * (lx_btf_release may drop it, the next lx_btf_load finds it at pa again)
 * when it is. */
static bool btf_from_pa(vmi_instance_t vmi, lx_state_t *st, addr_t pa, size_t len)
{
    util_err_t e;
    lx_btf_t *b = btf_at_pa(vmi, st, pa, len, &e);
    if (!b)
        return false;
    if (!lx_btf_has_struct(b, "task_struct") || !lx_btf_has_struct(b, "mm_struct")) {
        lx_btf_free(b);
        return false;
    }
    st->btf = b;
    st->btf_pa = pa;
    st->btf_len = len;
    return true;
}

static bool btf_scan_fn(void *ctx, addr_t pa, const uint8_t *buf, size_t len)
{
    btf_scan_t *s = ctx;
    static const uint8_t magic[4] = { 0x9f, 0xeb, 0x01, 0x00 };
    const uint8_t *p = buf, *end = buf + len;
    while (p + 24 <= end && (p = util_memfind(p, (size_t)(end - p), magic, 4)) != NULL) {
        if (p + 24 > end)
            break;
        /* vmlinux BTF: type section first (type_off 0), strings right
         * after it, both of a real kernel's size. */
        uint32_t hl = util_le32(p + 4), to = util_le32(p + 8), tl = util_le32(p + 12);
        uint32_t so = util_le32(p + 16), sl = util_le32(p + 20);
        size_t need = 0;
        if (to == 0 && so == tl && tl > 4096 && sl > 4096 && lx_btf_header_ok(p, 24, &need) &&
            hl <= 256 && need <= (64u << 20) &&
            btf_from_pa(s->vmi, s->st, pa + (addr_t)(p - buf), need)) {
            s->found = true;
            return true;
        }
        p++;
    }
    return false;
}

/*
 * The kernel's BTF lies between __start_BTF and __stop_BTF (both in
 * kallsyms of kernels with all symbols).  Without those symbols, physical
 * memory is searched for a BTF header (magic 0xeB9F, version 1, type
 * section first, strings right after it) whose types include task_struct
 * and mm_struct; module BTF (split, without those structs) is passed over.
 */
bool lx_btf_load(vmi_instance_t vmi, lx_state_t *st)
{
    if (st->btf)
        return true;
    /* Dropped after start-up (lx_btf_release): where it was found.  Tried
     * once: if it is no longer there, forget the place (the search below
     * runs once more), so that later calls do not read it again each time. */
    if (st->btf_len) {
        if (btf_from_pa(vmi, st, st->btf_pa, st->btf_len))
            return true;
        st->btf_len = 0;
    }
    if (st->btf_tried)
        return false;
    st->btf_tried = true;
    /* linux_btf = off: use the configuration and heuristics only (to check
     * heuristics against BTF, or to distrust a kernel's BTF). */
    const char *use = core_config_get(vmi, "linux_btf");
    if (use && (util_streq_nocase(use, "off") || util_streq_nocase(use, "no") ||
                util_streq_nocase(use, "0") || util_streq_nocase(use, "false"))) {
        snprintf(st->btf_why, sizeof(st->btf_why), "BTF use is off (config linux_btf)");
        return false;
    }
    addr_t start, stop;
    if (lx_sym(st, "__start_BTF", &start) && lx_sym(st, "__stop_BTF", &stop)) {
        if (stop <= start || stop - start > (64u << 20)) {
            snprintf(st->btf_why, sizeof(st->btf_why),
                     "__start_BTF..__stop_BTF (0x%llx..0x%llx) is not a plausible size",
                     (unsigned long long)start, (unsigned long long)stop);
            return false;
        }
        size_t len = (size_t)(stop - start);
        util_err_t e;
        addr_t pa = 0;
        lx_btf_t *b = NULL;
        if (physically_contiguous(vmi, st, start, len, &pa)) {
            b = btf_at_pa(vmi, st, pa, len, &e);
        } else {
            uint8_t *blob = util_sys_big_new(len); /* lx_btf_adopt's kind of buffer */
            if (!blob) {
                snprintf(st->btf_why, sizeof(st->btf_why),
                         "out of memory for %zu bytes of BTF", len);
                return false;
            }
            if (lx_read(vmi, st, start, blob, len) != VMI_SUCCESS) {
                snprintf(st->btf_why, sizeof(st->btf_why), "reading BTF at 0x%llx failed: %s",
                         (unsigned long long)start, tvmi_errmsg(vmi));
                util_sys_big_free(blob);
                return false;
            }
            b = lx_btf_adopt(blob, len, st->width, &e);
        }
        if (!b) {
            snprintf(st->btf_why, sizeof(st->btf_why), "BTF at 0x%llx: %s",
                     (unsigned long long)start, util_err_msg(&e));
            return false;
        }
        st->btf = b;
        st->btf_from_syms = true;
        return true;
    }
    /* A System.map lists every symbol, and kallsyms lists data symbols too
     * when the kernel has CONFIG_KALLSYMS_ALL (then linux_banner is in it):
     * either one without __start_BTF says the kernel has no .BTF section,
     * with no read of its image (i386 with a System.map searched 46 MiB). */
    addr_t banner;
    if (!st->syms_chosen && lx_sym(st, "linux_banner", &banner)) {
        snprintf(st->btf_why, sizeof(st->btf_why),
                 "the kernel has no BTF (%.60s lists data symbols but no __start_BTF; "
                 "CONFIG_DEBUG_INFO_BTF is off)", st->sym_source);
        return false;
    }
    /* The kernel's BTF is vmlinux's .BTF section, in the image: when the
     * image is known, a BTF elsewhere in memory is not the kernel's, and a
     * kernel without one (i386) costs a read of its image, not of all RAM. */
    btf_scan_t s = { vmi, st, false };
    addr_t lo = 0, hi = 0;
    bool in_image = st->have_image, rodata = false;
    if (!scan_image(vmi, st, 24, btf_scan_fn, &s) && !in_image) {
        rodata = lx_rodata_window(st, &lo, &hi);
        in_image = rodata || lx_image_window(st, &lo, &hi);
        if (in_image)
            lx_scan_physical_within(vmi, lo, hi, 24, btf_scan_fn, &s);
        else
            lx_scan_physical(vmi, 24, btf_scan_fn, &s);
    }
    if (s.found)
        return true;
    char where[96];
    if (hi)
        snprintf(where, sizeof(where), "its %s at physical 0x%llx-0x%llx",
                 rodata ? "data (_etext.._sinittext)" : "image", (unsigned long long)lo,
                 (unsigned long long)hi);
    else
        snprintf(where, sizeof(where), "%s", in_image ? "its image" : "memory");
    snprintf(st->btf_why, sizeof(st->btf_why),
             "the kernel has no BTF (no __start_BTF symbol, no BTF with task_struct in %s; "
             "CONFIG_DEBUG_INFO_BTF is off)", where);
    return false;
}

/*
 * Start-up needs BTF for the process offsets; afterwards only module
 * offsets, vmi_get_kernel_struct_offset and the CR3-switch reader ask for
 * it, some never.  Holding it costs 3-6 MB for the life of the instance
 * (the blob and its index); reading it again costs one read of the blob,
 * from __start_BTF or from where the search of memory found it.
 */
void lx_btf_release(lx_state_t *st)
{
    if (!st->btf || (!st->btf_len && !st->btf_from_syms))
        return;
    lx_btf_free(st->btf);
    st->btf = NULL;
    st->btf_tried = false;
}

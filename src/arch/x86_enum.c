/*
 * x86_enum.c - every page one page table maps, in all four x86 paging
 * modes (Intel SDM vol. 3A, 4.3-4.5): the walk behind vmi_get_va_pages.
 *
 * Where a translation follows one path from the root, this visits every
 * present entry of every table, depth first, in index order, and reports
 * each leaf with the page_info a translation of its first byte would give
 * (x86.h).  Entries are judged by the same verdicts as the walkers
 * (x86_entry.h), so a page is listed exactly when arch_x86_translate
 * would translate it.
 *
 * The depth is fixed by the mode, so a table that points to itself (the
 * Windows self-map) is simply walked again one level down; what bounds the
 * work is the caller's cap on pages reported and tables read, because a
 * hostile table can make every entry present.  Tables are copied into one
 * buffer per level: read_page may hand back a pointer that the next read
 * invalidates, and a parent table must outlive its children's reads.
 *
 * Must not: read memory except through the walker's callbacks, or walk
 * without counting tables against the cap.
 */
#include "arch/x86_entry.h"

#include <inttypes.h>
#include <stdlib.h>

#include "arch/x86.h"

typedef struct enum_walk {
    const arch_x86_walker_t *w;
    arch_x86_mode_t mode;
    addr_t dtb;
    x86_limits_t lim;
    uint64_t max_pages, max_tables;
    addr_t lo, hi;             /* canonical virtual range asked for, [lo, hi) */
    arch_x86_page_fn fn;
    void *ctx;
    arch_x86_enum_stats_t st;
    util_err_t *err;
    page_info_t info;          /* the entries of the path being walked */
    addr_t *loc_of[6], *val_of[6];
    uint8_t table[6][4096];    /* one copy per level (index = level) */
} enum_walk_t;

/* Entries per table and their width at a level. */
static unsigned entries_at(const enum_walk_t *e, unsigned level)
{
    if (e->mode == ARCH_X86_LEGACY)
        return 1024;
    if (e->mode == ARCH_X86_PAE && level == 3)
        return 4;
    return 512;
}

static unsigned entry_width(const enum_walk_t *e)
{
    return e->mode == ARCH_X86_LEGACY ? 4 : 8;
}

/* The linear-address bit a level's index starts at. */
static unsigned shift_at(const enum_walk_t *e, unsigned level)
{
    return e->mode == ARCH_X86_LEGACY ? 12 + 10 * (level - 1) : 12 + 9 * (level - 1);
}

/* Bits 63:48 (or 63:57) copied from the top implemented bit. */
static addr_t canonical(const enum_walk_t *e, addr_t va)
{
    if (e->mode == ARCH_X86_IA32E_4)
        return (addr_t)((int64_t)(va << 16) >> 16);
    if (e->mode == ARCH_X86_IA32E_5)
        return (addr_t)((int64_t)(va << 7) >> 7);
    return va;
}

static void set_slots(enum_walk_t *e)
{
    page_info_t *i = &e->info;
    for (unsigned l = 0; l < 6; l++)
        e->loc_of[l] = e->val_of[l] = NULL;
    switch (e->mode) {
    case ARCH_X86_LEGACY:
        e->loc_of[1] = &i->x86_legacy.pte_location;
        e->val_of[1] = &i->x86_legacy.pte_value;
        e->loc_of[2] = &i->x86_legacy.pgd_location;
        e->val_of[2] = &i->x86_legacy.pgd_value;
        break;
    case ARCH_X86_PAE:
        e->loc_of[1] = &i->x86_pae.pte_location;
        e->val_of[1] = &i->x86_pae.pte_value;
        e->loc_of[2] = &i->x86_pae.pgd_location;
        e->val_of[2] = &i->x86_pae.pgd_value;
        e->loc_of[3] = &i->x86_pae.pdpe_location;
        e->val_of[3] = &i->x86_pae.pdpe_value;
        break;
    default:
        e->loc_of[1] = &i->x86_ia32e.pte_location;
        e->val_of[1] = &i->x86_ia32e.pte_value;
        e->loc_of[2] = &i->x86_ia32e.pgd_location;
        e->val_of[2] = &i->x86_ia32e.pgd_value;
        e->loc_of[3] = &i->x86_ia32e.pdpte_location;
        e->val_of[3] = &i->x86_ia32e.pdpte_value;
        e->loc_of[4] = &i->x86_ia32e.pml4e_location;
        e->val_of[4] = &i->x86_ia32e.pml4e_value;
        e->loc_of[5] = &i->x86_ia32e.pml5e_location;
        e->val_of[5] = &i->x86_ia32e.pml5e_value;
        break;
    }
}

/* A walk that met one of its limits (what it counted, past max) fails. */
static status_t over_limit(enum_walk_t *e, const char *verb, uint64_t max, const char *what)
{
    util_err_set(e->err, "page table 0x%" PRIx64 " %s %" PRIu64 " %s (the limit: a damaged "
                 "or hostile table?)", (uint64_t)e->dtb, verb, max, what);
    return VMI_FAILURE;
}

/* Copy the n entries of the table at pa into e->table[level].  A PAE
 * root is 32 bytes inside a page; every other table is a whole page. */
static status_t read_table(enum_walk_t *e, unsigned level, addr_t pa, unsigned n)
{
    const arch_x86_walker_t *w = e->w;
    uint8_t *out = e->table[level];
    unsigned width = entry_width(e);

    if (++e->st.tables > e->max_tables) {
        return over_limit(e, "has more than", e->max_tables, "tables");
    }
    if (w->read_page) {
        const uint8_t *page = w->read_page(w->ctx, pa & ~0xfffULL, out, e->err);
        if (!page)
            return VMI_FAILURE;
        /* Move or copy: page may be out itself. */
        memmove(out, page + (pa & 0xfff), (size_t)n * width);
        return VMI_SUCCESS;
    }
    for (unsigned i = 0; i < n; i++) {
        uint64_t v;
        if (w->read_entry(w->ctx, pa + (addr_t)i * width, width, &v, e->err) != VMI_SUCCESS)
            return VMI_FAILURE;
        for (unsigned b = 0; b < width; b++)
            out[i * width + b] = (uint8_t)(v >> (8 * b));
    }
    return VMI_SUCCESS;
}

static x86_verdict_t judge(const enum_walk_t *e, uint64_t entry, unsigned level, uint64_t *out)
{
    switch (e->mode) {
    case ARCH_X86_LEGACY:
        return x86_legacy_entry((uint32_t)entry, level, e->w->pse, e->lim.m, out);
    case ARCH_X86_PAE:
        return x86_pae_entry(entry, level, &e->lim, out);
    default:
        return x86_ia32e_entry(entry, level, &e->lim, out);
    }
}

static status_t leaf(enum_walk_t *e, unsigned level, addr_t va, uint64_t frame)
{
    if (e->st.pages >= e->max_pages) {
        return over_limit(e, "maps more than", e->max_pages, "pages");
    }
    e->st.pages++;
    e->info.vaddr = canonical(e, va);
    e->info.paddr = frame;
    e->info.size = (page_size_t)(1ull << shift_at(e, level));
    return e->fn(e->ctx, &e->info, e->err);
}

/* Every entry of the table at pa (level `level`), whose first entry maps
 * linear address base. */
static status_t walk(enum_walk_t *e, unsigned level, addr_t pa, addr_t base)
{
    unsigned n = entries_at(e, level), width = entry_width(e), shift = shift_at(e, level);

    for (unsigned i = 0; i < n; i++) {
        const uint8_t *p = e->table[level] + (size_t)i * width;
        uint64_t entry = width == 4 ? util_le32(p) : util_le64(p), out;
        addr_t va = base | ((addr_t)i << shift);
        x86_verdict_t v = judge(e, entry, level, &out);
        addr_t first = canonical(e, va), last = first + ((1ull << shift) - 1);

        if (v == X86_NOT_PRESENT || first >= e->hi || last < e->lo)
            continue;
        if (v != X86_TABLE && v != X86_LEAF) {
            e->st.rejected++;
            continue;
        }
        /* This entry, and nothing stale from a sibling's subtree below it. */
        for (unsigned l = 1; l < level; l++)
            *e->loc_of[l] = *e->val_of[l] = 0;
        *e->loc_of[level] = pa + (addr_t)i * width;
        *e->val_of[level] = entry;
        if (v == X86_LEAF) {
            if (leaf(e, level, va, out) != VMI_SUCCESS)
                return VMI_FAILURE;
            continue;
        }
        if (read_table(e, level - 1, out, entries_at(e, level - 1)) != VMI_SUCCESS) {
            /* The limit stops the walk; a table we cannot read maps nothing. */
            if (e->st.tables > e->max_tables)
                return VMI_FAILURE;
            e->st.unreadable++;
            continue;
        }
        if (walk(e, level - 1, out, va) != VMI_SUCCESS)
            return VMI_FAILURE;
    }
    return VMI_SUCCESS;
}

status_t arch_x86_enum_pages(const arch_x86_walker_t *w, arch_x86_mode_t mode, addr_t dtb,
                             uint64_t max_pages, uint64_t max_tables, arch_x86_page_fn fn,
                             void *ctx, arch_x86_enum_stats_t *stats, util_err_t *err)
{
    return arch_x86_enum_range(w, mode, dtb, 0, ~0ULL, max_pages, max_tables, fn, ctx, stats,
                               err);
}

status_t arch_x86_enum_range(const arch_x86_walker_t *w, arch_x86_mode_t mode, addr_t dtb,
                             addr_t lo, addr_t hi, uint64_t max_pages, uint64_t max_tables,
                             arch_x86_page_fn fn, void *ctx, arch_x86_enum_stats_t *stats,
                             util_err_t *err)
{
    unsigned levels = arch_x86_levels(mode);
    enum_walk_t *e;
    addr_t root;
    status_t st;

    if (stats)
        memset(stats, 0, sizeof(*stats));
    if (!levels) {
        util_err_set(err, "paging is off (or the mode is unknown): there is no page table "
                     "to list, every address maps to itself");
        return VMI_FAILURE;
    }
    if (!w || !w->read_entry || !fn) {
        util_err_set(err, "x86 page list: no way to read page-table entries, or no callback");
        return VMI_FAILURE;
    }
    if (!(e = calloc(1, sizeof(*e)))) {
        util_err_set(err, "x86 page list: out of memory for the walk");
        return VMI_FAILURE;
    }
    e->w = w;
    e->mode = mode;
    e->dtb = dtb;
    e->max_pages = max_pages;
    e->max_tables = max_tables;
    e->lo = lo;
    e->hi = hi;
    e->fn = fn;
    e->ctx = ctx;
    e->err = err;
    x86_limits_init(&e->lim, w->maxphyaddr, w->nxe);
    e->info.pt = dtb;
    e->info.pm = arch_x86_page_mode(mode);
    set_slots(e);

    root = arch_x86_dtb_base(mode, dtb);
    if ((mode == ARCH_X86_IA32E_4 || mode == ARCH_X86_IA32E_5) && (root & e->lim.above)) {
        x86_walk_root_beyond(err, dtb, root, e->lim.m);
        st = VMI_FAILURE;
    } else if (read_table(e, levels, root, entries_at(e, levels)) != VMI_SUCCESS) {
        if (e->st.tables <= e->max_tables)
            util_err_prefix(err, "reading the root table at 0x%" PRIx64, (uint64_t)root);
        st = VMI_FAILURE;
    } else {
        st = walk(e, levels, root, 0);
    }
    if (stats)
        *stats = e->st;
    free(e);
    return st;
}

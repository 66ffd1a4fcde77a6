/*
 * x86_leaves.c - every mapping of a page table: the reverse of a walk.
 * Visits the present leaves (4 KiB, 2/4 MiB, 1 GiB pages) of the table at
 * a root whose virtual range meets [lo, hi), with the entry verdicts of
 * x86_entry.h, so that "which virtual pages map this frame?" can be
 * answered (memory events built from watchpoints on virtual addresses).
 *
 * Hostile tables cannot make it run away: it reads at most `budget`
 * entries and fails with a reason past that; entries with reserved bits or
 * unreadable tables are skipped, as the CPU would fault on them.
 */
#include "arch/x86.h"
#include "arch/x86_entry.h"

#include <inttypes.h>

typedef struct leaves {
    const arch_x86_walker_t *w;
    arch_x86_mode_t mode;
    x86_limits_t lim;
    unsigned top;         /* level of the root table */
    addr_t lo, hi;
    size_t budget;
    arch_x86_leaf_fn fn;
    void *ctx;
    bool stop;
} leaves_t;

/* Bits of index and shift of a level, per mode. */
static void level_shape(arch_x86_mode_t mode, unsigned level, unsigned *shift, unsigned *bits)
{
    if (mode == ARCH_X86_LEGACY) {
        *shift = level == 2 ? 22 : 12;
        *bits = 10;
        return;
    }
    *shift = 12 + 9 * (level - 1);
    *bits = mode == ARCH_X86_PAE && level == 3 ? 2 : 9;
}

static addr_t canonical(const leaves_t *l, addr_t va)
{
    unsigned width = l->mode == ARCH_X86_IA32E_5 ? 57 : l->mode == ARCH_X86_IA32E_4 ? 48 : 64;
    if (width < 64 && (va >> (width - 1)) & 1)
        va |= ~0ULL << width;
    return va;
}

static status_t visit(leaves_t *l, addr_t table, unsigned level, addr_t prefix, util_err_t *err)
{
    unsigned shift, bits, esize = l->mode == ARCH_X86_LEGACY ? 4 : 8;
    level_shape(l->mode, level, &shift, &bits);

    for (uint64_t i = 0; i < (1ULL << bits) && !l->stop; i++) {
        addr_t va = canonical(l, prefix | (i << shift));
        uint64_t span = 1ULL << shift, e, out;
        x86_verdict_t v;

        /* Skip subtrees wholly outside [lo, hi). */
        if (va + span - 1 < l->lo || va >= l->hi)
            continue;
        if (l->budget == 0) {
            util_err_set(err, "page table at 0x%" PRIx64 " has more entries than the walk "
                              "budget allows; giving up", table);
            return VMI_FAILURE;
        }
        l->budget--;
        if (l->w->read_entry(l->w->ctx, table + i * esize, esize, &e, err) != VMI_SUCCESS)
            continue;
        if (l->mode == ARCH_X86_LEGACY)
            v = x86_legacy_entry((uint32_t)e, level, l->w->pse, l->lim.m, &out);
        else if (l->mode == ARCH_X86_PAE)
            v = x86_pae_entry(e, level, &l->lim, &out);
        else
            v = x86_ia32e_entry(e, level, &l->lim, &out);
        if (v == X86_LEAF) {
            if (!l->fn(l->ctx, va, out, span))
                l->stop = true;
        } else if (v == X86_TABLE && level > 1) {
            if (visit(l, out, level - 1, prefix | (i << shift), err) != VMI_SUCCESS)
                return VMI_FAILURE;
        }
    }
    return VMI_SUCCESS;
}

status_t arch_x86_foreach_leaf(const arch_x86_walker_t *w, arch_x86_mode_t mode, addr_t dtb,
                               addr_t lo, addr_t hi, size_t budget, arch_x86_leaf_fn fn,
                               void *ctx, util_err_t *err)
{
    leaves_t l = { w, mode, { 0, 0, 0 }, arch_x86_levels(mode), lo, hi, budget, fn, ctx, false };

    if (l.top == 0) {
        util_err_set(err, "paging is off: there are no page tables to walk");
        return VMI_FAILURE;
    }
    x86_limits_init(&l.lim, w->maxphyaddr, w->nxe);
    return visit(&l, arch_x86_dtb_base(mode, dtb), l.top, 0, err);
}

/*
 * x86_ia32e.c - translation with 4-level and 5-level IA-32e paging (Intel
 * SDM vol. 3A, 4.5): [PML5 ->] PML4 -> PDPT -> PD -> PT, 4 KiB, 2 MiB and
 * 1 GiB pages, 64-bit entries, 9 address bits per level.
 *
 * The two depths differ only in where the walk starts, so one loop serves
 * both.  CR3 bits 11:0 are flags or the PCID and bits 63:52 are flags (LAM,
 * no-flush), never address bits.  The loop runs at most `levels` times
 * whatever the tables say, so a table that points to itself (Windows'
 * self-map) is walked like any other.  This file only walks; the entry
 * format lives in x86_entry.h and the failure text in x86.c.  It must not
 * allocate or format anything on the way to a successful translation.
 */
#include "arch/x86_entry.h"

#include "arch/x86.h"

status_t x86_ia32e_translate(const arch_x86_walker_t *w, unsigned levels, addr_t dtb,
                             addr_t vaddr, page_info_t *info, util_err_t *err)
{
    /* Where each level's entry goes in page_info, by level number. */
    addr_t *const loc_of[6] = {
        NULL,
        &info->x86_ia32e.pte_location,
        &info->x86_ia32e.pgd_location,
        &info->x86_ia32e.pdpte_location,
        &info->x86_ia32e.pml4e_location,
        &info->x86_ia32e.pml5e_location,
    };
    addr_t *const val_of[6] = {
        NULL,
        &info->x86_ia32e.pte_value,
        &info->x86_ia32e.pgd_value,
        &info->x86_ia32e.pdpte_value,
        &info->x86_ia32e.pml4e_value,
        &info->x86_ia32e.pml5e_value,
    };
    x86_limits_t lim;
    addr_t table;
    unsigned level;

    if (!arch_x86_is_canonical(levels == 5 ? ARCH_X86_IA32E_5 : ARCH_X86_IA32E_4, vaddr)) {
        x86_walk_noncanonical(err, levels == 5 ? ARCH_X86_IA32E_5 : ARCH_X86_IA32E_4, vaddr);
        return VMI_FAILURE;
    }
    x86_limits_init(&lim, w->maxphyaddr, w->nxe);
    table = dtb & X86_ADDR;
    if (table & lim.above) {
        x86_walk_root_beyond(err, dtb, table, lim.m);
        return VMI_FAILURE;
    }

    for (level = levels; level >= 1; level--) {
        /* Level n is indexed by linear address bits (11+9n):(3+9n), and a
         * page it maps is 2^(3+9n) bytes. */
        unsigned shift = 3 + 9 * level;
        addr_t loc = table | (((vaddr >> shift) & 0x1ff) << 3);
        uint64_t e, out;
        x86_verdict_t v;

        if (w->read_entry(w->ctx, loc, 8, &e, err) != VMI_SUCCESS) {
            x86_walk_read_failed(err, level, vaddr, loc);
            return VMI_FAILURE;
        }
        *loc_of[level] = loc;
        *val_of[level] = e;
        v = x86_ia32e_entry(e, level, &lim, &out);
        if (v == X86_TABLE) {
            table = out;
            continue;
        }
        if (v == X86_LEAF) {
            uint64_t size = 1ull << shift;
            info->paddr = out | (vaddr & (size - 1));
            info->size = (page_size_t)size;
            return VMI_SUCCESS;
        }
        x86_walk_fail(err, level, vaddr, loc, e, v, out, lim.m);
        return VMI_FAILURE;
    }
    /* Unreachable: a level-1 entry is always a leaf or a failure. */
    x86_walk_fail(err, 1, vaddr, table, 0, X86_NOT_PRESENT, 0, lim.m);
    return VMI_FAILURE;
}

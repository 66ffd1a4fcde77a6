/*
 * x86_legacy.c - translation with 32-bit paging (Intel SDM vol. 3A, 4.3):
 * CR3 -> page directory -> page table, 4 KiB pages, or 4 MiB pages when
 * CR4.PSE is set (with PSE-36 address bits 39:32).
 *
 * Entries are 4 bytes.  This file only walks; the entry format lives in
 * x86_entry.h and the failure text in x86.c.  It must not allocate or
 * format anything on the way to a successful translation.
 */
#include "arch/x86_entry.h"

status_t x86_legacy_translate(const arch_x86_walker_t *w, addr_t dtb, addr_t vaddr,
                              page_info_t *info, util_err_t *err)
{
    unsigned m = x86_maxphyaddr(w->maxphyaddr);
    uint64_t value, out;
    uint32_t e;
    addr_t loc;
    x86_verdict_t v;

    /* Linear addresses are 32 bits wide in this mode. */
    if (vaddr > 0xffffffffull) {
        x86_walk_noncanonical(err, ARCH_X86_LEGACY, vaddr);
        return VMI_FAILURE;
    }

    /* PDE: CR3 bits 31:12, then linear address bits 31:22. */
    loc = (dtb & 0xfffff000u) | ((vaddr >> 22) << 2);
    if (w->read_entry(w->ctx, loc, 4, &value, err) != VMI_SUCCESS) {
        x86_walk_read_failed(err, 2, vaddr, loc);
        return VMI_FAILURE;
    }
    e = (uint32_t)value;
    info->x86_legacy.pgd_location = loc;
    info->x86_legacy.pgd_value = e;
    v = x86_legacy_entry(e, 2, w->pse, m, &out);
    if (v == X86_LEAF) {
        info->paddr = out | (vaddr & 0x3fffff);
        info->size = VMI_PS_4MB;
        return VMI_SUCCESS;
    }
    if (v != X86_TABLE) {
        x86_walk_fail(err, 2, vaddr, loc, e, v, out, m);
        return VMI_FAILURE;
    }

    /* PTE: linear address bits 21:12 index the page table. */
    loc = out | (((vaddr >> 12) & 0x3ff) << 2);
    if (w->read_entry(w->ctx, loc, 4, &value, err) != VMI_SUCCESS) {
        x86_walk_read_failed(err, 1, vaddr, loc);
        return VMI_FAILURE;
    }
    e = (uint32_t)value;
    info->x86_legacy.pte_location = loc;
    info->x86_legacy.pte_value = e;
    v = x86_legacy_entry(e, 1, w->pse, m, &out);
    if (v != X86_LEAF) {
        x86_walk_fail(err, 1, vaddr, loc, e, v, out, m);
        return VMI_FAILURE;
    }
    info->paddr = out | (vaddr & 0xfff);
    info->size = VMI_PS_4KB;
    return VMI_SUCCESS;
}

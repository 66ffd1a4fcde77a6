/*
 * x86_pae.c - translation with PAE paging (Intel SDM vol. 3A, 4.4):
 * CR3 -> page-directory-pointer table of 4 entries -> page directory ->
 * page table, 4 KiB or 2 MiB pages, 64-bit entries.
 *
 * CR3 bits 31:5 locate the PDPT, which is 32-byte aligned and so need not
 * start a page (Linux allocates it from a slab: CR3=0x01212cc0 is real).
 * This file only walks; the entry format lives in x86_entry.h and the
 * failure text in x86.c.  It must not allocate or format anything on the
 * way to a successful translation.
 */
#include "arch/x86_entry.h"

status_t x86_pae_translate(const arch_x86_walker_t *w, addr_t dtb, addr_t vaddr,
                           page_info_t *info, util_err_t *err)
{
    x86_limits_t lim;
    uint64_t e, out;
    addr_t loc;
    x86_verdict_t v;

    if (vaddr > 0xffffffffull) {
        x86_walk_noncanonical(err, ARCH_X86_PAE, vaddr);
        return VMI_FAILURE;
    }
    x86_limits_init(&lim, w->maxphyaddr, w->nxe);

    /* PDPTE: CR3 bits 31:5, then linear address bits 31:30. */
    loc = (dtb & 0xffffffe0u) | ((vaddr >> 30) << 3);
    if (w->read_entry(w->ctx, loc, 8, &e, err) != VMI_SUCCESS) {
        x86_walk_read_failed(err, 3, vaddr, loc);
        return VMI_FAILURE;
    }
    info->x86_pae.pdpe_location = loc;
    info->x86_pae.pdpe_value = e;
    v = x86_pae_entry(e, 3, &lim, &out);
    if (v != X86_TABLE) {
        x86_walk_fail(err, 3, vaddr, loc, e, v, out, lim.m);
        return VMI_FAILURE;
    }

    /* PDE: linear address bits 29:21. */
    loc = out | (((vaddr >> 21) & 0x1ff) << 3);
    if (w->read_entry(w->ctx, loc, 8, &e, err) != VMI_SUCCESS) {
        x86_walk_read_failed(err, 2, vaddr, loc);
        return VMI_FAILURE;
    }
    info->x86_pae.pgd_location = loc;
    info->x86_pae.pgd_value = e;
    v = x86_pae_entry(e, 2, &lim, &out);
    if (v == X86_LEAF) {
        info->paddr = out | (vaddr & 0x1fffff);
        info->size = VMI_PS_2MB;
        return VMI_SUCCESS;
    }
    if (v != X86_TABLE) {
        x86_walk_fail(err, 2, vaddr, loc, e, v, out, lim.m);
        return VMI_FAILURE;
    }

    /* PTE: linear address bits 20:12. */
    loc = out | (((vaddr >> 12) & 0x1ff) << 3);
    if (w->read_entry(w->ctx, loc, 8, &e, err) != VMI_SUCCESS) {
        x86_walk_read_failed(err, 1, vaddr, loc);
        return VMI_FAILURE;
    }
    info->x86_pae.pte_location = loc;
    info->x86_pae.pte_value = e;
    v = x86_pae_entry(e, 1, &lim, &out);
    if (v != X86_LEAF) {
        x86_walk_fail(err, 1, vaddr, loc, e, v, out, lim.m);
        return VMI_FAILURE;
    }
    info->paddr = out | (vaddr & 0xfff);
    info->size = VMI_PS_4KB;
    return VMI_SUCCESS;
}

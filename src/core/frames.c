/*
 * frames.c - the reverse of translation: which virtual pages of a page
 * table map a given frame.  The events layer needs it where a target
 * watches virtual addresses only (QEMU's watchpoints) but LibVMI asks for
 * events on a guest-physical frame.
 */
#include "core/core.h"
#include "core/instance.h"

typedef struct frame_vas {
    addr_t gfn;
    addr_t *vas;
    unsigned int max, n;
} frame_vas_t;

static status_t on_page(void *ctx, const page_info_t *p, util_err_t *err)
{
    frame_vas_t *f = ctx;
    addr_t fa = f->gfn << 12, va;

    (void)err;
    if (fa - p->paddr >= p->size)
        return VMI_SUCCESS;
    va = p->vaddr + (fa - p->paddr);
    for (unsigned int i = 0; i < f->n; i++)
        if (f->vas[i] == va)
            return VMI_SUCCESS;
    if (f->n < f->max)
        f->vas[f->n++] = va;
    return VMI_SUCCESS;
}

status_t core_frame_vas(vmi_instance_t vmi, addr_t dtb, addr_t lo, addr_t hi, addr_t gfn,
                        addr_t *vas, unsigned int max, unsigned int *n)
{
    frame_vas_t f = { gfn, vas, max, *n };

    if (vmi->pmode == ARCH_X86_NONE) {
        if (*n < max && (gfn << 12) >= lo && (gfn << 12) < hi)
            vas[(*n)++] = gfn << 12;
        return VMI_SUCCESS;
    }
    /* 1 << 22 pages and 1 << 18 tables: a few seconds of reads for the
     * largest real table, and the end of a hostile one. */
    if (arch_x86_enum_range(&vmi->walker, vmi->pmode, dtb, lo, hi, (uint64_t)1 << 22,
                            (uint64_t)1 << 18, on_page, &f, NULL, &vmi->err) != VMI_SUCCESS)
        return VMI_FAILURE;
    *n = f.n;
    return VMI_SUCCESS;
}

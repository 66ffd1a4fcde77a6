/*
 * frames.c - the reverse of translation: which virtual pages of a page
 * table map a given frame.  The events layer needs it where a target
 * watches virtual addresses only (QEMU's watchpoints) but LibVMI asks for
 * events on a guest-physical frame.
 */
#include <inttypes.h>

#include "core/core.h"
#include "core/instance.h"

typedef struct frame_vas {
    addr_t gfn;
    addr_t *vas;
    unsigned int max, n;
} frame_vas_t;

/* va appended once; past max, a failure that says so. */
static status_t add_va(frame_vas_t *f, addr_t va, util_err_t *err)
{
    for (unsigned int i = 0; i < f->n; i++)
        if (f->vas[i] == va)
            return VMI_SUCCESS;
    /* Dropping the extra page would leave accesses through it unseen with
     * nobody told: the caller must know its watch would be incomplete. */
    if (f->n >= f->max) {
        util_err_set(err, "frame 0x%" PRIx64 " is mapped at more than %u virtual pages "
                          "(one more at 0x%" PRIx64 "), more than can be watched",
                     (uint64_t)f->gfn, f->max, (uint64_t)va);
        return VMI_FAILURE;
    }
    f->vas[f->n++] = va;
    return VMI_SUCCESS;
}

static status_t on_page(void *ctx, const page_info_t *p, util_err_t *err)
{
    frame_vas_t *f = ctx;
    addr_t fa = f->gfn << 12;

    if (fa - p->paddr >= p->size)
        return VMI_SUCCESS;
    return add_va(f, p->vaddr + (fa - p->paddr), err);
}

status_t core_frame_vas(vmi_instance_t vmi, addr_t dtb, addr_t lo, addr_t hi, addr_t gfn,
                        addr_t *vas, unsigned int max, unsigned int *n)
{
    frame_vas_t f = { gfn, vas, max, *n };
    status_t rc;

    if (vmi->pmode == ARCH_X86_NONE) {
        /* No paging: the frame's one virtual page is its physical one. */
        rc = (gfn << 12) >= lo && (gfn << 12) < hi ? add_va(&f, gfn << 12, &vmi->err)
                                                   : VMI_SUCCESS;
    } else {
        /* 1 << 22 pages and 1 << 18 tables: a few seconds of reads for the
         * largest real table, and the end of a hostile one. */
        rc = arch_x86_enum_range(&vmi->walker, vmi->pmode, dtb, lo, hi, (uint64_t)1 << 22,
                                 (uint64_t)1 << 18, on_page, &f, NULL, &vmi->err);
    }
    *n = f.n;
    return rc;
}

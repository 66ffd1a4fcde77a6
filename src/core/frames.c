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

static bool leaf(void *ctx, addr_t va, addr_t pa, uint64_t size)
{
    frame_vas_t *f = ctx;
    addr_t fa = f->gfn << 12;

    if (fa - pa >= size)
        return true;
    va += fa - pa;
    for (unsigned int i = 0; i < f->n; i++)
        if (f->vas[i] == va)
            return true;
    if (f->n >= f->max)
        return false;
    f->vas[f->n++] = va;
    return true;
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
    /* 1 << 22 entries: a few seconds of reads for the largest real table,
     * and the end of a hostile one. */
    if (arch_x86_foreach_leaf(&vmi->walker, vmi->pmode, dtb, lo, hi, (size_t)1 << 22, leaf, &f,
                              &vmi->err) != VMI_SUCCESS)
        return VMI_FAILURE;
    *n = f.n;
    return VMI_SUCCESS;
}

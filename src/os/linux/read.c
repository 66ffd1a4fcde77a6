/*
 * read.c - how the Linux layer reads the kernel: one place that picks the
 * translation (the kernel page table once known, else the kernel image's
 * fixed virtual-to-physical relation), the checked fixed-size string copy,
 * and the one bounded walk over a guest `struct list_head` ring.
 *
 * Every guest pointer that comes through here is data, not trust: a walk
 * ends at OS_WALK_LIMIT entries, on a NULL or unreadable link, or on any
 * list_head seen twice, and the reason lands on the instance.
 *
 * Nothing here knows task or module layouts; those belong to tasks.c and
 * modules.c.
 */
#include "os/linux/linux.h"

#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "os/os.h"
#include "util/bytes.h"

bool lx_kernel_half(addr_t va, unsigned width, bool la57)
{
    if (width == 4)
        return va >= 0x40000000ULL && va <= 0xffffffffULL;
    return va >= (la57 ? 0xff00000000000000ULL : 0xffff800000000000ULL);
}

bool lx_is_kernel_va(const lx_state_t *st, addr_t va)
{
    return lx_kernel_half(va, st->width, st->mode == ARCH_X86_IA32E_5);
}

status_t lx_kv2p(vmi_instance_t vmi, const lx_state_t *st, addr_t va, addr_t *pa)
{
    if (st->kdtb)
        return vmi_pagetable_lookup(vmi, st->kdtb, va, pa);
    if (st->have_image_delta && va >= st->image_delta) {
        *pa = va - st->image_delta;
        return VMI_SUCCESS;
    }
    core_error(vmi, "kernel address 0x%llx: neither the kernel page table nor the "
                    "kernel's load address is known yet", (unsigned long long)va);
    return VMI_FAILURE;
}

status_t lx_read(vmi_instance_t vmi, const lx_state_t *st, addr_t va, void *buf, size_t len)
{
    size_t got = 0;
    if (st->kdtb) {
        ACCESS_CONTEXT(ctx, .translate_mechanism = VMI_TM_PROCESS_DTB, .dtb = st->kdtb,
                       .addr = va);
        if (vmi_read(vmi, &ctx, len, buf, &got) == VMI_SUCCESS && got == len)
            return VMI_SUCCESS;
        return VMI_FAILURE;
    }
    addr_t pa;
    if (lx_kv2p(vmi, st, va, &pa) != VMI_SUCCESS)
        return VMI_FAILURE;
    if (vmi_read_pa(vmi, pa, len, buf, &got) == VMI_SUCCESS && got == len)
        return VMI_SUCCESS;
    core_error_prefix(vmi, "kernel 0x%llx", (unsigned long long)va);
    return VMI_FAILURE;
}

status_t lx_read_ptr(vmi_instance_t vmi, const lx_state_t *st, addr_t va, addr_t *out)
{
    uint8_t b[8];
    if (lx_read(vmi, st, va, b, st->width) != VMI_SUCCESS)
        return VMI_FAILURE;
    *out = util_le(b, st->width);
    return VMI_SUCCESS;
}

status_t lx_read_u32(vmi_instance_t vmi, const lx_state_t *st, addr_t va, uint32_t *out)
{
    uint8_t b[4];
    if (lx_read(vmi, st, va, b, 4) != VMI_SUCCESS)
        return VMI_FAILURE;
    *out = util_le32(b);
    return VMI_SUCCESS;
}

status_t lx_read_chars(vmi_instance_t vmi, const lx_state_t *st, addr_t va, char *out,
                       size_t cap)
{
    if (cap == 0)
        return VMI_FAILURE;
    out[0] = '\0';
    if (lx_read(vmi, st, va, out, cap) != VMI_SUCCESS) {
        out[0] = '\0';
        return VMI_FAILURE;
    }
    /* A guest array without its NUL is cut, never read past. */
    out[cap - 1] = '\0';
    return VMI_SUCCESS;
}

/* ---- the bounded list walk (os/walk.h) ---- */

static status_t walk_read_ptr(vmi_instance_t vmi, const void *os, addr_t va, addr_t *out)
{
    return lx_read_ptr(vmi, os, va, out);
}

static bool walk_is_kernel(const void *os, addr_t va)
{
    return lx_is_kernel_va(os, va);
}

void lx_walk_init(os_walk_t *w, const lx_state_t *st, addr_t head, size_t limit,
                  const char *what)
{
    os_walk_init(w, head, limit, what, walk_read_ptr, walk_is_kernel, st);
}

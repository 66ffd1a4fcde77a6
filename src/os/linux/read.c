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

bool lx_is_kernel_va(const lx_state_t *st, addr_t va)
{
    if (st->width == 4)
        return va >= 0x40000000ULL && va <= 0xffffffffULL;
    /* The upper half of a 4- or 5-level address space. */
    return va >= 0xff00000000000000ULL ||
           (st->mode != ARCH_X86_IA32E_5 && va >= 0xffff800000000000ULL);
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

/* ---- the bounded list walk ---- */

void lx_walk_init(lx_walk_t *w, addr_t head, size_t limit)
{
    memset(w, 0, sizeof(*w));
    w->head = head;
    w->cur = head;
    w->limit = limit ? limit : OS_WALK_LIMIT;
}

void lx_walk_done(lx_walk_t *w)
{
    free(w->seen);
    w->seen = NULL;
    w->seen_cap = w->seen_count = 0;
}

/* Open-addressing set of addresses; returns true when a was already in. */
static bool seen_insert(lx_walk_t *w, uint64_t a, bool *oom)
{
    if ((w->seen_count + 1) * 2 > w->seen_cap) {
        size_t cap = w->seen_cap ? w->seen_cap * 2 : 256;
        uint64_t *n = calloc(cap, sizeof(uint64_t));
        if (!n) {
            *oom = true;
            return false;
        }
        for (size_t i = 0; i < w->seen_cap; i++) {
            uint64_t v = w->seen[i];
            if (!v)
                continue;
            size_t j = (size_t)((v >> 3) * 0x9e3779b97f4a7c15ULL) & (cap - 1);
            while (n[j])
                j = (j + 1) & (cap - 1);
            n[j] = v;
        }
        free(w->seen);
        w->seen = n;
        w->seen_cap = cap;
    }
    size_t j = (size_t)((a >> 3) * 0x9e3779b97f4a7c15ULL) & (w->seen_cap - 1);
    while (w->seen[j]) {
        if (w->seen[j] == a)
            return true;
        j = (j + 1) & (w->seen_cap - 1);
    }
    w->seen[j] = a;
    w->seen_count++;
    return false;
}

int lx_walk_next(vmi_instance_t vmi, const lx_state_t *st, lx_walk_t *w, addr_t *next)
{
    addr_t n;
    if (lx_read_ptr(vmi, st, w->cur, &n) != VMI_SUCCESS) {
        core_error_prefix(vmi, "list entry %zu: next pointer at 0x%llx unreadable", w->count,
                          (unsigned long long)w->cur);
        return -1;
    }
    if (n == w->head)
        return 0;
    if (n == 0 || !lx_is_kernel_va(st, n)) {
        core_error(vmi, "list entry %zu: next pointer at 0x%llx is 0x%llx, not a kernel "
                        "address", w->count, (unsigned long long)w->cur,
                   (unsigned long long)n);
        return -1;
    }
    if (w->count >= w->limit) {
        core_error(vmi, "list from 0x%llx: more than %zu entries (corrupt or cyclic)",
                   (unsigned long long)w->head, w->limit);
        return -1;
    }
    bool oom = false;
    if (seen_insert(w, n, &oom)) {
        core_error(vmi, "list from 0x%llx: entry %zu at 0x%llx was already visited (a "
                        "cycle that misses the list head)", (unsigned long long)w->head,
                   w->count, (unsigned long long)n);
        return -1;
    }
    if (oom) {
        core_error(vmi, "list walk: out of memory after %zu entries", w->count);
        return -1;
    }
    w->cur = n;
    w->count++;
    *next = n;
    return 1;
}

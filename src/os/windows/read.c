/*
 * read.c - how the Windows layer reads the guest: kernel virtual reads,
 * UNICODE_STRINGs, PE images, and the one bounded walk over LIST_ENTRY
 * lists (processes, modules).  Guest data is hostile, so every pointer is
 * checked to be a kernel address and every walk has a limit and a cycle
 * check.
 *
 * Must not: follow a guest pointer that is not a kernel address, or read a
 * guest length without a cap.
 */
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "os/windows/windows.h"
#include "util/bytes.h"
#include "util/utf.h"

/* Longest UNICODE_STRING we read for a name: the field is 16 bits, so this
 * is its own bound; names longer than the caller's buffer are cut. */
#define WIN_USTR_MAX 0xfffe

status_t win_read(vmi_instance_t vmi, addr_t va, void *buf, size_t len)
{
    ACCESS_CONTEXT(ctx, .translate_mechanism = VMI_TM_PROCESS_DTB,
                   .dtb = core_kernel_dtb(vmi), .addr = va);
    return vmi_read(vmi, &ctx, len, buf, NULL);
}

status_t win_read_ptr(vmi_instance_t vmi, const win_state_t *st, addr_t va, addr_t *out)
{
    uint8_t b[8] = { 0 };
    if (win_read(vmi, va, b, st->ptr) != VMI_SUCCESS)
        return VMI_FAILURE;
    *out = util_le(b, st->ptr);
    return VMI_SUCCESS;
}

status_t win_read_u16(vmi_instance_t vmi, addr_t va, uint16_t *out)
{
    uint8_t b[2];
    if (win_read(vmi, va, b, 2) != VMI_SUCCESS)
        return VMI_FAILURE;
    *out = util_le16(b);
    return VMI_SUCCESS;
}

status_t win_read_u32(vmi_instance_t vmi, addr_t va, uint32_t *out)
{
    uint8_t b[4];
    if (win_read(vmi, va, b, 4) != VMI_SUCCESS)
        return VMI_FAILURE;
    *out = util_le32(b);
    return VMI_SUCCESS;
}

bool win_is_kernel_va(const win_state_t *st, addr_t va)
{
    if (st->ptr == 4)
        return va >= 0x80000000ULL && va <= 0xffffffffULL;
    /* 48-bit canonical upper half (57-bit kernels keep their structures
     * there too). */
    return va >= 0xffff800000000000ULL;
}

status_t win_read_unicode(vmi_instance_t vmi, const win_state_t *st, addr_t va,
                          char *buf, size_t size)
{
    uint16_t len, maxlen;
    addr_t buffer;
    if (!size)
        return VMI_FAILURE;
    buf[0] = '\0';
    /* { USHORT Length; USHORT MaximumLength; PWSTR Buffer } with Buffer
     * aligned to the pointer width. */
    if (win_read_u16(vmi, va, &len) != VMI_SUCCESS ||
        win_read_u16(vmi, va + 2, &maxlen) != VMI_SUCCESS ||
        win_read_ptr(vmi, st, va + st->ptr, &buffer) != VMI_SUCCESS) {
        core_error_prefix(vmi, "UNICODE_STRING at 0x%llx", (unsigned long long)va);
        return VMI_FAILURE;
    }
    if (len == 0)
        return VMI_SUCCESS;
    if ((len & 1) || len > WIN_USTR_MAX || len > maxlen) {
        core_error(vmi, "UNICODE_STRING at 0x%llx: implausible Length %u (MaximumLength %u)",
                   (unsigned long long)va, len, maxlen);
        return VMI_FAILURE;
    }
    /* Read no more than can be shown: 4 UTF-8 bytes never come from fewer
     * than 2 UTF-16 bytes, so 2 * size input bytes always suffice. */
    size_t want = len;
    if (want > 2 * size)
        want = 2 * size;
    uint8_t *raw = malloc(want);
    if (!raw) {
        core_error(vmi, "out of memory");
        return VMI_FAILURE;
    }
    if (win_read(vmi, buffer, raw, want) != VMI_SUCCESS) {
        core_error_prefix(vmi, "UNICODE_STRING at 0x%llx, buffer 0x%llx",
                          (unsigned long long)va, (unsigned long long)buffer);
        free(raw);
        return VMI_FAILURE;
    }
    util_utf16le_to_utf8(raw, want, buf, size);
    free(raw);
    return VMI_SUCCESS;
}

/* ---- The bounded list walk ---- */

/* A set of addresses (open addressing), to notice an entry seen twice. */
typedef struct addrset {
    uint64_t *slot;
    size_t cap, n;
} addrset_t;

static uint64_t mix(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

/* 1: added, 0: already there, -1: out of memory.  Address 0 is never
 * added (walks reject null links before). */
static int addrset_add(addrset_t *s, uint64_t a)
{
    if ((s->n + 1) * 2 > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 256;
        uint64_t *slot = calloc(cap, sizeof(*slot));
        if (!slot)
            return -1;
        for (size_t i = 0; i < s->cap; i++) {
            if (!s->slot[i])
                continue;
            size_t j = mix(s->slot[i]) & (cap - 1);
            while (slot[j])
                j = (j + 1) & (cap - 1);
            slot[j] = s->slot[i];
        }
        free(s->slot);
        s->slot = slot;
        s->cap = cap;
    }
    size_t j = mix(a) & (s->cap - 1);
    while (s->slot[j]) {
        if (s->slot[j] == a)
            return 0;
        j = (j + 1) & (s->cap - 1);
    }
    s->slot[j] = a;
    s->n++;
    return 1;
}

status_t win_walk_list(vmi_instance_t vmi, win_state_t *st, addr_t head, const char *what,
                       win_list_fn fn, void *ctx)
{
    addrset_t seen = { 0 };
    status_t ret = VMI_FAILURE;
    addr_t cur;
    size_t count = 0;

    if (win_read_ptr(vmi, st, head, &cur) != VMI_SUCCESS) {
        core_error_prefix(vmi, "%s: reading the list head at 0x%llx", what,
                          (unsigned long long)head);
        return VMI_FAILURE;
    }
    while (cur != head) {
        if (!win_is_kernel_va(st, cur)) {
            core_error(vmi, "%s: entry %zu links to 0x%llx, not a kernel address (corrupt list)",
                       what, count, (unsigned long long)cur);
            goto out;
        }
        if (count >= OS_WALK_LIMIT) {
            core_error(vmi, "%s: more than %d entries without returning to the head at 0x%llx "
                            "(corrupt list)", what, OS_WALK_LIMIT, (unsigned long long)head);
            goto out;
        }
        int added = addrset_add(&seen, cur);
        if (added < 0) {
            core_error(vmi, "%s: out of memory", what);
            goto out;
        }
        if (added == 0) {
            core_error(vmi, "%s: entry 0x%llx comes round again after %zu entries without "
                            "returning to the head at 0x%llx (cyclic list)",
                       what, (unsigned long long)cur, count, (unsigned long long)head);
            goto out;
        }
        count++;
        int r = fn(vmi, st, cur, ctx);
        if (r < 0)
            goto out; /* fn gave the reason */
        if (r > 0)
            break;
        addr_t next;
        if (win_read_ptr(vmi, st, cur, &next) != VMI_SUCCESS) {
            core_error_prefix(vmi, "%s: reading the link of entry 0x%llx", what,
                              (unsigned long long)cur);
            goto out;
        }
        cur = next;
    }
    ret = VMI_SUCCESS;
out:
    free(seen.slot);
    return ret;
}

/* ---- PE images in guest memory ---- */

void win_pe_ctx_kernel(win_pe_ctx_t *c, vmi_instance_t vmi, addr_t base)
{
    memset(c, 0, sizeof(*c));
    c->vmi = vmi;
    c->base = base;
    c->ctx.version = ACCESS_CONTEXT_VERSION;
    c->ctx.translate_mechanism = VMI_TM_PROCESS_DTB;
    c->ctx.dtb = core_kernel_dtb(vmi);
}

status_t win_pe_read(void *ctx, uint64_t rva, void *buf, size_t len, util_err_t *err)
{
    win_pe_ctx_t *c = ctx;
    access_context_t a = c->ctx;
    a.addr = c->base + rva;
    if (vmi_read(c->vmi, &a, len, buf, NULL) == VMI_SUCCESS)
        return VMI_SUCCESS;
    /* The instance holds the reason; copy it unless err is that buffer. */
    if (err && err != core_err(c->vmi))
        util_err_set(err, "%s", tvmi_errmsg(c->vmi));
    return VMI_FAILURE;
}

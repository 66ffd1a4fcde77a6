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
#include "os/walk.h"
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

/* ---- The bounded list walk (os/walk.h) ---- */

static status_t walk_read_ptr(vmi_instance_t vmi, const void *os, addr_t va, addr_t *out)
{
    return win_read_ptr(vmi, os, va, out);
}

static bool walk_is_kernel(const void *os, addr_t va)
{
    return win_is_kernel_va(os, va);
}

status_t win_walk_list(vmi_instance_t vmi, win_state_t *st, addr_t head, const char *what,
                       win_list_fn fn, void *ctx)
{
    os_walk_t w;
    addr_t entry;
    int r;

    os_walk_init(&w, head, OS_WALK_LIMIT, what, walk_read_ptr, walk_is_kernel, st);
    while ((r = os_walk_next(vmi, &w, &entry)) == 1) {
        int f = fn(vmi, st, entry, ctx);
        if (f != 0) {
            r = f < 0 ? -1 : 0; /* fn gave the reason, or asked to stop */
            break;
        }
    }
    os_walk_done(&w);
    return r == 0 ? VMI_SUCCESS : VMI_FAILURE;
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

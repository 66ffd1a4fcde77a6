/*
 * read.c - every vmi_read_* call: one page at a time through the access
 * context's translation, then a physical read.
 *
 * Reasons name the address that failed and the translation involved, e.g.
 * "vmi_read: 0xffffffff81e00000 via page table 0x1a0a000: PDE ... not present".
 */
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "core/instance.h"
#include "util/sys.h"
#include "util/utf.h"
#include "util/strutil.h"

/* The longest string vmi_read_str* returns: guest strings are hostile. */
#define CORE_STR_MAX 65536

static status_t read_ctx(vmi_instance_t vmi, const access_context_t *ctx, size_t count,
                         void *buf, size_t *bytes_read)
{
    if (bytes_read)
        *bytes_read = 0;
    if (!vmi)
        return VMI_FAILURE;
    return core_access(vmi, ctx, buf, count, bytes_read, false);
}

status_t vmi_read(vmi_instance_t vmi, const access_context_t *ctx, size_t count, void *buf,
                  size_t *bytes_read)
{
    CORE_API(vmi, read_ctx(vmi, ctx, count, buf, bytes_read));
}

static status_t read_exact(vmi_instance_t vmi, const access_context_t *ctx, size_t n, void *out)
{
    if (vmi && !out) {
        core_error(vmi, "a required argument is NULL (value)");
        return VMI_FAILURE;
    }
    return read_ctx(vmi, ctx, n, out, NULL);
}

status_t vmi_read_8(vmi_instance_t vmi, const access_context_t *ctx, uint8_t *value)
{
    CORE_API(vmi, read_exact(vmi, ctx, 1, value));
}

status_t vmi_read_16(vmi_instance_t vmi, const access_context_t *ctx, uint16_t *value)
{
    CORE_API(vmi, read_exact(vmi, ctx, 2, value));
}

status_t vmi_read_32(vmi_instance_t vmi, const access_context_t *ctx, uint32_t *value)
{
    CORE_API(vmi, read_exact(vmi, ctx, 4, value));
}

status_t vmi_read_64(vmi_instance_t vmi, const access_context_t *ctx, uint64_t *value)
{
    CORE_API(vmi, read_exact(vmi, ctx, 8, value));
}

/* A guest pointer: as wide as the guest's addresses. */
static status_t read_addr(vmi_instance_t vmi, const access_context_t *ctx, addr_t *value)
{
    uint32_t v;
    CORE_REQUIRE(vmi, value);
    if (vmi->addr_width != 4)
        return read_exact(vmi, ctx, 8, value);
    if (read_exact(vmi, ctx, 4, &v) != VMI_SUCCESS)
        return VMI_FAILURE;
    *value = v;
    return VMI_SUCCESS;
}

status_t vmi_read_addr(vmi_instance_t vmi, const access_context_t *ctx, addr_t *value)
{
    CORE_API(vmi, read_addr(vmi, ctx, value));
}

/* Read up to max bytes ending at the first NUL of width w (1 or 2 bytes),
 * page by page so a string that ends just before unmapped memory still reads. */
static void *read_terminated(vmi_instance_t vmi, const access_context_t *ctx, unsigned w,
                             size_t *len_out)
{
    access_context_t c = *ctx;
    size_t cap = 256, len = 0;
    uint8_t *s = malloc(cap + 2);

    if (!s) {
        core_error(vmi, "out of memory");
        return NULL;
    }
    core_guard_hold(NULL, s);
    for (;;) {
        uint8_t chunk[256];
        size_t n = sizeof(chunk) - ((c.addr + len) & (sizeof(chunk) - 1));
        size_t got = 0;
        access_context_t at = c;
        at.addr = c.addr + len;
        if (at.tm == VMI_TM_KERNEL_SYMBOL) { /* resolve once, then by address */
            addr_t va;
            if (core_ksym2v(vmi, c.ksym, &va) != VMI_SUCCESS)
                goto fail;
            c.tm = VMI_TM_PROCESS_DTB;
            c.addr = va;
            c.dtb = vmi->kpgd;
            continue;
        }
        if (len + n > CORE_STR_MAX)
            n = CORE_STR_MAX - len;
        if (n == 0)
            break; /* cut at the bound */
        if (read_ctx(vmi, &at, n, chunk, &got) != VMI_SUCCESS && got == 0) {
            if (len == 0)
                goto fail;
            break; /* unterminated before unreadable memory: keep what we have */
        }
        got -= got % w;
        for (size_t i = 0; i < got; i += w) {
            bool nul = w == 1 ? chunk[i] == 0 : (chunk[i] == 0 && chunk[i + 1] == 0);
            if (nul) {
                memcpy(s + len, chunk, i); /* fits: cap grows below */
                len += i;
                goto done;
            }
            if (len + i + w > cap) {
                uint8_t *t;
                cap *= 2;
                core_guard_hold(s, NULL); /* no guest read until held again */
                t = realloc(s, cap + 2);
                if (!t) {
                    core_error(vmi, "out of memory");
                    goto fail;
                }
                core_guard_hold(NULL, t);
                s = t;
            }
        }
        memcpy(s + len, chunk, got);
        len += got;
        if (got < n)
            break;
    }
done:
    core_guard_hold(s, NULL);
    s[len] = 0;
    s[len + 1] = 0;
    if (len_out)
        *len_out = len;
    return s;
fail:
    core_guard_hold(s, NULL);
    free(s);
    return NULL;
}

static void *read_string(vmi_instance_t vmi, const access_context_t *ctx, unsigned width)
{
    if (!vmi)
        return NULL;
    if (!ctx) {
        core_error(vmi, "the access context is NULL");
        return NULL;
    }
    return read_terminated(vmi, ctx, width, NULL);
}

char *vmi_read_str(vmi_instance_t vmi, const access_context_t *ctx)
{
    CORE_API_PTR(vmi, char *, read_string(vmi, ctx, 1));
}

uint16_t *vmi_read_wstr(vmi_instance_t vmi, const access_context_t *ctx)
{
    CORE_API_PTR(vmi, uint16_t *, read_string(vmi, ctx, 2));
}

/* ---- UNICODE_STRING (Windows): { u16 Length; u16 MaximumLength; PTR Buffer } ---- */

#define UNICODE_MAX 0xffff /* Length is 16 bits: this is the real bound */

static unicode_string_t *read_unicode(vmi_instance_t vmi, const access_context_t *ctx,
                                      page_mode_t mode)
{
    access_context_t c;
    uint16_t length;
    addr_t buffer;
    unicode_string_t *us;
    unsigned width = (mode == VMI_PM_IA32E) ? 8 : 4;

    if (!vmi)
        return NULL;
    if (!ctx) {
        core_error(vmi, "the access context is NULL");
        return NULL;
    }
    c = *ctx;
    if (read_exact(vmi, &c, 2, &length) != VMI_SUCCESS)
        return NULL;
    c.addr = ctx->addr + width; /* Buffer follows the two u16 + alignment */
    buffer = 0;
    if (read_exact(vmi, &c, width, &buffer) != VMI_SUCCESS)
        return NULL;
    if (length & 1) {
        core_error(vmi, "UNICODE_STRING at 0x%llx has an odd length %u",
                   (unsigned long long)ctx->addr, length);
        return NULL;
    }
    us = calloc(1, sizeof(*us));
    if (!us || !(us->contents = calloc(1, (size_t)length + 2))) {
        free(us);
        core_error(vmi, "out of memory");
        return NULL;
    }
    c.addr = buffer;
    if (length && read_exact(vmi, &c, length, us->contents) != VMI_SUCCESS) {
        core_error_prefix(vmi, "UNICODE_STRING buffer");
        vmi_free_unicode_str(us);
        return NULL;
    }
    us->length = length;
    us->encoding = "UTF-16";
    return us;
}

unicode_string_t *vmi_read_unicode_str_pm(vmi_instance_t vmi, const access_context_t *ctx,
                                          page_mode_t mode)
{
    CORE_API_PTR(vmi, unicode_string_t *, read_unicode(vmi, ctx, mode));
}

unicode_string_t *vmi_read_unicode_str(vmi_instance_t vmi, const access_context_t *ctx)
{
    CORE_API_PTR(vmi, unicode_string_t *,
                 vmi ? read_unicode(vmi, ctx, arch_x86_page_mode(vmi->pmode)) : NULL);
}

void vmi_free_unicode_str(unicode_string_t *p)
{
    if (!p)
        return;
    free(p->contents);
    free(p);
}

/* UTF-16LE -> UTF-8 is the conversion VMI users need (Windows names); it is
 * done here rather than through iconv so static builds need no gconv files.
 * With no instance to hold it, a failure's reason is tvmi_errmsg(NULL). */
static status_t convert_encoding(const unicode_string_t *in, unicode_string_t *out,
                                 const char *outencoding)
{
    static const char fn[] = "vmi_convert_str_encoding";
    size_t n, o;
    uint8_t *dst;

    if (!in || !out || !outencoding) {
        core_api_no_instance(fn, "a required argument is NULL (in, out, outencoding)");
        return VMI_FAILURE;
    }
    if (!in->contents && in->length) {
        core_api_no_instance(fn, "the input string has %zu bytes but no contents",
                             in->length);
        return VMI_FAILURE;
    }
    if (!util_streq_nocase(outencoding, "UTF-8") && !util_streq_nocase(outencoding, "UTF8")) {
        core_api_no_instance(fn, "output encoding \"%s\" is not supported (only UTF-8: "
                                 "TinyVMI has no iconv)", outencoding);
        return VMI_FAILURE;
    }
    if (in->encoding && !util_starts_nocase(in->encoding, "UTF-16")) {
        core_api_no_instance(fn, "input encoding \"%s\" is not supported (only UTF-16, "
                                 "as Windows strings are)", in->encoding);
        return VMI_FAILURE;
    }
    n = in->length / 2;
    if (!(dst = malloc(n * 3 + 1))) {
        core_api_no_instance(fn, "out of memory for %zu bytes", n * 3 + 1);
        return VMI_FAILURE;
    }
    o = in->contents ? util_utf16le_to_utf8(in->contents, in->length, (char *)dst, n * 3 + 1)
                     : 0;
    dst[o] = 0;
    out->contents = dst;
    out->length = o;
    out->encoding = "UTF-8";
    return VMI_SUCCESS;
}

status_t vmi_convert_str_encoding(const unicode_string_t *in, unicode_string_t *out,
                                  const char *outencoding)
{
    CORE_API(NULL, convert_encoding(in, out, outencoding));
}

/* ---- the _pa, _va and _ksym families: contexts built for the caller ---- */

status_t vmi_read_pa(vmi_instance_t vmi, addr_t paddr, size_t count, void *buf, size_t *bytes_read)
{
    CORE_CTX_PA(c, paddr);
    CORE_API(vmi, read_ctx(vmi, &c, count, buf, bytes_read));
}

status_t vmi_read_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid, size_t count, void *buf,
                     size_t *bytes_read)
{
    CORE_CTX_VA(c, vaddr, pid);
    CORE_API(vmi, read_ctx(vmi, &c, count, buf, bytes_read));
}

status_t vmi_read_ksym(vmi_instance_t vmi, const char *sym, size_t count, void *buf,
                       size_t *bytes_read)
{
    CORE_CTX_KSYM(c, sym);
    CORE_API(vmi, read_ctx(vmi, &c, count, buf, bytes_read));
}

#define READ_FAMILY(bits, type, impl)                                                      \
    status_t vmi_read_##bits##_pa(vmi_instance_t vmi, addr_t paddr, type *value)            \
    {                                                                                      \
        CORE_CTX_PA(c, paddr);                                                             \
        CORE_API(vmi, impl);                                                               \
    }                                                                                      \
    status_t vmi_read_##bits##_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid,         \
                                  type *value)                                             \
    {                                                                                      \
        CORE_CTX_VA(c, vaddr, pid);                                                        \
        CORE_API(vmi, impl);                                                               \
    }                                                                                      \
    status_t vmi_read_##bits##_ksym(vmi_instance_t vmi, const char *sym, type *value)      \
    {                                                                                      \
        CORE_CTX_KSYM(c, sym);                                                             \
        CORE_API(vmi, impl);                                                               \
    }

READ_FAMILY(8, uint8_t, read_exact(vmi, &c, 1, value))
READ_FAMILY(16, uint16_t, read_exact(vmi, &c, 2, value))
READ_FAMILY(32, uint32_t, read_exact(vmi, &c, 4, value))
READ_FAMILY(64, uint64_t, read_exact(vmi, &c, 8, value))
READ_FAMILY(addr, addr_t, read_addr(vmi, &c, value))

char *vmi_read_str_pa(vmi_instance_t vmi, addr_t paddr)
{
    CORE_CTX_PA(c, paddr);
    CORE_API_PTR(vmi, char *, read_string(vmi, &c, 1));
}

char *vmi_read_str_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid)
{
    CORE_CTX_VA(c, vaddr, pid);
    CORE_API_PTR(vmi, char *, read_string(vmi, &c, 1));
}

char *vmi_read_str_ksym(vmi_instance_t vmi, const char *sym)
{
    CORE_CTX_KSYM(c, sym);
    CORE_API_PTR(vmi, char *, read_string(vmi, &c, 1));
}

uint16_t *vmi_read_wstr_pa(vmi_instance_t vmi, addr_t paddr)
{
    CORE_CTX_PA(c, paddr);
    CORE_API_PTR(vmi, uint16_t *, read_string(vmi, &c, 2));
}

uint16_t *vmi_read_wstr_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid)
{
    CORE_CTX_VA(c, vaddr, pid);
    CORE_API_PTR(vmi, uint16_t *, read_string(vmi, &c, 2));
}

unicode_string_t *vmi_read_unicode_str_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid)
{
    CORE_CTX_VA(c, vaddr, pid);
    CORE_API_PTR(vmi, unicode_string_t *,
                 vmi ? read_unicode(vmi, &c, arch_x86_page_mode(vmi->pmode)) : NULL);
}

/* Copies, not views: a caller munmap()s what it gets, and must not be able to
 * unmap the image under us. */
static status_t mmap_guest(vmi_instance_t vmi, const access_context_t *ctx, size_t num_pages,
                           int prot, void **access_ptrs)
{
    CORE_REQUIRE(vmi, ctx && access_ptrs);
    if (prot & PROT_WRITE) {
        core_error(vmi, "writable mappings are not supported (the pages are copies; write "
                        "with vmi_write_* instead)");
        return VMI_FAILURE;
    }
    for (size_t i = 0; i < num_pages; i++) {
        access_context_t c = *ctx;
        const char *why;
        void *p = util_sys_page_new(&why);
        c.addr = (ctx->addr & ~0xfffULL) + i * 4096;
        if (!p)
            core_error(vmi, "page %zu of %zu: cannot map a page for the copy: %s", i,
                       num_pages, why);
        else if (read_ctx(vmi, &c, 4096, p, NULL) != VMI_SUCCESS)
            core_error_prefix(vmi, "page %zu of %zu", i, num_pages);
        else {
            util_sys_page_seal(p);
            access_ptrs[i] = p;
            continue;
        }
        if (p)
            util_sys_page_free(p);
        for (size_t j = 0; j < i; j++)
            util_sys_page_free(access_ptrs[j]);
        return VMI_FAILURE;
    }
    return VMI_SUCCESS;
}

status_t vmi_mmap_guest(vmi_instance_t vmi, const access_context_t *ctx, size_t num_pages,
                        int prot, void **access_ptrs)
{
    CORE_API(vmi, mmap_guest(vmi, ctx, num_pages, prot, access_ptrs));
}

status_t vmi_mmap_guest_pa(vmi_instance_t vmi, addr_t paddr, size_t num_pages, int prot,
                           void **access_ptrs)
{
    CORE_CTX_PA(c, paddr);
    CORE_API(vmi, mmap_guest(vmi, &c, num_pages, prot, access_ptrs));
}

static status_t mmap_pfns(vmi_instance_t vmi, unsigned long *pfns, size_t num_pages, int prot,
                          void **access_ptrs)
{
    CORE_REQUIRE(vmi, pfns && access_ptrs);
    for (size_t i = 0; i < num_pages; i++) {
        CORE_CTX_PA(c, (addr_t)pfns[i] << 12);
        if (mmap_guest(vmi, &c, 1, prot, &access_ptrs[i]) != VMI_SUCCESS) {
            core_error_prefix(vmi, "pfn 0x%lx (entry %zu)", pfns[i], i);
            for (size_t j = 0; j < i; j++)
                util_sys_page_free(access_ptrs[j]);
            return VMI_FAILURE;
        }
    }
    return VMI_SUCCESS;
}

status_t vmi_mmap_guest_pfns(vmi_instance_t vmi, unsigned long *pfns, size_t num_pages, int prot,
                             void **access_ptrs)
{
    CORE_API(vmi, mmap_pfns(vmi, pfns, num_pages, prot, access_ptrs));
}

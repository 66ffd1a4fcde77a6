/*
 * ksymtab.c - an exported kernel symbol's address from the kernel's own
 * export table, for kernels whose kallsyms has no data symbols (Debian's
 * i386 kernels): init_task is EXPORT_SYMBOL'd, so its __ksymtab entry
 * exists even when kallsyms leaves it out.
 *
 * Method: the name is in __ksymtab_strings as "\0init_task\0".  An entry of
 * __ksymtab names it either by a 32-bit offset relative to the field itself
 * (CONFIG_HAVE_ARCH_PREL32_RELOCATIONS: struct kernel_symbol {int
 * value_offset; int name_offset; int namespace_offset;}) or by pointer
 * ({unsigned long value; const char *name; ...}).  Relative entries work in
 * physical memory directly, because the kernel image is contiguous there:
 * the field at F names physical F + *(s32 *)F, and the value is the entry's
 * own address plus value_offset.  Pointer entries are matched through the
 * image's va - pa relation.  Both tables sit within a few MiB of the
 * strings, so only that window is searched, a chunk at a time.  The result is checked by the
 * caller (init_task's comm must read "swapper").
 *
 * Must not return an unchecked guess as fact: the caller validates it, and
 * the search is bounded to a window around each name found.
 */
#include "os/linux/linux.h"

#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "util/strutil.h"
#include "util/bytes.h"

#define KSYMTAB_WINDOW (8u << 20)
/* Read 1 MiB at a time: a 16 MiB buffer freed into malloc's heap would stay
 * resident for the life of the process. */
#define KSYMTAB_CHUNK (1u << 20)
#define KSYMTAB_SEAM 16u /* > the two fields of an entry a match reads */

typedef struct ksym_scan {
    vmi_instance_t vmi;
    lx_state_t *st;
    const char *name;
    size_t nlen;
    addr_t pa;      /* result: physical address of the symbol */
    bool found;
} ksym_scan_t;

static int64_t s32(const uint8_t *p)
{
    return (int32_t)util_le32(p);
}

/* Look for an entry naming the string at physical str in [lo, lo+len). */
static bool match_entries(ksym_scan_t *s, addr_t lo, const uint8_t *w, size_t len, addr_t str)
{
    /* Relative entries: name_offset at F = entry + 4. */
    for (size_t f = 4; f + 4 <= len; f += 4) {
        if (lo + f + (addr_t)s32(w + f) != str)
            continue;
        addr_t entry = lo + f - 4;
        s->pa = entry + (addr_t)s32(w + f - 4);
        s->found = true;
        return true;
    }
    /* Pointer entries: name pointer at entry + width equals str's va. */
    const lx_state_t *st = s->st;
    if (!st->have_image_delta)
        return false;
    unsigned ww = st->width;
    for (size_t f = ww; f + ww <= len; f += ww) {
        if (util_le(w + f, ww) != str + st->image_delta)
            continue;
        uint64_t va = util_le(w + f - ww, ww);
        if (va < st->image_delta)
            continue;
        s->pa = va - st->image_delta;
        s->found = true;
        return true;
    }
    return false;
}

static bool scan_fn(void *ctx, addr_t pa, const uint8_t *buf, size_t len)
{
    ksym_scan_t *s = ctx;
    char pat[LX_SYM_NAME_MAX + 2];
    pat[0] = '\0';
    memcpy(pat + 1, s->name, s->nlen);
    pat[s->nlen + 1] = '\0';
    const uint8_t *p = buf, *end = buf + len;
    uint8_t *w = NULL;
    while ((p = util_memfind(p, (size_t)(end - p), pat, s->nlen + 2)) != NULL) {
        addr_t str = pa + (addr_t)(p - buf) + 1;
        addr_t lo = (str > KSYMTAB_WINDOW ? str - KSYMTAB_WINDOW : 0) & ~(addr_t)0xfff;
        /* The window a chunk at a time, each read KSYMTAB_SEAM bytes
         * longer so that an entry across a seam is seen whole. */
        if (!w && !(w = malloc(KSYMTAB_CHUNK + KSYMTAB_SEAM)))
            return false;
        for (addr_t c = lo; c < str + KSYMTAB_WINDOW; c += KSYMTAB_CHUNK) {
            size_t got = 0;
            (void)vmi_read_pa(s->vmi, c, KSYMTAB_CHUNK + KSYMTAB_SEAM, w, &got);
            if (match_entries(s, c, w, got & ~(size_t)3, str)) {
                free(w);
                return true;
            }
        }
        p++;
    }
    free(w);
    return false;
}

status_t lx_ksymtab_find(vmi_instance_t vmi, lx_state_t *st, const char *name, addr_t *va)
{
    ksym_scan_t s;
    memset(&s, 0, sizeof(s));
    s.vmi = vmi;
    s.st = st;
    s.name = name;
    s.nlen = strnlen(name, LX_SYM_NAME_MAX);
    if (!st->have_image_delta) {
        core_error(vmi, "exported symbol %s: the kernel image's load address is unknown",
                   name);
        return VMI_FAILURE;
    }
    /* In the kernel image first (__ksymtab is in its rodata), or near it
     * (the kallsyms tables are in it), then everywhere. */
    addr_t lo, hi;
    if (lx_rodata_window(st, &lo, &hi) || lx_image_window(st, &lo, &hi)) {
        lx_scan_physical_within(vmi, lo, hi, s.nlen + 2, scan_fn, &s);
    } else if (st->image_pa) {
        lo = st->image_pa > (64u << 20) ? st->image_pa - (64u << 20) : 0;
        lx_scan_physical_within(vmi, lo, st->image_pa + (64u << 20), s.nlen + 2, scan_fn, &s);
    }
    if (!s.found)
        lx_scan_physical(vmi, s.nlen + 2, scan_fn, &s);
    if (!s.found) {
        core_error(vmi, "exported symbol %s: no __ksymtab entry for it in guest memory", name);
        return VMI_FAILURE;
    }
    *va = s.pa + st->image_delta;
    return VMI_SUCCESS;
}

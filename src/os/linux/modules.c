/*
 * modules.c - loaded kernel modules: the walk over the `modules` list, in
 * the order /proc/modules shows them (newest first).
 *
 * Base and size are what /proc/modules prints: the core layout's base and
 * size (6.1), or on kernels with mem[] (6.4+) the text base and the sum of
 * every region's size.  The walk is read.c's bounded list walk.
 *
 * Kernels without data symbols and BTF (Debian i386) get two heuristics:
 *   the list head: physical memory holds each loaded struct module, which
 *     starts {enum state (0..3), list_head list, char name[56 or 60]} with
 *     the name NUL-padded; a candidate whose list links back to it (the
 *     next entry's prev translates to the candidate's own list_head) is
 *     real, and the ring it is on contains exactly one node that lies in
 *     the kernel image (va - pa equal to the image's): `modules` itself;
 *   base and size: a struct module lives inside its own core allocation, so
 *     core_layout {void *base; unsigned int size; ...} is the first field
 *     pair after the name where base is page-aligned, size a non-zero page
 *     multiple, and base <= module < base + size, for every module.
 *
 * It must not follow a module pointer without the bounded walk, nor read a
 * name past its array.
 */
#include "os/linux/linux.h"

#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "os/os.h"
#include "util/bytes.h"

static status_t read_module(vmi_instance_t vmi, const lx_state_t *st, addr_t mod,
                            tvmi_module_t *m)
{
    addr_t base;
    memset(m, 0, sizeof(*m));
    m->object = mod;
    if (lx_read_chars(vmi, st, mod + st->off[LX_OFF_MOD_NAME], m->name,
                      LX_MODNAME_LEN - st->width) != VMI_SUCCESS ||
        lx_read_ptr(vmi, st, mod + st->off[LX_OFF_MOD_BASE], &base) != VMI_SUCCESS) {
        core_error_prefix(vmi, "struct module at 0x%llx", (unsigned long long)mod);
        return VMI_FAILURE;
    }
    m->base = base;
    if (st->mod_mem_count) {
        uint64_t total = 0;
        for (unsigned i = 0; i < st->mod_mem_count; i++) {
            uint32_t sz;
            if (lx_read_u32(vmi, st, mod + st->off[LX_OFF_MOD_SIZE] + i * st->mod_mem_stride,
                            &sz) != VMI_SUCCESS) {
                core_error_prefix(vmi, "struct module at 0x%llx", (unsigned long long)mod);
                return VMI_FAILURE;
            }
            total += sz;
        }
        m->size = total;
    } else {
        uint32_t sz;
        if (lx_read_u32(vmi, st, mod + st->off[LX_OFF_MOD_SIZE], &sz) != VMI_SUCCESS) {
            core_error_prefix(vmi, "struct module at 0x%llx", (unsigned long long)mod);
            return VMI_FAILURE;
        }
        m->size = sz;
    }
    return VMI_SUCCESS;
}

/* ---- the list head without a symbol ---- */

typedef struct head_scan {
    vmi_instance_t vmi;
    lx_state_t *st;
    addr_t head;
    size_t candidates;
} head_scan_t;

static bool module_name_ok(const uint8_t *n, size_t cap)
{
    size_t len = 0;
    while (len < cap && n[len]) {
        uint8_t c = n[len];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-'))
            return false;
        len++;
    }
    if (len == 0 || len >= cap)
        return false;
    for (size_t i = len; i < cap; i++)
        if (n[i])
            return false;
    return true;
}

/* Is the list_head at va in the kernel image (not in module space)? */
static bool in_image(vmi_instance_t vmi, const lx_state_t *st, addr_t va)
{
    addr_t pa;
    return st->have_image_delta && va >= st->image_delta &&
           vmi_pagetable_lookup(vmi, st->kdtb, va, &pa) == VMI_SUCCESS &&
           pa == va - st->image_delta;
}

static bool try_module_at(head_scan_t *h, addr_t pa, const uint8_t *b)
{
    vmi_instance_t vmi = h->vmi;
    lx_state_t *st = h->st;
    unsigned w = st->width;
    addr_t next = util_le(b + w, w), prev = util_le(b + 2 * w, w), npa, back, back_pa;
    if (!lx_is_kernel_va(st, next) || !lx_is_kernel_va(st, prev))
        return false;
    /* next->prev must be this list_head: translate both ends. */
    if (vmi_pagetable_lookup(vmi, st->kdtb, next, &npa) != VMI_SUCCESS ||
        vmi_read_pa(vmi, npa + w, w, &back, NULL) != VMI_SUCCESS)
        return false;
    back = w == 4 ? (back & 0xffffffffULL) : back;
    if (vmi_pagetable_lookup(vmi, st->kdtb, back, &back_pa) != VMI_SUCCESS ||
        back_pa != pa + w)
        return false;
    h->candidates++;
    /* Walk the ring for the one node in the kernel image. */
    lx_walk_t wk;
    addr_t node;
    int r;
    lx_walk_init(&wk, back, 1024);
    while ((r = lx_walk_next(vmi, st, &wk, &node)) == 1) {
        if (in_image(vmi, st, node)) {
            h->head = node;
            break;
        }
    }
    lx_walk_done(&wk);
    return h->head != 0;
}

static bool head_scan_fn(void *ctx, addr_t pa, const uint8_t *buf, size_t len)
{
    head_scan_t *h = ctx;
    unsigned w = h->st->width;
    size_t name_off = 3 * w, name_len = LX_MODNAME_LEN - w;
    for (size_t p = 0; p + name_off + name_len <= len; p += w) {
        const uint8_t *b = buf + p;
        if (b[0] > 3 || b[1] || b[2] || b[3] || !(b[name_off] >= 'a' && b[name_off] <= 'z'))
            continue;
        if (!module_name_ok(b + name_off, name_len))
            continue;
        if (try_module_at(h, pa + p, b))
            return true;
    }
    return false;
}

static status_t find_modules_head(vmi_instance_t vmi, lx_state_t *st)
{
    if (!st->kdtb) {
        core_error(vmi, "module list: no `modules` symbol, and the kernel page table needed "
                        "to look for it is unknown");
        return VMI_FAILURE;
    }
    head_scan_t h = { vmi, st, 0, 0 };
    lx_scan_physical(vmi, 256, head_scan_fn, &h);
    if (!h.head) {
        core_error(vmi, "module list: no `modules` symbol (this kernel's kallsyms has no data "
                        "symbols) and %s", h.candidates ? "no linked struct module led to "
                        "a list head in the kernel image" : "no loaded module in memory "
                        "(give a System.map to be sure)");
        return VMI_FAILURE;
    }
    st->modules = h.head;
    return VMI_SUCCESS;
}

/* ---- core_layout without BTF ---- */

status_t lx_module_layout_heuristic(vmi_instance_t vmi, lx_state_t *st)
{
    enum { SPAN = 0x400, MAXMODS = 64 };
    unsigned w = st->width;
    uint8_t (*m)[SPAN] = malloc(MAXMODS * SPAN);
    addr_t addr[MAXMODS];
    size_t n = 0;
    lx_walk_t wk;
    addr_t node;
    if (!m) {
        core_error(vmi, "out of memory");
        return VMI_FAILURE;
    }
    lx_walk_init(&wk, st->modules, OS_WALK_LIMIT);
    while (n < MAXMODS && lx_walk_next(vmi, st, &wk, &node) == 1) {
        addr[n] = node - st->off[LX_OFF_MOD_LIST];
        if (lx_read(vmi, st, addr[n], m[n], SPAN) == VMI_SUCCESS)
            n++;
    }
    lx_walk_done(&wk);
    size_t from = (size_t)st->off[LX_OFF_MOD_NAME] + LX_MODNAME_LEN - w;
    for (size_t o = (from + w - 1) / w * w; n && o + w + 4 <= SPAN; o += w) {
        bool ok = true;
        for (size_t i = 0; i < n && ok; i++) {
            uint64_t base = util_le(m[i] + o, w), size = util_le(m[i] + o + w, 4);
            ok = base && !(base & 0xfff) && size && !(size & 0xfff) && size < (64u << 20) &&
                 base <= addr[i] && addr[i] < base + size;
        }
        if (ok) {
            free(m);
            st->off[LX_OFF_MOD_BASE] = o;
            st->off[LX_OFF_MOD_SIZE] = o + w;
            st->off_src[LX_OFF_MOD_BASE] = st->off_src[LX_OFF_MOD_SIZE] = LX_SRC_HEURISTIC;
            return VMI_SUCCESS;
        }
    }
    free(m);
    core_error(vmi, "no core_layout {base, size} in struct module fits the %zu modules "
                    "(set linux_module_base and linux_module_size)", n);
    return VMI_FAILURE;
}

status_t lx_modules_head(vmi_instance_t vmi, lx_state_t *st)
{
    if (st->modules || lx_sym(st, "modules", &st->modules))
        return VMI_SUCCESS;
    return find_modules_head(vmi, st);
}

status_t lx_module_foreach(vmi_instance_t vmi, void *state, tvmi_module_fn fn, void *ctx)
{
    lx_state_t *st = state;
    if (lx_modules_head(vmi, st) != VMI_SUCCESS)
        return VMI_FAILURE;
    if (lx_offsets_modules(vmi, st) != VMI_SUCCESS) {
        core_error_prefix(vmi, "module list");
        return VMI_FAILURE;
    }
    lx_walk_t w;
    addr_t next;
    int r;
    size_t n = 0;
    tvmi_module_t m;
    lx_walk_init(&w, st->modules, OS_WALK_LIMIT);
    while ((r = lx_walk_next(vmi, st, &w, &next)) == 1) {
        if (read_module(vmi, st, next - st->off[LX_OFF_MOD_LIST], &m) != VMI_SUCCESS) {
            r = -1;
            break;
        }
        n++;
        if (fn(ctx, &m)) {
            r = 0;
            break;
        }
    }
    lx_walk_done(&w);
    if (r < 0) {
        core_error_prefix(vmi, "module list (after %zu modules)", n);
        return VMI_FAILURE;
    }
    return VMI_SUCCESS;
}

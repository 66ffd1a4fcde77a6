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
 *   base and size: a struct module lives inside its own allocation, so the
 *     region that holds it is the first {page-aligned base, page-multiple
 *     size} pair after the name with base <= module < base + size, for
 *     every module; which generation of struct module it is shows around
 *     it: core_layout (4.5 .. 6.3) is followed by nested text and ro sizes,
 *     mem[] (6.4+) holds the module in its second entry with the text
 *     region a stride before, module_core (up to 4.4) has its size after
 *     init_size and an emptied module_init before it (see
 *     lx_module_layout_guess).
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
    os_walk_t wk;
    addr_t node;
    int r;
    lx_walk_init(&wk, st, back, 1024, "module ring");
    while ((r = os_walk_next(vmi, &wk, &node)) == 1) {
        if (in_image(vmi, st, node)) {
            h->head = node;
            break;
        }
    }
    os_walk_done(&wk);
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

/* ---- base and size without BTF ---- */

static bool page_aligned(uint64_t v)
{
    return (v & 0xfff) == 0;
}

/* A region {base, size} that holds the struct module at addr. */
static bool holds(uint64_t base, uint64_t size, uint64_t addr)
{
    return base && page_aligned(base) && size && page_aligned(size) && size < (64u << 20) &&
           base <= addr && addr - base < size;
}

typedef struct mods_view {
    const uint8_t *const *m;
    const uint64_t *addr;
    size_t n, len;
    unsigned w;
} mods_view_t;

static uint64_t ptr_at(const mods_view_t *v, size_t i, size_t off)
{
    return util_le(v->m[i] + off, v->w);
}

static uint64_t u32_at(const mods_view_t *v, size_t i, size_t off)
{
    return util_le32(v->m[i] + off);
}

/* In every module, the pointer at bo and the u32 at so hold the module. */
static bool all_hold(const mods_view_t *v, size_t bo, size_t so)
{
    if (bo + v->w > v->len || so + 4 > v->len)
        return false;
    for (size_t i = 0; i < v->n; i++)
        if (!holds(ptr_at(v, i, bo), u32_at(v, i, so), v->addr[i]))
            return false;
    return true;
}

/* 4.5 .. 6.3: core_layout {base, size, text_size, ro_size, ...} at o, the
 * sizes nested: 0 < text_size <= ro_size <= size. */
static bool core_layout_at(const mods_view_t *v, size_t o)
{
    size_t w = v->w;
    if (o + w + 12 > v->len)
        return false;
    for (size_t i = 0; i < v->n; i++) {
        uint64_t size = u32_at(v, i, o + w), text = u32_at(v, i, o + w + 4);
        uint64_t ro = u32_at(v, i, o + w + 8);
        if (!text || text > ro || ro > size)
            return false;
    }
    return true;
}

/* 6.4+: mem[MOD_MEM_NUM_TYPES] of struct module_memory, stride apart,
 * each with its base at 0 and its size at so (right after the base, or
 * after a bool is_rox as on 7.x), the struct module in mem[MOD_DATA] (the
 * second) at o.  mem[MOD_TEXT] before it is a non-empty region apart from
 * the module; every other entry is empty or page-aligned (init memory is
 * emptied after init). */
static bool mem_array_at(const mods_view_t *v, size_t o, size_t so, size_t stride,
                         unsigned count)
{
    if (o < stride || o + (count - 2) * stride + so + 4 > v->len || so + 4 > stride)
        return false;
    for (size_t i = 0; i < v->n; i++) {
        uint64_t tb = ptr_at(v, i, o - stride), ts = u32_at(v, i, o - stride + so);
        uint64_t db = ptr_at(v, i, o), ds = u32_at(v, i, o + so);
        if (!tb || !page_aligned(tb) || !ts || !page_aligned(ts) || ts >= (64u << 20) ||
            holds(tb, ts, v->addr[i]) || (tb < db + ds && db < tb + ts))
            return false;
        for (unsigned k = 1; k + 1 < count; k++) {
            uint64_t b = ptr_at(v, i, o + k * stride), sz = u32_at(v, i, o + k * stride + so);
            if ((b == 0) != (sz == 0) || !page_aligned(b) || !page_aligned(sz) ||
                sz >= (64u << 20))
                return false;
        }
    }
    return true;
}

/* The kernel's enum mod_mem_type has had seven entries since 6.4 (text,
 * data, rodata, ro_after_init and the three init ones). */
#define MOD_MEM_TYPES 7
/* sizeof(struct module_memory): {base, size} and, with
 * CONFIG_MODULES_TREE_LOOKUP, a mod_tree_node (72 bytes on 6.12 x86-64). */
#define MOD_MEM_STRIDE_MAX 0x100

bool lx_module_layout_guess(const uint8_t *const *mods, const uint64_t *addr, size_t n,
                            size_t len, size_t from, unsigned w, lx_mod_layout_t *out)
{
    mods_view_t v = { mods, addr, n, len, w };
    if (!n || (w != 4 && w != 8))
        return false;
    for (size_t o = (from + w - 1) / w * w; o + w + 8 <= len; o += w) {
        /* The size right after the base pointer, or 4 bytes later. */
        for (size_t so = w; so <= w + 4; so += 4) {
            if (!all_hold(&v, o, o + so))
                continue;
            if (so == w && core_layout_at(&v, o)) {
                *out = (lx_mod_layout_t){ o, o + w, 0, 0, "core_layout (4.5 .. 6.3)" };
                return true;
            }
            for (size_t s = 2 * w; s <= MOD_MEM_STRIDE_MAX; s += w) {
                if (o - from >= s && mem_array_at(&v, o, so, s, MOD_MEM_TYPES)) {
                    *out = (lx_mod_layout_t){ o - s, o - s + so, MOD_MEM_TYPES, s,
                                              "mem[] (6.4+)" };
                    return true;
                }
            }
            /* Up to 4.4: void *module_init, *module_core; unsigned int
             * init_size, core_size; the init ones are 0 once init is done. */
            bool init_gone = so == w + 4 && o >= from + w;
            for (size_t i = 0; i < n && init_gone; i++)
                init_gone = ptr_at(&v, i, o - w) == 0 && u32_at(&v, i, o + w) == 0;
            if (init_gone) {
                *out = (lx_mod_layout_t){ o, o + w + 4, 0, 0, "module_core (up to 4.4)" };
                return true;
            }
        }
    }
    return false;
}

/* How much of each struct module is looked at: 7.3's mem[] ends at 0x338. */
#define MOD_SPAN 0x800

status_t lx_module_layout_heuristic(vmi_instance_t vmi, lx_state_t *st)
{
    enum { MAXMODS = 64 };
    uint8_t (*m)[MOD_SPAN] = malloc(MAXMODS * MOD_SPAN);
    const uint8_t *view[MAXMODS];
    uint64_t addr[MAXMODS];
    size_t n = 0, len = MOD_SPAN;
    os_walk_t wk;
    addr_t node;
    if (!m) {
        core_error(vmi, "out of memory");
        return VMI_FAILURE;
    }
    lx_walk_init(&wk, st, st->modules, OS_WALK_LIMIT, "module list");
    while (n < MAXMODS && os_walk_next(vmi, &wk, &node) == 1) {
        addr[n] = node - st->off[LX_OFF_MOD_LIST];
        /* Page by page: the struct may end near the end of its mapping. */
        size_t got = 0;
        while (got < MOD_SPAN) {
            size_t k = 0x1000 - ((addr[n] + got) & 0xfff);
            k = k < MOD_SPAN - got ? k : MOD_SPAN - got;
            if (lx_read(vmi, st, addr[n] + got, m[n] + got, k) != VMI_SUCCESS)
                break;
            got += k;
        }
        if (got >= 0x100) {
            view[n] = m[n];
            len = got < len ? got : len;
            n++;
        }
    }
    os_walk_done(&wk);
    lx_mod_layout_t l;
    size_t from = (size_t)st->off[LX_OFF_MOD_NAME] + LX_MODNAME_LEN - st->width;
    bool ok = lx_module_layout_guess(view, addr, n, len, from, st->width, &l);
    free(m);
    if (!ok) {
        core_error(vmi, "no {base, size} in struct module (module_core up to 4.4, core_layout "
                        "4.5 .. 6.3, mem[] 6.4+) fits the %zu modules (set linux_module_base "
                        "and linux_module_size, or use a kernel with BTF)", n);
        return VMI_FAILURE;
    }
    st->off[LX_OFF_MOD_BASE] = l.base;
    st->off[LX_OFF_MOD_SIZE] = l.size;
    st->off_src[LX_OFF_MOD_BASE] = st->off_src[LX_OFF_MOD_SIZE] = LX_SRC_HEURISTIC;
    st->mod_mem_count = l.mem_count;
    st->mod_mem_stride = l.mem_stride;
    return VMI_SUCCESS;
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
    os_walk_t w;
    addr_t next;
    int r;
    size_t n = 0;
    tvmi_module_t m;
    lx_walk_init(&w, st, st->modules, OS_WALK_LIMIT, "module list");
    while ((r = os_walk_next(vmi, &w, &next)) == 1) {
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
    os_walk_done(&w);
    if (r < 0) {
        core_error_prefix(vmi, "module list (after %zu modules)", n);
        return VMI_FAILURE;
    }
    return VMI_SUCCESS;
}

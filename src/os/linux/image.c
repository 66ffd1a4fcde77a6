/*
 * image.c - where a 64-bit kernel image lies in physical memory, read from a
 * page table instead of searched for in all of RAM.
 *
 * x86-64 Linux maps its image in the 1 GiB at __START_KERNEL_map
 * (0xffffffff80000000; KASLR moves the image within it, and modules begin
 * above it), with one va - pa difference for every page, since the image is
 * one physical run.  A root that maps that window therefore tells where the
 * image is, and which of its pages are read-only data (non-executable and
 * not writable once the kernel has sealed them): where the banner, the
 * kallsyms tables and BTF are.  What is read then depends on the kernel's
 * size, not on the guest's RAM or on where physical KASLR put the kernel.
 *
 * The root: the core's when it has one (an ELF core's CR3, kpgd), else the
 * real-mode trampoline's.  Since 3.x the kernel copies the kernel half of
 * its top-level table into the trampoline's own (arch/x86/realmode), and
 * the trampoline runs in real mode, so that table lies below 1 MiB: the
 * first MiB holds a root of the kernel's whatever the RAM size.
 *
 * Evidence before the result is used: a run of at least 2 MiB at one
 * delta, and the banner "Linux version <digit>": where a System.map's
 * linux_banner says, moved by a KASLR slide, or else searched for in the
 * image's read-only part (in any part when the kernel left no page
 * read-only).  This file reads one entry per low page, page tables, and
 * image pages up to the banner (a few bytes per 2 MiB with a map).  It
 * does not read symbol tables or walk kernel lists.
 */
#include "os/linux/linux.h"

#include <string.h>

#include "core/core.h"
#include "util/bytes.h"
#include "util/strutil.h"

#define KERNEL_MAP 0xffffffff80000000ULL
#define KERNEL_MAP_END 0xffffffffc0000000ULL
/* The trampoline runs in real mode: it is below 1 MiB. */
#define LOW_MEMORY (1u << 20)
/* Candidate roots weighed at most (a low page whose last entry is present
 * and points into RAM; real guests have one or two). */
#define MAX_CANDIDATES 16
/* The window in 4 KiB pages, and its tables: a PDPT, a PD and 512 PTs. */
#define WINDOW_PAGES ((KERNEL_MAP_END - KERNEL_MAP) >> 12)
#define WINDOW_TABLES 520u
/* Smaller than any x86-64 kernel image (text alone is several MiB). */
#define MIN_IMAGE (2u << 20)

#define BANNER "Linux version "
/* linux_banner is in the first few MiB of read-only data (1.5-2 MiB on the
 * 5.10 to 7.3 kernels here, after the text when nothing is read-only). */
#define BANNER_BUDGET (64u << 20)

typedef struct image_walk {
    lx_image_t *img;
    bool have_delta;
    uint64_t pages;
} image_walk_t;

/* The leaf entry's value: where the page's final permissions are. */
static uint64_t leaf_entry(const page_info_t *p)
{
    switch (p->size) {
    case VMI_PS_1GB: return p->x86_ia32e.pdpte_value;
    case VMI_PS_2MB: return p->x86_ia32e.pgd_value;
    default: return p->x86_ia32e.pte_value;
    }
}

/* One mapped page of the window: pages at the first page's delta form the
 * image (init memory the kernel freed leaves holes, not other deltas);
 * runs of equal permission are merged. */
static bool image_page(void *ctx, const page_info_t *p)
{
    image_walk_t *w = ctx;
    lx_image_t *img = w->img;
    uint64_t e = leaf_entry(p);
    bool ro = !(e & 2) && (e >> 63);

    if (p->pm != VMI_PM_IA32E)
        return false;
    if (!w->have_delta) {
        w->have_delta = true;
        img->delta = p->vaddr - p->paddr;
    } else if (p->vaddr - p->paddr != img->delta) {
        return true;
    }
    w->pages++;
    lx_image_run_t *last = img->nruns ? &img->runs[img->nruns - 1] : NULL;
    if (last && last->ro == ro && last->va + last->len == p->vaddr) {
        last->len += p->size;
        return true;
    }
    if (img->nruns == LX_IMAGE_MAX_RUNS)
        return false; /* the rest is not looked at; what was seen stands */
    img->runs[img->nruns++] = (lx_image_run_t){ p->vaddr, p->paddr, p->size, ro };
    return true;
}

typedef struct banner_find {
    addr_t pa;
} banner_find_t;

static bool banner_fn(void *ctx, addr_t pa, const uint8_t *buf, size_t len)
{
    banner_find_t *b = ctx;
    size_t bl = sizeof(BANNER) - 1;
    const uint8_t *p = buf, *end = buf + len;
    while (p + bl < end && (p = util_memfind(p, (size_t)(end - p), BANNER, bl)) != NULL) {
        if (p + bl < end && p[bl] >= '0' && p[bl] <= '9') {
            b->pa = pa + (addr_t)(p - buf);
            return true;
        }
        p += bl;
    }
    return false;
}

/* The banner's physical address in the runs of permission ro, or 0.  At
 * most BANNER_BUDGET bytes are read: a hostile table may map the whole
 * window at one delta, and each low page may be such a table. */
static addr_t banner_in(vmi_instance_t vmi, const lx_image_t *img, bool ro)
{
    banner_find_t b = { 0 };
    uint64_t left = BANNER_BUDGET;
    for (size_t i = 0; i < img->nruns && !b.pa && left; i++)
        if (img->runs[i].ro == ro) {
            uint64_t n = img->runs[i].len < left ? img->runs[i].len : left;
            lx_scan_physical_within(vmi, img->runs[i].pa, img->runs[i].pa + n, sizeof(BANNER),
                                    banner_fn, &b);
            left -= n;
        }
    return b.pa;
}

/* The banner through a map's linux_banner L, without a search: L moved by
 * some KASLR slide (2 MiB steps within 1 GiB, 0 for runtime addresses)
 * falls inside the image and reads "Linux version <digit>" there.  A few
 * tens of short reads. */
static addr_t banner_at(vmi_instance_t vmi, const lx_image_t *img, addr_t L)
{
    size_t bl = sizeof(BANNER) - 1;
    for (uint64_t s = 0; s < (KERNEL_MAP_END - KERNEL_MAP); s += 2u << 20) {
        addr_t va = L + s;
        char b[sizeof(BANNER)];
        if (va < img->va_lo || va >= img->va_hi)
            continue;
        if (vmi_read_pa(vmi, va - img->delta, bl + 1, b, NULL) == VMI_SUCCESS &&
            memcmp(b, BANNER, bl) == 0 && b[bl] >= '0' && b[bl] <= '9')
            return va - img->delta;
    }
    return 0;
}

/* Does root map a kernel image (the evidence above)?  Fills *img. */
static bool image_through(vmi_instance_t vmi, addr_t root, addr_t banner_va, lx_image_t *img)
{
    image_walk_t w = { img, false, 0 };
    bool any_ro = false;

    memset(img, 0, sizeof(*img));
    if (core_root_pages(vmi, root, KERNEL_MAP, KERNEL_MAP_END, WINDOW_PAGES, WINDOW_TABLES,
                        image_page, &w) != VMI_SUCCESS ||
        !img->nruns)
        return false;
    lx_image_run_t *last = &img->runs[img->nruns - 1];
    img->root = root;
    img->va_lo = img->runs[0].va;
    img->va_hi = last->va + last->len;
    img->pa_lo = img->runs[0].pa;
    if (img->va_hi - img->va_lo < MIN_IMAGE)
        return false;
    for (size_t i = 0; i < img->nruns; i++)
        any_ro |= img->runs[i].ro;
    img->banner_pa = banner_va ? banner_at(vmi, img, banner_va) : banner_in(vmi, img, any_ro);
    return img->banner_pa != 0;
}

bool lx_image_find(vmi_instance_t vmi, addr_t banner_va, lx_image_t *img)
{
    addr_t root = core_kernel_dtb(vmi);
    uint64_t max = vmi_get_max_physical_address(vmi);
    unsigned tried = 0;

    /* A root the core has (not a pending guess): its kernel half is the
     * kernel's, whichever process it belongs to. */
    if (root && !core_paging_pending(vmi) && image_through(vmi, root, banner_va, img))
        return true;
    for (addr_t page = 0; page < LOW_MEMORY && page < max && tried < MAX_CANDIDATES;
         page += 0x1000) {
        uint8_t e8[8];
        /* Entry 511 maps __START_KERNEL_map (and, in a 5-level root, the
         * table above it). */
        if (vmi_read_pa(vmi, page + 0xff8, 8, e8, NULL) != VMI_SUCCESS)
            continue;
        uint64_t e = util_le64(e8);
        addr_t next = e & 0x000ffffffffff000ULL;
        if (!(e & 1) || next >= max || next == page)
            continue;
        tried++;
        if (image_through(vmi, page, banner_va, img)) {
            img->trampoline = true;
            return true;
        }
    }
    util_err_clear(core_err(vmi));
    memset(img, 0, sizeof(*img));
    return false;
}

/*
 * va_pages.c - vmi_get_va_pages and its relatives: every page a page table
 * maps, as a list a glib program can free (libvmi_extra.h, tinyvmi.h).
 *
 * arch/x86_enum.c walks the tables; this file sets the bounds (config
 * va_pages_max), collects copies of each page_info into nodes from
 * util/gslist.c, and makes sure a failed walk frees what it had collected:
 * a list cut short is never handed out.
 *
 * libvmi_extra.h declares the two vmi_* calls with glib's GSList, which
 * only programs that define LIBVMI_EXTRA_GLIB see; tvmi_list_t (the type
 * used here) has the same layout, so both are the same pointer.
 *
 * Must not: include glib.h, or return a partial list.
 */
#include <inttypes.h>

#include "core/core.h"
#include "core/instance.h"
#include "util/gslist.h"

/* What a legitimate address space needs, with room: 2^20 pages is 4 GiB
 * of 4 KiB mappings (real 64-bit kernels map most memory with large
 * pages); 2^18 tables are 1 GiB of page tables read at most. */
#define CORE_VA_PAGES_MAX_DEFAULT (UINT64_C(1) << 20)
#define CORE_VA_TABLES_MAX        (UINT64_C(1) << 18)

/* The declarations programs see with glib, spelt with our node type (and
 * exported, as libvmi_extra.h's visibility pragma would make them). */
#pragma GCC visibility push(default)
tvmi_list_t *vmi_get_va_pages(vmi_instance_t vmi, addr_t pt);
tvmi_list_t *vmi_get_nested_va_pages(vmi_instance_t vmi, addr_t npt, page_mode_t npm,
                                     addr_t pt, page_mode_t pm);
#pragma GCC visibility pop

_Static_assert(sizeof(tvmi_list_t) == sizeof(util_list_t), "one node layout");

typedef struct collect {
    util_list_t *head, *tail;
} collect_t;

static status_t add_page(void *ctx, const page_info_t *page, util_err_t *err)
{
    collect_t *c = ctx;
    page_info_t *copy;

    /* The node first, so a copy never exists outside the list. */
    if (!util_gslist_append(&c->head, &c->tail, NULL) ||
        !(copy = util_gslist_data_alloc(sizeof(*copy)))) {
        util_err_set(err, "out of memory for the page at 0x%" PRIx64, (uint64_t)page->vaddr);
        return VMI_FAILURE;
    }
    *copy = *page;
    c->tail->data = copy;
    return VMI_SUCCESS;
}

static util_list_t *pages_of(vmi_instance_t vmi, arch_x86_mode_t mode, addr_t pt)
{
    uint64_t max = CORE_VA_PAGES_MAX_DEFAULT;
    arch_x86_enum_stats_t stats;
    collect_t c = { NULL, NULL };

    if (core_config_get(vmi, "va_pages_max") &&
        (!core_config_get_u64(vmi, "va_pages_max", &max) || max == 0)) {
        if (!util_err_msg(core_err(vmi))[0])
            core_error(vmi, "config va_pages_max must be at least 1");
        return NULL;
    }
    if (arch_x86_enum_pages(&vmi->walker, mode, pt, max, CORE_VA_TABLES_MAX, add_page, &c,
                            &stats, &vmi->err) != VMI_SUCCESS) {
        util_gslist_free(c.head);
        core_error_prefix(vmi, "page table 0x%" PRIx64, (uint64_t)pt);
        return NULL;
    }
    if (!c.head)
        core_error(vmi, "page table 0x%" PRIx64 " (%s paging) maps no pages: %" PRIu64
                   " tables read, %" PRIu64 " unreadable, %" PRIu64 " entries refused",
                   (uint64_t)pt, arch_x86_mode_name(mode), stats.tables, stats.unreadable,
                   stats.rejected);
    return c.head;
}

static tvmi_list_t *va_pages(vmi_instance_t vmi, addr_t pt)
{
    if (!vmi)
        return NULL;
    return (tvmi_list_t *)pages_of(vmi, vmi->pmode, pt);
}

tvmi_list_t *vmi_get_va_pages(vmi_instance_t vmi, addr_t pt)
{
    CORE_API_PTR(vmi, tvmi_list_t *, va_pages(vmi, pt));
}

tvmi_list_t *tvmi_get_va_pages(vmi_instance_t vmi, addr_t pt)
{
    CORE_API_PTR(vmi, tvmi_list_t *, va_pages(vmi, pt));
}

static tvmi_list_t *nested_va_pages(vmi_instance_t vmi, addr_t npt, page_mode_t npm, addr_t pt,
                                    page_mode_t pm)
{
    arch_x86_mode_t mode;

    if (!vmi)
        return NULL;
    if (npm != VMI_PM_NONE) {
        core_error(vmi, "nested (EPT) translation is not supported yet (npt 0x%" PRIx64
                   ", npm %u)", (uint64_t)npt, npm);
        return NULL;
    }
    if (!core_mode_from_pm(vmi, pm, &mode))
        return NULL;
    return (tvmi_list_t *)pages_of(vmi, mode, pt);
}

tvmi_list_t *vmi_get_nested_va_pages(vmi_instance_t vmi, addr_t npt, page_mode_t npm,
                                     addr_t pt, page_mode_t pm)
{
    CORE_API_PTR(vmi, tvmi_list_t *, nested_va_pages(vmi, npt, npm, pt, pm));
}

void tvmi_free_va_pages(void *list)
{
    util_gslist_free(list);
}

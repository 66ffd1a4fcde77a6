/*
 * va-pages.c - a program written the LibVMI way: every page a page table
 * maps, from vmi_get_va_pages as a glib GSList, freed as LibVMI documents
 * (g_slist_free_full with g_free).  TinyVMI's tests build it against glib
 * and compare its output with what QEMU printed for the same guest.
 *
 * usage: va-pages IMAGE [PAGETABLE]
 *   Prints the mapped virtual ranges of PAGETABLE (default: vCPU 0's CR3)
 *   the way QEMU's monitor command `info mem` does: one line per run of
 *   pages with equal rights, "start-end size" then u (user) or -, r, and
 *   w (writable) or -, the rights being those every level of the walk
 *   grants.  A count of pages and ranges goes to stderr.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <glib.h>

#include <libvmi/libvmi.h>
#define LIBVMI_EXTRA_GLIB
#include <libvmi/libvmi_extra.h>
#include <libvmi/x86.h>

/* The user and write rights all levels of one page's walk grant, as bits
 * (1 user, 2 writable), from the entries page_info holds. */
static unsigned rights(const page_info_t *p)
{
    uint64_t all = ~0ULL;

    switch (p->pm) {
    case VMI_PM_LEGACY:
        all = p->x86_legacy.pgd_value;
        if (p->size == VMI_PS_4KB)
            all &= p->x86_legacy.pte_value;
        break;
    case VMI_PM_PAE:
        /* A PAE PDPTE has no user or write bit. */
        all = p->x86_pae.pgd_value;
        if (p->size == VMI_PS_4KB)
            all &= p->x86_pae.pte_value;
        break;
    case VMI_PM_IA32E:
        all = p->x86_ia32e.pml4e_value & p->x86_ia32e.pdpte_value;
        if (p->x86_ia32e.pml5e_location)
            all &= p->x86_ia32e.pml5e_value;
        if (p->size != VMI_PS_1GB)
            all &= p->x86_ia32e.pgd_value;
        if (p->size == VMI_PS_4KB)
            all &= p->x86_ia32e.pte_value;
        break;
    }
    return (USER_SUPERVISOR(all) ? 1u : 0u) | (READ_WRITE(all) ? 2u : 0u);
}

static void print_range(addr_t start, addr_t end, unsigned r)
{
    printf("%016" PRIx64 "-%016" PRIx64 " %016" PRIx64 " %cr%c\n", start, end, end - start,
           r & 1 ? 'u' : '-', r & 2 ? 'w' : '-');
}

int main(int argc, char **argv)
{
    vmi_instance_t vmi = NULL;
    uint64_t pt;
    GSList *pages, *l;
    addr_t start = 0, end = 0;
    unsigned cur = 0, ranges = 0;
    int have = 0;

    if (argc != 2 && argc != 3) {
        fprintf(stderr, "usage: %s IMAGE [PAGETABLE]\n", argv[0]);
        return 1;
    }
    if (VMI_FAILURE == vmi_init_complete(&vmi, argv[1], VMI_INIT_DOMAINNAME, NULL,
                                         VMI_CONFIG_GLOBAL_FILE_ENTRY, NULL, NULL)) {
        fprintf(stderr, "Failed to init LibVMI library: %s\n", tvmi_init_errmsg());
        return 1;
    }
    if (argc == 3)
        pt = strtoull(argv[2], NULL, 0);
    else if (VMI_FAILURE == vmi_get_vcpureg(vmi, &pt, CR3, 0)) {
        fprintf(stderr, "no page table given and no CR3: %s\n", tvmi_errmsg(vmi));
        vmi_destroy(vmi);
        return 1;
    }

    pages = vmi_get_va_pages(vmi, pt);
    if (!pages) {
        fprintf(stderr, "vmi_get_va_pages failed: %s\n", tvmi_errmsg(vmi));
        vmi_destroy(vmi);
        return 1;
    }
    for (l = pages; l; l = l->next) {
        const page_info_t *p = l->data;
        unsigned r = rights(p);
        if (have && p->vaddr == end && r == cur) {
            end += p->size;
            continue;
        }
        if (have) {
            print_range(start, end, cur);
            ranges++;
        }
        start = p->vaddr;
        end = p->vaddr + p->size;
        cur = r;
        have = 1;
    }
    if (have) {
        print_range(start, end, cur);
        ranges++;
    }
    fprintf(stderr, "page table 0x%" PRIx64 ": %u pages in %u ranges\n", pt,
            g_slist_length(pages), ranges);

    g_slist_free_full(pages, g_free);
    vmi_destroy(vmi);
    return 0;
}

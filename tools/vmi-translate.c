/*
 * vmi-translate - translate a guest virtual address and show every
 * page-table entry the walk visited, so a failing translation can be read
 * level by level.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>

#include "common/tool.h"

static const char usage[] =
    "usage: vmi-translate TARGET VADDR [options]\n"
    "Translate the guest virtual address VADDR to a physical address and print the\n"
    "page-table entry read at each level (location and value).\n"
    "\n"
    "  -p, --pid PID   use process PID's page table (default 0: the kernel's)\n"
    "  -d, --dtb ADDR  use the page table at ADDR (a CR3 value)\n"
    "  -c CONFIG       a config file, or 'key = value; ...' (libvmi.conf syntax)\n"
    "      --json      one JSON object instead of text\n"
    "  -h, --help      this text\n";

typedef struct level {
    const char *name;
    addr_t loc, val;
} level_t;

/* The entries visited, top level first; zero locations were not reached. */
static size_t levels_of(const page_info_t *pi, level_t *out)
{
    size_t n = 0;
#define ADD(nm, l, v) do { if (l || v) { out[n].name = nm; out[n].loc = l; out[n].val = v; n++; } } while (0)
    switch (pi->pm) {
    case VMI_PM_LEGACY:
        ADD("PDE", pi->x86_legacy.pgd_location, pi->x86_legacy.pgd_value);
        ADD("PTE", pi->x86_legacy.pte_location, pi->x86_legacy.pte_value);
        break;
    case VMI_PM_PAE:
        ADD("PDPTE", pi->x86_pae.pdpe_location, pi->x86_pae.pdpe_value);
        ADD("PDE", pi->x86_pae.pgd_location, pi->x86_pae.pgd_value);
        ADD("PTE", pi->x86_pae.pte_location, pi->x86_pae.pte_value);
        break;
    case VMI_PM_IA32E:
        ADD("PML5E", pi->x86_ia32e.pml5e_location, pi->x86_ia32e.pml5e_value);
        ADD("PML4E", pi->x86_ia32e.pml4e_location, pi->x86_ia32e.pml4e_value);
        ADD("PDPTE", pi->x86_ia32e.pdpte_location, pi->x86_ia32e.pdpte_value);
        ADD("PDE", pi->x86_ia32e.pgd_location, pi->x86_ia32e.pgd_value);
        ADD("PTE", pi->x86_ia32e.pte_location, pi->x86_ia32e.pte_value);
        break;
    default:
        break;
    }
#undef ADD
    return n;
}

static void flags_of(addr_t v, char *buf)
{
    sprintf(buf, "%s%s%s%s%s", (v & 1) ? "P" : "-", (v & 2) ? "W" : "R", (v & 4) ? "U" : "S",
            (v & 0x80) ? " PS" : "", (v >> 63) ? " NX" : "");
}

static const char *mode_name(page_mode_t pm, unsigned levels)
{
    switch (pm) {
    case VMI_PM_LEGACY: return "legacy (32-bit, 2 levels)";
    case VMI_PM_PAE: return "PAE (3 levels)";
    case VMI_PM_IA32E: return levels == 5 ? "IA-32e (5 levels, LA57)" : "IA-32e (4 levels)";
    case VMI_PM_NONE: return "none (paging off)";
    default: return "unknown";
    }
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "pid", required_argument, NULL, 'p' }, { "dtb", required_argument, NULL, 'd' },
        { "config", required_argument, NULL, 'c' }, { "json", no_argument, NULL, 'j' },
        { "help", no_argument, NULL, 'h' },       { NULL, 0, NULL, 0 },
    };
    const char *prog = "vmi-translate";
    tool_opts_t o = { 0 };
    uint64_t va, pid = 0, dtb = 0;
    bool have_dtb = false;
    vmi_instance_t vmi;
    page_info_t pi;
    level_t lv[5];
    size_t n;
    status_t st;
    int c;

    while ((c = getopt_long(argc, argv, "p:d:c:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'p': if (!tool_parse_addr(prog, "pid", optarg, &pid)) return 2; break;
        case 'd': if (!tool_parse_addr(prog, "dtb", optarg, &dtb)) return 2; have_dtb = true; break;
        case 'c': o.config = optarg; break;
        case 'j': o.json = true; break;
        case 'h': fputs(usage, stdout); return 0;
        default: fputs(usage, stderr); return 2;
        }
    }
    if (argc - optind != 2) {
        fputs(usage, stderr);
        return 2;
    }
    if (!tool_parse_addr(prog, "VADDR", argv[optind + 1], &va))
        return 2;
    if (!tool_open(prog, argv[optind], &o, pid != 0, &vmi))
        return 1;
    if (!have_dtb && vmi_pid_to_dtb(vmi, (vmi_pid_t)pid, &dtb) != VMI_SUCCESS) {
        tool_fail(prog, "%s", tvmi_errmsg(vmi));
        vmi_destroy(vmi);
        return 1;
    }
    st = vmi_pagetable_lookup_extended(vmi, dtb, va, &pi);
    n = levels_of(&pi, lv);
    if (o.json) {
        printf("{\"vaddr\":\"0x%" PRIx64 "\",\"page_table\":\"0x%" PRIx64 "\",\"mode\":",
               (uint64_t)va, (uint64_t)dtb);
        tool_json_str(stdout, mode_name(vmi_get_page_mode(vmi, 0), tvmi_get_paging_levels(vmi)));
        printf(",\"levels\":[");
        for (size_t i = 0; i < n; i++)
            printf("%s{\"name\":\"%s\",\"location\":\"0x%" PRIx64 "\",\"value\":\"0x%" PRIx64
                   "\"}", i ? "," : "", lv[i].name, (uint64_t)lv[i].loc, (uint64_t)lv[i].val);
        printf("]");
        if (st == VMI_SUCCESS)
            printf(",\"paddr\":\"0x%" PRIx64 "\",\"page_size\":%" PRIu64 "}\n",
                   (uint64_t)pi.paddr, (uint64_t)pi.size);
        else {
            printf(",\"error\":");
            tool_json_str(stdout, tvmi_errmsg(vmi));
            printf("}\n");
        }
    } else {
        printf("virtual address  0x%016" PRIx64 "\n", (uint64_t)va);
        printf("page table       0x%016" PRIx64 "  mode %s\n", (uint64_t)dtb,
               mode_name(vmi_get_page_mode(vmi, 0), tvmi_get_paging_levels(vmi)));
        for (size_t i = 0; i < n; i++) {
            char fl[32];
            flags_of(lv[i].val, fl);
            printf("  %-6s at 0x%012" PRIx64 " = 0x%016" PRIx64 "  %s\n", lv[i].name,
                   (uint64_t)lv[i].loc, (uint64_t)lv[i].val, fl);
        }
        if (st == VMI_SUCCESS)
            printf("physical address 0x%016" PRIx64 "  (%" PRIu64 " KiB page)\n",
                   (uint64_t)pi.paddr, (uint64_t)pi.size / 1024);
        else
            fprintf(stderr, "%s: %s\n", prog, tvmi_errmsg(vmi));
    }
    vmi_destroy(vmi);
    return st == VMI_SUCCESS ? 0 : 1;
}

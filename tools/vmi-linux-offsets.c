/*
 * vmi-linux-offsets - a libvmi.conf entry for a Linux guest TinyVMI can
 * introspect, so LibVMI (or TinyVMI with a fixed configuration) can use the
 * offsets TinyVMI found from the kernel's BTF, heuristics or a System.map.
 *
 * Output is the entry itself (key = value lines, each with where the value
 * came from as a comment); --json gives the same as an object.  Values that
 * change with every boot (KASLR slide, init_task, kernel page table) are
 * listed apart.  Uses only the public API and the values the Linux layer
 * publishes in the instance's configuration.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/tool.h"

static const char usage[] =
    "usage: vmi-linux-offsets TARGET [options]\n"
    "Print a libvmi.conf entry (ostype, linux_tasks, linux_mm, linux_pid,\n"
    "linux_name, linux_pgd, and TinyVMI's module offsets) for a Linux guest,\n"
    "with where each value came from (BTF, heuristic, config, default).\n"
    "\n"
    "  -c CONFIG    a config file, or 'key = value; ...' (libvmi.conf syntax)\n"
    "  -n NAME      the entry's name (default: the image's file name)\n"
    "      --json   a JSON object instead of the libvmi.conf entry\n"
    "  -h, --help   this text\n";

static const char *prog = "vmi-linux-offsets";

/* LibVMI's keys first, then TinyVMI's own. */
static const char *const keys[] = { "linux_tasks", "linux_mm", "linux_pid", "linux_name",
                                    "linux_pgd", "linux_tgid", "linux_real_parent",
                                    "linux_module_list", "linux_module_name",
                                    "linux_module_base", "linux_module_size" };
#define NKEYS (sizeof(keys) / sizeof(keys[0]))
#define NLIBVMI 5
static const char *const boot_keys[] = { "linux_kaslr", "linux_init_task", "kpgd" };

/* The source the Linux layer recorded for key ("BTF", "heuristic", ...). */
static const char *source_of(vmi_instance_t vmi, const char *key, char *out, size_t cap)
{
    const char *lists[2] = { tvmi_get_config(vmi, "linux_offset_sources"),
                             tvmi_get_config(vmi, "linux_module_offset_sources") };
    size_t kl = strlen(key);
    for (int i = 0; i < 2; i++) {
        const char *p = lists[i];
        while (p && (p = strstr(p, key)) != NULL) {
            if ((p == lists[i] || p[-1] == ' ') && p[kl] == ':') {
                size_t n = strcspn(p + kl + 1, " ");
                snprintf(out, cap, "%.*s", (int)n, p + kl + 1);
                return out;
            }
            p += kl;
        }
    }
    snprintf(out, cap, "config");
    return out;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "config", required_argument, NULL, 'c' }, { "json", no_argument, NULL, 'j' },
        { "name", required_argument, NULL, 'n' },   { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    tool_opts_t o = { 0 };
    vmi_instance_t vmi;
    const char *name = NULL;
    int c;

    while ((c = getopt_long(argc, argv, "c:n:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': o.config = optarg; break;
        case 'n': name = optarg; break;
        case 'j': o.json = true; break;
        case 'h': fputs(usage, stdout); return 0;
        default: fputs(usage, stderr); return 2;
        }
    }
    if (optind != argc - 1) {
        fputs(usage, stderr);
        return 2;
    }
    const char *target = argv[optind];
    if (!tool_open(prog, target, &o, true, &vmi))
        return 1;
    if (vmi_get_ostype(vmi) != VMI_OS_LINUX) {
        tool_fail(prog, "%s: the guest is not Linux", target);
        vmi_destroy(vmi);
        return 1;
    }

    char entry[256];
    if (!name) {
        const char *b = strrchr(target, '/');
        b = b ? b + 1 : target;
        snprintf(entry, sizeof(entry), "%s", b);
        entry[strcspn(entry, ".")] = '\0';
        if (!entry[0])
            snprintf(entry, sizeof(entry), "guest");
        name = entry;
    }
    addr_t val[NKEYS];
    bool have[NKEYS];
    char why[NKEYS][160];
    for (size_t i = 0; i < NKEYS; i++) {
        have[i] = vmi_get_offset(vmi, keys[i], &val[i]) == VMI_SUCCESS;
        if (!have[i])
            snprintf(why[i], sizeof(why[i]), "%s", tvmi_errmsg(vmi));
    }
    addr_t boot[3];
    bool have_boot[3];
    for (size_t i = 0; i < 3; i++)
        have_boot[i] = vmi_get_offset(vmi, boot_keys[i], &boot[i]) == VMI_SUCCESS;
    const char *banner = tvmi_get_config(vmi, "linux_banner");
    const char *syms = tvmi_get_config(vmi, "linux_symbols");
    const char *paging = tvmi_get_config(vmi, "paging_source");
    char src[32];

    if (o.json) {
        printf("{\"name\":");
        tool_json_str(stdout, name);
        printf(",\"ostype\":\"Linux\",\"banner\":");
        tool_json_str(stdout, banner ? banner : "");
        printf(",\"symbols\":");
        tool_json_str(stdout, syms ? syms : "");
        printf(",\"paging_source\":");
        tool_json_str(stdout, paging ? paging : "");
        printf(",\"offsets\":{");
        bool first = true;
        for (size_t i = 0; i < NKEYS; i++) {
            if (!have[i])
                continue;
            printf("%s\"%s\":{\"value\":\"0x%" PRIx64 "\",\"source\":\"%s\"}", first ? "" : ",",
                   keys[i], (uint64_t)val[i], source_of(vmi, keys[i], src, sizeof(src)));
            first = false;
        }
        printf("},\"this_boot\":{");
        first = true;
        for (size_t i = 0; i < 3; i++) {
            if (!have_boot[i])
                continue;
            printf("%s\"%s\":\"0x%" PRIx64 "\"", first ? "" : ",", boot_keys[i],
                   (uint64_t)boot[i]);
            first = false;
        }
        printf("}}\n");
    } else {
        printf("# vmi-linux-offsets %s\n", target);
        if (banner)
            printf("# %s\n", banner);
        if (syms)
            printf("# symbols: %s\n", syms);
        if (paging)
            printf("# kernel page table first found by: %s\n", paging);
        printf("%s {\n    ostype = \"Linux\";\n", name);
        /* LibVMI needs a symbol source of its own; the kernel package's
         * System.map matches the banner's release. */
        printf("    # sysmap = \"/boot/System.map-<release>\";\n");
        for (size_t i = 0; i < NKEYS; i++) {
            if (i == NLIBVMI)
                printf("    # TinyVMI's own keys (LibVMI ignores them)\n");
            if (have[i])
                printf("    %-18s = 0x%" PRIx64 ";  # %s\n", keys[i], (uint64_t)val[i],
                       source_of(vmi, keys[i], src, sizeof(src)));
            else
                printf("    # %s unknown: %s\n", keys[i], why[i]);
        }
        printf("    # this boot only (KASLR moves them on every boot):\n");
        for (size_t i = 0; i < 3; i++)
            if (have_boot[i])
                printf("    # %-16s = 0x%" PRIx64 ";\n", boot_keys[i], (uint64_t)boot[i]);
        printf("}\n");
    }
    int missing = 0;
    for (size_t i = 0; i < NLIBVMI; i++)
        missing += !have[i];
    vmi_destroy(vmi);
    return missing ? 1 : 0;
}

/*
 * vmi-map-symbol - a hex dump of guest kernel memory at a symbol.
 *
 * The symbol comes from the OS layer (System.map, kallsyms in memory, or a
 * profile), so this works with no configuration on kernels TinyVMI can
 * introspect that way.  "name+0x10" dumps from an offset into the symbol.
 * Uses only the public API.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/tool.h"

static const char usage[] =
    "usage: vmi-map-symbol TARGET SYMBOL[+OFFSET] [LENGTH] [options]\n"
    "Hex dump LENGTH bytes (default 64, at most 1 MiB) of guest kernel memory\n"
    "at a kernel symbol, with the symbol's address.\n"
    "\n"
    "  -c CONFIG    a config file, or 'key = value; ...' (libvmi.conf syntax)\n"
    "      --json   {\"symbol\",\"address\",\"bytes\" (hex)} instead of a dump\n"
    "  -h, --help   this text\n"
    "Exit status 1 when the symbol is unknown or the memory is unreadable\n"
    "(the bytes read before the failure are still shown).\n";

static const char *prog = "vmi-map-symbol";

static void dump(addr_t va, const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i += 16) {
        printf("%016" PRIx64 "  ", (uint64_t)(va + i));
        for (size_t j = 0; j < 16; j++) {
            if (i + j < n)
                printf("%02x ", b[i + j]);
            else
                printf("   ");
            if (j == 7)
                putchar(' ');
        }
        printf(" |");
        for (size_t j = 0; j < 16 && i + j < n; j++)
            putchar(b[i + j] >= 0x20 && b[i + j] < 0x7f ? b[i + j] : '.');
        printf("|\n");
    }
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "config", required_argument, NULL, 'c' }, { "json", no_argument, NULL, 'j' },
        { "help", no_argument, NULL, 'h' },         { NULL, 0, NULL, 0 },
    };
    tool_opts_t o = { 0 };
    vmi_instance_t vmi;
    int c;
    uint64_t len = 64, off = 0;

    while ((c = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': o.config = optarg; break;
        case 'j': o.json = true; break;
        case 'h': fputs(usage, stdout); return 0;
        default: fputs(usage, stderr); return 2;
        }
    }
    if (argc - optind < 2 || argc - optind > 3) {
        fputs(usage, stderr);
        return 2;
    }
    const char *target = argv[optind];
    char sym[512];
    snprintf(sym, sizeof(sym), "%s", argv[optind + 1]);
    char *plus = strchr(sym, '+');
    if (plus) {
        *plus = '\0';
        if (!tool_parse_addr(prog, "offset", plus + 1, &off))
            return 2;
    }
    if (argc - optind == 3 && !tool_parse_addr(prog, "length", argv[optind + 2], &len))
        return 2;
    if (len == 0 || len > (1u << 20))
        return tool_fail(prog, "length %" PRIu64 ": must be 1..1048576", len);
    if (!tool_open(prog, target, &o, true, &vmi))
        return 1;

    addr_t va;
    if (vmi_translate_ksym2v(vmi, sym, &va) != VMI_SUCCESS) {
        tool_fail(prog, "%s: %s", sym, tvmi_errmsg(vmi));
        vmi_destroy(vmi);
        return 1;
    }
    va += off;
    uint8_t *b = malloc(len);
    size_t got = 0;
    status_t rc = b ? vmi_read_va(vmi, va, 0, len, b, &got) : VMI_FAILURE;
    if (o.json) {
        printf("{\"symbol\":");
        tool_json_str(stdout, argv[optind + 1]);
        printf(",\"address\":\"0x%" PRIx64 "\",\"bytes\":\"", (uint64_t)va);
        for (size_t i = 0; i < got; i++)
            printf("%02x", b[i]);
        printf("\"}\n");
    } else {
        printf("%s at 0x%" PRIx64 ", %zu bytes\n", argv[optind + 1], (uint64_t)va, got);
        dump(va, b, got);
    }
    int ret = 0;
    if (rc != VMI_SUCCESS) {
        tool_fail(prog, "reading %" PRIu64 " bytes at 0x%" PRIx64 ": %s", len, (uint64_t)va,
                  b ? tvmi_errmsg(vmi) : "out of memory");
        ret = 1;
    }
    free(b);
    vmi_destroy(vmi);
    return ret;
}

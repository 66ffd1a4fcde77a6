/*
 * vmi-map-addr - hex dump of the guest page that holds a virtual address
 * (LibVMI's classic map_addr example, as a tool).
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>

#include "common/tool.h"

static const char usage[] =
    "usage: vmi-map-addr TARGET VADDR [options]\n"
    "Print the 4 KiB guest page that holds the virtual address VADDR as a hex dump.\n"
    "\n"
    "  TARGET          a memory image (raw, QEMU ELF core, LiME)\n"
    "  VADDR           a kernel virtual address (hex: 0xffffffff81000000)\n"
    "  -p, --pid PID   translate through process PID's page table (default 0: kernel)\n"
    "  -d, --dtb ADDR  translate through the page table at ADDR\n"
    "  -P, --physical  VADDR is a physical address\n"
    "  -l, --length N  dump N bytes from VADDR instead of its whole page\n"
    "  -c CONFIG       a config file, or 'key = value; ...' (libvmi.conf syntax)\n"
    "  -h, --help      this text\n"
    "Exit status: 0 on success, 1 when the address cannot be read (the reason is printed).\n";

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "pid", required_argument, NULL, 'p' },  { "dtb", required_argument, NULL, 'd' },
        { "physical", no_argument, NULL, 'P' },   { "length", required_argument, NULL, 'l' },
        { "config", required_argument, NULL, 'c' }, { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *prog = "vmi-map-addr";
    tool_opts_t o = { 0 };
    uint64_t va, pid = 0, dtb = 0, length = 0, pa;
    bool have_dtb = false, physical = false;
    vmi_instance_t vmi;
    unsigned char *buf;
    size_t got = 0;
    int c, rc = 0;

    while ((c = getopt_long(argc, argv, "p:d:Pl:c:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'p': if (!tool_parse_addr(prog, "pid", optarg, &pid)) return 2; break;
        case 'd': if (!tool_parse_addr(prog, "dtb", optarg, &dtb)) return 2; have_dtb = true; break;
        case 'P': physical = true; break;
        case 'l': if (!tool_parse_addr(prog, "length", optarg, &length)) return 2; break;
        case 'c': o.config = optarg; break;
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
    if (length > (64u << 20))
        return tool_fail(prog, "length %" PRIu64 " is over the 64 MiB limit", length);
    if (!tool_open(prog, argv[optind], &o, false, &vmi))
        return 1;

    ACCESS_CONTEXT(ctx, .addr = length ? va : va & ~0xfffULL);
    if (physical) {
        ctx.tm = VMI_TM_NONE;
    } else if (have_dtb) {
        ctx.tm = VMI_TM_PROCESS_DTB;
        ctx.dtb = dtb;
    } else {
        ctx.tm = VMI_TM_PROCESS_PID;
        ctx.pid = (vmi_pid_t)pid;
    }
    if (!length)
        length = 4096;
    buf = malloc(length);
    if (!buf) {
        vmi_destroy(vmi);
        return tool_fail(prog, "out of memory");
    }
    if (vmi_read(vmi, &ctx, length, buf, &got) != VMI_SUCCESS) {
        rc = tool_fail(prog, "%s", tvmi_errmsg(vmi));
        if (got)
            fprintf(stderr, "%s: the first %zu bytes were readable\n", prog, got);
    } else {
        if (!physical) {
            addr_t table = have_dtb ? dtb : 0;
            if ((have_dtb || vmi_pid_to_dtb(vmi, (vmi_pid_t)pid, &table) == VMI_SUCCESS) &&
                vmi_pagetable_lookup(vmi, table, ctx.addr, &pa) == VMI_SUCCESS)
                printf("virtual 0x%" PRIx64 " -> physical 0x%" PRIx64 " (page table 0x%" PRIx64
                       ")\n", (uint64_t)ctx.addr, (uint64_t)pa, (uint64_t)table);
        } else {
            printf("physical 0x%" PRIx64 "\n", (uint64_t)ctx.addr);
        }
        vmi_print_hex(buf, (unsigned long)got);
    }
    free(buf);
    vmi_destroy(vmi);
    return rc;
}

/*
 * gen-winimage - write a generated Windows memory image (see winimage.h)
 * and print what was planted in it, so tools can be tried by hand:
 *
 *   gen-winimage win7-sp1-x64 /tmp/w7.raw
 *   gen-winimage --format dump xp-sp3-x86-pae /tmp/xp.dmp
 *   vmi-win-guid /tmp/xp.dmp
 *   vmi-process-list /tmp/w7.raw -c 'volatility_ist = tests/data/windows/win7-sp1-x64.json'
 */
#include <getopt.h>
#include <inttypes.h>

#include "../helpers/winimage.h"

static const char usage[] =
    "usage: gen-winimage [--format raw|dump|bitmap]\n"
    "                    [--hostile cycle|bad-pe|wrong-guid|decoy]\n"
    "                    LAYOUT OUTPUT\n"
    "LAYOUT is one of: xp-sp3-x86, xp-sp3-x86-pae, win7-sp1-x64, win10-x64.\n"
    "Writes 16 MiB of guest-physical memory (raw), or a Windows crash dump\n"
    "(full, or bitmap with the non-zero pages), and prints the ground truth.\n";

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "format", required_argument, NULL, 'f' },
        { "hostile", required_argument, NULL, 'x' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *format = "raw";
    wi_hostile_t hostile = WI_SANE;
    int c;
    while ((c = getopt_long(argc, argv, "f:x:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'f': format = optarg; break;
        case 'x':
            if (!strcmp(optarg, "cycle"))
                hostile = WI_CYCLE;
            else if (!strcmp(optarg, "bad-pe"))
                hostile = WI_BAD_PE;
            else if (!strcmp(optarg, "wrong-guid"))
                hostile = WI_WRONG_GUID;
            else if (!strcmp(optarg, "decoy"))
                hostile = WI_DECOY;
            else {
                fputs(usage, stderr);
                return 2;
            }
            break;
        case 'h': fputs(usage, stdout); return 0;
        default: fputs(usage, stderr); return 2;
        }
    }
    if (argc - optind != 2) {
        fputs(usage, stderr);
        return 2;
    }
    const wi_layout_t *L = wi_layout(argv[optind]);
    if (!L) {
        fprintf(stderr, "gen-winimage: unknown layout %s\n", argv[optind]);
        return 2;
    }
    const char *out = argv[optind + 1];
    wi_image_t w;
    wi_build(&w, L, hostile);
    bool ok;
    if (!strcmp(format, "raw"))
        ok = wi_write_raw(&w, out);
    else if (!strcmp(format, "dump"))
        ok = wi_write_dump(&w, out, WI_DUMP_FULL);
    else if (!strcmp(format, "bitmap"))
        ok = wi_write_dump(&w, out, WI_DUMP_BITMAP);
    else {
        fputs(usage, stderr);
        wi_free(&w);
        return 2;
    }
    if (!ok) {
        perror(out);
        wi_free(&w);
        return 1;
    }
    printf("layout %s (%s), kernel 0x%" PRIx64 ", System page table 0x%" PRIx64 "\n", L->name,
           L->pdb, L->kbase, w.sys_root);
    printf("PsActiveProcessHead 0x%" PRIx64 ", PsLoadedModuleList 0x%" PRIx64
           ", KDBG 0x%" PRIx64 "%s\n", w.ps_active, w.ps_loaded, w.kdbg,
           L->kdbg_encoded ? " (encoded)" : "");
    if (hostile == WI_DECOY)
        printf("decoy kernel image (another GUID) at 0x%" PRIx64 "\n", wi_decoy_va(L));
    for (size_t i = 0; i < WI_NPROCS; i++)
        printf("process %5u %-16s ppid %5u dtb 0x%" PRIx64 " eprocess 0x%" PRIx64 "\n",
               w.procs[i].pid, w.procs[i].name, w.procs[i].ppid, w.procs[i].dtb,
               w.procs[i].eprocess);
    for (size_t i = 0; i < WI_NMODS; i++)
        printf("module %-14s base 0x%" PRIx64 " size 0x%" PRIx64 "\n", w.mods[i].name,
               w.mods[i].base, w.mods[i].size);
    for (size_t i = 0; i < WI_NT_NEXPORTS + WI_HAL_NEXPORTS; i++) {
        bool nt = i < WI_NT_NEXPORTS;
        const wi_export_t *e = nt ? &wi_nt_exports[i] : &wi_hal_exports[i - WI_NT_NEXPORTS];
        if (e->forwarder)
            printf("export %s %s -> %s\n", nt ? "kernel" : "hal", e->name, e->forwarder);
        else
            printf("export %s %s 0x%x\n", nt ? "kernel" : "hal", e->name, e->rva);
    }
    wi_free(&w);
    return 0;
}

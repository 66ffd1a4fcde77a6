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
    "usage: gen-winimage [--format FORMAT]\n"
    "                    [--hostile cycle|bad-pe|wrong-guid|decoy]\n"
    "                    [--triage-hostile CHANGE]\n"
    "                    LAYOUT OUTPUT\n"
    "LAYOUT is one of: xp-sp3-x86, xp-sp3-x86-pae, win7-sp1-x64, win10-x64.\n"
    "FORMAT: raw (16 MiB of guest-physical memory), or a Windows crash dump:\n"
    "  dump (full, DumpType 1), bitmap (5 on x64, 2 on x86), kernel (2),\n"
    "  bitmap-kernel (6), summary-old64 (2, ntiodump.h's 32-bit fields),\n"
    "  header (3), triage (4), triage-kpe (4, with ntoskrnl's headers).\n"
    "CHANGE damages a triage dump: truncated, no-valid, valid-past-end,\n"
    "  blocks-huge, block-past-end, block-wraps, drivers-huge, name-outside,\n"
    "  name-unterminated, stride, overlap.\n"
    "Prints the ground truth.\n";

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "format", required_argument, NULL, 'f' },
        { "hostile", required_argument, NULL, 'x' },
        { "triage-hostile", required_argument, NULL, 't' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *format = "raw";
    wi_hostile_t hostile = WI_SANE;
    wi_triage_hostile_t th = WI_TRIAGE_SANE;
    int c;
    while ((c = getopt_long(argc, argv, "f:x:t:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'f': format = optarg; break;
        case 't': {
            int k = 0;
            while (k < WI_TRIAGE_NHOSTILE && strcmp(optarg, wi_triage_hostile_names[k]))
                k++;
            if (k == WI_TRIAGE_NHOSTILE) {
                fputs(usage, stderr);
                return 2;
            }
            th = (wi_triage_hostile_t)k;
            break;
        }
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
    static const char *const kinds[WI_DUMP_NKINDS] = {
        "dump", "bitmap", "kernel", "bitmap-kernel", "summary-old64", "header", "triage",
        "triage-kpe",
    };
    bool ok = false, known = !strcmp(format, "raw");
    wi_dump_truth_t truth;
    memset(&truth, 0, sizeof(truth));
    if (known)
        ok = wi_write_raw(&w, out);
    for (int k = 0; k < WI_DUMP_NKINDS && !known; k++)
        if (!strcmp(format, kinds[k])) {
            known = true;
            ok = wi_write_dump_x(&w, out, (wi_dump_kind_t)k, th, &truth);
        }
    if (!known) {
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
    if (truth.type)
        printf("dump type %u, bug check 0x%" PRIx64 ", RequiredDumpSpace 0x%" PRIx64 "\n",
               truth.type, truth.bugcheck, truth.required);
    for (unsigned i = 0; i < truth.nvruns; i++)
        printf("holds %s: virtual 0x%" PRIx64 "-0x%" PRIx64 "\n", truth.vruns[i].what,
               truth.vruns[i].va, truth.vruns[i].va + truth.vruns[i].len - 1);
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

/*
 * kernel.c - finding ntoskrnl in guest memory without being told where.
 *
 * A candidate is accepted only when it is a PE image of the guest's machine
 * type whose CodeView record names a kernel PDB (ntoskrnl, ntkrnlpa,
 * ntkrnlmp, ntkrpamp), or, when the record cannot be read, whose export
 * directory names ntoskrnl.exe.  Candidates come from, in order:
 *   1. the config: win_ntoskrnl_va (virtual), win_kdvb (KDBG's KernBase),
 *      win_ntoskrnl (physical; then found by the scan and compared);
 *   2. a crash dump's header: KernBase of the KDBG it names, else the first
 *      entry of the PsLoadedModuleList it names (ntoskrnl is always loaded
 *      first), else the first entry of a triage dump's own driver list,
 *      each checked by hints.c;
 *   3. the vCPU registers: an address inside the kernel (MSR_LSTAR =
 *      KiSystemCall64 on x64, SYSENTER_EIP = KiFastCallEntry on x86, or the
 *      divide-error handler in the IDT), then backwards page by page;
 *   4. a scan of the kernel's part of the address space, upwards, skipping
 *      unmapped page-table ranges whole.
 * Each scan is bounded; the image itself is checked by pe.c.  The one
 * exception to "no image, no kernel": when the dump header states a base
 * (through a KDBG with its tag, or a module list whose first entry is
 * named as the kernel, the two agreeing when both are there) but no PE
 * image can be read there, that base is taken as stated, without its
 * image, rather than guessed at by a scan (st->kpe_ok stays false).
 *
 * Must not: accept a scanned or configured image without its CodeView (or
 * export) name, or scan without a bound on the number of probes.
 */
#include <stdio.h>
#include <string.h>

#include "core/core.h"
#include "os/windows/windows.h"
#include "util/bytes.h"
#include "util/strutil.h"

/* How far below a known kernel address the image may start: ntoskrnl is
 * under 16 MiB on every release so far. */
#define WIN_ANCHOR_SPAN (32ULL << 20)
/* The most pages a forward scan probes. */
#define WIN_SCAN_MAX_PROBES (1u << 21)

bool win_is_kernel_pdb(const char *name)
{
    static const char *const kernels[] = { "ntoskrnl.pdb", "ntkrnlpa.pdb", "ntkrnlmp.pdb",
                                           "ntkrpamp.pdb" };
    for (size_t i = 0; i < sizeof(kernels) / sizeof(kernels[0]); i++)
        if (util_streq_nocase(name, kernels[i]))
            return true;
    return false;
}

bool win_is_kernel_image(vmi_instance_t vmi, win_state_t *st, addr_t va, pe_image_t *img,
                         pe_codeview_t *cv, bool *have_cv)
{
    win_pe_ctx_t c;
    util_err_t err;
    bool ok;
    char dll[64];
    win_pe_ctx_kernel(&c, vmi, va);
    *have_cv = false;
    if (pe_open(img, win_pe_read, &c, &err) != VMI_SUCCESS)
        return false;
    uint16_t want = st->ptr == 8 ? PE_MACHINE_AMD64 : PE_MACHINE_I386;
    if (img->machine != want)
        ok = false;
    else if (pe_codeview(img, cv, &err) == VMI_SUCCESS) {
        *have_cv = true;
        ok = win_is_kernel_pdb(pe_pdb_basename(cv->pdb));
    } else {
        ok = pe_export_dll_name(img, dll, sizeof(dll), &err) == VMI_SUCCESS &&
             util_streq_nocase(dll, "ntoskrnl.exe");
    }
    /* c lives on this stack: callers reattach a context (win_kernel_pe). */
    img->ctx = NULL;
    return ok;
}

void win_kernel_pe(vmi_instance_t vmi, const win_state_t *st, pe_image_t *img,
                   win_pe_ctx_t *c)
{
    win_pe_ctx_kernel(c, vmi, st->kbase);
    *img = st->kpe;
    img->read = win_pe_read;
    img->ctx = c;
}

/* Accept va as the kernel base when it is one; remember how it was found. */
static bool try_base(vmi_instance_t vmi, win_state_t *st, addr_t va, const char *src)
{
    pe_image_t img;
    pe_codeview_t cv;
    bool have_cv = false;
    if (!win_is_kernel_va(st, va) || (va & 0xfff))
        return false;
    if (!win_is_kernel_image(vmi, st, va, &img, &cv, &have_cv))
        return false;
    st->kbase = va;
    st->kbase_src = src;
    st->kpe = img;
    st->kpe_ok = true;
    st->have_cv = have_cv;
    if (have_cv)
        st->cv = cv;
    addr_t pa;
    if (vmi_translate_kv2p(vmi, va, &pa) == VMI_SUCCESS)
        st->kbase_pa = pa;
    return true;
}

/* Is there "MZ" at va?  When va is unmapped, *next is the first address
 * above va that could be mapped (the end of the missing table's range). */
static bool probe_mz(vmi_instance_t vmi, addr_t va, addr_t *next)
{
    page_info_t info;
    uint8_t mz[2];
    *next = va + 0x1000;
    if (vmi_pagetable_lookup_extended(vmi, core_kernel_dtb(vmi), va, &info) != VMI_SUCCESS) {
        /* Skip the whole range a missing upper-level entry covers. */
        uint64_t span = 0;
        switch (core_paging_mode(vmi)) {
        case ARCH_X86_LEGACY:
            if (info.x86_legacy.pgd_location && !(info.x86_legacy.pgd_value & 1))
                span = 1ULL << 22;
            break;
        case ARCH_X86_PAE:
            if (info.x86_pae.pdpe_location && !(info.x86_pae.pdpe_value & 1))
                span = 1ULL << 30;
            else if (info.x86_pae.pgd_location && !(info.x86_pae.pgd_value & 1))
                span = 1ULL << 21;
            break;
        case ARCH_X86_IA32E_4:
        case ARCH_X86_IA32E_5:
            if (info.x86_ia32e.pml4e_location && !(info.x86_ia32e.pml4e_value & 1))
                span = 1ULL << 39;
            else if (info.x86_ia32e.pdpte_location && !(info.x86_ia32e.pdpte_value & 1))
                span = 1ULL << 30;
            else if (info.x86_ia32e.pgd_location && !(info.x86_ia32e.pgd_value & 1))
                span = 1ULL << 21;
            break;
        default:
            break;
        }
        if (span)
            *next = (va & ~(span - 1)) + span;
        return false;
    }
    ACCESS_CONTEXT(ctx, .translate_mechanism = VMI_TM_NONE, .addr = info.paddr);
    return vmi_read(vmi, &ctx, 2, mz, NULL) == VMI_SUCCESS && mz[0] == 'M' && mz[1] == 'Z';
}

static bool scan_up(vmi_instance_t vmi, win_state_t *st, addr_t from, addr_t to,
                    unsigned *probes)
{
    addr_t va = from;
    while (va < to && *probes < WIN_SCAN_MAX_PROBES) {
        addr_t next;
        (*probes)++;
        if (probe_mz(vmi, va, &next) && try_base(vmi, st, va, "a scan of kernel memory"))
            return true;
        if (next <= va)
            break; /* wrapped at the top of the address space */
        va = next;
    }
    return false;
}

static bool scan_down(vmi_instance_t vmi, win_state_t *st, addr_t from, const char *src)
{
    addr_t va = from & ~0xfffULL;
    for (uint64_t done = 0; done < WIN_ANCHOR_SPAN && win_is_kernel_va(st, va); done += 0x1000) {
        addr_t next;
        if (probe_mz(vmi, va, &next) && try_base(vmi, st, va, src))
            return true;
        va -= 0x1000;
    }
    return false;
}

/* Addresses the vCPU holds that point into ntoskrnl's code. */
static bool from_registers(vmi_instance_t vmi, win_state_t *st)
{
    uint64_t v;
    bool found = false;
    /* Registers are optional: a target without them just skips this. */
    if (st->ptr == 8) {
        if (vmi_get_vcpureg(vmi, &v, MSR_LSTAR, 0) == VMI_SUCCESS &&
            scan_down(vmi, st, v, "MSR_LSTAR (the system-call entry)"))
            found = true;
    } else {
        if (vmi_get_vcpureg(vmi, &v, SYSENTER_EIP, 0) == VMI_SUCCESS &&
            scan_down(vmi, st, v, "SYSENTER_EIP (the system-call entry)"))
            found = true;
    }
    /* The IDT's divide-error gate (KiDivideErrorFault / KiTrap00). */
    if (!found && vmi_get_vcpureg(vmi, &v, IDTR_BASE, 0) == VMI_SUCCESS && v) {
        uint8_t gate[16];
        if (win_read(vmi, v, gate, st->ptr == 8 ? 16 : 8) == VMI_SUCCESS) {
            /* Offset 15:0 at 0, 31:16 at 6, 63:32 at 8 (64-bit gates). */
            addr_t handler = util_le16(gate) | (addr_t)util_le16(gate + 6) << 16;
            if (st->ptr == 8)
                handler |= (addr_t)util_le32(gate + 8) << 32;
            found = scan_down(vmi, st, handler, "the IDT's divide-error handler");
        }
    }
    return found;
}

static bool from_config(vmi_instance_t vmi, win_state_t *st, bool *fatal)
{
    uint64_t v;
    *fatal = false;
    if (core_config_get(vmi, "win_ntoskrnl_va")) {
        if (!core_config_get_u64(vmi, "win_ntoskrnl_va", &v)) {
            *fatal = true;
            return false;
        }
        if (try_base(vmi, st, v, "the config (win_ntoskrnl_va)"))
            return true;
        core_error(vmi, "config win_ntoskrnl_va = 0x%llx: no Windows kernel image there",
                   (unsigned long long)v);
        *fatal = true;
        return false;
    }
    if (core_config_get(vmi, "win_kdvb")) {
        addr_t kb;
        if (!core_config_get_u64(vmi, "win_kdvb", &v)) {
            *fatal = true;
            return false;
        }
        if (win_kdbg_field(vmi, st, v, KDBG_KERNBASE, &kb) == VMI_SUCCESS &&
            try_base(vmi, st, kb, "KernBase in the KDBG at win_kdvb")) {
            st->kdbg = v;
            return true;
        }
        core_error(vmi, "config win_kdvb = 0x%llx: no KDBG leading to a Windows kernel there",
                   (unsigned long long)v);
        *fatal = true;
        return false;
    }
    return false;
}

/* Can a base the dump states be taken without its image?  When it
 * translates, or when the target holds no physical memory at all (a triage
 * dump: nothing can translate, and its own word is all there is). */
static bool stated_ok(vmi_instance_t vmi, const win_state_t *st, addr_t va)
{
    addr_t pa;
    return va && win_is_kernel_va(st, va) && !(va & 0xfff) &&
           (vmi_translate_kv2p(vmi, va, &pa) == VMI_SUCCESS || vmi_get_memsize(vmi) == 0);
}

/* What a crash dump's header says: the KDBG's KernBase, else the first
 * loaded module, else the first entry of a triage dump's driver list.  A
 * base it states whose image cannot be read is left in *stated (0 when
 * none, or when two sources disagree) with its source. */
static bool from_dump_header(vmi_instance_t vmi, win_state_t *st, addr_t *stated,
                             const char **stated_src)
{
    addr_t kdbg, kb = 0, mb = 0, tb = 0;
    *stated = 0;
    if (win_hint_kdbg(vmi, st, &kdbg) &&
        win_kdbg_field(vmi, st, kdbg, KDBG_KERNBASE, &kb) == VMI_SUCCESS &&
        try_base(vmi, st, kb, "KernBase in the KDBG the crash dump header names"))
        return true;
    if (win_hint_kernel_module(vmi, st, &mb) &&
        try_base(vmi, st, mb, "the first module of the crash dump header's "
                              "PsLoadedModuleList"))
        return true;
    if (win_hint_triage_kernel(vmi, st, &tb) &&
        try_base(vmi, st, tb, "the first module of the triage dump's driver list"))
        return true;
    addr_t other = mb ? mb : tb;
    if (kb && other && kb != other) {
        snprintf(st->note_kdbg, sizeof(st->note_kdbg), "the dump header's KDBG says KernBase "
                 "0x%llx, but the first module of its %s is at 0x%llx",
                 (unsigned long long)kb, mb ? "PsLoadedModuleList" : "driver list",
                 (unsigned long long)other);
        return false;
    }
    if (mb && tb && mb != tb) {
        snprintf(st->note_loaded, sizeof(st->note_loaded), "the first module of the dump "
                 "header's PsLoadedModuleList is at 0x%llx, but the triage dump's driver list "
                 "puts the kernel at 0x%llx", (unsigned long long)mb, (unsigned long long)tb);
        return false;
    }
    if (stated_ok(vmi, st, kb)) {
        *stated = kb;
        *stated_src = "KernBase in the KDBG the crash dump header names (no readable "
                      "kernel image there)";
    } else if (stated_ok(vmi, st, mb)) {
        *stated = mb;
        *stated_src = "the first module of the crash dump header's PsLoadedModuleList (no "
                      "readable kernel image there)";
    } else if (tb) {
        *stated = tb;
        *stated_src = "the first module of the triage dump's driver list (no readable "
                      "kernel image there)";
    }
    return false;
}

/* Take the base the dump header states, without a readable image. */
static void take_stated(vmi_instance_t vmi, win_state_t *st, addr_t va, const char *src)
{
    addr_t pa;
    st->kbase = va;
    st->kbase_src = src;
    memset(&st->kpe, 0, sizeof(st->kpe));
    st->kpe_ok = false;
    st->have_cv = false;
    if (vmi_translate_kv2p(vmi, va, &pa) == VMI_SUCCESS)
        st->kbase_pa = pa;
}

status_t win_find_kernel(vmi_instance_t vmi, win_state_t *st)
{
    bool fatal;
    addr_t stated;
    const char *stated_src = NULL;
    if (from_config(vmi, st, &fatal))
        goto found;
    if (fatal)
        return VMI_FAILURE;
    if (from_dump_header(vmi, st, &stated, &stated_src))
        goto found;
    if (stated) {
        take_stated(vmi, st, stated, stated_src);
        goto found;
    }
    if (vmi_get_memsize(vmi) == 0) {
        /* Nothing to scan: a triage or header-only crash dump. */
        core_error(vmi, "no Windows kernel named by the target, which holds no physical "
                        "memory to search (a crash dump's header or triage data must name "
                        "it)%s%s%s%s", st->note_kdbg[0] ? "; " : "", st->note_kdbg,
                   st->note_loaded[0] ? "; " : "", st->note_loaded);
        return VMI_FAILURE;
    }
    if (from_registers(vmi, st))
        goto found;

    unsigned probes = 0;
    if (st->ptr == 4) {
        /* The 2 GiB kernel half; the kernel sits low in it. */
        if (scan_up(vmi, st, 0x80000000ULL, 0x100000000ULL, &probes))
            goto found;
    } else {
        /* Windows x64 maps ntoskrnl in the "system" region starting at
         * 0xfffff800'00000000: low in it up to Windows 8, anywhere in the
         * first 32 GiB (2 MiB aligned) with Windows 10's KASLR. */
        if (scan_up(vmi, st, 0xfffff80000000000ULL, 0xfffff80800000000ULL, &probes))
            goto found;
    }
    core_error(vmi, "no Windows kernel image (a PE whose CodeView record names "
                    "ntoskrnl/ntkrnlpa/ntkrnlmp/ntkrpamp.pdb) in kernel memory, "
                    "after %u probes through page table 0x%llx; set win_ntoskrnl_va "
                    "if the kernel is elsewhere%s%s%s%s", probes,
               (unsigned long long)core_kernel_dtb(vmi),
               st->note_kdbg[0] ? "; " : "", st->note_kdbg,
               st->note_loaded[0] ? "; " : "", st->note_loaded);
    return VMI_FAILURE;

found:;
    uint64_t pa;
    /* A configured physical base is a claim to check, not a starting point. */
    if (core_config_get(vmi, "win_ntoskrnl")) {
        if (!core_config_get_u64(vmi, "win_ntoskrnl", &pa))
            return VMI_FAILURE;
        if (st->kbase_pa && pa != st->kbase_pa) {
            core_error(vmi, "config win_ntoskrnl = 0x%llx, but the kernel found at 0x%llx "
                            "(via %s) lies at physical 0x%llx",
                       (unsigned long long)pa, (unsigned long long)st->kbase,
                       st->kbase_src, (unsigned long long)st->kbase_pa);
            return VMI_FAILURE;
        }
    }
    util_err_clear(core_err(vmi));
    return VMI_SUCCESS;
}

/*
 * kdbg.c - the kernel debugger data block, _KDDEBUGGER_DATA64 ("KDBG").
 *
 * Layout used (the same on 32- and 64-bit kernels; 32-bit kernels store
 * pointers sign-extended to 64 bits):
 *   +0x00 LIST_ENTRY64 List       +0x10 ULONG OwnerTag = "KDBG"
 *   +0x14 ULONG Size              +0x18 ULONG64 KernBase
 *   +0x48 ULONG64 PsLoadedModuleList
 *   +0x50 ULONG64 PsActiveProcessHead
 * The block is found from the config (win_kdvb = its address, win_kdbg =
 * its offset from the kernel base) or the profile's KdDebuggerDataBlock
 * symbol, else from a crash dump header's KdDebuggerDataBlock (hints.c),
 * else by searching the kernel image's data for the tag with a KernBase
 * equal to the kernel base.
 *
 * Windows 8 and later (x64) keep the block encoded (KdpDataBlockEncoded)
 * unless a debugger is attached; an encoded block has no visible tag and
 * is not decoded here: it is reported and skipped, and the profile's
 * symbols are used instead.  The block is never required.
 *
 * Must not: take a block whose tag, size or KernBase do not check out, or
 * leave its own failures as the instance's reason (it is optional).
 */
#include <stdio.h>
#include <string.h>

#include "core/core.h"
#include "os/windows/windows.h"

/* The most bytes of a section searched for the tag. */
#define KDBG_SCAN_MAX (32u << 20)

status_t win_kdbg_field(vmi_instance_t vmi, win_state_t *st, addr_t kdbg, unsigned off,
                        addr_t *out)
{
    uint8_t b[8];
    if (win_read(vmi, kdbg + off, b, 8) != VMI_SUCCESS)
        return VMI_FAILURE;
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)b[i] << (8 * i);
    if (st->ptr == 4) {
        /* Sign-extended 32-bit pointers: the top half is all 0 or all 1. */
        uint32_t hi = (uint32_t)(v >> 32);
        if (hi != 0 && hi != 0xffffffffu) {
            core_error(vmi, "KDBG at 0x%llx: field +0x%x = 0x%llx is not a 32-bit pointer",
                       (unsigned long long)kdbg, off, (unsigned long long)v);
            return VMI_FAILURE;
        }
        v &= 0xffffffffu;
    }
    *out = v;
    return VMI_SUCCESS;
}

bool win_kdbg_valid(vmi_instance_t vmi, win_state_t *st, addr_t va)
{
    uint8_t h[8];
    if (win_read(vmi, va + KDBG_TAG_OFF, h, 8) != VMI_SUCCESS || memcmp(h, "KDBG", 4) != 0)
        return false;
    uint32_t size = (uint32_t)h[4] | (uint32_t)h[5] << 8 | (uint32_t)h[6] << 16 |
                    (uint32_t)h[7] << 24;
    if (size < KDBG_MIN_SIZE || size > KDBG_MAX_SIZE)
        return false;
    addr_t kb;
    if (win_kdbg_field(vmi, st, va, KDBG_KERNBASE, &kb) != VMI_SUCCESS)
        return false;
    return !st->kbase || kb == st->kbase;
}

/* Search one section of the kernel image for a valid block. */
static bool scan_section(vmi_instance_t vmi, win_state_t *st, const pe_section_t *sec)
{
    uint8_t page[0x1000 + 8];
    uint64_t len = sec->vsize < KDBG_SCAN_MAX ? sec->vsize : KDBG_SCAN_MAX;
    addr_t start = st->kbase + sec->va;
    for (uint64_t off = 0; off < len; off += 0x1000) {
        size_t n = len - off < 0x1000 ? (size_t)(len - off) : 0x1000;
        if (win_read(vmi, start + off, page, n) != VMI_SUCCESS)
            continue; /* paged out or discarded: nothing to find there */
        for (size_t i = 0; i + 4 <= n; i += 4) {
            if (memcmp(page + i, "KDBG", 4) != 0)
                continue;
            addr_t cand = start + off + i - KDBG_TAG_OFF;
            if (off + i < KDBG_TAG_OFF || (cand & 7))
                continue;
            if (win_kdbg_valid(vmi, st, cand)) {
                st->kdbg = cand;
                return true;
            }
        }
    }
    return false;
}

static bool scan_kernel(vmi_instance_t vmi, win_state_t *st)
{
    pe_image_t img;
    win_pe_ctx_t c;
    util_err_t err;
    win_kernel_pe(vmi, st, &img, &c);
    /* .data first: the block lives there on every release seen. */
    for (int pass = 0; pass < 2; pass++) {
        for (unsigned i = 0; i < img.nsections; i++) {
            pe_section_t sec;
            if (pe_section(&img, i, &sec, &err) != VMI_SUCCESS)
                break;
            bool is_data = strcmp(sec.name, ".data") == 0;
            /* Writable, initialised-data sections only on the second pass. */
            bool writable = (sec.characteristics & 0x80000040u) == 0x80000040u;
            if ((pass == 0 && !is_data) || (pass == 1 && (is_data || !writable)))
                continue;
            if (scan_section(vmi, st, &sec))
                return true;
        }
    }
    return false;
}

/* PsActiveProcessHead / PsLoadedModuleList from the block, where unknown. */
static void take_heads(vmi_instance_t vmi, win_state_t *st)
{
    addr_t v;
    if (!st->kdbg)
        return;
    if (!st->ps_active && win_kdbg_field(vmi, st, st->kdbg, KDBG_PSACTIVE, &v) == VMI_SUCCESS &&
        win_is_kernel_va(st, v))
        st->ps_active = v;
    if (!st->ps_loaded && win_kdbg_field(vmi, st, st->kdbg, KDBG_PSLOADED, &v) == VMI_SUCCESS &&
        win_is_kernel_va(st, v))
        st->ps_loaded = v;
}

void win_kdbg_configured(vmi_instance_t vmi, win_state_t *st)
{
    addr_t va;
    uint64_t rva;
    char saved[UTIL_ERR_MAX];
    /* Everything here is optional: keep the caller's reason intact. */
    snprintf(saved, sizeof(saved), "%s", tvmi_errmsg(vmi));

    if (!st->kdbg && win_profile_symbol(vmi, st, "KdDebuggerDataBlock", &va)) {
        if (win_kdbg_valid(vmi, st, va))
            st->kdbg = va;
        /* else: encoded (Windows 8+) or damaged; the profile's symbols
         * stand in for it. */
    }
    if (!st->kdbg && core_config_get(vmi, "win_kdbg") &&
        core_config_get_u64(vmi, "win_kdbg", &rva) && win_kdbg_valid(vmi, st, st->kbase + rva))
        st->kdbg = st->kbase + rva;
    take_heads(vmi, st);
    core_error(vmi, "%s", saved);
}

void win_kdbg_search(vmi_instance_t vmi, win_state_t *st)
{
    addr_t va;
    char saved[UTIL_ERR_MAX];
    snprintf(saved, sizeof(saved), "%s", tvmi_errmsg(vmi));

    /* The crash dump header names it: no need to search (hints.c checks
     * tag, size, KernBase and that it lies inside ntoskrnl). */
    if (!st->kdbg && win_hint_kdbg(vmi, st, &va))
        st->kdbg = va;
    if (!st->kdbg && st->kbase && st->kpe_ok)
        scan_kernel(vmi, st);
    take_heads(vmi, st);
    core_error(vmi, "%s", saved);
}

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
 * Windows 8 and later (x64) keep the block encoded unless a debugger is
 * attached: KdpDataBlockEncoded (a byte) is non-zero and every 64-bit word
 * w of the block is stored as
 *   KiWaitNever ^ ror64(&KdpDataBlockEncoded ^ bswap64(KiWaitAlways ^ w),
 *                       KiWaitNever & 63)
 * (the kernel's KdEncodeDataBlock; KdCopyDataBlock undoes it).  The two
 * keys are random per boot and live in ntoskrnl's data, so decoding needs
 * their addresses: the profile's symbols KiWaitNever, KiWaitAlways and
 * KdpDataBlockEncoded.  Without a profile the block is not decoded (the
 * only symbol-less way, matching the code of KdCopyDataBlock, depends on
 * one compiler's output and is not attempted); the reason is kept in
 * note_kdbg_enc.  The head of the block is decoded into a local copy and
 * checked exactly as a plain one; the block is never required.
 *
 * Must not: take a block whose tag, size or KernBase do not check out
 * (decoded or not), or leave its own failures as the instance's reason
 * (it is optional).
 */
#include <stdio.h>
#include <string.h>

#include "core/core.h"
#include "os/windows/windows.h"
#include "util/bytes.h"

/* The most bytes of a section searched for the tag. */
#define KDBG_SCAN_MAX (32u << 20)

uint64_t win_kdbg_decode_word(uint64_t enc, uint64_t never, uint64_t always, addr_t flag_va)
{
    uint64_t v = enc ^ never;
    unsigned r = (unsigned)(never & 63); /* rol r64, cl uses the low six bits */
    if (r)
        v = (v << r) | (v >> (64 - r));
    v ^= flag_va;
    return __builtin_bswap64(v) ^ always; /* the bswap instruction */
}

/* The field at off of a block whose bytes are b (kdbg only names it). */
static status_t field_of(vmi_instance_t vmi, const win_state_t *st, addr_t kdbg,
                         const uint8_t *b, unsigned off, addr_t *out)
{
    uint64_t v = util_le64(b);
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

status_t win_kdbg_field(vmi_instance_t vmi, win_state_t *st, addr_t kdbg, unsigned off,
                        addr_t *out)
{
    uint8_t b[8];
    if (st->kdbg_decoded && kdbg == st->kdbg) {
        /* Only the head was decoded: never fall back to the encoded bytes. */
        if (off > KDBG_MIN_SIZE - 8) {
            core_error(vmi, "KDBG at 0x%llx: field +0x%x is past the decoded head",
                       (unsigned long long)kdbg, off);
            return VMI_FAILURE;
        }
        return field_of(vmi, st, kdbg, st->kdbg_plain + off, off, out);
    }
    if (win_read(vmi, kdbg + off, b, 8) != VMI_SUCCESS)
        return VMI_FAILURE;
    return field_of(vmi, st, kdbg, b, off, out);
}

/* Is b (the first KDBG_MIN_SIZE bytes of the block at va) a KDBG of this
 * kernel?  If not, why. */
static bool block_ok(vmi_instance_t vmi, const win_state_t *st, addr_t va, const uint8_t *b,
                     char *why, size_t size)
{
    if (memcmp(b + KDBG_TAG_OFF, "KDBG", 4) != 0) {
        snprintf(why, size, "no KDBG tag (+0x10 holds %02x %02x %02x %02x)",
                 b[KDBG_TAG_OFF], b[KDBG_TAG_OFF + 1], b[KDBG_TAG_OFF + 2],
                 b[KDBG_TAG_OFF + 3]);
        return false;
    }
    const uint8_t *h = b + KDBG_SIZE_OFF;
    uint32_t bsize = util_le32(h);
    if (bsize < KDBG_MIN_SIZE || bsize > KDBG_MAX_SIZE) {
        snprintf(why, size, "implausible size 0x%x", bsize);
        return false;
    }
    addr_t kb;
    if (field_of(vmi, st, va, b + KDBG_KERNBASE, KDBG_KERNBASE, &kb) != VMI_SUCCESS) {
        snprintf(why, size, "KernBase is not a pointer");
        return false;
    }
    if (st->kbase && kb != st->kbase) {
        snprintf(why, size, "KernBase 0x%llx is not the kernel base 0x%llx",
                 (unsigned long long)kb, (unsigned long long)st->kbase);
        return false;
    }
    return true;
}

bool win_kdbg_valid(vmi_instance_t vmi, win_state_t *st, addr_t va)
{
    uint8_t b[KDBG_MIN_SIZE];
    char why[128];
    if (win_read(vmi, va, b, sizeof(b)) != VMI_SUCCESS)
        return false;
    return block_ok(vmi, st, va, b, why, sizeof(why));
}

/* The decoding keys, from the profile. */
typedef struct kdbg_keys {
    uint64_t never, always;
    addr_t flag_va;              /* &KdpDataBlockEncoded */
} kdbg_keys_t;

/* Fills *k when the kernel's block is encoded and the keys are known;
 * else says why (no profile, a missing symbol, an unreadable key, the
 * flag clear). */
static bool get_keys(vmi_instance_t vmi, const win_state_t *st, kdbg_keys_t *k, char *why,
                     size_t size)
{
    addr_t never_va, always_va;
    uint8_t flag, b[8];
    if (st->ptr != 8) {
        snprintf(why, size, "only 64-bit kernels encode the KDBG");
        return false;
    }
    if (!st->isf) {
        snprintf(why, size, "decoding an encoded KDBG (Windows 8 and later, x64, without a "
                            "debugger) needs KiWaitNever, KiWaitAlways and "
                            "KdpDataBlockEncoded from a profile (volatility_ist)");
        return false;
    }
    const char *missing = !win_profile_symbol(vmi, st, "KiWaitNever", &never_va) ? "KiWaitNever"
        : !win_profile_symbol(vmi, st, "KiWaitAlways", &always_va) ? "KiWaitAlways"
        : !win_profile_symbol(vmi, st, "KdpDataBlockEncoded", &k->flag_va)
            ? "KdpDataBlockEncoded" : NULL;
    if (missing) {
        snprintf(why, size, "the profile has no symbol %s, needed to decode the KDBG", missing);
        return false;
    }
    if (win_read(vmi, k->flag_va, &flag, 1) != VMI_SUCCESS) {
        snprintf(why, size, "KdpDataBlockEncoded at 0x%llx is unreadable",
                 (unsigned long long)k->flag_va);
        return false;
    }
    if (!flag) {
        snprintf(why, size, "KdpDataBlockEncoded is 0: the KDBG is not encoded");
        return false;
    }
    if (win_read(vmi, never_va, b, 8) != VMI_SUCCESS) {
        snprintf(why, size, "KiWaitNever at 0x%llx is unreadable", (unsigned long long)never_va);
        return false;
    }
    k->never = util_le64(b);
    if (win_read(vmi, always_va, b, 8) != VMI_SUCCESS) {
        snprintf(why, size, "KiWaitAlways at 0x%llx is unreadable",
                 (unsigned long long)always_va);
        return false;
    }
    k->always = util_le64(b);
    return true;
}

/* Take the block at va if it checks out as it lies, or decoded with k
 * (NULL: not decoded).  If not, why, into why. */
static bool take_block(vmi_instance_t vmi, win_state_t *st, addr_t va, const kdbg_keys_t *k,
                       char *why, size_t size)
{
    uint8_t raw[KDBG_MIN_SIZE], dec[KDBG_MIN_SIZE];
    char r1[128], r2[128];
    if (win_read(vmi, va, raw, sizeof(raw)) != VMI_SUCCESS) {
        snprintf(why, size, "the KDBG at 0x%llx is unreadable", (unsigned long long)va);
        return false;
    }
    if (block_ok(vmi, st, va, raw, r1, sizeof(r1))) {
        st->kdbg = va;
        st->kdbg_decoded = false;
        return true;
    }
    if (!k) {
        snprintf(why, size, "the KDBG at 0x%llx: %s", (unsigned long long)va, r1);
        return false;
    }
    for (unsigned i = 0; i < sizeof(raw); i += 8)
        util_put_le64(dec + i, win_kdbg_decode_word(util_le64(raw + i), k->never, k->always, k->flag_va));
    if (!block_ok(vmi, st, va, dec, r2, sizeof(r2))) {
        snprintf(why, size, "the KDBG at 0x%llx, decoded with KiWaitNever 0x%llx, KiWaitAlways "
                            "0x%llx and KdpDataBlockEncoded at 0x%llx, is not valid: %s",
                 (unsigned long long)va, (unsigned long long)k->never,
                 (unsigned long long)k->always, (unsigned long long)k->flag_va, r2);
        return false;
    }
    st->kdbg = va;
    st->kdbg_decoded = true;
    memcpy(st->kdbg_plain, dec, sizeof(dec));
    return true;
}

/* Search one section of the kernel image for a valid block: the tag as
 * it lies, or, with keys k, an 8-aligned word that decodes to the tag. */
static bool scan_section(vmi_instance_t vmi, win_state_t *st, const pe_section_t *sec,
                         const kdbg_keys_t *k)
{
    uint8_t page[0x1000 + 8];
    char why[WIN_NOTE_MAX];
    uint64_t len = sec->vsize < KDBG_SCAN_MAX ? sec->vsize : KDBG_SCAN_MAX;
    addr_t start = st->kbase + sec->va;
    for (uint64_t off = 0; off < len; off += 0x1000) {
        size_t n = len - off < 0x1000 ? (size_t)(len - off) : 0x1000;
        if (win_read(vmi, start + off, page, n) != VMI_SUCCESS)
            continue; /* paged out or discarded: nothing to find there */
        for (size_t i = 0; i + 4 <= n; i += 4) {
            addr_t cand = start + off + i - KDBG_TAG_OFF;
            if (off + i < KDBG_TAG_OFF || (cand & 7))
                continue;
            bool tag = memcmp(page + i, "KDBG", 4) == 0;
            if (!tag && k && i + 8 <= n) {
                /* The encoding mixes in the flag's address, not the
                 * word's: one decode per word finds the tag anywhere. */
                uint64_t w = win_kdbg_decode_word(util_le64(page + i), k->never, k->always,
                                                  k->flag_va);
                tag = (w & 0xffffffffu) == 0x4742444bu; /* "KDBG" little-endian */
            }
            if (tag && take_block(vmi, st, cand, k, why, sizeof(why)))
                return true;
        }
    }
    return false;
}

static bool scan_kernel(vmi_instance_t vmi, win_state_t *st, const kdbg_keys_t *k)
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
            if (scan_section(vmi, st, &sec, k))
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
    kdbg_keys_t keys;
    char saved[UTIL_ERR_MAX], why[200], bad[WIN_NOTE_MAX];
    /* Everything here is optional: keep the caller's reason intact. */
    snprintf(saved, sizeof(saved), "%s", tvmi_errmsg(vmi));
    bool have_keys = get_keys(vmi, st, &keys, why, sizeof(why));

    if (!st->kdbg && win_profile_symbol(vmi, st, "KdDebuggerDataBlock", &va) &&
        !take_block(vmi, st, va, have_keys ? &keys : NULL, bad, sizeof(bad))) {
        /* Damaged, or encoded with no way to decode it: say both. */
        if (have_keys)
            snprintf(st->note_kdbg_enc, sizeof(st->note_kdbg_enc), "%s", bad);
        else
            snprintf(st->note_kdbg_enc, sizeof(st->note_kdbg_enc), "%.80s; %s", bad, why);
    }
    if (!st->kdbg && core_config_get(vmi, "win_kdbg") &&
        core_config_get_u64(vmi, "win_kdbg", &rva))
        take_block(vmi, st, st->kbase + rva, have_keys ? &keys : NULL, st->note_kdbg_enc,
                   sizeof(st->note_kdbg_enc));
    if (st->kdbg)
        st->note_kdbg_enc[0] = '\0';
    take_heads(vmi, st);
    core_error(vmi, "%s", saved);
}

void win_kdbg_search(vmi_instance_t vmi, win_state_t *st)
{
    addr_t va;
    kdbg_keys_t keys;
    char saved[UTIL_ERR_MAX], why[200];
    snprintf(saved, sizeof(saved), "%s", tvmi_errmsg(vmi));

    /* The crash dump header names it: no need to search (hints.c checks
     * tag, size, KernBase and that it lies inside ntoskrnl). */
    if (!st->kdbg && win_hint_kdbg(vmi, st, &va)) {
        st->kdbg = va;
        st->kdbg_decoded = false;
    }
    if (!st->kdbg && st->kbase && st->kpe_ok) {
        bool have_keys = get_keys(vmi, st, &keys, why, sizeof(why));
        if (!scan_kernel(vmi, st, have_keys ? &keys : NULL) && !st->note_kdbg_enc[0] &&
            st->ptr == 8)
            snprintf(st->note_kdbg_enc, sizeof(st->note_kdbg_enc),
                     "no KDBG found in the kernel image%s%s", have_keys ? "" : "; ",
                     have_keys ? "" : why);
    }
    if (st->kdbg)
        st->note_kdbg_enc[0] = '\0';
    take_heads(vmi, st);
    core_error(vmi, "%s", saved);
}

status_t win_list_head_unknown(vmi_instance_t vmi, const win_state_t *st, const char *head,
                               const char *note)
{
    core_error(vmi, "%s is unknown: no profile symbol and no usable KDBG (give a Volatility "
                    "ISF profile as volatility_ist)%s%s%s%s%s%s",
               head, note[0] ? "; " : "", note, st->note_kdbg[0] ? "; " : "", st->note_kdbg,
               st->note_kdbg_enc[0] ? "; " : "", st->note_kdbg_enc);
    return VMI_FAILURE;
}

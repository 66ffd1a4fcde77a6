/*
 * x86_entry.h - the formats of x86 page-table entries (Intel SDM vol. 3A,
 * tables 4-4 to 4-20), as inline verdicts shared by the walkers and the
 * root scan.  Internal to src/arch.
 *
 * One function per paging mode says what a single entry is: a pointer to
 * the next table, the frame of a page, or the reason it cannot be used.  It
 * must stay pure bit arithmetic (no reads, no formatting): the walkers call
 * it once per level on every uncached translation, and the scan calls it on
 * every word of memory.
 *
 * Levels are numbered as the SDM counts them from the bottom: 1 = PTE,
 * 2 = PDE, 3 = PDPTE, 4 = PML4E, 5 = PML5E.
 */
#ifndef TINYVMI_ARCH_X86_ENTRY_H
#define TINYVMI_ARCH_X86_ENTRY_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "arch/x86.h"
#include "util/bytes.h"

#define X86_P        0x1ull                 /* present */
#define X86_PS       0x80ull                /* page size: this entry maps a page */
#define X86_NX       0x8000000000000000ull  /* execute-disable */
#define X86_ADDR     0x000ffffffffff000ull  /* bits 51:12, the widest address field */
#define X86_HIGH     0x7ff0000000000000ull  /* bits 62:52 */
#define X86_LOW52    0x000fffffffffffffull  /* bits 51:0 */

typedef enum x86_verdict {
    X86_TABLE,        /* out = physical address of the next table */
    X86_LEAF,         /* out = physical base of the page */
    X86_NOT_PRESENT,  /* P clear; the other bits mean nothing to the CPU */
    X86_RESERVED,     /* out = the reserved bits that are set */
    X86_BEYOND,       /* out = the address bits at or above MAXPHYADDR */
    X86_PS_RESERVED,  /* PS set in a PML4E or PML5E */
    X86_MISALIGNED,   /* out = set low bits of a large page's address */
} x86_verdict_t;

/* What a walker's settings make reserved, worked out once per walk. */
typedef struct x86_limits {
    unsigned m;       /* MAXPHYADDR, 32..52 */
    uint64_t above;   /* bits 51:M */
    uint64_t nx_rsv;  /* bit 63 when EFER.NXE is clear, else 0 */
} x86_limits_t;

/* MAXPHYADDR from a walker: 0 means the architectural maximum, 52; less
 * than 32 is raised to 32, since a 32-bit entry can always address 4 GiB. */
static inline unsigned x86_maxphyaddr(unsigned m)
{
    if (m == 0 || m > 52)
        return 52;
    return m < 32 ? 32 : m;
}

static inline void x86_limits_init(x86_limits_t *lim, unsigned maxphyaddr, bool nxe)
{
    lim->m = x86_maxphyaddr(maxphyaddr);
    lim->above = X86_LOW52 & ~((1ull << lim->m) - 1);
    lim->nx_rsv = nxe ? 0 : X86_NX;
}

/* 32-bit paging (tables 4-4 to 4-6).  A PTE and a PDE that points to a page
 * table have no reserved bits.  A PDE with PS (honoured only when CR4.PSE)
 * maps 4 MiB: bits 31:22 are address bits 31:22 and, with PSE-36, bits
 * (M-20):13 are address bits (M-1):32, M being MAXPHYADDR capped at 40.
 * Bit 21 and bits 20:(M-19) are reserved. */
static inline x86_verdict_t x86_legacy_entry(uint32_t e, unsigned level, bool pse,
                                             unsigned m, uint64_t *out)
{
    if (!(e & X86_P)) {
        *out = 0;
        return X86_NOT_PRESENT;
    }
    if (level == 2 && pse && (e & X86_PS)) {
        unsigned mm = m < 40 ? m : 40;
        uint32_t beyond = ((1u << 21) - 1) & ~((1u << (mm - 19)) - 1);
        if (e & (1u << 21)) {
            *out = 1u << 21;
            return X86_RESERVED;
        }
        if (e & beyond) {
            *out = e & beyond;
            return X86_BEYOND;
        }
        *out = ((uint64_t)((e >> 13) & 0xff) << 32) | (e & 0xffc00000u);
        return X86_LEAF;
    }
    *out = e & 0xfffff000u;
    return level == 1 ? X86_LEAF : X86_TABLE;
}

/* PAE paging (tables 4-8 to 4-11).  A PDPTE has bits 2:1, 8:5 and 63:M
 * reserved (no NX, no PS) - except that bit 5 is treated as ignored here:
 * QEMU's TCG sets the Accessed bit in the PDPTEs it walks (its walker
 * handles them like IA-32e entries), so a Linux PAE guest under TCG has
 * PDPTEs such as 0x1d0d021 that work there and must translate here.
 * PDEs and PTEs have bits 62:M reserved and bit 63 is NX, reserved when
 * EFER.NXE is clear; a PDE with PS maps 2 MiB and has bits 20:13 reserved. */
#define X86_PDPTE_RSV (X86_NX | X86_HIGH | 0x1c6)
static inline x86_verdict_t x86_pae_entry(uint64_t e, unsigned level,
                                          const x86_limits_t *lim, uint64_t *out)
{
    uint64_t rsv;

    if (!(e & X86_P)) {
        *out = 0;
        return X86_NOT_PRESENT;
    }
    if (e & lim->above) {
        *out = e & lim->above;
        return X86_BEYOND;
    }
    rsv = level == 3 ? X86_PDPTE_RSV : (X86_HIGH | lim->nx_rsv);
    if (e & rsv) {
        *out = e & rsv;
        return X86_RESERVED;
    }
    if (level == 2 && (e & X86_PS)) {
        if (e & 0x1fe000) {
            *out = e & 0x1fe000;
            return X86_MISALIGNED;
        }
        *out = e & X86_ADDR & ~0x1fffffull;
        return X86_LEAF;
    }
    *out = e & X86_ADDR;
    return level == 1 ? X86_LEAF : X86_TABLE;
}

/* IA-32e paging, 4 and 5 levels (tables 4-14 to 4-20).  Every entry has
 * bits 51:M reserved and bit 63 NX (reserved when EFER.NXE is clear); bits
 * 62:52 are ignored (protection keys at the leaf).  PS is reserved in a
 * PML5E and a PML4E; in a PDPTE it maps 1 GiB (bits 29:13 reserved), in a
 * PDE 2 MiB (bits 20:13 reserved).  Bit 12 of a large page is PAT. */
static inline x86_verdict_t x86_ia32e_entry(uint64_t e, unsigned level,
                                            const x86_limits_t *lim, uint64_t *out)
{
    if (!(e & X86_P)) {
        *out = 0;
        return X86_NOT_PRESENT;
    }
    if (e & lim->above) {
        *out = e & lim->above;
        return X86_BEYOND;
    }
    if (e & lim->nx_rsv) {
        *out = X86_NX;
        return X86_RESERVED;
    }
    if (level == 1) {
        *out = e & X86_ADDR;
        return X86_LEAF;
    }
    if (e & X86_PS) {
        uint64_t low;
        if (level >= 4) {
            *out = X86_PS;
            return X86_PS_RESERVED;
        }
        low = level == 3 ? 0x3fffe000ull : 0x1fe000ull;
        if (e & low) {
            *out = e & low;
            return X86_MISALIGNED;
        }
        *out = e & X86_ADDR & ~(low | 0x1000);
        return X86_LEAF;
    }
    *out = e & X86_ADDR;
    return X86_TABLE;
}


/* ---- Shared by the walkers (x86.c): the cold failure reports.  They are
 * the only place a walk formats text. */

/* "PDE for 0x... at 0x...: <why> (entry 0x...)" */
void x86_walk_fail(util_err_t *err, unsigned level, addr_t vaddr, addr_t loc,
                   uint64_t entry, x86_verdict_t why, uint64_t bits, unsigned m)
    __attribute__((cold, noinline));
/* Prefixes the read callback's reason: "reading PTE for 0x... at 0x...". */
void x86_walk_read_failed(util_err_t *err, unsigned level, addr_t vaddr, addr_t loc)
    __attribute__((cold, noinline));
void x86_walk_noncanonical(util_err_t *err, arch_x86_mode_t mode, addr_t vaddr)
    __attribute__((cold, noinline));
void x86_walk_root_beyond(util_err_t *err, addr_t dtb, addr_t root, unsigned m)
    __attribute__((cold, noinline));

/* The per-mode walks (x86_legacy.c, x86_pae.c, x86_ia32e.c).  info is
 * already cleared and its vaddr, pt and pm set. */
status_t x86_legacy_translate(const arch_x86_walker_t *w, addr_t dtb, addr_t vaddr,
                              page_info_t *info, util_err_t *err);
status_t x86_pae_translate(const arch_x86_walker_t *w, addr_t dtb, addr_t vaddr,
                           page_info_t *info, util_err_t *err);
status_t x86_ia32e_translate(const arch_x86_walker_t *w, unsigned levels, addr_t dtb,
                             addr_t vaddr, page_info_t *info, util_err_t *err);

#endif

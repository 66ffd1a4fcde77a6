/*
 * x86.h - translating guest virtual addresses through x86 page tables.
 *
 * Covers the four paging modes of the Intel SDM (vol. 3A, ch. 4): 32-bit
 * ("legacy") paging, PAE paging, 4-level and 5-level IA-32e paging.  The
 * walkers read page-table entries through a callback, so this layer knows
 * nothing of drivers, caches or the vmi_instance: it is pure address
 * arithmetic over hostile data.  Every entry is checked (present bit,
 * reserved bits, physical-address width) and a walk has a fixed number of
 * steps, so a malicious or looping page table ends in a failure with a reason.
 * The reserved bits are the SDM's, but for one that QEMU's emulator sets
 * itself (PDPTE bit 5, see x86_entry.h).
 *
 * Files: x86.c (dispatch, modes, failure text), x86_entry.h (entry
 * formats), x86_legacy.c, x86_pae.c, x86_ia32e.c (the walks), x86_scan.c
 * (finding a root in an image without registers), x86_enum.c (every page
 * a table maps).
 */
#ifndef TINYVMI_ARCH_X86_H
#define TINYVMI_ARCH_X86_H

#include <stdbool.h>
#include <stdint.h>

#include <libvmi/libvmi.h>
#include "util/err.h"

/* The four x86 paging modes.  LibVMI's page_mode_t has one value for both
 * IA-32e variants; the number of levels comes from CR4.LA57. */
typedef enum arch_x86_mode {
    ARCH_X86_NONE = 0,   /* paging off: virtual == physical */
    ARCH_X86_LEGACY,     /* 32-bit paging, 2 levels, 4 KiB / 4 MiB pages */
    ARCH_X86_PAE,        /* 3 levels, 4 KiB / 2 MiB pages */
    ARCH_X86_IA32E_4,    /* 4 levels, 4 KiB / 2 MiB / 1 GiB pages */
    ARCH_X86_IA32E_5,    /* 5 levels (LA57) */
} arch_x86_mode_t;

/* Reads one page-table entry (size 4 or 8 bytes, little-endian) at
 * guest-physical pa.  Fails, with a reason, when pa is not readable. */
typedef status_t (*arch_read_entry_fn)(void *ctx, addr_t pa, unsigned size,
                                       uint64_t *value, util_err_t *err);

/* Gives the 4096 bytes of the guest-physical page at pa (4 KiB aligned),
 * raw (little-endian): either buf, filled, or a pointer into the caller's
 * own memory (a mapped image), valid until the next call.  NULL, with a
 * reason, when the page is not readable. */
typedef const void *(*arch_read_page_fn)(void *ctx, addr_t pa, void *buf,
                                         util_err_t *err);

typedef struct arch_x86_walker {
    arch_read_entry_fn read_entry;
    void *ctx;
    /* Physical-address width in bits (MAXPHYADDR); entries pointing above it
     * have reserved bits set.  0 means 52, the architectural maximum; less
     * than 32 counts as 32. */
    unsigned maxphyaddr;
    /* Whether NX (EFER.NXE) is enabled: when not, bit 63 of a PAE or IA-32e
     * entry is reserved. */
    bool nxe;
    /* CR4.PSE: when clear, legacy paging ignores the PS bit of PDEs. */
    bool pse;
    /* Optional, used by arch_x86_scan_dtb and arch_x86_enum_pages (NULL:
     * they read entry by entry through read_entry, which is much slower). */
    arch_read_page_fn read_page;
    /* Optional, used only by the scan: the lowest guest-physical address at
     * or above pa that may be readable (~0 when none is).  The scan then
     * steps over a hole in one call rather than one failed read per page:
     * without it, an image whose only memory lies at 2^47 costs 2^35 failed
     * reads.  NULL: every page up to max_pa is tried. */
    addr_t (*next_readable)(void *ctx, addr_t pa);
} arch_x86_walker_t;

/* Translate vaddr using the page table rooted at dtb (a CR3 value; PCID and
 * flag bits are masked as the mode requires).  info is cleared first; on
 * success it holds vaddr, paddr, size, pt (dtb as given), pm, and the
 * location/value of every entry visited, in the x86_legacy / x86_pae /
 * x86_ia32e member (pgd = the PDE; entries below a large page stay 0).  On
 * failure info still holds the entries visited so far and err says which
 * level failed, where, and why:
 *   "PDPTE for 0x7f0000000000 at 0x3000: not present (entry 0x0)"
 *   "PDE for 0xc0400000 at 0x2c08: reserved bits 0x8000000000000000 set
 *    (entry 0x...)"  (NX with nxe false)
 * A failing read_entry keeps its own reason, prefixed with the level:
 *   "reading PTE for 0x... at 0x...: <reason>".
 * Paging off (ARCH_X86_NONE) maps every address to itself.  Nothing is
 * allocated or formatted unless the walk fails. */
status_t arch_x86_translate(const arch_x86_walker_t *w, arch_x86_mode_t mode,
                            addr_t dtb, addr_t vaddr, page_info_t *info,
                            util_err_t *err);

/* The mode the control registers describe: CR0.PG, CR4.PAE, EFER.LMA (or
 * LME when LMA is unknown) and CR4.LA57. */
arch_x86_mode_t arch_x86_mode_from_regs(uint64_t cr0, uint64_t cr4, uint64_t efer);

/* Page-table levels: 0 (none), 2, 3, 4 or 5. */
unsigned arch_x86_levels(arch_x86_mode_t mode);

/* LibVMI's page_mode_t for one of ours (IA32E_4 and IA32E_5 both give
 * VMI_PM_IA32E), and the address width in bytes (4 or 8). */
page_mode_t arch_x86_page_mode(arch_x86_mode_t mode);
unsigned arch_x86_address_width(arch_x86_mode_t mode);
const char *arch_x86_mode_name(arch_x86_mode_t mode);
/* Parse "legacy", "pae", "ia32e", "ia32e-la57"/"la57", "none" (any case). */
bool arch_x86_mode_parse(const char *s, arch_x86_mode_t *mode);

/* The part of a CR3 value that addresses the root table for this mode:
 * legacy 4 KiB aligned, PAE 32-byte aligned (bits 31:5), IA-32e 4 KiB aligned
 * with PCID bits (11:0) and bit 63 dropped. */
addr_t arch_x86_dtb_base(arch_x86_mode_t mode, addr_t cr3);

/* Is vaddr canonical for this mode (IA-32e: bits 63:47 or 63:56 all equal
 * the top implemented bit; 32-bit modes: below 4 GiB; paging off: any)? */
bool arch_x86_is_canonical(arch_x86_mode_t mode, addr_t vaddr);

/* ---- Finding the paging mode and a kernel page-table root in a memory
 * image that comes without registers (x86_scan.c explains the heuristic).
 *
 * One pass over [0, max_pa) in 4 KiB pages (through w->read_page when set;
 * unreadable pages are skipped), collecting a bounded number of candidate
 * roots per mode, each checked down to its page tables.  Candidates are
 * ranked IA-32e (a root valid as 5-level first, offered as 5 then 4), then
 * PAE, then legacy; within a mode by how much of the kernel half maps, then
 * fewer user-half entries, then lower address.  Any process's root may come
 * out: all share the kernel half, and an image does not say which ran.
 * w->maxphyaddr is honoured; w->nxe and w->pse are not (the scan accepts NX
 * and assumes CR4.PSE, as every kernel that uses these modes sets them).
 * 256 MiB take about 40 ms with read_page, 150 ms without.
 *
 * dtb is the root's address: 4 KiB aligned, or 32-byte aligned for PAE. */
typedef bool (*arch_x86_accept_fn)(void *ctx, arch_x86_mode_t mode, addr_t dtb);

/* The best-ranked candidate.  Fails with a reason when there is none. */
status_t arch_x86_scan_dtb(const arch_x86_walker_t *w, addr_t max_pa,
                           arch_x86_mode_t *mode, addr_t *dtb, util_err_t *err);

/* The first candidate, in rank order, that accept (if not NULL) confirms,
 * e.g. "the kernel's banner translates through this root".  accept may use
 * arch_x86_translate and the same walker; it is called at most a few
 * hundred times. */
status_t arch_x86_scan_dtb_accept(const arch_x86_walker_t *w, addr_t max_pa,
                                  arch_x86_accept_fn accept, void *ctx,
                                  arch_x86_mode_t *mode, addr_t *dtb,
                                  util_err_t *err);

/* ---- Every page a page table maps (x86_enum.c) ----
 *
 * fn is called once per mapped page (4 KiB, or a large page as one), in
 * ascending virtual-address order (upper-half IA-32e addresses sign-
 * extended, so they come last), with a page_info filled as
 * arch_x86_translate fills it for that page's first byte: vaddr, paddr
 * (the frame), size, pt (dtb as given), pm and every entry visited.  An
 * entry the CPU would refuse (reserved bits, beyond MAXPHYADDR, PS in a
 * PML4E) maps nothing and is counted in stats->rejected; a table that
 * cannot be read maps nothing and is counted in stats->unreadable.
 *
 * A hostile table can claim every entry present (2^36 pages in 4-level
 * paging), so the walk stops with a failure when it would report more
 * than max_pages pages or read more than max_tables tables (the root
 * counts).  It also fails when the root cannot be read, when fn fails
 * (with fn's reason) or when paging is off.  stats (may be NULL) is
 * filled in either case. */
typedef status_t (*arch_x86_page_fn)(void *ctx, const page_info_t *page, util_err_t *err);

typedef struct arch_x86_enum_stats {
    uint64_t pages;       /* fn calls */
    uint64_t tables;      /* tables read, the root included */
    uint64_t unreadable;  /* tables that could not be read */
    uint64_t rejected;    /* present entries the CPU would refuse */
} arch_x86_enum_stats_t;

status_t arch_x86_enum_pages(const arch_x86_walker_t *w, arch_x86_mode_t mode, addr_t dtb,
                             uint64_t max_pages, uint64_t max_tables, arch_x86_page_fn fn,
                             void *ctx, arch_x86_enum_stats_t *stats, util_err_t *err);
/* The same, for the pages that meet the (canonical) virtual range [lo, hi)
 * only: subtrees wholly outside it are not read, so one half of an address
 * space costs what that half holds. */
status_t arch_x86_enum_range(const arch_x86_walker_t *w, arch_x86_mode_t mode, addr_t dtb,
                             addr_t lo, addr_t hi, uint64_t max_pages, uint64_t max_tables,
                             arch_x86_page_fn fn, void *ctx, arch_x86_enum_stats_t *stats,
                             util_err_t *err);

/* The paging mode in which root (a CR3 value) is a valid kernel page-table
 * root, judged by the same checks as the scan but reading only that root
 * and what it points to: cheap where the scan reads all of memory.  Modes
 * are tried in the scan's order (5-level, 4-level, PAE, legacy). */
status_t arch_x86_root_mode(const arch_x86_walker_t *w, addr_t max_pa, addr_t root,
                            arch_x86_mode_t *mode, util_err_t *err);

#endif

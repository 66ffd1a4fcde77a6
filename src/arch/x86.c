/*
 * x86.c - the front of the x86 paging layer: choosing a walker by mode,
 * deriving the mode from control registers, naming and parsing modes, and
 * the text of every walk failure.
 *
 * The walks themselves live in x86_legacy.c, x86_pae.c and x86_ia32e.c.
 * Nothing here reads guest memory, and the failure reporters are the only
 * code that formats text, so a successful translation never does.
 */
#include "arch/x86.h"

#include <inttypes.h>
#include <string.h>

#include "arch/x86_entry.h"
#include "util/strutil.h"

status_t arch_x86_translate(const arch_x86_walker_t *w, arch_x86_mode_t mode,
                            addr_t dtb, addr_t vaddr, page_info_t *info,
                            util_err_t *err)
{
    if (!info) {
        util_err_set(err, "x86 translate: no page_info to fill");
        return VMI_FAILURE;
    }
    memset(info, 0, sizeof(*info));
    info->vaddr = vaddr;
    info->pt = dtb;
    info->pm = arch_x86_page_mode(mode);
    if (mode == ARCH_X86_NONE) {
        info->paddr = vaddr;
        info->size = VMI_PS_4KB;
        return VMI_SUCCESS;
    }
    if (!w || !w->read_entry) {
        util_err_set(err, "x86 translate: no way to read page-table entries");
        return VMI_FAILURE;
    }
    switch (mode) {
    case ARCH_X86_LEGACY:
        return x86_legacy_translate(w, dtb, vaddr, info, err);
    case ARCH_X86_PAE:
        return x86_pae_translate(w, dtb, vaddr, info, err);
    case ARCH_X86_IA32E_4:
        return x86_ia32e_translate(w, 4, dtb, vaddr, info, err);
    case ARCH_X86_IA32E_5:
        return x86_ia32e_translate(w, 5, dtb, vaddr, info, err);
    default:
        util_err_set(err, "x86 translate: unknown paging mode %d", (int)mode);
        return VMI_FAILURE;
    }
}

arch_x86_mode_t arch_x86_mode_from_regs(uint64_t cr0, uint64_t cr4, uint64_t efer)
{
    const uint64_t cr0_pg = 1ull << 31, cr4_pae = 1ull << 5, cr4_la57 = 1ull << 12;
    const uint64_t efer_lme = 1ull << 8, efer_lma = 1ull << 10;

    if (!(cr0 & cr0_pg))
        return ARCH_X86_NONE;
    if (!(cr4 & cr4_pae))
        return ARCH_X86_LEGACY;
    /* The CPU sets LMA exactly when paging is on with LME set, so with PG
     * known to be on, LME stands in for an LMA a driver did not report. */
    if (efer & (efer_lma | efer_lme))
        return (cr4 & cr4_la57) ? ARCH_X86_IA32E_5 : ARCH_X86_IA32E_4;
    return ARCH_X86_PAE;
}

unsigned arch_x86_levels(arch_x86_mode_t mode)
{
    switch (mode) {
    case ARCH_X86_LEGACY:  return 2;
    case ARCH_X86_PAE:     return 3;
    case ARCH_X86_IA32E_4: return 4;
    case ARCH_X86_IA32E_5: return 5;
    default:               return 0;
    }
}

page_mode_t arch_x86_page_mode(arch_x86_mode_t mode)
{
    switch (mode) {
    case ARCH_X86_NONE:    return VMI_PM_NONE;
    case ARCH_X86_LEGACY:  return VMI_PM_LEGACY;
    case ARCH_X86_PAE:     return VMI_PM_PAE;
    case ARCH_X86_IA32E_4:
    case ARCH_X86_IA32E_5: return VMI_PM_IA32E;
    default:               return VMI_PM_UNKNOWN;
    }
}

/* Paging off means protected or real mode, both 32 bits wide at most. */
unsigned arch_x86_address_width(arch_x86_mode_t mode)
{
    return (mode == ARCH_X86_IA32E_4 || mode == ARCH_X86_IA32E_5) ? 8 : 4;
}

static const struct {
    const char *name;
    arch_x86_mode_t mode;
} mode_names[] = {
    { "none", ARCH_X86_NONE },
    { "legacy", ARCH_X86_LEGACY },
    { "pae", ARCH_X86_PAE },
    { "ia32e", ARCH_X86_IA32E_4 },
    { "ia32e-la57", ARCH_X86_IA32E_5 },
    { "la57", ARCH_X86_IA32E_5 },   /* alias, parsed only */
    /* LibVMI's own spellings, so a LibVMI config works unchanged. */
    { "VMI_PM_NONE", ARCH_X86_NONE },
    { "VMI_PM_LEGACY", ARCH_X86_LEGACY },
    { "VMI_PM_PAE", ARCH_X86_PAE },
    { "VMI_PM_IA32E", ARCH_X86_IA32E_4 },
};

const char *arch_x86_mode_name(arch_x86_mode_t mode)
{
    for (size_t i = 0; i < sizeof(mode_names) / sizeof(mode_names[0]); i++)
        if (mode_names[i].mode == mode)
            return mode_names[i].name;
    return "unknown";
}

bool arch_x86_mode_parse(const char *s, arch_x86_mode_t *mode)
{
    if (!s)
        return false;
    for (size_t i = 0; i < sizeof(mode_names) / sizeof(mode_names[0]); i++) {
        if (util_streq_nocase(s, mode_names[i].name)) {
            if (mode)
                *mode = mode_names[i].mode;
            return true;
        }
    }
    return false;
}

addr_t arch_x86_dtb_base(arch_x86_mode_t mode, addr_t cr3)
{
    switch (mode) {
    case ARCH_X86_LEGACY:  return cr3 & 0xfffff000u;
    case ARCH_X86_PAE:     return cr3 & 0xffffffe0u;
    case ARCH_X86_IA32E_4:
    case ARCH_X86_IA32E_5: return cr3 & X86_ADDR;
    default:               return 0;
    }
}

bool arch_x86_is_canonical(arch_x86_mode_t mode, addr_t vaddr)
{
    switch (mode) {
    case ARCH_X86_LEGACY:
    case ARCH_X86_PAE:
        return vaddr <= 0xffffffffull;
    case ARCH_X86_IA32E_4:
        /* Bits 63:47 equal: shift bit 47 to the top and back, signed. */
        return (addr_t)((int64_t)(vaddr << 16) >> 16) == vaddr;
    case ARCH_X86_IA32E_5:
        return (addr_t)((int64_t)(vaddr << 7) >> 7) == vaddr;
    case ARCH_X86_NONE:
        return true;
    default:
        return false;
    }
}

/* ---- Failure text (cold: only reached when a walk fails) ---- */

static const char *const level_names[6] = { "?", "PTE", "PDE", "PDPTE", "PML4E", "PML5E" };

static const char *level_name(unsigned level)
{
    return level < 6 ? level_names[level] : "?";
}

void x86_walk_fail(util_err_t *err, unsigned level, addr_t vaddr, addr_t loc,
                   uint64_t entry, x86_verdict_t why, uint64_t bits, unsigned m)
{
    char reason[160];

    switch (why) {
    case X86_NOT_PRESENT:
        snprintf(reason, sizeof(reason), "not present");
        break;
    case X86_RESERVED:
        snprintf(reason, sizeof(reason), "reserved bits 0x%" PRIx64 " set", bits);
        break;
    case X86_BEYOND:
        snprintf(reason, sizeof(reason),
                 "physical address beyond MAXPHYADDR (%u bits): bits 0x%" PRIx64 " set",
                 m, bits);
        break;
    case X86_PS_RESERVED:
        snprintf(reason, sizeof(reason), "PS (bit 7) set, which is reserved in a %s",
                 level_name(level));
        break;
    case X86_MISALIGNED:
        snprintf(reason, sizeof(reason),
                 "%s page not aligned: reserved bits 0x%" PRIx64 " set",
                 level == 3 ? "1 GiB" : "2 MiB", bits);
        break;
    default:
        snprintf(reason, sizeof(reason), "unusable");
        break;
    }
    util_err_set(err, "%s for 0x%" PRIx64 " at 0x%" PRIx64 ": %s (entry 0x%" PRIx64 ")",
                 level_name(level), (uint64_t)vaddr, (uint64_t)loc, reason, entry);
}

void x86_walk_read_failed(util_err_t *err, unsigned level, addr_t vaddr, addr_t loc)
{
    util_err_prefix(err, "reading %s for 0x%" PRIx64 " at 0x%" PRIx64,
                    level_name(level), (uint64_t)vaddr, (uint64_t)loc);
}

void x86_walk_noncanonical(util_err_t *err, arch_x86_mode_t mode, addr_t vaddr)
{
    if (mode == ARCH_X86_IA32E_4 || mode == ARCH_X86_IA32E_5)
        util_err_set(err, "0x%" PRIx64 " is not canonical for %s paging "
                     "(bits 63:%u must all equal bit %u)", (uint64_t)vaddr,
                     mode == ARCH_X86_IA32E_5 ? "5-level" : "4-level",
                     mode == ARCH_X86_IA32E_5 ? 56 : 47,
                     mode == ARCH_X86_IA32E_5 ? 56 : 47);
    else
        util_err_set(err, "0x%" PRIx64 " is beyond the 32-bit address space of %s paging",
                     (uint64_t)vaddr, arch_x86_mode_name(mode));
}

void x86_walk_root_beyond(util_err_t *err, addr_t dtb, addr_t root, unsigned m)
{
    util_err_set(err, "page-table root 0x%" PRIx64 " (CR3 0x%" PRIx64
                 ") is beyond MAXPHYADDR (%u bits)", (uint64_t)root, (uint64_t)dtb, m);
}

/*
 * test_x86_paging.c - the x86 page walkers and the root scan against page
 * tables built by hand in a fake physical memory.
 *
 * Every expected address below was worked out from the Intel SDM's
 * formulas by hand (index = linear-address bits, entry at table + 8*index),
 * not by calling the code under test: "the tables say X; TinyVMI says X".
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "test.h"
#include "arch/x86.h"

#include "fakemem.h"

static bool contains(const char *haystack, const char *needle)
{
    if (!strstr(haystack, needle)) {
        fprintf(stderr, "  (message was: \"%s\", expected to contain \"%s\")\n",
                haystack, needle);
        return false;
    }
    return true;
}

/* Translate and expect failure whose reason contains want. */
static bool fails_with(const arch_x86_walker_t *w, arch_x86_mode_t mode, addr_t dtb,
                       addr_t va, const char *want)
{
    page_info_t info;
    util_err_t err;
    util_err_clear(&err);
    if (arch_x86_translate(w, mode, dtb, va, &info, &err) == VMI_SUCCESS) {
        fprintf(stderr, "  (0x%llx translated, expected failure \"%s\")\n",
                (unsigned long long)va, want);
        return false;
    }
    return contains(util_err_msg(&err), want);
}

/* ---- 32-bit paging ----
 * PD at 0x1000, PT at 0x2000.  0xc0123456: PDE index 0x300 (bits 31:22),
 * PTE index 0x123 (bits 21:12). */

static void build_legacy(void)
{
    fm_init(1 << 20);
    put32(0x1000 + 0x300 * 4, 0x2000 | 0x67);       /* PDE -> PT */
    put32(0x2000 + 0x123 * 4, 0x00abc000 | 0x163);  /* PTE -> frame */
    /* 0xc0800000: PDE 0x302, a 4 MiB page at 0x01c00000 */
    put32(0x1000 + 0x302 * 4, 0x01c00000 | 0xe3);
    /* 0xc0c00000: PDE 0x303, PSE-36: PA bits 39:32 = 0x92 in PDE bits 20:13 */
    put32(0x1000 + 0x303 * 4, 0x00400000 | (0x92u << 13) | 0xe3);
}

static void test_legacy_4k(void)
{
    arch_x86_walker_t w = walker(0, false, true);
    page_info_t info;
    util_err_t err;

    build_legacy();
    CHECK(arch_x86_translate(&w, ARCH_X86_LEGACY, 0x1000, 0xc0123456, &info, &err) == VMI_SUCCESS);
    CHECK_EQ_U64(info.paddr, 0x00abc456);
    CHECK_EQ_U64(info.size, VMI_PS_4KB);
    CHECK_EQ_U64(info.vaddr, 0xc0123456);
    CHECK_EQ_U64(info.pt, 0x1000);
    CHECK_EQ_U64(info.pm, VMI_PM_LEGACY);
    CHECK_EQ_U64(info.x86_legacy.pgd_location, 0x1c00);
    CHECK_EQ_U64(info.x86_legacy.pgd_value, 0x2067);
    CHECK_EQ_U64(info.x86_legacy.pte_location, 0x248c);
    CHECK_EQ_U64(info.x86_legacy.pte_value, 0x00abc163);

    /* CR3's flag bits (PWT, PCD) are not address bits. */
    CHECK(arch_x86_translate(&w, ARCH_X86_LEGACY, 0x1018, 0xc0123456, &info, &err) == VMI_SUCCESS);
    CHECK_EQ_U64(info.paddr, 0x00abc456);
    CHECK_EQ_U64(info.pt, 0x1018);
}

static void test_legacy_4m(void)
{
    arch_x86_walker_t w = walker(0, false, true);
    page_info_t info;
    util_err_t err;

    build_legacy();
    CHECK(arch_x86_translate(&w, ARCH_X86_LEGACY, 0x1000, 0xc0812345, &info, &err) == VMI_SUCCESS);
    CHECK_EQ_U64(info.paddr, 0x01c12345);
    CHECK_EQ_U64(info.size, VMI_PS_4MB);
    CHECK_EQ_U64(info.x86_legacy.pgd_location, 0x1c08);
    CHECK_EQ_U64(info.x86_legacy.pgd_value, 0x01c000e3);
    CHECK_EQ_U64(info.x86_legacy.pte_location, 0);

    /* PSE-36 with MAXPHYADDR 40: bits 39:32 come from PDE bits 20:13. */
    w.maxphyaddr = 40;
    CHECK(arch_x86_translate(&w, ARCH_X86_LEGACY, 0x1000, 0xc0c00010, &info, &err) == VMI_SUCCESS);
    CHECK_EQ_U64(info.paddr, 0x9200400010ull);
    CHECK_EQ_U64(info.x86_legacy.pgd_value, 0x005240e3);
    /* ...and 52 is capped at 40 for this format. */
    w.maxphyaddr = 52;
    CHECK(arch_x86_translate(&w, ARCH_X86_LEGACY, 0x1000, 0xc0c00010, &info, &err) == VMI_SUCCESS);
    CHECK_EQ_U64(info.paddr, 0x9200400010ull);
    /* With MAXPHYADDR 36, PDE bits 20:17 are reserved: 0x92 << 13 sets
     * bits 17 and 20 (PA bits 36 and 39). */
    w.maxphyaddr = 36;
    CHECK(fails_with(&w, ARCH_X86_LEGACY, 0x1000, 0xc0c00010,
                     "PDE for 0xc0c00010 at 0x1c0c: physical address beyond MAXPHYADDR (36 bits): bits 0x120000 set"));

    /* Without CR4.PSE the PS bit is ignored: the PDE points to a table at
     * 0x01c00000, beyond this 1 MiB memory, so the PTE read fails. */
    w = walker(0, false, false);
    CHECK(fails_with(&w, ARCH_X86_LEGACY, 0x1000, 0xc0812345,
                     "reading PTE for 0xc0812345 at 0x1c00048: 0x1c00048 is outside the test memory"));
}

static void test_legacy_faults(void)
{
    arch_x86_walker_t w = walker(0, false, true);

    build_legacy();
    /* Bit 21 of a 4 MiB PDE is reserved. */
    put32(0x1000 + 0x304 * 4, 0x01c00000 | (1u << 21) | 0xe3);
    CHECK(fails_with(&w, ARCH_X86_LEGACY, 0x1000, 0xc1000000,
                     "PDE for 0xc1000000 at 0x1c10: reserved bits 0x200000 set"));
    CHECK(fails_with(&w, ARCH_X86_LEGACY, 0x1000, 0x00400000,
                     "PDE for 0x400000 at 0x1004: not present (entry 0x0)"));
    CHECK(fails_with(&w, ARCH_X86_LEGACY, 0x1000, 0xc0124000,
                     "PTE for 0xc0124000 at 0x2490: not present"));
    CHECK(fails_with(&w, ARCH_X86_LEGACY, 0x1000, 0x100000000ull, "32-bit address space"));
    CHECK(fails_with(&w, ARCH_X86_LEGACY, 0x200000, 0xc0000000,
                     "reading PDE for 0xc0000000 at 0x200c00: 0x200c00 is outside the test memory"));
}

/* ---- PAE paging ----
 * A real Linux PAE guest had CR3 = 0x01212cc0: the PDPT is 32-byte
 * aligned inside a page.  0xc0123456: PDPTE 3 (bits 31:30), PDE 0 (bits
 * 29:21), PTE 0x123 (bits 20:12).  0xc0423456: PDPTE 3, PDE 2. */

#define PAE_CR3 0x01212cc0ull

static void build_pae(void)
{
    fm_init(32 << 20);
    put64(PAE_CR3 + 0 * 8, 0x5000 | 1);
    put64(PAE_CR3 + 3 * 8, 0x3000 | 1);               /* PDPTE 3 -> PD */
    put64(0x3000 + 0 * 8, 0x4000 | 0x63);             /* PDE 0 -> PT */
    put64(0x4000 + 0x123 * 8, 0x80000000abcde000ull | 0x63);  /* NX, frame above 4 GiB */
    put64(0x3000 + 2 * 8, 0x123400000ull | 0xe3);     /* PDE 2: 2 MiB page */
}

static void test_pae(void)
{
    arch_x86_walker_t w = walker(0, true, true);
    page_info_t info;
    util_err_t err;

    build_pae();
    CHECK(arch_x86_translate(&w, ARCH_X86_PAE, PAE_CR3, 0xc0123456, &info, &err) == VMI_SUCCESS);
    CHECK_EQ_U64(info.paddr, 0xabcde456ull);
    CHECK_EQ_U64(info.size, VMI_PS_4KB);
    CHECK_EQ_U64(info.pm, VMI_PM_PAE);
    CHECK_EQ_U64(info.pt, PAE_CR3);
    CHECK_EQ_U64(info.x86_pae.pdpe_location, 0x01212cd8);
    CHECK_EQ_U64(info.x86_pae.pdpe_value, 0x3001);
    CHECK_EQ_U64(info.x86_pae.pgd_location, 0x3000);
    CHECK_EQ_U64(info.x86_pae.pgd_value, 0x4063);
    CHECK_EQ_U64(info.x86_pae.pte_location, 0x4918);
    CHECK_EQ_U64(info.x86_pae.pte_value, 0x80000000abcde063ull);

    CHECK(arch_x86_translate(&w, ARCH_X86_PAE, PAE_CR3, 0xc0423456, &info, &err) == VMI_SUCCESS);
    CHECK_EQ_U64(info.paddr, 0x123423456ull);
    CHECK_EQ_U64(info.size, VMI_PS_2MB);
    CHECK_EQ_U64(info.x86_pae.pgd_location, 0x3010);
    CHECK_EQ_U64(info.x86_pae.pte_location, 0);

    CHECK_EQ_U64(arch_x86_dtb_base(ARCH_X86_PAE, PAE_CR3 | 0x18), PAE_CR3);

    /* The real PAE guest under QEMU's TCG had PDPTEs like 0x1d0d021: the
     * emulator sets Accessed (bit 5) in PDPTEs, which the SDM reserves.
     * Such tables work in the guest, so they must translate here. */
    put64(PAE_CR3 + 3 * 8, 0x3000 | 0x21);
    CHECK(arch_x86_translate(&w, ARCH_X86_PAE, PAE_CR3, 0xc0123456, &info, &err) == VMI_SUCCESS);
    CHECK_EQ_U64(info.paddr, 0xabcde456ull);
    CHECK_EQ_U64(info.x86_pae.pdpe_value, 0x3021);
}

static void test_pae_faults(void)
{
    arch_x86_walker_t w = walker(0, true, true);

    build_pae();
    /* NX is bit 63 of the PTE: reserved unless EFER.NXE. */
    w.nxe = false;
    CHECK(fails_with(&w, ARCH_X86_PAE, PAE_CR3, 0xc0123456,
                     "PTE for 0xc0123456 at 0x4918: reserved bits 0x8000000000000000 set"));
    w.nxe = true;
    /* PDPTE bits 2:1 and 8:5 are reserved: a PDPTE with RW set. */
    put64(PAE_CR3 + 1 * 8, 0x6000 | 0x3);
    CHECK(fails_with(&w, ARCH_X86_PAE, PAE_CR3, 0x40000000,
                     "PDPTE for 0x40000000 at 0x1212cc8: reserved bits 0x2 set"));
    /* ...bit 6 too (only bit 5 is let through, see test_pae). */
    put64(PAE_CR3 + 1 * 8, 0x6000 | 0x41);
    CHECK(fails_with(&w, ARCH_X86_PAE, PAE_CR3, 0x40000000,
                     "PDPTE for 0x40000000 at 0x1212cc8: reserved bits 0x40 set"));
    /* PDPTE bit 63 is reserved even with NXE (a PDPTE has no NX bit). */
    put64(PAE_CR3 + 1 * 8, 0x8000000000006001ull);
    CHECK(fails_with(&w, ARCH_X86_PAE, PAE_CR3, 0x40000000,
                     "reserved bits 0x8000000000000000 set"));
    CHECK(fails_with(&w, ARCH_X86_PAE, PAE_CR3, 0x80000000,
                     "PDPTE for 0x80000000 at 0x1212cd0: not present"));
    CHECK(fails_with(&w, ARCH_X86_PAE, PAE_CR3, 0xc0200000,
                     "PDE for 0xc0200000 at 0x3008: not present"));
    CHECK(fails_with(&w, ARCH_X86_PAE, PAE_CR3, 0xc0001000,
                     "PTE for 0xc0001000 at 0x4008: not present"));
    /* PAE reserves bits 62:52 too. */
    put64(0x3000 + 3 * 8, 0x4000000000000000ull | 0x7000 | 0x63);
    CHECK(fails_with(&w, ARCH_X86_PAE, PAE_CR3, 0xc0600000,
                     "PDE for 0xc0600000 at 0x3018: reserved bits 0x4000000000000000 set"));
    /* A 2 MiB page with address bits 20:13 set. */
    put64(0x3000 + 4 * 8, 0x123402000ull | 0xe3);
    CHECK(fails_with(&w, ARCH_X86_PAE, PAE_CR3, 0xc0800000,
                     "PDE for 0xc0800000 at 0x3020: 2 MiB page not aligned: reserved bits 0x2000 set"));
    /* MAXPHYADDR 36: the PTE's frame 0xabcde000 is fine, one at bit 36 is not. */
    w.maxphyaddr = 36;
    put64(0x4000 + 0x124 * 8, 0x1000000000ull | 0x63);
    CHECK(fails_with(&w, ARCH_X86_PAE, PAE_CR3, 0xc0124000,
                     "PTE for 0xc0124000 at 0x4920: physical address beyond MAXPHYADDR (36 bits): bits 0x1000000000 set"));
    CHECK(fails_with(&w, ARCH_X86_PAE, PAE_CR3, 0x100000000ull, "32-bit address space"));
}

/* ---- IA-32e paging, 4 levels ----
 * PML4 at 0x10000.
 * 0xffffffff81234567: PML4E 0x1ff, PDPTE 0x1fe, PDE 0x9, PTE 0x34.
 * 0xffff888040123456: PML4E 0x111, PDPTE 0x1 (a 1 GiB page).
 * 0xffffffff81434567: PDE 0xa (a 2 MiB page).
 * 0xfffff6fb7dbed008: 0x1ed at every level (the self-map). */

#define PML4 0x10000ull

static void build_ia32e(void)
{
    fm_init(32 << 20);
    put64(PML4 + 0x1ff * 8, 0x11000 | 0x63);
    put64(0x11000 + 0x1fe * 8, 0x12000 | 0x63);
    put64(0x12000 + 0x9 * 8, 0x13000 | 0x63);
    put64(0x13000 + 0x34 * 8, 0x80000000abcde163ull);
    put64(0x12000 + 0xa * 8, 0x400200000ull | 0xe3);       /* 2 MiB */
    put64(PML4 + 0x111 * 8, 0x14000 | 0x63);
    put64(0x14000 + 0x1 * 8, 0xc40000000ull | 0xe3);       /* 1 GiB */
    put64(PML4 + 0x1ed * 8, PML4 | 0x63);                  /* self-map */
}

static void test_ia32e_pages(void)
{
    arch_x86_walker_t w = walker(0, true, true);
    page_info_t info;
    util_err_t err;
    /* PCID 0x123 in CR3 bits 11:0. */
    addr_t cr3 = PML4 | 0x123;

    build_ia32e();
    CHECK(arch_x86_translate(&w, ARCH_X86_IA32E_4, cr3, 0xffffffff81234567ull, &info, &err) == VMI_SUCCESS);
    CHECK_EQ_U64(info.paddr, 0xabcde567ull);
    CHECK_EQ_U64(info.size, VMI_PS_4KB);
    CHECK_EQ_U64(info.pm, VMI_PM_IA32E);
    CHECK_EQ_U64(info.pt, cr3);
    CHECK_EQ_U64(info.vaddr, 0xffffffff81234567ull);
    CHECK_EQ_U64(info.x86_ia32e.pml4e_location, 0x10ff8);
    CHECK_EQ_U64(info.x86_ia32e.pml4e_value, 0x11063);
    CHECK_EQ_U64(info.x86_ia32e.pdpte_location, 0x11ff0);
    CHECK_EQ_U64(info.x86_ia32e.pdpte_value, 0x12063);
    CHECK_EQ_U64(info.x86_ia32e.pgd_location, 0x12048);
    CHECK_EQ_U64(info.x86_ia32e.pgd_value, 0x13063);
    CHECK_EQ_U64(info.x86_ia32e.pte_location, 0x131a0);
    CHECK_EQ_U64(info.x86_ia32e.pte_value, 0x80000000abcde163ull);
    CHECK_EQ_U64(info.x86_ia32e.pml5e_location, 0);

    CHECK(arch_x86_translate(&w, ARCH_X86_IA32E_4, cr3, 0xffffffff81434567ull, &info, &err) == VMI_SUCCESS);
    CHECK_EQ_U64(info.paddr, 0x400234567ull);
    CHECK_EQ_U64(info.size, VMI_PS_2MB);
    CHECK_EQ_U64(info.x86_ia32e.pgd_location, 0x12050);
    CHECK_EQ_U64(info.x86_ia32e.pgd_value, 0x4002000e3ull);
    CHECK_EQ_U64(info.x86_ia32e.pte_location, 0);
    CHECK_EQ_U64(info.x86_ia32e.pte_value, 0);

    CHECK(arch_x86_translate(&w, ARCH_X86_IA32E_4, cr3, 0xffff888040123456ull, &info, &err) == VMI_SUCCESS);
    CHECK_EQ_U64(info.paddr, 0xc40123456ull);
    CHECK_EQ_U64(info.size, VMI_PS_1GB);
    CHECK_EQ_U64(info.x86_ia32e.pml4e_location, 0x10888);
    CHECK_EQ_U64(info.x86_ia32e.pdpte_location, 0x14008);
    CHECK_EQ_U64(info.x86_ia32e.pdpte_value, 0xc400000e3ull);
    CHECK_EQ_U64(info.x86_ia32e.pgd_location, 0);

    /* CR3 flag bits above the address (bit 63 no-flush, LAM) are dropped. */
    CHECK(arch_x86_translate(&w, ARCH_X86_IA32E_4, cr3 | (1ull << 63) | (1ull << 62),
                             0xffffffff81234567ull, &info, &err) == VMI_SUCCESS);
    CHECK_EQ_U64(info.paddr, 0xabcde567ull);
    CHECK_EQ_U64(arch_x86_dtb_base(ARCH_X86_IA32E_4, 0x8000000000010123ull), 0x10000);
}

/* Windows' self-map: PML4E 0x1ed points to the PML4 itself, so the walk
 * ends on the PML4 page after four (fixed) steps. */
static void test_ia32e_selfmap(void)
{
    arch_x86_walker_t w = walker(0, true, true);
    page_info_t info;
    util_err_t err;

    build_ia32e();
    CHECK(arch_x86_translate(&w, ARCH_X86_IA32E_4, PML4, 0xfffff6fb7dbed008ull, &info, &err) == VMI_SUCCESS);
    CHECK_EQ_U64(info.paddr, PML4 + 8);
    CHECK_EQ_U64(info.size, VMI_PS_4KB);
    CHECK_EQ_U64(info.x86_ia32e.pml4e_location, 0x10f68);
    CHECK_EQ_U64(info.x86_ia32e.pdpte_location, 0x10f68);
    CHECK_EQ_U64(info.x86_ia32e.pgd_location, 0x10f68);
    CHECK_EQ_U64(info.x86_ia32e.pte_location, 0x10f68);
    CHECK_EQ_U64(info.x86_ia32e.pte_value, 0x10063);
}

static void test_ia32e_not_present_each_level(void)
{
    arch_x86_walker_t w = walker(0, true, true);
    build_ia32e();
    CHECK(fails_with(&w, ARCH_X86_IA32E_4, PML4, 0x00007f1234567abcull,
                     "PML4E for 0x7f1234567abc at 0x107f0: not present (entry 0x0)"));
    /* PDPTE 0x1ff under PML4E 0x1ff (0xffffffffc0000000). */
    CHECK(fails_with(&w, ARCH_X86_IA32E_4, PML4, 0xffffffffc0000000ull,
                     "PDPTE for 0xffffffffc0000000 at 0x11ff8: not present"));
    /* PDE 0xb under PDPTE 0x1fe. */
    CHECK(fails_with(&w, ARCH_X86_IA32E_4, PML4, 0xffffffff81600000ull,
                     "PDE for 0xffffffff81600000 at 0x12058: not present"));
    /* PTE 0x35 in the PT. */
    CHECK(fails_with(&w, ARCH_X86_IA32E_4, PML4, 0xffffffff81235000ull,
                     "PTE for 0xffffffff81235000 at 0x131a8: not present"));
    /* A not-present entry with other bits set is still not present. */
    put64(0x13000 + 0x35 * 8, 0xabcde162ull);
    CHECK(fails_with(&w, ARCH_X86_IA32E_4, PML4, 0xffffffff81235000ull,
                     "not present (entry 0xabcde162)"));
}

static void test_ia32e_reserved_each_level(void)
{
    arch_x86_walker_t w = walker(0, false, true);   /* NXE clear: bit 63 reserved */
    page_info_t info;
    util_err_t err;

    build_ia32e();
    /* The PTE has NX set. */
    CHECK(fails_with(&w, ARCH_X86_IA32E_4, PML4, 0xffffffff81234567ull,
                     "PTE for 0xffffffff81234567 at 0x131a0: reserved bits 0x8000000000000000 set"));
    put64(0x13000 + 0x34 * 8, 0xabcde163ull);
    CHECK(arch_x86_translate(&w, ARCH_X86_IA32E_4, PML4, 0xffffffff81234567ull, &info, &err) == VMI_SUCCESS);
    put64(0x12000 + 0x9 * 8, 0x8000000000013063ull);
    CHECK(fails_with(&w, ARCH_X86_IA32E_4, PML4, 0xffffffff81234567ull,
                     "PDE for 0xffffffff81234567 at 0x12048: reserved bits 0x8000000000000000"));
    put64(0x11000 + 0x1fe * 8, 0x8000000000012063ull);
    CHECK(fails_with(&w, ARCH_X86_IA32E_4, PML4, 0xffffffff81234567ull,
                     "PDPTE for 0xffffffff81234567 at 0x11ff0: reserved bits 0x8000000000000000"));
    put64(PML4 + 0x1ff * 8, 0x8000000000011063ull);
    CHECK(fails_with(&w, ARCH_X86_IA32E_4, PML4, 0xffffffff81234567ull,
                     "PML4E for 0xffffffff81234567 at 0x10ff8: reserved bits 0x8000000000000000"));
    /* With EFER.NXE the same tables translate. */
    w.nxe = true;
    CHECK(arch_x86_translate(&w, ARCH_X86_IA32E_4, PML4, 0xffffffff81234567ull, &info, &err) == VMI_SUCCESS);
    CHECK_EQ_U64(info.paddr, 0xabcde567ull);
    /* Bits 62:52 are ignored in IA-32e entries (unlike PAE). */
    put64(0x13000 + 0x34 * 8, 0x7ff00000abcde163ull);
    CHECK(arch_x86_translate(&w, ARCH_X86_IA32E_4, PML4, 0xffffffff81234567ull, &info, &err) == VMI_SUCCESS);
    CHECK_EQ_U64(info.paddr, 0xabcde567ull);

    /* PS is reserved in a PML4E. */
    put64(PML4 + 0x100 * 8, 0x15000 | 0xe3);
    CHECK(fails_with(&w, ARCH_X86_IA32E_4, PML4, 0xffff800000000000ull,
                     "PML4E for 0xffff800000000000 at 0x10800: PS (bit 7) set, which is reserved in a PML4E"));
    /* A 1 GiB page with bits 29:13 set; a 2 MiB page with bits 20:13 set. */
    put64(0x14000 + 0x2 * 8, 0xc40002000ull | 0xe3);
    CHECK(fails_with(&w, ARCH_X86_IA32E_4, PML4, 0xffff888080000000ull,
                     "PDPTE for 0xffff888080000000 at 0x14010: 1 GiB page not aligned: reserved bits 0x2000 set"));
    put64(0x12000 + 0xc * 8, 0x400300000ull | 0xe3);
    CHECK(fails_with(&w, ARCH_X86_IA32E_4, PML4, 0xffffffff81800000ull,
                     "PDE for 0xffffffff81800000 at 0x12060: 2 MiB page not aligned: reserved bits 0x100000 set"));
    /* The PAT bit (12) of a large page is not an address bit. */
    put64(0x12000 + 0xd * 8, 0x400200000ull | 0x1000 | 0xe3);
    CHECK(arch_x86_translate(&w, ARCH_X86_IA32E_4, PML4, 0xffffffff81a00010ull, &info, &err) == VMI_SUCCESS);
    CHECK_EQ_U64(info.paddr, 0x400200010ull);
}

static void test_ia32e_maxphyaddr(void)
{
    arch_x86_walker_t w = walker(39, true, true);
    page_info_t info;
    util_err_t err;

    build_ia32e();
    /* 0xc40000000 is below 2^39: fine. */
    CHECK(arch_x86_translate(&w, ARCH_X86_IA32E_4, PML4, 0xffff888040123456ull, &info, &err) == VMI_SUCCESS);
    /* A PDPTE pointing at 2^39 has a reserved bit set. */
    put64(PML4 + 0x112 * 8, 0x8000000000ull | 0x63);
    CHECK(fails_with(&w, ARCH_X86_IA32E_4, PML4, 0xffff890000000000ull,
                     "PML4E for 0xffff890000000000 at 0x10890: physical address beyond MAXPHYADDR (39 bits): bits 0x8000000000 set"));
    /* So does a CR3 beyond it. */
    CHECK(fails_with(&w, ARCH_X86_IA32E_4, 0x10000000000ull, 0xffff888040123456ull,
                     "beyond MAXPHYADDR (39 bits)"));
    /* With the architectural maximum the same PML4E is a table pointer, to
     * memory the test does not have. */
    w.maxphyaddr = 0;
    CHECK(fails_with(&w, ARCH_X86_IA32E_4, PML4, 0xffff890000000000ull,
                     "reading PDPTE for 0xffff890000000000 at 0x8000000000: 0x8000000000 is outside the test memory"));
}

static void test_ia32e_noncanonical(void)
{
    arch_x86_walker_t w = walker(0, true, true);
    build_ia32e();
    fm.reads = 0;
    CHECK(fails_with(&w, ARCH_X86_IA32E_4, PML4, 0x0000800000000000ull,
                     "0x800000000000 is not canonical for 4-level paging"));
    CHECK(fails_with(&w, ARCH_X86_IA32E_4, PML4, 0xff11000012345678ull, "not canonical"));
    CHECK(fails_with(&w, ARCH_X86_IA32E_5, PML4, 0x0100000000000000ull,
                     "not canonical for 5-level paging"));
    CHECK_EQ_U64(fm.reads, 0);   /* refused before any read */

    CHECK(arch_x86_is_canonical(ARCH_X86_IA32E_4, 0xffff800000000000ull));
    CHECK(arch_x86_is_canonical(ARCH_X86_IA32E_4, 0x00007fffffffffffull));
    CHECK(!arch_x86_is_canonical(ARCH_X86_IA32E_4, 0xffff7fffffffffffull));
    CHECK(arch_x86_is_canonical(ARCH_X86_IA32E_5, 0xff11000012345678ull));
    CHECK(arch_x86_is_canonical(ARCH_X86_IA32E_5, 0x00ffffffffffffffull));
    CHECK(!arch_x86_is_canonical(ARCH_X86_IA32E_5, 0xfe00000000000000ull));
    CHECK(arch_x86_is_canonical(ARCH_X86_PAE, 0xffffffffull));
    CHECK(!arch_x86_is_canonical(ARCH_X86_LEGACY, 0x100000000ull));
}

static void test_ia32e_read_failure(void)
{
    arch_x86_walker_t w = walker(0, true, true);
    page_info_t info;
    util_err_t err;

    build_ia32e();
    /* A PDPT outside the memory: the read callback's reason, with the level. */
    put64(PML4 + 0x1fe * 8, 0x40000000ull | 0x63);
    util_err_clear(&err);
    CHECK(arch_x86_translate(&w, ARCH_X86_IA32E_4, PML4, 0xffffff0000000000ull, &info, &err) == VMI_FAILURE);
    CHECK_STREQ(util_err_msg(&err),
                "reading PDPTE for 0xffffff0000000000 at 0x40000000: "
                "0x40000000 is outside the test memory");
    /* The entries visited so far stay in info. */
    CHECK_EQ_U64(info.x86_ia32e.pml4e_location, 0x10ff0);
    CHECK_EQ_U64(info.x86_ia32e.pml4e_value, 0x40000063);
}

/* ---- IA-32e paging, 5 levels ----
 * 0xff11000012345678 (Linux's LA57 direct map): PML5E 0x111, PML4E 0,
 * PDPTE 0, PDE 0x91, PTE 0x145. */

static void test_la57(void)
{
    arch_x86_walker_t w = walker(0, true, true);
    page_info_t info;
    util_err_t err;

    fm_init(1 << 20);
    put64(0x20000 + 0x111 * 8, 0x21000 | 0x63);
    put64(0x21000 + 0 * 8, 0x22000 | 0x63);
    put64(0x22000 + 0 * 8, 0x23000 | 0x63);
    put64(0x23000 + 0x91 * 8, 0x24000 | 0x63);
    put64(0x24000 + 0x145 * 8, 0x12345000 | 0x63);
    CHECK(arch_x86_translate(&w, ARCH_X86_IA32E_5, 0x20000, 0xff11000012345678ull, &info, &err) == VMI_SUCCESS);
    CHECK_EQ_U64(info.paddr, 0x12345678);
    CHECK_EQ_U64(info.size, VMI_PS_4KB);
    CHECK_EQ_U64(info.pm, VMI_PM_IA32E);
    CHECK_EQ_U64(info.x86_ia32e.pml5e_location, 0x20888);
    CHECK_EQ_U64(info.x86_ia32e.pml5e_value, 0x21063);
    CHECK_EQ_U64(info.x86_ia32e.pml4e_location, 0x21000);
    CHECK_EQ_U64(info.x86_ia32e.pdpte_location, 0x22000);
    CHECK_EQ_U64(info.x86_ia32e.pgd_location, 0x23488);
    CHECK_EQ_U64(info.x86_ia32e.pte_location, 0x24a28);
    CHECK_EQ_U64(info.x86_ia32e.pte_value, 0x12345063);

    /* PS is reserved in a PML5E too. */
    put64(0x20000 + 0x1ff * 8, 0x25000 | 0xe3);
    CHECK(fails_with(&w, ARCH_X86_IA32E_5, 0x20000, 0xffff800000000000ull,
                     "PML5E for 0xffff800000000000 at 0x20ff8: PS (bit 7) set, which is reserved in a PML5E"));
    CHECK(fails_with(&w, ARCH_X86_IA32E_5, 0x20000, 0x0001000000000000ull,
                     "PML5E for 0x1000000000000 at 0x20008: not present"));
}

static void test_paging_off(void)
{
    page_info_t info;
    util_err_t err;
    CHECK(arch_x86_translate(NULL, ARCH_X86_NONE, 0, 0x12345678, &info, &err) == VMI_SUCCESS);
    CHECK_EQ_U64(info.paddr, 0x12345678);
    CHECK_EQ_U64(info.pm, VMI_PM_NONE);
}

/* ---- Modes from real register values ---- */

static void test_mode_from_regs(void)
{
    /* An i386 guest without PAE: CR0=0x80050033 CR4=0x690 EFER=0. */
    CHECK(arch_x86_mode_from_regs(0x80050033, 0x690, 0) == ARCH_X86_LEGACY);
    /* The same with CR4.PAE (bit 5). */
    CHECK(arch_x86_mode_from_regs(0x80050033, 0x6b0, 0) == ARCH_X86_PAE);
    /* PAE with NX on (EFER.NXE, bit 11) is still PAE. */
    CHECK(arch_x86_mode_from_regs(0x80050033, 0x6f0, 0x800) == ARCH_X86_PAE);
    /* An x86-64 Linux guest: EFER = SCE|LME|LMA|NXE = 0xd01. */
    CHECK(arch_x86_mode_from_regs(0x80050033, 0x3506f0, 0xd01) == ARCH_X86_IA32E_4);
    /* LME without LMA (a driver that does not report LMA), paging on. */
    CHECK(arch_x86_mode_from_regs(0x80050033, 0x6f0, 0x100) == ARCH_X86_IA32E_4);
    /* CR4.LA57 (bit 12). */
    CHECK(arch_x86_mode_from_regs(0x80050033, 0x3516f0, 0xd01) == ARCH_X86_IA32E_5);
    /* Paging off (real mode after reset: CR0=0x60000010). */
    CHECK(arch_x86_mode_from_regs(0x60000010, 0, 0) == ARCH_X86_NONE);
    CHECK(arch_x86_mode_from_regs(0x00000011, 0x20, 0x500) == ARCH_X86_NONE);
}

static void test_names(void)
{
    arch_x86_mode_t m;
    CHECK_STREQ(arch_x86_mode_name(ARCH_X86_LEGACY), "legacy");
    CHECK_STREQ(arch_x86_mode_name(ARCH_X86_IA32E_5), "ia32e-la57");
    CHECK(arch_x86_mode_parse("PAE", &m) && m == ARCH_X86_PAE);
    CHECK(arch_x86_mode_parse("la57", &m) && m == ARCH_X86_IA32E_5);
    CHECK(arch_x86_mode_parse("ia32e", &m) && m == ARCH_X86_IA32E_4);
    CHECK(arch_x86_mode_parse("None", &m) && m == ARCH_X86_NONE);
    CHECK(!arch_x86_mode_parse("ia64", &m));
    CHECK(!arch_x86_mode_parse(NULL, &m));
    CHECK_EQ_U64(arch_x86_levels(ARCH_X86_PAE), 3);
    CHECK_EQ_U64(arch_x86_levels(ARCH_X86_IA32E_5), 5);
    CHECK_EQ_U64(arch_x86_address_width(ARCH_X86_IA32E_4), 8);
    CHECK_EQ_U64(arch_x86_address_width(ARCH_X86_LEGACY), 4);
    CHECK_EQ_U64(arch_x86_page_mode(ARCH_X86_IA32E_5), VMI_PM_IA32E);
    CHECK_EQ_U64(arch_x86_dtb_base(ARCH_X86_LEGACY, 0x12345fff), 0x12345000);
}

/* ---- The scan ----
 * A 16 MiB image of garbage pages (random bytes, aligned kernel pointers,
 * small integers, zeros) with one set of page tables planted in it. */

#define IMG (16u << 20)

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void build_garbage(void)
{
    fm_init(IMG);
    for (addr_t pa = 0; pa < IMG; pa += 4096) {
        unsigned kind = (unsigned)(next_rand() % 4);
        for (unsigned i = 0; i < 512; i++) {
            uint64_t r = next_rand();
            switch (kind) {
            case 0: put64(pa + 8 * i, r); break;                                   /* random */
            case 1: put64(pa + 8 * i, 0xffff888000000000ull | (r & 0xffffff8ull)); break; /* pointers */
            case 2: put64(pa + 8 * i, r & 0xff); break;                            /* small ints */
            default: break;                                                        /* zeros */
            }
        }
    }
}

static void clear_page(addr_t pa)
{
    memset(fm.mem + pa, 0, 4096);
}

/* A 4-level kernel root at pml4: kernel text through PDPT/PD/PT, a direct
 * map of 1 GiB pages, nothing in the user half. */
static void plant_ia32e(addr_t pml4, addr_t pdpt_text, addr_t pd, addr_t pt, addr_t pdpt_map)
{
    clear_page(pml4);
    clear_page(pdpt_text);
    clear_page(pd);
    clear_page(pt);
    clear_page(pdpt_map);
    put64(pml4 + 0x1ff * 8, pdpt_text | 0x63);
    put64(pdpt_text + 0x1fe * 8, pd | 0x63);
    put64(pd + 0x8 * 8, 0x1000000 | 0xe3);            /* 2 MiB of kernel text */
    put64(pd + 0x9 * 8, pt | 0x63);
    for (unsigned i = 0; i < 16; i++)
        put64(pt + 8 * i, (0x200000 + 0x1000 * i) | 0x8000000000000163ull);
    put64(pml4 + 0x111 * 8, pdpt_map | 0x63);
    put64(pdpt_map + 0, 0x0 | 0xe3);                  /* 1 GiB at 0 */
}

static status_t scan(arch_x86_mode_t *mode, addr_t *dtb, util_err_t *err, bool with_read_page)
{
    arch_x86_walker_t w = walker(0, true, true);
    if (with_read_page)
        w.read_page = fm_read_page;
    return arch_x86_scan_dtb(&w, IMG, mode, dtb, err);
}

static void test_scan_ia32e(void)
{
    arch_x86_mode_t mode = ARCH_X86_NONE;
    addr_t dtb = 0;
    util_err_t err;

    build_garbage();
    plant_ia32e(0x9a6000, 0x3b1000, 0x47c000, 0x2e5000, 0x800000);
    /* A decoy below it: a page table full of pointers to zero pages, which
     * passes as a root's top level but maps nothing below. */
    clear_page(0x100000);
    for (unsigned i = 0; i < 512; i++) {
        clear_page(0x101000 + 0x1000 * (i % 8));
        put64(0x100000 + 8 * i, (0x101000 + 0x1000 * (i % 8)) | 0x63);
    }
    /* A decoy with far more kernel entries, every other one a non-present
     * pointer-like word: kernels keep their top level clean (rule 2). */
    clear_page(0x200000);
    for (unsigned i = 256; i < 512; i++)
        put64(0x200000 + 8 * i, (i & 1) ? 0xffff888000001230ull : (0x800000 | 0x63));
    /* A decoy whose kernel entries all point at page 0, made to look like
     * a PDPT of 1 GiB pages: page 0 is the firmware's (rule 1). */
    clear_page(0x0);
    clear_page(0x201000);
    for (unsigned i = 0; i < 8; i++)
        put64(0x0 + 8 * i, (0x40000000ull * i) | 0xe3);
    for (unsigned i = 256; i < 512; i++)
        put64(0x201000 + 8 * i, 0x0 | 0x63);
    CHECK(scan(&mode, &dtb, &err, true) == VMI_SUCCESS);
    CHECK(mode == ARCH_X86_IA32E_4);
    CHECK_EQ_U64(dtb, 0x9a6000);

    /* The same through read_entry alone. */
    mode = ARCH_X86_NONE;
    dtb = 0;
    CHECK(scan(&mode, &dtb, &err, false) == VMI_SUCCESS);
    CHECK(mode == ARCH_X86_IA32E_4);
    CHECK_EQ_U64(dtb, 0x9a6000);

    /* The root found translates the kernel text. */
    {
        arch_x86_walker_t w = walker(0, true, true);
        page_info_t info;
        CHECK(arch_x86_translate(&w, mode, dtb, 0xffffffff81000123ull, &info, &err) == VMI_SUCCESS);
        CHECK_EQ_U64(info.paddr, 0x1000123);
    }
}

static void test_scan_la57(void)
{
    arch_x86_mode_t mode = ARCH_X86_NONE;
    addr_t dtb = 0;
    util_err_t err;

    build_garbage();
    /* PML5 at 0x5e7000: entry 0x1ff -> a 4-level tree as above. */
    plant_ia32e(0x6c2000, 0x3b1000, 0x47c000, 0x2e5000, 0x800000);
    clear_page(0x5e7000);
    put64(0x5e7000 + 0x1ff * 8, 0x6c2000 | 0x63);
    /* Now 0x6c2000 is a PML4 whose 2 MiB page, read one level too high,
     * would be a misaligned 1 GiB page: it is found only as 5-level. */
    CHECK(scan(&mode, &dtb, &err, true) == VMI_SUCCESS);
    CHECK(mode == ARCH_X86_IA32E_5);
    CHECK_EQ_U64(dtb, 0x5e7000);
}

static void test_scan_pae(void)
{
    arch_x86_mode_t mode = ARCH_X86_NONE;
    addr_t dtb = 0;
    util_err_t err;

    build_garbage();
    /* The PDPT sits at 0x...cc0 among garbage in its page. */
    const addr_t pdpt = 0x612cc0;
    memset(fm.mem + pdpt, 0, 32);
    clear_page(0x233000);
    clear_page(0x234000);
    clear_page(0x235000);
    clear_page(0x236000);
    clear_page(0x237000);
    /* As the real guest's, with Accessed set where the PD was used. */
    put64(pdpt + 0, 0x233000 | 0x21);
    put64(pdpt + 8, 0x234000 | 0x01);
    put64(pdpt + 16, 0x235000 | 0x21);
    put64(pdpt + 24, 0x236000 | 0x21);
    for (unsigned i = 0; i < 64; i++)                   /* 0xc0000000: 128 MiB lowmem */
        put64(0x236000 + 8 * i, (0x200000ull * i) | 0x1e3);
    put64(0x236000 + 0x1f0 * 8, 0x237000 | 0x63);       /* a PT for vmalloc */
    put64(0x237000, 0x8000000000abc063ull);
    CHECK(scan(&mode, &dtb, &err, true) == VMI_SUCCESS);
    CHECK(mode == ARCH_X86_PAE);
    CHECK_EQ_U64(dtb, pdpt);
}

static void test_scan_legacy(void)
{
    arch_x86_mode_t mode = ARCH_X86_NONE;
    addr_t dtb = 0;
    util_err_t err;

    build_garbage();
    clear_page(0x4a1000);
    clear_page(0x4a2000);
    /* Upper quarter: 4 MiB pages of lowmem, then a PT. */
    for (unsigned i = 0; i < 4; i++)
        put32(0x4a1000 + (0x300 + i) * 4, (0x400000u * i) | 0x1e3);
    put32(0x4a1000 + 0x3ff * 4, 0x4a2000 | 0x63);
    for (unsigned i = 0; i < 8; i++)
        put32(0x4a2000 + 4 * i, (0x10000u + 0x1000u * i) | 0x63);
    /* A decoy: a 64-bit table (entries 384-511 point at tables) seen as
     * 32-bit entries has its present entries at even indices only, each
     * pointing at a page that passes as a 32-bit PT (rule 4). */
    clear_page(0x300000);
    clear_page(0x301000);
    for (unsigned i = 0; i < 1024; i++)
        put32(0x301000 + 4 * i, (0x20000u + 0x1000u * i) | 0x63);
    for (unsigned i = 384; i < 512; i++)
        put64(0x300000 + 8 * i, 0x301000 | 0x63);
    CHECK(scan(&mode, &dtb, &err, true) == VMI_SUCCESS);
    CHECK(mode == ARCH_X86_LEGACY);
    CHECK_EQ_U64(dtb, 0x4a1000);
}

/* accept has the last word: refusing the best root yields the next. */
static bool refuse_first(void *ctx, arch_x86_mode_t mode, addr_t dtb)
{
    unsigned *calls = ctx;
    (*calls)++;
    return dtb != 0x9a6000;
}

static void test_scan_accept(void)
{
    arch_x86_walker_t w = walker(0, true, true);
    arch_x86_mode_t mode = ARCH_X86_NONE;
    addr_t dtb = 0;
    util_err_t err;
    unsigned calls = 0;

    build_garbage();
    plant_ia32e(0x9a6000, 0x3b1000, 0x47c000, 0x2e5000, 0x800000);
    /* A process root: the same kernel half, one user entry. */
    memcpy(fm.mem + 0xb00000, fm.mem + 0x9a6000, 4096);
    clear_page(0xb01000);
    put64(0xb00000 + 0x0ff * 8, 0xb01000 | 0x67);
    put64(0xb01000, 0x0 | 0xe7);   /* a 1 GiB user page */
    w.read_page = fm_read_page;

    /* Both are equal in the kernel; the kernel's own root maps no user space. */
    CHECK(arch_x86_scan_dtb(&w, IMG, &mode, &dtb, &err) == VMI_SUCCESS);
    CHECK_EQ_U64(dtb, 0x9a6000);

    CHECK(arch_x86_scan_dtb_accept(&w, IMG, refuse_first, &calls, &mode, &dtb, &err) == VMI_SUCCESS);
    CHECK(mode == ARCH_X86_IA32E_4);
    CHECK_EQ_U64(dtb, 0xb00000);
    CHECK_EQ_U64(calls, 2);
}

static bool refuse_all(void *ctx, arch_x86_mode_t mode, addr_t dtb)
{
    return false;
}

static void test_scan_nothing(void)
{
    arch_x86_walker_t w = walker(0, true, true);
    arch_x86_mode_t mode = ARCH_X86_NONE;
    addr_t dtb = 0;
    util_err_t err;
    struct timespec t0, t1;

    build_garbage();
    w.read_page = fm_read_page;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CHECK(arch_x86_scan_dtb(&w, IMG, &mode, &dtb, &err) == VMI_FAILURE);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    CHECK(contains(util_err_msg(&err), "no x86 page-table root found in [0, 0x1000000): 4096 pages scanned"));
    printf("     (16 MiB of garbage scanned in %.1f ms)\n",
           (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6);

    plant_ia32e(0x9a6000, 0x3b1000, 0x47c000, 0x2e5000, 0x800000);
    CHECK(arch_x86_scan_dtb_accept(&w, IMG, refuse_all, NULL, &mode, &dtb, &err) == VMI_FAILURE);
    CHECK(contains(util_err_msg(&err), "none confirmed by the caller's check"));

    /* Unreadable pages (a memory smaller than max_pa says) are skipped. */
    CHECK(arch_x86_scan_dtb(&w, IMG + (1u << 20), &mode, &dtb, &err) == VMI_SUCCESS);
    CHECK_EQ_U64(dtb, 0x9a6000);
}

int main(void)
{
    TEST_RUN(test_legacy_4k);
    TEST_RUN(test_legacy_4m);
    TEST_RUN(test_legacy_faults);
    TEST_RUN(test_pae);
    TEST_RUN(test_pae_faults);
    TEST_RUN(test_ia32e_pages);
    TEST_RUN(test_ia32e_selfmap);
    TEST_RUN(test_ia32e_not_present_each_level);
    TEST_RUN(test_ia32e_reserved_each_level);
    TEST_RUN(test_ia32e_maxphyaddr);
    TEST_RUN(test_ia32e_noncanonical);
    TEST_RUN(test_ia32e_read_failure);
    TEST_RUN(test_la57);
    TEST_RUN(test_paging_off);
    TEST_RUN(test_mode_from_regs);
    TEST_RUN(test_names);
    TEST_RUN(test_scan_ia32e);
    TEST_RUN(test_scan_la57);
    TEST_RUN(test_scan_pae);
    TEST_RUN(test_scan_legacy);
    TEST_RUN(test_scan_accept);
    TEST_RUN(test_scan_nothing);
    free(fm.mem);
    TEST_DONE();
}

/*
 * test_x86_enum.c - every page a page table maps (arch_x86_enum_pages), in
 * the four paging modes, on tables built by hand in a fake physical memory.
 *
 * The expected pages, frames, sizes and entry locations were worked out by
 * hand from the Intel SDM's formulas (index = linear-address bits, entry at
 * table + width * index), and each reported page must also be exactly what
 * arch_x86_translate (tested on its own in test_x86_paging.c) says for its
 * first byte.  Then the bounds: a table that claims every entry present
 * stops at the page or table limit with a reason.
 */
#include "test.h"
#include "fakemem.h"

#define MAXP 64

typedef struct got {
    page_info_t p[MAXP];
    size_t n;
    size_t fail_at;     /* fail on this call (1-based); 0: never */
    const arch_x86_walker_t *w;
    arch_x86_mode_t mode;
    int mismatches;     /* pages that arch_x86_translate describes otherwise */
} got_t;

static got_t got;

static status_t collect(void *ctx, const page_info_t *page, util_err_t *err)
{
    got_t *g = ctx;
    page_info_t t;
    util_err_t e2;

    if (g->fail_at && g->n + 1 == g->fail_at) {
        util_err_set(err, "the callback stops here");
        return VMI_FAILURE;
    }
    if (arch_x86_translate(g->w, g->mode, page->pt, page->vaddr, &t, &e2) != VMI_SUCCESS ||
        memcmp(&t, page, sizeof(t)) != 0) {
        fprintf(stderr, "  page 0x%llx: not what arch_x86_translate gives\n",
                (unsigned long long)page->vaddr);
        g->mismatches++;
    }
    if (g->n < MAXP)
        g->p[g->n] = *page;
    g->n++;
    return VMI_SUCCESS;
}

static status_t run(const arch_x86_walker_t *w, arch_x86_mode_t mode, addr_t dtb,
                    uint64_t max_pages, uint64_t max_tables, arch_x86_enum_stats_t *st,
                    util_err_t *err)
{
    memset(&got, 0, sizeof(got));
    got.w = w;
    got.mode = mode;
    util_err_clear(err);
    return arch_x86_enum_pages(w, mode, dtb, max_pages, max_tables, collect, &got, st, err);
}

#define BIG ((uint64_t)1 << 40)

/* Page i of the result is (vaddr, paddr, size). */
static void expect(size_t i, addr_t va, addr_t pa, uint64_t size)
{
    CHECK(i < got.n);
    if (i >= got.n)
        return;
    CHECK_EQ_U64(got.p[i].vaddr, va);
    CHECK_EQ_U64(got.p[i].paddr, pa);
    CHECK_EQ_U64(got.p[i].size, size);
}

static bool contains(const char *haystack, const char *needle)
{
    if (!strstr(haystack, needle)) {
        fprintf(stderr, "  (message was: \"%s\", expected \"%s\")\n", haystack, needle);
        return false;
    }
    return true;
}

/* ---- 32-bit paging: PD at 0x1000 ---- */

static void build_legacy(void)
{
    fm_init(1 << 20);
    /* PDE 0 -> PT 0x3000; PTE 1 maps 0x1000 -> 0x7000. */
    put32(0x1000 + 0 * 4, 0x3000 | 0x7);
    put32(0x3000 + 1 * 4, 0x7000 | 0x1);
    /* PDE 1 -> a table at 15 MiB, outside the 1 MiB memory. */
    put32(0x1000 + 1 * 4, 0x00f00000 | 0x7);
    /* PDE 0x300 -> PT 0x2000: 0xc0123000 -> 0x5000, 0xc0124000 -> 0x6000. */
    put32(0x1000 + 0x300 * 4, 0x2000 | 0x67);
    put32(0x2000 + 0x123 * 4, 0x5000 | 0x67);
    put32(0x2000 + 0x124 * 4, 0x6000 | 0x5);
    /* PDE 0x301: a 4 MiB page, 0xc0400000 -> 0x00c00000. */
    put32(0x1000 + 0x301 * 4, 0x00c00000 | 0xe3);
    /* PDE 0x302: PSE-36, address bits 39:32 = 0x92 in bits 20:13. */
    put32(0x1000 + 0x302 * 4, 0x00400000 | (0x92u << 13) | 0xe3);
    /* PDE 0x303: PS with bit 21 set, which is reserved. */
    put32(0x1000 + 0x303 * 4, 0x00800000 | (1u << 21) | 0xe3);
}

static void test_legacy(void)
{
    arch_x86_walker_t w = walker(0, false, true);
    arch_x86_enum_stats_t st;
    util_err_t err;

    build_legacy();
    CHECK(run(&w, ARCH_X86_LEGACY, 0x1000, BIG, BIG, &st, &err) == VMI_SUCCESS);
    CHECK_EQ_U64(got.n, 5);
    expect(0, 0x1000, 0x7000, 0x1000);
    expect(1, 0xc0123000, 0x5000, 0x1000);
    expect(2, 0xc0124000, 0x6000, 0x1000);
    expect(3, 0xc0400000, 0xc00000, 0x400000);
    expect(4, 0xc0800000, 0x9200400000ULL, 0x400000);
    CHECK_EQ_U64(got.p[1].x86_legacy.pgd_location, 0x1c00);
    CHECK_EQ_U64(got.p[1].x86_legacy.pgd_value, 0x2067);
    CHECK_EQ_U64(got.p[1].x86_legacy.pte_location, 0x248c);
    CHECK_EQ_U64(got.p[1].x86_legacy.pte_value, 0x5067);
    /* A large page has no PTE, even right after a 4 KiB sibling. */
    CHECK_EQ_U64(got.p[3].x86_legacy.pte_location, 0);
    CHECK_EQ_U64(got.p[3].x86_legacy.pgd_location, 0x1c04);
    CHECK_EQ_U64(got.p[0].pm, VMI_PM_LEGACY);
    CHECK_EQ_U64(got.p[0].pt, 0x1000);
    CHECK_EQ_U64(st.pages, 5);
    CHECK_EQ_U64(st.tables, 4);       /* PD, PT 0x3000, the one outside, PT 0x2000 */
    CHECK_EQ_U64(st.unreadable, 1);
    CHECK_EQ_U64(st.rejected, 1);
    CHECK_EQ_U64(got.mismatches, 0);

    /* Without CR4.PSE the PS bit means nothing: PDE 0x301 points to a
     * "table" at 12 MiB, which cannot be read, and so do 0x302 and 0x303. */
    w = walker(0, false, false);
    CHECK(run(&w, ARCH_X86_LEGACY, 0x1000, BIG, BIG, &st, &err) == VMI_SUCCESS);
    CHECK_EQ_U64(got.n, 3);
    CHECK_EQ_U64(st.unreadable, 4);
    CHECK_EQ_U64(got.mismatches, 0);
}

/* ---- PAE: the PDPT is 32-byte aligned inside a page ---- */

#define PAE_CR3 0x01212cc0ull

static void test_pae(void)
{
    arch_x86_walker_t w = walker(0, true, true);
    arch_x86_enum_stats_t st;
    util_err_t err;

    fm_init(32 << 20);
    put64(PAE_CR3 + 0 * 8, 0x3000 | 0x1);                 /* 0x00000000: PD 0x3000 */
    put64(PAE_CR3 + 1 * 8, 0x8000 | 0x3);                 /* bit 1 is reserved here */
    put64(PAE_CR3 + 3 * 8, 0x4000 | 0x1);                 /* 0xc0000000: PD 0x4000 */
    put64(0x3000 + 0 * 8, 0x5000 | 0x7);                  /* PT 0x5000 */
    put64(0x5000 + 0x10 * 8, 0x9000 | 0x7 | (1ull << 63)); /* 0x10000 -> 0x9000, NX */
    put64(0x4000 + 0 * 8, 0x00200000 | 0x83);             /* 0xc0000000: 2 MiB at 2 MiB */
    put64(0x4000 + 1 * 8, 0x00400000 | 0x83 | (1ull << 62)); /* bit 62 reserved */
    put64(0x4000 + 2 * 8, 0x00601000 | 0x83);             /* PAT bit 12: 0x600000 */

    CHECK(run(&w, ARCH_X86_PAE, PAE_CR3, BIG, BIG, &st, &err) == VMI_SUCCESS);
    CHECK_EQ_U64(got.n, 3);
    expect(0, 0x10000, 0x9000, 0x1000);
    expect(1, 0xc0000000, 0x200000, 0x200000);
    expect(2, 0xc0400000, 0x600000, 0x200000);
    CHECK_EQ_U64(got.p[0].x86_pae.pdpe_location, PAE_CR3);
    CHECK_EQ_U64(got.p[0].x86_pae.pgd_location, 0x3000);
    CHECK_EQ_U64(got.p[0].x86_pae.pte_location, 0x5080);
    CHECK_EQ_U64(got.p[0].x86_pae.pte_value, 0x9007 | (1ull << 63));
    CHECK_EQ_U64(got.p[2].x86_pae.pdpe_location, PAE_CR3 + 24);
    CHECK_EQ_U64(got.p[2].x86_pae.pgd_location, 0x4010);
    CHECK_EQ_U64(st.tables, 4);
    CHECK_EQ_U64(st.rejected, 2);
    CHECK_EQ_U64(got.mismatches, 0);

    /* Without EFER.NXE bit 63 is reserved: the NX page goes. */
    w = walker(0, false, true);
    CHECK(run(&w, ARCH_X86_PAE, PAE_CR3, BIG, BIG, &st, &err) == VMI_SUCCESS);
    CHECK_EQ_U64(got.n, 2);
    CHECK_EQ_U64(st.rejected, 3);
}

/* ---- IA-32e, 4 levels: PML4 at 0x10000 ---- */

static void build_ia32e(void)
{
    fm_init(2 << 20);
    put64(0x10000 + 0 * 8, 0x11000 | 0x7);              /* PDPT 0x11000 */
    put64(0x10000 + 1 * 8, 0x18000 | 0x83);             /* PS in a PML4E: refused */
    put64(0x10000 + 273 * 8, 0x12000 | 0x3);            /* kernel half: PDPT 0x12000 */
    put64(0x11000 + 0 * 8, 0x13000 | 0x7);              /* PD 0x13000 */
    put64(0x11000 + 1 * 8, 0x40000000 | 0x83);          /* 1 GiB at 1 GiB */
    put64(0x13000 + 2 * 8, 0x00200000 | 0x83);          /* 0x400000: 2 MiB at 2 MiB */
    put64(0x13000 + 3 * 8, 0x14000 | 0x7);              /* PT 0x14000 */
    put64(0x14000 + 5 * 8, 0x7000 | 0x7);               /* 0x605000 -> 0x7000 */
    put64(0x12000 + 0 * 8, 0x16000 | 0x3);              /* PD 0x16000 */
    put64(0x16000 + 0 * 8, 0x00400000 | 0x83);          /* 0xffff888000000000: 2 MiB */
}

static void test_ia32e(void)
{
    arch_x86_walker_t w = walker(0, true, true);
    arch_x86_enum_stats_t st;
    util_err_t err;

    build_ia32e();
    CHECK(run(&w, ARCH_X86_IA32E_4, 0x10000, BIG, BIG, &st, &err) == VMI_SUCCESS);
    CHECK_EQ_U64(got.n, 4);
    expect(0, 0x400000, 0x200000, 0x200000);
    expect(1, 0x605000, 0x7000, 0x1000);
    expect(2, 0x40000000, 0x40000000, 0x40000000);
    expect(3, 0xffff888000000000ULL, 0x400000, 0x200000);
    CHECK_EQ_U64(got.p[1].x86_ia32e.pml4e_location, 0x10000);
    CHECK_EQ_U64(got.p[1].x86_ia32e.pdpte_location, 0x11000);
    CHECK_EQ_U64(got.p[1].x86_ia32e.pgd_location, 0x13018);
    CHECK_EQ_U64(got.p[1].x86_ia32e.pte_location, 0x14028);
    CHECK_EQ_U64(got.p[1].x86_ia32e.pte_value, 0x7007);
    CHECK_EQ_U64(got.p[2].x86_ia32e.pgd_location, 0);  /* 1 GiB: no PDE, no PTE */
    CHECK_EQ_U64(got.p[2].x86_ia32e.pte_location, 0);
    CHECK_EQ_U64(got.p[3].x86_ia32e.pml4e_location, 0x10000 + 273 * 8);
    CHECK_EQ_U64(got.p[0].pm, VMI_PM_IA32E);
    CHECK_EQ_U64(st.tables, 6);
    CHECK_EQ_U64(st.rejected, 1);
    CHECK_EQ_U64(got.mismatches, 0);

    /* PCID and flag bits of CR3 are not address bits; pt keeps them. */
    CHECK(run(&w, ARCH_X86_IA32E_4, 0x10000 | 0x5 | (1ull << 63), BIG, BIG, &st, &err) ==
          VMI_SUCCESS);
    CHECK_EQ_U64(got.n, 4);
    CHECK_EQ_U64(got.p[0].pt, 0x10000 | 0x5 | (1ull << 63));
}

/* A range: only the pages that meet it, and subtrees outside it unread
 * (the user half alone reads the root and the user tables; the kernel half
 * alone reads the root and the kernel's two). */
static void test_ia32e_range(void)
{
    arch_x86_walker_t w = walker(0, true, true);
    arch_x86_enum_stats_t st;
    util_err_t err;

    build_ia32e();
    memset(&got, 0, sizeof(got));
    got.w = &w;
    got.mode = ARCH_X86_IA32E_4;
    CHECK(arch_x86_enum_range(&w, ARCH_X86_IA32E_4, 0x10000, 0, 0x800000000000ULL, BIG, BIG,
                              collect, &got, &st, &err) == VMI_SUCCESS);
    CHECK_EQ_U64(got.n, 3);
    expect(0, 0x400000, 0x200000, 0x200000);
    expect(2, 0x40000000, 0x40000000, 0x40000000);
    CHECK_EQ_U64(st.tables, 4);
    memset(&got, 0, sizeof(got));
    got.w = &w;
    got.mode = ARCH_X86_IA32E_4;
    CHECK(arch_x86_enum_range(&w, ARCH_X86_IA32E_4, 0x10000, 0xffff800000000000ULL, ~0ULL, BIG,
                              BIG, collect, &got, &st, &err) == VMI_SUCCESS);
    CHECK_EQ_U64(got.n, 1);
    expect(0, 0xffff888000000000ULL, 0x400000, 0x200000);
    CHECK_EQ_U64(st.tables, 3);
    /* A range inside one 2 MiB page lists that page; one between pages,
     * none (and reads no PT). */
    memset(&got, 0, sizeof(got));
    got.w = &w;
    got.mode = ARCH_X86_IA32E_4;
    CHECK(arch_x86_enum_range(&w, ARCH_X86_IA32E_4, 0x10000, 0x500000, 0x500001, BIG, BIG,
                              collect, &got, &st, &err) == VMI_SUCCESS);
    CHECK_EQ_U64(got.n, 1);
    expect(0, 0x400000, 0x200000, 0x200000);
    CHECK_EQ_U64(st.tables, 3);
    CHECK_EQ_U64(got.mismatches, 0);
}

/* The Windows self-map: a PML4 entry pointing to the PML4.  The walk stays
 * four levels deep, and the tables themselves show up as pages at the
 * addresses the self-map gives them. */
static void test_ia32e_selfmap(void)
{
    arch_x86_walker_t w = walker(0, true, true);
    arch_x86_enum_stats_t st;
    util_err_t err;
    const uint64_t s = 0x1ed;
    const addr_t pml4_va = 0xffff000000000000ULL | s << 39 | s << 30 | s << 21 | s << 12;
    const addr_t pdpt_va = 0xffff000000000000ULL | s << 39 | s << 30 | s << 21 | 0 << 12;
    bool saw_pml4 = false, saw_pdpt = false, ascending = true;

    build_ia32e();
    put64(0x10000 + s * 8, 0x10000 | 0x3);
    CHECK(run(&w, ARCH_X86_IA32E_4, 0x10000, BIG, BIG, &st, &err) == VMI_SUCCESS);
    CHECK(got.n > 4 && got.n <= MAXP);
    for (size_t i = 0; i < got.n && i < MAXP; i++) {
        if (got.p[i].vaddr == pml4_va && got.p[i].paddr == 0x10000)
            saw_pml4 = true;
        if (got.p[i].vaddr == pdpt_va && got.p[i].paddr == 0x11000)
            saw_pdpt = true;
        if (i && got.p[i].vaddr <= got.p[i - 1].vaddr)
            ascending = false;
    }
    CHECK(saw_pml4);
    CHECK(saw_pdpt);
    CHECK(ascending);
    CHECK_EQ_U64(got.mismatches, 0);
}

/* ---- 5-level paging: PML5 at 0x20000 ---- */

static void test_la57(void)
{
    arch_x86_walker_t w = walker(0, true, true);
    arch_x86_enum_stats_t st;
    util_err_t err;

    fm_init(1 << 20);
    put64(0x20000 + 1 * 8, 0x21000 | 0x7);        /* PML5 1: bit 48 */
    put64(0x21000 + 0 * 8, 0x22000 | 0x7);
    put64(0x22000 + 0 * 8, 0x23000 | 0x7);
    put64(0x23000 + 0 * 8, 0x24000 | 0x7);
    put64(0x24000 + 1 * 8, 0x9000 | 0x3);         /* 0x0001000000001000 -> 0x9000 */
    put64(0x20000 + 0x1ff * 8, 0x25000 | 0x3);    /* top of the upper half */
    put64(0x25000 + 0x1ff * 8, 0x26000 | 0x3);
    put64(0x26000 + 0x1ff * 8, 0x40000000 | 0x83); /* 1 GiB */

    CHECK(run(&w, ARCH_X86_IA32E_5, 0x20000, BIG, BIG, &st, &err) == VMI_SUCCESS);
    CHECK_EQ_U64(got.n, 2);
    expect(0, 0x0001000000001000ULL, 0x9000, 0x1000);
    expect(1, 0xffffffffc0000000ULL, 0x40000000, 0x40000000);
    CHECK_EQ_U64(got.p[0].x86_ia32e.pml5e_location, 0x20008);
    CHECK_EQ_U64(got.p[1].x86_ia32e.pml5e_location, 0x20000 + 0x1ff * 8);
    CHECK_EQ_U64(st.tables, 7);       /* PML5, then 4 and 2 tables below its entries */
    CHECK_EQ_U64(got.mismatches, 0);

    /* The same root read as 4-level: PML5 1 is a PML4E for 0x8000000000. */
    CHECK(run(&w, ARCH_X86_IA32E_4, 0x20000, BIG, BIG, &st, &err) == VMI_SUCCESS);
    CHECK(got.n >= 1);
    CHECK_EQ_U64(got.mismatches, 0);
}

/* ---- Entry by entry, without read_page ---- */

static void test_read_entry_only_gives_the_same(void)
{
    arch_x86_walker_t w = walker(0, true, true);
    arch_x86_enum_stats_t st;
    util_err_t err;
    page_info_t with_pages[MAXP];
    size_t n;

    build_ia32e();
    w.read_page = fm_read_page;
    CHECK(run(&w, ARCH_X86_IA32E_4, 0x10000, BIG, BIG, &st, &err) == VMI_SUCCESS);
    n = got.n;
    memcpy(with_pages, got.p, sizeof(with_pages));
    w.read_page = NULL;
    fm.reads = 0;
    CHECK(run(&w, ARCH_X86_IA32E_4, 0x10000, BIG, BIG, &st, &err) == VMI_SUCCESS);
    CHECK_EQ_U64(got.n, n);
    CHECK(memcmp(with_pages, got.p, n * sizeof(page_info_t)) == 0);
    CHECK(fm.reads >= 6 * 512); /* every entry of the six tables, one by one */
}

/* ---- Bounds and failures ---- */

/* PML4 0x10000 -> PDPT 0x11000 -> PD 0x12000 -> PT 0x13000, and every
 * entry of every table present (pointing at the next table, or at a frame
 * in the PT): 2^36 pages and 1 + 512 + 512^2 + 512^3 tables. */
static void build_everything_present(bool pt_present)
{
    fm_init(1 << 20);
    for (unsigned i = 0; i < 512; i++) {
        put64(0x10000 + i * 8, 0x11000 | 0x3);
        put64(0x11000 + i * 8, 0x12000 | 0x3);
        put64(0x12000 + i * 8, 0x13000 | 0x3);
        if (pt_present)
            put64(0x13000 + i * 8, 0x20000 | 0x3);
    }
}

static void test_page_limit(void)
{
    arch_x86_walker_t w = walker(0, true, true);
    arch_x86_enum_stats_t st;
    util_err_t err;

    build_everything_present(true);
    w.read_page = fm_read_page;
    CHECK(run(&w, ARCH_X86_IA32E_4, 0x10000, 1000, BIG, &st, &err) == VMI_FAILURE);
    CHECK(contains(util_err_msg(&err), "maps more than 1000 pages"));
    CHECK_EQ_U64(got.n, 1000);
    CHECK_EQ_U64(st.pages, 1000);
    /* Exactly at the limit is fine: one full PT alone is 512 pages. */
    fm_init(1 << 20);
    put64(0x10000, 0x11000 | 0x3);
    put64(0x11000, 0x12000 | 0x3);
    put64(0x12000, 0x13000 | 0x3);
    for (unsigned i = 0; i < 512; i++)
        put64(0x13000 + i * 8, 0x20000 | 0x3);
    CHECK(run(&w, ARCH_X86_IA32E_4, 0x10000, 512, BIG, &st, &err) == VMI_SUCCESS);
    CHECK_EQ_U64(got.n, 512);
    CHECK(run(&w, ARCH_X86_IA32E_4, 0x10000, 511, BIG, &st, &err) == VMI_FAILURE);
    CHECK_EQ_U64(got.n, 511);
}

static void test_table_limit(void)
{
    arch_x86_walker_t w = walker(0, true, true);
    arch_x86_enum_stats_t st;
    util_err_t err;

    /* No page at all, but 2^27 tables to read. */
    build_everything_present(false);
    w.read_page = fm_read_page;
    CHECK(run(&w, ARCH_X86_IA32E_4, 0x10000, BIG, 5000, &st, &err) == VMI_FAILURE);
    CHECK(contains(util_err_msg(&err), "has more than 5000 tables"));
    CHECK_EQ_U64(st.tables, 5001);
    CHECK_EQ_U64(got.n, 0);
    /* The root alone is over a limit of 0. */
    CHECK(run(&w, ARCH_X86_IA32E_4, 0x10000, BIG, 0, &st, &err) == VMI_FAILURE);
    CHECK(contains(util_err_msg(&err), "more than 0 tables"));
}

static void test_failures(void)
{
    arch_x86_walker_t w = walker(0, true, true);
    arch_x86_enum_stats_t st;
    util_err_t err;

    build_ia32e();
    memset(&got, 0, sizeof(got));
    got.w = &w;
    got.mode = ARCH_X86_IA32E_4;
    got.fail_at = 2;
    util_err_clear(&err);
    CHECK(arch_x86_enum_pages(&w, ARCH_X86_IA32E_4, 0x10000, BIG, BIG, collect, &got, &st,
                              &err) == VMI_FAILURE);
    CHECK(contains(util_err_msg(&err), "the callback stops here"));
    CHECK_EQ_U64(got.n, 1);

    CHECK(run(&w, ARCH_X86_IA32E_4, 0x40000000, BIG, BIG, &st, &err) == VMI_FAILURE);
    CHECK(contains(util_err_msg(&err), "reading the root table at 0x40000000"));

    w.maxphyaddr = 36;
    CHECK(run(&w, ARCH_X86_IA32E_4, 0x1000000000ULL, BIG, BIG, &st, &err) == VMI_FAILURE);
    CHECK(contains(util_err_msg(&err), "beyond MAXPHYADDR (36 bits)"));

    CHECK(run(&w, ARCH_X86_NONE, 0x10000, BIG, BIG, &st, &err) == VMI_FAILURE);
    CHECK(contains(util_err_msg(&err), "paging is off"));
    CHECK(arch_x86_enum_pages(&w, ARCH_X86_IA32E_4, 0x10000, BIG, BIG, NULL, NULL, NULL,
                              &err) == VMI_FAILURE);
}

int main(void)
{
    TEST_RUN(test_legacy);
    TEST_RUN(test_pae);
    TEST_RUN(test_ia32e);
    TEST_RUN(test_ia32e_range);
    TEST_RUN(test_ia32e_selfmap);
    TEST_RUN(test_la57);
    TEST_RUN(test_read_entry_only_gives_the_same);
    TEST_RUN(test_page_limit);
    TEST_RUN(test_table_limit);
    TEST_RUN(test_failures);
    free(fm.mem);
    TEST_DONE();
}

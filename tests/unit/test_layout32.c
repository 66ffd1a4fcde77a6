/*
 * test_layout32 - the 32-bit zero-config root search (lx_offer_root_layout32
 * in src/os/linux/locate.c) on images this test lays out by hand: a banner,
 * the kernel's page directory after it, and what a guest may put between
 * them.  It checks that the search
 *  - prefers the directory that maps all of lowmem over an earlier one that
 *    maps only the banner's 4 MiB (swapper_pg_dir over initial_page_table);
 *  - finds the real directory behind decoys whose banner entry is present
 *    but leads nowhere;
 *  - stays bounded when a guest fills the search span with such decoys: a
 *    few thousand walks, then it gives up, commits nothing and leaves the
 *    core's own scan pending;
 *  - spends no walk on entries the candidate page alone rules out (a 4 MiB
 *    page elsewhere, a table beyond memory, reserved PDPTE bits);
 *  - ends 16 MiB past the first page that maps the banner: a stronger
 *    directory further on is not seen (the kernel's own roots lie closer);
 *  - told the PAGE_OFFSET (from where kallsyms lies), tries that one alone
 *    first, and each again when it finds nothing there.
 * Legacy (non-PAE) paging with 4 MiB pages, PAGE_OFFSET 0xc0000000.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "handmade.h"
#include "os/linux/linux.h"

#define IMG_SIZE (48u << 20)
#define BANNER_PA 0x00c01000u
#define PAGE_OFFSET 0xc0000000u
#define LOWMEM_PDES (IMG_SIZE >> 22) /* 4 MiB pages covering the image */
#define DECOYS_FROM 0x01000000u

static const char banner[] = "Linux version 6.1.0-layout32 (test@tinyvmi) #1 SMP\n";

static void fresh_image(void)
{
    hm_fresh(IMG_SIZE);
    memcpy(hm.img + BANNER_PA, banner, sizeof(banner) - 1);
}

/* A page directory at pd: 4 MiB pages (PS, present, writable) at
 * PAGE_OFFSET for physical [first, first + n) * 4 MiB. */
static void directory(uint32_t pd, unsigned first, unsigned n)
{
    for (unsigned i = first; i < first + n; i++)
        hm_put32(pd + 4 * ((PAGE_OFFSET >> 22) + i), (i << 22) | 0x83);
}

/* A decoy: the banner's entry present, pointing at a page table inside
 * the image (so only a walk can judge it) whose entries are all absent
 * (the page at 4 KiB stays zero), so the walk fails. */
#define DEAD_END_PT 0x1000u
static void decoy(uint32_t pd)
{
    uint32_t va = BANNER_PA + PAGE_OFFSET;
    hm_put32(pd + 4 * (va >> 22), DEAD_END_PT | 0x3);
}

static const uint32_t page_offsets[] = { 0xc0000000u, 0xb0000000u, 0x80000000u,
                                         0x78000000u, 0x40000000u };
#define NPO (sizeof(page_offsets) / sizeof(page_offsets[0]))

/* The PAGE_OFFSET the search is told (0: none, each is tried). */
static uint32_t hint_po;

/* Open the image with the scan deferred (as vmi_init_complete does for
 * the OS layer), run the search.  *root: the root the core took, 0 if
 * none; *still_pending: the core's scan still to run; *ms: the search's
 * time. */
static bool search_ex(addr_t *root, bool *still_pending, double *ms)
{
    bool ok = false;
    *root = 0;
    *still_pending = false;
    *ms = 0;
    vmi_instance_t vmi = hm_open();
    if (vmi) {
        CHECK(core_paging_pending(vmi));
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        ok = lx_offer_root_layout32(vmi, 0, NULL, hint_po);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        *ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
        *still_pending = core_paging_pending(vmi);
        if (ok)
            *root = core_kernel_dtb(vmi);
    }
    hm_close(vmi);
    return ok;
}

/* The root taken, 0 when none. */
static addr_t search(void)
{
    addr_t root;
    bool pending;
    double ms;
    return search_ex(&root, &pending, &ms) ? root : 0;
}

/* initial_page_table comes first in memory and maps the banner too; the
 * directory with the most kernel-half entries wins. */
static void test_swapper_over_initial_table(void)
{
    fresh_image();
    uint32_t initial = 0x01000000u, swapper = 0x01400000u;
    directory(initial, BANNER_PA >> 22, 1);
    directory(swapper, 0, LOWMEM_PDES);
    addr_t root;
    bool pending;
    double ms;
    CHECK(search_ex(&root, &pending, &ms));
    CHECK_EQ_U64(root, swapper);
    CHECK(!pending);
    /* Alone, the boot table is still a root that maps the kernel. */
    fresh_image();
    directory(initial, BANNER_PA >> 22, 1);
    CHECK_EQ_U64(search(), initial);
}

/* Dead-end decoys before the directory: each costs a walk, none is kept. */
static void test_real_root_behind_decoys(void)
{
    fresh_image();
    for (unsigned i = 0; i < 500; i++)
        decoy(DECOYS_FROM + i * 0x1000u);
    uint32_t swapper = DECOYS_FROM + 500 * 0x1000u;
    directory(swapper, 0, LOWMEM_PDES);
    CHECK_EQ_U64(search(), swapper);
}

/* A span full of decoys (every page from 16 MiB to the end of the image:
 * 8192 of them, each with entries for all five PAGE_OFFSETs' views of the
 * banner).  The search stops after its walk budget: false, nothing
 * committed, the core's scan still pending.  That the real directory at
 * the end is not taken is what shows the budget holds. */
static void test_decoy_flood_is_bounded(void)
{
    fresh_image();
    for (uint32_t pd = DECOYS_FROM; pd + 0x1000 <= IMG_SIZE - 0x1000; pd += 0x1000)
        for (size_t k = 0; k < NPO; k++)
            hm_put32(pd + 4 * ((BANNER_PA + page_offsets[k]) >> 22), DEAD_END_PT | 0x3);
    /* The real directory last: past the budget, so it is not reached. */
    directory(IMG_SIZE - 0x1000, 0, LOWMEM_PDES);
    addr_t root;
    bool pending;
    double ms;
    CHECK(!search_ex(&root, &pending, &ms));
    CHECK_EQ_U64(root, 0);
    CHECK(pending);
    printf("     decoy flood: %.1f ms\n", ms);
}

/* The same span full of entries that no walk is needed to rule out: 4 MiB
 * pages that map the banner's va elsewhere, page tables beyond the image,
 * PAE entries with reserved bits set.  They cost no walk, so the directory
 * at the end is still reached. */
static void test_cheap_decoys_cost_no_walk(void)
{
    fresh_image();
    unsigned i = 0;
    for (uint32_t pd = DECOYS_FROM; pd + 0x1000 <= IMG_SIZE - 0x1000; pd += 0x1000, i++)
        for (size_t k = 0; k < NPO; k++) {
            uint32_t va = BANNER_PA + page_offsets[k];
            hm_put32(pd + 4 * (va >> 22), i % 2 ? (5u << 22) | 0x83 : 0xfffff000u | 0x3);
            /* The PAE view of the same page: bit 1 is reserved in a PDPTE. */
            if ((va >> 30) * 8 != 4 * (va >> 22))
                memcpy(hm.img + pd + 8 * (va >> 30), &(uint64_t){ DEAD_END_PT | 0x3 }, 8);
        }
    directory(IMG_SIZE - 0x1000, 0, LOWMEM_PDES);
    CHECK_EQ_U64(search(), IMG_SIZE - 0x1000);
}

/* The scan ends 16 MiB (LAYOUT32_AFTER_FIRST) past the first directory that
 * maps the banner: swapper_pg_dir just inside that is taken, just outside
 * it is not read, and the first one stands. */
static void test_scan_ends_past_first_root(void)
{
    uint32_t initial = 0x01000000u, after = 16u << 20;
    fresh_image();
    directory(initial, BANNER_PA >> 22, 1);
    directory(initial + after - 0x1000, 0, LOWMEM_PDES);
    CHECK_EQ_U64(search(), initial + after - 0x1000);
    fresh_image();
    directory(initial, BANNER_PA >> 22, 1);
    directory(initial + after, 0, LOWMEM_PDES);
    CHECK_EQ_U64(search(), initial);
}

/* Decoys for every PAGE_OFFSET but 0xc0000000, on every page up to the
 * real directory at the end: searched for each PAGE_OFFSET, they use up
 * the walk budget and nothing is found; told 0xc0000000, the search spends
 * no walk on them and takes the directory.  Told a PAGE_OFFSET nothing
 * answers to (0x40000000, with no decoys), it tries each and finds it. */
static void test_page_offset_hint(void)
{
    fresh_image();
    for (uint32_t pd = DECOYS_FROM; pd + 0x1000 <= IMG_SIZE - 0x1000; pd += 0x1000)
        for (size_t k = 0; k < NPO; k++)
            if (page_offsets[k] != PAGE_OFFSET)
                hm_put32(pd + 4 * ((BANNER_PA + page_offsets[k]) >> 22), DEAD_END_PT | 0x3);
    directory(IMG_SIZE - 0x1000, 0, LOWMEM_PDES);
    hint_po = 0;
    CHECK_EQ_U64(search(), 0);
    hint_po = PAGE_OFFSET;
    CHECK_EQ_U64(search(), IMG_SIZE - 0x1000);
    fresh_image();
    directory(DECOYS_FROM, 0, LOWMEM_PDES);
    hint_po = 0x40000000u;
    CHECK_EQ_U64(search(), DECOYS_FROM);
    hint_po = 0;
}

int main(void)
{
    TEST_RUN(test_swapper_over_initial_table);
    TEST_RUN(test_real_root_behind_decoys);
    TEST_RUN(test_decoy_flood_is_bounded);
    TEST_RUN(test_cheap_decoys_cost_no_walk);
    TEST_RUN(test_scan_ends_past_first_root);
    TEST_RUN(test_page_offset_hint);
    free(hm.img);
    TEST_DONE();
}
